//! Integration tests for `repro check` and `repro explain` (real Docker, pinned image).
//!
//! Every example recipe in `recipes/examples/` is checked for its verdict, its cause, and, with
//! `--explain`, the variation that triggers it.

use serde_json::Value;

use crate::support::{
    docker_or_skip, interrupt_and_wait, json_report, repo_root, repro, run_containers,
};

fn example(name: &str) -> String {
    repo_root().join("recipes/examples").join(format!("{name}.toml")).display().to_string()
}

/// Runs `repro check ARGS --json -` and returns (exit code, report).
fn check_json(args: &[&str]) -> (i32, Value) {
    let out = repro().arg("check").args(args).args(["--json", "-"]).output().expect("run repro");
    json_report(&out)
}

fn file<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the report: {:#}", report["files"]))
}

fn causes(f: &Value) -> Vec<String> {
    f["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cause"].as_str().unwrap().to_owned())
        .collect()
}

fn explained(report: &Value, path: &str) -> Vec<String> {
    let files = report["explain"]["files"].as_array().expect("explain.files");
    let f = files
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not explained: {:#}", report["explain"]));
    f["variations"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// Checks an unreproducible example: exit 1, `path` differs with `cause`, and explain names
/// exactly `variation` as a trigger.
fn assert_unreproducible(name: &str, extra: &[&str], path: &str, cause: &str, variation: &str) {
    let recipe = example(name);
    let mut args = vec![recipe.as_str(), "--explain"];
    args.extend_from_slice(extra);
    let (code, r) = check_json(&args);
    assert_eq!(code, 1, "{name}: expected exit 1 (unreproducible): {r:#}");
    assert_eq!(r["verdict"], "unreproducible");
    let f = file(&r, path);
    assert_eq!(f["status"], "differs", "{name}: {f:#}");
    if !cause.is_empty() {
        assert!(causes(f).iter().any(|c| c == cause), "{name}: cause {cause} not in {f:#}");
    }
    let vars = explained(&r, path);
    assert!(vars.iter().any(|v| v == variation), "{name}: {variation} not in {vars:?}");
    // A single environment variation explains these examples; nothing differs without one.
    let without = r["explain"]["differ_without_variation"].as_array().unwrap();
    assert!(without.is_empty(), "{name}: differs without variation: {without:?}");
}

#[test]
fn reproducible_example_is_reproducible_with_every_variation() {
    if !docker_or_skip("reproducible_example_is_reproducible_with_every_variation") {
        return;
    }
    let recipe = example("reproducible");
    let (code, r) = check_json(&[&recipe]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["schema"], "repro-report/1");
    assert_eq!(r["verdict"], "reproducible");
    assert!(r["files"].as_array().unwrap().is_empty());
    let check = &r["check"];
    assert_eq!(check["recipe"]["name"], "Reproducible");
    assert_eq!(check["network"], false, "builds run without network unless asked");
    assert!(check["image"]["digest"].as_str().unwrap().starts_with("sha256:"));
    let builds = check["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 2);
    assert_eq!(builds[0]["artifact"]["sha256"], builds[1]["artifact"]["sha256"]);
    assert_eq!(builds[0]["artifact"]["git_tree_sha1"], builds[1]["artifact"]["git_tree_sha1"]);
    // Both environments are shown with each variation's values.
    assert_eq!(builds[1]["variations"]["hostname"], "i-capture-the-hostname");
    assert_eq!(builds[0]["variations"]["locale"], "C.UTF-8");
    assert_eq!(builds[1]["environment"]["LC_ALL"], "et_EE.UTF-8");
    assert_eq!(
        builds[1]["environment"]["SOURCE_DATE_EPOCH"],
        builds[0]["environment"]["SOURCE_DATE_EPOCH"]
    );
    let applied: Vec<_> = check["variations_applied"].as_array().unwrap().iter().collect();
    assert!(applied.iter().any(|v| *v == "time"));
    assert!(!applied.iter().any(|v| *v == "build_path"), "build_path is not varied by default");
    // ASLR cannot be disabled in an unprivileged container: the report says so.
    let not: Vec<_> = check["variations_not_applied"].as_array().unwrap().iter().collect();
    assert!(
        not.iter().any(|n| n["variation"] == "aslr" && !n["reason"].as_str().unwrap().is_empty())
    );
    // The logs are normalized away, and accounted.
    let norms = r["normalizations"].as_array().unwrap();
    assert!(norms.iter().any(|n| n["rule"] == "logs"), "{norms:?}");
}

#[test]
fn build_date_is_caught_and_attributed_to_time() {
    if docker_or_skip("build_date") {
        assert_unreproducible(
            "build-date",
            &[],
            "share/builddate/BUILD_INFO",
            "timestamps",
            "time",
        );
    }
}

#[test]
fn cpp_date_is_caught_and_attributed_to_time() {
    if docker_or_skip("cpp_date") {
        assert_unreproducible("cpp-date", &[], "bin/stamp", "timestamps", "time");
    }
}

#[test]
fn hostname_is_caught_and_attributed() {
    if docker_or_skip("hostname") {
        assert_unreproducible("hostname", &[], "bin/stamp", "hostname", "hostname");
    }
}

#[test]
fn user_is_caught_and_attributed() {
    if docker_or_skip("user") {
        assert_unreproducible("user", &[], "lib/pkgconfig/user.pc", "username", "user");
    }
}

#[test]
fn build_path_needs_the_build_path_variation() {
    if !docker_or_skip("build_path") {
        return;
    }
    // Not varied by default (BinaryBuilder fixes /workspace): reproducible.
    let recipe = example("build-path");
    let (code, r) = check_json(&[&recipe, "--vary", "none,+build_path,+hostname"]);
    assert_eq!(code, 1, "{r:#}");
    let f = file(&r, "bin/stamp");
    assert!(causes(f).iter().any(|c| c == "build_path"), "{f:#}");
    let (code, r) = check_json(&[&recipe]);
    assert_eq!(code, 0, "the default set keeps the build path: {r:#}");
    assert_unreproducible(
        "build-path",
        &["--vary", "+build_path"],
        "bin/stamp",
        "build_path",
        "build_path",
    );
}

#[test]
fn cpu_count_dependence_is_attributed_to_num_cpus() {
    if !docker_or_skip("num_cpus") {
        return;
    }
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("one CPU: num_cpus cannot be varied here");
        return;
    }
    assert_unreproducible("num-cpus", &[], "share/numcpus/shards.txt", "", "num_cpus");
}

#[test]
fn readdir_order_is_attributed_to_fileordering() {
    if docker_or_skip("readdir_order") {
        assert_unreproducible(
            "readdir-order",
            &[],
            "lib/libletters.a",
            "ordering_only",
            "fileordering",
        );
    }
}

#[test]
fn random_bytes_differ_without_any_variation() {
    if !docker_or_skip("random_bytes") {
        return;
    }
    let recipe = example("random-bytes");
    let (code, r) = check_json(&[&recipe, "--explain", "--vary", "none,+hostname"]);
    assert_eq!(code, 1, "{r:#}");
    let f = file(&r, "share/random/seed.bin");
    assert!(causes(f).iter().any(|c| c == "random"), "{f:#}");
    let without = r["explain"]["differ_without_variation"].as_array().unwrap();
    assert!(without.iter().any(|p| p == "share/random/seed.bin"), "{:#}", r["explain"]);
    // `--vary none` keeps both environments identical and still exposes it.
    let (code, r) = check_json(&[&recipe, "--vary", "none"]);
    assert_eq!(code, 1, "{r:#}");
    assert!(r["check"]["variations_applied"].as_array().unwrap().is_empty());
}

#[test]
fn umask_dependent_modes_are_attributed_to_umask() {
    if docker_or_skip("umask") {
        assert_unreproducible("umask", &[], "share/umask/data.tar", "umask", "umask");
    }
}

#[test]
fn local_time_is_attributed_to_timezone() {
    if docker_or_skip("timezone") {
        assert_unreproducible("timezone", &[], "share/timezone/RELEASE", "timestamps", "timezone");
    }
}

#[test]
fn collation_is_attributed_to_locale() {
    if docker_or_skip("locale") {
        assert_unreproducible(
            "locale",
            &[],
            "share/locale-index/index.txt",
            "ordering_only",
            "locale",
        );
    }
}

#[test]
fn unnormalized_tarball_is_attributed_to_time() {
    if docker_or_skip("unnormalized_tarball") {
        assert_unreproducible(
            "unnormalized-tarball",
            &[],
            "share/docs/docs.tar.gz",
            "timestamps_in_tarball",
            "time",
        );
    }
}

#[test]
fn kernel_release_is_attributed_to_kernel() {
    if docker_or_skip("kernel") {
        assert_unreproducible("kernel", &[], "share/kernel/BUILD_KERNEL", "", "kernel");
    }
}

#[test]
fn a_failed_build_is_an_error_naming_the_build_not_a_verdict() {
    if !docker_or_skip("failed_build") {
        return;
    }
    let run_id = format!("check-failed-{}", std::process::id());
    let recipe = crate::support::data("check/fails-as-user.toml");
    let out = repro().env("REPRO_RUN_ID", &run_id).arg("check").arg(&recipe).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the experiment build failed"), "{err}");
    assert!(err.contains("this build needs root"), "log tail missing: {err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("unreproducible"));
    let left = run_containers(&run_id);
    assert!(left.is_empty(), "containers left: {left:?}");
    // A missing declared product is an error naming it.
    let recipe = crate::support::data("check/missing-product.toml");
    let out = repro().arg("check").arg(&recipe).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("frobnicate"), "{err}");
}

#[test]
fn keep_keeps_both_artifacts_and_logs() {
    if !docker_or_skip("keep") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("kept");
    let recipe = example("reproducible");
    let out = repro()
        .args(["check", &recipe, "--vary", "none,+hostname", "--keep"])
        .arg(&keep)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for side in ["control", "experiment"] {
        let tarball = keep.join(side).join("products/Reproducible.v1.0.0.x86_64-linux-gnu.tar.gz");
        assert!(tarball.is_file(), "{} missing", tarball.display());
        let log = keep.join(side).join("prefix/logs/Reproducible/Reproducible.log");
        assert!(log.is_file(), "{} missing", log.display());
    }
    // A non-empty --keep directory is refused before anything is built.
    let out = repro().args(["check", &recipe, "--keep"]).arg(&keep).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

#[test]
fn bad_vary_and_platform_are_clear_errors() {
    let recipe = example("reproducible");
    let out = repro().args(["check", &recipe, "--vary", "+tmie"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tmie"));
    let out = repro().args(["check", &recipe, "--platform", "aarch64-linux-gnu"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("x86_64-linux-gnu"));
}

#[test]
fn explain_alone_attributes_each_file() {
    if !docker_or_skip("explain_alone") {
        return;
    }
    let recipe = example("hostname");
    let out = repro()
        .args(["explain", &recipe, "--vary", "none,+hostname,+timezone", "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(explained(&r, "bin/stamp"), ["hostname"]);
    let runs = r["explain"]["runs"].as_array().unwrap();
    // Control + no-variation run + one run per variation: N+2 builds.
    assert_eq!(runs.len(), 3, "{runs:#?}");
    let tz = runs.iter().find(|r| r["variations"] == serde_json::json!(["timezone"])).unwrap();
    assert_eq!(tz["reproducible"], true);
}

#[test]
fn a_recipe_that_asks_for_the_network_is_reported() {
    if !docker_or_skip("network") {
        return;
    }
    let recipe = crate::support::data("check/network.toml").display().to_string();
    let (code, r) = check_json(&[&recipe, "--vary", "none,+hostname"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["check"]["network"], true);
}

#[test]
fn binarybuilder_script_conventions_work_and_reproduce() {
    if !docker_or_skip("conventions") {
        return;
    }
    // CMake with ${CMAKE_TARGET_TOOLCHAIN}, Meson with ${MESON_TARGET_TOOLCHAIN}, autotools with
    // --build=${MACHTYPE} --host=${target} after update_configure_scripts, atomic_patch,
    // ${CC}/${AR}/${nproc} and install_license, all under every default variation.
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("kept");
    let recipe = repo_root().join("recipes/conventions").display().to_string();
    let out =
        repro().args(["check", &recipe, "--json", "-", "--keep"]).arg(&keep).output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    let prefix = keep.join("experiment/prefix");
    let auto = std::fs::read(prefix.join("bin/greetauto")).unwrap();
    let needle = b"hello from patched autotools";
    assert!(auto.windows(needle.len()).any(|w| w == needle), "atomic_patch was not applied");
    assert!(prefix.join("lib/libgreetcmake.so.1.0.0").is_file());
    assert!(prefix.join("bin/greetmeson").is_file());
    assert!(prefix.join("share/licenses/Conventions/LICENSE").is_file());
}

#[test]
fn the_shifted_clock_does_not_shift_file_times_again() {
    if !docker_or_skip("faketime_stat") {
        return;
    }
    // Regression: with libfaketime's default, stat() added the offset to file times a second
    // time, so a file stamped with the shifted date read back 796 days ahead.
    let recipe = crate::support::data("check/faketime-stat.toml").display().to_string();
    let out = repro().args(["check", &recipe, "--vary", "none,+time"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn ctrl_c_stops_explain_without_starting_queued_builds() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    if !docker_or_skip("ctrl_c_explain") {
        return;
    }
    // One build at a time; the hostname run hangs. After Ctrl-C the queued runs (user, umask)
    // must not start, every container must be gone, and the exit code is 130.
    let run_id = format!("explain-sigint-{}", std::process::id());
    let recipe = crate::support::data("check/sleeps-when-renamed.toml");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("repro"))
        .env("REPRO_RUN_ID", &run_id)
        .env("NO_COLOR", "1")
        .args(["explain", "--jobs", "1", "--vary", "none,+hostname,+user,+umask"])
        .arg(&recipe)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("repro stopped talking");
        seen.push(line.clone());
        if line.contains("[explain-hostname] run") {
            break;
        }
        assert!(Instant::now() < deadline, "the hostname run never started: {seen:#?}");
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = interrupt_and_wait(&mut child);
    seen.extend(rx.try_iter());
    let err = seen.join("\n");
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(!err.contains("[explain-user]") && !err.contains("[explain-umask]"), "{err}");
    let left = run_containers(&run_id);
    assert!(left.is_empty(), "containers left: {left:?}");
}
