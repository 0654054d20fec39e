//! `cargo xtask test`: what CI runs.

#[derive(clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("test: not implemented yet")
}
