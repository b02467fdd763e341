//! `repoll_strerror`'s text: fixed strings, independent of locale and thread.

use std::ffi::CStr;

use super::constants::REPOLL_EPANIC;

/// The message for a return value: "Success" for 0 and any positive count
/// (a count is not an error), else that of the negated errno or library code.
pub(crate) fn message(code: i32) -> &'static CStr {
    if code >= 0 {
        return c"Success";
    }
    match code.unsigned_abs() {
        n if n == REPOLL_EPANIC.unsigned_abs() => {
            c"Internal error in repoll (a Rust panic was caught; please report it)"
        }
        n => i32::try_from(n)
            .ok()
            .and_then(errno_message)
            .unwrap_or(c"Unknown error"),
    }
}

/// glibc's messages for the Linux errno values.
fn errno_message(errno: i32) -> Option<&'static CStr> {
    Some(match errno {
        libc::EPERM => c"Operation not permitted",
        libc::ENOENT => c"No such file or directory",
        libc::ESRCH => c"No such process",
        libc::EINTR => c"Interrupted system call",
        libc::EIO => c"Input/output error",
        libc::ENXIO => c"No such device or address",
        libc::E2BIG => c"Argument list too long",
        libc::ENOEXEC => c"Exec format error",
        libc::EBADF => c"Bad file descriptor",
        libc::ECHILD => c"No child processes",
        libc::EAGAIN => c"Resource temporarily unavailable",
        libc::ENOMEM => c"Cannot allocate memory",
        libc::EACCES => c"Permission denied",
        libc::EFAULT => c"Bad address",
        libc::ENOTBLK => c"Block device required",
        libc::EBUSY => c"Device or resource busy",
        libc::EEXIST => c"File exists",
        libc::EXDEV => c"Invalid cross-device link",
        libc::ENODEV => c"No such device",
        libc::ENOTDIR => c"Not a directory",
        libc::EISDIR => c"Is a directory",
        libc::EINVAL => c"Invalid argument",
        libc::ENFILE => c"Too many open files in system",
        libc::EMFILE => c"Too many open files",
        libc::ENOTTY => c"Inappropriate ioctl for device",
        libc::ETXTBSY => c"Text file busy",
        libc::EFBIG => c"File too large",
        libc::ENOSPC => c"No space left on device",
        libc::ESPIPE => c"Illegal seek",
        libc::EROFS => c"Read-only file system",
        libc::EMLINK => c"Too many links",
        libc::EPIPE => c"Broken pipe",
        libc::EDOM => c"Numerical argument out of domain",
        libc::ERANGE => c"Numerical result out of range",
        libc::EDEADLOCK => c"Resource deadlock avoided",
        libc::ENAMETOOLONG => c"File name too long",
        libc::ENOLCK => c"No locks available",
        libc::ENOSYS => c"Function not implemented",
        libc::ENOTEMPTY => c"Directory not empty",
        libc::ELOOP => c"Too many levels of symbolic links",
        libc::ENOMSG => c"No message of desired type",
        libc::EIDRM => c"Identifier removed",
        libc::ECHRNG => c"Channel number out of range",
        libc::EL2NSYNC => c"Level 2 not synchronized",
        libc::EL3HLT => c"Level 3 halted",
        libc::EL3RST => c"Level 3 reset",
        libc::ELNRNG => c"Link number out of range",
        libc::EUNATCH => c"Protocol driver not attached",
        libc::ENOCSI => c"No CSI structure available",
        libc::EL2HLT => c"Level 2 halted",
        libc::EBADE => c"Invalid exchange",
        libc::EBADR => c"Invalid request descriptor",
        libc::EXFULL => c"Exchange full",
        libc::ENOANO => c"No anode",
        libc::EBADRQC => c"Invalid request code",
        libc::EBADSLT => c"Invalid slot",
        libc::EBFONT => c"Bad font file format",
        libc::ENOSTR => c"Device not a stream",
        libc::ENODATA => c"No data available",
        libc::ETIME => c"Timer expired",
        libc::ENOSR => c"Out of streams resources",
        libc::ENONET => c"Machine is not on the network",
        libc::ENOPKG => c"Package not installed",
        libc::EREMOTE => c"Object is remote",
        libc::ENOLINK => c"Link has been severed",
        libc::EADV => c"Advertise error",
        libc::ESRMNT => c"Srmount error",
        libc::ECOMM => c"Communication error on send",
        libc::EPROTO => c"Protocol error",
        libc::EMULTIHOP => c"Multihop attempted",
        libc::EDOTDOT => c"RFS specific error",
        libc::EBADMSG => c"Bad message",
        libc::EOVERFLOW => c"Value too large for defined data type",
        libc::ENOTUNIQ => c"Name not unique on network",
        libc::EBADFD => c"File descriptor in bad state",
        libc::EREMCHG => c"Remote address changed",
        libc::ELIBACC => c"Can not access a needed shared library",
        libc::ELIBBAD => c"Accessing a corrupted shared library",
        libc::ELIBSCN => c".lib section in a.out corrupted",
        libc::ELIBMAX => c"Attempting to link in too many shared libraries",
        libc::ELIBEXEC => c"Cannot exec a shared library directly",
        libc::EILSEQ => c"Invalid or incomplete multibyte or wide character",
        libc::ERESTART => c"Interrupted system call should be restarted",
        libc::ESTRPIPE => c"Streams pipe error",
        libc::EUSERS => c"Too many users",
        libc::ENOTSOCK => c"Socket operation on non-socket",
        libc::EDESTADDRREQ => c"Destination address required",
        libc::EMSGSIZE => c"Message too long",
        libc::EPROTOTYPE => c"Protocol wrong type for socket",
        libc::ENOPROTOOPT => c"Protocol not available",
        libc::EPROTONOSUPPORT => c"Protocol not supported",
        libc::ESOCKTNOSUPPORT => c"Socket type not supported",
        libc::ENOTSUP => c"Operation not supported",
        libc::EPFNOSUPPORT => c"Protocol family not supported",
        libc::EAFNOSUPPORT => c"Address family not supported by protocol",
        libc::EADDRINUSE => c"Address already in use",
        libc::EADDRNOTAVAIL => c"Cannot assign requested address",
        libc::ENETDOWN => c"Network is down",
        libc::ENETUNREACH => c"Network is unreachable",
        libc::ENETRESET => c"Network dropped connection on reset",
        libc::ECONNABORTED => c"Software caused connection abort",
        libc::ECONNRESET => c"Connection reset by peer",
        libc::ENOBUFS => c"No buffer space available",
        libc::EISCONN => c"Transport endpoint is already connected",
        libc::ENOTCONN => c"Transport endpoint is not connected",
        libc::ESHUTDOWN => c"Cannot send after transport endpoint shutdown",
        libc::ETOOMANYREFS => c"Too many references: cannot splice",
        libc::ETIMEDOUT => c"Connection timed out",
        libc::ECONNREFUSED => c"Connection refused",
        libc::EHOSTDOWN => c"Host is down",
        libc::EHOSTUNREACH => c"No route to host",
        libc::EALREADY => c"Operation already in progress",
        libc::EINPROGRESS => c"Operation now in progress",
        libc::ESTALE => c"Stale file handle",
        libc::EUCLEAN => c"Structure needs cleaning",
        libc::ENOTNAM => c"Not a XENIX named type file",
        libc::ENAVAIL => c"No XENIX semaphores available",
        libc::EISNAM => c"Is a named type file",
        libc::EREMOTEIO => c"Remote I/O error",
        libc::EDQUOT => c"Disk quota exceeded",
        libc::ENOMEDIUM => c"No medium found",
        libc::EMEDIUMTYPE => c"Wrong medium type",
        libc::ECANCELED => c"Operation canceled",
        libc::ENOKEY => c"Required key not available",
        libc::EKEYEXPIRED => c"Key has expired",
        libc::EKEYREVOKED => c"Key has been revoked",
        libc::EKEYREJECTED => c"Key was rejected by service",
        libc::EOWNERDEAD => c"Owner died",
        libc::ENOTRECOVERABLE => c"State not recoverable",
        libc::ERFKILL => c"Operation not possible due to RF-kill",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_codes_name_their_error() {
        assert_eq!(message(-libc::EINVAL), c"Invalid argument");
        assert_eq!(message(-libc::EBADF), c"Bad file descriptor");
    }

    #[test]
    fn zero_and_every_positive_count_are_success() {
        for count in [0, 1, libc::EINVAL, REPOLL_EPANIC, 123456, i32::MAX] {
            assert_eq!(message(count), c"Success", "{count}");
        }
    }

    #[test]
    fn every_code_has_a_message() {
        assert_eq!(message(-123456), c"Unknown error");
        assert_eq!(message(i32::MIN), c"Unknown error");
        assert!(message(-REPOLL_EPANIC)
            .to_bytes()
            .starts_with(b"Internal error"));
    }
}
