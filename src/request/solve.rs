//! The solve request (SPEC §12): everything `ibias solve …` and Python's `ibias.min_l2`, `ibias.min_l1`,
//! `ibias.bregman`, `ibias.max_margin` and `ibias.separability` need, validated once by the library's names
//! (`potential`, `alpha`, `depth`, `shape`, `u0`/`v0`, `w0`, `bp_method`, `norm`/`p`). The doors only build it
//! and render its answer; every answer carries its solver's certificate.
//!
//! ```
//! use ibias::request::solve::{SolveKind, SolveOutput, SolveRequest};
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let out = SolveRequest { alpha: Some(1e-3), ..SolveRequest::new(SolveKind::Bregman) }.run(&p).unwrap();
//! let SolveOutput::Solution(s) = out else { unreachable!() };
//! assert!(s.certificate.residual_rel < 1e-9);
//! // An option the solver would ignore is refused, by name.
//! let e = SolveRequest { alpha: Some(0.5), ..SolveRequest::new(SolveKind::MinL2) }.validate().unwrap_err();
//! assert!(e.to_string().contains("alpha"));
//! ```

use super::PotentialChoice;
use crate::dynamics::Init;
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::greedy_low_rank::{GreedyLowRank, GreedyOptions, greedy_low_rank};
use crate::exact::max_margin::{MarginNorm, MaxMargin, Separability, max_margin, separability};
use crate::exact::min_l2::require_interpolator;
use crate::exact::nuclear::{MatrixSolution, NuclearKind, min_frobenius, min_nuclear};
use crate::exact::soudry::{SoudryAsymptotics, soudry};
use crate::exact::spectral_bregman::spectral_bregman;
use crate::exact::{BpMethod, Solution, basis_pursuit_with, min_l2};
use crate::potential::{Potential, PotentialKind};
use crate::problem::Problem;
use crate::{Error, Result};

/// Which exact object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolveKind {
    /// The minimum-ℓ2-norm least-squares solution `X⁺y`.
    MinL2,
    /// The minimum-ℓ1 interpolator (basis pursuit).
    MinL1,
    /// The Bregman projection `argmin_{Xw=y} D_ψ(w, w₀)`: the limit of mirror descent.
    Bregman,
    /// The maximum-margin direction in a norm (labels ±1).
    MaxMargin,
    /// Whether labels ±1 are linearly separable through the origin.
    Separability,
    /// Soudry et al.'s asymptotics of gradient descent on separable data: `w(t) = ŵ ln t + w̃ + o(1)`.
    Soudry,
    /// Matrix sensing: the minimum nuclear norm interpolator (symmetric, or PSD with `psd`), SDP-certified.
    MinNuclear,
    /// Matrix sensing: the minimum Frobenius interpolator.
    MinFrobenius,
    /// Matrix sensing: the spectral Bregman projection at `alpha` (the limit of spectral mirror descent).
    SpectralBregman,
    /// Matrix sensing: greedy low-rank learning, the α → 0 limit of GD on `U Uᵀ` (`max_rank`).
    GreedyLowRank,
}

/// One solve request.
#[derive(Debug, Clone)]
pub struct SolveRequest {
    /// Which object.
    pub kind: SolveKind,
    /// Bregman: the potential (default: the hyperbolic entropy at `alpha`).
    pub potential: Option<PotentialChoice>,
    /// Bregman: the scale `α` of a named hyperbolic or depth potential (default 1).
    pub alpha: Option<f64>,
    /// Bregman: the depth `D ≥ 3` of the named depth potential.
    pub depth: Option<u32>,
    /// Bregman: the hyperbolic entropy of the initialisation shape `s ∈ (−1, 1)` (`c = 2u₀v₀`, from
    /// `w₀ = u₀² − v₀²`).
    pub shape: Option<f64>,
    /// Bregman: the hyperbolic entropy of an explicit initialisation `u₀ > 0` (with `v0`).
    pub u0: Option<Vec<f64>>,
    /// Bregman: `v₀ > 0` (with `u0`).
    pub v0: Option<Vec<f64>>,
    /// Bregman: the start `w₀` (`d` values, or one for every coordinate; default 0, the entropy's 1).
    pub w0: Option<Vec<f64>>,
    /// Basis pursuit: the method (default `auto`).
    pub bp_method: Option<BpMethod>,
    /// Maximum margin: the norm `l2`, `l1`, `linf` or `lp` (default `l2`).
    pub norm: Option<String>,
    /// Maximum margin: the exponent `p ∈ (1, ∞)` of `lp`.
    pub p: Option<f64>,
    /// Minimum nuclear norm: over `W ⪰ 0` instead of every symmetric `W`.
    pub psd: bool,
    /// Greedy low-rank learning: the largest rank (default `m`).
    pub max_rank: Option<usize>,
}

