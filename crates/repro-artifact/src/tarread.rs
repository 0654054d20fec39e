//! Bounded, validating iteration over a tar stream: the one reader of untrusted tar archives
//! (unpacking, tree hashes, and the differ's archive comparison all go through it).
//!
//! Uses the `tar` crate in raw mode and interprets GNU long names (`L`, `K`) and PAX headers
//! (`x`, `g`) itself, so that metadata entries are size-capped (the crate would read them whole
//! into memory) and every path is normalized once, here, before anyone acts on it: `./a//b/`
//! and `a/./b` are both `a/b` for every consumer. Entries are counted against the run's
//! [`Budget`]; after the end-of-archive marker the rest of the stream is read, so that the
//! decoder reaches its trailer and verifies the stream checksum (gzip CRC-32, xz check, zstd
//! content checksum, bzip2 block and stream CRCs). The budget's cancellation is checked before
//! every entry and every read, so a cancelled run stops within one buffer ([`Error::Cancelled`]).

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use crate::budget::Budget;
use crate::compress::{Bomb, CorruptStream};
use crate::error::{Error, Result};

/// Largest accepted metadata entry (long name, long link, PAX record set).
const MAX_META: u64 = 1 << 20;

/// What kind of entry the consumer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// A character device (never created; compared as metadata).
    CharDevice {
        major: u32,
        minor: u32,
    },
    /// A block device (never created; compared as metadata).
    BlockDevice {
        major: u32,
        minor: u32,
    },
    /// A FIFO (never created; compared as metadata).
    Fifo,
}

impl TarKind {
    /// Device nodes and FIFOs.
    pub fn is_special(self) -> bool {
        matches!(self, TarKind::CharDevice { .. } | TarKind::BlockDevice { .. } | TarKind::Fifo)
    }
}

/// A validated entry.
#[derive(Debug)]
pub struct TarMember {
    /// The path as stored (for messages; may hold any bytes, escape before printing).
    pub display: String,
    /// Normalized components: no `.`, `..`, empty, or absolute parts. Empty = the root itself.
    pub comps: Vec<Vec<u8>>,
    pub kind: TarKind,
    /// Symlink target (raw) or hardlink target (raw, archive-relative).
    pub link: Option<Vec<u8>>,
    pub mode: u32,
    pub mtime: u64,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    /// Content size (regular files; 0 otherwise).
    pub size: u64,
    /// Offset of the content in the (uncompressed) tar stream.
    pub data_offset: u64,
}

impl TarMember {
    /// The normalized path, `/`-joined (empty for the root).
    pub fn path(&self) -> String {
        String::from_utf8_lossy(&self.comps.join(&b'/')).into_owned()
    }
}

/// Limits applied while reading one tar stream.
#[derive(Debug, Clone)]
pub struct TarLimits {
    pub max_entries: u64,
    pub max_depth: usize,
    /// Cap on the (decompressed) tar stream length; `None` = unlimited.
    pub max_stream_bytes: Option<u64>,
    /// Name used for the stream cap in errors.
    pub stream_limit_name: &'static str,
    pub stream_limit_max: u64,
}

impl TarLimits {
    /// Limits for a stream of at most `max_stream_bytes` (in memory) with `max_entries`.
    pub fn new(max_entries: u64, max_stream_bytes: u64) -> Self {
        TarLimits {
            max_entries,
            max_depth: crate::dirhash::MAX_DEPTH_CAP,
            max_stream_bytes: Some(max_stream_bytes),
            stream_limit_name: "max_stream_bytes",
            stream_limit_max: max_stream_bytes,
        }
    }
}

/// Marker carried by the I/O error a capped reader returns.
#[derive(Debug)]
struct StreamCap;

impl std::fmt::Display for StreamCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tar stream size cap reached")
    }
}
impl std::error::Error for StreamCap {}

