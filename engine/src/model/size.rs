//! Item size by DynamoDB's rules (Developer Guide, "DynamoDB item sizes and formats"), the
//! figure the 400 KB item limit and capacity accounting are charged on.
//!
//! - An item is the sum of its attributes; an attribute is its name's UTF-8 bytes plus its
//!   value.
//! - `S`: UTF-8 bytes. `B`: raw bytes. `BOOL`, `NULL`: 1 byte.
//! - `N`: the DG says "approximately 1 byte per two significant digits, plus 1 byte". The exact
//!   rule, from dynalite's `valSize` (github.com/architect/dynalite, `db/index.js`, whose limit
//!   tests were run against DynamoDB at the 400 KB boundary): zero is 1 byte; otherwise
//!   `1 + ceil(digits / 2)`, plus 1 when the digit count and the adjusted exponent (the power
//!   of ten of the leading digit) are both even, plus 1 when negative. That is an exponent byte
//!   plus one byte per base-100 digit the number spans when pairs are aligned on even powers of
//!   ten, plus a terminator for negatives.
//! - `L`, `M`: 3 bytes, plus 1 byte per element, plus the elements (and, for `M`, the names).
//! - `SS`, `NS`, `BS`: the sum of the members' sizes, no overhead.

use super::number::Number;
use super::value::{AttributeValue, Item};

/// Largest item DynamoDB stores: 400 KB (binary).
pub const ITEM_SIZE_BYTES_MAX: usize = 400 * 1024;

/// Bytes of a list or map before its elements.
const DOCUMENT_OVERHEAD_BYTES: usize = 3;
/// Bytes each list or map element adds beyond its own size.
const ELEMENT_OVERHEAD_BYTES: usize = 1;

/// An item over [`ITEM_SIZE_BYTES_MAX`] (a `ValidationException`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Item size has exceeded the maximum allowed size")]
pub struct ItemTooLarge {
    /// The item's size by [`item_size_bytes`].
    pub size_bytes: usize,
}

/// The item's size: each attribute's name bytes plus its value's size.
#[must_use]
pub fn item_size_bytes(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size_bytes(value)).sum()
}

/// Checks the item against [`ITEM_SIZE_BYTES_MAX`] and returns its size.
///
/// # Errors
///
/// [`ItemTooLarge`] when the size is above the limit (exactly 400 KB is allowed).
pub fn check_item_size(item: &Item) -> Result<usize, ItemTooLarge> {
    let size_bytes = item_size_bytes(item);
    if size_bytes > ITEM_SIZE_BYTES_MAX {
        return Err(ItemTooLarge { size_bytes });
    }
    Ok(size_bytes)
}

/// A value's size, without any attribute name.
#[must_use]
pub fn value_size_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size_bytes(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null => 1,
        AttributeValue::L(members) => {
            DOCUMENT_OVERHEAD_BYTES
                + members
                    .iter()
                    .map(|v| ELEMENT_OVERHEAD_BYTES + value_size_bytes(v))
                    .sum::<usize>()
        }
        AttributeValue::M(entries) => {
            DOCUMENT_OVERHEAD_BYTES
                + entries
                    .iter()
                    .map(|(name, v)| ELEMENT_OVERHEAD_BYTES + name.len() + value_size_bytes(v))
                    .sum::<usize>()
        }
        AttributeValue::Ss(members) => members.iter().map(String::len).sum(),
        AttributeValue::Ns(members) => members.iter().map(number_size_bytes).sum(),
        AttributeValue::Bs(members) => members.iter().map(Vec::len).sum(),
    }
}

/// A number's size (module docs).
#[must_use]
pub fn number_size_bytes(number: &Number) -> usize {
    if number.is_zero() {
        return 1;
    }
    let digits = usize::try_from(number.significant_digits()).expect("at most 38 digits");
    let both_even = digits % 2 == 0 && adjusted_exponent(number) % 2 == 0;
    1 + digits.div_ceil(2) + usize::from(both_even) + usize::from(number.is_negative())
}

