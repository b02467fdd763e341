//! Lockstep differential harness: repoll's C API against raw epoll.
//!
//! Shared by `tests/differential.rs` (seeded random sequences) and
//! `fuzz/fuzz_targets/ops.rs` (sequences decoded from fuzzer bytes).
//!
//! Two "sides" run the same operations:
//! - side A: repoll, through its C API (`repoll::ffi::*`);
//! - side B: the kernel, through raw `epoll_create1` / `epoll_ctl` /
//!   `epoll_wait`.
//!
//! Each side has its OWN files (every pipe, socketpair, eventfd is created
//! twice, once per side, and every fd action is mirrored), so neither side
//! steals the other's readiness. Operations name fds by *slot* (0..SLOTS);
//! each side translates a slot to its own fd number. Every return code is
//! compared (repoll's `-errno` against the raw call's `-1`/`errno` mapped to
//! `-errno`), and every wait result as a sorted multiset of `(data, events)`.
//!
//! Also compared: the result of every fd action (bytes written / read, the
//! value read from an eventfd, errors), and FD_CLOEXEC of the epoll fd.
//! Slot fds sit at fixed, isomorphic numbers on the two sides (see
//! [`A_BASE`]), because epoll keys registrations by (file, fd number).
//!
//! Intended differences are modeled explicitly (see [`Lockstep::ctl`] and the
//! `Op` variants marked "repoll only"):
//! - `repoll_create` accepts `REPOLL_RETRY_EINTR`, a repoll-only flag: the
//!   raw side gets the flags without it.
//! - `repoll_ctl` rejects an unknown `op`, unknown interest bits, EXCLUSIVE
//!   with MOD and EXCLUSIVE with bits outside IN|OUT|ERR|HUP|WAKEUP|ET up
//!   front with `-EINVAL`. The kernel rejects the same known-bit combinations
//!   (and an unknown op) too, so the raw call is still made and must fail;
//!   its code may differ only by check order (the kernel reports `EBADF` /
//!   `EPERM` of the target fd before looking at the flags). For unknown bits
//!   the kernel may silently accept the registration, so the raw call is
//!   skipped (it would make the two sides' states diverge).
//! - `REPOLL_CTL_DEL` ignores `events` and `data`: the raw side gets the same
//!   garbage, and both must agree.
//! - A NULL handle or NULL event array is `-EINVAL` in repoll (the kernel
//!   would say `EBADF` / `EFAULT`): checked on side A only.
//! - A call on a closed repoll handle is a use after free by contract, so an
//!   operation on a closed instance is skipped on both sides.

#![allow(dead_code)]

use std::fmt;
use std::os::raw::c_int;
use std::ptr;

use ::repoll::ffi::*;

/// fd slots per sequence (a pipe or socketpair takes two).
pub const SLOTS: usize = 10;
/// epoll instances per sequence (two allow nesting and cycles: ELOOP).
pub const INSTANCES: usize = 2;
/// Longest sequence one fuzzer input describes (also used when
/// tests/differential.rs replays a fuzzer input).
pub const FUZZ_MAX_OPS: usize = 256;
/// Cap on loop iterations of a fill / drain action.
const LOOP_CAP: usize = 64;

/// Slot fds live at fixed numbers: side A's at `A_BASE + v`, side B's at
/// `B_BASE + v`, where `v` is a *virtual* fd number given out lowest-free
/// first, as the kernel gives out fd numbers. epoll keys a registration by
/// (open file, fd number), so the two sides must reuse numbers in the same
/// pattern: with the kernel's own numbering (shared by both sides, and by
/// repoll's internal fds) a dup could land on the number of a closed dup of
/// the same file on one side only (EEXIST there, 0 on the other).
pub const A_BASE: c_int = 700;
/// See [`A_BASE`].
pub const B_BASE: c_int = 850;
/// Virtual numbers are below this (at most SLOTS are open at once).
const V_MAX: c_int = 100;

