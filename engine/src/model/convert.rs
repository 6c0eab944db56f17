//! Conversions between Rust values and [`AttributeValue`]/[`Number`], for code that builds and
//! reads items by hand, and the [`item!`](crate::item) macro.
//!
//! # Exact or refused
//!
//! Every conversion into a [`Number`] is exact. Integers of at most 64 bits have at most 20
//! digits, well inside DynamoDB's 38, so they convert with `From`. `i128` and `u128` can have 39
//! digits, and floats can be NaN, infinite or outside `[1E-130, 1E+126)`, so those convert with
//! `TryFrom` and report the [`NumberError`] DynamoDB would give for the same text. A float
//! becomes the shortest decimal that reads back as the same float (its `Display` text): `0.1_f64`
//! is the number `0.1`, not `0.1000000000000000055511151231257827`.
//!
//! Going back, [`Number::to_i64`] and its siblings return `None` unless the number is an integer
//! that fits; [`Number::to_f64`] rounds to the nearest `f64`.

use super::number::{Number, NumberError};
use super::value::{AttributeValue, Item};

/// `From` for integers of at most 64 bits: at most 20 digits, always a storable number.
macro_rules! from_small_integers {
    ($($int:ty),*) => {$(
        impl From<$int> for Number {
            fn from(value: $int) -> Number {
                Number::parse(&value.to_string())
                    .expect("an integer of at most 64 bits has at most 20 digits")
            }
        }

        impl From<$int> for AttributeValue {
            fn from(value: $int) -> AttributeValue {
                AttributeValue::N(Number::from(value))
            }
        }
    )*};
}

from_small_integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// `TryFrom` for the 128-bit integers, which may have 39 significant digits.
macro_rules! try_from_wide_integers {
    ($($int:ty),*) => {$(
        impl TryFrom<$int> for Number {
            type Error = NumberError;

            /// Fails with [`NumberError::TooManyDigits`] past 38 significant digits.
            fn try_from(value: $int) -> Result<Number, NumberError> {
                Number::parse(&value.to_string())
            }
        }

        impl TryFrom<$int> for AttributeValue {
            type Error = NumberError;

            /// Fails with [`NumberError::TooManyDigits`] past 38 significant digits.
            fn try_from(value: $int) -> Result<AttributeValue, NumberError> {
                Number::try_from(value).map(AttributeValue::N)
            }
        }
    )*};
}

try_from_wide_integers!(i128, u128);

/// `TryFrom` for floats, through their shortest round-trip decimal text.
macro_rules! try_from_floats {
    ($($float:ty),*) => {$(
        impl TryFrom<$float> for Number {
            type Error = NumberError;

            /// Fails with [`NumberError::InvalidSyntax`] for NaN and infinities, and with
            /// [`NumberError::Overflow`] or [`NumberError::Underflow`] outside DynamoDB's range.
            fn try_from(value: $float) -> Result<Number, NumberError> {
                if !value.is_finite() {
                    return Err(NumberError::InvalidSyntax);
                }
                // `Display` writes the shortest digits that read back as `value`, never an
                // exponent, so the text is always number syntax.
                Number::parse(&value.to_string())
            }
        }

        impl TryFrom<$float> for AttributeValue {
            type Error = NumberError;

            /// Fails as `Number::try_from` does.
            fn try_from(value: $float) -> Result<AttributeValue, NumberError> {
                Number::try_from(value).map(AttributeValue::N)
            }
        }
    )*};
}

try_from_floats!(f32, f64);

impl Number {
    /// Whether the number has no fractional part.
    #[must_use]
    pub fn is_integer(&self) -> bool {
        // `Display` writes a point exactly when there is a non-zero fraction.
        !self.to_string().contains('.')
    }

    /// The number as an `i64`, or `None` if it is not an integer or out of range.
    #[must_use]
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|value| i64::try_from(value).ok())
    }

    /// The number as a `u64`, or `None` if it is not an integer or out of range.
    #[must_use]
    pub fn to_u64(&self) -> Option<u64> {
        self.to_u128().and_then(|value| u64::try_from(value).ok())
    }

    /// The number as an `i128`, or `None` if it is not an integer or out of range.
    #[must_use]
    pub fn to_i128(&self) -> Option<i128> {
        let text = self.to_string();
        if text.contains('.') {
            return None;
        }
        text.parse().ok()
    }

    /// The number as a `u128`, or `None` if it is not an integer or out of range.
    #[must_use]
    pub fn to_u128(&self) -> Option<u128> {
        let text = self.to_string();
        if text.contains('.') {
            return None;
        }
        text.parse().ok()
    }

    /// The nearest `f64`. Always finite: DynamoDB's range lies well inside `f64`'s.
    #[must_use]
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().expect("a Number's text is valid float syntax")
    }

    /// The nearest `f32`, or `None` when the magnitude is beyond `f32::MAX` (numbers below
    /// `f32`'s smallest subnormal round to zero).
    #[must_use]
    pub fn to_f32(&self) -> Option<f32> {
        let value: f32 = self.to_string().parse().expect("a Number's text is valid float syntax");
        value.is_finite().then_some(value)
    }
}

