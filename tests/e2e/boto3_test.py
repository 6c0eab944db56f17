"""boto3 (client and resource APIs) against Basalt.

    BASALT_ENDPOINT=http://127.0.0.1:8000 tests/e2e/.venv/bin/python tests/e2e/boto3_test.py [-k NAME]

Expected values are those DynamoDB itself returns: error codes and messages, HTTP 400, describe
fields, DescribeLimits' defaults. One deliberate difference: DynamoDB updates ItemCount about every
six hours, Basalt at once, and the tests expect the exact count. Tables are named
e2e-py-<run id>-* and deleted at the end. The last line is 'boto3: N passed, N failed'.
"""

import datetime
import os
import re
import sys
import time
import unittest
import uuid
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import Binary, TypeDeserializer
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("BASALT_ENDPOINT", "http://127.0.0.1:8000")
REGION = os.environ.get("AWS_REGION", "us-east-1")
KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "basalt-test")
SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "basalt-test-secret")
RUN = uuid.uuid4().hex[:10]
PREFIX = f"e2e-py-{RUN}"
WAIT = {"Delay": 1, "MaxAttempts": 30}

_kwargs = dict(
    endpoint_url=ENDPOINT,
    region_name=REGION,
    aws_access_key_id=KEY_ID,
    aws_secret_access_key=SECRET,
    config=Config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30),
)
client = boto3.client("dynamodb", **_kwargs)
resource = boto3.resource("dynamodb", **_kwargs)
CREATED = []
DESERIALIZER = TypeDeserializer()


def create_table(name, hash_key="id", hash_type="S", range_key=None, range_type=None, provisioned=None):
    defs = [{"AttributeName": hash_key, "AttributeType": hash_type}]
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        defs.append({"AttributeName": range_key, "AttributeType": range_type})
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    kwargs = dict(TableName=name, AttributeDefinitions=defs, KeySchema=schema)
    if provisioned:
        kwargs["ProvisionedThroughput"] = {"ReadCapacityUnits": provisioned[0], "WriteCapacityUnits": provisioned[1]}
    else:
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
    out = client.create_table(**kwargs)
    CREATED.append(name)
    return out


def wait_exists(*names):
    waiter = client.get_waiter("table_exists")
    for name in names:
        waiter.wait(TableName=name, WaiterConfig=WAIT)


class Base(unittest.TestCase):
    maxDiff = None

    def assertClientError(self, fn, code, message=None, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err["Error"].get("Message"))
        if isinstance(message, re.Pattern):
            self.assertRegex(err["Error"]["Message"], message)
        elif message is not None:
            self.assertEqual(err["Error"]["Message"], message)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertTrue(err["ResponseMetadata"].get("RequestId"), "x-amzn-RequestId on the error")
        return err


