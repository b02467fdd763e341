/*
 * The floor for timers: a plain binary min-heap of deadlines over a slab,
 * driven by the wait's own timeout. The least an epoll loop with cancellable
 * one-shot timers can do, written to be beaten by nobody:
 *
 *   - add: one clock read (the deadline is relative to the call, as in
 *     repoll), a slab slot, a sift up. 32 bytes per timer (heap 16, slab 16).
 *   - cancel: the slot from the id, a generation check, a sift.
 *   - wait: the earliest deadline becomes the epoll_pwait2 timeout in
 *     nanoseconds (epoll_wait in whole milliseconds, rounded up, where the
 *     kernel lacks epoll_pwait2): no timerfd, no lock, no second system call.
 *     After the wait, one clock read, then every due timer, up to the room
 *     the caller gave, in deadline order. Never early: a timer is reported
 *     only once the clock has reached its deadline.
 *
 * Header-only, single-threaded, one-shot timers (all the benchmark needs).
 */
#ifndef TIMER_FLOOR_H
#define TIMER_FLOOR_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    uint64_t deadline;
    uint32_t slot;
} floor_entry;

typedef struct {
    uint64_t data;
    uint32_t pos; /* heap index while live; next free slot while free */
    uint32_t gen; /* odd while live */
} floor_slot;

typedef struct {
    int epfd;
    floor_entry *heap;
    floor_slot *slots;
    uint32_t len, cap, nslots, free;
    int have_pwait2;
} floor_loop;

#define FLOOR_NONE UINT32_MAX

static inline uint64_t floor_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int floor_init(floor_loop *l, uint32_t cap) {
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->heap = malloc((size_t)cap * sizeof *l->heap);
    l->slots = malloc((size_t)cap * sizeof *l->slots);
    l->len = l->nslots = 0;
    l->cap = cap;
    l->free = FLOOR_NONE;
    /* A zero timeout on an empty instance tells whether the kernel has it. */
    struct timespec zero = {0, 0};
    struct epoll_event ev;
    l->have_pwait2 = syscall(SYS_epoll_pwait2, l->epfd, &ev, 1, &zero, NULL, 0) >= 0;
    return l->epfd >= 0 && l->heap && l->slots ? 0 : -1;
}

static inline void floor_place(floor_loop *l, uint32_t pos, floor_entry e) {
    l->heap[pos] = e;
    l->slots[e.slot].pos = pos;
}

static inline void floor_sift_up(floor_loop *l, uint32_t pos, floor_entry e) {
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (l->heap[parent].deadline <= e.deadline)
            break;
        floor_place(l, pos, l->heap[parent]);
        pos = parent;
    }
    floor_place(l, pos, e);
}

static inline void floor_sift_down(floor_loop *l, uint32_t pos, floor_entry e) {
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= l->len)
            break;
        if (c + 1 < l->len && l->heap[c + 1].deadline < l->heap[c].deadline)
            c++;
        if (l->heap[c].deadline >= e.deadline)
            break;
        floor_place(l, pos, l->heap[c]);
        pos = c;
    }
    floor_place(l, pos, e);
}

static inline void floor_remove_at(floor_loop *l, uint32_t pos) {
    floor_entry last = l->heap[--l->len];
    if (pos == l->len)
        return;
    if (pos > 0 && l->heap[(pos - 1) / 2].deadline > last.deadline)
        floor_sift_up(l, pos, last);
    else
        floor_sift_down(l, pos, last);
}

static inline void floor_release(floor_loop *l, uint32_t slot) {
    l->slots[slot].gen++; /* even: free */
    l->slots[slot].pos = l->free;
    l->free = slot;
}

/* A timer due `delay_ns` from now; its id goes to *id. -1 when full. */
static inline int floor_add(floor_loop *l, uint64_t delay_ns, uint64_t data, uint64_t *id) {
    uint32_t slot;
    if (l->free != FLOOR_NONE) {
        slot = l->free;
        l->free = l->slots[slot].pos;
        l->slots[slot].gen++;
    } else if (l->nslots < l->cap) {
        slot = l->nslots++;
        l->slots[slot].gen = 1;
    } else {
        return -1;
    }
    l->slots[slot].data = data;
    floor_entry e = {floor_now() + delay_ns, slot};
    floor_sift_up(l, l->len++, e);
    *id = (uint64_t)l->slots[slot].gen << 32 | slot;
    return 0;
}

/* 0, or -1 for an unknown, fired or cancelled id. */
static inline int floor_cancel(floor_loop *l, uint64_t id) {
    uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (slot >= l->nslots || l->slots[slot].gen != gen || !(gen & 1))
        return -1;
    floor_remove_at(l, l->slots[slot].pos);
    floor_release(l, slot);
    return 0;
}

/* Blocks until at least one timer is due (none left: returns 0 at once),
 * then writes the data of up to `room` due timers to `out`, earliest first.
 * Like any event loop, every call waits once (timeout 0 when a timer is
 * already due), so I/O would be polled at the same rate as in repoll. */
static inline int floor_wait(floor_loop *l, uint64_t *out, int room) {
    struct epoll_event evs[1];
    if (l->len == 0)
        return 0;
    for (;;) {
        uint64_t now = floor_now(), due = l->heap[0].deadline;
        uint64_t left = due > now ? due - now : 0;
        if (l->have_pwait2) {
            struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
            syscall(SYS_epoll_pwait2, l->epfd, evs, 1, &ts, NULL, 0);
        } else {
            epoll_wait(l->epfd, evs, 1, (int)((left + 999999) / 1000000));
        }
        if (left > 0)
            now = floor_now();
        int n = 0;
        while (n < room && l->len > 0 && l->heap[0].deadline <= now) {
            uint32_t slot = l->heap[0].slot;
            out[n++] = l->slots[slot].data;
            floor_remove_at(l, 0);
            floor_release(l, slot);
        }
        if (n > 0)
            return n;
    }
}

#endif
