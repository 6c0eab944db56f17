"""SigV4 authentication, against a server started with `--credentials FILE` whose file holds
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (run.sh starts one).

    BASALT_ENDPOINT=http://127.0.0.1:8001 tests/e2e/.venv/bin/python tests/e2e/auth_test.py

Expected, as DynamoDB answers (all HTTP 400):
  right key, wrong secret   InvalidSignatureException
  unknown access key        UnrecognizedClientException
  no signature at all       MissingAuthenticationTokenException
The last line is 'auth: N passed, N failed'.
"""

import json
import os
import subprocess
import sys
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("BASALT_ENDPOINT", "http://127.0.0.1:8000")
REGION = os.environ.get("AWS_REGION", "us-east-1")
KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "basalt-test")
SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "basalt-test-secret")


def client(key_id, secret):
    return boto3.client(
        "dynamodb",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )


class Auth(unittest.TestCase):
    def assertRejected(self, fn, code, message_start):
        with self.assertRaises(ClientError) as cm:
            fn()
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertTrue(err["Error"]["Message"].startswith(message_start), err["Error"]["Message"])
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_right_credentials(self):
        out = client(KEY_ID, SECRET).list_tables()
        self.assertIsInstance(out["TableNames"], list)

    def test_wrong_secret(self):
        c = client(KEY_ID, SECRET + "-wrong")
        self.assertRejected(
            c.list_tables,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
        self.assertRejected(
            lambda: c.get_item(TableName="any-table", Key={"id": {"S": "x"}}),
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )

    def test_unknown_access_key(self):
        c = client("AKIDUNKNOWN" + uuid.uuid4().hex[:8].upper(), SECRET)
        self.assertRejected(
            c.list_tables, "UnrecognizedClientException", "The security token included in the request is invalid"
        )

    def test_no_signature(self):
        # A plain curl POST: X-Amz-Target and a body, no Authorization header.
        proc = subprocess.run(
            [
                "curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
                "-X", "POST", ENDPOINT + "/",
                "-H", "Content-Type: application/x-amz-json-1.0",
                "-H", "X-Amz-Target: DynamoDB_20120810.ListTables",
                "--data", "{}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        body, _, status = proc.stdout.rpartition("\n")
        self.assertEqual(status, "400", proc.stdout)
        doc = json.loads(body)
        self.assertTrue(doc["__type"].endswith("MissingAuthenticationTokenException"), doc)
        self.assertEqual(doc.get("message", doc.get("Message")), "Request is missing Authentication Token")

    def test_health_check_needs_no_signature(self):
        proc = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", ENDPOINT + "/"],
            capture_output=True,
            text=True,
            check=True,
        )
        self.assertEqual(proc.stdout, "200")


if __name__ == "__main__":
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"auth: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
