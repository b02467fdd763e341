/* Timers: one {data, REPOLL_TIMER} per expiry, never early, intervals on
 * schedule, cancel stops them; a wait ends at the earlier of its timeout and
 * the next deadline (even one added by another thread); fds share the wait. */

#include "check.h"


static void one_shot(void) {
    watchdog_phase = "one-shot";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    uint64_t id = 0;

    /* wait(-1) with only a timer pending returns at its expiry, not before. */
    int64_t t0 = now_ns();
    CHECK_OK(repoll_timer_add(ep, 20 * MS, 0, 0x1111, &id));
    CHECK(id != 0);
    CHECK_EQ(repoll_wait(ep, ev, 8, -1), 1);
    CHECK(now_ns() - t0 >= 20 * MS);
    check_event(&ev[0], 0x1111, REPOLL_TIMER);
    /* Once: nothing more, and the id is gone. */
    CHECK_EQ(events_during(ep, 50), 0);
    CHECK_EQ(repoll_timer_cancel(ep, id), -ENOENT);

    /* The same through repoll_wait_ns(-1), and with sub-millisecond delays,
     * each checked by polling in short slices: never reported early. */
    const int64_t firsts[] = {1, 1000, 999999, 1000001, 3500000, 20 * MS};
    for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        t0 = now_ns();
        CHECK_OK(repoll_timer_add(ep, firsts[i], 0, 100 + i, &id));
        if (i % 2) {
            CHECK_EQ(repoll_wait_ns(ep, ev, 8, -1), 1);
        } else {
            int n;
            while ((n = repoll_wait_ns(ep, ev, 8, 200000)) == 0) {
                CHECK(now_ns() - t0 < 10000 * MS); /* hang guard */
            }
            CHECK_EQ(n, 1);
        }
        CHECK(now_ns() - t0 >= firsts[i]);
        check_event(&ev[0], 100 + i, REPOLL_TIMER);
    }
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    CHECK_OK(repoll_close(ep));
}

static void interval_stays_on_schedule(void) {
    watchdog_phase = "interval";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[16];
    uint64_t id;

    /* The k-th expiry is due at add + 10 ms + (k - 1) * 10 ms: never
     * reported earlier, so after 20 expiries at least 200 ms have passed. */
    int64_t t0 = now_ns();
    CHECK_OK(repoll_timer_add(ep, 10 * MS, 10 * MS, 0xAB, &id));
    for (int k = 1; k <= 20; k++) {
        CHECK_EQ(repoll_wait(ep, ev, 16, -1), 1); /* one timer: one event */
        check_event(&ev[0], 0xAB, REPOLL_TIMER);
        CHECK(now_ns() - t0 >= k * 10 * MS);
    }
    CHECK(now_ns() - t0 >= 200 * MS);
    CHECK_OK(repoll_timer_cancel(ep, id)); /* a repeating timer stays live */
    CHECK_EQ(repoll_timer_cancel(ep, id), -ENOENT);

    /* Periods missed while nobody waited are skipped, not replayed: after
     * ~10 missed periods, one wait with plenty of room gets one event. */
    CHECK_OK(repoll_timer_add(ep, 10 * MS, 10 * MS, 0xAC, &id));
    sleep_ns(105 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 16, 1000), 1);
    check_event(&ev[0], 0xAC, REPOLL_TIMER);

    /* Cancel stops it: no TIMER event in the following 50 ms. */
    CHECK_OK(repoll_timer_cancel(ep, id));
    CHECK_EQ(events_during(ep, 50), 0);

    /* first_ns = 0 with an interval: due at once, then every 10 ms. */
    t0 = now_ns();
    CHECK_OK(repoll_timer_add(ep, 0, 10 * MS, 0xAD, &id));
    for (int k = 1; k <= 5; k++) {
        CHECK_EQ(repoll_wait(ep, ev, 16, -1), 1);
        check_event(&ev[0], 0xAD, REPOLL_TIMER);
        CHECK(now_ns() - t0 >= (k - 1) * 10 * MS);
    }
    CHECK_OK(repoll_timer_cancel(ep, id));
    CHECK_OK(repoll_close(ep));
}

