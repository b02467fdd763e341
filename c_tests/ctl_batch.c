/* repoll_ctl_batch: the layout of repoll_ctl_op_t; ops applied in array
 * order (ADD, MOD, DEL of one fd in one batch); each op's result exactly
 * what repoll_ctl returns, a failure not stopping the rest, the count of
 * successes returned, nothing but `result` written; the handle's own fds
 * refused; n == 0, NULL and negative arguments. (10 000 fds in one call:
 * ctl_batch_many.c; the bad-argument rows are in misuse_matrix.c too.) */
#include <assert.h>
#include <stddef.h>
#include <stdalign.h>

#include "check.h"

static_assert(sizeof(repoll_ctl_op_t) == 24, "24 bytes");
static_assert(alignof(repoll_ctl_op_t) == 8, "alignment 8");
static_assert(offsetof(repoll_ctl_op_t, op) == 0, "op at 0");
static_assert(offsetof(repoll_ctl_op_t, fd) == 4, "fd at 4");
static_assert(offsetof(repoll_ctl_op_t, events) == 8, "events at 8");
static_assert(offsetof(repoll_ctl_op_t, result) == 12, "result at 12");
static_assert(offsetof(repoll_ctl_op_t, data) == 16, "data at 16");

#define UNTOUCHED 0x5eed
#define ADD REPOLL_CTL_ADD
#define MOD REPOLL_CTL_MOD
#define DEL REPOLL_CTL_DEL

static repoll_ctl_op_t op(int o, int fd, uint32_t events, uint64_t data) {
    return (repoll_ctl_op_t){.op = o, .fd = fd, .events = events, .result = UNTOUCHED, .data = data};
}

/* ADD, MOD, DEL, ADD of one fd in one batch: each sees the one before. */
static void ops_apply_in_array_order(repoll_t *ep) {
    int sv[2];
    make_pair(sv);
    write_byte(sv[1]);
    repoll_event_t ev[4];
    repoll_ctl_op_t ops[] = {
        op(ADD, sv[0], REPOLL_OUT, 1), op(MOD, sv[0], REPOLL_IN, 2),
        op(DEL, sv[0], 0, 0),          op(MOD, sv[0], REPOLL_IN, 3), /* -ENOENT: deleted */
        op(ADD, sv[0], REPOLL_IN, 4),  op(MOD, sv[0], REPOLL_IN, 5),
    };
    CHECK_EQ(repoll_ctl_batch(ep, ops, 6), 5);
    int want[] = {0, 0, 0, -ENOENT, 0, 0};
    for (int i = 0; i < 6; i++) CHECK_EQ(ops[i].result, want[i]);
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 1);
    CHECK_EQ(ev[0].data, 5); /* the last MOD's */
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_OK(repoll_delete(ep, sv[0]));
    close(sv[0]);
    close(sv[1]);
}

/* Good and bad ops mixed: every result is repoll_ctl's, the bad ones do not
 * stop the good ones after them, and only `result` is written. */
