-- Tests of the LuaJIT binding: luajit test_repoll.lua [pattern]
-- (from bindings/lua, or anywhere: paths are taken from this file).
-- The library is found as repoll.lua finds it (REPOLL_LIBRARY, build tree).
-- Timing checks are lower bounds only; HANG bounds are guards against hangs.
local HERE = (debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/[^/]*$")) or "."
package.path = HERE .. "/?.lua;" .. package.path

local ffi = require "ffi"
local bit = require "bit"
local repoll = require "repoll"
local H = require "test.helpers"
local C = ffi.C

local ROOT = HERE .. "/../.."
local LUAJIT = arg and arg[-1] or "luajit"
local HANG = 10 -- seconds

-- ---- a tiny runner -----------------------------------------------------------

local tests, SKIP = {}, {}

local function test(name, fn) tests[#tests + 1] = { name = name, fn = fn } end

local function skip(reason) error(setmetatable({ reason = reason }, SKIP), 0) end

local function fmt(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

local function eq(got, want, what)
  if got ~= want then
    error(("%sexpected %s, got %s"):format(what and what .. ": " or "", fmt(want), fmt(got)), 2)
  end
end

local function ok(cond, what)
  if not cond then error(what or "assertion failed", 2) end
  return cond
end

local function raises(pattern, fn, ...)
  local good, err = pcall(fn, ...)
  if good then error("expected an error matching " .. pattern, 2) end
  if not tostring(err):find(pattern) then
    error(("error %q does not match %q"):format(tostring(err), pattern), 2)
  end
end

-- Asserts that fn(...) failed the binding's way: nil, message, errno, name.
local function fails(name, fn, ...)
  local r = { fn(...) }
  if r[1] ~= nil then error(("expected %s, got success (%s)"):format(name, fmt(r[1])), 2) end
  local code = repoll.errno[name]
  if r[4] ~= name or r[3] ~= code or r[2] ~= repoll.strerror(-code) then
    error(("expected nil, %q, %s, %q; got nil, %s, %s, %s"):format(
      repoll.strerror(-code), tostring(code), name, fmt(r[2]), fmt(r[3]), fmt(r[4])), 2)
  end
end

local function poller(opts)
  return assert(repoll.new(opts))
end

-- Runs a Lua chunk in a fresh luajit; returns the exit status and output.
local function run_lua(code, env)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "w"))
  f:write(code)
  f:close()
  local prefix = ""
  for k, v in pairs(env or {}) do
    if v == false then
      prefix = prefix .. "unset " .. k .. "; "
    else
      prefix = prefix .. ("export %s='%s'; "):format(k, v)
    end
  end
  local pipe = io.popen(("(%s'%s' '%s') 2>&1; echo \"exit=$?\""):format(prefix, LUAJIT, tmp))
  local out = pipe:read("*a")
  pipe:close()
  os.remove(tmp)
  local status = tonumber(out:match("exit=(%d+)%s*$"))
  return status, out
end

-- ---- version, constants, generated files -------------------------------------

test("version_matches_the_header_major", function()
  local v = repoll.version()
  ok(v:match("^%d+%.%d+%.%d+$"), v)
  eq(tonumber(v:match("^(%d+)")), repoll.VERSION_MAJOR)
  local f = repoll.features()
  eq(type(f), "number")
  eq(f, repoll.features(), "features are probed once")
  ok(f >= 0 and f < 2 ^ 32)
end)

test("constants_are_the_generated_declarations", function()
  local text = H.read_file(repoll.HEADER_PATH)
  local n = 0
  for name, value in pairs(repoll.constants) do
    n = n + 1
    eq(repoll[name], value)
    eq(C["REPOLL_" .. name], value, name)
    ok(text:find("REPOLL_" .. name, 1, true), name .. " not in " .. repoll.HEADER_PATH)
  end
  ok(n >= 27, "only " .. n .. " constants read")
  for _, name in ipairs { "IN", "PRI", "OUT", "ERR", "HUP", "RDHUP", "EXCLUSIVE", "WAKEUP",
    "ONESHOT", "ET", "WAKE", "TIMER", "SIGNAL", "CTL_ADD", "CTL_MOD", "CTL_DEL",
    "CLOEXEC", "RETRY_EINTR", "FEATURE_PWAIT2", "FEATURE_EXCLUSIVE", "EPANIC" } do
    ok(type(repoll[name]) == "number", "repoll." .. name .. " is missing")
  end
  eq(repoll.ET, 2 ^ 31, "masks are never negative")
end)

-- A minimal JSON reader, enough for include/repoll.json.
local function json_decode(s)
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == '"' then break end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        if e == "u" then
          out[#out + 1] = string.char(tonumber(s:sub(i + 2, i + 5), 16) % 256)
          i = i + 6
        else
          out[#out + 1] = ({ n = "\n", t = "\t", r = "\r", b = "\b", f = "\f" })[e] or e
          i = i + 2
        end
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
    pos = i + 1
    return table.concat(out)
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1
      ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1 return t end
      while true do
        ws()
        local k = str()
        ws()
        pos = pos + 1 -- :
        t[k] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
      end
    elseif c == "[" then
      local t = {}
      pos = pos + 1
      ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1 return t end
      while true do
        t[#t + 1] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
      end
    elseif c == '"' then
      return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4 return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5 return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4 return nil
    end
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    pos = pos + #num
    return tonumber(num)
  end
  return value()
end

local function api_json()
  local text = H.read_file(ROOT .. "/include/repoll.json")
  if not text then skip("no include/repoll.json (not generated yet)") end
  return json_decode(text)
end

-- What the binding calls and reads: each must be in the generated API.
local NEEDED_FUNCTIONS = { "repoll_create", "repoll_add", "repoll_modify", "repoll_delete",
  "repoll_wait_ns", "repoll_pwait", "repoll_ctl_batch", "repoll_close", "repoll_fd", "repoll_wake", "repoll_timer_add",
  "repoll_timer_cancel", "repoll_signal_add", "repoll_signal_delete", "repoll_strerror",
  "repoll_version", "repoll_features" }
local NEEDED_CONSTANTS = { "REPOLL_IN", "REPOLL_CLOEXEC", "REPOLL_CTL_ADD", "REPOLL_CTL_MOD",
  "REPOLL_CTL_DEL", "REPOLL_EPANIC", "REPOLL_VERSION_MAJOR" }

test("everything_the_binding_needs_is_in_repoll_json", function()
  local api = api_json()
  local consts, funcs, types = {}, {}, {}
  for _, c in ipairs(api.constants) do consts[c.name] = c end
  for _, f in ipairs(api.functions) do funcs[f.name] = f end
  for _, t in ipairs(api.types) do types[t.name] = t end
  for _, name in ipairs(NEEDED_FUNCTIONS) do ok(funcs[name], name .. " missing from repoll.json") end
  for _, name in ipairs(NEEDED_CONSTANTS) do ok(consts[name], name .. " missing from repoll.json") end
  for _, name in ipairs { "repoll_t", "repoll_event_t", "repoll_ctl_op_t", "sigset_t" } do
    ok(types[name], name .. " missing from repoll.json")
  end
  -- Every integer constant has the same value here, every function resolves.
  for name, c in pairs(consts) do
    if type(c.value) == "number" then eq(repoll[name:gsub("^REPOLL_", "")], c.value, name) end
  end
  for name in pairs(funcs) do
    ok(pcall(function() return repoll.lib[name] end), name .. " is not declared or not exported")
  end
  -- Struct layouts: what the FFI computes from repoll_ffi.h is the JSON's.
  for name, t in pairs(types) do
    if t.size then -- structs and system types (sigset_t)
      eq(ffi.sizeof(name), t.size, name .. " size")
      eq(ffi.alignof(name), t.align, name .. " align")
    end
    for _, f in ipairs(t.fields or {}) do
      eq(ffi.offsetof(name, f.name), f.offset, name .. "." .. f.name)
    end
  end
  eq(api.soname, "librepoll.so." .. repoll.VERSION_MAJOR)
end)

test("event_is_16_naturally_aligned_bytes", function()
  eq(ffi.sizeof("repoll_event_t"), 16)
  eq(ffi.alignof("repoll_event_t"), 8)
  eq(ffi.offsetof("repoll_event_t", "events"), 8)
end)

test("strerror_and_errno_names", function()
  eq(repoll.strerror(-repoll.errno.EEXIST), "File exists")
  eq(repoll.strerror(-repoll.errno.ENOENT), "No such file or directory")
  eq(repoll.strerror(3), repoll.strerror(0), "a positive count is a success")
  ok(repoll.strerror(-repoll.EPANIC):find("panic"))
  eq(repoll.errname(repoll.EPANIC), "REPOLL_EPANIC")
  eq(repoll.errname(repoll.errno.EBADF), "EBADF")
  eq(repoll.signals.KILL ~= nil, true)
  eq(repoll.errname(999999), nil)
end)

-- ---- create, close, lifetime ---------------------------------------------------

test("create_and_close", function()
  local p = poller()
  local fd = assert(p:fd())
  eq(H.fd_target(fd), "anon_inode:[eventpoll]")
  eq(p:closed(), false)
  ok(tostring(p):find("fd " .. fd))
  eq(p:close(), true)
  eq(p:closed(), true)
  eq(p:close(), true, "close is idempotent")
  ok(H.fd_target(fd) ~= "anon_inode:[eventpoll]", "the epoll fd was closed")
  eq(tostring(p), "repoll.poller (closed)")
  local r = H.ready_pipe()
  fails("EBADF", p.register, p, r)
  fails("EBADF", p.wait, p, 0)
  fails("EBADF", p.wake, p)
  fails("EBADF", p.fd, p)
  fails("EBADF", p.add_timer, p, 1)
  raises("EBADF", function() for _ in p:events(0) do end end)
end)

test("cloexec_by_default_and_flags_checked", function()
  local p = poller()
  local info = H.read_file("/proc/self/fdinfo/" .. p:fd())
  local flags = tonumber(info:match("flags:%s*(%d+)"), 8)
  ok(bit.band(flags, 0x80000) ~= 0, "O_CLOEXEC not set: " .. info) -- 02000000 octal
  p:close()
  fails("EINVAL", repoll.new, { flags = bit.lshift(1, 20) })
  raises("maxevents must be a positive C int", repoll.new, { maxevents = 0 })
end)

test("garbage_collection_closes", function()
  local fd
  do
    local p = poller()
    fd = p:fd()
  end
  collectgarbage()
  collectgarbage()
  ok(H.fd_target(fd) ~= "anon_inode:[eventpoll]", "the epoll fd is still open")
end)

test("with_closes_also_on_error", function()
  local kept
  local a, b = repoll.with(function(p, x)
    kept = p
    return x, p:closed()
  end, 7)
  eq(a, 7)
  eq(b, false)
  eq(kept:closed(), true)
  raises("boom", repoll.with, { maxevents = 4 }, function(p)
    kept = p
    error("boom")
  end)
  eq(kept:closed(), true)
end)

-- ---- registration and errors --------------------------------------------------------

test("register_modify_unregister", function()
  local p = poller()
  local r, w = H.pipe()
  eq(p:register(r, repoll.IN, 7), true)
  eq(#assert(p:wait(0)), 0)
  C.write(w, "x", 1)
  local evs = assert(p:wait(HANG))
  eq(#evs, 1)
  eq(evs[1].data, 7)
  eq(evs[1].events, repoll.IN)
  eq(p:modify(r, repoll.IN), true) -- data defaults to the fd
  eq(assert(p:wait(HANG))[1].data, r)
  eq(p:unregister(r), true)
  eq(#assert(p:wait(0)), 0)
  p:close()
end)

test("errors_map_to_nil_message_errno_name", function()
  local p = poller()
  local r = H.ready_pipe()
  assert(p:register(r, repoll.IN))
  fails("EEXIST", p.register, p, r, repoll.IN)
  local r2 = H.pipe()
  fails("ENOENT", p.modify, p, r2, repoll.IN)
  fails("ENOENT", p.unregister, p, r2)
  local a, b = H.pipe()
  C.close(a)
  C.close(b)
  fails("EBADF", p.register, p, a)
  local name = os.tmpname()
  local f = assert(io.open(name, "w"))
  os.remove(name)
  fails("EPERM", p.register, p, f) -- a regular file
  f:close()
  fails("EBADF", p.register, p, f) -- a closed io file
  fails("EINVAL", p.register, p, r2, bit.lshift(1, 20))
  fails("EINVAL", p.register, p, p:fd())
  fails("EINVAL", p.register, p, p) -- a poller stands for its fd
  fails("EINVAL", p.register, p, r2, repoll.EXCLUSIVE + repoll.ONESHOT)
  fails("EINVAL", p.modify, p, r, repoll.IN + repoll.EXCLUSIVE)
  fails("EINVAL", p.add_timer, p, -1)
  fails("EINVAL", p.add_timer, p, 1, -0.5)
  fails("EINVAL", p.add_signal, p, "KILL")
  p:close()
end)

test("arguments_c_cannot_hold_raise_errors", function()
  local p = poller()
  local r = H.ready_pipe()
  raises("data must be an integer", p.register, p, r, repoll.IN, -1)
  raises("data must be an integer", p.register, p, r, repoll.IN, 2 ^ 64)
  raises("data must be an integer", p.register, p, r, repoll.IN, 1.5)
  raises("data must not be negative", p.register, p, r, repoll.IN, -1LL)
  raises("data must be a number", p.register, p, r, repoll.IN, "1")
  raises("events must be a 32%-bit mask", p.register, p, r, 2 ^ 32)
  raises("fd must be a C int", p.register, p, 2 ^ 40 + r)
  raises("fd, io file or object", p.register, p, "0")
  raises("fd, io file or object", p.register, p, {})
  raises("NaN", p.wait, p, 0 / 0)
  raises("seconds must be a number", p.wait, p, "1")
  raises("table expected", p.wait, p, 0, 5)
  raises("unknown signal name", p.add_signal, p, "NOPE")
  eq(#assert(p:wait(0)), 0, "nothing got registered")
  p:close()
end)

test("bit_bor_masks_with_et_are_accepted", function()
  local p = poller()
  local r = H.ready_pipe()
  local mask = bit.bor(repoll.IN, repoll.ET)
  ok(mask < 0, "LuaJIT's bit.bor makes bit 31 negative")
  assert(p:register(r, mask, 3))
  eq(assert(p:wait(HANG))[1].data, 3)
  eq(#assert(p:wait(0)), 0, "edge-triggered: reported once")
  p:close()
end)

test("io_files_and_objects_with_getfd_register", function()
  local p = poller()
  local r, w = H.pipe()
  local sock_like = { getfd = function() return r end }
  assert(p:register(sock_like, repoll.IN, 1))
  C.write(w, "x", 1)
  eq(assert(p:wait(HANG))[1].data, 1)
  local proc = assert(io.popen("echo hi"))
  assert(p:register(proc, repoll.IN, 2))
  local seen = {}
  while not (seen[1] and seen[2]) do
    for data in p:events(HANG) do seen[data] = true end
  end
  proc:close()
  p:close()
end)

-- ---- events and data ------------------------------------------------------------

test("data_above_2_53_round_trips_as_uint64_cdata", function()
  local p = poller()
  local r = H.ready_pipe()
  local values = { 0x20000000000001ULL, 0xffffffffffffffffULL, 0x8000000000000000ULL,
    0x7fffffffffffffffULL, 2 ^ 53 + 2 }
  math.randomseed(1234)
  for _ = 1, 100 do
    local v = 0ULL
    for _ = 1, 4 do v = v * 65536 + math.random(0, 65535) end
    values[#values + 1] = v
  end
  assert(p:register(r, repoll.IN, 0))
  for _, v in ipairs(values) do
    assert(p:modify(r, repoll.IN, v))
    local got = assert(p:wait(HANG))[1].data
    local want = ffi.cast("uint64_t", v)
    if want < 2 ^ 53 then
      eq(type(got), "number", tostring(v))
      eq(got, tonumber(want))
    else
      ok(ffi.istype("uint64_t", got), "not a uint64_t: " .. tostring(got))
      ok(got == want, ("%s came back as %s"):format(tostring(want), tostring(got)))
    end
  end
  p:close()
end)

test("data_below_2_53_comes_back_as_the_same_number", function()
  local p = poller()
  local r = H.ready_pipe()
  for _, v in ipairs { 0, 1, 2 ^ 32, 2 ^ 53 - 1, 123456789012345 } do
    assert(p:register(r, repoll.IN, v))
    local got = assert(p:wait(HANG))[1].data
    eq(type(got), "number")
    eq(got, v)
    local t = { [v] = true }
    ok(t[got], "usable as a table key")
    assert(p:unregister(r))
  end
  p:close()
end)

test("maxevents_bounds_each_wait_and_into_is_reused", function()
  local p = poller { maxevents = 3 }
  eq(p:max_events(), 3)
  for i = 1, 5 do
    local r = H.ready_pipe()
    assert(p:register(r, repoll.IN + repoll.ONESHOT, i))
  end
  local list = { "stale", "stale", "stale", "stale" }
  local got = assert(p:wait(HANG, list))
  ok(got == list, "the list given is returned")
  eq(#list, 3)
  local rest = assert(p:wait(HANG, list))
  eq(#rest, 2, "the rest, stale entries cleared")
  p:close()
end)

test("events_iterator_reads_the_buffer", function()
  local p = poller()
  local r = H.ready_pipe()
  assert(p:register(r, repoll.IN, 0x20000000000001ULL))
  local n = 0
  for data, events in p:events(HANG) do
    n = n + 1
    ok(data == 0x20000000000001ULL)
    eq(events, repoll.IN)
  end
  eq(n, 1)
  p:close()
end)

test("out_and_hangup_bits", function()
  local p = poller()
  local r, w = H.pipe()
  assert(p:register(w, repoll.OUT, 5))
  eq(assert(p:wait(HANG))[1].events, repoll.OUT)
  assert(p:unregister(w))
  assert(p:register(r, repoll.IN, 6))
  C.close(w)
  local ev = assert(p:wait(HANG))[1]
  ok(bit.band(ev.events, repoll.HUP) ~= 0, ("no HUP in 0x%x"):format(ev.events))
  p:close()
end)

-- ---- timeouts and non-blocking use ------------------------------------------------

test("zero_timeout_polls", function()
  local p = poller()
  local list = assert(p:wait(0))
  eq(#list, 0)
  p:close()
end)

test("a_timeout_never_returns_early", function()
  local p = poller()
  for _, t in ipairs { 0.001, 0.02, 0.05 } do
    local t0 = H.now()
    eq(#assert(p:wait(t)), 0)
    local dt = H.now() - t0
    ok(dt >= t, ("wait(%g) returned after %g s"):format(t, dt))
  end
  p:close()
end)

test("nil_negative_and_huge_timeouts_block_not_wrap", function()
  local p = poller()
  for _, t in ipairs { false, -1, 1e300, math.huge } do
    assert(p:wake())
    local evs = assert(p:wait(t or nil))
    eq(#evs, 1)
    eq(evs[1].events, repoll.WAKE)
  end
  p:close()
end)

test("nesting_through_fd_keeps_the_host_loop_free", function()
  -- The host loop watches the poller's fd and calls wait(0) only when it is
  -- readable: the Lua state never blocks in repoll.
  local inner, outer = poller(), poller()
  assert(outer:register(inner, repoll.IN, 42)) -- a poller stands for its fd
  eq(#assert(outer:wait(0)), 0)
  assert(inner:wake())
  local evs = assert(outer:wait(HANG))
  eq(evs[1].data, 42)
  local got = assert(inner:wait(0))
  eq(got[1].events, repoll.WAKE)
  eq(#assert(outer:wait(0)), 0, "drained")
  inner:close()
  outer:close()
end)

-- ---- timers ------------------------------------------------------------------------

test("one_shot_timer_never_early", function()
  local p = poller()
  local t0 = H.now()
  local id = assert(p:add_timer(0.03, 0, 9))
  eq(type(id), "number")
  ok(id > 0 and id < 2 ^ 53)
  local evs = assert(p:wait(HANG))
  ok(H.now() - t0 >= 0.03, "fired early")
  eq(evs[1].data, 9)
  eq(evs[1].events, repoll.TIMER)
  fails("ENOENT", p.cancel_timer, p, id)
  p:close()
end)

test("interval_timer_repeats_and_cancel_stops_it", function()
  local p = poller()
  local t0 = H.now()
  local id = assert(p:add_timer(0.01, 0.01, 4))
  for i = 1, 3 do
    local ev = assert(p:wait(HANG))[1]
    eq(ev.events, repoll.TIMER)
    eq(ev.data, 4)
    ok(H.now() - t0 >= 0.01 * i, "tick " .. i .. " early")
  end
  eq(p:cancel_timer(id), true)
  eq(#assert(p:wait(0.05)), 0, "no tick after cancel")
  fails("ENOENT", p.cancel_timer, p, id)
  p:close()
end)

test("zero_first_timer_is_due_at_once_and_ids_are_distinct", function()
  local p = poller()
  local seen = {}
  for i = 1, 50 do
    local id = assert(p:add_timer(0, 0, i))
    ok(not seen[id], "id reused")
    seen[id] = true
  end
  local n = 0
  while n < 50 do
    local evs = assert(p:wait(HANG))
    n = n + #evs
  end
  eq(n, 50)
  p:close()
end)

-- ---- wake and threads ---------------------------------------------------------------

test("wake_coalesces", function()
  local p = poller()
  assert(p:wake())
  assert(p:wake())
  local evs = assert(p:wait(HANG))
  eq(#evs, 1)
  eq(evs[1].data, 0)
  eq(evs[1].events, repoll.WAKE)
  eq(#assert(p:wait(0)), 0)
  p:close()
end)

test("wake_from_a_native_thread_started_on_repoll_wake", function()
  -- repoll_wake itself as the thread's start routine (see README: Threads).
  ffi.cdef [[
  typedef unsigned long repoll_test_pthread_t;
  int pthread_create(repoll_test_pthread_t *t, const void *attr, void *(*start)(void *), void *arg);
  int pthread_join(repoll_test_pthread_t t, void **ret);
  ]]
  local p = poller()
  local tid = ffi.new("repoll_test_pthread_t[1]")
  local start = ffi.cast("void *(*)(void *)", repoll.lib.repoll_wake)
  eq(C.pthread_create(tid, nil, start, p:handle()), 0)
  local evs = assert(p:wait(HANG))
  eq(C.pthread_join(tid[0], nil), 0)
  eq(evs[1].events, repoll.WAKE)
  p:close()
end)

local function need_threads()
  if not H.threads_available() then skip("this luajit does not export the Lua C API") end
end

test("a_blocked_wait_returns_on_a_wake_from_another_thread", function()
  need_threads()
  local p = poller()
  local th = H.spawn([[
    local pid = ffi.C.getpid()
    for _ = 1, 10000 do
      if H.main_thread_in_epoll_wait(pid) then shared[1] = 1 break end
      ffi.C.usleep(1000)
    end
    shared[2] = repoll.lib.repoll_wake(ep)
  ]], p:handle())
  local evs = assert(p:wait(HANG))
  local shared = th.join()
  eq(tonumber(shared[1]), 1, "the main thread was seen blocked")
  eq(tonumber(shared[2]), 0)
  eq(#evs, 1)
  eq(evs[1].events, repoll.WAKE)
  p:close()
end)

test("other_threads_run_and_register_while_the_lua_state_waits", function()
  need_threads()
  local p = poller()
  local r, w = H.pipe()
  local th = H.spawn(([[
    local pid = ffi.C.getpid()
    for _ = 1, 10000 do
      if H.main_thread_in_epoll_wait(pid) then break end
      ffi.C.usleep(1000)
    end
    shared[1] = repoll.lib.repoll_add(ep, %d, repoll.IN, 77)
    shared[2] = ffi.C.write(%d, "x", 1)
  ]]):format(r, w), p:handle())
  local evs = assert(p:wait(HANG))
  local shared = th.join()
  eq(tonumber(shared[1]), 0)
  eq(tonumber(shared[2]), 1)
  eq(evs[1].data, 77)
  p:close()
end)

test("closing_during_a_blocked_wait_is_ebadf_and_forgets_the_handle", function()
  need_threads()
  local p = poller()
  local fd = p:fd()
  local th = H.spawn([[
    local pid = ffi.C.getpid()
    for _ = 1, 10000 do
      if H.main_thread_in_epoll_wait(pid) then
        shared[1] = repoll.lib.repoll_close(ep)
        return
      end
      ffi.C.usleep(1000)
    end
    shared[1] = -1000 -- never saw the wait: wake it rather than risk a use after free
    repoll.lib.repoll_wake(ep)
  ]], p:handle())
  local res = { p:wait(HANG) }
  local shared = th.join()
  eq(tonumber(shared[1]), 0, "repoll_close in the other thread")
  eq(res[1], nil)
  eq(res[4], "EBADF")
  eq(p:closed(), true, "the poller forgot the freed handle")
  eq(p:close(), true)
  fails("EBADF", p.wait, p, 0)
  ok(H.fd_target(fd) ~= "anon_inode:[eventpoll]", "the epoll fd is closed")
  p = nil
  collectgarbage() -- __gc must not close it again
end)

-- ---- signals -------------------------------------------------------------------------

local SIGUSR1 = repoll.signals.USR1
local SIGUSR2 = repoll.signals.USR2

test("a_blocked_signal_comes_back_as_an_event", function()
  if not SIGUSR1 then skip("no sigabbrev_np: signal names unknown") end
  local old = assert(repoll.block_signals("USR1"))
  local p = poller()
  assert(p:add_signal("SIGUSR1", 5))
  fails("EEXIST", p.add_signal, p, SIGUSR1)
  eq(C.kill(C.getpid(), SIGUSR1), 0)
  local evs = assert(p:wait(HANG))
  eq(#evs, 1)
  eq(evs[1].data, 5)
  eq(evs[1].events, repoll.SIGNAL)
  assert(p:remove_signal(SIGUSR1))
  fails("ENOENT", p.remove_signal, p, "USR1")
  assert(p:add_signal(SIGUSR1)) -- data defaults to the number
  eq(C.kill(C.getpid(), SIGUSR1), 0)
  eq(assert(p:wait(HANG))[1].data, SIGUSR1)
  p:close()
  assert(repoll.set_signal_mask(old))
end)

-- Sends SIGUSR2 to the main thread once it blocks in a wait; abs() is its
-- C handler (harmless: it ignores what its argument means).
local function interrupt_blocked_wait(p)
  ffi.cdef [[
  unsigned long pthread_self(void);
  int pthread_kill(unsigned long thread, int sig);
  ]]
  local prev = C.signal(SIGUSR2, ffi.cast("repoll_test_sighandler", C.abs))
  local th = H.spawn(([[
    ffi.cdef "int pthread_kill(unsigned long thread, int sig);"
    local pid = ffi.C.getpid()
    for _ = 1, 10000 do
      if H.main_thread_in_epoll_wait(pid) then break end
      ffi.C.usleep(1000)
    end
    shared[1] = ffi.C.pthread_kill(%s, %d)
  ]]):format(tostring(C.pthread_self()), SIGUSR2), p:handle()) -- "<n>ULL": a literal
  return function()
    local shared = th.join()
    C.signal(SIGUSR2, prev)
    eq(tonumber(shared[1]), 0, "pthread_kill")
  end
end

test("a_c_signal_handler_makes_a_wait_return_eintr", function()
  need_threads()
  if not SIGUSR2 then skip("no sigabbrev_np: signal names unknown") end
  local p = poller()
  local done = interrupt_blocked_wait(p)
  fails("EINTR", p.wait, p, HANG)
  done()
  p:close()
end)

test("retry_eintr_keeps_waiting_after_a_handler", function()
  need_threads()
  if not SIGUSR2 then skip("no sigabbrev_np: signal names unknown") end
  local p = poller { flags = repoll.CLOEXEC + repoll.RETRY_EINTR }
  local done = interrupt_blocked_wait(p)
  local t0 = H.now()
  assert(p:add_timer(0.3, 0, 8))
  local evs = assert(p:wait(HANG))
  done()
  eq(evs[1].data, 8, "the wait went on until the timer")
  ok(H.now() - t0 >= 0.3)
  p:close()
end)

test("pwait_installs_the_mask_for_the_wait_only", function()
  if not SIGUSR2 then skip("no sigabbrev_np: signal names unknown") end
  -- A harmless C handler (abs ignores its argument's meaning), so that
  -- letting SIGUSR2 in interrupts the wait instead of killing the process.
  local prev = C.signal(SIGUSR2, ffi.cast("repoll_test_sighandler", C.abs))
  local old = assert(repoll.block_signals(SIGUSR2))
  local p = poller()
  eq(C.kill(C.getpid(), SIGUSR2), 0) -- pending, blocked
  local t0 = H.now()
  eq(#assert(p:pwait(0.02, { SIGUSR2 })), 0, "a mask blocking it: a plain timeout")
  ok(H.now() - t0 >= 0.02)
  fails("EINTR", p.pwait, p, HANG, repoll.sigset()) -- an empty mask lets it in
  assert(p:wake())
  eq(assert(p:pwait(HANG, nil))[1].events, repoll.WAKE, "nil mask: a plain wait")
  p:close()
  assert(repoll.set_signal_mask(old))
  C.signal(SIGUSR2, prev)
end)

-- ---- batch ----------------------------------------------------------------------------

test("batch_applies_every_op_and_reports_each_result", function()
  local p = poller()
  local r1 = H.ready_pipe()
  local r2 = H.ready_pipe()
  local a, b = H.pipe()
  C.close(a)
  C.close(b)
  local n, results = p:batch {
    { "add", r1, repoll.IN, 1 },
    { op = "add", fd = a },
    { "add", r2, repoll.IN, 2 },
    { "modify", r2, repoll.IN, 0x20000000000001ULL }, -- after its add, in order
    { repoll.CTL_ADD, r1 },
  }
  eq(n, 3)
  eq(results[1], 0)
  eq(results[2], repoll.errno.EBADF)
  eq(results[3], 0)
  eq(results[4], 0)
  eq(results[5], repoll.errno.EEXIST)
  local seen = {}
  for data in p:events(HANG) do seen[tostring(data)] = true end
  ok(seen["1"] and seen["9007199254740993ULL"], "both registrations report")
  local m, res = p:batch { { "delete", r1 }, { "delete", r1 } }
  eq(m, 1)
  eq(res[2], repoll.errno.ENOENT)
  eq((p:batch {}), 0)
  raises("unknown op", p.batch, p, { { "frobnicate", r1 } })
  p:close()
  fails("EBADF", p.batch, p, { { "add", r2 } })
end)

-- ---- loading ---------------------------------------------------------------------------

local LOAD = ("package.path = %q .. '/?.lua;' .. package.path\nlocal r = require 'repoll'\nprint(r.LIBRARY_PATH)"):format(HERE)

test("a_missing_repoll_library_is_a_clear_error", function()
  local status, out = run_lua(LOAD, { REPOLL_LIBRARY = "/nonexistent/librepoll.so" })
  ok(status ~= 0, out)
  ok(out:find("REPOLL_LIBRARY: /nonexistent/librepoll.so (no such file)", 1, true), out)
  ok(out:find("make build", 1, true), out)
end)

test("repoll_library_that_is_not_a_library_is_refused", function()
  local status, out = run_lua(LOAD, { REPOLL_LIBRARY = repoll.HEADER_PATH })
  ok(status ~= 0, out)
  ok(out:find("cannot load the shared library", 1, true), out)
end)

test("the_build_tree_is_searched_without_repoll_library", function()
  local has_build = H.read_file(ROOT .. "/target/release/librepoll.so")
      or H.read_file(ROOT .. "/target/debug/librepoll.so")
  if not has_build then skip("no build tree library") end
  local status, out = run_lua(LOAD, { REPOLL_LIBRARY = false })
  if status ~= 0 and out:find("come from different versions", 1, true) then
    -- A release build older than include/ (make build not rerun): refused
    -- by name, which shows it was found all the same.
    ok(out:find("/target/release/librepoll.so", 1, true), out)
    return
  end
  eq(status, 0, out)
  ok(out:find("/target/", 1, true), out)
end)

test("a_library_older_than_its_declarations_is_refused", function()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute(("mkdir -p '%s' && grep -v repoll_ctl_batch '%s' > '%s/old_ffi.h' && echo 'int repoll_no_such_function(void);' >> '%s/old_ffi.h'")
    :format(dir, repoll.HEADER_PATH, dir, dir))
  local status, out = run_lua(LOAD, { REPOLL_FFI_HEADER = dir .. "/old_ffi.h" })
  os.execute(("rm -rf '%s'"):format(dir))
  ok(status ~= 0, out)
  ok(out:find("declares repoll_no_such_function, which " .. repoll.LIBRARY_PATH
    .. " does not export", 1, true), out)
end)

test("a_library_without_its_declarations_is_a_clear_error", function()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute(("mkdir -p '%s/lib' && cp '%s' '%s/lib/librepoll.so'"):format(dir, repoll.LIBRARY_PATH, dir))
  local status, out = run_lua(LOAD, { REPOLL_LIBRARY = dir .. "/lib/librepoll.so" })
  os.execute(("rm -rf '%s'"):format(dir))
  if status == 0 then skip("repoll_ffi.h is installed system-wide") end
  ok(out:find("cannot find repoll_ffi.h", 1, true), out)
  ok(out:find(dir:match("[^/]+$") .. "/include/repoll_ffi.h", 1, true), out)
  ok(out:find("REPOLL_FFI_HEADER", 1, true), out)
end)

-- A copy of repoll.lua alone in a temporary directory (no build tree
-- around it); fn(dir) runs, then the directory is removed.
local function with_lone_module(fn)
  local dir = os.tmpname()
  os.remove(dir)
  os.execute(("mkdir -p '%s/a/b' && cp '%s/repoll.lua' '%s/a/b/'"):format(dir, HERE, dir))
  local res = { pcall(fn, dir) }
  os.execute(("rm -rf '%s'"):format(dir))
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2)
end

local LONE = "package.path = %q .. '/a/b/?.lua;' .. package.path\n"
  .. "local r = require 'repoll'\nprint(r.LIBRARY_PATH, r.HEADER_PATH)"

test("nothing_found_lists_every_place_tried", function()
  local status, out = with_lone_module(function(dir)
    return run_lua(LONE:format(dir), { REPOLL_LIBRARY = false, LD_LIBRARY_PATH = false })
  end)
  if status == 0 then skip("librepoll is installed on this system: " .. out) end
  for _, want in ipairs { "/a/b/../../target/release/librepoll.so (no such file)",
    "/a/b/../../target/debug/librepoll.so (no such file)", "librepoll.so.0", "REPOLL_LIBRARY",
    "make build" } do
    ok(out:find(want, 1, true), want .. " not in:\n" .. out)
  end
end)

test("an_installed_prefix_is_found_through_the_soname", function()
  -- <prefix>/lib/librepoll.so.0 found by the dynamic linker, and
  -- <prefix>/share/repoll/repoll_ffi.h beside it, as `make install` lays out.
  local status, out = with_lone_module(function(dir)
    os.execute(("mkdir -p '%s/lib' '%s/share/repoll' && cp '%s' '%s/lib/librepoll.so.0' && cp '%s' '%s/share/repoll/'")
      :format(dir, dir, repoll.LIBRARY_PATH, dir, repoll.HEADER_PATH, dir))
    return run_lua(LONE:format(dir), { REPOLL_LIBRARY = false, LD_LIBRARY_PATH = dir .. "/lib" })
  end)
  eq(status, 0, out)
  ok(out:find("/lib/librepoll.so.0\t", 1, true), out)
  ok(out:find("/share/repoll/repoll_ffi.h", 1, true), out)
end)

test("repoll_ffi_header_names_the_declarations", function()
  local dir = os.tmpname()
  os.remove(dir)
  os.execute(("mkdir -p '%s' && cp '%s' '%s/librepoll.so'"):format(dir, repoll.LIBRARY_PATH, dir))
  local status, out = run_lua(LOAD .. "\nprint(r.HEADER_PATH)",
    { REPOLL_LIBRARY = dir .. "/librepoll.so", REPOLL_FFI_HEADER = repoll.HEADER_PATH })
  os.execute(("rm -rf '%s'"):format(dir))
  eq(status, 0, out)
  ok(out:find(repoll.HEADER_PATH, 1, true), out)
end)

-- ---- examples and README -------------------------------------------------------------------

test("examples_pass_their_self_tests", function()
  local n = 0
  for name in io.popen(("ls '%s/examples'"):format(HERE)):lines() do
    if name:match("%.lua$") then
      n = n + 1
      local pipe = io.popen(("'%s' '%s/examples/%s' --self-test 2>&1; echo \"exit=$?\""):format(LUAJIT, HERE, name))
      local out = pipe:read("*a")
      pipe:close()
      eq(out:match("exit=(%d+)%s*$"), "0", name .. ":\n" .. out)
    end
  end
  ok(n >= 1, "no example found")
end)

test("the_readme_example_runs_as_written", function()
  local readme = assert(H.read_file(HERE .. "/README.md"))
  local code = assert(readme:match("```lua\n(.-)```"), "no ```lua block in README.md")
  local status, out = run_lua(("package.path = %q .. '/?.lua;' .. package.path\n"):format(HERE) .. code)
  eq(status, 0, out)
  ok(out:find("hello"), out)
end)

-- ---- run --------------------------------------------------------------------------------

local pattern = arg and arg[1]
local passed, failed, skipped = 0, 0, 0
for _, t in ipairs(tests) do
  if not pattern or t.name:find(pattern) then
    local good, err = xpcall(t.fn, function(e)
      if getmetatable(e) == SKIP then return e end
      return debug.traceback(tostring(e), 2)
    end)
    H.close_all()
    if good then
      passed = passed + 1
      print("ok      " .. t.name)
    elseif getmetatable(err) == SKIP then
      skipped = skipped + 1
      print("skipped " .. t.name .. ": " .. err.reason)
    else
      failed = failed + 1
      print("FAILED  " .. t.name .. "\n" .. err)
    end
  end
end
collectgarbage()
print(("lua: %d passed, %d failed, %d skipped"):format(passed, failed, skipped))
os.exit(failed == 0 and 0 or 1)
