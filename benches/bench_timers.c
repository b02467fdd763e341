/*
 * Timer benchmark: COUNT one-shot timers with pseudo-random delays in
 * [0, SPAN_MS) ms (the same sequence for every backend) are added, then the
 * loop runs until every one has fired exactly once (checked with a bitmap);
 * then COUNT timers an hour away are added and cancelled in a shuffled order.
 *
 * Backends:
 *   floor    timer_floor.h: a plain binary heap driven by the wait's own
 *            timeout (epoll_pwait2, ns), 256 timers per wait at most.
 *   repoll   repoll_timer_add / repoll_wait (256 events per wait) /
 *            repoll_timer_cancel; nanosecond deadlines.
 *   libev    ev_timer (double seconds), ev_run.
 *   libuv    uv_timer_t (whole milliseconds: delays are rounded up), uv_run.
 *   libevent evtimer_assign + event_add (microseconds, rounded up).
 *
 * Every backend's deadlines are relative to the time of the add: the harness
 * reads the clock every 16 adds (and refreshes the cached loop time of
 * libev, libuv and libevent then), and records deadline = that time + delay,
 * which is at or before the backend's own deadline.
 *
 * Reported:
 *   add_ns     CPU time of the add phase per timer (one process per run),
 *   fire_ns    CPU time of the phase that waits for and dispatches the
 *              expiries, per fired timer (the phase lasts ~SPAN_MS of wall
 *              time, mostly asleep: CPU time counts the work),
 *   cancel_ns  CPU time per cancel, COUNT timers live, shuffled order,
 *   late_*_us  lateness (the time the harness saw the timer fire minus the
 *              recorded deadline): p50, p99, max; `early` counts timers seen
 *              before their deadline. repoll, floor: one clock read after
 *              each wait returns; libev: one in a check watcher of the
 *              highest priority, which runs after the wait and before the
 *              timer callbacks; libuv and libevent: one per callback (their
 *              loop time is in ms, or not exposed cheaply).
 *   bytes      peak resident set growth per timer (VmHWM after the fire phase
 *              minus VmRSS before the first add), including the watcher
 *              structs libev, libuv and libevent make the caller keep.
 *   waits      wait calls in the fire phase (repoll, floor, libev).
 *
 * Usage: bench_timers BACKEND [COUNT [SPAN_MS]]
 * Output: one line "timers key=value ...". Exit status 1 if a timer did not
 * fire exactly once, or if repoll or the floor reported one early (the
 * others' early counts are reported: their deadlines follow their own
 * coarser clocks).
 */
#define _GNU_SOURCE
#include <unistd.h>

#include <ev.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <repoll.h>
#include <uv.h>

#include "bench_common.h"
#include "timer_floor.h"

#define BATCH 256          /* events per wait, repoll and floor */
#define CLOCK_EVERY 16     /* adds per clock read */
#define FAR_NS 3600000000000ll

static long count;
static int64_t span_ns;
static int64_t *delay;    /* the i-th delay, ns */
static int64_t *deadline; /* the i-th deadline as the harness recorded it */
static int64_t *late;     /* the i-th lateness, ns */
static uint32_t *order;   /* the shuffled cancel order */
static uint64_t *ids;     /* repoll and floor ids for the cancel phase */
static uint8_t *seen;     /* bitmap: timer i has fired */
static long fired, twice, early, waits;

static void mark(uint64_t i, uint64_t now) {
    uint8_t bit = (uint8_t)(1u << (i & 7));
    if (seen[i >> 3] & bit)
        twice++;
    seen[i >> 3] |= bit;
    fired++;
    late[i] = (int64_t)now - deadline[i];
    early += late[i] < 0;
}

/* ---- floor ---- */
static floor_loop fl;

