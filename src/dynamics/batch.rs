//! Batched mirror descent: K runs on one problem (one α and one fixed η each) advanced together, so the
//! two mat-vecs of each step become two matrix–matrix products (`faer`). Memory stays `O(n·d + K·(n + d))`;
//! a run stops updating once its risk meets the tolerance. It is a [`Method`] like the others: the driver
//! stops when every run has met the tolerance (the method's risk is the largest of the runs still going).

use super::config::{RunConfig, StopRule};
use super::driver::{Finish, Method, StepOutcome, drive_with};
use super::observer::Silent;
use super::result::Algorithm;
use crate::error::num;
use crate::potential::{Hyperbolic, Potential, PotentialKind};
use crate::problem::Problem;
use crate::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// The final state of each run of a batch.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// Final iterate of each run.
    pub w: Vec<Vec<f64>>,
    /// Iterations each run took (to the tolerance, or the cap).
    pub iterations: Vec<usize>,
    /// Final risk of each run.
    pub risk: Vec<f64>,
}

/// K mirror-descent runs (hyperbolic entropy from 0) advanced together.
pub struct MdBatch<'a> {
    p: &'a Problem,
    runs: &'a [(f64, f64)],
    pots: Vec<Hyperbolic>,
    x: faer::Mat<f64>,
    xt: faer::Mat<f64>,
    /// `θ` and `w`, `d × K` column-major.
    theta: Vec<f64>,
    w: Vec<f64>,
    /// Residuals `XW − y` (`n × K`) and gradients `XᵀR` (`d × K`), column-major.
    res: Vec<f64>,
    grad: Vec<f64>,
    risk: Vec<f64>,
    done: Vec<bool>,
    iterations: Vec<usize>,
    tol: f64,
    it: usize,
}

impl<'a> MdBatch<'a> {
    fn new(p: &'a Problem, runs: &'a [(f64, f64)], risk_tol: f64) -> Result<Self> {
        let (n, d, k) = (p.n(), p.d(), runs.len());
        let pots: Vec<Hyperbolic> = runs.iter().map(|&(a, _)| Hyperbolic::uniform(a, d)).collect::<Result<_>>()?;
        if let Some(&(_, e)) = runs.iter().find(|r| !(r.1.is_finite() && r.1 > 0.0)) {
            return Err(Error::param("eta", format!("batched runs need fixed steps η > 0, got {}", num(e))));
        }
        let x = p.x().to_faer();
        let xt = x.transpose().to_owned();
        let risk0 = p.risk_at_zero();
        let mut res = vec![0.0; n * k];
        for j in 0..k {
            for i in 0..n {
                res[j * n + i] = -p.y()[i];
            }
        }
        let mut b = MdBatch {
            p,
            runs,
            pots,
            x,
            xt,
            theta: vec![0.0; d * k],
            w: vec![0.0; d * k],
            res,
            grad: vec![0.0; d * k],
            risk: vec![risk0; k],
            done: vec![false; k],
            iterations: vec![0; k],
            tol: risk_tol * risk0,
            it: 0,
        };
        b.mark_done();
        Ok(b)
    }

    fn mark_done(&mut self) {
        for j in 0..self.runs.len() {
            if !self.done[j] && self.tol > 0.0 && self.risk[j] <= self.tol {
                self.done[j] = true;
                self.iterations[j] = self.it;
            }
        }
    }
}

impl Method for MdBatch<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::MdBatch
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Hyperbolic
    }
    fn w(&self) -> &[f64] {
        &self.w
    }
    fn risk(&self) -> f64 {
        let active =
            (0..self.runs.len()).filter(|&j| !self.done[j]).map(|j| self.risk[j]).fold(f64::NEG_INFINITY, f64::max);
        if active.is_finite() { active } else { self.risk.iter().copied().fold(0.0, f64::max) }
    }
    fn metric_grad(&mut self) -> f64 {
        f64::INFINITY
    }
    fn step(&mut self) -> Result<StepOutcome> {
        let (n, d, k) = (self.p.n(), self.p.d(), self.runs.len());
        matmul(
            MatMut::from_column_major_slice_mut(&mut self.grad, d, k),
            Accum::Replace,
            &self.xt,
            MatRef::from_column_major_slice(&self.res, n, k),
            1.0,
            Par::Seq,
        );
        let scale = 2.0 / n as f64;
        for j in 0..k {
            if self.done[j] {
                continue;
            }
            let eta = self.runs[j].1 * scale;
            let (t, g) = (&mut self.theta[j * d..(j + 1) * d], &self.grad[j * d..(j + 1) * d]);
            for i in 0..d {
                t[i] -= eta * g[i];
            }
            self.pots[j].inv_grad_into(t, &mut self.w[j * d..(j + 1) * d]);
        }
        matmul(
            MatMut::from_column_major_slice_mut(&mut self.res, n, k),
            Accum::Replace,
            &self.x,
            MatRef::from_column_major_slice(&self.w, d, k),
            1.0,
            Par::Seq,
        );
        self.it += 1;
        let y = self.p.y();
        for j in 0..k {
            let col = &mut self.res[j * n..(j + 1) * n];
            let mut s = 0.0;
            for i in 0..n {
                col[i] -= y[i];
                s += col[i] * col[i];
            }
            self.risk[j] = s / n as f64;
            if !self.risk[j].is_finite() {
                return Err(Error::Diverged {
                    iteration: self.it,
                    eta: self.runs[j].1,
                    safe_eta: f64::NAN,
                    rule: format!("batched run {j}, α = {}", num(self.runs[j].0)),
                    risk_start: self.p.risk_at_zero(),
                    risk: self.risk[j],
                });
            }
        }
        self.mark_done();
        Ok(StepOutcome::Moved { eta: 0.0, grad_evals: 1 })
    }
    fn safe_eta(&self) -> f64 {
        f64::NAN
    }
    fn watches_rising_risk(&self) -> bool {
        false
    }
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(Finish { w: self.w, reparam: None, notes: Vec::new() })
    }
}

/// Runs mirror descent with the hyperbolic entropy (`c = 2α²`, from 0) for every `(α, η)` pair, with
/// fixed steps, until `R ≤ risk_tol·R(0)` or `max_iter`.
pub fn run_md_batch(p: &Problem, runs: &[(f64, f64)], risk_tol: f64, max_iter: usize) -> Result<BatchResult> {
    let stop = StopRule::steps(max_iter).risk_tol(risk_tol);
    stop.validate()?;
    let cfg = RunConfig::fixed(1.0).stop(stop).checkpoints(0);
    let mut m = MdBatch::new(p, runs, risk_tol)?;
    let d = p.d();
    // The driver runs until every run meets the tolerance (or the cap); the per-run counts are kept here.
    let first = {
        let res = drive_with(p, &mut m, &cfg, &mut Silent)?;
        res.iterations
    };
    let iterations = (0..runs.len()).map(|j| if m.done[j] { m.iterations[j] } else { first }).collect();
    let w = (0..runs.len()).map(|j| m.w[j * d..(j + 1) * d].to_vec()).collect();
    Ok(BatchResult { w, iterations, risk: m.risk.clone() })
}
