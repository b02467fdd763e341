"""Paths, workload sizes and backend lists shared by the benchmark modules."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCHES = ROOT / "benches"
OUT = ROOT / "target" / "bench"
RELEASE = ROOT / "target" / "release"
QUICK = os.environ.get("REPOLL_BENCH_QUICK") == "1"
# A librepoll.so to measure beside the current one ("repoll-before"): the
# before/after columns of the timer and fixed-cost tables.
BEFORE = os.environ.get("REPOLL_BENCH_BEFORE") or None

ACTIVE, WRITES = 100, 1000  # per round: 100 active pairs, a chain of 1000 writes
FD_LIMIT_NOTE = (
    "The machine allows at most 20 000 open fds per process (hard limit), so N "
    "stops at 9 000 socketpairs (18 000 fds): N = 10 000 and N = 100 000 "
    "(200 000 fds) do not fit."
)
# (N, active, writes) -> (timed rounds per batch, batches, warm-up rounds
# per batch). Backends take turns batch by batch, each with a fresh loop, so
# that the drift of a shared machine spreads evenly over all of them. The last
# workload has one event per wait (A = 1), where the fixed cost of each wait
# call shows; it is left out of the plot.
DISPATCH = {
    (100, ACTIVE, WRITES): (5, 300, 1),
    (1000, ACTIVE, WRITES): (5, 250, 2),
    (3000, ACTIVE, WRITES): (6, 150, 4),
    (9000, ACTIVE, WRITES): (10, 100, 10),
    (1000, 1, 100): (10, 300, 2),
}
# (N, active, writes): the dispatch sizes, plus one event per wait (A = 1),
# where the fixed cost of each wait call shows.
CALLGRIND = [(100, ACTIVE, WRITES), (1000, ACTIVE, WRITES), (9000, ACTIVE, WRITES), (1000, 1, 100)]
CALLGRIND_ROUNDS = 10
# (timers, span in ms): from sparse (10 000 over 1 s: one expiry per 100 µs,
# each needing a wake-up of its own) to dense (1 000 000 over 100 ms: ten
# per µs).
TIMERS = [(10_000, 100), (100_000, 100), (1_000_000, 100),
          (10_000, 1000), (100_000, 1000), (1_000_000, 1000)]
TIMER_REPS = 5
WAKE_ROUNDTRIPS, WAKE_BATCHES, WAKE_RUNS = 1000, 10, 5
if QUICK:
    DISPATCH = {(100, ACTIVE, WRITES): (2, 3, 1), (1000, ACTIVE, WRITES): (2, 3, 1), (1000, 1, 100): (2, 3, 1)}
    CALLGRIND, CALLGRIND_ROUNDS = [(100, ACTIVE, WRITES), (1000, ACTIVE, WRITES), (1000, 1, 100)], 2
    TIMERS, TIMER_REPS = [(20_000, 100)], 1
    WAKE_ROUNDTRIPS, WAKE_BATCHES, WAKE_RUNS = 200, 2, 1

BEFORE_NAME = "repoll-before"
DISPATCH_BACKENDS = ["raw", "repoll", "libev", "libevent", "libuv"]
# Under callgrind, also repoll on a handle holding a timer: what a wait costs
# on a handle with timers.
CALLGRIND_BACKENDS = ["raw", "repoll", "repoll+timer", "libev", "libevent", "libuv"]
PEERS = ["libev", "libevent", "libuv"]
TIMER_BACKENDS = ["floor", "repoll", "libev", "libuv", "libevent"]
WAKE_BACKENDS = ["eventfd", "epoll+eventfd", "repoll", "libev", "libuv"]
WAKE_PLACEMENTS = {"same": "same CPU", "split": "two CPUs"}


def with_before(backends, after="repoll"):
    """The list with repoll-before right after repoll, when measured."""
    if not BEFORE:
        return list(backends)
    i = backends.index(after) + 1
    return backends[:i] + [BEFORE_NAME] + backends[i:]
