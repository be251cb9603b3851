//! Stochastic (mini-batch) versions of every discrete method (SPEC §2): GD, mirror descent (any potential),
//! exponentiated gradient and GD on `(u, v)` (any depth and initialisation), with a fixed step, on mini-batches of
//! `b` rows drawn from a seeded ChaCha8 stream — with replacement, or in epochs of a seeded permutation — and
//! optional label noise (Gaussian, added to `y` on each step's batch). A step costs O(b·d): the batch gradient
//! `(2/b)Σ_{a∈B} x_a(x_aᵀw − y_a − σε_a)` reads only the batch's rows. The full risk is computed every
//! `check_every` steps (and at the end); the stop rules and divergence detection of the driver act on it.
//! `b = n` without replacement and without noise is full-batch GD exactly (the same arithmetic).
//!
//! ```
//! use ibias::dynamics::sgd::{SgdKind, SgdOptions, run_sgd};
//! use ibias::dynamics::{RunConfig, StopRule};
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let opts = SgdOptions { batch: 4, seed: 7, ..Default::default() };
//! let cfg = RunConfig::fixed(0.02).stop(StopRule::default().risk_tol(1e-12).max_iter(2_000_000));
//! let r = run_sgd(&p, &SgdKind::Gd, &opts, &cfg).unwrap();
//! assert!(r.converged); // noiseless and overparametrised: SGD interpolates with a constant step
//! ```

use super::config::{RunConfig, StepRule};
use super::driver::{Finish, Method, StepOutcome, drive};
use super::reparam::{
    Init, finish_reparam, safe_step_depth, track_start, track_step, update, update_depth, w_of_depth,
};
use super::result::Algorithm;
use super::result::RunResult;
use super::sampling::Sampler;
pub use super::sampling::SgdOptions;
use crate::kernels::linalg;
use crate::potential::{Potential, PotentialKind};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};

/// Which method, with its geometry and start.
pub enum SgdKind<'a> {
    /// GD on `w` from 0.
    Gd,
    /// Mirror descent with a potential from `w₀`.
    Md(&'a dyn Potential, Vec<f64>),
    /// Exponentiated gradient from `w₀ > 0`.
    Eg(Vec<f64>),
    /// GD on `(u, v)` from an initialisation.
    Reparam(&'a Init),
}

/// The stochastic method: one state for the four kinds.
struct Sgd<'a> {
    p: &'a Problem,
    plan: GradPlan<'a>,
    kind: &'a SgdKind<'a>,
    opts: SgdOptions,
    full: bool,
    eta: f64,
    sampler: Sampler,
    batch: Vec<usize>,
    noise: Vec<f64>,
    w: Vec<f64>,
    theta: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    g: Vec<f64>,
    r: Vec<f64>,
    /// The batch's residuals (GD fast path).
    rb: Vec<f64>,
    risk: f64,
    steps: usize,
    safe0: f64,
    sign_changes: usize,
    track: Option<(Vec<f64>, Vec<f64>)>,
}

