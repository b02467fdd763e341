//! repoll: Linux epoll with a Rust core, shipped as a C library.
//!
//! The only public interface is the C API, the `ffi` module
//! (`include/repoll.h` is generated from it): it checks arguments, converts,
//! maps errors to negative errno values and catches panics — nothing else.
//! No Rust API is offered; Rust programs use `repoll::ffi` as C would.
//!
//! The safe core behind it knows nothing about C:
//! - `poller`: an epoll instance plus the library's own sources, behind one
//!   wait, and the close sequence;
//! - `calls`: the calls in flight and the closed flag, in one atomic word;
//! - `epoll`: the epoll fd and `epoll_ctl`;
//! - `pwait2`: the wait system call, `epoll_pwait2` or its fallback;
//! - `event`: the 16-byte event record, widened in place from the kernel's;
//! - `timeout`: timeouts and their never-early arithmetic;
//! - `interest`: the interest bits and which registrations are valid;
//! - `waker`, `timers` (over `timer_queue`), `signals`: the library's sources;
//! - `features`: the `repoll_features()` probe;
//! - `sys`: errno conversion, fd ownership, the clock, allocation.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod calls;
mod epoll;
mod event;
mod features;
pub mod ffi;
mod interest;
mod poller;
mod pwait2;
mod signals;
mod sys;
mod timeout;
mod timer_queue;
mod timers;
mod waker;
