//! `cargo xtask bench [build|diff|check|all]`.

use anyhow::Result;

mod build;
mod check;
mod diff;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Which benchmark to run.
    #[arg(default_value = "all")]
    which: Which,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Which {
    All,
    Build,
    Diff,
    Check,
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
    Ok(())
}
