/* A signal handler (installed without SA_RESTART) interrupting a wait: the
 * default handle returns -EINTR and loses no event; a REPOLL_RETRY_EINTR
 * handle never returns -EINTR and keeps its deadline (never early). */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "check.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is usable in a signal handler");

static volatile sig_atomic_t got_signal;
static atomic_int handled; /* lock-free, so async-signal-safe */
/* When >= 0, the handler writes one byte to this fd (lock-free atomic: it is
 * set by the main thread and read by the handler in the waiter thread). */
static atomic_int handler_write_fd = -1;

static void on_usr1(int signo) {
    (void)signo;
    int saved = errno;
    got_signal = 1;
    atomic_fetch_add(&handled, 1);
    int fd = atomic_exchange(&handler_write_fd, -1);
    if (fd >= 0) {
        char c = 's';
        if (write(fd, &c, 1) != 1) {
        }
    }
    errno = saved;
}

/* The shared waiter, plus what this test watches: a body that can be the
 * classic loop, and the handler runs during the wait. */
struct eintr_waiter {
    struct waiter w;  /* first: the thread body is given &w */
    int classic_loop; /* retry on -EINTR until an event comes */
    atomic_int eintrs; /* -EINTR seen by the classic loop */
    int handled_during; /* handler runs between the wait's start and end */
};

static void *eintr_waiter_main(void *arg) {
    struct eintr_waiter *e = arg;
    struct waiter *w = &e->w;
    int h0 = atomic_load(&handled);
    atomic_store(&w->tid, (int)syscall(SYS_gettid));
    int64_t t0 = now_ns();
    int n = waiter_call(w);
    while (e->classic_loop && n == -EINTR) {
        /* The classic loop: the handler set a flag; look at it, go on. */
        if (got_signal) got_signal = 0;
        atomic_fetch_add(&e->eintrs, 1);
        n = waiter_call(w);
    }
    w->elapsed = now_ns() - t0;
    e->handled_during = atomic_load(&handled) - h0;
    w->result = n;
    atomic_store(&w->done, 1);
    return NULL;
}

/* Starts the waiter and returns once its thread is about to wait. */
static void start_eintr_waiter(struct eintr_waiter *e, repoll_t *ep, enum wait_kind kind,
                               int64_t timeout, int classic_loop) {
    memset(e, 0, sizeof *e);
    e->classic_loop = classic_loop;
    start_waiter_with(&e->w, eintr_waiter_main, ep, kind, timeout, 4);
    while (!atomic_load(&e->w.tid)) sleep_ns(100000);
}

/* Sends SIGUSR1 to the waiter every 10 ms until it returns (a signal may
 * land before it blocks, so one is not enough); at `write_at_ns` after the
 * start (if >= 0), makes `write_fd`'s peer readable. Fails after 10 s. */
static void signal_until_done(struct waiter *w, int64_t write_at_ns, int write_fd) {
    int64_t t0 = now_ns();
    int written = 0;
    while (!atomic_load(&w->done)) {
        CHECK(now_ns() - t0 < 10000 * MS); /* hang guard */
        if (!written && write_at_ns >= 0 && now_ns() - t0 >= write_at_ns) {
            write_byte(write_fd);
            written = 1;
        }
        CHECK(pthread_kill(w->thread, SIGUSR1) == 0);
        sleep_ns(10 * MS);
    }
    CHECK(pthread_join(w->thread, NULL) == 0);
    CHECK(write_at_ns < 0 || written);
}

