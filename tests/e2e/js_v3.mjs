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
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsOfResourceCommand,
  paginateListTables,
  waitUntilTableExists,
  waitUntilTableNotExists,
} = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, PutCommand, GetCommand, DeleteCommand, NumberValue } = require('@aws-sdk/lib-dynamodb');

const endpoint = process.env.BASALT_ENDPOINT || 'http://127.0.0.1:8000';
const region = process.env.AWS_REGION || 'us-east-1';
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'basalt-test',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'basalt-test-secret',
};
const client = new DynamoDBClient({ endpoint, region, credentials, maxAttempts: 2 });
const doc = DynamoDBDocumentClient.from(client);
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

  // Expressions are not built yet: a projection is refused with a clear ValidationException,
  // never ignored.
  await assert.rejects(
    client.send(
      new GetItemCommand({ TableName: TABLE, Key: key, ProjectionExpression: '#n', ExpressionAttributeNames: { '#n': 'name' } }),
    ),
    (err) => err.name === 'ValidationException' && /not supported by this version of Basalt yet/.test(err.message),
  );

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
  const wide = DynamoDBDocumentClient.from(client, { unmarshallOptions: { wrapNumbers: true } });
  await wide.send(
    new PutCommand({
      TableName: TABLE,
      Item: { pk: 'doc#2', sk: 1, n: NumberValue.from('123456789012345678901234567890.5'), small: NumberValue.from('-98765.4321') },
    }),
  );
  const got = await wide.send(new GetCommand({ TableName: TABLE, Key: { pk: 'doc#2', sk: 1 } }));
  assert.equal(got.Item.n.toString(), '123456789012345678901234567890.5');
  assert.equal(got.Item.small.toString(), '-98765.4321');

  const del = await doc.send(
    new DeleteCommand({ TableName: TABLE, Key: { pk: 'doc#1', sk: 42 }, ReturnValues: 'ALL_OLD' }),
  );
  assert.equal(del.Attributes.title, 'Basalt');
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
console.log(`js_v3: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
