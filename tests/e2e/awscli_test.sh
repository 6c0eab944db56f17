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

# Expressions are not built yet: a projection is refused, never ignored.
if ddb get-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}' --projection-expression "#n" --expression-attribute-names '{"#n": "name"}'; then
  not_ok "get-item with a projection is refused until expressions exist"
elif grep -q "ValidationException" "$OUT/stderr" && grep -q "not supported by this version of Basalt yet" "$OUT/stderr"; then
  ok "get-item with a projection is refused until expressions exist"
else
  not_ok "get-item with a projection is refused until expressions exist"
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

# ---- delete-item, delete-table
if ddb delete-item --table-name "$TABLE" --key '{"userId": {"S": "12345"}}' --return-values ALL_OLD; then
  check "delete-item --return-values ALL_OLD" "out['Attributes']['name'] == {'S': 'John Doe'}"
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
