//! `cargo xtask fuzz [TARGET...] [--time SECS] [--jobs N]`: run the cargo-fuzz targets of
//! `fuzz/` (nightly toolchain) one after the other and print a summary per target (runs,
//! exec/s, coverage, features, corpus, crashes). See docs/fuzzing.md.
//!
//! Each target reads its committed seeds from `fuzz/corpus/<target>/` and keeps what it finds in
//! `fuzz/work/<target>/` (not committed); crash inputs land in `fuzz/artifacts/<target>/`, and
//! libFuzzer's full output in `fuzz/work/<target>.log`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::test::repo_root;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Targets to run (default: every file of fuzz/fuzz_targets/).
    targets: Vec<String>,
    /// Seconds to run each target.
    #[arg(long, default_value_t = 600)]
    time: u64,
    /// Parallel fuzzing processes per target (libFuzzer's fork mode when more than 1).
    #[arg(long, default_value_t = 1)]
    jobs: u32,
    /// RSS limit of a fuzzing process, in MB (exceeding it is reported as a crash).
    #[arg(long, default_value_t = 2048)]
    rss_limit_mb: u64,
    /// Seconds one input may take before it counts as a hang.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Largest input generated, in bytes.
    #[arg(long, default_value_t = 65536)]
    max_len: u64,
    /// Keep fuzzing after a crash, hang or out-of-memory input (libFuzzer's fork mode with
    /// `-ignore_crashes`, `-ignore_timeouts`, `-ignore_ooms`), collecting every one found.
    #[arg(long)]
    keep_going: bool,
    /// More seed directories, read by every target run (e.g. the `.jl` files of a Yggdrasil
    /// checkout for the Julia targets).
    #[arg(long, value_name = "DIR")]
    seeds: Vec<PathBuf>,
    /// Do not install cargo-fuzz when it is missing.
    #[arg(long)]
    no_install: bool,
}

/// Figures parsed from libFuzzer's output.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Figures {
    pub runs: u64,
    pub seconds: u64,
    pub exec_per_sec: u64,
    pub cov: u64,
    pub ft: u64,
    pub corpus_units: u64,
    pub corpus_size: String,
    /// Peak RSS of the fuzzing process. `None` in fork mode (`--jobs` > 1, `--keep-going`):
    /// libFuzzer's status lines then carry no `rss:` and its final `stat::peak_rss_mb` is the
    /// parent's own (0), not the children's, which `-rss_limit_mb` bounds each.
    pub peak_rss_mb: Option<u64>,
    /// Crashes, hangs and out-of-memory inputs counted by fork mode.
    pub failures: u64,
}

/// The value after `key` in a libFuzzer status line (`cov: 123`).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let mut it = line.split_whitespace();
    while let Some(w) = it.next() {
        if w == key {
            return it.next();
        }
    }
    None
}

impl Figures {
    /// Updates the figures from one line of libFuzzer output.
    pub(crate) fn line(&mut self, line: &str) {
        let num = |s: Option<&str>| s.and_then(|s| s.trim_end_matches("Mb").parse::<u64>().ok());
        if let Some(status) = line.strip_prefix('#') {
            if let Some(n) = num(status.split_whitespace().next().map(|w| w.trim_end_matches(':')))
            {
                self.runs = self.runs.max(n);
            }
            if let Some(c) = num(field(line, "cov:")) {
                self.cov = c;
            }
            if let Some(f) = num(field(line, "ft:")) {
                self.ft = f;
            }
            if let Some(c) = field(line, "corp:") {
                let (units, size) = c.split_once('/').unwrap_or((c, ""));
                self.corpus_units = units.parse().unwrap_or(self.corpus_units);
                // fork mode prints the unit count only
                self.corpus_size = size.to_owned();
            }
            if let Some(e) = num(field(line, "exec/s:")) {
                self.exec_per_sec = e;
            }
            if let Some(c) = field(line, "oom/timeout/crash:") {
                // fork mode: "oom/timeout/crash: 0/1/2"
                self.failures = c.split('/').filter_map(|x| x.parse::<u64>().ok()).sum();
            }
            if let Some(r) = num(field(line, "rss:")) {
                self.peak_rss_mb = Some(self.peak_rss_mb.unwrap_or(0).max(r));
            }
        } else if let Some(rest) = line.strip_prefix("Done ") {
            // "Done 123 runs in 600 second(s)"
            let w: Vec<&str> = rest.split_whitespace().collect();
            if let [runs, "runs", "in", secs, ..] = w.as_slice() {
                self.runs = runs.parse().unwrap_or(self.runs);
                self.seconds = secs.parse().unwrap_or(self.seconds);
            }
        } else if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            self.runs = v.trim().parse().unwrap_or(self.runs);
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            self.exec_per_sec = v.trim().parse().unwrap_or(self.exec_per_sec);
        } else if let Some(v) = line.strip_prefix("stat::peak_rss_mb:")
            && let Some(r) = v.trim().parse::<u64>().ok().filter(|&r| r > 0)
        {
            self.peak_rss_mb = Some(r);
        }
    }
}

