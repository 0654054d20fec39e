//! The job graph's dependency side: dependency nodes ([`crate::deps::DepPlan`]) are built or
//! fetched once, in dependency order, `jobs` at a time, cached by input key, and installed into
//! the builds that need them.
//!
//! - A recipe node is built by repro in the pinned image of its target with the recipe's control
//!   environment, its own dependencies installed. Its **input key** hashes the recipe hash, the
//!   image digest, the target, the environment and the keys of its dependencies; the result
//!   (the prefix without `logs/`, its tarballs and hashes) is kept in the dependency cache
//!   (`<cache>/deps/<key>/`), so control, experiment, every explain build, later runs and every
//!   recipe of a batch get byte-identical dependencies. `--rebuild-deps` builds again.
//! - An artifact or JLL node is fetched through the mirrors and the source cache (sha256
//!   verified), unpacked with the bounded tar reader, and its `git-tree-sha1` checked before use.
//! - After a build, [`remove_dependency_files`] removes every installed path the build left
//!   unchanged, so the artifact holds only the recipe's own files; a dependency file the build
//!   changed stays and is reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use repro_events::{Event, Level, Sink};
use repro_recipe::Recipe;
use repro_report::DependencyInfo;
use repro_sandbox::{
    BuildEnv, CancellationToken, DockerRunner, ImageRef, Install, InstallInto, Runner, SandboxError,
};
use repro_sources::{FetchConfig, Fetcher};
use sha2::{Digest, Sha256};

use crate::build::{BuildError, Limits, PreparedRecipe, RunRequest, run_prepared};
use crate::deps::{DepConfig, DepError, DepPlan, Resolution};

/// Why dependencies could not be made ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    #[error(transparent)]
    Resolve(#[from] DepError),
    #[error("dependency {name} ({target}) failed to build")]
    Build {
        name: String,
        target: String,
        #[source]
        source: Box<BuildError>,
    },
    #[error("dependency {name}: {source}")]
    Fetch {
        name: String,
        #[source]
        source: Box<repro_sources::Error>,
    },
    #[error(
        "dependency {name}: the unpacked tree of {url} has git-tree-sha1 {found}, but {expected} \
         was expected; the tarball is not the one recorded (refusing to use it)"
    )]
    TreeHash { name: String, url: String, expected: String, found: String },
    #[error("dependency {name}: {url}: {message}")]
    Unpack { name: String, url: String, message: String },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error("dependency cache {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("interrupted; every container was removed")]
    Interrupted,
    #[error("internal error: {0}")]
    Task(String),
}

