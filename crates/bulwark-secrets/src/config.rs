//! The user's secret-scanning config (`--secret-config FILE`).

use std::path::Path;

use serde::Deserialize;

use crate::archive::ArchiveLimits;
use crate::error::Error;
use crate::rule::Severity;

/// Default maximum size of a scanned file: 10 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Secret-scanning settings: custom rules, rule selection, allow-lists and
/// size limits. `SecretConfig::default()` runs every built-in rule with the
/// built-in allow-lists.
///
/// ```yaml
/// rules:
///   - id: internal-token          # stored as secret-internal-token
///     title: Internal service token
///     severity: high
///     keywords: [itk_]
///     regex: '\b(itk_[a-z0-9]{32})\b'
/// disable_rules: [secret-jwt]
/// allow:
///   paths: ['**/fixtures/**']
///   secrets: ['^AKIA[A-Z0-9]{12}TEST$']
///   fingerprints: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']
///   stop_words: [sandbox]
/// archives:
///   enabled: true
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretConfig {
    /// Rules added to the built-in ones.
    pub rules: Vec<CustomRule>,
    /// Rule ids not to run; `secret-` is added when missing.
    pub disable_rules: Vec<String>,
    /// When not empty, only these rule ids run.
    pub enable_only: Vec<String>,
    pub allow: AllowConfig,
    /// Whether the built-in path allow-list (package docs, toolchain and
    /// third-party test fixtures) applies.
    pub builtin_allow_paths: bool,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    pub archives: ArchiveConfig,
    /// Origin of the config (file path) named in error messages, set by
    /// [`SecretConfig::load`].
    #[serde(skip)]
    pub origin: Option<String>,
}

impl Default for SecretConfig {
    fn default() -> Self {
        SecretConfig {
            rules: Vec::new(),
            disable_rules: Vec::new(),
            enable_only: Vec::new(),
            allow: AllowConfig::default(),
            builtin_allow_paths: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            archives: ArchiveConfig::default(),
            origin: None,
        }
    }
}

/// A user-defined rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    /// Rule id; `secret-` is added when missing.
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default = "default_custom_severity")]
    pub severity: Severity,
    /// Prefilter literals. A rule without keywords runs on every text
    /// file, which costs throughput.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regex over the file bytes, with Unicode off (`\w`, `\b` and `.` are
    /// ASCII-only).
    pub regex: String,
    /// Capture group that contains the secret. Defaults to 1 when the regex
    /// has a group and to the whole match otherwise.
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy of the secret in bits per byte.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Regexes; a secret that matches one of them is not reported.
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

fn default_custom_severity() -> Severity {
    Severity::High
}

/// Allow-lists that apply to every rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllowConfig {
    /// Globs (globset syntax) of paths that are not scanned.
    pub paths: Vec<String>,
    /// Regexes; a secret that matches one of them is not reported.
    pub secrets: Vec<String>,
    /// Finding fingerprints that are not reported.
    pub fingerprints: Vec<String>,
    /// Case-insensitive words; a secret that contains one of them is not
    /// reported. They add to the built-in stop-words.
    pub stop_words: Vec<String>,
}

/// Scanning of text files inside zip, jar, war and ear archives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Off by default: archives are skipped like other binary files.
    pub enabled: bool,
    /// Archives larger than this many bytes are skipped.
    pub max_archive_size: u64,
    pub max_entries: usize,
    /// Maximum uncompressed bytes read from one archive, nested ones
    /// included.
    pub max_total_size: u64,
    /// Maximum uncompressed size of one entry.
    pub max_entry_size: u64,
    /// Maximum ratio of uncompressed to compressed size of an entry.
    pub max_ratio: u64,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        let limits = ArchiveLimits::default();
        ArchiveConfig {
            enabled: false,
            max_archive_size: limits.max_archive_size,
            max_entries: limits.max_entries,
            max_total_size: limits.max_total_size,
            max_entry_size: limits.max_entry_size,
            max_ratio: limits.max_ratio,
        }
    }
}

impl ArchiveConfig {
    pub(crate) fn limits(&self) -> ArchiveLimits {
        ArchiveLimits {
            max_archive_size: self.max_archive_size,
            max_entries: self.max_entries,
            max_total_size: self.max_total_size,
            max_entry_size: self.max_entry_size,
            max_ratio: self.max_ratio,
        }
    }
}

impl SecretConfig {
    /// Reads and validates a YAML config file.
    pub fn load(path: &Path) -> Result<SecretConfig, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        SecretConfig::from_yaml(&text, &path.display().to_string())
    }

    /// Parses and validates YAML text; `origin` names it in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<SecretConfig, Error> {
        let mut config: SecretConfig = if text.trim().is_empty() {
            SecretConfig::default()
        } else {
            yaml_serde::from_str(text).map_err(|err| {
                let mut message = err.to_string();
                // The YAML library leaves out the position when it is the
                // very start of the document.
                if let Some(location) = err.location()
                    && !message.contains(" at line ")
                {
                    message.push_str(&format!(
                        " at line {} column {}",
                        location.line(),
                        location.column()
                    ));
                }
                Error::Parse {
                    origin: origin.to_owned(),
                    message,
                }
            })?
        };
        config.origin = Some(origin.to_owned());
        // Building a scanner compiles every regex and glob and checks the
        // rule ids, so errors show up at load time.
        crate::Scanner::new(&config)?;
        Ok(config)
    }

    pub(crate) fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or("<in-memory config>")
    }

    pub(crate) fn invalid(&self, key: String, message: impl Into<String>) -> Error {
        Error::Invalid {
            origin: self.origin().to_owned(),
            key,
            message: message.into(),
        }
    }
}

/// Adds the `secret-` prefix to a rule id that lacks it.
pub(crate) fn normalize_rule_id(id: &str) -> String {
    let id = id.trim().to_ascii_lowercase();
    if id.starts_with("secret-") {
        id
    } else {
        format!("secret-{id}")
    }
}
