//! `repro build`: build recipes once each in the pinned image into BinaryBuilder-style
//! tarballs; many recipes × platforms run through the batch scheduler.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use repro::batch::{BuildBatchOptions, BuildEnd, BuildJobResult};
use repro::build::{BuildOptions, BuildResult, Limits};
use repro_sources::FetchConfig;

use crate::EXIT_OK;
use crate::cmd::common::SourceOpts;
use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Recipes: a recipe file or a directory holding recipe.toml, or (for many) directories
    /// searched for recipe files and globs. Every recipe × platform is one job.
    #[arg(required = true, value_name = "RECIPE")]
    recipes: Vec<PathBuf>,
    /// Target triplet (repeatable or comma-separated; `all` = every platform of each recipe
    /// that can be built here; default: x86_64-linux-gnu when listed, else the first buildable
    /// one). Over many recipes, each recipe builds the platforms it declares.
    #[arg(long, value_name = "TRIPLET", value_delimiter = ',')]
    platform: Vec<String>,
    /// Builds at once (default: the cores, at most one per 2 GiB of memory).
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Directory for the tarballs.
    #[arg(long, value_name = "DIR", default_value = "products")]
    out: PathBuf,
    /// Print the result as JSON on stdout (for many jobs, an array with one entry per job).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    sources: SourceOpts,
    #[command(flatten)]
    deps: crate::cmd::common::DepOpts,
    /// Wall-clock limit of the build script, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = repro::build::DEFAULT_TIMEOUT.as_secs())]
    timeout: u64,
    /// Memory limit of the build container, in MiB.
    #[arg(long, value_name = "MIB")]
    memory: Option<u64>,
    /// Maximum number of processes in the build container.
    #[arg(long, value_name = "N", default_value_t = 32_768)]
    pids_limit: i64,
    /// Keep the source directory and the unpacked prefix in DIR (`srcdir/`, `prefix/`; for
    /// many jobs, in `DIR/<job id>/`).
    #[arg(long, value_name = "DIR")]
    keep_work: Option<PathBuf>,
    /// The image lock (default: the pin of the target's image family built into repro; for the
    /// base image REPRO_IMAGE_LOCK overrides it).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// Write or update the built platforms' entries in this JLL-style Artifacts.toml (other
    /// entries are kept; the file is replaced atomically). Only for one recipe.
    #[arg(long, value_name = "FILE")]
    artifacts_toml: Option<PathBuf>,
    /// Where the tarball will be published: the entry's download URL is
    /// `<URL>/<Name>.v<version>.<target>.tar.gz`. `{name}` and `{version}` in URL are replaced.
    #[arg(
        long,
        value_name = "URL",
        env = "REPRO_DOWNLOAD_URL_BASE",
        default_value = DEFAULT_DOWNLOAD_URL_BASE
    )]
    download_url_base: String,
}

/// JuliaBinaryWrappers' release layout, where a JLL's tarballs are published.
pub(crate) const DEFAULT_DOWNLOAD_URL_BASE: &str =
    "https://github.com/JuliaBinaryWrappers/{name}_jll.jl/releases/download/{name}-v{version}+0";

/// The download URL of `tarball` under `base` (placeholders `{name}`, `{version}`).
pub(crate) fn download_url(base: &str, name: &str, version: &str, tarball: &str) -> String {
    let base = base.replace("{name}", name).replace("{version}", version);
    format!("{}/{tarball}", base.trim_end_matches('/'))
}

