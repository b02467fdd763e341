//! The operations with no raw twin, applied to repoll and to the sources'
//! model (timers, wake, signals, the [`SOLO`] handle), and `repoll_ctl_batch`,
//! whose ops are compared one by one with raw `epoll_ctl` calls.

use std::os::raw::c_int;
use std::ptr;

use ::repoll::ffi::*;

use super::lockstep::{Lockstep, Step, INCONCLUSIVE};
use super::op::{Batch, BatchOp, TimerRef, SOLO};
use super::signals::{self, BAD_SIGNALS, SIGNALS};
use super::sources::{after_raise, Sources, Timer};
use super::sys::errname;
use super::INSTANCES;

/// Live timers per handle, at most (the model's lists stay short).
const MAX_TIMERS: usize = 16;
/// Pending instances of one real-time signal, at most.
const MAX_QUEUED: u32 = 4;

fn want(what: &str, got: c_int, expected: c_int) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else if got == -libc::ENOSPC || got == -libc::EMFILE {
        Err(format!("{INCONCLUSIVE}: {what} {}", errname(got.into())))
    } else {
        Err(format!(
            "{what}: {} (want {})",
            errname(got.into()),
            errname(expected.into())
        ))
    }
}

/// The string functions answer any code with a static C string; the
/// version is the header's; the features never change.
pub(super) fn misc(code: c_int) -> Step {
    // SAFETY: any code; the library returns a static NUL-terminated string.
    let msg = unsafe { std::ffi::CStr::from_ptr(repoll_strerror(code)) };
    if msg.to_bytes().is_empty() || (code >= 0 && msg.to_bytes() != b"Success") {
        return Err(format!("repoll_strerror({code}) = {msg:?}"));
    }
    // SAFETY: as above.
    let version = unsafe { std::ffi::CStr::from_ptr(repoll_version()) };
    let parts: Vec<&str> = version.to_str().unwrap_or("").split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
        return Err(format!("repoll_version() = {version:?}"));
    }
    if repoll_features() != repoll_features() {
        return Err("repoll_features() changed".into());
    }
    Ok(format!("{msg:?}"))
}

