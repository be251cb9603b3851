//! Methods on any [`Datafit`] (SPEC §11): the state they share ([`FitState`]: the iterate, its gradient, `F(w)` and
//! the sampling policy), what a registered method receives ([`FitArgs`]), and the three methods every loss needs —
//! GD from 0, GD on `(u, v)` (`w = u⊙u − v⊙v`) and mirror descent with the hyperbolic entropy. Further methods
//! are one file each, listed in [`super::registry`] (sign gradient descent, normalised GD).
//!
//! Step rules: a fixed `η`, or `safe` — the descent lemma with the datafit's curvature bound on its trust region
//! (for least squares `1/L`; for margin losses the bound shrinks with `F`, so safe steps grow as the loss falls).
//! The sampling policy is the driver's: full batch, or mini-batches from [`super::sampling`] for every method.
//!
//! Mini-batch SGD is the same methods under a sampling policy: `b = n` without replacement and without noise is
//! full-batch GD exactly, and a noiseless overparametrised problem is interpolated at a constant step:
//!
//! ```
//! use ibias::datafit::LossKind;
//! use ibias::dynamics::fit::{FitArgs, run_gd};
//! use ibias::dynamics::sampling::SgdOptions;
//! use ibias::dynamics::{RunConfig, StopRule};
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let opts = SgdOptions { batch: 4, seed: 7, ..Default::default() };
//! let cfg = RunConfig::fixed(0.02).stop(StopRule::default().risk_tol(1e-12).max_iter(2_000_000));
//! let r = run_gd(&p, &FitArgs::new(LossKind::LeastSquares, cfg).sampled(opts)).unwrap();
//! assert!(r.converged);
//! ```
//!
//! ```
//! use ibias::datafit::LossKind;
//! use ibias::dynamics::fit::{FitArgs, run_gd};
//! use ibias::dynamics::{RunConfig, StepRule, StopRule};
//! use ibias::kernels::linalg::Dense;
//! use ibias::problem::Problem;
//! // Two points, separable by w = (1, 0): GD on the logistic loss grows along the max-margin direction.
//! let p = Problem::new(Dense::from_fn(2, 2, |i, j| [[1.0, 0.5], [-1.0, 0.5]][i][j]), vec![1.0, -1.0]).unwrap();
//! let a = FitArgs::new(LossKind::Logistic, RunConfig::fixed(1.0).stop(StopRule::steps(2000)));
//! let r = run_gd(&p, &a).unwrap();
//! assert!(r.w[0] > 3.0 && r.w[1].abs() < 1e-12);
//! ```

use super::config::{RunConfig, StepRule, metric_grad};
use super::driver::{Finish, Method, StepOutcome, drive};
use super::reparam::Init;
use super::result::{Algorithm, RunResult};
use super::sampling::{Sampler, SgdOptions};
use super::step::ScalarRule;
use crate::datafit::{Datafit, LossKind, StepNorm, datafit};
use crate::kernels::linalg::{norm_inf, norm2};
use crate::potential::{Hyperbolic, Potential, PotentialKind};
use crate::problem::Problem;
use crate::{Error, Result};

/// What a method on a datafit is asked to do: the loss, the run's configuration, the sampling policy and the
/// initialisation scale (methods that have one).
#[derive(Debug, Clone, PartialEq)]
pub struct FitArgs {
    /// The datafit.
    pub loss: LossKind,
    /// Step rule, stop rule, what is recorded.
    pub cfg: RunConfig,
    /// Mini-batches (`None`: full batch).
    pub sampling: Option<SgdOptions>,
    /// Initialisation scale `α` (GD on `(u, v)`: `u₀ = v₀ = α·1`; mirror descent: `ψ` with scale `α`).
    pub alpha: f64,
    /// Depth of a registered method that takes one ([`Entry::takes_depth`]; `None`: its default).
    pub depth: Option<u32>,
}

impl FitArgs {
    /// Full batch, `α = 1`.
    pub fn new(loss: LossKind, cfg: RunConfig) -> Self {
        FitArgs { loss, cfg, sampling: None, alpha: 1.0, depth: None }
    }

