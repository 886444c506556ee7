//! Reads Go module files: `go.mod` and, for modules older than Go 1.17,
//! the indirect dependencies recorded only in `go.sum`.
//!
//! The `go.mod` syntax is specified at <https://go.dev/ref/mod#go-mod-file>:
//! one directive per line or a parenthesized block of them, `//`
//! comments, and tokens that may be quoted.

use std::collections::{BTreeMap, BTreeSet};

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads `go.mod` files.
pub struct GoModAnalyzer;

/// Reads `go.sum` files; see [`merge_go_sum`] for when their modules are
/// kept.
pub struct GoSumAnalyzer;

/// The name Go tooling and vulnerability databases use for the standard
/// library.
pub(crate) const STDLIB: &str = "stdlib";

/// A `depends_on` entry that the `go.mod` analyzer puts on the main module
/// when the file predates Go 1.17 and so may omit indirect dependencies.
/// [`merge_go_sum`] consumes it; no package has this name, so if it
/// survives, dependency resolution drops it.
pub(crate) const NEEDS_GO_SUM: &str = "go.sum:indirect";

impl Analyzer for GoModAnalyzer {
    fn name(&self) -> &'static str {
        "go-mod"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path == "go.mod" || info.path.ends_with("/go.mod")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let file = parse_go_mod(text)?;
        Ok(go_mod_packages(&file)
            .into_iter()
            .map(Fact::Package)
            .collect())
    }
}

impl Analyzer for GoSumAnalyzer {
    fn name(&self) -> &'static str {
        "go-sum"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path == "go.sum" || info.path.ends_with("/go.sum")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = String::from_utf8_lossy(data);
        let packages = parse_go_sum(&text)
            .into_iter()
            .map(|(path, version)| {
                let mut package = golang_package(&path, &version);
                package.direct = Some(false);
                package
            })
            .collect::<Vec<_>>();
        Ok(packages.into_iter().map(Fact::Package).collect())
    }
}

/// A module path and version, as written in a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModuleVersion {
    pub(crate) path: String,
    pub(crate) version: String,
}

/// A `require` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Require {
    pub(crate) module: ModuleVersion,
    pub(crate) indirect: bool,
}

/// A `replace` directive. `old.version` is empty when every version is
/// replaced; `new.version` is empty when the replacement is a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replace {
    pub(crate) old: ModuleVersion,
    pub(crate) new: ModuleVersion,
}

/// The directives of a `go.mod` file that matter for an inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GoModFile {
    pub(crate) module: Option<String>,
    pub(crate) go: Option<String>,
    pub(crate) toolchain: Option<String>,
    pub(crate) requires: Vec<Require>,
    pub(crate) replaces: Vec<Replace>,
    pub(crate) excludes: Vec<ModuleVersion>,
}

/// Directives the go command accepts; anything else is a syntax error,
/// as in `go mod edit`.
const DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
];

/// Parses the text of a `go.mod` file.
pub(crate) fn parse_go_mod(text: &str) -> Result<GoModFile, String> {
    let mut file = GoModFile::default();
    let mut block: Option<(String, usize)> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line_number = index + 1;
        let (tokens, comment) =
            tokenize(raw_line).map_err(|e| format!("line {line_number}: {e}"))?;
        if tokens.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if tokens == [")"] {
                block = None;
                continue;
            }
            let verb = verb.clone();
            apply_directive(&mut file, &verb, &tokens, comment.as_deref())
                .map_err(|e| format!("line {line_number}: {e}"))?;
            continue;
        }
        let verb = tokens[0].as_str();
        if !DIRECTIVES.contains(&verb) {
            return Err(format!("line {line_number}: unknown directive {verb:?}"));
        }
        if tokens.len() == 2 && tokens[1] == "(" {
            block = Some((verb.to_owned(), line_number));
            continue;
        }
        apply_directive(&mut file, verb, &tokens[1..], comment.as_deref())
            .map_err(|e| format!("line {line_number}: {e}"))?;
    }
    if let Some((verb, line)) = block {
        return Err(format!("line {line}: {verb} block is not closed by \")\""));
    }
    Ok(file)
}

