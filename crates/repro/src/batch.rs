//! Many recipes × platforms in one run: finding the recipes, scheduling their checks, and
//! reading back per-job report files to merge them.
//!
//! - [`find_recipes`] expands files, directories (searched for recipe files) and globs.
//! - [`plan_jobs`] turns recipes × platforms into [`BatchJob`]s (reading each recipe once; an
//!   unreadable recipe becomes a job that fails with the recipe's error).
//! - [`run_checks`] runs the jobs' checks a few at a time, keeps going past failures, stops
//!   starting jobs once the cancellation token fires, and reports every outcome.
//! - [`read_job_files`] reads `repro-batch/1` and `repro-report/1` files (from CI artifacts)
//!   for `repro report merge`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use repro_events::{Event, Sink};
use repro_report::{BATCH_SCHEMA, Batch, Job, Outcome, Report};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::build::{BuildError, BuildOptions, BuildResult};
use crate::check::CheckOptions;
use crate::graph::Backend;

/// Directory levels searched below a directory input.
pub const MAX_SEARCH_DEPTH: usize = 8;
/// Largest per-job file `read_job_files` reads.
pub const MAX_JOB_FILE_BYTES: u64 = 256 << 20;
/// Most files `read_job_files` reads.
pub const MAX_JOB_FILES: usize = 100_000;

/// Why a batch could not be planned or merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    #[error("{}: no such file or directory, and no glob matches it", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: no recipe found (searched for recipe.toml, recipe *.toml and build_tarballs.jl files, {MAX_SEARCH_DEPTH} levels deep)", path.display())]
    NoRecipe { path: PathBuf },
    #[error("invalid glob {pattern:?}: {message}")]
    Glob { pattern: String, message: String },
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    BadFile { path: PathBuf, message: String },
    #[error("{}: no job files (*.json holding repro-batch/1 or repro-report/1)", path.display())]
    NoJobFiles { path: PathBuf },
    #[error("more than {MAX_JOB_FILES} job files")]
    TooManyFiles,
}

type Result<T, E = BatchError> = std::result::Result<T, E>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |source| BatchError::Io { path: path.to_owned(), source }
}

/// True when `text` contains glob metacharacters.
fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// True when `path` looks like a recipe file: `recipe.toml`, or another `*.toml` whose
/// top-level table has `name` and `script` (the examples' single-file recipes).
fn is_recipe_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "recipe.toml" {
        return true;
    }
    if !name.ends_with(".toml") {
        return false;
    }
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if meta.len() > repro_recipe::MAX_RECIPE_BYTES {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    let Ok(table) = text.parse::<toml::Table>() else { return false };
    table.contains_key("name") && table.contains_key("script")
}

/// Recipe files under `dir`: a `recipe.toml` directly in it stands for the directory; otherwise
/// the tree is searched (not following symlinks, [`MAX_SEARCH_DEPTH`] levels), and a directory
/// holding a `recipe.toml` is not searched further. A Yggdrasil `build_tarballs.jl` is a
/// recipe too, unless a `recipe.toml` sits beside it (the imported recipe is used then).
fn search_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let direct = dir.join("recipe.toml");
    if direct.is_file() {
        out.push(direct);
        return Ok(());
    }
    let mut it =
        walkdir::WalkDir::new(dir).max_depth(MAX_SEARCH_DEPTH).sort_by_file_name().into_iter();
    while let Some(entry) = it.next() {
        let entry = entry.map_err(|e| BatchError::Io {
            path: e.path().unwrap_or(dir).to_owned(),
            source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("directory loop")),
        })?;
        if entry.file_type().is_dir() {
            if entry.depth() > 0 && entry.path().join("recipe.toml").is_file() {
                out.push(entry.path().join("recipe.toml"));
                it.skip_current_dir();
            }
            continue;
        }
        let julia = entry.file_name() == "build_tarballs.jl";
        if entry.file_type().is_file() && (julia || is_recipe_file(entry.path())) {
            out.push(entry.path().to_owned());
        }
    }
    Ok(())
}

/// Expands `inputs` (recipe files, directories, globs) into recipe files, sorted and without
/// duplicates. Every input must yield at least one recipe.
pub fn find_recipes(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut all = BTreeSet::new();
    for input in inputs {
        let mut found = Vec::new();
        if input.is_file() {
            found.push(input.clone());
        } else if input.is_dir() {
            search_dir(input, &mut found)?;
        } else {
            let text = input.to_string_lossy();
            if !is_glob(&text) {
                return Err(BatchError::NotFound { path: input.clone() });
            }
            for m in glob_matches(&text)? {
                if m.is_dir() {
                    search_dir(&m, &mut found)?;
                } else if m.is_file() {
                    found.push(m);
                }
            }
            if found.is_empty() {
                return Err(BatchError::NotFound { path: input.clone() });
            }
        }
        if found.is_empty() {
            return Err(BatchError::NoRecipe { path: input.clone() });
        }
        all.extend(found);
    }
    Ok(all.into_iter().collect())
}

