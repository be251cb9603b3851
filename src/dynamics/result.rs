//! What a run returns: the final iterate with its norms, why and when it stopped, the steps used, the
//! recorded checkpoints and, for GD on `(u, v)`, the finite-step diagnostics of SPEC §8.

use super::config::{StepRule, StopReason};
use crate::potential::PotentialKind;
use serde::{Deserialize, Serialize};

/// Which algorithm produced a result. Methods added through the registry ([`super::registry`]) are
/// [`Algorithm::Registered`] by their registry name, so that adding one edits no enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Gradient descent from 0.
    Gd,
    /// Heavy-ball (momentum) gradient descent from 0.
    HeavyBall,
    /// Mirror descent.
    Md,
    /// Exponentiated gradient (mirror descent with the negative entropy).
    Eg,
    /// Gradient descent on `(u, v)`, `w = u⊙u − v⊙v`.
    Reparam,
    /// Gradient descent on Azulay et al.'s `w = u₊⊙v₊ − u₋⊙v₋`.
    Azulay,
    /// Mirror descent on several runs at once.
    MdBatch,
    /// Gradient flow.
    GdFlow,
    /// Mirror flow.
    MdFlow,
    /// Exponentiated-gradient flow.
    EgFlow,
    /// Gradient flow on `(u, v)`.
    ReparamFlow,
    /// A method of the registry, by its name (`sign_gd`, `normalized_gd`, …).
    Registered(&'static str),
}

impl Algorithm {
    /// The built-in algorithms (not [`Algorithm::Registered`]).
    const BUILT_IN: [Algorithm; 11] = [
        Algorithm::Gd,
        Algorithm::HeavyBall,
        Algorithm::Md,
        Algorithm::Eg,
        Algorithm::Reparam,
        Algorithm::Azulay,
        Algorithm::MdBatch,
        Algorithm::GdFlow,
        Algorithm::MdFlow,
        Algorithm::EgFlow,
        Algorithm::ReparamFlow,
    ];

    /// The algorithm named `name`: a built-in one, or else a registered one (the name interned once per process,
    /// so that results read back from files keep `&'static` names without a dependency on the registry).
    pub fn from_name(name: &str) -> Algorithm {
        Self::BUILT_IN.into_iter().find(|a| a.name() == name).unwrap_or_else(|| Algorithm::Registered(intern(name)))
    }
}

/// A `&'static` copy of `name`, leaked once per distinct name.
fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(n);
    n
}

impl Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Algorithm::from_name(&name))
    }
}

impl Algorithm {
    /// The name used in outputs (`gd`, `heavy_ball`, `md_flow`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Gd => "gd",
            Algorithm::HeavyBall => "heavy_ball",
            Algorithm::Md => "md",
            Algorithm::Eg => "eg",
            Algorithm::Reparam => "reparam",
            Algorithm::Azulay => "azulay",
            Algorithm::MdBatch => "md_batch",
            Algorithm::GdFlow => "gd_flow",
            Algorithm::MdFlow => "md_flow",
            Algorithm::EgFlow => "eg_flow",
            Algorithm::ReparamFlow => "reparam_flow",
            Algorithm::Registered(name) => name,
        }
    }

    /// Whether this is a continuous-time flow.
    pub fn is_flow(&self) -> bool {
        matches!(self, Algorithm::GdFlow | Algorithm::MdFlow | Algorithm::EgFlow | Algorithm::ReparamFlow)
    }
}

/// One recorded point of a trajectory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    /// Iteration index (discrete runs; `None` for flows).
    pub iteration: Option<usize>,
    /// Time: `Σ_{j<k} η_j` for discrete runs (the mirror flow's clock), `t` for flows.
    pub time: f64,
    /// Iterate `w`.
    pub w: Vec<f64>,
    /// Risk `R(w)`.
    pub risk: f64,
    /// `u⊙v` (reparametrisation only): constant along the flow, shrinking in discrete GD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uv: Option<Vec<f64>>,
}

/// The integrator of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Integrator {
    /// `dopri5` (explicit Dormand–Prince 5(4)) or `ros2` (L-stable Rosenbrock, stiff flows).
    pub method: String,
    /// Relative tolerance per component.
    pub rtol: f64,
    /// Absolute tolerance per component.
    pub atol: f64,
}

/// What the reparametrisation leaves behind (SPEC §8): the effective scale and the drift of `θ` out of
/// `range(Xᵀ)`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReparamInfo {
    /// `u⊙v` at the end (initially `u₀⊙v₀`): per step multiplied by `1 − η²gᵢ²/4`.
    pub uv_final: Vec<f64>,
    /// `minᵢ a_∞,ᵢ/αᵢ` with `a² = u⊙v`, `αᵢ² = u₀ᵢv₀ᵢ`: the effective initialisation scale, relative.
    pub scale_ratio_min: f64,
    /// Median of `a_∞,ᵢ/αᵢ`.
    pub scale_ratio_median: f64,
    /// `maxᵢ a_∞,ᵢ/αᵢ`.
    pub scale_ratio_max: f64,
    /// `‖(I − P)(θ_∞ − θ_0)‖/‖θ_∞ − θ_0‖` (relative), `θ = ln(u/v)`, `P` the projector onto `range(Xᵀ)`.
    pub theta_outside_range_rel: f64,
    /// Steps in which some `|ηgᵢ/2| ≥ 1`: `u` or `v` changed sign or hit 0, and the identity
    /// `w = 2a² sinh θ` of SPEC §8 stops holding from there on.
    pub steps_with_sign_change: usize,
    /// The log-scale tracking of SPEC §8, when it was asked for: `ln(aᵢ²)` and `θᵢ` per coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracked: Option<ScaleTrack>,
}

