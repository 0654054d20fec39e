//! Integration tests for `repro diff`.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

use crate::support::repro;

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn prefix(root: &Path, version_line: &str) {
    write(root, "bin/hello", b"#!/bin/sh\necho hello\n");
    write(root, "share/hello/version.txt", version_line.as_bytes());
    write(root, "logs/hello.log.gz", version_line.as_bytes());
}

/// A .tar.gz of `members` (path, data) with the given mtime and uid for every member.
fn tarball(path: &Path, members: &[(&str, &[u8])], mtime: u64, uid: u64) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut b = tar::Builder::new(gz);
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_uid(uid);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

// The fields CI scripts rely on, as a consumer would declare them.
#[derive(Deserialize)]
struct JReport {
    schema: String,
    verdict: String,
    summary: JSummary,
    normalizations: Vec<JNorm>,
    files: Vec<JFile>,
    truncated: Vec<serde_json::Value>,
}
#[derive(Deserialize)]
struct JSummary {
    identical: u64,
    differs: u64,
    only_in_a: u64,
    only_in_b: u64,
    type_changed: u64,
    mode_changed: u64,
    symlink_changed: u64,
    normalized: u64,
}
#[derive(Deserialize)]
struct JNorm {
    rule: String,
    description: String,
    paths: Vec<String>,
}
#[derive(Deserialize)]
struct JFile {
    path: String,
    status: String,
    kind: String,
    size_a: Option<u64>,
    size_b: Option<u64>,
    sha256_a: Option<String>,
    sha256_b: Option<String>,
    causes: Vec<JCause>,
    #[allow(dead_code)]
    details: Vec<serde_json::Value>,
}
#[derive(Deserialize)]
struct JCause {
    cause: String,
    evidence: JEvidence,
}
#[derive(Deserialize)]
struct JEvidence {
    offset: Option<u64>,
    text: Option<String>,
}

fn json_report(args: &[&std::ffi::OsStr]) -> (JReport, i32) {
    let out = repro().arg("diff").args(args).args(["--json", "-"]).output().unwrap();
    let r: JReport = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (r, out.status.code().unwrap())
}

#[test]
fn identical_trees_exit_0() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    prefix(&a, "1.0\n");
    prefix(&b, "1.0\n");
    let out = repro().arg("diff").arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("verdict: reproducible\nsummary: "), "{s}");
    assert!(!s.contains("\x1b["), "no colour when not a TTY");
}

#[test]
fn differences_exit_1_and_json_fields() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    prefix(&a, "built 2026-11-26T10:00:00\n");
    prefix(&b, "built 2026-11-27T11:00:00\n");
    write(&a, "share/only-a", b"x");
    let (r, code) = json_report(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 1);
    assert_eq!(r.schema, "repro-report/1");
    assert_eq!(r.verdict, "unreproducible");
    assert_eq!(r.summary.differs, 1);
    assert_eq!(r.summary.only_in_a, 1);
    assert_eq!(
        r.summary.only_in_b
            + r.summary.type_changed
            + r.summary.mode_changed
            + r.summary.symlink_changed,
        0
    );
    assert_eq!(r.summary.normalized, 0);
    assert!(r.summary.identical >= 1);
    assert!(r.truncated.is_empty());
    let f = r.files.iter().find(|f| f.path == "share/hello/version.txt").unwrap();
    assert_eq!((f.status.as_str(), f.kind.as_str()), ("differs", "file"));
    assert_eq!((f.size_a, f.size_b), (Some(26), Some(26)));
    assert_eq!(f.sha256_a.as_ref().unwrap().len(), 64);
    assert_ne!(f.sha256_a, f.sha256_b);
    assert_eq!(f.causes[0].cause, "timestamps");
    assert_eq!(f.causes[0].evidence.offset, Some(6));
    assert_eq!(f.causes[0].evidence.text.as_deref(), Some("2026-11-26T10:00:00"));
    let logs = r.normalizations.iter().find(|n| n.rule == "logs").expect("logs rule");
    assert_eq!(logs.paths, ["logs", "logs/hello.log.gz"]);
    assert!(r.files.iter().all(|f| !f.path.starts_with("logs")));
}

