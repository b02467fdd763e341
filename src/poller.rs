//! [`Poller`]: an epoll instance plus the library's own event sources,
//! behind one wait.
//!
//! The library's sources (the waker, the timerfd, the signalfd) are
//! registered in the same epoll instance as the caller's fds. Their `data` is the address of a field of
//! [`Internal`], a heap block the poller owns: no live object of the caller's
//! can share that address, so a caller using pointers as data never collides,
//! and telling them apart costs one range check per event.

use std::io;
use std::ops::Range;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::calls::Calls;
use crate::epoll::{Epoll, Op};
use crate::event::{self, Event};
use crate::interest;
use crate::pwait2;
use crate::signals::Signals;
use crate::sys::{einval, monotonic_ns, try_box};
use crate::timeout::{Deadline, Timeout};
use crate::timers::Timers;
use crate::waker::Waker;

/// How to create a [`Poller`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    /// Close the epoll fd on exec.
    pub(crate) cloexec: bool,
    /// Retry waits interrupted by a signal handler, with the remaining time
    /// recomputed from a monotonic deadline, instead of returning `EINTR`.
    pub(crate) retry_eintr: bool,
}

/// The library's sources; boxed so that the addresses used as tokens stay put.
#[derive(Debug)]
struct Internal {
    waker: Waker,
    /// The process that created the poller. A forked child shares the waker's
    /// open file with its parent, so its close must not signal it.
    pid: u32,
    timers: Timers,
    signals: Signals,
    /// Set at creation for REPOLL_RETRY_EINTR, and once a timer or signal is
    /// added. Until then a wait is exactly one system call; after, it loops
    /// on EINTR or when a source fired for nothing.
    needs_loop: AtomicBool,
}

/// An epoll instance with a waker. Every method takes `&self` and may run
/// concurrently with any other, [`Poller::close`] included.
#[derive(Debug)]
pub(crate) struct Poller {
    /// The calls in flight and the one closed flag; see [`Poller::close`].
    calls: Calls,
    epoll: Epoll,
    internal: Box<Internal>,
    retry_eintr: bool,
}

impl Poller {
    /// A new instance.
    pub(crate) fn new(opts: Options) -> io::Result<Poller> {
        let epoll = Epoll::new(opts.cloexec)?;
        pwait2::read_environment();
        let internal = try_box(Internal {
            waker: Waker::new()?,
            pid: std::process::id(),
            timers: Timers::new(),
            signals: Signals::new(),
            needs_loop: AtomicBool::new(opts.retry_eintr),
        })?;
        let poller = Poller {
            calls: Calls::default(),
            epoll,
            internal,
            retry_eintr: opts.retry_eintr,
        };
        // Level-triggered: after close the waker stays readable, so every
        // wait from then on returns at once.
        let waker_fd = poller.internal.waker.fd();
        poller.epoll.ctl(
            Op::Add,
            waker_fd,
            interest::IN,
            token(&poller.internal.waker),
        )?;
        Ok(poller)
    }

    /// Registers, changes or removes `fd` (see [`Epoll::ctl`]). The library's
    /// own fds are refused with `EINVAL`, as the epoll fd itself is.
    pub(crate) fn ctl(&self, op: Op, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        let own = &self.internal;
        // Lazily created fds read as -1 until they exist; a negative fd is
        // the kernel's to reject (EBADF).
        if fd >= 0 && (fd == own.waker.fd() || fd == own.timers.fd() || fd == own.signals.fd()) {
            return Err(einval());
        }
        self.epoll.ctl(op, fd, events, data)
    }

