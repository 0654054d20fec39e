//! The [`Fetcher`]: finds every source of a recipe in the cache, a mirror, a local path or the
//! network, verifies it (sha256 or git commit) and stores it in the content-addressed cache.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use repro_events::{Event, FetchOrigin, Level, Sink};
use repro_recipe::{Recipe, Source};

use crate::cache::{Cache, CopyError, copy_hashing, hash_file, normalize_commit, normalize_sha256};
use crate::config::FetchConfig;
use crate::error::{Error, Result};
use crate::url::{Location, basename, classify, repo_name};
use crate::{git, http};

/// Default cap on the size of one downloaded or copied source file (16 GiB).
pub const DEFAULT_MAX_SOURCE_BYTES: u64 = 16 << 30;

/// One fetched and verified source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedSource {
    /// The recipe's source this came from.
    pub source: Source,
    /// The cache path of the verified file, the cached git repository (bare), or the local
    /// directory of a directory source.
    pub cached: PathBuf,
    /// The verified sha256 (archives and files); `None` for git and directory sources.
    pub sha256: Option<String>,
    /// Where the bytes came from this time.
    pub origin: FetchOrigin,
}

/// Fetches and verifies sources into a cache.
pub struct Fetcher {
    cfg: FetchConfig,
    sink: Sink,
    cache: Cache,
    agent: OnceLock<ureq::Agent>,
    max_bytes: u64,
}

impl Fetcher {
    /// A fetcher for `cfg`, reporting progress to `sink`.
    pub fn new(cfg: FetchConfig, sink: Sink) -> Fetcher {
        let cache = Cache::new(cfg.cache_dir.clone());
        Fetcher { cfg, sink, cache, agent: OnceLock::new(), max_bytes: DEFAULT_MAX_SOURCE_BYTES }
    }

