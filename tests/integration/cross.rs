//! Cross targets end to end, each in its family's pinned toolchain image (built by `cargo xtask
//! test` in CI, `repro image build --family F` elsewhere):
//! - `recipes/hello` for `x86_64-linux-musl`: both builds pass the product architecture check
//!   (musl's loader, not glibc's) and the report carries the target's environment;
//! - the real `recipes/ogg` for a Linux cross target (`aarch64-linux-gnu`) and a Windows target
//!   (`x86_64-w64-mingw32`) in one check: one verdict per platform, and the products are built
//!   for the target (ELF machine, PE machine);
//! - a cross build that runs a program built with the host compiler (`CC_FOR_BUILD`).

use std::path::Path;

use crate::support::{docker_or_skip, json_report, repo_root, repro};

/// True when the pinned image of `family` is loaded. When `REPRO_TEST_CROSS` (what `cargo xtask
/// test` sets in CI) names the family, a missing image fails the test; otherwise it skips loudly.
fn family_image_or_skip(test: &str, family: &str) -> bool {
    if !docker_or_skip(test) {
        return false;
    }
    let out = repro().args(["image", "verify", "--family", family]).output().unwrap();
    if out.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    if std::env::var("REPRO_TEST_CROSS").is_ok_and(|v| v.split(',').any(|f| f == family)) {
        panic!("{test}: REPRO_TEST_CROSS names {family} but its image is not loaded:\n{why}");
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: the {family} toolchain image is not loaded (`repro image build --family {family}`) !!!!!\n"
    );
    false
}

#[test]
fn hello_checks_reproducible_for_x86_64_linux_musl() {
    if !family_image_or_skip("hello_checks_reproducible_for_x86_64_linux_musl", "musl") {
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

/// The ELF `e_machine` of a file, or the PE `Machine` of a DLL/EXE (`None` for anything else).
fn machine(path: &Path) -> Option<(&'static str, u16)> {
    let b = std::fs::read(path).ok()?;
    let u16_at = |o: usize| b.get(o..o + 2).map(|x| u16::from_le_bytes([x[0], x[1]]));
    if b.starts_with(b"\x7fELF") {
        return Some(("elf", u16_at(18)?));
    }
    if b.starts_with(b"MZ") {
        let pe = u32::from_le_bytes(b.get(0x3c..0x40)?.try_into().ok()?) as usize;
        if b.get(pe..pe + 4)? == b"PE\0\0" {
            return Some(("pe", u16_at(pe + 4)?));
        }
    }
    None
}

/// Runs `repro check ARGS... --jobs 2` with a private source cache, keeping the builds and
/// writing the batch report; asserts exit 0 and returns the work directory (kept alive), the
/// kept builds' directory and the batch report.
fn check_batch<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
) -> (tempfile::TempDir, std::path::PathBuf, serde_json::Value) {
    let work = tempfile::tempdir().unwrap();
    let (keep, batch) = (work.path().join("keep"), work.path().join("batch.json"));
    let out = repro()
        .arg("check")
        .args(args)
        .arg("--cache")
        .arg(work.path().join("cache"))
        .args(["--jobs", "2", "--keep"])
        .arg(&keep)
        .arg("--json")
        .arg(&batch)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v = serde_json::from_slice(&std::fs::read(&batch).unwrap()).unwrap();
    (work, keep, v)
}

#[test]
fn ogg_checks_for_a_linux_cross_and_a_windows_target() {
    const T: &str = "ogg_checks_for_a_linux_cross_and_a_windows_target";
    if !family_image_or_skip(T, "linux-cross") || !family_image_or_skip(T, "mingw") {
        return;
    }
    let Some(dir) = crate::real::recipe_or_skip(T, "ogg") else { return };
    let mirror = crate::real::mirror_dir();
    let (_work, keep, v) = check_batch(&[
        dir.as_os_str(),
        "--platform".as_ref(),
        "aarch64-linux-gnu".as_ref(),
        "--platform".as_ref(),
        "x86_64-w64-mingw32".as_ref(),
        "--mirror".as_ref(),
        mirror.as_os_str(),
    ]);
    let jobs = v["jobs"].as_array().unwrap();
    let mut platforms: Vec<&str> = jobs.iter().map(|j| j["platform"].as_str().unwrap()).collect();
    platforms.sort_unstable();
    assert_eq!(platforms, ["aarch64-linux-gnu", "x86_64-w64-mingw32"], "{v:#}");
    for j in jobs {
        assert_eq!(j["outcome"], "reproducible", "{j:#}");
    }
    // The products are the target's: an aarch64 shared object (EM_AARCH64 = 183) and an x86-64
    // DLL in bin/ (IMAGE_FILE_MACHINE_AMD64 = 0x8664), in both builds.
    let expected = [
        ("aarch64-linux-gnu", "lib/libogg.so.0.8.5", ("elf", 183)),
        ("x86_64-w64-mingw32", "bin/libogg-0.dll", ("pe", 0x8664)),
    ];
    for (platform, file, arch) in expected {
        let job = jobs.iter().find(|j| j["platform"] == platform).unwrap();
        for side in ["control", "experiment"] {
            let path = keep.join(job["id"].as_str().unwrap()).join(side).join("prefix").join(file);
            assert_eq!(machine(&path), Some(arch), "{}", path.display());
        }
    }
}

/// A cross build that compiles and runs a generator with the build machine's compiler
/// (`CC_FOR_BUILD`), as libgpg-error, libgcrypt and nettle do: the host compiler must assemble
/// and link with the host's binutils although the target's `as` and `ld` come first on `PATH`
/// (regression: `as: unrecognized option '--64'` on aarch64, a PE `ld` refusing ELF objects on
/// Windows). The library it then builds is the target's. And a libtool DLL for Windows that
/// names a compiler runtime library (`-lssp`, as opus does) is built as a DLL: libtool finds
/// the runtime's import library (regression: it built a static library only).
#[test]
fn cross_toolchain_quirks_of_real_builds() {
    const T: &str = "cross_toolchain_quirks_of_real_builds";
    if !family_image_or_skip(T, "linux-cross") || !family_image_or_skip(T, "mingw") {
        return;
    }
    let (_work, keep, v) = check_batch(&[
        repo_root().join("tests/data/cross/hosttool").into_os_string(),
        repo_root().join("tests/data/cross/libtool-deplib").into_os_string(),
        "--platform".into(),
        "all".into(),
    ]);
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 3, "{v:#}");
    let expected = [
        ("hosttool", "aarch64-linux-gnu", "lib/libanswer.so", ("elf", 183)),
        ("hosttool", "x86_64-w64-mingw32", "bin/libanswer.dll", ("pe", 0x8664)),
        ("ltdeplib", "x86_64-w64-mingw32", "bin/libanswer-0.dll", ("pe", 0x8664)),
    ];
    for (recipe, platform, file, arch) in expected {
        let job = jobs
            .iter()
            .find(|j| j["recipe"] == recipe && j["platform"] == platform)
            .unwrap_or_else(|| panic!("no job {recipe} {platform}: {v:#}"));
        assert_eq!(job["outcome"], "reproducible", "{job:#}");
        let path = keep.join(job["id"].as_str().unwrap()).join("control/prefix").join(file);
        assert_eq!(machine(&path), Some(arch), "{}", path.display());
    }
}
