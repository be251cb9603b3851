"""ibias — the implicit bias of gradient methods on least squares, simulated, certified and drawn.

Conventions (the exercise sheet's, not scikit-learn's): the risk is ``R(w) = (1/n)‖Xw − y‖²``; the Lasso is
``R(w) + λ‖w‖₁`` (scikit-learn's ``alpha = λ/2``); ridge ``R(w) + λ‖w‖₂²`` (scikit-learn's ``Ridge(alpha=n·λ)``).
Mirror descent with the hyperbolic entropy of scale ``c = 2α²`` is gradient descent on ``w = u⊙u − v⊙v`` from
``u = v = α`` (in the flow limit); its limit is the Bregman projection, which ``bregman`` computes exactly.

Every function takes ``(X, y)`` as array-likes (float64, C- or F-ordered) or a prebuilt :class:`Problem`
(build it once to reuse the singular values and caches across calls). Long calls release the GIL, run on
another thread and stop on Ctrl-C (``KeyboardInterrupt``) within a fraction of a second. Exact solvers return
only certified answers: a failed certificate raises :class:`CertificateError`.

Quick start::

    import ibias
    X, y, w_star = ibias.generate("ex2", seed=0)         # 40 × 100, 5-sparse, noiseless
    r = ibias.md(X, y, alpha=1e-3)                       # mirror descent, hyperbolic entropy
    limit = ibias.bregman(X, y, alpha=1e-3)              # its exact limit, certified
    bp = ibias.min_l1(X, y)                              # basis pursuit: dual certificate, uniqueness
    path = ibias.lasso_path(X, y)                        # every breakpoint; path.coefs is (d, k)
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ibias
from ._ibias import (
    CertificateError,
    DivergenceError,
    IbiasError,
    InfeasibleError,
    Path,
    Potential,
    Problem as _Problem,
    RunResult,
    Solution,
)

__version__: str = _ibias.__version__

__all__ = [
    "Problem", "Potential", "RunResult", "Solution", "Path", "Euclidean", "Hyperbolic", "NegEntropy", "Depth", "PNorm",
    "gd", "md", "reparam", "azulay", "eg", "flow", "run", "methods", "min_l2", "min_l1", "max_margin", "separability", "soudry", "bregman", "lasso_path", "ridge_path",
    "saddle_path", "accelerated_flow", "step_effect", "sensing_problem", "min_nuclear", "min_frobenius", "spectral_bregman", "greedy_low_rank", "generate_matrix",
    "sweep", "sweep_plan", "sweep_run", "sweep_status", "sweep_merge", "generate", "load_csv", "report", "study", "set_max_memory",
    "IbiasError", "DivergenceError", "CertificateError", "InfeasibleError",
]

ArrayLike = Any
Eta = Union[str, float]
ProgressCallback = Callable[[str, int, int], None]


def _float64(x: ArrayLike, name: str) -> np.ndarray:
    if np.iscomplexobj(x):
        raise ValueError(f"{name} is complex; ibias works on real numbers (pass x.real explicitly if that is meant)")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a numeric array convertible to float64: {e}") from None


def _matrix(X: ArrayLike, name: str = "X") -> np.ndarray:
    a = _float64(X, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional (n × d), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    return a


def _vector(v: ArrayLike, name: str) -> np.ndarray:
    a = _float64(v, name)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {a.shape}")
    return a


class Problem(_Problem):
    """A least-squares problem ``(X, y)`` with ``R(w) = (1/n)‖Xw − y‖²``.

    ``X`` is any array-like convertible to float64 (C- or F-ordered), ``y`` a vector of length ``n``. Raises
    ``ValueError`` for a shape mismatch, NaN or infinite entries, an empty array or a non-numeric dtype.
    Attributes: ``n``, ``d``, ``rank``, ``sigma`` (singular values), ``smoothness`` (L = 2σ_max²/n),
    ``risk_at_zero``, ``data_hash``; methods ``risk(w)``, ``grad(w)``, ``describe()``.
    """

    def __new__(cls, X: ArrayLike, y: ArrayLike) -> "Problem":
        Xa = _matrix(X)
        ya = _vector(y, "y")
        if ya.shape[0] != Xa.shape[0]:
            raise ValueError(f"y has length {ya.shape[0]} but X has {Xa.shape[0]} rows")
        return super().__new__(cls, Xa, ya)


def _problem(X: Union[ArrayLike, _Problem], y: Optional[ArrayLike]) -> _Problem:
    if isinstance(X, _Problem):
        if y is not None:
            raise ValueError("give a Problem, or X and y, not both")
        return X
    if y is None:
        raise ValueError("y is missing (give a Problem, or X and y)")
    if np.ndim(X) == 3:
        return sensing_problem(X, y)
    return Problem(X, y)


def sensing_problem(A: ArrayLike, y: ArrayLike) -> _Problem:
    """A matrix sensing problem (SPEC §13): measurements ``A`` of shape (n, m, m), each symmetric, and
    ``y[i] = ⟨A[i], W*⟩``; the risk is R(W) = (1/n)Σ(⟨Aᵢ, W⟩ − yᵢ)², the least-squares risk of vec(W). Every
    function that takes ``X, y`` also takes ``A, y`` (a 3-D array) and the matrix methods (``factored``,
    ``factored_psd``, ``spectral_md``) run on it; their results carry ``matrix`` (the final W) and ``spectrum``."""
    a = _float64(A, "A")
    if a.ndim != 3:
        raise ValueError(f"A must be 3-dimensional (n × m × m), got shape {a.shape}")
    ya = _vector(y, "y")
    if ya.shape[0] != a.shape[0]:
        raise ValueError(f"y has length {ya.shape[0]} but A holds {a.shape[0]} measurements")
    return _ibias.sensing_problem(a, ya)


def min_nuclear(A: Any, y: Optional[ArrayLike] = None, *, psd: bool = False) -> Dict[str, Any]:
    """The minimum nuclear norm interpolator of a sensing problem (symmetric W, or W ⪰ 0 with ``psd``): an SDP
    certified by its dual (‖Σλᵢ Aᵢ‖₂ ≤ 1) and duality gap; a dict with ``W`` (an (m, m) array), ``nuclear_norm``,
    ``eigenvalues``, ``certificate``. Raises :class:`CertificateError` rather than return an uncertified answer."""
    return _ibias.min_nuclear(_problem(A, y), psd=psd)


def min_frobenius(A: Any, y: Optional[ArrayLike] = None) -> Dict[str, Any]:
    """The minimum Frobenius interpolator of a sensing problem; a dict with ``W`` (an (m, m) array)."""
    return _ibias.min_frobenius(_problem(A, y))


def spectral_bregman(A: Any, y: Optional[ArrayLike] = None, *, alpha: float = 1.0) -> Dict[str, Any]:
    """The spectral Bregman projection of 0 onto {𝒜(W) = y} for the spectral hyperbolic entropy at ``alpha`` — the
    limit of :func:`spectral_md`; a dict with ``W`` (an (m, m) array) and its residual certificate."""
    return _ibias.spectral_bregman(_problem(A, y), alpha=alpha)


def greedy_low_rank(A: Any, y: Optional[ArrayLike] = None, *, max_rank: Optional[int] = None) -> Dict[str, Any]:
    """Greedy low-rank learning (Li, Luo & Lyu 2021), the α → 0 limit of GD on U Uᵀ: from W = 0, each stage escapes
    along the top eigenvector of −∇R (rate λ_r) and GD on the rank-r factor runs to its limit. A dict with
    ``stages`` (rank, escape_rate, plateau_per_log_inv_alpha = 2/λ_r — the escape time scale per unit of ln(1/α) —,
    risk, eigenvalues, steps), ``W`` (an (m, m)
    array), ``final_escape_rate``, ``complete``."""
    return _ibias.greedy_low_rank(_problem(A, y), max_rank=max_rank)


def generate_matrix(preset: Optional[str] = None, *, seed: int = 0, m: Optional[int] = None, n: Optional[int] = None,
                    rank: int = 1, psd: bool = True, measurements: str = "gaussian") -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """Seeded matrix sensing data: a ``preset`` (``sensing``, ``sensing_indefinite``, ``completion``,
    ``razin_cohen``) or ``m``, ``n``, ``rank``, ``psd``, ``measurements`` (``gaussian``, ``completion``,
    ``diagonal``). Returns ``(A, y, W_star)`` with ``A`` of shape (n, m, m) (``W_star`` None for razin_cohen)."""
    return _ibias.generate_matrix(preset=preset, seed=seed, m=m, n=n, rank=rank, psd=psd, measurements=measurements)


def Euclidean() -> Potential:
    """The Euclidean potential ψ(w) = ‖w‖²/2 (mirror descent is gradient descent)."""
    return Potential.euclidean()


def Hyperbolic(alpha: Optional[float] = None, *, scales: Optional[Sequence[float]] = None, ln_alpha: Optional[float] = None) -> Potential:
    """The hyperbolic entropy ψ(w) = Σ w·arcsinh(w/c) − √(w² + c²): uniform scale c = 2α² (``alpha``, or
    ``ln_alpha`` for α below 1e-300), or per-coordinate scales ``c`` (``scales``)."""
    return Potential.hyperbolic(alpha=alpha, scales=None if scales is None else [float(c) for c in scales], ln_alpha=ln_alpha)


def NegEntropy() -> Potential:
    """The negative entropy ψ(w) = Σ w log w − w on w > 0 (mirror descent is exponentiated gradient)."""
    return Potential.entropy()


def Depth(depth: int, alpha: float) -> Potential:
    """The mirror map of the depth-D diagonal network w = u^D − v^D from u = v = α (D ≥ 3; Woodworth et al. 2020):
    w = h(θ) = (α^{2−D} − kθ)^{−D/(D−2)} − (α^{2−D} + kθ)^{−D/(D−2)}, k = (D − 2)/2, on a bounded dual interval.
    Raises ``ValueError`` for D < 3 or α^{2−D} > 1e10 (not resolvable in double precision)."""
    return Potential.depth(int(depth), float(alpha))


def PNorm(p: float) -> Potential:
    """The p-norm potential ψ(w) = Σ|wᵢ|^p/p, p ∈ [1.05, 20]: mirror descent with it is p-GD (Sun et al. 2022), whose
    direction on separable data tends to the ℓp maximum-margin classifier. At w = 0 its metric 1/ψ'' is 0 (p < 2) or
    infinite (p > 2): give a fixed ``eta`` for p > 2."""
    return Potential.pnorm(float(p))


def _eta(eta: Optional[Eta]) -> Optional[str]:
    if eta is None:
        return None
    if isinstance(eta, str):
        return eta
    return repr(float(eta))


def _run(algorithm: str, X: Any, y: Any, **kw: Any) -> RunResult:
    p = _problem(X, y)
    for k in ("w0", "u0", "v0"):
        if kw.get(k) is not None:
            kw[k] = _vector(kw[k], k)
    kw["eta"] = _eta(kw.get("eta"))
    return _ibias.run(p, algorithm, **kw)


def gd(X: Any, y: Optional[ArrayLike] = None, *, loss: str = "least_squares", eta: Optional[Eta] = None, momentum: Optional[float] = None, tol: float = 1e-16,
       grad_tol: float = 0.0, max_iter: int = 1_000_000, max_seconds: Optional[float] = None, checkpoints: int = 40,
       record_every: bool = False, batch: Optional[int] = None, replacement: bool = False, label_noise: float = 0.0,
       seed: int = 0, check_every: int = 100) -> RunResult:
    """Gradient descent from w₀ = 0 (→ X⁺y); with ``momentum`` β ∈ [0, 1), heavy-ball GD.

    ``loss``: ``"least_squares"`` (the sheet's risk), ``"logistic"`` or ``"exponential"`` (labels ±1; then ``eta`` is a
    number or ``"safe"``). ``eta``: a number, ``"safe"`` or ``"auto"`` (default; ``"safe"`` with momentum). Stops when
    R(w) ≤ tol·R(0), or the local-metric gradient ≤ grad_tol·‖∇R(0)‖∞, or at ``max_iter`` / ``max_seconds``.
    Raises :class:`DivergenceError` (with a safe step in the message) when a step diverges.

    Stochastic gradients (every discrete method takes them): ``batch`` rows per step from a seeded ChaCha8 stream
    (``seed``), in epochs of a permutation or ``replacement``, with Gaussian ``label_noise``; the full risk is
    checked every ``check_every`` steps; ``batch = n`` is full-batch GD exactly.
    """
    return _run("gd", X, y, loss=loss, eta=eta, momentum=momentum, tol=tol, grad_tol=grad_tol, max_iter=max_iter,
                max_seconds=max_seconds, checkpoints=checkpoints, record_every=record_every, batch=batch,
                replacement=replacement, label_noise=label_noise, seed=seed, check_every=check_every)


def md(X: Any, y: Optional[ArrayLike] = None, *, loss: str = "least_squares", alpha: Optional[float] = None,
       potential: Optional[Potential] = None, w0: Optional[ArrayLike] = None, eta: Optional[Eta] = None, max_iter: int = 1_000_000, tol: float = 1e-16,
       grad_tol: float = 0.0, max_seconds: Optional[float] = None, checkpoints: int = 40,
       record_every: bool = False, batch: Optional[int] = None, replacement: bool = False, label_noise: float = 0.0,
       seed: int = 0, check_every: int = 100) -> RunResult:
    """Mirror descent θ ← θ − η∇R(w), w = (∇ψ)⁻¹(θ), from ``w0`` (default 0; α·1 for the entropy).

    The potential defaults to the hyperbolic entropy with c = 2α² (α = 1 unless given). ``eta``: a number, ``"safe"``,
    ``"auto"`` (default; Barzilai–Borwein on the dual, keeps the implicit bias exactly) or ``"lbfgs"`` (dual L-BFGS:
    same limit, far faster at small α; needs an interpolator). ``loss``: as in :func:`gd`.
    """
    return _run("md", X, y, loss=loss, alpha=alpha, potential=potential, w0=w0, eta=eta, tol=tol, grad_tol=grad_tol,
                max_iter=max_iter, max_seconds=max_seconds, checkpoints=checkpoints, record_every=record_every,
                batch=batch, replacement=replacement, label_noise=label_noise, seed=seed, check_every=check_every)


def reparam(X: Any, y: Optional[ArrayLike] = None, *, loss: str = "least_squares", alpha: Optional[float] = None,
            shape: Optional[float] = None, u0: Optional[ArrayLike] = None, v0: Optional[ArrayLike] = None,
            depth: Optional[int] = None, eta: Optional[Eta] = None,
            track_scale: bool = False, tol: float = 1e-16, grad_tol: float = 0.0, max_iter: int = 1_000_000,
            max_seconds: Optional[float] = None, checkpoints: int = 40, record_every: bool = False,
            batch: Optional[int] = None, replacement: bool = False, label_noise: float = 0.0, seed: int = 0,
            check_every: int = 100) -> RunResult:
    """Gradient descent on (u, v) with w = u⊙u − v⊙v and R̃ = R(w)/4, from u₀ = v₀ = α (or a ``shape`` s ∈ (−1, 1),
    or explicit positive ``u0``, ``v0``); with ``depth`` D ≥ 2, w = u^D − v^D and R̃ = R(w)/(2D). ``eta``: a number
    or ``"safe"``. ``track_scale`` tracks ln a² and θ of the finite-step identity w = 2a² sinh θ (depth 2; see
    ``result.reparam``)."""
    return _run("reparam", X, y, loss=loss, alpha=alpha, shape=shape, u0=u0, v0=v0, depth=depth, eta=eta, track_scale=track_scale, tol=tol,
                grad_tol=grad_tol, max_iter=max_iter, max_seconds=max_seconds, checkpoints=checkpoints,
                record_every=record_every, batch=batch, replacement=replacement, label_noise=label_noise, seed=seed,
                check_every=check_every)


def azulay(X: Any, y: Optional[ArrayLike] = None, *, alpha: Optional[float] = None, shape: Optional[float] = None,
           u0: Optional[ArrayLike] = None, v0: Optional[ArrayLike] = None, eta: Optional[Eta] = None,
           tol: float = 1e-16, grad_tol: float = 0.0, max_iter: int = 1_000_000, max_seconds: Optional[float] = None,
           checkpoints: int = 40, record_every: bool = False) -> RunResult:
    """Gradient descent on Azulay et al.'s (2021) model w = u₊⊙v₊ − u₋⊙v₋ (GD on R/2) from u₊ = u₋ = u₀,
    v₊ = v₋ = v₀ (so w₀ = 0): u₀ = v₀ = α, a ``shape`` s ∈ (−1, 1) (u₀v₀ = α²), or explicit positive ``u0``, ``v0``.
    Its flow limit is the Bregman projection of 0 with c = u₀² + v₀²: ``bregman(X, y, potential=Hyperbolic(scales=u0**2 + v0**2))``.
    Not the sheet's model (``reparam``, w = u⊙u − v⊙v), whose limit differs as |s| → 1."""
    return _run("azulay", X, y, alpha=alpha, shape=shape, u0=u0, v0=v0, eta=eta, tol=tol, grad_tol=grad_tol,
                max_iter=max_iter, max_seconds=max_seconds, checkpoints=checkpoints, record_every=record_every)


