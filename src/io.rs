//! Files and resources: atomic writes (a file; an output folder whose files are moved in one by one,
//! never touching files ibias did not write), early checks that an output folder is writable, and the memory budget that large requests are checked against before
//! anything is allocated.

use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `contents` to `path` atomically: a temporary file in the same folder, then a rename. On any
/// failure the temporary file is removed, so no `.name.PID.tmp` is left behind. On Linux the contents are first
/// written into an unnamed file (`O_TMPFILE`), which the kernel removes if the process is killed mid-write, and
/// only the complete file gets its temporary name (for the microseconds before the rename). A symbolic link,
/// device or FIFO at `path` is written through instead (`-o /dev/stdout` writes to standard output).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, contents, || ())
}

/// [`write_atomic`], calling `written` once the contents are written and before they get a name (tests look at
/// the folder then).
fn write_atomic_with(path: &Path, contents: &[u8], written: impl FnOnce()) -> Result<()> {
    // A symbolic link, a device or a FIFO is written through, never replaced: only a regular file (or a
    // new one) is renamed into place.
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::write(path, contents).map_err(|e| Error::io(path, e));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut written = Some(written);
    #[cfg(target_os = "linux")]
    if let Some(linked) = unnamed::write_and_link(dir, &tmp, contents, &mut written) {
        let res = linked.map_err(|e| Error::io(path, e)).and_then(|_| rename_into(&tmp, path));
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return res;
    }
    let res = std::fs::write(&tmp, contents).map_err(|e| Error::io(&tmp, e)).and_then(|_| {
        if let Some(f) = written.take() {
            f();
        }
        rename_into(&tmp, path)
    });
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

fn rename_into(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path).map_err(|e| Error::io(path, e))
}

/// Unnamed temporary files (Linux `O_TMPFILE`), linked to a name only once complete.
#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::CString;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;

    /// Writes `contents` into an unnamed file in `dir` and links it as `tmp`. `None`: the folder's file system
    /// (or a missing `/proc`) does not allow it, nothing was left behind, and the caller writes `tmp` itself.
    pub(super) fn write_and_link(
        dir: &Path,
        tmp: &Path,
        contents: &[u8],
        written: &mut Option<impl FnOnce()>,
    ) -> Option<std::io::Result<()>> {
        let mut f = std::fs::OpenOptions::new().write(true).mode(0o666).custom_flags(libc::O_TMPFILE).open(dir).ok()?;
        if let Err(e) = f.write_all(contents) {
            return Some(Err(e)); // the unnamed file goes with `f`
        }
        if let Some(w) = written.take() {
            w();
        }
        let src = CString::new(format!("/proc/self/fd/{}", f.as_raw_fd())).ok()?;
        let dst = CString::new(tmp.as_os_str().as_bytes()).ok()?;
        if tmp.exists() {
            let _ = std::fs::remove_file(tmp); // a stale name of an earlier process with this id
        }
        // SAFETY: both are valid NUL-terminated paths that outlive the call; linkat reads them only.
        let rc = unsafe {
            libc::linkat(libc::AT_FDCWD, src.as_ptr(), libc::AT_FDCWD, dst.as_ptr(), libc::AT_SYMLINK_FOLLOW)
        };
        if rc != 0 {
            return None;
        }
        Some(Ok(()))
    }
}

/// The name of the manifest that lists, one relative path a line, the files ibias wrote into an
/// output folder. Only those files are ever replaced or removed; every other file is left alone.
pub const MANIFEST: &str = ".ibias-manifest";

