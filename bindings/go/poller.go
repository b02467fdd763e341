package repoll

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// A Poller is one epoll instance with the library's wake, timers and
// signals. Every method may be called from any goroutine, concurrently with
// any other, Close included.
type Poller struct {
	h C.uintptr_t // the repoll_t *, set by New, released by the last call out (see leave)

	// state is 2 * (calls in flight) + 1 once closed. A call counts itself in
	// before it passes h to the library and out afterwards; the handle is
	// released by whoever brings the count to zero after Close, so no call
	// ever passes a freed handle, and no lock is held across a wait.
	state atomic.Int64

	userWake atomic.Bool // Wake was called: report its WAKE event
	signals  signalSet   // os/signal bridges; they report through wakes
}

const closedBit = 1

// New creates a poller. With no flags it is CLOEXEC (like every fd the Go
// runtime opens); otherwise the flags are exactly the OR of those given
// (CLOEXEC, RETRY_EINTR). Close it when done; a finalizer closes a Poller
// that becomes unreachable, as os.File does.
func New(flags ...int) (*Poller, error) {
	f := CLOEXEC
	if len(flags) > 0 {
		f = 0
		for _, x := range flags {
			f |= x
		}
	}
	var h C.uintptr_t
	if err := check("repoll_create", C.go_create(&h, C.int(f))); err != nil {
		return nil, err
	}
	p := &Poller{h: h}
	p.signals.init()
	runtime.SetFinalizer(p, (*Poller).Close)
	return p, nil
}

// enter counts a call in, or fails with EBADF once the poller is closed.
func (p *Poller) enter(fn string) (C.uintptr_t, error) {
	for {
		s := p.state.Load()
		if s&closedBit != 0 {
			return 0, errno(fn, syscall.EBADF)
		}
		if p.state.CompareAndSwap(s, s+2) {
			return p.h, nil
		}
	}
}

// leave counts a call out. After Close, a call leaving while others are
// still in flight passes the wake on (one wake may end only one of several
// blocked waits); the last one out releases the handle.
func (p *Poller) leave() error {
	s := p.state.Load()
	if s&closedBit != 0 && s > 2+closedBit {
		C.go_wake(p.h) // our own count keeps h alive here
	}
	if p.state.Add(-2) == closedBit {
		return check("repoll_close", C.go_close(p.h))
	}
	return nil
}

func (p *Poller) closed() bool { return p.state.Load()&closedBit != 0 }

// Close closes the poller and its fd. It never blocks: waits blocked in
// other goroutines return an error wrapping syscall.EBADF, and the library
// handle is released when the last call in flight returns. Closing twice
// is fine (the second returns nil); every other method then fails with
// EBADF.
func (p *Poller) Close() error {
	h, err := p.enter("repoll_close")
	if err != nil {
		return nil // already closed
	}
	for {
		s := p.state.Load()
		if s&closedBit != 0 { // another Close won
			return p.leave()
		}
		if p.state.CompareAndSwap(s, s|closedBit) {
			break
		}
	}
	runtime.SetFinalizer(p, nil)
	p.signals.stopAll()
	C.go_wake(h) // blocked waits see the closed bit and fail
	return p.leave()
}

// Fd is the epoll fd, to nest the poller in another event loop (it is
// readable when Wait would return events). It stays owned by the poller:
// do not close it. -1 once the poller is closed.
func (p *Poller) Fd() int {
	h, err := p.enter("repoll_fd")
	if err != nil {
		return -1
	}
	fd := int(C.go_fd(h))
	p.leave()
	if fd < 0 {
		return -1
	}
	return fd
}

func (p *Poller) ctl(fn string, op C.int, fd int, events uint32, data uint64) error {
	if fd < 0 || fd > maxInt32 {
		return errno(fn, syscall.EBADF)
	}
	h, err := p.enter(fn)
	if err != nil {
		return err
	}
	rc := C.go_ctl(h, op, C.int(fd), C.uint32_t(events), C.uint64_t(data))
	p.leave()
	return check(fn, rc)
}

const maxInt32 = 1<<31 - 1

// Add registers fd for events (IN, OUT, PRI, RDHUP, ... with ET, ONESHOT,
// EXCLUSIVE, WAKEUP); Wait reports it with data, any 64-bit value. See FdOf
// for files and network connections. Errors wrap syscall.Errno: EEXIST
// (already added), EBADF, EPERM (a regular file), EINVAL, ELOOP, ENOMEM,
// ENOSPC.
func (p *Poller) Add(fd int, events uint32, data uint64) error {
	return p.ctl("repoll_add", CTL_ADD, fd, events, data)
}

// Modify changes fd's events and data; it re-arms a ONESHOT registration.
// ENOENT if fd is not registered.
func (p *Poller) Modify(fd int, events uint32, data uint64) error {
	return p.ctl("repoll_modify", CTL_MOD, fd, events, data)
}

// Delete stops watching fd. ENOENT if it is not registered. Closing an fd
// removes it too (once no dup of it remains open).
func (p *Poller) Delete(fd int) error {
	return p.ctl("repoll_delete", CTL_DEL, fd, 0, 0)
}

// Wake makes a Wait blocked on this poller (or the next one) return an
// Event{Data: 0, Events: WAKE}. Wakes before that Wait returns coalesce.
func (p *Poller) Wake() error {
	p.userWake.Store(true)
	return p.wake()
}

func (p *Poller) wake() error {
	h, err := p.enter("repoll_wake")
	if err != nil {
		return err
	}
	rc := C.go_wake(h)
	p.leave()
	return check("repoll_wake", rc)
}

// AddTimer starts a timer due first from now, then every interval (0:
// once); Wait reports each expiry as Event{Data: data, Events: TIMER}, never
// early. It returns the timer's id (never 0, never reused by this poller).
// Negative durations are EINVAL.
func (p *Poller) AddTimer(first, interval time.Duration, data uint64) (uint64, error) {
	h, err := p.enter("repoll_timer_add")
	if err != nil {
		return 0, err
	}
	t := C.go_timer_add(h, C.int64_t(first), C.int64_t(interval), C.uint64_t(data))
	p.leave()
	if err := check("repoll_timer_add", t.rc); err != nil {
		return 0, err
	}
	return uint64(t.id), nil
}

// CancelTimer cancels a timer before its next expiry. ENOENT for an unknown
// id, a one-shot timer that already expired, or one already cancelled.
func (p *Poller) CancelTimer(id uint64) error {
	h, err := p.enter("repoll_timer_cancel")
	if err != nil {
		return err
	}
	rc := C.go_timer_cancel(h, C.uint64_t(id))
	p.leave()
	return check("repoll_timer_cancel", rc)
}
