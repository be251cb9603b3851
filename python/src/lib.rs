//! `ibias._ibias`: the Python bindings of ibias (PyO3 + rust-numpy). Bindings only — every computation is
//! the library's; this crate converts arrays, runs long calls off the GIL with Ctrl-C checked every 50 ms,
//! and turns errors (and any panic) into Python exceptions with the library's messages.

mod call;
mod convert;
mod objects;

use objects::*;
use pyo3::prelude::*;

pyo3::create_exception!(_ibias, IbiasError, pyo3::exceptions::PyRuntimeError, "An error of ibias.");
pyo3::create_exception!(
    _ibias,
    DivergenceError,
    IbiasError,
    "A run diverged; the message names the step size used and a safe one."
);
pyo3::create_exception!(
    _ibias,
    CertificateError,
    IbiasError,
    "A solver's certificate failed and no fallback could repair it: no answer is returned."
);
pyo3::create_exception!(
    _ibias,
    InfeasibleError,
    pyo3::exceptions::PyValueError,
    "The problem has no solution of the requested kind."
);

/// The module.
#[pymodule]
fn _ibias(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("IbiasError", py.get_type::<IbiasError>())?;
    m.add("DivergenceError", py.get_type::<DivergenceError>())?;
    m.add("CertificateError", py.get_type::<CertificateError>())?;
    m.add("InfeasibleError", py.get_type::<InfeasibleError>())?;
    m.add_class::<Problem>()?;
    m.add_class::<Potential>()?;
    m.add_class::<RunResult>()?;
    m.add_class::<Solution>()?;
    m.add_class::<Path>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(methods, m)?)?;
    m.add_function(wrap_pyfunction!(min_l2, m)?)?;
    m.add_function(wrap_pyfunction!(saddle_path, m)?)?;
    m.add_function(wrap_pyfunction!(step_effect, m)?)?;
    m.add_function(wrap_pyfunction!(accelerated_flow, m)?)?;
    m.add_function(wrap_pyfunction!(min_l1, m)?)?;
    m.add_function(wrap_pyfunction!(max_margin, m)?)?;
    m.add_function(wrap_pyfunction!(separability, m)?)?;
    m.add_function(wrap_pyfunction!(soudry, m)?)?;
    m.add_function(wrap_pyfunction!(bregman, m)?)?;
    m.add_function(wrap_pyfunction!(sensing_problem, m)?)?;
    m.add_function(wrap_pyfunction!(min_nuclear, m)?)?;
    m.add_function(wrap_pyfunction!(min_frobenius, m)?)?;
    m.add_function(wrap_pyfunction!(spectral_bregman, m)?)?;
    m.add_function(wrap_pyfunction!(greedy_low_rank, m)?)?;
    m.add_function(wrap_pyfunction!(generate_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(lasso_path, m)?)?;
    m.add_function(wrap_pyfunction!(ridge_path, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(parse_alphas, m)?)?;
    m.add_function(wrap_pyfunction!(spec_plan, m)?)?;
    m.add_function(wrap_pyfunction!(spec_run, m)?)?;
    m.add_function(wrap_pyfunction!(spec_status, m)?)?;
    m.add_function(wrap_pyfunction!(spec_merge, m)?)?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(load_csv, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(run_study, m)?)?;
    m.add_function(wrap_pyfunction!(study_keys, m)?)?;
    m.add_function(wrap_pyfunction!(study_list, m)?)?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add_function(wrap_pyfunction!(set_max_memory, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
