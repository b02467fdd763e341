/* A wait blocked in one thread sees add, modify and delete done by another
 * thread at once; several threads waiting on one handle each get events. */
#include "check.h"

/* Adding an fd that is already ready wakes a wait blocked before the add. */
static void add_of_ready_fd_wakes(enum wait_kind kind) {
    repoll_t *ep = make_poller(0);
    struct waiter w;
    start_waiter(&w, ep, kind, -1);
    sleep_ns(50 * MS); /* let it block */
    CHECK(!atomic_load(&w.done)); /* nothing to report yet */

    int sv[2];
    make_pair(sv);
    write_byte(sv[1]); /* ready before the add */
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 0x0123456789abcdefULL));
    join_waiter(&w);
    CHECK_EQ(w.result, 1);
    CHECK(w.ev[0].data == 0x0123456789abcdefULL);
    CHECK_EQ(w.ev[0].events, REPOLL_IN);
    CHECK_EQ(w.ev[0].reserved, 0);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

/* Adding OUT interest to a registration a blocked wait has (IN only, idle)
 * wakes it with the new data. */
static void modify_wakes(enum wait_kind kind) {
    repoll_t *ep = make_poller(0);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 1));
    struct waiter w;
    start_waiter(&w, ep, kind, -1);
    sleep_ns(50 * MS);
    CHECK(!atomic_load(&w.done));

    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN | REPOLL_OUT, 2));
    join_waiter(&w);
    CHECK_EQ(w.result, 1);
    CHECK_EQ(w.ev[0].data, 2);
    CHECK_EQ(w.ev[0].events, REPOLL_OUT);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

/* Deleting an fd under a blocked wait: the wait never reports it, not even
 * when it becomes ready right after, and later polls see nothing either. */
static void delete_is_seen(enum wait_kind kind) {
    repoll_t *ep = make_poller(0);
    int a[2], b[2];
    make_pair(a);
    make_pair(b);
    CHECK_OK(repoll_add(ep, a[0], REPOLL_IN, 10));
    CHECK_OK(repoll_add(ep, b[0], REPOLL_IN, 20));
    repoll_event_t ev[8];

    /* A timed wait: the deleted fd becoming ready does not end it. */
    struct waiter w;
    int64_t timeout = kind == WAIT_MS ? 300 : 300 * MS;
    start_waiter(&w, ep, kind, timeout);
    sleep_ns(50 * MS);
    CHECK(!atomic_load(&w.done));
    CHECK_OK(repoll_delete(ep, a[0]));
    write_byte(a[1]);
    join_waiter(&w);
    CHECK_EQ(w.result, 0);
    CHECK(w.elapsed >= 300 * MS);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);
    CHECK_EQ(repoll_wait_ns(ep, ev, 8, 0), 0);
    CHECK_EQ(repoll_delete(ep, a[0]), -ENOENT);
    drain(a[0]);

    /* A blocking wait: only the still-registered fd wakes it. */
    CHECK_OK(repoll_add(ep, a[0], REPOLL_IN, 11));
    start_waiter(&w, ep, kind, -1);
    sleep_ns(50 * MS);
    CHECK(!atomic_load(&w.done));
    CHECK_OK(repoll_delete(ep, a[0]));
    write_byte(a[1]);
    sleep_ns(50 * MS);
    CHECK(!atomic_load(&w.done)); /* the deleted fd did not wake it */
    write_byte(b[1]);
    join_waiter(&w);
    CHECK_EQ(w.result, 1);
    CHECK_EQ(w.ev[0].data, 20);
    CHECK_EQ(w.ev[0].events, REPOLL_IN);
    drain(b[0]);
    CHECK_EQ(repoll_wait(ep, ev, 8, 0), 0);

    CHECK_OK(repoll_close(ep));
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* N threads blocked on one handle; N ONESHOT fds made ready one by one:
 * each readiness wakes one waiter, so every waiter gets exactly one event
 * and together they see every fd once. */
