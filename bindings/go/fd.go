package repoll

import (
	"fmt"
	"syscall"
)

// FdOf returns the fd of x, to pass to Add, Modify and Delete: an int, or
// anything with SyscallConn() (*os.File, *net.TCPConn, *net.UnixConn,
// net.Listener implementations, ...), or anything with Fd() uintptr. It
// prefers SyscallConn, because (*os.File).Fd puts the file in blocking mode.
//
// The fd stays owned by x: keep x alive (and open) while it is registered;
// closing x removes the registration. Go's own network poller watches the
// same fd, which is fine: read and write through x as usual, or with
// syscall calls on the fd.
func FdOf(x interface{}) (int, error) {
	switch v := x.(type) {
	case int:
		return v, nil
	case syscall.Conn:
		rc, err := v.SyscallConn()
		if err != nil {
			return -1, err
		}
		fd := -1
		if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
			return -1, err
		}
		return fd, nil
	case interface{ Fd() uintptr }:
		return int(v.Fd()), nil
	}
	return -1, fmt.Errorf("repoll: FdOf: %T has no fd (want an int, SyscallConn() or Fd())", x)
}
