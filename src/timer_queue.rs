//! The timer queue: a 4-ary min-heap of deadlines over a slab of timers.
//!
//! Pure data structure, no clock and no system calls. A timer costs 16 bytes
//! in the heap plus 24 in the slab; add, cancel and each expiry are
//! O(log n). Ids carry the slab index and a generation that is odd while the
//! timer is live, so a stale id is detected and ids are never reused (a slot
//! whose generation would wrap is retired instead of recycled).

/// Heap arity: 4 halves the depth of a binary heap and keeps a node's
/// children in one cache line.
const ARITY: usize = 4;
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    deadline: u64,
    slot: u32,
}

#[derive(Debug)]
struct Slot {
    interval: u64,
    data: u64,
    /// Odd while live; even while free.
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
    /// (0: once). Returns its id, or `None` when memory is exhausted (or, in
    /// theory, 2^32 - 1 timers are live).
    pub(crate) fn insert(&mut self, deadline: u64, interval: u64, data: u64) -> Option<u64> {
        // Reserve first so that a failed allocation is reported, not aborted
        // on, and leaves the queue unchanged.
        self.heap.try_reserve(1).ok()?;
        if self.free == NONE {
            self.slots.try_reserve(1).ok()?;
        }
        let slot = if self.free != NONE {
            let slot = self.free;
            let s = &mut self.slots[slot as usize];
            self.free = s.link;
            s.generation += 1;
            s.interval = interval;
            s.data = data;
            slot
        } else {
            let slot = u32::try_from(self.slots.len())
                .ok()
                .filter(|&s| s != NONE)?;
            self.slots.push(Slot {
                interval,
                data,
                generation: 1,
                link: NONE,
            });
            slot
        };
        let pos = self.heap.len();
        self.heap.push(Entry { deadline, slot });
        self.slots[slot as usize].link = pos as u32;
        self.sift_up(pos);
        Some(Self::id(self.slots[slot as usize].generation, slot))
    }

    /// Cancels a live timer; false for an unknown, fired or cancelled id.
    pub(crate) fn cancel(&mut self, id: u64) -> bool {
        let (generation, slot) = ((id >> 32) as u32, id as u32);
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
        let s = &self.slots[top.slot as usize];
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
                self.heap[0].deadline = next;
                self.sift_down(0);
            }
        }
        Some(fired)
    }

    fn id(generation: u32, slot: u32) -> u64 {
        (generation as u64) << 32 | slot as u64
    }

    fn release(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.generation += 1; // even: free
        if s.generation < u32::MAX - 1 {
            s.link = self.free;
            self.free = slot;
        } // else retired: its next id would reuse an old one
    }

    fn remove_at(&mut self, pos: usize) {
        let last = self.heap.pop().expect("remove_at on a live entry");
        if pos < self.heap.len() {
            self.heap[pos] = last;
            self.slots[last.slot as usize].link = pos as u32;
            self.sift_up(pos);
            self.sift_down(self.slots[last.slot as usize].link as usize);
        }
    }

    fn place(&mut self, pos: usize, e: Entry) {
        self.heap[pos] = e;
        self.slots[e.slot as usize].link = pos as u32;
    }

    fn sift_up(&mut self, mut pos: usize) {
        let e = self.heap[pos];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            if self.heap[parent].deadline <= e.deadline {
                break;
            }
            self.place(pos, self.heap[parent]);
            pos = parent;
        }
        self.place(pos, e);
    }

    fn sift_down(&mut self, mut pos: usize) {
        let e = self.heap[pos];
        let len = self.heap.len();
        loop {
            let first = pos * ARITY + 1;
            if first >= len {
                break;
            }
            let end = (first + ARITY).min(len);
            let mut best = first;
            for c in first + 1..end {
                if self.heap[c].deadline < self.heap[best].deadline {
                    best = c;
                }
            }
            if self.heap[best].deadline >= e.deadline {
                break;
            }
            self.place(pos, self.heap[best]);
            pos = best;
        }
        self.place(pos, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so failures reproduce.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

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
    fn fired_one_shot_ids_are_unknown_and_never_reused() {
        let mut q = TimerQueue::new();
        let a = q.insert(1, 0, 1).unwrap();
        assert!(q.pop_expired(1).is_some());
        assert!(!q.cancel(a));
        let b = q.insert(1, 0, 2).unwrap();
        assert_ne!(a, b); // same slot, new generation
        assert_eq!(a as u32, b as u32);
        assert!(!q.cancel(a));
        assert!(q.cancel(b));
        assert!(!q.cancel(0) && !q.cancel(u64::MAX));
    }

    #[test]
    fn a_slot_about_to_wrap_its_generation_is_retired() {
        let mut q = TimerQueue::new();
        let a = q.insert(1, 0, 1).unwrap();
        q.slots[0].generation = u32::MAX - 2; // odd: live
        let stale = TimerQueue::id(u32::MAX - 2, 0);
        assert!(q.cancel(stale));
        let b = q.insert(1, 0, 2).unwrap();
        assert_ne!(b as u32, a as u32, "the retired slot is not recycled");
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