#[test]
fn ignore_glob_stays_in_scope() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    prefix(&a, "1\n");
    prefix(&b, "2\n");
    let (r, code) = json_report(&[
        a.as_os_str(),
        b.as_os_str(),
        "--ignore".as_ref(),
        "share/hello/*.txt".as_ref(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(r.files[0].status, "normalized");
    assert!(r.normalizations.iter().any(|n| n.rule == "ignore:share/hello/*.txt" && n.paths == ["share/hello/version.txt"]));
    // Same difference one level deeper: out of scope.
    write(&b, "share/hello/sub/v.txt", b"new");
    let (r, code) = json_report(&[
        a.as_os_str(),
        b.as_os_str(),
        "--ignore".as_ref(),
        "share/hello/*.txt".as_ref(),
    ]);
    assert_eq!(code, 1);
    assert!(r.files.iter().any(|f| f.path == "share/hello/sub/v.txt" && f.status == "only_in_b"));
}

#[test]
fn no_normalize_shows_logs() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    prefix(&a, "1\n");
    prefix(&b, "1\n");
    write(&b, "logs/hello.log.gz", b"other");
    repro().arg("diff").arg(&a).arg(&b).assert().code(0);
    let (r, code) = json_report(&[a.as_os_str(), b.as_os_str(), "--no-normalize".as_ref()]);
    assert_eq!(code, 1);
    assert!(r.files.iter().any(|f| f.path == "logs/hello.log.gz"));
    assert!(r.normalizations.is_empty());
}

#[test]
fn tarballs_with_different_metadata() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("A.v1.0.0.x86_64-linux-gnu.tar.gz"), d.path().join("B.tar.gz"));
    let members: &[(&str, &[u8])] = &[("bin/x", b"#!/bin/sh\n"), ("share/y.txt", b"y\n")];
    tarball(&a, members, 1_700_000_000, 0);
    tarball(&b, members, 1_700_000_999, 1000);
    let (r, code) = json_report(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 0, "tar metadata is normalized");
    let tm =
        r.normalizations.iter().find(|n| n.rule == "tar-metadata").expect("tar-metadata listed");
    assert_eq!(tm.paths, ["bin/x", "share/y.txt"]);
    let (r, code) = json_report(&[a.as_os_str(), b.as_os_str(), "--no-normalize".as_ref()]);
    assert_eq!(code, 1);
    let f = r.files.iter().find(|f| f.path == "bin/x").unwrap();
    let causes: Vec<&str> = f.causes.iter().map(|c| c.cause.as_str()).collect();
    assert!(causes.contains(&"timestamps_in_tarball"), "{causes:?}");
    assert!(causes.contains(&"users_and_groups_in_tarball"), "{causes:?}");
}

#[test]
fn errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    std::fs::create_dir(&a).unwrap();
    let out = repro().arg("diff").arg(&a).arg(d.path().join("missing")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));

    // A tarball input whose member escapes the root is refused with a clear message.
    let evil = d.path().join("evil.tar");
    let mut h = tar::Header::new_gnu();
    let name = b"../escape";
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    h.set_size(1);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut b = tar::Builder::new(std::fs::File::create(&evil).unwrap());
    b.append(&h, &b"x"[..]).unwrap();
    b.into_inner().unwrap();
    let out = repro().arg("diff").arg(&evil).arg(&evil).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("escape"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!d.path().parent().unwrap().join("escape").exists());
}

#[test]
fn markdown_and_diffoscope_outputs() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    prefix(&a, "one\n");
    prefix(&b, "two\n");
    let md = d.path().join("r.md");
    let dj = d.path().join("r.json");
    repro()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .arg("--markdown")
        .arg(&md)
        .arg("--diffoscope-json")
        .arg(&dj)
        .assert()
        .code(1);
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("## repro: **unreproducible**"), "{md}");
    assert!(
        md.contains("<details><summary><code>share/hello/version.txt</code>: differs</summary>"),
        "{md}"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&dj).unwrap()).unwrap();
    assert_eq!(v["diffoscope-json-version"], 1);
    if Command::new("diffoscope").arg("--version").output().is_err() {
        eprintln!("SKIPPED diffoscope load: diffoscope not installed");
        return;
    }
    let out = Command::new("diffoscope")
        .arg("--load-existing-diff")
        .arg(&dj)
        .arg("--text")
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-one") && text.contains("+two"), "{text}");
    assert!(text.contains("share/hello/version.txt"), "{text}");
}

