//! The image pin: `docker/image.lock` (TOML).
//!
//! ```toml
//! rootfs_sha256 = "<64 hex>"      # sha256 of the uncompressed rootfs tarball = the layer diffID
//! image_id = "sha256:<64 hex>"    # sha256 of the image config JSON (classic image store)
//! source_date_epoch = 1735689600  # SOURCE_DATE_EPOCH given to mmdebstrap
//! suite = "bookworm"
//! mirror = "http://deb.debian.org/debian"
//!
//! [packages]                      # dpkg-query -W of the rootfs
//! bash = "5.2.15-2+b7"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::SandboxError;

/// Environment variable overriding the lock file location.
pub const LOCK_ENV: &str = "REPRO_IMAGE_LOCK";

/// The pinned image: what `repro image build` produced and every build checks against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLock {
    /// sha256 (hex) of the uncompressed rootfs tarball; equals the image layer's diffID.
    pub rootfs_sha256: String,
    /// `sha256:<hex>` of the image config JSON: the image ID on Docker's classic image store.
    pub image_id: String,
    /// SOURCE_DATE_EPOCH the rootfs was built with (also the image's `created` time).
    pub source_date_epoch: i64,
    /// Debian suite.
    pub suite: String,
    /// Debian mirror the packages came from.
    pub mirror: String,
    /// The toolchain family of the image (absent for the base image, `native`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Every package in the rootfs: name (with `:arch` for multi-arch-same packages) = version.
    pub packages: BTreeMap<String, String>,
    /// Where this lock was read from (not serialized).
    #[serde(skip)]
    pub path: PathBuf,
}

impl ImageLock {
    /// Reads and validates a lock file.
    pub fn load(path: &Path) -> Result<ImageLock, SandboxError> {
        let text = std::fs::read_to_string(path).map_err(|e| SandboxError::Lock {
            path: path.to_owned(),
            message: format!(
                "cannot read the image lock ({e}); build the image with `repro image build \
                 --update-lock` to create it"
            ),
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates lock text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ImageLock, SandboxError> {
        let mut lock: ImageLock = toml::from_str(text).map_err(|e| SandboxError::Lock {
            path: path.to_owned(),
            message: format!("invalid image lock: {e}"),
        })?;
        lock.path = path.to_owned();
        lock.validate()?;
        Ok(lock)
    }

    fn validate(&self) -> Result<(), SandboxError> {
        let bad = |message: String| SandboxError::Lock { path: self.path.clone(), message };
        if !is_hex64(&self.rootfs_sha256) {
            return Err(bad(format!(
                "rootfs_sha256 must be 64 lowercase hex digits, found {:?}",
                self.rootfs_sha256
            )));
        }
        match self.image_id.strip_prefix("sha256:") {
            Some(h) if is_hex64(h) => {}
            _ => {
                return Err(bad(format!(
                    "image_id must be \"sha256:<64 hex>\", found {:?}",
                    self.image_id
                )));
            }
        }
        if self.suite.is_empty()
            || !self.suite.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(bad(format!("suite {:?} is not a Debian suite name", self.suite)));
        }
        if !(self.mirror.starts_with("http://") || self.mirror.starts_with("https://")) {
            return Err(bad(format!("mirror {:?} must be an http(s) URL", self.mirror)));
        }
        Ok(())
    }

    /// Serializes the lock (sorted, stable) with an explanatory header.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("lock serializes");
        format!(
            "# The pinned repro build image. Written by `repro image build --update-lock`; do not \
             edit.\n# rootfs_sha256 is the sha256 of the rootfs tarball (= the image layer diffID); \
             image_id the\n# sha256 of the image config. [packages] lists dpkg-query -W of the \
             rootfs.\n{body}"
        )
    }

    /// Writes the lock to `path`, whole or not at all.
    pub fn save(&self, path: &Path) -> Result<(), SandboxError> {
        repro_artifact::write_output(path, self.to_toml().as_bytes()).map_err(SandboxError::Write)
    }

    /// The family name (`native` for the base image).
    pub fn family_name(&self) -> &str {
        self.family.as_deref().unwrap_or("native")
    }

    /// The image tag for this pin: `repro-build:<first 12 hex of the image id>`.
    pub fn tag(&self) -> String {
        image_tag(&self.image_id)
    }
}

/// `repro-build:<first 12 hex of the id>`.
pub fn image_tag(image_id: &str) -> String {
    let hex = image_id.strip_prefix("sha256:").unwrap_or(image_id);
    format!("{}:{}", crate::image::IMAGE_REPO, &hex[..hex.len().min(12)])
}

pub(crate) fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One package difference between two rootfs package lists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum PackageChange {
    Added { name: String, version: String },
    Removed { name: String, version: String },
    Changed { name: String, from: String, to: String },
}

impl fmt::Display for PackageChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackageChange::Added { name, version } => write!(f, "+ {name} {version}"),
            PackageChange::Removed { name, version } => write!(f, "- {name} {version}"),
            PackageChange::Changed { name, from, to } => write!(f, "~ {name} {from} -> {to}"),
        }
    }
}

