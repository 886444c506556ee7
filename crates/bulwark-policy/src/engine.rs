//! Loading of checks into one regorus engine and evaluation of documents.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bulwark_iac::{Document, InlineIgnore, ParsedFile, PathSegment};
use rayon::prelude::*;
use regorus::Engine;
use serde_json::Value as Json;

use crate::metadata::{self, CheckInfo, ModuleRole};
use crate::{FileResult, InlineIgnoreInfo, Misconfiguration, PolicyError};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_checks.rs"));
}

/// A prepared set of checks.
///
/// Evaluation clones the prepared engine per file (or per rayon worker in
/// [`PolicySet::evaluate_all`]), so one `PolicySet` serves many threads.
#[derive(Debug)]
pub struct PolicySet {
    /// Prepared engine with every module loaded. Callers work on clones, and
    /// the mutex keeps `PolicySet` `Sync` without relying on regorus' bounds.
    engine: Mutex<Engine>,
    checks: Vec<CheckInfo>,
    /// Indices into `checks` per input kind.
    by_kind: HashMap<String, Vec<usize>>,
    /// Per input kind, the rule that gathers the `deny` sets of all its
    /// checks in one evaluation, so helper rules are computed once per
    /// document instead of once per check.
    batch_rules: HashMap<String, String>,
    load_errors: Vec<String>,
}

/// One module read from disk or from the embedded list.
struct SourceModule {
    name: String,
    text: String,
}

impl PolicySet {
    /// Loads the built-in checks.
    pub fn builtin() -> Result<Self, PolicyError> {
        Self::with_user_dirs(&[])
    }

    /// Loads the built-in checks plus every `*.rego` file (other than
    /// `*_test.rego`) under each directory, recursively and in sorted order.
    ///
    /// A user check without `custom.id`, `custom.severity` or `custom.input`
    /// fails the load with an error naming the file. A user module that
    /// regorus cannot parse or prepare is skipped and reported by
    /// [`PolicySet::load_errors`], so the other checks still run.
    pub fn with_user_dirs(dirs: &[PathBuf]) -> Result<Self, PolicyError> {
        let mut engine = Engine::new();
        // Like `opa eval`, a built-in function error (such as `lower(null)`)
        // makes the expression undefined instead of failing the whole rule.
        engine.set_strict_builtin_errors(false);
        let mut checks = Vec::new();
        let mut load_errors = Vec::new();

        for (name, text) in builtin::BUILTIN_MODULES {
            let role = metadata::read_module(&format!("checks/{name}"), text)
                .map_err(PolicyError::Builtin)?;
            engine
                .add_policy(format!("checks/{name}"), (*text).to_owned())
                .map_err(|err| PolicyError::Builtin(format_regorus_error(name, &err)))?;
            if let ModuleRole::Check(info) = role {
                checks.push(*info);
            }
        }

        let mut user_modules = Vec::new();
        for dir in dirs {
            collect_user_modules(dir, &mut user_modules)?;
        }
        let mut user_roles = Vec::new();
        for module in &user_modules {
            let role = metadata::read_module(&module.name, &module.text)
                .map_err(PolicyError::InvalidCheck)?;
            user_roles.push(role);
        }

        for (module, role) in user_modules.into_iter().zip(user_roles) {
            // Try the module on a copy first: a parse error or a failure to
            // prepare (an unknown function, a recursive rule) must not take
            // the built-in checks down with it.
            if let Some((function, line)) = crate::recursion::find_self_call(&module.text) {
                load_errors.push(format!(
                    "{}:{line}: function {function} calls itself, directly or through other functions; Rego does not allow recursion",
                    module.name
                ));
                continue;
            }
            let mut trial = engine.clone();
            if let Err(err) = trial.add_policy(module.name.clone(), module.text.clone()) {
                load_errors.push(format_regorus_error(&module.name, &err));
                continue;
            }
            trial.set_input(regorus::Value::new_object());
            if let ModuleRole::Check(info) = &role
                && let Err(err) = trial.eval_rule(format!("data.{}.deny", info.package))
            {
                load_errors.push(format_regorus_error(&module.name, &err));
                continue;
            }
            engine = trial;
            if let ModuleRole::Check(info) = role {
                checks.push(*info);
            }
        }

        check_duplicates(&checks)?;

        let mut batch_rules = HashMap::new();
        for (kind, indices) in &by_kind_indices(&checks) {
            let package = format!("bulwark_batch.{}", kind.replace('-', "_"));
            let mut module = format!("package {package}\n\nimport rego.v1\n\nresults := {{\n");
            for index in indices {
                module.push_str(&format!(
                    "\t\"{index}\": data.{}.deny,\n",
                    checks[*index].package
                ));
            }
            module.push_str("}\n");
            let name = format!("<batch {kind}>");
            match engine.add_policy(name.clone(), module) {
                Ok(_) => {
                    batch_rules.insert(kind.clone(), format!("data.{package}.results"));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "{name} failed to load; evaluating checks one by one")
                }
            }
        }

