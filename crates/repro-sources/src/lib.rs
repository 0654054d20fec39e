//! Fetching, verification, content-addressed cache, mirrors and safe unpacking of recipe sources.
//!
//! - [`FetchConfig`]: cache dir, mirrors, offline mode (from arguments and `REPRO_CACHE`,
//!   `REPRO_MIRROR`, `REPRO_OFFLINE`).
//! - [`Fetcher::fetch_recipe`]: finds every source in the cache, a mirror, a local path or the
//!   network; verifies its sha256 (or git commit); stores it in the cache. Progress is reported
//!   as [`repro_events::Event`]s.
//! - [`prepare_srcdir`]: lays the fetched sources out in a source directory as BinaryBuilder does.
//!
//! Cache layout (see `docs/sources.md`): `sha256/<hex>` for files, `git/<sha256 of url>` for bare
//! git repositories, `locks/` for per-entry locks, `tmp/` for downloads in progress.

mod cache;
mod config;
mod error;
mod fetch;
mod git;
mod http;
mod layout;
mod url;
mod zip;

pub use config::FetchConfig;
pub use error::{Error, Result};
pub use fetch::{DEFAULT_MAX_SOURCE_BYTES, FetchedSource, Fetcher};
pub use layout::{
    MAX_DIRECTORY_DEPTH, MAX_DIRECTORY_ENTRIES, check_directory_source, copy_dir_contents,
    prepare_srcdir, unpack_archive,
};
pub use repro_events::FetchOrigin;
pub use zip::{ZipLimits, unpack_zip};