    /// Waits for events and writes them to the front of `events`, returning
    /// how many (0 when the timeout passed). The caller's fds come first, then
    /// a wake as one event `{data: 0, events: WAKE}`, delivered signals as
    /// `{data, SIGNAL}` and expired timers as `{data, TIMER}`. After
    /// [`Poller::close`], fails with `EBADF`. An empty `events` is `EINVAL`.
    ///
    /// `sigmask`, when given, is the thread's signal mask during every system
    /// call of the wait that can sleep (the kernel installs and removes it
    /// atomically, as `epoll_pwait` does). With a mask, a signal handler that
    /// runs ends the wait with `EINTR`, even for a poller that retries EINTR:
    /// interrupting the wait is the mask's point. Always inlined, so that a
    /// constant `None` costs nothing.
    #[inline(always)]
    pub(crate) fn wait(
        &self,
        events: &mut [Event],
        timeout: Timeout,
        sigmask: Option<&libc::sigset_t>,
    ) -> io::Result<usize> {
        if !self.internal.needs_loop.load(Ordering::Relaxed) && !timeout.exceeds_one_ms_wait() {
            // The common case: exactly one system call.
            let n = self.epoll.wait_kernel(events, timeout, sigmask)?;
            if !event::widen(events, n, self.tokens()) {
                return Ok(n);
            }
            let kept = self.deliver(events, n)?;
            if kept > 0 {
                return Ok(kept);
            }
            // A source first used during this wait fired for nothing (a timer
            // cancelled meanwhile): wait again, late rather than early.
        }
        self.wait_until_deadline(events, timeout, sigmask)
    }

