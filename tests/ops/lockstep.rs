//! Execution: both sides' state, and one operation applied to both.

use std::os::raw::c_int;
use std::ptr;

use ::repoll::ffi::*;

use super::generate::{View, POLL_BITS};
use super::op::*;
use super::report::Stats;
use super::signals;
use super::sources::Sources;
use super::sys::*;
use super::waits::WaitApi;
use super::{A_BASE, B_BASE, INSTANCES, SLOTS, V_MAX};

/// The set of rules `repoll_ctl` checks up front, written from the contract
/// (include/repoll.h), independently of the library's own checks.
fn events_valid(events: u32, modify: bool) -> bool {
    let registrable = POLL_BITS.iter().fold(0, |a, b| a | b)
        | REPOLL_EXCLUSIVE
        | REPOLL_WAKEUP
        | REPOLL_ONESHOT
        | REPOLL_ET;
    if events & !registrable != 0 {
        return false;
    }
    if events & REPOLL_EXCLUSIVE != 0 {
        let ok = REPOLL_IN
            | REPOLL_OUT
            | REPOLL_ERR
            | REPOLL_HUP
            | REPOLL_WAKEUP
            | REPOLL_ET
            | REPOLL_EXCLUSIVE;
        return !modify && events & !ok == 0;
    }
    true
}

fn has_unknown_bits(events: u32) -> bool {
    !events_valid(events & !REPOLL_EXCLUSIVE, false)
}

/// Prefix of a "mismatch" that is the environment's doing, not repoll's: the
/// per-user epoll watch limit (fs.epoll.max_user_watches, shared by every
/// process of the user) ran out, e.g. while a test that lowers it runs in
/// another process. Each repoll handle holds one watch more than a raw epoll
/// instance (its waker), so near the limit repoll gets `-ENOSPC` first
/// (repoll_create, or an add). The sequence stops there and counts as
/// inconclusive, not failed.
pub const INCONCLUSIVE: &str = "INCONCLUSIVE (epoll watch limit reached)";

/// Result of applying one op: a description for the trace, or a mismatch.
pub(super) type Step = Result<String, String>;

macro_rules! expect_eq {
    ($what:expr, $a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        if a != b {
            return Err(format!("{}: A (repoll) {:?} != B (raw) {:?}", $what, a, b));
        }
    }};
}

/// An open slot: what it holds and its virtual fd number `v`; side A's fd
/// is `A_BASE + v`, side B's `B_BASE + v`.
#[derive(Clone, Copy, Debug)]
struct OpenFd {
    kind: Kind,
    v: c_int,
}

impl OpenFd {
    /// (side A's fd, side B's fd).
    fn fds(&self) -> (c_int, c_int) {
        (A_BASE + self.v, B_BASE + self.v)
    }
}

/// One fd slot, the same on both sides.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    open: Option<OpenFd>,
    /// The virtual number it had last (open or not): what a stale target
    /// names once it is closed.
    v_last: Option<c_int>,
}

/// One epoll instance on both sides: a repoll handle (side A) and a raw
/// epoll fd (side B), and the fd numbers each had last, which a closed
/// instance as a ctl target names.
#[derive(Debug)]
pub(super) struct Instance {
    pub(super) ep: *mut repoll_t,
    pub(super) epfd: Option<c_int>,
    ep_last: Option<c_int>,
    epfd_last: Option<c_int>,
    /// The model of its timers, wake and signals (side A only).
    pub(super) src: Sources,
    /// Added to another instance at some point: its sources stay unused, as
    /// the raw twin has none to make its fd readable.
    pub(super) nested: bool,
}

impl Default for Instance {
    fn default() -> Self {
        Instance {
            ep: ptr::null_mut(),
            epfd: None,
            ep_last: None,
            epfd_last: None,
            src: Sources::default(),
            nested: false,
        }
    }
}

/// The [`SOLO`](super::op::SOLO) handle: no fds, no raw twin.
#[derive(Debug)]
pub(super) struct Solo {
    pub(super) ep: *mut repoll_t,
    pub(super) src: Sources,
}

