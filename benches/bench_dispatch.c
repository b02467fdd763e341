/*
 * Dispatch benchmark: the classic libevent "bench" chain, one harness, five
 * backends (raw epoll, repoll, libev, libevent, libuv), plus repoll+timer:
 * repoll on a handle that also holds one (distant) timer.
 *
 * N AF_UNIX stream socketpairs; the read end of each is registered for
 * readability. A round writes one byte to A pairs spread evenly over the N,
 * then runs the loop until every byte written has been read. Each read
 * callback reads one byte and, while the round's budget of W writes lasts,
 * writes one byte to the next pair (idx + 1 mod N): a chain of W writes.
 * So a round is exactly A + W reads; the timed part is the loop only (the A
 * initial writes are made before the clock starts, as in libevent's bench).
 *
 * Setup cost: registering all N read ends plus one non-blocking loop
 * iteration (libev and libuv only queue registrations and make the
 * epoll_ctl calls in the next iteration; that iteration is part of their
 * registration cost). Loop creation and teardown are not timed.
 *
 * Clock: the thread's CPU time (user + system). Neither a round nor a setup
 * ever blocks (a wait only runs while a written byte is unread), so this is
 * the wall time minus the time another process held the CPU: on a shared
 * machine, a round preempted by someone's compiler takes 3x as long in wall
 * time and the same in CPU time. The wall time of each round is measured too
 * and reported beside it.
 *
 * Backends run in batches, in a rotating order, each with a fresh loop, so
 * that drift of the machine (frequency, caches, neighbours) spreads over all
 * of them.
 *
 * Usage:
 *   bench_dispatch -n PAIRS -a ACTIVE -w WRITES -r ROUNDS -b BATCHES
 *                  [-s SETUP_REPS] [-W WARMUP_ROUNDS] [-B raw,repoll,libev,libevent,libuv]
 *   bench_dispatch --callgrind BACKEND -n ... -r ROUNDS
 *       one setup and ROUNDS rounds of BACKEND, each bracketed by callgrind
 *       client requests: run under
 *       valgrind --tool=callgrind --collect-atstart=no, it dumps two profiles
 *       ("setup" and "rounds") that hold exactly those instructions.
 *
 * Output: one line per backend, "dispatch key=value ...", parsed by
 * benches/run: medians and p10/p90 of all rounds and setups, and paired
 * ratios to raw epoll (see paired()). Exit status 1 if any backend read a
 * different number of bytes than it should have, or hit a read/write
 * failure; 2 if a system call failed or the watchdog fired.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
/* libevent's <event2/event.h> #defines EV_READ (0x02) over libev's enum
 * constant (0x01, where 0x02 is libev's EV_WRITE): take libev's value first. */
enum { LEV_READ = EV_READ };
#include <event2/event.h>
#include <repoll.h>
#include <uv.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#include "bench_common.h"

/* Events fetched per wait by the raw epoll and repoll backends (libuv uses
 * 1024 internally; libev and libevent grow their arrays as needed). */
#define MAXEV 1024

/* ---- the harness: pairs, counters, the read callback ---- */

static long npairs, nactive, nwrites, warmups = 1;
static int *rfd, *wfd; /* read end (registered) and write end of each pair */

static struct {
    long count;    /* bytes read this round */
    long fired;    /* bytes written this round */
    long writes;   /* chain writes left this round */
    long failures; /* short reads or writes: never expected */
    long loops;    /* loop iterations (waits) this round */
} g;

static inline void on_readable(long idx) {
    unsigned char ch;
    if (read(rfd[idx], &ch, 1) == 1)
        g.count++;
    else
        g.failures++;
    if (g.writes > 0) {
        long next = idx + 1;
        if (next >= npairs)
            next -= npairs;
        if (write(wfd[next], "e", 1) != 1)
            g.failures++;
        g.writes--;
        g.fired++;
    }
}

/* ---- backends ---- */

struct backend {
    const char *name;
    void (*create)(void);
    void (*add_all)(void); /* register every read end for readability */
    void (*flush)(void);   /* one non-blocking iteration */
    void (*check)(void);   /* after flush, untimed: every registration took (or NULL) */
    void (*run_once)(void); /* one blocking iteration */
    void (*destroy)(void);
};

/* raw epoll */
static int raw_ep;
static struct epoll_event raw_evs[MAXEV];

