//! Writes a published table as an EES pair (`NAME.csv` + `NAME.meta.csv`, `domain.md`
//! §4: time and geography columns first, then filters, then indicators; the meta file
//! describes filters and indicators only) into the submission, and its suppression log
//! (`NAME.suppression.csv`) into the output checker's folder.

use std::path::{Path, PathBuf};

use crate::checking::SUPPRESSION_LOG;
use crate::table::{Filter, PublishedTable};
use crate::{Destination, PublishError};

/// The time and geography columns of a local-authority file, in order.
pub const TIME_AND_GEOGRAPHY: &[&str] = &[
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
];

fn csv_text(path: &Path, records: Vec<Vec<String>>) -> Result<Vec<u8>, PublishError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for record in records {
        writer
            .write_record(&record)
            .map_err(|source| PublishError::Csv {
                path: path.to_path_buf(),
                source,
            })?;
    }
    writer.into_inner().map_err(|error| PublishError::Io {
        path: path.to_path_buf(),
        source: error.into_error(),
    })
}

pub(crate) fn write(path: PathBuf, bytes: Vec<u8>) -> Result<PathBuf, PublishError> {
    std::fs::write(&path, bytes).map_err(|source| PublishError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Creates a folder and its parents.
pub(crate) fn create(dir: &Path) -> Result<(), PublishError> {
    std::fs::create_dir_all(dir).map_err(|source| PublishError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `NAME.csv` and `NAME.meta.csv` into the submission and `NAME.suppression.csv`
/// into the output checker's folder; returns the two data files and the log.
pub fn write_ees(
    table: &PublishedTable,
    destination: Destination,
) -> Result<([PathBuf; 2], PathBuf), PublishError> {
    let dir = destination.submission;
    create(dir)?;
    create(destination.checking)?;
    let la = table.la;
    let group = table.group_filter();
    let filters: Vec<&Filter> = std::iter::once(&group).chain(&table.filters).collect();
    let path = |suffix: &str| dir.join(format!("{}.{suffix}", table.name));

    let mut header: Vec<String> = TIME_AND_GEOGRAPHY
        .iter()
        .map(|name| name.to_string())
        .collect();
    header.extend(filters.iter().map(|filter| filter.column.clone()));
    header.extend(
        table
            .indicators
            .iter()
            .map(|indicator| indicator.name.clone()),
    );
    let mut data = vec![header];
    for row in &table.rows {
        let mut record = vec![
            row.year.time_period().to_string(),
            "Academic year".to_string(),
            "Local authority".to_string(),
            "E92000001".to_string(),
            "England".to_string(),
            la.region_code.to_string(),
            la.region_name.to_string(),
            la.old_la_code.to_string(),
            la.new_la_code.to_string(),
            la.la_name.to_string(),
            row.group.clone(),
        ];
        record.extend(row.levels.iter().cloned());
        record.extend(row.cells.iter().map(|cell| cell.text().to_string()));
        data.push(record);
    }

    let mut meta = vec![
        [
            "col_name",
            "col_type",
            "label",
            "indicator_grouping",
            "indicator_unit",
            "indicator_dp",
            "filter_hint",
            "filter_grouping_column",
            "filter_default",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for filter in &filters {
        meta.push(vec![
            filter.column.clone(),
            "Filter".to_string(),
            filter.label.clone(),
            String::new(),
            String::new(),
            String::new(),
            filter.hint.clone(),
            String::new(),
            filter.default.clone(),
        ]);
    }
    for indicator in &table.indicators {
        meta.push(vec![
            indicator.name.clone(),
            "Indicator".to_string(),
            indicator.label.clone(),
            indicator.grouping.clone(),
            indicator.unit.clone(),
            indicator.dp.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }

    let mut log_header = vec!["time_period".to_string(), group.column.clone()];
    log_header.extend(table.filters.iter().map(|filter| filter.column.clone()));
    log_header.extend([
        "indicator".to_string(),
        "reason".to_string(),
        "protects".to_string(),
    ]);
    let mut log = vec![log_header];
    for cell in &table.suppressed {
        let mut record = vec![cell.time_period.to_string(), cell.group.clone()];
        record.extend(cell.levels.iter().cloned());
        record.extend([
            cell.indicator.clone(),
            cell.reason.name().to_string(),
            cell.protects.clone().unwrap_or_default(),
        ]);
        log.push(record);
    }

    let written = |target: PathBuf, records| {
        let bytes = csv_text(&target, records)?;
        write(target, bytes)
    };
    Ok((
        [
            written(path("csv"), data)?,
            written(path("meta.csv"), meta)?,
        ],
        written(
            destination
                .checking
                .join(format!("{}{SUPPRESSION_LOG}", table.name)),
            log,
        )?,
    ))
}
