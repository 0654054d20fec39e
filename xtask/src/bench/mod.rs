//! `cargo xtask bench [build|diff|check|plan|batch|entries|all]`.

use anyhow::Result;

mod batch;
mod build;
mod check;
mod diff;
mod entries;
mod plan;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Which benchmark to run.
    #[arg(default_value = "all")]
    which: Which,
    /// `entries`: entries per side, one run set per count (e.g. `--entries 100000,1000000`;
    /// the peak-RSS slope per entry is printed between the smallest and the largest). Default:
    /// `REPRO_BENCH_ENTRIES`, else 1,000,000.
    #[arg(long, value_delimiter = ',')]
    entries: Vec<usize>,
    /// `entries`: skip the run that lists every path (it compares every file's content in
    /// detail and takes much longer than the others).
    #[arg(long)]
    capped_only: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Which {
    All,
    Build,
    Diff,
    Check,
    /// `repro plan` over the Yggdrasil corpus.
    Plan,
    /// A batch of 20 small recipes: CPU use and per-job overhead.
    Batch,
    /// `repro diff` of two million-entry tarballs: time, peak RSS, report size.
    Entries,
}

pub(crate) fn run(args: Args) -> Result<()> {
    let all = args.which == Which::All;
    if all || args.which == Which::Build {
        build::run()?;
    }
    if all || args.which == Which::Diff {
        diff::run()?;
    }
    if all || args.which == Which::Check {
        check::run()?;
    }
    if all || args.which == Which::Plan {
        plan::run()?;
    }
    if all || args.which == Which::Batch {
        batch::run()?;
    }
    if all || args.which == Which::Entries {
        entries::run(&args.entries, args.capped_only)?;
    }
    Ok(())
}

/// Builds `repro` in release mode and returns its path (`REPRO_BENCH_BIN` names another
/// binary instead, e.g. a debug build).
pub(crate) fn release_repro(root: &std::path::Path) -> Result<std::path::PathBuf> {
    if let Some(bin) = std::env::var_os("REPRO_BENCH_BIN") {
        return Ok(bin.into());
    }
    let st = std::process::Command::new("cargo")
        .args(["build", "--release", "--package", "repro-cli"])
        .current_dir(root)
        .status()?;
    if !st.success() {
        anyhow::bail!("cannot build repro");
    }
    Ok(root.join("target/release/repro"))
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), as `1.23 0.98 0.75`: benchmarks
/// record it with each figure, since the machine may be shared.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}
