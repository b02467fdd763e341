#!/usr/bin/env luajit
-- A ticker: a repeating repoll timer plus SIGINT/SIGTERM as events (the
-- LuaJIT twin of bindings/python/examples/ticker.py).
--
--     luajit ticker.lua [INTERVAL]   a tick every INTERVAL seconds (default 1)
--                                    until Ctrl-C or SIGTERM, then goodbye
--     luajit ticker.lua --self-test  20 ms ticks; after 3 it sends itself
--                                    SIGTERM and checks it came back as an event
--
-- The signals are blocked first, so they arrive as {data, SIGNAL} events
-- instead of killing the process; the loop handles them like any other event
-- and exits cleanly. (A signal a shell set to "ignore", SIGINT in a
-- background job, is discarded by the kernel even while blocked.)
local here = (debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/[^/]*$")) or "."
package.path = here .. "/../?.lua;" .. package.path -- run from the source tree

local ffi = require "ffi"
local bit = require "bit"
local repoll = require "repoll"

ffi.cdef [[
int kill(int pid, int sig);
int getpid(void);
typedef struct { long tv_sec; long tv_nsec; } ticker_timespec;
int clock_gettime(int clock, ticker_timespec *ts);
]]

local TICK = 1 -- timer data; signals use their number as data (the default)

local function now()
  local ts = ffi.new("ticker_timespec")
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local function signal_name(signo)
  for name, n in pairs(repoll.signals) do
    if n == signo then return "SIG" .. name end
  end
  return "signal " .. signo
end

local function run(interval, max_ticks, verbose)
  local old_mask = assert(repoll.block_signals("INT", "TERM"))
  local ticks, got_signal, start = 0, nil, now()
  repoll.with(function(p)
    assert(p:add_signal("INT"))
    assert(p:add_signal("TERM"))
    assert(p:add_timer(interval, interval, TICK))
    while not got_signal do
      for data, events in p:events() do -- nil timeout: block until something happens
        if bit.band(events, repoll.TIMER) ~= 0 then
          ticks = ticks + 1
          if verbose then print(("tick %d at %.3f s"):format(ticks, now() - start)) end
          if ticks == max_ticks then ffi.C.kill(ffi.C.getpid(), repoll.signals.TERM) end
        elseif bit.band(events, repoll.SIGNAL) ~= 0 then
          got_signal = data
        end
      end
    end
  end)
  -- Only now that the poller consumed it is it safe to unblock.
  assert(repoll.set_signal_mask(old_mask))
  if verbose then print(("%s after %d ticks: goodbye"):format(signal_name(got_signal), ticks)) end
  return ticks, got_signal, now() - start
end

if arg[1] == "--self-test" then
  local ticks, sig, elapsed = run(0.02, 3, false)
  local good = ticks == 3 and sig == repoll.signals.TERM and elapsed >= 0.06
  print(("ticker self-test: %d ticks, %s, %.3f s: %s"):format(
    ticks, signal_name(sig), elapsed, good and "ok" or "FAILED"))
  os.exit(good and 0 or 1)
end
run(tonumber(arg[1]) or 1.0, nil, true)