/// Package changes from `old` to `new`, sorted by name.
pub fn diff_packages(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<PackageChange> {
    let mut out = Vec::new();
    for (name, v) in old {
        match new.get(name) {
            None => out.push(PackageChange::Removed { name: name.clone(), version: v.clone() }),
            Some(w) if w != v => out.push(PackageChange::Changed {
                name: name.clone(),
                from: v.clone(),
                to: w.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, v) in new {
        if !old.contains_key(name) {
            out.push(PackageChange::Added { name: name.clone(), version: v.clone() });
        }
    }
    out.sort_by(|a, b| change_name(a).cmp(change_name(b)));
    out
}

fn change_name(c: &PackageChange) -> &str {
    match c {
        PackageChange::Added { name, .. }
        | PackageChange::Removed { name, .. }
        | PackageChange::Changed { name, .. } => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ImageLock {
        ImageLock {
            rootfs_sha256: "a".repeat(64),
            image_id: format!("sha256:{}", "b".repeat(64)),
            source_date_epoch: 1735689600,
            suite: "bookworm".into(),
            mirror: "http://deb.debian.org/debian".into(),
            family: None,
            packages: [
                ("bash".to_string(), "5.2".to_string()),
                ("zlib1g:amd64".into(), "1:1.2".into()),
            ]
            .into_iter()
            .collect(),
            path: PathBuf::new(),
        }
    }

    #[test]
    fn a_failed_save_names_the_file_once() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("missing-dir/image.lock");
        let e = sample().save(&path).unwrap_err();
        let mut chain = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            chain.push_str(&format!(": {s}"));
            src = s.source();
        }
        let p = path.display().to_string();
        assert_eq!(chain.matches(p.as_str()).count(), 1, "{chain}");
    }

    #[test]
    fn lock_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("image.lock");
        let lock = sample();
        lock.save(&p).unwrap();
        let back = ImageLock::load(&p).unwrap();
        assert_eq!(back.packages, lock.packages);
        assert_eq!(back.rootfs_sha256, lock.rootfs_sha256);
        assert_eq!(back.path, p);
        assert_eq!(back.tag(), "repro-build:bbbbbbbbbbbb");
    }

    #[test]
    fn invalid_locks_are_refused_with_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("image.lock");
        let mut lock = sample();
        lock.rootfs_sha256 = "xyz".into();
        std::fs::write(&p, lock.to_toml()).unwrap();
        let err = ImageLock::load(&p).unwrap_err().to_string();
        assert!(err.contains("rootfs_sha256"), "{err}");

        std::fs::write(&p, sample().to_toml() + "\nextra = 1\n").unwrap();
        let err = ImageLock::load(&p).unwrap_err().to_string();
        assert!(err.contains("extra") || err.contains("unknown"), "{err}");

        let err = ImageLock::load(&dir.path().join("missing.lock")).unwrap_err().to_string();
        assert!(err.contains("repro image build"), "{err}");
    }

    #[test]
    fn package_diff_lists_added_removed_changed() {
        let old: BTreeMap<String, String> = [("a", "1"), ("b", "2"), ("c", "3")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let new: BTreeMap<String, String> = [("b", "2"), ("c", "4"), ("d", "5")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let d = diff_packages(&old, &new);
        let s: Vec<String> = d.iter().map(|c| c.to_string()).collect();
        assert_eq!(s, ["- a 1", "~ c 3 -> 4", "+ d 5"]);
        assert!(diff_packages(&new, &new).is_empty());
    }
}