struct CappedReader<'b, R> {
    inner: R,
    left: u64,
    hit: Rc<Cell<bool>>,
    budget: &'b Budget,
    budget_hit: Rc<Cell<Option<crate::budget::Exceeded>>>,
}

impl<R: Read> Read for CappedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.is_cancelled() {
            return Err(io::Error::other(Error::Cancelled));
        }
        if self.left == 0 {
            // Allow a clean EOF right at the cap; anything more is over it.
            let mut one = [0u8; 1];
            let n = self.inner.read(&mut one)?;
            if n == 0 {
                return Ok(0);
            }
            self.hit.set(true);
            return Err(io::Error::other(StreamCap));
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        if let Err(x) = self.budget.charge_bytes(n as u64) {
            self.budget_hit.set(Some(x));
            return Err(io::Error::other(StreamCap));
        }
        Ok(n)
    }
}

/// Map an I/O error from the stream to the crate's error: corrupt compressed data and likely
/// decompression bombs get their own variants.
pub(crate) fn stream_error(archive: &str, e: io::Error) -> Error {
    if e.get_ref().is_some_and(|x| x.is::<CorruptStream>()) {
        let inner = e.into_inner().expect("checked").downcast::<CorruptStream>().expect("checked");
        return Error::CorruptStream { archive: archive.to_owned(), source: *inner };
    }
    if e.get_ref().is_some_and(|x| x.is::<Bomb>()) {
        let inner = e.into_inner().expect("checked").downcast::<Bomb>().expect("checked");
        return Error::Bomb { archive: archive.to_owned(), source: *inner };
    }
    Error::BadTar { archive: archive.to_owned(), source: e }
}

