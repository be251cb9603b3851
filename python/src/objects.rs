//! The Python-visible classes and functions: each converts its arguments, calls the library, and wraps
//! the library's result.

use crate::call;
use crate::convert::{array1, array2, array2_t, dense, json_obj, vector};
use ibias::dynamics::ode::OdeOptions;
use ibias::dynamics::{Init, StepRule};
use ibias::request::path::{PathOutput, PathRequest, RegKind};
use ibias::request::solve::{SolveKind, SolveOutput, SolveRequest};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

fn value_err(m: impl Into<String>) -> PyErr {
    PyValueError::new_err(m.into())
}

// ---------------------------------------------------------------------------------------------------------
// Problem

/// A least-squares problem `(X, y)`: `R(w) = (1/n)‖Xw − y‖²`. Built once (it computes the singular values of
/// X and keeps the column copy and Gram form the kernels use) and reused by every call.
#[pyclass(module = "ibias._ibias", frozen, subclass)]
pub struct Problem {
    pub inner: Arc<ibias::problem::Problem>,
}

#[pymethods]
impl Problem {
    #[new]
    fn new(py: Python<'_>, x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray1<'_, f64>) -> PyResult<Self> {
        let (xd, yv) = (dense(&x), vector(&y));
        let p = call::run(py, move || ibias::problem::Problem::new(xd, yv))?;
        Ok(Problem { inner: Arc::new(p) })
    }
    /// Number of samples n.
    #[getter]
    fn n(&self) -> usize {
        self.inner.n()
    }
    /// Number of features d.
    #[getter]
    fn d(&self) -> usize {
        self.inner.d()
    }
    /// Numerical rank of X.
    #[getter]
    fn rank(&self) -> usize {
        self.inner.rank()
    }
    /// Smoothness L = 2σ_max²/n.
    #[getter]
    fn smoothness(&self) -> f64 {
        self.inner.smoothness()
    }
    /// R(0) = ‖y‖²/n.
    #[getter]
    fn risk_at_zero(&self) -> f64 {
        self.inner.risk_at_zero()
    }
    /// Hash of the data (shape and every bit of X and y).
    #[getter]
    fn data_hash(&self) -> String {
        self.inner.data_hash().to_string()
    }
    /// Singular values of X, decreasing.
    #[getter]
    fn sigma<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.inner.sigma().to_vec())
    }
    /// X (a copy).
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let x = self.inner.x();
        let rows: Vec<Vec<f64>> = (0..x.rows).map(|i| x.row(i).to_vec()).collect();
        array2(py, &rows, x.cols)
    }
    /// y (a copy).
    #[getter]
    fn y<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.inner.y().to_vec())
    }
    /// R(w).
    fn risk(&self, w: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        let w = vector(&w);
        self.check_len(&w)?;
        Ok(self.inner.risk(&w))
    }
    /// ∇R(w) = (2/n)Xᵀ(Xw − y).
    fn grad<'py>(&self, py: Python<'py>, w: PyReadonlyArray1<'_, f64>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let w = vector(&w);
        self.check_len(&w)?;
        Ok(array1(py, self.inner.grad(&w)))
    }
    /// Shape, rank, conditioning, smoothness, R(0) and data hash as a dict.
    fn describe(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_obj(py, &serde_json::to_value(self.inner.describe()).unwrap_or_default())
    }
    fn __repr__(&self) -> String {
        format!("Problem(n={}, d={}, rank={})", self.inner.n(), self.inner.d(), self.inner.rank())
    }
}

