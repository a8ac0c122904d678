//! Publish: disclosure control and the submission in DfE Explore Education Statistics
//! format (tidy CSV + `.meta.csv`, `domain.md` §3–4).
//!
//! [`absence_table`] turns the absence measure's rows into published rows: rates and
//! intervals from the stats crate, then primary suppression ([`DisclosureRules`]: a
//! non-zero pupil count of 1–5 becomes `c`, and so does every figure derived from
//! it), secondary suppression across the groups that add up ([`ADDITIVE_GROUPS`]),
//! `z` for a zero denominator and `x` where the measure was not collected. Every
//! suppressed cell is logged with its reason. [`write_ees`] writes the files.
//! Only aggregates pass through here: the input is one row per year and group.
//!
//! ```
//! use cwsw_publish::{Cell, DisclosureRules};
//! let rules = DisclosureRules::default();
//! assert_eq!(rules.count(3), Cell::Suppressed);
//! assert_eq!(rules.count(0), Cell::Value("0".to_string()));
//! ```

mod la;

pub use arrow::array::RecordBatch;
pub use la::{LOCAL_AUTHORITIES, LocalAuthority, local_authority};

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use cwsw_dictionary::AcademicYear;
use cwsw_dictionary::matrix::{MATRIX_KEY, Matrix};
use cwsw_stats::{Interval, RatioSums, ratio_interval, wilson};

/// What can go wrong publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A measure file could not be read as Parquet.
    #[error("{path}: reading Parquet")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A measure file carries no matrix: it was not written by `cwsw run` of this version.
    #[error(
        "{path}: no matrix ({MATRIX_KEY} in its Parquet metadata) says which years and groups it covers and which cells are x\nhint: write the measures again with `cwsw run`"
    )]
    NoMatrix {
        /// The file.
        path: PathBuf,
    },
    /// A measure file's matrix cannot be read.
    #[error("{path}")]
    Matrix {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: cwsw_dictionary::matrix::MatrixError,
    },
    /// The measure rows are not what publish expects.
    #[error("measure `{measure}`: {message}")]
    Input {
        /// The measure.
        measure: String,
        /// What is wrong.
        message: String,
    },
    /// An interval could not be computed.
    #[error("{0}")]
    Stats(#[from] cwsw_stats::StatsError),
    /// The LA code is not one this version knows.
    #[error(
        "LA code `{0}` is not in cwsw's list of local authorities (see `cwsw_publish::LOCAL_AUTHORITIES`)"
    )]
    UnknownLa(String),
    /// Thresholds below the default need an explicit flag.
    #[error(
        "a suppression threshold of {0} is below the default of 5: pass the explicit override to allow it"
    )]
    ThresholdTooLow(u64),
}

/// One published value, with the GSS symbols (domain.md §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A figure shown.
    Value(String),
    /// `c`: confidential, suppressed.
    Suppressed,
    /// `z`: not applicable (zero denominator).
    NotApplicable,
    /// `x`: not available (not collected).
    NotAvailable,
}

impl Cell {
    /// As written in the file.
    pub fn text(&self) -> &str {
        match self {
            Self::Value(text) => text,
            Self::Suppressed => "c",
            Self::NotApplicable => "z",
            Self::NotAvailable => "x",
        }
    }

    /// The numeric value, if shown.
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Value(text) => text.parse().ok(),
            _ => None,
        }
    }
}

/// Disclosure-control thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisclosureRules {
    /// Non-zero counts up to this are suppressed (DfE: 5).
    pub threshold: u64,
}

impl Default for DisclosureRules {
    fn default() -> Self {
        Self { threshold: 5 }
    }
}

impl DisclosureRules {
    /// Rules with a threshold; below 5 only with `allow_lower` (design.md, publish).
    pub fn with_threshold(threshold: u64, allow_lower: bool) -> Result<Self, PublishError> {
        if threshold < 5 && !allow_lower {
            return Err(PublishError::ThresholdTooLow(threshold));
        }
        Ok(Self { threshold })
    }

    /// A pupil count as published: 1..=threshold → `c`, 0 stays 0.
    pub fn count(&self, value: u64) -> Cell {
        if value >= 1 && value <= self.threshold {
            Cell::Suppressed
        } else {
            Cell::Value(value.to_string())
        }
    }

