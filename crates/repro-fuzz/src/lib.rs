//! Fuzz entry points: one function per fuzz target, taking the fuzzer's bytes.
//!
//! The cargo-fuzz crate in `fuzz/` (nightly, outside the workspace) calls these from its
//! `fuzz_target!`s, and this crate's stable test replays every committed corpus and regression
//! input through the same functions, so that a fixed crash stays fixed without a nightly
//! toolchain. Each function panics when the code under test breaks one of its invariants
//! (listed on each function and in docs/fuzzing.md); errors returned for malformed input are
//! expected and ignored.
//!
//! [`TARGETS`] names the targets; [`run`] dispatches by name.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use repro_artifact::{Budget, BudgetLimits, Compression, TarKind, TarLimits, TarMember};
use repro_differ::{CompareOptions, DiffLimits, compare_single_files, compare_trees, scan_pair};
use repro_events::null_sink;
use repro_normalizer::Normalizer;
use repro_report::{Status, Verdict};

/// The fuzz targets, by name (the names of `fuzz/fuzz_targets/*.rs`).
pub const TARGETS: &[&str] =
    &["recipe_parse", "julia_lex_parse", "julia_eval", "tar_read", "tar_tree", "differ_compare"];

/// Runs target `name` on `data`. Returns `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "recipe_parse" => recipe_parse(data),
        "julia_lex_parse" => julia_lex_parse(data),
        "julia_eval" => julia_eval(data),
        "tar_read" => tar_read(data),
        "tar_tree" => tar_tree(data),
        "differ_compare" => differ_compare(data),
        _ => return false,
    }
    true
}

/// A scratch directory for the whole process: `repro-fuzz-<pid>` in `/dev/shm` when it exists
/// (the differ and importer targets touch files on every input), else in the temp dir. A
/// process-wide static is never dropped, so each process first removes the scratch directories
/// of processes that are gone ([`sweep_stale`]), and [`remove_scratch`] removes its own.
fn scratch() -> &'static Path {
    scratch_dir().get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let parent = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        sweep_stale(&parent);
        let dir = parent.join(format!("{SCRATCH_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create a scratch directory");
        dir
    })
}

const SCRATCH_PREFIX: &str = "repro-fuzz-";

fn scratch_dir() -> &'static OnceLock<PathBuf> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    &DIR
}

