package repoll_test

import (
	"syscall"
	"testing"
	"time"

	"repoll"
)

func TestCtlBatchAppliesEveryOpInOrderAndReportsEach(t *testing.T) {
	p := newPoller(t)
	r1, w1 := pipe(t)
	r2, w2 := pipe(t)
	r3, w3 := pipe(t)
	closed, _ := pipe(t)
	syscall.Close(closed)
	ops := []repoll.CtlOp{
		repoll.AddOp(r1, repoll.IN, u64),
		repoll.AddOp(r2, repoll.IN, 2),
		repoll.AddOp(r1, repoll.IN, 1),     // EEXIST
		repoll.AddOp(closed, repoll.IN, 9), // EBADF
		repoll.ModifyOp(r2, repoll.IN, 22), // after the add above: works
		repoll.DeleteOp(r3),                // ENOENT
		repoll.AddOp(r3, repoll.IN, 3),     //
		repoll.ModifyOp(r3, repoll.IN, 33), // an add then a modify of one fd
		repoll.AddOp(-5, repoll.IN, 0),     // EBADF
		repoll.AddOp(1<<40, repoll.IN, 0),  // not an int: EBADF, not fd 0
	}
	n, err := p.CtlBatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	want := []syscall.Errno{0, 0, syscall.EEXIST, syscall.EBADF, 0, syscall.ENOENT, 0, 0, syscall.EBADF, syscall.EBADF}
	ok := 0
	for i, op := range ops {
		if want[i] == 0 {
			ok++
			if op.Result != 0 || op.Err() != nil {
				t.Errorf("op %d: result %d, err %v", i, op.Result, op.Err())
			}
			continue
		}
		if op.Result != -int32(want[i]) {
			t.Errorf("op %d: result %d, want -%d", i, op.Result, want[i])
		}
		wantErrno(t, op.Err(), want[i], "repoll_ctl")
	}
	if n != ok {
		t.Fatalf("CtlBatch returned %d, %d ops succeeded", n, ok)
	}
	write(t, w1)
	write(t, w2)
	write(t, w3)
	got := map[uint64]bool{}
	for _, e := range waitAll(t, p, hang) {
		got[e.Data] = true
	}
	if len(got) != 3 || !got[u64] || !got[22] || !got[33] {
		t.Fatalf("events after the batch: %v", got)
	}
}

func TestCtlBatchOfAThousandIsOneCall(t *testing.T) {
	p := newPoller(t)
	r, w := pipe(t)
	ops := make([]repoll.CtlOp, 1000)
	for i := range ops {
		fd, err := syscall.Dup(r)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		ops[i] = repoll.AddOp(fd, repoll.IN, uint64(i))
	}
	if n, err := p.CtlBatch(ops); n != len(ops) || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	write(t, w)
	ev := make([]repoll.Event, 2000)
	if n, err := p.Wait(ev, hang); n != len(ops) || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	for i := range ops {
		ops[i] = repoll.DeleteOp(int(ops[i].Fd))
	}
	if n, err := p.CtlBatch(ops); n != len(ops) || err != nil {
		t.Fatalf("delete: n=%d err=%v", n, err)
	}
}

func TestCtlBatchEdgeCases(t *testing.T) {
	p, err := repoll.New()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.CtlBatch(nil); n != 0 || err != nil {
		t.Fatalf("empty: n=%d err=%v", n, err)
	}
	p.Close()
	r, _ := pipe(t)
	_, err = p.CtlBatch([]repoll.CtlOp{repoll.AddOp(r, repoll.IN, 1)})
	wantErrno(t, err, syscall.EBADF, "repoll_ctl_batch")
}

// A thousand Adds in one CtlBatch (the Deletes that make room again are not
// timed); ns/fd compares with BenchmarkAdd.
func BenchmarkCtlBatchAdd1000(b *testing.B) {
	p := newPoller(b)
	fds := dups(b, 1000)
	adds, dels := make([]repoll.CtlOp, len(fds)), make([]repoll.CtlOp, len(fds))
	for i, fd := range fds {
		dels[i] = repoll.DeleteOp(fd)
	}
	var timed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for j, fd := range fds {
			adds[j] = repoll.AddOp(fd, repoll.IN, uint64(j))
		}
		if n, err := p.CtlBatch(adds); n != len(adds) || err != nil {
			b.Fatalf("n=%d err=%v", n, err)
		}
		timed += time.Since(start)
		b.StopTimer()
		p.CtlBatch(dels)
		b.StartTimer()
	}
	b.ReportMetric(float64(timed.Nanoseconds())/float64(b.N*len(fds)), "ns/fd")
}
