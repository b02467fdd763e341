//! Two threads on one handle: thread A waits in a loop, thread B runs a
//! script decoded from the choices (ctl, fd writes, timer add / cancel,
//! wake, close), with "until A is blocked in the kernel" steps that force
//! the interleavings worth testing. Checks: no crash, a waiter blocked when
//! the handle is closed returns -EBADF (or events that were ready), a timer
//! added while A is blocked wakes it (never early), wakes never multiply.
//! The caller checks that no fd leaked.
//!
//! A call must never *start* after `repoll_close` returned (a use after free
//! by contract): B closes only once A is seen inside a wait's system call
//! (/proc/self/task/<tid>/syscall), or after A has left for good.

use std::os::raw::c_int;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::repoll::ffi::*;

use super::choices::Choices;
use super::signals::now_ns;

/// Longest script one input describes.
pub const MAX_STEPS: usize = 24;
/// How long B waits for something that must happen promptly before calling
/// it a hang (a guard, not a performance bound).
const HANG: Duration = Duration::from_secs(10);

/// One step of thread B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// ctl of the pipe's read end (`fd` 0) or the eventfd (1), always
    /// ONESHOT or ET, so that A never spins on a level.
    Ctl {
        op: i32,
        fd: u8,
        et: bool,
    },
    /// One byte into the pipe / one count into the eventfd.
    Write {
        fd: u8,
    },
    /// Drain the fd.
    Read {
        fd: u8,
    },
    /// A timer (first delay, interval >= 1 ms or 0).
    TimerAdd {
        first: i64,
        interval: i64,
    },
    /// Cancel a timer B added (index modulo their number), or a forged id.
    TimerCancel {
        which: u8,
    },
    Wake,
    /// Until A is blocked in the kernel (or gone).
    UntilBlocked,
    /// Until A blocks, then a one-shot timer due soon, which A must report.
    TimerWhileBlocked {
        first: i64,
    },
    /// Until A blocks, then `repoll_close`: A's wait must say -EBADF.
    Close,
}

/// The whole input: A's waits and B's script.
#[derive(Clone, Debug)]
pub struct Script {
    pub retry_eintr: bool,
    /// A's wait timeouts in ns (cycled; -1 blocks).
    pub timeouts: Vec<i64>,
    pub maxevents: i32,
    /// A's wait function: 0 ms, 1 ns, 2 pwait(NULL), 3 pwait(own mask).
    pub api: u8,
    pub steps: Vec<Step>,
}

/// A script from the choices.
pub fn gen_script(c: &mut impl Choices) -> Script {
    let n_to = 1 + c.below(3) as usize;
    let mut timeouts: Vec<i64> = (0..n_to)
        .map(|_| c.pick(&[-1, -1, 0, 1_000_000, 5_000_000]))
        .collect();
    if timeouts.iter().all(|&t| t == 0) {
        timeouts.push(-1); // A must block now and then, for B to see it blocked
    }
    let mut steps = Vec::new();
    while steps.len() < MAX_STEPS && !c.exhausted() {
        let fd = c.below(2) as u8;
        steps.push(match c.below(20) {
            0..=3 => Step::Ctl {
                op: c.pick(&[
                    REPOLL_CTL_ADD,
                    REPOLL_CTL_ADD,
                    REPOLL_CTL_MOD,
                    REPOLL_CTL_DEL,
                ]),
                fd,
                et: c.chance(50),
            },
            4..=5 => Step::Write { fd },
            6 => Step::Read { fd },
            7..=9 => Step::TimerAdd {
                first: c.pick(&[0, 1_000, 500_000, 2_000_000, i64::MAX, -1]),
                interval: c.pick(&[0, 0, 0, 1_000_000, 3_000_000]),
            },
            10 => Step::TimerCancel {
                which: c.below(256) as u8,
            },
            11..=12 => Step::Wake,
            13..=14 => Step::UntilBlocked,
            15..=17 => Step::TimerWhileBlocked {
                first: c.pick(&[0, 1_000, 100_000, 1_000_000]),
            },
            _ => Step::Close,
        });
    }
    Script {
        retry_eintr: c.chance(30),
        timeouts,
        maxevents: c.pick(&[1, 2, 4, 64]),
        api: c.below(4) as u8,
        steps,
    }
}

