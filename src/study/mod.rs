//! The studies: each one file, a typed configuration with defaults (validated once) and a `run` that
//! returns typed results and a report [`Section`]. One list ([`registry`]) generates the report's
//! configuration, the `ibias <study>` subcommands and the report's order: a new study is one file plus
//! one line there.

pub mod artefact;
pub mod classification;
pub mod depth;
pub mod ex1;
pub mod ex2;
pub mod ex3;
pub mod matrices;
pub mod ridgeflow;
pub mod saddle;
pub mod shape;
pub mod stepsize;
pub mod timeavg;
pub mod woodworth;

pub use artefact::{Cell, Column, Figure, Fmt, Section, Series, Style, Table};

use crate::control::ProgressFn;
use crate::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A study of the report.
pub trait Study: Sync + 'static {
    /// Its configuration (every field has a default; unknown TOML keys are errors).
    type Config: Serialize + DeserializeOwned + Default + Validate + Clone + Send + Sync;
    /// Its typed results.
    type Output: Serialize;
    /// Key: the TOML section, the subcommand and the HTML id (`ex1`).
    const KEY: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// Runs the study.
    fn run(cfg: &Self::Config, progress: ProgressFn<'_>) -> Result<(Self::Output, Section)>;
}

/// Validation of a configuration, once, before anything is computed.
pub trait Validate {
    /// Checks every field (range, non-empty); errors name the field as `[key] field`.
    fn validate(&self) -> Result<()>;
}

/// A study behind a uniform interface (configuration as TOML, results as JSON).
pub trait DynStudy: Sync {
    /// Key.
    fn key(&self) -> &'static str;
    /// One line for `--help`.
    fn about(&self) -> &'static str;
    /// The default configuration as a TOML table.
    fn default_config(&self) -> toml::Table;
    /// Parses and validates a configuration section (missing fields keep their defaults).
    fn check_config(&self, section: &toml::Table) -> Result<toml::Table>;
    /// Runs with a validated configuration section.
    fn run(&self, section: &toml::Table, progress: ProgressFn<'_>) -> Result<(serde_json::Value, Section)>;
}

struct Erased<S: Study>(std::marker::PhantomData<S>);

impl<S: Study> Erased<S> {
    fn parse(section: &toml::Table) -> Result<S::Config> {
        let cfg: S::Config = toml::Value::Table(section.clone())
            .try_into()
            .map_err(|e: toml::de::Error| Error::param(format!("[{}]", S::KEY), e.message().to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }
}

fn to_table<T: Serialize>(v: &T) -> toml::Table {
    toml::Table::try_from(v).unwrap_or_default()
}

impl<S: Study> DynStudy for Erased<S> {
    fn key(&self) -> &'static str {
        S::KEY
    }
    fn about(&self) -> &'static str {
        S::ABOUT
    }
    fn default_config(&self) -> toml::Table {
        to_table(&S::Config::default())
    }
    fn check_config(&self, section: &toml::Table) -> Result<toml::Table> {
        Ok(to_table(&Self::parse(section)?))
    }
    fn run(&self, section: &toml::Table, progress: ProgressFn<'_>) -> Result<(serde_json::Value, Section)> {
        let cfg = Self::parse(section)?;
        let (out, mut sec) = S::run(&cfg, progress)?;
        sec.key = S::KEY.into();
        let json = serde_json::to_value(&out).map_err(|e| Error::Numerical(format!("encoding results: {e}")))?;
        Ok((json, sec))
    }
}

/// Every study, in report order.
pub fn registry() -> &'static [&'static dyn DynStudy] {
    static LIST: &[&dyn DynStudy] = &[
        &Erased::<ex1::Ex1>(std::marker::PhantomData),
        &Erased::<ex2::Ex2>(std::marker::PhantomData),
        &Erased::<ex3::Ex3>(std::marker::PhantomData),
        &Erased::<saddle::Saddle>(std::marker::PhantomData),
        &Erased::<depth::Depth>(std::marker::PhantomData),
        &Erased::<shape::Shape>(std::marker::PhantomData),
        &Erased::<woodworth::Woodworth>(std::marker::PhantomData),
        &Erased::<stepsize::StepSize>(std::marker::PhantomData),
        &Erased::<ridgeflow::RidgeFlow>(std::marker::PhantomData),
        &Erased::<timeavg::TimeAvg>(std::marker::PhantomData),
        &Erased::<classification::Classification>(std::marker::PhantomData),
        &Erased::<matrices::Matrices>(std::marker::PhantomData),
    ];
    LIST
}

