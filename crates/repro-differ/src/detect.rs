//! Content format detection by magic bytes (own checks first, `infer` for naming the rest).

/// A content format the differ knows how to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Elf,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    Tar,
    Ar,
    Zip,
    Text,
    /// Anything else; the name from `infer` when it knows the type.
    Binary(Option<&'static str>),
}

impl Format {
    /// The name written in reports.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Elf => "elf",
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
            Format::Xz => "xz",
            Format::Bzip2 => "bzip2",
            Format::Tar => "tar",
            Format::Ar => "ar",
            Format::Zip => "zip",
            Format::Text => "text",
            Format::Binary(Some(ext)) => ext,
            Format::Binary(None) => "binary",
        }
    }

    /// Compressed single streams.
    pub(crate) fn is_compressed(self) -> bool {
        matches!(self, Format::Gzip | Format::Zstd | Format::Xz | Format::Bzip2)
    }
}

/// Detect the format of `bytes` (a whole file or at least its first 8 KiB).
pub(crate) fn detect(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"\x7fELF") {
        return Format::Elf;
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Format::Gzip;
    }
    if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Format::Zstd;
    }
    if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Format::Xz;
    }
    if bytes.len() >= 4 && bytes.starts_with(b"BZh") && (b'1'..=b'9').contains(&bytes[3]) {
        return Format::Bzip2;
    }
    if bytes.starts_with(b"!<arch>\n") || bytes.starts_with(b"!<thin>\n") {
        return Format::Ar;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Format::Zip;
    }
    if is_tar(bytes) {
        return Format::Tar;
    }
    if is_text(bytes) {
        return Format::Text;
    }
    Format::Binary(infer::get(bytes).map(|t| t.extension()))
}

/// A ustar/gnu magic at 257, or a v7 header with a valid checksum.
fn is_tar(b: &[u8]) -> bool {
    if b.len() < 512 {
        return false;
    }
    if &b[257..262] == b"ustar" {
        return true;
    }
    // v7: checksum field at 148..156 (octal), computed with the field as spaces.
    let field = &b[148..156];
    let digits: Vec<u8> = field.iter().copied().filter(|c| (b'0'..=b'7').contains(c)).collect();
    if digits.is_empty() || b[0] == 0 {
        return false;
    }
    let Ok(s) = std::str::from_utf8(&digits) else { return false };
    let Ok(want) = u32::from_str_radix(s, 8) else { return false };
    let sum: u32 = b[..512]
        .iter()
        .enumerate()
        .map(|(i, &c)| if (148..156).contains(&i) { 32 } else { u32::from(c) })
        .sum();
    sum == want
}

/// No NUL, valid UTF-8 (a multibyte sequence may be cut at the end), few control characters.
pub(crate) fn is_text(b: &[u8]) -> bool {
    let head = &b[..b.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => {}
        Err(e) => {
            if e.error_len().is_some() || e.valid_up_to() + 4 < head.len() {
                return false;
            }
        }
    }
    let controls = head
        .iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    controls * 100 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic() {
        assert_eq!(detect(b"\x7fELF\x02\x01"), Format::Elf);
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Format::Gzip);
        assert_eq!(detect(b"!<arch>\nfoo"), Format::Ar);
        assert_eq!(detect(b"PK\x03\x04...."), Format::Zip);
        assert_eq!(detect(b"hello\nworld\n"), Format::Text);
        assert_eq!(detect(b""), Format::Text);
        assert_eq!(detect(&[0, 1, 2, 3, 0xff]), Format::Binary(None));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Format::Binary(Some("png")));
        let mut tar = vec![0u8; 1024];
        tar[..5].copy_from_slice(b"hello");
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(detect(&tar), Format::Tar);
    }
}
