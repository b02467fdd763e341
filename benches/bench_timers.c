/*
 * Timer benchmark: COUNT one-shot timers with pseudo-random first expiries
 * in [0, SPAN_MS) ms are added, then the loop runs until every one of them
 * has fired exactly once (checked with a bitmap).
 *
 * Backends: repoll (repoll_timer_add, nanosecond deadlines), libev (ev_timer,
 * double seconds), libuv (uv_timer_t, whole milliseconds: libuv has no finer
 * resolution, so its deadlines are the same ones truncated to ms).
 *
 * Reported, per timer:
 *   add_ns   CPU time of the add phase (one process per run, so CPU time of
 *            the process; it is all adding),
 *   fire_ns  CPU time of the phase that waits for and dispatches the expiries
 *            (the phase lasts ~SPAN_MS of wall time, mostly asleep; CPU time
 *            counts the work, not the sleep),
 *   bytes    growth of the peak resident set (VmHWM at the end minus VmRSS
 *            before the first add) divided by COUNT. For libev and libuv this
 *            includes the watcher structs (ev_timer, uv_timer_t) that the
 *            caller must allocate and keep alive for each timer: that is what
 *            a timer really costs there. repoll needs no per-timer memory
 *            from the caller (the id it returns is not kept here: a caller
 *            that never cancels does not need it).
 *
 * Usage: bench_timers BACKEND [COUNT [SPAN_MS]]
 * Output: one line "timers key=value ...". Exit status 1 if a timer did not
 * fire exactly once.
 */
#define _GNU_SOURCE
#include <unistd.h>

#include <ev.h>
#include <repoll.h>
#include <uv.h>

#include "bench_common.h"

static long count;
static int64_t span_ns;
static uint8_t *seen; /* bitmap: timer i has fired */
static long fired, twice;

static void mark(uint64_t i) {
    uint8_t bit = (uint8_t)(1u << (i & 7));
    if (seen[i >> 3] & bit)
        twice++;
    seen[i >> 3] |= bit;
    fired++;
}

/* The i-th delay, the same sequence for every backend. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static int64_t next_delay_ns(void) { return (int64_t)(xorshift64(&rng_state) % (uint64_t)span_ns); }

/* ---- repoll ---- */
static repoll_t *rp;
static repoll_event_t rp_evs[1024];

static void rp_init(void) { CHECK_NEG(repoll_create(&rp, REPOLL_CLOEXEC)); }
static void rp_add(void) {
    for (long i = 0; i < count; i++) {
        uint64_t id;
        CHECK_NEG(repoll_timer_add(rp, next_delay_ns(), 0, (uint64_t)i, &id));
    }
}
static void rp_fire(void) {
    while (fired < count) {
        int n = repoll_wait(rp, rp_evs, 1024, -1);
        CHECK_NEG(n);
        for (int k = 0; k < n; k++)
            if (rp_evs[k].events & REPOLL_TIMER)
                mark(rp_evs[k].data);
    }
}

/* ---- libev ---- */
static struct ev_loop *evl;
static ev_timer *ev_timers;

static void lev_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    mark((uint64_t)(uintptr_t)w->data);
}
static void lev_init(void) {
    evl = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    if (!evl)
        DIE("ev_loop_new");
}
static void lev_add(void) {
    ev_timers = malloc(count * sizeof *ev_timers); /* part of libev's per-timer cost */
    if (!ev_timers)
        DIE("out of memory");
    for (long i = 0; i < count; i++) {
        ev_timer_init(&ev_timers[i], lev_cb, (double)next_delay_ns() * 1e-9, 0.);
        ev_timers[i].data = (void *)(uintptr_t)i;
        ev_timer_start(evl, &ev_timers[i]);
    }
}
static void lev_fire(void) { ev_run(evl, 0); /* returns when no timer is left */ }

/* ---- libuv ---- */
static uv_loop_t uvl;
static uv_timer_t *uv_timers;

static void luv_cb(uv_timer_t *t) { mark((uint64_t)(uintptr_t)t->data); }
static void luv_init(void) { CHECK_NEG(uv_loop_init(&uvl)); }
static void luv_add(void) {
    uv_timers = malloc(count * sizeof *uv_timers); /* part of libuv's per-timer cost */
    if (!uv_timers)
        DIE("out of memory");
    for (long i = 0; i < count; i++) {
        CHECK_NEG(uv_timer_init(&uvl, &uv_timers[i]));
        uv_timers[i].data = (void *)(uintptr_t)i;
        CHECK_NEG(uv_timer_start(&uv_timers[i], luv_cb, (uint64_t)next_delay_ns() / 1000000, 0));
    }
}
static void luv_fire(void) { uv_run(&uvl, UV_RUN_DEFAULT); /* returns when no timer is left */ }

int main(int argc, char **argv) {
    if (argc < 2)
        DIE("usage: bench_timers repoll|libev|libuv [COUNT [SPAN_MS]]");
    const char *backend = argv[1];
    count = argc > 2 ? atol(argv[2]) : 1000000;
    span_ns = (argc > 3 ? atol(argv[3]) : 100) * 1000000ll;
    if (count < 1 || span_ns < 1)
        DIE("bad arguments");

    void (*init)(void), (*add)(void), (*fire)(void);
    size_t user_bytes; /* what the caller allocates per timer */
    if (!strcmp(backend, "repoll")) {
        init = rp_init, add = rp_add, fire = rp_fire, user_bytes = 0;
    } else if (!strcmp(backend, "libev")) {
        init = lev_init, add = lev_add, fire = lev_fire, user_bytes = sizeof(ev_timer);
    } else if (!strcmp(backend, "libuv")) {
        init = luv_init, add = luv_add, fire = luv_fire, user_bytes = sizeof(uv_timer_t);
    } else {
        DIE("unknown backend %s", backend);
    }

    seen = calloc((size_t)count / 8 + 1, 1);
    if (!seen)
        DIE("out of memory");
    memset(seen, 0, (size_t)count / 8 + 1); /* resident before the baseline */
    init();

    watchdog(300, backend); /* a run takes a few seconds */
    long rss0 = status_kb("VmRSS:");
    uint64_t c0 = cpu_ns(), w0 = now_ns();
    add();
    uint64_t c1 = cpu_ns(), w1 = now_ns();
    long hwm_added = status_kb("VmHWM:");
    fire();
    uint64_t c2 = cpu_ns(), w2 = now_ns();
    long hwm = status_kb("VmHWM:");

    double n = (double)count;
    printf("timers backend=%s count=%ld span_ms=%lld add_ns=%.1f fire_ns=%.1f total_ns=%.1f"
           " add_wall_ms=%.1f fire_wall_ms=%.1f bytes=%.1f bytes_after_add=%.1f user_struct=%zu"
           " fired=%ld twice=%ld\n",
           backend, count, (long long)(span_ns / 1000000), (double)(c1 - c0) / n,
           (double)(c2 - c1) / n, (double)(c2 - c0) / n, (double)(w1 - w0) / 1e6,
           (double)(w2 - w1) / 1e6, (double)(hwm - rss0) * 1024.0 / n,
           (double)(hwm_added - rss0) * 1024.0 / n, user_bytes, fired, twice);
    if (fired != count || twice) {
        fprintf(stderr, "MISMATCH: %s fired %ld of %ld timers (%ld twice)\n", backend, fired, count, twice);
        return 1;
    }
    return 0;
}
