//! Terminal output: tracing setup, error printing, and the event displayer.
//!
//! Libraries emit [`repro_events::Event`]s; [`Ctx::sink`] turns them into progress on stderr:
//! spinners per build on a TTY, plain prefixed lines otherwise. Build output lines are shown with
//! `-v` (prefixed with the build's label, e.g. `control | ...`); otherwise only phases.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use repro_events::{Event, EventSink, Level, Sink};
use repro_report::render::escape_controls;

/// What every subcommand gets besides its own arguments.
pub(crate) struct Ctx {
    pub(crate) quiet: bool,
    pub(crate) verbose: u8,
}

impl Ctx {
    /// A note for the user on stderr (not in quiet mode).
    #[allow(clippy::print_stderr)]
    pub(crate) fn note(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{}", escape_controls(msg, true));
        }
    }

    /// A sink that displays events on stderr.
    pub(crate) fn sink(&self) -> Sink {
        Arc::new(Displayer::new(self.quiet, self.verbose))
    }
}

pub(crate) fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
}

#[allow(clippy::print_stderr)]
pub(crate) fn print_error(err: &anyhow::Error) {
    // Error messages quote archive member names and paths: escape what a terminal interprets.
    eprintln!("error: {}", escape_controls(&format!("{err:#}"), true));
}

/// Renders events on stderr.
struct Displayer {
    quiet: bool,
    verbose: u8,
    tty: bool,
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    batch: Mutex<BatchProgress>,
}

/// Totals of a batch run (jobs of many recipes × platforms).
#[derive(Default)]
struct BatchProgress {
    total: usize,
    done: usize,
    unreproducible: usize,
    failed: usize,
    /// Jobs of `repro build` that built (a build batch has no "unreproducible").
    built: usize,
    started: Option<std::time::Instant>,
    bar: Option<ProgressBar>,
}

impl BatchProgress {
    /// `3/20 done, 1 unreproducible, 0 failed, ETA 4m10s` (`3/20 done, 0 failed` for builds).
    fn line(&self) -> String {
        let eta = match self.started {
            Some(t) if self.done > 0 && self.done < self.total => {
                let per = t.elapsed().as_secs_f64() / self.done as f64;
                let left = (per * (self.total - self.done) as f64) as u64;
                format!(", ETA {}m{:02}s", left / 60, left % 60)
            }
            _ => String::new(),
        };
        let unreproducible = if self.built > 0 {
            String::new()
        } else {
            format!(", {} unreproducible", self.unreproducible)
        };
        format!("{}/{} done{unreproducible}, {} failed{eta}", self.done, self.total, self.failed)
    }
}

/// A batch build label `job/build` → (`job`, `build`).
fn split_job(label: &str) -> Option<(&str, &str)> {
    label.split_once('/')
}

impl Displayer {
    fn new(quiet: bool, verbose: u8) -> Self {
        let tty = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let target =
            if tty && !quiet { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Displayer {
            quiet,
            verbose,
            tty,
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
            batch: Mutex::new(BatchProgress::default()),
        }
    }

    fn bar(&self, key: &str) -> ProgressBar {
        let mut bars = self.bars.lock().expect("progress bars poisoned");
        bars.entry(key.to_owned())
            .or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix:.bold} {elapsed:>4} {wide_msg}",
                    )
                    .expect("valid template"),
                );
                bar.set_prefix(key.to_owned());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .clone()
    }

    fn finish(&self, key: &str, msg: String) {
        let bar = self.bars.lock().expect("progress bars poisoned").remove(key);
        match bar {
            Some(bar) => bar.finish_with_message(msg),
            None => self.line(&format!("{key}: {msg}")),
        }
    }

    #[allow(clippy::print_stderr)]
    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let text = escape_controls(text, true);
        if self.tty {
            self.multi.suspend(|| eprintln!("{text}"));
        } else {
            eprintln!("{text}");
        }
    }
}