/// A glob's base directory (the components before the first one with a metacharacter) and
/// the rest of its components.
fn glob_split(pattern: &str) -> (PathBuf, Vec<String>) {
    let mut base = PathBuf::new();
    let mut rest = Vec::new();
    for c in Path::new(pattern).components() {
        let s = c.as_os_str().to_string_lossy();
        if rest.is_empty() && !is_glob(&s) {
            base.push(c);
        } else {
            rest.push(s.into_owned());
        }
    }
    (base, rest)
}

/// The directory a glob searches: its components before the first one with a metacharacter
/// (empty for a glob relative to the current directory).
pub fn glob_base(pattern: &str) -> PathBuf {
    glob_split(pattern).0
}

/// Paths matching a glob: the components before the first one with a metacharacter are the
/// base directory, which is walked (bounded, no symlinks followed).
fn glob_matches(pattern: &str) -> Result<Vec<PathBuf>> {
    let (base, rest) = glob_split(pattern);
    let rel = rest.join("/");
    let matcher = globset::GlobBuilder::new(&rel)
        .literal_separator(true)
        .build()
        .map_err(|e| BatchError::Glob { pattern: pattern.to_owned(), message: e.to_string() })?
        .compile_matcher();
    let root = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base.clone() };
    let depth = if rel.contains("**") { MAX_SEARCH_DEPTH } else { rest.len() };
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&root).min_depth(1).max_depth(depth).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        let Ok(r) = entry.path().strip_prefix(&root) else { continue };
        if matcher.is_match(r) {
            out.push(if base.as_os_str().is_empty() {
                r.to_owned()
            } else {
                entry.path().to_owned()
            });
        }
    }
    Ok(out)
}

/// One recipe × platform to check.
#[derive(Debug, Clone)]
pub struct BatchJob {
    /// The job's identity as reported (recipe name, version, platform, id).
    pub job: Job,
    /// The recipe file.
    pub recipe_path: PathBuf,
    /// The target to pass to the check (`None`: the recipe's default).
    pub platform: Option<String>,
    /// Set when the recipe could not be read: the job fails with this message without running.
    pub error: Option<String>,
    /// The recipe as read when the job was planned.
    pub recipe: Option<Arc<repro_recipe::Recipe>>,
}

/// Recipes × platforms. `platforms` empty means each recipe's default target; `all` in it
/// means every platform the recipe declares. Platforms a recipe does not declare are left out
/// for that recipe (a batch over many recipes asks for the intersection).
pub fn plan_jobs(recipes: &[PathBuf], platforms: &[String]) -> Vec<BatchJob> {
    use rayon::prelude::*;
    // Reading (and importing) the recipes is most of the work: in parallel, in order.
    let loaded: Vec<_> = recipes
        .par_iter()
        .map(|path| crate::recipe_input::load_recipe_quiet(path).map(|l| l.recipe))
        .collect();
    let mut jobs = Vec::new();
    for (path, loaded) in recipes.iter().zip(loaded) {
        let recipe = match loaded {
            Ok(r) => r,
            Err(e) => {
                let name = path.display().to_string();
                let mut job = Job::new(&name, "", Outcome::Failed);
                job.recipe_path = Some(name);
                jobs.push(BatchJob {
                    job,
                    recipe_path: path.clone(),
                    platform: None,
                    error: Some(e.to_string()),
                    recipe: None,
                });
                continue;
            }
        };
        let targets: Vec<(Option<String>, String)> = if platforms.is_empty() {
            let t = crate::build::choose_target(&recipe, None)
                .unwrap_or_else(|_| recipe.platforms.first().cloned().unwrap_or_default());
            vec![(None, t)]
        } else if platforms.iter().any(|p| p == "all") {
            // Every platform that can be built here (the others are not jobs; see
            // `repro_recipe::platform::buildable` for why), plus any named explicitly.
            let mut t: Vec<(Option<String>, String)> = recipe
                .platforms
                .iter()
                .filter(|p| repro_recipe::platform::buildable(p).is_ok())
                .map(|p| (Some(p.clone()), p.clone()))
                .collect();
            for p in platforms.iter().filter(|p| *p != "all" && recipe.platforms.contains(p)) {
                if !t.iter().any(|(_, l)| l == p) {
                    t.push((Some(p.clone()), p.clone()));
                }
            }
            t
        } else {
            platforms
                .iter()
                .filter(|p| recipe.platforms.contains(p))
                .map(|p| (Some(p.clone()), p.clone()))
                .collect()
        };
        let recipe = Arc::new(recipe);
        for (platform, label) in targets {
            let mut job = Job::new(&recipe.name, &label, Outcome::Cancelled);
            job.version = Some(recipe.version.to_string());
            job.recipe_path = Some(path.display().to_string());
            jobs.push(BatchJob {
                job,
                recipe_path: path.clone(),
                platform,
                error: None,
                recipe: Some(recipe.clone()),
            });
        }
    }
    // Two recipes of the same name and platform (e.g. copies in two directories) keep
    // distinct ids.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for j in &mut jobs {
        let n = seen.entry(j.job.id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            j.job.id = format!("{}-{}", j.job.id, n);
        }
    }
    jobs
}

