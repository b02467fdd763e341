/* The whole lifecycle: create, add, wait, modify, delete, close; and the
 * misc functions (version, features, strerror). */
#include "check.h"

int main(void) {
    int fds_before = count_open_fds();
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int epfd = repoll_fd(ep);
    CHECK(epfd >= 0);
    CHECK(fcntl(epfd, F_GETFD) & FD_CLOEXEC);

    int sv[2];
    make_pair(sv);
    repoll_event_t ev[8];

    /* Nothing registered and nothing ready: a poll returns 0. */
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 42));
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    write_byte(sv[1]);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    CHECK_EQ(ev[0].data, 42);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_EQ(ev[0].reserved, 0);

    /* Modify changes both interest and data. */
    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN | REPOLL_OUT, 43));
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 1);
    CHECK_EQ(ev[0].data, 43);
    CHECK_EQ(ev[0].events, REPOLL_IN | REPOLL_OUT);

    /* repoll_ctl is the same operation spelled generically. */
    CHECK_OK(repoll_ctl(ep, REPOLL_CTL_MOD, sv[0], REPOLL_OUT, 44));
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 1);
    CHECK_EQ(ev[0].data, 44);
    CHECK_EQ(ev[0].events, REPOLL_OUT);

    /* Delete: no more events, and a second delete is -ENOENT. */
    CHECK_OK(repoll_delete(ep, sv[0]));
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    CHECK_EQ(repoll_delete(ep, sv[0]), -ENOENT);
    CHECK_OK(repoll_ctl(ep, REPOLL_CTL_ADD, sv[0], REPOLL_IN, 45));
    CHECK_OK(repoll_ctl(ep, REPOLL_CTL_DEL, sv[0], 0xdeadbeef, 7)); /* ignored */

    /* maxevents smaller than the ready count: the rest come next time. */
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_OUT, 1));
    CHECK_OK(repoll_add(ep, sv[1], REPOLL_OUT, 2));
    CHECK_EQ(repoll_wait(ep, ev, 1, 0), 1);
    uint64_t first = ev[0].data;
    CHECK_EQ(repoll_wait(ep, ev, 1, 0), 1);
    CHECK(ev[0].data != first); /* the kernel rotates ready fds */

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
    CHECK_EQ(count_open_fds(), fds_before); /* epoll fd and internals closed */

    /* Without REPOLL_CLOEXEC the epoll fd is inheritable. */
    ep = make_poller(0);
    CHECK((fcntl(repoll_fd(ep), F_GETFD) & FD_CLOEXEC) == 0);
    CHECK_OK(repoll_close(ep));

    /* Unknown create flags are rejected and nothing is written. */
    repoll_t *untouched = (repoll_t *)&fds_before;
    CHECK_EQ(repoll_create(&untouched, 0x4), -EINVAL);
    CHECK_EQ(repoll_create(&untouched, -1), -EINVAL);
    CHECK(untouched == (repoll_t *)&fds_before);

    /* Version: the header's macros match the library's string. */
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", REPOLL_VERSION_MAJOR, REPOLL_VERSION_MINOR,
             REPOLL_VERSION_PATCH);
    CHECK(strcmp(repoll_version(), expect) == 0);
    CHECK(strcmp(REPOLL_VERSION_STRING, expect) == 0);

    /* Features: only known bits, stable across calls. */
    uint32_t f = repoll_features();
    CHECK((f & ~(uint32_t)(REPOLL_FEATURE_PWAIT2 | REPOLL_FEATURE_EXCLUSIVE)) == 0);
    CHECK(f == repoll_features());
    CHECK(f & REPOLL_FEATURE_EXCLUSIVE); /* every kernel since 4.5 */

    /* strerror names every negative code; 0 and positive counts are
     * success, never an error message; never NULL. */
    CHECK(strcmp(repoll_strerror(-EINVAL), strerror(EINVAL)) == 0);
    CHECK(strcmp(repoll_strerror(EBADF), "Success") == 0);
    CHECK(strcmp(repoll_strerror(0), "Success") == 0);
    CHECK(strstr(repoll_strerror(-REPOLL_EPANIC), "panic") != NULL);
    CHECK(repoll_strerror(999999) != NULL);
    CHECK(repoll_strerror(-2147483647 - 1) != NULL);
    puts("lifecycle: ok");
    return 0;
}