/// Removes `repro-fuzz-<pid>` directories in `parent` whose process is no longer alive
/// (`/proc/<pid>` is gone); returns how many were removed.
pub fn sweep_stale(parent: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(parent) else { return 0 };
    let mut removed = 0;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(SCRATCH_PREFIX).and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id()
            && !Path::new("/proc").join(pid.to_string()).exists()
            && std::fs::remove_dir_all(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Removes this process's scratch directory (a later entry point creates it again).
pub fn remove_scratch() {
    if let Some(dir) = scratch_dir().get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The recipe parser and validator ([`repro_recipe::parse_str`]). Invariant: a recipe that
/// parses serializes ([`repro_recipe::to_toml`]) to TOML that parses again to the same
/// canonical form (the recipe hash is stable).
pub fn recipe_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("/fuzz/recipe.toml");
    let Ok(recipe) = repro_recipe::parse_str(text, path) else { return };
    let _ = repro_recipe::lints(&recipe);
    let toml = repro_recipe::to_toml(&recipe);
    let again = repro_recipe::parse_str(&toml, path)
        .unwrap_or_else(|e| panic!("canonical TOML does not parse again: {e}\n{toml}"));
    assert_eq!(repro_recipe::to_toml(&again), toml, "canonical TOML is not a fixed point");
}

/// The Julia tokenizer and parser ([`repro_import::parse_julia`]): any text gives statements or
/// a syntax error, never a panic or a stack overflow.
pub fn julia_lex_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = repro_import::parse_julia(text, Path::new("build_tarballs.jl"));
}

/// The importer end to end ([`repro_import::import_yggdrasil_text`]) on the input as an
/// in-memory `build_tarballs.jl`, in an empty root directory, with the importer's own bounds
/// (steps, depth, value sizes, allocation). Invariant: a successful import's TOML parses as a
/// recipe.
pub fn julia_eval(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let dir = scratch().join("julia");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let opts = repro_import::ImportOptions { root: Some(dir.clone()), ..Default::default() };
    let path = dir.join("build_tarballs.jl");
    if let Ok(r) = repro_import::import_yggdrasil_text(&path, text, &opts) {
        let out = opts.output.unwrap_or_else(|| dir.join("recipe.toml"));
        repro_recipe::parse_str(&r.toml, &out)
            .unwrap_or_else(|e| panic!("imported TOML does not parse: {e}\n{}", r.toml));
    }
}

/// Caps of the tar target's budget.
const TAR_MAX_BYTES: u64 = 32 << 20;
const TAR_MAX_ENTRIES: u64 = 10_000;

/// One member as read: path, kind, size, mode, link target, bytes read.
type ListedMember = (String, TarKind, u64, u32, Option<Vec<u8>>, u64);

/// What one read of a tar stream saw (for comparing two reads).
#[derive(Debug, PartialEq)]
struct TarListing {
    entries: Vec<ListedMember>,
    ok: bool,
}

fn read_listing(bytes: Vec<u8>) -> TarListing {
    let budget = Budget::new(BudgetLimits {
        max_bytes: TAR_MAX_BYTES,
        max_entries: TAR_MAX_ENTRIES,
        max_memory: TAR_MAX_BYTES,
    });
    let limits = TarLimits::new(TAR_MAX_ENTRIES, TAR_MAX_BYTES);
    let mut entries = Vec::new();
    let r = match repro_artifact::decompressed_reader(Cursor::new(bytes)) {
        Ok((_, r)) => repro_artifact::read_tar(r, "fuzz.tar", &limits, &budget, |m, data| {
            check_member(m);
            let mut n = 0u64;
            let mut buf = [0u8; 8192];
            loop {
                match data.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k as u64,
                }
            }
            assert!(
                n <= m.size,
                "member {:?} yields {n} bytes, more than its size {}",
                m.display,
                m.size
            );
            entries.push((m.path(), m.kind, m.size, m.mode, m.link.clone(), n));
            Ok(())
        }),
        Err(_) => return TarListing { entries, ok: false },
    };
    assert!(budget.bytes_used() <= TAR_MAX_BYTES + 8192, "budget overrun: {}", budget.bytes_used());
    assert!(budget.entries_used() <= TAR_MAX_ENTRIES + 1, "entry budget overrun");
    if let Ok(n) = &r {
        assert!(
            *n as usize >= entries.len(),
            "read_tar counted {n} entries, saw {}",
            entries.len()
        );
    }
    TarListing { entries, ok: r.is_ok() }
}

/// The normalization promised by [`TarMember::comps`].
fn check_member(m: &TarMember) {
    for c in &m.comps {
        assert!(
            !c.is_empty() && c != b"." && c != b".." && !c.contains(&b'/') && !c.contains(&0),
            "member {:?} has an unnormalized component {:?}",
            m.display,
            String::from_utf8_lossy(c)
        );
    }
    if !matches!(m.kind, TarKind::File) {
        assert_eq!(m.size, 0, "member {:?} of kind {:?} has a content size", m.display, m.kind);
    }
}

/// Compress `data` with `c`.
fn compress(c: Compression, data: &[u8]) -> Vec<u8> {
    match c {
        Compression::None => data.to_vec(),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).expect("in memory");
            e.finish().expect("in memory")
        }
        Compression::Xz => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
            e.write_all(data).expect("in memory");
            e.finish().expect("in memory")
        }
        Compression::Zstd => zstd::encode_all(data, 1).expect("in memory"),
        Compression::Bzip2 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).expect("in memory");
            e.finish().expect("in memory")
        }
    }
}

