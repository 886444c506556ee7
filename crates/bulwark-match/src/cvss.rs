//! CVSS v3.0, v3.1 and v4.0 vectors: parsing, scores and qualitative
//! severity ratings.
//!
//! Version 3 base scores use the equations of section 7.1 of the CVSS v3.1
//! specification and its Roundup function (Appendix A). The v3.0 base
//! equations are the same. v3.0 defines Roundup as the smallest one-decimal
//! number not below its input, and the v3.1 function returns that number
//! without floating-point artifacts, so both versions share it.
//!
//! Version 4.0 scores follow the scoring of the CVSS v4.0 specification. The
//! vector's MacroVector (its levels in the equivalence sets EQ1 to EQ6)
//! selects a score from FIRST's MacroVector table. That score is then lowered
//! by the mean proportional severity distance to the next lower MacroVector
//! of each equivalence set. This module does that interpolation in exact
//! integer arithmetic, so its rounding needs no epsilon.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// CVSS version of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CvssVersion {
    /// CVSS v3.0.
    V3_0,
    /// CVSS v3.1.
    V3_1,
    /// CVSS v4.0.
    V4_0,
}

impl CvssVersion {
    /// Returns the version as vector prefixes and reports write it: `3.0`,
    /// `3.1` or `4.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3_0 => "3.0",
            Self::V3_1 => "3.1",
            Self::V4_0 => "4.0",
        }
    }

    fn metrics(self) -> &'static [MetricDef] {
        match self {
            Self::V3_0 | Self::V3_1 => V3_METRICS,
            Self::V4_0 => V4_METRICS,
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CVSS score from 0.0 to 10.0 with one decimal, stored in tenths so that
/// equal scores compare equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u8);

impl Score {
    /// Creates a score from tenths (`98` is 9.8). Returns `None` above 100.
    pub fn from_tenths(tenths: u8) -> Option<Self> {
        (tenths <= 100).then_some(Self(tenths))
    }

    /// Returns the score in tenths.
    pub fn tenths(self) -> u8 {
        self.0
    }

    /// Returns the score as a number from 0.0 to 10.0.
    pub fn value(self) -> f64 {
        f64::from(self.0) / 10.0
    }

    /// Returns the qualitative severity rating of the score.
    pub fn rating(self) -> Rating {
        Rating::from_score(self)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// Qualitative severity rating of a score. CVSS v3.x and v4.0 use the same
/// bands: None 0.0, Low 0.1–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical
/// 9.0–10.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    /// 0.0.
    None,
    /// 0.1 to 3.9.
    Low,
    /// 4.0 to 6.9.
    Medium,
    /// 7.0 to 8.9.
    High,
    /// 9.0 to 10.0.
    Critical,
}

impl Rating {
    /// Returns the rating of `score`.
    pub fn from_score(score: Score) -> Self {
        match score.tenths() {
            0 => Self::None,
            1..=39 => Self::Low,
            40..=69 => Self::Medium,
            70..=89 => Self::High,
            _ => Self::Critical,
        }
    }

    /// Returns the lowercase name: `none`, `low`, `medium`, `high` or
    /// `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error from parsing a CVSS vector. Every variant carries the vector as
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CvssError {
    /// The vector does not start with `CVSS:<version>/`.
    #[error(
        "invalid CVSS vector {vector:?}: it must start with \"CVSS:3.0/\", \"CVSS:3.1/\" or \"CVSS:4.0/\""
    )]
    MissingPrefix {
        /// The vector as written.
        vector: String,
    },
    /// The prefix names a version this module does not score.
    #[error(
        "invalid CVSS vector {vector:?}: version {version:?} is not supported (expected 3.0, 3.1 or 4.0)"
    )]
    UnsupportedVersion {
        /// The vector as written.
        vector: String,
        /// The version after `CVSS:`.
        version: String,
    },
    /// A part between slashes is not `METRIC:VALUE`.
    #[error("invalid CVSS vector {vector:?}: {part:?} is not a METRIC:VALUE pair")]
    MalformedMetric {
        /// The vector as written.
        vector: String,
        /// The part between slashes.
        part: String,
    },
    /// The metric does not exist in this CVSS version.
    #[error("invalid CVSS vector {vector:?}: {metric:?} is not a CVSS {version} metric")]
    UnknownMetric {
        /// The vector as written.
        vector: String,
        /// The version from the prefix.
        version: CvssVersion,
        /// The metric name as written.
        metric: String,
    },
    /// The value is not one the metric allows.
    #[error(
        "invalid CVSS vector {vector:?}: {value:?} is not a valid value of {metric} (expected one of {expected})"
    )]
    InvalidValue {
        /// The vector as written.
        vector: String,
        /// The metric name.
        metric: &'static str,
        /// The value as written.
        value: String,
        /// The allowed values, comma-separated.
        expected: String,
    },
    /// The metric appears more than once.
    #[error("invalid CVSS vector {vector:?}: metric {metric} appears more than once")]
    DuplicateMetric {
        /// The vector as written.
        vector: String,
        /// The repeated metric.
        metric: &'static str,
    },
    /// One or more base metrics are absent.
    #[error("invalid CVSS vector {vector:?}: missing base metric {missing}")]
    MissingMetrics {
        /// The vector as written.
        vector: String,
        /// The absent base metrics, comma-separated.
        missing: String,
    },
}

