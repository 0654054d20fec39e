//! Laying out fetched sources in a source directory the way BinaryBuilder does:
//! archives unpacked into `srcdir[/unpack_target]`, files copied as `srcdir/<filename>`, git
//! checkouts in `srcdir/<unpack_target or repo name>` (with `.git`), directory contents copied
//! into `srcdir[/target]`.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use repro_recipe::{Recipe, Source};

use crate::error::{Error, Result};
use crate::fetch::FetchedSource;
use crate::url::{basename, repo_name};
use crate::{git, zip};

/// Deepest directory nesting copied from a directory source.
pub const MAX_DIRECTORY_DEPTH: usize = 128;
/// Most entries copied from one directory source.
pub const MAX_DIRECTORY_ENTRIES: u64 = 1_000_000;

/// Lays out `fetched` (the result of fetching `recipe`'s sources, in order) in `srcdir`.
pub fn prepare_srcdir(recipe: &Recipe, fetched: &[FetchedSource], srcdir: &Path) -> Result<()> {
    fs::create_dir_all(srcdir)
        .map_err(|e| Error::io("cannot create source directory", srcdir, e))?;
    for (index, source) in recipe.sources.iter().enumerate() {
        let f = fetched
            .get(index)
            .filter(|f| f.source == *source)
            .ok_or_else(|| Error::NotFetched { index, what: describe(source) })?;
        match source {
            Source::Archive { unpack_target, .. } => {
                let dest = make_dir_inside(
                    srcdir,
                    unpack_target.as_deref().unwrap_or(""),
                    "unpack_target",
                )?;
                unpack_archive(&f.cached, &dest)?;
            }
            Source::File { url, filename, .. } => {
                let name = match filename {
                    Some(n) => n.clone(),
                    None => basename(url).ok_or_else(|| Error::UnsafeTarget {
                        field: "filename",
                        value: url.clone(),
                        reason: "the URL has no usable file name; set `filename`".into(),
                    })?,
                };
                let dest = file_dest(srcdir, &name, "filename")?;
                fs::copy(&f.cached, &dest)
                    .map_err(|e| Error::io("cannot copy source file to", &dest, e))?;
            }
            Source::Git { url, commit, unpack_target } => {
                let name = match unpack_target {
                    Some(t) => t.clone(),
                    None => repo_name(url).ok_or_else(|| Error::UnsafeTarget {
                        field: "unpack_target",
                        value: url.clone(),
                        reason:
                            "cannot derive a directory name from the git URL; set `unpack_target`"
                                .into(),
                    })?,
                };
                let dest = resolve_inside(srcdir, &name, "unpack_target")?;
                if dest == srcdir {
                    return Err(Error::UnsafeTarget {
                        field: "unpack_target",
                        value: name,
                        reason: "a git checkout needs its own directory".into(),
                    });
                }
                if let Some(parent) =
                    Path::new(&name).parent().filter(|p| !p.as_os_str().is_empty())
                {
                    make_dir_inside(srcdir, &parent.to_string_lossy(), "unpack_target")?;
                }
                if fs::symlink_metadata(&dest).is_ok() {
                    return Err(Error::UnsafeTarget {
                        field: "unpack_target",
                        value: name,
                        reason: format!(
                            "{} already exists in the source directory",
                            dest.display()
                        ),
                    });
                }
                git::checkout(&f.cached, &dest, &commit.to_ascii_lowercase(), url)?;
            }
            Source::Directory { path, target } => {
                // Checked again here: the tree may have changed since it was fetched.
                let src = check_directory_source(&recipe.dir, path)?;
                if src != f.cached {
                    return Err(Error::UnsafeDirectory {
                        path: f.cached.clone(),
                        reason: format!("now resolves to {}; fetch it again", src.display()),
                    });
                }
                let dest = make_dir_inside(srcdir, target.as_deref().unwrap_or(""), "target")?;
                copy_dir_contents(&f.cached, &dest)?;
            }
        }
    }
    Ok(())
}

