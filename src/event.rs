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
/// Works backwards: record `i` of the kernel layout starts at or before
/// record `i` of ours, so writing `Event` `i` only overwrites kernel records
/// at index `>= i`, which have already been read. On x86-64 with AVX2
/// (detected at run time) eight records at a time; elsewhere, and for the
/// few records left over, one at a time.
#[inline(always)]
pub(crate) fn widen(events: &mut [Event], n: usize, internal: std::ops::Range<u64>) -> bool {
    assert!(n <= events.len());
    if n <= 1 {
        // One event per wait, the common case of a lightly loaded loop: no
        // loop, no dispatch.
        return n == 1 && widen_one(events, internal);
    }
    #[cfg(target_arch = "x86_64")]
    if n >= avx2::BLOCK && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected; n <= events.len() was checked.
        return unsafe { avx2::widen(events, n, internal) };
    }
    widen_scalar(events, 0..n, internal)
}

/// `events` and the zero `reserved` as one 8-byte word: two stores per
/// record instead of three.
#[inline(always)]
fn tail_word(bits: u32) -> u64 {
    if cfg!(target_endian = "little") {
        bits as u64
    } else {
        (bits as u64) << 32
    }
}

/// Widens the first record of a non-empty `events`.
#[inline(always)]
fn widen_one(events: &mut [Event], internal: std::ops::Range<u64>) -> bool {
    let first = events.as_mut_ptr();
    // SAFETY: `events` is not empty; the kernel record at its front lies
    // inside it (no larger than an Event) and is read whole, unaligned,
    // before the Event is written over it; every bit pattern is valid.
    let k = unsafe { first.cast::<libc::epoll_event>().read_unaligned() };
    let (data, bits) = (k.u64, k.events);
    // SAFETY: as above; Event 0 is two aligned u64 words (see
    // `widen_scalar` for the layout of the second).
    unsafe { first.cast::<[u64; 2]>().write([data, tail_word(bits)]) };
    data.wrapping_sub(internal.start) < internal.end.wrapping_sub(internal.start)
}

