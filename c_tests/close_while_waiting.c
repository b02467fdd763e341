/* repoll_close while other threads are blocked in repoll_wait/_ns on the
 * same handle: every waiter returns -EBADF promptly, and the fds are released
 * once the last one has returned (none leaked); with no waiter, at once. */
#include <limits.h>

#include "check.h"

#define MAX_WAITERS 3

/* The blocking waits tried: with no timeout and with the longest one, in
 * ms and in ns. */
static const struct {
    enum wait_kind kind;
    int64_t timeout;
} kinds[] = {{WAIT_MS, -1}, {WAIT_MS, INT_MAX}, {WAIT_NS, -1}, {WAIT_NS, INT64_MAX}};
#define KINDS (int)(sizeof kinds / sizeof kinds[0])

/* Whether thread `tid` is blocked in an epoll wait system call right now,
 * read from /proc/self/task/<tid>/syscall ("running" or "<nr> args…").
 * -1 when the file cannot be read. */
static int in_epoll_syscall(int tid) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    if (buf[0] < '0' || buf[0] > '9') return 0; /* "running" */
    long nr = strtol(buf, NULL, 10);
    return 0
#ifdef SYS_epoll_wait
           || nr == SYS_epoll_wait
#endif
#ifdef SYS_epoll_pwait
           || nr == SYS_epoll_pwait
#endif
#ifdef SYS_epoll_pwait2
           || nr == SYS_epoll_pwait2
#endif
        ;
}

static int proc_usable = 1;

/* Starts a waiter and returns once it is certainly inside the library call
 * (blocked in the kernel), so closing now is the defined "close under a
 * blocked wait", not a call that starts after close. Fails after 10 s. */
static void start_blocked_waiter(struct waiter *w, repoll_t *ep, int k) {
    start_waiter(w, ep, kinds[k].kind, kinds[k].timeout);
    int64_t t0 = now_ns();
    while (atomic_load(&w->tid) == 0) {
        CHECK(now_ns() - t0 < 10000 * MS);
        sleep_ns(50000);
    }
    for (;;) {
        CHECK(!atomic_load(&w->done)); /* nothing can end the wait yet */
        int r = proc_usable ? in_epoll_syscall(atomic_load(&w->tid)) : -1;
        if (r == 1) break;
        if (r == -1) {
            /* No /proc: a generous pause instead of proof. */
            proc_usable = 0;
            sleep_ns(50 * MS);
            break;
        }
        CHECK(now_ns() - t0 < 10000 * MS); /* never blocked: a hang guard */
        sleep_ns(50000);
    }
}

int main(void) {
    int sv[2];
    make_pair(sv); /* lives across all handles, so fd counts are stable */

    /* --- No waiter: the handle and its fds are freed by repoll_close. --- */
    int before = count_open_fds();
    repoll_t *ep = make_poller(0);
    CHECK(count_open_fds() > before); /* it does hold fds */
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 1));
    CHECK_OK(repoll_close(ep));
    CHECK_EQ(count_open_fds(), before);

    /* --- One waiter of each kind, then two and three at once. --- */
    for (int k = 0; k < KINDS; k++) {
        for (int n = 1; n <= MAX_WAITERS; n++) {
            before = count_open_fds();
            ep = make_poller(k % 2 ? REPOLL_RETRY_EINTR : 0);
            CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 2));
            struct waiter w[MAX_WAITERS];
            for (int i = 0; i < n; i++) start_blocked_waiter(&w[i], ep, (k + i) % KINDS);
            CHECK_OK(repoll_close(ep));
            for (int i = 0; i < n; i++) join_waiter(&w[i]);
            for (int i = 0; i < n; i++) {
                if (w[i].result != -EBADF)
                    fprintf(stderr, "kind %d/%lld, waiter %d of %d: got %d\n", w[i].kind,
                            (long long)w[i].timeout, i, n,
                            w[i].result);
                CHECK_EQ(w[i].result, -EBADF);
            }
            CHECK_EQ(count_open_fds(), before); /* released by the last waiter */
        }
    }

    /* --- Shake out races: 200 rounds with short random delays. --- */
    unsigned seed = (unsigned)now_ns();
    printf("close_while_waiting: seed %u\n", seed);
    int64_t t_start = now_ns();
    int ready_won = 0;
    for (int iter = 0; iter < 200; iter++) {
        CHECK(now_ns() - t_start < 90000 * MS); /* stay within the harness limit */
        before = count_open_fds();
        int flags = rand_r(&seed) % 2 ? REPOLL_RETRY_EINTR : 0;
        ep = make_poller(flags);
        CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 3));
        int n = 1 + rand_r(&seed) % MAX_WAITERS;
        struct waiter w[MAX_WAITERS];
        for (int i = 0; i < n; i++) start_blocked_waiter(&w[i], ep, rand_r(&seed) % KINDS);

        /* Sometimes an event arrives just before the close: a waiter may
         * then return it instead of -EBADF (it was done before the close). */
        int with_event = rand_r(&seed) % 4 == 0;
        if (with_event) write_byte(sv[1]);
        int delay_us = rand_r(&seed) % 4 == 0 ? 0 : rand_r(&seed) % 2000;
        if (delay_us) sleep_ns(delay_us * 1000LL);
        CHECK_OK(repoll_close(ep));
        for (int i = 0; i < n; i++) join_waiter(&w[i]);
        for (int i = 0; i < n; i++) {
            if (with_event && w[i].result == 1) {
                CHECK_EQ(w[i].ev[0].data, 3);
                CHECK_EQ(w[i].ev[0].events, REPOLL_IN);
                ready_won++;
                continue;
            }
            if (w[i].result != -EBADF)
                fprintf(stderr, "iter %d (flags %d, delay %d us, event %d), waiter %d of %d "
                                "(kind %d/%lld): got %d\n",
                        iter, flags, delay_us, with_event, i, n, w[i].kind,
                        (long long)w[i].timeout, w[i].result);
            CHECK_EQ(w[i].result, -EBADF);
        }
        if (with_event) {
            char c;
            CHECK(read(sv[0], &c, 1) == 1);
        }
        CHECK_EQ(count_open_fds(), before);
    }
    close(sv[0]);
    close(sv[1]);
    printf("close_while_waiting: ok (%s; %d waiters got the event first)\n",
           proc_usable ? "blocking proven via /proc" : "no /proc, paused instead", ready_won);
    return 0;
}
