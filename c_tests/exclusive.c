/* REPOLL_EXCLUSIVE on add is accepted (where the kernel supports it) and the
 * registration works: one eventfd shared by several instances, each with a
 * blocked waiter; a write wakes at least one, which reports its own data. */
#include <sys/eventfd.h>

#include "check.h"

#define WAITERS 4
/* Bounds that only matter if something hangs; the harness kills at 120 s. */
#define WAIT_TIMEOUT_MS 60000
#define FIRST_WAKE_NS (10 * 1000000000LL)
#define RELEASE_NS (30 * 1000000000LL)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int count_done(struct waiter *w) {
    int n = 0;
    for (int i = 0; i < WAITERS; i++) n += atomic_load(&w[i].done);
    return n;
}

/* A woken waiter got exactly its own registration back: the shared eventfd
 * is readable, with the data this instance registered it under. */
static void check_woken(const struct waiter *w, uint64_t data) {
    CHECK_EQ(w->result, 1);
    check_event(&w->ev[0], data, REPOLL_IN);
}

static void write_count(int efd, uint64_t n) {
    CHECK_EQ(write(efd, &n, sizeof n), (ssize_t)sizeof n);
}

int main(void) {
    if (!(repoll_features() & REPOLL_FEATURE_EXCLUSIVE)) {
        skip_test("the kernel does not support EPOLLEXCLUSIVE");
    }
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    CHECK(efd >= 0);

    static struct waiter w[WAITERS];
    repoll_t *eps[WAITERS];
    uint64_t data[WAITERS];
    for (int i = 0; i < WAITERS; i++) {
        eps[i] = make_poller(REPOLL_CLOEXEC);
        data[i] = 0xE0C1000000000000ULL + (uint64_t)i;
        CHECK_OK(repoll_add(eps[i], efd, REPOLL_IN | REPOLL_EXCLUSIVE, data[i]));
        /* Nothing written yet, so nothing to report. */
        expect_none(eps[i]);
    }
    for (int i = 0; i < WAITERS; i++) start_waiter(&w[i], eps[i], WAIT_MS, WAIT_TIMEOUT_MS);
    /* Give the waiters time to block. Not an assertion: a waiter that has not
     * blocked yet just finds the eventfd readable and returns at once. */
    for (int i = 0; i < WAITERS; i++)
        while (!atomic_load(&w[i].tid)) sleep_ms(1);
    sleep_ms(100);
    CHECK_EQ(count_done(w), 0); /* nothing to report yet, timeout is long */

    write_count(efd, 1);
    int64_t start = now_ns();
    while (count_done(w) == 0 && now_ns() - start < FIRST_WAKE_NS) sleep_ms(1);
    CHECK(count_done(w) >= 1);
    /* How many woke is the kernel's business; print it for the curious. */
    sleep_ms(200);
    int woken = count_done(w);
    printf("exclusive: %d of %d waiters woke within 200 ms of one write\n", woken, WAITERS);
    for (int i = 0; i < WAITERS; i++)
        if (atomic_load(&w[i].done)) check_woken(&w[i], data[i]);

    /* Release the rest: each write wakes at least one blocked waiter. */
    start = now_ns();
    while (count_done(w) < WAITERS && now_ns() - start < RELEASE_NS) {
        write_count(efd, 1);
        sleep_ms(10);
    }
    CHECK_EQ(count_done(w), WAITERS);
    for (int i = 0; i < WAITERS; i++) {
        CHECK(pthread_join(w[i].thread, NULL) == 0);
        check_woken(&w[i], data[i]);
    }

    /* ET is one of the bits allowed beside EXCLUSIVE, and keeps its meaning:
     * one report per write. (Its own eventfd: an exclusive wake of the shared
     * one may stop at another instance before reaching this one.) */
    repoll_event_t ev[4];
    int efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    CHECK(efd2 >= 0);
    repoll_t *et = make_poller(REPOLL_CLOEXEC);
    CHECK_OK(repoll_add(et, efd2, REPOLL_IN | REPOLL_ET | REPOLL_EXCLUSIVE, 77));
    CHECK_EQ(repoll_wait(et, ev, 4, 0), 0);
    write_count(efd2, 1);
    CHECK_EQ(repoll_wait(et, ev, 4, 1000), 1);
    CHECK_EQ(ev[0].data, 77);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_EQ(repoll_wait(et, ev, 4, 0), 0);
    CHECK_OK(repoll_close(et));
    close(efd2);

    /* Deleting and re-adding an exclusive registration works as any other. */
    CHECK_OK(repoll_delete(eps[0], efd));
    CHECK_EQ(repoll_wait(eps[0], ev, 4, 0), 0);
    CHECK_OK(repoll_add(eps[0], efd, REPOLL_IN | REPOLL_EXCLUSIVE, 5));
    CHECK_EQ(repoll_wait(eps[0], ev, 4, 1000), 1);
    CHECK_EQ(ev[0].data, 5);

    /* Draining the eventfd silences every instance. */
    uint64_t count;
    CHECK_EQ(read(efd, &count, sizeof count), (ssize_t)sizeof count);
    CHECK(count >= 1);
    for (int i = 0; i < WAITERS; i++) {
        CHECK_EQ(repoll_wait(eps[i], ev, 4, 0), 0);
        CHECK_OK(repoll_close(eps[i]));
    }
    close(efd);
    puts("exclusive: ok");
    return 0;
}
