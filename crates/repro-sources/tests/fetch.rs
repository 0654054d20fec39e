//! Fetching files and archives: HTTP, cache, verification, mirrors, offline, local paths.

mod support;

use std::fs;
use std::sync::Arc;

use repro_events::{Collector, Event, Level};
use repro_sources::{Error, FetchOrigin, Fetcher};
use support::*;

#[test]
fn http_download_is_verified_and_cached() {
    let server = Server::start();
    let body = b"source bytes\n".repeat(1000);
    let sha = sha256(&body);
    let url = server.route("/dl/foo-1.0.txt", Reply::Bytes(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let events = Collector::new();
    let fetcher = Fetcher::new(config(&cache, vec![], false), events.sink());
    let r = recipe(tmp.path(), vec![file_src(&url, &sha)]);

    let got = fetcher.fetch_recipe(&r).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].origin, FetchOrigin::Network);
    assert_eq!(got[0].sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(got[0].cached, cache.join("sha256").join(&sha));
    assert_eq!(fs::read(&got[0].cached).unwrap(), body);
    assert_eq!(cache_entries(&cache), vec![sha.clone()]);
    assert!(temp_entries(&cache).is_empty());
    let evs = events.events();
    assert!(
        matches!(&evs[0], Event::FetchStarted { total: Some(n), .. } if *n == body.len() as u64)
    );
    assert!(
        matches!(evs.last().unwrap(), Event::FetchFinished { origin: FetchOrigin::Network, sha256, .. } if *sha256 == sha)
    );

    // Second fetch: from the cache, no request.
    let hits = server.hits();
    let again = fetcher.fetch_recipe(&r).unwrap();
    assert_eq!(again[0].origin, FetchOrigin::Cache);
    assert_eq!(server.hits(), hits);
}

#[test]
fn uppercase_sha256_is_accepted() {
    let server = Server::start();
    let body = b"abc".to_vec();
    let url = server.route("/a", Reply::Bytes(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) =
        fetcher(tmp.path()).fetch_file(&url, &sha256(&body).to_uppercase(), tmp.path()).unwrap();
    assert_eq!(fs::read(path).unwrap(), body);
}

#[test]
fn hash_mismatch_is_refused_and_cache_untouched() {
    let server = Server::start();
    let expected = sha256(b"the real thing");
    let url = server.route("/evil.tar.gz", Reply::Bytes(b"something else".to_vec()));
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let err = fetcher(&cache).fetch_file(&url, &expected, tmp.path()).unwrap_err();
    let actual = sha256(b"something else");
    match &err {
        Error::HashMismatch { url: u, expected: e, actual: a } => {
            assert_eq!((u, e, a), (&url, &expected, &actual));
        }
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&expected) && msg.contains(&actual) && msg.contains(&url), "{msg}");
    assert!(cache_entries(&cache).is_empty());
    assert!(temp_entries(&cache).is_empty(), "temp files left: {:?}", temp_entries(&cache));
}

#[test]
fn interrupted_download_leaves_no_entry() {
    let server = Server::start();
    let full = vec![7u8; 100_000];
    let sha = sha256(&full);
    let url = server.route(
        "/big.bin",
        Reply::Truncated { declared: full.len(), body: full[..40_000].to_vec() },
    );
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let err = fetcher(&cache).fetch_file(&url, &sha, tmp.path()).unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    assert!(err.to_string().contains(&url), "{err}");
    assert!(cache_entries(&cache).is_empty());
    assert!(temp_entries(&cache).is_empty());

    // Once the server behaves, the same fetch succeeds.
    server.route("/big.bin", Reply::Bytes(full.clone()));
    let (path, origin) = fetcher(&cache).fetch_file(&url, &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Network);
    assert_eq!(fs::read(path).unwrap(), full);
}

#[test]
fn http_error_status_is_reported() {
    let server = Server::start();
    let url = server.route("/missing", Reply::Status(404));
    let tmp = tempfile::tempdir().unwrap();
    let err = fetcher(tmp.path()).fetch_file(&url, &sha256(b"x"), tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("404") && msg.contains(&url), "{msg}");
}

#[test]
fn size_cap_is_enforced() {
    let server = Server::start();
    let body = vec![1u8; 10_000];
    let url = server.route("/huge", Reply::Bytes(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let f = fetcher(&cache).with_max_source_bytes(1000);
    let err = f.fetch_file(&url, &sha256(&body), tmp.path()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 1000, .. }), "{err:?}");
    assert!(err.to_string().contains("size cap"), "{err}");
    assert!(cache_entries(&cache).is_empty());
}

#[test]
fn concurrent_fetches_yield_one_good_entry() {
    let server = Server::start();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sha = sha256(&body);
    let url = server.route("/shared.bin", Reply::Slow(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let cache = Arc::new(tmp.path().join("cache"));
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (cache, url, sha) = (cache.clone(), url.clone(), sha.clone());
            let base = tmp.path().to_owned();
            // Separate fetchers, as separate processes would have.
            std::thread::spawn(move || fetcher(&cache).fetch_file(&url, &sha, &base).unwrap())
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (path, _) in &results {
        assert_eq!(fs::read(path).unwrap(), body);
    }
    let network = results.iter().filter(|(_, o)| *o == FetchOrigin::Network).count();
    assert_eq!(network, 1, "exactly one fetch downloads, the others wait and use the cache");
    assert_eq!(server.hits(), 1);
    assert_eq!(cache_entries(&cache), vec![sha]);
    assert!(temp_entries(&cache).is_empty());
}

#[test]
fn mirror_by_sha256_needs_no_network() {
    let body = b"mirrored by hash".to_vec();
    let sha = sha256(&body);
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    fs::create_dir_all(mirror.join("sha256")).unwrap();
    fs::write(mirror.join("sha256").join(&sha), &body).unwrap();
    let cache = tmp.path().join("cache");
    // An unroutable URL: any network attempt would fail the test.
    let url = "http://127.0.0.1:9/never/used.tar.gz";
    let f = Fetcher::new(
        config(&cache, vec![tmp.path().join("empty-mirror"), mirror], true),
        repro_events::null_sink(),
    );
    let (path, origin) = f.fetch_file(url, &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Mirror);
    assert_eq!(fs::read(path).unwrap(), body);
}

#[test]
fn mirror_by_name_is_used_when_hash_matches() {
    let server = Server::start();
    let body = b"mirrored by name".to_vec();
    let sha = sha256(&body);
    let url = server.route("/pkg/foo-2.0.tar.gz", Reply::Bytes(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    fs::create_dir_all(&mirror).unwrap();
    fs::write(mirror.join("foo-2.0.tar.gz"), &body).unwrap();
    let f = Fetcher::new(
        config(&tmp.path().join("cache"), vec![mirror], false),
        repro_events::null_sink(),
    );
    let (_, origin) = f.fetch_file(&url, &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Mirror);
    assert_eq!(server.hits(), 0, "the mirror had the file: no request");
}

#[test]
fn wrong_hash_by_name_mirror_file_is_skipped_with_a_warning() {
    let server = Server::start();
    let body = b"the genuine file".to_vec();
    let sha = sha256(&body);
    let url = server.route("/pkg/bar.zip", Reply::Bytes(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad-mirror");
    fs::create_dir_all(&bad).unwrap();
    fs::write(bad.join("bar.zip"), b"an impostor").unwrap();
    let good = tmp.path().join("good-mirror");
    fs::create_dir_all(good.join("sha256")).unwrap();
    fs::write(good.join("sha256").join(&sha), &body).unwrap();
    let cache = tmp.path().join("cache");

    // Bad mirror first, good second: the good one is used.
    let events = Collector::new();
    let f = Fetcher::new(config(&cache, vec![bad.clone(), good], false), events.sink());
    let (path, origin) = f.fetch_file(&url, &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Mirror);
    assert_eq!(fs::read(path).unwrap(), body);
    let warned = events.events().into_iter().any(|e| {
        matches!(e, Event::Note { level: Level::Warn, message } if message.contains("bar.zip") && message.contains(&sha256(b"an impostor")))
    });
    assert!(warned, "a warning names the skipped mirror file and its hash");

    // Only the bad mirror: falls through to the network.
    let cache2 = tmp.path().join("cache2");
    let f = Fetcher::new(config(&cache2, vec![bad], false), repro_events::null_sink());
    let (_, origin) = f.fetch_file(&url, &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Network);
    assert_eq!(server.hits(), 1);
    assert_eq!(cache_entries(&cache2), vec![sha]);
}

#[test]
fn offline_without_mirror_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    fs::create_dir_all(&mirror).unwrap();
    let cache = tmp.path().join("cache");
    let f = Fetcher::new(config(&cache, vec![mirror.clone()], true), repro_events::null_sink());
    let err =
        f.fetch_file("https://example.invalid/x.tar.gz", &sha256(b"x"), tmp.path()).unwrap_err();
    assert!(matches!(err, Error::Offline { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("offline") && msg.contains(&mirror.display().to_string()), "{msg}");
}

#[test]
fn file_urls_and_relative_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let recipe_dir = tmp.path().join("recipes/foo");
    fs::create_dir_all(recipe_dir.join("bundled")).unwrap();
    fs::write(recipe_dir.join("bundled/fix.patch"), b"--- a\n+++ b\n").unwrap();
    let outside = tmp.path().join("dl/thing.txt");
    fs::create_dir_all(outside.parent().unwrap()).unwrap();
    fs::write(&outside, b"file url").unwrap();
    let cache = tmp.path().join("cache");
    let r = recipe(
        &recipe_dir,
        vec![
            file_src("bundled/fix.patch", &sha256(b"--- a\n+++ b\n")),
            file_src(&format!("file://{}", outside.display()), &sha256(b"file url")),
            file_src("../../dl/thing.txt", &sha256(b"file url")),
        ],
    );
    let got = fetcher(&cache).fetch_recipe(&r).unwrap();
    assert_eq!(got[0].origin, FetchOrigin::Local);
    assert_eq!(got[1].origin, FetchOrigin::Local);
    assert_eq!(got[2].origin, FetchOrigin::Cache, "same content as source 2");
    assert_eq!(fs::read(&got[0].cached).unwrap(), b"--- a\n+++ b\n");
    assert_eq!(cache_entries(&cache).len(), 2);

    // A local file with the wrong content is refused like a download.
    let r = recipe(&recipe_dir, vec![file_src("bundled/fix.patch", &sha256(b"other"))]);
    let err = fetcher(&tmp.path().join("cache3")).fetch_recipe(&r).unwrap_err();
    assert!(matches!(err, Error::LocalHashMismatch { .. }), "{err:?}");
    // The actual hash of a local file is never shown (a recipe must not reveal it).
    let msg = err.to_string();
    assert!(!msg.contains(&sha256(b"--- a\n+++ b\n")), "{msg}");
    assert!(msg.contains(&sha256(b"other")), "{msg}");
    assert!(cache_entries(&tmp.path().join("cache3")).is_empty());

    // A missing local file names its path.
    let r = recipe(&recipe_dir, vec![file_src("bundled/nope.patch", &sha256(b"x"))]);
    let err = fetcher(&cache).fetch_recipe(&r).unwrap_err();
    assert!(err.to_string().contains("nope.patch"), "{err}");
}

#[test]
fn corrupt_cache_entry_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let body = b"fresh".to_vec();
    let sha = sha256(&body);
    fs::write(tmp.path().join("src.txt"), &body).unwrap();
    let cache = tmp.path().join("cache");
    fs::create_dir_all(cache.join("sha256")).unwrap();
    fs::write(cache.join("sha256").join(&sha), b"bit rot").unwrap();
    let events = Collector::new();
    let f = Fetcher::new(config(&cache, vec![], false), events.sink());
    let (path, origin) = f.fetch_file("src.txt", &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Local);
    assert_eq!(fs::read(path).unwrap(), body);
    assert!(events.events().iter().any(
        |e| matches!(e, Event::Note { level: Level::Warn, message } if message.contains("corrupt"))
    ));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fetcher(tmp.path());
    let err = f.fetch_file("https://e.invalid/x", "1234", tmp.path()).unwrap_err();
    assert!(matches!(err, Error::InvalidSha256 { .. }), "{err:?}");
    let err = f.fetch_file("ftp://e.invalid/x", &sha256(b""), tmp.path()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("ftp://"), "{err}");
}

#[test]
fn large_downloads_report_progress() {
    let server = Server::start();
    let body: Vec<u8> = (0..3_500_000u32).map(|i| (i % 253) as u8).collect();
    let url = server.route("/large.bin", Reply::Bytes(body.clone()));
    let tmp = tempfile::tempdir().unwrap();
    let events = Collector::new();
    let f = Fetcher::new(config(tmp.path(), vec![], false), events.sink());
    f.fetch_file(&url, &sha256(&body), tmp.path()).unwrap();
    let progress: Vec<(u64, Option<u64>)> = events
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::FetchProgress { bytes, total, .. } => Some((bytes, total)),
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 3, "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "increasing: {progress:?}");
    assert!(progress.iter().all(|(b, t)| *t == Some(body.len() as u64) && *b <= body.len() as u64));
}

#[test]
fn fetcher_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Fetcher>();
}

#[test]
fn ftp_urls_come_from_a_mirror_or_fail_saying_why() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    fs::create_dir_all(mirror.join("sha256")).unwrap();
    let body = b"ftp source\n".to_vec();
    let sha = sha256(&body);
    let url = "ftp://ftp.example.invalid/pub/x-1.0.tar.gz";
    // Not in a mirror: a clear refusal naming the scheme, the hash and what to do.
    let cache = tmp.path().join("cache");
    let f = Fetcher::new(config(&cache, vec![mirror.clone()], false), repro_events::null_sink());
    let err = f.fetch_file(url, &sha, tmp.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("does not download ftp:// URLs"), "{msg}");
    assert!(msg.contains(&format!("sha256/{sha}")), "{msg}");
    // In the mirror: fetched from it.
    fs::write(mirror.join("sha256").join(&sha), &body).unwrap();
    let (path, origin) = f.fetch_file(url, &sha, tmp.path()).unwrap();
    assert_eq!(origin, FetchOrigin::Mirror);
    assert_eq!(fs::read(path).unwrap(), body);
}
