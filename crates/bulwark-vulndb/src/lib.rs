//! Bulwark's offline vulnerability database: OSV advisories, CISA KEV and
//! EPSS scores from many feeds, stored in one SQLite file.
//!
//! Scans open the file read-only with [`Database::open`] and look packages
//! up with [`Database::affected_for`]. Imports ([`import::import`]) and
//! updates ([`update::update`]) build a new file beside the old one and
//! rename it into place, so an interrupted import leaves the previous
//! database as it was.

mod codec;
mod error;
pub mod feeds;
pub mod import;
pub mod paths;
mod store;
pub mod time;
pub mod update;

pub use error::{Error, Result};
pub use store::SCHEMA_VERSION;
pub use store::read::{AffectedEntry, Counts, Database, FeedInfo};
pub use store::write::FeedSummary;
