//! `repro build`: one recipe, one build in the pinned image, one BinaryBuilder-style artifact.
//!
//! The flow is split so `check`/`explain` can reuse the parts and run several builds of the same
//! recipe concurrently with different environments:
//!
//! 1. [`prepare`]: load the recipe, pick the target, fetch and verify the sources (blocking);
//! 2. [`PreparedRecipe::lay_out_srcdir`]: lay the sources out in a host directory (once; builds
//!    only read it);
//! 3. [`run_prepared`]: run the build in a container with a given [`BuildEnv`] and label, check
//!    the declared products, pack `products/<Name>.v<ver>.<target>.tar.gz` and the logs tarball.
//!
//! [`build_recipe`] does all three.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use repro_artifact::PackedArtifact;
use repro_events::{Event, Sink};
use repro_recipe::platform::{self, Family, Platform};
use repro_recipe::{Product, Recipe};
use repro_sandbox::{
    BuildEnv, BuildOutput, BuildSpec, CancellationToken, ImageLock, ImageRef, Install, InstallInto,
    NATIVE_TARGET, Runner, SandboxError,
};
use repro_sources::{FetchConfig, FetchedSource, Fetcher};

use crate::products::{self, ResolvedProduct};

/// Default wall-clock limit of a build script.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2 * 3600);

/// What can go wrong in a build.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    #[error(transparent)]
    Recipe(#[from] repro_recipe::RecipeError),
    #[error(transparent)]
    Load(#[from] crate::recipe_input::LoadError),
    #[error(transparent)]
    Sources(#[from] repro_sources::Error),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(transparent)]
    Artifact(#[from] repro_artifact::Error),
    /// The requested platform is not one the recipe declares or the image can build.
    #[error("{recipe}: {message}")]
    Platform { recipe: PathBuf, message: String },
    /// A declared product is missing after the build.
    #[error(
        "build `{label}`: declared {kind} product `{variable}` is missing: expected {expected} in \
         the prefix"
    )]
    MissingProduct { label: String, kind: &'static str, variable: String, expected: String },
    /// A product is not built for the target (e.g. a host binary in a cross build).
    #[error(
        "build `{label}`: product file {file} is built for {found}, but the target {target} \
         needs {expected}; does the script pass --host=${{target}} (autotools) or \
         -DCMAKE_TOOLCHAIN_FILE=${{CMAKE_TARGET_TOOLCHAIN}} (CMake) and use $CC?"
    )]
    ProductArchitecture {
        label: String,
        file: String,
        target: String,
        expected: String,
        found: String,
    },
    /// Local file I/O.
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A background task panicked or was cancelled.
    #[error("internal error: {0}")]
    Task(String),
    /// A dependency could not be resolved, built or fetched.
    #[error(transparent)]
    Deps(Box<crate::graph::GraphError>),
}

impl BuildError {
    /// True when the build stopped because it was cancelled (Ctrl-C, SIGTERM, SIGHUP).
    pub fn is_interrupted(&self) -> bool {
        match self {
            BuildError::Sandbox(SandboxError::Interrupted { .. }) => true,
            BuildError::Deps(g) => g.is_interrupted(),
            _ => false,
        }
    }

    /// True when the build script failed, timed out or ran out of memory: the build log
    /// tells why.
    pub fn is_script_failure(&self) -> bool {
        matches!(
            self,
            BuildError::Sandbox(
                SandboxError::BuildFailed { .. }
                    | SandboxError::Timeout { .. }
                    | SandboxError::OutOfMemory { .. }
            )
        )
    }
}

impl From<crate::graph::GraphError> for BuildError {
    fn from(e: crate::graph::GraphError) -> Self {
        BuildError::Deps(Box::new(e))
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io { path: path.to_owned(), source }
}

/// A recipe with its target chosen and its sources fetched and verified.
#[derive(Debug, Clone)]
pub struct PreparedRecipe {
    pub recipe: Recipe,
    /// The target triplet this build is for.
    pub target: String,
    /// The verified sources, in recipe order.
    pub fetched: Vec<FetchedSource>,
}

impl PreparedRecipe {
    /// Lays the sources out in `srcdir` (created; must be empty or absent) as the build sees
    /// them in `$WORKSPACE/srcdir`.
    pub fn lay_out_srcdir(&self, srcdir: &Path) -> Result<(), BuildError> {
        repro_sources::prepare_srcdir(&self.recipe, &self.fetched, srcdir)?;
        Ok(())
    }

