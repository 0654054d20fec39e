//! Shared test harness.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `repro` binary under test.
pub fn repro() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("repro").expect("repro binary");
    cmd.env_remove("REPRO_CACHE").env_remove("REPRO_MIRROR").env("NO_COLOR", "1");
    cmd
}

/// Repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// A path under `tests/data`.
pub fn data(rel: &str) -> PathBuf {
    repo_root().join("tests/data").join(rel)
}

/// True when a Docker daemon answers. With `CI` set a missing daemon panics (tests must not skip
/// in CI); otherwise prints a loud skip message and returns false.
pub fn docker_or_skip(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: no Docker daemon answers, and CI is set: Docker tests must run in CI");
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: no Docker daemon answers (set CI=1 to make this fail) !!!!!\n"
    );
    false
}

/// Ids of containers carrying repro's label (to check that none are left behind).
pub fn repro_containers() -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=io.repro.managed"])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

/// Ids of containers of one run (`REPRO_RUN_ID=<run_id>` given to the repro process).
pub fn run_containers(run_id: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label=io.repro.run={run_id}")])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

/// Exit code and JSON report of a finished `repro ... --json -` run; panics with its output
/// when stdout is not a report.
pub fn json_report(out: &std::process::Output) -> (i32, serde_json::Value) {
    let code = out.status.code().expect("exit code");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); exit {code}\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// Sends SIGINT to `child` and waits (at most a minute) for it to exit.
pub fn interrupt_and_wait(child: &mut std::process::Child) -> std::process::ExitStatus {
    signal_and_wait(child, "INT")
}

/// Sends `SIG<signal>` to `child` and waits (at most a minute) for it to exit.
pub fn signal_and_wait(child: &mut std::process::Child, signal: &str) -> std::process::ExitStatus {
    use std::time::{Duration, Instant};
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("repro did not stop after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
