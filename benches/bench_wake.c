/*
 * Wake benchmark: ping-pong between two threads. Thread A wakes B, B wakes A
 * back; one round trip is timed from A's wake to A seeing B's answer.
 *
 * Backends:
 *   eventfd        two blocking eventfds: write(2) to wake, read(2) to wait.
 *                  The floor: no poller at all.
 *   epoll+eventfd  each thread waits in epoll_wait on an epoll instance
 *                  holding its non-blocking eventfd, then drains it with
 *                  read(2): what an event loop needs, written by hand, and
 *                  exactly the system calls repoll makes.
 *   repoll         repoll_wake(other) / repoll_wait(own) -> REPOLL_WAKE.
 *   libev          ev_async_send(other loop) / ev_run(EVRUN_ONCE).
 *   libuv          uv_async_send(other) / uv_run(UV_RUN_ONCE).
 *
 * Backends run in batches in a rotating order (see bench_dispatch.c).
 *
 * Placement (-c): "split" pins A to CPU 0 and B to CPU 1, the usual case of
 * two busy threads; each wake then crosses CPUs, and when the woken CPU was
 * idle, what it costs depends on how deep it slept (on a VM, whether the
 * hypervisor had descheduled it: ~30 us instead of ~5). "same" pins both to
 * CPU 0: a wake is a context switch, the same on any machine, which isolates
 * what the libraries add.
 *
 * Usage: bench_wake [-r ROUNDTRIPS_PER_BATCH] [-b BATCHES] [-B list] [-c split|same]
 * Output: one line per backend "wake key=value ...".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ev.h>
#include <repoll.h>
#include <uv.h>

#include "bench_common.h"

static atomic_int stop;   /* A tells B to leave, before its last wake */
static long b_wakes;      /* wakes B answered (read by A after join) */

struct backend {
    const char *name;
    void (*setup)(void);
    void *(*responder)(void *); /* thread B: wait, answer, until `stop` */
    void (*ping)(void);         /* thread A: wake B, wait for the answer */
    void (*finish)(void);       /* thread A: set stop, wake B; join; free */
};

static pthread_t thread_b;
static int cpu_a = 0, cpu_b = 1;

static void pin(cpu_set_t *set, int cpu) {
    CPU_ZERO(set);
    CPU_SET(cpu, set);
}

static void start_b(const struct backend *be) {
    atomic_store(&stop, 0);
    b_wakes = 0;
    pthread_attr_t attr;
    cpu_set_t set;
    pin(&set, cpu_b);
    pthread_attr_init(&attr);
    if (pthread_attr_setaffinity_np(&attr, sizeof set, &set))
        DIE("pthread_attr_setaffinity_np");
    if (pthread_create(&thread_b, &attr, be->responder, NULL))
        DIE("pthread_create");
    pthread_attr_destroy(&attr);
}

/* ---- eventfd (blocking) ---- */
static int efd_a, efd_b;
static void efd_setup(void) {
    CHECK_SYS(efd_a = eventfd(0, EFD_CLOEXEC));
    CHECK_SYS(efd_b = eventfd(0, EFD_CLOEXEC));
}
static void efd_signal(int fd) {
    uint64_t one = 1;
    if (write(fd, &one, 8) != 8)
        DIE("eventfd write");
}
static void efd_wait(int fd) {
    uint64_t v;
    if (read(fd, &v, 8) != 8)
        DIE("eventfd read");
}
static void *efd_responder(void *arg) {
    (void)arg;
    for (;;) {
        efd_wait(efd_b);
        if (atomic_load(&stop))
            return NULL;
        b_wakes++;
        efd_signal(efd_a);
    }
}
static void efd_ping(void) {
    efd_signal(efd_b);
    efd_wait(efd_a);
}
static void efd_finish(void) {
    atomic_store(&stop, 1);
    efd_signal(efd_b);
    pthread_join(thread_b, NULL);
    close(efd_a);
    close(efd_b);
}

