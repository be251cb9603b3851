//! The algorithms (SPEC §2): gradient descent, heavy-ball GD, mirror descent with any potential,
//! exponentiated gradient, GD on the reparametrisation `w = u⊙u − v⊙v`, batched mirror descent — and the
//! continuous-time flows.
//!
//! One driver ([`driver::drive`]) runs every discrete method: a method is a type implementing
//! [`driver::Method`] (one step, its state, its diagnostics); step-size rules are small types
//! ([`step`]); what is recorded is an [`observer::Observer`]. Adding a method is one file.
//!
//! ```
//! use ibias::dynamics::{RunConfig, StopRule, run_gd};
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(1).generate().unwrap().problem;
//! let cfg = RunConfig::fixed(1.0 / p.smoothness()).stop(StopRule::default().risk_tol(1e-28).max_iter(100_000));
//! let r = run_gd(&p, &cfg).unwrap();
//! let w2 = ibias::exact::min_l2(&p).unwrap();       // GD from 0 reaches X⁺y
//! assert!(ibias::kernels::linalg::dist2(&r.w, &w2.w) < 1e-8 * w2.l2_norm);
//! ```

pub mod azulay;
pub mod batch;
pub mod config;
pub mod coordinate_descent;
pub mod driver;
pub mod dual;
pub mod factored;
pub mod fit;
pub mod flow;
pub mod margin_flow;
pub mod md;
pub mod momentum;
pub mod normalized_gd;
pub mod observer;
pub mod ode;
pub mod registry;
pub mod reparam;
pub mod result;
pub mod sampling;
pub mod sign_gd;
pub mod spectral_md;
pub mod step;

pub use azulay::run_azulay;
pub use config::{Record, RunConfig, StepRule, StopReason, StopRule};
pub use md::{run_eg, run_gd, run_md};
pub use momentum::run_heavy_ball;
pub use reparam::{Init, run_reparam, run_reparam_alpha};
pub use result::{Algorithm, Checkpoint, ReparamInfo, RunResult, StepEffect};
