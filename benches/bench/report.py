"""Turning measured figures into tables, the goal check and the plot.

Pure formatting: every function takes what measure.py returned."""

import re
import subprocess

from .config import (ACTIVE, BEFORE_NAME, CALLGRIND, CALLGRIND_BACKENDS, DISPATCH, DISPATCH_BACKENDS, OUT,
                     PEERS, ROOT, TIMER_BACKENDS, TIMERS, WAKE_BACKENDS, WAKE_PLACEMENTS, WRITES, with_before)
from .measure import cfg_label, errors, timers_label


def table(headers, rows):
    """A GitHub markdown table, also readable as plain text."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    lines = [fmt(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt(r) for r in cells]
    return "\n".join(lines)


def ratio(x, base):
    return f"{x / base:.3f}" if base else "n/a"


def status(ok):
    return "MET" if ok else "MISSED"


def plotted(cfgs):
    """The workloads of the N sweep (default A and W), in order of N."""
    return [c for c in cfgs if c[1:] == (ACTIVE, WRITES)]


# ---- 1. dispatch ------------------------------------------------------------------


def paired_text(r, what):
    if r["backend"] == "raw":
        return "1.000"
    return f"{r[f'paired_{what}']:.3f} [{r[f'paired_{what}_p10']:.2f}, {r[f'paired_{what}_p90']:.2f}]"


def dispatch_table(res):
    rows = []
    for cfg in DISPATCH:
        raw = res[cfg].get("raw")
        for b in DISPATCH_BACKENDS:
            r = res[cfg].get(b)
            if not r or not raw:
                continue
            events = r["active"] + r["writes"]
            rows.append([
                cfg_label(cfg), b,
                f"{r['setup_ns_per_fd']:.0f} [{r['setup_p10']:.0f}, {r['setup_p90']:.0f}]",
                paired_text(r, "setup"),
                f"{r['round_ns'] / 1e3:.1f} [{r['round_p10'] / 1e3:.1f}, {r['round_p90'] / 1e3:.1f}]",
                paired_text(r, "round"),
                f"{r['round_ns'] / events:.0f}",
                f"{r['wall_ns'] / 1e3:.1f} [{r['wall_p90'] / 1e3:.1f}]",
                f"{r['loops_per_round']:.1f}",
                f"{r['reads']:.0f}/{r['expected']:.0f}",
            ])
    return table(["workload", "backend", "setup ns/fd [p10, p90]", "vs raw [p10, p90]", "round µs [p10, p90]",
                  "vs raw [p10, p90]", "ns/event", "wall µs [p90]", "waits/round", "reads/expected"], rows)


# ---- 2. callgrind -------------------------------------------------------------------


def callgrind_table(cg):
    rows = []
    for cfg in CALLGRIND:
        raw = cg[cfg].get("raw")
        for b in with_before(CALLGRIND_BACKENDS):
            r = cg[cfg].get(b)
            if not r or not raw:
                continue
            per_wait = f"{r['per_wait']:.1f}" if r.get("per_wait") else "n/a"
            rows.append([cfg_label(cfg), b, f"{r['per_reg']:.1f}", ratio(r["per_reg"], raw["per_reg"]),
                         f"{r['per_event']:.1f}", ratio(r["per_event"], raw["per_event"]), per_wait])
    return table(["workload", "backend", "Ir/registration", "vs raw", "Ir/event", "vs raw", "Ir/wait"], rows)


def fixed_cost(cg, backend):
    """User-space instructions a wait adds over raw epoll_wait, one event per
    wait: (backend's Ir - raw's Ir) over the backend's waits."""
    cfg = next((c for c in CALLGRIND if c[1] == 1), None)
    r, raw = cg.get(cfg, {}).get(backend), cg.get(cfg, {}).get("raw")
    if not r or not raw or not r.get("waits_total"):
        return None
    return (r["rounds"][0] - raw["rounds"][0]) / r["waits_total"]


def fixed_cost_table(cg):
    rows = []
    for b in with_before(["repoll", "repoll+timer"]):
        v = fixed_cost(cg, b)
        if v is not None:
            rows.append([b, f"{v:.1f}"])
    return table(["backend", "Ir added per wait over raw epoll_wait (A = 1)"], rows)


