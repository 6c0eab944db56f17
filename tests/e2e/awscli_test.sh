#!/usr/bin/env bash
# The AWS CLI (v1, from tests/e2e/.venv) against Basalt.
#
#   BASALT_ENDPOINT=http://127.0.0.1:8000 bash tests/e2e/awscli_test.sh
#
# Outputs are checked with the venv's python and json (no jq). The last line is
# 'awscli: N passed, N failed'.
set -uo pipefail

E2E_DIR="$(cd "$(dirname "$0")" && pwd)"
ENDPOINT="${BASALT_ENDPOINT:-http://127.0.0.1:8000}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-basalt-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-basalt-test-secret}"
export AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_EC2_METADATA_DISABLED=true
export AWS_PAGER=""
export AWS_MAX_ATTEMPTS=2
AWS="$E2E_DIR/.venv/bin/aws"
PY="$E2E_DIR/.venv/bin/python"
[ -x "$AWS" ] || { echo "awscli not installed: run tests/e2e/run.sh once"; exit 2; }

TABLE="e2e-cli-$(date +%s)-$RANDOM"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
  failed=$((failed + 1)); echo "not ok - $1"
  [ -s "$OUT/stdout" ] && sed 's/^/  stdout: /' "$OUT/stdout" | head -40
  [ -s "$OUT/stderr" ] && sed 's/^/  stderr: /' "$OUT/stderr" | head -20
  return 0
}
# ddb ARGS...: runs `aws dynamodb ARGS --endpoint-url ...`, output in $OUT/stdout, $OUT/stderr
ddb() {
  "$AWS" dynamodb "$@" --endpoint-url "$ENDPOINT" --output json >"$OUT/stdout" 2>"$OUT/stderr"
}
# dds ARGS...: the same for `aws dynamodbstreams ARGS`
dds() {
  "$AWS" dynamodbstreams "$@" --endpoint-url "$ENDPOINT" --output json >"$OUT/stdout" 2>"$OUT/stderr"
}
# py EXPR: prints EXPR evaluated with `out` = the parsed JSON of the last stdout
py() {
  "$PY" -c 'import json, sys; out = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$OUT/stdout" "$1"
}
# check NAME PYTHON-EXPR: evaluates EXPR with `out` = the parsed JSON of the last stdout
check() {
  local name="$1" expr="$2"
  if "$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
out = json.loads(text) if text.strip() else None
ok = eval(sys.argv[2])
sys.exit(0 if ok else 1)
' "$OUT/stdout" "$expr" 2>>"$OUT/stderr"; then
    ok "$name"
  else
    not_ok "$name (expected: $expr)"
  fi
}

# ---- create-table, then poll describe-table until ACTIVE (the CLI's waiter sleeps 20 s)
if ddb create-table --table-name "$TABLE" \
  --attribute-definitions AttributeName=userId,AttributeType=S \
  --key-schema AttributeName=userId,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST; then
  check "create-table" "out['TableDescription']['TableName'] == '$TABLE' and out['TableDescription']['TableStatus'] in ('CREATING', 'ACTIVE')"
else
  not_ok "create-table"
fi
status=""
for _ in $(seq 1 60); do
  ddb describe-table --table-name "$TABLE" &&
    status="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Table"]["TableStatus"])' "$OUT/stdout")"
  [ "$status" = "ACTIVE" ] && break
  sleep 0.5
done
if [ "$status" = "ACTIVE" ]; then ok "table becomes ACTIVE"; else not_ok "table becomes ACTIVE (last: $status)"; fi

# ---- put-item / get-item
if ddb put-item --table-name "$TABLE" \
  --item '{"userId": {"S": "12345"}, "name": {"S": "John Doe"}, "age": {"N": "30"}, "tags": {"SS": ["a", "b"]}, "address": {"M": {"city": {"S": "Seattle"}}}}' \
  --return-consumed-capacity TOTAL; then
  check "put-item" "out == {'ConsumedCapacity': {'TableName': '$TABLE', 'CapacityUnits': 1.0}}"
else
  not_ok "put-item"
fi

if ddb get-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}'; then
  check "get-item returns the item" "out['Item']['userId'] == {'S': '12345'} and out['Item']['name'] == {'S': 'John Doe'} and out['Item']['age'] == {'N': '30'} and sorted(out['Item']['tags']['SS']) == ['a', 'b'] and out['Item']['address'] == {'M': {'city': {'S': 'Seattle'}}} and len(out['Item']) == 5"
