package repoll

//go:generate go run ./internal/cmd/genapi ../../include/repoll.json zapi.go

/*
#cgo pkg-config: repoll
#include <stdlib.h>
#include <repoll.h>
*/
import "C"

import (
	"os"
	"syscall"
	"unsafe"
)

// The arrays Wait and CtlBatch hand to the library are Go slices of Event
// and CtlOp, laid out from the JSON (zapi.go); these pin the header that cgo
// compiles against to the same sizes.
const (
	_ uintptr = unsafe.Sizeof(Event{}) - C.sizeof_repoll_event_t
	_ uintptr = C.sizeof_repoll_event_t - unsafe.Sizeof(Event{})
)

// Version is the loaded library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.repoll_version()) }

// Features reports what the running kernel supports, as FEATURE_* bits.
func Features() uint32 { return uint32(C.repoll_features()) }

// Strerror is the library's description of a return code (negative or
// positive errno values, EPANIC).
func Strerror(code int) string { return C.GoString(C.repoll_strerror(C.int(code))) }

// check turns a library return code into nil or an *os.SyscallError naming
// the C function, whose Err is the syscall.Errno (EPANIC included, as
// syscall.Errno(EPANIC)), so errors.Is(err, syscall.EEXIST) works.
func check(fn string, rc C.int) error {
	if rc >= 0 {
		return nil
	}
	return errno(fn, syscall.Errno(-rc))
}

func errno(fn string, e syscall.Errno) error { return os.NewSyscallError(fn, e) }
