# repoll: build, test, demo, bench, install. `make help` lists the targets.

CARGO   ?= cargo
CC      ?= cc
CFLAGS  ?= -O2 -g
# The flags every C program built against the library gets (tests, examples,
# demo, benches): c_tests/cflags is the one place that defines them.
C_FLAGS := $(shell sed '/^\#/d' c_tests/cflags)
RELEASE := target/release

.PHONY: all build header test demo clean help

all: build

help:
	@echo "make demo     build the library and run the echo server example end to end"
	@echo "make test     Rust tests, C tests, examples, install/dlopen/C++, every binding, generated-file drift"
	@echo "make header   regenerate include/repoll.h, repoll.json and repoll_ffi.h from src/ffi"
	@echo "make build    release build: $(RELEASE)/librepoll.so (+ .so.0 link) and librepoll.a"
	@echo "make install  stripped library, header, repoll.pc, share/repoll/ (PREFIX=$(PREFIX))"
	@echo "make install-debug  also the library's debug info (librepoll.so.X.Y.Z.debug)"
	@echo "make bench    benchmarks side by side (benches/RESULTS.md); make bench-deps installs what they need"
	@echo "make fuzz     each fuzz target FUZZ_SECONDS (60) from its seeds; make fuzz-coverage: per-file coverage"

# The soname link beside the library, so that dlopen("librepoll.so.0") and
# programs linked with -lrepoll run from the build tree too.
build:
	$(CARGO) build --release
	@$(MAKE) --no-print-directory soname-link BUILD_DIR=$(RELEASE)

.PHONY: soname-link
soname-link:
	ln -sfn librepoll.so '$(BUILD_DIR)/$(REPOLL_SONAME)'

# build.rs always generates the header, and from it repoll.json and
# repoll_ffi.h (build/api), into OUT_DIR; this copies them over the committed
# ones. A test fails while they differ.
header:
	REPOLL_WRITE_HEADER=1 $(CARGO) build

# cargo test builds the library into target/debug/deps without copying it up
# to target/debug, where users (and the Python binding's build-tree lookup)
# expect it: cargo build does that. The binding suites (bindings/run-tests)
# are pointed at the copy cargo test used.
test:
	$(CARGO) build
	@$(MAKE) --no-print-directory soname-link BUILD_DIR=target/debug
	$(CARGO) test
	REPOLL_LIBRARY=$(CURDIR)/target/debug/deps/librepoll.so bindings/run-tests

# The demo links the example against the release library through its soname.
$(RELEASE)/demo/echo_server: examples_c/echo_server.c include/repoll.h c_tests/cflags build
	@mkdir -p $(RELEASE)/demo
	@ln -sf ../librepoll.so $(RELEASE)/demo/librepoll.so.0
	$(CC) $(C_FLAGS) $(CFLAGS) -Iinclude $< -o $@ -L$(RELEASE) -lrepoll -Wl,-rpath,'$$ORIGIN'

demo: $(RELEASE)/demo/echo_server
	$(RELEASE)/demo/echo_server --demo

clean:
	$(CARGO) clean

# ---- checks (sanitizers, valgrind, slow tests) ----

# `make check-all` = `make test`; every C test (c_tests/*.c) and example again, built
# with AddressSanitizer + UndefinedBehaviorSanitizer (check-asan); again
# under valgrind memcheck with leak checking (check-valgrind); and the thread
# stress test at 4x its size (check-slow). Any finding fails the run. The
# library is Rust and not instrumented, but ASan's interceptors check the C
# side, and LeakSanitizer and memcheck see every malloc/free, the library's
# included. gcc needs libasan8 + libubsan1 (clang: libclang-rt-14-dev);
# .ci/run installs them and valgrind. About 2 minutes on 2 cores, build included.
#
# REPOLL_TEST_SYSCTL=1 lets exhaustion.c lower fs.epoll.max_user_watches for
# about a millisecond (as root only; the harness runs that test alone, and
# it is restored on every path). Under valgrind the stress test runs at
# REPOLL_STRESS_SCALE (a fraction of its 1 000 000 calls), and
# alloc_failure.c skips there and under ASan (RLIMIT_AS cannot work).
SANITIZE_CFLAGS       ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# No suppressions are needed: every C test runs clean under memcheck 3.19.
# (valgrind 3.19 does not know epoll_pwait2 and warns "unhandled syscall
# 441"; the call fails with ENOSYS and the library falls back to epoll_wait.)
VALGRIND              ?= valgrind --error-exitcode=99 --leak-check=full \
                         --errors-for-leak-kinds=definite,indirect --track-fds=no -q
