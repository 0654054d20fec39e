//! The validated recipe model (format v1). Produced by [`crate::load`]; no I/O here.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A validated recipe.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recipe {
    /// The recipe file this was read from (as given, not canonicalized).
    pub path: PathBuf,
    /// The directory relative paths in the recipe are resolved against.
    pub dir: PathBuf,
    /// A Julia identifier; names the tarballs (`<name>.v<version>.<target>.tar.gz`).
    pub name: String,
    pub version: Version,
    pub sources: Vec<Source>,
    /// Bash script, run with `-e` from `/workspace/srcdir`.
    pub script: String,
    /// Target triplets, e.g. `x86_64-linux-gnu`.
    pub platforms: Vec<String>,
    pub products: Vec<Product>,
    pub dependencies: Vec<Dependency>,
    /// `SOURCE_DATE_EPOCH` for the build (BinaryBuilder uses 0).
    pub source_date_epoch: i64,
    /// Extra environment variables for the build script.
    pub environment: BTreeMap<String, String>,
    /// Whether the build may reach the network (default false).
    pub network: bool,
    /// Recipe-specific normalization rules.
    pub normalize: NormalizeConfig,
}

/// `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// One `[[sources]]` entry. URLs are `http(s)://`, `file://`, or paths relative to the recipe.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// An archive unpacked into `srcdir[/unpack_target]`.
    Archive { url: String, sha256: String, unpack_target: Option<String> },
    /// A file copied into `srcdir` as `filename` (default: the URL's basename).
    File { url: String, sha256: String, filename: Option<String> },
    /// A git repository checked out at `commit` into `srcdir/<unpack_target or repo name>`.
    Git { url: String, commit: String, unpack_target: Option<String> },
    /// A directory (relative to the recipe) whose contents are copied into `srcdir[/target]`.
    Directory { path: String, target: Option<String> },
}

/// A declared product; checked to exist after the build.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Product {
    /// `lib<name>.so*` (any of `names`) in `dir` (default `lib`).
    Library { names: Vec<String>, variable: String, dir: Option<String> },
    /// An executable `name` in `dir` (default `bin`).
    Executable { names: Vec<String>, variable: String, dir: Option<String> },
    /// A file at `path`, relative to the prefix.
    File { path: String, variable: String },
}

/// A dependency: another recipe, or a prebuilt artifact tarball.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dependency {
    /// Another recipe by path relative to this one.
    Recipe { path: String },
    /// A prebuilt artifact tarball pinned by sha256.
    Artifact { url: String, sha256: String },
}

/// `[normalize]`: recipe-specific rules for the normalizer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NormalizeConfig {
    /// `[[normalize.ignore]]`: paths whose differences are declared benign.
    pub ignore: Vec<IgnoreRule>,
}

/// A named rule declaring differences in matching paths benign.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IgnoreRule {
    /// Rule name, shown in reports.
    pub name: String,
    /// Glob patterns relative to the artifact root (`share/doc/**`).
    pub paths: Vec<String>,
    /// Why the difference is benign (shown in reports).
    pub reason: Option<String>,
}