    /// Sets the cap on the size of one source file (default [`DEFAULT_MAX_SOURCE_BYTES`]).
    pub fn with_max_source_bytes(mut self, limit: u64) -> Fetcher {
        self.max_bytes = limit;
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetches and verifies every source of `recipe`, in order.
    pub fn fetch_recipe(&self, recipe: &Recipe) -> Result<Vec<FetchedSource>> {
        recipe.sources.iter().map(|s| self.fetch_source(s, &recipe.dir)).collect()
    }

    /// Fetches and verifies one source; relative paths are resolved against `base`.
    pub fn fetch_source(&self, source: &Source, base: &Path) -> Result<FetchedSource> {
        let (cached, sha256, origin) = match source {
            Source::Archive { url, sha256, .. } | Source::File { url, sha256, .. } => {
                let (path, origin) = self.fetch_file(url, sha256, base)?;
                (path, Some(normalize_sha256(url, sha256)?), origin)
            }
            Source::Git { url, commit, .. } => {
                let (path, origin) = self.fetch_git(url, commit, base)?;
                (path, None, origin)
            }
            Source::Directory { path, .. } => {
                let dir = crate::layout::check_directory_source(&absolute(base), path)?;
                (dir, None, FetchOrigin::Local)
            }
        };
        Ok(FetchedSource { source: source.clone(), cached, sha256, origin })
    }

    /// Makes the file with sha256 `sha256` available in the cache, looking in the cache, the
    /// mirrors, then `url`. Returns the cache path and where the bytes came from.
    pub fn fetch_file(
        &self,
        url: &str,
        sha256: &str,
        base: &Path,
    ) -> Result<(PathBuf, FetchOrigin)> {
        let hex = normalize_sha256(url, sha256)?;
        let location = classify(url, base)?;
        self.cache.ensure_dirs()?;
        let entry = self.cache.blob_path(&hex);

        if self.cached_ok(&entry, &hex, url, false)? {
            return Ok(self.finish(url, &hex, entry, FetchOrigin::Cache));
        }
        let _lock = self.cache.lock(&format!("sha256-{hex}"))?;
        // Another process may have finished the same entry while we waited for the lock.
        if self.cached_ok(&entry, &hex, url, true)? {
            return Ok(self.finish(url, &hex, entry, FetchOrigin::Cache));
        }

        let mut tried = Vec::new();
        let name = basename(url);
        for mirror in &self.cfg.mirrors {
            let mut candidates = vec![(mirror.join("sha256").join(&hex), "by sha256")];
            if let Some(name) = &name {
                candidates.push((mirror.join(name), "by name"));
            }
            let mut found_any = false;
            for (path, how) in candidates {
                if !path.is_file() {
                    continue;
                }
                found_any = true;
                match self.copy_local(&path, url) {
                    Ok((tmp, actual)) if actual == hex => {
                        let dest = self.cache.persist(tmp, &hex)?;
                        return Ok(self.finish(url, &hex, dest, FetchOrigin::Mirror));
                    }
                    Ok((_, actual)) => {
                        self.warn(format!(
                            "mirror file {} ({how}) has sha256 {actual}, expected {hex} for {url}; skipping it",
                            path.display()
                        ));
                        tried.push(format!("{} (wrong sha256 {actual})", path.display()));
                    }
                    Err(e) => {
                        self.warn(format!("cannot use mirror file {}: {e}", path.display()));
                        tried.push(format!("{} ({e})", path.display()));
                    }
                }
            }
            if !found_any {
                tried.push(format!("mirror {} (not present)", mirror.display()));
            }
        }

        match location {
            Location::Other { scheme } => {
                let tried = if tried.is_empty() {
                    "no mirrors configured".to_owned()
                } else {
                    tried.join(", ")
                };
                Err(Error::UnsupportedUrl {
                    url: url.to_owned(),
                    reason: format!(
                        "repro does not download {scheme}:// URLs, and no file with sha256 {hex} is in the cache or a mirror (tried: {tried}); put the file in a source mirror as sha256/{hex}, or use an http(s) URL of the same file"
                    ),
                })
            }
            Location::Local(path) => {
                let (tmp, actual) = self.copy_local(&path, url)?;
                if actual != hex {
                    // The hash of an arbitrary local file is not shown: a recipe must not be a
                    // way to learn it.
                    return Err(Error::LocalHashMismatch { url: url.to_owned(), expected: hex });
                }
                let dest = self.cache.persist(tmp, &hex)?;
                Ok(self.finish(url, &hex, dest, FetchOrigin::Local))
            }
            Location::Http(http_url) => {
                if self.cfg.offline {
                    let tried = if tried.is_empty() {
                        "no mirrors configured".to_owned()
                    } else {
                        tried.join(", ")
                    };
                    return Err(Error::Offline { url: url.to_owned(), tried });
                }
                let mut tmp = self.cache.temp_file()?;
                let agent = self.agent.get_or_init(http::agent);
                let mut last = 0u64;
                let announced = std::cell::Cell::new(None);
                let (actual, _) = http::download(
                    agent,
                    &http_url,
                    tmp.as_file_mut(),
                    self.max_bytes,
                    |total| {
                        announced.set(total);
                        self.sink.emit(Event::FetchStarted { source: url.to_owned(), total });
                    },
                    |bytes| {
                        if bytes - last >= 1 << 20 {
                            last = bytes;
                            let total = announced.get();
                            self.sink.emit(Event::FetchProgress {
                                source: url.to_owned(),
                                bytes,
                                total,
                            });
                        }
                    },
                )?;
                if actual != hex {
                    return Err(Error::HashMismatch { url: url.to_owned(), expected: hex, actual });
                }
                let dest = self.cache.persist(tmp, &hex)?;
                Ok(self.finish(url, &hex, dest, FetchOrigin::Network))
            }
        }
    }

    /// Makes `commit` of the git repository `url` available in the cache (a bare repository),
    /// fetching from mirrors (`DIR/git/<name>[.git]`) or the URL. Returns the repository path.
    pub fn fetch_git(
        &self,
        url: &str,
        commit: &str,
        base: &Path,
    ) -> Result<(PathBuf, FetchOrigin)> {
        let commit = normalize_commit(url, commit)?;
        let location = classify(url, base)?;
        let key = match &location {
            Location::Http(u) => u.clone(),
            Location::Other { scheme } if scheme == "git" => url.to_owned(),
            Location::Other { scheme } => {
                return Err(Error::UnsupportedUrl {
                    url: url.to_owned(),
                    reason: format!(
                        "a git source cannot be fetched from a {scheme}:// URL; use https://"
                    ),
                });
            }
            Location::Local(p) => absolute(p).to_string_lossy().into_owned(),
        };
        self.cache.ensure_dirs()?;
        let repo = self.cache.git_path(&key);
        self.sink.emit(Event::FetchStarted { source: url.to_owned(), total: None });
        if repo.is_dir() && git::has_commit(&repo, &commit) {
            return Ok(self.finish(url, &commit, repo, FetchOrigin::Cache));
        }
        let lock_name = format!(
            "git-{}",
            repo.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        );
        let _lock = self.cache.lock(&lock_name)?;
        if !repo.is_dir() {
            let tmp = self.cache.temp_git_dir()?;
            git::init_bare(tmp.path(), url)?;
            let kept = tmp.keep();
            if let Err(e) = fs::rename(&kept, &repo) {
                let _ = fs::remove_dir_all(&kept);
                return Err(Error::io("cannot create git cache entry", &repo, e));
            }
        }
        if git::has_commit(&repo, &commit) {
            return Ok(self.finish(url, &commit, repo, FetchOrigin::Cache));
        }

        let mut tried = Vec::new();
        if let Some(name) = repo_name(url) {
            for mirror in &self.cfg.mirrors {
                for cand in
                    [mirror.join("git").join(&name), mirror.join("git").join(format!("{name}.git"))]
                {
                    if !cand.is_dir() {
                        continue;
                    }
                    match git::fetch_into(&repo, cand.as_os_str(), &commit, url) {
                        Ok(()) if git::has_commit(&repo, &commit) => {
                            return Ok(self.finish(url, &commit, repo, FetchOrigin::Mirror));
                        }
                        Ok(()) => tried.push(format!("{} (no such commit)", cand.display())),
                        Err(e) => {
                            self.warn(format!(
                                "cannot fetch from git mirror {}: {e}",
                                cand.display()
                            ));
                            tried.push(format!("{} ({e})", cand.display()));
                        }
                    }
                }
            }
        }
        let origin = match &location {
            Location::Local(path) => {
                if !path.exists() {
                    return Err(Error::LocalSource {
                        path: path.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "no such git repository",
                        ),
                    });
                }
                git::fetch_into(&repo, absolute(path).as_os_str(), &commit, url)?;
                FetchOrigin::Local
            }
            Location::Http(_) | Location::Other { .. } => {
                let u = url;
                if self.cfg.offline {
                    let tried = if tried.is_empty() {
                        "no git mirrors".to_owned()
                    } else {
                        tried.join(", ")
                    };
                    return Err(Error::Offline { url: url.to_owned(), tried });
                }
                git::fetch_into(&repo, std::ffi::OsStr::new(u), &commit, url)?;
                FetchOrigin::Network
            }
        };
        tried.push(url.to_owned());
        if !git::has_commit(&repo, &commit) {
            return Err(Error::CommitNotFound {
                url: url.to_owned(),
                commit,
                tried: tried.join(", "),
            });
        }
        Ok(self.finish(url, &commit, repo, origin))
    }

