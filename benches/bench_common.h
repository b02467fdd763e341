/*
 * Helpers shared by the benchmark programs: clocks, order statistics,
 * /proc/self/status readers and fatal-error checks. Header-only on purpose:
 * each benchmark is one C file plus this.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define DIE(...)                                                               \
    do {                                                                       \
        fprintf(stderr, "FATAL %s:%d: ", __FILE__, __LINE__);                  \
        fprintf(stderr, __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                   \
        exit(2);                                                               \
    } while (0)

/* A POSIX call returning -1 + errno on failure. */
#define CHECK_SYS(expr)                                                        \
    do {                                                                       \
        if ((expr) < 0)                                                        \
            DIE("%s: %s", #expr, strerror(errno));                             \
    } while (0)

/* A library call returning < 0 (a negated errno, or a uv error) on failure. */
#define CHECK_NEG(expr)                                                        \
    do {                                                                       \
        long rc_ = (long)(expr);                                               \
        if (rc_ < 0)                                                           \
            DIE("%s returned %ld (%s)", #expr, rc_, strerror((int)-rc_));      \
    } while (0)

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the whole process (user + system, all threads). */
static inline uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread (user + system). For work that never
 * blocks, this is the wall time minus the time other processes held the CPU. */
static inline uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts `v` in place and returns the p-quantile (0 <= p <= 1), nearest rank. */
static inline double quantile(double *v, size_t n, double p) {
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* A field of /proc/self/status in kB ("VmRSS:", "VmHWM:"), -1 if absent. */
static inline long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0) {
            kb = strtol(line + len, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Raises the soft fd limit to the hard one; returns the new limit. */
static inline long raise_fd_limit(void) {
    struct rlimit rl;
    CHECK_SYS(getrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = rl.rlim_max;
    CHECK_SYS(setrlimit(RLIMIT_NOFILE, &rl));
    return (long)rl.rlim_cur;
}

/* A loop that lost an event waits forever: arm a watchdog before each unit
 * of work that should end well before `seconds`, naming what it runs; when
 * it fires, the program says so and exits with status 2. watchdog(0, NULL)
 * disarms it. */
static const char *watchdog_what = "?";
static void watchdog_fired(int sig) {
    (void)sig;
    static const char msg[] = "FATAL: watchdog: this never finished (an event was lost?): ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, watchdog_what, strlen(watchdog_what)) < 0 ||
        write(2, "\n", 1) < 0) {
    }
    _exit(2);
}
static inline void watchdog(unsigned seconds, const char *what) {
    if (what)
        watchdog_what = what;
    signal(SIGALRM, watchdog_fired);
    alarm(seconds);
}

/* A small deterministic generator, identical for every backend. */
static inline uint64_t xorshift64(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#endif
