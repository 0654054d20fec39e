//! Benchmark: `repro plan` over the whole Yggdrasil corpus (`../shared/data/yggdrasil`, every
//! `build_tarballs.jl` of the public repository).
//!
//! The corpus is unpacked into a temporary directory and each `build_tarballs.jl` is imported
//! in-process (`repro_import::import_yggdrasil`) into a `recipe.toml` beside it (the few that
//! do not import are set aside); the recipes that import are then planned for every platform they declare, for GitHub Actions
//! and Buildkite at once, `RUNS` times. Target: under 1 s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

const RUNS: usize = 3;

/// The corpus tarball (`REPRO_YGGDRASIL_CORPUS`, default `../shared/data/yggdrasil/*.tar.xz`).
pub(crate) fn corpus_tarball(root: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("REPRO_YGGDRASIL_CORPUS") {
        return Ok(PathBuf::from(p));
    }
    let dir = root.join("../shared/data/yggdrasil");
    let found = std::fs::read_dir(&dir)
        .with_context(|| format!("no corpus in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(".tar.xz"));
    found.with_context(|| format!("no *.tar.xz in {}", dir.display()))
}

/// Unpacks the corpus into `dest` and imports every `build_tarballs.jl`; returns
/// (build_tarballs.jl files, imported recipes).
pub(crate) fn import_corpus(tarball: &Path, dest: &Path) -> Result<(usize, usize)> {
    std::fs::create_dir_all(dest)?;
    let st = Command::new("tar").arg("-xJf").arg(tarball).arg("-C").arg(dest).status()?;
    if !st.success() {
        bail!("cannot unpack {}", tarball.display());
    }
    let mut files = Vec::new();
    collect(dest, &mut files, 0)?;
    files.sort();
    let mut ok = 0;
    for f in &files {
        let opts =
            repro_import::ImportOptions { root: Some(dest.to_owned()), ..Default::default() };
        if let Ok(r) = repro_import::import_yggdrasil(f, &opts) {
            std::fs::write(f.with_file_name("recipe.toml"), r.toml)?;
            ok += 1;
        } else {
            // Out of the plan: `repro plan` would import it again and stop at its error.
            std::fs::rename(f, f.with_file_name("build_tarballs.jl.failed"))?;
        }
    }
    Ok((files.len(), ok))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 8 {
        return Ok(());
    }
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            collect(&e.path(), out, depth + 1)?;
        } else if t.is_file() && e.file_name() == "build_tarballs.jl" {
            out.push(e.path());
        }
    }
    Ok(())
}

pub(crate) fn run() -> Result<()> {
    let root = crate::test::repo_root();
    let repro = crate::bench::release_repro(&root)?;
    let tarball = corpus_tarball(&root)?;
    // REPRO_BENCH_PLAN_KEEP=DIR keeps the imported corpus and the pipelines in DIR (to profile
    // `repro plan` on them afterwards).
    let keep = std::env::var_os("REPRO_BENCH_PLAN_KEEP").map(PathBuf::from);
    let tmp = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("repro-bench-plan-{}", std::process::id()))
    });
    let corpus = tmp.join("yggdrasil");
    let t = Instant::now();
    let (files, imported) = import_corpus(&tarball, &corpus)?;
    println!("## Plan of the Yggdrasil corpus\n");
    println!(
        "{files} build_tarballs.jl, {imported} imported into recipe.toml ({:.1} s, not measured below).\n",
        t.elapsed().as_secs_f64()
    );
    println!(
        "| run | recipes | jobs | job dependencies | GitHub matrix jobs | Buildkite parts | wall (s) | load average before (1/5/15 min) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut worst: f64 = 0.0;
    for run in 1..=RUNS {
        let (gha, bk) = (tmp.join("repro.yml"), tmp.join("pipeline.yml"));
        let load = crate::bench::load_average();
        let start = Instant::now();
        let out = Command::new(&repro)
            .arg("plan")
            .arg(&corpus)
            .args(["--platform", "all", "--github-actions"])
            .arg(&gha)
            .arg("--buildkite")
            .arg(&bk)
            .current_dir(&tmp)
            .output()?;
        let wall = start.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!("repro plan failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        let text = std::fs::read_to_string(&gha)?;
        let jobs = text.lines().filter(|l| l.trim_start().starts_with("- command: ")).count();
        let matrices = text.lines().filter(|l| l.starts_with("  check-")).count();
        let mut parts = 0;
        let mut edges = 0;
        for e in std::fs::read_dir(&tmp)?.filter_map(|e| e.ok()) {
            if !e.file_name().to_string_lossy().starts_with("pipeline") {
                continue;
            }
            parts += 1;
            // Buildkite `depends_on` entries: one per job dependency.
            let text = std::fs::read_to_string(e.path())?;
            // serde_yaml_ng writes `  depends_on:` followed by `  - key` lines in a step.
            let mut in_deps = false;
            for l in text.lines() {
                if l == "  depends_on:" {
                    in_deps = true;
                } else if in_deps && l.starts_with("  - ") {
                    edges += 1;
                } else {
                    in_deps = false;
                }
            }
        }
        worst = worst.max(wall);
        println!(
            "| {run} | {imported} | {jobs} | {edges} | {matrices} | {parts} | {wall:.3} | {load} |"
        );
    }
    println!(
        "\nslowest plan: {worst:.3} s (target: under 1 s) — {}",
        if worst < 1.0 { "met" } else { "NOT met" }
    );
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}
