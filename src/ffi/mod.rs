//! The C API: argument checks, conversion, error mapping and the panic
//! boundary around the safe core — nothing else. cbindgen turns this module's
//! items and doc comments into `include/repoll.h`.
//!
//! Conventions (repeated in the header): `>= 0` is success, `< 0` is a
//! negated errno value; NULL handles and required pointers are `-EINVAL`;
//! outputs are written only on success.

#![allow(non_camel_case_types)]
// The pointer rules of every function are the C contract, stated once in the
// header's conventions and per function in prose; a Rust `# Safety` section
// would only repeat them in the header.
#![allow(clippy::missing_safety_doc)]

pub(crate) mod boundary;
pub mod constants;
mod handle;
mod strerror;

use std::os::raw::{c_char, c_int};

use boundary::{boundary, to_c};
pub use constants::*;
pub use handle::repoll;
use handle::{events_mut, ops_mut, write_out, Call};

/// Enters a call on handle `$ep` for the rest of the enclosing function (or
/// boundary closure), returning -EINVAL for NULL and -EBADF once closed.
macro_rules! enter {
    ($ep:expr) => {
        // SAFETY: the C contract: a non-NULL handle is live, i.e. no
        // repoll_close on it has returned.
        match unsafe { Call::enter($ep) } {
            Ok(call) => call,
            Err(code) => return code,
        }
    };
}

use crate::epoll::Op;
use crate::event::Event;
use crate::features;
use crate::poller::{Options, Poller};
use crate::timeout::Timeout;

/// An epoll instance plus the library's own event sources. Opaque: created by
/// `repoll_create`, released by `repoll_close`.
pub type repoll_t = repoll;

/// One readiness report, written by `repoll_wait`: 16 bytes, alignment 8, the
/// same on every architecture (unlike the kernel's packed `struct
/// epoll_event`), so bindings can declare it without special cases.
pub type repoll_event_t = Event;

/// Creates an epoll instance and stores its handle in `*out`.
///
/// `flags` is 0 or an OR of `REPOLL_CLOEXEC` (close the epoll fd on exec) and
/// `REPOLL_RETRY_EINTR` (waits retry after a signal handler runs, instead of
/// returning -EINTR). The library's internal fds are always close-on-exec.
///
/// Returns 0, or: -EINVAL (`out` is NULL, unknown flag bit), -EMFILE /
/// -ENFILE (fd limit reached), -ENOMEM, -ENOSPC (the per-user
/// max_user_watches limit: the handle's internal waker takes one watch). On
/// error `*out` is left untouched.
///
/// Ownership: the caller owns the new handle and must release it with
/// `repoll_close`, exactly once.
#[no_mangle]
pub unsafe extern "C" fn repoll_create(out: *mut *mut repoll_t, flags: c_int) -> c_int {
    boundary!({
        if out.is_null() || flags & !(REPOLL_CLOEXEC | REPOLL_RETRY_EINTR) != 0 {
            return -libc::EINVAL;
        }
        let opts = Options {
            cloexec: flags & REPOLL_CLOEXEC != 0,
            retry_eintr: flags & REPOLL_RETRY_EINTR != 0,
        };
        match Poller::new(opts).and_then(repoll::into_raw) {
            // SAFETY: `out` was checked non-NULL; the C caller provides a
            // writable pointer slot.
            Ok(ep) => match unsafe { write_out(out, ep) } {
                Ok(()) => 0,
                Err(code) => code,
            },
            Err(e) => to_c(Err(e)),
        }
    })
}

