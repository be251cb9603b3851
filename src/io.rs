//! Files and resources: atomic writes (a file, or a whole folder swapped in at once), early checks that an
//! output folder is writable, and the memory budget that large requests are checked against before
//! anything is allocated.

use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `contents` to `path` atomically: a temporary file in the same folder, then a rename. On any
/// failure the temporary file is removed, so no `.name.PID.tmp` is left behind.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = std::fs::write(&tmp, contents)
        .map_err(|e| Error::io(&tmp, e))
        .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// A folder being written, to replace `target` as a whole: files go into a sibling temporary folder,
/// and [`StagedDir::commit`] swaps it in (the old folder is moved aside and removed), so a kill never
/// leaves new files beside old ones. Dropped without `commit`, the temporary folder is removed.
pub struct StagedDir {
    target: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Starts a staged replacement of `target` (checks now that its parent is a writable folder).
    pub fn new(target: &Path) -> Result<Self> {
        check_output_dir(target)?;
        let parent = parent_of(target);
        let name = target.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
        let tmp = parent.join(format!(".{name}.{}.staging", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(StagedDir { target: target.to_path_buf(), tmp, committed: false })
    }

    /// Where files are written until the commit.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The final location.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Swaps the staged folder in place of the target.
    pub fn commit(mut self) -> Result<PathBuf> {
        let parent = parent_of(&self.target);
        let name = self.target.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
        let old = parent.join(format!(".{name}.{}.old", std::process::id()));
        let had_old = self.target.exists();
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(&self.target, &old).map_err(|e| Error::io(&self.target, e))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(Error::io(&self.target, e));
        }
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(x) if !x.as_os_str().is_empty() => x.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks, before any computing, that `dir` can become an output folder: it is a folder or does not
/// exist yet, and its parent (created if missing) accepts a file.
pub fn check_output_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::io(dir, std::io::Error::other("exists and is not a folder")));
    }
    let parent = parent_of(dir);
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let probe = parent.join(format!(".ibias-probe.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| Error::io(&parent, e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The memory budget in bytes (0: not set, use the default).
static MAX_MEMORY: AtomicU64 = AtomicU64::new(0);

/// Physical memory in bytes (Linux `MemTotal`, read once; 8 GiB when unknown).
pub fn physical_memory() -> u64 {
    static MEM: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MEM.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map(|kb| kb * 1024)
            .unwrap_or(8 << 30)
    })
}

/// The memory budget: `--max-memory` when set, else half of physical memory.
pub fn max_memory() -> u64 {
    match MAX_MEMORY.load(Ordering::Relaxed) {
        0 => physical_memory() / 2,
        v => v,
    }
}

/// Sets the memory budget in bytes (`0` restores the default, half of physical memory).
pub fn set_max_memory(bytes: u64) {
    MAX_MEMORY.store(bytes, Ordering::Relaxed);
}

/// Refuses a request whose estimated size exceeds the memory budget, naming both.
pub fn require_memory(what: &str, bytes: f64) -> Result<()> {
    let limit = max_memory() as f64;
    if !(bytes <= limit) {
        return Err(Error::ResourceLimit { what: what.into(), needed_bytes: bytes, limit_bytes: limit });
    }
    Ok(())
}

/// Parses a memory size: `512M`, `2G`, `1.5GiB`, `1000000` (bytes).
pub fn parse_memory(s: &str) -> Result<u64> {
    let t = s.trim();
    let bad = || Error::param("--max-memory", format!("'{s}' is not a size (e.g. 512M, 4G, or bytes)"));
    let cut = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (numtxt, unit) = t.split_at(cut);
    let v: f64 = numtxt.trim().parse().map_err(|_| bad())?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1048576.0,
        "g" | "gb" | "gib" => 1073741824.0,
        "t" | "tb" | "tib" => 1099511627776.0,
        _ => return Err(bad()),
    };
    let b = v * mult;
    if !(b.is_finite() && b >= 1.0) {
        return Err(bad());
    }
    Ok(b as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_no_temporary_file_on_failure() {
        let dir = std::env::temp_dir().join(format!("ibias-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The target is a folder: the rename fails, the temporary file must go.
        let target = dir.join("sub");
        std::fs::create_dir_all(target.join("x")).unwrap();
        assert!(write_atomic(&target, b"data").is_err());
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 1, "{left:?}");
        write_atomic(&dir.join("f.txt"), b"ok").unwrap();
        assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"ok");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn staged_folder_replaces_the_old_one_as_a_whole() {
        let dir = std::env::temp_dir().join(format!("ibias-stage-{}", std::process::id()));
        let out = dir.join("report");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("old.txt"), b"old").unwrap();
        let s = StagedDir::new(&out).unwrap();
        std::fs::write(s.path().join("new.txt"), b"new").unwrap();
        assert!(out.join("old.txt").exists(), "nothing changes before the commit");
        s.commit().unwrap();
        assert!(out.join("new.txt").exists() && !out.join("old.txt").exists());
        // Dropped without a commit: the staging folder disappears, the target stays.
        let s = StagedDir::new(&out).unwrap();
        let staging = s.path().to_path_buf();
        drop(s);
        assert!(!staging.exists() && out.join("new.txt").exists());
        // A file where a folder is wanted is refused before anything is computed.
        std::fs::write(dir.join("file"), b"").unwrap();
        assert!(check_output_dir(&dir.join("file")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn memory_sizes_parse_and_limits_refuse() {
        assert_eq!(parse_memory("512M").unwrap(), 512 << 20);
        assert_eq!(parse_memory("2G").unwrap(), 2 << 30);
        assert_eq!(parse_memory("1000").unwrap(), 1000);
        assert!(parse_memory("lots").is_err() && parse_memory("-1G").is_err() && parse_memory("1X").is_err());
        let e = require_memory("a test", 1e30).unwrap_err();
        assert!(e.to_string().contains("MiB"), "{e}");
        assert!(require_memory("a test", f64::NAN).is_err());
        assert!(require_memory("a test", 1024.0).is_ok());
    }
}