impl Problem {
    fn check_len(&self, w: &[f64]) -> PyResult<()> {
        if w.len() != self.inner.d() {
            return Err(value_err(format!("w has length {} but d = {}", w.len(), self.inner.d())));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------
// Potentials

#[derive(Clone)]
enum Pot {
    Euclidean,
    Hyperbolic(ibias::potential::Hyperbolic),
    Entropy,
    Depth(ibias::potential::DepthD),
    PNorm(ibias::potential::PNorm),
}

/// A mirror map ψ (separable): Euclidean, hyperbolic entropy (scales c = 2α², per coordinate if given) or
/// negative entropy.
#[pyclass(module = "ibias._ibias", frozen)]
pub struct Potential {
    pot: Pot,
}

impl Potential {
    /// The library's choice for this object.
    fn choice(&self) -> ibias::request::PotentialChoice {
        use ibias::request::PotentialChoice;
        match &self.pot {
            Pot::Euclidean => PotentialChoice::Kind(ibias::potential::PotentialKind::Euclidean),
            Pot::Entropy => PotentialChoice::Kind(ibias::potential::PotentialKind::Entropy),
            Pot::Hyperbolic(h) => PotentialChoice::Hyperbolic(h.clone()),
            Pot::Depth(d) => PotentialChoice::Depth(d.clone()),
            Pot::PNorm(p) => PotentialChoice::PNorm(*p),
        }
    }

    /// The potential on `d` coordinates (the library broadcasts one scale), applied to `f`.
    fn with<T>(&self, d: usize, f: impl FnOnce(&dyn ibias::potential::Potential) -> T) -> PyResult<T> {
        let pot = call::quick(|| self.choice().build(1.0, None, d))?;
        Ok(f(pot.as_ref()))
    }
}

#[pymethods]
impl Potential {
    /// ψ(w) = ‖w‖²/2.
    #[staticmethod]
    fn euclidean() -> Self {
        Potential { pot: Pot::Euclidean }
    }
    /// ψ(w) = Σ w log w − w on w > 0.
    #[staticmethod]
    fn entropy() -> Self {
        Potential { pot: Pot::Entropy }
    }
    /// The hyperbolic entropy: uniform from `alpha` (c = 2α²) or `ln_alpha`, or per coordinate from `scales` (c).
    #[staticmethod]
    #[pyo3(signature = (alpha=None, scales=None, ln_alpha=None))]
    fn hyperbolic(alpha: Option<f64>, scales: Option<Vec<f64>>, ln_alpha: Option<f64>) -> PyResult<Self> {
        let h = match (alpha, scales, ln_alpha) {
            (Some(a), None, None) => call::quick(|| ibias::potential::Hyperbolic::uniform(a, 1))?,
            (None, Some(c), None) => call::quick(|| ibias::potential::Hyperbolic::with_scales(c))?,
            (None, None, Some(l)) => call::quick(|| ibias::potential::Hyperbolic::uniform_ln(l, 1))?,
            _ => return Err(value_err("give exactly one of alpha, scales, ln_alpha")),
        };
        Ok(Potential { pot: Pot::Hyperbolic(h) })
    }
    /// The mirror map of the depth-D network w = u^D − v^D from u = v = α (D ≥ 3; its dual domain is bounded).
    #[staticmethod]
    fn depth(depth: u32, alpha: f64) -> PyResult<Self> {
        Ok(Potential { pot: Pot::Depth(call::quick(|| ibias::potential::DepthD::new(depth, alpha))?) })
    }
    /// ψ(w) = Σ|wᵢ|^p/p, p ∈ [1.05, 20] (mirror descent is p-GD).
    #[staticmethod]
    fn pnorm(p: f64) -> PyResult<Self> {
        Ok(Potential { pot: Pot::PNorm(call::quick(|| ibias::potential::PNorm::new(p))?) })
    }
    /// `euclidean`, `hyperbolic`, `entropy`, `depth` or `pnorm`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.pot {
            Pot::Euclidean => "euclidean",
            Pot::Hyperbolic(_) => "hyperbolic",
            Pot::Entropy => "entropy",
            Pot::Depth(_) => "depth",
            Pot::PNorm(_) => "pnorm",
        }
    }
    /// ψ(w).
    fn value(&self, w: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        let w = vector(&w);
        self.with(w.len(), |p| p.value(&w))
    }
    /// ∇ψ(w).
    fn grad<'py>(&self, py: Python<'py>, w: PyReadonlyArray1<'_, f64>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let w = vector(&w);
        Ok(array1(py, self.with(w.len(), |p| p.grad(&w))?))
    }
    /// (∇ψ)⁻¹(θ).
    fn inv_grad<'py>(&self, py: Python<'py>, theta: PyReadonlyArray1<'_, f64>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let t = vector(&theta);
        Ok(array1(py, self.with(t.len(), |p| p.inv_grad(&t))?))
    }
    /// D_ψ(w, w_ref), without cancellation.
    fn bregman(&self, w: PyReadonlyArray1<'_, f64>, w_ref: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        let (w, r) = (vector(&w), vector(&w_ref));
        if w.len() != r.len() {
            return Err(value_err("w and w_ref differ in length"));
        }
        self.with(w.len(), |p| p.bregman(&w, &r))
    }
    fn __repr__(&self) -> String {
        match &self.pot {
            Pot::Hyperbolic(h) => format!("Hyperbolic(c={:?})", h.scales()),
            Pot::Depth(p) => format!("Depth(depth={}, alpha={})", p.depth(), p.alpha()),
            Pot::PNorm(p) => format!("PNorm(p={})", p.p()),
            _ => format!("{}()", self.kind()),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Runs

/// The result of a run: the final iterate, why and when it stopped, the steps used and the recorded
/// trajectory (`t`, `k`, `W`, `risks`), ready for matplotlib.
#[pyclass(module = "ibias._ibias", frozen)]
pub struct RunResult {
    r: ibias::dynamics::RunResult,
}

#[pymethods]
impl RunResult {
    /// Final iterate.
    #[getter]
    fn w<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.r.w.clone())
    }
    /// Whether a convergence criterion was met.
    #[getter]
    fn converged(&self) -> bool {
        self.r.converged
    }
    /// Why it stopped (`risk_tolerance`, `max_iterations`, …).
    #[getter]
    fn stop_reason(&self) -> String {
        self.r.stop_reason.name().to_string()
    }
    /// Iterations done (flows: accepted integrator steps).
    #[getter]
    fn iterations(&self) -> usize {
        self.r.iterations
    }
    /// Gradient evaluations.
    #[getter]
    fn grad_evals(&self) -> usize {
        self.r.grad_evals
    }
    /// R(w) at the end.
    #[getter]
    fn risk(&self) -> f64 {
        self.r.risk
    }
    /// R(w)/R(0).
    #[getter]
    fn risk_rel(&self) -> f64 {
        self.r.risk_rel
    }
    /// ‖w‖₁.
    #[getter]
    fn l1_norm(&self) -> f64 {
        self.r.l1_norm
    }
    /// ‖w‖₂.
    #[getter]
    fn l2_norm(&self) -> f64 {
        self.r.l2_norm
    }
    /// First, smallest and largest step size (None for flows).
    #[getter]
    fn eta(&self) -> (Option<f64>, Option<f64>, Option<f64>) {
        (self.r.eta_first, self.r.eta_min, self.r.eta_max)
    }
    /// Wall-clock seconds.
    #[getter]
    fn wall_seconds(&self) -> f64 {
        self.r.wall_seconds
    }
    /// Σ η for discrete runs, t for flows.
    #[getter]
    fn flow_time(&self) -> f64 {
        self.r.flow_time
    }
    /// Algorithm name.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.r.algorithm.name()
    }
    /// Notes for the reader (a cap hit, a sign change, …).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.r.notes.clone()
    }
    /// Times of the checkpoints (Σ η for discrete runs, t for flows).
    #[getter]
    fn t<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.r.checkpoints.iter().map(|c| c.time).collect())
    }
    /// Iteration indices of the checkpoints (−1 for flows).
    #[getter]
    fn k<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.r.checkpoints.iter().map(|c| c.iteration.map_or(-1.0, |k| k as f64)).collect())
    }
    /// The checkpoints' iterates, shape (k, d).
    #[getter(W)]
    fn w_matrix<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let rows: Vec<Vec<f64>> = self.r.checkpoints.iter().map(|c| c.w.clone()).collect();
        array2(py, &rows, self.r.w.len())
    }
    /// The checkpoints' risks.
    #[getter]
    fn risks<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.r.checkpoints.iter().map(|c| c.risk).collect())
    }
    /// u⊙v at the checkpoints, shape (k, d), for GD on (u, v); None otherwise.
    #[getter]
    fn uv<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray2<f64>>> {
        let rows: Option<Vec<Vec<f64>>> = self.r.checkpoints.iter().map(|c| c.uv.clone()).collect();
        rows.map(|r| array2(py, &r, self.r.w.len()))
    }
    /// The reparametrisation diagnostics (effective scale, θ off range(Xᵀ), tracked identity) as a dict.
    #[getter]
    fn reparam(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.r.reparam.as_ref().map(|i| json_obj(py, &serde_json::to_value(i).unwrap_or_default())).transpose()
    }
    /// The finite-step effect (set by `step_effect`), as a dict, or None.
    #[getter]
    fn step_effect(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.r.step_effect.as_ref().map(|e| json_obj(py, &serde_json::to_value(e).unwrap_or_default())).transpose()
    }
    /// Everything as a dict (the JSON of `ibias run --json`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_obj(py, &serde_json::to_value(&self.r).unwrap_or_default())
    }
    /// Matrix methods: the final matrix W as an (m, m) array (else None; `W` is the checkpoints' iterates).
    #[getter]
    fn matrix<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray2<f64>>> {
        self.r.w_matrix.as_ref().map(|rows| array2(py, rows, rows.len()))
    }
    /// Matrix methods: eigenvalues (decreasing), nuclear_norm, frobenius_norm, effective_rank of W (else None).
    #[getter]
    fn spectrum(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.r.spectrum.as_ref().map(|s| json_obj(py, &serde_json::to_value(s).unwrap_or_default())).transpose()
    }
    fn __repr__(&self) -> String {
        format!(
            "RunResult({}, converged={}, iterations={}, risk_rel={:.3e}, l1_norm={:.6})",
            self.r.algorithm.name(),
            if self.r.converged { "True" } else { "False" },
            self.r.iterations,
            self.r.risk_rel,
            self.r.l1_norm
        )
    }
}