    /// The same, on mini-batches drawn under `opts`.
    pub fn sampled(mut self, opts: SgdOptions) -> Self {
        self.sampling = Some(opts);
        self
    }

    /// The state at `w0`, after checking the configuration against `p` (shapes, memory, labels, sampling).
    pub fn state<'a>(&self, p: &'a Problem, w0: Vec<f64>) -> Result<FitState<'a>> {
        self.check(p)?;
        let f = datafit(self.loss, p, self.cfg.parallelism)?;
        Ok(FitState::new(f, w0, self.sampling))
    }

    /// The state at `w0` on a datafit the method chose itself (matrix sensing's packed least squares), after the
    /// same checks as [`FitArgs::state`].
    pub fn state_on<'a>(&self, p: &'a Problem, f: Box<dyn Datafit + 'a>, w0: Vec<f64>) -> Result<FitState<'a>> {
        self.check(p)?;
        Ok(FitState::new(f, w0, self.sampling))
    }

    fn check(&self, p: &Problem) -> Result<()> {
        self.cfg.validate(p.d())?;
        if let Some(s) = &self.sampling {
            s.validate(p.n())?;
            if s.label_noise > 0.0 && self.loss.is_classification() {
                return Err(Error::param(
                    "label_noise",
                    "label noise is defined for least squares (labels ±1 stay ±1)",
                ));
            }
            if self.cfg.stop_rule().grad_tol > 0.0 {
                return Err(Error::param("grad_tol", "stochastic runs stop on the full loss, not on the gradient"));
            }
        }
        Ok(())
    }

    /// The scalar step rule (a number or `safe`); other rules are refused, naming `method`.
    pub fn scalar_rule(&self, method: &str) -> Result<Scalar> {
        match self.cfg.step_rule() {
            StepRule::Fixed(e) => Ok(Scalar::Fixed(e)),
            StepRule::Safe => Ok(Scalar::Safe),
            other if self.sampling.is_some() => Err(Error::param(
                "eta",
                format!(
                    "mini-batch runs take a number or safe (the safe step at the start, held), not {}",
                    other.label()
                ),
            )),
            other => Err(Error::param(
                "eta",
                format!(
                    "{method} on the {} loss takes a number or safe, not {} (auto and lbfgs act on the least-squares dual)",
                    self.loss,
                    other.label()
                ),
            )),
        }
    }
}

/// A registered method's flow: `(problem, args, stop rule, checkpoints)` to its result.
pub type FlowFn = fn(&Problem, &FitArgs, &super::StopRule, usize) -> Result<RunResult>;

/// One registered method (its line in [`super::registry::REGISTRY`]).
#[derive(Clone, Copy)]
pub struct Entry {
    /// Its name in every door (snake case; the command line also accepts hyphens).
    pub name: &'static str,
    /// One line for help texts.
    pub summary: &'static str,
    /// The norm whose maximum-margin direction the method reaches on separable data (its theorem; `l1`, `l2`,
    /// `linf`; `None`: no such theorem). Sweeps measure each run's margin gap against it.
    pub margin_norm: Option<&'static str>,
    /// Whether it reads the initialisation scale `alpha`.
    pub takes_alpha: bool,
    /// Whether it reads a `depth`.
    pub takes_depth: bool,
    /// Whether it runs on matrix sensing data only (`d = m²`, symmetric measurements; SPEC §13).
    pub matrix: bool,
    /// Runs it on a problem.
    pub run: fn(&Problem, &FitArgs) -> Result<RunResult>,
    /// Integrates its flow (least squares, DOPRI5), where it has one: `(problem, args, stop rule, checkpoints)`.
    pub flow: Option<FlowFn>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// A fixed step or the safe rule, chosen per run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// A fixed `η`.
    Fixed(f64),
    /// The safe rule at every iterate.
    Safe,
}

impl Scalar {
    /// The step: the fixed `η`, or `safe()` (evaluated only under the safe rule, so a fixed step costs nothing
    /// more). By value, so a method can pass a closure that reads its own state.
    #[inline]
    pub fn at(self, safe: impl FnOnce() -> f64) -> f64 {
        match self {
            Scalar::Fixed(e) => e,
            Scalar::Safe => safe(),
        }
    }
}