impl<'a> Sgd<'a> {
    fn new(p: &'a Problem, kind: &'a SgdKind<'a>, opts: SgdOptions, rule: StepRule) -> Result<Self> {
        let (n, d) = (p.n(), p.d());
        let plan = GradPlan::new(p, Parallelism::Auto);
        let (mut w, mut theta, mut u, mut v) = (vec![0.0; d], Vec::new(), Vec::new(), Vec::new());
        let mut track = None;
        if let SgdKind::Md(_, w0) | SgdKind::Eg(w0) = kind
            && w0.len() != d
        {
            return Err(Error::param("w0", format!("has length {} but d = {d}", w0.len())));
        }
        match kind {
            SgdKind::Gd => {}
            SgdKind::Md(pot, w0) => {
                w = w0.clone();
                theta = pot.grad(w0);
            }
            SgdKind::Eg(w0) => {
                if let Some(i) = w0.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
                    return Err(Error::param("w0", format!("entry {} must be finite and > 0 for EG", i + 1)));
                }
                w = w0.clone();
            }
            SgdKind::Reparam(init) => {
                if init.u0().len() != d {
                    return Err(Error::param("u0/v0", format!("have length {} but d = {d}", init.u0().len())));
                }
                u = init.u0().to_vec();
                v = init.v0().to_vec();
                w_of_depth(init.network_depth(), &u, &v, &mut w);
                if init.tracks_scale() {
                    track = Some(track_start(&u, &v));
                }
            }
        }
        let (mut r, mut g) = (vec![0.0; n], vec![0.0; d]);
        let risk = plan.grad(&w, &mut r, &mut g);
        let safe0 = match kind {
            SgdKind::Reparam(init) => safe_step_depth(p, init.network_depth(), &u, &v, &g),
            _ => 0.5 / p.smoothness().max(f64::MIN_POSITIVE),
        };
        let eta = match rule {
            StepRule::Fixed(e) => e,
            StepRule::Safe => safe0,
            other => {
                return Err(Error::param(
                    "eta",
                    format!("stochastic runs take a number or safe, not {}", other.label()),
                ));
            }
        };
        Ok(Sgd {
            p,
            plan,
            kind,
            opts,
            full: opts.is_full(n),
            eta,
            sampler: Sampler::new(n, opts),
            batch: Vec::with_capacity(opts.batch),
            noise: Vec::with_capacity(opts.batch),
            w,
            theta,
            u,
            v,
            g,
            r,
            rb: Vec::with_capacity(opts.batch),
            risk,
            steps: 0,
            safe0,
            sign_changes: 0,
            track,
        })
    }

    /// The batch gradient into `self.g`: `(2/b)Σ_{a∈B} x_a(x_aᵀw − y_a − σε_a)`, or the full gradient.
    fn batch_grad(&mut self) {
        if self.full {
            self.plan.grad(&self.w, &mut self.r, &mut self.g);
            return;
        }
        self.sampler.next(&mut self.batch, &mut self.noise);
        let (x, y) = (self.p.x(), self.p.y());
        let d = self.w.len();
        self.g.iter_mut().for_each(|v| *v = 0.0);
        let scale = 2.0 / self.batch.len() as f64;
        for (k, &a) in self.batch.iter().enumerate() {
            let row = &x.data[a * d..(a + 1) * d];
            let res = linalg::dot(row, &self.w) - y[a] - self.noise.get(k).copied().unwrap_or(0.0);
            linalg::axpy(scale * res, row, &mut self.g);
        }
    }
}