/// Runs one method (see the Python wrappers `gd`, `md`, `reparam`, `eg`, `flow`, and the registered methods):
/// the keywords fill the library's `RunRequest`, which resolves defaults and validates them.
#[pyfunction]
#[pyo3(signature = (problem, algorithm, *, loss="least_squares", alpha=None, potential=None, w0=None, eta=None,
    momentum=None, shape=None, u0=None, v0=None, depth=None, batch=None, replacement=false, label_noise=0.0, seed=0,
    check_every=100, track_scale=false, tol=1e-16, grad_tol=0.0, max_iter=1_000_000, max_seconds=None,
    checkpoints=40, record_every=false, flow=false, stiff=false, t_max=1e4))]
#[allow(clippy::too_many_arguments)]
pub fn run(
    py: Python<'_>,
    problem: &Problem,
    algorithm: &str,
    loss: &str,
    alpha: Option<f64>,
    potential: Option<&Potential>,
    w0: Option<PyReadonlyArray1<'_, f64>>,
    eta: Option<String>,
    momentum: Option<f64>,
    shape: Option<f64>,
    u0: Option<PyReadonlyArray1<'_, f64>>,
    v0: Option<PyReadonlyArray1<'_, f64>>,
    depth: Option<u32>,
    batch: Option<usize>,
    replacement: bool,
    label_noise: f64,
    seed: u64,
    check_every: usize,
    track_scale: bool,
    tol: f64,
    grad_tol: f64,
    max_iter: usize,
    max_seconds: Option<f64>,
    checkpoints: usize,
    record_every: bool,
    flow: bool,
    stiff: bool,
    t_max: f64,
) -> PyResult<RunResult> {
    use ibias::request::RunRequest;
    let p = problem.inner.clone();
    let eta = match &eta {
        Some(s) => Some(s.parse::<StepRule>().map_err(|m| value_err(format!("eta: {m}")))?),
        None => None,
    };
    let loss = loss.parse::<ibias::datafit::LossKind>().map_err(|m| value_err(format!("loss: {m}")))?;
    let potential = potential.map(|p| p.choice());
    let req = RunRequest {
        method: algorithm.replace('-', "_"),
        loss,
        alpha,
        potential,
        depth,
        w0: w0.map(|v| vector(&v)),
        eta,
        momentum,
        shape,
        u0: u0.map(|v| vector(&v)),
        v0: v0.map(|v| vector(&v)),
        track_scale,
        tol,
        grad_tol,
        max_iter,
        max_seconds,
        checkpoints,
        record_every,
        batch,
        replacement,
        label_noise,
        seed,
        check_every,
        flow,
        stiff,
        t_max,
    };
    let r = call::run(py, move || req.run(&p))?;
    Ok(RunResult { r })
}

/// The registered methods' names (each also a Python function of the package).
#[pyfunction]
pub fn methods() -> Vec<(&'static str, &'static str)> {
    ibias::request::method_help()
}

