//! Datasets: a strict CSV loader and seeded generators (ChaCha8, `rand_chacha`) with the presets
//! of the exercise sheet.
//!
//! The generator draws, in this order, `X` row by row (iid N(0,1)), the support of `w*`, its
//! entries, then the noise; the stream is ChaCha8 seeded by `seed_from_u64(seed)`, so a seed gives
//! the same data on every machine.

use crate::linalg::Dense;
use crate::problem::Problem;
use crate::{Error, Result};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::path::Path;

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
            other => Err(Error::Param(format!("unknown preset '{other}' (expected ex2, ex3 or woodworth)"))),
        }
    }

    /// Draws the dataset.
    pub fn generate(&self) -> Result<Generated> {
        if self.n == 0 || self.d == 0 {
            return Err(Error::Param(format!("n and d must be positive, got n = {}, d = {}", self.n, self.d)));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(Error::Param(format!("noise level must be finite and ≥ 0, got {}", self.noise)));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let x = Dense::from_fn(self.n, self.d, |_, _| 0.0);
        let mut x = x;
        for v in x.data.iter_mut() {
            *v = normal();
        }
        let w_star = match &self.w_star {
            Some(w) => {
                if w.len() != self.d {
                    return Err(Error::Param(format!("w* has length {} but d = {}", w.len(), self.d)));
                }
                w.clone()
            }
            None => {
                let k = self.sparsity.unwrap_or(self.d);
                if k > self.d {
                    return Err(Error::Param(format!("sparsity {k} exceeds d = {}", self.d)));
                }
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

/// Parses CSV text: numeric, comma-separated, one sample a row, last column `y`, an optional
/// header on the first line only. Errors name the line and column.
pub fn parse_csv(text: &str) -> Result<Problem> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut width: Option<usize> = None;
    let mut first_line: Option<usize> = None;
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Data(format!("malformed CSV: {e}")))?;
        let line_no = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        if rec.iter().all(|c| c.is_empty()) {
            continue;
        }
        let line = rec.iter().collect::<Vec<_>>().join(",");
        let cells: Vec<&str> = rec.iter().collect();
        let parsed: Vec<Option<f64>> = cells.iter().map(|c| c.parse::<f64>().ok()).collect();
        let numeric = parsed.iter().filter(|p| p.is_some()).count();
        let is_first = first_line.is_none();
        if is_first {
            first_line = Some(line_no);
        }
        if numeric == 0 && cells.iter().all(|c| !c.is_empty()) {
            if is_first {
                width = Some(cells.len());
                continue; // header
            }
            return Err(Error::Data(format!(
                "line {line_no}: a header row is only allowed on the first line (found '{line}')"
            )));
        }
        for (k, (c, p)) in cells.iter().zip(&parsed).enumerate() {
            match p {
                None if c.is_empty() => {
                    return Err(Error::Data(format!("line {line_no}, column {}: empty cell", k + 1)));
                }
                None => {
                    return Err(Error::Data(format!("line {line_no}, column {}: '{c}' is not a number", k + 1)));
                }
                Some(v) if !v.is_finite() => {
                    return Err(Error::Data(format!(
                        "line {line_no}, column {}: non-finite value '{c}' (NaN and Inf are not allowed)",
                        k + 1
                    )));
                }
                _ => {}
            }
        }
        match width {
            None => width = Some(cells.len()),
            Some(w) if w != cells.len() => {
                return Err(Error::Data(format!(
                    "line {line_no}: {} columns, expected {w} (ragged rows)",
                    cells.len()
                )));
            }
            _ => {}
        }
        rows.push(parsed.into_iter().map(|p| p.unwrap()).collect());
    }
    let w = width.ok_or_else(|| Error::Data("the file is empty".into()))?;
    if w < 2 {
        return Err(Error::Data(format!("need at least two columns (features, then y as the last column), found {w}")));
    }
    if rows.is_empty() {
        return Err(Error::Data("no data rows (only a header)".into()));
    }
    let n = rows.len();
    let d = w - 1;
    let x = Dense::from_fn(n, d, |i, j| rows[i][j]);
    let y = rows.iter().map(|r| r[d]).collect();
    Problem::new(x, y)
}

/// Loads a problem from a CSV file (see [`parse_csv`]).
pub fn load_csv(path: &Path) -> Result<Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
    parse_csv(&text).map_err(|e| match e {
        Error::Data(m) => Error::Data(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Writes a problem as CSV (`x1,…,xd,y` header, full round-trip precision).
pub fn to_csv(p: &Problem) -> String {
    let mut s = String::new();
    let header: Vec<String> = (1..=p.d()).map(|j| format!("x{j}")).chain(std::iter::once("y".into())).collect();
    s.push_str(&header.join(","));
    s.push('\n');
    for i in 0..p.n() {
        let row: Vec<String> = p.x.row(i).iter().chain(std::iter::once(&p.y[i])).map(|v| format!("{v:?}")).collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

/// Writes `contents` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let name = path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, contents).map_err(|e| Error::Io(format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::Io(format!("cannot rename to {}: {e}", path.display())))?;
    Ok(())
}
