//! Laying out sources in a source dir: archives of every format, zip safety, files, directories.

mod support;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use repro_recipe::Source;
use repro_sources::{Error, check_directory_source, prepare_srcdir, unpack_archive};
use support::*;

fn check_sample(dir: &Path) {
    assert_eq!(fs::read_to_string(dir.join("top/hello.txt")).unwrap(), "hello\n");
    let mode = fs::metadata(dir.join("top/bin/run")).unwrap().permissions().mode();
    assert!(mode & 0o100 != 0, "executable bit kept");
    assert_eq!(fs::read_link(dir.join("top/link")).unwrap(), Path::new("hello.txt"));
}

#[test]
fn every_archive_format_unpacks_into_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = sample_tar();
    let archives: Vec<(&str, Vec<u8>)> = vec![
        ("a.tar", tar.clone()),
        ("a.tar.gz", gz(&tar)),
        ("a.tgz", gz(&tar)),
        ("a.tar.bz2", bz2(&tar)),
        ("a.tar.xz", xz(&tar)),
        ("a.tar.zst", zst(&tar)),
        ("a.zip", sample_zip()),
    ];
    let mut sources = Vec::new();
    for (name, bytes) in &archives {
        fs::write(tmp.path().join(name), bytes).unwrap();
        sources.push(archive_src(name, &sha256(bytes), Some(&format!("out/{name}"))));
    }
    // One without unpack_target lands at the top of srcdir.
    sources.push(archive_src("a.tar.gz", &sha256(&gz(&tar)), None));
    let r = recipe(tmp.path(), sources);
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    let srcdir = tmp.path().join("srcdir");
    prepare_srcdir(&r, &fetched, &srcdir).unwrap();
    for (name, _) in &archives {
        check_sample(&srcdir.join("out").join(name));
    }
    check_sample(&srcdir);
    assert!(srcdir.join("out/a.zip/top/dir").is_dir());
}

#[test]
fn zip_entries_keep_their_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let z = tmp.path().join("a.zip");
    fs::write(&z, sample_zip()).unwrap();
    let dest = tmp.path().join("d");
    fs::create_dir(&dest).unwrap();
    unpack_archive(&z, &dest).unwrap();
    let mtime = fs::metadata(dest.join("top/hello.txt")).unwrap().modified().unwrap();
    // 2001-02-03 04:05:06, as set in `sample_zip`.
    assert_eq!(mtime, std::time::UNIX_EPOCH + std::time::Duration::from_secs(981_173_106));
}

#[test]
fn zip_path_traversal_is_refused() {
    for name in ["../evil.txt", "a/../../evil.txt", "/tmp/evil.txt", "a\\..\\..\\evil.txt"] {
        let tmp = tempfile::tempdir().unwrap();
        let z = tmp.path().join("bad.zip");
        fs::write(&z, zip_with_name(name)).unwrap();
        let dest = tmp.path().join("deep/dest");
        fs::create_dir_all(&dest).unwrap();
        let err = unpack_archive(&z, &dest).unwrap_err();
        assert!(matches!(err, Error::UnsafeEntry { .. }), "{name}: {err:?}");
        assert!(err.to_string().contains("refusing"), "{err}");
        assert!(!tmp.path().join("deep/evil.txt").exists());
        assert!(!tmp.path().join("evil.txt").exists());
    }
}

#[test]
fn zip_symlink_escapes_are_refused() {
    for target in ["../../outside", "/etc/passwd"] {
        let tmp = tempfile::tempdir().unwrap();
        let z = tmp.path().join("bad.zip");
        fs::write(&z, zip_with_symlink("top/link", target)).unwrap();
        let dest = tmp.path().join("dest");
        fs::create_dir(&dest).unwrap();
        let err = unpack_archive(&z, &dest).unwrap_err();
        assert!(matches!(err, Error::UnsafeEntry { .. }), "{target}: {err:?}");
        assert!(fs::symlink_metadata(dest.join("top/link")).is_err());
    }
}

