//! The DfE EES data screener in Rust, so the test suite can require that every file
//! cwsw publishes passes with no FAIL and no WARNING before anyone uploads it.
//!
//! Explore Education Statistics (EES) accepts a data file and its `.meta.csv` only if
//! they pass the screener: the R package
//! [`eesyscreener`](https://github.com/dfe-analytical-services/eesyscreener)
//! (`screen_filenames()` then `screen_dfs()`), which `dfe-published-data-qa` and
//! `ees-screener-api` wrap. This crate re-implements every check it runs, under the
//! same names, in the same stages and order, with the same PASS / WARNING / FAIL
//! conditions, read from its `R/` folder at commit `f0e47ba` (v0.3.1). The
//! reference lookups (LA codes, regions, the EES data dictionary, …) are vendored
//! from `dfe-published-data-qa@bcc7ca5`; `data/SOURCE.md` lists them. The messages
//! are this crate's own wording.
//!
//! As in R, the stages run in turn and the first stage with a FAIL ends screening:
//! [`Report::stopped_after`] names it and `Display` lists the stages not run. A
//! WARNING does not stop screening but makes the files unsuitable for the EES API;
//! [`Report::is_clean`] wants neither.
//!
//! ```
//! let data = "time_period,time_identifier,geographic_level,country_code,country_name,sex,pupil_count\n\
//!             202324,Academic year,National,E92000001,England,Total,100\n\
//!             202324,Academic year,National,E92000001,England,Female,49\n\
//!             202324,Academic year,National,E92000001,England,Male,51\n";
//! let meta = "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column\n\
//!             sex,Filter,Sex,,,,,\n\
//!             pupil_count,Indicator,Number of pupils,,,0,,\n";
//! let report = cwsw_ees::screen("pupils.csv", data.as_bytes(), "pupils.meta.csv", meta.as_bytes())?;
//! assert!(report.is_clean(), "{report}");
//! assert_eq!(report.outcomes.len(), cwsw_ees::CHECKS.len());
//! # Ok::<(), cwsw_ees::EesError>(())
//! ```
//!
//! # Modules, by stage
//!
//! - `filename`: `filename_spaces`, `filename_special`, `filenames_match`.
//! - `columns`: the column prechecks (`col_req_meta` …) and naming checks (`col_snake_case` …).
//! - `cross`: `cross_meta_to_data`, `cross_data_to_meta`.
//! - `meta`: the metadata prechecks and checks (`meta_col_type` … `meta_indicator_grouping`).
//! - `time`: `time_period_num`, `time_id_valid`, `time_id_mix`, `time_period`, `time_period_six`.
//! - `filters`: `filter_not_singular` and the filter checks.
//! - `geography`: `geog_level`, `geog_level_present` and the 20 geography checks.
//! - `general`: `general_dupes`, `general_null`. `indicators`: `ind_invalid_entry`.
//! - `harmonised`: `harmonised_variables` and the three ethnicity checks.
//! - `api`: the `api_char_*` limits; `dictionary`: `data_dict_col_name`, `data_dict_fil_item`.
//! - `table`: the parsed files; `reference`: the screener's lists and the vendored
//!   lookups; `screen`: the running order and [`screen`].
//!
//! # Where this differs from the R package
//!
//! - `filename_spaces` and `filename_special` report both files in one outcome
//!   (R returns a row per file), so every check has exactly one outcome.
//! - An unreadable file (not UTF-8, a ragged row, no header) is an [`EesError`]
//!   rather than a `file_read` FAIL; so is a repeated column name, which DuckDB
//!   would silently rename.
//! - `ind_invalid_entry` fails blank indicator cells, which the R package means to
//!   but misses when reading a CSV (DuckDB reads the blank as `NA`).
//! - `filter_whitespace` checks filter columns only: the R check's geography
//!   columns never match (see the function's note), and this keeps its behaviour.
//! - The `dd_checks = FALSE` developer switch is not offered: the harmonised and
//!   data-dictionary checks always run.
//!
//! # Not run
//!
//! Nothing: every check `screen_dfs()` and `screen_filenames()` run is implemented
//! and runs ([`CHECKS`], 81 checks in 16 stages).

mod api;
mod columns;
mod cross;
mod dictionary;
mod error;
mod filename;
mod filters;
mod general;
mod geography;
mod harmonised;
mod indicators;
mod meta;
mod outcome;
mod reference;
mod screen;
mod table;
#[cfg(test)]
mod testing;
mod time;

pub use error::EesError;
pub use outcome::{Level, Outcome, Report, Stage};
pub use screen::{CHECKS, screen};