/// True when the arguments name one recipe file (or a directory holding recipe.toml): its
/// platforms are then checked against the recipe, and an unknown one is an error.
fn is_single_recipe(inputs: &[PathBuf]) -> bool {
    matches!(inputs, [r] if r.is_file() || r.join("recipe.toml").is_file())
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<u8> {
    let recipes = repro::batch::find_recipes(&args.recipes)?;
    let mut skipped: Vec<(String, String)> = Vec::new();
    if is_single_recipe(&args.recipes) {
        let path = &recipes[0];
        let recipe = repro::recipe_input::load_recipe_quiet(path)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("building {}", path.display()))?
            .recipe;
        let plan = repro::build::plan_platforms(&recipe, &args.platform)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("building {}", path.display()))?;
        skipped = plan.skipped;
    }
    let jobs = repro::batch::plan_jobs(&recipes, &args.platform);
    if jobs.is_empty() {
        bail!(
            "nothing to build: none of the {} recipes declares {}",
            recipes.len(),
            args.platform.join(", ")
        );
    }
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    if args.artifacts_toml.is_some() {
        let names: std::collections::BTreeSet<&str> =
            jobs.iter().map(|j| j.job.recipe.as_str()).collect();
        if names.len() > 1 {
            bail!("--artifacts-toml holds one recipe's platforms; {} recipes given", names.len());
        }
    }
    let fetch =
        FetchConfig::from_env_and_args(args.sources.cache.clone(), args.sources.mirrors.clone())?;
    let several = jobs.len() > 1;
    let (work_dir, _tmp) = match &args.keep_work {
        Some(d) => (d.clone(), None),
        None => {
            let t = TempWork::new()?;
            (t.0.clone(), Some(t))
        }
    };
    let builds = args
        .jobs
        .unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            repro::batch::default_builds(cores, crate::cmd::batch::total_memory())
        })
        .max(1);
    let template = BuildOptions {
        recipe: PathBuf::new(),
        platform: None,
        products_dir: args.out.clone(),
        work_dir,
        fetch,
        env: None,
        label: "build".into(),
        limits: Limits {
            timeout: Duration::from_secs(args.timeout),
            memory_bytes: args.memory.map(|m| (m.min(1 << 40) as i64) << 20),
            pids_limit: Some(args.pids_limit),
        },
        lock: args.lock.clone(),
        deps: args.deps.config(),
        jobs: builds,
        cancel: Default::default(),
        backend: None,
    };
    if several {
        ctx.note(&format!(
            "{} jobs ({} recipes), {builds} builds at a time",
            jobs.len(),
            recipes.len()
        ));
    }
    let opts = BuildBatchOptions { builds, work_per_job: several || args.keep_work.is_none() };
    let sink = ctx.sink();
    let ran = crate::signals::run(|cancel| {
        repro::batch::run_builds(jobs, &template, &opts, cancel, sink)
    })?;
    let signal_code = ran.exit_code();
    let mut results = ran.value;
    for r in &mut results {
        if let BuildEnd::Built(b) = &mut r.end {
            finish_result(b, &args, ctx)?;
        }
    }
    let code = report(&results, &skipped, &args, several)?;
    Ok(signal_code.unwrap_or(code))
}

/// Sets the download URL in the result's Artifacts.toml entry, and writes `--artifacts-toml`.
fn finish_result(result: &mut BuildResult, args: &Args, ctx: &Ctx) -> anyhow::Result<()> {
    let tarball_name = result
        .tarball
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let url = download_url(&args.download_url_base, &result.name, &result.version, &tarball_name);
    result.artifacts_toml = repro_artifact::artifacts_toml_entry(
        &result.name,
        &result.target,
        &result.tarball,
        Some(&url),
    );
    if let Some(path) = &args.artifacts_toml {
        repro_artifact::write_artifacts_toml(
            path,
            &result.name,
            &result.target,
            &result.tarball,
            Some(&url),
        )?;
        ctx.note(&format!("updated the {} entry of {}", result.target, path.display()));
    }
    Ok(())
}

/// One job of `repro build --json` over many jobs.
#[derive(serde::Serialize)]
struct JsonJob<'a> {
    id: &'a str,
    recipe: &'a str,
    platform: &'a str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_secs: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a BuildResult>,
}

/// The error line of a job that did not build.
fn job_error(r: &BuildJobResult) -> Option<String> {
    match &r.end {
        BuildEnd::Built(_) => None,
        BuildEnd::Failed { message, .. } => Some(message.clone()),
        BuildEnd::Cancelled { started: true } => {
            Some("interrupted; its containers were removed".into())
        }
        BuildEnd::Cancelled { started: false } => Some("cancelled before it started".into()),
    }
}