impl ScalarRule for Scalar {
    fn rule(&self) -> StepRule {
        match self {
            Scalar::Fixed(e) => StepRule::Fixed(*e),
            Scalar::Safe => StepRule::Safe,
        }
    }
    #[inline]
    fn eta(&mut self, safe: impl FnOnce() -> f64) -> f64 {
        self.at(safe)
    }
}

/// The state every method on a datafit shares: the iterate `w`, the gradient its next step uses (full, or the
/// mini-batch estimate under a sampling policy), `F(w)` (with sampling: refreshed every `check_every` steps and at
/// the end), and the start's references.
pub struct FitState<'a> {
    /// The datafit.
    pub f: Box<dyn Datafit + 'a>,
    /// The iterate.
    pub w: Vec<f64>,
    /// The gradient the next step uses (call [`FitState::gradient`] first).
    pub g: Vec<f64>,
    /// `F(w)`.
    pub value: f64,
    scratch: Vec<f64>,
    sampler: Option<(Sampler, SgdOptions)>,
    batch: Vec<usize>,
    noise: Vec<f64>,
    /// The batch's gradient coefficients (`∇F_B = Σₐ cₐ·x_{rows[a]}`).
    coefs: Vec<f64>,
    steps: usize,
    /// The safe step at the start (for divergence messages).
    pub safe0: f64,
}

impl<'a> FitState<'a> {
    /// The state at `w0` with the full gradient there.
    pub fn new(f: Box<dyn Datafit + 'a>, w0: Vec<f64>, sampling: Option<SgdOptions>) -> Self {
        let (n, d) = (f.problem().n(), f.problem().d());
        let sampler = sampling.filter(|s| !s.is_full(n)).map(|s| (Sampler::new(n, s), s));
        let mut st = FitState {
            f,
            w: w0,
            g: vec![0.0; d],
            value: 0.0,
            scratch: vec![0.0; n],
            sampler,
            batch: Vec::new(),
            noise: Vec::new(),
            coefs: Vec::new(),
            steps: 0,
            safe0: 0.0,
        };
        st.value = st.f.value_grad(&st.w, &mut st.scratch, &mut st.g);
        st.safe0 = st.safe_l2(1.0);
        st
    }

    /// Whether steps use mini-batches.
    pub fn sampled(&self) -> bool {
        self.sampler.is_some()
    }

    /// The start of a method's run: `safe0` (the method's own safe step at `w₀`, which divergence messages
    /// suggest) recorded, and under a sampling policy the safe rule held at it — a per-iterate rule on a
    /// mini-batch gradient would be as noisy as the gradient, and SGD's theory takes a constant step.
    pub fn start(&mut self, rule: &mut Scalar, safe0: f64) {
        self.safe0 = safe0;
        if self.sampled() && *rule == Scalar::Safe {
            *rule = Scalar::Fixed(safe0);
        }
    }

    /// Makes `g` the gradient of the next step: the full gradient at `w` (already current) or a fresh mini-batch's.
    #[inline]
    pub fn gradient(&mut self) {
        if let Some((s, _)) = &mut self.sampler {
            s.next(&mut self.batch, &mut self.noise);
            self.f.batch_value_grad(&self.w, &self.batch, &self.noise, &mut self.coefs, &mut self.g);
        }
    }

    /// GD's move `w ← w − η∇F(w)` with the full gradient, or with a fresh mini-batch's, row by row into `w`
    /// (`w ← w − η·cₐ·x_a`: two passes over `d` per row, no gradient vector).
    #[inline]
    pub fn descend(&mut self, eta: f64) {
        match &mut self.sampler {
            None => {
                for (w, g) in self.w.iter_mut().zip(&self.g) {
                    *w -= eta * g;
                }
            }
            Some((s, _)) => {
                s.next(&mut self.batch, &mut self.noise);
                self.f.batch_coefs(&self.w, &self.batch, &self.noise, &mut self.coefs);
                let x = self.f.problem().x();
                for (&c, &i) in self.coefs.iter().zip(&self.batch) {
                    crate::kernels::linalg::axpy(-eta * c, x.row(i), &mut self.w);
                }
            }
        }
    }

