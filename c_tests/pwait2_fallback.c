/* The epoll_wait fallback of repoll_wait_ns, forced by REPOLL_DISABLE_PWAIT2:
 * the feature bit is off, ns timeouts round UP to whole ms (never early; 0
 * stays 0), events are still delivered and huge timeouts still block. */
#include <limits.h>
#include <pthread.h>

#include "check.h"

struct delayed_write {
    pthread_t thread;
    int fd;
};

static void *delayed_write_main(void *arg) {
    struct delayed_write *dw = arg;
    sleep_ns(50 * MS);
    write_byte(dw->fd);
    return NULL;
}

/* Blocks in wait_ns(timeout) while another thread makes sv[0] ready after
 * ~50 ms: the wait returns that one event (not 0, not an error). */
static void wait_for_delayed_event(repoll_t *ep, int sv[2], int64_t timeout) {
    repoll_event_t ev[4];
    struct delayed_write dw = {.fd = sv[1]};
    int64_t t0 = now_ns();
    CHECK(pthread_create(&dw.thread, NULL, delayed_write_main, &dw) == 0);
    int n = repoll_wait_ns(ep, ev, 4, timeout);
    int64_t elapsed = now_ns() - t0;
    CHECK(pthread_join(dw.thread, NULL) == 0);
    if (n != 1)
        fprintf(stderr, "wait_ns(%lld): got %d (%s) after %lld ns\n", (long long)timeout, n,
                n < 0 ? repoll_strerror(n) : "-", (long long)elapsed);
    CHECK_EQ(n, 1);
    CHECK_EQ(ev[0].data, 9);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK(elapsed >= 50 * MS);
    drain(sv[0]);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 0);
}

/* wait_ns(timeout) times out with 0 events, after at least `at_least` ns
 * (the timeout itself, or more where the rounding up is observable). */
static void check_timeout(repoll_t *ep, int64_t timeout, int64_t at_least) {
    repoll_event_t ev[4];
    for (int i = 0; i < 5; i++) {
        int64_t t0 = now_ns();
        int n = repoll_wait_ns(ep, ev, 4, timeout);
        int64_t elapsed = now_ns() - t0;
        if (n != 0 || elapsed < at_least)
            fprintf(stderr, "wait_ns(%lld) = %d after %lld ns, expected >= %lld ns\n",
                    (long long)timeout, n, (long long)elapsed, (long long)at_least);
        CHECK_EQ(n, 0);
        CHECK(elapsed >= timeout);
        CHECK(elapsed >= at_least);
        CHECK(elapsed < 5000 * MS); /* hang guard only */
    }
}

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
    check_timeout(ep, 1, 1 * MS);
    check_timeout(ep, 1000, 1 * MS);
    check_timeout(ep, 999 * 1000, 1 * MS);
    check_timeout(ep, 1 * MS, 1 * MS);
    check_timeout(ep, 1 * MS + 1, 2 * MS);
    check_timeout(ep, 1500000, 2 * MS);
    check_timeout(ep, 20 * MS, 20 * MS);
    check_timeout(ep, 20 * MS + 1, 21 * MS);

    /* Events still delivered by a blocking or timed wait. */
    wait_for_delayed_event(ep, sv, -1);
    wait_for_delayed_event(ep, sv, INT64_MIN);
    wait_for_delayed_event(ep, sv, 10000 * MS);
    /* Huge: clamped to INT_MAX ms for epoll_wait, never wrapped negative
     * (block forever) or to 0 (poll), never an error. */
    wait_for_delayed_event(ep, sv, INT64_MAX);
    wait_for_delayed_event(ep, sv, INT64_MAX - 1);
    wait_for_delayed_event(ep, sv, (int64_t)INT_MAX * MS);
    wait_for_delayed_event(ep, sv, (int64_t)INT_MAX * MS + 1); /* rounds to INT_MAX + 1 ms */
    wait_for_delayed_event(ep, sv, ((int64_t)UINT32_MAX + 1) * MS); /* low 32 bits: 0 */
    wait_for_delayed_event(ep, sv, ((int64_t)UINT32_MAX + 2) * MS); /* low 32 bits: 1 */
    wait_for_delayed_event(ep, sv, (int64_t)UINT32_MAX * MS);       /* low 32 bits: -1 */

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
