//! The opaque C handle and every raw-pointer conversion of the C API. The
//! rest of the crate never touches a raw pointer from C.
//!
//! Lifetime: each C call on a handle is counted in and out of its poller's
//! [`Calls`](crate::calls::Calls); the last call to leave a closed handle
//! frees it (the close sequence itself is [`Poller::close`]). So
//! `repoll_close` may race with a blocked `repoll_wait` without a use after
//! free, and no call ever takes a lock.

use std::os::raw::c_int;
use std::ptr::NonNull;

use super::repoll_ctl_op;
use crate::event::Event;
use crate::poller::Poller;

/// An epoll instance with the library's sources. Opaque to C.
pub struct repoll {
    poller: Poller,
}

impl repoll {
    /// Moves a new poller to the heap and hands its ownership to C;
    /// `ENOMEM` instead of an abort when memory is exhausted.
    pub(crate) fn into_raw(poller: Poller) -> std::io::Result<*mut repoll> {
        let handle = crate::sys::try_box(repoll { poller })?;
        Ok(Box::into_raw(handle))
    }
}

/// One call in flight on a handle; derefs to its poller. Entering and
/// leaving are `#[inline]`: they are on every call's path, repoll_wait's
/// included, and the compiler does not inline them across modules alone.
pub(crate) struct Call {
    handle: NonNull<repoll>,
}

impl Call {
    /// Enters a call: `-EINVAL` for NULL, `-EBADF` once the handle is closed.
    ///
    /// # Safety
    /// A non-NULL `ep` must come from `repoll_create` and its memory must not
    /// have been released (no `repoll_close` has returned, per the C contract).
    #[inline]
    pub(crate) unsafe fn enter(ep: *const repoll) -> Result<Call, c_int> {
        let handle = NonNull::new(ep.cast_mut()).ok_or(-libc::EINVAL)?;
        let call = Call { handle };
        // Counted in even when refused: `call` drops on return and leaves.
        if !call.calls().enter() {
            return Err(-libc::EBADF);
        }
        Ok(call)
    }

    /// Frees the handle: the poller's fds close. Out of line, so that the
    /// leave on every call's path stays a few instructions.
    #[cold]
    #[inline(never)]
    fn release(&mut self) {
        // SAFETY: the handle came from `Box::into_raw` in `into_raw`; it is
        // closed and no other call is in flight, and the contract forbids
        // new ones after `repoll_close` returns, so this is the last use.
        drop(unsafe { Box::from_raw(self.handle.as_ptr()) });
    }

    fn calls(&self) -> &crate::calls::Calls {
        // SAFETY: the handle is live: the caller of `enter` guarantees it
        // until the call is counted in, and counting it in keeps it live
        // until it leaves, in `drop`.
        unsafe { self.handle.as_ref() }.poller.calls()
    }
}

impl std::ops::Deref for Call {
    type Target = Poller;
    fn deref(&self) -> &Poller {
        // SAFETY: this call is counted in, so the handle is live; the poller
        // is only ever shared (`&`), never mutated through the handle.
        unsafe { &self.handle.as_ref().poller }
    }
}

impl Drop for Call {
    #[inline]
    fn drop(&mut self) {
        if self.calls().leave() {
            self.release();
        }
    }
}

/// Writes `value` through an output pointer: `-EINVAL` for NULL.
///
/// # Safety
/// A non-NULL `out` must be valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> Result<(), c_int> {
    let out = NonNull::new(out).ok_or(-libc::EINVAL)?;
    // SAFETY: non-NULL, and the caller guarantees it is writable.
    unsafe { out.as_ptr().write(value) };
    Ok(())
}

/// The caller's event array as a slice: `-EINVAL` for NULL or `len <= 0`.
///
/// # Safety
/// A non-NULL `events` must be valid for writes of `len` events and not be
/// accessed by anyone else during the call.
pub(crate) unsafe fn events_mut<'a>(
    events: *mut Event,
    len: c_int,
) -> Result<&'a mut [Event], c_int> {
    let events = NonNull::new(events).ok_or(-libc::EINVAL)?;
    if len <= 0 {
        return Err(-libc::EINVAL);
    }
    // No array can exceed isize::MAX bytes; a larger count cannot be true.
    let len = (len as usize).min(isize::MAX as usize / std::mem::size_of::<Event>());
    // SAFETY: non-NULL, aligned (a C array of repoll_event_t), and the caller
    // guarantees `len` writable events that nothing else touches meanwhile.
    Ok(unsafe { std::slice::from_raw_parts_mut(events.as_ptr(), len) })
}

/// The ops array of `repoll_ctl_batch` as a slice: empty for `len == 0`
/// (whatever `ops`), `-EINVAL` for `len < 0` or a NULL `ops` with `len > 0`.
///
/// # Safety
/// A non-NULL `ops` must be valid for reads and writes of `len` ops and not
/// be accessed by anyone else during the call.
pub(crate) unsafe fn ops_mut<'a>(
    ops: *mut repoll_ctl_op,
    len: c_int,
) -> Result<&'a mut [repoll_ctl_op], c_int> {
    let len = usize::try_from(len).map_err(|_| -libc::EINVAL)?;
    if len == 0 {
        return Ok(&mut []);
    }
    let ops = NonNull::new(ops).ok_or(-libc::EINVAL)?;
    // SAFETY: non-NULL, aligned (a C array of repoll_ctl_op_t), and the
    // caller guarantees `len` ops that nothing else touches meanwhile. A
    // c_int count of 24-byte ops cannot exceed isize::MAX bytes.
    Ok(unsafe { std::slice::from_raw_parts_mut(ops.as_ptr(), len) })
}
