/* Timers under load: 50 000 one-shots arrive exactly once each, never early,
 * in deadline order, while a busy fd shares the waits; interval timers stay
 * within their schedule while another thread adds and cancels timers. */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

/* A small deterministic generator, so a failure reproduces. */
static uint64_t lcg(uint64_t *seed) {
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 33;
}

/* --- part 1: 50 000 one-shot timers and a busy socket --- */

#define N_TIMERS 50000
#define FD_DATA 0xFDFDFDFDFDFDFDFDull

/* Timer i's deadline is known to lie in [lo[i], hi[i]]: its delay added to
 * the clock read just before and just after its repoll_timer_add. */
static int64_t lo[N_TIMERS], hi[N_TIMERS];
static int seen[N_TIMERS];
static repoll_event_t ev[4096];

struct busy {
    int fd;
    atomic_int stop, wrote_first;
    long written;
};

static void *busy_writer(void *p) {
    struct busy *b = p;
    while (!atomic_load(&b->stop)) {
        char c = 'b';
        ssize_t n = write(b->fd, &c, 1);
        if (n == 1) {
            b->written++;
            atomic_store(&b->wrote_first, 1);
        } else {
            CHECK(n == -1 && errno == EAGAIN); /* buffer full: let it drain */
        }
        sleep_ns(50000);
    }
    return NULL;
}

static void many_one_shots_with_busy_fd(void) {
    repoll_t *ep = make_poller(0);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, FD_DATA));
    struct busy b = {.fd = sv[1]};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, busy_writer, &b) == 0);
    int64_t t0 = now_ns();
    while (!atomic_load(&b.wrote_first)) { /* so an fd event is certain */
        CHECK(now_ns() - t0 < 10000 * MS);
        sleep_ns(100000);
    }

    uint64_t seed = 42;
    for (int i = 0; i < N_TIMERS; i++) {
        int64_t first = (int64_t)(lcg(&seed) % (200 * MS));
        uint64_t id;
        lo[i] = now_ns() + first;
        CHECK_OK(repoll_timer_add(ep, first, 0, (uint64_t)i, &id));
        hi[i] = now_ns() + first;
    }

    /* Every timer is in the queue before the first wait, so they must come
     * out in deadline order: after a timer whose deadline is >= lo[a], no
     * timer whose deadline is certainly earlier (hi[b] < lo[a]) may come. */
    int received = 0, fd_events = 0;
    int64_t latest_lo = INT64_MIN;
    int64_t start = now_ns();
    while (received < N_TIMERS) {
        if (now_ns() - start > 60000 * MS) {
            fprintf(stderr, "only %d of %d timers arrived within 60 s\n", received, N_TIMERS);
            exit(1);
        }
        int n = repoll_wait(ep, ev, 4096, 1000);
        int64_t at = now_ns();
        CHECK(n >= 0);
        for (int k = 0; k < n; k++) {
            CHECK_EQ(ev[k].reserved, 0);
            if (ev[k].data == FD_DATA) {
                CHECK_EQ(ev[k].events, REPOLL_IN);
                CHECK_EQ(k, 0); /* the caller's fds come first */
                char buf[4096];
                while (read(sv[0], buf, sizeof buf) > 0) {
                }
                fd_events++;
                continue;
            }
            CHECK_EQ(ev[k].events, REPOLL_TIMER);
            CHECK(ev[k].data < N_TIMERS);
            int i = (int)ev[k].data;
            CHECK_EQ(seen[i], 0); /* exactly once */
            seen[i]++;
            received++;
            if (at < lo[i]) {
                fprintf(stderr, "timer %d arrived %lld ns before its deadline\n", i,
                        (long long)(lo[i] - at));
                exit(1);
            }
            if (hi[i] < latest_lo) {
                fprintf(stderr, "timer %d (deadline <= %lld) came after one due >= %lld\n", i,
                        (long long)hi[i], (long long)latest_lo);
                exit(1);
            }
            if (lo[i] > latest_lo) latest_lo = lo[i];
        }
    }
    atomic_store(&b.stop, 1);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ(received, N_TIMERS);
    for (int i = 0; i < N_TIMERS; i++) CHECK_EQ(seen[i], 1);
    CHECK(fd_events >= 1);
    CHECK(b.written >= 1);

    /* Nothing left: only the fd (drained now) could still report. */
    char buf[4096];
    while (read(sv[0], buf, sizeof buf) > 0) {
    }
    CHECK_EQ(repoll_wait(ep, ev, 4096, 20), 0);
    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
    printf("timers_under_load: %d timers, %d fd events\n", N_TIMERS, fd_events);
}

