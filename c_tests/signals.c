/* Signals added to a handle come back as {data, REPOLL_SIGNAL}: pending ones
 * at the next wait, standard ones coalesced, real-time ones each, waking a
 * wait blocked in another thread; delete stops that and leaves them pending. */

#include "check.h"


static void send_self(int signo) {
    CHECK(kill(getpid(), signo) == 0);
}

static int is_pending(int signo) {
    sigset_t set;
    CHECK(sigpending(&set) == 0);
    return sigismember(&set, signo) == 1;
}

/* Takes one pending instance of `signo` off the process or this thread. */
static void consume(int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    struct timespec zero = {0, 0};
    CHECK_EQ(sigtimedwait(&set, NULL, &zero), signo);
}

static void pending_coalesced_queued(void) {
    watchdog_phase = "pending, coalesced, queued";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    CHECK_OK(repoll_signal_add(ep, SIGUSR1, 7));

    /* Sent while no wait runs: the next wait reports it, even a poll. */
    send_self(SIGUSR1);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 1);
    check_event(&ev[0], 7, REPOLL_SIGNAL);
    CHECK(!is_pending(SIGUSR1)); /* taken, not left behind */
    CHECK_EQ(repoll_wait(ep, ev, 8, 30), 0);

    /* Kept while time passes. */
    send_self(SIGUSR1);
    sleep_ns(30 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    check_event(&ev[0], 7, REPOLL_SIGNAL);

    /* Two instances of a standard signal before a wait: one event. */
    send_self(SIGUSR1);
    send_self(SIGUSR1);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    check_event(&ev[0], 7, REPOLL_SIGNAL);
    CHECK_EQ(repoll_wait(ep, ev, 8, 50), 0);

    /* Three instances of a real-time signal: three events. */
    CHECK_OK(repoll_signal_add(ep, SIGRTMIN, 9));
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) send_self(SIGRTMIN);
        int max = round == 0 ? 8 : 1; /* all at once, then one per wait */
        int got = 0;
        while (got < 3) {
            int n = repoll_wait(ep, ev + got, max, 1000);
            CHECK(n >= 1 && n <= max);
            got += n;
        }
        CHECK_EQ(got, 3);
        for (int i = 0; i < 3; i++) check_event(&ev[i], 9, REPOLL_SIGNAL);
        CHECK_EQ(repoll_wait(ep, ev, 8, 50), 0);
    }
    CHECK(!is_pending(SIGRTMIN));
    CHECK_OK(repoll_close(ep));
}

static void wakes_a_blocked_wait(void) {
    watchdog_phase = "signal wakes a blocked wait";
    repoll_t *ep = make_poller(0);
    CHECK_OK(repoll_signal_add(ep, SIGUSR2, 8));
    struct waiter w;

    /* Sent to the process by this thread; the waiter is another thread. */
    start_waiter(&w, ep, WAIT_MS, -1);
    sleep_ns(50 * MS);
    int64_t sent_at = now_ns();
    send_self(SIGUSR2);
    CHECK(pthread_join(w.thread, NULL) == 0);
    CHECK_EQ(w.result, 1);
    check_event(&w.ev[0], 8, REPOLL_SIGNAL);
    CHECK(w.returned_at >= sent_at);

    /* The same with a long positive timeout. */
    start_waiter(&w, ep, WAIT_MS, 10000);
    sleep_ns(50 * MS);
    send_self(SIGUSR2);
    CHECK(pthread_join(w.thread, NULL) == 0);
    CHECK_EQ(w.result, 1);
    check_event(&w.ev[0], 8, REPOLL_SIGNAL);

    /* Directed at the waiting thread itself: reported. */
    start_waiter(&w, ep, WAIT_MS, -1);
    sleep_ns(50 * MS);
    CHECK(pthread_kill(w.thread, SIGUSR2) == 0);
    CHECK(pthread_join(w.thread, NULL) == 0);
    CHECK_EQ(w.result, 1);
    check_event(&w.ev[0], 8, REPOLL_SIGNAL);

    /* Directed at a thread that does not wait (this one): not the waiter's
     * to report (see repoll_signal_add); it stays pending for this thread. */
    start_waiter(&w, ep, WAIT_MS, 100);
    sleep_ns(20 * MS);
    CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0);
    CHECK(pthread_join(w.thread, NULL) == 0);
    CHECK_EQ(w.result, 0);
    CHECK(is_pending(SIGUSR2));
    consume(SIGUSR2);
    CHECK(!is_pending(SIGUSR2));
    CHECK_OK(repoll_close(ep));
}

