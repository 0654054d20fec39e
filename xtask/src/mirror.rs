//! `cargo xtask mirror-debian`.

#[derive(clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("mirror-debian: not implemented yet")
}
