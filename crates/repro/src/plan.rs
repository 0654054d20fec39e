//! `repro plan`: the batch's graph serialized for an external CI engine.
//!
//! One engine job per recipe × platform runs `repro check RECIPE --platform P --batch --json
//! reports/<id>/batch.json` and uploads `reports/<id>/` as an artifact; a last job downloads every
//! artifact and runs `repro report merge`. Dependencies are resolved by the resolver `repro
//! check` uses ([`crate::deps`]), over the plan's inputs and `--recipes` directories and the
//! `--jll` registries; each check of a recipe with dependencies gets the same `--recipes` and
//! `--jll`, so it resolves them the same way on a fresh runner. A dependency that resolves to a
//! planned recipe becomes a job dependency (GitHub Actions `needs`, Buildkite `depends_on`);
//! one that resolves to a JLL or an artifact does not.
//!
//! - GitHub Actions: jobs are grouped by dependency level (a recipe's level is one more than
//!   its deepest dependency's) and split into matrix jobs of at most [`GHA_MAX_MATRIX`] entries;
//!   a matrix job `needs` the matrix jobs holding its entries' dependencies.
//! - Buildkite: one command step per job, keyed by job id; pipelines are split into uploads of
//!   at most [`BUILDKITE_MAX_STEPS`] steps, each upload's last step uploading the next part.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use repro_events::Sink;
use serde::Serialize;

use crate::batch::BatchJob;
use crate::deps::{DepConfig, DepError, DepPlan, RecipeIndex, Resolution, Resolver};

/// Entries per GitHub Actions matrix (GitHub's limit).
pub const GHA_MAX_MATRIX: usize = 256;
/// Steps per `buildkite-agent pipeline upload` (Buildkite's recommended bound).
pub const BUILDKITE_MAX_STEPS: usize = 500;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    #[error("git: {0}")]
    Git(String),
    #[error("recipe dependencies form a cycle through {0}")]
    Cycle(String),
    #[error("cannot write YAML: {0}")]
    Yaml(String),
    #[error(transparent)]
    Deps(#[from] DepError),
}

type Result<T, E = PlanError> = std::result::Result<T, E>;

/// How the emitted jobs run repro.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Shell commands that make `repro` available on the runner (run before the check).
    pub setup: String,
    /// Extra arguments of every `repro check` (e.g. `--vary all`).
    pub check_args: Vec<String>,
    /// GitHub Actions `runs-on`.
    pub runs_on: String,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            setup: "cargo install --locked --path crates/repro-cli".into(),
            check_args: Vec::new(),
            runs_on: "ubuntu-latest".into(),
        }
    }
}

/// A job of the plan with its resolved dependencies (indices into [`Plan::jobs`]).
#[derive(Debug, Clone)]
pub struct PlannedJob {
    pub job: BatchJob,
    /// Jobs this one needs: the planned jobs of the local recipes its dependencies resolve to
    /// (directly, or through a recipe that is not planned).
    pub needs: Vec<usize>,
    /// 0 for jobs without dependencies, else 1 + the deepest dependency's level.
    pub level: usize,
    /// The recipe declares dependencies: its check is given the plan's `--recipes` and `--jll`.
    pub has_deps: bool,
}

/// Jobs with their dependency edges.
#[derive(Debug, Clone)]
pub struct Plan {
    pub jobs: Vec<PlannedJob>,
    /// The recipe index directories every check with dependencies is given (`--recipes`).
    pub recipe_dirs: Vec<PathBuf>,
    /// The JLL registries every check with dependencies is given (`--jll`).
    pub jll_dirs: Vec<PathBuf>,
    /// Jobs whose dependencies do not resolve here (job id, the resolver's error): they get no
    /// job dependencies, and their check will report the same error.
    pub unresolved: Vec<(String, String)>,
    /// What resolution chose that the user may want to know, once each (see
    /// [`DepPlan::notes`]): the recipe picked among several of one name, a recipe's own
    /// published JLL (no job dependency).
    pub notes: Vec<String>,
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_owned())
}

