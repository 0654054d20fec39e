//! `Artifacts.toml` in the shape JLL packages use: one `[[Name]]` entry per platform with the
//! platform keys (`arch`, `os`, `libc`, ...), `git-tree-sha1`, and `[[Name.download]]` tables
//! with `url` and `sha256` of the compressed tarball.
//!
//! Reading ([`parse_artifacts_toml`]) and writing ([`upsert_artifacts_toml`],
//! [`write_artifacts_toml`]) go through `toml_edit`, so an update keeps every other entry, the
//! comments and the layout of the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::hashes::{GitTreeHash, Sha256};
use crate::pack::PackedArtifact;

/// Platform keys of a BinaryBuilder target triplet (`x86_64-linux-gnu`,
/// `armv7l-linux-gnueabihf`, `aarch64-apple-darwin`, `x86_64-w64-mingw32-cxx11`, ...),
/// as `(key, value)` pairs sorted by key.
pub fn platform_keys(target: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = target.split('-').collect();
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    let arch = parts.first().copied().unwrap_or(target);
    keys.push(("arch", arch.to_owned()));
    let rest = &parts[1.min(parts.len())..];
    let mut i = 0;
    // Vendor fields that carry no information.
    while i < rest.len()
        && matches!(rest[i], "unknown" | "pc" | "w64" | "apple")
        && rest.len() > i + 1
    {
        i += 1;
    }
    if let Some(os) = rest.get(i) {
        let os_name = match *os {
            "linux" => "linux",
            "darwin" | "macos" => "macos",
            "mingw32" | "windows" => "windows",
            "freebsd" => "freebsd",
            "openbsd" => "openbsd",
            other => other,
        };
        keys.push(("os", os_name.to_owned()));
        i += 1;
    }
    for tag in &rest[i.min(rest.len())..] {
        match *tag {
            "gnu" => keys.push(("libc", "glibc".into())),
            "musl" => keys.push(("libc", "musl".into())),
            "gnueabihf" => {
                keys.push(("libc", "glibc".into()));
                keys.push(("call_abi", "eabihf".into()));
            }
            "musleabihf" => {
                keys.push(("libc", "musl".into()));
                keys.push(("call_abi", "eabihf".into()));
            }
            "cxx03" | "cxx11" => keys.push(("cxxstring_abi", (*tag).into())),
            t if t.starts_with("libgfortran") => {
                keys.push(("libgfortran_version", format!("{}.0.0", &t["libgfortran".len()..])))
            }
            t if t.starts_with("julia_version+") => {
                keys.push(("julia_version", t["julia_version+".len()..].into()))
            }
            t => {
                if let Some((key, v)) = t.split_once('+').and_then(|(k, v)| Some((leak_key(k)?, v)))
                {
                    keys.push((key, v.into()));
                }
            }
        }
    }
    keys.sort_by(|a, b| a.0.cmp(b.0));
    keys
}

fn leak_key(k: &str) -> Option<&'static str> {
    Some(match k {
        "sanitize" => "sanitize",
        "cuda" => "cuda",
        "march" => "march",
        "os_version" => "os_version",
        _ => return None,
    })
}

fn platform_map(target: &str) -> BTreeMap<String, String> {
    platform_keys(target).into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Keys of an entry that are not platform keys.
const NON_PLATFORM_KEYS: [&str; 3] = ["git-tree-sha1", "download", "lazy"];

/// One `[[name.download]]` table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArtifactDownload {
    /// The tarball's URL (Pkg requires one; entries written without `--download-url-base`
    /// context may lack it).
    pub url: Option<String>,
    /// sha256 of the compressed tarball.
    pub sha256: Sha256,
}

/// One entry of an `Artifacts.toml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArtifactEntry {
    /// The artifact's name (`Ogg`).
    pub name: String,
    /// Position among the entries of that name (0-based), for messages.
    pub index: usize,
    /// The platform keys (`arch`, `os`, `libc`, ...); empty for a platform-independent artifact.
    pub platform: BTreeMap<String, String>,
    pub git_tree_sha1: GitTreeHash,
    pub downloads: Vec<ArtifactDownload>,
    pub lazy: bool,
}

impl ArtifactEntry {
    /// True when this entry's platform keys are exactly those of `target`.
    pub fn matches_target(&self, target: &str) -> bool {
        self.platform == platform_map(target)
    }

