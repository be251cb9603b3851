//! The crate's error type: every failure a user can cause is a clear message, never a panic.

use std::fmt;

/// An error of ibias, with a message meant for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Malformed or unusable input data (CSV, shapes, non-finite values).
    Data(String),
    /// An invalid parameter (α ≤ 0, negative λ, empty grid, ...).
    Param(String),
    /// A run that diverged; the message names the step size used and a safe one.
    Diverged(String),
    /// A numerical failure (overflow, singular system, no convergence of an exact solver).
    Numerical(String),
    /// The problem has no solution of the requested kind (e.g. no interpolator).
    Infeasible(String),
    /// Reading or writing a file failed.
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data(m) => write!(f, "data error: {m}"),
            Error::Param(m) => write!(f, "invalid parameter: {m}"),
            Error::Diverged(m) => write!(f, "diverged: {m}"),
            Error::Numerical(m) => write!(f, "numerical failure: {m}"),
            Error::Infeasible(m) => write!(f, "infeasible: {m}"),
            Error::Io(m) => write!(f, "i/o error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;