fn describe(source: &Source) -> String {
    match source {
        Source::Archive { url, .. } => format!("archive {url}"),
        Source::File { url, .. } => format!("file {url}"),
        Source::Git { url, .. } => format!("git {url}"),
        Source::Directory { path, .. } => format!("directory {path}"),
    }
}

/// Unpacks a zip or (possibly compressed) tar archive into `dest`, detected by magic bytes.
pub fn unpack_archive(archive: &Path, dest: &Path) -> Result<()> {
    let mut magic = [0u8; 4];
    let mut f = File::open(archive).map_err(|e| Error::io("cannot open archive", archive, e))?;
    let n =
        read_up_to(&mut f, &mut magic).map_err(|e| Error::io("cannot read archive", archive, e))?;
    drop(f);
    if n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06") {
        zip::unpack_zip(archive, dest, &zip::ZipLimits::default())
    } else {
        repro_artifact::unpack_tarball(archive, dest, &repro_artifact::UnpackLimits::default())
            .map(drop)
            .map_err(|source| Error::Unpack { archive: archive.to_owned(), source })
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Splits a recipe-relative target into plain components, refusing absolute paths and `..`.
pub(crate) fn safe_components(rel: &str, field: &'static str) -> Result<Vec<String>> {
    let bad = |reason: &str| Error::UnsafeTarget {
        field,
        value: rel.to_owned(),
        reason: reason.to_owned(),
    };
    if rel.contains('\0') {
        return Err(bad("contains a NUL byte"));
    }
    let mut out = Vec::new();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => return Err(bad("must not contain `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad("must be a relative path"));
            }
        }
    }
    Ok(out)
}

/// `root/rel`, checked: `rel` is relative without `..`, and no existing component below `root`
/// is a symlink (so nothing written there can land outside `root`).
pub(crate) fn resolve_inside(root: &Path, rel: &str, field: &'static str) -> Result<PathBuf> {
    let comps = safe_components(rel, field)?;
    let mut path = root.to_path_buf();
    let last = comps.len();
    for (i, c) in comps.iter().enumerate() {
        path.push(c);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::UnsafeTarget {
                    field,
                    value: rel.to_owned(),
                    reason: format!("{} is a symlink", path.display()),
                });
            }
            Ok(m) if !m.is_dir() && i + 1 < last => {
                return Err(Error::UnsafeTarget {
                    field,
                    value: rel.to_owned(),
                    reason: format!("{} is not a directory", path.display()),
                });
            }
            _ => {}
        }
    }
    Ok(path)
}

/// Creates (if needed) and returns the directory `root/rel`, refusing symlinked components.
pub(crate) fn make_dir_inside(root: &Path, rel: &str, field: &'static str) -> Result<PathBuf> {
    let comps = safe_components(rel, field)?;
    let mut path = root.to_path_buf();
    for c in &comps {
        path.push(c);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::UnsafeTarget {
                    field,
                    value: rel.to_owned(),
                    reason: format!("{} exists and is not a directory", path.display()),
                });
            }
            Err(_) => {
                fs::create_dir(&path).map_err(|e| Error::io("cannot create directory", &path, e))?
            }
        }
    }
    Ok(path)
}

/// The destination of a file source: parents created safely, an existing regular file replaced,
/// anything else refused.
fn file_dest(root: &Path, rel: &str, field: &'static str) -> Result<PathBuf> {
    let comps = safe_components(rel, field)?;
    let Some((name, parents)) = comps.split_last() else {
        return Err(Error::UnsafeTarget {
            field,
            value: rel.to_owned(),
            reason: "is empty".into(),
        });
    };
    let dir = make_dir_inside(root, &parents.join("/"), field)?;
    let dest = dir.join(name);
    match fs::symlink_metadata(&dest) {
        Ok(m) if m.is_file() => {
            fs::remove_file(&dest).map_err(|e| Error::io("cannot replace", &dest, e))?
        }
        Ok(_) => {
            return Err(Error::UnsafeTarget {
                field,
                value: rel.to_owned(),
                reason: format!("{} exists and is not a regular file", dest.display()),
            });
        }
        Err(_) => {}
    }
    Ok(dest)
}

