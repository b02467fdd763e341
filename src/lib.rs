//! repoll: Linux epoll with a Rust core, shipped as a C library.
//!
//! The safe core ([`Poller`], [`Epoll`], [`Event`], [`Timeout`], the
//! [`interest`] bits) knows nothing about C. The `ffi` module is the C API
//! (`include/repoll.h`): it checks arguments, converts, maps errors to
//! negative errno values and catches panics — nothing else.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod epoll;
mod event;
pub mod features;
pub mod ffi;
pub mod interest;
mod poller;
mod signals;
mod sys;
mod timeout;
mod timer_queue;
mod timers;
mod waker;

pub use epoll::{Epoll, Op};
pub use event::Event;
pub use poller::{Options, Poller};
pub use timeout::Timeout;
