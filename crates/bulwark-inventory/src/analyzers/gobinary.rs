//! Reads the build information the Go linker embeds in executables: the
//! toolchain version, the main module and every dependency module, with
//! `replace` directives applied.
//!
//! The blob starts with the 14-byte magic `\xff Go buildinf:` at a
//! 16-byte aligned offset in the `.go.buildinfo` section (ELF),
//! `__go_buildinfo` (Mach-O) or near the start of the data section (PE).
//! Byte 14 is the pointer size and byte 15 contains flags: bit 1 set means
//! Go 1.18 or later, where the two strings follow the 32-byte header as
//! varint-prefixed data; otherwise two pointers at offsets 16 and
//! 16+pointer size point to Go string headers in the loaded image.

use bulwark_image::EntryInfo;

use super::binary::{Executable, Section, wants_executable};
use super::gomod::{STDLIB, golang_package};
use crate::analyzer::{Analyzer, Fact};
use crate::package::Package;

/// Reads Go executables.
pub struct GoBinaryAnalyzer;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_SIZE: usize = 32;
const ALIGN: usize = 16;
/// Maximum length of the version or module-information string. Real
/// module lists are far below this; a larger value means corrupt data.
const MAX_STRING_BYTES: u64 = 16 << 20;

impl Analyzer for GoBinaryAnalyzer {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        wants_executable(info)
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let Some(info) = read_build_info(data)? else {
            return Ok(Vec::new());
        };
        Ok(build_info_packages(&info)
            .into_iter()
            .map(Fact::Package)
            .collect())
    }
}

/// The two strings of a Go executable's build information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawBuildInfo {
    /// Toolchain version, such as `go1.22.3` or `go1.22.3 X:boringcrypto`.
    pub(crate) go_version: String,
    /// Module information in the text form `go version -m` prints.
    pub(crate) modinfo: String,
}

/// Finds and decodes the build information of an executable. Returns
/// `None` when the data is not a Go executable.
pub(crate) fn read_build_info(data: &[u8]) -> Result<Option<RawBuildInfo>, String> {
    let executable = match Executable::parse(data) {
        Ok(Some(executable)) => executable,
        Ok(None) => return Ok(None),
        // Damaged headers: the blob may still be found by its magic.
        Err(message) => {
            tracing::debug!(%message, "unreadable executable headers, scanning for Go build information");
            return match find_magic(data) {
                Some(blob) => decode(blob, None).map(Some),
                None => Ok(None),
            };
        }
    };
    let mut candidates: Vec<Section<'_>> = Vec::new();
    if let Some(section) = executable.section(&[".go.buildinfo", "__go_buildinfo"])? {
        candidates.push(section);
    }
    candidates.extend(executable.data_sections());
    for section in &candidates {
        if let Some(blob) = find_magic(section.data) {
            return decode(blob, Some(&executable)).map(Some);
        }
    }
    Ok(None)
}

/// Returns the data from the first 16-byte aligned occurrence of the
/// magic.
fn find_magic(data: &[u8]) -> Option<&[u8]> {
    (0..data.len())
        .step_by(ALIGN)
        .find(|&i| data[i..].starts_with(MAGIC))
        .map(|i| &data[i..])
}

fn decode(blob: &[u8], executable: Option<&Executable<'_>>) -> Result<RawBuildInfo, String> {
    if blob.len() < HEADER_SIZE {
        return Err("Go build information header is truncated".to_owned());
    }
    let pointer_size = usize::from(blob[14]);
    let flags = blob[15];
    let (go_version, modinfo) = if flags & 2 != 0 {
        let (version, rest) = varint_string(&blob[HEADER_SIZE..])?;
        let (modinfo, _) = varint_string(rest)?;
        (version, modinfo)
    } else {
        let executable = executable.ok_or(
            "Go build information uses the pre-1.18 pointer format, which needs readable headers",
        )?;
        if pointer_size != 4 && pointer_size != 8 {
            return Err(format!(
                "invalid Go build information pointer size {pointer_size}"
            ));
        }
        let big_endian = flags & 1 != 0;
        let pointer = |bytes: &[u8]| read_uint(bytes, pointer_size, big_endian);
        let version_at = pointer(&blob[16..]);
        let modinfo_at = pointer(&blob[16 + pointer_size..]);
        let read = |address: u64| -> Result<Vec<u8>, String> {
            let header = executable
                .read_at(address, 2 * pointer_size as u64)
                .ok_or_else(|| format!("Go string header at {address:#x} is outside the file"))?;
            let data_at = pointer(header);
            let len = pointer(&header[pointer_size..]);
            if len > MAX_STRING_BYTES {
                return Err(format!("Go string at {address:#x} claims {len} bytes"));
            }
            if len == 0 {
                return Ok(Vec::new());
            }
            executable
                .read_at(data_at, len)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("Go string data at {data_at:#x} is outside the file"))
        };
        (read(version_at)?, read(modinfo_at)?)
    };
    let go_version =
        String::from_utf8(go_version).map_err(|_| "Go version string is not UTF-8".to_owned())?;
    if go_version.is_empty() {
        return Err("Go build information has an empty toolchain version".to_owned());
    }
    // The linker frames the module text with two 16-byte sentinels; the
    // one at the end is preceded by a newline.
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    let modinfo = String::from_utf8(modinfo.to_vec())
        .map_err(|_| "Go module information is not UTF-8".to_owned())?;
    Ok(RawBuildInfo {
        go_version,
        modinfo,
    })
}