static void raw_create(void) { CHECK_SYS(raw_ep = epoll_create1(EPOLL_CLOEXEC)); }
static void raw_add_all(void) {
    for (long i = 0; i < npairs; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        CHECK_SYS(epoll_ctl(raw_ep, EPOLL_CTL_ADD, rfd[i], &ev));
    }
}
static void raw_poll(int timeout) {
    int n = epoll_wait(raw_ep, raw_evs, MAXEV, timeout);
    CHECK_SYS(n);
    for (int i = 0; i < n; i++)
        on_readable((long)raw_evs[i].data.u64);
}
static void raw_flush(void) { raw_poll(0); }
static void raw_run_once(void) { raw_poll(-1); }
static void raw_destroy(void) { close(raw_ep); }

/* repoll */
static repoll_t *rp;
static repoll_event_t rp_evs[MAXEV];

static void rp_create(void) { CHECK_NEG(repoll_create(&rp, REPOLL_CLOEXEC)); }
/* repoll+timer: the same handle with one timer an hour away, so a wait pays
 * whatever a handle with timers pays (the timer never fires in a run). */
static void rp_timer_create(void) {
    uint64_t id;
    rp_create();
    CHECK_NEG(repoll_timer_add(rp, 3600 * 1000000000ll, 0, 0, &id));
}
static void rp_add_all(void) {
    for (long i = 0; i < npairs; i++)
        CHECK_NEG(repoll_add(rp, rfd[i], REPOLL_IN, (uint64_t)i));
}
static void rp_poll(int timeout) {
    int n = repoll_wait(rp, rp_evs, MAXEV, timeout);
    CHECK_NEG(n);
    for (int i = 0; i < n; i++)
        on_readable((long)rp_evs[i].data);
}
static void rp_flush(void) { rp_poll(0); }
static void rp_run_once(void) { rp_poll(-1); }
static void rp_destroy(void) { CHECK_NEG(repoll_close(rp)); }

/* libev: ev_io watchers, epoll backend forced */
static struct ev_loop *evl;
static ev_io *lev_watchers; /* allocated once: users embed watchers in their own structs */

static void lev_cb(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    on_readable((long)w->data);
}
static void lev_create(void) {
    evl = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    if (!evl || ev_backend(evl) != EVBACKEND_EPOLL)
        DIE("libev: no epoll backend");
}
static void lev_add_all(void) {
    for (long i = 0; i < npairs; i++) {
        ev_io_init(&lev_watchers[i], lev_cb, rfd[i], LEV_READ);
        lev_watchers[i].data = (void *)i;
        ev_io_start(evl, &lev_watchers[i]);
    }
}
static void lev_flush(void) { ev_run(evl, EVRUN_NOWAIT); }
/* libev makes its epoll_ctl calls in the loop and, when one fails (ENOSPC
 * when fs.epoll.max_user_watches runs out), stops the watcher: check. */
static void lev_check(void) {
    for (long i = 0; i < npairs; i++)
        if (!ev_is_active(&lev_watchers[i]))
            DIE("libev: watcher %ld was stopped (its epoll_ctl failed)", i);
}
static void lev_run_once(void) { ev_run(evl, EVRUN_ONCE); }
static void lev_destroy(void) {
    for (long i = 0; i < npairs; i++)
        ev_io_stop(evl, &lev_watchers[i]);
    ev_loop_destroy(evl);
}

/* libevent: event_new + event_add, EV_PERSIST */
static struct event_base *ebase;
static struct event **le_events;

static void le_cb(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    on_readable((long)arg);
}
static void le_create(void) {
    ebase = event_base_new();
    if (!ebase || strcmp(event_base_get_method(ebase), "epoll") != 0)
        DIE("libevent: no epoll backend");
}
static void le_add_all(void) {
    for (long i = 0; i < npairs; i++) {
        le_events[i] = event_new(ebase, rfd[i], EV_READ | EV_PERSIST, le_cb, (void *)i);
        if (!le_events[i] || event_add(le_events[i], NULL) < 0)
            DIE("libevent: event_new/event_add failed");
    }
}
static void le_flush(void) { CHECK_NEG(event_base_loop(ebase, EVLOOP_ONCE | EVLOOP_NONBLOCK)); }
static void le_run_once(void) { CHECK_NEG(event_base_loop(ebase, EVLOOP_ONCE)); }
static void le_destroy(void) {
    for (long i = 0; i < npairs; i++)
        event_free(le_events[i]);
    event_base_free(ebase);
}

/* libuv: uv_poll_t over the same fds (not uv_pipe_t, which would add its own
 * read buffering and allocation callbacks: uv_poll_t is readiness only, the
 * same service as the others). */
