//! Cancellation and progress, shared by long computations: a run loop checks [`cancelled`] with its time
//! limit (every 64 iterations), so a host (the Python package on Ctrl-C) can stop any call within a
//! fraction of a second; studies and sweeps report [`Progress`] to a callback.

use std::sync::atomic::{AtomicBool, Ordering};

static CANCEL: AtomicBool = AtomicBool::new(false);

/// Asks every running computation to stop at its next check (it returns `Error::Interrupted` or a
/// result marked interrupted).
pub fn cancel() {
    CANCEL.store(true, Ordering::Relaxed);
}

/// Clears a cancellation (before a new call).
pub fn reset() {
    CANCEL.store(false, Ordering::Relaxed);
}

/// Whether a cancellation was asked for.
#[inline]
pub fn cancelled() -> bool {
    CANCEL.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` once a cancellation was asked for.
pub fn check() -> crate::Result<()> {
    if cancelled() { Err(crate::Error::Interrupted) } else { Ok(()) }
}

/// A progress event.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A stage begins.
    Stage(&'a str),
    /// `done` of `total` units are finished.
    Count {
        /// Finished.
        done: usize,
        /// All.
        total: usize,
    },
}

/// A progress callback (may be called from several threads).
pub type ProgressFn<'a> = &'a (dyn Fn(Progress<'_>) + Sync);

/// A callback that ignores progress.
pub fn quiet(_: Progress<'_>) {}
