/* Signal misuse: -EINVAL (bad numbers, KILL, STOP, glibc's 32 and 33, NULL),
 * -EEXIST (second add; first data kept), -ENOENT (delete of what is not
 * added); every other signal 1..SIGRTMAX can be added, reported and deleted. */
#include <signal.h>

#include "check.h"

/* glibc keeps the signals from 32 up to (not including) SIGRTMIN for its
 * threads implementation; sigaddset refuses them. */
static int reserved(int signo) {
    return signo >= 32 && signo < SIGRTMIN;
}

static int consume_if_pending(int signo) {
    sigset_t set;
    CHECK(sigpending(&set) == 0);
    if (sigismember(&set, signo) != 1) return 0;
    sigemptyset(&set);
    sigaddset(&set, signo);
    struct timespec zero = {0, 0};
    CHECK_EQ(sigtimedwait(&set, NULL, &zero), signo);
    return 1;
}

int main(void) {
    /* Block everything first (SIGKILL and SIGSTOP cannot be), so that no
     * signal sent below is delivered the ordinary way. */
    sigset_t all;
    sigfillset(&all);
    CHECK(pthread_sigmask(SIG_BLOCK, &all, NULL) == 0);

    const int fds_start = count_open_fds();
    repoll_t *ep = make_poller(0);
    const int fds_handle = count_open_fds();
    repoll_event_t ev[8];

    /* Invalid numbers, before any signal was added and after. */
    const int invalid[] = {0, -1, -64, 65, 66, 1000, 1 << 30, -2147483647 - 1, SIGKILL, SIGSTOP,
                           32, 33};
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
            CHECK_EQ(repoll_signal_add(ep, invalid[i], 1), -EINVAL);
        if (round == 0) {
            CHECK_EQ(count_open_fds(), fds_handle); /* failed adds created nothing */
            CHECK_OK(repoll_signal_add(ep, SIGUSR2, 2));
            CHECK_EQ(count_open_fds(), fds_handle + 1); /* one signalfd */
        }
    }
    CHECK_EQ(repoll_signal_add(NULL, SIGUSR1, 1), -EINVAL);
    CHECK_EQ(repoll_signal_add(NULL, 0, 1), -EINVAL);
    CHECK_EQ(repoll_signal_delete(NULL, SIGUSR2), -EINVAL);
    CHECK_EQ(repoll_signal_delete(NULL, 0), -EINVAL);
    const int bad_numbers[] = {0, -1, 65, 1000, -2147483647 - 1};
    for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++)
        CHECK_EQ(repoll_signal_delete(ep, bad_numbers[i]), -EINVAL);
    /* Numbers that add refuses, delete refuses the same way. */
    const int never[] = {SIGKILL, SIGSTOP, 32, 33};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        CHECK_EQ(repoll_signal_delete(ep, never[i]), -EINVAL);

    /* -EEXIST for a second add; the first registration's data is kept. */
    CHECK_OK(repoll_signal_add(ep, SIGUSR1, 11));
    CHECK_EQ(repoll_signal_add(ep, SIGUSR1, 22), -EEXIST);
    CHECK_EQ(repoll_signal_add(ep, SIGUSR1, 11), -EEXIST);
    CHECK_EQ(repoll_signal_add(ep, SIGUSR2, 22), -EEXIST);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(kill(getpid(), SIGUSR2) == 0);
    int got_usr1 = 0, got_usr2 = 0;
    for (int total = 0; total < 2;) {
        int n = repoll_wait(ep, ev, 8, 1000);
        CHECK(n > 0);
        for (int i = 0; i < n; i++) {
            CHECK_EQ(ev[i].events, REPOLL_SIGNAL);
            CHECK(ev[i].data == 11 || ev[i].data == 2);
            if (ev[i].data == 11) got_usr1++;
            else got_usr2++;
        }
        total += n;
    }
    CHECK(got_usr1 == 1 && got_usr2 == 1);

    /* -ENOENT: never added, or deleted twice. */
    CHECK_EQ(repoll_signal_delete(ep, SIGHUP), -ENOENT);
    CHECK_EQ(repoll_signal_delete(ep, SIGRTMAX), -ENOENT);
    CHECK_OK(repoll_signal_delete(ep, SIGUSR1));
    CHECK_EQ(repoll_signal_delete(ep, SIGUSR1), -ENOENT);
    CHECK_OK(repoll_signal_delete(ep, SIGUSR2));
    CHECK_EQ(repoll_signal_delete(ep, SIGUSR2), -ENOENT);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    /* Every signal 1..SIGRTMAX except SIGKILL, SIGSTOP and the reserved ones
     * can be added (data = its number); the rest are -EINVAL. */
    int added = 0;
    for (int s = 1; s <= SIGRTMAX; s++) {
        int expected = s == SIGKILL || s == SIGSTOP || reserved(s) ? -EINVAL : 0;
        int rc = repoll_signal_add(ep, s, (uint64_t)s);
        if (rc != expected) {
            fprintf(stderr, "repoll_signal_add(%d) == %d (%s), expected %d\n", s, rc,
                    repoll_strerror(rc), expected);
            exit(1);
        }
        added += rc == 0;
    }
    CHECK_EQ(added, SIGRTMAX - 2 - (SIGRTMIN - 32));
    CHECK_EQ(count_open_fds(), fds_handle + 1); /* still the one signalfd */

    /* A few of them, sent now, come back with their own data. (Not
     * SIGRTMAX itself: valgrind keeps that one for itself.) */
    const int sample[] = {SIGHUP, SIGTERM, SIGCHLD, SIGWINCH, SIGRTMIN + 1, SIGRTMAX - 1};
    const int n_sample = (int)(sizeof sample / sizeof sample[0]);
    for (int i = 0; i < n_sample; i++) CHECK(kill(getpid(), sample[i]) == 0);
    int got[65] = {0};
    for (int total = 0; total < n_sample;) {
        int n = repoll_wait(ep, ev, 8, 1000);
        CHECK(n > 0);
        for (int i = 0; i < n; i++) {
            CHECK_EQ(ev[i].events, REPOLL_SIGNAL);
            CHECK(ev[i].data >= 1 && ev[i].data <= 64);
            got[ev[i].data]++;
        }
        total += n;
    }
    for (int i = 0; i < n_sample; i++) CHECK_EQ(got[sample[i]], 1);
    CHECK_EQ(repoll_wait(ep, ev, 8, 30), 0);

    /* All deleted, each once. */
    for (int s = 1; s <= SIGRTMAX; s++) {
        int expected = s == SIGKILL || s == SIGSTOP || reserved(s) ? -1 : 0;
        int rc = repoll_signal_delete(ep, s);
        if (expected == 0) CHECK_OK(rc);
        else CHECK_EQ(rc, -EINVAL);
        if (expected == 0) CHECK_EQ(repoll_signal_delete(ep, s), -ENOENT);
    }

    /* Deleted: a signal sent now is not reported and stays pending. */
    CHECK(kill(getpid(), SIGHUP) == 0);
    CHECK_EQ(repoll_wait(ep, ev, 8, 30), 0);
    CHECK_EQ(consume_if_pending(SIGHUP), 1);

    CHECK_OK(repoll_close(ep));
    CHECK_EQ(count_open_fds(), fds_start);
    /* The process is left clean: nothing pending. */
    for (int s = 1; s <= SIGRTMAX; s++) {
        if (s == SIGKILL || s == SIGSTOP || reserved(s)) continue;
        if (consume_if_pending(s)) {
            fprintf(stderr, "signal %d was left pending\n", s);
            exit(1);
        }
    }
    puts("signal_errors: ok");
    return 0;
}
