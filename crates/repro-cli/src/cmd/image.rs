//! `repro image build|verify|ls`: the pinned build image.

use std::path::PathBuf;

use anyhow::Context;
use repro_recipe::platform::Family;
use repro_sandbox::{ImageBuildOptions, ImageLock, ImageState, PackageChange};

use crate::ui::Ctx;
use crate::{EXIT_ERROR, EXIT_OK};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ImageCommand {
    /// Build the rootfs (mmdebstrap), compare it with the pin and load it into Docker.
    ///
    /// Does nothing when the pinned image is already loaded (unless --force). When the rebuilt
    /// rootfs differs from the pin (the Debian archive moved), lists the package version changes
    /// and refuses to load unless --update-lock.
    Build(BuildArgs),
    /// Check that the loaded image matches the pin (exit 0), else explain (exit 2).
    Verify(LockArgs),
    /// List repro's images and whether they match the pin.
    Ls(LockArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct LockArgs {
    /// The image lock (default: the pin built into repro from docker/; for the base image
    /// REPRO_IMAGE_LOCK overrides it).
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// The toolchain image family: native (the base image, x86_64-linux-gnu), linux-cross,
    /// musl or mingw (see `repro platforms`).
    #[arg(long, value_name = "FAMILY", default_value = "native", value_parser = parse_family)]
    family: Family,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    lock: LockArgs,
    /// Rebuild and reload even if the pinned image is loaded.
    #[arg(long)]
    force: bool,
    /// Write the lock from the rebuilt rootfs (creates the pin, or moves it after review).
    #[arg(long)]
    update_lock: bool,
    /// Keep the rootfs tarball at this path (to compare two builds byte for byte).
    #[arg(long, value_name = "FILE")]
    keep_rootfs: Option<PathBuf>,
    /// Directory for temporary files (the rootfs is about 700 MB).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Debian mirror for a new pin (default: the lock's, else http://deb.debian.org/debian).
    #[arg(long, value_name = "URL")]
    apt_mirror: Option<String>,
}

fn parse_family(s: &str) -> Result<Family, String> {
    Family::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        format!("unknown image family {s:?} (known: {})", names.join(", "))
    })
}

fn load_lock(a: &LockArgs) -> Result<ImageLock, repro_sandbox::SandboxError> {
    repro_sandbox::family_lock(a.family, a.lock.as_deref())
}

#[allow(clippy::print_stdout)]
pub(crate) fn run(cmd: ImageCommand, ctx: &Ctx) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        match cmd {
            ImageCommand::Build(a) => build(a, ctx).await,
            ImageCommand::Verify(a) => verify(a).await,
            ImageCommand::Ls(a) => ls(a).await,
        }
    })
}

