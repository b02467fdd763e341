-- What the LuaJIT tests need beyond the binding: pipes, a monotonic clock,
-- signals, /proc, and native threads running Lua (LuaJIT has none of its own).
local ffi = require "ffi"
local C = ffi.C

ffi.cdef [[
int pipe(int fds[2]);
long write(int fd, const void *buf, size_t n);
long read(int fd, void *buf, size_t n);
int close(int fd);
int getpid(void);
int kill(int pid, int sig);
int usleep(unsigned int usec);
long readlink(const char *path, char *buf, size_t size);
typedef struct { long tv_sec; long tv_nsec; } repoll_test_timespec;
int clock_gettime(int clock, repoll_test_timespec *ts);
typedef void (*repoll_test_sighandler)(int);
repoll_test_sighandler signal(int sig, repoll_test_sighandler handler);
int abs(int);

typedef struct lua_State lua_State;
lua_State *luaL_newstate(void);
void luaL_openlibs(lua_State *L);
int luaL_loadstring(lua_State *L, const char *s);
int lua_pcall(lua_State *L, int nargs, int nresults, int errfunc);
double lua_tonumber(lua_State *L, int idx);
const char *lua_tolstring(lua_State *L, int idx, size_t *len);
void lua_getfield(lua_State *L, int idx, const char *k);
void lua_close(lua_State *L);
typedef unsigned long repoll_test_pthread_t;
int pthread_create(repoll_test_pthread_t *t, const void *attr, void *(*start)(void *), void *arg);
int pthread_join(repoll_test_pthread_t t, void **ret);
]]

local H = {}

local CLOCK_MONOTONIC = 1
local LUA_GLOBALSINDEX = -10002

function H.now()
  local ts = ffi.new("repoll_test_timespec")
  C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local open_fds = {}

--- A pipe: read end, write end (closed by H.close_all).
function H.pipe()
  local fds = ffi.new("int[2]")
  assert(C.pipe(fds) == 0, "pipe failed")
  open_fds[#open_fds + 1] = fds[0]
  open_fds[#open_fds + 1] = fds[1]
  return fds[0], fds[1]
end

--- A pipe whose read end is readable.
function H.ready_pipe()
  local r, w = H.pipe()
  assert(C.write(w, "x", 1) == 1)
  return r, w
end

function H.close_all()
  for i = #open_fds, 1, -1 do
    C.close(open_fds[i])
    open_fds[i] = nil
  end
end

--- What /proc/self/fd/<fd> links to, or nil.
function H.fd_target(fd)
  local buf = ffi.new("char[256]")
  local n = C.readlink("/proc/self/fd/" .. fd, buf, 256)
  if n < 0 then return nil end
  return ffi.string(buf, n)
end

function H.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- True while the main thread sleeps in an epoll wait system call.
function H.main_thread_in_epoll_wait(pid)
  local task = "/proc/self/task/" .. pid .. "/"
  local stat = H.read_file(task .. "stat")
  if not stat or not stat:match("%) S ") then return false end
  local wchan = H.read_file(task .. "wchan")
  if wchan and wchan ~= "" and wchan ~= "0" then
    return wchan:find("ep_poll") ~= nil or wchan:find("epoll") ~= nil
  end
  local nr = tonumber((H.read_file(task .. "syscall") or ""):match("^(%d+)"))
  if nr then -- x86-64 epoll_wait, epoll_pwait; aarch64 epoll_pwait; epoll_pwait2
    return nr == 232 or nr == 281 or nr == 22 or nr == 441
  end
  return true -- nothing else tells: sleeping is the best sign there is
end

--- Whether native threads running Lua can be started here: the interpreter
-- must export the Lua C API (luajit does) and pthread_create must resolve.
function H.threads_available()
  return pcall(function() return C.luaL_newstate and C.pthread_create end)
end

-- The prelude of a thread's Lua state: `run(shared, ep)` is the body;
-- shared is an int64_t[8]: [0] the repoll_t * address, [1..6] for results,
-- [7] set to -1 when the body raised (the message is in the global ERR).
local PRELUDE = [[
package.path = %q
local ffi = require "ffi"
local repoll = require "repoll"
local H = require "test.helpers"
local run = function(shared, ep) %s
end
CALLBACK = ffi.cast("void *(*)(void *)", function(arg)
  local shared = ffi.cast("int64_t *", arg)
  local ok, err = pcall(run, shared, ffi.cast("repoll_t *", shared[0]))
  if not ok then shared[7] = -1; ERR = tostring(err) end
  return nil
end)
return tonumber(ffi.cast("intptr_t", CALLBACK))
]]

--- Runs `body` (Lua source, the body of function(shared, ep) where repoll,
-- ffi, H are in scope) on a new native thread in a Lua state of its own.
-- ep is given as a repoll_t * to the body. Returns a thread with
-- :join() -> shared (raises the body's error).
function H.spawn(body, ep)
  local L = C.luaL_newstate()
  assert(L ~= nil, "luaL_newstate failed")
  C.luaL_openlibs(L)
  local src = PRELUDE:format(package.path, body)
  if C.luaL_loadstring(L, src) ~= 0 or C.lua_pcall(L, 0, 1, 0) ~= 0 then
    local msg = ffi.string(C.lua_tolstring(L, -1, nil))
    C.lua_close(L)
    error("thread state: " .. msg, 2)
  end
  local start = ffi.cast("void *(*)(void *)", C.lua_tonumber(L, -1))
  local shared = ffi.new("int64_t[8]")
  shared[0] = ffi.cast("intptr_t", ep)
  local tid = ffi.new("repoll_test_pthread_t[1]")
  assert(C.pthread_create(tid, nil, start, shared) == 0, "pthread_create failed")
  local thread = {}
  function thread.join()
    assert(C.pthread_join(tid[0], nil) == 0)
    local failed = shared[7] == -1
    local msg
    if failed then
      C.lua_getfield(L, LUA_GLOBALSINDEX, "ERR")
      msg = ffi.string(C.lua_tolstring(L, -1, nil))
    end
    C.lua_close(L)
    if failed then error("thread: " .. msg, 2) end
    return shared
  end
  return thread
end

return H
