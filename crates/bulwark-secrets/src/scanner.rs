//! The scanner: prefilter, rule evaluation, filtering and masking.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Serialize;

use crate::allow::{BUILTIN_ALLOW_PATHS, BUILTIN_STOP_WORDS, is_placeholder};
use crate::archive::{self, ArchiveLimits};
use crate::builtin::BUILTIN_RULES;
use crate::config::{CustomRule, SecretConfig, normalize_rule_id};
use crate::error::Error;
use crate::finding::{ScanWarning, SecretFinding, fingerprint};
use crate::rule::{Rule, compile_regex, shannon_entropy};

/// How many bytes at the start of a file are searched for a NUL byte.
const BINARY_PROBE_LEN: usize = 8 * 1024;

/// Snippets longer than this many characters are cut to a window of
/// `SNIPPET_WINDOW` characters around the match.
const SNIPPET_MAX: usize = 160;
const SNIPPET_WINDOW: usize = 120;
const SNIPPET_LEAD: usize = 40;

/// Secrets shorter than this many characters are masked completely.
const MASK_PREFIX_MIN_LEN: usize = 12;
const MASK_PREFIX_LEN: usize = 4;

/// Extensions of files that never hold readable secrets. Archives are
/// handled separately.
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tif", "tiff", "svgz", "so", "a", "o",
    "dylib", "dll", "exe", "bin", "class", "pyc", "pyo", "gz", "tgz", "bz2", "xz", "zst", "lz4",
    "lzma", "7z", "rar", "tar", "deb", "rpm", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4",
    "avi", "mov", "wav", "ogg", "flac", "pdf", "db", "sqlite", "iso", "img", "qcow2", "wasm", "mo",
    "pack", "idx", "whl", "egg", "npy", "pkl", "pt",
];

/// Extensions of zip-format archives whose text entries can be scanned.
const ARCHIVE_EXTENSIONS: &[&str] = &["zip", "jar", "war", "ear"];

/// Leading bytes of common binary formats.
const BINARY_MAGIC: &[&[u8]] = &[
    b"\x7fELF",
    b"\x89PNG",
    b"\x1f\x8b",
    b"PK\x03\x04",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF-",
    b"\x28\xb5\x2f\xfd",
    b"\xfd7zXZ",
    b"7z\xbc\xaf\x27\x1c",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\0asm",
    b"SQLite format 3\0",
];

/// Secret scanner built from the built-in rules and a [`SecretConfig`].
///
/// It is `Send + Sync`: build it once and share it between threads.
pub struct Scanner {
    rules: Vec<Rule>,
    /// Prefilter over every keyword of the enabled rules; `None` when no
    /// rule has keywords.
    prefilter: Option<AhoCorasick>,
    /// Rule indices for each prefilter pattern.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords, which run on every text.
    unconditional_rules: Vec<usize>,
    allow_paths: GlobSet,
    allow_secrets: Vec<Regex>,
    allow_fingerprints: HashSet<String>,
    stop_words: AhoCorasick,
    max_file_size: u64,
    archives_enabled: bool,
    archive_limits: ArchiveLimits,
}

/// Result of scanning one file, archive members included.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileScan {
    /// Findings sorted by path, line, column and rule id.
    pub findings: Vec<SecretFinding>,
    /// Files or archive entries that were skipped or cut short.
    pub warnings: Vec<ScanWarning>,
    /// How many rules ran their regex, summed over archive entries. Rules
    /// whose keywords do not occur are not counted.
    pub rules_evaluated: usize,
}

/// A match that passed every filter, located by byte offsets.
struct Candidate {
    rule: usize,
    match_start: usize,
    secret: Range<usize>,
}

