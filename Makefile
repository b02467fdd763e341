# repoll: build, test, demo, bench, install. `make help` lists the targets.

CARGO   ?= cargo
CC      ?= cc
CFLAGS  ?= -O2 -g -Wall -Wextra
RELEASE := target/release

.PHONY: all build header test demo clean help

all: build

help:
	@echo "make demo     build the library and run the echo server example end to end"
	@echo "make test     Rust tests, C tests, examples, header drift check"
	@echo "make header   regenerate include/repoll.h from src/ffi"
	@echo "make build    release build: $(RELEASE)/librepoll.so and librepoll.a"

build:
	$(CARGO) build --release

# build.rs always generates the header into OUT_DIR; this copies it over the
# committed one. A test fails while the two differ.
header:
	REPOLL_WRITE_HEADER=1 $(CARGO) build

test:
	$(CARGO) test

# The demo links the example against the release library through its soname.
$(RELEASE)/demo/echo_server: examples_c/echo_server.c include/repoll.h build
	@mkdir -p $(RELEASE)/demo
	@ln -sf ../librepoll.so $(RELEASE)/demo/librepoll.so.0
	$(CC) $(CFLAGS) -pthread -Iinclude $< -o $@ -L$(RELEASE) -lrepoll -Wl,-rpath,'$$ORIGIN'

demo: $(RELEASE)/demo/echo_server
	$(RELEASE)/demo/echo_server --demo

clean:
	$(CARGO) clean

# ---- checks (sanitizers, valgrind, slow tests) ----

# ---- benchmarks (benches/) ----
.PHONY: bench
bench: build
	benches/run

# ---- install (pkg-config, static, shared) ----