def short_fn(name):
    name = re.sub(r"<([^<>]*) as [^<>]*>", r"\1", name)  # <T as Trait>::f -> T::f
    return name if len(name) <= 70 else name[:67] + "..."


def short_file(path):
    path = re.sub(r"^/rustc/[0-9a-f]+/library/", "std:", path or "?")
    return path.replace(str(ROOT) + "/", "")


def repoll_profile(cg, cfg, part, per, top=12):
    """Where librepoll's own instructions go: self Ir per event (or per
    registration) by function, and for the hottest functions by source file
    (code inlined from other files is attributed to the file it came from)."""
    r, raw = cg.get(cfg, {}).get("repoll"), cg.get(cfg, {}).get("raw")
    if not r or not raw:
        return "(no repoll profile)"
    total, self_cost, incl, by_file = r[part]
    denom = r["events"] if part == "rounds" else r["n"]
    lib = {k: v for k, v in self_cost.items() if k[0] and k[0].endswith("librepoll.so")}
    lib_total = sum(lib.values())
    raw_total = raw[part][0]
    out = [f"repoll, {cfg_label(cfg)}: {total / denom:.1f} Ir {per} in total vs {raw_total / denom:.1f} "
           f"for raw epoll (+{(total - raw_total) / denom:.1f}); inside librepoll.so: {lib_total / denom:.1f} Ir {per}.", ""]
    rows = [[short_fn(fn), f"{v / denom:.2f}", f"{incl.get((ob, fn), 0) / denom:.2f}"]
            for (ob, fn), v in sorted(lib.items(), key=lambda kv: -kv[1])[:top]]
    out += [table(["librepoll function", f"self Ir {per}", f"inclusive Ir {per}"], rows), ""]
    frows = [[short_fn(fn), short_file(fi), f"{v / denom:.2f}"]
             for (ob, fn, fi), v in sorted(by_file.items(), key=lambda kv: -kv[1])
             if ob and ob.endswith("librepoll.so") and v / denom >= 0.05]
    out.append(table(["librepoll function", "source (inlined code by its file)", f"self Ir {per}"], frows[:top]))
    return "\n".join(out)


# ---- 3. timers ----------------------------------------------------------------------


def timers_table(res):
    rows = []
    for cell in TIMERS:
        floor = res.get(cell, {}).get("floor")
        for b in with_before(TIMER_BACKENDS):
            r = res.get(cell, {}).get(b)
            if not r:
                continue
            waits = f"{r['waits']:.0f}" if r["waits"] else "-"
            rows.append([timers_label(cell), b, f"{r['add_ns']:.0f}", f"{r['fire_ns']:.0f}",
                         ratio(r["fire_ns"], floor["fire_ns"]) if floor else "n/a", f"{r['cancel_ns']:.0f}",
                         f"{r['late_p50_us']:.0f} / {r['late_p99_us']:.0f} / {r['late_max_us']:.0f}",
                         f"{r['early']:.0f}", f"{r['bytes']:.1f}", f"{r['user_struct']:.0f}", waits])
    return table(["cell", "backend", "add ns", "CPU ns per fired timer", "vs floor", "cancel ns",
                  "lateness µs p50 / p99 / max", "early", "bytes/timer", "caller's struct (B)", "waits"], rows)


# ---- 4. wake ------------------------------------------------------------------------


def wake_table(res):
    rows = []
    for b in WAKE_BACKENDS:
        row = [b]
        for placement in WAKE_PLACEMENTS:
            r = res.get(placement, {}).get(b)
            if not r:
                row += ["n/a", "n/a"]
                continue
            row += [f"{r['median_ns'] / 1e3:.2f} [{r['p10_ns'] / 1e3:.2f}, {r['p90_ns'] / 1e3:.2f}]",
                    f"{r['ratio']:.3f}"]
        rows.append(row)
    headers = ["backend"]
    for label in WAKE_PLACEMENTS.values():
        headers += [f"{label}: µs/round trip [p10, p90]", "vs epoll+eventfd"]
    return table(headers, rows)


# ---- goals ----------------------------------------------------------------------------


