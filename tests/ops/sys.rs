//! The raw side's plumbing: errno codes, closed fd numbers, process setup,
//! and the fd actions (writes and reads) both sides perform alike.

use std::os::raw::c_int;
use std::ptr;

use ::repoll::ffi::*;

use super::op::{Kind, Size};
use super::{A_BASE, B_BASE, LOOP_CAP, V_MAX};

/// -errno of the last failed call.
pub(super) fn neg_errno() -> i64 {
    -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// A libc return value as a result: `-1` becomes `-errno`.
pub(super) fn raw(r: i64) -> i64 {
    if r == -1 {
        neg_errno()
    } else {
        r
    }
}

pub(super) fn errname(code: i64) -> String {
    if code >= 0 {
        return code.to_string();
    }
    let name = match -code as i32 {
        libc::EINVAL => "EINVAL",
        libc::EBADF => "EBADF",
        libc::EEXIST => "EEXIST",
        libc::ENOENT => "ENOENT",
        libc::EPERM => "EPERM",
        libc::ELOOP => "ELOOP",
        libc::EAGAIN => "EAGAIN",
        libc::EPIPE => "EPIPE",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::ENOTCONN => "ENOTCONN",
        libc::ENOMEM => "ENOMEM",
        libc::ENOSPC => "ENOSPC",
        libc::EFAULT => "EFAULT",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::ECONNRESET => "ECONNRESET",
        libc::EMFILE => "EMFILE",
        _ => return format!("-{}", -code),
    };
    format!("-{name}")
}

/// Whether `fd` is not open in this process.
pub(super) fn is_closed(fd: c_int) -> bool {
    // SAFETY: F_GETFD takes no pointer; a closed fd is EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) == -1 }
}

/// A number that is closed right now (the lowest free one).
/// A number that is closed right now (the lowest free one, below the slot
/// ranges): used for closed epoll instances, whose fds are never dup'ed.
pub(super) fn fresh_closed() -> c_int {
    // SAFETY: plain fd syscalls on an fd we create and close at once.
    unsafe {
        let fd = libc::eventfd(0, libc::EFD_CLOEXEC);
        assert!(fd >= 0, "eventfd: {}", std::io::Error::last_os_error());
        libc::close(fd);
        fd
    }
}

pub(super) fn closed_number(last: Option<c_int>) -> c_int {
    match last {
        Some(n) if is_closed(n) => n,
        _ => fresh_closed(),
    }
}

static INIT: std::sync::Once = std::sync::Once::new();

/// Process setup both callers need: SIGPIPE ignored (a write to a pipe with
/// no reader must be EPIPE, not death; the fuzzer's main is libFuzzer's, which
/// leaves SIGPIPE at its default), and repoll's one-time feature probe done,
/// so that fd counts taken afterwards stay put.
pub fn init() {
    INIT.call_once(|| {
        // SAFETY: setting a signal disposition to SIG_IGN.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        super::signals::install();
        // The slot ranges must be below the fd limit and unused.
        let top = (B_BASE + V_MAX) as libc::rlim_t;
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid rlimit to fill / read.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
            if lim.rlim_cur <= top {
                lim.rlim_cur = lim.rlim_max.min(4096);
                libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            }
        }
        assert!(
            lim.rlim_cur > top,
            "RLIMIT_NOFILE {} too low: need > {top}",
            lim.rlim_cur
        );
        for fd in (A_BASE..A_BASE + V_MAX).chain(B_BASE..B_BASE + V_MAX) {
            assert!(
                is_closed(fd),
                "fd {fd} is open: the harness needs {A_BASE}.. free"
            );
        }
        let _ = repoll_features();
        let mut ep = ptr::null_mut();
        // SAFETY: valid out pointer; the handle is closed right after.
        unsafe {
            assert_eq!(repoll_create(&mut ep, 0), 0);
            let mut ev = [repoll_event_t::default(); 1];
            assert_eq!(repoll_wait_ns(ep, ev.as_mut_ptr(), 1, 0), 0);
            assert_eq!(repoll_close(ep), 0);
        }
    });
}

/// Number of open fds of this process (entries of /proc/self/fd).
pub fn open_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

static ZEROS: [u8; 65536] = [0; 65536];

/// One write action: (result of the first call or total bytes, last result).
pub(super) fn do_write(kind: Kind, fd: c_int, size: Size) -> (i64, i64) {
    if kind.is_eventfd() {
        let v: u64 = match size {
            Size::One => 1,
            Size::Small => 7,
            Size::Page => 1 << 32,
            Size::Big => u64::MAX - 1,
            Size::Loop => u64::MAX,
        };
        // SAFETY: 8 readable bytes.
        let r = raw(unsafe { libc::write(fd, (&v as *const u64).cast(), 8) } as i64);
        return (r, 0);
    }
    let once = |n: usize| -> i64 {
        // SAFETY: `n` <= ZEROS.len() readable bytes.
        raw(unsafe {
            if kind.is_socket() {
                libc::send(
                    fd,
                    ZEROS.as_ptr().cast(),
                    n,
                    libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
                )
            } else {
                libc::write(fd, ZEROS.as_ptr().cast(), n)
            }
        } as i64)
    };
    match size {
        Size::One => (once(1), 0),
        Size::Small => (once(8), 0),
        Size::Page => (once(4096), 0),
        Size::Big => (once(65536), 0),
        Size::Loop => {
            let mut total = 0;
            for _ in 0..LOOP_CAP {
                let r = once(65536);
                if r <= 0 {
                    return (total, r);
                }
                total += r;
            }
            (total, 0)
        }
    }
}

/// One read action: (result or total bytes; eventfd: the value read, last result).
pub(super) fn do_read(kind: Kind, fd: c_int, size: Size) -> (i64, i64) {
    let mut buf = vec![0u8; 65536];
    let once = |buf: &mut [u8], n: usize| -> i64 {
        // SAFETY: `n` <= buf.len() writable bytes.
        raw(unsafe {
            if kind.is_socket() {
                libc::recv(fd, buf.as_mut_ptr().cast(), n, libc::MSG_DONTWAIT)
            } else {
                libc::read(fd, buf.as_mut_ptr().cast(), n)
            }
        } as i64)
    };
    let n = match size {
        Size::One => 1,
        Size::Small => 8,
        Size::Page => 4096,
        Size::Big | Size::Loop => 65536,
    };
    if size != Size::Loop {
        let r = once(&mut buf, n);
        if kind.is_eventfd() && r == 8 {
            let v = u64::from_ne_bytes(buf[..8].try_into().unwrap());
            return (r, v as i64);
        }
        return (r, 0);
    }
    let mut total = 0;
    for _ in 0..LOOP_CAP {
        let r = once(&mut buf, n);
        if r <= 0 {
            return (total, r);
        }
        total += r;
    }
    (total, 0)
}