/// Adds, modifies or deletes the registration of `fd` (`op` is
/// `REPOLL_CTL_ADD`, `REPOLL_CTL_MOD` or `REPOLL_CTL_DEL`), with interest
/// `events` (REPOLL_IN, REPOLL_OUT, … REPOLL_ET) and the 64-bit `data` that
/// `repoll_wait` reports back unchanged. For a delete, `events` and `data`
/// are ignored.
///
/// Any 64-bit `data` works, with one exception that only chance can hit: the
/// library recognises its own sources (wake, timers, signals) by data values
/// that are addresses inside the handle's private memory. A pointer to a live
/// object of yours can never equal one; an arbitrary integer equals one with
/// probability about 3 in 2^64.
///
/// Arguments the library rejects itself (unknown `op`, bad `events` bits)
/// give -EINVAL even where the kernel would have reported a bad `fd` first.
///
/// Returns 0, or the kernel's error: -EEXIST (add: already registered),
/// -ENOENT (modify/delete: not registered), -EBADF (`fd` is not open, or the
/// handle is closed), -EPERM (`fd` does not support polling, e.g. a regular
/// file; the kernel checks this first, so also for a modify or delete), -EINVAL (NULL handle, unknown `op`, `fd` is this instance's own
/// epoll fd or one of its internal fds, an unknown bit in `events`,
/// REPOLL_EXCLUSIVE with a modify or with bits other than IN, OUT, ERR, HUP,
/// WAKEUP and ET), -ELOOP (nesting epoll instances would make a cycle or be
/// too deep), -ENOMEM, -ENOSPC (the user's max_user_watches limit).
///
/// Thread rules: may run concurrently with any call on the same handle,
/// including a blocked `repoll_wait`, which sees the change. Does not allocate.
#[no_mangle]
pub unsafe extern "C" fn repoll_ctl(
    ep: *mut repoll_t,
    op: c_int,
    fd: c_int,
    events: u32,
    data: u64,
) -> c_int {
    boundary!({
        let call = enter!(ep);
        ctl(&call, op, fd, events, data)
    })
}

/// One `repoll_ctl` on a handle already entered.
#[inline]
fn ctl(call: &Call, op: c_int, fd: c_int, events: u32, data: u64) -> c_int {
    let Some(op) = Op::from_raw(op) else {
        return -libc::EINVAL;
    };
    to_c(call.ctl(op, fd, events, data).map(|()| 0))
}

/// One operation of `repoll_ctl_batch`: the arguments of one `repoll_ctl`
/// call, and its result. 24 bytes, alignment 8, the same on every
/// architecture.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct repoll_ctl_op {
    /// `REPOLL_CTL_ADD`, `REPOLL_CTL_MOD` or `REPOLL_CTL_DEL`.
    pub op: i32,
    /// The fd to register, change or remove.
    pub fd: i32,
    /// The interest, as for `repoll_ctl` (ignored for a delete).
    pub events: u32,
    /// Written by the library: 0 or the negative errno `repoll_ctl` would
    /// have returned. The only field the library writes.
    pub result: i32,
    /// Reported back unchanged by `repoll_wait` (ignored for a delete).
    pub data: u64,
}

/// See `struct repoll_ctl_op`.
pub type repoll_ctl_op_t = repoll_ctl_op;

const _: () = assert!(
    std::mem::size_of::<repoll_ctl_op>() == 24 && std::mem::align_of::<repoll_ctl_op>() == 8
);

/// Applies `n` registrations in one call, each as `repoll_ctl` would, in
/// array order, writing each one's return value to its `result`.
///
/// For each `ops[i]`, exactly what `repoll_ctl(ep, ops[i].op, ops[i].fd,
/// ops[i].events, ops[i].data)` would do. A failing op does not stop the
/// others, and a later op sees the effect of an earlier one (an ADD then a
/// MOD of the same fd works). Nothing but the `result` fields is written.
///
/// Each `result` is 0 or one of the errors `repoll_ctl` documents (-EEXIST,
/// -ENOENT, -EBADF, -EPERM, -EINVAL for an unknown `op`, bad `events` bits
/// or one of the library's own fds, -ELOOP, -ENOMEM, -ENOSPC).
///
/// Returns the number of ops that succeeded (0..n), or, with no op applied
/// and no `result` written: -EINVAL (NULL handle whatever `n`, NULL `ops`
/// with `n` > 0, `n` < 0), -EBADF (the handle is closed). `n` == 0 returns 0
/// (and `ops` may then be NULL).
///
/// Directions: `ops` inout. Only each op's `result` is written; the other
/// fields are read.
///
/// Thread rules: as `repoll_ctl`, op by op: a concurrent call may see some
/// of the ops applied and not yet the others. Does not allocate and takes no
/// lock: a loop of epoll_ctl(2) calls inside the library, for languages whose
/// every foreign call is expensive.
#[no_mangle]
pub unsafe extern "C" fn repoll_ctl_batch(
    ep: *mut repoll_t,
    ops: *mut repoll_ctl_op_t,
    n: c_int,
) -> c_int {
    boundary!({
        let call = enter!(ep);
        // SAFETY: the C contract: `ops` holds `n` ops that nothing else
        // accesses during the call.
        let ops = match unsafe { ops_mut(ops, n) } {
            Ok(ops) => ops,
            Err(code) => return code,
        };
        let mut succeeded = 0;
        for op in ops {
            op.result = ctl(&call, op.op, op.fd, op.events, op.data);
            succeeded += c_int::from(op.result == 0);
        }
        succeeded
    })
}