#[allow(clippy::print_stdout)]
async fn build(a: BuildArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let docker = repro_sandbox::connect_docker().await?;
    let explicit = a.lock.lock.clone().or_else(|| {
        (a.lock.family == Family::Native)
            .then(|| std::env::var_os("REPRO_IMAGE_LOCK").filter(|p| !p.is_empty()))
            .flatten()
            .map(PathBuf::from)
    });
    // A lock next to a packages.list names its own definition directory (tests); otherwise the
    // definitions built into repro are used.
    let docker_dir = explicit
        .as_deref()
        .and_then(|p| p.parent())
        .filter(|p| p.join("packages.list").is_file())
        .map(PathBuf::from);
    let opts = ImageBuildOptions {
        family: a.lock.family,
        lock: explicit,
        docker_dir,
        force: a.force,
        update_lock: a.update_lock,
        keep_rootfs: a.keep_rootfs,
        work_dir: a.work_dir,
        mirror: a.apt_mirror,
    };
    let sink = ctx.sink();
    let report = match repro_sandbox::build_image(&docker, &opts, &sink).await {
        Ok(r) => r,
        Err(e @ repro_sandbox::SandboxError::RootfsChanged { .. }) if a.lock.json => {
            if let repro_sandbox::SandboxError::RootfsChanged { expected, found, changes, .. } = &e
            {
                println!(
                    "{}",
                    serde_json::json!({ "status": "rootfs_changed", "expected": expected, "found": found, "changes": changes })
                );
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    if a.lock.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(EXIT_OK);
    }
    if report.already_loaded {
        println!(
            "the pinned image {} ({}) is already loaded; nothing to do (use --force to rebuild)",
            report.image.tag, report.image.id
        );
        return Ok(EXIT_OK);
    }
    println!("loaded {} ({})", report.image.tag, report.image.id);
    println!(
        "rootfs sha256:{} ({} packages, built in {:.0} s)",
        report.image.rootfs_sha256, report.packages, report.rootfs_seconds
    );
    if let Some(p) = &report.lock_path {
        println!("wrote {}", p.display());
    }
    print_changes(&report.changes);
    Ok(EXIT_OK)
}

#[allow(clippy::print_stdout)]
fn print_changes(changes: &[PackageChange]) {
    if changes.is_empty() {
        return;
    }
    println!("package changes against the previous pin:");
    for c in changes {
        println!("  {c}");
    }
}

#[allow(clippy::print_stdout)]
async fn verify(a: LockArgs) -> anyhow::Result<u8> {
    let lock = load_lock(&a)?;
    let lock_path = lock.path.clone();
    let docker = repro_sandbox::connect_docker().await?;
    let state = repro_sandbox::image_state(&docker, &lock).await?;
    let rebuild =
        "rebuild it with `repro image build --force` (or `repro image build` if it is missing)";
    let (ok, status, found_id, found_rootfs) = match &state {
        ImageState::Matches(r) => (true, "ok", Some(r.id.clone()), Some(r.rootfs_sha256.clone())),
        ImageState::Missing => (false, "missing", None, None),
        ImageState::Mismatch { found_id, found_rootfs } => {
            (false, "mismatch", Some(found_id.clone()), Some(found_rootfs.clone()))
        }
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "status": status,
                "lock": lock_path,
                "expected": { "image_id": lock.image_id, "rootfs_sha256": lock.rootfs_sha256 },
                "found": { "image_id": found_id, "rootfs_sha256": found_rootfs },
            }))?
        );
    } else {
        println!("pin ({}):", lock_path.display());
        println!("  expected image {}  rootfs sha256:{}", lock.image_id, lock.rootfs_sha256);
        match &state {
            ImageState::Matches(r) => {
                println!("  found    image {}  rootfs sha256:{}", r.id, r.rootfs_sha256);
                println!("ok: {} matches the pin", r.tag);
            }
            ImageState::Missing => {
                println!("  found    nothing: the pinned image is not loaded");
                println!("{rebuild}");
            }
            ImageState::Mismatch { found_id, found_rootfs } => {
                println!("  found    image {found_id}  rootfs sha256:{found_rootfs}");
                println!("MISMATCH: the loaded image differs from the pin; {rebuild}");
            }
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_ERROR })
}

#[allow(clippy::print_stdout)]
async fn ls(a: LockArgs) -> anyhow::Result<u8> {
    // Every family's pin (or the one given with --lock), so each image says whether it is one.
    let locks: Vec<ImageLock> = match &a.lock {
        Some(p) => ImageLock::load(p).into_iter().collect(),
        None => {
            Family::ALL.iter().filter_map(|f| repro_sandbox::family_lock(*f, None).ok()).collect()
        }
    };
    let lock = locks.first().cloned();
    let lock_path = a.lock.clone().unwrap_or_else(|| "docker/image.lock".into());
    let docker = repro_sandbox::connect_docker().await?;
    let images = repro_sandbox::list_images(&docker, &locks).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&images)?);
        return Ok(EXIT_OK);
    }
    if images.is_empty() {
        println!("no repro images loaded; build one with `repro image build`");
        return Ok(EXIT_OK);
    }
    for i in &images {
        let tags = if i.tags.is_empty() { "<untagged>".to_owned() } else { i.tags.join(",") };
        let rootfs = i
            .rootfs_sha256
            .as_deref()
            .map_or("?".to_owned(), |r| format!("sha256:{}", &r[..r.len().min(12)]));
        let pin = if i.matches_pin { "matches the pin" } else { "not the pin" };
        println!(
            "{:<28} {:<19} rootfs {:<19} {:>6} MB  {pin}",
            tags,
            &i.id[..i.id.len().min(19)],
            rootfs,
            i.size / 1_000_000
        );
    }
    if lock.is_none() {
        println!("(no readable lock at {}: cannot say which image is pinned)", lock_path.display());
    }
    Ok(EXIT_OK)
}
