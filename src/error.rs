//! The crate's error type: every failure a user can cause is a clear, structured error, never a panic.
//!
//! Kinds carry their data (`Diverged { iteration, eta, safe_eta, .. }`, `Io { path, source }`,
//! `Parse { line, column, .. }`) and their `Display` is the message a user reads.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// An error of ibias.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// Unusable input data (shapes, non-finite values, an empty file).
    Data(String),
    /// A malformed text file, at a line (and column when known).
    Parse {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line.
        line: usize,
        /// 1-based column (CSV cell), when known.
        column: Option<usize>,
        /// What is wrong there.
        message: String,
    },
    /// An invalid parameter, named.
    Param {
        /// The parameter as the user wrote it (`--alpha`, `[ex2] n_alphas`, `alpha`).
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A run that diverged: the step used, the step that is safe from the start, and what was seen.
    Diverged {
        /// Iteration at which divergence was detected.
        iteration: usize,
        /// Step size in use (the largest used so far for adaptive rules).
        eta: f64,
        /// A step size that is safe for this problem (the safe rule at the start).
        safe_eta: f64,
        /// The step rule's label.
        rule: String,
        /// Risk at the start of the run.
        risk_start: f64,
        /// Risk when divergence was detected (may be non-finite).
        risk: f64,
    },
    /// A numerical failure (overflow, singular system, an exact solver without convergence).
    Numerical(String),
    /// A solver's own certificate failed and no fallback could repair it: no answer is returned.
    CertificateFailed {
        /// The solver.
        solver: String,
        /// The failed check, with its numbers.
        detail: String,
    },
    /// The problem has no solution of the requested kind (e.g. no interpolator).
    Infeasible(String),
    /// Reading or writing a file failed.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: Arc<std::io::Error>,
    },
    /// A request that would exceed a resource limit (memory), refused before allocating.
    ResourceLimit {
        /// What was asked for.
        what: String,
        /// Estimated bytes needed.
        needed_bytes: f64,
        /// The limit in bytes.
        limit_bytes: f64,
    },
    /// Interrupted by the user (Ctrl-C / `KeyboardInterrupt`).
    Interrupted,
}

/// Shortest round-trip text of a number (`1e-300`, `0.1`, `inf`), for messages.
pub fn num(v: f64) -> String {
    format!("{v:?}")
}

impl Error {
    /// An invalid parameter `name` with `message`.
    pub fn param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Param { name: name.into(), message: message.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source: Arc::new(source) }
    }

    /// A parse error at `line` (and `column`) of a text.
    pub fn parse(line: usize, column: Option<usize>, message: impl Into<String>) -> Self {
        Error::Parse { path: None, line, column, message: message.into() }
    }

    /// The same error with the file it came from attached (parse and data errors).
    pub fn in_file(self, file: &std::path::Path) -> Self {
        match self {
            Error::Parse { path: None, line, column, message } => {
                Error::Parse { path: Some(file.to_path_buf()), line, column, message }
            }
            Error::Data(m) => Error::Data(format!("{}: {m}", file.display())),
            other => other,
        }
    }

    /// The message without its kind prefix and closing words, for nesting in another error's message
    /// (a failed certificate: `solver: detail`).
    pub fn brief(&self) -> String {
        match self {
            Error::CertificateFailed { solver, detail } => format!("{solver}: {detail}"),
            other => other.to_string(),
        }
    }

    /// The process exit code of this error under the documented policy (README: 1 for every error).
    pub fn exit_code(&self) -> i32 {
        1
    }
}

/// Checks that a parameter is finite and `> 0`.
pub fn positive(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Error::param(name, format!("must be finite and > 0, got {}", num(v))))
    }
}

/// Checks that a parameter is finite and `≥ 0`.
pub fn non_negative(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Error::param(name, format!("must be finite and ≥ 0, got {}", num(v))))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(m) => write!(f, "data error: {m}"),
            Error::Parse { path, line, column, message } => {
                write!(f, "data error: ")?;
                if let Some(p) = path {
                    write!(f, "{}: ", p.display())?;
                }
                match column {
                    Some(c) => write!(f, "line {line}, column {c}: {message}"),
                    None => write!(f, "line {line}: {message}"),
                }
            }
            Error::Param { name, message } => write!(f, "invalid parameter {name}: {message}"),
            Error::Diverged { iteration, eta, safe_eta, rule, risk_start, risk } => {
                write!(
                    f,
                    "diverged: the run diverged at iteration {iteration} with step size η = {eta:e} (rule {rule}): risk \
                     went from {risk_start:e} to {risk:e}; "
                )?;
                if *safe_eta > 0.0 && safe_eta.is_finite() {
                    write!(f, "a safe step for this problem is η ≤ {safe_eta:e}; use a smaller eta or eta = safe")
                } else {
                    write!(
                        f,
                        "no safe step exists at the start (the potential's metric 1/ψ'' is infinite there, e.g. the \
                         p-norm potential with p > 2 at w = 0): use a smaller fixed eta, e.g. η ≤ {:e}",
                        eta / 10.0
                    )
                }
            }
            Error::Numerical(m) => write!(f, "numerical failure: {m}"),
            Error::CertificateFailed { solver, detail } => {
                write!(f, "certificate failed: {solver}: {detail}; no result is returned")
            }
            Error::Infeasible(m) => write!(f, "infeasible: {m}"),
            Error::Io { path, source } => write!(f, "i/o error: {}: {source}", path.display()),
            Error::ResourceLimit { what, needed_bytes, limit_bytes } => write!(
                f,
                "refused: {what} would need about {:.1} MiB, above the limit of {:.1} MiB (raise the limit max_memory)",
                needed_bytes / 1048576.0,
                limit_bytes / 1048576.0
            ),
            Error::Interrupted => write!(f, "interrupted"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_is_wrong_and_numbers_are_short() {
        assert_eq!(num(1e-300), "1e-300");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(f64::INFINITY), "inf");
        let e = positive("alpha", 1e-300 * 1e-300).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter alpha: must be finite and > 0, got 0.0");
        let e = Error::parse(3, Some(2), "'x' is not a number").in_file(std::path::Path::new("a.csv"));
        assert_eq!(e.to_string(), "data error: a.csv: line 3, column 2: 'x' is not a number");
        let e = Error::Diverged {
            iteration: 4,
            eta: 2.0,
            safe_eta: 0.5,
            rule: "2".into(),
            risk_start: 1.0,
            risk: f64::NAN,
        };
        let m = e.to_string();
        assert!(m.contains("η = 2e0") && m.contains("safe step") && m.contains("η ≤ 5e-1"), "{m}");
        let e = Error::io("/nope/x", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(e.to_string().starts_with("i/o error: /nope/x: "));
    }
}
