//! `repro gc`: remove what killed runs left behind — containers whose owning `repro` process on
//! this host is gone, and temporary directories (`repro-<kind>-<pid>-*`) of dead processes.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::ui::Ctx;

#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Only list what would be removed.
    #[arg(long)]
    dry_run: bool,
    /// Also remove repro containers without owner labels (made by older versions).
    #[arg(long)]
    all: bool,
    /// Where to look for temporary directories (default: the system temp dir, `TMPDIR`).
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
    /// Leave containers alone (no Docker needed).
    #[arg(long)]
    no_containers: bool,
}

#[allow(clippy::print_stdout)]
pub(crate) fn run(args: Args, ctx: &Ctx) -> Result<u8> {
    let verb = if args.dry_run { "would remove" } else { "removed" };
    let mut n = 0;
    if !args.no_containers {
        let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        let orphans = rt.block_on(async {
            let docker = repro_sandbox::connect_docker().await?;
            repro_sandbox::gc::remove_orphan_containers(&docker, args.all, args.dry_run).await
        })?;
        for o in &orphans {
            let owner = o.pid.map_or_else(|| "no owner label".to_owned(), |p| format!("pid {p}"));
            println!(
                "{verb} container {} ({owner}, build {})",
                &o.id[..o.id.len().min(12)],
                o.build.as_deref().unwrap_or("?")
            );
        }
        n += orphans.len();
    }
    let dir = args.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    for d in repro_sandbox::gc::stale_temp_dirs(&dir) {
        if !args.dry_run {
            std::fs::remove_dir_all(&d).with_context(|| format!("removing {}", d.display()))?;
        }
        println!("{verb} {}", d.display());
        n += 1;
    }
    ctx.note(&format!("{n} item(s) {verb}"));
    Ok(crate::EXIT_OK)
}
