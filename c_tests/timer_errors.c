/* Timer misuse gets clear codes and leaves *id_out untouched: -EINVAL for
 * negative times and NULL pointers, -ENOENT for unknown, fired or cancelled
 * ids; huge delays never fire; timers open no fd at all (they bound the
 * wait's own timeout). */
#include <stdint.h>

#include "check.h"

#define SENTINEL 0x5E5E5E5E5E5E5E5Eull

static void invalid_arguments(repoll_t *ep) {
    uint64_t id = SENTINEL;
    const int64_t bad[] = {-1, -1000000, INT64_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(repoll_timer_add(ep, bad[i], 0, 1, &id), -EINVAL);
        CHECK_EQ(repoll_timer_add(ep, 0, bad[i], 1, &id), -EINVAL);
        CHECK_EQ(repoll_timer_add(ep, bad[i], bad[i], 1, &id), -EINVAL);
        CHECK_EQ(repoll_timer_add(ep, 10 * MS, bad[i], 1, &id), -EINVAL);
        CHECK_EQ(id, SENTINEL); /* outputs are written only on success */
    }
    CHECK_EQ(repoll_timer_add(ep, 0, 0, 1, NULL), -EINVAL);
    CHECK_EQ(repoll_timer_add(ep, 10 * MS, 10 * MS, 1, NULL), -EINVAL);
    CHECK_EQ(repoll_timer_add(NULL, 0, 0, 1, &id), -EINVAL);
    CHECK_EQ(repoll_timer_add(NULL, -1, 0, 1, NULL), -EINVAL);
    CHECK_EQ(id, SENTINEL);
    CHECK_EQ(repoll_timer_cancel(NULL, 1), -EINVAL);
    CHECK_EQ(repoll_timer_cancel(NULL, 0), -EINVAL);

    /* None of the rejected calls started a timer. */
    CHECK_EQ(events_during(ep, 30), 0);
}

static void unknown_ids(repoll_t *ep, const uint64_t *issued, int n_issued) {
    const uint64_t unknown[] = {0, 1, 12345, UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 32};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        int live = 0;
        for (int j = 0; j < n_issued; j++) live |= issued[j] == unknown[i];
        if (!live) CHECK_EQ(repoll_timer_cancel(ep, unknown[i]), -ENOENT);
    }
}

int main(void) {
    const int fds_start = count_open_fds();
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    const int fds_handle = count_open_fds();

    /* Before any timer exists (no timer machinery yet) and after. */
    unknown_ids(ep, NULL, 0);
    invalid_arguments(ep);
    CHECK_EQ(count_open_fds(), fds_handle); /* failed adds created nothing */

    /* -ENOENT: a one-shot that fired, a double cancel. */
    uint64_t fired = SENTINEL, twice = SENTINEL, repeating = SENTINEL;
    CHECK_OK(repoll_timer_add(ep, 1 * MS, 0, 10, &fired));
    CHECK(fired != SENTINEL);
    CHECK_EQ(count_open_fds(), fds_handle); /* the first timer: no fd */
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    CHECK_EQ(ev[0].data, 10);
    CHECK_EQ(ev[0].events, REPOLL_TIMER);
    CHECK_EQ(repoll_timer_cancel(ep, fired), -ENOENT);
    CHECK_EQ(repoll_timer_cancel(ep, fired), -ENOENT);

    CHECK_OK(repoll_timer_add(ep, 1000 * MS, 0, 11, &twice));
    CHECK_OK(repoll_timer_cancel(ep, twice));
    CHECK_EQ(repoll_timer_cancel(ep, twice), -ENOENT);

    /* A repeating timer that fired is still live: cancelled once, not twice. */
    CHECK_OK(repoll_timer_add(ep, 1 * MS, 1 * MS, 12, &repeating));
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    CHECK_EQ(ev[0].data, 12);
    CHECK_OK(repoll_timer_cancel(ep, repeating));
    CHECK_EQ(repoll_timer_cancel(ep, repeating), -ENOENT);
    CHECK_EQ(events_during(ep, 20), 0);

    /* Now that timers exist: errors unchanged; unknown ids still unknown. */
    uint64_t issued[3] = {fired, twice, repeating};
    unknown_ids(ep, issued, 3);
    invalid_arguments(ep);

    /* INT64_MAX ns (292 years) saturates: never fires, can be cancelled.
     * Also with a huge interval after a first expiry at once. */
    uint64_t huge, huge2, after_huge;
    CHECK_OK(repoll_timer_add(ep, INT64_MAX, 0, 20, &huge));
    CHECK_OK(repoll_timer_add(ep, INT64_MAX, INT64_MAX, 21, &huge2));
    CHECK_OK(repoll_timer_add(ep, 0, INT64_MAX, 22, &after_huge));
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1); /* the first_ns = 0 one only */
    CHECK_EQ(ev[0].data, 22);
    CHECK_EQ(ev[0].events, REPOLL_TIMER);
    CHECK_EQ(events_during(ep, 50), 0);
    CHECK_OK(repoll_timer_cancel(ep, huge));
    CHECK_OK(repoll_timer_cancel(ep, huge2));
    CHECK_OK(repoll_timer_cancel(ep, after_huge)); /* re-armed 292 years on */
    CHECK_EQ(repoll_timer_cancel(ep, huge), -ENOENT);

    /* 100 000 timers cost no fd, during and after; cancelling them all
     * leaves nothing to fire. */
    enum { N = 100000 };
    static uint64_t ids[N];
    for (int i = 0; i < N; i++) {
        CHECK_OK(repoll_timer_add(ep, 3600000 * MS + i, i % 2 ? 0 : 5 * MS, i, &ids[i]));
        if (i == 0 || i == N - 1) CHECK_EQ(count_open_fds(), fds_handle);
    }
    for (int i = 0; i < N; i++) CHECK_OK(repoll_timer_cancel(ep, ids[i]));
    CHECK_EQ(count_open_fds(), fds_handle);
    for (int i = 0; i < N; i += 997) CHECK_EQ(repoll_timer_cancel(ep, ids[i]), -ENOENT);
    sleep_ns(10 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    CHECK_OK(repoll_close(ep));
    CHECK_EQ(count_open_fds(), fds_start);

    /* A fresh handle: 100 000 timers add no fd, and closing with all of
     * them still pending releases everything. */
    ep = make_poller(0);
    CHECK_EQ(count_open_fds(), fds_handle);
    for (int i = 0; i < N; i++) {
        CHECK_OK(repoll_timer_add(ep, 3600000 * MS, 0, i, &ids[i]));
        if (i == 0 || i == N - 1) CHECK_EQ(count_open_fds(), fds_handle);
    }
    CHECK_OK(repoll_close(ep));
    CHECK_EQ(count_open_fds(), fds_start);
    puts("timer_errors: ok");
    return 0;
}
