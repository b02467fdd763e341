/* The kernel epoll test "many waiters, then a stop signal to each", through
 * repoll_pwait: WAITERS threads keep SIGUSR1 blocked and wait with a mask
 * that lets it in; each is sent SIGUSR1 once it says it is about to wait.
 * Each must return -EINTR with its handler run: none may sleep its 10 s
 * timeout (what swapping the mask with pthread_sigmask around repoll_wait
 * does when the signal lands between the swap and the sleep). Repeated
 * 200 rounds (times REPOLL_STRESS_SCALE) per kind of handle to catch that
 * race: a plain handle (one system call per wait), a REPOLL_RETRY_EINTR one
 * (which must not retry a masked wait), and one with a timer, a signal, fds
 * and a wake in use (the library's own loop). The epoll_pwait2 path; pwait_fallback.c runs the
 * same against epoll_pwait. */
#include "pwait_common.h"

#define ROUNDS 200

int main(void) {
    install_stop_handler();

    repoll_t *plain = make_poller(0);
    many_waiters_stop_signal(plain, ROUNDS, "plain handle");
    CHECK_OK(repoll_close(plain));

    repoll_t *retry = make_poller(REPOLL_RETRY_EINTR);
    many_waiters_stop_signal(retry, ROUNDS, "REPOLL_RETRY_EINTR handle");
    CHECK_OK(repoll_close(retry));

    /* Sources in use, none of them firing during the rounds. */
    repoll_t *busy = make_poller(REPOLL_RETRY_EINTR);
    uint64_t id;
    CHECK_OK(repoll_timer_add(busy, 3600000 * MS, 0, 7, &id));
    CHECK_OK(repoll_signal_add(busy, SIGUSR2, 8));
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(busy, sv[0], REPOLL_IN, 9));
    CHECK_OK(repoll_wake(busy));
    repoll_event_t ev[4];
    CHECK_EQ(repoll_wait(busy, ev, 4, 0), 1); /* the wake, consumed */
    CHECK_EQ(ev[0].events, REPOLL_WAKE);
    many_waiters_stop_signal(busy, ROUNDS, "handle with timer, signal, fd");
    /* ... and they still work afterwards. */
    write_byte(sv[1]);
    CHECK_OK(repoll_timer_cancel(busy, id));
    CHECK_EQ(repoll_wait(busy, ev, 4, 1000), 1);
    CHECK_EQ(ev[0].data, 9);
    CHECK_OK(repoll_close(busy));
    close(sv[0]);
    close(sv[1]);

    puts("pwait_stop_signal: ok");
    return 0;
}
