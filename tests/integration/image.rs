//! Integration tests for `repro image`: the pinned build image in the real Docker daemon.

use std::path::PathBuf;

use crate::build::pinned_image_or_skip;
use crate::support::{repo_root, repro};

fn lock_text() -> String {
    std::fs::read_to_string(repo_root().join("docker/image.lock")).expect("docker/image.lock")
}

fn lock_field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{key} in the lock"))
        .to_owned()
}

/// A copy of the lock with `key`'s value replaced.
fn altered_lock(dir: &std::path::Path, key: &str, value: &str) -> PathBuf {
    let text = lock_text();
    let old = lock_field(&text, key);
    let p = dir.join("image.lock");
    std::fs::write(&p, text.replace(&old, value)).unwrap();
    p
}

#[test]
fn the_committed_lock_is_valid_and_complete() {
    let text = lock_text();
    let rootfs = lock_field(&text, "rootfs_sha256");
    assert_eq!(rootfs.len(), 64);
    assert!(lock_field(&text, "image_id").starts_with("sha256:"));
    for pkg in
        ["build-essential", "cmake", "meson", "ninja-build", "faketime", "locales", "patchelf"]
    {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{pkg} = "))),
            "{pkg} pinned in the lock"
        );
    }
}

#[test]
fn verify_accepts_the_pinned_image() {
    if !pinned_image_or_skip("verify_accepts_the_pinned_image") {
        return;
    }
    let text = lock_text();
    let out = repro().args(["image", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&lock_field(&text, "image_id")), "{stdout}");
    assert!(stdout.contains(&lock_field(&text, "rootfs_sha256")), "{stdout}");
    assert!(stdout.contains("matches the pin"), "{stdout}");

    let out = repro().args(["image", "verify", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["found"]["rootfs_sha256"], v["expected"]["rootfs_sha256"]);
}

#[test]
fn verify_reports_expected_and_found_when_the_image_differs_from_the_pin() {
    if !pinned_image_or_skip(
        "verify_reports_expected_and_found_when_the_image_differs_from_the_pin",
    ) {
        return;
    }
    let real = lock_field(&lock_text(), "rootfs_sha256");
    let tmp = tempfile::tempdir().unwrap();
    let fake = "f".repeat(64);
    let lock = altered_lock(tmp.path(), "rootfs_sha256", &fake);
    let out = repro().args(["image", "verify", "--lock"]).arg(&lock).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("expected image") && stdout.contains(&fake), "{stdout}");
    assert!(stdout.contains(&format!("rootfs sha256:{real}")), "found is shown: {stdout}");
    assert!(stdout.contains("MISMATCH"), "{stdout}");
    assert!(stdout.contains("repro image build"), "says how to rebuild: {stdout}");

    // A pin whose image ID is not loaded at all: our loaded image is reported as found.
    let tmp2 = tempfile::tempdir().unwrap();
    let lock = altered_lock(tmp2.path(), "image_id", &format!("sha256:{}", "e".repeat(64)));
    let out = repro()
        .env("REPRO_IMAGE_LOCK", &lock)
        .args(["image", "verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "mismatch");
    assert_eq!(v["found"]["rootfs_sha256"], real.as_str());
}

#[test]
fn ls_marks_the_pinned_image() {
    if !pinned_image_or_skip("ls_marks_the_pinned_image") {
        return;
    }
    let id = lock_field(&lock_text(), "image_id");
    let out = repro().args(["image", "ls", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pinned: Vec<_> = v.as_array().unwrap().iter().filter(|i| i["id"] == id.as_str()).collect();
    assert_eq!(pinned.len(), 1, "{v}");
    assert_eq!(pinned[0]["matches_pin"], true);
    let tag = format!("repro-build:{}", &id["sha256:".len().."sha256:".len() + 12]);
    assert!(pinned[0]["tags"].as_array().unwrap().iter().any(|t| t == tag.as_str()), "{v}");

    let out = repro().args(["image", "ls"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l.contains(&tag) && l.contains("matches the pin")), "{text}");
}

#[test]
fn image_build_does_nothing_when_the_pinned_image_is_loaded() {
    if !pinned_image_or_skip("image_build_does_nothing_when_the_pinned_image_is_loaded") {
        return;
    }
    let out = repro().args(["image", "build"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("already loaded"), "{stdout}");
    // Nothing was built: mmdebstrap never ran.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("mmdebstrap"));
}

#[test]
fn image_commands_without_a_daemon_give_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let sock = tmp.path().join("absent.sock");
    let out = repro()
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .args(["image", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DOCKER_HOST") && err.contains(&sock.display().to_string()), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

/// Rebuilds the rootfs (about two minutes, needs the Debian mirror) against a lock whose digest
/// and package versions were altered: the tool must list the package changes and refuse to load.
/// Runs only with `REPRO_TEST_IMAGE_REBUILD=1` (`cargo xtask test` sets it under `CI`).
#[test]
fn a_rebuilt_rootfs_that_differs_from_the_lock_lists_package_changes() {
    if std::env::var_os("REPRO_TEST_IMAGE_REBUILD").is_none() {
        eprintln!(
            "skipped: set REPRO_TEST_IMAGE_REBUILD=1 to rebuild the rootfs (about two minutes)"
        );
        return;
    }
    if !crate::support::docker_or_skip(
        "a_rebuilt_rootfs_that_differs_from_the_lock_lists_package_changes",
    ) {
        return;
    }
    let text = lock_text();
    let bash = text.lines().find(|l| l.starts_with("bash = ")).expect("bash pinned").to_owned();
    let altered = text
        .replace(&lock_field(&text, "rootfs_sha256"), &"a".repeat(64))
        .replace(&bash, "bash = \"0.0-old\"\nnot-a-real-package = \"1.0\"");
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("image.lock");
    std::fs::write(&lock, altered).unwrap();
    let out = repro()
        .args(["image", "build", "--force", "--lock"])
        .arg(&lock)
        .arg("--work-dir")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("~ bash 0.0-old -> "), "{err}");
    assert!(err.contains("- not-a-real-package 1.0"), "{err}");
    assert!(err.contains("--update-lock"), "{err}");
    assert!(std::fs::read_to_string(&lock).unwrap().contains("0.0-old"), "lock untouched");
}