    /// After `w` moved: the full gradient and `F(w)` (full batch), or `F(w)` every `check_every` steps (sampled).
    #[inline]
    pub fn moved(&mut self) {
        self.steps += 1;
        match &self.sampler {
            None => self.value = self.f.value_grad(&self.w, &mut self.scratch, &mut self.g),
            Some((_, o)) => {
                if self.steps.is_multiple_of(o.check_every) {
                    self.value = self.f.value(&self.w, &mut self.scratch);
                }
            }
        }
    }

    /// The safe step of GD in `‖·‖₂` for a direction `g` scaled by `h` (`h = 1` for GD): the descent lemma
    /// `η ≤ 1/curvature`, inside the trust region `η·‖g‖·maxᵢ‖xᵢ‖ ≤ 1`.
    pub fn safe_l2(&self, h: f64) -> f64 {
        let c = self.f.curvature(self.value, StepNorm::L2).max(f64::MIN_POSITIVE);
        let mut eta = 1.0 / (c * h);
        if let Some(b) = self.f.trust_scale(StepNorm::L2) {
            let gn = norm2(&self.g) * h * b;
            if gn > 0.0 {
                eta = eta.min(1.0 / gn);
            }
        }
        eta
    }

    /// The safe step of steepest descent in `norm` whose step moves `w` by `η·len` in that norm (sign-GD:
    /// `‖·‖_∞`, `len = ‖g‖₁`; coordinate descent: `‖·‖₁`, `len = ‖g‖_∞`): the descent lemma `η ≤ 1/C`, inside the
    /// trust region `η·len·maxᵢ‖xᵢ‖_* ≤ 1`.
    pub fn safe_steepest(&self, norm: StepNorm, len: f64) -> f64 {
        let mut eta = 1.0 / self.f.curvature(self.value, norm).max(f64::MIN_POSITIVE);
        if let Some(b) = self.f.trust_scale(norm) {
            let m = len * b;
            if m > 0.0 {
                eta = eta.min(1.0 / m);
            }
        }
        eta
    }

    /// `‖g‖₂/√d`: the root-mean-square gradient, the local-metric gradient of the Euclidean geometry (GD and the
    /// matrix methods' gradient stop rule).
    pub fn rms_grad(&self) -> f64 {
        norm2(&self.g) / (self.g.len() as f64).sqrt()
    }

    /// The datafit's references `(F(0), ‖∇F(0)‖_∞)`.
    pub fn reference(&self) -> (f64, f64) {
        (self.f.value_at_zero(), self.f.grad_zero_inf())
    }

    /// The end of a run: the final iterate and the sampling note.
    pub fn into_finish(mut self) -> Finish {
        let notes = self.finish();
        Finish { w: self.w, reparam: None, notes }
    }

    /// The full `F(w)` (at the end of a sampled run) and a note on the sampling.
    pub fn finish(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some((_, o)) = &self.sampler {
            self.value = self.f.value(&self.w, &mut self.scratch);
            notes.push(format!(
                "stochastic: batch {} of n = {}, {}{}, seed {}; the full loss checked every {} steps",
                o.batch,
                self.f.problem().n(),
                if o.replacement { "with replacement" } else { "epochs of a seeded permutation" },
                if o.label_noise > 0.0 { format!(", label noise σ = {}", o.label_noise) } else { String::new() },
                o.seed,
                o.check_every
            ));
        }
        notes
    }
}

/// Implements the [`Method`] items every method on a [`FitState`] shares (in a field `s`).
#[macro_export]
#[doc(hidden)]
macro_rules! fit_method_common {
    () => {
        fn w(&self) -> &[f64] {
            &self.s.w
        }
        fn risk(&self) -> f64 {
            self.s.value
        }
        fn safe_eta(&self) -> f64 {
            self.s.safe0
        }
        fn watches_rising_risk(&self) -> bool {
            !self.s.sampled()
        }
        fn reference(&self, _: &$crate::problem::Problem) -> (f64, f64) {
            self.s.reference()
        }
        fn loss(&self) -> $crate::datafit::LossKind {
            self.s.f.kind()
        }
    };
}

