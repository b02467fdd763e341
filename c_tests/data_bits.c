/* The 64-bit user data round-trips unchanged, every bit of it, through add
 * and through modify: each registration comes back exactly once with its own
 * value, events == REPOLL_IN and reserved == 0. */
#include <sys/eventfd.h>

#include "check.h"

#define MAX_VALUES 256

static uint64_t values[MAX_VALUES];
static int n_values;

static void add_value(uint64_t v) {
    for (int i = 0; i < n_values; i++)
        if (values[i] == v) return; /* e.g. 1 and 1<<0: one fd each value */
    CHECK(n_values < MAX_VALUES);
    values[n_values++] = v;
}

static int static_object;

/* One wait must return every registration exactly once, where expected[i]
 * is the data fd i is registered with. */
static void check_round_trip(repoll_t *ep, const uint64_t *expected, int use_ns) {
    static repoll_event_t ev[MAX_VALUES + 8];
    static int seen[MAX_VALUES];
    /* Garbage first, so a field the library forgets to write shows. */
    memset(ev, 0xff, sizeof ev);
    memset(seen, 0, sizeof seen);
    int cap = (int)(sizeof ev / sizeof ev[0]);
    int n = use_ns ? repoll_wait_ns(ep, ev, cap, 1000000000LL) : repoll_wait(ep, ev, cap, 1000);
    CHECK_EQ(n, n_values);
    for (int k = 0; k < n; k++) {
        CHECK_EQ(ev[k].events, REPOLL_IN);
        CHECK_EQ(ev[k].reserved, 0);
        int found = -1;
        for (int i = 0; i < n_values; i++)
            if (expected[i] == ev[k].data) found = i;
        if (found < 0)
            fprintf(stderr, "data_bits: unexpected data %#llx\n", (unsigned long long)ev[k].data);
        CHECK(found >= 0);
        CHECK_EQ(seen[found], 0);
        seen[found] = 1;
    }
}

int main(void) {
    add_value(0);
    add_value(1);
    add_value(UINT64_MAX);
    add_value(1ULL << 63);
    add_value(0x8000000000000001ULL);
    add_value(0xDEADBEEFCAFEBABEULL);
    add_value((uint64_t)(uintptr_t)&static_object);
    void *heap = malloc(16);
    CHECK(heap != NULL);
    add_value((uint64_t)(uintptr_t)heap);
    add_value((uint64_t)(uintptr_t)&heap); /* a stack address */
    for (int i = 0; i < 64; i++) {
        add_value(1ULL << i);
        add_value(~(1ULL << i));
    }
    CHECK(n_values > 128);

    repoll_t *ep = make_poller(REPOLL_CLOEXEC);
    int fds[MAX_VALUES];
    for (int i = 0; i < n_values; i++) {
        fds[i] = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK); /* readable at once */
        CHECK(fds[i] >= 0);
        CHECK_OK(repoll_add(ep, fds[i], REPOLL_IN, values[i]));
    }
    check_round_trip(ep, values, 0);
    check_round_trip(ep, values, 1);

    /* Modify: each fd takes its neighbour's value, so the same set of values
     * now belongs to different registrations; the old data must be gone. */
    static uint64_t rotated[MAX_VALUES];
    for (int i = 0; i < n_values; i++) rotated[i] = values[(i + 1) % n_values];
    for (int i = 0; i < n_values; i++) CHECK_OK(repoll_modify(ep, fds[i], REPOLL_IN, rotated[i]));
    check_round_trip(ep, rotated, 0);

    /* Which fd carries which value, checked one at a time: a modify on one
     * fd must change only that fd's data. */
    repoll_event_t ev[4];
    for (int i = 0; i < n_values; i++) CHECK_OK(repoll_modify(ep, fds[i], REPOLL_IN | REPOLL_ONESHOT, rotated[i]));
    check_round_trip(ep, rotated, 1);
    CHECK_EQ(repoll_wait(ep, ev, 4, 0), 0); /* all disarmed */
    for (int i = 0; i < n_values; i++) {
        CHECK_OK(repoll_modify(ep, fds[i], REPOLL_IN | REPOLL_ONESHOT, values[i]));
        memset(ev, 0, sizeof ev);
        CHECK_EQ(repoll_wait(ep, ev, 4, 1000), 1);
        CHECK_EQ(ev[0].data, values[i]);
        CHECK_EQ(ev[0].events, REPOLL_IN);
        CHECK_EQ(ev[0].reserved, 0);
    }

    /* Through repoll_ctl as well, on a fresh registration. */
    CHECK_OK(repoll_delete(ep, fds[0]));
    CHECK_OK(repoll_ctl(ep, REPOLL_CTL_ADD, fds[0], REPOLL_IN, 0xFEDCBA9876543210ULL));
    CHECK_EQ(repoll_wait(ep, ev, 4, 1000), 1);
    CHECK_EQ(ev[0].data, 0xFEDCBA9876543210ULL);

    CHECK_OK(repoll_close(ep));
    for (int i = 0; i < n_values; i++) close(fds[i]);
    free(heap);
    puts("data_bits: ok");
    return 0;
}
