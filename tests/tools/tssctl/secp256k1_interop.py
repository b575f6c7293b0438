#!/usr/bin/env python3
"""An independent ECDSA secp256k1 implementation for tssctl verify's tests.

python's `cryptography` (OpenSSL underneath, no code shared with tssctl)
signs and verifies SHA-256 ECDSA signatures on secp256k1.

  secp256k1_interop.py sign MESSAGE_HEX
      A fresh key signs SHA-256(message). Prints JSON:
      {"public_key_pem", "public_key_uncompressed", "public_key_compressed",
       "signature_der", "low_s_der", "high_s_der"}: the signature as
      cryptography made it, and its two forms with s <= n/2 and s > n/2
      ((r, s) and (r, n - s) are both valid ECDSA signatures).
  secp256k1_interop.py verify PUBLIC_KEY_HEX MESSAGE_HEX SIGNATURE_DER_HEX
      Prints "valid" or "invalid" (SHA-256, DER, any s).
"""
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def sign(message):
    key = ec.generate_private_key(ec.SECP256K1())
    pub = key.public_key()
    der = key.sign(message, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    low, high = (s, N - s) if s <= N // 2 else (N - s, s)
    return {
        "public_key_pem": pub.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "public_key_uncompressed": pub.public_bytes(
            serialization.Encoding.X962,
            serialization.PublicFormat.UncompressedPoint).hex(),
        "public_key_compressed": pub.public_bytes(
            serialization.Encoding.X962,
            serialization.PublicFormat.CompressedPoint).hex(),
        "signature_der": der.hex(),
        "low_s_der": encode_dss_signature(r, low).hex(),
        "high_s_der": encode_dss_signature(r, high).hex(),
    }


def verify(public_key, message, der):
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(),
                                                       public_key)
    try:
        pub.verify(der, message, ec.ECDSA(hashes.SHA256()))
        return "valid"
    except InvalidSignature:
        return "invalid"


def main():
    if sys.argv[1] == "sign":
        print(json.dumps(sign(bytes.fromhex(sys.argv[2]))))
    elif sys.argv[1] == "verify":
        print(verify(bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]),
                     bytes.fromhex(sys.argv[4])))
    else:
        sys.exit("usage: secp256k1_interop.py sign|verify ...")


if __name__ == "__main__":
    main()