def eg(X: Any, y: Optional[ArrayLike] = None, *, alpha: Optional[float] = None, w0: Optional[ArrayLike] = None,
       eta: Optional[Eta] = None, tol: float = 1e-16, grad_tol: float = 0.0, max_iter: int = 1_000_000,
       max_seconds: Optional[float] = None, checkpoints: int = 40, record_every: bool = False,
       batch: Optional[int] = None, replacement: bool = False, label_noise: float = 0.0, seed: int = 0,
       check_every: int = 100) -> RunResult:
    """Exponentiated gradient w ← w⊙exp(−η∇R(w)) from w₀ = α·1 (or ``w0`` > 0); ``batch`` etc. as in :func:`gd`."""
    return _run("eg", X, y, alpha=alpha, w0=w0, eta=eta, tol=tol, grad_tol=grad_tol, max_iter=max_iter,
                max_seconds=max_seconds, checkpoints=checkpoints, record_every=record_every, batch=batch,
                replacement=replacement, label_noise=label_noise, seed=seed, check_every=check_every)


def flow(X: Any, y: Optional[ArrayLike] = None, *, method: str = "md", alpha: Optional[float] = None,
         potential: Optional[Potential] = None, t_max: float = 1e4, stiff: bool = False, tol: float = 1e-16,
         checkpoints: int = 200) -> RunResult:
    """The continuous-time flow of ``method`` (``gd``, ``md``, ``eg``, ``reparam``) up to ``t_max``, by adaptive
    Dormand–Prince 5(4) (``stiff``: L-stable Rosenbrock ROS2). ``result.t`` are times, ``result.W`` the iterates."""
    return _run(method, X, y, alpha=alpha, potential=potential, flow=True, stiff=stiff, t_max=t_max, tol=tol,
                checkpoints=checkpoints)


