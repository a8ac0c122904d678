//! The LA evaluation report: one self-contained HTML file (inline CSS and SVG, no
//! network) drawn only from published, disclosure-controlled tables.
//!
//! ```
//! use cwsw_report::escape;
//! assert_eq!(escape("a < b & c"), "a &lt; b &amp; c");
//! ```

use std::fmt::Write as _;

use cwsw_publish::{Cell, PublishedTable};

/// Data-quality figures for the report, from the extract ledger and rejects.
#[derive(Debug, Clone, Default)]
pub struct DataQuality {
    /// Input files read.
    pub files: usize,
    /// Rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Rows de-duplicated.
    pub rows_deduplicated: u64,
    /// Rule ids with their counts, most frequent first.
    pub rules: Vec<(String, String, u64)>,
}

/// What the report shows.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The published absence table.
    pub absence: &'a PublishedTable,
    /// Data quality.
    pub quality: &'a DataQuality,
    /// The tool version line.
    pub tool: String,
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The groups drawn in the chart, with their colours (Okabe–Ito, readable in greyscale).
const CHART_GROUPS: &[(&str, &str)] = &[
    ("All pupils comparison", "#000000"),
    ("CINO at 31 March", "#D55E00"),
    ("CPPO at 31 March", "#0072B2"),
    ("CLA 12 months at 31 March", "#009E73"),
];

fn indicator_index(table: &PublishedTable, name: &str) -> Option<usize> {
    table.indicator(name)
}

/// An SVG line chart of the overall absence rate by year for each drawn group, with
/// its 95% interval as a bar; suppressed (`c`) and not collected (`x`) years are gaps
/// labelled as such.
fn absence_chart(table: &PublishedTable) -> String {
    let (width, height) = (820.0, 360.0);
    let (left, right, top, bottom) = (60.0, 250.0, 20.0, 50.0);
    let plot_width = width - left - right;
    let plot_height = height - top - bottom;
    let mut years: Vec<_> = table.rows.iter().map(|row| row.year).collect();
    years.dedup();
    let rate = indicator_index(table, "pt_overall").unwrap_or(0);
    let lower = indicator_index(table, "pt_overall_lower_ci").unwrap_or(0);
    let upper = indicator_index(table, "pt_overall_upper_ci").unwrap_or(0);
    let maximum = table
        .rows
        .iter()
        .flat_map(|row| [row.cells[rate].number(), row.cells[upper].number()])
        .flatten()
        .fold(5.0_f64, f64::max);
    let y_top = (maximum / 5.0).ceil() * 5.0;
    let x = |index: usize| left + plot_width * (index as f64 + 0.5) / years.len().max(1) as f64;
    let y = |value: f64| top + plot_height * (1.0 - value / y_top);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"absence-title\">\n<title id=\"absence-title\">Overall absence rate (%) by academic year and social care group</title>\n"
    );
    let steps = (y_top / 5.0) as usize;
    for step in 0..=steps {
        let value = y_top * step as f64 / steps.max(1) as f64;
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{value:.0}%</text>",
            left + plot_width,
            left - 6.0,
            y(value) + 4.0,
            y = y(value)
        );
    }
    for (index, year) in years.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{year}</text>",
            x(index),
            height - bottom + 20.0
        );
    }
    // The role was extended to children with a social worker in September 2021.
    if let Some(index) = years.iter().position(|year| year.start_year() == 2021) {
        let boundary = x(index) - plot_width / years.len().max(1) as f64 / 2.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{boundary:.1}\" x2=\"{boundary:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"#505a5f\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#505a5f\">role extended, Sep 2021</text>",
            top + plot_height,
            boundary + 4.0,
            top + 12.0
        );
    }
    for (order, (group, colour)) in CHART_GROUPS.iter().enumerate() {
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut segments = Vec::new();
        for (index, year) in years.iter().enumerate() {
            let Some(row) = table
                .rows
                .iter()
                .find(|row| row.year == *year && row.group == *group)
            else {
                continue;
            };
            match row.cells[rate].number() {
                Some(value) => {
                    segment.push((x(index), y(value)));
                    if let (Some(low), Some(high)) =
                        (row.cells[lower].number(), row.cells[upper].number())
                    {
                        let _ = writeln!(
                            svg,
                            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"3\" opacity=\"0.35\"/>",
                            y(low),
                            y(high),
                            x = x(index)
                        );
                    }
                    let _ = writeln!(
                        svg,
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\"><title>{}: {value:.1}%</title></circle>",
                        x(index),
                        y(value),
                        escape(group)
                    );
                }
                None => {
                    if !segment.is_empty() {
                        segments.push(std::mem::take(&mut segment));
                    }
                    let symbol = row.cells[rate].text();
                    let _ = writeln!(
                        svg,
                        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{colour}\">{}</text>",
                        x(index),
                        top + plot_height - 6.0 - 12.0 * order as f64,
                        escape(symbol)
                    );
                }
            }
        }
        if !segment.is_empty() {
            segments.push(segment);
        }
        for points in segments {
            let path: Vec<String> = points
                .iter()
                .map(|(px, py)| format!("{px:.1},{py:.1}"))
                .collect();
            let _ = writeln!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                path.join(" ")
            );
        }
        let legend_y = top + 20.0 * order as f64 + 10.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{legend_y}\" y2=\"{legend_y}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            width - right + 15.0,
            width - right + 40.0,
            width - right + 46.0,
            legend_y + 4.0,
            escape(group)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The gap between children in need (CINO) and all pupils, in plain words, for the
