package repoll_test

import (
	"errors"
	"math"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"repoll"
)

func TestZeroTimeoutPolls(t *testing.T) {
	p := newPoller(t)
	if ev := waitAll(t, p, 0); len(ev) != 0 {
		t.Fatalf("%+v", ev)
	}
}

func TestATimeoutNeverReturnsEarly(t *testing.T) {
	p := newPoller(t)
	for _, d := range []time.Duration{time.Nanosecond, 1500 * time.Microsecond, 20 * time.Millisecond} {
		start := time.Now()
		if ev := waitAll(t, p, d); len(ev) != 0 {
			t.Fatalf("%v: %+v", d, ev)
		}
		if elapsed := time.Since(start); elapsed < d {
			t.Fatalf("Wait(%v) returned after %v", d, elapsed)
		}
	}
}

func TestANegativeTimeoutBlocksUntilAnFdIsReady(t *testing.T) {
	p := newPoller(t)
	r, w := pipe(t)
	p.Add(r, repoll.IN, 5)
	started, done := goWait(p, -1)
	<-started
	settle()
	select {
	case res := <-done:
		t.Fatalf("returned before anything was ready: %+v", res)
	default:
	}
	write(t, w)
	if res := receive(t, done); res.err != nil || len(res.events) != 1 || res.events[0].Data != 5 {
		t.Fatalf("%+v", res)
	}
}

func TestHugeTimeoutsNeitherWrapNorFail(t *testing.T) {
	p := newPoller(t)
	for _, d := range []time.Duration{math.MaxInt64, math.MinInt64} {
		p.Wake()
		if ev := waitAll(t, p, d); len(ev) != 1 || ev[0].Events != repoll.WAKE {
			t.Fatalf("%v: %+v", d, ev)
		}
	}
}

func TestWakeFromAnotherGoroutine(t *testing.T) {
	p := newPoller(t)
	started, done := goWait(p, -1)
	<-started
	settle()
	go p.Wake()
	res := receive(t, done)
	if res.err != nil || len(res.events) != 1 || res.events[0] != (repoll.Event{Events: repoll.WAKE}) {
		t.Fatalf("%+v", res)
	}
}

func TestWakesBeforeAWaitCoalesce(t *testing.T) {
	p := newPoller(t)
	p.Wake()
	p.Wake()
	if ev := waitAll(t, p, 0); len(ev) != 1 || ev[0].Events != repoll.WAKE {
		t.Fatalf("%+v", ev)
	}
	if ev := waitAll(t, p, 0); len(ev) != 0 {
		t.Fatalf("a second wake event: %+v", ev)
	}
}

// A Wait occupies its OS thread in the kernel; with a single P, the
// runtime must hand the P to other goroutines or this test deadlocks.
func TestABlockedWaitDoesNotStopOtherGoroutines(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := newPoller(t)
	started, done := goWait(p, -1)
	<-started
	settle()
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	sum := 0
	for i := 0; i < 1000; i++ {
		ping <- i
		sum += <-pong
	}
	close(ping)
	if sum != 1000*1001/2 {
		t.Fatalf("sum %d", sum)
	}
	timer := time.NewTimer(time.Millisecond)
	<-timer.C // the runtime's timers still fire
	select {
	case res := <-done:
		t.Fatalf("the wait returned while nothing happened: %+v", res)
	default:
	}
	p.Wake()
	if res := receive(t, done); res.err != nil || len(res.events) != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestCloseDuringWaitsMakesEachFailWithEBADF(t *testing.T) {
	p, err := repoll.New()
	if err != nil {
		t.Fatal(err)
	}
	var dones []chan waitResult
	for i := 0; i < 4; i++ {
		started, done := goWait(p, -1)
		<-started
		dones = append(dones, done)
	}
	settle()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, done := range dones {
		res := receive(t, done)
		wantErrno(t, res.err, syscall.EBADF, "repoll_wait_ns")
	}
}

// Calls starting, in flight and finishing while another goroutine closes:
// each either works or fails with EBADF; none crashes or hangs.
func TestCloseRacesWithCallsInFlight(t *testing.T) {
	for round := 0; round < 20; round++ {
		p, err := repoll.New()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			r, w := pipe(t) // each goroutine's own: its Add and Delete alternate
			write(t, w)
			go func(g int) {
				defer wg.Done()
				ev := make([]repoll.Event, 4)
				for i := 0; ; i++ {
					var err error
					switch (g + i) % 4 {
					case 0:
						_, err = p.Wait(ev, -1)
					case 1:
						if err = p.Add(r, repoll.IN, 1); errors.Is(err, syscall.EEXIST) {
							err = p.Delete(r)
						}
					case 2:
						err = p.Wake()
					case 3:
						var id uint64
						if id, err = p.AddTimer(time.Hour, 0, 3); err == nil {
							err = p.CancelTimer(id)
						}
					}
					if err != nil {
						if !errors.Is(err, syscall.EBADF) {
							errs <- err
						}
						return
					}
				}
			}(g)
		}
		runtime.Gosched()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(hang):
			t.Fatalf("round %d: calls still running after Close", round)
		}
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// The Go runtime sends signals to any thread; one that lands on the thread
// blocked in Wait interrupts the system call. Wait retries with the time
// left: no error, and still never early.
func TestSignalsOnTheWaitingThreadAreRetriedNotErrors(t *testing.T) {
	p := newPoller(t, repoll.CLOEXEC) // without RETRY_EINTR: the binding retries
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	tid := make(chan int)
	type result struct {
		n       int
		err     error
		elapsed time.Duration
	}
	done := make(chan result, 1)
	const d = 100 * time.Millisecond
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- syscall.Gettid()
		start := time.Now()
		n, err := p.Wait(make([]repoll.Event, 4), d)
		done <- result{n, err, time.Since(start)}
	}()
	target := <-tid
	guard := time.After(hang)
	for sent := 0; ; sent++ {
		select {
		case res := <-done:
			if res.err != nil || res.n != 0 || res.elapsed < d {
				t.Fatalf("after %d signals: n=%d err=%v elapsed=%v", sent, res.n, res.err, res.elapsed)
			}
			return
		case <-time.After(time.Millisecond):
			syscall.Tgkill(syscall.Getpid(), target, syscall.SIGUSR2)
		case <-guard:
			t.Fatal("the wait never returned")
		}
	}
}

// The hot calls allocate nothing on the Go side either (see shim.h).
func TestWaitCtlWakeAndTimersDoNotAllocate(t *testing.T) {
	p := newPoller(t)
	r, w := pipe(t)
	write(t, w)
	ev := make([]repoll.Event, 4)
	allocs := testing.AllocsPerRun(100, func() {
		p.Add(r, repoll.IN, 1)
		p.Modify(r, repoll.IN, 2)
		p.Wait(ev, 0)
		p.Delete(r)
		p.Wake()
		p.Wait(ev, 0)
		id, _ := p.AddTimer(time.Hour, 0, 3)
		p.CancelTimer(id)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per round", allocs)
	}
}
