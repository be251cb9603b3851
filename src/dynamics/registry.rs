//! The methods that reach every door without editing it (SPEC §11): each is one file with an [`Entry`] — its
//! name, a line for help texts, and how it runs on a datafit — and one line of [`REGISTRY`]. The request type
//! ([`crate::request::RunRequest`]), the command line (`ibias run NAME`), the Python package (`ibias.NAME(...)`,
//! `ibias.run(..., method=NAME)`) and sweep specifications (`method = "NAME"`) read this list.

use super::fit::FitArgs;
use super::result::RunResult;
use crate::Result;
use crate::problem::Problem;

/// One registered method.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Its name in every door (snake case; the command line also accepts hyphens).
    pub name: &'static str,
    /// One line for help texts.
    pub summary: &'static str,
    /// Runs it on a problem.
    pub run: fn(&Problem, &FitArgs) -> Result<RunResult>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// Every registered method.
pub const REGISTRY: &[Entry] = &[super::sign_gd::ENTRY, super::normalized_gd::ENTRY];

/// The entry named `name` (hyphens read as underscores).
pub fn find(name: &str) -> Option<&'static Entry> {
    let key = name.replace('-', "_");
    REGISTRY.iter().find(|e| e.name == key)
}
