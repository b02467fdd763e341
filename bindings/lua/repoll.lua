--- repoll: Linux epoll with a Rust core, for LuaJIT (FFI; no compiler needed).
--
--     local repoll = require "repoll"
--     local p = assert(repoll.new())
--     assert(p:register(fd, repoll.IN, 1))
--     for _, ev in ipairs(assert(p:wait(1.0))) do print(ev.data, ev.events) end
--     p:close()
--
-- The shared library is looked up, in this order: the path in the
-- environment variable REPOLL_LIBRARY (when set, nothing else is tried); the
-- build tree (../../target/release/librepoll.so, then ../../target/debug/,
-- relative to this file); the system (librepoll.so.0). The declarations and
-- every constant come from repoll_ffi.h, generated beside the library's
-- header: the build tree's include/, or <prefix>/share/repoll/ when
-- installed (also found through `pkg-config --variable=apidir repoll`), or
-- the path in REPOLL_FFI_HEADER.
--
-- Failures return nil, message, errno, name (message from repoll_strerror,
-- errno positive, name like "EEXIST"); arguments of the wrong type or out of
-- range raise an error, as Lua's own library does. See README.md.

local ffi = require "ffi"
local bit = require "bit"

local C = ffi.C
local M = {}

-- ---- libc: what the binding needs beyond repoll (declarations only) --------

-- Function prototypes and typedefs may be declared again identically, so a
-- program that declares these too is fine.
ffi.cdef [[
typedef struct { const char *dli_fname; void *dli_fbase;
                 const char *dli_sname; void *dli_saddr; } repoll_lua_dl_info;
void *dlopen(const char *file, int mode);
void *dlsym(void *handle, const char *name);
int dladdr(const void *addr, repoll_lua_dl_info *info);
int dlclose(void *handle);
int fileno(void *file);
char *realpath(const char *path, char *resolved);
const char *strerrorname_np(int errnum);
const char *sigabbrev_np(int sig);
]]

-- Linux's values (glibc, musl; every architecture but alpha, mips, sparc,
-- which libc headers would tell, but the FFI reads no header).
local RTLD_NOW = 2
local SIG_BLOCK, SIG_SETMASK = 0, 2

-- ---- finding the library and its declarations --------------------------------

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

-- The absolute path without symbolic links, or `path` as it is.
local function realpath(path)
  local buf = ffi.new("char[4096]") -- PATH_MAX
  if C.realpath(path, buf) == nil then return path end
  return ffi.string(buf)
end

-- The directory of this file, as given to require (may be relative).
local HERE = dirname((debug.getinfo(1, "S").source:gsub("^@", "")))

-- Where to look, in order, as {where, path or name} pairs.
local function candidates()
  local env = os.getenv("REPOLL_LIBRARY")
  if env and env ~= "" then
    return { { "REPOLL_LIBRARY", env } }
  end
  return {
    { "build tree (release)", HERE .. "/../../target/release/librepoll.so" },
    { "build tree (debug)", HERE .. "/../../target/debug/librepoll.so" },
    { "system search path", "librepoll.so.0" },
  }
end