def run(X: Any, y: Optional[ArrayLike] = None, *, method: str, **kw: Any) -> RunResult:
    """Runs any method by name (``ibias.methods()`` lists them): the keywords are those of the method's function
    (:func:`gd`, :func:`md`, …; every method takes ``loss``, ``eta``, ``tol``, ``max_iter``, ``batch``, …). The
    library validates them once, as for the command line's ``ibias run NAME``."""
    return _run(method, X, y, **kw)


def methods() -> List[Tuple[str, str]]:
    """Every method ``run`` accepts, with one line each (built-in first, then the library's registry)."""
    return list(_ibias.methods())


def _registered(name: str, summary: str) -> Callable[..., RunResult]:
    def method(X: Any, y: Optional[ArrayLike] = None, **kw: Any) -> RunResult:
        return _run(name, X, y, **kw)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"{summary[0].upper() + summary[1:]}.\n\nA method of the library's registry: keywords as for "
                      ":func:`run` (``loss``, ``eta`` — a number or ``\"safe\"`` —, ``tol``, ``max_iter``, ``batch``, …).")
    return method


for _name, _summary in _ibias.methods():
    if _name not in globals():
        globals()[_name] = _registered(_name, _summary)
        __all__.append(_name)


def step_effect(X: Any, y: Optional[ArrayLike] = None, *, result: RunResult, eta: float, alpha: float = 1.0,
                shape: Optional[float] = None, u0: Optional[ArrayLike] = None, v0: Optional[ArrayLike] = None) -> Dict[str, Any]:
    """What the finite step ``eta`` did to a converged run of :func:`reparam` (depth 2): relative distances of its
    limit to the gradient-flow limit and to the effective-scale prediction (Bregman projection with cᵢ = 2a_∞,ᵢ²),
    the sharpness at the limit against 2/η, and Σ|wᵢ|‖xᵢ‖² against n²/η. A dict."""
    return _ibias.step_effect(_problem(X, y), result, float(eta), alpha=alpha, shape=shape,
                              u0=None if u0 is None else _vector(u0, "u0"), v0=None if v0 is None else _vector(v0, "v0"))


