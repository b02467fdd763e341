/* Four threads hammer ONE handle with >= 1 000 000 calls in total (scaled by
 * REPOLL_STRESS_SCALE, e.g. 0.02 under valgrind): waits, adds, modifies,
 * deletes, wakes and timers, all at once. Nothing is lost or invented:
 *
 * - Each thread owns K eventfds, registered IN|ONESHOT with data encoding
 *   {owner, index, generation}. It makes one ready (writes the eventfd),
 *   and whichever thread's wait reports it checks that the generation is the
 *   registration's current one and that it was made ready, and records the
 *   report; ONESHOT makes a second report of the same readiness impossible.
 *   The owner then drains the eventfd and re-arms with a new generation,
 *   either by a modify or by a delete and an add. At the end every fd was
 *   reported exactly as often as it was made ready.
 * - Owners also modify idle registrations (new data, nothing ready) and
 *   delete/re-add them: no event may carry a stale generation.
 * - Wakes: after the last wake of the run, a WAKE event {0, WAKE} must have
 *   been reported (wakes coalesce, so there is no exact count).
 * - Timers due at once: each one is reported exactly once.
 * - Every call returns >= 0; the fd count is the same before and after.
 *
 * The main thread wakes the handle every 2 ms while the workers run, so a
 * worker may block in repoll_wait(-1) without risking a hang. */
#include <sys/eventfd.h>

#include "check.h"

#define THREADS 4
#define K 16              /* eventfds per thread */
#define FULL_OPS 1000000L /* calls in total at scale 1 */

#define FD_TAG 0xA0ULL
#define TIMER_TAG 0xB0ULL

struct slot {
    int fd;
    atomic_uint gen;        /* the current registration's generation */
    atomic_int made_ready;  /* set by the owner just before writing the eventfd */
    atomic_uint reported;   /* the last generation a wait reported */
    atomic_long received;   /* reports of this fd, by any thread */
    long made;              /* times made ready (owner only) */
    int pending;            /* owner only: made ready, re-arm not done yet */
};

static repoll_t *ep;
static struct slot slots[THREADS][K];
static atomic_long wake_events;        /* WAKE events seen, by any thread */
static atomic_long timers_fired[THREADS];
static long timers_added[THREADS];
static long last_wake_mark[THREADS + 1]; /* wake_events read before each thread's last wake */
static atomic_long total_ops;
static atomic_int workers_done;
static long quota;                     /* calls per worker */

static uint64_t fd_data(int owner, int idx, uint32_t gen) {
    return (FD_TAG + (uint64_t)owner) << 56 | (uint64_t)idx << 40 | gen;
}

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Fails with the call and its code unless rc >= 0. */
#define OK(call)                                                                         \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ < 0) {                                                                   \
            fprintf(stderr, "%s:%d: %s == %d (%s)\n", __FILE__, __LINE__, #call, rc_,    \
                    repoll_strerror(rc_));                                               \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

/* Records one reported event, whichever thread's wait returned it. */
static void note_event(const repoll_event_t *ev) {
    CHECK_EQ(ev->reserved, 0);
    if (ev->events == REPOLL_WAKE) {
        CHECK_EQ(ev->data, 0);
        atomic_fetch_add(&wake_events, 1);
        return;
    }
    uint64_t tag = ev->data >> 56;
    if (ev->events == REPOLL_TIMER) {
        CHECK(tag >= TIMER_TAG && tag < TIMER_TAG + THREADS);
        atomic_fetch_add(&timers_fired[tag - TIMER_TAG], 1);
        return;
    }
    CHECK_EQ(ev->events, REPOLL_IN);
    CHECK(tag >= FD_TAG && tag < FD_TAG + THREADS);
    int owner = (int)(tag - FD_TAG);
    uint64_t idx = (ev->data >> 40) & 0xffff;
    CHECK(idx < K);
    uint32_t gen = (uint32_t)ev->data;
    struct slot *s = &slots[owner][idx];
    /* Validate before recording: once `reported` is set the owner may re-arm
     * with a new generation. */
    if (gen != atomic_load(&s->gen) || !atomic_load(&s->made_ready)) {
        fprintf(stderr, "stale or unmade event: owner %d idx %d gen %u (current %u, made %d)\n",
                owner, (int)idx, gen, atomic_load(&s->gen), atomic_load(&s->made_ready));
        exit(1);
    }
    atomic_fetch_add(&s->received, 1);
    uint32_t prev = atomic_exchange(&s->reported, gen);
    if (prev == gen) {
        fprintf(stderr, "reported twice: owner %d idx %d gen %u\n", owner, (int)idx, gen);
        exit(1);
    }
}