/// What a finite step did to the limit of a converged run of GD on (u, v) at the fixed step `eta` from
/// u₀ = v₀ = α (or `shape`, or `u0`/`v0`): distances to the flow limit and to the effective-scale prediction,
/// the sharpness against 2/η and the stability bound. Returns a dict.
#[pyfunction]
#[pyo3(signature = (problem, result, eta, *, alpha=1.0, shape=None, u0=None, v0=None))]
#[allow(clippy::too_many_arguments)]
pub fn step_effect(
    py: Python<'_>,
    problem: &Problem,
    result: &RunResult,
    eta: f64,
    alpha: f64,
    shape: Option<f64>,
    u0: Option<PyReadonlyArray1<'_, f64>>,
    v0: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Py<PyAny>> {
    let p = problem.inner.clone();
    let d = p.d();
    let r = result.r.clone();
    let (u0, v0) = (u0.map(|v| vector(&v)), v0.map(|v| vector(&v)));
    let e = call::run(py, move || {
        let init = Init::from_options(alpha, shape, u0, v0, d)?;
        ibias::exact::finite_step::step_effect(&p, &init, &r, eta)
    })?;
    json_obj(py, &serde_json::to_value(&e).unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------------------
// The α → 0 limit

/// The saddle-to-saddle path (Pesme & Flammarion 2023) of a problem: jump times τ_k (accelerated time
/// t/(2 ln(1/α)), starting with 0), saddles β_k (rows, starting with 0), active sets and signs, and the
/// certificates (KKT residual per saddle, max |q|). The last saddle is a minimum-ℓ1 interpolator.
#[pyfunction]
pub fn saddle_path(py: Python<'_>, problem: &Problem) -> PyResult<Py<PyAny>> {
    let p = problem.inner.clone();
    let path = match call::run(py, move || PathRequest::new(RegKind::Saddle).run(&p))? {
        PathOutput::Saddle(s) => s,
        PathOutput::Regularisation { .. } => return Err(value_err("a saddle request returned a regularisation path")),
    };
    let d = problem.inner.d();
    let out = PyDict::new(py);
    out.set_item("times", array1(py, path.times.clone()))?;
    out.set_item("saddles", array2(py, &path.saddles, d))?;
    out.set_item("saturated", path.saturated.clone())?;
    out.set_item("signs", path.signs.clone())?;
    out.set_item("kkt_residual", array1(py, path.kkt_residual.clone()))?;
    out.set_item("q_max", path.q_max)?;
    out.set_item("wall_seconds", path.wall_seconds)?;
    Ok(out.into_any().unbind())
}

/// The (u, v) gradient flow from u = v = α in accelerated time τ = t/(2 ln(1/α)), at the given τ values;
/// works at any α < 1 given as `log10_alpha` (down to 1e-300: the potential is evaluated in log scale).
/// Returns w at each τ, shape (len(taus), d).
#[pyfunction]
#[pyo3(signature = (problem, log10_alpha, taus, *, rtol=1e-10))]
pub fn accelerated_flow<'py>(
    py: Python<'py>,
    problem: &Problem,
    log10_alpha: f64,
    taus: Vec<f64>,
    rtol: f64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let p = problem.inner.clone();
    let opts = OdeOptions { rtol, atol: 1e-12, max_steps: 20_000_000, ..Default::default() };
    let f = call::run(py, move || {
        ibias::dynamics::flow::accelerated_flow(&p, log10_alpha * std::f64::consts::LN_10, &taus, opts)
    })?;
    Ok(array2(py, &f.w, problem.inner.d()))
}

// ---------------------------------------------------------------------------------------------------------
// Exact solvers and paths

/// A reference solution with its certificate.
#[pyclass(module = "ibias._ibias", frozen)]
pub struct Solution {
    s: ibias::exact::Solution,
}

#[pymethods]
impl Solution {
    /// The solution.
    #[getter]
    fn w<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.s.w.clone())
    }
    /// ‖w‖₁.
    #[getter]
    fn l1_norm(&self) -> f64 {
        self.s.l1_norm
    }
    /// ‖w‖₂.
    #[getter]
    fn l2_norm(&self) -> f64 {
        self.s.l2_norm
    }
    /// How it was computed.
    #[getter]
    fn method(&self) -> String {
        self.s.method.clone()
    }
    /// The certificate as a dict (residual_norm, residual_rel, duality_gap_rel, …).
    #[getter]
    fn certificate(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_obj(py, &serde_json::to_value(&self.s.certificate).unwrap_or_default())
    }
    /// Indices with |wⱼ| > support_threshold (basis pursuit), else None.
    #[getter]
    fn support(&self) -> Option<Vec<usize>> {
        self.s.support.clone()
    }
    /// The support's threshold 1e-9·‖w‖∞.
    #[getter]
    fn support_threshold(&self) -> Option<f64> {
        self.s.support_threshold
    }
    /// `unique`, `not_unique` or `unknown` (basis pursuit), else None.
    #[getter]
    fn unique(&self) -> Option<String> {
        self.s.certificate.unique.and_then(|u| serde_json::to_value(u).ok()).and_then(|v| v.as_str().map(String::from))
    }
    /// The certificate's dual vector μ ∈ Rⁿ, where there is one.
    #[getter]
    fn dual<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.s.dual.clone().map(|v| array1(py, v))
    }
    /// Wall-clock seconds.
    #[getter]
    fn wall_seconds(&self) -> f64 {
        self.s.wall_seconds
    }
    /// Every returned solution passed its certificate (a failed one raises CertificateError): always True.
    #[getter]
    fn converged(&self) -> bool {
        true
    }
    /// Solver iterations.
    #[getter]
    fn iterations(&self) -> Option<usize> {
        self.s.certificate.iterations
    }
    /// Everything as a dict (the JSON of `ibias solve --json`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_obj(py, &serde_json::to_value(&self.s).unwrap_or_default())
    }
    fn __repr__(&self) -> String {
        format!("Solution({}, l1_norm={:.9}, l2_norm={:.9})", self.s.method, self.s.l1_norm, self.s.l2_norm)
    }
}

/// Runs a solve request on `problem` (the library validates it, by its names, before anything is computed).
fn solve_request(py: Python<'_>, problem: &Problem, req: SolveRequest) -> PyResult<SolveOutput> {
    call::quick(|| req.validate())?;
    let p = problem.inner.clone();
    call::run(py, move || req.run(&p))
}

/// A solve request's interpolator or least-squares solution.
fn solution(out: SolveOutput) -> PyResult<Solution> {
    match out {
        SolveOutput::Solution(s) => Ok(Solution { s }),
        _ => Err(value_err("the solver returned no interpolator")),
    }
}

/// X⁺y with its certificate.
#[pyfunction]
pub fn min_l2(py: Python<'_>, problem: &Problem) -> PyResult<Solution> {
    solution(solve_request(py, problem, SolveRequest::new(SolveKind::MinL2))?)
}

/// The maximum-margin classifier for `norm` (`l1`, `l2`, `linf`, `lp` with `p`), certified; a dict.
#[pyfunction]
#[pyo3(signature = (problem, norm="l2", p=None))]
pub fn max_margin(py: Python<'_>, problem: &Problem, norm: &str, p: Option<f64>) -> PyResult<Py<PyAny>> {
    let req = SolveRequest { norm: Some(norm.to_string()), p, ..SolveRequest::new(SolveKind::MaxMargin) };
    match solve_request(py, problem, req)? {
        SolveOutput::MaxMargin(m) => json_obj(py, &serde_json::to_value(&m).map_err(|e| value_err(e.to_string()))?),
        _ => Err(value_err("the max-margin solver returned no direction")),
    }
}

