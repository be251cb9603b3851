//! Sweeps (SPEC §10): many runs over α × step rule × method × loss × seed, certified row by row, on one machine
//! or a Slurm array.
//!
//! - [`engine`]: the engine: one sweep's runs over one dataset, each built as a [`crate::request::RunRequest`] and
//!   certified against its limit (Bregman projection, max-margin); the grid sweeps of `ibias sweep` and Python's
//!   `ibias.sweep`.
//! - [`spec`]: a TOML specification (problems, axes, stop rule), parsed and validated once.
//! - [`plan`]: a spec resolved into datasets and runs with stable ids and costs; [`plan::Plan::shard`] balances
//!   shards by cost.
//! - [`shard`]: one shard run into its own journal in a folder (restartable after any kill); status and failures.
//! - [`journal`]: the append-only JSON-lines journal of finished runs, locked and synced.
//! - [`mod@merge`]: a folder's rows, every planned run exactly once, as a table, JSON lines or CSV.
//! - [`section`]: a report section drawn from a merged table.
//!
//! A sharded run, a single-process run and an interrupted-then-resumed run merge to the same rows, bit for bit
//! (only the timing column differs). Every row carries the spec's hash, so journals of another spec are refused,
//! never mixed.

pub mod engine;
pub mod journal;
pub mod merge;
pub mod plan;
pub mod section;
pub mod shard;
pub mod spec;

pub use engine::{
    Row, SweepMethod, SweepOptions, SweepReport, Variant, default_rule, describe_alphas, parse_alphas, peak_rss_mib,
    problems_from, run, spec_key,
};
pub use merge::{merge, merge_counted, to_csv, to_jsonl, to_table};
pub use plan::{Plan, PlannedRun, ProblemKey, SpecRow};
pub use shard::{
    FailedRun, FolderRows, ShardReport, ShardStatus, env_usize, failures, failures_path, journal_path, prepare_folder,
    read_folder, run_shard, shard_count, slurm_shard, status,
};
pub use spec::{AlphaAxis, Axes, GenGrid, MAX_RUNS, ProblemSpec, RecordSpec, StopSpec, SweepSpec};
