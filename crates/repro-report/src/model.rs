//! The report model, schema `repro-report/1`.
//!
//! One [`Report`] describes the comparison of two artifacts (side `a` and side `b`). The
//! differ fills [`Report::files`], [`Report::summary`], [`Report::normalizations`] and
//! [`Report::truncated`]; the check and explain flows add the optional [`CheckSection`] and
//! [`ExplainSection`]. Field names are the JSON names; `docs/report.md` and
//! `docs/report.schema.json` document them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The schema identifier written in every report.
pub const SCHEMA: &str = "repro-report/1";

/// A complete report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// `reproducible` when, after the listed normalizations, every file's bytes, type, owner-x
    /// bit and symlink target are equal and no comparison failed.
    pub verdict: Verdict,
    /// Count of paths per status (identical paths are counted but not listed in `files`).
    pub summary: Summary,
    /// The two compared inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Inputs>,
    /// Every normalization rule that touched something, with the paths it touched.
    pub normalizations: Vec<Normalization>,
    /// Every path that is not `identical`, sorted by path (at most `max_reported_files`; the
    /// rest are counted in `omitted`).
    pub files: Vec<FileReport>,
    /// Paths counted in `summary` but left out of `files` because the report hit its cap on
    /// listed paths (per status; absent when nothing was left out).
    #[serde(default, skip_serializing_if = "Summary::is_zero")]
    pub omitted: Summary,
    /// Where a bound was hit (diff lines, report size, archive depth, decompressed size...).
    pub truncated: Vec<Truncation>,
    /// Filled by `repro check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckSection>,
    /// Filled by `repro explain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<ExplainSection>,
    /// Filled by `repro verify`: the rebuild against a published record. When present, `files`
    /// compare the published tree (`a`) with the rebuilt one (`b`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifySection>,
}

impl Report {
    /// An empty, reproducible report (no files); the differ fills it.
    pub fn new() -> Self {
        Report {
            schema: SCHEMA.to_owned(),
            verdict: Verdict::Reproducible,
            summary: Summary::default(),
            inputs: None,
            normalizations: Vec::new(),
            files: Vec::new(),
            omitted: Summary::default(),
            truncated: Vec::new(),
            check: None,
            explain: None,
            verify: None,
        }
    }

    /// Recompute `verdict` from `files` (call after editing `files`). `summary.identical` is
    /// kept (identical paths are not listed), all other counts are recounted.
    pub fn finalize(&mut self) {
        let identical = self.summary.identical;
        let mut s = Summary { identical, ..self.omitted.clone() };
        for f in &self.files {
            s.add(f.status);
            if f.error.is_some() {
                s.errors += 1;
            }
        }
        s.total = s.identical
            + s.differs
            + s.only_in_a
            + s.only_in_b
            + s.type_changed
            + s.mode_changed
            + s.symlink_changed
            + s.normalized;
        self.summary = s;
        self.verdict = if self.files.iter().any(|f| f.status.is_difference())
            || self.omitted.differences() > 0
        {
            Verdict::Unreproducible
        } else {
            Verdict::Reproducible
        };
    }

    /// True when the verdict is `reproducible`.
    pub fn is_reproducible(&self) -> bool {
        self.verdict == Verdict::Reproducible
    }
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Reproducible,
    Unreproducible,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Reproducible => "reproducible",
            Verdict::Unreproducible => "unreproducible",
        })
    }
}

/// Per-path status.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Same type, bytes, owner-x bit and symlink target.
    Identical,
    /// Regular files (or archive metadata) whose bytes differ.
    Differs,
    /// Present only in `a`.
    OnlyInA,
    /// Present only in `b`.
    OnlyInB,
    /// Different entry types (file, directory, symlink).
    TypeChanged,
    /// Same bytes, different owner-x bit.
    ModeChanged,
    /// Symlinks with different targets.
    SymlinkChanged,
    /// Differed only in what a normalization rule declares benign (see `rules`).
    Normalized,
}

