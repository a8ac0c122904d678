//! The relations a reader of a submission can use between its published counts
//! (`domain.md` §3, `disclosure.md`), as data: `data-dictionary/disclosure/relations.yaml`,
//! embedded in the binary. Disclosure control reads them; publish first checks each
//! against the unsuppressed counts and fails, naming the relation and the cell, where
//! one does not hold.
//!
//! - `partitions`: a group whose children are exactly those of its parts, none in two
//!   (CIN at 31 March = CINO + CPPO + CLA at 31 March), in the measures it holds for;
//! - `nested`: a larger group that holds every child of a smaller one, so that their
//!   difference is itself a group of children (CLA at any point ⊇ CLA at 31 March);
//! - `identities`: a count column of a measure that is the sum of others of its row
//!   (coverage's `t_children = t_matched + t_no_upn + t_upn_not_found`);
//! - `shared`: a count column that is the same count in several measures' files.
//!
//! What each column counts (pupils, children, sessions), what it is *of* and which
//! counts each rate divides is the measure's layout (`layout`), written by the engine
//! from the query's header into every measure file: it is described there once.
//! Breakdown totals (`Total` = the sum of a breakdown's levels) follow from the layout.
//!
//! ```
//! let relations = cwsw_dictionary::relations::Relations::embedded().expect("valid");
//! assert!(relations.partitions.iter().any(|p| p.total == "CIN at 31 March"));
//! ```

use serde::Deserialize;

/// The embedded relations file.
pub const RELATIONS_YAML: &str = include_str!("../../../data-dictionary/disclosure/relations.yaml");

/// Where the embedded file lives, for messages.
pub const RELATIONS_PATH: &str = "data-dictionary/disclosure/relations.yaml";

/// Which measures (and, where it is narrower, which of their count columns) a
/// relation between groups holds for: every count of every measure that publishes the
/// groups it names, unless it says `only` or `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measures {
    /// Only these measures, each in every count column or in those it names.
    #[serde(default)]
    pub only: Option<Vec<Scope>>,
    /// Every measure but these.
    #[serde(default)]
    pub except: Vec<String>,
}

/// A measure, and the count columns of it a relation holds for (all when none named).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The measure.
    pub measure: String,
    /// Its count columns the relation holds for; every one when absent.
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

impl Measures {
    /// Whether the relation holds for `column` of `measure`.
    pub fn includes(&self, measure: &str, column: &str) -> bool {
        if self.except.iter().any(|name| name == measure) {
            return false;
        }
        self.only.as_ref().is_none_or(|scopes| {
            scopes.iter().any(|scope| {
                scope.measure == measure
                    && scope
                        .columns
                        .as_ref()
                        .is_none_or(|columns| columns.iter().any(|name| name == column))
            })
        })
    }
}

/// A count column of a measure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// The measure.
    pub measure: String,
    /// The column.
    pub column: String,
}

/// A group made of its parts, each child in exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// The whole group's label.
    pub total: String,
    /// The parts' labels.
    pub parts: Vec<String>,
    /// The measures it holds for.
    #[serde(default)]
    pub measures: Measures,
    /// Why it holds, from the cohort definitions.
    pub why: String,
}

/// A larger group holding every child of a smaller one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nested {
    /// The larger group's label.
    pub larger: String,
    /// The smaller group's label.
    pub smaller: String,
    /// The measures it holds for.
    #[serde(default)]
    pub measures: Measures,
    /// Why it holds, from the cohort definitions.
    pub why: String,
}

/// A count column that is the sum of others of its row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The measure.
    pub measure: String,
    /// The column that is the sum.
    pub total: String,
    /// The columns summed.
    pub parts: Vec<String>,
    /// Why it holds, from the measure's query.
    pub why: String,
}

/// A count published by several measures' files that is the same count in each (it
/// may carry another name in each), wherever both publish the same year, group and
/// breakdown level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shared {
    /// Where it is published.
    pub counts: Vec<Place>,
    /// Why it is the same count.
    pub why: String,
}

/// Every relation between published counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relations {
    /// Groups made of their parts.
    pub partitions: Vec<Partition>,
    /// Groups holding other groups.
    pub nested: Vec<Nested>,
    /// Count columns that are sums of others.
    pub identities: Vec<Identity>,
    /// Counts published by several measures.
    pub shared: Vec<Shared>,
}

/// A relations file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RelationsError {
    /// Not YAML of the file's form.
    #[error("{path}: not a relations file")]
    Parse {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A relation that says nothing or contradicts itself.
    #[error("{path}: {relation}: {problem}")]
    Invalid {
        /// The file.
        path: String,
        /// The relation.
        relation: String,
        /// What is wrong with it.
        problem: String,
    },
}

fn repeated(names: &[&String]) -> Option<String> {
    names
        .iter()
        .enumerate()
        .find(|(index, name)| names[..*index].contains(name))
        .map(|(_, name)| (*name).clone())
}

impl Relations {
    /// The embedded file.
    pub fn embedded() -> Result<Self, RelationsError> {
        Self::parse(RELATIONS_YAML, RELATIONS_PATH)
    }