/// One finished job: its batch entry and, when the check completed, its report.
#[derive(Debug, Clone)]
pub struct JobResult {
    pub job: Job,
    pub report: Option<Report>,
}

/// How [`run_checks`] runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Builds at once. A check runs its two builds together, so `builds / 2` checks (at least
    /// one) run at a time.
    pub builds: usize,
    /// Run `explain` (control, one build with no variation, one per variation) instead of
    /// `check` for each job.
    pub explain: bool,
}

/// Builds at once when the user gives no `--jobs`: one per core, and no more than one per
/// 2 GiB of memory (at least one).
pub fn default_builds(cores: usize, memory_bytes: Option<u64>) -> usize {
    let by_mem = memory_bytes.map_or(usize::MAX, |m| (m / (2 << 30)) as usize);
    cores.min(by_mem).max(1)
}

/// A sink that prefixes build labels with the job id, so that the builds of concurrent jobs
/// are told apart (`hello-x86_64-linux-gnu/control`).
fn job_sink(id: &str, sink: &Sink) -> Sink {
    let (id, inner) = (id.to_owned(), sink.clone());
    Arc::new(move |e: Event| {
        let e = match e {
            Event::BuildPhase { build, phase } => {
                Event::BuildPhase { build: format!("{id}/{build}"), phase }
            }
            Event::BuildOutput { build, stream, line } => {
                Event::BuildOutput { build: format!("{id}/{build}"), stream, line }
            }
            Event::BuildFinished { build, success, duration } => {
                Event::BuildFinished { build: format!("{id}/{build}"), success, duration }
            }
            other => other,
        };
        inner.emit(e)
    })
}

/// How one job of [`schedule`] ended.
enum Ended<R> {
    /// The recipe could not be read when the jobs were planned: it never ran.
    Unreadable(String),
    /// Cancelled before it started.
    NotStarted,
    /// Ran to its end (its own success or failure is in `R`).
    Finished(R, Duration),
    /// Cancelled while running: its future was dropped, which stops and removes its containers.
    Stopped(Duration),
}

/// How long a cancelled running job gets to stop by itself (and clean up) before it is dropped.
const STOP_GRACE: Duration = Duration::from_secs(60);

/// The future of one job: its result and the outcome word of `Event::JobFinished`.
type JobFuture<R> = std::pin::Pin<Box<dyn std::future::Future<Output = (R, String)> + Send>>;

