//! Tree-level tests: the property that any single flipped byte outside a rule's scope makes
//! the verdict unreproducible and names the file, and that rules stay inside their scope.

use std::io::Write;
use std::path::Path;

use repro_differ::{CompareOptions, TarHeaders, compare_trees, scan_pair};
use repro_events::null_sink;
use repro_normalizer::{NormalizeOptions, Normalizer};
use repro_report::Status;

/// Scan two directories and compare them.
fn compare_dirs(
    a: &Path,
    b: &Path,
    n: &Normalizer,
    opts: &CompareOptions,
    headers: Option<(TarHeaders, TarHeaders)>,
    sink: &repro_events::Sink,
) -> repro_report::Report {
    let (ta, tb) = scan_pair(a, b, n).unwrap();
    compare_trees(ta, tb, n, opts, headers, sink).unwrap()
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn fixture(root: &Path) {
    write(root, "bin/tool", &(0..4096u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>());
    write(root, "share/doc/readme.txt", b"hello\nworld\n");
    write(root, "share/man/tool.1", b".TH TOOL 1\n.SH NAME\ntool\n");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&[b'z'; 3000]).unwrap();
    write(root, "lib/data.gz", &gz.finish().unwrap());
    write(root, "lib/empty", b"");
    write(root, "logs/build.log", b"log");
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn any_flipped_byte_outside_rules_is_unreproducible() {
    let files = ["bin/tool", "share/doc/readme.txt", "share/man/tool.1", "lib/data.gz"];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let opts = NormalizeOptions {
        enabled: true,
        user_rules: vec![],
        ignore_globs: vec!["share/doc/**".into()],
    };
    for _ in 0..40 {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        fixture(&a);
        fixture(&b);
        let rel = files[(rng.next() % files.len() as u64) as usize];
        let p = b.join(rel);
        let mut data = std::fs::read(&p).unwrap();
        let i = (rng.next() % data.len() as u64) as usize;
        data[i] ^= 1 << (rng.next() % 8);
        std::fs::write(&p, &data).unwrap();
        let n = Normalizer::new(&opts).unwrap();
        let r = compare_dirs(&a, &b, &n, &CompareOptions::default(), None, &null_sink());
        let f = r
            .files
            .iter()
            .find(|f| f.path == rel)
            .unwrap_or_else(|| panic!("{rel} byte {i} not named: {r:#?}"));
        if rel.starts_with("share/doc/") {
            assert_eq!(f.status, Status::Normalized);
            assert!(r.is_reproducible());
            assert_eq!(f.rules, ["ignore:share/doc/**"]);
        } else {
            assert_eq!(f.status, Status::Differs, "{rel} byte {i}");
            assert!(!r.is_reproducible(), "{rel} byte {i}");
        }
        assert_eq!(r.files.len(), 1, "only the flipped file is listed");
    }
}

#[test]
fn statuses_and_logs_rule() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    fixture(&a);
    fixture(&b);
    write(&b, "logs/build.log", b"other log");
    write(&a, "only_a.txt", b"a");
    write(&b, "only_b.txt", b"b");
    std::fs::create_dir_all(a.join("empty/nested")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(b.join("bin/tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("x", a.join("link")).unwrap();
    std::os::unix::fs::symlink("y", b.join("link")).unwrap();
    std::os::unix::fs::symlink("x", a.join("kind")).unwrap();
    write(&b, "kind", b"x");
    let n = Normalizer::new(&NormalizeOptions { enabled: true, ..NormalizeOptions::default() })
        .unwrap();
    let r = compare_dirs(&a, &b, &n, &CompareOptions::default(), None, &null_sink());
    let status = |p: &str| r.files.iter().find(|f| f.path == p).map(|f| f.status);
    assert_eq!(status("only_a.txt"), Some(Status::OnlyInA));
    assert_eq!(status("only_b.txt"), Some(Status::OnlyInB));
    assert_eq!(status("bin/tool"), Some(Status::ModeChanged));
    assert_eq!(status("link"), Some(Status::SymlinkChanged));
    assert_eq!(status("kind"), Some(Status::TypeChanged));
    assert_eq!(status("logs/build.log"), None, "logs are dropped");
    assert_eq!(status("empty"), None, "empty directories are ignored");
    let logs = r.normalizations.iter().find(|x| x.rule == "logs").expect("logs rule listed");
    assert!(logs.paths.contains(&"logs/build.log".to_owned()));
    let empty =
        r.normalizations.iter().find(|x| x.rule == "empty-directories").expect("empty dirs listed");
    assert_eq!(empty.paths, ["empty", "empty/nested"]);
    assert_eq!(r.summary.only_in_a, 1);
    assert_eq!(r.summary.mode_changed, 1);

    // Raw: logs and empty directories show up.
    let raw = Normalizer::raw();
    let r = compare_dirs(&a, &b, &raw, &CompareOptions::default(), None, &null_sink());
    assert!(r.files.iter().any(|f| f.path == "logs/build.log" && f.status == Status::Differs));
    assert!(r.files.iter().any(|f| f.path == "empty" && f.status == Status::OnlyInA));
    assert!(r.normalizations.is_empty());
}

/// Differing `.gz` files compared in parallel share one memory budget: the run never holds
/// more than `max_memory_bytes`, whatever the number of files or threads.
#[test]
fn parallel_decompression_shares_one_memory_budget() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    for i in 0..4 {
        for (root, byte) in [(&a, 1u8), (&b, 2u8)] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&vec![byte; 2 << 20]).unwrap();
            write(root, &format!("f{i}.gz"), &gz.finish().unwrap());
        }
    }
    let limits = repro_differ::DiffLimits { max_memory_bytes: 5 << 20, ..Default::default() };
    let budget = std::sync::Arc::new(limits.budget());
    let opts = CompareOptions { limits, budget: Some(budget.clone()), ..CompareOptions::default() };
    let n = Normalizer::new(&NormalizeOptions::default()).unwrap();
    let r = compare_dirs(&a, &b, &n, &opts, None, &null_sink());
    assert_eq!(r.summary.differs, 4);
    assert!(budget.memory_peak() <= 5 << 20, "peak {}", budget.memory_peak());
    assert!(r.files.iter().all(|f| f.status == Status::Differs));
    // Each pair needs 2 × 2 MiB decompressed: one pair fits at a time. Reserved all or nothing
    // per pair (what the gzip trailers declare), every pair is compared decompressed, one after
    // the other (regression: the parallel pairs each took part of the budget and all could
    // fall back to comparing the compressed bytes).
    let fell_back: Vec<_> = r.truncated.iter().filter(|t| t.limit == "max_memory_bytes").collect();
    assert!(fell_back.is_empty(), "{fell_back:?}");
    assert!(budget.memory_peak() >= 4 << 20, "peak {}", budget.memory_peak());
}

/// A tree with more differing paths than the report lists keeps exact counts.
#[test]
fn reported_paths_are_capped_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    for i in 0..30 {
        write(&a, &format!("f{i:02}"), b"a");
        write(&b, &format!("f{i:02}"), b"b");
    }
    for i in 0..5 {
        write(&a, &format!("only{i}"), b"x");
        write(&a, &format!("same{i}"), b"s");
        write(&b, &format!("same{i}"), b"s");
    }
    let limits = repro_differ::DiffLimits { max_reported_files: 10, ..Default::default() };
    let opts = CompareOptions { limits, ..CompareOptions::default() };
    let n = Normalizer::new(&NormalizeOptions::default()).unwrap();
    let r = compare_dirs(&a, &b, &n, &opts, None, &null_sink());
    assert_eq!(r.files.len(), 10);
    assert_eq!(r.summary.differs, 30);
    assert_eq!(r.summary.only_in_a, 5);
    assert_eq!(r.summary.identical, 5);
    assert_eq!(r.summary.total, 40);
    assert_eq!(r.omitted.differs + r.omitted.only_in_a, 25);
    assert!(!r.is_reproducible());
    let t = r.truncated.iter().find(|t| t.limit == "max_reported_files").expect("cap noted");
    assert!(t.message.contains("25 more paths"), "{}", t.message);
    // The JSON says so too, and stays small.
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"omitted\""), "{json}");
}