else
  not_ok "get-item"
fi

if ddb get-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}' --projection-expression "#n, address.city, tags" --expression-attribute-names '{"#n": "name"}'; then
  check "get-item --projection-expression" "out['Item']['name'] == {'S': 'John Doe'} and out['Item']['address'] == {'M': {'city': {'S': 'Seattle'}}} and sorted(out['Item']['tags']['SS']) == ['a', 'b'] and len(out['Item']) == 3"
else
  not_ok "get-item --projection-expression"
fi

# ---- update-item, conditional put-item
if ddb update-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}' \
  --update-expression "SET age = age + :one, address.zip = :zip ADD tags :t REMOVE #n" \
  --expression-attribute-names '{"#n": "name"}' \
  --expression-attribute-values '{":one": {"N": "1"}, ":zip": {"S": "98101"}, ":t": {"SS": ["c"]}}' \
  --return-values ALL_NEW; then
  check "update-item --update-expression --return-values ALL_NEW" "out['Attributes']['age'] == {'N': '31'} and out['Attributes']['address'] == {'M': {'city': {'S': 'Seattle'}, 'zip': {'S': '98101'}}} and sorted(out['Attributes']['tags']['SS']) == ['a', 'b', 'c'] and 'name' not in out['Attributes'] and len(out['Attributes']) == 4"
else
  not_ok "update-item --update-expression --return-values ALL_NEW"
fi

if ddb update-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}' \
  --update-expression "SET #n = :n" --condition-expression "age = :age" \
  --expression-attribute-names '{"#n": "name"}' \
  --expression-attribute-values '{":n": {"S": "John Doe"}, ":age": {"N": "31"}}' \
  --return-values UPDATED_OLD; then
  check "update-item --condition-expression that holds, UPDATED_OLD of a new attribute is empty" "out is None or out == {}"
else
  not_ok "update-item --condition-expression that holds"
fi

ddb put-item --table-name "$TABLE" --item '{"userId": {"S": "12345"}}' --condition-expression "attribute_not_exists(userId)"
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: The conditional request failed" "$OUT/stderr"; then
  ok "put-item --condition-expression on an existing item: ConditionalCheckFailedException"
else
  not_ok "put-item --condition-expression on an existing item: ConditionalCheckFailedException (rc=$rc)"
fi

if ddb get-item --table-name "$TABLE" --key '{"userId": {"S": "nobody"}}'; then
  check "get-item of a missing key prints nothing" "out is None or out == {}"
else
  not_ok "get-item of a missing key"
fi

# ---- list-tables, describe-table
if ddb list-tables; then
  check "list-tables lists the table" "'$TABLE' in out['TableNames']"
else
  not_ok "list-tables"
fi

if ddb describe-table --table-name "$TABLE"; then
  check "describe-table" "out['Table']['TableName'] == '$TABLE' and out['Table']['TableStatus'] == 'ACTIVE' and out['Table']['KeySchema'] == [{'AttributeName': 'userId', 'KeyType': 'HASH'}] and out['Table']['AttributeDefinitions'] == [{'AttributeName': 'userId', 'AttributeType': 'S'}] and out['Table']['ItemCount'] == 1 and out['Table']['BillingModeSummary']['BillingMode'] == 'PAY_PER_REQUEST' and out['Table']['TableArn'].endswith(':table/$TABLE')"
else
  not_ok "describe-table"
fi

# ---- errors: the CLI exits 255 and prints DynamoDB's code and message
ddb get-item --table-name "$TABLE-missing" --key '{"userId": {"S": "12345"}}'
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ResourceNotFoundException) when calling the GetItem operation: Requested resource not found" "$OUT/stderr"; then
  ok "get-item on a missing table: ResourceNotFoundException"
else
  not_ok "get-item on a missing table: ResourceNotFoundException (rc=$rc)"
fi

ddb get-item --table-name "$TABLE" --key '{"wrong": {"S": "12345"}}'
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ValidationException) when calling the GetItem operation: The provided key element does not match the schema" "$OUT/stderr"; then
  ok "get-item with a wrong key: ValidationException"