fn read_uint(bytes: &[u8], size: usize, big_endian: bool) -> u64 {
    let bytes = &bytes[..size];
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

/// Reads an unsigned LEB128 length followed by that many bytes.
fn varint_string(data: &[u8]) -> Result<(Vec<u8>, &[u8]), String> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut used = 0;
    loop {
        let byte = *data
            .get(used)
            .ok_or("Go build information string length is truncated")?;
        used += 1;
        if shift > 63 {
            return Err("Go build information string length overflows".to_owned());
        }
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > MAX_STRING_BYTES {
        return Err(format!("Go build information string claims {len} bytes"));
    }
    let rest = &data[used..];
    let len = len as usize;
    if rest.len() < len {
        return Err(format!(
            "Go build information string needs {len} bytes but {} remain",
            rest.len()
        ));
    }
    Ok((rest[..len].to_vec(), &rest[len..]))
}

/// A module line of the build information.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Module {
    pub(crate) path: String,
    pub(crate) version: String,
    pub(crate) replace: Option<Box<Module>>,
}

/// The parsed module information.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ModInfo {
    pub(crate) main: Option<Module>,
    pub(crate) deps: Vec<Module>,
    /// `build` settings such as `-ldflags`, in order.
    pub(crate) settings: Vec<(String, String)>,
}

/// Parses the module text: tab-separated `path`, `mod`, `dep`, `=>` and
/// `build` lines.
pub(crate) fn parse_modinfo(text: &str) -> ModInfo {
    let mut info = ModInfo::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let module = || Module {
            path: fields.get(1).copied().unwrap_or_default().to_owned(),
            version: fields.get(2).copied().unwrap_or_default().to_owned(),
            replace: None,
        };
        match fields[0] {
            "mod" => info.main = Some(module()),
            "dep" => info.deps.push(module()),
            "=>" => {
                let replacement = Some(Box::new(module()));
                match info.deps.last_mut() {
                    Some(dep) => dep.replace = replacement,
                    None => {
                        if let Some(main) = info.main.as_mut() {
                            main.replace = replacement;
                        }
                    }
                }
            }
            "build" => {
                let setting = fields[1..].join("\t");
                if let Some((key, value)) = split_setting(&setting) {
                    info.settings.push((key, value));
                }
            }
            _ => {}
        }
    }
    info
}

