"""Running the benchmark programs and collecting their figures.

Each bench_* function runs one program (several times, backends taking
turns) and returns the parsed rows; `errors` collects every mismatch or
failed run, which makes the whole run fail. Nothing here formats a table."""

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .build import before_env
from .config import (BEFORE_NAME, CALLGRIND, CALLGRIND_BACKENDS, CALLGRIND_ROUNDS, DISPATCH, DISPATCH_BACKENDS, OUT,
                     TIMER_BACKENDS, TIMER_REPS, TIMERS, WAKE_BACKENDS, WAKE_BATCHES, WAKE_PLACEMENTS,
                     WAKE_ROUNDTRIPS, WAKE_RUNS, with_before)

errors = []  # mismatches and failed runs: make the run fail


def say(msg=""):
    print(msg, flush=True)


def cfg_label(cfg):
    from .config import ACTIVE, WRITES
    n, a, w = cfg
    return f"N={n:,}" if (a, w) == (ACTIVE, WRITES) else f"N={n:,}, A={a}, W={w}"


def timers_label(cell):
    count, span = cell
    return f"T={count:,} in {span:,} ms"


def parse_lines(text, kind):
    """The `kind key=value ...` lines of a benchmark's output, as dicts."""
    rows = []
    for line in text.splitlines():
        if line.startswith(kind + " "):
            row = {}
            for tok in line.split()[1:]:
                k, _, v = tok.partition("=")
                try:
                    row[k] = float(v)
                except ValueError:
                    row[k] = v
            rows.append(row)
    return rows