else
  not_ok "get-item with a wrong key: ValidationException (rc=$rc)"
fi

# ---- query (the CLI follows LastEvaluatedKey itself: --page-size only sets each request's Limit),
# scan --select COUNT; on a second table with a sort key
EVENTS="$TABLE-events"
if ddb create-table --table-name "$EVENTS" \
  --attribute-definitions AttributeName=userId,AttributeType=S AttributeName=ts,AttributeType=N \
  --key-schema AttributeName=userId,KeyType=HASH AttributeName=ts,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST; then
  ok "create-table with a sort key"
else
  not_ok "create-table with a sort key"
fi
status=""
for _ in $(seq 1 60); do
  ddb describe-table --table-name "$EVENTS" &&
    status="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Table"]["TableStatus"])' "$OUT/stdout")"
  [ "$status" = "ACTIVE" ] && break
  sleep 0.5
done
put_failures=0
for ts in 1 2 3 4 5 6 7; do
  kind=login; [ $((ts % 3)) -eq 0 ] && kind=logout
  ddb put-item --table-name "$EVENTS" --item "{\"userId\": {\"S\": \"u1\"}, \"ts\": {\"N\": \"$ts\"}, \"kind\": {\"S\": \"$kind\"}}" || put_failures=$((put_failures + 1))
done
ddb put-item --table-name "$EVENTS" --item '{"userId": {"S": "u2"}, "ts": {"N": "1"}, "kind": {"S": "login"}}' || put_failures=$((put_failures + 1))
if [ "$put_failures" -eq 0 ]; then ok "8 put-item into the table with a sort key"; else not_ok "put-item into the table with a sort key ($put_failures failed)"; fi

if ddb query --table-name "$EVENTS" --key-condition-expression "userId = :u" \
  --expression-attribute-values '{":u": {"S": "u1"}}' --page-size 2 --debug; then
  check "query --page-size 2 gathers all 7 items" "out['Count'] == 7 and out['ScannedCount'] == 7 and [int(i['ts']['N']) for i in out['Items']] == [1, 2, 3, 4, 5, 6, 7]"
  # 2 + 2 + 2 + 1 items: the fourth page is short, so it has no LastEvaluatedKey and the CLI stops.
  requests="$(grep -c "Making request for OperationModel(name=Query)" "$OUT/stderr")"
  if [ "$requests" = "4" ]; then ok "query --page-size 2 took 4 requests"; else not_ok "query --page-size 2 took 4 requests (saw $requests)"; fi
else
  not_ok "query --page-size 2"
fi

if ddb query --table-name "$EVENTS" --key-condition-expression "userId = :u AND ts BETWEEN :a AND :b" \
  --filter-expression "kind = :k" --projection-expression "ts" --no-scan-index-forward \
  --expression-attribute-values '{":u": {"S": "u1"}, ":a": {"N": "2"}, ":b": {"N": "6"}, ":k": {"S": "login"}}' --page-size 2; then
  check "query with BETWEEN, --filter-expression, --projection-expression, --no-scan-index-forward" "out['Items'] == [{'ts': {'N': '5'}}, {'ts': {'N': '4'}}, {'ts': {'N': '2'}}] and out['Count'] == 3 and out['ScannedCount'] == 5"
else
  not_ok "query with BETWEEN, --filter-expression, --projection-expression, --no-scan-index-forward"
fi

if ddb query --table-name "$EVENTS" --key-condition-expression "userId = :u" \
  --expression-attribute-values '{":u": {"S": "u1"}}' --select COUNT --page-size 3; then
  check "query --select COUNT" "out['Count'] == 7 and out['ScannedCount'] == 7 and 'Items' not in out"
else
  not_ok "query --select COUNT"
fi

if ddb scan --table-name "$EVENTS" --select COUNT; then
  check "scan --select COUNT" "out['Count'] == 8 and out['ScannedCount'] == 8 and 'Items' not in out"
else
  not_ok "scan --select COUNT"
fi

if ddb scan --table-name "$EVENTS" --select COUNT --filter-expression "kind = :k" \
  --expression-attribute-values '{":k": {"S": "logout"}}' --page-size 3; then
  check "scan --select COUNT --filter-expression --page-size 3" "out['Count'] == 2 and out['ScannedCount'] == 8 and 'Items' not in out"
