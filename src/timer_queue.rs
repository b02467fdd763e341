//! The timer queue: a 4-ary min-heap of deadlines over a slab of timers.
//!
//! Pure data structure, no clock and no system calls. A timer costs 16 bytes
//! in the heap plus 24 in the slab; add, cancel and each expiry are
//! O(log n), with no allocation beyond the two arrays.
//!
//! Every heap entry names a slab slot, and a live slot holds its entry's heap
//! position (`link`), so cancel finds its entry in O(1). The hot loops index
//! both arrays through raw pointers: a sift runs about ten levels, and the
//! bounds checks were a third of its instructions. The two invariants they
//! rely on are the structure's own: positions stay below `heap.len()`, and
//! every entry's slot is below `slots.len()` (slots are never removed).
//!
//! Ids (see [`id`]) carry the slot and its generation, which is odd while the
//! timer is live, so a stale id is detected and ids are never reused: a slot
//! whose generation would leave the id range is retired instead of recycled.

/// Heap arity: 4 halves the depth of a binary heap and keeps a node's
/// children in one cache line.
const ARITY: usize = 4;
const NONE: u32 = u32::MAX;

/// Timer ids: positive, below 2^53 (exact in a double, so JavaScript and Lua
/// numbers hold them), and never reused while the queue lives.
///
/// An id is `generation << (5 + w) | slot << 5 | w`, where `w` is the bit
/// width of the slot index (0 for slot 0). The width field makes the code
/// prefix-free, so distinct (generation, slot) pairs give distinct ids, and
/// a small slot index leaves more bits to its generation: slot 0 can be
/// reused 2^31 times (its generation is a u32), slot 2^20 2^27 times. When a
/// slot's generation reaches what its id bits hold, the slot is retired for
/// good, costing 24 bytes once every 2^17 or more reuses of one slot.
mod id {
    const WIDTH_BITS: u32 = 5;
    const ID_BITS: u32 = 53;
    /// Slot indexes stay below this, so a width fits `WIDTH_BITS` (at most 31).
    pub(super) const MAX_SLOTS: usize = 1 << 31;

    fn width(slot: u32) -> u32 {
        u32::BITS - slot.leading_zeros()
    }

    /// The largest generation `slot` may carry with its id below 2^53.
    pub(super) fn max_generation(slot: u32) -> u32 {
        let bits = ID_BITS - WIDTH_BITS - width(slot);
        if bits >= u32::BITS {
            u32::MAX
        } else {
            (1 << bits) - 1
        }
    }

    pub(super) fn encode(generation: u32, slot: u32) -> u64 {
        let w = width(slot);
        (generation as u64) << (WIDTH_BITS + w) | (slot as u64) << WIDTH_BITS | w as u64
    }

    /// The (generation, slot) an id was made from, or `None` if no slot of
    /// fewer than 2^31 could have made it.
    pub(super) fn decode(id: u64) -> Option<(u32, u32)> {
        let w = (id & ((1 << WIDTH_BITS) - 1)) as u32;
        let slot = ((id >> WIDTH_BITS) & ((1 << w) - 1)) as u32;
        let generation = u32::try_from(id >> (WIDTH_BITS + w)).ok()?;
        (width(slot) == w).then_some((generation, slot))
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    deadline: u64,
    slot: u32,
}

#[derive(Debug)]
struct Slot {
    interval: u64,
    data: u64,
    /// Odd while live; even while free; 0 once retired.
    generation: u32,
    /// Heap index while live; next free slot (or NONE) while free.
    link: u32,
}

/// An expired timer, as reported to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Expired {
    pub(crate) data: u64,
    pub(crate) deadline: u64,
}

#[derive(Debug)]
pub(crate) struct TimerQueue {
    heap: Vec<Entry>,
    slots: Vec<Slot>,
    free: u32,
}

impl TimerQueue {
    pub(crate) fn new() -> TimerQueue {
        TimerQueue {
            heap: Vec::new(),
            slots: Vec::new(),
            free: NONE,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
    }

    /// The earliest deadline, if any timer is live.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.heap.first().map(|e| e.deadline)
    }

