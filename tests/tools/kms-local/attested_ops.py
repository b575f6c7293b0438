#!/usr/bin/env python3
"""Attested operations against tss-kms-local through boto3 (botocore knows
the Recipient parameter). Uses the documents written by
tss-kms-local-testdocs into --docs DIR.

The key policy only lets the parent role Decrypt/GenerateDataKey for an
enclave whose image measurement (PCR0) is pcr0.hex, and explicitly denies
Decrypt to everyone whose request does not carry that PCR0. The script
checks that the good document unseals (answer: CiphertextForRecipient, no
Plaintext) and that a wrong PCR0, a debug-mode document, a missing
Recipient, a tampered document, a document under another root, a stale
document, a document without public key, and a wrong principal are all
denied with AccessDeniedException. It writes the CiphertextForRecipient
blobs and the expected plaintexts into DIR for the C++ test to open with the
project's CMS parser.

Usage: attested_ops.py --port PORT --docs DIR
"""
import argparse
import json
import os

from kms_test_common import IDENTITIES, check, client, expect_error, main

ALG = "RSAES_OAEP_SHA_256"


def run(port, docs):
    def doc(name):
        with open(os.path.join(docs, name), "rb") as fh:
            return fh.read()

    def out(name, data):
        with open(os.path.join(docs, name), "wb") as fh:
            fh.write(data)

    pcr0 = open(os.path.join(docs, "pcr0.hex")).read().strip()
    check(len(pcr0) == 96 and pcr0 == pcr0.lower(), f"pcr0 {pcr0}")
    admin = client(port, "admin")
    parent = client(port, "parent")
    other = client(port, "other")
    parent_arn = IDENTITIES["parent"][3]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Admin", "Effect": "Allow",
             "Principal": {"AWS": IDENTITIES["admin"][3]},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "ParentEncrypt", "Effect": "Allow",
             "Principal": {"AWS": parent_arn},
             "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"},
            {"Sid": "EnclaveUnseal", "Effect": "Allow",
             "Principal": {"AWS": parent_arn},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": "*",
             "Condition": {"StringEqualsIgnoreCase": {
                 "kms:RecipientAttestation:ImageSha384": pcr0}}},
            {"Sid": "DenyUnattestedDecrypt", "Effect": "Deny",
             "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringNotEqualsIgnoreCase": {
                 "kms:RecipientAttestation:PCR0": pcr0}}},
        ],
    }
    key_id = admin.create_key(Description="enclave-only",
                              Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
    admin.create_alias(AliasName="alias/enclave", TargetKeyId=key_id)
    ctx = {"purpose": "tss-share"}
    secret = b"key share #1: " + os.urandom(32)
    blob = parent.encrypt(KeyId="alias/enclave", Plaintext=secret,
                          EncryptionContext=ctx)["CiphertextBlob"]

    good = {"AttestationDocument": doc("good.cbor"),
            "KeyEncryptionAlgorithm": ALG}

    # --- The attested enclave unseals.
    r = parent.decrypt(CiphertextBlob=blob, EncryptionContext=ctx,
                       Recipient=good)
    check("CiphertextForRecipient" in r, "Decrypt: CiphertextForRecipient")
    check(not r.get("Plaintext"), "Decrypt: no Plaintext with a Recipient")
    check(secret not in r["CiphertextForRecipient"], "CFR hides plaintext")
    out("cfr_decrypt.ber", r["CiphertextForRecipient"])
    out("expected_decrypt.bin", secret)

    g = parent.generate_data_key(KeyId=key_id, KeySpec="AES_256",
                                 Recipient=good)
    check("CiphertextForRecipient" in g and not g.get("Plaintext"),
          "GenerateDataKey with Recipient")
    out("cfr_gdk.ber", g["CiphertextForRecipient"])
    r2 = parent.decrypt(CiphertextBlob=g["CiphertextBlob"], Recipient=good)
    out("cfr_gdk_decrypt.ber", r2["CiphertextForRecipient"])

    rnd = parent.generate_random(NumberOfBytes=32, Recipient=good)
    check("CiphertextForRecipient" in rnd and not rnd.get("Plaintext"),
          "GenerateRandom with Recipient")
    out("cfr_random.ber", rnd["CiphertextForRecipient"])

    # --- Everything else is denied.
    def denied(what, **kwargs):
        e = expect_error("AccessDeniedException", parent.decrypt,
                         CiphertextBlob=blob, EncryptionContext=ctx, **kwargs)
        print(f"denied ({what}): {e.response['Error']['Message']}")

    def recipient(name):
        return {"AttestationDocument": doc(name),
                "KeyEncryptionAlgorithm": ALG}

    denied("wrong PCR0", Recipient=recipient("wrong_image.cbor"))
    denied("debug mode", Recipient=recipient("debug.cbor"))
    denied("no Recipient")
    denied("tampered document", Recipient=recipient("tampered.cbor"))
    denied("other root", Recipient=recipient("other_root.cbor"))
    denied("stale document", Recipient=recipient("stale.cbor"))
    denied("no public key", Recipient=recipient("no_public_key.cbor"))
    expect_error("AccessDeniedException", parent.generate_data_key,
                 KeyId=key_id, KeySpec="AES_256",
                 Recipient=recipient("wrong_image.cbor"))
    expect_error("AccessDeniedException", parent.generate_data_key,
                 KeyId=key_id, KeySpec="AES_256")
    # Even the admin cannot decrypt without the attested PCR0 (explicit deny).
    expect_error("AccessDeniedException", admin.decrypt, CiphertextBlob=blob,
                 EncryptionContext=ctx)
    # Another account's principal with a good document: no Allow applies.
    e = expect_error("AccessDeniedException", other.decrypt,
                     CiphertextBlob=blob, EncryptionContext=ctx,
                     Recipient=good)
    check(IDENTITIES["other"][3] in e.response["Error"]["Message"],
          "message names the principal")
    # The good document still works after all that.
    check("CiphertextForRecipient" in parent.decrypt(
        CiphertextBlob=blob, EncryptionContext=ctx, Recipient=good),
        "good document again")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--docs", required=True)
    args = parser.parse_args()
    main(lambda: run(args.port, args.docs))
