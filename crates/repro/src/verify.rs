//! `verify`: rebuild a recipe and compare the artifact with a published `Artifacts.toml` record.
//!
//! In the job-graph terms of the design, `verify` is two nodes:
//!
//! 1. a **build node** ([`rebuild`]): fetch and verify the sources, build once in the pinned
//!    image with the control environment, pack the artifact;
//! 2. a **verify node** ([`compare_with_record`]): compare the artifact's `git-tree-sha1` (what
//!    Pkg checks on install) and tarball sha256 with the record's entry for the platform; on any
//!    difference fetch the published tarball (cache, mirrors, then its URL; verified against the
//!    record's sha256 before use) and diff the published tree (`a`) against the rebuilt one
//!    (`b`), so the report names the differing files and their likely causes.
//!
//! Verdicts: `verified` (tree hashes equal, and the tarball sha256 equal or the published tarball
//! holds exactly the record's tree), `mismatch`, `not_rebuildable` (the platform cannot be built
//! here, the sources cannot be fetched, or the build fails; with the reason).

use std::path::{Path, PathBuf};
use std::time::Duration;

use repro_artifact::{ArtifactEntry, GitTreeHash, PackedArtifact};
use repro_events::{Event, FetchOrigin, Level, Sink};
use repro_recipe::{Recipe, Source};
use repro_report::{
    ArtifactInfo, BuildInfo, CheckSection, ImageInfo, PublishedInfo, RecipeInfo, RecordInfo,
    Report, SourceInfo, Verdict, VerifySection, VerifyVerdict,
};
use repro_sandbox::SandboxError;
use repro_sources::{FetchConfig, Fetcher};

use crate::build::{BuildError, BuildResult, Limits, PreparedRecipe, RunRequest, run_prepared};
use crate::diff::DiffOptions;

/// Largest `Artifacts.toml` read from a URL.
const MAX_RECORD_BYTES: u64 = 16 << 20;

/// What to verify and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The recipe file (or its directory).
    pub recipe: PathBuf,
    /// The record: an `Artifacts.toml`, a directory holding one, or an http(s)/file URL.
    pub against: String,
    /// Target triplet; default: the native target, which the recipe must list.
    pub platform: Option<String>,
    pub fetch: FetchConfig,
    /// Keep srcdir, prefix, the rebuilt artifact and the published tarball in this directory.
    pub keep: Option<PathBuf>,
    pub limits: Limits,
    /// Normalization and diff options of the published-versus-rebuilt comparison.
    pub diff: DiffOptions,
    /// The image lock (default: the target family's pin, see [`crate::build::image_lock_for`]).
    pub image_lock: Option<PathBuf>,
    /// Where dependencies are found, and `--rebuild-deps`.
    pub deps: crate::deps::DepConfig,
    /// Cancels the rebuild (the CLI owns it).
    pub cancel: repro_sandbox::CancellationToken,
}

impl VerifyOptions {
    /// Defaults: native platform, default limits and diff options.
    pub fn new(recipe: PathBuf, against: String, fetch: FetchConfig) -> Self {
        VerifyOptions {
            recipe,
            against,
            platform: None,
            fetch,
            keep: None,
            limits: Limits::default(),
            diff: DiffOptions::default(),
            image_lock: None,
            deps: Default::default(),
            cancel: Default::default(),
        }
    }
}

/// Why `verify` could not produce a verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error(transparent)]
    Recipe(#[from] repro_recipe::RecipeError),
    #[error(transparent)]
    Record(#[from] repro_artifact::ArtifactsTomlError),
    /// The record cannot be read, or has no entry for the recipe and platform.
    #[error("{source_name}: {message}")]
    RecordEntry { source_name: String, message: String },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The build was interrupted (Ctrl-C); its container was removed.
    #[error("interrupted")]
    Interrupted,
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("internal error: {0}")]
    Join(String),
}

impl VerifyError {
    /// True when the user interrupted the build.
    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            VerifyError::Interrupted | VerifyError::Sandbox(SandboxError::Interrupted { .. })
        )
    }
}

