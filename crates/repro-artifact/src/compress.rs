//! Compression detection by magic bytes and transparent decompression.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// A compression format, as detected from the first bytes of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
}

impl Compression {
    /// A short lowercase name (`none`, `gzip`, `zstd`, `xz`, `bzip2`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// Detect the compression of a stream from its first bytes (6 are enough). Anything that is
/// not gzip, zstd, xz or bzip2 is `None`.
pub fn detect_compression(first_bytes: &[u8]) -> Compression {
    let b = first_bytes;
    if b.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if b.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Compression::Xz
    } else if b.len() >= 4 && b.starts_with(b"BZh") && (b'1'..=b'9').contains(&b[3]) {
        Compression::Bzip2
    } else {
        Compression::None
    }
}

/// The error a decoder returned: the compressed stream is corrupt (a checksum that does not
/// match, invalid data, a truncated stream). Carried inside the `io::Error` of the readers this
/// module returns, so that callers can tell it from a malformed tar stream.
#[derive(Debug)]
pub struct CorruptStream {
    pub format: Compression,
    pub source: io::Error,
}

impl std::fmt::Display for CorruptStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corrupt {} stream: {}", self.format.name(), self.source)
    }
}
impl std::error::Error for CorruptStream {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The error the ratio guard returns: the stream expands far more than real archives do.
#[derive(Debug)]
pub struct Bomb {
    pub format: Compression,
    pub compressed: u64,
    pub decompressed: u64,
    pub max_ratio: u64,
}

impl std::fmt::Display for Bomb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} stream expands {} compressed bytes to more than {} bytes (over {}:1); refusing a likely decompression bomb",
            self.format.name(),
            self.compressed,
            self.decompressed,
            self.max_ratio
        )
    }
}
impl std::error::Error for Bomb {}

/// Bytes decompressed before the ratio guard applies (small highly compressible streams pass).
pub const BOMB_MIN_BYTES: u64 = 64 << 20;

/// Open `path` and return a reader of its decompressed bytes, the format detected from the
/// magic bytes (not the file name). Decoder errors carry a [`CorruptStream`].
pub fn open_decompressed(path: &Path) -> Result<Box<dyn Read + Send>> {
    open_decompressed_bounded(path, 0)
}

/// [`open_decompressed`] with a ratio guard: once more than [`BOMB_MIN_BYTES`] came out, the
/// reader fails with a [`Bomb`] error as soon as the output exceeds `max_ratio` times the
/// compressed bytes consumed (`0`: no guard).
pub fn open_decompressed_bounded(path: &Path, max_ratio: u64) -> Result<Box<dyn Read + Send>> {
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let consumed = Arc::new(AtomicU64::new(0));
    let counting = Counting { inner: f, n: consumed.clone() };
    let (c, r) = decompressed_reader(BufReader::with_capacity(256 * 1024, counting))
        .map_err(|e| Error::io("read", path, e))?;
    if max_ratio == 0 || c == Compression::None {
        return Ok(r);
    }
    Ok(Box::new(RatioGuard { inner: r, format: c, consumed, out: 0, max_ratio }))
}

/// Wrap a buffered reader in the decoder its first bytes call for. Decoder errors carry a
/// [`CorruptStream`].
pub fn decompressed_reader<R: BufRead + Send + 'static>(
    mut r: R,
) -> std::io::Result<(Compression, Box<dyn Read + Send>)> {
    let head = fill_at_least(&mut r, 6)?;
    let c = detect_compression(&head);
    let out: Box<dyn Read + Send> = match c {
        Compression::None => return Ok((c, Box::new(r))),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(r)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
    };
    Ok((c, Box::new(Tagged { inner: out, format: c })))
}

/// Decoder errors become [`CorruptStream`]s.
struct Tagged<R> {
    inner: R,
    format: Compression,
}

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                return e;
            }
            let kind = e.kind();
            io::Error::new(kind, CorruptStream { format: self.format, source: e })
        })
    }
}

/// Counts the bytes read from the compressed file.
struct Counting<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

struct RatioGuard<R> {
    inner: R,
    format: Compression,
    consumed: Arc<AtomicU64>,
    out: u64,
    max_ratio: u64,
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > BOMB_MIN_BYTES {
            let compressed = self.consumed.load(Ordering::Relaxed).max(1);
            if self.out / compressed >= self.max_ratio {
                return Err(io::Error::other(Bomb {
                    format: self.format,
                    compressed,
                    decompressed: self.out,
                    max_ratio: self.max_ratio,
                }));
            }
        }
        Ok(n)
    }
}

/// Whether `path` is a tar archive (plain or compressed): returns its compression when the
/// first 512 decompressed bytes are a tar header with a valid checksum (or an all-zero
/// end-of-archive block), `None` otherwise.
pub fn sniff_tarball(path: &Path) -> Result<Option<Compression>> {
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    let (c, mut r) =
        decompressed_reader(BufReader::new(f)).map_err(|e| Error::io("read", path, e))?;
    let mut block = [0u8; 512];
    let mut got = 0;
    while got < block.len() {
        match r.read(&mut block[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A corrupt compressed stream is not a readable tarball.
            Err(_) => return Ok(None),
        }
    }
    if got < block.len() {
        return Ok(None);
    }
    Ok(is_tar_header(&block).then_some(c))
}

fn is_tar_header(b: &[u8; 512]) -> bool {
    if b.iter().all(|&x| x == 0) {
        return true;
    }
    let field = &b[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&x| x == b' ')
        .take_while(|x| (b'0'..=b'7').contains(x))
        .collect();
    let Some(stored) =
        std::str::from_utf8(&digits).ok().and_then(|s| u32::from_str_radix(s, 8).ok())
    else {
        return false;
    };
    let sum: u32 = b
        .iter()
        .enumerate()
        .map(|(i, &x)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(x) })
        .sum();
    sum == stored
}

/// Peek up to `n` bytes without consuming them. A `BufRead` only guarantees one `fill_buf`
/// worth, which is enough for any realistic buffer; short files give fewer bytes.
fn fill_at_least<R: BufRead>(r: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    let buf = r.fill_buf()?;
    Ok(buf[..buf.len().min(n)].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(detect_compression(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(detect_compression(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(detect_compression(b"\xfd7zXZ\x00"), Compression::Xz);
        assert_eq!(detect_compression(b"BZh9"), Compression::Bzip2);
        assert_eq!(detect_compression(b"BZh0"), Compression::None);
        assert_eq!(detect_compression(b"BZ"), Compression::None);
        assert_eq!(detect_compression(b""), Compression::None);
        assert_eq!(detect_compression(b"ustar"), Compression::None);
    }
}