/// Both sides' state. Dropping it closes every fd and instance it opened.
pub struct Lockstep {
    slots: [Slot; SLOTS],
    pub(super) instances: [Instance; INSTANCES],
    pub(super) solo: Solo,
    /// Instances of each harness signal pending for this thread.
    pub(super) pending: [u32; 65],
    /// Handler runs so far (process-wide count at the start, plus those a
    /// pwait mask let in); any other run is a signal that leaked.
    pub(super) handled: u32,
    /// Waits that may still sleep (a sequence's time stays bounded).
    pub(super) sleeps_left: u32,
    /// What this run covered.
    pub stats: Stats,
}

impl Default for Lockstep {
    fn default() -> Self {
        Self::new()
    }
}

impl Lockstep {
    /// No fds, no instances.
    pub fn new() -> Self {
        init();
        signals::block_here();
        signals::drain();
        Lockstep {
            slots: [Slot::default(); SLOTS],
            instances: std::array::from_fn(|_| Instance::default()),
            solo: Solo {
                ep: ptr::null_mut(),
                src: Sources::default(),
            },
            pending: [0; 65],
            handled: signals::handled_total(),
            sleeps_left: 2,
            stats: Stats::default(),
        }
    }

    /// What the generator may look at.
    pub fn view(&self) -> View {
        View {
            open: self.slots.map(|s| s.open.map(|o| o.kind)),
            stale: self.slots.map(|s| s.v_last.is_some()),
            inst_open: std::array::from_fn(|i| !self.instances[i].ep.is_null()),
            solo_open: !self.solo.ep.is_null(),
        }
    }

    fn free_slots(&self, n: usize) -> Option<Vec<usize>> {
        let free: Vec<usize> = (0..SLOTS)
            .filter(|&s| self.slots[s].open.is_none())
            .take(n)
            .collect();
        (free.len() == n).then_some(free)
    }

    /// The lowest virtual fd number no open slot uses.
    fn lowest_free_v(&self) -> c_int {
        (0..V_MAX)
            .find(|&n| !self.v_in_use(n))
            .expect("fewer than V_MAX slots")
    }

    /// Whether an open slot has virtual number `v`.
    fn v_in_use(&self, v: c_int) -> bool {
        self.slots.iter().any(|s| s.open.is_some_and(|o| o.v == v))
    }

    /// Puts new fds `a` and `b` (anywhere) into `slot`, moving them to the
    /// slot's numbers `A_BASE + v` and `B_BASE + v` (v lowest free).
    fn put(&mut self, slot: usize, kind: Kind, a: c_int, b: c_int) -> (c_int, c_int) {
        let open = OpenFd {
            kind,
            v: self.lowest_free_v(),
        };
        let (na, nb) = open.fds();
        for (from, to) in [(a, na), (b, nb)] {
            assert!(is_closed(to), "fd {to} is in the harness's range but open");
            // SAFETY: fds we own; `to` is free (checked), so dup3 closes nothing.
            unsafe {
                assert_eq!(
                    libc::dup3(from, to, libc::O_CLOEXEC),
                    to,
                    "dup3: {}",
                    std::io::Error::last_os_error()
                );
                libc::close(from);
            }
        }
        self.slots[slot] = Slot {
            open: Some(open),
            v_last: Some(open.v),
        };
        (na, nb)
    }

    fn slot(&self, slot: u8) -> Option<(Kind, c_int, c_int)> {
        let open = self.slots.get(slot as usize)?.open?;
        let (a, b) = open.fds();
        Some((open.kind, a, b))
    }

    /// Applies one operation to both sides.
    pub fn apply(&mut self, op: &Op) -> Step {
        self.stats.ops += 1;
        let mut res = self.apply_inner(op);
        if res.is_ok() && signals::handled_total() != self.handled {
            res =
                Err("a harness signal ran its handler outside a pwait mask that lets it in".into());
        }
        if let Ok(s) = &res {
            if s.starts_with("skip") {
                self.stats.skipped += 1;
            }
        }
        res
    }