/// The batch scheduler of `check`, `explain` and `build` over many jobs: `run(i, sink)` makes
/// job `i`'s future; at most `at_once` run at a time. A failing job does not stop the others.
/// Once `cancel` fires no job starts, and running ones stop by the token they were given
/// (removing their containers); one still running [`STOP_GRACE`] later is dropped. Results come back in job order; `Event::JobStarted` / `Event::JobFinished` go to
/// `sink` as jobs start and end, and each job's build events carry its id.
async fn schedule<R: Send + 'static>(
    jobs: &[BatchJob],
    at_once: usize,
    cancel: &CancellationToken,
    sink: &Sink,
    run: impl Fn(usize, Sink) -> JobFuture<R>,
) -> Vec<Ended<R>> {
    let sem = Arc::new(Semaphore::new(at_once.max(1)));
    let total = jobs.len();
    let mut handles = Vec::with_capacity(total);
    for (index, bj) in jobs.iter().enumerate() {
        let id = bj.job.id.clone();
        if bj.error.is_some() {
            sink.emit(Event::JobFinished {
                job: id,
                outcome: Outcome::Failed.to_string(),
                duration: Duration::ZERO,
            });
            handles.push(None);
            continue;
        }
        let (sem, cancel, sink) = (sem.clone(), cancel.clone(), sink.clone());
        let fut = run(index, job_sink(&id, &sink));
        handles.push(Some(tokio::spawn(async move {
            let permit = tokio::select! {
                p = sem.acquire_owned() => p.ok(),
                () = cancel.cancelled() => None,
            };
            let Some(_permit) = permit else { return Ended::NotStarted };
            if cancel.is_cancelled() {
                return Ended::NotStarted;
            }
            sink.emit(Event::JobStarted { job: id.clone(), index, total });
            let started = Instant::now();
            // A running job sees the token itself and stops at its next step, removing its
            // containers and temp dirs before it returns; dropping its future instead would
            // leave that cleanup undone when the process exits. Only a job that does not end
            // within STOP_GRACE of the cancellation is dropped.
            let mut fut = fut;
            let result = tokio::select! {
                r = &mut fut => Some(r),
                () = async {
                    cancel.cancelled().await;
                    tokio::time::sleep(STOP_GRACE).await;
                } => None,
            };
            let elapsed = started.elapsed();
            let (ended, word) = match result {
                Some((r, word)) => (Ended::Finished(r, elapsed), word),
                None => (Ended::Stopped(elapsed), Outcome::Cancelled.to_string()),
            };
            sink.emit(Event::JobFinished { job: id, outcome: word, duration: elapsed });
            ended
        })));
    }
    let mut results = Vec::with_capacity(total);
    for (h, bj) in handles.into_iter().zip(jobs) {
        results.push(match h {
            None => Ended::Unreadable(bj.error.clone().unwrap_or_default()),
            Some(h) => match h.await {
                Ok(r) => r,
                Err(e) => Ended::Unreadable(format!("internal error: {e}")),
            },
        });
    }
    results
}

/// A shared Docker backend for every job of a batch (one connection, each image verified
/// once), unless `given`; `None` when Docker cannot be reached (each job then reports it).
async fn shared_backend(
    given: &Option<Arc<Backend>>,
    lock: Option<PathBuf>,
) -> Option<Arc<Backend>> {
    match given {
        Some(b) => Some(b.clone()),
        None => Backend::docker(lock).await.ok().map(Arc::new),
    }
}

/// Runs the check of every job (`template` gives every option but the recipe and platform),
/// [`BatchOptions::builds`] builds at a time, through [`schedule`]: a failing job does not stop
/// the others; once `cancel` fires no job starts, running checks are stopped and reported
/// `cancelled`, as are the jobs never started. Results come back in job order. Every job
/// shares one backend and one recipe index.
pub async fn run_checks(
    jobs: Vec<BatchJob>,
    template: &CheckOptions,
    opts: &BatchOptions,
    cancel: CancellationToken,
    sink: Sink,
) -> Vec<JobResult> {
    let at_once = (opts.builds / 2).max(1);
    let explain = opts.explain;
    let mut template = template.clone();
    template.cancel = cancel.clone();
    if jobs.iter().any(|j| j.error.is_none()) {
        template.backend = shared_backend(&template.backend, template.image_lock.clone()).await;
    }
    let ended = schedule(&jobs, at_once, &cancel, &sink, |i, jsink| {
        let bj = &jobs[i];
        let mut copts = template.clone();
        copts.recipe = bj.recipe_path.clone();
        copts.platform = bj.platform.clone();
        if let Some(k) = &template.keep {
            copts.keep = Some(k.join(&bj.job.id));
        }
        Box::pin(async move {
            let r = if explain {
                crate::check::explain(&copts, jsink).await
            } else {
                crate::check::check(&copts, jsink).await
            };
            let word = match &r {
                Ok(o) => Outcome::of(&o.report),
                Err(e) if e.is_interrupted() => Outcome::Cancelled,
                Err(_) => Outcome::Failed,
            };
            (r, word.to_string())
        })
    })
    .await;
    jobs.into_iter()
        .zip(ended)
        .map(|(bj, ended)| {
            let mut job = bj.job;
            match ended {
                Ended::Unreadable(e) => {
                    job.outcome = Outcome::Failed;
                    job.error = Some(e);
                    JobResult { job, report: None }
                }
                Ended::NotStarted => {
                    job.outcome = Outcome::Cancelled;
                    job.error = Some("cancelled before it started".into());
                    JobResult { job, report: None }
                }
                Ended::Stopped(d) => {
                    job.outcome = Outcome::Cancelled;
                    job.error = Some("cancelled while running; its containers were removed".into());
                    job.duration_secs = Some(d.as_secs_f64());
                    JobResult { job, report: None }
                }
                Ended::Finished(Ok(o), d) => {
                    let mut j = Job::from_report(&job.recipe, &job.platform, &o.report);
                    j.id = job.id;
                    j.recipe_path = job.recipe_path;
                    j.duration_secs = Some(d.as_secs_f64());
                    JobResult { job: j, report: Some(o.report) }
                }
                Ended::Finished(Err(e), d) => {
                    job.outcome =
                        if e.is_interrupted() { Outcome::Cancelled } else { Outcome::Failed };
                    job.error = Some(error_chain(&e));
                    job.duration_secs = Some(d.as_secs_f64());
                    JobResult { job, report: None }
                }
            }
        })
        .collect()
}

