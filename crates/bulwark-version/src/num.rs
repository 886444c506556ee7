//! Numeric comparison of ASCII digit strings of any length.

use std::cmp::Ordering;

/// Compares two ASCII digit strings as non-negative integers of unlimited size.
///
/// Leading zeros are ignored, so `"007"` equals `"7"`. An empty string counts as zero.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Returns whether `s` is non-empty and made only of ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Returns whether a digit string is zero (empty counts as zero).
pub(crate) fn is_zero(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

/// Splits `s` into its leading run of ASCII digits and the rest.
pub(crate) fn split_digits(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Splits `s` into its leading run of bytes matching `pred` and the rest.
///
/// `pred` must return the same value for every non-ASCII byte, so that the split falls on
/// a character boundary.
pub(crate) fn split_while(s: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let end = s.bytes().position(|b| !pred(b)).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_compare_beyond_u64() {
        let big = "184467440737095516160";
        assert_eq!(cmp_digits(big, "18446744073709551615"), Ordering::Greater);
        assert_eq!(cmp_digits("000123", "123"), Ordering::Equal);
        assert_eq!(cmp_digits("", "0"), Ordering::Equal);
        assert_eq!(cmp_digits("9", "10"), Ordering::Less);
    }
}
