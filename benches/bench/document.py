"""benches/RESULTS.md: the tables with the text that says how they were made."""

from .config import (ACTIVE, BEFORE, BEFORE_NAME, CALLGRIND_ROUNDS, FD_LIMIT_NOTE, QUICK, TIMER_REPS, WAKE_BATCHES,
                     WAKE_ROUNDTRIPS, WAKE_RUNS, WRITES)


def results_markdown(when, machine, versions, elapsed, load_note, t):
    """`t` holds the formatted tables and profiles by name."""
    kernel, cpu, ncpu = machine
    before = (f"\n- `{BEFORE_NAME}`: {BEFORE} (REPOLL_BENCH_BEFORE), measured in the same run "
              "beside the current library." if BEFORE else "")
    return f"""# repoll benchmark results

Produced by `make bench` (benches/run) on {when:%Y-%m-%d %H:%M}{" — QUICK MODE, NOT REAL NUMBERS" if QUICK else ""}.

- Kernel: {kernel}
- CPU: {cpu} ({ncpu} logical CPUs)
- Libraries: {versions}{before}
- Whole run: {elapsed:.0f} s. {load_note}

All backends use epoll (libev and libevent are forced to or checked for
their epoll backend). Programs are built with `-O2` and link repoll as a user
would (`include/repoll.h`, `-lrepoll`, target/release/librepoll.so).

## Goals (reported, never asserted)

{t['targets']}

## 1. Dispatch (the libevent "bench" chain)

N AF_UNIX socketpairs, read ends registered for readability; each round writes
one byte to {ACTIVE} pairs spread over the N, then each read callback reads one
byte and writes one to the next pair, {WRITES} writes per round: {ACTIVE + WRITES}
reads per round, checked for every backend (and every read end is checked
empty after each batch). Time per round: median of all timed rounds, [p10,
p90]; ns/event = median round / (A + W). Setup: registering N fds plus one
non-blocking loop iteration (libev and libuv queue registrations and make the
epoll_ctl calls there), per fd. Both are measured in the thread's CPU time
(user + system): neither a round nor a setup ever blocks, so that is the wall
time minus the time other processes held the CPU — on this shared 2-core
machine a round preempted by someone else's build takes 3x as long in wall
time. The wall-clock median and p90 of the same rounds are shown too.
Backends take turns in small batches (a cycle of batches runs each backend
once, in a rotating order), each with a fresh loop, so that the drift of the
machine spreads over all of them. "vs raw" is a paired ratio: in each cycle,
the backend's median round (or setup) over raw epoll's median in the same
cycle; the column shows the median of those ratios over all cycles and, in
brackets, their p10 and p90 — the spread says how noisy the machine was. libuv uses
`uv_poll_t` over the same fds (readiness only, like the others; `uv_pipe_t`
would add its own buffering and allocation). raw epoll and repoll fetch up to
1024 events per wait; libuv uses 1024, libev and libevent grow their arrays.
The last workload (A = 1, W = 100: one event per wait) shows the fixed cost
of each wait call; the plot shows the N sweep only.

{FD_LIMIT_NOTE}

{t['dispatch']}

![cost per event against N](dispatch.png)

## 2. User-space instructions (callgrind)

The same workload under `valgrind --tool=callgrind`, collecting only inside
the registration (`bench_setup`: N registrations + one non-blocking iteration)
and inside the rounds (`bench_round`, {CALLGRIND_ROUNDS} rounds of {ACTIVE + WRITES} events
after warm-up), via callgrind client requests. Kernel work is not counted:
this is what each library adds in user space, plus the harness's own read(2)
and write(2) wrappers, which are the same for every backend. `repoll+timer`
is repoll on a handle that also holds one timer (an hour away): what a wait
costs on a handle with timers.
The profiles stay in target/bench/callgrind.BACKEND.N.A.W.1 (registration)
and .2 (rounds): `callgrind_annotate --inclusive=yes --threshold=100 FILE`.

{t['callgrind']}

### The fixed cost of a wait

With one event per wait (A = 1), the instructions each wait adds over a raw
`epoll_wait` call: (the backend's Ir in the rounds − raw epoll's) / the
backend's waits.

{t['fixed']}

### Where repoll's instructions go (per event, rounds)

With about {ACTIVE} events per wait, the cost that grows with each event:

{t['prof_events']}

With one event per wait (A = 1), the fixed cost of each wait call shows:

{t['prof_wait']}

### Where repoll's instructions go (per registration)

{t['prof_regs']}

## 3. Timers

T one-shot timers with pseudo-random delays in [0, span) (the same sequence
for every backend) are added, then the loop runs until every one has fired
exactly once (checked with a bitmap); then T timers an hour away are added
and cancelled in a shuffled order. Cells: T = 10 000, 100 000 and 1 000 000,
over 100 ms and over 1 s.

`floor` is `benches/timer_floor.h`: a plain binary heap in C driven by the
wait's own timeout (epoll_pwait2 in nanoseconds; epoll_wait in milliseconds
rounded up where the kernel lacks it), one clock read per add, one wait per
call, at most 256 timers per wait — the least an epoll loop with cancellable
timers can do, and never early. repoll also takes at most 256 events per
wait. libev, libuv and libevent run every due timer in one iteration.

Columns: CPU time of the add phase per timer; CPU time of the fire phase per
fired timer (the phase lasts about the span and is mostly asleep: CPU time
counts the work, the kernel's included) and its ratio to the floor; CPU time
per cancel with T timers live; lateness (when the harness saw the timer fire
minus its deadline: p50 / p99 / max; timers due during the add phase count
as late from their deadline); timers seen early (their deadline is taken as
the harness's clock, read every 16 adds before the add, plus the delay:
never after the backend's own deadline); peak memory per timer (VmHWM after
the fire phase minus VmRSS before the first add), which for libev, libuv and
libevent includes the watcher struct the caller must keep per timer;
wait calls in the fire phase. libuv's deadlines are whole milliseconds
(delays rounded up), libevent's microseconds (precise-timer mode), libev's
doubles, repoll's and the floor's nanoseconds. Median of {TIMER_REPS} runs, one
process each, backends taking turns.

{t['timers']}

## 4. Wake round trip between two threads

Thread A wakes thread B, B wakes A back; median latency of a round trip,
[p10, p90]: the median over {WAKE_RUNS} runs (processes) of each run's median of
{WAKE_ROUNDTRIPS * WAKE_BATCHES:,} round trips per backend in {WAKE_BATCHES} interleaved batches. "vs
epoll+eventfd" is the median over runs of the ratio within a run.
`eventfd`: two blocking eventfds, no poller. `epoll+eventfd` (the floor for
a loop): each thread waits in epoll_wait on its eventfd and drains it with
read(2), which is what an event loop needs and exactly the system calls
repoll makes. repoll: `repoll_wake` / `repoll_wait`; libev: `ev_async_send`
/ `ev_run` (EVRUN_ONCE); libuv: `uv_async_send` / `uv_run` (UV_RUN_ONCE).

Two placements. "Same CPU": both threads pinned to CPU 0, so a wake is a
context switch — the same on any machine, and what isolates the libraries'
own cost. "Two CPUs": A on CPU 0, B on CPU 1; each wake then crosses CPUs
and lands on an idle one, and on this VM that costs what the hypervisor
takes to wake an idle vCPU (~30 µs), for every backend alike. libuv's
receiver spin-waits for the sender to finish `uv_async_send`
(`uv__async_spin`: up to 997 pause loops, then sched_yield), which on one CPU
cannot succeed until the receiver yields.

{t['wake']}
"""
