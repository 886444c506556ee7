//! One module per package format.

mod apk;
mod dpkg;
mod os_release;
// mod rpm;

pub use apk::ApkAnalyzer;
pub use dpkg::DpkgAnalyzer;
pub use os_release::OsReleaseAnalyzer;
// pub use rpm::RpmAnalyzer;

use crate::analyzer::Analyzer;

/// Every built-in analyzer.
pub(crate) fn all() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(OsReleaseAnalyzer),
        Box::new(ApkAnalyzer),
        Box::new(DpkgAnalyzer),
        // Box::new(RpmAnalyzer),
    ]
}