    fn apply_inner(&mut self, op: &Op) -> Step {
        match *op {
            Op::Create { inst: SOLO, flags } => self.create_solo(flags),
            Op::Close { inst: SOLO } => self.close_solo(),
            Op::Create { inst, flags } => self.create(inst as usize % INSTANCES, flags),
            Op::Close { inst } => self.close_inst(inst as usize % INSTANCES),
            Op::Ctl {
                inst,
                api,
                op,
                target,
                events,
                data,
            } => self.ctl(inst as usize % INSTANCES, api, op, target, events, data),
            Op::Wait {
                inst,
                maxevents,
                ns,
            } => self.wait_any(
                inst,
                if ns { WaitApi::Ns } else { WaitApi::Ms },
                maxevents,
                0,
            ),
            Op::PWait {
                inst,
                maxevents,
                timeout_ns,
                mask,
            } => self.wait_any(inst, WaitApi::PWait(mask), maxevents, timeout_ns),
            Op::TimerAdd {
                inst,
                first,
                interval,
                null_out,
            } => self.timer_add(inst, first, interval, null_out),
            Op::TimerCancel { inst, id } => self.timer_cancel(inst, id),
            Op::Wake { inst, times } => self.wake(inst, times),
            Op::SignalAdd { inst, signo } => self.signal_add(inst, signo),
            Op::SignalDelete { inst, signo } => self.signal_delete(inst, signo),
            Op::Raise { sig, times } => Ok(self.raise(sig, times)),
            Op::Misc { code } => super::source_ops::misc(code),
            Op::ForkClose { inst } => self.fork_close(inst),
            Op::FdPoll { inst } => self.fd_poll(inst),
            Op::CtlBatch {
                inst,
                shape,
                ref ops,
            } => self.ctl_batch(inst as usize % INSTANCES, shape, ops),
            Op::NullHandle => null_handle(),
            Op::NullEvents { inst } => {
                let ep = self.instances[inst as usize % INSTANCES].ep;
                if ep.is_null() {
                    return Ok("skip: instance closed".into());
                }
                // SAFETY: a live handle; NULL array is what is tested.
                let r = unsafe { repoll_wait(ep, ptr::null_mut(), 1, 0) };
                // SAFETY: as above.
                let r2 = unsafe { repoll_wait_ns(ep, ptr::null_mut(), 4, 0) };
                if r != -libc::EINVAL || r2 != -libc::EINVAL {
                    return Err(format!("wait with NULL array: {r}, {r2} (want -EINVAL)"));
                }
                Ok("A: -EINVAL (repoll only)".into())
            }
            Op::NewPipe => self.new_pair(Kind::PipeR, Kind::PipeW, |fds| {
                // SAFETY: `fds` has room for two fds.
                unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) }
            }),
            Op::NewSocketpair { kind } => {
                let ty = match kind {
                    Kind::Dgram => libc::SOCK_DGRAM,
                    Kind::Seqpacket => libc::SOCK_SEQPACKET,
                    _ => libc::SOCK_STREAM,
                };
                let kind = match kind {
                    Kind::Dgram | Kind::Seqpacket => kind,
                    _ => Kind::Stream,
                };
                self.new_pair(kind, kind, |fds| {
                    // SAFETY: `fds` has room for two fds.
                    unsafe {
                        libc::socketpair(
                            libc::AF_UNIX,
                            ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                            0,
                            fds.as_mut_ptr(),
                        )
                    }
                })
            }
            Op::NewEventfd { init, semaphore } => {
                let mut flags = libc::EFD_NONBLOCK | libc::EFD_CLOEXEC;
                if semaphore {
                    flags |= libc::EFD_SEMAPHORE;
                }
                let kind = if semaphore {
                    Kind::EventfdSem
                } else {
                    Kind::Eventfd
                };
                // SAFETY: no pointers.
                self.new_one(kind, || unsafe { libc::eventfd(init, flags) })
            }
            Op::OpenDevNull => self.new_one(Kind::DevNull, || {
                // SAFETY: a NUL-terminated path.
                unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) }
            }),
            Op::Dup { slot } => {
                let Some((kind, a, b)) = self.slot(slot) else {
                    return Ok("skip: slot closed".into());
                };
                let Some(free) = self.free_slots(1) else {
                    return Ok("skip: no free slot".into());
                };
                // SAFETY: fcntl on fds we own.
                let (da, db) = unsafe {
                    (
                        libc::fcntl(a, libc::F_DUPFD_CLOEXEC, 0),
                        libc::fcntl(b, libc::F_DUPFD_CLOEXEC, 0),
                    )
                };
                assert!(
                    da >= 0 && db >= 0,
                    "dup failed: {}",
                    std::io::Error::last_os_error()
                );
                let (na, nb) = self.put(free[0], kind, da, db);
                Ok(format!("slot {} <- dup (A fd {na}, B fd {nb})", free[0]))
            }
            Op::CloseFd { slot } => {
                let Some((_, a, b)) = self.slot(slot) else {
                    return Ok("skip: slot closed".into());
                };
                self.slots[slot as usize].open = None;
                // SAFETY: fds we own, closed once.
                let (ra, rb) = unsafe { (raw(libc::close(a).into()), raw(libc::close(b).into())) };
                expect_eq!("close", ra, rb);
                Ok(errname(ra))
            }
            Op::Write { slot, size } => {
                let Some((kind, a, b)) = self.slot(slot) else {
                    return Ok("skip: slot closed".into());
                };
                let (ra, rb) = (do_write(kind, a, size), do_write(kind, b, size));
                expect_eq!("write", ra, rb);
                Ok(format!("{} (last {})", errname(ra.0), errname(ra.1)))
            }
            Op::Read { slot, size } => {
                let Some((kind, a, b)) = self.slot(slot) else {
                    return Ok("skip: slot closed".into());
                };
                let (ra, rb) = (do_read(kind, a, size), do_read(kind, b, size));
                expect_eq!("read", ra, rb);
                Ok(format!("{} (last {})", errname(ra.0), errname(ra.1)))
            }
            Op::Shutdown { slot, how } => {
                let Some((_, a, b)) = self.slot(slot) else {
                    return Ok("skip: slot closed".into());
                };
                // SAFETY: no pointers.
                let (ra, rb) = unsafe {
                    (
                        raw(libc::shutdown(a, how).into()),
                        raw(libc::shutdown(b, how).into()),
                    )
                };
                expect_eq!("shutdown", ra, rb);
                Ok(errname(ra))
            }
        }
    }

    fn new_pair(&mut self, ka: Kind, kb: Kind, make: impl Fn(&mut [c_int; 2]) -> c_int) -> Step {
        let Some(free) = self.free_slots(2) else {
            return Ok("skip: no free slots".into());
        };
        let (mut fa, mut fb) = ([-1; 2], [-1; 2]);
        let (ra, rb) = (make(&mut fa), make(&mut fb));
        assert!(
            ra == 0 && rb == 0,
            "creating a pair failed: {}",
            std::io::Error::last_os_error()
        );
        let (a0, b0) = self.put(free[0], ka, fa[0], fb[0]);
        let (a1, b1) = self.put(free[1], kb, fa[1], fb[1]);
        Ok(format!(
            "slots {},{} (A fds {a0},{a1}; B fds {b0},{b1})",
            free[0], free[1]
        ))
    }

    fn new_one(&mut self, kind: Kind, make: impl Fn() -> c_int) -> Step {
        let Some(free) = self.free_slots(1) else {
            return Ok("skip: no free slot".into());
        };
        let (a, b) = (make(), make());
        assert!(
            a >= 0 && b >= 0,
            "creating an fd failed: {}",
            std::io::Error::last_os_error()
        );
        let (na, nb) = self.put(free[0], kind, a, b);
        Ok(format!("slot {} (A fd {na}, B fd {nb})", free[0]))
    }

    fn create(&mut self, i: usize, flags: i32) -> Step {
        let inst = &mut self.instances[i];
        if !inst.ep.is_null() {
            return Ok("skip: instance open".into());
        }
        let mut ep = ptr::null_mut();
        // SAFETY: a valid out pointer.
        let ra = i64::from(unsafe { repoll_create(&mut ep, flags) });
        // Model: REPOLL_RETRY_EINTR is repoll's own flag; the kernel never sees it.
        let kflags = flags & !REPOLL_RETRY_EINTR;
        // SAFETY: no pointers.
        let rb = raw(unsafe { libc::epoll_create1(kflags) }.into());
        if ra == 0 {
            inst.ep = ep;
            // SAFETY: a live handle.
            inst.ep_last = Some(unsafe { repoll_fd(ep) });
            inst.src = Sources {
                retry_eintr: flags & REPOLL_RETRY_EINTR != 0,
                ..Sources::default()
            };
            inst.nested = false;
        }
        if rb >= 0 {
            inst.epfd = Some(rb as c_int);
            inst.epfd_last = Some(rb as c_int);
        }
        let ep_last = inst.ep_last;
        if ra == -i64::from(libc::ENOSPC) && rb >= 0 {
            return Err(format!(
                "{INCONCLUSIVE}: repoll_create -ENOSPC, epoll_create1 ok"
            ));
        }
        expect_eq!("create", ra, rb.min(0));
        if ra == 0 {
            // Close-on-exec as asked, the same as the kernel's.
            let fa = ep_last.unwrap();
            // SAFETY: F_GETFD on open fds.
            let (ca, cb) = unsafe {
                (
                    libc::fcntl(fa, libc::F_GETFD),
                    libc::fcntl(rb as c_int, libc::F_GETFD),
                )
            };
            expect_eq!("FD_CLOEXEC of the epoll fd", ca, cb);
        }
        Ok(format!(
            "{} (A epfd {:?}, B epfd {})",
            errname(ra),
            ep_last,
            errname(rb)
        ))
    }

    fn close_inst(&mut self, i: usize) -> Step {
        let inst = &mut self.instances[i];
        if inst.ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        let ep = std::mem::replace(&mut inst.ep, ptr::null_mut());
        let fd = inst.epfd.take().expect("both sides open together");
        // SAFETY: a live handle, closed once; an fd we own.
        let (ra, rb) = unsafe { (i64::from(repoll_close(ep)), raw(libc::close(fd).into())) };
        expect_eq!("close instance", ra, rb);
        Ok(errname(ra))
    }

    /// The fd numbers `target` stands for on side A and side B.
    pub(super) fn resolve(&self, target: Target) -> (c_int, c_int) {
        match target {
            Target::Slot(s) if self.slot(s).is_some() => {
                let (_, a, b) = self.slot(s).unwrap();
                (a, b)
            }
            Target::Slot(s) | Target::Stale(s) => {
                // The slot's last number if no open slot took it since,
                // else the lowest free one: closed on both sides alike.
                let s = s as usize % SLOTS;
                let v = match self.slots[s].v_last {
                    Some(v) if !self.v_in_use(v) => v,
                    _ => self.lowest_free_v(),
                };
                let (a, b) = (A_BASE + v, B_BASE + v);
                assert!(is_closed(a) && is_closed(b), "fds {a}/{b} should be closed");
                (a, b)
            }
            Target::Negative(n) => (n.min(-1), n.min(-1)),
            Target::Huge => (i32::MAX, i32::MAX),
            Target::Instance(j) => {
                let inst = &self.instances[j as usize % INSTANCES];
                if inst.ep.is_null() {
                    (closed_number(inst.ep_last), closed_number(inst.epfd_last))
                } else {
                    // SAFETY: a live handle.
                    (unsafe { repoll_fd(inst.ep) }, inst.epfd.unwrap())
                }
            }
        }
    }

    /// Why a ctl naming `target` is skipped: an instance whose sources are
    /// in use cannot nest (its raw twin has no sources to make it readable).
    pub(super) fn nest_guard(&self, target: Target) -> Option<String> {
        match target {
            Target::Instance(j) if self.instances[j as usize % INSTANCES].src.used => {
                Some("skip: that instance has sources, it does not nest".into())
            }
            _ => None,
        }
    }

    /// Marks an instance a successful add nested.
    pub(super) fn note_nested(&mut self, op: i32, target: Target, result: i64) {
        if let (REPOLL_CTL_ADD, Target::Instance(j), 0) = (op, target, result) {
            self.instances[j as usize % INSTANCES].nested = true;
        }
    }

    fn ctl(&mut self, i: usize, api: Api, op: i32, target: Target, events: u32, data: u64) -> Step {
        let Instance { ep, epfd, .. } = self.instances[i];
        if ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        if let Some(skip) = self.nest_guard(target) {
            return Ok(skip);
        }
        let epfd = epfd.expect("both sides open together");
        let (fa, fb) = self.resolve(target);

        // Side A.
        // SAFETY: a live handle; the fd is any number.
        let ra = i64::from(unsafe {
            match (api, op) {
                (Api::Wrapper, REPOLL_CTL_ADD) => repoll_add(ep, fa, events, data),
                (Api::Wrapper, REPOLL_CTL_MOD) => repoll_modify(ep, fa, events, data),
                (Api::Wrapper, REPOLL_CTL_DEL) => repoll_delete(ep, fa),
                _ => repoll_ctl(ep, op, fa, events, data),
            }
        });
        let res = self.judge_ctl(epfd, op, (fa, fb), events, data, ra);
        self.note_nested(op, target, ra);
        res
    }

    /// Makes the raw side's epoll_ctl matching a repoll ctl whose result was
    /// `ra`, and judges the two by the model.
    pub(super) fn judge_ctl(
        &mut self,
        epfd: c_int,
        op: i32,
        (fa, fb): (c_int, c_int),
        events: u32,
        data: u64,
        ra: i64,
    ) -> Step {
        let known_op = matches!(op, REPOLL_CTL_ADD | REPOLL_CTL_MOD | REPOLL_CTL_DEL);
        let upfront =
            !known_op || (op != REPOLL_CTL_DEL && !events_valid(events, op == REPOLL_CTL_MOD));
        // Model: unknown interest bits may be accepted by the kernel (and
        // change its state), so the raw side does not make that call at all.
        let skip_raw = known_op && op != REPOLL_CTL_DEL && has_unknown_bits(events);

        // Side B. For DEL the kernel ignores the event; it gets the same garbage.
        let rb = if skip_raw {
            None
        } else {
            let mut ev = libc::epoll_event { events, u64: data };
            // SAFETY: `ev` is a valid epoll_event for the call.
            Some(raw(unsafe { libc::epoll_ctl(epfd, op, fb, &mut ev) }.into()))
        };
        let shown = format!(
            "A fd {fa} -> {}, B fd {fb} -> {}",
            errname(ra),
            rb.map_or("(not called: unknown bits)".into(), errname)
        );

        if upfront {
            // repoll rejects up front; the kernel rejects too (possibly with
            // the target fd's EBADF/EPERM first, as it checks the fd before
            // the flags), and must never accept.
            self.stats.ctl_upfront += 1;
            if ra != -i64::from(libc::EINVAL) {
                return Err(format!(
                    "ctl rejected up front: A (repoll) {} (want -EINVAL); {shown}",
                    errname(ra)
                ));
            }
            if let Some(rb) = rb {
                if rb >= 0 {
                    return Err(format!(
                        "kernel accepted what repoll rejects up front; {shown}"
                    ));
                }
                *self.stats.ctl_upfront_raw.entry(rb).or_default() += 1;
            }
            return Ok(format!("{shown} [up-front EINVAL]"));
        }
        let rb = rb.expect("raw call made for valid input");
        if ra != rb {
            if ra == -i64::from(libc::ENOSPC) || rb == -i64::from(libc::ENOSPC) {
                return Err(format!("{INCONCLUSIVE}: {shown}"));
            }
            return Err(format!("ctl: {shown}"));
        }
        if ra == 0 {
            self.stats.ctl_ok += 1;
        } else {
            self.stats.ctl_err += 1;
            *self.stats.errnos.entry(-ra as i32).or_default() += 1;
        }
        Ok(shown)
    }

    /// Closes everything (also done on drop).
    pub fn close_all(&mut self) {
        if !self.solo.ep.is_null() {
            // SAFETY: a live handle, closed once.
            unsafe { repoll_close(std::mem::replace(&mut self.solo.ep, ptr::null_mut())) };
        }
        signals::drain();
        self.pending = [0; 65];
        for inst in &mut self.instances {
            if !inst.ep.is_null() {
                // SAFETY: a live handle, closed once.
                unsafe { repoll_close(std::mem::replace(&mut inst.ep, ptr::null_mut())) };
            }
            if let Some(fd) = inst.epfd.take() {
                // SAFETY: an fd we own.
                unsafe { libc::close(fd) };
            }
        }
        for slot in &mut self.slots {
            if let Some(open) = slot.open.take() {
                let (a, b) = open.fds();
                // SAFETY: fds we own, closed once.
                unsafe {
                    libc::close(a);
                    libc::close(b);
                }
            }
        }
    }
}

