//! Seeded generators (ChaCha8, `rand_chacha`) with the presets of the exercise sheet and of
//! Woodworth et al. (2020).
//!
//! The generator draws, in this order, `X` row by row (iid N(0,1)), the support of `w*`, its
//! entries, then the noise; the stream is ChaCha8 seeded by `seed_from_u64(seed)`, so a seed gives
//! the same data on every machine.

use super::Problem;
use crate::kernels::linalg::Dense;
use crate::{Error, Result};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How the non-zero entries of `w*` are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entries {
    /// Random signs ±1.
    Signs,
    /// iid N(0, 1).
    Gaussian,
    /// All equal to `1/√k` (Woodworth et al. 2020).
    Constant,
}

/// A recipe for a synthetic problem `y = Xw* + σ·ε`, `X` iid N(0, 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenSpec {
    /// Samples.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Non-zeros of `w*` (`None`: dense).
    pub sparsity: Option<usize>,
    /// Entries of `w*`.
    pub entries: Entries,
    /// Explicit `w*` (overrides `sparsity`/`entries`).
    pub w_star: Option<Vec<f64>>,
    /// Noise standard deviation σ.
    pub noise: f64,
    /// Seed of the ChaCha8 stream.
    pub seed: u64,
}

/// A generated dataset with its ground truth.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The least-squares problem.
    pub problem: Problem,
    /// The planted `w*`.
    pub w_star: Vec<f64>,
}

impl GenSpec {
    /// Preset `ex2`: `n = 40`, `d = 100`, 5-sparse ±1 `w*`, noiseless (Exercise 2).
    pub fn ex2(seed: u64) -> Self {
        GenSpec { n: 40, d: 100, sparsity: Some(5), entries: Entries::Signs, w_star: None, noise: 0.0, seed }
    }

    /// Preset `ex3`: `n = 100`, `d = 2`, `w* = (1, 0)`, unit noise (Exercise 3).
    pub fn ex3(seed: u64) -> Self {
        GenSpec {
            n: 100,
            d: 2,
            sparsity: None,
            entries: Entries::Gaussian,
            w_star: Some(vec![1.0, 0.0]),
            noise: 1.0,
            seed,
        }
    }

    /// Preset `woodworth`: `n = 100`, `d = 1000`, 5-sparse with entries `1/√5`, noise 0.1
    /// (Woodworth et al. 2020, Figure 1).
    pub fn woodworth(seed: u64) -> Self {
        GenSpec { n: 100, d: 1000, sparsity: Some(5), entries: Entries::Constant, w_star: None, noise: 0.1, seed }
    }

    /// A preset by name: `ex2`, `ex3` or `woodworth`.
    pub fn preset(name: &str, seed: u64) -> Result<Self> {
        match name {
            "ex2" => Ok(Self::ex2(seed)),
            "ex3" => Ok(Self::ex3(seed)),
            "woodworth" => Ok(Self::woodworth(seed)),
            other => Err(Error::param("preset", format!("unknown preset '{other}' (expected ex2, ex3 or woodworth)"))),
        }
    }

    /// Draws the dataset.
    pub fn generate(&self) -> Result<Generated> {
        if self.n == 0 || self.d == 0 {
            return Err(Error::param("n/d", format!("must be positive, got n = {}, d = {}", self.n, self.d)));
        }
        crate::error::non_negative("noise", self.noise)?;
        if let Some(k) = self.sparsity
            && k > self.d
        {
            return Err(Error::param("sparsity", format!("{k} exceeds d = {}", self.d)));
        }
        crate::io::require_memory(
            &format!("a {} × {} dataset", self.n, self.d),
            super::memory_estimate(self.n, self.d) + 8.0 * (self.n * self.d) as f64,
        )?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let mut x = Dense::zeros(self.n, self.d);
        for v in x.data.iter_mut() {
            *v = normal();
        }
        let w_star = match &self.w_star {
            Some(w) => {
                if w.len() != self.d {
                    return Err(Error::param("w_star", format!("has length {} but d = {}", w.len(), self.d)));
                }
                w.clone()
            }
            None => {
                let k = self.sparsity.unwrap_or(self.d);
                // A uniformly random support: the k largest of d iid normals.
                let keys: Vec<f64> = (0..self.d).map(|_| normal()).collect();
                let mut idx: Vec<usize> = (0..self.d).collect();
                idx.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]));
                let mut support = idx[..k].to_vec();
                support.sort_unstable();
                let mut w = vec![0.0; self.d];
                for &j in &support {
                    let z = normal();
                    w[j] = match self.entries {
                        Entries::Signs => z.signum(),
                        Entries::Gaussian => z,
                        Entries::Constant => 1.0 / (k as f64).sqrt(),
                    };
                }
                w
            }
        };
        let mut y = vec![0.0; self.n];
        x.mul_vec(&w_star, &mut y);
        for yi in y.iter_mut() {
            let e = normal();
            *yi += self.noise * e;
        }
        Ok(Generated { problem: Problem::new(x, y)?, w_star })
    }
}
