//! [`Number`]: DynamoDB's exact decimal number type (`N`), its text form and its key encoding.
//!
//! A DynamoDB number is an exact decimal with at most 38 significant digits whose magnitude is
//! zero or lies in `[1E-130, 1E+126)`. It is held normalized — coefficient without leading or
//! trailing zeros, one zero, no negative zero — so numerically equal spellings (`"0012.50"`,
//! `"12.5"`, `"1.25e1"`) are the same value, for `Eq`, `Hash` and as keys.
//!
//! # Accepted text
//!
//! `[+-]? digits? ('.' digits?)? ([eE] [+-]? digits)?` with at least one mantissa digit and
//! nothing else: no whitespace, no `NaN`/`Infinity`, no hexadecimal, no empty string. Sources:
//! ScyllaDB's `test/alternator/test_number.py` (`test_invalid_numbers`, run against DynamoDB)
//! accepts `+3`, `.123`, `0001.23`, `1e+5`, `0e1000` and rejects `NaN`, `Infinity`, `dog`,
//! `" 1"`, `"1 "`; dynoxide issue #109 (github.com/nubo-db/dynoxide, captured against DynamoDB
//! in ap-south-1) shows `+5`, `+.5`, `5.`, `+1e2`, `1.5E+3` accepted and `+e2`, `1+2`, `1.2.3`,
//! `++5`, `1e` rejected. Hexadecimal is nowhere documented; it is rejected (the conservative
//! choice, and what every grammar above implies).
//!
//! # Text output
//!
//! [`Display`](fmt::Display) writes plain decimal notation, never an exponent: `"+1e2"` → `100`,
//! `"1.5E+3"` → `1500`, `"0012.50"` → `12.5`, `"-0"` → `0`, `"1e-5"` → `0.00001`. The first
//! four are observed DynamoDB outputs (dynoxide #109, ExtendDB/extenddb PR #7, the developer
//! guide's `"0012.50"` example). Outputs with large or very small exponents (`"1.5e40"`,
//! `"1e-5"`) were not found in any source; plain notation is assumed for them too.
//!
//! # Key encoding
//!
//! [`Number::encode_key`] writes a self-delimiting byte string whose bytewise order is numeric
//! order, so a number can be followed by more key bytes. With the value written as
//! `±0.d₁d₂…dₙ × 10^(a+1)` (`a` the adjusted exponent, the power of ten of the leading digit
//! `d₁ ≠ 0`, and `dₙ ≠ 0`):
//!
//! ```text
//! zero:      +------+
//!            | 0x02 |
//!            +------+
//! positive:  +------+-----------+-------------+-----+-------------+------+
//!            | 0x03 | a + 130   | 1 + d₁d₂    | ... | 1 + dₙ₋₁dₙ  | 0x00 |
//!            +------+-----------+-------------+-----+-------------+------+
//!             sign   exponent    digit pairs: 1..=100, an odd last digit is padded
//!                    0..=255     with 0 (dₙ0); 1 to 19 bytes       terminator
//! negative:  +------+-----------+-------------+-----+-------------+------+
//!            | 0x01 | !(a+130)  | !(1+d₁d₂)   | ... | !(1+dₙ₋₁dₙ) | 0xFF |
//!            +------+-----------+-------------+-----+-------------+------+
//!             every byte after the sign is bitwise inverted, so larger magnitudes sort first
//! ```
//!
//! The adjusted exponent spans exactly `-130..=125`, 256 values, one byte. Among numbers of the
//! same sign and exponent, digit strings compare lexicographically; a shorter string that is a
//! prefix of a longer one sorts first because its terminator (`0x00`) is below every pair byte.
//! At most 22 bytes. [`Number::decode_key`] accepts only canonical encodings, so decoding and
//! re-encoding give back the same bytes.
#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::str::FromStr;

/// Most significant digits a number may have.
const DIGITS_MAX: u32 = 38;
/// Largest adjusted exponent (power of ten of the leading digit): 9.99…E+125.
const ADJUSTED_EXPONENT_MAX: i64 = 125;
/// Smallest adjusted exponent of a non-zero number: 1E-130.
const ADJUSTED_EXPONENT_MIN: i64 = -130;
/// Exponents in text are clamped here while parsing: far past the range, far from overflow.
const TEXT_EXPONENT_CLAMP: i64 = 1_000_000_000_000_000;