/// Iterate the entries of the tar stream `r`, calling `f` with each validated entry and a reader
/// of its data. `archive` names the stream in errors. Every byte and entry is charged to
/// `budget`. After the last entry the rest of the stream is read (so a compressed stream's
/// checksum is verified). Returns the number of entries seen.
pub fn read_tar<R: Read>(
    r: R,
    archive: &str,
    limits: &TarLimits,
    budget: &Budget,
    mut f: impl FnMut(&TarMember, &mut dyn Read) -> Result<()>,
) -> Result<u64> {
    let hit = Rc::new(Cell::new(false));
    let budget_hit = Rc::new(Cell::new(None));
    let capped = CappedReader {
        inner: r,
        left: limits.max_stream_bytes.unwrap_or(u64::MAX),
        hit: hit.clone(),
        budget,
        budget_hit: budget_hit.clone(),
    };
    let mut ar = tar::Archive::new(capped);
    let last = std::cell::RefCell::new(String::from("(start of archive)"));
    let wrap = |e: io::Error| -> Error {
        if budget.is_cancelled() {
            return Error::Cancelled;
        }
        if let Some(x) = budget_hit.get() {
            return Error::LimitExceeded {
                archive: archive.to_owned(),
                entry: last.borrow().clone(),
                limit: x.limit,
                max: x.max,
            };
        }
        if hit.get() {
            return Error::LimitExceeded {
                archive: archive.to_owned(),
                entry: last.borrow().clone(),
                limit: limits.stream_limit_name,
                max: limits.stream_limit_max,
            };
        }
        stream_error(archive, e)
    };
    let mut entries = ar.entries().map_err(&wrap)?.raw(true);
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut pax: Option<PaxRecords> = None;
    let mut count = 0u64;
    for entry in &mut entries {
        if budget.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let mut entry = entry.map_err(&wrap)?;
        let h = entry.header();
        let et = h.entry_type();
        let refuse = |entry: String, reason: &str| Error::Refused {
            archive: archive.to_owned(),
            entry,
            reason: reason.to_owned(),
        };
        // Metadata entries.
        match et.as_byte() {
            b'L' | b'K' | b'x' | b'g' => {
                let size = entry.size();
                if size > MAX_META {
                    return Err(refuse(
                        last.borrow().clone(),
                        &format!(
                            "metadata entry of type `{}` is {size} bytes (cap {MAX_META})",
                            et.as_byte() as char
                        ),
                    ));
                }
                let mut data = Vec::with_capacity(size as usize);
                entry.read_to_end(&mut data).map_err(&wrap)?;
                match et.as_byte() {
                    b'L' => long_name = Some(trim_nul(data)),
                    b'K' => long_link = Some(trim_nul(data)),
                    b'x' => {
                        pax = Some(parse_pax(&data).map_err(|m| refuse(last.borrow().clone(), &m))?)
                    }
                    _ => {} // global PAX headers carry nothing we use
                }
                continue;
            }
            _ => {}
        }
        let pax_get = |key: &[u8]| -> Option<Vec<u8>> {
            pax.as_ref().and_then(|p| {
                p.iter().rev().find(|(k, _)| k.as_slice() == key).map(|(_, v)| v.clone())
            })
        };
        let raw_path = long_name
            .take()
            .or_else(|| pax_get(b"path"))
            .unwrap_or_else(|| h.path_bytes().into_owned());
        let link = long_link
            .take()
            .or_else(|| pax_get(b"linkpath"))
            .or_else(|| h.link_name_bytes().map(|c| c.into_owned()));
        let display = String::from_utf8_lossy(&raw_path).into_owned();
        *last.borrow_mut() = display.clone();
        count += 1;
        if count > limits.max_entries {
            return Err(Error::LimitExceeded {
                archive: archive.to_owned(),
                entry: display,
                limit: "max_entries",
                max: limits.max_entries,
            });
        }
        if let Err(x) = budget.charge_entry() {
            return Err(Error::LimitExceeded {
                archive: archive.to_owned(),
                entry: display,
                limit: x.limit,
                max: x.max,
            });
        }
        let size = entry.size();
        if let Some(p) = &pax {
            if p.iter().any(|(k, _)| k.starts_with(b"GNU.sparse.")) {
                return Err(refuse(display, "sparse files are not supported"));
            }
            let pax_size = pax_get(b"size");
            if pax_size.is_some_and(|s| {
                std::str::from_utf8(&s).ok().and_then(|s| s.parse::<u64>().ok()) != Some(size)
            }) {
                return Err(refuse(
                    display,
                    "PAX size record differs from the header size (unsupported)",
                ));
            }
        }
        let dev = || -> (u32, u32) {
            (
                h.device_major().ok().flatten().unwrap_or(0),
                h.device_minor().ok().flatten().unwrap_or(0),
            )
        };
        let kind = match et.as_byte() {
            b'0' | b'\0' | b'7' => TarKind::File,
            b'5' => TarKind::Dir,
            b'2' => TarKind::Symlink,
            b'1' => TarKind::Hardlink,
            b'3' => {
                let (major, minor) = dev();
                TarKind::CharDevice { major, minor }
            }
            b'4' => {
                let (major, minor) = dev();
                TarKind::BlockDevice { major, minor }
            }
            b'6' => TarKind::Fifo,
            b'S' => return Err(refuse(display, "sparse files are not supported")),
            b'V' => continue, // GNU volume label
            other => {
                return Err(refuse(
                    display,
                    &format!("unsupported entry type `{}`", other.escape_ascii()),
                ));
            }
        };
        let comps = normalize(&raw_path).map_err(|m| refuse(display.clone(), m))?;
        if comps.len() > limits.max_depth {
            return Err(Error::LimitExceeded {
                archive: archive.to_owned(),
                entry: display,
                limit: "max_depth",
                max: limits.max_depth as u64,
            });
        }
        if comps.is_empty() && kind != TarKind::Dir {
            return Err(refuse(display, "empty path"));
        }
        if matches!(kind, TarKind::Symlink | TarKind::Hardlink)
            && link.as_deref().is_none_or(<[u8]>::is_empty)
        {
            return Err(refuse(display, "link without a target"));
        }
        let mode = h.mode().map_err(&wrap)?;
        let mtime = h.mtime().unwrap_or(0);
        let name = |n: Option<Vec<u8>>, field: io::Result<Option<&[u8]>>| -> String {
            let raw = n.or_else(|| field.ok().flatten().map(<[u8]>::to_vec)).unwrap_or_default();
            String::from_utf8_lossy(&raw).into_owned()
        };
        let uname = name(pax_get(b"uname"), Ok(h.username_bytes()));
        let gname = name(pax_get(b"gname"), Ok(h.groupname_bytes()));
        let num = |key: &[u8], field: io::Result<u64>| -> u64 {
            pax_get(key)
                .and_then(|v| std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()))
                .unwrap_or_else(|| field.unwrap_or(0))
        };
        let meta = TarMember {
            display,
            comps,
            kind,
            link: if matches!(kind, TarKind::Symlink | TarKind::Hardlink) { link } else { None },
            mode,
            mtime,
            uid: num(b"uid", h.uid()),
            gid: num(b"gid", h.gid()),
            uname,
            gname,
            size: if kind == TarKind::File { size } else { 0 },
            data_offset: entry.raw_file_position(),
        };
        pax = None;
        f(&meta, &mut entry).map_err(|e| match e {
            Error::Io { source, .. } | Error::BadTar { source, .. }
                if hit.get() || budget_hit.get().is_some() || budget.is_cancelled() =>
            {
                wrap(source)
            }
            e => e,
        })?;
    }
    if long_name.is_some() || long_link.is_some() || pax.is_some() {
        return Err(Error::BadTar {
            archive: archive.to_owned(),
            source: io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "metadata entry without a following entry",
            ),
        });
    }
    // Read to the end so that the decoder verifies the stream's checksum (trailing zero
    // blocks and padding are bounded by the stream cap and the budget).
    let mut rest = ar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(&wrap)?;
    Ok(count)
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