def saddle_path(X: Any, y: Optional[ArrayLike] = None) -> Dict[str, Any]:
    """The α → 0 limit of GD on (u, v) in accelerated time τ = t/(2 ln(1/α)): the saddle-to-saddle path of Pesme &
    Flammarion (2023). Returns a dict: ``times`` (τ_k, from 0), ``saddles`` (β_k as rows, from 0), ``saturated`` (the set where |q| = 1: coordinates allowed to move, not the support) and
    ``signs`` per plateau, ``kkt_residual`` per saddle, ``q_max``. The last saddle is a minimum-ℓ1 interpolator."""
    return _ibias.saddle_path(_problem(X, y))


def accelerated_flow(X: Any, y: Optional[ArrayLike] = None, *, log10_alpha: float, taus: Sequence[float],
                     rtol: float = 1e-10) -> np.ndarray:
    """The (u, v) gradient flow from u = v = 10^log10_alpha in accelerated time τ = t/(2 ln(1/α)), at ``taus``:
    w(τ) as rows, shape (len(taus), d). Any α < 1 down to 1e-300 (evaluated in log scale; NumPy's 2α² underflows
    below α ≈ 1e-154). As α → 0 it tends to :func:`saddle_path`."""
    return _ibias.accelerated_flow(_problem(X, y), float(log10_alpha), [float(t) for t in taus], rtol=rtol)


