//! Downloads the public feeds and imports them.
//!
//! Sources, each a path under a base URL so that `--mirror` can serve all
//! of them from one place:
//! - OSV: `<Ecosystem>/all.zip` under
//!   `https://osv-vulnerabilities.storage.googleapis.com/`
//! - KEV: `sites/default/files/feeds/known_exploited_vulnerabilities.json`
//!   under `https://www.cisa.gov/`
//! - EPSS: `epss_scores-current.csv.gz` under `https://epss.cyentia.com/`
//!
//! Requests are conditional on the `ETag` and `Last-Modified` stored with
//! each feed, so an unchanged feed is neither downloaded nor imported again.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::Agent;

use crate::error::{Error, Result};
use crate::import::{self, ImportOptions, ImportReport, Input, Progress};
use crate::store::read::Database;

/// Base URL of OSV's per-ecosystem archives.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com/";
/// Base URL and path of CISA's KEV catalog.
pub const KEV_BASE: &str = "https://www.cisa.gov/";
/// Path of the KEV catalog under [`KEV_BASE`] or a mirror.
pub const KEV_PATH: &str = "sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// Base URL of EPSS scores.
pub const EPSS_BASE: &str = "https://epss.cyentia.com/";
/// Path of the current EPSS scores under [`EPSS_BASE`] or a mirror.
pub const EPSS_PATH: &str = "epss_scores-current.csv.gz";

/// Reason of a failed download for HTTP 404.
const NOT_FOUND: &str = "server responded HTTP 404 Not Found";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Selection of sources and download limits.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// One base URL that serves every source under its public path.
    pub mirror: Option<String>,
    /// OSV ecosystems to download, as OSV spells them (`PyPI`, `Rocky Linux`).
    pub ecosystems: Vec<String>,
    /// Whether to download the KEV catalog.
    pub kev: bool,
    /// Whether to download EPSS scores.
    pub epss: bool,
    /// Maximum size of one download, in bytes.
    pub max_download_bytes: u64,
    /// Whether a source the server does not have (HTTP 404) is a failure.
    /// When false, as for the default list of ecosystems, it is reported as
    /// [`Outcome::NotFound`] and skipped.
    pub require_all: bool,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        Self {
            mirror: None,
            ecosystems: bulwark_version::Ecosystem::all()
                .map(|e| e.osv_name().to_owned())
                .collect(),
            kev: true,
            epss: true,
            max_download_bytes: 2 << 30,
            require_all: false,
        }
    }
}

/// One feed to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Feed name in the database: `osv/<Ecosystem>`, `kev` or `epss`.
    pub name: String,
    /// Full URL.
    pub url: String,
    /// File name for the download.
    pub file_name: String,
}

/// Returns the sources `options` selects, with URLs under the mirror when
/// one is set.
pub fn sources(options: &UpdateOptions) -> Vec<Source> {
    let base = |public: &str| -> String {
        match &options.mirror {
            Some(mirror) => format!("{}/", mirror.trim_end_matches('/')),
            None => public.to_owned(),
        }
    };
    let mut sources: Vec<Source> = options
        .ecosystems
        .iter()
        .map(|ecosystem| Source {
            name: format!("osv/{ecosystem}"),
            url: format!("{}{}/all.zip", base(OSV_BASE), percent_encode(ecosystem)),
            file_name: "all.zip".to_owned(),
        })
        .collect();
    if options.kev {
        sources.push(Source {
            name: "kev".to_owned(),
            url: format!("{}{KEV_PATH}", base(KEV_BASE)),
            file_name: "known_exploited_vulnerabilities.json".to_owned(),
        });
    }
    if options.epss {
        sources.push(Source {
            name: "epss".to_owned(),
            url: format!("{}{EPSS_PATH}", base(EPSS_BASE)),
            file_name: EPSS_PATH.to_owned(),
        });
    }
    sources
}

