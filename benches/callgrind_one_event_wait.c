/*
 * The fixed cost of a wait, in instructions: N one-event waits (a
 * level-triggered socket that stays readable, timeout 0) through
 * repoll_wait ("ms"), repoll_wait_ns ("ns") or repoll_pwait with an empty
 * mask ("pw"). Meant for callgrind, counting only inside the library's wait:
 *
 *   valgrind --tool=callgrind --toggle-collect='repoll_*wait*' \
 *       ./callgrind_one_event_wait ms 10000
 *   callgrind_annotate callgrind.out.<pid> | grep 'PROGRAM TOTALS'
 *
 * and divide by N. Valgrind (3.19) does not know epoll_pwait2, so under it
 * the ns and pw waits take the epoll_wait / epoll_pwait fallback.
 *
 * Usage: callgrind_one_event_wait ms|ns|pw [N]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <repoll.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "ms";
    int n = argc > 2 ? atoi(argv[2]) : 10000;
    sigset_t mask;
    sigemptyset(&mask);
    repoll_t *ep;
    int sv[2];
    if (repoll_create(&ep, 0) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 1;
    if (write(sv[1], "x", 1) != 1 || repoll_add(ep, sv[0], REPOLL_IN, 1)) return 1;
    repoll_event_t ev[1];
    long got = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(mode, "pw") == 0)
            got += repoll_pwait(ep, ev, 1, 0, &mask);
        else if (strcmp(mode, "ns") == 0)
            got += repoll_wait_ns(ep, ev, 1, 0);
        else
            got += repoll_wait(ep, ev, 1, 0);
    }
    repoll_close(ep);
    if (got != n) {
        fprintf(stderr, "%ld events from %d waits\n", got, n);
        return 2;
    }
    return 0;
}
