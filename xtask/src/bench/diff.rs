//! Benchmark: `repro diff` against diffoscope and a plain parallel sha256 pass.
//!
//! (a) two identical copies of a large tree: the pinned base image's rootfs (exported from the
//!     local `repro-build` image with `docker export`), `REPRO_BENCH_TREE=<dir>` if set, or a copy
//!     of `/usr/lib/python3` as a stand-in (the output says which);
//! (b) two builds of a generated C project (300 objects and 30 shared libraries) that differ in
//!     every ELF file (an embedded build string), plus identical headers.
//!
//! Each tool runs under `/usr/bin/time -v` (wall time, peak RSS); diffoscope gets a timeout.
//! Figures are printed as Markdown for `docs/benchmarks.md`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::Digest as _;

const DIFFOSCOPE_TIMEOUT_SECS: u64 = 900;

pub(super) struct Measure {
    pub(super) wall: Duration,
    pub(super) max_rss_kb: u64,
    pub(super) exit: i32,
    pub(super) timed_out: bool,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("repo root")
}

fn sh(cmd: &mut Command) -> Result<()> {
    let st = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    if !st.success() {
        bail!("{cmd:?} failed: {st}");
    }
    Ok(())
}

/// Run under `/usr/bin/time -v`, optionally with `timeout`.
pub(super) fn timed(args: &[&str], timeout: Option<u64>, stdout: &Path) -> Result<Measure> {
    let tv = stdout.with_extension("time");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-v").arg("-o").arg(&tv);
    if let Some(t) = timeout {
        cmd.args(["timeout", "--signal=KILL", &t.to_string()]);
    }
    cmd.args(args).stdout(std::fs::File::create(stdout)?).stderr(std::process::Stdio::null());
    let start = Instant::now();
    let st = cmd.status().with_context(|| format!("cannot run {args:?}"))?;
    let wall = start.elapsed();
    let text = std::fs::read_to_string(&tv).unwrap_or_default();
    let max_rss_kb = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let exit = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Exit status: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(st.code().unwrap_or(-1));
    let timed_out = timeout.is_some() && (exit == 137 || text.contains("signal 9"));
    Ok(Measure { wall, max_rss_kb, exit, timed_out })
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}

/// Plain parallel sha256 of every file of both trees (the lower bound for any differ).
fn sha256_pass(a: &Path, b: &Path) -> (Duration, usize, u64) {
    let start = Instant::now();
    let mut all = files(a);
    all.extend(files(b));
    let n = all.len();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(p) = all.get(i) else { break };
                    let Ok(mut f) = std::fs::File::open(p) else { continue };
                    let mut h = sha2::Sha256::new();
                    loop {
                        use std::io::Read;
                        match f.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(k) => {
                                h.update(&buf[..k]);
                                bytes.fetch_add(k as u64, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                    std::hint::black_box(h.finalize());
                }
            });
        }
    });
    (start.elapsed(), n, bytes.into_inner())
}

fn large_tree(work: &Path) -> Result<(PathBuf, String)> {
    if let Some(d) = std::env::var_os("REPRO_BENCH_TREE") {
        return Ok((PathBuf::from(d), "REPRO_BENCH_TREE".into()));
    }
    let rootfs = work.join("rootfs");
    if rootfs.join("usr").is_dir() {
        return Ok((rootfs, "base-image rootfs (docker export of repro-build, cached)".into()));
    }
    let img = Command::new("docker")
        .args(["images", "--format", "{{.Repository}}:{{.Tag}}", "repro-build"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned));
    if let Some(img) = img {
        let id = Command::new("docker").args(["create", &img, "true"]).output()?;
        let id = String::from_utf8(id.stdout)?.trim().to_owned();
        if !id.is_empty() {
            std::fs::create_dir_all(&rootfs)?;
            let r = sh(Command::new("sh").arg("-c").arg(format!(
                "docker export {id} | tar -x --no-same-owner --exclude='dev/*' -C {}",
                rootfs.display()
            )));
            let _ = Command::new("docker").args(["rm", "-f", &id]).output();
            if r.is_ok() {
                return Ok((rootfs, format!("base-image rootfs (docker export of {img})")));
            }
        }
    }
    let fallback = work.join("usr-copy");
    if !fallback.is_dir() {
        std::fs::create_dir_all(&fallback)?;
        sh(Command::new("cp").arg("-a").arg("/usr/lib/python3").arg(&fallback))?;
    }
    Ok((fallback, "copy of /usr/lib/python3 (base-image rootfs unavailable)".into()))
}