/// Whether labels ±1 are separable through the origin, with the certificate either way; a dict.
#[pyfunction]
pub fn separability(py: Python<'_>, problem: &Problem) -> PyResult<Py<PyAny>> {
    match solve_request(py, problem, SolveRequest::new(SolveKind::Separability))? {
        SolveOutput::Separability(s) => json_obj(py, &serde_json::to_value(&s).map_err(|e| value_err(e.to_string()))?),
        _ => Err(value_err("the separability test returned no verdict")),
    }
}

/// Soudry et al.'s asymptotics of GD on separable data (`ŵ`, `w̃`, the gap constant), certified; a dict.
#[pyfunction]
pub fn soudry(py: Python<'_>, problem: &Problem) -> PyResult<Py<PyAny>> {
    match solve_request(py, problem, SolveRequest::new(SolveKind::Soudry))? {
        SolveOutput::Soudry(s) => json_obj(py, &serde_json::to_value(&s).map_err(|e| value_err(e.to_string()))?),
        _ => Err(value_err("the asymptotics solver returned nothing")),
    }
}

/// Basis pursuit (`auto`, `lp` or `homotopy`) with its certificate and uniqueness verdict.
#[pyfunction]
#[pyo3(signature = (problem, method="auto"))]
pub fn min_l1(py: Python<'_>, problem: &Problem, method: &str) -> PyResult<Solution> {
    let m: ibias::exact::BpMethod = method.parse().map_err(|m| value_err(format!("invalid parameter method: {m}")))?;
    solution(solve_request(py, problem, SolveRequest { bp_method: Some(m), ..SolveRequest::new(SolveKind::MinL1) })?)
}

/// The Bregman projection onto {Xw = y} of `w0` (default 0; 1 for the entropy) for `potential` (default: the
/// hyperbolic entropy at `alpha`), or of the initialisation `shape` / `u0`, `v0` (the hyperbolic entropy with
/// c = 2u₀v₀ from w₀ = u₀² − v₀²).
#[pyfunction]
#[pyo3(signature = (problem, potential=None, w0=None, *, alpha=None, shape=None, u0=None, v0=None))]
#[allow(clippy::too_many_arguments)]
pub fn bregman(
    py: Python<'_>,
    problem: &Problem,
    potential: Option<&Potential>,
    w0: Option<PyReadonlyArray1<'_, f64>>,
    alpha: Option<f64>,
    shape: Option<f64>,
    u0: Option<PyReadonlyArray1<'_, f64>>,
    v0: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Solution> {
    let req = SolveRequest {
        potential: potential.map(|p| p.choice()),
        w0: w0.map(|v| vector(&v)),
        alpha,
        shape,
        u0: u0.map(|v| vector(&v)),
        v0: v0.map(|v| vector(&v)),
        ..SolveRequest::new(SolveKind::Bregman)
    };
    solution(solve_request(py, problem, req)?)
}

/// A regularisation path: `lambdas` (sheet's convention, decreasing for the Lasso) and `coefs` of shape
/// (n_features, n_lambdas) as scikit-learn's `lars_path`.
#[pyclass(module = "ibias._ibias", frozen)]
pub struct Path {
    p: ibias::exact::Path,
    /// Samples (scikit-learn's ridge alpha is n·λ).
    n: usize,
}

#[pymethods]
impl Path {
    /// λ values (R(w) + λ·pen(w)).
    #[getter]
    fn lambdas<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.p.lambdas.clone())
    }
    /// scikit-learn's alphas: λ/2 for the Lasso, n·λ for ridge.
    #[getter]
    fn alphas<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let f = match self.p.kind {
            ibias::exact::PathKind::Lasso => 0.5,
            ibias::exact::PathKind::Ridge => self.n as f64,
        };
        array1(py, self.p.lambdas.iter().map(|l| f * l).collect())
    }
    /// Coefficients, shape (n_features, n_lambdas).
    #[getter]
    fn coefs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let d = self.p.coefs.first().map_or(0, |c| c.len());
        array2_t(py, &self.p.coefs, d)
    }
    /// KKT violation per λ.
    #[getter]
    fn kkt<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.p.certificates.iter().map(|c| c.kkt_violation).collect())
    }
    /// Duality gap per λ (NaN for ridge).
    #[getter]
    fn gaps<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.p.certificates.iter().map(|c| c.duality_gap_abs.unwrap_or(f64::NAN)).collect())
    }
    /// How the path was computed.
    #[getter]
    fn method(&self) -> String {
        self.p.method.clone()
    }
    /// `lasso` or `ridge`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.p.kind {
            ibias::exact::PathKind::Lasso => "lasso",
            ibias::exact::PathKind::Ridge => "ridge",
        }
    }
    /// Wall-clock seconds.
    #[getter]
    fn wall_seconds(&self) -> f64 {
        self.p.wall_seconds
    }
    /// The exact (piecewise-linear) path at any λ (Lasso breakpoints).
    fn at<'py>(&self, py: Python<'py>, lam: f64) -> Bound<'py, PyArray1<f64>> {
        array1(py, self.p.at(lam))
    }
    fn __repr__(&self) -> String {
        format!("Path({}, {} values of λ, {})", self.kind(), self.p.lambdas.len(), self.p.method)
    }
}

/// Runs a path request on `problem` (the library validates it, by its names, before anything is computed).
fn path_request(py: Python<'_>, problem: &Problem, req: PathRequest) -> PyResult<Path> {
    call::quick(|| req.validate())?;
    let p = problem.inner.clone();
    let n = p.n();
    match call::run(py, move || req.run(&p))? {
        PathOutput::Regularisation { path, .. } => Ok(Path { p: path, n }),
        PathOutput::Saddle(_) => Err(value_err("the saddle path is returned by saddle_path")),
    }
}

/// The Lasso path: exact breakpoints (homotopy) or coordinate descent on `lambdas` / `n_lambdas`.
#[pyfunction]
#[pyo3(signature = (problem, exact=None, lambdas=None, positive=false, n_lambdas=None))]
pub fn lasso_path(
    py: Python<'_>,
    problem: &Problem,
    exact: Option<bool>,
    lambdas: Option<Vec<f64>>,
    positive: bool,
    n_lambdas: Option<usize>,
) -> PyResult<Path> {
    let req = PathRequest { exact, lambdas, positive, n_lambdas, ..PathRequest::new(RegKind::Lasso) };
    path_request(py, problem, req)
}