// ---------------------------------------------------------------------------
// Sources of choices: a seeded PRNG for the test, the input bytes for the fuzzer.

/// Where the generator's decisions come from.
pub trait Choices {
    /// Any 64-bit value.
    fn u64(&mut self) -> u64;
    /// A value in `0..n` (`n > 0`).
    fn below(&mut self, n: u32) -> u32;
    /// True once a finite source has run out (the generator then stops).
    fn exhausted(&self) -> bool;
    /// True with probability `pct` percent.
    fn chance(&mut self, pct: u32) -> bool {
        self.below(100) < pct
    }
    /// One element of a non-empty slice.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// splitmix64 (Steele, Lea, Flood 2014; the reference constants as in
/// `java.util.SplittableRandom`): the state advances by 0x9E3779B97F4A7C15,
/// the output is the state through the two multiply-xorshift rounds.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Choices for SplitMix64 {
    fn u64(&mut self) -> u64 {
        self.next_u64()
    }
    fn below(&mut self, n: u32) -> u32 {
        // Lemire's multiply-shift on the high 32 bits: no modulo bias worth
        // caring about, and deterministic.
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
    fn exhausted(&self) -> bool {
        false
    }
}

/// Decisions read from fuzzer input; zeros once the bytes run out.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// A source reading `data` front to back.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0 }
    }
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
}

impl Choices for Bytes<'_> {
    fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        for i in 0..8 {
            v |= u64::from(self.byte()) << (8 * i);
        }
        v
    }
    fn below(&mut self, n: u32) -> u32 {
        if n <= 256 {
            u32::from(self.byte()) % n
        } else {
            let v = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]);
            v % n
        }
    }
    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