/// GD from 0 on a datafit.
pub struct FitGd<'a> {
    s: FitState<'a>,
    rule: Scalar,
}

impl Method for FitGd<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Gd
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Euclidean
    }
    fn metric_grad(&mut self) -> f64 {
        self.s.rms_grad()
    }
    fn step(&mut self) -> Result<StepOutcome> {
        // Sampled runs hold a fixed step (FitState::start): the safe rule reads only full gradients.
        let eta = self.rule.at(|| self.s.safe_l2(1.0));
        self.s.descend(eta);
        self.s.moved();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fit_method_common!();
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(self.s.into_finish())
    }
}

/// GD from `w₀ = 0` on `a.loss`.
pub fn run_gd(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    let rule = a.scalar_rule("gd")?;
    let s = a.state(p, vec![0.0; p.d()])?;
    let mut m = FitGd { s, rule };
    let safe0 = m.s.safe_l2(1.0);
    m.s.start(&mut m.rule, safe0);
    drive(p, m, &a.cfg)
}

/// GD on `(u, v)` at depth `D` (`w = u^D − v^D`, on `F/(2D)`; `D = 2`: SPEC §2's `F/4`): `u₊ = u⊙(1 − η∇F⊙u^{D−2}/2)`,
/// `v₊ = v⊙(1 + η∇F⊙v^{D−2}/2)`, from any initialisation ([`Init`]: scale, shape, explicit `u₀`, `v₀`, depth, the
/// finite-step identity tracked).
pub struct FitReparam<'a> {
    s: FitState<'a>,
    rule: Scalar,
    init: Init,
    u: Vec<f64>,
    v: Vec<f64>,
    sign_changes: usize,
    track: Option<(Vec<f64>, Vec<f64>)>,
}

impl FitReparam<'_> {
    /// The metric `(D/2)(u^{2D−2} + v^{2D−2})` of coordinate `i` (`u² + v²` at `D = 2`).
    #[inline]
    fn metric(&self, i: usize) -> f64 {
        let (a, b) = (self.u[i], self.v[i]);
        match self.init.network_depth() {
            2 => a * a + b * b,
            d => 0.5 * d as f64 * (a.powi(2 * d as i32 - 2) + b.powi(2 * d as i32 - 2)),
        }
    }

    /// The safe step (SPEC §6 for least squares, with the datafit's curvature `C`):
    /// `min(1/(C·max metric + ‖g‖_∞m/2), 1/(2‖g‖_∞m))`, `m = max(|u|, |v|)^{D−2}`, so that every factor
    /// `1 ∓ ηgu^{D−2}/2` stays within `[3/4, 5/4]`; then `|Δwᵢ| ≤ η·1.5^{D−1}·metricᵢ·|gᵢ|` (from
    /// `(1 + x)^D − 1 ≤ Dx(1 + x)^{D−1}`), kept inside the trust region.
    fn safe(&self) -> f64 {
        let s = &self.s;
        let depth = self.init.network_depth();
        let d = self.u.len();
        let hmax = (0..d).map(|i| self.metric(i)).fold(0.0, f64::max);
        let m = match depth {
            2 => 1.0,
            e => self.u.iter().zip(&self.v).map(|(a, b)| a.abs().max(b.abs()).powi(e as i32 - 2)).fold(0.0, f64::max),
        };
        let gi = norm_inf(&s.g) * m;
        let c = s.f.curvature(s.value, StepNorm::L2);
        let mut eta = 1.0 / (c * hmax + 0.5 * gi).max(f64::MIN_POSITIVE);
        if gi > 0.0 {
            eta = eta.min(0.5 / gi);
        }
        if let Some(b) = s.f.trust_scale(StepNorm::L2) {
            let hg: f64 = (0..d).map(|i| (self.metric(i) * s.g[i]).powi(2)).sum();
            let t = 1.5f64.powi(depth as i32 - 1) * hg.sqrt() * b;
            if t > 0.0 {
                eta = eta.min(1.0 / t);
            }
        }
        eta
    }
}

