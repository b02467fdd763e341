/* The misuse matrix: every exported function against every bad argument it
 * can get, as one table of {call, arguments, expected code}. Each row is run
 * in order and printed with what it returned; every mismatch is listed and
 * the program fails at the end (so one run shows the whole matrix).
 *
 * Expected codes are the header's (include/repoll.h). Rows whose answer the
 * header does not spell out are marked "undocumented" with the reason; they
 * are still asserted, so a change in behaviour is noticed.
 *
 * Not in the table, by contract: a handle used after repoll_close returned
 * (a use after free, as with close(2)), and arrays shorter than maxevents. */
#include <limits.h>
#include <sys/eventfd.h>

#include "check.h"

#define DATA 0xd47a0000c0ffeeULL
/* Returned by a helper when the call's code was right but a side condition
 * (an output written on error, an early return, a wrong event) was not. */
#define BROKEN 100000

/* ---- fixture ---------------------------------------------------------- */

static repoll_t *ep;        /* the handle most rows use */
static repoll_t *ready_ep;  /* a handle with an event always ready */
static int spare[2];        /* an open socketpair never registered in ep */
static int reg[2];          /* reg[0] registered in ep with IN, nothing ready */
static int closed_fd;       /* opened (a pipe) then closed */
static int regular_fd;      /* a regular file: not pollable */
static int devnull_fd;      /* /dev/null: not pollable */
static int dir_fd;          /* a directory: not pollable */
static int epfd;            /* repoll_fd(ep) */
static int waker_fd = -1, signal_fd = -1; /* ep's internal fds */

static repoll_t *fresh(void) { return make_poller(REPOLL_CLOEXEC); }

/* The fd that appeared between two scans whose link names `kind`. */
static int new_fd_of_kind(const unsigned char *before, const unsigned char *after,
                          const char *kind) {
    for (int fd = 0; fd < FD_MAP_SIZE; fd++) {
        if (before[fd] || !after[fd]) continue;
        char path[64], target[128];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) continue;
        target[n] = 0;
        if (strstr(target, kind)) return fd;
    }
    return -1;
}

/* ---- the calls the rows make ------------------------------------------ */
/* Each takes two int64 arguments (their meaning is per call) and returns
 * the library's code, or BROKEN + something for a side condition. */

typedef int (*call_fn)(int64_t a, int64_t b);

/* repoll_create(&out or NULL, flags): on error `out` must be untouched; on
 * success the handle is closed again. */
static int c_create(int64_t flags, int64_t null_out) {
    if (null_out) return repoll_create(NULL, (int)flags);
    repoll_t *sentinel = (repoll_t *)&ep, *out = sentinel;
    int rc = repoll_create(&out, (int)flags);
    if (rc < 0) return out == sentinel ? rc : BROKEN + 1;
    if (out == sentinel || out == NULL) return BROKEN + 2;
    CHECK_OK(repoll_close(out));
    return rc;
}

/* repoll_ctl / add / modify / delete on ep. A success on an fd that the
 * rows expect to fail is undone so later rows see the same state. */
static int c_ctl(int64_t op, int64_t fd) {
    int rc = repoll_ctl(ep, (int)op, (int)fd, REPOLL_IN, DATA);
    if (rc == 0 && op == REPOLL_CTL_ADD) repoll_delete(ep, (int)fd);
    return rc;
}
static int c_add(int64_t fd, int64_t events) {
    int rc = repoll_add(ep, (int)fd, (uint32_t)events, DATA);
    if (rc == 0) CHECK_OK(repoll_delete(ep, (int)fd));
    return rc;
}
static int c_modify(int64_t fd, int64_t events) {
    int rc = repoll_modify(ep, (int)fd, (uint32_t)events, DATA);
    if (rc == 0 && fd == reg[0]) CHECK_OK(repoll_modify(ep, reg[0], REPOLL_IN, DATA));
    return rc;
}
static int c_delete(int64_t fd, int64_t unused) {
    (void)unused;
    int rc = repoll_delete(ep, (int)fd);
    if (rc == 0 && fd == reg[0]) CHECK_OK(repoll_add(ep, reg[0], REPOLL_IN, DATA));
    return rc;
}
/* The same ops on a fresh handle that has never had a timer or a signal
 * (so its lazily created internal fds do not exist yet). */
static int c_ctl_fresh(int64_t op, int64_t fd) {
    repoll_t *h = fresh();
    int rc = repoll_ctl(h, (int)op, (int)fd, REPOLL_IN, DATA);
    CHECK_OK(repoll_close(h));
    return rc;
}
/* NULL handle, every other argument valid. */
static int c_ctl_null(int64_t op, int64_t fd) {
    return repoll_ctl(NULL, (int)op, (int)fd, REPOLL_IN, DATA);
}
static int c_add_null(int64_t fd, int64_t u) { (void)u; return repoll_add(NULL, (int)fd, REPOLL_IN, DATA); }
static int c_modify_null(int64_t fd, int64_t u) { (void)u; return repoll_modify(NULL, (int)fd, REPOLL_IN, DATA); }
static int c_delete_null(int64_t fd, int64_t u) { (void)u; return repoll_delete(NULL, (int)fd); }

/* A delete ignores events and data, however wild. */
static int c_delete_ignores_events(int64_t events, int64_t data) {
    CHECK_OK(repoll_add(ep, spare[0], REPOLL_IN, DATA));
    return repoll_ctl(ep, REPOLL_CTL_DEL, spare[0], (uint32_t)events, (uint64_t)data);
}
static int c_add_twice(int64_t events, int64_t u) {
    (void)u;
    CHECK_OK(repoll_add(ep, spare[0], REPOLL_IN, DATA));
    int rc = repoll_add(ep, spare[0], (uint32_t)events, DATA + 1);
    CHECK_OK(repoll_delete(ep, spare[0]));
    return rc;
}
/* Nests ep in a second handle, then that handle in ep: a cycle. */
static int c_nest_cycle(int64_t u1, int64_t u2) {
    (void)u1, (void)u2;
    repoll_t *outer = fresh();
    CHECK_OK(repoll_add(outer, epfd, REPOLL_IN, 1));
    int rc = repoll_add(ep, repoll_fd(outer), REPOLL_IN, 2);
    if (rc == 0) repoll_delete(ep, repoll_fd(outer));
    CHECK_OK(repoll_close(outer));
    return rc;
}

/* Waits with a NULL handle, a NULL array or a bad count. `ready_ep` has an
 * event ready, so a wrongly accepted call would return 1, not block. */