static void fl_init(void) { CHECK_NEG(floor_init(&fl, (uint32_t)count)); }
static void fl_add(void) {
    int64_t t = 0;
    for (long i = 0; i < count; i++) {
        if (i % CLOCK_EVERY == 0)
            t = (int64_t)now_ns();
        deadline[i] = t + delay[i];
        CHECK_NEG(floor_add(&fl, (uint64_t)delay[i], (uint64_t)i, &ids[i]));
    }
}
static void fl_fire(void) {
    uint64_t out[BATCH];
    while (fired < count) {
        int n = floor_wait(&fl, out, BATCH);
        uint64_t now = now_ns();
        waits++;
        for (int k = 0; k < n; k++)
            mark(out[k], now);
    }
}
static void fl_rearm(long i) { CHECK_NEG(floor_add(&fl, (uint64_t)(FAR_NS + delay[i]), (uint64_t)i, &ids[i])); }
static void fl_cancel(long i) { CHECK_NEG(floor_cancel(&fl, ids[i])); }

/* ---- repoll ---- */
static repoll_t *rp;

static void rp_init(void) { CHECK_NEG(repoll_create(&rp, REPOLL_CLOEXEC)); }
static void rp_add(void) {
    int64_t t = 0;
    for (long i = 0; i < count; i++) {
        if (i % CLOCK_EVERY == 0)
            t = (int64_t)now_ns();
        deadline[i] = t + delay[i];
        CHECK_NEG(repoll_timer_add(rp, delay[i], 0, (uint64_t)i, &ids[i]));
    }
}
static void rp_fire(void) {
    static repoll_event_t evs[BATCH];
    while (fired < count) {
        int n = repoll_wait(rp, evs, BATCH, -1);
        CHECK_NEG(n);
        uint64_t now = now_ns();
        waits++;
        for (int k = 0; k < n; k++)
            if (evs[k].events & REPOLL_TIMER)
                mark(evs[k].data, now);
    }
}
static void rp_rearm(long i) { CHECK_NEG(repoll_timer_add(rp, FAR_NS + delay[i], 0, (uint64_t)i, &ids[i])); }
static void rp_cancel(long i) { CHECK_NEG(repoll_timer_cancel(rp, ids[i])); }

/* ---- libev ---- */
static struct ev_loop *evl;
static ev_timer *ev_timers;
static ev_check ev_after_wait;
static uint64_t ev_woke; /* the clock after the loop's last wait */

static void lev_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    mark((uint64_t)(uintptr_t)w->data, ev_woke);
}
/* Check watchers of the highest priority run after the wait, before any
 * timer callback of the iteration: one clock read per wait, as for repoll. */
static void lev_stamp(struct ev_loop *loop, ev_check *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    ev_woke = now_ns();
}
static void lev_init(void) {
    evl = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    if (!evl)
        DIE("ev_loop_new");
    ev_check_init(&ev_after_wait, lev_stamp);
    ev_set_priority(&ev_after_wait, EV_MAXPRI);
    ev_check_start(evl, &ev_after_wait);
    ev_unref(evl); /* the check watcher alone does not keep ev_run going */
}
static void lev_add(void) {
    ev_timers = malloc(count * sizeof *ev_timers); /* part of libev's per-timer cost */
    if (!ev_timers)
        DIE("out of memory");
    int64_t t = 0;
    for (long i = 0; i < count; i++) {
        if (i % CLOCK_EVERY == 0) {
            t = (int64_t)now_ns();
            ev_now_update(evl);
        }
        deadline[i] = t + delay[i];
        ev_timer_init(&ev_timers[i], lev_cb, (double)delay[i] * 1e-9, 0.);
        ev_timers[i].data = (void *)(uintptr_t)i;
        ev_timer_start(evl, &ev_timers[i]);
    }
}
static void lev_fire(void) {
    unsigned it0 = ev_iteration(evl);
    ev_run(evl, 0); /* returns when no timer is left */
    waits = (long)(ev_iteration(evl) - it0);
}
static void lev_rearm(long i) {
    ev_timer_set(&ev_timers[i], (double)(FAR_NS + delay[i]) * 1e-9, 0.);
    ev_timer_start(evl, &ev_timers[i]);
}
static void lev_cancel(long i) { ev_timer_stop(evl, &ev_timers[i]); }

/* ---- libuv ---- */
static uv_loop_t uvl;
static uv_timer_t *uv_timers;

