#!/usr/bin/env python3
"""Writes the seed corpora of approval_policy_fuzz and approval_request_fuzz.

Run from the repository root: python3 tests/fuzz/node/approval/make_seeds.py
The keys are those of fuzz_policy.h (Ed25519 from the seed 32 x 0x42, and
the P-256 generator point), so the bundle seed names real approvers and
fuzzed approvals reach signature verification. Protobuf messages are encoded
by hand (deterministic: fields in number order).
"""
import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

OUT = "tests/fuzz/node/approval/corpus"
ED = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
ED_PK = ED.public_key().public_bytes(serialization.Encoding.Raw,
                                     serialization.PublicFormat.Raw)
P256 = ec.derive_private_key(1, ec.SECP256R1())
P256_PK = P256.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, value):
    return varint((num << 3) | 2) + varint(len(value)) + value


def approver_id(alg, pk):
    return hashlib.sha256(b"nitro-tss/approval/v1/approver\x00" +
                          bytes([alg]) + pk).digest()


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def main():
    # Canonical policy: Ed25519 "fuzz-ed25519" then P-256 "fuzz-p256".
    entries = sorted([(1, ED_PK, b"fuzz-ed25519"), (2, P256_PK, b"fuzz-p256")])
    policy = bytes([1, len(entries)])
    for alg, pk, label in entries:
        policy += bytes([alg]) + pk + bytes([len(label)]) + label
    write("approval_policy_fuzz", "canonical_policy.bin",
          policy + bytes([1, 2, 2, 2]))
    write("approval_policy_fuzz", "bad_quorum.bin",
          policy + bytes([1, 2, 3, 2]))
    # The same policy as an ApprovalPolicy message, the P-256 key as PEM.
    pem = P256.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    message = field_varint(1, 1)
    message += field_bytes(2, field_varint(1, 2) + field_bytes(2, pem) +
                           field_bytes(3, b"fuzz-p256"))
    message += field_bytes(2, field_varint(1, 1) + field_bytes(2, ED_PK) +
                           field_bytes(3, b"fuzz-ed25519"))
    message += field_bytes(3, field_varint(1, 1) + field_varint(2, 2) +
                           field_varint(3, 2) + field_varint(4, 2))
    write("approval_policy_fuzz", "policy_message.bin", message)
    write("approval_policy_fuzz", "ed25519_spki.der",
          ED.public_key().public_bytes(
              serialization.Encoding.DER,
              serialization.PublicFormat.SubjectPublicKeyInfo))
    write("approval_policy_fuzz", "p256_spki.pem", pem)

    # Canonical request: sign, sha256, path 44/60/0/0/7, 24-byte nonce.
    path = [44, 60, 0, 0, 7]
    nonce = b"\x4e" + b"\x01" * 23
    request = (bytes([1]) + bytes(range(0xA0, 0xC0)) + bytes([1, 1]) +
               bytes(range(0x10, 0x30)) + bytes([len(path)]) +
               b"".join(i.to_bytes(4, "big") for i in path) +
               (1700000000000).to_bytes(8, "big") + bytes([len(nonce)]) +
               nonce)
    write("approval_request_fuzz", "canonical_request.bin", request)
    # The same request as an ApprovalRequest message.
    packed = b"".join(varint(i) for i in path)
    message = (field_varint(1, 1) + field_bytes(2, bytes(range(0xA0, 0xC0))) +
               field_varint(3, 1) + field_varint(4, 1) +
               field_bytes(5, bytes(range(0x10, 0x30))) +
               field_bytes(6, packed) + field_varint(7, 1700000000000) +
               field_bytes(8, nonce))
    write("approval_request_fuzz", "request_message.bin", message)
    # A bundle with one approval per fuzz-policy approver (bogus signatures:
    # 64 bytes for Ed25519, a DER-shaped value for P-256).
    der = bytes([0x30, 0x44, 0x02, 0x20]) + b"\x11" * 32 + bytes(
        [0x02, 0x20]) + b"\x22" * 32
    bundle = field_varint(1, 1700000000000) + field_bytes(2, nonce)
    bundle += field_bytes(3, field_bytes(1, approver_id(1, ED_PK)) +
                          field_bytes(2, b"\x33" * 64))
    bundle += field_bytes(3, field_bytes(1, approver_id(2, P256_PK)) +
                          field_bytes(2, der))
    write("approval_request_fuzz", "bundle.bin", bundle)


if __name__ == "__main__":
    main()