/// `repoll_ctl(ep, REPOLL_CTL_ADD, fd, events, data)`: same returns and rules.
#[no_mangle]
pub unsafe extern "C" fn repoll_add(ep: *mut repoll_t, fd: c_int, events: u32, data: u64) -> c_int {
    // SAFETY: forwards the caller's guarantees unchanged.
    unsafe { repoll_ctl(ep, REPOLL_CTL_ADD, fd, events, data) }
}

/// `repoll_ctl(ep, REPOLL_CTL_MOD, fd, events, data)`: same returns and rules.
/// Re-arms a REPOLL_ONESHOT registration.
#[no_mangle]
pub unsafe extern "C" fn repoll_modify(
    ep: *mut repoll_t,
    fd: c_int,
    events: u32,
    data: u64,
) -> c_int {
    // SAFETY: forwards the caller's guarantees unchanged.
    unsafe { repoll_ctl(ep, REPOLL_CTL_MOD, fd, events, data) }
}

/// `repoll_ctl(ep, REPOLL_CTL_DEL, fd, 0, 0)`: same returns and rules. Closing
/// an fd removes it too, once no other fd (dup) refers to the same open file.
#[no_mangle]
pub unsafe extern "C" fn repoll_delete(ep: *mut repoll_t, fd: c_int) -> c_int {
    // SAFETY: forwards the caller's guarantees unchanged.
    unsafe { repoll_ctl(ep, REPOLL_CTL_DEL, fd, 0, 0) }
}

/// Waits for events and writes up to `maxevents` of them to `events`.
///
/// `timeout_ms` < 0 blocks until an event arrives, 0 returns at once, > 0
/// waits at most that many milliseconds. A `repoll_wake` is reported as one
/// event `{data = 0, events = REPOLL_WAKE}`.
///
/// Events are written in this order: the caller's fds (in the kernel's
/// order), then a wake, then delivered signals, then expired timers in
/// deadline order.
///
/// The handle's own fds (its waker, its signal fd, and the timer fd of a
/// handle nested through `repoll_fd`) take the kernel's slots as the
/// caller's fds do, and one can fire with nothing to report (a wake-up the
/// library made for itself, a timer cancelled after its fd fired, a signal
/// another handle took). A wait that returns events may then return fewer
/// than `maxevents` while more are ready: the next wait reports them at
/// once, and none is lost or reported twice. A wait never returns 0 while
/// an event is ready: it asks the kernel again first.
///
/// Returns the number of events written (0 when the timeout passed), or:
/// -EINVAL (NULL handle, NULL `events`, `maxevents` <= 0), -EINTR (a signal
/// handler ran; nothing is lost, call again — unless the handle was created
/// with REPOLL_RETRY_EINTR, which retries with the remaining time), -EBADF
/// (the handle was closed, including by another thread while this one was
/// blocked: it returns promptly).
///
/// Borrows `events` for the call only. Any `maxevents` that the array really
/// holds is accepted; nothing is allocated and no lock is taken. Several
/// threads may wait on the same handle at once. Directions: `events` out.
#[no_mangle]
pub unsafe extern "C" fn repoll_wait(
    ep: *mut repoll_t,
    events: *mut repoll_event_t,
    maxevents: c_int,
    timeout_ms: c_int,
) -> c_int {
    boundary!({
        let call = enter!(ep);
        // SAFETY: the C contract: `events` holds `maxevents` writable events.
        match unsafe { events_mut(events, maxevents) } {
            Ok(events) => to_c(call.wait_ms(events, timeout_ms).map(|n| n as c_int)),
            Err(code) => code,
        }
    })
}