/// Parse PAX records `"<len> <key>=<value>\n"`.
type PaxRecords = Vec<(Vec<u8>, Vec<u8>)>;

fn parse_pax(mut data: &[u8]) -> std::result::Result<PaxRecords, String> {
    let mut out = Vec::new();
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break;
        }
        let sp = data.iter().position(|&b| b == b' ').ok_or("malformed PAX record")?;
        let len: usize = std::str::from_utf8(&data[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("malformed PAX record length")?;
        if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err("malformed PAX record".into());
        }
        let rec = &data[sp + 1..len - 1];
        let eq = rec.iter().position(|&b| b == b'=').ok_or("malformed PAX record (no `=`)")?;
        out.push((rec[..eq].to_vec(), rec[eq + 1..].to_vec()));
        data = &data[len..];
    }
    Ok(out)
}

/// Split an archive path into components, refusing absolute paths and `..`.
pub(crate) fn normalize(raw: &[u8]) -> std::result::Result<Vec<Vec<u8>>, &'static str> {
    if raw.first() == Some(&b'/') {
        return Err("absolute path");
    }
    let mut out = Vec::new();
    for c in raw.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err("path contains a `..` component"),
            c => out.push(c.to_vec()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize(b"./a//b/").unwrap(), vec![b"a".to_vec(), b"b".to_vec()]);
        assert!(normalize(b"./").unwrap().is_empty());
        assert_eq!(normalize(b"/etc/passwd"), Err("absolute path"));
        assert_eq!(normalize(b"a/../../b"), Err("path contains a `..` component"));
        assert_eq!(normalize(b"a/..b").unwrap(), vec![b"a".to_vec(), b"..b".to_vec()]);
    }

    #[test]
    fn pax_records() {
        let recs = parse_pax(b"16 path=abcdefg\n11 size=10\n").unwrap();
        assert_eq!(recs[0], (b"path".to_vec(), b"abcdefg".to_vec()));
        assert_eq!(recs[1], (b"size".to_vec(), b"10".to_vec()));
        assert!(parse_pax(b"99 path=x\n").is_err());
    }
}
