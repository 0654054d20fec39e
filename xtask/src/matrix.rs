//! `cargo xtask matrix [RECIPE...]`: the real recipes × every buildable platform, checked end to
//! end, with the figures docs/real-world.md and docs/benchmarks.md record.
//!
//! 1. builds `repro` (release), fills the offline source mirror;
//! 2. makes sure the image of every family the platforms need is loaded, timing the ones it has to
//!    build (`--rebuild-images` rebuilds them all with `--force`, to time each from scratch), and
//!    reads each image's size from Docker;
//! 3. runs one batch, `repro check recipes/<r>... --platform all --recipes recipes --jobs N`
//!    (dependencies are built once and installed in their dependents, as `repro check` does);
//! 4. prints Markdown: image build time and size per family, a recipe × platform table of
//!    outcomes with their causes, build time per target, and every failure with its reason; the
//!    same text goes to `OUT/matrix.md` (default `.repro-work/matrix/`);
//! 5. with `--records`, writes the entry of every reproducible job into the recipe's committed
//!    `Artifacts.toml` (this repository's public record, docs/verify.md): a record is only made
//!    from a build that reproduced, and both builds of the check agree on its digests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

use crate::records::{RECORD_URL_BASE, chosen_recipes, fill_mirror};
use crate::test::repo_root;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Recipe directory names under recipes/ (default: every real recipe).
    recipes: Vec<String>,
    /// Platforms (default `all`: every buildable platform each recipe lists).
    #[arg(long = "platform", value_name = "TRIPLET")]
    platforms: Vec<String>,
    /// Builds at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Where the batch outputs and matrix.md go.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Rebuild every needed image (`repro image build --force`) to time it.
    #[arg(long)]
    rebuild_images: bool,
    /// Update recipes/<r>/Artifacts.toml from the reproducible jobs.
    #[arg(long)]
    records: bool,
}

/// The image family of each buildable target, from `repro platforms --json`.
fn target_families(repro: &Path) -> Result<BTreeMap<String, String>> {
    let out = std::process::Command::new(repro).args(["platforms", "--json"]).output()?;
    if !out.status.success() {
        bail!("repro platforms --json: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: Value = serde_json::from_slice(&out.stdout).context("repro platforms --json")?;
    let mut map = BTreeMap::new();
    for t in v.as_array().context("an array from repro platforms --json")? {
        if let (Some(p), Some(f)) = (t["platform"].as_str(), t["family"].as_str()) {
            map.insert(p.to_owned(), f.to_owned());
        }
    }
    Ok(map)
}

/// The image size Docker reports for `family`'s pinned image, in MB.
fn image_size_mb(repro: &Path, family: &str) -> Option<f64> {
    let out = std::process::Command::new(repro)
        .args(["image", "verify", "--family", family, "--json"])
        .output()
        .ok()?;
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    let id = v["found"]["image_id"].as_str().or(v["expected"]["image_id"].as_str())?.to_owned();
    let out = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Size}}", &id])
        .output()
        .ok()?;
    let bytes: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(bytes / 1e6)
}

struct ImageFigure {
    family: String,
    built_secs: Option<f64>,
    size_mb: Option<f64>,
}

pub(crate) fn run(args: Args) -> Result<()> {
    let sh = Shell::new()?;
    let root = repo_root();
    sh.change_dir(&root);
    let repro = crate::bench::release_repro(&root)?;
    let mirror = fill_mirror(&sh, &root)?;
    let names = chosen_recipes(&root, &args.recipes)?;
    let platforms = if args.platforms.is_empty() { vec!["all".to_owned()] } else { args.platforms };
    let out = args.out.unwrap_or_else(|| root.join(".repro-work/matrix"));
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;

    // Images: every family a requested platform needs.
    let families_of = target_families(&repro)?;
    let wanted: BTreeSet<String> = if platforms.iter().any(|p| p == "all") {
        families_of.values().cloned().collect()
    } else {
        platforms.iter().filter_map(|p| families_of.get(p).cloned()).collect()
    };
    let mut images = Vec::new();
    for family in &wanted {
        let loaded = std::process::Command::new(&repro)
            .args(["image", "verify", "--family", family])
            .output()?
            .status
            .success();
        let built_secs = if !loaded || args.rebuild_images {
            let t = Instant::now();
            let force = args.rebuild_images.then_some("--force");
            cmd!(sh, "{repro} image build --family {family} {force...}")
                .run()
                .with_context(|| format!("building the {family} image"))?;
            Some(t.elapsed().as_secs_f64())
        } else {
            None
        };
        images.push(ImageFigure {
            family: family.clone(),
            built_secs,
            size_mb: image_size_mb(&repro, family),
        });
    }

    // One batch: every recipe × platform, dependencies once.
    let batch = out.join("batch.json");
    let check = check_args(&root, &names, &platforms, &mirror, args.jobs, &out);
    let started = Instant::now();
    // The batch's exit code is its worst outcome; the table below says what happened.
    let _ = cmd!(sh, "{repro} {check...}").run();
    let wall = started.elapsed().as_secs_f64();
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(&batch).with_context(|| format!("reading {}", batch.display()))?,
    )?;
    let md = render(&v, &out, &images, wall, args.jobs)?;
    std::fs::write(out.join("matrix.md"), &md)?;
    println!("{md}");
    if args.records {
        write_records(&v, &out, &root)?;
    }
    Ok(())
}