/// One metric of a CVSS version: its abbreviation, its values in the order
/// of the specification's tables, and whether the vector must contain it.
struct MetricDef {
    name: &'static str,
    values: &'static [&'static str],
    base: bool,
}

const fn base(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        base: true,
    }
}

const fn optional(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        base: false,
    }
}

const IMPACT: &[&str] = &["H", "L", "N"];
const MODIFIED_IMPACT: &[&str] = &["X", "H", "L", "N"];
const REQUIREMENT: &[&str] = &["X", "H", "M", "L"];

/// CVSS v3.x metrics in the order of the v3.1 specification's vector
/// string: base, temporal, environmental.
const V3_METRICS: &[MetricDef] = &[
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "R"]),
    base("S", &["U", "C"]),
    base("C", IMPACT),
    base("I", IMPACT),
    base("A", IMPACT),
    optional("E", &["X", "H", "F", "P", "U"]),
    optional("RL", &["X", "U", "W", "T", "O"]),
    optional("RC", &["X", "C", "R", "U"]),
    optional("CR", REQUIREMENT),
    optional("IR", REQUIREMENT),
    optional("AR", REQUIREMENT),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "R"]),
    optional("MS", &["X", "U", "C"]),
    optional("MC", MODIFIED_IMPACT),
    optional("MI", MODIFIED_IMPACT),
    optional("MA", MODIFIED_IMPACT),
];