fn apply_directive(
    file: &mut GoModFile,
    verb: &str,
    args: &[String],
    comment: Option<&str>,
) -> Result<(), String> {
    match verb {
        "module" => {
            let [path] = args else {
                return Err(format!("module directive takes one path, found {args:?}"));
            };
            file.module = Some(path.clone());
        }
        "go" => {
            let [version] = args else {
                return Err(format!("go directive takes one version, found {args:?}"));
            };
            file.go = Some(version.clone());
        }
        "toolchain" => {
            let [name] = args else {
                return Err(format!(
                    "toolchain directive takes one name, found {args:?}"
                ));
            };
            file.toolchain = Some(name.clone());
        }
        "require" => {
            let [path, version] = args else {
                return Err(format!(
                    "require takes a module path and version, found {args:?}"
                ));
            };
            file.requires.push(Require {
                module: ModuleVersion {
                    path: path.clone(),
                    version: version.clone(),
                },
                indirect: comment.is_some_and(is_indirect_comment),
            });
        }
        "exclude" => {
            let [path, version] = args else {
                return Err(format!(
                    "exclude takes a module path and version, found {args:?}"
                ));
            };
            file.excludes.push(ModuleVersion {
                path: path.clone(),
                version: version.clone(),
            });
        }
        "replace" => file.replaces.push(parse_replace(args)?),
        // `godebug`, `retract`, `tool` and `ignore` do not name
        // dependencies.
        _ => {}
    }
    Ok(())
}

fn parse_replace(args: &[String]) -> Result<Replace, String> {
    let arrow = args
        .iter()
        .position(|t| t == "=>")
        .ok_or_else(|| format!("replace needs \"=>\", found {args:?}"))?;
    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
    let old = match old {
        [path] => ModuleVersion {
            path: path.clone(),
            version: String::new(),
        },
        [path, version] => ModuleVersion {
            path: path.clone(),
            version: version.clone(),
        },
        _ => return Err(format!("invalid replaced module {old:?}")),
    };
    let new = match new {
        [path] => ModuleVersion {
            path: path.clone(),
            version: String::new(),
        },
        [path, version] => ModuleVersion {
            path: path.clone(),
            version: version.clone(),
        },
        _ => return Err(format!("invalid replacement module {new:?}")),
    };
    Ok(Replace { old, new })
}

/// Returns whether a trailing comment marks a requirement as indirect:
/// `// indirect`, optionally followed by `; more text`.
fn is_indirect_comment(comment: &str) -> bool {
    let text = comment.trim();
    text == "indirect" || text.starts_with("indirect;")
}

/// Splits one line into tokens and its trailing `//` comment. Tokens are
/// bare words, the punctuation `(` and `)`, Go interpreted strings in
/// double quotes, or raw strings in backquotes.
fn tokenize(line: &str) -> Result<(Vec<String>, Option<String>), String> {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if line[i..].starts_with("//") {
            return Ok((tokens, Some(line[i + 2..].to_owned())));
        } else if c == b'(' || c == b')' {
            tokens.push((c as char).to_string());
            i += 1;
        } else if c == b'"' {
            let (value, next) = interpreted_string(line, i + 1)?;
            tokens.push(value);
            i = next;
        } else if c == b'`' {
            let end = line[i + 1..].find('`').ok_or("unterminated raw string")?;
            tokens.push(line[i + 1..i + 1 + end].to_owned());
            i += end + 2;
        } else {
            let start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'(' | b')' | b'"' | b'`')
                && !line[i..].starts_with("//")
            {
                i += 1;
            }
            tokens.push(line[start..i].to_owned());
        }
    }
    Ok((tokens, None))
}

/// Decodes a double-quoted string whose content starts at byte `start`,
/// returning it and the index after the closing quote.
fn interpreted_string(line: &str, start: usize) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut chars = line[start..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return Ok((value, start + offset + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => value.push(other),
                None => break,
            },
            other => value.push(other),
        }
    }
    Err("unterminated quoted string".to_owned())
}

/// Builds the packages of a parsed `go.mod`: the main module, the Go
/// toolchain as `stdlib` where the file pins one, and every requirement
/// after `replace` directives.
pub(crate) fn go_mod_packages(file: &GoModFile) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut dependencies = Vec::new();

    if let Some(version) = stdlib_version(file) {
        let mut package = golang_package(STDLIB, &version);
        package.direct = Some(true);
        dependencies.push(format!("{STDLIB}@{version}"));
        packages.push(package);
    }

    for require in &file.requires {
        // Since Go 1.16 the go command ignores a requirement on an
        // excluded version (older releases moved to the next higher
        // version, which the file does not name).
        if file.excludes.contains(&require.module) {
            continue;
        }
        let replacement = file.replaces.iter().rev().find(|r| {
            r.old.path == require.module.path
                && (r.old.version.is_empty() || r.old.version == require.module.version)
        });
        let module = match replacement {
            // A directory replacement builds the module from local source,
            // which has no version: keep the module path, since the
            // directory names no module.
            Some(r) if r.new.version.is_empty() => &ModuleVersion {
                path: require.module.path.clone(),
                version: String::new(),
            },
            Some(r) => &r.new,
            None => &require.module,
        };
        let mut package = golang_package(&module.path, &module.version);
        package.direct = Some(!require.indirect);
        if !require.indirect {
            dependencies.push(format!("{}@{}", module.path, module.version));
        }
        packages.push(package);
    }

    if let Some(path) = &file.module {
        let mut main = golang_package(path, "");
        main.direct = Some(true);
        main.depends_on = dependencies;
        if !has_complete_requirements(file) {
            main.depends_on.push(NEEDS_GO_SUM.to_owned());
        }
        packages.insert(0, main);
    }
    packages
}

