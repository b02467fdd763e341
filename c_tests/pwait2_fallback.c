/* The epoll_wait fallback of repoll_wait_ns, forced by REPOLL_DISABLE_PWAIT2:
 * the feature bit is off, ns timeouts round UP to whole ms (never early; 0
 * stays 0), events are still delivered and huge timeouts still block. */
#include <limits.h>

#include "check.h"

static void run_all(int flags) {
    repoll_t *ep = make_poller(flags);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 9));
    repoll_event_t ev[4];

    /* 0 stays 0: a poll, at once, with 0 events; a ready fd is reported. */
    int64_t t0 = now_ns();
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 0);
    CHECK(now_ns() - t0 < 5000 * MS); /* hang guard only */
    write_byte(sv[1]);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 1);
    CHECK_EQ(ev[0].data, 9);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 1), 1);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 20 * MS), 1);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, INT64_MAX), 1);
    drain(sv[0]);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 0);

    /* Rounded UP to whole ms: 1 ns and 999 µs wait a full 1 ms (the
     * observable proof of rounding up, since epoll_wait(1) lasts >= 1 ms),
     * 1 ms + 1 ns waits 2 ms, exact multiples stay as they are. */
    expect_timeout(ep, WAIT_NS, 1, 1 * MS, 5);
    expect_timeout(ep, WAIT_NS, 1000, 1 * MS, 5);
    expect_timeout(ep, WAIT_NS, 999 * 1000, 1 * MS, 5);
    expect_timeout(ep, WAIT_NS, 1 * MS, 1 * MS, 5);
    expect_timeout(ep, WAIT_NS, 1 * MS + 1, 2 * MS, 5);
    expect_timeout(ep, WAIT_NS, 1500000, 2 * MS, 5);
    expect_timeout(ep, WAIT_NS, 20 * MS, 20 * MS, 5);
    expect_timeout(ep, WAIT_NS, 20 * MS + 1, 21 * MS, 5);

    /* Events still delivered by a blocking or timed wait. */
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, -1);
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, INT64_MIN);
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, 10000 * MS);
    /* Huge: clamped to INT_MAX ms for epoll_wait, never wrapped negative
     * (block forever) or to 0 (poll), never an error. */
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, INT64_MAX);
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, INT64_MAX - 1);
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, (int64_t)INT_MAX * MS);
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, (int64_t)INT_MAX * MS + 1); /* rounds to INT_MAX + 1 ms */
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, ((int64_t)UINT32_MAX + 1) * MS); /* low 32 bits: 0 */
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, ((int64_t)UINT32_MAX + 2) * MS); /* low 32 bits: 1 */
    wait_for_delayed_event(ep, sv, 9, WAIT_NS, (int64_t)UINT32_MAX * MS);       /* low 32 bits: -1 */

    /* The ms API is unaffected. */
    t0 = now_ns();
    CHECK_EQ(repoll_wait(ep, ev, 4, 20), 0);
    CHECK(now_ns() - t0 >= 20 * MS);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    /* Before any repoll call: the probe and every wait must see it. */
    CHECK(setenv("REPOLL_DISABLE_PWAIT2", "1", 1) == 0);

    uint32_t f = repoll_features();
    CHECK((f & REPOLL_FEATURE_PWAIT2) == 0);
    CHECK(f & REPOLL_FEATURE_EXCLUSIVE); /* the other probes still run */
    CHECK(f == repoll_features());

    run_all(0);
    run_all(REPOLL_RETRY_EINTR); /* the deadline loop rounds up too */

    /* Still disabled after all those waits (never upgraded by a real call). */
    CHECK((repoll_features() & REPOLL_FEATURE_PWAIT2) == 0);
    /* Without the variable, the pwait2 path is covered by timeouts.c. */
    puts("pwait2_fallback: ok");
    return 0;
}