static void delete_stops_reporting(void) {
    watchdog_phase = "delete";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    CHECK_OK(repoll_signal_add(ep, SIGUSR1, 7));
    CHECK_OK(repoll_signal_add(ep, SIGUSR2, 8));
    CHECK_OK(repoll_signal_delete(ep, SIGUSR1));

    /* Deleted: not reported, and left pending (the mask is the caller's). */
    send_self(SIGUSR1);
    CHECK_EQ(repoll_wait(ep, ev, 8, 50), 0);
    CHECK(is_pending(SIGUSR1));
    /* Adding it again reports the instance that waited meanwhile, with the
     * new data. */
    CHECK_OK(repoll_signal_add(ep, SIGUSR1, 70));
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    check_event(&ev[0], 70, REPOLL_SIGNAL);
    CHECK(!is_pending(SIGUSR1));

    /* Deleted again, sent again: consumed by hand, so the process is clean. */
    CHECK_OK(repoll_signal_delete(ep, SIGUSR1));
    send_self(SIGUSR1);
    CHECK_EQ(repoll_wait(ep, ev, 8, 50), 0);
    CHECK(is_pending(SIGUSR1));
    consume(SIGUSR1);
    CHECK(!is_pending(SIGUSR1));

    /* The other signal still works. */
    send_self(SIGUSR2);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    check_event(&ev[0], 8, REPOLL_SIGNAL);
    CHECK_OK(repoll_close(ep));
}

static void two_handles(void) {
    watchdog_phase = "two handles";
    repoll_t *a = make_poller(0), *b = make_poller(0);
    repoll_event_t ev[8];
    CHECK_OK(repoll_signal_add(a, SIGUSR1, 1));
    CHECK_OK(repoll_signal_add(b, SIGUSR2, 2));
    send_self(SIGUSR1);
    send_self(SIGUSR2);
    CHECK_EQ(repoll_wait(a, ev, 8, 1000), 1);
    check_event(&ev[0], 1, REPOLL_SIGNAL);
    CHECK_EQ(repoll_wait(b, ev, 8, 1000), 1);
    check_event(&ev[0], 2, REPOLL_SIGNAL);
    CHECK_EQ(repoll_wait(a, ev, 8, 30), 0);
    CHECK_EQ(repoll_wait(b, ev, 8, 30), 0);

    /* In the other order, and each handle sees only its own signal. */
    send_self(SIGUSR2);
    send_self(SIGUSR1);
    CHECK_EQ(repoll_wait(b, ev, 8, 1000), 1);
    check_event(&ev[0], 2, REPOLL_SIGNAL);
    CHECK_EQ(repoll_wait(a, ev, 8, 1000), 1);
    check_event(&ev[0], 1, REPOLL_SIGNAL);
    CHECK_OK(repoll_close(a));
    CHECK_OK(repoll_close(b));
}

/* A ready fd, an expired timer, a pending signal and a wake: one wait
 * reports all four, the caller's fd first. */
static void all_sources_in_one_wait(void) {
    watchdog_phase = "all sources in one wait";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 42));
    CHECK_OK(repoll_signal_add(ep, SIGUSR1, 7));
    uint64_t id;
    CHECK_OK(repoll_timer_add(ep, 1 * MS, 0, 77, &id));
    write_byte(sv[1]);
    send_self(SIGUSR1);
    CHECK_OK(repoll_wake(ep));
    sleep_ns(20 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 4);
    CHECK_EQ(ev[0].data, 42);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    int got_signal = 0, got_timer = 0, got_wake = 0;
    for (int i = 1; i < 4; i++) {
        CHECK_EQ(ev[i].reserved, 0);
        if (ev[i].events == REPOLL_SIGNAL) {
            CHECK_EQ(ev[i].data, 7);
            got_signal++;
        } else if (ev[i].events == REPOLL_TIMER) {
            CHECK_EQ(ev[i].data, 77);
            got_timer++;
        } else {
            CHECK_EQ(ev[i].events, REPOLL_WAKE);
            CHECK_EQ(ev[i].data, 0);
            got_wake++;
        }
    }
    CHECK(got_signal == 1 && got_timer == 1 && got_wake == 1);
    /* Only the level-triggered fd is left. */
    CHECK_EQ(repoll_wait(ep, ev, 8, 30), 1);
    CHECK_EQ(ev[0].data, 42);
    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    /* Before any thread exists, so that every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0);
    start_watchdog("signals", 60);

    pending_coalesced_queued();
    wakes_a_blocked_wait();
    delete_stops_reporting();
    two_handles();
    all_sources_in_one_wait();

    /* Nothing left behind. */
    CHECK(!is_pending(SIGUSR1));
    CHECK(!is_pending(SIGUSR2));
    CHECK(!is_pending(SIGRTMIN));
    puts("signals: ok");
    return 0;
}