    /// The wait for handles that retry EINTR, use timers or signals, or were
    /// given a timeout longer than one `epoll_wait` takes: system calls in a
    /// loop until an event or the deadline. Between two calls the thread
    /// has its own mask, never `sigmask`: a signal that only `sigmask` lets
    /// in stays pending until the next call, which ends with it (EINTR).
    #[inline(never)]
    fn wait_until_deadline(
        &self,
        events: &mut [Event],
        timeout: Timeout,
        sigmask: Option<&libc::sigset_t>,
    ) -> io::Result<usize> {
        let retry_eintr = self.retry_eintr && sigmask.is_none();
        let deadline = Deadline::after(monotonic_ns(), timeout);
        let mut slice = timeout;
        loop {
            match self.epoll.wait_kernel(events, slice, sigmask) {
                Ok(0) if !slice.exceeds_one_ms_wait() => return Ok(0),
                Ok(n) if event::widen(events, n, self.tokens()) => {
                    let kept = self.deliver(events, n)?;
                    if kept > 0 {
                        return Ok(kept);
                    }
                }
                Ok(0) => {} // a clamped slice of a longer timeout ran out
                Ok(n) => return Ok(n),
                Err(e) if retry_eintr && e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) => return Err(e),
            }
            slice = deadline.remaining(monotonic_ns());
        }
    }

    /// Makes a blocked [`Poller::wait`] return (or the next one, if none is
    /// blocked) with one `WAKE` event. Wakes before that wait coalesce.
    /// Async-signal-safe: one `write(2)`.
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.internal.waker.wake()
    }

    /// The calls in flight on this poller; the caller counts each of its
    /// calls in and out (the C handle does, in `ffi/handle.rs`).
    pub(crate) fn calls(&self) -> &Calls {
        &self.calls
    }

    /// The close sequence. Called from inside a call counted in
    /// [`Poller::calls`]; `EBADF` if the poller was already closed. The fds
    /// close, and the memory is released, when the last call in flight
    /// leaves ([`Calls::leave`] says which one that is).
    pub(crate) fn close(&self) -> io::Result<()> {
        // 1. The one closed flag: calls entering from now on are refused,
        //    and so is every wait the waker wakes (see `deliver`).
        if !self.calls.close() {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        if std::process::id() == self.internal.pid {
            // 2. Wake the blocked waits so they return EBADF promptly. The
            //    waker is level-triggered and never drained once closed, so
            //    every wait sees it. EAGAIN means readable already.
            let _ = self.internal.waker.wake();
        } else {
            // 2'. A forked child: the waker is an open file shared with the
            //    parent, and waking it would send the parent a spurious WAKE.
            //    No thread of the child can be in a call that predates the
            //    fork, but the calls counted in the parent's memory image
            //    would never leave: forget them, so that this call is the
            //    last out and releases the child's copy.
            self.calls.forget_inherited();
        }
        Ok(())
    }

    /// Adds a timer due `first` ns from now (CLOCK_MONOTONIC), repeating every
    /// `interval` ns (0: once), reported as `{data, TIMER}`. Returns its id,
    /// never reused while the poller lives.
    pub(crate) fn timer_add(&self, first: u64, interval: u64, data: u64) -> io::Result<u64> {
        self.internal.needs_loop.store(true, Ordering::Relaxed);
        let token = token(&self.internal.timers);
        self.internal.timers.add(first, interval, data, |fd| {
            self.epoll.ctl(Op::Add, fd, interest::IN, token)
        })
    }

    /// Cancels a timer: `ENOENT` for an unknown or already fired one-shot id.
    pub(crate) fn timer_cancel(&self, id: u64) -> io::Result<()> {
        self.internal.timers.cancel(id)
    }

    /// Reports `signo` as `{data, SIGNAL}` from now on. The caller must keep
    /// the signal blocked in every thread. `EINVAL` for an invalid number,
    /// SIGKILL or SIGSTOP; `EEXIST` if already added.
    pub(crate) fn signal_add(&self, signo: i32, data: u64) -> io::Result<()> {
        self.internal.needs_loop.store(true, Ordering::Relaxed);
        let token = token(&self.internal.signals);
        self.internal.signals.add(signo, data, |fd| {
            self.epoll.ctl(Op::Add, fd, interest::IN, token)
        })
    }

    /// Stops reporting `signo`: `ENOENT` if it was not added.
    pub(crate) fn signal_delete(&self, signo: i32) -> io::Result<()> {
        self.internal.signals.delete(signo)
    }

    /// Rewrites the `n` events the kernel returned: the caller's stay, in
    /// order, at the front; the library's become the events they stand for.
    /// Each source that fired freed its own slot, so each has room for at
    /// least one event.
    fn deliver(&self, events: &mut [Event], n: usize) -> io::Result<usize> {
        let own = &*self.internal;
        let (waker, timers, signals) = (token(&own.waker), token(&own.timers), token(&own.signals));
        let (mut woken, mut timed, mut signalled) = (false, false, false);
        let mut kept = 0;
        for i in 0..n {
            let ev = events[i];
            match ev.data {
                d if d == waker => woken = true,
                d if d == timers => timed = true,
                d if d == signals => signalled = true,
                _ => {
                    events[kept] = ev;
                    kept += 1;
                }
            }
        }
        let mut out = Filled { events, len: kept };
        if woken {
            if self.calls.is_closed() {
                return Err(io::Error::from_raw_os_error(libc::EBADF));
            }
            own.waker.drain();
            out.push(0, interest::WAKE);
        }
        if signalled {
            // Leave the timers the slot their fd freed.
            let room = out.room() - usize::from(timed);
            own.signals
                .deliver(room, |s| out.push(s.data, interest::SIGNAL));
        }
        if timed {
            let room = out.room();
            own.timers
                .expire(room, |t| out.push(t.data, interest::TIMER));
        }
        Ok(out.len)
    }

    /// The `data` range no registration of the caller's can hold.
    fn tokens(&self) -> Range<u64> {
        let start = token(&*self.internal);
        start..start + std::mem::size_of::<Internal>() as u64
    }
}

/// The `data` that stands for one of the library's sources: its address
/// inside the poller's `Internal` block.
fn token<T>(source: &T) -> u64 {
    source as *const T as u64
}

/// The front of an event array that `deliver` has filled so far.
struct Filled<'a> {
    events: &'a mut [Event],
    len: usize,
}

impl Filled<'_> {
    fn room(&self) -> usize {
        self.events.len() - self.len
    }

    fn push(&mut self, data: u64, bits: u32) {
        self.events[self.len] = Event {
            data,
            events: bits,
            reserved: 0,
        };
        self.len += 1;
    }
}

impl AsRawFd for Poller {
    /// The epoll fd, to nest this poller in another event loop.
    fn as_raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }
}