    fn is_suppressed(&self, value: u64) -> bool {
        value >= 1 && value <= self.threshold
    }
}

/// The absence measure's row for one year and group.
#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceRow {
    /// Academic year.
    pub year: AcademicYear,
    /// DfE group label.
    pub group: String,
    /// Pupils.
    pub pupils: u64,
    /// Possible sessions.
    pub possible: u64,
    /// Absence sessions.
    pub overall: u64,
    /// Authorised.
    pub authorised: u64,
    /// Unauthorised.
    pub unauthorised: u64,
    /// Persistently absent pupils (≥10%).
    pub persistent: u64,
    /// Severely absent pupils (≥50%).
    pub severe: u64,
    /// Sufficient statistics: Σa², Σu², Σv², Σp², Σap, Σup, Σvp (overall, authorised, unauthorised).
    pub sums: [f64; 7],
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, PublishError> {
    batch
        .column_by_name(name)
        .map(|array| array.as_ref())
        .ok_or_else(|| PublishError::Input {
            measure: "absence".into(),
            message: format!("no column `{name}`"),
        })
}

/// Reads the absence measure's batches.
pub fn read_absence(batches: &[RecordBatch]) -> Result<Vec<AbsenceRow>, PublishError> {
    let mut rows = Vec::new();
    for batch in batches {
        let year = column(batch, "academic_year")?.as_primitive_opt::<Int32Type>();
        let group = column(batch, "social_care_group")?.as_string_opt::<i32>();
        let (Some(year), Some(group)) = (year, group) else {
            return Err(PublishError::Input {
                measure: "absence".into(),
                message: "academic_year must be int32 and social_care_group a string".into(),
            });
        };
        let count = |name: &str| -> Result<Vec<u64>, PublishError> {
            let array = column(batch, name)?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| PublishError::Input {
                    measure: "absence".into(),
                    message: format!("`{name}` must be int64"),
                })?;
            Ok((0..array.len())
                .map(|index| {
                    if array.is_null(index) {
                        0
                    } else {
                        array.value(index).max(0) as u64
                    }
                })
                .collect())
        };
        let float = |name: &str| -> Result<Vec<f64>, PublishError> {
            let array = column(batch, name)?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| PublishError::Input {
                    measure: "absence".into(),
                    message: format!("`{name}` must be float64"),
                })?;
            Ok((0..array.len())
                .map(|index| {
                    if array.is_null(index) {
                        0.0
                    } else {
                        array.value(index)
                    }
                })
                .collect())
        };
        let pupils = count("t_pupils")?;
        let possible = count("t_sess_possible")?;
        let overall = count("t_sess_overall")?;
        let authorised = count("t_sess_authorised")?;
        let unauthorised = count("t_sess_unauthorised")?;
        let persistent = count("t_pupils_pa_10_exact")?;
        let severe = count("t_pupils_pa_50_exact")?;
        let sums = [
            float("sum_overall_squared")?,
            float("sum_authorised_squared")?,
            float("sum_unauthorised_squared")?,
            float("sum_possible_squared")?,
            float("sum_overall_possible")?,
            float("sum_authorised_possible")?,
            float("sum_unauthorised_possible")?,
        ];
        // Only the headline rows: the breakdowns (phase type, sex, SEN provision, year
        // group) are not published yet. A row whose counts are null is `x` (not
        // collected, or the group not supported that year): the matrix says so itself.
        let breakdowns: Vec<_> = ["phase_type_grouping", "sex", "sen_provision", "year_group"]
            .iter()
            .filter_map(|name| batch.column_by_name(name))
            .filter_map(|array| array.as_string_opt::<i32>())
            .collect();
        let counted = column(batch, "t_pupils")?;
        for index in 0..batch.num_rows() {
            if counted.is_null(index)
                || breakdowns
                    .iter()
                    .any(|array| array.is_null(index) || array.value(index) != "Total")
            {
                continue;
            }
            let time_period = year.value(index);
            let parsed = AcademicYear::parse(&time_period.to_string()).ok_or_else(|| {
                PublishError::Input {
                    measure: "absence".into(),
                    message: format!(
                        "academic_year `{time_period}` is not a time period like 202122"
                    ),
                }
            })?;
            rows.push(AbsenceRow {
                year: parsed,
                group: group.value(index).to_string(),
                pupils: pupils[index],
                possible: possible[index],
                overall: overall[index],
                authorised: authorised[index],
                unauthorised: unauthorised[index],
                persistent: persistent[index],
                severe: severe[index],
                sums: [0, 1, 2, 3, 4, 5, 6].map(|slot| sums[slot][index]),
            });
        }
    }
    Ok(rows)
}