    /// The control environment for this recipe: [`BuildEnv::default`] with the recipe's
    /// `source_date_epoch` and `[environment]`.
    pub fn default_env(&self) -> BuildEnv {
        default_env(&self.recipe)
    }

    /// `<Name>.v<version>.<target>.tar.gz`.
    pub fn tarball_name(&self) -> String {
        format!("{}.v{}.{}.tar.gz", self.recipe.name, self.recipe.version, self.target)
    }

    /// `<Name>-logs.v<version>.<target>.tar.gz`.
    pub fn logs_tarball_name(&self) -> String {
        format!("{}-logs.v{}.{}.tar.gz", self.recipe.name, self.recipe.version, self.target)
    }
}

/// The control environment for `recipe` (see [`PreparedRecipe::default_env`]).
pub fn default_env(recipe: &Recipe) -> BuildEnv {
    BuildEnv {
        source_date_epoch: recipe.source_date_epoch,
        extra_env: recipe.environment.clone(),
        ..BuildEnv::default()
    }
}

/// Picks the target: `platform` if given (it must be one the recipe declares and one repro can
/// build, see [`repro_recipe::platform`]), else the native target if the recipe declares it,
/// else its first buildable platform.
pub fn choose_target(recipe: &Recipe, platform: Option<&str>) -> Result<String, BuildError> {
    let bad = |message: String| BuildError::Platform { recipe: recipe.path.clone(), message };
    match platform {
        Some(p) => {
            if !recipe.platforms.iter().any(|q| q == p) {
                return Err(bad(format!(
                    "platform {p} is not among the recipe's platforms ({})",
                    recipe.platforms.join(", ")
                )));
            }
            platform::buildable(p)
                .map_err(|reason| bad(format!("platform {p} cannot be built here: {reason}")))?;
            Ok(p.to_owned())
        }
        None => {
            if recipe.platforms.is_empty() {
                return Err(bad("the recipe declares no platforms".into()));
            }
            recipe
                .platforms
                .iter()
                .find(|p| *p == NATIVE_TARGET)
                .or_else(|| recipe.platforms.iter().find(|p| platform::buildable(p).is_ok()))
                .cloned()
                .ok_or_else(|| {
                    let why: Vec<String> = recipe
                        .platforms
                        .iter()
                        .map(|p| {
                            format!("{p}: {}", platform::buildable(p).err().unwrap_or_default())
                        })
                        .collect();
                    bad(format!(
                        "none of the recipe's platforms can be built here ({})",
                        why.join("; ")
                    ))
                })
        }
    }
}

/// The platforms one command runs: from `--platform` values (repeatable; `all` = every
/// platform the recipe lists that can be built here).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlatformPlan {
    /// The targets to build, in the recipe's order (then the order given), without duplicates.
    pub targets: Vec<String>,
    /// Platforms the recipe lists that cannot be built here, with the reason (for `all`).
    pub skipped: Vec<(String, String)>,
}

/// Expands `--platform` values against the recipe: none = the default target
/// ([`choose_target`]); `all` = every buildable platform of the recipe (the others go to
/// `skipped` with their reason); a triplet must be one the recipe declares and can be built.
pub fn plan_platforms(recipe: &Recipe, requested: &[String]) -> Result<PlatformPlan, BuildError> {
    let mut plan = PlatformPlan { targets: vec![], skipped: vec![] };
    if requested.is_empty() {
        plan.targets.push(choose_target(recipe, None)?);
        return Ok(plan);
    }
    let all = requested.iter().any(|r| r == "all");
    if all {
        for p in &recipe.platforms {
            match platform::buildable(p) {
                Ok(_) => plan.targets.push(p.clone()),
                Err(reason) => plan.skipped.push((p.clone(), reason)),
            }
        }
    }
    for r in requested.iter().filter(|r| *r != "all") {
        let t = choose_target(recipe, Some(r))?;
        if !plan.targets.contains(&t) {
            plan.targets.push(t);
        }
    }
    if plan.targets.is_empty() {
        let why: Vec<String> = plan.skipped.iter().map(|(p, r)| format!("{p}: {r}")).collect();
        return Err(BuildError::Platform {
            recipe: recipe.path.clone(),
            message: format!(
                "none of the recipe's platforms can be built here ({})",
                why.join("; ")
            ),
        });
    }
    Ok(plan)
}

