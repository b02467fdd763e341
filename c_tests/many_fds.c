/* Scale: 10 000 registrations all ready at once come back exactly once from
 * one wait with a 10 000-entry array, and drain correctly through small
 * arrays (1, 7, 4096); deleting and closing them all leaks no fd. */
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "check.h"

#define N 10000
#define BASE 0x5EED000000000000ULL

static int fds[N];
static unsigned char seen[N];

/* Records one reported event, failing on a stranger or a repeat. */
static void note(const repoll_event_t *ev) {
    CHECK_EQ(ev->events, REPOLL_IN);
    CHECK_EQ(ev->reserved, 0);
    CHECK(ev->data >= BASE && ev->data < BASE + N);
    uint64_t i = ev->data - BASE;
    CHECK_EQ(seen[i], 0);
    seen[i] = 1;
}

static void rearm_all_oneshot(repoll_t *ep) {
    for (int i = 0; i < N; i++)
        CHECK_OK(repoll_modify(ep, fds[i], REPOLL_IN | REPOLL_ONESHOT, BASE + (uint64_t)i));
}

/* Collects every registration once through an array of `max` events; one-shot
 * keeps a reported fd from crowding out the rest. */
static void drain_in_chunks(repoll_t *ep, repoll_event_t *ev, int max, int use_ns) {
    memset(seen, 0, sizeof seen);
    int total = 0, calls = 0;
    while (total < N) {
        int n = use_ns ? repoll_wait_ns(ep, ev, max, 1000000000LL) : repoll_wait(ep, ev, max, 1000);
        CHECK(n >= 1 && n <= max);
        for (int k = 0; k < n; k++) note(&ev[k]);
        total += n;
        CHECK(++calls <= N); /* each call made progress, so this bounds it */
    }
    CHECK_EQ(total, N);
    CHECK_EQ(repoll_wait(ep, ev, max, 0), 0); /* all disarmed now */
}

int main(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < N + 100) {
        skip_test("the hard RLIMIT_NOFILE %llu is below %d",
                  (unsigned long long)rl.rlim_max, N + 100);
    }
    rlim_t want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)(N + 1000) : rl.rlim_max;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            skip_test("cannot raise RLIMIT_NOFILE to %llu: %s",
                      (unsigned long long)want, strerror(errno));
        }
    }
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    int limit = (int)(rl.rlim_cur > 1 << 20 ? 1 << 20 : rl.rlim_cur);
    CHECK(limit >= N + 100);

    int fds_before = count_open_fds();

    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    for (int i = 0; i < N; i++) {
        fds[i] = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK); /* readable at once */
        CHECK(fds[i] >= 0);
        CHECK_OK(repoll_add(ep, fds[i], REPOLL_IN, BASE + (uint64_t)i));
    }

    repoll_event_t *ev = malloc(N * sizeof *ev);
    CHECK(ev != NULL);

    /* One wait, all of them, each once; level-triggered, so twice over. */
    for (int round = 0; round < 2; round++) {
        memset(seen, 0, sizeof seen);
        memset(ev, 0xff, N * sizeof *ev);
        CHECK_EQ(repoll_wait(ep, ev, N, 1000), N);
        for (int k = 0; k < N; k++) note(&ev[k]);
    }

    /* Small arrays drain everything, however the batches fall. */
    rearm_all_oneshot(ep);
    drain_in_chunks(ep, ev, 1, 0);
    rearm_all_oneshot(ep);
    drain_in_chunks(ep, ev, 7, 1);
    rearm_all_oneshot(ep);
    drain_in_chunks(ep, ev, 4096, 0);
    /* A big array drains a one-shot set in one call too. */
    rearm_all_oneshot(ep);
    drain_in_chunks(ep, ev, N, 0);

    /* Delete them all: nothing left to report, even with all armed. */
    rearm_all_oneshot(ep);
    for (int i = 0; i < N; i++) CHECK_OK(repoll_delete(ep, fds[i]));
    CHECK_EQ(repoll_wait(ep, ev, N, 0), 0);
    for (int i = 0; i < N; i++) CHECK_OK(close(fds[i]));
    CHECK_OK(repoll_close(ep));
    free(ev);

    CHECK_EQ(count_open_fds(), fds_before);
    puts("many_fds: ok");
    return 0;
}
