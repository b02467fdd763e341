/* Wait timeouts: 0 polls, a positive timeout never returns before it has
 * passed (ms and ns), a negative one blocks until an event, and huge values
 * are clamped (still "wait"), never wrapped into "return at once" or errors. */
#include <limits.h>

#include "check.h"

static void run_all(int flags) {
    repoll_t *ep = make_poller(flags);
    int sv[2];
    make_pair(sv);
    /* Registered but idle, so no wait below ends for lack of fds. */
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 7));
    repoll_event_t ev[4];

    /* --- repoll_wait (milliseconds) --- */

    /* 0 polls: nothing ready gives 0 at once; something ready is reported. */
    int64_t t0 = now_ns();
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);
    CHECK(now_ns() - t0 < 5000 * MS); /* hang guard only */
    write_byte(sv[1]);
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 1);
    CHECK_EQ(ev[0].data, 7);
    drain(sv[0]);
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);

    expect_timeout(ep, WAIT_MS, 1, 1 * MS, 3);
    expect_timeout(ep, WAIT_MS, 50, 50 * MS, 3);

    /* < 0 blocks until the event another thread makes. */
    wait_for_delayed_event(ep, sv, 7, WAIT_MS, -1);
    wait_for_delayed_event(ep, sv, 7, WAIT_MS, INT_MIN);
    /* Huge: INT_MAX ms (24.8 days) is a wait, not a poll or an error. */
    wait_for_delayed_event(ep, sv, 7, WAIT_MS, INT_MAX);
    wait_for_delayed_event(ep, sv, 7, WAIT_MS, INT_MAX - 1);
    /* A positive timeout longer than the delay returns the event too. */
    wait_for_delayed_event(ep, sv, 7, WAIT_MS, 10000);

    /* --- repoll_wait_ns (nanoseconds) --- */

    t0 = now_ns();
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 0);
    CHECK(now_ns() - t0 < 5000 * MS); /* hang guard only */
    write_byte(sv[1]);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 1);
    CHECK_EQ(ev[0].data, 7);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    /* A ready fd is reported at once by any timeout, too. */
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 1), 1);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, INT64_MAX), 1);
    drain(sv[0]);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 0);

    expect_timeout(ep, WAIT_NS, 1, 1, 5);
    expect_timeout(ep, WAIT_NS, 1000, 1000, 5); /* 1 µs */
    expect_timeout(ep, WAIT_NS, 999999, 999999, 5); /* just under 1 ms */
    expect_timeout(ep, WAIT_NS, 1 * MS, 1 * MS, 5);
    expect_timeout(ep, WAIT_NS, 1 * MS + 1, 1 * MS + 1, 5);
    expect_timeout(ep, WAIT_NS, 1500000, 1500000, 5); /* 1.5 ms */
    expect_timeout(ep, WAIT_NS, 20 * MS, 20 * MS, 5);

    wait_for_delayed_event(ep, sv, 7, WAIT_NS, -1);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, INT64_MIN);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, 10000 * MS);
    /* Huge values: clamped or saturated, never "at once", never negative. */
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, INT64_MAX);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, INT64_MAX - 1);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, 1000000000000000000LL); /* 1e18 */
    /* Around the largest epoll_wait timeout (INT_MAX ms) in ns. */
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, (int64_t)INT_MAX * MS);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, (int64_t)INT_MAX * MS + 1);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, ((int64_t)INT_MAX + 1) * MS);
    /* Values whose ms count overflows 32 bits (would wrap negative). */
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, ((int64_t)UINT32_MAX + 1) * MS);
    wait_for_delayed_event(ep, sv, 7, WAIT_NS, (int64_t)UINT32_MAX * MS + 1);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    run_all(0);
    /* A RETRY_EINTR handle waits through a deadline loop: same guarantees. */
    run_all(REPOLL_RETRY_EINTR);
    printf("timeouts: ok (features 0x%x)\n", repoll_features());
    return 0;
}
