//! Stage `filename` (`screen_filenames()`): the names of the two files.

use crate::screen::{Finding, quoted};
use crate::table::Input;

/// `filename_spaces`: neither file name contains a space.
/// (The R screener reports the data and metadata names as two rows; here one
/// outcome covers both.)
pub(crate) fn filename_spaces(input: &Input) -> Finding {
    let spaced: Vec<&str> = [input.data_name.as_str(), input.meta_name.as_str()]
        .into_iter()
        .filter(|name| name.contains(' '))
        .collect();
    if spaced.is_empty() {
        Finding::pass("neither file name has a space")
    } else {
        Finding::fail(format!("remove the spaces from {}", quoted(&spaced)))
    }
}

/// `tools::file_path_sans_ext()`: drop a final `.ext` of letters and digits.
fn without_extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, extension))
            if !extension.is_empty()
                && extension.chars().all(char::is_alphanumeric)
                && !stem.is_empty()
                && !stem.ends_with('.') =>
        {
            stem
        }
        _ => name,
    }
}

/// The special characters in a file name, once the extension, a `.meta` suffix,
/// hyphens, underscores and whitespace are set aside.
fn special_characters(name: &str) -> Vec<char> {
    let stem = without_extension(name);
    let stem = stem.strip_suffix(".meta").unwrap_or(stem);
    let mut found = Vec::new();
    for c in stem.chars() {
        let allowed = c.is_alphanumeric() || c == '-' || c == '_' || c.is_whitespace();
        if !allowed && !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

/// `filename_special`: file names hold only letters, digits, hyphens and underscores.
pub(crate) fn filename_special(input: &Input) -> Finding {
    let problems: Vec<String> = [input.data_name.as_str(), input.meta_name.as_str()]
        .into_iter()
        .filter_map(|name| {
            let special = special_characters(name);
            (!special.is_empty()).then(|| {
                let listed: Vec<String> = special.iter().map(char::to_string).collect();
                format!("'{name}' has {}", listed.join(" "))
            })
        })
        .collect();
    if problems.is_empty() {
        Finding::pass("the file names have no special characters")
    } else {
        Finding::fail(format!(
            "file names may hold only letters, numbers, hyphens and underscores: {}",
            problems.join("; ")
        ))
    }
}

/// `filenames_match`: the metadata file is the data file's name with `.csv`
/// replaced by `.meta.csv`.
pub(crate) fn filenames_match(input: &Input) -> Finding {
    let expected = input.data_name.replacen(".csv", ".meta.csv", 1);
    if input.meta_name == expected {
        Finding::pass("the file names follow the naming convention")
    } else {
        Finding::fail(format!(
            "for data file '{}' the metadata file should be '{expected}', not '{}'",
            input.data_name, input.meta_name
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::Level;
    use crate::testing::{DATA, META, run_named};

    #[test]
    fn filename_spaces_fails_on_a_space() {
        let outcome = run_named(
            "filename_spaces",
            "my file.csv",
            DATA,
            "my file.meta.csv",
            META,
        );
        assert_eq!(outcome.level, Level::Fail, "{}", outcome.message);
    }

    #[test]
    fn filename_special_fails_on_punctuation() {
        let outcome = run_named(
            "filename_special",
            "abs&ence.csv",
            DATA,
            "abs&ence.meta.csv",
            META,
        );
        assert_eq!(outcome.level, Level::Fail, "{}", outcome.message);
        assert!(outcome.message.contains('&'));
        let hyphen = run_named(
            "filename_special",
            "ab-sen_ce.csv",
            DATA,
            "ab-sen_ce.meta.csv",
            META,
        );
        assert_eq!(hyphen.level, Level::Pass, "{}", hyphen.message);
    }

    #[test]
    fn filenames_match_fails_on_a_mismatch() {
        let outcome = run_named(
            "filenames_match",
            "absence.csv",
            DATA,
            "absence_meta.csv",
            META,
        );
        assert_eq!(outcome.level, Level::Fail, "{}", outcome.message);
    }
}