/// The header of a member as `repro_artifact::read_tar` gives it.
fn member(path: &str, kind: repro_artifact::TarKind, mtime: u64) -> repro_artifact::TarMember {
    repro_artifact::TarMember {
        display: path.to_owned(),
        comps: path.split('/').map(|c| c.as_bytes().to_vec()).collect(),
        kind,
        link: None,
        mode: 0o644,
        mtime,
        uid: 0,
        gid: 0,
        uname: String::new(),
        gname: String::new(),
        size: 0,
        data_offset: 0,
    }
}

/// Paths whose only difference is in their tar headers (`--no-normalize`) are held to
/// `max_reported_files` like any other: no more file records than the cap are made (each
/// emits one `FileCompared`), and the summary counts every path once.
#[test]
fn raw_header_differences_stay_within_the_cap() {
    use repro_artifact::TarKind;
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let (mut ha, mut hb) = (repro_differ::TarHeaders::new(), repro_differ::TarHeaders::new());
    for i in 0..200 {
        let p = format!("f{i:03}");
        write(&a, &p, b"same\n");
        // Half differ in content too.
        write(&b, &p, if i < 100 { b"same\n" } else { b"other\n" });
        ha.push(&member(&p, TarKind::File, 1_600_000_000));
        hb.push(&member(&p, TarKind::File, 1_700_000_000));
    }
    let limits = repro_differ::DiffLimits { max_reported_files: 10, ..Default::default() };
    let opts = CompareOptions { limits, ..Default::default() };
    let events = repro_events::Collector::new();
    let r = compare_dirs(&a, &b, &Normalizer::raw(), &opts, Some((ha, hb)), &events.sink());
    let made = events
        .events()
        .iter()
        .filter(|e| matches!(e, repro_events::Event::FileCompared { .. }))
        .count();
    assert!(made <= 10, "{made} file records for a cap of 10");
    assert_eq!(r.files.len(), 10);
    assert_eq!((r.summary.differs, r.summary.identical), (200, 0), "every path counted once");
    assert_eq!(r.omitted.differs, 190);
    let stamped = |f: &repro_report::FileReport| {
        f.causes.iter().any(|c| c.cause == repro_report::CauseKind::TimestampsInTarball)
    };
    assert!(r.files.iter().all(stamped), "listed paths carry their header causes");
}