/// CVSS v4.0 metrics in the order of the v4.0 specification's vector
/// string: base, threat, environmental, supplemental.
const V4_METRICS: &[MetricDef] = &[
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("AT", &["N", "P"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "P", "A"]),
    base("VC", IMPACT),
    base("VI", IMPACT),
    base("VA", IMPACT),
    base("SC", IMPACT),
    base("SI", IMPACT),
    base("SA", IMPACT),
    optional("E", &["X", "A", "P", "U"]),
    optional("CR", REQUIREMENT),
    optional("IR", REQUIREMENT),
    optional("AR", REQUIREMENT),
    optional("MAV", &["X", "N", "A", "L", "P"]),
    optional("MAC", &["X", "L", "H"]),
    optional("MAT", &["X", "N", "P"]),
    optional("MPR", &["X", "N", "L", "H"]),
    optional("MUI", &["X", "N", "P", "A"]),
    optional("MVC", MODIFIED_IMPACT),
    optional("MVI", MODIFIED_IMPACT),
    optional("MVA", MODIFIED_IMPACT),
    optional("MSC", MODIFIED_IMPACT),
    optional("MSI", &["X", "S", "H", "L", "N"]),
    optional("MSA", &["X", "S", "H", "L", "N"]),
    optional("S", &["X", "N", "P"]),
    optional("AU", &["X", "N", "Y"]),
    optional("R", &["X", "A", "U", "I"]),
    optional("V", &["X", "D", "C"]),
    optional("RE", &["X", "L", "M", "H"]),
    optional("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// A parsed and validated CVSS v3.0, v3.1 or v4.0 vector.
///
/// Metrics may appear in any order. The v4.0 specification requires the
/// order of its metric table, but published advisories contain reordered
/// vectors, and the order does not change the score.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CvssVector {
    version: CvssVersion,
    /// Value of each metric of `version.metrics()`, by the same index;
    /// `None` where the vector omits the metric.
    values: Vec<Option<&'static str>>,
}

impl CvssVector {
    /// Parses a vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`
    /// or `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N`.
    pub fn parse(vector: &str) -> Result<Self, CvssError> {
        let mut parts = vector.split('/');
        let prefix = parts.next().unwrap_or_default();
        let Some(version_text) = prefix.strip_prefix("CVSS:") else {
            return Err(CvssError::MissingPrefix {
                vector: vector.to_owned(),
            });
        };
        let version = match version_text {
            "3.0" => CvssVersion::V3_0,
            "3.1" => CvssVersion::V3_1,
            "4.0" => CvssVersion::V4_0,
            _ => {
                return Err(CvssError::UnsupportedVersion {
                    vector: vector.to_owned(),
                    version: version_text.to_owned(),
                });
            }
        };
        let defs = version.metrics();
        let mut values: Vec<Option<&'static str>> = vec![None; defs.len()];
        for part in parts {
            let Some((name, value)) = part.split_once(':') else {
                return Err(CvssError::MalformedMetric {
                    vector: vector.to_owned(),
                    part: part.to_owned(),
                });
            };
            let Some(index) = defs.iter().position(|def| def.name == name) else {
                return Err(CvssError::UnknownMetric {
                    vector: vector.to_owned(),
                    version,
                    metric: name.to_owned(),
                });
            };
            let def = &defs[index];
            let Some(&canonical) = def.values.iter().find(|allowed| **allowed == value) else {
                return Err(CvssError::InvalidValue {
                    vector: vector.to_owned(),
                    metric: def.name,
                    value: value.to_owned(),
                    expected: def.values.join(", "),
                });
            };
            if values[index].is_some() {
                return Err(CvssError::DuplicateMetric {
                    vector: vector.to_owned(),
                    metric: def.name,
                });
            }
            values[index] = Some(canonical);
        }
        let missing: Vec<&str> = defs
            .iter()
            .zip(&values)
            .filter(|(def, value)| def.base && value.is_none())
            .map(|(def, _)| def.name)
            .collect();
        if !missing.is_empty() {
            return Err(CvssError::MissingMetrics {
                vector: vector.to_owned(),
                missing: missing.join(", "),
            });
        }
        Ok(Self { version, values })
    }

    /// Returns the CVSS version.
    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// Returns the value of `metric` as written, or `None` when the vector
    /// omits it or the version has no such metric.
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        let index = self
            .version
            .metrics()
            .iter()
            .position(|def| def.name == metric)?;
        self.values[index]
    }

    /// Returns the score of the vector.
    ///
    /// For v3.x this is the base score: temporal and environmental metrics
    /// are validated but do not change it. For v4.0 there is one score, and
    /// it takes every metric the vector contains into account, as the v4.0
    /// specification defines (CVSS-B for a base-only vector, CVSS-BT,
    /// CVSS-BE or CVSS-BTE when threat or environmental metrics are
    /// present).
    pub fn score(&self) -> Score {
        match self.version {
            CvssVersion::V3_0 | CvssVersion::V3_1 => self.v3_base_score(),
            CvssVersion::V4_0 => self.v4_score(),
        }
    }

    /// Returns the qualitative severity rating of [`Self::score`].
    pub fn rating(&self) -> Rating {
        self.score().rating()
    }

    /// Returns the value of a metric that parsing guarantees, or `X` for an
    /// absent optional one.
    fn value(&self, metric: &str) -> &'static str {
        self.get(metric).unwrap_or("X")
    }

    fn v3_base_score(&self) -> Score {
        let scope_changed = self.value("S") == "C";
        let attack_vector: f64 = match self.value("AV") {
            "N" => 0.85,
            "A" => 0.62,
            "L" => 0.55,
            _ => 0.2,
        };
        let attack_complexity = match self.value("AC") {
            "L" => 0.77,
            _ => 0.44,
        };
        let privileges_required = match (self.value("PR"), scope_changed) {
            ("N", _) => 0.85,
            ("L", false) => 0.62,
            ("L", true) => 0.68,
            (_, false) => 0.27,
            (_, true) => 0.5,
        };
        let user_interaction = match self.value("UI") {
            "N" => 0.85,
            _ => 0.62,
        };

        let impact_weight = |metric| -> f64 {
            match self.value(metric) {
                "H" => 0.56,
                "L" => 0.22,
                _ => 0.0,
            }
        };
        let impact_sub_score: f64 = 1.0
            - (1.0 - impact_weight("C")) * (1.0 - impact_weight("I")) * (1.0 - impact_weight("A"));
        let impact: f64 = if scope_changed {
            7.52 * (impact_sub_score - 0.029) - 3.25 * (impact_sub_score - 0.02).powi(15)
        } else {
            6.42 * impact_sub_score
        };
        if impact <= 0.0 {
            return Score(0);
        }

        let exploitability =
            8.22 * attack_vector * attack_complexity * privileges_required * user_interaction;
        let base = if scope_changed {
            (1.08 * (impact + exploitability)).min(10.0)
        } else {
            (impact + exploitability).min(10.0)
        };
        roundup(base)
    }

    /// Returns the value that the v4.0 scoring uses for a metric: the
    /// modified metric when the vector sets it, the highest-severity default
    /// for an unset threat metric (`E:A`) or security requirement (`H`), and
    /// the base value otherwise.
    fn v4_effective(&self, metric: &str) -> &'static str {
        match metric {
            "E" => match self.value("E") {
                "X" => "A",
                value => value,
            },
            "CR" | "IR" | "AR" => match self.value(metric) {
                "X" => "H",
                value => value,
            },
            _ => {
                let modified = match metric {
                    "AV" => "MAV",
                    "AC" => "MAC",
                    "AT" => "MAT",
                    "PR" => "MPR",
                    "UI" => "MUI",
                    "VC" => "MVC",
                    "VI" => "MVI",
                    "VA" => "MVA",
                    "SC" => "MSC",
                    "SI" => "MSI",
                    "SA" => "MSA",
                    _ => "",
                };
                match self.get(modified) {
                    Some(value) if value != "X" => value,
                    _ => self.value(metric),
                }
            }
        }
    }

    /// Returns the MacroVector: the level of the vector in each of the
    /// equivalence sets EQ1 to EQ6.
    fn v4_macro_vector(&self) -> MacroVector {
        let m = |metric| self.v4_effective(metric);
        let eq1 = if m("AV") == "N" && m("PR") == "N" && m("UI") == "N" {
            0
        } else if (m("AV") == "N" || m("PR") == "N" || m("UI") == "N") && m("AV") != "P" {
            1
        } else {
            2
        };
        let eq2 = if m("AC") == "L" && m("AT") == "N" {
            0
        } else {
            1
        };
        let eq3 = if m("VC") == "H" && m("VI") == "H" {
            0
        } else if m("VC") == "H" || m("VI") == "H" || m("VA") == "H" {
            1
        } else {
            2
        };
        // Only MSI and MSA can take the value S (safety).
        let eq4 = if m("SI") == "S" || m("SA") == "S" {
            0
        } else if m("SC") == "H" || m("SI") == "H" || m("SA") == "H" {
            1
        } else {
            2
        };
        let eq5 = match m("E") {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = if (m("CR") == "H" && m("VC") == "H")
            || (m("IR") == "H" && m("VI") == "H")
            || (m("AR") == "H" && m("VA") == "H")
        {
            0
        } else {
            1
        };
        MacroVector([eq1, eq2, eq3, eq4, eq5, eq6])
    }

    fn v4_score(&self) -> Score {
        const IMPACT_METRICS: [&str; 6] = ["VC", "VI", "VA", "SC", "SI", "SA"];
        if IMPACT_METRICS
            .iter()
            .all(|metric| self.v4_effective(metric) == "N")
        {
            return Score(0);
        }

        let macro_vector = self.v4_macro_vector();
        let [eq1, eq2, eq3, eq4, eq5, eq6] = macro_vector.0;
        // Every parsed vector has a MacroVector in the table: EQ3 level 2
        // (no high impact) always comes with EQ6 level 1.
        let Some(value) = macro_vector.score() else {
            return Score(0);
        };

        // The score of the next lower MacroVector in each equivalence
        // set, when one exists. EQ3 and EQ6 are lowered together: from 00
        // both 01 and 10 are one step lower and the higher score counts.
        let lower = |levels: [u8; 6]| MacroVector(levels).score();
        let eq3eq6_lower = match (eq3, eq6) {
            (0, 0) => {
                match (
                    lower([eq1, eq2, 0, eq4, eq5, 1]),
                    lower([eq1, eq2, 1, eq4, eq5, 0]),
                ) {
                    (Some(left), Some(right)) => Some(left.max(right)),
                    (_, right) => right,
                }
            }
            (0 | 1, 1) => lower([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
            (1, 0) => lower([eq1, eq2, eq3, eq4, eq5, eq6 + 1]),
            _ => None,
        };
        let lower_scores = [
            lower([eq1 + 1, eq2, eq3, eq4, eq5, eq6]),
            lower([eq1, eq2 + 1, eq3, eq4, eq5, eq6]),
            eq3eq6_lower,
            lower([eq1, eq2, eq3, eq4 + 1, eq5, eq6]),
            lower([eq1, eq2, eq3, eq4, eq5 + 1, eq6]),
        ];

        // The severity distance from the first highest-severity vector
        // of the MacroVector that is at least as severe in every metric.
        let distances = self.v4_severity_distances(macro_vector);

        // Each available score difference times the proportion of
        // the MacroVector's depth that the distance covers. EQ5 counts in
        // the mean but always contributes 0. The depths divide 840, so the
        // sum is exact in units of 1/840 tenth.
        const COMMON_DENOMINATOR: i64 = 840;
        let depths = [
            EQ1_DEPTH[usize::from(eq1)],
            EQ2_DEPTH[usize::from(eq2)],
            EQ3EQ6_DEPTH[usize::from(eq3)][usize::from(eq6)],
            EQ4_DEPTH[usize::from(eq4)],
        ];
        let value = i64::from(value);
        let mut lower_count: i64 = 0;
        let mut sum: i64 = 0;
        for (set, lower_score) in lower_scores.iter().enumerate() {
            let Some(lower_score) = lower_score else {
                continue;
            };
            lower_count += 1;
            if let Some(&depth) = depths.get(set) {
                let available = value - i64::from(*lower_score);
                sum += available * distances[set] * (COMMON_DENOMINATOR / depth);
            }
        }

        // The MacroVector score minus the mean, clamped to 0..10 and
        // rounded half up to one decimal.
        if lower_count == 0 {
            return Score(value as u8);
        }
        let denominator = COMMON_DENOMINATOR * lower_count;
        let numerator = (value * denominator - sum).clamp(0, 100 * denominator);
        let tenths = (2 * numerator + denominator) / (2 * denominator);
        Score(tenths as u8)
    }

    /// Returns the severity distances, in steps of one level, of the vector
    /// from the highest-severity vector of its MacroVector for EQ1, EQ2,
    /// EQ3 with EQ6, and EQ4.
    fn v4_severity_distances(&self, macro_vector: MacroVector) -> [i64; 4] {
        let [eq1, eq2, eq3, eq4, _, eq6] = macro_vector.0;
        let eq3eq6_max: &[&str] = match (eq3, eq6) {
            (0, 0) => &EQ3EQ6_00_MAX,
            (0, _) => &EQ3EQ6_01_MAX,
            (1, 0) => &EQ3EQ6_10_MAX,
            (1, _) => &EQ3EQ6_11_MAX,
            _ => &EQ3EQ6_21_MAX,
        };
        let own_levels: Vec<(&str, i64)> = DISTANCE_METRICS
            .iter()
            .map(|metric| (*metric, severity_level(metric, self.v4_effective(metric))))
            .collect();

        let mut distances = [0; 4];
        'candidates: for eq1_max in EQ1_MAX[usize::from(eq1)] {
            for eq2_max in EQ2_MAX[usize::from(eq2)] {
                for eq3eq6_max in eq3eq6_max {
                    let eq4_max = EQ4_MAX[usize::from(eq4)];
                    let candidate = [*eq1_max, *eq2_max, *eq3eq6_max, eq4_max];
                    let mut all_reachable = true;
                    for (set, parts) in candidate.iter().enumerate() {
                        distances[set] = 0;
                        for part in parts.split('/') {
                            let (metric, max_value) = part.split_once(':').unwrap_or((part, ""));
                            let own = own_levels
                                .iter()
                                .find(|(name, _)| *name == metric)
                                .map_or(0, |(_, level)| *level);
                            let distance = own - severity_level(metric, max_value);
                            all_reachable &= distance >= 0;
                            distances[set] += distance;
                        }
                    }
                    // The first candidate that is at least as severe in
                    // every metric wins. Should none be, the last one
                    // tried is used, as FIRST's calculator does.
                    if all_reachable {
                        break 'candidates;
                    }
                }
            }
        }
        distances
    }
}

impl FromStr for CvssVector {
    type Err = CvssError;

    fn from_str(vector: &str) -> Result<Self, Self::Err> {
        Self::parse(vector)
    }
}

/// Writes the vector with its metrics in the specification's order.
impl fmt::Display for CvssVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CVSS:{}", self.version)?;
        for (def, value) in self.version.metrics().iter().zip(&self.values) {
            if let Some(value) = value {
                write!(f, "/{}:{value}", def.name)?;
            }
        }
        Ok(())
    }
}

