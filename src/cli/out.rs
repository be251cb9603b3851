//! Output on stdout that ends quietly on a closed pipe (`ibias … | head -c 100`), as ripgrep does; and
//! progress on stderr (a bar with done/total and ETA on a terminal, nothing otherwise).

use ibias::control::Progress;
use ibias::{Error, Result};
use std::io::Write;

/// Whether an error is a closed output pipe.
pub fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}

fn stdout_err(e: std::io::Error) -> Error {
    Error::io("<stdout>", e)
}

/// Writes text to stdout (a closed pipe becomes an error that the program turns into a quiet exit 0).
pub fn text(s: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(s.as_bytes()).map_err(stdout_err)?;
    o.flush().map_err(stdout_err)
}

/// Writes one line to stdout.
pub fn line(s: impl AsRef<str>) -> Result<()> {
    let mut t = s.as_ref().to_string();
    t.push('\n');
    text(&t)
}

/// Prints a value as pretty JSON.
pub fn json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut s = serde_json::to_string_pretty(v).map_err(|e| Error::Numerical(format!("JSON encoding failed: {e}")))?;
    s.push('\n');
    text(&s)
}

/// A note on stderr (ignored if stderr is closed).
pub fn note(s: impl AsRef<str>) {
    let _ = writeln!(std::io::stderr(), "{}", s.as_ref());
}

/// A progress display on stderr: a spinner for stages, a bar with ETA for counts.
pub struct Bar {
    pb: Option<indicatif::ProgressBar>,
}

impl Bar {
    /// A display (hidden when `quiet` or when stderr is not a terminal).
    pub fn new(quiet: bool) -> Self {
        if quiet {
            return Bar { pb: None };
        }
        let pb = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} {bar:30} {pos}/{len} [{elapsed_precise}, ETA {eta}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(150));
        Bar { pb: Some(pb) }
    }

    /// The progress callback for the library.
    pub fn callback(&self) -> impl Fn(Progress<'_>) + Sync + '_ {
        move |p| {
            if let Some(pb) = &self.pb {
                match p {
                    Progress::Stage(m) => {
                        pb.set_message(m.to_string());
                        pb.set_length(0);
                        pb.set_position(0);
                    }
                    Progress::Count { done, total } => {
                        pb.set_length(total as u64);
                        pb.set_position(done as u64);
                    }
                }
            }
        }
    }

    /// Removes the display.
    pub fn finish(&self) {
        if let Some(pb) = &self.pb {
            pb.finish_and_clear();
        }
    }
}
