//! One iteration driver for every discrete method. A [`Method`] knows how to take one step; [`drive`]
//! owns everything around it: the timer, `R(0)`, the stop rules, step-size statistics, divergence
//! detection (the message names the step used and a safe one), the observers and the [`RunResult`].
//! It is generic over the method, so each method's loop is monomorphised (no dynamic dispatch per step).

use super::config::{RunConfig, StepRule, StopReason};
use super::observer::{Observer, Recorder};
use super::result::{Algorithm, ReparamInfo, RunResult};
use crate::kernels::linalg;
use crate::potential::PotentialKind;
use crate::problem::Problem;
use crate::{Error, Result};
use std::time::Instant;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome {
    /// The iterate moved with step size `eta`, using `grad_evals` gradient (or residual) evaluations.
    Moved {
        /// The step size (for direction-based rules, the line-search length).
        eta: f64,
        /// Gradient or residual evaluations used.
        grad_evals: usize,
    },
    /// The method cannot move any more (the reason says why); the iterate is unchanged.
    Stopped(StopReason),
}

/// What a method hands back at the end.
pub struct Finish {
    /// The final iterate.
    pub w: Vec<f64>,
    /// Reparametrisation diagnostics.
    pub reparam: Option<ReparamInfo>,
    /// Notes for the reader.
    pub notes: Vec<String>,
}

/// One discrete method: its state, and how it takes a step.
pub trait Method {
    /// Which algorithm.
    fn algorithm(&self) -> Algorithm;
    /// Which potential (geometry).
    fn potential(&self) -> PotentialKind;
    /// The current iterate.
    fn w(&self) -> &[f64];
    /// The risk at the current iterate.
    fn risk(&self) -> f64;
    /// The gradient in the local metric, `√(Σ hᵢgᵢ² / Σ hᵢ)`, at the current iterate (called only when
    /// the gradient stop rule is on).
    fn metric_grad(&mut self) -> f64;
    /// Takes one step.
    fn step(&mut self) -> Result<StepOutcome>;
    /// A step size that is safe for this problem from the start (for divergence messages).
    fn safe_eta(&self) -> f64;
    /// Whether a risk that keeps rising for 100 steps means divergence (false for rules that control
    /// another merit function, whose risk may rise legitimately).
    fn watches_rising_risk(&self) -> bool {
        true
    }
    /// `u⊙v` for observers (GD on `(u, v)` only).
    fn uv(&self) -> Option<Vec<f64>> {
        None
    }
    /// `(F(0), ‖∇F(0)‖_∞)` of the method's datafit, the references of the stop rules (default: least squares).
    fn reference(&self, p: &Problem) -> (f64, f64) {
        (p.risk_at_zero(), p.grad_zero_inf())
    }
    /// The loss minimised (default: least squares).
    fn loss(&self) -> crate::datafit::LossKind {
        crate::datafit::LossKind::LeastSquares
    }
    /// Ends the run: the final iterate and diagnostics.
    fn finish(self, p: &Problem) -> Result<Finish>;
}

/// A method borrowed for a run, so that its caller keeps its state afterwards (`finish` copies `w`).
impl<M: Method> Method for &mut M {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn potential(&self) -> PotentialKind {
        (**self).potential()
    }
    fn w(&self) -> &[f64] {
        (**self).w()
    }
    fn risk(&self) -> f64 {
        (**self).risk()
    }
    fn metric_grad(&mut self) -> f64 {
        (**self).metric_grad()
    }
    fn step(&mut self) -> Result<StepOutcome> {
        (**self).step()
    }
    fn safe_eta(&self) -> f64 {
        (**self).safe_eta()
    }
    fn watches_rising_risk(&self) -> bool {
        (**self).watches_rising_risk()
    }
    fn uv(&self) -> Option<Vec<f64>> {
        (**self).uv()
    }
    fn reference(&self, p: &Problem) -> (f64, f64) {
        (**self).reference(p)
    }
    fn loss(&self) -> crate::datafit::LossKind {
        (**self).loss()
    }
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(Finish { w: self.w().to_vec(), reparam: None, notes: Vec::new() })
    }
}

/// Runs `method` on `p` under `cfg` with the recorder `cfg` asks for.
pub fn drive<M: Method>(p: &Problem, method: M, cfg: &RunConfig) -> Result<RunResult> {
    let mut rec = Recorder::for_record(cfg.record, cfg.stop.max_iter);
    let mut res = drive_with(p, method, cfg, &mut rec)?;
    res.checkpoints = rec.points;
    Ok(res)
}

