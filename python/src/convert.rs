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

/// A serde value as a Python object (dicts of numbers, strings and lists, as `json.loads` of its text would give:
/// integers as `int`, other numbers as `float`, `null` as `None`), built directly rather than through JSON text.
pub fn json_obj(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    use pyo3::IntoPyObjectExt;
    use pyo3::types::{PyDict, PyList};
    use serde_json::Value;
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_py_any(py)?,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py)?,
            (None, Some(u)) => u.into_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        Value::String(s) => s.into_py_any(py)?,
        Value::Array(a) => {
            let items = a.iter().map(|x| json_obj(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_obj(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}
