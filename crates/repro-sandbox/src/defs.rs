//! The image definitions of `docker/`, compiled into the binary: an installed `repro` builds and
//! verifies its images without the source checkout. [`materialize`] writes them (plus the
//! generated per-target toolchain files of a family, see [`crate::toolchain`]) into a directory
//! for mmdebstrap; [`family_lock`] gives a family's pin.

use std::path::{Path, PathBuf};

use repro_recipe::platform::Family;

use crate::error::SandboxError;
use crate::lock::ImageLock;

/// One file of `docker/`.
#[derive(Debug, Clone, Copy)]
pub struct DefFile {
    /// Path relative to `docker/`.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Mode the file is written with.
    pub mode: u32,
}

macro_rules! def {
    ($p:literal, $mode:literal) => {
        DefFile {
            path: $p,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docker/", $p)),
            mode: $mode,
        }
    };
}

/// Every image-definition file of `docker/` (locks excepted; a test keeps this list complete).
pub const DEFINITION_FILES: &[DefFile] = &[
    def!("customize.sh", 0o755),
    def!("cross.sh", 0o755),
    def!("packages.list", 0o644),
    def!("locale.gen", 0o644),
    def!("files/atomic_patch", 0o755),
    def!("files/install_license", 0o755),
    def!("files/update_configure_scripts", 0o755),
    def!("files/locale.gen", 0o644),
    def!("files/readdir_shuffle.c", 0o644),
    def!("files/toolchains/x86_64-linux-gnu.cmake", 0o644),
    def!("files/toolchains/x86_64-linux-gnu.meson", 0o644),
];

/// The lock of each family, as committed in `docker/` when this binary was built.
const NATIVE_LOCK: &str = include_str!("../../../docker/image.lock");
const LINUX_CROSS_LOCK: &str = include_str!("../../../docker/families/linux-cross.lock");
const MUSL_LOCK: &str = include_str!("../../../docker/families/musl.lock");
const MINGW_LOCK: &str = include_str!("../../../docker/families/mingw.lock");

/// The lock file's path relative to the repository root (`docker/image.lock`,
/// `docker/families/<family>.lock`).
pub fn lock_rel_path(family: Family) -> String {
    match family {
        Family::Native => "docker/image.lock".into(),
        f => format!("docker/families/{}.lock", f.name()),
    }
}

/// The committed lock text of a family built into the binary (`None`: no pin yet).
pub fn embedded_lock(family: Family) -> Option<&'static str> {
    match family {
        Family::Native => Some(NATIVE_LOCK),
        Family::LinuxCross => Some(LINUX_CROSS_LOCK),
        Family::Musl => Some(MUSL_LOCK),
        Family::Mingw => Some(MINGW_LOCK),
    }
}

/// The repository checkout this binary was built from, when it still exists (for
/// `--update-lock`, which writes the pin there).
pub fn source_tree() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().and_then(Path::parent)?;
    root.join("docker").join("packages.list").is_file().then(|| root.to_path_buf())
}

/// The pin of `family`: the file `explicit` when given (for the base image also
/// `$REPRO_IMAGE_LOCK`), else the lock built into the binary.
pub fn family_lock(family: Family, explicit: Option<&Path>) -> Result<ImageLock, SandboxError> {
    if let Some(p) = explicit {
        return ImageLock::load(p);
    }
    if family == Family::Native
        && let Some(p) = std::env::var_os(crate::lock::LOCK_ENV).filter(|p| !p.is_empty())
    {
        return ImageLock::load(Path::new(&p));
    }
    let rel = PathBuf::from(lock_rel_path(family));
    match embedded_lock(family) {
        Some(text) => ImageLock::parse(text, &rel),
        None => match source_tree().map(|r| r.join(&rel)).filter(|p| p.is_file()) {
            // A pin created after this binary was built (development checkouts).
            Some(p) => ImageLock::load(&p),
            None => Err(SandboxError::Lock {
                path: rel,
                message: format!(
                    "the {family} toolchain image has no pin yet; create it with `repro image \
                     build --family {family} --update-lock`"
                ),
            }),
        },
    }
}

