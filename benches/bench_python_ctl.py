#!/usr/bin/env python3
"""Registering N fds from Python: a loop of Poller.register (one foreign call
per fd) vs one Poller.register_many (one repoll_ctl_batch call) vs that one
call alone with its ops array built beforehand (call_only: the floor from
this process), and, when --c-bench names a built benches/bench_ctl_batch,
a loop of raw epoll_ctl in C for scale.

Each sample registers all N eventfds in a fresh Poller (created and closed
outside the timed part). The variants take turns round by round in a
rotating order; the C program runs one round of its own at the same point.
Ratios are paired per round and their medians reported. Time is the
thread's CPU time (registration never blocks).

Usage: bench_python_ctl.py [-n FDS] [-r ROUNDS] [--c-bench PATH]
The library is found as the binding finds it (REPOLL_LIBRARY, else the
build tree, release first).
Output: one line per variant "ctl_python variant=... key=value ...".
"""

import argparse
import array
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import repoll  # noqa: E402


# Each fd's data is the fd (the binding's default), as in bench_ctl_batch.c.
def per_fd(poller, fds):
    register = poller.register
    for fd in fds:
        register(fd, repoll.IN)


def batched(poller, fds):
    poller.register_many(fds, repoll.IN)


def call_only(poller, fds, _ops={}):
    """The repoll_ctl_batch call alone, its ops array built beforehand (and
    kept between samples): what batched costs without the binding's work."""
    n = len(fds)
    if n not in _ops:
        buf = bytearray(repoll._CTL_OP.pack(repoll.CTL_ADD, 0, repoll.IN, 0, 0) * n)
        memoryview(buf).cast("i")[1::6] = array.array("i", fds)
        memoryview(buf).cast("Q")[2::3] = array.array("Q", fds)
        _ops[n] = (repoll.CtlOp * n).from_buffer(buf)
    handle = poller._enter()
    try:
        t0 = time.thread_time_ns()
        rc = repoll._lib.repoll_ctl_batch(handle, _ops[n], n)
        elapsed = time.thread_time_ns() - t0
    finally:
        poller._leave()
    if rc != n:
        sys.exit(f"repoll_ctl_batch registered {rc} of {n}")
    return elapsed


VARIANTS = {"per_fd": per_fd, "batched": batched, "call_only": call_only}


def sample(fn, fds):
    """CPU ns of registering all fds with fn, in a fresh poller."""
    with repoll.Poller(maxevents=16) as poller:
        t0 = time.thread_time_ns()
        elapsed = fn(poller, fds)
        return elapsed if elapsed is not None else time.thread_time_ns() - t0


def c_raw_ns_per_fd(c_bench, n):
    out = subprocess.run([c_bench, "-n", str(n), "-r", "1"], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"backend=raw .*?cpu_ns_per_fd=([\d.]+)", out)
    if not m:
        sys.exit(f"unexpected output from {c_bench}: {out!r}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10000, help="fds (default 10000)")
    ap.add_argument("-r", type=int, default=21, help="rounds (default 21)")
    ap.add_argument("--c-bench", help="path to a built bench_ctl_batch, for the C figure")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.n + 64 > hard:
        sys.exit(f"-n {args.n} needs more fds than the limit {hard}")
    fds = [os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK) for _ in range(args.n)]

    names = list(VARIANTS) + (["c_raw"] if args.c_bench else [])
    ns = {name: [] for name in names}
    for name in VARIANTS:  # warm-up
        sample(VARIANTS[name], fds)
    for r in range(args.r):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            if name == "c_raw":
                ns[name].append(c_raw_ns_per_fd(args.c_bench, args.n))
            else:
                ns[name].append(sample(VARIANTS[name], fds) / args.n)
    for name in names:
        line = (f"ctl_python variant={name} fds={args.n} rounds={args.r} "
                f"cpu_ns_per_fd={statistics.median(ns[name]):.1f} "
                f"total_ms={statistics.median(ns[name]) * args.n / 1e6:.2f}")
        if name != "per_fd":
            line += " per_fd_over_this={:.3f}".format(
                statistics.median(p / b for p, b in zip(ns["per_fd"], ns[name])))
        if name != "c_raw" and args.c_bench:
            line += " ratio_to_c_raw={:.3f}".format(
                statistics.median(b / c for b, c in zip(ns[name], ns["c_raw"])))
        print(line)
    for fd in fds:
        os.close(fd)


if __name__ == "__main__":
    main()
