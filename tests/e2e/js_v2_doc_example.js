// The AWS SDK for JavaScript v2 example from DynamoDB's documentation, run against Basalt.
//
// The snippet between the "snippet" markers is the documentation's, unchanged; only the client
// configuration (AWS.config.update below, before any client is created) is added, and MyTable is
// created first with the low-level client. Afterwards the item is read back with dynamoDB.get and
// compared, then DocumentClient update (UpdateExpression, ReturnValues), conditional put/update
// (ConditionalCheckFailedException), query (KeyConditionExpression, Limit + LastEvaluatedKey,
// FilterExpression), transactWrite and batchGet are checked; the item is left as the snippet
// wrote it. The v2 SDK checks the x-amz-crc32 response header of every DynamoDB response.
//
//   BASALT_ENDPOINT=http://127.0.0.1:8000 node tests/e2e/js_v2_doc_example.js
'use strict';
const path = require('path');
const assert = require('assert').strict;

module.paths.unshift(path.join(__dirname, 'node', 'node_modules')); // tests/e2e/node/node_modules
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

const endpoint = process.env.BASALT_ENDPOINT || 'http://127.0.0.1:8000';
const region = process.env.AWS_REGION || 'us-east-1';
const accessKeyId = process.env.AWS_ACCESS_KEY_ID || 'basalt-test';
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY || 'basalt-test-secret';

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(e && e.stack ? e.stack : e).split('\n').join('\n  ')}`);
  }
}
function finish() {
  console.log(`js_v2_doc_example: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
process.on('unhandledRejection', (e) => {
  failed += 1;
  console.log(`not ok - unhandled error: ${e && e.stack ? e.stack : e}`);
  finish();
});
setTimeout(() => {
  failed += 1;
  console.log('not ok - timed out after 60 s');
  finish();
}, 60000).unref();

const AWS = require('aws-sdk');
AWS.config.update({ endpoint, region, accessKeyId, secretAccessKey, maxRetries: 1 });