/// What a solve request returns.
#[derive(Debug, Clone)]
pub enum SolveOutput {
    /// An interpolator or least-squares solution with its certificate.
    Solution(Solution),
    /// A maximum-margin direction with its certificate.
    MaxMargin(MaxMargin),
    /// A separability verdict with its certificate either way.
    Separability(Separability),
    /// `ŵ`, `w̃` and the direction gap's constant, certified.
    Soudry(SoudryAsymptotics),
    /// A matrix interpolator with its spectrum and certificate.
    Matrix(MatrixSolution),
    /// The greedy low-rank path.
    Greedy(GreedyLowRank),
}

impl SolveRequest {
    /// A request with every option at its default.
    pub fn new(kind: SolveKind) -> Self {
        SolveRequest {
            kind,
            potential: None,
            alpha: None,
            depth: None,
            shape: None,
            u0: None,
            v0: None,
            w0: None,
            bp_method: None,
            norm: None,
            p: None,
            psd: false,
            max_rank: None,
        }
    }

    fn potential_kind(&self) -> PotentialKind {
        self.potential.as_ref().map_or(PotentialKind::Hyperbolic, |p| p.kind())
    }

    /// Refuses options the chosen solver would ignore and meaningless combinations, naming what they apply to.
    pub fn validate(&self) -> Result<()> {
        let refuse = |name: &str, why: &str| Err(Error::param(name, why.to_string()));
        let bregman = self.kind == SolveKind::Bregman;
        let spectral = self.kind == SolveKind::SpectralBregman;
        if !bregman {
            for (on, name) in [
                (self.potential.is_some(), "potential"),
                (self.depth.is_some(), "depth"),
                (self.shape.is_some(), "shape"),
                (self.u0.is_some() || self.v0.is_some(), "u0/v0"),
                (self.alpha.is_some() && !spectral, "alpha"),
                (self.w0.is_some(), "w0"),
            ] {
                if on {
                    return refuse(name, "is an option of the Bregman projection (its potential and start)");
                }
            }
        }
        if self.bp_method.is_some() && self.kind != SolveKind::MinL1 {
            return refuse("bp_method", "is an option of the minimum-ℓ1 interpolator (the basis pursuit method)");
        }
        if self.max_rank.is_some() && self.kind != SolveKind::GreedyLowRank {
            return refuse("max_rank", "is an option of greedy low-rank learning");
        }
        if self.psd && self.kind != SolveKind::MinNuclear {
            return refuse("psd", "is an option of the minimum nuclear norm interpolator");
        }
        if (self.norm.is_some() || self.p.is_some()) && self.kind != SolveKind::MaxMargin {
            return refuse("norm/p", "are options of the maximum-margin solver");
        }
        if self.kind == SolveKind::MaxMargin {
            MarginNorm::parse(self.norm.as_deref().unwrap_or("l2"), self.p)?;
        }
        if let (true, Some(a)) = (spectral, self.alpha) {
            crate::potential::check_alpha("alpha", a)?;
        }
        if !bregman {
            return Ok(());
        }
        let kind = self.potential_kind();
        let named = !matches!(self.potential, Some(PotentialChoice::Hyperbolic(_) | PotentialChoice::Depth(_)));
        if let Some(a) = self.alpha {
            crate::potential::check_alpha("alpha", a)?;
            if !named {
                return refuse("alpha", "a potential object carries its own scale");
            }
            if !matches!(kind, PotentialKind::Hyperbolic | PotentialKind::Depth) {
                return refuse("alpha", "is the scale of the hyperbolic and depth potentials");
            }
            if self.u0.is_some() {
                return refuse("alpha", "an explicit u0/v0 sets the scales itself");
            }
        }
        if self.depth.is_some() && !(named && kind == PotentialKind::Depth) {
            return refuse("depth", "is the depth of the named depth potential");
        }
        if named && kind == PotentialKind::Depth && self.depth.is_none() {
            return refuse("depth", "the depth potential needs a depth D ≥ 3");
        }
        let init = self.shape.is_some() || self.u0.is_some() || self.v0.is_some();
        if init && !(named && kind == PotentialKind::Hyperbolic) {
            return refuse(
                "shape/u0/v0",
                "are options of the named hyperbolic entropy (they set its scales and start)",
            );
        }
        if self.u0.is_some() != self.v0.is_some() {
            return refuse("u0/v0", "give u0 and v0 together");
        }
        if self.shape.is_some() && self.u0.is_some() {
            return refuse("shape/u0", "give the shape or an explicit u0/v0, not both");
        }
        if init && self.w0.is_some() {
            return refuse("w0", "shape and u0/v0 set the start w0 = u0² − v0² themselves");
        }
        if let Some(w) = &self.w0 {
            if w.is_empty() {
                return refuse("w0", "is empty");
            }
            if let Some(i) = w.iter().position(|x| !x.is_finite()) {
                return Err(Error::param("w0", format!("entry {i} is not finite")));
            }
            if kind == PotentialKind::Entropy
                && let Some(i) = w.iter().position(|x| *x <= 0.0)
            {
                return Err(Error::param("w0", format!("entry {i} must be > 0 (the entropy's domain)")));
            }
        }
        Ok(())
    }

