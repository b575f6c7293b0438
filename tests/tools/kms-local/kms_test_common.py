"""Shared helpers of the tss-kms-local python drivers (boto3 / awscli).

The identities below match the credentials file written by
tests/tools/kms-local/local_kms_process.cc.
"""
import sys

import boto3
import botocore.config
import botocore.exceptions

REGION = "us-east-1"
ACCOUNT = "111122223333"
IDENTITIES = {
    # name: (access key id, secret, session token, principal ARN)
    "parent": ("AKIDPARENT", "parent-secret", None,
               "arn:aws:iam::111122223333:role/parent"),
    "admin": ("AKIDADMIN", "admin-secret", None,
              "arn:aws:iam::111122223333:role/admin"),
    "other": ("AKIDOTHER", "other-secret", None,
              "arn:aws:iam::999999999999:role/other"),
    "temp": ("ASIATEMP", "temp-secret", "temp-session-token",
             "arn:aws:iam::111122223333:role/enclave"),
}


class CheckFailed(Exception):
    pass


def check(cond, what):
    """Raises CheckFailed (non-zero exit) when `cond` is false."""
    if not cond:
        raise CheckFailed(what)


def client(port, who="parent", **overrides):
    akid, secret, token, _ = IDENTITIES[who]
    kwargs = dict(
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id=akid,
        aws_secret_access_key=secret,
        aws_session_token=token,
        # Server-side validation is what is tested: turn off the client-side one.
        config=botocore.config.Config(retries={"max_attempts": 1},
                                      parameter_validation=False),
    )
    kwargs.update(overrides)
    return boto3.client("kms", **kwargs)


def expect_error(error_type, fn, *args, **kwargs):
    """Calls fn and requires it to fail with the AWS error `error_type`."""
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == error_type,
              f"expected {error_type}, got {got}: {e.response['Error']}")
        return e
    raise CheckFailed(f"expected {error_type}, but the call succeeded")


def main(run):
    try:
        run()
    except CheckFailed as e:
        print(f"CHECK FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    print("OK")