/// What is being published, and for whom.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The LA.
    pub la: LocalAuthority,
    /// The years, in order.
    pub years: Vec<AcademicYear>,
    /// The groups, in display order; `All pupils comparison` is the filter default.
    pub groups: Vec<String>,
    /// Years (time periods) in which the measure was not collected.
    pub not_collected: Vec<i32>,
    /// (time period, group) pairs the LA's returns do not support: `x`.
    pub unsupported: BTreeSet<(i32, String)>,
    /// Confidence level of intervals.
    pub confidence: f64,
}

impl Publication {
    /// The publication of a measure for an LA, its years, groups and `x` cells as the
    /// measure's matrix says, with 95% intervals.
    pub fn new(la: LocalAuthority, matrix: &Matrix) -> Self {
        Self {
            la,
            years: matrix
                .years
                .iter()
                .map(|time_period| AcademicYear::starting(time_period / 100))
                .collect(),
            groups: matrix.groups.clone(),
            not_collected: matrix.not_collected_years(),
            unsupported: matrix.unavailable_cells(),
            confidence: 0.95,
        }
    }
}

/// An indicator column of a published file.
#[derive(Debug, Clone, Copy)]
pub struct Indicator {
    /// Column name.
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// EES unit: "" or "%".
    pub unit: &'static str,
    /// Decimal places.
    pub dp: u8,
}

/// The absence file's indicators, in order (domain.md §2 names).
pub const ABSENCE_INDICATORS: &[Indicator] = &[
    Indicator {
        name: "t_pupils",
        label: "Number of pupils",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "t_sess_possible",
        label: "Number of possible sessions",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "t_sess_overall",
        label: "Number of overall absence sessions",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "pt_overall",
        label: "Overall absence rate",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "pt_overall_lower_ci",
        label: "Overall absence rate, lower 95% confidence limit",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "pt_overall_upper_ci",
        label: "Overall absence rate, upper 95% confidence limit",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "t_sess_authorised",
        label: "Number of authorised absence sessions",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "pt_authorised",
        label: "Authorised absence rate",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "t_sess_unauthorised",
        label: "Number of unauthorised absence sessions",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "pt_unauthorised",
        label: "Unauthorised absence rate",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "t_pupils_pa_10_exact",
        label: "Number of persistent absentees",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "pt_pupils_pa_10_exact",
        label: "Percentage of pupils who are persistent absentees",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "pt_pupils_pa_10_exact_lower_ci",
        label: "Persistent absentees, lower 95% confidence limit",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "pt_pupils_pa_10_exact_upper_ci",
        label: "Persistent absentees, upper 95% confidence limit",
        unit: "%",
        dp: 1,
    },
    Indicator {
        name: "t_pupils_pa_50_exact",
        label: "Number of severe absentees",
        unit: "",
        dp: 0,
    },
    Indicator {
        name: "pt_pupils_pa_50_exact",
        label: "Percentage of pupils who are severe absentees",
        unit: "%",
        dp: 1,
    },
];

/// Why a cell is not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedCell {
    /// Time period.
    pub time_period: i32,
    /// Group.
    pub group: String,
    /// Indicator.
    pub indicator: &'static str,
    /// `primary` (a count of 1–5) or `primary (derived)` (a figure derived from one).
    pub reason: &'static str,
}

/// A published row: one year and group, one cell per indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRow {
    /// Academic year.
    pub year: AcademicYear,
    /// Group.
    pub group: String,
    /// Cells, in [`ABSENCE_INDICATORS`] order.
    pub cells: Vec<Cell>,
}