/// Every target: the file stems of `fuzz/fuzz_targets/*.rs`.
fn all_targets(fuzz: &Path) -> Result<Vec<String>> {
    let dir = fuzz.join("fuzz_targets");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "rs") {
            out.push(p.file_stem().expect("a file").to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

fn files_in(dir: &Path) -> BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// Checks for the nightly toolchain and cargo-fuzz (installing it unless told not to).
fn preflight(no_install: bool) -> Result<()> {
    let nightly = Command::new("cargo").args(["+nightly", "--version"]).output();
    if !nightly.is_ok_and(|o| o.status.success()) {
        bail!(
            "fuzzing needs a nightly toolchain (libFuzzer's instrumentation is nightly-only); \
             install it with `rustup toolchain install nightly`"
        );
    }
    let have_fuzz = || {
        Command::new("cargo")
            .args(["+nightly", "fuzz", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if have_fuzz() {
        return Ok(());
    }
    if no_install {
        bail!("cargo-fuzz is not installed; install it with `cargo install cargo-fuzz --locked`");
    }
    eprintln!(
        "cargo-fuzz is not installed; installing it with `cargo install cargo-fuzz --locked`"
    );
    let st = Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]).status()?;
    if !st.success() || !have_fuzz() {
        bail!("could not install cargo-fuzz; install it with `cargo install cargo-fuzz --locked`");
    }
    Ok(())
}

/// Flags given to `cargo fuzz build` and `cargo fuzz run`: release with debug assertions
/// (overflow checks), no sanitizer (the code is safe Rust; ASan would halve the speed).
const BUILD_FLAGS: &[&str] = &["-O", "--debug-assertions", "--sanitizer", "none"];

struct Outcome {
    target: String,
    figures: Figures,
    crashes: Vec<PathBuf>,
    exit_ok: bool,
}

pub(crate) fn run(a: Args) -> Result<()> {
    let root = repo_root();
    let fuzz = root.join("fuzz");
    let known = all_targets(&fuzz)?;
    let targets = if a.targets.is_empty() { known.clone() } else { a.targets.clone() };
    for t in &targets {
        if !known.contains(t) {
            bail!("unknown fuzz target `{t}` (targets: {})", known.join(", "));
        }
    }
    preflight(a.no_install)?;
    let st = Command::new("cargo")
        .args(["+nightly", "fuzz", "build"])
        .args(BUILD_FLAGS)
        .current_dir(&root)
        .status()
        .context("running cargo fuzz build")?;
    if !st.success() {
        bail!("cargo fuzz build failed");
    }
    let mut outcomes = Vec::new();
    for t in &targets {
        outcomes.push(run_target(&root, t, &a)?);
    }
    println!();
    println!(
        "{:<16} {:>8} {:>12} {:>8} {:>7} {:>8} {:>14} {:>8} {:>8}",
        "target", "seconds", "runs", "exec/s", "cov", "ft", "corpus", "rss MB", "failing"
    );
    for o in &outcomes {
        let f = &o.figures;
        println!(
            "{:<16} {:>8} {:>12} {:>8} {:>7} {:>8} {:>14} {:>8} {:>8}",
            o.target,
            f.seconds,
            f.runs,
            f.runs.checked_div(f.seconds).unwrap_or(f.exec_per_sec),
            f.cov,
            f.ft,
            if f.corpus_size.is_empty() {
                f.corpus_units.to_string()
            } else {
                format!("{}/{}", f.corpus_units, f.corpus_size)
            },
            f.peak_rss_mb.map_or_else(|| "n/a".to_owned(), |r| r.to_string()),
            o.crashes.len().max(f.failures as usize)
        );
    }
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.exit_ok || !o.crashes.is_empty() || o.figures.failures > 0)
        .collect();
    for o in &failed {
        for c in &o.crashes {
            println!("{}: crash input {}", o.target, c.display());
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} target(s) found a crash, hang or out-of-memory input (see above and fuzz/work/<target>.log); \
             reproduce with `cargo +nightly fuzz run <target> <input>`",
            failed.len()
        );
    }
    Ok(())
}

fn run_target(root: &Path, target: &str, a: &Args) -> Result<Outcome> {
    let fuzz = root.join("fuzz");
    let work = fuzz.join("work").join(target);
    let seeds = fuzz.join("corpus").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    std::fs::create_dir_all(&work)?;
    std::fs::create_dir_all(&artifacts)?;
    let before = files_in(&artifacts);
    let log_path = fuzz.join("work").join(format!("{target}.log"));
    let mut log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    eprintln!("fuzzing {target} for {} s (log: {})", a.time, log_path.display());
    let mut cmd = Command::new("cargo");
    cmd.args(["+nightly", "fuzz", "run"])
        .args(BUILD_FLAGS)
        .arg(target)
        .arg(&work)
        .arg(&seeds)
        .args(&a.seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", a.time))
        .arg(format!("-rss_limit_mb={}", a.rss_limit_mb))
        .arg(format!("-timeout={}", a.timeout))
        .arg(format!("-max_len={}", a.max_len))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1");
    if a.jobs > 1 || a.keep_going {
        cmd.arg(format!("-fork={}", a.jobs.max(1)));
    }
    if a.keep_going {
        cmd.args(["-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1"]);
    }
    let started = Instant::now();
    let mut child = cmd
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running cargo fuzz run")?;
    // libFuzzer writes everything to stderr; stdout is drained on a thread into the same log.
    let stdout = child.stdout.take().expect("piped");
    let out_lines = std::thread::spawn(move || {
        BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<String>>()
    });
    let mut figures = Figures::default();
    for line in BufReader::new(child.stderr.take().expect("piped")).lines() {
        let line = line?;
        writeln!(log, "{line}")?;
        figures.line(&line);
        if line.contains("pulse")
            || line.contains("DONE")
            || line.contains("ERROR")
            || line.contains("panicked")
            || line.starts_with("Done ")
        {
            eprintln!("  {target}: {line}");
        }
    }
    for line in out_lines.join().unwrap_or_default() {
        writeln!(log, "{line}")?;
    }
    let status = child.wait()?;
    if figures.seconds == 0 {
        figures.seconds = started.elapsed().as_secs();
    }
    let crashes: Vec<PathBuf> = files_in(&artifacts).difference(&before).cloned().collect();
    Ok(Outcome { target: target.to_owned(), figures, crashes, exit_ok: status.success() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_from_libfuzzer_output() {
        let mut f = Figures::default();
        for l in [
            "INFO: Seed: 1234",
            "#2\tINITED cov: 100 ft: 120 corp: 10/2048b exec/s: 0 rss: 40Mb",
            "#1048576\tpulse  cov: 1500 ft: 4000 corp: 300/45Kb lim: 4096 exec/s: 3495 rss: 210Mb",
            "#2000000\tDONE   cov: 1523 ft: 4100 corp: 310/47Kb lim: 4096 exec/s: 3333 rss: 215Mb",
            "Done 2000000 runs in 600 second(s)",
            "stat::number_of_executed_units: 2000001",
            "stat::average_exec_per_sec:     3333",
            "stat::peak_rss_mb:              220",
        ] {
            f.line(l);
        }
        assert_eq!(
            f,
            Figures {
                runs: 2000001,
                seconds: 600,
                exec_per_sec: 3333,
                cov: 1523,
                ft: 4100,
                corpus_units: 310,
                corpus_size: "47Kb".into(),
                peak_rss_mb: Some(220),
                failures: 0,
            }
        );
        let mut f = Figures::default();
        f.line("#482918: cov: 2811 ft: 9012 corp: 1203 exec/s: 801 oom/timeout/crash: 0/1/2 time: 601s job: 40 dft_time: 0");
        assert_eq!(
            (f.runs, f.cov, f.ft, f.corpus_units, f.exec_per_sec, f.failures),
            (482918, 2811, 9012, 1203, 801, 3)
        );
        // Fork mode: the parent's own peak RSS (0) is not the children's; unknown, not 0.
        f.line("stat::peak_rss_mb:              0");
        assert_eq!(f.peak_rss_mb, None);
    }

    #[test]
    fn every_target_file_is_found() {
        let t = all_targets(&repo_root().join("fuzz")).unwrap();
        for name in [
            "recipe_parse",
            "julia_lex_parse",
            "julia_eval",
            "tar_read",
            "tar_tree",
            "differ_compare",
        ] {
            assert!(t.iter().any(|x| x == name), "{name} missing from {t:?}");
        }
    }
}
