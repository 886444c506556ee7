//! Maven coordinates shared by the Java analyzers.

use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Creates a Maven package named `groupId:artifactId`, the form Maven
/// and the vulnerability databases use, or the bare artifactId when the
/// groupId is unknown. The purl carries the groupId as its namespace.
pub(crate) fn maven_package(group_id: &str, artifact_id: &str, version: &str) -> Package {
    let name = if group_id.is_empty() {
        artifact_id.to_owned()
    } else {
        format!("{group_id}:{artifact_id}")
    };
    let mut package = Package::new(PackageKind::Maven, name, version);
    package.purl = PurlBuilder::new("maven", artifact_id)
        .namespace(group_id)
        .version(version)
        .build();
    package
}

/// Returns whether a value can be a Maven groupId or artifactId: letters,
/// digits, `-`, `_` and `.`, which is what Maven's model validator allows.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