impl Status {
    /// All statuses, in display order.
    pub const ALL: [Status; 8] = [
        Status::Differs,
        Status::OnlyInA,
        Status::OnlyInB,
        Status::TypeChanged,
        Status::ModeChanged,
        Status::SymlinkChanged,
        Status::Normalized,
        Status::Identical,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Identical => "identical",
            Status::Differs => "differs",
            Status::OnlyInA => "only_in_a",
            Status::OnlyInB => "only_in_b",
            Status::TypeChanged => "type_changed",
            Status::ModeChanged => "mode_changed",
            Status::SymlinkChanged => "symlink_changed",
            Status::Normalized => "normalized",
        }
    }

    /// True for statuses that make a report unreproducible.
    pub fn is_difference(self) -> bool {
        !matches!(self, Status::Identical | Status::Normalized)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Count of paths per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// All compared paths (after dropping rules such as `logs`).
    pub total: u64,
    pub identical: u64,
    pub differs: u64,
    pub only_in_a: u64,
    pub only_in_b: u64,
    pub type_changed: u64,
    pub mode_changed: u64,
    pub symlink_changed: u64,
    pub normalized: u64,
    /// Files whose detailed comparison hit an error (they keep their status).
    pub errors: u64,
}

impl Summary {
    /// True when every count is zero.
    pub fn is_zero(&self) -> bool {
        *self == Summary::default()
    }

    /// Paths counted per status (identical included; `total` itself not added).
    pub fn total_listed(&self) -> u64 {
        self.identical + self.differences() + self.normalized
    }

    /// Paths whose status is a difference (not identical, not normalized).
    pub fn differences(&self) -> u64 {
        self.differs
            + self.only_in_a
            + self.only_in_b
            + self.type_changed
            + self.mode_changed
            + self.symlink_changed
    }

    /// Count one path of `status`.
    pub fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }

    /// The count of `status`.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Identical => self.identical,
            Status::Differs => self.differs,
            Status::OnlyInA => self.only_in_a,
            Status::OnlyInB => self.only_in_b,
            Status::TypeChanged => self.type_changed,
            Status::ModeChanged => self.mode_changed,
            Status::SymlinkChanged => self.symlink_changed,
            Status::Normalized => self.normalized,
        }
    }

    fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Identical => &mut self.identical,
            Status::Differs => &mut self.differs,
            Status::OnlyInA => &mut self.only_in_a,
            Status::OnlyInB => &mut self.only_in_b,
            Status::TypeChanged => &mut self.type_changed,
            Status::ModeChanged => &mut self.mode_changed,
            Status::SymlinkChanged => &mut self.symlink_changed,
            Status::Normalized => &mut self.normalized,
        }
    }
}

/// The two compared inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Inputs {
    pub a: Input,
    pub b: Input,
}

/// One compared input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Input {
    /// As given on the command line (or by the flow).
    pub path: String,
    /// `directory`, `tarball` or `file`.
    pub kind: String,
    /// sha256 of the input file (tarballs and single files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One normalization rule and what it touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Normalization {
    /// `logs`, `tar-metadata`, `empty-directories`, a recipe rule's name, or `ignore:<glob>`.
    pub rule: String,
    /// What the rule declares benign.
    pub description: String,
    /// Number of paths touched (may exceed `paths.len()` when the list was capped).
    pub count: u64,
    /// The touched paths (sorted; capped, see `truncated`).
    pub paths: Vec<String>,
}

/// Entry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    File,
    Directory,
    Symlink,
    /// A device node or FIFO inside a tarball (compared as metadata, never created).
    Special,
}

impl fmt::Display for EntryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryType::File => "file",
            EntryType::Directory => "directory",
            EntryType::Symlink => "symlink",
            EntryType::Special => "special",
        })
    }
}