/// `repoll_wait` with a timeout in nanoseconds (< 0 blocks, 0 returns at
/// once). Uses the epoll_pwait2 system call; on kernels without it (before
/// 5.11, or filtered by a sandbox) the timeout is rounded UP to whole
/// milliseconds (0 stays 0), so it never returns before the timeout passed.
/// `repoll_features()` tells which applies. Huge values are never wrapped
/// into "block forever". Same returns and rules as `repoll_wait`.
/// Directions: `events` out.
#[no_mangle]
pub unsafe extern "C" fn repoll_wait_ns(
    ep: *mut repoll_t,
    events: *mut repoll_event_t,
    maxevents: c_int,
    timeout_ns: i64,
) -> c_int {
    // SAFETY: forwards the caller's guarantees unchanged.
    boundary!(unsafe { wait(ep, events, maxevents, Timeout::from_nanos(timeout_ns), None) })
}

/// `repoll_wait_ns` with the thread's signal mask set to `*sigmask` for the
/// wait only, atomically, as epoll_pwait2(2) does.
///
/// A signal that `*sigmask` unblocks can interrupt the wait but can never
/// arrive between the mask change and the sleep, which swapping the mask
/// with pthread_sigmask around `repoll_wait` cannot promise. Typical use:
/// keep a signal blocked, test a flag its handler sets, then wait with a
/// mask that unblocks it.
///
/// `sigmask` NULL makes it exactly `repoll_wait_ns` (a REPOLL_RETRY_EINTR
/// handle then retries after a handler as usual). With a mask, a signal
/// handler that runs during the wait makes it return -EINTR, also on a
/// REPOLL_RETRY_EINTR handle (interrupting the wait is the mask's point); a
/// signal that the mask lets in and that is already pending when the wait
/// would sleep is delivered then, and gives -EINTR at once.
///
/// Timeouts as `repoll_wait_ns`: on kernels without epoll_pwait2 the wait
/// uses epoll_pwait(2) with the timeout rounded UP to whole milliseconds.
/// Timers, signals and wakes of the handle work as with `repoll_wait`; every
/// system call of the wait that can sleep runs with `*sigmask`, and between
/// them (the library may make several) the thread has its own mask again, so
/// a signal arriving there stays pending until the next one, which returns
/// -EINTR. A signal added with `repoll_signal_add` must stay blocked in
/// `*sigmask` too, or it goes to its handler (or default action) instead of
/// being reported.
///
/// Returns the number of events written (0 when the timeout passed), or:
/// -EINVAL (NULL handle whatever the other arguments, NULL `events`,
/// `maxevents` <= 0), -EINTR (a signal handler ran), -EBADF (the handle was
/// closed, as for `repoll_wait`).
///
/// Directions: `events` out. `*sigmask` is only read, during the call.
///
/// Thread rules: as `repoll_wait`. Nothing is allocated and no lock is taken;
/// the thread's own mask is never changed (no pthread_sigmask).
#[no_mangle]
pub unsafe extern "C" fn repoll_pwait(
    ep: *mut repoll_t,
    events: *mut repoll_event_t,
    maxevents: c_int,
    timeout_ns: i64,
    sigmask: *const libc::sigset_t,
) -> c_int {
    boundary!({
        // SAFETY: the C contract: a non-NULL `sigmask` points to a sigset_t
        // that stays unchanged during the call.
        let sigmask = unsafe { sigmask.as_ref() };
        // SAFETY: forwards the caller's guarantees unchanged.
        unsafe {
            wait(
                ep,
                events,
                maxevents,
                Timeout::from_nanos(timeout_ns),
                sigmask,
            )
        }
    })
}

/// # Safety
/// As for `repoll_wait`: a live handle, an array of `maxevents` events.
/// Always inlined: for `repoll_wait` and `repoll_wait_ns` the mask is a
/// constant None that then costs nothing.
#[inline(always)]
unsafe fn wait(
    ep: *mut repoll_t,
    events: *mut Event,
    maxevents: c_int,
    timeout: Timeout,
    sigmask: Option<&libc::sigset_t>,
) -> c_int {
    let call = enter!(ep);
    // SAFETY: the C contract: `events` holds `maxevents` writable events.
    match unsafe { events_mut(events, maxevents) } {
        Ok(events) => to_c(call.wait(events, timeout, sigmask).map(|n| n as c_int)),
        Err(code) => code,
    }
}

