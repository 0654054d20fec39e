//! `cargo xtask test`: what CI runs (README's test command).
//!
//! 1. builds the `repro` binary;
//! 2. makes sure the pinned build image is loaded (`repro image build` is a no-op when it is);
//! 3. fills the offline source mirror for the real recipes (`mirror-debian --from-recipes`);
//!    Under `CI` it also builds the toolchain images of three families (musl, linux-cross, mingw;
//!    concurrently) and sets `REPRO_TEST_CROSS` to them, so the cross-target tests must run;
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
        // CI also builds the toolchain images its cross tests need (tests/integration/cross.rs:
        // x86_64-linux-musl, aarch64-linux-gnu, x86_64-w64-mingw32), concurrently: each is an
        // mmdebstrap run bound by downloads and dpkg as much as by the CPU.
        if std::env::var_os("CI").is_some() {
            build_families(&repro, CI_FAMILIES)?;
        }
        if root.join("recipes/debian-sources.toml").exists() {
            cmd!(sh, "cargo xtask mirror-debian --from-recipes --out {mirror}")
                .run()
                .context("filling the source mirror")?;
        }
    }
    let _env = sh.push_env("REPRO_TEST_MIRROR", &mirror);
    let _cross = (!args.no_docker && std::env::var_os("CI").is_some())
        .then(|| sh.push_env("REPRO_TEST_CROSS", CI_FAMILIES.join(",")));
    // In CI also rebuild the rootfs once (about 35 s): it proves mmdebstrap works on the machine
    // and that a rootfs differing from the lock is refused with its package changes.
    let _rebuild = std::env::var_os("CI").map(|_| sh.push_env("REPRO_TEST_IMAGE_REBUILD", "1"));
    let rest = &args.rest;
    cmd!(sh, "cargo test --workspace --no-fail-fast -- {rest...}").run().context("tests failed")?;
    Ok(())
}

/// The toolchain families CI builds for the cross tests.
const CI_FAMILIES: &[&str] = &["musl", "linux-cross", "mingw"];

/// Builds the images of `families` at the same time (`repro image build --family F`, a no-op
/// when the pinned image is loaded), each logging to `target/image-logs/<family>.log`; prints each one's time and
/// fails naming every family that did not build, with the end of its log.
fn build_families(repro: &std::path::Path, families: &[&str]) -> Result<()> {
    let logs = repo_root().join("target/image-logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let started = std::time::Instant::now();
    let mut children = Vec::new();
    for f in families {
        let log_path = logs.join(format!("{f}.log"));
        let log = std::fs::File::create(&log_path)?;
        let child = std::process::Command::new(repro)
            .args(["image", "build", "--family", f])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting `repro image build --family {f}`"))?;
        eprintln!("image: building the {f} toolchain image (log {})", log_path.display());
        children.push((*f, child, log_path));
    }
    let mut failed = Vec::new();
    for (f, mut child, log_path) in children {
        let status = child.wait()?;
        let secs = started.elapsed().as_secs_f64();
        if status.success() {
            eprintln!("image: {f} ready after {secs:.0} s");
        } else {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!("image: {f} failed ({status}) after {secs:.0} s:\n{}", tail.join("\n"));
            failed.push(f);
        }
    }
    anyhow::ensure!(failed.is_empty(), "toolchain images not built: {}", failed.join(", "));
    Ok(())
}