/// The ridge path on `lambdas` (default grid: `n_lambdas` values down to 0).
#[pyfunction]
#[pyo3(signature = (problem, lambdas=None, n_lambdas=None))]
pub fn ridge_path(
    py: Python<'_>,
    problem: &Problem,
    lambdas: Option<Vec<f64>>,
    n_lambdas: Option<usize>,
) -> PyResult<Path> {
    path_request(py, problem, PathRequest { lambdas, n_lambdas, ..PathRequest::new(RegKind::Ridge) })
}

// ---------------------------------------------------------------------------------------------------------
// Sweeps, data, studies

/// A certified α × η × seed sweep on all cores; returns the rows as columns (dict of lists).
#[pyfunction]
#[pyo3(signature = (problems, method, alphas, etas=None, tol=1e-24, max_iter=10_000_000, max_seconds=60.0, threads=None, journal=None, progress=None, record_w=false))]
#[allow(clippy::too_many_arguments)]
pub fn sweep(
    py: Python<'_>,
    problems: Vec<(Option<u64>, PyRef<'_, Problem>)>,
    method: &str,
    alphas: Vec<f64>,
    etas: Option<Vec<String>>,
    tol: f64,
    max_iter: usize,
    max_seconds: f64,
    threads: Option<usize>,
    journal: Option<String>,
    progress: Option<Py<PyAny>>,
    record_w: bool,
) -> PyResult<Py<PyAny>> {
    let method: ibias::sweep::SweepMethod = method.parse().map_err(value_err)?;
    // No etas: each dataset's default (the CLI's `ibias sweep` and specs take the same, `sweep::default_rule`).
    let etas: Option<Vec<StepRule>> = match etas {
        Some(e) => Some(e.iter().map(|s| s.parse::<StepRule>()).collect::<Result<_, _>>().map_err(value_err)?),
        None => None,
    };
    let probs: Vec<(Option<u64>, ibias::problem::Problem)> =
        problems.iter().map(|(s, p)| (*s, (*p.inner).clone())).collect();
    let o = ibias::sweep::SweepOptions { method, alphas, etas, risk_tol: tol, max_iter, max_seconds, record_w };
    let rows = call::run_with_progress(py, progress, move |cb| {
        let pool = ibias::kernels::par::thread_pool(threads)?;
        pool.install(|| ibias::sweep::run(&probs, &o, journal.as_deref().map(std::path::Path::new), cb)).map(|r| r.0)
    })?;
    let v = serde_json::to_value(&rows).unwrap_or_default();
    let cols = PyDict::new(py);
    let keys = [
        "run_id",
        "data_hash",
        "seed",
        "method",
        "alpha",
        "step_rule",
        "iterations",
        "wall_seconds",
        "converged",
        "stop_reason",
        "l1_norm",
        "l2_norm",
        "l1_gap_abs",
        "l2_gap_abs",
        "distance_to_exact_rel",
    ];
    for k in keys {
        let col: Vec<serde_json::Value> =
            v.as_array().map(|a| a.iter().map(|r| r[k].clone()).collect()).unwrap_or_default();
        cols.set_item(k, json_obj(py, &serde_json::Value::Array(col))?)?;
    }
    if record_w {
        let ws: Vec<Bound<'_, PyArray1<f64>>> =
            rows.iter().map(|r| PyArray1::from_slice(py, r.w.as_deref().unwrap_or(&[]))).collect();
        cols.set_item("w", ws)?;
    }
    Ok(cols.into_any().unbind())
}

/// `LO:HI:K` (log-spaced, end points exact) or a comma-separated list, parsed as every door parses it.
#[pyfunction]
pub fn parse_alphas(s: &str) -> PyResult<Vec<f64>> {
    ibias::sweep::parse_alphas(s).map_err(call::to_py)
}

/// A seeded dataset: a preset (`ex2`, `ex3`, `woodworth`) or n, d, sparsity, entries, noise. Returns (X, y, w*).
#[pyfunction]
#[pyo3(signature = (preset=None, seed=0, n=None, d=None, sparsity=None, entries="signs", noise=0.0, margin=None))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn generate<'py>(
    py: Python<'py>,
    preset: Option<&str>,
    seed: u64,
    n: Option<usize>,
    d: Option<usize>,
    sparsity: Option<usize>,
    entries: &str,
    noise: f64,
    margin: Option<f64>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    use ibias::problem::generate::{Entries, GenSpec};
    let spec = match (preset, n, d) {
        (Some(p), None, None) if margin.is_none() => call::quick(|| GenSpec::preset(p, seed))?,
        (None, Some(n), Some(d)) => {
            let entries = match entries {
                "signs" => Entries::Signs,
                "gaussian" => Entries::Gaussian,
                "constant" => Entries::Constant,
                e => return Err(value_err(format!("entries: '{e}' (signs, gaussian or constant)"))),
            };
            GenSpec { n, d, sparsity, entries, w_star: None, noise, seed, margin }
        }
        _ => return Err(value_err("give a preset, or n and d (margin: with n and d)")),
    };
    let (x, y, w_star) = call::run(py, move || spec.draw())?;
    let rows: Vec<Vec<f64>> = (0..x.rows).map(|i| x.row(i).to_vec()).collect();
    Ok((array2(py, &rows, x.cols), array1(py, y), array1(py, w_star)))
}

/// A matrix sensing problem from measurements `A` of shape (n, m, m), symmetric, and `y` of length n.
#[pyfunction]
#[pyo3(name = "sensing_problem")]
pub fn sensing_problem(
    py: Python<'_>,
    a: PyReadonlyArray3<'_, f64>,
    y: PyReadonlyArray1<'_, f64>,
) -> PyResult<Problem> {
    let v = a.as_array();
    let (n, m1, m2) = v.dim();
    if m1 != m2 {
        return Err(value_err(format!("invalid parameter A: each measurement must be m × m, got {m1} × {m2}")));
    }
    let data: Vec<f64> = v.iter().copied().collect();
    let x = ibias::kernels::linalg::Dense { rows: n, cols: m1 * m2, data };
    let yv = vector(&y);
    let p = call::run(py, move || ibias::problem::matrix::sensing_problem(x, yv, "A"))?;
    Ok(Problem { inner: Arc::new(p) })
}

