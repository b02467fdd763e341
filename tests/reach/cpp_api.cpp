// repoll from C++: the header is usable as is (extern "C", no C-only
// constructs), and the handle fits RAII. Linked against the built shared
// library by tests/reach.rs; exits 0 when every check passes.
#include <repoll.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,       \
                         __LINE__, #cond);                                    \
            std::exit(1);                                                     \
        }                                                                     \
    } while (0)

// Closes the handle exactly once, when the owner goes out of scope.
struct Closer {
    void operator()(repoll_t *ep) const noexcept {
        int rc = repoll_close(ep);
        if (rc != 0) {
            std::fprintf(stderr, "repoll_close: %s\n", repoll_strerror(rc));
            std::abort();
        }
    }
};
using Poller = std::unique_ptr<repoll_t, Closer>;

static Poller make_poller() {
    repoll_t *raw = nullptr;
    int rc = repoll_create(&raw, REPOLL_CLOEXEC);
    if (rc < 0) {
        std::fprintf(stderr, "repoll_create: %s\n", repoll_strerror(rc));
        std::exit(1);
    }
    return Poller(raw);
}

// The event record is plain old data with the documented layout.
static_assert(std::is_standard_layout<repoll_event_t>::value, "C layout");
static_assert(std::is_trivially_copyable<repoll_event_t>::value, "POD");
static_assert(sizeof(repoll_event_t) == 16, "16 bytes");
static_assert(alignof(repoll_event_t) == 8, "alignment 8");

int main() {
    CHECK(std::string(repoll_version()) == REPOLL_VERSION_STRING);

    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    {
        Poller ep = make_poller();
        const std::uint64_t tag = UINT64_C(0xc0ffee0000c0ffee);
        CHECK(repoll_add(ep.get(), sv[0], REPOLL_IN, tag) == 0);
        CHECK(repoll_add(ep.get(), sv[0], REPOLL_IN, tag) == -EEXIST);

        repoll_event_t events[4] = {};
        CHECK(repoll_wait(ep.get(), events, 4, 0) == 0);
        CHECK(write(sv[1], "x", 1) == 1);
        CHECK(repoll_wait(ep.get(), events, 4, 1000) == 1);
        CHECK(events[0].data == tag);
        CHECK(events[0].events == REPOLL_IN);

        CHECK(repoll_modify(ep.get(), sv[0], REPOLL_OUT, tag + 1) == 0);
        CHECK(repoll_wait_ns(ep.get(), events, 4, 0) == 1);
        CHECK(events[0].data == tag + 1);
        CHECK(repoll_delete(ep.get(), sv[0]) == 0);
        CHECK(repoll_wait(ep.get(), events, 4, 0) == 0);
    } // ~Poller closes the handle
    close(sv[0]);
    close(sv[1]);

    CHECK(repoll_create(nullptr, 0) == -EINVAL);
    CHECK(std::strcmp(repoll_strerror(-EINVAL), std::strerror(EINVAL)) == 0);
    std::puts("cpp_api: ok");
    return 0;
}