#define N 4
static void several_waiters(void) {
    repoll_t *ep = make_poller(0);
    int sv[N][2];
    for (int i = 0; i < N; i++) {
        make_pair(sv[i]);
        CHECK_OK(repoll_add(ep, sv[i][0], REPOLL_IN | REPOLL_ONESHOT, 100 + i));
    }
    struct waiter w[N];
    for (int i = 0; i < N; i++)
        start_waiter_with(&w[i], waiter_main, ep, i % 2 ? WAIT_NS : WAIT_MS, -1, 1);
    sleep_ns(50 * MS);
    for (int i = 0; i < N; i++) CHECK(!atomic_load(&w[i].done));

    for (int i = 0; i < N; i++) {
        write_byte(sv[i][1]);
        /* Exactly i + 1 waiters return (none is left behind, none extra). */
        int64_t t0 = now_ns();
        int returned;
        for (;;) {
            returned = 0;
            for (int j = 0; j < N; j++) returned += atomic_load(&w[j].done);
            if (returned >= i + 1) break;
            CHECK(now_ns() - t0 < 10000 * MS); /* a missed wakeup */
            sleep_ns(1 * MS);
        }
        CHECK_EQ(returned, i + 1);
    }
    int seen[N] = {0};
    for (int j = 0; j < N; j++) {
        join_waiter(&w[j]);
        CHECK_EQ(w[j].result, 1);
        CHECK_EQ(w[j].ev[0].events, REPOLL_IN);
        uint64_t d = w[j].ev[0].data;
        CHECK(d >= 100 && d < 100 + N);
        seen[d - 100]++;
    }
    for (int i = 0; i < N; i++) CHECK_EQ(seen[i], 1);

    CHECK_OK(repoll_close(ep));
    for (int i = 0; i < N; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
}

/* Churn: add, modify and delete from one thread while another waits in a
 * loop. Every ctl succeeds and every event carries a data that was really
 * registered. */
#define CHURN_FDS 8
struct churn {
    repoll_t *ep;
    atomic_int stop;
    int bad;
    atomic_int events;
};

static void *churn_waiter(void *arg) {
    struct churn *c = arg;
    repoll_event_t ev[16];
    while (!atomic_load(&c->stop)) {
        int n = repoll_wait(c->ep, ev, 16, 5);
        if (n < 0) {
            c->bad = n;
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            uint64_t d = ev[i].data;
            if (d < 1000 || d >= 1000 + 2 * CHURN_FDS || ev[i].events != REPOLL_OUT) {
                c->bad = 1;
                return NULL;
            }
        }
        atomic_fetch_add(&c->events, n);
    }
    return NULL;
}

static void churn(void) {
    struct churn c = {.ep = make_poller(0)};
    int sv[CHURN_FDS][2];
    for (int i = 0; i < CHURN_FDS; i++) make_pair(sv[i]);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, churn_waiter, &c) == 0);
    /* At least 300 rounds, and on until the waiter has seen some events
     * (it may not even have been scheduled yet on a loaded machine). */
    int64_t t0 = now_ns();
    for (int round = 0; round < 300 || atomic_load(&c.events) < 10; round++) {
        CHECK(now_ns() - t0 < 10000 * MS); /* the waiter never saw events */
        for (int i = 0; i < CHURN_FDS; i++)
            CHECK_OK(repoll_add(c.ep, sv[i][0], REPOLL_OUT | REPOLL_ONESHOT, 1000 + i));
        for (int i = 0; i < CHURN_FDS; i++)
            CHECK_OK(repoll_modify(c.ep, sv[i][0], REPOLL_OUT | REPOLL_ONESHOT,
                                   1000 + CHURN_FDS + i));
        for (int i = 0; i < CHURN_FDS; i++) CHECK_OK(repoll_delete(c.ep, sv[i][0]));
    }
    atomic_store(&c.stop, 1);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ(c.bad, 0);
    CHECK(atomic_load(&c.events) >= 10);
    repoll_event_t ev[4];
    CHECK_EQ(repoll_wait(c.ep, ev, 4, 0), 0); /* everything deleted */
    CHECK_OK(repoll_close(c.ep));
    for (int i = 0; i < CHURN_FDS; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
}

int main(void) {
    for (int kind = WAIT_MS; kind <= WAIT_NS; kind++) {
        add_of_ready_fd_wakes(kind);
        modify_wakes(kind);
        delete_is_seen(kind);
    }
    several_waiters();
    churn();
    puts("cross_thread: ok");
    return 0;
}
