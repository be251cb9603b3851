//! Batched mirror descent: K runs on one problem (one α and one fixed η each) advanced together,
//! so the two mat-vecs of each step become two matrix–matrix products (`faer`). Memory stays
//! `O(n·d + K·d)`; a run stops updating once its risk meets the tolerance.

use crate::potential::{Hyperbolic, Potential};
use crate::problem::Problem;
use crate::{Error, Result};
use faer::Mat;

/// The final state of each run of a batch.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// Final iterate of each run.
    pub w: Vec<Vec<f64>>,
    /// Iterations each run took (to the tolerance, or `max_iter`).
    pub iterations: Vec<usize>,
    /// Final risk of each run.
    pub risk: Vec<f64>,
}

/// Runs mirror descent with the hyperbolic entropy (`c = 2α²`, from 0) for every `(α, η)` pair,
/// with fixed steps, until `R ≤ risk_tol·R(0)` or `max_iter`.
pub fn run_md_batch(p: &Problem, runs: &[(f64, f64)], risk_tol: f64, max_iter: usize) -> Result<BatchResult> {
    let (n, d, k) = (p.n(), p.d(), runs.len());
    let pots: Vec<Hyperbolic> = runs.iter().map(|&(a, _)| Hyperbolic::uniform(a, d)).collect::<Result<_>>()?;
    if let Some(&(_, e)) = runs.iter().find(|r| !(r.1.is_finite() && r.1 > 0.0)) {
        return Err(Error::Param(format!("batched runs need fixed steps η > 0, got {e}")));
    }
    let x = p.x.to_faer();
    let xt = x.transpose().to_owned();
    let mut theta = Mat::<f64>::zeros(d, k);
    let mut w = Mat::<f64>::zeros(d, k);
    let risk0 = p.risk_at_zero();
    let mut done = vec![false; k];
    let mut iterations = vec![max_iter; k];
    let mut risk = vec![risk0; k];
    let mut col_t = vec![0.0; d];
    let mut col_w = vec![0.0; d];
    for it in 0..=max_iter {
        let mut r = &x * &w;
        for j in 0..k {
            let mut s = 0.0;
            for i in 0..n {
                let v = r[(i, j)] - p.y[i];
                r[(i, j)] = v;
                s += v * v;
            }
            risk[j] = s / n as f64;
            if !risk[j].is_finite() {
                return Err(Error::Diverged(format!(
                    "batched run {j} (α = {}, η = {}) diverged at iteration {it}",
                    runs[j].0, runs[j].1
                )));
            }
            if !done[j] && risk_tol > 0.0 && risk[j] <= risk_tol * risk0 {
                done[j] = true;
                iterations[j] = it;
            }
        }
        if it == max_iter || done.iter().all(|&x| x) {
            break;
        }
        let g = &xt * &r;
        let scale = 2.0 / n as f64;
        for j in 0..k {
            if done[j] {
                continue;
            }
            let eta = runs[j].1 * scale;
            for i in 0..d {
                col_t[i] = theta[(i, j)] - eta * g[(i, j)];
            }
            pots[j].inv_grad_into(&col_t, &mut col_w);
            for i in 0..d {
                theta[(i, j)] = col_t[i];
                w[(i, j)] = col_w[i];
            }
        }
    }
    let w = (0..k).map(|j| (0..d).map(|i| w[(i, j)]).collect()).collect();
    Ok(BatchResult { w, iterations, risk })
}
