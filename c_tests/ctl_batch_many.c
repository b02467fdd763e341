/* repoll_ctl_batch with 10 000 fds in one call (eventfds, one fd each, to
 * stay well inside a 20 000 fd limit): all registered, each reported with
 * its own data, then all modified and all deleted, one call each. */
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "check.h"

#define N 10000

static repoll_ctl_op_t ops[N];
static int fds[N];
static repoll_event_t ev[N + 1];
static unsigned char seen[N];

/* Every fd reported exactly once, with data base + its index. */
static void all_reported(repoll_t *ep, uint64_t base, uint32_t events) {
    memset(seen, 0, sizeof seen);
    int got = 0;
    while (got < N) {
        int n = repoll_wait(ep, ev, N + 1, 1000);
        CHECK(n > 0);
        for (int i = 0; i < n; i++) {
            uint64_t k = ev[i].data - base;
            CHECK(k < N);
            CHECK(!seen[k]);
            CHECK_EQ(ev[i].events, events);
            seen[k] = 1;
        }
        got += n;
    }
    CHECK_EQ(got, N);
}

int main(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur < N + 100) {
        if (rl.rlim_max < N + 100)
            skip_test("%d fds need a hard RLIMIT_NOFILE above %d, not %llu", N, N + 100,
                      (unsigned long long)rl.rlim_max);
        rl.rlim_cur = N + 100;
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    }
    repoll_t *ep = make_poller(0);
    for (int i = 0; i < N; i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        CHECK(fds[i] >= 0);
        /* An eventfd is always writable: ready as soon as registered. */
        ops[i] = (repoll_ctl_op_t){REPOLL_CTL_ADD, fds[i], REPOLL_OUT | REPOLL_ONESHOT, 1, i};
    }
    CHECK_EQ(repoll_ctl_batch(ep, ops, N), N);
    for (int i = 0; i < N; i++) CHECK_EQ(ops[i].result, 0);
    all_reported(ep, 0, REPOLL_OUT);
    CHECK_EQ(repoll_wait(ep, ev, N + 1, 0), 0); /* one-shot: disarmed */

    /* Re-arm all with new data in one call. */
    for (int i = 0; i < N; i++) {
        ops[i].op = REPOLL_CTL_MOD;
        ops[i].data = 1000000 + i;
        ops[i].result = 1;
    }
    CHECK_EQ(repoll_ctl_batch(ep, ops, N), N);
    all_reported(ep, 1000000, REPOLL_OUT);

    /* Delete all; a second delete of the same fds fails op by op. */
    for (int i = 0; i < N; i++) ops[i].op = REPOLL_CTL_DEL;
    CHECK_EQ(repoll_ctl_batch(ep, ops, N), N);
    CHECK_EQ(repoll_ctl_batch(ep, ops, N), 0);
    for (int i = 0; i < N; i++) CHECK_EQ(ops[i].result, -ENOENT);
    for (int i = 0; i < N; i++) close(fds[i]);
    CHECK_OK(repoll_close(ep));
    puts("ctl_batch_many: ok");
    return 0;
}
