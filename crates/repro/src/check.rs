//! `check` and `explain`: build a recipe twice under varied conditions, diff, report, and find
//! which variation makes each differing file differ.
//!
//! `check`: fetch and verify the sources once, lay out one srcdir, then run the *control* (the
//! fixed environment of [`variations::control_env`]) and the *experiment* (the control with every
//! requested variation applied) concurrently, each in a fresh container of the pinned image. The
//! two prefixes are packed (sha256, git-tree-sha1), normalized and diffed; the report gets a
//! `check` section with both environments and artifacts.
//!
//! `explain`: reusing the control, build once with no variation and once per applied variation
//! alone (at most N+1 more builds, `jobs` at a time), diff each against the control, and report
//! for every differing file the variations that trigger it, and the files that differ with no
//! variation at all (true nondeterminism). Unlike reprotest's greedy `--auto-build`, every
//! variation is tested against the same control, alone, so the result does not depend on an
//! order and a variation is never hidden behind another.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use repro_events::{Event, Level, Sink};
use repro_recipe::Recipe;
use repro_report::{
    ArtifactInfo, BuildInfo, CheckSection, DependencyInfo, ExplainFile, ExplainSection, ImageInfo,
    NotApplied, RecipeInfo, Report, SourceInfo, VariationRun,
};
use repro_sandbox::{BuildEnv, BuildOutput, CancellationToken, ImageRef, SandboxError};
use repro_sources::FetchConfig;
use tokio::sync::Semaphore;

use crate::build::{BuildError, BuildResult, Limits, PreparedRecipe, RunRequest, run_prepared};
use crate::deps::DepConfig;
use crate::diff::{DiffOptions, diff_trees};
use crate::graph::{Backend, DepContext, Deps, GraphError};
use crate::variations::{self, Applied, Variation, VariationSet};

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The recipe file (or a directory holding `recipe.toml`).
    pub recipe: PathBuf,
    /// Target triplet; default: the native target, which the recipe must list.
    pub platform: Option<String>,
    pub fetch: FetchConfig,
    /// Variations between control and experiment.
    pub vary: VariationSet,
    /// Keep srcdir, both prefixes, artifacts and logs in this directory (must be empty or new).
    pub keep: Option<PathBuf>,
    /// Also run `explain` when the recipe is unreproducible.
    pub explain: bool,
    /// Builds run at once by `explain` (the check's two builds always run together).
    pub jobs: usize,
    /// Wall-clock limit of one build's script.
    pub timeout: Duration,
    pub memory_bytes: Option<i64>,
    pub pids_limit: Option<i64>,
    /// Normalization and diff options (hints are added from the variations).
    pub diff: DiffOptions,
    /// The image lock (default: the target family's pin, see [`crate::build::image_lock_for`]).
    pub image_lock: Option<PathBuf>,
    /// Where dependencies are found; `--rebuild-deps`; `--deps` (check them too).
    pub deps: DepConfig,
    /// Cancels everything: queued builds do not start, running ones are stopped and their
    /// containers removed. The CLI owns it and cancels it on SIGINT, SIGTERM and SIGHUP.
    pub cancel: CancellationToken,
    /// What runs the builds (default: Docker with each family's pinned image).
    pub backend: Option<Arc<Backend>>,
}

impl CheckOptions {
    /// Defaults for `recipe`: default variations, 2 jobs, 2 h timeout, 8 GiB, 4096 pids.
    pub fn new(recipe: PathBuf, fetch: FetchConfig) -> Self {
        CheckOptions {
            recipe,
            platform: None,
            fetch,
            vary: VariationSet::default(),
            keep: None,
            explain: false,
            jobs: 2,
            timeout: Duration::from_secs(2 * 3600),
            memory_bytes: Some(8 << 30),
            pids_limit: Some(4096),
            diff: DiffOptions::default(),
            image_lock: None,
            deps: DepConfig::default(),
            cancel: CancellationToken::new(),
            backend: None,
        }
    }
}