static uv_loop_t uvl;
static uv_poll_t *luv_polls; /* allocated once, like the libev watchers */

static void luv_cb(uv_poll_t *h, int status, int events) {
    (void)events;
    if (status < 0)
        g.failures++;
    on_readable((long)h->data);
}
static void luv_create(void) { CHECK_NEG(uv_loop_init(&uvl)); }
static void luv_add_all(void) {
    for (long i = 0; i < npairs; i++) {
        CHECK_NEG(uv_poll_init(&uvl, &luv_polls[i], rfd[i]));
        luv_polls[i].data = (void *)i;
        CHECK_NEG(uv_poll_start(&luv_polls[i], UV_READABLE, luv_cb));
    }
}
static void luv_flush(void) { uv_run(&uvl, UV_RUN_NOWAIT); }
static void luv_run_once(void) { uv_run(&uvl, UV_RUN_ONCE); }
static void luv_destroy(void) {
    for (long i = 0; i < npairs; i++)
        uv_close((uv_handle_t *)&luv_polls[i], NULL);
    uv_run(&uvl, UV_RUN_DEFAULT);
    CHECK_NEG(uv_loop_close(&uvl));
}

static const struct backend backends[] = {
    {"raw", raw_create, raw_add_all, raw_flush, NULL, raw_run_once, raw_destroy},
    {"repoll", rp_create, rp_add_all, rp_flush, NULL, rp_run_once, rp_destroy},
    {"repoll+timer", rp_timer_create, rp_add_all, rp_flush, NULL, rp_run_once, rp_destroy},
    {"libev", lev_create, lev_add_all, lev_flush, lev_check, lev_run_once, lev_destroy},
    {"libevent", le_create, le_add_all, le_flush, NULL, le_run_once, le_destroy},
    {"libuv", luv_create, luv_add_all, luv_flush, NULL, luv_run_once, luv_destroy},
};
#define NBACKENDS (int)(sizeof backends / sizeof backends[0])

static const struct backend *find_backend(const char *name) {
    for (int i = 0; i < NBACKENDS; i++)
        if (strcmp(backends[i].name, name) == 0)
            return &backends[i];
    DIE("unknown backend %s", name);
}

/* ---- the measured parts (noinline: they show up by name in profiles) ---- */

/* Registers all N fds and applies the registrations; returns CPU ns. */
__attribute__((noinline)) static uint64_t bench_setup(const struct backend *be) {
    uint64_t t0 = thread_cpu_ns();
    be->add_all();
    be->flush();
    return thread_cpu_ns() - t0;
}

/* Starts a round: A bytes written, spread evenly over the pairs. */
static void start_round(void) {
    long space = npairs / nactive;
    g.count = 0;
    g.fired = 0;
    g.loops = 0;
    g.writes = nwrites;
    for (long i = 0; i < nactive; i++, g.fired++)
        if (write(wfd[i * space], "e", 1) != 1)
            g.failures++;
}

/* Runs one started round to completion; returns CPU ns, and the wall ns in
 * *wall. */
__attribute__((noinline)) static uint64_t bench_round(const struct backend *be, uint64_t *wall) {
    uint64_t w0 = now_ns(), t0 = thread_cpu_ns();
    while (g.count < g.fired) {
        be->run_once();
        g.loops++;
    }
    uint64_t t1 = thread_cpu_ns();
    *wall = now_ns() - w0;
    return t1 - t0;
}

/* Every byte written must have been read: no read end holds data. */
static long leftover_bytes(void) {
    long left = 0;
    unsigned char buf[64];
    for (long i = 0; i < npairs; i++) {
        ssize_t n;
        while ((n = read(rfd[i], buf, sizeof buf)) > 0)
            left += n;
    }
    return left;
}

struct stats {
    double *setup; /* ns per fd, one per setup */
    long nsetup;
    double *round; /* CPU ns per round */
    double *wall;  /* wall ns per round */
    long nround;
    long reads, expected, loops, failures, leftover;
    double paired_round[3], paired_setup[3]; /* p10, median, p90 of batch ratios */
};

/* Median of v[0..n) without disturbing v. */
static double median_of(const double *v, long n) {
    double tmp[n > 0 ? n : 1];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    return quantile(tmp, (size_t)n, 0.5);
}

/* Paired comparison with a reference backend: in every batch both ran within
 * the same cycle, so the ratio of their batch medians is immune to the slow
 * drift of a shared machine; out[] gets the p10, median and p90 of those
 * ratios over all batches. */
