//! The content-addressed source cache.
//!
//! Layout under the cache root:
//! - `sha256/<hex>`: verified files, named by their sha256;
//! - `git/<sha256 of url>`: bare git repositories;
//! - `locks/<name>.lock`: per-entry lock files (advisory `flock`s, never deleted);
//! - `tmp/`: downloads in progress (renamed into `sha256/` only after verification).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Temporary files older than this are left over from killed processes and are removed.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Handle on a cache directory.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    root: PathBuf,
}

/// An exclusive lock on one cache entry; released on drop.
pub(crate) struct EntryLock {
    file: File,
}

impl Drop for EntryLock {
    fn drop(&mut self) {
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

impl Cache {
    pub(crate) fn new(root: PathBuf) -> Self {
        Cache { root }
    }

    /// The path of the verified file with this sha256.
    pub(crate) fn blob_path(&self, hex: &str) -> PathBuf {
        self.root.join("sha256").join(hex)
    }

    /// The path of the git repository cached for this URL.
    pub(crate) fn git_path(&self, url: &str) -> PathBuf {
        self.root.join("git").join(sha256_hex(url.as_bytes()))
    }

    /// Creates `sha256/`, `git/`, `locks/` and `tmp/`, and removes temporary files and clones
    /// left by processes that were killed more than [`STALE_AFTER`] ago.
    pub(crate) fn ensure_dirs(&self) -> Result<()> {
        for sub in ["sha256", "git", "locks", "tmp"] {
            let dir = self.root.join(sub);
            fs::create_dir_all(&dir)
                .map_err(|e| Error::io("cannot create cache directory", &dir, e))?;
        }
        remove_stale(&self.root.join("tmp"), ".download-");
        remove_stale(&self.root.join("git"), ".clone-");
        Ok(())
    }

    /// Takes the exclusive lock for `name` (blocking until other holders release it).
    pub(crate) fn lock(&self, name: &str) -> Result<EntryLock> {
        let path = self.root.join("locks").join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open lock file", &path, e))?;
        fs4::FileExt::lock(&file).map_err(|e| Error::io("cannot lock", &path, e))?;
        Ok(EntryLock { file })
    }

    /// A new temporary file in `tmp/` (deleted on drop unless persisted).
    pub(crate) fn temp_file(&self) -> Result<tempfile::NamedTempFile> {
        let dir = self.root.join("tmp");
        tempfile::Builder::new()
            .prefix(".download-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io("cannot create a temporary file in", &dir, e))
    }

    /// A new temporary directory in `git/` (deleted on drop unless kept).
    pub(crate) fn temp_git_dir(&self) -> Result<tempfile::TempDir> {
        let dir = self.root.join("git");
        tempfile::Builder::new()
            .prefix(".clone-")
            .tempdir_in(&dir)
            .map_err(|e| Error::io("cannot create a temporary directory in", &dir, e))
    }

    /// Moves a verified temporary file to `sha256/<hex>` (atomic rename).
    pub(crate) fn persist(&self, tmp: tempfile::NamedTempFile, hex: &str) -> Result<PathBuf> {
        let dest = self.blob_path(hex);
        tmp.as_file().sync_all().map_err(|e| Error::io("cannot sync", tmp.path(), e))?;
        tmp.persist(&dest).map_err(|e| Error::io("cannot move download into", &dest, e.error))?;
        Ok(dest)
    }
}

/// Removes entries of `dir` named `prefix*` whose mtime is older than [`STALE_AFTER`].
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = path.symlink_metadata() else { continue };
        let age = meta.modified().ok().and_then(|m| now.duration_since(m).ok());
        if age.is_some_and(|age| age > STALE_AFTER) {
            let _ = if meta.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            tracing::debug!(path = %path.display(), "removed stale temporary cache entry");
        }
    }
}

/// The sha256 of `bytes`, as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Streams `reader` into `out`, returning (sha256 hex, byte count). Stops with `TooLarge` when
/// more than `limit` bytes arrive. `progress` is called with the running byte count.
pub(crate) fn copy_hashing(
    reader: &mut dyn Read,
    out: &mut dyn Write,
    limit: u64,
    mut progress: impl FnMut(u64),
) -> std::result::Result<(String, u64), CopyError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        total += n as u64;
        if total > limit {
            return Err(CopyError::TooLarge);
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
        progress(total);
    }
    out.flush().map_err(CopyError::Write)?;
    Ok((hex::encode(hasher.finalize()), total))
}

/// Why [`copy_hashing`] stopped.
#[derive(Debug)]
pub(crate) enum CopyError {
    Read(io::Error),
    Write(io::Error),
    TooLarge,
}

/// The sha256 of a file, streamed.
pub(crate) fn hash_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    match copy_hashing(&mut f, &mut io::sink(), u64::MAX, |_| {}) {
        Ok((hex, _)) => Ok(hex),
        Err(CopyError::Read(e) | CopyError::Write(e)) => Err(e),
        Err(CopyError::TooLarge) => Err(io::Error::other("file too large")),
    }
}

/// Validates and lowercases a recipe sha256.
pub(crate) fn normalize_sha256(url: &str, value: &str) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v)
    } else {
        Err(Error::InvalidSha256 { url: url.to_owned(), value: value.to_owned() })
    }
}

/// Validates and lowercases a recipe git commit.
pub(crate) fn normalize_commit(url: &str, value: &str) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    if v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v)
    } else {
        Err(Error::InvalidCommit { url: url.to_owned(), value: value.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_and_cap() {
        let data = b"hello world";
        let mut out = Vec::new();
        let (hex, n) = copy_hashing(&mut &data[..], &mut out, 100, |_| {}).unwrap();
        assert_eq!(hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        assert_eq!(n, 11);
        assert_eq!(out, data);
        assert!(matches!(
            copy_hashing(&mut &data[..], &mut Vec::new(), 10, |_| {}),
            Err(CopyError::TooLarge)
        ));
    }

    #[test]
    fn stale_temporaries_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::new(tmp.path().to_owned());
        cache.ensure_dirs().unwrap();
        let old = tmp.path().join("tmp/.download-old");
        let fresh = tmp.path().join("tmp/.download-fresh");
        let other = tmp.path().join("tmp/keep-me");
        for p in [&old, &fresh, &other] {
            fs::write(p, b"x").unwrap();
        }
        let long_ago = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
        for p in [&old, &other] {
            File::options().write(true).open(p).unwrap().set_modified(long_ago).unwrap();
        }
        let old_clone = tmp.path().join("git/.clone-old");
        fs::create_dir(&old_clone).unwrap();
        File::open(&old_clone).unwrap().set_modified(long_ago).unwrap();
        cache.ensure_dirs().unwrap();
        assert!(!old.exists());
        assert!(!old_clone.exists());
        assert!(fresh.exists(), "a download in progress is kept");
        assert!(other.exists(), "only our own temporaries are touched");
    }

    #[test]
    fn validation() {
        let h = "B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9";
        assert_eq!(normalize_sha256("u", h).unwrap(), h.to_ascii_lowercase());
        assert!(normalize_sha256("u", "abc").is_err());
        assert!(normalize_sha256("u", &"g".repeat(64)).is_err());
        assert!(normalize_commit("u", &"a".repeat(40)).is_ok());
        assert!(normalize_commit("u", &"a".repeat(39)).is_err());
    }
}
