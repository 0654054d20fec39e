//! Benchmark: the tool's own overhead per build, beyond the build script's run time.
//!
//! Runs `repro build --json` (release build) for
//! (a) the small example recipe `recipes/hello` (two C files), and
//! (b) a generated recipe whose script copies about 200 MB of the image's own files (compilers,
//!     headers, CMake and Perl modules: ELF binaries and text, as real prefixes hold) into
//!     `${prefix}`,
//! and reads the per-phase times the runner records (create, upload, start, run, download,
//! cleanup) plus the packing time. Overhead = process wall time − the `run` phase (the container
//! running the script). Packing throughput = bytes in the packed tree / packing time (both the
//! main and the logs tarball). Targets: overhead under 2 s for the small recipe, packing at
//! 200 MB/s or more. Figures are printed as Markdown for `docs/benchmarks.md`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const SMALL_RUNS: usize = 7;
const BIG_RUNS: usize = 3;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repo root")
}

const BIG_RECIPE: &str = r#"# Benchmark recipe: about 200 MB of real files (ELF, headers, scripts) in the prefix.
name = "BigTree"
version = "1.0.0"
platforms = ["x86_64-linux-gnu"]
script = '''
mkdir -p "${prefix}/lib" "${prefix}/share"
cp -rL /usr/lib/gcc "${prefix}/lib/gcc"
cp -rL /usr/include "${prefix}/include"
cp -rL /usr/share/cmake-3.25 "${prefix}/share/cmake"
cp -rL /usr/share/perl "${prefix}/share/perl"
cp -rL /usr/lib/python3.11 "${prefix}/lib/python3.11" 2>/dev/null || true
'''
"#;

#[derive(Default, Clone)]
struct Sample {
    wall: Duration,
    phases: Vec<(String, Duration)>,
    pack: Duration,
    tree_bytes: u64,
    files: u64,
}

impl Sample {
    fn phase(&self, name: &str) -> Duration {
        self.phases.iter().filter(|(p, _)| p == name).map(|(_, d)| *d).sum()
    }
    fn overhead(&self) -> Duration {
        self.wall.saturating_sub(self.phase("run"))
    }
}

fn duration(v: &serde_json::Value) -> Duration {
    Duration::new(v["secs"].as_u64().unwrap_or(0), v["nanos"].as_u64().unwrap_or(0) as u32)
}

fn tree_size(dir: &Path) -> Result<(u64, u64)> {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let e = e?;
            let m = std::fs::symlink_metadata(e.path())?;
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                bytes += m.len();
                files += 1;
            }
        }
    }
    Ok((bytes, files))
}

fn build_once(repro: &Path, recipe: &Path, scratch: &Path, i: usize) -> Result<Sample> {
    let out = scratch.join(format!("out-{i}"));
    let work = scratch.join(format!("work-{i}"));
    let start = Instant::now();
    let output = Command::new(repro)
        .arg("--quiet")
        .arg("build")
        .arg(recipe)
        .arg("--json")
        .arg("--out")
        .arg(&out)
        .arg("--keep-work")
        .arg(&work)
        .stderr(Stdio::inherit())
        .output()
        .context("running repro build")?;
    let wall = start.elapsed();
    if !output.status.success() {
        bail!("repro build {} failed", recipe.display());
    }
    let v: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing build --json")?;
    let phases = v["output"]["phases"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (p["phase"].as_str().unwrap_or("").to_owned(), duration(&p["duration"])))
                .collect()
        })
        .unwrap_or_default();
    let (tree_bytes, files) = tree_size(&work.join("prefix"))?;
    let s = Sample { wall, phases, pack: duration(&v["pack_duration"]), tree_bytes, files };
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&work);
    Ok(s)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn series(repro: &Path, recipe: &Path, scratch: &Path, runs: usize) -> Result<Vec<Sample>> {
    build_once(repro, recipe, scratch, 0)?; // warm-up: page cache, image layers, fetch cache
    (1..=runs).map(|i| build_once(repro, recipe, scratch, i)).collect()
}

#[allow(clippy::print_stdout)]
fn report(name: &str, samples: &[Sample]) -> (Duration, f64) {
    let med = |f: &dyn Fn(&Sample) -> Duration| median(samples.iter().map(f).collect());
    let overhead = med(&|s| s.overhead());
    let pack = med(&|s| s.pack);
    let bytes = samples[0].tree_bytes;
    let rate = bytes as f64 / 1e6 / pack.as_secs_f64().max(1e-9);
    println!(
        "| {name} | {:.1} MB, {} files | {} | {} | {} | {} | {} | {} | {} | {} | **{}** | {rate:.0} MB/s |",
        bytes as f64 / 1e6,
        samples[0].files,
        ms(med(&|s| s.wall)),
        ms(med(&|s| s.phase("run"))),
        ms(med(&|s| s.phase("create"))),
        ms(med(&|s| s.phase("upload"))),
        ms(med(&|s| s.phase("start"))),
        ms(med(&|s| s.phase("download"))),
        ms(med(&|s| s.phase("cleanup"))),
        ms(pack),
        ms(overhead),
    );
    (overhead, rate)
}

#[allow(clippy::print_stdout)]
pub(crate) fn run() -> Result<()> {
    let root = root();
    let status = Command::new("cargo")
        .args(["build", "--release", "--package", "repro-cli"])
        .current_dir(&root)
        .status()
        .context("cargo build --release")?;
    if !status.success() {
        bail!("building repro (release) failed");
    }
    let repro = root.join("target/release/repro");
    let verified =
        Command::new(&repro).args(["--quiet", "image", "verify"]).stdout(Stdio::null()).status()?;
    if !verified.success() {
        bail!("the pinned build image is not loaded; run `repro image build` first");
    }
    let scratch = std::env::temp_dir().join(format!("repro-bench-build-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let big = scratch.join("big");
    std::fs::create_dir_all(&big)?;
    std::fs::write(big.join("recipe.toml"), BIG_RECIPE)?;
    let small_recipe = root.join("recipes/hello/recipe.toml");

    let small = series(&repro, &small_recipe, &scratch, SMALL_RUNS)?;
    let large = series(&repro, &big.join("recipe.toml"), &scratch, BIG_RUNS)?;
    let _ = std::fs::remove_dir_all(&scratch);

    println!("\n### Build overhead (`cargo xtask bench build`)\n");
    println!(
        "Medians of {SMALL_RUNS} (small) and {BIG_RUNS} (200 MB) runs after one warm-up, release \
         build, {} CPUs. Overhead = wall − run.\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "| recipe | prefix | wall | run (script) | create | upload | start | download | cleanup | pack | overhead | packing |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let (small_overhead, _) = report("recipes/hello", &small);
    let (_, big_rate) = report("200 MB tree", &large);
    println!();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "- target overhead < 2 s for the small recipe: {} ({})",
        verdict(small_overhead < Duration::from_secs(2)),
        ms(small_overhead)
    );
    println!("- target packing >= 200 MB/s: {} ({big_rate:.0} MB/s)", verdict(big_rate >= 200.0));
    Ok(())
}
