/* Nesting through repoll_fd: a repoll instance inside another (and raw epoll
 * fds either way round) reports readiness outward, a due timer included;
 * cycles and chains that are too deep are refused with -ELOOP, an instance
 * inside itself -EINVAL. */
#include <sys/epoll.h>

#include "check.h"

#define CHAIN 9

static void *write_later(void *arg) {
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    write_byte(*(int *)arg);
    return NULL;
}

static void repoll_in_repoll(void) {
    repoll_t *inner = make_poller(REPOLL_CLOEXEC);
    repoll_t *outer = make_poller(REPOLL_CLOEXEC);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(inner, sv[0], REPOLL_IN, 0xAA));
    int inner_fd = repoll_fd(inner);
    CHECK(inner_fd >= 0);
    CHECK_OK(repoll_add(outer, inner_fd, REPOLL_IN, 0xBB));
    expect_none(outer);

    write_byte(sv[1]);
    /* The outer sees "the inner has events", under its own data... */
    expect_one(outer, 0xBB, REPOLL_IN);
    /* ... and the inner then hands over the event itself. */
    expect_one(inner, 0xAA, REPOLL_IN);
    /* Level-triggered all the way: unread data keeps both reporting. */
    expect_one(outer, 0xBB, REPOLL_IN);
    char c;
    CHECK_EQ(read(sv[0], &c, 1), 1);
    expect_none(inner);
    expect_none(outer);

    /* A blocked outer wait is woken by readiness inside the inner one. */
    pthread_t writer;
    CHECK(pthread_create(&writer, NULL, write_later, &sv[1]) == 0);
    repoll_event_t ev[4];
    CHECK_EQ(repoll_wait(outer, ev, 4, 10000), 1);
    CHECK_EQ(ev[0].data, 0xBB);
    CHECK(pthread_join(writer, NULL) == 0); /* returns: it wrote already */
    CHECK_EQ(read(sv[0], &c, 1), 1);

    /* Removing the inner from the outer stops the reports. */
    CHECK_OK(repoll_delete(outer, inner_fd));
    write_byte(sv[1]);
    expect_none(outer);
    expect_one(inner, 0xAA, REPOLL_IN);

    CHECK_OK(repoll_close(outer));
    CHECK_OK(repoll_close(inner));
    close(sv[0]);
    close(sv[1]);
}

static void loops(void) {
    repoll_t *a = make_poller(REPOLL_CLOEXEC);
    repoll_t *b = make_poller(REPOLL_CLOEXEC);
    repoll_t *c = make_poller(REPOLL_CLOEXEC);

    /* Itself: refused as the handle's own fd, before any loop check. */
    CHECK_EQ(repoll_add(a, repoll_fd(a), REPOLL_IN, 1), -EINVAL);

    /* A inside B, then B inside A: a cycle of two. */
    CHECK_OK(repoll_add(b, repoll_fd(a), REPOLL_IN, 1));
    CHECK_EQ(repoll_add(a, repoll_fd(b), REPOLL_IN, 2), -ELOOP);
    CHECK_EQ(repoll_add(a, repoll_fd(b), REPOLL_IN | REPOLL_ET, 2), -ELOOP);

    /* A inside B inside C, then C inside A: a cycle of three. */
    CHECK_OK(repoll_add(c, repoll_fd(b), REPOLL_IN, 3));
    CHECK_EQ(repoll_add(a, repoll_fd(c), REPOLL_IN, 4), -ELOOP);

    /* The refused adds left nothing behind... */
    CHECK_EQ(repoll_delete(a, repoll_fd(b)), -ENOENT);
    CHECK_EQ(repoll_delete(a, repoll_fd(c)), -ENOENT);
    /* ... and once the cycle is broken the same add is fine. */
    CHECK_OK(repoll_delete(b, repoll_fd(a)));
    CHECK_OK(repoll_add(a, repoll_fd(b), REPOLL_IN, 2));
    /* Now b is inside a and c: a or c inside b would close a loop. */
    CHECK_EQ(repoll_add(b, repoll_fd(a), REPOLL_IN, 5), -ELOOP);
    CHECK_EQ(repoll_add(b, repoll_fd(c), REPOLL_IN, 5), -ELOOP);

    CHECK_OK(repoll_close(a));
    CHECK_OK(repoll_close(b));
    CHECK_OK(repoll_close(c));

    /* A chain e0 in e1 in e2 ...: the kernel caps the depth (at 5 levels
     * today); past the cap the add is -ELOOP, never something else. */
    repoll_t *e[CHAIN];
    for (int i = 0; i < CHAIN; i++) e[i] = make_poller(REPOLL_CLOEXEC);
    int refused_at = -1;
    for (int i = 0; i + 1 < CHAIN; i++) {
        int r = repoll_add(e[i + 1], repoll_fd(e[i]), REPOLL_IN, (uint64_t)i);
        if (r != 0) {
            CHECK_EQ(r, -ELOOP);
            refused_at = i;
            break;
        }
    }
    CHECK(refused_at >= 1); /* one level of nesting is always allowed */
    for (int i = 0; i < CHAIN; i++) CHECK_OK(repoll_close(e[i]));
}