/// The directories a plan indexes for recipe dependencies and passes to its checks as
/// `--recipes`: the `--recipes` directories, then the plan's inputs (a directory, a file's
/// directory, a glob's base directory); a directory inside another of the list is left out.
pub fn index_dirs(inputs: &[PathBuf], recipes: &[PathBuf]) -> Vec<PathBuf> {
    let dot = || PathBuf::from(".");
    let nonempty = |p: &Path| if p.as_os_str().is_empty() { dot() } else { p.to_owned() };
    let mut dirs: Vec<PathBuf> = recipes.to_vec();
    for i in inputs {
        if i.is_dir() {
            dirs.push(i.clone());
        } else if i.is_file() {
            dirs.push(nonempty(i.parent().unwrap_or(Path::new("."))));
        } else {
            dirs.push(nonempty(&crate::batch::glob_base(&i.to_string_lossy())));
        }
    }
    let mut kept: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut by_depth: Vec<(PathBuf, PathBuf)> = dirs.into_iter().map(|d| (canon(&d), d)).collect();
    by_depth.sort_by_key(|(c, _)| c.components().count());
    for (c, d) in by_depth {
        if !kept.iter().any(|(k, _)| c.starts_with(k)) {
            kept.push((c, d));
        }
    }
    // The order given (--recipes first), not the depth order.
    let order =
        |d: &PathBuf| recipes.iter().chain(inputs).position(|i| i == d).unwrap_or(usize::MAX);
    kept.sort_by_key(|(_, d)| order(d));
    kept.into_iter().map(|(_, d)| d).collect()
}

impl Plan {
    /// Resolves the dependencies of `jobs` with the resolver `repro check` uses (the recipe
    /// index of `config.recipe_dirs`, artifacts, the JLL registries of `config.jll_dirs`): a
    /// job needs the planned job of each local recipe a dependency resolves to, for the
    /// target it is built for; a dependency on a JLL or an artifact gives no edge.
    ///
    /// With `changed` (canonical recipe paths), only the jobs of those recipes and the jobs
    /// whose dependencies resolve to one of them (directly or not) are kept. A resolution error
    /// (a missing or ambiguous name, a cycle) leaves the job without edges (see
    /// [`Plan::unresolved`]).
    pub fn new(
        jobs: Vec<BatchJob>,
        config: &DepConfig,
        changed: Option<&BTreeSet<PathBuf>>,
        sink: &Sink,
    ) -> Result<Plan> {
        let seed: Vec<Arc<repro_recipe::Recipe>> =
            jobs.iter().filter_map(|j| j.recipe.clone()).collect();
        let index = Arc::new(RecipeIndex::build_seeded(&config.recipe_dirs, sink, seed)?);
        let quiet = repro_events::null_sink();
        let resolver = Resolver { index: &index, config, sink: &quiet };
        let canons: Vec<PathBuf> = jobs.iter().map(|j| index.canonical(&j.recipe_path)).collect();
        let mut unresolved = Vec::new();
        // Each job's dependencies resolve on their own (the index remembers what they share):
        // in parallel, in order.
        let resolved: Vec<Result<Option<DepPlan>, String>> = jobs
            .par_iter()
            .map(|j| match &j.recipe {
                None => Ok(None),
                Some(recipe) if recipe.dependencies.is_empty() => Ok(Some(DepPlan::default())),
                Some(recipe) => {
                    resolver.resolve(recipe, &j.job.platform).map(Some).map_err(|e| e.to_string())
                }
            })
            .collect();
        let mut plans: Vec<Option<DepPlan>> = Vec::with_capacity(jobs.len());
        for (j, r) in jobs.iter().zip(resolved) {
            match r {
                Ok(p) => plans.push(p),
                // A cycle too: the plan goes on, and that job's check reports it.
                Err(e) => {
                    unresolved.push((j.job.id.clone(), e));
                    plans.push(None);
                }
            }
        }
        let node_key = |n: &crate::deps::DepNode| match &n.resolution {
            Resolution::Recipe { recipe } => {
                Some((index.canonical(&recipe.path), n.target.clone()))
            }
            _ => None,
        };
        // Selection by --changed: the changed recipes' jobs and the jobs depending on them.
        let keep: Vec<bool> = match changed {
            None => vec![true; jobs.len()],
            Some(changed) => (0..jobs.len())
                .map(|i| {
                    changed.contains(&canons[i])
                        || plans[i].as_ref().is_some_and(|p| {
                            p.nodes.iter().filter_map(node_key).any(|(c, _)| changed.contains(&c))
                        })
                })
                .collect(),
        };
        let mut kept_jobs = Vec::new();
        let mut kept_plans = Vec::new();
        let mut kept_canons = Vec::new();
        for (((j, p), c), k) in jobs.into_iter().zip(plans).zip(canons).zip(&keep) {
            if *k {
                kept_jobs.push(j);
                kept_plans.push(p);
                kept_canons.push(c);
            }
        }
        // The choices noted are those of the jobs planned (not of jobs --changed left out).
        let mut notes: Vec<String> = Vec::new();
        let mut noted: std::collections::HashSet<&str> = Default::default();
        for n in kept_plans.iter().flatten().flat_map(|p| &p.notes) {
            if noted.insert(n) {
                notes.push(n.clone());
            }
        }
        if changed.is_some() {
            let kept_ids: std::collections::HashSet<&str> =
                kept_jobs.iter().map(|j| j.job.id.as_str()).collect();
            unresolved.retain(|(id, _)| kept_ids.contains(id.as_str()));
        }
        let by_key: BTreeMap<(PathBuf, String), usize> = kept_jobs
            .iter()
            .enumerate()
            .map(|(i, j)| ((kept_canons[i].clone(), j.job.platform.clone()), i))
            .collect();
        let mut needs = Vec::with_capacity(kept_jobs.len());
        for (i, p) in kept_plans.iter().enumerate() {
            let mut n = Vec::new();
            if let Some(p) = p {
                // From the direct dependencies down: a planned recipe is an edge; a recipe that
                // is not planned is looked through (the check builds it, and what it needs).
                let mut stack: Vec<usize> = p.roots.iter().map(|&(k, _)| k).collect();
                let mut seen = BTreeSet::new();
                while let Some(k) = stack.pop() {
                    if !seen.insert(k) {
                        continue;
                    }
                    let Some(key) = node_key(&p.nodes[k]) else { continue };
                    match by_key.get(&key) {
                        Some(&d) if d != i => n.push(d),
                        Some(_) => {}
                        None => stack.extend(p.nodes[k].deps.iter().map(|&(c, _)| c)),
                    }
                }
            }
            n.sort_unstable();
            n.dedup();
            needs.push(n);
        }
        let levels = levels(&needs, &kept_jobs)?;
        Ok(Plan {
            jobs: kept_jobs
                .into_iter()
                .zip(needs)
                .zip(levels)
                .map(|((job, needs), level)| {
                    let has_deps = job.recipe.as_ref().is_some_and(|r| !r.dependencies.is_empty());
                    PlannedJob { job, needs, level, has_deps }
                })
                .collect(),
            recipe_dirs: config.recipe_dirs.clone(),
            jll_dirs: config.jll_dirs.clone(),
            unresolved,
            notes,
        })
    }
}