/// first and last years in which both are published.
fn absence_findings(table: &PublishedTable) -> String {
    let Some(rate) = indicator_index(table, "pt_overall") else {
        return String::new();
    };
    let value = |year, group: &str| {
        table
            .rows
            .iter()
            .find(|row| row.year == year && row.group == group)
            .and_then(|row| row.cells[rate].number())
    };
    let mut years: Vec<_> = table.rows.iter().map(|row| row.year).collect();
    years.dedup();
    let gaps: Vec<_> = years
        .iter()
        .filter_map(|year| {
            let cino = value(*year, "CINO at 31 March")?;
            let all = value(*year, "All pupils comparison")?;
            Some((*year, cino, all))
        })
        .collect();
    let (Some(first), Some(last)) = (gaps.first(), gaps.last()) else {
        return String::new();
    };
    let sentence = |(year, cino, all): &(cwsw_dictionary::AcademicYear, f64, f64)| {
        format!(
            "in {year}, children in need (CINO) missed {cino:.1}% of their sessions against {all:.1}% for all pupils, a gap of {:.1} percentage points",
            cino - all
        )
    };
    if first.0 == last.0 {
        return format!("<p><b>What this shows:</b> {}.</p>\n", sentence(first));
    }
    format!(
        "<p><b>What this shows:</b> {}; {}. These are descriptive figures: the gap moves with the whole school population, so compare it with the all-pupils line before reading it as an effect of the role.</p>\n",
        sentence(first),
        sentence(last)
    )
}

fn cell_html(cell: &Cell) -> String {
    match cell {
        Cell::Value(text) => escape(text),
        Cell::Suppressed => "<abbr title=\"suppressed: fewer than 6 pupils\">c</abbr>".to_string(),
        Cell::NotApplicable => "<abbr title=\"not applicable: no pupils\">z</abbr>".to_string(),
        Cell::NotAvailable => "<abbr title=\"not collected this year\">x</abbr>".to_string(),
    }
}

/// The absence table's columns, in the order of its headings.
const TABLE_COLUMNS: [&str; 6] = [
    "t_pupils",
    "pt_overall",
    "pt_authorised",
    "pt_unauthorised",
    "pt_pupils_pa_10_exact",
    "pt_pupils_pa_50_exact",
];