impl GraphError {
    /// True when the run stopped because it was cancelled.
    pub fn is_interrupted(&self) -> bool {
        match self {
            GraphError::Interrupted | GraphError::Sandbox(SandboxError::Interrupted { .. }) => true,
            GraphError::Build { source, .. } => {
                matches!(**source, BuildError::Sandbox(SandboxError::Interrupted { .. }))
            }
            _ => false,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GraphError + '_ {
    move |source| GraphError::Io { path: path.to_owned(), source }
}

// ---------------------------------------------------------------------------------------------
// Backend: the runner and the images.

enum Images {
    Docker { runner: Arc<DockerRunner>, lock: Option<PathBuf> },
    Fixed(ImageRef),
}

/// What runs builds: the Docker runner with each target family's pinned image, or any
/// [`Runner`] with one fixed image (tests use [`repro_sandbox::fake::FakeRunner`]).
pub struct Backend {
    runner: Arc<dyn Runner>,
    images: Images,
    cache: tokio::sync::Mutex<HashMap<String, ImageRef>>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

impl Backend {
    /// Connects to Docker; images are checked against their family's pin when first needed
    /// (`lock` overrides the pin of its own family).
    pub async fn docker(lock: Option<PathBuf>) -> Result<Backend, SandboxError> {
        let runner = Arc::new(DockerRunner::connect().await?);
        Ok(Backend {
            runner: runner.clone(),
            images: Images::Docker { runner, lock },
            cache: Default::default(),
        })
    }

    /// Any runner with one image for every target.
    pub fn with_runner(runner: Arc<dyn Runner>, image: ImageRef) -> Backend {
        Backend { runner, images: Images::Fixed(image), cache: Default::default() }
    }

    pub fn runner(&self) -> &dyn Runner {
        self.runner.as_ref()
    }

    /// The pinned image that builds `target` (verified against the pin once per family).
    pub async fn image_for(&self, target: &str) -> Result<ImageRef, SandboxError> {
        match &self.images {
            Images::Fixed(i) => Ok(i.clone()),
            Images::Docker { runner, lock } => {
                let lock = crate::build::image_lock_for(target, lock.as_deref())?;
                let family = lock.family_name().to_owned();
                let mut cache = self.cache.lock().await;
                if let Some(i) = cache.get(&family) {
                    return Ok(i.clone());
                }
                let image = repro_sandbox::ensure_pinned_image(runner.docker(), &lock).await?;
                cache.insert(family, image.clone());
                Ok(image)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Materializing dependency nodes.

/// Everything the dependency builds share.
#[derive(Clone)]
pub struct DepContext<'a> {
    pub backend: &'a Backend,
    pub fetch: &'a FetchConfig,
    pub config: &'a DepConfig,
    pub limits: Limits,
    /// Dependency builds (and fetches) at once.
    pub jobs: usize,
    pub cancel: CancellationToken,
    pub sink: Sink,
}

/// A dependency node made ready: its tree on this machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ready {
    pub name: String,
    pub target: String,
    /// The unpacked tree (no `logs/`).
    pub tree: PathBuf,
    pub git_tree_sha1: String,
    /// sha256 of its tarball.
    pub sha256: Option<String>,
    /// The input key (recipe nodes) or `artifact-<sha256>`.
    pub key: String,
    /// Taken from the dependency cache.
    #[serde(skip)]
    pub cached: bool,
}

/// Makes every installed node of `plan` ready, in dependency order, `ctx.jobs` at a time.
/// Returns one entry per node (`None` for runtime dependencies).
pub async fn materialize(
    plan: &DepPlan,
    ctx: &DepContext<'_>,
) -> Result<Vec<Option<Ready>>, GraphError> {
    let mut ready: Vec<Option<Ready>> = vec![None; plan.nodes.len()];
    let mut done = vec![false; plan.nodes.len()];
    let sem = Arc::new(tokio::sync::Semaphore::new(ctx.jobs.max(1)));
    while done.iter().any(|d| !d) {
        if ctx.cancel.is_cancelled() {
            return Err(GraphError::Interrupted);
        }
        // Every node whose dependencies are done runs in this wave.
        let wave: Vec<usize> = (0..plan.nodes.len())
            .filter(|&i| !done[i] && plan.nodes[i].deps.iter().all(|&(c, _)| done[c]))
            .collect();
        if wave.is_empty() {
            return Err(GraphError::Task("dependency plan has a cycle".into()));
        }
        let tasks = wave.iter().map(|&i| {
            let sem = sem.clone();
            let ready = &ready;
            async move {
                let _permit = sem.acquire().await.map_err(|e| GraphError::Task(e.to_string()))?;
                make_ready(plan, i, ready, ctx).await.map(|r| (i, r))
            }
        });
        let results = futures_util::future::join_all(tasks).await;
        let mut first_err = None;
        for r in results {
            match r {
                Ok((i, r)) => {
                    ready[i] = r;
                    done[i] = true;
                }
                Err(e) => {
                    if first_err.is_none() || e.is_interrupted() {
                        first_err = Some(e);
                    }
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
    }
    Ok(ready)
}

async fn make_ready(
    plan: &DepPlan,
    i: usize,
    ready: &[Option<Ready>],
    ctx: &DepContext<'_>,
) -> Result<Option<Ready>, GraphError> {
    let node = &plan.nodes[i];
    match &node.resolution {
        Resolution::NotInstalled => Ok(None),
        Resolution::Published { .. } => match plan.check_installable(ctx.config) {
            Err(e) => Err(e.into()),
            Ok(()) => Err(GraphError::Task(format!("{}: not installable", node.name))),
        },
        Resolution::Recipe { recipe } => {
            let installs = installs(plan, ready, &node.deps);
            build_dependency(
                &node.name,
                recipe.clone(),
                &node.target,
                installs,
                ready,
                plan,
                i,
                ctx,
            )
            .await
            .map(Some)
        }
        Resolution::Artifact { url, sha256, git_tree_sha1, base } => fetch_artifact(
            &node.name,
            &node.target,
            url,
            sha256,
            git_tree_sha1.as_deref(),
            base,
            ctx,
        )
        .await
        .map(Some),
        Resolution::Jll { url, sha256, entry, artifacts_toml, .. } => {
            let base = artifacts_toml.parent().unwrap_or(Path::new(".")).to_owned();
            let tree = entry.git_tree_sha1.to_string();
            fetch_artifact(&node.name, &node.target, url, sha256, Some(&tree), &base, ctx)
                .await
                .map(Some)
        }
    }
}

/// The `Install`s of a build whose direct dependencies are `deps` (see
/// [`DepPlan::installs_for`]).
pub fn installs(
    plan: &DepPlan,
    ready: &[Option<Ready>],
    deps: &[(usize, repro_recipe::DependencyKind)],
) -> Vec<Install> {
    plan.installs_for(deps)
        .into_iter()
        .filter_map(|(n, host)| {
            ready[n].as_ref().map(|r| Install {
                name: plan.nodes[n].name.clone(),
                tree: r.tree.clone(),
                into: if host { InstallInto::HostPrefix } else { InstallInto::Prefix },
            })
        })
        .collect()
}

/// The report's dependency list.
pub fn dependency_infos(plan: &DepPlan, ready: &[Option<Ready>]) -> Vec<DependencyInfo> {
    plan.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| DependencyInfo {
            name: n.name.clone(),
            kind: kind_word(n.kind).into(),
            target: n.target.clone(),
            resolved: n.resolution.word().into(),
            from: n.resolution.from(),
            git_tree_sha1: ready[i].as_ref().map(|r| r.git_tree_sha1.clone()),
            sha256: ready[i].as_ref().and_then(|r| r.sha256.clone()),
            required_by: n.required_by.clone(),
            cached: ready[i].as_ref().is_some_and(|r| r.cached),
            reproducible: None,
            differing: Vec::new(),
        })
        .collect()
}

fn kind_word(k: repro_recipe::DependencyKind) -> &'static str {
    use repro_recipe::DependencyKind as K;
    match k {
        K::Dependency => "dependency",
        K::BuildDependency => "build-dependency",
        K::HostBuildDependency => "host-build-dependency",
        K::RuntimeDependency => "runtime-dependency",
    }
}

/// `<cache>/deps`.
pub fn deps_cache(fetch: &FetchConfig) -> PathBuf {
    fetch.cache_dir.join("deps")
}

/// The input key of a recipe build: everything that may change its output.
pub fn input_key(
    recipe: &Recipe,
    image: &ImageRef,
    target: &str,
    env: &BuildEnv,
    dep_keys: &[String],
) -> String {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((value.len() as u64).to_le_bytes());
        h.update(value.as_bytes());
    };
    field("format", "repro-dep-key/1");
    field("recipe", &recipe.recipe_hash());
    field("image", &image.rootfs_sha256);
    field("target", target);
    field("env", &serde_json::to_string(env).unwrap_or_default());
    for k in dep_keys {
        field("dep", k);
    }
    hex::encode(h.finalize())
}

/// One async lock per cache key in this process, so concurrent jobs of a batch build a
/// dependency once.
fn key_lock(key: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut m = LOCKS.get_or_init(Default::default).lock().expect("key locks");
    m.entry(key.to_owned()).or_default().clone()
}

fn read_ready(dir: &Path) -> Option<Ready> {
    let text = std::fs::read_to_string(dir.join("ready.json")).ok()?;
    let mut r: Ready = serde_json::from_str(&text).ok()?;
    r.tree = dir.join("tree");
    r.tree.is_dir().then_some(r)
}

fn write_ready(dir: &Path, r: &Ready) -> Result<(), GraphError> {
    let p = dir.join("ready.json");
    std::fs::write(&p, serde_json::to_vec_pretty(r).unwrap_or_default()).map_err(io_err(&p))
}

/// Moves a finished `tmp` entry to `dir` (replacing an older one).
fn commit_entry(tmp: tempfile::TempDir, dir: &Path) -> Result<(), GraphError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = tmp.keep();
    std::fs::rename(&tmp, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        GraphError::Io { path: dir.to_owned(), source: e }
    })
}

#[allow(clippy::too_many_arguments)]
async fn build_dependency(
    name: &str,
    recipe: Arc<Recipe>,
    target: &str,
    installs: Vec<Install>,
    ready: &[Option<Ready>],
    plan: &DepPlan,
    i: usize,
    ctx: &DepContext<'_>,
) -> Result<Ready, GraphError> {
    let image = ctx.backend.image_for(target).await?;
    let env = crate::variations::control_env(crate::build::default_env(&recipe));
    let dep_keys: Vec<String> = plan
        .installs_for(&plan.nodes[i].deps)
        .into_iter()
        .filter_map(|(n, host)| ready[n].as_ref().map(|r| format!("{}:{}", r.key, host)))
        .collect();
    let key = input_key(&recipe, &image, target, &env, &dep_keys);
    let root = deps_cache(ctx.fetch);
    let dir = root.join(&key);
    let lock = key_lock(&key);
    let _guard = lock.lock().await;
    if !ctx.config.rebuild
        && let Some(mut r) = read_ready(&dir)
    {
        r.cached = true;
        ctx.sink.emit(Event::Note {
            level: Level::Info,
            message: format!("dependency {name} ({target}): cached build {}", short(&key)),
        });
        return Ok(r);
    }
    std::fs::create_dir_all(&root).map_err(io_err(&root))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-", short(&key)))
        .tempdir_in(&root)
        .map_err(io_err(&root))?;
    ctx.sink.emit(Event::Note {
        level: Level::Info,
        message: format!("dependency {name} ({target}): building {}", recipe.path.display()),
    });
    let srcdir = tmp.path().join("srcdir");
    let prepared = {
        let (recipe, fetch, sink, t, srcdir) = (
            (*recipe).clone(),
            ctx.fetch.clone(),
            ctx.sink.clone(),
            target.to_owned(),
            srcdir.clone(),
        );
        tokio::task::spawn_blocking(move || -> Result<PreparedRecipe, BuildError> {
            let fetched = Fetcher::new(fetch, sink).fetch_recipe(&recipe)?;
            let p = PreparedRecipe { recipe, target: t, fetched };
            p.lay_out_srcdir(&srcdir)?;
            Ok(p)
        })
        .await
        .map_err(|e| GraphError::Task(e.to_string()))?
        .map_err(|e| GraphError::Build {
            name: name.into(),
            target: target.into(),
            source: Box::new(e),
        })?
    };
    let label = format!("dep-{}-{target}", recipe.name);
    let req = RunRequest {
        prepared: &prepared,
        srcdir: &srcdir,
        env,
        label,
        image,
        prefix_dir: tmp.path().join("prefix"),
        products_dir: tmp.path().join("products"),
        limits: ctx.limits.clone(),
        installs,
        cancel: ctx.cancel.clone(),
    };
    let built = run_prepared(ctx.backend.runner(), req, ctx.sink.clone()).await.map_err(|e| {
        GraphError::Build { name: name.into(), target: target.into(), source: Box::new(e) }
    })?;
    if !built.dependency_files_changed.is_empty() {
        ctx.sink.emit(Event::Note {
            level: Level::Warn,
            message: format!(
                "dependency {name}: its build changed files of its own dependencies: {}",
                built.dependency_files_changed.join(", ")
            ),
        });
    }
    // The cached tree is the main tarball's content: the prefix without logs/.
    let prefix = tmp.path().join("prefix");
    let logs = prefix.join("logs");
    if logs.exists() {
        std::fs::remove_dir_all(&logs).map_err(io_err(&logs))?;
    }
    let tree = tmp.path().join("tree");
    std::fs::rename(&prefix, &tree).map_err(io_err(&tree))?;
    let _ = std::fs::remove_dir_all(&srcdir);
    let r = Ready {
        name: name.into(),
        target: target.into(),
        tree: dir.join("tree"),
        git_tree_sha1: built.tarball.git_tree_sha1.to_string(),
        sha256: Some(built.tarball.sha256.to_string()),
        key: key.clone(),
        cached: false,
    };
    write_ready(tmp.path(), &r)?;
    commit_entry(tmp, &dir)?;
    Ok(r)
}

fn short(key: &str) -> &str {
    &key[..key.len().min(12)]
}

#[allow(clippy::too_many_arguments)]
async fn fetch_artifact(
    name: &str,
    target: &str,
    url: &str,
    sha256: &str,
    git_tree_sha1: Option<&str>,
    base: &Path,
    ctx: &DepContext<'_>,
) -> Result<Ready, GraphError> {
    let key = format!("artifact-{}", sha256.to_ascii_lowercase());
    let root = deps_cache(ctx.fetch);
    let dir = root.join(&key);
    let lock = key_lock(&key);
    let _guard = lock.lock().await;
    let (name, target, url, sha256, expected, base, fetch, sink) = (
        name.to_owned(),
        target.to_owned(),
        url.to_owned(),
        sha256.to_owned(),
        git_tree_sha1.map(str::to_ascii_lowercase),
        base.to_owned(),
        ctx.fetch.clone(),
        ctx.sink.clone(),
    );
    tokio::task::spawn_blocking(move || -> Result<Ready, GraphError> {
        let verify = |tree: &Path| -> Result<String, GraphError> {
            let found = repro_artifact::tree_hash_dir(tree)
                .map_err(|e| GraphError::Unpack {
                    name: name.clone(),
                    url: url.clone(),
                    message: e.to_string(),
                })?
                .to_string();
            if let Some(exp) = &expected
                && *exp != found
            {
                return Err(GraphError::TreeHash {
                    name: name.clone(),
                    url: url.clone(),
                    expected: exp.clone(),
                    found,
                });
            }
            Ok(found)
        };
        if let Some(mut r) = read_ready(&dir) {
            // The tree is checked again: the cache is a directory anyone can touch.
            verify(&r.tree)?;
            r.cached = true;
            r.name = name.clone();
            r.target = target.clone();
            return Ok(r);
        }
        let fetcher = Fetcher::new(fetch, sink.clone());
        let (tarball, _) = fetcher
            .fetch_file(&url, &sha256, &base)
            .map_err(|e| GraphError::Fetch { name: name.clone(), source: Box::new(e) })?;
        std::fs::create_dir_all(&root).map_err(io_err(&root))?;
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-artifact-")
            .tempdir_in(&root)
            .map_err(io_err(&root))?;
        let tree = tmp.path().join("tree");
        repro_artifact::unpack_tarball(&tarball, &tree, &repro_artifact::UnpackLimits::default())
            .map_err(|e| GraphError::Unpack {
            name: name.clone(),
            url: url.clone(),
            message: e.to_string(),
        })?;
        let found = verify(&tree)?;
        let r = Ready {
            name: name.clone(),
            target: target.clone(),
            tree: dir.join("tree"),
            git_tree_sha1: found,
            sha256: Some(sha256.to_ascii_lowercase()),
            key,
            cached: false,
        };
        write_ready(tmp.path(), &r)?;
        commit_entry(tmp, &dir)?;
        sink.emit(Event::Note {
            level: Level::Info,
            message: format!("dependency {name} ({target}): fetched and verified {url}"),
        });
        Ok(r)
    })
    .await
    .map_err(|e| GraphError::Task(e.to_string()))?
}

// ---------------------------------------------------------------------------------------------
// After the build.

/// Removes from `prefix` every path that came from one of `trees` and is unchanged (same type,
/// same bytes and owner-x bit, same symlink target), then the directories this left empty that
/// came from a dependency. Returns the dependency paths the build changed (kept), sorted.
pub fn remove_dependency_files(prefix: &Path, trees: &[&Path]) -> std::io::Result<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    let mut changed = std::collections::BTreeSet::new();
    let mut dirs = std::collections::BTreeSet::new();
    for tree in trees {
        for e in walkdir::WalkDir::new(tree).min_depth(1).follow_links(false).max_depth(256) {
            let e = e.map_err(std::io::Error::other)?;
            let rel = e.path().strip_prefix(tree).map_err(std::io::Error::other)?.to_owned();
            let here = prefix.join(&rel);
            let ft = e.file_type();
            if ft.is_dir() {
                dirs.insert(rel);
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&here) else {
                continue; // the build removed it: nothing to remove
            };
            let same = if ft.is_symlink() {
                meta.file_type().is_symlink()
                    && std::fs::read_link(&here)? == std::fs::read_link(e.path())?
            } else {
                let theirs = e.metadata().map_err(std::io::Error::other)?;
                meta.file_type().is_file()
                    && meta.len() == theirs.len()
                    && (meta.permissions().mode() & 0o100) == (theirs.permissions().mode() & 0o100)
                    && same_bytes(&here, e.path())?
            };
            if same {
                std::fs::remove_file(&here)?;
            } else {
                changed.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    // Deepest first.
    for d in dirs.iter().rev() {
        let p = prefix.join(d);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir())
            && std::fs::read_dir(&p)?.next().is_none()
        {
            std::fs::remove_dir(&p)?;
        }
    }
    Ok(changed.into_iter().collect())
}

fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }

    fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// One recipe's dependencies, end to end.

/// A recipe's dependencies for one target, resolved and ready.
#[derive(Debug, Clone, Default)]
pub struct Deps {
    pub plan: DepPlan,
    pub ready: Vec<Option<Ready>>,
}

impl Deps {
    /// What the recipe's own builds get installed.
    pub fn installs(&self) -> Vec<Install> {
        installs(&self.plan, &self.ready, &self.plan.roots)
    }

    /// The report's dependency list.
    pub fn infos(&self) -> Vec<DependencyInfo> {
        dependency_infos(&self.plan, &self.ready)
    }

    /// The recipe nodes (for `check --deps`): name, recipe, target.
    pub fn recipe_nodes(&self) -> Vec<(usize, Arc<Recipe>, String)> {
        self.plan
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.resolution {
                Resolution::Recipe { recipe } if self.ready[i].is_some() => {
                    Some((i, recipe.clone(), n.target.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

/// Indexes `--recipes` (once per run: [`DepConfig::index`]), resolves `recipe`'s dependencies for `target` and makes them ready
/// (built or fetched, or taken from the dependency cache).
pub async fn prepare_deps(
    recipe: &Recipe,
    target: &str,
    ctx: &DepContext<'_>,
) -> Result<Deps, GraphError> {
    if recipe.dependencies.is_empty() {
        return Ok(Deps::default());
    }
    let (recipe2, target2, config, sink) =
        (recipe.clone(), target.to_owned(), ctx.config.clone(), ctx.sink.clone());
    let plan = tokio::task::spawn_blocking(move || -> Result<DepPlan, DepError> {
        let index = config.index(&sink)?;
        crate::deps::Resolver { index: &index, config: &config, sink: &sink }
            .resolve(&recipe2, &target2)
    })
    .await
    .map_err(|e| GraphError::Task(e.to_string()))??;
    plan.check_installable(ctx.config)?;
    let ready = materialize(&plan, ctx).await?;
    Ok(Deps { plan, ready })
}