/// One non-identical path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileReport {
    /// Path relative to the artifact root, `/`-separated.
    pub path: String,
    pub status: Status,
    /// Entry type (of `a` when present, else of `b`).
    pub kind: EntryType,
    /// Entry type of `b` when it differs from `kind` (`type_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind_b: Option<EntryType>,
    /// Detected content format (`elf`, `gzip`, `tar`, `ar`, `zip`, `text`, `binary`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub size_a: Option<u64>,
    pub size_b: Option<u64>,
    pub sha256_a: Option<String>,
    pub sha256_b: Option<String>,
    /// Owner-x bit on each side (regular files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable_a: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable_b: Option<bool>,
    /// Symlink targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_a: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_b: Option<String>,
    /// Probable causes, most specific first.
    pub causes: Vec<Cause>,
    /// Normalization rules that declared this path's differences benign (`normalized`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// What differs, as a tree of nodes (archive members, ELF sections, diffs, hexdumps).
    pub details: Vec<Detail>,
    /// The detailed comparison failed (corrupt archive, limit...); the status still stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileReport {
    /// A report for `path` with `status`, everything else empty.
    pub fn new(path: impl Into<String>, status: Status, kind: EntryType) -> Self {
        FileReport {
            path: path.into(),
            status,
            kind,
            kind_b: None,
            format: None,
            size_a: None,
            size_b: None,
            sha256_a: None,
            sha256_b: None,
            executable_a: None,
            executable_b: None,
            target_a: None,
            target_b: None,
            causes: Vec::new(),
            rules: Vec::new(),
            details: Vec::new(),
            error: None,
        }
    }
}

/// Cause names, following the reproducible-builds notes vocabulary where one exists.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// Embedded dates or times (epochs, ISO dates, `__DATE__`/`__TIME__` strings).
    Timestamps,
    /// Build directory paths (`/tmp/...`, `/workspace/...`, home directories).
    BuildPath,
    /// The build host's name.
    Hostname,
    /// The building user's name.
    Username,
    /// A value of another varied setting (see `variation`).
    Environment,
    /// The same lines or members in another order.
    OrderingOnly,
    /// Member mtimes in a tar archive.
    TimestampsInTarball,
    /// Member owners (uid/gid, user/group names) in a tar archive.
    UsersAndGroupsInTarball,
    /// The mtime in a gzip header.
    TimestampsInGzipHeaders,
    /// Member mtimes (or owners) in an `ar` static library.
    TimestampsInStaticLibrary,
    /// Member timestamps in a zip/jar archive.
    TimestampsInZip,
    /// The ELF differs only in its `.note.gnu.build-id`.
    BuildIdOnly,
    /// Permission bits only.
    Umask,
    /// Random-looking bytes with no other explanation.
    Random,
}

impl CauseKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::Timestamps => "timestamps",
            CauseKind::BuildPath => "build_path",
            CauseKind::Hostname => "hostname",
            CauseKind::Username => "username",
            CauseKind::Environment => "environment",
            CauseKind::OrderingOnly => "ordering_only",
            CauseKind::TimestampsInTarball => "timestamps_in_tarball",
            CauseKind::UsersAndGroupsInTarball => "users_and_groups_in_tarball",
            CauseKind::TimestampsInGzipHeaders => "timestamps_in_gzip_headers",
            CauseKind::TimestampsInStaticLibrary => "timestamps_in_static_library",
            CauseKind::TimestampsInZip => "timestamps_in_zip",
            CauseKind::BuildIdOnly => "build_id_only",
            CauseKind::Umask => "umask",
            CauseKind::Random => "random",
        }
    }
}

impl fmt::Display for CauseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a cause hint is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// A probable cause with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cause {
    pub cause: CauseKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    pub evidence: Evidence,
    /// The varied setting this cause is attributed to (e.g. `hostname`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<String>,
}

