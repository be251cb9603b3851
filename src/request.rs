//! The one front door (SPEC §12): a [`RunRequest`] holds everything a run needs; defaults are resolved and every
//! parameter is validated here, once, by the library's names (`eta`, `alpha`, `max_iter`, …). The command line
//! (`ibias run`), the Python package (`ibias.run`, `ibias.gd`, …) and sweep specifications only parse into it and
//! render its result, so a run's result fields (algorithm, loss, potential, α, step rule) are the same whichever
//! door was used. The command line shows names as flags (`eta` → `--eta`), Python as keywords.
//!
//! ```
//! use ibias::request::RunRequest;
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let r = RunRequest { alpha: Some(0.1), tol: 1e-20, ..RunRequest::new("md") }.run(&p).unwrap();
//! assert!(r.converged && r.alpha == Some(0.1) && r.algorithm.name() == "md");
//! // Meaningless combinations are refused, by name.
//! let e = RunRequest { momentum: Some(0.5), ..RunRequest::new("md") }.run(&p).unwrap_err();
//! assert!(e.to_string().contains("momentum"));
//! ```

pub mod path;
pub mod solve;

use crate::datafit::LossKind;
use crate::dynamics::fit::{self, FitArgs};
use crate::dynamics::flow::{FlowKind, run_flow};
use crate::dynamics::margin_flow::{MarginFlowKind, run_margin_flow};
use crate::dynamics::ode::OdeOptions;
use crate::dynamics::registry;
use crate::dynamics::sampling::SgdOptions;
use crate::dynamics::{
    Algorithm, Init, RunConfig, RunResult, StepRule, StopRule, run_eg, run_gd, run_heavy_ball, run_md, run_reparam,
};
use crate::potential::{DepthD, Euclidean, Hyperbolic, NegEntropy, PNorm, Potential, PotentialKind};
use crate::problem::Problem;
use crate::{Error, Result};

/// The built-in methods, with a line each (registered methods: [`registry::REGISTRY`]).
pub const BUILT_IN: [(&str, &str); 5] = [
    ("gd", "gradient descent from 0 (with momentum: heavy ball)"),
    ("md", "mirror descent (hyperbolic entropy by default)"),
    ("reparam", "GD on (u, v), w = u⊙u − v⊙v"),
    ("azulay", "GD on Azulay et al.'s w = u₊⊙v₊ − u₋⊙v₋ from u₊ = u₋ = u0, v₊ = v₋ = v0"),
    ("eg", "exponentiated gradient from α·1"),
];

/// Every method name a run accepts, built-in first, then the registry's.
pub fn method_names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|m| m.0).chain(registry::REGISTRY.iter().map(|e| e.name)).collect()
}

/// The method's name as every output spells it (`None`: no such method; registered names also with hyphens).
pub fn canonical_name(method: &str) -> Option<&'static str> {
    BUILT_IN.iter().map(|b| b.0).find(|&b| b == method).or_else(|| registry::find(method).map(|e| e.name))
}

/// The norm whose maximum-margin direction `method` reaches on separable data under a classification loss
/// (SPEC §11: GD → `l2`, mirror descent with the hyperbolic entropy and GD on `(u, v)` → `l1`, registered methods
/// their own), `None` where no theorem says.
pub fn margin_norm(method: &str) -> Option<&'static str> {
    match canonical_name(method)? {
        "gd" => Some("l2"),
        "md" | "reparam" => Some("l1"),
        m => registry::find(m).and_then(|e| e.margin_norm),
    }
}

/// `(name, one line)` of every method, for help texts.
pub fn method_help() -> Vec<(&'static str, &'static str)> {
    BUILT_IN.iter().copied().chain(registry::REGISTRY.iter().map(|e| (e.name, e.summary))).collect()
}

/// The mirror map of mirror descent.
#[derive(Debug, Clone)]
pub enum PotentialChoice {
    /// A potential by name (`hyperbolic` takes `alpha`, `depth` takes `depth` and `alpha`).
    Kind(PotentialKind),
    /// A hyperbolic entropy with its own scales (one scale is used for every coordinate).
    Hyperbolic(Hyperbolic),
    /// A depth-D potential with its own `α`.
    Depth(DepthD),
    /// The p-norm potential with its own `p`.
    PNorm(PNorm),
}

