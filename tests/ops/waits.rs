//! Every wait: repoll's (`repoll_wait`, `_wait_ns`, `_pwait` with or without
//! a mask) against the raw twin's `epoll_wait` for the fds, and against the
//! sources' model for its own events.

use std::ptr;

use ::repoll::ffi::*;

use super::lockstep::{Lockstep, Step};
use super::op::{Mask, SOLO};
use super::signals::{self, SIGNALS};
use super::sources::Seen;
use super::sys::{errname, raw};
use super::INSTANCES;

/// Which C entry point a wait goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitApi {
    Ms,
    Ns,
    PWait(Mask),
}

const SOURCE_BITS: u32 = REPOLL_WAKE | REPOLL_TIMER | REPOLL_SIGNAL;
/// Room enough for every fd and source a sequence can have ready at once.
const ROOMY: i32 = 64;

impl Lockstep {
    /// One wait on instance `inst` (0, 1 or [`SOLO`]). A wait on a twin
    /// instance polls (timeout 0); one on an instance with sources gets a
    /// roomy array, so that source events never crowd out fd events that
    /// the raw twin reports.
    pub(super) fn wait_any(
        &mut self,
        inst: u8,
        api: WaitApi,
        maxevents: i32,
        timeout_ns: i64,
    ) -> Step {
        let solo = inst == SOLO;
        let (ep, epfd, used, retry_eintr) = if solo {
            (self.solo.ep, None, true, self.solo.src.retry_eintr)
        } else {
            let i = &self.instances[inst as usize % INSTANCES];
            (i.ep, i.epfd, i.src.used, i.src.retry_eintr)
        };
        if ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        let mut timeout_ns = if solo { timeout_ns.max(0) } else { 0 };
        if timeout_ns > 0 {
            if self.sleeps_left == 0 {
                timeout_ns = 0;
            } else {
                self.sleeps_left -= 1;
            }
        }
        let maxevents = if used && !solo && maxevents > 0 {
            ROOMY
        } else {
            maxevents
        };
        let len = maxevents.clamp(1, ROOMY) as usize;
        let mut ea = vec![
            repoll_event_t {
                data: 0xDEAD,
                events: 0xDEAD,
                reserved: 0xDEAD
            };
            len
        ];
        let (mask, unblocked) = match api {
            WaitApi::PWait(Mask::Current) => (Some(signals::mask(false, None)), None),
            WaitApi::PWait(Mask::All) => (Some(signals::mask(true, None)), None),
            WaitApi::PWait(Mask::Unblock(k)) => {
                let sig = SIGNALS[k as usize % SIGNALS.len()];
                (Some(signals::mask(false, Some(sig))), Some(sig))
            }
            _ => (None, None),
        };
        let handled_before = unblocked.map(signals::handled);
        let before = signals::now_ns();
        // SAFETY: `ea` holds `len` events and `maxevents <= len` when
        // positive; the mask, when given, lives across the call.
        let ra = unsafe {
            match api {
                WaitApi::Ms => repoll_wait(
                    ep,
                    ea.as_mut_ptr(),
                    maxevents,
                    (timeout_ns / 1_000_000) as i32,
                ),
                WaitApi::Ns => repoll_wait_ns(ep, ea.as_mut_ptr(), maxevents, timeout_ns),
                WaitApi::PWait(_) => repoll_pwait(
                    ep,
                    ea.as_mut_ptr(),
                    maxevents,
                    timeout_ns,
                    mask.as_ref().map_or(ptr::null(), |m| m as *const _),
                ),
            }
        };
        let after = signals::now_ns();
        let ra = i64::from(ra);

        let harness_ran = match (unblocked, handled_before) {
            (Some(sig), Some(h0)) => signals::handled(sig) != h0,
            _ => false,
        };
        if ra == -i64::from(libc::EINTR) && !harness_ran {
            // Another signal's handler ran (libFuzzer's SIGALRM timer, say):
            // -EINTR is right, unless the handle retries and no mask was
            // given. Nothing may be lost; the next waits check that.
            if retry_eintr && mask.is_none() {
                return Err(format!(
                    "wait: -EINTR from {api:?} on a REPOLL_RETRY_EINTR handle"
                ));
            }
            self.stats.foreign_eintr += 1;
            return Ok("-EINTR (a signal not the harness's)".into());
        }
        if ra == -i64::from(libc::EINTR) {
            // A pending signal the mask let in ran its handler exactly once.
            let (Some(sig), Some(h0)) = (unblocked, handled_before) else {
                unreachable!("harness_ran needs both");
            };
            if signals::handled(sig) != h0 + 1 || self.pending[sig as usize] == 0 {
                return Err(format!(
                    "wait: -EINTR, signal {sig}: handler ran {} times, {} pending before",
                    signals::handled(sig) - h0,
                    self.pending[sig as usize]
                ));
            }
            self.handled += 1;
            self.stats.eintr += 1;
            let p = &mut self.pending[sig as usize];
            *p = if signals::queues(sig) { *p - 1 } else { 0 };
            return Ok("-EINTR (handler ran once)".into());
        }
        if let (Some(sig), Some(h0)) = (unblocked, handled_before) {
            if signals::handled(sig) != h0 {
                return Err(format!("wait returned {ra} but the handler of {sig} ran"));
            }
        }

        let n = ra.max(0) as usize;
        let mut fds: Vec<(u64, u32)> = Vec::with_capacity(n);
        let mut own: Vec<(u64, u32)> = Vec::new();
        for e in &ea[..n] {
            if e.reserved != 0 {
                return Err(format!("wait: reserved field {:#x} != 0", e.reserved));
            }
            if e.events & SOURCE_BITS != 0 {
                own.push((e.data, e.events));
            } else {
                fds.push((e.data, e.events));
            }
        }
        if ra > 0 && n > len {
            return Err(format!("wait: {n} events for an array of {len}"));
        }
        if solo && !fds.is_empty() {
            return Err(format!("wait: fd events {fds:x?} on a handle with no fds"));
        }
        if ra == 0 && timeout_ns > 0 && after - before < timeout_ns as u64 {
            return Err(format!(
                "wait returned 0 after {} ns, before its timeout of {timeout_ns} ns",
                after - before
            ));
        }
        let seen = Seen {
            before,
            after,
            timeout_ns: timeout_ns as u64,
            n,
            maxevents: maxevents.max(0) as usize,
        };
        let src = if solo {
            &mut self.solo.src
        } else {
            &mut self.instances[inst as usize % INSTANCES].src
        };
        if ra >= 0 {
            src.check_wait(&mut self.pending, &own, &seen)?;
        }
        for &(_, bits) in &own {
            match bits {
                REPOLL_WAKE => self.stats.wakes += 1,
                REPOLL_SIGNAL => self.stats.signals += 1,
                _ => self.stats.timers += 1,
            }
        }
        let shown_own: Vec<String> = own
            .iter()
            .map(|(d, e)| format!("({d:#x},{e:#x})"))
            .collect();
        let Some(epfd) = epfd else {
            return Ok(format!("{}: {}", errname(ra), shown_own.join(" ")));
        };

        // The raw twin: the fd events only, compared as multisets.
        let mut eb = vec![libc::epoll_event { events: 0, u64: 0 }; len];
        // SAFETY: `eb` holds `len` records and `maxevents <= len` when positive.
        let rb = raw(unsafe { libc::epoll_wait(epfd, eb.as_mut_ptr(), maxevents, 0) }.into());
        let ra_fds = if ra < 0 { ra } else { fds.len() as i64 };
        if ra_fds != rb {
            return Err(format!(
                "wait count: A (repoll) {} fd events (of {}) != B (raw) {}",
                ra_fds,
                errname(ra),
                errname(rb)
            ));
        }
        if rb <= 0 {
            return Ok(format!("{} + sources {}", errname(ra), shown_own.join(" ")));
        }
        let mut got_b: Vec<(u64, u32)> = eb[..rb as usize]
            .iter()
            .map(|e| ({ e.u64 }, { e.events }))
            .collect();
        fds.sort_unstable();
        got_b.sort_unstable();
        self.stats.waits += 1;
        self.stats.events += fds.len() as u64;
        if fds != got_b {
            return Err(format!(
                "wait events: A (repoll) {fds:x?} != B (raw) {got_b:x?}"
            ));
        }
        let shown: Vec<String> = fds
            .iter()
            .map(|(d, e)| format!("({d:#x},{e:#x})"))
            .collect();
        Ok(format!(
            "{n}: {} + sources {}",
            shown.join(" "),
            shown_own.join(" ")
        ))
    }
}