impl Scanner {
    /// Compiles the enabled built-in and custom rules and the allow-lists.
    pub fn new(config: &SecretConfig) -> Result<Scanner, Error> {
        let mut rules = Vec::with_capacity(BUILTIN_RULES.len() + config.rules.len());
        for spec in BUILTIN_RULES {
            let rule = Rule::from_spec(spec).map_err(|err| {
                config.invalid(format!("built-in rule {}", spec.id), err.to_string())
            })?;
            rules.push(rule);
        }
        for (index, custom) in config.rules.iter().enumerate() {
            let rule = compile_custom_rule(config, index, custom)?;
            if rules.iter().any(|r| r.id == rule.id) {
                return Err(config.invalid(
                    format!("rules[{index}].id"),
                    format!(
                        "rule id {} is already defined; disable the built-in rule and pick another id",
                        rule.id
                    ),
                ));
            }
            rules.push(rule);
        }

        let known: HashSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        let disabled = check_rule_ids(config, "disable_rules", &config.disable_rules, &known)?;
        let enabled_only = check_rule_ids(config, "enable_only", &config.enable_only, &known)?;
        rules.retain(|rule| {
            !disabled.contains(&rule.id)
                && (enabled_only.is_empty() || enabled_only.contains(&rule.id))
        });

        let (prefilter, keyword_rules, unconditional_rules) = build_prefilter(&rules);
        let allow_paths = build_allow_paths(config)?;
        let mut allow_secrets = Vec::with_capacity(config.allow.secrets.len());
        for (index, pattern) in config.allow.secrets.iter().enumerate() {
            let regex = compile_regex(pattern).map_err(|err| {
                config.invalid(
                    format!("allow.secrets[{index}]"),
                    format!("invalid regex: {err}"),
                )
            })?;
            allow_secrets.push(regex);
        }
        let mut allow_fingerprints = HashSet::new();
        for (index, value) in config.allow.fingerprints.iter().enumerate() {
            let value = value.trim().to_ascii_lowercase();
            if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(config.invalid(
                    format!("allow.fingerprints[{index}]"),
                    "expected 64 hex digits (the fingerprint of a finding)",
                ));
            }
            allow_fingerprints.insert(value);
        }
        let mut words: Vec<String> = BUILTIN_STOP_WORDS.iter().map(|w| (*w).to_owned()).collect();
        for (index, word) in config.allow.stop_words.iter().enumerate() {
            if word.is_empty() {
                return Err(config.invalid(
                    format!("allow.stop_words[{index}]"),
                    "empty stop-word would drop every finding",
                ));
            }
            words.push(word.clone());
        }
        let stop_words = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(&words)
            .map_err(|err| config.invalid("allow.stop_words".to_owned(), err.to_string()))?;
        if config.max_file_size == 0 {
            return Err(config.invalid("max_file_size".to_owned(), "must be greater than 0"));
        }
        let archive_limits = config.archives.limits();
        archive_limits
            .validate()
            .map_err(|(key, message)| config.invalid(format!("archives.{key}"), message))?;

