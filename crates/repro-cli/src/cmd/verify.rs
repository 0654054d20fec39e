//! `repro verify`: rebuild a recipe and compare it with a published `Artifacts.toml` record.
//! Exit 0 verified, 1 mismatch, 2 not rebuildable or error, 130 interrupted.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use repro::build::Limits;
use repro::verify::VerifyOptions;
use repro_report::VerifyVerdict;

use crate::cmd::attest::AttestOpts;
use crate::cmd::common::{ReportOutput, SourceOpts};
use crate::ui::Ctx;
use crate::{EXIT_DIFFERENT, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK};

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The recipe (recipe.toml, or a directory holding one).
    recipe: PathBuf,
    /// The published record: an Artifacts.toml, a directory holding one, or an http(s) URL.
    #[arg(long, value_name = "RECORD")]
    against: String,
    /// Target triplet (default: the native x86_64-linux-gnu, which the recipe must list).
    #[arg(long, value_name = "TRIPLET")]
    platform: Option<String>,
    /// Keep srcdir, the prefix and the rebuilt tarballs in DIR (new or empty).
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Wall-clock limit of the build script, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = repro::build::DEFAULT_TIMEOUT.as_secs())]
    timeout: u64,
    /// Memory limit of the build, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 8192)]
    memory: i64,
    /// Declare differences under GLOB benign in the file comparison (repeatable). The verdict
    /// still rests on the git-tree-sha1.
    #[arg(long = "ignore", value_name = "GLOB")]
    ignore: Vec<String>,
    /// Compare published and rebuilt trees without any normalization rule.
    #[arg(long)]
    no_normalize: bool,
    /// The image lock (default: REPRO_IMAGE_LOCK, else the repository's docker/image.lock).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    #[command(flatten)]
    sources: SourceOpts,
    #[command(flatten)]
    deps: crate::cmd::common::DepOpts,
    #[command(flatten)]
    output: ReportOutput,
    #[command(flatten)]
    attest: AttestOpts,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    if args.timeout == 0 {
        anyhow::bail!("--timeout must be at least 1 second");
    }
    let keys = args.attest.load_keys()?;
    let fetch = repro_sources::FetchConfig::from_env_and_args(
        args.sources.cache.clone(),
        args.sources.mirrors.clone(),
    )?;
    let mut opts = VerifyOptions::new(args.recipe.clone(), args.against.clone(), fetch);
    opts.platform = args.platform.clone();
    opts.keep = args.keep.clone();
    opts.limits = Limits {
        timeout: Duration::from_secs(args.timeout),
        memory_bytes: Some(args.memory.saturating_mul(1 << 20)),
        pids_limit: Some(32_768),
    };
    opts.diff.ignore_globs = args.ignore.clone();
    opts.diff.normalize = !args.no_normalize;
    opts.image_lock = args.lock.clone();
    opts.deps = args.deps.config();

    let ran = crate::signals::run(|cancel| {
        let mut opts = opts.clone();
        opts.cancel = cancel;
        async move { repro::verify::verify(&opts, ctx.sink()).await }
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
            return Err(
                anyhow::Error::new(e).context(format!("cannot verify {}", args.recipe.display()))
            );
        }
    };
    let verdict = outcome.verdict();
    if verdict != VerifyVerdict::NotRebuildable {
        args.attest.write(&keys, &outcome.report, "verify", ctx)?;
    } else if args.attest.attest.is_some() {
        ctx.note("no attestation written: nothing was rebuilt");
    }
    args.output.emit(&outcome.report, ctx)?;
    if let Some(k) = &outcome.kept {
        ctx.note(&format!("rebuild kept in {}", k.display()));
    }
    Ok(match verdict {
        VerifyVerdict::Verified => EXIT_OK,
        VerifyVerdict::Mismatch => EXIT_DIFFERENT,
        VerifyVerdict::NotRebuildable => EXIT_ERROR,
    })
}
