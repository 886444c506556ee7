//! Document metadata that formats require: timestamps and identifiers,
//! derived from the input so that output stays byte-identical.

use sha2::{Digest, Sha256};

use bulwark_inventory::Inventory;

/// Unix seconds that a document timestamp can hold: RFC 3339 needs a
/// four-digit year, and times before 1970 cannot be build times.
pub const TIMESTAMP_RANGE: std::ops::RangeInclusive<i64> = 0..=253_402_300_799;

/// Tool name, version and the deterministic timestamp of a document.
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    /// Name of the tool that wrote the document (`bulwark`).
    pub tool_name: String,
    /// Version of the tool, from its Cargo package.
    pub tool_version: String,
    /// RFC 3339 UTC timestamp in whole seconds, such as
    /// `2025-01-01T00:00:00Z`.
    pub timestamp: String,
}

impl DocumentMeta {
    /// Chooses the timestamp: `SOURCE_DATE_EPOCH` when given, else the
    /// image's creation time converted to UTC, else the Unix epoch. The
    /// clock is never read. Seconds outside [`TIMESTAMP_RANGE`] are clamped
    /// to it, and a creation time that is not RFC 3339 counts as absent.
    pub fn new(source_date_epoch: Option<i64>, image_created: Option<&str>) -> Self {
        let seconds = source_date_epoch
            .or_else(|| image_created.and_then(parse_rfc3339))
            .unwrap_or(0)
            .clamp(*TIMESTAMP_RANGE.start(), *TIMESTAMP_RANGE.end());
        Self {
            tool_name: "bulwark".to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            timestamp: format_timestamp(seconds),
        }
    }
}

/// Parses an RFC 3339 date-time, such as `2024-05-06T07:08:09.5+02:00`,
/// into Unix seconds. Fractional seconds are dropped.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| bytes[i] != c) || !matches!(bytes[10], b'T' | b't') {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        // 60 is a leap second.
        && second <= 60;
    if !valid {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = i64::from((*h1 as char).to_digit(10)? * 10 + (*h2 as char).to_digit(10)?);
            let minutes = i64::from((*m1 as char).to_digit(10)? * 10 + (*m2 as char).to_digit(10)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, the inverse of
/// the conversion in [`format_timestamp`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats Unix seconds as an RFC 3339 UTC timestamp.
pub fn format_timestamp(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil-from-days conversion for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// A digest of the inventory's content, used to derive serial numbers and
/// namespaces that change exactly when the content changes.
pub(crate) fn content_digest(inventory: &Inventory, meta: &DocumentMeta) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(crate::native::write_native_json(inventory).as_bytes());
    hasher.update(meta.timestamp.as_bytes());
    hasher.finalize().into()
}

/// Formats the first 16 bytes of a digest as a version 4 style UUID.
pub(crate) fn uuid_from_digest(digest: &[u8; 32]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Mark it as a name-based (version 5 layout) RFC 4122 UUID.
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_known_dates() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(format_timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn image_created_time_is_truncated_to_seconds() {
        let meta = DocumentMeta::new(None, Some("2024-05-06T07:08:09.123456789Z"));
        assert_eq!(meta.timestamp, "2024-05-06T07:08:09Z");
    }

    #[test]
    fn source_date_epoch_wins_over_image_created() {
        let meta = DocumentMeta::new(Some(86_400), Some("2024-05-06T07:08:09Z"));
        assert_eq!(meta.timestamp, "1970-01-02T00:00:00Z");
    }

    #[test]
    fn image_created_offset_is_converted_to_utc() {
        let meta = DocumentMeta::new(None, Some("2024-05-06T01:08:09.5+02:30"));
        assert_eq!(meta.timestamp, "2024-05-05T22:38:09Z");
        let meta = DocumentMeta::new(None, Some("2024-12-31T23:00:00-01:00"));
        assert_eq!(meta.timestamp, "2025-01-01T00:00:00Z");
    }

    #[test]
    fn invalid_image_created_falls_back_to_epoch() {
        for text in [
            "2024-02-30T00:00:00Z",
            "2024-05-06 07:08:09Z",
            "2024-05-06T07:08:09",
            "2024-05-06T07:08:09.Z",
            "yesterday",
        ] {
            let meta = DocumentMeta::new(None, Some(text));
            assert_eq!(meta.timestamp, "1970-01-01T00:00:00Z", "{text}");
        }
    }

    #[test]
    fn civil_conversion_round_trips() {
        for seconds in [0, 951_782_400, 1_735_689_599, *TIMESTAMP_RANGE.end()] {
            let text = format_timestamp(seconds);
            assert_eq!(parse_rfc3339(&text), Some(seconds), "{text}");
        }
    }

    #[test]
    fn out_of_range_seconds_are_clamped() {
        let meta = DocumentMeta::new(Some(i64::MAX), None);
        assert_eq!(meta.timestamp, "9999-12-31T23:59:59Z");
    }
}
