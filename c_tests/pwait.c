/* repoll_pwait on the epoll_pwait2 path: a pending blocked signal stays
 * pending through a wait whose mask keeps it blocked and ends the first wait
 * that lets it in (-EINTR, also on a REPOLL_RETRY_EINTR handle); never early
 * with ns timeouts; a NULL mask is repoll_wait_ns (a retry handle retries);
 * the handle's fds, wake, timers and signals all work under a mask; the
 * thread's own mask is never changed. (The many-waiters race is
 * pwait_stop_signal.c, the ms fallback pwait_fallback.c.) */
#include "pwait_common.h"

struct null_mask_waiter {
    pthread_t thread;
    repoll_t *ep;
    atomic_int ready;
    int rc;
    int handled;
    repoll_event_t ev[4];
};

/* Waits with a NULL mask and STOP_SIGNAL let in by its own thread mask. */
static void *null_mask_waiter_main(void *arg) {
    struct null_mask_waiter *w = arg;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, STOP_SIGNAL);
    CHECK(pthread_sigmask(SIG_UNBLOCK, &stop, NULL) == 0);
    stop_handled = 0;
    atomic_store(&w->ready, 1);
    w->rc = repoll_pwait(w->ep, w->ev, 4, WAITER_TIMEOUT, NULL);
    w->handled = stop_handled;
    return NULL;
}

/* NULL mask on a REPOLL_RETRY_EINTR handle: a handler during the wait does
 * not end it (it retries, as repoll_wait_ns does); the fd made ready after
 * the handler ran is what it returns. */
static void null_mask_retries_like_wait_ns(void) {
    repoll_t *ep = make_poller(REPOLL_RETRY_EINTR);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 5));
    struct null_mask_waiter w = {.ep = ep};
    CHECK(pthread_create(&w.thread, NULL, null_mask_waiter_main, &w) == 0);
    while (!atomic_load(&w.ready)) sched_yield();
    sleep_ns(20 * MS); /* most likely asleep by now; either way the result is 1 */
    CHECK(pthread_kill(w.thread, STOP_SIGNAL) == 0);
    sleep_ns(20 * MS);
    write_byte(sv[1]);
    CHECK(pthread_join(w.thread, NULL) == 0);
    CHECK_EQ(w.rc, 1);
    CHECK_EQ(w.ev[0].data, 5);
    CHECK(w.handled);
    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

/* NULL mask: the thread's own mask applies, so a blocked signal stays
 * pending and the wait times out. */
static void null_mask_keeps_the_threads_mask(repoll_t *ep) {
    repoll_event_t ev[4];
    stop_handled = 0;
    CHECK(pthread_kill(pthread_self(), STOP_SIGNAL) == 0);
    int64_t t0 = now_ns();
    CHECK_EQ(repoll_pwait(ep, ev, 4, 5 * MS, NULL), 0);
    CHECK(now_ns() - t0 >= 5 * MS);
    CHECK(!stop_handled && stop_is_pending());
    sigset_t let_in = mask_letting_stop_in();
    CHECK_EQ(repoll_pwait(ep, ev, 4, WAITER_TIMEOUT, &let_in), -EINTR);
    CHECK(stop_handled && !stop_is_pending());
}

struct waker {
    pthread_t thread;
    repoll_t *ep;
};
static void *wake_later(void *arg) {
    struct waker *w = arg;
    sleep_ns(10 * MS);
    CHECK_OK(repoll_wake(w->ep));
    return NULL;
}

/* Under a mask: an fd, a wake from another thread, a timer and a signal of
 * the handle are reported as by repoll_wait. */
static void sources_work_under_a_mask(int flags) {
    repoll_t *ep = make_poller(flags);
    sigset_t mask = mask_letting_stop_in();
    repoll_event_t ev[8];
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 5));
    write_byte(sv[1]);
    CHECK_EQ(repoll_pwait(ep, ev, 8, WAITER_TIMEOUT, &mask), 1);
    CHECK_EQ(ev[0].data, 5);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    drain(sv[0]);

    struct waker w = {.ep = ep};
    CHECK(pthread_create(&w.thread, NULL, wake_later, &w) == 0);
    CHECK_EQ(repoll_pwait(ep, ev, 8, WAITER_TIMEOUT, &mask), 1);
    CHECK_EQ(ev[0].data, 0);
    CHECK_EQ(ev[0].events, REPOLL_WAKE);
    CHECK(pthread_join(w.thread, NULL) == 0);

    uint64_t id;
    int64_t t0 = now_ns();
    CHECK_OK(repoll_timer_add(ep, 15 * MS, 0, 7, &id));
    CHECK_EQ(repoll_pwait(ep, ev, 8, WAITER_TIMEOUT, &mask), 1);
    CHECK(now_ns() - t0 >= 15 * MS);
    CHECK_EQ(ev[0].data, 7);
    CHECK_EQ(ev[0].events, REPOLL_TIMER);

    /* SIGUSR2 is blocked in the thread and in the mask: reported. */
    CHECK_OK(repoll_signal_add(ep, SIGUSR2, 8));
    CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0);
    CHECK_EQ(repoll_pwait(ep, ev, 8, WAITER_TIMEOUT, &mask), 1);
    CHECK_EQ(ev[0].data, 8);
    CHECK_EQ(ev[0].events, REPOLL_SIGNAL);

    /* With a timer pending (the library's own wait loop), a masked wait
     * still times out never early and still ends with a let-in signal. */
    CHECK_OK(repoll_timer_add(ep, 3600000 * MS, 0, 9, &id));
    pwait_never_early(ep, 1, 1);
    pwait_never_early(ep, 3 * MS + 1, 3 * MS + 1);
    pending_signal_waits_for_the_mask(ep);
    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    install_stop_handler();
    if (!(repoll_features() & REPOLL_FEATURE_PWAIT2))
        puts("pwait: this kernel has no epoll_pwait2; testing the fallback it uses");

    for (int flags = 0; flags <= REPOLL_RETRY_EINTR; flags += REPOLL_RETRY_EINTR) {
        repoll_t *ep = make_poller(flags);
        pending_signal_waits_for_the_mask(ep);
        null_mask_keeps_the_threads_mask(ep);
        pwait_never_early(ep, 0, 0);
        pwait_never_early(ep, 1, 1);
        pwait_never_early(ep, 1000, 1000);
        pwait_never_early(ep, 999 * 1000, 999 * 1000);
        pwait_never_early(ep, 1 * MS + 1, 1 * MS + 1);
        pwait_never_early(ep, 20 * MS, 20 * MS);
        CHECK_OK(repoll_close(ep));
        sources_work_under_a_mask(flags);
    }
    null_mask_retries_like_wait_ns();
    puts("pwait: ok");
    return 0;
}
