"""Running the benchmark programs and collecting their figures.

Each bench_* function runs one program (several times, backends taking
turns) and returns the parsed rows; `errors` collects every mismatch or
failed run, which makes the whole run fail. Nothing here formats a table."""

import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .build import before_env
from .config import (BENCHES, CTL_FDS, CTL_PY_ROUNDS, CTL_ROUNDS, FFI_ITER, RELEASE, ROOT, BEFORE_NAME, CALLGRIND, CALLGRIND_BACKENDS, CALLGRIND_ROUNDS, DISPATCH, DISPATCH_BACKENDS, OUT,
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


# ---- 5. registering many fds in one call ------------------------------------------


def bench_registration():
    """C: raw epoll_ctl loop vs repoll_add loop vs one repoll_ctl_batch
    (bench_ctl_batch.c); Python: per-fd register vs register_many vs the C
    raw loop (bench_python_ctl.py). Returns {"c": backend -> row,
    "python": variant -> row}."""
    say(f"registration: {CTL_FDS:,} fds, {CTL_ROUNDS} interleaved rounds (C), {CTL_PY_ROUNDS} (Python)")
    _, rows = run_bench([OUT / "bench_ctl_batch", "-n", CTL_FDS, "-r", CTL_ROUNDS], "ctl_batch")
    res = {"c": {r["backend"]: r for r in rows}, "python": {}}
    _, rows = run_bench([sys.executable, BENCHES / "bench_python_ctl.py", "-n", CTL_FDS, "-r", CTL_PY_ROUNDS,
                         "--c-bench", OUT / "bench_ctl_batch"], "ctl_python", bindings_env())
    res["python"] = {r["variant"]: r for r in rows}
    return res


# ---- 6. crossing the FFI, per language --------------------------------------------


def bindings_env():
    """The environment that makes every binding load the release library."""
    return dict(os.environ, REPOLL_LIBRARY=str(RELEASE / "librepoll.so"))


def _tool_output(cmd, cwd=None, env=None, timeout=120):
    """stdout of a binding's cost script, or None (and an error) if it failed."""
    cmd = [str(c) for c in cmd]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env or bindings_env(),
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        errors.append(f"{' '.join(cmd)}: no answer in {timeout} s")
        return None
    if proc.returncode != 0:
        errors.append(f"{' '.join(cmd)} exited with {proc.returncode}: {proc.stderr.strip()[-1000:]}")
        return None
    return proc.stdout


def _grab(text, pattern):
    m = re.search(pattern, text or "", re.M)
    return float(m.group(1)) if m else None


def _ffi_c():
    _, rows = run_bench([OUT / "bench_ffi_cost", FFI_ITER["c"]], "ffi_cost")
    return {(r["lang"], r["op"]): r["ns"] for r in rows}


def _ffi_python():
    out = _tool_output([sys.executable, BENCHES / "bench_python_cost.py", FFI_ITER["python"]])
    return {r["op"]: r["ns"] for r in parse_lines(out or "", "ffi_cost")}


def _ffi_node():
    node_dir = ROOT / "bindings" / "node"
    if not (node_dir / "node_modules").is_dir():
        say("  node: bindings/node/node_modules is missing: npm ci")
        if shutil.which("npm") is None or subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=node_dir,
                                                          capture_output=True).returncode != 0:
            return "skipped (npm ci failed in bindings/node)"
    out = _tool_output(["node", node_dir / "bench" / "ffi_cost.js", FFI_ITER["node"]])
    return {"wait": _grab(out, r"^waitSync\s+(\d+) ns/call"), "reg_unreg": _grab(out, r"^register\+del\s+(\d+) ns/call")}


def _ffi_lua():
    out = _tool_output(["luajit", ROOT / "bindings" / "lua" / "bench" / "bench.lua", FFI_ITER["lua"]])
    return {"wait": _grab(out, r"^wait, one event: p:wait\(0\)\s+(\d+) ns"),
            "reg_unreg": _grab(out, r"^register \+ unregister: p:register/unregister\s+(\d+) ns")}


_ruby_out = {}


def ruby_bench():
    """bindings/ruby/bench/bench.rb's output (run once, shared by sections 5
    and 6), or None."""
    if "out" not in _ruby_out:
        _ruby_out["out"] = _tool_output(["ruby", ROOT / "bindings" / "ruby" / "bench" / "bench.rb", FFI_ITER["ruby"]])
    return _ruby_out["out"]


def _ffi_ruby():
    out = ruby_bench()
    return {"wait": _grab(out, r"^Poller#wait\(1\) returning one event\s+(\d+) ns"),
            "reg_unreg": _grab(out, r"^Poller#register \+ #unregister \(pair\)\s+(\d+) ns")}


