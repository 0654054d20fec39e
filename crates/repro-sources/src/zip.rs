//! Safe unpacking of `.zip` source archives.
//!
//! Refused with an error (never silently skipped): names that are absolute or contain `..`,
//! entries that would be written through a symlink, symlinks whose target leaves the
//! destination, device/fifo/socket entries, and archives exceeding the entry or size limits.
//! Modification times are kept, as `unzip` does.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read};
use std::path::{Component, Path};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};
use crate::layout::{make_dir_inside, symlink, symlink_stays_inside};

/// Limits for one zip archive.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Most entries.
    pub max_entries: usize,
    /// Most bytes written in total.
    pub max_total_bytes: u64,
    /// Deepest path.
    pub max_depth: usize,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits { max_entries: 1_000_000, max_total_bytes: 64 << 30, max_depth: 128 }
    }
}

const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// Unpacks `archive` into `dest` (which must exist).
pub fn unpack_zip(archive: &Path, dest: &Path, limits: &ZipLimits) -> Result<()> {
    let bad = |message: String| Error::Archive { archive: archive.to_owned(), message };
    let refuse = |entry: &str, reason: &str| Error::UnsafeEntry {
        archive: archive.to_owned(),
        entry: entry.to_owned(),
        reason: reason.to_owned(),
    };
    let file = File::open(archive).map_err(|e| Error::io("cannot open archive", archive, e))?;
    let mut za = ::zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| bad(format!("not a valid zip: {e}")))?;
    if za.len() > limits.max_entries {
        return Err(bad(format!(
            "{} entries exceed the limit of {}",
            za.len(),
            limits.max_entries
        )));
    }
    let mut total: u64 = 0;
    for i in 0..za.len() {
        let mut entry = za.by_index(i).map_err(|e| bad(format!("entry {i}: {e}")))?;
        let name = entry.name().map_err(|e| bad(format!("entry {i}: bad name: {e}")))?.into_owned();
        let comps = entry_components(&name).map_err(|reason| refuse(&name, reason))?;
        if comps.len() > limits.max_depth {
            return Err(refuse(&name, "nested too deeply"));
        }
        let Some((leaf, parents)) = comps.split_last() else {
            continue; // "./" or "/"-only names for the root itself
        };
        let mode = entry.unix_mode();
        let kind = mode.map(|m| m & S_IFMT).unwrap_or(0);
        if entry.is_dir() || kind == S_IFDIR {
            make_dir_inside(dest, &comps.join("/"), "zip entry")
                .map_err(|e| refuse(&name, &e.to_string()))?;
            continue;
        }
        let parent = make_dir_inside(dest, &parents.join("/"), "zip entry")
            .map_err(|e| refuse(&name, &e.to_string()))?;
        let path = parent.join(leaf);
        if let Ok(m) = fs::symlink_metadata(&path) {
            if m.is_dir() {
                return Err(refuse(&name, "a directory of that name already exists"));
            }
            fs::remove_file(&path).map_err(|e| Error::io("cannot replace", &path, e))?;
        }
        if entry.is_symlink() || kind == S_IFLNK {
            if entry.size() > 4096 {
                return Err(refuse(&name, "symlink target longer than 4096 bytes"));
            }
            let mut target = String::new();
            entry
                .by_ref()
                .take(4097)
                .read_to_string(&mut target)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            if target.is_empty()
                || target.contains('\0')
                || !symlink_stays_inside(parents, Path::new(&target))
            {
                return Err(refuse(
                    &name,
                    &format!("symlink to {target:?} points outside the destination"),
                ));
            }
            symlink(Path::new(&target), &path)?;
            continue;
        }
        if kind != 0 && kind != S_IFREG {
            return Err(refuse(&name, "device, fifo or socket entries are not allowed"));
        }
        let executable = mode.is_some_and(|m| m & 0o111 != 0);
        let mut out = open_new(&path, executable)?;
        let remaining = limits.max_total_bytes - total;
        let written = std::io::copy(&mut entry.by_ref().take(remaining + 1), &mut out)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        total += written;
        if total > limits.max_total_bytes {
            drop(out);
            let _ = fs::remove_file(&path);
            return Err(bad(format!(
                "unpacked size exceeds the limit of {} bytes",
                limits.max_total_bytes
            )));
        }
        if let Some(t) = entry.last_modified().and_then(zip_time) {
            let _ = out.set_modified(t);
        }
    }
    Ok(())
}

/// Splits a zip entry name into plain components; refuses absolute names, drive letters, `..`
/// and NUL. Both `/` and `\` count as separators.
fn entry_components(name: &str) -> std::result::Result<Vec<String>, &'static str> {
    if name.contains('\0') {
        return Err("name contains a NUL byte");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("absolute path");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err("absolute path (drive letter)");
    }
    let mut out = Vec::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err("path contains `..`"),
            p => {
                // Belt and braces: the component must be one normal path component.
                let mut comps = Path::new(p).components();
                match (comps.next(), comps.next()) {
                    (Some(Component::Normal(_)), None) => out.push(p.to_owned()),
                    _ => return Err("invalid path component"),
                }
            }
        }
    }
    Ok(out)
}

fn open_new(path: &Path, executable: bool) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if executable { 0o755 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    opts.open(path).map_err(|e| Error::io("cannot create", path, e))
}

/// A zip (MS-DOS) timestamp, taken as UTC, as a `SystemTime`.
fn zip_time(t: ::zip::DateTime) -> Option<SystemTime> {
    let (y, m, d) = (i64::from(t.year()), i64::from(t.month()), i64::from(t.day()));
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400
        + i64::from(t.hour()) * 3600
        + i64::from(t.minute()) * 60
        + i64::from(t.second());
    u64::try_from(secs).ok().map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(entry_components("a/b/c.txt").unwrap(), ["a", "b", "c.txt"]);
        assert_eq!(entry_components("./a//b/").unwrap(), ["a", "b"]);
        assert_eq!(entry_components("a\\b").unwrap(), ["a", "b"]);
        assert!(entry_components("../x").is_err());
        assert!(entry_components("a/../../x").is_err());
        assert!(entry_components("a\\..\\x").is_err());
        assert!(entry_components("/etc/passwd").is_err());
        assert!(entry_components("C:/x").is_err());
    }

    #[test]
    fn dos_time() {
        let t = ::zip::DateTime::from_date_and_time(2000, 1, 2, 3, 4, 6).unwrap();
        let secs = zip_time(t).unwrap().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 946_782_246);
    }
}