/// Where a cause was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Byte offset in the (innermost) file of side `a` (or `b` when `a` has no such byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The matched text or bytes on side `a` (printable rendering).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The corresponding text on side `b`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_b: Option<String>,
    /// Where inside the file: `line 12`, `section .rodata`, `member foo.o`, `gzip header`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A node of the difference tree (maps one to one onto diffoscope's JSON nodes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Detail {
    /// What this node compares: `member lib/libfoo.so`, `section .text`, `gzip header`,
    /// `hexdump`, `text`, `tar listing`...
    pub title: String,
    /// A unified diff (text or hexdump lines), possibly truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unified_diff: Option<String>,
    /// Free-form remarks (`ordering differences only`, `differing byte ranges: 3`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
    /// Differing byte ranges (binary comparisons; capped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<ByteRange>,
    /// Nested nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Detail>,
}

impl Detail {
    /// A node with a title only.
    pub fn new(title: impl Into<String>) -> Self {
        Detail { title: title.into(), ..Detail::default() }
    }

    /// Approximate serialized size, used to enforce report size bounds.
    pub fn approx_size(&self) -> usize {
        self.title.len()
            + self.unified_diff.as_ref().map_or(0, String::len)
            + self.comments.iter().map(String::len).sum::<usize>()
            + self.ranges.len() * 32
            + self.children.iter().map(Detail::approx_size).sum::<usize>()
            + 16
    }
}

/// A half-open range `[start, end)` of differing bytes, in side `a`'s offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// A bound that was hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Truncation {
    /// The path concerned (absent for report-wide bounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The limit's name (`max_diff_lines`, `max_report_bytes`, `max_archive_depth`,
    /// `max_decompressed_bytes`, `max_archive_members`, `text_diff_deadline`, ...).
    pub limit: String,
    /// What was left out.
    pub message: String,
}

// ---------------------------------------------------------------------------------------------
// Optional sections filled by other flows.

/// `repro check`: what was built, where, how, and what came out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckSection {
    pub recipe: RecipeInfo,
    /// The pinned build image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    /// Source identities (verified before the builds).
    #[serde(default)]
    pub sources: Vec<SourceInfo>,
    /// The builds, usually `a` (control) and `b` (experiment).
    #[serde(default)]
    pub builds: Vec<BuildInfo>,
    /// Variation names applied between the builds.
    #[serde(default)]
    pub variations_applied: Vec<String>,
    /// Variations requested but not applied, and why.
    #[serde(default)]
    pub variations_not_applied: Vec<NotApplied>,
    /// The builds could reach the network (the recipe sets `network = true`); otherwise they
    /// ran with networking disabled.
    #[serde(default)]
    pub network: bool,
    /// Every dependency of the recipe for this target (direct and transitive), how it was
    /// resolved and its tree hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<DependencyInfo>,
    /// Files that came from a dependency and that a build changed: they stay in the artifact
    /// (unchanged dependency files are removed after the build).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_files_changed: Vec<String>,
}

/// One dependency of a build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DependencyInfo {
    /// The JLL name as the recipe gives it (`Ogg_jll`).
    pub name: String,
    /// `dependency`, `build-dependency`, `host-build-dependency` or `runtime-dependency`.
    pub kind: String,
    /// The platform the dependency was resolved for (the host's for host build dependencies).
    pub target: String,
    /// `recipe` (built by repro), `artifact` (a prebuilt tarball) or `jll` (a JLL registry's
    /// `Artifacts.toml`); `not-installed` for runtime dependencies.
    pub resolved: String,
    /// The recipe path, the tarball URL, or the `Artifacts.toml` that gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Julia's `git-tree-sha1` of the installed tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_tree_sha1: Option<String>,
    /// sha256 of the tarball.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Names of the dependencies that need this one (empty for a direct dependency).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_by: Vec<String>,
    /// Taken from the dependency cache rather than built or fetched in this run.
    #[serde(default)]
    pub cached: bool,
    /// With `check --deps`: whether this dependency itself builds reproducibly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproducible: Option<bool>,
    /// With `check --deps`: the files that differ between its two builds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differing: Vec<String>,
}

/// Recipe identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecipeInfo {
    pub name: String,
    pub version: String,
    /// sha256 of the recipe file.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Build image identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageInfo {
    /// Local tag or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Content digest (`sha256:...`).
    pub digest: String,
}

