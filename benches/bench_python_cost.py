#!/usr/bin/env python3
"""What crossing the FFI costs from Python (ctypes), per call: the two
operations of benches/bench_ffi_cost.c, through the binding.

  wait       one Poller.wait(0) returning one event (a level-triggered pipe
             that stays readable)
  reg_unreg  one Poller.register plus one Poller.unregister of that pipe

Each figure is the median of 7 runs of N calls, in CPU ns per call
(time.thread_time_ns: no call blocks).

Usage: bench_python_cost.py [N]     (default 50000)
The library is found as the binding finds it (REPOLL_LIBRARY, else the
build tree, release first).
Output: one line per operation "ffi_cost lang=python op=... ns=...".
"""

import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import repoll  # noqa: E402

RUNS = 7


def measure(body, n):
    body(n // 10 + 1)  # warm-up
    runs = []
    for _ in range(RUNS):
        t0 = time.thread_time_ns()
        body(n)
        runs.append((time.thread_time_ns() - t0) / n)
    return statistics.median(runs)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    r, w = os.pipe()
    os.write(w, b"x")
    with repoll.Poller(maxevents=16) as p:
        p.register(r, repoll.IN, 1)

        def wait(k):
            for _ in range(k):
                if len(p.wait(0)) != 1:
                    sys.exit("wait: not one event")

        print(f"ffi_cost lang=python op=wait ns={measure(wait, n):.1f}")
        p.unregister(r)

        def reg_unreg(k):
            register, unregister = p.register, p.unregister
            for _ in range(k):
                register(r, repoll.IN, 1)
                unregister(r)

        print(f"ffi_cost lang=python op=reg_unreg ns={measure(reg_unreg, n):.1f}")
    os.close(r)
    os.close(w)


if __name__ == "__main__":
    main()