/// Key sign tag of a negative number.
const KEY_NEGATIVE: u8 = 0x01;
/// Key sign tag (and whole encoding) of zero.
const KEY_ZERO: u8 = 0x02;
/// Key sign tag of a positive number.
const KEY_POSITIVE: u8 = 0x03;
/// Ends the digit pairs of a positive number (inverted for negatives).
const KEY_TERMINATOR: u8 = 0x00;
/// Most digit-pair bytes in a key: 38 digits, two per byte.
const KEY_PAIRS_MAX: usize = 19;

const _: () = assert!(ADJUSTED_EXPONENT_MAX - ADJUSTED_EXPONENT_MIN == 255, "one exponent byte");
const _: () = assert!(KEY_PAIRS_MAX * 2 == DIGITS_MAX as usize);

/// A DynamoDB number (`N`): an exact decimal with at most 38 significant digits, zero or of
/// magnitude in `[1E-130, 1E+126)`.
///
/// Values are normalized, so the derived `Eq` and `Hash` are numeric equality; `Ord` is numeric
/// order. Build one with [`Number::parse`] (or `str::parse`); print it with `Display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    /// True only for values below zero; zero is never negative.
    negative: bool,
    /// INVARIANT: below 10^38, no trailing decimal zeros; 0 exactly when the value is zero.
    coefficient: u128,
    /// The value is `±coefficient × 10^exponent`. INVARIANT: 0 when the value is zero.
    exponent: i16,
}

/// Why text or key bytes are not a [`Number`]. The first four carry DynamoDB's
/// `ValidationException` messages verbatim.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The text is not a number at all.
    #[error("A value provided cannot be converted into a number")]
    InvalidSyntax,
    /// More than 38 digits remain once leading and trailing zeros are trimmed.
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    /// The magnitude is 1E+126 or more.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    /// The magnitude is non-zero and below 1E-130.
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
    /// Key bytes that no [`Number::encode_key`] call produces.
    #[error("corrupt Number key at byte {offset}: {what}")]
    CorruptKey {
        /// Offset of the offending byte from the start of the encoding.
        offset: usize,
        /// What is wrong there.
        what: &'static str,
    },
}

/// The pieces of a syntactically valid number text.
struct Syntax<'a> {
    negative: bool,
    integer: &'a [u8],
    fraction: &'a [u8],
    /// The written exponent, clamped to `±TEXT_EXPONENT_CLAMP`.
    exponent: i64,
}

impl Number {
    /// The number zero.
    pub const ZERO: Number = Number { negative: false, coefficient: 0, exponent: 0 };