impl From<&str> for AttributeValue {
    fn from(value: &str) -> AttributeValue {
        AttributeValue::S(value.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> AttributeValue {
        AttributeValue::S(value)
    }
}

impl From<&String> for AttributeValue {
    fn from(value: &String) -> AttributeValue {
        AttributeValue::S(value.clone())
    }
}

impl From<char> for AttributeValue {
    fn from(value: char) -> AttributeValue {
        AttributeValue::S(value.to_string())
    }
}

impl From<bool> for AttributeValue {
    fn from(value: bool) -> AttributeValue {
        AttributeValue::Bool(value)
    }
}

impl From<Number> for AttributeValue {
    fn from(value: Number) -> AttributeValue {
        AttributeValue::N(value)
    }
}

impl From<Vec<u8>> for AttributeValue {
    /// `B`: bytes are binary, not a list of numbers.
    fn from(value: Vec<u8>) -> AttributeValue {
        AttributeValue::B(value)
    }
}

impl From<&[u8]> for AttributeValue {
    /// `B`: bytes are binary, not a list of numbers.
    fn from(value: &[u8]) -> AttributeValue {
        AttributeValue::B(value.to_vec())
    }
}

impl From<Vec<AttributeValue>> for AttributeValue {
    /// `L`.
    fn from(value: Vec<AttributeValue>) -> AttributeValue {
        AttributeValue::L(value)
    }
}

impl From<Item> for AttributeValue {
    /// `M`.
    fn from(value: Item) -> AttributeValue {
        AttributeValue::M(value)
    }
}

impl<T: Into<AttributeValue>> From<Option<T>> for AttributeValue {
    /// `None` is `NULL`; `Some(x)` is `x`'s value.
    fn from(value: Option<T>) -> AttributeValue {
        value.map_or(AttributeValue::Null, Into::into)
    }
}

impl AttributeValue {
    /// The string of an `S` value.
    #[must_use]
    pub fn as_s(&self) -> Option<&str> {
        match self {
            AttributeValue::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number of an `N` value.
    #[must_use]
    pub fn as_n(&self) -> Option<&Number> {
        match self {
            AttributeValue::N(n) => Some(n),
            _ => None,
        }
    }

    /// The bytes of a `B` value.
    #[must_use]
    pub fn as_b(&self) -> Option<&[u8]> {
        match self {
            AttributeValue::B(b) => Some(b),
            _ => None,
        }
    }

    /// The boolean of a `BOOL` value.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttributeValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The members of an `L` value.
    #[must_use]
    pub fn as_l(&self) -> Option<&[AttributeValue]> {
        match self {
            AttributeValue::L(members) => Some(members),
            _ => None,
        }
    }

    /// The entries of an `M` value.
    #[must_use]
    pub fn as_m(&self) -> Option<&Item> {
        match self {
            AttributeValue::M(entries) => Some(entries),
            _ => None,
        }
    }

    /// The members of an `SS` value.
    #[must_use]
    pub fn as_ss(&self) -> Option<&[String]> {
        match self {
            AttributeValue::Ss(members) => Some(members),
            _ => None,
        }
    }

    /// The members of an `NS` value.
    #[must_use]
    pub fn as_ns(&self) -> Option<&[Number]> {
        match self {
            AttributeValue::Ns(members) => Some(members),
            _ => None,
        }
    }

    /// The members of a `BS` value.
    #[must_use]
    pub fn as_bs(&self) -> Option<&[Vec<u8>]> {
        match self {
            AttributeValue::Bs(members) => Some(members),
            _ => None,
        }
    }

    /// Whether the value is `NULL`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, AttributeValue::Null)
    }
}

/// Builds an [`Item`](crate::model::Item) from `name => value` pairs. Each name goes through
/// `String::from` and each value through
/// [`AttributeValue::from`](crate::model::AttributeValue); a later pair replaces an earlier one
/// with the same name.
///
/// Integers, strings, booleans, bytes, [`Number`](crate::model::Number)s, lists, nested items
/// and `Option`s convert directly. Floats and 128-bit integers can fail, so convert them first
/// (`AttributeValue::try_from(1.5)?`); sets are built as values (`AttributeValue::Ss(..)`).
///
/// ```
/// use basalt::model::{AttributeValue, Number};
///
/// let item = basalt::item! { "userId" => "12345", "name" => "John Doe", "age" => 30 };
/// assert_eq!(item["userId"], AttributeValue::S("12345".into()));
/// assert_eq!(item["name"].as_s(), Some("John Doe"));
/// assert_eq!(item["age"], AttributeValue::N(Number::parse("30").unwrap()));
///
/// let nested = basalt::item! {
///     "address" => basalt::item! { "city" => "Lyon" },
///     "tags" => vec![AttributeValue::from("a"), AttributeValue::from("b")],
///     "nickname" => None::<&str>,
/// };
/// assert_eq!(nested["address"].as_m().unwrap()["city"].as_s(), Some("Lyon"));
/// assert!(nested["nickname"].is_null());
/// assert!(basalt::item! {}.is_empty());
/// ```
#[macro_export]
macro_rules! item {
    () => {
        $crate::model::Item::new()
    };
    ($($name:expr => $value:expr),+ $(,)?) => {{
        let mut item = $crate::model::Item::new();
        $(
            item.insert(
                ::std::string::String::from($name),
                $crate::model::AttributeValue::from($value),
            );
        )+
        item
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).expect("valid number")
    }

    #[test]
    fn integers_convert_exactly_at_their_limits() {
        assert_eq!(Number::from(i64::MIN), n("-9223372036854775808"));
        assert_eq!(Number::from(u64::MAX), n("18446744073709551615"));
        assert_eq!(Number::from(0_u8), Number::ZERO);
        assert_eq!(n("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(n("18446744073709551615").to_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551616").to_u64(), None);
        assert_eq!(n("-1").to_u64(), None);
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("1e100").to_i128(), None);
        assert_eq!(n("1e37").to_i128(), Some(10_i128.pow(37)));
    }

    #[test]
    fn wide_integers_past_38_digits_are_refused() {
        assert_eq!(Number::try_from(10_u128.pow(38)), Ok(n("1e38")));
        assert_eq!(Number::try_from(u128::MAX), Err(NumberError::TooManyDigits));
        assert_eq!(Number::try_from(i128::MIN), Err(NumberError::TooManyDigits));
        let max_38 = 10_i128.pow(38) - 1;
        assert_eq!(Number::try_from(-max_38).map(|v| v.to_i128()), Ok(Some(-max_38)));
    }

    #[test]
    fn floats_take_their_shortest_decimal() {
        assert_eq!(Number::try_from(0.1_f64), Ok(n("0.1")));
        assert_eq!(Number::try_from(0.1_f32), Ok(n("0.1")));
        assert_eq!(Number::try_from(-0.0_f64), Ok(Number::ZERO));
        assert_eq!(Number::try_from(1e125_f64), Ok(n("1e125")));
        assert_eq!(Number::try_from(f64::NAN), Err(NumberError::InvalidSyntax));
        assert_eq!(Number::try_from(f64::NEG_INFINITY), Err(NumberError::InvalidSyntax));
        assert_eq!(Number::try_from(1e200_f64), Err(NumberError::Overflow));
        assert_eq!(Number::try_from(1e-200_f64), Err(NumberError::Underflow));
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("0.1").to_f32(), Some(0.1_f32));
        assert_eq!(n("1e100").to_f32(), None);
    }

    #[test]
    fn accessors_match_only_their_type() {
        let s = AttributeValue::from("x");
        assert_eq!(s.as_s(), Some("x"));
        assert_eq!(s.as_n(), None);
        assert_eq!(AttributeValue::from(vec![1_u8, 2]).as_b(), Some(&[1_u8, 2][..]));
        assert_eq!(AttributeValue::from(true).as_bool(), Some(true));
        assert!(AttributeValue::from(None::<i32>).is_null());
        assert_eq!(AttributeValue::from(Some(7)).as_n(), Some(&n("7")));
        let list = AttributeValue::from(vec![AttributeValue::Null]);
        assert_eq!(list.as_l().map(<[_]>::len), Some(1));
        assert!(AttributeValue::from(Item::new()).as_m().is_some_and(Item::is_empty));
    }
}
