//! The installed binary does not need the source checkout: `cargo install` it, then run it from
//! an unrelated directory with a copy of the binary only (the image definition and every pin are
//! compiled in). Costs one extra build of the binary's dependency set the first time, so it runs
//! under `CI` or with `REPRO_TEST_INSTALL=1` and skips loudly otherwise; it reuses the test's
//! target directory, so later runs take a second.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{docker_or_skip, repo_root};

/// The target directory the tests were built in (`<target>/debug/deps/integration-*`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap();
        exe.ancestors().nth(3).expect("target/debug/deps/exe").to_path_buf()
    })
}

#[test]
fn installed_binary_runs_without_the_checkout() {
    if std::env::var_os("CI").is_none() && std::env::var_os("REPRO_TEST_INSTALL").is_none() {
        eprintln!(
            "\n!!!!! SKIPPED installed_binary_runs_without_the_checkout: set REPRO_TEST_INSTALL=1 (runs under CI) !!!!!\n"
        );
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["install", "--debug", "--locked", "--offline", "--path"])
        .arg(repo_root().join("crates/repro-cli"))
        .arg("--root")
        .arg(root.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .status()
        .unwrap();
    assert!(st.success(), "cargo install failed");
    // Only the binary, in a directory unrelated to the checkout.
    let elsewhere = tempfile::tempdir().unwrap();
    let bin = elsewhere.path().join("repro");
    std::fs::copy(root.path().join("bin/repro"), &bin).unwrap();
    let run = |args: &[&str]| {
        Command::new(&bin)
            .args(args)
            .current_dir(elsewhere.path())
            .env_remove("CARGO_MANIFEST_DIR")
            .env_remove("REPRO_IMAGE_LOCK")
            .output()
            .unwrap()
    };
    let out = run(&["platforms"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("x86_64-linux-gnu") && stdout.contains("buildable"), "{stdout}");
    if docker_or_skip("installed_binary_runs_without_the_checkout (image ls)") {
        let out = run(&["image", "ls"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("docker/"), "looked for the checkout: {stderr}");
    }
}