/// Percent-encodes a path segment (`Rocky Linux` becomes `Rocky%20Linux`).
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Result of the download of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Downloaded (`bytes` long) and imported.
    Updated {
        /// Download size.
        bytes: u64,
    },
    /// The server responded 304 Not Modified, so the stored feed is kept.
    NotModified,
    /// The server responded 404 Not Found for an optional source. The
    /// stored feed, if any, is kept.
    NotFound,
    /// The download failed; the stored feed, if any, is kept.
    Failed {
        /// What failed.
        reason: String,
    },
}

/// Outcome of an update, per source.
#[derive(Debug, Clone, Default)]
pub struct UpdateReport {
    /// Each source with its outcome, in request order.
    pub sources: Vec<(Source, Outcome)>,
    /// The import of the downloaded feeds, when any were downloaded.
    pub import: Option<ImportReport>,
}

impl UpdateReport {
    /// Returns whether any source failed.
    pub fn has_failures(&self) -> bool {
        self.sources
            .iter()
            .any(|(_, outcome)| matches!(outcome, Outcome::Failed { .. }))
    }
}

/// Downloads the selected feeds into `cache_dir/downloads` and imports the
/// changed ones into the database in `cache_dir`.
///
/// # Errors
///
/// Fails for a mirror URL that is not `https` (plain `http` is allowed
/// only for loopback hosts), and as [`import::import`]. A failed download
/// is not an error: it is an [`Outcome::Failed`] in the report.
pub fn update(
    cache_dir: &Path,
    options: &UpdateOptions,
    progress: Option<&mut dyn FnMut(Progress)>,
) -> Result<UpdateReport> {
    if let Some(mirror) = &options.mirror {
        check_mirror(mirror)?;
    }
    let db_path = crate::paths::db_path(cache_dir);
    let stored = match Database::open(&db_path) {
        Ok(db) => db.feeds()?,
        Err(Error::Missing { .. } | Error::SchemaVersion { .. }) => Vec::new(),
        Err(error) => return Err(error),
    };
    let download_dir = cache_dir.join("downloads");
    let agent = agent(options.mirror.as_deref().is_some_and(is_loopback_url));
    let mut report = UpdateReport::default();
    let mut inputs = Vec::new();
    for source in sources(options) {
        let previous = stored.iter().find(|feed| feed.name == source.name);
        let dir = download_dir.join(source.name.replace('/', "-"));
        let outcome = match download(&agent, &source, previous, &dir, options.max_download_bytes) {
            Ok(Some(download)) => {
                let bytes = download.bytes;
                inputs.push(Input {
                    path: download.path,
                    name: Some(source.name.clone()),
                    source: Some(source.url.clone()),
                    etag: download.etag,
                    last_modified: download.last_modified,
                });
                Outcome::Updated { bytes }
            }
            Ok(None) => Outcome::NotModified,
            Err(reason) if reason == NOT_FOUND && !options.require_all => {
                tracing::warn!("{} is not on the server; skipped", source.url);
                Outcome::NotFound
            }
            Err(reason) => {
                tracing::error!("failed to download {}: {reason}", source.url);
                Outcome::Failed { reason }
            }
        };
        report.sources.push((source, outcome));
    }
    if !inputs.is_empty() {
        let result = import::import(
            &db_path,
            &inputs,
            ImportOptions {
                progress,
                ..ImportOptions::default()
            },
        );
        // Downloads are deleted once imported, because the database stores
        // their records, digests and validators.
        for input in &inputs {
            let _ = std::fs::remove_file(&input.path);
        }
        report.import = Some(result?);
    }
    Ok(report)
}

fn check_mirror(mirror: &str) -> Result<()> {
    let invalid = |reason: &str| Error::Download {
        url: mirror.to_owned(),
        reason: reason.to_owned(),
    };
    let uri: ureq::http::Uri = mirror.parse().map_err(|_| invalid("invalid mirror URL"))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback_url(mirror) => Ok(()),
        Some("http") => Err(invalid(
            "plain http is allowed only for loopback mirrors; use https",
        )),
        _ => Err(invalid("expected an https:// URL")),
    }
}