/// A matrix answer as a dict (the JSON of `ibias solve … --json`) with its `W` (`m` rows) as an (m, m) array.
fn matrix_dict(py: Python<'_>, answer: serde_json::Result<serde_json::Value>, w: &[Vec<f64>]) -> PyResult<Py<PyAny>> {
    let d = json_obj(py, &answer.map_err(|e| value_err(e.to_string()))?)?;
    d.bind(py).set_item("W", array2(py, w, w.len()))?;
    Ok(d)
}

/// The minimum nuclear norm interpolator (symmetric W, or W ⪰ 0 with `psd`), certified; a dict.
#[pyfunction]
#[pyo3(signature = (problem, psd=false))]
pub fn min_nuclear(py: Python<'_>, problem: &Problem, psd: bool) -> PyResult<Py<PyAny>> {
    match solve_request(py, problem, SolveRequest { psd, ..SolveRequest::new(SolveKind::MinNuclear) })? {
        SolveOutput::Matrix(s) => matrix_dict(py, serde_json::to_value(&s), &s.w),
        _ => Err(value_err("the nuclear norm solver returned no matrix")),
    }
}

/// The spectral Bregman projection at `alpha` (the limit of spectral mirror descent), certified; a dict.
#[pyfunction]
#[pyo3(signature = (problem, alpha=1.0))]
pub fn spectral_bregman(py: Python<'_>, problem: &Problem, alpha: f64) -> PyResult<Py<PyAny>> {
    match solve_request(
        py,
        problem,
        SolveRequest { alpha: Some(alpha), ..SolveRequest::new(SolveKind::SpectralBregman) },
    )? {
        SolveOutput::Matrix(s) => matrix_dict(py, serde_json::to_value(&s), &s.w),
        _ => Err(value_err("the spectral projection returned no matrix")),
    }
}

/// Greedy low-rank learning (the α → 0 limit of GD on U Uᵀ): stages, escape rates, plateau lengths; a dict with `W`
/// as an (m, m) array.
#[pyfunction]
#[pyo3(signature = (problem, max_rank=None))]
pub fn greedy_low_rank(py: Python<'_>, problem: &Problem, max_rank: Option<usize>) -> PyResult<Py<PyAny>> {
    match solve_request(py, problem, SolveRequest { max_rank, ..SolveRequest::new(SolveKind::GreedyLowRank) })? {
        SolveOutput::Greedy(g) => matrix_dict(py, serde_json::to_value(&g), &g.w),
        _ => Err(value_err("greedy low-rank learning returned no path")),
    }
}

/// The minimum Frobenius interpolator; a dict.
#[pyfunction]
pub fn min_frobenius(py: Python<'_>, problem: &Problem) -> PyResult<Py<PyAny>> {
    match solve_request(py, problem, SolveRequest::new(SolveKind::MinFrobenius))? {
        SolveOutput::Matrix(s) => matrix_dict(py, serde_json::to_value(&s), &s.w),
        _ => Err(value_err("the Frobenius solver returned no matrix")),
    }
}

/// Seeded matrix sensing data: a preset (`sensing`, `sensing_indefinite`, `completion`, `razin_cohen`) or
/// (m, n, rank, psd, measurements); returns (A of shape (n, m, m), y, W* of shape (m, m) or None).
#[pyfunction]
#[pyo3(signature = (preset=None, seed=0, m=None, n=None, rank=1, psd=true, measurements="gaussian"))]
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
pub fn generate_matrix<'py>(
    py: Python<'py>,
    preset: Option<&str>,
    seed: u64,
    m: Option<usize>,
    n: Option<usize>,
    rank: usize,
    psd: bool,
    measurements: &str,
) -> PyResult<(Bound<'py, PyArray3<f64>>, Bound<'py, PyArray1<f64>>, Option<Bound<'py, PyArray2<f64>>>)> {
    use ibias::problem::matrix::{MatrixSpec, Measurements, preset_arrays};
    let (x, y, w) = match (preset, m, n) {
        (Some(p), None, None) => {
            let p = p.to_string();
            call::run(py, move || preset_arrays(&p, seed))?
        }
        (None, Some(m), Some(n)) => {
            let measurements = match measurements {
                "gaussian" => Measurements::Gaussian,
                "completion" => Measurements::Completion,
                "diagonal" => Measurements::Diagonal,
                e => {
                    return Err(value_err(format!(
                        "invalid parameter measurements: '{e}' (gaussian, completion or diagonal)"
                    )));
                }
            };
            let spec = MatrixSpec { m, n, rank, psd, measurements, seed };
            let (x, y, w) = call::run(py, move || spec.draw())?;
            (x, y, Some(w))
        }
        _ => return Err(value_err("give a preset, or m and n")),
    };
    let side = (x.cols as f64).sqrt().round() as usize;
    let a = numpy::ndarray::Array3::from_shape_vec((x.rows, side, side), x.data)
        .map_err(|e| value_err(e.to_string()))?
        .into_pyarray(py);
    let w = w.map(|w| array2(py, &w.chunks(side).map(|r| r.to_vec()).collect::<Vec<_>>(), side));
    Ok((a, array1(py, y), w))
}

/// X and y as NumPy arrays.
type Arrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// Loads a CSV file (last column y): (X, y).
#[pyfunction]
pub fn load_csv<'py>(py: Python<'py>, path: String) -> PyResult<Arrays<'py>> {
    let p = call::run(py, move || ibias::problem::csv::load_csv(std::path::Path::new(&path)))?;
    let x = p.x();
    let rows: Vec<Vec<f64>> = (0..x.rows).map(|i| x.row(i).to_vec()).collect();
    Ok((array2(py, &rows, x.cols), array1(py, p.y().to_vec())))
}

fn config(toml_text: Option<String>) -> ibias::Result<ibias::study::Config> {
    match toml_text {
        Some(t) => ibias::study::Config::from_toml(&t),
        None => Ok(ibias::study::Config::default()),
    }
}