/* Default handle: a blocked wait returns -EINTR when a handler runs. */
static void interrupted_wait_returns_eintr(repoll_t *ep, enum wait_kind kind, int64_t timeout) {
    struct eintr_waiter e;
    got_signal = 0;
    start_eintr_waiter(&e, ep, kind, timeout, 0);
    signal_until_done(&e.w, -1, -1);
    if (e.w.result != -EINTR)
        fprintf(stderr, "kind %d timeout %lld: got %d\n", kind, (long long)timeout, e.w.result);
    CHECK_EQ(e.w.result, -EINTR);
    CHECK(got_signal);
    CHECK(e.handled_during >= 1);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: epoll_wait would not restart anyway */
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);

    int sv[2];
    make_pair(sv);
    repoll_event_t ev[4];

    /* --- Default handle: -EINTR --- */
    repoll_t *ep = make_poller(0);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 11));

    interrupted_wait_returns_eintr(ep, WAIT_MS, -1);
    interrupted_wait_returns_eintr(ep, WAIT_MS, 60000);
    interrupted_wait_returns_eintr(ep, WAIT_MS, INT_MAX);
    interrupted_wait_returns_eintr(ep, WAIT_NS, -1);
    interrupted_wait_returns_eintr(ep, WAIT_NS, 60000 * MS);
    interrupted_wait_returns_eintr(ep, WAIT_NS, INT64_MAX); /* the long-wait loop */

    /* The classic loop: interrupted at least once, then the event arrives
     * together with one more signal; it is returned, with its data. */
    for (int kind = WAIT_MS; kind <= WAIT_NS; kind++) {
        struct eintr_waiter e;
        start_eintr_waiter(&e, ep, kind, -1, 1);
        int64_t t0 = now_ns();
        while (atomic_load(&e.eintrs) == 0) {
            CHECK(now_ns() - t0 < 10000 * MS); /* hang guard */
            CHECK(!atomic_load(&e.w.done));       /* nothing to return yet */
            CHECK(pthread_kill(e.w.thread, SIGUSR1) == 0);
            sleep_ns(10 * MS);
        }
        write_byte(sv[1]);
        CHECK(pthread_kill(e.w.thread, SIGUSR1) == 0);
        join_waiter(&e.w);
        CHECK_EQ(e.w.result, 1);
        CHECK_EQ(e.w.ev[0].data, 11);
        CHECK_EQ(e.w.ev[0].events, REPOLL_IN);
        CHECK(atomic_load(&e.eintrs) >= 1);
        drain(sv[0]);
        CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);
    }

    /* No event is lost when readiness and the signal race: the fd is made
     * ready and the signal sent at (almost) the same moment, either by the
     * main thread or by the handler itself. The wait returns the event, or
     * -EINTR and then the next wait returns it. */
    int lost_race_eintr = 0, direct = 0;
    for (int i = 0; i < 60; i++) {
        struct eintr_waiter e;
        int by_handler = i % 2;
        start_eintr_waiter(&e, ep, i % 4 < 2 ? WAIT_MS : WAIT_NS, -1, 0);
        sleep_ns((i % 3) * MS); /* vary where the waiter is */
        if (by_handler) {
            atomic_store(&handler_write_fd, sv[1]);
        } else {
            write_byte(sv[1]);
        }
        CHECK(pthread_kill(e.w.thread, SIGUSR1) == 0);
        join_waiter(&e.w);
        atomic_store(&handler_write_fd, -1);
        if (e.w.result == -EINTR) {
            lost_race_eintr++;
            CHECK_EQ(repoll_wait(ep, ev, 4, 5000), 1); /* still there */
            CHECK_EQ(ev[0].data, 11);
            CHECK_EQ(ev[0].events, REPOLL_IN);
        } else {
            direct++;
            CHECK_EQ(e.w.result, 1);
            CHECK_EQ(e.w.ev[0].data, 11);
            CHECK_EQ(e.w.ev[0].events, REPOLL_IN);
        }
        drain(sv[0]);
        CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);
    }
    CHECK_OK(repoll_close(ep));

    /* --- REPOLL_RETRY_EINTR: never -EINTR, deadline kept --- */
    ep = make_poller(REPOLL_RETRY_EINTR);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 12));

    struct {
        enum wait_kind kind;
        int64_t timeout, ns;
    } timed[] = {
        {WAIT_MS, 300, 300 * MS},
        {WAIT_NS, 300 * MS, 300 * MS},
        {WAIT_NS, 300 * MS + 123457, 300 * MS + 123457},
    };
    for (size_t i = 0; i < sizeof timed / sizeof timed[0]; i++) {
        struct eintr_waiter e;
        start_eintr_waiter(&e, ep, timed[i].kind, timed[i].timeout, 0);
        signal_until_done(&e.w, -1, -1);
        if (e.w.result != 0 || e.w.elapsed < timed[i].ns)
            fprintf(stderr, "retry %zu: got %d after %lld ns\n", i, e.w.result,
                    (long long)e.w.elapsed);
        CHECK_EQ(e.w.result, 0);
        CHECK(e.w.elapsed >= timed[i].ns);
        CHECK(e.handled_during >= 2); /* it really was interrupted */
    }

    /* A blocking wait with signals flying returns the event made ready
     * after ~100 ms. */
    struct {
        enum wait_kind kind;
        int64_t timeout;
    } blocking[] = {
        {WAIT_MS, -1}, {WAIT_MS, INT_MAX}, {WAIT_NS, -1}, {WAIT_NS, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof blocking / sizeof blocking[0]; i++) {
        struct eintr_waiter e;
        start_eintr_waiter(&e, ep, blocking[i].kind, blocking[i].timeout, 0);
        signal_until_done(&e.w, 100 * MS, sv[1]);
        if (e.w.result != 1)
            fprintf(stderr, "retry blocking %zu: got %d after %lld ns\n", i, e.w.result,
                    (long long)e.w.elapsed);
        CHECK_EQ(e.w.result, 1);
        CHECK_EQ(e.w.ev[0].data, 12);
        CHECK_EQ(e.w.ev[0].events, REPOLL_IN);
        CHECK(e.w.elapsed >= 100 * MS);
        CHECK(e.handled_during >= 2);
        drain(sv[0]);
        CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);
    }
    CHECK_OK(repoll_close(ep));

    close(sv[0]);
    close(sv[1]);
    printf("eintr: ok (race: %d returned -EINTR first, %d the event)\n", lost_race_eintr,
           direct);
    return 0;
}
