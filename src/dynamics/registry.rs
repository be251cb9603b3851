//! The methods that reach every door without editing it (SPEC §11): each is one file with an [`Entry`] — its
//! name, a line for help texts, and how it runs on a datafit — and one line of [`REGISTRY`]. The request type
//! ([`crate::request::RunRequest`]), the command line (`ibias run NAME`), the Python package (`ibias.NAME(...)`,
//! `ibias.run(..., method=NAME)`) and sweep specifications (`method = "NAME"`) read this list.

pub use super::fit::Entry;

/// Every registered method.
pub const REGISTRY: &[Entry] = &[
    super::sign_gd::ENTRY,
    super::normalized_gd::ENTRY,
    super::coordinate_descent::ENTRY,
    super::factored::ENTRY,
    super::factored::ENTRY_PSD,
    super::spectral_md::ENTRY,
];

/// The entry named `name` (hyphens read as underscores).
pub fn find(name: &str) -> Option<&'static Entry> {
    let key = name.replace('-', "_");
    REGISTRY.iter().find(|e| e.name == key)
}