        Ok(Scanner {
            rules,
            prefilter,
            keyword_rules,
            unconditional_rules,
            allow_paths,
            allow_secrets,
            allow_fingerprints,
            stop_words,
            max_file_size: config.max_file_size,
            archives_enabled: config.archives.enabled,
            archive_limits,
        })
    }

    /// Returns the ids of the enabled rules, in evaluation order.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.id.as_str()).collect()
    }

    /// Decides from the path and size alone whether a file is worth
    /// reading: not allow-listed, not a well-known binary type, and within
    /// the size limit (the archive size limit for zip, jar, war and ear
    /// files, which are wanted only when archive scanning is on).
    pub fn wants(&self, path: &str, size: u64) -> bool {
        if self.is_path_allowed(path) {
            return false;
        }
        let ext = extension(path);
        if ARCHIVE_EXTENSIONS.contains(&ext.as_str()) {
            return self.archives_enabled && size <= self.archive_limits.max_archive_size;
        }
        if BINARY_EXTENSIONS.contains(&ext.as_str()) {
            return false;
        }
        size <= self.max_file_size
    }

    /// Scans one file and returns its findings. Warnings are logged.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<SecretFinding> {
        let result = self.scan_file(path, data);
        for warning in &result.warnings {
            tracing::warn!(path = %warning.path, "{}", warning.message);
        }
        result.findings
    }

    /// Scans one file and returns findings, warnings and the number of
    /// rules evaluated. Binary files and allow-listed paths give an empty
    /// result; archives are opened when archive scanning is on.
    pub fn scan_file(&self, path: &str, data: &[u8]) -> FileScan {
        let mut out = FileScan::default();
        if self.is_path_allowed(path) {
            return out;
        }
        if self.archives_enabled && ARCHIVE_EXTENSIONS.contains(&extension(path).as_str()) {
            if data.len() as u64 > self.archive_limits.max_archive_size {
                out.warnings.push(ScanWarning {
                    path: path.to_owned(),
                    message: format!(
                        "archive not scanned: {} bytes is more than the max_archive_size of {} bytes",
                        data.len(),
                        self.archive_limits.max_archive_size
                    ),
                });
            } else {
                archive::scan_archive(self, path, data, &mut out);
            }
            sort_findings(&mut out.findings);
            return out;
        }
        if data.len() as u64 > self.max_file_size {
            out.warnings.push(ScanWarning {
                path: path.to_owned(),
                message: format!(
                    "file not scanned: {} bytes is more than the max_file_size of {} bytes",
                    data.len(),
                    self.max_file_size
                ),
            });
            return out;
        }
        if is_binary(data) {
            return out;
        }
        self.scan_bytes_into(path, data, &mut out);
        sort_findings(&mut out.findings);
        out
    }

    /// Scans a string that is not a file, such as an image config
    /// environment value or history line. No path allow-list or binary
    /// check applies; `location` becomes the findings' path.
    pub fn scan_text(&self, location: &str, text: &str) -> Vec<SecretFinding> {
        let mut out = FileScan::default();
        self.scan_bytes_into(location, text.as_bytes(), &mut out);
        sort_findings(&mut out.findings);
        out.findings
    }

    /// Returns the ids of the rules whose keywords occur in `data`, which
    /// are the only rules whose regexes run on it, plus rules without
    /// keywords.
    pub fn candidate_rules(&self, data: &[u8]) -> Vec<&str> {
        self.candidates(data)
            .into_iter()
            .map(|i| self.rules[i].id.as_str())
            .collect()
    }

    pub(crate) fn is_path_allowed(&self, path: &str) -> bool {
        let trimmed = path.trim_start_matches("./").trim_start_matches('/');
        self.allow_paths.is_match(trimmed)
    }

    pub(crate) fn is_archive_name(name: &str) -> bool {
        ARCHIVE_EXTENSIONS.contains(&extension(name).as_str())
    }

    pub(crate) fn has_binary_extension(name: &str) -> bool {
        BINARY_EXTENSIONS.contains(&extension(name).as_str())
    }

    pub(crate) fn archive_limits(&self) -> &ArchiveLimits {
        &self.archive_limits
    }

    /// One Aho-Corasick pass that returns the sorted indices of the rules
    /// to run.
    fn candidates(&self, data: &[u8]) -> Vec<usize> {
        let mut selected = vec![false; self.rules.len()];
        for &index in &self.unconditional_rules {
            selected[index] = true;
        }
        if let Some(prefilter) = &self.prefilter {
            let mut seen = vec![false; self.keyword_rules.len()];
            let mut remaining = seen.len();
            for hit in prefilter.find_overlapping_iter(data) {
                let pattern = hit.pattern().as_usize();
                if seen[pattern] {
                    continue;
                }
                seen[pattern] = true;
                for &rule in &self.keyword_rules[pattern] {
                    selected[rule] = true;
                }
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
        }
        selected
            .iter()
            .enumerate()
            .filter_map(|(index, &on)| on.then_some(index))
            .collect()
    }

    /// Runs the candidate rules on `data` and appends the findings.
    pub(crate) fn scan_bytes_into(&self, path: &str, data: &[u8], out: &mut FileScan) {
        let candidate_rules = self.candidates(data);
        out.rules_evaluated += candidate_rules.len();
        let mut found: Vec<Candidate> = Vec::new();
        // Secrets matched by specific rules, allow-listed ones included, so
        // that a generic rule never reports a value a specific rule owns.
        let mut claimed: Vec<Range<usize>> = Vec::new();
        for rule_index in candidate_rules {
            let rule = &self.rules[rule_index];
            // TODO: run single-line rules only on the lines around keyword
            // hits; the generic rules dominate the time on source trees.
            for caps in rule.regex.captures_iter(data) {
                let Some(whole) = caps.get(0) else { continue };
                let Some(secret) = caps.get(rule.secret_group) else {
                    continue;
                };
                if secret.is_empty() {
                    continue;
                }
                if !rule.generic {
                    claimed.push(secret.range());
                }
                if !self.keeps(rule, secret.as_bytes()) {
                    continue;
                }
                if caps
                    .name("name")
                    .is_some_and(|name| is_reference_name(name.as_bytes()))
                {
                    continue;
                }
                found.push(Candidate {
                    rule: rule_index,
                    match_start: whole.start(),
                    secret: secret.range(),
                });
            }
        }
        if found.is_empty() {
            return;
        }
        let kept = self.resolve_overlaps(found, &claimed);
        let lines = LineIndex::new(data);
        let secrets: Vec<Range<usize>> = kept.iter().map(|c| c.secret.clone()).collect();
        for candidate in &kept {
            let rule = &self.rules[candidate.rule];
            let secret = &data[candidate.secret.clone()];
            let line_number = lines.line_of(candidate.match_start);
            let anchor = if lines.line_of(candidate.secret.start) == line_number {
                candidate.secret.start
            } else {
                candidate.match_start
            };
            let line = lines.line_range(line_number, data);
            let column = String::from_utf8_lossy(&data[line.start..anchor])
                .chars()
                .count()
                + 1;
            out.findings.push(SecretFinding {
                rule_id: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                path: path.to_owned(),
                line: u32::try_from(line_number + 1).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
                snippet: masked_snippet(data, line, anchor, &secrets),
                fingerprint: fingerprint(&rule.id, secret),
            });
        }
    }

    /// Applies the entropy threshold and every allow-list to one secret.
    fn keeps(&self, rule: &Rule, secret: &[u8]) -> bool {
        if rule
            .allow_values
            .iter()
            .any(|value| value.as_bytes() == secret)
        {
            return false;
        }
        if let Some(threshold) = rule.entropy
            && shannon_entropy(secret) < threshold
        {
            return false;
        }
        if rule.generic
            && !(secret.iter().any(u8::is_ascii_digit)
                && secret.iter().any(u8::is_ascii_alphabetic))
        {
            return false;
        }
        if is_placeholder(secret) || self.stop_words.is_match(secret) {
            return false;
        }
        if rule.allow_regexes.iter().any(|re| re.is_match(secret))
            || self.allow_secrets.iter().any(|re| re.is_match(secret))
        {
            return false;
        }
        if !self.allow_fingerprints.is_empty()
            && self
                .allow_fingerprints
                .contains(&fingerprint(&rule.id, secret))
        {
            return false;
        }
        true
    }

    /// Drops duplicate matches and generic matches whose secret overlaps
    /// a `claimed` secret of a specific rule or the secret of an earlier
    /// generic rule.
    fn resolve_overlaps(
        &self,
        mut found: Vec<Candidate>,
        claimed: &[Range<usize>],
    ) -> Vec<Candidate> {
        let overlaps = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
        found.sort_by_key(|c| {
            (
                self.rules[c.rule].generic,
                c.rule,
                c.secret.start,
                c.secret.end,
            )
        });
        let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
        for candidate in found {
            let generic = self.rules[candidate.rule].generic;
            let duplicate = kept.iter().any(|k| {
                (k.rule == candidate.rule && k.secret == candidate.secret)
                    || (generic && overlaps(&k.secret, &candidate.secret))
            }) || (generic
                && claimed.iter().any(|c| overlaps(c, &candidate.secret)));
            if !duplicate {
                kept.push(candidate);
            }
        }
        kept
    }
}