class T1Tables(Base):
    """create_table + waiter, describe_table, update_table, list_tables, delete_table."""

    T = f"{PREFIX}-prov"

    @classmethod
    def setUpClass(cls):
        cls.created = create_table(cls.T, provisioned=(5, 5))
        wait_exists(cls.T)

    def test_create_table_response(self):
        t = self.created["TableDescription"]
        self.assertEqual(t["TableName"], self.T)
        self.assertIn(t["TableStatus"], ("CREATING", "ACTIVE"))
        self.assertEqual(t["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertEqual(t["AttributeDefinitions"], [{"AttributeName": "id", "AttributeType": "S"}])
        self.assertEqual(t["ItemCount"], 0)
        self.assertEqual(t["TableSizeBytes"], 0)
        self.assertEqual(self.created["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_describe_table(self):
        t = client.describe_table(TableName=self.T)["Table"]
        self.assertEqual(t["TableName"], self.T)
        self.assertEqual(t["TableStatus"], "ACTIVE")
        self.assertEqual(t["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertEqual(t["AttributeDefinitions"], [{"AttributeName": "id", "AttributeType": "S"}])
        pt = t["ProvisionedThroughput"]
        self.assertEqual(
            (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"], pt["NumberOfDecreasesToday"]), (5, 5, 0)
        )
        # PROVISIONED tables created without BillingMode have no BillingModeSummary, or PROVISIONED.
        self.assertIn(t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"), ("PROVISIONED",))
        self.assertIsInstance(t["ItemCount"], int)
        self.assertIsInstance(t["TableSizeBytes"], int)
        self.assertIsInstance(t["CreationDateTime"], datetime.datetime)
        age = abs((datetime.datetime.now(datetime.timezone.utc) - t["CreationDateTime"]).total_seconds())
        self.assertLess(age, 300, "CreationDateTime is now")
        self.assertRegex(t["TableArn"], rf"^arn:aws:dynamodb:{REGION}:\d{{12}}:table/{re.escape(self.T)}$")
        self.assertTrue(t.get("TableId"), "TableId")

    def test_update_table_throughput(self):
        out = client.update_table(
            TableName=self.T, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 7}
        )
        self.assertIn(out["TableDescription"]["TableStatus"], ("UPDATING", "ACTIVE"))
        wait_exists(self.T)
        for _ in range(30):
            t = client.describe_table(TableName=self.T)["Table"]
            if t["TableStatus"] == "ACTIVE":
                break
            time.sleep(1)
        self.assertEqual(t["TableStatus"], "ACTIVE")
        pt = t["ProvisionedThroughput"]
        self.assertEqual((pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]), (10, 7))

    def test_create_existing_table(self):
        self.assertClientError(
            create_table, "ResourceInUseException", f"Table already exists: {self.T}", name=self.T
        )

    def test_describe_missing_table(self):
        name = f"{PREFIX}-missing"
        self.assertClientError(
            client.describe_table,
            "ResourceNotFoundException",
            f"Requested resource not found: Table: {name} not found",
            TableName=name,
        )

    def test_list_tables_paginator(self):
        names = [f"{PREFIX}-list-{i:02d}" for i in range(7)]
        for n in names:
            create_table(n)
        wait_exists(*names)

        seen, pages = [], 0
        for page in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 3}):
            pages += 1
            self.assertLessEqual(len(page["TableNames"]), 3)
            if "LastEvaluatedTableName" in page:
                self.assertEqual(page["LastEvaluatedTableName"], page["TableNames"][-1])
            seen.extend(page["TableNames"])
        self.assertGreaterEqual(pages, 3)
        for n in names + [self.T]:
            self.assertIn(n, seen)
        self.assertEqual(len(seen), len(set(seen)), "no table listed twice")
        self.assertEqual(seen, sorted(seen), "table names in ascending order")

        out = client.list_tables(ExclusiveStartTableName=names[2], Limit=3)
        self.assertEqual(out["TableNames"], names[3:6])
        self.assertEqual(out["LastEvaluatedTableName"], names[5])
        last = client.list_tables(ExclusiveStartTableName=names[5], Limit=100)
        self.assertEqual(last["TableNames"][0], names[6])

    def test_list_tables_limit_validation(self):
        self.assertClientError(
            client.list_tables,
            "ValidationException",
            "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 100",
            Limit=101,
        )

    def test_zz_delete_table(self):
        name = f"{PREFIX}-doomed"
        create_table(name)
        wait_exists(name)
        out = client.delete_table(TableName=name)
        CREATED.remove(name)
        self.assertEqual(out["TableDescription"]["TableName"], name)
        self.assertEqual(out["TableDescription"]["TableStatus"], "DELETING")
        client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)
        self.assertNotIn(name, client.list_tables(ExclusiveStartTableName=PREFIX)["TableNames"])
        self.assertClientError(
            client.delete_table,
            "ResourceNotFoundException",
            f"Requested resource not found: Table: {name} not found",
            TableName=name,
        )


class T2Items(Base):
    """put_item / get_item / delete_item with the client API, errors, ItemCount."""

    T = f"{PREFIX}-items"

    @classmethod
    def setUpClass(cls):
        create_table(cls.T)
        wait_exists(cls.T)

    def test_put_get_delete(self):
        key = {"id": {"S": "k1"}}
        item = {
            "id": {"S": "k1"},
            "n": {"N": "42"},
            "f": {"N": "-3.25"},
            "b": {"B": b"\x00\x01\xfe\xff"},
            "t": {"BOOL": True},
            "z": {"NULL": True},
            "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"x": {"S": "y"}}}]},
            "m": {"M": {"inner": {"M": {"deep": {"L": []}}}, "e": {"S": ""}}},
            "ss": {"SS": ["b", "a"]},
            "ns": {"NS": ["1", "2.5"]},
            "bs": {"BS": [b"\x01", b"\x02"]},
        }
        out = client.put_item(TableName=self.T, Item=item, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL")
        self.assertNotIn("Attributes", out)
        self.assertEqual(out["ConsumedCapacity"], {"TableName": self.T, "CapacityUnits": 1.0})

        got = client.get_item(TableName=self.T, Key=key, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(got["ConsumedCapacity"], {"TableName": self.T, "CapacityUnits": 0.5})
        g = got["Item"]
        self.assertEqual(set(g), set(item))
        for name in ("id", "n", "f", "b", "t", "z", "l", "m"):
            self.assertEqual(g[name], item[name], name)
        self.assertEqual(sorted(g["ss"]["SS"]), ["a", "b"])
        self.assertEqual(sorted(g["ns"]["NS"]), ["1", "2.5"])
        self.assertEqual(sorted(g["bs"]["BS"]), [b"\x01", b"\x02"])

        out = client.put_item(TableName=self.T, Item={"id": {"S": "k1"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
        self.assertEqual(out["Attributes"]["n"], {"N": "42"})

        out = client.delete_item(TableName=self.T, Key=key, ReturnValues="ALL_OLD", ReturnConsumedCapacity="TOTAL")
        self.assertEqual(out["Attributes"], {"id": {"S": "k1"}, "v": {"N": "2"}})
        self.assertEqual(out["ConsumedCapacity"], {"TableName": self.T, "CapacityUnits": 1.0})
        self.assertNotIn("Item", client.get_item(TableName=self.T, Key=key, ConsistentRead=True))
        self.assertNotIn("Attributes", client.delete_item(TableName=self.T, Key=key, ReturnValues="ALL_OLD"))

    def test_number_normalization(self):
        # DynamoDB stores numbers, not their spelling: it returns them without leading or
        # trailing zeros and without exponent.
        for sent, back in (("1.50", "1.5"), ("007", "7"), ("-0", "0"), ("1E+2", "100"), ("0.0100", "0.01")):
            client.put_item(TableName=self.T, Item={"id": {"S": f"num-{sent}"}, "v": {"N": sent}})
            got = client.get_item(TableName=self.T, Key={"id": {"S": f"num-{sent}"}})["Item"]
            self.assertEqual(got["v"], {"N": back}, sent)
            client.delete_item(TableName=self.T, Key={"id": {"S": f"num-{sent}"}})

    def test_item_count(self):
        name = f"{PREFIX}-count"
        create_table(name)
        wait_exists(name)
        for i in range(5):
            client.put_item(TableName=name, Item={"id": {"S": f"i{i}"}, "payload": {"S": "x" * 100}})
        client.put_item(TableName=name, Item={"id": {"S": "i0"}, "payload": {"S": "overwritten"}})
        t = client.describe_table(TableName=name)["Table"]
        self.assertEqual(t["ItemCount"], 5)
        self.assertGreater(t["TableSizeBytes"], 0)
        client.delete_item(TableName=name, Key={"id": {"S": "i1"}})
        client.delete_item(TableName=name, Key={"id": {"S": "never-there"}})
        self.assertEqual(client.describe_table(TableName=name)["Table"]["ItemCount"], 4)

    def test_missing_table(self):
        name = f"{PREFIX}-missing"
        for fn, kwargs in (
            (client.get_item, dict(Key={"id": {"S": "a"}})),
            (client.put_item, dict(Item={"id": {"S": "a"}})),
            (client.delete_item, dict(Key={"id": {"S": "a"}})),
        ):
            self.assertClientError(fn, "ResourceNotFoundException", "Requested resource not found", TableName=name, **kwargs)

    def test_key_validation(self):
        msg = "The provided key element does not match the schema"
        self.assertClientError(client.get_item, "ValidationException", msg, TableName=self.T, Key={"other": {"S": "a"}})
        self.assertClientError(client.get_item, "ValidationException", msg, TableName=self.T, Key={"id": {"N": "1"}})
        self.assertClientError(
            client.get_item, "ValidationException", msg, TableName=self.T, Key={"id": {"S": "a"}, "x": {"S": "b"}}
        )
        self.assertClientError(client.delete_item, "ValidationException", msg, TableName=self.T, Key={"other": {"S": "a"}})
        self.assertClientError(
            client.put_item,
            "ValidationException",
            "One or more parameter values were invalid: Missing the key id in the item",
            TableName=self.T,
            Item={"other": {"S": "a"}},
        )
        self.assertClientError(
            client.put_item,
            "ValidationException",
            "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
            TableName=self.T,
            Item={"id": {"N": "1"}},
        )
        self.assertClientError(
            client.put_item,
            "ValidationException",
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: id",
            TableName=self.T,
            Item={"id": {"S": ""}},
        )

    def test_return_values_validation(self):
        self.assertClientError(
            client.put_item,
            "ValidationException",
            "ReturnValues can only be ALL_OLD or NONE",
            TableName=self.T,
            Item={"id": {"S": "rv"}},
            ReturnValues="ALL_NEW",
        )

    def test_item_too_large(self):
        self.assertClientError(
            client.put_item,
            "ValidationException",
            "Item size has exceeded the maximum allowed size",
            TableName=self.T,
            Item={"id": {"S": "big"}, "blob": {"S": "x" * (400 * 1024 + 1)}},
        )
        # Just under the limit is fine.
        client.put_item(TableName=self.T, Item={"id": {"S": "big"}, "blob": {"S": "x" * (400 * 1024 - 100)}})
        got = client.get_item(TableName=self.T, Key={"id": {"S": "big"}})["Item"]
        self.assertEqual(len(got["blob"]["S"]), 400 * 1024 - 100)


class T3Resource(Base):
    """The resource API: Table.put_item / get_item with Decimal, nested types, Binary, sets."""

    T = f"{PREFIX}-res"

    @classmethod
    def setUpClass(cls):
        create_table(cls.T, hash_key="pk", hash_type="S", range_key="sk", range_type="N")
        wait_exists(cls.T)
        cls.table = resource.Table(cls.T)

    def test_table_attributes(self):
        self.assertEqual(self.table.table_status, "ACTIVE")
        self.assertEqual(
            self.table.key_schema,
            [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        )

    def test_put_get_rich_item(self):
        item = {
            "pk": "user#7",
            "sk": Decimal("1"),
            "name": "Grace",
            "age": Decimal("85"),
            "score": Decimal("-12.375"),
            "big": Decimal("123456789012345678901234567890.123"),
            "active": False,
            "nothing": None,
            "photo": Binary(b"\x89PNG\r\n\x1a\n"),
            "roles": {"admin", "dev"},
            "lucky": {Decimal("7"), Decimal("13")},
            "blobs": {Binary(b"a"), Binary(b"bc")},
            "address": {"city": "Arlington", "geo": {"lat": Decimal("38.88"), "lon": Decimal("-77.1")}},
            "history": [Decimal("1"), "two", {"three": [Decimal("3")]}, [], {}],
            "unicode": "naïve café ✓ 🎉",
        }
        out = self.table.put_item(Item=item)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        got = self.table.get_item(Key={"pk": "user#7", "sk": 1})
        self.assertEqual(got["Item"], item)
        self.assertIsInstance(got["Item"]["age"], Decimal)
        self.assertIsInstance(got["Item"]["photo"], Binary)

        old = self.table.put_item(Item={"pk": "user#7", "sk": 1, "name": "Grace Hopper"}, ReturnValues="ALL_OLD")
        self.assertEqual(old["Attributes"], item)
        self.assertEqual(self.table.get_item(Key={"pk": "user#7", "sk": 1})["Item"]["name"], "Grace Hopper")

        deleted = self.table.delete_item(Key={"pk": "user#7", "sk": 1}, ReturnValues="ALL_OLD")
        self.assertEqual(deleted["Attributes"], {"pk": "user#7", "sk": Decimal("1"), "name": "Grace Hopper"})
        self.assertNotIn("Item", self.table.get_item(Key={"pk": "user#7", "sk": 1}))

    def test_projection(self):
        self.table.put_item(Item={"pk": "p", "sk": 2, "a": "1", "b": {"c": "2", "d": "3"}, "l": ["x", "y"]})
        got = self.table.get_item(Key={"pk": "p", "sk": 2}, ProjectionExpression="a, b.c, l[1]")
        # Nested paths keep their nesting; list elements are packed from index 0.
        self.assertEqual(got["Item"], {"a": "1", "b": {"c": "2"}, "l": ["y"]})
        got = self.table.get_item(
            Key={"pk": "p", "sk": 2}, ProjectionExpression="#b.#d, absent_attr", ExpressionAttributeNames={"#b": "b", "#d": "d"}
        )
        self.assertEqual(got["Item"], {"b": {"d": "3"}})
        got = self.table.get_item(Key={"pk": "p", "sk": 2}, ProjectionExpression="absent_a, absent_b")
        self.assertEqual(got["Item"], {}, "an existing item with no projected attribute is an empty Item")


class T5Expressions(Base):
    """update_item, conditions, query, scan (parallel, paginated, filtered), legacy parameters."""

    T = f"{PREFIX}-expr"
    # pk "user#1" with sk 1..7 and pk "user#2" with sk 1..3; v = 10 * sk; kind even/odd.
    ITEMS = [("user#1", i) for i in range(1, 8)] + [("user#2", i) for i in range(1, 4)]

    @classmethod
    def setUpClass(cls):
        create_table(cls.T, hash_key="pk", hash_type="S", range_key="sk", range_type="N")
        wait_exists(cls.T)
        cls.table = resource.Table(cls.T)
        with cls.table.batch_writer() as batch:
            for pk, sk in cls.ITEMS:
                batch.put_item(
                    Item={"pk": pk, "sk": sk, "v": 10 * sk, "kind": "even" if sk % 2 == 0 else "odd", "note": f"n{sk}"}
                )

    # ---- UpdateItem (client)
    def test_update_item_client(self):
        key = {"pk": {"S": "upd"}, "sk": {"N": "1"}}
        # An update of a missing item creates it; ALL_OLD of a missing item has no Attributes.
        out = client.update_item(
            TableName=self.T,
            Key=key,
            UpdateExpression="SET #n = :n, cnt = if_not_exists(cnt, :zero) + :one, gone = :g ADD tags :t",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues={
                ":n": {"S": "Ada"},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":g": {"BOOL": True},
                ":t": {"SS": ["a"]},
            },
            ReturnValues="ALL_OLD",
        )
        self.assertNotIn("Attributes", out)
        out = client.update_item(
            TableName=self.T,
            Key=key,
            UpdateExpression="SET cnt = cnt + :one, l = list_append(if_not_exists(l, :empty), :l) REMOVE gone ADD tags :t",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":empty": {"L": []},
                ":l": {"L": [{"N": "1"}, {"N": "2"}]},
                ":t": {"SS": ["b"]},
            },
            ReturnValues="ALL_NEW",
            ReturnConsumedCapacity="TOTAL",
        )
        a = out["Attributes"]
        self.assertEqual(sorted(a["tags"]["SS"]), ["a", "b"])
        del a["tags"]
        self.assertEqual(
            a,
            {
                "pk": {"S": "upd"},
                "sk": {"N": "1"},
                "name": {"S": "Ada"},
                "cnt": {"N": "2"},
                "l": {"L": [{"N": "1"}, {"N": "2"}]},
            },
        )
        self.assertEqual(out["ConsumedCapacity"], {"TableName": self.T, "CapacityUnits": 1.0})

        out = client.update_item(
            TableName=self.T,
            Key=key,
            UpdateExpression="SET cnt = cnt - :one, l[0] = :x DELETE tags :t",
            ExpressionAttributeValues={":one": {"N": "1"}, ":x": {"S": "first"}, ":t": {"SS": ["a"]}},
            ReturnValues="UPDATED_NEW",
        )
        self.assertEqual(out["Attributes"], {"cnt": {"N": "1"}, "l": {"L": [{"S": "first"}]}, "tags": {"SS": ["b"]}})
        out = client.update_item(
            TableName=self.T,
            Key=key,
            UpdateExpression="REMOVE l[0], #n",
            ExpressionAttributeNames={"#n": "name"},
            ReturnValues="UPDATED_OLD",
        )
        self.assertEqual(out["Attributes"], {"name": {"S": "Ada"}, "l": {"L": [{"S": "first"}]}})
        got = client.get_item(TableName=self.T, Key=key, ConsistentRead=True)["Item"]
        self.assertEqual(
            got, {"pk": {"S": "upd"}, "sk": {"N": "1"}, "cnt": {"N": "1"}, "l": {"L": [{"N": "2"}]}, "tags": {"SS": ["b"]}}
        )

    def test_update_item_errors(self):
        key = {"pk": {"S": "upd-err"}, "sk": {"N": "1"}}
        self.assertClientError(
            client.update_item,
            "ValidationException",
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
            TableName=self.T,
            Key=key,
            UpdateExpression="SET pk = :v",
            ExpressionAttributeValues={":v": {"S": "x"}},
        )
        self.assertClientError(
            client.update_item,
            "ValidationException",
            "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
            "attribute value: :missing",
            TableName=self.T,
            Key=key,
            UpdateExpression="SET a = :missing",
        )
        self.assertClientError(
            client.update_item,
            "ValidationException",
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
            TableName=self.T,
            Key=key,
            UpdateExpression="SET a = :v",
            ExpressionAttributeValues={":v": {"S": "x"}, ":unused": {"S": "y"}},
        )
        self.assertClientError(
            client.update_item,
            "ValidationException",
            re.compile(r"^Can not use both expression and non-expression parameters in the same request"),
            TableName=self.T,
            Key=key,
            UpdateExpression="SET a = :v",
            ExpressionAttributeValues={":v": {"S": "x"}},
            AttributeUpdates={"b": {"Action": "PUT", "Value": {"S": "y"}}},
        )
        # None of the refused updates wrote anything.
        self.assertNotIn("Item", client.get_item(TableName=self.T, Key=key, ConsistentRead=True))

    # ---- conditions
    def test_conditional_writes(self):
        key = {"pk": {"S": "cond"}, "sk": {"N": "1"}}
        item = {**key, "state": {"S": "new"}, "version": {"N": "1"}}
        client.put_item(TableName=self.T, Item=item, ConditionExpression="attribute_not_exists(pk)")
        with self.assertRaises(client.exceptions.ConditionalCheckFailedException) as cm:
            client.put_item(TableName=self.T, Item={**key, "state": {"S": "dup"}}, ConditionExpression="attribute_not_exists(pk)")
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "ConditionalCheckFailedException")
        self.assertEqual(err["Error"]["Message"], "The conditional request failed")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertNotIn("Item", err)

        # ReturnValuesOnConditionCheckFailure=ALL_OLD: the item as it is comes with the error.
        with self.assertRaises(client.exceptions.ConditionalCheckFailedException) as cm:
            client.update_item(
                TableName=self.T,
                Key=key,
                UpdateExpression="SET #s = :s, version = version + :one",
                ConditionExpression="version = :expected",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":s": {"S": "done"}, ":one": {"N": "1"}, ":expected": {"N": "7"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        self.assertEqual(cm.exception.response["Item"], item)

        out = client.update_item(
            TableName=self.T,
            Key=key,
            UpdateExpression="SET #s = :s, version = version + :one",
            ConditionExpression="version = :expected AND begins_with(#s, :prefix)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":s": {"S": "done"},
                ":one": {"N": "1"},
                ":expected": {"N": "1"},
                ":prefix": {"S": "ne"},
            },
            ReturnValues="UPDATED_NEW",
        )
        self.assertEqual(out["Attributes"], {"state": {"S": "done"}, "version": {"N": "2"}})

        with self.assertRaises(client.exceptions.ConditionalCheckFailedException) as cm:
            client.delete_item(
                TableName=self.T,
                Key=key,
                ConditionExpression="#s <> :s",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":s": {"S": "done"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        self.assertEqual(cm.exception.response["Item"]["version"], {"N": "2"})
        out = client.delete_item(
            TableName=self.T,
            Key=key,
            ConditionExpression="attribute_exists(version) AND version IN (:a, :b)",
            ExpressionAttributeValues={":a": {"N": "2"}, ":b": {"N": "3"}},
            ReturnValues="ALL_OLD",
        )
        self.assertEqual(out["Attributes"]["state"], {"S": "done"})
        # A condition on a missing item sees no attributes at all.
        with self.assertRaises(client.exceptions.ConditionalCheckFailedException):
            client.delete_item(TableName=self.T, Key=key, ConditionExpression="attribute_exists(pk)")

    def test_legacy_expected_and_attribute_updates(self):
        key = {"pk": {"S": "legacy"}, "sk": {"N": "1"}}
        client.put_item(
            TableName=self.T,
            Item={**key, "v": {"N": "10"}, "s": {"S": "x"}},
            Expected={"pk": {"Exists": False}},
        )
        out = client.update_item(
            TableName=self.T,
            Key=key,
            AttributeUpdates={
                "v": {"Action": "ADD", "Value": {"N": "5"}},
                "s": {"Action": "DELETE"},
                "t": {"Action": "PUT", "Value": {"SS": ["p", "q"]}},
            },
            Expected={"v": {"Value": {"N": "10"}}, "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]}},
            ReturnValues="ALL_NEW",
        )
        a = out["Attributes"]
        self.assertEqual(sorted(a.pop("t")["SS"]), ["p", "q"])
        self.assertEqual(a, {**key, "v": {"N": "15"}})
        with self.assertRaises(client.exceptions.ConditionalCheckFailedException) as cm:
            client.update_item(
                TableName=self.T,
                Key=key,
                AttributeUpdates={"v": {"Action": "PUT", "Value": {"N": "0"}}},
                Expected={"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "100"}]}},
            )
        self.assertEqual(cm.exception.response["Error"]["Message"], "The conditional request failed")
        with self.assertRaises(client.exceptions.ConditionalCheckFailedException):
            client.delete_item(TableName=self.T, Key=key, Expected={"v": {"Exists": False}})
        # Legacy reads: KeyConditions + QueryFilter, ScanFilter, AttributesToGet.
        q = client.query(
            TableName=self.T,
            KeyConditions={
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "user#1"}]},
                "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "3"}]},
            },
            QueryFilter={"kind": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "odd"}]}},
            AttributesToGet=["sk", "v"],
        )
        self.assertEqual(q["Items"], [{"sk": {"N": str(i)}, "v": {"N": str(10 * i)}} for i in (3, 5, 7)])
        self.assertEqual((q["Count"], q["ScannedCount"]), (3, 5))
        s = client.scan(
            TableName=self.T,
            ScanFilter={"v": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "20"}, {"N": "30"}]}},
        )
        self.assertEqual(sorted((i["pk"]["S"], i["sk"]["N"]) for i in s["Items"]), [("user#1", "2"), ("user#1", "3"), ("user#2", "2"), ("user#2", "3")])
        client.delete_item(TableName=self.T, Key=key, Expected={"v": {"Value": {"N": "15"}}})

    # ---- Query (client)
    def test_query_client(self):
        out = client.query(
            TableName=self.T,
            KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={":p": {"S": "user#1"}, ":lo": {"N": "2"}, ":hi": {"N": "5"}},
            ReturnConsumedCapacity="TOTAL",
        )
        self.assertEqual([i["sk"]["N"] for i in out["Items"]], ["2", "3", "4", "5"])
        self.assertEqual(out["Items"][0], {"pk": {"S": "user#1"}, "sk": {"N": "2"}, "v": {"N": "20"}, "kind": {"S": "even"}, "note": {"S": "n2"}})
        self.assertEqual((out["Count"], out["ScannedCount"]), (4, 4))
        self.assertNotIn("LastEvaluatedKey", out)
        self.assertEqual(out["ConsumedCapacity"], {"TableName": self.T, "CapacityUnits": 0.5})

        desc = client.query(
            TableName=self.T,
            KeyConditionExpression="pk = :p AND sk < :hi",
            ExpressionAttributeValues={":p": {"S": "user#1"}, ":hi": {"N": "4"}},
            ScanIndexForward=False,
            ProjectionExpression="sk",
        )
        self.assertEqual(desc["Items"], [{"sk": {"N": "3"}}, {"sk": {"N": "2"}}, {"sk": {"N": "1"}}])

        # Limit + ExclusiveStartKey, by hand.
        seen, start, pages = [], None, 0
        while True:
            kwargs = dict(ExclusiveStartKey=start) if start else {}
            page = client.query(
                TableName=self.T,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "user#1"}},
                Limit=3,
                **kwargs,
            )
            pages += 1
            self.assertLessEqual(page["Count"], 3)
            seen += [int(i["sk"]["N"]) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            self.assertEqual(start, {"pk": {"S": "user#1"}, "sk": page["Items"][-1]["sk"]})
        self.assertEqual(seen, [1, 2, 3, 4, 5, 6, 7])
        self.assertEqual(pages, 3)

        # Filter: Count counts what is returned, ScannedCount what was read.
        f = client.query(
            TableName=self.T,
            KeyConditionExpression="pk = :p",
            FilterExpression="kind = :k AND v > :v",
            ExpressionAttributeValues={":p": {"S": "user#1"}, ":k": {"S": "even"}, ":v": {"N": "20"}},
        )
        self.assertEqual([i["sk"]["N"] for i in f["Items"]], ["4", "6"])
        self.assertEqual((f["Count"], f["ScannedCount"]), (2, 7))
        c = client.query(
            TableName=self.T,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "user#2"}},
            Select="COUNT",
        )
        self.assertNotIn("Items", c)
        self.assertEqual((c["Count"], c["ScannedCount"]), (3, 3))
        none = client.query(
            TableName=self.T, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "nobody"}}
        )
        self.assertEqual((none["Items"], none["Count"], none["ScannedCount"]), ([], 0, 0))

    def test_query_errors(self):
        self.assertClientError(
            client.query,
            "ValidationException",
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            TableName=self.T,
        )
        self.assertClientError(
            client.query,
            "ValidationException",
            "Query condition missed key schema element: pk",
            TableName=self.T,
            KeyConditionExpression="sk = :s",
            ExpressionAttributeValues={":s": {"N": "1"}},
        )
        self.assertClientError(
            client.query,
            "ResourceNotFoundException",
            "Requested resource not found",
            TableName=f"{PREFIX}-missing",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "a"}},
        )

    def test_expression_validation(self):
        key = {"pk": {"S": "user#1"}, "sk": {"N": "1"}}
        cases = [
            (
                client.query,
                dict(KeyConditionExpression="pk = :p", FilterExpression="sk > :x",
                     ExpressionAttributeValues={":p": {"S": "user#1"}, ":x": {"N": "1"}}),
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
            ),
            (
                client.query,
                dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "user#1"}},
                     ExclusiveStartKey={"pk": {"S": "user#2"}, "sk": {"N": "1"}}),
                "The provided starting key is outside query boundaries based on provided conditions",
            ),
            (
                client.scan,
                dict(Segment=1),
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ),
            (
                client.update_item,
                dict(Key=key, UpdateExpression="SET a = :v, a = :v", ExpressionAttributeValues={":v": {"S": "1"}}),
                "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
                "these paths; path one: [a], path two: [a]",
            ),
            (
                client.update_item,
                dict(Key=key, UpdateExpression="ADD kind :n", ExpressionAttributeValues={":n": {"N": "1"}}),
                "An operand in the update expression has an incorrect data type",
            ),
            (
                client.update_item,
                dict(Key=key, UpdateExpression="SET v = v + :s", ExpressionAttributeValues={":s": {"S": "1"}}),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, "
                "operand type: S",
            ),
            (
                client.update_item,
                dict(Key=key, UpdateExpression="SET nomap.x = :s", ExpressionAttributeValues={":s": {"S": "1"}}),
                "The document path provided in the update expression is invalid for update",
            ),
            (
                client.get_item,
                dict(Key=key, ProjectionExpression="v", AttributesToGet=["v"]),
                "Can not use both expression and non-expression parameters in the same request: "
                "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            ),
        ]
        for fn, kwargs, message in cases:
            with self.subTest(message=message):
                self.assertClientError(fn, "ValidationException", message, TableName=self.T, **kwargs)
        # Below botocore's own check of Limit's minimum, DynamoDB's.
        unchecked = boto3.client("dynamodb", **{**_kwargs, "config": _kwargs["config"].merge(Config(parameter_validation=False))})
        self.assertClientError(
            unchecked.query,
            "ValidationException",
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
            TableName=self.T,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "user#1"}},
            Limit=0,
        )
        # The refused updates changed nothing.
        item = client.get_item(TableName=self.T, Key=key, ConsistentRead=True)["Item"]
        self.assertEqual(item, {**key, "v": {"N": "10"}, "kind": {"S": "odd"}, "note": {"S": "n1"}})

    # ---- Scan (client), parallel
    def test_parallel_scan(self):
        everything = client.scan(TableName=self.T, ConsistentRead=True)
        all_keys = sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in everything["Items"])
        for pk, sk in self.ITEMS:
            self.assertIn((pk, sk), all_keys)
        self.assertEqual(everything["Count"], len(everything["Items"]))

        for total in (1, 2, 4):
            keys = []
            for segment in range(total):
                start = None
                while True:
                    kwargs = dict(ExclusiveStartKey=start) if start else {}
                    page = client.scan(TableName=self.T, Segment=segment, TotalSegments=total, Limit=2, ConsistentRead=True, **kwargs)
                    keys += [(i["pk"]["S"], int(i["sk"]["N"])) for i in page["Items"]]
                    start = page.get("LastEvaluatedKey")
                    if not start:
                        break
            self.assertEqual(sorted(keys), all_keys, f"TotalSegments={total}: every item exactly once")

        self.assertClientError(
            client.scan,
            "ValidationException",
            re.compile(r"Segment"),
            TableName=self.T,
            Segment=4,
            TotalSegments=4,
        )
        count = client.scan(
            TableName=self.T,
            Select="COUNT",
            FilterExpression="begins_with(pk, :u) AND kind = :k",
            ExpressionAttributeValues={":u": {"S": "user#"}, ":k": {"S": "odd"}},
        )
        self.assertNotIn("Items", count)
        self.assertEqual(count["Count"], 6)
        self.assertEqual(count["ScannedCount"], len(all_keys))

    # ---- resource API
    def test_resource_update_item(self):
        out = self.table.update_item(
            Key={"pk": "res-upd", "sk": 1},
            UpdateExpression="SET score = :s, profile = :p ADD visits :one",
            ExpressionAttributeValues={":s": Decimal("9.5"), ":p": {"city": "Paris", "langs": ["fr", "en"]}, ":one": 1},
            ReturnValues="ALL_NEW",
        )
        self.assertEqual(
            out["Attributes"],
            {
                "pk": "res-upd",
                "sk": Decimal("1"),
                "score": Decimal("9.5"),
                "visits": Decimal("1"),
                "profile": {"city": "Paris", "langs": ["fr", "en"]},
            },
        )
        out = self.table.update_item(
            Key={"pk": "res-upd", "sk": 1},
            UpdateExpression="SET profile.city = :c ADD visits :one REMOVE score",
            ConditionExpression=Attr("visits").eq(1) & Attr("profile.city").exists(),
            ExpressionAttributeValues={":c": "Lyon", ":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        self.assertEqual(out["Attributes"], {"profile": {"city": "Lyon"}, "visits": Decimal("2")})
        with self.assertRaises(client.exceptions.ConditionalCheckFailedException):
            self.table.update_item(
                Key={"pk": "res-upd", "sk": 1},
                UpdateExpression="SET x = :x",
                ConditionExpression=Attr("score").exists(),
                ExpressionAttributeValues={":x": 1},
            )
        with self.assertRaises(self.table.meta.client.exceptions.ConditionalCheckFailedException):
            self.table.put_item(Item={"pk": "res-upd", "sk": 1}, ConditionExpression=Attr("pk").not_exists())

    def test_resource_query_with_conditions(self):
        out = self.table.query(KeyConditionExpression=Key("pk").eq("user#1") & Key("sk").between(3, 6))
        self.assertEqual([i["sk"] for i in out["Items"]], [3, 4, 5, 6])
        self.assertEqual(out["Items"][0], {"pk": "user#1", "sk": 3, "v": 30, "kind": "odd", "note": "n3"})
        out = self.table.query(
            KeyConditionExpression=Key("pk").eq("user#1") & Key("sk").gt(2),
            FilterExpression=Attr("kind").eq("odd") & Attr("v").lt(70),
            ProjectionExpression="sk, v",
            ScanIndexForward=False,
        )
        self.assertEqual(out["Items"], [{"sk": 5, "v": 50}, {"sk": 3, "v": 30}])
        self.assertEqual((out["Count"], out["ScannedCount"]), (2, 5))
        out = self.table.query(KeyConditionExpression=Key("pk").eq("user#2") & Key("sk").lte(2), Select="COUNT")
        self.assertEqual(out["Count"], 2)

    def test_resource_scan_with_attr(self):
        out = self.table.scan(FilterExpression=Attr("pk").begins_with("user#") & Attr("v").is_in([10, 30, 70]))
        self.assertEqual(sorted((i["pk"], i["sk"]) for i in out["Items"]), [("user#1", 1), ("user#1", 3), ("user#1", 7), ("user#2", 1), ("user#2", 3)])
        out = self.table.scan(
            FilterExpression=Attr("note").contains("3") | (Attr("kind").eq("even") & Attr("pk").eq("user#2")),
            ProjectionExpression="pk, sk",
        )
        self.assertEqual(sorted((i["pk"], i["sk"]) for i in out["Items"]), [("user#1", 3), ("user#2", 2), ("user#2", 3)])
        self.assertTrue(all(set(i) == {"pk", "sk"} for i in out["Items"]))
        out = self.table.scan(FilterExpression=Attr("no_such").not_exists() & Attr("v").gte(60))
        self.assertEqual(sorted((i["pk"], i["sk"]) for i in out["Items"]), [("user#1", 6), ("user#1", 7)])

    def test_query_and_scan_paginators(self):
        pages = list(
            client.get_paginator("query").paginate(
                TableName=self.T,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "user#1"}},
                PaginationConfig={"PageSize": 2},
            )
        )
        self.assertEqual([p["Count"] for p in pages], [2, 2, 2, 1])
        self.assertEqual([int(i["sk"]["N"]) for p in pages for i in p["Items"]], [1, 2, 3, 4, 5, 6, 7])
        self.assertNotIn("LastEvaluatedKey", pages[-1])

        # A filter that drops items: pages can be short or empty, the total is right.
        pages = list(
            client.get_paginator("query").paginate(
                TableName=self.T,
                KeyConditionExpression="pk = :p",
                FilterExpression="kind = :k",
                ExpressionAttributeValues={":p": {"S": "user#1"}, ":k": {"S": "even"}},
                ScanIndexForward=False,
                PaginationConfig={"PageSize": 3},
            )
        )
        self.assertEqual([p["ScannedCount"] for p in pages], [3, 3, 1])
        self.assertEqual([int(i["sk"]["N"]) for p in pages for i in p["Items"]], [6, 4, 2])

        merged = client.get_paginator("query").paginate(
            TableName=self.T,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "user#1"}},
            PaginationConfig={"PageSize": 2, "MaxItems": 5},
        ).build_full_result()
        self.assertEqual([int(i["sk"]["N"]) for i in merged["Items"]], [1, 2, 3, 4, 5])
        self.assertIn("NextToken", merged)

        scan_pages = list(client.get_paginator("scan").paginate(TableName=self.T, PaginationConfig={"PageSize": 3}))
        self.assertGreaterEqual(len(scan_pages), 4)
        keys = [(i["pk"]["S"], int(i["sk"]["N"])) for p in scan_pages for i in p["Items"]]
        self.assertEqual(len(keys), len(set(keys)), "no item twice")
        for pk, sk in self.ITEMS:
            self.assertIn((pk, sk), keys)
        for p in scan_pages:
            self.assertLessEqual(p["ScannedCount"], 3)

        # Without Limit, a page stops after 1 MB of items: 4 items of ~390 KB need 2 pages or more.
        blob = "x" * (390 * 1024)
        for i in range(4):
            self.table.put_item(Item={"pk": "big", "sk": i, "blob": blob})
        first = client.query(
            TableName=self.T, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}}
        )
        self.assertIn("LastEvaluatedKey", first, "a page holds at most 1 MB")
        self.assertLess(first["Count"], 4)
        pages = list(
            client.get_paginator("query").paginate(
                TableName=self.T,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "big"}},
                ProjectionExpression="sk",
            )
        )
        self.assertGreaterEqual(len(pages), 2)
        self.assertEqual([int(i["sk"]["N"]) for p in pages for i in p["Items"]], [0, 1, 2, 3])
        for i in range(4):
            self.table.delete_item(Key={"pk": "big", "sk": i})

        # The resource API does not paginate: follow LastEvaluatedKey by hand.
        got, kwargs = [], {}
        while True:
            page = self.table.scan(FilterExpression=Attr("pk").eq("user#2"), Limit=4, **kwargs)
            got += [i["sk"] for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
        self.assertEqual(sorted(got), [1, 2, 3])


class T6Batches(Base):
    """batch_writer, batch_write_item, batch_get_item, transact_write_items, transact_get_items,
    ClientRequestToken."""

    T = f"{PREFIX}-batch"  # pk S + sk N
    T2 = f"{PREFIX}-batch2"  # id S

    @classmethod
    def setUpClass(cls):
        create_table(cls.T, hash_key="pk", hash_type="S", range_key="sk", range_type="N")
        create_table(cls.T2)
        wait_exists(cls.T, cls.T2)

    def test_batch_writer_and_batch_get_item(self):
        # The resource's batch writer sends BatchWriteItem whenever 25 writes are buffered, and the
        # rest on leaving the block: 60 puts and 10 deletes are three calls (25, 25, 20).
        calls = []
        events = resource.meta.client.meta.events

        def count(**kwargs):
            calls.append(len(kwargs["params"]["RequestItems"][self.T]))

        events.register("before-parameter-build.dynamodb.BatchWriteItem", count)
        try:
            with resource.Table(self.T).batch_writer() as batch:
                for sk in range(60):
                    batch.put_item(Item={"pk": "bw", "sk": sk, "v": sk * 10, "pad": "x" * 50})
                for sk in range(10):
                    batch.delete_item(Key={"pk": "bw", "sk": sk})
        finally:
            events.unregister("before-parameter-build.dynamodb.BatchWriteItem", count)
        self.assertEqual(calls, [25, 25, 20])
        found = client.query(
            TableName=self.T,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "bw"}},
            Select="COUNT",
            ConsistentRead=True,
        )["Count"]
        self.assertEqual(found, 50)

        client.put_item(TableName=self.T2, Item={"id": {"S": "solo"}, "x": {"S": "y"}})
        keys = [{"pk": {"S": "bw"}, "sk": {"N": str(sk)}} for sk in range(60)]
        out = client.batch_get_item(
            RequestItems={
                self.T: {"Keys": keys, "ProjectionExpression": "sk, #v", "ExpressionAttributeNames": {"#v": "v"}},
                self.T2: {"Keys": [{"id": {"S": "solo"}}, {"id": {"S": "nobody"}}], "ConsistentRead": True},
            },
            ReturnConsumedCapacity="TOTAL",
        )
        got = sorted(out["Responses"][self.T], key=lambda item: int(item["sk"]["N"]))
        self.assertEqual(got, [{"sk": {"N": str(sk)}, "v": {"N": str(sk * 10)}} for sk in range(10, 60)])
        self.assertEqual(out["Responses"][self.T2], [{"id": {"S": "solo"}, "x": {"S": "y"}}])
        self.assertEqual(out["UnprocessedKeys"], {})
        self.assertEqual(sorted(c["TableName"] for c in out["ConsumedCapacity"]), sorted([self.T, self.T2]))

    def test_batch_write_item_client_and_errors(self):
        out = client.batch_write_item(
            RequestItems={
                self.T: [{"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"N": str(i)}}}} for i in range(3)],
                self.T2: [
                    {"PutRequest": {"Item": {"id": {"S": "c"}}}},
                    {"DeleteRequest": {"Key": {"id": {"S": "never-there"}}}},
                ],
            },
            ReturnConsumedCapacity="TOTAL",
        )
        self.assertEqual(out["UnprocessedItems"], {})
        capacity = {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]}
        self.assertEqual(capacity, {self.T: 3.0, self.T2: 2.0})
        self.assertIn("Item", client.get_item(TableName=self.T, Key={"pk": {"S": "c"}, "sk": {"N": "2"}}))

        dup_key = {"pk": {"S": "dup"}, "sk": {"N": "1"}}
        self.assertClientError(
            client.batch_write_item,
            "ValidationException",
            "Provided list of item keys contains duplicates",
            RequestItems={
                self.T: [
                    {"PutRequest": {"Item": {**dup_key, "a": {"S": "1"}}}},
                    {"DeleteRequest": {"Key": dup_key}},
                ]
            },
        )
        self.assertNotIn("Item", client.get_item(TableName=self.T, Key=dup_key, ConsistentRead=True))
        self.assertClientError(
            client.batch_write_item,
            "ValidationException",
            re.compile(r"Member must have length less than or equal to 25"),
            RequestItems={self.T: [{"PutRequest": {"Item": {"pk": {"S": "many"}, "sk": {"N": str(i)}}}} for i in range(26)]},
        )
        self.assertClientError(
            client.batch_get_item,
            "ValidationException",
            "Provided list of item keys contains duplicates",
            RequestItems={self.T: {"Keys": [dup_key, dup_key]}},
        )

    def test_transact_write_items_canceled(self):
        client.put_item(TableName=self.T2, Item={"id": {"S": "acct"}, "balance": {"N": "5"}})
        with self.assertRaises(ClientError) as cm:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.T, "Item": {"pk": {"S": "tx"}, "sk": {"N": "1"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": self.T2,
                            "Key": {"id": {"S": "acct"}},
                            "ConditionExpression": "balance >= :amount",
                            "ExpressionAttributeValues": {":amount": {"N": "10"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.T2,
                            "Key": {"id": {"S": "log"}},
                            "UpdateExpression": "ADD entries :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
            )
        self.assertIsInstance(cm.exception, client.exceptions.TransactionCanceledException)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "TransactionCanceledException")
        self.assertEqual(
            err["Error"]["Message"],
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, ConditionalCheckFailed, None]",
        )
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(
            err["CancellationReasons"],
            [
                {"Code": "None"},
                {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                    "Item": {"id": {"S": "acct"}, "balance": {"N": "5"}},
                },
                {"Code": "None"},
            ],
        )
        # Nothing of the transaction was applied.
        self.assertNotIn("Item", client.get_item(TableName=self.T, Key={"pk": {"S": "tx"}, "sk": {"N": "1"}}))
        self.assertNotIn("Item", client.get_item(TableName=self.T2, Key={"id": {"S": "log"}}))

    def test_transact_write_items_and_transact_get_items(self):
        gone = {"pk": {"S": "tg-gone"}, "sk": {"N": "1"}}
        client.put_item(TableName=self.T, Item=gone)
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.T,
                        "Item": {"pk": {"S": "tg"}, "sk": {"N": "1"}, "a": {"S": "x"}, "m": {"M": {"b": {"N": "1"}, "c": {"N": "2"}}}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self.T2,
                        "Key": {"id": {"S": "tg"}},
                        "UpdateExpression": "SET c = :c",
                        "ExpressionAttributeValues": {":c": {"BOOL": True}},
                    }
                },
                {"Delete": {"TableName": self.T, "Key": gone, "ConditionExpression": "attribute_exists(pk)"}},
            ]
        )
        out = client.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": self.T, "Key": {"pk": {"S": "tg"}, "sk": {"N": "1"}}, "ProjectionExpression": "a, m.b"}},
                {"Get": {"TableName": self.T2, "Key": {"id": {"S": "tg"}}}},
                {"Get": {"TableName": self.T, "Key": gone}},
            ],
            ReturnConsumedCapacity="TOTAL",
        )
        self.assertEqual(
            out["Responses"],
            [
                {"Item": {"a": {"S": "x"}, "m": {"M": {"b": {"N": "1"}}}}},
                {"Item": {"id": {"S": "tg"}, "c": {"BOOL": True}}},
                {},
            ],
        )
        self.assertEqual(sorted(c["TableName"] for c in out["ConsumedCapacity"]), sorted([self.T, self.T2]))
        self.assertClientError(
            client.transact_write_items,
            "ValidationException",
            "Transaction request cannot include multiple operations on one item",
            TransactItems=[
                {"Put": {"TableName": self.T2, "Item": {"id": {"S": "twice"}}}},
                {"Delete": {"TableName": self.T2, "Key": {"id": {"S": "twice"}}}},
            ],
        )

    def test_client_request_token(self):
        def add(n):
            return [
                {
                    "Update": {
                        "TableName": self.T2,
                        "Key": {"id": {"S": "counter"}},
                        "UpdateExpression": "ADD n :n",
                        "ExpressionAttributeValues": {":n": {"N": str(n)}},
                    }
                }
            ]

        token = f"token-{RUN}"
        client.transact_write_items(TransactItems=add(1), ClientRequestToken=token)
        client.transact_write_items(TransactItems=add(1), ClientRequestToken=token)
        counter = client.get_item(TableName=self.T2, Key={"id": {"S": "counter"}}, ConsistentRead=True)["Item"]
        self.assertEqual(counter["n"], {"N": "1"}, "the same request with the same token applies once")
        self.assertClientError(
            client.transact_write_items,
            "IdempotentParameterMismatchException",
            TransactItems=add(2),
            ClientRequestToken=token,
        )
        counter = client.get_item(TableName=self.T2, Key={"id": {"S": "counter"}}, ConsistentRead=True)["Item"]
        self.assertEqual(counter["n"], {"N": "1"})
        client.transact_write_items(TransactItems=add(2), ClientRequestToken=f"other-{RUN}")
        counter = client.get_item(TableName=self.T2, Key={"id": {"S": "counter"}}, ConsistentRead=True)["Item"]
        self.assertEqual(counter["n"], {"N": "3"}, "another token applies")


