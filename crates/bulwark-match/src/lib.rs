//! Vulnerability matching: compares a package inventory with the offline
//! advisory database and ranks what to fix first.
//!
//! [`match_inventory`] looks each package up in its ecosystem (OS packages
//! in their distribution release, language packages in their registry's
//! ecosystem), evaluates the OSV ranges with the ecosystem's exact version
//! ordering, merges advisories that name the same vulnerability, and adds
//! KEV and EPSS data. [`finding`] defines the result model shared with the
//! report writers and the policy engine.

pub mod cvss;
pub mod ecosystem;
pub mod finding;
mod matcher;
mod merge;
pub mod policy;
pub mod purl;
pub mod range;
pub mod rank;
pub mod report;
pub mod rule_finding;
pub mod sbom;
mod severity;
pub mod vex;

pub use finding::{
    AffectedPackage, Cvss, Epss, FeedSummary, Finding, FixStatus, Kev, Layer, Note, OsInfo,
    REPORT_SCHEMA_VERSION, Report, Severity, SeverityLevel, Summary, Suppression, TargetInfo,
};
pub use matcher::{MatchError, match_inventory, unmatched_report, upgrade_target};
pub use rule_finding::{RuleFinding, RuleKind, RuleSummary};