    /// Adds a timer due at `deadline` (ns), repeating every `interval` ns
    /// (0: once). Returns its id, or `None` when memory is exhausted (or
    /// 2^31 slots exist).
    pub(crate) fn insert(&mut self, deadline: u64, interval: u64, data: u64) -> Option<u64> {
        // Reserve first so that a failed allocation is reported, not aborted
        // on, and leaves the queue unchanged.
        self.heap.try_reserve(1).ok()?;
        let slot = if self.free != NONE {
            let slot = self.free;
            let s = &mut self.slots[slot as usize];
            self.free = s.link;
            s.generation += 1; // odd: live
            s.interval = interval;
            s.data = data;
            slot
        } else {
            if self.slots.len() >= id::MAX_SLOTS {
                return None;
            }
            self.slots.try_reserve(1).ok()?;
            self.slots.push(Slot {
                interval,
                data,
                generation: 1,
                link: NONE,
            });
            (self.slots.len() - 1) as u32
        };
        let generation = self.slots[slot as usize].generation;
        let pos = self.heap.len();
        self.heap.push(Entry { deadline, slot });
        self.sift_up(pos, Entry { deadline, slot });
        Some(id::encode(generation, slot))
    }

    /// Cancels a live timer; false for an unknown, fired or cancelled id.
    pub(crate) fn cancel(&mut self, id: u64) -> bool {
        let Some((generation, slot)) = id::decode(id) else {
            return false;
        };
        match self.slots.get(slot as usize) {
            Some(s) if s.generation == generation && generation % 2 == 1 => {
                let pos = s.link as usize;
                self.remove_at(pos);
                self.release(slot);
                true
            }
            _ => false,
        }
    }

    /// Takes the earliest timer if it is due at `now`. A repeating timer is
    /// re-armed from its schedule (deadline + k * interval, the first such
    /// point after `now`), so it never drifts and a late wake-up skips the
    /// missed periods instead of reporting a burst.
    pub(crate) fn pop_expired(&mut self, now: u64) -> Option<Expired> {
        let top = *self.heap.first()?;
        if top.deadline > now {
            return None;
        }
        // SAFETY: every heap entry's slot is a slab index.
        let s = unsafe { self.slots.get_unchecked(top.slot as usize) };
        let fired = Expired {
            data: s.data,
            deadline: top.deadline,
        };
        match (now - top.deadline).checked_div(s.interval) {
            None => {
                // A one-shot timer (interval 0) is done.
                self.remove_at(0);
                self.release(top.slot);
            }
            Some(missed) => {
                let next = top
                    .deadline
                    .saturating_add((missed + 1).saturating_mul(s.interval));
                self.sift_down(
                    0,
                    Entry {
                        deadline: next,
                        slot: top.slot,
                    },
                );
            }
        }
        Some(fired)
    }

    /// Frees a slot whose timer left the heap, or retires it when its next
    /// generation would not fit an id.
    fn release(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        if s.generation < id::max_generation(slot) - 1 {
            s.generation += 1; // even: free
            s.link = self.free;
            self.free = slot;
        } else {
            s.generation = 0; // retired: its next id would leave the range
        }
    }

    /// Removes the entry at `pos` (< len) by moving the last one into it.
    fn remove_at(&mut self, pos: usize) {
        let Some(last) = self.heap.pop() else { return };
        if pos >= self.heap.len() {
            return; // it was the last
        }
        let parent_later = pos > 0 && {
            // SAFETY: (pos - 1) / ARITY < pos < heap.len().
            unsafe { self.heap.get_unchecked((pos - 1) / ARITY) }.deadline > last.deadline
        };
        if parent_later {
            self.sift_up(pos, last);
        } else {
            self.sift_down(pos, last);
        }
    }

    /// Puts `e` in the hole at `pos` (< len) and moves it toward the root
    /// past every later parent, recording each moved entry's position.
    fn sift_up(&mut self, mut pos: usize, e: Entry) {
        debug_assert!(pos < self.heap.len());
        let heap = self.heap.as_mut_ptr();
        let slots = self.slots.as_mut_ptr();
        // SAFETY: pos < heap.len() and parents are smaller indexes; every
        // entry's slot (e's included) is a slab index.
        unsafe {
            while pos > 0 {
                let parent = (pos - 1) / ARITY;
                let p = *heap.add(parent);
                if p.deadline <= e.deadline {
                    break;
                }
                *heap.add(pos) = p;
                (*slots.add(p.slot as usize)).link = pos as u32;
                pos = parent;
            }
            *heap.add(pos) = e;
            (*slots.add(e.slot as usize)).link = pos as u32;
        }
    }

