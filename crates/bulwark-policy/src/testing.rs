//! `bulwark policy test`: runs the `test_*` rules of Rego unit tests.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use regorus::{Engine, Value};
use serde::Serialize;

use crate::engine::format_regorus_error;
use crate::metadata::package_name;

/// Outcome of one test rule, as `opa test` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestOutcome {
    /// The rule evaluated to `true`.
    Pass,
    /// The rule evaluated to `false` or was undefined.
    Fail,
    /// Evaluating the rule raised an error.
    Error,
}

impl fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TestOutcome::Pass => "PASS",
            TestOutcome::Fail => "FAIL",
            TestOutcome::Error => "ERROR",
        })
    }
}

/// Result of one test rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Full rule path, such as `data.k8srequiredlabels.test_input_good`.
    pub name: String,
    /// File that defines the rule.
    pub file: String,
    pub outcome: TestOutcome,
    /// Error text for [`TestOutcome::Error`].
    pub message: Option<String>,
}

/// Results of [`run_tests`]. `Display` prints one `name: OUTCOME` line per
/// test followed by `PASS: n/total` (and `FAIL:`/`ERROR:` counts when
/// non-zero), without timings so the output is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// Results in file order, then in order of definition.
    pub results: Vec<TestResult>,
    /// Modules that failed to load, each naming the file and line.
    pub load_errors: Vec<String>,
}

impl TestReport {
    pub fn count(&self, outcome: TestOutcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Reports whether every test passed, at least one ran and every module
    /// loaded.
    pub fn is_success(&self) -> bool {
        !self.results.is_empty()
            && self.load_errors.is_empty()
            && self.results.iter().all(|r| r.outcome == TestOutcome::Pass)
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.load_errors {
            writeln!(f, "{error}")?;
        }
        for result in &self.results {
            match &result.message {
                Some(message) => writeln!(f, "{}: {} ({message})", result.name, result.outcome)?,
                None => writeln!(f, "{}: {}", result.name, result.outcome)?,
            }
        }
        let total = self.results.len();
        writeln!(f, "PASS: {}/{total}", self.count(TestOutcome::Pass))?;
        for outcome in [TestOutcome::Fail, TestOutcome::Error] {
            let n = self.count(outcome);
            if n > 0 {
                writeln!(f, "{outcome}: {n}/{total}")?;
            }
        }
        Ok(())
    }
}

/// Loads every `*.rego` file under `dirs` (test files included) into one
/// engine and evaluates each rule whose name starts with `test_`.
///
/// A module is parsed as Rego v1 first and as v0 if that fails, because
/// many published suites still use v0 syntax. Modules that parse in
/// neither are reported in [`TestReport::load_errors`] and left out.
pub fn run_tests(dirs: &[PathBuf]) -> TestReport {
    let mut report = TestReport::default();
    let mut files = Vec::new();
    for dir in dirs {
        if let Err(err) = collect_rego_files(dir, &mut files) {
            report.load_errors.push(format!(
                "{}: failed to read directory: {err}",
                dir.display()
            ));
        }
    }

    let mut engine = Engine::new();
    // `opa test` treats built-in function errors as undefined by default.
    engine.set_strict_builtin_errors(false);
    let mut tests = Vec::new();
    for path in &files {
        let name = path.display().to_string();
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) => {
                report
                    .load_errors
                    .push(format!("{name}: failed to read: {err}"));
                continue;
            }
        };
        // `opa test` runs each definition of a repeated test name on its
        // own; in one module they would be one rule whose value is true
        // when any body succeeds, which hides a failing definition.
        let (text, renamed) = split_repeated_tests(&text);
        if let Some((function, line)) = crate::recursion::find_self_call(&text) {
            report.load_errors.push(format!(
                "{name}:{line}: function {function} calls itself, directly or through other functions; Rego does not allow recursion"
            ));
            continue;
        }
        if let Err(err) = add_module(&mut engine, &name, &text) {
            report.load_errors.push(err);
            continue;
        }
        let Some(package) = package_name(&text) else {
            continue;
        };
        for rule in test_rule_names(&text) {
            let full = format!("data.{package}.{rule}");
            let display = match renamed.iter().find(|(internal, _)| *internal == rule) {
                Some((_, shown)) => format!("data.{package}.{shown}"),
                None => full.clone(),
            };
            if !tests.iter().any(|(n, _, _)| n == &full) {
                tests.push((full, display, name.clone()));
            }
        }
    }

    for (rule, name, file) in tests {
        let mut run = engine.clone();
        let (outcome, message) = match crate::engine::eval_rule_guarded(&mut run, rule) {
            Ok(Value::Bool(true)) => (TestOutcome::Pass, None),
            Ok(_) => (TestOutcome::Fail, None),
            Err(err) => (TestOutcome::Error, Some(format_regorus_error(&file, &err))),
        };
        report.results.push(TestResult {
            name,
            file,
            outcome,
            message,
        });
    }
    report
}