class T4Account(Base):
    """describe_limits, describe_endpoints."""

    def test_describe_limits(self):
        out = client.describe_limits()
        self.assertEqual(out["AccountMaxReadCapacityUnits"], 80000)
        self.assertEqual(out["AccountMaxWriteCapacityUnits"], 80000)
        self.assertEqual(out["TableMaxReadCapacityUnits"], 40000)
        self.assertEqual(out["TableMaxWriteCapacityUnits"], 40000)

    def test_describe_endpoints(self):
        out = client.describe_endpoints()
        self.assertGreaterEqual(len(out["Endpoints"]), 1)
        ep = out["Endpoints"][0]
        self.assertIsInstance(ep["Address"], str)
        self.assertTrue(ep["Address"])
        self.assertEqual(ep["CachePeriodInMinutes"], 1440)


class T7TimeToLive(Base):
    """update_time_to_live, describe_time_to_live, expiry of items (the e2e servers run with
    --ttl-scan-interval 0.2)."""

    T = f"{PREFIX}-ttl"

    @classmethod
    def setUpClass(cls):
        create_table(cls.T)
        wait_exists(cls.T)

    def test_time_to_live(self):
        out = client.describe_time_to_live(TableName=self.T)
        self.assertEqual(out["TimeToLiveDescription"], {"TimeToLiveStatus": "DISABLED"})
        now = int(time.time())
        client.put_item(TableName=self.T, Item={"id": {"S": "old"}, "expires": {"N": str(now - 60)}})
        client.put_item(TableName=self.T, Item={"id": {"S": "new"}, "expires": {"N": str(now + 3600)}})
        client.put_item(TableName=self.T, Item={"id": {"S": "text"}, "expires": {"S": str(now - 60)}})
        out = client.update_time_to_live(
            TableName=self.T, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
        )
        self.assertEqual(out["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "expires"})
        out = client.describe_time_to_live(TableName=self.T)
        self.assertEqual(
            out["TimeToLiveDescription"], {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
        )
        self.assertClientError(
            client.update_time_to_live,
            "ValidationException",
            "TimeToLive is already enabled",
            TableName=self.T,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
        )
        self.assertClientError(
            client.update_time_to_live,
            "ValidationException",
            "Time to live has been modified multiple times within a fixed interval",
            TableName=self.T,
            TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"},
        )
        deadline = time.time() + 20
        while "Item" in client.get_item(TableName=self.T, Key={"id": {"S": "old"}}):
            self.assertLess(time.time(), deadline, "the expired item is still there after 20 s")
            time.sleep(0.1)
        for kept in ("new", "text"):
            self.assertIn("Item", client.get_item(TableName=self.T, Key={"id": {"S": kept}}), kept)


def plain(item):
    """A typed item (client API) as plain values: numbers become Decimal, which compare equal to int."""
    return {k: DESERIALIZER.deserialize(v) for k, v in item.items()}


class T8Indexes(Base):
    """Secondary indexes: create_table with a local index (KEYS_ONLY) and global ones (INCLUDE,
    ALL), describe_table, query and scan paginators on indexes, sparse indexes, DynamoDB's index
    errors, a global index with a multi-attribute key, update_table adding a global index to a
    table with items (backfill) and deleting it."""

    T = f"{PREFIX}-idx"  # pk S + sk N; LSI by_amount; GSIs by_status (INCLUDE amount), by_area (ALL)
    T_MULTI = f"{PREFIX}-idx-multi"  # id S; GSI by_match: tournament + region, round + bracket
    T_LATER = f"{PREFIX}-idx-later"  # id S; GSI by_kind added and deleted by update_table

    @staticmethod
    def order(pk, sk):
        # amount is distinct within a partition, placed across the table: index orders are total.
        item = {
            "pk": pk,
            "sk": sk,
            "amount": (sk * 37) % 101,
            "placed": sk * 10 + (1 if pk == "c2" else 0),
            "note": f"order {pk}/{sk}",
        }
        if sk % 5:  # every fifth item has no status: not in by_status
            item["status"] = "open" if sk % 3 == 0 else "closed"
        if sk % 4 == 0:  # only every fourth item has an area: by_area is sparse
            item["area"] = "eu" if sk % 8 == 0 else "us"
        return item

    @classmethod
    def setUpClass(cls):
        cls.items = [cls.order(pk, sk) for pk in ("c1", "c2") for sk in range(1, 31)]
        cls.created = client.create_table(
            TableName=cls.T,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "amount", "AttributeType": "N"},
                {"AttributeName": "status", "AttributeType": "S"},
                {"AttributeName": "placed", "AttributeType": "N"},
                {"AttributeName": "area", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by_amount",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "amount", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_status",
                    "KeySchema": [
                        {"AttributeName": "status", "KeyType": "HASH"},
                        {"AttributeName": "placed", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]},
                },
                {
                    "IndexName": "by_area",
                    "KeySchema": [{"AttributeName": "area", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        CREATED.append(cls.T)
        wait_exists(cls.T)
        with resource.Table(cls.T).batch_writer() as batch:
            for item in cls.items:
                batch.put_item(Item=item)

    def query_pages(self, page_size, **kwargs):
        paginator = client.get_paginator("query")
        return list(paginator.paginate(TableName=self.T, PaginationConfig={"PageSize": page_size}, **kwargs))

    def assertPages(self, pages, expected, key_names, page_size):
        """pages concatenate to expected (plain items); every page but the last is full and its
        LastEvaluatedKey holds the table's and the index's keys of its last item."""
        self.assertEqual([plain(i) for p in pages for i in p["Items"]], expected)
        full, rest = divmod(len(expected), page_size)
        counts = [page_size] * full + ([rest] if rest else [])
        self.assertEqual([p["Count"] for p in pages if p["Count"]], counts)
        for page in pages:
            if "LastEvaluatedKey" in page:
                last = page["Items"][-1]
                self.assertEqual(page["LastEvaluatedKey"], {k: last[k] for k in key_names})
        self.assertNotIn("LastEvaluatedKey", pages[-1])

    def test_a_create_and_describe_table(self):
        created = self.created["TableDescription"]
        self.assertEqual([i["IndexName"] for i in created["LocalSecondaryIndexes"]], ["by_amount"])
        self.assertEqual(sorted(i["IndexName"] for i in created["GlobalSecondaryIndexes"]), ["by_area", "by_status"])
        for index in created["GlobalSecondaryIndexes"]:
            self.assertIn(index["IndexStatus"], ("CREATING", "ACTIVE"))

        t = client.describe_table(TableName=self.T)["Table"]
        self.assertEqual(
            sorted((d["AttributeName"], d["AttributeType"]) for d in t["AttributeDefinitions"]),
            [("amount", "N"), ("area", "S"), ("pk", "S"), ("placed", "N"), ("sk", "N"), ("status", "S")],
        )
        self.assertEqual(t["ItemCount"], 60)
        arn = t["TableArn"]
        (lsi,) = t["LocalSecondaryIndexes"]
        self.assertEqual(lsi["IndexName"], "by_amount")
        self.assertEqual(
            lsi["KeySchema"],
            [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "amount", "KeyType": "RANGE"}],
        )
        self.assertEqual(lsi["Projection"], {"ProjectionType": "KEYS_ONLY"})
        self.assertEqual(lsi["ItemCount"], 60)
        self.assertGreater(lsi["IndexSizeBytes"], 0)
        self.assertEqual(lsi["IndexArn"], f"{arn}/index/by_amount")
        self.assertTrue(lsi["IndexArn"].endswith("/index/by_amount"))

        gsis = {g["IndexName"]: g for g in t["GlobalSecondaryIndexes"]}
        self.assertEqual(sorted(gsis), ["by_area", "by_status"])
        self.assertEqual(
            gsis["by_status"]["KeySchema"],
            [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "placed", "KeyType": "RANGE"}],
        )
        self.assertEqual(gsis["by_status"]["Projection"], {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]})
        self.assertEqual(gsis["by_area"]["KeySchema"], [{"AttributeName": "area", "KeyType": "HASH"}])
        self.assertEqual(gsis["by_area"]["Projection"], {"ProjectionType": "ALL"})
        with_status = sum(1 for i in self.items if "status" in i)
        with_area = sum(1 for i in self.items if "area" in i)
        self.assertEqual((with_status, with_area), (48, 14))
        for name, count in (("by_status", with_status), ("by_area", with_area)):
            g = gsis[name]
            self.assertEqual(g["IndexStatus"], "ACTIVE", name)
            self.assertNotIn("Backfilling", g)
            self.assertEqual(g["ItemCount"], count, f"{name}: only items with its key")
            self.assertGreater(g["IndexSizeBytes"], 0)
            self.assertEqual(g["IndexArn"], f"{arn}/index/{name}")
            pt = g["ProvisionedThroughput"]
            self.assertEqual((pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]), (0, 0), "on-demand index")

    def test_b_query_local_index_paginator(self):
        keys = ("pk", "sk", "amount")
        mine = sorted((i for i in self.items if i["pk"] == "c1"), key=lambda i: i["amount"])
        expected = [{k: i[k] for k in keys} for i in mine]  # KEYS_ONLY
        pages = self.query_pages(
            4,
            IndexName="by_amount",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "c1"}},
        )
        self.assertEqual(len(pages), 8, "30 items in pages of 4")
        self.assertPages(pages, expected, keys, 4)

        # Descending, with a range condition on the index's sort key.
        pages = self.query_pages(
            5,
            IndexName="by_amount",
            KeyConditionExpression="pk = :p AND amount BETWEEN :lo AND :hi",
            ExpressionAttributeValues={":p": {"S": "c1"}, ":lo": {"N": "20"}, ":hi": {"N": "80"}},
            ScanIndexForward=False,
        )
        wanted = [i for i in reversed(expected) if 20 <= i["amount"] <= 80]
        self.assertGreater(len(wanted), 10)
        self.assertGreaterEqual(len(pages), 3)
        self.assertPages(pages, wanted, keys, 5)

        # A local index reads the attributes it does not hold from the table, consistently if asked.
        out = client.query(
            TableName=self.T,
            IndexName="by_amount",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "c2"}},
            Select="ALL_ATTRIBUTES",
            ConsistentRead=True,
            Limit=3,
        )
        theirs = sorted((i for i in self.items if i["pk"] == "c2"), key=lambda i: i["amount"])
        self.assertEqual([plain(i) for i in out["Items"]], theirs[:3])

    def test_c_query_global_index_paginator(self):
        keys = ("pk", "sk", "status", "placed")
        projected = keys + ("amount",)  # INCLUDE amount
        open_orders = sorted((i for i in self.items if i.get("status") == "open"), key=lambda i: i["placed"])
        expected = [{k: i[k] for k in projected} for i in open_orders]
        self.assertEqual(len(expected), 16)
        pages = self.query_pages(
            3,
            IndexName="by_status",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "open"}},
            ScanIndexForward=False,
        )
        self.assertEqual(len(pages), 6, "16 items in pages of 3")
        self.assertPages(pages, expected[::-1], keys, 3)
        self.assertTrue(all("note" not in i for p in pages for i in p["Items"]), "note is not projected")

        pages = self.query_pages(
            4,
            IndexName="by_status",
            KeyConditionExpression="#s = :s AND placed >= :p",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "closed"}, ":p": {"N": "150"}},
            ProjectionExpression="pk, sk, amount",
        )
        closed = sorted(
            (i for i in self.items if i.get("status") == "closed" and i["placed"] >= 150), key=lambda i: i["placed"]
        )
        self.assertEqual(
            [plain(i) for p in pages for i in p["Items"]], [{k: i[k] for k in ("pk", "sk", "amount")} for i in closed]
        )
        self.assertGreaterEqual(len(pages), 3)

    def test_d_scan_global_index_and_sparse_indexes(self):
        pages = list(
            client.get_paginator("scan").paginate(
                TableName=self.T, IndexName="by_area", PaginationConfig={"PageSize": 4}
            )
        )
        self.assertGreaterEqual(len(pages), 4)
        got = sorted((plain(i) for p in pages for i in p["Items"]), key=lambda i: (i["pk"], i["sk"]))
        expected = [i for i in self.items if "area" in i]  # ALL: whole items, only those with an area
        self.assertEqual(got, expected)
        for page in pages:
            if "LastEvaluatedKey" in page:
                self.assertEqual(sorted(page["LastEvaluatedKey"]), ["area", "pk", "sk"])

        out = client.query(
            TableName=self.T,
            IndexName="by_area",
            KeyConditionExpression="area = :a",
            ExpressionAttributeValues={":a": {"S": "eu"}},
        )
        got = sorted((plain(i) for i in out["Items"]), key=lambda i: (i["pk"], i["sk"]))
        self.assertEqual(got, [i for i in self.items if i.get("area") == "eu"])

        # Items without status are not in by_status; the local index holds every item.
        count = client.scan(TableName=self.T, IndexName="by_status", Select="COUNT")
        self.assertEqual((count["Count"], count["ScannedCount"]), (48, 48))
        listed = {
            (i["pk"]["S"], int(i["sk"]["N"]))
            for p in client.get_paginator("scan").paginate(TableName=self.T, IndexName="by_status")
            for i in p["Items"]
        }
        self.assertEqual(listed, {(i["pk"], i["sk"]) for i in self.items if "status" in i})
        count = client.scan(TableName=self.T, IndexName="by_amount", Select="COUNT")
        self.assertEqual(count["Count"], 60)

        # An update that removes the key leaves the index; one that adds it joins it.
        table = resource.Table(self.T)
        table.update_item(Key={"pk": "c1", "sk": 4}, UpdateExpression="REMOVE area")
        table.update_item(
            Key={"pk": "c1", "sk": 1}, UpdateExpression="SET area = :a", ExpressionAttributeValues={":a": "mars"}
        )
        out = client.query(
            TableName=self.T,
            IndexName="by_area",
            KeyConditionExpression="area = :a",
            ExpressionAttributeValues={":a": {"S": "mars"}},
        )
        self.assertEqual([(i["pk"]["S"], i["sk"]["N"]) for i in out["Items"]], [("c1", "1")])
        count = client.scan(TableName=self.T, IndexName="by_area", Select="COUNT")["Count"]
        self.assertEqual(count, 14)
        table.update_item(Key={"pk": "c1", "sk": 1}, UpdateExpression="REMOVE area")
        table.update_item(
            Key={"pk": "c1", "sk": 4}, UpdateExpression="SET area = :a", ExpressionAttributeValues={":a": "us"}
        )

    def test_e_index_errors(self):
        open_query = dict(
            TableName=self.T,
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "open"}},
        )
        self.assertClientError(
            client.query,
            "ValidationException",
            "The table does not have the specified index: nope",
            **{**open_query, "IndexName": "nope"},
        )
        self.assertClientError(
            client.scan,
            "ValidationException",
            "The table does not have the specified index: nope",
            TableName=self.T,
            IndexName="nope",
        )
        self.assertClientError(
            client.query,
            "ValidationException",
            "Consistent reads are not supported on global secondary indexes",
            **{**open_query, "IndexName": "by_status", "ConsistentRead": True},
        )
        self.assertClientError(
            client.scan,
            "ValidationException",
            "Consistent reads are not supported on global secondary indexes",
            TableName=self.T,
            IndexName="by_area",
            ConsistentRead=True,
        )
        self.assertClientError(
            client.query,
            "ValidationException",
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported "
            "for global secondary index by_status because its projection type is not ALL",
            **{**open_query, "IndexName": "by_status", "Select": "ALL_ATTRIBUTES"},
        )
        self.assertClientError(
            client.query,
            "ValidationException",
            "Query condition missed key schema element: status",
            TableName=self.T,
            IndexName="by_status",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "c1"}},
        )

        bad = {"pk": {"S": "c1"}, "sk": {"N": "99"}, "status": {"N": "3"}}
        self.assertClientError(
            client.put_item,
            "ValidationException",
            "One or more parameter values were invalid: Type mismatch for Index Key status Expected: S "
            "Actual: N IndexName: by_status",
            TableName=self.T,
            Item=bad,
        )
        self.assertNotIn("Item", client.get_item(TableName=self.T, Key={"pk": {"S": "c1"}, "sk": {"N": "99"}}))
        self.assertClientError(
            client.update_item,
            "ValidationException",
            "One or more parameter values were invalid: Type mismatch for Index Key placed Expected: N "
            "Actual: S IndexName: by_status",
            TableName=self.T,
            Key={"pk": {"S": "c1"}, "sk": {"N": "3"}},
            UpdateExpression="SET placed = :p",
            ExpressionAttributeValues={":p": {"S": "soon"}},
        )
        item = client.get_item(TableName=self.T, Key={"pk": {"S": "c1"}, "sk": {"N": "3"}}, ConsistentRead=True)
        self.assertEqual(plain(item["Item"]), self.order("c1", 3), "the refused update changed nothing")

    def test_f_multi_attribute_global_index(self):
        # Since November 2025 a global index's key may have up to four partition and four sort
        # attributes; botocore's model sets no maximum on KeySchema.
        key_schema = [
            {"AttributeName": "tournament", "KeyType": "HASH"},
            {"AttributeName": "region", "KeyType": "HASH"},
            {"AttributeName": "round", "KeyType": "RANGE"},
            {"AttributeName": "bracket", "KeyType": "RANGE"},
        ]
        client.create_table(
            TableName=self.T_MULTI,
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "tournament", "AttributeType": "S"},
                {"AttributeName": "region", "AttributeType": "S"},
                {"AttributeName": "round", "AttributeType": "N"},
                {"AttributeName": "bracket", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {"IndexName": "by_match", "KeySchema": key_schema, "Projection": {"ProjectionType": "KEYS_ONLY"}}
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        CREATED.append(self.T_MULTI)
        wait_exists(self.T_MULTI)
        (g,) = client.describe_table(TableName=self.T_MULTI)["Table"]["GlobalSecondaryIndexes"]
        self.assertEqual(g["KeySchema"], key_schema)
        self.assertEqual(g["IndexStatus"], "ACTIVE")

        games, n = [], 0
        for region in ("eu", "us"):
            for rnd in (3, 1, 2):
                for bracket in ("upper", "lower"):
                    n += 1
                    games.append(
                        {"id": f"g{n}", "tournament": "spring", "region": region, "round": rnd, "bracket": bracket}
                    )
        games.append({"id": "sparse", "tournament": "spring", "region": "eu", "round": 1})  # no bracket
        with resource.Table(self.T_MULTI).batch_writer() as batch:
            for game in games:
                batch.put_item(Item=game)

        names = {"#t": "tournament", "#r": "region", "#n": "round", "#b": "bracket"}
        pages = list(
            client.get_paginator("query").paginate(
                TableName=self.T_MULTI,
                IndexName="by_match",
                KeyConditionExpression="#t = :t AND #r = :r",
                ExpressionAttributeNames={"#t": "tournament", "#r": "region"},
                ExpressionAttributeValues={":t": {"S": "spring"}, ":r": {"S": "eu"}},
                PaginationConfig={"PageSize": 4},
            )
        )
        eu = sorted((g for g in games if g["region"] == "eu" and "bracket" in g), key=lambda g: (g["round"], g["bracket"]))
        self.assertEqual([plain(i) for p in pages for i in p["Items"]], eu)
        self.assertEqual(sorted(pages[0]["LastEvaluatedKey"]), ["bracket", "id", "region", "round", "tournament"])

        out = client.query(
            TableName=self.T_MULTI,
            IndexName="by_match",
            KeyConditionExpression="#t = :t AND #r = :r AND #n = :n AND #b > :b",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":t": {"S": "spring"}, ":r": {"S": "us"}, ":n": {"N": "2"}, ":b": {"S": "lower"}},
        )
        self.assertEqual([plain(i) for i in out["Items"]], [g for g in games if (g["region"], g.get("round"), g.get("bracket")) == ("us", 2, "upper")])
        self.assertClientError(
            client.query,
            "ValidationException",
            "Query condition missed key schema element: region",
            TableName=self.T_MULTI,
            IndexName="by_match",
            KeyConditionExpression="#t = :t AND #n = :n",
            ExpressionAttributeNames={"#t": "tournament", "#n": "round"},
            ExpressionAttributeValues={":t": {"S": "spring"}, ":n": {"N": "1"}},
        )

    def test_g_update_table_creates_and_deletes_a_global_index(self):
        create_table(self.T_LATER)
        wait_exists(self.T_LATER)
        expected = {}
        with resource.Table(self.T_LATER).batch_writer() as batch:
            for i in range(300):
                item = {"id": f"e{i:03d}", "stamp": i}
                if i % 10 != 9:  # 30 items without kind stay out of the index
                    item["kind"] = f"k{i % 7}"
                    expected[item["id"]] = item["kind"]
                batch.put_item(Item=item)

        out = client.update_table(
            TableName=self.T_LATER,
            AttributeDefinitions=[
                {"AttributeName": "kind", "AttributeType": "S"},
                {"AttributeName": "stamp", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": "by_kind",
                        "KeySchema": [
                            {"AttributeName": "kind", "KeyType": "HASH"},
                            {"AttributeName": "stamp", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                }
            ],
        )
        t = out["TableDescription"]
        self.assertEqual(t["TableStatus"], "UPDATING")
        (g,) = t["GlobalSecondaryIndexes"]
        self.assertEqual((g["IndexName"], g["IndexStatus"]), ("by_kind", "CREATING"))
        self.assertEqual(g["IndexArn"], f"{t['TableArn']}/index/by_kind")

        deadline = time.time() + 30
        while True:
            t = client.describe_table(TableName=self.T_LATER)["Table"]
            (g,) = t["GlobalSecondaryIndexes"]
            if g["IndexStatus"] == "ACTIVE" and t["TableStatus"] == "ACTIVE":
                break
            self.assertEqual(g["IndexStatus"], "CREATING")
            self.assertLess(time.time(), deadline, "the index is not ACTIVE after 30 s")
            time.sleep(0.2)
        self.assertNotIn("Backfilling", g)
        self.assertEqual(g["ItemCount"], len(expected))
        self.assertEqual(t["ItemCount"], 300)

        # Every item with a kind is found through the index, in stamp order within a kind.
        found = {}
        for k in range(7):
            pages = client.get_paginator("query").paginate(
                TableName=self.T_LATER,
                IndexName="by_kind",
                KeyConditionExpression="kind = :k",
                ExpressionAttributeValues={":k": {"S": f"k{k}"}},
                PaginationConfig={"PageSize": 25},
            )
            items = [i for p in pages for i in p["Items"]]
            stamps = [int(i["stamp"]["N"]) for i in items]
            self.assertEqual(stamps, sorted(stamps), f"k{k} in stamp order")
            for i in items:
                self.assertEqual(sorted(i), ["id", "kind", "stamp"], "KEYS_ONLY")
                found[i["id"]["S"]] = i["kind"]["S"]
        self.assertEqual(found, expected)

        # A write after activation is in the index at once.
        client.put_item(
            TableName=self.T_LATER, Item={"id": {"S": "late"}, "kind": {"S": "k0"}, "stamp": {"N": "-1"}}
        )
        out = client.query(
            TableName=self.T_LATER,
            IndexName="by_kind",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "k0"}},
            Limit=1,
        )
        self.assertEqual(out["Items"], [{"id": {"S": "late"}, "kind": {"S": "k0"}, "stamp": {"N": "-1"}}])

        out = client.update_table(
            TableName=self.T_LATER, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_kind"}}]
        )
        # DynamoDB answers with the index DELETING; an index already gone is accepted too.
        for g in out["TableDescription"].get("GlobalSecondaryIndexes", []):
            self.assertEqual((g["IndexName"], g["IndexStatus"]), ("by_kind", "DELETING"))
        deadline = time.time() + 30
        while True:
            t = client.describe_table(TableName=self.T_LATER)["Table"]
            if not t.get("GlobalSecondaryIndexes") and t["TableStatus"] == "ACTIVE":
                break
            for g in t.get("GlobalSecondaryIndexes", []):
                self.assertEqual(g["IndexStatus"], "DELETING")
            self.assertLess(time.time(), deadline, "the index is still there after 30 s")
            time.sleep(0.2)
        self.assertClientError(
            client.query,
            "ValidationException",
            "The table does not have the specified index: by_kind",
            TableName=self.T_LATER,
            IndexName="by_kind",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "k0"}},
        )
        self.assertEqual(client.scan(TableName=self.T_LATER, Select="COUNT")["Count"], 301)


