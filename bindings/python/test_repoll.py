"""Tests of the Python binding (stdlib unittest only).

Run from the repository root:

    python3 -m unittest discover -s bindings/python -v

The library is found the way repoll.py finds it: REPOLL_LIBRARY if set, else
the build tree (target/release, then target/debug). Timing checks are lower
bounds only; upper bounds are generous hang guards.
"""
import ctypes
import errno
import faulthandler
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
HEADER = os.path.join(ROOT, "include", "repoll.h")
EXAMPLES = os.path.join(HERE, "examples")
sys.path.insert(0, HERE)

import repoll  # noqa: E402

faulthandler.enable()  # a crash in the library prints where it happened

HANG = 10.0  # seconds: a guard against hangs, never a speed requirement
U64 = 2**64 - 1


def header_defines():
    """{name without REPOLL_: value} for every #define REPOLL_* of the header."""
    with open(HEADER) as f:
        text = f.read()
    defines = {}
    for name, value in re.findall(r"^#define\s+REPOLL_(\w+)\s+(.+?)\s*$", text, re.M):
        number = re.fullmatch(r"(-?(?:0x[0-9a-fA-F]+|\d+))[uU]?", value)
        defines[name] = int(number.group(1), 0) if number else value
    return defines


def header_prototypes():
    """{function name: (return type, [parameter types])} from the header."""
    with open(HEADER) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    protos = {}
    for ret, name, params in re.findall(r"^([\w \*]+?)\s*\b(repoll_\w+)\(([^)]*)\);", text, re.M):
        types = []
        for p in params.split(","):
            p = p.strip()
            if p == "void" or not p:
                continue
            types.append(re.sub(r"\s*\b\w+$", "", p))  # drop the parameter name
        protos[name] = (ret.strip(), types)
    return protos


def ready_pipe(test):
    """A pipe whose read end is readable; both ends closed at cleanup."""
    r, w = os.pipe()
    os.write(w, b"x")
    test.addCleanup(os.close, r)
    test.addCleanup(os.close, w)
    return r, w


