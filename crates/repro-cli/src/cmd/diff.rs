//! `repro diff`: compare two artifacts (directories, tarballs or files) and report what
//! differs and why. Exit 0 when reproducible after normalization, 1 on differences, 2 on error.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use repro::diff::{DiffLimits, DiffOptions};

use crate::cmd::common::ReportOutput;
use crate::ui::Ctx;
use crate::{EXIT_DIFFERENT, EXIT_OK};

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// First artifact: a directory, a tarball (.tar, .tar.gz, .tar.zst, .tar.xz, .tar.bz2) or a file.
    a: PathBuf,
    /// Second artifact, of the same kind.
    b: PathBuf,
    /// Declare differences under GLOB benign (rule `ignore:<GLOB>`; repeatable).
    #[arg(long = "ignore", value_name = "GLOB")]
    ignore: Vec<String>,
    /// Take the `[normalize]` rules of this recipe.
    #[arg(long, value_name = "RECIPE")]
    recipe: Option<PathBuf>,
    /// Apply no normalization rule: show the raw comparison.
    #[arg(long)]
    no_normalize: bool,
    /// Unpack two tarball inputs to disk before comparing them. By default they are read as
    /// streams and only the files compared in detail are written out (the same report, much
    /// faster for large tarballs).
    #[arg(long)]
    unpack: bool,
    /// Look for VALUE in differing regions and attribute hits to VARIATION (repeatable),
    /// e.g. `--hint hostname=build-host-2`.
    #[arg(long = "hint", value_name = "VARIATION=VALUE")]
    hints: Vec<String>,
    #[command(flatten)]
    output: ReportOutput,
    /// Lines per unified diff.
    #[arg(long, value_name = "N", default_value_t = DiffLimits::default().max_diff_lines)]
    max_diff_lines: usize,
    /// Approximate bytes of details in the whole report.
    #[arg(long, value_name = "BYTES", default_value_t = DiffLimits::default().max_report_bytes)]
    max_report_bytes: usize,
    /// Paths listed in the report; the summary still counts every path, and the report says
    /// how many were left out.
    #[arg(long, value_name = "N", default_value_t = DiffLimits::default().max_reported_files)]
    max_reported_files: usize,
    /// Bytes of details per file.
    #[arg(long, value_name = "BYTES", default_value_t = DiffLimits::default().max_file_detail_bytes)]
    max_file_detail_bytes: usize,
    /// Nesting of archives and compressed streams.
    #[arg(long, value_name = "N", default_value_t = DiffLimits::default().max_archive_depth)]
    max_archive_depth: usize,
    /// Bytes decompressed while comparing one file.
    #[arg(long, value_name = "BYTES", default_value_t = DiffLimits::default().max_decompressed_bytes)]
    max_decompressed_bytes: u64,
    /// Larger files are compared as binary streams.
    #[arg(long, value_name = "BYTES", default_value_t = DiffLimits::default().max_in_memory_bytes)]
    max_in_memory_bytes: u64,
    /// Time budget of one text diff, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DiffLimits::default().text_diff_deadline.as_millis() as u64)]
    text_diff_deadline_ms: u64,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    let mut user_rules = Vec::new();
    if let Some(r) = &args.recipe {
        let recipe =
            repro_recipe::load(r).with_context(|| format!("cannot load recipe {}", r.display()))?;
        user_rules = recipe.normalize.ignore.clone();
    }
    let mut hints = Vec::new();
    for h in &args.hints {
        let (k, v) = h.split_once('=').with_context(|| {
            format!("--hint `{h}`: expected VARIATION=VALUE, e.g. hostname=build-host-2")
        })?;
        hints.push((k.to_owned(), v.to_owned()));
    }
    let limits = DiffLimits {
        max_diff_lines: args.max_diff_lines,
        max_report_bytes: args.max_report_bytes,
        max_file_detail_bytes: args.max_file_detail_bytes,
        max_reported_files: args.max_reported_files,
        max_archive_depth: args.max_archive_depth,
        max_decompressed_bytes: args.max_decompressed_bytes,
        max_in_memory_bytes: args.max_in_memory_bytes,
        text_diff_deadline: Duration::from_millis(args.text_diff_deadline_ms),
        ..DiffLimits::default()
    };
    let opts = DiffOptions {
        normalize: !args.no_normalize,
        user_rules,
        ignore_globs: args.ignore.clone(),
        hints,
        date_window: None,
        limits,
        cancel: Default::default(),
        tarballs_in_stream: !args.unpack,
    };
    // The comparison runs on a blocking thread; SIGINT, SIGTERM and SIGHUP cancel the token,
    // which every unpack, scan and comparison loop checks. The temporary directories are
    // removed before `diff_paths` returns.
    let (a, b) = (args.a.clone(), args.b.clone());
    let ran = crate::signals::run(|cancel| async move {
        let opts = DiffOptions { cancel, ..opts };
        tokio::task::spawn_blocking(move || {
            repro::diff::diff_paths(&a, &b, &opts, repro_events::null_sink())
        })
        .await
    })?;
    let code = ran.exit_code();
    let result = ran.value.context("the comparison thread failed")?;
    if let Some(code) = code {
        if let Err(e) = &result
            && !e.is_cancelled()
        {
            crate::ui::print_error(&anyhow::anyhow!("{e}"));
        }
        crate::ui::print_error(&anyhow::anyhow!("interrupted: the comparison was cancelled"));
        return Ok(code);
    }
    let report = result
        .with_context(|| format!("cannot compare {} and {}", args.a.display(), args.b.display()))?;

    args.output.emit(&report, ctx)?;
    Ok(if report.is_reproducible() { EXIT_OK } else { EXIT_DIFFERENT })
}