/* One wait of a random kind; returns the number of calls made (1). */
static long do_wait(uint64_t r, int timeout_ms) {
    repoll_event_t ev[8];
    int max = 1 + (int)(r % 8);
    int n;
    if (r & 0x100)
        n = repoll_wait_ns(ep, ev, max, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * MS + (int64_t)(r & 0xfff));
    else
        n = repoll_wait(ep, ev, max, timeout_ms);
    if (n < 0) {
        fprintf(stderr, "wait == %d (%s)\n", n, repoll_strerror(n));
        exit(1);
    }
    CHECK(n <= max);
    for (int i = 0; i < n; i++) note_event(&ev[i]);
    return 1;
}

/* Re-registers an idle slot under a new generation: modify, or delete and
 * add. Returns the number of calls made. */
static long rearm(int owner, int idx, uint64_t r) {
    struct slot *s = &slots[owner][idx];
    uint32_t gen = atomic_load(&s->gen) + 1;
    atomic_store(&s->gen, gen);
    uint32_t events = REPOLL_IN | REPOLL_ONESHOT | (r & 0x200 ? REPOLL_ET : 0);
    if (r & 0x400) {
        OK(repoll_modify(ep, s->fd, events, fd_data(owner, idx, gen)));
        return 1;
    }
    OK(repoll_delete(ep, s->fd));
    OK(repoll_add(ep, s->fd, events, fd_data(owner, idx, gen)));
    return 2;
}

/* Moves slot idx one step: idle -> ready, or reported -> drained and
 * re-armed. Returns the number of library calls made. */
static long step_slot(int owner, int idx, uint64_t r) {
    struct slot *s = &slots[owner][idx];
    if (!s->pending) {
        s->pending = 1;
        s->made++;
        atomic_store(&s->made_ready, 1);
        uint64_t one = 1;
        CHECK(write(s->fd, &one, 8) == 8);
        return 0;
    }
    if (atomic_load(&s->reported) != atomic_load(&s->gen)) return 0; /* not reported yet */
    uint64_t v = 0;
    CHECK(read(s->fd, &v, 8) == 8);
    CHECK_EQ(v, 1);
    atomic_store(&s->made_ready, 0);
    s->pending = 0;
    return rearm(owner, idx, r);
}

/* Whether every fd of `owner` is idle again and all its timers fired. */
static int all_settled(int owner) {
    for (int i = 0; i < K; i++)
        if (slots[owner][i].pending) return 0;
    return atomic_load(&timers_fired[owner]) == timers_added[owner];
}

static void *worker(void *arg) {
    int me = (int)(intptr_t)arg;
    uint64_t rs = 0x9E3779B97F4A7C15ULL * (uint64_t)(me + 1);
    long ops = 0;
    while (ops < quota) {
        uint64_t r = rng_next(&rs);
        int pick = (int)(r % 100);
        int idx = (int)((r >> 16) % K);
        struct slot *s = &slots[me][idx];
        if (pick < 40) {
            ops += do_wait(r >> 20, (r >> 8) % 16 == 0 ? 1 : 0);
        } else if (pick < 75) {
            long n = step_slot(me, idx, r >> 20);
            ops += n ? n : do_wait(r >> 24, 0);
        } else if (pick < 92) {
            /* A new generation for an idle registration (nothing ready). */
            ops += s->pending ? do_wait(r >> 24, 0) : rearm(me, idx, r >> 20);
        } else if (pick < 97) {
            last_wake_mark[me] = atomic_load(&wake_events);
            OK(repoll_wake(ep));
            ops++;
        } else if (pick < 98) {
            /* Wake, then block: returns (the main thread also wakes every 2 ms). */
            last_wake_mark[me] = atomic_load(&wake_events);
            OK(repoll_wake(ep));
            ops += 1 + do_wait(r >> 20, -1);
        } else {
            uint64_t id;
            timers_added[me]++;
            OK(repoll_timer_add(ep, 0, 0, (TIMER_TAG + (uint64_t)me) << 56 | (uint64_t)ops,
                                &id));
            CHECK(id != 0);
            ops++;
        }
    }
    /* Settle: finish the fds made ready, collect the timers. */
    int64_t t0 = now_ns();
    while (!all_settled(me)) {
        if (now_ns() - t0 > 60000 * MS) {
            fprintf(stderr, "thread %d: events still missing after 60 s\n", me);
            for (int i = 0; i < K; i++)
                fprintf(stderr, "  slot %d: pending %d gen %u reported %u\n", i,
                        slots[me][i].pending, atomic_load(&slots[me][i].gen),
                        atomic_load(&slots[me][i].reported));
            fprintf(stderr, "  timers %ld added, %ld fired\n", timers_added[me],
                    atomic_load(&timers_fired[me]));
            exit(1);
        }
        /* Re-arm the pending fds already reported (never make a new one ready). */
        for (int i = 0; i < K; i++)
            if (slots[me][i].pending) ops += step_slot(me, i, rng_next(&rs));
        if (!all_settled(me)) ops += do_wait(rng_next(&rs), 10);
    }
    atomic_fetch_add(&total_ops, ops);
    atomic_fetch_add(&workers_done, 1);
    return NULL;
}