// ---------------------------------------------------------------------------
// Operations.

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
    fn is_socket(self) -> bool {
        matches!(self, Kind::Stream | Kind::Dgram | Kind::Seqpacket)
    }
    fn is_eventfd(self) -> bool {
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

// ---------------------------------------------------------------------------
// Generation.

/// What the generator may look at: which slots and instances are open.
#[derive(Clone, Debug)]
pub struct View {
    /// The kind of each open slot.
    pub open: [Option<Kind>; SLOTS],
    /// Closed slots that had an fd before.
    pub stale: [bool; SLOTS],
    /// Open instances.
    pub inst_open: [bool; INSTANCES],
}

impl View {
    fn free(&self) -> usize {
        self.open.iter().filter(|k| k.is_none()).count()
    }
    fn open_slots(&self) -> Vec<u8> {
        (0..SLOTS as u8)
            .filter(|&s| self.open[s as usize].is_some())
            .collect()
    }
    fn stale_slots(&self) -> Vec<u8> {
        (0..SLOTS as u8)
            .filter(|&s| self.open[s as usize].is_none() && self.stale[s as usize])
            .collect()
    }
}

const POLL_BITS: [u32; 11] = [
    REPOLL_IN,
    REPOLL_PRI,
    REPOLL_OUT,
    REPOLL_ERR,
    REPOLL_HUP,
    REPOLL_RDNORM,
    REPOLL_RDBAND,
    REPOLL_WRNORM,
    REPOLL_WRBAND,
    REPOLL_MSG,
    REPOLL_RDHUP,
];

/// Bits no registration may carry (POLLNVAL, POLLREMOVE-ish leftovers,
/// repoll's source bits, free bits).
const UNKNOWN_BITS: [u32; 10] = [
    0x20,
    0x800,
    0x1000,
    0x4000,
    0x8000,
    0x10000,
    REPOLL_WAKE,
    REPOLL_TIMER,
    REPOLL_SIGNAL,
    0x0800_0000,
];

fn gen_events(c: &mut impl Choices) -> u32 {
    let mut ev = match c.below(10) {
        0 => 0,
        1 | 2 => REPOLL_IN,
        3 => REPOLL_OUT,
        4 => REPOLL_IN | REPOLL_OUT,
        5 => REPOLL_PRI,
        6 => REPOLL_IN | REPOLL_RDHUP,
        7 => {
            let mut ev = 0;
            for bit in POLL_BITS {
                if c.chance(30) {
                    ev |= bit;
                }
            }
            ev
        }
        8 => REPOLL_IN | REPOLL_OUT | REPOLL_RDHUP | REPOLL_PRI,
        _ => REPOLL_RDNORM | REPOLL_WRNORM | REPOLL_RDBAND | REPOLL_WRBAND,
    };
    if c.chance(25) {
        ev |= REPOLL_ET;
    }
    if c.chance(15) {
        ev |= REPOLL_ONESHOT;
    }
    if c.chance(8) {
        ev |= REPOLL_EXCLUSIVE;
    }
    if c.chance(4) {
        ev |= REPOLL_WAKEUP;
    }
    if c.chance(4) {
        ev |= c.pick(&UNKNOWN_BITS);
    }
    if c.chance(1) {
        ev = c.u64() as u32;
    }
    ev
}

fn gen_data(c: &mut impl Choices, hint: u8) -> u64 {
    match c.below(8) {
        0 => 0,
        1 => u64::MAX,
        2 => 1 << 63,
        3 | 4 => c.u64(),
        5 => u64::from(hint),
        6 => 0xFFFF_FFFF,
        _ => (1 << 32) | u64::from(hint),
    }
}

/// Mostly instance 0; instance 1 often once it is open (for nesting).
fn gen_inst(c: &mut impl Choices, v: &View) -> u8 {
    if v.inst_open[1] && c.chance(35) {
        1
    } else if c.chance(95) {
        0
    } else {
        1
    }
}

fn gen_size(c: &mut impl Choices) -> Size {
    c.pick(&[
        Size::One,
        Size::Small,
        Size::Small,
        Size::Page,
        Size::Big,
        Size::Loop,
    ])
}

/// One operation, biased by `v` towards open slots and instances.
pub fn gen_op<C: Choices>(c: &mut C, v: &View) -> Op {
    let open = v.open_slots();
    let any_open = |c: &mut C| -> u8 {
        if open.is_empty() {
            c.below(SLOTS as u32) as u8
        } else {
            c.pick(&open)
        }
    };
    // An instance-0 that is closed is recreated soon.
    if !v.inst_open[0] && c.chance(60) {
        return Op::Create {
            inst: 0,
            flags: gen_create_flags(c),
        };
    }
    // Few fds open: make some.
    if open.len() < 3 && v.free() >= 2 && c.chance(50) {
        return gen_new(c);
    }
    match c.below(100) {
        0..=3 => {
            let inst = c.below(INSTANCES as u32) as u8;
            if v.inst_open[inst as usize] {
                if c.chance(30) {
                    Op::Close { inst }
                } else {
                    Op::Wait {
                        inst,
                        maxevents: 64,
                        ns: false,
                    }
                }
            } else {
                Op::Create {
                    inst,
                    flags: gen_create_flags(c),
                }
            }
        }
        4..=44 => {
            let inst = gen_inst(c, v);
            let op = match c.below(100) {
                0..=39 => REPOLL_CTL_ADD,
                40..=69 => REPOLL_CTL_MOD,
                70..=94 => REPOLL_CTL_DEL,
                _ => c.pick(&[0, 4, -1, i32::MAX, i32::MIN]),
            };
            let stale = v.stale_slots();
            let target = match c.below(100) {
                0..=81 => Target::Slot(any_open(c)),
                82..=88 if !stale.is_empty() => Target::Stale(c.pick(&stale)),
                82..=88 => Target::Slot(any_open(c)),
                89..=90 => Target::Negative(c.pick(&[-1, -2, i32::MIN])),
                91 => Target::Huge,
                // Mostly the other instance (nesting, and ELOOP once both
                // contain each other), sometimes its own fd (EINVAL).
                _ if c.chance(70) => Target::Instance((inst + 1) % INSTANCES as u8),
                _ => Target::Instance(inst),
            };
            let hint = match target {
                Target::Slot(s) | Target::Stale(s) => s,
                _ => 0xEE,
            };
            let events = gen_events(c);
            let data = gen_data(c, hint);
            let api = if c.chance(30) { Api::Wrapper } else { Api::Ctl };
            Op::Ctl {
                inst,
                api,
                op,
                target,
                events,
                data,
            }
        }
        45..=64 => {
            let maxevents = match c.below(20) {
                0 => 0,
                1 => c.pick(&[-1, i32::MIN]),
                2..=3 => 1,
                4 => 2,
                5 => 3,
                6..=7 => 8,
                _ => 64,
            };
            Op::Wait {
                inst: gen_inst(c, v),
                maxevents,
                ns: c.chance(30),
            }
        }
        65 => Op::NullHandle,
        66 => Op::NullEvents {
            inst: gen_inst(c, v),
        },
        67..=74 => gen_new(c),
        75..=77 => Op::Dup { slot: any_open(c) },
        78..=82 => Op::CloseFd { slot: any_open(c) },
        83..=91 => Op::Write {
            slot: any_open(c),
            size: gen_size(c),
        },
        92..=97 => Op::Read {
            slot: any_open(c),
            size: gen_size(c),
        },
        _ => Op::Shutdown {
            slot: any_open(c),
            how: c.pick(&[libc::SHUT_RD, libc::SHUT_WR, libc::SHUT_RDWR]),
        },
    }
}

fn gen_create_flags(c: &mut impl Choices) -> i32 {
    match c.below(12) {
        0..=3 => 0,
        4..=6 => REPOLL_CLOEXEC,
        7 => REPOLL_RETRY_EINTR,
        8 => REPOLL_CLOEXEC | REPOLL_RETRY_EINTR,
        9 => c.pick(&[2, 0x800, libc::O_NONBLOCK, 1 << 30]),
        10 => c.pick(&[-1, i32::MIN, REPOLL_CLOEXEC | 2]),
        _ => REPOLL_CLOEXEC,
    }
}

fn gen_new(c: &mut impl Choices) -> Op {
    match c.below(10) {
        0..=2 => Op::NewPipe,
        3..=4 => Op::NewSocketpair { kind: Kind::Stream },
        5 => Op::NewSocketpair { kind: Kind::Dgram },
        6 => Op::NewSocketpair {
            kind: Kind::Seqpacket,
        },
        7..=8 => Op::NewEventfd {
            init: c.pick(&[0, 0, 1, 5]),
            semaphore: c.chance(30),
        },
        _ => Op::OpenDevNull,
    }
}

// ---------------------------------------------------------------------------
// Execution.

/// A mismatch, with where it happened.
#[derive(Debug)]
pub struct Failure {
    /// Index of the failing operation.
    pub step: usize,
    /// What differed.
    pub message: String,
    /// Every operation up to and including the failing one, with results.
    pub trace: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "mismatch at step {}: {}", self.step, self.message)?;
        writeln!(f, "trace (A = repoll, B = raw epoll):")?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// Counters, to see what a run covered.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Operations applied (including skipped ones).
    pub ops: u64,
    /// Operations skipped (closed slot or instance, no free slot).
    pub skipped: u64,
    /// ctl calls that succeeded on both sides.
    pub ctl_ok: u64,
    /// ctl calls that failed with the same code on both sides.
    pub ctl_err: u64,
    /// ctl calls that repoll rejected up front (EINVAL).
    pub ctl_upfront: u64,
    /// What the kernel said to those (when called): -EINVAL, or the target
    /// fd's -EBADF / -EPERM, which the kernel checks before the flags.
    pub ctl_upfront_raw: std::collections::BTreeMap<i64, u64>,
    /// Waits compared.
    pub waits: u64,
    /// Events compared in those waits.
    pub events: u64,
    /// Sequences cut short because the user's epoll watch limit ran out
    /// (see [`INCONCLUSIVE`]).
    pub inconclusive: u64,
    /// errno histogram of agreeing ctl failures, by errno.
    pub errnos: std::collections::BTreeMap<i32, u64>,
}

