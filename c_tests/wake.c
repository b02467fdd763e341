/* repoll_wake: one {0, REPOLL_WAKE} event for a blocked or the next wait,
 * wakes coalesce, it works from a signal handler and beside fd events, and a
 * wake in flight while repoll_close runs is harmless (0 or -EBADF, no leak). */
#include <sched.h>

#include "check.h"


/* --- a wake from another thread ends a wait blocked with timeout -1 --- */

struct waker_arg {
    repoll_t *ep;
    int64_t delay_ns;
    int64_t woke_at;
    int rc;
};

static void *delayed_waker(void *p) {
    struct waker_arg *a = p;
    sleep_ns(a->delay_ns);
    a->woke_at = now_ns();
    a->rc = repoll_wake(a->ep);
    return NULL;
}

static void wake_from_another_thread(void) {
    watchdog_phase = "wake from another thread";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    memset(ev, 0xAB, sizeof ev);
    struct waker_arg a = {.ep = ep, .delay_ns = 50 * MS, .rc = 1};
    pthread_t t;
    int64_t t0 = now_ns();
    CHECK(pthread_create(&t, NULL, delayed_waker, &a) == 0);
    CHECK_EQ(repoll_wait(ep, ev, 8, -1), 1); /* exactly one event */
    int64_t returned = now_ns();
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(a.rc);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK(returned - t0 >= 50 * MS);  /* not before the wake was made */
    CHECK(returned >= a.woke_at);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0); /* consumed: no second event */

    /* The same through repoll_wait_ns with an infinite timeout. */
    a = (struct waker_arg){.ep = ep, .delay_ns = 20 * MS, .rc = 1};
    CHECK(pthread_create(&t, NULL, delayed_waker, &a) == 0);
    CHECK_EQ(repoll_wait_ns(ep, ev, 8, -1), 1);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_OK(a.rc);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK_EQ(repoll_wait_ns(ep, ev, 8, 0), 0);
    CHECK_OK(repoll_close(ep));
}

/* --- a wake with no waiter is kept for the next wait; wakes coalesce --- */

static void pending_and_coalescing(void) {
    watchdog_phase = "pending and coalescing";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];

    CHECK_OK(repoll_wake(ep));
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 1); /* even a poll sees it */
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    /* Kept across time: a wake made 30 ms before the wait still counts. */
    CHECK_OK(repoll_wake(ep));
    sleep_ns(30 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    check_event(&ev[0], 0, REPOLL_WAKE);

    /* Many wakes before a wait: one event, then nothing. */
    for (int i = 0; i < 10000; i++) CHECK_OK(repoll_wake(ep));
    memset(ev, 0xAB, sizeof ev);
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK_EQ(ev[1].data, 0xABABABABABABABABull); /* nothing else written */
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    CHECK_EQ(repoll_wait(ep, ev, 8, 20), 0);

    /* maxevents = 1 is room enough for the wake. */
    CHECK_OK(repoll_wake(ep));
    CHECK_OK(repoll_wake(ep));
    CHECK_EQ(repoll_wait(ep, ev, 1, 1000), 1);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK_EQ(repoll_wait(ep, ev, 1, 0), 0);
    CHECK_OK(repoll_close(ep));
}

/* --- from a signal handler --- */

static repoll_t *_Atomic handler_ep;
static volatile sig_atomic_t handler_rc = 1, handler_runs;

static void on_usr1(int sig) {
    (void)sig;
    handler_rc = repoll_wake(atomic_load(&handler_ep));
    handler_runs++;
}

static void *kill_thread_later(void *p) {
    sleep_ns(50 * MS);
    CHECK(pthread_kill(*(pthread_t *)p, SIGUSR1) == 0);
    return NULL;
}

static void wake_from_signal_handler(void) {
    watchdog_phase = "wake from a signal handler";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    repoll_event_t ev[8];

    /* raise() runs the handler before it returns; the next wait sees it. */
    repoll_t *ep = make_poller(0);
    atomic_store(&handler_ep, ep);
    CHECK(raise(SIGUSR1) == 0);
    CHECK_EQ(handler_runs, 1);
    CHECK_OK(handler_rc);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 1);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    /* The handler interrupts a wait blocked in this thread: the classic loop
     * (-EINTR: call again) then gets the wake. */
    pthread_t self = pthread_self(), t;
    handler_rc = 1;
    CHECK(pthread_create(&t, NULL, kill_thread_later, &self) == 0);
    int n;
    int eintr = 0;
    while ((n = repoll_wait(ep, ev, 8, -1)) == -EINTR) eintr++;
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ(n, 1);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK(eintr <= 1);
    CHECK_EQ(handler_runs, 2);
    CHECK_OK(handler_rc);
    CHECK_OK(repoll_close(ep));

    /* With REPOLL_RETRY_EINTR the same wait returns the wake directly. */
    ep = make_poller(REPOLL_RETRY_EINTR);
    atomic_store(&handler_ep, ep);
    handler_rc = 1;
    CHECK(pthread_create(&t, NULL, kill_thread_later, &self) == 0);
    CHECK_EQ(repoll_wait(ep, ev, 8, -1), 1);
    CHECK(pthread_join(t, NULL) == 0);
    check_event(&ev[0], 0, REPOLL_WAKE);
    CHECK_EQ(handler_runs, 3);
    CHECK_OK(handler_rc);
    atomic_store(&handler_ep, NULL);
    CHECK_OK(repoll_close(ep));

    sa.sa_handler = SIG_DFL;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
}

/* --- wake and fd events in one wait: the caller's fds first --- */

