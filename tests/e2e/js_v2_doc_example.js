// The AWS SDK for JavaScript v2 example from DynamoDB's documentation, run against Basalt.
//
// The snippet between the "snippet" markers is the documentation's, unchanged; only the client
// configuration (AWS.config.update below, before any client is created) is added, and MyTable is
// created first with the low-level client. Afterwards the item is read back with dynamoDB.get and
// compared. The v2 SDK checks the x-amz-crc32 response header of every DynamoDB response.
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
  finish();
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
