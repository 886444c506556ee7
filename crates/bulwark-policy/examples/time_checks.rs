//! Times each built-in check alone on the documents of one input kind under
//! a directory, to find the checks that dominate evaluation time. Each check
//! runs in its own regorus engine with only the helper modules loaded, so
//! helper rules are computed once per check and document, as they would be
//! if that check were the only one of its kind.
//!
//! Usage: `cargo run --release -p bulwark-policy --example time_checks -- KIND DIR`
//! where KIND is an input kind such as `dockerfile` or `kubernetes`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bulwark_policy::PolicySet;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(kind), Some(root)) = (args.next(), args.next()) else {
        eprintln!("usage: time_checks KIND DIR");
        std::process::exit(2);
    };
    let checks_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
    let helpers: Vec<(String, String)> = read_dir_rego(&checks_dir.join("lib"));

    let set = PolicySet::builtin().expect("built-in checks load");
    let tree = bulwark_iac::scan_tree(&PathBuf::from(root));
    let inputs: Vec<regorus::Value> = tree
        .results
        .into_iter()
        .filter_map(Result::ok)
        .filter(|file| file.kind.as_str() == kind)
        .flat_map(|file| file.documents)
        .map(|document| regorus::Value::from(document.input))
        .collect();

    let mut timings: Vec<(Duration, String, usize)> = Vec::new();
    for check in set.catalogue() {
        if !check.inputs.contains(&kind) {
            continue;
        }
        let path = checks_dir.join(check.source.trim_start_matches("checks/"));
        let text = std::fs::read_to_string(&path).expect("check source is readable");
        let mut engine = regorus::Engine::new();
        engine.set_strict_builtin_errors(false);
        for (name, helper) in &helpers {
            engine
                .add_policy(name.clone(), helper.clone())
                .expect("helper loads");
        }
        engine
            .add_policy(check.source.clone(), text)
            .expect("check loads");
        let rule = format!("data.{}.deny", check.package);
        let mut findings = 0;
        let start = Instant::now();
        for input in &inputs {
            engine.set_input(input.clone());
            let value = engine.eval_rule(rule.clone()).expect("check evaluates");
            if let Ok(set) = value.as_set() {
                findings += set.len();
            }
        }
        timings.push((start.elapsed(), check.id.clone(), findings));
    }
    timings.sort();
    timings.reverse();
    let total: Duration = timings.iter().map(|(time, ..)| *time).sum();
    for (time, id, findings) in &timings {
        println!("{:>10.2?} {findings:6} {id}", time);
    }
    println!("{total:>10.2?} total for {} documents", inputs.len());
}

fn read_dir_rego(dir: &Path) -> Vec<(String, String)> {
    let mut modules = Vec::new();
    for entry in std::fs::read_dir(dir).expect("helper directory is readable") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|ext| ext == "rego") {
            let text = std::fs::read_to_string(&path).expect("helper is readable");
            modules.push((path.display().to_string(), text));
        }
    }
    modules.sort();
    modules
}
