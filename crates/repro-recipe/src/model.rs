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
    /// The artifact does not depend on the target (BinaryBuilder's `AnyPlatform()`: headers,
    /// data): built once, on the recipe's one platform, and installed for every target that
    /// depends on it.
    pub platform_independent: bool,
    /// Recipe-specific normalization rules.
    pub normalize: NormalizeConfig,
}

/// `major.minor.patch`. Serializes as the string `"1.2.3"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for Version {
    type Err = String;

    /// Parses strict `major.minor.patch` (no leading zeros, no suffixes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::validate::version(s).map_err(|r| r.message)
    }
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

/// One `[[dependencies]]` entry: what the build needs, how to get it, and how it is used.
///
/// Where it comes from is [`Dependency::source`]: a JLL package by [`Dependency::name`]
/// (resolved through a recipe index and then a JLL registry), a local recipe, or a prebuilt
/// artifact tarball. How it is used is [`Dependency::kind`], as in BinaryBuilder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dependency {
    /// The package name (`Ogg_jll`); required when the source is [`DependencySource::Jll`].
    /// A name `Foo_jll` resolves to the recipe named `Foo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kind: DependencyKind,
    #[serde(flatten)]
    pub source: DependencySource,
    /// A Pkg compat specification the resolved version must satisfy (`"1.3"`, `"~1.2, 2"`);
    /// parse it with [`crate::compat::VersionSpec`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compat: Option<String>,
    /// Target triplets this dependency applies to; `None` means every target. A filter entry
    /// matches a target as Pkg's `platforms_match` does (tags absent on one side are ignored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
}

/// How a dependency is used, with BinaryBuilder's names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum DependencyKind {
    /// Installed into `${prefix}` for the build; also a run-time dependency of the result.
    #[default]
    Dependency,
    /// Installed into `${prefix}` for the build only.
    BuildDependency,
    /// Built for the host platform and installed into `${host_prefix}` for the build only.
    HostBuildDependency,
    /// Not installed for the build; recorded as a run-time dependency.
    RuntimeDependency,
}

/// Where a dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum DependencySource {
    /// By [`Dependency::name`] only: a recipe of that name in the recipe index, else the JLL's
    /// `Artifacts.toml` in a JLL registry.
    Jll,
    /// Another recipe, by path relative to this one.
    Recipe { path: String },
    /// A prebuilt artifact tarball pinned by sha256, and optionally by the `git-tree-sha1` of its
    /// unpacked tree.
    Artifact {
        url: String,
        sha256: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        git_tree_sha1: Option<String>,
    },
}

impl DependencyKind {
    /// All kinds, in declaration order.
    pub const ALL: [DependencyKind; 4] = [
        DependencyKind::Dependency,
        DependencyKind::BuildDependency,
        DependencyKind::HostBuildDependency,
        DependencyKind::RuntimeDependency,
    ];

    /// The name as written in recipes and in BinaryBuilder (`"HostBuildDependency"`).
    pub fn as_str(self) -> &'static str {
        match self {
            DependencyKind::Dependency => "Dependency",
            DependencyKind::BuildDependency => "BuildDependency",
            DependencyKind::HostBuildDependency => "HostBuildDependency",
            DependencyKind::RuntimeDependency => "RuntimeDependency",
        }
    }

    /// Whether the dependency is unpacked before the build (all kinds but `RuntimeDependency`).
    pub fn is_installed(self) -> bool {
        self != DependencyKind::RuntimeDependency
    }

    /// Whether it is built for (and installed into the prefix of) the host platform.
    pub fn is_host(self) -> bool {
        self == DependencyKind::HostBuildDependency
    }
}

impl fmt::Display for DependencyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DependencyKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        DependencyKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            format!(
                "{s:?} is not a dependency kind (expected one of {})",
                DependencyKind::ALL.map(|k| k.as_str()).join(", ")
            )
        })
    }
}

impl Dependency {
    /// A [`DependencyKind::Dependency`] on the JLL package `name`, on every platform.
    pub fn jll(name: impl Into<String>) -> Dependency {
        Dependency {
            name: Some(name.into()),
            kind: DependencyKind::Dependency,
            source: DependencySource::Jll,
            compat: None,
            platforms: None,
        }
    }

