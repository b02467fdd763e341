package repoll_test

import (
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"repoll"
)

func fdFlags(t *testing.T, fd int) int {
	t.Helper()
	flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if e != 0 {
		t.Fatalf("fcntl(%d): %v", fd, e)
	}
	return int(flags)
}

func TestNewIsCloexecByDefaultAndTakesExactFlags(t *testing.T) {
	p := newPoller(t)
	if fdFlags(t, p.Fd())&syscall.FD_CLOEXEC == 0 {
		t.Fatal("New() fd is not close-on-exec")
	}
	q := newPoller(t, 0)
	if fdFlags(t, q.Fd())&syscall.FD_CLOEXEC != 0 {
		t.Fatal("New(0) fd is close-on-exec")
	}
	newPoller(t, repoll.CLOEXEC, repoll.RETRY_EINTR)
	_, err := repoll.New(1 << 30)
	wantErrno(t, err, syscall.EINVAL, "repoll_create")
}

func TestCloseIsIdempotentAndLaterCallsAreEBADF(t *testing.T) {
	p, err := repoll.New()
	if err != nil {
		t.Fatal(err)
	}
	fd := p.Fd()
	if fd < 0 {
		t.Fatalf("Fd() = %d", fd)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat("/proc/self/fd/" + strconv.Itoa(fd)); err == nil {
		if target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); target == "anon_inode:[eventpoll]" {
			t.Fatalf("fd %d is still an epoll fd after Close", fd)
		}
	}
	if p.Fd() != -1 {
		t.Fatal("Fd() after Close is not -1")
	}
	r, _ := pipe(t)
	wantErrno(t, p.Add(r, repoll.IN, 1), syscall.EBADF, "repoll_add")
	wantErrno(t, p.Modify(r, repoll.IN, 1), syscall.EBADF, "repoll_modify")
	wantErrno(t, p.Delete(r), syscall.EBADF, "repoll_delete")
	wantErrno(t, p.Wake(), syscall.EBADF, "repoll_wake")
	_, err = p.Wait(make([]repoll.Event, 1), 0)
	wantErrno(t, err, syscall.EBADF, "repoll_wait_ns")
	_, err = p.AddTimer(0, 0, 1)
	wantErrno(t, err, syscall.EBADF, "repoll_timer_add")
	wantErrno(t, p.CancelTimer(1), syscall.EBADF, "repoll_timer_cancel")
	wantErrno(t, p.AddSignal(syscall.SIGUSR1, 1), syscall.EBADF, "repoll_signal_add")
}

func epollFds(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); target == "anon_inode:[eventpoll]" {
			n++
		}
	}
	return n
}