/// Prints the results (one job in full; many as sections, a table and a totals line) and
/// returns the exit code: 0 when every job built, 2 otherwise.
fn report(
    results: &[BuildJobResult],
    skipped: &[(String, String)],
    args: &Args,
    several: bool,
) -> anyhow::Result<u8> {
    let all_built = results.iter().all(|r| matches!(r.end, BuildEnd::Built(_)));
    let code = if all_built { EXIT_OK } else { crate::EXIT_ERROR };
    // Errors (with the log hint) go to stderr in every mode.
    for r in results {
        let Some(e) = job_error(r) else { continue };
        let what = r.job.recipe_path.as_deref().unwrap_or(&r.job.recipe);
        let target = if r.job.platform.is_empty() {
            String::new()
        } else {
            format!(" for {}", r.job.platform)
        };
        crate::ui::print_error(&anyhow::anyhow!("building {what}{target}: {e}"));
        if let BuildEnd::Failed { script: true, .. } = r.end {
            let hint = match &args.keep_work {
                Some(d) if several => {
                    format!(
                        "the full build log is under {}",
                        d.join(&r.job.id).join("prefix/logs").display()
                    )
                }
                Some(d) => {
                    format!("the full build log is under {}", d.join("prefix/logs").display())
                }
                None => "(rerun with --keep-work DIR to keep the full build log)".into(),
            };
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{hint}");
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        if several {
            let jobs: Vec<JsonJob<'_>> = results
                .iter()
                .map(|r| JsonJob {
                    id: &r.job.id,
                    recipe: &r.job.recipe,
                    platform: &r.job.platform,
                    outcome: r.word(),
                    duration_secs: r.duration.map(|d| d.as_secs_f64()),
                    error: job_error(r),
                    result: match &r.end {
                        BuildEnd::Built(b) => Some(&**b),
                        _ => None,
                    },
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &jobs)?;
            writeln!(out)?;
        } else if let Some(BuildEnd::Built(b)) = results.first().map(|r| &r.end) {
            print_result(&mut out, b, true)?;
        }
        out.flush()?;
        return Ok(code);
    }
    for r in results {
        if let BuildEnd::Built(b) = &r.end {
            if several {
                writeln!(out, "\n== {} ==", r.job.id)?;
            }
            print_result(&mut out, b, false)?;
        }
    }
    if several || !skipped.is_empty() {
        writeln!(out, "\n== jobs ==")?;
        for r in results {
            let detail = match &r.end {
                BuildEnd::Built(b) => b.tarball.path.display().to_string(),
                _ => job_error(r).unwrap_or_default().lines().next().unwrap_or("").to_owned(),
            };
            writeln!(out, "{:<9} {:<28} {:<28} {detail}", r.word(), r.job.recipe, r.job.platform)?;
        }
        for (t, reason) in skipped {
            writeln!(out, "{:<9} {:<28} {t:<28} not buildable here: {reason}", "skipped", "")?;
        }
        let count = |w: &str| results.iter().filter(|r| r.word() == w).count();
        writeln!(
            out,
            "{} jobs: {} built, {} failed, {} cancelled",
            results.len(),
            count("built"),
            count("failed"),
            count("cancelled")
        )?;
    }
    out.flush()?;
    Ok(code)
}

/// A work directory under the system temp dir, removed on drop.
struct TempWork(PathBuf);

impl TempWork {
    fn new() -> anyhow::Result<TempWork> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let dir =
            std::env::temp_dir().join(format!("repro-build-{}-{nanos:08x}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(TempWork(dir))
    }
}

impl Drop for TempWork {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn print_result(out: &mut impl Write, r: &BuildResult, json: bool) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, r)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "built {} v{} for {} in {:.1} s (image {})",
        r.name,
        r.version,
        r.target,
        r.output.duration.as_secs_f64() + r.pack_duration.as_secs_f64(),
        r.image.tag
    )?;
    for note in &r.output.notes {
        writeln!(out, "note: {note}")?;
    }
    for (what, p) in [("artifact", &r.tarball), ("logs", &r.logs_tarball)] {
        writeln!(out, "{what:<9} {}", p.path.display())?;
        writeln!(out, "  sha256        {}", p.sha256)?;
        writeln!(out, "  git-tree-sha1 {}", p.git_tree_sha1)?;
    }
    writeln!(out, "\nArtifacts.toml entry:\n{}", r.artifacts_toml.trim_end())?;
    Ok(())
}
