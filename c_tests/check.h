/* Shared helpers for the C tests: CHECK macros that name the failing line
 * and exit non-zero, and small fixtures. Each test is one process; the
 * harness (tests/c_programs.rs) compiles it against the built library and
 * kills it after a time limit. */
#ifndef REPOLL_CHECK_H
#define REPOLL_CHECK_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* Entries of /proc/self/fd, not counting the directory's own fd. */
static inline int proc_fd_count(void) {
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) n++;
    closedir(d);
    return n;
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

/* Counts the open fds of the process (to prove nothing leaked). */
static inline int count_open_fds(void) {
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1) n++;
    return n;
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

#endif
