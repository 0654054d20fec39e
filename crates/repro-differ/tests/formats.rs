//! Comparator tests on generated fixture pairs (single files through the public API).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a terminal tool or test harness; libraries never print

use std::io::Write;
use std::path::Path;
use std::process::Command;

use repro_differ::{CompareOptions, DiffLimits, compare_single_files};
use repro_events::null_sink;
use repro_normalizer::{NormalizeOptions, Normalizer};
use repro_report::{CauseKind, FileReport, Report, Status};

fn diff_bytes_with(a: &[u8], b: &[u8], opts: &CompareOptions) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&pa, a).unwrap();
    std::fs::write(&pb, b).unwrap();
    compare_single_files(&pa, &pb, "f", &Normalizer::raw(), opts, &null_sink()).unwrap()
}

fn diff_bytes(a: &[u8], b: &[u8]) -> Report {
    diff_bytes_with(a, b, &CompareOptions::default())
}

fn file(r: &Report) -> &FileReport {
    assert_eq!(r.files.len(), 1, "{r:#?}");
    &r.files[0]
}

fn causes(f: &FileReport) -> Vec<CauseKind> {
    f.causes.iter().map(|c| c.cause).collect()
}

fn all_text(f: &FileReport) -> String {
    serde_json::to_string(f).unwrap()
}

fn gzip(data: &[u8], mtime: u32) -> Vec<u8> {
    let mut e =
        flate2::GzBuilder::new().mtime(mtime).write(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn tar(members: &[(&str, &[u8], u64)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data, mtime) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(*mtime);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn identical_files() {
    let r = diff_bytes(b"same", b"same");
    assert!(r.files.is_empty());
    assert_eq!(r.summary.identical, 1);
    assert!(r.is_reproducible());
}

#[test]
fn text_one_line_changed_unified_diff() {
    let a = b"one\ntwo\nthree\nfour\n";
    let b = b"one\ntwo\nTHREE\nfour\n";
    let r = diff_bytes(a, b);
    let f = file(&r);
    assert_eq!(f.status, Status::Differs);
    assert_eq!(f.format.as_deref(), Some("text"));
    let d = f.details[0].unified_diff.as_deref().unwrap();
    assert!(d.contains("-three\n+THREE\n"), "{d}");
    assert!(d.starts_with("@@ -1,4 +1,4 @@"), "{d}");
    assert!(!r.is_reproducible());
}

#[test]
fn epoch_and_date_macro_timestamps_with_offset() {
    let a = b"version 1.0\nbuilt at 1764151200\n";
    let b = b"version 1.0\nbuilt at 1764154800\n";
    let r = diff_bytes(a, b);
    let f = file(&r);
    let c = f.causes.iter().find(|c| c.cause == CauseKind::Timestamps).expect("timestamps cause");
    assert_eq!(c.evidence.offset, Some(21), "{c:?}");

    // __DATE__/__TIME__ strings in a binary.
    let mut a = vec![0u8; 100];
    let mut b = vec![0u8; 100];
    a.extend_from_slice(b"Nov 26 2026\x0012:34:56\x00");
    b.extend_from_slice(b"Nov 27 2026\x0008:01:02\x00");
    a.extend_from_slice(&[1, 2, 3]);
    b.extend_from_slice(&[1, 2, 3]);
    let r = diff_bytes(&a, &b);
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("binary"));
    let c = f.causes.iter().find(|c| c.cause == CauseKind::Timestamps).expect("timestamps cause");
    assert_eq!(c.evidence.offset, Some(100));
    assert_eq!(c.evidence.text.as_deref(), Some("Nov 26 2026"));
    assert!(f.details[0].unified_diff.as_deref().unwrap().contains("00000060:"), "hexdump");
}

#[test]
fn build_path_cause() {
    let r = diff_bytes(
        b"#define SRCDIR \"/workspace/srcdir/foo-1\"\n",
        b"#define SRCDIR \"/workspace/srcdir/foo-2\"\n",
    );
    let f = file(&r);
    assert_eq!(causes(f), [CauseKind::BuildPath]);
    assert_eq!(f.causes[0].evidence.text.as_deref(), Some("/workspace/srcdir/foo-1"));
}

#[test]
fn hints_name_the_variation() {
    let opts = CompareOptions {
        hints: vec![("hostname".into(), "repro-exp-host".into())],
        ..CompareOptions::default()
    };
    let r = diff_bytes_with(b"host: repro-ctl-host\n", b"host: repro-exp-host\n", &opts);
    let f = file(&r);
    let c = f.causes.iter().find(|c| c.cause == CauseKind::Hostname).expect("hostname cause");
    assert_eq!(c.variation.as_deref(), Some("hostname"));
}

#[test]
fn reordered_lines_are_ordering_only() {
    let r = diff_bytes(b"alpha\nbeta\ngamma\n", b"gamma\nalpha\nbeta\n");
    let f = file(&r);
    assert_eq!(causes(f), [CauseKind::OrderingOnly]);
    assert_eq!(f.status, Status::Differs, "ordering still differs");
}

#[test]
fn gzip_header_mtime_only() {
    let r = diff_bytes(&gzip(b"payload\n", 1_700_000_000), &gzip(b"payload\n", 1_700_000_100));
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("gzip"));
    assert_eq!(causes(f), [CauseKind::TimestampsInGzipHeaders]);
    assert!(all_text(f).contains("header-only difference"), "{}", all_text(f));
}

#[test]
fn gzip_content_difference_recurses() {
    let r = diff_bytes(&gzip(b"x\nbuilt Nov 26 2026\n", 0), &gzip(b"x\nbuilt Nov 28 2026\n", 0));
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("gzip+text"));
    assert_eq!(causes(f), [CauseKind::Timestamps]);
    assert!(f.causes[0].evidence.location.as_deref().unwrap().contains("gzip content"));
}