/// The result of `verify`.
#[derive(Debug)]
pub struct VerifyOutcome {
    /// The report, with its `verify` section (and a `check` section describing the rebuild).
    pub report: Report,
    /// Where the work was kept (`keep`).
    pub kept: Option<PathBuf>,
}

impl VerifyOutcome {
    /// The verify verdict.
    pub fn verdict(&self) -> VerifyVerdict {
        self.report.verify.as_ref().map_or(VerifyVerdict::NotRebuildable, |v| v.verdict)
    }
}

/// A loaded record: where it came from, its entries, and the base for relative URLs.
#[derive(Debug, Clone)]
pub struct Record {
    /// The path or URL as given (or resolved to the file inside a directory).
    pub source: String,
    pub entries: Vec<ArtifactEntry>,
    /// Directory of a local record (relative download paths resolve against it).
    pub base: PathBuf,
}

impl Record {
    /// The entry of artifact `name` for `target`, or an error listing what the record has.
    pub fn entry(&self, name: &str, target: &str) -> Result<&ArtifactEntry, VerifyError> {
        let named: Vec<&ArtifactEntry> = self.entries.iter().filter(|e| e.name == name).collect();
        let err = |message: String| VerifyError::RecordEntry {
            source_name: self.source.clone(),
            message,
        };
        if named.is_empty() {
            let mut names: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
            names.dedup();
            return Err(err(format!(
                "no entry `[[{name}]]` (the recipe's name); the record has: {}",
                if names.is_empty() { "nothing".to_owned() } else { names.join(", ") }
            )));
        }
        named.iter().find(|e| e.matches_target(target)).copied().ok_or_else(|| {
            err(format!(
                "no `[[{name}]]` entry for {target}; its entries are for: {}",
                named.iter().map(|e| e.platform_label()).collect::<Vec<_>>().join("; ")
            ))
        })
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// Reads a record from a file, a directory holding `Artifacts.toml`, a `file://` URL or an
/// http(s) URL (at most 16 MiB).
pub fn load_record(against: &str) -> Result<Record, VerifyError> {
    let (text, source, base) = if is_url(against) {
        let agent = ureq::Agent::new_with_defaults();
        let fail = |m: String| VerifyError::RecordEntry {
            source_name: against.to_owned(),
            message: format!("cannot download the record: {m}"),
        };
        let mut resp = agent.get(against).call().map_err(|e| fail(e.to_string()))?;
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_RECORD_BYTES)
            .read_to_string()
            .map_err(|e| fail(e.to_string()))?;
        (text, against.to_owned(), std::env::current_dir().unwrap_or_default())
    } else {
        let path = PathBuf::from(against.strip_prefix("file://").unwrap_or(against));
        let file = if path.is_dir() { path.join("Artifacts.toml") } else { path };
        let text = std::fs::read_to_string(&file)
            .map_err(|source| VerifyError::Io { path: file.clone(), source })?;
        let base = file.parent().map(Path::to_owned).unwrap_or_default();
        (text, file.display().to_string(), base)
    };
    let entries = repro_artifact::parse_artifacts_toml(&text, &source)?;
    Ok(Record { source, entries, base })
}

/// The work directory: temporary, or kept.
enum WorkDir {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl WorkDir {
    fn new(keep: Option<&Path>) -> Result<WorkDir, VerifyError> {
        match keep {
            None => tempfile::Builder::new()
                .prefix(&repro_sandbox::gc::temp_prefix("verify"))
                .tempdir()
                .map(WorkDir::Temp)
                .map_err(|source| VerifyError::Io { path: std::env::temp_dir(), source }),
            Some(p) => {
                let nonempty = std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some());
                if nonempty {
                    return Err(VerifyError::Io {
                        path: p.to_owned(),
                        source: std::io::Error::other(
                            "the --keep directory is not empty; give a new or empty directory",
                        ),
                    });
                }
                std::fs::create_dir_all(p)
                    .map_err(|source| VerifyError::Io { path: p.to_owned(), source })?;
                Ok(WorkDir::Kept(p.to_owned()))
            }
        }
    }