/// A published table: the matrix of years × groups, complete.
#[derive(Debug, Clone)]
pub struct PublishedTable {
    /// File stem.
    pub name: &'static str,
    /// Indicators.
    pub indicators: &'static [Indicator],
    /// The LA.
    pub la: LocalAuthority,
    /// Rows: years in order, groups in order.
    pub rows: Vec<PublishedRow>,
    /// Every suppressed cell and why.
    pub suppressed: Vec<SuppressedCell>,
}

fn percent(value: f64, dp: u8) -> String {
    format!("{:.*}", usize::from(dp), value * 100.0)
}

/// Builds the absence table: completes the matrix (a group with no pupils is 0 and `z`),
/// computes rates and intervals, and applies disclosure control.
pub fn absence_table(
    rows: &[AbsenceRow],
    publication: &Publication,
    rules: &DisclosureRules,
) -> Result<PublishedTable, PublishError> {
    let mut published = Vec::new();
    let mut suppressed = Vec::new();
    let mut counts = Vec::new();
    for year in &publication.years {
        for group in &publication.groups {
            let time_period = year.time_period();
            let row = rows
                .iter()
                .find(|row| row.year == *year && &row.group == group);
            let empty = AbsenceRow {
                year: *year,
                group: group.clone(),
                pupils: 0,
                possible: 0,
                overall: 0,
                authorised: 0,
                unauthorised: 0,
                persistent: 0,
                severe: 0,
                sums: [0.0; 7],
            };
            let row = row.unwrap_or(&empty);
            let cells = if publication.not_collected.contains(&time_period)
                || publication
                    .unsupported
                    .contains(&(time_period, group.clone()))
            {
                vec![Cell::NotAvailable; ABSENCE_INDICATORS.len()]
            } else {
                absence_cells(
                    row,
                    publication.confidence,
                    rules,
                    &mut |indicator, reason| {
                        suppressed.push(SuppressedCell {
                            time_period,
                            group: group.clone(),
                            indicator,
                            reason,
                        });
                    },
                )?
            };
            counts.push([row.pupils, row.persistent, row.severe]);
            published.push(PublishedRow {
                year: *year,
                group: group.clone(),
                cells,
            });
        }
    }
    secondary_suppression(&mut published, &counts, &mut suppressed);
    Ok(PublishedTable {
        name: "absence",
        indicators: ABSENCE_INDICATORS,
        la: publication.la,
        rows: published,
        suppressed,
    })
}

fn absence_cells(
    row: &AbsenceRow,
    confidence: f64,
    rules: &DisclosureRules,
    log: &mut dyn FnMut(&'static str, &'static str),
) -> Result<Vec<Cell>, PublishError> {
    let [
        overall_sq,
        authorised_sq,
        unauthorised_sq,
        possible_sq,
        overall_possible,
        authorised_possible,
        unauthorised_possible,
    ] = row.sums;
    let sums = |numerator: u64, numerator_squared: f64, cross: f64| RatioSums {
        n: row.pupils,
        numerator: numerator as f64,
        denominator: row.possible as f64,
        numerator_squared,
        denominator_squared: possible_sq,
        cross,
    };
    let overall = ratio_interval(&sums(row.overall, overall_sq, overall_possible), confidence)?;
    let authorised = ratio_interval(
        &sums(row.authorised, authorised_sq, authorised_possible),
        confidence,
    )?;
    let unauthorised = ratio_interval(
        &sums(row.unauthorised, unauthorised_sq, unauthorised_possible),
        confidence,
    )?;
    let persistent = wilson(row.persistent, row.pupils, confidence)?;
    let severe = wilson(row.severe, row.pupils, confidence)?;
    let rate = |interval: Option<Interval>, part: fn(&Interval) -> f64| {
        interval.map_or(Cell::NotApplicable, |interval| {
            Cell::Value(percent(part(&interval), 1))
        })
    };
    let estimate = |interval: &Interval| interval.estimate;
    let lower = |interval: &Interval| interval.lower;
    let upper = |interval: &Interval| interval.upper;
    let mut cells = vec![
        Cell::Value(row.pupils.to_string()),
        Cell::Value(row.possible.to_string()),
        Cell::Value(row.overall.to_string()),
        rate(overall, estimate),
        rate(overall, lower),
        rate(overall, upper),
        Cell::Value(row.authorised.to_string()),
        rate(authorised, estimate),
        Cell::Value(row.unauthorised.to_string()),
        rate(unauthorised, estimate),
        rules.count(row.persistent),
        rate(persistent, estimate),
        rate(persistent, lower),
        rate(persistent, upper),
        rules.count(row.severe),
        rate(severe, estimate),
    ];
    // A group of 1–5 pupils: every figure would describe identifiable pupils.
    if rules.is_suppressed(row.pupils) {
        for (index, cell) in cells.iter_mut().enumerate() {
            *cell = Cell::Suppressed;
            log(
                ABSENCE_INDICATORS[index].name,
                if index == 0 {
                    "primary"
                } else {
                    "primary (derived)"
                },
            );
        }
        return Ok(cells);
    }
    // A count of 1–5 persistent or severe absentees, and the rates derived from it.
    for (count_index, derived) in [(10usize, &[11usize, 12, 13][..]), (14, &[15][..])] {
        let count = if count_index == 10 {
            row.persistent
        } else {
            row.severe
        };
        if rules.is_suppressed(count) {
            log(ABSENCE_INDICATORS[count_index].name, "primary");
            for index in derived {
                cells[*index] = Cell::Suppressed;
                log(ABSENCE_INDICATORS[*index].name, "primary (derived)");
            }
        }
    }
    Ok(cells)
}

