//! Small typed kernels with explicit parallelism: dense linear algebra ([`linalg`]), vectorisable
//! elementary functions ([`fastmath`]) and the two-core hand-over ([`par`]). Leaf modules: they use
//! nothing else of the crate but its error type.

pub mod fastmath;
pub mod linalg;
pub mod par;
pub mod spectral;
pub mod stats;
