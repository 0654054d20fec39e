//! `repro explain`: build the control, then once with no variation and once per variation alone,
//! and report which variation(s) make each file differ. Exit 0 when no run differed, 1 when some
//! did, 2 on error.

use anyhow::Result;

use crate::cmd::check::{BuildTwiceArgs, run_flow};
use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    common: BuildTwiceArgs,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    let opts = args.common.options()?;
    run_flow(
        &args.common,
        &opts,
        ctx,
        "explain",
        |o, sink| Box::pin(repro::check::explain(o, sink)),
        |_| Ok(()),
    )
}