#[test]
fn recipe_normalize_rules() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    prefix(&a, "1\n");
    prefix(&b, "2\n");
    std::fs::create_dir(d.path().join("src")).unwrap();
    let recipe = d.path().join("recipe.toml");
    std::fs::write(
        &recipe,
        r#"name = "hello"
version = "1.0.0"
platforms = ["x86_64-linux-gnu"]
script = "true"

[[sources]]
directory = "src"

[[products]]
executable = "hello"

[[normalize.ignore]]
name = "version stamp"
paths = ["share/hello/version.txt"]
reason = "the stamp holds the build number"
"#,
    )
    .unwrap();
    let (r, code) =
        json_report(&[a.as_os_str(), b.as_os_str(), "--recipe".as_ref(), recipe.as_os_str()]);
    assert_eq!(code, 0);
    let n =
        r.normalizations.iter().find(|n| n.rule == "version stamp").expect("recipe rule listed");
    assert_eq!(n.paths, ["share/hello/version.txt"]);
    assert_eq!(n.description, "the stamp holds the build number");
    // Without the recipe the same pair differs.
    let (_, code) = json_report(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 1);
}

#[test]
fn junit_output_for_ci() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    write(&a, "share/x.txt", b"one\n");
    write(&b, "share/x.txt", b"two\n");
    write(&a, "share/same.txt", b"same\n");
    write(&b, "share/same.txt", b"same\n");
    let junit = d.path().join("report.xml");
    let out = repro().arg("diff").arg(&a).arg(&b).arg("--junit").arg(&junit).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains(r#"name="share/x.txt""#), "{xml}");
    assert!(xml.contains(r#"failures="2""#), "verdict + one file: {xml}");
    // The text report still goes to stdout when JUnit goes to a file.
    assert!(String::from_utf8_lossy(&out.stdout).contains("verdict: unreproducible"));
}

/// One raw tar member: name bytes written verbatim into the header.
fn raw_member(
    b: &mut tar::Builder<Vec<u8>>,
    name: &str,
    kind: tar::EntryType,
    mode: u32,
    data: &[u8],
    dev: (u32, u32),
) {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(data.len() as u64);
    h.set_mtime(1_700_000_000);
    h.set_device_major(dev.0).unwrap();
    h.set_device_minor(dev.1).unwrap();
    h.set_cksum();
    b.append(&h, data).unwrap();
}

/// A 20 GiB member declared in a tarball of a few hundred kilobytes is refused at once, by the
/// one bounded reader (no second, uncapped pass over the headers).
#[test]
fn decompression_bomb_fails_fast() {
    let d = tempfile::tempdir().unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_path("huge").unwrap();
    h.set_size(20 << 30);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(h.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..96 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = d.path().join("bomb.tar.bz2");
    std::fs::write(&bomb, e.finish().unwrap()).unwrap();
    let ok = d.path().join("ok.tar.gz");
    tarball(&ok, &[("huge", b"small")], 0, 0);
    let t = std::time::Instant::now();
    let out = repro().arg("diff").arg(&ok).arg(&bomb).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("decompression bomb"), "{err}");
    assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
}

/// A bit flip in a compressed tarball is a clear error, never a comparison of corrupt bytes.
#[test]
fn corrupt_stream_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let noise: Vec<u8> =
        (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    raw_member(&mut b, "data", tar::EntryType::Regular, 0o644, &noise, (0, 0));
    let tar = b.into_inner().unwrap();
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(&tar).unwrap();
    let good = e.finish().unwrap();
    let mut bad = good.clone();
    let at = bad.len() / 2;
    bad[at] ^= 4;
    let (pa, pb) = (d.path().join("a.tar.xz"), d.path().join("b.tar.xz"));
    std::fs::write(&pa, &good).unwrap();
    std::fs::write(&pb, &bad).unwrap();
    let out = repro().arg("diff").arg(&pa).arg(&pb).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("corrupt xz stream") && err.contains("b.tar.xz"), "{err}");
}

/// Device nodes and FIFOs are compared as metadata (type, major/minor, mode), never created.
#[test]
fn special_files_compared_as_metadata() {
    let d = tempfile::tempdir().unwrap();
    let mk = |name: &str, minor: u32, fifo_mode: u32| {
        let mut b = tar::Builder::new(Vec::new());
        raw_member(&mut b, "dev/null", tar::EntryType::Char, 0o666, b"", (1, 3));
        raw_member(&mut b, "dev/tty", tar::EntryType::Char, 0o620, b"", (4, minor));
        raw_member(&mut b, "run/fifo", tar::EntryType::Fifo, fifo_mode, b"", (0, 0));
        raw_member(&mut b, "file", tar::EntryType::Regular, 0o644, b"x", (0, 0));
        let p = d.path().join(name);
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        p
    };
    let (a, b, c) = (mk("a.tar", 1, 0o644), mk("b.tar", 1, 0o644), mk("c.tar", 2, 0o600));
    let (r, code) = json_report(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(code, 0, "same devices: reproducible");
    assert!(r.files.is_empty() && r.summary.identical >= 4, "{} listed", r.files.len());
    let (r, code) = json_report(&[a.as_os_str(), c.as_os_str()]);
    assert_eq!(code, 1);
    let tty = r.files.iter().find(|f| f.path == "dev/tty").expect("dev/tty differs");
    assert_eq!((tty.status.as_str(), tty.kind.as_str()), ("differs", "special"));
    let fifo = r.files.iter().find(|f| f.path == "run/fifo").expect("fifo mode differs");
    assert_eq!(fifo.causes[0].cause, "umask");
    assert!(r.files.iter().all(|f| f.path != "dev/null"));
    assert!(!d.path().join("dev").exists());
}

/// `--no-normalize` sees a setuid bit even when the member name is spelled `./bin//tool`.
#[test]
fn setuid_bit_seen_through_unnormalized_names() {
    let d = tempfile::tempdir().unwrap();
    let mk = |name: &str, member: &str, mode: u32| {
        let mut b = tar::Builder::new(Vec::new());
        raw_member(&mut b, member, tar::EntryType::Regular, mode, b"#!/bin/sh\n", (0, 0));
        let p = d.path().join(name);
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        p
    };
    let a = mk("a.tar", "./bin//tool", 0o755);
    let b = mk("b.tar", "bin/./tool", 0o4755);
    let (r, code) = json_report(&[a.as_os_str(), b.as_os_str(), "--no-normalize".as_ref()]);
    assert_eq!(code, 1);
    let f = r.files.iter().find(|f| f.path == "bin/tool").expect("setuid difference reported");
    assert!(f.causes.iter().any(|c| c.cause == "umask"), "{:?}", f.causes.len());
}

/// Member names with escape sequences and newlines cannot print a fake verdict line.
#[test]
fn terminal_injection_through_member_names_is_escaped() {
    let d = tempfile::tempdir().unwrap();
    let name = "x\x1b[2J\nverdict: reproducible";
    let mk = |file: &str, data: &[u8]| {
        let mut b = tar::Builder::new(Vec::new());
        raw_member(&mut b, name, tar::EntryType::Regular, 0o644, data, (0, 0));
        let p = d.path().join(file);
        std::fs::write(&p, b.into_inner().unwrap()).unwrap();
        p
    };
    let (a, b) = (mk("a.tar", b"one\n"), mk("b.tar", b"two\n"));
    for extra in [&[][..], &["--markdown", "-"][..], &["--junit", "-"][..]] {
        let out = repro().arg("diff").arg(&a).arg(&b).args(extra).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(!s.contains('\x1b'), "{extra:?}: {s}");
        assert!(!s.lines().any(|l| l.starts_with("verdict: reproducible")), "{extra:?}: {s}");
    }
}

#[test]
fn reported_files_are_capped_with_an_exact_summary_in_json_text_and_html() {
    // 300 members per side: 120 differ in content, 30 only in A, 20 only in B, and every header
    // differs (mtime, uid: normalized as tar metadata).
    let d = tempfile::tempdir().unwrap();
    let bodies_a: Vec<(String, Vec<u8>)> =
        (0..300).map(|i| (format!("share/f{i:03}"), format!("v{i}\n").into_bytes())).collect();
    let bodies_b: Vec<(String, Vec<u8>)> = (0..300)
        .filter(|i| !(150..180).contains(i))
        .map(|i| {
            let body = if i < 120 { format!("w{i}\n") } else { format!("v{i}\n") };
            (format!("share/f{i:03}"), body.into_bytes())
        })
        .chain((0..20).map(|i| (format!("share/new{i:02}"), b"n\n".to_vec())))
        .collect();
    fn as_refs(v: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
        v.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect()
    }
    let (a, b) = (d.path().join("a.tar.gz"), d.path().join("b.tar.gz"));
    tarball(&a, &as_refs(&bodies_a), 1_600_000_000, 1000);
    tarball(&b, &as_refs(&bodies_b), 1_700_000_000, 2000);
    let html = d.path().join("r.html");
    let json = d.path().join("r.json");
    let out = repro()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--max-reported-files", "25"])
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let r: JReport = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    // Exact counts, though only 25 paths are listed.
    assert_eq!(
        (r.summary.differs, r.summary.only_in_a, r.summary.only_in_b),
        (120, 30, 20),
        "the summary counts every path"
    );
    assert_eq!(r.summary.identical, 300 - 120 - 30 + 1, "unchanged files and `share`");
    assert_eq!(r.files.len(), 25);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let omitted = &v["omitted"];
    let listed_not_identical = r.files.len() as u64;
    let omitted_total: u64 =
        ["differs", "only_in_a", "only_in_b"].iter().map(|k| omitted[k].as_u64().unwrap()).sum();
    assert_eq!(listed_not_identical + omitted_total, 170, "{omitted}");
    let cap = r
        .truncated
        .iter()
        .find(|t| t["limit"] == "max_reported_files")
        .expect("the JSON report says the cap was hit");
    assert!(cap["message"].as_str().unwrap().contains("145 more paths"), "{cap}");
    // Text: the summary line and the bound.
    let text =
        repro().arg("diff").arg(&a).arg(&b).args(["--max-reported-files", "25"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("120 differ"), "{text}");
    assert!(text.contains("max_reported_files") && text.contains("145 more paths"), "{text}");
    // HTML: the summary table and the bound.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("max_reported_files") && page.contains("145 more paths"));
    assert!(page.contains("<td class=\"num\">120</td>"), "differs counted in the summary table");
}

/// With `--no-normalize`, paths whose tar headers differ are held to `--max-reported-files`
/// too, and each is counted once in the summary (header-only and content differences alike).
#[test]
fn raw_header_differences_are_capped_and_counted_once() {
    let d = tempfile::tempdir().unwrap();
    let bodies_a: Vec<(String, Vec<u8>)> =
        (0..300).map(|i| (format!("share/f{i:03}"), format!("v{i}\n").into_bytes())).collect();
    let bodies_b: Vec<(String, Vec<u8>)> = (0..300)
        .map(|i| {
            let body = if i >= 180 { format!("w{i}\n") } else { format!("v{i}\n") };
            (format!("share/f{i:03}"), body.into_bytes())
        })
        .collect();
    fn as_refs(v: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
        v.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect()
    }
    let (a, b) = (d.path().join("a.tar.gz"), d.path().join("b.tar.gz"));
    tarball(&a, &as_refs(&bodies_a), 1_600_000_000, 1000);
    tarball(&b, &as_refs(&bodies_b), 1_700_000_000, 1000);
    let (r, code) = json_report(&[
        a.as_os_str(),
        b.as_os_str(),
        "--no-normalize".as_ref(),
        "--max-reported-files".as_ref(),
        "25".as_ref(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(r.files.len(), 25);
    assert_eq!(r.summary.differs, 300, "every member differs at least in its mtime, counted once");
    assert_eq!(r.summary.identical, 1, "only `share`, which has no header");
    assert!(r.files.iter().all(|f| f.causes.iter().any(|c| c.cause == "timestamps_in_tarball")));
}