impl PotentialChoice {
    /// The potential on `d` coordinates: a named one at scale `alpha` (and `depth` for the depth-D potential), an
    /// object as it is (a hyperbolic entropy with one scale uses it for every coordinate). Errors name `depth`
    /// and `potential`.
    pub fn build(&self, alpha: f64, depth: Option<u32>, d: usize) -> Result<Box<dyn Potential>> {
        Ok(match self {
            PotentialChoice::Kind(PotentialKind::Hyperbolic) => Box::new(Hyperbolic::uniform(alpha, d)?),
            PotentialChoice::Kind(PotentialKind::Euclidean) => Box::new(Euclidean),
            PotentialChoice::Kind(PotentialKind::Entropy) => Box::new(NegEntropy),
            PotentialChoice::Kind(PotentialKind::Depth) => Box::new(DepthD::new(
                depth.ok_or_else(|| Error::param("depth", "the depth potential needs a depth D ≥ 3"))?,
                alpha,
            )?),
            PotentialChoice::Hyperbolic(h) => {
                let c = h.ln_half_scales();
                if c.len() == 1 {
                    Box::new(Hyperbolic::from_ln_half_scales(vec![c[0]; d]))
                } else if c.len() == d {
                    Box::new(h.clone())
                } else {
                    return Err(Error::param(
                        "potential",
                        format!("the hyperbolic entropy has {} scales but the data has d = {d} features", c.len()),
                    ));
                }
            }
            PotentialChoice::Depth(p) => Box::new(p.clone()),
            PotentialChoice::PNorm(p) => Box::new(*p),
            PotentialChoice::Kind(PotentialKind::PNorm) => {
                return Err(Error::param("p", "the p-norm potential needs its exponent p ∈ [1.05, 20]"));
            }
        })
    }

    /// Which potential it is.
    pub fn kind(&self) -> PotentialKind {
        match self {
            PotentialChoice::Kind(k) => *k,
            PotentialChoice::Hyperbolic(_) => PotentialKind::Hyperbolic,
            PotentialChoice::Depth(_) => PotentialKind::Depth,
            PotentialChoice::PNorm(_) => PotentialKind::PNorm,
        }
    }
}

/// Everything one run needs. Build with [`RunRequest::new`] and struct update; [`RunRequest::run`] validates and
/// runs. `None` fields take the method's default (resolved in [`RunRequest::step_rule`] and [`RunRequest::run`]).
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The method: `gd`, `md`, `reparam`, `azulay`, `eg` or a registered one ([`method_names`]).
    pub method: String,
    /// The datafit.
    pub loss: LossKind,
    /// Initialisation scale `α` (md, reparam, azulay, eg; default 1).
    pub alpha: Option<f64>,
    /// The potential of md (default: the hyperbolic entropy at `alpha`).
    pub potential: Option<PotentialChoice>,
    /// Depth `D` (reparam: `D ≥ 2`; md with the depth potential: `D ≥ 3`).
    pub depth: Option<u32>,
    /// Start of md/eg (default 0, or `α·1` for the entropy).
    pub w0: Option<Vec<f64>>,
    /// Step rule (default: `auto` for md/gd/eg, `safe` for reparam, azulay, momentum, mini-batches and every
    /// method on a classification loss or from the registry).
    pub eta: Option<StepRule>,
    /// Heavy-ball momentum `β ∈ [0, 1)` (gd).
    pub momentum: Option<f64>,
    /// Initialisation shape `s ∈ (−1, 1)` (reparam, azulay).
    pub shape: Option<f64>,
    /// Explicit `u₀` (reparam, azulay; with `v0`).
    pub u0: Option<Vec<f64>>,
    /// Explicit `v₀` (with `u0`).
    pub v0: Option<Vec<f64>>,
    /// Track `ln a²` and `θ` of SPEC §8 (reparam).
    pub track_scale: bool,
    /// Stop when `F(w) ≤ tol·F(0)` (0: off).
    pub tol: f64,
    /// Stop when the local-metric gradient `≤ grad_tol·‖∇F(0)‖_∞` (0: off).
    pub grad_tol: f64,
    /// Iteration cap.
    pub max_iter: usize,
    /// Wall-clock cap in seconds.
    pub max_seconds: Option<f64>,
    /// Log-spaced checkpoints recorded.
    pub checkpoints: usize,
    /// Record every iterate.
    pub record_every: bool,
    /// Mini-batch size (`None`: full batch).
    pub batch: Option<usize>,
    /// Draw batches with replacement.
    pub replacement: bool,
    /// Gaussian label noise per batch (least squares).
    pub label_noise: f64,
    /// Seed of the batch stream.
    pub seed: u64,
    /// The full loss is computed every this many steps of a stochastic run.
    pub check_every: usize,
    /// Integrate the flow instead.
    pub flow: bool,
    /// The stiff integrator (ROS2) for the flow.
    pub stiff: bool,
    /// Final time of the flow.
    pub t_max: f64,
}