static void raw_epoll_both_ways(void) {
    int sv[2];
    make_pair(sv);

    /* A raw epoll fd inside repoll. */
    int raw = epoll_create1(EPOLL_CLOEXEC);
    CHECK(raw >= 0);
    struct epoll_event kev = {.events = EPOLLIN, .data.u64 = 0x11};
    CHECK(epoll_ctl(raw, EPOLL_CTL_ADD, sv[0], &kev) == 0);
    repoll_t *outer = make_poller(REPOLL_CLOEXEC);
    CHECK_OK(repoll_add(outer, raw, REPOLL_IN, 0xCC));
    expect_none(outer);
    write_byte(sv[1]);
    expect_one(outer, 0xCC, REPOLL_IN);
    struct epoll_event got;
    CHECK_EQ(epoll_wait(raw, &got, 1, 1000), 1);
    CHECK_EQ(got.data.u64, 0x11);

    /* repoll inside a raw epoll: what repoll_fd is for. */
    repoll_t *inner = make_poller(REPOLL_CLOEXEC);
    CHECK_OK(repoll_add(inner, sv[0], REPOLL_IN, 0xDD));
    int raw2 = epoll_create1(EPOLL_CLOEXEC);
    CHECK(raw2 >= 0);
    kev.events = EPOLLIN;
    kev.data.u64 = 0x22;
    CHECK(epoll_ctl(raw2, EPOLL_CTL_ADD, repoll_fd(inner), &kev) == 0);
    CHECK_EQ(epoll_wait(raw2, &got, 1, 1000), 1); /* the byte is still unread */
    CHECK_EQ(got.data.u64, 0x22);
    CHECK_EQ(got.events, EPOLLIN);
    expect_one(inner, 0xDD, REPOLL_IN);
    char c;
    CHECK_EQ(read(sv[0], &c, 1), 1);
    CHECK_EQ(epoll_wait(raw2, &got, 1, 0), 0);
    expect_none(outer);

    /* Loops through a raw epoll fd are caught too: raw2 holds inner, so
     * raw2 inside inner is a cycle. */
    CHECK_EQ(repoll_add(inner, raw2, REPOLL_IN, 1), -ELOOP);

    CHECK_OK(repoll_close(outer));
    CHECK_OK(repoll_close(inner));
    close(raw);
    close(raw2);
    close(sv[0]);
    close(sv[1]);
}

/* Timers open no fd of their own, but a nested handle's fd becomes readable
 * when one is due (never before), whether the timer was added before or
 * after repoll_fd, and stops being readable once the wait reported it. */
