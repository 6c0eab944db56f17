//! How an item is stored under its key: `size: u32 LE | item encoding` (`docs/model.md`,
//! "Stored row"). The size is the item's DynamoDB size, kept so that item counts, table sizes
//! and capacity can be computed without decoding the item.

use crate::api::DbError;
use crate::model::{decode_item, encode_item, Item};

const SIZE_BYTES: usize = 4;

/// The stored form of `item`, whose DynamoDB size is `size`.
pub(crate) fn encode_row(item: &Item, size: usize) -> Vec<u8> {
    let size = u32::try_from(size).expect("items are at most 400 KB");
    let mut row = Vec::with_capacity(SIZE_BYTES + size as usize + 16);
    row.extend_from_slice(&size.to_le_bytes());
    encode_item(item, &mut row);
    row
}

/// The DynamoDB size recorded in a stored row.
pub(crate) fn row_size(row: &[u8]) -> Result<usize, DbError> {
    let (size, _) = row.split_first_chunk::<SIZE_BYTES>().ok_or_else(corrupt)?;
    Ok(u32::from_le_bytes(*size) as usize)
}

/// The item encoding in a row.
pub(crate) fn row_item(row: &[u8]) -> Result<&[u8], DbError> {
    let (_, encoded) = row.split_first_chunk::<SIZE_BYTES>().ok_or_else(corrupt)?;
    Ok(encoded)
}

/// The item stored in a row.
pub(crate) fn decode_row(row: &[u8]) -> Result<Item, DbError> {
    let (_, encoded) = row.split_first_chunk::<SIZE_BYTES>().ok_or_else(corrupt)?;
    decode_item(encoded).map_err(|e| DbError::Internal(format!("Internal server error: {e}")))
}

fn corrupt() -> DbError {
    DbError::Internal("Internal server error: stored item is shorter than its header".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttributeValue;

    #[test]
    fn round_trip_and_corruption() {
        let item: Item = [("a".to_string(), AttributeValue::S("x".into()))].into();
        let row = encode_row(&item, 2);
        assert_eq!(row_size(&row).expect("size"), 2);
        assert_eq!(decode_row(&row).expect("item"), item);
        assert!(row_size(&row[..3]).is_err());
        assert!(decode_row(&row[..row.len() - 1]).is_err());
    }
}