/// The pin of the image that builds `target`: its family's lock built into repro, or `explicit`
/// when that lock is of the same family (`REPRO_IMAGE_LOCK` applies to the base image).
pub fn image_lock_for(target: &str, explicit: Option<&Path>) -> Result<ImageLock, SandboxError> {
    let family = platform::buildable(target).map_or(Family::Native, |t| t.family);
    if let Some(p) = explicit {
        let lock = ImageLock::load(p)?;
        if lock.family_name() == family.name() {
            return Ok(lock);
        }
    }
    repro_sandbox::family_lock(family, None)
}

/// Loads the recipe, picks the target and fetches the sources (blocking: call it from a
/// blocking thread in async code).
pub fn prepare(
    recipe_path: &Path,
    platform: Option<&str>,
    fetch: &FetchConfig,
    sink: &Sink,
) -> Result<PreparedRecipe, BuildError> {
    let recipe = crate::recipe_input::load_recipe(recipe_path, sink)?;
    let target = choose_target(&recipe, platform)?;
    let fetcher = Fetcher::new(fetch.clone(), sink.clone());
    let fetched = fetcher.fetch_recipe(&recipe)?;
    Ok(PreparedRecipe { recipe, target, fetched })
}

/// Limits of one build.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: Option<i64>,
    pub pids_limit: Option<i64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: DEFAULT_TIMEOUT, memory_bytes: None, pids_limit: Some(32_768) }
    }
}

/// One run of a prepared recipe.
#[derive(Debug, Clone)]
pub struct RunRequest<'a> {
    pub prepared: &'a PreparedRecipe,
    /// The host srcdir ([`PreparedRecipe::lay_out_srcdir`]).
    pub srcdir: &'a Path,
    pub env: BuildEnv,
    /// Names the build in events and errors ("build", "control", "experiment", ...).
    pub label: String,
    pub image: ImageRef,
    /// The unpacked prefix goes here (must be absent or empty).
    pub prefix_dir: PathBuf,
    /// The tarballs go here (created).
    pub products_dir: PathBuf,
    pub limits: Limits,
    /// Dependency trees installed before the build; the unchanged files of those installed into
    /// `${prefix}` are removed afterwards ([`crate::graph::remove_dependency_files`]).
    pub installs: Vec<Install>,
    /// Cancels the build (the CLI owns it).
    pub cancel: CancellationToken,
}

/// A finished build: the artifact, its hashes and everything needed to compare it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildResult {
    pub name: String,
    pub version: String,
    pub target: String,
    pub label: String,
    /// The main tarball (everything but `logs/`).
    pub tarball: PackedArtifact,
    /// The logs tarball (only `logs/`).
    pub logs_tarball: PackedArtifact,
    /// A ready `Artifacts.toml` entry for the main tarball.
    pub artifacts_toml: String,
    /// The unpacked prefix.
    pub prefix: PathBuf,
    /// The build log inside the prefix.
    pub log: PathBuf,
    /// The environment the build ran with.
    pub env: BuildEnv,
    pub image: ImageRef,
    /// The runner's account: duration, phases, network, knobs that did not apply.
    pub output: BuildOutput,
    /// Time spent packing both tarballs.
    pub pack_duration: Duration,
    /// Files that came from a dependency and that the build changed (they stay in the artifact).
    pub dependency_files_changed: Vec<String>,
    /// Every dependency, how it was resolved and its tree hash (filled by [`build_recipe`]).
    pub dependencies: Vec<repro_report::DependencyInfo>,
}