fn compile_custom_rule(
    config: &SecretConfig,
    index: usize,
    custom: &CustomRule,
) -> Result<Rule, Error> {
    let key = |field: &str| format!("rules[{index}].{field}");
    let id = normalize_rule_id(&custom.id);
    if id == "secret-"
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(config.invalid(
            key("id"),
            format!(
                "invalid rule id {:?}: use lowercase letters, digits and '-'",
                custom.id
            ),
        ));
    }
    let regex = compile_regex(&custom.regex)
        .map_err(|err| config.invalid(key("regex"), format!("invalid regex: {err}")))?;
    let groups = regex.captures_len();
    let secret_group = custom
        .secret_group
        .unwrap_or(if groups > 1 { 1 } else { 0 });
    if secret_group >= groups {
        return Err(config.invalid(
            key("secret_group"),
            format!(
                "group {secret_group} does not exist; the regex has {} capture group(s)",
                groups - 1
            ),
        ));
    }
    if let Some(entropy) = custom.entropy
        && !(0.0..=8.0).contains(&entropy)
    {
        return Err(config.invalid(
            key("entropy"),
            format!("{entropy} is outside 0 to 8 bits per byte"),
        ));
    }
    let mut keywords = Vec::with_capacity(custom.keywords.len());
    for (k, keyword) in custom.keywords.iter().enumerate() {
        if keyword.is_empty() {
            return Err(config.invalid(
                format!("rules[{index}].keywords[{k}]"),
                "empty keyword would match every file",
            ));
        }
        keywords.push(keyword.to_ascii_lowercase());
    }
    let mut allow_regexes = Vec::with_capacity(custom.allow.len());
    for (a, pattern) in custom.allow.iter().enumerate() {
        let regex = compile_regex(pattern).map_err(|err| {
            config.invalid(
                format!("rules[{index}].allow[{a}]"),
                format!("invalid regex: {err}"),
            )
        })?;
        allow_regexes.push(regex);
    }
    Ok(Rule {
        title: custom.title.clone().unwrap_or_else(|| id.clone()),
        id,
        severity: custom.severity,
        keywords,
        regex,
        secret_group,
        entropy: custom.entropy,
        allow_values: Vec::new(),
        allow_regexes,
        generic: false,
    })
}

