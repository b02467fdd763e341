package repoll_test

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"repoll"
)

// hang is a guard against a test that never ends, never a speed requirement.
const hang = 10 * time.Second

// u64 is a data value no double holds exactly: above 2^53, odd, top bit set.
const u64 = uint64(1)<<63 | uint64(1)<<53 | 1

func newPoller(t testing.TB, flags ...int) *repoll.Poller {
	t.Helper()
	p, err := repoll.New(flags...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// pipe returns the read and write ends of a non-blocking pipe.
func pipe(t testing.TB) (int, int) {
	t.Helper()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		t.Fatalf("pipe2: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fds[0]); syscall.Close(fds[1]) })
	return fds[0], fds[1]
}

func write(t testing.TB, fd int) {
	t.Helper()
	if _, err := syscall.Write(fd, []byte("x")); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// wantErrno fails unless err wraps e and names the C function fn.
func wantErrno(t testing.TB, err error, e syscall.Errno, fn string) {
	t.Helper()
	if !errors.Is(err, e) {
		t.Fatalf("got error %v, want %v", err, e)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != fn {
		t.Fatalf("error %v does not name %s", err, fn)
	}
}

// waitAll returns the events of one Wait.
func waitAll(t testing.TB, p *repoll.Poller, timeout time.Duration) []repoll.Event {
	t.Helper()
	ev := make([]repoll.Event, 16)
	n, err := p.Wait(ev, timeout)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return ev[:n]
}

type waitResult struct {
	events []repoll.Event
	err    error
}

// goWait starts a Wait in a new goroutine; its result arrives on the channel.
// started is closed just before the goroutine calls Wait.
func goWait(p *repoll.Poller, timeout time.Duration) (started chan struct{}, done chan waitResult) {
	started, done = make(chan struct{}), make(chan waitResult, 1)
	go func() {
		ev := make([]repoll.Event, 16)
		close(started)
		n, err := p.Wait(ev, timeout)
		done <- waitResult{ev[:n], err}
	}()
	return started, done
}

func receive(t testing.TB, done chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(hang):
		t.Fatal("the wait did not return")
		return waitResult{}
	}
}

// settle gives a goroutine that was just started the time to block in the
// kernel. Tests pass whether or not it has (the outcome is the same either
// way); it only makes the interesting interleaving the likely one.
func settle() { time.Sleep(20 * time.Millisecond) }
