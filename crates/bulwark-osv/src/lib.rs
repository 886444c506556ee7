//! The OSV advisory model (<https://ossf.github.io/osv-schema/>), the one
//! model every feed is converted into.
//!
//! Distribution feeds state more than OSV's ranges can: that a package is
//! not affected, or that a fix will not come. Those statuses are kept in
//! [`Affected::status`], serialized as `database_specific.bulwark_status`
//! so documents stay valid OSV.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub id: String,
    /// RFC 3339 time of the last change.
    #[serde(default)]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A severity score, such as a CVSS vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// The affected versions of one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

impl Affected {
    /// The distribution status stored in `database_specific.bulwark_status`.
    pub fn status(&self) -> Option<Status> {
        let text = self
            .database_specific
            .as_ref()?
            .get("bulwark_status")?
            .as_str()?;
        Status::parse(text)
    }

    /// Sets the distribution status, keeping other database-specific keys.
    pub fn set_status(&mut self, status: Status) {
        let mut object = match self.database_specific.take() {
            Some(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        object.insert(
            "bulwark_status".to_owned(),
            Value::String(status.as_str().to_owned()),
        );
        self.database_specific = Some(Value::Object(object));
    }
}

/// The status a distribution feed states for a package, beyond version ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Affected; the ranges give the versions, and `fixed` events give the
    /// distribution version that fixes it.
    Affected,
    /// The distribution states that this package is not affected at all.
    NotAffected,
    /// Affected, and the distribution will not fix it.
    WillNotFix,
    /// Affected, and a fix is not available yet.
    FixDeferred,
    /// Under investigation.
    UnderInvestigation,
}

impl Status {
    /// The snake_case name used in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Affected => "affected",
            Self::NotAffected => "not_affected",
            Self::WillNotFix => "will_not_fix",
            Self::FixDeferred => "fix_deferred",
            Self::UnderInvestigation => "under_investigation",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "affected" => Self::Affected,
            "not_affected" => Self::NotAffected,
            "will_not_fix" => Self::WillNotFix,
            "fix_deferred" => Self::FixDeferred,
            "under_investigation" => Self::UnderInvestigation,
            _ => return None,
        })
    }
}

/// The package an `affected` entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PackageRef {
    /// OSV ecosystem, with a release suffix for distributions
    /// (`Debian:12`, `Alpine:v3.19`).
    pub ecosystem: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// A range of affected versions, as a list of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// One range event. Exactly one field is set in valid documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

impl Event {
    /// An `introduced` event.
    pub fn introduced(version: impl Into<String>) -> Self {
        Self {
            introduced: Some(version.into()),
            ..Self::default()
        }
    }

    /// A `fixed` event.
    pub fn fixed(version: impl Into<String>) -> Self {
        Self {
            fixed: Some(version.into()),
            ..Self::default()
        }
    }

    /// A `last_affected` event.
    pub fn last_affected(version: impl Into<String>) -> Self {
        Self {
            last_affected: Some(version.into()),
            ..Self::default()
        }
    }
}

/// A reference link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// Extra fields kept by converters in a deterministic order.
pub type Extra = BTreeMap<String, Value>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_database_specific() {
        let mut affected = Affected::default();
        assert_eq!(affected.status(), None);
        affected.set_status(Status::WillNotFix);
        assert_eq!(affected.status(), Some(Status::WillNotFix));
        let text = serde_json::to_string(&affected).unwrap();
        assert!(
            text.contains("\"bulwark_status\":\"will_not_fix\""),
            "{text}"
        );
    }
}