impl Method for FitReparam<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Reparam
    }
    fn potential(&self) -> PotentialKind {
        if self.init.network_depth() == 2 { PotentialKind::Hyperbolic } else { PotentialKind::Depth }
    }
    fn metric_grad(&mut self) -> f64 {
        metric_grad((0..self.u.len()).map(|i| self.metric(i)), &self.s.g)
    }
    fn step(&mut self) -> Result<StepOutcome> {
        self.s.gradient();
        let eta = self.rule.at(|| self.safe());
        let h = 0.5 * eta;
        super::reparam::track_step(&mut self.track, h, &self.s.g);
        let flip = match self.init.network_depth() {
            2 => super::reparam::update(h, &self.s.g, &mut self.u, &mut self.v, &mut self.s.w),
            d => super::reparam::update_depth(d, h, &self.s.g, &mut self.u, &mut self.v, &mut self.s.w),
        };
        self.sign_changes += flip as usize;
        self.s.moved();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fn uv(&self) -> Option<Vec<f64>> {
        Some(self.u.iter().zip(&self.v).map(|(a, b)| a * b).collect())
    }
    fit_method_common!();
    fn finish(mut self, p: &Problem) -> Result<Finish> {
        let sampling = self.s.finish();
        let mut fin =
            super::reparam::finish_reparam(p, &self.init, self.u, self.v, self.s.w, self.sign_changes, self.track)?;
        fin.notes.extend(sampling);
        Ok(fin)
    }
}

/// GD on `(u, v)` from `u₀ = v₀ = α·1` on `a.loss`.
pub fn run_reparam(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    run_reparam_init(p, a, &Init::uniform(a.alpha, p.d())?)
}

/// GD on `(u, v)` from `init` (its scale, shape or explicit start, its depth; the identity tracked if asked) on
/// `a.loss`.
pub fn run_reparam_init(p: &Problem, a: &FitArgs, init: &Init) -> Result<RunResult> {
    let d = p.d();
    if init.u0().len() != d {
        return Err(Error::param("u0/v0", format!("have length {} but d = {d}", init.u0().len())));
    }
    let rule = a.scalar_rule("reparam")?;
    let (u, v) = (init.u0().to_vec(), init.v0().to_vec());
    let mut w0 = vec![0.0; d];
    super::reparam::w_of_depth(init.network_depth(), &u, &v, &mut w0);
    let s = a.state(p, w0)?;
    let track = init.tracks_scale().then(|| super::reparam::track_start(&u, &v));
    let mut m = FitReparam { s, rule, init: init.clone(), u, v, sign_changes: 0, track };
    let safe0 = m.safe();
    m.s.start(&mut m.rule, safe0);
    let mut res = drive(p, m, &a.cfg)?;
    res.alpha = init.alpha();
    Ok(res)
}

/// Mirror descent `θ₊ = θ − η∇F(w)`, `w = (∇ψ)⁻¹(θ)`, with any potential `ψ` from any `w₀` in its domain
/// (exponentiated gradient: the negative entropy).
pub struct FitMd<'a> {
    s: FitState<'a>,
    rule: Scalar,
    pot: Box<dyn Potential + 'a>,
    algorithm: Algorithm,
    theta: Vec<f64>,
}

impl FitMd<'_> {
    /// The safe step: `min(1/(√e·C·maxᵢhᵢ), 1/(2‖g‖_∞))` in the local metric `hᵢ = 1/ψᵢ''(wᵢ)` (for the
    /// hyperbolic and negative entropies a step of `|Δθᵢ| ≤ 1/2` changes `hᵢ` by at most `√e`), inside the trust
    /// region.
    fn safe(&self) -> f64 {
        let s = &self.s;
        let root_e = std::f64::consts::E.sqrt();
        let h = || s.w.iter().enumerate().map(|(i, &x)| self.pot.inv_hess_i(i, x));
        let hmax = h().fold(0.0, f64::max);
        let gi = norm_inf(&s.g);
        let c = s.f.curvature(s.value, StepNorm::L2);
        let mut eta = 1.0 / (root_e * c * hmax).max(f64::MIN_POSITIVE);
        if gi > 0.0 {
            eta = eta.min(0.5 / gi);
        }
        if let Some(b) = s.f.trust_scale(StepNorm::L2) {
            let hg: f64 = h().zip(&s.g).map(|(a, g)| (a * g).powi(2)).sum();
            let m = root_e * hg.sqrt() * b;
            if m > 0.0 {
                eta = eta.min(1.0 / m);
            }
        }
        eta
    }
}

