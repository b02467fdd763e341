/* A storm of signals during waits: a thread sends SIGUSR1 to the waiting
 * thread with pthread_kill about every millisecond (a handler installed
 * without SA_RESTART), while fds become ready and timers expire.
 *
 * - Default handle: waits return -EINTR (the classic loop waits again) and
 *   no event is lost or repeated: every fd made ready during the storm and
 *   every timer is reported exactly once.
 * - REPOLL_RETRY_EINTR handle: never -EINTR; a 200 ms timed wait returns 0
 *   no earlier than 200 ms; blocking waits return the fd or timer event that
 *   ends them, never early. No upper time bound: a hang is caught by the
 *   watchdog, named by its phase. */
#include <limits.h>

#include "check.h"

#define N_FDS 64
#define N_TIMERS 16
#define FD_BASE 0xF00D000000000000ULL
#define TIMER_BASE 0x7133000000000000ULL

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is usable in a signal handler");
static atomic_int handled;

static void on_usr1(int signo) {
    (void)signo;
    atomic_fetch_add(&handled, 1);
}

static void sleep_until(int64_t deadline) {
    struct timespec ts = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* ---- the storm -------------------------------------------------------- */

static pthread_t target;
static atomic_int storm_stop;
static atomic_long storm_sent;

/* Starts a thread with SIGUSR1 blocked: only the waiter (the main thread)
 * is ever interrupted. */
static void spawn_blocked(pthread_t *t, void *(*fn)(void *), void *arg) {
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(pthread_sigmask(SIG_BLOCK, &usr1, &old) == 0);
    CHECK(pthread_create(t, NULL, fn, arg) == 0);
    CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
}

static void *storm(void *arg) {
    (void)arg;
    int64_t next = now_ns();
    while (!atomic_load(&storm_stop)) {
        CHECK(pthread_kill(target, SIGUSR1) == 0);
        atomic_fetch_add(&storm_sent, 1);
        next += 1 * MS; /* ~1 kHz, on a fixed schedule */
        sleep_until(next);
    }
    return NULL;
}

/* ---- the maker: makes fds ready on a schedule -------------------------- */

struct maker {
    pthread_t thread;
    const int *fds;  /* write ends */
    int count;
    int64_t start, step;
};

static void *maker_main(void *arg) {
    struct maker *m = arg;
    for (int i = 0; i < m->count; i++) {
        sleep_until(m->start + (i + 1) * m->step);
        write_byte(m->fds[i]);
    }
    return NULL;
}

static void start_maker(struct maker *m, const int *fds, int count, int64_t step) {
    m->fds = fds;
    m->count = count;
    m->start = now_ns();
    m->step = step;
    spawn_blocked(&m->thread, maker_main, m);
}

/* ---- part 1: default handle ------------------------------------------- */

static void default_handle_loses_nothing(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int rd[N_FDS], wr[N_FDS];
    for (int i = 0; i < N_FDS; i++) {
        int sv[2];
        make_pair(sv);
        rd[i] = sv[0];
        wr[i] = sv[1];
        CHECK_OK(repoll_add(ep, rd[i], REPOLL_IN, FD_BASE + (uint64_t)i));
    }
    /* Timers due every 20 ms during the storm. */
    for (int j = 0; j < N_TIMERS; j++) {
        uint64_t id;
        CHECK_OK(repoll_timer_add(ep, (j + 1) * 20 * MS, 0, TIMER_BASE + (uint64_t)j, &id));
    }
    int fd_seen[N_FDS] = {0}, timer_seen[N_TIMERS] = {0};
    int fds_left = N_FDS, timers_left = N_TIMERS;
    long eintrs = 0, waits = 0;
    int h0 = atomic_load(&handled);

    struct maker m;
    start_maker(&m, wr, N_FDS, 5 * MS); /* one fd every 5 ms */
    int64_t t0 = now_ns();
    repoll_event_t ev[8];
    while (fds_left > 0 || timers_left > 0) {
        if (now_ns() - t0 > 30000 * MS) {
            fprintf(stderr, "still %d fds and %d timers unreported after 30 s\n", fds_left,
                    timers_left);
            exit(1);
        }
        int n;
        switch (waits++ % 4) { /* every kind of wait, all of them blocking */
        case 0: n = repoll_wait(ep, ev, 8, -1); break;
        case 1: n = repoll_wait(ep, ev, 8, 1000); break;
        case 2: n = repoll_wait_ns(ep, ev, 8, -1); break;
        default: n = repoll_wait_ns(ep, ev, 8, INT64_MAX); break;
        }
        if (n == -EINTR) {
            eintrs++;
            continue; /* the classic loop */
        }
        CHECK(n >= 0 && n <= 8);
        for (int k = 0; k < n; k++) {
            CHECK_EQ(ev[k].reserved, 0);
            if (ev[k].events == REPOLL_TIMER) {
                uint64_t j = ev[k].data - TIMER_BASE;
                CHECK(j < N_TIMERS);
                CHECK_EQ(timer_seen[j], 0);
                timer_seen[j] = 1;
                timers_left--;
                continue;
            }
            CHECK_EQ(ev[k].events, REPOLL_IN);
            uint64_t i = ev[k].data - FD_BASE;
            CHECK(i < N_FDS);
            CHECK_EQ(fd_seen[i], 0);
            fd_seen[i] = 1;
            fds_left--;
            char c;
            CHECK(read(rd[i], &c, 1) == 1); /* drained: never reported again */
        }
    }
    CHECK(pthread_join(m.thread, NULL) == 0);
    /* Nothing more: no event was reported twice or invented. (A poll: a
     * timed wait would restart its full timeout after each -EINTR, and the
     * storm never lets one finish.) */
    int n;
    while ((n = repoll_wait(ep, ev, 8, 0)) == -EINTR) eintrs++;
    CHECK_EQ(n, 0);
    int during = atomic_load(&handled) - h0;
    printf("signal_storm: default handle: %d fds and %d timers reported once each, "
           "%ld waits, %ld -EINTR, %d handler runs\n",
           N_FDS, N_TIMERS, waits, eintrs, during);
    CHECK(eintrs > 0);  /* the storm really interrupted waits */
    CHECK(during > 0);
    CHECK_OK(repoll_close(ep));
    for (int i = 0; i < N_FDS; i++) {
        close(rd[i]);
        close(wr[i]);
    }
}

/* ---- part 2: REPOLL_RETRY_EINTR --------------------------------------- */

/* A timed wait with nothing ready: 0 events, never -EINTR, never early. */
static void timed_wait_is_never_cut_short(repoll_t *ep, int use_ns, int *interrupted) {
    repoll_event_t ev[8];
    int h0 = atomic_load(&handled);
    int64_t t0 = now_ns();
    int n = use_ns ? repoll_wait_ns(ep, ev, 8, 200 * MS) : repoll_wait(ep, ev, 8, 200);
    int64_t elapsed = now_ns() - t0;
    if (n != 0 || elapsed < 200 * MS) {
        fprintf(stderr, "retry handle, %s(200 ms): %d after %.3f ms\n",
                use_ns ? "repoll_wait_ns" : "repoll_wait", n, elapsed / 1e6);
        exit(1);
    }
    *interrupted += atomic_load(&handled) - h0;
}

static void retry_handle_never_returns_eintr(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC | REPOLL_RETRY_EINTR);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 0x5151));
    repoll_event_t ev[8];
    int interrupted = 0;

    for (int i = 0; i < 4; i++) timed_wait_is_never_cut_short(ep, i % 2, &interrupted);
    /* With a timer source in use (a far one), waits go through the loop
     * that also services timers: same rules. */
    uint64_t far;
    CHECK_OK(repoll_timer_add(ep, 3600000 * MS, 0, 0xFA4, &far));
    for (int i = 0; i < 4; i++) timed_wait_is_never_cut_short(ep, i % 2, &interrupted);
    CHECK(interrupted > 0); /* the handler really ran during those waits */

    /* Blocking waits end with the event that ends them, never with -EINTR. */
    for (int use_ns = 0; use_ns < 2; use_ns++) {
        struct maker m;
        start_maker(&m, &sv[1], 1, 300 * MS); /* writes at m.start + 300 ms */
        int n = use_ns ? repoll_wait_ns(ep, ev, 8, -1) : repoll_wait(ep, ev, 8, -1);
        int64_t elapsed = now_ns() - m.start;
        CHECK(pthread_join(m.thread, NULL) == 0);
        CHECK_EQ(n, 1);
        CHECK_EQ(ev[0].data, 0x5151);
        CHECK_EQ(ev[0].events, REPOLL_IN);
        if (elapsed < 300 * MS) {
            fprintf(stderr, "retry handle, blocking wait: the event came %.3f ms after the "
                    "start, it was made ready at 300 ms\n", elapsed / 1e6);
            exit(1);
        }
        char c;
        CHECK(read(sv[0], &c, 1) == 1);

        uint64_t id;
        int64_t t0 = now_ns();
        CHECK_OK(repoll_timer_add(ep, 200 * MS, 0, 0x7777, &id));
        n = use_ns ? repoll_wait_ns(ep, ev, 8, INT64_MAX) : repoll_wait(ep, ev, 8, INT_MAX);
        elapsed = now_ns() - t0;
        CHECK_EQ(n, 1);
        CHECK_EQ(ev[0].data, 0x7777);
        CHECK_EQ(ev[0].events, REPOLL_TIMER);
        if (elapsed < 200 * MS) {
            fprintf(stderr, "retry handle: a 200 ms timer was reported after %.3f ms\n",
                    elapsed / 1e6);
            exit(1);
        }
    }
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    printf("signal_storm: retry handle: no -EINTR, no early return, %d handler runs "
           "during the timed waits\n", interrupted);
    CHECK_OK(repoll_timer_cancel(ep, far));
    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    int fds_before = count_open_fds();

    target = pthread_self();
    pthread_t storm_thread;
    spawn_blocked(&storm_thread, storm, NULL);

    start_watchdog("signal_storm", 100);
    watchdog_phase = "default handle";
    default_handle_loses_nothing();
    watchdog_phase = "REPOLL_RETRY_EINTR handle";
    retry_handle_never_returns_eintr();

    atomic_store(&storm_stop, 1);
    CHECK(pthread_join(storm_thread, NULL) == 0);
    printf("signal_storm: %ld signals sent, %d handled\n", atomic_load(&storm_sent),
           atomic_load(&handled));
    CHECK_EQ(count_open_fds(), fds_before);
    puts("signal_storm: ok");
    return 0;
}