impl RunRequest {
    /// The defaults for `method`.
    pub fn new(method: &str) -> Self {
        RunRequest {
            method: method.to_string(),
            loss: LossKind::LeastSquares,
            alpha: None,
            potential: None,
            depth: None,
            w0: None,
            eta: None,
            momentum: None,
            shape: None,
            u0: None,
            v0: None,
            track_scale: false,
            tol: 1e-16,
            grad_tol: 0.0,
            max_iter: 1_000_000,
            max_seconds: None,
            checkpoints: 40,
            record_every: false,
            batch: None,
            replacement: false,
            label_noise: 0.0,
            seed: 0,
            check_every: 100,
            flow: false,
            stiff: false,
            t_max: 1e4,
        }
    }

    fn is(&self, m: &str) -> bool {
        self.method == m
    }

    /// The step rule this request runs with on `p` (the one place defaults are decided; every door runs
    /// through it): the given `eta`; else [`Self::step_rule`]'s default, except that mirror descent on least
    /// squares at full batch takes `lbfgs` where `X` has full row rank (SPEC §6: the dual then has one optimum and
    /// dual L-BFGS reaches it in fewer steps than `auto`; the iterates keep `θ − θ₀ ∈ range(Xᵀ)`, hence the
    /// same limit).
    pub fn step_rule_on(&self, p: &Problem) -> StepRule {
        let base = self.step_rule();
        if self.eta.is_none() && base == StepRule::Auto && self.is("md") && !self.flow && p.rank() == p.n() {
            StepRule::Lbfgs
        } else {
            base
        }
    }

    /// The step rule this request runs with before its data are known: the given `eta`, else the default
    /// (`safe` for reparam, azulay, momentum, mini-batches, margin losses and registered methods; `auto`
    /// otherwise — [`Self::step_rule_on`] refines it for mirror descent on full-row-rank data).
    pub fn step_rule(&self) -> StepRule {
        self.eta.unwrap_or(
            if self.is("reparam")
                || self.is("azulay")
                || self.momentum.is_some()
                || self.batch.is_some()
                || self.loss.is_classification()
                || registry::find(&self.method).is_some()
            {
                StepRule::Safe
            } else {
                StepRule::Auto
            },
        )
    }

    /// The stop rule.
    pub fn stop_rule(&self) -> StopRule {
        StopRule::default()
            .risk_tol(self.tol)
            .grad_tol(self.grad_tol)
            .max_iter(self.max_iter)
            .max_seconds(self.max_seconds)
            .max_time(self.t_max)
    }

    /// The run's configuration on `p`.
    pub fn config(&self, p: &Problem) -> RunConfig {
        let cfg = RunConfig::new(self.step_rule_on(p)).checkpoints(self.checkpoints).stop(self.stop_rule());
        if self.record_every { cfg.record_every() } else { cfg }
    }

