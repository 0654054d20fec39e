//! `repro fetch`: download and verify every source of a recipe into the cache, and optionally
//! lay them out in a source directory.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use repro_recipe::Source;
use repro_sources::{FetchConfig, FetchOrigin, Fetcher, prepare_srcdir};

use crate::cmd::common::SourceOpts;
use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The recipe whose sources to fetch.
    #[arg(value_name = "RECIPE")]
    recipe: PathBuf,
    #[command(flatten)]
    sources: SourceOpts,
    /// Never use the network: only the cache, mirrors and local paths (also `REPRO_OFFLINE=1`).
    #[arg(long)]
    offline: bool,
    /// Also lay the sources out in DIR, as the build sees them in /workspace/srcdir.
    #[arg(long, value_name = "DIR")]
    srcdir: Option<PathBuf>,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> anyhow::Result<u8> {
    let recipe = repro_recipe::load(&args.recipe)?;
    let mut cfg =
        FetchConfig::from_env_and_args(args.sources.cache.clone(), args.sources.mirrors.clone())?;
    cfg.offline |= args.offline;
    let fetcher = Fetcher::new(cfg, ctx.sink());
    let fetched = fetcher
        .fetch_recipe(&recipe)
        .with_context(|| format!("fetching the sources of {}", args.recipe.display()))?;

    let mut out = std::io::stdout().lock();
    for f in &fetched {
        let id = match (&f.sha256, &f.source) {
            (Some(sha), _) => format!("sha256:{sha}"),
            (None, Source::Git { commit, .. }) => format!("commit:{}", commit.to_ascii_lowercase()),
            (None, _) => "directory".to_owned(),
        };
        writeln!(
            out,
            "{:<8} {} {} {}",
            origin_name(f.origin),
            id,
            f.cached.display(),
            location(&f.source)
        )?;
    }
    out.flush()?;
    drop(out);

    if let Some(srcdir) = &args.srcdir {
        prepare_srcdir(&recipe, &fetched, srcdir)
            .with_context(|| format!("preparing the source directory {}", srcdir.display()))?;
        if !ctx.quiet {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("sources laid out in {}", srcdir.display());
            }
        }
    }
    Ok(crate::EXIT_OK)
}

fn location(s: &Source) -> &str {
    match s {
        Source::Archive { url, .. } | Source::File { url, .. } | Source::Git { url, .. } => url,
        Source::Directory { path, .. } => path,
    }
}

fn origin_name(o: FetchOrigin) -> &'static str {
    match o {
        FetchOrigin::Cache => "cache",
        FetchOrigin::Mirror => "mirror",
        FetchOrigin::Network => "network",
        FetchOrigin::Local => "local",
    }
}
