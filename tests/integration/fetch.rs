//! Integration tests for `repro fetch`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::support::{data, repro};

const ARCHIVE_SHA: &str = "7dc864cab40c6819f786afffd5eb3b7d7d75f4011d6ce4d46142034d8cc0125f";
const NOTES_SHA: &str = "26becc574a2c929512fcd86990a9f734de6c72f5b9c25ddd20d43d696577d415";

fn out_err(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn cache_entries(cache: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(cache.join("sha256"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Writes a recipe with the given `[[sources]]` text into `dir`.
fn write_recipe(dir: &Path, sources: &str) -> std::path::PathBuf {
    let path = dir.join("recipe.toml");
    let text = format!(
        "name = \"t\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = \"true\"\n{sources}\n\
         [[products]]\nfile = \"x\"\n"
    );
    fs::write(&path, text).unwrap();
    path
}

/// Serves `body` for every request, `count` times, on a loopback port; returns the base URL and
/// the number of requests answered so far. The body goes out in chunks, 20 ms apart.
fn serve(body: Vec<u8>, count: usize) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(head.as_bytes());
            for chunk in body.chunks(body.len().div_ceil(5).max(1)) {
                std::thread::sleep(std::time::Duration::from_millis(20));
                let _ = stream.write_all(chunk);
            }
        }
    });
    (base, hits)
}

#[test]
fn fetch_local_recipe_prints_one_line_per_source_then_hits_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let recipe = data("fetch/local/recipe.toml");
    let out = repro().arg("fetch").arg(&recipe).arg("--cache").arg(&cache).output().unwrap();
    let (stdout, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let archive_path = cache.join("sha256").join(ARCHIVE_SHA);
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "local",
            &format!("sha256:{ARCHIVE_SHA}"),
            &archive_path.display().to_string(),
            "hello-1.0.tar.gz"
        ]
    );
    assert!(lines[1].starts_with("local ") && lines[1].contains(NOTES_SHA), "{}", lines[1]);
    assert!(lines[2].starts_with("local ") && lines[2].contains("directory"), "{}", lines[2]);
    assert_eq!(cache_entries(&cache), [NOTES_SHA, ARCHIVE_SHA], "sorted");
    assert!(stderr.contains("hello-1.0.tar.gz"), "progress on stderr: {stderr}");

    let out = repro().arg("fetch").arg(&recipe).arg("--cache").arg(&cache).output().unwrap();
    let (stdout, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let origins: Vec<&str> = stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(origins, ["cache", "cache", "local"]);
}

#[test]
fn fetch_with_srcdir_lays_out_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let srcdir = tmp.path().join("srcdir");
    let out = repro()
        .arg("fetch")
        .arg(data("fetch/local/recipe.toml"))
        .env("REPRO_CACHE", tmp.path().join("cache"))
        .arg("--srcdir")
        .arg(&srcdir)
        .output()
        .unwrap();
    let (_, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(
        fs::read_to_string(srcdir.join("hello-1.0/hello.c")).unwrap(),
        "int hello(void) { return 42; }\n"
    );
    let mode = fs::metadata(srcdir.join("hello-1.0/configure")).unwrap().permissions().mode();
    assert!(mode & 0o100 != 0, "configure stays executable");
    assert_eq!(fs::read_to_string(srcdir.join("docs/NOTES")).unwrap(), "notes for the build\n");
    assert!(srcdir.join("patches/fix.patch").is_file());
    assert_eq!(cache_entries(&tmp.path().join("cache")).len(), 2, "REPRO_CACHE is used");
}

#[test]
fn hash_mismatch_exits_2_and_caches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.txt"), b"actual content").unwrap();
    let wrong = sha256(b"expected content");
    let recipe =
        write_recipe(tmp.path(), &format!("[[sources]]\nfile = \"a.txt\"\nsha256 = \"{wrong}\"\n"));
    let cache = tmp.path().join("cache");
    let out = repro().arg("fetch").arg(&recipe).arg("--cache").arg(&cache).output().unwrap();
    let (stdout, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(2), "stdout: {stdout}");
    assert!(stderr.contains(&wrong), "expected hash shown: {stderr}");
    // A local file's real hash is never printed (a recipe must not reveal it).
    assert!(!stderr.contains(&sha256(b"actual content")), "actual hash shown: {stderr}");
    assert!(stderr.contains("a.txt"), "URL shown: {stderr}");
    assert!(cache_entries(&cache).is_empty());
}

