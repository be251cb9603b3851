//! Integration tests: one executable, one module per area, shared helpers.

mod architecture;
mod audit;
mod beyond;
mod classification;
mod cli;
mod degenerate;
mod dynamics;
mod exact;
mod helpers;
mod matrix;
mod potentials;
mod readme;
mod robustness;
mod schema;
mod sgd;
mod study;
mod sweep;
mod ties;
