//! Renders the dictionary as Markdown: an index, one page per table, one for code lists.

use std::fmt::Write as _;

use crate::{Dictionary, Kind};

/// The dictionary as Markdown files: (file name, contents), `index.md` first.
pub fn render_markdown(dictionary: &Dictionary) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut index = String::from("# cwsw data dictionary\n\n");
    for (kind, heading) in [
        (Kind::Source, "Source returns"),
        (Kind::Warehouse, "Warehouse tables"),
    ] {
        let _ = writeln!(
            index,
            "## {heading}\n\n| table | return | grain |\n|---|---|---|"
        );
        for table in dictionary.tables().filter(|table| table.kind == kind) {
            let _ = writeln!(
                index,
                "| [`{name}`]({name}.md) | {} | {} |",
                escape(&table.return_name),
                escape(&table.grain),
                name = table.name
            );
        }
        index.push('\n');
    }
    index.push_str("## Code lists\n\nSee [code-lists.md](code-lists.md).\n\n");
    index.push_str("## Validation rules\n\nSee [rules.md](rules.md).\n");
    files.push(("index.md".to_string(), index));
    let mut rules = String::from(
        "# Validation rules\n\nErrors reject the row; warnings keep it and are logged in `rejects.parquet`.\n\n| id | severity | checks | DfE rule mirrored |\n|---|---|---|---|\n",
    );
    for rule in dictionary.rules() {
        let _ = writeln!(
            rules,
            "| `{}` | {} | {} | {} |",
            rule.id,
            rule.severity,
            escape(&rule.message),
            escape(&rule.mirrors)
        );
    }
    files.push(("rules.md".to_string(), rules));

    for table in dictionary.tables() {
        let mut page = format!("# `{}`\n\n{}\n\n", table.name, escape(&table.description));
        let _ = writeln!(page, "- **Return:** {}", escape(&table.return_name));
        let _ = writeln!(
            page,
            "- **Format:** {} at `{}`",
            table.format, table.location
        );
        let _ = writeln!(page, "- **Grain:** {}", escape(&table.grain));
        let _ = writeln!(page, "- **Reference:** {}\n", escape(&table.reference));
        page.push_str(
            "| column | type | required | years | code list | description |\n|---|---|---|---|---|---|\n",
        );
        for column in &table.columns {
            let code_list = column.code_list.as_deref().map_or(String::new(), |list| {
                format!("[`{list}`](code-lists.md#{list})")
            });
            let identifier = if column.identifier {
                " **Identifier: never output.**"
            } else {
                ""
            };
            let _ = writeln!(
                page,
                "| `{}` | {} | {} | {} | {} | {}{} |",
                column.name,
                column.column_type.name(),
                if column.required { "yes" } else { "no" },
                column.years,
                code_list,
                escape(&column.description),
                identifier
            );
        }
        files.push((format!("{}.md", table.name), page));
    }

    let mut lists = String::from("# Code lists\n");
    for list in dictionary.code_lists() {
        let _ = write!(
            lists,
            "\n## {name}\n\n{}\n\nReference: {}\n\n| code | label | years | meaning |\n|---|---|---|---|\n",
            escape(&list.description),
            escape(&list.reference),
            name = list.name
        );
        for code in &list.codes {
            let _ = writeln!(
                lists,
                "| `{}` | {} | {} | {} |",
                code.code.replace('|', "\\|"),
                escape(&code.label),
                code.years,
                code.meaning.as_deref().unwrap_or("")
            );
        }
    }
    files.push(("code-lists.md".to_string(), lists));
    files
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
