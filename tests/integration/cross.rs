//! A cross target end to end: `recipes/hello` checked for `x86_64-linux-musl` in the pinned musl
//! toolchain image (built by `cargo xtask test` in CI, `repro image build --family musl`
//! elsewhere): both builds pass the product architecture check (musl's loader, not glibc's) and
//! the report carries the target's environment.

use crate::support::{docker_or_skip, json_report, repo_root, repro};

/// True when the musl family's pinned image is loaded. Under `REPRO_TEST_CROSS=musl` (what
/// `cargo xtask test` sets in CI) a missing image fails the test; otherwise it skips loudly.
fn musl_image_or_skip(test: &str) -> bool {
    if !docker_or_skip(test) {
        return false;
    }
    let out = repro().args(["image", "verify", "--family", "musl"]).output().unwrap();
    if out.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    if std::env::var("REPRO_TEST_CROSS").is_ok_and(|v| v.split(',').any(|f| f == "musl")) {
        panic!("{test}: REPRO_TEST_CROSS=musl but the musl image is not loaded:\n{why}");
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: the musl toolchain image is not loaded (`repro image build --family musl`) !!!!!\n"
    );
    false
}

#[test]
fn hello_checks_reproducible_for_x86_64_linux_musl() {
    if !musl_image_or_skip("hello_checks_reproducible_for_x86_64_linux_musl") {
        return;
    }
    let keep = tempfile::tempdir().unwrap();
    let kept = keep.path().join("k");
    let out = repro()
        .arg("check")
        .arg(repo_root().join("recipes/hello"))
        .args(["--platform", "x86_64-linux-musl", "--json", "-", "--keep"])
        .arg(&kept)
        .output()
        .unwrap();
    let (code, report) = json_report(&out);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let builds = report["check"]["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 2);
    for b in builds {
        assert_eq!(b["environment"]["target"], "x86_64-linux-musl");
        assert_eq!(b["environment"]["bb_full_target"], "x86_64-linux-musl");
    }
    // The executable asks for musl's dynamic loader: it was built by the musl toolchain.
    let exe = std::fs::read(kept.join("control/prefix/bin/hello")).unwrap();
    let has = |needle: &[u8]| exe.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"ld-musl-x86_64.so.1"), "bin/hello is not linked against musl");
    assert!(!has(b"ld-linux-x86-64.so.2"), "bin/hello uses glibc's loader");
}