streams = boto3.client("dynamodbstreams", **_kwargs)


class T9Streams(Base):
    """DynamoDB Streams through boto3's dynamodbstreams client on the same endpoint: the stream
    in create_table/describe_table, list_streams, describe_stream, every write path's records
    (INSERT/MODIFY/REMOVE, images, none for writes that change nothing) read shard by shard with
    get_shard_iterator + get_records, the four iterator types, errors, disabling (a closed stream
    read to its end) and re-enabling (a new stream), a TTL deletion as a service deletion."""

    T = f"{PREFIX}-streams"  # id S; NEW_AND_OLD_IMAGES, later disabled and re-enabled KEYS_ONLY
    T_TTL = f"{PREFIX}-streams-ttl"  # id S; OLD_IMAGE, TTL on 'expires'
    LABEL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
    SPEC = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

    @classmethod
    def setUpClass(cls):
        cls.created = client.create_table(
            TableName=cls.T,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification=cls.SPEC,
        )
        CREATED.append(cls.T)
        wait_exists(cls.T)
        cls.arn = cls.created["TableDescription"]["LatestStreamArn"]

    @staticmethod
    def shard_ids(arn):
        """Every shard of the stream, following LastEvaluatedShardId with pages of 2."""
        ids, start = [], {}
        while True:
            d = streams.describe_stream(StreamArn=arn, Limit=2, **start)["StreamDescription"]
            ids += [s["ShardId"] for s in d["Shards"]]
            if "LastEvaluatedShardId" not in d:
                return ids
            start = {"ExclusiveStartShardId": d["LastEvaluatedShardId"]}

    @staticmethod
    def read_shard(arn, shard_id, limit=2, **position):
        """The records of one shard from TRIM_HORIZON (or the given iterator type and sequence
        number) to the end of what is there: a page with no records ends an open shard, a page
        without NextShardIterator a closed one. Returns (records, pages, next iterator)."""
        kind = position.pop("kind", "TRIM_HORIZON")
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind, **position)[
            "ShardIterator"
        ]
        records, pages = [], 0
        while it:
            page = streams.get_records(ShardIterator=it, Limit=limit)
            pages += 1
            records += page["Records"]
            it = page.get("NextShardIterator")
            if not page["Records"]:
                break
            assert pages < 500, "a shard that never ends"
        return records, pages, it

    def read_stream(self, arn):
        """{shard id: records} of every shard."""
        return {sid: self.read_shard(arn, sid)[0] for sid in self.shard_ids(arn)}

    def events(self, by_shard):
        """{item id: [records]} in shard order; checks the fields every record has."""
        out = {}
        for shard_id, records in by_shard.items():
            numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
            self.assertEqual(numbers, sorted(set(numbers)), f"SequenceNumber increases in {shard_id}")
            for r in records:
                self.assertEqual(r["eventSource"], "aws:dynamodb")
                self.assertEqual(r["eventVersion"], "1.1")
                self.assertEqual(r["awsRegion"], REGION)
                self.assertIn(r["eventName"], ("INSERT", "MODIFY", "REMOVE"))
                self.assertTrue(r["eventID"])
                self.assertIsInstance(r["dynamodb"]["ApproximateCreationDateTime"], datetime.datetime)
                self.assertIsInstance(r["dynamodb"]["SizeBytes"], int)
                self.assertGreater(r["dynamodb"]["SizeBytes"], 0)
                out.setdefault(r["dynamodb"]["Keys"]["id"]["S"], []).append(r)
        ids = [r["eventID"] for rs in by_shard.values() for r in rs]
        self.assertEqual(len(ids), len(set(ids)), "eventID unique")
        return out

    def test_a_describe_table(self):
        t = self.created["TableDescription"]
        self.assertEqual(t["StreamSpecification"], self.SPEC)
        self.assertRegex(t["LatestStreamLabel"], self.LABEL)
        self.assertEqual(t["LatestStreamArn"], f"{t['TableArn']}/stream/{t['LatestStreamLabel']}")
        d = client.describe_table(TableName=self.T)["Table"]
        self.assertEqual(d["StreamSpecification"], self.SPEC)
        self.assertEqual((d["LatestStreamArn"], d["LatestStreamLabel"]), (self.arn, t["LatestStreamLabel"]))
        # A table created without a stream has none of the three.
        plain_table = f"{PREFIX}-streams-none"
        create_table(plain_table)
        wait_exists(plain_table)
        d = client.describe_table(TableName=plain_table)["Table"]
        for field in ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel"):
            self.assertNotIn(field, d)
        self.assertEqual(streams.list_streams(TableName=plain_table)["Streams"], [])

    def test_b_list_and_describe_stream(self):
        label = self.arn.rsplit("/", 1)[1]
        out = streams.list_streams(TableName=self.T)
        self.assertEqual(out["Streams"], [{"StreamArn": self.arn, "TableName": self.T, "StreamLabel": label}])
        self.assertNotIn("LastEvaluatedStreamArn", out)
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        everything = streams.list_streams()["Streams"]
        self.assertIn({"StreamArn": self.arn, "TableName": self.T, "StreamLabel": label}, everything)

        d = streams.describe_stream(StreamArn=self.arn)["StreamDescription"]
        self.assertEqual(d["StreamArn"], self.arn)
        self.assertEqual(d["StreamLabel"], label)
        self.assertEqual(d["StreamStatus"], "ENABLED")
        self.assertEqual(d["StreamViewType"], "NEW_AND_OLD_IMAGES")
        self.assertEqual(d["TableName"], self.T)
        self.assertEqual(d["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertIsInstance(d["CreationRequestDateTime"], datetime.datetime)
        self.assertNotIn("LastEvaluatedShardId", d)
        self.assertGreaterEqual(len(d["Shards"]), 1)
        for s in d["Shards"]:
            self.assertRegex(s["ShardId"], r"^shardId-")
            self.assertGreaterEqual(len(s["ShardId"]), 28)
            self.assertRegex(s["SequenceNumberRange"]["StartingSequenceNumber"], r"^\d{21,40}$")
            self.assertNotIn("EndingSequenceNumber", s["SequenceNumberRange"], "an open shard")
        # Paged by Limit + ExclusiveStartShardId, the same shards in the same order.
        self.assertEqual(self.shard_ids(self.arn), [s["ShardId"] for s in d["Shards"]])

    def test_c_records_of_every_write_path(self):
        T = self.T
        k = lambda i: {"id": {"S": i}}  # noqa: E731
        client.put_item(TableName=T, Item={**k("a"), "v": {"N": "1"}})
        client.put_item(TableName=T, Item={**k("a"), "v": {"N": "2"}, "tag": {"SS": ["x", "y"]}})
        client.put_item(TableName=T, Item={**k("a"), "v": {"N": "2.0"}, "tag": {"SS": ["x", "y"]}})  # no change
        client.update_item(
            TableName=T, Key=k("a"), UpdateExpression="SET v = v + :one", ExpressionAttributeValues={":one": {"N": "1"}}
        )
        client.update_item(
            TableName=T, Key=k("a"), UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "3"}}
        )  # no change
        client.delete_item(TableName=T, Key=k("a"))
        client.delete_item(TableName=T, Key=k("missing"))  # nothing to delete
        client.put_item(TableName=T, Item={**k("d"), "v": {"N": "4"}})
        client.batch_write_item(
            RequestItems={
                T: [
                    {"PutRequest": {"Item": {**k("b"), "v": {"N": "5"}}}},
                    {"PutRequest": {"Item": {**k("c"), "m": {"M": {"n": {"L": [{"BOOL": True}, {"NULL": True}]}}}}}},
                    {"DeleteRequest": {"Key": k("d")}},
                    {"DeleteRequest": {"Key": k("never")}},
                ]
            }
        )
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": T, "Item": {**k("e"), "b": {"B": b"\x00\x01"}}}},
                {
                    "Update": {
                        "TableName": T,
                        "Key": k("b"),
                        "UpdateExpression": "ADD v :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Delete": {"TableName": T, "Key": k("c")}},
                {
                    "ConditionCheck": {
                        "TableName": T,
                        "Key": k("f"),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
        )

        by_id = self.events(self.read_stream(self.arn))
        names = {i: [r["eventName"] for r in rs] for i, rs in by_id.items()}
        self.assertEqual(
            names,
            {
                "a": ["INSERT", "MODIFY", "MODIFY", "REMOVE"],
                "d": ["INSERT", "REMOVE"],
                "b": ["INSERT", "MODIFY"],
                "c": ["INSERT", "REMOVE"],
                "e": ["INSERT"],
            },
        )
        images = {
            i: [(r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in rs] for i, rs in by_id.items()
        }
        a1, a2 = {**k("a"), "v": {"N": "1"}}, {**k("a"), "v": {"N": "2"}, "tag": {"SS": ["x", "y"]}}
        a3 = {**k("a"), "v": {"N": "3"}, "tag": {"SS": ["x", "y"]}}
        self.assertEqual(len(images["a"]), 4)
        self.assertEqual(images["a"][0], (None, a1))
        self.assertEqual(images["a"][1][0], a1)
        self.assertEqual(plain(images["a"][1][1]), plain(a2))
        self.assertEqual(plain(images["a"][2][0]), plain(a2))
        self.assertEqual(plain(images["a"][2][1]), plain(a3))
        self.assertEqual(plain(images["a"][3][0]), plain(a3))
        self.assertIsNone(images["a"][3][1])
        self.assertEqual(images["d"], [(None, {**k("d"), "v": {"N": "4"}}), ({**k("d"), "v": {"N": "4"}}, None)])
        b5, b7 = {**k("b"), "v": {"N": "5"}}, {**k("b"), "v": {"N": "7"}}
        self.assertEqual(images["b"], [(None, b5), (b5, b7)])
        c_item = {**k("c"), "m": {"M": {"n": {"L": [{"BOOL": True}, {"NULL": True}]}}}}
        self.assertEqual(images["c"], [(None, c_item), (c_item, None)])
        self.assertEqual(images["e"], [(None, {**k("e"), "b": {"B": b"\x00\x01"}})])
        for rs in by_id.values():
            for r in rs:
                self.assertEqual(r["dynamodb"]["Keys"], {"id": r["dynamodb"]["Keys"]["id"]})
                self.assertEqual(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES")
                self.assertNotIn("userIdentity", r, "a user's write")
                when = r["dynamodb"]["ApproximateCreationDateTime"].timestamp()
                self.assertLess(abs(when - time.time()), 300)

    def test_d_iterator_types(self):
        by_shard = self.read_stream(self.arn)
        shard_id, records = next((s, rs) for s, rs in by_shard.items() if len(rs) >= 3)
        numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        at, _, _ = self.read_shard(self.arn, shard_id, kind="AT_SEQUENCE_NUMBER", SequenceNumber=numbers[1])
        self.assertEqual([r["dynamodb"]["SequenceNumber"] for r in at], numbers[1:])
        self.assertEqual(at, records[1:])
        after, _, _ = self.read_shard(self.arn, shard_id, kind="AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[1])
        self.assertEqual([r["dynamodb"]["SequenceNumber"] for r in after], numbers[2:])
        last, _, _ = self.read_shard(self.arn, shard_id, kind="AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[-1])
        self.assertEqual(last, [])
        # Limit 1 gives one record a page.
        _, pages, _ = self.read_shard(self.arn, shard_id, limit=1)
        self.assertEqual(pages, len(records) + 1)

        # LATEST: nothing now; the next write to an item of this shard comes through the next iterator.
        latest, pages, it = self.read_shard(self.arn, shard_id, kind="LATEST")
        self.assertEqual((latest, pages), ([], 1))
        self.assertTrue(it, "an open shard always has a NextShardIterator")
        item_id = records[0]["dynamodb"]["Keys"]["id"]["S"]
        client.put_item(TableName=self.T, Item={"id": {"S": item_id}, "again": {"BOOL": True}})
        page = streams.get_records(ShardIterator=it)
        self.assertEqual([r["eventName"] for r in page["Records"]], ["MODIFY" if item_id in ("b", "e") else "INSERT"])
        self.assertEqual(page["Records"][0]["dynamodb"]["NewImage"], {"id": {"S": item_id}, "again": {"BOOL": True}})
        self.assertGreater(int(page["Records"][0]["dynamodb"]["SequenceNumber"]), int(numbers[-1]))
        # An iterator can be read again: GetRecords does not move it.
        self.assertEqual(streams.get_records(ShardIterator=it)["Records"], page["Records"])

    def test_e_errors(self):
        shard_id = self.shard_ids(self.arn)[0]
        unknown = self.arn[:-3] + "999"  # another label of the same table
        self.assertClientError(
            streams.describe_stream,
            "ResourceNotFoundException",
            f"Requested resource not found: Stream: {unknown} not found",
            StreamArn=unknown,
        )
        self.assertClientError(
            streams.get_shard_iterator,
            "ResourceNotFoundException",
            StreamArn=unknown,
            ShardId=shard_id,
            ShardIteratorType="TRIM_HORIZON",
        )
        self.assertClientError(
            streams.get_shard_iterator,
            "ResourceNotFoundException",
            StreamArn=self.arn,
            ShardId="shardId-00000000000000000000-deadbeef",
            ShardIteratorType="TRIM_HORIZON",
        )
        self.assertClientError(streams.get_records, "ValidationException", ShardIterator="garbage")
        good = streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard_id, ShardIteratorType="LATEST")[
            "ShardIterator"
        ]
        tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
        self.assertClientError(streams.get_records, "ValidationException", ShardIterator=tampered)
        self.assertClientError(
            streams.get_shard_iterator,
            "ValidationException",
            StreamArn=self.arn,
            ShardId=shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
        )
        self.assertClientError(
            streams.get_shard_iterator,
            "ValidationException",
            StreamArn=self.arn,
            ShardId=shard_id,
            ShardIteratorType="LATEST",
            SequenceNumber="000000000000000000001",
        )
        self.assertClientError(
            streams.get_records,
            "ValidationException",
            re.compile(r"Member must have value less than or equal to 1000"),
            ShardIterator=good,
            Limit=1001,
        )
        self.assertClientError(
            streams.list_streams,
            "ValidationException",
            re.compile(r"Member must have value less than or equal to 100"),
            Limit=101,
        )
        self.assertClientError(
            client.update_table,
            "ValidationException",
            re.compile(r"already has an enabled stream"),
            TableName=self.T,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        )

    def test_f_disable_and_enable_again(self):
        before = self.events(self.read_stream(self.arn))
        count = sum(len(rs) for rs in before.values())
        out = client.update_table(TableName=self.T, StreamSpecification={"StreamEnabled": False})
        t = out["TableDescription"]
        self.assertFalse(t.get("StreamSpecification", {}).get("StreamEnabled", False))
        self.assertEqual(t["LatestStreamArn"], self.arn, "the disabled stream is still the latest")
        wait_exists(self.T)
        client.put_item(TableName=self.T, Item={"id": {"S": "after-disable"}})

        deadline = time.time() + 30
        while True:
            d = streams.describe_stream(StreamArn=self.arn)["StreamDescription"]
            if d["StreamStatus"] == "DISABLED":
                break
            self.assertEqual(d["StreamStatus"], "DISABLING")
            self.assertLess(time.time(), deadline, "the stream is not DISABLED after 30 s")
            time.sleep(0.2)
        for s in d["Shards"]:
            rng = s["SequenceNumberRange"]
            self.assertIn("EndingSequenceNumber", rng, s["ShardId"])
            self.assertGreaterEqual(int(rng["EndingSequenceNumber"]), int(rng["StartingSequenceNumber"]) - 1)
        # Each closed shard read to its end: pages until one has no NextShardIterator; the records
        # are those written before disabling.
        total = 0
        for s in d["Shards"]:
            rng = s["SequenceNumberRange"]
            it = streams.get_shard_iterator(StreamArn=self.arn, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")[
                "ShardIterator"
            ]
            records, pages = [], 0
            while it:
                page = streams.get_records(ShardIterator=it, Limit=2)
                records += page["Records"]
                it = page.get("NextShardIterator")
                pages += 1
                self.assertLess(pages, 50, f"closed shard {s['ShardId']} does not end")
            for r in records:
                self.assertLessEqual(int(r["dynamodb"]["SequenceNumber"]), int(rng["EndingSequenceNumber"]))
            total += len(records)
        self.assertEqual(total, count)
        self.assertClientError(
            client.update_table, "ValidationException", TableName=self.T, StreamSpecification={"StreamEnabled": False}
        )
        self.assertClientError(
            client.update_table,
            "ValidationException",
            TableName=self.T,
            StreamSpecification={"StreamEnabled": True},  # enabling needs a StreamViewType
        )

        time.sleep(0.01)  # labels have millisecond precision
        out = client.update_table(
            TableName=self.T, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        )
        t = out["TableDescription"]
        self.assertEqual(t["StreamSpecification"], {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        second = t["LatestStreamArn"]
        self.assertNotEqual(second, self.arn)
        self.assertEqual(second, f"{t['TableArn']}/stream/{t['LatestStreamLabel']}")
        wait_exists(self.T)
        d = client.describe_table(TableName=self.T)["Table"]
        self.assertEqual((d["LatestStreamArn"], d["StreamSpecification"]["StreamViewType"]), (second, "KEYS_ONLY"))
        listed = streams.list_streams(TableName=self.T)["Streams"]
        self.assertEqual(sorted(s["StreamArn"] for s in listed), sorted([self.arn, second]))
        self.assertEqual(streams.describe_stream(StreamArn=second)["StreamDescription"]["StreamStatus"], "ENABLED")
        self.assertEqual(streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["StreamStatus"], "DISABLED")

        client.update_item(
            TableName=self.T,
            Key={"id": {"S": "after-disable"}},
            UpdateExpression="SET n = :n",
            ExpressionAttributeValues={":n": {"N": "1"}},
        )
        records = [r for rs in self.read_stream(second).values() for r in rs]
        self.assertEqual(len(records), 1)
        (r,) = records
        self.assertEqual(r["eventName"], "MODIFY")
        self.assertEqual(r["dynamodb"]["Keys"], {"id": {"S": "after-disable"}})
        self.assertEqual(r["dynamodb"]["StreamViewType"], "KEYS_ONLY")
        self.assertNotIn("NewImage", r["dynamodb"])
        self.assertNotIn("OldImage", r["dynamodb"])
        # The old stream did not get it.
        self.assertEqual(sum(len(rs) for rs in self.read_stream(self.arn).values()), count)

    def test_g_ttl_deletion_is_a_service_deletion(self):
        out = client.create_table(
            TableName=self.T_TTL,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"},
        )
        CREATED.append(self.T_TTL)
        arn = out["TableDescription"]["LatestStreamArn"]
        wait_exists(self.T_TTL)
        client.update_time_to_live(
            TableName=self.T_TTL, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
        )
        expired = {"id": {"S": "old"}, "expires": {"N": str(int(time.time()) - 5)}, "note": {"S": "bye"}}
        client.put_item(TableName=self.T_TTL, Item=expired)
        client.put_item(TableName=self.T_TTL, Item={"id": {"S": "gone-by-hand"}})
        client.delete_item(TableName=self.T_TTL, Key={"id": {"S": "gone-by-hand"}})
        deadline = time.time() + 20
        while True:
            by_id = self.events(self.read_stream(arn))
            if [r["eventName"] for r in by_id.get("old", [])] == ["INSERT", "REMOVE"]:
                break
            self.assertLess(time.time(), deadline, f"no REMOVE of the expired item after 20 s: {by_id.get('old')}")
            time.sleep(0.2)
        insert, remove = by_id["old"]
        self.assertNotIn("userIdentity", insert)
        self.assertEqual(remove["userIdentity"], {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"})
        self.assertEqual(remove["dynamodb"]["OldImage"], expired)
        self.assertNotIn("NewImage", remove["dynamodb"])
        self.assertNotIn("OldImage", insert["dynamodb"], "OLD_IMAGE: an INSERT has no image")
        self.assertNotIn("NewImage", insert["dynamodb"])
        by_hand = by_id["gone-by-hand"]
        self.assertEqual([r["eventName"] for r in by_hand], ["INSERT", "REMOVE"])
        self.assertNotIn("userIdentity", by_hand[1], "a user's delete")
        self.assertNotIn("Item", client.get_item(TableName=self.T_TTL, Key={"id": {"S": "old"}}))

    def test_h_delete_table_disables_its_stream(self):
        arn = client.describe_table(TableName=self.T)["Table"]["LatestStreamArn"]
        client.delete_table(TableName=self.T)
        CREATED.remove(self.T)
        client.get_waiter("table_not_exists").wait(TableName=self.T, WaiterConfig=WAIT)
        deadline = time.time() + 30
        while streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] != "DISABLED":
            self.assertLess(time.time(), deadline, "the deleted table's stream is not DISABLED after 30 s")
            time.sleep(0.2)
        # Its records stay readable (24 hours in DynamoDB).
        self.assertEqual(sum(len(rs) for rs in self.read_stream(arn).values()), 1)


def cleanup():
    for name in CREATED:
        try:
            client.delete_table(TableName=name)
        except ClientError as e:
            print(f"# cleanup: delete_table {name}: {e}")


if __name__ == "__main__":
    program = unittest.main(exit=False, verbosity=2)
    cleanup()
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"boto3: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