/// Normalizes rule ids of `disable_rules` or `enable_only` and checks that
/// each names a known rule.
fn check_rule_ids(
    config: &SecretConfig,
    field: &str,
    ids: &[String],
    known: &HashSet<String>,
) -> Result<HashSet<String>, Error> {
    let mut out = HashSet::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let id = normalize_rule_id(id);
        if !known.contains(&id) {
            return Err(config.invalid(
                format!("{field}[{index}]"),
                format!("unknown rule id {id}; `bulwark rules list` shows the ids"),
            ));
        }
        out.insert(id);
    }
    Ok(out)
}

type Prefilter = (Option<AhoCorasick>, Vec<Vec<usize>>, Vec<usize>);

fn build_prefilter(rules: &[Rule]) -> Prefilter {
    let mut patterns: Vec<String> = Vec::new();
    let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
    let mut pattern_of: HashMap<String, usize> = HashMap::new();
    let mut unconditional = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if rule.keywords.is_empty() {
            unconditional.push(index);
            continue;
        }
        for keyword in &rule.keywords {
            let pattern = *pattern_of.entry(keyword.clone()).or_insert_with(|| {
                patterns.push(keyword.clone());
                keyword_rules.push(Vec::new());
                patterns.len() - 1
            });
            if !keyword_rules[pattern].contains(&index) {
                keyword_rules[pattern].push(index);
            }
        }
    }
    if patterns.is_empty() {
        return (None, keyword_rules, unconditional);
    }
    // A full DFA costs a few hundred KiB for the built-in keywords. With
    // overlapping matches it measured about 3 times faster than the default
    // (scan_dir example over this repository's crates/, 2-core machine).
    // Keywords are short literals, so building cannot fail.
    let prefilter = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .ok();
    (prefilter, keyword_rules, unconditional)
}