/// Implements the CVSS v3.1 Roundup function (Appendix A of the v3.1
/// specification) and returns the result in tenths. The input is scaled to
/// an integer first so that floating-point noise such as 4.000000000000001
/// rounds to 4.0 and not 4.1.
fn roundup(input: f64) -> Score {
    let scaled = (input * 100_000.0).round() as u64;
    let tenths = if scaled.is_multiple_of(10_000) {
        scaled / 10_000
    } else {
        scaled / 10_000 + 1
    };
    Score(tenths.min(100) as u8)
}

/// Levels of the six equivalence sets EQ1 to EQ6 of a CVSS v4.0 vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MacroVector([u8; 6]);

impl MacroVector {
    /// Returns the MacroVector's score in tenths, or `None` when the
    /// combination of levels does not exist.
    fn score(self) -> Option<u8> {
        let mut code = [0u8; 6];
        for (digit, level) in code.iter_mut().zip(self.0) {
            *digit = b'0' + level;
        }
        let code = std::str::from_utf8(&code).ok()?;
        MACRO_VECTOR_SCORES
            .binary_search_by(|(entry, _)| (*entry).cmp(code))
            .ok()
            .map(|index| MACRO_VECTOR_SCORES[index].1)
    }
}

/// Metrics whose severity distance v4.0 scoring measures.
const DISTANCE_METRICS: [&str; 14] = [
    "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
];

