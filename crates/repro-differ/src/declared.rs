//! The size a compressed file declares it decompresses to, read from its header or trailer
//! without decompressing: gzip's ISIZE, zstd's frame content size, xz's index. Used only to
//! reserve memory for a comparison in advance (all or nothing per pair of files); the
//! decompressor still enforces every cap, so a false declaration costs at most a wait or a
//! fallback, never an unbounded read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes read from the end of a file to find an xz index.
const TAIL: u64 = 64 * 1024;

/// The decompressed size `path` declares, if it is a gzip, zstd or xz file that declares one.
pub(crate) fn declared_size(path: &Path) -> Option<u64> {
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut head = Vec::with_capacity(18);
    (&mut f).take(18).read_to_end(&mut head).ok()?;
    let head = head.as_slice();
    let tail = |f: &mut File, want: u64| -> Option<Vec<u8>> {
        let want = want.min(len);
        f.seek(SeekFrom::Start(len - want)).ok()?;
        let mut v = Vec::with_capacity(want as usize);
        f.take(want).read_to_end(&mut v).ok()?;
        Some(v)
    };
    if head.starts_with(&[0x1f, 0x8b]) {
        let t = tail(&mut f, 4)?;
        return Some(u64::from(u32::from_le_bytes(t.as_slice().try_into().ok()?)));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return zstd_content_size(head);
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return xz_uncompressed_size(&tail(&mut f, TAIL)?);
    }
    None
}

/// The Frame_Content_Size of the first zstd frame, when its header has one.
fn zstd_content_size(b: &[u8]) -> Option<u64> {
    let fhd = *b.get(4)?;
    let single_segment = fhd & 0x20 != 0;
    let did = [0usize, 1, 2, 4][usize::from(fhd & 3)];
    let at = 5 + usize::from(!single_segment) + did;
    let size = match fhd >> 6 {
        0 if single_segment => 1,
        0 => return None,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let field = b.get(at..at + size)?;
    let mut v = [0u8; 8];
    v[..size].copy_from_slice(field);
    let v = u64::from_le_bytes(v);
    Some(if size == 2 { v + 256 } else { v })
}

/// The sum of the uncompressed sizes in the index of the last xz stream of `tail` (the end of
/// the file).
fn xz_uncompressed_size(tail: &[u8]) -> Option<u64> {
    // Stream padding: zero bytes in groups of four after the last stream.
    let mut end = tail.len();
    while end >= 4 && tail[end - 4..end] == [0, 0, 0, 0] {
        end -= 4;
    }
    let footer = tail.get(end.checked_sub(12)?..end)?;
    if &footer[10..12] != b"YZ" {
        return None;
    }
    let backward = u64::from(u32::from_le_bytes(footer[4..8].try_into().ok()?));
    let index_len = usize::try_from((backward + 1) * 4).ok()?;
    let start = (end - 12).checked_sub(index_len)?;
    let index = &tail[start..end - 12];
    if index.first() != Some(&0) {
        return None;
    }
    let mut pos = 1;
    let records = varint(index, &mut pos)?;
    let mut total: u64 = 0;
    for _ in 0..records {
        let _unpadded = varint(index, &mut pos)?;
        total = total.checked_add(varint(index, &mut pos)?)?;
    }
    Some(total)
}

/// An xz multibyte integer (7 bits a byte, least significant first, at most 9 bytes).
fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn gzip_zstd_and_xz_declare_their_sizes() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(declared_size(file(&gz).path()), Some(300_000));

        // A frame written in one piece (as `zstd FILE` does) declares its size; a streamed one
        // may not.
        let zst = zstd::bulk::compress(&data, 3).unwrap();
        assert_eq!(declared_size(file(&zst).path()), Some(300_000));
        let streamed = zstd::encode_all(&data[..], 3).unwrap();
        assert_eq!(declared_size(file(&streamed).path()), None);
        for n in [0usize, 1, 255, 256, 300, 70_000] {
            let z = zstd::bulk::compress(&data[..n], 3).unwrap();
            assert_eq!(declared_size(file(&z).path()), Some(n as u64), "zstd of {n} bytes");
        }

        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&data).unwrap();
        let mut xz = xz.finish().unwrap();
        assert_eq!(declared_size(file(&xz).path()), Some(300_000));
        xz.extend_from_slice(&[0; 8]); // stream padding
        assert_eq!(declared_size(file(&xz).path()), Some(300_000));
    }

    #[test]
    fn other_or_damaged_files_declare_nothing() {
        assert_eq!(declared_size(file(b"plain text").path()), None);
        assert_eq!(declared_size(file(&[0x1f]).path()), None);
        assert_eq!(declared_size(file(&[0x28, 0xb5, 0x2f, 0xfd]).path()), None);
        assert_eq!(declared_size(file(&[0xfd, b'7', b'z', b'X', b'Z', 0, 1, 2]).path()), None);
        // A truncated varint or an index that points before the data.
        assert_eq!(
            xz_uncompressed_size(&[0, 0x80, 0x80, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, b'Y', b'Z']),
            None
        );
    }
}