fn build_allow_paths(config: &SecretConfig) -> Result<GlobSet, Error> {
    let mut builder = GlobSetBuilder::new();
    if config.builtin_allow_paths {
        for (glob, _reason) in BUILTIN_ALLOW_PATHS {
            let glob = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|err| config.invalid("built-in allow path".to_owned(), err.to_string()))?;
            builder.add(glob);
        }
    }
    for (index, pattern) in config.allow.paths.iter().enumerate() {
        let trimmed = pattern.trim_start_matches("./").trim_start_matches('/');
        let glob = GlobBuilder::new(trimmed)
            .literal_separator(true)
            .build()
            .map_err(|err| {
                config.invalid(
                    format!("allow.paths[{index}]"),
                    format!("invalid glob: {err}"),
                )
            })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|err| config.invalid("allow.paths".to_owned(), err.to_string()))
}

/// Suffixes of variable names whose values name or point to a secret
/// instead of holding it, such as `secretName`, `token_file` or
/// `password_length`.
const REFERENCE_NAME_SUFFIXES: &[&str] = &[
    "name", "names", "id", "ids", "ref", "file", "path", "dir", "type", "length", "len", "size",
    "count", "url", "uri", "arn", "version", "mode", "ttl", "policy", "field", "env", "var",
    "header", "format", "prefix", "suffix", "label", "selector",
];

/// Reports whether an assignment's variable name marks its value as a
/// reference to a secret rather than the secret itself.
fn is_reference_name(name: &[u8]) -> bool {
    REFERENCE_NAME_SUFFIXES.iter().any(|suffix| {
        let Some(start) = name.len().checked_sub(suffix.len()) else {
            return false;
        };
        if start == 0 || !name[start..].eq_ignore_ascii_case(suffix.as_bytes()) {
            return false;
        }
        // `token_file` and `secret-ref` end in a separated word,
        // `secretName` in a camel-case word; `tokenid` does neither.
        let separated = matches!(name[start - 1], b'_' | b'-' | b'.');
        let camel_case = name[start].is_ascii_uppercase() && name[start - 1].is_ascii_lowercase();
        separated || camel_case
    })
}

/// Lowercase extension of the last path component, or "".
fn extension(path: &str) -> String {
    let name = path.rsplit(['/', '!']).next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Reports whether `data` looks binary: a NUL byte in the first 8 KiB or
/// the magic number of a common binary format.
pub(crate) fn is_binary(data: &[u8]) -> bool {
    let probe = &data[..data.len().min(BINARY_PROBE_LEN)];
    probe.contains(&0) || BINARY_MAGIC.iter().any(|magic| data.starts_with(magic))
}

fn sort_findings(findings: &mut [SecretFinding]) {
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
    });
}

/// Byte offsets of line starts, built once per file that has matches.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(data: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            data.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// Byte range of a line without its line terminator.
    fn line_range(&self, line: usize, data: &[u8]) -> Range<usize> {
        let start = self.starts[line];
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(data.len(), |next| next - 1);
        if end > start && data[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }
}

/// Returns the mask of a secret: its first four characters and `****`, or
/// only `****` when it is shorter than 12 characters or begins on an
/// earlier line.
fn mask(secret: &[u8], starts_here: bool) -> String {
    let text = String::from_utf8_lossy(secret);
    if !starts_here || text.chars().count() < MASK_PREFIX_MIN_LEN {
        return "****".to_owned();
    }
    let mut masked: String = text.chars().take(MASK_PREFIX_LEN).collect();
    masked.push_str("****");
    masked
}

