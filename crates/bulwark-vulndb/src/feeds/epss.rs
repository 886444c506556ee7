//! EPSS scores in FIRST's CSV format: a `#model_version:...,score_date:...`
//! comment line, the header `cve,epss,percentile`, then one line per CVE.

use std::path::Path;

use super::{EpssScore, FeedConverter, FeedError, Record, RecordError};

/// Reads EPSS score files.
#[derive(Debug, Default, Clone, Copy)]
pub struct EpssConverter;

impl FeedConverter for EpssConverter {
    fn name(&self) -> &'static str {
        "epss"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.lines();
        let first = lines.next().unwrap_or_default();
        first.starts_with("#model_version") || first.trim() == "cve,epss,percentile"
    }

    fn convert(
        &self,
        _path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        let text = std::str::from_utf8(data)
            .map_err(|e| FeedError::new(format!("EPSS file is not UTF-8: {e}")))?;
        let mut lines = text.lines().enumerate().peekable();
        let mut date = None;
        while let Some((_, line)) = lines.next_if(|(_, line)| line.starts_with('#')) {
            date = date.or_else(|| score_date(line));
        }
        let date = date.ok_or_else(|| {
            FeedError::new("missing score_date: expected a first line like #model_version:...,score_date:2025-02-20T00:00:00+0000")
        })?;
        match lines.next() {
            Some((_, header)) if header.trim() == "cve,epss,percentile" => {}
            Some((number, header)) => {
                return Err(FeedError::new(format!(
                    "line {}: invalid header {:?}; expected \"cve,epss,percentile\"",
                    number + 1,
                    header.chars().take(80).collect::<String>()
                )));
            }
            None => {
                return Err(FeedError::new(
                    "missing the header line cve,epss,percentile",
                ));
            }
        }
        for (number, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            sink(
                parse_line(line, &date)
                    .map_err(|reason| RecordError::new(format!("line {}", number + 1), reason)),
            );
        }
        Ok(())
    }
}

/// Reads the date from `#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000`.
fn score_date(line: &str) -> Option<String> {
    let value = line
        .trim_start_matches('#')
        .split(',')
        .find_map(|field| field.trim().strip_prefix("score_date:"))?;
    let date = value.get(..10)?;
    crate::time::parse_rfc3339(date).map(|_| date.to_owned())
}

fn parse_line(line: &str, date: &str) -> Result<Record, String> {
    let fields: Vec<&str> = line.trim().split(',').collect();
    let [cve, score, percentile] = fields[..] else {
        return Err(format!("expected 3 fields, found {}", fields.len()));
    };
    if !cve.starts_with("CVE-") {
        return Err(format!("{cve:?} is not a CVE id"));
    }
    let probability = |text: &str, what: &str| -> Result<f64, String> {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|value| (0.0..=1.0).contains(value))
            .ok_or_else(|| format!("{cve}: invalid {what} {text:?}; expected a number from 0 to 1"))
    };
    Ok(Record::Epss(EpssScore {
        cve: cve.to_owned(),
        score: probability(score, "score")?,
        percentile: probability(percentile, "percentile")?,
        date: date.to_owned(),
    }))
}