else
  not_ok "scan --select COUNT --filter-expression --page-size 3"
fi

if ddb scan --table-name "$EVENTS" --segment 1 --total-segments 2 && cp "$OUT/stdout" "$OUT/seg1" &&
  ddb scan --table-name "$EVENTS" --segment 0 --total-segments 2; then
  check "scan --segment 0 and 1 of --total-segments 2 hold the 8 items once" "sorted((i['userId']['S'], int(i['ts']['N'])) for i in out['Items'] + json.load(open('$OUT/seg1'))['Items']) == [('u1', t) for t in range(1, 8)] + [('u2', 1)]"
else
  not_ok "scan --segment / --total-segments"
fi

ddb query --table-name "$EVENTS" --key-condition-expression "ts = :t" --expression-attribute-values '{":t": {"N": "1"}}'
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ValidationException) when calling the Query operation: Query condition missed key schema element: userId" "$OUT/stderr"; then
  ok "query without the partition key: ValidationException"
else
  not_ok "query without the partition key: ValidationException (rc=$rc)"
fi

# ---- batch-write-item from a file (two tables, puts and a delete), transact-get-items
cat >"$OUT/batch-write.json" <<EOF
{
  "$EVENTS": [
    {"PutRequest": {"Item": {"userId": {"S": "u3"}, "ts": {"N": "1"}, "kind": {"S": "login"}}}},
    {"PutRequest": {"Item": {"userId": {"S": "u3"}, "ts": {"N": "2"}, "kind": {"S": "logout"}}}},
    {"DeleteRequest": {"Key": {"userId": {"S": "u2"}, "ts": {"N": "1"}}}}
  ],
  "$TABLE": [
    {"PutRequest": {"Item": {"userId": {"S": "batch"}, "name": {"S": "Batch"}, "n": {"N": "1"}}}}
  ]
}
EOF
if ddb batch-write-item --request-items "file://$OUT/batch-write.json" --return-consumed-capacity TOTAL; then
  check "batch-write-item --request-items file://" "out['UnprocessedItems'] == {} and sorted((c['TableName'], c['CapacityUnits']) for c in out['ConsumedCapacity']) == sorted([('$EVENTS', 3.0), ('$TABLE', 1.0)])"
else
  not_ok "batch-write-item --request-items file://"
fi