def min_l2(X: Any, y: Optional[ArrayLike] = None) -> Solution:
    """The minimum-ℓ2 least-squares solution X⁺y (SVD), with its normal-equations certificate."""
    return _ibias.min_l2(_problem(X, y))


def max_margin(X: Any, y: Optional[ArrayLike] = None, *, norm: str = "l2", p: Optional[float] = None) -> Dict[str, Any]:
    """The maximum-margin classifier for labels ±1: ``norm`` ``"l2"`` (hard-margin SVM), ``"l1"``, ``"linf"`` or
    ``"lp"`` (with ``p`` > 1). A dict: ``w`` (unit norm, NumPy), ``margin`` = minᵢ yᵢ⟨xᵢ, w⟩, ``support_vectors``
    (0-based rows), ``dual`` λ (NumPy), ``unique`` and ``certificate`` (primal/dual values, relative duality gap ≤ 1e-8,
    an upper bound of the margin). Raises :class:`InfeasibleError` for non-separable data, ``ValueError`` for labels
    other than ±1."""
    r = _ibias.max_margin(_problem(X, y), norm, None if p is None else float(p))
    r["w"] = np.asarray(r["w"], dtype=np.float64)
    r["dual"] = np.asarray(r["dual"], dtype=np.float64)
    return r