static void paired(const double *mine, const double *ref, long batches, long per_batch, double out[3]) {
    double *r = calloc((size_t)batches, sizeof *r);
    if (!r)
        DIE("out of memory");
    for (long b = 0; b < batches; b++)
        r[b] = median_of(mine + b * per_batch, per_batch) / median_of(ref + b * per_batch, per_batch);
    out[0] = quantile(r, (size_t)batches, 0.10);
    out[1] = quantile(r, (size_t)batches, 0.5);
    out[2] = quantile(r, (size_t)batches, 0.90);
    free(r);
}

static void print_stats(const char *name, struct stats *s) {
    double events = (double)(nactive + nwrites);
    double s10 = quantile(s->setup, s->nsetup, 0.10), s50 = quantile(s->setup, s->nsetup, 0.5),
           s90 = quantile(s->setup, s->nsetup, 0.90);
    double r10 = quantile(s->round, s->nround, 0.10), r50 = quantile(s->round, s->nround, 0.5),
           r90 = quantile(s->round, s->nround, 0.90);
    double w50 = quantile(s->wall, s->nround, 0.5), w90 = quantile(s->wall, s->nround, 0.90);
    printf("dispatch backend=%s n=%ld active=%ld writes=%ld rounds=%ld setups=%ld"
           " setup_ns_per_fd=%.1f setup_p10=%.1f setup_p90=%.1f"
           " round_ns=%.0f round_p10=%.0f round_p90=%.0f wall_ns=%.0f wall_p90=%.0f ns_per_event=%.2f"
           " paired_round=%.4f paired_round_p10=%.4f paired_round_p90=%.4f"
           " paired_setup=%.4f paired_setup_p10=%.4f paired_setup_p90=%.4f"
           " reads=%ld expected=%ld loops_per_round=%.2f failures=%ld leftover=%ld\n",
           name, npairs, nactive, nwrites, s->nround, s->nsetup, s50, s10, s90, r50, r10, r90, w50, w90,
           r50 / events, s->paired_round[1], s->paired_round[0], s->paired_round[2], s->paired_setup[1],
           s->paired_setup[0], s->paired_setup[2], s->reads, s->expected, (double)s->loops / (double)(s->nround ? s->nround : 1),
           s->failures, s->leftover);
}

/* One batch of one backend: `setup_reps` fresh setups (the last one kept),
 * `warmups` untimed rounds (after a teardown of N registrations the kernel
 * frees them through RCU, which slows the next few rounds at large N), then
 * `rounds` timed rounds. */
static void run_batch(const struct backend *be, long setup_reps, long rounds, struct stats *s) {
    watchdog(60, be->name); /* a batch takes well under a second */
    for (long k = 0; k < setup_reps; k++) {
        be->create();
        s->setup[s->nsetup++] = (double)bench_setup(be) / (double)npairs;
        if (be->check)
            be->check();
        if (k + 1 < setup_reps)
            be->destroy();
    }
    uint64_t wall;
    for (long w = 0; w < warmups; w++) {
        start_round();
        bench_round(be, &wall);
    }
    for (long r = 0; r < rounds; r++) {
        start_round();
        s->round[s->nround] = (double)bench_round(be, &wall);
        s->wall[s->nround++] = (double)wall;
        s->reads += g.count;
        s->expected += nactive + nwrites;
        s->loops += g.loops;
        if (g.count != g.fired || g.fired != nactive + nwrites)
            s->failures++;
    }
    s->failures += g.failures;
    g.failures = 0;
    be->destroy();
    s->leftover += leftover_bytes();
}

/* Under callgrind: one setup and `rounds` rounds, each its own profile. */
static void run_callgrind(const struct backend *be, long rounds) {
    be->create();
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    bench_setup(be);
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT("setup");
    uint64_t wall;
    for (long w = 0; w < warmups; w++) {
        start_round();
        bench_round(be, &wall);
    }
    long reads = 0, waits = 0;
    CALLGRIND_ZERO_STATS;
    for (long r = 0; r < rounds; r++) {
        start_round(); /* the harness's A writes: the same for every backend */
        CALLGRIND_TOGGLE_COLLECT;
        bench_round(be, &wall);
        CALLGRIND_TOGGLE_COLLECT;
        reads += g.count;
        waits += g.loops;
    }
    CALLGRIND_DUMP_STATS_AT("rounds");
    be->destroy();
    long expected = rounds * (nactive + nwrites);
    printf("callgrind backend=%s n=%ld active=%ld writes=%ld rounds=%ld reads=%ld expected=%ld"
           " waits=%ld failures=%ld leftover=%ld\n",
           be->name, npairs, nactive, nwrites, rounds, reads, expected, waits, g.failures,
           leftover_bytes());
    if (reads != expected || g.failures)
        exit(1);
}

