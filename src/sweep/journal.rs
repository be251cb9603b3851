//! A journal of finished runs (JSON lines) that an interrupted sweep resumes from. Every row carries its
//! `run_id`, a hash of the run's fully resolved parameters and of its data's content, so a resumed sweep
//! takes only the rows it asked for (rows of other requests are left alone and counted), duplicates are
//! dropped on read, a cut last line is dropped and reported, and an exclusive lock on the file keeps two
//! processes from writing to one journal. Rows are appended whole and synced to disk at least every
//! second.

use crate::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What reading a journal found.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// Rows kept (asked for, first occurrence).
    pub kept: usize,
    /// Rows with a `run_id` already seen (dropped).
    pub duplicates: usize,
    /// Rows of other requests (left in the file, not used).
    pub foreign: usize,
    /// A cut last line (dropped: its run is redone).
    pub truncated_last_line: bool,
}

/// Reads the rows of `path` whose `run_id` is accepted by `wanted` (all when `None`).
pub fn read<R: DeserializeOwned>(
    path: &Path,
    wanted: Option<&HashSet<String>>,
    id_of: impl Fn(&R) -> &str,
) -> Result<(Vec<R>, ReadReport)> {
    let mut rep = ReadReport::default();
    let mut rows = Vec::new();
    if !path.exists() {
        return Ok((rows, rep));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let lines: Vec<&str> = text.split('\n').collect();
    let last_nonempty = lines.iter().rposition(|l| !l.trim().is_empty());
    let mut seen = HashSet::new();
    for (k, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<R>(line) {
            Ok(r) => {
                let id = id_of(&r).to_string();
                if wanted.is_some_and(|w| !w.contains(&id)) {
                    rep.foreign += 1;
                } else if !seen.insert(id) {
                    rep.duplicates += 1;
                } else {
                    rows.push(r);
                }
            }
            // A line cut by an interruption: only the last line can be one (its run is redone).
            Err(_) if Some(k) == last_nonempty && !text.ends_with('\n') => rep.truncated_last_line = true,
            Err(e) => {
                return Err(Error::Parse {
                    path: Some(path.to_path_buf()),
                    line: k + 1,
                    column: None,
                    message: format!("not a row of this journal: {e}"),
                });
            }
        }
    }
    rep.kept = rows.len();
    Ok((rows, rep))
}

/// A journal open for appending, holding an exclusive lock on its file.
pub struct Writer {
    path: PathBuf,
    file: Mutex<(File, Instant)>,
    truncated: bool,
}

impl Writer {
    /// Opens `path` for appending (created if missing), takes its lock, and drops a cut last line so that
    /// new rows start on a line of their own.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::io(
                    path,
                    std::io::Error::other("another process is writing to this journal (it holds the file's lock)"),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(path, e)),
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let truncated = !text.is_empty() && !text.ends_with('\n');
        if truncated {
            let keep = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
            file.set_len(keep as u64).map_err(|e| Error::io(path, e))?;
        }
        Ok(Writer { path: path.to_path_buf(), file: Mutex::new((file, Instant::now())), truncated })
    }

    /// Whether opening dropped a cut last line.
    pub fn dropped_cut_line(&self) -> bool {
        self.truncated
    }

    /// Appends one row as one line (one `write` call), syncing to disk at least every second.
    pub fn append<R: Serialize>(&self, row: &R) -> Result<()> {
        let mut line =
            serde_json::to_string(row).map_err(|e| Error::Numerical(format!("encoding a journal row: {e}")))?;
        line.push('\n');
        let mut g =
            self.file.lock().map_err(|_| Error::io(&self.path, std::io::Error::other("journal lock poisoned")))?;
        g.0.write_all(line.as_bytes()).map_err(|e| Error::io(&self.path, e))?;
        if g.1.elapsed() >= Duration::from_secs(1) {
            g.0.sync_data().map_err(|e| Error::io(&self.path, e))?;
            g.1 = Instant::now();
        }
        Ok(())
    }

    /// Syncs and closes (also done on drop).
    pub fn close(self) -> Result<()> {
        let g = self.file.lock().map_err(|_| Error::io(&self.path, std::io::Error::other("journal lock poisoned")))?;
        g.0.sync_data().map_err(|e| Error::io(&self.path, e))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Ok(g) = self.file.lock() {
            let _ = g.0.sync_data();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Row {
        run_id: String,
        v: f64,
    }

    #[test]
    fn duplicates_foreign_rows_and_a_cut_line_are_handled() {
        let dir = std::env::temp_dir().join(format!("ibias-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("j.jsonl");
        std::fs::write(&p, "{\"run_id\":\"a\",\"v\":1.0}\n{\"run_id\":\"b\",\"v\":2.0}\n{\"run_id\":\"a\",\"v\":1.0}\n{\"run_id\":\"z\",\"v\":9.0}\n{\"run_id\":\"c\",\"v\"").unwrap();
        let wanted: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let (rows, rep) = read::<Row>(&p, Some(&wanted), |r| &r.run_id).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rep.duplicates, rep.foreign, rep.truncated_last_line), (1, 1, true));
        // Opening for append drops the cut line; a second writer is refused while the first holds the lock.
        let w = Writer::open(&p).unwrap();
        assert!(Writer::open(&p).is_err());
        w.append(&Row { run_id: "c".into(), v: 3.0 }).unwrap();
        w.close().unwrap();
        let (rows, rep) = read::<Row>(&p, Some(&wanted), |r| &r.run_id).unwrap();
        assert_eq!((rows.len(), rep.truncated_last_line), (3, false));
        // A malformed line in the middle is an error naming the line.
        std::fs::write(&p, "{\"run_id\":\"a\",\"v\":1.0}\nnot json\n{\"run_id\":\"b\",\"v\":2.0}\n").unwrap();
        let e = read::<Row>(&p, None, |r| &r.run_id).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