    /// Whether `entry` exists with the right hash. A corrupt entry is removed (with a warning)
    /// when `may_remove` (the caller holds the entry's lock).
    fn cached_ok(&self, entry: &Path, hex: &str, url: &str, may_remove: bool) -> Result<bool> {
        if !entry.is_file() {
            return Ok(false);
        }
        let actual =
            hash_file(entry).map_err(|e| Error::io("cannot read cache entry", entry, e))?;
        if actual == hex {
            let total = fs::metadata(entry).ok().map(|m| m.len());
            self.sink.emit(Event::FetchStarted { source: url.to_owned(), total });
            return Ok(true);
        }
        if may_remove {
            self.warn(format!(
                "cache entry {} is corrupt (sha256 {actual}); fetching it again",
                entry.display()
            ));
            fs::remove_file(entry)
                .map_err(|e| Error::io("cannot remove corrupt cache entry", entry, e))?;
        }
        Ok(false)
    }

    /// Copies a local file into a cache temp file, hashing it. Returns the temp file and its hash.
    fn copy_local(&self, path: &Path, url: &str) -> Result<(tempfile::NamedTempFile, String)> {
        let local_err = |e| Error::LocalSource { path: path.to_owned(), source: e };
        let mut src = File::open(path).map_err(local_err)?;
        let meta = src.metadata().map_err(local_err)?;
        if !meta.is_file() {
            return Err(local_err(std::io::Error::other("not a regular file")));
        }
        self.sink.emit(Event::FetchStarted { source: url.to_owned(), total: Some(meta.len()) });
        let mut tmp = self.cache.temp_file()?;
        let (hex, _) = copy_hashing(&mut src, tmp.as_file_mut(), self.max_bytes, |_| {}).map_err(
            |e| match e {
                CopyError::TooLarge => {
                    Error::TooLarge { url: url.to_owned(), limit: self.max_bytes }
                }
                CopyError::Read(e) => local_err(e),
                CopyError::Write(e) => Error::io("cannot write to", tmp.path(), e),
            },
        )?;
        Ok((tmp, hex))
    }

    fn finish(
        &self,
        url: &str,
        id: &str,
        path: PathBuf,
        origin: FetchOrigin,
    ) -> (PathBuf, FetchOrigin) {
        self.sink.emit(Event::FetchFinished {
            source: url.to_owned(),
            origin,
            sha256: id.to_owned(),
        });
        (path, origin)
    }

    fn warn(&self, message: String) {
        self.sink.emit(Event::Note { level: Level::Warn, message });
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}
