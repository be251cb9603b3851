//! Seeded generators (ChaCha8, `rand_chacha`) with the presets of the exercise sheet, of
//! Woodworth et al. (2020) and of separable classification (SPEC §11).
//!
//! Regression (`margin = None`): the generator draws, in this order, `X` row by row (iid N(0,1)), the support of
//! `w*`, its entries, then the noise; `y = Xw* + σε`. Classification (`margin = Some(γ)`): `w*` first (support,
//! entries), then each row of `X` (iid N(0,1)) until `|⟨x, w*⟩|/‖w*‖₂ ≥ γ` (rows inside the margin are drawn
//! again), `y = sign(⟨x, w*⟩)` — so the data are separable by `w*` with margin at least `γ` in `‖·‖₂`. The stream
//! is ChaCha8 seeded by `seed_from_u64(seed)`, so a seed gives the same data on every machine.

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
    /// Classification labels `sign(⟨x, w*⟩)`, rows with `|⟨x, w*⟩|/‖w*‖₂ < margin` drawn again (`None`:
    /// regression, `y = Xw* + σε`). At most [`MAX_MARGIN`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
}

/// The largest margin filter: a row is kept with probability `P(|N(0,1)| ≥ γ)`, 0.27 % at `γ = 3`.
pub const MAX_MARGIN: f64 = 3.0;

