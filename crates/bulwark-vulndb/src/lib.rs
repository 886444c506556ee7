//! Bulwark's offline vulnerability database: OSV advisories, CISA KEV and
//! EPSS scores from many feeds, stored in one SQLite file.

pub mod feeds;
