//! Batch outputs shared by `repro check` over many recipes and `repro report merge`: the
//! per-job report files and HTML pages, the merged JSON (`repro-batch/1`), Markdown, JUnit and
//! HTML dashboard, the text summary, and the exit code (the worst outcome).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use repro::batch::JobResult;
use repro_report::render;
use repro_report::{Batch, Outcome};

use crate::cmd::common::{ReportOutput, write_out};
use crate::ui::Ctx;
use crate::{EXIT_DIFFERENT, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK};

/// The exit code of a batch: 0 all reproducible, 1 some unreproducible, 2 some failed or
/// skipped, 130 when cancelled.
pub(crate) fn exit_code(batch: &Batch) -> u8 {
    match batch.worst() {
        Outcome::Reproducible => EXIT_OK,
        Outcome::Unreproducible => EXIT_DIFFERENT,
        Outcome::Skipped | Outcome::Failed => EXIT_ERROR,
        Outcome::Cancelled => EXIT_INTERRUPTED,
    }
}

/// Where the HTML dashboard goes and where job pages go: `--html DIR/` (a trailing slash, an
/// existing directory, or no `.html` extension) writes `DIR/index.html` and `DIR/jobs/*.html`;
/// `--html FILE.html` writes the dashboard there and job pages to `jobs/` beside it.
fn html_paths(p: &Path) -> (PathBuf, PathBuf) {
    let s = p.to_string_lossy();
    let is_dir = s.ends_with('/') || p.is_dir() || p.extension().is_none_or(|e| e != "html");
    if is_dir {
        (p.join("index.html"), p.join("jobs"))
    } else {
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        (p.to_owned(), parent.join("jobs"))
    }
}

fn create_dir(d: &Path) -> Result<()> {
    std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))
}

/// Writes every requested output of a batch and prints its summary; returns the exit code.
pub(crate) fn emit(
    results: Vec<JobResult>,
    out: &ReportOutput,
    duration_secs: Option<f64>,
    ctx: &Ctx,
) -> Result<u8> {
    if out.diffoscope_json.is_some() {
        bail!("--diffoscope-json is written per job: run `repro check` on one recipe for it");
    }
    if out.html.as_deref() == Some(Path::new("-")) {
        bail!(
            "--html for many jobs writes a directory (a dashboard and one page per job), not stdout"
        );
    }
    // Per-job reports beside the batch JSON.
    let json_dir = match out.json.as_deref() {
        Some(p) if p != Path::new("-") => Some(
            p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned(),
        ),
        _ => None,
    };
    let html = out.html.as_deref().map(html_paths);
    let mut jobs = Vec::with_capacity(results.len());
    for r in &results {
        let mut job = r.job.clone();
        job.report = None;
        job.html = None;
        if let Some(report) = &r.report {
            if let Some(dir) = &json_dir {
                let d = dir.join("jobs");
                create_dir(&d)?;
                write_out(&d.join(format!("{}.json", job.id)), &render::json(report))?;
                job.report = Some(format!("jobs/{}.json", job.id));
            }
            if let Some((index, pages)) = &html {
                create_dir(pages)?;
                let name = index.file_name().map(|n| n.to_string_lossy().into_owned());
                let opts = render::HtmlOptions {
                    back_link: Some((
                        format!("../{}", name.unwrap_or_default()),
                        "← all jobs".into(),
                    )),
                };
                write_out(&pages.join(format!("{}.html", job.id)), &render::html(report, &opts))?;
                job.html = Some(format!("jobs/{}.html", job.id));
            }
        }
        jobs.push(job);
    }
    let mut batch = Batch::new(jobs);
    batch.duration_secs = duration_secs;
    if let Some((index, _)) = &html {
        if let Some(d) = index.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dir(d)?;
        }
        write_out(index, &render::batch_html(&batch))?;
    }
    // The JSON keeps `html` links relative to the dashboard only when both sit together.
    let mut json_batch = batch.clone();
    if html.as_ref().map(|(i, _)| i.parent()) != json_dir.as_deref().map(Some) {
        for j in &mut json_batch.jobs {
            j.html = None;
        }
    }
    if let Some(p) = &out.json {
        write_out(p, &render::batch_json(&json_batch))?;
    }
    if let Some(p) = &out.markdown {
        write_out(p, &render::batch_markdown(&batch))?;
    }
    if let Some(p) = &out.junit {
        write_out(p, &render::batch_junit(&batch))?;
    }
    let stdout_taken =
        [&out.json, &out.markdown, &out.junit].iter().any(|p| p.as_deref() == Some(Path::new("-")));
    if !stdout_taken {
        let mut o = std::io::stdout().lock();
        if !ctx.quiet {
            for j in &batch.jobs {
                let detail = match (&j.error, j.causes.is_empty()) {
                    (Some(e), _) => e.lines().next().unwrap_or("").to_owned(),
                    (None, false) => {
                        j.causes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                    }
                    _ => String::new(),
                };
                writeln!(
                    o,
                    "{:<15} {:<28} {:<22} {}",
                    j.outcome.as_str(),
                    j.recipe,
                    j.platform,
                    detail
                )?;
            }
        }
        writeln!(o, "{}", render::batch_summary_line(&batch))?;
        o.flush()?;
    }
    if let Some((index, _)) = &html {
        ctx.note(&format!("HTML report: {}", index.display()));
    }
    Ok(exit_code(&batch))
}

/// Total memory in bytes (`MemTotal` of /proc/meminfo), when known.
pub(crate) fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `repro check` / `repro explain` over many recipes × platforms: one scheduler, `--jobs`
/// builds at a time, every job to the end (or to Ctrl-C), then the batch outputs.
pub(crate) fn run_batch(
    common: &crate::cmd::check::BuildTwiceArgs,
    template: &repro::check::CheckOptions,
    ctx: &Ctx,
    explain: bool,
) -> Result<u8> {
    let recipes = repro::batch::find_recipes(&common.recipes)?;
    let platforms: Vec<String> =
        common.platform.iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect();
    if platforms.iter().any(|p| p == "all") {
        // `all` leaves out what cannot be built here; say which and why.
        for r in recipes.iter().filter_map(|r| repro_recipe::load(r).ok()) {
            for p in &r.platforms {
                if let Err(reason) = repro_recipe::platform::buildable(p) {
                    ctx.note(&format!("{}: {p} is not buildable here: {reason}", r.name));
                }
            }
        }
    }
    let jobs = repro::batch::plan_jobs(&recipes, &platforms);
    if jobs.is_empty() {
        bail!(
            "no recipe × platform to check: none of the {} recipes declares {}",
            recipes.len(),
            platforms.join(", ")
        );
    }
    let builds = common.builds();
    ctx.note(&format!(
        "{} jobs ({} recipes), {builds} builds at a time",
        jobs.len(),
        recipes.len()
    ));
    let opts = repro::batch::BatchOptions { builds, explain };
    let started = std::time::Instant::now();
    let sink = ctx.sink();
    let ran = crate::signals::run(|cancel| {
        repro::batch::run_checks(jobs, template, &opts, cancel, sink)
    })?;
    let signal_code = ran.exit_code();
    let code = emit(ran.value, &common.output, Some(started.elapsed().as_secs_f64()), ctx)?;
    Ok(signal_code.unwrap_or(code))
}