VALGRIND_STRESS_SCALE ?= 0.2
SLOW_STRESS_SCALE     ?= 4

.PHONY: check-all check-asan check-valgrind check-slow check-tsan

# The runs go one after another (sanitized programs are compiled into their
# own target/debug/c-bin-<tag>); all of them run even when one fails.
check-all:
	@failed=; \
	REPOLL_TEST_SYSCTL=1 $(MAKE) --no-print-directory test || failed="$$failed test"; \
	$(MAKE) --no-print-directory check-asan || failed="$$failed check-asan"; \
	$(MAKE) --no-print-directory check-valgrind || failed="$$failed check-valgrind"; \
	$(MAKE) --no-print-directory check-slow || failed="$$failed check-slow"; \
	if [ -n "$$failed" ]; then echo "check-all: FAILED:$$failed" >&2; exit 1; fi; \
	echo "check-all: passed (test, check-asan, check-valgrind, check-slow)"

check-asan:
	REPOLL_TEST_SYSCTL=1 REPOLL_C_BIN_TAG=asan REPOLL_C_CFLAGS="$(SANITIZE_CFLAGS)" \
	ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(CARGO) test --test c_programs

check-valgrind:
	REPOLL_TEST_SYSCTL=1 REPOLL_C_BIN_TAG=valgrind REPOLL_UNDER_VALGRIND=1 \
	REPOLL_STRESS_SCALE=$(VALGRIND_STRESS_SCALE) REPOLL_C_WRAPPER="$(VALGRIND)" \
	$(CARGO) test --test c_programs

check-slow:
	REPOLL_STRESS_SCALE=$(SLOW_STRESS_SCALE) $(CARGO) test --test c_programs -- --exact stress_threads

# ThreadSanitizer on every C test and example (alloc_failure skips: RLIMIT_AS
# cannot work under it). The library, and std with it (-Zbuild-std), are
# built with -Zsanitizer=thread by the nightly toolchain into target/tsan, so
# the normal build is untouched; the C programs are compiled by clang with
# -fsanitize=thread and linked against rustc's own TSan runtime, so both
# sides share one runtime (clang's is left out; gcc 12's is too old for
# rustc's instrumentation). Any report fails the program, hence the run.
# Needs the nightly toolchain with rust-src (`rustup component add rust-src
# --toolchain nightly`) and clang; .ci/run installs them when it can.
TSAN_TOOLCHAIN ?= +nightly
TSAN_CC        ?= clang
TSAN_TARGET     = $(shell rustc $(TSAN_TOOLCHAIN) -vV | sed -n 's/^host: //p')
TSAN_RUNTIME    = $(shell rustc $(TSAN_TOOLCHAIN) --print sysroot)/lib/rustlib/$(TSAN_TARGET)/lib/librustc-nightly_rt.tsan.a
TSAN_CFLAGS     = -fsanitize=thread -fno-sanitize-link-runtime \
                  -Wl,--whole-archive $(TSAN_RUNTIME) -Wl,--no-whole-archive -rdynamic -ldl -lm -lrt

check-tsan:
	@test -f "$(TSAN_RUNTIME)" || { echo "check-tsan: no TSan runtime at $(TSAN_RUNTIME) (needs the nightly toolchain)" >&2; exit 1; }
	REPOLL_TEST_SYSCTL=1 RUSTFLAGS=-Zsanitizer=thread REPOLL_C_BIN_TAG=tsan REPOLL_C_CC=$(TSAN_CC) \
	REPOLL_C_CFLAGS="$(TSAN_CFLAGS)" TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	$(CARGO) $(TSAN_TOOLCHAIN) test -Zbuild-std --target $(TSAN_TARGET) \
	    --target-dir target/tsan --test c_programs

