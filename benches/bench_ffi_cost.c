/*
 * The C baseline of "Crossing the FFI, per language": the same two
 * operations every binding's cost script times, called straight from C.
 *   wait      one repoll_wait(ep, ev, 16, 0) returning one event (a
 *             level-triggered pipe that stays readable)
 *   reg+unreg one repoll_add plus one repoll_delete of that pipe (a
 *             registration alone cannot be repeated on one fd)
 * and, for scale, the raw system calls doing the same (epoll_wait,
 * epoll_ctl ADD + DEL).
 *
 * Each figure is the median of 7 runs of N calls, in CPU ns per call
 * (CLOCK_THREAD_CPUTIME_ID: no call blocks).
 *
 * Usage: bench_ffi_cost [N]     (default 200000)
 * Output: one line per operation "ffi_cost lang=c op=... ns=...".
 */
#define _GNU_SOURCE
#include <sys/epoll.h>

#include <repoll.h>

#include "bench_common.h"

enum { RUNS = 7 };

static repoll_t *ep;
static int epfd, rd;

static void repoll_wait_one(long n) {
    repoll_event_t ev[16];
    for (long i = 0; i < n; i++)
        if (repoll_wait(ep, ev, 16, 0) != 1) DIE("repoll_wait: not one event");
}

static void repoll_reg_unreg(long n) {
    for (long i = 0; i < n; i++) {
        CHECK_NEG(repoll_add(ep, rd, REPOLL_IN, 1));
        CHECK_NEG(repoll_delete(ep, rd));
    }
}

static void raw_wait_one(long n) {
    struct epoll_event ev[16];
    for (long i = 0; i < n; i++)
        if (epoll_wait(epfd, ev, 16, 0) != 1) DIE("epoll_wait: not one event");
}

static void raw_reg_unreg(long n) {
    for (long i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
        CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_ADD, rd, &ev));
        CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_DEL, rd, NULL));
    }
}

/* CPU ns per call of body(n): the median of RUNS runs, after a warm-up. */
static double measure(void (*body)(long), long n) {
    double t[RUNS];
    body(n / 10 + 1);
    for (int r = 0; r < RUNS; r++) {
        uint64_t c0 = thread_cpu_ns();
        body(n);
        t[r] = (double)(thread_cpu_ns() - c0) / (double)n;
    }
    return quantile(t, RUNS, 0.5);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < 1) DIE("usage: bench_ffi_cost [N >= 1]");
    int p[2];
    CHECK_SYS(pipe(p));
    rd = p[0];
    if (write(p[1], "x", 1) != 1) DIE("write");
    CHECK_NEG(repoll_create(&ep, REPOLL_CLOEXEC));
    CHECK_SYS(epfd = epoll_create1(EPOLL_CLOEXEC));

    CHECK_NEG(repoll_add(ep, rd, REPOLL_IN, 1));
    printf("ffi_cost lang=c op=wait ns=%.1f\n", measure(repoll_wait_one, n));
    CHECK_NEG(repoll_delete(ep, rd));
    printf("ffi_cost lang=c op=reg_unreg ns=%.1f\n", measure(repoll_reg_unreg, n));

    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_ADD, rd, &ev));
    printf("ffi_cost lang=raw op=wait ns=%.1f\n", measure(raw_wait_one, n));
    CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_DEL, rd, NULL));
    printf("ffi_cost lang=raw op=reg_unreg ns=%.1f\n", measure(raw_reg_unreg, n));

    CHECK_NEG(repoll_close(ep));
    close(epfd);
    close(p[0]);
    close(p[1]);
    return 0;
}
