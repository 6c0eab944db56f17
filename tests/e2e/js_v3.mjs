// AWS SDK for JavaScript v3 against Basalt: @aws-sdk/client-dynamodb and @aws-sdk/lib-dynamodb.
//
//   BASALT_ENDPOINT=http://127.0.0.1:8000 node tests/e2e/js_v3.mjs
//
// Expected values are those DynamoDB itself returns (status codes, error names and messages,
// ConsumedCapacity units, DeleteTable's DELETING, ...). Tables are named e2e-v3-<run id>-* and
// deleted at the end.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

// The SDKs live in tests/e2e/node/node_modules (installed by tests/e2e/run.sh).
const require = createRequire(new URL('./node/package.json', import.meta.url));
const {
  DynamoDBClient,
  CreateTableCommand,
  DescribeTableCommand,
  DeleteTableCommand,
  ListTablesCommand,
  PutItemCommand,
  GetItemCommand,
  DeleteItemCommand,
  UpdateItemCommand,
  QueryCommand,
  ScanCommand,
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsOfResourceCommand,
  paginateListTables,
  paginateQuery,
  paginateScan,
  waitUntilTableExists,
  waitUntilTableNotExists,
} = require('@aws-sdk/client-dynamodb');
const {
  DynamoDBDocumentClient,
  PutCommand,
  GetCommand,
  DeleteCommand,
  UpdateCommand,
  QueryCommand: DocQueryCommand,
  ScanCommand: DocScanCommand,
  paginateQuery: paginateDocQuery,
  TransactWriteCommand,
  TransactGetCommand,
  BatchWriteCommand,
  BatchGetCommand,
  NumberValue,
} = require('@aws-sdk/lib-dynamodb');
const {
  DynamoDBStreamsClient,
  ListStreamsCommand,
  DescribeStreamCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
  ResourceNotFoundException: StreamsResourceNotFoundException,
} = require('@aws-sdk/client-dynamodb-streams');
// A dependency of @aws-sdk/lib-dynamodb.
const { unmarshall } = require('@aws-sdk/util-dynamodb');

const endpoint = process.env.BASALT_ENDPOINT || 'http://127.0.0.1:8000';
const region = process.env.AWS_REGION || 'us-east-1';
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'basalt-test',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'basalt-test-secret',
};
const client = new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 2 });
const doc = DynamoDBDocumentClient.from(client);
const streams = new DynamoDBStreamsClient({ endpoint, region, credentials, maxAttempts: 2 });
const waiterConfig = { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 };

const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const prefix = `e2e-v3-${runId}`;
const TABLE = `${prefix}-items`; // pk (S) HASH, sk (N) RANGE, PAY_PER_REQUEST
const created = [];