/// An output folder being written: files go into a staging folder inside `target`, and
/// [`StagedDir::commit`] moves each into place by an atomic rename. Files that ibias did not write (not
/// listed in the folder's [`MANIFEST`]) are never deleted or replaced: if a new file would replace one,
/// the commit refuses before moving anything. Files of the previous run that the new one no longer
/// writes are removed (they are listed in the manifest). Dropped without `commit`, the staging folder is
/// removed and the target is as it was.
pub struct StagedDir {
    target: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Starts writing into `target` (checks now that it is, or can become, a writable folder).
    pub fn new(target: &Path) -> Result<Self> {
        check_output_dir(target)?;
        std::fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
        let tmp = target.join(format!(".ibias-staging.{}", std::process::id()));
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

    /// Moves the staged files into the target, keeping every file ibias did not write.
    pub fn commit(mut self) -> Result<PathBuf> {
        let mut new = Vec::new();
        list_files(&self.tmp, Path::new(""), &mut new)?;
        new.sort();
        let old = read_manifest(&self.target);
        // Refuse before moving anything if a new file would replace one that ibias did not write.
        let foreign: Vec<String> = new
            .iter()
            .filter(|rel| !old.contains(*rel))
            .filter(|rel| std::fs::symlink_metadata(self.target.join(rel)).is_ok())
            .cloned()
            .collect();
        if !foreign.is_empty() {
            let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
            return Err(Error::io(
                &self.target,
                std::io::Error::other(format!(
                    "would replace {} file(s) that ibias did not write ({}{}); move them or choose another output folder",
                    foreign.len(),
                    shown.join(", "),
                    if foreign.len() > 5 { ", …" } else { "" }
                )),
            ));
        }
        // The manifest first lists both runs' files, so an interruption leaves every file of ours listed.
        let mut both: Vec<String> = old.iter().cloned().chain(new.iter().cloned()).collect();
        both.sort();
        both.dedup();
        write_manifest(&self.target, &both)?;
        for rel in &new {
            let to = self.target.join(rel);
            if let Some(p) = to.parent() {
                std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
            }
            std::fs::rename(self.tmp.join(rel), &to).map_err(|e| Error::io(&to, e))?;
        }
        for rel in old.iter().filter(|r| !new.contains(*r)) {
            let p = self.target.join(rel);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                let _ = std::fs::remove_file(&p);
            }
        }
        write_manifest(&self.target, &new)?;
        let _ = std::fs::remove_dir_all(&self.tmp);
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

/// The files listed in `dir`'s manifest (relative paths without `..`; empty when there is none).
fn read_manifest(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(MANIFEST))
        .map(|s| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter(|l| Path::new(l).components().all(|c| matches!(c, std::path::Component::Normal(_))))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn write_manifest(dir: &Path, files: &[String]) -> Result<()> {
    let mut text =
        String::from("# Files written by ibias; only these are replaced or removed when it writes here again.\n");
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    write_atomic(&dir.join(MANIFEST), text.as_bytes())
}

fn list_files(root: &Path, rel: &Path, out: &mut Vec<String>) -> Result<()> {
    let dir = root.join(rel);
    for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
        let e = e.map_err(|e| Error::io(&dir, e))?;
        let r = rel.join(e.file_name());
        if e.file_type().map_err(|err| Error::io(e.path(), err))?.is_dir() {
            list_files(root, &r, out)?;
        } else {
            out.push(r.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
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

/// The memory this process may use: physical memory, lowered by the cgroup's limit (`memory.max` of cgroup v2,
/// `memory.limit_in_bytes` of v1: a container, a Slurm `--mem` job) and by the address-space limit (`ulimit -v`).
/// Read once.
pub fn memory_limit() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let cgroup = read("/proc/self/cgroup").and_then(|t| cgroup_limit(&t, |p| read(p)));
        let aslimit = read("/proc/self/limits").and_then(|t| address_space_limit(&t));
        [Some(physical_memory()), cgroup, aslimit].into_iter().flatten().min().unwrap_or(8 << 30)
    })
}

/// The memory limit of the cgroups listed in `proc_cgroup` (the text of `/proc/self/cgroup`), reading files with
/// `read`; `None` when unlimited or unknown.
pub fn cgroup_limit(proc_cgroup: &str, read: impl Fn(&str) -> Option<String>) -> Option<u64> {
    let mut best: Option<u64> = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, ctrl, path) = (parts.next()?, parts.next()?, parts.next()?);
        let files = if ctrl.is_empty() {
            vec![format!("/sys/fs/cgroup{path}/memory.max"), "/sys/fs/cgroup/memory.max".to_string()]
        } else if ctrl.split(',').any(|c| c == "memory") {
            vec![
                format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"),
                "/sys/fs/cgroup/memory/memory.limit_in_bytes".to_string(),
            ]
        } else {
            continue;
        };
        // The first file that exists is this cgroup's ("max": no limit; v1 writes "no limit" as about 2⁶³).
        if let Some(v) = files.iter().find_map(|f| read(f)).and_then(|t| t.trim().parse::<u64>().ok())
            && v < (1 << 60)
        {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    }
    best
}

/// The soft address-space limit in `proc_limits` (the text of `/proc/self/limits`), `None` when unlimited.
pub fn address_space_limit(proc_limits: &str) -> Option<u64> {
    let line = proc_limits.lines().find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..].split_whitespace().next()?.parse::<u64>().ok()
}

/// The memory budget: the value given to [`set_max_memory`] when set, else half of [`memory_limit`].
pub fn max_memory() -> u64 {
    match MAX_MEMORY.load(Ordering::Relaxed) {
        0 => memory_limit() / 2,
        v => v,
    }
}

/// Sets the memory budget in bytes (`0` restores the default, half of [`memory_limit`]).
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
    let bad = || Error::param("max_memory", format!("'{s}' is not a size (e.g. 512M, 4G, or bytes)"));
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

