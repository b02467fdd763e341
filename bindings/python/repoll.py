"""repoll: Linux epoll with a Rust core, for Python (ctypes; no compiler needed).

    import repoll, socket

    a, b = socket.socketpair()
    with repoll.Poller() as poller:
        poller.register(a, repoll.IN, data=1)
        b.send(b"x")
        print(poller.wait(1.0))          # [(1, repoll.IN)]

The shared library is looked up, in this order:

1. the path in the environment variable ``REPOLL_LIBRARY`` (when it is set,
   nothing else is tried, so a typo is an error rather than a surprise);
2. the build tree: ``../../target/release/librepoll.so``, then
   ``../../target/debug/librepoll.so``, relative to this file;
3. the system search path: ``ctypes.util.find_library("repoll")``, then
   ``librepoll.so.0`` (``LD_LIBRARY_PATH``, ``ldconfig``'s cache, ...).

The constants (``IN``, ``ET``, ``CTL_ADD``, ...: ``REPOLL_X`` is ``X``) come
from ``repoll.json``, the API description generated with the header, found
beside the library that was loaded: ``include/repoll.json`` of its build tree,
or ``share/repoll/repoll.json`` of its installation prefix (or the path in
``REPOLL_API_JSON``). ``API_PATH`` tells which file was read.

Errors are raised as ``OSError(errno, os.strerror(errno))``, which Python
turns into the matching subclass: ``FileExistsError`` (EEXIST),
``FileNotFoundError`` (ENOENT), ``PermissionError`` (EPERM), ... A value that
cannot be passed to C at all (an fd, data or event mask out of range) is a
``ValueError``; a caught Rust panic (``REPOLL_EPANIC``) is a ``RuntimeError``.

Threads: ctypes releases the GIL around every library call, so a ``wait``
blocked in one thread does not stop the others. Every ``Poller`` method may
be called from several threads at once; ``close()`` while another thread
waits makes that wait raise ``OSError(EBADF)`` promptly.
"""

import array
import ctypes
import ctypes.util
import errno as _errno
import json
import math
import operator
import os
import signal as _signal
import struct
import sys
import threading
import time

VERSION_MAJOR = 0  # the library major version this binding speaks

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1
_I64_MAX = 2**63 - 1
_NS_PER_S = 1_000_000_000


# ---- the C types ------------------------------------------------------------

