//! Benchmark: a batch of 20 small recipes with `repro check DIR --jobs 2`.
//!
//! The recipes are copies of `recipes/examples/reproducible.toml` under 20 names. Reported: the
//! whole machine's CPU utilisation during the run (from /proc/stat), the batch's own (repro's
//! CPU time plus its containers', from the Docker cgroup: the builds run in containers, not as
//! children of repro), the load average before and after, and the batch's own per-job overhead: the wall time beyond the jobs'
//! checks (scheduling, starting jobs, writing per-job and merged reports), relative to the builds'
//! time. Target: both cores busy, overhead under 1% of the builds.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

const RECIPES: usize = 20;

/// (busy, total) jiffies of all CPUs.
fn cpu_jiffies() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Ok((total - idle, total))
}

/// CPU time of every Docker container so far, in seconds: the `docker` cgroup's accounting
/// (cgroup v1 `cpuacct`, or v2 `cpu.stat`), which keeps the time of removed containers.
/// `None` when the daemon does not use that cgroup.
fn docker_cpu_secs() -> Option<f64> {
    if let Ok(s) = std::fs::read_to_string("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage") {
        return s.trim().parse::<f64>().ok().map(|ns| ns / 1e9);
    }
    if let Ok(s) = std::fs::read_to_string("/sys/fs/cgroup/docker/cpu.stat") {
        let us = s.lines().find_map(|l| l.strip_prefix("usage_usec "))?;
        return us.trim().parse::<f64>().ok().map(|us| us / 1e6);
    }
    // Not created yet: no container has run.
    std::path::Path::new("/sys/fs/cgroup/cpuacct").is_dir().then_some(0.0)
}

/// User + system CPU time of this process's waited-for children, in seconds.
fn children_cpu_secs() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let rest = stat.rsplit_once(')').context("odd /proc/self/stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 16 and 17 of proc(5) (cutime, cstime); `rest` starts at field 3.
    let ticks: f64 = f[13].parse::<f64>()? + f[14].parse::<f64>()?;
    let hz: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    Ok(ticks / hz)
}

pub(crate) fn run() -> Result<()> {
    let root = crate::test::repo_root();
    let repro = crate::bench::release_repro(&root)?;
    let tmp = std::env::temp_dir().join(format!("repro-bench-batch-{}", std::process::id()));
    let dir = tmp.join("recipes");
    std::fs::create_dir_all(dir.join("common"))?;
    let examples = root.join("recipes/examples");
    for e in std::fs::read_dir(examples.join("common"))? {
        let e = e?;
        std::fs::copy(e.path(), dir.join("common").join(e.file_name()))?;
    }
    let text = std::fs::read_to_string(examples.join("reproducible.toml"))?;
    for i in 1..=RECIPES {
        let t = text.replace("name = \"Reproducible\"", &format!("name = \"Small{i:02}\""));
        std::fs::write(dir.join(format!("small{i:02}.toml")), t)?;
    }
    let json = tmp.join("out/batch.json");
    let load_before = crate::bench::load_average();
    let (b0, t0) = cpu_jiffies()?;
    let (d0, c0) = (docker_cpu_secs(), children_cpu_secs()?);
    let start = Instant::now();
    let out = Command::new(&repro)
        .args(["-q", "check"])
        .arg(&dir)
        .args(["--jobs", "2", "--json"])
        .arg(&json)
        .output()?;
    let wall = start.elapsed().as_secs_f64();
    let (b1, t1) = cpu_jiffies()?;
    let (d1, c1) = (docker_cpu_secs(), children_cpu_secs()?);
    let load_after = crate::bench::load_average();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    // The batch's own share: repro's CPU time plus its containers'.
    let own = match (d0, d1) {
        (Some(a), Some(b)) => {
            format!("{:.0}% of {cores} cores", ((b - a) + (c1 - c0)) / (wall * cores) * 100.0)
        }
        _ => "unknown".to_owned(),
    };
    if out.status.code() != Some(0) {
        bail!(
            "repro check failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let batch: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    let jobs = batch["jobs"].as_array().context("no jobs")?;
    let (mut job_sum, mut build_sum) = (0.0, 0.0);
    for j in jobs {
        job_sum += j["duration_secs"].as_f64().unwrap_or(0.0);
        let rp = json.parent().unwrap().join(j["report"].as_str().context("no report")?);
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(rp)?)?;
        let longest = report["check"]["builds"]
            .as_array()
            .context("no builds")?
            .iter()
            .filter_map(|b| b["duration_secs"].as_f64())
            .fold(0.0, f64::max);
        build_sum += longest;
    }
    let util = (b1 - b0) as f64 / (t1 - t0).max(1) as f64;
    // `--jobs 2` runs one check (two builds) at a time.
    let batch_overhead = (wall - job_sum).max(0.0);
    let ratio = batch_overhead / build_sum;
    println!("## Batch of {RECIPES} small recipes (`repro check DIR --jobs 2`)\n");
    println!(
        "| jobs | wall (s) | Σ job (s) | Σ builds (s) | CPU, whole machine | CPU, repro + its containers | batch overhead (s) | per job (ms) | overhead / builds | check overhead / builds | load average before / after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {wall:.1} | {job_sum:.1} | {build_sum:.1} | {:.0}% of {cores} cores | {own} | {batch_overhead:.2} | {:.0} | {:.2}% | {:.1}% | {load_before} / {load_after} |",
        jobs.len(),
        util * 100.0,
        batch_overhead * 1000.0 / jobs.len() as f64,
        ratio * 100.0,
        (job_sum - build_sum) / build_sum * 100.0
    );
    println!(
        "\nbatch overhead {:.2}% of the builds (target: under 1%) — {}",
        ratio * 100.0,
        if ratio < 0.01 { "met" } else { "NOT met" }
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
