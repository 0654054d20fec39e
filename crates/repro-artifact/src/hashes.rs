//! Digest value types ([`GitTreeHash`], [`Sha256`]) and streaming file digests.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use sha2::Digest as _;

use crate::error::{Error, Result};

/// Read buffer size for streaming digests.
pub(crate) const BUF_SIZE: usize = 256 * 1024;

macro_rules! hex_digest {
    ($(#[$doc:meta])* $name:ident, $len:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Lowercase hexadecimal form.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), hex::encode(self.0))
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                let bad = || Error::ParseHash { what: $what, input: s.to_owned(), len: 2 * $len };
                if s.len() != 2 * $len {
                    return Err(bad());
                }
                let mut out = [0u8; $len];
                hex::decode_to_slice(s, &mut out).map_err(|_| bad())?;
                Ok($name(out))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_digest!(
    /// A git object id (SHA-1), used as Julia's `git-tree-sha1`. Displays as 40 lowercase hex digits.
    GitTreeHash,
    20,
    "git-tree-sha1"
);

hex_digest!(
    /// A SHA-256 digest. Displays as 64 lowercase hex digits.
    Sha256,
    32,
    "sha256"
);

impl GitTreeHash {
    /// git's empty tree, the hash of a directory without files or symlinks.
    pub const EMPTY_TREE: GitTreeHash = GitTreeHash([
        0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60, 0xe5, 0x4b, 0xf8, 0xd6, 0x92,
        0x88, 0xfb, 0xee, 0x49, 0x04,
    ]);
}

impl Sha256 {
    /// SHA-256 of a byte slice.
    pub fn of_bytes(data: &[u8]) -> Sha256 {
        Sha256(sha2::Sha256::digest(data).into())
    }

    /// SHA-256 of everything `r` yields (streamed).
    pub fn of_reader<R: Read>(mut r: R) -> std::io::Result<Sha256> {
        let mut buf = vec![0u8; BUF_SIZE];
        sha256_counted(&mut r, &mut buf).map(|(s, _)| s)
    }
}

/// SHA-256 and length of everything `r` yields, streamed through `buf` (which callers hashing
/// many files reuse).
pub(crate) fn sha256_counted(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<(Sha256, u64)> {
    let mut h = sha2::Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match r.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((Sha256(h.finalize().into()), total))
}

/// SHA-256 of a file's bytes, streamed (never read whole into memory).
pub fn sha256_file(path: &Path) -> Result<Sha256> {
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    Sha256::of_reader(f).map_err(|e| Error::io("read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let h: GitTreeHash = "4b825dc642cb6eb9a060e54bf8d69288fbee4904".parse().unwrap();
        assert_eq!(h, GitTreeHash::EMPTY_TREE);
        assert_eq!(h.to_string(), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
        let upper: GitTreeHash = "4B825DC642CB6EB9A060E54BF8D69288FBEE4904".parse().unwrap();
        assert_eq!(upper, h);
        assert!("4b825dc6".parse::<GitTreeHash>().is_err());
        assert!("zz825dc642cb6eb9a060e54bf8d69288fbee4904".parse::<GitTreeHash>().is_err());
        let s = Sha256::of_bytes(b"");
        assert_eq!(
            s.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(s.to_string().parse::<Sha256>().unwrap(), s);
        let err = "abc".parse::<Sha256>().unwrap_err().to_string();
        assert!(err.contains("64 hexadecimal digits"), "{err}");
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, "\"4b825dc642cb6eb9a060e54bf8d69288fbee4904\"");
        assert_eq!(serde_json::from_str::<GitTreeHash>(&json).unwrap(), h);
    }
}
