//! `repro image ...`.

use crate::ui::Ctx;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ImageCommand {}

pub(crate) fn run(_cmd: ImageCommand, _ctx: &Ctx) -> anyhow::Result<u8> {
    anyhow::bail!("`repro image` is not implemented yet")
}
