//! The table, its keys and the JSON bodies of the requests `loadgen` sends.
//!
//! The table has a composite key: `pk` (S) and `sk` (N). Item `i` of `n` preloaded items lives in
//! partition `i % partitions` (with `partitions = n / 100`, at least 1) under sort key
//! `i / partitions`, so that consecutive items land in different partitions (and in different
//! shards of a server that hashes `pk`), and each partition holds 100 consecutive sort keys: a
//! Query of one partition reads 100 items.
//!
//! Items have 10 attributes and weigh about 1 KB by DynamoDB's size rules, as in the engine's
//! criterion benchmark: `pk` S, `sk` N, two S, two N, a BOOL, a list of 3 S, a map of 3 S and a
//! 777-byte B.

use base64::Engine as _;
use rand::{Rng, RngCore};

/// Items per partition: the length of a Query over one partition.
pub const ITEMS_PER_PARTITION: u64 = 100;
/// Bytes of the binary attribute.
const BLOB_LEN: usize = 777;
/// Distinct blobs the generator cycles through (so bodies are not all the same, without
/// base64-encoding random bytes on every request).
const BLOBS: usize = 64;

/// Builds request bodies for one table.
pub struct Bodies {
    table: String,
    partitions: u64,
    blobs: Vec<String>,
}

impl Bodies {
    /// Bodies for `table` holding `items` preloaded items.
    pub fn new(table: &str, items: u64, rng: &mut impl RngCore) -> Self {
        let blobs = (0..BLOBS)
            .map(|_| {
                let mut bytes = vec![0u8; BLOB_LEN];
                rng.fill_bytes(&mut bytes);
                base64::engine::general_purpose::STANDARD.encode(bytes)
            })
            .collect();
        Self { table: table.to_owned(), partitions: (items / ITEMS_PER_PARTITION).max(1), blobs }
    }

    /// Partitions of the preloaded set.
    pub fn partitions(&self) -> u64 {
        self.partitions
    }

    /// The key attributes of item `index`, as a JSON object.
    fn key(&self, index: u64) -> String {
        format!(
            r#"{{"pk":{{"S":"p{:08}"}},"sk":{{"N":"{}"}}}}"#,
            index % self.partitions,
            index / self.partitions
        )
    }

    /// A `PutItem` of item `index`.
    pub fn put(&self, index: u64, rng: &mut impl Rng) -> String {
        let blob = self.blobs.get(rng.gen_range(0..self.blobs.len())).map_or("", String::as_str);
        let n: u32 = rng.gen();
        format!(
            concat!(
                r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"p{pk:08}"}},"sk":{{"N":"{sk}"}},"#,
                r#""name":{{"S":"item-{index:012}-of-the-load-generator"}},"#,
                r#""city":{{"S":"Clermont-Ferrand, Auvergne"}},"#,
                r#""count":{{"N":"{n}"}},"price":{{"N":"{price}.25"}},"active":{{"BOOL":true}},"#,
                r#""tags":{{"L":[{{"S":"basalt"}},{{"S":"volcanic"}},{{"S":"rock"}}]}},"#,
                r#""meta":{{"M":{{"a":{{"S":"alpha"}},"b":{{"S":"bravo"}},"c":{{"S":"charlie"}}}}}},"#,
                r#""blob":{{"B":"{blob}"}}}}}}"#
            ),
            table = self.table,
            pk = index % self.partitions,
            sk = index / self.partitions,
            index = index,
            n = n,
            price = n % 10_000,
            blob = blob,
        )
    }

    /// A `GetItem` of item `index`.
    pub fn get(&self, index: u64) -> String {
        format!(r#"{{"TableName":"{}","Key":{}}}"#, self.table, self.key(index))
    }

    /// A `Query` of the 100 items of partition `partition`.
    pub fn query(&self, partition: u64) -> String {
        format!(
            r#"{{"TableName":"{}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"p{:08}"}}}},"Limit":{}}}"#,
            self.table,
            partition % self.partitions,
            ITEMS_PER_PARTITION
        )
    }

    /// A `CreateTable` of the composite-key table, on demand.
    pub fn create_table(&self) -> String {
        format!(
            r#"{{"TableName":"{}","AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"N"}}],"KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"BillingMode":"PAY_PER_REQUEST"}}"#,
            self.table
        )
    }

    /// A body naming only the table (`DescribeTable`, `DeleteTable`).
    pub fn table_only(&self) -> String {
        format!(r#"{{"TableName":"{}"}}"#, self.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::SmallRng, SeedableRng};

    #[test]
    fn bodies_are_json_and_items_about_1_kb() {
        let mut rng = SmallRng::seed_from_u64(1);
        let bodies = Bodies::new("t", 20_000, &mut rng);
        for body in [bodies.put(12_345, &mut rng), bodies.get(7), bodies.query(3)] {
            let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
            assert_eq!(value["TableName"], "t");
        }
        let put: serde_json::Value =
            serde_json::from_str(&bodies.put(12_345, &mut rng)).expect("valid JSON");
        let item = put["Item"].as_object().expect("an item");
        assert_eq!(item.len(), 10);
        assert_eq!(item["pk"]["S"], "p00000145");
        assert_eq!(item["sk"]["N"], "61");
        // Names plus values: 777 bytes of blob, about 230 of the rest.
        let size: usize = item.iter().map(|(k, v)| k.len() + v.to_string().len()).sum();
        assert!((1_000..1_800).contains(&size), "{size}");
    }
}
