/* Hang-ups pass through: the peer's shutdown(SHUT_WR) is REPOLL_RDHUP (with
 * IN) only when requested; a full hang-up is REPOLL_HUP, and HUP and ERR are
 * reported even when not requested. AF_UNIX, TCP loopback and pipes. */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"

/* Waits up to a second for exactly one event and returns its bits, after
 * checking it carries `data`. TCP segments on loopback may take a moment. */
static uint32_t one_event(repoll_t *ep, uint64_t data) {
    repoll_event_t ev[4];
    memset(ev, 0, sizeof ev);
    CHECK_EQ(repoll_wait(ep, ev, 4, 1000), 1);
    CHECK_EQ(ev[0].data, data);
    CHECK_EQ(ev[0].reserved, 0);
    return ev[0].events;
}

static void unix_stream(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int a[2], b[2], c[2];
    make_pair(a);
    make_pair(b);
    make_pair(c);
    /* a: RDHUP requested; b: only IN; c: no interest at all. */
    CHECK_OK(repoll_add(ep, a[0], REPOLL_IN | REPOLL_RDHUP, 1));
    CHECK_OK(repoll_add(ep, b[0], REPOLL_IN, 2));
    CHECK_OK(repoll_add(ep, c[0], 0, 3));
    expect_none(ep);

    /* Half close: readable (EOF) with RDHUP, but not a hang-up yet. */
    CHECK(shutdown(a[1], SHUT_WR) == 0);
    CHECK_EQ(one_event(ep, 1), REPOLL_IN | REPOLL_RDHUP);
    CHECK_EQ(one_event(ep, 1), REPOLL_IN | REPOLL_RDHUP); /* level: again */
    CHECK_OK(repoll_delete(ep, a[0]));

    /* Not requested, RDHUP is not reported; the EOF still reads as IN. */
    CHECK(shutdown(b[1], SHUT_WR) == 0);
    CHECK_EQ(one_event(ep, 2), REPOLL_IN);
    CHECK_OK(repoll_delete(ep, b[0]));

    /* Half close of a registration with no interest: nothing to report. */
    CHECK(shutdown(c[1], SHUT_WR) == 0);
    expect_none(ep);

    /* Full close of the peer: HUP, although never requested. */
    close(c[1]);
    CHECK_EQ(one_event(ep, 3), REPOLL_HUP);
    CHECK_EQ(one_event(ep, 3), REPOLL_HUP);
    CHECK_OK(repoll_delete(ep, c[0]));

    /* Same with a registration that did ask for RDHUP and IN. */
    CHECK_OK(repoll_add(ep, a[0], REPOLL_IN | REPOLL_RDHUP, 4));
    close(a[1]);
    CHECK_EQ(one_event(ep, 4), REPOLL_IN | REPOLL_RDHUP | REPOLL_HUP);
    CHECK_OK(repoll_delete(ep, a[0]));

    /* OUT interest only, peer closed without a shutdown first: HUP shows. */
    CHECK_OK(repoll_add(ep, b[0], REPOLL_OUT, 5));
    close(b[1]);
    CHECK((one_event(ep, 5) & REPOLL_HUP) != 0);

    CHECK_OK(repoll_close(ep));
    close(a[0]);
    close(b[0]);
    close(c[0]);
}

static void tcp(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int cl, sv;
    tcp_pair(&cl, &sv);
    CHECK_OK(repoll_add(ep, sv, REPOLL_IN | REPOLL_RDHUP, 10));
    expect_none(ep);

    CHECK(shutdown(cl, SHUT_WR) == 0);
    CHECK_EQ(one_event(ep, 10), REPOLL_IN | REPOLL_RDHUP);
    char buf[4];
    CHECK_EQ(read(sv, buf, sizeof buf), 0); /* EOF, and still reported */
    CHECK_EQ(one_event(ep, 10), REPOLL_IN | REPOLL_RDHUP);

    /* Both directions shut: now a hang-up too. */
    CHECK(shutdown(sv, SHUT_WR) == 0);
    CHECK((one_event(ep, 10) & (REPOLL_IN | REPOLL_RDHUP | REPOLL_HUP)) ==
          (REPOLL_IN | REPOLL_RDHUP | REPOLL_HUP));
    CHECK_OK(repoll_close(ep));
    close(cl);
    close(sv);

    /* Without RDHUP requested, the half close is just IN. */
    ep = make_poller(REPOLL_CLOEXEC);
    tcp_pair(&cl, &sv);
    CHECK_OK(repoll_add(ep, sv, REPOLL_IN, 11));
    CHECK(shutdown(cl, SHUT_WR) == 0);
    CHECK_EQ(one_event(ep, 11), REPOLL_IN);
    CHECK_OK(repoll_close(ep));
    close(cl);
    close(sv);

    /* A reset (close with a zero linger) is a hang-up with an error, and
     * neither needs to be requested. */
    ep = make_poller(REPOLL_CLOEXEC);
    tcp_pair(&cl, &sv);
    CHECK_OK(repoll_add(ep, sv, 0, 12));
    expect_none(ep);
    struct linger lg = {1, 0};
    CHECK(setsockopt(cl, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    close(cl);
    CHECK_EQ(one_event(ep, 12), REPOLL_HUP | REPOLL_ERR);
    CHECK_OK(repoll_close(ep));
    close(sv);
}

static void pipes(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    CHECK_OK(repoll_add(ep, p[0], REPOLL_IN, 20));
    expect_none(ep);

    /* Unread data and a closed writer: both reported together. */
    write_byte(p[1]);
    close(p[1]);
    CHECK_EQ(one_event(ep, 20), REPOLL_IN | REPOLL_HUP);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    /* Drained: the hang-up alone, for as long as the read end is open. */
    CHECK_EQ(one_event(ep, 20), REPOLL_HUP);
    CHECK_EQ(one_event(ep, 20), REPOLL_HUP);
    CHECK_OK(repoll_close(ep));
    close(p[0]);

    /* The write end: a closed reader is an error, never requested either. */
    ep = make_poller(REPOLL_CLOEXEC);
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    CHECK_OK(repoll_add(ep, p[1], 0, 21));
    expect_none(ep);
    close(p[0]);
    CHECK((one_event(ep, 21) & REPOLL_ERR) != 0);
    CHECK_OK(repoll_close(ep));
    close(p[1]);
}

int main(void) {
    unix_stream();
    tcp();
    pipes();
    puts("hangup: ok");
    return 0;
}
