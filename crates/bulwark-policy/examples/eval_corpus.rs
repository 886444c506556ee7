//! Parses a directory tree with bulwark-iac and evaluates every built-in
//! check on it, printing timings to stderr and a findings summary to stdout.
//!
//! Usage: `cargo run --release -p bulwark-policy --example eval_corpus -- DIR`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use bulwark_policy::PolicySet;

fn main() {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: eval_corpus DIR");
        std::process::exit(2);
    };

    let start = Instant::now();
    let set = PolicySet::builtin().expect("built-in checks load");
    let load = start.elapsed();

    let start = Instant::now();
    let tree = bulwark_iac::scan_tree(&root);
    let parse = start.elapsed();
    let files: Vec<_> = tree.results.into_iter().filter_map(Result::ok).collect();
    let documents: usize = files.iter().map(|f| f.documents.len()).sum();

    let start = Instant::now();
    let results = set.evaluate_all(&files);
    let evaluate = start.elapsed();

    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut errors = 0;
    for result in &results {
        errors += result.errors.len();
        for error in &result.errors {
            eprintln!("error: {error}");
        }
        for finding in &result.findings {
            *by_rule.entry(finding.rule_id.as_str()).or_default() += 1;
        }
    }
    for (rule, count) in &by_rule {
        println!("{count:6} {rule}");
    }
    eprintln!(
        "{} files, {documents} documents, {} findings, {errors} errors; \
         load {load:.2?}, parse {parse:.2?}, evaluate {evaluate:.2?}",
        files.len(),
        by_rule.values().sum::<usize>()
    );
}