async function createMyTable() {
  const ddb = new AWS.DynamoDB();
  try {
    const out = await ddb
      .createTable({
        TableName: 'MyTable',
        AttributeDefinitions: [{ AttributeName: 'userId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      })
      .promise();
    check('createTable MyTable answers CREATING or ACTIVE', () => {
      assert.equal(out.TableDescription.TableName, 'MyTable');
      assert.ok(['CREATING', 'ACTIVE'].includes(out.TableDescription.TableStatus), out.TableDescription.TableStatus);
    });
  } catch (e) {
    // A re-run against a server that already has MyTable.
    if (e.code !== 'ResourceInUseException') throw e;
    console.log('# MyTable already exists');
  }
  const desc = await ddb.waitFor('tableExists', { TableName: 'MyTable', $waiter: { delay: 1, maxAttempts: 30 } }).promise();
  check('waitFor tableExists: MyTable is ACTIVE', () => {
    assert.equal(desc.Table.TableStatus, 'ACTIVE');
    assert.deepEqual(desc.Table.KeySchema, [{ AttributeName: 'userId', KeyType: 'HASH' }]);
  });
}

// The snippet's callback only logs; watch console.log / console.error for its two messages to
// know when it is done and how it went, leaving the snippet itself untouched.
function whenSnippetDone(onDone) {
  const { log, error } = console;
  console.log = (...args) => {
    log(...args);
    if (args[0] === 'Item added:') {
      Object.assign(console, { log, error });
      onDone(null, args[1]);
    }
  };
  console.error = (...args) => {
    error(...args);
    if (args[0] === 'Error adding item:') {
      Object.assign(console, { log, error });
      onDone(args[1]);
    }
  };
}

async function readBack(snippetErr, snippetData) {
  check('the snippet put the item without error', () => {
    assert.equal(snippetErr, null);
    assert.deepEqual(snippetData, {});
  });
  const dynamoDB = new AWS.DynamoDB.DocumentClient();
  const got = await dynamoDB.get({ TableName: 'MyTable', Key: { userId: '12345' } }).promise();
  check('dynamoDB.get returns the item', () => {
    assert.deepEqual(got.Item, { userId: '12345', name: 'John Doe', age: 30 });
    assert.equal(typeof got.Item.age, 'number');
  });
  const low = await new AWS.DynamoDB().getItem({ TableName: 'MyTable', Key: { userId: { S: '12345' } } }).promise();
  check('getItem (low level) returns the typed attributes', () => {
    assert.deepEqual(low.Item, { userId: { S: '12345' }, name: { S: 'John Doe' }, age: { N: '30' } });
  });
  const missing = await dynamoDB.get({ TableName: 'MyTable', Key: { userId: 'no-such-user' } }).promise();
  check('dynamoDB.get of a missing key has no Item', () => {
    assert.equal(missing.Item, undefined);
  });
  await expressions();
  finish();
}

// Checks an async call's rejection: returns the error (or fails the check if it succeeded).
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return null;
}

// DocumentClient update / conditional put / query with pagination, on MyTable and on a table with
// a sort key (e2e-v2-<run id>-events: userId S HASH, ts N RANGE) that is deleted at the end.
async function expressions() {
  const dynamoDB = new AWS.DynamoDB.DocumentClient();
  const ddb = new AWS.DynamoDB();

  const updated = await dynamoDB
    .update({
      TableName: 'MyTable',
      Key: { userId: '12345' },
      UpdateExpression: 'SET age = age + :one, #n = :name, emails = list_append(if_not_exists(emails, :empty), :email) ADD logins :one',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':one': 1, ':name': 'John Q. Doe', ':empty': [], ':email': ['john@example.com'] },
      ReturnValues: 'ALL_NEW',
    })
    .promise();
  check('dynamoDB.update with UpdateExpression returns ALL_NEW', () => {
    assert.deepEqual(updated.Attributes, {
      userId: '12345',
      name: 'John Q. Doe',
      age: 31,
      emails: ['john@example.com'],
      logins: 1,
    });
  });
  const updatedNew = await dynamoDB
    .update({
      TableName: 'MyTable',
      Key: { userId: '12345' },
      UpdateExpression: 'SET #n = :name, age = :age REMOVE emails, logins',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':name': 'John Doe', ':age': 30 },
      ReturnValues: 'UPDATED_NEW',
    })
    .promise();
  check('dynamoDB.update with ReturnValues UPDATED_NEW, then the item is as the snippet wrote it', () => {
    assert.deepEqual(updatedNew.Attributes, { name: 'John Doe', age: 30 });
  });
  const back = await dynamoDB.get({ TableName: 'MyTable', Key: { userId: '12345' }, ConsistentRead: true }).promise();
  check('the item is back to the snippet\'s', () => {
    assert.deepEqual(back.Item, { userId: '12345', name: 'John Doe', age: 30 });
  });

  const condErr = await rejection(
    dynamoDB
      .put({
        TableName: 'MyTable',
        Item: { userId: '12345', name: 'Impostor' },
        ConditionExpression: 'attribute_not_exists(userId)',
      })
      .promise(),
  );
  check('conditional dynamoDB.put on an existing item: ConditionalCheckFailedException', () => {
    assert.ok(condErr, 'the put succeeded');
    assert.equal(condErr.code, 'ConditionalCheckFailedException');
    assert.equal(condErr.message, 'The conditional request failed');
    assert.equal(condErr.statusCode, 400);
    assert.equal(condErr.retryable, false);
  });
  const condUpdErr = await rejection(
    dynamoDB
      .update({
        TableName: 'MyTable',
        Key: { userId: '12345' },
        UpdateExpression: 'SET age = :a',
        ConditionExpression: 'age > :a',
        ExpressionAttributeValues: { ':a': 40 },
      })
      .promise(),
  );
  check('conditional dynamoDB.update that fails: ConditionalCheckFailedException', () => {
    assert.ok(condUpdErr, 'the update succeeded');
    assert.equal(condUpdErr.code, 'ConditionalCheckFailedException');
  });
  const condOk = await dynamoDB
    .put({
      TableName: 'MyTable',
      Item: { userId: '12345', name: 'John Doe', age: 30 },
      ConditionExpression: '#n = :n AND age BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':n': 'John Doe', ':lo': 18, ':hi': 99 },
      ReturnValues: 'ALL_OLD',
    })
    .promise();
  check('conditional dynamoDB.put whose condition holds', () => {
    assert.deepEqual(condOk.Attributes, { userId: '12345', name: 'John Doe', age: 30 });
  });

  // query with KeyConditionExpression, page by page.
  const table = `e2e-v2-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-events`;
  await ddb
    .createTable({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'ts', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'ts', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    })
    .promise();
  try {
    await ddb.waitFor('tableExists', { TableName: table, $waiter: { delay: 1, maxAttempts: 30 } }).promise();
    for (let ts = 1; ts <= 7; ts += 1) {
      await dynamoDB.put({ TableName: table, Item: { userId: '12345', ts, type: ts % 3 === 0 ? 'logout' : 'login' } }).promise();
    }
    await dynamoDB.put({ TableName: table, Item: { userId: 'other', ts: 1, type: 'login' } }).promise();

    const params = {
      TableName: table,
      KeyConditionExpression: 'userId = :u AND ts >= :from',
      ExpressionAttributeValues: { ':u': '12345', ':from': 2 },
      Limit: 2,
    };
    const pages = [];
    let start;
    do {
      const page = await dynamoDB.query(start ? { ...params, ExclusiveStartKey: start } : params).promise();
      pages.push(page);
      start = page.LastEvaluatedKey;
    } while (start && pages.length < 10);
    // DynamoDB answers LastEvaluatedKey whenever a page stopped at Limit, even when nothing is
    // left: the third page ends at the last item and still has one, so a fourth, empty page follows.
    check('dynamoDB.query with KeyConditionExpression and Limit 2, following LastEvaluatedKey', () => {
      assert.deepEqual(pages.map((p) => p.Count), [2, 2, 2, 0]);
      assert.deepEqual(pages[2].LastEvaluatedKey, { userId: '12345', ts: 7 });
      assert.equal(pages[3].LastEvaluatedKey, undefined);
      assert.deepEqual(pages.flatMap((p) => p.Items.map((i) => i.ts)), [2, 3, 4, 5, 6, 7]);
      assert.deepEqual(pages[0].LastEvaluatedKey, { userId: '12345', ts: 3 });
      assert.deepEqual(pages[0].Items[0], { userId: '12345', ts: 2, type: 'login' });
    });
    const last = await dynamoDB.query({ ...params, ExclusiveStartKey: { userId: '12345', ts: 7 } }).promise();
    check('dynamoDB.query past the last item: no Items, no LastEvaluatedKey', () => {
      assert.deepEqual(last.Items, []);
      assert.equal(last.Count, 0);
      assert.equal(last.LastEvaluatedKey, undefined);
    });

    const filtered = await dynamoDB
      .query({
        TableName: table,
        KeyConditionExpression: 'userId = :u',
        FilterExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: { ':u': '12345', ':t': 'logout' },
        ScanIndexForward: false,
      })
      .promise();
    check('dynamoDB.query with FilterExpression and ScanIndexForward false', () => {
      assert.deepEqual(filtered.Items.map((i) => i.ts), [6, 3]);
      assert.equal(filtered.Count, 2);
      assert.equal(filtered.ScannedCount, 7);
    });

    // The low-level client's eachPage follows LastEvaluatedKey by itself.
    const lowPages = [];
    await new Promise((resolve, reject) => {
      ddb
        .query({ TableName: table, KeyConditionExpression: 'userId = :u', ExpressionAttributeValues: { ':u': { S: '12345' } }, Limit: 3 })
        .eachPage((err, data) => {
          if (err) {
            reject(err);
            return false;
          }
          if (data === null) {
            resolve();
            return false;
          }
          lowPages.push(data);
          return true;
        });
    });
    check('low-level query().eachPage over the pages (Limit 3)', () => {
      assert.deepEqual(lowPages.flatMap((p) => p.Items.map((i) => Number(i.ts.N))), [1, 2, 3, 4, 5, 6, 7]);
      assert.ok(lowPages.length >= 3, `${lowPages.length} pages`);
      assert.deepEqual(lowPages.slice(0, 3).map((p) => p.Count), [3, 3, 1]);
    });

    // DocumentClient transactWrite over both tables (MyTable only checked, so its item stays as
    // the snippet wrote it), then batchGet of what it wrote.
    await dynamoDB
      .transactWrite({
        TransactItems: [
          { Put: { TableName: table, Item: { userId: 'tx', ts: 1, type: 'login' }, ConditionExpression: 'attribute_not_exists(userId)' } },
          {
            Update: {
              TableName: table,
              Key: { userId: 'other', ts: 1 },
              UpdateExpression: 'SET #t = :t',
              ConditionExpression: '#t = :old',
              ExpressionAttributeNames: { '#t': 'type' },
              ExpressionAttributeValues: { ':t': 'logout', ':old': 'login' },
            },
          },
          { ConditionCheck: { TableName: 'MyTable', Key: { userId: '12345' }, ConditionExpression: 'age = :age', ExpressionAttributeValues: { ':age': 30 } } },
        ],
      })
      .promise();
    const batch = await dynamoDB
      .batchGet({
        RequestItems: {
          [table]: { Keys: [{ userId: 'tx', ts: 1 }, { userId: 'other', ts: 1 }, { userId: 'nobody', ts: 1 }] },
          MyTable: { Keys: [{ userId: '12345' }], ProjectionExpression: '#n', ExpressionAttributeNames: { '#n': 'name' } },
        },
      })
      .promise();
    check('dynamoDB.transactWrite (Put, Update, ConditionCheck over two tables), then dynamoDB.batchGet', () => {
      const events = [...batch.Responses[table]].sort((a, b) => a.userId.localeCompare(b.userId));
      assert.deepEqual(events, [
        { userId: 'other', ts: 1, type: 'logout' },
        { userId: 'tx', ts: 1, type: 'login' },
      ]);
      assert.deepEqual(batch.Responses.MyTable, [{ name: 'John Doe' }]);
      assert.deepEqual(batch.UnprocessedKeys, {});
    });
  } finally {
    await ddb.deleteTable({ TableName: table }).promise();
  }
}

createMyTable().then(() => {
  whenSnippetDone((err, data) => {
    readBack(err, data).catch((e) => {
      failed += 1;
      console.log(`not ok - read back: ${e && e.stack ? e.stack : e}`);
      finish();
    });
  });

  // ---- snippet (DynamoDB documentation), unchanged ----
  const dynamoDB = new AWS.DynamoDB.DocumentClient();
  const params = { TableName: 'MyTable', Item: { userId: '12345', name: 'John Doe', age: 30 } };
  dynamoDB.put(params, (err, data) => { if (err) { console.error('Error adding item:', err); } else { console.log('Item added:', data); } });
  // ---- end of snippet ----
}, (e) => {
  failed += 1;
  console.log(`not ok - create MyTable: ${e && e.stack ? e.stack : e}`);
  finish();
});
