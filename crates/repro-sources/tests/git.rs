//! Git sources: cached bare repositories, exact commits, mirrors, checkouts into srcdir.

mod support;

use std::fs;

use repro_recipe::Source;
use repro_sources::{Error, FetchOrigin, Fetcher, prepare_srcdir};
use support::*;

fn git_src(url: &str, commit: &str, target: Option<&str>) -> Source {
    Source::Git { url: url.into(), commit: commit.into(), unpack_target: target.map(Into::into) }
}

#[test]
fn git_source_checks_out_the_pinned_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("upstream/libfoo.git");
    let (first, second) = make_repo(&repo);
    let cache = tmp.path().join("cache");
    let r = recipe(
        tmp.path(),
        vec![
            git_src("upstream/libfoo.git", &first, None),
            git_src(&format!("file://{}", repo.display()), &second, Some("deps/foo2")),
        ],
    );
    let fetched = fetcher(&cache).fetch_recipe(&r).unwrap();
    assert_eq!(fetched[0].origin, FetchOrigin::Local);
    assert!(fetched[0].cached.starts_with(cache.join("git")));
    assert_eq!(fetched[0].sha256, None);

    let srcdir = tmp.path().join("srcdir");
    prepare_srcdir(&r, &fetched, &srcdir).unwrap();
    let co = srcdir.join("libfoo");
    assert_eq!(fs::read_to_string(co.join("README")).unwrap(), "first\n");
    assert!(!co.join("extra.c").exists());
    assert!(co.join(".git").is_dir(), "the checkout keeps .git");
    assert_eq!(git(&co, &["rev-parse", "HEAD"]), first);
    let co2 = srcdir.join("deps/foo2");
    assert_eq!(fs::read_to_string(co2.join("README")).unwrap(), "second\n");
    assert_eq!(git(&co2, &["rev-parse", "HEAD"]), second);

    // Fetching again comes from the cache, even if upstream is gone.
    fs::remove_dir_all(&repo).unwrap();
    let again = fetcher(&cache).fetch_recipe(&r).unwrap();
    assert_eq!(again[0].origin, FetchOrigin::Cache);
    assert_eq!(again[1].origin, FetchOrigin::Cache);
}

#[test]
fn missing_commit_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    make_repo(&repo);
    let bogus = "0123456789abcdef0123456789abcdef01234567";
    let err = fetcher(&tmp.path().join("cache")).fetch_git("repo", bogus, tmp.path()).unwrap_err();
    assert!(matches!(err, Error::CommitNotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(bogus) && msg.contains("repo"), "{msg}");

    let err =
        fetcher(&tmp.path().join("cache")).fetch_git("repo", "abc123", tmp.path()).unwrap_err();
    assert!(matches!(err, Error::InvalidCommit { .. }), "{err:?}");

    let err = fetcher(&tmp.path().join("cache"))
        .fetch_git("no-such-repo", bogus, tmp.path())
        .unwrap_err();
    assert!(err.to_string().contains("no-such-repo"), "{err}");
}

#[test]
fn git_mirror_is_used_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let (_, second) = make_repo(&work);
    let mirror = tmp.path().join("mirror");
    fs::create_dir_all(mirror.join("git")).unwrap();
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            mirror.join("git/zlib.git").to_str().unwrap(),
        ],
    );
    let f = Fetcher::new(
        config(&tmp.path().join("cache"), vec![mirror], true),
        repro_events::null_sink(),
    );
    let (path, origin) =
        f.fetch_git("https://example.invalid/madler/zlib.git", &second, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Mirror);
    assert_eq!(git(&path, &["rev-parse", &format!("{second}^{{commit}}")]), second);
}

#[test]
fn git_url_starting_with_dash_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = fetcher(tmp.path())
        .fetch_git("--upload-pack=touch pwned", &"a".repeat(40), tmp.path())
        .unwrap_err();
    assert!(!tmp.path().join("pwned").exists());
    assert!(matches!(err, Error::UnsupportedUrl { .. } | Error::LocalSource { .. }), "{err:?}");
}
