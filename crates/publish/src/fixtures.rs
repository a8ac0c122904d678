//! Test fixtures: a small measure file in memory, with its layout and matrix, and the
//! stats stage's level rows for it.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use cwsw_dictionary::estimand::Estimand;
use cwsw_dictionary::layout::{Column, Counted, Figure, Layout, Part};
use cwsw_dictionary::matrix::Matrix;

use crate::files::{EstimateRecord, MeasureFile};

/// A count column of the layout.
pub fn count(name: &str, counts: Counted, of: Option<&str>) -> Column {
    Column {
        name: name.to_string(),
        label: format!("Number {name}"),
        unit: String::new(),
        dp: 0,
        grouping: String::new(),
        figure: Figure::Count {
            counts,
            of: of.map(str::to_string),
        },
    }
}

/// The three columns of an indicator's estimate and interval.
pub fn rate(indicator: &str, from: &[&str], denominator: &str) -> Vec<Column> {
    [Part::Estimate, Part::Lower, Part::Upper]
        .into_iter()
        .map(|part| Column {
            name: format!("{indicator}{}", part.suffixes().0),
            label: format!("Rate{}", part.suffixes().1),
            unit: "%".into(),
            dp: 1,
            grouping: String::new(),
            figure: Figure::Estimate {
                indicator: indicator.to_string(),
                part,
                from: from.iter().map(|name| name.to_string()).collect(),
                denominator: denominator.to_string(),
            },
        })
        .collect()
}

/// A layout: `t_pupils`, `t_sess` (sessions of them), `t_flag` (pupils of them) and
/// `pt_flag` (t_flag over t_pupils).
pub fn layout() -> Layout {
    let mut columns = vec![
        count("t_pupils", Counted::Pupils, None),
        count("t_sess", Counted::Sessions, Some("t_pupils")),
        count("t_flag", Counted::Pupils, Some("t_pupils")),
    ];
    columns.extend(rate("pt_flag", &["t_flag", "t_pupils"], "t_pupils"));
    Layout {
        measure: "test".into(),
        title: "Test".into(),
        research_question: None,
        columns,
    }
}

/// One measure row: year, group, sex, and the counts of [`layout`].
pub struct Row<'a> {
    pub year: i32,
    pub group: &'a str,
    pub sex: &'a str,
    pub pupils: Option<i64>,
    pub flag: i64,
}

/// A measure file of rows over `groups` in 2021/22 (and 2022/23), with level records
/// whose estimate is flag / pupils in percent.
pub fn file(rows: &[Row], groups: &[&str], years: &[i32]) -> (MeasureFile, Vec<EstimateRecord>) {
    let column = |values: Vec<Option<i64>>| Arc::new(Int64Array::from(values)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        (
            "academic_year",
            Arc::new(Int32Array::from_iter_values(
                rows.iter().map(|row| row.year),
            )) as ArrayRef,
        ),
        (
            "social_care_group",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|row| row.group),
            )) as _,
        ),
        (
            "sex",
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|row| row.sex),
            )) as _,
        ),
        (
            "t_pupils",
            column(rows.iter().map(|row| row.pupils).collect()),
        ),
        (
            "t_sess",
            column(rows.iter().map(|row| row.pupils.map(|p| p * 300)).collect()),
        ),
        (
            "t_flag",
            column(rows.iter().map(|row| Some(row.flag)).collect()),
        ),
        (
            "pt_flag",
            Arc::new(Float64Array::from(
                rows.iter()
                    .map(|row| row.pupils.map(|p| 100.0 * row.flag as f64 / p as f64))
                    .collect::<Vec<_>>(),
            )) as _,
        ),
    ])
    .expect("a batch");
    let records = rows
        .iter()
        .map(|row| {
            let estimate = row
                .pupils
                .filter(|pupils| *pupils > 0)
                .map(|pupils| 100.0 * row.flag as f64 / pupils as f64);
            EstimateRecord {
                measure: "test".into(),
                indicator: "pt_flag".into(),
                estimand: Estimand::Level,
                group: row.group.into(),
                academic_year: Some(row.year),
                pre_years: Vec::new(),
                post_years: Vec::new(),
                breakdown: if row.sex == "Total" { "Total" } else { "sex" }.into(),
                breakdown_level: row.sex.into(),
                estimate,
                standard_error: estimate.map(|_| 1.0),
                ci_lower: estimate.map(|value| value - 2.0),
                ci_upper: estimate.map(|value| value + 2.0),
                statistic: None,
                p_value: None,
                p_value_bh: None,
                note: None,
                lineage: vec![cwsw_dictionary::estimand::lineage_cell(
                    "test",
                    row.group,
                    row.year,
                    (row.sex != "Total").then_some(("sex", row.sex)),
                )],
            }
        })
        .collect();
    let matrix = Matrix {
        years: years.to_vec(),
        groups: groups.iter().map(|group| group.to_string()).collect(),
        unavailable: Vec::new(),
        columns_not_collected: Default::default(),
    };
    (
        MeasureFile {
            batches: vec![batch],
            matrix,
            layout: layout(),
        },
        records,
    )
}