def separability(X: Any, y: Optional[ArrayLike] = None) -> Dict[str, Any]:
    """Whether labels ±1 are linearly separable through the origin, with a checked certificate either way: a ``w``
    with yᵢ⟨xᵢ, w⟩ ≥ 1 (``witness_w``), or λ ≥ 0, Σλ = 1 with Σλᵢyᵢxᵢ = 0 (``witness_lambda``, ``conflicting_rows``
    0-based)."""
    return _ibias.separability(_problem(X, y))


def soudry(X: Any, y: Optional[ArrayLike] = None) -> Dict[str, Any]:
    """Soudry et al. (2018)'s asymptotics of gradient descent on separable data (labels ±1, the mean of an
    exponential-tailed loss): w(t) = ŵ ln t + w̃ + o(1) in flow time t (GD with step η: t = ηk). A dict: ``w_hat``
    (the hard-margin SVM, NumPy), ``w_tilde`` (NumPy; all of the limit of w(t) − ŵ ln t when ``determined``, else its
    component in the span of the support vectors), ``support_vectors`` (0-based), ``alpha``, ``margin``,
    ``gap_constant`` C (the direction gap ≈ C/ln t) and ``certificate`` (KKT residuals of the polished support set).
    Raises :class:`InfeasibleError` for non-separable data, :class:`IbiasError` where the theorem's
    non-degeneracy fails (dependent support vectors, α = 0)."""
    r = _ibias.soudry(_problem(X, y))
    for k in ("w_hat", "w_tilde", "alpha"):
        r[k] = np.asarray(r[k], dtype=np.float64)
    return r


def min_l1(X: Any, y: Optional[ArrayLike] = None, *, method: str = "auto") -> Solution:
    """Basis pursuit min ‖w‖₁ s.t. Xw = y (``auto``: homotopy, then LP; ``lp``; ``homotopy``), certified by a dual
    μ with ‖Xᵀμ‖∞ ≤ 1; ``solution.unique`` says whether it is the only solution."""
    return _ibias.min_l1(_problem(X, y), method)


def bregman(X: Any, y: Optional[ArrayLike] = None, *, alpha: Optional[float] = None, potential: Optional[Potential] = None,
            w0: Optional[ArrayLike] = None, shape: Optional[float] = None, u0: Optional[ArrayLike] = None,
            v0: Optional[ArrayLike] = None) -> Solution:
    """The Bregman projection argmin_{Xw=y} D_ψ(w, w0): the exact limit of mirror descent. The potential is the
    hyperbolic entropy at ``alpha`` (c = 2α², default α = 1) unless ``potential`` is given; ``w0`` defaults to 0
    (the entropy's: 1). ``shape`` or ``u0``/``v0``: the hyperbolic entropy of GD on (u, v) from that initialisation
    (c = 2u₀v₀, from w₀ = u₀² − v₀²)."""
    return _ibias.bregman(_problem(X, y), potential, None if w0 is None else _vector(w0, "w0"), alpha=alpha,
                          shape=shape, u0=None if u0 is None else _vector(u0, "u0"),
                          v0=None if v0 is None else _vector(v0, "v0"))


def lasso_path(X: Any, y: Optional[ArrayLike] = None, *, exact: Optional[bool] = None,
               lambdas: Optional[Sequence[float]] = None, alphas: Optional[Sequence[float]] = None,
               positive: bool = False, n_lambdas: Optional[int] = None) -> Path:
    """The Lasso path of R(w) + λ‖w‖₁. ``exact`` (the default when no grid, ``n_lambdas`` or ``positive`` is
    given): every breakpoint by homotopy, each certified; otherwise coordinate descent on ``lambdas`` — or on
    scikit-learn's ``alphas`` (λ = 2·alpha) — or on a default grid of ``n_lambdas`` values (100; at most 100000).
    Returns ``.lambdas`` (decreasing), ``.alphas`` (= λ/2) and ``.coefs`` of shape (n_features, n_lambdas) as
    ``lars_path``."""
    if lambdas is not None and alphas is not None:
        raise ValueError("give lambdas or alphas, not both")
    if alphas is not None:
        lambdas = [2.0 * float(a) for a in alphas]
    if lambdas is not None:
        lambdas = [float(v) for v in lambdas]
    return _ibias.lasso_path(_problem(X, y), exact=exact, lambdas=lambdas, positive=positive, n_lambdas=n_lambdas)


