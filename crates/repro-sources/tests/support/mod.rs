//! Test helpers: a loopback HTTP server with scripted answers, recipes, hashing, archives.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use repro_recipe::{NormalizeConfig, Recipe, Source, Version};
use repro_sources::{FetchConfig, Fetcher};
use sha2::{Digest, Sha256};

/// How the server answers one path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with these bytes.
    Bytes(Vec<u8>),
    /// 200 announcing `declared` bytes, sending only `body`, then closing the connection.
    Truncated { declared: usize, body: Vec<u8> },
    /// 200 with these bytes, sent slowly in chunks (for concurrency tests).
    Slow(Vec<u8>),
    /// This status with an empty body.
    Status(u16),
}

/// A loopback HTTP/1.1 server serving scripted replies; counts requests.
pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h) = (routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, h) = (r.clone(), h.clone());
                std::thread::spawn(move || serve(stream, &r, &h));
            }
        });
        Server { base, routes, hits }
    }

    /// Adds a route; returns its full URL.
    pub fn route(&self, path: &str, reply: Reply) -> String {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
        format!("{}{}", self.base, path)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, routes: &Mutex<HashMap<String, Reply>>, hits: &AtomicUsize) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let reply = routes.lock().unwrap().get(&path).cloned().unwrap_or(Reply::Status(404));
    let mut s = stream;
    let head = |len: usize| {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    let _ = match reply {
        Reply::Bytes(b) => s.write_all(head(b.len()).as_bytes()).and_then(|_| s.write_all(&b)),
        Reply::Truncated { declared, body } => {
            s.write_all(head(declared).as_bytes()).and_then(|_| s.write_all(&body))
        }
        Reply::Slow(b) => {
            let r = s.write_all(head(b.len()).as_bytes());
            for chunk in b.chunks(b.len().div_ceil(8).max(1)) {
                std::thread::sleep(Duration::from_millis(20));
                if s.write_all(chunk).is_err() {
                    break;
                }
            }
            r
        }
        Reply::Status(code) => s.write_all(
            format!("HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        ),
    };
    let _ = s.flush();
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A recipe in `dir` with these sources.
pub fn recipe(dir: &Path, sources: Vec<Source>) -> Recipe {
    Recipe {
        path: dir.join("recipe.toml"),
        dir: dir.to_owned(),
        name: "Test".into(),
        version: Version { major: 1, minor: 0, patch: 0 },
        sources,
        script: String::new(),
        platforms: vec!["x86_64-linux-gnu".into()],
        products: vec![],
        dependencies: vec![],
        source_date_epoch: 0,
        environment: Default::default(),
        network: false,
        platform_independent: false,
        normalize: NormalizeConfig::default(),
    }
}

pub fn file_src(url: &str, sha: &str) -> Source {
    Source::File { url: url.into(), sha256: sha.into(), filename: None }
}

pub fn archive_src(url: &str, sha: &str, target: Option<&str>) -> Source {
    Source::Archive { url: url.into(), sha256: sha.into(), unpack_target: target.map(Into::into) }
}

pub fn config(cache: &Path, mirrors: Vec<PathBuf>, offline: bool) -> FetchConfig {
    FetchConfig { cache_dir: cache.to_owned(), mirrors, offline }
}

pub fn fetcher(cache: &Path) -> Fetcher {
    Fetcher::new(config(cache, vec![], false), repro_events::null_sink())
}

/// Names of the entries in `cache/sha256` (temp files never appear there).
pub fn cache_entries(cache: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(cache.join("sha256"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Names in `cache/tmp` (downloads in progress).
pub fn temp_entries(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache.join("tmp"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs git in `dir` with a fixed identity and dates; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Creates a git repo at `dir` with two commits; returns (first, second) commit ids.
pub fn make_repo(dir: &Path) -> (String, String) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README"), "first\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "one"]);
    let first = git(dir, &["rev-parse", "HEAD"]);
    std::fs::write(dir.join("README"), "second\n").unwrap();
    std::fs::write(dir.join("extra.c"), "int x;\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "two"]);
    let second = git(dir, &["rev-parse", "HEAD"]);
    (first, second)
}

/// A plain tar with `top/hello.txt`, `top/bin/run` (executable) and a symlink `top/link`.
pub fn sample_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8], mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(1_000_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, data).unwrap();
    };
    add("top/hello.txt", b"hello\n", 0o644);
    add("top/bin/run", b"#!/bin/sh\necho hi\n", 0o755);
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    b.append_link(&mut h, "top/link", "hello.txt").unwrap();
    b.into_inner().unwrap()
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// A zip with `top/hello.txt`, `top/bin/run` (executable) and `top/dir/`.
pub fn sample_zip() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::from_date_and_time(2001, 2, 3, 4, 5, 6).unwrap());
    w.add_directory("top/dir/", opts).unwrap();
    w.start_file("top/hello.txt", opts.unix_permissions(0o644)).unwrap();
    w.write_all(b"hello\n").unwrap();
    w.start_file("top/bin/run", opts.unix_permissions(0o755)).unwrap();
    w.write_all(b"#!/bin/sh\necho hi\n").unwrap();
    w.add_symlink("top/link", "hello.txt", opts).unwrap();
    w.finish().unwrap().into_inner()
}

/// A zip holding one file under the given (possibly hostile) name.
pub fn zip_with_name(name: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, SimpleFileOptions::default()).unwrap();
    w.write_all(b"evil\n").unwrap();
    w.finish().unwrap().into_inner()
}

/// A zip with a symlink entry pointing at `target`.
pub fn zip_with_symlink(name: &str, target: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_symlink(name, target, SimpleFileOptions::default()).unwrap();
    w.finish().unwrap().into_inner()
}
