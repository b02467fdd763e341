#!/usr/bin/env python3
"""A ticker: a repeating repoll timer plus SIGINT/SIGTERM as events.

    ticker.py [INTERVAL]     print a tick every INTERVAL seconds (default 1)
                             until Ctrl-C or SIGTERM, then say goodbye
    ticker.py --self-test    20 ms ticks; after 3 it sends itself SIGTERM
                             and checks that the signal came back as an event

The signals are blocked first (before any thread exists), so they arrive as
(data, SIGNAL) events instead of running a handler; the loop handles them
like any other event and exits cleanly.
"""
import os
import signal
import sys
import time

try:
    import repoll
except ImportError:  # run from the source tree: repoll.py is one level up
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import repoll

TICK = 1  # timer data; signals use their number as data (the default)


def run(interval, max_ticks=None, verbose=True):
    # A signal whose disposition is SIG_IGN is discarded by the kernel even
    # while blocked (SIGINT in a background job of a script): skip those.
    stop_signals = {s for s in (signal.SIGINT, signal.SIGTERM)
                    if signal.getsignal(s) != signal.SIG_IGN}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    ticks, got_signal = 0, None
    start = time.monotonic()
    try:
        with repoll.Poller() as poller:
            for signo in stop_signals:
                poller.add_signal(signo)
            poller.add_timer(interval, interval, data=TICK)
            while got_signal is None:
                for data, events in poller.wait():
                    if events & repoll.TIMER:
                        ticks += 1
                        if verbose:
                            print(f"tick {ticks} at {time.monotonic() - start:.3f} s", flush=True)
                        if ticks == max_ticks:
                            os.kill(os.getpid(), signal.SIGTERM)
                    elif events & repoll.SIGNAL:
                        got_signal = signal.Signals(data)
    finally:
        # Only now that the poller consumed it is it safe to unblock.
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    elapsed = time.monotonic() - start
    if verbose:
        print(f"{got_signal.name} after {ticks} ticks: goodbye")
    return ticks, got_signal, elapsed


def main(argv):
    if argv[1:2] == ["--self-test"]:
        ticks, sig, elapsed = run(0.02, max_ticks=3, verbose=False)
        ok = ticks == 3 and sig == signal.SIGTERM and elapsed >= 0.06
        print(f"ticker self-test: {ticks} ticks, {sig.name}, {elapsed:.3f} s: {'ok' if ok else 'FAILED'}")
        return 0 if ok else 1
    run(float(argv[1]) if len(argv) > 1 else 1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