def ridge_path(X: Any, y: Optional[ArrayLike] = None, *, lambdas: Optional[Sequence[float]] = None,
               alphas: Optional[Sequence[float]] = None, n_lambdas: Optional[int] = None) -> Path:
    """The ridge path of R(w) + λ‖w‖₂² from one SVD, on ``lambdas`` — or scikit-learn's ``Ridge`` ``alphas``
    (λ = alpha/n) — or a default grid of ``n_lambdas`` values (100; at most 100000). ``.coefs`` has shape
    (n_features, n_lambdas)."""
    p = _problem(X, y)
    if lambdas is not None and alphas is not None:
        raise ValueError("give lambdas or alphas, not both")
    if alphas is not None:
        lambdas = [float(a) / p.n for a in alphas]
    return _ibias.ridge_path(p, lambdas=None if lambdas is None else [float(v) for v in lambdas], n_lambdas=n_lambdas)


def _progress(progress: Union[bool, ProgressCallback, None]) -> Optional[ProgressCallback]:
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm.auto import tqdm  # type: ignore[import-not-found]
    except ImportError:
        return None
    bar = tqdm(total=0)

    def update(stage: str, done: int, total: int) -> None:
        if stage:
            bar.set_description(stage)
        if total:
            bar.total = total
            bar.n = done
            bar.refresh()

    return update


class SweepResult(dict):  # type: ignore[type-arg]
    """The rows of a sweep as columns (a dict of lists); ``to_pandas()`` gives a DataFrame."""

    def to_pandas(self) -> Any:
        import pandas as pd  # type: ignore[import-untyped]

        return pd.DataFrame(dict(self))


def sweep(X: Any = None, y: Optional[ArrayLike] = None, *, preset: str = "ex2", seeds: Sequence[int] = (0,), method: str = "md",
          alphas: Union[str, Sequence[float]] = "1e-10:1e3:27", etas: Optional[Sequence[Eta]] = None, tol: float = 1e-24,
          max_iter: int = 10_000_000, max_seconds: float = 60.0, threads: Optional[int] = None,
          journal: Optional[str] = None, progress: Union[bool, ProgressCallback, None] = None,
          record_w: bool = False) -> SweepResult:
    """A certified α × η × seed sweep on all cores (the GIL released): every run against its exact limit.

    Data: ``(X, y)`` or a Problem, or the ``preset`` at each of ``seeds``. ``alphas``: a list, or ``"LO:HI:K"``
    (log-spaced, end points exact: the same grid as the CLI's ``--alphas`` and specs' ``alpha``). ``method``:
    ``md``, ``reparam``, ``bregman`` or any method of ``ibias.methods()``. ``etas``: step rules (default: the
    front door's on each dataset — ``lbfgs`` for md where X has full row rank, else ``auto``; ``safe`` for reparam
    and registered methods). ``journal``: a JSON-lines file to resume from. ``record_w``: also return
    each run's final iterate (column ``w``, one array per row). Returns the columns (``alpha``, ``seed``,
    ``distance_to_exact_rel``, …); ``.to_pandas()`` for a DataFrame.
    """
    if isinstance(alphas, str):
        grid = _ibias.parse_alphas(alphas)
    else:
        grid = [float(a) for a in alphas]
    if X is None:
        problems = [(int(s), Problem(*generate(preset, seed=int(s))[:2])) for s in seeds]
    elif preset != "ex2" or tuple(seeds) != (0,):
        raise ValueError("preset and seeds choose generated data: give them or X and y, not both")
    else:
        problems = [(None, _problem(X, y))]
    # No etas: the library's default for the method, as `ibias sweep` and specs take it.
    etas_s = None if etas is None else [_eta(e) or "auto" for e in etas]
    cols = _ibias.sweep(problems, method, grid, etas_s, tol=tol, max_iter=max_iter, max_seconds=max_seconds,
                        threads=threads, journal=journal, progress=_progress(progress), record_w=record_w)
    return SweepResult(cols)


def sweep_plan(spec: str) -> Dict[str, Any]:
    """The plan of a sweep specification (TOML, SPEC §10): ``spec_hash``, ``problems``, ``runs`` (each with its
    stable ``run_id``, method, α, step rule and estimated seconds), ``estimated_seconds_total``,
    ``estimated_memory_bytes``."""
    return _ibias.spec_plan(str(spec))


