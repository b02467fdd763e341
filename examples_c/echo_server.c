/* A TCP echo server on 127.0.0.1 built on repoll, with a built-in client.
 *
 *   echo_server [PORT]            serve until interrupted (Ctrl-C)
 *   echo_server --client PORT     send lines from stdin, print the echoes
 *   echo_server --demo            serve on a free port and drive it with
 *                                 3 clients from a thread; print what happened
 *   echo_server --self-test       the demo, quietly (used by the test suite)
 *
 * The server is level-triggered and never blocks: each connection is
 * registered with its own index as data; bytes the peer is not ready to
 * take are kept and the connection waits for REPOLL_OUT instead of REPOLL_IN
 * (so a slow reader cannot make the server buffer without bound).
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repoll.h"

#define MAX_CONNS 64
#define LISTENER UINT64_MAX /* data for the listening socket */

struct conn {
    int fd;
    char buf[4096];
    size_t len, off; /* bytes read but not yet echoed: buf[off..len] */
};

static struct conn conns[MAX_CONNS];
static int verbose = 1;

static void die(const char *what, int code) {
    fprintf(stderr, "echo_server: %s: %s\n", what, code < 0 ? repoll_strerror(code) : strerror(errno));
    exit(1);
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket", 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) die("bind/listen", 0);
    return fd;
}

static int port_of(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void drop_conn(repoll_t *ep, size_t i) {
    repoll_delete(ep, conns[i].fd);
    close(conns[i].fd);
    conns[i].fd = -1;
    if (verbose) printf("server: connection %zu closed\n", i);
}

/* Reads what is there, echoes what the peer takes, and switches interest to
 * OUT while something is left over. */
static void serve_conn(repoll_t *ep, size_t i, uint32_t events) {
    struct conn *c = &conns[i];
    if (c->off == c->len && (events & (REPOLL_IN | REPOLL_HUP | REPOLL_ERR))) {
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            drop_conn(ep, i);
            return;
        }
        if (n < 0) return;
        c->off = 0;
        c->len = (size_t)n;
    }
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) {
            drop_conn(ep, i);
            return;
        }
        c->off += (size_t)n;
    }
    uint32_t want = c->off < c->len ? REPOLL_OUT : REPOLL_IN;
    int rc = repoll_modify(ep, c->fd, want, i);
    if (rc < 0) die("repoll_modify", rc);
}

/* Serves until `*stop` is set (checked at least every 100 ms; atomic, as
 * another thread sets it). */
static void serve(int lfd, atomic_int *stop) {
    repoll_t *ep;
    int rc = repoll_create(&ep, REPOLL_CLOEXEC);
    if (rc < 0) die("repoll_create", rc);
    for (size_t i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
    if ((rc = repoll_add(ep, lfd, REPOLL_IN, LISTENER)) < 0) die("repoll_add", rc);

    repoll_event_t events[64];
    while (!atomic_load(stop)) {
        int n = repoll_wait(ep, events, 64, 100);
        if (n == -EINTR) continue;
        if (n < 0) die("repoll_wait", n);
        for (int k = 0; k < n; k++) {
            if (events[k].data != LISTENER) {
                serve_conn(ep, (size_t)events[k].data, events[k].events);
                continue;
            }
            int cfd;
            while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                size_t i = 0;
                while (i < MAX_CONNS && conns[i].fd >= 0) i++;
                if (i == MAX_CONNS) { /* full: refuse politely */
                    close(cfd);
                    continue;
                }
                conns[i] = (struct conn){.fd = cfd};
                if ((rc = repoll_add(ep, cfd, REPOLL_IN, i)) < 0) die("repoll_add", rc);
                if (verbose) printf("server: connection %zu accepted\n", i);
            }
        }
    }
    for (size_t i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0) drop_conn(ep, i);
    repoll_close(ep);
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect", 0);
    return fd;
}

/* Sends `msg` and reads until the same number of bytes came back. */
static int echo_once(int fd, const char *msg, char *reply, size_t cap) {
    size_t len = strlen(msg), got = 0;
    if (write(fd, msg, len) != (ssize_t)len) return -1;
    while (got < len && got < cap) {
        ssize_t n = read(fd, reply + got, cap - got);
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    reply[got] = '\0';
    return strcmp(reply, msg) == 0 ? 0 : -1;
}

struct demo {
    int port, failures, exchanges;
    atomic_int stop;
};

static void *demo_clients(void *arg) {
    struct demo *d = arg;
    int fds[3];
    for (int c = 0; c < 3; c++) fds[c] = connect_to(d->port);
    for (int round = 0; round < 4; round++) {
        for (int c = 0; c < 3; c++) {
            char msg[64], reply[128];
            snprintf(msg, sizeof msg, "hello %d from client %d", round, c);
            if (echo_once(fds[c], msg, reply, sizeof reply - 1) < 0) {
                d->failures++;
            } else {
                d->exchanges++;
                if (verbose) printf("client %d: sent \"%s\", got it back\n", c, msg);
            }
        }
    }
    for (int c = 0; c < 3; c++) close(fds[c]);
    usleep(200 * 1000); /* let the server see the closes */
    atomic_store(&d->stop, 1);
    return NULL;
}

static int demo(void) {
    int lfd = listen_on(0);
    struct demo d = {.port = port_of(lfd)};
    if (verbose) printf("repoll %s: echo server on 127.0.0.1:%d\n", repoll_version(), d.port);
    pthread_t t;
    pthread_create(&t, NULL, demo_clients, &d);
    serve(lfd, &d.stop);
    pthread_join(t, NULL);
    close(lfd);
    printf("echo demo: %d exchanges echoed, %d failed\n", d.exchanges, d.failures);
    return d.failures == 0 && d.exchanges == 12 ? 0 : 1;
}

static int client(int port) {
    int fd = connect_to(port);
    char line[2048], reply[2048];
    while (fgets(line, sizeof line, stdin)) {
        if (echo_once(fd, line, reply, sizeof reply - 1) < 0) die("echo", 0);
        fputs(reply, stdout);
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--self-test") == 0) {
        verbose = 0;
        return demo();
    }
    if (argc > 1 && strcmp(argv[1], "--demo") == 0) return demo();
    if (argc > 2 && strcmp(argv[1], "--client") == 0) return client(atoi(argv[2]));
    int lfd = listen_on(argc > 1 ? atoi(argv[1]) : 7777);
    printf("echo server on 127.0.0.1:%d (try: %s --client %d)\n", port_of(lfd), argv[0], port_of(lfd));
    fflush(stdout);
    static atomic_int never;
    serve(lfd, &never);
    return 0;
}