/// Returns the severity level of a metric value in steps from the most
/// severe value (0), as v4.0 scoring counts severity distances. Subsequent
/// system impacts start at 1 because only MSI and MSA can be S (safety).
fn severity_level(metric: &str, value: &str) -> i64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 2,
        ("AV", "P") => 3,
        ("VC" | "VI" | "VA" | "CR" | "IR" | "AR", "H") => 0,
        ("VC" | "VI" | "VA", "L") | ("CR" | "IR" | "AR", "M") => 1,
        ("VC" | "VI" | "VA", "N") | ("CR" | "IR" | "AR", "L") => 2,
        ("SI" | "SA", "S") => 0,
        ("SC" | "SI" | "SA", "H") => 1,
        ("SC" | "SI" | "SA", "L") => 2,
        ("SC" | "SI" | "SA", "N") => 3,
        _ => 0,
    }
}

// Highest-severity vectors of each equivalence-set level, and the depth of
// each level (the max severity distance within it, plus one), as the v4.0
// specification defines them and FIRST's reference calculator publishes
// them.

const EQ1_MAX: [&[&str]; 3] = [
    &["AV:N/PR:N/UI:N"],
    &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
];
const EQ2_MAX: [&[&str]; 2] = [&["AC:L/AT:N"], &["AC:H/AT:N", "AC:L/AT:P"]];
const EQ3EQ6_00_MAX: [&str; 1] = ["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"];
const EQ3EQ6_01_MAX: [&str; 2] = [
    "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
    "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
];
const EQ3EQ6_10_MAX: [&str; 2] = [
    "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
    "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
];
const EQ3EQ6_11_MAX: [&str; 5] = [
    "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
    "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
    "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
    "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
    "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
];
const EQ3EQ6_21_MAX: [&str; 1] = ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"];
const EQ4_MAX: [&str; 3] = ["SC:H/SI:S/SA:S", "SC:H/SI:H/SA:H", "SC:L/SI:L/SA:L"];

