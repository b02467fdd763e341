/*
 * The Go binding's view of the handle: an integer. It points to C memory,
 * which cgo's pointer checks need not see, and a pointer argument would cost
 * every call a heap allocation (cgo's copy of it escapes). Each shim only
 * converts it back, so the C compiler checks every call against repoll.h;
 * nothing here restates a declaration.
 */
#ifndef REPOLL_GO_SHIM_H
#define REPOLL_GO_SHIM_H

#include <stdint.h>
#include <repoll.h>

static inline repoll_t *go_h(uintptr_t h) { return (repoll_t *)h; }

static inline int go_create(uintptr_t *out, int flags) {
	repoll_t *h = 0;
	int rc = repoll_create(&h, flags);
	if (rc >= 0)
		*out = (uintptr_t)h;
	return rc;
}

static inline int go_close(uintptr_t h) { return repoll_close(go_h(h)); }
static inline int go_fd(uintptr_t h) { return repoll_fd(go_h(h)); }
static inline int go_wake(uintptr_t h) { return repoll_wake(go_h(h)); }

static inline int go_ctl(uintptr_t h, int op, int fd, uint32_t events, uint64_t data) {
	return repoll_ctl(go_h(h), op, fd, events, data);
}

static inline int go_wait_ns(uintptr_t h, repoll_event_t *events, int maxevents, int64_t ns) {
	return repoll_wait_ns(go_h(h), events, maxevents, ns);
}

/* The id comes back in the result, not through a Go pointer. */
struct go_timer { int rc; uint64_t id; };

static inline struct go_timer go_timer_add(uintptr_t h, int64_t first, int64_t interval, uint64_t data) {
	struct go_timer t = { 0, 0 };
	t.rc = repoll_timer_add(go_h(h), first, interval, data, &t.id);
	return t;
}

static inline int go_timer_cancel(uintptr_t h, uint64_t id) { return repoll_timer_cancel(go_h(h), id); }

#endif
