package repoll_test

import (
	"syscall"
	"testing"

	"repoll"
)

// One Wait returning one event: a level-triggered readable pipe, polled.
//
//	go test -bench . -run '^$'
func BenchmarkWaitOneEvent(b *testing.B) {
	p := newPoller(b)
	r, w := pipe(b)
	write(b, w)
	if err := p.Add(r, repoll.IN, 1); err != nil {
		b.Fatal(err)
	}
	ev := make([]repoll.Event, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n, err := p.Wait(ev, 0); n != 1 || err != nil {
			b.Fatalf("n=%d err=%v", n, err)
		}
	}
}

// dups returns n distinct fds of one pipe's read end (each one registration).
func dups(b *testing.B, n int) []int {
	r, _ := pipe(b)
	fds := make([]int, n)
	for i := range fds {
		fd, err := syscall.Dup(r)
		if err != nil {
			b.Fatal(err)
		}
		fds[i] = fd
	}
	b.Cleanup(func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	})
	return fds
}

// One Add (the Deletes that make room again are not timed).
func BenchmarkAdd(b *testing.B) {
	p := newPoller(b)
	fds := dups(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(fds)
		if j == 0 && i > 0 {
			b.StopTimer()
			for _, fd := range fds {
				p.Delete(fd)
			}
			b.StartTimer()
		}
		if err := p.Add(fds[j], repoll.IN, uint64(j)); err != nil {
			b.Fatal(err)
		}
	}
}

// The floor under every call above: one cgo crossing into the library and
// back (repoll_features returns a value probed once).
func BenchmarkCgoCallFloor(b *testing.B) {
	repoll.Features()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		repoll.Features()
	}
}
