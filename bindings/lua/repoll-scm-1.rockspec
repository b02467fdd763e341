-- LuaRocks package of the LuaJIT binding: `luarocks make` in this directory.
-- It installs repoll.lua only; the library (librepoll.so.0) and its
-- declarations (share/repoll/repoll_ffi.h) come from `make install` of the
-- repository, or REPOLL_LIBRARY.
package = "repoll"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- replace with the repository's URL when published
}
description = {
  summary = "Linux epoll with timers, signals and a cross-thread wake, for LuaJIT",
  detailed = [[
    A single-file LuaJIT FFI binding of librepoll (Linux epoll with a Rust
    core): pollers with register/modify/unregister, waits in seconds
    returning (data, events), timers, wake, signals, batched registration.
    Failures return nil, message, errno, name.
  ]],
  license = "MIT OR Apache-2.0",
}
supported_platforms = { "linux" }
dependencies = {
  "lua == 5.1", -- LuaJIT reports itself as Lua 5.1; the FFI is required
}
external_dependencies = {
  REPOLL = { library = "repoll" },
}
build = {
  type = "builtin",
  modules = {
    repoll = "repoll.lua",
  },
}