    /// Parses DynamoDB's text form of a number and normalizes it.
    ///
    /// # Errors
    ///
    /// [`NumberError::InvalidSyntax`] for text that is not a number, then
    /// [`NumberError::TooManyDigits`], [`NumberError::Overflow`] or [`NumberError::Underflow`]
    /// for numbers DynamoDB cannot store, checked in that order.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let syntax = scan(text.as_bytes()).ok_or(NumberError::InvalidSyntax)?;
        Number::from_syntax(&syntax)
    }

    /// Whether the number is zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.coefficient == 0
    }

    /// Whether the number is below zero.
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// How many significant digits the number has (0 for zero).
    #[must_use]
    pub fn significant_digits(&self) -> u32 {
        digit_count(self.coefficient)
    }

    /// `self + other`, exactly, as `SET a = a + :n` and `ADD` compute it.
    ///
    /// # Errors
    ///
    /// [`NumberError::TooManyDigits`] when the exact sum needs more than 38 significant digits
    /// (DynamoDB refuses rather than rounds, as it does for text), then
    /// [`NumberError::Overflow`] or [`NumberError::Underflow`] when its magnitude is out of
    /// range.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if other.is_zero() {
            return Ok(*self);
        }
        if self.is_zero() {
            return Ok(*other);
        }
        let exponent = self.exponent.min(other.exponent);
        let (a, b) = (self.aligned_digits(exponent), other.aligned_digits(exponent));
        let (negative, digits) = if self.negative == other.negative {
            (self.negative, add_digits(&a, &b))
        } else {
            match compare_digits(&a, &b) {
                Ordering::Equal => return Ok(Number::ZERO),
                Ordering::Greater => (self.negative, subtract_digits(&a, &b)),
                Ordering::Less => (other.negative, subtract_digits(&b, &a)),
            }
        };
        // The exact result in text, so that one place (parsing) normalizes and range-checks.
        let mut text = String::with_capacity(digits.len() + 8);
        if negative {
            text.push('-');
        }
        text.extend(digits.iter().rev().map(|&d| char::from(b'0' + d)));
        write!(text, "e{exponent}").expect("writing to a String cannot fail");
        Number::parse(&text)
    }

    /// `self - other`, exactly, as `SET a = a - :n` computes it.
    ///
    /// # Errors
    ///
    /// As [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        let negated = Number { negative: !other.negative && !other.is_zero(), ..*other };
        self.checked_add(&negated)
    }

    /// The coefficient's decimal digits, least significant first, shifted so that the first
    /// one stands for `10^exponent`. `exponent` must not exceed `self.exponent`.
    fn aligned_digits(&self, exponent: i16) -> Vec<u8> {
        let shift = usize::try_from(i32::from(self.exponent) - i32::from(exponent))
            .expect("aligned to an exponent no larger than the number's");
        let mut digits = vec![0_u8; shift];
        let mut coefficient = self.coefficient;
        while coefficient > 0 {
            digits.push(u8::try_from(coefficient % 10).expect("a decimal digit"));
            coefficient /= 10;
        }
        digits
    }

    fn from_syntax(syntax: &Syntax<'_>) -> Result<Number, NumberError> {
        let digits = || syntax.integer.iter().chain(syntax.fraction);
        let total = syntax.integer.len() + syntax.fraction.len();
        let leading = digits().take_while(|&&d| d == b'0').count();
        if leading == total {
            return Ok(Number::ZERO); // "0e1000" is zero too (alternator test_invalid_numbers)
        }
        let trailing = digits().rev().take_while(|&&d| d == b'0').count();
        let significant = total - leading - trailing;
        // DynamoDB rejects rather than rounds (the reference, section 6, and dynalite's tests).
        // Which error wins when a number has both too many digits and too large a magnitude is
        // undocumented; the digit count is checked first.
        if significant > DIGITS_MAX as usize {
            return Err(NumberError::TooManyDigits);
        }
        let coefficient = digits()
            .skip(leading)
            .take(significant)
            .fold(0_u128, |acc, &d| acc * 10 + u128::from(d - b'0'));
        let exponent = syntax
            .exponent
            .saturating_sub(saturating_i64(syntax.fraction.len()))
            .saturating_add(saturating_i64(trailing));
        let adjusted = exponent.saturating_add(saturating_i64(significant) - 1);
        if adjusted > ADJUSTED_EXPONENT_MAX {
            return Err(NumberError::Overflow);
        }
        if adjusted < ADJUSTED_EXPONENT_MIN {
            return Err(NumberError::Underflow);
        }
        let exponent = i16::try_from(exponent).expect("in range once the adjusted exponent is");
        Ok(Number { negative: syntax.negative, coefficient, exponent })
    }

    /// The power of ten of the leading digit; 0 for zero.
    fn adjusted_exponent(&self) -> i16 {
        if self.is_zero() {
            return 0;
        }
        let digits = i16::try_from(self.significant_digits()).expect("at most 38 digits");
        self.exponent + digits - 1
    }

    /// The coefficient shifted left to exactly 38 digits (0 for zero), so that two numbers with
    /// the same adjusted exponent compare by it.
    fn coefficient_38(&self) -> u128 {
        if self.is_zero() {
            return 0;
        }
        self.coefficient * 10_u128.pow(DIGITS_MAX - self.significant_digits())
    }

    /// -1, 0 or 1.
    fn signum(&self) -> i8 {
        match (self.is_zero(), self.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    /// Appends the order-preserving, self-delimiting key encoding (module docs: "Key encoding").
    pub fn encode_key(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(KEY_ZERO);
            return;
        }
        let invert = if self.negative { 0xFF } else { 0x00 };
        out.push(if self.negative { KEY_NEGATIVE } else { KEY_POSITIVE });
        let exponent = i64::from(self.adjusted_exponent()) - ADJUSTED_EXPONENT_MIN;
        out.push(u8::try_from(exponent).expect("adjusted exponent within -130..=125") ^ invert);
        let pairs = self.digit_pairs();
        let used = usize::try_from(self.significant_digits().div_ceil(2)).expect("small");
        out.extend(pairs.iter().take(used).map(|&pair| (pair + 1) ^ invert));
        out.push(KEY_TERMINATOR ^ invert);
    }

    /// The 38-digit coefficient as 19 two-digit pairs, most significant first.
    fn digit_pairs(&self) -> [u8; KEY_PAIRS_MAX] {
        const CHUNK: u128 = 10_u128.pow(18);
        let coefficient = self.coefficient_38();
        // Two 128-bit divisions split the 38 digits into 2 + 18 + 18; the 9 pairs of each
        // 18-digit chunk come from 64-bit arithmetic (a 128-bit division per pair was most of
        // the cost of encoding a key).
        let top = u64::try_from(coefficient / CHUNK / CHUNK).expect("at most 2 digits");
        let middle = u64::try_from(coefficient / CHUNK % CHUNK).expect("18 digits fit 64 bits");
        let low = u64::try_from(coefficient % CHUNK).expect("18 digits fit 64 bits");
        let mut pairs = [0_u8; KEY_PAIRS_MAX];
        let mut slots = pairs.iter_mut().rev();
        for mut rest in [low, middle] {
            for slot in slots.by_ref().take(9) {
                *slot = u8::try_from(rest % 100).expect("a remainder mod 100 fits a byte");
                rest /= 100;
            }
        }
        if let Some(slot) = slots.next() {
            *slot = u8::try_from(top).expect("a value below 100 fits a byte");
        }
        pairs
    }

    /// Decodes one number written by [`Number::encode_key`] from the front of `bytes`, returning
    /// it and how many bytes it took. Bytes after the encoding are left alone.
    ///
    /// # Errors
    ///
    /// [`NumberError::CorruptKey`] when the front of `bytes` is not a canonical encoding:
    /// truncated, an unknown sign tag, a pair byte out of range, a leading or trailing zero
    /// digit, no digits, or more than 38 digits. Never panics.
    pub fn decode_key(bytes: &[u8]) -> Result<(Number, usize), NumberError> {
        let corrupt = |offset, what| NumberError::CorruptKey { offset, what };
        let (&tag, rest) = bytes.split_first().ok_or(corrupt(0, "empty"))?;
        let invert = match tag {
            KEY_ZERO => return Ok((Number::ZERO, 1)),
            KEY_NEGATIVE => 0xFF,
            KEY_POSITIVE => 0x00,
            _ => return Err(corrupt(0, "unknown sign tag")),
        };
        let (&exponent, pairs) = rest.split_first().ok_or(corrupt(1, "truncated exponent"))?;
        let adjusted = i64::from(exponent ^ invert) + ADJUSTED_EXPONENT_MIN;
        let mut coefficient = 0_u128;
        let mut digits = 0_i64;
        let mut last_pair = 0_u8;
        for (index, &byte) in pairs.iter().enumerate() {
            let offset = index + 2;
            let value = byte ^ invert;
            if value == KEY_TERMINATOR {
                return finish_key(coefficient, digits, last_pair, offset).map(
                    |(coefficient, digits)| {
                        let exponent = i16::try_from(adjusted - digits + 1)
                            .expect("exponent byte and at most 38 digits bound it");
                        (Number { negative: invert != 0, coefficient, exponent }, offset + 1)
                    },
                );
            }
            if index >= KEY_PAIRS_MAX {
                return Err(corrupt(offset, "more than 38 digits"));
            }
            if !(1..=100).contains(&value) {
                return Err(corrupt(offset, "digit pair out of range"));
            }
            let pair = value - 1;
            if index == 0 && pair < 10 {
                return Err(corrupt(offset, "leading zero digit"));
            }
            coefficient = coefficient * 100 + u128::from(pair);
            digits += 2;
            last_pair = pair;
        }
        Err(corrupt(bytes.len(), "missing terminator"))
    }
}