# ---- fuzzing (fuzz/; fuzz/README.md has the figures and the long run) ----
# `make fuzz` runs each target FUZZ_SECONDS (default 60) from its committed
# seeds (fuzz/seeds/<target>, replayed by `make test` too) plus the growing
# corpus (fuzz/corpus/<target>, git-ignored); a finding stops it and lands
# in fuzz/artifacts/<target>/. `make fuzz-coverage` reports, per source file
# of src/, the lines, functions and regions the committed seeds reach.
# Both need cargo-fuzz (`cargo install cargo-fuzz`) and the nightly
# toolchain (coverage: also `rustup component add llvm-tools-preview
# --toolchain nightly`).
FUZZ_SECONDS   ?= 60
FUZZ_TARGETS   ?= ops threads
FUZZ_TOOLCHAIN ?= +nightly
FUZZ_HOST       = $(shell rustc $(FUZZ_TOOLCHAIN) -vV | sed -n 's/^host: //p')
FUZZ_LLVM_BIN   = $(shell rustc $(FUZZ_TOOLCHAIN) --print sysroot)/lib/rustlib/$(FUZZ_HOST)/bin
FUZZ_COV_BIN    = target/$(FUZZ_HOST)/coverage/$(FUZZ_HOST)/release
.PHONY: fuzz fuzz-coverage
fuzz:
	@command -v cargo-fuzz >/dev/null || { echo "fuzz: needs cargo-fuzz (cargo install cargo-fuzz)" >&2; exit 1; }
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	    mkdir -p corpus/$$t && \
	    $(CARGO) $(FUZZ_TOOLCHAIN) fuzz run -O $$t corpus/$$t seeds/$$t -- \
	        -max_total_time=$(FUZZ_SECONDS) -timeout=30 -print_final_stats=1 || exit 1; \
	done

fuzz-coverage:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	    $(CARGO) $(FUZZ_TOOLCHAIN) fuzz coverage $$t seeds/$$t || exit 1; \
	done
	cd fuzz && $(FUZZ_LLVM_BIN)/llvm-profdata merge -sparse $(foreach t,$(FUZZ_TARGETS),coverage/$(t)/coverage.profdata) -o coverage/all.profdata
	cd fuzz && $(FUZZ_LLVM_BIN)/llvm-cov report $(FUZZ_COV_BIN)/$(firstword $(FUZZ_TARGETS)) \
	    $(foreach t,$(wordlist 2,9,$(FUZZ_TARGETS)),-object $(FUZZ_COV_BIN)/$(t)) \
	    -instr-profile=coverage/all.profdata $(CURDIR)/src

# ---- benchmarks (benches/) ----
# `make bench` installs nothing: when a package is missing it stops and says
# which, and `make bench-deps` installs them (apt-get; through sudo when not
# root). gnuplot-nox is optional (the plot). REPOLL_BENCH_BEFORE=lib.so adds
# that library's figures beside the current ones (before/after).
BENCH_PACKAGES ?= gcc pkg-config libev-dev libevent-dev libuv1-dev valgrind gnuplot-nox
SUDO           ?= $(if $(filter 0,$(shell id -u)),,sudo)
.PHONY: bench bench-deps
bench: build
	benches/run

bench-deps:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BENCH_PACKAGES)

# ---- install (pkg-config, static, shared) ----
# `make install` = `make install-prep` (cargo build --release, and the
# static-link query below) + `make install-files`, which never runs cargo: it
# copies what BUILD_DIR holds. So `make install-prep && sudo make
# install-files` works where root has no cargo, and the test suite installs
# target/debug from inside `cargo test` the same way.
#
#   make install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu DESTDIR=/tmp/stage
#   make uninstall ...the same variables...
#
# DESTDIR is a staging root prepended to every path written; it never
# appears in the installed files (repoll.pc holds the final PREFIX).
#
# The installed libraries are stripped; the shared library's debug info goes to
# $(LIBDIR)/librepoll.so.X.Y.Z.debug, named by the library's .gnu_debuglink
# (gdb finds it there), with `make install-debug` only. include/repoll.json
# and include/repoll_ffi.h, for binding authors, go to $(DATADIR)/repoll/,
# which repoll.pc names: `pkg-config --variable=apidir repoll`.
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR      ?= $(PREFIX)/share
APIDIR       := $(DATADIR)/repoll
DESTDIR      ?=
BUILD_DIR    ?= $(RELEASE)
INSTALL      ?= install
READELF      ?= readelf
OBJCOPY      ?= objcopy

