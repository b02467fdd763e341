//! [`Poller`]: an epoll instance plus the library's own event sources,
//! behind one wait.
//!
//! The library's fds (the waker, the signalfd) are registered in the same
//! epoll instance as the caller's fds. Their `data` is the address of a field
//! of [`Internal`], a heap block the poller owns: no live object of the
//! caller's can share that address, so a caller using pointers as data never
//! collides, and telling them apart costs one range check per event. Timers
//! need no fd: they bound the wait's timeout (see `timers.rs`).

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
    /// Set by [`Poller::wake`] before it wakes the waker, so a wait reports
    /// WAKE for the caller's wakes only, not for the kicks that make a wait
    /// look at a new earliest timer.
    caller_woke: AtomicBool,
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
            caller_woke: AtomicBool::new(false),
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
        if self.internal.needs_loop.load(Ordering::SeqCst) || timeout.exceeds_one_ms_wait() {
            return self.wait_until_deadline(events, timeout, sigmask);
        }
        // The common case: exactly one system call, and no call that is not
        // needed (the rest is out of line, so this stays a few instructions
        // around the system call).
        let n = self.epoll.wait_kernel(events, timeout, sigmask)?;
        if event::widen(events, n, self.tokens()) {
            return self.deliver_or_wait(events, n, timeout, sigmask);
        }
        Ok(n)
    }

    /// [`Poller::wait`] with a timeout in whole milliseconds (< 0: none) and
    /// no mask, for `repoll_wait`: on a handle without timers or signals, the
    /// milliseconds go to `epoll_wait` as they are, with no conversion on the
    /// way.
    #[inline(always)]
    pub(crate) fn wait_ms(&self, events: &mut [Event], ms: libc::c_int) -> io::Result<usize> {
        if self.internal.needs_loop.load(Ordering::SeqCst) {
            return self.wait_until_deadline(events, Timeout::from_millis(ms), None);
        }
        let n = self.epoll.wait_ms(events, ms)?;
        if event::widen(events, n, self.tokens()) {
            return self.deliver_or_wait(events, n, Timeout::from_millis(ms), None);
        }
        Ok(n)
    }

    /// The one-system-call path found a source of the library's among the
    /// `n` events: they become the events they stand for, or, when none is
    /// left (a kick for a handle's first timer, added during this wait, or a
    /// source that fired for nothing), the wait starts again: late rather
    /// than early.
    #[cold]
    #[inline(never)]
    fn deliver_or_wait(
        &self,
        events: &mut [Event],
        n: usize,
        timeout: Timeout,
        sigmask: Option<&libc::sigset_t>,
    ) -> io::Result<usize> {
        match self.deliver(events, n)? {
            0 => self.wait_until_deadline(events, timeout, sigmask),
            kept => Ok(kept),
        }
    }

    /// The wait for handles that retry EINTR, use timers or signals, or were
    /// given a timeout longer than one `epoll_wait` takes: system calls in a
    /// loop until an event, a timer or the deadline. Each sleeps at most until
    /// the earliest timer. Between two calls the thread has its own mask,
    /// never `sigmask`: a signal that only `sigmask` lets in stays pending
    /// until the next call, which ends with it (EINTR).
    #[inline(never)]
    fn wait_until_deadline(
        &self,
        events: &mut [Event],
        timeout: Timeout,
        sigmask: Option<&libc::sigset_t>,
    ) -> io::Result<usize> {
        let retry_eintr = self.retry_eintr && sigmask.is_none();
        let timers = &self.internal.timers;
        let mut now = monotonic_ns();
        let deadline = Deadline::after(now, timeout);
        loop {
            let left = deadline.remaining(now);
            // Timers already due are reported by this call whatever else is
            // ready, so a busy fd cannot starve them; one that comes due
            // during a wait that returns other events is left to the next
            // call (due at once then), which spares a clock read per wait.
            let due_before = timers.due(now);
            let res = {
                let (_blocking, earliest) = timers.blocking();
                let slice = match (earliest, left) {
                    (None, _) => left,
                    (Some(due), Timeout::Nanos(ns)) => {
                        Timeout::Nanos(ns.min(due.saturating_sub(now)))
                    }
                    (Some(due), _) => Timeout::Nanos(due.saturating_sub(now)),
                };
                self.epoll.wait_kernel(events, slice, sigmask)
            };
            // Every slot taken, so more may be ready than this call saw: if
            // the library's own sources in those slots come to nothing, poll
            // again before calling the wait timed out.
            let saturated = matches!(res, Ok(n) if n == events.len());
            let mut kept = match res {
                Ok(n) if n > 0 && event::widen(events, n, self.tokens()) => {
                    self.deliver(events, n)?
                }
                Ok(n) => n,
                Err(e) if retry_eintr && e.raw_os_error() == Some(libc::EINTR) => 0,
                Err(e) => return Err(e),
            };
            if kept > 0 && !due_before {
                return Ok(kept);
            }
            now = monotonic_ns();
            if kept < events.len() && timers.due(now) {
                let mut out = Filled { events, len: kept };
                timers.expire(now, out.room(), |t| out.push(t.data, interest::TIMER));
                kept = out.len;
            }
            if kept > 0 || (!saturated && deadline.remaining(now) == Timeout::Nanos(0)) {
                return Ok(kept);
            }
        }
    }

    /// Makes a blocked [`Poller::wait`] return (or the next one, if none is
    /// blocked) with one `WAKE` event. Wakes before that wait coalesce.
    /// Async-signal-safe: one `write(2)`.
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.internal.caller_woke.store(true, Ordering::Release);
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
        let own = &self.internal;
        // A wait that started before the handle's first timer (or signal)
        // is not counted as blocked: kick it, so it takes the timers path.
        // Only if some call is in flight besides this one: an idle handle
        // (a nested one, say) gets no spurious readiness. The store and the
        // count are sequentially consistent, as are a wait's count and load
        // of the flag: one side sees the other.
        let first_source = !own.needs_loop.load(Ordering::SeqCst);
        let mut kick_waits = false;
        if first_source {
            own.needs_loop.store(true, Ordering::SeqCst);
            kick_waits = self.calls.others_in_flight();
        }
        let token = token(&own.timers);
        let (id, earliest) = own.timers.add(first, interval, data, |fd| {
            self.epoll.ctl(Op::Add, fd, interest::IN, token)
        })?;
        if kick_waits || earliest {
            // A kick cannot fail in a way that matters: EAGAIN means the
            // waker is readable already.
            let _ = own.waker.wake();
        }
        Ok(id)
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
    /// order, at the front; the library's become the events they stand for
    /// (a kick of the waker becomes none). Each source that fired freed its
    /// own slot, so each has room for at least one event.
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
            if own.caller_woke.swap(false, Ordering::AcqRel) {
                out.push(0, interest::WAKE);
            }
        }
        if timed {
            // The nest timerfd: the wait reports what is due after this.
            own.timers.rearm();
        }
        if signalled {
            let room = out.room();
            own.signals
                .deliver(room, |s| out.push(s.data, interest::SIGNAL));
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

impl Poller {
    /// The epoll fd, handed out to be nested in another loop: from now on a
    /// due timer makes it readable too (a timerfd, armed at the earliest
    /// deadline), as a ready fd does.
    pub(crate) fn nest_fd(&self) -> io::Result<RawFd> {
        let token = token(&self.internal.timers);
        self.internal
            .timers
            .nest(|fd| self.epoll.ctl(Op::Add, fd, interest::IN, token))?;
        Ok(self.epoll.as_raw_fd())
    }
}
