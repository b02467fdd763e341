/* ticker: one event loop, three of repoll's own sources:
 *   - a periodic timer (no timerfd of your own, no drift),
 *   - repoll_wake, for a worker thread to hand results back to the loop,
 *   - SIGINT (Ctrl-C) as an event, for a clean shutdown instead of a kill.
 *
 *   ticker               prints "tick N" every 100 ms until Ctrl-C
 *   ticker --self-test   after 5 ticks and a worker result, sends itself
 *                        SIGINT; exits 0 only if all three sources worked
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "repoll.h"

#define MS 1000000LL /* ns */

/* Our own data values, to tell the timer and the signal apart. (A wake
 * always comes back as data 0, so we dispatch on the event bits.) */
enum { TICK_DATA = 1, SIGINT_DATA = 2 };

static repoll_t *ep;
static atomic_int results;  /* what the worker produced so far */
static atomic_int stopping; /* set by the loop when it shuts down */

static void check(int rc, const char *what) {
    if (rc < 0) { /* repoll returns -errno: no need to look at errno */
        fprintf(stderr, "%s: %s\n", what, repoll_strerror(rc));
        exit(1);
    }
}

/* Does "work" (sleeps), then publishes the result and wakes the loop.
 * repoll_wake never blocks, and several wakes before the loop gets to them
 * coalesce into one event: so the result itself lives in `results`, and the
 * wake only says "look". */
static void *worker(void *arg) {
    (void)arg;
    while (!atomic_load(&stopping)) {
        struct timespec work = {0, 250 * MS};
        nanosleep(&work, NULL);
        atomic_fetch_add(&results, 1);
        check(repoll_wake(ep), "repoll_wake");
    }
    return NULL;
}

int main(int argc, char **argv) {
    int self_test = argc > 1 && strcmp(argv[1], "--self-test") == 0;

    /* Block SIGINT BEFORE starting any thread: threads inherit the mask. A
     * thread with SIGINT unblocked would take the default action (exit at
     * once) and repoll would never see it. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return 1;

    check(repoll_create(&ep, REPOLL_CLOEXEC), "repoll_create");
    check(repoll_signal_add(ep, SIGINT, SIGINT_DATA), "repoll_signal_add");
    uint64_t timer; /* first tick in 100 ms, then every 100 ms */
    check(repoll_timer_add(ep, 100 * MS, 100 * MS, TICK_DATA, &timer), "repoll_timer_add");

    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0) return 1;

    int ticks = 0, wakes = 0, quit = 0, sent_at_tick = 0;
    while (!quit) {
        repoll_event_t ev[8];
        int n = repoll_wait(ep, ev, 8, -1); /* the timer bounds the wait */
        if (n == -EINTR) continue;          /* a signal handler ran: wait again */
        check(n, "repoll_wait");
        for (int i = 0; i < n; i++) {
            if (ev[i].events & REPOLL_TIMER) {
                printf("tick %d\n", ++ticks);
            } else if (ev[i].events & REPOLL_WAKE) {
                wakes++;
                printf("worker: result ready (%d so far)\n", atomic_load(&results));
            } else if (ev[i].events & REPOLL_SIGNAL) {
                printf("shutting down\n");
                quit = 1;
            }
        }
        fflush(stdout);
        if (self_test && !sent_at_tick && ticks >= 5 && wakes >= 1) {
            sent_at_tick = ticks; /* as if someone pressed Ctrl-C */
            kill(getpid(), SIGINT);
        }
        if (self_test && ticks >= (sent_at_tick ? sent_at_tick + 20 : 50)) {
            fprintf(stderr, "self-test: %s never came\n", sent_at_tick ? "SIGINT" : "a wake");
            return 1; /* 2 s without the event: fail rather than hang */
        }
    }

    /* Clean shutdown: stop the worker and wait for it BEFORE closing, so
     * that no repoll_wake can start after repoll_close returned. */
    atomic_store(&stopping, 1);
    pthread_join(thread, NULL);
    check(repoll_timer_cancel(ep, timer), "repoll_timer_cancel");
    check(repoll_close(ep), "repoll_close");

    if (self_test) {
        int ok = ticks >= 5 && wakes >= 1 && quit;
        printf("self-test: %d ticks, %d wakes, SIGINT %s: %s\n", ticks, wakes,
               quit ? "received" : "missing", ok ? "ok" : "FAILED");
        return ok ? 0 : 1;
    }
    return 0;
}