/// Why a check could not be made. A failed build is an error, never "unreproducible".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// Loading the recipe, choosing the target or fetching the sources failed.
    #[error(transparent)]
    Prepare(Box<BuildError>),
    #[error(transparent)]
    Sandbox(Box<SandboxError>),
    /// One of the builds failed (script, limits, missing product, packing); names which one.
    #[error("the {label} build failed, so reproducibility cannot be judged")]
    BuildFailed {
        label: String,
        #[source]
        source: Box<BuildError>,
    },
    #[error("cannot compare the builds")]
    Diff(#[from] crate::diff::Error),
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--keep {}: {message}", path.display())]
    Keep { path: PathBuf, message: String },
    /// Ctrl-C: the running builds were stopped and their containers removed.
    #[error("interrupted; every container was removed")]
    Interrupted,
    #[error("internal error: {0}")]
    Join(String),
    /// A dependency could not be resolved, built or fetched.
    #[error(transparent)]
    Deps(Box<GraphError>),
}

impl From<GraphError> for CheckError {
    fn from(e: GraphError) -> Self {
        CheckError::Deps(Box::new(e))
    }
}

impl CheckError {
    /// True when the check stopped because it was cancelled (Ctrl-C, SIGTERM, SIGHUP).
    pub fn is_interrupted(&self) -> bool {
        match self {
            CheckError::Interrupted => true,
            CheckError::Deps(e) => e.is_interrupted(),
            CheckError::Diff(e) => e.is_cancelled(),
            CheckError::Sandbox(e) => matches!(**e, SandboxError::Interrupted { .. }),
            CheckError::BuildFailed { source, .. } => {
                matches!(**source, BuildError::Sandbox(SandboxError::Interrupted { .. }))
            }
            _ => false,
        }
    }
}

impl From<BuildError> for CheckError {
    fn from(e: BuildError) -> Self {
        CheckError::Prepare(Box::new(e))
    }
}

impl From<SandboxError> for CheckError {
    fn from(e: SandboxError) -> Self {
        CheckError::Sandbox(Box::new(e))
    }
}

type Result<T, E = CheckError> = std::result::Result<T, E>;

/// The result of a check.
#[derive(Debug)]
pub struct CheckOutcome {
    /// The diff report with its `check` (and, when run, `explain`) section.
    pub report: Report,
    /// Where the builds were kept (`--keep`).
    pub kept: Option<PathBuf>,
}

/// Everything both flows share after preparation.
struct Prepared {
    prepared: PreparedRecipe,
    image: ImageRef,
    backend: Arc<Backend>,
    deps: Deps,
    srcdir: PathBuf,
    sources: Vec<SourceInfo>,
    work: WorkDir,
}

/// The work directory: a temporary directory, or the `--keep` directory.
enum WorkDir {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl WorkDir {
    fn path(&self) -> &Path {
        match self {
            WorkDir::Temp(t) => t.path(),
            WorkDir::Kept(p) => p,
        }
    }

    fn new(keep: Option<&Path>) -> Result<WorkDir> {
        match keep {
            None => tempfile::Builder::new()
                .prefix(&repro_sandbox::gc::temp_prefix("check"))
                .tempdir()
                .map(WorkDir::Temp)
                .map_err(|source| CheckError::Io { path: std::env::temp_dir(), source }),
            Some(p) => {
                if p.exists() {
                    let mut it = std::fs::read_dir(p)
                        .map_err(|source| CheckError::Io { path: p.to_owned(), source })?;
                    if it.next().is_some() {
                        return Err(CheckError::Keep {
                            path: p.to_owned(),
                            message: "the directory is not empty; give a new or empty directory"
                                .into(),
                        });
                    }
                }
                std::fs::create_dir_all(p)
                    .map_err(|source| CheckError::Io { path: p.to_owned(), source })?;
                let p = p
                    .canonicalize()
                    .map_err(|source| CheckError::Io { path: p.to_owned(), source })?;
                Ok(WorkDir::Kept(p))
            }
        }
    }

