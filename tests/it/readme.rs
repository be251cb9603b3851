//! Every `ibias …` command of the README runs as printed, in order, in a fresh folder (commands that
//! need other tools — cargo, pip, python, Slurm — are run by the suites of those tools: `scripts/test`).
//! Outcomes are checked, never wall time: speed is measured in BENCHMARKS.md, as ratios.

use crate::helpers::Tmp;
use std::path::Path;
use std::process::Command;

/// The `ibias` lines of the README's `sh` blocks, comments removed.
fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = t == "```sh";
            continue;
        }
        if in_sh && t.starts_with("ibias ") {
            let cmd = match t.find("  #") {
                Some(i) => t[..i].trim(),
                None => t,
            };
            out.push(cmd.to_string());
        }
    }
    out
}

#[test]
fn every_readme_command_runs_as_printed() {
    let cmds = readme_commands();
    assert!(cmds.len() >= 15, "the README shows its commands ({} found)", cmds.len());
    let dir = Tmp::new("readme");
    // The sweep specifications and data files the README runs (examples/*.toml, *.csv), as a clone has them.
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::fs::create_dir_all(dir.path("examples")).unwrap();
    for e in std::fs::read_dir(&ex).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml" || x == "csv") {
            std::fs::copy(&p, dir.path("examples").join(p.file_name().unwrap())).unwrap();
        }
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_ibias")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for cmd in cmds {
        let out = Command::new("sh").arg("-c").arg(&cmd).env("PATH", &path).current_dir(&dir.0).output().unwrap();
        assert!(
            out.status.success(),
            "README command failed: {cmd}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
