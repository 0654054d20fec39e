//! Verifying attestations and checking that several agree.

use std::collections::{BTreeMap, BTreeSet};

use crate::Error;
use crate::dsse::{Envelope, PAYLOAD_TYPE_IN_TOTO};
use crate::keys::PublicKey;
use crate::statement::Statement;

/// An envelope whose signature verified, with its statement.
#[derive(Debug, Clone)]
pub struct VerifiedAttestation {
    /// The file (or other origin) it was read from.
    pub origin: String,
    pub statement: Statement,
    /// The given keys that signed it.
    pub signers: Vec<PublicKey>,
}

/// Parses `bytes` as a DSSE envelope of an in-toto Statement and verifies it with `keys`.
pub fn verify_attestation(
    bytes: &[u8],
    origin: &str,
    keys: &[PublicKey],
) -> Result<VerifiedAttestation, Error> {
    let env = Envelope::from_json(bytes, origin)?;
    if env.payload_type != PAYLOAD_TYPE_IN_TOTO {
        return Err(Error::Format {
            origin: origin.to_owned(),
            message: format!(
                "payloadType is {:?}, expected {PAYLOAD_TYPE_IN_TOTO:?}",
                env.payload_type
            ),
        });
    }
    let (payload, good) = env.verify(keys, origin)?;
    let statement = Statement::from_json(&payload, origin)?;
    Ok(VerifiedAttestation {
        origin: origin.to_owned(),
        statement,
        signers: good.into_iter().map(|i| keys[i].clone()).collect(),
    })
}

/// Two or more attestations that give different values of one digest of one subject.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Disagreement {
    /// The subject's name.
    pub subject: String,
    /// The digest algorithm (`sha256`, `gitTreeSha1`).
    pub algorithm: String,
    /// Each value with the attestations (origins) that state it.
    pub values: BTreeMap<String, Vec<String>>,
}

/// One subject as seen across attestations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubjectView {
    pub name: String,
    /// Attestations naming it.
    pub attestations: Vec<String>,
    /// Distinct signing keys (ids) across those attestations.
    pub keys: BTreeSet<String>,
    /// Digest values agreed on by every attestation that states the algorithm.
    pub agreed: BTreeMap<String, String>,
}

/// The result of comparing attestations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agreement {
    pub subjects: Vec<SubjectView>,
    pub disagreements: Vec<Disagreement>,
}

impl Agreement {
    /// True when no digest of any subject is stated with two different values.
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }
}

/// Compares the subjects of `atts`: for each subject name and digest algorithm, every
/// attestation must state the same value.
pub fn agreement(atts: &[VerifiedAttestation]) -> Agreement {
    // name -> algorithm -> value -> origins
    let mut by_name: BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<String>>>> =
        BTreeMap::new();
    let mut seen: BTreeMap<String, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for a in atts {
        for s in &a.statement.subject {
            let e = seen.entry(s.name.clone()).or_default();
            e.0.push(a.origin.clone());
            e.1.extend(a.signers.iter().map(|k| k.keyid.clone()));
            let algs = by_name.entry(s.name.clone()).or_default();
            for (alg, v) in &s.digest {
                algs.entry(alg.clone())
                    .or_default()
                    .entry(v.to_ascii_lowercase())
                    .or_default()
                    .push(a.origin.clone());
            }
        }
    }
    let mut subjects = Vec::new();
    let mut disagreements = Vec::new();
    for (name, algs) in by_name {
        let (attestations, keys) = seen.remove(&name).unwrap_or_default();
        let mut agreed = BTreeMap::new();
        for (alg, values) in algs {
            if values.len() == 1 {
                let v = values.into_keys().next().expect("one value");
                agreed.insert(alg, v);
            } else {
                disagreements.push(Disagreement { subject: name.clone(), algorithm: alg, values });
            }
        }
        subjects.push(SubjectView { name, attestations, keys, agreed });
    }
    Agreement { subjects, disagreements }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;
    use crate::statement::{PREDICATE_TYPE, STATEMENT_TYPE, Subject};

    fn envelope(key: &KeyPair, name: &str, tree: &str) -> Vec<u8> {
        let st = Statement {
            statement_type: STATEMENT_TYPE.into(),
            subject: vec![Subject {
                name: name.into(),
                digest: [("gitTreeSha1".to_owned(), tree.to_owned())].into(),
            }],
            predicate_type: PREDICATE_TYPE.into(),
            predicate: serde_json::json!({"result": {"verdict": "verified"}}),
        };
        Envelope::sign(PAYLOAD_TYPE_IN_TOTO, &st.to_json(), &[key]).to_json()
    }

    #[test]
    fn two_keys_agree_or_disagree_by_name() {
        let (k1, k2) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let keys = [k1.public(), k2.public()];
        let a = verify_attestation(&envelope(&k1, "X.tar.gz", "aa"), "a.json", &keys).unwrap();
        let b = verify_attestation(&envelope(&k2, "X.tar.gz", "AA"), "b.json", &keys).unwrap();
        assert_eq!(a.statement.verdict(), Some("verified"));
        let ag = agreement(&[a.clone(), b]);
        assert!(ag.agrees());
        assert_eq!(ag.subjects[0].keys.len(), 2);
        assert_eq!(ag.subjects[0].agreed["gitTreeSha1"], "aa");

        let c = verify_attestation(&envelope(&k2, "X.tar.gz", "bb"), "c.json", &keys).unwrap();
        let ag = agreement(&[a, c]);
        assert!(!ag.agrees());
        let d = &ag.disagreements[0];
        assert_eq!((d.subject.as_str(), d.algorithm.as_str()), ("X.tar.gz", "gitTreeSha1"));
        assert_eq!(d.values["aa"], vec!["a.json"]);
        assert_eq!(d.values["bb"], vec!["c.json"]);
    }

    #[test]
    fn unsigned_or_foreign_envelopes_are_refused() {
        let (k1, k2) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let err = verify_attestation(&envelope(&k1, "X", "aa"), "a.json", &[k2.public()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.json: no valid signature"), "{err}");
        let env = Envelope::sign("text/plain", b"hi", &[&k1]).to_json();
        let err = verify_attestation(&env, "p.json", &[k1.public()]).unwrap_err().to_string();
        assert!(err.contains("payloadType"), "{err}");
        let err = verify_attestation(b"{}", "e.json", &[k1.public()]).unwrap_err().to_string();
        assert!(err.contains("not a DSSE envelope"), "{err}");
    }
}
