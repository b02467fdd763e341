/* Shared by the repoll_pwait tests (pwait*.c): the "many waiters, stop
 * signal" pattern and never-early checks, run against the epoll_pwait2 path
 * (pwait.c, pwait_stop_signal.c) and the forced ms fallback
 * (pwait_fallback.c).
 *
 * Every program that includes this keeps STOP_SIGNAL (SIGUSR1) blocked in
 * every thread and lets it in only through repoll_pwait's mask, with
 * stop_handler installed by install_stop_handler(). */
#ifndef REPOLL_PWAIT_COMMON_H
#define REPOLL_PWAIT_COMMON_H

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>

#include "check.h"

#define STOP_SIGNAL SIGUSR1
/* Long enough that a waiter which missed its signal is a clear failure
 * (it returns 0), never a slow success. */
#define WAITER_TIMEOUT (10000 * MS)

/* Set by the handler in the thread it ran on. */
static __thread volatile sig_atomic_t stop_handled;

static void stop_handler(int signo) {
    (void)signo;
    stop_handled = 1;
}

/* Installs the handler (no SA_RESTART: irrelevant to epoll waits, which are
 * never restarted) and blocks STOP_SIGNAL, and SIGUSR2 (which the tests hand
 * to repoll_signal_add), in the calling thread, so threads created afterwards
 * inherit both blocked. */
static inline void install_stop_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(STOP_SIGNAL, &sa, NULL) == 0);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, STOP_SIGNAL);
    sigaddset(&blocked, SIGUSR2);
    CHECK(pthread_sigmask(SIG_BLOCK, &blocked, NULL) == 0);
}

/* The calling thread's mask with STOP_SIGNAL let in. */
static inline sigset_t mask_letting_stop_in(void) {
    sigset_t mask;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0);
    CHECK(sigdelset(&mask, STOP_SIGNAL) == 0);
    return mask;
}

static inline int stop_is_pending(void) {
    sigset_t pending;
    CHECK(sigpending(&pending) == 0);
    return sigismember(&pending, STOP_SIGNAL);
}

#define WAITERS 8

/* `rounds` scaled by REPOLL_STRESS_SCALE (0.2 under valgrind, where each
 * thread costs milliseconds), never fewer than 10. */
static inline int scaled_rounds(int rounds) {
    const char *env = getenv("REPOLL_STRESS_SCALE");
    double scale = env && *env ? atof(env) : 1.0;
    CHECK(scale > 0 && scale <= 100);
    int n = (int)(rounds * scale);
    return n < 10 ? 10 : n;
}

struct stop_waiter {
    pthread_t thread;
    repoll_t *ep;
    atomic_int *ready;
    int rc;
    int handled;
    int still_blocked; /* STOP_SIGNAL still blocked in the thread afterwards */
};

/* The kernel test's waiter: STOP_SIGNAL is blocked (inherited), so a stop
 * sent at any moment either interrupts the sleep or waits, pending, for the
 * mask that lets it in; it can never land unseen before the sleep. */
static void *stop_waiter_main(void *arg) {
    struct stop_waiter *w = arg;
    sigset_t mask = mask_letting_stop_in();
    repoll_event_t ev[4];
    stop_handled = 0;
    atomic_fetch_add(w->ready, 1);
    w->rc = repoll_pwait(w->ep, ev, 4, WAITER_TIMEOUT, &mask);
    w->handled = stop_handled;
    sigset_t now;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &now) == 0);
    w->still_blocked = sigismember(&now, STOP_SIGNAL);
    return NULL;
}

/* `rounds` rounds (scaled) of WAITERS threads blocked in repoll_pwait on `ep`, each
 * sent STOP_SIGNAL as soon as it says it is about to wait (sometimes after
 * a pause, so both "before the sleep" and "during the sleep" happen): every
 * waiter must return -EINTR with its handler run, none may time out. */
static inline void many_waiters_stop_signal(repoll_t *ep, int rounds, const char *what) {
    rounds = scaled_rounds(rounds);
    for (int round = 0; round < rounds; round++) {
        atomic_int ready = 0;
        struct stop_waiter w[WAITERS];
        for (int i = 0; i < WAITERS; i++) {
            w[i] = (struct stop_waiter){.ep = ep, .ready = &ready, .rc = 12345};
            CHECK(pthread_create(&w[i].thread, NULL, stop_waiter_main, &w[i]) == 0);
        }
        while (atomic_load(&ready) < WAITERS) sched_yield();
        if (round % 4 == 1) sched_yield();
        if (round % 4 == 2) sleep_ns(1 * MS);
        for (int i = 0; i < WAITERS; i++) CHECK(pthread_kill(w[i].thread, STOP_SIGNAL) == 0);
        for (int i = 0; i < WAITERS; i++) {
            CHECK(pthread_join(w[i].thread, NULL) == 0);
            if (w[i].rc != -EINTR || !w[i].handled || !w[i].still_blocked)
                fprintf(stderr, "%s: round %d waiter %d: rc %d (%s), handled %d, blocked after %d\n",
                        what, round, i, w[i].rc, w[i].rc < 0 ? repoll_strerror(w[i].rc) : "-",
                        w[i].handled, w[i].still_blocked);
            CHECK_EQ(w[i].rc, -EINTR);
            CHECK(w[i].handled);
            CHECK(w[i].still_blocked);
        }
    }
}

/* repoll_pwait(timeout) with nothing ready and a mask: 0 events, after at
 * least `at_least` ns (the timeout, or more where rounding up shows). */
static inline void pwait_never_early(repoll_t *ep, int64_t timeout, int64_t at_least) {
    sigset_t mask = mask_letting_stop_in();
    repoll_event_t ev[4];
    for (int i = 0; i < 3; i++) {
        int64_t t0 = now_ns();
        int n = repoll_pwait(ep, ev, 4, timeout, &mask);
        int64_t elapsed = now_ns() - t0;
        if (n != 0 || elapsed < at_least || elapsed < timeout)
            fprintf(stderr, "pwait(%lld) = %d after %lld ns, expected 0 after >= %lld ns\n",
                    (long long)timeout, n, (long long)elapsed, (long long)at_least);
        CHECK_EQ(n, 0);
        CHECK(elapsed >= timeout && elapsed >= at_least);
    }
}

/* A STOP_SIGNAL sent to this thread while it is blocked stays pending
 * through a wait whose mask keeps it blocked (the handler does not run),
 * then a wait that lets it in returns -EINTR at once with the handler run,
 * on `ep` (any flags, any sources). The thread's own mask is unchanged. */
static inline void pending_signal_waits_for_the_mask(repoll_t *ep) {
    sigset_t keep_blocked, let_in = mask_letting_stop_in();
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &keep_blocked) == 0);
    CHECK(sigismember(&keep_blocked, STOP_SIGNAL));
    repoll_event_t ev[4];
    stop_handled = 0;
    CHECK(pthread_kill(pthread_self(), STOP_SIGNAL) == 0);
    CHECK(stop_is_pending());
    CHECK_EQ(repoll_pwait(ep, ev, 4, 20 * MS, &keep_blocked), 0);
    CHECK_EQ(repoll_pwait(ep, ev, 4, 0, &keep_blocked), 0);
    CHECK(!stop_handled);
    CHECK(stop_is_pending());
    CHECK_EQ(repoll_pwait(ep, ev, 4, WAITER_TIMEOUT, &let_in), -EINTR);
    CHECK(stop_handled);
    CHECK(!stop_is_pending());
    sigset_t after;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &after) == 0);
    CHECK(sigismember(&after, STOP_SIGNAL));
}

#endif