/// Writes the report into `out` (every study, or `only`); returns the page's path.
#[pyfunction]
#[pyo3(signature = (out="report".to_string(), config_toml=None, only=None, progress=None))]
pub fn report(
    py: Python<'_>,
    out: String,
    config_toml: Option<String>,
    only: Option<Vec<String>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    call::run_with_progress(py, progress, move |cb| {
        let cfg = config(config_toml)?;
        let keys: Vec<String> =
            only.unwrap_or_else(|| ibias::study::registry().iter().map(|s| s.key().to_string()).collect());
        let keys: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
        ibias::report::run_studies(&cfg, std::path::Path::new(&out), keys, cb).map(|p| p.to_string_lossy().into_owned())
    })
}

/// Runs one study with a TOML configuration; returns (results as a dict, title, answers).
#[pyfunction]
#[pyo3(signature = (key, config_toml=None, progress=None))]
pub fn run_study(
    py: Python<'_>,
    key: String,
    config_toml: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Py<PyAny>, String, Vec<String>)> {
    let (json, title, answers) = call::run_with_progress(py, progress, move |cb| {
        let cfg = config(config_toml)?;
        let study =
            ibias::study::find(&key).ok_or_else(|| ibias::Error::param("study", format!("unknown study '{key}'")))?;
        let (j, s) = study.run(cfg.section(&key), cb)?;
        Ok((j, s.title, s.answers))
    })?;
    Ok((json_obj(py, &json)?, title, answers))
}

/// The registered studies, in report order.
#[pyfunction]
pub fn study_keys() -> Vec<String> {
    ibias::study::registry().iter().map(|s| s.key().to_string()).collect()
}

/// Every registered study's key and one line, in report order (Python's `ibias.study.<key>` functions are made
/// from this list).
#[pyfunction]
pub fn study_list() -> Vec<(String, String)> {
    ibias::study::registry().iter().map(|s| (s.key().to_string(), s.about().to_string())).collect()
}

/// A study's default configuration as TOML.
#[pyfunction]
pub fn default_config(key: &str) -> PyResult<String> {
    let s = ibias::study::find(key).ok_or_else(|| value_err(format!("unknown study '{key}'")))?;
    toml::to_string_pretty(&s.default_config()).map_err(|e| value_err(e.to_string()))
}

/// Sets the memory budget in bytes (0: half of physical memory).
#[pyfunction]
pub fn set_max_memory(bytes: u64) {
    ibias::io::set_max_memory(bytes);
}

// ---------------------------------------------------------------------------------------------------------
// Sweep specifications (Slurm-style shards)

fn plan(path: &str) -> ibias::Result<ibias::sweep::Plan> {
    ibias::sweep::Plan::from_file(std::path::Path::new(path))
}

/// A spec file's plan: hash, datasets, runs (id, problem, method, α, step rule, estimated seconds), estimates.
#[pyfunction]
pub fn spec_plan(py: Python<'_>, path: String) -> PyResult<Py<PyAny>> {
    let v = call::run(py, move || {
        let p = plan(&path)?;
        let (secs, mem) = p.estimate();
        Ok(serde_json::json!({
            "spec_hash": p.spec_hash,
            "problems": p.problems.iter().map(|(k, ..)| k).collect::<Vec<_>>(),
            "runs": p.runs,
            "estimated_seconds_total": secs,
            "estimated_memory_bytes": mem,
        }))
    })?;
    json_obj(py, &v)
}

/// Runs shard `(k, n)` of a spec into the folder `out` (default: the Slurm array task's shard, else the whole
/// sweep); returns what it did (planned, skipped, computed, failed, truncated_last_line).
#[pyfunction]
#[pyo3(signature = (path, out, shard=None, threads=None, progress=None))]
pub fn spec_run(
    py: Python<'_>,
    path: String,
    out: String,
    shard: Option<(usize, usize)>,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let rep = call::run_with_progress(py, progress, move |cb| {
        let (k, n) = match shard {
            Some(s) => s,
            None => ibias::sweep::slurm_shard()?.unwrap_or((0, 1)),
        };
        let p = plan(&path)?;
        let pool = ibias::kernels::par::thread_pool(threads)?;
        pool.install(|| ibias::sweep::run_shard(&p, k, n, std::path::Path::new(&out), cb))
    })?;
    json_obj(py, &serde_json::to_value(&rep).unwrap_or_default())
}

/// Per shard of a sweep folder: planned, done, failing, missing runs and the last error.
#[pyfunction]
#[pyo3(signature = (out, tasks=None))]
pub fn spec_status(py: Python<'_>, out: String, tasks: Option<usize>) -> PyResult<Py<PyAny>> {
    let st = call::run(py, move || {
        let dir = std::path::Path::new(&out);
        let p = plan(&dir.join("spec.toml").to_string_lossy())?;
        let n = match tasks {
            Some(n) => n,
            None => ibias::sweep::shard_count(dir)?.unwrap_or(1),
        };
        ibias::sweep::status(&p, dir, n)
    })?;
    json_obj(py, &serde_json::to_value(&st).unwrap_or_default())
}

/// Every planned run of a sweep folder exactly once (an error naming the missing runs otherwise), as columns.
#[pyfunction]
pub fn spec_merge(py: Python<'_>, out: String) -> PyResult<Py<PyAny>> {
    let (t, ws) = call::run(py, move || {
        let dir = std::path::Path::new(&out);
        let p = plan(&dir.join("spec.toml").to_string_lossy())?;
        let rows = ibias::sweep::merge(&p, dir)?;
        let ws: Vec<Option<Vec<f64>>> = rows.iter().map(|r| r.w.clone()).collect();
        Ok((ibias::sweep::to_table(&rows), ws))
    })?;
    let cols = PyDict::new(py);
    for (j, c) in t.columns.iter().enumerate() {
        let v: Vec<serde_json::Value> =
            t.rows.iter().map(|r| serde_json::to_value(&r[j]).unwrap_or_default()).collect();
        cols.set_item(&c.key, json_obj(py, &serde_json::Value::Array(v))?)?;
    }
    // The recorded final iterates (`[record] w = true`), one array per run.
    if ws.iter().any(Option::is_some) {
        let list: Vec<Py<PyAny>> = ws
            .into_iter()
            .map(|w| match w {
                Some(w) => array1(py, w).into_any().unbind(),
                None => py.None(),
            })
            .collect();
        cols.set_item("w", list)?;
    }
    Ok(cols.into_any().unbind())
}