/// How a job of [`run_builds`] ended.
#[derive(Debug)]
pub enum BuildEnd {
    /// Built and packed.
    Built(Box<BuildResult>),
    /// The recipe could not be read, or its build (or a dependency) failed.
    Failed {
        /// The error with its causes, on one line.
        message: String,
        /// The build script failed, timed out or ran out of memory: its log tells why.
        script: bool,
    },
    /// Stopped by cancellation (before it started, or while running).
    Cancelled { started: bool },
}

/// One job of [`run_builds`].
#[derive(Debug)]
pub struct BuildJobResult {
    /// The job's identity (recipe, platform, id).
    pub job: Job,
    pub end: BuildEnd,
    /// Wall time of the job, when it ran.
    pub duration: Option<Duration>,
}

impl BuildJobResult {
    /// `built`, `failed` or `cancelled`.
    pub fn word(&self) -> &'static str {
        match self.end {
            BuildEnd::Built(_) => "built",
            BuildEnd::Failed { .. } => "failed",
            BuildEnd::Cancelled { .. } => "cancelled",
        }
    }
}

/// How [`run_builds`] runs.
#[derive(Debug, Clone)]
pub struct BuildBatchOptions {
    /// Builds at once (each job is one build; its dependencies are built once for all jobs).
    pub builds: usize,
    /// Give each job its own directory `<work_dir>/<job id>` (else the jobs share
    /// `template.work_dir`, which only one job may use).
    pub work_per_job: bool,
}

/// Builds every job (`template` gives every option but the recipe, platform and work
/// directory) through the batch scheduler, [`BuildBatchOptions::builds`] at a time, every job
/// to its end or to cancellation, with one backend and one recipe index for all. Results come
/// back in job order.
pub async fn run_builds(
    jobs: Vec<BatchJob>,
    template: &BuildOptions,
    opts: &BuildBatchOptions,
    cancel: CancellationToken,
    sink: Sink,
) -> Vec<BuildJobResult> {
    let mut template = template.clone();
    template.cancel = cancel.clone();
    if jobs.iter().any(|j| j.error.is_none()) {
        template.backend = shared_backend(&template.backend, template.lock.clone()).await;
    }
    let ended = schedule(&jobs, opts.builds, &cancel, &sink, |i, jsink| {
        let bj = &jobs[i];
        let mut bopts = template.clone();
        bopts.recipe = bj.recipe_path.clone();
        bopts.platform = Some(bj.job.platform.clone());
        if opts.work_per_job {
            bopts.work_dir = template.work_dir.join(&bj.job.id);
        }
        Box::pin(async move {
            let r = match std::fs::create_dir_all(&bopts.work_dir) {
                Ok(()) => crate::build::build_recipe(&bopts, jsink).await,
                Err(source) => Err(BuildError::Io { path: bopts.work_dir.clone(), source }),
            };
            let word = match &r {
                Ok(_) => "built",
                Err(e) if e.is_interrupted() => "cancelled",
                Err(_) => "failed",
            };
            (r, word.to_owned())
        })
    })
    .await;
    jobs.into_iter()
        .zip(ended)
        .map(|(bj, ended)| {
            let (end, duration) = match ended {
                Ended::Unreadable(message) => (BuildEnd::Failed { message, script: false }, None),
                Ended::NotStarted => (BuildEnd::Cancelled { started: false }, None),
                Ended::Stopped(d) => (BuildEnd::Cancelled { started: true }, Some(d)),
                Ended::Finished(Ok(r), d) => (BuildEnd::Built(Box::new(r)), Some(d)),
                Ended::Finished(Err(e), d) if e.is_interrupted() => {
                    (BuildEnd::Cancelled { started: true }, Some(d))
                }
                Ended::Finished(Err(e), d) => {
                    let script = e.is_script_failure();
                    (BuildEnd::Failed { message: error_chain(&e), script }, Some(d))
                }
            };
            BuildJobResult { job: bj.job, end, duration }
        })
        .collect()
}

