package repoll_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"repoll"
)

// The README's example: a pipe and a timer in one loop.
func Example() {
	p, err := repoll.New()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	r, w, _ := os.Pipe()
	fd, _ := repoll.FdOf(r)               // an int, *os.File, net.Conn, ...
	p.Add(fd, repoll.IN, 1)               // data: any uint64
	p.AddTimer(50*time.Millisecond, 0, 2) // returns the timer's id
	w.Write([]byte("hello"))
	events := make([]repoll.Event, 8)
	for done := false; !done; {
		n, _ := p.Wait(events, time.Second) // negative blocks
		for _, e := range events[:n] {
			if e.Data == 1 && e.Events&repoll.IN != 0 {
				buf := make([]byte, 5)
				r.Read(buf)
				fmt.Println("pipe:", string(buf))
			} else if e.Events&repoll.TIMER != 0 {
				fmt.Println("timer", e.Data)
				done = true
			}
		}
	}
	// Output:
	// pipe: hello
	// timer 2
}