const EQ1_DEPTH: [i64; 3] = [1, 4, 5];
const EQ2_DEPTH: [i64; 2] = [1, 2];
/// By EQ3 level, then EQ6 level. EQ3 level 2 with EQ6 level 0 does not
/// occur.
const EQ3EQ6_DEPTH: [[i64; 2]; 3] = [[7, 6], [8, 8], [10, 10]];
const EQ4_DEPTH: [i64; 3] = [6, 5, 4];

/// Score in tenths of every CVSS v4.0 MacroVector, keyed by its EQ1 to EQ6
/// levels and sorted by key. These are the values FIRST published with
/// CVSS v4.0 (the `cvssLookup` table of the FIRST and Red Hat
/// cvss-v4-calculator, Copyright (c) 2023 FIRST, Red Hat, and contributors,
/// BSD-2-Clause).
#[rustfmt::skip]
const MACRO_VECTOR_SCORES: [(&str, u8); 270] = [
    ("000000", 100), ("000001", 99), ("000010", 98), ("000011", 95), ("000020", 95), ("000021", 92),
    ("000100", 100), ("000101", 96), ("000110", 93), ("000111", 87), ("000120", 91), ("000121", 81),
    ("000200", 93), ("000201", 90), ("000210", 89), ("000211", 80), ("000220", 81), ("000221", 68),
    ("001000", 98), ("001001", 95), ("001010", 95), ("001011", 92), ("001020", 90), ("001021", 84),
    ("001100", 93), ("001101", 92), ("001110", 89), ("001111", 81), ("001120", 81), ("001121", 65),
    ("001200", 88), ("001201", 80), ("001210", 78), ("001211", 70), ("001220", 69), ("001221", 48),
    ("002001", 92), ("002011", 82), ("002021", 72), ("002101", 79), ("002111", 69), ("002121", 50),
    ("002201", 69), ("002211", 55), ("002221", 27), ("010000", 99), ("010001", 97), ("010010", 95),
    ("010011", 92), ("010020", 92), ("010021", 85), ("010100", 95), ("010101", 91), ("010110", 90),
    ("010111", 83), ("010120", 84), ("010121", 71), ("010200", 92), ("010201", 81), ("010210", 82),
    ("010211", 71), ("010220", 72), ("010221", 53), ("011000", 95), ("011001", 93), ("011010", 92),
    ("011011", 85), ("011020", 85), ("011021", 73), ("011100", 92), ("011101", 82), ("011110", 80),
    ("011111", 72), ("011120", 70), ("011121", 59), ("011200", 84), ("011201", 70), ("011210", 71),
    ("011211", 52), ("011220", 50), ("011221", 30), ("012001", 86), ("012011", 75), ("012021", 52),
    ("012101", 71), ("012111", 52), ("012121", 29), ("012201", 63), ("012211", 29), ("012221", 17),
    ("100000", 98), ("100001", 95), ("100010", 94), ("100011", 87), ("100020", 91), ("100021", 81),
    ("100100", 94), ("100101", 89), ("100110", 86), ("100111", 74), ("100120", 77), ("100121", 64),
    ("100200", 87), ("100201", 75), ("100210", 74), ("100211", 63), ("100220", 63), ("100221", 49),
    ("101000", 94), ("101001", 89), ("101010", 88), ("101011", 77), ("101020", 76), ("101021", 67),
    ("101100", 86), ("101101", 76), ("101110", 74), ("101111", 58), ("101120", 59), ("101121", 50),
    ("101200", 72), ("101201", 57), ("101210", 57), ("101211", 52), ("101220", 52), ("101221", 25),
    ("102001", 83), ("102011", 70), ("102021", 54), ("102101", 65), ("102111", 58), ("102121", 26),
    ("102201", 53), ("102211", 21), ("102221", 13), ("110000", 95), ("110001", 90), ("110010", 88),
    ("110011", 76), ("110020", 76), ("110021", 70), ("110100", 90), ("110101", 77), ("110110", 75),
    ("110111", 62), ("110120", 61), ("110121", 53), ("110200", 77), ("110201", 66), ("110210", 68),
    ("110211", 59), ("110220", 52), ("110221", 30), ("111000", 89), ("111001", 78), ("111010", 76),
    ("111011", 67), ("111020", 62), ("111021", 58), ("111100", 74), ("111101", 59), ("111110", 57),
    ("111111", 57), ("111120", 47), ("111121", 23), ("111200", 61), ("111201", 52), ("111210", 57),
    ("111211", 29), ("111220", 24), ("111221", 16), ("112001", 71), ("112011", 59), ("112021", 30),
    ("112101", 58), ("112111", 26), ("112121", 15), ("112201", 23), ("112211", 13), ("112221", 6),
    ("200000", 93), ("200001", 87), ("200010", 86), ("200011", 72), ("200020", 75), ("200021", 58),
    ("200100", 86), ("200101", 74), ("200110", 74), ("200111", 61), ("200120", 56), ("200121", 34),
    ("200200", 70), ("200201", 54), ("200210", 52), ("200211", 40), ("200220", 40), ("200221", 22),
    ("201000", 85), ("201001", 75), ("201010", 74), ("201011", 55), ("201020", 62), ("201021", 51),
    ("201100", 72), ("201101", 57), ("201110", 55), ("201111", 41), ("201120", 46), ("201121", 19),
    ("201200", 53), ("201201", 36), ("201210", 34), ("201211", 19), ("201220", 19), ("201221", 8),
    ("202001", 64), ("202011", 51), ("202021", 20), ("202101", 47), ("202111", 21), ("202121", 11),
    ("202201", 24), ("202211", 9), ("202221", 4), ("210000", 88), ("210001", 75), ("210010", 73),
    ("210011", 53), ("210020", 60), ("210021", 50), ("210100", 73), ("210101", 55), ("210110", 59),
    ("210111", 40), ("210120", 41), ("210121", 20), ("210200", 54), ("210201", 43), ("210210", 45),
    ("210211", 22), ("210220", 20), ("210221", 11), ("211000", 75), ("211001", 55), ("211010", 58),
    ("211011", 45), ("211020", 40), ("211021", 21), ("211100", 61), ("211101", 51), ("211110", 48),
    ("211111", 18), ("211120", 20), ("211121", 9), ("211200", 46), ("211201", 18), ("211210", 17),
    ("211211", 7), ("211220", 8), ("211221", 2), ("212001", 53), ("212011", 24), ("212021", 14),
    ("212101", 24), ("212111", 12), ("212121", 5), ("212201", 10), ("212211", 3), ("212221", 1),
];