/// Splits `key=value`, where either side may be a Go quoted string.
fn split_setting(setting: &str) -> Option<(String, String)> {
    if let Some(rest) = setting.strip_prefix('"') {
        let end = rest.find("\"=")?;
        let key = rest[..end].replace("\\\"", "\"");
        return Some((key, unquote(&rest[end + 2..])));
    }
    let (key, value) = setting.split_once('=')?;
    Some((key.to_owned(), unquote(value)))
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

/// Builds the packages of one executable: `stdlib` at the toolchain
/// version, every dependency (its replacement where there is one), and the
/// main module, which depends on all of them.
///
/// Versions keep Go's `v` prefix. `(devel)`, which `go build` stamps on
/// the main module outside `go install`, becomes an empty version unless
/// `-ldflags -X` set a semantic version.
pub(crate) fn build_info_packages(info: &RawBuildInfo) -> Vec<Package> {
    let modinfo = parse_modinfo(&info.modinfo);
    let mut packages = Vec::new();

    match toolchain_version(&info.go_version) {
        Some(version) => {
            let mut stdlib = golang_package(STDLIB, &version);
            stdlib.direct = Some(true);
            packages.push(stdlib);
        }
        None => {
            tracing::debug!(go_version = %info.go_version, "Go toolchain version is not a release, stdlib not listed")
        }
    }

    for dep in &modinfo.deps {
        if dep.path.is_empty() {
            // Binaries from old toolchains may list the main module as a
            // dependency with an empty path.
            continue;
        }
        let module = match dep.replace.as_deref() {
            // A directory replacement has no version of its own: keep the
            // module's name, since the directory path names nothing.
            Some(r) if is_local_path(&r.path) => &Module {
                path: dep.path.clone(),
                version: String::new(),
                replace: None,
            },
            Some(r) => r,
            None => dep,
        };
        packages.push(golang_package(
            &module.path,
            &devel_to_empty(&module.version),
        ));
    }

    if let Some(main) = modinfo.main.as_ref().filter(|m| !m.path.is_empty()) {
        let mut version = devel_to_empty(&main.version);
        let stamped = ldflags_version(&main.path, &modinfo.settings);
        if version.is_empty() || (version.starts_with("v0.0.0") && !stamped.is_empty()) {
            version = stamped;
        }
        let mut root = golang_package(&main.path, &version);
        root.direct = Some(true);
        root.depends_on = packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        packages.insert(0, root);
    }
    packages
}

fn is_local_path(path: &str) -> bool {
    path.starts_with("./") || path.starts_with("../") || path.starts_with('/') || path == "."
}

fn devel_to_empty(version: &str) -> String {
    if version == "(devel)" {
        String::new()
    } else {
        version.to_owned()
    }
}

/// Turns `go1.22.3` or `go1.22.3 X:boringcrypto` into `v1.22.3`. Returns
/// `None` for development toolchains (`devel go1.23-abcdef`).
fn toolchain_version(go_version: &str) -> Option<String> {
    let release = go_version.split(' ').next()?.strip_prefix("go")?;
    release
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| format!("v{release}"))
}

/// Finds the main module version set with `-ldflags "-X pkg.Version=..."`.
///
/// Keys ending in `.version` or `.ver` (any case) with a semantic-version
/// value are candidates, ranked: variables under `<module>/cmd/`, then
/// variables in packages named `main`, `common`, `version` or `cmd`, then
/// the rest. The best rank wins if it contains a single distinct value;
/// otherwise the version stays unknown.
fn ldflags_version(module: &str, settings: &[(String, String)]) -> String {
    let Some((_, ldflags)) = settings.iter().find(|(k, _)| k == "-ldflags") else {
        return String::new();
    };
    let words = shell_words(ldflags);
    let mut assignments = Vec::new();
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        let word = word.trim_start_matches('-');
        if word == "X" {
            if let Some(next) = iter.next() {
                assignments.push(next.as_str());
            }
        } else if let Some(value) = word.strip_prefix("X=") {
            assignments.push(value);
        }
    }
    let mut ranks: [Vec<&str>; 3] = Default::default();
    for assignment in assignments {
        let Some((key, value)) = assignment.split_once('=') else {
            continue;
        };
        let lower = key.to_ascii_lowercase();
        if !(lower.ends_with(".version") || lower.ends_with(".ver")) || !is_semver(value) {
            continue;
        }
        let package = key.rsplit('/').next().unwrap_or(key);
        let package = package
            .split('.')
            .next()
            .unwrap_or(package)
            .to_ascii_lowercase();
        let rank = if key.starts_with(&format!("{module}/cmd/")) {
            0
        } else if ["main", "common", "version", "cmd"].contains(&package.as_str()) {
            1
        } else {
            2
        };
        if !ranks[rank].contains(&value) {
            ranks[rank].push(value);
        }
    }
    match ranks.iter().find(|r| !r.is_empty()) {
        Some(values) if values.len() == 1 => values[0].to_owned(),
        _ => String::new(),
    }
}

/// Splits a command line into words, honouring single and double quotes
/// and backslash escapes.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Returns whether a version is a semantic version, with or without the
/// `v` prefix Go uses: `1`, `1.2` or `1.2.3`, the last optionally with
/// `-prerelease` and `+build` parts.
fn is_semver(version: &str) -> bool {
    let version = version.strip_prefix('v').unwrap_or(version);
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, prerelease) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let valid_number = |n: &&str| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && (n.len() == 1 || !n.starts_with('0'))
    };
    let valid_identifiers = |s: &str| {
        s.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    if numbers.is_empty() || numbers.len() > 3 || !numbers.iter().all(valid_number) {
        return false;
    }
    if (prerelease.is_some() || build.is_some()) && numbers.len() != 3 {
        return false;
    }
    prerelease.is_none_or(valid_identifiers) && build.is_none_or(valid_identifiers)
}
