//! One module per subcommand. Each has `Args` (clap) and `run(args, ctx) -> Result<u8>` (exit code).

pub(crate) mod attest;
pub(crate) mod batch;
pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod common;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod fetch;
pub(crate) mod gc;
pub(crate) mod hash;
pub(crate) mod image;
pub(crate) mod import;
pub(crate) mod key;
pub(crate) mod plan;
pub(crate) mod platforms;
pub(crate) mod recipe;
pub(crate) mod report;
pub(crate) mod verify;
