//! Hostile compressed tarballs: corrupt streams fail their checksum instead of being hashed,
//! decompression bombs are refused early, and one budget bounds a whole run.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use repro_artifact::{
    Budget, BudgetLimits, Error, TarKind, UnpackLimits, tree_hash_tarball, unpack_tarball,
    unpack_tarball_with,
};

/// A tar of one file `name` with `data`, made with the `tar` crate.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Deterministic bytes that do not compress (so a flipped bit lands in literal data).
fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
fn zstd_checked(data: &[u8]) -> Vec<u8> {
    let mut e = zstd::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn corrupt_streams_fail_their_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = tar_of(&[("payload", &noise(200_000))]);
    let cases: [(&str, Vec<u8>); 4] = [
        ("gzip", gzip(&tar)),
        ("xz", xz(&tar)),
        ("zstd", zstd_checked(&tar)),
        ("bzip2", bzip2(&tar)),
    ];
    for (name, good) in cases {
        let ok = write(tmp.path(), &format!("ok.{name}"), &good);
        tree_hash_tarball(&ok).unwrap_or_else(|e| panic!("{name}: intact stream refused: {e}"));
        let mut bad = good.clone();
        let at = bad.len() / 2;
        bad[at] ^= 0x10;
        let bad = write(tmp.path(), &format!("bad.{name}"), &bad);
        let e = tree_hash_tarball(&bad).expect_err(name);
        assert!(
            matches!(e, Error::CorruptStream { .. }),
            "{name}: expected a corrupt-stream error, got {e:?}"
        );
        assert!(e.to_string().contains("damaged"), "{name}: {e}");
        let dest = tmp.path().join(format!("out-{name}"));
        let e = unpack_tarball(&bad, &dest, &UnpackLimits::default()).expect_err(name);
        assert!(matches!(e, Error::CorruptStream { .. }), "{name}: {e:?}");
    }
}

#[test]
fn a_flip_in_the_trailer_is_caught_too() {
    // The tar ends before the gzip trailer: the reader must still reach it.
    let tmp = tempfile::tempdir().unwrap();
    let mut gz = gzip(&tar_of(&[("f", b"content")]));
    let n = gz.len();
    gz[n - 6] ^= 1; // inside the CRC-32
    let p = write(tmp.path(), "t.tar.gz", &gz);
    let e = tree_hash_tarball(&p).unwrap_err();
    assert!(matches!(e, Error::CorruptStream { .. }), "{e:?}");
}

/// A bzip2 tarball whose one header declares 20 GiB, followed by 96 MiB of zeros: a few
/// hundred kilobytes on disk.
fn declared_bomb() -> Vec<u8> {
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
    e.finish().unwrap()
}

#[test]
fn decompression_bomb_is_refused_early() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = declared_bomb();
    assert!(bytes.len() < 1 << 20, "the test bomb is small ({} bytes)", bytes.len());
    let p = write(tmp.path(), "bomb.tar.bz2", &bytes);
    let budget = Budget::new(BudgetLimits::default());
    let limits = UnpackLimits { max_total_bytes: 32 << 30, ..UnpackLimits::default() };
    let e = unpack_tarball_with(&p, &tmp.path().join("out"), &limits, &budget, |_| {})
        .expect_err("a bomb must be refused");
    assert!(matches!(e, Error::Bomb { .. }), "{e:?}");
    assert!(e.to_string().contains("decompression bomb"), "{e}");
    // Refused a little after BOMB_MIN_BYTES, long before the 96 MiB stream ends.
    let used = budget.bytes_used();
    assert!(used < 80 << 20, "read {used} bytes before refusing");
    let written: u64 =
        walk(&tmp.path().join("out")).iter().map(|p| fs::metadata(p).unwrap().len()).sum();
    assert!(written < 80 << 20, "{written} bytes written to disk");
    // The header alone is over the default per-tarball cap: refused before any data.
    let e = tree_hash_tarball(&p).unwrap_err();
    assert!(e.to_string().contains("max_total_bytes"), "{e}");
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn one_budget_bounds_several_archives() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tar_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    let p = write(tmp.path(), "t.tar", &t);
    let budget = Budget::new(BudgetLimits { max_entries: 5, ..BudgetLimits::default() });
    let limits = UnpackLimits::default();
    unpack_tarball_with(&p, &tmp.path().join("one"), &limits, &budget, |_| {}).unwrap();
    // Each archive alone is under the cap; together they are not.
    let e = unpack_tarball_with(&p, &tmp.path().join("two"), &limits, &budget, |_| {}).unwrap_err();
    assert!(e.to_string().contains("budget.max_entries"), "{e}");

    let budget = Budget::new(BudgetLimits { max_bytes: 6000, ..BudgetLimits::default() });
    unpack_tarball_with(&p, &tmp.path().join("three"), &limits, &budget, |_| {}).unwrap();
    let e =
        unpack_tarball_with(&p, &tmp.path().join("four"), &limits, &budget, |_| {}).unwrap_err();
    assert!(e.to_string().contains("budget.max_bytes"), "{e}");
}

#[test]
fn special_files_are_reported_not_created() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, major, minor) in
        [("dev/null", tar::EntryType::Char, 1, 3), ("run/fifo", tar::EntryType::Fifo, 0, 0)]
    {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_entry_type(kind);
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        h.set_mode(0o666);
        h.set_size(0);
        h.set_cksum();
        b.append(&h, &[][..]).unwrap();
    }
    let p = write(tmp.path(), "dev.tar", &b.into_inner().unwrap());
    // Refused by default (sources, build prefixes).
    let e = unpack_tarball(&p, &tmp.path().join("refused"), &UnpackLimits::default()).unwrap_err();
    assert!(e.to_string().contains("device nodes are not allowed"), "{e}");
    // Skipped and reported when asked.
    let limits = UnpackLimits { skip_special_files: true, ..UnpackLimits::default() };
    let mut seen = Vec::new();
    let out = tmp.path().join("out");
    let stats = unpack_tarball_with(&p, &out, &limits, &Budget::unlimited(), |m| {
        seen.push((m.path(), m.kind));
    })
    .unwrap();
    assert_eq!(stats.special, 2);
    assert_eq!(
        seen,
        vec![
            ("dev/null".to_owned(), TarKind::CharDevice { major: 1, minor: 3 }),
            ("run/fifo".to_owned(), TarKind::Fifo)
        ]
    );
    assert!(!out.join("dev/null").exists() && !out.join("run/fifo").exists());
}

#[test]
fn member_names_are_normalized_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for name in ["./bin//tool", "./a/./b"] {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o4755);
        h.set_size(1);
        h.set_cksum();
        b.append(&h, &b"x"[..]).unwrap();
    }
    let p = write(tmp.path(), "n.tar", &b.into_inner().unwrap());
    let mut seen = Vec::new();
    unpack_tarball_with(
        &p,
        &tmp.path().join("out"),
        &UnpackLimits::default(),
        &Budget::unlimited(),
        |m| seen.push((m.path(), m.mode & 0o7777)),
    )
    .unwrap();
    assert_eq!(seen, vec![("bin/tool".to_owned(), 0o4755), ("a/b".to_owned(), 0o4755)]);
}
