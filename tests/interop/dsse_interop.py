#!/usr/bin/env python3
"""Cross-checks repro's DSSE envelopes with an independent implementation (securesystemslib).

  dsse_interop.py verify ENVELOPE PUBKEY.pem
      Verifies a repro envelope with securesystemslib (key id = sha256 of the public key's
      SubjectPublicKeyInfo DER, computed here with `cryptography`), then checks that the payload
      is an in-toto Statement v1 whose subjects carry sha256 and gitTreeSha1 digests. Prints the
      statement's subjects as JSON.

  dsse_interop.py sign STATEMENT.json ENVELOPE_OUT PUBKEY_OUT.pem
      Generates an ed25519 key with `cryptography`, signs STATEMENT.json as an in-toto payload
      with securesystemslib, writes the envelope and the public key (PEM).

Exit 0 on success; any failure raises (non-zero exit) with the reason.
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def verify(envelope_path, pub_path):
    with open(pub_path, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    der = pub.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keyid = hashlib.sha256(der).hexdigest()
    key = SSlibKey.from_crypto(pub, keyid=keyid)
    with open(envelope_path) as f:
        env = Envelope.from_dict(json.load(f))
    if env.payload_type != PAYLOAD_TYPE:
        raise SystemExit(f"payloadType {env.payload_type!r}")
    accepted = env.verify([key], 1)  # raises VerificationError
    assert keyid in accepted, accepted
    st = json.loads(env.payload)
    assert st["_type"] == "https://in-toto.io/Statement/v1", st["_type"]
    for s in st["subject"]:
        assert set(s["digest"]) >= {"sha256", "gitTreeSha1"}, s
    print(json.dumps({"keyid": keyid, "subject": st["subject"]}))


def sign(statement_path, envelope_out, pub_out):
    priv = Ed25519PrivateKey.generate()
    with open(pub_out, "wb") as f:
        f.write(
            priv.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    with open(statement_path, "rb") as f:
        payload = f.read()
    env = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
    env.sign(CryptoSigner(priv))
    with open(envelope_out, "w") as f:
        json.dump(env.to_dict(), f)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "sign":
        sign(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