# The version has one source, Cargo.toml's [package] table; the soname
# carries the major number only (as build.rs sets it).
cargo_package_field = $(shell sed -n '/^\[package\]/,/^\[/s/^$(1)[ \t]*=[ \t]*"\(.*\)".*/\1/p' Cargo.toml)
REPOLL_VERSION     := $(call cargo_package_field,version)
REPOLL_DESCRIPTION := $(call cargo_package_field,description)
REPOLL_SOMAJOR     := $(firstword $(subst ., ,$(REPOLL_VERSION)))
REPOLL_SONAME      := librepoll.so.$(REPOLL_SOMAJOR)
REPOLL_SOFILE      := librepoll.so.$(REPOLL_VERSION)

# System libraries a static link of librepoll.a needs (repoll.pc's
# Libs.private), as rustc reports them for this crate. Asked once with cargo
# (a staticlib-only build of the lib target, which has its own fingerprint,
# so it does not invalidate `cargo build --release`) and cached; redone when
# the manifest or the lock file changes. Passing NATIVE_STATIC_LIBS=... skips
# the query (the test suite does, since it cannot run cargo inside cargo).
NATIVE_LIBS_CACHE  := target/native-static-libs.txt
NATIVE_STATIC_LIBS ?= $(shell cat $(NATIVE_LIBS_CACHE) 2>/dev/null)

$(NATIVE_LIBS_CACHE): Cargo.toml $(wildcard Cargo.lock)
	@mkdir -p $(@D)
	$(CARGO) rustc --release --lib --crate-type staticlib \
	    -- --print native-static-libs > $@.log 2>&1 \
	 && sed -n 's/^note: native-static-libs: *//p' $@.log | tail -n 1 > $@.tmp \
	 && test -s $@.tmp && mv $@.tmp $@ && rm -f $@.log \
	 || { cat $@.log >&2; rm -f $@.tmp; echo "no native-static-libs from rustc" >&2; exit 1; }

# Absolute paths in repoll.pc, written relative to ${prefix} where they can be.
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
# Escapes a value for the right-hand side of a sed s|||.
sed_rhs = $(subst |,\|,$(subst &,\&,$(subst \,\\,$(1))))

# Everything install-files creates (uninstall removes exactly these).
INSTALLED_FILES = \
	$(DESTDIR)$(LIBDIR)/$(REPOLL_SOFILE) \
	$(DESTDIR)$(LIBDIR)/$(REPOLL_SONAME) \
	$(DESTDIR)$(LIBDIR)/librepoll.so \
	$(DESTDIR)$(LIBDIR)/librepoll.a \
	$(DESTDIR)$(INCLUDEDIR)/repoll.h \
	$(DESTDIR)$(PKGCONFIGDIR)/repoll.pc \
	$(DESTDIR)$(APIDIR)/repoll.json \
	$(DESTDIR)$(APIDIR)/repoll_ffi.h
DEBUG_FILE = $(DESTDIR)$(LIBDIR)/$(REPOLL_SOFILE).debug

.PHONY: install install-prep install-files install-debug install-debug-files uninstall

install-prep: build $(NATIVE_LIBS_CACHE)

# A sub-make, so that install-files reads the cache written just before.
install: install-prep
	@$(MAKE) --no-print-directory install-files BUILD_DIR=$(RELEASE)

