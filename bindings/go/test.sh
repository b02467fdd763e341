#!/usr/bin/env bash
# The Go binding's tests (go test); exit 77 = skipped (see ../run-tests).
#
# cgo links through `pkg-config repoll`. To test the library REPOLL_LIBRARY
# names (make test: target/debug/deps/librepoll.so) rather than an
# installed one, this writes a throwaway repoll.pc into a temporary
# directory, pointing at the build tree's include/ and at a lib/ holding
# that library under its link name and soname (with an rpath to it).
set -u
cd "$(dirname "$0")" || exit 1
command -v go >/dev/null || { echo "skipped: go (no go)"; exit 77; }
command -v pkg-config >/dev/null || { echo "skipped: go (no pkg-config)"; exit 77; }

root=$(cd ../.. && pwd)
lib=${REPOLL_LIBRARY:-$root/target/debug/librepoll.so}
[ -f "$lib" ] || { echo "go: no library at $lib (run cargo build, or set REPOLL_LIBRARY)" >&2; exit 1; }
lib=$(realpath "$lib")

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lib" "$tmp/pkgconfig"
ln -s "$lib" "$tmp/lib/librepoll.so"
ln -s "$lib" "$tmp/lib/librepoll.so.0"
version=$(sed -n 's/^#define REPOLL_VERSION_STRING "\(.*\)"/\1/p' "$root/include/repoll.h")
cat > "$tmp/pkgconfig/repoll.pc" <<PC
libdir=$tmp/lib
includedir=$root/include
apidir=$root/include

Name: repoll
Description: repoll from the build tree, for the Go binding's tests
Version: $version
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lrepoll
Cflags: -I\${includedir}
PC
export PKG_CONFIG_PATH="$tmp/pkgconfig" REPOLL_LIBRARY="$lib"
# Go's build cache keys a cgo package on CGO_CFLAGS but neither on what
# pkg-config says nor on headers outside the package: without this, a
# package built in an earlier run links against that run's deleted lib/,
# or compiles against an older repoll.h.
key=$(cat "$tmp/pkgconfig/repoll.pc" "$root/include/repoll.h" | sha256sum | cut -c1-16)
export CGO_CFLAGS="${CGO_CFLAGS:-$(go env CGO_CFLAGS)} -DREPOLL_GO_TEST_KEY=$key"
# A fresh CI machine (root, perhaps without HOME) still gets a build cache.
case $(go env GOCACHE 2>/dev/null) in ""|off) export GOCACHE="$tmp/gocache" ;; esac

status=0
go vet ./... || status=1
go test -count=1 -v ./... > "$tmp/log" 2>&1 || status=1
grep -v '^=== \(RUN\|PAUSE\|CONT\)' "$tmp/log"
echo "go: $(grep -c '^ *--- PASS' "$tmp/log") passed, $(grep -c '^ *--- FAIL' "$tmp/log") failed, $(grep -c '^ *--- SKIP' "$tmp/log") skipped"
go run ./examples/ticker -self-test || status=1
exit $status