#[test]
fn tar_member_mtime_only() {
    let r = diff_bytes(
        &tar(&[("a.txt", b"A", 1_700_000_000), ("b.txt", b"B", 5)]),
        &tar(&[("a.txt", b"A", 1_700_000_500), ("b.txt", b"B", 5)]),
    );
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("tar"));
    assert_eq!(causes(f), [CauseKind::TimestampsInTarball]);
    assert!(all_text(f).contains("tar header differences only"));
    assert!(f.causes[0].evidence.location.as_deref().unwrap().contains("member a.txt"));
}

#[test]
fn tar_member_order_and_content() {
    let r = diff_bytes(
        &tar(&[("a", b"A", 0), ("b", b"B", 0)]),
        &tar(&[("b", b"B", 0), ("a", b"A", 0)]),
    );
    assert_eq!(causes(file(&r)), [CauseKind::OrderingOnly]);
    // Nested: a member's text differs → the member is named and diffed.
    let r = diff_bytes(
        &tar(&[("doc/x.txt", b"one\ntwo\n", 0)]),
        &tar(&[("doc/x.txt", b"one\nthree\n", 0)]),
    );
    let t = all_text(file(&r));
    assert!(t.contains("member doc/x.txt [text]"), "{t}");
    assert!(t.contains("+three"), "{t}");
}

#[test]
fn ar_member_mtime_only() {
    let mk = |mtime: u64| {
        let mut b = ar::Builder::new(Vec::new());
        let mut h = ar::Header::new(b"foo.o".to_vec(), 3);
        h.set_mtime(mtime);
        h.set_mode(0o644);
        b.append(&h, &b"abc"[..]).unwrap();
        b.into_inner().unwrap()
    };
    let r = diff_bytes(&mk(1_700_000_000), &mk(1_700_000_001));
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("ar"));
    assert_eq!(causes(f), [CauseKind::TimestampsInStaticLibrary]);
    assert!(all_text(f).contains("ar header differences only"));
}

#[test]
fn zip_timestamps() {
    let mk = |minute: u8| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let t = zip::DateTime::from_date_and_time(2026, 11, 26, 12, minute, 0).unwrap();
        let o = zip::write::SimpleFileOptions::default().last_modified_time(t);
        w.start_file("META-INF/MANIFEST.MF", o).unwrap();
        w.write_all(b"Manifest-Version: 1.0\n").unwrap();
        w.finish().unwrap().into_inner()
    };
    let r = diff_bytes(&mk(1), &mk(2));
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("zip"));
    assert!(causes(f).contains(&CauseKind::TimestampsInZip), "{:?}", f.causes);
    assert!(all_text(f).contains("zip header differences only"));
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Compile `src` as `<dir>/<name>/prog.c` (same source name for both sides of a pair).
fn gcc(dir: &Path, name: &str, src: &str, extra: &[&str]) -> Vec<u8> {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("prog.c");
    std::fs::write(&c, src).unwrap();
    let out = dir.join("prog");
    let st = Command::new("gcc")
        .current_dir(&dir)
        .arg("-O1")
        .arg("-o")
        .arg(&out)
        .arg("prog.c")
        .args(extra)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(out).unwrap()
}