/// Runs `method` on `p` under `cfg`, reporting to the observer `obs` (its end point included).
pub fn drive_with<M: Method, O: Observer>(p: &Problem, mut m: M, cfg: &RunConfig, obs: &mut O) -> Result<RunResult> {
    let start = Instant::now();
    let stop = cfg.stop;
    let (risk0, g0) = m.reference(p);
    let risk_start = m.risk();
    let (mut eta_first, mut eta_min, mut eta_max) = (None, f64::INFINITY, 0.0f64);
    let (mut k, mut grad_evals, mut time, mut rise) = (0usize, 1usize, 0.0f64, 0usize);
    let diverged = |k: usize, eta: f64, risk: f64, m: &M| Error::Diverged {
        iteration: k,
        eta,
        safe_eta: m.safe_eta(),
        rule: cfg.step.label(),
        risk_start,
        risk,
    };
    let reason = loop {
        let risk = m.risk();
        if obs.wants(k) {
            obs.observe(k, time, m.w(), risk, m.uv());
        }
        // A non-finite iterate makes the residual, hence the risk, non-finite.
        if !risk.is_finite() {
            return Err(diverged(k, eta_max, risk, &m));
        }
        if let Some(why) = stop.check(k, risk, risk0, || m.metric_grad(), g0, &start) {
            break why;
        }
        let eta = match m.step()? {
            StepOutcome::Moved { eta, grad_evals: e } => {
                grad_evals += e;
                eta
            }
            StepOutcome::Stopped(why) => break why,
        };
        eta_first.get_or_insert(eta);
        eta_min = eta_min.min(eta);
        eta_max = eta_max.max(eta);
        time += eta;
        k += 1;
        let now = m.risk();
        // An explosion is divergence for every method; a risk rising for 100 steps only for those that watch it.
        if now > 1e12 * risk_start.max(risk0) {
            return Err(diverged(k, eta, now, &m));
        }
        if m.watches_rising_risk() {
            if now > risk * (1.0 + 1e-12) {
                rise += 1;
                if rise >= 100 {
                    return Err(diverged(k, eta, now, &m));
                }
            } else {
                rise = 0;
            }
        }
    };
    let risk = m.risk();
    obs.observe(k, time, m.w(), risk, m.uv());
    let (algorithm, potential, loss) = (m.algorithm(), m.potential(), m.loss());
    // A bounded oscillation (a fixed-length step, e.g. normalised GD with a large η) never explodes, but a run that
    // ends above where it started did not descend: say so beside the result.
    let rose = m.watches_rising_risk() && risk > risk_start * (1.0 + 1e-9);
    let safe_eta = m.safe_eta();
    let fin = m.finish(p)?;
    let mut notes = fin.notes;
    if rose {
        notes.push(format!(
            "the loss ended above its start ({risk:e} > {risk_start:e}): the step ({}) is too large for descent; \
             a safe step for this problem is η ≤ {safe_eta:e}",
            cfg.step.label()
        ));
    }
    let criterion = stop.risk_tol > 0.0 || stop.grad_tol > 0.0;
    if reason == StopReason::MaxIterations && !criterion {
        notes.push(format!("ran the requested {} iterations (no convergence criterion was set)", stop.max_iter));
    } else if reason.hit_cap() {
        notes.push(format!(
            "stopped at a cap ({}) before its convergence criterion: R/R(0) = {:.3e}",
            match reason {
                StopReason::MaxIterations => format!("{} iterations", stop.max_iter),
                StopReason::TimeLimit => format!("{} s", stop.max_seconds.unwrap_or(0.0)),
                _ => "final time".into(),
            },
            risk / risk0
        ));
    }
    Ok(RunResult {
        algorithm,
        loss,
        potential,
        alpha: None,
        step_rule: Some(cfg.step),
        integrator: None,
        eta_first,
        eta_min: eta_first.map(|_| eta_min),
        eta_max: eta_first.map(|_| eta_max),
        iterations: k,
        grad_evals,
        converged: reason.converged(),
        stop_reason: reason,
        risk,
        risk_at_zero: risk0,
        risk_rel: if risk0 > 0.0 { risk / risk0 } else { risk },
        l1_norm: linalg::norm1(&fin.w),
        l2_norm: linalg::norm2(&fin.w),
        w: fin.w,
        wall_seconds: start.elapsed().as_secs_f64(),
        flow_time: time,
        checkpoints: Vec::new(),
        reparam: fin.reparam,
        notes,
        step_effect: None,
        w_matrix: None,
        spectrum: None,
    })
}

/// Checks, before a run, that its risk stop can be met: without an interpolator `R(w) ≤ tol·R(0)` may be
/// impossible (`R* = min R > tol·R(0)`), and the run would go on to its iteration cap. Then a clear error
/// says so, with the least-squares risk.
pub fn check_risk_stop_reachable(p: &Problem, cfg: &RunConfig) -> Result<()> {
    let tol = cfg.stop.risk_tol;
    if tol == 0.0 || p.rank() == p.n() {
        return Ok(());
    }
    let best = p.least_squares_risk()?;
    let r0 = p.risk_at_zero();
    if best > tol * r0 {
        return Err(Error::Infeasible(format!(
            "the risk stop R(w) ≤ {tol:e}·R(0) cannot be met: Xw = y has no solution (rank X = {} < n = {}), the \
             least-squares risk is R* = {best:.6e} = {:.3e}·R(0); stop on the gradient instead (tol = 0, grad_tol > 0) \
             or cap the iterations (tol = 0, max_iter = N)",
            p.rank(),
            p.n(),
            best / r0
        )));
    }
    Ok(())
}

/// Checks that a rule is one the method supports.
pub(crate) fn require_rule(algorithm: &str, rule: StepRule, allowed: &[&str]) -> Result<()> {
    let name = match rule {
        StepRule::Fixed(_) => "fixed",
        StepRule::Safe => "safe",
        StepRule::Auto => "auto",
        StepRule::Lbfgs => "lbfgs",
    };
    if allowed.contains(&name) {
        return Ok(());
    }
    Err(Error::param(
        "eta",
        format!(
            "{algorithm} takes {} (got '{}'): auto and lbfgs act on the dual of mirror descent",
            allowed.iter().map(|a| if *a == "fixed" { "a number" } else { a }).collect::<Vec<_>>().join(", "),
            rule.label()
        ),
    ))
}
