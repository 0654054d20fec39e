//! Dependencies in real containers: a recipe with a `Dependency` and a `HostBuildDependency`
//! resolved through `--recipes`, each dependency built once and cached, installed into
//! `${prefix}` / `${host_prefix}`, and left out of the artifact; SIGTERM during a check.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::build::pinned_image_or_skip;
use crate::support::{data, json_report, repro, run_containers};

#[test]
fn a_dependency_graph_is_built_once_installed_and_left_out_of_the_artifact() {
    if !pinned_image_or_skip(
        "a_dependency_graph_is_built_once_installed_and_left_out_of_the_artifact",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let keep = tmp.path().join("kept");
    let out = repro()
        .env("REPRO_CACHE", &cache)
        .arg("check")
        .arg(data("deps/app"))
        .arg("--recipes")
        .arg(data("deps"))
        .arg("--keep")
        .arg(&keep)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, report) = json_report(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code, 0, "{err}");
    let deps = report["check"]["dependencies"].as_array().expect("dependencies listed");
    let summary: Vec<(String, String, String)> = deps
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap().to_owned(),
                d["resolved"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Base_jll".into(), "dependency".into(), "recipe".into()),
            ("Tool_jll".into(), "host-build-dependency".into(), "recipe".into()),
        ]
    );
    assert!(deps.iter().all(|d| d["git_tree_sha1"].as_str().is_some_and(|h| h.len() == 40)));
    // Each dependency was built once (one container each), then the two builds of App.
    assert_eq!(err.matches("[dep-Base-x86_64-linux-gnu] run").count(), 1, "{err}");
    assert_eq!(err.matches("[dep-Tool-x86_64-linux-gnu] run").count(), 1, "{err}");
    for build in ["control", "experiment"] {
        let prefix = keep.join(build).join("prefix");
        let app = std::fs::read_to_string(prefix.join("share/app.txt")).unwrap();
        assert_eq!(app, "#define BASE_VALUE 42\ngenerated-by-tool\n");
        assert!(!prefix.join("include").exists(), "Base's files are not in the artifact");
        assert!(!prefix.join("bin").exists(), "Tool is in the host prefix only");
    }

    // A second run takes both from the dependency cache and gets the same trees.
    let again = repro()
        .env("REPRO_CACHE", &cache)
        .arg("check")
        .arg(data("deps/app"))
        .arg("--recipes")
        .arg(data("deps"))
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, report2) = json_report(&again);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&again.stderr));
    let deps2 = report2["check"]["dependencies"].as_array().unwrap();
    for (a, b) in deps.iter().zip(deps2) {
        assert_eq!(a["git_tree_sha1"], b["git_tree_sha1"]);
        assert_eq!(b["cached"], true);
    }
    assert!(!String::from_utf8_lossy(&again.stderr).contains("[dep-Base"));
}

#[test]
fn a_missing_dependency_names_the_chain_and_what_to_give() {
    let out = repro()
        .arg("check")
        .arg(data("deps/app"))
        .env("REPRO_CACHE", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // Without Docker the check stops before resolving; with it, resolution names the chain.
    if !err.contains("Docker") {
        assert!(err.contains("App -> Base_jll") && err.contains("--recipes"), "{err}");
    }
}

#[test]
fn sigterm_during_a_check_removes_containers_and_temp_dirs_and_exits_143() {
    if !pinned_image_or_skip(
        "sigterm_during_a_check_removes_containers_and_temp_dirs_and_exits_143",
    ) {
        return;
    }
    let run = format!("sigterm-{}", std::process::id());
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("repro"))
        .env("REPRO_RUN_ID", &run)
        .env("TMPDIR", &tmpdir)
        .env("REPRO_CACHE", tmp.path().join("cache"))
        .env("NO_COLOR", "1")
        .arg("check")
        .arg(data("build/sleep/recipe.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while run_containers(&run).len() < 2 {
        assert!(Instant::now() < deadline, "the builds never started");
        assert!(child.try_wait().unwrap().is_none(), "repro exited before the builds started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = crate::support::signal_and_wait(&mut child, "TERM");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(run_containers(&run).is_empty(), "containers left");
    let left: Vec<_> = std::fs::read_dir(&tmpdir).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn after_sigkill_gc_removes_the_orphaned_containers_and_temp_dirs() {
    if !pinned_image_or_skip("after_sigkill_gc_removes_the_orphaned_containers_and_temp_dirs") {
        return;
    }
    let run = format!("sigkill-{}", std::process::id());
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("repro"))
        .env("REPRO_RUN_ID", &run)
        .env("TMPDIR", &tmpdir)
        .env("REPRO_CACHE", tmp.path().join("cache"))
        .arg("check")
        .arg(data("build/sleep/recipe.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while run_containers(&run).len() < 2 {
        assert!(Instant::now() < deadline, "the builds never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Nothing could clean up: the check's temp dir is still there, and so are both containers
    // (unless a concurrent test's runner already removed them as orphans, as every new run does).
    let left = std::fs::read_dir(&tmpdir).unwrap().count();
    assert_eq!(left, 1, "the check's temporary directory");

    // Two collectors at once (as when several runs start together): a container the other one
    // removed first is not an error.
    let rival = Command::new(assert_cmd::cargo::cargo_bin("repro"))
        .args(["gc", "--temp-dir"])
        .arg(tmp.path().join("elsewhere"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = repro().arg("gc").arg("--temp-dir").arg(&tmpdir).output().unwrap();
    let rival = rival.wait_with_output().unwrap();
    assert!(rival.status.success(), "{}", String::from_utf8_lossy(&rival.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("repro-check-"), "{text}");
    assert!(run_containers(&run).is_empty(), "containers left after gc");
    assert_eq!(std::fs::read_dir(&tmpdir).unwrap().count(), 0);
}
