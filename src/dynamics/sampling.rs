//! The sampling policy of the driver (SPEC §2, §11, §12): which rows a step's gradient reads. Full batch, or
//! mini-batches of `b` rows from a seeded ChaCha8 stream — with replacement, or epochs of a seeded permutation —
//! with optional Gaussian label noise (least squares). Every method on a datafit ([`super::fit`] and the
//! registry's) takes it: a mini-batch run of any method on any loss is that method under this policy.

use crate::{Error, Result};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How batches are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdOptions {
    /// Batch size `b ∈ [1, n]`.
    pub batch: usize,
    /// Draw with replacement (uniform, independent) instead of epochs of a seeded permutation.
    pub replacement: bool,
    /// Standard deviation of the Gaussian label noise added to each batch's `y` (0: none).
    pub label_noise: f64,
    /// Seed of the ChaCha8 stream.
    pub seed: u64,
    /// The full risk is computed every this many steps.
    pub check_every: usize,
}

impl Default for SgdOptions {
    fn default() -> Self {
        SgdOptions { batch: 1, replacement: false, label_noise: 0.0, seed: 0, check_every: 100 }
    }
}

impl SgdOptions {
    /// Checks the options against a problem with `n` rows; errors name the option.
    pub fn validate(&self, n: usize) -> Result<()> {
        if self.batch == 0 || self.batch > n {
            return Err(Error::param("batch", format!("must be in [1, n = {n}], got {}", self.batch)));
        }
        crate::error::non_negative("label_noise", self.label_noise)?;
        if self.check_every == 0 {
            return Err(Error::param("check_every", "must be ≥ 1"));
        }
        Ok(())
    }

    /// Whether the batch gradient is the full gradient (b = n, epochs, no noise).
    pub fn is_full(&self, n: usize) -> bool {
        self.batch == n && !self.replacement && self.label_noise == 0.0
    }
}

/// The batch stream: seeded, reproducible on every machine.
#[derive(Debug, Clone)]
pub struct Sampler {
    rng: ChaCha8Rng,
    perm: Vec<usize>,
    pos: usize,
    opts: SgdOptions,
    n: usize,
}

impl Sampler {
    /// The stream for `n` rows under `opts` (seeded by `opts.seed`).
    pub fn new(n: usize, opts: SgdOptions) -> Self {
        // pos = n: the first draw shuffles.
        Sampler { rng: ChaCha8Rng::seed_from_u64(opts.seed), perm: (0..n).collect(), pos: n, opts, n }
    }
    /// A uniform index below `m` (Lemire's multiply-shift with rejection: unbiased, the same on every machine).
    fn below(&mut self, m: usize) -> usize {
        let m = m as u64;
        let threshold = m.wrapping_neg() % m; // 2⁶⁴ mod m
        loop {
            let full = (self.rng.next_u64() as u128) * (m as u128);
            if (full as u64) >= threshold {
                return (full >> 64) as usize;
            }
        }
    }
    /// Fills `batch` with the next `b` row indices and `noise` with the label noise of each.
    pub fn next(&mut self, batch: &mut Vec<usize>, noise: &mut Vec<f64>) {
        batch.clear();
        noise.clear();
        for _ in 0..self.opts.batch {
            let a = if self.opts.replacement {
                self.below(self.n)
            } else {
                if self.pos == self.n {
                    // A new epoch: Fisher–Yates on the permutation.
                    for i in (1..self.n).rev() {
                        let j = self.below(i + 1);
                        self.perm.swap(i, j);
                    }
                    self.pos = 0;
                }
                self.pos += 1;
                self.perm[self.pos - 1]
            };
            batch.push(a);
        }
        if self.opts.label_noise > 0.0 {
            for _ in 0..batch.len() {
                let z: f64 = StandardNormal.sample(&mut self.rng);
                noise.push(self.opts.label_noise * z);
            }
        }
    }
}