    /// `arch=x86_64, libc=glibc, os=linux`.
    pub fn platform_label(&self) -> String {
        if self.platform.is_empty() {
            return "any platform".into();
        }
        self.platform.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// A problem with an `Artifacts.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactsTomlError {
    /// Not valid TOML.
    #[error("{origin}: not valid TOML: {message}")]
    Syntax { origin: String, message: String },
    /// An entry lacks a key or has a bad value.
    #[error("{origin}: {entry}: {message}")]
    Field { origin: String, entry: String, message: String },
    /// Writing the file failed.
    #[error(transparent)]
    Write(#[from] crate::Error),
    /// Reading the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Parses every artifact entry of an `Artifacts.toml` (`origin` names the file in errors).
pub fn parse_artifacts_toml(
    text: &str,
    origin: &str,
) -> Result<Vec<ArtifactEntry>, ArtifactsTomlError> {
    let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        ArtifactsTomlError::Syntax { origin: origin.to_owned(), message: e.to_string() }
    })?;
    let mut out = Vec::new();
    for (name, item) in doc.iter() {
        match item {
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    out.push(parse_entry(name, i, t, origin)?);
                }
            }
            Item::Table(t) => out.push(parse_entry(name, 0, t, origin)?),
            _ => {
                return Err(ArtifactsTomlError::Field {
                    origin: origin.to_owned(),
                    entry: name.to_owned(),
                    message: "expected a table `[name]` or entries `[[name]]`".into(),
                });
            }
        }
    }
    Ok(out)
}

fn parse_entry(
    name: &str,
    index: usize,
    t: &Table,
    origin: &str,
) -> Result<ArtifactEntry, ArtifactsTomlError> {
    let entry = format!("[[{name}]] entry {}", index + 1);
    let bad = |message: String| ArtifactsTomlError::Field {
        origin: origin.to_owned(),
        entry: entry.clone(),
        message,
    };
    let tree = t
        .get("git-tree-sha1")
        .and_then(Item::as_str)
        .ok_or_else(|| bad("missing `git-tree-sha1` (a string of 40 hex digits)".into()))?;
    let git_tree_sha1: GitTreeHash = tree
        .parse()
        .map_err(|_| bad(format!("`git-tree-sha1 = {tree:?}` is not 40 hex digits")))?;
    let mut platform = BTreeMap::new();
    for (k, v) in t.iter() {
        if NON_PLATFORM_KEYS.contains(&k) {
            continue;
        }
        let v = v.as_str().ok_or_else(|| bad(format!("platform key `{k}` must be a string")))?;
        platform.insert(k.to_owned(), v.to_owned());
    }
    let lazy = t.get("lazy").and_then(Item::as_bool).unwrap_or(false);
    let mut downloads = Vec::new();
    match t.get("download") {
        None => {}
        Some(Item::ArrayOfTables(a)) => {
            for (j, d) in a.iter().enumerate() {
                let field = |k: &str| {
                    d.get(k)
                        .and_then(Item::as_str)
                        .ok_or_else(|| bad(format!("download {}: missing `{k}` (a string)", j + 1)))
                };
                let url = match d.get("url") {
                    None => None,
                    Some(u) => Some(
                        u.as_str()
                            .ok_or_else(|| {
                                bad(format!("download {}: `url` must be a string", j + 1))
                            })?
                            .to_owned(),
                    ),
                };
                let sha = field("sha256")?;
                let sha256: Sha256 = sha.parse().map_err(|_| {
                    bad(format!("download {}: `sha256 = {sha:?}` is not 64 hex digits", j + 1))
                })?;
                downloads.push(ArtifactDownload { url, sha256 });
            }
        }
        Some(_) => return Err(bad("`download` must be `[[{name}.download]]` tables".into())),
    }
    Ok(ArtifactEntry { name: name.to_owned(), index, platform, git_tree_sha1, downloads, lazy })
}