/// `error: cause: cause` on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s
}

/// A `..`-free relative path inside the directory of a job file.
fn safe_relative(base: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    if p.components().all(|c| matches!(c, Component::Normal(_))) {
        Some(base.join(p))
    } else {
        None
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.len() > MAX_JOB_FILE_BYTES {
        return Err(BatchError::BadFile {
            path: path.to_owned(),
            message: format!("larger than {} MiB", MAX_JOB_FILE_BYTES >> 20),
        });
    }
    let bytes = std::fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| BatchError::BadFile {
        path: path.to_owned(),
        message: format!("not JSON: {e}"),
    })
}

/// The target a check report was built for, from its builds' environment.
fn report_platform(r: &Report) -> String {
    r.check
        .as_ref()
        .and_then(|c| c.builds.first())
        .and_then(|b| {
            ["bb_full_target", "target", "BB_FULL_TARGET"]
                .iter()
                .find_map(|k| b.environment.get(*k))
        })
        .cloned()
        .unwrap_or_default()
}

/// Reads per-job files for merging: `inputs` are files or directories (searched for `*.json`,
/// [`MAX_SEARCH_DEPTH`] levels). A `repro-batch/1` file contributes its jobs, each with its
/// report read from the path the job names (relative to that file, never outside it); a
/// `repro-report/1` file that no batch file names becomes a job of its own. Other JSON files in
/// a directory are ignored; given explicitly, they are an error. The same recipe × platform
/// seen twice keeps its worse outcome.
pub fn read_job_files(inputs: &[PathBuf]) -> Result<Vec<JobResult>> {
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let before = files.len();
            for e in walkdir::WalkDir::new(input).max_depth(MAX_SEARCH_DEPTH).sort_by_file_name() {
                let e = e.map_err(|e| BatchError::Io {
                    path: input.clone(),
                    source: e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("directory loop")),
                })?;
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json") {
                    files.push((e.path().to_owned(), false));
                }
            }
            if files.len() == before {
                return Err(BatchError::NoJobFiles { path: input.clone() });
            }
        } else if input.is_file() {
            files.push((input.clone(), true));
        } else {
            return Err(BatchError::NotFound { path: input.clone() });
        }
        if files.len() > MAX_JOB_FILES {
            return Err(BatchError::TooManyFiles);
        }
    }
    let mut referenced: BTreeSet<PathBuf> = BTreeSet::new();
    let mut batches: Vec<(PathBuf, Batch)> = Vec::new();
    let mut reports: Vec<(PathBuf, Report)> = Vec::new();
    for (path, explicit) in &files {
        let v = read_json(path)?;
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(BATCH_SCHEMA) => {
                let b: Batch = serde_json::from_value(v).map_err(|e| BatchError::BadFile {
                    path: path.clone(),
                    message: format!("not a valid {BATCH_SCHEMA} file: {e}"),
                })?;
                let dir = path.parent().unwrap_or(Path::new("."));
                for j in &b.jobs {
                    if let Some(p) = j.report.as_deref().and_then(|r| safe_relative(dir, r)) {
                        referenced.insert(p.canonicalize().unwrap_or(p));
                    }
                }
                batches.push((path.clone(), b));
            }
            Some(repro_report::SCHEMA) => {
                let r: Report = serde_json::from_value(v).map_err(|e| BatchError::BadFile {
                    path: path.clone(),
                    message: format!("not a valid {} file: {e}", repro_report::SCHEMA),
                })?;
                reports.push((path.clone(), r));
            }
            other if *explicit => {
                return Err(BatchError::BadFile {
                    path: path.clone(),
                    message: format!(
                        "schema {:?} is neither {BATCH_SCHEMA} nor {}",
                        other.unwrap_or("(none)"),
                        repro_report::SCHEMA
                    ),
                });
            }
            _ => {}
        }
    }
    let mut by_id: BTreeMap<(String, String), JobResult> = BTreeMap::new();
    let mut add = |r: JobResult| {
        let key = (r.job.recipe.clone(), r.job.platform.clone());
        match by_id.get(&key) {
            Some(old) if old.job.outcome >= r.job.outcome => {}
            _ => {
                by_id.insert(key, r);
            }
        }
    };
    for (path, b) in batches {
        let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
        for mut job in b.jobs {
            let report = match job.report.as_deref() {
                None => None,
                Some(rel) => {
                    let Some(p) = safe_relative(&dir, rel) else {
                        return Err(BatchError::BadFile {
                            path: path.clone(),
                            message: format!(
                                "job {}: report path {rel:?} leaves the file's directory",
                                job.id
                            ),
                        });
                    };
                    let v = read_json(&p)?;
                    Some(serde_json::from_value::<Report>(v).map_err(|e| BatchError::BadFile {
                        path: p.clone(),
                        message: format!("not a valid {} file: {e}", repro_report::SCHEMA),
                    })?)
                }
            };
            job.report = None;
            job.html = None;
            add(JobResult { job, report });
        }
    }
    for (path, r) in reports {
        let canon = path.canonicalize().unwrap_or(path.clone());
        if referenced.contains(&canon) {
            continue;
        }
        let name = r
            .check
            .as_ref()
            .map(|c| c.recipe.name.clone())
            .unwrap_or_else(|| path.display().to_string());
        let job = Job::from_report(&name, &report_platform(&r), &r);
        add(JobResult { job, report: Some(r) });
    }
    Ok(by_id.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    const RECIPE: &str = "name = \"x\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = \"true\"\n";

    #[test]
    fn finds_recipe_files_dirs_and_globs() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(&r.join("a/recipe.toml"), RECIPE);
        write(&r.join("a/sub/recipe.toml"), RECIPE); // below a recipe directory: not searched
        write(&r.join("b/c/recipe.toml"), RECIPE);
        write(&r.join("examples/one.toml"), RECIPE);
        write(&r.join("examples/not-a-recipe.toml"), "[mirror]\nurl = \"x\"\n");
        write(&r.join("examples/notes.txt"), "");
        let found = find_recipes(&[r.to_owned()]).unwrap();
        let rel: Vec<String> =
            found.iter().map(|p| p.strip_prefix(r).unwrap().display().to_string()).collect();
        assert_eq!(rel, ["a/recipe.toml", "b/c/recipe.toml", "examples/one.toml"]);

        let g = find_recipes(&[r.join("*/recipe.toml")]).unwrap();
        assert_eq!(g, [r.join("a/recipe.toml")]);
        let g = find_recipes(&[r.join("b/**/recipe.toml"), r.join("a")]).unwrap();
        assert_eq!(g, [r.join("a/recipe.toml"), r.join("b/c/recipe.toml")]);

        // Yggdrasil recipes: a build_tarballs.jl alone, and one beside a recipe.toml.
        write(&r.join("ygg/Z/Zlib/build_tarballs.jl"), "name = \"Zlib\"\n");
        write(&r.join("ygg/X/XZ/build_tarballs.jl"), "name = \"XZ\"\n");
        write(&r.join("ygg/X/XZ/recipe.toml"), RECIPE);
        let y = find_recipes(&[r.join("ygg")]).unwrap();
        assert_eq!(y, [r.join("ygg/X/XZ/recipe.toml"), r.join("ygg/Z/Zlib/build_tarballs.jl")]);
        let y = find_recipes(&[r.join("ygg/Z/Zlib")]).unwrap();
        assert_eq!(y, [r.join("ygg/Z/Zlib/build_tarballs.jl")]);
        // A build_tarballs.jl is imported when the jobs are planned.
        write(
            &r.join("ygg/Z/Zlib/build_tarballs.jl"),
            "name = \"Zlib\"\nversion = v\"1.3.1\"\nsources = []\nscript = \"make\"\nplatforms = [Platform(\"x86_64\", \"linux\")]\nproducts = Product[]\ndependencies = []\nbuild_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)\n",
        );
        let jobs = plan_jobs(&y, &[]);
        assert_eq!(jobs.len(), 1);
        assert!(jobs[0].error.is_none(), "{:?}", jobs[0].error);
        assert_eq!(jobs[0].recipe.as_ref().map(|r| r.name.as_str()), Some("Zlib"));
        let y = find_recipes(&[r.join("ygg/*/*/build_tarballs.jl")]).unwrap();
        assert_eq!(
            y,
            [r.join("ygg/X/XZ/build_tarballs.jl"), r.join("ygg/Z/Zlib/build_tarballs.jl")]
        );

        let e = find_recipes(&[r.join("nope")]).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
        let e = find_recipes(&[r.join("nope*/x")]).unwrap_err();
        assert!(e.to_string().contains("no glob matches"), "{e}");
        std::fs::create_dir(r.join("empty")).unwrap();
        let e = find_recipes(&[r.join("empty")]).unwrap_err();
        assert!(e.to_string().contains("no recipe found"), "{e}");
    }

    #[test]
    fn jobs_per_platform_and_bad_recipes_fail() {
        let t = tempfile::tempdir().unwrap();
        let good = t.path().join("g/recipe.toml");
        write(
            &good,
            &RECIPE
                .replace("[\"x86_64-linux-gnu\"]", "[\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]"),
        );
        let bad = t.path().join("b/recipe.toml");
        write(&bad, "name = 3\n");
        let jobs = plan_jobs(&[good.clone(), bad.clone()], &[]);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].job.platform, "x86_64-linux-gnu");
        assert!(jobs[1].error.as_deref().unwrap().contains("name"));
        let jobs = plan_jobs(std::slice::from_ref(&good), &["all".into()]);
        let p: Vec<&str> = jobs.iter().map(|j| j.job.platform.as_str()).collect();
        assert_eq!(p, ["x86_64-linux-gnu", "aarch64-linux-gnu"]);
        assert_eq!(jobs[1].job.id, "x-aarch64-linux-gnu");
        let jobs = plan_jobs(
            &[good.clone(), good],
            &["aarch64-linux-gnu".into(), "riscv64-linux-gnu".into()],
        );
        let ids: Vec<&str> = jobs.iter().map(|j| j.job.id.as_str()).collect();
        assert_eq!(ids, ["x-aarch64-linux-gnu", "x-aarch64-linux-gnu-2"]);

        // `all` leaves out platforms that cannot be built here (macOS).
        let mac = t.path().join("m/recipe.toml");
        write(
            &mac,
            &RECIPE.replace(
                "[\"x86_64-linux-gnu\"]",
                "[\"x86_64-apple-darwin\", \"x86_64-w64-mingw32\"]",
            ),
        );
        let jobs = plan_jobs(std::slice::from_ref(&mac), &["all".into()]);
        let p: Vec<&str> = jobs.iter().map(|j| j.job.platform.as_str()).collect();
        assert_eq!(p, ["x86_64-w64-mingw32"]);
    }

    #[test]
    fn merge_reads_batches_and_loose_reports_and_refuses_escapes() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        let mut rep = Report::new();
        rep.files.push(repro_report::FileReport::new(
            "lib/a.so",
            repro_report::Status::Differs,
            repro_report::EntryType::File,
        ));
        rep.finalize();
        let mut j = Job::from_report("ogg", "x86_64-linux-gnu", &rep);
        j.report = Some("jobs/ogg.json".into());
        write(&d.join("ci/1/jobs/ogg.json"), &serde_json::to_string(&rep).unwrap());
        write(
            &d.join("ci/1/batch.json"),
            &serde_json::to_string(&Batch::new(vec![j.clone()])).unwrap(),
        );
        let mut failed = Job::new("zlib", "x86_64-linux-gnu", Outcome::Failed);
        failed.error = Some("build failed".into());
        write(
            &d.join("ci/2/batch.json"),
            &serde_json::to_string(&Batch::new(vec![failed])).unwrap(),
        );
        let mut loose = Report::new();
        loose.check = Some(repro_report::CheckSection {
            recipe: repro_report::RecipeInfo {
                name: "xz".into(),
                version: "5".into(),
                ..Default::default()
            },
            ..Default::default()
        });
        write(&d.join("ci/3/report.json"), &serde_json::to_string(&loose).unwrap());
        write(&d.join("ci/3/other.json"), "{\"hello\": 1}");
        let merged = read_job_files(&[d.join("ci")]).unwrap();
        let names: Vec<(&str, Outcome)> =
            merged.iter().map(|r| (r.job.recipe.as_str(), r.job.outcome)).collect();
        assert_eq!(
            names,
            [
                ("ogg", Outcome::Unreproducible),
                ("xz", Outcome::Reproducible),
                ("zlib", Outcome::Failed)
            ]
        );
        assert_eq!(merged[0].report.as_ref().unwrap().files[0].path, "lib/a.so");

        j.report = Some("../../secret.json".into());
        write(&d.join("evil/batch.json"), &serde_json::to_string(&Batch::new(vec![j])).unwrap());
        let e = read_job_files(&[d.join("evil")]).unwrap_err();
        assert!(e.to_string().contains("leaves the file's directory"), "{e}");
        let e = read_job_files(&[d.join("ci/3/other.json")]).unwrap_err();
        assert!(e.to_string().contains("neither"), "{e}");
    }

    #[test]
    fn default_builds_fit_cores_and_memory() {
        assert_eq!(default_builds(2, Some(24 << 30)), 2);
        assert_eq!(default_builds(16, Some(8 << 30)), 4);
        assert_eq!(default_builds(4, Some(1 << 30)), 1);
        assert_eq!(default_builds(0, None), 1);
    }
}
