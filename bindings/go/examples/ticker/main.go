// Ticker: a repeating repoll timer plus SIGINT/SIGTERM as events, the Go
// twin of bindings/python/examples/ticker.py.
//
//	go run ./examples/ticker [-interval 1s]   a tick per interval until Ctrl-C or SIGTERM
//	go run ./examples/ticker -self-test        20 ms ticks; after 3 it sends itself
//	                                           SIGTERM and checks it came back as an event
//
// Go's runtime owns signal handling, so AddSignal bridges os/signal into the
// poller: the loop handles the signals like any other event and exits
// cleanly, with no handler and no second goroutine of its own.
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"repoll"
)

const tick = 1 // timer data; signals use their number as data

func run(interval time.Duration, maxTicks int, verbose bool) (int, syscall.Signal, time.Duration, error) {
	p, err := repoll.New()
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.Close()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if err := p.AddSignal(sig, uint64(sig)); err != nil {
			return 0, 0, 0, err
		}
	}
	if _, err := p.AddTimer(interval, interval, tick); err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	ticks := 0
	events := make([]repoll.Event, 16)
	for {
		n, err := p.Wait(events, -1)
		if err != nil {
			return ticks, 0, time.Since(start), err
		}
		for _, e := range events[:n] {
			switch {
			case e.Events&repoll.TIMER != 0:
				ticks++
				if verbose {
					fmt.Printf("tick %d at %.3f s\n", ticks, time.Since(start).Seconds())
				}
				if ticks == maxTicks {
					syscall.Kill(os.Getpid(), syscall.SIGTERM)
				}
			case e.Events&repoll.SIGNAL != 0:
				sig := syscall.Signal(e.Data)
				if verbose {
					fmt.Printf("%v after %d ticks: goodbye\n", sig, ticks)
				}
				return ticks, sig, time.Since(start), nil
			}
		}
	}
}

func main() {
	interval := flag.Duration("interval", time.Second, "time between ticks")
	selfTest := flag.Bool("self-test", false, "20 ms ticks, SIGTERM to itself after 3; exit 1 unless it all came back")
	flag.Parse()
	if !*selfTest {
		if _, _, _, err := run(*interval, 0, true); err != nil {
			fmt.Fprintln(os.Stderr, "ticker:", err)
			os.Exit(1)
		}
		return
	}
	ticks, sig, elapsed, err := run(20*time.Millisecond, 3, false)
	ok := err == nil && ticks == 3 && sig == syscall.SIGTERM && elapsed >= 60*time.Millisecond
	verdict := "ok"
	if !ok {
		verdict = fmt.Sprintf("FAILED (%v)", err)
	}
	fmt.Printf("ticker self-test: %d ticks, %v, %.3f s: %s\n", ticks, sig, elapsed.Seconds(), verdict)
	if !ok {
		os.Exit(1)
	}
}