/* --- part 2: interval timers while another thread adds and cancels --- */

#define N_INTERVALS 10
#define MAX_CHURN 20000
#define CHURN_BASE 1000

static const int64_t interval_ms[N_INTERVALS] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29};

struct churn {
    repoll_t *ep;
    int64_t until;
    int count;
    int rc[MAX_CHURN];
    atomic_int done;
};

/* Adds one-shots due in 0..3 ms and cancels each 0..2 ms later: some are
 * cancelled (0), some fired first (-ENOENT). */
static void *churner(void *p) {
    struct churn *c = p;
    uint64_t seed = 7;
    while (now_ns() < c->until && c->count < MAX_CHURN) {
        uint64_t id;
        int j = c->count;
        CHECK_OK(repoll_timer_add(c->ep, (int64_t)(lcg(&seed) % (3 * MS)), 0,
                                  CHURN_BASE + (uint64_t)j, &id));
        sleep_ns((int64_t)(lcg(&seed) % (2 * MS)));
        c->rc[j] = repoll_timer_cancel(c->ep, id);
        CHECK(c->rc[j] == 0 || c->rc[j] == -ENOENT);
        c->count++;
    }
    atomic_store(&c->done, 1);
    return NULL;
}

static void intervals_with_concurrent_churn(void) {
    static struct churn c;
    static int churn_seen[MAX_CHURN];
    repoll_t *ep = make_poller(0);
    uint64_t ids[N_INTERVALS];
    int64_t added[N_INTERVALS];
    int count[N_INTERVALS] = {0};
    for (int i = 0; i < N_INTERVALS; i++) {
        added[i] = now_ns();
        CHECK_OK(repoll_timer_add(ep, interval_ms[i] * MS, interval_ms[i] * MS, (uint64_t)i,
                                  &ids[i]));
    }
    c.ep = ep;
    c.until = now_ns() + 300 * MS;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, churner, &c) == 0);

    repoll_event_t evs[64];
    int64_t start = now_ns(), end = start + 300 * MS;
    /* Until both 300 ms have passed and the churner has stopped; then 20 ms
     * more, to collect anything a last cancel found already fired. */
    int64_t drain_until = 0;
    for (;;) {
        int64_t now = now_ns();
        if (!drain_until && now >= end && atomic_load(&c.done)) drain_until = now + 20 * MS;
        if (drain_until && now >= drain_until) break;
        CHECK(now - start < 60000 * MS); /* hang guard */
        int n = repoll_wait(ep, evs, 64, 5);
        int64_t at = now_ns();
        CHECK(n >= 0);
        for (int k = 0; k < n; k++) {
            CHECK_EQ(evs[k].events, REPOLL_TIMER);
            uint64_t d = evs[k].data;
            if (d < N_INTERVALS) {
                /* The k-th expiry is due at added + k * interval. */
                count[d]++;
                CHECK(at - added[d] >= count[d] * interval_ms[d] * MS);
            } else {
                CHECK(d >= CHURN_BASE && d < CHURN_BASE + MAX_CHURN);
                churn_seen[d - CHURN_BASE]++;
            }
        }
    }
    int64_t stop = now_ns();
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(c.count > 0);
    for (int i = 0; i < N_INTERVALS; i++) {
        CHECK(count[i] >= 1);
        CHECK(count[i] <= (stop - added[i]) / (interval_ms[i] * MS) + 1);
        CHECK_OK(repoll_timer_cancel(ep, ids[i]));
    }
    int cancelled = 0, fired = 0;
    for (int j = 0; j < c.count; j++) {
        if (c.rc[j] == -ENOENT) {
            CHECK_EQ(churn_seen[j], 1); /* fired before the cancel: reported */
            fired++;
        } else {
            CHECK(churn_seen[j] <= 1); /* never twice */
            cancelled++;
        }
    }
    for (int j = c.count; j < MAX_CHURN; j++) CHECK_EQ(churn_seen[j], 0);
    /* Everything cancelled: quiet from now on. */
    repoll_event_t late[8];
    int64_t quiet_end = now_ns() + 30 * MS;
    for (int64_t left; (left = quiet_end - now_ns()) > 0;) {
        CHECK_EQ(repoll_wait_ns(ep, late, 8, left), 0);
    }
    CHECK_OK(repoll_close(ep));
    printf("timers_under_load: churn %d cancelled, %d fired first\n", cancelled, fired);
}

int main(void) {
    many_one_shots_with_busy_fd();
    intervals_with_concurrent_churn();
    puts("timers_under_load: ok");
    return 0;
}