        // Evaluate one rule so the engine is prepared before it is cloned.
        engine.set_input(regorus::Value::new_object());
        if let Some(first) = checks.first() {
            engine
                .eval_rule(format!("data.{}.deny", first.package))
                .map_err(|err| PolicyError::Builtin(err.to_string()))?;
        }

        let by_kind = by_kind_indices(&checks);
        Ok(PolicySet {
            engine: Mutex::new(engine),
            checks,
            by_kind,
            batch_rules,
            load_errors,
        })
    }

    /// Returns the catalogue of loaded checks, sorted by id.
    pub fn catalogue(&self) -> Vec<CheckInfo> {
        let mut list = self.checks.clone();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    }

    /// Returns the check with the given id.
    pub fn check(&self, id: &str) -> Option<&CheckInfo> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Errors of user modules that were skipped at load, each naming the
    /// file and, where regorus reports one, the line and column.
    pub fn load_errors(&self) -> &[String] {
        &self.load_errors
    }

    /// Evaluates every check that applies to the kind of `file` against each
    /// of its documents, then applies the file's inline ignore comments.
    pub fn evaluate(&self, file: &ParsedFile) -> FileResult {
        let mut engine = self.clone_engine();
        self.evaluate_with(&mut engine, file)
    }

    /// Evaluates many files in parallel, one engine clone per rayon worker.
    /// Results are in the order of `files`.
    pub fn evaluate_all(&self, files: &[ParsedFile]) -> Vec<FileResult> {
        files
            .par_iter()
            .map_init(
                || self.clone_engine(),
                |engine, file| self.evaluate_with(engine, file),
            )
            .collect()
    }

    /// Evaluates the checks for `image-config` against an OCI image config
    /// turned into a Dockerfile-shaped document by
    /// [`crate::image_config_document`]. Findings carry the path
    /// `image-config` and, as line, the 1-based index of the history entry.
    pub fn evaluate_image_config(&self, config: &Json) -> Vec<Misconfiguration> {
        let input = crate::image_config_document(config);
        let mut engine = self.clone_engine();
        let mut result = FileResult::default();
        self.evaluate_input(
            &mut engine,
            "image-config",
            &input,
            &DocumentContext {
                path: "image-config",
                document: None,
            },
            &mut result,
        );
        for error in result.errors {
            tracing::warn!(%error, "image config check failed");
        }
        finish(result.findings)
    }

    fn clone_engine(&self) -> Engine {
        // A poisoned lock only means another thread panicked while cloning;
        // the engine itself was not modified.
        match self.engine.lock() {
            Ok(engine) => engine.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn evaluate_with(&self, engine: &mut Engine, file: &ParsedFile) -> FileResult {
        let kind = file.kind.as_str();
        let mut result = FileResult::default();
        for document in &file.documents {
            let context = DocumentContext {
                path: &file.path,
                document: Some(document),
            };
            self.evaluate_input(engine, kind, &document.input, &context, &mut result);
        }
        apply_ignores(&mut result.findings, &file.ignores, &file.path);
        result.findings = finish(result.findings);
        result.errors.sort();
        result.errors.dedup();
        result
    }

    fn evaluate_input(
        &self,
        engine: &mut Engine,
        kind: &str,
        input: &Json,
        context: &DocumentContext<'_>,
        result: &mut FileResult,
    ) {
        let Some(indices) = self.by_kind.get(kind) else {
            return;
        };
        engine.set_input(regorus::Value::from(input.clone()));
        if let Some(rule) = self.batch_rules.get(kind)
            && let Ok(batch) = eval_rule_guarded(engine, rule.clone())
        {
            for &index in indices {
                let value = &batch[&regorus::Value::from(index.to_string())];
                self.collect(&self.checks[index], value, context, result);
            }
            return;
        }
        // Without a batch rule, or when one check raised an error, evaluate
        // the checks one by one so the error is attributed to its check.
        for &index in indices {
            let check = &self.checks[index];
            let value = match eval_rule_guarded(engine, format!("data.{}.deny", check.package)) {
                Ok(value) => value,
                Err(err) => {
                    result.errors.push(format!(
                        "{} (check {} on {})",
                        format_regorus_error(&check.source, &err),
                        check.id,
                        context.label()
                    ));
                    continue;
                }
            };
            self.collect(check, &value, context, result);
        }
    }

    /// Adds the findings of one check's `deny` value to `result`.
    fn collect(
        &self,
        check: &CheckInfo,
        value: &regorus::Value,
        context: &DocumentContext<'_>,
        result: &mut FileResult,
    ) {
        if *value == regorus::Value::Undefined {
            return;
        }
        let json = match serde_json::to_value(value) {
            Ok(json) => json,
            Err(err) => {
                result.errors.push(format!(
                    "{}: check {} returned a value that is not JSON: {err}",
                    check.source, check.id
                ));
                return;
            }
        };
        let items = match json {
            Json::Array(items) => items,
            other => vec![other],
        };
        for item in items {
            result.findings.push(to_finding(check, &item, context));
        }
    }
}

fn by_kind_indices(checks: &[CheckInfo]) -> HashMap<String, Vec<usize>> {
    let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, check) in checks.iter().enumerate() {
        for kind in &check.inputs {
            by_kind.entry(kind.clone()).or_default().push(index);
        }
    }
    by_kind
}