    /// A [`DependencyKind::Dependency`] on the recipe at `path` (relative to this recipe).
    pub fn recipe(path: impl Into<String>) -> Dependency {
        Dependency {
            name: None,
            kind: DependencyKind::Dependency,
            source: DependencySource::Recipe { path: path.into() },
            compat: None,
            platforms: None,
        }
    }

    /// A [`DependencyKind::Dependency`] on a prebuilt artifact tarball.
    pub fn artifact(url: impl Into<String>, sha256: impl Into<String>) -> Dependency {
        Dependency {
            name: None,
            kind: DependencyKind::Dependency,
            source: DependencySource::Artifact {
                url: url.into(),
                sha256: sha256.into(),
                git_tree_sha1: None,
            },
            compat: None,
            platforms: None,
        }
    }

    /// A short label for messages: the name, else the recipe path or artifact URL.
    pub fn label(&self) -> &str {
        if let Some(name) = &self.name {
            return name;
        }
        match &self.source {
            DependencySource::Recipe { path } => path,
            DependencySource::Artifact { url, .. } => url,
            DependencySource::Jll => "",
        }
    }
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

impl Source {
    /// The name this source takes directly in `srcdir`, for file and git sources: the file name
    /// (`filename`, or the URL's last component) or the checkout directory (`unpack_target`, or
    /// the repository name without `.git`). `None` for archives and directories, which unpack
    /// their contents into `srcdir[/target]`.
    pub fn dest_name(&self) -> Option<String> {
        match self {
            Source::File { url, filename, .. } => Some(
                filename.clone().unwrap_or_else(|| crate::validate::url_basename(url).to_owned()),
            ),
            Source::Git { url, unpack_target, .. } => Some(
                unpack_target
                    .clone()
                    .unwrap_or_else(|| crate::validate::git_dir_name(url).to_owned()),
            ),
            Source::Archive { .. } | Source::Directory { .. } => None,
        }
    }

    /// The URL or path as written in the recipe (`directory` path for directory sources).
    pub fn location(&self) -> &str {
        match self {
            Source::Archive { url, .. } | Source::File { url, .. } | Source::Git { url, .. } => url,
            Source::Directory { path, .. } => path,
        }
    }

    /// `archive`, `file`, `git` or `directory`: the recipe key naming this kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Archive { .. } => "archive",
            Source::File { .. } => "file",
            Source::Git { .. } => "git",
            Source::Directory { .. } => "directory",
        }
    }
}

impl Product {
    /// The variable name the product is known by (a Julia identifier).
    pub fn variable(&self) -> &str {
        match self {
            Product::Library { variable, .. }
            | Product::Executable { variable, .. }
            | Product::File { variable, .. } => variable,
        }
    }

    /// `library`, `executable` or `file`: the recipe key naming this kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Product::Library { .. } => "library",
            Product::Executable { .. } => "executable",
            Product::File { .. } => "file",
        }
    }

    /// The variable a product gets when the recipe does not set one: its first name (or the
    /// file's base name) with characters invalid in an identifier replaced by `_`.
    pub fn default_variable(&self) -> String {
        match self {
            Product::Library { names, .. } | Product::Executable { names, .. } => {
                crate::validate::to_identifier(names.first().map_or("", String::as_str))
            }
            Product::File { path, .. } => Product::default_file_variable(path),
        }
    }

    /// The default variable of a file product at `path`.
    pub fn default_file_variable(path: &str) -> String {
        crate::validate::to_identifier(path.rsplit('/').next().unwrap_or(path))
    }

    /// The directory (relative to the prefix) searched for the product: `dir`, else `lib` for
    /// libraries and `bin` for executables. `None` for file products (their path is complete).
    pub fn search_dir(&self) -> Option<&str> {
        match self {
            Product::Library { dir, .. } => Some(dir.as_deref().unwrap_or("lib")),
            Product::Executable { dir, .. } => Some(dir.as_deref().unwrap_or("bin")),
            Product::File { .. } => None,
        }
    }
}
