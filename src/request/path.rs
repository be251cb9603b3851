//! The path request (SPEC §12): everything `ibias path ridge|lasso|saddle` and Python's `ibias.ridge_path`,
//! `ibias.lasso_path` and `ibias.saddle_path` need, validated once by the library's names (`lambdas`,
//! `n_lambdas`, `exact`, `positive`, `uniqueness`). The doors only build it and render its result.
//!
//! ```
//! use ibias::request::path::{PathRequest, PathOutput, RegKind};
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let out = PathRequest { n_lambdas: Some(5), ..PathRequest::new(RegKind::Ridge) }.run(&p).unwrap();
//! let PathOutput::Regularisation { path, .. } = out else { unreachable!() };
//! assert_eq!(path.lambdas.len(), 5);
//! // Meaningless or oversized requests are refused, by name, before anything is computed.
//! let e = PathRequest { n_lambdas: Some(1_000_000_000), ..PathRequest::new(RegKind::Ridge) }.validate().unwrap_err();
//! assert!(e.to_string().contains("n_lambdas"));
//! ```

use crate::error::num;
use crate::exact::Path;
use crate::exact::Uniqueness;
use crate::exact::lasso::{CdOptions, default_lasso_grid, lasso_cd, lasso_path};
use crate::exact::path::check_lambdas;
use crate::exact::ridge::{default_ridge_grid, ridge_path};
use crate::exact::saddle::{SaddlePath, saddle_path};
use crate::exact::uniqueness::lasso_uniqueness;
use crate::problem::Problem;
use crate::{Error, Result};

/// The most λ values one path may have (a given grid or `n_lambdas`).
pub const MAX_LAMBDAS: usize = 100_000;

/// The default number of λ values of a grid path.
pub const DEFAULT_N_LAMBDAS: usize = 100;

/// Which path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegKind {
    /// `R(w) + λ‖w‖₂²`, exactly from one SVD.
    Ridge,
    /// `R(w) + λ‖w‖₁`: the exact homotopy (`exact`) or coordinate descent on a grid.
    Lasso,
    /// The α → 0 limit of GD on `(u, v)` in accelerated time (the saddle-to-saddle path); no parameters.
    Saddle,
}

/// One path request.
#[derive(Debug, Clone)]
pub struct PathRequest {
    /// Which path.
    pub kind: RegKind,
    /// The λ grid (sheet's convention; each finite and ≥ 0); `None`: the default grid of `n_lambdas` values.
    pub lambdas: Option<Vec<f64>>,
    /// The default grid's size (1 to [`MAX_LAMBDAS`]; default [`DEFAULT_N_LAMBDAS`]); not with `lambdas`.
    pub n_lambdas: Option<usize>,
    /// Lasso: every breakpoint of the unconstrained path by homotopy (no grid, not with `positive`). `None`:
    /// decided here for every door ([`PathRequest::is_exact`]): exact unless a grid, its size or `positive` is
    /// given (as scikit-learn's `lars_path`).
    pub exact: Option<bool>,
    /// Lasso: constrain `w ≥ 0` (coordinate descent).
    pub positive: bool,
    /// Lasso: say for every point whether it is the unique solution at its λ.
    pub uniqueness: bool,
}

/// What a path request returns.
#[derive(Debug, Clone)]
pub enum PathOutput {
    /// A ridge or Lasso path, with the uniqueness of each point when asked.
    Regularisation {
        /// The path and its certificates.
        path: Path,
        /// Per point (only with `uniqueness`).
        unique: Option<Vec<Uniqueness>>,
    },
    /// The saddle-to-saddle path.
    Saddle(SaddlePath),
}

impl PathRequest {
    /// A request with the defaults: the default grid, not exact, not positive.
    pub fn new(kind: RegKind) -> Self {
        PathRequest { kind, lambdas: None, n_lambdas: None, exact: None, positive: false, uniqueness: false }
    }