/// Returns whether the file lists every module the build needs. Since
/// Go 1.17 (module graph pruning) `go mod tidy` records all indirect
/// dependencies in `go.mod`; older files, and files without a `go`
/// directive, may omit them.
fn has_complete_requirements(file: &GoModFile) -> bool {
    file.go
        .as_deref()
        .and_then(parse_major_minor)
        .is_some_and(|version| version >= (1, 17))
}

fn parse_major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().ok()?))
}

/// The Go toolchain version a module pins, as `v1.N.P`: the `toolchain`
/// directive when present, else the `go` directive from Go 1.21 on, where
/// it became the minimum toolchain version. Before Go 1.21 the `go` line
/// only set the language version and did not name a toolchain.
fn stdlib_version(file: &GoModFile) -> Option<String> {
    if let Some(name) = file.toolchain.as_deref().filter(|n| *n != "default") {
        let version = name.strip_prefix("go")?;
        let version = version.split('-').next().unwrap_or(version);
        return Some(format!("v{version}"));
    }
    let go = file.go.as_deref()?;
    if parse_major_minor(go)? < (1, 21) {
        return None;
    }
    // `go 1.22` names the language version; its first release is 1.22.0.
    let dotted = go.matches('.').count() >= 2 || go.contains("rc");
    Some(if dotted {
        format!("v{go}")
    } else {
        format!("v{go}.0")
    })
}

/// Parses `go.sum` into the module versions whose content hashes it
/// records. Lines for a module's `go.mod` file only (`version/go.mod`)
/// mean the module graph was read, not that the module was built.
///
/// Malformed lines are skipped, not reported: a `go.sum` next to a
/// Go 1.17 or later `go.mod` is never used, so its errors must not fail
/// the scan.
pub(crate) fn parse_go_sum(text: &str) -> Vec<(String, String)> {
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => {}
            [path, version, hash] if hash.contains(':') && version.starts_with('v') => {
                if version.ends_with("/go.mod") {
                    continue;
                }
                // go.sum is sorted, so a later version of the same module
                // is the newer one.
                modules.insert((*path).to_owned(), (*version).to_owned());
            }
            _ => tracing::debug!(
                line = index + 1,
                text = line,
                "skipped go.sum line that is not \"module version hash\""
            ),
        }
    }
    modules.into_iter().collect()
}

/// Keeps the modules of each `go.sum` only where they are needed: next to
/// a `go.mod` that predates Go 1.17, which may omit indirect dependencies.
/// There, modules the `go.mod` already lists are dropped from the `go.sum`
/// set. Everywhere else every `go.sum` module is dropped, because `go.sum`
/// also records modules that the build never uses.
pub(crate) fn merge_go_sum(packages: &mut Vec<Package>) {
    #[derive(Default)]
    struct ModuleDir {
        needs_go_sum: bool,
        names: BTreeSet<String>,
    }
    let mut dirs: BTreeMap<String, ModuleDir> = BTreeMap::new();
    for package in packages.iter_mut() {
        let Some(dir) = sibling_dir(package, "go.mod") else {
            continue;
        };
        let entry = dirs.entry(dir).or_default();
        if package.depends_on.iter().any(|d| d == NEEDS_GO_SUM) {
            package.depends_on.retain(|d| d != NEEDS_GO_SUM);
            entry.needs_go_sum = true;
        }
        entry.names.insert(package.name.clone());
    }
    packages.retain(|p| match sibling_dir(p, "go.sum") {
        None => true,
        Some(dir) => dirs
            .get(&dir)
            .is_some_and(|m| m.needs_go_sum && !m.names.contains(&p.name)),
    });
}

/// Returns the directory of a Go package read from a file named
/// `file_name`, or `None` for packages read from other files.
fn sibling_dir(package: &Package, file_name: &str) -> Option<String> {
    if package.kind != PackageKind::Golang {
        return None;
    }
    let location = package.locations.first()?.trim_start_matches('/');
    if location == file_name {
        return Some(String::new());
    }
    let dir = location.strip_suffix(file_name)?;
    dir.ends_with('/').then(|| dir.to_owned())
}

/// Creates a Go module package with its purl: the module path's last
/// element is the purl name and the rest its namespace.
pub(crate) fn golang_package(path: &str, version: &str) -> Package {
    let mut package = Package::new(PackageKind::Golang, path, version);
    package.purl = golang_purl(path, version);
    package
}

/// Builds the purl of a Go module.
pub(crate) fn golang_purl(path: &str, version: &str) -> String {
    let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
    PurlBuilder::new("golang", name)
        .namespace(namespace)
        .version(version)
        .build()
}