/// Checks the digits of a key once its terminator (at `offset`) is found and drops an odd
/// number's padding zero, returning the coefficient and its digit count.
fn finish_key(
    coefficient: u128,
    digits: i64,
    last_pair: u8,
    offset: usize,
) -> Result<(u128, i64), NumberError> {
    if digits == 0 {
        return Err(NumberError::CorruptKey { offset, what: "no digits" });
    }
    if last_pair == 0 {
        return Err(NumberError::CorruptKey { offset, what: "trailing zero digits" });
    }
    if last_pair % 10 == 0 {
        return Ok((coefficient / 10, digits - 1));
    }
    Ok((coefficient, digits))
}

/// Splits `text` into sign, integer digits, fraction digits and exponent, or `None` when it is
/// not DynamoDB number syntax (module docs: "Accepted text").
fn scan(text: &[u8]) -> Option<Syntax<'_>> {
    let (negative, rest) = split_sign(text);
    let (integer, rest) = split_digits(rest);
    let (fraction, rest) = match rest.split_first() {
        Some((b'.', after_point)) => split_digits(after_point),
        _ => (&[][..], rest),
    };
    if integer.is_empty() && fraction.is_empty() {
        return None;
    }
    let exponent = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', written)) => scan_exponent(written)?,
        Some(_) => return None,
    };
    Some(Syntax { negative, integer, fraction, exponent })
}