/// Runs one build of a prepared recipe and packs its artifact.
pub async fn run_prepared(
    runner: &dyn Runner,
    req: RunRequest<'_>,
    sink: Sink,
) -> Result<BuildResult, BuildError> {
    let recipe = &req.prepared.recipe;
    let spec = BuildSpec {
        label: req.label.clone(),
        image: req.image.clone(),
        script: recipe.script.clone(),
        recipe_name: recipe.name.clone(),
        target: req.prepared.target.clone(),
        srcdir: req.srcdir.to_owned(),
        env: req.env.clone(),
        network: recipe.network,
        timeout: req.limits.timeout,
        memory_bytes: req.limits.memory_bytes,
        pids_limit: req.limits.pids_limit,
        out_dir: req.prefix_dir.clone(),
        installs: req.installs.clone(),
        cancel: req.cancel.clone(),
    };
    let output = runner.run(&spec, sink.clone()).await?;
    // The artifact holds only the recipe's own files (BinaryBuilder's cleanup_dependencies).
    let trees: Vec<PathBuf> = req
        .installs
        .iter()
        .filter(|i| i.into == InstallInto::Prefix)
        .map(|i| i.tree.clone())
        .collect();
    let dependency_files_changed = if trees.is_empty() {
        Vec::new()
    } else {
        let prefix = output.prefix.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&Path> = trees.iter().map(PathBuf::as_path).collect();
            crate::graph::remove_dependency_files(&prefix, &refs)
                .map_err(|source| BuildError::Io { path: prefix.clone(), source })
        })
        .await
        .map_err(|e| BuildError::Task(e.to_string()))??
    };
    check_products(&req.label, &recipe.products, &output.prefix, &req.prepared.target)?;

    sink.emit(Event::BuildPhase { build: req.label.clone(), phase: "pack".into() });
    let t = Instant::now();
    std::fs::create_dir_all(&req.products_dir).map_err(io_err(&req.products_dir))?;
    let main_path = req.products_dir.join(req.prepared.tarball_name());
    let logs_path = req.products_dir.join(req.prepared.logs_tarball_name());
    let prefix = output.prefix.clone();
    let (tarball, logs_tarball) = tokio::task::spawn_blocking(move || {
        let main = repro_artifact::pack_dir(&prefix, &main_path, |top| top != "logs")?;
        let logs = repro_artifact::pack_dir(&prefix, &logs_path, |top| top == "logs")?;
        Ok::<_, repro_artifact::Error>((main, logs))
    })
    .await
    .map_err(|e| BuildError::Task(e.to_string()))??;
    let pack_duration = t.elapsed();
    let artifacts_toml =
        repro_artifact::artifacts_toml_entry(&recipe.name, &req.prepared.target, &tarball, None);
    Ok(BuildResult {
        name: recipe.name.clone(),
        version: recipe.version.to_string(),
        target: req.prepared.target.clone(),
        label: req.label,
        tarball,
        logs_tarball,
        artifacts_toml,
        prefix: output.prefix.clone(),
        log: output.log.clone(),
        env: req.env,
        image: req.image,
        output,
        pack_duration,
        dependency_files_changed,
        dependencies: Vec::new(),
    })
}

/// Checks that every declared product exists in `prefix` for `target` and is built for it
/// (see [`crate::products`]).
pub fn check_products(
    label: &str,
    products: &[Product],
    prefix: &Path,
    target: &str,
) -> Result<Vec<ResolvedProduct>, BuildError> {
    let platform: Platform = target
        .parse()
        .map_err(|message| BuildError::Platform { recipe: PathBuf::from(target), message })?;
    let resolved = products::resolve_products(label, products, prefix, &platform)?;
    products::check_architectures(label, &resolved, prefix, &platform)?;
    Ok(resolved)
}

/// Options of [`build_recipe`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The recipe file (or its directory).
    pub recipe: PathBuf,
    /// Target triplet (default: the recipe's first platform).
    pub platform: Option<String>,
    /// Where the tarballs go.
    pub products_dir: PathBuf,
    /// Where the srcdir and the unpacked prefix go (`srcdir/`, `prefix/`; must not hold them).
    pub work_dir: PathBuf,
    pub fetch: FetchConfig,
    /// The environment (default: [`default_env`] of the recipe).
    pub env: Option<BuildEnv>,
    /// The build's label in events (default "build").
    pub label: String,
    pub limits: Limits,
    /// The image lock (default: the target family's pin, see [`image_lock_for`]).
    pub lock: Option<PathBuf>,
    /// Where dependencies are found, and `--rebuild-deps`.
    pub deps: crate::deps::DepConfig,
    /// Dependency builds at once.
    pub jobs: usize,
    /// Cancels everything (the CLI owns it).
    pub cancel: CancellationToken,
    /// What runs the builds (default: Docker with each family's pinned image).
    pub backend: Option<std::sync::Arc<crate::graph::Backend>>,
}

