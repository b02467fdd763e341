//! Signals for a poller: one signalfd (created on first use) whose mask is
//! the set of added signals, and the data to report for each.
//!
//! The mask changes under a mutex; the wait path reads the data table
//! without a lock.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::sys::{cvt, einval, owned};

/// Signal numbers on Linux are 1..=64.
const MAX_SIGNAL: usize = 64;

#[derive(Debug)]
pub(crate) struct Signals {
    state: Mutex<State>,
    fd_number: AtomicI32,
    /// The data reported for each signal number (index 0 unused).
    data: [AtomicU64; MAX_SIGNAL + 1],
}

#[derive(Debug)]
struct State {
    fd: Option<OwnedFd>,
    mask: libc::sigset_t,
}

/// A delivered signal, as reported to the caller.
pub(crate) struct Delivered {
    pub(crate) data: u64,
}

impl Signals {
    pub(crate) fn new() -> Signals {
        // SAFETY: sigset_t is plain data; sigemptyset initializes it fully.
        let mut mask: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `mask` is a valid, writable sigset_t.
        unsafe { libc::sigemptyset(&mut mask) };
        Signals {
            state: Mutex::new(State { fd: None, mask }),
            fd_number: AtomicI32::new(-1),
            data: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd_number.load(Ordering::Relaxed)
    }

    /// Starts reporting `signo` with `data`: `EINVAL` for an invalid number,
    /// SIGKILL, SIGSTOP or a signal reserved by the C library; `EEXIST` if
    /// already added. `register` adds the signalfd to the epoll instance the
    /// first time.
    pub(crate) fn add(
        &self,
        signo: i32,
        data: u64,
        register: impl FnOnce(RawFd) -> io::Result<()>,
    ) -> io::Result<()> {
        check_signo(signo)?;
        let mut st = self.lock();
        let mut mask = st.mask;
        // SAFETY: `mask` is a valid sigset_t and `signo` a valid signal.
        if unsafe { libc::sigismember(&mask, signo) } == 1 {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        // SAFETY: as above.
        unsafe { libc::sigaddset(&mut mask, signo) };
        self.data[signo as usize].store(data, Ordering::Relaxed);
        let fresh = st.fd.is_none();
        st.set_mask(mask)?;
        if fresh {
            let fd = st.fd.as_ref().expect("set_mask created it").as_raw_fd();
            if let Err(e) = register(fd) {
                st.fd = None;
                // SAFETY: restores an empty, valid mask.
                unsafe { libc::sigemptyset(&mut st.mask) };
                return Err(e);
            }
            self.fd_number.store(fd, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Stops reporting `signo`: `ENOENT` if it was not added, `EINVAL` for a
    /// number `add` would refuse. The signal stays blocked (the caller blocked it); an
    /// instance already pending stays pending in the process.
    pub(crate) fn delete(&self, signo: i32) -> io::Result<()> {
        check_signo(signo)?;
        let mut st = self.lock();
        let mut mask = st.mask;
        // SAFETY: `mask` is a valid sigset_t.
        if unsafe { libc::sigismember(&mask, signo) } != 1 {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        // SAFETY: as above; `signo` is a member, so valid.
        unsafe { libc::sigdelset(&mut mask, signo) };
        st.set_mask(mask)
    }

    /// After the signalfd became readable: reads up to `room` pending signals
    /// and hands each added one to `emit`.
    pub(crate) fn deliver(&self, room: usize, mut emit: impl FnMut(Delivered)) {
        const BATCH: usize = 8;
        let fd = self.fd();
        // SAFETY: signalfd_siginfo is plain data; all zeroes is valid.
        let mut buf: [libc::signalfd_siginfo; BATCH] = unsafe { std::mem::zeroed() };
        let mut left = room;
        while left > 0 {
            let want = left.min(BATCH);
            let size = std::mem::size_of::<libc::signalfd_siginfo>();
            // SAFETY: `buf` has room for `want` records; the signalfd writes
            // whole records only. EAGAIN (another waiter took them) is -1.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), want * size) };
            if n <= 0 {
                return;
            }
            let got = n as usize / size;
            for info in &buf[..got] {
                let signo = info.ssi_signo as usize;
                if signo <= MAX_SIGNAL {
                    emit(Delivered {
                        data: self.data[signo].load(Ordering::Relaxed),
                    });
                }
            }
            left -= got;
            if got < want {
                return;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `EINVAL` unless `signo` is a signal a signalfd can take: a valid number,
/// not SIGKILL or SIGSTOP, and not one the C library reserves for itself
/// (glibc's sigaddset refuses 32 and 33, used by its threads).
fn check_signo(signo: i32) -> io::Result<()> {
    if signo == libc::SIGKILL || signo == libc::SIGSTOP || !(1..=MAX_SIGNAL as i32).contains(&signo)
    {
        return Err(einval());
    }
    // SAFETY: sigset_t is plain data and sigemptyset initializes it; a
    // scratch set only asks sigaddset whether it takes `signo`.
    let mut scratch: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::sigemptyset(&mut scratch) };
    // SAFETY: as above.
    cvt(unsafe { libc::sigaddset(&mut scratch, signo) }).map(drop)
}

impl State {
    /// Creates the signalfd or updates its mask.
    fn set_mask(&mut self, mask: libc::sigset_t) -> io::Result<()> {
        let current = self.fd.as_ref().map_or(-1, |fd| fd.as_raw_fd());
        // SAFETY: `mask` is a valid sigset_t; `current` is -1 or our signalfd.
        let fd =
            cvt(unsafe { libc::signalfd(current, &mask, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) })?;
        if current == -1 {
            self.fd = Some(owned(fd));
        }
        self.mask = mask;
        Ok(())
    }
}