    /// Parses and checks a relations file's text.
    pub fn parse(text: &str, path: &str) -> Result<Self, RelationsError> {
        let relations: Self =
            serde_yaml_ng::from_str(text).map_err(|source| RelationsError::Parse {
                path: path.to_string(),
                source,
            })?;
        let invalid = |relation: String, problem: &str| RelationsError::Invalid {
            path: path.to_string(),
            relation,
            problem: problem.to_string(),
        };
        for partition in &relations.partitions {
            let named: Vec<&String> = std::iter::once(&partition.total)
                .chain(&partition.parts)
                .collect();
            if partition.parts.len() < 2 {
                return Err(invalid(
                    partition.describe(),
                    "a partition has two or more parts",
                ));
            }
            if let Some(name) = repeated(&named) {
                return Err(invalid(
                    partition.describe(),
                    &format!("`{name}` is named twice"),
                ));
            }
        }
        for nested in &relations.nested {
            if nested.larger == nested.smaller {
                return Err(invalid(
                    nested.describe(),
                    "a group does not nest in itself",
                ));
            }
        }
        for identity in &relations.identities {
            let named: Vec<&String> = std::iter::once(&identity.total)
                .chain(&identity.parts)
                .collect();
            if identity.parts.is_empty() {
                return Err(invalid(identity.describe(), "an identity has parts"));
            }
            if let Some(name) = repeated(&named) {
                return Err(invalid(
                    identity.describe(),
                    &format!("`{name}` is named twice"),
                ));
            }
        }
        for shared in &relations.shared {
            let named: Vec<&String> = shared.counts.iter().map(|place| &place.measure).collect();
            if shared.counts.len() < 2 {
                return Err(invalid(
                    shared.describe(),
                    "a shared count is published by two or more measures",
                ));
            }
            if let Some(name) = repeated(&named) {
                return Err(invalid(
                    shared.describe(),
                    &format!("`{name}` is named twice"),
                ));
            }
        }
        for why in relations
            .partitions
            .iter()
            .map(|relation| (&relation.why, relation.describe()))
            .chain(relations.nested.iter().map(|r| (&r.why, r.describe())))
            .chain(relations.identities.iter().map(|r| (&r.why, r.describe())))
            .chain(relations.shared.iter().map(|r| (&r.why, r.describe())))
        {
            if why.0.trim().is_empty() {
                return Err(invalid(why.1, "say why it holds"));
            }
        }
        Ok(relations)
    }
}

impl Partition {
    /// `CIN at 31 March = CINO at 31 March + …`.
    pub fn describe(&self) -> String {
        format!("{} = {}", self.total, self.parts.join(" + "))
    }
}

impl Nested {
    /// `CLA at any point ⊇ CLA at 31 March`.
    pub fn describe(&self) -> String {
        format!("{} ⊇ {}", self.larger, self.smaller)
    }
}

impl Identity {
    /// `coverage: t_children = t_matched + …`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} = {}",
            self.measure,
            self.total,
            self.parts.join(" + ")
        )
    }
}

impl Shared {
    /// `exclusions t_pupils = sen t_pupils = …`.
    pub fn describe(&self) -> String {
        self.counts
            .iter()
            .map(|place| format!("{} {}", place.measure, place.column))
            .collect::<Vec<_>>()
            .join(" = ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_relations_are_valid() {
        let relations = Relations::embedded().expect("valid");
        assert!(!relations.partitions.is_empty());
        assert!(!relations.nested.is_empty());
        assert!(!relations.identities.is_empty());
    }

    #[test]
    fn a_relation_that_says_nothing_is_refused() {
        let file = |partition: &str| {
            format!("partitions:\n  - {partition}\nnested: []\nidentities: []\nshared: []\n")
        };
        for (partition, problem) in [
            ("{total: A, parts: [B], why: x}", "two or more parts"),
            ("{total: A, parts: [B, A], why: x}", "`A` is named twice"),
            ("{total: A, parts: [B, C], why: ' '}", "say why"),
        ] {
            let error = Relations::parse(&file(partition), "test.yaml").expect_err("refused");
            assert!(error.to_string().contains(problem), "{error}");
        }
        let error =
            Relations::parse(&file("{total: A, parts: [B, C]}"), "test.yaml").expect_err("no why");
        assert!(error.to_string().starts_with("test.yaml"), "{error}");
        let nested = "partitions: []\nnested: [{larger: A, smaller: A, why: x}]\nidentities: []\nshared: []\n";
        assert!(Relations::parse(nested, "t").is_err());
        let shared = "partitions: []\nnested: []\nidentities: []\nshared: [{counts: [{measure: a, column: t}], why: x}]\n";
        assert!(Relations::parse(shared, "t").is_err());
    }

    #[test]
    fn measures_say_where_a_relation_holds() {
        assert!(Measures::default().includes("absence", "t_pupils"));
        let only: Measures = serde_yaml_ng::from_str(
            "only: [{measure: sen}, {measure: coverage, columns: [t_matched]}]",
        )
        .expect("parses");
        assert!(only.includes("sen", "t_all_SEN"));
        assert!(only.includes("coverage", "t_matched"));
        assert!(!only.includes("coverage", "t_children"));
        assert!(!only.includes("absence", "t_pupils"));
        let except: Measures = serde_yaml_ng::from_str("except: [ks2, ks4]").expect("parses");
        assert!(!except.includes("ks2", "t_pupils") && except.includes("sen", "t_pupils"));
    }
}
