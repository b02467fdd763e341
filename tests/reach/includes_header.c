/* Compiled by tests/reach.rs (syntax only, every warning an error) as
 * -std=c11 -pedantic and as C++11 and C++17: repoll.h must stand alone
 * (included first), survive a second inclusion, and be valid in both
 * languages without any feature macro. */
#include <repoll.h>
#include <repoll.h> /* the include guard holds */

#ifdef __cplusplus
#define STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

STATIC_ASSERT(sizeof(repoll_event_t) == 16, "repoll_event_t is 16 bytes");
STATIC_ASSERT(REPOLL_VERSION_MAJOR >= 0, "version macros are integers");

int repoll_header_check(repoll_t *ep, int fd);

/* Uses the types, the constants and the prototypes the way a caller does. */
int repoll_header_check(repoll_t *ep, int fd) {
    repoll_event_t events[2] = {{0, 0, 0}, {0, 0, 0}};
    uint32_t interest = (uint32_t)(REPOLL_IN | REPOLL_OUT | REPOLL_RDHUP) | (uint32_t)REPOLL_ET;
    uint64_t id = 0;
    const char *version = repoll_version();
    int (*wait_fn)(repoll_t *, repoll_event_t *, int, int) = repoll_wait;
    int rc = repoll_ctl(ep, REPOLL_CTL_ADD, fd, interest, UINT64_C(1) << 63);
    if (rc == 0) rc = repoll_timer_add(ep, 0, 0, 7, &id);
    if (rc == 0) rc = wait_fn(ep, events, 2, 0);
    if (rc < 0) return version[0] == REPOLL_VERSION_STRING[0] ? rc : -REPOLL_EPANIC;
    return rc + (int)(events[0].events & REPOLL_TIMER ? 1 : 0);
}