/// Where `--update-lock` writes the pin of `family` by default: the source tree's lock file.
pub fn default_lock_target(family: Family) -> Option<PathBuf> {
    source_tree().map(|r| r.join(lock_rel_path(family)))
}

/// Writes the definition files into `dir` (which must exist), plus, for a toolchain family, the
/// generated wrappers and toolchain files under `dir/generated/` with a `MANIFEST` of
/// `mode path` lines that `cross.sh` installs.
pub fn materialize(dir: &Path, family: Family) -> Result<(), SandboxError> {
    for f in DEFINITION_FILES {
        write_file(&dir.join(f.path), f.bytes, f.mode)?;
    }
    let generated = dir.join("generated");
    std::fs::create_dir_all(&generated).map_err(SandboxError::io(&generated))?;
    let mut manifest = String::new();
    if family != Family::Native {
        for t in family.targets() {
            for g in crate::toolchain::generated_files(t) {
                let rel = g.path.trim_start_matches('/');
                write_file(&generated.join(rel), g.contents.as_bytes(), g.mode)?;
                manifest.push_str(&format!("{:o} {rel}\n", g.mode));
            }
        }
    }
    write_file(&generated.join("MANIFEST"), manifest.as_bytes(), 0o644)?;
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SandboxError> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(SandboxError::io(parent))?;
    }
    std::fs::write(path, bytes).map_err(SandboxError::io(path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(SandboxError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list covers every file of docker/ but the locks.
    #[test]
    fn every_definition_file_is_embedded() {
        let root = source_tree().expect("tests run in the source tree").join("docker");
        let mut on_disk = vec![];
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    if p.file_name().is_some_and(|n| n != "families") {
                        stack.push(p);
                    }
                } else if p.extension().is_none_or(|x| x != "lock") {
                    on_disk.push(p.strip_prefix(&root).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> =
            DEFINITION_FILES.iter().map(|f| f.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        for f in DEFINITION_FILES {
            assert_eq!(std::fs::read(root.join(f.path)).unwrap(), f.bytes, "{} is stale", f.path);
        }
    }

    #[test]
    fn the_native_pin_is_built_in() {
        let lock = family_lock(Family::Native, None).unwrap();
        assert_eq!(lock.path, Path::new("docker/image.lock"));
        assert!(lock.packages.contains_key("build-essential"));
    }

    #[test]
    fn every_family_pin_is_built_in_and_names_its_family() {
        for f in [Family::LinuxCross, Family::Musl, Family::Mingw] {
            let lock = family_lock(f, None).unwrap();
            assert_eq!(lock.family_name(), f.name());
            for t in f.targets() {
                for p in t.packages {
                    let pinned = lock.packages.contains_key(*p)
                        || lock.packages.contains_key(&format!("{p}:amd64"));
                    assert!(pinned, "{p} pinned in {}", f.name());
                }
            }
        }
    }

    #[test]
    fn materialize_writes_definitions_and_a_manifest() {
        let d = tempfile::tempdir().unwrap();
        materialize(d.path(), Family::Mingw).unwrap();
        assert!(d.path().join("customize.sh").is_file());
        let manifest = std::fs::read_to_string(d.path().join("generated/MANIFEST")).unwrap();
        assert!(manifest.contains("755 opt/bin/x86_64-w64-mingw32/cc\n"), "{manifest}");
        assert!(manifest.contains("opt/bin/i686-w64-mingw32/i686-w64-mingw32-windres"));
        for line in manifest.lines() {
            let (_, rel) = line.split_once(' ').unwrap();
            assert!(d.path().join("generated").join(rel).is_file(), "{rel}");
        }
        let n = tempfile::tempdir().unwrap();
        materialize(n.path(), Family::Native).unwrap();
        assert_eq!(std::fs::read_to_string(n.path().join("generated/MANIFEST")).unwrap(), "");
    }
}