/// A source and its verified identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourceInfo {
    /// URL or path as written in the recipe.
    pub source: String,
    /// sha256 (archives, files) or git commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// One build of a check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BuildInfo {
    /// `a`, `b`, `control`, `explain:time`...
    pub label: String,
    pub success: bool,
    /// Wall time in seconds.
    pub duration_secs: f64,
    /// Values of each variation in this build (`hostname` -> `repro-exp-host`, ...).
    #[serde(default)]
    pub variations: BTreeMap<String, String>,
    /// The build's environment variables (as passed to the script).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// The packed artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<ArtifactInfo>,
    /// Why the build failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Artifact identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArtifactInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// sha256 of the tarball.
    pub sha256: String,
    /// Julia/Pkg `git-tree-sha1` of the unpacked tree.
    pub git_tree_sha1: String,
}

/// A variation that was requested but not applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotApplied {
    pub variation: String,
    pub reason: String,
}

/// `repro explain`: which variation makes which file differ.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExplainSection {
    /// One entry per build run against the control.
    #[serde(default)]
    pub runs: Vec<VariationRun>,
    /// Per differing file: the variations that trigger it.
    #[serde(default)]
    pub files: Vec<ExplainFile>,
    /// Files that differ even when nothing is varied (nondeterminism independent of the
    /// environment: parallelism races, randomness).
    #[serde(default)]
    pub differ_without_variation: Vec<String>,
}

/// One explain build: the variations it changed and its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VariationRun {
    /// Varied settings (empty: a repeat of the control).
    pub variations: Vec<String>,
    pub reproducible: bool,
    /// Paths that differed from the control.
    #[serde(default)]
    pub differing: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The variations that make one file differ.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExplainFile {
    pub path: String,
    pub variations: Vec<String>,
}

/// `repro verify`: a rebuild compared with a published `Artifacts.toml` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VerifySection {
    pub verdict: VerifyVerdict,
    /// Why the verdict is `mismatch` or `not_rebuildable`, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The target triplet rebuilt.
    pub platform: String,
    /// The published entry.
    pub record: RecordInfo,
    /// The rebuilt artifact (absent when the build could not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebuilt: Option<ArtifactInfo>,
    /// Rebuilt `git-tree-sha1` equals the record's (what Pkg checks on install).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_tree_sha1_match: Option<bool>,
    /// Rebuilt tarball sha256 equals the record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256_match: Option<bool>,
    /// The published tarball, when it was looked for (on any difference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<PublishedInfo>,
    /// Remarks (a sha256-only difference, a record without URL, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The verdict of `repro verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyVerdict {
    /// The rebuild's `git-tree-sha1` equals the record's, and so does the tarball's sha256 (or
    /// the published tarball was fetched and holds exactly the rebuilt tree).
    Verified,
    /// The rebuild differs from the record.
    Mismatch,
    /// The recipe could not be rebuilt here (see `reason`).
    NotRebuildable,
}

impl VerifyVerdict {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyVerdict::Verified => "verified",
            VerifyVerdict::Mismatch => "mismatch",
            VerifyVerdict::NotRebuildable => "not_rebuildable",
        }
    }
}

impl fmt::Display for VerifyVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The entry of a published record that was verified.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordInfo {
    /// The `Artifacts.toml` path or URL.
    pub source: String,
    /// The artifact name (`[[Name]]`).
    pub name: String,
    /// The entry's platform keys (`arch=x86_64, libc=glibc, os=linux`).
    pub entry: String,
    pub git_tree_sha1: String,
    /// sha256 of the first download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// URL of the first download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The published tarball, fetched to compare it with the rebuild.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublishedInfo {
    pub url: String,
    /// True when bytes matching the record's sha256 were found.
    pub fetched: bool,
    /// Where they came from (`cache`, `mirror`, `network`, `local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `git-tree-sha1` of the published tarball's contents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_tree_sha1: Option<String>,
    /// Why it could not be fetched or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