install-files:
	@test -n "$(REPOLL_VERSION)" || { echo "no [package] version in Cargo.toml" >&2; exit 1; }
	@test -n "$(NATIVE_STATIC_LIBS)" || { echo "$(NATIVE_LIBS_CACHE) is missing: run 'make install-prep', or pass NATIVE_STATIC_LIBS=..." >&2; exit 1; }
	@for f in $(BUILD_DIR)/librepoll.so $(BUILD_DIR)/librepoll.a; do \
	   test -f $$f || { echo "$$f is missing: run 'make install-prep' first" >&2; exit 1; }; done
	@if command -v $(READELF) >/dev/null 2>&1; then \
	   $(READELF) -d $(BUILD_DIR)/librepoll.so | grep -q 'SONAME.*\[$(REPOLL_SONAME)\]' \
	   || { echo "$(BUILD_DIR)/librepoll.so lacks the soname $(REPOLL_SONAME)" >&2; exit 1; }; fi
	$(INSTALL) -d '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCLUDEDIR)' '$(DESTDIR)$(PKGCONFIGDIR)' '$(DESTDIR)$(APIDIR)'
	@# Split in a directory of its own: parallel installs share BUILD_DIR.
	@set -e; split=$$(mktemp -d); trap 'rm -rf "$$split"' EXIT; \
	 set -x; \
	 $(OBJCOPY) --only-keep-debug $(BUILD_DIR)/librepoll.so "$$split/$(REPOLL_SOFILE).debug"; \
	 $(OBJCOPY) --strip-debug --strip-unneeded --add-gnu-debuglink="$$split/$(REPOLL_SOFILE).debug" \
	     $(BUILD_DIR)/librepoll.so "$$split/$(REPOLL_SOFILE)"; \
	 $(INSTALL) -m 755 "$$split/$(REPOLL_SOFILE)" '$(DESTDIR)$(LIBDIR)/$(REPOLL_SOFILE)'
	ln -sfn $(REPOLL_SOFILE) '$(DESTDIR)$(LIBDIR)/$(REPOLL_SONAME)'
	ln -sfn $(REPOLL_SONAME) '$(DESTDIR)$(LIBDIR)/librepoll.so'
	$(OBJCOPY) --strip-debug $(BUILD_DIR)/librepoll.a '$(DESTDIR)$(LIBDIR)/librepoll.a'
	@chmod 644 '$(DESTDIR)$(LIBDIR)/librepoll.a'
	$(INSTALL) -m 644 include/repoll.h '$(DESTDIR)$(INCLUDEDIR)/repoll.h'
	$(INSTALL) -m 644 include/repoll.json include/repoll_ffi.h '$(DESTDIR)$(APIDIR)/'
	sed -e 's|@PREFIX@|$(call sed_rhs,$(PREFIX))|g' \
	    -e 's|@LIBDIR@|$(call sed_rhs,$(call pc_rel,$(LIBDIR)))|g' \
	    -e 's|@INCLUDEDIR@|$(call sed_rhs,$(call pc_rel,$(INCLUDEDIR)))|g' \
	    -e 's|@APIDIR@|$(call sed_rhs,$(call pc_rel,$(APIDIR)))|g' \
	    -e 's|@VERSION@|$(call sed_rhs,$(REPOLL_VERSION))|g' \
	    -e 's|@DESCRIPTION@|$(call sed_rhs,$(REPOLL_DESCRIPTION))|g' \
	    -e 's|@LIBS_PRIVATE@|$(call sed_rhs,$(NATIVE_STATIC_LIBS))|g' \
	    repoll.pc.in > '$(DESTDIR)$(PKGCONFIGDIR)/repoll.pc'
	@chmod 644 '$(DESTDIR)$(PKGCONFIGDIR)/repoll.pc'

# The debug info, as `make install-files` split it (the same bytes: the
# library's .gnu_debuglink checksum matches).
install-debug: install
	@$(MAKE) --no-print-directory install-debug-files BUILD_DIR=$(RELEASE)

install-debug-files:
	@test -f $(BUILD_DIR)/librepoll.so || { echo "$(BUILD_DIR)/librepoll.so is missing: run 'make install-prep' first" >&2; exit 1; }
	$(INSTALL) -d '$(DESTDIR)$(LIBDIR)'
	$(OBJCOPY) --only-keep-debug $(BUILD_DIR)/librepoll.so '$(DEBUG_FILE)'
	@chmod 644 '$(DEBUG_FILE)'

uninstall:
	rm -f $(foreach f,$(INSTALLED_FILES) $(DEBUG_FILE),'$(f)')
	@rmdir '$(DESTDIR)$(APIDIR)' 2>/dev/null || true
