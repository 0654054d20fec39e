//! `repro build`: build a recipe once in the pinned image into BinaryBuilder-style tarballs.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use repro::build::{BuildError, BuildOptions, BuildResult, Limits};
use repro_sandbox::SandboxError;
use repro_sources::FetchConfig;

use crate::EXIT_INTERRUPTED;
use crate::EXIT_OK;
use crate::cmd::common::SourceOpts;
use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The recipe (`recipe.toml` or its directory).
    #[arg(value_name = "RECIPE")]
    recipe: PathBuf,
    /// Target triplet (repeatable; `all` = every platform of the recipe that can be built here;
    /// default: x86_64-linux-gnu when listed, else the first buildable one).
    #[arg(long, value_name = "TRIPLET")]
    platform: Vec<String>,
    /// Directory for the tarballs.
    #[arg(long, value_name = "DIR", default_value = "products")]
    out: PathBuf,
    /// Print the result as JSON on stdout.
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
    /// Keep the source directory and the unpacked prefix in DIR (`srcdir/`, `prefix/`).
    #[arg(long, value_name = "DIR")]
    keep_work: Option<PathBuf>,
    /// The image lock (default: the pin of the target's image family built into repro; for the
    /// base image REPRO_IMAGE_LOCK overrides it).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// Write or update the built platform's entry in this JLL-style Artifacts.toml (other
    /// entries are kept; the file is replaced atomically).
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

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<u8> {
    let recipe = repro_recipe::load(&args.recipe)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("building {}", args.recipe.display()))?;
    let plan = repro::build::plan_platforms(&recipe, &args.platform)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("building {}", args.recipe.display()))?;
    let several = plan.targets.len() > 1 || !plan.skipped.is_empty();
    let mut worst = EXIT_OK;
    let mut summary = Vec::new();
    for target in &plan.targets {
        if several && !args.json {
            #[allow(clippy::print_stdout)]
            {
                println!("\n== platform {target} ==");
            }
        }
        let code = build_one(&args, target, several, ctx)?;
        if code > 128 {
            return Ok(code);
        }
        summary.push((target.clone(), if code == EXIT_OK { "built" } else { "failed" }));
        worst = worst_exit(worst, code);
    }
    if several && !args.json {
        #[allow(clippy::print_stdout)]
        {
            println!("\n== platforms ==");
            for (t, s) in &summary {
                println!("{t:<28} {s}");
            }
            for (t, reason) in &plan.skipped {
                println!("{t:<28} not buildable here: {reason}");
            }
        }
    }
    Ok(worst)
}

fn build_one(args: &Args, target: &str, several: bool, ctx: &Ctx) -> anyhow::Result<u8> {
    let fetch =
        FetchConfig::from_env_and_args(args.sources.cache.clone(), args.sources.mirrors.clone())?;
    let (work_dir, _tmp) = match &args.keep_work {
        Some(d) if several => (d.join(target), None),
        Some(d) => (d.clone(), None),
        None => {
            let t = TempWork::new()?;
            (t.0.clone(), Some(t))
        }
    };
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("creating {}", work_dir.display()))?;
    if args.timeout == 0 {
        anyhow::bail!("--timeout must be at least 1 second");
    }
    let opts = BuildOptions {
        recipe: args.recipe.clone(),
        platform: Some(target.to_owned()),
        products_dir: args.out.clone(),
        work_dir: work_dir.clone(),
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
        jobs: 2,
        cancel: Default::default(),
    };
    let sink = ctx.sink();
    let ran = crate::signals::run(|cancel| {
        let mut opts = opts.clone();
        opts.cancel = cancel;
        async move { repro::build::build_recipe(&opts, sink).await }
    })?;
    let code = ran.exit_code();
    let mut result = match ran.value {
        Err(e) if code.is_some() || is_interrupted(&e) => {
            crate::ui::print_error(&anyhow::Error::new(e));
            return Ok(code.unwrap_or(EXIT_INTERRUPTED));
        }
        Ok(_) if code.is_some() => return Ok(code.unwrap_or(EXIT_INTERRUPTED)),
        Ok(r) => r,
        Err(e) => {
            let log_hint = matches!(
                &e,
                BuildError::Sandbox(
                    SandboxError::BuildFailed { .. }
                        | SandboxError::Timeout { .. }
                        | SandboxError::OutOfMemory { .. }
                )
            );
            let err = anyhow::Error::new(e)
                .context(format!("building {} for {target}", args.recipe.display()));
            if !log_hint && !several {
                return Err(err);
            }
            crate::ui::print_error(&err);
            #[allow(clippy::print_stderr)]
            if log_hint {
                match &args.keep_work {
                    Some(_) => eprintln!(
                        "the full build log is under {}",
                        work_dir.join("prefix/logs").display()
                    ),
                    None => eprintln!("(rerun with --keep-work DIR to keep the full build log)"),
                }
            }
            return Ok(crate::EXIT_ERROR);
        }
    };
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
    print_result(&result, args.json)?;
    Ok(EXIT_OK)
}

fn is_interrupted(e: &BuildError) -> bool {
    match e {
        BuildError::Sandbox(SandboxError::Interrupted { .. }) => true,
        BuildError::Deps(g) => g.is_interrupted(),
        _ => false,
    }
}

/// The worse of two exit codes: error (2) over failure-free (0).
fn worst_exit(a: u8, b: u8) -> u8 {
    if b != EXIT_OK { b.max(a) } else { a }
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

fn print_result(r: &BuildResult, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, r)?;
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
