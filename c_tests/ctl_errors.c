/* Every repoll_ctl error the contract lists (but -ENOMEM, -ENOSPC; -ELOOP is
 * nested.c's), that a failed ctl leaves the earlier registration untouched,
 * and that the library's own fds (waker, signalfd) are off limits. */
#include <limits.h>
#include <signal.h>
#include <sys/eventfd.h>

#include "check.h"

/* Interest sets the contract says are refused on add and modify alike. */
static const uint32_t bad_interest[] = {
    1u << 5,  /* POLLNVAL: poll(2) only */
    1u << 11, 1u << 12, 1u << 14, 1u << 20, 1u << 27,
    REPOLL_WAKE, REPOLL_TIMER, REPOLL_SIGNAL,
    REPOLL_IN | REPOLL_WAKE, REPOLL_IN | REPOLL_TIMER, REPOLL_OUT | REPOLL_SIGNAL,
    REPOLL_IN | (1u << 20),
    0xffffffffu,
};
#define N_BAD_INTEREST (sizeof bad_interest / sizeof bad_interest[0])

/* Every fd open in `after` but not in `before`, other than the epoll fd, is
 * the library's: each op on it must be refused. Returns how many there were. */
static int refuse_new_fds(repoll_t *ep, const unsigned char *before, const unsigned char *after,
                          int epfd) {
    int n = 0;
    for (int fd = 0; fd < FD_MAP_SIZE; fd++) {
        if (before[fd] || !after[fd] || fd == epfd) continue;
        n++;
        CHECK_EQ(repoll_delete(ep, fd), -EINVAL);
        CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_DEL, fd, 0, 0), -EINVAL);
        CHECK_EQ(repoll_add(ep, fd, REPOLL_IN, 1), -EINVAL);
        CHECK_EQ(repoll_add(ep, fd, REPOLL_IN | REPOLL_OUT | REPOLL_ET, 2), -EINVAL);
        CHECK_EQ(repoll_modify(ep, fd, REPOLL_IN, 3), -EINVAL);
        CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_ADD, fd, REPOLL_OUT, 4), -EINVAL);
    }
    return n;
}