int main(int argc, char **argv) {
    long rounds = 100, batches = 3, setup_reps = 1;
    const char *list = "raw,repoll,libev,libevent,libuv";
    const char *callgrind = NULL;
    npairs = 100;
    nactive = 100;
    nwrites = 1000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            DIE("option %s needs a value", a);
        i++;
        if (!strcmp(a, "-n")) npairs = atol(v);
        else if (!strcmp(a, "-a")) nactive = atol(v);
        else if (!strcmp(a, "-w")) nwrites = atol(v);
        else if (!strcmp(a, "-r")) rounds = atol(v);
        else if (!strcmp(a, "-b")) batches = atol(v);
        else if (!strcmp(a, "-s")) setup_reps = atol(v);
        else if (!strcmp(a, "-W")) warmups = atol(v);
        else if (!strcmp(a, "-B")) list = v;
        else if (!strcmp(a, "--callgrind")) callgrind = v;
        else DIE("unknown option %s", a);
    }
    if (nactive > npairs)
        nactive = npairs;
    if (npairs < 1 || nactive < 1 || nwrites < 0 || rounds < 1 || batches < 1 || setup_reps < 1 || warmups < 0)
        DIE("bad arguments");

    long limit = raise_fd_limit();
    if (2 * npairs + 32 > limit)
        DIE("%ld pairs need %ld fds; the limit is %ld", npairs, 2 * npairs + 32, limit);
    rfd = calloc(npairs, sizeof *rfd);
    wfd = calloc(npairs, sizeof *wfd);
    lev_watchers = calloc(npairs, sizeof *lev_watchers);
    le_events = calloc(npairs, sizeof *le_events);
    luv_polls = calloc(npairs, sizeof *luv_polls);
    if (!rfd || !wfd || !lev_watchers || !le_events || !luv_polls)
        DIE("out of memory");
    for (long i = 0; i < npairs; i++) {
        int sv[2];
        CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
        rfd[i] = sv[0];
        wfd[i] = sv[1];
    }

    if (callgrind) {
        run_callgrind(find_backend(callgrind), rounds);
        return 0;
    }

    const struct backend *sel[NBACKENDS];
    int nsel = 0;
    char *names = strdup(list);
    for (char *tok = strtok(names, ","); tok; tok = strtok(NULL, ","))
        if (nsel < NBACKENDS)
            sel[nsel++] = find_backend(tok);

    struct stats st[NBACKENDS];
    memset(st, 0, sizeof st);
    for (int k = 0; k < nsel; k++) {
        st[k].setup = calloc(batches * setup_reps, sizeof(double));
        st[k].round = calloc(batches * rounds, sizeof(double));
        st[k].wall = calloc(batches * rounds, sizeof(double));
    }
    printf("versions repoll=%s libev=%d.%d libevent=%s libuv=%s\n", repoll_version(),
           ev_version_major(), ev_version_minor(), event_get_version(), uv_version_string());
    for (long b = 0; b < batches; b++)
        for (int k = 0; k < nsel; k++) {
            int j = (int)((k + b) % nsel);
            run_batch(sel[j], setup_reps, rounds, &st[j]);
        }
    watchdog(0, NULL);

    int ref = 0; /* ratios are to raw epoll when it ran, else to the first backend */
    for (int k = 0; k < nsel; k++)
        if (!strcmp(sel[k]->name, "raw"))
            ref = k;
    for (int k = 0; k < nsel; k++) {
        paired(st[k].round, st[ref].round, batches, rounds, st[k].paired_round);
        paired(st[k].setup, st[ref].setup, batches, setup_reps, st[k].paired_setup);
    }
    int bad = 0;
    for (int k = 0; k < nsel; k++) {
        print_stats(sel[k]->name, &st[k]);
        if (st[k].reads != st[k].expected || st[k].failures || st[k].leftover) {
            fprintf(stderr, "MISMATCH: backend %s read %ld bytes, expected %ld (failures %ld, leftover %ld)\n",
                    sel[k]->name, st[k].reads, st[k].expected, st[k].failures, st[k].leftover);
            bad = 1;
        }
    }
    return bad;
}
