"""The README's Python quick start as a script (type-checked by mypy in the test suite)."""

import numpy as np

import ibias

X, y, w_star = ibias.generate("ex2", seed=0)  # 40 × 100, 5-sparse, noiseless
run = ibias.md(X, y, alpha=1e-3, eta="lbfgs")  # mirror descent with the hyperbolic entropy, c = 2α²
limit = ibias.bregman(X, y, alpha=1e-3)  # its exact limit, certified
bp = ibias.min_l1(X, y)  # basis pursuit: dual certificate and uniqueness
path = ibias.lasso_path(X, y)  # every breakpoint; coefs has shape (n_features, n_lambdas)
gap: float = float(np.linalg.norm(run.w - limit.w) / np.linalg.norm(limit.w))
print(f"MD is {gap:.1e} from its limit; ‖w₁*‖₁ = {bp.l1_norm:.6f} ({bp.unique}); {len(path.lambdas)} breakpoints")