/// The study with this key.
pub fn find(key: &str) -> Option<&'static dyn DynStudy> {
    registry().iter().copied().find(|s| s.key() == key)
}

/// The configuration of a set of studies: one validated TOML section per study key.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    sections: toml::Table,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sections: registry()
                .iter()
                .map(|s| (s.key().to_string(), toml::Value::Table(s.default_config())))
                .collect(),
        }
    }
}

impl Config {
    /// Parses a TOML configuration: sections named by study keys (unknown sections and keys are errors);
    /// missing fields keep their defaults; every section is validated.
    pub fn from_toml(text: &str) -> Result<Self> {
        let t: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::param("configuration", e.to_string()))?;
        let mut cfg = Config::default();
        for (k, v) in t {
            let study = find(&k).ok_or_else(|| {
                Error::param(
                    format!("[{k}]"),
                    format!(
                        "not a study (the studies are {})",
                        registry().iter().map(|s| s.key()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            let section = v.as_table().ok_or_else(|| Error::param(format!("[{k}]"), "must be a table"))?;
            cfg.sections.insert(k.clone(), toml::Value::Table(study.check_config(section)?));
        }
        Ok(cfg)
    }

    /// Reads a configuration file (see [`Config::from_toml`]).
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml(&text).map_err(|e| match e {
            Error::Param { name, message } => Error::param(format!("{}: {name}", path.display()), message),
            other => other,
        })
    }

    /// Sets one field from the command line or a test (`key`, `field`, TOML value text), validated.
    pub fn set(&mut self, key: &str, field: &str, value: &str) -> Result<()> {
        let text = format!("[{key}]\n{field} = {value}\n");
        let one = Config::from_toml(&text)?;
        let mut section = self.section(key).clone();
        if let Some(v) = one.section(key).get(field) {
            section.insert(field.into(), v.clone());
        }
        let study = find(key).ok_or_else(|| Error::param(key, "not a study"))?;
        self.sections.insert(key.into(), toml::Value::Table(study.check_config(&section)?));
        Ok(())
    }

    /// The section of one study.
    pub fn section(&self, key: &str) -> &toml::Table {
        self.sections.get(key).and_then(|v| v.as_table()).expect("every study has a section")
    }

    /// The typed configuration of study `S`.
    pub fn get<S: Study>(&self) -> Result<S::Config> {
        Erased::<S>::parse(self.section(S::KEY))
    }

    /// The whole configuration as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.sections).unwrap_or_default()
    }
}

/// Checks that a list is non-empty, naming the field.
pub fn non_empty<T>(key: &str, field: &str, v: &[T]) -> Result<()> {
    if v.is_empty() { Err(Error::param(format!("[{key}] {field}"), "must not be empty")) } else { Ok(()) }
}

/// Checks that a number is finite and in `[lo, hi]`, naming the field.
pub fn in_range(key: &str, field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(Error::param(
            format!("[{key}] {field}"),
            format!(
                "must be a finite number in [{}, {}], got {}",
                crate::error::num(lo),
                crate::error::num(hi),
                crate::error::num(v)
            ),
        ))
    }
}

/// Checks that an integer is in `[lo, hi]`, naming the field.
pub fn count_in(key: &str, field: &str, v: usize, lo: usize, hi: usize) -> Result<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::param(format!("[{key}] {field}"), format!("must be in [{lo}, {hi}], got {v}")))
    }
}