/* first_ns = 0 and interval_ns = 0: a valid one-shot, due at once. */
static void zero_first_is_due_at_once(void) {
    watchdog_phase = "first_ns = 0";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    uint64_t safety, id;
    /* A later timer bounds the wait; it must not be what comes back. */
    CHECK_OK(repoll_timer_add(ep, 5000 * MS, 0, 0x5AFE, &safety));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(repoll_timer_add(ep, 0, 0, (uint64_t)i, &id));
        CHECK_EQ(repoll_wait(ep, ev, 8, -1), 1);
        check_event(&ev[0], i, REPOLL_TIMER);
        CHECK_EQ(repoll_timer_cancel(ep, id), -ENOENT); /* fired: gone */
    }
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    CHECK_OK(repoll_timer_cancel(ep, safety));
    CHECK_OK(repoll_close(ep));
}

struct adder {
    repoll_t *ep;
    int64_t first_ns;
    uint64_t data;
    int64_t added_at; /* just before the add */
    int rc;
};

static void *add_later(void *p) {
    struct adder *a = p;
    sleep_ns(50 * MS); /* let the main thread block first */
    uint64_t id;
    a->added_at = now_ns();
    a->rc = repoll_timer_add(a->ep, a->first_ns, 0, a->data, &id);
    return NULL;
}

/* A timer added by another thread with an earlier deadline than a blocked
 * wait's timeout ends that wait when it expires. */
static void added_from_another_thread(void) {
    repoll_event_t ev[8];
    pthread_t t;
    /* mode 0: first timer of the handle, wait(-1); mode 1: a 5 s timer is
     * armed, wait(-1); mode 2: a 5 s timer is armed, wait(10 s); mode 3: the
     * handle had a timer, cancelled, so none is left, wait(-1). */
    for (int mode = 0; mode < 4; mode++) {
        watchdog_phase = "timer added from another thread";
        repoll_t *ep = make_poller(0);
        uint64_t late = 0;
        if (mode > 0) CHECK_OK(repoll_timer_add(ep, 5000 * MS, 0, 0x1A7E, &late));
        if (mode == 3) CHECK_OK(repoll_timer_cancel(ep, late));
        struct adder a = {.ep = ep, .first_ns = 30 * MS, .data = 0xEA21, .rc = 1};
        CHECK(pthread_create(&t, NULL, add_later, &a) == 0);
        int n = mode == 2 ? repoll_wait(ep, ev, 8, 10000) : repoll_wait(ep, ev, 8, -1);
        int64_t returned = now_ns();
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_OK(a.rc);
        CHECK_EQ(n, 1);
        check_event(&ev[0], 0xEA21, REPOLL_TIMER);
        CHECK(returned - a.added_at >= 30 * MS);
        if (mode == 1 || mode == 2) CHECK_OK(repoll_timer_cancel(ep, late));
        CHECK_OK(repoll_close(ep));
    }
}

/* Cancelling the earliest timer leaves a blocked wait sleeping until its
 * deadline; the wait must not return early (or with an event) when it wakes
 * for nothing. And the
 * caller's timeout applies when the next timer is later. */
static void timeouts_with_timers(void) {
    watchdog_phase = "timeouts with timers";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    uint64_t early, late;
    CHECK_OK(repoll_timer_add(ep, 5000 * MS, 0, 2, &late));
    for (int i = 0; i < 2; i++) {
        CHECK_OK(repoll_timer_add(ep, 20 * MS, 0, 1, &early));
        CHECK_OK(repoll_timer_cancel(ep, early));
        int64_t t0 = now_ns();
        int n = i == 0 ? repoll_wait(ep, ev, 8, 60) : repoll_wait_ns(ep, ev, 8, 60 * MS);
        CHECK_EQ(n, 0);
        CHECK(now_ns() - t0 >= 60 * MS);
    }
    /* Only the 5 s timer: a 30 ms wait times out at 30 ms, not 5 s. */
    for (int i = 0; i < 2; i++) {
        int64_t t0 = now_ns();
        int n = i == 0 ? repoll_wait(ep, ev, 8, 30) : repoll_wait_ns(ep, ev, 8, 30 * MS);
        int64_t elapsed = now_ns() - t0;
        CHECK_EQ(n, 0);
        CHECK(elapsed >= 30 * MS);
    }
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    CHECK_OK(repoll_timer_cancel(ep, late));
    CHECK_OK(repoll_close(ep));
}

