/* repoll_event_t is 16 naturally aligned bytes, data first, on every
 * architecture: asserted at compile time, then checked against the kernel's
 * flag values at run time. */
#include <stdalign.h>
#include <stddef.h>
#include <sys/epoll.h>

#include "check.h"

_Static_assert(sizeof(repoll_event_t) == 16, "repoll_event_t is 16 bytes");
_Static_assert(alignof(repoll_event_t) == 8, "repoll_event_t is 8-aligned");
_Static_assert(offsetof(repoll_event_t, data) == 0, "data first");
_Static_assert(offsetof(repoll_event_t, events) == 8, "events at 8");
_Static_assert(offsetof(repoll_event_t, reserved) == 12, "reserved at 12");

_Static_assert(REPOLL_IN == EPOLLIN, "IN");
_Static_assert(REPOLL_PRI == EPOLLPRI, "PRI");
_Static_assert(REPOLL_OUT == EPOLLOUT, "OUT");
_Static_assert(REPOLL_ERR == EPOLLERR, "ERR");
_Static_assert(REPOLL_HUP == EPOLLHUP, "HUP");
_Static_assert(REPOLL_RDNORM == EPOLLRDNORM, "RDNORM");
_Static_assert(REPOLL_RDBAND == EPOLLRDBAND, "RDBAND");
_Static_assert(REPOLL_WRNORM == EPOLLWRNORM, "WRNORM");
_Static_assert(REPOLL_WRBAND == EPOLLWRBAND, "WRBAND");
_Static_assert(REPOLL_MSG == EPOLLMSG, "MSG");
_Static_assert(REPOLL_RDHUP == EPOLLRDHUP, "RDHUP");
_Static_assert(REPOLL_EXCLUSIVE == (uint32_t)EPOLLEXCLUSIVE, "EXCLUSIVE");
_Static_assert(REPOLL_WAKEUP == (uint32_t)EPOLLWAKEUP, "WAKEUP");
_Static_assert(REPOLL_ONESHOT == (uint32_t)EPOLLONESHOT, "ONESHOT");
_Static_assert(REPOLL_ET == (uint32_t)EPOLLET, "ET");
_Static_assert(REPOLL_CTL_ADD == EPOLL_CTL_ADD, "ADD");
_Static_assert(REPOLL_CTL_DEL == EPOLL_CTL_DEL, "DEL");
_Static_assert(REPOLL_CTL_MOD == EPOLL_CTL_MOD, "MOD");
_Static_assert(REPOLL_CLOEXEC == EPOLL_CLOEXEC, "CLOEXEC");

/* The source bits are ones epoll never reports. */
_Static_assert(((REPOLL_WAKE | REPOLL_TIMER | REPOLL_SIGNAL) &
                (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM |
                 EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP)) == 0,
               "source bits are free");

int main(void) {
    /* An array of events is contiguous 16-byte records. */
    repoll_event_t ev[3];
    CHECK((char *)&ev[2] - (char *)&ev[0] == 32);
    puts("layout: ok");
    return 0;
}