    fn path(&self) -> &Path {
        match self {
            WorkDir::Temp(t) => t.path(),
            WorkDir::Kept(p) => p,
        }
    }

    fn kept(&self) -> Option<PathBuf> {
        match self {
            WorkDir::Temp(_) => None,
            WorkDir::Kept(p) => Some(p.clone()),
        }
    }
}

fn recipe_info(recipe: &Recipe) -> RecipeInfo {
    RecipeInfo {
        name: recipe.name.clone(),
        version: recipe.version.to_string(),
        sha256: recipe.recipe_hash(),
        path: Some(recipe.path.display().to_string()),
    }
}

/// The report's record of each verified source (URL or path, sha256, git commit).
pub(crate) fn source_infos(p: &PreparedRecipe) -> Vec<SourceInfo> {
    p.fetched
        .iter()
        .map(|f| {
            let (source, commit) = match &f.source {
                Source::Archive { url, .. } | Source::File { url, .. } => (url.clone(), None),
                Source::Git { url, commit, .. } => (url.clone(), Some(commit.clone())),
                Source::Directory { path, .. } => (path.clone(), None),
            };
            SourceInfo { source, sha256: f.sha256.clone(), commit }
        })
        .collect()
}

fn record_info(record: &Record, entry: &ArtifactEntry) -> RecordInfo {
    RecordInfo {
        source: record.source.clone(),
        name: entry.name.clone(),
        entry: entry.platform_label(),
        git_tree_sha1: entry.git_tree_sha1.to_hex(),
        sha256: entry.downloads.first().map(|d| d.sha256.to_hex()),
        url: entry.downloads.first().and_then(|d| d.url.clone()),
    }
}

/// The outcome of the build node.
pub enum Rebuilt {
    /// The artifact, with the `check` section describing the build.
    Built { result: Box<BuildResult>, section: CheckSection },
    /// The recipe could not be rebuilt here; the section holds what is known.
    NotRebuildable { reason: String, section: CheckSection },
}

/// The build node: fetch, build once with the control environment, pack.
pub async fn rebuild(
    opts: &VerifyOptions,
    recipe: &Recipe,
    target: &str,
    work: &Path,
    sink: &Sink,
) -> Result<Rebuilt, VerifyError> {
    let mut section = CheckSection {
        recipe: recipe_info(recipe),
        network: recipe.network,
        ..CheckSection::default()
    };
    if let Err(why) = repro_recipe::platform::buildable(target) {
        return Ok(Rebuilt::NotRebuildable {
            reason: format!("{target} cannot be built here: {why}"),
            section,
        });
    }
    let srcdir = work.join("srcdir");
    let prepared = {
        let (path, fetch, sink2, srcdir, target) = (
            opts.recipe.clone(),
            opts.fetch.clone(),
            sink.clone(),
            srcdir.clone(),
            target.to_owned(),
        );
        tokio::task::spawn_blocking(move || -> Result<PreparedRecipe, BuildError> {
            let p = crate::build::prepare(&path, Some(&target), &fetch, &sink2)?;
            p.lay_out_srcdir(&srcdir)?;
            Ok(p)
        })
        .await
        .map_err(|e| VerifyError::Join(e.to_string()))?
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(BuildError::Recipe(e)) => return Err(e.into()),
        Err(e) => {
            return Ok(Rebuilt::NotRebuildable {
                reason: format!("the sources cannot be prepared: {}", error_chain(&e)),
                section,
            });
        }
    };
    section.sources = source_infos(&prepared);

    let backend = crate::graph::Backend::docker(opts.image_lock.clone()).await?;
    let image = backend.image_for(&prepared.target).await?;
    sink.emit(Event::Image { message: format!("using pinned image {}", image.id) });
    let ctx = crate::graph::DepContext {
        backend: &backend,
        fetch: &opts.fetch,
        config: &opts.deps,
        limits: opts.limits.clone(),
        jobs: 2,
        cancel: opts.cancel.clone(),
        sink: sink.clone(),
    };
    let deps = match crate::graph::prepare_deps(&prepared.recipe, &prepared.target, &ctx).await {
        Ok(d) => d,
        Err(e) if e.is_interrupted() => return Err(VerifyError::Interrupted),
        Err(e) => {
            return Ok(Rebuilt::NotRebuildable {
                reason: format!("the dependencies cannot be prepared: {}", error_chain(&e)),
                section,
            });
        }
    };
    section.dependencies = deps.infos();
    section.image = Some(ImageInfo {
        reference: Some(image.tag.clone()),
        digest: format!("sha256:{}", image.rootfs_sha256),
    });
    let env = prepared.default_env();
    let req = RunRequest {
        prepared: &prepared,
        srcdir: &srcdir,
        env: env.clone(),
        label: "rebuild".into(),
        image,
        prefix_dir: work.join("prefix"),
        products_dir: work.join("products"),
        limits: opts.limits.clone(),
        installs: deps.installs(),
        cancel: opts.cancel.clone(),
    };
    match run_prepared(backend.runner(), req, sink.clone()).await {
        Ok(result) => {
            section.builds.push(BuildInfo {
                label: result.label.clone(),
                success: true,
                duration_secs: result.output.duration.as_secs_f64(),
                variations: Default::default(),
                environment: result.env.variables(&recipe.name, target),
                artifact: Some(artifact_info(&result)),
                error: None,
            });
            Ok(Rebuilt::Built { result: Box::new(result), section })
        }
        Err(BuildError::Sandbox(e @ SandboxError::Interrupted { .. })) => Err(e.into()),
        Err(e) => {
            let reason = format!("the build failed: {}", error_chain(&e));
            section.builds.push(BuildInfo {
                label: "rebuild".into(),
                success: false,
                environment: env.variables(&recipe.name, target),
                error: Some(reason.clone()),
                ..BuildInfo::default()
            });
            Ok(Rebuilt::NotRebuildable { reason, section })
        }
    }
}

fn artifact_info(r: &BuildResult) -> ArtifactInfo {
    packed_info(&r.tarball)
}

fn packed_info(p: &PackedArtifact) -> ArtifactInfo {
    ArtifactInfo {
        path: Some(p.path.display().to_string()),
        sha256: p.sha256.to_hex(),
        git_tree_sha1: p.git_tree_sha1.to_hex(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

fn origin_name(o: FetchOrigin) -> &'static str {
    match o {
        FetchOrigin::Cache => "cache",
        FetchOrigin::Mirror => "mirror",
        FetchOrigin::Network => "network",
        FetchOrigin::Local => "local",
    }
}

/// The verify node: compares a rebuilt artifact with the record's entry, fetching and diffing
/// the published tarball on any difference. Blocking (call it from a blocking thread).
pub fn compare_with_record(
    rebuilt: &PackedArtifact,
    target: &str,
    record: &Record,
    entry: &ArtifactEntry,
    fetch: &FetchConfig,
    diff: &DiffOptions,
    sink: &Sink,
) -> (Report, VerifySection) {
    let tree_match = rebuilt.git_tree_sha1 == entry.git_tree_sha1;
    let download = entry.downloads.first();
    let sha_match = download.map(|d| d.sha256 == rebuilt.sha256);
    let mut section = VerifySection {
        verdict: VerifyVerdict::Verified,
        reason: None,
        platform: target.to_owned(),
        record: record_info(record, entry),
        rebuilt: Some(packed_info(rebuilt)),
        git_tree_sha1_match: Some(tree_match),
        sha256_match: sha_match,
        published: None,
        notes: Vec::new(),
    };
    let mut report = Report::new();
    if tree_match && sha_match == Some(true) {
        return (report, section);
    }

    // Something differs: look at the published tarball.
    let published = download.map(|d| {
        // Without a URL the tarball can still be found by its sha256 in the cache or a mirror.
        let url = d.url.clone().unwrap_or_else(|| format!("{}.tar.gz", d.sha256));
        sink.emit(Event::Note {
            level: Level::Info,
            message: format!("fetching the published tarball {url}"),
        });
        let fetcher = Fetcher::new(fetch.clone(), sink.clone());
        let mut info = PublishedInfo { url: url.clone(), ..PublishedInfo::default() };
        let mut path = None;
        match fetcher.fetch_file(&url, &d.sha256.to_hex(), &record.base) {
            Ok((p, origin)) => {
                info.fetched = true;
                info.origin = Some(origin_name(origin).to_owned());
                match repro_artifact::tree_hash_tarball(&p) {
                    Ok(h) => {
                        info.git_tree_sha1 = Some(h.git_tree_sha1.to_hex());
                        path = Some((p, h.git_tree_sha1));
                    }
                    Err(e) => info.error = Some(format!("cannot read the published tarball: {e}")),
                }
            }
            Err(e) => info.error = Some(error_chain(&e)),
        }
        (info, path)
    });
    let (pub_info, pub_path) = match published {
        Some((i, p)) => (Some(i), p),
        None => {
            section.notes.push("the record's entry has no download: nothing to fetch".into());
            (None, None)
        }
    };
    section.published = pub_info;

    let published_tree: Option<GitTreeHash> = pub_path.as_ref().map(|(_, h)| *h);
    if let Some((p, _)) = &pub_path {
        match crate::diff::diff_paths(p, &rebuilt.path, diff, sink.clone()) {
            Ok(r) => report = r,
            Err(e) => section.notes.push(format!("cannot compare the trees: {}", error_chain(&e))),
        }
    }

    let published_consistent = published_tree.map(|t| t == entry.git_tree_sha1);
    let (verdict, reason) = match (tree_match, published_consistent) {
        (true, Some(true)) => {
            section.notes.push(
                "the tarballs differ (compression or tar layout) but hold the same tree".into(),
            );
            (VerifyVerdict::Verified, None)
        }
        (true, None) => {
            section.notes.push(
                "the tarball sha256 differs; the published tarball was not available to check \
                 that it holds the recorded tree"
                    .into(),
            );
            (VerifyVerdict::Verified, None)
        }
        (true, Some(false)) => (
            VerifyVerdict::Mismatch,
            Some(
                "the published tarball does not hold the tree its record names (Pkg would refuse \
                 to install it)"
                    .to_owned(),
            ),
        ),
        (false, _) => {
            let n = report.files.iter().filter(|f| f.status.is_difference()).count();
            let mut r = format!(
                "the rebuilt git-tree-sha1 {} differs from the record's {}",
                rebuilt.git_tree_sha1, entry.git_tree_sha1
            );
            if pub_path.is_some() {
                r.push_str(&format!("; {n} path(s) differ from the published tarball"));
            } else {
                r.push_str("; the published tarball was not available to show which files differ");
            }
            (VerifyVerdict::Mismatch, Some(r))
        }
    };
    section.verdict = verdict;
    section.reason = reason;
    if verdict == VerifyVerdict::Mismatch {
        report.verdict = Verdict::Unreproducible;
    }
    (report, section)
}

/// Runs `verify`: load the record, rebuild, compare.
pub async fn verify(opts: &VerifyOptions, sink: Sink) -> Result<VerifyOutcome, VerifyError> {
    let record = {
        let against = opts.against.clone();
        tokio::task::spawn_blocking(move || load_record(&against))
            .await
            .map_err(|e| VerifyError::Join(e.to_string()))??
    };
    let recipe = repro_recipe::load(&opts.recipe)?;
    let target = match &opts.platform {
        Some(p) => {
            if !recipe.platforms.iter().any(|q| q == p) {
                return Err(VerifyError::RecordEntry {
                    source_name: recipe.path.display().to_string(),
                    message: format!(
                        "platform {p} is not among the recipe's platforms ({})",
                        recipe.platforms.join(", ")
                    ),
                });
            }
            p.clone()
        }
        None => {
            crate::build::choose_target(&recipe, None).map_err(|e| VerifyError::RecordEntry {
                source_name: recipe.path.display().to_string(),
                message: format!("{e}"),
            })?
        }
    };
    let entry = record.entry(&recipe.name, &target)?.clone();
    let work = WorkDir::new(opts.keep.as_deref())?;

    let rebuilt = rebuild(opts, &recipe, &target, work.path(), &sink).await?;
    let (report, section) = match rebuilt {
        Rebuilt::NotRebuildable { reason, section: check } => {
            let mut report = Report::new();
            report.verdict = Verdict::Unreproducible;
            report.check = Some(check);
            let v = VerifySection {
                verdict: VerifyVerdict::NotRebuildable,
                reason: Some(reason),
                platform: target.clone(),
                record: record_info(&record, &entry),
                rebuilt: None,
                git_tree_sha1_match: None,
                sha256_match: None,
                published: None,
                notes: Vec::new(),
            };
            (report, v)
        }
        Rebuilt::Built { result, section: check } => {
            sink.emit(Event::Note {
                level: Level::Info,
                message: "comparing with the record".into(),
            });
            let (record2, entry2, fetch, diff, sink2) = (
                record.clone(),
                entry.clone(),
                opts.fetch.clone(),
                diff_options(opts, &recipe),
                sink.clone(),
            );
            let (mut report, v) = tokio::task::spawn_blocking(move || {
                compare_with_record(
                    &result.tarball,
                    &result.target,
                    &record2,
                    &entry2,
                    &fetch,
                    &diff,
                    &sink2,
                )
            })
            .await
            .map_err(|e| VerifyError::Join(e.to_string()))?;
            report.check = Some(check);
            (report, v)
        }
    };
    let mut report = report;
    report.verify = Some(section);
    Ok(VerifyOutcome { report, kept: work.kept() })
}

fn diff_options(opts: &VerifyOptions, recipe: &Recipe) -> DiffOptions {
    let mut d = opts.diff.clone();
    d.user_rules.extend(recipe.normalize.ignore.iter().cloned());
    d.cancel = opts.cancel.clone();
    d
}

/// Default timeout of a rebuild (as `build`).
pub const DEFAULT_TIMEOUT: Duration = crate::build::DEFAULT_TIMEOUT;

#[cfg(test)]
mod tests {
    use super::*;
    use repro_artifact::{ArtifactDownload, PackOptions, pack_dir_with};

    const TARGET: &str = "x86_64-linux-gnu";
    const NAME: &str = "X.v1.0.0.x86_64-linux-gnu.tar.gz";

    /// A target no toolchain image builds is "not rebuildable" with the platform's reason, before
    /// any source is fetched or Docker is asked; cross targets are rebuilt in their family's image.
    #[tokio::test]
    async fn a_platform_that_cannot_be_built_here_is_not_rebuildable_with_its_reason() {
        let f = Fixture::new();
        let path = f.path("recipe.toml");
        let text = "name = \"X\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-apple-darwin\", \
                    \"aarch64-linux-gnu\"]\nscript = \"true\"\n";
        std::fs::write(&path, text).unwrap();
        let recipe = repro_recipe::load(&path).unwrap();
        let opts = VerifyOptions::new(path, "Artifacts.toml".into(), f.fetch());
        let sink = repro_events::null_sink();
        match rebuild(&opts, &recipe, "x86_64-apple-darwin", &f.path("work"), &sink).await {
            Ok(Rebuilt::NotRebuildable { reason, .. }) => {
                assert!(reason.starts_with("x86_64-apple-darwin cannot be built here"), "{reason}");
                assert!(reason.contains("macOS"), "{reason}");
            }
            _ => panic!("a macOS target must not be rebuildable here"),
        }
    }

    struct Fixture {
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            let f = Fixture { dir: tempfile::tempdir().unwrap() };
            for d in ["mirror", "cache", "products", "published"] {
                std::fs::create_dir_all(f.path(d)).unwrap();
            }
            f
        }
        fn path(&self, rel: &str) -> PathBuf {
            self.dir.path().join(rel)
        }
        /// A prefix tree named `tag`; `header` is the content of `include/x.h`.
        fn tree(&self, tag: &str, header: &str) -> PathBuf {
            let root = self.path(tag);
            std::fs::create_dir_all(root.join("include")).unwrap();
            std::fs::create_dir_all(root.join("lib")).unwrap();
            std::fs::write(root.join("include/x.h"), header).unwrap();
            std::fs::write(root.join("lib/libx.so.1"), b"\x7fELF not really").unwrap();
            root
        }
        fn pack(&self, tree: &Path, out: &str, level: u32) -> PackedArtifact {
            let opts = PackOptions { level, ..PackOptions::default() };
            pack_dir_with(tree, &self.path(out), |_| true, &opts).unwrap()
        }
        fn fetch(&self) -> FetchConfig {
            FetchConfig {
                cache_dir: self.path("cache"),
                mirrors: vec![self.path("mirror")],
                offline: true,
            }
        }
        fn record(
            &self,
            tree: GitTreeHash,
            sha: repro_artifact::Sha256,
        ) -> (Record, ArtifactEntry) {
            let entry = ArtifactEntry {
                name: "X".into(),
                index: 0,
                platform: repro_artifact::platform_keys(TARGET)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                git_tree_sha1: tree,
                downloads: vec![ArtifactDownload {
                    url: Some(format!("https://example.invalid/releases/{NAME}")),
                    sha256: sha,
                }],
                lazy: false,
            };
            let record = Record {
                source: "Artifacts.toml".into(),
                entries: vec![entry.clone()],
                base: self.dir.path().to_owned(),
            };
            (record, entry)
        }
        fn compare(
            &self,
            rebuilt: &PackedArtifact,
            tree: GitTreeHash,
            sha: repro_artifact::Sha256,
        ) -> (Report, VerifySection) {
            let (record, entry) = self.record(tree, sha);
            compare_with_record(
                rebuilt,
                TARGET,
                &record,
                &entry,
                &self.fetch(),
                &DiffOptions::default(),
                &repro_events::null_sink(),
            )
        }
    }

    #[test]
    fn an_identical_rebuild_is_verified_without_fetching() {
        let f = Fixture::new();
        let t = f.tree("a", "int x;\n");
        let a = f.pack(&t, &format!("products/{NAME}"), 1);
        let (report, v) = f.compare(&a, a.git_tree_sha1, a.sha256);
        assert_eq!(v.verdict, VerifyVerdict::Verified);
        assert_eq!((v.git_tree_sha1_match, v.sha256_match), (Some(true), Some(true)));
        assert!(v.published.is_none());
        assert!(report.files.is_empty());
    }

    #[test]
    fn a_tampered_published_tarball_is_a_mismatch_naming_the_file() {
        let f = Fixture::new();
        let a = f.pack(&f.tree("a", "int x;\n"), &format!("products/{NAME}"), 1);
        // The "published" tarball: one byte of include/x.h changed, served by the mirror under
        // its file name, and a record consistent with it (sha256 and tree hash updated).
        let b = f.pack(&f.tree("b", "int y;\n"), &format!("mirror/{NAME}"), 9);
        let (report, v) = f.compare(&a, b.git_tree_sha1, b.sha256);
        assert_eq!(v.verdict, VerifyVerdict::Mismatch, "{v:#?}");
        assert_eq!(v.git_tree_sha1_match, Some(false));
        let p = v.published.as_ref().unwrap();
        assert!(p.fetched, "{p:?}");
        assert_eq!(p.origin.as_deref(), Some("mirror"));
        assert_eq!(p.git_tree_sha1.as_deref(), Some(b.git_tree_sha1.to_hex().as_str()));
        let differing: Vec<&str> = report
            .files
            .iter()
            .filter(|f| f.status.is_difference())
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(differing, vec!["include/x.h"]);
        assert!(v.reason.as_deref().unwrap().contains("1 path(s) differ"), "{:?}", v.reason);
        assert_eq!(report.verdict, Verdict::Unreproducible);
    }

    #[test]
    fn a_published_tarball_that_does_not_match_the_record_sha256_is_not_used() {
        let f = Fixture::new();
        let a = f.pack(&f.tree("a", "int x;\n"), &format!("products/{NAME}"), 1);
        let b = f.pack(&f.tree("b", "int y;\n"), &format!("mirror/{NAME}"), 1);
        // The record names other bytes than the mirror holds.
        let (report, v) = f.compare(&a, b.git_tree_sha1, repro_artifact::Sha256([7; 32]));
        assert_eq!(v.verdict, VerifyVerdict::Mismatch);
        let p = v.published.as_ref().unwrap();
        assert!(!p.fetched);
        assert!(p.error.is_some());
        assert!(report.files.is_empty());
        assert!(v.reason.as_deref().unwrap().contains("not available"), "{:?}", v.reason);
        // Nothing unverified entered the cache.
        let cached = std::fs::read_dir(f.path("cache/sha256")).map(|d| d.count()).unwrap_or(0);
        assert_eq!(cached, 0);
    }

    #[test]
    fn same_tree_in_a_differently_compressed_tarball_is_verified_with_a_note() {
        let f = Fixture::new();
        let t = f.tree("a", "int x;\n");
        let a = f.pack(&t, &format!("products/{NAME}"), 1);
        let b = f.pack(&t, &format!("mirror/{NAME}"), 9);
        assert_ne!(a.sha256, b.sha256);
        let (_, v) = f.compare(&a, b.git_tree_sha1, b.sha256);
        assert_eq!(v.verdict, VerifyVerdict::Verified, "{v:#?}");
        assert_eq!(v.sha256_match, Some(false));
        assert!(v.notes.iter().any(|n| n.contains("same tree")), "{:?}", v.notes);
    }

    #[test]
    fn a_record_whose_tarball_does_not_hold_its_tree_is_a_mismatch() {
        let f = Fixture::new();
        let a = f.pack(&f.tree("a", "int x;\n"), &format!("products/{NAME}"), 1);
        // Only the sha256 was updated: the tree hash still claims the honest tree.
        let b = f.pack(&f.tree("b", "int y;\n"), &format!("mirror/{NAME}"), 1);
        let (report, v) = f.compare(&a, a.git_tree_sha1, b.sha256);
        assert_eq!(v.verdict, VerifyVerdict::Mismatch);
        assert!(v.reason.as_deref().unwrap().contains("Pkg would refuse"), "{:?}", v.reason);
        assert!(report.files.iter().any(|f| f.path == "include/x.h"));
    }

    #[test]
    fn records_are_read_from_files_and_directories_and_entries_are_found() {
        let f = Fixture::new();
        let a = f.pack(&f.tree("a", "int x;\n"), &format!("products/{NAME}"), 1);
        let rec = f.path("rec");
        std::fs::create_dir_all(&rec).unwrap();
        repro_artifact::write_artifacts_toml(&rec.join("Artifacts.toml"), "X", TARGET, &a, None)
            .unwrap();
        let r = load_record(rec.to_str().unwrap()).unwrap();
        assert!(r.source.ends_with("rec/Artifacts.toml"));
        assert_eq!(r.entry("X", TARGET).unwrap().git_tree_sha1, a.git_tree_sha1);
        let err = r.entry("Y", TARGET).unwrap_err().to_string();
        assert!(err.contains("no entry `[[Y]]`") && err.contains("has: X"), "{err}");
        let err = r.entry("X", "aarch64-linux-gnu").unwrap_err().to_string();
        assert!(err.contains("no `[[X]]` entry for aarch64-linux-gnu"), "{err}");
        assert!(err.contains("arch=x86_64"), "{err}");
        let url = format!("file://{}", rec.join("Artifacts.toml").display());
        assert_eq!(load_record(&url).unwrap().entries, r.entries);
        let err = load_record(f.path("nope").to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
    }
}
