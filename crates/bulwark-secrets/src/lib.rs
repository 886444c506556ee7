//! Secret detection: finds credentials in file contents and image config
//! strings.
//!
//! A [`Scanner`] is built once from a [`SecretConfig`] (the built-in rules
//! plus the user's custom rules and allow-lists) and is then shared by the
//! threads that walk image layers. Each call to [`Scanner::scan`] makes one
//! Aho-Corasick pass over the content to learn which rules' keywords occur
//! and runs only those rules' regexes.
//!
//! A [`SecretFinding`] never contains the secret itself: the snippet masks
//! it, and the fingerprint is a SHA-256 digest that lets users allow-list
//! one secret without writing it down.

mod allow;
mod archive;
mod builtin;
mod config;
mod error;
mod finding;
mod rule;
mod scanner;

pub use archive::ArchiveLimits;
pub use config::{AllowConfig, ArchiveConfig, CustomRule, SecretConfig};
pub use error::Error;
pub use finding::{ScanWarning, SecretFinding, fingerprint};
pub use rule::{RuleDoc, Severity, catalogue};
pub use scanner::{FileScan, Scanner};
