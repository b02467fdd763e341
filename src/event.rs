//! The event record and the in-place conversion from the kernel's layout.
//!
//! `struct epoll_event` is 12 packed bytes on x86-64 and 16 aligned bytes
//! elsewhere, with `events` first. [`Event`] is 16 naturally aligned bytes on
//! every architecture with `data` first, so bindings never need to know.
//! The kernel writes straight into the caller's `Event` array and the records
//! are widened in place: no second buffer, no allocation, no cap on length.

use std::mem::size_of;

/// One readiness report: the registration's data and what is ready.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Event {
    /// The 64-bit value given at registration, returned unchanged.
    pub data: u64,
    /// What is ready: kernel bits (IN, OUT, HUP, …) for an fd, or the WAKE,
    /// TIMER or SIGNAL bit for one of the library's sources.
    pub events: u32,
    /// Always zero; keeps the record 16 bytes on every architecture.
    pub reserved: u32,
}

const _: () = assert!(size_of::<Event>() == 16 && std::mem::align_of::<Event>() == 8);
// The in-place widening below needs the kernel record to be no larger.
const _: () = assert!(size_of::<libc::epoll_event>() <= size_of::<Event>());

/// The largest count the kernel takes in one wait (`EP_MAX_EVENTS`).
pub(crate) const KERNEL_MAX_EVENTS: usize = i32::MAX as usize / size_of::<libc::epoll_event>();

/// Views the caller's buffer as room for kernel records, and how many fit
/// (clamped to what the kernel accepts in one call).
pub(crate) fn as_kernel_buffer(events: &mut [Event]) -> (*mut libc::epoll_event, libc::c_int) {
    let len = events.len().min(KERNEL_MAX_EVENTS);
    (events.as_mut_ptr().cast(), len as libc::c_int)
}

/// Rewrites the first `n` kernel records in `events` (as the kernel left them
/// through [`as_kernel_buffer`]) into `Event`s, and reports whether any of
/// them carries a `data` in `internal` (a token of the library's own).
///
/// Walks backwards: record `i` of the kernel layout starts at or before
/// record `i` of ours, so writing `Event` `i` only overwrites kernel records
/// at index `>= i`, which have already been converted.
pub(crate) fn widen(events: &mut [Event], n: usize, internal: std::ops::Range<u64>) -> bool {
    assert!(n <= events.len());
    let base = events.as_mut_ptr();
    let kernel = base.cast::<libc::epoll_event>();
    // One subtraction and compare per event tells the library's tokens apart.
    let (first, span) = (internal.start, internal.end.wrapping_sub(internal.start));
    let mut seen_internal = false;
    for i in (0..n).rev() {
        // SAFETY: i < n <= events.len(), so kernel record i lies inside the
        // buffer (kernel records are no larger than ours); it is read whole
        // before Event i is written, and read unaligned because the kernel
        // layout is packed on x86-64. Every bit pattern is a valid record.
        let k = unsafe { kernel.add(i).read_unaligned() };
        let (data, bits) = (k.u64, k.events);
        if data.wrapping_sub(first) < span {
            seen_internal = true;
        }
        // `events` and the zero `reserved` as one 8-byte word: two stores per
        // record instead of three.
        let tail = if cfg!(target_endian = "little") {
            bits as u64
        } else {
            (bits as u64) << 32
        };
        // SAFETY: i < events.len(); Event i overlaps only kernel records >= i,
        // all already read (see above). Event is two naturally aligned u64
        // words (data, then events and reserved), so this writes a valid one.
        unsafe { base.add(i).cast::<[u64; 2]>().write([data, tail]) };
    }
    seen_internal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel_fill(buf: &mut [Event], recs: &[(u32, u64)]) {
        let (p, cap) = as_kernel_buffer(buf);
        assert!(recs.len() <= cap as usize);
        for (i, &(events, data)) in recs.iter().enumerate() {
            let rec = libc::epoll_event { events, u64: data };
            // SAFETY: i < cap, the buffer holds cap kernel records.
            unsafe { p.add(i).write_unaligned(rec) };
        }
    }

    #[test]
    fn widening_keeps_every_record_and_bit() {
        let recs: Vec<(u32, u64)> = (0..37u64)
            .map(|i| (i as u32 | 0x8000_0000, !i ^ (i << 40)))
            .collect();
        let mut buf = vec![Event::default(); 40];
        kernel_fill(&mut buf, &recs);
        assert!(!widen(&mut buf, recs.len(), 0..0));
        for (e, &(bits, data)) in buf.iter().zip(&recs) {
            assert_eq!((e.events, e.data, e.reserved), (bits, data, 0));
        }
    }

    #[test]
    fn widening_reports_internal_tokens() {
        let mut buf = vec![Event::default(); 4];
        kernel_fill(&mut buf, &[(1, 5), (1, 1000), (1, 7)]);
        assert!(widen(&mut buf, 3, 1000..1008));
        assert_eq!(buf[1].data, 1000);
    }
}
