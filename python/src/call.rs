//! Running library calls from Python: off the GIL, on a pooled worker thread, with the calling (main)
//! thread checking for Ctrl-C every 50 ms (Python delivers signals to the main thread only). On a signal
//! the library's cancellation flag stops the computation at its next check and `KeyboardInterrupt` is
//! raised. Panics become `RuntimeError`; library errors become the exceptions of the error's kind.

use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

/// How long the caller and an idle worker spin for the hand-over before they block (a blocked thread's
/// wake-up costs 5–15 µs, more than a short call).
const SPIN: Duration = Duration::from_micros(200);

/// Waits for a message: spinning for [`SPIN`], then blocking for at most `timeout`.
fn wait<T>(rx: &Receiver<T>, timeout: Duration) -> Result<T, RecvTimeoutError> {
    let t = Instant::now();
    while t.elapsed() < SPIN {
        match rx.try_recv() {
            Ok(v) => return Ok(v),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
    rx.recv_timeout(timeout)
}

type Job = Box<dyn FnOnce() + Send>;

/// Idle workers (each a thread waiting on its channel); a call takes one or starts one.
static IDLE: Mutex<Vec<Sender<Job>>> = Mutex::new(Vec::new());

fn worker() -> Sender<Job> {
    if let Some(tx) = IDLE.lock().ok().and_then(|mut v| v.pop()) {
        return tx;
    }
    let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
    std::thread::Builder::new()
        .name("ibias-py-worker".into())
        .spawn(move || {
            loop {
                match wait(&rx, Duration::from_secs(3600)) {
                    Ok(job) => job(),
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        })
        .expect("cannot start a worker thread");
    tx
}

/// A parameter's name as a Python keyword: `--n-lambdas` → `n_lambdas` (the library still names some
/// parameters by their command-line flags; a Python caller reads the keyword it typed).
pub fn keyword(name: &str) -> String {
    match name.strip_prefix("--") {
        Some(flag) => flag.replace('-', "_"),
        None => name.to_string(),
    }
}

/// Turns a library error into the Python exception of its kind.
pub fn to_py(e: ibias::Error) -> PyErr {
    use ibias::Error as E;
    let e = match e {
        E::Param { name, message } => E::Param { name: keyword(&name), message },
        other => other,
    };
    let m = e.to_string();
    match e {
        E::Data(_) | E::Parse { .. } | E::Param { .. } => PyValueError::new_err(m),
        E::Diverged { .. } => crate::DivergenceError::new_err(m),
        E::CertificateFailed { .. } => crate::CertificateError::new_err(m),
        E::Infeasible(_) => crate::InfeasibleError::new_err(m),
        E::Io { .. } => PyOSError::new_err(m),
        E::ResourceLimit { .. } => PyMemoryError::new_err(m),
        E::Interrupted => PyKeyboardInterrupt::new_err(m),
        _ => crate::IbiasError::new_err(m),
    }
}

/// Runs `f` off the GIL on a worker thread, checking for Ctrl-C; returns its result as a Python result.
pub fn run<T: Send + 'static>(py: Python<'_>, f: impl FnOnce() -> ibias::Result<T> + Send + 'static) -> PyResult<T> {
    ibias::control::reset();
    let (tx, rx) = channel::<std::thread::Result<ibias::Result<T>>>();
    let job: Job = Box::new(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    let w = worker();
    if w.send(job).is_err() {
        return Err(PyRuntimeError::new_err("ibias: cannot hand the call to a worker thread"));
    }
    let give_back = |w: Sender<Job>| {
        if let Ok(mut v) = IDLE.lock() {
            v.push(w);
        }
    };
    let mut rx = rx;
    loop {
        let (back, got) = py.detach(move || {
            let r = wait(&rx, Duration::from_millis(50));
            (rx, r)
        });
        rx = back;
        match got {
            Ok(r) => {
                give_back(w);
                return match r {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(e)) => Err(to_py(e)),
                    Err(p) => Err(PyRuntimeError::new_err(format!("ibias panicked (a bug): {}", panic_text(&p)))),
                };
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(sig) = py.check_signals() {
                    ibias::control::cancel();
                    // The computation stops at its next cancellation check; wait for it, then raise.
                    let _ = py.detach(move || rx.recv().is_ok());
                    give_back(w);
                    ibias::control::reset();
                    return Err(sig);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("ibias: the worker thread ended without an answer"));
            }
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "?".into())
}

/// Runs a quick call on this thread, converting errors and panics (no GIL release, no thread hand-over).
pub fn quick<T>(f: impl FnOnce() -> ibias::Result<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(e)),
        Err(p) => Err(PyRuntimeError::new_err(format!("ibias panicked (a bug): {}", panic_text(&p)))),
    }
}

/// Runs `f` as [`run`] does, handing it the Python `progress` callback as a library progress function. An
/// exception the callback raises (`KeyboardInterrupt` included) cancels the computation; once it has stopped,
/// that exception is raised to the caller (not swallowed, not replaced by the computation's own result).
pub fn run_with_progress<T: Send + 'static>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    f: impl FnOnce(ibias::control::ProgressFn<'_>) -> ibias::Result<T> + Send + 'static,
) -> PyResult<T> {
    use ibias::control::Progress;
    use std::sync::Arc;
    let raised: Arc<Mutex<Option<PyErr>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&raised);
    let cb = move |p: Progress<'_>| {
        let Some(cb) = &progress else { return };
        if slot.lock().map(|g| g.is_some()).unwrap_or(true) {
            return; // the callback raised once: the computation is stopping
        }
        Python::attach(|py| {
            let r = match p {
                Progress::Stage(s) => cb.call1(py, (s, 0usize, 0usize)),
                Progress::Count { done, total } => cb.call1(py, ("", done, total)),
            };
            if let Err(e) = r {
                if let Ok(mut g) = slot.lock() {
                    *g = Some(e);
                }
                ibias::control::cancel();
            }
        });
    };
    let out = run(py, move || f(&cb));
    if let Some(e) = raised.lock().ok().and_then(|mut g| g.take()) {
        ibias::control::reset();
        return Err(e);
    }
    out
}