/// The presets, with a line each (every door lists them from here).
pub const PRESETS: [(&str, &str); 6] = [
    ("ex2", "40×100, 5-sparse ±1 w*, noiseless (Exercise 2)"),
    ("ex3", "100×2, w* = (1, 0), unit noise (Exercise 3)"),
    ("woodworth", "100×1000, 5-sparse 1/√5 w*, noise 0.1 (Woodworth et al. 2020)"),
    ("toy", "classification: 2-D, 30 points, labels sign(⟨x, w*⟩) for w* = (1, 2)/√5, margin ≥ 0.2"),
    ("teacher", "classification: 100×20, Gaussian teacher w*, labels ±1, margin ≥ 0.1"),
    ("sparse_teacher", "classification: 40×200 (n < d), 5-sparse ±1 teacher, labels ±1, margin ≥ 0.1"),
];

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
        GenSpec {
            n: 40,
            d: 100,
            sparsity: Some(5),
            entries: Entries::Signs,
            w_star: None,
            noise: 0.0,
            seed,
            margin: None,
        }
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
            margin: None,
        }
    }

    /// Preset `woodworth`: `n = 100`, `d = 1000`, 5-sparse with entries `1/√5`, noise 0.1
    /// (Woodworth et al. 2020, Figure 1).
    pub fn woodworth(seed: u64) -> Self {
        GenSpec {
            n: 100,
            d: 1000,
            sparsity: Some(5),
            entries: Entries::Constant,
            w_star: None,
            noise: 0.1,
            seed,
            margin: None,
        }
    }

    /// Preset `toy` (classification): 30 points in 2-D labelled by `w* = (1, 2)/√5`, margin ≥ 0.2.
    pub fn toy(seed: u64) -> Self {
        let s = 5f64.sqrt();
        GenSpec {
            n: 30,
            d: 2,
            sparsity: None,
            entries: Entries::Gaussian,
            w_star: Some(vec![1.0 / s, 2.0 / s]),
            noise: 0.0,
            seed,
            margin: Some(0.2),
        }
    }

    /// Preset `teacher` (classification): `n = 100`, `d = 20`, a dense Gaussian teacher, margin ≥ 0.1.
    pub fn teacher(seed: u64) -> Self {
        GenSpec {
            n: 100,
            d: 20,
            sparsity: None,
            entries: Entries::Gaussian,
            w_star: None,
            noise: 0.0,
            seed,
            margin: Some(0.1),
        }
    }

    /// Preset `sparse_teacher` (classification): `n = 40 < d = 200`, a 5-sparse ±1 teacher, margin ≥ 0.1.
    pub fn sparse_teacher(seed: u64) -> Self {
        GenSpec {
            n: 40,
            d: 200,
            sparsity: Some(5),
            entries: Entries::Signs,
            w_star: None,
            noise: 0.0,
            seed,
            margin: Some(0.1),
        }
    }

    /// A preset by name ([`PRESETS`]; `sparse-teacher` also with a hyphen).
    pub fn preset(name: &str, seed: u64) -> Result<Self> {
        match name.replace('-', "_").as_str() {
            "ex2" => Ok(Self::ex2(seed)),
            "ex3" => Ok(Self::ex3(seed)),
            "woodworth" => Ok(Self::woodworth(seed)),
            "toy" => Ok(Self::toy(seed)),
            "teacher" => Ok(Self::teacher(seed)),
            "sparse_teacher" => Ok(Self::sparse_teacher(seed)),
            _ => Err(Error::param(
                "preset",
                format!(
                    "unknown preset '{name}' (expected {})",
                    PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// Draws the dataset.
    pub fn generate(&self) -> Result<Generated> {
        let (x, y, w_star) = self.draw()?;
        Ok(Generated { problem: Problem::new(x, y)?, w_star })
    }

    /// Draws the raw arrays `(X, y, w*)` without building a [`Problem`] (whose singular values cost an SVD): what
    /// `ibias data gen` and Python's `ibias.generate` return. The same bits as [`GenSpec::generate`].
    pub fn draw(&self) -> Result<(Dense, Vec<f64>, Vec<f64>)> {
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
        if let Some(m) = self.margin {
            if !(m.is_finite() && (0.0..=MAX_MARGIN).contains(&m)) {
                return Err(Error::param(
                    "margin",
                    format!(
                        "must be in [0, {MAX_MARGIN}] (rows are kept with probability P(|N(0,1)| ≥ margin)), got {}",
                        crate::error::num(m)
                    ),
                ));
            }
            if self.noise != 0.0 {
                return Err(Error::param("noise", "classification labels sign(⟨x, w*⟩) take no noise (give noise 0)"));
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let mut x = Dense::zeros(self.n, self.d);
        if self.margin.is_none() {
            for v in x.data.iter_mut() {
                *v = normal();
            }
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
        if let Some(gamma) = self.margin {
            let norm = crate::kernels::linalg::norm2(&w_star);
            if !(norm > 0.0 && norm.is_finite()) {
                return Err(Error::param("w_star", "a classification teacher needs w* ≠ 0"));
            }
            // Each row is drawn until it lies outside the margin; at γ ≤ 3 a row is kept with probability ≥ 0.27 %,
            // so 1e5 draws fail with probability below 1e-117.
            for i in 0..self.n {
                let mut tries = 0usize;
                loop {
                    let row = &mut x.data[i * self.d..(i + 1) * self.d];
                    for v in row.iter_mut() {
                        *v = normal();
                    }
                    let z = crate::kernels::linalg::dot(row, &w_star) / norm;
                    if z.abs() >= gamma && z != 0.0 {
                        y[i] = z.signum();
                        break;
                    }
                    tries += 1;
                    if tries >= 100_000 {
                        return Err(Error::Numerical(format!(
                            "row {i}: no draw outside the margin {gamma} in {tries} tries"
                        )));
                    }
                }
            }
            return Ok((x, y, w_star));
        }
        x.mul_vec(&w_star, &mut y);
        for yi in y.iter_mut() {
            let e = normal();
            *yi += self.noise * e;
        }
        Ok((x, y, w_star))
    }
}

#[cfg(test)]
mod tests {
    use super::GenSpec;

    /// `draw` (the arrays `ibias data gen` and Python write) and `generate` (a Problem) give the same bits, for
    /// regression and classification presets.
    #[test]
    fn draw_and_generate_agree_bit_for_bit() {
        for spec in [GenSpec::ex2(3), GenSpec::ex3(1), GenSpec::toy(2), GenSpec::sparse_teacher(5)] {
            let (x, y, w) = spec.draw().unwrap();
            let g = spec.generate().unwrap();
            assert_eq!(x.data, g.problem.x().data);
            assert_eq!(y, g.problem.y());
            assert_eq!(w, g.w_star);
        }
    }
}
