//! The error type of source fetching and source-directory preparation.

use std::path::PathBuf;

/// Everything that can go wrong while fetching, verifying, caching or laying out sources.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes at `url` do not have the sha256 the recipe declares. Nothing was cached.
    #[error(
        "sha256 mismatch for {url}: expected {expected}, got {actual}; nothing was cached \
         (check the URL, or update the recipe's sha256 if the new file is trusted)"
    )]
    HashMismatch { url: String, expected: String, actual: String },

    /// A local file does not have the sha256 the recipe declares. Its actual hash is not shown
    /// (a recipe must not reveal the hash of an arbitrary local file). Nothing was cached.
    #[error(
        "sha256 mismatch for {url}: the file does not have sha256 {expected}; nothing was cached \
         (compute the hash yourself with `sha256sum` if the file is the one you meant)"
    )]
    LocalHashMismatch { url: String, expected: String },

    /// A recipe's sha256 is not 64 hex digits.
    #[error("invalid sha256 {value:?} for {url}: expected 64 hex digits")]
    InvalidSha256 { url: String, value: String },

    /// A recipe's git commit is not 40 hex digits.
    #[error("invalid git commit {value:?} for {url}: expected the full 40-hex-digit commit id")]
    InvalidCommit { url: String, value: String },

    /// A URL scheme this tool cannot fetch, or a malformed URL.
    #[error("unsupported source URL {url:?}: {reason}")]
    UnsupportedUrl { url: String, reason: String },

    /// A download got larger than the configured cap.
    #[error("{url}: download exceeds the size cap of {limit} bytes; refusing to continue")]
    TooLarge { url: String, limit: u64 },

    /// An HTTP(S) request failed (connection, status, timeout, truncated body).
    #[error("download of {url} failed: {message}")]
    Http { url: String, message: String },

    /// Offline mode and no mirror or cache entry holds the file.
    #[error(
        "{url} is not in the cache or any mirror ({tried}), and fetching is offline; \
         add a mirror with --mirror DIR or allow network access"
    )]
    Offline { url: String, tried: String },

    /// A local source (file:// URL or path relative to the recipe) is missing or unreadable.
    #[error("cannot read local source {path}: {source}")]
    LocalSource {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file-system operation on the cache or the source dir failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The cache directory cannot be determined.
    #[error("cannot determine the user's cache directory; pass --cache DIR or set REPRO_CACHE")]
    NoCacheDir,

    /// Running `git` failed.
    #[error("git {args} failed for {url}: {message}")]
    Git { url: String, args: String, message: String },

    /// The commit is not in the repository (or any mirror of it).
    #[error("commit {commit} not found in {url} (tried {tried}); check the commit id and the URL")]
    CommitNotFound { url: String, commit: String, tried: String },

    /// After checkout, `HEAD` is not the pinned commit.
    #[error("git checkout of {url} is at {actual}, expected {expected}")]
    CommitMismatch { url: String, expected: String, actual: String },

    /// An archive entry would escape the target, or is of a refused type.
    #[error("{archive}: refusing entry {entry:?}: {reason}")]
    UnsafeEntry { archive: PathBuf, entry: String, reason: String },

    /// An archive is malformed or exceeds an unpacking limit.
    #[error("cannot unpack {archive}: {message}")]
    Archive { archive: PathBuf, message: String },

    /// Unpacking a tarball failed (unsafe entry, corrupt data, limits).
    #[error("cannot unpack {archive}: {source}")]
    Unpack {
        archive: PathBuf,
        #[source]
        source: repro_artifact::Error,
    },

    /// A target path of the recipe (`unpack_target`, `filename`, `target`) is unsafe.
    #[error("unsafe {field} {value:?}: {reason}")]
    UnsafeTarget { field: &'static str, value: String, reason: String },

    /// A directory source holds something that cannot be copied safely.
    #[error("directory source {path}: {reason}")]
    UnsafeDirectory { path: PathBuf, reason: String },

    /// `prepare_srcdir` got fetched sources that do not match the recipe's.
    #[error("source {index} of the recipe ({what}) has not been fetched; run the fetch first")]
    NotFetched { index: usize, what: String },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
