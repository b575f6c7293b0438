#!/usr/bin/env python3
"""Drives tss-kms-local with boto3 through every supported operation and
checks each answer (exit status 0 only if every check passes).

Usage: boto3_ops.py --port PORT
"""
import argparse
import base64
import json
import re

from kms_test_common import (ACCOUNT, REGION, check, client, expect_error,
                             main)


def run(port):
    kms = client(port, "parent")
    admin = client(port, "admin")

    # --- CreateKey / DescribeKey / ListKeys.
    meta = kms.create_key(Description="tss share key")["KeyMetadata"]
    key_id = meta["KeyId"]
    check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                       key_id), f"key id {key_id}")
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    check(meta["Arn"] == arn, "Arn")
    check(meta["AWSAccountId"] == ACCOUNT, "AWSAccountId")
    check(meta["Enabled"] is True and meta["KeyState"] == "Enabled", "state")
    check(meta["KeySpec"] == "SYMMETRIC_DEFAULT", "KeySpec")
    check(meta["KeyUsage"] == "ENCRYPT_DECRYPT", "KeyUsage")
    check(meta["Description"] == "tss share key", "Description")
    for ref in (key_id, arn):
        d = kms.describe_key(KeyId=ref)["KeyMetadata"]
        check(d["KeyId"] == key_id and d["Arn"] == arn, f"DescribeKey {ref}")
    keys = kms.list_keys()["Keys"]
    check({"KeyId": key_id, "KeyArn": arn} in keys, "ListKeys")
    expect_error("NotFoundException", kms.describe_key,
                 KeyId="00000000-0000-4000-8000-000000000000")
    expect_error("NotFoundException", kms.describe_key,
                 KeyId=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key_id}")

    # --- Aliases (resolution anywhere a KeyId is accepted).
    kms.create_alias(AliasName="alias/tss-share", TargetKeyId=key_id)
    aliases = kms.list_aliases()["Aliases"]
    check({"AliasName": "alias/tss-share",
           "AliasArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/tss-share",
           "TargetKeyId": key_id} in aliases, f"ListAliases {aliases}")
    check(len(kms.list_aliases(KeyId=key_id)["Aliases"]) == 1,
          "ListAliases by key")
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/tss-share"
    for ref in ("alias/tss-share", alias_arn):
        check(kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key_id,
              f"alias resolution {ref}")
    expect_error("AlreadyExistsException", kms.create_alias,
                 AliasName="alias/tss-share", TargetKeyId=key_id)
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/missing")
    expect_error("InvalidAliasNameException", kms.create_alias,
                 AliasName="alias/bad name!", TargetKeyId=key_id)

    # --- Encrypt / Decrypt with and without KeyId, with EncryptionContext.
    ctx = {"purpose": "tss-share", "node": "3"}
    plaintext = bytes(range(256)) * 4
    enc = kms.encrypt(KeyId="alias/tss-share", Plaintext=plaintext,
                      EncryptionContext=ctx)
    check(enc["KeyId"] == arn, "Encrypt KeyId")
    blob = enc["CiphertextBlob"]
    check(plaintext not in blob, "ciphertext hides plaintext")
    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    check(dec["Plaintext"] == plaintext, "Decrypt round trip")
    check(dec["KeyId"] == arn, "Decrypt KeyId")
    check(kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx,
                      KeyId=key_id)["Plaintext"] == plaintext,
          "Decrypt with KeyId")
    expect_error("InvalidCiphertextException", kms.decrypt,
                 CiphertextBlob=blob)
    expect_error("InvalidCiphertextException", kms.decrypt,
                 CiphertextBlob=blob,
                 EncryptionContext={"purpose": "tss-share", "node": "4"})
    tampered = bytearray(blob)
    tampered[len(tampered) // 2] ^= 1
    expect_error("InvalidCiphertextException", kms.decrypt,
                 CiphertextBlob=bytes(tampered), EncryptionContext=ctx)
    other_key = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob,
                 EncryptionContext=ctx, KeyId=other_key)
    expect_error("ValidationException", kms.encrypt, KeyId=key_id,
                 Plaintext=b"x" * 4097)

    # --- GenerateDataKey (KeySpec / NumberOfBytes) and GenerateRandom.
    gdk = kms.generate_data_key(KeyId=alias_arn, KeySpec="AES_256",
                                EncryptionContext=ctx)
    check(len(gdk["Plaintext"]) == 32, "GenerateDataKey AES_256")
    check(gdk["KeyId"] == arn, "GenerateDataKey KeyId")
    check(kms.decrypt(CiphertextBlob=gdk["CiphertextBlob"],
                      EncryptionContext=ctx)["Plaintext"] == gdk["Plaintext"],
          "data key decrypts")
    gdk16 = kms.generate_data_key(KeyId=key_id, NumberOfBytes=16)
    check(len(gdk16["Plaintext"]) == 16, "GenerateDataKey NumberOfBytes")
    check(len(kms.generate_data_key(KeyId=key_id, KeySpec="AES_128")
              ["Plaintext"]) == 16, "AES_128")
    expect_error("ValidationException", kms.generate_data_key, KeyId=key_id)
    expect_error("ValidationException", kms.generate_data_key, KeyId=key_id,
                 NumberOfBytes=1025)
    r1 = kms.generate_random(NumberOfBytes=64)["Plaintext"]
    r2 = kms.generate_random(NumberOfBytes=64)["Plaintext"]
    check(len(r1) == 64 and r1 != r2, "GenerateRandom")
    expect_error("ValidationException", kms.generate_random, NumberOfBytes=0)

    # --- Get/PutKeyPolicy, enforced on the next call.
    pol = json.loads(kms.get_key_policy(KeyId=key_id,
                                        PolicyName="default")["Policy"])
    check(pol["Statement"][0]["Principal"]["AWS"] ==
          f"arn:aws:iam::{ACCOUNT}:root", f"default policy {pol}")
    restricted = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Admin", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "ParentEncryptOnly", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/parent"},
             "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"},
        ],
    }
    # The parent would lock itself out: refused without the bypass flag.
    expect_error("MalformedPolicyDocumentException", kms.put_key_policy,
                 KeyId=key_id, PolicyName="default",
                 Policy=json.dumps(restricted))
    kms.put_key_policy(KeyId=key_id, PolicyName="default",
                       Policy=json.dumps(restricted),
                       BypassPolicyLockoutSafetyCheck=True)
    check(json.loads(admin.get_key_policy(KeyId=key_id)["Policy"]) ==
          restricted, "GetKeyPolicy returns the new policy")
    enc2 = kms.encrypt(KeyId=key_id, Plaintext=b"still allowed")
    expect_error("AccessDeniedException", kms.decrypt,
                 CiphertextBlob=enc2["CiphertextBlob"])
    expect_error("AccessDeniedException", kms.get_key_policy, KeyId=key_id)
    expect_error("AccessDeniedException", kms.generate_data_key,
                 KeyId=key_id, KeySpec="AES_256")
    check(admin.decrypt(CiphertextBlob=enc2["CiphertextBlob"])["Plaintext"] ==
          b"still allowed", "admin decrypts")
    expect_error("MalformedPolicyDocumentException", admin.put_key_policy,
                 KeyId=key_id, PolicyName="default", Policy="{not json")
    expect_error("MalformedPolicyDocumentException", admin.put_key_policy,
                 KeyId=key_id, PolicyName="default",
                 Policy=json.dumps({"Statement": [{"Effect": "Allow"}]}))

    # --- A principal of another account is denied by the default policy.
    other = client(port, "other")
    expect_error("AccessDeniedException", other.describe_key, KeyId=other_key)
    expect_error("AccessDeniedException", other.decrypt,
                 CiphertextBlob=kms.encrypt(KeyId=other_key,
                                            Plaintext=b"p")["CiphertextBlob"])

    # --- Temporary credentials (session token) work like the parent's.
    temp = client(port, "temp")
    check(temp.decrypt(CiphertextBlob=kms.encrypt(
        KeyId=other_key, Plaintext=b"tok")["CiphertextBlob"])["Plaintext"] ==
        b"tok", "session credentials")

    # --- Recipient without --attestation-root configured is refused.
    expect_error("ValidationException", kms.generate_random, NumberOfBytes=8,
                 Recipient={"AttestationDocument": b"\x84",
                            "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
    print(base64.b64encode(plaintext[:4]).decode(), "round trips verified")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    main(lambda: run(args.port))
