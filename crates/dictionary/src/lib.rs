//! The cwsw data dictionary: every source return and warehouse table, column by column,
//! with the code lists they use, loaded from the YAML files under `data-dictionary/`.
//!
//! [`Dictionary::embedded`] gives the dictionary compiled into the binary;
//! [`Dictionary::load`] reads a folder of the same layout. Loading checks the files
//! (unknown code lists, repeated columns, bad types, malformed year ranges) and every
//! error names the file and line. Other crates take their Arrow schemas from here, so a
//! column documented here is the column written.
//!
//! ```
//! let dictionary = cwsw_dictionary::Dictionary::embedded().expect("the embedded dictionary is valid");
//! let table = dictionary.table("pupil_terms").expect("a warehouse table");
//! let schema = table.arrow_schema();
//! assert!(schema.field_with_name("pupil_id").is_ok());
//! ```

mod academic_year;
pub mod estimand;
pub mod groups;
pub mod layout;
mod lookback;
mod markdown;
pub mod matrix;
mod model;
mod parameters;
pub mod relations;
pub mod upn;

pub use academic_year::{AcademicYear, Term, days_since_epoch};
pub use lookback::Lookback;
pub use markdown::render_markdown;
pub use model::{CodeList, CodeValue, Column, ColumnType, Kind, Table, YearRange};
pub use parameters::{SourcedParameter, SourcedValue, p8_national_sd};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What can go wrong loading the dictionary.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not valid YAML or does not have the dictionary's shape.
    #[error("{path} line {line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A file parsed but breaks one of the dictionary's rules.
    #[error("{path} line {line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// Which rule, naming the value.
        message: String,
    },
    /// A table was asked for that the dictionary does not declare.
    #[error("no table `{0}` in the data dictionary")]
    UnknownTable(String),
    /// A code list was asked for that the dictionary does not declare.
    #[error("no code list `{0}` in the data dictionary")]
    UnknownCodeList(String),
}

/// The whole dictionary: tables and code lists by name.
#[derive(Debug, Clone)]
pub struct Dictionary {
    tables: BTreeMap<String, Table>,
    code_lists: BTreeMap<String, CodeList>,
    rules: Vec<RuleDoc>,
}

/// A validation rule as the dictionary documents it (`rules/*.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// Stable id, e.g. `UPN-INVALID`.
    pub id: String,
    /// `error` (the row is rejected) or `warning` (kept and logged).
    pub severity: String,
    /// What the rule checks.
    pub message: String,
    /// The DfE validation rule it mirrors, or empty.
    pub mirrors: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<RuleDoc>,
}

/// The dictionary's files as compiled into the binary: (path relative to
/// `data-dictionary/`, contents). A test checks this list against the folder.
pub const EMBEDDED_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

impl Dictionary {
    /// The dictionary compiled into this binary.
    pub fn embedded() -> Result<Self, DictionaryError> {
        Self::from_files(
            EMBEDDED_FILES
                .iter()
                .map(|(path, text)| (PathBuf::from("data-dictionary").join(path), *text)),
        )
    }

    /// Loads every `*.yaml` file under `dir/sources`, `dir/warehouse`, `dir/code-lists`
    /// and `dir/rules`.
    pub fn load(dir: &Path) -> Result<Self, DictionaryError> {
        let mut files = Vec::new();
        for sub in ["sources", "warehouse", "code-lists", "rules"] {
            let folder = dir.join(sub);
            let entries = std::fs::read_dir(&folder).map_err(|source| DictionaryError::Io {
                path: folder.clone(),
                source,
            })?;
            for entry in entries {
                let path = entry
                    .map_err(|source| DictionaryError::Io {
                        path: folder.clone(),
                        source,
                    })?
                    .path();
                if path.extension().is_some_and(|ext| ext == "yaml") {
                    let text =
                        std::fs::read_to_string(&path).map_err(|source| DictionaryError::Io {
                            path: path.clone(),
                            source,
                        })?;
                    files.push((path, text));
                }
            }
        }
        files.sort();
        Self::from_files(
            files
                .iter()
                .map(|(path, text)| (path.clone(), text.as_str())),
        )
    }

