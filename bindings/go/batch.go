package repoll

/*
#include "shim.h"

static inline int go_ctl_batch(uintptr_t h, repoll_ctl_op_t *ops, int n) {
	return repoll_ctl_batch(go_h(h), ops, n);
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// CtlOp is handed to the library as it is: the same size as in the header.
const (
	_ uintptr = unsafe.Sizeof(CtlOp{}) - C.sizeof_repoll_ctl_op_t
	_ uintptr = C.sizeof_repoll_ctl_op_t - unsafe.Sizeof(CtlOp{})
)

// CtlBatch applies ops in order, as if Add, Modify or Delete were called for
// each (an add then a modify of the same fd works), in one call into the
// library: registering thousands of fds costs one cgo crossing instead of
// thousands. Each op's outcome is in ops[i].Result (0 or a negative errno;
// ops[i].Err() as an error); one failing op does not stop the others. It
// returns how many succeeded; err is set only when the call as a whole
// failed (EBADF: closed).
func (p *Poller) CtlBatch(ops []CtlOp) (int, error) {
	const fn = "repoll_ctl_batch"
	if len(ops) == 0 {
		return 0, nil
	}
	if len(ops) > maxInt32 { // C counts them in an int
		return 0, errno(fn, syscall.EINVAL)
	}
	h, err := p.enter(fn)
	if err != nil {
		return 0, err
	}
	rc := C.go_ctl_batch(h, (*C.repoll_ctl_op_t)(unsafe.Pointer(&ops[0])), C.int(len(ops)))
	p.leave()
	if rc < 0 {
		return 0, check(fn, rc)
	}
	return int(rc), nil
}

// AddOp is the CtlOp that Adds fd for events with data.
func AddOp(fd int, events uint32, data uint64) CtlOp {
	return CtlOp{Op: CTL_ADD, Fd: fdField(fd), Events: events, Data: data}
}

// ModifyOp is the CtlOp that Modifies fd's registration.
func ModifyOp(fd int, events uint32, data uint64) CtlOp {
	return CtlOp{Op: CTL_MOD, Fd: fdField(fd), Events: events, Data: data}
}

// DeleteOp is the CtlOp that Deletes fd.
func DeleteOp(fd int) CtlOp { return CtlOp{Op: CTL_DEL, Fd: fdField(fd)} }

// fdField narrows an fd to the record's int32; one C cannot hold becomes -1,
// which the op then reports as EBADF.
func fdField(fd int) int32 {
	if fd < 0 || fd > maxInt32 {
		return -1
	}
	return int32(fd)
}

// Err is nil if the op succeeded, else its error (wrapping the
// syscall.Errno, like Add's) once CtlBatch has run.
func (op CtlOp) Err() error {
	if op.Result >= 0 {
		return nil
	}
	return errno("repoll_ctl", syscall.Errno(-op.Result))
}