static void mixed_ops_each_get_repoll_ctls_result(repoll_t *ep) {
    int a[2], b[2];
    make_pair(a);
    make_pair(b);
    FILE *tmp = tmpfile();
    CHECK(tmp != NULL);
    /* A closed fd at a number nothing below will reuse. */
    int closed_fd = 900;
    CHECK(dup2(a[1], closed_fd) == closed_fd && close(closed_fd) == 0);
    repoll_ctl_op_t ops[] = {
        op(ADD, a[0], REPOLL_IN, 10),
        op(ADD, a[0], REPOLL_IN, 11),              /* -EEXIST */
        op(0, b[0], REPOLL_IN, 12),                /* -EINVAL: unknown op */
        op(ADD, b[0], 1u << 11, 13),               /* -EINVAL: unknown bit */
        op(ADD, closed_fd, REPOLL_IN, 14),         /* -EBADF */
        op(ADD, fileno(tmp), REPOLL_IN, 15),       /* -EPERM */
        op(MOD, b[0], REPOLL_IN, 16),              /* -ENOENT */
        op(ADD, repoll_fd(ep), REPOLL_IN, 17),     /* -EINVAL: its own fd */
        op(MOD, a[0], REPOLL_EXCLUSIVE | REPOLL_IN, 18), /* -EINVAL */
        op(ADD, b[0], REPOLL_IN | REPOLL_ET, 19),
        op(DEL, -1, 0, 0),                         /* -EBADF */
    };
    const int n = sizeof ops / sizeof ops[0];
    repoll_ctl_op_t before[sizeof ops / sizeof ops[0]];
    memcpy(before, ops, sizeof ops);
    int want[] = {0, -EEXIST, -EINVAL, -EINVAL, -EBADF, -EPERM, -ENOENT, -EINVAL, -EINVAL, 0, -EBADF};
    CHECK_EQ(repoll_ctl_batch(ep, ops, n), 2);
    for (int i = 0; i < n; i++) {
        if (ops[i].result != want[i]) fprintf(stderr, "op %d:\n", i);
        CHECK_EQ(ops[i].result, want[i]);
        /* Every other field as it was. */
        before[i].result = ops[i].result;
        CHECK(memcmp(&before[i], &ops[i], sizeof ops[i]) == 0);
    }
    /* The same ops one by one through repoll_ctl, on a fresh handle (its
     * own fd differs, so that row is rebuilt): the same answers. */
    repoll_t *h = make_poller(0);
    ops[7].fd = repoll_fd(h);
    for (int i = 0; i < n; i++)
        CHECK_EQ(repoll_ctl(h, ops[i].op, ops[i].fd, ops[i].events, ops[i].data), want[i]);
    CHECK_OK(repoll_close(h));

    /* The two that succeeded are registered, with their data. */
    write_byte(a[1]);
    write_byte(b[1]);
    repoll_event_t ev[4];
    CHECK_EQ(repoll_wait(ep, ev, 4, 1000), 2);
    uint64_t seen = ev[0].data + ev[1].data;
    CHECK_EQ(seen, 10 + 19);
    repoll_ctl_op_t undo[] = {op(DEL, a[0], 0, 0), op(DEL, b[0], 0, 0)};
    CHECK_EQ(repoll_ctl_batch(ep, undo, 2), 2);
    CHECK_EQ(undo[0].result, 0);
    CHECK_EQ(undo[1].result, 0);
    fclose(tmp);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

/* The handle's signalfd, once it exists, is refused like the epoll fd
 * (found as the fd that appears when it is created); a timer opens no fd. */
static void internal_fds_are_refused(void) {
    repoll_t *ep = make_poller(0);
    unsigned char before[FD_MAP_SIZE];
    map_open_fds(before);
    uint64_t id;
    CHECK_OK(repoll_timer_add(ep, 3600000 * MS, 0, 1, &id));
    CHECK_OK(repoll_signal_add(ep, SIGUSR2, 2));
    int signal_fd = -1, others = 0;
    for (int fd = 0; fd < FD_MAP_SIZE; fd++) {
        char path[64], target[64] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (before[fd] || readlink(path, target, sizeof target - 1) <= 0) continue;
        if (strstr(target, "signalfd")) signal_fd = fd;
        else others++;
    }
    CHECK(signal_fd >= 0);
    CHECK_EQ(others, 0); /* the timer opened nothing */
    repoll_ctl_op_t ops[] = {
        op(ADD, signal_fd, REPOLL_IN, 1), op(DEL, signal_fd, 0, 0),
        op(ADD, repoll_fd(ep), REPOLL_IN, 1), op(DEL, repoll_fd(ep), 0, 0),
    };
    CHECK_EQ(repoll_ctl_batch(ep, ops, 4), 0);
    for (int i = 0; i < 4; i++) CHECK_EQ(ops[i].result, -EINVAL);
    /* The timer and the signal still work. */
    CHECK_OK(repoll_timer_cancel(ep, id));
    CHECK_OK(repoll_signal_delete(ep, SIGUSR2));
    CHECK_OK(repoll_close(ep));
}

/* Bad arguments: nothing applied, no result written. */
static void bad_arguments_write_nothing(repoll_t *ep) {
    int sv[2];
    make_pair(sv);
    repoll_ctl_op_t ops[2] = {op(ADD, sv[0], REPOLL_IN, 1), op(ADD, sv[1], REPOLL_IN, 2)};
    CHECK_EQ(repoll_ctl_batch(NULL, ops, 2), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(NULL, ops, 0), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(NULL, NULL, 0), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(NULL, NULL, -1), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(ep, NULL, 1), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(ep, NULL, 10000), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(ep, NULL, -1), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(ep, ops, -1), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(ep, ops, INT32_MIN), -EINVAL);
    CHECK_EQ(repoll_ctl_batch(ep, ops, 0), 0);
    CHECK_EQ(repoll_ctl_batch(ep, NULL, 0), 0);
    CHECK_EQ(ops[0].result, UNTOUCHED);
    CHECK_EQ(ops[1].result, UNTOUCHED);
    /* Nothing was registered by any of them. */
    CHECK_EQ(repoll_delete(ep, sv[0]), -ENOENT);
    CHECK_EQ(repoll_delete(ep, sv[1]), -ENOENT);
    /* n == 1 of 2: the second op is neither applied nor written. */
    CHECK_EQ(repoll_ctl_batch(ep, ops, 1), 1);
    CHECK_EQ(ops[0].result, 0);
    CHECK_EQ(ops[1].result, UNTOUCHED);
    CHECK_EQ(repoll_delete(ep, sv[1]), -ENOENT);
    CHECK_OK(repoll_delete(ep, sv[0]));
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    repoll_t *ep = make_poller(0);
    ops_apply_in_array_order(ep);
    mixed_ops_each_get_repoll_ctls_result(ep);
    bad_arguments_write_nothing(ep);
    internal_fds_are_refused();
    CHECK_OK(repoll_close(ep));
    puts("ctl_batch: ok");
    return 0;
}