/// Returns whether `url` names a loopback host (`127.0.0.0/8`, `::1`,
/// `localhost`).
fn is_loopback_url(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn agent(loopback: bool) -> Agent {
    // A loopback mirror is reached directly, never through a proxy from the
    // environment.
    let proxy = if loopback {
        None
    } else {
        ureq::Proxy::try_from_env()
    };
    Agent::config_builder()
        .http_status_as_error(false)
        .https_only(!loopback)
        .proxy(proxy)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_resolve(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(READ_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .user_agent(format!("bulwark/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into()
}

struct Downloaded {
    path: PathBuf,
    bytes: u64,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// Downloads `source` into `dir`, or returns `None` when the server
/// responds that the stored copy is current.
fn download(
    agent: &Agent,
    source: &Source,
    previous: Option<&crate::FeedInfo>,
    dir: &Path,
    max_bytes: u64,
) -> std::result::Result<Option<Downloaded>, String> {
    let mut request = agent.get(&source.url);
    if let Some(previous) = previous {
        if let Some(etag) = &previous.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(last_modified) = &previous.last_modified {
            request = request.header("If-Modified-Since", last_modified);
        }
    }
    let response = request.call().map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    if status == 304 {
        tracing::info!("{}: not modified", source.url);
        return Ok(None);
    }
    if status == 404 {
        return Err(NOT_FOUND.to_owned());
    }
    if status != 200 {
        return Err(format!("server responded HTTP {status}"));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let declared: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
    if let Some(length) = declared
        && length > max_bytes
    {
        return Err(format!(
            "{length} bytes is over the download limit of {} MiB",
            max_bytes >> 20
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(&source.file_name);
    let part = dir.join(format!("{}.part-{}", source.file_name, std::process::id()));
    let result = (|| {
        let mut file =
            File::create(&part).map_err(|e| format!("cannot create {}: {e}", part.display()))?;
        let mut body = response.into_body();
        let mut reader = body
            .with_config()
            .limit(max_bytes.saturating_add(1))
            .reader();
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 << 10];
        let mut total = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| format!("read failed: {e}"))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > max_bytes {
                return Err(format!(
                    "body is over the download limit of {} MiB",
                    max_bytes >> 20
                ));
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n])
                .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
        }
        if let Some(length) = declared
            && length != total
        {
            return Err(format!(
                "received {total} bytes, but Content-Length was {length}"
            ));
        }
        file.sync_all()
            .map_err(|e| format!("cannot write {}: {e}", part.display()))?;
        tracing::info!(
            "{}: {total} bytes, sha256 {}",
            source.url,
            hex::encode(hasher.finalize())
        );
        std::fs::rename(&part, &path)
            .map_err(|e| format!("cannot move {} into place: {e}", part.display()))?;
        Ok(total)
    })();
    match result {
        Ok(bytes) => Ok(Some(Downloaded {
            path,
            bytes,
            etag,
            last_modified,
        })),
        Err(reason) => {
            let _ = std::fs::remove_file(&part);
            Err(reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_keeps_public_paths() {
        let options = UpdateOptions {
            mirror: Some("http://127.0.0.1:8080/feeds/".to_owned()),
            ecosystems: vec!["Rocky Linux".to_owned(), "crates.io".to_owned()],
            ..UpdateOptions::default()
        };
        let urls: Vec<String> = sources(&options).into_iter().map(|s| s.url).collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:8080/feeds/Rocky%20Linux/all.zip",
                "http://127.0.0.1:8080/feeds/crates.io/all.zip",
                "http://127.0.0.1:8080/feeds/sites/default/files/feeds/known_exploited_vulnerabilities.json",
                "http://127.0.0.1:8080/feeds/epss_scores-current.csv.gz",
            ]
        );
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(check_mirror("http://127.0.0.1:1/").is_ok());
        assert!(check_mirror("http://[::1]:1/").is_ok());
        assert!(check_mirror("https://mirror.example/").is_ok());
        assert!(check_mirror("http://mirror.example/").is_err());
        assert!(check_mirror("ftp://mirror.example/").is_err());
    }
}
