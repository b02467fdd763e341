//! The operations a sequence is made of.

/// What a slot holds (the same on both sides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Read end of a pipe.
    PipeR,
    /// Write end of a pipe.
    PipeW,
    /// One end of an AF_UNIX SOCK_STREAM socketpair.
    Stream,
    /// One end of an AF_UNIX SOCK_DGRAM socketpair.
    Dgram,
    /// One end of an AF_UNIX SOCK_SEQPACKET socketpair.
    Seqpacket,
    /// An eventfd.
    Eventfd,
    /// An eventfd in EFD_SEMAPHORE mode.
    EventfdSem,
    /// /dev/null: not pollable (EPERM from epoll_ctl).
    DevNull,
}

impl Kind {
    pub(super) fn is_socket(self) -> bool {
        matches!(self, Kind::Stream | Kind::Dgram | Kind::Seqpacket)
    }
    pub(super) fn is_eventfd(self) -> bool {
        matches!(self, Kind::Eventfd | Kind::EventfdSem)
    }
}

/// How much to write or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 1 byte (eventfd: add 1; read: a too short buffer, EINVAL).
    One,
    /// 8 bytes (eventfd: add 7).
    Small,
    /// 4096 bytes (eventfd: add 2^32).
    Page,
    /// 65536 bytes (eventfd: add 2^64 - 2, the largest count).
    Big,
    /// Write: 64 KiB chunks until an error (eventfd: add 2^64 - 1, EINVAL).
    /// Read: 64 KiB reads until an error or end of file.
    Loop,
}

/// Which fd an epoll_ctl names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The fd in a slot (a closed slot acts as [`Target::Stale`]).
    Slot(u8),
    /// The number a slot had before it was closed, if no slot took it since;
    /// otherwise the lowest closed slot number. Closed on both sides.
    Stale(u8),
    /// A negative number.
    Negative(i32),
    /// A number far above any open fd.
    Huge,
    /// The epoll fd of an instance (its own: EINVAL; another: nesting, ELOOP).
    Instance(u8),
}

/// Which C entry point a ctl goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `repoll_ctl(ep, op, ..)`.
    Ctl,
    /// `repoll_add` / `repoll_modify` / `repoll_delete` (for a known op).
    Wrapper,
}

/// One step of a sequence, applied to both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `repoll_create(&ep, flags)` / `epoll_create1(flags & !RETRY_EINTR)`.
    Create { inst: u8, flags: i32 },
    /// `repoll_close` / `close`.
    Close { inst: u8 },
    /// `repoll_ctl` (or a wrapper) / `epoll_ctl`.
    Ctl {
        inst: u8,
        api: Api,
        op: i32,
        target: Target,
        events: u32,
        data: u64,
    },
    /// `repoll_wait` (or `repoll_wait_ns` when `ns`) / `epoll_wait`, timeout 0.
    Wait { inst: u8, maxevents: i32, ns: bool },
    /// repoll only: every entry point with a NULL handle is -EINVAL.
    NullHandle,
    /// repoll only: a wait with a NULL array is -EINVAL (the kernel: EFAULT).
    NullEvents { inst: u8 },
    /// A non-blocking pipe into two free slots (read end first).
    NewPipe,
    /// An AF_UNIX socketpair of `Kind` Stream, Dgram or Seqpacket.
    NewSocketpair { kind: Kind },
    /// A non-blocking eventfd (`semaphore`: EFD_SEMAPHORE).
    NewEventfd { init: u32, semaphore: bool },
    /// /dev/null, read-write.
    OpenDevNull,
    /// `fcntl(F_DUPFD_CLOEXEC)` of a slot into the first free slot.
    Dup { slot: u8 },
    /// `close` of a slot's fd.
    CloseFd { slot: u8 },
    /// write / send(MSG_NOSIGNAL).
    Write { slot: u8, size: Size },
    /// read / recv.
    Read { slot: u8, size: Size },
    /// `shutdown(fd, how)` (ENOTSOCK for non-sockets).
    Shutdown { slot: u8, how: i32 },
    /// repoll only (from here on): `repoll_timer_add` on instance `inst`
    /// ([`SOLO`]: the handle with no fds and no raw twin). `null_out`: a
    /// NULL id pointer.
    TimerAdd {
        inst: u8,
        first: i64,
        interval: i64,
        null_out: bool,
    },
    /// `repoll_timer_cancel` of a live, gone or forged id.
    TimerCancel { inst: u8, id: TimerRef },
    /// `repoll_wake`, `times` in a row.
    Wake { inst: u8, times: u8 },
    /// `repoll_signal_add` (a harness signal, or a number it must refuse).
    SignalAdd { inst: u8, signo: i32 },
    /// `repoll_signal_delete`.
    SignalDelete { inst: u8, signo: i32 },
    /// `raise` of harness signal `sig % 4`, `times` in a row.
    Raise { sig: u8, times: u8 },
    /// `repoll_pwait` (mask `Null`: `repoll_pwait(.., NULL)`); a timeout
    /// other than 0 only on [`SOLO`] (the raw twins poll with timeout 0).
    PWait {
        inst: u8,
        maxevents: i32,
        timeout_ns: i64,
        mask: Mask,
    },
    /// `repoll_fd`, then poll(2) of that fd: readable when a wait would
    /// report something (a due timer included, once the fd was handed out).
    FdPoll { inst: u8 },
    /// `repoll_strerror(code)`, `repoll_version()`, `repoll_features()`.
    Misc { code: i32 },
    /// fork(2); the child closes its copy of the handle and exits with the
    /// result; the parent's handle must not notice (no spurious WAKE).
    ForkClose { inst: u8 },
    /// `repoll_ctl_batch` / one `epoll_ctl` per op, compared op by op.
    CtlBatch {
        inst: u8,
        shape: Batch,
        ops: Vec<BatchOp>,
    },
}

/// The instance number of the handle with no fds and no raw twin, where
/// waits may block and see any `maxevents` against the sources' model.
pub const SOLO: u8 = 2;

/// Which id a timer cancel names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerRef {
    /// A live timer (index modulo their number).
    Live(u8),
    /// A fired one-shot or a cancelled timer.
    Gone(u8),
    /// Any number.
    Forged(u64),
}

/// The signal mask a `repoll_pwait` waits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mask {
    /// NULL: exactly `repoll_wait_ns`.
    Null,
    /// The thread's own mask.
    Current,
    /// Every signal blocked.
    All,
    /// The thread's mask without harness signal `n % 4`: a pending one runs
    /// its handler and the wait says -EINTR.
    Unblock(u8),
}

/// How a `repoll_ctl_batch` call is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    /// The ops, as an array.
    Ops,
    /// NULL `ops` with this `n` (-EINVAL for `n` > 0, 0 for 0).
    NullOps(i32),
    /// The ops' array with this negative `n` (-EINVAL, nothing written).
    Negative(i32),
}

/// One op of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOp {
    pub op: i32,
    pub target: Target,
    pub events: u32,
    pub data: u64,
}
