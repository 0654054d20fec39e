//! File-tree model, Julia-compatible `git-tree-sha1`, deterministic tarball packing, and safe
//! reading and unpacking of untrusted tarballs (.tar, .gz, .zst, .xz, .bz2).
//!
//! - [`tree_hash_dir`], [`tree_hash_tarball`]: Pkg.GitTools tree hashes (`docs/tree-hash.md`).
//! - [`scan_dir`] → [`Tree`]: the tree model the normalizer and differ work on, read in path
//!   order within flat memory ([`Sorter`] spills sorted runs past a bound).
//! - [`pack_dir`], [`write_deterministic_tar`]: Tar.jl-like deterministic tarballs.
//! - [`unpack_tarball`], [`unpack_tar_reader`]: refuse path escapes, devices and oversized input.
//! - [`scan_tarball`]: a tarball read as the tree unpacking it would give, without writing it
//!   out ([`extract_files`] writes the few files a comparison needs).
//! - [`read_tar`]: the one bounded reader of untrusted tar streams (unpacking, hashing and the
//!   differ all use it), charging a run-wide [`Budget`].
//! - [`open_decompressed`], [`detect_compression`]: format by magic bytes; corrupt streams and
//!   likely decompression bombs fail with [`Error::CorruptStream`] / [`Error::Bomb`].
//!
//! Unix only (modes and symlinks are part of the model).

mod artifacts_toml;
mod budget;
mod compress;
mod dirhash;
mod error;
mod gittree;
mod hashes;
mod output;
mod pack;
mod pgzip;
mod scan;
mod spill;
mod tarhash;
mod tarread;
mod tartree;
mod unpack;

pub use artifacts_toml::{
    ArtifactDownload, ArtifactEntry, ArtifactsTomlError, artifacts_toml_entry,
    parse_artifacts_toml, platform_keys, upsert_artifacts_toml, write_artifacts_toml,
};
pub use budget::{Budget, BudgetLimits, Cancel, Exceeded, MemoryGuard};
pub use compress::{
    BOMB_MIN_BYTES, Bomb, Compression, CorruptStream, decompressed_reader, detect_compression,
    open_decompressed, open_decompressed_bounded, sniff_tarball,
};
pub use dirhash::{
    DEFAULT_MAX_DEPTH, HashOptions, MAX_DEPTH_CAP, tree_hash_dir, tree_hash_dir_with,
};
pub use error::{Error, Result};
pub use hashes::{GitTreeHash, Sha256, sha256_file};
pub use output::{OutputFile, write_output};
pub use pack::{
    DEFAULT_GZIP_LEVEL, PackOptions, PackedArtifact, pack_dir, pack_dir_with,
    write_deterministic_tar,
};
pub use scan::{ContentFilter, Entry, EntryKind, ScanOptions, Scanned, Tree, TreeCursor, scan_dir};
pub use spill::{
    DEFAULT_MAX_IN_MEMORY, Keyed, Sorted, SortedReader, Sorter, SpillDir, Spool, SpoolReader,
};
pub use tarhash::{
    ContentHashes, TarballHashes, tree_hash_tar_reader, tree_hash_tarball, tree_hash_tarball_with,
};
pub use tarread::{TarKind, TarLimits, TarMember, read_tar};
pub use tartree::{TarTree, scan_tarball};
pub use unpack::{
    DEFAULT_MAX_RATIO, UnpackLimits, UnpackStats, extract_files, unpack_tar_reader, unpack_tarball,
    unpack_tarball_with,
};