def _ffi_go():
    """go test -bench in bindings/go, linked (as test.sh does) through a
    throwaway repoll.pc pointing at the release library."""
    if shutil.which("pkg-config") is None:
        return "skipped (no pkg-config)"
    lib = (RELEASE / "librepoll.so").resolve()
    header = (ROOT / "include" / "repoll.h").read_text()
    version = re.search(r'#define REPOLL_VERSION_STRING "(.*)"', header).group(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "lib").mkdir()
        (tmp / "pkgconfig").mkdir()
        for name in ("librepoll.so", "librepoll.so.0"):
            (tmp / "lib" / name).symlink_to(lib)
        pc = (f"libdir={tmp}/lib\nincludedir={ROOT}/include\n\nName: repoll\n"
              f"Description: repoll from the build tree, for benches/run\nVersion: {version}\n"
              "Libs: -L${libdir} -Wl,-rpath,${libdir} -lrepoll\nCflags: -I${includedir}\n")
        (tmp / "pkgconfig" / "repoll.pc").write_text(pc)
        # Go's build cache keys a cgo package on CGO_CFLAGS, not on what
        # pkg-config says: a key makes it rebuild against this library.
        key = hashlib.sha256((pc + header).encode()).hexdigest()[:16]
        env = bindings_env()
        env.update(PKG_CONFIG_PATH=str(tmp / "pkgconfig"), CGO_CFLAGS=f"-O2 -g -DREPOLL_GO_BENCH_KEY={key}")
        out = _tool_output(["go", "test", "-run", "^$", "-bench", "^Benchmark(WaitOneEvent|AddDelete)$",
                            "-benchtime", f"{FFI_ITER['go']}x", "-count", "5"], cwd=ROOT / "bindings" / "go", env=env,
                           timeout=300)
    per = {"wait": "WaitOneEvent", "reg_unreg": "AddDelete"}
    return {op: statistics.median(float(v) for v in re.findall(rf"^Benchmark{name}\S*\s+\d+\s+([\d.]+) ns/op",
                                                               out or "", re.M)) if out and
            re.search(rf"^Benchmark{name}", out, re.M) else None for op, name in per.items()}


# language -> (the toolchain it needs, the runner)
FFI_LANGS = {"python": ("python3", _ffi_python), "node": ("node", _ffi_node), "luajit": ("luajit", _ffi_lua),
             "ruby": ("ruby", _ffi_ruby), "go": ("go", _ffi_go)}


def bench_ffi():
    """lang -> {"wait": ns, "reg_unreg": ns, "vs_c": {op: ratio}}, or lang ->
    "skipped (...)". "c" is repoll called from C, "raw" the system calls
    alone. C runs right before and right after each binding: each binding's
    ratio is to the mean of those two runs (paired, so that the machine's
    drift hits both alike), and the C and raw rows show the median over
    those means."""
    say("ffi: one wait returning one event, one register+unregister pair, per language")
    ops = ("wait", "reg_unreg")
    c_runs = []
    res = {"raw": None, "c": None}
    for lang, (tool, fn) in FFI_LANGS.items():
        if shutil.which(tool) is None:
            res[lang] = f"skipped (no {tool})"
            continue
        say(f"  {lang}")
        before = _ffi_c()
        r = fn()
        after = _ffi_c()
        c = {k: (v + after[k]) / 2 for k, v in before.items() if k in after}
        c_runs.append(c)
        if isinstance(r, dict):
            r["vs_c"] = {op: r[op] / c[("c", op)] for op in ops
                         if r.get(op) is not None and c.get(("c", op))}
        res[lang] = r
    if not c_runs:  # every binding skipped
        c_runs.append(_ffi_c())
    for who in ("raw", "c"):
        res[who] = {op: statistics.median(run[(who, op)] for run in c_runs if (who, op) in run) if any(
            (who, op) in run for run in c_runs) else None for op in ops}
        res[who]["vs_c"] = {op: statistics.median(run[(who, op)] / run[("c", op)] for run in c_runs
                                                  if (who, op) in run and run.get(("c", op)))
                            for op in ops if any((who, op) in run for run in c_runs)}
    return res


# ---- 7. library size ----------------------------------------------------------------


def library_size():
    """Bytes of target/release/librepoll.so (release build, debug info) and
    of the copy `make install` makes of it (objcopy --strip-debug
    --strip-unneeded), and of librepoll.a likewise (--strip-debug)."""
    objcopy = os.environ.get("OBJCOPY", "objcopy")
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in (("librepoll.so", ["--strip-debug", "--strip-unneeded"]), ("librepoll.a", ["--strip-debug"])):
            src = RELEASE / name
            if not src.exists():
                continue
            dst = Path(tmp) / name
            proc = subprocess.run([objcopy, *flags, src, dst], capture_output=True, text=True)
            if proc.returncode != 0:
                errors.append(f"{objcopy} {' '.join(flags)} {src}: {proc.stderr.strip()}")
                continue
            res[name] = (src.stat().st_size, dst.stat().st_size)
    return res