static void due_timer_makes_the_nested_fd_readable(void) {
    for (int order = 0; order < 2; order++) {
        repoll_t *inner = make_poller(0);
        uint64_t id;
        int64_t t0 = now_ns(); /* before the add: never-early counts from here */
        if (order == 0) CHECK_OK(repoll_timer_add(inner, 30 * MS, 0, 0x71, &id));
        int fd = repoll_fd(inner);
        CHECK(fd >= 0);
        if (order == 1) CHECK_OK(repoll_timer_add(inner, 30 * MS, 0, 0x71, &id));
        int outer = epoll_create1(EPOLL_CLOEXEC);
        CHECK(outer >= 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
        CHECK(epoll_ctl(outer, EPOLL_CTL_ADD, fd, &ev) == 0);
        CHECK_EQ(epoll_wait(outer, &ev, 1, 5000), 1); /* hang guard: 5 s */
        CHECK(now_ns() - t0 >= 30 * MS);
        repoll_event_t got[4];
        CHECK_EQ(repoll_wait(inner, got, 4, 0), 1);
        check_event(&got[0], 0x71, REPOLL_TIMER);
        CHECK_EQ(epoll_wait(outer, &ev, 1, 50), 0); /* nothing due any more */
        close(outer);
        CHECK_OK(repoll_close(inner));
    }
}

/* A handle handed out by repoll_fd, whose nest timerfd has fired for a
 * timer then cancelled (unless `keep_timer`): the timerfd is first on
 * epoll's ready list and stands for nothing. */
static repoll_t *nest_timer_fired_for_nothing(int keep_timer) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    CHECK(repoll_fd(ep) >= 0);
    uint64_t id;
    CHECK_OK(repoll_timer_add(ep, 0, 0, 0x71, &id));
    sleep_ns(2 * MS); /* the timerfd fires */
    if (!keep_timer) CHECK_OK(repoll_timer_cancel(ep, id));
    return ep;
}

/* The nest timerfd takes a kernel slot like the caller's fds. When it
 * stands for nothing, the wait may return fewer events than it has room for
 * (the header says so), but loses nothing: the next wait brings the rest
 * (another fd, a wake); and a timer still due fills the room at once (its
 * timerfd is ready again at once after each read, so no wait may poll it in
 * a loop). Edge-triggered fds: a second report would be a duplicate. */
enum behind { ANOTHER_FD, A_WAKE, THE_DUE_TIMER };

static void a_nest_timer_slot_loses_nothing(void) {
    for (enum behind b = ANOTHER_FD; b <= THE_DUE_TIMER; b++) {
        repoll_t *ep = nest_timer_fired_for_nothing(b == THE_DUE_TIMER);
        int a[2], c[2];
        make_pair(a);
        make_pair(c);
        CHECK_OK(repoll_add(ep, a[0], REPOLL_IN | REPOLL_ET, 0xA0));
        CHECK_OK(repoll_add(ep, c[0], REPOLL_IN | REPOLL_ET, 0xC0));
        write_byte(a[1]);
        if (b == ANOTHER_FD) write_byte(c[1]);
        if (b == A_WAKE) CHECK_OK(repoll_wake(ep));

        repoll_event_t ev[4];
        int n = repoll_wait_ns(ep, ev, 2, 0);
        CHECK(n == 1 || n == 2);
        if (b == THE_DUE_TIMER) CHECK_EQ(n, 2);
        CHECK_EQ(n + repoll_wait_ns(ep, ev + n, 2, 0), 2);
        check_event(&ev[0], 0xA0, REPOLL_IN);
        if (b == ANOTHER_FD) check_event(&ev[1], 0xC0, REPOLL_IN);
        if (b == A_WAKE) check_event(&ev[1], 0, REPOLL_WAKE);
        if (b == THE_DUE_TIMER) check_event(&ev[1], 0x71, REPOLL_TIMER);
        CHECK_EQ(repoll_wait_ns(ep, ev, 4, 0), 0);
        CHECK_OK(repoll_close(ep));
        close(a[0]), close(a[1]), close(c[0]), close(c[1]);
    }
}

/* The same slot, with one level-triggered fd ready and nothing else: the
 * wait reports it once. (Polling again within the wait for the slot the
 * timerfd took would see it a second time: epoll re-queues a level-
 * triggered fd once reported.) */
static void a_nest_timer_slot_repeats_nothing(void) {
    repoll_t *ep = nest_timer_fired_for_nothing(0);
    int a[2];
    make_pair(a);
    CHECK_OK(repoll_add(ep, a[0], REPOLL_IN, 0xA0));
    write_byte(a[1]);
    repoll_event_t ev[2];
    CHECK_EQ(repoll_wait_ns(ep, ev, 2, 0), 1);
    check_event(&ev[0], 0xA0, REPOLL_IN);
    CHECK_OK(repoll_close(ep));
    close(a[0]), close(a[1]);
}

int main(void) {
    int fds_before = count_open_fds();
    repoll_in_repoll();
    loops();
    raw_epoll_both_ways();
    due_timer_makes_the_nested_fd_readable();
    a_nest_timer_slot_loses_nothing();
    a_nest_timer_slot_repeats_nothing();
    CHECK_EQ(count_open_fds(), fds_before);
    puts("nested: ok");
    return 0;
}