impl Lockstep {
    /// A forked child closes its inherited copy of handle `inst` (the
    /// library forgets the parent's calls in flight there); the parent's
    /// handle, its registrations and its sources are untouched: its next
    /// waits still match the model (a spurious WAKE would not).
    pub(super) fn fork_close(&mut self, inst: u8) -> Step {
        let ep = match self.handle(inst) {
            Ok((ep, _)) => ep,
            Err(skip) => return Ok(skip),
        };
        // SAFETY: the child only closes the handle and exits; malloc and
        // the library's calls work after fork (glibc's and the sanitizers'
        // allocators lock around it).
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: the child's own copy of a live handle.
            let r = unsafe { repoll_close(ep) };
            // SAFETY: ends the child without running the parent's atexit
            // handlers or libFuzzer's.
            unsafe { libc::_exit(if r == 0 { 0 } else { 1 }) };
        }
        if pid < 0 {
            return Ok("skip: fork failed".into());
        }
        let mut status = 0;
        // SAFETY: our child; a valid status pointer.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            return Err(format!(
                "forked child closing its handle: status {status:#x}"
            ));
        }
        Ok("child closed its copy".into())
    }

    /// `repoll_fd` hands the epoll fd out to be nested: from then on a due
    /// timer makes it readable, as a pending wake or signal does. Checked:
    /// the same fd every time, and readable when the model says a wait with
    /// room must report something (a spurious readiness is allowed: a
    /// cancelled timer may leave its expiry armed).
    pub(super) fn fd_poll(&mut self, inst: u8) -> Step {
        let pending = self.pending;
        let (ep, src) = match self.handle(inst) {
            Ok(h) => h,
            Err(skip) => return Ok(skip),
        };
        let before = signals::now_ns();
        // SAFETY: a live handle.
        let fd = unsafe { repoll_fd(ep) };
        if fd < 0 {
            return want("repoll_fd", fd, 0).map(|()| String::new());
        }
        if src.fd.is_some_and(|f| f != fd) {
            return Err(format!("repoll_fd changed from {:?} to {fd}", src.fd));
        }
        // The first handout arms a timerfd for the timers already there:
        // an overdue one fires from a timer interrupt a moment later, so
        // only a handle handed out before is held to its timers.
        let timers_count = src.fd.replace(fd).is_some();
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, 0) };
        if let (0, Some(due)) = (r, src.must_report(&pending, before, timers_count)) {
            return Err(format!(
                "repoll_fd {fd} not readable, but a wait must report {due}"
            ));
        }
        Ok(format!("fd {fd}, poll {r}"))
    }

    /// The handle and model of instance `inst`, or why the op is skipped.
    fn handle(&mut self, inst: u8) -> Result<(*mut repoll_t, &mut Sources), String> {
        if inst == SOLO {
            if self.solo.ep.is_null() {
                return Err("skip: instance closed".into());
            }
            return Ok((self.solo.ep, &mut self.solo.src));
        }
        let i = &mut self.instances[inst as usize % INSTANCES];
        if i.ep.is_null() {
            return Err("skip: instance closed".into());
        }
        if i.nested {
            return Err("skip: a nested instance keeps its sources unused".into());
        }
        Ok((i.ep, &mut i.src))
    }

    pub(super) fn create_solo(&mut self, flags: i32) -> Step {
        if !self.solo.ep.is_null() {
            return Ok("skip: instance open".into());
        }
        let mut ep = ptr::null_mut();
        // SAFETY: a valid out pointer.
        let r = unsafe { repoll_create(&mut ep, flags) };
        let valid = flags & !(REPOLL_CLOEXEC | REPOLL_RETRY_EINTR) == 0;
        want("create", r, if valid { 0 } else { -libc::EINVAL })?;
        if r == 0 {
            self.solo.ep = ep;
            self.solo.src = Sources {
                retry_eintr: flags & REPOLL_RETRY_EINTR != 0,
                ..Sources::default()
            };
        }
        Ok(errname(r.into()))
    }

    pub(super) fn close_solo(&mut self) -> Step {
        if self.solo.ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        let ep = std::mem::replace(&mut self.solo.ep, ptr::null_mut());
        // SAFETY: a live handle, closed once.
        want("close", unsafe { repoll_close(ep) }, 0)?;
        Ok("0".into())
    }

    pub(super) fn timer_add(
        &mut self,
        inst: u8,
        first: i64,
        interval: i64,
        null_out: bool,
    ) -> Step {
        let (ep, src) = match self.handle(inst) {
            Ok(h) => h,
            Err(skip) => return Ok(skip),
        };
        if src.timers.len() >= MAX_TIMERS {
            return Ok("skip: enough live timers".into());
        }
        let data = src.fresh_data(0x71);
        const UNTOUCHED: u64 = 0xAAAA_5555;
        let mut id = UNTOUCHED;
        let out: *mut u64 = if null_out { ptr::null_mut() } else { &mut id };
        let before = signals::now_ns();
        // SAFETY: a live handle; `out` is NULL or a writable u64.
        let r = unsafe { repoll_timer_add(ep, first, interval, data, out) };
        let after = signals::now_ns();
        if null_out || first < 0 || interval < 0 {
            want("timer_add with bad arguments", r, -libc::EINVAL)?;
            if id != UNTOUCHED {
                return Err(format!("timer_add failed but wrote id {id}"));
            }
            return Ok("-EINVAL".into());
        }
        want("timer_add", r, 0)?;
        src.check_new_id(id)?;
        src.used = true;
        src.timers.push(Timer {
            id,
            data,
            first: first as u64,
            interval: interval as u64,
            added_before: before,
            added_after: after,
            reports: 0,
            last_report: 0,
        });
        Ok(format!("id {id}, data {data:#x}"))
    }

    pub(super) fn timer_cancel(&mut self, inst: u8, which: TimerRef) -> Step {
        let (ep, src) = match self.handle(inst) {
            Ok(h) => h,
            Err(skip) => return Ok(skip),
        };
        let pick = |ids: Vec<u64>, k: u8| ids.get(k as usize % ids.len().max(1)).copied();
        let id = match which {
            TimerRef::Live(k) => pick(src.timers.iter().map(|t| t.id).collect(), k),
            TimerRef::Gone(k) => pick(src.gone.clone(), k),
            TimerRef::Forged(v) => Some(v),
        }
        .unwrap_or(u64::MAX);
        let live = src.timers.iter().position(|t| t.id == id);
        // SAFETY: a live handle; any id.
        let r = unsafe { repoll_timer_cancel(ep, id) };
        want(
            &format!("timer_cancel({id})"),
            r,
            if live.is_some() { 0 } else { -libc::ENOENT },
        )?;
        if let Some(k) = live {
            let t = src.timers.remove(k);
            src.gone.push(t.id);
        }
        Ok(format!("id {id}: {}", errname(r.into())))
    }

    pub(super) fn wake(&mut self, inst: u8, times: u8) -> Step {
        let (ep, src) = match self.handle(inst) {
            Ok(h) => h,
            Err(skip) => return Ok(skip),
        };
        for _ in 0..times.max(1) {
            // SAFETY: a live handle.
            want("wake", unsafe { repoll_wake(ep) }, 0)?;
        }
        src.wake = true;
        src.used = true;
        Ok("0".into())
    }

    pub(super) fn signal_add(&mut self, inst: u8, signo: c_int) -> Step {
        let (ep, src) = match self.handle(inst) {
            Ok(h) => h,
            Err(skip) => return Ok(skip),
        };
        let data = src.fresh_data(0x51);
        // SAFETY: a live handle; the harness signals are blocked here.
        let r = unsafe { repoll_signal_add(ep, signo, data) };
        let expected = if BAD_SIGNALS.contains(&signo) {
            -libc::EINVAL
        } else if src.signals.iter().any(|s| s.0 == signo) {
            -libc::EEXIST
        } else {
            0
        };
        want(&format!("signal_add({signo})"), r, expected)?;
        if r == 0 {
            src.signals.push((signo, data));
            src.used = true;
        }
        Ok(errname(r.into()))
    }

    pub(super) fn signal_delete(&mut self, inst: u8, signo: c_int) -> Step {
        let (ep, src) = match self.handle(inst) {
            Ok(h) => h,
            Err(skip) => return Ok(skip),
        };
        // SAFETY: a live handle.
        let r = unsafe { repoll_signal_delete(ep, signo) };
        let at = src.signals.iter().position(|s| s.0 == signo);
        let expected = match at {
            _ if BAD_SIGNALS.contains(&signo) => -libc::EINVAL,
            None => -libc::ENOENT,
            Some(_) => 0,
        };
        want(&format!("signal_delete({signo})"), r, expected)?;
        if let (0, Some(k)) = (r, at) {
            src.signals.remove(k);
        }
        Ok(errname(r.into()))
    }

    pub(super) fn raise(&mut self, sig: u8, times: u8) -> String {
        let signo = SIGNALS[sig as usize % SIGNALS.len()];
        let mut raised = 0;
        for _ in 0..times.max(1) {
            let p = &mut self.pending[signo as usize];
            if *p >= MAX_QUEUED {
                break;
            }
            signals::raise(signo);
            *p = after_raise(signo, *p);
            raised += 1;
        }
        format!(
            "signal {signo} x{raised}, {} pending",
            self.pending[signo as usize]
        )
    }

    /// `repoll_ctl_batch` on twin `i`; each op's result is judged against its
    /// own raw `epoll_ctl`, made in the same order after the batch.
    pub(super) fn ctl_batch(&mut self, i: usize, shape: Batch, ops: &[BatchOp]) -> Step {
        let (ep, epfd) = (self.instances[i].ep, self.instances[i].epfd);
        if ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        if let Some(skip) = ops.iter().find_map(|o| self.nest_guard(o.target)) {
            return Ok(skip);
        }
        let epfd = epfd.expect("both sides open together");
        let fds: Vec<(c_int, c_int)> = ops.iter().map(|o| self.resolve(o.target)).collect();
        const UNWRITTEN: i32 = 0x5EED;
        let mut arr: Vec<repoll_ctl_op_t> = ops
            .iter()
            .zip(&fds)
            .map(|(o, &(fa, _))| repoll_ctl_op_t {
                op: o.op,
                fd: fa,
                events: o.events,
                result: UNWRITTEN,
                data: o.data,
            })
            .collect();
        let before = arr.clone();
        let (ptr_, n) = match shape {
            Batch::Ops => (arr.as_mut_ptr(), arr.len() as c_int),
            Batch::NullOps(n) => (ptr::null_mut(), n),
            Batch::Negative(n) => (arr.as_mut_ptr(), n.min(-1)),
        };
        // SAFETY: a live handle; `ptr_` holds `n` ops when `n` > 0 and is
        // not NULL (the NULL and negative shapes are what is tested).
        let r = unsafe { repoll_ctl_batch(ep, ptr_, n) };
        for (a, b) in arr.iter().zip(&before) {
            let same = a.op == b.op && a.fd == b.fd && a.events == b.events && a.data == b.data;
            if !same {
                return Err(format!("ctl_batch wrote more than result: {a:?} was {b:?}"));
            }
        }
        if shape != Batch::Ops {
            let expected = if n == 0 { 0 } else { -libc::EINVAL };
            want("ctl_batch (NULL ops or negative n)", r, expected)?;
            if arr.iter().any(|o| o.result != UNWRITTEN) {
                return Err("ctl_batch failed but wrote a result".into());
            }
            return Ok(errname(r.into()));
        }
        let mut shown = Vec::with_capacity(ops.len());
        let mut ok = 0;
        for (k, (o, &(fa, fb))) in ops.iter().zip(&fds).enumerate() {
            let ra = i64::from(arr[k].result);
            if ra == i64::from(UNWRITTEN) {
                return Err(format!("ctl_batch left op {k}'s result unwritten"));
            }
            let s = self
                .judge_ctl(epfd, o.op, (fa, fb), o.events, o.data, ra)
                .map_err(|e| {
                    if e.starts_with(INCONCLUSIVE) {
                        e
                    } else {
                        format!("ctl_batch op {k}: {e}")
                    }
                })?;
            self.note_nested(o.op, o.target, ra);
            ok += i64::from(ra == 0);
            shown.push(s);
        }
        self.stats.batches += 1;
        if i64::from(r) != ok {
            return Err(format!("ctl_batch returned {r}, but {ok} ops succeeded"));
        }
        Ok(format!("{r} ok: [{}]", shown.join("; ")))
    }
}