#[test]
fn zip_entry_through_symlink_is_refused() {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let tmp = tempfile::tempdir().unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // `sub` -> `.` stays inside, but writing `sub/x` must still not go through a symlink.
    w.add_symlink("sub", ".", SimpleFileOptions::default()).unwrap();
    w.start_file("sub/x", SimpleFileOptions::default()).unwrap();
    w.write_all(b"x").unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let z = tmp.path().join("t.zip");
    fs::write(&z, bytes).unwrap();
    let dest = tmp.path().join("dest");
    fs::create_dir(&dest).unwrap();
    let err = unpack_archive(&z, &dest).unwrap_err();
    assert!(matches!(err, Error::UnsafeEntry { .. }), "{err:?}");
}

#[test]
fn unsafe_unpack_target_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = sample_tar();
    fs::write(tmp.path().join("a.tar"), &tar).unwrap();
    for target in ["../escape", "/abs"] {
        let r = recipe(tmp.path(), vec![archive_src("a.tar", &sha256(&tar), Some(target))]);
        let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
        let err = prepare_srcdir(&r, &fetched, &tmp.path().join("srcdir")).unwrap_err();
        assert!(matches!(err, Error::UnsafeTarget { .. }), "{target}: {err:?}");
    }
    assert!(!tmp.path().join("escape").exists());
}

#[test]
fn files_are_copied_by_filename_or_url_basename() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("dl")).unwrap();
    fs::write(tmp.path().join("dl/config.sub"), b"sub").unwrap();
    fs::write(tmp.path().join("dl/x.patch"), b"patch").unwrap();
    let r = recipe(
        tmp.path(),
        vec![
            file_src("dl/config.sub", &sha256(b"sub")),
            Source::File {
                url: "dl/x.patch".into(),
                sha256: sha256(b"patch"),
                filename: Some("patches/fix.patch".into()),
            },
        ],
    );
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    let srcdir = tmp.path().join("srcdir");
    prepare_srcdir(&r, &fetched, &srcdir).unwrap();
    assert_eq!(fs::read(srcdir.join("config.sub")).unwrap(), b"sub");
    assert_eq!(fs::read(srcdir.join("patches/fix.patch")).unwrap(), b"patch");

    let bad = Source::File {
        url: "dl/x.patch".into(),
        sha256: sha256(b"patch"),
        filename: Some("../x".into()),
    };
    let r = recipe(tmp.path(), vec![bad]);
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    assert!(matches!(prepare_srcdir(&r, &fetched, &srcdir), Err(Error::UnsafeTarget { .. })));
}