/// Source of a document, used to locate its findings.
struct DocumentContext<'a> {
    path: &'a str,
    document: Option<&'a Document>,
}

impl DocumentContext<'_> {
    fn label(&self) -> String {
        match self.document.and_then(|d| d.resource.as_deref()) {
            Some(resource) => format!("{} ({resource})", self.path),
            None => self.path.to_owned(),
        }
    }
}

/// Turns one element of a `deny` set into a finding. The element is either a
/// message string or an object with `msg` and optional `path`, `line`,
/// `end_line` and `resource`.
fn to_finding(check: &CheckInfo, item: &Json, context: &DocumentContext<'_>) -> Misconfiguration {
    let document = context.document;
    let mut path = context.path.to_owned();
    let mut line = document.map_or(0, |d| d.start_line);
    let mut end_line = None;
    let mut resource = document.and_then(|d| d.resource.clone());
    let message = match item {
        Json::String(text) => text.clone(),
        Json::Object(fields) => {
            if let Some(n) = fields.get("line").and_then(Json::as_u64) {
                line = n as u32;
            } else if let Some(segments) = fields.get("path").and_then(PathSegment::path_from_json)
                && let Some(location) = document.and_then(|d| d.positions.locate_source(&segments))
            {
                line = location.line;
                if let Some(file) = location.file {
                    path = file.to_owned();
                }
            }
            end_line = fields
                .get("end_line")
                .and_then(Json::as_u64)
                .map(|n| n as u32)
                .filter(|&end| end > line);
            if let Some(name) = fields.get("resource").and_then(Json::as_str) {
                resource = Some(name.to_owned());
            }
            fields
                .get("msg")
                .or_else(|| fields.get("message"))
                .and_then(Json::as_str)
                .map_or_else(|| item.to_string(), str::to_owned)
        }
        other => other.to_string(),
    };
    Misconfiguration {
        rule_id: check.id.clone(),
        title: check.title.clone(),
        severity: check.severity,
        path,
        line,
        end_line,
        resource,
        message,
        suppressed_inline: None,
    }
}

