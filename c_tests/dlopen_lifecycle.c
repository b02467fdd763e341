/* The library as a dlopen user (Python ctypes, LuaJIT FFI, Julia, ...) sees
 * it: loaded at run time from REPOLL_LIBRARY (the harness sets it to the
 * built librepoll.so.0; default: the soname, found through the loader's
 * search path), every function resolved by name, then the lifecycle run
 * through the resolved pointers only.
 *
 * The program is linked WITHOUT the library (only -ldl), so a direct call to
 * any repoll_* function would fail to link: every call below goes through
 * `api`. repoll.h is still included for the types, the constants and, with
 * __typeof__, the exact prototypes of the pointers. */
#include <dlfcn.h>
#include <stddef.h>

#include "check.h"

/* Every function the header declares. A name missing from the library fails
 * the test by name. */
#define REPOLL_FUNCTIONS(X)                                                   \
    X(create)                                                                 \
    X(ctl)                                                                    \
    X(add)                                                                    \
    X(modify)                                                                 \
    X(delete)                                                                 \
    X(wait)                                                                   \
    X(wait_ns)                                                                \
    X(close)                                                                  \
    X(fd)                                                                     \
    X(wake)                                                                   \
    X(timer_add)                                                              \
    X(timer_cancel)                                                           \
    X(signal_add)                                                             \
    X(signal_delete)                                                          \
    X(strerror)                                                               \
    X(version)                                                                \
    X(features)

/* One pointer per function, typed from the header's own prototype:
 * api.create has the type of &repoll_create, and so on. */
struct api {
#define FIELD(name) __typeof__(repoll_##name) *name;
    REPOLL_FUNCTIONS(FIELD)
#undef FIELD
};
static struct api api;

static const struct {
    const char *name;
    size_t offset;
} symbols[] = {
#define ENTRY(name) {"repoll_" #name, offsetof(struct api, name)},
    REPOLL_FUNCTIONS(ENTRY)
#undef ENTRY
};

/* check.h's CHECK_EQ names negative codes with repoll_strerror: route it
 * through the resolved pointer too (used only after resolve()). */
#define repoll_strerror(code) api.strerror(code)

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "POSIX: data and function pointers have the same size");

static void *load(void) {
    const char *path = getenv("REPOLL_LIBRARY");
    if (path == NULL || *path == '\0') path = "librepoll.so.0";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen(\"%s\") failed: %s\n", path, dlerror());
        exit(1);
    }
    return lib;
}

/* Fills `api`; reports every missing symbol, then fails if any was. */
static void resolve(void *lib) {
    int missing = 0;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        dlerror();
        void *sym = dlsym(lib, symbols[i].name);
        const char *err = dlerror();
        if (sym == NULL || err != NULL) {
            fprintf(stderr, "missing symbol: %s (%s)\n", symbols[i].name,
                    err ? err : "resolved to NULL");
            missing++;
            continue;
        }
        /* POSIX guarantees the round trip; memcpy keeps ISO C quiet. */
        memcpy((char *)&api + symbols[i].offset, &sym, sizeof sym);
    }
    if (missing) {
        fprintf(stderr, "%d of %zu symbols missing\n", missing,
                sizeof symbols / sizeof symbols[0]);
        exit(1);
    }
}

int main(void) {
    void *lib = load();
    resolve(lib);

    /* The library the loader found is the one this header describes. */
    const char *version = api.version();
    CHECK(version != NULL);
    if (strcmp(version, REPOLL_VERSION_STRING) != 0) {
        fprintf(stderr, "library version %s, header version %s\n", version,
                REPOLL_VERSION_STRING);
        return 1;
    }

    repoll_t *ep = NULL;
    CHECK_OK(api.create(&ep, REPOLL_CLOEXEC));
    CHECK(ep != NULL);
    CHECK(api.fd(ep) >= 0);

    int sv[2];
    make_pair(sv);
    repoll_event_t ev[4];
    memset(ev, 0xff, sizeof ev);

    /* Values that need all 64 bits (a truncation to 32 would show). */
    const uint64_t data1 = UINT64_C(0xfedcba9876543210);
    const uint64_t data2 = UINT64_C(0x8000000000000001);

    CHECK_OK(api.add(ep, sv[0], REPOLL_IN, data1));

    /* Nothing ready: a wait with a timeout times out and returns 0. */
    int64_t t0 = now_ns();
    CHECK_EQ(api.wait(ep, ev, 4, 20), 0);
    CHECK(now_ns() - t0 >= 20 * 1000000LL);
    CHECK_EQ(api.wait_ns(ep, ev, 4, 1000000), 0);

    /* Readable: one event carrying the 64-bit data. */
    write_byte(sv[1]);
    CHECK_EQ(api.wait(ep, ev, 4, 1000), 1);
    CHECK(ev[0].data == data1);
    CHECK_EQ(ev[0].events, REPOLL_IN);
    CHECK_EQ(ev[0].reserved, 0);

    /* Modify: new interest and new data. */
    CHECK_OK(api.modify(ep, sv[0], REPOLL_IN | REPOLL_OUT, data2));
    CHECK_EQ(api.wait_ns(ep, ev, 4, 0), 1);
    CHECK(ev[0].data == data2);
    CHECK_EQ(ev[0].events, REPOLL_IN | REPOLL_OUT);
    CHECK_OK(api.ctl(ep, REPOLL_CTL_MOD, sv[0], REPOLL_OUT, data1));
    CHECK_EQ(api.wait(ep, ev, 4, 0), 1);
    CHECK(ev[0].data == data1);

    /* A wake comes back as its own event. */
    CHECK_OK(api.wake(ep));
    CHECK_OK(api.delete(ep, sv[0]));
    CHECK_EQ(api.wait(ep, ev, 4, 1000), 1);
    CHECK_EQ(ev[0].events, REPOLL_WAKE);

    /* Deleted: nothing more, and deleting again is -ENOENT. */
    CHECK_EQ(api.wait(ep, ev, 4, 0), 0);
    CHECK_EQ(api.delete(ep, sv[0]), -ENOENT);

    CHECK_OK(api.close(ep));
    close(sv[0]);
    close(sv[1]);

    /* Errors are values, named by strerror; misuse is -EINVAL, not a crash. */
    CHECK_EQ(api.add(NULL, 0, REPOLL_IN, 0), -EINVAL);
    const char *msg = api.strerror(-EINVAL);
    CHECK(msg != NULL && strcmp(msg, strerror(EINVAL)) == 0);
    CHECK(api.strerror(123456) != NULL);
    CHECK((api.features() &
           ~(uint32_t)(REPOLL_FEATURE_PWAIT2 | REPOLL_FEATURE_EXCLUSIVE)) == 0);

    CHECK(dlclose(lib) == 0);
    puts("dlopen_lifecycle: ok");
    return 0;
}