static uint64_t ms_up(int64_t ns) { return (uint64_t)(ns + 999999) / 1000000; }
static void luv_cb(uv_timer_t *t) { mark((uint64_t)(uintptr_t)t->data, now_ns()); }
static void luv_init(void) { CHECK_NEG(uv_loop_init(&uvl)); }
static void luv_add(void) {
    uv_timers = malloc(count * sizeof *uv_timers); /* part of libuv's per-timer cost */
    if (!uv_timers)
        DIE("out of memory");
    int64_t t = 0;
    for (long i = 0; i < count; i++) {
        if (i % CLOCK_EVERY == 0) {
            t = (int64_t)now_ns();
            uv_update_time(&uvl);
        }
        deadline[i] = t + delay[i];
        CHECK_NEG(uv_timer_init(&uvl, &uv_timers[i]));
        uv_timers[i].data = (void *)(uintptr_t)i;
        CHECK_NEG(uv_timer_start(&uv_timers[i], luv_cb, ms_up(delay[i]), 0));
    }
}
static void luv_fire(void) { uv_run(&uvl, UV_RUN_DEFAULT); /* returns when no timer is left */ }
static void luv_rearm(long i) { CHECK_NEG(uv_timer_start(&uv_timers[i], luv_cb, ms_up(FAR_NS + delay[i]), 0)); }
static void luv_cancel(long i) { CHECK_NEG(uv_timer_stop(&uv_timers[i])); }

/* ---- libevent ---- */
static struct event_base *evb;
static struct event *evt_timers;

static struct timeval tv_up(int64_t ns) {
    int64_t us = (ns + 999) / 1000;
    return (struct timeval){.tv_sec = us / 1000000, .tv_usec = us % 1000000};
}
static void levt_cb(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    mark((uint64_t)(uintptr_t)arg, now_ns());
}
static void levt_init(void) {
    /* Precise timers: the default coarse clock (~4 ms ticks) fires early. */
    struct event_config *cfg = event_config_new();
    if (!cfg || event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) ||
        event_config_avoid_method(cfg, "poll") || event_config_avoid_method(cfg, "select"))
        DIE("event_config");
    evb = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!evb || strcmp(event_base_get_method(evb), "epoll") != 0)
        DIE("libevent: no epoll backend");
}
static void levt_add(void) {
    evt_timers = malloc(count * sizeof *evt_timers); /* part of libevent's per-timer cost */
    if (!evt_timers)
        DIE("out of memory");
    int64_t t = 0;
    for (long i = 0; i < count; i++) {
        if (i % CLOCK_EVERY == 0) {
            t = (int64_t)now_ns();
            event_base_update_cache_time(evb);
        }
        deadline[i] = t + delay[i];
        struct timeval tv = tv_up(delay[i]);
        CHECK_NEG(evtimer_assign(&evt_timers[i], evb, levt_cb, (void *)(uintptr_t)i));
        CHECK_NEG(evtimer_add(&evt_timers[i], &tv));
    }
}
static void levt_fire(void) { CHECK_NEG(event_base_dispatch(evb)); /* returns when no event is left */ }
static void levt_rearm(long i) {
    struct timeval tv = tv_up(FAR_NS + delay[i]);
    CHECK_NEG(evtimer_add(&evt_timers[i], &tv));
}
static void levt_cancel(long i) { CHECK_NEG(evtimer_del(&evt_timers[i])); }

struct backend {
    const char *name;
    void (*init)(void), (*add)(void), (*fire)(void), (*rearm)(long), (*cancel)(long);
    size_t user_bytes; /* what the caller allocates per timer */
};

static const struct backend backends[] = {
    {"floor", fl_init, fl_add, fl_fire, fl_rearm, fl_cancel, 0},
    {"repoll", rp_init, rp_add, rp_fire, rp_rearm, rp_cancel, 0},
    {"libev", lev_init, lev_add, lev_fire, lev_rearm, lev_cancel, sizeof(ev_timer)},
    {"libuv", luv_init, luv_add, luv_fire, luv_rearm, luv_cancel, sizeof(uv_timer_t)},
    {"libevent", levt_init, levt_add, levt_fire, levt_rearm, levt_cancel, sizeof(struct event)},
};

