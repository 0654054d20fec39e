//! `cargo xtask corpus PATH`: import every `build_tarballs.jl` of a Yggdrasil checkout (or of
//! the `.tar.xz` of its `.jl` files) and print the importer's coverage table.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use repro_import::corpus::{CorpusOptions, Outcome, run_corpus};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// A directory (a Yggdrasil checkout) or a `.tar.xz` of its `.jl` files.
    path: PathBuf,
    /// Time limit per recipe, in seconds.
    #[arg(long, default_value_t = 5.0)]
    time_limit: f64,
    /// Rows in each "most frequent" and "slowest" list.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Fail (exit 1) when fewer than this percentage of recipes import.
    #[arg(long, value_name = "PERCENT")]
    min_coverage: Option<f64>,
    /// Also list every recipe that did not import, with its error.
    #[arg(long)]
    failures: bool,
}

#[allow(clippy::print_stdout)]
pub(crate) fn run(a: Args) -> Result<()> {
    let opts =
        CorpusOptions { time_limit: Duration::from_secs_f64(a.time_limit), threads: a.threads };
    let report = run_corpus(&a.path, &opts)?;
    print!("{}", report.render(a.top));
    if a.failures {
        println!();
        println!("recipes that did not import");
        for r in report.recipes.iter().filter(|r| !r.outcome.imported()) {
            println!("  {}: {}", r.path.display(), r.error.as_deref().unwrap_or(""));
        }
    }
    let bad = report.count(Outcome::Panicked) + report.count(Outcome::TimedOut);
    if bad > 0 {
        bail!("{bad} recipe(s) panicked or timed out");
    }
    if let Some(min) = a.min_coverage
        && report.coverage() * 100.0 < min
    {
        bail!("coverage {:.1}% is below {min}%", report.coverage() * 100.0);
    }
    Ok(())
}