// ---------------------------------------------------------------- helpers
async function expectError(promise, name, message) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${name}, the call succeeded`);
  assert.equal(err.name, name, `error name (message: ${err.message})`);
  if (message instanceof RegExp) assert.match(err.message, message);
  else if (message !== undefined) assert.equal(err.message, message);
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.$fault, 'client');
  assert.ok(err.$metadata.requestId, 'x-amzn-RequestId on the error response');
  return err;
}

async function createTable(name, extra = {}) {
  const out = await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      ...extra,
    }),
  );
  created.push(name);
  return out;
}

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

// ---------------------------------------------------------------- tests
test('CreateTable returns the table description; waitUntilTableExists sees it ACTIVE', async () => {
  const out = await createTable(TABLE, {
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  });
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.$metadata.requestId, 'x-amzn-RequestId');
  const t = out.TableDescription;
  assert.equal(t.TableName, TABLE);
  assert.ok(['CREATING', 'ACTIVE'].includes(t.TableStatus), `TableStatus ${t.TableStatus}`);
  assert.deepEqual(t.KeySchema, [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  assert.deepEqual(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(t.ItemCount, 0);
  assert.equal(t.TableSizeBytes, 0);
  assert.ok(t.CreationDateTime instanceof Date && !Number.isNaN(t.CreationDateTime.getTime()), 'CreationDateTime');
  assert.ok(Math.abs(t.CreationDateTime.getTime() - Date.now()) < 5 * 60 * 1000, 'CreationDateTime is now');
  assert.match(t.TableArn, new RegExp(`^arn:aws:dynamodb:${region}:\\d{12}:table/${TABLE}$`));

  const waited = await waitUntilTableExists(waiterConfig, { TableName: TABLE });
  assert.equal(waited.state, 'SUCCESS');
});

test('CreateTable of an existing table: ResourceInUseException', async () => {
  await expectError(
    client.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    ),
    'ResourceInUseException',
    `Table already exists: ${TABLE}`,
  );
});

test('DescribeTable: ACTIVE with the key schema, attribute definitions and billing mode', async () => {
  const { Table: t } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
  assert.equal(t.TableName, TABLE);
  assert.equal(t.TableStatus, 'ACTIVE');
  assert.deepEqual(t.KeySchema, [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  const defs = [...t.AttributeDefinitions].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName));
  assert.deepEqual(defs, [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'N' },
  ]);
  assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 0);
  assert.equal(t.ProvisionedThroughput?.WriteCapacityUnits, 0);
  assert.equal(t.ItemCount, 0);
  assert.ok(typeof t.TableId === 'string' && t.TableId.length > 0, 'TableId');
});

test('DescribeTable of a missing table: ResourceNotFoundException', async () => {
  const name = `${prefix}-missing`;
  await expectError(
    client.send(new DescribeTableCommand({ TableName: name })),
    'ResourceNotFoundException',
    `Requested resource not found: Table: ${name} not found`,
  );
});

test('PutItem / GetItem / DeleteItem with ReturnValues ALL_OLD and ReturnConsumedCapacity TOTAL', async () => {
  const key = { pk: { S: 'user#1' }, sk: { N: '1' } };
  const first = { ...key, name: { S: 'Ada' }, visits: { N: '3' } };
  const second = { ...key, name: { S: 'Ada Lovelace' }, tags: { SS: ['math', 'poetry'] } };

  const put1 = await client.send(
    new PutItemCommand({ TableName: TABLE, Item: first, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }),
  );
  assert.equal(put1.$metadata.httpStatusCode, 200);
  assert.equal(put1.Attributes, undefined, 'no old item: no Attributes');
  assert.deepEqual(put1.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 1 });

  const put2 = await client.send(
    new PutItemCommand({ TableName: TABLE, Item: second, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }),
  );
  assert.deepEqual(put2.Attributes, first);
  assert.deepEqual(put2.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 1 });

  const get = await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ReturnConsumedCapacity: 'TOTAL' }));
  assert.deepEqual(
    { ...get.Item, tags: { SS: [...get.Item.tags.SS].sort() } },
    second,
  );
  assert.deepEqual(get.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 0.5 }, 'eventually consistent read');

  const strong = await client.send(
    new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
  );
  assert.equal(strong.Item.name.S, 'Ada Lovelace');
  assert.deepEqual(strong.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 1 }, 'strongly consistent read');

  const projected = await client.send(
    new GetItemCommand({ TableName: TABLE, Key: key, ProjectionExpression: '#n, sk', ExpressionAttributeNames: { '#n': 'name' } }),
  );
  assert.deepEqual(projected.Item, { name: { S: 'Ada Lovelace' }, sk: { N: '1' } });

  const del = await client.send(
    new DeleteItemCommand({ TableName: TABLE, Key: key, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }),
  );
  assert.equal(del.Attributes.name.S, 'Ada Lovelace');
  assert.deepEqual(del.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 1 });

  const gone = await client.send(new GetItemCommand({ TableName: TABLE, Key: key }));
  assert.equal(gone.Item, undefined);
  assert.equal(gone.ConsumedCapacity, undefined, 'no ConsumedCapacity unless asked for');

  const delAgain = await client.send(new DeleteItemCommand({ TableName: TABLE, Key: key, ReturnValues: 'ALL_OLD' }));
  assert.equal(delAgain.Attributes, undefined);
});

test('ListTablesCommand and paginateListTables over several tables', async () => {
  const names = [0, 1, 2, 3, 4].map((i) => `${prefix}-list-${i}`);
  await Promise.all(names.map((n) => createTable(n)));
  await Promise.all(names.map((n) => waitUntilTableExists(waiterConfig, { TableName: n })));

  const seen = [];
  let pages = 0;
  for await (const page of paginateListTables({ client, pageSize: 2 }, {})) {
    pages += 1;
    assert.ok(page.TableNames.length <= 2, `page of ${page.TableNames.length} > Limit 2`);
    if (page.LastEvaluatedTableName !== undefined) {
      assert.equal(page.LastEvaluatedTableName, page.TableNames[page.TableNames.length - 1]);
    }
    seen.push(...page.TableNames);
  }
  assert.ok(pages >= 3, `${pages} pages`);
  for (const n of [TABLE, ...names]) assert.ok(seen.includes(n), `${n} listed`);
  assert.deepEqual(seen, [...new Set(seen)], 'no table listed twice');
  assert.deepEqual(seen, [...seen].sort(), 'table names in ascending order');

  const start = await client.send(new ListTablesCommand({ ExclusiveStartTableName: names[1], Limit: 2 }));
  assert.deepEqual(start.TableNames, [names[2], names[3]]);
  assert.equal(start.LastEvaluatedTableName, names[3]);
});

test('TagResource / ListTagsOfResource / UntagResource', async () => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
  const arn = Table.TableArn;
  const empty = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  assert.deepEqual(empty.Tags ?? [], []);

  await client.send(
    new TagResourceCommand({
      ResourceArn: arn,
      Tags: [
        { Key: 'team', Value: 'storage' },
        { Key: 'env', Value: 'test' },
      ],
    }),
  );
  const byKey = (a, b) => a.Key.localeCompare(b.Key);
  const tagged = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  assert.deepEqual([...tagged.Tags].sort(byKey), [
    { Key: 'env', Value: 'test' },
    { Key: 'team', Value: 'storage' },
  ]);

  await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'env', Value: 'prod' }] }));
  await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['team'] }));
  const after = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  assert.deepEqual(after.Tags, [{ Key: 'env', Value: 'prod' }]);
});

test('ValidationException for a key that does not match the schema', async () => {
  await expectError(
    client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'a' } } })),
    'ValidationException',
    'The provided key element does not match the schema',
  );
  await expectError(
    client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'a' }, sk: { S: 'not-a-number' } } })),
    'ValidationException',
    'The provided key element does not match the schema',
  );
  await expectError(
    client.send(new DeleteItemCommand({ TableName: TABLE, Key: { wrong: { S: 'a' }, sk: { N: '1' } } })),
    'ValidationException',
    'The provided key element does not match the schema',
  );
  await expectError(
    client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'a' } } })),
    'ValidationException',
    'One or more parameter values were invalid: Missing the key sk in the item',
  );
});

test('ResourceNotFoundException for items of a missing table', async () => {
  const name = `${prefix}-missing`;
  await expectError(
    client.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'a' } } })),
    'ResourceNotFoundException',
    'Requested resource not found',
  );
  await expectError(
    client.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' } } })),
    'ResourceNotFoundException',
    'Requested resource not found',
  );
});

test('lib-dynamodb PutCommand / GetCommand with nested maps, lists, sets, numbers and binary', async () => {
  const item = {
    pk: 'doc#1',
    sk: 42,
    title: 'Basalt',
    count: 0,
    negative: -17,
    ratio: 0.125,
    big: Number.MAX_SAFE_INTEGER,
    active: true,
    nothing: null,
    bytes: new Uint8Array([0, 1, 2, 253, 254, 255]),
    strings: new Set(['b', 'a', 'c']),
    numbers: new Set([3, 1, 2.5]),
    binaries: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
    list: ['x', 1, false, null, { deep: ['y', { deeper: new Set(['z']) }] }, [1, [2, [3]]]],
    map: { a: { b: { c: { d: 'nested', e: [1, 2, 3] } } }, empty: {}, emptyList: [] },
    unicode: 'héllo wörld ✓ 日本語 🎉',
  };
  const put = await doc.send(new PutCommand({ TableName: TABLE, Item: item }));
  assert.equal(put.$metadata.httpStatusCode, 200);
  assert.equal(put.Attributes, undefined);

  const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'doc#1', sk: 42 } }));
  assert.ok(Item.bytes instanceof Uint8Array, 'binary comes back as a Uint8Array');
  assert.deepEqual([...Item.bytes], [0, 1, 2, 253, 254, 255]);
  assert.deepEqual(
    [...Item.binaries].map((b) => [...b]).sort((a, b) => a.length - b.length),
    [[1], [2, 3]],
  );
  const { bytes, binaries, ...rest } = Item;
  const { bytes: _b, binaries: _bs, ...expected } = item;
  assert.deepEqual(rest, expected);

  // Numbers beyond a JS double, kept exact with NumberValue / wrapNumbers.
  // DynamoDBDocumentClient.from(client, options) stores the options in the client's config, so
  // this one gets a low-level client of its own (sharing `client` would turn `doc` wrapNumbers too).
  const wideClient = new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 2 });
  const wide = DynamoDBDocumentClient.from(wideClient, { unmarshallOptions: { wrapNumbers: true } });
  await wide.send(
    new PutCommand({
      TableName: TABLE,
      Item: { pk: 'doc#2', sk: 1, n: NumberValue.from('123456789012345678901234567890.5'), small: NumberValue.from('-98765.4321') },
    }),
  );
  const got = await wide.send(new GetCommand({ TableName: TABLE, Key: { pk: 'doc#2', sk: 1 } }));
  assert.equal(got.Item.n.toString(), '123456789012345678901234567890.5');
  assert.equal(got.Item.small.toString(), '-98765.4321');
  wideClient.destroy();

  const del = await doc.send(
    new DeleteCommand({ TableName: TABLE, Key: { pk: 'doc#1', sk: 42 }, ReturnValues: 'ALL_OLD' }),
  );
  assert.equal(del.Attributes.title, 'Basalt');
});

// ---------------------------------------------------------------- expressions
// pk 'q#1' with sk 1..9 (v = 10 * sk, kind even/odd), pk 'q#2' with sk 1..2; written by the first test.
const Q = 'q#1';

test('lib-dynamodb UpdateCommand: SET / ADD / REMOVE with UPDATED_NEW, UPDATED_OLD and ALL_NEW', async () => {
  for (let sk = 1; sk <= 9; sk += 1) {
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: Q, sk, v: 10 * sk, kind: sk % 2 ? 'odd' : 'even', note: `n${sk}` } }));
  }
  for (const sk of [1, 2]) await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'q#2', sk, v: sk } }));

  const Key = { pk: 'upd#1', sk: 1 };
  const created = await doc.send(
    new UpdateCommand({
      TableName: TABLE,
      Key,
      UpdateExpression: 'SET #n = :n, profile = :p, visits = if_not_exists(visits, :zero) + :one ADD tags :t',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':n': 'Ada', ':p': { city: 'London', langs: ['en'] }, ':zero': 0, ':one': 1, ':t': new Set(['a']) },
      ReturnValues: 'ALL_NEW',
    }),
  );
  assert.deepEqual(created.Attributes, {
    pk: 'upd#1',
    sk: 1,
    name: 'Ada',
    profile: { city: 'London', langs: ['en'] },
    visits: 1,
    tags: new Set(['a']),
  });

  const updated = await doc.send(
    new UpdateCommand({
      TableName: TABLE,
      Key,
      UpdateExpression: 'SET profile.city = :c, profile.langs = list_append(profile.langs, :l) ADD visits :two, tags :t REMOVE #n',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':c': 'Paris', ':l': ['fr'], ':two': 2, ':t': new Set(['b']) },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  // UPDATED_NEW: only the updated attributes (a removed one is gone), nested paths kept nested.
  assert.deepEqual(updated.Attributes, {
    profile: { city: 'Paris', langs: ['en', 'fr'] },
    visits: 3,
    tags: new Set(['a', 'b']),
  });

  const old = await doc.send(
    new UpdateCommand({
      TableName: TABLE,
      Key,
      UpdateExpression: 'SET visits = visits - :one DELETE tags :a',
      ExpressionAttributeValues: { ':one': 1, ':a': new Set(['a']) },
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  assert.deepEqual(old.Attributes, { visits: 3, tags: new Set(['a', 'b']) });

  const none = await doc.send(
    new UpdateCommand({ TableName: TABLE, Key, UpdateExpression: 'REMOVE profile', ReturnValues: 'NONE' }),
  );
  assert.equal(none.Attributes, undefined);
  const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key, ConsistentRead: true }));
  assert.deepEqual(Item, { pk: 'upd#1', sk: 1, visits: 2, tags: new Set(['b']) });

  // The low-level command, with typed values.
  const low = await client.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: { S: 'upd#1' }, sk: { N: '1' } },
      UpdateExpression: 'SET visits = visits * :x',
      ExpressionAttributeValues: { ':x': { N: '2' } },
    }),
  ).then(
    () => 'ok',
    (e) => e,
  );
  assert.equal(low.name, 'ValidationException', 'there is no * in UpdateExpression');
  assert.match(low.message, /^Invalid UpdateExpression: Syntax error; token: "\*", near: "visits \* :x"$/);
  const lowOk = await client.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: { S: 'upd#1' }, sk: { N: '1' } },
      UpdateExpression: 'SET visits = visits + :x',
      ExpressionAttributeValues: { ':x': { N: '0.5' } },
      ReturnValues: 'UPDATED_NEW',
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  assert.deepEqual(lowOk.Attributes, { visits: { N: '2.5' } });
  assert.deepEqual(lowOk.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 1 });
});

test('ConditionalCheckFailedException, with the item when ReturnValuesOnConditionCheckFailure is ALL_OLD', async () => {
  const Key = { pk: 'cond#1', sk: 1 };
  await doc.send(new PutCommand({ TableName: TABLE, Item: { ...Key, state: 'new', version: 1 }, ConditionExpression: 'attribute_not_exists(pk)' }));
  const err = await expectError(
    doc.send(new PutCommand({ TableName: TABLE, Item: { ...Key, state: 'dup' }, ConditionExpression: 'attribute_not_exists(pk)' })),
    'ConditionalCheckFailedException',
    'The conditional request failed',
  );
  assert.ok(err instanceof ConditionalCheckFailedException, 'instance of the modeled exception class');
  assert.equal(err.Item, undefined, 'no Item unless asked for');

  const withItem = await expectError(
    client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: 'cond#1' }, sk: { N: '1' }, state: { S: 'dup' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    ),
    'ConditionalCheckFailedException',
    'The conditional request failed',
  );
  assert.deepEqual(withItem.Item, { pk: { S: 'cond#1' }, sk: { N: '1' }, state: { S: 'new' }, version: { N: '1' } });

  const upd = await expectError(
    doc.send(
      new UpdateCommand({
        TableName: TABLE,
        Key,
        UpdateExpression: 'SET #s = :s',
        ConditionExpression: 'version = :v',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': 'done', ':v': 2 },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    ),
    'ConditionalCheckFailedException',
  );
  assert.deepEqual(upd.Item, { pk: { S: 'cond#1' }, sk: { N: '1' }, state: { S: 'new' }, version: { N: '1' } });

  const ok = await doc.send(
    new UpdateCommand({
      TableName: TABLE,
      Key,
      UpdateExpression: 'SET #s = :s, version = version + :one',
      ConditionExpression: 'version = :v AND #s IN (:new, :old)',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':s': 'done', ':v': 1, ':one': 1, ':new': 'new', ':old': 'old' },
      ReturnValues: 'ALL_NEW',
    }),
  );
  assert.deepEqual(ok.Attributes, { ...Key, state: 'done', version: 2 });

  const del = await expectError(
    doc.send(
      new DeleteCommand({ TableName: TABLE, Key, ConditionExpression: 'size(#s) > :n', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':n': 4 }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    ),
    'ConditionalCheckFailedException',
  );
  assert.equal(del.Item.version.N, '2');
  await doc.send(new DeleteCommand({ TableName: TABLE, Key, ConditionExpression: 'size(#s) = :n', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':n': 4 } }));
  const gone = await doc.send(new GetCommand({ TableName: TABLE, Key, ConsistentRead: true }));
  assert.equal(gone.Item, undefined);
});

test('paginateQuery over several pages (Limit), ascending and with ScanIndexForward false', async () => {
  const input = { TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: Q } } };
  const counts = [];
  const sks = [];
  for await (const page of paginateQuery({ client, pageSize: 4 }, input)) {
    counts.push(page.Count);
    assert.equal(page.ScannedCount, page.Count);
    if (page.LastEvaluatedKey) assert.deepEqual(page.LastEvaluatedKey, { pk: { S: Q }, sk: page.Items[page.Items.length - 1].sk });
    sks.push(...page.Items.map((i) => Number(i.sk.N)));
  }
  assert.deepEqual(counts, [4, 4, 1]);
  assert.deepEqual(sks, [1, 2, 3, 4, 5, 6, 7, 8, 9]);

  const desc = [];
  let pages = 0;
  for await (const page of paginateDocQuery(
    { client: doc, pageSize: 2 },
    { TableName: TABLE, KeyConditionExpression: 'pk = :p AND sk >= :lo', ExpressionAttributeValues: { ':p': Q, ':lo': 4 }, ScanIndexForward: false },
  )) {
    pages += 1;
    desc.push(...page.Items.map((i) => i.sk));
  }
  assert.deepEqual(desc, [9, 8, 7, 6, 5, 4]);
  assert.ok(pages >= 3, `${pages} pages`);
});

test('QueryCommand: FilterExpression (Count vs ScannedCount), Select COUNT, ProjectionExpression', async () => {
  const filtered = await doc.send(
    new DocQueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :lo AND :hi',
      FilterExpression: 'kind = :k OR contains(note, :three)',
      ExpressionAttributeValues: { ':p': Q, ':lo': 2, ':hi': 7, ':k': 'even', ':three': '3' },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  assert.deepEqual(filtered.Items.map((i) => i.sk), [2, 3, 4, 6]);
  assert.equal(filtered.Count, 4);
  assert.equal(filtered.ScannedCount, 6);
  assert.deepEqual(filtered.Items[0], { pk: Q, sk: 2, v: 20, kind: 'even', note: 'n2' });
  assert.equal(filtered.ConsumedCapacity.TableName, TABLE);
  assert.equal(filtered.ConsumedCapacity.CapacityUnits, 0.5);

  const count = await client.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :p',
      FilterExpression: 'v > :v',
      ExpressionAttributeValues: { ':p': { S: Q }, ':v': { N: '55' } },
      Select: 'COUNT',
    }),
  );
  assert.equal(count.Items, undefined, 'Select COUNT returns no Items');
  assert.equal(count.Count, 4);
  assert.equal(count.ScannedCount, 9);

  const projected = await doc.send(
    new DocQueryCommand({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :p AND #sk < :hi',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':p': Q, ':hi': 4 },
      ProjectionExpression: 'v, note',
      ScanIndexForward: false,
    }),
  );
  assert.deepEqual(projected.Items, [
    { v: 30, note: 'n3' },
    { v: 20, note: 'n2' },
    { v: 10, note: 'n1' },
  ]);

  await expectError(
    client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: Q } }, Select: 'COUNT', ProjectionExpression: 'v' })),
    'ValidationException',
    /Cannot specify the ProjectionExpression when choosing to get only the Count$/,
  );
  await expectError(
    client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': { S: 'q#' } } })),
    'ValidationException',
    'Query key condition not supported',
  );
  await expectError(
    client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :p AND v = :v', ExpressionAttributeValues: { ':p': { S: Q }, ':v': { N: '1' } } })),
    'ValidationException',
    /^Query condition missed key schema element/,
  );
});

test('paginateScan and ScanCommand with a filter, Select COUNT and parallel segments', async () => {
  const keys = [];
  let pages = 0;
  for await (const page of paginateScan({ client, pageSize: 3 }, { TableName: TABLE, ConsistentRead: true })) {
    pages += 1;
    assert.ok(page.ScannedCount <= 3, `page scanned ${page.ScannedCount} > Limit 3`);
    keys.push(...page.Items.map((i) => `${i.pk.S}/${i.sk.N}`));
  }
  assert.ok(pages >= 4, `${pages} pages`);
  assert.equal(new Set(keys).size, keys.length, 'no item twice');
  for (let sk = 1; sk <= 9; sk += 1) assert.ok(keys.includes(`${Q}/${sk}`), `${Q}/${sk} scanned`);

  const odd = await doc.send(
    new DocScanCommand({
      TableName: TABLE,
      FilterExpression: 'pk = :p AND kind = :k AND attribute_exists(note) AND attribute_type(v, :n)',
      ExpressionAttributeValues: { ':p': Q, ':k': 'odd', ':n': 'N' },
      ProjectionExpression: 'sk',
    }),
  );
  assert.deepEqual(odd.Items.map((i) => i.sk).sort((a, b) => a - b), [1, 3, 5, 7, 9]);
  assert.equal(odd.Count, 5);
  assert.equal(odd.ScannedCount, keys.length);

  const count = await client.send(
    new ScanCommand({ TableName: TABLE, Select: 'COUNT', FilterExpression: 'begins_with(pk, :q)', ExpressionAttributeValues: { ':q': { S: 'q#' } } }),
  );
  assert.equal(count.Items, undefined);
  assert.equal(count.Count, 11);
  assert.equal(count.ScannedCount, keys.length);

  const segments = await Promise.all(
    [0, 1, 2].map(async (Segment) => {
      const seen = [];
      for await (const page of paginateScan({ client, pageSize: 2 }, { TableName: TABLE, Segment, TotalSegments: 3, ConsistentRead: true })) {
        seen.push(...page.Items.map((i) => `${i.pk.S}/${i.sk.N}`));
      }
      return seen;
    }),
  );
  assert.deepEqual(segments.flat().sort(), [...keys].sort(), 'the segments together hold each item once');
});

// ---------------------------------------------------------------- batches and transactions
const TX = `${prefix}-tx`; // pk (S) HASH

test('lib-dynamodb TransactWriteCommand: Put + Update + Delete across two tables, all applied', async () => {
  await createTable(TX);
  await waitUntilTableExists(waiterConfig, { TableName: TX });
  await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'tx#1', sk: 1, n: 1 } }));
  await doc.send(new PutCommand({ TableName: TX, Item: { pk: 'gone', v: 1 } }));

  const out = await doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: TX, Item: { pk: 'new', tags: new Set(['a']) }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Update: { TableName: TABLE, Key: { pk: 'tx#1', sk: 1 }, UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': 1 } } },
        { Delete: { TableName: TX, Key: { pk: 'gone' }, ConditionExpression: 'attribute_exists(pk)' } },
      ],
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  assert.equal(out.$metadata.httpStatusCode, 200);
  // Transactional writes cost twice the units of plain ones: 1 KB items, 2 WCU per action.
  const units = Object.fromEntries(out.ConsumedCapacity.map((c) => [c.TableName, c.CapacityUnits]));
  assert.deepEqual(units, { [TX]: 4, [TABLE]: 2 });

  const added = await doc.send(new GetCommand({ TableName: TX, Key: { pk: 'new' }, ConsistentRead: true }));
  assert.deepEqual(added.Item, { pk: 'new', tags: new Set(['a']) });
  const updated = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'tx#1', sk: 1 }, ConsistentRead: true }));
  assert.equal(updated.Item.n, 2);
  const deleted = await doc.send(new GetCommand({ TableName: TX, Key: { pk: 'gone' }, ConsistentRead: true }));
  assert.equal(deleted.Item, undefined);
});

test('TransactWriteCommand with a failing condition: TransactionCanceledException with CancellationReasons, nothing applied', async () => {
  const err = await expectError(
    doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName: TABLE, Key: { pk: 'tx#1', sk: 1 }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 100 } } },
          {
            ConditionCheck: {
              TableName: TX,
              Key: { pk: 'new' },
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Put: { TableName: TX, Item: { pk: 'other' } } },
        ],
      }),
    ),
    'TransactionCanceledException',
    'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]',
  );
  assert.ok(err instanceof TransactionCanceledException, 'instance of the modeled exception class');
  assert.deepEqual(
    err.CancellationReasons.map((r) => r.Code),
    ['None', 'ConditionalCheckFailed', 'None'],
  );
  assert.equal(err.CancellationReasons[1].Message, 'The conditional request failed');
  // The error's item is not converted by lib-dynamodb: it comes as DynamoDB's attribute values.
  assert.deepEqual(err.CancellationReasons[1].Item, { pk: { S: 'new' }, tags: { SS: ['a'] } });
  assert.equal(err.CancellationReasons[0].Item, undefined);

  const kept = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'tx#1', sk: 1 }, ConsistentRead: true }));
  assert.equal(kept.Item.n, 2, 'the update before the failed check was not applied');
  const absent = await doc.send(new GetCommand({ TableName: TX, Key: { pk: 'other' }, ConsistentRead: true }));
  assert.equal(absent.Item, undefined, 'the put after the failed check was not applied');
});

test('lib-dynamodb TransactGetCommand: items in request order, a missing one empty, a projection', async () => {
  const out = await doc.send(
    new TransactGetCommand({
      TransactItems: [
        { Get: { TableName: TX, Key: { pk: 'new' } } },
        { Get: { TableName: TABLE, Key: { pk: 'tx#1', sk: 1 }, ProjectionExpression: '#n', ExpressionAttributeNames: { '#n': 'n' } } },
        { Get: { TableName: TX, Key: { pk: 'gone' } } },
      ],
    }),
  );
  assert.equal(out.Responses.length, 3);
  assert.deepEqual(out.Responses[0].Item, { pk: 'new', tags: new Set(['a']) });
  assert.deepEqual(out.Responses[1].Item, { n: 2 });
  assert.equal(out.Responses[2].Item, undefined);
});

test('lib-dynamodb BatchWriteCommand and BatchGetCommand across two tables', async () => {
  const written = await doc.send(
    new BatchWriteCommand({
      RequestItems: {
        [TABLE]: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((sk) => ({ PutRequest: { Item: { pk: 'bw', sk, even: sk % 2 === 0 } } })),
        [TX]: [{ PutRequest: { Item: { pk: 'bw-a', list: [1, 'two'] } } }, { DeleteRequest: { Key: { pk: 'new' } } }],
      },
    }),
  );
  assert.deepEqual(written.UnprocessedItems, {});

  const keys = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99].map((sk) => ({ pk: 'bw', sk }));
  const read = await doc.send(
    new BatchGetCommand({
      RequestItems: {
        [TABLE]: { Keys: keys, ProjectionExpression: 'sk, even' },
        [TX]: { Keys: [{ pk: 'bw-a' }, { pk: 'new' }], ConsistentRead: true },
      },
    }),
  );
  const got = [...read.Responses[TABLE]].sort((a, b) => a.sk - b.sk);
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((sk) => ({ sk, even: sk % 2 === 0 })));
  assert.deepEqual(read.Responses[TX], [{ pk: 'bw-a', list: [1, 'two'] }]);
  assert.deepEqual(read.UnprocessedKeys, {});
});

// ---------------------------------------------------------------- secondary indexes
const GSI = `${prefix}-gsi`; // pk (S) HASH; GSI by_grp: grp (S) HASH, ts (N) RANGE, ALL

test('CreateTableCommand with a global secondary index; DescribeTable shows it ACTIVE', async () => {
  const out = await createTable(GSI, {
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'grp', AttributeType: 'S' },
      { AttributeName: 'ts', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'by_grp',
        KeySchema: [
          { AttributeName: 'grp', KeyType: 'HASH' },
          { AttributeName: 'ts', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });
  assert.equal(out.TableDescription.GlobalSecondaryIndexes.length, 1);
  assert.equal(out.TableDescription.GlobalSecondaryIndexes[0].IndexName, 'by_grp');
  await waitUntilTableExists(waiterConfig, { TableName: GSI });

  const items = [1, 2, 3, 4, 5, 6, 7].map((ts) => ({ pk: `a${ts}`, grp: 'g1', ts, n: ts * 10 }));
  items.push({ pk: 'b1', grp: 'g2', ts: 1 }, { pk: 'b2', grp: 'g2', ts: 2 }, { pk: 'none', ts: 99 });
  const written = await doc.send(new BatchWriteCommand({ RequestItems: { [GSI]: items.map((Item) => ({ PutRequest: { Item } })) } }));
  assert.deepEqual(written.UnprocessedItems, {});

  const { Table: t } = await client.send(new DescribeTableCommand({ TableName: GSI }));
  assert.equal(t.GlobalSecondaryIndexes.length, 1);
  const g = t.GlobalSecondaryIndexes[0];
  assert.equal(g.IndexName, 'by_grp');
  assert.equal(g.IndexStatus, 'ACTIVE');
  assert.deepEqual(g.KeySchema, [
    { AttributeName: 'grp', KeyType: 'HASH' },
    { AttributeName: 'ts', KeyType: 'RANGE' },
  ]);
  assert.deepEqual(g.Projection, { ProjectionType: 'ALL' });
  assert.equal(g.ItemCount, 9, 'the item without grp is not in the index');
  assert.equal(g.IndexArn, `${t.TableArn}/index/by_grp`);
  assert.equal(t.ItemCount, 10);
});

test('paginateQuery with IndexName: pages of a global index, LastEvaluatedKey with table and index keys', async () => {
  const counts = [];
  const seen = [];
  for await (const page of paginateDocQuery(
    { client: doc, pageSize: 3 },
    { TableName: GSI, IndexName: 'by_grp', KeyConditionExpression: 'grp = :g', ExpressionAttributeValues: { ':g': 'g1' } },
  )) {
    counts.push(page.Count);
    if (page.LastEvaluatedKey) {
      const last = page.Items[page.Items.length - 1];
      assert.deepEqual(page.LastEvaluatedKey, { pk: last.pk, grp: 'g1', ts: last.ts });
    }
    seen.push(...page.Items);
  }
  assert.deepEqual(counts, [3, 3, 1]);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7].map((ts) => ({ pk: `a${ts}`, grp: 'g1', ts, n: ts * 10 })));

  const desc = [];
  for await (const page of paginateQuery(
    { client, pageSize: 2 },
    {
      TableName: GSI,
      IndexName: 'by_grp',
      KeyConditionExpression: 'grp = :g AND ts > :t',
      ExpressionAttributeValues: { ':g': { S: 'g1' }, ':t': { N: '2' } },
      ScanIndexForward: false,
    },
  )) {
    desc.push(...page.Items.map((i) => Number(i.ts.N)));
  }
  assert.deepEqual(desc, [7, 6, 5, 4, 3]);

  // One Limit-ed page: its LastEvaluatedKey holds the table's key and the index's keys.
  const limited = await client.send(
    new QueryCommand({
      TableName: GSI,
      IndexName: 'by_grp',
      KeyConditionExpression: 'grp = :g',
      ExpressionAttributeValues: { ':g': { S: 'g2' } },
      Limit: 1,
    }),
  );
  assert.equal(limited.Count, 1);
  assert.deepEqual(limited.LastEvaluatedKey, { pk: { S: 'b1' }, grp: { S: 'g2' }, ts: { N: '1' } });
  const next = await doc.send(
    new DocQueryCommand({
      TableName: GSI,
      IndexName: 'by_grp',
      KeyConditionExpression: 'grp = :g',
      ExpressionAttributeValues: { ':g': 'g2' },
      ExclusiveStartKey: { pk: 'b1', grp: 'g2', ts: 1 },
    }),
  );
  assert.deepEqual(next.Items, [{ pk: 'b2', grp: 'g2', ts: 2 }]);
  assert.equal(next.LastEvaluatedKey, undefined);
});

test('Query on an unknown index and a consistent read of a global index: ValidationException', async () => {
  const input = { TableName: GSI, KeyConditionExpression: 'grp = :g', ExpressionAttributeValues: { ':g': { S: 'g1' } } };
  await expectError(
    client.send(new QueryCommand({ ...input, IndexName: 'nope' })),
    'ValidationException',
    'The table does not have the specified index: nope',
  );
  await expectError(
    client.send(new QueryCommand({ ...input, IndexName: 'by_grp', ConsistentRead: true })),
    'ValidationException',
    'Consistent reads are not supported on global secondary indexes',
  );
});

const STREAM = `${prefix}-stream`; // pk (S) HASH, stream NEW_AND_OLD_IMAGES

// Every record of every shard of the stream, from TRIM_HORIZON, pages of `limit`: {shardId: [records]}.
async function readStream(arn, limit = 2) {
  const out = {};
  let start;
  do {
    const d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn, Limit: 3, ExclusiveStartShardId: start }))).StreamDescription;
    for (const shard of d.Shards) {
      const records = [];
      let it = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      for (let pages = 0; it; pages += 1) {
        assert.ok(pages < 200, 'a shard that never ends');
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: it, Limit: limit }));
        records.push(...page.Records);
        it = page.Records.length ? page.NextShardIterator : undefined; // an empty page ends an open shard
      }
      out[shard.ShardId] = records;
    }
    start = d.LastEvaluatedShardId;
  } while (start);
  return out;
}

test('CreateTableCommand with a StreamSpecification; DynamoDBStreamsClient ListStreams / DescribeStream / GetShardIterator / GetRecords', async () => {
  const created = await createTable(STREAM, { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  const t = created.TableDescription;
  assert.deepEqual(t.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  assert.match(t.LatestStreamLabel, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
  const arn = t.LatestStreamArn;
  assert.equal(arn, `${t.TableArn}/stream/${t.LatestStreamLabel}`);
  await waitUntilTableExists(waiterConfig, { TableName: STREAM });
  const described = (await client.send(new DescribeTableCommand({ TableName: STREAM }))).Table;
  assert.equal(described.LatestStreamArn, arn);

  const listed = await streams.send(new ListStreamsCommand({ TableName: STREAM }));
  assert.equal(listed.$metadata.httpStatusCode, 200);
  assert.deepEqual(listed.Streams, [{ StreamArn: arn, TableName: STREAM, StreamLabel: t.LatestStreamLabel }]);
  assert.equal(listed.LastEvaluatedStreamArn, undefined);
  const d = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription;
  assert.equal(d.StreamArn, arn);
  assert.equal(d.StreamStatus, 'ENABLED');
  assert.equal(d.StreamViewType, 'NEW_AND_OLD_IMAGES');
  assert.equal(d.TableName, STREAM);
  assert.deepEqual(d.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
  assert.ok(d.CreationRequestDateTime instanceof Date, 'CreationRequestDateTime is a Date');
  assert.ok(d.Shards.length >= 1);
  for (const shard of d.Shards) {
    assert.match(shard.ShardId, /^shardId-/);
    assert.match(shard.SequenceNumberRange.StartingSequenceNumber, /^\d{21,40}$/);
    assert.equal(shard.SequenceNumberRange.EndingSequenceNumber, undefined, 'an open shard');
  }

  await doc.send(new PutCommand({ TableName: STREAM, Item: { pk: 'p1', n: 1, tags: new Set(['a']) } }));
  await doc.send(new PutCommand({ TableName: STREAM, Item: { pk: 'p2', nested: { list: [1, 'two', null, true] } } }));
  await doc.send(new UpdateCommand({ TableName: STREAM, Key: { pk: 'p1' }, UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': 1 } }));
  await doc.send(new UpdateCommand({ TableName: STREAM, Key: { pk: 'p1' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 2 } })); // changes nothing
  await doc.send(new DeleteCommand({ TableName: STREAM, Key: { pk: 'p2' } }));
  await doc.send(new DeleteCommand({ TableName: STREAM, Key: { pk: 'nobody' } })); // deletes nothing
  await doc.send(new BatchWriteCommand({ RequestItems: { [STREAM]: [{ PutRequest: { Item: { pk: 'p3', bin: new Uint8Array([1, 2]) } } }] } }));

  const byShard = await readStream(arn);
  const byItem = {};
  for (const records of Object.values(byShard)) {
    const numbers = records.map((r) => BigInt(r.dynamodb.SequenceNumber));
    for (let i = 1; i < numbers.length; i += 1) assert.ok(numbers[i - 1] < numbers[i], 'SequenceNumber increases within a shard');
    for (const r of records) {
      assert.equal(r.eventSource, 'aws:dynamodb');
      assert.equal(r.eventVersion, '1.1');
      assert.equal(r.awsRegion, region);
      assert.equal(r.dynamodb.StreamViewType, 'NEW_AND_OLD_IMAGES');
      assert.ok(r.dynamodb.ApproximateCreationDateTime instanceof Date, 'ApproximateCreationDateTime is a Date');
      assert.ok(r.dynamodb.SizeBytes > 0);
      assert.equal(r.userIdentity, undefined);
      const key = unmarshall(r.dynamodb.Keys);
      (byItem[key.pk] ||= []).push([
        r.eventName,
        r.dynamodb.OldImage && unmarshall(r.dynamodb.OldImage),
        r.dynamodb.NewImage && unmarshall(r.dynamodb.NewImage),
      ]);
    }
  }
  assert.deepEqual(byItem, {
    p1: [
      ['INSERT', undefined, { pk: 'p1', n: 1, tags: new Set(['a']) }],
      ['MODIFY', { pk: 'p1', n: 1, tags: new Set(['a']) }, { pk: 'p1', n: 2, tags: new Set(['a']) }],
    ],
    p2: [
      ['INSERT', undefined, { pk: 'p2', nested: { list: [1, 'two', null, true] } }],
      ['REMOVE', { pk: 'p2', nested: { list: [1, 'two', null, true] } }, undefined],
    ],
    p3: [['INSERT', undefined, { pk: 'p3', bin: new Uint8Array([1, 2]) }]],
  });

  // AFTER_SEQUENCE_NUMBER / AT_SEQUENCE_NUMBER / LATEST on p1's shard.
  const [shardId, records] = Object.entries(byShard).find(([, rs]) => rs.some((r) => r.dynamodb.Keys.pk.S === 'p1'));
  const last = records[records.length - 1].dynamodb.SequenceNumber;
  const iterator = async (ShardIteratorType, SequenceNumber) =>
    (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType, SequenceNumber }))).ShardIterator;
  const at = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator('AT_SEQUENCE_NUMBER', last) }));
  assert.deepEqual(at.Records.map((r) => r.dynamodb.SequenceNumber), [last]);
  const after = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator('AFTER_SEQUENCE_NUMBER', last) }));
  assert.deepEqual(after.Records, []);
  assert.ok(after.NextShardIterator, 'an open shard always continues');
  await doc.send(new PutCommand({ TableName: STREAM, Item: { pk: 'p1', n: 3 } }));
  const next = await streams.send(new GetRecordsCommand({ ShardIterator: after.NextShardIterator }));
  assert.deepEqual(next.Records.map((r) => [r.eventName, unmarshall(r.dynamodb.NewImage)]), [['MODIFY', { pk: 'p1', n: 3 }]]);
  const latest = await streams.send(new GetRecordsCommand({ ShardIterator: await iterator('LATEST') }));
  assert.deepEqual(latest.Records, []);

  const unknown = `${arn.slice(0, -3)}999`;
  const err = await expectError(streams.send(new DescribeStreamCommand({ StreamArn: unknown })), 'ResourceNotFoundException');
  assert.ok(err instanceof StreamsResourceNotFoundException, 'an instance of the streams SDK class');
  await expectError(streams.send(new GetRecordsCommand({ ShardIterator: 'garbage' })), 'ValidationException');
});

test('DeleteTable returns DELETING; waitUntilTableNotExists; then ResourceNotFoundException', async () => {
  const name = `${prefix}-list-4`;
  const out = await client.send(new DeleteTableCommand({ TableName: name }));
  assert.equal(out.TableDescription.TableName, name);
  assert.equal(out.TableDescription.TableStatus, 'DELETING');
  created.splice(created.indexOf(name), 1);
  const waited = await waitUntilTableNotExists(waiterConfig, { TableName: name });
  assert.equal(waited.state, 'SUCCESS');
  await expectError(
    client.send(new DeleteTableCommand({ TableName: name })),
    'ResourceNotFoundException',
    `Requested resource not found: Table: ${name} not found`,
  );
});

// ---------------------------------------------------------------- runner
let passed = 0;
let failed = 0;
const timer = setTimeout(() => {
  console.log('not ok - timed out after 90 s');
  console.log(`js_v3: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 90000);
for (const [name, fn] of tests) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(e && e.stack ? e.stack : e).split('\n').join('\n  ')}`);
  }
}
for (const name of created) {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }));
  } catch (e) {
    console.log(`# cleanup: DeleteTable ${name}: ${e.name}: ${e.message}`);
  }
}
clearTimeout(timer);
client.destroy();
streams.destroy();
console.log(`js_v3: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