    /// The Bregman projection's potential and start on `d` coordinates.
    pub fn bregman_setup(&self, d: usize) -> Result<(Box<dyn Potential>, Vec<f64>)> {
        let alpha = self.alpha.unwrap_or(1.0);
        let init = match (self.shape, &self.u0, &self.v0) {
            (Some(s), _, _) => Some(Init::shape(alpha, s, d)?),
            (None, Some(u), Some(v)) => {
                for (name, x) in [("u0", u), ("v0", v)] {
                    if x.len() != d {
                        return Err(Error::param(
                            name,
                            format!("has {} entries but the data has d = {d} features", x.len()),
                        ));
                    }
                }
                Some(Init::explicit(u.clone(), v.clone())?)
            }
            _ => None,
        };
        if let Some(i) = init {
            return Ok((Box::new(i.potential()), i.w0()));
        }
        let pot = self
            .potential
            .as_ref()
            .unwrap_or(&PotentialChoice::Kind(PotentialKind::Hyperbolic))
            .build(alpha, self.depth, d)?;
        let w0 = match &self.w0 {
            Some(w) if w.len() == 1 => vec![w[0]; d],
            Some(w) if w.len() == d => w.clone(),
            Some(w) => {
                return Err(Error::param(
                    "w0",
                    format!("has {} entries but the data has d = {d} features (or give one value)", w.len()),
                ));
            }
            None if pot.kind() == PotentialKind::Entropy => vec![1.0; d],
            None => vec![0.0; d],
        };
        Ok((pot, w0))
    }

    /// Validates and solves on `p`.
    pub fn run(&self, p: &Problem) -> Result<SolveOutput> {
        self.validate()?;
        Ok(match self.kind {
            SolveKind::MinL2 => SolveOutput::Solution(min_l2(p)?),
            SolveKind::MinL1 => SolveOutput::Solution(basis_pursuit_with(p, self.bp_method.unwrap_or(BpMethod::Auto))?),
            SolveKind::Bregman => {
                let (pot, w0) = self.bregman_setup(p.d())?;
                require_interpolator(p, "the Bregman projection")?;
                SolveOutput::Solution(bregman_projection(p, pot.as_ref(), &w0, BregmanOptions::default())?)
            }
            SolveKind::MaxMargin => {
                SolveOutput::MaxMargin(max_margin(p, MarginNorm::parse(self.norm.as_deref().unwrap_or("l2"), self.p)?)?)
            }
            SolveKind::Separability => SolveOutput::Separability(separability(p)?),
            SolveKind::Soudry => SolveOutput::Soudry(soudry(p)?),
            SolveKind::MinNuclear => {
                SolveOutput::Matrix(min_nuclear(p, if self.psd { NuclearKind::Psd } else { NuclearKind::Symmetric })?)
            }
            SolveKind::MinFrobenius => SolveOutput::Matrix(min_frobenius(p)?),
            SolveKind::SpectralBregman => SolveOutput::Matrix(spectral_bregman(p, self.alpha.unwrap_or(1.0))?),
            SolveKind::GreedyLowRank => SolveOutput::Greedy(greedy_low_rank(
                p,
                GreedyOptions { max_rank: self.max_rank, ..Default::default() },
            )?),
        })
    }
}
