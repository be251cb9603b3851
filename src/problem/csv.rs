//! The CSV loader: numeric, comma-separated, one sample a row, the last column `y`, an optional header on
//! the first line. Every error names its line and column; tab- and semicolon-separated files are named
//! as such; a request that would exhaust memory is refused before the file is read.

use super::Problem;
use crate::kernels::linalg::Dense;
use crate::{Error, Result};
use std::path::Path;

/// Parses CSV text into a problem (see the module notes).
pub fn parse_csv(text: &str) -> Result<Problem> {
    let mut rows: Vec<f64> = Vec::new();
    let mut n = 0usize;
    let mut width: Option<usize> = None;
    let mut seen_first = false;
    for (k, raw) in text.split('\n').enumerate() {
        let line_no = k + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let is_first = !seen_first;
        seen_first = true;
        if !line.contains(',') {
            for (sep, name) in [('\t', "tab"), (';', "semicolon")] {
                if line.contains(sep) {
                    return Err(Error::parse(
                        line_no,
                        None,
                        format!(
                            "the file looks {name}-separated; ibias reads comma-separated values (convert it, e.g. tr '{}' ',')",
                            if sep == '\t' { "\\t" } else { ";" }
                        ),
                    ));
                }
            }
        }
        if line.contains('"') {
            return Err(Error::parse(line_no, None, "quoted cells are not supported: the file must be plain numbers"));
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Vec<Option<f64>> = cells.iter().map(|c| c.parse::<f64>().ok()).collect();
        let numeric = parsed.iter().filter(|p| p.is_some()).count();
        if numeric == 0 && cells.iter().any(|c| !c.is_empty()) && !cells.iter().any(|c| looks_numeric(c)) {
            if !is_first {
                return Err(Error::parse(
                    line_no,
                    None,
                    format!("a header row is only allowed on the first line (found '{line}')"),
                ));
            }
            if let Some(j) = cells.iter().position(|c| c.is_empty()) {
                let what = if j + 1 == cells.len() { " (a trailing comma?)" } else { "" };
                return Err(Error::parse(line_no, Some(j + 1), format!("the header has an empty column name{what}")));
            }
            width = Some(cells.len());
            continue;
        }
        for (j, (c, p)) in cells.iter().zip(&parsed).enumerate() {
            match p {
                None if c.is_empty() => {
                    let what = if j + 1 == cells.len() { " (a trailing comma?)" } else { "" };
                    return Err(Error::parse(line_no, Some(j + 1), format!("empty cell{what}")));
                }
                None => return Err(Error::parse(line_no, Some(j + 1), format!("'{c}' is not a number"))),
                Some(v) if !v.is_finite() => {
                    let what = if c.to_ascii_lowercase().contains("inf") || c.to_ascii_lowercase().contains("nan") {
                        ""
                    } else {
                        " (overflows a double)"
                    };
                    return Err(Error::parse(
                        line_no,
                        Some(j + 1),
                        format!("non-finite value '{c}'{what} (NaN and Inf are not allowed)"),
                    ));
                }
                _ => {}
            }
        }
        match width {
            None => width = Some(cells.len()),
            Some(w) if w != cells.len() => {
                return Err(Error::parse(
                    line_no,
                    None,
                    format!("{} columns, expected {w} (ragged rows)", cells.len()),
                ));
            }
            _ => {}
        }
        rows.extend(parsed.into_iter().map(|p| p.unwrap_or(f64::NAN)));
        n += 1;
    }
    let w = width.ok_or_else(|| Error::Data("the file is empty".into()))?;
    if w < 2 {
        return Err(Error::Data(format!("need at least two columns (features, then y as the last column), found {w}")));
    }
    if n == 0 {
        return Err(Error::Data("no data rows (only a header)".into()));
    }
    let d = w - 1;
    let x = Dense::from_fn(n, d, |i, j| rows[i * w + j]);
    let y = (0..n).map(|i| rows[i * w + d]).collect();
    Problem::new(x, y)
}

/// A cell that tries to be a number (so that `1.2.3` in a data row is reported as such, not taken for a header).
fn looks_numeric(c: &str) -> bool {
    c.chars().next().is_some_and(|ch| ch.is_ascii_digit() || ch == '-' || ch == '+' || ch == '.')
}

/// Loads a problem from a CSV file (see [`parse_csv`]); errors name the file.
pub fn load_csv(path: &Path) -> Result<Problem> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::io(path, std::io::Error::other("is a folder, not a CSV file")));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() || t.is_block_device() {
            return Err(Error::io(path, std::io::Error::other("is a device, not a CSV file (refused before reading)")));
        }
    }
    // The text, the parsed numbers (at most one per two bytes) and the problem built from them.
    crate::io::require_memory(&format!("loading {}", path.display()), 13.0 * meta.len() as f64)?;
    let bytes = if meta.is_file() {
        std::fs::read(path).map_err(|e| Error::io(path, e))?
    } else {
        // A FIFO or other stream has no length: read at most what the memory budget allows.
        use std::io::Read;
        let cap = (crate::io::max_memory() / 13).max(1);
        let mut b = Vec::new();
        std::fs::File::open(path).and_then(|f| f.take(cap + 1).read_to_end(&mut b)).map_err(|e| Error::io(path, e))?;
        if b.len() as u64 > cap {
            return Err(Error::ResourceLimit {
                what: format!("loading the stream {}", path.display()),
                needed_bytes: 13.0 * b.len() as f64,
                limit_bytes: crate::io::max_memory() as f64,
            });
        }
        b
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Data(format!("{}: not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
    })?;
    parse_csv(&text).map_err(|e| e.in_file(path))
}