impl Drop for Lockstep {
    fn drop(&mut self) {
        self.close_all();
    }
}

fn null_handle() -> Step {
    let e = -libc::EINVAL;
    let mut ev = [repoll_event_t::default(); 1];
    let mask = signals::mask(false, None);
    let mut op = repoll_ctl_op_t {
        op: REPOLL_CTL_ADD,
        fd: 0,
        events: REPOLL_IN,
        result: 0x5EED,
        data: 0,
    };
    let mut id = 0x1D_u64;
    // SAFETY: NULL handles are what is tested; other pointers are valid.
    let got = unsafe {
        [
            (
                "repoll_ctl",
                repoll_ctl(ptr::null_mut(), REPOLL_CTL_ADD, 0, REPOLL_IN, 0),
            ),
            ("repoll_add", repoll_add(ptr::null_mut(), 0, REPOLL_IN, 0)),
            (
                "repoll_modify",
                repoll_modify(ptr::null_mut(), 0, REPOLL_IN, 0),
            ),
            ("repoll_delete", repoll_delete(ptr::null_mut(), 0)),
            (
                "repoll_wait",
                repoll_wait(ptr::null_mut(), ev.as_mut_ptr(), 1, 0),
            ),
            (
                "repoll_wait_ns",
                repoll_wait_ns(ptr::null_mut(), ev.as_mut_ptr(), 1, 0),
            ),
            ("repoll_fd", repoll_fd(ptr::null())),
            ("repoll_close", repoll_close(ptr::null_mut())),
            ("repoll_create", repoll_create(ptr::null_mut(), 0)),
            (
                "repoll_pwait",
                repoll_pwait(ptr::null_mut(), ev.as_mut_ptr(), 1, 0, &mask),
            ),
            (
                "repoll_ctl_batch",
                repoll_ctl_batch(ptr::null_mut(), &mut op, 1),
            ),
            (
                "repoll_ctl_batch n=0",
                repoll_ctl_batch(ptr::null_mut(), &mut op, 0),
            ),
            ("repoll_wake", repoll_wake(ptr::null_mut())),
            (
                "repoll_timer_add",
                repoll_timer_add(ptr::null_mut(), 0, 0, 0, &mut id),
            ),
            (
                "repoll_timer_cancel",
                repoll_timer_cancel(ptr::null_mut(), 1),
            ),
            (
                "repoll_signal_add",
                repoll_signal_add(ptr::null_mut(), libc::SIGURG, 0),
            ),
            (
                "repoll_signal_delete",
                repoll_signal_delete(ptr::null_mut(), libc::SIGURG),
            ),
        ]
    };
    if op.result != 0x5EED || id != 0x1D {
        return Err("a call with a NULL handle wrote through a pointer".into());
    }
    for (name, r) in got {
        if r != e {
            return Err(format!("{name}(NULL) = {r}, want -EINVAL"));
        }
    }
    Ok("A: all -EINVAL (repoll only)".into())
}