def sweep_run(spec: str, out: str, *, shard: Optional[Tuple[int, int]] = None, threads: Optional[int] = None,
              progress: Union[bool, ProgressCallback, None] = None) -> Dict[str, Any]:
    """Runs shard ``(K, N)`` of a sweep specification into the folder ``out`` (its own journal; runs already in the
    folder are skipped, so it resumes after any interruption). ``shard=None``: the Slurm array task's shard
    (``SLURM_ARRAY_TASK_ID``/``SLURM_ARRAY_TASK_COUNT``), else the whole sweep. Returns ``planned``, ``skipped``,
    ``computed``, ``failed`` (runs that failed, listed with their errors in the folder) and
    ``truncated_last_line``."""
    return _ibias.spec_run(str(spec), str(out), shard=None if shard is None else (int(shard[0]), int(shard[1])),
                           threads=threads, progress=_progress(progress))


def sweep_status(out: str, *, tasks: Optional[int] = None) -> List[Dict[str, Any]]:
    """Per shard of a sweep folder: ``planned``, ``done``, ``failing``, ``missing`` and ``last_error``."""
    return _ibias.spec_status(str(out), tasks=tasks)


def sweep_merge(out: str) -> SweepResult:
    """Every planned run of a sweep folder exactly once, in plan order, as columns (``.to_pandas()``): the same
    table as ``ibias sweep merge DIR -o results.csv``. Raises ValueError naming the missing runs and the shards to
    rerun."""
    return SweepResult(_ibias.spec_merge(str(out)))


def generate(preset: Optional[str] = None, *, seed: int = 0, n: Optional[int] = None, d: Optional[int] = None,
             sparsity: Optional[int] = None, entries: str = "signs", noise: float = 0.0,
             margin: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded dataset (ChaCha8, the same on every machine): a ``preset`` (``ex2``, ``ex3``, ``woodworth``;
    classification: ``toy``, ``teacher``, ``sparse_teacher``) or ``n``, ``d``, ``sparsity``, ``entries`` (signs,
    gaussian, constant), ``noise`` — and ``margin`` for classification labels sign(⟨x, w*⟩) with rows inside the
    margin drawn again (separable by w* with margin ≥ ``margin``). Returns ``(X, y, w_star)``."""
    return _ibias.generate(preset=preset, seed=seed, n=n, d=d, sparsity=sparsity, entries=entries, noise=noise,
                           margin=margin)


def load_csv(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Loads a numeric CSV file (last column y, optional header): ``(X, y)``."""
    return _ibias.load_csv(str(path))


def _config_toml(config: Union[None, str, Dict[str, Any]]) -> Optional[str]:
    if config is None or isinstance(config, str):
        if isinstance(config, str) and "\n" not in config and config.endswith(".toml"):
            with open(config, encoding="utf-8") as f:
                return f.read()
        return config
    lines: List[str] = []
    for section, fields in config.items():
        lines.append(f"[{section}]")
        for k, v in fields.items():
            lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_toml_value(x) for x in v) + "]"


def report(out: str = "report", *, config: Union[None, str, Dict[str, Any]] = None, only: Optional[Sequence[str]] = None,
           progress: Union[bool, ProgressCallback, None] = None) -> str:
    """Writes the report (every study, or ``only`` these) into ``out``; ``config``: a dict of sections
    (``{"ex2": {"n_alphas": 9}}``), TOML text or a ``.toml`` path. Returns the page's path."""
    return _ibias.report(str(out), config_toml=_config_toml(config), only=None if only is None else list(only),
                         progress=_progress(progress))


def set_max_memory(nbytes: int) -> None:
    """Sets the memory budget in bytes that large requests are checked against (0: half of physical memory)."""
    _ibias.set_max_memory(int(nbytes))


def _counts_are_values(f: Callable[..., Any]) -> Callable[..., Any]:
    """Makes a negative count (``max_iter=-1``, ``batch=-2``: PyO3's ``OverflowError`` for an unsigned integer) the
    ``ValueError`` the README promises, naming the keyword."""
    @functools.wraps(f)
    def call(*args: Any, **kw: Any) -> Any:
        try:
            return f(*args, **kw)
        except OverflowError as e:
            bad = [k for k, v in kw.items() if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   and (v < 0 or v >= 2**64)]
            name = "/".join(bad) if bad else "a count"
            raise ValueError(f"invalid parameter {name}: must be an integer in [0, 2^64) (a count, size or seed), got "
                             f"{', '.join(str(kw[k]) for k in bad) or 'an out-of-range integer'} ({e})") from None
    return call


for _name in list(__all__):
    _f = globals().get(_name)
    if inspect.isfunction(_f) and _f.__module__ == __name__:
        globals()[_name] = _counts_are_values(_f)
del _name, _f


from . import study  # noqa: E402