/// A raw handle that crosses threads (the library allows it).
#[derive(Clone, Copy)]
struct Handle(*mut repoll_t);
// SAFETY: repoll handles may be used from any thread, concurrently.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    gone: AtomicBool,
    tid: AtomicI32,
    /// (data, events, clock when the wait returned).
    log: Mutex<Vec<(u64, u32, u64)>>,
    /// A's last wait result and timeout.
    last: Mutex<(c_int, i64)>,
    waits: AtomicU32,
}

fn waiter(ep: Handle, sh: &Shared, sc: &Script) {
    // SAFETY: gettid has no arguments.
    sh.tid.store(unsafe { libc::gettid() }, Ordering::SeqCst);
    let mut ev = vec![repoll_event_t::default(); sc.maxevents as usize];
    // SAFETY: plain-data set filled by the call.
    let mask = unsafe {
        let mut m: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, ptr::null(), &mut m);
        m
    };
    let mut k = 0;
    while !sh.stop.load(Ordering::SeqCst) {
        let to = sc.timeouts[k % sc.timeouts.len()];
        k += 1;
        let (e, m) = (ev.as_mut_ptr(), sc.maxevents);
        // SAFETY: the handle is live (B closes it only while this thread is
        // inside this call, or after it left); `ev` holds `m` events.
        let r = unsafe {
            match sc.api {
                0 => repoll_wait(
                    ep.0,
                    e,
                    m,
                    if to < 0 { -1 } else { (to / 1_000_000) as i32 },
                ),
                1 => repoll_wait_ns(ep.0, e, m, to),
                2 => repoll_pwait(ep.0, e, m, to, ptr::null()),
                _ => repoll_pwait(ep.0, e, m, to, &mask),
            }
        };
        let t = now_ns();
        sh.waits.fetch_add(1, Ordering::SeqCst);
        *sh.last.lock().unwrap() = (r, to);
        // Another signal's handler (libFuzzer's SIGALRM timer) may end a
        // wait with -EINTR, except on a handle that retries with no mask.
        if r == -libc::EINTR && !(sc.retry_eintr && sc.api != 3) {
            continue;
        }
        if r < 0 {
            break;
        }
        let mut log = sh.log.lock().unwrap();
        for x in &ev[..r as usize] {
            log.push((x.data, x.events, t));
        }
    }
    sh.gone.store(true, Ordering::SeqCst);
}

/// Whether thread `tid` is inside an epoll wait system call.
fn in_epoll_wait(tid: c_int) -> bool {
    let Ok(s) = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")) else {
        return false;
    };
    // epoll_wait, epoll_pwait, epoll_pwait2 on x86-64; aarch64 has only
    // epoll_pwait (22) and epoll_pwait2 (441).
    let nr = s.split(' ').next().unwrap_or("");
    let wait_nrs: &[&str] = if cfg!(target_arch = "x86_64") {
        &["232", "281", "441"]
    } else {
        &["22", "441"]
    };
    wait_nrs.contains(&nr)
}

/// Until A is blocked in a wait (true) or has left (false).
fn until_blocked(sh: &Shared) -> Result<bool, String> {
    let start = Instant::now();
    loop {
        if sh.gone.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let tid = sh.tid.load(Ordering::SeqCst);
        if tid != 0 && in_epoll_wait(tid) {
            return Ok(true);
        }
        if start.elapsed() > HANG {
            return Err("thread A never blocked in a wait".into());
        }
        std::thread::yield_now();
    }
}

struct Timer {
    id: u64,
    data: u64,
    first: u64,
    interval: u64,
    before: u64,
}

/// Runs one script; Err describes a finding.
pub fn run_script(sc: &Script) -> Result<(), String> {
    let mut raw_ep = ptr::null_mut();
    let flags = if sc.retry_eintr {
        REPOLL_RETRY_EINTR
    } else {
        0
    };
    // SAFETY: a valid out pointer.
    let r = unsafe { repoll_create(&mut raw_ep, REPOLL_CLOEXEC | flags) };
    if r == -libc::ENOSPC || r == -libc::EMFILE {
        return Ok(()); // the environment's limit, not a finding
    }
    if r != 0 {
        return Err(format!("repoll_create: {r}"));
    }
    let ep = Handle(raw_ep);
    let mut pipe = [-1; 2];
    // SAFETY: room for two fds; no pointers for eventfd.
    let efd = unsafe {
        assert_eq!(
            libc::pipe2(pipe.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC),
            0
        );
        libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)
    };
    assert!(efd >= 0);
    let fds = [pipe[0], efd];
    let sh = Arc::new(Shared::default());
    let a = {
        let (sh, sc) = (Arc::clone(&sh), sc.clone());
        std::thread::spawn(move || waiter(ep, &sh, &sc))
    };
    let outcome = drive(ep, &sh, sc, fds, pipe[1]);
    let joined = a.join();
    // SAFETY: fds we own, closed once.
    unsafe {
        libc::close(pipe[0]);
        libc::close(pipe[1]);
        libc::close(efd);
    }
    if joined.is_err() {
        return Err("thread A panicked".into());
    }
    outcome
}