/// Closes the epoll instance and releases the handle.
///
/// Returns 0, or -EINVAL (NULL), -EBADF (already closed while another call
/// was still in flight on it).
///
/// Thread rules: may run while other threads are inside calls on the same
/// handle: a blocked `repoll_wait` returns -EBADF promptly (or, if fds became
/// ready at the same moment, those events), other calls in flight finish or
/// fail with -EBADF, and the memory and fds are released when the last of
/// them returns. Hence -EBADF from any function means it raced with a
/// `repoll_close` of the handle. A call that *starts* after `repoll_close`
/// returned is a use after free, as with close(2) and free(3); so is a call
/// racing the close so closely that it may enter after the release: close
/// only once the other threads are inside their calls (e.g. blocked in a
/// wait) or done with the handle.
///
/// After fork(2) the child shares the epoll instance and the library's
/// internal fds with the parent (the kernel's rule for inherited fds): the
/// child must not wait on or change an inherited handle. It may
/// `repoll_close` it, which releases the child's copies only and leaves the
/// parent's registrations and waits undisturbed.
#[no_mangle]
pub unsafe extern "C" fn repoll_close(ep: *mut repoll_t) -> c_int {
    boundary!({
        let call = enter!(ep);
        // The sequence is Poller::close; dropping `call` on return then
        // releases the handle, unless another call is still in flight.
        to_c(call.close().map(|()| 0))
    })
}

/// The epoll fd of the handle, to nest it in another event loop (it becomes
/// readable when `repoll_wait` would return events). The fd stays owned by the
/// handle: do not close it, and do not use it after `repoll_close`. From the
/// first call on, the handle's timers get one internal fd (a timerfd, created
/// now if timers exist, else with the first timer), so that a due timer makes
/// the epoll fd readable too; timers need no fd otherwise.
///
/// Returns the fd (>= 0), or -EINVAL (NULL), -EBADF (closed), -EMFILE /
/// -ENOMEM / -ENOSPC (creating that timerfd: the fd limit, memory,
/// max_user_watches).
#[no_mangle]
pub unsafe extern "C" fn repoll_fd(ep: *const repoll_t) -> c_int {
    boundary!({
        let call = enter!(ep);
        to_c(call.nest_fd())
    })
}

/// Makes a `repoll_wait` blocked on this handle return (or the next one, if
/// none is blocked) with one event `{data = 0, events = REPOLL_WAKE}`. Wakes
/// made before that wait returns coalesce into that one event. If several
/// threads wait at once, at least one of them wakes.
///
/// Returns 0, or -EINVAL (NULL), -EBADF (closed).
///
/// Thread rules: callable from any thread and from a signal handler
/// (async-signal-safe: atomics and one write(2)), concurrently with any call
/// including `repoll_close`.
#[no_mangle]
pub unsafe extern "C" fn repoll_wake(ep: *mut repoll_t) -> c_int {
    boundary!({
        let call = enter!(ep);
        to_c(call.wake().map(|()| 0))
    })
}

/// Starts a timer, kept inside the library (no fd per timer): it expires
/// `first_ns` nanoseconds from now on CLOCK_MONOTONIC, then every
/// `interval_ns` nanoseconds (0: once). Each expiry is reported by
/// `repoll_wait` as one event `{data, REPOLL_TIMER}`, never before it is due.
/// Timers due within 50 µs of each other share one wake-up, so one may be
/// reported up to 50 µs late (the kernel's default timer slack for a
/// sleeping thread).
///
/// `first_ns = 0` is due at once (the next wait reports it), also with
/// `interval_ns = 0`. A repeating timer is re-armed from its schedule, not
/// from when it was reported, so it never drifts; periods missed while no one
/// waited are skipped, not reported in a burst. Huge times saturate (a timer
/// 2^63 ns away never fires), never wrap. Timers with equal deadlines expire
/// in unspecified order; otherwise in deadline order.
///
/// Returns 0 and stores the timer's id in `*id_out`, or: -EINVAL (NULL `ep`
/// or `id_out`, negative `first_ns` or `interval_ns`), -EBADF (closed),
/// -ENOMEM, -EMFILE / -ENOSPC (the first timer of a handle whose fd
/// `repoll_fd` handed out creates a timerfd: the fd limit,
/// max_user_watches). Timers open no fd otherwise: the wait's own timeout
/// (nanoseconds, through epoll_pwait2) ends at the earliest one.
/// Ids are positive, below 2^53 (exact in a double, so JavaScript and Lua
/// numbers hold them) and never reused while the handle lives, however many
/// timers are added and cancelled.
///
/// Thread rules: may run concurrently with any call; a timer added from
/// another thread with an earlier deadline than a blocked wait's timeout
/// makes that wait return when it expires. Add and cancel take a short
/// internal lock (never held by a blocked wait) and are O(log n).
#[no_mangle]
pub unsafe extern "C" fn repoll_timer_add(
    ep: *mut repoll_t,
    first_ns: i64,
    interval_ns: i64,
    data: u64,
    id_out: *mut u64,
) -> c_int {
    boundary!({
        let call = enter!(ep);
        let (Ok(first), Ok(interval)) = (u64::try_from(first_ns), u64::try_from(interval_ns))
        else {
            return -libc::EINVAL;
        };
        if id_out.is_null() {
            return -libc::EINVAL;
        }
        match call.timer_add(first, interval, data) {
            // SAFETY: `id_out` was checked non-NULL; the caller provides a
            // writable u64.
            Ok(id) => match unsafe { write_out(id_out, id) } {
                Ok(()) => 0,
                Err(code) => code,
            },
            Err(e) => to_c(Err(e)),
        }
    })
}

