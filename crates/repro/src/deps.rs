//! Dependency resolution: from a recipe's `[[dependencies]]` to a plan of dependency nodes, in
//! BinaryBuilder's terms.
//!
//! A dependency resolves, in this order:
//! 1. a local recipe: `recipe = "../ogg/recipe.toml"`, or by JLL name through the recipe index
//!    (`--recipes DIR`, `REPRO_RECIPES`): `Foo_jll` is the recipe named `Foo`. It is built by
//!    repro, for the same target (the host's for a `HostBuildDependency`), recursively;
//! 2. a prebuilt artifact: `artifact = URL` with `sha256` (and `git-tree-sha1`);
//! 3. a JLL by name in a JLL registry (`--jll DIR`, `REPRO_JLL`): `DIR/Foo_jll.jl/Artifacts.toml`
//!    as the JuliaBinaryWrappers repositories hold it, its entry chosen for the target as Pkg's
//!    `select_platform` does.
//!
//! Several recipes of one name (Yggdrasil's `Zlib@1.2.12`, `Zlib@1.3.1`): the newest whose
//! version the dependency's `compat` admits (the newest of all without a `compat`); the choice
//! is a note on the plan ([`DepPlan::notes`]) and on the sink. A dependency on the dependent
//! recipe's own JLL (Yggdrasil's Ncurses needs an older `Ncurses_jll` for the host's `tic`) is
//! the published JLL, as in BinaryBuilder: never the recipe itself, looked up in the JLL
//! registries only, and when none has it a [`Resolution::Published`] node that the plan
//! notes and that a build refuses ([`DepPlan::check_installable`]).
//!
//! A cycle, a missing name or an ambiguous one is an error that shows the chain. Resolution does
//! I/O only to read recipes and `Artifacts.toml` files; building and fetching are
//! [`crate::graph`]'s.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use repro_artifact::{ArtifactEntry, parse_artifacts_toml, platform_keys};
use repro_events::{Event, Level, Sink};
use repro_recipe::compat::VersionSpec;
use repro_recipe::{Dependency, DependencyKind, DependencySource, Recipe};
use repro_sandbox::NATIVE_TARGET;

/// Deepest dependency chain followed.
pub const MAX_DEPTH: usize = 64;
/// Most files looked at when indexing one `--recipes` directory.
const MAX_INDEX_ENTRIES: usize = 200_000;

