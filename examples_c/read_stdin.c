/* Reads standard input through repoll: edge-triggered, draining each
 * readiness report until EAGAIN (with ET, a report you do not drain fully is
 * never repeated), and giving up after a period of silence.
 *
 *   some_command | read_stdin [TIMEOUT_MS]   count what arrives (default 2000)
 *   read_stdin --self-test                   feed itself through a pipe
 *
 * A regular file or /dev/null on stdin cannot be polled (repoll_add answers
 * -EPERM): they never block, so the program just reads them directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repoll.h"

/* Reads everything available right now; returns 1 at end of file. */
static int drain(int fd, size_t *total) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            *total += (size_t)n;
            continue;
        }
        if (n == 0) return 1;
        if (errno == EAGAIN) return 0;
        if (errno == EINTR) continue;
        perror("read");
        exit(1);
    }
}

/* Returns the number of bytes read from fd 0 until EOF or `timeout_ms` of
 * silence. */
static size_t read_all(int timeout_ms, int *timed_out) {
    size_t total = 0;
    *timed_out = 0;
    int flags = fcntl(0, F_GETFL);
    fcntl(0, F_SETFL, flags | O_NONBLOCK);

    repoll_t *ep;
    int rc = repoll_create(&ep, REPOLL_CLOEXEC);
    if (rc < 0) {
        fprintf(stderr, "repoll_create: %s\n", repoll_strerror(rc));
        exit(1);
    }
    rc = repoll_add(ep, 0, REPOLL_IN | REPOLL_ET, 0);
    if (rc == -EPERM) { /* a regular file: always ready, just read it */
        fcntl(0, F_SETFL, flags);
        while (!drain(0, &total)) {}
        repoll_close(ep);
        return total;
    }
    if (rc < 0) {
        fprintf(stderr, "repoll_add: %s\n", repoll_strerror(rc));
        exit(1);
    }
    for (int eof = 0; !eof;) {
        repoll_event_t ev;
        int n = repoll_wait(ep, &ev, 1, timeout_ms);
        if (n == -EINTR) continue;
        if (n < 0) {
            fprintf(stderr, "repoll_wait: %s\n", repoll_strerror(n));
            exit(1);
        }
        if (n == 0) {
            *timed_out = 1;
            break;
        }
        /* IN and HUP both mean: read until EAGAIN (or EOF). */
        eof = drain(0, &total);
    }
    repoll_close(ep);
    fcntl(0, F_SETFL, flags);
    return total;
}

#define CHUNKS 50
#define CHUNK 1000

static void *feeder(void *arg) {
    int fd = *(int *)arg;
    char chunk[CHUNK];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < CHUNKS; i++) {
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) exit(1);
        if (i % 10 == 0) usleep(2000); /* arrive in bursts */
    }
    close(fd);
    return NULL;
}

/* Pipes CHUNKS * CHUNK bytes into our own stdin and checks every byte is
 * counted and EOF ends the loop; then checks silence times out. */
static int self_test(void) {
    int p[2];
    if (pipe(p) < 0 || dup2(p[0], 0) < 0) return 1;
    close(p[0]);
    pthread_t t;
    pthread_create(&t, NULL, feeder, &p[1]);
    int timed_out;
    size_t total = read_all(5000, &timed_out);
    pthread_join(t, NULL);
    if (total != CHUNKS * CHUNK || timed_out) {
        fprintf(stderr, "read %zu bytes (timed out: %d), expected %d\n", total, timed_out, CHUNKS * CHUNK);
        return 1;
    }
    /* A writer that never writes: the wait times out. */
    if (pipe(p) < 0 || dup2(p[0], 0) < 0) return 1;
    total = read_all(50, &timed_out);
    if (total != 0 || !timed_out) return 1;
    printf("read_stdin self-test: %d bytes counted, silence timed out\n", CHUNKS * CHUNK);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--self-test") == 0) return self_test();
    int timeout_ms = argc > 1 ? atoi(argv[1]) : 2000;
    int timed_out;
    size_t total = read_all(timeout_ms, &timed_out);
    printf("%zu bytes%s\n", total, timed_out ? " (stopped after a silence)" : "");
    return 0;
}
