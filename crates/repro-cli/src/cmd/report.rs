//! `repro report merge`: aggregate per-job report files (as CI artifacts hold them) into one
//! batch: JSON (`repro-batch/1`), Markdown, JUnit and an HTML dashboard. Exit code: the worst
//! outcome (0 reproducible, 1 unreproducible, 2 failed or skipped, 130 cancelled).

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cmd::common::ReportOutput;
use crate::ui::Ctx;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ReportCommand {
    /// Merge per-job files (`repro-batch/1` from `repro check --batch`, or `repro-report/1`):
    /// directories are searched for *.json.
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct MergeArgs {
    /// Files or directories holding per-job JSON files.
    #[arg(required = true, value_name = "DIR|FILE")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    output: ReportOutput,
}

pub(crate) fn run(cmd: ReportCommand, ctx: &Ctx) -> Result<u8> {
    match cmd {
        ReportCommand::Merge(a) => {
            let results =
                repro::batch::read_job_files(&a.inputs).context("cannot merge the job files")?;
            crate::cmd::batch::emit(results, &a.output, None, ctx)
        }
    }
}
