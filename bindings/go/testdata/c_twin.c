/*
 * The C twin of bench_test.go's BenchmarkWaitOneEvent, BenchmarkAdd and
 * BenchmarkCgoCallFloor: the same loops, against the same library, for the
 * "Go | C" table in ../README.md. From the repository root, after make build:
 *
 *   cc -O2 -Iinclude bindings/go/testdata/c_twin.c -o /tmp/c_twin \
 *      -Ltarget/release -Wl,-rpath,$PWD/target/release -lrepoll && /tmp/c_twin
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <repoll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void) {
	repoll_t *ep;
	int p[2];
	if (repoll_create(&ep, REPOLL_CLOEXEC) || pipe2(p, O_NONBLOCK | O_CLOEXEC) || write(p[1], "x", 1) != 1 ||
	    repoll_add(ep, p[0], REPOLL_IN, 1))
		return 1;

	/* One wait returning one event: a level-triggered readable pipe, polled. */
	repoll_event_t ev[1];
	long n = 2000000;
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (repoll_wait_ns(ep, ev, 1, 0) != 1)
			return 1;
	printf("C wait one event: %.1f ns/op\n", (now_ns() - t0) / n);

	/* One add, among 1000 dups of one fd; the deletes are not timed. */
	repoll_delete(ep, p[0]);
	enum { FDS = 1000 };
	int fds[FDS];
	for (int i = 0; i < FDS; i++)
		if ((fds[i] = dup(p[0])) < 0)
			return 1;
	double timed = 0;
	long rounds = 2000;
	for (long r = 0; r < rounds; r++) {
		t0 = now_ns();
		for (int i = 0; i < FDS; i++)
			if (repoll_add(ep, fds[i], REPOLL_IN, (uint64_t)i))
				return 1;
		timed += now_ns() - t0;
		for (int i = 0; i < FDS; i++)
			repoll_delete(ep, fds[i]);
	}
	printf("C add: %.1f ns/op\n", timed / ((double)rounds * FDS));

	/* The floor: a call into the library that makes no system call. */
	volatile uint32_t sink = 0;
	t0 = now_ns();
	for (long i = 0; i < 10 * n; i++)
		sink += repoll_features();
	printf("C call floor: %.1f ns/op\n", (now_ns() - t0) / (10.0 * n));
	return repoll_close(ep) != 0;
}
