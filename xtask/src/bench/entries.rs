//! Benchmark: `repro diff` of two tarballs with a million entries each.
//!
//! Generated here (`--entries N[,M…]` or `REPRO_BENCH_ENTRIES` entries per side, default
//! 1,000,000: directories of 1,000 small files, gzip level 1): side B has other mtimes and owners on every member and
//! other bytes in every file. Three runs of the release build under `/usr/bin/time -v` (wall
//! time, peak RSS) with the JSON report written to a file (its size):
//!
//! - A against itself (every path identical);
//! - A against B with the default `--max-reported-files` (the report lists 10,000 paths and
//!   counts every one in its summary);
//! - A against B with every path listed (`--max-reported-files` above the entry count), as
//!   reports were before the cap (left out with `--capped-only`).
//!
//! Figures are printed as Markdown for `docs/benchmarks.md`, with the load average at each run
//! (the machine may be shared) and, given several entry counts, the growth of peak RSS per
//! entry between the smallest and the largest (the per-entry slope of each run).

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::diff::timed;

fn generate(path: &Path, entries: usize, variant: bool) -> Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("cannot create {path:?}"))?;
    let gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    let per_dir = 1000;
    let (mtime, uid) = if variant { (1_700_000_000, 2000) } else { (1_600_000_000, 1000) };
    let mut n = 0usize;
    let mut d = 0usize;
    while n < entries {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(mtime);
        h.set_uid(uid);
        b.append_data(&mut h, format!("d{d:04}/"), std::io::empty())?;
        n += 1;
        for i in 0..per_dir.min(entries.saturating_sub(n)) {
            let body = format!("{} {d} {i}\n", if variant { "built B" } else { "built A" });
            let mut h = tar::Header::new_ustar();
            h.set_mode(0o644);
            h.set_size(body.len() as u64);
            h.set_mtime(mtime);
            h.set_uid(uid);
            b.append_data(&mut h, format!("d{d:04}/f{i:04}.txt"), body.as_bytes())?;
            n += 1;
        }
        d += 1;
    }
    b.into_inner()?.finish()?.flush()?;
    Ok(())
}

pub(crate) fn run(counts: &[usize], capped_only: bool) -> Result<()> {
    let root = crate::test::repo_root();
    let repro = crate::bench::release_repro(&root)?;
    let mut counts = counts.to_vec();
    if counts.is_empty() {
        counts.push(
            std::env::var("REPRO_BENCH_ENTRIES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1_000_000),
        );
    }
    counts.sort_unstable();
    counts.dedup();
    // Peak RSS (KiB) of each run, per entry count.
    let mut peaks: Vec<(usize, Vec<(String, u64)>)> = Vec::new();
    for &entries in &counts {
        peaks.push((entries, run_one(&root, &repro, entries, capped_only)?));
    }
    if let (Some((n0, p0)), Some((n1, p1))) = (peaks.first(), peaks.last())
        && n1 > n0
    {
        println!("\npeak RSS per entry pair, {n0} → {n1} entries per side:\n");
        for ((name, k0), (_, k1)) in p0.iter().zip(p1) {
            let slope = (*k1 as f64 - *k0 as f64) * 1024.0 / (*n1 - *n0) as f64;
            println!("- {name}: {slope:.0} bytes");
        }
    }
    Ok(())
}

fn run_one(
    root: &Path,
    repro: &Path,
    entries: usize,
    capped_only: bool,
) -> Result<Vec<(String, u64)>> {
    let dir = root.join("target/bench-entries");
    std::fs::create_dir_all(&dir)?;
    let (a, b) = (dir.join(format!("a-{entries}.tar.gz")), dir.join(format!("b-{entries}.tar.gz")));
    for (p, variant) in [(&a, false), (&b, true)] {
        if !p.exists() {
            eprintln!("generating {} ({entries} entries)", p.display());
            let tmp = p.with_extension("partial");
            generate(&tmp, entries, variant)?;
            std::fs::rename(&tmp, p)?;
        }
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "\n{entries} entries per side; tarballs {:.1} MB and {:.1} MB (gzip -1)\n",
        size(&a) as f64 / 1e6,
        size(&b) as f64 / 1e6
    );
    println!("| run | wall | peak RSS | exit | JSON report | paths listed | load average |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let uncapped = (entries * 2).to_string();
    let runs: [(&str, &Path, Option<&str>); 3] = [
        ("A vs A (identical)", &a, None),
        ("A vs B, default cap", &b, None),
        ("A vs B, every path listed", &b, Some(&uncapped)),
    ];
    let mut peaks = Vec::new();
    for (name, other, cap) in runs {
        if capped_only && cap.is_some() {
            continue;
        }
        let json = dir.join("report.json");
        let _ = std::fs::remove_file(&json);
        let (sa, so, sj) =
            (a.display().to_string(), other.display().to_string(), json.display().to_string());
        let mut args = vec![repro.to_str().context("utf-8 path")?, "diff", &sa, &so, "--json", &sj];
        if let Some(c) = cap {
            args.extend(["--max-reported-files", c]);
        }
        let load = crate::bench::load_average();
        let m = timed(&args, None, &dir.join("stdout.txt"))?;
        let listed = std::fs::read(&json)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["files"].as_array().map(Vec::len))
            .unwrap_or(0);
        println!(
            "| {name} | {:.1} s | {} MiB | {} | {:.1} MB | {listed} | {load} |",
            m.wall.as_secs_f64(),
            m.max_rss_kb / 1024,
            m.exit,
            size(&json) as f64 / 1e6,
        );
        peaks.push((name.to_owned(), m.max_rss_kb));
    }
    Ok(peaks)
}