/// Returns `text` (an `Artifacts.toml`, or `None` for a new file) with the entry of `name` for
/// `target` set to `tree`, `sha256` and `url`: the matching `[[name]]` entry is replaced in place,
/// or a new one appended. Every other entry, comment and table is kept.
pub fn upsert_artifacts_toml(
    text: Option<&str>,
    origin: &str,
    name: &str,
    target: &str,
    tree: &GitTreeHash,
    sha256: &Sha256,
    url: Option<&str>,
) -> Result<String, ArtifactsTomlError> {
    // Validate every existing entry first: never rewrite a file we cannot read.
    if let Some(t) = text {
        parse_artifacts_toml(t, origin)?;
    }
    let mut doc: DocumentMut = match text {
        Some(t) => t.parse().map_err(|e: toml_edit::TomlError| ArtifactsTomlError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?,
        None => DocumentMut::new(),
    };
    let want = platform_map(target);
    let new_entry = entry_table(name, &want, tree, sha256, url);
    match doc.get_mut(name) {
        None => {
            let mut a = ArrayOfTables::new();
            a.push(new_entry);
            doc.insert(name, Item::ArrayOfTables(a));
        }
        Some(Item::ArrayOfTables(a)) => {
            let pos = a.iter().position(|t| {
                let keys: BTreeMap<String, String> = t
                    .iter()
                    .filter(|(k, _)| !NON_PLATFORM_KEYS.contains(k))
                    .filter_map(|(k, v)| Some((k.to_owned(), v.as_str()?.to_owned())))
                    .collect();
                keys == want
            });
            match pos.and_then(|i| a.get_mut(i)) {
                Some(t) => {
                    let decor = t.decor().clone();
                    *t = new_entry;
                    *t.decor_mut() = decor;
                }
                None => a.push(new_entry),
            }
        }
        Some(_) => {
            return Err(ArtifactsTomlError::Field {
                origin: origin.to_owned(),
                entry: name.to_owned(),
                message: "is a single platform-independent table, not `[[name]]` entries; \
                          remove it or use another file"
                    .into(),
            });
        }
    }
    let mut s = doc.to_string();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Ok(s)
}

/// One `[[name]]` table laid out as JLL packages do (platform keys and `git-tree-sha1` sorted,
/// then an indented `[[name.download]]`).
fn entry_table(
    name: &str,
    platform: &BTreeMap<String, String>,
    tree: &GitTreeHash,
    sha256: &Sha256,
    url: Option<&str>,
) -> Table {
    let _ = name;
    let mut fields: Vec<(String, String)> =
        platform.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    fields.push(("git-tree-sha1".into(), tree.to_hex()));
    fields.sort();
    let mut t = Table::new();
    for (k, v) in fields {
        t.insert(&k, value(v));
    }
    let mut d = Table::new();
    d.insert("sha256", value(sha256.to_hex()));
    if let Some(url) = url {
        d.insert("url", value(url));
    }
    d.decor_mut().set_prefix("\n    ");
    for k in ["sha256", "url"] {
        if let Some(mut key) = d.key_mut(k) {
            key.leaf_decor_mut().set_prefix("    ");
        }
    }
    let mut downloads = ArrayOfTables::new();
    downloads.push(d);
    t.insert("download", Item::ArrayOfTables(downloads));
    t
}

/// One `[[name]]` entry for `target`, as a standalone `Artifacts.toml` text.
pub fn artifacts_toml_entry(
    name: &str,
    target: &str,
    packed: &PackedArtifact,
    url: Option<&str>,
) -> String {
    upsert_artifacts_toml(None, "", name, target, &packed.git_tree_sha1, &packed.sha256, url)
        .expect("a new document cannot conflict")
}

/// Writes or updates the entry of `name` for `target` in the `Artifacts.toml` at `path`
/// (created when absent). The file is replaced atomically (temporary file and rename in the
/// same directory), so a failure leaves the old file intact; a symlink keeps pointing at it.
pub fn write_artifacts_toml(
    path: &Path,
    name: &str,
    target: &str,
    packed: &PackedArtifact,
    url: Option<&str>,
) -> Result<(), ArtifactsTomlError> {
    let io = |source| ArtifactsTomlError::Io { path: path.to_owned(), source };
    let existing = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let text = upsert_artifacts_toml(
        existing.as_deref(),
        &path.display().to_string(),
        name,
        target,
        &packed.git_tree_sha1,
        &packed.sha256,
        url,
    )?;
    crate::write_output(path, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets() {
        let k = |t| {
            platform_keys(t)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(k("x86_64-linux-gnu"), "arch=x86_64,libc=glibc,os=linux");
        assert_eq!(k("aarch64-linux-musl"), "arch=aarch64,libc=musl,os=linux");
        assert_eq!(k("armv7l-linux-gnueabihf"), "arch=armv7l,call_abi=eabihf,libc=glibc,os=linux");
        assert_eq!(k("x86_64-apple-darwin"), "arch=x86_64,os=macos");
        assert_eq!(k("x86_64-w64-mingw32-cxx11"), "arch=x86_64,cxxstring_abi=cxx11,os=windows");
        assert_eq!(k("x86_64-unknown-freebsd"), "arch=x86_64,os=freebsd");
        assert_eq!(
            k("x86_64-linux-gnu-libgfortran5"),
            "arch=x86_64,libc=glibc,libgfortran_version=5.0.0,os=linux"
        );
    }

    fn packed(tree: u8, sha: u8) -> PackedArtifact {
        PackedArtifact {
            path: "x".into(),
            sha256: Sha256([sha; 32]),
            git_tree_sha1: GitTreeHash([tree; 20]),
            size: 1,
        }
    }

    #[test]
    fn entry_shape() {
        let p = packed(0x12, 0xab);
        let s = artifacts_toml_entry(
            "XZ",
            "x86_64-linux-gnu",
            &p,
            Some("https://example.invalid/XZ.tar.gz"),
        );
        let expected = format!(
            "[[XZ]]\narch = \"x86_64\"\ngit-tree-sha1 = \"{}\"\nlibc = \"glibc\"\nos = \"linux\"\n\n    [[XZ.download]]\n    sha256 = \"{}\"\n    url = \"https://example.invalid/XZ.tar.gz\"\n",
            "12".repeat(20),
            "ab".repeat(32)
        );
        assert_eq!(s, expected);
        let s = artifacts_toml_entry("my lib", "x86_64-linux-gnu", &p, None);
        assert!(s.starts_with("[[\"my lib\"]]\n"), "{s}");
        assert!(!s.contains("url"));
        let back = parse_artifacts_toml(&s, "t").unwrap();
        assert_eq!(back[0].name, "my lib");
    }

    /// A JLL-style file with two platforms (shape of JuliaBinaryWrappers' Artifacts.toml files).
    const TWO: &str = r#"# kept comment
[[Ogg]]
arch = "aarch64"
git-tree-sha1 = "1111111111111111111111111111111111111111"
libc = "glibc"
os = "linux"

    [[Ogg.download]]
    sha256 = "2222222222222222222222222222222222222222222222222222222222222222"
    url = "https://example.invalid/Ogg.v1.3.5.aarch64-linux-gnu.tar.gz"

[[Ogg]]
arch = "x86_64"
git-tree-sha1 = "3333333333333333333333333333333333333333"
libc = "glibc"
os = "linux"

    [[Ogg.download]]
    sha256 = "4444444444444444444444444444444444444444444444444444444444444444"
    url = "https://example.invalid/Ogg.v1.3.5.x86_64-linux-gnu.tar.gz"
"#;

    #[test]
    fn parse_finds_entries_by_platform() {
        let e = parse_artifacts_toml(TWO, "A.toml").unwrap();
        assert_eq!(e.len(), 2);
        let x = e.iter().find(|e| e.matches_target("x86_64-linux-gnu")).unwrap();
        assert_eq!(x.index, 1);
        assert_eq!(x.git_tree_sha1.to_hex(), "3".repeat(40));
        assert_eq!(x.downloads[0].sha256.to_hex(), "4".repeat(64));
        assert!(x.downloads[0].url.as_deref().unwrap().ends_with("x86_64-linux-gnu.tar.gz"));
        assert!(!e.iter().any(|e| e.matches_target("x86_64-linux-musl")));
        assert_eq!(x.platform_label(), "arch=x86_64, libc=glibc, os=linux");
    }

    #[test]
    fn upsert_replaces_its_platform_and_keeps_the_others() {
        let p = packed(0x5a, 0x6b);
        let out = upsert_artifacts_toml(
            Some(TWO),
            "A.toml",
            "Ogg",
            "x86_64-linux-gnu",
            &p.git_tree_sha1,
            &p.sha256,
            Some("https://example.invalid/new.tar.gz"),
        )
        .unwrap();
        assert!(out.starts_with("# kept comment\n"), "{out}");
        // The aarch64 entry is byte-for-byte unchanged.
        let aarch =
            &TWO[TWO.find("[[Ogg]]").unwrap()..TWO.find("\n[[Ogg]]\narch = \"x86_64\"").unwrap()];
        assert!(out.contains(aarch), "{out}");
        let e = parse_artifacts_toml(&out, "A.toml").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].git_tree_sha1, p.git_tree_sha1);
        assert_eq!(
            e[1].downloads,
            vec![ArtifactDownload {
                url: Some("https://example.invalid/new.tar.gz".into()),
                sha256: p.sha256
            }]
        );
        assert!(!out.contains(&"3".repeat(40)));
        // A new platform is appended.
        let out2 = upsert_artifacts_toml(
            Some(&out),
            "A.toml",
            "Ogg",
            "x86_64-linux-musl",
            &p.git_tree_sha1,
            &p.sha256,
            None,
        )
        .unwrap();
        let e = parse_artifacts_toml(&out2, "A.toml").unwrap();
        assert_eq!(e.len(), 3);
        assert!(e[2].matches_target("x86_64-linux-musl"));
        // Idempotent.
        let again = upsert_artifacts_toml(
            Some(&out2),
            "A.toml",
            "Ogg",
            "x86_64-linux-musl",
            &p.git_tree_sha1,
            &p.sha256,
            None,
        )
        .unwrap();
        assert_eq!(again, out2);
    }

    #[test]
    fn bad_records_are_named() {
        let err = parse_artifacts_toml("[[Ogg]]\narch = \"x\"\n", "A.toml").unwrap_err();
        assert!(
            err.to_string().contains("A.toml: [[Ogg]] entry 1: missing `git-tree-sha1`"),
            "{err}"
        );
        let err = parse_artifacts_toml("[[Ogg]]\ngit-tree-sha1 = \"abc\"\n", "A.toml").unwrap_err();
        assert!(err.to_string().contains("not 40 hex digits"), "{err}");
        let text = format!(
            "[[Ogg]]\ngit-tree-sha1 = \"{}\"\n[[Ogg.download]]\nurl = \"u\"\nsha256 = \"zz\"\n",
            "1".repeat(40)
        );
        let err = parse_artifacts_toml(&text, "A.toml").unwrap_err();
        assert!(err.to_string().contains("download 1: `sha256 = \"zz\"`"), "{err}");
        let err = parse_artifacts_toml("[[Ogg]\n", "A.toml").unwrap_err();
        assert!(err.to_string().starts_with("A.toml: not valid TOML"), "{err}");
        // A file that does not parse is never rewritten.
        let p = packed(1, 2);
        assert!(
            upsert_artifacts_toml(
                Some("[[Ogg]]\n"),
                "A.toml",
                "Ogg",
                "x86_64-linux-gnu",
                &p.git_tree_sha1,
                &p.sha256,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn write_is_atomic_and_updates_in_place() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("Artifacts.toml");
        write_artifacts_toml(&path, "Ogg", "x86_64-linux-gnu", &packed(1, 2), None).unwrap();
        write_artifacts_toml(&path, "Ogg", "aarch64-linux-gnu", &packed(3, 4), None).unwrap();
        write_artifacts_toml(&path, "Ogg", "x86_64-linux-gnu", &packed(5, 6), None).unwrap();
        let e = parse_artifacts_toml(&std::fs::read_to_string(&path).unwrap(), "t").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].git_tree_sha1, GitTreeHash([5; 20]));
        assert_eq!(e[1].git_tree_sha1, GitTreeHash([3; 20]));
        // Only the file itself in the directory: no temporary left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        // A broken file is left as it was.
        std::fs::write(&path, "[[Ogg]]\n").unwrap();
        assert!(
            write_artifacts_toml(&path, "Ogg", "x86_64-linux-gnu", &packed(1, 2), None).is_err()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[[Ogg]]\n");
    }

    /// Regression: a record kept as a symlink (to a shared records checkout) was replaced by a
    /// regular file on update; the link now keeps pointing at the updated file.
    #[test]
    fn a_symlinked_record_is_updated_through_the_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("records.toml");
        let link = d.path().join("Artifacts.toml");
        write_artifacts_toml(&real, "Ogg", "x86_64-linux-gnu", &packed(1, 2), None).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_artifacts_toml(&link, "Ogg", "aarch64-linux-gnu", &packed(3, 4), None).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let e = parse_artifacts_toml(&std::fs::read_to_string(&real).unwrap(), "t").unwrap();
        assert_eq!(e.len(), 2);
    }
}
