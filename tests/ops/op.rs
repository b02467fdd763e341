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
}
