//! Signed rebuild attestations.
//!
//! - [`keys`]: ed25519 key pairs in PEM (PKCS#8 private key, SubjectPublicKeyInfo public key),
//!   key ids (sha256 of the public key's DER).
//! - [`dsse`]: DSSE envelopes (`payloadType`, base64 `payload`, `signatures`), signed over the
//!   pre-authentication encoding (PAE) exactly as the DSSE v1 protocol defines it.
//! - [`statement`]: the in-toto Statement v1 this project writes: the artifact as subject (file
//!   name, `sha256` and `gitTreeSha1`), and a predicate recording the result and the materials.
//! - [`check`]: verifying envelopes against public keys and checking that several attestations
//!   agree on their subjects' digests.

pub mod check;
pub mod dsse;
pub mod keys;
pub mod statement;

pub use check::{
    Agreement, Disagreement, SubjectView, VerifiedAttestation, agreement, verify_attestation,
};
pub use dsse::{Envelope, EnvelopeSignature, PAYLOAD_TYPE_IN_TOTO, pae};
pub use keys::{KeyPair, PublicKey, generate_key_files, load_private_key, load_public_key};
pub use statement::{
    Material, PREDICATE_TYPE, Predicate, STATEMENT_TYPE, Statement, StatementInput, Subject,
};
pub use statement::{now_rfc3339, rfc3339};

/// What can go wrong with keys, envelopes and statements.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A key file that is not what it should be.
    #[error("{}: {message}", path.display())]
    Key { path: std::path::PathBuf, message: String },
    /// An envelope or statement that does not parse or is not what this tool writes.
    #[error("{origin}: {message}")]
    Format { origin: String, message: String },
    /// No signature of the envelope verifies with any of the given keys.
    #[error("{origin}: {message}")]
    Signature { origin: String, message: String },
    /// The system's random number generator failed.
    #[error("cannot get random bytes for a key: {0}")]
    Random(String),
}