#[cfg(test)]
mod tests {
    use super::*;

    const V31: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    const V40: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

    fn rejection(vector: &str) -> CvssError {
        CvssVector::parse(vector).expect_err("vector is invalid")
    }

    #[test]
    fn macro_vector_table_is_complete() {
        let mut expected = Vec::new();
        for eq1 in 0..3u8 {
            for eq2 in 0..2u8 {
                for eq3 in 0..3u8 {
                    for eq4 in 0..3u8 {
                        for eq5 in 0..3u8 {
                            for eq6 in 0..2u8 {
                                if eq3 == 2 && eq6 == 0 {
                                    continue;
                                }
                                expected.push(format!("{eq1}{eq2}{eq3}{eq4}{eq5}{eq6}"));
                            }
                        }
                    }
                }
            }
        }
        let keys: Vec<String> = MACRO_VECTOR_SCORES
            .iter()
            .map(|(key, _)| (*key).to_owned())
            .collect();
        assert_eq!(
            keys, expected,
            "keys must be every level combination, sorted"
        );
        assert!(
            MACRO_VECTOR_SCORES
                .iter()
                .all(|(_, score)| (1..=100).contains(score))
        );
    }

    #[test]
    fn parse_accepts_any_metric_order() {
        let reordered = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N";
        let parsed = CvssVector::parse(reordered).expect("valid vector");
        assert_eq!(parsed, CvssVector::parse(V40).expect("valid vector"));
        assert_eq!(parsed.to_string(), V40);
    }

