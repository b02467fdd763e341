package repoll

/*
#include "shim.h"
*/
import "C"

import (
	"syscall"
	"time"
	"unsafe"
)

// Wait blocks until something is ready or timeout passes, writes up to
// len(events) events and returns how many (0 when the timeout passed).
// timeout < 0 blocks, 0 polls, > 0 waits at least that long (never less;
// nanosecond precision where the kernel has epoll_pwait2, else rounded up
// to whole milliseconds). Each Event is {Data, Events}: an fd's data and
// its ready bits, {0, WAKE} for Wake, {data, TIMER} for a timer, {data,
// SIGNAL} for a signal added with AddSignal.
//
// The goroutine's OS thread sleeps in the kernel; other goroutines keep
// running. A Close from another goroutine makes it return an error wrapping
// syscall.EBADF. Signals that interrupt the system call are retried with
// the time left (the Go runtime handles them on its own). Errors: EINVAL
// (empty events), EBADF (closed).
func (p *Poller) Wait(events []Event, timeout time.Duration) (int, error) {
	const fn = "repoll_wait_ns"
	if len(events) == 0 {
		return 0, errno(fn, syscall.EINVAL)
	}
	max := len(events)
	if max > maxInt32 {
		max = maxInt32
	}
	var deadline time.Time
	ns := int64(timeout)
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	} else if timeout < 0 {
		ns = -1
	}
	h, err := p.enter(fn)
	if err != nil {
		return 0, err
	}
	defer p.leave()
	for {
		rc := C.go_wait_ns(h, (*C.repoll_event_t)(unsafe.Pointer(&events[0])), C.int(max), C.int64_t(ns))
		if p.closed() {
			return 0, errno(fn, syscall.EBADF)
		}
		switch {
		case rc == -C.int(syscall.EINTR):
		case rc < 0:
			return 0, check(fn, rc)
		case rc == 0:
			return 0, nil
		default:
			// Wakes sent only to deliver signals (or already reported) are
			// dropped; if nothing else came, wait on for the time left.
			if n := p.internalWakes(h, events[:max], int(rc)); n > 0 {
				return n, nil
			}
		}
		if timeout == 0 {
			return 0, nil
		}
		if timeout > 0 {
			if ns = int64(time.Until(deadline)); ns <= 0 {
				return 0, nil
			}
		}
	}
}

// internalWakes rewrites the library's {0, WAKE} event among the first n:
// kept only if Wake asked for it, followed by the signals the os/signal
// bridges have marked pending (as many as fit; a fresh wake reports the
// rest next time). Returns the new count.
func (p *Poller) internalWakes(h C.uintptr_t, ev []Event, n int) int {
	i := 0
	for i < n && !(ev[i].Events&WAKE != 0 && ev[i].Data == 0) {
		i++
	}
	if i == n {
		return n
	}
	if !p.userWake.Swap(false) {
		copy(ev[i:], ev[i+1:n])
		n--
	}
	n, more := p.signals.report(ev, n)
	if more {
		C.go_wake(h) // h is alive: the caller holds a count
	}
	return n
}
