/* Wait timeouts: 0 polls, a positive timeout never returns before it has
 * passed (ms and ns), a negative one blocks until an event, and huge values
 * are clamped (still "wait"), never wrapped into "return at once" or errors. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

/* Reads everything pending on a non-blocking fd, so it is no longer ready. */
/* A thread that writes one byte to `fd` after `delay_ms`. */
struct delayed_write {
    pthread_t thread;
    int fd;
    int delay_ms;
};

static void *delayed_write_main(void *arg) {
    struct delayed_write *dw = arg;
    sleep_ns(dw->delay_ms * MS);
    write_byte(dw->fd);
    return NULL;
}

static void start_delayed_write(struct delayed_write *dw, int fd, int delay_ms) {
    dw->fd = fd;
    dw->delay_ms = delay_ms;
    CHECK(pthread_create(&dw->thread, NULL, delayed_write_main, dw) == 0);
}

/* Kinds of blocking wait tried by wait_for_delayed_event. */
enum kind { WAIT_MS, WAIT_NS };

/* Blocks in one wait with `timeout` while another thread makes sv[0] ready
 * after ~50 ms: the wait must return exactly that event, not 0 (treated as
 * "poll") and not an error (treated as invalid), and not before the write. */
static void wait_for_delayed_event(repoll_t *ep, int sv[2], enum kind kind, int64_t timeout,
                                   const char *what) {
    repoll_event_t ev[4];
    memset(ev, 0xAB, sizeof ev);
    struct delayed_write dw;
    int64_t t0 = now_ns();
    start_delayed_write(&dw, sv[1], 50);
    int n = kind == WAIT_MS ? repoll_wait(ep, ev, 4, (int)timeout)
                            : repoll_wait_ns(ep, ev, 4, timeout);
    int64_t elapsed = now_ns() - t0;
    CHECK(pthread_join(dw.thread, NULL) == 0);
    if (n != 1)
        fprintf(stderr, "%s(%lld): got %d (%s) after %lld ns\n", what, (long long)timeout, n,
                n < 0 ? repoll_strerror(n) : "-", (long long)elapsed);
    CHECK_EQ(n, 1);
    CHECK_EQ(ev[0].data, 7);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_EQ(ev[0].reserved, 0);
    CHECK(elapsed >= 50 * MS); /* it waited for the writer */
    drain(sv[0]);
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0); /* back to idle for the next case */
}

/* A wait_ns that must time out with 0 events and never early. */
static void check_ns_timeout(repoll_t *ep, int64_t timeout_ns) {
    repoll_event_t ev[4];
    for (int i = 0; i < 5; i++) {
        int64_t t0 = now_ns();
        int n = repoll_wait_ns(ep, ev, 4, timeout_ns);
        int64_t elapsed = now_ns() - t0;
        if (n != 0 || elapsed < timeout_ns)
            fprintf(stderr, "wait_ns(%lld) = %d after %lld ns\n", (long long)timeout_ns, n,
                    (long long)elapsed);
        CHECK_EQ(n, 0);
        CHECK(elapsed >= timeout_ns);
        CHECK(elapsed < 5000 * MS); /* hang guard only */
    }
}

static void check_ms_timeout(repoll_t *ep, int timeout_ms) {
    repoll_event_t ev[4];
    for (int i = 0; i < 3; i++) {
        int64_t t0 = now_ns();
        int n = repoll_wait(ep, ev, 4, timeout_ms);
        int64_t elapsed = now_ns() - t0;
        if (n != 0 || elapsed < timeout_ms * MS)
            fprintf(stderr, "wait(%d) = %d after %lld ns\n", timeout_ms, n, (long long)elapsed);
        CHECK_EQ(n, 0);
        CHECK(elapsed >= timeout_ms * MS);
        CHECK(elapsed < 5000 * MS); /* hang guard only */
    }
}

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

    check_ms_timeout(ep, 1);
    check_ms_timeout(ep, 50);

    /* < 0 blocks until the event another thread makes. */
    wait_for_delayed_event(ep, sv, WAIT_MS, -1, "wait");
    wait_for_delayed_event(ep, sv, WAIT_MS, INT_MIN, "wait");
    /* Huge: INT_MAX ms (24.8 days) is a wait, not a poll or an error. */
    wait_for_delayed_event(ep, sv, WAIT_MS, INT_MAX, "wait");
    wait_for_delayed_event(ep, sv, WAIT_MS, INT_MAX - 1, "wait");
    /* A positive timeout longer than the delay returns the event too. */
    wait_for_delayed_event(ep, sv, WAIT_MS, 10000, "wait");

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

    check_ns_timeout(ep, 1);
    check_ns_timeout(ep, 1000);           /* 1 µs */
    check_ns_timeout(ep, 999999);         /* just under 1 ms */
    check_ns_timeout(ep, 1 * MS);
    check_ns_timeout(ep, 1 * MS + 1);
    check_ns_timeout(ep, 1500000);        /* 1.5 ms */
    check_ns_timeout(ep, 20 * MS);

    wait_for_delayed_event(ep, sv, WAIT_NS, -1, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, INT64_MIN, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, 10000 * MS, "wait_ns");
    /* Huge values: clamped or saturated, never "at once", never negative. */
    wait_for_delayed_event(ep, sv, WAIT_NS, INT64_MAX, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, INT64_MAX - 1, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, 1000000000000000000LL, "wait_ns"); /* 1e18 */
    /* Around the largest epoll_wait timeout (INT_MAX ms) in ns. */
    wait_for_delayed_event(ep, sv, WAIT_NS, (int64_t)INT_MAX * MS, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, (int64_t)INT_MAX * MS + 1, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, ((int64_t)INT_MAX + 1) * MS, "wait_ns");
    /* Values whose ms count overflows 32 bits (would wrap negative). */
    wait_for_delayed_event(ep, sv, WAIT_NS, ((int64_t)UINT32_MAX + 1) * MS, "wait_ns");
    wait_for_delayed_event(ep, sv, WAIT_NS, (int64_t)UINT32_MAX * MS + 1, "wait_ns");

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
