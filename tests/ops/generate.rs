//! Generation: the next operation, from a source of choices and a view of
//! what is open.

use ::repoll::ffi::*;

use super::choices::Choices;
use super::op::*;
use super::signals::{BAD_SIGNALS, SIGNALS};
use super::{INSTANCES, SLOTS};

/// What the generator may look at: which slots and instances are open.
#[derive(Clone, Debug)]
pub struct View {
    /// The kind of each open slot.
    pub open: [Option<Kind>; SLOTS],
    /// Closed slots that had an fd before.
    pub stale: [bool; SLOTS],
    /// Open instances.
    pub inst_open: [bool; INSTANCES],
    /// The [`SOLO`] handle is open.
    pub solo_open: bool,
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

pub(super) const POLL_BITS: [u32; 11] = [
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
    // The library's own sources, a quarter of the time.
    if c.chance(25) {
        return gen_source_op(c, v);
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
        4..=6 => {
            let inst = gen_inst(c, v);
            let n = c.below(9);
            let ops = (0..n).map(|_| gen_batch_op(c, v, inst, &open)).collect();
            let shape = match c.below(20) {
                0 => Batch::NullOps(c.pick(&[0, 1, 5])),
                1 => Batch::Negative(c.pick(&[-1, i32::MIN])),
                _ => Batch::Ops,
            };
            Op::CtlBatch { inst, shape, ops }
        }
        7..=44 => {
            let inst = gen_inst(c, v);
            let BatchOp {
                op,
                target,
                events,
                data,
            } = gen_batch_op(c, v, inst, &open);
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

/// One ctl's arguments (for `repoll_ctl` or one op of a batch).
fn gen_batch_op<C: Choices>(c: &mut C, v: &View, inst: u8, open: &[u8]) -> BatchOp {
    let any_open = |c: &mut C| -> u8 {
        if open.is_empty() {
            c.below(SLOTS as u32) as u8
        } else {
            c.pick(open)
        }
    };
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
    BatchOp {
        op,
        target,
        events,
        data,
    }
}

/// A timer, wake, signal or pwait op: mostly on the [`SOLO`] handle, where
/// waits may block and use any `maxevents`, else on a twin instance, where
/// the sources' events mix with the fds'.
fn gen_source_op(c: &mut impl Choices, v: &View) -> Op {
    let inst = match c.below(10) {
        0..=4 => SOLO,
        5..=8 => 0,
        _ => 1,
    };
    if inst == SOLO && !v.solo_open {
        return Op::Create {
            inst,
            flags: gen_create_flags(c),
        };
    }
    match c.below(100) {
        0..=24 => Op::TimerAdd {
            inst,
            first: pick_or_any(
                c,
                &[
                    0,
                    0,
                    1,
                    1_000,
                    100_000,
                    1_000_000,
                    2_000_000,
                    1_000_000_000,
                    i64::MAX,
                    i64::MAX - 1,
                    -1,
                    i64::MIN,
                ],
            ) as i64,
            interval: match c.below(10) {
                0..=5 => 0,
                _ => c.pick(&[1, 500_000, 1_000_000, 2_000_000, i64::MAX, -1]),
            },
            null_out: c.chance(3),
        },
        25..=34 => Op::TimerCancel {
            inst,
            id: match c.below(10) {
                0..=5 => TimerRef::Live(c.below(256) as u8),
                6..=7 => TimerRef::Gone(c.below(256) as u8),
                _ => TimerRef::Forged(pick_or_any(c, &[0, 1, 2, u64::MAX, 1 << 53, (1 << 53) - 1])),
            },
        },
        35..=44 => Op::Wake {
            inst,
            times: 1 + c.below(3) as u8,
        },
        45..=52 => Op::SignalAdd {
            inst,
            signo: gen_signo(c),
        },
        53..=57 => Op::SignalDelete {
            inst,
            signo: gen_signo(c),
        },
        58..=67 => Op::Raise {
            sig: c.below(4) as u8,
            times: 1 + c.below(3) as u8,
        },
        96 => Op::Misc {
            code: if c.chance(50) {
                -(c.below(140) as i32) // each errno the library names
            } else {
                pick_or_any(c, &[0, 1, 7, -4095, -4096, -REPOLL_EPANIC, i32::MIN]) as i32
            },
        },
        97 if c.chance(20) => Op::ForkClose { inst },
        97 if c.chance(50) => Op::FdPoll { inst },
        68..=97 => Op::PWait {
            inst,
            maxevents: c.pick(&[1, 1, 2, 3, 4, 8, 64, 64, 0, -1]),
            timeout_ns: if inst == SOLO && c.chance(15) {
                c.pick(&[1_000, 200_000, 1_000_000, 2_500_000])
            } else {
                0
            },
            mask: match c.below(20) {
                0..=7 => Mask::Null,
                8..=12 => Mask::Current,
                13..=15 => Mask::All,
                _ => Mask::Unblock(c.below(4) as u8),
            },
        },
        _ if inst == SOLO => Op::Close { inst },
        _ => Op::Wake { inst, times: 1 },
    }
}

/// A harness signal, or (one time in eight) a number the library refuses.
fn gen_signo(c: &mut impl Choices) -> i32 {
    if c.chance(88) {
        c.pick(&SIGNALS)
    } else {
        c.pick(&BAD_SIGNALS)
    }
}

/// One of `items`, or (one time in `items.len() + 1`) any 64-bit value.
fn pick_or_any<T: Copy + Into<i128>>(c: &mut impl Choices, items: &[T]) -> u64 {
    let k = c.below(items.len() as u32 + 1) as usize;
    match items.get(k) {
        Some(&v) => v.into() as u64,
        None => c.u64(),
    }
}