    fn kept(&self) -> Option<PathBuf> {
        match self {
            WorkDir::Temp(_) => None,
            WorkDir::Kept(p) => Some(p.clone()),
        }
    }
}

async fn prepare(opts: &CheckOptions, sink: &Sink) -> Result<Prepared> {
    let work = WorkDir::new(opts.keep.as_deref())?;
    let srcdir = work.path().join("srcdir");

    // Sources first: they are verified before anything is built.
    let prepared = {
        let (recipe, platform, fetch) =
            (opts.recipe.clone(), opts.platform.clone(), opts.fetch.clone());
        let (sink, srcdir) = (sink.clone(), srcdir.clone());
        tokio::task::spawn_blocking(move || -> Result<PreparedRecipe, BuildError> {
            let prepared = crate::build::prepare(&recipe, platform.as_deref(), &fetch, &sink)?;
            prepared.lay_out_srcdir(&srcdir)?;
            Ok(prepared)
        })
        .await
        .map_err(|e| CheckError::Join(e.to_string()))??
    };
    let sources = crate::verify::source_infos(&prepared);

    let backend = match &opts.backend {
        Some(b) => b.clone(),
        None => Arc::new(Backend::docker(opts.image_lock.clone()).await?),
    };
    let image = backend.image_for(&prepared.target).await?;
    sink.emit(Event::Image { message: format!("using pinned image {}", image.id) });
    let ctx = DepContext {
        backend: &backend,
        fetch: &opts.fetch,
        config: &opts.deps,
        limits: limits(opts),
        jobs: opts.jobs,
        cancel: opts.cancel.clone(),
        sink: sink.clone(),
    };
    let deps = crate::graph::prepare_deps(&prepared.recipe, &prepared.target, &ctx).await?;
    Ok(Prepared { prepared, image, backend, deps, srcdir, sources, work })
}

fn limits(opts: &CheckOptions) -> Limits {
    Limits { timeout: opts.timeout, memory_bytes: opts.memory_bytes, pids_limit: opts.pids_limit }
}

/// `check --deps`: checks every recipe dependency (two builds each, its own dependencies
/// installed from the cache) and records its verdict and differing files in `infos`.
async fn check_dependencies(
    prep: &Prepared,
    opts: &CheckOptions,
    infos: &mut [DependencyInfo],
    sink: &Sink,
) -> Result<()> {
    for (i, recipe, target) in prep.deps.recipe_nodes() {
        if opts.cancel.is_cancelled() {
            return Err(CheckError::Interrupted);
        }
        sink.emit(Event::Note {
            level: Level::Info,
            message: format!("checking dependency {} ({target})", infos[i].name),
        });
        let mut sub = opts.clone();
        sub.recipe = recipe.path.clone();
        sub.platform = Some(target);
        sub.keep = None;
        sub.explain = false;
        sub.deps.check = false;
        sub.backend = Some(prep.backend.clone());
        let outcome = Box::pin(check(&sub, sink.clone())).await?;
        infos[i].reproducible = Some(outcome.report.is_reproducible());
        infos[i].differing = outcome
            .report
            .files
            .iter()
            .filter(|f| f.status.is_difference())
            .map(|f| f.path.clone())
            .collect();
    }
    Ok(())
}

/// One finished build of a flow, packed.
struct Built {
    result: BuildResult,
    artifact: ArtifactInfo,
}

impl Prepared {
    fn recipe(&self) -> &Recipe {
        &self.prepared.recipe
    }

    fn build_dir(&self, label: &str) -> PathBuf {
        self.work.path().join(label.replace(':', "-"))
    }

    /// Runs one build, checks its products and packs it.
    async fn build(
        &self,
        label: &str,
        env: BuildEnv,
        opts: &CheckOptions,
        sink: &Sink,
    ) -> Result<Built> {
        let dir = self.build_dir(label);
        let req = RunRequest {
            prepared: &self.prepared,
            srcdir: &self.srcdir,
            env,
            label: label.to_owned(),
            image: self.image.clone(),
            prefix_dir: dir.join("prefix"),
            products_dir: dir.join("products"),
            limits: limits(opts),
            installs: self.deps.installs(),
            cancel: opts.cancel.clone(),
        };
        let result = run_prepared(self.backend.runner(), req, sink.clone()).await.map_err(|e| {
            CheckError::BuildFailed { label: label.to_owned(), source: Box::new(e) }
        })?;
        let artifact = ArtifactInfo {
            path: Some(result.tarball.path.display().to_string()),
            sha256: result.tarball.sha256.to_string(),
            git_tree_sha1: result.tarball.git_tree_sha1.to_string(),
        };
        Ok(Built { result, artifact })
    }

    /// The report's `check` section for `builds`.
    fn check_section(
        &self,
        builds: Vec<BuildInfo>,
        applied: &[Applied],
        not_applied: Vec<NotApplied>,
    ) -> CheckSection {
        CheckSection {
            recipe: recipe_info(self.recipe()),
            image: Some(ImageInfo {
                reference: Some(self.image.tag.clone()),
                digest: format!("sha256:{}", self.image.rootfs_sha256),
            }),
            sources: self.sources.clone(),
            builds,
            variations_applied: applied.iter().map(|a| a.variation.name().to_owned()).collect(),
            variations_not_applied: not_applied,
            network: self.recipe().network,
            dependencies: self.deps.infos(),
            dependency_files_changed: Vec::new(),
        }
    }

