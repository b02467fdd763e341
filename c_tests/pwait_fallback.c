/* repoll_pwait where the kernel has no epoll_pwait2, forced with
 * REPOLL_DISABLE_PWAIT2=1: the wait goes through epoll_pwait with the
 * timeout rounded UP to whole ms, and the mask is still installed by the
 * kernel: the stop-signal pattern, a pending blocked signal, never early,
 * and the library's own sources all behave as on the epoll_pwait2 path. */
#include "pwait_common.h"

#define ROUNDS 100

int main(void) {
    /* Before any repoll call: the probe and every wait must see it. */
    CHECK(setenv("REPOLL_DISABLE_PWAIT2", "1", 1) == 0);
    CHECK((repoll_features() & REPOLL_FEATURE_PWAIT2) == 0);
    install_stop_handler();

    for (int flags = 0; flags <= REPOLL_RETRY_EINTR; flags += REPOLL_RETRY_EINTR) {
        repoll_t *ep = make_poller(flags);
        many_waiters_stop_signal(ep, ROUNDS, flags ? "fallback, retry handle" : "fallback");
        pending_signal_waits_for_the_mask(ep);
        /* Rounded up: 1 ns and 999 µs wait a whole ms, 1 ms + 1 ns two. */
        pwait_never_early(ep, 1, 1 * MS);
        pwait_never_early(ep, 999 * 1000, 1 * MS);
        pwait_never_early(ep, 1 * MS + 1, 2 * MS);
        pwait_never_early(ep, 20 * MS, 20 * MS);

        /* A timer and a signal of the handle, through the masked loop. */
        uint64_t id;
        int64_t t0 = now_ns();
        CHECK_OK(repoll_timer_add(ep, 5 * MS, 0, 7, &id));
        CHECK_OK(repoll_signal_add(ep, SIGUSR2, 8));
        sigset_t mask = mask_letting_stop_in();
        repoll_event_t ev[4];
        CHECK_EQ(repoll_pwait(ep, ev, 4, WAITER_TIMEOUT, &mask), 1);
        CHECK(now_ns() - t0 >= 5 * MS);
        CHECK_EQ(ev[0].data, 7);
        CHECK_EQ(ev[0].events, REPOLL_TIMER);
        CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0);
        CHECK_EQ(repoll_pwait(ep, ev, 4, WAITER_TIMEOUT, &mask), 1);
        CHECK_EQ(ev[0].data, 8);
        CHECK_EQ(ev[0].events, REPOLL_SIGNAL);
        many_waiters_stop_signal(ep, ROUNDS / 4, "fallback, timer and signal added");
        pending_signal_waits_for_the_mask(ep);
        CHECK_OK(repoll_close(ep));
    }
    CHECK((repoll_features() & REPOLL_FEATURE_PWAIT2) == 0);
    puts("pwait_fallback: ok");
    return 0;
}