cat >"$OUT/transact-get.json" <<EOF
[
  {"Get": {"TableName": "$EVENTS", "Key": {"userId": {"S": "u3"}, "ts": {"N": "2"}}}},
  {"Get": {"TableName": "$EVENTS", "Key": {"userId": {"S": "u2"}, "ts": {"N": "1"}}}},
  {"Get": {"TableName": "$TABLE", "Key": {"userId": {"S": "batch"}}, "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "name"}}}
]
EOF
if ddb transact-get-items --transact-items "file://$OUT/transact-get.json"; then
  check "transact-get-items: in request order, the deleted item empty, a projection" "out['Responses'] == [{'Item': {'userId': {'S': 'u3'}, 'ts': {'N': '2'}, 'kind': {'S': 'logout'}}}, {}, {'Item': {'name': {'S': 'Batch'}}}]"
else
  not_ok "transact-get-items"
fi

if ddb delete-table --table-name "$EVENTS"; then ok "delete-table of the table with a sort key"; else not_ok "delete-table of the table with a sort key"; fi

# ---- a global secondary index: create-table --global-secondary-indexes, describe-table --query,
# query --index-name (the CLI follows LastEvaluatedKey of the index itself)
GSI_TABLE="$TABLE-gsi"
if ddb create-table --table-name "$GSI_TABLE" \
  --attribute-definitions AttributeName=userId,AttributeType=S AttributeName=city,AttributeType=S AttributeName=age,AttributeType=N \
  --key-schema AttributeName=userId,KeyType=HASH \
  --global-secondary-indexes '[{"IndexName": "by_city", "KeySchema": [{"AttributeName": "city", "KeyType": "HASH"}, {"AttributeName": "age", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["name"]}}]' \
  --billing-mode PAY_PER_REQUEST; then
  check "create-table --global-secondary-indexes" "[g['IndexName'] for g in out['TableDescription']['GlobalSecondaryIndexes']] == ['by_city']"
else
  not_ok "create-table --global-secondary-indexes"
fi
status=""
for _ in $(seq 1 60); do
  ddb describe-table --table-name "$GSI_TABLE" --query 'Table.GlobalSecondaryIndexes[0].IndexStatus' &&
    status="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])))' "$OUT/stdout")"
  [ "$status" = "ACTIVE" ] && break
  sleep 0.5
done
if [ "$status" = "ACTIVE" ]; then ok "describe-table --query 'Table.GlobalSecondaryIndexes[0].IndexStatus' is ACTIVE"; else not_ok "describe-table --query 'Table.GlobalSecondaryIndexes[0].IndexStatus' is ACTIVE (last: $status)"; fi

put_failures=0
for n in 1 2 3 4 5; do
  city=Seattle; [ "$n" -eq 4 ] && city=Paris
  ddb put-item --table-name "$GSI_TABLE" --item "{\"userId\": {\"S\": \"u$n\"}, \"city\": {\"S\": \"$city\"}, \"age\": {\"N\": \"$((60 - n * 10))\"}, \"name\": {\"S\": \"User $n\"}, \"email\": {\"S\": \"u$n@example.com\"}}" || put_failures=$((put_failures + 1))
done
ddb put-item --table-name "$GSI_TABLE" --item '{"userId": {"S": "u6"}, "age": {"N": "20"}}' || put_failures=$((put_failures + 1))
if [ "$put_failures" -eq 0 ]; then ok "6 put-item into the table with a global index"; else not_ok "put-item into the table with a global index ($put_failures failed)"; fi

if ddb describe-table --table-name "$GSI_TABLE" --query 'Table.GlobalSecondaryIndexes[0]'; then
  check "describe-table: the index's key schema, projection, ItemCount (sparse) and IndexArn" "out['KeySchema'] == [{'AttributeName': 'city', 'KeyType': 'HASH'}, {'AttributeName': 'age', 'KeyType': 'RANGE'}] and out['Projection'] == {'ProjectionType': 'INCLUDE', 'NonKeyAttributes': ['name']} and out['ItemCount'] == 5 and out['IndexArn'].endswith(':table/$GSI_TABLE/index/by_city')"
else
  not_ok "describe-table --query 'Table.GlobalSecondaryIndexes[0]'"
fi

if ddb query --table-name "$GSI_TABLE" --index-name by_city --key-condition-expression "city = :c" \
  --expression-attribute-values '{":c": {"S": "Seattle"}}' --page-size 2 --debug; then
  check "query --index-name --page-size 2: the index's items in age order, its projection" "out['Count'] == 4 and [(i['userId']['S'], int(i['age']['N'])) for i in out['Items']] == [('u5', 10), ('u3', 30), ('u2', 40), ('u1', 50)] and all(sorted(i) == ['age', 'city', 'name', 'userId'] for i in out['Items'])"
  # 2 + 2 items: the second page is full, so a third request finds nothing.
  requests="$(grep -c "Making request for OperationModel(name=Query)" "$OUT/stderr")"
  if [ "$requests" = "3" ]; then ok "query --index-name --page-size 2 took 3 requests"; else not_ok "query --index-name --page-size 2 took 3 requests (saw $requests)"; fi
else
  not_ok "query --index-name --page-size 2"
fi

if ddb query --table-name "$GSI_TABLE" --index-name by_city --key-condition-expression "city = :c AND age > :a" \
  --expression-attribute-values '{":c": {"S": "Seattle"}, ":a": {"N": "20"}}' --no-scan-index-forward --projection-expression "userId, age"; then
  check "query --index-name with a sort key condition, --no-scan-index-forward" "out['Items'] == [{'userId': {'S': 'u1'}, 'age': {'N': '50'}}, {'userId': {'S': 'u2'}, 'age': {'N': '40'}}, {'userId': {'S': 'u3'}, 'age': {'N': '30'}}]"
else
  not_ok "query --index-name with a sort key condition"
fi

if ddb scan --table-name "$GSI_TABLE" --index-name by_city --select COUNT; then
  check "scan --index-name --select COUNT: the item without city is not in the index" "out['Count'] == 5"
else
  not_ok "scan --index-name --select COUNT"
fi

ddb query --table-name "$GSI_TABLE" --index-name by_city --key-condition-expression "city = :c" \
  --expression-attribute-values '{":c": {"S": "Seattle"}}' --consistent-read
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ValidationException) when calling the Query operation: Consistent reads are not supported on global secondary indexes" "$OUT/stderr"; then
  ok "query --index-name --consistent-read: ValidationException"
else
  not_ok "query --index-name --consistent-read: ValidationException (rc=$rc)"
fi

ddb query --table-name "$GSI_TABLE" --index-name nope --key-condition-expression "city = :c" \
  --expression-attribute-values '{":c": {"S": "Seattle"}}'
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ValidationException) when calling the Query operation: The table does not have the specified index: nope" "$OUT/stderr"; then
  ok "query --index-name of an unknown index: ValidationException"
