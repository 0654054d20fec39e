//! The error type of this crate.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while hashing, scanning, packing or unpacking.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation on `path` failed (`what` says which one).
    #[error("cannot {what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// An output path names a directory.
    #[error("cannot write {}: it is a directory; give a file name", path.display())]
    IsDirectory { path: PathBuf },
    /// A directory tree is nested deeper than allowed.
    #[error("{}: directory nesting deeper than {max} levels; refusing to go further", path.display())]
    TooDeep { path: PathBuf, max: usize },
    /// A file of a kind that cannot be hashed, scanned or packed (fifo, socket, device).
    #[error("{}: unsupported file type ({kind}); only regular files, directories and symlinks are allowed", path.display())]
    SpecialFile { path: PathBuf, kind: &'static str },
    /// A file or symlink name that is not valid UTF-8 where UTF-8 is required.
    #[error("{}: name or symlink target is not valid UTF-8", path.display())]
    NonUtf8 { path: PathBuf },
    /// A file changed size while it was being read.
    #[error("{}: file changed while it was being read (expected {expected} bytes, read {actual})", path.display())]
    Changed { path: PathBuf, expected: u64, actual: u64 },
    /// A tar entry was refused (path escape, device node, write through a symlink, ...).
    #[error("{archive}: refusing entry `{entry}`: {reason}")]
    Refused { archive: String, entry: String, reason: String },
    /// A configured limit was exceeded while reading a tarball.
    #[error("{archive}: stopped at entry `{entry}`: limit {limit} = {max} exceeded")]
    LimitExceeded { archive: String, entry: String, limit: &'static str, max: u64 },
    /// The tar stream itself is malformed.
    #[error("{archive}: malformed tar stream")]
    BadTar {
        archive: String,
        #[source]
        source: io::Error,
    },
    /// A compressed stream failed its checksum or does not decode.
    #[error("{archive}: {source}; the file is damaged or truncated (fetch or build it again)")]
    CorruptStream {
        archive: String,
        #[source]
        source: crate::compress::CorruptStream,
    },
    /// A compressed stream expands like a decompression bomb.
    #[error("{archive}: {source}")]
    Bomb {
        archive: String,
        #[source]
        source: crate::compress::Bomb,
    },
    /// A path that is neither a directory nor a readable tarball.
    #[error("{}: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    /// The run was cancelled (the caller's [`Cancel`](crate::Cancel) fired) before it finished.
    #[error("cancelled")]
    Cancelled,
    /// A hash string that does not parse.
    #[error("invalid {what} `{input}`: expected {len} hexadecimal digits")]
    ParseHash { what: &'static str, input: String, len: usize },
}

impl Error {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io { what, path: path.into(), source }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