static void wake_with_fd_events(void) {
    watchdog_phase = "wake with fd events";
    repoll_t *ep = make_poller(0);
    repoll_event_t ev[8];
    int sv[3][2];
    for (int i = 0; i < 3; i++) {
        make_pair(sv[i]);
        CHECK_OK(repoll_add(ep, sv[i][0], REPOLL_IN, 100 + i));
    }
    write_byte(sv[0][1]);
    CHECK_OK(repoll_wake(ep));
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 2);
    CHECK_EQ(ev[0].data, 100);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    check_event(&ev[1], 0, REPOLL_WAKE);

    /* Three ready fds and a wake: the fds (any order), then the wake. */
    write_byte(sv[1][1]);
    write_byte(sv[2][1]);
    CHECK_OK(repoll_wake(ep));
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 4);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(ev[i].data >= 100 && ev[i].data <= 102);
        CHECK_EQ(ev[i].events, REPOLL_IN);
        seen |= 1 << (ev[i].data - 100);
    }
    CHECK_EQ(seen, 7);
    check_event(&ev[3], 0, REPOLL_WAKE);

    /* With room for one event at a time, nothing is lost: within two waits
     * the (still readable) fd and the wake are both reported. */
    for (int i = 1; i < 3; i++) CHECK_OK(repoll_delete(ep, sv[i][0]));
    CHECK_OK(repoll_wake(ep));
    int fd_seen = 0, wake_seen = 0;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(repoll_wait(ep, ev, 1, 1000), 1);
        if (ev[0].events == REPOLL_WAKE) {
            check_event(&ev[0], 0, REPOLL_WAKE);
            wake_seen++;
        } else {
            CHECK_EQ(ev[0].data, 100);
            CHECK_EQ(ev[0].events, REPOLL_IN);
            fd_seen++;
        }
    }
    CHECK_EQ(wake_seen, 1);
    CHECK_EQ(fd_seen, 1);
    /* Only the level-triggered fd remains. */
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 1);
    CHECK_EQ(ev[0].data, 100);

    CHECK_OK(repoll_close(ep));
    for (int i = 0; i < 3; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
}

/* --- a wake in flight while repoll_close runs ---
 *
 * The contract allows a call that is already inside the library when
 * repoll_close runs; a call that may *start* after the close is the caller's
 * bug. To make "inside" certain rather than likely, this program defines its
 * own write(2): the dynamic linker binds the library's write to it, and in
 * the thread marked `park_my_write` the first write (the wake's eventfd
 * write) parks until released. repoll_close then runs while the wake is
 * certainly in flight, either completely before the wake goes on, or racing
 * it (released just before the close, after a random spin). */

static __thread int park_my_write;
static atomic_int parked, release_parked;

ssize_t write(int fd, const void *buf, size_t n) {
    if (park_my_write) {
        park_my_write = 0;
        atomic_store(&parked, 1);
        int64_t t0 = now_ns();
        while (!atomic_load(&release_parked)) {
            if (now_ns() - t0 > 10000 * MS) {
                static const char msg[] = "wake: parked write never released\n";
                syscall(SYS_write, 2, msg, sizeof msg - 1);
                _exit(1);
            }
            sched_yield();
        }
    }
    return syscall(SYS_write, fd, buf, n);
}

struct parked_arg {
    repoll_t *ep;
    int rc;
};

static void *parked_waker(void *p) {
    struct parked_arg *a = p;
    park_my_write = 1;
    a->rc = repoll_wake(a->ep);
    CHECK(park_my_write == 0); /* the wake really went through write() */
    return NULL;
}

static void wake_in_flight_during_close(void) {
    watchdog_phase = "wake in flight during close";
    const int fds_before = count_open_fds();
    unsigned seed = 12345;
    int ok = 0, ebadf = 0;
    for (int iter = 0; iter < 300; iter++) {
        repoll_t *ep = make_poller(0);
        const int fds_open = count_open_fds();
        CHECK(fds_open > fds_before);
        atomic_store(&parked, 0);
        atomic_store(&release_parked, 0);
        struct parked_arg a = {.ep = ep, .rc = 1};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, parked_waker, &a) == 0);
        int64_t t0 = now_ns();
        while (!atomic_load(&parked)) {
            if (now_ns() - t0 > 10000 * MS) {
                fprintf(stderr, "repoll_wake never called write(2) (or is stuck before it): "
                                "this test's way of holding a wake in flight needs it\n");
                exit(1);
            }
            sched_yield();
        }
        /* The wake is inside the library now: closing is defined. */
        if (iter % 2 == 0) {
            /* Close entirely before the wake continues: the handle must
             * survive for it (its fds are still open), and be released when
             * it returns. */
            CHECK_OK(repoll_close(ep));
            CHECK_EQ(count_open_fds(), fds_open);
            atomic_store(&release_parked, 1);
        } else {
            /* Race the close with the end of the wake: either may be the
             * last one out and release the handle. */
            atomic_store(&release_parked, 1);
            for (volatile unsigned spin = rand_r(&seed) % 20000; spin > 0; spin--) {
            }
            CHECK_OK(repoll_close(ep));
        }
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(a.rc == 0 || a.rc == -EBADF);
        if (a.rc == 0) ok++;
        else ebadf++;
        CHECK_EQ(count_open_fds(), fds_before); /* released, nothing leaked */
    }
    printf("wake in flight during close: %d returned 0, %d -EBADF\n", ok, ebadf);
}

int main(void) {
    start_watchdog("wake", 60);
    wake_from_another_thread();
    pending_and_coalescing();
    wake_from_signal_handler();
    wake_with_fd_events();
    wake_in_flight_during_close();
    puts("wake: ok");
    return 0;
}