#[test]
fn elf_string_difference_names_sections() {
    if !have("gcc") {
        eprintln!("SKIPPED: gcc not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = |s: &str| format!("#include <stdio.h>\nint main(void){{puts(\"{s}\");return 0;}}\n");
    let id = ["-Wl,--build-id=none"];
    let a = gcc(d.path(), "a", &src("built Nov 26 2026 10:00:00"), &id);
    let b = gcc(d.path(), "b", &src("built Nov 27 2026 10:00:00"), &id);
    let r = diff_bytes(&a, &b);
    let f = file(&r);
    assert_eq!(f.format.as_deref(), Some("elf"));
    let t = all_text(f);
    assert!(t.contains("section .rodata"), "{t}");
    let c = f.causes.iter().find(|c| c.cause == CauseKind::Timestamps).expect("timestamps");
    assert!(c.evidence.location.as_deref().unwrap().contains(".rodata"), "{c:?}");
}

#[test]
fn elf_build_id_only() {
    if !have("gcc") {
        eprintln!("SKIPPED: gcc not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let src = "int main(void){return 0;}\n";
    let a = gcc(d.path(), "a", src, &["-Wl,--build-id=0x0123456789abcdef0123456789abcdef01234567"]);
    let b = gcc(d.path(), "b", src, &["-Wl,--build-id=0xfedcba9876543210fedcba9876543210fedcba98"]);
    let r = diff_bytes(&a, &b);
    let f = file(&r);
    assert_eq!(causes(f), [CauseKind::BuildIdOnly]);
    assert_eq!(
        f.causes[0].evidence.text.as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
}

#[test]
fn corrupt_gzip_is_a_per_file_error() {
    let mut a = gzip(&vec![b'x'; 10_000], 0);
    let b = gzip(&vec![b'y'; 10_000], 0);
    let n = a.len();
    a[n / 2] ^= 0xff;
    a[n / 2 + 1] ^= 0xff;
    let r = diff_bytes(&a, &b);
    let f = file(&r);
    assert_eq!(f.status, Status::Differs);
    assert!(f.error.as_deref().unwrap().contains("gzip"), "{:?}", f.error);
    assert_eq!(r.summary.errors, 1);
}

#[test]
fn truncated_tar_is_a_per_file_error() {
    let full = tar(&[("a", &[1u8; 2000], 0), ("b", &[2u8; 2000], 0)]);
    let cut = &full[..1500];
    let r = diff_bytes(&full, cut);
    let f = file(&r);
    assert_eq!(f.status, Status::Differs);
    assert!(f.error.as_deref().unwrap().contains("tar"), "{:?}", f.error);
}

#[test]
fn traversal_member_is_reported() {
    let mk = |content: &[u8]| {
        let mut h = tar::Header::new_gnu();
        let name = b"../../etc/evil";
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        let mut b = tar::Builder::new(Vec::new());
        b.append(&h, content).unwrap();
        b.into_inner().unwrap()
    };
    let r = diff_bytes(&mk(b"one"), &mk(b"two"));
    let f = file(&r);
    assert!(f.error.as_deref().unwrap().contains("path traversal"), "{:?}", f.error);
    assert_eq!(f.status, Status::Differs);
}

#[test]
fn decompression_bomb_is_bounded() {
    let zeros = vec![0u8; 64 << 20];
    let a = gzip(&zeros, 0);
    let mut b = zeros.clone();
    b[1000] = 1;
    let b = gzip(&b, 0);
    let opts = CompareOptions {
        limits: DiffLimits { max_decompressed_bytes: 1 << 20, ..DiffLimits::default() },
        ..CompareOptions::default()
    };
    let r = diff_bytes_with(&a, &b, &opts);
    let f = file(&r);
    assert_eq!(f.status, Status::Differs, "never identical");
    assert!(f.error.as_deref().unwrap().contains("decompression bomb"), "{:?}", f.error);
    assert!(r.truncated.iter().any(|t| t.limit == "max_decompressed_bytes"), "{:?}", r.truncated);
}

#[test]
fn archive_depth_cap() {
    let mut a = b"inner a\n".to_vec();
    let mut b = b"inner b\n".to_vec();
    for _ in 0..6 {
        a = gzip(&a, 0);
        b = gzip(&b, 0);
    }
    let opts = CompareOptions {
        limits: DiffLimits { max_archive_depth: 3, ..DiffLimits::default() },
        ..CompareOptions::default()
    };
    let r = diff_bytes_with(&a, &b, &opts);
    assert_eq!(file(&r).status, Status::Differs);
    assert!(r.truncated.iter().any(|t| t.limit == "max_archive_depth"), "{:?}", r.truncated);
    // Deep enough: the text at the bottom is reached.
    let r = diff_bytes(&a, &b);
    assert!(all_text(file(&r)).contains("+inner b"));
}

#[test]
fn diff_line_cap_is_reported() {
    let a: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let b: String = (0..2000).map(|i| format!("LINE {i}\n")).collect();
    let opts = CompareOptions {
        limits: DiffLimits { max_diff_lines: 50, ..DiffLimits::default() },
        ..CompareOptions::default()
    };
    let r = diff_bytes_with(a.as_bytes(), b.as_bytes(), &opts);
    let f = file(&r);
    assert!(f.details[0].unified_diff.as_deref().unwrap().lines().count() <= 50);
    assert!(r.truncated.iter().any(|t| t.limit == "max_diff_lines"));
    assert_eq!(f.status, Status::Differs);
}

#[test]
fn random_bytes_cause() {
    let a: Vec<u8> = (0..64u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let b: Vec<u8> =
        (0..64u32).map(|i| (i.wrapping_mul(2_246_822_519) >> 11) as u8 | 0x80).collect();
    let mut fa = vec![0u8; 32];
    fa.extend(&a);
    let mut fb = vec![0u8; 32];
    fb.extend(&b);
    let r = diff_bytes(&fa, &fb);
    assert_eq!(causes(file(&r)), [CauseKind::Random]);
}

#[test]
fn user_rule_normalizes_only_its_scope() {
    let d = tempfile::tempdir().unwrap();
    let (pa, pb) = (d.path().join("a"), d.path().join("b"));
    std::fs::write(&pa, "1").unwrap();
    std::fs::write(&pb, "2").unwrap();
    let n = Normalizer::new(&NormalizeOptions {
        enabled: true,
        user_rules: vec![repro_recipe::IgnoreRule {
            name: "docs".into(),
            paths: vec!["share/*.txt".into()],
            reason: None,
        }],
        ignore_globs: vec![],
    })
    .unwrap();
    let o = CompareOptions::default();
    let r = compare_single_files(&pa, &pb, "share/x.txt", &n, &o, &null_sink()).unwrap();
    assert_eq!(r.files[0].status, Status::Normalized);
    assert!(r.is_reproducible());
    assert_eq!(r.normalizations[0].rule, "docs");
    assert_eq!(r.normalizations[0].paths, ["share/x.txt"]);
    let r = compare_single_files(&pa, &pb, "share/sub/x.txt", &n, &o, &null_sink()).unwrap();
    assert_eq!(r.files[0].status, Status::Differs);
    assert!(!r.is_reproducible());
}

#[test]
fn elf_build_path_in_debug_info_is_the_only_cause() {
    if !have("gcc") {
        eprintln!("SKIPPED: gcc not installed");
        return;
    }
    // The same source compiled with -g under two build paths of different lengths: DWARF
    // records the directory, and every later section shifts. Regression: the shifted offsets
    // and headers were read as `random` bytes or 1999 `timestamps`; the cause is the path, in
    // a string section.
    // Many compilation units, so that the shifted DWARF offsets come first in the file, as in a
    // real library.
    let d = tempfile::tempdir().unwrap();
    let build = |root: &Path| -> Vec<u8> {
        let dir = root.join("srcdir/pkg");
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = Vec::new();
        for i in 0..150 {
            let name = format!("unit{i}.c");
            std::fs::write(dir.join(&name), format!("int f{i}(int x) {{ return x * {i}; }}\n"))
                .unwrap();
            files.push(name);
        }
        let st = Command::new("gcc")
            .current_dir(&dir)
            .args(["-g", "-O1", "-shared", "-fPIC", "-Wl,--build-id=sha1", "-o", "libpkg.so"])
            .args(&files)
            .status()
            .unwrap();
        assert!(st.success());
        std::fs::read(dir.join("libpkg.so")).unwrap()
    };
    let a = build(&d.path().join("workspace"));
    let b = build(&d.path().join("build/i-capture-the-path"));
    let opts = CompareOptions {
        hints: vec![("build_path".into(), "/build/i-capture-the-path".into())],
        ..CompareOptions::default()
    };
    let r = diff_bytes_with(&a, &b, &opts);
    let f = file(&r);
    assert!(causes(f).iter().all(|c| *c == CauseKind::BuildPath), "{:#?}", f.causes);
    let c = &f.causes[0];
    assert_eq!(c.variation.as_deref(), Some("build_path"), "attributed cause first");
    assert!(c.evidence.location.as_deref().unwrap().contains(".debug"), "{c:?}");
}

/// Inputs found by the `differ_compare` fuzz target (docs/fuzzing.md), as the pair of files it
/// compared: each once panicked (`tests/data/fuzz/<name>.{a,b}`).
#[test]
fn fuzz_regressions_compare_without_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    for name in [
        // An ISO date cut off after the hour ("2026-11-27 10:" at the end of a differing
        // region): the cause scanner sliced past the end of the buffer.
        "iso-date-cut-after-hour",
        // An ELF section whose header declares offset + size beyond u64: adding them overflowed.
        "elf-section-range-overflow",
    ] {
        let a = std::fs::read(dir.join(format!("{name}.a"))).unwrap();
        let b = std::fs::read(dir.join(format!("{name}.b"))).unwrap();
        let r = diff_bytes(&a, &b);
        assert_eq!(file(&r).status, Status::Differs, "{name}");
        assert_eq!(r.verdict, repro_report::Verdict::Unreproducible, "{name}");
    }
}