/// Longest-path levels by Kahn's algorithm; a cycle is an error naming one of its recipes.
fn levels(needs: &[Vec<usize>], jobs: &[BatchJob]) -> Result<Vec<usize>> {
    let n = needs.len();
    let mut indegree: Vec<usize> = needs.iter().map(Vec::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ns) in needs.iter().enumerate() {
        for &d in ns {
            users[d].push(i);
        }
    }
    let mut level = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        done += 1;
        for &u in &users[i] {
            level[u] = level[u].max(level[i] + 1);
            indegree[u] -= 1;
            if indegree[u] == 0 {
                ready.push(u);
            }
        }
    }
    if done < n {
        let i = (0..n).find(|&i| indegree[i] > 0).unwrap_or(0);
        return Err(PlanError::Cycle(jobs[i].recipe_path.display().to_string()));
    }
    Ok(level)
}

/// Recipes whose directory changed between `range`'s two commits (`BASE..HEAD`) in the git
/// repository at `repo`: a `recipe.toml` is selected when anything under its directory changed,
/// a single-file recipe when the file changed.
pub fn changed_recipes(repo: &Path, range: &str, recipes: &[PathBuf]) -> Result<BTreeSet<PathBuf>> {
    if !range.contains("..") || range.starts_with('-') {
        return Err(PlanError::Git(format!("--changed wants BASE..HEAD, got {range:?}")));
    }
    let top = git(repo, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top.trim());
    let out = git(repo, &["diff", "--name-only", "-z", range, "--"])?;
    let changed: Vec<PathBuf> =
        out.split('\0').filter(|s| !s.is_empty()).map(|s| canon(&top).join(s)).collect();
    let mut selected = BTreeSet::new();
    for r in recipes {
        let c = canon(r);
        let scope = if c.file_name().is_some_and(|n| n == "recipe.toml") {
            c.parent().map(Path::to_owned).unwrap_or_else(|| c.clone())
        } else {
            c.clone()
        };
        if changed.iter().any(|p| p.starts_with(&scope)) {
            selected.insert(r.clone());
        }
    }
    Ok(selected)
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| PlanError::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(PlanError::Git(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Single-quote `s` for a POSIX shell.
fn sh_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:+,@".contains(&b)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The `repro check` command of every job, paths relative to `root`. Each path is made
/// canonical once (a recipe's jobs share its path).
fn check_commands(plan: &Plan, root: &Path, opts: &PlanOptions) -> Vec<String> {
    let root_c = canon(root);
    let rel = |p: &Path| rel_to(&root_c, &canon(p), p);
    // What every check of a recipe with dependencies is given: same index, same registries,
    // so that it resolves them as the plan did.
    let mut deps_args = String::new();
    for d in &plan.recipe_dirs {
        deps_args.push_str(" --recipes ");
        deps_args.push_str(&sh_quote(&rel(d)));
    }
    for d in &plan.jll_dirs {
        deps_args.push_str(" --jll ");
        deps_args.push_str(&sh_quote(&rel(d)));
    }
    let extra: String = opts.check_args.iter().map(|a| format!(" {}", sh_quote(a))).collect();
    let mut recipe_of: std::collections::HashMap<&Path, String> = Default::default();
    plan.jobs
        .iter()
        .map(|p| {
            let (j, platform, id) = (&p.job, &p.job.job.platform, &p.job.job.id);
            let recipe =
                recipe_of.entry(&j.recipe_path).or_insert_with(|| sh_quote(&rel(&j.recipe_path)));
            let mut c = format!("repro check {recipe} --batch");
            if j.platform.is_some() || !platform.is_empty() {
                c.push_str(" --platform ");
                c.push_str(&sh_quote(platform));
            }
            if p.has_deps {
                c.push_str(&deps_args);
            }
            c.push_str(&extra);
            c.push_str(&format!(" --json reports/{id}/batch.json --html reports/{id}/html/"));
            c
        })
        .collect()
}

/// A path as the engine's checkout sees it: relative to the canonical root `root_c` when its
/// canonical form `c` is inside it (`.` for the root itself), else `p` as given.
fn rel_to(root_c: &Path, c: &Path, p: &Path) -> String {
    match c.strip_prefix(root_c) {
        Ok(r) if r.as_os_str().is_empty() => ".".to_owned(),
        Ok(r) => r.display().to_string(),
        Err(_) => p.display().to_string(),
    }
}

// ----------------------------------------------------------------------------------------
// GitHub Actions

/// The workflow's keys before `jobs` (which [`github_actions`] writes job by job).
#[derive(Serialize)]
struct WorkflowHead {
    name: String,
    on: BTreeMap<String, serde_yaml_ng::Value>,
    permissions: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct GhaJob {
    name: String,
    #[serde(rename = "runs-on")]
    runs_on: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    needs: Vec<String>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    if_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy: Option<Strategy>,
    #[serde(rename = "timeout-minutes")]
    timeout_minutes: u32,
    steps: Vec<Step>,
}

#[derive(Serialize)]
struct Strategy {
    #[serde(rename = "fail-fast")]
    fail_fast: bool,
    matrix: Matrix,
}

#[derive(Serialize)]
struct Matrix {
    include: Vec<BTreeMap<String, String>>,
}

#[derive(Serialize, Default)]
struct Step {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    if_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    with: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<String>,
}

fn checkout() -> Step {
    Step { uses: Some("actions/checkout@v4".into()), ..Step::default() }
}

fn run_step(name: &str, run: String) -> Step {
    Step { name: Some(name.into()), run: Some(run), ..Step::default() }
}

fn with(pairs: &[(&str, serde_yaml_ng::Value)]) -> BTreeMap<String, serde_yaml_ng::Value> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn s(v: &str) -> serde_yaml_ng::Value {
    serde_yaml_ng::Value::String(v.to_owned())
}

const MERGE_CMD: &str = "repro report merge reports --json merged/batch.json --junit merged/junit.xml --html merged/html/ --markdown \"$GITHUB_STEP_SUMMARY\"";

/// A GitHub Actions workflow running `plan` (paths relative to the repository root `root`).
pub fn github_actions(plan: &Plan, root: &Path, opts: &PlanOptions) -> Result<String> {
    // Group job indices by level, then chunk each level.
    let max_level = plan.jobs.iter().map(|j| j.level).max().unwrap_or(0);
    let mut chunk_of = vec![0usize; plan.jobs.len()];
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    for level in 0..=max_level {
        let idx: Vec<usize> =
            (0..plan.jobs.len()).filter(|&i| plan.jobs[i].level == level).collect();
        for part in idx.chunks(GHA_MAX_MATRIX) {
            for &i in part {
                chunk_of[i] = chunks.len();
            }
            chunks.push(part.to_vec());
        }
    }
    let commands = check_commands(plan, root, opts);
    let width = chunks.len().to_string().len();
    let chunk_name = |c: usize| format!("check-{:0width$}", c + 1);
    let mut jobs = BTreeMap::new();
    for (c, members) in chunks.iter().enumerate() {
        let mut needs: BTreeSet<usize> = BTreeSet::new();
        for &i in members {
            needs.extend(plan.jobs[i].needs.iter().map(|&d| chunk_of[d]));
        }
        let include = members
            .iter()
            .map(|&i| {
                let j = &plan.jobs[i].job;
                let mut m = BTreeMap::new();
                m.insert("id".to_owned(), j.job.id.clone());
                m.insert("recipe".to_owned(), j.job.recipe.clone());
                m.insert("platform".to_owned(), j.job.platform.clone());
                m.insert("command".to_owned(), commands[i].clone());
                m
            })
            .collect();
        let steps = vec![
            checkout(),
            run_step("Set up repro", opts.setup.clone()),
            run_step(
                "Check ${{ matrix.recipe }} for ${{ matrix.platform }}",
                "${{ matrix.command }}".into(),
            ),
            Step {
                name: Some("Upload the report".into()),
                if_: Some("always()".into()),
                uses: Some("actions/upload-artifact@v4".into()),
                with: with(&[
                    ("name", s("repro-${{ matrix.id }}")),
                    ("path", s("reports/${{ matrix.id }}/")),
                    ("if-no-files-found", s("error")),
                ]),
                ..Step::default()
            },
        ];
        jobs.insert(
            chunk_name(c),
            GhaJob {
                name: format!(
                    "repro check ${{{{ matrix.recipe }}}} ${{{{ matrix.platform }}}} ({})",
                    chunk_name(c)
                ),
                runs_on: opts.runs_on.clone(),
                needs: needs.into_iter().map(chunk_name).collect(),
                if_: None,
                strategy: Some(Strategy { fail_fast: false, matrix: Matrix { include } }),
                timeout_minutes: 360,
                steps,
            },
        );
    }
    jobs.insert(
        "report".into(),
        GhaJob {
            name: "repro report".into(),
            runs_on: opts.runs_on.clone(),
            needs: (0..chunks.len()).map(chunk_name).collect(),
            if_: Some("always()".into()),
            strategy: None,
            timeout_minutes: 60,
            steps: vec![
                checkout(),
                run_step("Set up repro", opts.setup.clone()),
                Step {
                    name: Some("Download the reports".into()),
                    uses: Some("actions/download-artifact@v4".into()),
                    with: with(&[("pattern", s("repro-*")), ("path", s("reports"))]),
                    ..Step::default()
                },
                run_step("Merge the reports", MERGE_CMD.into()),
                Step {
                    name: Some("Upload the merged report".into()),
                    if_: Some("always()".into()),
                    uses: Some("actions/upload-artifact@v4".into()),
                    with: with(&[("name", s("repro-merged")), ("path", s("merged/"))]),
                    ..Step::default()
                },
            ],
        },
    );
    let mut on = BTreeMap::new();
    on.insert("workflow_dispatch".to_owned(), serde_yaml_ng::Value::Null);
    on.insert("pull_request".to_owned(), serde_yaml_ng::Value::Null);
    let mut permissions = BTreeMap::new();
    permissions.insert("contents".to_owned(), "read".to_owned());
    let head = WorkflowHead { name: "repro".into(), on, permissions };
    let mut out = format!(
        "# Generated by `repro plan`: one job per recipe × platform ({} jobs).\n{}jobs:\n",
        plan.jobs.len(),
        serde_yaml_ng::to_string(&head).map_err(|e| PlanError::Yaml(e.to_string()))?
    );
    // The jobs in parallel, each as a one-key mapping indented under `jobs:`: the same text
    // as the whole workflow serialized at once (block YAML is the same at every depth, and
    // the emitter writes empty lines of literal blocks without indentation).
    // A matrix's entries are written directly ([`fast_entry`]) where the `include: []` of
    // the job serialized without them stands.
    let jobs: Vec<(String, GhaJob)> = jobs.into_iter().collect();
    let texts: Vec<Result<String>> = jobs
        .into_par_iter()
        .map(|(name, mut job)| {
            let include = job
                .strategy
                .as_mut()
                .map(|s| std::mem::take(&mut s.matrix.include))
                .unwrap_or_default();
            let one: BTreeMap<&str, &GhaJob> = [(name.as_str(), &job)].into_iter().collect();
            let text = yaml(&one)?;
            if include.is_empty() {
                return Ok(text);
            }
            let mut entries = String::new();
            for m in &include {
                let pairs: Vec<(&str, Val<'_>)> =
                    m.iter().map(|(k, v)| (k.as_str(), Val::Str(v.as_str()))).collect();
                match fast_entry(&pairs) {
                    Some(e) => entries.push_str(&e),
                    None => entries.push_str(&yaml(&[m])?),
                }
            }
            let mut out = String::with_capacity(text.len() + entries.len() + entries.len() / 8);
            for line in text.split_inclusive('\n') {
                match line.strip_suffix("include: []\n") {
                    Some(pad) if pad.bytes().all(|b| b == b' ') => {
                        out.push_str(pad);
                        out.push_str("include:\n");
                        out.push_str(&indented(&entries, pad));
                    }
                    _ => out.push_str(line),
                }
            }
            Ok(out)
        })
        .collect();
    for text in texts {
        out.push_str(&indented(&text?, "  "));
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// Buildkite

#[derive(Serialize)]
#[serde(untagged)]
enum BkStep {
    Command(BkCommand),
    Wait(BkWait),
}

#[derive(Serialize)]
struct BkWait {
    wait: Option<String>,
    continue_on_failure: bool,
}

#[derive(Serialize)]
struct BkCommand {
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    command: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_paths: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow_dependency_failure: Option<bool>,
}

/// Buildkite step keys allow letters, digits, `_`, `-` and `:`.
fn bk_key(id: &str) -> String {
    let k: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("repro-{k}")
}

/// Buildkite pipelines for `plan`: one file's YAML per upload of at most
/// [`BUILDKITE_MAX_STEPS`] steps. `part_name(n)` is the path (relative to the checkout) under
/// which the caller writes part `n` (1-based); each part but the last ends with a step that
/// uploads the next.
pub fn buildkite(
    plan: &Plan,
    root: &Path,
    opts: &PlanOptions,
    part_name: &dyn Fn(usize) -> String,
) -> Result<Vec<String>> {
    // Dependencies first: order by level so that every step's dependencies are uploaded in
    // the same or an earlier part.
    let mut order: Vec<usize> = (0..plan.jobs.len()).collect();
    order.sort_by_key(|&i| plan.jobs[i].level);
    let commands = check_commands(plan, root, opts);
    let mut steps: Vec<BkStep> = order
        .iter()
        .map(|&i| {
            let p = &plan.jobs[i];
            let j = &p.job;
            BkStep::Command(BkCommand {
                label: format!(":package: {} {}", j.job.recipe, j.job.platform),
                key: Some(bk_key(&j.job.id)),
                command: format!("{}\n{}", opts.setup, commands[i]),
                depends_on: p.needs.iter().map(|&d| bk_key(&plan.jobs[d].job.job.id)).collect(),
                artifact_paths: Some(format!("reports/{}/**/*", j.job.id)),
                allow_dependency_failure: None,
            })
        })
        .collect();
    steps.push(BkStep::Wait(BkWait { wait: None, continue_on_failure: true }));
    steps.push(BkStep::Command(BkCommand {
        label: ":bar_chart: repro report".into(),
        key: Some("repro-report".into()),
        command: format!(
            "{}\nbuildkite-agent artifact download 'reports/*' .\nrepro report merge reports --json merged/batch.json --junit merged/junit.xml --html merged/html/ --markdown merged/summary.md\nbuildkite-agent annotate --style info < merged/summary.md",
            opts.setup
        ),
        depends_on: Vec::new(),
        artifact_paths: Some("merged/**/*".into()),
        allow_dependency_failure: None,
    }));
    // Parts of at most BUILDKITE_MAX_STEPS steps: every part but the last keeps a slot for
    // the step that uploads the next part.
    let mut chunks: Vec<Vec<BkStep>> = Vec::new();
    let mut remaining = steps.len();
    let mut it = steps.into_iter();
    while remaining > 0 {
        let take =
            if remaining <= BUILDKITE_MAX_STEPS { remaining } else { BUILDKITE_MAX_STEPS - 1 };
        chunks.push(it.by_ref().take(take).collect());
        remaining -= take;
    }
    let n = chunks.len();
    let uploads: Vec<String> = (1..n).map(|k| part_name(k + 1)).collect();
    // The parts in parallel (each is its own document).
    let parts: Vec<(usize, Vec<BkStep>)> = chunks.into_iter().enumerate().collect();
    parts
        .into_par_iter()
        .map(|(k, mut chunk)| {
        if k + 1 < n {
            chunk.push(BkStep::Command(BkCommand {
                label: format!(":pipeline: upload part {} of {n}", k + 2),
                key: Some(format!("repro-upload-{}", k + 2)),
                command: format!("buildkite-agent pipeline upload {}", sh_quote(&uploads[k])),
                depends_on: Vec::new(),
                artifact_paths: None,
                allow_dependency_failure: None,
            }));
        }
        // `steps:` and each step as a one-step sequence: the same text as the whole
        // document; a job's step is written directly ([`fast_entry`]) when it can be.
        let mut body = String::from("steps:\n");
        for step in &chunk {
            let fast = match step {
                BkStep::Command(c) if c.allow_dependency_failure.is_none() => {
                    let mut pairs = vec![("label", Val::Str(&c.label))];
                    if let Some(k) = &c.key {
                        pairs.push(("key", Val::Str(k)));
                    }
                    pairs.push(("command", Val::Str(&c.command)));
                    pairs.push(("depends_on", Val::List(&c.depends_on)));
                    if let Some(a) = &c.artifact_paths {
                        pairs.push(("artifact_paths", Val::Str(a)));
                    }
                    fast_entry(&pairs)
                }
                _ => None,
            };
            match fast {
                Some(t) => body.push_str(&t),
                None => body.push_str(&yaml(&[step])?),
            }
        }
        Ok(format!(
            "# Generated by `repro plan` (part {} of {n}): one step per recipe × platform ({} jobs).\n{body}",
            k + 1,
            plan.jobs.len()
        ))
        })
        .collect()
}

// ----------------------------------------------------------------------------------------
// The per-job entries (most of a large plan's text), written directly

/// `value` serialized by `serde_yaml_ng`.
fn yaml<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_yaml_ng::to_string(value).map_err(|e| PlanError::Yaml(e.to_string()))
}

/// Bytes a plain scalar may hold here: printable ASCII without indicators that matter
/// anywhere in a scalar (`:` and `#`) nor the flow indicators.
fn plain_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && !b":#,[]{}".contains(&b)
}

/// `s` as the YAML serializer writes it as a mapping value whose content is indented by
/// `indent` (for a literal block), when that is certain from a few rules; `None` otherwise
/// (the caller then serializes the entry with `serde_yaml_ng`).
///
/// - plain: printable ASCII without `:#,[]{}`, starting with a letter, a digit, `_`, `.` or
///   `/` (not `...`), no space at either end, and holding a byte that no null, boolean,
///   integer or float is written with (so the serializer does not quote it);
/// - single-quoted: printable ASCII on one line holding `": "` (never plain), no space at
///   either end;
/// - literal block (`|-`): printable ASCII lines, none empty at either end, no space at the
///   end of a line or at the start of a line after the first.
fn fast_scalar(s: &str, indent: usize) -> Option<String> {
    let b = s.as_bytes();
    let (&first, &last) = (b.first()?, b.last()?);
    if first == b' ' || last == b' ' {
        return None;
    }
    if b.contains(&b'\n') {
        if first == b'\n'
            || last == b'\n'
            || s.contains(" \n")
            || s.contains("\n ")
            || !b.iter().all(|&c| c == b'\n' || (0x20..0x7f).contains(&c))
        {
            return None;
        }
        let pad = " ".repeat(indent);
        let mut out = String::with_capacity(s.len() + 8 + indent * 4);
        out.push_str("|-");
        for line in s.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        return Some(out);
    }
    if !b.iter().all(|c| (0x20..0x7f).contains(c)) {
        return None;
    }
    let starts_plain = first.is_ascii_alphanumeric() || b"_./".contains(&first);
    // Nulls, booleans, integers and floats are written with these bytes only.
    let not_a_number =
        b.iter().any(|c| !b"0123456789abcdefABCDEF+-.xXoOnNuUlLtTrRsSiI~".contains(c));
    if starts_plain && !s.starts_with("...") && not_a_number && b.iter().all(|&c| plain_byte(c)) {
        return Some(s.to_owned());
    }
    if s.contains(": ") {
        return Some(format!("'{}'", s.replace('\'', "''")));
    }
    None
}

/// A value of [`fast_entry`].
enum Val<'a> {
    Str(&'a str),
    /// A block sequence, left out when empty.
    List(&'a [String]),
}

/// A sequence entry (`- k: v` lines, relative indentation 0) of `pairs`, in this order;
/// `None` when a value is not certain ([`fast_scalar`]).
fn fast_entry(pairs: &[(&str, Val<'_>)]) -> Option<String> {
    let mut out = String::new();
    for (k, v) in pairs {
        let lead = if out.is_empty() { "- " } else { "  " };
        match v {
            Val::Str(v) => {
                let v = fast_scalar(v, 4)?;
                out.push_str(lead);
                out.push_str(k);
                out.push_str(": ");
                out.push_str(&v);
                out.push('\n');
            }
            Val::List([]) => {}
            Val::List(items) => {
                out.push_str(lead);
                out.push_str(k);
                out.push_str(":\n");
                for i in items.iter() {
                    if i.contains('\n') {
                        return None;
                    }
                    out.push_str("  - ");
                    out.push_str(&fast_scalar(i, 4)?);
                    out.push('\n');
                }
            }
        }
    }
    Some(out)
}

/// `text` with every non-empty line indented by `pad`.
fn indented(text: &str, pad: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        if line != "\n" {
            out.push_str(pad);
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string [`fast_scalar`] writes itself is written as `serde_yaml_ng` writes it:
    /// all strings of up to three bytes over an alphabet of the bytes that matter, and some
    /// longer ones.
    #[test]
    fn fast_scalars_are_written_as_the_serializer_writes_them() {
        let alphabet: Vec<char> = "a1 :#-'.\n/_~gxe,[*@|>%\"\\$".chars().collect();
        let mut strings: Vec<String> = vec![
            String::new(),
            ":package: Zlib x86_64-linux-gnu".into(),
            "set -e\n\ncargo install repro\nrepro check 'it'\\''s'".into(),
            "reports/Zlib-x86_64-linux-gnu/**/*".into(),
            "${{ matrix.recipe }}".into(),
            "...x".into(),
            "---x".into(),
            "0123".into(),
            "1e5".into(),
            ".inf".into(),
            "True".into(),
            "null".into(),
            "Null".into(),
            "0x1F".into(),
            "Libcxx".into(),
            "é".into(),
            "a\tb".into(),
        ];
        for a in &alphabet {
            strings.push(a.to_string());
            for b in &alphabet {
                strings.push(format!("{a}{b}"));
                for c in &alphabet {
                    strings.push(format!("{a}{b}{c}"));
                }
            }
        }
        let mut fast = 0;
        for s in &strings {
            let Some(v) = fast_scalar(s, 4) else { continue };
            fast += 1;
            let one: BTreeMap<&str, &str> = [("k", s.as_str())].into_iter().collect();
            let want = serde_yaml_ng::to_string(&[one]).unwrap();
            assert_eq!(format!("- k: {v}\n"), want, "{s:?}");
        }
        assert!(fast > strings.len() / 10, "{fast} of {}", strings.len());
    }
}