static repoll_event_t evbuf[8];
static int c_wait_null_handle(int64_t maxevents, int64_t timeout) {
    return repoll_wait(NULL, evbuf, (int)maxevents, (int)timeout);
}
static int c_wait_ns_null_handle(int64_t maxevents, int64_t timeout) {
    return repoll_wait_ns(NULL, evbuf, (int)maxevents, timeout);
}
static int c_wait_null_array(int64_t maxevents, int64_t timeout) {
    return repoll_wait(ready_ep, NULL, (int)maxevents, (int)timeout);
}
static int c_wait_ns_null_array(int64_t maxevents, int64_t timeout) {
    return repoll_wait_ns(ready_ep, NULL, (int)maxevents, timeout);
}
/* A bad count must also leave the array alone. */
static int c_wait_count(int64_t maxevents, int64_t timeout) {
    memset(evbuf, 0xa5, sizeof evbuf);
    int rc = repoll_wait(ready_ep, evbuf, (int)maxevents, (int)timeout);
    return rc < 0 && evbuf[0].data != 0xa5a5a5a5a5a5a5a5ULL ? BROKEN + 3 : rc;
}
static int c_wait_ns_count(int64_t maxevents, int64_t timeout) {
    memset(evbuf, 0xa5, sizeof evbuf);
    int rc = repoll_wait_ns(ready_ep, evbuf, (int)maxevents, timeout);
    return rc < 0 && evbuf[0].data != 0xa5a5a5a5a5a5a5a5ULL ? BROKEN + 3 : rc;
}

/* A blocking or huge timeout: the wait must not return before another
 * thread makes an fd ready 50 ms after the start, and must then return that
 * one event. Returns the wait's result, or BROKEN + 4 if it came back early
 * or with the wrong event. */
static int blocking_wait(int use_ns, int64_t timeout) {
    repoll_t *h = fresh();
    int sv[2];
    make_pair(sv);
    CHECK_OK(repoll_add(h, sv[0], REPOLL_IN, DATA));
    int64_t t0 = now_ns();
    struct delayed_write dw;
    start_delayed_write(&dw, sv[1], 50 * MS);
    repoll_event_t ev[4];
    sigset_t mask;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0);
    int rc = use_ns == 2 ? repoll_pwait(h, ev, 4, timeout, &mask)
             : use_ns    ? repoll_wait_ns(h, ev, 4, timeout)
                         : repoll_wait(h, ev, 4, (int)timeout);
    int64_t elapsed = now_ns() - t0;
    CHECK(pthread_join(dw.thread, NULL) == 0);
    CHECK_OK(repoll_close(h));
    close(sv[0]);
    close(sv[1]);
    if (rc == 1 && (elapsed < 50 * MS || ev[0].data != DATA || ev[0].events != REPOLL_IN)) {
        fprintf(stderr, "    returned after %lld ns with {%llx, %x}\n", (long long)elapsed,
                (unsigned long long)ev[0].data, ev[0].events);
        return BROKEN + 4;
    }
    return rc;
}
static int c_wait_blocks(int64_t timeout, int64_t u) { (void)u; return blocking_wait(0, timeout); }
static int c_wait_ns_blocks(int64_t timeout, int64_t u) { (void)u; return blocking_wait(1, timeout); }
static int c_pwait_blocks(int64_t timeout, int64_t u) { (void)u; return blocking_wait(2, timeout); }

/* A short timeout with nothing ready: 0 events, never early. */
static int c_wait_times_out(int64_t use_ns, int64_t timeout) {
    repoll_t *h = fresh();
    int64_t t0 = now_ns();
    int rc = use_ns ? repoll_wait_ns(h, evbuf, 8, timeout)
                    : repoll_wait(h, evbuf, 8, (int)timeout);
    int64_t elapsed = now_ns() - t0;
    CHECK_OK(repoll_close(h));
    int64_t want_ns = use_ns ? timeout : timeout * MS;
    return rc == 0 && elapsed < want_ns ? BROKEN + 5 : rc;
}

/* repoll_pwait: `mask` is the thread's own mask (blocking SIGUSR2) or NULL. */
static sigset_t own_mask;
static int c_pwait_null_handle(int64_t maxevents, int64_t null_mask) {
    return repoll_pwait(NULL, evbuf, (int)maxevents, 0, null_mask ? NULL : &own_mask);
}
static int c_pwait_null_array(int64_t maxevents, int64_t null_mask) {
    return repoll_pwait(ready_ep, NULL, (int)maxevents, -1, null_mask ? NULL : &own_mask);
}
static int c_pwait_count(int64_t maxevents, int64_t timeout) {
    memset(evbuf, 0xa5, sizeof evbuf);
    int rc = repoll_pwait(ready_ep, evbuf, (int)maxevents, timeout, &own_mask);
    return rc < 0 && evbuf[0].data != 0xa5a5a5a5a5a5a5a5ULL ? BROKEN + 3 : rc;
}
static int c_pwait_times_out(int64_t timeout, int64_t null_mask) {
    repoll_t *h = fresh();
    int64_t t0 = now_ns();
    int rc = repoll_pwait(h, evbuf, 8, timeout, null_mask ? NULL : &own_mask);
    int64_t elapsed = now_ns() - t0;
    CHECK_OK(repoll_close(h));
    return rc == 0 && elapsed < timeout ? BROKEN + 5 : rc;
}

/* repoll_ctl_batch(ep or NULL, ops or NULL, n) over two ops on spare[0] and
 * spare[1] (ADD then DEL of the first, ADD of the second with `events`):
 * on an error return no result may be written and nothing registered. */
#define UNTOUCHED 0x5eed
static int c_batch(int64_t n, int64_t flags) {
    enum { NULL_EP = 1, NULL_OPS = 2 };
    repoll_ctl_op_t ops[3] = {
        {REPOLL_CTL_ADD, spare[0], REPOLL_IN, UNTOUCHED, DATA},
        {REPOLL_CTL_DEL, spare[0], 0, UNTOUCHED, 0},
        {REPOLL_CTL_ADD, spare[1], REPOLL_IN, UNTOUCHED, DATA},
    };
    int rc = repoll_ctl_batch(flags & NULL_EP ? NULL : ep, flags & NULL_OPS ? NULL : ops, (int)n);
    int registered = repoll_delete(ep, spare[1]) == 0;
    if (rc < 0 && (registered || ops[0].result != UNTOUCHED)) return BROKEN + 14;
    return rc;
}
/* One op with the given (op, fd) on ep: returns the op's result, or BROKEN
 * when the call's count disagrees with it. Success is undone. */
static int c_batch_one(int64_t op, int64_t fd) {
    repoll_ctl_op_t one = {(int)op, (int)fd, REPOLL_IN, UNTOUCHED, DATA};
    int rc = repoll_ctl_batch(ep, &one, 1);
    if (rc != (one.result == 0)) return BROKEN + 15;
    if (one.result == 0 && op == REPOLL_CTL_ADD) repoll_delete(ep, (int)fd);
    return one.result;
}

