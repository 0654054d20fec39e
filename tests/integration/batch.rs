//! Integration tests for batches: `repro plan` (GitHub Actions and Buildkite output validated
//! against the engines' published schemas with `check-jsonschema`), `repro report merge`
//! (its `repro-batch/1` output validated against docs/batch.schema.json), the HTML pages loaded
//! in headless Chromium, and `repro check` over several recipes with real Docker builds.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{docker_or_skip, repo_root, repro};

/// True when `tool` runs. With `CI` set a missing tool fails the test (`.ci/run` installs it);
/// otherwise the test is skipped loudly.
fn tool_or_skip(tool: &str, test: &str) -> bool {
    let ok =
        Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: `{tool}` is missing and CI is set: .ci/run must install it");
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: `{tool}` is not installed (set CI=1 to make this fail) !!!!!\n"
    );
    false
}

/// `check-jsonschema` with `schema_args` on `files`; panics with its output when invalid.
fn validate(schema_args: &[&str], files: &[&Path]) {
    let out = Command::new("check-jsonschema")
        .args(schema_args)
        .args(files)
        .output()
        .expect("run check-jsonschema");
    assert!(
        out.status.success(),
        "check-jsonschema {schema_args:?} {files:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Validation must be able to fail: a broken file is refused.
fn assert_invalid(schema_args: &[&str], file: &Path) {
    let out = Command::new("check-jsonschema").args(schema_args).arg(file).output().unwrap();
    assert!(!out.status.success(), "{file:?} should not validate against {schema_args:?}");
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}\n{text}"))
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn recipe_text(name: &str, deps: &[&str]) -> String {
    let mut s = format!(
        "name = \"{name}\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]\nscript = \"true\"\n"
    );
    for d in deps {
        match d.strip_suffix("_jll") {
            // A JLL by name resolves to the planned recipe of that name.
            Some(_) => s.push_str(&format!("\n[[dependencies]]\nname = \"{d}\"\n")),
            None => s.push_str(&format!("\n[[dependencies]]\nrecipe = \"../{d}\"\n")),
        }
    }
    s
}

/// All recipe files of the repository, as `repro plan recipes/` should find them.
fn repo_recipe_count() -> usize {
    let root = repo_root().join("recipes");
    let mut n = 0;
    for e in std::fs::read_dir(&root).unwrap() {
        let p = e.unwrap().path();
        if p.join("recipe.toml").is_file() {
            n += 1;
        }
    }
    for e in std::fs::read_dir(root.join("examples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            n += 1;
        }
    }
    n
}

#[test]
fn plan_of_the_repository_passes_the_engine_schemas() {
    if !tool_or_skip("check-jsonschema", "plan_of_the_repository_passes_the_engine_schemas") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let (gha, bk) = (t.path().join("repro.yml"), t.path().join("pipeline.yml"));
    repro()
        .current_dir(repo_root())
        .args(["plan", "recipes/", "--github-actions"])
        .arg(&gha)
        .arg("--buildkite")
        .arg(&bk)
        .assert()
        .success();
    validate(&["--builtin-schema", "vendor.github-workflows"], &[&gha]);
    validate(&["--builtin-schema", "vendor.buildkite"], &[&bk]);

    let wf = yaml(&gha);
    // Recipes that depend on others of the plan run in a later matrix job (check-2, ...).
    let check_jobs: Vec<String> = wf["jobs"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("check-"))
        .cloned()
        .collect();
    let include: Vec<Value> = check_jobs
        .iter()
        .flat_map(|j| wf["jobs"][j]["strategy"]["matrix"]["include"].as_array().unwrap().clone())
        .collect();
    assert_eq!(include.len(), repo_recipe_count(), "one job per recipe × default platform");
    let libvorbis = include.iter().find(|m| m["recipe"] == "libvorbis").expect("libvorbis planned");
    assert!(
        check_jobs.iter().any(|j| wf["jobs"][j]["strategy"]["matrix"]["include"]
            .as_array()
            .unwrap()
            .contains(libvorbis)
            && wf["jobs"][j]["needs"].as_array().is_some_and(|n| !n.is_empty())),
        "a recipe with a dependency in the plan waits for it"
    );
    let hello = include.iter().find(|m| m["recipe"] == "hello").expect("hello planned");
    assert_eq!(hello["platform"], "x86_64-linux-gnu");
    assert_eq!(
        hello["command"],
        "repro check recipes/hello/recipe.toml --batch --platform x86_64-linux-gnu --json reports/hello-x86_64-linux-gnu/batch.json --html reports/hello-x86_64-linux-gnu/html/"
    );
    let steps = wf["jobs"]["check-1"]["steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["uses"] == "actions/upload-artifact@v4" && s["if"] == "always()")
    );
    let needs: Vec<String> = wf["jobs"]["report"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mut sorted = check_jobs.clone();
    sorted.sort();
    let mut needs_sorted = needs.clone();
    needs_sorted.sort();
    assert_eq!(needs_sorted, sorted, "the report waits for every check job");

    let p = yaml(&bk);
    let steps = p["steps"].as_array().unwrap();
    assert_eq!(
        steps
            .iter()
            .filter(|s| s["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("repro-") && k != "repro-report"))
            .count(),
        repo_recipe_count()
    );

    // The validation can fail: a workflow without `runs-on` is refused.
    let broken = t.path().join("broken.yml");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&gha).unwrap().replace("runs-on:", "runs-off:"),
    )
    .unwrap();
    assert_invalid(&["--builtin-schema", "vendor.github-workflows"], &broken);
}

#[test]
fn large_plans_are_chunked_and_dependencies_become_job_dependencies() {
    if !tool_or_skip("check-jsonschema", "large_plans_are_chunked") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("recipes");
    // 300 recipes × 2 platforms = 600 jobs; `top` depends on `base`.
    for i in 0..298 {
        write(&r.join(format!("lib{i:03}/recipe.toml")), &recipe_text(&format!("lib{i:03}"), &[]));
    }
    write(&r.join("base/recipe.toml"), &recipe_text("base", &[]));
    write(&r.join("top/recipe.toml"), &recipe_text("top", &["base"]));
    let (gha, bk) = (t.path().join("repro.yml"), t.path().join("pipeline.yml"));
    repro()
        .current_dir(t.path())
        .args(["plan", "recipes", "--platform", "all", "--github-actions"])
        .arg(&gha)
        .arg("--buildkite")
        .arg(&bk)
        .assert()
        .success();
    let parts = [bk.clone(), t.path().join("pipeline.part2.yml")];
    assert!(!t.path().join("pipeline.part3.yml").exists());
    validate(&["--builtin-schema", "vendor.github-workflows"], &[&gha]);
    validate(&["--builtin-schema", "vendor.buildkite"], &[&parts[0], &parts[1]]);

    let wf = yaml(&gha);
    let jobs = wf["jobs"].as_object().unwrap();
    let mut entries = 0;
    let mut top_chunk = None;
    let mut base_chunk = None;
    for (name, job) in jobs {
        let Some(include) = job["strategy"]["matrix"]["include"].as_array() else { continue };
        assert!(include.len() <= 256, "{name} has {} entries", include.len());
        entries += include.len();
        for m in include {
            if m["recipe"] == "top" {
                top_chunk = Some((name.clone(), job["needs"].clone()));
            }
            if m["recipe"] == "base" {
                base_chunk = Some(name.clone());
            }
        }
    }
    assert_eq!(entries, 600);
    let (top_name, needs) = top_chunk.unwrap();
    let base_name = base_chunk.unwrap();
    assert_ne!(top_name, base_name, "a dependent runs in a later matrix job");
    assert!(
        needs.as_array().unwrap().iter().any(|n| n == &Value::String(base_name.clone())),
        "{needs}"
    );

    let mut all = Vec::new();
    for p in &parts {
        let steps = yaml(p)["steps"].as_array().unwrap().clone();
        assert!(steps.len() <= 500, "{p:?}: {} steps", steps.len());
        all.extend(steps);
    }
    let upload = &yaml(&parts[0])["steps"].as_array().unwrap().last().unwrap().clone();
    assert!(upload["command"].as_str().unwrap().contains("pipeline upload"), "{upload}");
    let top = all.iter().find(|s| s["key"] == "repro-top-x86_64-linux-gnu").unwrap();
    assert_eq!(top["depends_on"], serde_json::json!(["repro-base-x86_64-linux-gnu"]));
    assert_eq!(
        all.iter()
            .filter(|s| s["artifact_paths"].as_str().is_some_and(|a| a.starts_with("reports/")))
            .count(),
        600
    );
}

#[test]
fn changed_selects_changed_recipes_and_their_dependents() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(d)
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    write(&d.join("recipes/a/recipe.toml"), &recipe_text("a", &[]));
    write(&d.join("recipes/b/recipe.toml"), &recipe_text("b", &[]));
    write(&d.join("recipes/c/recipe.toml"), &recipe_text("c", &["b"]));
    write(&d.join("recipes/d/recipe.toml"), &recipe_text("d", &["c_jll"]));
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    write(&d.join("recipes/b/patches/fix.patch"), "x\n");
    git(&["add", "."]);
    git(&["commit", "-qm", "two"]);
    let out = repro()
        .current_dir(d)
        .args(["plan", "recipes", "--changed", "HEAD~1..HEAD", "--github-actions", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wf: Value = serde_yaml_ng::from_slice(&out.stdout).unwrap();
    let mut names: Vec<String> = Vec::new();
    for job in wf["jobs"].as_object().unwrap().values() {
        if let Some(inc) = job["strategy"]["matrix"]["include"].as_array() {
            names.extend(inc.iter().map(|m| m["recipe"].as_str().unwrap().to_owned()));
        }
    }
    names.sort();
    assert_eq!(names, ["b", "c", "d"], "b changed; c depends on it, d on c (as c_jll)");

    let out = repro()
        .current_dir(d)
        .args(["plan", "recipes", "--changed", "HEAD", "--buildkite", "-"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BASE..HEAD"));
}

/// Two directories that differ in a text file, a binary file, and a hostile member name.
fn diff_inputs(root: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (root.join("a"), root.join("b"));
    for (side, host, byte) in [(&a, "alpha", 1u8), (&b, "beta", 2u8)] {
        write(
            &side.join("share/info.txt"),
            &format!("built on {host}\nsame line\n<b>tag</b> & more\n"),
        );
        let mut bin = vec![0u8; 600];
        bin[300] = byte;
        std::fs::create_dir_all(side.join("lib")).unwrap();
        std::fs::write(side.join("lib/libx.bin"), &bin).unwrap();
        write(&side.join("share/<script>alert(1)</script>.txt"), &format!("{host}\n"));
        write(&side.join("share/same.txt"), "same\n");
    }
    (a, b)
}

/// Loads `page` in headless Chromium, takes a screenshot, and returns Chromium's console
/// messages (lines Chromium logs as `CONSOLE`) and whether the screenshot was written.
fn chromium_load(page: &Path, shot: &Path) -> Vec<String> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .args(["--enable-logging=stderr", "--v=0", "--window-size=1280,1600"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(shot.is_file(), "no screenshot of {page:?}:\n{stderr}");
    let png = std::fs::read(shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 2_000,
        "screenshot too small: {} bytes",
        png.len()
    );
    stderr.lines().filter(|l| l.contains("CONSOLE")).map(str::to_owned).collect()
}

#[test]
fn html_pages_load_in_chromium_without_console_errors() {
    if !tool_or_skip("chromium", "html_pages_load_in_chromium") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let (a, b) = diff_inputs(t.path());
    let page = t.path().join("report.html");
    let report = t.path().join("report.json");
    repro()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .arg("--html")
        .arg(&page)
        .arg("--json")
        .arg(&report)
        .assert()
        .code(1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "a member name became markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
    assert!(
        html.contains("<td class=\"del\">built on alpha</td><td class=\"add\">built on beta</td>"),
        "side-by-side text diff"
    );
    assert!(html.contains("differing byte ranges: 0x12c–0x12d (1 bytes)"), "hexdump ranges");
    assert!(html.contains("<details class=\"file\""));

    // A batch of that report and a failed job, merged, with a dashboard and job pages.
    let jobs = t.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    std::fs::copy(&report, jobs.join("report.json")).unwrap();
    let failed = serde_json::json!({
        "schema": "repro-batch/1",
        "totals": {"jobs": 1, "reproducible": 0, "unreproducible": 0, "failed": 1, "skipped": 0, "cancelled": 0},
        "jobs": [{"id": "zlib-x86_64-linux-gnu", "recipe": "zlib", "platform": "x86_64-linux-gnu", "outcome": "failed", "error": "the control build failed: <exit 2>"}]
    });
    std::fs::write(jobs.join("zlib.json"), failed.to_string()).unwrap();
    let out = t.path().join("out");
    repro()
        .args(["report", "merge"])
        .arg(&jobs)
        .arg("--html")
        .arg(format!("{}/", out.display()))
        .assert()
        .code(2);
    let index = out.join("index.html");
    let dash = std::fs::read_to_string(&index).unwrap();
    assert!(
        dash.contains("class=\"cell-failed\"") && dash.contains("class=\"cell-unreproducible\""),
        "{dash}"
    );
    assert!(dash.contains("the control build failed: &lt;exit 2&gt;"));
    let job_pages: Vec<PathBuf> =
        std::fs::read_dir(out.join("jobs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(job_pages.len(), 1, "one page per job with a report");

    let shots = std::env::var_os("REPRO_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.path().to_owned());
    std::fs::create_dir_all(&shots).unwrap();
    for (name, p) in [("report", &page), ("dashboard", &index), ("job", &job_pages[0])] {
        let console = chromium_load(p, &shots.join(format!("{name}.png")));
        assert!(console.is_empty(), "{name}: console messages: {console:#?}");
    }
    // The console check can fail: a page that logs an error is caught.
    let bad = t.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let console = chromium_load(&bad, &t.path().join("bad.png"));
    assert!(
        console.iter().any(|l| l.contains("boom")),
        "the console check sees errors: {console:?}"
    );
}

#[test]
fn merge_writes_a_batch_that_validates_and_exits_with_the_worst_outcome() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = diff_inputs(t.path());
    let jobs = t.path().join("artifacts");
    std::fs::create_dir_all(jobs.join("one")).unwrap();
    std::fs::create_dir_all(jobs.join("two")).unwrap();
    repro()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .arg("--json")
        .arg(jobs.join("one/report.json"))
        .assert()
        .code(1);
    repro()
        .arg("diff")
        .arg(&a)
        .arg(&a)
        .arg("--json")
        .arg(jobs.join("two/report.json"))
        .assert()
        .code(0);
    let merged = t.path().join("merged");
    let batch = merged.join("batch.json");
    let out = repro()
        .args(["report", "merge"])
        .arg(&jobs)
        .arg("--json")
        .arg(&batch)
        .arg("--junit")
        .arg(merged.join("junit.xml"))
        .arg("--markdown")
        .arg(merged.join("summary.md"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "worst outcome is unreproducible: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 jobs: 1 reproducible, 1 unreproducible"), "{stdout}");
    let v: Value = serde_json::from_slice(&std::fs::read(&batch).unwrap()).unwrap();
    assert_eq!(v["schema"], "repro-batch/1");
    assert_eq!(v["totals"]["jobs"], 2);
    for j in v["jobs"].as_array().unwrap() {
        let r = merged.join(j["report"].as_str().unwrap());
        let report: Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
        assert_eq!(report["schema"], "repro-report/1");
    }
    let junit = std::fs::read_to_string(merged.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), 2);
    assert!(junit.contains("failures=\"1\""));
    let md = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(md.starts_with("## ❌ repro: 2 jobs: 1 reproducible, 1 unreproducible"), "{md}");

    // Merging merged output again gives the same jobs (batch files with relative reports).
    let again = t.path().join("again.json");
    repro().args(["report", "merge"]).arg(&merged).arg("--json").arg(&again).assert().code(1);
    let w: Value = serde_json::from_slice(&std::fs::read(&again).unwrap()).unwrap();
    assert_eq!(w["totals"], v["totals"]);

    // Bad input names the file.
    let junk = t.path().join("junk.json");
    std::fs::write(&junk, "{not json").unwrap();
    let out = repro().args(["report", "merge"]).arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.json: not JSON"));

    if tool_or_skip("check-jsonschema", "merge_writes_a_batch_that_validates") {
        let schema = repo_root().join("docs/batch.schema.json");
        let schema = schema.to_str().unwrap();
        validate(&["--schemafile", schema], &[&batch, &again]);
        let mut bad = v.clone();
        bad["jobs"][0]["outcome"] = "fine".into();
        let badf = t.path().join("bad-batch.json");
        std::fs::write(&badf, bad.to_string()).unwrap();
        assert_invalid(&["--schemafile", schema], &badf);
    }
}

#[test]
fn batch_check_runs_every_job_and_keeps_going_past_failures() {
    if !docker_or_skip("batch_check_runs_every_job") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = repo_root();
    let broken = t.path().join("broken/recipe.toml");
    write(
        &broken,
        "name = \"broken\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = \"exit 3\"\n",
    );
    let out_dir = t.path().join("out");
    let out = repro()
        .arg("check")
        .arg(root.join("recipes/examples/reproducible.toml"))
        .arg(root.join("recipes/examples/hostname.toml"))
        .arg(&broken)
        .args(["--jobs", "2", "--vary", "hostname"])
        .arg("--json")
        .arg(out_dir.join("batch.json"))
        .arg("--html")
        .arg(format!("{}/", out_dir.display()))
        .arg("--junit")
        .arg(out_dir.join("junit.xml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed job makes the batch exit 2:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("3 jobs: 1 reproducible, 1 unreproducible, 1 failed"),
        "{stdout}\n{stderr}"
    );
    // Plain progress lines when not a terminal.
    assert!(stderr.contains("Hostname-x86_64-linux-gnu: unreproducible in"), "{stderr}");
    assert!(stderr.contains("3/3 done"), "{stderr}");
    let v: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("batch.json")).unwrap()).unwrap();
    let jobs = v["jobs"].as_array().unwrap();
    let get = |name: &str| {
        jobs.iter().find(|j| j["recipe"] == name).unwrap_or_else(|| panic!("{name}: {v:#}"))
    };
    assert_eq!(get("Hostname")["outcome"], "unreproducible");
    assert_eq!(get("Hostname")["causes"], serde_json::json!(["hostname"]));
    assert_eq!(get("broken")["outcome"], "failed");
    assert!(get("broken")["error"].as_str().unwrap().contains("control build failed"), "{v:#}");
    let page = out_dir.join(get("Hostname")["html"].as_str().unwrap());
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.contains("<th>hostname *</th>"), "the builds' variations are shown");
    assert!(out_dir.join("index.html").is_file());
    assert!(out_dir.join(get("Reproducible")["report"].as_str().unwrap()).is_file());
    if tool_or_skip("check-jsonschema", "batch_check_runs_every_job") {
        let schema = repo_root().join("docs/batch.schema.json");
        validate(&["--schemafile", schema.to_str().unwrap()], &[&out_dir.join("batch.json")]);
    }
}

/// A plan lists ten jobs whose dependencies do not resolve and counts the rest; `-v` lists
/// every one (what a corpus-wide plan needs to see what is missing, and why).
#[test]
fn plan_lists_every_unresolved_job_with_verbose() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path().join("recipes");
    // 12 recipes × 2 platforms, each needing a JLL that no recipe provides: 24 unresolved jobs.
    for i in 0..12 {
        write(
            &r.join(format!("lib{i:02}/recipe.toml")),
            &recipe_text(&format!("lib{i:02}"), &["Missing_jll"]),
        );
    }
    let run = |verbose: bool| {
        let mut c = repro();
        c.current_dir(t.path()).args([
            "plan",
            "recipes",
            "--platform",
            "all",
            "--github-actions",
            "-",
        ]);
        if verbose {
            c.arg("-v");
        }
        let out = c.assert().success().get_output().clone();
        String::from_utf8(out.stderr).unwrap()
    };
    let unresolved =
        |s: &str| s.lines().filter(|l| l.contains(": dependencies do not resolve")).count();
    let brief = run(false);
    assert_eq!(unresolved(&brief), 10, "{brief}");
    assert!(
        brief.contains("14 more jobs whose dependencies do not resolve (-v lists them)"),
        "{brief}"
    );
    let all = run(true);
    assert_eq!(unresolved(&all), 24, "{all}");
    assert!(!all.contains("more jobs whose"), "{all}");
}
