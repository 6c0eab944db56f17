//! Unit tests for every accepted and rejected spelling and every error, and seeded property
//! tests comparing `Number` with an independent model: a sign, an adjusted exponent and a digit
//! string ([`Spec`]).

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Number, NumberError};

fn parse(text: &str) -> Number {
    Number::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn key(number: &Number) -> Vec<u8> {
    let mut out = Vec::new();
    number.encode_key(&mut out);
    out
}

fn hash_of(number: &Number) -> u64 {
    let mut hasher = DefaultHasher::new();
    number.hash(&mut hasher);
    hasher.finish()
}

#[test]
fn accepts_dynamodb_spellings_and_prints_them_normalized() {
    let cases = [
        ("12", "12"),
        ("-0.5", "-0.5"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1e5", "100000"),
        ("1E-3", "0.001"),
        ("0012.50", "12.5"),
        ("+5", "5"),
        ("+1.5", "1.5"),
        ("+.5", "0.5"),
        ("+0", "0"),
        ("+0.0", "0"),
        ("-0", "0"),
        ("-0.000e-7", "0"),
        ("0e1000", "0"),
        ("1E+2", "100"),
        ("+1e2", "100"),
        ("1.5E+3", "1500"),
        ("1.5E2", "150"),
        ("1.0", "1"),
        ("00042", "42"),
        ("0001.23", "1.23"),
        ("-7.1234", "-7.1234"),
        ("-17e5", "-1700000"),
        ("1e-5", "0.00001"),
        ("123.456e-2", "1.23456"),
        ("123.456e-3", "0.123456"),
        ("123.456e-4", "0.0123456"),
        ("-12.5e1", "-125"),
        ("1.5e40", "15000000000000000000000000000000000000000"),
        ("3.1415926535897932384626433832795028841", "3.1415926535897932384626433832795028841"),
    ];
    for (text, printed) in cases {
        assert_eq!(parse(text).to_string(), printed, "{text:?}");
        assert_eq!(text.parse::<Number>(), Ok(parse(printed)), "FromStr agrees for {text:?}");
    }
}

#[test]
fn rejects_everything_else_as_invalid_syntax() {
    let cases = [
        "",
        " ",
        "+",
        "-",
        ".",
        "+.",
        "-.",
        "e5",
        ".e5",
        "+e2",
        "-e2",
        "1+2",
        "+1+2",
        "1.2.3",
        "++5",
        "--5",
        "+-5",
        "-+5",
        "1e",
        "1e+",
        "1e-",
        "1E",
        "1e5.5",
        "1ee5",
        "1e5e5",
        "1e+-5",
        " 5",
        "5 ",
        "\t1",
        "1\n",
        "1 2",
        "NaN",
        "nan",
        "-NaN",
        "Infinity",
        "-Infinity",
        "inf",
        "dog",
        "-dog",
        "0x10",
        "0X1F",
        "0b1",
        "1_000",
        "1,5",
        "1f",
        "1d5",
        "5%",
        "\u{661}",
        "\u{ff15}",
        "1\u{0}",
        "e",
        "E",
        "..5",
        "5..",
        ".5.",
        "1.e",
        "--",
        "- 1",
    ];
    for text in cases {
        assert_eq!(Number::parse(text), Err(NumberError::InvalidSyntax), "{text:?}");
    }
}

#[test]
fn error_messages_are_dynamodbs_verbatim() {
    let cases = [
        (NumberError::InvalidSyntax, "A value provided cannot be converted into a number"),
        (
            NumberError::TooManyDigits,
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            NumberError::Overflow,
            "Number overflow. Attempting to store a number with magnitude larger than supported \
             range",
        ),
        (
            NumberError::Underflow,
            "Number underflow. Attempting to store a number with magnitude smaller than \
             supported range",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn rejects_more_than_38_significant_digits() {
    let rejected = [
        "123456789012345678901234567890123456789",
        "-1.23456789012345678901234567890123456789",
        "3.14159265358979323846264338327950288419",
        "314159265358979323846.264338327950288419",
        "314159265358979323846264338327950288419e30",
        "100000000000000000000000000000000000001",
        "0.100000000000000000000000000000000000001",
    ];
    for text in rejected {
        assert_eq!(Number::parse(text), Err(NumberError::TooManyDigits), "{text:?}");
    }
    let accepted = [
        ("12345678901234567890123456789012345678", 38),
        ("0000012345678901234567890123456789012345678.000000", 38),
        ("31415926535897932384626433832795028841e30", 38),
        ("-0.00012345678901234567890123456789012345678", 38),
    ];
    for (text, digits) in accepted {
        assert_eq!(parse(text).significant_digits(), digits, "{text:?}");
    }
}

#[test]
fn significant_digits_are_counted_after_trimming_zeros() {
    let fifty_zeros = "0".repeat(50);
    let big = parse(&format!("1{fifty_zeros}"));
    assert_eq!(big.significant_digits(), 1);
    assert_eq!(big.to_string(), format!("1{fifty_zeros}"));
    let small = parse(&format!("0.{fifty_zeros}1"));
    assert_eq!(small.significant_digits(), 1);
    assert_eq!(small, parse("1e-51"));
    let padded = parse(&format!("{fifty_zeros}7.25{fifty_zeros}"));
    assert_eq!(padded, parse("7.25"));
    // Digits far outside the range cancel against the exponent before the range is checked.
    let zeros = "0".repeat(300);
    assert_eq!(parse(&format!("1{zeros}e-300")), parse("1"));
    assert_eq!(parse(&format!("0.{zeros}1e300")), parse("0.1"));
    assert_eq!(parse(&format!("{zeros}e-999")), Number::ZERO);
    assert_eq!(parse("0").significant_digits(), 0);
}

#[test]
fn range_limits_are_dynamodbs() {
    let overflow = ["1e126", "-1e126", "11e125", "1E+126", "10e125", "1e99999999999999999999999"];
    for text in overflow {
        assert_eq!(Number::parse(text), Err(NumberError::Overflow), "{text:?}");
    }
    let underflow = ["1e-131", "-1e-131", "0.9e-130", "0.99e-130", "1e-99999999999999999999999"];
    for text in underflow {
        assert_eq!(Number::parse(text), Err(NumberError::Underflow), "{text:?}");
    }
    let accepted = [
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "1e125",
        "9.99999999e125",
        "1E-130",
        "-1e-130",
        "1.5e-130",
        "0e99999999999999999999999999",
    ];
    for text in accepted {
        assert!(Number::parse(text).is_ok(), "{text:?}");
    }
    assert_eq!(parse("1e-130").to_string(), format!("0.{}1", "0".repeat(129)));
    assert_eq!(parse("1e125").to_string(), format!("1{}", "0".repeat(125)));
}

#[test]
fn too_many_digits_is_reported_before_the_range() {
    // Undocumented order; the digit count is checked first (see `from_syntax`).
    let text = "123456789012345678901234567890123456789e200";
    assert_eq!(Number::parse(text), Err(NumberError::TooManyDigits));
}

#[test]
fn equal_spellings_are_equal_and_hash_alike() {
    let groups = [
        &["12.5", "0012.50", "1.25e1", "125e-1", "+12.5", "12.500000", ".125E+2"][..],
        &["0", "-0", "+0", "0.0", ".0", "0.", "0e5", "-0e-5", "000"][..],
        &["-100", "-1e2", "-1E+2", "-100.0", "-0.1e3", "-00100"][..],
    ];
    for group in groups {
        let first = parse(group.first().expect("groups are non-empty"));
        for text in group {
            let number = parse(text);
            assert_eq!(number, first, "{text:?}");
            assert_eq!(hash_of(&number), hash_of(&first), "{text:?}");
            assert_eq!(key(&number), key(&first), "{text:?}");
        }
    }
    assert!(!parse("-0").is_negative());
    assert!(parse("-0").is_zero());
}

#[test]
fn orders_numerically() {
    let ascending = [
        "-9.9999999999999999999999999999999999999e125",
        "-1e125",
        "-101",
        "-100",
        "-99.5",
        "-1.01",
        "-1",
        "-0.1",
        "-1e-130",
        "0",
        "1e-130",
        "0.00001",
        "0.1",
        "0.11",
        "0.2",
        "1",
        "1.000000000000000000000000000000000001",
        "1.01",
        "9",
        "10",
        "99",
        "100",
        "1e125",
        "9.9999999999999999999999999999999999999e125",
    ];
    let numbers: Vec<Number> = ascending.iter().map(|text| parse(text)).collect();
    for (a, b) in numbers.iter().zip(numbers.iter().skip(1)) {
        assert_eq!(a.cmp(b), Ordering::Less, "{a} < {b}");
        assert_eq!(key(a).cmp(&key(b)), Ordering::Less, "key({a}) < key({b})");
    }
}

#[test]
fn key_encoding_layout() {
    assert_eq!(key(&Number::ZERO), [0x02]);
    assert_eq!(key(&parse("1")), [0x03, 130, 11, 0x00]);
    assert_eq!(key(&parse("-1")), [0x01, !130, !11, 0xFF]);
    assert_eq!(key(&parse("12.5")), [0x03, 131, 13, 51, 0x00]);
    assert_eq!(key(&parse("1e-130")), [0x03, 0, 11, 0x00]);
    assert_eq!(key(&parse("1e125")), [0x03, 255, 11, 0x00]);
    assert_eq!(key(&parse("1.01")), [0x03, 130, 11, 11, 0x00]);
    let widest = key(&parse("-1.2345678901234567890123456789012345678e-100"));
    assert_eq!(widest.len(), 22);
}

#[test]
fn decode_rejects_non_canonical_keys() {
    let cases: [(&[u8], usize, &str); 11] = [
        (&[], 0, "empty"),
        (&[0x00], 0, "unknown sign tag"),
        (&[0x04, 130, 11, 0], 0, "unknown sign tag"),
        (&[0x03], 1, "truncated exponent"),
        (&[0x03, 130], 2, "missing terminator"),
        (&[0x03, 130, 11], 3, "missing terminator"),
        (&[0x03, 130, 0], 2, "no digits"),
        (&[0x03, 130, 2, 0], 2, "leading zero digit"),
        (&[0x03, 130, 11, 1, 0], 4, "trailing zero digits"),
        (&[0x03, 130, 102, 0], 2, "digit pair out of range"),
        (&[0x01, !130, !11, 0x00], 3, "digit pair out of range"),
    ];
    for (bytes, offset, what) in cases {
        let expected = NumberError::CorruptKey { offset, what };
        assert_eq!(Number::decode_key(bytes), Err(expected), "{bytes:?}");
    }
    let mut too_long = vec![0x03, 130];
    too_long.extend([12_u8; 20]);
    too_long.push(0);
    let expected = NumberError::CorruptKey { offset: 21, what: "more than 38 digits" };
    assert_eq!(Number::decode_key(&too_long), Err(expected));
}

#[test]
fn decode_stops_at_the_end_of_the_encoding() {
    for text in ["0", "1", "-1", "12.5", "-0.001", "1e125"] {
        let number = parse(text);
        let mut bytes = key(&number);
        let length = bytes.len();
        bytes.extend([0x00, 0xFF, 0x03, 0x42]);
        assert_eq!(Number::decode_key(&bytes), Ok((number, length)), "{text:?}");
    }
}

/// The model a test number is drawn from: `±0.d₁d₂…dₙ × 10^(adjusted + 1)` with `d₁ ≠ 0` and
/// `dₙ ≠ 0`, or zero when `digits` is empty.
#[derive(Clone, Debug)]
struct Spec {
    negative: bool,
    adjusted: i64,
    digits: Vec<u8>,
}

fn random_spec(rng: &mut SmallRng) -> Spec {
    if rng.gen_ratio(1, 25) {
        return Spec { negative: false, adjusted: 0, digits: Vec::new() };
    }
    let length = if rng.gen_bool(0.3) { rng.gen_range(1..=38) } else { rng.gen_range(1..=5) };
    let digits = (0..length)
        .map(|i| {
            let edge = i == 0 || i == length - 1;
            if edge {
                rng.gen_range(1..=9)
            } else if rng.gen_bool(0.3) {
                0
            } else {
                rng.gen_range(0..=9)
            }
        })
        .collect();
    let adjusted = match rng.gen_range(0..4) {
        0 => rng.gen_range(-3..=3),
        1 => *[-130, -129, 124, 125].get(rng.gen_range(0..4)).expect("index below 4"),
        _ => rng.gen_range(-130..=125),
    };
    Spec { negative: rng.gen_bool(0.5), adjusted, digits }
}

/// A spec that shares sign, exponent and a digit prefix with `base`, to exercise close pairs.
fn neighbour(rng: &mut SmallRng, base: &Spec) -> Spec {
    if base.digits.is_empty() {
        return random_spec(rng);
    }
    let keep = rng.gen_range(0..=base.digits.len());
    let mut digits: Vec<u8> = base.digits.iter().copied().take(keep).collect();
    let extra = rng.gen_range(0..=(38 - keep).min(4));
    digits.extend((0..extra).map(|_| rng.gen_range(0..=9)));
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.first().is_none_or(|&d| d == 0) {
        return base.clone();
    }
    Spec { negative: base.negative, adjusted: base.adjusted, digits }
}

fn digit_text(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// One of many DynamoDB spellings of `spec`: random point position, padding zeros, exponent
/// letter and signs.
fn random_spelling(rng: &mut SmallRng, spec: &Spec) -> String {
    let digits = if spec.digits.is_empty() { vec![0] } else { spec.digits.clone() };
    let point = rng.gen_range(0..=digits.len());
    let (integer, fraction) = digits.split_at(point);
    let mut text = String::new();
    if spec.negative || (spec.digits.is_empty() && rng.gen_bool(0.3)) {
        text.push('-');
    } else if rng.gen_bool(0.2) {
        text.push('+');
    }
    text.push_str(&"0".repeat(rng.gen_range(0..3)));
    text.push_str(&digit_text(integer));
    if !fraction.is_empty() || rng.gen_bool(0.3) {
        text.push('.');
        text.push_str(&digit_text(fraction));
        text.push_str(&"0".repeat(rng.gen_range(0..3)));
    }
    let exponent = spec.adjusted + 1 - i64::try_from(point).expect("small");
    if exponent != 0 || rng.gen_bool(0.3) {
        text.push(if rng.gen_bool(0.5) { 'e' } else { 'E' });
        if exponent >= 0 && rng.gen_bool(0.3) {
            text.push('+');
        }
        text.push_str(&exponent.to_string());
    }
    text
}

/// A random number, parsed from a random spelling of a random spec.
fn random_number(rng: &mut SmallRng) -> Number {
    let spec = random_spec(rng);
    parse(&random_spelling(rng, &spec))
}

/// The plain decimal text of `spec`, computed without `Number`.
fn plain_text(spec: &Spec) -> String {
    if spec.digits.is_empty() {
        return "0".to_owned();
    }
    let sign = if spec.negative { "-" } else { "" };
    let digits = digit_text(&spec.digits);
    let length = i64::try_from(digits.len()).expect("small");
    let integer_digits = spec.adjusted + 1;
    let body = if integer_digits >= length {
        let zeros = usize::try_from(integer_digits - length).expect("non-negative");
        format!("{digits}{}", "0".repeat(zeros))
    } else if integer_digits > 0 {
        let (integer, fraction) =
            digits.split_at(usize::try_from(integer_digits).expect("positive"));
        format!("{integer}.{fraction}")
    } else {
        let zeros = usize::try_from(-integer_digits).expect("non-negative");
        format!("0.{}{digits}", "0".repeat(zeros))
    };
    format!("{sign}{body}")
}

/// Numeric order of two specs, from sign, exponent and zero-padded digits alone.
fn reference_cmp(a: &Spec, b: &Spec) -> Ordering {
    let signum = |s: &Spec| match (s.digits.is_empty(), s.negative) {
        (true, _) => 0,
        (false, true) => -1,
        (false, false) => 1,
    };
    let padded = |s: &Spec| {
        let mut digits = s.digits.clone();
        digits.resize(38, 0);
        digits
    };
    signum(a).cmp(&signum(b)).then_with(|| {
        let magnitude = a.adjusted.cmp(&b.adjusted).then_with(|| padded(a).cmp(&padded(b)));
        if a.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    })
}

#[test]
fn property_spellings_parse_and_print_round_trip() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0001);
    for _ in 0..5_000 {
        let spec = random_spec(&mut rng);
        let spelling = random_spelling(&mut rng, &spec);
        let number = parse(&spelling);
        let printed = number.to_string();
        assert_eq!(printed, plain_text(&spec), "{spelling:?} from {spec:?}");
        assert_eq!(parse(&printed), number, "parse(display(n)) == n for {spelling:?}");
        let other = parse(&random_spelling(&mut rng, &spec));
        assert_eq!(other, number, "two spellings of {spec:?}");
        assert_eq!(hash_of(&other), hash_of(&number));
        let digits = u32::try_from(spec.digits.len()).expect("small");
        assert_eq!(number.significant_digits(), digits);
    }
}

#[test]
fn property_order_and_key_order_match_the_reference() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0002);
    for _ in 0..20_000 {
        let a = random_spec(&mut rng);
        let b = if rng.gen_bool(0.5) { neighbour(&mut rng, &a) } else { random_spec(&mut rng) };
        let (x, y) = (parse(&random_spelling(&mut rng, &a)), parse(&random_spelling(&mut rng, &b)));
        let expected = reference_cmp(&a, &b);
        assert_eq!(x.cmp(&y), expected, "{x} vs {y}");
        assert_eq!(x.partial_cmp(&y), Some(expected));
        assert_eq!(key(&x).cmp(&key(&y)), expected, "keys of {x} vs {y}");
        assert_eq!(x == y, expected == Ordering::Equal);
    }
}

#[test]
fn property_keys_decode_to_their_number() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0003);
    for _ in 0..5_000 {
        let number = random_number(&mut rng);
        let mut bytes = key(&number);
        let length = bytes.len();
        assert!(length <= 22);
        let suffix = rng.gen_range(0..8);
        bytes.extend((0..suffix).map(|_| rng.gen::<u8>()));
        assert_eq!(Number::decode_key(&bytes), Ok((number, length)), "{number}");
    }
}