else
  not_ok "query --index-name of an unknown index: ValidationException (rc=$rc)"
fi

if ddb delete-table --table-name "$GSI_TABLE"; then ok "delete-table of the table with a global index"; else not_ok "delete-table of the table with a global index"; fi

# ---- DynamoDB Streams: create-table --stream-specification, aws dynamodbstreams ...
STREAM_TABLE="$TABLE-stream"
if ddb create-table --table-name "$STREAM_TABLE" \
  --attribute-definitions AttributeName=userId,AttributeType=S \
  --key-schema AttributeName=userId,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST \
  --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES; then
  check "create-table --stream-specification" "out['TableDescription']['StreamSpecification'] == {'StreamEnabled': True, 'StreamViewType': 'NEW_AND_OLD_IMAGES'} and out['TableDescription']['LatestStreamArn'] == out['TableDescription']['TableArn'] + '/stream/' + out['TableDescription']['LatestStreamLabel']"
  STREAM_ARN="$(py "out['TableDescription']['LatestStreamArn']")"
else
  not_ok "create-table --stream-specification"
  STREAM_ARN=""
fi
status=""
for _ in $(seq 1 60); do
  ddb describe-table --table-name "$STREAM_TABLE" && status="$(py "out['Table']['TableStatus']")"
  [ "$status" = "ACTIVE" ] && break
  sleep 0.5
done
# One item written, changed, rewritten unchanged and deleted: three records, all in its shard.
stream_writes=0
ddb put-item --table-name "$STREAM_TABLE" --item '{"userId": {"S": "s1"}, "plays": {"N": "1"}}' || stream_writes=$((stream_writes + 1))
ddb update-item --table-name "$STREAM_TABLE" --key '{"userId": {"S": "s1"}}' --update-expression "SET plays = plays + :one" \
  --expression-attribute-values '{":one": {"N": "1"}}' || stream_writes=$((stream_writes + 1))
ddb put-item --table-name "$STREAM_TABLE" --item '{"userId": {"S": "s1"}, "plays": {"N": "2"}}' || stream_writes=$((stream_writes + 1))
ddb delete-item --table-name "$STREAM_TABLE" --key '{"userId": {"S": "s1"}}' || stream_writes=$((stream_writes + 1))
if [ "$stream_writes" -eq 0 ]; then ok "writes to the table with a stream"; else not_ok "writes to the table with a stream ($stream_writes failed)"; fi

if dds list-streams --table-name "$STREAM_TABLE"; then
  check "dynamodbstreams list-streams --table-name" "out['Streams'] == [{'StreamArn': '$STREAM_ARN', 'TableName': '$STREAM_TABLE', 'StreamLabel': '$STREAM_ARN'.rsplit('/', 1)[1]}]"
else
  not_ok "dynamodbstreams list-streams --table-name"
fi

SHARDS=""
if dds describe-stream --stream-arn "$STREAM_ARN"; then
  check "dynamodbstreams describe-stream: ENABLED, view type, key schema, open shards" "out['StreamDescription']['StreamStatus'] == 'ENABLED' and out['StreamDescription']['StreamViewType'] == 'NEW_AND_OLD_IMAGES' and out['StreamDescription']['TableName'] == '$STREAM_TABLE' and out['StreamDescription']['KeySchema'] == [{'AttributeName': 'userId', 'KeyType': 'HASH'}] and len(out['StreamDescription']['Shards']) >= 1 and all('EndingSequenceNumber' not in s['SequenceNumberRange'] for s in out['StreamDescription']['Shards'])"
  SHARDS="$(py "' '.join(s['ShardId'] for s in out['StreamDescription']['Shards'])")"
