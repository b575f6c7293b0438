#!/usr/bin/env python3
"""Drives tss-kms-local with Debian's AWS CLI v2 (/usr/bin/aws, credentials
from the environment) through the supported operations and checks every
answer. Exit status 0 only if all checks pass.

Usage: awscli_ops.py --port PORT [--aws /usr/bin/aws]
"""
import argparse
import base64
import json
import os
import subprocess
import tempfile

from kms_test_common import ACCOUNT, IDENTITIES, REGION, check, main


class Cli:
    def __init__(self, aws, port, who, workdir):
        akid, secret, token, _ = IDENTITIES[who]
        self.aws = aws
        self.port = port
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": workdir,
            "AWS_ACCESS_KEY_ID": akid,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.path.join(workdir, "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(workdir, "no-creds"),
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
        }
        if token:
            self.env["AWS_SESSION_TOKEN"] = token

    def raw(self, *args):
        cmd = [self.aws, "--endpoint-url", f"http://127.0.0.1:{self.port}",
               "--output", "json", "kms", *args]
        return subprocess.run(cmd, env=self.env, capture_output=True,
                              text=True, timeout=60)

    def __call__(self, *args):
        p = self.raw(*args)
        check(p.returncode == 0,
              f"aws kms {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def fails(self, error_type, *args):
        p = self.raw(*args)
        check(p.returncode != 0 and error_type in p.stderr,
              f"aws kms {' '.join(args)}: expected {error_type}, got "
              f"{p.returncode} {p.stdout} {p.stderr}")


def run(port, aws):
    with tempfile.TemporaryDirectory() as work:
        kms = Cli(aws, port, "parent", work)
        f = lambda name: os.path.join(work, name)

        meta = kms("create-key", "--description", "cli key")["KeyMetadata"]
        key_id = meta["KeyId"]
        arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
        check(meta["Arn"] == arn and meta["Description"] == "cli key",
              f"create-key {meta}")
        check(kms("describe-key", "--key-id", arn)["KeyMetadata"]["KeyId"] ==
              key_id, "describe-key by ARN")
        check(any(k["KeyId"] == key_id for k in kms("list-keys")["Keys"]),
              "list-keys")

        kms("create-alias", "--alias-name", "alias/cli", "--target-key-id",
            key_id)
        aliases = kms("list-aliases")["Aliases"]
        check(any(a["AliasName"] == "alias/cli" and a["TargetKeyId"] == key_id
                  for a in aliases), f"list-aliases {aliases}")
        kms.fails("AlreadyExistsException", "create-alias", "--alias-name",
                  "alias/cli", "--target-key-id", key_id)

        secret = os.urandom(100)
        with open(f("plain"), "wb") as fh:
            fh.write(secret)
        enc = kms("encrypt", "--key-id", "alias/cli", "--plaintext",
                  "fileb://" + f("plain"), "--encryption-context",
                  "purpose=cli,node=1")
        check(enc["KeyId"] == arn, "encrypt KeyId")
        blob = base64.b64decode(enc["CiphertextBlob"])
        with open(f("blob"), "wb") as fh:
            fh.write(blob)
        dec = kms("decrypt", "--ciphertext-blob", "fileb://" + f("blob"),
                  "--encryption-context", "purpose=cli,node=1")
        check(base64.b64decode(dec["Plaintext"]) == secret,
              "decrypt round trip")
        kms.fails("InvalidCiphertextException", "decrypt", "--ciphertext-blob",
                  "fileb://" + f("blob"), "--encryption-context",
                  "purpose=cli,node=2")
        tampered = bytearray(blob)
        tampered[-1] ^= 0x80
        with open(f("tampered"), "wb") as fh:
            fh.write(tampered)
        kms.fails("InvalidCiphertextException", "decrypt", "--ciphertext-blob",
                  "fileb://" + f("tampered"), "--encryption-context",
                  "purpose=cli,node=1")

        gdk = kms("generate-data-key", "--key-id", key_id, "--key-spec",
                  "AES_256")
        check(len(base64.b64decode(gdk["Plaintext"])) == 32,
              "generate-data-key")
        with open(f("dk"), "wb") as fh:
            fh.write(base64.b64decode(gdk["CiphertextBlob"]))
        check(kms("decrypt", "--ciphertext-blob", "fileb://" + f("dk"))
              ["Plaintext"] == gdk["Plaintext"], "data key decrypts")
        check(len(base64.b64decode(kms("generate-data-key", "--key-id",
                                       key_id, "--number-of-bytes", "24")
                                   ["Plaintext"])) == 24,
              "generate-data-key --number-of-bytes")
        rnd = kms("generate-random", "--number-of-bytes", "48")
        check(len(base64.b64decode(rnd["Plaintext"])) == 48,
              "generate-random")

        pol = json.loads(kms("get-key-policy", "--key-id", key_id,
                             "--policy-name", "default")["Policy"])
        check(pol["Statement"][0]["Effect"] == "Allow", "get-key-policy")
        new_policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "ParentOnly", "Effect": "Allow",
                "Principal": {"AWS": IDENTITIES["parent"][3]},
                "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy",
                           "kms:DescribeKey", "kms:Encrypt"],
                "Resource": "*"}],
        }
        with open(f("policy.json"), "w") as fh:
            json.dump(new_policy, fh)
        kms("put-key-policy", "--key-id", key_id, "--policy-name", "default",
            "--policy", "file://" + f("policy.json"))
        check(json.loads(kms("get-key-policy", "--key-id", key_id,
                             "--policy-name", "default")["Policy"]) ==
              new_policy, "put/get-key-policy")
        # Decrypt is no longer allowed by the policy.
        kms.fails("AccessDeniedException", "decrypt", "--ciphertext-blob",
                  "fileb://" + f("blob"), "--encryption-context",
                  "purpose=cli,node=1")
        # Another account's principal: denied.
        other = Cli(aws, port, "other", work)
        other.fails("AccessDeniedException", "describe-key", "--key-id",
                    key_id)
        # Wrong secret: the CLI reports the signature error.
        bad = Cli(aws, port, "parent", work)
        bad.env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
        bad.fails("InvalidSignatureException", "list-keys")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--aws", default="/usr/bin/aws")
    args = parser.parse_args()
    main(lambda: run(args.port, args.aws))
