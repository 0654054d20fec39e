//! Benchmark: the overhead of `repro check` beyond the two builds themselves, on a real recipe.
//!
//! `repro check` runs the control and the experiment concurrently, so the builds' own share of
//! the wall time is the longer of the two build durations the report records (each covers
//! container creation, upload, the script, download and cleanup). Everything else is the
//! check's overhead: process start, source verification, image verification, packing both
//! artifacts, normalizing, diffing and rendering. Target: under 10% of the builds' time.
//!
//! Runs each recipe `RUNS` times (`REPRO_BENCH_CHECK_RECIPES`, default `bzip2,ogg`; the mirror
//! is `.repro-work/mirror`, filled by `cargo xtask mirror-debian --from-recipes`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

const RUNS: usize = 2;

fn root() -> PathBuf {
    crate::test::repo_root()
}

pub(crate) fn run() -> Result<()> {
    let root = root();
    let st = Command::new("cargo")
        .args(["build", "--release", "--package", "repro-cli"])
        .current_dir(&root)
        .status()?;
    if !st.success() {
        bail!("cannot build repro");
    }
    let repro = root.join("target/release/repro");
    let mirror = root.join(".repro-work/mirror");
    let recipes =
        std::env::var("REPRO_BENCH_CHECK_RECIPES").unwrap_or_else(|_| "bzip2,ogg".to_owned());
    let tmp = std::env::temp_dir().join(format!("repro-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    println!("## Check overhead\n");
    println!(
        "| recipe | run | wall (s) | control (s) | experiment (s) | overhead (s) | overhead / builds |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut worst: f64 = 0.0;
    for recipe in recipes.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        for run in 1..=RUNS {
            let json = tmp.join(format!("{recipe}-{run}.json"));
            let start = Instant::now();
            let out = Command::new(&repro)
                .args(["-q", "check"])
                .arg(root.join("recipes").join(recipe))
                .arg("--mirror")
                .arg(&mirror)
                .arg("--json")
                .arg(&json)
                .output()
                .with_context(|| format!("cannot run {}", repro.display()))?;
            let wall = start.elapsed().as_secs_f64();
            if out.status.code() == Some(2) {
                bail!("repro check {recipe} failed:\n{}", String::from_utf8_lossy(&out.stderr));
            }
            let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
            let durations: Vec<f64> = report["check"]["builds"]
                .as_array()
                .context("report has no builds")?
                .iter()
                .filter_map(|b| b["duration_secs"].as_f64())
                .collect();
            let (c, e) = (durations[0], durations[1]);
            let builds = c.max(e);
            let overhead = wall - builds;
            let ratio = overhead / builds;
            worst = worst.max(ratio);
            println!(
                "| {recipe} | {run} | {wall:.2} | {c:.2} | {e:.2} | {overhead:.2} | {:.1}% |",
                ratio * 100.0
            );
        }
    }
    println!(
        "\nworst overhead: {:.1}% of the builds' time (target: under 10%) — {}",
        worst * 100.0,
        if worst < 0.10 { "met" } else { "NOT met" }
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