/// The power of ten of a non-zero number's leading digit, read from its key encoding, whose
/// second byte is `a + 130`, bitwise inverted for negatives (`number.rs`, "Key encoding").
fn adjusted_exponent(number: &Number) -> i32 {
    let mut key = Vec::with_capacity(24);
    number.encode_key(&mut key);
    let byte = *key.get(1).expect("a non-zero number's key has an exponent byte");
    let biased = if number.is_negative() { !byte } else { byte };
    i32::from(biased) - 130
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::AttributeValue as V;

    fn n(text: &str) -> Number {
        Number::parse(text).expect("valid test number")
    }

    #[test]
    fn number_sizes_match_dynalite_boundary_cases() {
        // dynalite putItem "too big with … number attribute" cases, recorded against DynamoDB.
        let ones_then_zeros = |ones: usize, zeros: usize| "1".repeat(ones) + &"0".repeat(zeros);
        assert_eq!(number_size_bytes(&n(&ones_then_zeros(38, 88))), 20);
        assert_eq!(number_size_bytes(&n(&ones_then_zeros(1, 125))), 2);
        assert_eq!(number_size_bytes(&n(&ones_then_zeros(2, 124))), 2);
        assert_eq!(number_size_bytes(&n(&ones_then_zeros(5, 121))), 4);
        assert_eq!(number_size_bytes(&n(&ones_then_zeros(6, 120))), 4);
        assert_eq!(number_size_bytes(&n(&ones_then_zeros(7, 119))), 5);
    }

    #[test]
    fn number_sizes_hand_computed() {
        assert_eq!(number_size_bytes(&n("0")), 1);
        assert_eq!(number_size_bytes(&n("-0.000")), 1);
        assert_eq!(number_size_bytes(&n("1")), 2); // exponent 0, 1 digit
        assert_eq!(number_size_bytes(&n("12")), 2); // exponent 1: one pair
        assert_eq!(number_size_bytes(&n("1.2")), 3); // exponent 0: digits straddle two pairs
        assert_eq!(number_size_bytes(&n("12345")), 4);
        assert_eq!(number_size_bytes(&n("-12345")), 5);
        assert_eq!(number_size_bytes(&n("0012.50")), 3); // "12.5": 3 digits
        assert_eq!(number_size_bytes(&n("1e-130")), 2);
        assert_eq!(number_size_bytes(&n("-9.9e125")), 3); // odd exponent: one pair, + sign
        assert_eq!(number_size_bytes(&n("-9.9e124")), 4); // even exponent: two pairs, + sign
    }

    #[test]
    fn number_size_agrees_with_base100_digit_count() {
        // Independent oracle: exponent byte + base-100 digits spanned + negative terminator.
        for text in ["1", "12", "123", "1.2", "0.012", "99.99", "-7", "-0.5", "1e-129", "5e125"] {
            let number = n(text);
            let a = adjusted_exponent(&number);
            let last = a - i32::try_from(number.significant_digits()).expect("small") + 1;
            let pairs = usize::try_from(a.div_euclid(2) - last.div_euclid(2) + 1).expect("pos");
            let expected = 1 + pairs + usize::from(number.is_negative());
            assert_eq!(number_size_bytes(&number), expected, "{text}");
        }
    }

    #[test]
    fn value_sizes_follow_the_developer_guide() {
        assert_eq!(value_size_bytes(&V::S("héllo".into())), 6);
        assert_eq!(value_size_bytes(&V::S(String::new())), 0);
        assert_eq!(value_size_bytes(&V::B(vec![0; 10])), 10);
        assert_eq!(value_size_bytes(&V::Bool(false)), 1);
        assert_eq!(value_size_bytes(&V::Null), 1);
        assert_eq!(value_size_bytes(&V::L(vec![])), 3);
        assert_eq!(value_size_bytes(&V::M(Item::new())), 3);
        // 3 + (1 + 1) + (1 + 2) = 8
        assert_eq!(value_size_bytes(&V::L(vec![V::S("a".into()), V::N(n("12"))])), 8);
        // 3 + (1 + "ab" + 1 byte BOOL) = 7
        let map = Item::from([("ab".to_owned(), V::Bool(true))]);
        assert_eq!(value_size_bytes(&V::M(map)), 7);
        assert_eq!(value_size_bytes(&V::Ss(vec!["ab".into(), "c".into()])), 3);
        assert_eq!(value_size_bytes(&V::Ns(vec![n("1"), n("-1")])), 5);
        assert_eq!(value_size_bytes(&V::Bs(vec![vec![1, 2], vec![]])), 2);
    }

    #[test]
    fn item_size_counts_names_and_the_limit_is_inclusive() {
        let item = Item::from([
            ("id".to_owned(), V::S("abc".into())), // 2 + 3
            ("n".to_owned(), V::N(n("12345"))),    // 1 + 4
            ("flag".to_owned(), V::Bool(true)),    // 4 + 1
        ]);
        assert_eq!(item_size_bytes(&item), 15);
        // dynalite: name "a" + "b" with a string filling the rest hits exactly the limit.
        let fill = |len| Item::from([("ab".to_owned(), V::S("x".repeat(len)))]);
        assert_eq!(check_item_size(&fill(ITEM_SIZE_BYTES_MAX - 2)), Ok(ITEM_SIZE_BYTES_MAX));
        let err = check_item_size(&fill(ITEM_SIZE_BYTES_MAX - 1)).expect_err("one byte over");
        assert_eq!(err.to_string(), "Item size has exceeded the maximum allowed size");
        assert_eq!(err.size_bytes, ITEM_SIZE_BYTES_MAX + 1);
    }
}
