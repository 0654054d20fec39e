//! `cargo xtask test`: what CI runs (README's test command).
//!
//! 1. builds the `repro` binary;
//! 2. makes sure the pinned build image is loaded (`repro image build` is a no-op when it is);
//! 3. fills the offline source mirror for the real recipes (`mirror-debian --from-recipes`);
//!    Under `CI` it also builds the musl toolchain image and sets `REPRO_TEST_CROSS=musl`, so the
//!    cross-target test must run;
//! 4. runs `cargo test --workspace`, with `REPRO_TEST_MIRROR` pointing at the mirror (and, under
//!    `CI`, `REPRO_TEST_IMAGE_REBUILD=1` so the rootfs rebuild test runs too).
//!
//! With `--no-docker` steps 2 and 3 are skipped (Docker tests then skip loudly, or fail under CI).

use std::path::PathBuf;

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Skip preparing the image and the mirror.
    #[arg(long)]
    no_docker: bool,
    /// Extra arguments for `cargo test` (after `--`).
    #[arg(last = true)]
    rest: Vec<String>,
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}

pub(crate) fn run(args: Args) -> Result<()> {
    let sh = Shell::new()?;
    let root = repo_root();
    sh.change_dir(&root);
    cmd!(sh, "cargo build --package repro-cli").run().context("building repro")?;
    let repro = root.join("target/debug/repro");
    let mirror = root.join(".repro-work/mirror");
    if !args.no_docker {
        cmd!(sh, "{repro} image build").run().context("preparing the pinned build image")?;
        // CI also builds one toolchain image (musl: the smallest, about 8 minutes on a busy
        // machine) so a cross target is checked end to end (tests/integration/cross.rs).
        if std::env::var_os("CI").is_some() {
            cmd!(sh, "{repro} image build --family musl")
                .run()
                .context("preparing the musl toolchain image")?;
        }
        if root.join("recipes/debian-sources.toml").exists() {
            cmd!(sh, "cargo xtask mirror-debian --from-recipes --out {mirror}")
                .run()
                .context("filling the source mirror")?;
        }
    }
    let _env = sh.push_env("REPRO_TEST_MIRROR", &mirror);
    let _cross = (!args.no_docker && std::env::var_os("CI").is_some())
        .then(|| sh.push_env("REPRO_TEST_CROSS", "musl"));
    // In CI also rebuild the rootfs once (about 35 s): it proves mmdebstrap works on the machine
    // and that a rootfs differing from the lock is refused with its package changes.
    let _rebuild = std::env::var_os("CI").map(|_| sh.push_env("REPRO_TEST_IMAGE_REBUILD", "1"));
    let rest = &args.rest;
    cmd!(sh, "cargo test --workspace --no-fail-fast -- {rest...}").run().context("tests failed")?;
    Ok(())
}
