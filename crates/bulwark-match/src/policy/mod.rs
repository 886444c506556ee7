//! Policy: what the findings of a scan mean for this project.
//!
//! [`apply_policy`] applies VEX statements first, because they state facts
//! about the product, then the exceptions of the project configuration,
//! which accept a risk for a time. Suppressed findings move to
//! [`Report::suppressed`] with the statement or exception that suppressed
//! them. A finding that only an expired exception or an `affected` VEX
//! statement matches stays active and gets a [`Note`].

mod config;
mod exceptions;

use std::fmt;

use thiserror::Error;

use crate::finding::{Finding, Note, Report};
use crate::vex::VexDocument;

pub use config::{CONFIG_FILE_NAME, Config, ConfigError, Exception, ExceptionTarget};

/// Note codes that [`apply_policy`] writes, and so removes before it runs
/// again.
pub const NOTE_CODES: [&str; 3] = [
    exceptions::NOTE_EXPIRED,
    crate::vex::NOTE_AFFECTED,
    crate::vex::NOTE_UNDER_INVESTIGATION,
];

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Creates a date, or returns `None` when the day does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap_year(year) => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD`, the only form accepted.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = u8::try_from(digits(5..7)?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        Self::new(year, month, day)
    }

    /// Returns the UTC date of a Unix time in seconds.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        // Days since 1970-01-01 to a civil date, counting in 400-year eras
        // of 146,097 days that start on March 1 so that leap days fall at
        // the end of each year.
        let days = seconds.div_euclid(86_400) + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: month as u8,
            day: day as u8,
        }
    }

    /// Returns today's date: the date of `SOURCE_DATE_EPOCH` when that is
    /// set, so that builds and tests are reproducible, else of the clock.
    ///
    /// # Errors
    ///
    /// [`DateError`] when `SOURCE_DATE_EPOCH` is set but is not an integer
    /// number of seconds.
    pub fn today() -> Result<Self, DateError> {
        Ok(Self::from_unix_seconds(now_unix_seconds()?))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Invalid `SOURCE_DATE_EPOCH`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid SOURCE_DATE_EPOCH {value:?}: expected Unix seconds, such as 1700000000")]
pub struct DateError {
    /// The value as set.
    pub value: String,
}

/// Returns the current Unix time in seconds, or `SOURCE_DATE_EPOCH` when it
/// is set.
///
/// # Errors
///
/// [`DateError`] when `SOURCE_DATE_EPOCH` is set but is not an integer.
pub fn now_unix_seconds() -> Result<i64, DateError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value.trim().parse::<i64>().map_err(|_| DateError { value }),
        Err(_) => Ok(bulwark_vulndb::time::now_unix()),
    }
}

/// Applies VEX statements and the exceptions of `config` to every finding
/// of `report`, as of the date `now`, then moves suppressed findings to
/// `report.suppressed` and recounts the summary.
///
/// Running it again on the same report gives the same result: it first
/// clears the suppressions and notes that an earlier run set.
pub fn apply_policy(report: &mut Report, config: &Config, vex: &[VexDocument], now: Date) {
    let mut all: Vec<Finding> = std::mem::take(&mut report.findings);
    all.append(&mut report.suppressed);
    for finding in &mut all {
        finding.suppressed = None;
        finding
            .notes
            .retain(|note| !NOTE_CODES.contains(&note.code.as_str()));
    }

    let mut vex_suppressed = 0;
    let mut exception_suppressed = 0;
    let mut expired = 0;
    for finding in &mut all {
        crate::vex::apply(finding, &report.target, vex);
        if finding.suppressed.is_some() {
            vex_suppressed += 1;
            continue;
        }
        match exceptions::apply(finding, &report.target, config, now) {
            exceptions::Outcome::Suppressed => exception_suppressed += 1,
            exceptions::Outcome::Expired => expired += 1,
            exceptions::Outcome::NoMatch => {}
        }
    }
    tracing::debug!(
        vex_suppressed,
        exception_suppressed,
        expired,
        "applied VEX statements and exceptions"
    );
    if expired > 0 {
        tracing::warn!(
            findings = expired,
            config = %config.display_path(),
            "exceptions expired, so their findings count again"
        );
    }

    report.findings = all;

    let mut rule_findings: Vec<_> = std::mem::take(&mut report.rule_findings);
    rule_findings.append(&mut report.rule_suppressed);
    for finding in &mut rule_findings {
        // Inline ignore comments in the scanned file stay; exceptions are
        // decided again.
        if finding
            .suppressed
            .as_ref()
            .is_some_and(|suppression| suppression.kind == "exception")
        {
            finding.suppressed = None;
        }
        finding
            .notes
            .retain(|note| !NOTE_CODES.contains(&note.code.as_str()));
        if finding.suppressed.is_none() {
            exceptions::apply_to_rule_finding(finding, &report.target, config, now);
        }
    }
    report.rule_findings = rule_findings;
    report.settle_suppressions();
}

/// Adds a note to a finding.
pub(crate) fn add_note(finding: &mut Finding, code: &str, message: String) {
    finding.notes.push(Note {
        code: code.to_owned(),
        message,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_parse_valid() {
        let date = Date::parse("2024-02-29").expect("leap day");
        assert_eq!(date.to_string(), "2024-02-29");
        assert_eq!(Date::parse("2000-02-29"), Date::new(2000, 2, 29));
    }

    #[test]
    fn date_parse_rejects_invalid() {
        for text in [
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-4-30",
            "2024-04-30T00:00:00Z",
            "24-04-30",
            "",
            "2024/04/30",
        ] {
            assert_eq!(Date::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn date_from_unix_seconds() {
        // Checked against `date -u -d @SECONDS +%F` (GNU coreutils).
        let cases = [
            (0, "1970-01-01"),
            (86_399, "1970-01-01"),
            (951_782_400, "2000-02-29"),
            (1_709_164_800, "2024-02-29"),
            (1_735_689_599, "2024-12-31"),
            (-1, "1969-12-31"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(
                Date::from_unix_seconds(seconds).to_string(),
                expected,
                "{seconds}"
            );
        }
    }

    fn rule_finding(rule_id: &str, path: &str) -> crate::RuleFinding {
        crate::RuleFinding {
            kind: crate::RuleKind::Secret,
            rule_id: rule_id.to_owned(),
            title: "AWS access key id".to_owned(),
            severity: crate::SeverityLevel::Critical,
            path: path.to_owned(),
            line: Some(1),
            column: Some(19),
            resource: None,
            message: "AWS access key id".to_owned(),
            snippet: Some("AWS_ACCESS_KEY_ID=AKIA****".to_owned()),
            fingerprint: Some("0f".to_owned()),
            layer: None,
            removed_in_later_layer: false,
            suppressed: None,
            notes: Vec::new(),
        }
    }

    fn report_with(findings: Vec<crate::RuleFinding>) -> Report {
        let mut report = Report::new(crate::TargetInfo {
            name: "app".to_owned(),
            kind: "directory".to_owned(),
            ..crate::TargetInfo::default()
        });
        report.rule_findings = findings;
        report
    }

    const RULE_EXCEPTIONS: &str = "\
exceptions:
  - rule: secret-aws-access-key-id
    path: app/kept/*.env
    reason: throwaway key of a test fixture
    owner: platform-team
    expires: 2030-01-31
  - rule: SECRET-PRIVATE-KEY
    reason: rotated
    owner: platform-team
    expires: 2020-01-31
";

    #[test]
    fn rule_exception_suppresses_in_scope() {
        let config = Config::parse(RULE_EXCEPTIONS, std::path::Path::new(".bulwark.yaml"))
            .expect("valid config");
        let mut report = report_with(vec![
            rule_finding("secret-aws-access-key-id", "app/kept/aws-kept.env"),
            rule_finding("secret-aws-access-key-id", "app/other/aws.env"),
        ]);
        let today = Date::parse("2026-12-04").expect("valid date");
        apply_policy(&mut report, &config, &[], today);
        assert_eq!(report.rule_findings.len(), 1);
        assert_eq!(report.rule_findings[0].path, "app/other/aws.env");
        assert_eq!(report.rule_suppressed.len(), 1);
        let suppression = report.rule_suppressed[0]
            .suppressed
            .as_ref()
            .expect("suppressed");
        assert_eq!(suppression.owner.as_deref(), Some("platform-team"));
        let summary = report.rule_summary.expect("rule summary");
        assert_eq!(summary.secrets, 1);
        assert_eq!(summary.suppressed, 1);
    }

    #[test]
    fn rule_exception_expired_adds_note() {
        let config = Config::parse(RULE_EXCEPTIONS, std::path::Path::new(".bulwark.yaml"))
            .expect("valid config");
        let mut report = report_with(vec![rule_finding("secret-private-key", "root/id_rsa")]);
        let today = Date::parse("2026-12-04").expect("valid date");
        apply_policy(&mut report, &config, &[], today);
        assert_eq!(report.rule_findings.len(), 1);
        assert!(report.rule_suppressed.is_empty());
        let notes = &report.rule_findings[0].notes;
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].message.contains("expired after 2020-01-31"),
            "{notes:?}"
        );
    }

    #[test]
    fn rule_exception_keeps_inline_suppression() {
        let config = Config::default();
        let mut finding = rule_finding("misconfig-k8s-privileged", "deploy.yaml");
        finding.kind = crate::RuleKind::Misconfig;
        finding.suppressed = Some(crate::Suppression {
            kind: "inline".to_owned(),
            source: "deploy.yaml:12".to_owned(),
            reason: Some("node agent".to_owned()),
            expires: None,
            owner: None,
            status: None,
            justification: None,
        });
        let mut report = report_with(vec![finding]);
        let today = Date::parse("2026-12-04").expect("valid date");
        apply_policy(&mut report, &config, &[], today);
        assert!(report.rule_findings.is_empty());
        assert_eq!(report.rule_suppressed.len(), 1);
    }

    #[test]
    fn date_order() {
        let earlier = Date::parse("2024-12-31").expect("valid date");
        let later = Date::parse("2025-01-01").expect("valid date");
        assert!(earlier < later);
    }
}
