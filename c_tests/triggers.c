/* The three trigger modes: level-triggered repeats while data is unread,
 * edge-triggered (REPOLL_ET) reports each new arrival once, and one-shot
 * (REPOLL_ONESHOT) reports once until repoll_modify re-arms it. */
#include "check.h"

/* Short enough to keep the test fast; a report that should not come is
 * given this long to show up anyway. */
#define QUIET_MS 20

static void read_bytes(int fd, size_t n) {
    char buf[64];
    CHECK(n <= sizeof buf);
    CHECK_EQ(read(fd, buf, n), (ssize_t)n);
}

static void expect_drained(int fd) {
    char c;
    CHECK_EQ(read(fd, &c, 1), -1);
    CHECK_EQ(errno, EAGAIN);
}

static void level_triggered(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN, 1));
    expect_none(ep);

    write_byte(sv[1]);
    write_byte(sv[1]);
    /* Reported on every wait for as long as anything is unread. */
    for (int i = 0; i < 5; i++) expect_one(ep, 1, REPOLL_IN);
    read_bytes(sv[0], 1);
    expect_one(ep, 1, REPOLL_IN);
    read_bytes(sv[0], 1);
    expect_drained(sv[0]);
    expect_none(ep);
    expect_none_within(ep, QUIET_MS);

    /* And again after new data: level mode has no memory of past reports. */
    write_byte(sv[1]);
    expect_one(ep, 1, REPOLL_IN);
    expect_one(ep, 1, REPOLL_IN);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

static void edge_triggered(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN | REPOLL_ET, 2));
    expect_none(ep);

    for (int round = 0; round < 3; round++) {
        /* Each new write is one report, then silence although it is unread. */
        write_byte(sv[1]);
        expect_one(ep, 2, REPOLL_IN);
        expect_none(ep);
        expect_none_within(ep, QUIET_MS);
    }
    /* Reading part of the backlog is not an arrival either. */
    read_bytes(sv[0], 1);
    expect_none(ep);
    read_bytes(sv[0], 2);
    expect_drained(sv[0]);
    expect_none(ep);

    /* After a full drain the next write is reported, once. */
    write_byte(sv[1]);
    expect_one(ep, 2, REPOLL_IN);
    expect_none_within(ep, QUIET_MS);

    /* A modify re-evaluates readiness, so unread data is reported once more
     * (and only once: the registration stays edge-triggered). */
    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN | REPOLL_ET, 3));
    expect_one(ep, 3, REPOLL_IN);
    expect_none(ep);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

static void one_shot(uint32_t extra) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(ep, sv[0], REPOLL_IN | REPOLL_ONESHOT | extra, 4));
    expect_none(ep);

    write_byte(sv[1]);
    expect_one(ep, 4, REPOLL_IN);
    /* Disarmed: neither the unread byte nor new data is reported. */
    expect_none(ep);
    write_byte(sv[1]);
    expect_none(ep);
    expect_none_within(ep, QUIET_MS);

    /* Still registered while disarmed: adding again is -EEXIST. */
    CHECK_EQ(repoll_add(ep, sv[0], REPOLL_IN | REPOLL_ONESHOT | extra, 4), -EEXIST);

    /* A modify re-arms it (with the new data), and it fires once more. */
    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN | REPOLL_ONESHOT | extra, 5));
    expect_one(ep, 5, REPOLL_IN);
    expect_none(ep);
    expect_none_within(ep, QUIET_MS);

    /* Re-armed with nothing to read: silent until data arrives, then once. */
    read_bytes(sv[0], 2);
    expect_drained(sv[0]);
    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN | REPOLL_ONESHOT | extra, 6));
    expect_none(ep);
    write_byte(sv[1]);
    expect_one(ep, 6, REPOLL_IN);
    expect_none(ep);

    /* Modifying to a plain registration leaves one-shot mode for good. */
    CHECK_OK(repoll_modify(ep, sv[0], REPOLL_IN, 7));
    expect_one(ep, 7, REPOLL_IN);
    expect_one(ep, 7, REPOLL_IN);

    CHECK_OK(repoll_close(ep));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    level_triggered();
    edge_triggered();
    one_shot(0);
    one_shot(REPOLL_ET);
    puts("triggers: ok");
    return 0;
}
