//! Pinned build images, the Docker runner, the build environment contract.
//!
//! - [`image`]: building the rootfs with mmdebstrap, the deterministic docker-archive, loading,
//!   and checking a loaded image against the pin ([`ensure_pinned_image`]).
//! - [`lock`]: the pin files `docker/image.lock`, `docker/families/<family>.lock` ([`ImageLock`]).
//! - [`defs`]: the image definitions of `docker/`, built into the binary, and each family's pin.
//! - [`toolchain`]: per-target compiler wrappers and CMake/Meson toolchain files of the
//!   toolchain images, generated from the platform table.
//! - [`env`]: [`BuildEnv`], every knob a variation may turn, and the variables the build script
//!   sees.
//! - [`runner`]: [`DockerRunner::run_build`], one fresh container per build, removed on every path.

pub mod defs;
pub mod env;
pub mod error;
pub mod fake;
pub mod gc;
pub mod image;
pub mod lock;
pub mod runner;
pub mod stream;
pub mod toolchain;

pub use defs::family_lock;
pub use env::{BuildEnv, NATIVE_TARGET};
pub use error::SandboxError;
pub use image::{
    ImageBuildOptions, ImageBuildReport, ImageInfo, ImageRef, ImageState, build_image,
    ensure_pinned_image, image_state, list_images,
};
pub use lock::{ImageLock, PackageChange};
pub use runner::{
    BuildOutput, BuildSpec, DockerRunner, Install, InstallInto, PhaseTime, Runner, connect_docker,
};
pub use tokio_util::sync::CancellationToken;