/* Adds `n` one-shot timers, the latest first: timer i (n..1) is due
 * i * spacing from its add, with data base + i. Returns whether all the adds
 * took less than `spacing`, which makes timer i's deadline certainly earlier
 * than timer i+1's (a stall between adds could reorder them otherwise). */
static int add_latest_first(repoll_t *ep, int n, int64_t spacing, uint64_t base) {
    uint64_t id;
    int64_t t0 = now_ns();
    for (int i = n; i >= 1; i--) CHECK_OK(repoll_timer_add(ep, i * spacing, 0, base + i, &id));
    return now_ns() - t0 < spacing;
}

/* Expired timers and ready fds in one wait: the fds first, then the timers
 * in deadline order. With room for one event, each wait gets the next. */
static void timers_with_fds_and_small_arrays(void) {
    watchdog_phase = "timers with fds";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 42));
    write_byte(sv[1]);
    uint64_t id;
    CHECK_OK(repoll_timer_add(ep, 1 * MS, 0, 77, &id));
    sleep_ns(20 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 2);
    CHECK_EQ(ev[0].data, 42);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    check_event(&ev[1], 77, REPOLL_TIMER);

    /* Three timers 5 ms apart and the fd: fd, then timers by deadline. */
    int ordered = add_latest_first(ep, 3, 5 * MS, 80);
    sleep_ns(40 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 4);
    CHECK_EQ(ev[0].data, 42);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    int seen = 0;
    for (int i = 1; i <= 3; i++) {
        CHECK(ev[i].data >= 81 && ev[i].data <= 83);
        check_event(&ev[i], ev[i].data, REPOLL_TIMER);
        if (ordered) CHECK_EQ(ev[i].data, 80 + i);
        seen |= 1 << (ev[i].data - 81);
    }
    CHECK_EQ(seen, 7);

    /* maxevents = 1 and five expired timers: five waits, one each, in
     * deadline order; then nothing. */
    CHECK_OK(repoll_delete(ep, sv[0]));
    ordered = add_latest_first(ep, 5, 5 * MS, 90);
    sleep_ns(50 * MS);
    seen = 0;
    for (int i = 1; i <= 5; i++) {
        CHECK_EQ(repoll_wait(ep, ev, 1, 1000), 1);
        CHECK(ev[0].data >= 91 && ev[0].data <= 95);
        check_event(&ev[0], ev[0].data, REPOLL_TIMER);
        if (ordered) CHECK_EQ(ev[0].data, 90 + i);
        seen |= 1 << (ev[0].data - 91);
    }
    CHECK_EQ(seen, 31);
    CHECK_EQ(events_during(ep, 20), 0);
    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Ids are non-zero and never reused while the handle lives: not after the
 * timer fired, nor after it was cancelled. */
static void ids_are_unique(void) {
    watchdog_phase = "ids";
    enum { FIRED = 10, N = 2000 };
    static uint64_t ids[FIRED + N];
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[16];
    for (int i = 0; i < FIRED; i++) CHECK_OK(repoll_timer_add(ep, 0, 0, i, &ids[i]));
    int got = 0;
    while (got < FIRED) {
        int n = repoll_wait(ep, ev, 16, 1000);
        CHECK(n > 0);
        got += n;
    }
    CHECK_EQ(got, FIRED);
    for (int i = FIRED; i < FIRED + N; i++) {
        CHECK_OK(repoll_timer_add(ep, 3600000 * MS, i % 3 ? 0 : MS, i, &ids[i]));
        if (i % 2) CHECK_OK(repoll_timer_cancel(ep, ids[i])); /* frees its slot */
    }
    for (int i = 0; i < FIRED + N; i++) CHECK(ids[i] != 0);
    qsort(ids, FIRED + N, sizeof ids[0], cmp_u64);
    for (int i = 1; i < FIRED + N; i++) CHECK(ids[i] != ids[i - 1]);
    CHECK_OK(repoll_close(ep));
}

int main(void) {
    start_watchdog("timers", 90);
    one_shot();
    interval_stays_on_schedule();
    zero_first_is_due_at_once();
    added_from_another_thread();
    timeouts_with_timers();
    timers_with_fds_and_small_arrays();
    ids_are_unique();
    puts("timers: ok");
    return 0;
}