/// Why dependencies cannot be resolved. Every message names the chain that led to it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DepError {
    #[error(
        "{chain}: cannot resolve {name}: no recipe named {recipe_name} in the recipe index{dirs} \
         and no {name}.jl/Artifacts.toml in a JLL registry{jll}; give --recipes DIR (or \
         REPRO_RECIPES) with its recipe, or --jll DIR (or REPRO_JLL) with its Artifacts.toml"
    )]
    Missing { chain: String, name: String, recipe_name: String, dirs: String, jll: String },
    #[error(
        "{chain}: {name} is ambiguous: several recipes are named {recipe_name} with the same \
         version: {paths}"
    )]
    Ambiguous { chain: String, name: String, recipe_name: String, paths: String },
    #[error(
        "{chain}: {name} is {recipe_name}'s own published JLL (BinaryBuilder installs the \
         published artifact; it does not build the recipe for itself), and no JLL registry has \
         {name}.jl/Artifacts.toml{jll}; give --jll DIR (or REPRO_JLL) with it"
    )]
    OwnJllMissing { chain: String, name: String, recipe_name: String, jll: String },
    #[error("dependency cycle: {chain}")]
    Cycle { chain: String },
    #[error("{chain}: dependency chain deeper than {MAX_DEPTH}")]
    TooDeep { chain: String },
    #[error("{chain}: {name}: {message}")]
    Invalid { chain: String, name: String, message: String },
    #[error("{chain}: {path}: {source}", path = path.display())]
    Load {
        chain: String,
        path: PathBuf,
        #[source]
        source: Box<crate::recipe_input::LoadError>,
    },
    #[error("{}: {source}", path.display())]
    ArtifactsToml {
        path: PathBuf,
        #[source]
        source: repro_artifact::ArtifactsTomlError,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where dependencies are looked up.
#[derive(Debug, Clone, Default)]
pub struct DepConfig {
    /// Directories searched for recipes by name (`--recipes`, then `REPRO_RECIPES`).
    pub recipe_dirs: Vec<PathBuf>,
    /// JLL registries (`--jll`, then `REPRO_JLL`).
    pub jll_dirs: Vec<PathBuf>,
    /// Build recipe dependencies again even when the dependency cache has them.
    pub rebuild: bool,
    /// `check --deps`: also check each recipe dependency's reproducibility.
    pub check: bool,
    /// The recipe index of `recipe_dirs`, built on first use ([`DepConfig::index`]) and shared
    /// by every clone of this config: one index per run, however many checks, batch jobs and
    /// dependency checks use it.
    pub shared_index: SharedIndex,
}

/// A [`RecipeIndex`] built once and shared by clones (see [`DepConfig::index`]).
#[derive(Debug, Clone, Default)]
pub struct SharedIndex(Arc<Mutex<Option<Arc<RecipeIndex>>>>);

impl SharedIndex {
    /// A cell already holding `index`.
    pub fn with(index: Arc<RecipeIndex>) -> SharedIndex {
        SharedIndex(Arc::new(Mutex::new(Some(index))))
    }
}

impl DepConfig {
    /// Command-line values followed by the colon-separated `REPRO_RECIPES` and `REPRO_JLL`.
    pub fn from_env_and_args(recipes: Vec<PathBuf>, jll: Vec<PathBuf>) -> DepConfig {
        let split = |var: &str| -> Vec<PathBuf> {
            std::env::var(var)
                .map(|v| v.split(':').filter(|s| !s.is_empty()).map(PathBuf::from).collect())
                .unwrap_or_default()
        };
        let mut recipe_dirs = recipes;
        recipe_dirs.extend(split("REPRO_RECIPES"));
        let mut jll_dirs = jll;
        jll_dirs.extend(split("REPRO_JLL"));
        DepConfig { recipe_dirs, jll_dirs, ..DepConfig::default() }
    }

    /// The recipe index of [`DepConfig::recipe_dirs`]: built (blocking) by the first caller,
    /// and the same index for every later call on this config or a clone of it. A note on
    /// `sink` says when it is built.
    pub fn index(&self, sink: &Sink) -> Result<Arc<RecipeIndex>, DepError> {
        let mut cell = self.shared_index.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cell.as_ref() {
            return Ok(i.clone());
        }
        let index = Arc::new(RecipeIndex::build(&self.recipe_dirs, sink)?);
        if !self.recipe_dirs.is_empty() {
            sink.emit(Event::Note {
                level: Level::Info,
                message: format!(
                    "recipe index: {} recipe names under {}",
                    index.len(),
                    self.recipe_dirs
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        *cell = Some(index.clone());
        Ok(index)
    }
}

/// Recipes by name, from `--recipes` directories: every `recipe.toml` by the name it declares,
/// and every `build_tarballs.jl` without a `recipe.toml` beside it by its directory's name
/// (Yggdrasil's layout; the name is checked when it is loaded).
///
/// It also keeps every recipe it has read (by canonical path), so that resolving the
/// dependencies of many recipes reads each dependency once ([`RecipeIndex::load`]).
#[derive(Debug, Default)]
pub struct RecipeIndex {
    by_name: BTreeMap<String, Vec<PathBuf>>,
    /// Recipes read, by canonical path, and whether their lints were emitted.
    loaded: Mutex<HashMap<PathBuf, (Arc<Recipe>, bool)>>,
    /// Canonical paths already asked for ([`RecipeIndex::canonical`]): resolving the
    /// dependencies of thousands of jobs asks for the same few thousand paths.
    canon: Mutex<HashMap<PathBuf, PathBuf>>,
    /// [`Resolver::choose`]'s choices by dependency name and compat: (recipe, note).
    choices: Mutex<HashMap<ChoiceKey, (PathBuf, String)>>,
    /// [`recipe_platform`]'s answers by recipe (canonical path) and target.
    platforms: Mutex<HashMap<(PathBuf, String), Option<String>>>,
}

/// A dependency name and its compat, as written by `VersionSpec`'s `Display`.
type ChoiceKey = (String, Option<String>);

impl RecipeIndex {
    /// Indexes `dirs`. Recipes that do not parse are skipped with a warning on `sink`.
    pub fn build(dirs: &[PathBuf], sink: &Sink) -> Result<RecipeIndex, DepError> {
        RecipeIndex::build_seeded(dirs, sink, Vec::new())
    }

    /// [`RecipeIndex::build`], with recipes already read (e.g. the jobs of a plan) kept first,
    /// so that the index does not read them again.
    pub fn build_seeded(
        dirs: &[PathBuf],
        sink: &Sink,
        seed: Vec<Arc<Recipe>>,
    ) -> Result<RecipeIndex, DepError> {
        let mut idx = RecipeIndex::default();
        for r in seed {
            idx.keep(r);
        }
        for dir in dirs {
            if !dir.is_dir() {
                return Err(DepError::Io {
                    path: dir.clone(),
                    source: std::io::Error::other(
                        "--recipes / REPRO_RECIPES names something that is not a directory",
                    ),
                });
            }
            let walker = walkdir::WalkDir::new(dir)
                .max_depth(8)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    let n = e.file_name().to_string_lossy();
                    e.depth() == 0 || !(n.starts_with('.') || n == "target")
                });
            for (seen, e) in walker.enumerate() {
                if seen > MAX_INDEX_ENTRIES {
                    sink.emit(Event::Note {
                        level: Level::Warn,
                        message: format!(
                            "{}: recipe index stopped after {MAX_INDEX_ENTRIES} entries",
                            dir.display()
                        ),
                    });
                    break;
                }
                let Ok(e) = e else { continue };
                if !e.file_type().is_file() {
                    continue;
                }
                let path = e.path();
                match e.file_name().to_str() {
                    Some("recipe.toml") => match idx.read_toml(&idx.canonical(path)) {
                        Ok(name) => idx.add(&name, path),
                        Err(err) => sink.emit(Event::Note {
                            level: Level::Warn,
                            message: format!("recipe index: skipping {}: {err}", path.display()),
                        }),
                    },
                    Some("build_tarballs.jl") => {
                        let parent = path.parent().unwrap_or(Path::new("."));
                        if !parent.join("recipe.toml").exists()
                            && let Some(name) = parent.file_name().and_then(|n| n.to_str())
                        {
                            idx.add(name, path);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(idx)
    }

    fn add(&mut self, name: &str, path: &Path) {
        let p = self.canonical(path);
        let v = self.by_name.entry(name.to_owned()).or_default();
        if !v.contains(&p) {
            v.push(p);
        }
    }

    /// The name of the recipe.toml at `canon`, read (and kept) unless already kept.
    fn read_toml(&self, canon: &Path) -> Result<String, repro_recipe::RecipeError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((r, _)) = loaded.get(canon) {
            return Ok(r.name.clone());
        }
        let r = repro_recipe::load(canon)?;
        let name = r.name.clone();
        loaded.insert(canon.to_owned(), (Arc::new(r), false));
        Ok(name)
    }

    /// Keeps `recipe` (read from its canonical path, its lints not yet emitted) for
    /// [`RecipeIndex::load`].
    pub fn keep(&self, recipe: Arc<Recipe>) {
        let key = self.canonical(&recipe.path);
        self.loaded.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_insert((recipe, false));
    }

    /// The recipe at `path` (a canonical path), read once: later calls return the same recipe.
    /// The first call emits the recipe's lints and import warnings on `sink`.
    pub fn load(
        &self,
        path: &Path,
        sink: &Sink,
    ) -> Result<Arc<Recipe>, crate::recipe_input::LoadError> {
        {
            let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((r, announced)) = loaded.get_mut(path) {
                if !*announced {
                    *announced = true;
                    crate::recipe_input::emit_lints(r, sink);
                }
                return Ok(r.clone());
            }
        }
        let r = Arc::new(crate::recipe_input::load_recipe(path, sink)?);
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(path.to_owned())
            .or_insert((r.clone(), true));
        Ok(r)
    }

    /// `path` made canonical (itself when that fails), remembered: the file system is asked
    /// once per path.
    pub fn canonical(&self, path: &Path) -> PathBuf {
        let mut canon = self.canon.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = canon.get(path) {
            return c.clone();
        }
        let c = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        canon.insert(path.to_owned(), c.clone());
        c
    }

    /// [`recipe_platform`] of `recipe` (read from `canon`) for `target`, remembered.
    fn platform_for(&self, canon: &Path, recipe: &Recipe, target: &str) -> Option<String> {
        if recipe.platforms.iter().any(|p| p == target) {
            return Some(target.to_owned());
        }
        // One artifact for every target (`AnyPlatform()`): the one platform it is built on.
        if recipe.platform_independent {
            return recipe.platforms.first().cloned();
        }
        let key = (canon.to_owned(), target.to_owned());
        let mut known = self.platforms.lock().unwrap_or_else(|e| e.into_inner());
        known
            .entry(key)
            .or_insert_with(|| recipe_platform(&recipe.platforms, target).map(str::to_owned))
            .clone()
    }

    /// The recipes named `name`.
    pub fn get(&self, name: &str) -> &[PathBuf] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Number of names indexed.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// How one dependency node is obtained.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Built by repro from this recipe.
    Recipe { recipe: Arc<Recipe> },
    /// A prebuilt tarball.
    Artifact { url: String, sha256: String, git_tree_sha1: Option<String>, base: PathBuf },
    /// An entry of a JLL registry's `Artifacts.toml`.
    Jll { artifacts_toml: PathBuf, entry: ArtifactEntry, url: String, sha256: String },
    /// A `RuntimeDependency`: recorded, not installed.
    NotInstalled,
    /// The dependent recipe's own JLL, which no JLL registry given has: the published
    /// artifact, not available here (see [`DepPlan::check_installable`]).
    Published { chain: String },
}

impl Resolution {
    /// `recipe`, `artifact`, `jll` or `not-installed` (the report's words).
    pub fn word(&self) -> &'static str {
        match self {
            Resolution::Recipe { .. } => "recipe",
            Resolution::Artifact { .. } => "artifact",
            Resolution::Jll { .. } => "jll",
            Resolution::NotInstalled => "not-installed",
            Resolution::Published { .. } => "published",
        }
    }

    /// The recipe path, the tarball URL or the `Artifacts.toml`.
    pub fn from(&self) -> Option<String> {
        match self {
            Resolution::Recipe { recipe } => Some(recipe.path.display().to_string()),
            Resolution::Artifact { url, .. } => Some(url.clone()),
            Resolution::Jll { artifacts_toml, .. } => Some(artifacts_toml.display().to_string()),
            Resolution::NotInstalled | Resolution::Published { .. } => None,
        }
    }
}

/// One dependency node: a name resolved for one target.
#[derive(Debug, Clone)]
pub struct DepNode {
    /// `Foo_jll` (or the recipe's name when given by path without a name).
    pub name: String,
    pub target: String,
    /// The kind of the first edge that reached it.
    pub kind: DependencyKind,
    pub resolution: Resolution,
    /// This node's own dependencies (recipe nodes only): node index and kind.
    pub deps: Vec<(usize, DependencyKind)>,
    /// Names of the nodes (or the root recipe) that need this one.
    pub required_by: Vec<String>,
}

/// The resolved dependencies of one recipe for one target. `nodes` are in dependency order
/// (every node after the nodes it needs).
#[derive(Debug, Clone, Default)]
pub struct DepPlan {
    pub nodes: Vec<DepNode>,
    /// The recipe's direct dependencies: node index and kind.
    pub roots: Vec<(usize, DependencyKind)>,
    /// What resolution chose that the user may want to know: the recipe picked among several
    /// of one name, a dependency on the recipe's own published JLL.
    pub notes: Vec<String>,
}

impl DepPlan {
    /// True when the recipe has no dependency for this target.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// An error when a node cannot be installed here: a recipe's own published JLL that no
    /// JLL registry given has.
    pub fn check_installable(&self, config: &DepConfig) -> Result<(), DepError> {
        for n in &self.nodes {
            if let Resolution::Published { chain } = &n.resolution {
                return Err(DepError::OwnJllMissing {
                    chain: chain.clone(),
                    name: n.name.clone(),
                    recipe_name: recipe_name(&n.name),
                    jll: dir_list(&config.jll_dirs),
                });
            }
        }
        Ok(())
    }

    /// What a build with `deps` as direct dependencies gets installed, as BinaryBuilder does:
    /// each installed dependency with its transitive run-time (`Dependency`) closure, into
    /// `${prefix}`, or `${host_prefix}` for host build dependencies. Node indices, in dependency
    /// order, without duplicates.
    pub fn installs_for(&self, deps: &[(usize, DependencyKind)]) -> Vec<(usize, bool)> {
        let mut out: Vec<(usize, bool)> = Vec::new();
        for &(i, kind) in deps {
            if !kind.is_installed() {
                continue;
            }
            let host = kind.is_host();
            let mut stack = vec![i];
            while let Some(n) = stack.pop() {
                if out.contains(&(n, host)) {
                    continue;
                }
                out.push((n, host));
                for &(c, k) in &self.nodes[n].deps {
                    if k == DependencyKind::Dependency {
                        stack.push(c);
                    }
                }
            }
        }
        out.sort();
        out
    }
}

/// Resolves dependencies with a recipe index and JLL registries.
pub struct Resolver<'a> {
    pub index: &'a RecipeIndex,
    pub config: &'a DepConfig,
    pub sink: &'a Sink,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Recipe(PathBuf),
    Artifact(String),
    Jll(PathBuf, usize),
    Runtime(String),
    Published(String),
}

impl Resolver<'_> {
    /// Resolves every dependency of `recipe` for `target`, recursively.
    pub fn resolve(&self, recipe: &Recipe, target: &str) -> Result<DepPlan, DepError> {
        let mut st = State { plan: DepPlan::default(), seen: HashMap::new(), chain: Vec::new() };
        st.chain.push((Identity::Recipe(self.index.canonical(&recipe.path)), recipe.name.clone()));
        let roots = self.resolve_deps(recipe, target, &mut st)?;
        st.plan.roots = roots;
        Ok(st.plan)
    }

    fn resolve_deps(
        &self,
        recipe: &Recipe,
        target: &str,
        st: &mut State,
    ) -> Result<Vec<(usize, DependencyKind)>, DepError> {
        let mut out = Vec::new();
        for dep in &recipe.dependencies {
            if !applies_to(dep, target) {
                continue;
            }
            let dep_target = if dep.kind.is_host() { NATIVE_TARGET } else { target };
            let i = self.resolve_one(recipe, dep, dep_target, st)?;
            let required_by = recipe.name.clone();
            if !st.plan.nodes[i].required_by.contains(&required_by) {
                st.plan.nodes[i].required_by.push(required_by);
            }
            out.push((i, dep.kind));
        }
        Ok(out)
    }

    fn resolve_one(
        &self,
        parent: &Recipe,
        dep: &Dependency,
        target: &str,
        st: &mut State,
    ) -> Result<usize, DepError> {
        let name = dep_name(dep);
        if st.chain.len() > MAX_DEPTH {
            return Err(DepError::TooDeep { chain: st.chain_text(Some(&name)) });
        }
        if dep.kind == DependencyKind::RuntimeDependency {
            let id = (Identity::Runtime(name.clone()), target.to_owned());
            return Ok(st.node(id, || DepNode {
                name: name.clone(),
                target: target.to_owned(),
                kind: dep.kind,
                resolution: Resolution::NotInstalled,
                deps: Vec::new(),
                required_by: Vec::new(),
            }));
        }
        let invalid = |st: &State, message: String| DepError::Invalid {
            chain: st.chain_text(None),
            name: name.clone(),
            message,
        };
        let compat = match &dep.compat {
            Some(c) => Some(
                c.parse::<VersionSpec>().map_err(|e| invalid(st, format!("compat {c:?}: {e}")))?,
            ),
            None => None,
        };
        // A dependency on the recipe's own JLL is the published JLL (BinaryBuilder's view),
        // never an edge to the recipe itself.
        let own = matches!(dep.source, DependencySource::Jll) && recipe_name(&name) == parent.name;
        // 1. A local recipe, by path or by name.
        let recipe_path = match &dep.source {
            DependencySource::Recipe { path } => Some(parent.dir.join(path)),
            DependencySource::Jll if own => None,
            DependencySource::Jll => {
                let rname = recipe_name(&name);
                match self.index.get(&rname) {
                    [] => None,
                    [one] => Some(one.clone()),
                    many => Some(self.choose(many, &name, compat.as_ref(), st)?),
                }
            }
            DependencySource::Artifact { .. } => None,
        };
        if let Some(path) = recipe_path {
            let canon = self.index.canonical(&path);
            let id = (Identity::Recipe(canon.clone()), target.to_owned());
            if st.chain.iter().any(|(i, _)| i == &id.0) {
                return Err(DepError::Cycle { chain: st.chain_text(Some(&name)) });
            }
            if let Some(&i) = st.seen.get(&id) {
                return Ok(i);
            }
            let recipe = self.index.load(&canon, self.sink).map_err(|e| DepError::Load {
                chain: st.chain_text(Some(&name)),
                path: canon.clone(),
                source: Box::new(e),
            })?;
            if let DependencySource::Jll = dep.source
                && recipe.name != recipe_name(&name)
            {
                return Err(invalid(
                    st,
                    format!(
                        "{} declares the name {:?}, not {:?}",
                        canon.display(),
                        recipe.name,
                        recipe_name(&name)
                    ),
                ));
            }
            if let Some(spec) = &compat
                && !spec.contains(&recipe.version)
            {
                return Err(invalid(
                    st,
                    format!(
                        "recipe {} has version {}, outside compat {spec}",
                        canon.display(),
                        recipe.version
                    ),
                ));
            }
            // The recipe's platform for `target`, as Pkg selects a JLL's artifact: a job for
            // `x86_64-linux-gnu-cxx11` gets a dependency built for `x86_64-linux-gnu`.
            let Some(dep_target) = self.index.platform_for(&canon, &recipe, target) else {
                return Err(invalid(
                    st,
                    format!(
                        "recipe {} does not list the platform {target} (it lists {})",
                        canon.display(),
                        recipe.platforms.join(", ")
                    ),
                ));
            };
            st.chain.push((id.0.clone(), name.clone()));
            let children = self.resolve_deps(&recipe, &dep_target, st)?;
            st.chain.pop();
            let id = (id.0, dep_target.clone());
            let node = DepNode {
                name: name.clone(),
                target: dep_target,
                kind: dep.kind,
                resolution: Resolution::Recipe { recipe },
                deps: children,
                required_by: Vec::new(),
            };
            return Ok(st.node(id, || node));
        }
        // 2. A prebuilt artifact.
        if let DependencySource::Artifact { url, sha256, git_tree_sha1 } = &dep.source {
            let id = (Identity::Artifact(sha256.to_ascii_lowercase()), target.to_owned());
            return Ok(st.node(id, || DepNode {
                name: name.clone(),
                target: target.to_owned(),
                kind: dep.kind,
                resolution: Resolution::Artifact {
                    url: url.clone(),
                    sha256: sha256.clone(),
                    git_tree_sha1: git_tree_sha1.clone(),
                    base: parent.dir.clone(),
                },
                deps: Vec::new(),
                required_by: Vec::new(),
            }));
        }
        // 3. A JLL registry.
        for dir in &self.config.jll_dirs {
            let Some((toml, project)) = jll_files(dir, &name) else { continue };
            let text = std::fs::read_to_string(&toml)
                .map_err(|source| DepError::Io { path: toml.clone(), source })?;
            let entries = parse_artifacts_toml(&text, &toml.display().to_string())
                .map_err(|source| DepError::ArtifactsToml { path: toml.clone(), source })?;
            let art = recipe_name(&name);
            let named: Vec<ArtifactEntry> = if entries.iter().any(|e| e.name == art) {
                entries.into_iter().filter(|e| e.name == art).collect()
            } else {
                entries
            };
            if let (Some(spec), Some(v)) = (&compat, project.as_deref().and_then(project_version))
                && !spec.contains(&v)
            {
                return Err(invalid(
                    st,
                    format!("{} has version {v}, outside compat {spec}", toml.display()),
                ));
            }
            let Some(entry) = select_platform(&named, target) else {
                return Err(invalid(
                    st,
                    format!(
                        "{} has no entry for {target} (it has: {})",
                        toml.display(),
                        named
                            .iter()
                            .map(ArtifactEntry::platform_label)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                ));
            };
            let Some(dl) = entry.downloads.iter().find(|d| d.url.is_some()) else {
                return Err(invalid(
                    st,
                    format!("{}: the entry for {target} has no download url", toml.display()),
                ));
            };
            if own {
                let note = format!(
                    "{}: {name} is {}'s own published JLL: {}",
                    st.chain_text(Some(&name)),
                    parent.name,
                    toml.display()
                );
                if !st.plan.notes.contains(&note) {
                    self.sink.emit(Event::Note { level: Level::Info, message: note.clone() });
                    st.plan.notes.push(note);
                }
            }
            let id = (Identity::Jll(toml.clone(), entry.index), target.to_owned());
            let (url, sha256) = (dl.url.clone().unwrap_or_default(), dl.sha256.to_string());
            let entry = entry.clone();
            return Ok(st.node(id, || DepNode {
                name: name.clone(),
                target: target.to_owned(),
                kind: dep.kind,
                resolution: Resolution::Jll { artifacts_toml: toml, entry, url, sha256 },
                deps: Vec::new(),
                required_by: Vec::new(),
            }));
        }
        if own {
            let chain = st.chain_text(Some(&name));
            let note = format!(
                "{chain}: {name} is {}'s own published JLL: not the recipe itself, and no JLL \
                 registry given has it",
                parent.name
            );
            if !st.plan.notes.contains(&note) {
                self.sink.emit(Event::Note { level: Level::Info, message: note.clone() });
                st.plan.notes.push(note);
            }
            let id = (Identity::Published(name.clone()), target.to_owned());
            return Ok(st.node(id, || DepNode {
                name: name.clone(),
                target: target.to_owned(),
                kind: dep.kind,
                resolution: Resolution::Published { chain },
                deps: Vec::new(),
                required_by: Vec::new(),
            }));
        }
        Err(DepError::Missing {
            chain: st.chain_text(Some(&name)),
            name: name.clone(),
            recipe_name: recipe_name(&name),
            dirs: dir_list(&self.config.recipe_dirs),
            jll: dir_list(&self.config.jll_dirs),
        })
    }

    /// Among several recipes named for `name` (`Foo_jll`: recipes named `Foo`), the newest
    /// whose version `compat` admits; a note says which. Recipes that declare another name
    /// (a `build_tarballs.jl` indexed by its directory) are left out. Two candidates with the
    /// newest version are ambiguous.
    fn choose(
        &self,
        paths: &[PathBuf],
        name: &str,
        compat: Option<&VersionSpec>,
        st: &mut State,
    ) -> Result<PathBuf, DepError> {
        let key = (name.to_owned(), compat.map(|c| c.to_string()));
        let known = self.index.choices.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        if let Some((path, note)) = known {
            if !st.plan.notes.contains(&note) {
                st.plan.notes.push(note);
            }
            return Ok(path);
        }
        let rname = recipe_name(name);
        let mut all = Vec::new();
        for p in paths {
            let canon = self.index.canonical(p);
            let recipe = self.index.load(&canon, self.sink).map_err(|e| DepError::Load {
                chain: st.chain_text(Some(name)),
                path: canon.clone(),
                source: Box::new(e),
            })?;
            if recipe.name == rname {
                all.push((recipe.version, canon));
            }
        }
        let versions = |v: &[(repro_recipe::Version, PathBuf)]| {
            v.iter().map(|(v, p)| format!("{v} at {}", p.display())).collect::<Vec<_>>().join(", ")
        };
        let admitted: Vec<&(repro_recipe::Version, PathBuf)> =
            all.iter().filter(|(v, _)| compat.is_none_or(|c| c.contains(v))).collect();
        let Some(newest) = admitted.iter().map(|(v, _)| *v).max() else {
            return Err(DepError::Invalid {
                chain: st.chain_text(None),
                name: name.to_owned(),
                message: match compat {
                    Some(c) => {
                        format!("no recipe named {rname} within compat {c} ({})", versions(&all))
                    }
                    None => format!("no recipe declares the name {rname} ({})", versions(&all)),
                },
            });
        };
        let chosen: Vec<&PathBuf> =
            admitted.iter().filter(|(v, _)| *v == newest).map(|(_, p)| p).collect();
        if chosen.len() > 1 {
            return Err(DepError::Ambiguous {
                chain: st.chain_text(Some(name)),
                name: name.to_owned(),
                recipe_name: rname,
                paths: chosen
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let why = match compat {
            Some(c) => format!("the newest within compat {c}"),
            None => "the newest".to_owned(),
        };
        let note = format!(
            "{name}: {} recipes are named {rname} ({}); chose {newest} at {} ({why})",
            all.len(),
            all.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>().join(", "),
            chosen[0].display()
        );
        self.sink.emit(Event::Note { level: Level::Info, message: note.clone() });
        if !st.plan.notes.contains(&note) {
            st.plan.notes.push(note.clone());
        }
        self.index
            .choices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (chosen[0].clone(), note));
        Ok(chosen[0].clone())
    }
}

/// ` (DIR, DIR)`, or ` (none given)`.
fn dir_list(v: &[PathBuf]) -> String {
    if v.is_empty() {
        " (none given)".to_owned()
    } else {
        format!(" ({})", v.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
    }
}

struct State {
    plan: DepPlan,
    seen: HashMap<(Identity, String), usize>,
    chain: Vec<(Identity, String)>,
}

impl State {
    fn node(&mut self, id: (Identity, String), make: impl FnOnce() -> DepNode) -> usize {
        if let Some(&i) = self.seen.get(&id) {
            return i;
        }
        self.plan.nodes.push(make());
        let i = self.plan.nodes.len() - 1;
        self.seen.insert(id, i);
        i
    }

    fn chain_text(&self, last: Option<&str>) -> String {
        let mut names: Vec<&str> = self.chain.iter().map(|(_, n)| n.as_str()).collect();
        names.extend(last);
        names.join(" -> ")
    }
}

/// The dependency's name: its `name`, else the file stem of its recipe path's directory.
fn dep_name(dep: &Dependency) -> String {
    if let Some(n) = &dep.name {
        return n.clone();
    }
    match &dep.source {
        DependencySource::Recipe { path } => {
            let p = Path::new(path);
            let stem =
                if p.file_name().is_some_and(|f| f == "recipe.toml" || f == "build_tarballs.jl") {
                    p.parent().and_then(|d| d.file_name())
                } else {
                    p.file_stem()
                };
            stem.map_or_else(|| path.clone(), |s| s.to_string_lossy().into_owned())
        }
        DependencySource::Artifact { url, .. } => url.rsplit('/').next().unwrap_or(url).to_owned(),
        DependencySource::Jll => "<unnamed>".into(),
    }
}

/// `Foo_jll` → `Foo`.
pub fn recipe_name(jll: &str) -> String {
    jll.strip_suffix("_jll").unwrap_or(jll).to_owned()
}

/// Whether `dep`'s `platforms` filter admits `target` (Pkg's `platforms_match`: keys present on
/// both sides must agree).
pub fn applies_to(dep: &Dependency, target: &str) -> bool {
    match &dep.platforms {
        None => true,
        Some(list) => {
            let t = parsed_keys(target);
            list.iter().any(|p| keys_match(&parsed_keys(p), &t))
        }
    }
}

/// A platform triplet's keys (`arch`, `os`, `libc`, tags), as Pkg compares them.
type Keys = BTreeMap<&'static str, String>;

/// [`platform_keys`] of `p`, remembered per thread: a plan of thousands of jobs asks for the
/// same few hundred triplets millions of times (bounded: the memo is emptied when full).
fn parsed_keys(p: &str) -> std::rc::Rc<Keys> {
    const MAX: usize = 4096;
    thread_local! {
        static MEMO: std::cell::RefCell<HashMap<String, std::rc::Rc<Keys>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    MEMO.with(|m| {
        if let Some(k) = m.borrow().get(p) {
            return k.clone();
        }
        let k = std::rc::Rc::new(platform_keys(p).into_iter().collect::<Keys>());
        let mut m = m.borrow_mut();
        if m.len() >= MAX {
            m.clear();
        }
        m.insert(p.to_owned(), k.clone());
        k
    })
}

/// Keys present on both sides agree.
fn keys_match(entry: &Keys, target: &Keys) -> bool {
    entry.iter().all(|(k, v)| target.get(k).is_none_or(|t| t == v))
}

fn platforms_match(
    entry: &BTreeMap<String, String>,
    target: &BTreeMap<&'static str, String>,
) -> bool {
    entry.iter().all(|(k, v)| target.get(k.as_str()).is_none_or(|t| t == v))
}

/// Pkg's `select_platform`: among the entries whose platform matches `target` (keys present on
/// both sides agree), the one whose tags differ least from the target's; ties go to the greatest
/// triplet (so `libgfortran5` beats `libgfortran4`).
pub fn select_platform<'a>(
    entries: &'a [ArtifactEntry],
    target: &str,
) -> Option<&'a ArtifactEntry> {
    let t: BTreeMap<&'static str, String> = platform_keys(target).into_iter().collect();
    let loss = |e: &ArtifactEntry| {
        let a: std::collections::BTreeSet<&str> = e.platform.keys().map(String::as_str).collect();
        let b: std::collections::BTreeSet<&str> = t.keys().copied().collect();
        a.union(&b).count() - a.intersection(&b).count()
    };
    let mut matches: Vec<&ArtifactEntry> =
        entries.iter().filter(|e| platforms_match(&e.platform, &t)).collect();
    matches.sort_by(|a, b| loss(a).cmp(&loss(b)).then_with(|| triplet_key(b).cmp(&triplet_key(a))));
    matches.into_iter().next()
}

/// The platform of `platforms` (a recipe's) that a dependency for `target` is built for:
/// `target` itself when listed, else as [`select_platform`] chooses among artifacts: the
/// platforms whose keys agree with the target's on every key both have, the one whose keys
/// differ least, ties going to the greatest triplet.
pub fn recipe_platform<'a>(platforms: &'a [String], target: &str) -> Option<&'a str> {
    if let Some(p) = platforms.iter().find(|p| *p == target) {
        return Some(p);
    }
    let t = parsed_keys(target);
    let mut best: Option<(usize, &str)> = None;
    for p in platforms {
        let keys = parsed_keys(p);
        if !keys_match(&keys, &t) {
            continue;
        }
        let both = keys.keys().filter(|k| t.contains_key(*k)).count();
        let loss = keys.len() + t.len() - 2 * both;
        let better = match best {
            None => true,
            Some((l, q)) => loss < l || (loss == l && p.as_str() > q),
        };
        if better {
            best = Some((loss, p));
        }
    }
    best.map(|(_, p)| p)
}

fn triplet_key(e: &ArtifactEntry) -> String {
    e.platform.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// `DIR/Foo_jll.jl/Artifacts.toml` or `DIR/Foo_jll/Artifacts.toml`, with its `Project.toml`.
fn jll_files(dir: &Path, name: &str) -> Option<(PathBuf, Option<PathBuf>)> {
    for d in [dir.join(format!("{name}.jl")), dir.join(name)] {
        let toml = d.join("Artifacts.toml");
        if std::fs::symlink_metadata(&toml).is_ok_and(|m| m.is_file()) {
            let project = d.join("Project.toml");
            return Some((toml, project.is_file().then_some(project)));
        }
    }
    None
}

/// The `version` of a JLL's `Project.toml`, without its build number (`1.3.5+1` → `1.3.5`).
fn project_version(path: &Path) -> Option<repro_recipe::Version> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: toml::Value = toml::from_str(&text).ok()?;
    let s = v.get("version")?.as_str()?;
    s.split('+').next()?.parse().ok()
}