impl Method for Sgd<'_> {
    fn algorithm(&self) -> Algorithm {
        match self.kind {
            SgdKind::Gd => Algorithm::Gd,
            SgdKind::Md(..) => Algorithm::Md,
            SgdKind::Eg(_) => Algorithm::Eg,
            SgdKind::Reparam(_) => Algorithm::Reparam,
        }
    }
    fn potential(&self) -> PotentialKind {
        match self.kind {
            SgdKind::Gd => PotentialKind::Euclidean,
            SgdKind::Md(p, _) => p.kind(),
            SgdKind::Eg(_) => PotentialKind::Entropy,
            SgdKind::Reparam(i) => {
                if i.network_depth() == 2 {
                    PotentialKind::Hyperbolic
                } else {
                    PotentialKind::Depth
                }
            }
        }
    }
    fn w(&self) -> &[f64] {
        &self.w
    }
    fn risk(&self) -> f64 {
        self.risk
    }
    fn metric_grad(&mut self) -> f64 {
        // The gradient stop rule is refused for stochastic runs (run_sgd); the full gradient if ever asked.
        self.plan.grad(&self.w, &mut self.r, &mut self.g);
        linalg::norm_inf(&self.g)
    }
    fn step(&mut self) -> Result<StepOutcome> {
        let eta = self.eta;
        if matches!(self.kind, SgdKind::Gd) && !self.full {
            // GD on w: the residuals of the batch at the current w first, then each row straight into w
            // (no gradient vector: two passes over d per row instead of four).
            self.sampler.next(&mut self.batch, &mut self.noise);
            let (x, y, d) = (self.p.x(), self.p.y(), self.w.len());
            self.rb.clear();
            for (k, &a) in self.batch.iter().enumerate() {
                let row = &x.data[a * d..(a + 1) * d];
                self.rb.push(linalg::dot(row, &self.w) - y[a] - self.noise.get(k).copied().unwrap_or(0.0));
            }
            let scale = -eta * 2.0 / self.batch.len() as f64;
            for (k, &a) in self.batch.iter().enumerate() {
                linalg::axpy(scale * self.rb[k], &x.data[a * d..(a + 1) * d], &mut self.w);
            }
            self.steps += 1;
            if self.steps.is_multiple_of(self.opts.check_every) {
                self.risk = self.p.risk(&self.w);
            }
            return Ok(StepOutcome::Moved { eta, grad_evals: 1 });
        }
        self.batch_grad();
        match self.kind {
            SgdKind::Gd => linalg::axpy(-eta, &self.g, &mut self.w),
            SgdKind::Md(pot, _) => {
                linalg::axpy(-eta, &self.g, &mut self.theta);
                for i in 0..self.w.len() {
                    self.w[i] = pot.inv_grad_i(i, self.theta[i]);
                }
            }
            SgdKind::Eg(_) => {
                for (wi, gi) in self.w.iter_mut().zip(&self.g) {
                    *wi *= (-eta * gi).exp();
                }
            }
            SgdKind::Reparam(init) => {
                let h = 0.5 * eta;
                track_step(&mut self.track, h, &self.g);
                let flip = if init.network_depth() == 2 {
                    update(h, &self.g, &mut self.u, &mut self.v, &mut self.w)
                } else {
                    update_depth(init.network_depth(), h, &self.g, &mut self.u, &mut self.v, &mut self.w)
                };
                if flip {
                    self.sign_changes += 1;
                }
            }
        }
        self.steps += 1;
        if self.full {
            // The full gradient of the next step is computed there; the risk here.
            self.risk = self.p.risk(&self.w);
        } else if self.steps.is_multiple_of(self.opts.check_every) {
            self.risk = self.p.risk(&self.w);
        }
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fn safe_eta(&self) -> f64 {
        self.safe0
    }
    fn watches_rising_risk(&self) -> bool {
        // The full risk is sampled every k steps and SGD's risk is not monotone: only an explosion counts.
        self.full
    }
    fn uv(&self) -> Option<Vec<f64>> {
        match self.kind {
            SgdKind::Reparam(_) => Some(self.u.iter().zip(&self.v).map(|(a, b)| a * b).collect()),
            _ => None,
        }
    }
    fn finish(mut self, p: &Problem) -> Result<Finish> {
        self.risk = p.risk(&self.w);
        let notes = vec![format!(
            "stochastic: batch {} of n = {}, {}{}, seed {}; the full risk checked every {} steps",
            self.opts.batch,
            p.n(),
            if self.opts.replacement { "with replacement" } else { "epochs of a seeded permutation" },
            if self.opts.label_noise > 0.0 {
                format!(", label noise σ = {}", self.opts.label_noise)
            } else {
                String::new()
            },
            self.opts.seed,
            self.opts.check_every
        )];
        let mut fin = match self.kind {
            SgdKind::Reparam(init) => finish_reparam(p, init, self.u, self.v, self.w, self.sign_changes, self.track)?,
            _ => Finish { w: self.w, reparam: None, notes: Vec::new() },
        };
        fin.notes.extend(notes);
        Ok(fin)
    }
}

/// Runs a stochastic method with a fixed step (`cfg.step`: a number or `safe`, the safe rule at the start).
pub fn run_sgd(p: &Problem, kind: &SgdKind<'_>, opts: &SgdOptions, cfg: &RunConfig) -> Result<RunResult> {
    let d = p.d();
    cfg.validate(d)?;
    opts.validate(p.n())?;
    if cfg.stop_rule().grad_tol > 0.0 {
        return Err(Error::param(
            "grad_tol",
            "stochastic runs stop on the full risk (checked every k steps), not on the gradient",
        ));
    }
    let m = Sgd::new(p, kind, *opts, cfg.step)?;
    let mut res = drive(p, m, cfg)?;
    if let SgdKind::Reparam(init) = kind {
        res.alpha = init.alpha();
    }
    Ok(res)
}