def fd_is_epoll(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:[eventpoll]"
    except OSError:
        return False


class Waiter(threading.Thread):
    """Runs poller.wait(timeout) in a thread; keeps the result or exception."""

    def __init__(self, poller, timeout=None):
        super().__init__(daemon=True)
        self.poller, self.timeout = poller, timeout
        self.result = self.error = None
        self.started_at = self.ended_at = None
        self.entered = threading.Event()

    def run(self):
        self.started_at = time.monotonic()
        self.entered.set()
        try:
            self.result = self.poller.wait(self.timeout)
        except BaseException as e:  # noqa: B902 - reported to the test
            self.error = e
        self.ended_at = time.monotonic()

    def finish(self, test):
        self.join(HANG)
        test.assertFalse(self.is_alive(), "wait() did not return (hang guard)")


class PollerTest(unittest.TestCase):
    def poller(self, **kw):
        p = repoll.Poller(**kw)
        self.addCleanup(p.close)
        return p


# ---- the header contract ----------------------------------------------------

class HeaderTest(unittest.TestCase):
    BRIEF = ("IN PRI OUT ERR HUP RDNORM RDBAND WRNORM WRBAND MSG RDHUP EXCLUSIVE "
             "WAKEUP ONESHOT ET WAKE TIMER SIGNAL CLOEXEC RETRY_EINTR "
             "FEATURE_PWAIT2 FEATURE_EXCLUSIVE").split()

    def test_constants_equal_the_header_defines(self):
        defines = header_defines()
        numeric = {k: v for k, v in defines.items()
                   if isinstance(v, int) and k not in ("VERSION_MINOR", "VERSION_PATCH")}
        self.assertGreaterEqual(len(numeric), 27, "the header parse found too few #defines")
        for name in self.BRIEF:
            self.assertIn(name, numeric, f"REPOLL_{name} is not in the header")
        for name, value in numeric.items():
            with self.subTest(name=name):
                self.assertTrue(hasattr(repoll, name), f"repoll.{name} is missing (REPOLL_{name} = {value})")
                self.assertEqual(getattr(repoll, name), value, f"repoll.{name} drifted from REPOLL_{name}")

    def test_every_header_function_is_declared_with_matching_types(self):
        scalar = {
            "int": ctypes.c_int, "uint32_t": ctypes.c_uint32, "uint64_t": ctypes.c_uint64,
            "int64_t": ctypes.c_int64, "const char *": ctypes.c_char_p,
        }
        protos = header_prototypes()
        self.assertGreaterEqual(len(protos), 17, "the header parse found too few functions")
        self.assertEqual(set(protos), set(repoll._PROTOTYPES), "functions differ from the header")
        for name, (ret, params) in protos.items():
            with self.subTest(name=name):
                fn = getattr(repoll._lib, name)
                self.assertIs(fn.restype, scalar[ret])
                self.assertEqual(len(fn.argtypes), len(params))
                for c_type, py_type in zip(params, fn.argtypes):
                    if c_type.endswith("*"):
                        self.assertTrue(issubclass(py_type, ctypes._Pointer), f"{c_type} -> {py_type}")
                        if c_type.startswith("repoll_event_t"):
                            self.assertIs(py_type._type_, repoll.Event)
                        if c_type.startswith("repoll_ctl_op_t"):
                            self.assertIs(py_type._type_, repoll.CtlOp)
                        if c_type == "const sigset_t *":
                            self.assertIs(py_type._type_, repoll._Sigset)
                        if c_type.startswith("uint64_t"):
                            self.assertIs(py_type._type_, ctypes.c_uint64)
                    else:
                        self.assertIs(py_type, scalar[c_type], f"parameter {c_type}")

    def test_ctl_op_is_24_bytes_with_the_headers_offsets(self):
        self.assertEqual(ctypes.sizeof(repoll.CtlOp), 24)
        self.assertEqual(ctypes.alignment(repoll.CtlOp), 8)
        offsets = {name: getattr(repoll.CtlOp, name).offset for name, _ in repoll.CtlOp._fields_}
        self.assertEqual(offsets, {"op": 0, "fd": 4, "events": 8, "result": 12, "data": 16})
        with open(HEADER) as f:
            struct_text = re.search(r"struct repoll_ctl_op \{(.*?)\};", f.read(), re.S).group(1)
        fields = re.findall(r"^\s*(\w+) (\w+);", re.sub(r"/\*.*?\*/", "", struct_text, flags=re.S), re.M)
        self.assertEqual(fields, [("int32_t", "op"), ("int32_t", "fd"), ("uint32_t", "events"),
                                  ("int32_t", "result"), ("uint64_t", "data")])

    def test_event_is_16_naturally_aligned_bytes(self):
        self.assertEqual(ctypes.sizeof(repoll.Event), 16)
        self.assertEqual(ctypes.alignment(repoll.Event), 8)
        self.assertEqual(repoll.Event.data.offset, 0)
        self.assertEqual(repoll.Event.events.offset, 8)
        self.assertEqual(repoll.Event.reserved.offset, 12)
        self.assertEqual(ctypes.sizeof(repoll.Event * 3), 48)

    def test_version_and_features(self):
        v = repoll.version()
        self.assertRegex(v, r"^\d+\.\d+\.\d+$")
        self.assertEqual(int(v.split(".")[0]), header_defines()["VERSION_MAJOR"])
        self.assertEqual(repoll.VERSION_MAJOR, header_defines()["VERSION_MAJOR"])
        f = repoll.features()
        self.assertIsInstance(f, int)
        self.assertEqual(f, repoll.features(), "features are probed once, so they are stable")
        self.assertTrue(0 <= f < 2**32)

    def test_strerror(self):
        self.assertEqual(repoll.strerror(-errno.EEXIST), "File exists")
        self.assertIn("panic", repoll.strerror(-repoll.EPANIC))
        self.assertEqual(repoll.strerror(0), "Success")
        self.assertEqual(repoll.strerror(errno.ENOENT), "Success", "a positive value is a count")
        self.assertEqual(repoll.strerror(-123456), "Unknown error")
        with self.assertRaises(ValueError):
            repoll.strerror(2**40)

    def test_parse_major(self):
        self.assertEqual(repoll._parse_major("0.1.0"), 0)
        self.assertEqual(repoll._parse_major("12.3.4"), 12)
        self.assertIsNone(repoll._parse_major("0.1"))
        self.assertIsNone(repoll._parse_major("x.1.0"))


# ---- events and data --------------------------------------------------------

class DataTest(PollerTest):
    def test_64_bit_data_round_trips(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        rng = random.Random(1234)
        values = [0, 1, U64, 2**63, 2**63 - 1, 2**32, 2**32 - 1, 2**31]
        values += [rng.getrandbits(64) for _ in range(200)]
        p.register(r, repoll.IN, values[0])
        for v in values:
            with self.subTest(data=v):
                p.modify(r, repoll.IN, v)
                self.assertEqual(p.wait(HANG), [(v, repoll.IN)])

    def test_many_fds_each_with_its_own_data(self):
        p = self.poller(maxevents=7)
        rng = random.Random(99)
        expected = {}
        for _ in range(40):
            r, _ = ready_pipe(self)
            data = rng.getrandbits(64)
            expected[data] = r
            p.register(r, repoll.IN | repoll.ONESHOT, data)
        got = []
        while True:
            batch = p.wait(0)
            self.assertLessEqual(len(batch), 7, "maxevents was exceeded")
            if not batch:
                break
            got += batch
        self.assertEqual(sorted(got), sorted((d, repoll.IN) for d in expected))

    def test_default_data_is_the_fd(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        p.register(r, repoll.IN)
        self.assertEqual(p.wait(HANG), [(r, repoll.IN)])

    def test_out_and_hangup_bits(self):
        p = self.poller()
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        p.register(a, repoll.OUT | repoll.RDHUP, 5)
        self.assertEqual(p.wait(HANG), [(5, repoll.OUT)])
        b.close()
        (data, events), = p.wait(HANG)
        self.assertEqual(data, 5)
        self.assertTrue(events & repoll.RDHUP and events & repoll.HUP, hex(events))

    def test_fileobj_registration_with_a_socket(self):
        p = self.poller()
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        p.register(a, repoll.IN, 7)
        self.assertEqual(p.wait(0), [])
        b.send(b"hi")
        self.assertEqual(p.wait(HANG), [(7, repoll.IN)])
        p.modify(a, repoll.IN)  # data defaults to the fd
        self.assertEqual(p.wait(HANG), [(a.fileno(), repoll.IN)])
        p.unregister(a)
        self.assertEqual(p.wait(0), [])

    def test_values_that_c_cannot_hold_are_value_errors(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        for bad in (2**64, -1):
            with self.assertRaises(ValueError):
                p.register(r, repoll.IN, bad)
        with self.assertRaises(ValueError):
            p.register(r, 2**32)
        with self.assertRaises(ValueError):
            p.register(r, -1)
        with self.assertRaises(ValueError):
            p.register(2**40 + r, repoll.IN)  # would be truncated to r by ctypes
        with self.assertRaises(TypeError):
            p.register(object(), repoll.IN)
        with self.assertRaises(TypeError):
            p.register(1.5, repoll.IN)
        with self.assertRaises(ValueError):
            repoll.Poller(maxevents=0)
        with self.assertRaises(ValueError):
            p.add_timer(1, data=2**64)
        with self.assertRaises(ValueError):
            p.cancel_timer(-1)
        self.assertEqual(p.wait(0), [], "nothing got registered")

    def test_maxevents_and_one_buffer_per_poller(self):
        p = self.poller(maxevents=3)
        self.assertEqual(p.maxevents, 3)
        for i in range(5):
            r, _ = ready_pipe(self)
            p.register(r, repoll.IN, i)
        with mock.patch.object(repoll.Poller, "_new_buffer", side_effect=AssertionError("allocated")):
            for _ in range(5):
                self.assertEqual(len(p.wait(HANG)), 3)
        self.assertEqual(len(p._buffers), 1)

    def test_nesting_through_fileno(self):
        inner, outer = self.poller(), self.poller()
        fd = inner.fileno()
        self.assertTrue(fd_is_epoll(fd))
        outer.register(inner, repoll.IN, 42)  # a Poller has fileno()
        self.assertEqual(outer.wait(0), [])
        inner.wake()
        self.assertEqual(outer.wait(HANG), [(42, repoll.IN)])
        self.assertEqual(inner.wait(0), [(0, repoll.WAKE)])


# ---- errors -----------------------------------------------------------------

class ErrorTest(PollerTest):
    def assertOSError(self, cls, code, fn, *args):
        with self.assertRaises(cls) as cm:
            fn(*args)
        self.assertIs(type(cm.exception), cls)
        self.assertEqual(cm.exception.errno, code)
        self.assertEqual(cm.exception.strerror, os.strerror(code))
        return cm.exception

    def test_eexist_on_double_register(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        p.register(r, repoll.IN)
        self.assertOSError(FileExistsError, errno.EEXIST, p.register, r, repoll.IN)

    def test_enoent_on_unknown_fd(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        self.assertOSError(FileNotFoundError, errno.ENOENT, p.modify, r, repoll.IN)
        self.assertOSError(FileNotFoundError, errno.ENOENT, p.unregister, r)

    def test_ebadf_on_a_closed_fd(self):
        p = self.poller()
        r, w = os.pipe()
        os.close(r)
        os.close(w)
        self.assertOSError(OSError, errno.EBADF, p.register, r, repoll.IN)
        s = socket.socket()
        s.close()  # fileno() is now -1
        self.assertOSError(OSError, errno.EBADF, p.register, s, repoll.IN)

    def test_eperm_on_a_regular_file(self):
        p = self.poller()
        with tempfile.TemporaryFile() as f:
            self.assertOSError(PermissionError, errno.EPERM, p.register, f, repoll.IN)

    def test_einval(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        self.assertOSError(OSError, errno.EINVAL, p.register, r, 1 << 20)
        self.assertOSError(OSError, errno.EINVAL, p.register, p.fileno(), repoll.IN)
        self.assertOSError(OSError, errno.EINVAL, p.register, p, repoll.IN)
        self.assertOSError(OSError, errno.EINVAL, p.register, r, repoll.EXCLUSIVE | repoll.ONESHOT)
        p.register(r, repoll.IN)
        self.assertOSError(OSError, errno.EINVAL, p.modify, r, repoll.IN | repoll.EXCLUSIVE)
        self.assertOSError(OSError, errno.EINVAL, p.add_timer, -1)
        self.assertOSError(OSError, errno.EINVAL, p.add_timer, 1, -0.5)
        self.assertOSError(OSError, errno.EINVAL, p.add_signal, signal.SIGKILL)
        self.assertOSError(OSError, errno.EINVAL, repoll.Poller, 16, 1 << 20)

    def test_errno_mapping(self):
        table = {
            errno.EEXIST: FileExistsError, errno.ENOENT: FileNotFoundError,
            errno.EPERM: PermissionError, errno.EINTR: InterruptedError,
            errno.EBADF: OSError, errno.EINVAL: OSError, errno.ELOOP: OSError,
            errno.ENOMEM: OSError, errno.EMFILE: OSError, errno.EAGAIN: BlockingIOError,
        }
        for code, cls in table.items():
            with self.subTest(errno=errno.errorcode[code]):
                self.assertOSError(cls, code, repoll._check, -code)
        self.assertEqual(repoll._check(5), 5)

    def test_epanic_is_a_runtime_error_naming_it(self):
        with self.assertRaises(RuntimeError) as cm:
            repoll._check(-repoll.EPANIC)
        self.assertIn("REPOLL_EPANIC", str(cm.exception))
        self.assertNotIsInstance(cm.exception, OSError)

    def test_use_after_close_is_ebadf_without_touching_the_library(self):
        p = repoll.Poller()
        r, _ = ready_pipe(self)
        p.close()
        self.assertTrue(p.closed)
        self.assertIsNone(p._handle)

        class Untouchable:
            def __getattr__(self, name):
                raise AssertionError(f"the library was called after close: {name}")

        calls = [
            (p.register, r, repoll.IN), (p.modify, r, repoll.IN), (p.unregister, r),
            (p.wait,), (p.wait, 0), (p.wake,), (p.add_timer, 1), (p.cancel_timer, 1),
            (p.add_signal, signal.SIGUSR1), (p.remove_signal, signal.SIGUSR1), (p.fileno,),
            (p.__enter__,),
        ]
        with mock.patch.object(repoll, "_lib", Untouchable()):
            for fn, *args in calls:
                with self.subTest(method=fn.__name__):
                    self.assertOSError(OSError, errno.EBADF, fn, *args)
            p.close()  # idempotent, and it does not call the library either


# ---- timeouts ---------------------------------------------------------------

class TimeoutTest(PollerTest):
    def test_zero_polls(self):
        p = self.poller()
        t = time.monotonic()
        self.assertEqual(p.wait(0), [])
        self.assertEqual(p.wait(0.0), [])
        self.assertEqual(p.wait(-0.0), [])
        self.assertLess(time.monotonic() - t, HANG)

    def test_a_timeout_never_returns_early(self):
        p = self.poller()
        for timeout in (0.05, 0.0123, 0.001, 0.0000015, 1e-9):
            with self.subTest(timeout=timeout):
                t = time.monotonic_ns()
                self.assertEqual(p.wait(timeout), [])
                elapsed = (time.monotonic_ns() - t) / 1e9
                self.assertGreaterEqual(elapsed, timeout)
                self.assertLess(elapsed, HANG)

    def test_conversion_rounds_up_and_clamps(self):
        ns = repoll._ns
        self.assertEqual(ns(0, "t"), 0)
        self.assertEqual(ns(0.0, "t"), 0)
        self.assertEqual(ns(1e-10, "t"), 1)  # rounded up, never down to 0
        self.assertEqual(ns(1.5e-9, "t"), 2)
        self.assertGreaterEqual(ns(0.05, "t"), 50_000_000)
        self.assertLessEqual(ns(0.05, "t"), 50_000_001)
        self.assertEqual(ns(3, "t"), 3_000_000_000)
        self.assertEqual(ns(-1, "t"), -1)
        self.assertEqual(ns(-1e-12, "t"), -1)
        for huge in (1e30, float("inf"), 2**100, 2**63):
            self.assertEqual(ns(huge, "t"), 2**63 - 1, huge)
        with self.assertRaises(ValueError):
            ns(float("nan"), "t")
        with self.assertRaises(TypeError):
            ns("1", "t")

    def _blocks_until_woken(self, timeout):
        p = self.poller()
        w = Waiter(p, timeout)
        w.start()
        w.entered.wait(HANG)
        time.sleep(0.1)
        self.assertTrue(w.is_alive(), f"wait({timeout!r}) returned early: {w.result or w.error}")
        p.wake()
        w.finish(self)
        self.assertIsNone(w.error)
        self.assertEqual(w.result, [(0, repoll.WAKE)])
        self.assertGreaterEqual(w.ended_at - w.started_at, 0.1)

    def test_none_blocks(self):
        self._blocks_until_woken(None)

    def test_negative_blocks_like_none(self):
        self._blocks_until_woken(-1)
        self._blocks_until_woken(-0.5)

    def test_huge_timeouts_do_not_wrap(self):
        for huge in (1e30, 2**70, float("inf"), 9.3e9):
            with self.subTest(timeout=huge):
                self._blocks_until_woken(huge)

    def test_nan_is_a_value_error(self):
        with self.assertRaises(ValueError):
            self.poller().wait(float("nan"))

    def test_none_blocks_until_another_thread_makes_an_fd_ready(self):
        p = self.poller()
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        p.register(r, repoll.IN, 77)
        waiter = Waiter(p, None)
        waiter.start()
        waiter.entered.wait(HANG)
        time.sleep(0.05)
        self.assertTrue(waiter.is_alive())
        threading.Thread(target=os.write, args=(w, b"x")).start()
        waiter.finish(self)
        self.assertIsNone(waiter.error)
        self.assertEqual(waiter.result, [(77, repoll.IN)])

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_a_signal_handler_does_not_cut_the_timeout_short(self):
        ran = []
        old = signal.signal(signal.SIGALRM, lambda *a: ran.append(1))
        try:
            p = self.poller()
            signal.setitimer(signal.ITIMER_REAL, 0.03)
            t = time.monotonic()
            self.assertEqual(p.wait(0.2), [])
            self.assertGreaterEqual(time.monotonic() - t, 0.2)
            self.assertEqual(ran, [1], "the handler ran during the wait")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_an_exception_from_a_signal_handler_ends_a_blocking_wait(self):
        class Alarm(Exception):
            pass

        def handler(*_):
            raise Alarm()

        old = signal.signal(signal.SIGALRM, handler)
        try:
            p = self.poller()
            signal.setitimer(signal.ITIMER_REAL, 0.03, 0.5)  # repeats, in case one is missed
            t = time.monotonic()
            with self.assertRaises(Alarm):
                p.wait(None)
            self.assertLess(time.monotonic() - t, HANG)
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.assertEqual(p.wait(0), [], "the poller is still usable")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


    def _handler_during_wait(self, action):
        p = repoll.Poller()
        self.addCleanup(p.close)
        old = signal.signal(signal.SIGALRM, lambda *_: action(p))
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.03)
            w = threading.Timer(HANG, p.wake)  # hang guard
            w.start()
            try:
                return p, p.wait(None)
            finally:
                w.cancel()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_wake_from_a_signal_handler_ends_the_wait(self):
        _, events = self._handler_during_wait(lambda p: p.wake())
        self.assertEqual(events, [(0, repoll.WAKE)])

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_close_from_a_signal_handler_on_the_waiting_thread(self):
        with self.assertRaises(OSError) as cm:
            self._handler_during_wait(lambda p: p.close())
        self.assertEqual(cm.exception.errno, errno.EBADF)


# ---- threads ----------------------------------------------------------------

class ThreadTest(PollerTest):
    def _waiting(self, p, timeout=None):
        w = Waiter(p, timeout)
        w.start()
        w.entered.wait(HANG)
        time.sleep(0.05)  # let it block in the library
        self.assertTrue(w.is_alive(), "wait() returned before anything happened")
        return w

    def test_register_a_ready_fd_from_another_thread(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        w = self._waiting(p)
        p.register(r, repoll.IN, 2**64 - 3)
        w.finish(self)
        self.assertIsNone(w.error)
        self.assertEqual(w.result, [(2**64 - 3, repoll.IN)])

    def test_wake_from_another_thread(self):
        p = self.poller()
        w = self._waiting(p)
        p.wake()
        w.finish(self)
        self.assertEqual(w.result, [(0, repoll.WAKE)])
        p.wake()
        p.wake()
        self.assertEqual(p.wait(0), [(0, repoll.WAKE)], "wakes coalesce")
        self.assertEqual(p.wait(0), [])

    def test_close_from_another_thread_is_ebadf_in_the_waiter(self):
        p = repoll.Poller()
        fd = p.fileno()
        w = self._waiting(p)
        p.close()
        w.finish(self)
        self.assertIsInstance(w.error, OSError)
        self.assertEqual(w.error.errno, errno.EBADF)
        self.assertIsNone(p._handle, "the last call out released the handle")
        self.assertFalse(fd_is_epoll(fd), "the epoll fd was closed")
        self.assertRaises(OSError, p.wait, 0)

    def test_close_with_several_waiters(self):
        p = repoll.Poller()
        waiters = [self._waiting(p) for _ in range(4)]
        p.close()
        for w in waiters:
            w.finish(self)
            self.assertIsInstance(w.error, OSError)
            self.assertEqual(w.error.errno, errno.EBADF)
        self.assertIsNone(p._handle)

    def test_close_defers_release_while_a_call_is_in_flight(self):
        # A call between its bookkeeping and the library (here: held inside a
        # slowed-down repoll_fd) must keep the handle alive across close().
        real = repoll._lib
        inside, proceed = threading.Event(), threading.Event()
        closes, results = [], []

        class Proxy:
            def __getattr__(self, name):
                fn = getattr(real, name)
                if name == "repoll_fd":
                    def slow(*args):
                        inside.set()
                        proceed.wait(HANG)
                        return fn(*args)
                    return slow
                if name == "repoll_close":
                    return lambda *args: closes.append(args) or fn(*args)
                return fn

        self.addCleanup(proceed.set)
        with mock.patch.object(repoll, "_lib", Proxy()):
            p = repoll.Poller()
            t = threading.Thread(target=lambda: results.append(p.fileno()))
            t.start()
            self.assertTrue(inside.wait(HANG))
            p.close()
            self.assertTrue(p.closed)
            self.assertEqual(closes, [], "close() freed the handle under a call in flight")
            proceed.set()
            t.join(HANG)
            self.assertFalse(t.is_alive())
        self.assertEqual(len(closes), 1, "the last call out releases the handle, once")
        self.assertIsNone(p._handle)
        self.assertEqual(len(results), 1)

    def test_close_races_with_calls_starting(self):
        # The close may land before, during or after each thread's call:
        # every outcome must be a result or EBADF, never a crash or a hang.
        for i in range(100):
            p = repoll.Poller()
            pipes = [os.pipe() for _ in range(6)]
            errors, results = [], []

            def worker(k):
                r = pipes[k][0]
                try:
                    for _ in range(3):
                        if k % 3 == 0:
                            results.append(p.wait(None))
                        elif k % 3 == 1:
                            p.wake()
                        else:
                            p.register(r, repoll.IN)
                            p.unregister(r)
                except OSError as e:
                    errors.append(e.errno)

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
            for t in threads:
                t.start()
            if i % 2:
                time.sleep(0.001)
            p.close()
            for t in threads:
                t.join(HANG)
                self.assertFalse(t.is_alive(), "a call hung across close()")
            for r, w in pipes:
                os.close(r)
                os.close(w)
            self.assertEqual(set(errors) - {errno.EBADF}, set())
            self.assertIsNone(p._handle)

    def test_two_threads_waiting_at_once(self):
        p = self.poller()
        wanted = {random.getrandbits(64) for _ in range(6)}
        got, lock = [], threading.Lock()

        def collect():
            deadline = time.monotonic() + HANG
            while time.monotonic() < deadline:
                with lock:
                    if len(got) >= len(wanted):
                        return
                batch = p.wait(0.01)
                with lock:
                    got.extend(batch)

        threads = [threading.Thread(target=collect) for _ in range(2)]
        for t in threads:
            t.start()
        for data in wanted:
            r, _ = ready_pipe(self)
            p.register(r, repoll.IN | repoll.ONESHOT, data)
        for t in threads:
            t.join(HANG)
        self.assertEqual(sorted(got), sorted((d, repoll.IN) for d in wanted))

    def test_a_timer_added_from_another_thread_ends_a_blocked_wait(self):
        p = self.poller()
        w = self._waiting(p)
        p.add_timer(0.02, data=U64)
        w.finish(self)
        self.assertEqual(w.result, [(U64, repoll.TIMER)])


# ---- timers -----------------------------------------------------------------

class TimerTest(PollerTest):
    def test_one_shot_timer_never_early(self):
        p = self.poller()
        t = time.monotonic()
        tid = p.add_timer(0.02, data=1234)
        self.assertIsInstance(tid, int)
        self.assertNotEqual(tid, 0)
        self.assertEqual(p.wait(HANG), [(1234, repoll.TIMER)])
        self.assertGreaterEqual(time.monotonic() - t, 0.02)
        self.assertEqual(p.wait(0.05), [], "a one-shot timer fires once")
        with self.assertRaises(FileNotFoundError):
            p.cancel_timer(tid)  # already fired

    def test_cancel(self):
        p = self.poller()
        tid = p.add_timer(0.02, data=9)
        p.cancel_timer(tid)
        self.assertEqual(p.wait(0.06), [])
        with self.assertRaises(FileNotFoundError) as cm:
            p.cancel_timer(tid)
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        with self.assertRaises(FileNotFoundError):
            p.cancel_timer(123456789)

    def test_interval_timer(self):
        p = self.poller()
        t = time.monotonic()
        tid = p.add_timer(0.01, 0.01, data=2**63)
        for _ in range(3):
            self.assertEqual(p.wait(HANG), [(2**63, repoll.TIMER)])
        self.assertGreaterEqual(time.monotonic() - t, 0.03)
        p.cancel_timer(tid)
        self.assertEqual(p.wait(0.03), [])

    def test_zero_first_is_due_at_once(self):
        p = self.poller()
        p.add_timer(0, data=3)
        self.assertEqual(p.wait(HANG), [(3, repoll.TIMER)])

    def test_ids_are_distinct(self):
        p = self.poller()
        ids = [p.add_timer(1000) for _ in range(50)]
        self.assertEqual(len(set(ids)), 50)
        for tid in ids:
            p.cancel_timer(tid)


# ---- signals ----------------------------------------------------------------

@unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
class SignalTest(PollerTest):
    SIG = signal.SIGUSR1

    def setUp(self):
        # Any thread left over would receive the signal the ordinary way.
        others = [t for t in threading.enumerate() if t is not threading.current_thread() and t.is_alive()]
        for t in others:
            t.join(HANG)
        self.stray = []
        self.old_handler = signal.signal(self.SIG, lambda *a: self.stray.append(a[0]))
        self.old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {self.SIG})
        self.addCleanup(self.restore)

    def restore(self):
        if self.SIG in signal.sigpending():  # never unblock onto a pending one
            signal.sigtimedwait({self.SIG}, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.old_mask)
        signal.signal(self.SIG, self.old_handler)

    def test_signal_comes_back_as_an_event(self):
        p = self.poller()
        p.add_signal(self.SIG, 2**64 - 2)
        self.assertEqual(p.wait(0), [])
        os.kill(os.getpid(), self.SIG)
        self.assertEqual(p.wait(HANG), [(2**64 - 2, repoll.SIGNAL)])
        self.assertEqual(p.wait(0), [])
        self.assertEqual(self.stray, [], "the handler must not have seen it")

    def test_default_data_is_the_signal_number(self):
        p = self.poller()
        p.add_signal(self.SIG)
        os.kill(os.getpid(), self.SIG)
        self.assertEqual(p.wait(HANG), [(int(self.SIG), repoll.SIGNAL)])

    def test_add_twice_and_remove(self):
        p = self.poller()
        p.add_signal(self.SIG, 1)
        with self.assertRaises(FileExistsError):
            p.add_signal(self.SIG, 1)
        p.remove_signal(self.SIG)
        with self.assertRaises(FileNotFoundError):
            p.remove_signal(self.SIG)
        os.kill(os.getpid(), self.SIG)
        self.assertEqual(p.wait(0.02), [], "a removed signal is not reported")
        self.assertIn(self.SIG, signal.sigpending(), "it stays pending, still blocked")


class RegisterManyTest(PollerTest):
    def eventfds(self, n):
        fds = [os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC) for _ in range(n)]
        for fd in fds:
            self.addCleanup(os.close, fd)
        return fds

    def test_all_registered_with_the_fd_as_default_data(self):
        p = self.poller(maxevents=64)
        fds = self.eventfds(40)
        p.register_many(fds, repoll.OUT)  # an eventfd is always writable
        self.assertEqual(sorted(p.wait(0)), [(fd, repoll.OUT) for fd in sorted(fds)])
        with self.assertRaises(FileExistsError):
            p.register(fds[7], repoll.OUT)

    def test_per_fd_events_and_data(self):
        p = self.poller()
        fds = self.eventfds(3)
        os.eventfd_write(fds[1], 1)
        p.register_many(fds, [repoll.IN, repoll.IN, repoll.OUT], [U64, 0, 2**63])
        self.assertEqual(sorted(p.wait(0)), [(0, repoll.IN), (2**63, repoll.OUT)])

    def test_file_objects(self):
        p = self.poller()
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        p.register_many([a, b.fileno()], repoll.OUT, [1, 2])
        self.assertEqual(sorted(p.wait(0)), [(1, repoll.OUT), (2, repoll.OUT)])

    def test_a_failure_does_not_stop_the_others_and_all_are_listed(self):
        p = self.poller()
        fds = self.eventfds(4)
        p.register(fds[1], repoll.OUT)
        with self.assertRaises(FileExistsError) as cm:
            p.register_many([fds[0], fds[1], 1 << 30, fds[2], fds[1]], repoll.OUT)
        failures = [(i, type(e), e.errno) for i, e in cm.exception.failures]
        self.assertEqual(failures, [(1, FileExistsError, errno.EEXIST), (2, OSError, errno.EBADF),
                                    (4, FileExistsError, errno.EEXIST)])
        self.assertEqual(sorted(d for d, _ in p.wait(0)), sorted([fds[0], fds[1], fds[2]]))

    def test_values_c_cannot_hold_register_nothing(self):
        p = self.poller()
        fds = self.eventfds(2)
        for bad in ([fds[0], 2**31], [fds[0], -2**31 - 1]):
            with self.assertRaises(ValueError):
                p.register_many(bad)
        with self.assertRaises(ValueError):
            p.register_many(fds, repoll.OUT, [1, 2**64])
        with self.assertRaises(ValueError):
            p.register_many(fds, [repoll.OUT, -1])
        with self.assertRaises(ValueError):
            p.register_many(fds, repoll.OUT, [1])
        with self.assertRaises(TypeError):
            p.register_many([fds[0], "3"])
        self.assertEqual(p.wait(0), [], "nothing was registered")

    def test_empty_and_unregister_many(self):
        p = self.poller()
        p.register_many([])
        p.unregister_many([])
        fds = self.eventfds(5)
        p.register_many(fds, repoll.OUT)
        p.unregister_many(fds[:4])
        self.assertEqual(p.wait(0), [(fds[4], repoll.OUT)])
        with self.assertRaises(FileNotFoundError) as cm:
            p.unregister_many(fds)
        self.assertEqual([i for i, _ in cm.exception.failures], [0, 1, 2, 3])
        self.assertEqual(p.wait(0), [])

    def test_closed_poller_is_ebadf(self):
        p = repoll.Poller()
        p.close()
        with self.assertRaises(OSError) as cm:
            p.register_many([0])
        self.assertEqual(cm.exception.errno, errno.EBADF)


class SigmaskTest(PollerTest):
    """wait(sigmask=...): the signal is blocked in the thread and let in
    only for the wait, atomically."""

    SIG = signal.SIGUSR1

    def setUp(self):
        others = [t for t in threading.enumerate() if t is not threading.current_thread() and t.is_alive()]
        for t in others:
            t.join(HANG)
        self.ran = []
        self.old_handler = signal.signal(self.SIG, lambda *a: self.ran.append(a[0]))
        self.old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {self.SIG})
        self.addCleanup(self.restore)

    def restore(self):
        if self.SIG in signal.sigpending():
            signal.sigtimedwait({self.SIG}, 0)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.old_mask)
        signal.signal(self.SIG, self.old_handler)

    def letting_in(self):
        return signal.pthread_sigmask(signal.SIG_BLOCK, []) - {self.SIG}

    def test_a_pending_signal_waits_for_the_mask_that_lets_it_in(self):
        p = self.poller()
        signal.pthread_kill(threading.get_ident(), self.SIG)
        keep = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        t = time.monotonic()
        self.assertEqual(p.wait(0.02, sigmask=keep), [])
        self.assertGreaterEqual(time.monotonic() - t, 0.02)
        self.assertEqual(self.ran, [])
        self.assertIn(self.SIG, signal.sigpending())
        self.assertEqual(p.wait(None, sigmask=self.letting_in()), [], "ended by the signal")
        self.assertEqual(self.ran, [self.SIG], "the handler ran before wait() returned")
        self.assertNotIn(self.SIG, signal.sigpending())
        self.assertIn(self.SIG, signal.pthread_sigmask(signal.SIG_BLOCK, []), "still blocked")

    def test_ready_events_are_returned_under_a_mask(self):
        p = self.poller()
        r, _ = ready_pipe(self)
        p.register(r, repoll.IN, 5)
        self.assertEqual(p.wait(HANG, sigmask=self.letting_in()), [(5, repoll.IN)])
        self.assertEqual(p.wait(HANG, sigmask=[]), [(5, repoll.IN)])

    @unittest.skipUnless(threading.current_thread() is threading.main_thread(), "needs the main thread")
    def test_an_exception_from_the_handler_propagates(self):
        class Stop(Exception):
            pass

        def handler(*_):
            raise Stop()

        signal.signal(self.SIG, handler)
        p = self.poller()
        signal.pthread_kill(threading.get_ident(), self.SIG)
        with self.assertRaises(Stop):
            p.wait(None, sigmask=self.letting_in())

    def test_many_waiters_each_stopped_by_its_signal(self):
        p = self.poller()
        mask = self.letting_in()
        for _ in range(20):
            ready, results = threading.Barrier(5), []

            def waiter():
                ready.wait()
                results.append(p.wait(None, sigmask=mask))

            threads = [threading.Thread(target=waiter, daemon=True) for _ in range(4)]
            for t in threads:
                t.start()
            ready.wait()
            for t in threads:
                signal.pthread_kill(t.ident, self.SIG)
            for t in threads:
                t.join(HANG)
                self.assertFalse(t.is_alive(), "a waiter missed its signal")
            self.assertEqual(results, [[]] * 4)

    def test_bad_signal_numbers_are_value_errors(self):
        p = self.poller()
        for bad in ([0], [signal.NSIG], [-1]):
            with self.assertRaises(ValueError):
                p.wait(0, sigmask=bad)
        with self.assertRaises(TypeError):
            p.wait(0, sigmask=["SIGUSR1"])
        self.assertEqual(p.wait(0, sigmask=signal.valid_signals()), [])

    def test_timeouts_never_early_under_a_mask(self):
        p = self.poller()
        for timeout in (0, 1e-9, 0.001, 0.02):
            t = time.monotonic_ns()
            self.assertEqual(p.wait(timeout, sigmask=self.letting_in()), [])
            self.assertGreaterEqual(time.monotonic_ns() - t, timeout * 1e9)


# ---- lifetime ---------------------------------------------------------------

class LifetimeTest(unittest.TestCase):
    def test_context_manager_closes(self):
        with repoll.Poller() as p:
            fd = p.fileno()
            self.assertTrue(fd_is_epoll(fd))
            self.assertFalse(p.closed)
        self.assertTrue(p.closed)
        self.assertFalse(fd_is_epoll(fd))
        with self.assertRaises(OSError) as cm:
            p.fileno()
        self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_context_manager_closes_on_error(self):
        with self.assertRaises(KeyError):
            with repoll.Poller() as p:
                fd = p.fileno()
                raise KeyError()
        self.assertTrue(p.closed)
        self.assertFalse(fd_is_epoll(fd))

    def test_close_is_idempotent_and_frees_once(self):
        calls = []
        real = repoll._lib

        class Counting:
            def __getattr__(self, name):
                fn = getattr(real, name)
                if name != "repoll_close":
                    return fn
                return lambda *a: calls.append(a) or fn(*a)

        with mock.patch.object(repoll, "_lib", Counting()):
            p = repoll.Poller()
            p.close()
            p.close()
            p.__exit__(None, None, None)
            del p
        self.assertEqual(len(calls), 1)

    def test_garbage_collection_closes(self):
        p = repoll.Poller()
        fd = p.fileno()
        del p
        self.assertFalse(fd_is_epoll(fd))

    def test_cloexec_by_default(self):
        with repoll.Poller() as p:
            self.assertFalse(os.get_inheritable(p.fileno()))
        with repoll.Poller(flags=0) as p:
            self.assertTrue(os.get_inheritable(p.fileno()))

    def test_repr(self):
        p = repoll.Poller(maxevents=5)
        self.assertIn("maxevents=5", repr(p))
        p.close()
        self.assertIn("closed", repr(p))


# ---- loading ----------------------------------------------------------------

def run_python(code, env_changes, cwd=HERE):
    env = dict(os.environ)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


class LoadingTest(unittest.TestCase):
    def test_missing_repoll_library_is_a_clear_import_error(self):
        missing = os.path.join(tempfile.gettempdir(), "no-such-dir", "librepoll.so")
        res = run_python("import repoll", {"REPOLL_LIBRARY": missing})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("ImportError", res.stderr)
        self.assertIn(missing, res.stderr)
        self.assertIn("REPOLL_LIBRARY", res.stderr)
        self.assertIn("make build", res.stderr)

    def test_repoll_library_that_is_not_a_library(self):
        res = run_python("import repoll", {"REPOLL_LIBRARY": HEADER})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("ImportError", res.stderr)
        self.assertIn(HEADER, res.stderr)

    def test_repoll_library_is_used(self):
        path = os.path.realpath(repoll.LIBRARY_PATH)
        res = run_python("import repoll; print(repoll.LIBRARY_PATH); print(repoll.version())",
                         {"REPOLL_LIBRARY": path})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.split(), [path, repoll.version()])

    def test_build_tree_is_searched_without_repoll_library(self):
        res = run_python("import repoll; print(repoll.LIBRARY_PATH)", {"REPOLL_LIBRARY": None})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(os.path.join(ROOT, "target"), res.stdout)

    def test_nothing_found_lists_every_place_tried(self):
        with tempfile.TemporaryDirectory() as tmp:
            lone = os.path.join(tmp, "a", "b")
            os.makedirs(lone)
            shutil.copy(os.path.join(HERE, "repoll.py"), lone)
            res = run_python("import repoll; print(repoll.LIBRARY_PATH)",
                             {"REPOLL_LIBRARY": None, "LD_LIBRARY_PATH": None}, cwd=lone)
        if res.returncode == 0:
            self.skipTest(f"librepoll is installed on this system: {res.stdout.strip()}")
        self.assertIn("ImportError", res.stderr)
        for expected in (os.path.join(tmp, "target", "release", "librepoll.so"),
                         os.path.join(tmp, "target", "debug", "librepoll.so"),
                         "librepoll.so.0", "REPOLL_LIBRARY", "make build"):
            self.assertIn(expected, res.stderr)

    def _fake_library(self, tmp, version, names):
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc:
            self.skipTest("no C compiler to build a fake library")
        src = os.path.join(tmp, "fake.c")
        with open(src, "w") as f:
            for name in names:
                if name == "repoll_version":
                    f.write(f'const char *repoll_version(void) {{ return "{version}"; }}\n')
                else:
                    f.write(f"int {name}(void) {{ return 0; }}\n")
        lib = os.path.join(tmp, "libfake.so")
        subprocess.run([cc, "-shared", "-fPIC", "-o", lib, src], check=True, timeout=60)
        return lib

    def test_wrong_major_version_is_an_import_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            lib = self._fake_library(tmp, "1.0.0", repoll._PROTOTYPES)
            res = run_python("import repoll", {"REPOLL_LIBRARY": lib})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("ImportError", res.stderr)
        self.assertIn("'1.0.0'", res.stderr)
        self.assertIn("major version 0", res.stderr)

    def test_missing_symbol_is_an_import_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            lib = self._fake_library(tmp, "0.1.0", ["repoll_version", "repoll_create"])
            res = run_python("import repoll", {"REPOLL_LIBRARY": lib})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("ImportError", res.stderr)
        self.assertIn("undefined symbol", res.stderr)


class ApiJsonTest(unittest.TestCase):
    """The constants come from repoll.json, found beside the loaded library."""

    def _api_copy(self, tmp, change):
        with open(os.path.join(ROOT, "include", "repoll.json")) as f:
            api = json.load(f)
        change(api)
        path = os.path.join(tmp, "repoll.json")
        with open(path, "w") as f:
            json.dump(api, f)
        return path

    def test_constants_are_the_values_of_repoll_json(self):
        def renumber(api):
            for c in api["constants"]:
                if c["name"] == "REPOLL_RDBAND":
                    c["value"] = 12345
        with tempfile.TemporaryDirectory() as tmp:
            path = self._api_copy(tmp, renumber)
            res = run_python("import repoll; print(repoll.API_PATH, repoll.RDBAND, 'RDBAND' in repoll.__all__)",
                             {"REPOLL_API_JSON": path})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.split(), [path, "12345", "True"])

    def test_build_tree_json_goes_with_the_build_tree_library(self):
        self.assertEqual(os.path.realpath(repoll.API_PATH), os.path.join(ROOT, "include", "repoll.json"))

    def test_installed_json_is_found_under_the_prefix_of_the_library(self):
        with tempfile.TemporaryDirectory() as tmp:
            libdir = os.path.join(tmp, "prefix", "lib")
            apidir = os.path.join(tmp, "prefix", "share", "repoll")
            os.makedirs(libdir)
            os.makedirs(apidir)
            lib = os.path.join(libdir, "librepoll.so.0")
            shutil.copy(os.path.realpath(repoll.LIBRARY_PATH), lib)
            shutil.copy(os.path.join(ROOT, "include", "repoll.json"), apidir)
            res = run_python("import repoll; print(repoll.API_PATH)", {"REPOLL_LIBRARY": lib})
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.strip(), os.path.join(apidir, "repoll.json"))

    def test_missing_repoll_json_is_a_clear_import_error(self):
        missing = os.path.join(tempfile.gettempdir(), "no-such-dir", "repoll.json")
        res = run_python("import repoll", {"REPOLL_API_JSON": missing})
        self.assertNotEqual(res.returncode, 0)
        for expected in ("ImportError", missing, "REPOLL_API_JSON", "make install", "apidir"):
            self.assertIn(expected, res.stderr)

    def test_event_layout_that_differs_from_repoll_json_is_an_import_error(self):
        def move(api):
            for t in api["types"]:
                if t["name"] == "repoll_event_t":
                    t["fields"][1]["offset"] = 12
        with tempfile.TemporaryDirectory() as tmp:
            res = run_python("import repoll", {"REPOLL_API_JSON": self._api_copy(tmp, move)})
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("does not match repoll_event_t", res.stderr)


# ---- examples ---------------------------------------------------------------

class ExampleTest(unittest.TestCase):
    def test_examples_pass_their_self_tests(self):
        scripts = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py"))
        self.assertGreaterEqual(len(scripts), 2, scripts)
        for script in scripts:
            with self.subTest(example=script):
                res = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), "--self-test"],
                                     env=dict(os.environ), capture_output=True, text=True, timeout=60)
                self.assertEqual(res.returncode, 0, f"{script}:\n{res.stdout}\n{res.stderr}")


if __name__ == "__main__":
    unittest.main()
