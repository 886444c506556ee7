//! Vulnerability matching: compares a package inventory with the offline
//! advisory database and ranks what to fix first.
//!
//! [`finding`] defines the result model shared with the report writers and
//! the policy engine.

pub mod finding;
pub mod rank;

pub use finding::{
    AffectedPackage, Cvss, Epss, FeedSummary, Finding, FixStatus, Kev, Layer, Note, OsInfo,
    REPORT_SCHEMA_VERSION, Report, Severity, SeverityLevel, Summary, Suppression, TargetInfo,
};
