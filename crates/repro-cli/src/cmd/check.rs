//! `repro check`: build a recipe twice under varied conditions and report whether it is
//! reproducible. Exit 0 reproducible, 1 unreproducible, 2 error (a failed build is an error).

use std::path::PathBuf;

use anyhow::Result;
use repro::check::{CheckError, CheckOptions, CheckOutcome};
use repro::variations::VariationSet;

use crate::cmd::common::{DepOpts, ReportOutput, SourceOpts};
use crate::ui::Ctx;
use crate::{EXIT_DIFFERENT, EXIT_INTERRUPTED, EXIT_OK};

/// Options shared by `check` and `explain`.
#[derive(clap::Args, Debug)]
pub(crate) struct BuildTwiceArgs {
    /// Recipes: a recipe file, a directory holding recipe.toml, or (for a batch) directories
    /// searched for recipe files and globs. More than one recipe runs a batch.
    #[arg(required = true, value_name = "RECIPE")]
    pub(crate) recipes: Vec<PathBuf>,
    /// Target triplet (repeatable, or comma-separated); `all` = every platform each recipe
    /// declares that can be built here (`repro platforms`). Several platforms run as a batch:
    /// one scheduler, one section per platform, the worst outcome as exit code.
    #[arg(long, value_name = "TRIPLET", value_delimiter = ',')]
    pub(crate) platform: Vec<String>,
    /// Run as a batch even for one recipe: `--json` writes `repro-batch/1` with the job's
    /// report beside it, and `--html` a dashboard directory (what `repro plan` jobs run).
    #[arg(long)]
    pub(crate) batch: bool,
    /// Edit the variations (repeatable): `none`, `all`, `default`, `+name`, `-name`, comma-separated,
    /// applied in order to the default set (everything but build_path). Names: time, hostname,
    /// domain, user, home, build_path, num_cpus, timezone, locale, umask, environment,
    /// fileordering, kernel, aslr.
    #[arg(long = "vary", value_name = "SPEC", allow_hyphen_values = true)]
    pub(crate) vary: Vec<String>,
    /// Keep srcdir, both prefixes, artifacts and logs in DIR (new or empty).
    #[arg(long, value_name = "DIR")]
    pub(crate) keep: Option<PathBuf>,
    /// Wall-clock limit of each build's script, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 7200)]
    pub(crate) timeout: u64,
    /// Memory limit of each build, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 8192)]
    pub(crate) memory: i64,
    /// Builds at once (explain's builds; a batch's checks run two builds each). Default: the
    /// cores, at most one per 2 GiB of memory.
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Declare differences under GLOB benign (rule `ignore:<GLOB>`; repeatable).
    #[arg(long = "ignore", value_name = "GLOB")]
    pub(crate) ignore: Vec<String>,
    /// Apply no normalization rule: show the raw comparison.
    #[arg(long)]
    pub(crate) no_normalize: bool,
    #[command(flatten)]
    pub(crate) sources: SourceOpts,
    #[command(flatten)]
    pub(crate) deps: DepOpts,
    #[command(flatten)]
    pub(crate) output: ReportOutput,
}

impl BuildTwiceArgs {
    /// Builds at once: `--jobs`, else what the cores and memory allow.
    pub(crate) fn builds(&self) -> usize {
        self.jobs
            .unwrap_or_else(|| {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                repro::batch::default_builds(cores, crate::cmd::batch::total_memory())
            })
            .max(1)
    }

    /// True when the arguments name one recipe and one platform: the single-report flow.
    pub(crate) fn is_single(&self) -> bool {
        let [r] = self.recipes.as_slice() else { return false };
        let one_platform = match self.platform.as_slice() {
            [] => true,
            [p] => p != "all",
            _ => false,
        };
        !self.batch && one_platform && (r.is_file() || r.join("recipe.toml").is_file())
    }

    pub(crate) fn options(&self) -> Result<CheckOptions> {
        let fetch = repro_sources::FetchConfig::from_env_and_args(
            self.sources.cache.clone(),
            self.sources.mirrors.clone(),
        )?;
        let mut o = CheckOptions::new(self.recipes[0].clone(), fetch);
        o.platform = self.platform.first().cloned();
        o.vary = VariationSet::parse(&self.vary)?;
        o.keep = self.keep.clone();
        o.timeout = std::time::Duration::from_secs(self.timeout);
        o.memory_bytes = Some(self.memory.saturating_mul(1 << 20));
        o.jobs = self.builds();
        o.diff.ignore_globs = self.ignore.clone();
        o.diff.normalize = !self.no_normalize;
        o.deps = self.deps.config();
        Ok(o)
    }
}

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    common: BuildTwiceArgs,
    /// When unreproducible, also find which variation triggers each differing file.
    #[arg(long)]
    explain: bool,
    /// Also check each recipe dependency (built twice), so a nondeterministic dependency is
    /// reported as such rather than blamed on the dependent.
    #[arg(long = "deps")]
    check_deps: bool,
    #[command(flatten)]
    attest: crate::cmd::attest::AttestOpts,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    let mut opts = args.common.options()?;
    opts.explain = args.explain;
    opts.deps.check = args.check_deps;
    let keys = args.attest.load_keys()?;
    run_flow(
        &args.common,
        &opts,
        ctx,
        "check",
        |o, sink| Box::pin(repro::check::check(o, sink)),
        |report| args.attest.write(&keys, report, "check", ctx),
    )
}

/// The future a flow (`check` or `explain`) returns.
pub(crate) type FlowFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<CheckOutcome, CheckError>> + 'a>>;

/// Runs `flow` and renders its report: exit 0 reproducible, 1 not, 130 after Ctrl-C.
pub(crate) fn run_flow(
    common: &BuildTwiceArgs,
    opts: &CheckOptions,
    ctx: &Ctx,
    verb: &str,
    flow: impl for<'a> FnOnce(&'a CheckOptions, repro_events::Sink) -> FlowFuture<'a>,
    after: impl FnOnce(&repro_report::Report) -> Result<()>,
) -> Result<u8> {
    if !common.is_single() {
        return crate::cmd::batch::run_batch(common, opts, ctx, verb == "explain");
    }
    let ran = crate::signals::run(|cancel| {
        let mut opts = opts.clone();
        opts.cancel = cancel;
        async move { flow(&opts, ctx.sink()).await }
    })?;
    let code = ran.exit_code();
    let outcome = match ran.value {
        Err(e) if code.is_some() || e.is_interrupted() => {
            crate::ui::print_error(&anyhow::Error::new(e));
            return Ok(code.unwrap_or(EXIT_INTERRUPTED));
        }
        Ok(_) if code.is_some() => return Ok(code.unwrap_or(EXIT_INTERRUPTED)),
        Ok(o) => o,
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot {verb} {}", common.recipes[0].display())));
        }
    };
    after(&outcome.report)?;
    common.output.emit(&outcome.report, ctx)?;
    if let Some(k) = &outcome.kept {
        ctx.note(&format!("builds kept in {}", k.display()));
    }
    Ok(if outcome.report.is_reproducible() { EXIT_OK } else { EXIT_DIFFERENT })
}