/// A device node or FIFO whose other side (a regular file) falls past the cap is counted
/// once, as a type change.
#[test]
fn special_file_past_the_cap_is_counted_once() {
    use repro_artifact::TarKind;
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    write(&a, "a", b"x\n");
    write(&b, "a", b"y\n");
    write(&b, "z", b"regular\n");
    for cap in [1, 10] {
        let (mut ha, mut hb) = (TarHeaders::new(), TarHeaders::new());
        ha.push(&member("a", TarKind::File, 0));
        ha.push(&member("z", TarKind::Fifo, 0));
        hb.push(&member("a", TarKind::File, 0));
        hb.push(&member("z", TarKind::File, 0));
        let limits = repro_differ::DiffLimits { max_reported_files: cap, ..Default::default() };
        let opts = CompareOptions { limits, ..Default::default() };
        let n = Normalizer::new(&NormalizeOptions { enabled: true, ..NormalizeOptions::default() })
            .unwrap();
        let r = compare_dirs(&a, &b, &n, &opts, Some((ha, hb)), &null_sink());
        let s = &r.summary;
        assert_eq!(
            (s.differs, s.type_changed, s.only_in_a, s.only_in_b),
            (1, 1, 0, 0),
            "cap {cap}: {s:?}"
        );
        assert_eq!(s.total, 2, "cap {cap}");
    }
}

/// Trees and header lists larger than the memory bound are spilled to disk in sorted runs;
/// the comparison reads them back merged and reports exactly what it reports when everything
/// fits in memory (statuses, rules, empty directories, header and member-order differences,
/// special files), in both modes, and leaves no spill file behind.
#[test]
fn spilled_comparison_reports_the_same_as_in_memory() {
    use repro_artifact::{ContentFilter, ScanOptions, SpillDir, TarKind, scan_dir};
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let mut paths = Vec::new();
    for i in 0..300 {
        let p = format!("d{}/f{i:03}", i % 11);
        write(&a, &p, format!("same {i}\n").as_bytes());
        let same = format!("same {i}\n");
        write(&b, &p, if i % 50 == 0 { b"changed\n".as_slice() } else { same.as_bytes() });
        paths.push(p);
        // `d1.x` sorts between `d1` and `d1/...`.
        write(&a, &format!("d{}.x/g{i}", i % 3), b"g\n");
        write(&b, &format!("d{}.x/g{i}", i % 3), b"g\n");
    }
    write(&a, "only-a", b"a\n");
    write(&b, "logs/build.log", b"log\n");
    std::fs::create_dir_all(a.join("empty/inner")).unwrap();
    let spill_root = d.path().join("spill");
    std::fs::create_dir(&spill_root).unwrap();
    let headers = |max: usize, flip: bool| {
        let mk = |mtime: u64, reverse: bool| {
            let mut h = TarHeaders::with_spill(SpillDir::new(Some(spill_root.clone())), max);
            let mut ps = paths.clone();
            if reverse {
                ps.swap(10, 11);
            }
            for p in &ps {
                h.push(&member(p, TarKind::File, mtime));
            }
            h.push(&member("dev/null", TarKind::CharDevice { major: 1, minor: 3 }, mtime));
            h
        };
        (mk(1_600_000_000, false), mk(if flip { 1_700_000_000 } else { 1_600_000_000 }, flip))
    };
    for n in [
        Normalizer::new(&NormalizeOptions { enabled: true, ..NormalizeOptions::default() })
            .unwrap(),
        Normalizer::raw(),
    ] {
        let run = |max: usize| {
            let opts = ScanOptions {
                max_in_memory: max,
                spill: SpillDir::new(Some(spill_root.clone())),
                counts_as_content: Some(ContentFilter(std::sync::Arc::new(n.kept_predicate()))),
                ..ScanOptions::default()
            };
            let (ta, tb) = (scan_dir(&a, &opts).unwrap(), scan_dir(&b, &opts).unwrap());
            if max < 100 {
                assert!(ta.spilled_runs() > 5 && tb.spilled_runs() > 5);
            }
            let limits = repro_differ::DiffLimits { max_reported_files: 20, ..Default::default() };
            let copts = CompareOptions { limits, ..Default::default() };
            let r =
                compare_trees(ta, tb, &n, &copts, Some(headers(max, true)), &null_sink()).unwrap();
            serde_json::to_value(&r).unwrap()
        };
        let (mem, spilled) = (run(1_000_000), run(7));
        assert_eq!(mem, spilled);
        let s = &mem["summary"];
        assert!(s["differs"].as_u64().unwrap() >= 6, "{s}");
        assert_eq!(std::fs::read_dir(&spill_root).unwrap().count(), 0, "spill files removed");
    }
}