    /// Refuses meaningless combinations and out-of-range values, by the library's names.
    pub fn validate(&self) -> Result<()> {
        if self.kind == RegKind::Saddle {
            let given: Vec<&str> = [
                ("lambdas", self.lambdas.is_some()),
                ("n_lambdas", self.n_lambdas.is_some()),
                ("exact", self.exact.is_some()),
                ("positive", self.positive),
                ("uniqueness", self.uniqueness),
            ]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
            if !given.is_empty() {
                return Err(Error::param(
                    given.join("/"),
                    "the saddle-to-saddle path has no λ grid and no options: it is computed exactly, breakpoint by breakpoint",
                ));
            }
            return Ok(());
        }
        if self.kind == RegKind::Ridge {
            for (name, on) in
                [("exact", self.exact.is_some()), ("positive", self.positive), ("uniqueness", self.uniqueness)]
            {
                if on {
                    return Err(Error::param(
                        name,
                        "is an option of the Lasso path; the ridge path is computed exactly from one SVD",
                    ));
                }
            }
        }
        if self.exact == Some(true) {
            if self.positive {
                return Err(Error::param(
                    "exact/positive",
                    "the exact homotopy computes the unconstrained path; positive paths use coordinate descent",
                ));
            }
            if self.lambdas.is_some() || self.n_lambdas.is_some() {
                let name = if self.lambdas.is_some() { "lambdas" } else { "n_lambdas" };
                return Err(Error::param(
                    format!("exact/{name}"),
                    "the exact path has every breakpoint and no grid: give a grid without exact",
                ));
            }
        }
        if self.lambdas.is_some() && self.n_lambdas.is_some() {
            return Err(Error::param("lambdas/n_lambdas", "give the λ grid or its size, not both"));
        }
        if let Some(k) = self.n_lambdas
            && (k == 0 || k > MAX_LAMBDAS)
        {
            return Err(Error::param("n_lambdas", format!("must be in [1, {MAX_LAMBDAS}], got {k}")));
        }
        if let Some(l) = &self.lambdas {
            if l.len() > MAX_LAMBDAS {
                return Err(Error::param("lambdas", format!("at most {MAX_LAMBDAS} values, got {}", l.len())));
            }
            check_lambdas(l)?;
        }
        Ok(())
    }

    /// Whether the Lasso path is the exact homotopy: `exact` as given, else exact unless `lambdas`, `n_lambdas`
    /// or `positive` is given (the one default of `ibias path lasso` and Python's `lasso_path`).
    pub fn is_exact(&self) -> bool {
        self.kind == RegKind::Lasso
            && self.exact.unwrap_or(self.lambdas.is_none() && self.n_lambdas.is_none() && !self.positive)
    }

    /// The number of points the request asks for (`None`: the exact path, whose count the data decide).
    pub fn points(&self) -> Option<usize> {
        match (&self.lambdas, self.is_exact()) {
            (Some(l), _) => Some(l.len()),
            (None, false) => Some(self.n_lambdas.unwrap_or(DEFAULT_N_LAMBDAS)),
            (None, true) => None,
        }
    }

    /// Validates, checks the memory the path's coefficients need, and computes it.
    pub fn run(&self, p: &Problem) -> Result<PathOutput> {
        self.validate()?;
        if let Some(k) = self.points() {
            crate::io::require_memory("the path's coefficients", 8.0 * k as f64 * p.d() as f64)?;
        }
        let n_lambdas = self.n_lambdas.unwrap_or(DEFAULT_N_LAMBDAS);
        let path = match self.kind {
            RegKind::Saddle => return saddle_path(p).map(PathOutput::Saddle),
            RegKind::Ridge => {
                let grid = match &self.lambdas {
                    Some(l) => l.clone(),
                    None => default_ridge_grid(p, n_lambdas)?,
                };
                ridge_path(p, &grid)?
            }
            RegKind::Lasso if self.is_exact() => lasso_path(p)?,
            RegKind::Lasso => {
                let grid = match &self.lambdas {
                    Some(l) => l.clone(),
                    None => default_lasso_grid(p, n_lambdas, self.positive),
                };
                lasso_cd(p, &grid, CdOptions { positive: self.positive, ..Default::default() })?
            }
        };
        let unique = if self.uniqueness {
            Some(
                path.lambdas
                    .iter()
                    .zip(&path.coefs)
                    .map(|(&l, w)| {
                        lasso_uniqueness(p, w, l)
                            .map_err(|e| Error::Numerical(format!("uniqueness at λ = {}: {e}", num(l))))
                    })
                    .collect::<Result<_>>()?,
            )
        } else {
            None
        };
        Ok(PathOutput::Regularisation { path, unique })
    }
}
