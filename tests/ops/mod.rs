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
//! `Op` variants marked "repoll only"; the contract is include/repoll.h
//! and the README's "API conventions"):
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

//!
//! The modules, in the order a sequence goes through them: `choices` (where
//! decisions come from), `op` (the operations), `generate` (the next
//! operation), `lockstep` (both sides' state and one operation applied to
//! both, over `sys`'s plumbing), `report` (mismatches and counters), `run`
//! (whole sequences, replay and shrinking). The library's own sources have
//! no raw twin: `sources` models them (timers never early and never lost, a
//! wake coalesces, one report per signal raised), `signals` is the process
//! plumbing for the signals raised, `source_ops` applies the source
//! operations and `ctl_batch`, and `waits` every wait, splitting the
//! sources' events from the fds' ones compared with raw epoll.

#![allow(dead_code)]

use std::os::raw::c_int;

mod choices;
mod generate;
mod lockstep;
mod op;
mod report;
mod run;
mod signals;
mod source_ops;
mod sources;
mod sys;
pub mod threads;
mod waits;

// What tests/differential.rs and the fuzz target use (each a part of it).
#[allow(unused_imports)]
pub use self::{
    choices::{Bytes, Choices, SplitMix64},
    lockstep::INCONCLUSIVE,
    op::Op,
    report::{Failure, Stats},
    run::{run_generated, run_ops, shrink},
    sys::{init, open_fd_count},
};

/// fd slots per sequence (a pipe or socketpair takes two).
pub const SLOTS: usize = 10;
/// epoll instances per sequence (two allow nesting and cycles: ELOOP).
pub const INSTANCES: usize = 2;
/// Longest sequence one fuzzer input describes (also used when
/// tests/differential.rs replays a fuzzer input).
pub const FUZZ_MAX_OPS: usize = 256;
/// Cap on loop iterations of a fill / drain action.
pub(super) const LOOP_CAP: usize = 64;

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
pub(super) const V_MAX: c_int = 100;
