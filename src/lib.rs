//! ibias — simulate, verify and draw the implicit bias of gradient methods on least squares.
//!
//! Layers: [`problem`] (what is optimised), [`potential`] (the geometry), [`dynamics`] (the
//! algorithms and flows), [`exact`] (reference solvers with certificates), [`study`] (the
//! exercises) and [`report`] (pages and figures).

// Numerical kernels index several arrays in step; iterator chains would obscure the formulas.
#![allow(clippy::needless_range_loop)]
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod linalg;
pub mod potential;
pub mod problem;

pub use error::{Error, Result};
pub mod bench;
pub mod cli;
mod cli_exact;
pub mod cli_study;
pub mod dynamics;
pub mod exact;
pub mod fastmath;
pub mod par;
pub mod report;
pub mod study;