/* Zeroed memory, resident before the baseline (a memset after calloc may be
 * compiled away, and calloc's fresh pages are not resident). */
static void *zalloc(size_t bytes) {
    volatile char *p = calloc(1, bytes);
    if (!p)
        DIE("out of memory");
    for (size_t i = 0; i < bytes; i += 4096)
        p[i] = 0;
    return (void *)p;
}

static double lateness_us(double *sorted, double p) { return quantile(sorted, (size_t)count, p) / 1e3; }

int main(int argc, char **argv) {
    if (argc < 2)
        DIE("usage: bench_timers floor|repoll|libev|libuv|libevent [COUNT [SPAN_MS]]");
    const struct backend *b = NULL;
    for (size_t k = 0; k < sizeof backends / sizeof backends[0]; k++)
        if (!strcmp(argv[1], backends[k].name))
            b = &backends[k];
    if (!b)
        DIE("unknown backend %s", argv[1]);
    count = argc > 2 ? atol(argv[2]) : 1000000;
    span_ns = (argc > 3 ? atol(argv[3]) : 100) * 1000000ll;
    if (count < 1 || count > UINT32_MAX / 2 || span_ns < 1)
        DIE("bad arguments");

    delay = zalloc(count * sizeof *delay);
    deadline = zalloc(count * sizeof *deadline);
    late = zalloc(count * sizeof *late);
    ids = zalloc(count * sizeof *ids);
    seen = zalloc((size_t)count / 8 + 1);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (long i = 0; i < count; i++)
        delay[i] = (int64_t)(xorshift64(&rng) % (uint64_t)span_ns);
    b->init();

    watchdog(300, b->name); /* a run takes a few seconds */
    long rss0 = status_kb("VmRSS:");
    uint64_t c0 = cpu_ns();
    b->add();
    uint64_t c1 = cpu_ns();
    b->fire();
    uint64_t c2 = cpu_ns();
    long hwm = status_kb("VmHWM:");

    /* Cancel: COUNT timers an hour away, cancelled in a shuffled order. */
    order = malloc(count * sizeof *order);
    if (!order)
        DIE("out of memory");
    for (long i = 0; i < count; i++)
        order[i] = (uint32_t)i;
    for (long i = count - 1; i > 0; i--) {
        long j = (long)(xorshift64(&rng) % (uint64_t)(i + 1));
        uint32_t t = order[i];
        order[i] = order[j], order[j] = t;
    }
    for (long i = 0; i < count; i++)
        b->rearm(i);
    uint64_t c3 = cpu_ns();
    for (long i = 0; i < count; i++)
        b->cancel(order[i]);
    uint64_t c4 = cpu_ns();

    double *sorted = malloc(count * sizeof *sorted);
    if (!sorted)
        DIE("out of memory");
    for (long i = 0; i < count; i++)
        sorted[i] = (double)late[i];
    double n = (double)count;
    printf("timers backend=%s count=%ld span_ms=%lld add_ns=%.1f fire_ns=%.1f cancel_ns=%.1f"
           " late_p50_us=%.1f late_p99_us=%.1f late_max_us=%.1f early=%ld bytes=%.1f user_struct=%zu"
           " waits=%ld fired=%ld twice=%ld\n",
           b->name, count, (long long)(span_ns / 1000000), (double)(c1 - c0) / n,
           (double)(c2 - c1) / n, (double)(c4 - c3) / n, lateness_us(sorted, 0.5),
           lateness_us(sorted, 0.99), lateness_us(sorted, 1.0), early,
           (double)(hwm - rss0) * 1024.0 / n, b->user_bytes, waits, fired, twice);
    int own = !strcmp(b->name, "repoll") || !strcmp(b->name, "floor");
    if (fired != count || twice || (own && early)) {
        fprintf(stderr, "MISMATCH: %s fired %ld of %ld timers (%ld twice, %ld early)\n", b->name, fired,
                count, twice, early);
        return 1;
    }
    return 0;
}