def targets(disp, cg, tim, wake):
    """(goal, measured, status) rows. Reported, never asserted."""
    rows = []

    # Timers, per cell.
    for cell in TIMERS:
        t = tim.get(cell, {})
        rp, fl, ev = t.get("repoll"), t.get("floor"), t.get("libev")
        if not rp or not fl:
            continue
        label = timers_label(cell)
        r = rp["fire_ns"] / fl["fire_ns"]
        rows.append([f"timers {label}: CPU per fired timer <= 1.1x the floor",
                     f"repoll {rp['fire_ns']:.0f} ns, floor {fl['fire_ns']:.0f} ({r:.2f}x)", status(r <= 1.1)])
        if ev:
            rows.append([f"timers {label}: CPU per fired timer below libev",
                         f"repoll {rp['fire_ns']:.0f} ns, libev {ev['fire_ns']:.0f}",
                         status(rp["fire_ns"] < ev["fire_ns"])])
        rows.append([f"timers {label}: add and cancel no slower than the floor",
                     f"add {rp['add_ns']:.0f} vs {fl['add_ns']:.0f} ns, cancel {rp['cancel_ns']:.0f} vs "
                     f"{fl['cancel_ns']:.0f} ns",
                     status(rp["add_ns"] <= fl["add_ns"] and rp["cancel_ns"] <= fl["cancel_ns"])])
        rows.append([f"timers {label}: never early, <= 40 bytes per timer",
                     f"{rp['early']:.0f} early; {rp['bytes']:.1f} B; lateness p50/p99/max "
                     f"{rp['late_p50_us']:.0f} / {rp['late_p99_us']:.0f} / {rp['late_max_us']:.0f} µs",
                     status(rp["early"] == 0 and rp["bytes"] <= 40)])
        before = t.get(BEFORE_NAME)
        if before:
            rows.append([f"(before/after) timers {label}: add / fire / cancel ns, bytes",
                         f"{before['add_ns']:.0f} / {before['fire_ns']:.0f} / {before['cancel_ns']:.0f}, "
                         f"{before['bytes']:.1f} B -> {rp['add_ns']:.0f} / {rp['fire_ns']:.0f} / "
                         f"{rp['cancel_ns']:.0f}, {rp['bytes']:.1f} B", "-"])

    # Fixed cost of a wait, per event.
    for b in ("repoll", "repoll+timer"):
        v = fixed_cost(cg, b)
        if v is not None:
            rows.append([f"fixed cost of a wait ({b}): <= 50 Ir added over raw epoll_wait", f"{v:.1f} Ir",
                         status(v <= 50)])
    before = fixed_cost(cg, BEFORE_NAME)
    if before is not None:
        rows.append(["(before/after) fixed cost of a wait", f"{before:.1f} -> {fixed_cost(cg, 'repoll'):.1f} Ir", "-"])
    cgc = [c for c in plotted(CALLGRIND) if "repoll" in cg.get(c, {}) and "raw" in cg.get(c, {})]
    vals = [(c, cg[c]["repoll"]["per_event"] / cg[c]["raw"]["per_event"]) for c in cgc]
    rows.append(["user-space Ir per event, ~100 events per wait: <= 1.10x raw",
                 ", ".join(f"{cfg_label(c)}: {v:.3f}" for c, v in vals),
                 status(bool(vals) and all(v <= 1.10 for _, v in vals))])

    # Wake.
    w = wake.get("same", {}).get("repoll")
    if w:
        rows.append(["wake round trip (same CPU) <= 1.03x epoll+eventfd, median of interleaved runs",
                     f"{w['ratio']:.3f}", status(w["ratio"] <= 1.03)])
    w = wake.get("split", {}).get("repoll")
    if w:
        rows.append(["(for information) wake round trip, two CPUs, vs epoll+eventfd", f"{w['ratio']:.3f}", "-"])

    # Nothing else slower.
    ns = [c for c in DISPATCH if "repoll" in disp.get(c, {}) and "raw" in disp.get(c, {})]
    vals = [(c, disp[c]["repoll"]["paired_round"]) for c in ns]
    rows.append(["dispatch time per round within 1% of raw epoll at every N",
                 ", ".join(f"{cfg_label(c)}: {v:.3f}" for c, v in vals),
                 status(all(v <= 1.01 for _, v in vals))])
    vals = [(c, disp[c]["repoll"]["paired_setup"]) for c in ns]
    rows.append(["registration time within 10% of raw epoll",
                 ", ".join(f"{cfg_label(c)}: {v:.3f}" for c, v in vals),
                 status(all(v <= 1.10 for _, v in vals))])
    for c in cgc:
        b = cg[c].get(BEFORE_NAME)
        if b:
            a = cg[c]["repoll"]
            rows.append([f"(before/after) {cfg_label(c)}: Ir per registration, per event",
                         f"{b['per_reg']:.1f} -> {a['per_reg']:.1f}, {b['per_event']:.1f} -> {a['per_event']:.1f}",
                         status(a["per_reg"] <= b["per_reg"] * 1.01 and a["per_event"] <= b["per_event"] * 1.01)])

    # Ahead of the peers.
    def ahead(name, values, digits=1):
        """values: list of (label, repoll, {peer: value}); lower is better."""
        losses = [f"{p} at {label}" for label, mine, peers in values for p, v in peers.items() if mine >= v]
        shown = "; ".join(f"{label}: repoll {mine:,.{digits}f} vs "
                          + ", ".join(f"{p} {v:,.{digits}f}" for p, v in peers.items())
                          for label, mine, peers in values)
        rows.append([f"ahead of {', '.join(PEERS)}: {name}",
                     shown + (f" — behind {', '.join(losses)}" if losses else ""), status(not losses)])

    ahead("dispatch time per round (paired ratio to raw)",
          [(cfg_label(c), disp[c]["repoll"]["paired_round"],
            {p: disp[c][p]["paired_round"] for p in PEERS if p in disp[c]}) for c in ns], digits=3)
    ahead("user-space Ir per event",
          [(cfg_label(c), cg[c]["repoll"]["per_event"], {p: cg[c][p]["per_event"] for p in PEERS if p in cg[c]})
           for c in cgc])
    ahead("user-space Ir per registration",
          [(cfg_label(c), cg[c]["repoll"]["per_reg"], {p: cg[c][p]["per_reg"] for p in PEERS if p in cg[c]})
           for c in cgc])
    return rows