/// Marks findings covered by an inline ignore for their rule id. A comment
/// covers a finding when it applies to the finding's first line or to a line
/// inside its range, and when both are in the same file.
fn apply_ignores(findings: &mut [Misconfiguration], ignores: &[InlineIgnore], file_path: &str) {
    for finding in findings.iter_mut() {
        let end = finding.end_line.unwrap_or(finding.line);
        let covering = ignores.iter().find(|ignore| {
            let ignore_path = ignore.file.as_deref().unwrap_or(file_path);
            ignore_path == finding.path
                && (finding.line..=end).contains(&ignore.line)
                && ignore
                    .rule_ids
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(&finding.rule_id))
        });
        if let Some(ignore) = covering {
            finding.suppressed_inline = Some(InlineIgnoreInfo {
                line: ignore.line,
                reason: ignore.reason.clone(),
                owner: ignore.owner.clone(),
                expires: ignore.expires.clone(),
                reason_missing: ignore.reason.as_deref().is_none_or(|r| r.trim().is_empty()),
            });
        }
    }
}

/// Sorts findings and drops exact duplicates (several `deny` bodies can
/// produce the same message for the same line).
fn finish(findings: Vec<Misconfiguration>) -> Vec<Misconfiguration> {
    let mut seen = BTreeSet::new();
    let mut unique: Vec<Misconfiguration> = findings
        .into_iter()
        .filter(|f| seen.insert((f.path.clone(), f.line, f.rule_id.clone(), f.message.clone())))
        .collect();
    unique.sort_by(|a, b| {
        (&a.path, a.line, &a.rule_id, &a.message).cmp(&(&b.path, b.line, &b.rule_id, &b.message))
    });
    unique
}

fn check_duplicates(checks: &[CheckInfo]) -> Result<(), PolicyError> {
    let mut ids: HashMap<&str, &str> = HashMap::new();
    let mut packages: HashMap<&str, &str> = HashMap::new();
    for check in checks {
        if let Some(other) = ids.insert(&check.id, &check.source) {
            return Err(PolicyError::Duplicate(format!(
                "id {} is used by {} and {}",
                check.id, other, check.source
            )));
        }
        if let Some(other) = packages.insert(&check.package, &check.source) {
            return Err(PolicyError::Duplicate(format!(
                "package {} is used by {} and {}",
                check.package, other, check.source
            )));
        }
    }
    Ok(())
}

/// Collects the `*.rego` files other than `*_test.rego` under `dir`.
fn collect_user_modules(dir: &Path, out: &mut Vec<SourceModule>) -> Result<(), PolicyError> {
    let mut files = Vec::new();
    crate::testing::collect_rego_files(dir, &mut files).map_err(|source| PolicyError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for path in files {
        let is_test = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("_test.rego"));
        if is_test {
            continue;
        }
        let text = fs::read_to_string(&path).map_err(|source| PolicyError::ReadFile {
            path: path.clone(),
            source,
        })?;
        out.push(SourceModule {
            name: path.display().to_string(),
            text,
        });
    }
    Ok(())
}

/// Formats a regorus error as one line starting with `file:line:column:`
/// where regorus gives a location (its parse and many runtime errors render
/// a `--> file:line:column` marker and an `error: message` line), and with
/// `file:` otherwise.
pub(crate) fn format_regorus_error(file: &str, err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    let location = text
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("--> "))
        .map(str::trim);
    let message = text
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("error: "))
        .map(str::trim);
    match (location, message) {
        (Some(location), Some(message)) => format!("{location}: {message}"),
        _ => {
            let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("{file}: {one_line}")
        }
    }
}

/// Evaluates a rule, turning a panic inside regorus into an error. Some
/// built-ins of regorus 0.14 panic on unusual arguments (`object.subset`
/// of an array and an empty array panics), and one such call in a user
/// policy must not take the scan down.
pub(crate) fn eval_rule_guarded(
    engine: &mut Engine,
    rule: String,
) -> Result<regorus::Value, String> {
    let rule_name = rule.clone();
    install_quiet_panic_hook();
    GUARDED.with(|guarded| guarded.set(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.eval_rule(rule)));
    GUARDED.with(|guarded| guarded.set(false));
    match outcome {
        Ok(result) => result.map_err(|err| err.to_string()),
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            Err(format!(
                "the Rego interpreter failed while evaluating {rule_name}: {reason}"
            ))
        }
    }
}

thread_local! {
    /// Whether this thread is inside [`eval_rule_guarded`], whose panics are
    /// reported as errors and so must not also be printed.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Wraps the panic hook once so that panics caught by
/// [`eval_rule_guarded`] print nothing; every other panic reaches the
/// previous hook unchanged.
fn install_quiet_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}
