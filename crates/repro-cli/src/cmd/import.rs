//! `repro import ...`.

use crate::ui::Ctx;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ImportCommand {}

pub(crate) fn run(_cmd: ImportCommand, _ctx: &Ctx) -> anyhow::Result<u8> {
    anyhow::bail!("`repro import` is not implemented yet")
}
