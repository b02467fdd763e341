-- What crossing the FFI costs from LuaJIT: one wait that returns one event,
-- one registration, through the binding and through repoll.lib directly.
--
--     luajit bindings/lua/bench/bench.lua [ITERATIONS]     (default 100000)
--
-- Each figure is the median of 7 runs of ITERATIONS calls (after a warm-up
-- that lets the JIT compile the loop), in ns per call of CPU time
-- (CLOCK_PROCESS_CPUTIME_ID: no call blocks, so this is the wall time
-- without the preemption a shared machine adds). The library is found as repoll.lua finds it
-- (REPOLL_LIBRARY, else the build tree: use `make build` for the release one).
local here = (debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/[^/]*$")) or "."
package.path = here .. "/../?.lua;" .. package.path

local ffi = require "ffi"
local repoll = require "repoll"
local lib = repoll.lib
local C = ffi.C

ffi.cdef [[
int pipe(int fds[2]);
long write(int fd, const void *buf, size_t n);
int close(int fd);
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]

local N = tonumber(arg[1]) or 100000
local RUNS = 7

local ts = ffi.new("bench_timespec")
local function now_ns()
  C.clock_gettime(2, ts) -- CLOCK_PROCESS_CPUTIME_ID
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

-- ns per call of fn(n), the median of RUNS runs.
local function measure(fn)
  fn(math.min(N, 10000)) -- warm-up: JIT-compile the loop
  local t = {}
  for i = 1, RUNS do
    local t0 = now_ns()
    fn(N)
    t[i] = (now_ns() - t0) / N
  end
  table.sort(t)
  return t[math.ceil(RUNS / 2)]
end

local fds = ffi.new("int[2]")
assert(C.pipe(fds) == 0)
local r, w = fds[0], fds[1]
assert(C.write(w, "x", 1) == 1) -- r stays readable: every wait returns one event

local p = assert(repoll.new { maxevents = 64 })
local h = p:handle()
local results = {}
local function report(name, ns)
  results[#results + 1] = ("%-38s %8.0f ns"):format(name, ns)
end

assert(p:register(r, repoll.IN, 1))
report("wait, one event: p:wait(0)", measure(function(n)
  for _ = 1, n do
    local evs = p:wait(0)
    if evs[1].data ~= 1 then error("wrong event") end
  end
end))
local into = {}
report("wait, one event: p:wait(0, into)", measure(function(n)
  for _ = 1, n do
    local evs = p:wait(0, into)
    if evs[1].data ~= 1 then error("wrong event") end
  end
end))
report("wait, one event: for .. in p:events(0)", measure(function(n)
  for _ = 1, n do
    for data in p:events(0) do
      if data ~= 1 then error("wrong event") end
    end
  end
end))
local buf = ffi.new("repoll_event_t[64]")
report("wait, one event: lib.repoll_wait_ns", measure(function(n)
  for _ = 1, n do
    if lib.repoll_wait_ns(h, buf, 64, 0) ~= 1 then error("wrong count") end
  end
end))
assert(p:unregister(r))

report("register + unregister: p:register/unregister", measure(function(n)
  for _ = 1, n do
    p:register(r, repoll.IN, 1)
    p:unregister(r)
  end
end))
report("register + unregister: lib.repoll_add/delete", measure(function(n)
  for _ = 1, n do
    lib.repoll_add(h, r, 1, 1)
    lib.repoll_delete(h, r)
  end
end))
assert(p:register(r, repoll.IN, 1))
report("modify: p:modify", measure(function(n)
  for i = 1, n do p:modify(r, repoll.IN, i) end
end))
report("modify: lib.repoll_modify", measure(function(n)
  for i = 1, n do lib.repoll_modify(h, r, 1, i) end
end))
assert(p:unregister(r))

-- Registration of many fds: one batch of 100 modify ops per call.
local ops = {}
for i = 1, 100 do ops[i] = { "modify", r, repoll.IN, i } end
assert(p:register(r, repoll.IN, 0))
report("modify x100 in one p:batch, per op", measure(function(n)
  for _ = 1, n / 100 do p:batch(ops) end
end))
assert(p:unregister(r))

p:close()
C.close(r)
C.close(w)
print(("repoll %s, LuaJIT %s (%s), %d iterations, median of %d runs:"):format(
  repoll.version(), jit.version, jit.status() and "JIT on" or "JIT off", N, RUNS))
print(table.concat(results, "\n"))
print("library: " .. repoll.LIBRARY_PATH)