else
  not_ok "dynamodbstreams describe-stream"
fi

# get-shard-iterator + get-records on each shard until the one with the item's records.
found=""
iterator_failures=0
for shard in $SHARDS; do
  if ! dds get-shard-iterator --stream-arn "$STREAM_ARN" --shard-id "$shard" --shard-iterator-type TRIM_HORIZON; then
    iterator_failures=$((iterator_failures + 1)); continue
  fi
  iterator="$(py "out['ShardIterator']")"
  dds get-records --shard-iterator "$iterator" || { iterator_failures=$((iterator_failures + 1)); continue; }
  if [ "$(py "len(out['Records'])")" != "0" ]; then found="$shard"; break; fi
done
if [ -n "$found" ] && [ "$iterator_failures" -eq 0 ]; then
  check "dynamodbstreams get-shard-iterator TRIM_HORIZON + get-records: INSERT, MODIFY, REMOVE with images, none for the unchanged put" "[r['eventName'] for r in out['Records']] == ['INSERT', 'MODIFY', 'REMOVE'] and [(r['dynamodb'].get('OldImage'), r['dynamodb'].get('NewImage')) for r in out['Records']] == [(None, {'userId': {'S': 's1'}, 'plays': {'N': '1'}}), ({'userId': {'S': 's1'}, 'plays': {'N': '1'}}, {'userId': {'S': 's1'}, 'plays': {'N': '2'}}), ({'userId': {'S': 's1'}, 'plays': {'N': '2'}}, None)] and all(r['eventSource'] == 'aws:dynamodb' and r['dynamodb']['Keys'] == {'userId': {'S': 's1'}} for r in out['Records']) and 'NextShardIterator' in out"
  FIRST_SEQ="$(py "out['Records'][0]['dynamodb']['SequenceNumber']")"
  if dds get-shard-iterator --stream-arn "$STREAM_ARN" --shard-id "$found" --shard-iterator-type AFTER_SEQUENCE_NUMBER --sequence-number "$FIRST_SEQ" &&
    dds get-records --shard-iterator "$(py "out['ShardIterator']")" --limit 1; then
    check "get-shard-iterator AFTER_SEQUENCE_NUMBER + get-records --limit 1: the MODIFY" "[r['eventName'] for r in out['Records']] == ['MODIFY'] and int(out['Records'][0]['dynamodb']['SequenceNumber']) > int('$FIRST_SEQ')"
  else
    not_ok "get-shard-iterator AFTER_SEQUENCE_NUMBER + get-records --limit 1"
  fi
else
  not_ok "dynamodbstreams get-shard-iterator + get-records: no shard with the records (shards: $SHARDS, failures: $iterator_failures)"
fi

dds describe-stream --stream-arn "${STREAM_ARN%???}999"
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ResourceNotFoundException) when calling the DescribeStream operation" "$OUT/stderr"; then
  ok "dynamodbstreams describe-stream of an unknown stream: ResourceNotFoundException"
else
  not_ok "dynamodbstreams describe-stream of an unknown stream: ResourceNotFoundException (rc=$rc)"
fi
dds get-records --shard-iterator garbage
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "An error occurred (ValidationException) when calling the GetRecords operation" "$OUT/stderr"; then
  ok "dynamodbstreams get-records of a garbage iterator: ValidationException"
else
  not_ok "dynamodbstreams get-records of a garbage iterator: ValidationException (rc=$rc)"
fi

if ddb delete-table --table-name "$STREAM_TABLE"; then ok "delete-table of the table with a stream"; else not_ok "delete-table of the table with a stream"; fi

# ---- delete-item, delete-table
if ddb delete-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}' --return-values ALL_OLD; then
  check "delete-item --return-values ALL_OLD" "out['Attributes']['name'] == {'S': 'John Doe'} and out['Attributes']['age'] == {'N': '31'}"
else
  not_ok "delete-item"
fi

if ddb delete-table --table-name "$TABLE"; then
  check "delete-table" "out['TableDescription']['TableName'] == '$TABLE' and out['TableDescription']['TableStatus'] == 'DELETING'"
else
  not_ok "delete-table"
fi

echo "awscli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