/// Writes a problem as CSV (`x1,…,xd,y` header, shortest round-trip precision).
pub fn to_csv(p: &Problem) -> String {
    arrays_to_csv(p.x(), p.y())
}

/// `X` and `y` as CSV text (header `x1,…,xd,y`, every value at full precision, the shortest text that reads back
/// to the same bits).
pub fn arrays_to_csv(x: &Dense, y: &[f64]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(x.rows * (x.cols + 1) * 20 + 8 * x.cols);
    for j in 1..=x.cols {
        let _ = write!(s, "x{j},");
    }
    s.push_str("y\n");
    for i in 0..x.rows {
        for v in x.row(i) {
            let _ = write!(s, "{v:?},");
        }
        let _ = writeln!(s, "{:?}", y[i]);
    }
    s
}

/// Parses a vector: numbers separated by commas, whitespace or newlines (an optional first line that is not a
/// number is taken for a header). Every entry must be finite.
pub fn parse_vector(text: &str) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split(|c: char| c == ',' || c.is_whitespace()).filter(|c| !c.is_empty()).collect();
        if k == 0 && !cells.is_empty() && !cells.iter().all(|c| looks_numeric(c)) {
            continue;
        }
        for c in cells {
            let v: f64 = c.parse().map_err(|_| Error::Data(format!("line {}: '{c}' is not a number", k + 1)))?;
            if !v.is_finite() {
                return Err(Error::Data(format!("line {}: {c} is not finite", k + 1)));
            }
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err(Error::Data("no numbers".into()));
    }
    Ok(out)
}

/// Loads a vector from a file (see [`parse_vector`]); errors name the file.
pub fn load_vector(path: &Path) -> Result<Vec<f64>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    crate::io::require_memory(&format!("loading {}", path.display()), 13.0 * meta.len() as f64)?;
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_vector(&text).map_err(|e| e.in_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse_csv(text) {
            Err(e @ (Error::Data(_) | Error::Parse { .. })) => e.to_string(),
            other => panic!("expected a data error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn good_files_load_with_or_without_header() {
        let p = parse_csv("a,b,y\n1,2,3\n4,5,6\n").unwrap();
        assert_eq!((p.n(), p.d()), (2, 2));
        assert_eq!(p.y(), &[3.0, 6.0]);
        let q = parse_csv("1,2,3\r\n4,5,6\r\n\n").unwrap();
        assert_eq!(q.x().data, vec![1.0, 2.0, 4.0, 5.0]);
        let r = parse_csv(" 1 , 2e-3 ,-3\n").unwrap();
        assert_eq!(r.x().data, vec![1.0, 2e-3]);
    }

    #[test]
    fn each_error_names_its_place() {
        assert!(err("").contains("empty"));
        assert!(err("x,y\n").contains("no data rows"));
        let m = err("1,2,3\n4,5\n");
        assert!(m.contains("line 2") && m.contains("ragged"), "{m}");
        let m = err("1,2,3\n4,abc,6\n");
        assert!(m.contains("line 2, column 2") && m.contains("not a number"), "{m}");
        let m = err("1,2,3\n4,NaN,6\n");
        assert!(m.contains("line 2, column 2") && m.contains("non-finite"), "{m}");
        let m = err("1,2,1e400\n");
        assert!(m.contains("line 1, column 3") && m.contains("overflows"), "{m}");
        let m = err("1\n2\n");
        assert!(m.contains("two columns"), "{m}");
        let m = err("1,2,3\nx,y,z\n");
        assert!(m.contains("line 2") && m.contains("header"), "{m}");
        let m = err("1,,3\n");
        assert!(m.contains("line 1, column 2") && m.contains("empty cell"), "{m}");
        let m = err("1,2,3,\n");
        assert!(m.contains("column 4") && m.contains("trailing comma"), "{m}");
        let m = err("a,b,y,\n1,2,3\n");
        assert!(m.contains("line 1, column 4") && m.contains("header") && m.contains("trailing comma"), "{m}");
        let m = err("1\t2\t3\n4\t5\t6\n");
        assert!(m.contains("tab-separated"), "{m}");
        let m = err("1;2;3\n");
        assert!(m.contains("semicolon-separated"), "{m}");
        let m = err("1,2.3.4,5\n");
        assert!(m.contains("'2.3.4' is not a number"), "{m}");
    }
}