/// The whole report as HTML.
pub fn render(input: &ReportInput) -> String {
    // The headline rows: the breakdowns are in the submission.
    let headline = input.absence.headline();
    let table = &headline;
    let la = table.la;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Children with a social worker: evaluation report, {name}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c;line-height:1.45}}\ntable{{border-collapse:collapse;font-size:0.85rem;margin:1rem 0}}\nth,td{{border:1px solid #b1b4b6;padding:0.25rem 0.5rem;text-align:right}}\nth:nth-child(-n+2),td:nth-child(-n+2){{text-align:left}}\nabbr{{text-decoration:none;font-weight:bold}}\n.note{{color:#505a5f;font-size:0.9rem}}\n</style>\n</head>\n<body>\n<h1>Children with a social worker: evaluation report</h1>\n<p>{name} ({code}), {region}. Academic years {first} to {last}.</p>\n",
        name = escape(la.la_name),
        code = la.old_la_code,
        region = escape(la.region_name),
        first = table
            .rows
            .first()
            .map(|row| row.year.to_string())
            .unwrap_or_default(),
        last = table
            .rows
            .last()
            .map(|row| row.year.to_string())
            .unwrap_or_default(),
    );
    html.push_str("<h2>Attendance: overall absence</h2>\n<p>Absence sessions as a share of possible sessions, pupils of compulsory school age, by the DfE's social care groups at 31 March. A child is counted once, in the first of CLA, CPP and CIN that applies, so CINO, CPPO and CLA do not overlap. Bars show 95% confidence intervals (ratio estimator, pupils as the unit). The Virtual School Head role was extended to children with a social worker from September 2021 (2021/22).</p>\n");
    html.push_str(&absence_chart(table));
    html.push_str(&absence_findings(table));
    html.push_str("<p class=\"note\"><b>c</b>: suppressed to protect pupils (a count from 1 to 5, a figure derived from one, or a figure hidden so that another cannot be worked out by subtraction). <b>x</b>: not collected (no attendance was collected for the spring and summer terms of 2019/20). <b>z</b>: not applicable.</p>\n");
    html.push_str("<table>\n<thead><tr><th>Year</th><th>Group</th><th>Pupils</th><th>Overall %</th><th>Authorised %</th><th>Unauthorised %</th><th>Persistent absence %</th><th>Severe absence %</th></tr></thead>\n<tbody>\n");
    for row in &table.rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td>",
            row.year,
            escape(&row.group)
        );
        for column in TABLE_COLUMNS {
            let cell = indicator_index(table, column)
                .map(|index| cell_html(&row.cells[index]))
                .unwrap_or_default();
            let _ = write!(html, "<td>{cell}</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    let quality = input.quality;
    let _ = write!(
        html,
        "<h2>Data quality</h2>\n<p>{files} input files; {read} rows read, {accepted} accepted, {rejected} rejected, {deduplicated} duplicates dropped. Every row is accounted for in the extract ledger.</p>\n",
        files = quality.files,
        read = quality.rows_read,
        accepted = quality.rows_accepted,
        rejected = quality.rows_rejected,
        deduplicated = quality.rows_deduplicated
    );
    if !quality.rules.is_empty() {
        html.push_str("<table>\n<thead><tr><th>Rule</th><th>What it checks</th><th>Rows</th></tr></thead>\n<tbody>\n");
        for (rule, description, count) in &quality.rules {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{count}</td></tr>",
                escape(rule),
                escape(description)
            );
        }
        html.push_str("</tbody>\n</table>\n");
    }
    let _ = write!(
        html,
        "<p class=\"note\">Made by {}. Only disclosure-controlled aggregates appear in this report.</p>\n</body>\n</html>\n",
        escape(&input.tool)
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use cwsw_dictionary::AcademicYear;
    use cwsw_publish::{Indicator, PublishedRow, local_authority};

    const COLUMNS: [&str; 6] = TABLE_COLUMNS;

    fn row(year: i32, group: &str, overall: Cell) -> PublishedRow {
        let mut cells = vec![Cell::Value("100".into()); COLUMNS.len()];
        cells[1] = overall;
        PublishedRow {
            year: AcademicYear::starting(year),
            group: group.to_string(),
            levels: vec!["Total".into()],
            cells,
        }
    }

    #[test]
    fn renders_symbols_chart_and_findings() {
        let mut breakdown = row(2021, "CINO at 31 March", Cell::Value("99.9".into()));
        breakdown.levels = vec!["Female".into()];
        let table = PublishedTable {
            name: "absence".into(),
            filters: Vec::new(),
            indicators: COLUMNS
                .iter()
                .map(|name| Indicator {
                    name: name.to_string(),
                    label: name.to_string(),
                    unit: "%".into(),
                    dp: 1,
                    grouping: String::new(),
                })
                .collect(),
            la: *local_authority("801").expect("known"),
            rows: vec![
                row(2018, "All pupils comparison", Cell::Value("4.7".into())),
                row(2018, "CINO at 31 March", Cell::Value("11.5".into())),
                row(2019, "All pupils comparison", Cell::NotAvailable),
                row(2019, "CINO at 31 March", Cell::NotAvailable),
                row(2021, "All pupils comparison", Cell::Value("7.6".into())),
                row(2021, "CINO at 31 March", Cell::Value("16.2".into())),
                breakdown,
                row(2021, "CPPO at 31 March", Cell::Suppressed),
            ],
            suppressed: vec![],
        };
        let html = render(&ReportInput {
            absence: &table,
            quality: &DataQuality::default(),
            tool: "cwsw test".into(),
        });
        assert!(html.contains("<svg"));
        assert!(html.contains("in 2018/19, children in need (CINO) missed 11.5% of their sessions against 4.7% for all pupils, a gap of 6.8 percentage points"), "{html}");
        assert!(
            html.contains("in 2021/22, children in need (CINO) missed 16.2%"),
            "{html}"
        );
        assert!(html.contains("<abbr title=\"suppressed: fewer than 6 pupils\">c</abbr>"));
        assert!(html.contains("<abbr title=\"not collected this year\">x</abbr>"));
        assert!(html.contains("Bristol, City of"));
        // Breakdown rows stay in the submission: the report shows the headline.
        assert!(!html.contains("99.9"), "{html}");
    }
}