-- The file the dynamic linker really loaded for `name` (a bare soname, found
-- through LD_LIBRARY_PATH and ldconfig's cache), or nil.
local function loaded_path(name)
  local h = C.dlopen(name, RTLD_NOW)
  if h == nil then return nil end
  local path
  local sym = C.dlsym(h, "repoll_version")
  local info = ffi.new("repoll_lua_dl_info")
  if sym ~= nil and C.dladdr(sym, info) ~= 0 and info.dli_fname ~= nil then
    path = ffi.string(info.dli_fname)
  end
  C.dlclose(h)
  return path
end

local function pkg_config_apidir()
  local pipe = io.popen("pkg-config --variable=apidir repoll 2>/dev/null")
  if not pipe then return nil end
  local dir = pipe:read("*l")
  pipe:close()
  if dir and dir ~= "" then return dir end
  return nil
end

-- Where repoll_ffi.h may be for a library loaded from `libpath`: each parent
-- directory's include/ (a build tree: target/<profile>[/deps]/librepoll.so)
-- and share/repoll/ (an installed prefix: lib[/<triplet>]/librepoll.so.0).
local function header_beside(libpath)
  local places = {}
  if libpath:find("/") then
    local dir = dirname(realpath(libpath))
    for _ = 1, 4 do
      places[#places + 1] = dir .. "/include/repoll_ffi.h"
      places[#places + 1] = dir .. "/share/repoll/repoll_ffi.h"
      if dir == "" then break end
      dir = dirname(dir)
    end
  end
  return places
end

-- Then pkg-config's apidir (a process: only when the first places failed),
-- then the usual prefixes.
local function header_elsewhere()
  local places = {}
  local apidir = pkg_config_apidir()
  if apidir then places[#places + 1] = apidir .. "/repoll_ffi.h" end
  places[#places + 1] = "/usr/local/share/repoll/repoll_ffi.h"
  places[#places + 1] = "/usr/share/repoll/repoll_ffi.h"
  return places
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local function load_library()
  local tried = {}
  for _, c in ipairs(candidates()) do
    local where, path = c[1], c[2]
    if path:find("/") and not file_exists(path) then
      tried[#tried + 1] = ("  %s: %s (no such file)"):format(where, path)
    else
      local ok, lib = pcall(ffi.load, path)
      if ok then
        return lib, path:find("/") and path or (loaded_path(path) or path)
      end
      tried[#tried + 1] = ("  %s: %s (%s)"):format(where, path, lib)
    end
  end
  error("repoll: cannot load the shared library librepoll.so; tried:\n"
    .. table.concat(tried, "\n")
    .. "\nFix: build it in the repository with `make build` (or `cargo build`),"
    .. " or set REPOLL_LIBRARY to the full path of librepoll.so,"
    .. " or install it where the dynamic linker finds librepoll.so.0.", 0)
end

local lib, LIBRARY_PATH = load_library()

-- The first of `places` that exists; each one looked at goes into `tried`.
local function first_existing(places, tried)
  for _, path in ipairs(places) do
    tried[#tried + 1] = path
    if file_exists(path) then return path end
  end
  return nil
end

local function load_declarations(libpath)
  local tried = {}
  local env = os.getenv("REPOLL_FFI_HEADER")
  local path
  if env and env ~= "" then
    path = first_existing({ env }, tried)
  else
    path = first_existing(header_beside(libpath), tried)
        or first_existing(header_elsewhere(), tried)
  end
  if not path then
    error("repoll: cannot find repoll_ffi.h (the declarations generated with the"
      .. " library) for " .. libpath .. "; looked at:\n  "
      .. table.concat(tried, "\n  ")
      .. "\nFix: a build tree has it in include/ (`make header`); `make install` puts"
      .. " it in <prefix>/share/repoll/; or set REPOLL_FFI_HEADER to its full path.", 0)
  end
  -- Named structs cannot be declared twice in one Lua state: a second copy
  -- of this module (package.loaded cleared) reuses the first's.
  if not pcall(ffi.typeof, "repoll_event_t") then
    ffi.cdef(read_file(path))
  end
  return path
end

local HEADER_PATH = load_declarations(LIBRARY_PATH)

ffi.cdef [[
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
int sigemptyset(sigset_t *set);
int sigaddset(sigset_t *set, int signo);
]]

-- Every function repoll_ffi.h declares must be in the library: a header and
-- a library from different versions are refused here, not at first use.
local function check_functions()
  for name in read_file(HEADER_PATH):gmatch("[%s%*](repoll_[%w_]+)%(") do
    if not pcall(function() return lib[name] end) then
      error(("repoll: %s declares %s, which %s does not export: the library and"
        .. " its declarations come from different versions"):format(
        HEADER_PATH, name, LIBRARY_PATH), 0)
    end
  end
end
check_functions()

M.LIBRARY_PATH = LIBRARY_PATH
M.HEADER_PATH = HEADER_PATH
M.lib = lib --- the ffi.load namespace, for calls this module does not wrap

-- ---- constants: every REPOLL_* integer of repoll_ffi.h, without the prefix --

M.constants = {}
for name in read_file(HEADER_PATH):gmatch("static%s+const%s+[%w_]+%s+REPOLL_([%w_]+)%s*=") do
  local value = C["REPOLL_" .. name]
  M[name], M.constants[name] = value, value
end

-- The library major version this binding is written for.
local BINDING_MAJOR = 0

local function check_version()
  local v = ffi.string(lib.repoll_version())
  local major = tonumber(v:match("^(%d+)%.%d+%.%d+$"))
  if major ~= BINDING_MAJOR or major ~= M.VERSION_MAJOR then
    error(("repoll: %s is librepoll version %q, but this binding needs major"
      .. " version %d and %s declares %s; point REPOLL_LIBRARY at a matching"
      .. " build (or rebuild with `make build`)"):format(
      LIBRARY_PATH, v, BINDING_MAJOR, HEADER_PATH, tostring(M.VERSION_MAJOR)), 0)
  end
end
check_version()

-- ---- errno and signal names (from the C library, when it can tell) --------

-- A C library function, or nil where it is missing (musl, older glibc).
local function libc_function(name)
  local ok, fn = pcall(function() return C[name] end)
  return ok and fn or nil
end
local strerrorname_np = libc_function("strerrorname_np")
local sigabbrev_np = libc_function("sigabbrev_np")

local function libc_name(fn, n)
  if not fn or type(n) ~= "number" then return nil end
  local s = fn(n)
  if s ~= nil then return ffi.string(s) end
  return nil
end

--- errno name -> number (EEXIST = 17, ...), built from strerrorname_np
-- (glibc 2.32+); empty where the C library has no such function.
M.errno = {}
for n = 1, 200 do
  local name = libc_name(strerrorname_np, n)
  if name and not M.errno[name] then M.errno[name] = n end
end

--- The symbolic name of a positive errno ("EEXIST"), "REPOLL_EPANIC", or nil.
function M.errname(errnum)
  if errnum == M.EPANIC then return "REPOLL_EPANIC" end
  if type(errnum) ~= "number" or errnum <= 0 then return nil end
  return libc_name(strerrorname_np, errnum)
end

--- Signal name without "SIG" -> number (USR1 = 10, ...), from sigabbrev_np.
M.signals = {}
for n = 1, 64 do
  local name = libc_name(sigabbrev_np, n)
  if name and not M.signals[name] then M.signals[name] = n end
end

local EBADF = M.errno.EBADF or 9

-- ---- errors and conversions ----------------------------------------------

--- The library's description of any return code (negative or positive).
function M.strerror(code)
  return ffi.string(lib.repoll_strerror(code))
end

-- nil, message, errno, name for a negative return code.
local function fail(rc)
  local e = -rc
  return nil, M.strerror(rc), e, M.errname(e)
end

local SOURCE = debug.getinfo(1, "S").source

-- Raises "bad argument" at the caller's line: the first frame outside
-- this file.
local function argerror(n, fname, msg)
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if not info or info.source ~= SOURCE then break end
    level = level + 1
  end
  error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), level)
end

local function is_integer(v)
  return v == math.floor(v) and v - v == 0
end

local U64 = ffi.typeof("uint64_t")
local I64 = ffi.typeof("int64_t")
local I64_MAX = 0x7fffffffffffffffLL
local TWO53 = 2 ^ 53

-- A 64-bit value for `data`: a Lua number that is an integer in [0, 2^64),
-- or a uint64_t / non-negative int64_t cdata.
local function to_u64(v, n, fname)
  if type(v) == "number" then
    if not is_integer(v) or v < 0 or v >= 2 ^ 64 then
      argerror(n, fname, "data must be an integer in [0, 2^64), got " .. tostring(v))
    end
    return v
  elseif ffi.istype(U64, v) then
    return v
  elseif ffi.istype(I64, v) then
    if v < 0 then argerror(n, fname, "data must not be negative, got " .. tostring(v)) end
    return v
  end
  argerror(n, fname, "data must be a number or a uint64_t cdata, got " .. type(v))
end

-- Lua numbers while exact (below 2^53), the uint64_t cdata above.
local function from_u64(v)
  if v < TWO53 then return tonumber(v) end
  return v
end

-- An event mask: an integer in [0, 2^32), or the negative int32 that
-- bit.bor makes of a mask with bit 31 (REPOLL_ET) set.
local function to_events(v, n, fname)
  if type(v) ~= "number" or not is_integer(v) or v < -2 ^ 31 or v >= 2 ^ 32 then
    argerror(n, fname, "events must be a 32-bit mask, got " .. tostring(v))
  end
  if v < 0 then v = v + 2 ^ 32 end
  return v
end

local function to_int(v, n, fname, what)
  if type(v) == "cdata" then v = tonumber(v) end
  if type(v) ~= "number" or not is_integer(v) or v < -2 ^ 31 or v >= 2 ^ 31 then
    argerror(n, fname, what .. " must be a C int, got " .. tostring(v))
  end
  return v
end

-- Seconds (a number; nil or negative: -1) as int64 nanoseconds, rounded up;
-- anything past 2^63-1 ns (292 years), math.huge included, is clamped.
local function to_ns(seconds, n, fname)
  if seconds == nil then return -1 end
  if type(seconds) ~= "number" or seconds ~= seconds then
    argerror(n, fname, "seconds must be a number (not NaN), got " .. tostring(seconds))
  end
  if seconds < 0 then return -1 end
  local ns = seconds * 1e9
  if ns >= 2 ^ 63 then return I64_MAX end
  return math.ceil(ns)
end

local function signo_of(v, n, fname)
  if type(v) == "string" then
    local s = M.signals[v] or M.signals[(v:gsub("^SIG", ""))]
    if not s then argerror(n, fname, "unknown signal name " .. v) end
    return s
  end
  return to_int(v, n, fname, "signal number")
end

-- ---- signal masks ----------------------------------------------------------

--- A sigset_t holding the given signals (numbers or names like "USR1").
function M.sigset(...)
  local set = ffi.new("sigset_t")
  C.sigemptyset(set)
  for i = 1, select("#", ...) do
    if C.sigaddset(set, signo_of(select(i, ...), i, "sigset")) ~= 0 then
      local e = ffi.errno()
      return nil, M.strerror(-e), e, M.errname(e)
    end
  end
  return set
end

local function sigprocmask(how, set)
  local old = ffi.new("sigset_t")
  if C.sigprocmask(how, set, old) ~= 0 then
    local e = ffi.errno()
    return nil, M.strerror(-e), e, M.errname(e)
  end
  return old
end

--- Blocks the given signals in the calling thread (LuaJIT's only one,
-- unless C code started others before). Returns the previous mask, for
-- repoll.set_signal_mask.
function M.block_signals(...)
  local set, msg, e, name = M.sigset(...)
  if not set then return nil, msg, e, name end
  return sigprocmask(SIG_BLOCK, set)
end

--- Sets the calling thread's signal mask (a sigset_t, e.g. the value
-- block_signals returned). Returns the previous one.
function M.set_signal_mask(mask)
  if not ffi.istype("sigset_t", mask) then
    argerror(1, "set_signal_mask", "a sigset_t expected")
  end
  return sigprocmask(SIG_SETMASK, mask)
end

-- ---- module functions ------------------------------------------------------

--- The loaded library's version, "MAJOR.MINOR.PATCH".
function M.version()
  return ffi.string(lib.repoll_version())
end

--- The REPOLL_FEATURE_* bits the running kernel supports (probed once).
function M.features()
  return tonumber(lib.repoll_features())
end

-- ---- the poller ------------------------------------------------------------

local Poller = {}

--- The poller: a cdata that owns the handle and its event buffer. __gc
-- closes it; ep == NULL means closed (by close(), or by another thread,
-- which a wait learns from EBADF).
local poller_ct = ffi.metatype(ffi.typeof [[struct {
  repoll_t *ep;
  int32_t nmax;
  int32_t count, cursor; /* events() iteration */
  uint64_t id_out[1];
  repoll_event_t buf[?];
}]], {
  __index = Poller,
  __gc = function(p) p:close() end,
  __tostring = function(p)
    if p.ep == nil then return "repoll.poller (closed)" end
    return ("repoll.poller (fd %d, maxevents %d)"):format(lib.repoll_fd(p.ep), p.nmax)
  end,
})

--- A new poller. opts (optional): maxevents (most events one wait returns,
-- default 256), flags (default CLOEXEC; CLOEXEC, RETRY_EINTR).
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then argerror(1, "new", "options table expected") end
  local maxevents = opts.maxevents or 256
  if type(maxevents) ~= "number" or not is_integer(maxevents) or maxevents < 1
      or maxevents >= 2 ^ 31 then
    argerror(1, "new", "maxevents must be a positive C int, got " .. tostring(maxevents))
  end
  local flags = to_int(opts.flags or M.CLOEXEC, 1, "new", "flags")
  local p = poller_ct(maxevents) -- before the handle, which must never leak
  p.nmax = maxevents
  local out = ffi.new("repoll_t *[1]")
  local rc = lib.repoll_create(out, flags)
  if rc < 0 then return fail(rc) end
  p.ep = out[0]
  return p
end

--- Calls fn(poller, ...) with a new poller and closes it afterwards, also
-- when fn raises (the error is raised again). Returns what fn returns, or
-- nil, message, errno when the poller cannot be created.
function M.with(opts, fn, ...)
  if type(opts) == "function" then return M.with(nil, opts, fn, ...) end
  local p, msg, e, name = M.new(opts)
  if not p then return nil, msg, e, name end
  local res = { pcall(fn, p, ...) }
  p:close()
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, table.maxn(res))
end

local function closed()
  return nil, M.strerror(-EBADF), EBADF, M.errname(EBADF)
end

-- A negative return of a call whose EBADF can only mean "the handle was
-- closed" (by another thread, through poller:handle()): the memory is gone
-- once the call returned, so the poller forgets it, never to close it again.
local function fail_handle(p, rc)
  if rc == -EBADF then p.ep = nil end
  return fail(rc)
end

-- lib[fn](handle, ...) on the poller's live handle: true, or nil, message,
-- errno, name. The one shape of every call that returns only 0 or an error.
local function call(p, fn, ...)
  local h = p.ep
  if h == nil then return closed() end
  local rc = lib[fn](h, ...)
  if rc < 0 then return fail_handle(p, rc) end
  return true
end

-- obj.getfd or obj.fileno when it is a method (indexing may raise). Apart
-- from fd_of: a closure there would keep the JIT from compiling it.
local function fd_method(obj)
  local t = type(obj)
  if t ~= "table" and t ~= "userdata" then return nil end
  local ok, m = pcall(function() return obj.getfd or obj.fileno end)
  if ok and type(m) == "function" then return m end
  return nil
end

-- An fd from a number, an io file, a poller, or an object with getfd()
-- (LuaSocket) or fileno().
local function fd_of(obj, n, fname)
  local t = type(obj)
  if t == "number" then
    return to_int(obj, n, fname, "fd")
  elseif ffi.istype(poller_ct, obj) then
    return obj.ep == nil and -1 or lib.repoll_fd(obj.ep)
  elseif t == "cdata" then
    return to_int(obj, n, fname, "fd")
  end
  local kind = io.type(obj)
  if kind == "file" then
    return C.fileno(obj)
  elseif kind == "closed file" then
    return -1 -- EBADF from the kernel
  end
  local getfd = fd_method(obj)
  if getfd then return to_int(getfd(obj), n, fname, "fd") end
  argerror(n, fname, "fd, io file or object with getfd() expected, got " .. t)
end

local function ctl(p, fname, call, obj, events, data)
  local fd = fd_of(obj, 1, fname)
  local ev = to_events(events == nil and M.IN or events, 2, fname)
  local d = to_u64(data == nil and math.max(fd, 0) or data, 3, fname)
  local h = p.ep
  if h == nil then return closed() end
  local rc = call(h, fd, ev, d)
  if rc < 0 then return fail(rc) end
  return true
end

--- Watches an fd (number, io file, socket with getfd(), poller) for events
-- (default IN) and reports data (default: the fd). EEXIST when registered.
function Poller:register(obj, events, data)
  return ctl(self, "register", lib.repoll_add, obj, events, data)
end

--- Changes a registration's events and data (default: the fd); re-arms a
-- ONESHOT one. ENOENT when not registered.
function Poller:modify(obj, events, data)
  return ctl(self, "modify", lib.repoll_modify, obj, events, data)
end

--- Stops watching an fd. ENOENT when not registered.
function Poller:unregister(obj)
  local fd = fd_of(obj, 1, "unregister")
  local h = self.ep
  if h == nil then return closed() end
  local rc = lib.repoll_delete(h, fd)
  if rc < 0 then return fail(rc) end
  return true
end

local OPS = { add = M.CTL_ADD, modify = M.CTL_MOD, delete = M.CTL_DEL }

-- Fills ops[i] from a table {op, fd, events, data} (or the same as named
-- fields); op is "add", "modify", "delete" or a CTL_* number.
local function fill_op(dst, src, i)
  if type(src) ~= "table" then argerror(1, "batch", "op " .. i .. " is not a table") end
  local op = src.op or src[1]
  op = OPS[op] or op
  if op ~= M.CTL_ADD and op ~= M.CTL_MOD and op ~= M.CTL_DEL then
    argerror(1, "batch", "op " .. i .. ": unknown op " .. tostring(src.op or src[1]))
  end
  local fd = fd_of(src.fd or src[2], 1, "batch")
  local events, data = src.events or src[3], src.data or src[4]
  if op == M.CTL_DEL then
    events, data = events or 0, data or 0
  end
  dst.op = op
  dst.fd = fd
  dst.events = to_events(events == nil and M.IN or events, 1, "batch")
  dst.data = to_u64(data == nil and math.max(fd, 0) or data, 1, "batch")
end

--- Applies many registrations in one library call (repoll_ctl_batch), in
-- order: ops is a list of {op, fd, events, data} ("add" / "modify" /
-- "delete", the rest as register). Returns how many succeeded and a list of
-- each op's result: 0, or the positive errno of that op.
function Poller:batch(ops)
  if type(ops) ~= "table" then argerror(1, "batch", "list of ops expected") end
  local n = #ops
  local arr = ffi.new("repoll_ctl_op_t[?]", n)
  for i = 1, n do fill_op(arr[i - 1], ops[i], i) end
  local h = self.ep
  if h == nil then return closed() end
  local rc = lib.repoll_ctl_batch(h, arr, n)
  if rc < 0 then return fail(rc) end
  local results = {}
  for i = 1, n do results[i] = -arr[i - 1].result end
  return rc, results
end

-- The n events of the buffer as a list of {data = , events = }.
local function collect(p, n, into)
  local list = into or {}
  local evs = p.buf
  for i = 0, n - 1 do
    list[i + 1] = { data = from_u64(evs[i].data), events = evs[i].events }
  end
  if into then
    for i = #into, n + 1, -1 do into[i] = nil end
  end
  return list
end

--- Waits for events; returns a list of {data = , events = } ({} when the
-- timeout passed). timeout in seconds: nil (or negative) blocks, 0 polls,
-- otherwise waits at least that long. `into`, a table, is reused for the
-- list. A signal handler that runs meanwhile makes it return EINTR.
function Poller:wait(timeout, into)
  local ns = to_ns(timeout, 1, "wait")
  if into ~= nil and type(into) ~= "table" then argerror(2, "wait", "table expected") end
  local h = self.ep
  if h == nil then return closed() end
  local n = lib.repoll_wait_ns(h, self.buf, self.nmax, ns)
  if n < 0 then return fail_handle(self, n) end
  return collect(self, n, into)
end

-- The iterator of Poller:events; the position lives in the poller, so that
-- no closure is made per wait (closures keep LuaJIT 2.1 from compiling).
local function next_event(p)
  local i = p.cursor
  if i < p.count then
    p.cursor = i + 1
    return from_u64(p.buf[i].data), p.buf[i].events
  end
end

--- The loop form of wait, without a table per event:
--     for data, events in p:events(timeout) do ... end
-- It raises an error when the wait fails. The events live in the poller's
-- buffer: do not wait on the same poller inside the loop.
function Poller:events(timeout)
  local ns = to_ns(timeout, 1, "events")
  local h = self.ep
  local n = h == nil and -EBADF or lib.repoll_wait_ns(h, self.buf, self.nmax, ns)
  if n < 0 then
    local _, msg, _, name = fail_handle(self, n)
    error(("repoll: wait: %s (%s)"):format(msg, name or -n), 2)
  end
  self.count, self.cursor = n, 0
  return next_event, self
end

--- wait with the thread's signal mask replaced by `mask` (a sigset_t, or a
-- list of signals) for its duration, atomically (repoll_pwait). A handler
-- of a signal the mask lets in makes it return EINTR. nil mask: wait.
function Poller:pwait(timeout, mask, into)
  local ns = to_ns(timeout, 1, "pwait")
  if type(mask) == "table" then mask = assert(M.sigset(unpack(mask))) end
  if mask ~= nil and not ffi.istype("sigset_t", mask) then
    argerror(2, "pwait", "sigset_t or list of signals expected")
  end
  if into ~= nil and type(into) ~= "table" then argerror(3, "pwait", "table expected") end
  local h = self.ep
  if h == nil then return closed() end
  local n = lib.repoll_pwait(h, self.buf, self.nmax, ns, mask)
  if n < 0 then return fail_handle(self, n) end
  return collect(self, n, into)
end

--- Makes a blocked wait (or the next one) return {data = 0, events = WAKE};
-- wakes coalesce. From other threads, call repoll_wake on poller:handle().
function Poller:wake()
  return call(self, "repoll_wake")
end

--- Starts a timer due `first` seconds from now, then every `interval`
-- seconds (default 0: once), reported as {data, TIMER}. Returns its id, a
-- Lua number. EINVAL for a negative time.
function Poller:add_timer(first, interval, data)
  if first == nil then argerror(1, "add_timer", "first: seconds expected, got nil") end
  local first_ns = to_ns(first, 1, "add_timer")
  local interval_ns = to_ns(interval or 0, 2, "add_timer")
  local d = to_u64(data or 0, 3, "add_timer")
  local h = self.ep
  if h == nil then return closed() end
  local rc = lib.repoll_timer_add(h, first_ns, interval_ns, d, self.id_out)
  if rc < 0 then return fail_handle(self, rc) end
  return tonumber(self.id_out[0]) -- below 2^53 by the library's contract
end

--- Cancels a timer. ENOENT for an unknown id or a one-shot that fired.
function Poller:cancel_timer(id)
  local tid = to_u64(id, 1, "cancel_timer")
  return call(self, "repoll_timer_cancel", tid)
end

--- Reports signal `signo` (a number or a name, "USR1" or "SIGUSR1") as
-- {data, SIGNAL}, data defaulting to the number. Block it first
-- (repoll.block_signals). EEXIST when already added.
function Poller:add_signal(signo, data)
  local s = signo_of(signo, 1, "add_signal")
  local d = to_u64(data == nil and math.max(s, 0) or data, 2, "add_signal")
  return call(self, "repoll_signal_add", s, d)
end

--- Stops reporting a signal (it stays blocked). ENOENT when not added.
function Poller:remove_signal(signo)
  local s = signo_of(signo, 1, "remove_signal")
  return call(self, "repoll_signal_delete", s)
end

--- The epoll fd, to nest the poller in another loop (readable when wait
-- would return events). Owned by the poller: never close it.
function Poller:fd()
  local h = self.ep
  if h == nil then return closed() end
  local rc = lib.repoll_fd(h)
  if rc < 0 then return fail_handle(self, rc) end
  return rc
end
Poller.getfd = Poller.fd -- the LuaSocket name, so loops that take sockets take pollers

--- The repoll_t * (borrowed; owned by the poller), for C code and other
-- threads: repoll_wake on it from any thread; repoll_close on it only while
-- this Lua state is blocked in a wait, which then returns EBADF.
function Poller:handle()
  return self.ep
end

--- Closes the poller and its fd. Idempotent; garbage collection closes too.
function Poller:close()
  local h = self.ep
  if h == nil then return true end
  self.ep = nil
  local rc = lib.repoll_close(h)
  if rc < 0 then return fail(rc) end
  return true
end

--- True once closed.
function Poller:closed()
  return self.ep == nil
end

--- The most events one wait returns.
function Poller:max_events()
  return self.nmax
end

M.Poller = Poller -- the methods, for extension
M.is_poller = function(v) return ffi.istype(poller_ct, v) end

return M
