//! The one source of randomness: a seeded PCG, so a `Config` fully determines the stream.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

#[derive(Debug, Clone)]
pub(crate) struct R(Pcg64Mcg);

impl R {
    pub(crate) fn new(seed: u64) -> Self {
        R(Pcg64Mcg::seed_from_u64(seed))
    }

    pub(crate) fn u64(&mut self) -> u64 {
        self.0.random()
    }

    pub(crate) fn f64(&mut self) -> f64 {
        self.0.random()
    }

    /// Uniform in `0..n`; 0 when `n` is 0 or 1.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n <= 1 { 0 } else { self.0.random_range(0..n) }
    }

    /// Uniform in `lo..=hi`; `lo` when the range is empty.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            self.0.random_range(lo..=hi)
        }
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniform element of a non-empty table.
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// An index drawn with the given integer weights.
    pub(crate) fn weighted(&mut self, w: &[u32]) -> usize {
        let total: u32 = w.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len().saturating_sub(1)
    }

    /// Exponentially distributed with the given mean (waiting times between visits).
    pub(crate) fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    /// Log-uniform in `[lo, hi]`: prices spread over orders of magnitude.
    pub(crate) fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.f64() * (hi.ln() - lo.ln())).exp()
    }

    /// `n` decimal digits (leading zeros allowed).
    pub(crate) fn digits(&mut self, s: &mut String, n: usize) {
        for _ in 0..n {
            s.push(char::from(b'0' + self.below(10) as u8));
        }
    }

    /// `n` upper-case letters.
    pub(crate) fn letters(&mut self, s: &mut String, n: usize) {
        for _ in 0..n {
            s.push(char::from(b'A' + self.below(26) as u8));
        }
    }
}
