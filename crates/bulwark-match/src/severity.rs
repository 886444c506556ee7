//! Severity of an advisory: the level a distribution or the advisory states,
//! and the CVSS vector it carries.

use bulwark_osv::{Advisory, Affected};
use serde_json::Value;

use crate::finding::{Cvss, Severity, SeverityLevel};

/// Who rated a severity. Higher ranks win when advisories disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// Derived from a CVSS base score.
    Cvss,
    /// Stated by the advisory (GHSA's `database_specific.severity`).
    Advisory,
    /// Stated by the distribution for its package.
    Distribution,
}

/// A severity candidate of one advisory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rated {
    pub(crate) rank: Rank,
    pub(crate) severity: Severity,
}

/// Returns the score of a CVSS v3.x or v4.0 vector (see
/// [`crate::cvss::CvssVector::score`]), or `None` for an invalid vector or
/// another version.
pub(crate) fn cvss_base_score(vector: &str) -> Option<f64> {
    match crate::cvss::CvssVector::parse(vector) {
        Ok(parsed) => Some(parsed.score().value()),
        Err(error) => {
            tracing::debug!("{error}");
            None
        }
    }
}

/// Rates an advisory for one of its `affected` entries. `distribution` is
/// the family name (`debian`) when the entry is from a distribution feed.
pub(crate) fn rate(
    advisory: &Advisory,
    affected: &Affected,
    distribution: Option<&str>,
) -> Option<Rated> {
    let cvss = best_cvss(advisory, affected);
    if let Some(family) = distribution
        && let Some(level) = distribution_level(advisory, affected)
    {
        return Some(Rated {
            rank: Rank::Distribution,
            severity: Severity {
                level,
                source: family.to_owned(),
                cvss,
            },
        });
    }
    if let Some(level) = stated_level(advisory.database_specific.as_ref())
        .or_else(|| stated_level(affected.database_specific.as_ref()))
    {
        return Some(Rated {
            rank: Rank::Advisory,
            severity: Severity {
                level,
                source: advisory.id.clone(),
                cvss,
            },
        });
    }
    let cvss = cvss?;
    let level = cvss
        .score
        .map_or(SeverityLevel::Unknown, SeverityLevel::from_cvss_score);
    Some(Rated {
        rank: Rank::Cvss,
        severity: Severity {
            level,
            source: if level == SeverityLevel::Unknown {
                String::new()
            } else {
                "cvss".to_owned()
            },
            cvss: Some(cvss),
        },
    })
}

/// Picks the higher-ranked, then higher-level, of two ratings.
pub(crate) fn better(current: Option<Rated>, candidate: Rated) -> Option<Rated> {
    match current {
        Some(current)
            if (current.rank, current.severity.level)
                >= (candidate.rank, candidate.severity.level) =>
        {
            Some(current)
        }
        _ => Some(candidate),
    }
}

/// Reads the distribution's rating of its package: Debian's `urgency`,
/// Ubuntu's and Red Hat's `severity`, an OSV `Ubuntu` severity, or the
/// `Important:` prefix of Red Hat style summaries.
fn distribution_level(advisory: &Advisory, affected: &Affected) -> Option<SeverityLevel> {
    let from_map = |value: Option<&Value>| {
        let map = value?;
        ["urgency", "severity"]
            .iter()
            .filter_map(|key| map.get(key)?.as_str())
            .find_map(|text| SeverityLevel::parse(text.trim_end_matches('*')))
    };
    from_map(affected.ecosystem_specific.as_ref())
        .or_else(|| from_map(affected.database_specific.as_ref()))
        .or_else(|| from_map(advisory.database_specific.as_ref()))
        .or_else(|| {
            affected
                .severity
                .iter()
                .chain(&advisory.severity)
                .filter(|s| s.kind.eq_ignore_ascii_case("ubuntu"))
                .find_map(|s| SeverityLevel::parse(&s.score))
        })
        .or_else(|| {
            let summary = advisory.summary.as_deref()?;
            let (word, _) = summary.split_once(':')?;
            SeverityLevel::parse(word)
        })
}

/// Reads a `severity` word from a `database_specific` object.
fn stated_level(value: Option<&Value>) -> Option<SeverityLevel> {
    let text = value?.get("severity")?.as_str()?;
    SeverityLevel::parse(text).filter(|level| *level != SeverityLevel::Unknown)
}

/// Returns the CVSS vector of the highest version among the entry's and the
/// advisory's severities.
fn best_cvss(advisory: &Advisory, affected: &Affected) -> Option<Cvss> {
    affected
        .severity
        .iter()
        .chain(&advisory.severity)
        .filter_map(|s| {
            let version = cvss_version(&s.kind, &s.score)?;
            Some(Cvss {
                score: cvss_base_score(&s.score),
                version,
                vector: s.score.clone(),
            })
        })
        .max_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| b.vector.cmp(&a.vector))
        })
}

/// Returns the CVSS version of a vector: from its `CVSS:3.1/` prefix, or
/// `2.0` for a `CVSS_V2` vector, which has no prefix.
fn cvss_version(kind: &str, vector: &str) -> Option<String> {
    if !kind.starts_with("CVSS_") {
        return None;
    }
    match vector.strip_prefix("CVSS:") {
        Some(rest) => Some(rest.split('/').next()?.to_owned()),
        None if kind == "CVSS_V2" => Some("2.0".to_owned()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use bulwark_osv::Severity as OsvSeverity;
    use serde_json::json;

    use super::*;

    fn advisory() -> Advisory {
        serde_json::from_value(json!({"id": "GHSA-xxxx", "modified": ""})).unwrap()
    }

    #[test]
    fn distribution_urgency_wins() {
        let mut advisory = advisory();
        advisory.database_specific = Some(json!({"severity": "CRITICAL"}));
        let affected = Affected {
            ecosystem_specific: Some(json!({"urgency": "low**"})),
            ..Affected::default()
        };
        let rated = rate(&advisory, &affected, Some("debian")).unwrap();
        assert_eq!(rated.severity.level, SeverityLevel::Low);
        assert_eq!(rated.severity.source, "debian");
        let rated = rate(&advisory, &affected, None).unwrap();
        assert_eq!(rated.severity.level, SeverityLevel::Critical);
        assert_eq!(rated.severity.source, "GHSA-xxxx");
    }

    #[test]
    fn highest_cvss_version_is_carried() {
        let mut advisory = advisory();
        advisory.severity = vec![
            OsvSeverity {
                kind: "CVSS_V2".to_owned(),
                score: "AV:N/AC:L/Au:N/C:P/I:P/A:P".to_owned(),
            },
            OsvSeverity {
                kind: "CVSS_V3".to_owned(),
                score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
            },
        ];
        let rated = rate(&advisory, &Affected::default(), None).unwrap();
        let cvss = rated.severity.cvss.unwrap();
        assert_eq!(cvss.version, "3.1");
    }

    #[test]
    fn red_hat_summary_prefix() {
        let mut advisory = advisory();
        advisory.summary = Some("Important: thunderbird security update".to_owned());
        let rated = rate(&advisory, &Affected::default(), Some("almalinux")).unwrap();
        assert_eq!(rated.severity.level, SeverityLevel::High);
    }
}