/// The exponent after `e`/`E`: an optional sign and at least one digit, clamped to
/// `±TEXT_EXPONENT_CLAMP` so that absurd exponents cannot overflow the arithmetic.
fn scan_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = split_sign(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits
        .iter()
        .fold(0_i64, |acc, &d| (acc * 10 + i64::from(d - b'0')).min(TEXT_EXPONENT_CLAMP));
    Some(if negative { -magnitude } else { magnitude })
}

/// Strips one leading `+` or `-`; a leading `+` is accepted by DynamoDB (dynoxide #109).
fn split_sign(text: &[u8]) -> (bool, &[u8]) {
    match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    }
}

/// Splits off the leading ASCII digits.
fn split_digits(text: &[u8]) -> (&[u8], &[u8]) {
    let count = text.iter().take_while(|b| b.is_ascii_digit()).count();
    text.split_at(count)
}

/// The sum of two digit strings, least significant digit first.
fn add_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut sum = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let total = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        sum.push(total % 10);
        carry = total / 10;
    }
    if carry > 0 {
        sum.push(carry);
    }
    sum
}

/// `larger - smaller` for digit strings, least significant digit first; `larger` must be the
/// larger magnitude. The result may keep leading zeros.
fn subtract_digits(larger: &[u8], smaller: &[u8]) -> Vec<u8> {
    let mut difference = Vec::with_capacity(larger.len());
    let mut borrow = 0;
    for (i, &digit) in larger.iter().enumerate() {
        let subtrahend = smaller.get(i).copied().unwrap_or(0) + borrow;
        if digit >= subtrahend {
            difference.push(digit - subtrahend);
            borrow = 0;
        } else {
            difference.push(digit + 10 - subtrahend);
            borrow = 1;
        }
    }
    debug_assert_eq!(borrow, 0, "the minuend is the larger magnitude");
    difference
}

/// Compares two digit strings without leading zeros, least significant digit first.
fn compare_digits(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

/// Decimal digits in `value` (0 for 0).
fn digit_count(value: u128) -> u32 {
    value.checked_ilog10().map_or(0, |log| log + 1)
}

/// `value` as `i64`, saturating (text lengths are far below the limit in practice).
fn saturating_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(text: &str) -> Result<Number, NumberError> {
        Number::parse(text)
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation without exponent (module docs: "Text output").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_char('-')?;
        }
        let digits = self.coefficient.to_string();
        if self.exponent >= 0 {
            // An integer: the digits, then as many zeros as the exponent says.
            f.write_str(&digits)?;
            return write_zeros(f, i64::from(self.exponent));
        }
        let point = usize::try_from(-i64::from(self.exponent)).expect("exponent is negative");
        if point < digits.len() {
            let (integer, fraction) = digits.split_at(digits.len() - point);
            write!(f, "{integer}.{fraction}")
        } else {
            f.write_str("0.")?;
            write_zeros(f, saturating_i64(point - digits.len()))?;
            f.write_str(&digits)
        }
    }
}

/// Writes `count` zeros.
fn write_zeros(f: &mut fmt::Formatter<'_>, count: i64) -> fmt::Result {
    (0..count).try_for_each(|_| f.write_char('0'))
}

impl Ord for Number {
    /// Numeric order: negatives, zero, positives; magnitudes by adjusted exponent, then digits.
    fn cmp(&self, other: &Number) -> Ordering {
        self.signum().cmp(&other.signum()).then_with(|| {
            let magnitude = self
                .adjusted_exponent()
                .cmp(&other.adjusted_exponent())
                .then_with(|| self.coefficient_38().cmp(&other.coefficient_38()));
            if self.negative {
                magnitude.reverse()
            } else {
                magnitude
            }
        })
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests;