/// Thread B: the script, then the checks. Closes the handle on every path.
fn drive(
    ep: Handle,
    sh: &Shared,
    sc: &Script,
    fds: [c_int; 2],
    wpipe: c_int,
) -> Result<(), String> {
    let mut timers: Vec<Timer> = Vec::new();
    let mut wakes = 0u32;
    let mut serial = 0u64;
    let mut closed = false;
    let mut res = Ok(());
    for step in &sc.steps {
        let r = match *step {
            Step::Ctl { op, fd, et } => {
                let ev = REPOLL_IN | if et { REPOLL_ET } else { REPOLL_ONESHOT };
                // SAFETY: live: B closes the handle once, at the end of the script.
                let r = unsafe { repoll_ctl(ep.0, op, fds[fd as usize], ev, 0xF0 + u64::from(fd)) };
                // Any ctl result is the kernel's; it only must not be odd.
                if ![0, -libc::EEXIST, -libc::ENOENT].contains(&r) {
                    Err(format!("ctl {op} -> {r}"))
                } else {
                    Ok(())
                }
            }
            Step::Write { fd } => {
                let one = 1u64;
                let target = if fd == 0 { wpipe } else { fds[1] };
                let n = if fd == 0 { 1 } else { 8 };
                // SAFETY: 8 readable bytes.
                unsafe { libc::write(target, (&one as *const u64).cast(), n) };
                Ok(())
            }
            Step::Read { fd } => {
                let mut buf = [0u8; 512];
                // SAFETY: a writable buffer of its size.
                unsafe { libc::read(fds[fd as usize], buf.as_mut_ptr().cast(), buf.len()) };
                Ok(())
            }
            Step::TimerAdd { first, interval } => {
                add_timer(ep, &mut timers, &mut serial, first, interval).map(drop)
            }
            Step::TimerCancel { which } => {
                let id = timers
                    .get(which as usize % timers.len().max(1))
                    .map_or(1 << 52, |t| t.id);
                // SAFETY: live: B closes the handle once, at the end of the script.
                let r = unsafe { repoll_timer_cancel(ep.0, id) };
                if r == 0 || r == -libc::ENOENT {
                    Ok(())
                } else {
                    Err(format!("timer_cancel -> {r}"))
                }
            }
            Step::Wake => {
                wakes += 1;
                // SAFETY: live: B closes the handle once, at the end of the script.
                match unsafe { repoll_wake(ep.0) } {
                    0 => Ok(()),
                    r => Err(format!("wake -> {r}")),
                }
            }
            Step::UntilBlocked => until_blocked(sh).map(drop),
            Step::TimerWhileBlocked { first } => {
                timer_while_blocked(ep, sh, &mut timers, &mut serial, first)
            }
            Step::Close => {
                sh.stop.store(true, Ordering::SeqCst);
                match until_blocked(sh) {
                    Ok(blocked) => {
                        // SAFETY: live: B closes the handle once, at the end of the script.
                        let r = unsafe { repoll_close(ep.0) };
                        closed = true;
                        if r != 0 {
                            Err(format!("close -> {r}"))
                        } else if blocked {
                            closed_while_blocked(sh)
                        } else {
                            Ok(())
                        }
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = r {
            res = Err(format!("step {step:?}: {e}"));
            break;
        }
        if closed || sh.gone.load(Ordering::SeqCst) {
            break;
        }
    }
    if !closed {
        sh.stop.store(true, Ordering::SeqCst);
        // SAFETY: live handle.
        unsafe { repoll_wake(ep.0) };
        wakes += 1;
        let start = Instant::now();
        while !sh.gone.load(Ordering::SeqCst) {
            if start.elapsed() > HANG {
                // A never returned: leak the handle rather than free it
                // under a thread that may still use it.
                return Err("thread A did not return after a wake".into());
            }
            std::thread::yield_now();
        }
        // SAFETY: nobody else uses the handle any more.
        let r = unsafe { repoll_close(ep.0) };
        if r != 0 && res.is_ok() {
            res = Err(format!("close -> {r}"));
        }
    } else {
        while !sh.gone.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }
    res?;
    let last = *sh.last.lock().unwrap();
    if !closed && last.0 < 0 {
        return Err(format!("thread A's wait failed: {}", last.0));
    }
    check_log(sh, &timers, wakes)
}

fn add_timer(
    ep: Handle,
    timers: &mut Vec<Timer>,
    serial: &mut u64,
    first: i64,
    interval: i64,
) -> Result<u64, String> {
    *serial += 1;
    let data = 0x7100_0000_0000_0000 | *serial;
    let mut id = 0;
    let before = now_ns();
    // SAFETY: a live handle and a writable id.
    let r = unsafe { repoll_timer_add(ep.0, first, interval, data, &mut id) };
    if first < 0 || interval < 0 {
        return if r == -libc::EINVAL {
            Ok(0)
        } else {
            Err(format!("timer_add({first}) -> {r}"))
        };
    }
    if r != 0 {
        return Err(format!("timer_add -> {r}"));
    }
    timers.push(Timer {
        id,
        data,
        first: first as u64,
        interval: interval as u64,
        before,
    });
    Ok(data)
}

/// A one-shot timer added while A is blocked must wake A.
fn timer_while_blocked(
    ep: Handle,
    sh: &Shared,
    timers: &mut Vec<Timer>,
    serial: &mut u64,
    first: i64,
) -> Result<(), String> {
    if !until_blocked(sh)? {
        return Ok(());
    }
    let data = add_timer(ep, timers, serial, first, 0)?;
    let start = Instant::now();
    loop {
        if sh.log.lock().unwrap().iter().any(|e| e.0 == data) {
            return Ok(());
        }
        if sh.gone.load(Ordering::SeqCst) {
            return Ok(()); // A stopped on an error: reported by the caller
        }
        if start.elapsed() > HANG {
            return Err(format!(
                "a timer due in {first} ns, added while thread A waited, never woke it"
            ));
        }
        std::thread::yield_now();
    }
}

/// After a close while A was blocked: A's wait returns -EBADF, or events
/// that were ready at that moment, or 0 if its own timeout ran out.
fn closed_while_blocked(sh: &Shared) -> Result<(), String> {
    let start = Instant::now();
    while !sh.gone.load(Ordering::SeqCst) {
        if start.elapsed() > HANG {
            return Err("the waiter blocked at close never returned".into());
        }
        std::thread::yield_now();
    }
    let (r, to) = *sh.last.lock().unwrap();
    if r == -libc::EBADF || r > 0 || (r == 0 && to >= 0) {
        Ok(())
    } else {
        Err(format!(
            "the waiter blocked at close returned {r} (timeout {to})"
        ))
    }
}

/// Never early, one-shots once, wakes never multiplied.
fn check_log(sh: &Shared, timers: &[Timer], wakes: u32) -> Result<(), String> {
    let log = sh.log.lock().unwrap();
    let woke = log.iter().filter(|e| e.1 == REPOLL_WAKE).count() as u32;
    if woke > wakes {
        return Err(format!("{woke} WAKE events for {wakes} wakes"));
    }
    for t in timers {
        let reports: Vec<u64> = log.iter().filter(|e| e.0 == t.data).map(|e| e.2).collect();
        if t.interval == 0 && reports.len() > 1 {
            return Err(format!(
                "one-shot timer {} reported {} times",
                t.id,
                reports.len()
            ));
        }
        for (n, &at) in reports.iter().enumerate() {
            let due = t
                .before
                .saturating_add(t.first)
                .saturating_add((n as u64).saturating_mul(t.interval));
            if at < due {
                return Err(format!(
                    "timer {} report #{n} early: due >= {due}, reported at {at}",
                    t.id
                ));
            }
        }
    }
    for e in log.iter() {
        if e.1 & (REPOLL_TIMER | REPOLL_WAKE) != 0 && e.1.count_ones() != 1 {
            return Err(format!("event bits {:#x}", e.1));
        }
        if e.1 == REPOLL_TIMER && !timers.iter().any(|t| t.data == e.0) {
            return Err(format!("TIMER event with unknown data {:#x}", e.0));
        }
    }
    Ok(())
}
