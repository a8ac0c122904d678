//! The output checker's folder (`design.md`, "Outputs"; `disclosure.md`, "Where it
//! lives"): each file's suppression log and a README that says who it is for, what the
//! threshold was and what disclosure control leaves out. A log that says which `c` is
//! primary narrows its partner (`domain.md` §3), so it never goes into the submission:
//! publish refuses a checking folder inside the submission, and a submission folder
//! that already holds a log.

use std::path::{Component, Path, PathBuf};

use crate::ees::{create, write};
use crate::{Destination, DisclosureRules, PublishError};

/// How a suppression log's file name ends: `absence.suppression.csv`.
pub const SUPPRESSION_LOG: &str = ".suppression.csv";

/// The README of the output checker's folder, with the threshold these rules applied.
pub fn checking_readme(rules: &DisclosureRules) -> String {
    let threshold = rules.threshold;
    format!(
        "\
# Output checking: not for the submission

These files are for the output checker who signs off this release (the local
authority's, or the secure setting's), not for the research partner. Do not send this
folder, or any file in it, with the submission.

## The threshold

Counts of pupils or children from 1 to {threshold} are suppressed (`c`), and so is every
figure derived from one. A count of 0 is shown.

## The logs

`NAME.suppression.csv` lists every `c` of the submission's `NAME.csv`: its year, group
and filter levels, the indicator, and why it is hidden:

- `primary`: a count of 1 to {threshold} pupils or children;
- `primary (derived)`: a figure derived from a primary `c` (a rate over it, a count of
  those pupils' sessions);
- `secondary`: a complement, hidden so that no protected cell can be worked out
  exactly from the figures shown; `protects` names the protected cell that showing it
  would give away (a primary count, a count of those people, or a difference of
  nested groups of 1 to {threshold} children);
- `secondary (derived)`: a figure derived from a secondary `c`;
- `withheld (lineage)`: an estimate that rests on a suppressed cell.

A log says which `c` is primary, and so narrows its partner: that is why it is kept
apart from the submission.

## Out of scope

As in tau-ARGUS and DfE practice:

- the sum of two primary cells may be known (CPPO + CLA = 5 tells no one's count);
- the complement within a row is not protected (50 pupils, 47 of them persistently
  absent, tells that 3 are not);
- what a reader could learn by comparing this submission with another one (an earlier
  release, or another set of years) is not checked.

## What secondary suppression covers

Every count of every file, at once, as one linear system: the group partitions, each
breakdown's `Total` = the sum of its levels, the identities between count columns of a
row, the counts two files publish alike, and the differences of nested groups (CLA at
any point - CLA at 31 March), as listed with why each holds in cwsw's
`data-dictionary/disclosure/relations.yaml`. Complements are chosen by Gaussian
elimination in exact arithmetic, so that no protected cell is a linear function of
what is shown.

## Known limits of this version

What linear algebra misses is not yet checked: a reader also knows that every count is
at least 0 and every primary `c` at least 1, and with those bounds can sometimes pin a
cell (two hidden parts of a shown difference of 2 are both 1). The interval audit that
proves a table against that, as tau-ARGUS and sdcTable do, is not built yet: check small
differences by hand before signing off.
"
    )
}

/// Writes the output checker's folder's `README.md`.
pub fn write_checking(checking: &Path, rules: &DisclosureRules) -> Result<PathBuf, PublishError> {
    create(checking)?;
    write(
        checking.join("README.md"),
        checking_readme(rules).into_bytes(),
    )
}

/// A path made absolute and free of `.` and `..`, by its text alone.
fn lexical(path: &Path) -> Result<PathBuf, PublishError> {
    let absolute = std::path::absolute(path).map_err(|source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut clean = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    Ok(clean)
}

/// Refuses a checking folder that is the submission folder or inside it, and a
/// submission folder that already holds a suppression log (as cwsw wrote before the
/// logs moved out): either would send the log with the submission.
pub(crate) fn check_apart(destination: Destination) -> Result<(), PublishError> {
    let submission = lexical(destination.submission)?;
    let checking = lexical(destination.checking)?;
    if checking.starts_with(&submission) {
        return Err(PublishError::CheckingInSubmission {
            checking: destination.checking.to_path_buf(),
            submission: destination.submission.to_path_buf(),
        });
    }
    let entries = match std::fs::read_dir(destination.submission) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(PublishError::Io {
                path: destination.submission.to_path_buf(),
                source,
            });
        }
    };
    let mut logs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| PublishError::Io {
                path: destination.submission.to_path_buf(),
                source,
            })?
            .path();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().ends_with(SUPPRESSION_LOG))
        {
            logs.push(path);
        }
    }
    logs.sort();
    match logs.into_iter().next() {
        Some(path) => Err(PublishError::LogInSubmission {
            path,
            folder: destination.submission.to_path_buf(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination<'a>(submission: &'a Path, checking: &'a Path) -> Destination<'a> {
        Destination {
            submission,
            checking,
        }
    }

    #[test]
    fn the_checking_folder_may_not_be_in_the_submission() {
        let dir = tempfile::tempdir().expect("a folder");
        let submission = dir.path().join("submission");
        for inside in [
            submission.clone(),
            submission.join("checking"),
            submission.join("../submission/./logs"),
        ] {
            let error = check_apart(destination(&submission, &inside)).expect_err("refused");
            assert!(
                matches!(error, PublishError::CheckingInSubmission { .. }),
                "{error}"
            );
            assert!(error.to_string().contains("\nhint: "), "{error}");
        }
        for apart in [
            dir.path().join("output-checking"),
            dir.path().join("submission-logs"),
            dir.path().to_path_buf(),
        ] {
            check_apart(destination(&submission, &apart)).expect("apart");
        }
    }

    #[test]
    fn a_submission_that_holds_a_log_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().expect("a folder");
        let submission = dir.path().join("submission");
        let checking = dir.path().join("output-checking");
        check_apart(destination(&submission, &checking)).expect("no folder yet");
        std::fs::create_dir_all(&submission).expect("created");
        std::fs::write(submission.join("absence.csv"), "data").expect("written");
        check_apart(destination(&submission, &checking)).expect("no log");
        std::fs::write(submission.join("absence.suppression.csv"), "log").expect("written");
        let error = check_apart(destination(&submission, &checking)).expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("absence.suppression.csv") && message.contains("\nhint: move"),
            "{message}"
        );
    }

    #[test]
    fn the_readme_gives_the_threshold_and_says_it_stays_apart() {
        let readme = checking_readme(&DisclosureRules { threshold: 10 });
        assert!(readme.contains("from 1 to 10 are suppressed"), "{readme}");
        assert!(readme.contains("Do not send this"), "{readme}");
        assert!(readme.contains("## Out of scope"), "{readme}");
    }
}