impl EventSink for Displayer {
    fn emit(&self, event: Event) {
        match event {
            Event::FetchStarted { source, .. } => {
                if self.tty {
                    self.bar(&source).set_message("fetching");
                } else {
                    self.line(&format!("fetch: {source}"));
                }
            }
            Event::FetchProgress { source, bytes, total } if self.tty => {
                let msg = match total {
                    Some(t) => format!("{} / {}", human(bytes), human(t)),
                    None => human(bytes),
                };
                self.bar(&source).set_message(msg);
            }
            Event::FetchFinished { source, origin, sha256 } => {
                let short = sha256.get(..12).unwrap_or(&sha256);
                self.finish(&source, format!("ok ({origin:?}, sha256 {short}…)").to_lowercase());
            }
            Event::BuildPhase { build, phase } if self.tty && split_job(&build).is_some() => {
                let (job, label) = split_job(&build).unwrap_or_default();
                self.bar(job).set_message(format!("{label}: {phase}"));
            }
            Event::BuildFinished { build, success, duration }
                if self.tty && split_job(&build).is_some() =>
            {
                let (job, label) = split_job(&build).unwrap_or_default();
                let what = if success { "finished" } else { "FAILED" };
                self.bar(job)
                    .set_message(format!("{label} {what} in {:.1}s", duration.as_secs_f64()));
            }
            Event::BuildOutput { build, line, .. }
                if self.tty && self.verbose == 0 && split_job(&build).is_some() =>
            {
                let (job, label) = split_job(&build).unwrap_or_default();
                let mut l = format!("{label} | {line}");
                l.truncate(120);
                self.bar(job).set_message(l);
            }
            Event::JobStarted { job, index, total } => {
                let mut b = self.batch.lock().expect("batch progress poisoned");
                b.total = total;
                b.started.get_or_insert_with(std::time::Instant::now);
                if self.tty {
                    if b.bar.is_none() {
                        let bar = self.multi.add(ProgressBar::new(total as u64));
                        bar.set_style(
                            ProgressStyle::with_template("{prefix:.bold} [{bar:24}] {msg}")
                                .expect("valid template")
                                .progress_chars("=> "),
                        );
                        bar.set_prefix("batch");
                        b.bar = Some(bar);
                    }
                    let line = b.line();
                    if let Some(bar) = &b.bar {
                        bar.set_message(line);
                    }
                    drop(b);
                    self.bar(&job).set_message("starting");
                } else {
                    drop(b);
                    self.line(&format!("[{}/{total}] {job}: started", index + 1));
                }
            }
            Event::JobFinished { job, outcome, duration } => {
                let mut b = self.batch.lock().expect("batch progress poisoned");
                b.done += 1;
                match outcome.as_str() {
                    "unreproducible" => b.unreproducible += 1,
                    "built" => b.built += 1,
                    "failed" | "cancelled" | "skipped" => b.failed += 1,
                    _ => {}
                }
                let line = b.line();
                let msg = format!("{outcome} in {:.1}s", duration.as_secs_f64());
                if let Some(bar) = &b.bar {
                    bar.set_position(b.done as u64);
                    bar.set_message(line.clone());
                    if b.done >= b.total {
                        bar.finish();
                    }
                }
                drop(b);
                if self.tty {
                    if let Some(bar) =
                        self.bars.lock().expect("progress bars poisoned").remove(&job)
                    {
                        bar.finish_and_clear();
                    }
                    self.line(&format!("{job}: {msg}"));
                } else {
                    self.line(&format!("{job}: {msg} ({line})"));
                }
            }
            Event::BuildPhase { build, phase } => {
                if self.tty {
                    self.bar(&build).set_message(phase);
                } else {
                    self.line(&format!("[{build}] {phase}"));
                }
            }
            Event::BuildOutput { build, line, .. } => {
                if self.verbose > 0 {
                    self.line(&format!("{build} | {line}"));
                } else if self.tty {
                    let mut l = line;
                    l.truncate(120);
                    self.bar(&build).set_message(l);
                }
            }
            Event::BuildFinished { build, success, duration } => {
                let what = if success { "finished" } else { "FAILED" };
                self.finish(&build, format!("{what} in {:.1}s", duration.as_secs_f64()));
            }
            Event::Image { message } => self.line(&format!("image: {message}")),
            Event::FileCompared { .. } | Event::Normalized { .. } => {}
            Event::Note { level, message } => match level {
                Level::Info => self.line(&format!("note: {message}")),
                Level::Warn => self.line(&format!("warning: {message}")),
            },
            _ => {}
        }
    }
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{bytes} B") } else { format!("{v:.1} {}", UNITS[u]) }
}
