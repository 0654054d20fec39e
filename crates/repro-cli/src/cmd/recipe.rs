//! `repro recipe ...`.

use crate::ui::Ctx;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum RecipeCommand {}

pub(crate) fn run(_cmd: RecipeCommand, _ctx: &Ctx) -> anyhow::Result<u8> {
    anyhow::bail!("`repro recipe` is not implemented yet")
}
