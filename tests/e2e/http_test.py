"""DynamoDB's JSON 1.0 wire protocol, byte for byte, with SigV4-signed raw HTTP requests.

    BASALT_ENDPOINT=http://127.0.0.1:8000 tests/e2e/.venv/bin/python tests/e2e/http_test.py

Checks what the SDKs rely on without saying so: Content-Type application/x-amz-json-1.0,
x-amzn-RequestId, x-amz-crc32 (the CRC32 of the body bytes as sent: the JS SDK v2 and botocore
retry, then fail, on a mismatch), the shape of error bodies ({"__type": "...#Code", "message"}),
GET / as health check, UnknownOperationException, SerializationException. The last line is
'http: N passed, N failed'.
"""

import gzip
import http.client
import json
import os
import sys
import time
import unittest
import urllib.parse
import uuid
import zlib

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = os.environ.get("BASALT_ENDPOINT", "http://127.0.0.1:8000")
REGION = os.environ.get("AWS_REGION", "us-east-1")
CREDS = Credentials(
    os.environ.get("AWS_ACCESS_KEY_ID", "basalt-test"), os.environ.get("AWS_SECRET_ACCESS_KEY", "basalt-test-secret")
)
_URL = urllib.parse.urlparse(ENDPOINT)
TABLE = f"e2e-http-{uuid.uuid4().hex[:10]}"


def raw(method, path="/", body=b"", headers=None):
    conn = http.client.HTTPConnection(_URL.hostname, _URL.port or 80, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def call(target, payload, creds=CREDS, extra_headers=None, body=None):
    """Signs and sends one DynamoDB call; returns (status, headers, raw body bytes)."""
    data = body if body is not None else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{target}",
        **(extra_headers or {}),
    }
    req = AWSRequest(method="POST", url=ENDPOINT + "/", data=data, headers=headers)
    SigV4Auth(creds, "dynamodb", REGION).add_auth(req)
    return raw("POST", "/", data, dict(req.headers.items()))


class Protocol(unittest.TestCase):
    maxDiff = None

    def assertWellFormed(self, status, headers, body):
        self.assertTrue(headers.get("content-type", "").startswith("application/x-amz-json-1.0"), headers)
        self.assertTrue(headers.get("x-amzn-requestid"), "x-amzn-RequestId header")
        self.assertIn("x-amz-crc32", headers, "x-amz-crc32 header")
        self.assertEqual(int(headers["x-amz-crc32"]), zlib.crc32(body), "x-amz-crc32 is the CRC32 of the body")
        if "content-length" in headers:
            self.assertEqual(int(headers["content-length"]), len(body))
        return json.loads(body)

    def assertError(self, response, code, message=None, status=400):
        st, headers, body = response
        self.assertEqual(st, status, body)
        doc = self.assertWellFormed(st, headers, body)
        self.assertTrue(doc["__type"].endswith("#" + code), doc)
        if message is not None:
            self.assertEqual(doc.get("message", doc.get("Message")), message)
        return doc

    def test_health_check(self):
        status, _, _ = raw("GET", "/")
        self.assertEqual(status, 200)

    def test_success_headers_and_crc32(self):
        st, headers, body = call("ListTables", {})
        self.assertEqual(st, 200, body)
        doc = self.assertWellFormed(st, headers, body)
        self.assertIsInstance(doc["TableNames"], list)

    def test_request_ids_are_unique(self):
        ids = {call("ListTables", {"Limit": 1})[1].get("x-amzn-requestid") for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_table_lifecycle_wire_format(self):
        st, headers, body = call(
            "CreateTable",
            {
                "TableName": TABLE,
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        )
        self.assertEqual(st, 200, body)
        doc = self.assertWellFormed(st, headers, body)
        desc = doc["TableDescription"]
        self.assertIsInstance(desc["CreationDateTime"], (int, float), "epoch seconds, a JSON number")
        self.assertIsInstance(desc["ItemCount"], int)
        try:
            for _ in range(60):
                st, headers, body = call("DescribeTable", {"TableName": TABLE})
                if json.loads(body).get("Table", {}).get("TableStatus") == "ACTIVE":
                    break
                time.sleep(0.5)
            item = {"id": {"S": "wire"}, "n": {"N": "1"}, "b": {"B": "AAEC/w=="}}
            st, headers, body = call("PutItem", {"TableName": TABLE, "Item": item})
            self.assertEqual(st, 200, body)
            self.assertEqual(self.assertWellFormed(st, headers, body), {})
            st, headers, body = call("GetItem", {"TableName": TABLE, "Key": {"id": {"S": "wire"}}})
            self.assertEqual(st, 200, body)
            self.assertEqual(self.assertWellFormed(st, headers, body), {"Item": item}, "binary as base64")
            st, headers, body = call("GetItem", {"TableName": TABLE, "Key": {"id": {"S": "none"}}})
            self.assertEqual(self.assertWellFormed(st, headers, body), {})
        finally:
            call("DeleteTable", {"TableName": TABLE})

    def test_error_body(self):
        self.assertError(
            call("GetItem", {"TableName": TABLE + "-missing", "Key": {"id": {"S": "x"}}}),
            "ResourceNotFoundException",
            "Requested resource not found",
        )

    def test_unknown_operation(self):
        doc = self.assertError(call("NoSuchOperation", {}), "UnknownOperationException")
        self.assertTrue(doc["__type"].startswith("com.amazon.coral.service#"), doc)

    def test_malformed_json(self):
        self.assertError(call("ListTables", None, body=b"{not json"), "SerializationException")

    def test_gzip_response_if_offered(self):
        # DynamoDB may gzip its response when asked to; then x-amz-crc32 covers the gzip bytes.
        st, headers, body = call("ListTables", {}, extra_headers={"Accept-Encoding": "gzip"})
        self.assertEqual(st, 200)
        self.assertEqual(int(headers["x-amz-crc32"]), zlib.crc32(body))
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.assertIn("TableNames", json.loads(body))


if __name__ == "__main__":
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"http: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