/// Loads, fetches, builds and packs one recipe.
pub async fn build_recipe(opts: &BuildOptions, sink: Sink) -> Result<BuildResult, BuildError> {
    // The target decides the image: pick it before fetching, so a missing image stops early.
    let target = {
        let recipe = crate::recipe_input::load_recipe_quiet(&opts.recipe)?.recipe;
        choose_target(&recipe, opts.platform.as_deref())?
    };
    let backend = match &opts.backend {
        Some(b) => b.clone(),
        None => std::sync::Arc::new(crate::graph::Backend::docker(opts.lock.clone()).await?),
    };
    let image = backend.image_for(&target).await?;

    let (recipe, platform, fetch, s) =
        (opts.recipe.clone(), opts.platform.clone(), opts.fetch.clone(), sink.clone());
    let srcdir = opts.work_dir.join("srcdir");
    let srcdir2 = srcdir.clone();
    let prepared = tokio::task::spawn_blocking(move || {
        let p = prepare(&recipe, platform.as_deref(), &fetch, &s)?;
        p.lay_out_srcdir(&srcdir2)?;
        Ok::<_, BuildError>(p)
    })
    .await
    .map_err(|e| BuildError::Task(e.to_string()))??;

    let ctx = crate::graph::DepContext {
        backend: &backend,
        fetch: &opts.fetch,
        config: &opts.deps,
        limits: opts.limits.clone(),
        jobs: opts.jobs,
        cancel: opts.cancel.clone(),
        sink: sink.clone(),
    };
    let deps = crate::graph::prepare_deps(&prepared.recipe, &prepared.target, &ctx).await?;

    let env = opts.env.clone().unwrap_or_else(|| prepared.default_env());
    let req = RunRequest {
        prepared: &prepared,
        srcdir: &srcdir,
        env,
        label: opts.label.clone(),
        image,
        prefix_dir: opts.work_dir.join("prefix"),
        products_dir: opts.products_dir.clone(),
        limits: opts.limits.clone(),
        installs: deps.installs(),
        cancel: opts.cancel.clone(),
    };
    let mut result = run_prepared(backend.runner(), req, sink).await?;
    result.dependencies = deps.infos();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(names: &[&str]) -> Product {
        Product::Library {
            names: names.iter().map(|s| s.to_string()).collect(),
            variable: "libx".into(),
            dir: None,
        }
    }

    #[test]
    fn products_are_found_or_named_when_missing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("lib")).unwrap();
        std::fs::create_dir_all(p.join("bin")).unwrap();
        std::fs::write(p.join("lib/libfoo.so.1.2"), "").unwrap();
        std::fs::write(p.join("bin/foo"), "").unwrap();
        std::fs::write(p.join("share.txt"), "").unwrap();
        let exe =
            Product::Executable { names: vec!["foo".into()], variable: "foo".into(), dir: None };
        let file = Product::File { path: "share.txt".into(), variable: "f".into() };
        let t = "x86_64-linux-gnu";
        check_products("t", &[lib(&["libfoo"]), exe, file], p, t).unwrap_err();
        std::fs::write(p.join("lib/libfoo.so.1.2"), std::fs::read("/bin/sh").unwrap()).unwrap();
        std::fs::write(p.join("bin/foo"), "#!/bin/sh\n").unwrap();
        let exe =
            Product::Executable { names: vec!["foo".into()], variable: "foo".into(), dir: None };
        let file = Product::File { path: "share.txt".into(), variable: "f".into() };
        check_products("t", &[lib(&["libfoo"]), exe, file], p, t).unwrap();

        let err = check_products("t", &[lib(&["libbar", "libbaz"])], p, t).unwrap_err().to_string();
        assert!(err.contains("lib/libbar.so* or lib/libbaz.so*"), "{err}");
        // `libfo` must not match `libfoo.so`.
        assert!(check_products("t", &[lib(&["libfo"])], p, t).is_err());
        let exe =
            Product::Executable { names: vec!["nope".into()], variable: "nope".into(), dir: None };
        let err = check_products("t", &[exe], p, t).unwrap_err().to_string();
        assert!(err.contains("`nope`") && err.contains("bin/nope"), "{err}");
        let file = Product::File { path: "../etc/passwd".into(), variable: "x".into() };
        assert!(check_products("t", &[file], p, t).is_err());
    }

    #[test]
    fn the_native_target_is_preferred_and_unbuildable_ones_are_refused() {
        let text = |platforms: &str| {
            format!(
                "name = \"t\"\nversion = \"1.0.0\"\nscript = \"true\"\nplatforms = [{platforms}]\n"
            )
        };
        let load = |platforms: &str| {
            repro_recipe::parse_str(&text(platforms), Path::new("/r/recipe.toml")).unwrap()
        };
        let r = load(r#""aarch64-linux-gnu", "x86_64-linux-gnu", "x86_64-apple-darwin""#);
        assert_eq!(choose_target(&r, None).unwrap(), "x86_64-linux-gnu");
        assert_eq!(choose_target(&r, Some("aarch64-linux-gnu")).unwrap(), "aarch64-linux-gnu");
        let err = choose_target(&r, Some("x86_64-apple-darwin")).unwrap_err().to_string();
        assert!(err.contains("cannot be built here") && err.contains("macOS"), "{err}");
        let r = load(r#""x86_64-apple-darwin", "i686-w64-mingw32""#);
        assert_eq!(choose_target(&r, None).unwrap(), "i686-w64-mingw32");
        let r = load(r#""x86_64-apple-darwin""#);
        let err = choose_target(&r, None).unwrap_err().to_string();
        assert!(err.contains("none of the recipe's platforms"), "{err}");
        let err = choose_target(&r, Some("x86_64-linux-gnu")).unwrap_err().to_string();
        assert!(err.contains("not among the recipe's platforms"), "{err}");
    }

    #[test]
    fn platform_all_expands_to_the_buildable_ones_and_keeps_the_reasons() {
        let r = repro_recipe::parse_str(
            "name = \"t\"\nversion = \"1.0.0\"\nscript = \"true\"\nplatforms = [\"x86_64-linux-gnu\", \"aarch64-apple-darwin\", \"x86_64-w64-mingw32\", \"armv6l-linux-gnueabihf\"]\n",
            Path::new("/r/recipe.toml"),
        )
        .unwrap();
        let plan = plan_platforms(&r, &["all".into()]).unwrap();
        assert_eq!(plan.targets, ["x86_64-linux-gnu", "x86_64-w64-mingw32"]);
        assert_eq!(plan.skipped.len(), 2);
        assert!(plan.skipped[0].1.contains("macOS"), "{:?}", plan.skipped);
        let plan = plan_platforms(&r, &["x86_64-w64-mingw32".into(), "all".into()]).unwrap();
        assert_eq!(plan.targets, ["x86_64-linux-gnu", "x86_64-w64-mingw32"]);
        let plan = plan_platforms(&r, &[]).unwrap();
        assert_eq!(plan.targets, ["x86_64-linux-gnu"]);
        assert!(plan_platforms(&r, &["aarch64-apple-darwin".into()]).is_err());
        assert!(plan_platforms(&r, &["i686-w64-mingw32".into()]).is_err());
    }

    #[test]
    fn each_target_uses_its_familys_pin() {
        let native = image_lock_for("x86_64-linux-gnu", None).unwrap();
        assert_eq!(native.family_name(), "native");
        // An explicit lock of another family does not apply.
        let d = tempfile::tempdir().unwrap();
        let other = d.path().join("mingw.lock");
        let text = repro_sandbox::family_lock(Family::Native, None).unwrap().to_toml();
        std::fs::write(&other, text.replace("suite = ", "family = \"mingw\"\nsuite = ")).unwrap();
        let l = image_lock_for("x86_64-linux-gnu", Some(&other)).unwrap();
        assert_eq!(l.family_name(), "native");
        if let Ok(l) = image_lock_for("x86_64-w64-mingw32", Some(&other)) {
            assert_eq!(l.family_name(), "mingw");
        }
    }
}