/// Groups that add up: the total is the sum of its parts (domain.md §1: the hierarchy
/// CLA > CPP > CIN makes CINO, CPPO and CLA a partition of CIN at 31 March).
pub const ADDITIVE_GROUPS: &[(&str, &[&str])] = &[
    (
        "CIN at 31 March",
        &["CINO at 31 March", "CPPO at 31 March", "CLA at 31 March"],
    ),
    (
        "CLA at 31 March",
        &[
            "CLA 12 months at 31 March",
            "CLA less than 12 months at 31 March",
        ],
    ),
];

/// The count indicators of the absence file and the figures derived from each: a
/// suppressed pupil count hides the whole row; a suppressed absentee count hides its rates.
const COUNT_COLUMNS: &[(usize, &[usize])] = &[
    (0, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
    (10, &[11, 12, 13]),
    (14, &[15]),
];

/// Secondary suppression (domain.md §3, §8 point 7): wherever a total and its parts
/// leave exactly one count suppressed, that count could be recovered by subtraction, so
/// the smallest non-zero other count of the relation (a part, else the total) is
/// suppressed too, with the figures derived from it. Repeats until no relation has a
/// lone suppressed count, since a group can sit in two relations.
fn secondary_suppression(
    rows: &mut [PublishedRow],
    counts: &[[u64; 3]],
    log: &mut Vec<SuppressedCell>,
) {
    let mut years: Vec<AcademicYear> = rows.iter().map(|row| row.year).collect();
    years.dedup();
    loop {
        let mut changed = false;
        for (slot, (column, derived)) in COUNT_COLUMNS.iter().enumerate() {
            for (total, parts) in ADDITIVE_GROUPS {
                for year in years.iter().copied() {
                    let position = |group: &str| {
                        rows.iter()
                            .position(|row| row.year == year && row.group == group)
                    };
                    let Some(total_index) = position(total) else {
                        continue;
                    };
                    let part_indices: Vec<usize> =
                        parts.iter().filter_map(|part| position(part)).collect();
                    let members: Vec<usize> =
                        part_indices.iter().copied().chain([total_index]).collect();
                    let hidden = members
                        .iter()
                        .filter(|index| rows[**index].cells[*column] == Cell::Suppressed)
                        .count();
                    if hidden != 1 {
                        continue;
                    }
                    // Prefer hiding a part; the total only when no part can be hidden.
                    let candidate = part_indices
                        .iter()
                        .chain([&total_index])
                        .copied()
                        .filter(|index| matches!(rows[*index].cells[*column], Cell::Value(_)))
                        .filter(|index| counts[*index][slot] > 0)
                        .min_by_key(|index| (counts[*index][slot], *index == total_index, *index));
                    let Some(index) = candidate else {
                        continue;
                    };
                    let row = &mut rows[index];
                    row.cells[*column] = Cell::Suppressed;
                    log.push(SuppressedCell {
                        time_period: row.year.time_period(),
                        group: row.group.clone(),
                        indicator: ABSENCE_INDICATORS[*column].name,
                        reason: "secondary",
                    });
                    for derived_index in *derived {
                        if matches!(row.cells[*derived_index], Cell::Value(_)) {
                            row.cells[*derived_index] = Cell::Suppressed;
                            log.push(SuppressedCell {
                                time_period: row.year.time_period(),
                                group: row.group.clone(),
                                indicator: ABSENCE_INDICATORS[*derived_index].name,
                                reason: "secondary (derived)",
                            });
                        }
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The filter default: the comparison group (EES requires one; domain.md §4).
pub const FILTER_DEFAULT: &str = "All pupils comparison";

/// Writes `NAME.csv`, `NAME.meta.csv` and `NAME.suppression.csv` into `dir`.
pub fn write_ees(table: &PublishedTable, dir: &Path) -> Result<Vec<PathBuf>, PublishError> {
    std::fs::create_dir_all(dir).map_err(|source| PublishError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let quote = |text: &str| {
        if text.contains(',') || text.contains('"') {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    };
    let la = table.la;
    let mut data = String::from(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name,social_care_group",
    );
    for indicator in table.indicators {
        data.push(',');
        data.push_str(indicator.name);
    }
    data.push('\n');
    for row in &table.rows {
        let _ = write!(
            data,
            "{},Academic year,Local authority,E92000001,England,{},{},{},{},{},{}",
            row.year.time_period(),
            la.region_code,
            quote(la.region_name),
            la.old_la_code,
            la.new_la_code,
            quote(la.la_name),
            quote(&row.group)
        );
        for cell in &row.cells {
            data.push(',');
            data.push_str(cell.text());
        }
        data.push('\n');
    }
    let mut meta = String::from(
        "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column,filter_default\n",
    );
    let _ = writeln!(
        meta,
        "social_care_group,Filter,Social care group,,,,Children's social care group (DfE outcomes definitions),,{FILTER_DEFAULT}"
    );
    for indicator in table.indicators {
        let grouping = if indicator.name.starts_with("pt_pupils_pa")
            || indicator.name.starts_with("t_pupils_pa")
        {
            "Persistent and severe absence"
        } else {
            "Absence"
        };
        let _ = writeln!(
            meta,
            "{},Indicator,{},{grouping},{},{},,,",
            indicator.name,
            quote(indicator.label),
            indicator.unit,
            indicator.dp
        );
    }
    let mut log = String::from("time_period,social_care_group,indicator,reason\n");
    for cell in &table.suppressed {
        let _ = writeln!(
            log,
            "{},{},{},{}",
            cell.time_period,
            quote(&cell.group),
            cell.indicator,
            cell.reason
        );
    }
    let mut written = Vec::new();
    for (suffix, contents) in [("csv", data), ("meta.csv", meta), ("suppression.csv", log)] {
        let path = dir.join(format!("{}.{suffix}", table.name));
        std::fs::write(&path, contents).map_err(|source| PublishError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// A measure file as `cwsw run` wrote it: its rows, and the matrix that says which years
/// and groups it covers and which cells are `x`.
#[derive(Debug, Clone)]
pub struct MeasureFile {
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// The matrix, from the file's metadata.
    pub matrix: Matrix,
}

/// Reads a measure's Parquet file with its matrix; refuses a file without one.
pub fn read_measure_file(path: &Path) -> Result<MeasureFile, PublishError> {
    let file = std::fs::File::open(path).map_err(|source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let parquet_error = |source| PublishError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(parquet_error)?;
    let text = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|pairs| pairs.iter().find(|pair| pair.key == MATRIX_KEY))
        .and_then(|pair| pair.value.clone())
        .ok_or_else(|| PublishError::NoMatrix {
            path: path.to_path_buf(),
        })?;
    let matrix = Matrix::from_json(&text).map_err(|source| PublishError::Matrix {
        path: path.to_path_buf(),
        source,
    })?;
    let batches = builder
        .build()
        .map_err(parquet_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| PublishError::Parquet {
            path: path.to_path_buf(),
            source: source.into(),
        })?;
    Ok(MeasureFile { batches, matrix })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-column Parquet file, with the matrix in its metadata or without.
    fn measure_file(dir: &Path, matrix: Option<&str>) -> PathBuf {
        let path = dir.join("absence.parquet");
        let batch = RecordBatch::try_from_iter([(
            "academic_year",
            std::sync::Arc::new(arrow::array::Int32Array::from(vec![202122])) as _,
        )])
        .expect("a batch");
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_key_value_metadata(matrix.map(|json| {
                vec![parquet::file::metadata::KeyValue::new(
                    MATRIX_KEY.to_string(),
                    json.to_string(),
                )]
            }))
            .build();
        let file = std::fs::File::create(&path).expect("a file");
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties))
                .expect("a writer");
        writer.write(&batch).expect("written");
        writer.close().expect("closed");
        path
    }

    #[test]
    fn a_measure_file_without_its_matrix_is_refused() {
        let dir = std::env::temp_dir().join(format!("cwsw-publish-matrix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let error = read_measure_file(&measure_file(&dir, None)).expect_err("no matrix");
        assert!(matches!(error, PublishError::NoMatrix { .. }), "{error:?}");
        assert!(
            error.to_string().contains("hint: write the measures again"),
            "{error}"
        );
        let error =
            read_measure_file(&measure_file(&dir, Some("{\"years\": 1}"))).expect_err("bad");
        assert!(matches!(error, PublishError::Matrix { .. }), "{error:?}");
        let matrix = Matrix {
            years: vec![202122],
            groups: vec!["CINO at 31 March".to_string()],
            unavailable: Vec::new(),
            columns_not_collected: Default::default(),
        };
        let file = read_measure_file(&measure_file(&dir, Some(&matrix.to_json()))).expect("read");
        assert_eq!(file.matrix, matrix);
        assert_eq!(file.batches[0].num_rows(), 1);
        let publication =
            Publication::new(local_authority("801").copied().expect("Bristol"), &matrix);
        assert_eq!(publication.years, vec![AcademicYear::starting(2021)]);
        std::fs::remove_dir_all(&dir).expect("removed");
    }

    fn row(group: &str, pupils: u64, persistent: u64) -> AbsenceRow {
        AbsenceRow {
            year: AcademicYear::starting(2021),
            group: group.to_string(),
            pupils,
            possible: pupils * 380,
            overall: pupils * 30,
            authorised: pupils * 20,
            unauthorised: pupils * 10,
            persistent,
            severe: 0,
            sums: [
                pupils as f64 * 900.0,
                pupils as f64 * 400.0,
                pupils as f64 * 100.0,
                pupils as f64 * 144_400.0,
                pupils as f64 * 11_400.0,
                pupils as f64 * 7_600.0,
                pupils as f64 * 3_800.0,
            ],
        }
    }

    fn publication(groups: &[&str], not_collected: Vec<i32>) -> Publication {
        Publication {
            la: *local_authority("801").expect("known"),
            years: vec![AcademicYear::starting(2021)],
            groups: groups.iter().map(|group| group.to_string()).collect(),
            not_collected,
            unsupported: Default::default(),
            confidence: 0.95,
        }
    }

    #[test]
    fn small_counts_and_derived_rates_are_suppressed() {
        let rows = [row("A", 3, 1), row("B", 100, 4), row("C", 100, 20)];
        let table = absence_table(
            &rows,
            &publication(&["A", "B", "C", "D"], vec![]),
            &DisclosureRules::default(),
        )
        .expect("publishes");
        let cells = |group: &str| {
            table
                .rows
                .iter()
                .find(|row| row.group == group)
                .expect("row")
                .cells
                .clone()
        };
        assert!(cells("A").iter().all(|cell| *cell == Cell::Suppressed));
        let b = cells("B");
        assert_eq!(b[10], Cell::Suppressed);
        assert_eq!(b[11], Cell::Suppressed);
        assert_eq!(b[0], Cell::Value("100".into()));
        assert_eq!(b[14], Cell::Value("0".into()));
        let c = cells("C");
        assert_eq!(c[11], Cell::Value("20.0".into()));
        // A group nobody is in: 0 pupils, rates not applicable.
        let d = cells("D");
        assert_eq!(d[0], Cell::Value("0".into()));
        assert_eq!(d[3], Cell::NotApplicable);
        assert_eq!(
            table
                .suppressed
                .iter()
                .filter(|cell| cell.group == "A")
                .count(),
            ABSENCE_INDICATORS.len()
        );
    }

    const GROUPS: &[&str] = &[
        "CIN at 31 March",
        "CINO at 31 March",
        "CPPO at 31 March",
        "CLA at 31 March",
        "CLA 12 months at 31 March",
        "CLA less than 12 months at 31 March",
    ];

    /// The six nested groups with (pupils, persistent absentees), in GROUPS order, published.
    fn nested_table(counts: [(u64, u64); 6]) -> PublishedTable {
        let rows: Vec<AbsenceRow> = GROUPS
            .iter()
            .zip(counts)
            .map(|(group, (pupils, persistent))| row(group, pupils, persistent))
            .collect();
        absence_table(
            &rows,
            &publication(GROUPS, vec![]),
            &DisclosureRules::default(),
        )
        .expect("publishes")
    }

    /// No relation of ADDITIVE_GROUPS may leave exactly one count suppressed.
    fn assert_nothing_recoverable(table: &PublishedTable) {
        for (column, _) in COUNT_COLUMNS {
            for (total, parts) in ADDITIVE_GROUPS {
                let hidden = parts
                    .iter()
                    .chain([total])
                    .filter(|group| {
                        table.rows.iter().any(|row| {
                            row.group == **group && row.cells[*column] == Cell::Suppressed
                        })
                    })
                    .count();
                assert_ne!(hidden, 1, "{total} column {column}: one lone `c`");
            }
        }
    }

    #[test]
    fn a_lone_suppressed_part_gets_a_partner() {
        // CLA 20 = 17 + 3: the 3 is primary; 17 would give it away, so it goes too.
        let table = nested_table([(200, 60), (150, 45), (30, 9), (20, 6), (17, 6), (3, 0)]);
        let cells = |group: &str| {
            table
                .rows
                .iter()
                .find(|row| row.group == group)
                .expect("row")
                .cells
                .clone()
        };
        assert!(
            cells("CLA less than 12 months at 31 March")
                .iter()
                .all(|cell| *cell == Cell::Suppressed)
        );
        assert!(
            cells("CLA 12 months at 31 March")
                .iter()
                .all(|cell| *cell == Cell::Suppressed)
        );
        assert_eq!(cells("CLA at 31 March")[0], Cell::Value("20".into()));
        assert!(table.suppressed.iter().any(|cell| cell.group == "CLA 12 months at 31 March" && cell.reason == "secondary"));
        assert_nothing_recoverable(&table);
    }

    #[test]
    fn secondary_suppression_follows_a_chain_of_relations() {
        // CPPO has 4 pupils (primary). Its partner is the smallest other part of CIN: CLA
        // (10). CLA is in a second relation, so one of its parts must go as well.
        let table = nested_table([(114, 30), (100, 20), (4, 2), (10, 8), (7, 6), (3, 2)]);
        assert_nothing_recoverable(&table);
        let pupils = |group: &str| {
            table
                .rows
                .iter()
                .find(|row| row.group == group)
                .expect("row")
                .cells[0]
                .clone()
        };
        assert_eq!(pupils("CPPO at 31 March"), Cell::Suppressed);
        assert_eq!(pupils("CINO at 31 March"), Cell::Value("100".into()));
    }

    #[test]
    fn not_collected_years_are_x() {
        let table = absence_table(
            &[row("A", 100, 20)],
            &publication(&["A"], vec![202122]),
            &DisclosureRules::default(),
        )
        .expect("publishes");
        assert!(
            table.rows[0]
                .cells
                .iter()
                .all(|cell| *cell == Cell::NotAvailable)
        );
    }

    #[test]
    fn thresholds_below_five_need_the_override() {
        assert!(DisclosureRules::with_threshold(3, false).is_err());
        assert_eq!(
            DisclosureRules::with_threshold(3, true)
                .expect("allowed")
                .threshold,
            3
        );
    }
}
