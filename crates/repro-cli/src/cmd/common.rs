//! Options shared by several subcommands.

use std::path::PathBuf;

/// Where sources are cached and which mirrors are tried first.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct SourceOpts {
    /// Content-addressed source cache (default: the user's cache dir, e.g. ~/.cache/repro).
    #[arg(long, env = "REPRO_CACHE", value_name = "DIR")]
    pub(crate) cache: Option<PathBuf>,
    /// A source mirror holding files as DIR/sha256/<hex> or by name (repeatable; tried before URLs).
    /// `REPRO_MIRROR` takes a colon-separated list.
    #[arg(long = "mirror", value_name = "DIR")]
    pub(crate) mirrors: Vec<PathBuf>,
}