    /// Puts `e` in the hole at `pos` (< len) and moves it toward the leaves
    /// past every earlier child, recording each moved entry's position.
    fn sift_down(&mut self, mut pos: usize, e: Entry) {
        let len = self.heap.len();
        debug_assert!(pos < len);
        let heap = self.heap.as_mut_ptr();
        let slots = self.slots.as_mut_ptr();
        // SAFETY: children are read only below `len`, and the hole moves
        // only to a child read that way; every entry's slot (e's included)
        // is a slab index. pos * ARITY + ARITY cannot overflow: len entries
        // of 16 bytes fit the address space.
        unsafe {
            loop {
                let first = pos * ARITY + 1;
                if first >= len {
                    break;
                }
                let (best, due) = if first + ARITY <= len {
                    // A full node (all but the last): a tournament, whose
                    // two first rounds are independent and branch-free.
                    let d = |c: usize| (*heap.add(c)).deadline;
                    let a = pick((first, d(first)), (first + 1, d(first + 1)));
                    let b = pick((first + 2, d(first + 2)), (first + 3, d(first + 3)));
                    pick(a, b)
                } else {
                    let mut best = (first, (*heap.add(first)).deadline);
                    for c in first + 1..len {
                        best = pick(best, (c, (*heap.add(c)).deadline));
                    }
                    best
                };
                if due >= e.deadline {
                    break;
                }
                let b = *heap.add(best);
                *heap.add(pos) = b;
                (*slots.add(b.slot as usize)).link = pos as u32;
                pos = best;
            }
            *heap.add(pos) = e;
            (*slots.add(e.slot as usize)).link = pos as u32;
        }
    }
}