/// Cancels a timer before its next expiry.
///
/// Returns 0, or -ENOENT (unknown id, a one-shot timer that already expired,
/// or one already cancelled), -EINVAL (NULL), -EBADF (closed). An expiry
/// already reported (or being reported by a concurrent wait) is not taken back.
#[no_mangle]
pub unsafe extern "C" fn repoll_timer_cancel(ep: *mut repoll_t, id: u64) -> c_int {
    boundary!({
        let call = enter!(ep);
        to_c(call.timer_cancel(id).map(|()| 0))
    })
}

/// Reports signal `signo` as events `{data, REPOLL_SIGNAL}` (through a
/// signalfd, created with the first signal of a handle).
///
/// The caller must block `signo` in EVERY thread of the process before
/// calling this, e.g. with pthread_sigmask in main() before creating threads
/// (threads inherit the mask). A thread that leaves it unblocked receives it
/// the ordinary way (handler or default action, which for SIGINT kills the
/// process) and the handle never sees it. Only signals sent to the process,
/// or to the thread that calls `repoll_wait`, are reported.
///
/// A signal whose disposition is SIG_IGN is discarded by the kernel even
/// while blocked, so it is never reported (a shell starts background jobs
/// with SIGINT ignored): install a handler or SIG_DFL first if that matters.
///
/// A signal that arrives while no wait runs stays pending and is reported by
/// the next wait. Several instances of a standard signal pending at once
/// coalesce into one event; real-time signals are reported once each.
///
/// Returns 0, or -EINVAL (NULL, `signo` not a valid signal number, SIGKILL,
/// SIGSTOP, or one reserved by the C library), -EEXIST (already added to this
/// handle), -EBADF (closed), -EMFILE / -ENOMEM / -ENOSPC (the first signal
/// of a handle creates one signalfd and registers it).
///
/// Thread rules: may run concurrently with any call on the handle.
#[no_mangle]
pub unsafe extern "C" fn repoll_signal_add(ep: *mut repoll_t, signo: c_int, data: u64) -> c_int {
    boundary!({
        let call = enter!(ep);
        to_c(call.signal_add(signo, data).map(|()| 0))
    })
}

/// Stops reporting `signo`. The library never changes signal masks: the
/// signal stays blocked, and an instance already pending stays pending in the
/// process until the caller unblocks it or adds it again.
///
/// Returns 0, or -ENOENT (not added), -EINVAL (NULL, or a number
/// `repoll_signal_add` refuses), -EBADF (closed). Thread rules: may run concurrently with any call on the handle.
#[no_mangle]
pub unsafe extern "C" fn repoll_signal_delete(ep: *mut repoll_t, signo: c_int) -> c_int {
    boundary!({
        let call = enter!(ep);
        to_c(call.signal_delete(signo).map(|()| 0))
    })
}