int main(void) {
    double scale = 1.0;
    const char *env = getenv("REPOLL_STRESS_SCALE");
    if (env && *env) scale = atof(env);
    CHECK(scale > 0 && scale <= 100);
    long total = (long)(FULL_OPS * scale);
    if (total < 4000) total = 4000;
    quota = total / THREADS;

    (void)repoll_features();
    int fds_before = count_open_fds();
    ep = make_poller(REPOLL_CLOEXEC);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < K; i++) {
            struct slot *s = &slots[t][i];
            s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            CHECK(s->fd >= 0);
            atomic_store(&s->gen, 1);
            atomic_store(&s->reported, 0);
            OK(repoll_add(ep, s->fd, REPOLL_IN | REPOLL_ONESHOT, fd_data(t, i, 1)));
        }

    /* Inside the harness's limit at scale 1; a bigger scale run by hand gets more. */
    start_watchdog("stress_threads", (unsigned)(110 * (scale > 1 ? scale : 1)));
    watchdog_phase = "workers running";
    int64_t t0 = now_ns();
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    /* The ticker: a wake every 2 ms, so no blocked wait can hang the run. */
    long ticks = 0;
    while (atomic_load(&workers_done) < THREADS) {
        last_wake_mark[THREADS] = atomic_load(&wake_events);
        OK(repoll_wake(ep));
        ticks++;
        struct timespec ts = {0, 2 * MS};
        nanosleep(&ts, NULL);
    }
    for (int t = 0; t < THREADS; t++) CHECK(pthread_join(th[t], NULL) == 0);
    int64_t elapsed = now_ns() - t0;

    /* Collect what is left: at most a WAKE; no fd or timer event. */
    repoll_event_t ev[8];
    int n = repoll_wait(ep, ev, 8, 0);
    CHECK(n >= 0);
    for (int i = 0; i < n; i++) {
        CHECK_EQ(ev[i].events, REPOLL_WAKE);
        note_event(&ev[i]);
    }
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    /* Exact accounting. */
    long made = 0, received = 0, timers = 0;
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < K; i++) {
            struct slot *s = &slots[t][i];
            if (atomic_load(&s->received) != s->made) {
                fprintf(stderr, "owner %d idx %d: made ready %ld times, reported %ld\n", t, i,
                        s->made, atomic_load(&s->received));
                exit(1);
            }
            made += s->made;
            received += atomic_load(&s->received);
        }
        CHECK_EQ(atomic_load(&timers_fired[t]), timers_added[t]);
        timers += timers_added[t];
    }
    /* The last wake of every thread was followed by a reported WAKE. */
    for (int t = 0; t <= THREADS; t++) CHECK(atomic_load(&wake_events) > last_wake_mark[t]);

    long ops = atomic_load(&total_ops) + ticks;
    printf("stress_threads: %ld calls (scale %g) in %.2f s: %ld fd events made ready and "
           "reported, %ld timers, %ld WAKE events, %ld ticker wakes\n",
           ops, scale, elapsed / 1e9, made, timers, atomic_load(&wake_events), ticks);
    CHECK(ops >= total);
    CHECK(received == made && made > 0);

    OK(repoll_close(ep));
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < K; i++) CHECK(close(slots[t][i].fd) == 0);
    CHECK_EQ(count_open_fds(), fds_before);
    puts("stress_threads: ok");
    return 0;
}
