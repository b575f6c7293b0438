#!/usr/bin/env python3
"""An independent implementation of the approval encodings, for interop tests.

Written from the format descriptions in node/approval/policy.h and
node/approval/request.h only (no code shared with the C++ library), with
python's `cryptography` for the keys and signatures — what an approver's
tool (e.g. a future `tssctl approve`, or a script next to a YubiKey) does.

Input: one JSON argument
  {"approvers": [{"algorithm": "ed25519"|"p256", "label": str}, ...],
   "quorum": {"sign": m, "refresh": m, "reshare": m, "export": m},
   "requests": [{"key_id": hex, "operation": int, "hash_function": int,
                 "message_digest": hex, "derivation_path": [int, ...],
                 "expiry_unix_ms": int, "nonce": hex}, ...]}
Output (stdout): JSON
  {"approvers": [{"algorithm", "label", "public_key_raw": hex,
                  "public_key_spki": hex, "approver_id": hex}, ...],
   "policy_encoding": hex, "policy_digest": hex,
   "requests": [{"message": hex, "signatures": [hex per approver]}, ...]}
Fresh keys are generated on every run; each approver signs every request
(Ed25519: pure Ed25519 over the message; P-256: DER ECDSA over SHA-256).
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

ALGORITHM = {"ed25519": 1, "p256": 2}
APPROVER_ID_TAG = b"nitro-tss/approval/v1/approver\x00"
POLICY_TAG = b"nitro-tss/approval/v1/policy\x00"
REQUEST_TAG = b"nitro-tss/approval/v1/request\x00"


def new_key(algorithm):
    if algorithm == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        raw = key.public_key().public_bytes(
            serialization.Encoding.X962,
            serialization.PublicFormat.UncompressedPoint)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, raw, spki


def sign(algorithm, key, message):
    if algorithm == "ed25519":
        return key.sign(message)
    return key.sign(message, ec.ECDSA(hashes.SHA256()))  # DER


def policy_encoding(approvers, quorum):
    # Canonical order: ascending (algorithm byte || raw public key).
    entries = sorted(approvers,
                     key=lambda a: bytes([ALGORITHM[a["algorithm"]]]) + a["raw"])
    out = bytes([1, len(entries)])
    for a in entries:
        label = a["label"].encode("ascii")
        out += bytes([ALGORITHM[a["algorithm"]]]) + a["raw"]
        out += bytes([len(label)]) + label
    out += bytes([quorum["sign"], quorum["refresh"], quorum["reshare"],
                  quorum["export"]])
    return out


def request_message(r):
    path = r["derivation_path"]
    nonce = bytes.fromhex(r["nonce"])
    encoding = (bytes([1]) + bytes.fromhex(r["key_id"]) +
                bytes([r["operation"], r["hash_function"]]) +
                bytes.fromhex(r["message_digest"]) + bytes([len(path)]) +
                b"".join(i.to_bytes(4, "big") for i in path) +
                r["expiry_unix_ms"].to_bytes(8, "big") +
                bytes([len(nonce)]) + nonce)
    return REQUEST_TAG + encoding


def main():
    spec = json.loads(sys.argv[1])
    approvers = []
    for a in spec["approvers"]:
        key, raw, spki = new_key(a["algorithm"])
        approvers.append({"algorithm": a["algorithm"], "label": a["label"],
                          "key": key, "raw": raw, "spki": spki})
    encoding = policy_encoding(approvers, spec["quorum"])
    out = {
        "approvers": [{
            "algorithm": a["algorithm"],
            "label": a["label"],
            "public_key_raw": a["raw"].hex(),
            "public_key_spki": a["spki"].hex(),
            "approver_id": hashlib.sha256(
                APPROVER_ID_TAG + bytes([ALGORITHM[a["algorithm"]]]) +
                a["raw"]).hexdigest(),
        } for a in approvers],
        "policy_encoding": encoding.hex(),
        "policy_digest": hashlib.sha256(POLICY_TAG + encoding).hexdigest(),
        "requests": [],
    }
    for r in spec["requests"]:
        message = request_message(r)
        out["requests"].append({
            "message": message.hex(),
            "signatures": [sign(a["algorithm"], a["key"], message).hex()
                           for a in approvers],
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
