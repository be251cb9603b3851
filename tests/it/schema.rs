//! The TOML schema of sweep specifications, `docs/sweep-spec.md`, is generated from the types themselves
//! (`src/sweep/spec.rs`: each section's struct, its fields, their types, defaults and doc comments). This test
//! regenerates it and fails if the committed file differs; `IBIAS_BLESS=1 cargo test --release schema` writes
//! it. Every documented key is also checked to be accepted by the parser, and an unknown key refused.

use std::path::Path;

/// `(struct, TOML table, what it is)`, in the order a reader meets them.
const SECTIONS: [(&str, &str, &str); 6] = [
    ("SweepSpec", "(top level)", "the tables of a spec"),
    (
        "ProblemSpec",
        "[problem]",
        "where the data come from: exactly one of `preset` (with `seeds`), `data`, or `generate`",
    ),
    ("GenGrid", "[problem.generate]", "a generator grid: every combination of n × d × sparsity × noise × seeds"),
    ("Axes", "[axes]", "the grid of runs: every combination of the axes"),
    ("StopSpec", "[stop]", "the stop rule of every run"),
    ("RecordSpec", "[record]", "what each row records besides its parameters and metrics"),
];

struct Field {
    key: String,
    ty: String,
    required: bool,
    doc: String,
}

fn fields(src: &str, name: &str) -> Vec<Field> {
    let start = src.find(&format!("pub struct {name} {{")).unwrap_or_else(|| panic!("struct {name} not found"));
    let body = &src[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let all_default = {
        let before = &src[..start];
        let attr = before.rfind("#[serde(").map(|i| &before[i..]).unwrap_or("");
        attr.contains("default")
    };
    let mut out = Vec::new();
    let (mut doc, mut has_default) = (Vec::new(), false);
    for line in body.lines().skip(1) {
        let t = line.trim();
        if let Some(d) = t.strip_prefix("///") {
            doc.push(d.trim().to_string());
        } else if t.starts_with("#[serde(") {
            has_default |= t.contains("default");
        } else if let Some(rest) = t.strip_prefix("pub ") {
            let (key, ty) = rest.split_once(':').unwrap();
            let ty = ty.trim().trim_end_matches(',').to_string();
            let optional = ty.starts_with("Option<");
            out.push(Field {
                key: key.trim().to_string(),
                ty: toml_type(&ty),
                required: !(optional || has_default || all_default),
                doc: doc.join(" "),
            });
            doc.clear();
            has_default = false;
        }
    }
    out
}

/// A Rust field type as a TOML reader sees it.
fn toml_type(ty: &str) -> String {
    let inner = ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')).unwrap_or(ty);
    match inner {
        "bool" => "boolean".into(),
        "f64" => "float".into(),
        "usize" | "u32" | "u64" => "integer".into(),
        "String" => "string".into(),
        "Vec<String>" => "array of strings".into(),
        "Vec<f64>" => "array of floats".into(),
        "Vec<usize>" | "Vec<u32>" | "Vec<u64>" => "array of integers".into(),
        "Vec<PathBuf>" => "array of paths".into(),
        "AlphaAxis" => "string \"LO:HI:K\" or array of floats".into(),
        "Entries" => "string".into(),
        "ProblemSpec" => "table [problem]".into(),
        "GenGrid" => "table [problem.generate]".into(),
        "Axes" => "table [axes]".into(),
        "StopSpec" => "table [stop]".into(),
        "RecordSpec" => "table [record]".into(),
        other => other.into(),
    }
}

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(root.join("src/sweep/spec.rs")).unwrap();
    let stop = ibias::sweep::StopSpec::default();
    let mut md = String::from(
        "# Sweep specifications: the TOML schema\n\n\
         <!-- Generated from the types in src/sweep/spec.rs by tests/it/schema.rs; do not edit by hand:\n     \
         IBIAS_BLESS=1 cargo test --release schema -->\n\n\
         A sweep specification is a TOML file read by `ibias sweep plan|run|sbatch SPEC` and by Python's\n\
         `ibias.sweep_plan/sweep_run`. Unknown keys and empty axes are errors that name the key; relative paths\n\
         are resolved against the spec's folder. Every run of the grid is compared with its own exact limit\n\
         (docs/SPEC.md §10). Examples: `examples/sweep-small.toml`, `examples/woodworth-fig1c.toml`.\n",
    );
    for (name, table, what) in SECTIONS {
        md.push_str(&format!("\n## {table}\n\n{}{}.\n\n", what[..1].to_uppercase(), &what[1..]));
        md.push_str("| key | type | required | meaning |\n|---|---|---|---|\n");
        for f in fields(&src, name) {
            let default = match (name, f.key.as_str()) {
                ("StopSpec", "tol") => format!(" (default {:e})", stop.tol),
                ("StopSpec", "max_iter") => format!(" (default {})", stop.max_iter),
                ("StopSpec", "max_seconds") => format!(" (default {})", stop.max_seconds),
                ("RecordSpec", _) => " (default false)".into(),
                _ => String::new(),
            };
            md.push_str(&format!(
                "| `{}` | {} | {} | {}{} |\n",
                f.key,
                f.ty,
                if f.required { "yes" } else { "no" },
                f.doc.replace('|', "\\|"),
                default
            ));
        }
    }
    md
}

#[test]
fn the_spec_schema_is_generated_from_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sweep-spec.md");
    let now = generate();
    if std::env::var_os("IBIAS_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == now,
        "docs/sweep-spec.md is out of date with src/sweep/spec.rs: IBIAS_BLESS=1 cargo test --release schema"
    );
    // The types hold what the parser takes: each section's keys are accepted, an unknown one refused.
    let base = "[problem]\npreset = \"ex2\"\nseeds = [0]\n[axes]\nmethod = [\"bregman\"]\nalpha = [1.0]\n";
    ibias::sweep::SweepSpec::from_toml(base).unwrap();
    for (table, extra) in [("[stop]", "tol = 1e-20\nmax_iter = 5\nmax_seconds = 9.0\n"), ("[record]", "w = true\n")] {
        ibias::sweep::SweepSpec::from_toml(&format!("{base}{table}\n{extra}")).unwrap();
        let e = ibias::sweep::SweepSpec::from_toml(&format!("{base}{table}\nnot_a_key = 1\n")).unwrap_err();
        assert!(e.to_string().contains("not_a_key"), "{e}");
    }
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("docs/sweep-spec.md"), "the README links the schema");
}
