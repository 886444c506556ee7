//! Document metadata that formats require: timestamps and identifiers,
//! derived from the input so that output stays byte-identical.

use sha2::{Digest, Sha256};

use bulwark_inventory::Inventory;

/// Tool name, version and the deterministic timestamp of a document.
#[derive(Debug, Clone)]
pub struct DocumentMeta {
    pub tool_name: String,
    pub tool_version: String,
    /// RFC 3339 UTC timestamp, such as `2025-01-01T00:00:00Z`.
    pub timestamp: String,
}

impl DocumentMeta {
    /// Chooses the timestamp: `SOURCE_DATE_EPOCH` when given, else the
    /// image's creation time, else the Unix epoch. The clock is never read.
    pub fn new(source_date_epoch: Option<i64>, image_created: Option<&str>) -> Self {
        let timestamp = match (source_date_epoch, image_created) {
            (Some(seconds), _) => format_timestamp(seconds),
            (None, Some(created)) if valid_rfc3339_prefix(created) => {
                // Drop fractional seconds and offsets the schemas may not
                // accept: keep `YYYY-MM-DDTHH:MM:SS` and mark it UTC.
                format!("{}Z", &created[..19])
            }
            _ => format_timestamp(0),
        };
        Self {
            tool_name: "bulwark".to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            timestamp,
        }
    }
}

fn valid_rfc3339_prefix(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes[..19].iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        })
        && text.ends_with('Z')
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
        let meta = DocumentMeta::new(Some(86_400), Some("2024-05-06T07:08:09Z"));
        assert_eq!(meta.timestamp, "1970-01-02T00:00:00Z");
    }
}