#[test]
fn directory_sources_are_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let bundled = tmp.path().join("bundled");
    fs::create_dir_all(bundled.join("patches/deep")).unwrap();
    fs::write(bundled.join("patches/a.patch"), b"a").unwrap();
    fs::write(bundled.join("patches/deep/b.patch"), b"b").unwrap();
    fs::write(bundled.join("build.sh"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(bundled.join("build.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("patches/a.patch", bundled.join("alias")).unwrap();
    symlink("../a.patch", bundled.join("patches/deep/up")).unwrap();
    let r = recipe(
        tmp.path(),
        vec![
            Source::Directory { path: "bundled".into(), target: None },
            Source::Directory { path: "./bundled".into(), target: Some("again".into()) },
        ],
    );
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    let srcdir = tmp.path().join("srcdir");
    prepare_srcdir(&r, &fetched, &srcdir).unwrap();
    for base in [srcdir.clone(), srcdir.join("again")] {
        assert_eq!(fs::read(base.join("patches/deep/b.patch")).unwrap(), b"b");
        assert_eq!(fs::read_link(base.join("alias")).unwrap(), Path::new("patches/a.patch"));
        assert_eq!(fs::read(base.join("patches/deep/up")).unwrap(), b"a");
        assert!(fs::metadata(base.join("build.sh")).unwrap().permissions().mode() & 0o100 != 0);
    }
}

#[test]
fn directory_symlink_escape_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bundled = tmp.path().join("bundled");
    fs::create_dir_all(bundled.join("sub")).unwrap();
    symlink("../../secret", bundled.join("sub/link")).unwrap();
    let r = recipe(tmp.path(), vec![Source::Directory { path: "bundled".into(), target: None }]);
    // Refused when fetched (and by `recipe check`, which uses the same check)...
    let err = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap_err();
    assert!(matches!(err, Error::UnsafeDirectory { .. }), "{err:?}");
    assert!(err.to_string().contains("outside"), "{err}");
    let err = check_directory_source(tmp.path(), "bundled").unwrap_err();
    assert!(matches!(err, Error::UnsafeDirectory { .. }), "{err:?}");

    // ... and again when the source directory is prepared, if the tree changed in between.
    fs::remove_file(bundled.join("sub/link")).unwrap();
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    symlink("/etc/passwd", bundled.join("sub/link")).unwrap();
    let err = prepare_srcdir(&r, &fetched, &tmp.path().join("srcdir2")).unwrap_err();
    assert!(matches!(err, Error::UnsafeDirectory { .. }), "{err:?}");
}

/// A `directory` source that is itself a symlink (or reached through one) out of the recipe's
/// directory is refused, at fetch and at srcdir preparation.
#[test]
fn directory_source_through_a_symlink_out_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), b"s").unwrap();
    let recipe_dir = tmp.path().join("recipe");
    fs::create_dir_all(recipe_dir.join("real")).unwrap();
    symlink(&outside, recipe_dir.join("bundled")).unwrap();
    symlink("../..", recipe_dir.join("real/up")).unwrap();
    for path in ["bundled", "real/up/outside", "../outside"] {
        let r = recipe(&recipe_dir, vec![Source::Directory { path: path.into(), target: None }]);
        let err = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap_err();
        assert!(matches!(err, Error::UnsafeDirectory { .. }), "{path}: {err:?}");
        assert!(err.to_string().contains("outside the recipe's directory"), "{err}");
    }
    // A fetched record pointing outside is refused by prepare_srcdir as well.
    let r = recipe(&recipe_dir, vec![Source::Directory { path: "bundled".into(), target: None }]);
    let forged = vec![repro_sources::FetchedSource {
        source: r.sources[0].clone(),
        cached: outside.clone(),
        sha256: None,
        origin: repro_sources::FetchOrigin::Local,
    }];
    let err = prepare_srcdir(&r, &forged, &tmp.path().join("srcdir")).unwrap_err();
    assert!(matches!(err, Error::UnsafeDirectory { .. }), "{err:?}");
    assert!(!tmp.path().join("srcdir/secret").exists());
}

#[test]
fn directory_copied_into_itself_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("f"), b"x").unwrap();
    let r = recipe(tmp.path(), vec![Source::Directory { path: ".".into(), target: None }]);
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    let err = prepare_srcdir(&r, &fetched, &tmp.path().join("srcdir")).unwrap_err();
    assert!(matches!(err, Error::UnsafeDirectory { .. }), "{err:?}");
}

#[test]
fn later_sources_cannot_write_through_earlier_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let bundled = tmp.path().join("bundled");
    fs::create_dir_all(&bundled).unwrap();
    // Points inside the copied tree lexically (`.`), so the copy allows it...
    symlink(".", bundled.join("loop")).unwrap();
    let tar = sample_tar();
    fs::write(tmp.path().join("a.tar"), &tar).unwrap();
    let r = recipe(
        tmp.path(),
        vec![
            Source::Directory { path: "bundled".into(), target: None },
            // ...but an archive may not be unpacked through it.
            archive_src("a.tar", &sha256(&tar), Some("loop")),
        ],
    );
    let fetched = fetcher(&tmp.path().join("cache")).fetch_recipe(&r).unwrap();
    let err = prepare_srcdir(&r, &fetched, &tmp.path().join("srcdir")).unwrap_err();
    assert!(matches!(err, Error::UnsafeTarget { .. }), "{err:?}");
}

#[test]
fn unfetched_sources_are_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let r = recipe(tmp.path(), vec![file_src("x", &sha256(b"x"))]);
    let err = prepare_srcdir(&r, &[], &tmp.path().join("srcdir")).unwrap_err();
    assert!(matches!(err, Error::NotFetched { index: 0, .. }), "{err:?}");
}