# ---- plot -------------------------------------------------------------------------------


def plot(disp, png):
    dat = OUT / "dispatch.dat"
    with open(dat, "w") as f:
        f.write("# N " + " ".join(DISPATCH_BACKENDS) + "  (ns per event, median round / events)\n")
        for cfg in plotted(DISPATCH):
            vals = []
            for b in DISPATCH_BACKENDS:
                r = disp.get(cfg, {}).get(b)
                vals.append(f"{r['round_ns'] / (r['active'] + r['writes']):.2f}" if r else "NaN")
            f.write(f"{cfg[0]} {' '.join(vals)}\n")
    # repoll wide and red, raw epoll dashed black on top of it: where the two
    # coincide, both stay visible.
    styles = {"raw": "lw 2 dt 2 lc rgb '#000000'", "repoll": "lw 5 lc rgb '#d62728'",
              "libev": "lw 2 lc rgb '#1f77b4'", "libevent": "lw 2 lc rgb '#2ca02c'",
              "libuv": "lw 2 lc rgb '#9467bd'"}
    order = [b for b in DISPATCH_BACKENDS if b not in ("repoll", "raw")] + ["repoll", "raw"]
    plots = ", ".join(
        f"'{dat}' using 1:{DISPATCH_BACKENDS.index(b) + 2} with linespoints pt 7 ps 1.2 {styles[b]} title '{b}'"
        for b in order)
    script = f"""
set terminal pngcairo size 900,560 font 'sans,11'
set output '{png}'
set title 'Dispatch: cost per event (median round / {ACTIVE + WRITES} events; {ACTIVE} active, {WRITES} writes)'
set xlabel 'N socketpairs registered (log scale; capped at 9 000 by the 20 000 fd limit)'
set ylabel 'ns per event (read + write + share of the wait)'
set logscale x
set xrange [{min(c[0] for c in plotted(DISPATCH)) * 0.7}:{max(c[0] for c in plotted(DISPATCH)) * 1.4}]
set yrange [0:*]
set grid
set key bottom right box opaque
plot {plots}
"""
    proc = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        # Older or minimal gnuplot builds lack pngcairo; the gd terminal will do.
        proc = subprocess.run(["gnuplot"], input=script.replace("pngcairo size 900,560 font 'sans,11'",
                                                                 "png size 900,560"),
                              text=True, capture_output=True)
    if proc.returncode != 0:
        errors.append(f"gnuplot failed: {proc.stderr.strip()}")