impl Method for FitMd<'_> {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    fn potential(&self) -> PotentialKind {
        self.pot.kind()
    }
    fn metric_grad(&mut self) -> f64 {
        let pot = &self.pot;
        metric_grad(self.s.w.iter().enumerate().map(|(i, &x)| pot.inv_hess_i(i, x)), &self.s.g)
    }
    fn step(&mut self) -> Result<StepOutcome> {
        self.s.gradient();
        let eta = self.rule.at(|| self.safe());
        for (t, g) in self.theta.iter_mut().zip(&self.s.g) {
            *t -= eta * g;
        }
        self.pot.inv_grad_range(0, &self.theta, &mut self.s.w);
        self.s.moved();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fit_method_common!();
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(self.s.into_finish())
    }
}

/// Mirror descent with the hyperbolic entropy of scale `α` from 0 on `a.loss`.
pub fn run_md(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    run_mirror(p, a, Box::new(Hyperbolic::uniform(a.alpha, p.d())?), vec![0.0; p.d()], Algorithm::Md)
}

/// Mirror descent with `pot` from `w0` on `a.loss`, reported as `algorithm` (`Md`, or `Eg` for the negative
/// entropy). Errors: `w0` of the wrong length or outside the potential's domain.
pub fn run_mirror<'a>(
    p: &'a Problem,
    a: &FitArgs,
    pot: Box<dyn Potential + 'a>,
    w0: Vec<f64>,
    algorithm: Algorithm,
) -> Result<RunResult> {
    let d = p.d();
    if w0.len() != d {
        return Err(Error::param("w0", format!("has length {} but d = {d}", w0.len())));
    }
    if let Some(i) = (0..d).find(|&i| !(w0[i].is_finite() && pot.in_domain(i, w0[i]))) {
        return Err(Error::param(
            "w0",
            format!("entry {} = {} is outside the domain of the {} potential", i + 1, w0[i], pot.name()),
        ));
    }
    let rule = a.scalar_rule(algorithm.name())?;
    let theta = pot.grad(&w0);
    let s = a.state(p, w0)?;
    let mut m = FitMd { s, rule, pot, algorithm, theta };
    let safe0 = m.safe();
    if m.rule == Scalar::Safe && !(safe0 > 0.0 && safe0.is_finite()) {
        return Err(Error::param(
            "eta",
            format!(
                "the safe step is {safe0:e} at w0: the {} potential's metric 1/ψ'' is infinite there (the p-norm \
                 potential with p > 2 at 0); give a fixed eta",
                m.pot.name()
            ),
        ));
    }
    m.s.start(&mut m.rule, safe0);
    drive(p, m, &a.cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StopRule;
    use crate::problem::generate::GenSpec;

    /// On least squares the loss-generic GD is the tuned GD: the same iterates at the same fixed step.
    #[test]
    fn least_squares_through_the_datafit_is_gd() {
        let p = GenSpec::ex2(0).generate().unwrap().problem;
        let cfg = RunConfig::fixed(0.5 / p.smoothness()).stop(StopRule::steps(500));
        let a = run_gd(&p, &FitArgs::new(LossKind::LeastSquares, cfg)).unwrap();
        let b = crate::dynamics::run_gd(&p, &cfg).unwrap();
        let d = crate::kernels::linalg::dist2(&a.w, &b.w);
        assert!(d <= 1e-12 * b.l2_norm, "{d}");
        assert_eq!(a.loss, LossKind::LeastSquares);
        let r = run_reparam(&p, &FitArgs { alpha: 0.1, ..FitArgs::new(LossKind::LeastSquares, cfg) }).unwrap();
        let z = crate::dynamics::run_reparam_alpha(&p, 0.1, &cfg).unwrap();
        assert!(crate::kernels::linalg::dist2(&r.w, &z.w) <= 1e-12 * z.l2_norm);
    }
}
