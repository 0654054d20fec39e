//! ed25519 keys in PEM files.
//!
//! - private key: PKCS#8 (`-----BEGIN PRIVATE KEY-----`, RFC 8410), written with mode 0600;
//! - public key: SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
//!
//! These are the formats OpenSSL (`openssl pkey`), Python's `cryptography` and securesystemslib
//! (`SSlibKey.from_pem`) read. A key's id is the lowercase hex sha256 of its SubjectPublicKeyInfo
//! DER encoding (`openssl pkey -pubin -outform DER | sha256sum`).

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::Digest as _;

use crate::Error;

/// A private key with its key id.
pub struct KeyPair {
    pub(crate) signing: SigningKey,
    /// sha256 of the public key's DER, hex.
    pub keyid: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("keyid", &self.keyid).finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A fresh key from the system's random number generator.
    pub fn generate() -> Result<KeyPair, Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Random(e.to_string()))?;
        let signing = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(KeyPair::from_signing(signing))
    }

    pub(crate) fn from_signing(signing: SigningKey) -> KeyPair {
        let keyid = keyid_of(&signing.verifying_key());
        KeyPair { signing, keyid }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey { key: self.signing.verifying_key(), keyid: self.keyid.clone(), path: None }
    }

    /// Signs `msg` (ed25519, 64 bytes).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.signing.sign(msg).to_bytes()
    }
}

/// A public key with its key id and the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub(crate) key: VerifyingKey,
    /// sha256 of the public key's DER, hex.
    pub keyid: String,
    pub path: Option<PathBuf>,
}

impl PublicKey {
    /// Verifies an ed25519 signature of `msg` (strict: no malleable or small-order encodings).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else { return false };
        self.key.verify_strict(msg, &sig).is_ok()
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    pub fn to_pem(&self) -> String {
        self.key.to_public_key_pem(LineEnding::LF).expect("an ed25519 key encodes")
    }

    /// A name for messages: the file, else the key id.
    pub fn label(&self) -> String {
        match &self.path {
            Some(p) => format!("{} ({})", p.display(), short(&self.keyid)),
            None => short(&self.keyid).to_owned(),
        }
    }
}

/// The first 16 hex digits of a key id.
pub fn short(keyid: &str) -> &str {
    &keyid[..keyid.len().min(16)]
}

fn keyid_of(key: &VerifyingKey) -> String {
    let der = key.to_public_key_der().expect("an ed25519 key encodes");
    hex::encode(sha2::Sha256::digest(der.as_bytes()))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_owned(), source }
}

/// Generates a key pair and writes the private key to `private` (mode 0600, which must not
/// exist yet) and the public key to `public` (replaced if present). Returns the key pair.
pub fn generate_key_files(private: &Path, public: &Path) -> Result<KeyPair, Error> {
    let pair = KeyPair::generate()?;
    let pem = pair.signing.to_pkcs8_pem(LineEnding::LF).map_err(|e| Error::Key {
        path: private.to_owned(),
        message: format!("cannot encode the private key: {e}"),
    })?;
    let pub_pem = pair.public().to_pem();
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(private)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::Key {
                        path: private.to_owned(),
                        message: "already exists; refusing to overwrite a private key".into(),
                    }
                } else {
                    Error::Io { path: private.to_owned(), source: e }
                }
            })?;
        let written = f.write_all(pem.as_bytes()).and_then(|()| f.sync_all());
        if let Err(e) = written {
            let _ = std::fs::remove_file(private);
            return Err(Error::Io { path: private.to_owned(), source: e });
        }
    }
    let dir = match public.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let written = tempfile::NamedTempFile::new_in(&dir)
        .and_then(|mut t| {
            t.write_all(pub_pem.as_bytes())?;
            t.persist(public).map_err(|e| e.error)?;
            Ok(())
        })
        .map_err(io(public));
    if let Err(e) = written {
        let _ = std::fs::remove_file(private);
        return Err(e);
    }
    Ok(pair)
}

/// Reads a PKCS#8 PEM ed25519 private key.
pub fn load_private_key(path: &Path) -> Result<KeyPair, Error> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let signing = SigningKey::from_pkcs8_pem(&text).map_err(|e| Error::Key {
        path: path.to_owned(),
        message: format!(
            "not an ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): {e}; \
             create one with `repro key generate`"
        ),
    })?;
    Ok(KeyPair::from_signing(signing))
}

/// Reads a SubjectPublicKeyInfo PEM ed25519 public key.
pub fn load_public_key(path: &Path) -> Result<PublicKey, Error> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let key = VerifyingKey::from_public_key_pem(&text).map_err(|e| Error::Key {
        path: path.to_owned(),
        message: format!("not an ed25519 public key in PEM (`-----BEGIN PUBLIC KEY-----`): {e}"),
    })?;
    Ok(PublicKey { keyid: keyid_of(&key), key, path: Some(path.to_owned()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_round_trip_with_private_mode() {
        use std::os::unix::fs::PermissionsExt as _;
        let d = tempfile::tempdir().unwrap();
        let (k, p) = (d.path().join("k.pem"), d.path().join("k.pub"));
        let pair = generate_key_files(&k, &p).unwrap();
        let mode = std::fs::metadata(&k).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&k).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        assert!(std::fs::read_to_string(&p).unwrap().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let again = load_private_key(&k).unwrap();
        assert_eq!(again.keyid, pair.keyid);
        let public = load_public_key(&p).unwrap();
        assert_eq!(public.keyid, pair.keyid);
        let sig = again.sign(b"hello");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellp", &sig));
        // Never overwrites a private key.
        let err = generate_key_files(&k, &p).unwrap_err().to_string();
        assert!(err.contains("refusing to overwrite"), "{err}");
        // The wrong kind of file is named.
        let err = load_private_key(&p).unwrap_err().to_string();
        assert!(err.contains("k.pub") && err.contains("PKCS#8"), "{err}");
        let err = load_public_key(&k).unwrap_err().to_string();
        assert!(err.contains("BEGIN PUBLIC KEY"), "{err}");
    }

    /// RFC 8410 §10.3 example key: its public key and the DER key id are fixed.
    #[test]
    fn rfc8410_example_key() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let d = tempfile::tempdir().unwrap();
        let k = d.path().join("k.pem");
        std::fs::write(&k, pem).unwrap();
        let pair = load_private_key(&k).unwrap();
        assert_eq!(
            pair.public().to_pem(),
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
        );
    }
}