    /// Whether the method reads `alpha` (an initialisation or potential scale).
    pub fn takes_alpha(&self) -> bool {
        match self.method.as_str() {
            "reparam" | "azulay" => self.u0.is_none(),
            "eg" => self.w0.is_none(),
            "md" => match &self.potential {
                None => true,
                Some(PotentialChoice::Kind(PotentialKind::Hyperbolic | PotentialKind::Depth)) => true,
                Some(PotentialChoice::Kind(PotentialKind::Entropy)) => self.w0.is_none(),
                _ => false,
            },
            m => registry::find(m).is_some_and(|e| e.takes_alpha),
        }
    }

    /// Checks the request against itself: a known method, values in range, and no parameter that this method
    /// would ignore (each refusal names the parameter and says what it applies to).
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, why: String| Err(Error::param(name, why));
        let m = self.method.as_str();
        let registered = registry::find(m);
        if !BUILT_IN.iter().any(|b| b.0 == m) && registered.is_none() {
            return bad("method", format!("unknown method '{m}' (one of: {})", method_names().join(", ")));
        }
        if let Some(a) = self.alpha {
            if !(a.is_finite() && a > 0.0) {
                return bad("alpha", format!("α must be finite and > 0, got {}", crate::error::num(a)));
            }
            if !self.takes_alpha() {
                let why = match m {
                    "gd" => "gd starts from 0 and has no initialisation scale".to_string(),
                    "md" => "this potential has no scale α (the hyperbolic and depth potentials have)".to_string(),
                    "eg" | "reparam" | "azulay" => format!("{m} was given an explicit start (w0 or u0/v0)"),
                    _ => format!("{m} starts from 0 and has no initialisation scale"),
                };
                return bad("alpha", why);
            }
        }
        self.stop_rule().validate()?;
        if self.flow && self.eta.is_some() {
            return bad(
                "eta",
                "flows have no step size (the integrator chooses its steps to rtol); drop eta or flow".into(),
            );
        }
        if self.stiff && !self.flow {
            return bad("stiff", "the stiff integrator is for flows (with flow)".into());
        }
        if let Some(b) = self.momentum {
            if !(b.is_finite() && (0.0..1.0).contains(&b)) {
                return bad("momentum", format!("β must lie in [0, 1), got {}", crate::error::num(b)));
            }
            if m != "gd" {
                return bad("momentum", "heavy-ball momentum is an option of gd".into());
            }
            if self.flow {
                return bad("momentum", "there is no heavy-ball flow here; drop flow".into());
            }
            if self.batch.is_some() {
                return bad("batch", "stochastic runs are without momentum".into());
            }
        }
        if (self.shape.is_some() || self.u0.is_some() || self.v0.is_some()) && !matches!(m, "reparam" | "azulay") {
            return bad("shape/u0/v0", "these are options of reparam and azulay".into());
        }
        if self.u0.is_some() != self.v0.is_some() {
            return bad("u0/v0", "give u0 and v0 together".into());
        }
        if self.shape.is_some() && self.u0.is_some() {
            return bad("shape/u0/v0", "give shape, or u0 and v0, not both".into());
        }
        if self.w0.is_some() && !matches!(m, "md" | "eg") {
            return bad("w0", "a start w0 is an option of md and eg (reparam/azulay take u0 and v0)".into());
        }
        if self.track_scale && m != "reparam" {
            return bad("track_scale", "this is an option of reparam".into());
        }
        if m == "azulay" && (self.flow || self.batch.is_some()) {
            return bad(
                "flow/batch",
                "azulay runs full-batch GD only (its flow limit: solve bregman with c = u0² + v0²)".into(),
            );
        }
        let pot_kind = self.potential.as_ref().map(|p| p.kind());
        if self.potential.is_some() && m != "md" {
            return bad(
                "potential",
                "only md takes a potential (gd is Euclidean, eg the entropy, reparam the hyperbolic entropy)".into(),
            );
        }
        if self.depth.is_some()
            && !(m == "reparam"
                || m == "md" && pot_kind == Some(PotentialKind::Depth)
                || registered.is_some_and(|e| e.takes_depth))
        {
            return bad(
                "depth",
                "depth is an option of reparam, of md with the depth potential and of factored/factored_psd".into(),
            );
        }
        if self.stiff && m == "reparam" && self.depth.is_some_and(|d| d != 2) {
            return bad(
                "stiff",
                "ROS2 integrates the depth-2 (u, v) flow (a mirror flow); depth D > 2 uses DOPRI5".into(),
            );
        }
        if let Some(b) = self.batch {
            if self.flow {
                return bad("batch", "stochastic gradients are for discrete runs, not flows".into());
            }
            if b == 0 {
                return bad("batch", "a batch size must be ≥ 1".into());
            }
        } else {
            for (on, name) in [
                (self.replacement, "replacement"),
                (self.label_noise != 0.0, "label_noise"),
                (self.seed != 0, "seed"),
                (self.check_every != 100, "check_every"),
            ] {
                if on {
                    return bad(name, "this is an option of stochastic runs (with batch)".into());
                }
            }
        }
        if self.loss.is_classification() || registered.is_some() {
            let who = registered.map_or(format!("the {} loss", self.loss), |e| e.name.to_string());
            if self.flow && registered.is_some_and(|e| e.flow.is_none()) {
                return bad("flow", format!("{who} runs discrete steps (flows: gd, md, eg, reparam, spectral_md)"));
            }
            if self.flow && self.stiff {
                return bad("stiff", format!("flows on {who} are integrated in log time by DOPRI5 (drop stiff)"));
            }
            if m == "azulay" {
                return bad("method", format!("{who} runs gd, reparam, md, eg or a registered method, not azulay"));
            }
            if self.momentum.is_some() {
                return bad("momentum", format!("not available for {who} (least-squares gd only)"));
            }
        }
        if (self.loss.is_classification() || registered.is_some() || self.batch.is_some())
            && matches!(self.eta, Some(StepRule::Auto | StepRule::Lbfgs))
        {
            let who = if self.batch.is_some() {
                "mini-batch runs".to_string()
            } else {
                registered.map_or(format!("the {} loss", self.loss), |e| e.name.to_string())
            };
            return bad(
                "eta",
                format!(
                    "{who} take a number or safe, not {} (auto and lbfgs act on the least-squares dual)",
                    self.step_rule().label()
                ),
            );
        }
        Ok(())
    }

    /// Validates the request, runs it on `p` and fills the result's α.
    pub fn run(&self, p: &Problem) -> Result<RunResult> {
        self.validate()?;
        let d = p.d();
        for (name, v) in [("w0", &self.w0), ("u0", &self.u0), ("v0", &self.v0)] {
            if let Some(v) = v
                && v.len() != d
            {
                return Err(Error::param(name, format!("has {} entries but the data has d = {d} features", v.len())));
            }
        }
        let alpha = self.alpha.unwrap_or(1.0);
        let cfg = self.config(p);
        let registered = registry::find(&self.method);
        // Any loss but least squares, a registered method, or a sampling policy: the loss-generic methods
        // (dynamics::fit); full-batch least squares: the tuned kernels and the dual step rules.
        // A registered method's flow (validate() refused flows of methods without one, and flows with batches).
        let mut res = if self.flow && self.loss.is_classification() && registered.is_none() {
            self.run_margin_flow(p, alpha)?
        } else if self.loss.is_classification() || registered.is_some() || self.batch.is_some() {
            let args = FitArgs { loss: self.loss, cfg, sampling: self.sampling(), alpha, depth: self.depth };
            match (registered, registered.and_then(|e| e.flow).filter(|_| self.flow)) {
                (_, Some(flow)) => flow(p, &args, &self.stop_rule(), self.checkpoints)?,
                (Some(e), None) => (e.run)(p, &args)?,
                (None, None) => self.run_fit(p, &args, alpha)?,
            }
        } else {
            self.run_least_squares(p, alpha, &cfg)?
        };
        if self.takes_alpha() {
            res.alpha = Some(alpha);
        } else if let Some(PotentialChoice::Depth(pot)) = &self.potential {
            // A depth-D potential given as an object carries its α: the result reports it as `--alpha` would.
            res.alpha = Some(pot.alpha());
        }
        Ok(res)
    }

    fn sampling(&self) -> Option<SgdOptions> {
        self.batch.map(|batch| SgdOptions {
            batch,
            replacement: self.replacement,
            label_noise: self.label_noise,
            seed: self.seed,
            check_every: self.check_every,
        })
    }

    fn init(&self, alpha: f64, d: usize) -> Result<Init> {
        // validate() refused shape with u0/v0 and half pairs.
        let i = Init::from_options(alpha, self.shape, self.u0.clone(), self.v0.clone(), d)?;
        let i = if self.is("reparam") { i.depth(self.depth.unwrap_or(2))? } else { i };
        Ok(i.track_scale(self.track_scale))
    }

    fn potential(&self, alpha: f64, d: usize) -> Result<Box<dyn Potential>> {
        self.potential.as_ref().unwrap_or(&PotentialChoice::Kind(PotentialKind::Hyperbolic)).build(alpha, self.depth, d)
    }

    fn md_w0(&self, kind: PotentialKind, alpha: f64, d: usize) -> Vec<f64> {
        self.w0.clone().unwrap_or_else(|| if kind == PotentialKind::Entropy { vec![alpha; d] } else { vec![0.0; d] })
    }

    /// A flow on a margin loss, in log time (gd, md, eg, reparam at depth 2).
    fn run_margin_flow(&self, p: &Problem, alpha: f64) -> Result<RunResult> {
        let d = p.d();
        let (stop, opts) = (self.stop_rule(), OdeOptions::default());
        let pot;
        let init;
        let kind = match self.method.as_str() {
            "gd" => MarginFlowKind::Gd,
            "reparam" => {
                init = self.init(alpha, d)?;
                MarginFlowKind::Reparam(&init)
            }
            "eg" => {
                pot = Box::new(NegEntropy) as Box<dyn Potential>;
                MarginFlowKind::Md(pot.as_ref(), self.w0.clone().unwrap_or_else(|| vec![alpha; d]), Algorithm::EgFlow)
            }
            _ => {
                pot = self.potential(alpha, d)?;
                MarginFlowKind::Md(pot.as_ref(), self.md_w0(pot.kind(), alpha, d), Algorithm::MdFlow)
            }
        };
        run_margin_flow(p, self.loss, kind, &stop, self.checkpoints, opts)
    }

    /// A built-in method on a datafit, with its geometry (potential, start, depth, shape) and sampling policy.
    fn run_fit(&self, p: &Problem, args: &FitArgs, alpha: f64) -> Result<RunResult> {
        let d = p.d();
        match self.method.as_str() {
            "gd" => fit::run_gd(p, args),
            "reparam" => fit::run_reparam_init(p, args, &self.init(alpha, d)?),
            "eg" => {
                let w0 = self.w0.clone().unwrap_or_else(|| vec![alpha; d]);
                fit::run_mirror(p, args, Box::new(NegEntropy), w0, Algorithm::Eg)
            }
            _ => {
                let pot = self.potential(alpha, d)?;
                let w0 = self.md_w0(pot.kind(), alpha, d);
                fit::run_mirror(p, args, pot, w0, Algorithm::Md)
            }
        }
    }

    fn run_least_squares(&self, p: &Problem, alpha: f64, cfg: &RunConfig) -> Result<RunResult> {
        let d = p.d();
        let m = self.method.as_str();
        let eg_w0 = || self.w0.clone().unwrap_or_else(|| vec![alpha; d]);
        if self.flow {
            let stop = self.stop_rule();
            let opts = if self.stiff {
                OdeOptions { rtol: 1e-8, atol: 1e-12, stiff: true, ..Default::default() }
            } else {
                OdeOptions::default()
            };
            let pot = self.potential(alpha, d)?;
            let init = self.init(alpha, d)?;
            let kind = match m {
                "gd" => FlowKind::Gd,
                "md" => FlowKind::Md(pot.as_ref(), self.md_w0(pot.kind(), alpha, d)),
                "eg" => FlowKind::Md(&NegEntropy, eg_w0()),
                _ => FlowKind::Reparam(&init),
            };
            let mut r = run_flow(p, kind, &stop, self.checkpoints, opts)?;
            if m == "eg" {
                r.algorithm = Algorithm::EgFlow;
            }
            return Ok(r);
        }
        let mut res = match m {
            "gd" => match self.momentum {
                Some(b) => run_heavy_ball(p, b, cfg)?,
                None => run_gd(p, cfg)?,
            },
            "md" => {
                let pot = self.potential(alpha, d)?;
                run_md(p, pot.as_ref(), &self.md_w0(pot.kind(), alpha, d), cfg)?
            }
            "eg" => run_eg(p, &eg_w0(), cfg)?,
            "reparam" => run_reparam(p, &self.init(alpha, d)?, cfg)?,
            _ => {
                let i = self.init(alpha, d)?;
                crate::dynamics::run_azulay(p, i.u0(), i.v0(), cfg)?
            }
        };
        // GD on (u, v) at a fixed step, converged, with the identity tracked: what the finite step did to the limit.
        if m == "reparam"
            && self.track_scale
            && res.converged
            && let StepRule::Fixed(eta) = cfg.step_rule()
        {
            res.step_effect = Some(crate::exact::finite_step::step_effect(p, &self.init(alpha, d)?, &res, eta)?);
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::generate::GenSpec;

    #[test]
    fn meaningless_parameters_are_refused_by_name() {
        let p = GenSpec::ex2(0).generate().unwrap().problem;
        let cases: Vec<(RunRequest, &str)> = vec![
            (
                RunRequest {
                    potential: Some(PotentialChoice::Kind(PotentialKind::Euclidean)),
                    alpha: Some(0.5),
                    ..RunRequest::new("md")
                },
                "alpha",
            ),
            (RunRequest { alpha: Some(0.5), ..RunRequest::new("gd") }, "alpha"),
            (RunRequest { momentum: Some(0.5), ..RunRequest::new("md") }, "momentum"),
            (RunRequest { shape: Some(0.5), ..RunRequest::new("gd") }, "shape/u0/v0"),
            (RunRequest { seed: 3, ..RunRequest::new("gd") }, "seed"),
            (RunRequest { eta: Some(StepRule::Fixed(0.1)), flow: true, ..RunRequest::new("gd") }, "eta"),
            (RunRequest { loss: LossKind::Logistic, flow: true, ..RunRequest::new("sign_gd") }, "flow"),
            (RunRequest { loss: LossKind::Logistic, flow: true, stiff: true, ..RunRequest::new("gd") }, "stiff"),
            (RunRequest { loss: LossKind::Logistic, ..RunRequest::new("azulay") }, "method"),
            (RunRequest { loss: LossKind::Logistic, momentum: Some(0.5), ..RunRequest::new("gd") }, "momentum"),
            (RunRequest { batch: Some(2), eta: Some(StepRule::Auto), ..RunRequest::new("md") }, "eta"),
            (RunRequest { alpha: Some(0.5), ..RunRequest::new("sign_gd") }, "alpha"),
            (RunRequest::new("newton"), "method"),
            (RunRequest { alpha: Some(-1.0), ..RunRequest::new("md") }, "alpha"),
        ];
        for (req, name) in cases {
            match req.run(&p) {
                Err(Error::Param { name: n, .. }) => assert_eq!(n, name, "{req:?}"),
                other => panic!("{req:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults_are_decided_once() {
        assert_eq!(RunRequest::new("md").step_rule(), StepRule::Auto);
        assert_eq!(RunRequest::new("reparam").step_rule(), StepRule::Safe);
        assert_eq!(RunRequest { batch: Some(2), ..RunRequest::new("md") }.step_rule(), StepRule::Safe);
        assert_eq!(RunRequest { loss: LossKind::Logistic, ..RunRequest::new("gd") }.step_rule(), StepRule::Safe);
        assert_eq!(RunRequest::new("sign_gd").step_rule(), StepRule::Safe);
        assert_eq!(RunRequest::new("sign-gd").step_rule(), StepRule::Safe);
    }
}