/// The scalar widening of the records in `range` (all below `events.len()`),
/// from the last to the first. Records below `range.start` are left alone.
/// Inlined: with one event per wait it is a handful of instructions, less
/// than a call.
#[inline(always)]
fn widen_scalar(
    events: &mut [Event],
    range: std::ops::Range<usize>,
    internal: std::ops::Range<u64>,
) -> bool {
    assert!(range.end <= events.len());
    let base = events.as_mut_ptr();
    let kernel = base.cast::<libc::epoll_event>();
    // One subtraction and compare per event tells the library's tokens apart.
    let (first, span) = (internal.start, internal.end.wrapping_sub(internal.start));
    let mut seen_internal = false;
    for i in range.rev() {
        // SAFETY: i < events.len(), so kernel record i lies inside the
        // buffer (kernel records are no larger than ours); it is read whole
        // before Event i is written, and read unaligned because the kernel
        // layout is packed on x86-64. Every bit pattern is a valid record.
        let k = unsafe { kernel.add(i).read_unaligned() };
        let (data, bits) = (k.u64, k.events);
        if data.wrapping_sub(first) < span {
            seen_internal = true;
        }
        let tail = tail_word(bits);
        // SAFETY: i < events.len(); Event i overlaps only kernel records >= i,
        // all already read (see above). Event is two naturally aligned u64
        // words (data, then events and reserved), so this writes a valid one.
        unsafe { base.add(i).cast::<[u64; 2]>().write([data, tail]) };
    }
    seen_internal
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! Eight records per step: four 32-byte loads (two 12-byte kernel
    //! records each), a dword permutation that puts each record's data first
    //! and its events third, a blend that zeroes `reserved`, four stores; the
    //! eight data words are checked against the library's tokens with one
    //! subtract and one signed compare per four.

    use super::{widen_scalar, Event};
    use std::arch::x86_64::*;

    pub(super) const BLOCK: usize = 8;
    const KERNEL_RECORD: usize = 12;

    /// # Safety
    /// The CPU has AVX2, and `n <= events.len()`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn widen(
        events: &mut [Event],
        n: usize,
        internal: std::ops::Range<u64>,
    ) -> bool {
        let blocks = n / BLOCK;
        // Four records left over above the whole blocks are a half block.
        let half = (n % BLOCK >= BLOCK / 2).then_some(blocks * BLOCK);
        // The records above those first: they lie above every block's
        // kernel bytes and Events.
        let scalar_from = blocks * BLOCK + if half.is_some() { BLOCK / 2 } else { 0 };
        let mut seen = widen_scalar(events, scalar_from..n, internal.clone());
        let base = events.as_mut_ptr().cast::<u8>();
        let (first, span) = (internal.start, internal.end.wrapping_sub(internal.start));
        // SAFETY: AVX2 is present (the caller's promise). Pair p of block i
        // reads 32 bytes from kernel record i + 2p: 12 (i + 2p) + 32 <=
        // 12 (i + 8) + 8 <= 16 (i + 8) <= 16 n, inside the buffer (for the
        // half block, 12 (i + 2) + 32 <= 16 (i + 4) <= 16 n). Bytes past the
        // block's last record belong to records already converted, or not
        // yet overwritten; they land in lanes that are zeroed. The stores
        // write the block's Events, bytes [16 i, 16 i + 16 k) for k records:
        // above the kernel bytes of every record below i, and after all the
        // block's loads.
        unsafe {
            // Per 32-bit lane, from two kernel records (dwords 0-2 and 3-5 of
            // the load): data low, data high, events, anything (zeroed).
            let order = _mm256_setr_epi32(1, 2, 0, 0, 4, 5, 3, 3);
            let zero = _mm256_setzero_si256();
            // Unsigned `data - first < span` as a signed compare: subtracting
            // `first - 2^63` instead of `first` flips the sign bit.
            let bias = _mm256_set1_epi64x(first.wrapping_sub(1 << 63) as i64);
            let limit = _mm256_set1_epi64x((span ^ (1 << 63)) as i64);
            let mut hits = zero;
            macro_rules! load {
                ($i:expr, $p:expr) => {
                    _mm256_loadu_si256(base.add(($i + 2 * $p) * KERNEL_RECORD).cast::<__m256i>())
                };
            }
            macro_rules! widened {
                ($k:expr) => {
                    _mm256_blend_epi32::<0b1000_1000>(_mm256_permutevar8x32_epi32($k, order), zero)
                };
            }
            macro_rules! check {
                ($x:expr, $y:expr) => {
                    // The data words of four records, gathered by one
                    // instruction: written as `asm!` because the compiler
                    // otherwise rebuilds them from the loads with three.
                    let data: __m256i;
                    std::arch::asm!(
                        "vpunpcklqdq {d}, {x}, {y}",
                        d = lateout(ymm_reg) data,
                        x = in(ymm_reg) $x,
                        y = in(ymm_reg) $y,
                        options(pure, nomem, nostack, preserves_flags),
                    );
                    let offset = _mm256_sub_epi64(data, bias);
                    hits = _mm256_or_si256(hits, _mm256_cmpgt_epi64(limit, offset));
                };
            }
            if let Some(i) = half {
                let (k0, k1) = (load!(i, 0), load!(i, 1));
                let (e0, e1) = (widened!(k0), widened!(k1));
                let out = base.add(i * 16).cast::<__m256i>();
                _mm256_storeu_si256(out, e0);
                _mm256_storeu_si256(out.add(1), e1);
                check!(e0, e1);
            }
            for b in (0..blocks).rev() {
                let i = b * BLOCK;
                let (k0, k1, k2, k3) = (load!(i, 0), load!(i, 1), load!(i, 2), load!(i, 3));
                let (e0, e1, e2, e3) = (widened!(k0), widened!(k1), widened!(k2), widened!(k3));
                let out = base.add(i * 16).cast::<__m256i>();
                _mm256_storeu_si256(out, e0);
                _mm256_storeu_si256(out.add(1), e1);
                _mm256_storeu_si256(out.add(2), e2);
                _mm256_storeu_si256(out.add(3), e3);
                check!(e0, e1);
                check!(e2, e3);
            }
            seen |= _mm256_movemask_pd(_mm256_castsi256_pd(hits)) != 0;
        }
        seen
    }
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

    /// Every path (scalar, and AVX2 where the CPU has it) on every length up
    /// to a few blocks, with a token of the library's at each position in
    /// turn, and none.
    #[test]
    fn every_widening_path_keeps_records_and_finds_tokens_anywhere() {
        type Widen = fn(&mut [Event], usize, std::ops::Range<u64>) -> bool;
        let mut paths: Vec<(&str, Widen)> = vec![
            ("scalar", |ev, n, internal| widen_scalar(ev, 0..n, internal)),
            ("dispatching", widen),
        ];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected; the closure is only called with
            // n <= events.len().
            paths.push(("avx2", |ev, n, internal| unsafe {
                avx2::widen(ev, n, internal)
            }));
        }
        let tokens = 0x7f00_0000_1000u64..0x7f00_0000_1030;
        for (name, path) in paths {
            for n in 0..=35usize {
                for token_at in (0..n).map(Some).chain([None]) {
                    let recs: Vec<(u32, u64)> = (0..n as u64)
                        .map(|i| {
                            let data = match token_at {
                                Some(t) if t as u64 == i => tokens.start + 8,
                                // Just outside the range on both sides, and
                                // values whose high bit is set.
                                _ => [tokens.start - 1, tokens.end, !i, i << 40][i as usize % 4],
                            };
                            (0x8000_0001 | (i as u32) << 8, data)
                        })
                        .collect();
                    let mut buf = vec![Event::default(); n + 3];
                    kernel_fill(&mut buf, &recs);
                    let found = path(&mut buf, n, tokens.clone());
                    assert_eq!(
                        found,
                        token_at.is_some(),
                        "{name}: n {n}, token at {token_at:?}"
                    );
                    for (i, (e, &(bits, data))) in buf.iter().zip(&recs).enumerate() {
                        assert_eq!(
                            (e.data, e.events, e.reserved),
                            (data, bits, 0),
                            "{name}: n {n}, record {i}"
                        );
                    }
                }
            }
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