static int c_close(int64_t null_handle, int64_t u) {
    (void)u;
    return repoll_close(null_handle ? NULL : fresh());
}
/* repoll_fd: NULL, or 0 when the live handle's fd is an epoll instance. */
static int c_fd(int64_t null_handle, int64_t u) {
    (void)u;
    if (null_handle) return repoll_fd(NULL);
    int fd = repoll_fd(ep);
    if (fd < 0) return fd;
    char path[64], target[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    return n > 0 && strstr(target, "eventpoll") ? 0 : BROKEN + 6;
}
/* repoll_wake: NULL, or on a live handle followed by exactly one WAKE. */
static int c_wake(int64_t null_handle, int64_t wakes) {
    if (null_handle) return repoll_wake(NULL);
    repoll_t *h = fresh();
    int rc = 0;
    for (int i = 0; i < wakes && rc == 0; i++) rc = repoll_wake(h);
    if (rc == 0) {
        int n = repoll_wait(h, evbuf, 8, 1000);
        if (n != 1 || evbuf[0].data != 0 || evbuf[0].events != REPOLL_WAKE ||
            repoll_wait(h, evbuf, 8, 0) != 0)
            rc = BROKEN + 7;
    }
    CHECK_OK(repoll_close(h));
    return rc;
}

/* repoll_timer_add(fresh handle, first, interval): on error the id is not
 * written; on success it is non-zero. */
static int c_timer_add(int64_t first, int64_t interval) {
    repoll_t *h = fresh();
    uint64_t id = 777;
    int rc = repoll_timer_add(h, first, interval, DATA, &id);
    if ((rc < 0 && id != 777) || (rc == 0 && (id == 0 || id == 777))) rc = BROKEN + 8;
    CHECK_OK(repoll_close(h));
    return rc;
}
static int c_timer_add_null(int64_t null_handle, int64_t null_id) {
    uint64_t id = 777;
    repoll_t *h = null_handle ? NULL : fresh();
    int rc = repoll_timer_add(h, 0, 0, DATA, null_id ? NULL : &id);
    /* A refused timer must not exist: nothing is reported. */
    if (h && repoll_wait(h, evbuf, 8, 20) != 0) rc = BROKEN + 9;
    if (h) CHECK_OK(repoll_close(h));
    return id == 777 ? rc : BROKEN + 8;
}
/* Adds a timer, then returns how many events a wait of `wait_ms` reports
 * (checking that any event is that timer's). */
static int c_timer_events(int64_t first, int64_t interval) {
    repoll_t *h = fresh();
    uint64_t id;
    CHECK_OK(repoll_timer_add(h, first, interval, DATA, &id));
    int n = repoll_wait(h, evbuf, 8, first == 0 ? 1000 : 0);
    for (int i = 0; i < n; i++)
        if (evbuf[i].data != DATA || evbuf[i].events != REPOLL_TIMER) n = BROKEN + 10;
    CHECK_OK(repoll_close(h));
    return n;
}
/* repoll_timer_cancel(handle with one live timer, id). */
static int c_timer_cancel(int64_t id, int64_t null_handle) {
    repoll_t *h = fresh();
    uint64_t live;
    CHECK_OK(repoll_timer_add(h, 3600000 * MS, 0, DATA, &live));
    int rc = repoll_timer_cancel(null_handle ? NULL : h, (uint64_t)id);
    CHECK_OK(repoll_timer_cancel(h, live)); /* the live one is untouched */
    CHECK_OK(repoll_close(h));
    return rc;
}
/* Cancel an id twice (cancelled == 1) or after its one-shot fired. */
static int c_timer_cancel_dead(int64_t cancelled, int64_t u) {
    (void)u;
    repoll_t *h = fresh();
    uint64_t id;
    if (cancelled) {
        CHECK_OK(repoll_timer_add(h, 3600000 * MS, 0, DATA, &id));
        CHECK_OK(repoll_timer_cancel(h, id));
    } else {
        CHECK_OK(repoll_timer_add(h, 0, 0, DATA, &id));
        CHECK_EQ(repoll_wait(h, evbuf, 8, 1000), 1);
    }
    int rc = repoll_timer_cancel(h, id);
    CHECK_OK(repoll_close(h));
    return rc;
}

/* repoll_signal_add / _delete on a fresh handle (SIGUSR2 is blocked in
 * main, before anything else, as the header requires). */
static int c_signal_add(int64_t signo, int64_t null_handle) {
    repoll_t *h = fresh();
    int rc = repoll_signal_add(null_handle ? NULL : h, (int)signo, DATA);
    CHECK_OK(repoll_close(h));
    return rc;
}
static int c_signal_add_twice(int64_t signo, int64_t u) {
    (void)u;
    repoll_t *h = fresh();
    CHECK_OK(repoll_signal_add(h, (int)signo, DATA));
    int rc = repoll_signal_add(h, (int)signo, DATA + 1);
    CHECK_OK(repoll_close(h));
    return rc;
}
/* Delete `signo` from a handle where SIGUSR2 was added (and, if
 * `deleted_before`, already deleted once). */
static int c_signal_delete(int64_t signo, int64_t deleted_before) {
    repoll_t *h = fresh();
    CHECK_OK(repoll_signal_add(h, SIGUSR2, DATA));
    if (deleted_before) CHECK_OK(repoll_signal_delete(h, (int)signo));
    int rc = repoll_signal_delete(h, (int)signo);
    CHECK_OK(repoll_close(h));
    return rc;
}
static int c_signal_delete_null(int64_t signo, int64_t u) {
    (void)u;
    return repoll_signal_delete(NULL, (int)signo);
}

/* The handle-less functions: 0 when their answers are sane. */
static int c_strerror(int64_t code, int64_t u) {
    (void)u;
    const char *s = repoll_strerror((int)code);
    return s != NULL && s[0] != 0 ? 0 : BROKEN + 11;
}
static int c_version(int64_t u1, int64_t u2) {
    (void)u1, (void)u2;
    return strcmp(repoll_version(), REPOLL_VERSION_STRING) == 0 ? 0 : BROKEN + 12;
}
static int c_features(int64_t u1, int64_t u2) {
    (void)u1, (void)u2;
    uint32_t f = repoll_features();
    uint32_t known = REPOLL_FEATURE_PWAIT2 | REPOLL_FEATURE_EXCLUSIVE;
    return (f & ~known) == 0 && f == repoll_features() ? 0 : BROKEN + 13;
}

/* ---- the table -------------------------------------------------------- */

struct row {
    const char *what;  /* the call as written in C */
    call_fn fn;
    int64_t a, b;
    int want;          /* the expected return value */
    const char *undoc; /* NULL, or why the header does not settle it */
};

static const char *code_name(int c, char *buf, size_t len) {
    static const struct { int code; const char *name; } names[] = {
        {EINVAL, "EINVAL"}, {EBADF, "EBADF"},   {EPERM, "EPERM"},   {EEXIST, "EEXIST"},
        {ENOENT, "ENOENT"}, {ELOOP, "ELOOP"},   {ENOMEM, "ENOMEM"}, {ENOSPC, "ENOSPC"},
        {EMFILE, "EMFILE"}, {EINTR, "EINTR"},   {ENFILE, "ENFILE"},
    };
    if (c >= BROKEN) {
        snprintf(buf, len, "BROKEN+%d", c - BROKEN);
        return buf;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (c == -names[i].code) {
            snprintf(buf, len, "-%s", names[i].name);
            return buf;
        }
    snprintf(buf, len, "%d", c);
    return buf;
}

int main(void) {
    /* Blocked before any thread exists, as repoll_signal_add requires. */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0);
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &own_mask) == 0);
    (void)repoll_features(); /* its probe's throwaway fds stay out of the scans */
    int fds_before = count_open_fds();

    /* Fixture. */
    unsigned char before[FD_MAP_SIZE], after[FD_MAP_SIZE];
    map_open_fds(before);
    ep = fresh();
    map_open_fds(after);
    epfd = repoll_fd(ep);
    waker_fd = new_fd_of_kind(before, after, "[eventfd]");
    CHECK(waker_fd >= 0);
    uint64_t hour;
    CHECK_OK(repoll_timer_add(ep, 3600000 * MS, 0, DATA, &hour)); /* opens no fd */
    map_open_fds(before);
    CHECK_OK(repoll_signal_add(ep, SIGUSR2, DATA));
    map_open_fds(after);
    signal_fd = new_fd_of_kind(before, after, "[signalfd]");
    CHECK(signal_fd >= 0);

    make_pair(spare);
    make_pair(reg);
    CHECK_OK(repoll_add(ep, reg[0], REPOLL_IN, DATA));
    ready_ep = fresh();
    CHECK_OK(repoll_add(ready_ep, spare[1], REPOLL_OUT, DATA)); /* always writable */

    /* A closed fd: a pipe moved to a number nothing else will get, closed. */
    int p[2];
    CHECK(pipe(p) == 0);
    closed_fd = 900;
    CHECK(dup2(p[0], closed_fd) == closed_fd);
    close(p[0]);
    close(p[1]);
    CHECK(close(closed_fd) == 0);
    FILE *tmp = tmpfile();
    CHECK(tmp != NULL);
    regular_fd = fileno(tmp);
    devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK(devnull_fd >= 0);
    dir_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dir_fd >= 0);

    const int ADD = REPOLL_CTL_ADD, MOD = REPOLL_CTL_MOD, DEL = REPOLL_CTL_DEL;
    const int64_t I64MAX = INT64_MAX, I64MIN = INT64_MIN;
    const uint32_t ALL_KERNEL_BITS = REPOLL_IN | REPOLL_PRI | REPOLL_OUT | REPOLL_ERR |
                                     REPOLL_HUP | REPOLL_RDNORM | REPOLL_RDBAND |
                                     REPOLL_WRNORM | REPOLL_WRBAND | REPOLL_MSG |
                                     REPOLL_RDHUP | REPOLL_WAKEUP | REPOLL_ONESHOT | REPOLL_ET;

    struct row rows[] = {
        /* repoll_create */
        {"repoll_create(NULL, 0)", c_create, 0, 1, -EINVAL, NULL},
        {"repoll_create(NULL, CLOEXEC)", c_create, REPOLL_CLOEXEC, 1, -EINVAL, NULL},
        {"repoll_create(NULL, CLOEXEC|RETRY_EINTR)", c_create,
         REPOLL_CLOEXEC | REPOLL_RETRY_EINTR, 1, -EINVAL, NULL},
        {"repoll_create(&h, 0x2 unknown)", c_create, 0x2, 0, -EINVAL, NULL},
        {"repoll_create(&h, 0x4 unknown)", c_create, 0x4, 0, -EINVAL, NULL},
        {"repoll_create(&h, O_NONBLOCK)", c_create, O_NONBLOCK, 0, -EINVAL, NULL},
        {"repoll_create(&h, CLOEXEC|0x2)", c_create, REPOLL_CLOEXEC | 0x2, 0, -EINVAL, NULL},
        {"repoll_create(&h, -1)", c_create, -1, 0, -EINVAL, NULL},
        {"repoll_create(&h, INT_MIN)", c_create, INT_MIN, 0, -EINVAL, NULL},
        {"repoll_create(&h, INT_MAX)", c_create, INT_MAX, 0, -EINVAL, NULL},
        {"repoll_create(&h, 0)", c_create, 0, 0, 0, NULL},
        {"repoll_create(&h, CLOEXEC|RETRY_EINTR)", c_create,
         REPOLL_CLOEXEC | REPOLL_RETRY_EINTR, 0, 0, NULL},

        /* repoll_ctl and its three spellings: the handle */
        {"repoll_ctl(NULL, ADD, fd, IN, d)", c_ctl_null, ADD, spare[0], -EINVAL, NULL},
        {"repoll_ctl(NULL, MOD, fd, IN, d)", c_ctl_null, MOD, reg[0], -EINVAL, NULL},
        {"repoll_ctl(NULL, DEL, fd, IN, d)", c_ctl_null, DEL, reg[0], -EINVAL, NULL},
        {"repoll_ctl(NULL, 0 bad op, fd, IN, d)", c_ctl_null, 0, spare[0], -EINVAL, NULL},
        {"repoll_add(NULL, fd, IN, d)", c_add_null, spare[0], 0, -EINVAL, NULL},
        {"repoll_modify(NULL, fd, IN, d)", c_modify_null, reg[0], 0, -EINVAL, NULL},
        {"repoll_delete(NULL, fd)", c_delete_null, reg[0], 0, -EINVAL, NULL},
        {"repoll_add(NULL, -1, IN, d)", c_add_null, -1, 0, -EINVAL, NULL},

        /* the fd: negative, closed, huge */
        {"repoll_add(h, -1, IN, d) [no timer/signal yet]", c_ctl_fresh, ADD, -1, -EBADF, NULL},
        {"repoll_modify(h, -1, ...) [no timer/signal yet]", c_ctl_fresh, MOD, -1, -EBADF, NULL},
        {"repoll_delete(h, -1) [no timer/signal yet]", c_ctl_fresh, DEL, -1, -EBADF, NULL},
        {"repoll_add(ep, -1, IN, d)", c_add, -1, REPOLL_IN, -EBADF, NULL},
        {"repoll_modify(ep, -1, IN, d)", c_modify, -1, REPOLL_IN, -EBADF, NULL},
        {"repoll_delete(ep, -1)", c_delete, -1, 0, -EBADF, NULL},
        {"repoll_ctl(ep, ADD, -2, IN, d)", c_ctl, ADD, -2, -EBADF, NULL},
        {"repoll_ctl(ep, ADD, INT_MIN, IN, d)", c_ctl, ADD, INT_MIN, -EBADF, NULL},
        {"repoll_ctl(ep, MOD, INT_MIN, IN, d)", c_ctl, MOD, INT_MIN, -EBADF, NULL},
        {"repoll_ctl(ep, DEL, INT_MIN, IN, d)", c_ctl, DEL, INT_MIN, -EBADF, NULL},
        {"repoll_add(ep, closed pipe fd, IN, d)", c_add, closed_fd, REPOLL_IN, -EBADF, NULL},
        {"repoll_modify(ep, closed pipe fd, IN, d)", c_modify, closed_fd, REPOLL_IN, -EBADF, NULL},
        {"repoll_delete(ep, closed pipe fd)", c_delete, closed_fd, 0, -EBADF, NULL},
        {"repoll_add(ep, INT_MAX, IN, d)", c_add, INT_MAX, REPOLL_IN, -EBADF, NULL},
        {"repoll_modify(ep, INT_MAX, IN, d)", c_modify, INT_MAX, REPOLL_IN, -EBADF, NULL},
        {"repoll_delete(ep, INT_MAX)", c_delete, INT_MAX, 0, -EBADF, NULL},
        {"repoll_add(ep, 1<<30, IN, d)", c_add, 1 << 30, REPOLL_IN, -EBADF, NULL},
        {"repoll_ctl(ep, DEL, 1<<30, IN, d)", c_ctl, DEL, 1 << 30, -EBADF, NULL},

        /* the fd: not pollable */
        {"repoll_add(ep, regular file, IN, d)", c_add, regular_fd, REPOLL_IN, -EPERM, NULL},
        {"repoll_modify(ep, regular file, IN, d)", c_modify, regular_fd, REPOLL_IN, -EPERM, NULL},
        {"repoll_delete(ep, regular file)", c_delete, regular_fd, 0, -EPERM, NULL},
        {"repoll_add(ep, /dev/null, IN, d)", c_add, devnull_fd, REPOLL_IN, -EPERM, NULL},
        {"repoll_add(ep, /dev/null, OUT, d)", c_add, devnull_fd, REPOLL_OUT, -EPERM, NULL},
        {"repoll_modify(ep, /dev/null, IN, d)", c_modify, devnull_fd, REPOLL_IN, -EPERM, NULL},
        {"repoll_delete(ep, /dev/null)", c_delete, devnull_fd, 0, -EPERM, NULL},
        {"repoll_add(ep, directory, IN, d)", c_add, dir_fd, REPOLL_IN, -EPERM, NULL},

        /* the fd: the handle's own fds */
        {"repoll_add(ep, repoll_fd(ep), IN, d)", c_add, epfd, REPOLL_IN, -EINVAL, NULL},
        {"repoll_modify(ep, repoll_fd(ep), IN, d)", c_modify, epfd, REPOLL_IN, -EINVAL, NULL},
        {"repoll_delete(ep, repoll_fd(ep))", c_delete, epfd, 0, -EINVAL, NULL},
        {"repoll_add(ep, its waker eventfd, IN, d)", c_add, waker_fd, REPOLL_IN, -EINVAL, NULL},
        {"repoll_modify(ep, its waker eventfd, ...)", c_modify, waker_fd, REPOLL_IN, -EINVAL, NULL},
        {"repoll_delete(ep, its waker eventfd)", c_delete, waker_fd, 0, -EINVAL, NULL},
        {"repoll_add(ep, its signalfd, IN, d)", c_add, signal_fd, REPOLL_IN, -EINVAL, NULL},
        {"repoll_delete(ep, its signalfd)", c_delete, signal_fd, 0, -EINVAL, NULL},
        {"repoll_add(ep, nesting cycle)", c_nest_cycle, 0, 0, -ELOOP, NULL},

        /* registration state */
        {"repoll_add twice (second: OUT)", c_add_twice, REPOLL_OUT, 0, -EEXIST, NULL},
        {"repoll_modify(ep, unregistered fd, IN, d)", c_modify, spare[0], REPOLL_IN, -ENOENT, NULL},
        {"repoll_delete(ep, unregistered fd)", c_delete, spare[0], 0, -ENOENT, NULL},
        {"repoll_ctl(ep, DEL, fd, 0xffffffff, d) ignores events", c_delete_ignores_events,
         0xffffffffLL, -1, 0, NULL},

        /* the op */
        {"repoll_ctl(ep, 0, fd, IN, d)", c_ctl, 0, spare[0], -EINVAL, NULL},
        {"repoll_ctl(ep, 4, fd, IN, d)", c_ctl, 4, spare[0], -EINVAL, NULL},
        {"repoll_ctl(ep, -1, fd, IN, d)", c_ctl, -1, spare[0], -EINVAL, NULL},
        {"repoll_ctl(ep, INT_MAX, fd, IN, d)", c_ctl, INT_MAX, spare[0], -EINVAL, NULL},
        {"repoll_ctl(ep, INT_MIN, fd, IN, d)", c_ctl, INT_MIN, spare[0], -EINVAL, NULL},
        {"repoll_ctl(ep, 4, closed fd, IN, d)", c_ctl, 4, closed_fd, -EINVAL,
         "two bad arguments: which one is reported is not specified"},

        /* the interest: unknown bits and forbidden combinations */
        {"repoll_add(ep, fd, 1<<5 (POLLNVAL), d)", c_add, spare[0], 1 << 5, -EINVAL, NULL},
        {"repoll_add(ep, fd, 1<<11, d)", c_add, spare[0], 1 << 11, -EINVAL, NULL},
        {"repoll_add(ep, fd, IN|1<<27, d)", c_add, spare[0], REPOLL_IN | (1u << 27), -EINVAL, NULL},
        {"repoll_add(ep, fd, WAKE, d)", c_add, spare[0], REPOLL_WAKE, -EINVAL, NULL},
        {"repoll_add(ep, fd, IN|TIMER, d)", c_add, spare[0], REPOLL_IN | REPOLL_TIMER, -EINVAL, NULL},
        {"repoll_add(ep, fd, SIGNAL, d)", c_add, spare[0], REPOLL_SIGNAL, -EINVAL, NULL},
        {"repoll_add(ep, fd, 0xffffffff, d)", c_add, spare[0], 0xffffffffLL, -EINVAL, NULL},
        {"repoll_modify(ep, fd, 1<<11, d)", c_modify, reg[0], 1 << 11, -EINVAL, NULL},
        {"repoll_modify(ep, fd, IN|WAKE, d)", c_modify, reg[0], REPOLL_IN | REPOLL_WAKE, -EINVAL, NULL},
        {"repoll_modify(ep, fd, 0xffffffff, d)", c_modify, reg[0], 0xffffffffLL, -EINVAL, NULL},
        {"repoll_add(ep, fd, EXCLUSIVE|ONESHOT, d)", c_add, spare[0],
         REPOLL_EXCLUSIVE | REPOLL_ONESHOT, -EINVAL, NULL},
        {"repoll_add(ep, fd, EXCLUSIVE|IN|ONESHOT, d)", c_add, spare[0],
         REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_ONESHOT, -EINVAL, NULL},
        {"repoll_add(ep, fd, EXCLUSIVE|PRI, d)", c_add, spare[0], REPOLL_EXCLUSIVE | REPOLL_PRI,
         -EINVAL, NULL},
        {"repoll_add(ep, fd, EXCLUSIVE|IN|RDHUP, d)", c_add, spare[0],
         REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_RDHUP, -EINVAL, NULL},
        {"repoll_modify(ep, fd, EXCLUSIVE|IN, d)", c_modify, reg[0], REPOLL_EXCLUSIVE | REPOLL_IN,
         -EINVAL, NULL},
        {"repoll_ctl(ep, MOD, fd, EXCLUSIVE, d)", c_modify, reg[0], REPOLL_EXCLUSIVE, -EINVAL, NULL},
        /* ... and what the kernel accepts passes */
        {"repoll_add(ep, fd, EXCLUSIVE|IN|ET, d)", c_add, spare[0],
         REPOLL_EXCLUSIVE | REPOLL_IN | REPOLL_ET, 0, NULL},
        {"repoll_add(ep, fd, PRI, d)", c_add, spare[0], REPOLL_PRI, 0, NULL},
        {"repoll_add(ep, fd, 0, d)", c_add, spare[0], 0, 0, NULL},
        {"repoll_add(ep, fd, every kernel bit but EXCLUSIVE, d)", c_add, spare[0],
         ALL_KERNEL_BITS, 0, NULL},
        {"repoll_modify(ep, fd, every kernel bit but EXCLUSIVE, d)", c_modify, reg[0],
         ALL_KERNEL_BITS, 0, NULL},

        /* repoll_wait / repoll_wait_ns: handle, array, count */
        {"repoll_wait(NULL, ev, 8, 0)", c_wait_null_handle, 8, 0, -EINVAL, NULL},
        {"repoll_wait(NULL, ev, 8, -1)", c_wait_null_handle, 8, -1, -EINVAL, NULL},
        {"repoll_wait_ns(NULL, ev, 8, 0)", c_wait_ns_null_handle, 8, 0, -EINVAL, NULL},
        {"repoll_wait_ns(NULL, ev, 8, -1)", c_wait_ns_null_handle, 8, -1, -EINVAL, NULL},
        {"repoll_wait(h, NULL, 1, 0)", c_wait_null_array, 1, 0, -EINVAL, NULL},
        {"repoll_wait(h, NULL, 8, -1)", c_wait_null_array, 8, -1, -EINVAL, NULL},
        {"repoll_wait(h, NULL, 0, 0)", c_wait_null_array, 0, 0, -EINVAL, NULL},
        {"repoll_wait(h, NULL, INT_MAX, 0)", c_wait_null_array, INT_MAX, 0, -EINVAL, NULL},
        {"repoll_wait_ns(h, NULL, 1, -1)", c_wait_ns_null_array, 1, -1, -EINVAL, NULL},
        {"repoll_wait_ns(h, NULL, 1, 0)", c_wait_ns_null_array, 1, 0, -EINVAL, NULL},
        {"repoll_wait_ns(h, NULL, INT_MAX, 0)", c_wait_ns_null_array, INT_MAX, 0, -EINVAL, NULL},
        {"repoll_wait_ns(h, NULL, -1, 0)", c_wait_ns_null_array, -1, 0, -EINVAL, NULL},
        {"repoll_wait(h, ev, 0, 0)", c_wait_count, 0, 0, -EINVAL, NULL},
        {"repoll_wait(h, ev, 0, -1)", c_wait_count, 0, -1, -EINVAL, NULL},
        {"repoll_wait(h, ev, -1, 0)", c_wait_count, -1, 0, -EINVAL, NULL},
        {"repoll_wait(h, ev, -4, -1)", c_wait_count, -4, -1, -EINVAL, NULL},
        {"repoll_wait(h, ev, INT_MIN, -1)", c_wait_count, INT_MIN, -1, -EINVAL, NULL},
        {"repoll_wait_ns(h, ev, 0, 0)", c_wait_ns_count, 0, 0, -EINVAL, NULL},
        {"repoll_wait_ns(h, ev, 0, -1)", c_wait_ns_count, 0, -1, -EINVAL, NULL},
        {"repoll_wait_ns(h, ev, -1, 0)", c_wait_ns_count, -1, 0, -EINVAL, NULL},
        {"repoll_wait_ns(h, ev, INT_MIN, INT64_MAX)", c_wait_ns_count, INT_MIN, I64MAX, -EINVAL,
         NULL},
        {"repoll_wait(h, ev, 1, 0) [event ready]", c_wait_count, 1, 0, 1, NULL},

        /* timeouts: negative blocks, huge is never "at once" */
        {"repoll_wait(h, ev, 4, -1) blocks until ready", c_wait_blocks, -1, 0, 1, NULL},
        {"repoll_wait(h, ev, 4, -2) blocks until ready", c_wait_blocks, -2, 0, 1, NULL},
        {"repoll_wait(h, ev, 4, INT_MIN) blocks until ready", c_wait_blocks, INT_MIN, 0, 1, NULL},
        {"repoll_wait(h, ev, 4, INT_MAX) waits for the event", c_wait_blocks, INT_MAX, 0, 1, NULL},
        {"repoll_wait(h, ev, 4, 1<<30) waits for the event", c_wait_blocks, 1 << 30, 0, 1, NULL},
        {"repoll_wait_ns(h, ev, 4, -1) blocks until ready", c_wait_ns_blocks, -1, 0, 1, NULL},
        {"repoll_wait_ns(h, ev, 4, INT64_MIN) blocks", c_wait_ns_blocks, I64MIN, 0, 1, NULL},
        {"repoll_wait_ns(h, ev, 4, INT64_MAX) waits for it", c_wait_ns_blocks, I64MAX, 0, 1, NULL},
        {"repoll_wait_ns(h, ev, 4, 1<<62) waits for it", c_wait_ns_blocks, 1LL << 62, 0, 1, NULL},
        {"repoll_wait_ns(h, ev, 4, INT_MAX ms + 1 ns)", c_wait_ns_blocks,
         (int64_t)INT_MAX * MS + 1, 0, 1, NULL},
        {"repoll_wait_ns(h, ev, 4, 1<<30 ms)", c_wait_ns_blocks, (int64_t)(1 << 30) * MS, 0, 1,
         NULL},
        {"repoll_wait(h, ev, 8, 0), nothing ready", c_wait_times_out, 0, 0, 0, NULL},
        {"repoll_wait(h, ev, 8, 1), nothing ready", c_wait_times_out, 0, 1, 0, NULL},
        {"repoll_wait(h, ev, 8, 20), nothing ready", c_wait_times_out, 0, 20, 0, NULL},
        {"repoll_wait_ns(h, ev, 8, 0), nothing ready", c_wait_times_out, 1, 0, 0, NULL},
        {"repoll_wait_ns(h, ev, 8, 1), nothing ready", c_wait_times_out, 1, 1, 0, NULL},
        {"repoll_wait_ns(h, ev, 8, 20 ms), nothing ready", c_wait_times_out, 1, 20 * MS, 0, NULL},

        /* repoll_pwait: handle, array, count, mask, timeouts */
        {"repoll_pwait(NULL, ev, 8, 0, &mask)", c_pwait_null_handle, 8, 0, -EINVAL, NULL},
        {"repoll_pwait(NULL, ev, 8, 0, NULL)", c_pwait_null_handle, 8, 1, -EINVAL, NULL},
        {"repoll_pwait(NULL, ev, 0, 0, &mask)", c_pwait_null_handle, 0, 0, -EINVAL, NULL},
        {"repoll_pwait(h, NULL, 8, -1, &mask)", c_pwait_null_array, 8, 0, -EINVAL, NULL},
        {"repoll_pwait(h, NULL, 8, -1, NULL)", c_pwait_null_array, 8, 1, -EINVAL, NULL},
        {"repoll_pwait(h, NULL, 0, -1, NULL)", c_pwait_null_array, 0, 1, -EINVAL, NULL},
        {"repoll_pwait(h, ev, 0, -1, &mask)", c_pwait_count, 0, -1, -EINVAL, NULL},
        {"repoll_pwait(h, ev, -1, 0, &mask)", c_pwait_count, -1, 0, -EINVAL, NULL},
        {"repoll_pwait(h, ev, INT_MIN, INT64_MAX, &mask)", c_pwait_count, INT_MIN, I64MAX,
         -EINVAL, NULL},
        {"repoll_pwait(h, ev, 1, 0, &mask) [event ready]", c_pwait_count, 1, 0, 1, NULL},
        {"repoll_pwait(h, ev, 8, -1, &mask) [event ready]", c_pwait_count, 8, -1, 1, NULL},
        {"repoll_pwait(h, ev, 4, -1, &mask) blocks until ready", c_pwait_blocks, -1, 0, 1, NULL},
        {"repoll_pwait(h, ev, 4, INT64_MIN, &mask) blocks", c_pwait_blocks, I64MIN, 0, 1, NULL},
        {"repoll_pwait(h, ev, 4, INT64_MAX, &mask) waits", c_pwait_blocks, I64MAX, 0, 1, NULL},
        {"repoll_pwait(h, ev, 4, INT_MAX ms + 1 ns, &mask)", c_pwait_blocks,
         (int64_t)INT_MAX * MS + 1, 0, 1, NULL},
        {"repoll_pwait(h, ev, 8, 0, &mask), nothing ready", c_pwait_times_out, 0, 0, 0, NULL},
        {"repoll_pwait(h, ev, 8, 1, &mask), nothing ready", c_pwait_times_out, 1, 0, 0, NULL},
        {"repoll_pwait(h, ev, 8, 20 ms, &mask), nothing ready", c_pwait_times_out, 20 * MS, 0, 0,
         NULL},
        {"repoll_pwait(h, ev, 8, 20 ms, NULL), nothing ready", c_pwait_times_out, 20 * MS, 1, 0,
         NULL},

        /* repoll_ctl_batch: the call's arguments */
        {"repoll_ctl_batch(NULL, ops, 3)", c_batch, 3, 1, -EINVAL, NULL},
        {"repoll_ctl_batch(NULL, ops, 0)", c_batch, 0, 1, -EINVAL, NULL},
        {"repoll_ctl_batch(NULL, NULL, 0)", c_batch, 0, 3, -EINVAL, NULL},
        {"repoll_ctl_batch(NULL, ops, -1)", c_batch, -1, 1, -EINVAL, NULL},
        {"repoll_ctl_batch(ep, NULL, 1)", c_batch, 1, 2, -EINVAL, NULL},
        {"repoll_ctl_batch(ep, NULL, INT_MAX)", c_batch, INT_MAX, 2, -EINVAL, NULL},
        {"repoll_ctl_batch(ep, NULL, -1)", c_batch, -1, 2, -EINVAL, NULL},
        {"repoll_ctl_batch(ep, ops, -1)", c_batch, -1, 0, -EINVAL, NULL},
        {"repoll_ctl_batch(ep, ops, INT_MIN)", c_batch, INT_MIN, 0, -EINVAL, NULL},
        {"repoll_ctl_batch(ep, ops, 0)", c_batch, 0, 0, 0, NULL},
        {"repoll_ctl_batch(ep, NULL, 0)", c_batch, 0, 2, 0, NULL},
        {"repoll_ctl_batch(ep, ops, 3): ADD, DEL, ADD", c_batch, 3, 0, 3, NULL},
        /* ... and each op's own checks, as repoll_ctl's */
        {"batch {0 bad op, fd}", c_batch_one, 0, spare[0], -EINVAL, NULL},
        {"batch {INT_MIN bad op, fd}", c_batch_one, INT_MIN, spare[0], -EINVAL, NULL},
        {"batch {ADD, -1}", c_batch_one, ADD, -1, -EBADF, NULL},
        {"batch {ADD, closed fd}", c_batch_one, ADD, closed_fd, -EBADF, NULL},
        {"batch {ADD, regular file}", c_batch_one, ADD, regular_fd, -EPERM, NULL},
        {"batch {MOD, unregistered fd}", c_batch_one, MOD, spare[0], -ENOENT, NULL},
        {"batch {ADD, registered fd}", c_batch_one, ADD, reg[0], -EEXIST, NULL},
        {"batch {ADD, repoll_fd(ep)}", c_batch_one, ADD, epfd, -EINVAL, NULL},
        {"batch {ADD, its waker eventfd}", c_batch_one, ADD, waker_fd, -EINVAL, NULL},
        {"batch {DEL, its signalfd}", c_batch_one, DEL, signal_fd, -EINVAL, NULL},
        {"batch {ADD, its signalfd}", c_batch_one, ADD, signal_fd, -EINVAL, NULL},
        {"batch {ADD, spare fd}", c_batch_one, ADD, spare[0], 0, NULL},

        /* repoll_close, repoll_fd, repoll_wake */
        {"repoll_close(NULL)", c_close, 1, 0, -EINVAL, NULL},
        {"repoll_close(h)", c_close, 0, 0, 0, NULL},
        {"repoll_fd(NULL)", c_fd, 1, 0, -EINVAL, NULL},
        {"repoll_fd(ep) is an epoll fd", c_fd, 0, 0, 0, NULL},
        {"repoll_wake(NULL)", c_wake, 1, 0, -EINVAL, NULL},
        {"repoll_wake(h) x1: one WAKE", c_wake, 0, 1, 0, NULL},
        {"repoll_wake(h) x1000: still one WAKE", c_wake, 0, 1000, 0, NULL},

        /* repoll_timer_add */
        {"repoll_timer_add(NULL, 0, 0, d, &id)", c_timer_add_null, 1, 0, -EINVAL, NULL},
        {"repoll_timer_add(h, 0, 0, d, NULL)", c_timer_add_null, 0, 1, -EINVAL, NULL},
        {"repoll_timer_add(NULL, 0, 0, d, NULL)", c_timer_add_null, 1, 1, -EINVAL, NULL},
        {"repoll_timer_add(h, -1, 0, ...)", c_timer_add, -1, 0, -EINVAL, NULL},
        {"repoll_timer_add(h, INT64_MIN, 0, ...)", c_timer_add, I64MIN, 0, -EINVAL, NULL},
        {"repoll_timer_add(h, 0, -1, ...)", c_timer_add, 0, -1, -EINVAL, NULL},
        {"repoll_timer_add(h, 1000, INT64_MIN, ...)", c_timer_add, 1000, I64MIN, -EINVAL, NULL},
        {"repoll_timer_add(h, -1, -1, ...)", c_timer_add, -1, -1, -EINVAL, NULL},
        {"repoll_timer_add(h, 0, 0, ...)", c_timer_add, 0, 0, 0, NULL},
        {"repoll_timer_add(h, INT64_MAX, 0, ...)", c_timer_add, I64MAX, 0, 0, NULL},
        {"repoll_timer_add(h, INT64_MAX, INT64_MAX, ...)", c_timer_add, I64MAX, I64MAX, 0, NULL},
        {"timer (0, 0): the next wait reports it once", c_timer_events, 0, 0, 1, NULL},
        {"timer (0, INT64_MAX): reported once", c_timer_events, 0, I64MAX, 1, NULL},
        {"timer (INT64_MAX, 0): a poll reports nothing", c_timer_events, I64MAX, 0, 0, NULL},
        {"timer (1<<62, 1): a poll reports nothing", c_timer_events, 1LL << 62, 1, 0, NULL},

        /* repoll_timer_cancel */
        {"repoll_timer_cancel(NULL, id)", c_timer_cancel, 1, 1, -EINVAL, NULL},
        {"repoll_timer_cancel(h, 0)", c_timer_cancel, 0, 0, -ENOENT, NULL},
        {"repoll_timer_cancel(h, UINT64_MAX)", c_timer_cancel, -1, 0, -ENOENT, NULL},
        {"repoll_timer_cancel(h, 12345)", c_timer_cancel, 12345, 0, -ENOENT, NULL},
        {"repoll_timer_cancel(h, id) twice", c_timer_cancel_dead, 1, 0, -ENOENT, NULL},
        {"repoll_timer_cancel(h, fired one-shot id)", c_timer_cancel_dead, 0, 0, -ENOENT, NULL},

        /* repoll_signal_add */
        {"repoll_signal_add(NULL, SIGUSR2, d)", c_signal_add, SIGUSR2, 1, -EINVAL, NULL},
        {"repoll_signal_add(h, 0, d)", c_signal_add, 0, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, -1, d)", c_signal_add, -1, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, 65, d)", c_signal_add, 65, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, 1000, d)", c_signal_add, 1000, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, INT_MAX, d)", c_signal_add, INT_MAX, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, INT_MIN, d)", c_signal_add, INT_MIN, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, SIGKILL, d)", c_signal_add, SIGKILL, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, SIGSTOP, d)", c_signal_add, SIGSTOP, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, 32 (glibc's), d)", c_signal_add, 32, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, 33 (glibc's), d)", c_signal_add, 33, 0, -EINVAL, NULL},
        {"repoll_signal_add(h, SIGUSR2, d)", c_signal_add, SIGUSR2, 0, 0, NULL},
        {"repoll_signal_add(h, SIGUSR2, d) twice", c_signal_add_twice, SIGUSR2, 0, -EEXIST, NULL},

        /* repoll_signal_delete */
        {"repoll_signal_delete(NULL, SIGUSR2)", c_signal_delete_null, SIGUSR2, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, 0)", c_signal_delete, 0, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, -1)", c_signal_delete, -1, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, 65)", c_signal_delete, 65, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, INT_MAX)", c_signal_delete, INT_MAX, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, INT_MIN)", c_signal_delete, INT_MIN, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, SIGUSR1) never added", c_signal_delete, SIGUSR1, 0, -ENOENT, NULL},
        {"repoll_signal_delete(h, SIGUSR2)", c_signal_delete, SIGUSR2, 0, 0, NULL},
        {"repoll_signal_delete(h, SIGUSR2) twice", c_signal_delete, SIGUSR2, 1, -ENOENT, NULL},
        {"repoll_signal_delete(h, SIGKILL)", c_signal_delete, SIGKILL, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, SIGSTOP)", c_signal_delete, SIGSTOP, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, 32 (glibc's))", c_signal_delete, 32, 0, -EINVAL, NULL},
        {"repoll_signal_delete(h, 33 (glibc's))", c_signal_delete, 33, 0, -EINVAL, NULL},

        /* the handle-less functions */
        {"repoll_strerror(INT_MIN)", c_strerror, INT_MIN, 0, 0, NULL},
        {"repoll_strerror(INT_MAX)", c_strerror, INT_MAX, 0, 0, NULL},
        {"repoll_strerror(-REPOLL_EPANIC)", c_strerror, -REPOLL_EPANIC, 0, 0, NULL},
        {"repoll_strerror(4096)", c_strerror, 4096, 0, 0, NULL},
        {"repoll_strerror(0)", c_strerror, 0, 0, 0, NULL},
        {"repoll_strerror(-EINVAL)", c_strerror, -EINVAL, 0, 0, NULL},
        {"repoll_strerror(-4096)", c_strerror, -4096, 0, 0, NULL},
        {"repoll_strerror(4098)", c_strerror, 4098, 0, 0, NULL},
        {"repoll_strerror(-4098)", c_strerror, -4098, 0, 0, NULL},
        {"repoll_strerror(-999999)", c_strerror, -999999, 0, 0, NULL},
        {"repoll_strerror(INT_MIN + 1)", c_strerror, INT_MIN + 1, 0, 0, NULL},
        {"repoll_version() == REPOLL_VERSION_STRING", c_version, 0, 0, 0, NULL},
        {"repoll_features(): known bits only, stable", c_features, 0, 0, 0, NULL},
    };
    const size_t n_rows = sizeof rows / sizeof rows[0];

    int failed = 0, undocumented = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        int got = r->fn(r->a, r->b);
        char wb[32], gb[32];
        int ok = got == r->want;
        printf("%3zu %-56s want %-8s got %-8s %s\n", i + 1, r->what,
               code_name(r->want, wb, sizeof wb), code_name(got, gb, sizeof gb),
               ok ? "ok" : "FAIL");
        if (r->undoc) {
            undocumented++;
            printf("    undocumented: %s\n", r->undoc);
        }
        if (!ok) {
            failed++;
            fprintf(stderr, "misuse_matrix: row %zu: %s returned %s, expected %s\n", i + 1,
                    r->what, gb, wb);
        }
    }
    fflush(stdout);

    /* After all of it, ep is intact: its registration and its sources work. */
    write_byte(reg[1]);
    repoll_event_t ev[8];
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 1);
    CHECK_EQ(ev[0].data, DATA);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_OK(repoll_wake(ep));
    CHECK_EQ(repoll_wait(ep, ev, 8, 1000), 2); /* still readable, plus the wake */
    CHECK_OK(repoll_timer_cancel(ep, hour));

    CHECK_OK(repoll_close(ep));
    CHECK_OK(repoll_close(ready_ep));
    close(spare[0]);
    close(spare[1]);
    close(reg[0]);
    close(reg[1]);
    fclose(tmp);
    close(devnull_fd);
    close(dir_fd);
    CHECK_EQ(count_open_fds(), fds_before);

    printf("misuse_matrix: %zu rows, %d failed, %d undocumented\n", n_rows, failed,
           undocumented);
    if (failed) return 1;
    puts("misuse_matrix: ok");
    return 0;
}