/// The `repro check` arguments of the matrix batch, writing `OUT/batch.json` and `OUT/html/`.
/// `--batch`: one recipe on one platform is a batch too (without it, the single-report flow
/// writes a report with no `jobs`).
fn check_args(
    root: &Path,
    names: &[String],
    platforms: &[String],
    mirror: &Path,
    jobs: usize,
    out: &Path,
) -> Vec<String> {
    let path = |p: &Path| p.display().to_string();
    let mut a = vec!["check".to_owned()];
    a.extend(names.iter().map(|n| path(&root.join("recipes").join(n))));
    for p in platforms {
        a.extend(["--platform".to_owned(), p.clone()]);
    }
    a.extend(["--recipes".to_owned(), path(&root.join("recipes"))]);
    a.extend(["--mirror".to_owned(), path(mirror), "--jobs".to_owned(), jobs.to_string()]);
    a.extend(["--batch".to_owned(), "--json".to_owned(), path(&out.join("batch.json"))]);
    a.extend(["--html".to_owned(), path(&out.join("html"))]);
    a
}

/// The per-job report of a batch job.
fn job_report(job: &Value, out: &Path) -> Option<Value> {
    let rel = job["report"].as_str()?;
    serde_json::from_str(&std::fs::read_to_string(out.join(rel)).ok()?).ok()
}

fn render(v: &Value, out: &Path, images: &[ImageFigure], wall: f64, jobs: usize) -> Result<String> {
    let jobs_v = v["jobs"].as_array().context("`jobs` in the batch")?;
    let mut md = String::new();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    writeln!(md, "### Images\n")?;
    writeln!(md, "| family | `repro image build` (s) | size (MB) |")?;
    writeln!(md, "|---|---|---|")?;
    for i in images {
        let built = i.built_secs.map_or("already loaded".to_owned(), |s| format!("{s:.0}"));
        let size = i.size_mb.map_or("?".to_owned(), |s| format!("{s:.0}"));
        writeln!(md, "| {} | {built} | {size} |", i.family)?;
    }

    // recipe × platform
    let mut platforms: Vec<String> = Vec::new();
    let mut rows: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut per_target: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut failures = Vec::new();
    for j in jobs_v {
        let (recipe, platform) = (s(&j["recipe"]), s(&j["platform"]));
        if !platforms.contains(&platform) {
            platforms.push(platform.clone());
        }
        let outcome = s(&j["outcome"]);
        let causes: Vec<String> =
            j["causes"].as_array().map(|a| a.iter().map(s).collect()).unwrap_or_default();
        let cell = if causes.is_empty() {
            outcome.clone()
        } else {
            format!("{outcome} ({})", causes.join(", "))
        };
        rows.entry(recipe.clone()).or_default().insert(platform.clone(), cell);
        if let Some(e) = j["error"].as_str() {
            let first = e.lines().next().unwrap_or("").chars().take(300).collect::<String>();
            failures.push(format!("| {recipe} | {platform} | {outcome} | {first} |"));
        }
        if let Some(r) = job_report(j, out) {
            for b in r["check"]["builds"].as_array().into_iter().flatten() {
                if let Some(d) = b["duration_secs"].as_f64() {
                    per_target.entry(platform.clone()).or_default().push(d);
                }
            }
        }
    }
    writeln!(md, "\n### Verdicts (recipe × platform)\n")?;
    writeln!(md, "| recipe | {} |", platforms.join(" | "))?;
    writeln!(md, "|---|{}", "---|".repeat(platforms.len()))?;
    for (recipe, cells) in &rows {
        let c: Vec<&str> =
            platforms.iter().map(|p| cells.get(p).map_or("", String::as_str)).collect();
        writeln!(md, "| {recipe} | {} |", c.join(" | "))?;
    }
    writeln!(md, "\n### Build time per target\n")?;
    writeln!(md, "| target | builds | mean (s) | max (s) |")?;
    writeln!(md, "|---|---|---|---|")?;
    for p in &platforms {
        let d = per_target.get(p).cloned().unwrap_or_default();
        if d.is_empty() {
            writeln!(md, "| {p} | 0 | | |")?;
            continue;
        }
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let max = d.iter().cloned().fold(0.0, f64::max);
        writeln!(md, "| {p} | {} | {mean:.1} | {max:.1} |", d.len())?;
    }
    if !failures.is_empty() {
        writeln!(md, "\n### Jobs that failed or did not reproduce, with the reason\n")?;
        writeln!(md, "| recipe | platform | outcome | reason |")?;
        writeln!(md, "|---|---|---|---|")?;
        for f in &failures {
            writeln!(md, "{}", f.replace('\n', " "))?;
        }
    }
    let t = &v["totals"];
    let n = |k: &str| t[k].as_u64().unwrap_or(0);
    writeln!(
        md,
        "\n{} jobs in {wall:.0} s with --jobs {jobs} (load average at the end: {load}): {} \
         reproducible, {} unreproducible, {} failed, {} skipped, {} cancelled",
        jobs_v.len(),
        n("reproducible"),
        n("unreproducible"),
        n("failed"),
        n("skipped"),
        n("cancelled")
    )?;
    Ok(md)
}

