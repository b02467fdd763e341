package repoll

import (
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// Go's runtime handles every signal on its own threads and cannot keep one
// blocked in all of them, which repoll_signal_add requires: a Go program
// would never see the signal through the library's signalfd. So AddSignal
// bridges os/signal instead: a goroutine per signal marks it pending and
// wakes the poller, and Wait turns the wake into {data, SIGNAL} events.

type signalSet struct {
	mu      sync.Mutex
	bridges map[syscall.Signal]*bridge
	pending atomic.Uint64 // bit signo-1 of each signal received, not yet reported
}

type bridge struct {
	ch   chan os.Signal
	done chan struct{}
	data uint64
}

func (s *signalSet) init() { s.bridges = map[syscall.Signal]*bridge{} }

// AddSignal reports sig as Event{Data: data, Events: SIGNAL}, through
// os/signal (signal.Notify): while added, sig no longer has its default
// action (SIGINT does not end the program). Deliveries that arrive before
// a Wait reports them coalesce into one event. Errors: EINVAL (not a
// syscall.Signal in 1..64, SIGKILL, SIGSTOP), EEXIST (already added),
// EBADF (closed).
func (p *Poller) AddSignal(sig os.Signal, data uint64) error {
	const fn = "repoll_signal_add"
	signo, ok := sig.(syscall.Signal)
	if !ok || signo < 1 || signo > 64 || signo == syscall.SIGKILL || signo == syscall.SIGSTOP {
		return errno(fn, syscall.EINVAL)
	}
	if _, err := p.enter(fn); err != nil {
		return err
	}
	defer p.leave()
	s := &p.signals
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.closed() { // Close's stopAll may already have run
		return errno(fn, syscall.EBADF)
	}
	if _, dup := s.bridges[signo]; dup {
		return errno(fn, syscall.EEXIST)
	}
	b := &bridge{ch: make(chan os.Signal, 1), done: make(chan struct{}), data: data}
	s.bridges[signo] = b
	signal.Notify(b.ch, signo)
	go func() {
		for {
			select {
			case <-b.ch:
				s.mark(signo)
				p.wake() // EBADF once closed: nothing left to tell
			case <-b.done:
				return
			}
		}
	}()
	return nil
}

// RemoveSignal stops reporting sig (signal.Stop: its default action comes
// back unless another os/signal channel wants it). A delivery not yet
// reported is dropped. ENOENT if it was not added.
func (p *Poller) RemoveSignal(sig os.Signal) error {
	const fn = "repoll_signal_delete"
	signo, ok := sig.(syscall.Signal)
	if !ok || signo < 1 || signo > 64 {
		return errno(fn, syscall.EINVAL)
	}
	if p.closed() {
		return errno(fn, syscall.EBADF)
	}
	s := &p.signals
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bridges[signo]
	if !ok {
		return errno(fn, syscall.ENOENT)
	}
	b.stop()
	delete(s.bridges, signo)
	s.clear(uint64(1) << (signo - 1))
	return nil
}

func (b *bridge) stop() {
	signal.Stop(b.ch)
	close(b.done)
}

func (s *signalSet) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for signo, b := range s.bridges {
		b.stop()
		delete(s.bridges, signo)
	}
}

func (s *signalSet) mark(signo syscall.Signal) {
	bit := uint64(1) << (signo - 1)
	for {
		old := s.pending.Load()
		if old&bit != 0 || s.pending.CompareAndSwap(old, old|bit) {
			return
		}
	}
}

func (s *signalSet) clear(bits uint64) {
	for {
		old := s.pending.Load()
		if old&bits == 0 || s.pending.CompareAndSwap(old, old&^bits) {
			return
		}
	}
}

// report appends an event for each pending signal, in signal number order,
// after the first n of ev, while room is left; it returns the new count and
// whether some are still pending.
func (s *signalSet) report(ev []Event, n int) (int, bool) {
	pending := s.pending.Load()
	if pending == 0 {
		return n, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var taken uint64
	for signo := syscall.Signal(1); signo <= 64 && n < len(ev); signo++ {
		bit := uint64(1) << (signo - 1)
		if pending&bit == 0 {
			continue
		}
		taken |= bit
		if b, ok := s.bridges[signo]; ok {
			ev[n] = Event{Data: b.data, Events: SIGNAL}
			n++
		}
	}
	s.clear(taken)
	return n, s.pending.Load() != 0
}