    #[test]
    fn display_keeps_optional_metrics() {
        let vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C";
        let parsed = CvssVector::parse(vector).expect("valid vector");
        assert_eq!(parsed.to_string(), vector);
        assert_eq!(parsed.get("E"), Some("P"));
        assert_eq!(parsed.get("MAV"), None);
        assert_eq!(parsed.version(), CvssVersion::V3_1);
    }

    #[test]
    fn parse_rejects_missing_prefix() {
        assert!(matches!(
            rejection("AV:N/AC:L/Au:N/C:P/I:P/A:P"),
            CvssError::MissingPrefix { .. }
        ));
        assert!(matches!(rejection(""), CvssError::MissingPrefix { .. }));
    }

    #[test]
    fn parse_rejects_unsupported_version() {
        let error = rejection("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P");
        assert!(
            matches!(error, CvssError::UnsupportedVersion { ref version, .. } if version == "2.0")
        );
        assert!(error.to_string().contains("expected 3.0, 3.1 or 4.0"));
    }

    #[test]
    fn parse_rejects_malformed_part() {
        let error = rejection("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/");
        assert!(matches!(error, CvssError::MalformedMetric { ref part, .. } if part.is_empty()));
        let error = rejection("CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert!(matches!(error, CvssError::MalformedMetric { ref part, .. } if part == "AVN"));
    }

    #[test]
    fn parse_rejects_unknown_metric() {
        // AT is a v4.0 metric, not a v3.1 one.
        let error = rejection("CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert!(matches!(error, CvssError::UnknownMetric { ref metric, .. } if metric == "AT"));
        assert!(error.to_string().contains("is not a CVSS 3.1 metric"));
    }

    #[test]
    fn parse_rejects_invalid_value() {
        let error = rejection("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
        assert!(matches!(
            error,
            CvssError::InvalidValue { metric: "UI", ref value, .. } if value == "R"
        ));
        assert!(error.to_string().contains("expected one of N, P, A"));
        // Values are case-sensitive.
        assert!(matches!(
            rejection("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            CvssError::InvalidValue { metric: "AV", .. }
        ));
        // S (safety) is a value of MSI and MSA only.
        assert!(matches!(
            rejection("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N"),
            CvssError::InvalidValue { metric: "SI", .. }
        ));
    }

    #[test]
    fn parse_rejects_duplicate_metric() {
        let error = rejection(&format!("{V31}/AV:L"));
        assert!(matches!(
            error,
            CvssError::DuplicateMetric { metric: "AV", .. }
        ));
    }

    #[test]
    fn parse_rejects_missing_base_metrics() {
        let error = rejection("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H");
        assert!(
            matches!(error, CvssError::MissingMetrics { ref missing, .. } if missing == "S, A")
        );
        assert!(error.to_string().contains("missing base metric S, A"));
        assert!(matches!(
            rejection("CVSS:4.0"),
            CvssError::MissingMetrics { .. }
        ));
    }

    #[test]
    fn error_names_the_vector() {
        let vector = "CVSS:3.1/AV:N/AC:Z/PR:N/UI:N/S:U/C:H/I:H/A:H";
        assert!(rejection(vector).to_string().contains(vector));
    }

    #[test]
    fn rating_bands() {
        let rating = |tenths| Score::from_tenths(tenths).expect("score in range").rating();
        assert_eq!(rating(0), Rating::None);
        assert_eq!(rating(1), Rating::Low);
        assert_eq!(rating(39), Rating::Low);
        assert_eq!(rating(40), Rating::Medium);
        assert_eq!(rating(69), Rating::Medium);
        assert_eq!(rating(70), Rating::High);
        assert_eq!(rating(89), Rating::High);
        assert_eq!(rating(90), Rating::Critical);
        assert_eq!(rating(100), Rating::Critical);
        assert_eq!(Score::from_tenths(101), None);
    }

    #[test]
    fn score_display() {
        let score = |tenths| {
            Score::from_tenths(tenths)
                .expect("score in range")
                .to_string()
        };
        assert_eq!(score(0), "0.0");
        assert_eq!(score(98), "9.8");
        assert_eq!(score(100), "10.0");
    }

    #[test]
    fn roundup_ignores_float_noise() {
        // Appendix A of the v3.1 specification: 4.000000000000001 rounds up
        // to 4.0, 4.02 to 4.1.
        assert_eq!(roundup(4.000_000_000_000_001).tenths(), 40);
        assert_eq!(roundup(4.02).tenths(), 41);
        assert_eq!(roundup(4.0).tenths(), 40);
    }
}
