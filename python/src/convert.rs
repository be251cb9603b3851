//! Arrays in and out: NumPy float64 arrays (C- or F-ordered, any strides) read once into the library's
//! row-major storage; results handed back as new NumPy arrays.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

/// A NumPy matrix as the library's row-major `Dense` (one copy; any memory order).
pub fn dense(x: &PyReadonlyArray2<'_, f64>) -> ibias::kernels::linalg::Dense {
    let v = x.as_array();
    let (rows, cols) = v.dim();
    let data = match v.as_slice() {
        Some(s) => s.to_vec(),
        None => v.iter().copied().collect(),
    };
    ibias::kernels::linalg::Dense { rows, cols, data }
}

/// A NumPy vector as a `Vec`.
pub fn vector(v: &PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    v.as_array().iter().copied().collect()
}

/// A `Vec` as a NumPy vector.
pub fn array1<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// Rows of equal length as a NumPy matrix (`rows × cols`); an empty list gives `0 × cols`.
pub fn array2<'py>(py: Python<'py>, rows: &[Vec<f64>], cols: usize) -> Bound<'py, PyArray2<f64>> {
    let flat: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Array2::from_shape_vec((rows.len(), cols), flat).unwrap_or_else(|_| Array2::zeros((0, cols))).into_pyarray(py)
}

/// Rows as the transposed matrix (`cols × rows`: scikit-learn's coefficient layout).
pub fn array2_t<'py>(py: Python<'py>, rows: &[Vec<f64>], cols: usize) -> Bound<'py, PyArray2<f64>> {
    let k = rows.len();
    let a = Array2::from_shape_fn((cols, k), |(j, c)| rows[c][j]);
    a.into_pyarray(py)
}

/// A serde value as a Python object through JSON (dicts of numbers and strings).
pub fn json_obj(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    let json = py.import("json")?;
    Ok(json.call_method1("loads", (v.to_string(),))?.unbind())
}