/* ---- epoll + eventfd ---- */
static int ep_a, ep_b, nefd_a, nefd_b;
static int epoll_with(int efd) {
    int ep;
    CHECK_SYS(ep = epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
    return ep;
}
static void ep_setup(void) {
    CHECK_SYS(nefd_a = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    CHECK_SYS(nefd_b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    ep_a = epoll_with(nefd_a);
    ep_b = epoll_with(nefd_b);
}
static void ep_wait(int ep, int efd) {
    struct epoll_event evs[8];
    int n;
    do
        CHECK_SYS(n = epoll_wait(ep, evs, 8, -1));
    while (n == 0);
    uint64_t v;
    if (read(efd, &v, 8) != 8)
        DIE("eventfd read");
}
static void *ep_responder(void *arg) {
    (void)arg;
    for (;;) {
        ep_wait(ep_b, nefd_b);
        if (atomic_load(&stop))
            return NULL;
        b_wakes++;
        efd_signal(nefd_a);
    }
}
static void ep_ping(void) {
    efd_signal(nefd_b);
    ep_wait(ep_a, nefd_a);
}
static void ep_finish(void) {
    atomic_store(&stop, 1);
    efd_signal(nefd_b);
    pthread_join(thread_b, NULL);
    close(ep_a), close(ep_b), close(nefd_a), close(nefd_b);
}

/* ---- repoll ---- */
static repoll_t *rp_a, *rp_b;
static void rp_setup(void) {
    CHECK_NEG(repoll_create(&rp_a, REPOLL_CLOEXEC));
    CHECK_NEG(repoll_create(&rp_b, REPOLL_CLOEXEC));
}
static void rp_wait(repoll_t *rp) {
    repoll_event_t evs[8];
    for (;;) {
        int n = repoll_wait(rp, evs, 8, -1);
        CHECK_NEG(n);
        for (int i = 0; i < n; i++)
            if (evs[i].events & REPOLL_WAKE)
                return;
    }
}
static void *rp_responder(void *arg) {
    (void)arg;
    for (;;) {
        rp_wait(rp_b);
        if (atomic_load(&stop))
            return NULL;
        b_wakes++;
        CHECK_NEG(repoll_wake(rp_a));
    }
}
static void rp_ping(void) {
    CHECK_NEG(repoll_wake(rp_b));
    rp_wait(rp_a);
}
static void rp_finish(void) {
    atomic_store(&stop, 1);
    CHECK_NEG(repoll_wake(rp_b));
    pthread_join(thread_b, NULL);
    CHECK_NEG(repoll_close(rp_a));
    CHECK_NEG(repoll_close(rp_b));
}

/* ---- libev: one loop and one ev_async per thread ---- */
static struct ev_loop *evl_a, *evl_b;
static ev_async eva_a, eva_b;
static int ev_answered;

static void lev_cb_a(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop, (void)w, (void)revents;
    ev_answered = 1;
}
static void lev_cb_b(struct ev_loop *loop, ev_async *w, int revents) {
    (void)revents;
    if (atomic_load(&stop)) {
        ev_async_stop(loop, w);
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    b_wakes++;
    ev_async_send(evl_a, &eva_a);
}
static void lev_setup(void) {
    evl_a = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    evl_b = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    if (!evl_a || !evl_b)
        DIE("ev_loop_new");
    ev_async_init(&eva_a, lev_cb_a);
    ev_async_init(&eva_b, lev_cb_b);
    ev_async_start(evl_a, &eva_a);
    ev_async_start(evl_b, &eva_b);
}
static void *lev_responder(void *arg) {
    (void)arg;
    ev_run(evl_b, 0);
    return NULL;
}
static void lev_ping(void) {
    ev_answered = 0;
    ev_async_send(evl_b, &eva_b);
    while (!ev_answered)
        ev_run(evl_a, EVRUN_ONCE);
}
static void lev_finish(void) {
    atomic_store(&stop, 1);
    ev_async_send(evl_b, &eva_b);
    pthread_join(thread_b, NULL);
    ev_async_stop(evl_a, &eva_a);
    ev_loop_destroy(evl_a);
    ev_loop_destroy(evl_b);
}

/* ---- libuv: one loop and one uv_async_t per thread ---- */
static uv_loop_t uvl_a, uvl_b;
static uv_async_t uva_a, uva_b;
static int uv_answered;

static void luv_cb_a(uv_async_t *h) {
    (void)h;
    uv_answered = 1;
}
static void luv_cb_b(uv_async_t *h) {
    if (atomic_load(&stop)) {
        uv_close((uv_handle_t *)h, NULL); /* the loop ends */
        return;
    }
    b_wakes++;
    CHECK_NEG(uv_async_send(&uva_a));
}
static void luv_setup(void) {
    CHECK_NEG(uv_loop_init(&uvl_a));
    CHECK_NEG(uv_loop_init(&uvl_b));
    CHECK_NEG(uv_async_init(&uvl_a, &uva_a, luv_cb_a));
    CHECK_NEG(uv_async_init(&uvl_b, &uva_b, luv_cb_b));
}
static void *luv_responder(void *arg) {
    (void)arg;
    uv_run(&uvl_b, UV_RUN_DEFAULT);
    return NULL;
}
static void luv_ping(void) {
    uv_answered = 0;
    CHECK_NEG(uv_async_send(&uva_b));
    while (!uv_answered)
        uv_run(&uvl_a, UV_RUN_ONCE);
}
static void luv_finish(void) {
    atomic_store(&stop, 1);
    CHECK_NEG(uv_async_send(&uva_b));
    pthread_join(thread_b, NULL);
    uv_close((uv_handle_t *)&uva_a, NULL);
    uv_run(&uvl_a, UV_RUN_DEFAULT);
    CHECK_NEG(uv_loop_close(&uvl_a));
    CHECK_NEG(uv_loop_close(&uvl_b));
}

static const struct backend backends[] = {
    {"eventfd", efd_setup, efd_responder, efd_ping, efd_finish},
    {"epoll+eventfd", ep_setup, ep_responder, ep_ping, ep_finish},
    {"repoll", rp_setup, rp_responder, rp_ping, rp_finish},
    {"libev", lev_setup, lev_responder, lev_ping, lev_finish},
    {"libuv", luv_setup, luv_responder, luv_ping, luv_finish},
};
#define NBACKENDS (int)(sizeof backends / sizeof backends[0])

int main(int argc, char **argv) {
    long rounds = 2000, batches = 5;
    const char *list = "eventfd,epoll+eventfd,repoll,libev,libuv", *placement = "split";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-r")) rounds = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-b")) batches = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "-B")) list = argv[i + 1];
        else if (!strcmp(argv[i], "-c")) placement = argv[i + 1];
        else DIE("unknown option %s", argv[i]);
    }
    if (rounds < 1 || batches < 1)
        DIE("bad arguments");
    if (!strcmp(placement, "same"))
        cpu_b = cpu_a;
    else if (strcmp(placement, "split") != 0)
        DIE("-c takes split or same");
    cpu_set_t set;
    pin(&set, cpu_a);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        DIE("sched_setaffinity: %s", strerror(errno));

    const struct backend *sel[NBACKENDS];
    int nsel = 0;
    char *names = strdup(list);
    for (char *tok = strtok(names, ","); tok; tok = strtok(NULL, ",")) {
        int found = 0;
        for (int k = 0; k < NBACKENDS; k++)
            if (!strcmp(backends[k].name, tok) && nsel < NBACKENDS)
                sel[nsel++] = &backends[k], found = 1;
        if (!found)
            DIE("unknown backend %s", tok);
    }

    double *lat[NBACKENDS];
    long nlat[NBACKENDS] = {0}, answered[NBACKENDS] = {0};
    for (int k = 0; k < nsel; k++)
        if (!(lat[k] = calloc(rounds * batches, sizeof(double))))
            DIE("out of memory");

    for (long b = 0; b < batches; b++)
        for (int k = 0; k < nsel; k++) {
            int j = (int)((k + b) % nsel);
            const struct backend *be = sel[j];
            watchdog(60, be->name); /* a batch takes well under a second */
            be->setup();
            start_b(be);
            for (int w = 0; w < 200; w++) /* warm-up: both threads running */
                be->ping();
            for (long r = 0; r < rounds; r++) {
                uint64_t t0 = now_ns();
                be->ping();
                lat[j][nlat[j]++] = (double)(now_ns() - t0);
            }
            be->finish();
            answered[j] += b_wakes - 200;
        }

    watchdog(0, NULL);
    int bad = 0;
    for (int k = 0; k < nsel; k++) {
        double n = (double)nlat[k];
        double p10 = quantile(lat[k], nlat[k], 0.10), p50 = quantile(lat[k], nlat[k], 0.5),
               p90 = quantile(lat[k], nlat[k], 0.90);
        printf("wake backend=%s placement=%s roundtrips=%.0f median_ns=%.0f p10_ns=%.0f p90_ns=%.0f answered=%ld\n",
               sel[k]->name, placement, n, p50, p10, p90, answered[k]);
        if (answered[k] != nlat[k]) {
            fprintf(stderr, "MISMATCH: %s: B answered %ld wakes for %ld round trips\n", sel[k]->name,
                    answered[k], nlat[k]);
            bad = 1;
        }
    }
    return bad;
}
