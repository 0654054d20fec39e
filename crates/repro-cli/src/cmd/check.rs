//! `repro check`.

use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args, _ctx: &Ctx) -> anyhow::Result<u8> {
    anyhow::bail!("`repro check` is not implemented yet")
}