func TestAnUnreachablePollerIsClosedByItsFinalizer(t *testing.T) {
	before := epollFds(t)
	func() {
		if _, err := repoll.New(); err != nil {
			t.Fatal(err)
		}
	}()
	for deadline := time.Now().Add(hang); epollFds(t) > before; {
		if time.Now().After(deadline) {
			t.Fatal("the garbage collector never closed the poller")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func TestAddModifyDelete(t *testing.T) {
	p := newPoller(t)
	r, w := pipe(t)
	if err := p.Add(r, repoll.IN, 7); err != nil {
		t.Fatal(err)
	}
	if ev := waitAll(t, p, 0); len(ev) != 0 {
		t.Fatalf("events before any write: %v", ev)
	}
	write(t, w)
	if ev := waitAll(t, p, hang); len(ev) != 1 || ev[0].Data != 7 || ev[0].Events != repoll.IN {
		t.Fatalf("after a write: %+v", ev)
	}
	if err := p.Add(w, repoll.OUT, 8); err != nil {
		t.Fatal(err)
	}
	if err := p.Modify(r, repoll.IN, 9); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]uint32{}
	for _, e := range waitAll(t, p, hang) {
		got[e.Data] = e.Events
	}
	if len(got) != 2 || got[9] != repoll.IN || got[8] != repoll.OUT {
		t.Fatalf("after modify: %v", got)
	}
	if err := p.Delete(r); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(w); err != nil {
		t.Fatal(err)
	}
	if ev := waitAll(t, p, 0); len(ev) != 0 {
		t.Fatalf("events after delete: %v", ev)
	}
}

func TestCtlErrorsAreSyscallErrnos(t *testing.T) {
	p := newPoller(t)
	r, _ := pipe(t)
	if err := p.Add(r, repoll.IN, 1); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, p.Add(r, repoll.IN, 1), syscall.EEXIST, "repoll_add")
	r2, _ := pipe(t)
	wantErrno(t, p.Modify(r2, repoll.IN, 1), syscall.ENOENT, "repoll_modify")
	wantErrno(t, p.Delete(r2), syscall.ENOENT, "repoll_delete")

	f, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantErrno(t, p.Add(int(f.Fd()), repoll.IN, 1), syscall.EPERM, "repoll_add")

	closed, _ := pipe(t)
	syscall.Close(closed)
	wantErrno(t, p.Add(closed, repoll.IN, 1), syscall.EBADF, "repoll_add")
	wantErrno(t, p.Add(-1, repoll.IN, 1), syscall.EBADF, "repoll_add")
	wantErrno(t, p.Add(math.MaxInt32+1, repoll.IN, 1), syscall.EBADF, "repoll_add")
	wantErrno(t, p.Add(p.Fd(), repoll.IN, 1), syscall.EINVAL, "repoll_add")
	wantErrno(t, p.Add(r2, repoll.IN|1<<27, 1), syscall.EINVAL, "repoll_add")
	wantErrno(t, p.Add(r2, repoll.EXCLUSIVE|repoll.ONESHOT|repoll.IN, 1), syscall.EINVAL, "repoll_add")
	_, err = p.Wait(nil, 0)
	wantErrno(t, err, syscall.EINVAL, "repoll_wait_ns")
}

func TestDataAbove2To53RoundTrips(t *testing.T) {
	p := newPoller(t)
	for _, data := range []uint64{u64, math.MaxUint64, 1 << 53, 1<<53 + 1} {
		r, w := pipe(t)
		if err := p.Add(r, repoll.IN, data); err != nil {
			t.Fatal(err)
		}
		write(t, w)
		if ev := waitAll(t, p, hang); len(ev) != 1 || ev[0].Data != data {
			t.Fatalf("data %#x came back as %+v", data, ev)
		}
		p.Delete(r)
	}
	id, err := p.AddTimer(0, 0, u64)
	if err != nil {
		t.Fatal(err)
	}
	if ev := waitAll(t, p, hang); len(ev) != 1 || ev[0].Data != u64 || ev[0].Events != repoll.TIMER {
		t.Fatalf("timer %d data came back as %+v", id, ev)
	}
}

func TestFdOfFilesAndConnections(t *testing.T) {
	p := newPoller(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	fd, err := repoll.FdOf(server)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Add(fd, repoll.IN|repoll.RDHUP, 1); err != nil {
		t.Fatal(err)
	}
	client.Write([]byte("hello"))
	if ev := waitAll(t, p, hang); len(ev) != 1 || ev[0].Data != 1 || ev[0].Events&repoll.IN == 0 {
		t.Fatalf("conn: %+v", ev)
	}
	buf := make([]byte, 16)
	if n, err := server.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("the conn still reads through Go: %q, %v", buf[:n], err)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	rfd, err := repoll.FdOf(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Add(rfd, repoll.IN, 2); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if ev := waitAll(t, p, hang); len(ev) != 1 || ev[0].Data != 2 {
		t.Fatalf("file: %+v", ev)
	}
	if got, _ := repoll.FdOf(rfd); got != rfd {
		t.Fatalf("FdOf(int) = %d", got)
	}
	if _, err := repoll.FdOf("not a file"); err == nil {
		t.Fatal("FdOf(string) did not fail")
	}
}

func TestNestingThroughFd(t *testing.T) {
	outer, inner := newPoller(t), newPoller(t)
	if err := outer.Add(inner.Fd(), repoll.IN, 42); err != nil {
		t.Fatal(err)
	}
	if ev := waitAll(t, outer, 0); len(ev) != 0 {
		t.Fatalf("outer ready while inner is idle: %+v", ev)
	}
	inner.Wake()
	if ev := waitAll(t, outer, hang); len(ev) != 1 || ev[0].Data != 42 {
		t.Fatalf("outer: %+v", ev)
	}
	if ev := waitAll(t, inner, 0); len(ev) != 1 || ev[0].Events != repoll.WAKE {
		t.Fatalf("inner: %+v", ev)
	}
}