class Event(ctypes.Structure):
    """``repoll_event_t``: 16 naturally aligned bytes on every architecture
    (unlike the kernel's ``struct epoll_event``, which is packed on x86-64)."""

    _fields_ = [
        ("data", ctypes.c_uint64),
        ("events", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


assert ctypes.sizeof(Event) == 16, "repoll_event_t must be 16 bytes"
assert ctypes.alignment(Event) == 8, "repoll_event_t must be 8-byte aligned"

_EVENT = struct.Struct("=QII")  # how one Event is unpacked from the buffer
assert _EVENT.size == ctypes.sizeof(Event)


class CtlOp(ctypes.Structure):
    """``repoll_ctl_op_t``: one operation of ``repoll_ctl_batch`` (24 bytes,
    alignment 8, on every architecture). The library writes ``result``
    only. ``Poller.register_many`` builds arrays of these for you."""

    _fields_ = [
        ("op", ctypes.c_int32),
        ("fd", ctypes.c_int32),
        ("events", ctypes.c_uint32),
        ("result", ctypes.c_int32),
        ("data", ctypes.c_uint64),
    ]


assert ctypes.sizeof(CtlOp) == 24, "repoll_ctl_op_t must be 24 bytes"
assert ctypes.alignment(CtlOp) == 8, "repoll_ctl_op_t must be 8-byte aligned"

_CTL_OP = struct.Struct("=iiIiQ")  # how one CtlOp is packed into the buffer
assert _CTL_OP.size == ctypes.sizeof(CtlOp)
_LITTLE_ENDIAN = sys.byteorder == "little"


class _Sigset(ctypes.Structure):
    """The C library's ``sigset_t`` (1024 bits on glibc and musl), filled by
    its own sigemptyset / sigaddset."""

    _fields_ = [("bits", ctypes.c_ulong * (1024 // (8 * ctypes.sizeof(ctypes.c_ulong))))]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.sigemptyset.argtypes = [ctypes.POINTER(_Sigset)]
_libc.sigaddset.argtypes = [ctypes.POINTER(_Sigset), ctypes.c_int]


def _sigset(signals):
    """A ``sigset_t`` holding ``signals`` (an iterable of signal numbers, as
    ``signal.pthread_sigmask`` takes). ValueError for a number outside
    [1, NSIG); the C library's own reserved signals are left out, as
    pthread_sigmask leaves them out."""
    mask = _Sigset()
    _libc.sigemptyset(ctypes.byref(mask))
    for signo in signals:
        signo = operator.index(signo)
        if not 1 <= signo < _signal.NSIG:
            raise ValueError(f"signal number {signo} out of range [1; {_signal.NSIG - 1}]")
        _libc.sigaddset(ctypes.byref(mask), signo)  # fails only for reserved ones
    return mask


class _Handle(ctypes.Structure):
    """The opaque ``repoll_t``; only ever used through a pointer."""


_HandleP = ctypes.POINTER(_Handle)

_c_int, _c_u32, _c_u64, _c_i64 = ctypes.c_int, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64

# name: (restype, argtypes), one entry per function of include/repoll.h.
_PROTOTYPES = {
    "repoll_create": (_c_int, [ctypes.POINTER(_HandleP), _c_int]),
    "repoll_ctl": (_c_int, [_HandleP, _c_int, _c_int, _c_u32, _c_u64]),
    "repoll_add": (_c_int, [_HandleP, _c_int, _c_u32, _c_u64]),
    "repoll_modify": (_c_int, [_HandleP, _c_int, _c_u32, _c_u64]),
    "repoll_delete": (_c_int, [_HandleP, _c_int]),
    "repoll_wait": (_c_int, [_HandleP, ctypes.POINTER(Event), _c_int, _c_int]),
    "repoll_wait_ns": (_c_int, [_HandleP, ctypes.POINTER(Event), _c_int, _c_i64]),
    "repoll_pwait": (
        _c_int, [_HandleP, ctypes.POINTER(Event), _c_int, _c_i64, ctypes.POINTER(_Sigset)]
    ),
    "repoll_ctl_batch": (_c_int, [_HandleP, ctypes.POINTER(CtlOp), _c_int]),
    "repoll_close": (_c_int, [_HandleP]),
    "repoll_fd": (_c_int, [_HandleP]),
    "repoll_wake": (_c_int, [_HandleP]),
    "repoll_timer_add": (_c_int, [_HandleP, _c_i64, _c_i64, _c_u64, ctypes.POINTER(_c_u64)]),
    "repoll_timer_cancel": (_c_int, [_HandleP, _c_u64]),
    "repoll_signal_add": (_c_int, [_HandleP, _c_int, _c_u64]),
    "repoll_signal_delete": (_c_int, [_HandleP, _c_int]),
    "repoll_strerror": (ctypes.c_char_p, [_c_int]),
    "repoll_version": (ctypes.c_char_p, []),
    "repoll_features": (_c_u32, []),
}


# ---- finding and loading the library ----------------------------------------

def _candidates():
    """Where to look, in order, as (description, path or name) pairs."""
    env = os.environ.get("REPOLL_LIBRARY")
    if env:
        return [("REPOLL_LIBRARY", env)]
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    places = [
        ("build tree (release)", os.path.join(root, "target", "release", "librepoll.so")),
        ("build tree (debug)", os.path.join(root, "target", "debug", "librepoll.so")),
    ]
    found = ctypes.util.find_library("repoll")
    if found:
        places.append(('ctypes.util.find_library("repoll")', found))
    places.append(("system search path", "librepoll.so.0"))
    return places


def _parse_major(version_string):
    """The MAJOR of "MAJOR.MINOR.PATCH", or None when it is not one."""
    parts = version_string.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0])


def _configure(lib):
    """Declares every prototype; raises AttributeError for a missing symbol."""
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def _load():
    tried = []
    for where, path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"  {where}: {path} (no such file)")
            continue
        try:
            lib = ctypes.CDLL(path)
            _configure(lib)
        except (OSError, AttributeError) as e:
            tried.append(f"  {where}: {path} ({e})")
            continue
        raw = lib.repoll_version().decode("ascii", "replace")
        if _parse_major(raw) != VERSION_MAJOR:
            raise ImportError(
                f"repoll: {path} is librepoll version {raw!r}, but this binding "
                f"needs major version {VERSION_MAJOR}; point REPOLL_LIBRARY at a "
                f"matching build (or rebuild with `make build`)"
            )
        return lib, path
    raise ImportError(
        "repoll: cannot load the shared library librepoll.so; tried:\n"
        + "\n".join(tried)
        + "\nFix: build it in the repository with `make build` (or `cargo build`),"
        " or set REPOLL_LIBRARY to the full path of librepoll.so"
        " (e.g. REPOLL_LIBRARY=/path/to/repoll/target/release/librepoll.so),"
        " or install it where the dynamic linker finds librepoll.so.0."
    )


_lib, LIBRARY_PATH = _load()
"""The loaded library, and the path or name it was loaded from."""


# ---- constants: from repoll.json, beside the library ------------------------

def _loaded_file():
    """The file the dynamic linker mapped for the library (LIBRARY_PATH may be a bare soname)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip()
                if os.path.basename(path).startswith("librepoll.so"):
                    return path
    except OSError:
        pass
    return LIBRARY_PATH


def _api_candidates():
    """Where repoll.json may be, in order, as (description, path) pairs."""
    env = os.environ.get("REPOLL_API_JSON")
    if env:
        return [("REPOLL_API_JSON", env)]
    places = []
    # A build tree puts the library in target/<profile>[/deps] under the root
    # that holds include/; an install in <prefix>/lib[/<triplet>].
    d = os.path.dirname(os.path.realpath(_loaded_file()))
    for _ in range(4):
        places.append(("build tree", os.path.join(d, "include", "repoll.json")))
        places.append(("installation", os.path.join(d, "share", "repoll", "repoll.json")))
        d = os.path.dirname(d)
    return places


def _load_api():
    tried = []
    for where, path in _api_candidates():
        try:
            with open(path) as f:
                api = json.load(f)
        except (OSError, ValueError) as e:
            tried.append(f"  {where}: {path} ({e.strerror if isinstance(e, OSError) else e})")
            continue
        if api.get("soname") != f"librepoll.so.{VERSION_MAJOR}":
            raise ImportError(f"repoll: {path} describes {api.get('soname')!r}, but this binding "
                              f"speaks librepoll.so.{VERSION_MAJOR}")
        return api, path
    raise ImportError(
        f"repoll: cannot find repoll.json, the API description that goes with {LIBRARY_PATH}; tried:\n"
        + "\n".join(tried)
        + "\nFix: `make install` installs it in $(PREFIX)/share/repoll/ (pkg-config"
        " --variable=apidir repoll); a build tree has it in include/; or set"
        " REPOLL_API_JSON to its full path."
    )


def _check_layout(api):
    """Event and CtlOp must be repoll_event_t and repoll_ctl_op_t as the C
    compiler lays them out."""
    for struct_type, c_name in ((Event, "repoll_event_t"), (CtlOp, "repoll_ctl_op_t")):
        described = next((t for t in api["types"] if t["name"] == c_name), None)
        if described is None:
            raise ImportError(f"repoll: {API_PATH} declares no {c_name}")
        ours = {name: getattr(struct_type, name).offset for name, _ in struct_type._fields_}
        theirs = {f["name"]: f["offset"] for f in described["fields"]}
        if (ctypes.sizeof(struct_type), ctypes.alignment(struct_type), ours) != (
            described["size"], described["align"], theirs
        ):
            raise ImportError(
                f"repoll: {struct_type.__name__} does not match {c_name} in {API_PATH}: {described}"
            )


_API, API_PATH = _load_api()
"""repoll.json as read, and where it was read from."""
_check_layout(_API)

_CONSTANTS = {
    c["name"][len("REPOLL_"):]: c["value"]
    for c in _API["constants"]
    if c["type"] != "string" and not c["name"].startswith("REPOLL_VERSION_")
}
globals().update(_CONSTANTS)

__all__ = ["Poller", "Event", "CtlOp", "version", "features", "strerror", "LIBRARY_PATH",
           "API_PATH", "VERSION_MAJOR", *_CONSTANTS]


# ---- errors and conversions -------------------------------------------------

def _error(code):
    """The exception for a negative return value."""
    code = -code
    if code == EPANIC:
        return RuntimeError(f"repoll: REPOLL_EPANIC ({EPANIC}): {strerror(-EPANIC)}")
    return OSError(code, os.strerror(code))


def _check(rc):
    if rc < 0:
        raise _error(rc)
    return rc


def _check_signals():
    """Runs the Python signal handlers due (main thread only), raising what
    they raise: PyErr_CheckSignals through ctypes.pythonapi, which reports
    its error (-1) as the pending exception."""
    ctypes.pythonapi.PyErr_CheckSignals()


def _ebadf():
    return OSError(_errno.EBADF, os.strerror(_errno.EBADF))


def _int_in(value, lo, hi, what):
    value = operator.index(value)
    if not lo <= value <= hi:
        raise ValueError(f"{what} {value} is out of range [{lo}, {hi}]")
    return value


def _fd_of(fileobj):
    """An int fd, or the fileno() of any object that has one."""
    if isinstance(fileobj, int):
        fd = fileobj
    else:
        try:
            fileno = fileobj.fileno
        except AttributeError:
            raise TypeError(
                f"expected an int fd or an object with fileno(), got {type(fileobj).__name__}"
            ) from None
        fd = fileno()
    return _int_in(fd, _INT_MIN, _INT_MAX, "fd")


def _packed_fds(fileobjs):
    """The fds of ``fileobjs`` (ints or objects with fileno()) as native
    int32s in a bytes object: packed in one C loop when they are all ints."""
    fileobjs = fileobjs if isinstance(fileobjs, (list, tuple)) else list(fileobjs)
    try:
        return struct.pack(f"{len(fileobjs)}i", *fileobjs)
    except struct.error:  # not all ints, or one out of range: say which
        return struct.pack(f"{len(fileobjs)}i", *[_fd_of(f) for f in fileobjs])


def _ns(seconds, what):
    """Seconds (int or float) as int64 nanoseconds, rounded UP and clamped.

    A negative value becomes -1 (the caller decides what that means); NaN is
    a ValueError; anything beyond 2**63-1 ns (292 years), including inf,
    becomes 2**63-1.
    """
    if isinstance(seconds, int):
        ns = seconds * _NS_PER_S
    else:
        if not hasattr(type(seconds), "__float__"):
            raise TypeError(f"{what} must be a number of seconds, not {type(seconds).__name__}")
        seconds = float(seconds)
        if math.isnan(seconds):
            raise ValueError(f"{what} must not be NaN")
        if seconds < 0:
            return -1
        if seconds * _NS_PER_S >= _I64_MAX:
            return _I64_MAX
        ns = math.ceil(seconds * _NS_PER_S)
    if ns < 0:
        return -1
    return min(ns, _I64_MAX)


# ---- module functions -------------------------------------------------------

def version():
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return _lib.repoll_version().decode("ascii", "replace")


def features():
    """The REPOLL_FEATURE_* bits the running kernel supports (probed once)."""
    return _lib.repoll_features()


def strerror(code):
    """The library's description of any return value ("Success" for 0 and any count)."""
    code = _int_in(code, _INT_MIN, _INT_MAX, "code")
    return _lib.repoll_strerror(code).decode("utf-8", "replace")


# ---- the poller -------------------------------------------------------------

class Poller:
    """An epoll instance with a waker, timers and signals.

    ``maxevents`` is how many events one ``wait`` returns at most (its buffer
    is allocated once, here). ``flags`` is 0 or an OR of ``CLOEXEC`` (the
    default) and ``RETRY_EINTR``; the binding already retries waits after a
    signal handler ran (PEP 475), and ``RETRY_EINTR`` would keep Python
    signal handlers, Ctrl-C included, from running until the wait returns.

    Use as a context manager, or call ``close()``. All methods may be called
    from several threads at once; after ``close()`` every method raises
    ``OSError(EBADF)``.
    """

    def __init__(self, maxevents=1024, flags=CLOEXEC):
        # The Python-side lifetime: `_inflight` counts calls between _enter and
        # _leave. The handle is released by close() when none is in flight,
        # else by the last _leave, so no call ever passes a freed pointer to
        # the library. RLock: a signal handler may call close() on the thread
        # that is inside one of these short critical sections.
        self._lock = threading.RLock()
        self._inflight = 0
        self._handle = None
        self._closed = True  # until created: __del__ and close() do nothing
        self._maxevents = _int_in(maxevents, 1, _INT_MAX, "maxevents")
        flags = _int_in(flags, _INT_MIN, _INT_MAX, "flags")
        handle = _HandleP()
        # Event buffers for wait(): one now; another only while two threads
        # wait at once. list.pop/append are atomic, so no lock is needed.
        self._buffers = [self._new_buffer()]
        _check(_lib.repoll_create(ctypes.byref(handle), flags))
        self._handle = handle
        self._closed = False

    def _new_buffer(self):
        array = (Event * self._maxevents)()
        return array, memoryview(array).cast("B")

    # -- lifetime --

    def _enter(self):
        """Counts a call in; returns the live handle or raises EBADF."""
        with self._lock:
            self._inflight += 1
            handle, closed = self._handle, self._closed
        if closed or handle is None:
            self._leave()
            raise _ebadf()
        return handle

    def _leave(self):
        release = None
        with self._lock:
            self._inflight -= 1
            if self._closed:
                if self._inflight == 0:
                    release, self._handle = self._handle, None
                elif self._handle is not None:
                    # Someone may still be blocked in a wait: pass it on.
                    _lib.repoll_wake(self._handle)
        if release is not None:
            _check(_lib.repoll_close(release))

    def close(self):
        """Closes the poller (and its fd). Idempotent; never blocks.

        Waits blocked in other threads raise OSError(EBADF) promptly; the
        handle is released as soon as the last call in flight returns.
        """
        release = None
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._inflight == 0:
                release, self._handle = self._handle, None
            elif self._handle is not None:
                _lib.repoll_wake(self._handle)  # unblock waiters; they see _closed
        if release is not None:
            _check(_lib.repoll_close(release))

    @property
    def closed(self):
        """True once close() was called."""
        return self._closed

    @property
    def maxevents(self):
        """The most events one wait() returns."""
        return self._maxevents

    def __enter__(self):
        if self._closed:
            raise _ebadf()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the module may be half gone
            pass

    def __repr__(self):
        state = "closed" if self._closed else f"maxevents={self._maxevents}"
        return f"<repoll.Poller {state}>"

    # -- file descriptors --

    def _ctl(self, name, fd, *args):
        handle = self._enter()
        try:
            rc = getattr(_lib, name)(handle, fd, *args)
        finally:
            self._leave()
        _check(rc)

    def register(self, fileobj, events=IN, data=None):
        """Watches ``fileobj`` (an int fd or an object with fileno()) for
        ``events`` (IN, OUT, ... ET); ``wait`` reports ``data`` (a 64-bit
        unsigned int, default: the fd). EEXIST if already registered."""
        fd = _fd_of(fileobj)
        events = _int_in(events, 0, _U32_MAX, "events")
        data = _int_in(max(fd, 0) if data is None else data, 0, _U64_MAX, "data")
        self._ctl("repoll_add", fd, events, data)

    def modify(self, fileobj, events, data=None):
        """Changes a registration's events and data (default: the fd);
        re-arms a ONESHOT one. ENOENT if not registered."""
        fd = _fd_of(fileobj)
        events = _int_in(events, 0, _U32_MAX, "events")
        data = _int_in(max(fd, 0) if data is None else data, 0, _U64_MAX, "data")
        self._ctl("repoll_modify", fd, events, data)

    def unregister(self, fileobj):
        """Stops watching ``fileobj``. ENOENT if not registered."""
        self._ctl("repoll_delete", _fd_of(fileobj))

    def register_many(self, fileobjs, events=IN, data=None):
        """Registers every fd of ``fileobjs`` (ints or objects with fileno())
        in one library call, as ``register`` would one by one: much cheaper
        than a loop of ``register`` for many fds.

        ``events`` is one event mask for all, or a sequence with one per fd;
        ``data`` is None (each fd's data is the fd), or a sequence with one
        64-bit value per fd. The fds are registered in order, and one that
        fails does not stop the others: if any failed, an OSError is raised
        for the first failure (after all were tried), whose ``failures``
        attribute lists every ``(index, OSError)``; the others stay
        registered. A value C cannot hold is a ValueError, before anything
        is registered.
        """
        self._ctl_batch(CTL_ADD, _packed_fds(fileobjs), events, data)

    def unregister_many(self, fileobjs):
        """Stops watching every fd of ``fileobjs``, in one library call;
        failures are reported as by ``register_many``."""
        self._ctl_batch(CTL_DEL, _packed_fds(fileobjs), 0, 0)

    def _ctl_batch(self, op, fds, events, data):
        """One repoll_ctl_batch of ``op`` on ``fds`` (int32s packed by
        _packed_fds), with ``events`` (one mask, or one per fd) and ``data``
        (None: each fd; one value for all; or one per fd). The ops array is
        a template op repeated, whose columns are then overwritten through
        strided views: C loops, not a Python loop per fd."""
        n = len(fds) // 4
        if n == 0:
            return
        per_fd_events = not isinstance(events, int)
        per_fd_data = data is not None and not isinstance(data, int)
        if per_fd_events and len(events) != n or per_fd_data and len(data) != n:
            raise ValueError(f"{n} fds but a different number of event masks or data values")
        template = _CTL_OP.pack(
            op,
            0,
            0 if per_fd_events else _int_in(events, 0, _U32_MAX, "events"),
            0,
            0 if data is None or per_fd_data else _int_in(data, 0, _U64_MAX, "data"),
        )
        buf = bytearray(template) * n
        u32 = memoryview(buf).cast("I")
        fd_words = memoryview(fds).cast("I")  # the same bits, unsigned
        u32[1::6] = fd_words
        try:
            if per_fd_events:
                u32[2::6] = array.array("I", events)
            if per_fd_data:
                memoryview(buf).cast("Q")[2::3] = array.array("Q", data)
        except OverflowError as e:
            raise ValueError(f"an event mask or data value C cannot hold: {e}") from None
        if data is None:
            # The data is the fd: its bits in the low half of the 64-bit
            # field. A negative fd's data does not matter (its add fails).
            u32[4 if _LITTLE_ENDIAN else 5::6] = fd_words
        ops = (CtlOp * n).from_buffer(buf)
        handle = self._enter()
        try:
            rc = _lib.repoll_ctl_batch(handle, ops, n)
        finally:
            self._leave()
        _check(rc)
        if rc != n:
            results = memoryview(buf).cast("i")[3::6]
            failures = [(i, _error(r)) for i, r in enumerate(results) if r != 0]
            first = failures[0][1]
            first.failures = failures
            raise first

    # -- waiting --

    def wait(self, timeout=None, sigmask=None):
        """Waits for events; returns a list of ``(data, events)`` tuples,
        ``[]`` when the timeout passed.

        ``timeout`` is in seconds (int or float): None or a negative value
        blocks until an event arrives, 0 polls, anything else waits at
        least that long (rounded UP to whole nanoseconds; values beyond
        2**63-1 ns are clamped). A signal handler that runs meanwhile is
        handled as PEP 475 says: if it raises, wait() raises that
        exception, else the wait goes on with the time left.

        ``sigmask``, when given, is the set of signal numbers blocked during
        the wait (any iterable, as ``signal.pthread_sigmask`` takes; e.g. the
        thread's mask minus a signal it keeps blocked otherwise). The kernel
        installs it atomically for the wait only (``repoll_pwait``), so a
        signal it lets in can interrupt the wait but never slip in just
        before it. Such an interruption ends the wait: it returns ``[]``
        once the Python handler ran (in the main thread; if the handler
        raises, wait() raises that), with no retry.
        """
        if sigmask is not None:
            return self._pwait(timeout, _sigset(sigmask))
        ns = -1 if timeout is None else _ns(timeout, "timeout")
        deadline = time.monotonic_ns() + ns if ns > 0 else None
        handle = self._enter()
        try:
            try:
                array, raw = self._buffers.pop()
            except IndexError:  # another thread is waiting with it
                array, raw = self._new_buffer()
            try:
                while True:
                    rc = _lib.repoll_wait_ns(handle, array, self._maxevents, ns)
                    if self._closed:
                        raise _ebadf()
                    if rc != -_errno.EINTR:
                        break
                    # A signal handler is due: it runs here, between two
                    # bytecodes, and its exception (if any) propagates.
                    if deadline is not None:
                        ns = deadline - time.monotonic_ns()
                        if ns <= 0:
                            return []
                _check(rc)
                return [(d, e) for d, e, _ in _EVENT.iter_unpack(raw[: rc * 16])]
            finally:
                self._buffers.append((array, raw))
        finally:
            self._leave()

    def _pwait(self, timeout, mask):
        ns = -1 if timeout is None else _ns(timeout, "timeout")
        handle = self._enter()
        try:
            try:
                array_, raw = self._buffers.pop()
            except IndexError:  # another thread is waiting with it
                array_, raw = self._new_buffer()
            try:
                rc = _lib.repoll_pwait(handle, array_, self._maxevents, ns, ctypes.byref(mask))
                if self._closed:
                    raise _ebadf()
                if rc == -_errno.EINTR:
                    # The handler the mask let in runs now (in the main
                    # thread), before wait() returns; its exception propagates.
                    _check_signals()
                    return []
                _check(rc)
                return [(d, e) for d, e, _ in _EVENT.iter_unpack(raw[: rc * 16])]
            finally:
                self._buffers.append((array_, raw))
        finally:
            self._leave()

    def wake(self):
        """Makes a blocked wait() return (or the next one) with one
        ``(0, WAKE)`` event; wakes coalesce. Callable from any thread and
        from a signal handler."""
        handle = self._enter()
        try:
            rc = _lib.repoll_wake(handle)
        finally:
            self._leave()
        _check(rc)

    # -- timers and signals --

    def add_timer(self, first, interval=0, data=0):
        """Starts a timer due ``first`` seconds from now, then every
        ``interval`` seconds (0: once), reported as ``(data, TIMER)``.
        Times are rounded up to nanoseconds. Returns the timer's id.
        EINVAL for a negative time."""
        first_ns = _ns(first, "first")
        interval_ns = _ns(interval, "interval")
        data = _int_in(data, 0, _U64_MAX, "data")
        out = _c_u64()
        handle = self._enter()
        try:
            rc = _lib.repoll_timer_add(handle, first_ns, interval_ns, data, ctypes.byref(out))
        finally:
            self._leave()
        _check(rc)
        return out.value

    def cancel_timer(self, timer_id):
        """Cancels a timer. ENOENT (FileNotFoundError) for an unknown id or
        a one-shot timer that already fired."""
        timer_id = _int_in(timer_id, 0, _U64_MAX, "timer id")
        handle = self._enter()
        try:
            rc = _lib.repoll_timer_cancel(handle, timer_id)
        finally:
            self._leave()
        _check(rc)

    def add_signal(self, signo, data=None):
        """Reports signal ``signo`` as ``(data, SIGNAL)`` (data defaults to
        signo). Block it first in every thread, e.g. with
        ``signal.pthread_sigmask(signal.SIG_BLOCK, {signo})`` in the main
        thread before starting others. EEXIST if already added."""
        signo = _int_in(signo, _INT_MIN, _INT_MAX, "signal number")
        data = _int_in(max(signo, 0) if data is None else data, 0, _U64_MAX, "data")
        handle = self._enter()
        try:
            rc = _lib.repoll_signal_add(handle, signo, data)
        finally:
            self._leave()
        _check(rc)

    def remove_signal(self, signo):
        """Stops reporting ``signo`` (which stays blocked). ENOENT if not
        added."""
        signo = _int_in(signo, _INT_MIN, _INT_MAX, "signal number")
        handle = self._enter()
        try:
            rc = _lib.repoll_signal_delete(handle, signo)
        finally:
            self._leave()
        _check(rc)

    def fileno(self):
        """The epoll fd, to nest this poller in another event loop (it is
        readable when wait() would return events). Owned by the poller:
        do not close it."""
        handle = self._enter()
        try:
            rc = _lib.repoll_fd(handle)
        finally:
            self._leave()
        return _check(rc)
