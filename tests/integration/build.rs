//! Integration tests for `repro build`: real builds in the pinned image through the Docker daemon.
//!
//! Every test gives its `repro` process its own run id (`REPRO_RUN_ID`), so it can check that no
//! container of *its* run is left behind, whatever other tests run in parallel.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

use crate::support::{self, data, docker_or_skip, repo_root, repro};

/// True when Docker answers and the pinned image is loaded. Outside CI a missing image skips the
/// test loudly; under CI it fails (`cargo xtask test` builds the image first).
pub(crate) fn pinned_image_or_skip(test: &str) -> bool {
    if !docker_or_skip(test) {
        return false;
    }
    let out = repro().args(["image", "verify"]).output().expect("run repro image verify");
    if out.status.success() {
        return true;
    }
    let why =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: the pinned build image is not loaded and CI is set (run `repro image build`):\n{why}"
        );
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: the pinned build image is not loaded; run `repro image build` \
         (set CI=1 to make this fail) !!!!!\n{why}"
    );
    false
}

/// A run id unique to this test and process.
pub(crate) fn run_id(test: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("t-{}-{}-{nanos:x}", test.replace('_', "-"), std::process::id())
}

/// Containers (running or not) of one run.
pub(crate) fn containers_of(run: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=io.repro.run={run}")])
        .output()
        .expect("docker ps");
    assert!(out.status.success(), "docker ps failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

fn assert_no_containers(run: &str) {
    // Every managed container of this run must be gone; `repro_containers` is the global view.
    let left = containers_of(run);
    assert!(left.is_empty(), "containers of run {run} left behind: {left:?}");
    let all = support::repro_containers();
    assert!(left.iter().all(|c| !all.contains(c)));
}

fn hello_recipe() -> PathBuf {
    let hello = repo_root().join("recipes/hello/recipe.toml");
    if hello.is_file() { hello } else { data("build/env/recipe.toml") }
}

fn build_cmd(run: &str, recipe: &Path, out: &Path) -> assert_cmd::Command {
    let mut c = repro();
    c.env("REPRO_RUN_ID", run).arg("build").arg(recipe).arg("--out").arg(out);
    c
}

fn json_build(run: &str, recipe: &Path, out: &Path) -> serde_json::Value {
    let output = build_cmd(run, recipe, out).arg("--json").output().unwrap();
    assert!(
        output.status.success(),
        "build failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    serde_json::from_slice(&output.stdout).expect("build --json prints JSON")
}

fn sha256_file(p: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// Entry names of a .tar.gz.
fn tar_gz_entries(p: &Path) -> Vec<String> {
    let f = std::fs::File::open(p).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    ar.entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn tar_gz_file(p: &Path, name: &str) -> Option<String> {
    let f = std::fs::File::open(p).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy().trim_start_matches("./") == name {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            return Some(s);
        }
    }
    None
}

#[test]
fn the_same_recipe_built_twice_gives_the_same_artifact() {
    if !pinned_image_or_skip("the_same_recipe_built_twice_gives_the_same_artifact") {
        return;
    }
    let run = run_id("twice");
    let tmp = tempfile::tempdir().unwrap();
    let recipe = hello_recipe();
    let a = json_build(&run, &recipe, &tmp.path().join("a"));
    let b = json_build(&run, &recipe, &tmp.path().join("b"));
    for r in [&a, &b] {
        let path = PathBuf::from(r["tarball"]["path"].as_str().unwrap());
        assert!(path.is_file(), "{path:?}");
        assert_eq!(
            sha256_file(&path),
            r["tarball"]["sha256"].as_str().unwrap(),
            "printed sha256 is the file's"
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = format!(
            "{}.v{}.x86_64-linux-gnu.tar.gz",
            r["name"].as_str().unwrap(),
            r["version"].as_str().unwrap()
        );
        assert_eq!(name, expected);
        let logs = PathBuf::from(r["logs_tarball"]["path"].as_str().unwrap());
        assert!(logs.file_name().unwrap().to_string_lossy().contains("-logs.v"), "{logs:?}");
        // The main tarball has no logs; the logs tarball has only logs.
        assert!(
            tar_gz_entries(&path).iter().all(|e| !e.trim_start_matches("./").starts_with("logs"))
        );
        let log_entries = tar_gz_entries(&logs);
        assert!(!log_entries.is_empty());
        assert!(
            log_entries.iter().all(|e| e.trim_start_matches("./").starts_with("logs")),
            "{log_entries:?}"
        );
        let toml = r["artifacts_toml"].as_str().unwrap();
        assert!(toml.contains(r["tarball"]["git_tree_sha1"].as_str().unwrap()), "{toml}");
        assert!(toml.contains(r["tarball"]["sha256"].as_str().unwrap()), "{toml}");
    }
    assert_eq!(
        a["tarball"]["sha256"], b["tarball"]["sha256"],
        "two builds, two different tarballs"
    );
    assert_eq!(a["tarball"]["git_tree_sha1"], b["tarball"]["git_tree_sha1"]);
    // The printed tree hash is what `repro hash` computes for the tarball.
    let hashed = repro()
        .args(["hash", "--json"])
        .arg(a["tarball"]["path"].as_str().unwrap())
        .output()
        .unwrap();
    if hashed.status.success() {
        let text = String::from_utf8_lossy(&hashed.stdout);
        assert!(text.contains(a["tarball"]["git_tree_sha1"].as_str().unwrap()), "{text}");
    }
    assert_no_containers(&run);
}

#[test]
fn the_build_environment_follows_binarybuilder() {
    if !pinned_image_or_skip("the_build_environment_follows_binarybuilder") {
        return;
    }
    let run = run_id("env");
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    build_cmd(&run, &data("build/env/recipe.toml"), &tmp.path().join("out"))
        .arg("--keep-work")
        .arg(&work)
        .assert()
        .success()
        .stdout(predicates::str::contains("EnvProbe.v2.1.0.x86_64-linux-gnu.tar.gz"));
    let read = |f: &str| {
        std::fs::read_to_string(work.join("prefix/share/env").join(f)).unwrap().trim().to_owned()
    };
    assert_eq!(read("pwd"), "/workspace/srcdir");
    assert_eq!(read("hostname"), "repro");
    assert_eq!(read("user"), "root");
    assert_eq!(read("umask"), "0022");
    assert_eq!(read("tz"), "UTC");
    assert!(read("shell-flags").contains('e'), "the script runs with bash -e");
    let env = read("environment");
    for line in [
        "WORKSPACE=/workspace",
        "prefix=/workspace/destdir",
        "bindir=/workspace/destdir/bin",
        "libdir=/workspace/destdir/lib",
        "includedir=/workspace/destdir/include",
        "target=x86_64-linux-gnu",
        "bb_target=x86_64-linux-gnu",
        "SRC_NAME=EnvProbe",
        "SOURCE_DATE_EPOCH=0",
        "ZERO_AR_DATE=1",
        "CC=cc",
        "CXX=c++",
        "TZ=UTC",
        "LANG=C.UTF-8",
        "HOME=/root",
        "USER=root",
    ] {
        assert!(env.lines().any(|l| l == line), "missing {line} in:\n{env}");
    }
    assert!(env.lines().any(|l| l.starts_with("nproc=")), "{env}");
    assert!(!env.contains("LD_PRELOAD"), "no preload in the control environment:\n{env}");
    // The helpers.
    assert_eq!(read("greet-output"), "patched greeting", "atomic_patch applied the patch");
    assert_eq!(read("second-patch"), "refused", "atomic_patch refuses an applied patch");
    assert!(read("second-patch.err").contains("already applied"));
    assert_eq!(read("config-guess"), "updated");
    assert_eq!(read("toolchains"), "present");
    let lic = work.join("prefix/share/licenses/EnvProbe/LICENSE");
    assert!(lic.is_file(), "install_license wrote {lic:?}");
    // The log sits at logs/<name>/<name>.log in the prefix and holds the script's output.
    let log = std::fs::read_to_string(work.join("prefix/logs/EnvProbe/EnvProbe.log")).unwrap();
    assert!(log.contains("atomic_patch: applying fix.patch"), "{log}");
    let logs_tgz = tmp.path().join("out/EnvProbe-logs.v2.1.0.x86_64-linux-gnu.tar.gz");
    let in_tgz =
        tar_gz_file(&logs_tgz, "logs/EnvProbe/EnvProbe.log").expect("log in the logs tarball");
    assert_eq!(in_tgz, log);
    assert_no_containers(&run);
}

#[test]
fn a_failing_script_shows_the_log_tail_and_leaves_no_container() {
    if !pinned_image_or_skip("a_failing_script_shows_the_log_tail_and_leaves_no_container") {
        return;
    }
    let run = run_id("fail");
    let tmp = tempfile::tempdir().unwrap();
    let out =
        build_cmd(&run, &data("build/fail/recipe.toml"), &tmp.path().join("out")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exited with code 1"), "{err}");
    assert!(err.contains("the last words before failing"), "{err}");
    assert!(err.contains("this line goes to stderr"), "{err}");
    assert!(!err.contains("never printed"), "{err}");
    assert!(!tmp.path().join("out/Fails.v1.0.0.x86_64-linux-gnu.tar.gz").exists());
    assert_no_containers(&run);
}

#[test]
fn a_build_cannot_reach_the_network() {
    if !pinned_image_or_skip("a_build_cannot_reach_the_network") {
        return;
    }
    let run = run_id("net");
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    build_cmd(&run, &data("build/network/recipe.toml"), &tmp.path().join("out"))
        .arg("--keep-work")
        .arg(&work)
        .assert()
        .success();
    let result = std::fs::read_to_string(work.join("prefix/share/net.txt")).unwrap();
    assert!(result.contains("dns: unreachable"), "{result}");
    assert!(result.contains("tcp: unreachable"), "{result}");
    assert!(result.contains("interfaces: lo\n"), "only the loopback interface: {result}");
    assert_no_containers(&run);
}

#[test]
fn a_timeout_kills_the_build_and_removes_the_container() {
    if !pinned_image_or_skip("a_timeout_kills_the_build_and_removes_the_container") {
        return;
    }
    let run = run_id("timeout");
    let tmp = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let out = build_cmd(&run, &data("build/sleep/recipe.toml"), &tmp.path().join("out"))
        .args(["--timeout", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("timed out after 3 s"), "{err}");
    assert!(err.contains("going to sleep"), "the log tail is shown: {err}");
    // The script sleeps 600 s: it was stopped, not waited for.
    assert!(start.elapsed() < Duration::from_secs(300));
    assert_no_containers(&run);
}

#[test]
fn ctrl_c_stops_the_build_and_removes_the_container() {
    if !pinned_image_or_skip("ctrl_c_stops_the_build_and_removes_the_container") {
        return;
    }
    let run = run_id("sigint");
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("repro");
    let mut child = Command::new(bin)
        .env("REPRO_RUN_ID", &run)
        .env("NO_COLOR", "1")
        .arg("build")
        .arg(data("build/sleep/recipe.toml"))
        .arg("--out")
        .arg(tmp.path().join("out"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the build's container runs.
    let deadline = Instant::now() + Duration::from_secs(120);
    while containers_of(&run).is_empty() {
        assert!(Instant::now() < deadline, "the build never started a container");
        assert!(child.try_wait().unwrap().is_none(), "repro exited before the build started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = crate::support::interrupt_and_wait(&mut child);
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_no_containers(&run);
}

#[test]
fn a_tool_error_after_the_run_removes_the_container() {
    if !pinned_image_or_skip("a_tool_error_after_the_run_removes_the_container") {
        return;
    }
    let run = run_id("toolerr");
    let tmp = tempfile::tempdir().unwrap();
    let out = build_cmd(&run, &data("build/nodest/recipe.toml"), &tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/workspace/destdir"),
        "the error names what could not be downloaded: {err}"
    );
    assert_no_containers(&run);
}

#[test]
fn a_missing_product_is_named() {
    if !pinned_image_or_skip("a_missing_product_is_named") {
        return;
    }
    let run = run_id("product");
    let tmp = tempfile::tempdir().unwrap();
    let out = build_cmd(&run, &data("build/missing-product/recipe.toml"), &tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`not_built`") && err.contains("bin/not_built"), "{err}");
    assert!(!err.contains("`greet`"), "only the missing product is named: {err}");
    assert_no_containers(&run);
}

#[test]
fn an_image_that_does_not_match_the_pin_is_refused() {
    if !pinned_image_or_skip("an_image_that_does_not_match_the_pin_is_refused") {
        return;
    }
    let run = run_id("pin");
    let tmp = tempfile::tempdir().unwrap();
    let lock = std::fs::read_to_string(repo_root().join("docker/image.lock")).unwrap();
    let real = lock
        .lines()
        .find_map(|l| l.strip_prefix("rootfs_sha256 = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("rootfs_sha256 in the lock")
        .to_owned();
    let fake = "0".repeat(64);
    let fake_lock = tmp.path().join("image.lock");
    std::fs::write(&fake_lock, lock.replace(&real, &fake)).unwrap();
    let out = build_cmd(&run, &hello_recipe(), &tmp.path().join("out"))
        .env("REPRO_IMAGE_LOCK", &fake_lock)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match the pin"), "{err}");
    assert!(err.contains(&format!("expected rootfs sha256:{fake}")), "{err}");
    assert!(err.contains(&format!("found    rootfs sha256:{real}")), "{err}");
    assert!(err.contains("repro image build"), "says how to rebuild: {err}");
    assert!(containers_of(&run).is_empty(), "no container was created");
}

#[test]
fn an_unreachable_daemon_gives_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let sock = tmp.path().join("no-docker.sock");
    let out = repro()
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .arg("build")
        .arg(hello_recipe())
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DOCKER_HOST"), "{err}");
    assert!(err.contains(&sock.display().to_string()), "names the socket: {err}");
    assert_eq!(err.matches("error:").count(), 1, "one error: {err}");
}

/// Many recipes in one `repro build`: every job runs to its end, the summary counts them, and
/// the exit code is an error when one failed. With no Docker daemon (a socket that does not
/// exist) every build fails the same way, so this runs anywhere.
#[test]
fn build_of_many_recipes_reports_every_job_and_exits_with_an_error_when_one_failed() {
    let t = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = t.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let ok = "version = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]\nscript = \"true\"\n";
    write("r/one/recipe.toml", &format!("name = \"one\"\n{ok}"));
    write("r/two/recipe.toml", &format!("name = \"two\"\n{ok}"));
    write("r/bad/recipe.toml", "name = 3\n");
    let nowhere = format!("unix://{}", t.path().join("no-docker.sock").display());
    let out = repro()
        .env("DOCKER_HOST", &nowhere)
        .arg("build")
        .arg(t.path().join("r"))
        .args(["--platform", "x86_64-linux-gnu,aarch64-linux-gnu", "--jobs", "2", "--out"])
        .arg(t.path().join("products"))
        .output()
        .unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("5 jobs: 0 built, 5 failed, 0 cancelled"), "{stdout}\n{stderr}");
    for id in ["one-x86_64-linux-gnu", "one-aarch64-linux-gnu", "two-aarch64-linux-gnu"] {
        assert!(stderr.contains(&format!("{id}: failed")), "progress line of {id}: {stderr}");
    }
    assert!(stderr.contains("bad/recipe.toml"), "the unreadable recipe is named: {stderr}");

    let out = repro()
        .env("DOCKER_HOST", &nowhere)
        .arg("build")
        .arg(t.path().join("r/one"))
        .arg(t.path().join("r/two"))
        .args(["--json", "--out"])
        .arg(t.path().join("products"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let jobs = v.as_array().unwrap();
    let ids: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["one-x86_64-linux-gnu", "two-x86_64-linux-gnu"]);
    assert!(jobs.iter().all(|j| j["outcome"] == "failed" && j["error"].is_string()), "{v:#}");
}