fn c_project(dir: &Path, tag: &str) -> Result<()> {
    if dir.join("done").exists() {
        return Ok(());
    }
    let src = dir.join("src");
    std::fs::create_dir_all(&src)?;
    std::fs::create_dir_all(dir.join("lib"))?;
    std::fs::create_dir_all(dir.join("include"))?;
    for i in 0..300 {
        std::fs::write(
            src.join(format!("m{i}.c")),
            format!(
                "const char *m{i}_id(void) {{ return \"module {i} built {tag}\"; }}\n\
                 int m{i}_f(int x) {{ int s = 0; for (int k = 0; k < x; k++) s += k * {i}; return s; }}\n"
            ),
        )?;
        std::fs::write(dir.join("include").join(format!("m{i}.h")), format!("int m{i}_f(int);\n"))?;
    }
    let script = format!(
        "set -e; cd {}; ls src/*.c | xargs -P2 -I{{}} sh -c 'gcc -O1 -fPIC -c {{}} -o lib/$(basename {{}} .c).o'; \
         for g in $(seq 0 29); do gcc -shared -o lib/libgroup$g.so $(seq $((g*10)) $((g*10+9)) | sed 's|^|lib/m|; s|$|.o|'); done; \
         touch done",
        dir.display()
    );
    sh(Command::new("sh").arg("-c").arg(script))
}