/// The bounded tar reader ([`repro_artifact::read_tar`] after
/// [`repro_artifact::decompressed_reader`]), within a small run budget. The first byte picks
/// the mode: `0 mod 5`: the rest is read as given (plain, or a compressed stream detected from
/// its magic, possibly corrupt); otherwise the rest is compressed with gzip, xz, zstd or bzip2
/// first. Invariants: no panic; member paths are normalized; no member yields more bytes than
/// its size; the budget is never overrun; and a plain stream read through a valid compressed
/// stream gives the same members and the same success as read directly.
pub fn tar_read(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let c = match mode % 5 {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Xz,
        3 => Compression::Zstd,
        _ => Compression::Bzip2,
    };
    let direct = read_listing(rest.to_vec());
    if c == Compression::None {
        return;
    }
    let through = read_listing(compress(c, rest));
    if repro_artifact::detect_compression(rest) == Compression::None {
        assert_eq!(direct, through, "reading through {} changes the result", c.name());
    }
}

/// A tarball read as a tree without unpacking it ([`repro_artifact::scan_tarball`]) against
/// unpacking it and scanning the result. The input is the uncompressed tar stream; byte 0 (mod
/// 2) picks a tiny in-memory bound, so that the trees are also spilled and merged. Invariants:
/// no panic; when the stream read gives a tree, unpacking succeeds and its scan has the same
/// entries in the same order, with the same content flags; the stream read never fails where
/// unpacking succeeds; nothing is left in the spill directory.
pub fn tar_tree(data: &[u8]) {
    use repro_artifact::{
        ContentFilter, ScanOptions, SpillDir, TarTree, UnpackLimits, scan_dir, scan_tarball,
        unpack_tarball_with,
    };
    let Some((&mode, rest)) = data.split_first() else { return };
    let dir = scratch().join("tar-tree");
    let _ = std::fs::remove_dir_all(&dir);
    let (spill, root, unpacked) = (dir.join("spill"), dir.join("root"), dir.join("unpacked"));
    for d in [&spill, &root] {
        std::fs::create_dir_all(d).expect("scratch directory");
    }
    let tarball = dir.join("in.tar");
    std::fs::write(&tarball, rest).expect("scratch file");
    let limits = UnpackLimits {
        max_total_bytes: 16 << 20,
        max_entries: 4096,
        skip_special_files: true,
        ..UnpackLimits::default()
    };
    let opts = ScanOptions {
        max_in_memory: if mode % 2 == 0 { 3 } else { 1 << 16 },
        spill: SpillDir::new(Some(spill.clone())),
        counts_as_content: Some(ContentFilter(std::sync::Arc::new(|p: &str| {
            !p.starts_with("logs/")
        }))),
        ..ScanOptions::default()
    };
    let budget = Budget::unlimited();
    let streamed = scan_tarball(&tarball, &root, &limits, &budget, &opts, |_| {});
    let by_unpacking = unpack_tarball_with(&tarball, &unpacked, &limits, &budget, |_| {})
        .and_then(|_| scan_dir(&unpacked, &opts));
    let listing = |t: repro_artifact::Tree| {
        let mut c = t.into_cursor().expect("reading a tree back");
        let mut v = Vec::new();
        while let Some(s) = c.next_entry().expect("reading a tree back") {
            v.push(s);
        }
        v
    };
    match (streamed, by_unpacking) {
        (Ok(TarTree::Tree(s)), Ok(u)) => {
            assert_eq!(listing(s), listing(u), "the stream read and the unpacked tree differ");
        }
        (Ok(TarTree::Tree(_)), Err(e)) => {
            panic!("read as a stream, but unpacking it fails: {e}")
        }
        (Err(e), Ok(_)) => panic!("the stream read fails, but unpacking succeeds: {e}"),
        // Falls back to unpacking, or both refuse it.
        (Ok(TarTree::Unpack(_)), _) | (Err(_), Err(_)) => {}
    }
    let left = std::fs::read_dir(&spill).map_or(0, |r| r.count());
    assert_eq!(left, 0, "spill files left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Splits differ input into the pair to compare: byte 0 picks the mode, bytes 1..3 a split
/// point or position. Modes (`byte 0 mod 4`): 0, b = a (identical); 1, b = a with one byte
/// changed; 2 and 3, a and b are the two halves of the rest at the split point.
fn pair(data: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    if data.len() < 3 {
        return None;
    }
    let (mode, pos, rest) = (data[0], u16::from_le_bytes([data[1], data[2]]) as usize, &data[3..]);
    match mode % 4 {
        0 => Some((rest.to_vec(), rest.to_vec())),
        1 => {
            let mut b = rest.to_vec();
            if b.is_empty() {
                b.push(data[1]);
            } else {
                let i = pos % b.len();
                b[i] = b[i].wrapping_add(1 + data[1] % 255);
            }
            Some((rest.to_vec(), b))
        }
        _ => {
            let at = pos % (rest.len() + 1);
            Some((rest[..at].to_vec(), rest[at..].to_vec()))
        }
    }
}

/// Small limits, so that the differ's bounds are reached by small inputs too.
fn small_limits() -> DiffLimits {
    DiffLimits {
        max_diff_lines: 50,
        max_file_detail_bytes: 16 * 1024,
        max_report_bytes: 256 * 1024,
        max_archive_depth: 4,
        max_decompressed_bytes: 8 << 20,
        max_archive_members: 256,
        max_total_bytes: 16 << 20,
        max_total_entries: 4096,
        max_memory_bytes: 64 << 20,
        max_reported_files: 64,
        max_members_detailed: 8,
        ..DiffLimits::default()
    }
}

/// The differ's comparators on two files ([`repro_differ::compare_single_files`]: format
/// detection, then the ELF, text, binary, compressed-stream, tar, `ar` and zip comparators,
/// recursively) or, when byte 0 has bit 2 set, on two small trees built from the pair
/// ([`repro_differ::compare_trees`]). Invariants: no panic; identical inputs give a
/// `reproducible` verdict with nothing listed; differing inputs are never reported identical:
/// the verdict is `unreproducible` and the differing file is listed as `differs`.
pub fn differ_compare(data: &[u8]) {
    let Some((a, b)) = pair(data) else { return };
    let opts = CompareOptions { limits: small_limits(), ..Default::default() };
    let normalizer = Normalizer::raw();
    if data[0] & 4 == 0 {
        let dir = scratch().join("files");
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let (pa, pb) = (dir.join("a"), dir.join("b"));
        std::fs::write(&pa, &a).expect("scratch file");
        std::fs::write(&pb, &b).expect("scratch file");
        let report = compare_single_files(&pa, &pb, "file", &normalizer, &opts, &null_sink())
            .expect("comparing two readable files");
        check_pair_report(&report, a == b, "file");
    } else {
        let (ra, rb) = (scratch().join("tree-a"), scratch().join("tree-b"));
        for d in [&ra, &rb] {
            let _ = std::fs::remove_dir_all(d);
        }
        write_tree(&ra, &a, &a);
        write_tree(&rb, &b, &a);
        let (ta, tb) = scan_pair(&ra, &rb, &normalizer).expect("scanning two small trees");
        let report = compare_trees(ta, tb, &normalizer, &opts, None, &null_sink())
            .expect("comparing two small trees");
        check_pair_report(&report, a == b, "lib/f");
    }
}

/// A small tree holding `data` as `lib/f` among fixed files (the same in both trees), and
/// `data` again inside a gzip stream as `lib/f.gz`; `salt` (the same for both trees) varies
/// the fixed files.
fn write_tree(root: &Path, data: &[u8], salt: &[u8]) {
    let w = |rel: &str, bytes: &[u8]| {
        let p: PathBuf = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("relative path")).expect("scratch tree");
        std::fs::write(p, bytes).expect("scratch tree");
    };
    w("lib/f", data);
    w("lib/f.gz", &compress(Compression::Gzip, data));
    w("share/doc/readme.txt", &salt[..salt.len().min(64)]);
    w("bin/empty", b"");
}

fn check_pair_report(report: &repro_report::Report, same: bool, name: &str) {
    if same {
        assert_eq!(report.verdict, Verdict::Reproducible, "identical inputs: {report:#?}");
        assert!(report.files.is_empty(), "identical inputs list files: {:#?}", report.files);
        assert!(report.summary.identical >= 1);
    } else {
        assert_eq!(report.verdict, Verdict::Unreproducible, "differing inputs: {report:#?}");
        let f = report
            .files
            .iter()
            .find(|f| f.path == name)
            .unwrap_or_else(|| panic!("differing {name} is not listed: {:#?}", report.files));
        assert_eq!(f.status, Status::Differs, "differing {name}: {f:#?}");
    }
}