/// Builds the snippet of `line`: every secret that overlaps the line is
/// masked, and a long line is cut to a window around `anchor`.
fn masked_snippet(
    data: &[u8],
    line: Range<usize>,
    anchor: usize,
    secrets: &[Range<usize>],
) -> String {
    let mut overlapping: Vec<&Range<usize>> = secrets
        .iter()
        .filter(|s| s.start < line.end.max(line.start + 1) && s.end > line.start)
        .collect();
    overlapping.sort_by_key(|s| (s.start, s.end));

    let mut out = String::new();
    let mut out_chars = 0;
    let mut anchor_chars = None;
    let mut cursor = line.start;
    let push = |out: &mut String, out_chars: &mut usize, text: &str| {
        out.push_str(text);
        *out_chars += text.chars().count();
    };
    for secret in overlapping {
        let start = secret.start.max(cursor);
        let end = secret.end.min(line.end);
        if start >= end {
            continue;
        }
        if anchor_chars.is_none() && anchor >= cursor && anchor < start {
            anchor_chars = Some(
                out_chars
                    + String::from_utf8_lossy(&data[cursor..anchor])
                        .chars()
                        .count(),
            );
        }
        push(
            &mut out,
            &mut out_chars,
            &String::from_utf8_lossy(&data[cursor..start]),
        );
        if anchor_chars.is_none() && anchor >= start && anchor < end {
            anchor_chars = Some(out_chars);
        }
        let masked = mask(&data[secret.clone()], secret.start >= cursor);
        push(&mut out, &mut out_chars, &masked);
        cursor = end;
    }
    if anchor_chars.is_none() && anchor >= cursor && anchor <= line.end {
        anchor_chars = Some(
            out_chars
                + String::from_utf8_lossy(&data[cursor..anchor])
                    .chars()
                    .count(),
        );
    }
    push(
        &mut out,
        &mut out_chars,
        &String::from_utf8_lossy(&data[cursor..line.end]),
    );
    if out_chars <= SNIPPET_MAX {
        return out;
    }
    let anchor_chars = anchor_chars.unwrap_or(0);
    let end = (anchor_chars.saturating_sub(SNIPPET_LEAD) + SNIPPET_WINDOW).min(out_chars);
    let start = end.saturating_sub(SNIPPET_WINDOW);
    let mut window: String = out.chars().skip(start).take(end - start).collect();
    if start > 0 {
        window.insert(0, '…');
    }
    if end < out_chars {
        window.push('…');
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_of_paths_and_archive_entries() {
        assert_eq!(extension("/usr/lib/x.SO"), "so");
        assert_eq!(extension("app.jar!/META-INF/MANIFEST.MF"), "mf");
        assert_eq!(extension("/etc/.bashrc"), "");
        assert_eq!(extension("Dockerfile"), "");
    }

    #[test]
    fn snippet_masks_every_secret_on_the_line() {
        let data = b"a=AKIAQ7CORPUSFAKE2K9D b=short c\n";
        let secrets = vec![2..22, 25..30];
        let snippet = masked_snippet(data, 0..32, 2, &secrets);
        assert_eq!(snippet, "a=AKIA**** b=**** c");
    }

    #[test]
    fn long_line_snippet_is_cut_around_the_match() {
        let mut data = "x".repeat(500).into_bytes();
        data.extend_from_slice(b" token=ghp_0123456789012345678901234567890123456 ");
        data.extend(std::iter::repeat_n(b'y', 500));
        let start = 507;
        let secrets: Vec<Range<usize>> = std::iter::once(start..start + 40).collect();
        let snippet = masked_snippet(&data, 0..data.len(), start, &secrets);
        assert!(snippet.contains("ghp_****"), "{snippet}");
        assert!(snippet.chars().count() <= SNIPPET_WINDOW + 2, "{snippet}");
        assert!(snippet.starts_with('…'), "{snippet}");
        assert!(snippet.ends_with('…'), "{snippet}");
    }

    #[test]
    fn reference_names_are_recognised() {
        for name in [
            "secretName",
            "token_file",
            "PASSWORD_LENGTH",
            "api_key_id",
            "secret-ref",
        ] {
            assert!(is_reference_name(name.as_bytes()), "{name}");
        }
        for name in [
            "password",
            "client_secret",
            "API_KEY",
            "auth_token",
            "tokenid",
        ] {
            assert!(!is_reference_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn binary_detection() {
        assert!(is_binary(b"\x7fELF\x02\x01"));
        assert!(is_binary(b"text\0more"));
        assert!(!is_binary(b"plain text\n"));
    }
}
