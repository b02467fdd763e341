/* REPOLL_PRI requested alone is accepted and works: TCP urgent (MSG_OOB)
 * data is reported as REPOLL_PRI, and ordinary data is not. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"

/* Loopback delivery is not synchronous with send(): allow a few seconds. */
#define ARRIVE_MS 5000

int main(void) {
    int cl, sv;
    tcp_pair(&cl, &sv);
    repoll_event_t ev[4];

    repoll_t *pri = make_poller(REPOLL_CLOEXEC);
    CHECK_OK(repoll_add(pri, sv, REPOLL_PRI, 0x9121));
    CHECK_EQ(repoll_wait(pri, ev, 4, 0), 0);

    /* Ordinary data is not priority data. A second instance watching IN
     * proves the data has arrived before the PRI-only one is polled. */
    repoll_t *in = make_poller(REPOLL_CLOEXEC);
    CHECK_OK(repoll_add(in, sv, REPOLL_IN, 0x1));
    CHECK_EQ(send(cl, "ab", 2, 0), 2);
    CHECK_EQ(repoll_wait(in, ev, 4, ARRIVE_MS), 1);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_EQ(repoll_wait(pri, ev, 4, 0), 0);
    char buf[8];
    CHECK_EQ(recv(sv, buf, sizeof buf, 0), 2);

    /* One urgent byte: PRI, and only PRI, since that is all that was asked. */
    CHECK_EQ(send(cl, "!", 1, MSG_OOB), 1);
    memset(ev, 0, sizeof ev);
    CHECK_EQ(repoll_wait(pri, ev, 4, ARRIVE_MS), 1);
    CHECK_EQ(ev[0].data, 0x9121);
    CHECK_EQ(ev[0].events, REPOLL_PRI);
    CHECK_EQ(ev[0].reserved, 0);
    /* Level-triggered: still pending until the urgent byte is read. */
    CHECK_EQ(repoll_wait(pri, ev, 4, 0), 1);
    CHECK_EQ(ev[0].events, REPOLL_PRI);

    char c = 0;
    CHECK_EQ(recv(sv, &c, 1, MSG_OOB), 1);
    CHECK_EQ(c, '!');
    CHECK_EQ(repoll_wait(pri, ev, 4, 0), 0);

    /* A modify to PRI alone is accepted too, with its new data. */
    CHECK_OK(repoll_modify(in, sv, REPOLL_PRI, 0x2));
    CHECK_EQ(repoll_wait(in, ev, 4, 0), 0);
    CHECK_EQ(send(cl, "?", 1, MSG_OOB), 1);
    CHECK_EQ(repoll_wait(in, ev, 4, ARRIVE_MS), 1);
    CHECK_EQ(ev[0].data, 0x2);
    CHECK_EQ(ev[0].events, REPOLL_PRI);
    CHECK_EQ(repoll_wait(pri, ev, 4, ARRIVE_MS), 1);
    CHECK_EQ(ev[0].data, 0x9121);
    CHECK_EQ(ev[0].events, REPOLL_PRI);

    CHECK_OK(repoll_close(pri));
    CHECK_OK(repoll_close(in));
    close(cl);
    close(sv);
    puts("pri: ok");
    return 0;
}
