//! repoll: Linux epoll with a Rust core, shipped as a C library.
//!
//! The only public interface is the C API, the `ffi` module
//! (`include/repoll.h`, generated from it): it checks arguments, converts,
//! maps errors to negative errno values and catches panics — nothing else.
//! No Rust API is offered; Rust programs use `repoll::ffi` as C would.
//!
//! The safe core behind it knows nothing about C: [`poller::Poller`] (an
//! epoll instance plus the library's own sources: waker, timers, signals)
//! over [`epoll::Epoll`], whose one wait system call is [`pwait2::wait`].

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
