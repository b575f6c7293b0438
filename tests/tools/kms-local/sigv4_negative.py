#!/usr/bin/env python3
"""SigV4 failures against tss-kms-local, signed with botocore's own signer
and sent raw so requests can be altered after signing. Every case must be
rejected with the AWS error type AWS itself uses; the unaltered request must
succeed (so the test cannot pass against a server that rejects everything).

Usage: sigv4_negative.py --port PORT
"""
import argparse
import datetime
import http.client
import json
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from kms_test_common import IDENTITIES, REGION, check, client, main


def signed(port, who="parent", secret=None, body=b"{}",
           target="TrentService.ListKeys", when=None, region=REGION,
           token=None):
    akid, real_secret, real_token, _ = IDENTITIES[who]
    creds = botocore.credentials.Credentials(
        akid, secret or real_secret, token if token is not None else real_token)
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://127.0.0.1:{port}/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": target})
    signer = botocore.auth.SigV4Auth(creds, "kms", region)
    if when is None:
        signer.add_auth(req)
    else:
        # botocore reads the clock through botocore.auth.get_current_datetime.
        with mock.patch("botocore.auth.get_current_datetime",
                        return_value=when):
            signer.add_auth(req)
    return dict(req.headers.items()), body


def send(port, headers, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/", body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else {}


def expect(port, headers, body, status, error_type, what):
    got_status, doc = send(port, headers, body)
    check(got_status == status and doc.get("__type") == error_type,
          f"{what}: expected {status} {error_type}, got {got_status} {doc}")
    check(error_type is None or doc.get("message"), f"{what}: no message")


def run(port):
    # Baseline: a correctly signed request succeeds.
    h, b = signed(port)
    status, doc = send(port, h, b)
    check(status == 200 and "Keys" in doc, f"baseline failed: {status} {doc}")

    h, b = signed(port, secret="wrong-secret")
    expect(port, h, b, 400, "InvalidSignatureException", "wrong secret")

    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    h, b = signed(port, when=old)
    expect(port, h, b, 400, "InvalidSignatureException", "expired date")
    future = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(minutes=20)
    h, b = signed(port, when=future)
    expect(port, h, b, 400, "InvalidSignatureException", "future date")

    h, b = signed(port)
    expect(port, h, b'{"Limit":1}', 400, "InvalidSignatureException",
           "altered body")

    h, b = signed(port)
    h = dict(h)
    h["X-Amz-Target"] = "TrentService.CreateKey"
    expect(port, h, b, 400, "InvalidSignatureException", "altered header")

    h, b = signed(port)
    h = dict(h)
    h["X-Amz-Date"] = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) -
                       datetime.timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    expect(port, h, b, 400, "InvalidSignatureException", "altered X-Amz-Date")

    h, b = signed(port, region="eu-west-1")
    expect(port, h, b, 400, "InvalidSignatureException", "wrong region scope")

    IDENTITIES["ghost"] = ("AKIDGHOST", "ghost-secret", None, "")
    h, b = signed(port, who="ghost")
    expect(port, h, b, 400, "UnrecognizedClientException",
           "unknown access key")

    h, b = signed(port, who="temp", token="")
    expect(port, h, b, 400, "UnrecognizedClientException",
           "missing session token")
    h, b = signed(port, who="temp", token="forged-token")
    expect(port, h, b, 400, "UnrecognizedClientException",
           "wrong session token")
    h, b = signed(port, who="temp")
    status, doc = send(port, h, b)
    check(status == 200, f"session token baseline: {status} {doc}")

    h, b = signed(port)
    h = {k: v for k, v in h.items() if k.lower() != "authorization"}
    expect(port, h, b, 400, "MissingAuthenticationTokenException",
           "no Authorization")

    h, b = signed(port)
    h = dict(h)
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=garbage"
    expect(port, h, b, 400, "IncompleteSignatureException",
           "malformed Authorization")

    # The same mapping through boto3's error handling.
    from kms_test_common import expect_error
    bad = client(port, "parent", aws_secret_access_key="nope")
    expect_error("InvalidSignatureException", bad.list_keys)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    main(lambda: run(args.port))