    #[test]
    fn memory_limits_are_read_from_cgroups_and_ulimit() {
        let files = |p: &str| match p {
            "/sys/fs/cgroup/job/memory.max" => Some("2147483648\n".to_string()),
            "/sys/fs/cgroup/free/memory.max" => Some("max\n".to_string()),
            "/sys/fs/cgroup/memory/slurm/memory.limit_in_bytes" => Some("1073741824\n".to_string()),
            "/sys/fs/cgroup/memory/memory.limit_in_bytes" => Some("9223372036854771712\n".to_string()),
            _ => None,
        };
        assert_eq!(cgroup_limit("0::/job\n", files), Some(2 << 30));
        assert_eq!(cgroup_limit("0::/free\n", files), None);
        assert_eq!(cgroup_limit("4:memory:/slurm\n1:cpu:/\n", files), Some(1 << 30));
        assert_eq!(cgroup_limit("4:memory:/other\n", files), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max address space         4096000000           unlimited            bytes\n";
        assert_eq!(address_space_limit(limits), Some(4_096_000_000));
        assert_eq!(
            address_space_limit("Max address space         unlimited            unlimited            bytes"),
            None
        );
        assert!(memory_limit() <= physical_memory());
    }

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

    /// While the contents are being written the folder holds no temporary name (Linux: the file is unnamed until
    /// complete), so a process killed mid-write leaves nothing behind; the file then appears whole.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_file_being_written_has_no_name_until_complete() {
        let dir = std::env::temp_dir().join(format!("ibias-unnamed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = vec![b'7'; 1 << 22];
        let mut seen = Vec::new();
        write_atomic_with(&dir.join("big.csv"), &big, || {
            seen = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        })
        .unwrap();
        // File systems without O_TMPFILE (older overlayfs) take the named temporary file instead.
        let unnamed_ok = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new().write(true).custom_flags(libc::O_TMPFILE).open(&dir).is_ok()
        };
        if unnamed_ok {
            assert!(seen.is_empty(), "named while being written: {seen:?}");
        } else {
            eprintln!("{}: no O_TMPFILE here, the named temporary file was used", dir.display());
        }
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, [std::ffi::OsString::from("big.csv")]);
        assert_eq!(std::fs::read(dir.join("big.csv")).unwrap(), big);
        // Replacing an existing file keeps the rename's atomicity.
        write_atomic(&dir.join("big.csv"), b"small").unwrap();
        assert_eq!(std::fs::read(dir.join("big.csv")).unwrap(), b"small");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_output_folder_keeps_foreign_files_and_replaces_only_its_own() {
        let dir = std::env::temp_dir().join(format!("ibias-stage-{}", std::process::id()));
        let out = dir.join("report");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("important.txt"), b"mine").unwrap();
        let s = StagedDir::new(&out).unwrap();
        std::fs::create_dir_all(s.path().join("data")).unwrap();
        std::fs::write(s.path().join("data/a.csv"), b"1").unwrap();
        std::fs::write(s.path().join("old.txt"), b"old").unwrap();
        assert!(!out.join("old.txt").exists(), "nothing changes before the commit");
        s.commit().unwrap();
        assert_eq!(std::fs::read(out.join("important.txt")).unwrap(), b"mine");
        assert!(out.join("data/a.csv").exists() && out.join("old.txt").exists());
        // A second run replaces its own files and removes those it no longer writes, never the foreign one.
        let s = StagedDir::new(&out).unwrap();
        std::fs::create_dir_all(s.path().join("data")).unwrap();
        std::fs::write(s.path().join("data/a.csv"), b"2").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(out.join("data/a.csv")).unwrap(), b"2");
        assert!(!out.join("old.txt").exists());
        assert_eq!(std::fs::read(out.join("important.txt")).unwrap(), b"mine");
        // A file ibias would write but did not write before is refused, and nothing moves.
        let s = StagedDir::new(&out).unwrap();
        std::fs::write(s.path().join("important.txt"), b"theirs").unwrap();
        std::fs::create_dir_all(s.path().join("data")).unwrap();
        std::fs::write(s.path().join("data/a.csv"), b"3").unwrap();
        let e = s.commit().unwrap_err();
        assert!(e.to_string().contains("did not write") && e.to_string().contains("important.txt"), "{e}");
        assert_eq!(std::fs::read(out.join("important.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(out.join("data/a.csv")).unwrap(), b"2");
        let left: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.iter().all(|n| !n.to_string_lossy().contains("staging")), "{left:?}");
        // Dropped without a commit: the staging folder disappears, the target stays.
        let s = StagedDir::new(&out).unwrap();
        let staging = s.path().to_path_buf();
        drop(s);
        assert!(!staging.exists() && out.join("data/a.csv").exists());
        // A file where a folder is wanted is refused before anything is computed.
        std::fs::write(dir.join("file"), b"").unwrap();
        assert!(check_output_dir(&dir.join("file")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through_not_replaced() {
        let dir = std::env::temp_dir().join(format!("ibias-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("real.txt"), b"").unwrap();
        std::os::unix::fs::symlink(dir.join("real.txt"), dir.join("link.txt")).unwrap();
        write_atomic(&dir.join("link.txt"), b"through").unwrap();
        assert!(std::fs::symlink_metadata(dir.join("link.txt")).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(dir.join("real.txt")).unwrap(), b"through");
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