def run_proc(cmd, env=None):
    """Runs a benchmark program. A failure to run (exit status 2: a system
    call failed, e.g. ENOSPC while a concurrent test has lowered the
    system-wide fs.epoll.max_user_watches; the watchdog; or an abort, as libuv
    does when epoll_ctl fails inside its loop) is retried once, after a pause;
    a MISMATCH (exit status 1) never is."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode not in (0, 1):
        say(f"  transient failure, retrying once: {proc.stderr.strip()[-300:]}")
        time.sleep(2)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return proc


def run_bench(cmd, kind, env=None):
    proc = run_proc(cmd, env)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        errors.append(f"{' '.join(map(str, cmd))} exited with {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout, parse_lines(proc.stdout, kind)


def as_backend(backend):
    """(the program's backend name, environment) for a table backend name."""
    if backend == BEFORE_NAME:
        return "repoll", before_env()
    return backend, None


# ---- 1. dispatch --------------------------------------------------------------


def bench_dispatch():
    results = {}  # (n, active, writes) -> backend -> row
    versions = ""
    for cfg, (rounds, batches, warmups) in DISPATCH.items():
        n, a, w = cfg
        say(f"dispatch: {cfg_label(cfg)} ({rounds} rounds x {batches} batches per backend)")
        cmd = [OUT / "bench_dispatch", "-n", n, "-a", a, "-w", w, "-r", rounds,
               "-b", batches, "-W", warmups, "-B", ",".join(DISPATCH_BACKENDS)]
        out, rows = run_bench(cmd, "dispatch")
        results[cfg] = {r["backend"]: r for r in rows}
        m = re.search(r"^versions (.*)$", out, re.M)
        versions = m.group(1) if m else versions
        for r in rows:
            if r["reads"] != r["expected"] or r["failures"] or r["leftover"]:
                errors.append(f"dispatch {cfg_label(cfg)}: {r['backend']} read {r['reads']:.0f} bytes, "
                              f"expected {r['expected']:.0f} (failures {r['failures']:.0f}, leftover {r['leftover']:.0f})")
        if len({r["expected"] for r in rows}) > 1:
            errors.append(f"dispatch {cfg_label(cfg)}: backends ran different numbers of events")
        if set(results[cfg]) != set(DISPATCH_BACKENDS):
            errors.append(f"dispatch {cfg_label(cfg)}: no result for {set(DISPATCH_BACKENDS) - set(results[cfg])}")
    return results, versions


# ---- 2. callgrind -------------------------------------------------------------


def parse_callgrind(path):
    """Self and inclusive Ir per (object, function), and self Ir per
    (object, function, source file) from a callgrind dump written with
    --compress-strings=no --compress-pos=no."""
    self_cost, incl, by_file, total = {}, {}, {}, 0
    ob = fn = fl = fi = None
    after_calls = False
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        key, eq, val = line.partition("=")
        if eq and key in ("ob", "fl", "fi", "fe", "fn", "cob", "cfi", "cfl", "cfn", "calls"):
            if key == "ob":
                ob = val
            elif key == "fl":
                fl = fi = val
            elif key in ("fi", "fe"):
                fi = val
            elif key == "fn":
                fn, fi = val, fl
            elif key == "calls":
                after_calls = True
            continue
        if line.startswith("totals:") or line.startswith("summary:"):
            total = int(line.split()[1])
            continue
        if not (line[0].isdigit() or line[0] in "+-*"):
            continue
        parts = line.split()
        ir = int(parts[1]) if len(parts) > 1 else 0
        k = (ob, fn)
        incl[k] = incl.get(k, 0) + ir
        if after_calls:
            after_calls = False  # the inclusive cost of a call, not own work
            continue
        self_cost[k] = self_cost.get(k, 0) + ir
        kf = (ob, fn, fi)
        by_file[kf] = by_file.get(kf, 0) + ir
    return total, self_cost, incl, by_file


def bench_callgrind():
    res = {}  # (n, active, writes) -> backend -> {per_reg, per_event, setup, rounds, ...}
    for cfg in CALLGRIND:
        n, a, w = cfg
        say(f"callgrind: {cfg_label(cfg)}, {CALLGRIND_ROUNDS} rounds per backend")
        res[cfg] = {}
        for b in with_before(CALLGRIND_BACKENDS):
            prog_backend, env = as_backend(b)
            base = OUT / f"callgrind.{b}.{n}.{a}.{w}"
            for old in (base, Path(f"{base}.1"), Path(f"{base}.2")):
                old.unlink(missing_ok=True)
            cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--compress-strings=no",
                   "--compress-pos=no", f"--callgrind-out-file={base}",
                   OUT / "bench_dispatch", "--callgrind", prog_backend, "-n", n, "-a", a,
                   "-w", w, "-r", CALLGRIND_ROUNDS]
            proc = run_proc(cmd, env)
            rows = parse_lines(proc.stdout, "callgrind")
            if proc.returncode != 0 or not rows:
                errors.append(f"callgrind {b} {cfg_label(cfg)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
                continue
            r = rows[0]
            if r["reads"] != r["expected"] or r["failures"] or r["leftover"]:
                errors.append(f"callgrind {b} {cfg_label(cfg)}: read {r['reads']:.0f}, expected {r['expected']:.0f}")
            # The two profiles the program dumped: 1 = registration, 2 = rounds.
            setup, rounds = parse_callgrind(f"{base}.1"), parse_callgrind(f"{base}.2")
            res[cfg][b] = {"per_reg": setup[0] / n, "per_event": rounds[0] / r["expected"],
                           "per_wait": rounds[0] / r["waits"] if r.get("waits") else None,
                           "waits_total": r.get("waits"),
                           "setup": setup, "rounds": rounds, "events": r["expected"], "n": n}
    return res


# ---- 3. timers ------------------------------------------------------------------

TIMER_FIELDS = ("add_ns", "fire_ns", "cancel_ns", "late_p50_us", "late_p99_us", "late_max_us", "early",
                "bytes", "user_struct", "waits", "fired")


def bench_timers():
    """cell -> backend -> the median of each figure over TIMER_REPS runs, one
    process each, backends taking turns in a rotating order."""
    res = {}
    backends = with_before(TIMER_BACKENDS)
    for cell in TIMERS:
        count, span = cell
        say(f"timers: {timers_label(cell)}, {TIMER_REPS} runs per backend")
        runs = {b: [] for b in backends}
        for rep in range(TIMER_REPS):
            k = rep % len(backends)
            for b in backends[k:] + backends[:k]:
                prog_backend, env = as_backend(b)
                _, rows = run_bench([OUT / "bench_timers", prog_backend, count, span], "timers", env)
                for r in rows:
                    if r["fired"] != count or r["twice"]:
                        errors.append(f"timers {b} {timers_label(cell)}: fired {r['fired']:.0f} of {count} "
                                      f"({r['twice']:.0f} twice)")
                runs[b] += rows
        res[cell] = {b: {k: statistics.median(r[k] for r in rows) for k in TIMER_FIELDS}
                     for b, rows in runs.items() if rows}
    return res


# ---- 4. wake ----------------------------------------------------------------------


def bench_wake():
    """placement -> backend -> medians over WAKE_RUNS processes (each one runs
    every backend in interleaved batches), plus `ratio`: the median over runs
    of the backend's median over epoll+eventfd's median in the same run."""
    res = {}
    for placement, label in WAKE_PLACEMENTS.items():
        if placement == "split" and (os.cpu_count() or 1) < 2:
            continue
        say(f"wake ({label}): {WAKE_RUNS} runs of {WAKE_ROUNDTRIPS} round trips x {WAKE_BATCHES} "
            f"interleaved batches per backend")
        runs = []
        for _ in range(WAKE_RUNS):
            _, rows = run_bench([OUT / "bench_wake", "-r", WAKE_ROUNDTRIPS, "-b", WAKE_BATCHES,
                                 "-B", ",".join(WAKE_BACKENDS), "-c", placement], "wake")
            for r in rows:
                if r["answered"] != r["roundtrips"]:
                    errors.append(f"wake {r['backend']} ({label}): {r['answered']:.0f} answers for "
                                  f"{r['roundtrips']:.0f} round trips")
            runs.append({r["backend"]: r for r in rows})
        res[placement] = {}
        for b in WAKE_BACKENDS:
            mine = [run[b] for run in runs if b in run and "epoll+eventfd" in run]
            if not mine:
                continue
            med = lambda k: statistics.median(r[k] for r in mine)
            res[placement][b] = {
                "median_ns": med("median_ns"), "p10_ns": med("p10_ns"), "p90_ns": med("p90_ns"),
                "ratio": statistics.median(run[b]["median_ns"] / run["epoll+eventfd"]["median_ns"]
                                           for run in runs if b in run and "epoll+eventfd" in run),
            }
    return res