fn s(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Writes the record entry of every reproducible job whose two builds agree on their digests.
fn write_records(v: &Value, out: &Path, root: &Path) -> Result<()> {
    for j in v["jobs"].as_array().into_iter().flatten() {
        if j["outcome"] != "reproducible" {
            continue;
        }
        let Some(r) = job_report(j, out) else { continue };
        let builds: Vec<&Value> = r["check"]["builds"].as_array().into_iter().flatten().collect();
        let digests: BTreeSet<(String, String)> = builds
            .iter()
            .map(|b| (s(&b["artifact"]["sha256"]), s(&b["artifact"]["git_tree_sha1"])))
            .collect();
        let digests: Vec<(String, String)> = digests.into_iter().collect();
        let [(sha, tree)] = digests.as_slice() else {
            eprintln!("records: {}: the builds' artifacts differ; no record", s(&j["id"]));
            continue;
        };
        let recipe_path = PathBuf::from(s(&j["recipe_path"]));
        let dir = if recipe_path.is_dir() {
            recipe_path
        } else {
            recipe_path.parent().map(Path::to_path_buf).unwrap_or_else(|| root.join("recipes"))
        };
        let (name, version, platform) = (s(&j["recipe"]), s(&j["version"]), s(&j["platform"]));
        let tarball = format!("{name}.v{version}.{platform}.tar.gz");
        let url = format!(
            "{}/{tarball}",
            RECORD_URL_BASE.replace("{name}", &name).replace("{version}", &version)
        );
        let record = dir.join("Artifacts.toml");
        let existing = std::fs::read_to_string(&record).ok();
        let text = repro_artifact::upsert_artifacts_toml(
            existing.as_deref(),
            &record.display().to_string(),
            &name,
            &platform,
            &tree.parse()?,
            &sha.parse()?,
            Some(&url),
        )?;
        let tmp = record.with_extension("toml.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &record)?;
        eprintln!("records: {} {platform}: {tree}", record.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `cargo xtask matrix bzip2 --platform x86_64-linux-musl` (one job) failed with
    /// "`jobs` in the batch": without `--batch`, `repro check` of one recipe on one platform
    /// writes a single report.
    #[test]
    fn one_recipe_on_one_platform_is_still_a_batch() {
        let a = check_args(
            Path::new("/r"),
            &["bzip2".to_owned()],
            &["x86_64-linux-musl".to_owned()],
            Path::new("/m"),
            1,
            Path::new("/o"),
        );
        let line = a.join(" ");
        assert_eq!(
            line,
            "check /r/recipes/bzip2 --platform x86_64-linux-musl --recipes /r/recipes --mirror /m \
             --jobs 1 --batch --json /o/batch.json --html /o/html"
        );
    }
}