/// The earlier of two (position, deadline) pairs; the first on a tie.
#[inline(always)]
fn pick(x: (usize, u64), y: (usize, u64)) -> (usize, u64) {
    if y.1 < x.1 {
        y
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A small deterministic generator, so failures reproduce.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    const ID_LIMIT: u64 = 1 << 53;

    #[test]
    fn expires_in_deadline_order() {
        let mut q = TimerQueue::new();
        let mut seed = 7;
        let mut deadlines: Vec<u64> = (0..5000).map(|_| lcg(&mut seed) % 100_000).collect();
        for (i, &d) in deadlines.iter().enumerate() {
            q.insert(d, 0, i as u64).unwrap();
        }
        deadlines.sort();
        let mut got = Vec::new();
        while let Some(e) = q.pop_expired(u64::MAX) {
            got.push(e.deadline);
        }
        assert_eq!(got, deadlines);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn nothing_expires_early() {
        let mut q = TimerQueue::new();
        q.insert(100, 0, 1).unwrap();
        assert_eq!(q.pop_expired(99), None);
        assert_eq!(
            q.pop_expired(100),
            Some(Expired {
                data: 1,
                deadline: 100
            })
        );
    }

    #[test]
    fn cancel_removes_exactly_that_timer() {
        let mut q = TimerQueue::new();
        let mut seed = 11;
        let ids: Vec<(u64, u64)> = (0..2000)
            .map(|i| {
                let d = lcg(&mut seed) % 1000;
                (q.insert(d, 0, i).unwrap(), i)
            })
            .collect();
        let mut live = std::collections::BTreeSet::new();
        for &(id, data) in &ids {
            if data % 3 == 0 {
                assert!(q.cancel(id));
                assert!(!q.cancel(id), "a second cancel is unknown");
            } else {
                live.insert(data);
            }
        }
        let mut last = 0;
        while let Some(e) = q.pop_expired(u64::MAX) {
            assert!(e.deadline >= last);
            last = e.deadline;
            assert!(live.remove(&e.data));
        }
        assert!(live.is_empty());
    }

    #[test]
    fn interleaved_adds_cancels_and_expiries_keep_heap_order() {
        let mut q = TimerQueue::new();
        let mut seed = 3;
        let mut live: Vec<(u64, u64)> = Vec::new(); // (id, deadline)
        let mut now = 0;
        for round in 0..20_000u64 {
            match lcg(&mut seed) % 4 {
                0 | 1 => {
                    let d = now + lcg(&mut seed) % 5000;
                    live.push((q.insert(d, 0, round).unwrap(), d));
                }
                2 if !live.is_empty() => {
                    let i = (lcg(&mut seed) as usize) % live.len();
                    assert!(q.cancel(live.swap_remove(i).0));
                }
                _ => {
                    now += 100;
                    while let Some(e) = q.pop_expired(now) {
                        let i = live.iter().position(|&(_, d)| d == e.deadline).unwrap();
                        assert!(live[i].1 <= now);
                        live.swap_remove(i);
                    }
                    assert!(live.iter().all(|&(_, d)| d > now), "a due timer was left");
                }
            }
            assert_eq!(q.len(), live.len());
        }
    }

    #[test]
    fn fired_one_shot_ids_are_unknown_and_never_reused() {
        let mut q = TimerQueue::new();
        let a = q.insert(1, 0, 1).unwrap();
        assert!(q.pop_expired(1).is_some());
        assert!(!q.cancel(a));
        let b = q.insert(1, 0, 2).unwrap();
        assert_ne!(a, b); // same slot, new generation
        assert_eq!(id::decode(a).unwrap().1, id::decode(b).unwrap().1);
        assert!(!q.cancel(a));
        assert!(q.cancel(b));
        assert!(!q.cancel(0) && !q.cancel(u64::MAX) && !q.cancel(1 << 32));
    }

    #[test]
    fn ids_are_positive_below_2_to_53_and_unique_over_two_million_cycles() {
        let mut q = TimerQueue::new();
        let mut seen = HashSet::new();
        let mut live = Vec::new();
        let mut seed = 5;
        for i in 0..2_000_000u64 {
            // Between 0 and ~3000 live timers, so low and higher slots churn.
            let id = q.insert(lcg(&mut seed) % 1000, 0, i).unwrap();
            assert!(id > 0 && id < ID_LIMIT, "id {id:#x}");
            assert!(seen.insert(id), "id {id:#x} reused");
            live.push(id);
            if lcg(&mut seed) % 1000 < 500 + live.len() as u64 / 6 {
                let k = (lcg(&mut seed) as usize) % live.len();
                assert!(q.cancel(live.swap_remove(k)));
            }
        }
    }

    #[test]
    fn every_slot_keeps_its_ids_below_2_to_53() {
        for slot in [0u32, 1, 2, 3, 1 << 16, (1 << 20) + 5, (1 << 31) - 1] {
            let top = id::encode(id::max_generation(slot), slot);
            assert!(top < ID_LIMIT, "slot {slot}: {top:#x}");
            assert_eq!(id::decode(top), Some((id::max_generation(slot), slot)));
            assert_eq!(id::decode(id::encode(1, slot)), Some((1, slot)));
        }
        // An id whose width field does not match its slot was never issued.
        assert_eq!(id::decode(3), None);
    }

    #[test]
    fn a_slot_at_its_last_generation_is_retired() {
        let mut q = TimerQueue::new();
        let a = q.insert(1, 0, 1).unwrap();
        let last = id::max_generation(0);
        q.slots[0].generation = last; // odd: live
        let stale = id::encode(last, 0);
        assert!(q.cancel(stale));
        assert!(!q.cancel(a));
        let b = q.insert(1, 0, 2).unwrap();
        assert_eq!(
            id::decode(b),
            Some((1, 1)),
            "the retired slot is not recycled"
        );
    }

    #[test]
    fn intervals_rearm_from_the_schedule_without_drift() {
        let mut q = TimerQueue::new();
        q.insert(1000, 100, 9).unwrap();
        // Reported late (at 1030): the next expiry stays on the grid.
        assert_eq!(q.pop_expired(1030).unwrap().deadline, 1000);
        assert_eq!(q.next_deadline(), Some(1100));
        // Very late (at 1450): the missed periods are skipped, not replayed.
        assert_eq!(q.pop_expired(1450).unwrap().deadline, 1100);
        assert_eq!(q.next_deadline(), Some(1500));
        assert_eq!(q.pop_expired(1450), None);
    }

    #[test]
    fn huge_deadlines_saturate_instead_of_wrapping() {
        let mut q = TimerQueue::new();
        q.insert(u64::MAX - 5, u64::MAX, 1).unwrap();
        assert!(q.pop_expired(u64::MAX).is_some());
        assert_eq!(q.next_deadline(), Some(u64::MAX));
    }

    #[test]
    fn entries_stay_small() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        assert_eq!(std::mem::size_of::<Slot>(), 24);
    }
}
