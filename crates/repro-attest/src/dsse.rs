//! DSSE (Dead Simple Signing Envelope) v1.
//!
//! The signature covers the pre-authentication encoding, not the JSON:
//! `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where `LEN` is the
//! byte length as ASCII decimal with no leading zeros and `SP` a single space. `payload` and
//! `sig` are standard base64 with padding; readers accept URL-safe base64 too, as the protocol
//! asks.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::keys::{KeyPair, PublicKey};

/// The payload type of an in-toto Statement.
pub const PAYLOAD_TYPE_IN_TOTO: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// base64 of the serialized body.
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Unauthenticated hint of the key; this tool writes the sha256 of the public key's DER.
    #[serde(default)]
    pub keyid: String,
    /// base64 of the signature over [`pae`].
    pub sig: String,
}

/// The pre-authentication encoding of DSSE v1.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

fn decode_b64(s: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()
}

impl Envelope {
    /// Signs `payload` of `payload_type` with each key.
    pub fn sign(payload_type: &str, payload: &[u8], keys: &[&KeyPair]) -> Envelope {
        let msg = pae(payload_type, payload);
        let signatures = keys
            .iter()
            .map(|k| EnvelopeSignature {
                keyid: k.keyid.clone(),
                sig: STANDARD.encode(k.sign(&msg)),
            })
            .collect();
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures,
        }
    }

    /// Parses an envelope (`origin` names it in errors).
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<Envelope, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Format {
            origin: origin.to_owned(),
            message: format!("not a DSSE envelope (payload, payloadType, signatures): {e}"),
        })
    }

    /// The envelope as pretty JSON, newline-terminated.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("an envelope serializes");
        v.push(b'\n');
        v
    }

    /// The decoded payload.
    pub fn payload_bytes(&self, origin: &str) -> Result<Vec<u8>, Error> {
        decode_b64(&self.payload).ok_or_else(|| Error::Format {
            origin: origin.to_owned(),
            message: "`payload` is not base64".into(),
        })
    }

    /// Verifies the signatures against `keys`: returns the decoded payload and the keys (indices
    /// into `keys`) with at least one valid signature. Key ids are hints only: every signature
    /// is tried with every key. Fails when no signature verifies.
    pub fn verify(&self, keys: &[PublicKey], origin: &str) -> Result<(Vec<u8>, Vec<usize>), Error> {
        let payload = self.payload_bytes(origin)?;
        let msg = pae(&self.payload_type, &payload);
        let mut good = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let ok = self
                .signatures
                .iter()
                .any(|s| decode_b64(&s.sig).is_some_and(|sig| key.verify(&msg, &sig)));
            if ok {
                good.push(i);
            }
        }
        if good.is_empty() {
            let ids: Vec<&str> =
                self.signatures.iter().map(|s| crate::keys::short(&s.keyid)).collect();
            return Err(Error::Signature {
                origin: origin.to_owned(),
                message: format!(
                    "no valid signature by any given key ({} signature(s), key ids {}; keys given: {})",
                    self.signatures.len(),
                    if ids.is_empty() { "none".to_owned() } else { ids.join(", ") },
                    keys.iter().map(PublicKey::label).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        Ok((payload, good))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_protocol() {
        // The example from the DSSE protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn sign_verify_and_tamper() {
        let a = KeyPair::generate().unwrap();
        let b = KeyPair::generate().unwrap();
        let env = Envelope::sign(PAYLOAD_TYPE_IN_TOTO, b"{\"x\":1}", &[&a]);
        let json = env.to_json();
        let env = Envelope::from_json(&json, "e.json").unwrap();
        let (payload, good) = env.verify(&[b.public(), a.public()], "e.json").unwrap();
        assert_eq!(payload, b"{\"x\":1}");
        assert_eq!(good, vec![1]);
        let err = env.verify(&[b.public()], "e.json").unwrap_err().to_string();
        assert!(err.contains("e.json: no valid signature"), "{err}");

        // A changed payload, or a changed payload type, breaks the signature.
        let mut t = env.clone();
        t.payload = STANDARD.encode(b"{\"x\":2}");
        assert!(t.verify(&[a.public()], "t").is_err());
        let mut t = env.clone();
        t.payload_type = "application/json".into();
        assert!(t.verify(&[a.public()], "t").is_err());
        // URL-safe base64 is accepted for the same bytes.
        let mut t = env.clone();
        t.signatures[0].sig =
            URL_SAFE_NO_PAD.encode(STANDARD.decode(&env.signatures[0].sig).unwrap());
        assert!(t.verify(&[a.public()], "t").is_ok());
    }
}