/// Whether a symlink at `link_dir` (relative components below the tree root) pointing at
/// `target` stays inside the tree, judged lexically.
pub(crate) fn symlink_stays_inside(link_dir: &[String], target: &Path) -> bool {
    let mut depth: Vec<&str> = link_dir.iter().map(String::as_str).collect();
    for c in target.components() {
        match c {
            Component::Normal(s) => depth.push(s.to_str().unwrap_or("?")),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Checks the `directory` source `path` of a recipe in `recipe_dir`: it must resolve (symlinks
/// followed) to a directory inside the recipe's directory, and no symlink in it may point
/// outside it. Returns the resolved directory.
pub fn check_directory_source(recipe_dir: &Path, path: &str) -> Result<PathBuf> {
    let given = recipe_dir.join(path);
    let dir = fs::canonicalize(&given)
        .map_err(|e| Error::LocalSource { path: given.clone(), source: e })?;
    let root = fs::canonicalize(recipe_dir)
        .map_err(|e| Error::LocalSource { path: recipe_dir.to_owned(), source: e })?;
    if !dir.starts_with(&root) {
        return Err(Error::UnsafeDirectory {
            path: given,
            reason: format!(
                "resolves to {}, outside the recipe's directory {} (through a symlink or `..`); copy the files next to the recipe",
                dir.display(),
                root.display()
            ),
        });
    }
    if !dir.is_dir() {
        return Err(Error::LocalSource {
            path: given,
            source: std::io::Error::other("a directory source must be a directory"),
        });
    }
    let mut count = 0u64;
    check_symlinks(&dir, &dir, &mut Vec::new(), &mut count)?;
    Ok(dir)
}

/// Every symlink below `dir` stays inside `root` (the same rule as [`copy_dir_contents`]).
fn check_symlinks(root: &Path, dir: &Path, rel: &mut Vec<String>, count: &mut u64) -> Result<()> {
    if rel.len() > MAX_DIRECTORY_DEPTH {
        return Err(Error::UnsafeDirectory {
            path: dir.to_owned(),
            reason: format!("nested deeper than {MAX_DIRECTORY_DEPTH} directories"),
        });
    }
    for entry in fs::read_dir(dir).map_err(|e| Error::io("cannot read directory", dir, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read directory", dir, e))?;
        *count += 1;
        if *count > MAX_DIRECTORY_ENTRIES {
            return Err(Error::UnsafeDirectory {
                path: root.to_owned(),
                reason: format!("holds more than {MAX_DIRECTORY_ENTRIES} entries"),
            });
        }
        let from = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io("cannot stat", &from, e))?;
        if ft.is_symlink() {
            let target =
                fs::read_link(&from).map_err(|e| Error::io("cannot read symlink", &from, e))?;
            if !symlink_stays_inside(rel, &target) {
                return Err(Error::UnsafeDirectory {
                    path: from,
                    reason: format!("symlink to {} points outside the directory", target.display()),
                });
            }
        } else if ft.is_dir() {
            rel.push(entry.file_name().to_string_lossy().into_owned());
            check_symlinks(root, &from, rel, count)?;
            rel.pop();
        }
    }
    Ok(())
}

/// Copies the contents of `src` into `dest` (created if needed): files with their permissions,
/// symlinks as symlinks (refusing ones that point outside `src`), bounded depth and count.
pub fn copy_dir_contents(src: &Path, dest: &Path) -> Result<()> {
    let src_canon = fs::canonicalize(src)
        .map_err(|e| Error::LocalSource { path: src.to_owned(), source: e })?;
    fs::create_dir_all(dest).map_err(|e| Error::io("cannot create directory", dest, e))?;
    let dest_canon = fs::canonicalize(dest).map_err(|e| Error::io("cannot resolve", dest, e))?;
    if dest_canon.starts_with(&src_canon) {
        return Err(Error::UnsafeDirectory {
            path: src.to_owned(),
            reason: format!(
                "the destination {} lies inside the directory being copied",
                dest.display()
            ),
        });
    }
    let mut count = 0u64;
    copy_tree(&src_canon, &src_canon, dest, &mut Vec::new(), &mut count)
}

fn copy_tree(
    root: &Path,
    src: &Path,
    dest: &Path,
    rel: &mut Vec<String>,
    count: &mut u64,
) -> Result<()> {
    if rel.len() > MAX_DIRECTORY_DEPTH {
        return Err(Error::UnsafeDirectory {
            path: src.to_owned(),
            reason: format!("nested deeper than {MAX_DIRECTORY_DEPTH} directories"),
        });
    }
    let mut entries: Vec<_> = fs::read_dir(src)
        .map_err(|e| Error::io("cannot read directory", src, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("cannot read directory", src, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        *count += 1;
        if *count > MAX_DIRECTORY_ENTRIES {
            return Err(Error::UnsafeDirectory {
                path: root.to_owned(),
                reason: format!("holds more than {MAX_DIRECTORY_ENTRIES} entries"),
            });
        }
        let name = entry.file_name();
        let from = entry.path();
        let to = dest.join(&name);
        let ft = entry.file_type().map_err(|e| Error::io("cannot stat", &from, e))?;
        let existing = fs::symlink_metadata(&to).ok();
        if ft.is_dir() {
            match existing {
                Some(m) if m.is_dir() => {}
                Some(_) => {
                    return Err(Error::UnsafeDirectory {
                        path: from,
                        reason: format!("{} already exists and is not a directory", to.display()),
                    });
                }
                None => {
                    fs::create_dir(&to).map_err(|e| Error::io("cannot create directory", &to, e))?
                }
            }
            rel.push(name.to_string_lossy().into_owned());
            copy_tree(root, &from, &to, rel, count)?;
            rel.pop();
            continue;
        }
        if let Some(m) = &existing {
            if m.is_dir() {
                return Err(Error::UnsafeDirectory {
                    path: from,
                    reason: format!("{} already exists as a directory", to.display()),
                });
            }
            fs::remove_file(&to).map_err(|e| Error::io("cannot replace", &to, e))?;
        }
        if ft.is_symlink() {
            let target =
                fs::read_link(&from).map_err(|e| Error::io("cannot read symlink", &from, e))?;
            if !symlink_stays_inside(rel, &target) {
                return Err(Error::UnsafeDirectory {
                    path: from,
                    reason: format!("symlink to {} points outside the directory", target.display()),
                });
            }
            symlink(&target, &to)?;
        } else if ft.is_file() {
            fs::copy(&from, &to).map_err(|e| Error::io("cannot copy to", &to, e))?;
        } else {
            return Err(Error::UnsafeDirectory {
                path: from,
                reason: "not a regular file, directory or symlink (device, fifo or socket)".into(),
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
pub(crate) fn symlink(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link)
        .map_err(|e| Error::io("cannot create symlink", link, e))
}

#[cfg(not(unix))]
pub(crate) fn symlink(_target: &Path, link: &Path) -> Result<()> {
    Err(Error::io(
        "cannot create symlink",
        link,
        std::io::Error::other("symlinks need a Unix host"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        assert_eq!(safe_components("a/./b", "t").unwrap(), ["a", "b"]);
        assert!(safe_components("", "t").unwrap().is_empty());
        assert!(safe_components("../x", "t").is_err());
        assert!(safe_components("a/../../x", "t").is_err());
        assert!(safe_components("/etc", "t").is_err());
    }

    #[test]
    fn symlink_escape() {
        let d = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(symlink_stays_inside(&d(&[]), Path::new("a/b")));
        assert!(symlink_stays_inside(&d(&["x"]), Path::new("../a")));
        assert!(!symlink_stays_inside(&d(&[]), Path::new("../a")));
        assert!(!symlink_stays_inside(&d(&["x"]), Path::new("../../a")));
        assert!(!symlink_stays_inside(&d(&["x"]), Path::new("/etc/passwd")));
    }
}