fn differing_paths_repro(json: &Path) -> Result<BTreeSet<String>> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(json)?)?;
    Ok(v["files"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["status"] == "differs")
                .filter_map(|f| f["path"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

fn differing_paths_diffoscope(json: &Path, a: &Path) -> Result<BTreeSet<String>> {
    fn walk(v: &serde_json::Value, a: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        if let Some(rel) = v["source1"].as_str().and_then(|s| s.strip_prefix(prefix))
            && !a.join(rel).is_dir()
        {
            out.insert(rel.to_owned());
            return; // members of a file are not tree paths
        }
        for d in v["details"].as_array().into_iter().flatten() {
            walk(d, a, prefix, out);
        }
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(json)?)?;
    let mut out = BTreeSet::new();
    walk(&v, a, &format!("{}/", a.display()), &mut out);
    Ok(out)
}

fn fmt_secs(m: &Measure) -> String {
    if m.timed_out {
        format!(">{DIFFOSCOPE_TIMEOUT_SECS} s (timeout)")
    } else {
        format!("{:.2} s", m.wall.as_secs_f64())
    }
}

pub(crate) fn run() -> Result<()> {
    let root = root();
    sh(Command::new("cargo").current_dir(&root).args(["build", "--release", "-p", "repro-cli"]))?;
    let repro = root.join("target/release/repro");
    let work = root.join("target/bench-diff");
    std::fs::create_dir_all(&work)?;
    let has_diffoscope = Command::new("diffoscope").arg("--version").output().is_ok();

    // (a) identical large trees.
    let (tree, what) = large_tree(&work)?;
    let (a, b) = (work.join("a-large"), work.join("b-large"));
    for d in [&a, &b] {
        if !d.is_dir() {
            sh(Command::new("cp").arg("-a").arg(&tree).arg(d))?;
        }
    }
    // Warm the page cache once so that all tools see the same state.
    let _ = sha256_pass(&a, &b);
    let (sha_t, nfiles, nbytes) = sha256_pass(&a, &b);
    let out = work.join("a-repro.json");
    let rm = timed(
        &[
            repro.to_str().unwrap(),
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--json",
            out.to_str().unwrap(),
        ],
        None,
        &work.join("a-repro.out"),
    )?;
    let dm = if has_diffoscope {
        Some(timed(
            &[
                "diffoscope",
                "--exclude-directory-metadata=yes",
                "--json",
                work.join("a-diffoscope.json").to_str().unwrap(),
                a.to_str().unwrap(),
                b.to_str().unwrap(),
            ],
            Some(DIFFOSCOPE_TIMEOUT_SECS),
            &work.join("a-diffoscope.out"),
        )?)
    } else {
        None
    };
    println!(
        "\n### (a) identical trees: {what}, {} files, {:.0} MB per side\n",
        nfiles / 2,
        nbytes as f64 / 2e6
    );
    println!("| tool | wall | peak RSS | exit |\n|---|---:|---:|---:|");
    println!("| parallel sha256 of both trees | {:.2} s | - | - |", sha_t.as_secs_f64());
    println!("| repro diff | {} | {} MB | {} |", fmt_secs(&rm), rm.max_rss_kb / 1024, rm.exit);
    if let Some(dm) = &dm {
        println!("| diffoscope | {} | {} MB | {} |", fmt_secs(dm), dm.max_rss_kb / 1024, dm.exit);
    }
    println!(
        "\nrepro / sha256 = {:.2}x (target <= 1.5x); diffoscope / repro = {} (target >= 10x); repro peak RSS {} MB (target < 200 MB)",
        rm.wall.as_secs_f64() / sha_t.as_secs_f64(),
        dm.as_ref().map_or("n/a".into(), |d| format!(
            "{}{:.1}x",
            if d.timed_out { ">" } else { "" },
            d.wall.as_secs_f64() / rm.wall.as_secs_f64()
        )),
        rm.max_rss_kb / 1024
    );

    // (b) two builds differing in every ELF file.
    let (pa, pb) = (work.join("proj-a"), work.join("proj-b"));
    c_project(&pa, "Nov 26 2026 10:00:00")?;
    c_project(&pb, "Nov 27 2026 11:30:00")?;
    let (sha_t, nfiles, _) = sha256_pass(&pa, &pb);
    let out = work.join("b-repro.json");
    let rm = timed(
        &[
            repro.to_str().unwrap(),
            "diff",
            pa.to_str().unwrap(),
            pb.to_str().unwrap(),
            "--json",
            out.to_str().unwrap(),
        ],
        None,
        &work.join("b-repro.out"),
    )?;
    let repro_set = differing_paths_repro(&out)?;
    let dj = work.join("b-diffoscope.json");
    let dm = if has_diffoscope {
        Some(timed(
            &[
                "diffoscope",
                "--exclude-directory-metadata=yes",
                "--json",
                dj.to_str().unwrap(),
                pa.to_str().unwrap(),
                pb.to_str().unwrap(),
            ],
            Some(DIFFOSCOPE_TIMEOUT_SECS),
            &work.join("b-diffoscope.out"),
        )?)
    } else {
        None
    };
    println!("\n### (b) two builds of a C project, {} files per side\n", nfiles / 2);
    println!("| tool | wall | peak RSS | exit | differing files |\n|---|---:|---:|---:|---:|");
    println!("| parallel sha256 of both trees | {:.2} s | - | - | - |", sha_t.as_secs_f64());
    println!(
        "| repro diff | {} | {} MB | {} | {} |",
        fmt_secs(&rm),
        rm.max_rss_kb / 1024,
        rm.exit,
        repro_set.len()
    );
    if let Some(dm) = &dm {
        let dset =
            if dm.timed_out { BTreeSet::new() } else { differing_paths_diffoscope(&dj, &pa)? };
        println!(
            "| diffoscope | {} | {} MB | {} | {} |",
            fmt_secs(dm),
            dm.max_rss_kb / 1024,
            dm.exit,
            dset.len()
        );
        println!(
            "\ndiffoscope / repro = {}{:.1}x (target >= 10x); same set of differing files: {}",
            if dm.timed_out { ">" } else { "" },
            dm.wall.as_secs_f64() / rm.wall.as_secs_f64(),
            if dm.timed_out { "n/a (timeout)".to_owned() } else { (dset == repro_set).to_string() }
        );
        if !dm.timed_out && dset != repro_set {
            let only_r: Vec<_> = repro_set.difference(&dset).take(5).collect();
            let only_d: Vec<_> = dset.difference(&repro_set).take(5).collect();
            println!("only repro: {only_r:?}; only diffoscope: {only_d:?}");
        }
    }
    Ok(())
}