int main(void) {
    /* Blocked before anything else, as repoll_signal_add requires. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &usr1, NULL) == 0);

    /* Probe features first so its throwaway fds do not show up in the scan. */
    uint32_t features = repoll_features();

    unsigned char before[FD_MAP_SIZE], after[FD_MAP_SIZE];
    map_open_fds(before);
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    map_open_fds(after);
    int epfd = repoll_fd(ep);
    CHECK(epfd >= 0 && epfd < FD_MAP_SIZE);
    CHECK(!before[epfd] && after[epfd]);

    int sv[2];
    make_pair(sv);

    /* The registration every failure below must leave alone: IN and OUT
     * both ready, so a lost or altered registration shows in the events. */
    const uint64_t KEEP = 0x1234567890abcdefULL;
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN | REPOLL_OUT, KEEP));
    write_byte(sv[1]);
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* -EEXIST: adding twice, with any interest or data. */
    CHECK_EQ(repoll_add(ep, sv[0], REPOLL_IN | REPOLL_OUT, KEEP), -EEXIST);
    CHECK_EQ(repoll_add(ep, sv[0], REPOLL_OUT, 99), -EEXIST);
    CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_ADD, sv[0], REPOLL_IN, 99), -EEXIST);
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* -ENOENT: modify or delete an open fd that was never added. */
    CHECK_EQ(repoll_modify(ep, sv[1], REPOLL_IN, 5), -ENOENT);
    CHECK_EQ(repoll_delete(ep, sv[1]), -ENOENT);
    CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_MOD, sv[1], REPOLL_OUT, 5), -ENOENT);
    CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_DEL, sv[1], 0, 0), -ENOENT);
    /* ... and after a delete, the fd is unregistered again. */
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    CHECK(efd >= 0);
    CHECK_OK(repoll_add(ep, efd, REPOLL_IN, 6));
    CHECK_OK(repoll_delete(ep, efd));
    CHECK_EQ(repoll_modify(ep, efd, REPOLL_IN, 6), -ENOENT);
    CHECK_EQ(repoll_delete(ep, efd), -ENOENT);
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* -EBADF: negative fds, a closed fd, an fd beyond any limit. */
    int closed_fd = eventfd(0, EFD_CLOEXEC);
    CHECK(closed_fd >= 0);
    CHECK_OK(close(closed_fd));
    /* -1 on its own line: it is what a lazily created internal fd that does
     * not exist yet looks like, so a comparison with one must not match. */
    CHECK_EQ(repoll_add(ep, -1, REPOLL_IN, 1), -EBADF);
    CHECK_EQ(repoll_modify(ep, -1, REPOLL_IN, 1), -EBADF);
    CHECK_EQ(repoll_delete(ep, -1), -EBADF);
    const int bad_fds[] = {-2, INT_MIN, closed_fd, INT_MAX};
    for (size_t i = 0; i < sizeof bad_fds / sizeof bad_fds[0]; i++) {
        int fd = bad_fds[i];
        CHECK_EQ(repoll_add(ep, fd, REPOLL_IN, 1), -EBADF);
        CHECK_EQ(repoll_modify(ep, fd, REPOLL_IN, 1), -EBADF);
        CHECK_EQ(repoll_delete(ep, fd), -EBADF);
        CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_ADD, fd, REPOLL_IN, 1), -EBADF);
    }
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* -EPERM: regular files cannot be polled. An unlinked temporary file and
     * a read-only system file, to cover both a private and a shared inode. */
    FILE *tmp = tmpfile();
    CHECK(tmp != NULL);
    int tmpfd = fileno(tmp);
    CHECK_EQ(repoll_add(ep, tmpfd, REPOLL_IN, 1), -EPERM);
    CHECK_EQ(repoll_add(ep, tmpfd, REPOLL_OUT, 1), -EPERM);
    /* The kernel checks pollability before looking the fd up, so every op
     * says "not pollable", not "not registered". */
    CHECK_EQ(repoll_modify(ep, tmpfd, REPOLL_IN, 1), -EPERM);
    CHECK_EQ(repoll_delete(ep, tmpfd), -EPERM);
    fclose(tmp);
    int passwd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    if (passwd >= 0) {
        CHECK_EQ(repoll_add(ep, passwd, REPOLL_IN, 1), -EPERM);
        close(passwd);
    } else {
        puts("ctl_errors: note: /etc/passwd not readable, tmpfile case only");
    }
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* -EINVAL: the handle's own epoll fd, whatever the op. */
    CHECK_EQ(repoll_add(ep, epfd, REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_modify(ep, epfd, REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_delete(ep, epfd), -EINVAL);

    /* -EINVAL: unknown ops, even on an fd every real op would accept. */
    const int bad_ops[] = {0, 4, 5, -1, -2, 255, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad_ops / sizeof bad_ops[0]; i++) {
        CHECK_EQ(repoll_ctl(ep, bad_ops[i], sv[0], REPOLL_IN, 1), -EINVAL);
        CHECK_EQ(repoll_ctl(ep, bad_ops[i], sv[1], REPOLL_IN, 1), -EINVAL);
    }
    /* sv[1] must not have been added by any of those. */
    CHECK_EQ(repoll_delete(ep, sv[1]), -ENOENT);
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* -EINVAL: EXCLUSIVE on a modify (even with bits it allows on add), and
     * with bits the kernel refuses beside it. */
    CHECK_EQ(repoll_modify(ep, sv[0], REPOLL_EXCLUSIVE | REPOLL_IN, 1), -EINVAL);
    CHECK_EQ(repoll_modify(ep, sv[0], REPOLL_EXCLUSIVE, 1), -EINVAL);
    CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_MOD, sv[0], REPOLL_EXCLUSIVE | REPOLL_OUT, 1), -EINVAL);
    const uint32_t bad_exclusive[] = {
        REPOLL_EXCLUSIVE | REPOLL_ONESHOT,
        REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_ONESHOT,
        REPOLL_EXCLUSIVE | REPOLL_PRI,
        REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_PRI,
        REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_RDHUP,
        REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_RDNORM,
        REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_ET | REPOLL_ONESHOT,
    };
    for (size_t i = 0; i < sizeof bad_exclusive / sizeof bad_exclusive[0]; i++) {
        CHECK_EQ(repoll_add(ep, sv[1], bad_exclusive[i], 1), -EINVAL);
        CHECK_EQ(repoll_add(ep, efd, bad_exclusive[i], 1), -EINVAL);
    }
    CHECK_EQ(repoll_delete(ep, sv[1]), -ENOENT);
    CHECK_EQ(repoll_delete(ep, efd), -ENOENT);
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);
    /* The refusal is about the combination, not EXCLUSIVE itself. */
    if (features & REPOLL_FEATURE_EXCLUSIVE) {
        CHECK_OK(repoll_add(ep, efd, REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_ET, 8));
        CHECK_OK(repoll_delete(ep, efd));
    }

    /* -EINVAL: unknown bits and the library's source bits as interest, on
     * add (fd left unregistered) and modify (registration left intact). */
    for (size_t i = 0; i < N_BAD_INTEREST; i++) {
        CHECK_EQ(repoll_add(ep, sv[1], bad_interest[i], 1), -EINVAL);
        CHECK_EQ(repoll_modify(ep, sv[0], bad_interest[i], 1), -EINVAL);
        CHECK_EQ(repoll_ctl(ep, REPOLL_CTL_MOD, sv[0], bad_interest[i], 1), -EINVAL);
    }
    CHECK_EQ(repoll_delete(ep, sv[1]), -ENOENT);
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* The library's internal fds: every fd that repoll_create opened besides
     * the epoll fd (its waker's eventfd), and any that the first timer (none
     * today) and the first signal (a signalfd) create. Letting the caller delete one, or
     * register it again, would break the handle's own sources. */
    int internal = refuse_new_fds(ep, before, after, epfd);
    if (internal == 0) puts("ctl_errors: note: repoll_create opened no internal fd");

    map_open_fds(before);
    uint64_t hour_timer = 0;
    CHECK_OK(repoll_timer_add(ep, 3600LL * 1000000000LL, 0, 0x71, &hour_timer));
    map_open_fds(after);
    internal = refuse_new_fds(ep, before, after, epfd);

    map_open_fds(before);
    CHECK_OK(repoll_signal_add(ep, SIGUSR1, 0x51));
    map_open_fds(after);
    internal = refuse_new_fds(ep, before, after, epfd);
    if (internal == 0) puts("ctl_errors: note: the first signal opened no fd");

    /* Still exactly the caller's one registration: nothing internal leaked
     * out as a caller event (an eventfd is always writable, so an accepted
     * add of it with OUT would show here). */
    expect_one(ep, KEEP, REPOLL_IN | REPOLL_OUT);

    /* With every internal fd created, -1 is still just a bad fd. */
    CHECK_EQ(repoll_add(ep, -1, REPOLL_IN, 1), -EBADF);
    CHECK_EQ(repoll_modify(ep, -1, REPOLL_IN, 1), -EBADF);
    CHECK_EQ(repoll_delete(ep, -1), -EBADF);

    /* After all those failures the original registration still works
     * normally: modify and delete succeed. */
    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN, KEEP + 1));
    expect_one(ep, KEEP + 1, REPOLL_IN);
    CHECK_OK(repoll_delete(ep, sv[0]));
    repoll_event_t ev[4];
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);

    /* The library's sources survived the attempts on their fds. */
    CHECK_OK(repoll_wake(ep));
    expect_one(ep, 0, REPOLL_WAKE);
    CHECK_OK(kill(getpid(), SIGUSR1));
    expect_one(ep, 0x51, REPOLL_SIGNAL);
    CHECK_OK(repoll_timer_cancel(ep, hour_timer));
    uint64_t now_timer = 0;
    CHECK_OK(repoll_timer_add(ep, 0, 0, 0x72, &now_timer));
    expect_one(ep, 0x72, REPOLL_TIMER);
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
    close(efd);
    puts("ctl_errors: ok");
    return 0;
}
