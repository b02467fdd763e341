/* Misuse with NULL or out-of-range arguments is answered with -EINVAL, never a
 * crash: NULL handles to every function, NULL out/array pointers, maxevents
 * <= 0; and the string functions never hand back NULL. */
#include <limits.h>
#include <signal.h>

#include "check.h"

int main(void) {
    repoll_event_t ev[4];
    int sv[2];
    make_pair(sv);

    /* A NULL handle, with every other argument valid, so that only the handle
     * can be the reason for the error. */
    CHECK_EQ(repoll_ctl(NULL, REPOLL_CTL_ADD, sv[0], REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_ctl(NULL, REPOLL_CTL_MOD, sv[0], REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_ctl(NULL, REPOLL_CTL_DEL, sv[0], 0, 0), -EINVAL);
    CHECK_EQ(repoll_add(NULL, sv[0], REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_modify(NULL, sv[0], REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_delete(NULL, sv[0]), -EINVAL);
    CHECK_EQ(repoll_wait(NULL, ev, 4, 0), -EINVAL);
    CHECK_EQ(repoll_wait_ns(NULL, ev, 4, 0), -EINVAL);
    /* A NULL handle must not block, whatever the timeout says. */
    CHECK_EQ(repoll_wait(NULL, ev, 4, -1), -EINVAL);
    CHECK_EQ(repoll_wait_ns(NULL, ev, 4, -1), -EINVAL);
    CHECK_EQ(repoll_close(NULL), -EINVAL);
    CHECK_EQ(repoll_fd(NULL), -EINVAL);
    CHECK_EQ(repoll_wake(NULL), -EINVAL);
    uint64_t id = 12345;
    CHECK_EQ(repoll_timer_add(NULL, 0, 0, 1, &id), -EINVAL);
    CHECK_EQ(id, 12345); /* outputs are written only on success */
    CHECK_EQ(repoll_timer_cancel(NULL, 1), -EINVAL);
    CHECK_EQ(repoll_signal_add(NULL, SIGUSR1, 1), -EINVAL);
    CHECK_EQ(repoll_signal_delete(NULL, SIGUSR1), -EINVAL);

    /* NULL out pointer, with valid flags (so the flags cannot be the cause). */
    CHECK_EQ(repoll_create(NULL, 0), -EINVAL);
    CHECK_EQ(repoll_create(NULL, REPOLL_CLOEXEC), -EINVAL);
    CHECK_EQ(repoll_create(NULL, REPOLL_CLOEXEC | REPOLL_RETRY_EINTR), -EINVAL);

    /* Bad wait arguments on a live handle with an event ready, so a
     * wrongly accepted call would return 1 rather than block. */
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_OUT, 7));

    CHECK_EQ(repoll_wait(ep, NULL, 1, 0), -EINVAL);
    CHECK_EQ(repoll_wait(ep, NULL, 4, -1), -EINVAL);
    CHECK_EQ(repoll_wait(ep, NULL, INT_MAX, 0), -EINVAL);
    CHECK_EQ(repoll_wait_ns(ep, NULL, 1, 0), -EINVAL);
    CHECK_EQ(repoll_wait_ns(ep, NULL, 4, -1), -EINVAL);
    CHECK_EQ(repoll_wait_ns(ep, NULL, INT_MAX, 0), -EINVAL);

    const int bad_counts[] = {0, -1, -4, INT_MIN};
    for (size_t i = 0; i < sizeof bad_counts / sizeof bad_counts[0]; i++) {
        int n = bad_counts[i];
        /* Sentinel: a rejected call must not write to the array either. */
        memset(ev, 0xa5, sizeof ev);
        CHECK_EQ(repoll_wait(ep, ev, n, 0), -EINVAL);
        CHECK_EQ(repoll_wait(ep, ev, n, -1), -EINVAL);
        CHECK_EQ(repoll_wait_ns(ep, ev, n, 0), -EINVAL);
        CHECK_EQ(repoll_wait_ns(ep, ev, n, -1), -EINVAL);
        CHECK_EQ(ev[0].data, 0xa5a5a5a5a5a5a5a5ULL);
        /* NULL and a bad count together is still -EINVAL. */
        CHECK_EQ(repoll_wait(ep, NULL, n, 0), -EINVAL);
        CHECK_EQ(repoll_wait_ns(ep, NULL, n, 0), -EINVAL);
    }

    /* The handle is unharmed by all that: the registration still reports. */
    CHECK_EQ(repoll_wait(ep, ev, 4, 1000), 1);
    CHECK_EQ(ev[0].data, 7);
    CHECK_EQ(ev[0].events, REPOLL_OUT);
    CHECK_EQ(repoll_wait_ns(ep, ev, 4, 1000000000), 1);
    CHECK_EQ(ev[0].data, 7);

    /* A NULL id_out on a live handle, with a timer that would be valid (due
     * at once): refused, so no timer exists to be reported. */
    CHECK_EQ(repoll_timer_add(ep, 0, 0, 8, NULL), -EINVAL);
    CHECK_OK(repoll_delete(ep, sv[0]));
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);

    /* Static strings, never NULL, for any code at all. */
    const int codes[] = {0, -1, 1, -EINVAL, EINVAL, -REPOLL_EPANIC, REPOLL_EPANIC, 4096,
                         -4096, 4098, -4098, 999999, -999999, INT_MAX, INT_MIN, INT_MIN + 1};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = repoll_strerror(codes[i]);
        CHECK(s != NULL);
        CHECK(strlen(s) > 0);
    }
    CHECK(repoll_version() != NULL);
    CHECK(strlen(repoll_version()) > 0);

    puts("null_args: ok");
    return 0;
}
