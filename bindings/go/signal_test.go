package repoll_test

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"repoll"
)

func kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

func TestASignalComesBackAsAnEvent(t *testing.T) {
	p := newPoller(t)
	if err := p.AddSignal(syscall.SIGUSR1, u64); err != nil {
		t.Fatal(err)
	}
	started, done := goWait(p, -1)
	<-started
	settle()
	kill(t, syscall.SIGUSR1)
	res := receive(t, done)
	if res.err != nil || len(res.events) != 1 || res.events[0] != (repoll.Event{Data: u64, Events: repoll.SIGNAL}) {
		t.Fatalf("%+v", res)
	}
	if ev := waitAll(t, p, 0); len(ev) != 0 {
		t.Fatalf("reported twice: %+v", ev)
	}
}

func TestSignalsAndAWakeInOneWait(t *testing.T) {
	p := newPoller(t)
	p.AddSignal(syscall.SIGUSR1, 1)
	p.AddSignal(syscall.SIGUSR2, 2)
	kill(t, syscall.SIGUSR1)
	kill(t, syscall.SIGUSR2)
	p.Wake()
	got := map[repoll.Event]bool{}
	for len(got) < 3 {
		for _, e := range waitAll(t, p, hang) {
			if got[e] {
				t.Fatalf("%+v twice", e)
			}
			got[e] = true
		}
	}
	for _, e := range []repoll.Event{{Events: repoll.WAKE}, {Data: 1, Events: repoll.SIGNAL}, {Data: 2, Events: repoll.SIGNAL}} {
		if !got[e] {
			t.Fatalf("missing %+v in %v", e, got)
		}
	}
}

func TestSignalsThatDoNotFitAreReportedNext(t *testing.T) {
	p := newPoller(t)
	p.AddSignal(syscall.SIGUSR1, 1)
	p.AddSignal(syscall.SIGUSR2, 2)
	r, w := pipe(t)
	p.Add(r, repoll.IN, 3)
	got := map[uint64]int{}
	kill(t, syscall.SIGUSR1)
	kill(t, syscall.SIGUSR2)
	write(t, w)
	one := make([]repoll.Event, 1)
	for len(got) < 3 {
		n, err := p.Wait(one, hang)
		if err != nil || n != 1 {
			t.Fatalf("n=%d err=%v", n, err)
		}
		got[one[0].Data]++
		if one[0].Data == 3 {
			p.Delete(r)
		}
	}
	if got[1] != 1 || got[2] != 1 || got[3] != 1 {
		t.Fatalf("%v", got)
	}
}

func TestAddSignalErrorsAndRemove(t *testing.T) {
	p := newPoller(t)
	if err := p.AddSignal(syscall.SIGUSR1, 1); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, p.AddSignal(syscall.SIGUSR1, 1), syscall.EEXIST, "repoll_signal_add")
	wantErrno(t, p.AddSignal(syscall.SIGKILL, 1), syscall.EINVAL, "repoll_signal_add")
	wantErrno(t, p.AddSignal(syscall.SIGSTOP, 1), syscall.EINVAL, "repoll_signal_add")
	wantErrno(t, p.AddSignal(syscall.Signal(0), 1), syscall.EINVAL, "repoll_signal_add")
	wantErrno(t, p.AddSignal(notASyscallSignal{}, 1), syscall.EINVAL, "repoll_signal_add")
	if err := p.RemoveSignal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, p.RemoveSignal(syscall.SIGUSR1), syscall.ENOENT, "repoll_signal_delete")
}

type notASyscallSignal struct{}

func (notASyscallSignal) String() string { return "not a syscall.Signal" }
func (notASyscallSignal) Signal()        {}

// bridges counts the goroutines running AddSignal's forwarding loop.
func bridges() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "repoll.(*Poller).AddSignal.func")
}

func TestCloseStopsTheSignalGoroutines(t *testing.T) {
	before := bridges()
	p, err := repoll.New()
	if err != nil {
		t.Fatal(err)
	}
	p.AddSignal(syscall.SIGUSR1, 1)
	p.AddSignal(syscall.SIGUSR2, 2)
	if n := bridges(); n != before+2 {
		t.Fatalf("%d signal goroutines, %d before adding two", n, before)
	}
	p.Close()
	for deadline := time.Now().Add(hang); bridges() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d signal goroutines left after Close, %d before", bridges(), before)
		}
		time.Sleep(time.Millisecond)
	}
}