    /// Parses and checks a set of files; code-list files are recognised by their
    /// `code_list:` key, table files by `table:`.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (PathBuf, &'a str)>,
    ) -> Result<Self, DictionaryError> {
        let mut tables = BTreeMap::new();
        let mut code_lists = BTreeMap::new();
        let mut table_sources = Vec::new();
        let mut rules = Vec::new();
        for (path, text) in files {
            if text.lines().any(|line| line.starts_with("rules:")) {
                let file: RulesFile =
                    serde_yaml_ng::from_str(text).map_err(|error| DictionaryError::Invalid {
                        line: error.location().map_or(0, |location| location.line()),
                        message: error.to_string(),
                        path: path.clone(),
                    })?;
                for rule in file.rules {
                    if rules.iter().any(|known: &RuleDoc| known.id == rule.id) {
                        return Err(DictionaryError::Invalid {
                            line: model::line_of(text, &format!("id: {}", rule.id), 2),
                            message: format!("rule `{}` is declared twice", rule.id),
                            path,
                        });
                    }
                    rules.push(rule);
                }
            } else if model::is_code_list(text) {
                let list = model::parse_code_list(&path, text)?;
                if code_lists.contains_key(&list.name) {
                    return Err(DictionaryError::Invalid {
                        line: 1,
                        message: format!("code list `{}` is declared twice", list.name),
                        path,
                    });
                }
                code_lists.insert(list.name.clone(), list);
            } else {
                let table = model::parse_table(&path, text)?;
                if tables.contains_key(&table.name) {
                    return Err(DictionaryError::Invalid {
                        line: 1,
                        message: format!("table `{}` is declared twice", table.name),
                        path,
                    });
                }
                table_sources.push((path, text, table.name.clone()));
                tables.insert(table.name.clone(), table);
            }
        }
        // Every code list a column names must exist.
        for (path, text, name) in &table_sources {
            let table = &tables[name];
            for column in &table.columns {
                if let Some(list) = &column.code_list
                    && !code_lists.contains_key(list)
                {
                    return Err(DictionaryError::Invalid {
                        path: path.clone(),
                        line: model::line_of(text, &format!("code_list: {list}"), 1),
                        message: format!(
                            "column `{}` names code list `{list}`, which is not in code-lists/",
                            column.name
                        ),
                    });
                }
            }
        }
        Ok(Self {
            tables,
            code_lists,
            rules,
        })
    }

    /// One table by name.
    pub fn table(&self, name: &str) -> Result<&Table, DictionaryError> {
        self.tables
            .get(name)
            .ok_or_else(|| DictionaryError::UnknownTable(name.to_string()))
    }

    /// One code list by name.
    pub fn code_list(&self, name: &str) -> Result<&CodeList, DictionaryError> {
        self.code_lists
            .get(name)
            .ok_or_else(|| DictionaryError::UnknownCodeList(name.to_string()))
    }

    /// Every table, sorted by name.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    /// Every validation rule, in the order the rules files give them.
    pub fn rules(&self) -> &[RuleDoc] {
        &self.rules
    }

    /// Every code list, sorted by name.
    pub fn code_lists(&self) -> impl Iterator<Item = &CodeList> {
        self.code_lists.values()
    }

    /// The names of every column any source declares a direct identifier.
    pub fn identifier_columns(&self) -> BTreeSet<(&str, &str)> {
        self.tables
            .values()
            .flat_map(|table| {
                table
                    .columns
                    .iter()
                    .filter(|column| column.identifier)
                    .map(|column| (table.name.as_str(), column.name.as_str()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_dictionary_loads() {
        let dictionary = Dictionary::embedded().expect("embedded dictionary is valid");
        assert!(dictionary.tables().count() > 5);
        assert!(dictionary.code_lists().count() > 5);
        assert!(dictionary.rules().len() > 10);
    }

    #[test]
    fn embedded_files_match_the_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data-dictionary");
        let mut on_disk = Vec::new();
        for sub in ["sources", "warehouse", "code-lists", "rules"] {
            for entry in std::fs::read_dir(root.join(sub)).expect("folder exists") {
                let name = entry.expect("entry").file_name();
                on_disk.push(format!("{sub}/{}", name.to_string_lossy()));
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = EMBEDDED_FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn folder_and_embedded_agree() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data-dictionary");
        let loaded = Dictionary::load(&root).expect("folder loads");
        let embedded = Dictionary::embedded().expect("embedded loads");
        assert_eq!(loaded.tables().count(), embedded.tables().count());
    }

    fn load_one(table: &str) -> Result<Dictionary, DictionaryError> {
        let list = "code_list: yes_no\ndescription: d\nreference: r\ncodes:\n  - code: \"Y\"\n    label: yes\n";
        Dictionary::from_files([
            (PathBuf::from("t.yaml"), table),
            (PathBuf::from("yes_no.yaml"), list),
        ])
    }

    const HEAD: &str = "table: t\nkind: source\nreturn: r\nformat: csv\nlocation: x.csv\ndescription: d\nreference: r\ngrain: g\ncolumns:\n";

    #[test]
    fn unknown_code_list_names_file_and_line() {
        let text = format!(
            "{HEAD}  - name: a\n    type: string\n    required: true\n    years: all\n    code_list: nope\n    description: d\n"
        );
        let error = load_one(&text).expect_err("must fail").to_string();
        assert_eq!(
            error,
            "t.yaml line 14: column `a` names code list `nope`, which is not in code-lists/"
        );
    }

    #[test]
    fn duplicate_column_names_file_and_line() {
        let column = "  - name: a\n    type: string\n    required: true\n    years: all\n    description: d\n";
        let text = format!("{HEAD}{column}{column}");
        let error = load_one(&text).expect_err("must fail").to_string();
        assert_eq!(error, "t.yaml line 15: column `a` is declared twice");
    }

    #[test]
    fn bad_type_names_file_and_line() {
        let text = format!(
            "{HEAD}  - name: a\n    type: text\n    required: true\n    years: all\n    description: d\n"
        );
        let error = load_one(&text).expect_err("must fail").to_string();
        assert!(
            error.starts_with("t.yaml line 11: "),
            "unexpected error: {error}"
        );
        assert!(error.contains("unknown variant `text`"), "{error}");
    }

    #[test]
    fn bad_year_range_names_file_and_line() {
        let text = format!(
            "{HEAD}  - name: a\n    type: string\n    required: true\n    years: 2025-2017\n    description: d\n"
        );
        let error = load_one(&text).expect_err("must fail").to_string();
        assert_eq!(
            error,
            "t.yaml line 13: column `a`: year range `2025-2017` runs backwards"
        );
    }
}