#[test]
fn offline_fetch_from_mirrors() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = fs::read(data("fetch/local/hello-1.0.tar.gz")).unwrap();
    let notes = fs::read(data("fetch/local/notes.txt")).unwrap();
    // Port 9 on loopback: nothing listens there; the URLs must never be needed.
    let recipe = write_recipe(
        tmp.path(),
        &format!(
            "[[sources]]\narchive = \"http://127.0.0.1:9/dl/hello-1.0.tar.gz\"\nsha256 = \"{ARCHIVE_SHA}\"\n\n\
             [[sources]]\nfile = \"https://127.0.0.1:9/dl/notes.txt\"\nsha256 = \"{NOTES_SHA}\"\n"
        ),
    );
    let by_hash = tmp.path().join("mirror-hash");
    fs::create_dir_all(by_hash.join("sha256")).unwrap();
    fs::write(by_hash.join("sha256").join(ARCHIVE_SHA), &archive).unwrap();
    let by_name = tmp.path().join("mirror-name");
    fs::create_dir_all(&by_name).unwrap();
    fs::write(by_name.join("notes.txt"), &notes).unwrap();

    let cache = tmp.path().join("cache");
    let out = repro()
        .arg("fetch")
        .arg(&recipe)
        .arg("--cache")
        .arg(&cache)
        .arg("--offline")
        .arg("--mirror")
        .arg(&by_name)
        .env("REPRO_MIRROR", format!("{}:/nonexistent-mirror", by_hash.display()))
        .output()
        .unwrap();
    let (stdout, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let origins: Vec<&str> = stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(origins, ["mirror", "mirror"]);
    assert_eq!(cache_entries(&cache), [NOTES_SHA, ARCHIVE_SHA], "sorted");

    // Without the mirrors and offline, the error says what to do.
    let out = repro()
        .arg("fetch")
        .arg(&recipe)
        .arg("--cache")
        .arg(tmp.path().join("cache2"))
        .env("REPRO_OFFLINE", "1")
        .output()
        .unwrap();
    let (_, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("offline") && stderr.contains("--mirror"), "{stderr}");
}

#[test]
fn fetch_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let body = b"downloaded over http\n".to_vec();
    let (base, _) = serve(body.clone(), 1);
    let sha = sha256(&body);
    let recipe = write_recipe(
        tmp.path(),
        &format!("[[sources]]\nfile = \"{base}/files/data.txt\"\nsha256 = \"{sha}\"\n"),
    );
    let cache = tmp.path().join("cache");
    let srcdir = tmp.path().join("srcdir");
    let out = repro()
        .arg("fetch")
        .arg(&recipe)
        .arg("--cache")
        .arg(&cache)
        .arg("--srcdir")
        .arg(&srcdir)
        .output()
        .unwrap();
    let (stdout, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stdout.starts_with("network "), "{stdout}");
    assert_eq!(fs::read(srcdir.join("data.txt")).unwrap(), body);
}

#[test]
fn missing_recipe_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = repro()
        .arg("fetch")
        .arg(tmp.path().join("nope.toml"))
        .arg("--cache")
        .arg(tmp.path())
        .output()
        .unwrap();
    let (_, stderr) = out_err(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("nope.toml"), "{stderr}");
}

#[test]
fn concurrent_processes_share_one_download() {
    let tmp = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    let (base, hits) = serve(body.clone(), 4);
    let sha = sha256(&body);
    let recipe = write_recipe(
        tmp.path(),
        &format!("[[sources]]\nfile = \"{base}/big.bin\"\nsha256 = \"{sha}\"\n"),
    );
    let cache = tmp.path().join("cache");
    let bin = assert_cmd::cargo::cargo_bin("repro");
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(&bin)
                .arg("fetch")
                .arg(&recipe)
                .arg("--cache")
                .arg(&cache)
                .env_remove("REPRO_MIRROR")
                .env_remove("REPRO_OFFLINE")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut origins = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = out_err(&out);
        assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
        origins.push(stdout.split_whitespace().next().unwrap().to_owned());
    }
    origins.sort();
    assert_eq!(origins, ["cache", "cache", "network"]);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(cache_entries(&cache), [sha]);
    assert_eq!(fs::read(cache.join("sha256").join(sha256(&body))).unwrap(), body);
}
