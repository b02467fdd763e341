//! The panic boundary and the error convention: every exported function runs
//! its body through [`boundary!`], and every `io::Error` becomes `-errno`.

use std::io;
use std::os::raw::c_int;

use super::constants::REPOLL_EPANIC;

/// Runs an exported function's body, turning a Rust panic into
/// `-REPOLL_EPANIC` (or the given fallback value) instead of unwinding into C,
/// which would be undefined behaviour.
macro_rules! boundary {
    ($body:expr) => {
        boundary!(-$crate::ffi::constants::REPOLL_EPANIC, $body)
    };
    ($on_panic:expr, $body:expr) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $on_panic,
        }
    };
}
pub(crate) use boundary;

/// `Ok(n)` is returned as is; an error as its negated errno. An error without
/// one (none is produced today) is reported as a caught library bug.
pub(crate) fn to_c(res: io::Result<c_int>) -> c_int {
    match res {
        Ok(n) => n,
        Err(e) => -e.raw_os_error().unwrap_or(REPOLL_EPANIC),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_boundary_becomes_epanic() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let code: c_int = boundary!(panic!("forced"));
        std::panic::set_hook(prev);
        assert_eq!(code, -REPOLL_EPANIC);
    }

    #[test]
    fn errors_become_negative_errno() {
        assert_eq!(
            to_c(Err(io::Error::from_raw_os_error(libc::ENOENT))),
            -libc::ENOENT
        );
        assert_eq!(to_c(Ok(7)), 7);
    }
}
