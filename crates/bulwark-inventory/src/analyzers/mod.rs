//! One module per package format.

mod apk;
mod binary;
mod bun_lock;
mod cargo_lock;
mod composer_installed;
mod composer_lock;
mod conan_lock;
mod dotnet_deps;
mod dpkg;
mod gemfile_lock;
mod gemspec;
mod gobinary;
mod gomod;
mod gradle_lock;
mod java_archive;
mod java_maven;
mod mix_lock;
pub(crate) mod node;
mod npm_lock;
mod npm_package_json;
mod nuget_config;
mod nuget_lock;
mod os_release;
mod pdm_lock;
mod pip_requirements;
mod pipfile_lock;
mod pnpm_lock;
mod poetry_lock;
mod pom;
mod pub_lock;
pub(crate) mod python;
mod python_metadata;
mod rpm;
mod rust_binary;
mod swift_resolved;
mod uv_lock;
mod yarn_lock;

pub use apk::ApkAnalyzer;
pub use bun_lock::BunLockAnalyzer;
pub use cargo_lock::CargoLockAnalyzer;
pub use composer_installed::ComposerInstalledAnalyzer;
pub use composer_lock::ComposerLockAnalyzer;
pub use conan_lock::ConanLockAnalyzer;
pub use dotnet_deps::DotnetDepsAnalyzer;
pub use dpkg::DpkgAnalyzer;
pub use gemfile_lock::GemfileLockAnalyzer;
pub use gemspec::GemspecAnalyzer;
pub use gobinary::GoBinaryAnalyzer;
pub use gomod::{GoModAnalyzer, GoSumAnalyzer};
pub use gradle_lock::GradleLockAnalyzer;
pub use java_archive::JavaArchiveAnalyzer;
pub use mix_lock::MixLockAnalyzer;
pub use npm_lock::NpmLockAnalyzer;
pub use npm_package_json::NpmPackageJsonAnalyzer;
pub use nuget_config::NugetConfigAnalyzer;
pub use nuget_lock::NugetLockAnalyzer;
pub use os_release::OsReleaseAnalyzer;
pub use pdm_lock::PdmLockAnalyzer;
pub use pip_requirements::PipRequirementsAnalyzer;
pub use pipfile_lock::PipfileLockAnalyzer;
pub use pnpm_lock::PnpmLockAnalyzer;
pub use poetry_lock::PoetryLockAnalyzer;
pub use pom::PomAnalyzer;
pub use pub_lock::PubLockAnalyzer;
pub use python_metadata::PythonMetadataAnalyzer;
pub use rpm::RpmAnalyzer;
pub use rust_binary::RustBinaryAnalyzer;
pub use swift_resolved::SwiftResolvedAnalyzer;
pub use uv_lock::UvLockAnalyzer;
pub use yarn_lock::YarnLockAnalyzer;

use crate::analyzer::Analyzer;

/// Every built-in analyzer.
pub(crate) fn all() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(OsReleaseAnalyzer),
        Box::new(ApkAnalyzer),
        Box::new(DpkgAnalyzer),
        Box::new(ComposerInstalledAnalyzer),
        Box::new(ComposerLockAnalyzer),
        Box::new(GemfileLockAnalyzer),
        Box::new(GemspecAnalyzer),
        Box::new(NugetLockAnalyzer),
        Box::new(NugetConfigAnalyzer),
        Box::new(DotnetDepsAnalyzer),
        Box::new(ConanLockAnalyzer),
        Box::new(MixLockAnalyzer),
        Box::new(SwiftResolvedAnalyzer),
        Box::new(PubLockAnalyzer),
        Box::new(CargoLockAnalyzer),
        Box::new(RustBinaryAnalyzer),
        Box::new(GoModAnalyzer),
        Box::new(GoSumAnalyzer),
        Box::new(GoBinaryAnalyzer),
        Box::new(JavaArchiveAnalyzer),
        Box::new(PomAnalyzer),
        Box::new(GradleLockAnalyzer),
        Box::new(PythonMetadataAnalyzer),
        Box::new(PipRequirementsAnalyzer),
        Box::new(PoetryLockAnalyzer),
        Box::new(PipfileLockAnalyzer),
        Box::new(UvLockAnalyzer),
        Box::new(PdmLockAnalyzer),
        Box::new(NpmPackageJsonAnalyzer),
        Box::new(NpmLockAnalyzer),
        Box::new(YarnLockAnalyzer),
        Box::new(PnpmLockAnalyzer),
        Box::new(BunLockAnalyzer),
        Box::new(RpmAnalyzer),
    ]
}

/// Combines facts that one file alone cannot settle, once every file has
/// been read: `go.sum` modules are kept only next to a `go.mod` that needs
/// them.
pub(crate) fn link_across_files(packages: &mut Vec<crate::package::Package>) {
    gomod::merge_go_sum(packages);
}

/// Returns whether `path` is the metadata an installed package of `kind`
/// was read from, rather than a lockfile or manifest that declares it.
pub(crate) fn is_installed_metadata(kind: crate::package::PackageKind, path: &str) -> bool {
    use crate::package::PackageKind;
    match kind {
        PackageKind::Npm => npm_package_json::installed_name(path).is_some(),
        PackageKind::Pypi => python_metadata::is_metadata_path(path),
        _ => false,
    }
}