/// `ln aₖ² = ln α² + Σ ln(1 − η²g²/4)` and `θₖ = −2Σ artanh(ηg/2)` per coordinate (SPEC §8).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScaleTrack {
    /// `ln aᵢ²` at the end.
    pub ln_a2: Vec<f64>,
    /// `θᵢ` at the end (so that `w = 2a² sinh(θ + ln(u₀/v₀))`).
    pub theta: Vec<f64>,
    /// `maxᵢ |wᵢ − 2aᵢ² sinh(θᵢ + ln(u₀ᵢ/v₀ᵢ))| / ‖w‖_∞` at the end (relative): the identity's residual.
    pub identity_error_rel: f64,
}

/// The result of one run (discrete or flow).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// Which algorithm.
    pub algorithm: Algorithm,
    /// The datafit (loss) that was minimised.
    #[serde(default)]
    pub loss: crate::datafit::LossKind,
    /// Potential used.
    pub potential: PotentialKind,
    /// Initialisation scale α, where there is one.
    pub alpha: Option<f64>,
    /// Step rule (discrete runs).
    pub step_rule: Option<StepRule>,
    /// Integrator (flows).
    pub integrator: Option<Integrator>,
    /// Step size of the first iteration (discrete runs that moved).
    pub eta_first: Option<f64>,
    /// Smallest step used.
    pub eta_min: Option<f64>,
    /// Largest step used.
    pub eta_max: Option<f64>,
    /// Iterations done (flows: accepted integrator steps).
    pub iterations: usize,
    /// Gradient evaluations (including line-search trials that needed one).
    pub grad_evals: usize,
    /// Whether a convergence criterion was met.
    pub converged: bool,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Final risk `R(w)`.
    pub risk: f64,
    /// `R(0)`, the scale of the risk tolerance.
    pub risk_at_zero: f64,
    /// `R(w)/R(0)` (relative).
    pub risk_rel: f64,
    /// Final iterate.
    pub w: Vec<f64>,
    /// `‖w‖₁`.
    pub l1_norm: f64,
    /// `‖w‖₂`.
    pub l2_norm: f64,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// Time reached: `Σ η` for discrete runs, `t` for flows.
    pub flow_time: f64,
    /// Recorded checkpoints.
    pub checkpoints: Vec<Checkpoint>,
    /// Reparametrisation diagnostics (GD on `(u, v)` and its flow).
    pub reparam: Option<ReparamInfo>,
    /// What a reader should know about this run (a cap hit, no interpolator, a sign change, …).
    pub notes: Vec<String>,
    /// The finite-step effect on GD on `(u, v)` at a fixed step (SPEC §9), when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_effect: Option<StepEffect>,
    /// Matrix methods (SPEC §13): the final `W` (`w` is `vec(W)`, row-major), `m` rows.
    #[serde(rename = "W", default, skip_serializing_if = "Option::is_none")]
    pub w_matrix: Option<Vec<Vec<f64>>>,
    /// Matrix methods: the spectrum of the final `W`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spectrum: Option<Spectrum>,
}

/// The spectrum of a symmetric matrix iterate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Spectrum {
    /// Eigenvalues, decreasing.
    pub eigenvalues: Vec<f64>,
    /// `‖W‖_* = Σ|λₖ|`.
    pub nuclear_norm: f64,
    /// `‖W‖_F`.
    pub frobenius_norm: f64,
    /// `exp(entropy of |λ|/Σ|λ|)` (Roy & Vetterli 2007).
    pub effective_rank: f64,
}

impl Spectrum {
    /// The spectrum of the symmetric `vec(W)` (row-major, side `m`).
    pub fn of(w: &[f64], m: usize) -> crate::Result<Self> {
        let eig = crate::kernels::spectral::eigenvalues_desc(w, m)?;
        let (nuclear_norm, frobenius_norm, _, effective_rank) = crate::kernels::spectral::summaries(&eig);
        Ok(Spectrum { eigenvalues: eig, nuclear_norm, frobenius_norm, effective_rank })
    }
}

/// A matrix method's result: `W` as rows and its spectrum added.
pub fn with_matrix(mut r: RunResult, m: usize) -> crate::Result<RunResult> {
    r.w_matrix = Some(crate::problem::matrix::rows(&r.w, m));
    r.spectrum = Some(Spectrum::of(&r.w, m)?);
    Ok(r)
}

/// What a finite step did to the limit of GD on `(u, v)` (SPEC §8–§9): the run's limit against the flow's limit
/// and the effective-scale prediction, and the stability of the limit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepEffect {
    /// The fixed step η.
    pub eta: f64,
    /// `‖w − w_flow‖/‖w_flow‖`: distance to the gradient-flow limit (Bregman projection at the initial scale).
    pub flow_limit_distance_rel: f64,
    /// `‖w − w_eff‖/‖w_eff‖`: distance to the effective-scale prediction (Bregman projection with `cᵢ = 2a_∞,ᵢ²`).
    pub effective_limit_distance_rel: f64,
    /// `‖w_eff − w_flow‖/‖w_flow‖`: how far the effective scale moves the prediction.
    pub effective_vs_flow_rel: f64,
    /// Sharpness at the limit: the largest eigenvalue of the Hessian of `F = R(u⊙u − v⊙v)/4`, which at an
    /// interpolator is `λ_max((2/n) X diag(u² + v²) Xᵀ)` (power iteration).
    pub sharpness: f64,
    /// `2/η`: GD is stable at the limit only if `sharpness ≤ 2/η`.
    pub two_over_eta: f64,
    /// `Σᵢ |wᵢ|·‖xᵢ‖²` (columns `xᵢ`), bounded by `n²/η` at a stable limit (Nacson et al. 2022).
    pub stability_sum: f64,
    /// `n²/η`.
    pub stability_bound: f64,
}
