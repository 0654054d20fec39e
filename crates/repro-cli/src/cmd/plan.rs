//! `repro plan`: write a CI pipeline with one job per recipe × platform (GitHub Actions
//! workflow, Buildkite pipeline), dependencies as job dependencies.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use repro::plan::{Plan, PlanOptions};

use crate::EXIT_OK;
use crate::cmd::common::write_out;
use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Recipes: files, directories (searched for recipe files) or globs.
    #[arg(required = true, value_name = "RECIPE")]
    recipes: Vec<PathBuf>,
    /// Target triplets, comma-separated or repeated; `all` = every platform each recipe
    /// declares (default: each recipe's default target).
    #[arg(long, value_name = "TRIPLETS", value_delimiter = ',')]
    platform: Vec<String>,
    /// Only recipes whose directory changed between two git commits, plus the recipes that
    /// depend on them.
    #[arg(long, value_name = "BASE..HEAD")]
    changed: Option<String>,
    /// Write a GitHub Actions workflow to FILE (or `-`).
    #[arg(long, value_name = "FILE")]
    github_actions: Option<PathBuf>,
    /// Write a Buildkite pipeline to FILE (or `-`); more than 500 steps are split into
    /// FILE, FILE's stem + `.part2.yml`, ..., each part uploading the next.
    #[arg(long, value_name = "FILE")]
    buildkite: Option<PathBuf>,
    /// Shell commands that make `repro` available in each job.
    #[arg(long, value_name = "SCRIPT")]
    setup: Option<String>,
    /// Extra argument for every `repro check` (repeatable), e.g. `--check-arg=--vary=all`.
    #[arg(long = "check-arg", value_name = "ARG", allow_hyphen_values = true)]
    check_args: Vec<String>,
    /// GitHub Actions runner label.
    #[arg(long, value_name = "LABEL", default_value = "ubuntu-latest")]
    runs_on: String,
    /// Also search DIR for dependency recipes by name (repeatable). The plan's inputs are
    /// searched too; the checks of recipes with dependencies are given the same directories.
    /// REPRO_RECIPES is not read: the CI runner would not have it.
    #[arg(long = "recipes", value_name = "DIR")]
    recipe_dirs: Vec<PathBuf>,
    /// A JLL registry for dependencies that no recipe provides (repeatable); passed to the
    /// checks of recipes with dependencies. REPRO_JLL is not read.
    #[arg(long = "jll", value_name = "DIR")]
    jll_dirs: Vec<PathBuf>,
}

fn part_path(base: &Path, n: usize) -> PathBuf {
    if n == 1 {
        return base.to_owned();
    }
    let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    base.with_file_name(format!("{stem}.part{n}.yml"))
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    if args.github_actions.is_none() && args.buildkite.is_none() {
        bail!(
            "nothing to write: give --github-actions FILE and/or --buildkite FILE (`-` for stdout)"
        );
    }
    let recipes = repro::batch::find_recipes(&args.recipes)?;
    let root = std::env::current_dir().context("no current directory")?;
    let changed: Option<std::collections::BTreeSet<PathBuf>> = match &args.changed {
        Some(range) => {
            let c = repro::plan::changed_recipes(&root, range, &recipes)?;
            Some(c.iter().map(|p| p.canonicalize().unwrap_or_else(|_| p.clone())).collect())
        }
        None => None,
    };
    let jobs = repro::batch::plan_jobs(&recipes, &args.platform);
    for j in &jobs {
        if let Some(e) = &j.error {
            bail!("{e}");
        }
    }
    let config = repro::deps::DepConfig {
        recipe_dirs: repro::plan::index_dirs(&args.recipes, &args.recipe_dirs),
        jll_dirs: args.jll_dirs.clone(),
        ..Default::default()
    };
    let plan = Plan::new(jobs, &config, changed.as_ref(), &ctx.sink())?;
    if let Some(range) = &args.changed {
        let n: std::collections::BTreeSet<&Path> =
            plan.jobs.iter().map(|j| j.job.recipe_path.as_path()).collect();
        ctx.note(&format!("{} recipes changed in {range} (with their dependents)", n.len()));
    }
    // Ten of each; `-v` lists them all (a corpus-wide plan: what does not resolve, and why).
    let shown: usize = if ctx.verbose > 0 { usize::MAX } else { 10 };
    for n in plan.notes.iter().take(shown) {
        ctx.note(&format!("note: {n}"));
    }
    if plan.notes.len() > shown {
        ctx.note(&format!(
            "note: {} more choices of recipes and published JLLs (-v lists them)",
            plan.notes.len() - shown
        ));
    }
    for (id, e) in plan.unresolved.iter().take(shown) {
        ctx.note(&format!(
            "warning: {id}: dependencies do not resolve, so the job waits for none: {e}"
        ));
    }
    if plan.unresolved.len() > shown {
        ctx.note(&format!(
            "warning: {} more jobs whose dependencies do not resolve (-v lists them)",
            plan.unresolved.len() - shown
        ));
    }
    let mut opts = PlanOptions {
        check_args: args.check_args,
        runs_on: args.runs_on,
        ..PlanOptions::default()
    };
    if let Some(s) = args.setup {
        opts.setup = s;
    }
    if let Some(p) = &args.github_actions {
        write_out(p, repro::plan::github_actions(&plan, &root, &opts)?.as_bytes())?;
    }
    if let Some(p) = &args.buildkite {
        let name = |n: usize| part_path(p, n).display().to_string();
        let parts = repro::plan::buildkite(&plan, &root, &opts, &name)?;
        if parts.len() > 1 && p == Path::new("-") {
            bail!(
                "{} jobs need {} Buildkite uploads of at most {} steps: give --buildkite FILE",
                plan.jobs.len(),
                parts.len(),
                repro::plan::BUILDKITE_MAX_STEPS
            );
        }
        for (i, part) in parts.iter().enumerate() {
            write_out(&part_path(p, i + 1), part.as_bytes())?;
        }
    }
    ctx.note(&format!("planned {} jobs", plan.jobs.len()));
    Ok(EXIT_OK)
}
