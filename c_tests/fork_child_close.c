/* fork(2): a child closing its copy of a handle (the one thing the header
 * allows a child to do with an inherited handle) releases the child's copies
 * only and leaves the parent undisturbed:
 *
 * 1. Nothing in flight at the fork: the child's repoll_close returns 0 and
 *    closes the child's copies of the handle's fds; the parent's
 *    registration still reports its event with its data, no spurious WAKE
 *    appears, and a timer added before the fork still fires.
 * 2. A parent thread blocked in repoll_wait across the fork and the child's
 *    close: it is not woken (no REPOLL_WAKE: the library skips the wake in a
 *    forked child) and returns exactly the event the parent then makes
 *    ready; the parent's timers still fire; again the child's repoll_close
 *    returns 0 and closes the child's copies. */
#include <sys/wait.h>

#include "check.h"

#define DATA_FD 0xF0F0F0F0F0F0F0F0ULL
#define DATA_T1 0x7111ULL
#define DATA_T2 0x7222ULL

/* Set when a child reported a failure: the parent's checks still run, and
 * the program fails at the end. */
static int child_failed;

/* Forks a child that closes `ep` and checks that exactly `handle_fds` of
 * its fds went with it; the parent checks the child's exit status. */
static void child_closes(repoll_t *ep, int handle_fds) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int before = count_open_fds();
        int rc = repoll_close(ep);
        int after = count_open_fds();
        if (rc != 0) {
            fprintf(stderr, "child: repoll_close == %d (%s)\n", rc, repoll_strerror(rc));
            _exit(2);
        }
        if (before - after != handle_fds) {
            fprintf(stderr, "child: repoll_close released %d of its %d fds (%d -> %d)\n",
                    before - after, handle_fds, before, after);
            _exit(3);
        }
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child %s %d\n", WIFEXITED(status) ? "exited with" : "killed by signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        CHECK(WIFEXITED(status)); /* a crash is fatal at once */
        child_failed = 1;
    }
}

int main(void) {
    (void)repoll_features();
    int fds_before = count_open_fds();
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, DATA_FD));
    int base = count_open_fds();
    uint64_t t1;
    /* Due after the child is gone. */
    int64_t t0 = now_ns();
    CHECK_OK(repoll_timer_add(ep, 300 * MS, 0, DATA_T1, &t1));
    int handle_fds = count_open_fds() - base + 2; /* + the epoll fd and the waker */

    /* --- 1. nothing in flight at the fork --- */
    child_closes(ep, handle_fds);
    repoll_event_t ev[8];
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0); /* no WAKE, nothing else */
    write_byte(sv[1]);
    expect_one_within(ep, DATA_FD, REPOLL_IN, 1000);
    char c;
    CHECK(read(sv[0], &c, 1) == 1);
    expect_one_within(ep, DATA_T1, REPOLL_TIMER, 5000); /* the timer added before the fork */
    CHECK(now_ns() - t0 >= 300 * MS);
    CHECK_OK(repoll_wake(ep)); /* and the parent's waker still works */
    expect_one_within(ep, 0, REPOLL_WAKE, 1000);
    puts("fork_child_close: child closed with nothing in flight: parent intact");

    /* --- 2. a parent thread blocked in a wait across the fork --- */
    uint64_t t2;
    t0 = now_ns();
    CHECK_OK(repoll_timer_add(ep, 1000 * MS, 0, DATA_T2, &t2));
    struct waiter w;
    start_waiter(&w, ep, WAIT_MS, -1);
    while (!atomic_load(&w.tid)) sleep_ns(1 * MS);
    sleep_ns(100 * MS); /* let it block in the kernel */
    CHECK(!atomic_load(&w.done));
    child_closes(ep, handle_fds);
    sleep_ns(200 * MS); /* time for a spurious wake to land */
    if (atomic_load(&w.done)) {
        fprintf(stderr, "the parent's waiter returned %d after the child's close:", w.result);
        for (int i = 0; i < w.result; i++)
            fprintf(stderr, " {%llx, %x}", (unsigned long long)w.ev[i].data, w.ev[i].events);
        fprintf(stderr, "\n");
        exit(1);
    }
    write_byte(sv[1]);
    join_waiter(&w);
    CHECK_EQ(w.result, 1);
    CHECK_EQ(w.ev[0].data, DATA_FD);
    CHECK_EQ(w.ev[0].events, REPOLL_IN);
    CHECK(read(sv[0], &c, 1) == 1);
    /* The timer added before the fork fires, once, when due. */
    expect_one_within(ep, DATA_T2, REPOLL_TIMER, 5000);
    CHECK(now_ns() - t0 >= 1000 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    puts("fork_child_close: child closed under a blocked parent wait: no wake, parent intact");

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
    CHECK_EQ(count_open_fds(), fds_before);
    if (child_failed) {
        fprintf(stderr, "fork_child_close: a child's repoll_close failed (see above)\n");
        return 1;
    }
    puts("fork_child_close: ok");
    return 0;
}