#[test]
fn property_arbitrary_bytes_never_panic_in_decode() {
    let mut rng = SmallRng::seed_from_u64(0x6261_7361_6c74_0004);
    for round in 0..100_000 {
        let mut bytes = if round % 2 == 0 {
            let length = rng.gen_range(0..26);
            let mut bytes: Vec<u8> = (0..length).map(|_| rng.gen()).collect();
            if let Some(first) = bytes.first_mut() {
                *first = rng.gen_range(0..5);
            }
            bytes
        } else {
            key(&random_number(&mut rng))
        };
        if let Some(byte) = bytes.get_mut(rng.gen_range(0..24)) {
            *byte = rng.gen();
        }
        bytes.truncate(rng.gen_range(0..=26));
        if let Ok((number, used)) = Number::decode_key(&bytes) {
            // Only canonical encodings decode: re-encoding gives the consumed bytes back.
            assert_eq!(Some(key(&number).as_slice()), bytes.get(..used), "{bytes:?}");
        }
    }
}

#[test]
fn checked_add_and_sub_are_exact() {
    let cases = [
        ("1", "2", "3", "-1"),
        ("0.1", "0.2", "0.3", "-0.1"),
        ("-5", "3", "-2", "-8"),
        ("5", "5", "10", "0"),
        ("1.5", "-2", "-0.5", "3.5"),
        ("0", "-7.25", "-7.25", "7.25"),
        ("-7.25", "0", "-7.25", "-7.25"),
        (
            "99999999999999999999999999999999999999",
            "1",
            "1e38",
            "99999999999999999999999999999999999998",
        ),
        ("1e125", "1e125", "2e125", "0"),
        ("123456789.123456789", "0.000000001", "123456789.12345679", "123456789.123456788"),
        ("1e-130", "1e-130", "2e-130", "0"),
    ];
    for (a, b, sum, difference) in cases {
        assert_eq!(parse(a).checked_add(&parse(b)), Ok(parse(sum)), "{a} + {b}");
        assert_eq!(parse(b).checked_add(&parse(a)), Ok(parse(sum)), "{b} + {a}");
        assert_eq!(parse(a).checked_sub(&parse(b)), Ok(parse(difference)), "{a} - {b}");
    }
}

#[test]
fn checked_add_refuses_what_dynamodb_cannot_store() {
    let max = "9.9999999999999999999999999999999999999e125";
    assert_eq!(parse(max).checked_add(&parse("1e88")), Err(NumberError::Overflow));
    assert_eq!(parse("9e125").checked_sub(&parse("-9e125")), Err(NumberError::Overflow));
    assert_eq!(parse("-9e125").checked_add(&parse("-9e125")), Err(NumberError::Overflow));
    // The exact result has 39 digits; digits are checked before the range, as for text.
    assert_eq!(parse(max).checked_add(&parse(max)), Err(NumberError::TooManyDigits));
    assert_eq!(parse("1.1e-130").checked_sub(&parse("1e-130")), Err(NumberError::Underflow));
    assert_eq!(parse("1e20").checked_add(&parse("1e-20")), Err(NumberError::TooManyDigits));
    assert_eq!(parse(max).checked_add(&parse("1")), Err(NumberError::TooManyDigits));
}
