//! ibias — simulate, certify and draw the implicit bias of gradient methods on least squares.
//!
//! The crate separates what is optimised, the geometry, the algorithm, what is observed and how it is
//! shown (the mathematics is `docs/SPEC.md`, cited as `SPEC §n`):
//!
//! | module | what it holds |
//! |---|---|
//! | [`problem`] | data `(X, y)`, risk, gradient; loaders, generators; how a gradient is computed ([`problem::GradPlan`]) |
//! | [`kernels`] | dense linear algebra, vectorised elementary functions, the two-core hand-over |
//! | [`datafit`] | what is optimised: least squares, logistic and exponential losses behind one trait |
//! | [`potential`] | mirror maps behind one trait, with their dual domains |
//! | [`dynamics`] | one iteration driver; each method a [`dynamics::driver::Method`]; step rules; observers; flows |
//! | [`exact`] | reference solvers, each with a certificate; penalties as a trait |
//! | [`request`] | the one front door: a run request, validated once, that the CLI, Python and sweep specs build |
//! | [`study`] | one file per study, registered once, typed results |
//! | [`report`] | renders studies: HTML, figures, data files |
//! | [`control`], [`io`], [`error`] | cancellation and progress; atomic files and the memory budget; errors |
//!
//! ```
//! use ibias::problem::generate::GenSpec;
//! use ibias::potential::Hyperbolic;
//! use ibias::exact::bregman::{bregman_projection, BregmanOptions};
//! // The implicit bias of mirror descent at α = 1e-10 is (almost) the minimum-ℓ1 interpolator.
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let pot = Hyperbolic::uniform(1e-10, p.d()).unwrap();
//! let limit = bregman_projection(&p, &pot, &vec![0.0; p.d()], BregmanOptions::default()).unwrap();
//! let bp = ibias::exact::basis_pursuit(&p).unwrap();
//! assert!((limit.l1_norm - bp.l1_norm).abs() < 1e-6 * bp.l1_norm);
//! ```

// Numerical kernels index several arrays in step; iterator chains would obscure the formulas.
#![allow(clippy::needless_range_loop)]
// Checks are written `!(x <= tol)` on purpose: a NaN must fail them.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
#![warn(missing_docs)]

pub mod bench;
pub mod control;
pub mod datafit;
pub mod dynamics;
pub mod error;
pub mod exact;
pub mod io;
pub mod kernels;
pub mod potential;
pub mod problem;
pub mod report;
pub mod request;
pub mod study;
pub mod sweep;

pub use error::{Error, Result};