/// A description of any return value of this library: "Success" for 0 and
/// any positive count, the errno's message for a negated errno value, one
/// for -REPOLL_EPANIC, and "Unknown error" for any other negative value.
///
/// Returns a static, NUL-terminated string, never NULL; the caller must not
/// free it. Thread-safe and independent of the locale.
#[no_mangle]
pub extern "C" fn repoll_strerror(code: c_int) -> *const c_char {
    boundary!(c"Unknown error".as_ptr(), strerror::message(code).as_ptr())
}

/// The library's version as "MAJOR.MINOR.PATCH": a static string, never NULL,
/// not to be freed. Compare with REPOLL_VERSION_* to detect a header/library
/// mismatch.
#[no_mangle]
pub extern "C" fn repoll_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    boundary!(VERSION.as_ptr().cast(), VERSION.as_ptr().cast())
}

/// What the running kernel supports, as REPOLL_FEATURE_* bits, probed once
/// per process (the first call makes a few system calls). Thread-safe.
/// Setting the environment variable REPOLL_DISABLE_PWAIT2 before the first
/// call makes the process behave as on a kernel without epoll_pwait2.
#[no_mangle]
pub extern "C" fn repoll_features() -> u32 {
    boundary!(0, features::features())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The functions include/repoll.h declares, as generated for this build:
    /// each prototype is a line at column 0 ending in `);`.
    fn header_functions() -> BTreeSet<String> {
        let header = include_str!(concat!(env!("OUT_DIR"), "/repoll.h"));
        header
            .lines()
            .filter(|l| l.ends_with(");") && l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .map(|l| {
                let head = &l[..l.find('(').expect("a prototype")];
                let mut name = head.rsplit(|c: char| !(c.is_alphanumeric() || c == '_'));
                name.next().expect("a name").to_string()
            })
            .collect()
    }

    /// Every function the crate exports under its own symbol name (anywhere
    /// under src/), with the first statement of its body.
    fn exported_functions() -> BTreeMap<String, String> {
        let mut found = BTreeMap::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let src = std::fs::read_to_string(&path).unwrap();
                    found.extend(exported_in(&src));
                }
            }
        }
        found
    }

    fn exported_in(src: &str) -> Vec<(String, String)> {
        let lines: Vec<&str> = src.lines().map(str::trim).collect();
        let exports = |l: &&str| {
            [
                "#[no_mangle]",
                "#[unsafe(no_mangle)]",
                "#[export_name",
                "#[unsafe(export_name",
            ]
            .iter()
            .any(|attr| l.starts_with(attr))
        };
        let mut found = Vec::new();
        for (at, _) in lines.iter().enumerate().filter(|(_, l)| exports(l)) {
            let rest = lines[at + 1..].join("\n");
            let sig_start = rest.find("fn ").expect("an exported fn") + 3;
            let name = &rest[sig_start..rest[sig_start..].find('(').unwrap() + sig_start];
            let body = &rest[rest[sig_start..].find('{').unwrap() + sig_start + 1..];
            let first = body
                .lines()
                .find(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("const "))
                .unwrap_or_default();
            found.push((name.trim().to_string(), first.to_string()));
        }
        found
    }

    /// Whether `name`'s body runs inside `boundary!`, or its first statement
    /// forwards to an exported function that does.
    fn guarded(name: &str, bodies: &BTreeMap<String, String>, depth: usize) -> bool {
        let first = &bodies[name];
        if first.starts_with("boundary!(") {
            return true;
        }
        let call = first.strip_prefix("unsafe { ").unwrap_or(first);
        let callee = &call[..call.find('(').unwrap_or(0)];
        depth < bodies.len() && bodies.contains_key(callee) && guarded(callee, bodies, depth + 1)
    }

    /// Every exported function either runs its body inside `boundary!` or
    /// forwards to one that does, so no panic can unwind into C; and the
    /// functions checked are exactly the ones the header declares.
    #[test]
    fn every_exported_function_runs_inside_the_panic_boundary() {
        let bodies = exported_functions();
        let names: BTreeSet<String> = bodies.keys().cloned().collect();
        assert_eq!(
            names,
            header_functions(),
            "exported from src/ vs declared in the header"
        );
        assert!(names.contains("repoll_wait") && names.contains("repoll_add"));
        for (name, first) in &bodies {
            assert!(
                guarded(name, &bodies, 0),
                "{name} neither starts with boundary!(…) nor forwards to a function that does: {first}"
            );
        }
    }
}
