/* Shared helpers for the C tests: CHECK macros that name the failing line
 * and exit non-zero, skipping, a watchdog, event expectations, a waiter
 * thread, an open-fd counter and small fixtures. Each test is one process;
 * the harness (tests/c_programs.rs) compiles it against the built library
 * and kills it after a time limit. */
#ifndef REPOLL_CHECK_H
#define REPOLL_CHECK_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "repoll.h"

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                   \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* Asserts that an int-returning expression equals an expected value, and
 * prints both (with repoll_strerror for negative codes) when it does not. */
#define CHECK_EQ(expr, expected)                                              \
    do {                                                                      \
        long long got_ = (long long)(expr), want_ = (long long)(expected);   \
        if (got_ != want_) {                                                  \
            fprintf(stderr, "%s:%d: %s == %lld (%s), expected %lld (%s)\n",   \
                    __FILE__, __LINE__, #expr, got_,                          \
                    got_ < 0 ? repoll_strerror((int)got_) : "-", want_,       \
                    want_ < 0 ? repoll_strerror((int)want_) : "-");           \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), 0)

/* Monotonic clock in nanoseconds. */
static inline int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define MS 1000000LL /* ns */

/* Sleeps the whole duration, resuming after signal handlers. */
static inline void sleep_ns(int64_t ns) {
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Reads a non-blocking fd until it has nothing left. */
static inline void drain(int fd) {
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static inline void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl != -1);
    CHECK(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

/* A connected TCP pair over 127.0.0.1, both ends non-blocking. */
static inline void tcp_pair(int *client, int *server) {
    int lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(lst >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(lst, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(lst, 1) == 0);
    socklen_t len = sizeof addr;
    CHECK(getsockname(lst, (struct sockaddr *)&addr, &len) == 0);
    *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(*client >= 0);
    CHECK(connect(*client, (struct sockaddr *)&addr, sizeof addr) == 0);
    *server = accept(lst, NULL, NULL);
    CHECK(*server >= 0);
    close(lst);
    set_nonblocking(*client);
    set_nonblocking(*server);
}

static inline repoll_t *make_poller(int flags) {
    repoll_t *ep = NULL;
    CHECK_OK(repoll_create(&ep, flags));
    CHECK(ep != NULL);
    return ep;
}

/* A connected AF_UNIX stream pair, both ends non-blocking. */
static inline void make_pair(int sv[2]) {
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
}

static inline void write_byte(int fd) {
    char c = 'x';
    CHECK(write(fd, &c, 1) == 1);
}

/* ---- open fds ---------------------------------------------------------- */

/* Counts the open fds of the process (to prove nothing leaked): every fd
 * below the hard RLIMIT_NOFILE (or 65536), with poll(2) on chunks of them (a
 * closed fd comes back POLLNVAL). Opens no fd and allocates nothing, so it
 * works with no fd free, in a forked child, and below a lowered soft limit
 * (poll takes as many entries as that allows, of any fd number). */
static inline int count_open_fds(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    const rlim_t most = 1 << 16;
    int end = (int)(rl.rlim_max < most ? rl.rlim_max : most);
    int step = (int)(rl.rlim_cur < 512 ? rl.rlim_cur : 512);
    CHECK(step > 0);
    struct pollfd chunk[512];
    int open_fds = 0;
    for (int base = 0; base < end; base += step) {
        int n = end - base < step ? end - base : step;
        for (int i = 0; i < n; i++) chunk[i] = (struct pollfd){.fd = base + i, .events = 0};
        CHECK(poll(chunk, (nfds_t)n, 0) >= 0);
        for (int i = 0; i < n; i++) open_fds += !(chunk[i].revents & POLLNVAL);
    }
    return open_fds;
}

/* Which fds below FD_MAP_SIZE are open, one flag each (to find the fds a
 * call opened by comparing two maps). */
#define FD_MAP_SIZE 1024
static inline void map_open_fds(unsigned char open_fds[FD_MAP_SIZE]) {
    for (int fd = 0; fd < FD_MAP_SIZE; fd++) open_fds[fd] = fcntl(fd, F_GETFD) != -1;
}

/* Waits until `ms` have passed (never less), returning how many events came
 * meanwhile. */
static inline int events_during(repoll_t *ep, int64_t ms) {
    repoll_event_t ev[16];
    int total = 0;
    int64_t end = now_ns() + ms * MS;
    for (int64_t left; (left = end - now_ns()) > 0;) {
        int n = repoll_wait_ns(ep, ev, 16, left);
        CHECK(n >= 0);
        total += n;
    }
    return total;
}

/* ---- skipping ------------------------------------------------------------ */

/* The exit status of a test that cannot run here (automake's): the harness
 * reports it as skipped, with the reason, never as passed. */
#define EXIT_SKIPPED 77

/* Prints "skipped: <reason>" on stdout, where the harness collects it. */
__attribute__((format(printf, 1, 0))) static inline void print_skip(const char *fmt, va_list ap) {
    fputs("skipped: ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    fflush(stdout);
}

/* Ends the whole test as skipped, saying why. */
__attribute__((format(printf, 1, 2), noreturn)) static inline void skip_test(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    print_skip(fmt, ap);
    va_end(ap);
    exit(EXIT_SKIPPED);
}

/* Notes that one part of the test cannot run here; the rest still runs and
 * the harness reports the part as skipped beside the test's result. */
__attribute__((format(printf, 1, 2))) static inline void skip_part(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    print_skip(fmt, ap);
    va_end(ap);
}

/* ---- watchdog ------------------------------------------------------------ */

/* A hang in a wait with no timeout fails with the name of the phase it hung
 * in (set watchdog_phase as the test goes), not only by the harness's kill. */
__attribute__((unused)) static const char *volatile watchdog_phase = "start";
__attribute__((unused)) static const char *watchdog_test = "test";

static inline void watchdog_fired(int sig) {
    (void)sig;
    const char *t = watchdog_test, *p = watchdog_phase;
    (void)!write(2, t, strlen(t));
    (void)!write(2, ": watchdog fired in phase: ", 27);
    (void)!write(2, p, strlen(p));
    (void)!write(2, "\n", 1);
    _exit(1);
}

static inline void start_watchdog(const char *test, unsigned seconds) {
    watchdog_test = test;
    CHECK(signal(SIGALRM, watchdog_fired) != SIG_ERR);
    alarm(seconds);
}

/* The two waits: repoll_wait (timeout in ms) and repoll_wait_ns (in ns). */
enum wait_kind { WAIT_MS, WAIT_NS };

/* ---- events -------------------------------------------------------------- */

/* Fails unless `ev` is {data, events} with its reserved field zero. */
static inline void check_event(const repoll_event_t *ev, uint64_t data, uint32_t events) {
    CHECK_EQ(ev->data, data);
    CHECK_EQ(ev->events, events);
    CHECK_EQ(ev->reserved, 0);
}

/* Fails unless a wait of up to `timeout_ms` reports exactly one event,
 * {data, events}, printing what came instead. */
static inline void expect_one_within(repoll_t *ep, uint64_t data, uint32_t events,
                                     int timeout_ms) {
    repoll_event_t ev[8];
    memset(ev, 0, sizeof ev);
    int n = repoll_wait(ep, ev, 8, timeout_ms);
    if (n != 1 || ev[0].data != data || ev[0].events != events || ev[0].reserved != 0) {
        fprintf(stderr, "expected one event {%llx, %x}, got %d:", (unsigned long long)data,
                events, n);
        for (int i = 0; i < n; i++)
            fprintf(stderr, " {%llx, %x, reserved %x}", (unsigned long long)ev[i].data,
                    ev[i].events, ev[i].reserved);
        fprintf(stderr, "\n");
        exit(1);
    }
}

/* The same within a second (what loopback and a loaded machine need). */
static inline void expect_one(repoll_t *ep, uint64_t data, uint32_t events) {
    expect_one_within(ep, data, events, 1000);
}

/* Fails if any event is reported within `timeout_ms`. */
static inline void expect_none_within(repoll_t *ep, int timeout_ms) {
    repoll_event_t ev[4];
    CHECK_EQ(repoll_wait(ep, ev, 4, timeout_ms), 0);
}

/* Fails unless no event is ready now. */
static inline void expect_none(repoll_t *ep) { expect_none_within(ep, 0); }

/* Fails unless `times` waits with `timeout` (ms or ns, as `kind` says) each
 * report no event and return no earlier than `at_least` ns. */
static inline void expect_timeout(repoll_t *ep, enum wait_kind kind, int64_t timeout,
                                  int64_t at_least, int times) {
    repoll_event_t ev[4];
    for (int i = 0; i < times; i++) {
        int64_t t0 = now_ns();
        int n = kind == WAIT_MS ? repoll_wait(ep, ev, 4, (int)timeout)
                                : repoll_wait_ns(ep, ev, 4, timeout);
        int64_t elapsed = now_ns() - t0;
        if (n != 0 || elapsed < at_least)
            fprintf(stderr, "%s(%lld) = %d after %lld ns, expected 0 after >= %lld ns\n",
                    kind == WAIT_MS ? "wait" : "wait_ns", (long long)timeout, n,
                    (long long)elapsed, (long long)at_least);
        CHECK_EQ(n, 0);
        CHECK(elapsed >= at_least);
    }
}

/* ---- a wait in another thread ------------------------------------------- */

/* One repoll_wait (timeout in ms) or repoll_wait_ns (in ns) run by its own
 * thread. `tid` is set just before the call, `done` once it has returned. */
struct waiter {
    pthread_t thread;
    repoll_t *ep;
    enum wait_kind kind;
    int64_t timeout;
    int maxevents;
    atomic_int tid;
    atomic_int done;
    int result;
    int64_t returned_at; /* now_ns() when the call returned */
    int64_t elapsed;     /* how long the call took, in ns */
    repoll_event_t ev[8];
};

/* The waiter's one call (also for bodies that wrap it, such as a retry loop). */
static inline int waiter_call(struct waiter *w) {
    return w->kind == WAIT_MS ? repoll_wait(w->ep, w->ev, w->maxevents, (int)w->timeout)
                              : repoll_wait_ns(w->ep, w->ev, w->maxevents, w->timeout);
}

static inline void *waiter_main(void *arg) {
    struct waiter *w = arg;
    atomic_store(&w->tid, (int)syscall(SYS_gettid));
    int64_t t0 = now_ns();
    w->result = waiter_call(w);
    w->returned_at = now_ns();
    w->elapsed = w->returned_at - t0;
    atomic_store(&w->done, 1);
    return NULL;
}

/* Starts a thread running `body` (waiter_main, or one that wraps
 * waiter_call) on `w`, for a wait with at most `maxevents` (<= 8) events. */
static inline void start_waiter_with(struct waiter *w, void *(*body)(void *), repoll_t *ep,
                                     enum wait_kind kind, int64_t timeout, int maxevents) {
    CHECK(maxevents >= 1 && maxevents <= 8);
    memset(w, 0, sizeof *w);
    memset(w->ev, 0xAB, sizeof w->ev);
    w->ep = ep;
    w->kind = kind;
    w->timeout = timeout;
    w->maxevents = maxevents;
    CHECK(pthread_create(&w->thread, NULL, body, w) == 0);
}

static inline void start_waiter(struct waiter *w, repoll_t *ep, enum wait_kind kind,
                                int64_t timeout) {
    start_waiter_with(w, waiter_main, ep, kind, timeout, 8);
}

/* Waits for the waiter to return and joins it; fails after 10 s (a missed
 * wake-up), naming it. */
static inline void join_waiter(struct waiter *w) {
    int64_t t0 = now_ns();
    while (!atomic_load(&w->done)) {
        if (now_ns() - t0 >= 10000 * MS) {
            fprintf(stderr, "a waiter (kind %d, timeout %lld) did not return within 10 s\n",
                    w->kind, (long long)w->timeout);
            exit(1);
        }
        sleep_ns(200000);
    }
    CHECK(pthread_join(w->thread, NULL) == 0);
}

/* ---- an fd made ready by another thread -------------------------------- */

/* A thread that writes one byte to `fd` once `delay_ns` have passed. */
struct delayed_write {
    pthread_t thread;
    int fd;
    int64_t delay_ns;
};

static inline void *delayed_write_main(void *arg) {
    struct delayed_write *dw = arg;
    sleep_ns(dw->delay_ns);
    write_byte(dw->fd);
    return NULL;
}

static inline void start_delayed_write(struct delayed_write *dw, int fd, int64_t delay_ns) {
    dw->fd = fd;
    dw->delay_ns = delay_ns;
    CHECK(pthread_create(&dw->thread, NULL, delayed_write_main, dw) == 0);
}

/* Blocks in one wait with `timeout` while another thread makes sv[0]
 * (registered in `ep` for IN with `data`) ready after 50 ms: the wait must
 * return exactly that event, not 0 (a "poll") and not an error (an
 * "invalid"), and not before the write. Leaves sv[0] drained, `ep` idle. */
static inline void wait_for_delayed_event(repoll_t *ep, int sv[2], uint64_t data,
                                          enum wait_kind kind, int64_t timeout) {
    repoll_event_t ev[4];
    memset(ev, 0xAB, sizeof ev);
    struct delayed_write dw;
    int64_t t0 = now_ns();
    start_delayed_write(&dw, sv[1], 50 * MS);
    int n = kind == WAIT_MS ? repoll_wait(ep, ev, 4, (int)timeout)
                            : repoll_wait_ns(ep, ev, 4, timeout);
    int64_t elapsed = now_ns() - t0;
    CHECK(pthread_join(dw.thread, NULL) == 0);
    if (n != 1)
        fprintf(stderr, "%s(%lld): got %d (%s) after %lld ns\n",
                kind == WAIT_MS ? "wait" : "wait_ns", (long long)timeout, n,
                n < 0 ? repoll_strerror(n) : "-", (long long)elapsed);
    CHECK_EQ(n, 1);
    check_event(&ev[0], data, REPOLL_IN);
    CHECK(elapsed >= 50 * MS); /* it waited for the writer */
    drain(sv[0]);
    expect_none(ep);
}

#endif
