//! Sources of choices: a seeded PRNG for the test, the input bytes for the
//! fuzzer.

/// Where the generator's decisions come from.
pub trait Choices {
    /// Any 64-bit value.
    fn u64(&mut self) -> u64;
    /// A value in `0..n` (`n > 0`).
    fn below(&mut self, n: u32) -> u32;
    /// True once a finite source has run out (the generator then stops).
    fn exhausted(&self) -> bool;
    /// True with probability `pct` percent.
    fn chance(&mut self, pct: u32) -> bool {
        self.below(100) < pct
    }
    /// One element of a non-empty slice.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// splitmix64 (Steele, Lea, Flood 2014; the reference constants as in
/// `java.util.SplittableRandom`): the state advances by 0x9E3779B97F4A7C15,
/// the output is the state through the two multiply-xorshift rounds.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Choices for SplitMix64 {
    fn u64(&mut self) -> u64 {
        self.next_u64()
    }
    fn below(&mut self, n: u32) -> u32 {
        // Lemire's multiply-shift on the high 32 bits: no modulo bias worth
        // caring about, and deterministic.
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
    fn exhausted(&self) -> bool {
        false
    }
}

/// Decisions read from fuzzer input; zeros once the bytes run out.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// A source reading `data` front to back.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0 }
    }
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
}

impl Choices for Bytes<'_> {
    fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        for i in 0..8 {
            v |= u64::from(self.byte()) << (8 * i);
        }
        v
    }
    fn below(&mut self, n: u32) -> u32 {
        if n <= 256 {
            u32::from(self.byte()) % n
        } else {
            let v = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]);
            v % n
        }
    }
    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}
