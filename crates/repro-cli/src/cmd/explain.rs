//! `repro explain`: build the control, then once with no variation and once per variation alone,
//! and report which variation(s) make each file differ. Exit 0 when no run differed, 1 when some
//! did, 2 on error.

use anyhow::{Context, Result};

use crate::cmd::check::BuildTwiceArgs;
use crate::ui::Ctx;
use crate::{EXIT_DIFFERENT, EXIT_INTERRUPTED, EXIT_OK};

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    common: BuildTwiceArgs,
}

pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    let opts = args.common.options()?;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outcome = match rt.block_on(repro::check::explain(&opts, ctx.sink())) {
        Ok(o) => o,
        Err(e) if e.is_interrupted() => {
            crate::ui::print_error(&anyhow::Error::new(e));
            return Ok(EXIT_INTERRUPTED);
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot explain {}", args.common.recipe.display())));
        }
    };
    args.common.output.emit(&outcome.report, ctx)?;
    if let Some(k) = &outcome.kept {
        ctx.note(&format!("builds kept in {}", k.display()));
    }
    Ok(if outcome.report.is_reproducible() { EXIT_OK } else { EXIT_DIFFERENT })
}
