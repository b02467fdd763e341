/*
 * Registration benchmark: N fds registered in one epoll instance, by
 *   raw     a loop of epoll_ctl(EPOLL_CTL_ADD) per fd (the floor);
 *   loop    a loop of repoll_add per fd;
 *   batch   one repoll_ctl_batch call with N ADD ops.
 * Each sample registers all N fds in a fresh instance (created, and closed
 * with its registrations, outside the timed part). Backends take turns
 * sample by sample in a rotating order, so that a shared machine's drift
 * spreads evenly; the ratio to raw is paired per round (same moment, same
 * machine state) and its median reported.
 *
 * The fds are eventfds (one fd each: N = 10 000 fits a 20 000 fd limit).
 * Time is the thread's CPU time (registration never blocks), wall time is
 * shown too.
 *
 * Usage: bench_ctl_batch [-n FDS] [-r ROUNDS]
 * Output: one line per backend "ctl_batch backend=... key=value ...".
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <repoll.h>

#include "bench_common.h"

static int n_fds = 10000;
static int *fds;
static repoll_ctl_op_t *ops;

enum { RAW, LOOP, BATCH, BACKENDS };
static const char *names[BACKENDS] = {"raw", "loop", "batch"};

/* Registers all fds with `backend`; returns (cpu ns, wall ns) of that part. */
static void run(int backend, uint64_t *cpu, uint64_t *wall) {
    int epfd = -1;
    repoll_t *ep = NULL;
    if (backend == RAW)
        CHECK_SYS(epfd = epoll_create1(EPOLL_CLOEXEC));
    else
        CHECK_NEG(repoll_create(&ep, REPOLL_CLOEXEC));
    if (backend == BATCH)
        for (int i = 0; i < n_fds; i++)
            ops[i] = (repoll_ctl_op_t){REPOLL_CTL_ADD, fds[i], REPOLL_IN, 0, (uint64_t)i};
    uint64_t c0 = thread_cpu_ns(), w0 = now_ns();
    switch (backend) {
    case RAW:
        for (int i = 0; i < n_fds; i++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
            CHECK_SYS(epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev));
        }
        break;
    case LOOP:
        for (int i = 0; i < n_fds; i++) CHECK_NEG(repoll_add(ep, fds[i], REPOLL_IN, (uint64_t)i));
        break;
    case BATCH: {
        int ok = repoll_ctl_batch(ep, ops, n_fds);
        if (ok != n_fds) DIE("repoll_ctl_batch: %d of %d succeeded", ok, n_fds);
        break;
    }
    }
    *cpu = thread_cpu_ns() - c0;
    *wall = now_ns() - w0;
    if (backend == RAW)
        close(epfd);
    else
        CHECK_NEG(repoll_close(ep));
}

int main(int argc, char **argv) {
    int rounds = 41;
    for (int opt; (opt = getopt(argc, argv, "n:r:")) != -1;) {
        if (opt == 'n') n_fds = atoi(optarg);
        else if (opt == 'r') rounds = atoi(optarg);
        else DIE("usage: bench_ctl_batch [-n FDS] [-r ROUNDS]");
    }
    if (n_fds < 1 || rounds < 1) DIE("need -n >= 1 and -r >= 1");
    long limit = raise_fd_limit();
    if (n_fds + 64 > limit) DIE("-n %d needs more fds than the limit %ld", n_fds, limit);
    fds = malloc(sizeof *fds * (size_t)n_fds);
    ops = malloc(sizeof *ops * (size_t)n_fds);
    if (!fds || !ops) DIE("out of memory");
    for (int i = 0; i < n_fds; i++) CHECK_SYS(fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

    double *cpu[BACKENDS], *wall[BACKENDS], *ratio[BACKENDS];
    for (int b = 0; b < BACKENDS; b++) {
        cpu[b] = malloc(sizeof(double) * (size_t)rounds);
        wall[b] = malloc(sizeof(double) * (size_t)rounds);
        ratio[b] = malloc(sizeof(double) * (size_t)rounds);
        if (!cpu[b] || !wall[b] || !ratio[b]) DIE("out of memory");
    }
    /* Warm-up: one untimed run of each (page faults, caches). */
    for (int b = 0; b < BACKENDS; b++) {
        uint64_t c, w;
        run(b, &c, &w);
    }
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < BACKENDS; k++) {
            int b = (r + k) % BACKENDS;
            uint64_t c, w;
            run(b, &c, &w);
            cpu[b][r] = (double)c / n_fds;
            wall[b][r] = (double)w / n_fds;
        }
        for (int b = 0; b < BACKENDS; b++) ratio[b][r] = cpu[b][r] / cpu[RAW][r];
    }
    for (int b = 0; b < BACKENDS; b++) {
        double med_ratio = quantile(ratio[b], (size_t)rounds, 0.5);
        double p10 = quantile(cpu[b], (size_t)rounds, 0.1);
        double p90 = quantile(cpu[b], (size_t)rounds, 0.9);
        double med = quantile(cpu[b], (size_t)rounds, 0.5);
        printf("ctl_batch backend=%s fds=%d rounds=%d cpu_ns_per_fd=%.1f p10=%.1f p90=%.1f "
               "wall_ns_per_fd=%.1f total_ms=%.2f ratio_to_raw=%.3f\n",
               names[b], n_fds, rounds, med, p10, p90,
               quantile(wall[b], (size_t)rounds, 0.5), med * n_fds / 1e6, med_ratio);
    }
    for (int i = 0; i < n_fds; i++) close(fds[i]);
    return 0;
}