impl Stats {
    /// Adds another run's counters.
    pub fn merge(&mut self, o: &Stats) {
        self.ops += o.ops;
        self.skipped += o.skipped;
        self.ctl_ok += o.ctl_ok;
        self.ctl_err += o.ctl_err;
        self.ctl_upfront += o.ctl_upfront;
        for (k, v) in &o.ctl_upfront_raw {
            *self.ctl_upfront_raw.entry(*k).or_default() += v;
        }
        self.waits += o.waits;
        self.events += o.events;
        self.inconclusive += o.inconclusive;
        for (k, v) in &o.errnos {
            *self.errnos.entry(*k).or_default() += v;
        }
    }
}

/// -errno of the last failed call.
fn neg_errno() -> i64 {
    -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// A libc return value as a result: `-1` becomes `-errno`.
fn raw(r: i64) -> i64 {
    if r == -1 {
        neg_errno()
    } else {
        r
    }
}

fn errname(code: i64) -> String {
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
fn is_closed(fd: c_int) -> bool {
    // SAFETY: F_GETFD takes no pointer; a closed fd is EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) == -1 }
}

/// A number that is closed right now (the lowest free one).
/// A number that is closed right now (the lowest free one, below the slot
/// ranges): used for closed epoll instances, whose fds are never dup'ed.
fn fresh_closed() -> c_int {
    // SAFETY: plain fd syscalls on an fd we create and close at once.
    unsafe {
        let fd = libc::eventfd(0, libc::EFD_CLOEXEC);
        assert!(fd >= 0, "eventfd: {}", std::io::Error::last_os_error());
        libc::close(fd);
        fd
    }
}

fn closed_number(last: Option<c_int>) -> c_int {
    match last {
        Some(n) if is_closed(n) => n,
        _ => fresh_closed(),
    }
}

/// The set of rules `repoll_ctl` checks up front, written from the contract
/// (DESIGN.md, repoll.h), independently of src/interest.rs.
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

/// Both sides' state. Dropping it closes every fd and instance it opened.
pub struct Lockstep {
    kinds: [Option<Kind>; SLOTS],
    /// Virtual fd number of each open slot, and the one it had last.
    v: [Option<c_int>; SLOTS],
    v_last: [Option<c_int>; SLOTS],
    /// Side A (repoll): open fd per slot (`A_BASE + v`).
    a: [Option<c_int>; SLOTS],
    /// Side B (raw): open fd per slot (`B_BASE + v`).
    b: [Option<c_int>; SLOTS],
    eps: [*mut repoll_t; INSTANCES],
    ep_last: [Option<c_int>; INSTANCES],
    epfds: [Option<c_int>; INSTANCES],
    epfd_last: [Option<c_int>; INSTANCES],
    /// What this run covered.
    pub stats: Stats,
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
type Step = Result<String, String>;

macro_rules! expect_eq {
    ($what:expr, $a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        if a != b {
            return Err(format!("{}: A (repoll) {:?} != B (raw) {:?}", $what, a, b));
        }
    }};
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

impl Default for Lockstep {
    fn default() -> Self {
        Self::new()
    }
}

impl Lockstep {
    /// No fds, no instances.
    pub fn new() -> Self {
        init();
        Lockstep {
            kinds: [None; SLOTS],
            a: [None; SLOTS],
            v: [None; SLOTS],
            v_last: [None; SLOTS],
            b: [None; SLOTS],
            eps: [ptr::null_mut(); INSTANCES],
            ep_last: [None; INSTANCES],
            epfds: [None; INSTANCES],
            epfd_last: [None; INSTANCES],
            stats: Stats::default(),
        }
    }

    /// What the generator may look at.
    pub fn view(&self) -> View {
        let mut stale = [false; SLOTS];
        for (s, st) in stale.iter_mut().enumerate() {
            *st = self.v_last[s].is_some();
        }
        let mut inst_open = [false; INSTANCES];
        for (i, o) in inst_open.iter_mut().enumerate() {
            *o = !self.eps[i].is_null();
        }
        View {
            open: self.kinds,
            stale,
            inst_open,
        }
    }

    fn free_slots(&self, n: usize) -> Option<Vec<usize>> {
        let free: Vec<usize> = (0..SLOTS)
            .filter(|&s| self.kinds[s].is_none())
            .take(n)
            .collect();
        (free.len() == n).then_some(free)
    }

    /// The lowest virtual fd number no open slot uses.
    fn lowest_free_v(&self) -> c_int {
        (0..V_MAX)
            .find(|n| !self.v.contains(&Some(*n)))
            .expect("fewer than V_MAX slots")
    }

    /// Puts new fds `a` and `b` (anywhere) into `slot`, moving them to the
    /// slot's numbers `A_BASE + v` and `B_BASE + v` (v lowest free).
    fn put(&mut self, slot: usize, kind: Kind, a: c_int, b: c_int) -> (c_int, c_int) {
        let v = self.lowest_free_v();
        let (na, nb) = (A_BASE + v, B_BASE + v);
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
        self.kinds[slot] = Some(kind);
        self.v[slot] = Some(v);
        self.v_last[slot] = Some(v);
        self.a[slot] = Some(na);
        self.b[slot] = Some(nb);
        (na, nb)
    }

    fn slot(&self, slot: u8) -> Option<(Kind, c_int, c_int)> {
        let s = slot as usize;
        Some((self.kinds.get(s).copied()??, self.a[s]?, self.b[s]?))
    }

    /// Applies one operation to both sides.
    pub fn apply(&mut self, op: &Op) -> Step {
        self.stats.ops += 1;
        let res = self.apply_inner(op);
        if let Ok(s) = &res {
            if s.starts_with("skip") {
                self.stats.skipped += 1;
            }
        }
        res
    }

    fn apply_inner(&mut self, op: &Op) -> Step {
        match *op {
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
            } => self.wait(inst as usize % INSTANCES, maxevents, ns),
            Op::NullHandle => null_handle(),
            Op::NullEvents { inst } => {
                let ep = self.eps[inst as usize % INSTANCES];
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
                let s = slot as usize;
                self.kinds[s] = None;
                self.v[s] = None;
                self.a[s] = None;
                self.b[s] = None;
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
        if !self.eps[i].is_null() {
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
            self.eps[i] = ep;
            // SAFETY: a live handle.
            self.ep_last[i] = Some(unsafe { repoll_fd(ep) });
        }
        if rb >= 0 {
            self.epfds[i] = Some(rb as c_int);
            self.epfd_last[i] = Some(rb as c_int);
        }
        if ra == -i64::from(libc::ENOSPC) && rb >= 0 {
            return Err(format!(
                "{INCONCLUSIVE}: repoll_create -ENOSPC, epoll_create1 ok"
            ));
        }
        expect_eq!("create", ra, rb.min(0));
        if ra == 0 {
            // Close-on-exec as asked, the same as the kernel's.
            let fa = self.ep_last[i].unwrap();
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
            self.ep_last[i],
            errname(rb)
        ))
    }

    fn close_inst(&mut self, i: usize) -> Step {
        if self.eps[i].is_null() {
            return Ok("skip: instance closed".into());
        }
        let ep = std::mem::replace(&mut self.eps[i], ptr::null_mut());
        let fd = self.epfds[i].take().expect("both sides open together");
        // SAFETY: a live handle, closed once; an fd we own.
        let (ra, rb) = unsafe { (i64::from(repoll_close(ep)), raw(libc::close(fd).into())) };
        expect_eq!("close instance", ra, rb);
        Ok(errname(ra))
    }

    /// The fd numbers `target` stands for on side A and side B.
    fn resolve(&self, target: Target) -> (c_int, c_int) {
        match target {
            Target::Slot(s) if (s as usize) < SLOTS && self.a[s as usize].is_some() => {
                (self.a[s as usize].unwrap(), self.b[s as usize].unwrap())
            }
            Target::Slot(s) | Target::Stale(s) => {
                // The slot's last number if no open slot took it since,
                // else the lowest free one: closed on both sides alike.
                let s = s as usize % SLOTS;
                let v = match self.v_last[s] {
                    Some(v) if !self.v.contains(&Some(v)) => v,
                    _ => self.lowest_free_v(),
                };
                let (a, b) = (A_BASE + v, B_BASE + v);
                assert!(is_closed(a) && is_closed(b), "fds {a}/{b} should be closed");
                (a, b)
            }
            Target::Negative(n) => (n.min(-1), n.min(-1)),
            Target::Huge => (i32::MAX, i32::MAX),
            Target::Instance(j) => {
                let j = j as usize % INSTANCES;
                if self.eps[j].is_null() {
                    (
                        closed_number(self.ep_last[j]),
                        closed_number(self.epfd_last[j]),
                    )
                } else {
                    // SAFETY: a live handle.
                    (unsafe { repoll_fd(self.eps[j]) }, self.epfds[j].unwrap())
                }
            }
        }
    }

    fn ctl(&mut self, i: usize, api: Api, op: i32, target: Target, events: u32, data: u64) -> Step {
        let ep = self.eps[i];
        if ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        let epfd = self.epfds[i].unwrap();
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

    fn wait(&mut self, i: usize, maxevents: i32, ns: bool) -> Step {
        let ep = self.eps[i];
        if ep.is_null() {
            return Ok("skip: instance closed".into());
        }
        let epfd = self.epfds[i].unwrap();
        let len = maxevents.clamp(1, 64) as usize;
        let mut ea = vec![
            repoll_event_t {
                data: 0xDEAD,
                events: 0xDEAD,
                reserved: 0xDEAD
            };
            len
        ];
        let mut eb = vec![libc::epoll_event { events: 0, u64: 0 }; len];
        // SAFETY: `ea` holds `len` events and `maxevents <= len` when positive.
        let ra = i64::from(unsafe {
            if ns {
                repoll_wait_ns(ep, ea.as_mut_ptr(), maxevents, 0)
            } else {
                repoll_wait(ep, ea.as_mut_ptr(), maxevents, 0)
            }
        });
        // SAFETY: `eb` holds `len` records and `maxevents <= len` when positive.
        let rb = raw(unsafe { libc::epoll_wait(epfd, eb.as_mut_ptr(), maxevents, 0) }.into());
        expect_eq!("wait count", ra, rb);
        if ra <= 0 {
            return Ok(errname(ra));
        }
        let n = ra as usize;
        let mut got_a: Vec<(u64, u32)> = Vec::with_capacity(n);
        for e in &ea[..n] {
            if e.reserved != 0 {
                return Err(format!("wait: reserved field {:#x} != 0", e.reserved));
            }
            got_a.push((e.data, e.events));
        }
        let mut got_b: Vec<(u64, u32)> =
            eb[..n].iter().map(|e| ({ e.u64 }, { e.events })).collect();
        got_a.sort_unstable();
        got_b.sort_unstable();
        self.stats.waits += 1;
        self.stats.events += n as u64;
        let shown: Vec<String> = got_a
            .iter()
            .map(|(d, e)| format!("({d:#x},{e:#x})"))
            .collect();
        if got_a != got_b {
            return Err(format!(
                "wait events: A (repoll) {got_a:x?} != B (raw) {got_b:x?}"
            ));
        }
        Ok(format!("{n}: {}", shown.join(" ")))
    }

    /// Closes everything (also done on drop).
    pub fn close_all(&mut self) {
        for i in 0..INSTANCES {
            if !self.eps[i].is_null() {
                // SAFETY: a live handle, closed once.
                unsafe { repoll_close(std::mem::replace(&mut self.eps[i], ptr::null_mut())) };
            }
            if let Some(fd) = self.epfds[i].take() {
                // SAFETY: an fd we own.
                unsafe { libc::close(fd) };
            }
        }
        for s in 0..SLOTS {
            self.kinds[s] = None;
            for fd in [self.a[s].take(), self.b[s].take()].into_iter().flatten() {
                // SAFETY: an fd we own.
                unsafe { libc::close(fd) };
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
        ]
    };
    for (name, r) in got {
        if r != e {
            return Err(format!("{name}(NULL) = {r}, want -EINVAL"));
        }
    }
    Ok("A: all -EINVAL (repoll only)".into())
}

static ZEROS: [u8; 65536] = [0; 65536];

/// One write action: (result of the first call or total bytes, last result).
fn do_write(kind: Kind, fd: c_int, size: Size) -> (i64, i64) {
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
fn do_read(kind: Kind, fd: c_int, size: Size) -> (i64, i64) {
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

// ---------------------------------------------------------------------------
// Sequences.

/// Generates and applies up to `max_ops` operations from `c` (stopping early
/// when a finite source runs out). Returns the ops applied and the outcome.
pub fn run_generated(
    c: &mut impl Choices,
    max_ops: usize,
    stats: &mut Stats,
) -> (Vec<Op>, Result<(), Failure>) {
    let mut ls = Lockstep::new();
    let mut ops = Vec::with_capacity(max_ops);
    let mut trace = Vec::with_capacity(max_ops);
    let mut outcome = Ok(());
    for step in 0..max_ops {
        if c.exhausted() {
            break;
        }
        let op = gen_op(c, &ls.view());
        let res = ls.apply(&op);
        trace.push(format!(
            "#{step} {op:?} => {}",
            res.as_ref().unwrap_or_else(|e| e)
        ));
        ops.push(op);
        if let Err(message) = res {
            if message.starts_with(INCONCLUSIVE) {
                ls.stats.inconclusive += 1;
                break;
            }
            outcome = Err(Failure {
                step,
                message,
                trace,
            });
            break;
        }
    }
    ls.close_all();
    stats.merge(&ls.stats);
    (ops, outcome)
}

/// Applies a fixed list of operations (a replay, or a shrink candidate).
pub fn run_ops(ops: &[Op]) -> Result<(), Failure> {
    let mut ls = Lockstep::new();
    let mut trace = Vec::with_capacity(ops.len());
    for (step, op) in ops.iter().enumerate() {
        let res = ls.apply(op);
        trace.push(format!(
            "#{step} {op:?} => {}",
            res.as_ref().unwrap_or_else(|e| e)
        ));
        if let Err(message) = res {
            if message.starts_with(INCONCLUSIVE) {
                return Ok(());
            }
            return Err(Failure {
                step,
                message,
                trace,
            });
        }
    }
    Ok(())
}

/// The first word of a failure message, to keep shrinking on the same bug.
fn failure_kind(f: &Failure) -> String {
    f.message.split(':').next().unwrap_or("").to_string()
}

/// A shorter list of ops that fails the same way: drops operations one at a
/// time (greedy delta debugging, to a fixed point).
pub fn shrink(ops: &[Op], failure: &Failure) -> Vec<Op> {
    let kind = failure_kind(failure);
    let mut cur: Vec<Op> = ops[..=failure.step.min(ops.len() - 1)].to_vec();
    loop {
        let mut progressed = false;
        let mut i = cur.len();
        while i > 0 {
            i -= 1;
            let mut cand = cur.clone();
            cand.remove(i);
            if let Err(f) = run_ops(&cand) {
                if failure_kind(&f) == kind {
                    cand.truncate(f.step + 1);
                    cur = cand;
                    progressed = true;
                    i = i.min(cur.len());
                }
            }
        }
        if !progressed {
            return cur;
        }
    }
}