    fn build_info(&self, b: &Built, values: BTreeMap<String, String>) -> BuildInfo {
        BuildInfo {
            label: b.result.label.clone(),
            success: true,
            duration_secs: b.result.output.duration.as_secs_f64(),
            variations: values,
            environment: b.result.env.variables(&self.recipe().name, &self.prepared.target),
            artifact: Some(b.artifact.clone()),
            error: None,
        }
    }
}

fn changed_dependency_files(builds: &[&Built]) -> Vec<String> {
    let set: BTreeSet<String> =
        builds.iter().flat_map(|b| b.result.dependency_files_changed.iter().cloned()).collect();
    set.into_iter().collect()
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The control environment for `recipe`: the build's defaults (SOURCE_DATE_EPOCH and
/// `[environment]` from the recipe) with the check's control settings.
fn recipe_control_env(recipe: &Recipe) -> BuildEnv {
    variations::control_env(crate::build::default_env(recipe))
}

/// Applies `set` to a copy of `control`; returns the experiment, what was applied and what not.
fn experiment_env(
    control: &BuildEnv,
    set: &VariationSet,
) -> (BuildEnv, Vec<Applied>, Vec<NotApplied>) {
    let mut exp = control.clone();
    let mut applied = Vec::new();
    let mut not = Vec::new();
    let now = now_unix();
    for v in set.iter() {
        match variations::apply(v, control, &mut exp, now) {
            Ok(a) => applied.push(a),
            Err(reason) => not.push(NotApplied { variation: v.name().into(), reason }),
        }
    }
    (exp, applied, not)
}

/// Moves variations the sandbox reported as not in effect from `applied` to `not`.
fn reconcile(
    control: &BuildOutput,
    exp: &BuildOutput,
    applied: &mut Vec<Applied>,
    not: &mut Vec<NotApplied>,
) {
    applied.retain(|a| {
        let reason = match a.variation {
            Variation::Aslr if !control.aslr_disabled => Some(
                "the container does not permit disabling ASLR (setarch -R), so both builds ran with ASLR on",
            ),
            Variation::Kernel if !exp.uname26_applied => {
                Some("the container does not permit setarch --uname-2.6")
            }
            _ => None,
        };
        match reason {
            Some(r) => {
                not.push(NotApplied { variation: a.variation.name().into(), reason: r.into() });
                false
            }
            None => true,
        }
    });
}

fn hints_for(applied: &[Applied]) -> Vec<(String, String)> {
    applied
        .iter()
        .flat_map(|a| a.hints.iter().map(move |h| (a.variation.name().to_owned(), h.clone())))
        .collect()
}

fn recipe_info(recipe: &Recipe) -> RecipeInfo {
    RecipeInfo {
        name: recipe.name.clone(),
        version: recipe.version.to_string(),
        sha256: recipe.recipe_hash(),
        path: Some(recipe.path.display().to_string()),
    }
}

fn diff_options(opts: &CheckOptions, recipe: &Recipe, hints: Vec<(String, String)>) -> DiffOptions {
    let mut d = opts.diff.clone();
    d.user_rules.extend(recipe.normalize.ignore.iter().cloned());
    d.hints.extend(hints);
    d.date_window = Some(date_window(recipe.source_date_epoch));
    d.cancel = opts.cancel.clone();
    d
}

/// Epochs plausible for these builds: from SOURCE_DATE_EPOCH (when set) or two days before
/// now, to the experiment's shifted clock plus two days. Dates outside are no evidence.
fn date_window(source_date_epoch: i64) -> (i64, i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let day = 86_400;
    let start = if source_date_epoch > 0 { source_date_epoch.min(now) } else { now };
    (start - 2 * day, now + (crate::variations::values::TIME_SHIFT_DAYS + 2) * day)
}

/// Runs `check` (and `explain` when asked and the recipe is unreproducible).
pub async fn check(opts: &CheckOptions, sink: Sink) -> Result<CheckOutcome> {
    let prep = prepare(opts, &sink).await?;
    let control_env = recipe_control_env(prep.recipe());
    let (exp_env, mut applied, mut not_applied) = experiment_env(&control_env, &opts.vary);

    let (a, b) = tokio::join!(
        prep.build("control", control_env.clone(), opts, &sink),
        prep.build("experiment", exp_env, opts, &sink),
    );
    let (control, experiment) = (a?, b?);
    reconcile(&control.result.output, &experiment.result.output, &mut applied, &mut not_applied);

    sink.emit(Event::Note { level: Level::Info, message: "comparing the builds".into() });
    let dopts = diff_options(opts, prep.recipe(), hints_for(&applied));
    let (cp, ep) = (control.result.output.prefix.clone(), experiment.result.output.prefix.clone());
    let sink2 = sink.clone();
    let mut report = tokio::task::spawn_blocking(move || diff_trees(&cp, &ep, &dopts, sink2))
        .await
        .map_err(|e| CheckError::Join(e.to_string()))??;

    let control_values: BTreeMap<_, _> =
        applied.iter().map(|a| (a.variation.name().to_owned(), a.control.clone())).collect();
    let exp_values: BTreeMap<_, _> =
        applied.iter().map(|a| (a.variation.name().to_owned(), a.experiment.clone())).collect();
    // The prefixes live in a temporary directory unless kept: name the builds instead.
    let side = |b: &Built| repro_report::Input {
        path: match prep.work.kept() {
            Some(_) => b.result.output.prefix.display().to_string(),
            None => format!("{} build", b.result.label),
        },
        kind: "directory".into(),
        sha256: None,
    };
    report.inputs = Some(repro_report::Inputs { a: side(&control), b: side(&experiment) });
    let mut section = prep.check_section(
        vec![prep.build_info(&control, control_values), prep.build_info(&experiment, exp_values)],
        &applied,
        not_applied.clone(),
    );
    section.dependency_files_changed = changed_dependency_files(&[&control, &experiment]);
    if opts.deps.check {
        check_dependencies(&prep, opts, &mut section.dependencies, &sink).await?;
    }
    report.check = Some(section);

    if opts.explain && !report.is_reproducible() {
        let section =
            explain_with(&prep, opts, &control, &control_env, &applied, &mut report, &sink).await?;
        report.explain = Some(section);
    }
    Ok(CheckOutcome { report, kept: prep.work.kept() })
}

/// Runs `explain` on its own: the control, one build with no variation and one per variation
/// (N+2 builds). The report lists every file that differs from the control in any run, with
/// the details of the first run it differed in.
pub async fn explain(opts: &CheckOptions, sink: Sink) -> Result<CheckOutcome> {
    let prep = prepare(opts, &sink).await?;
    let control_env = recipe_control_env(prep.recipe());
    let control = prep.build("control", control_env.clone(), opts, &sink).await?;
    let (_, applied, not_applied) = experiment_env(&control_env, &opts.vary);
    let mut report = Report::new();
    let section =
        explain_with(&prep, opts, &control, &control_env, &applied, &mut report, &sink).await?;
    let mut check_section =
        prep.check_section(vec![prep.build_info(&control, BTreeMap::new())], &applied, not_applied);
    check_section.dependency_files_changed = changed_dependency_files(&[&control]);
    report.check = Some(check_section);
    report.explain = Some(section);
    Ok(CheckOutcome { report, kept: prep.work.kept() })
}

/// The explain runs against an existing control.
async fn explain_with(
    prep: &Prepared,
    opts: &CheckOptions,
    control: &Built,
    control_env: &BuildEnv,
    applied: &[Applied],
    main: &mut Report,
    sink: &Sink,
) -> Result<ExplainSection> {
    // Run list: no variation, then each applied variation alone.
    // (variation, environment, hints); `None` is the no-variation rebuild.
    type Run = (Option<Variation>, BuildEnv, Vec<(String, String)>);
    let mut runs: Vec<Run> = vec![(None, control_env.clone(), Vec::new())];
    for a in applied {
        let mut env = control_env.clone();
        let _ = variations::apply(a.variation, control_env, &mut env, now_unix());
        runs.push((Some(a.variation), env, hints_for(std::slice::from_ref(a))));
    }
    let sem = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let interrupted = AtomicBool::new(false);
    let mut tasks = Vec::new();
    for (v, env, hints) in runs {
        let label = format!("explain-{}", v.map_or("none", Variation::name));
        let sem = sem.clone();
        let interrupted = &interrupted;
        tasks.push(async move {
            let _permit = sem.acquire().await.expect("semaphore open");
            let started = Instant::now();
            // After Ctrl-C, queued runs do not start.
            if interrupted.load(Ordering::SeqCst) {
                return (v, started.elapsed(), Err(CheckError::Interrupted));
            }
            let built = prep.build(&label, env, opts, sink).await;
            if built.as_ref().is_err_and(CheckError::is_interrupted) {
                interrupted.store(true, Ordering::SeqCst);
            }
            let result = match built {
                Ok(b) => {
                    let dopts = diff_options(opts, prep.recipe(), hints);
                    let (cp, bp) =
                        (control.result.output.prefix.clone(), b.result.output.prefix.clone());
                    let s = sink.clone();
                    let r = tokio::task::spawn_blocking(move || diff_trees(&cp, &bp, &dopts, s))
                        .await
                        .map_err(|e| CheckError::Join(e.to_string()))
                        .and_then(|r| r.map_err(CheckError::from));
                    if prep.work.kept().is_none() {
                        let _ = std::fs::remove_dir_all(prep.build_dir(&label));
                    }
                    r
                }
                Err(e) => Err(e),
            };
            (v, started.elapsed(), result)
        });
    }
    let results = futures_util::future::join_all(tasks).await;
    if interrupted.load(Ordering::SeqCst) {
        return Err(CheckError::Interrupted);
    }
    // Files of `main` come from its own comparison; a standalone explain has none and takes
    // each differing file's report from the first run it differed in.
    let standalone = main.check.is_none() && main.files.is_empty();

    let mut section = ExplainSection::default();
    let mut per_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (v, elapsed, result) in results {
        let name = v.map(|v| v.name().to_owned());
        match result {
            Ok(r) => {
                if standalone {
                    for f in r.files.iter().filter(|f| f.status.is_difference()) {
                        if !main.files.iter().any(|m| m.path == f.path) {
                            let mut f = f.clone();
                            if let Some(n) = &name {
                                for c in &mut f.causes {
                                    c.variation.get_or_insert_with(|| n.clone());
                                }
                            }
                            main.files.push(f);
                        }
                    }
                    main.summary.identical = main.summary.identical.max(r.summary.identical);
                    for n in &r.normalizations {
                        if !main.normalizations.iter().any(|m| m.rule == n.rule) {
                            main.normalizations.push(n.clone());
                        }
                    }
                    main.truncated.extend(r.truncated.iter().cloned());
                }
                let differing: Vec<String> = r
                    .files
                    .iter()
                    .filter(|f| f.status.is_difference())
                    .map(|f| f.path.clone())
                    .collect();
                for p in &differing {
                    match &name {
                        None => section.differ_without_variation.push(p.clone()),
                        Some(n) => {
                            per_file.entry(p.clone()).or_default().insert(n.clone());
                        }
                    }
                }
                section.runs.push(VariationRun {
                    variations: name.into_iter().collect(),
                    reproducible: r.is_reproducible(),
                    differing,
                    duration_secs: Some(elapsed.as_secs_f64()),
                    error: None,
                });
            }
            // A failed explain build is recorded, not fatal: the other runs still attribute.
            Err(e) => {
                sink.emit(Event::Note {
                    level: Level::Warn,
                    message: format!(
                        "explain build {} failed: {e}",
                        name.as_deref().unwrap_or("none")
                    ),
                });
                section.runs.push(VariationRun {
                    variations: name.into_iter().collect(),
                    reproducible: false,
                    differing: Vec::new(),
                    duration_secs: Some(elapsed.as_secs_f64()),
                    error: Some(format!("{e:#}")),
                });
            }
        }
    }
    // Every file that differs in the main comparison or in any single-variation run.
    let mut paths: BTreeSet<String> =
        main.files.iter().filter(|f| f.status.is_difference()).map(|f| f.path.clone()).collect();
    paths.extend(per_file.keys().cloned());
    for p in paths {
        let vars = per_file.get(&p).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        section.files.push(ExplainFile { path: p, variations: vars });
    }
    if standalone {
        main.files.sort_by(|a, b| a.path.cmp(&b.path));
        main.finalize();
    }
    Ok(section)
}
