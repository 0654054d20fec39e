//! The sandbox's error type.

use std::path::PathBuf;

use crate::lock::PackageChange;

/// Everything that can go wrong while building images or running builds.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The Docker daemon did not answer.
    #[error(
        "the Docker daemon at {endpoint} does not answer ({detail}); start it, or point DOCKER_HOST \
         at a running daemon"
    )]
    DockerUnavailable { endpoint: String, detail: String },

    /// A Docker API call failed.
    #[error("docker: {context}")]
    Docker {
        context: String,
        #[source]
        source: bollard::errors::Error,
    },

    /// The pinned image is not loaded.
    #[error(
        "the pinned build image is not loaded (expected image {expected_id}, rootfs \
         {expected_rootfs}, pinned in {}); build it with `{command}`",
        lock.display()
    )]
    ImageMissing { expected_id: String, expected_rootfs: String, lock: PathBuf, command: String },

    /// An image exists under the pinned name but its content differs from the pin.
    #[error(
        "the build image does not match the pin in {}:\n  expected rootfs {expected_rootfs}, image \
         {expected_id}\n  found    rootfs {found_rootfs}, image {found_id}\nrebuild it with `repro \
         image build --force` (or update the pin with `repro image build --update-lock`)",
        lock.display()
    )]
    ImageMismatch {
        lock: PathBuf,
        expected_rootfs: String,
        found_rootfs: String,
        expected_id: String,
        found_id: String,
    },

    /// A rebuilt rootfs differs from the lock (the Debian archive moved, or the image definition
    /// changed).
    #[error(
        "the rebuilt rootfs {found} differs from the pin {expected} in {}; {}\nnot loaded. Review \
         the changes and run `repro image build --update-lock` to move the pin",
        lock.display(),
        describe_changes(changes)
    )]
    RootfsChanged { lock: PathBuf, expected: String, found: String, changes: Vec<PackageChange> },

    /// The lock file is unreadable or invalid.
    #[error("{}: {message}", path.display())]
    Lock { path: PathBuf, message: String },

    /// The rootfs builder (mmdebstrap) failed.
    #[error("building the rootfs failed: {message}")]
    Rootfs { message: String },

    /// The build script exited with a non-zero code.
    #[error(
        "build `{label}` failed: the script exited with code {code}\n--- last lines of the build \
         log ---\n{log_tail}"
    )]
    BuildFailed { label: String, code: i64, log_tail: String },

    /// The build ran out of memory.
    #[error(
        "build `{label}` was killed for exceeding its memory limit\n--- last lines of the build \
         log ---\n{log_tail}"
    )]
    OutOfMemory { label: String, log_tail: String },

    /// The build exceeded its wall-clock timeout.
    #[error(
        "build `{label}` timed out after {secs} s and was killed\n--- last lines of the build log \
         ---\n{log_tail}"
    )]
    Timeout { label: String, secs: u64, log_tail: String },

    /// The user interrupted the run (Ctrl-C); the container was removed.
    #[error("interrupted; build `{label}` stopped and its container removed")]
    Interrupted { label: String },

    /// A build specification is invalid (names, paths, environment).
    #[error("invalid build specification: {0}")]
    InvalidSpec(String),

    /// Unpacking the downloaded prefix failed.
    #[error("unpacking the build output into {}: {message}", path.display())]
    Unpack { path: PathBuf, message: String },

    /// Writing a file through `repro_artifact::write_output` (its error names the file).
    #[error(transparent)]
    Write(repro_artifact::Error),
    /// Local file I/O.
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SandboxError {
    pub(crate) fn docker(
        context: impl Into<String>,
    ) -> impl FnOnce(bollard::errors::Error) -> Self {
        let context = context.into();
        move |source| SandboxError::Docker { context, source }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| SandboxError::Io { path, source }
    }
}

fn describe_changes(changes: &[PackageChange]) -> String {
    if changes.is_empty() {
        return "the package versions are the same (the image definition in docker/ changed)"
            .into();
    }
    let mut s = format!("{} package change(s):", changes.len());
    for c in changes {
        s.push_str("\n  ");
        s.push_str(&c.to_string());
    }
    s
}