/// Adds a module as Rego v1, falling back to v0. On failure returns the v1
/// error, which names the file, line and column.
fn add_module(engine: &mut Engine, name: &str, text: &str) -> Result<(), String> {
    let mut attempt = engine.clone();
    let v1_error = match attempt.add_policy(name.to_owned(), text.to_owned()) {
        Ok(_) => {
            *engine = attempt;
            return Ok(());
        }
        Err(err) => err,
    };
    let mut attempt = engine.clone();
    attempt.set_rego_v0(true);
    if attempt.add_policy(name.to_owned(), text.to_owned()).is_ok() {
        attempt.set_rego_v0(false);
        *engine = attempt;
        return Ok(());
    }
    Err(format_regorus_error(name, &v1_error))
}

/// Suffix of the internal name given to a repeated test definition.
const REPEAT_MARK: &str = "__bulwark_repeat_";

/// Renames the second and later definitions of each `test_` rule in `text`
/// to `NAME__bulwark_repeat_K`, so that each runs as its own rule. Returns
/// the new text and, for each renamed rule, its internal name and the name
/// `opa test` shows (`NAME#01` for the second definition).
fn split_repeated_tests(text: &str) -> (String, Vec<(String, String)>) {
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut renamed = Vec::new();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line.starts_with("test_") {
            out.push_str(line);
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let count = match seen.iter_mut().find(|(seen_name, _)| *seen_name == name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                seen.push((name.clone(), 0));
                0
            }
        };
        if count == 0 {
            out.push_str(line);
            continue;
        }
        let internal = format!("{name}{REPEAT_MARK}{count}");
        renamed.push((internal.clone(), format!("{name}#{count:02}")));
        out.push_str(&internal);
        out.push_str(&line[name.len()..]);
    }
    (out, renamed)
}

/// Names of rules defined at the start of a line whose name starts with
/// `test_`, in order of first definition.
fn test_rule_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with("test_") {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Collects `*.rego` files under `dir` recursively, sorted by path. A path
/// that is itself a file is collected as is.
pub(crate) fn collect_rego_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_rego_files(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "rego") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_test_names_run_apart() {
        let dir = std::env::temp_dir().join(format!("bulwark-repeat-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("repeat_test.rego"),
            "package repeat\n\ntest_e if {\n\tfalse\n}\n\ntest_e if {\n\t1 == 1\n}\n",
        )
        .unwrap();
        let report = run_tests(std::slice::from_ref(&dir));
        fs::remove_dir_all(&dir).unwrap();
        let outcomes: Vec<(&str, TestOutcome)> = report
            .results
            .iter()
            .map(|result| (result.name.as_str(), result.outcome))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                ("data.repeat.test_e", TestOutcome::Fail),
                ("data.repeat.test_e#01", TestOutcome::Pass),
            ]
        );
    }
}
