/* Allocation failure inside the library is reported, never aborted on (Rust
 * aborts on out-of-memory by default; the library uses fallible allocation).
 *
 * In a forked child whose address space is capped with RLIMIT_AS:
 * - timers are added until repoll_timer_add returns -ENOMEM (the queue
 *   cannot grow); the handle stays fully usable: cancel, re-add into the
 *   freed room, expiry, wake;
 * - with the heap then filled to the last byte, repoll_create returns
 *   -ENOMEM (or -EMFILE / -ENFILE) and leaks no fd, while the calls the
 *   header says never allocate (ctl, wait, wake, timer cancel, re-adding a
 *   timer into freed room) still work; once memory is back, create works.
 * The parent checks the child's exit status: killed by SIGABRT (an abort on
 * out-of-memory) or any other signal is a failure.
 *
 * ASan, TSan and valgrind reserve huge address ranges, so RLIMIT_AS cannot
 * work under them: the test exits as skipped there (the sanitizers are
 * detected at compile time; valgrind with RUNNING_ON_VALGRIND, or
 * REPOLL_UNDER_VALGRIND=1). */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define HEADROOM (32L << 20) /* address space the child may still grow by */
#define MAX_TIMERS 100000000L

/* The process's current address-space size, from /proc/self/statm. */
static long address_space_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f != NULL);
    long pages = 0;
    CHECK(fscanf(f, "%ld", &pages) == 1);
    fclose(f);
    return pages * sysconf(_SC_PAGESIZE);
}

/* Fails the child with a message that needs no heap. */
#define CHILD_CHECK(cond)                                                             \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "alloc_failure child: line %d: %s\n", __LINE__, #cond);   \
            _exit(1);                                                                 \
        }                                                                             \
    } while (0)

/* Takes every byte malloc can still hand out; returns the list of blocks
 * (each starts with the pointer to the next). */
static void *fill_heap(void) {
    static const size_t sizes[] = {1 << 20, 1 << 16, 1 << 12, 512, 128, 32, 16, 8};
    void *head = NULL;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p;
        while ((p = malloc(sizes[i])) != NULL) {
            *(void **)p = head;
            head = p;
        }
    }
    return head;
}

static void free_heap(void *head) {
    while (head) {
        void *next = *(void **)head;
        free(head);
        head = next;
    }
}

static void child(void) {
    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int sv[2];
    make_pair(sv);
    uint64_t first;
    /* The first timer (and its queue's first allocation): before the cap. */
    CHECK_OK(repoll_timer_add(ep, 3600000 * MS, 0, 0, &first));
    (void)repoll_features();

    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_AS, &rl) == 0);
    rlim_t cap = (rlim_t)(address_space_bytes() + HEADROOM);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > cap) rl.rlim_cur = cap;
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
    printf("alloc_failure: RLIMIT_AS capped at %ld MiB\n", (long)(cap >> 20));
    fflush(stdout); /* stdout's buffer exists before the heap runs out */

    /* 1. Timers until the queue cannot grow. */
    long added = 1;
    uint64_t id = 0, last = first;
    int rc;
    while ((rc = repoll_timer_add(ep, 3600000 * MS + added, 0, (uint64_t)added, &id)) == 0) {
        last = id;
        CHILD_CHECK(++added < MAX_TIMERS);
    }
    fprintf(stderr, "alloc_failure: %ld timers, then repoll_timer_add == %d (%s)\n", added, rc,
            repoll_strerror(rc));
    CHILD_CHECK(rc == -ENOMEM);
    CHILD_CHECK(id == last); /* not written on failure */
    /* The queue is intact: cancel one, and its room takes a timer due now. */
    CHILD_CHECK(repoll_timer_cancel(ep, last) == 0);
    CHILD_CHECK(repoll_timer_add(ep, 0, 0, 0xD0E, &id) == 0);
    repoll_event_t ev[4];
    CHILD_CHECK(repoll_wait(ep, ev, 4, 1000) == 1);
    CHILD_CHECK(ev[0].data == 0xD0E && ev[0].events == REPOLL_TIMER);
    CHILD_CHECK(repoll_timer_cancel(ep, id) == -ENOENT); /* fired one-shot */

    /* 2. Not one byte left on the heap. */
    int fds = count_open_fds();
    void *blocks = fill_heap();
    CHILD_CHECK(malloc(1) == NULL);
    repoll_t *other = (repoll_t *)&fds;
    rc = repoll_create(&other, 0);
    fprintf(stderr, "alloc_failure: repoll_create with the heap full == %d (%s)\n", rc,
            repoll_strerror(rc));
    CHILD_CHECK(rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE);
    CHILD_CHECK(other == (repoll_t *)&fds);
    CHILD_CHECK(count_open_fds() == fds); /* what it opened is closed again */
    /* The calls that never allocate still work. */
    CHILD_CHECK(repoll_add(ep, sv[0], REPOLL_IN, 0xADD) == 0);
    write_byte(sv[1]);
    CHILD_CHECK(repoll_wait(ep, ev, 4, 1000) == 1);
    CHILD_CHECK(ev[0].data == 0xADD && ev[0].events == REPOLL_IN);
    CHILD_CHECK(repoll_modify(ep, sv[0], REPOLL_OUT, 0x0D) == 0);
    CHILD_CHECK(repoll_wait_ns(ep, ev, 4, 0) == 1 && ev[0].data == 0x0D);
    CHILD_CHECK(repoll_delete(ep, sv[0]) == 0);
    CHILD_CHECK(repoll_wake(ep) == 0);
    CHILD_CHECK(repoll_wait(ep, ev, 4, 1000) == 1 && ev[0].events == REPOLL_WAKE);
    CHILD_CHECK(repoll_timer_cancel(ep, first) == 0);
    CHILD_CHECK(repoll_timer_add(ep, 0, 0, 0xF1, &id) == 0); /* into the freed room */
    CHILD_CHECK(repoll_wait(ep, ev, 4, 1000) == 1 && ev[0].data == 0xF1);
    CHILD_CHECK(repoll_strerror(-ENOMEM) != NULL);

    /* 3. Memory back: create works again. */
    free_heap(blocks);
    CHILD_CHECK(repoll_create(&other, 0) == 0);
    CHILD_CHECK(repoll_close(other) == 0);
    CHILD_CHECK(repoll_close(ep) == 0);
    close(sv[0]);
    close(sv[1]);
    _exit(0);
}

int main(void) {
    if (UNDER_ASAN) skip_test("built with AddressSanitizer (RLIMIT_AS cannot work)");
    if (UNDER_TSAN) skip_test("built with ThreadSanitizer (RLIMIT_AS cannot work)");
    const char *env = getenv("REPOLL_UNDER_VALGRIND");
    if (RUNNING_ON_VALGRIND || (env && *env && strcmp(env, "0") != 0))
        skip_test("under valgrind (RLIMIT_AS cannot work)");
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) child();
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "alloc_failure: the child was killed by signal %d (%s)%s\n",
                WTERMSIG(status), strsignal(WTERMSIG(status)),
                WTERMSIG(status) == SIGABRT ? ": an abort on allocation failure" : "");
        return 1;
    }
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    puts("alloc_failure: ok");
    return 0;
}
