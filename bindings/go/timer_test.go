package repoll_test

import (
	"syscall"
	"testing"
	"time"

	"repoll"
)

func TestAOneShotTimerFiresOnceAndNeverEarly(t *testing.T) {
	p := newPoller(t)
	const first = 15 * time.Millisecond
	start := time.Now()
	id, err := p.AddTimer(first, 0, 77)
	if err != nil {
		t.Fatal(err)
	}
	if id == 0 {
		t.Fatal("timer id 0")
	}
	ev := waitAll(t, p, hang)
	if elapsed := time.Since(start); elapsed < first {
		t.Fatalf("fired after %v, due after %v", elapsed, first)
	}
	if len(ev) != 1 || ev[0] != (repoll.Event{Data: 77, Events: repoll.TIMER}) {
		t.Fatalf("%+v", ev)
	}
	if ev := waitAll(t, p, 2*first); len(ev) != 0 {
		t.Fatalf("a one-shot timer fired again: %+v", ev)
	}
	wantErrno(t, p.CancelTimer(id), syscall.ENOENT, "repoll_timer_cancel")
}

func TestAnIntervalTimerRepeatsUntilCancelled(t *testing.T) {
	p := newPoller(t)
	const every = 5 * time.Millisecond
	start := time.Now()
	id, err := p.AddTimer(every, every, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		ev := waitAll(t, p, hang)
		if len(ev) != 1 || ev[0] != (repoll.Event{Data: 3, Events: repoll.TIMER}) {
			t.Fatalf("expiry %d: %+v", i, ev)
		}
		if elapsed := time.Since(start); elapsed < time.Duration(i)*every {
			t.Fatalf("expiry %d after %v", i, elapsed)
		}
	}
	if err := p.CancelTimer(id); err != nil {
		t.Fatal(err)
	}
	if ev := waitAll(t, p, 4*every); len(ev) != 0 {
		t.Fatalf("a cancelled timer fired: %+v", ev)
	}
	wantErrno(t, p.CancelTimer(id), syscall.ENOENT, "repoll_timer_cancel")
}

func TestCancelBeforeExpiry(t *testing.T) {
	p := newPoller(t)
	id, err := p.AddTimer(10*time.Millisecond, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CancelTimer(id); err != nil {
		t.Fatal(err)
	}
	if ev := waitAll(t, p, 30*time.Millisecond); len(ev) != 0 {
		t.Fatalf("%+v", ev)
	}
}

func TestTimerIdsAreDistinctNumbersAndBadTimesAreEINVAL(t *testing.T) {
	p := newPoller(t)
	seen := map[uint64]bool{}
	for i := 0; i < 100; i++ {
		id, err := p.AddTimer(time.Hour, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if id == 0 || id >= 1<<53 || seen[id] {
			t.Fatalf("id %d (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		if i%2 == 0 {
			p.CancelTimer(id)
		}
	}
	_, err := p.AddTimer(-1, 0, 0)
	wantErrno(t, err, syscall.EINVAL, "repoll_timer_add")
	_, err = p.AddTimer(0, -time.Second, 0)
	wantErrno(t, err, syscall.EINVAL, "repoll_timer_add")
}

func TestATimerAddedFromAnotherGoroutineEndsABlockedWait(t *testing.T) {
	p := newPoller(t)
	started, done := goWait(p, -1)
	<-started
	settle()
	if _, err := p.AddTimer(time.Millisecond, 0, 9); err != nil {
		t.Fatal(err)
	}
	res := receive(t, done)
	if res.err != nil || len(res.events) != 1 || res.events[0].Data != 9 {
		t.Fatalf("%+v", res)
	}
}
