//! The stages end to end: what `cwsw demo` runs, and what each stage command calls.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use cwsw_dictionary::{AcademicYear, Dictionary};
use cwsw_engine::{EngineOptions, MeasureResult, QuerySet};
use cwsw_extract::{ExtractOptions, ExtractSummary, PseudonymisationKey};
use cwsw_publish::{DisclosureRules, Submission};
use cwsw_report::{DataQuality, ReportInput};
use cwsw_synth::{SynthOptions, WrittenReturns};

/// Progress lines on stderr, each stage with its time.
pub struct Progress {
    started: Instant,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
        }
    }

    pub fn stage(&mut self, message: &str) {
        eprintln!(
            "cwsw [{:>6.1}s] {message}",
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// Where the demo put its outputs.
pub struct DemoOutputs {
    pub report: PathBuf,
    pub submission: PathBuf,
    /// The output checker's folder: the suppression logs, never sent.
    pub checking: PathBuf,
    pub estimates: PathBuf,
}

pub fn synth(
    options: &SynthOptions,
    out: &Path,
    progress: &mut Progress,
) -> Result<WrittenReturns> {
    options.validate()?;
    progress.stage(&format!(
        "synth: generating an LA of about {} pupils, {} to {}",
        options.pupils, options.first_year, options.last_year
    ));
    let population = cwsw_synth::generate(options);
    progress.stage(&format!(
        "synth: {} children; writing returns to {}",
        population.children.len(),
        out.display()
    ));
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    Ok(cwsw_synth::write_returns(&population, options, out)?)
}

pub fn extract(
    input: &Path,
    out: &Path,
    key: &PseudonymisationKey,
    la_code: Option<String>,
    progress: &mut Progress,
) -> Result<ExtractSummary> {
    progress.stage(&format!(
        "extract: {} -> {}",
        input.display(),
        out.display()
    ));
    let dictionary = Dictionary::embedded()?;
    let options = ExtractOptions {
        input: input.to_path_buf(),
        output: out.to_path_buf(),
        la_code,
        census_slice_bytes: None,
    };
    let started = Instant::now();
    let summary = cwsw_extract::extract(&options, key, &dictionary)?;
    let rejected: u64 = summary.ledger.values().map(|entry| entry.rejected).sum();
    let accepted: u64 = summary.ledger.values().map(|entry| entry.accepted).sum();
    progress.stage(&format!(
        "extract: {accepted} rows accepted, {rejected} rejected; ledger balances"
    ));
    let wall = started.elapsed().as_secs_f64().max(1e-9);
    let mut total_bytes = 0;
    for source in &summary.sources {
        if source.files == 0 {
            continue;
        }
        total_bytes += source.bytes;
        let megabytes = source.bytes as f64 / 1e6;
        let seconds = source.seconds.max(1e-9);
        progress.stage(&format!(
            "extract: {}: {} files, {megabytes:.1} MB, {} rows; {:.2} s of one thread ({:.0} MB/s, {:.0} rows/s per thread; {} threads)",
            source.kind,
            source.files,
            source.rows,
            source.seconds,
            megabytes / seconds,
            source.rows as f64 / seconds,
            source.threads
        ));
    }
    let threads = summary
        .sources
        .iter()
        .map(|source| source.threads)
        .collect::<std::collections::BTreeSet<_>>();
    let threads = threads
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    progress.stage(&format!(
        "extract: {:.1} MB in {wall:.2} s wall ({:.0} MB/s on {threads} threads)",
        total_bytes as f64 / 1e6,
        total_bytes as f64 / 1e6 / wall,
    ));
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for skipped in &summary.skipped {
        *reasons.entry(skipped.reason.as_str()).or_default() += 1;
    }
    for (reason, count) in reasons {
        progress.stage(&format!(
            "extract: {count} files not extracted: {reason} (listed in extract.json)"
        ));
    }
    Ok(summary)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the query runtime")
}

/// What `cwsw run` is asked to do.
pub struct RunRequest<'a> {
    pub warehouse: &'a Path,
    pub out: &'a Path,
    pub years: &'a [AcademicYear],
    pub only: &'a [String],
    pub overrides: &'a [(String, String)],
    pub options: &'a EngineOptions,
    pub timings: Option<&'a Path>,
}

pub fn run_measures(request: &RunRequest, progress: &mut Progress) -> Result<Vec<MeasureResult>> {
    let queries = QuerySet::embedded()?;
    let output = runtime()?.block_on(async {
        let engine = cwsw_engine::Engine::open(request.warehouse, queries, request.options).await?;
        engine
            .run(
                request.years,
                request.only,
                request.overrides,
                &mut |step| progress.stage(&format!("run: {step}")),
            )
            .await
    })?;
    for timing in &output.timings {
        progress.stage(&format!(
            "run: {} {:.2}s, peak RSS {}",
            timing.query,
            timing.seconds,
            timing
                .peak_rss_bytes
                .map_or("unknown".to_string(), |bytes| format!("{} MB", bytes >> 20))
        ));
    }
    if let Some(path) = request.timings {
        let mut text = String::from("query,seconds,peak_rss_bytes\n");
        for timing in &output.timings {
            text.push_str(&format!(
                "{},{:.4},{}\n",
                timing.query,
                timing.seconds,
                timing
                    .peak_rss_bytes
                    .map_or(String::new(), |bytes| bytes.to_string())
            ));
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    cwsw_engine::write_measures(&output.measures, request.out)?;
    Ok(output.measures)
}

/// One line for each measure's year that is `x` because a census it needs is not among
/// the inputs: `2024/25 absence: the autumn 2025 census is not among the inputs`.
pub fn incomplete_years(results: &[MeasureResult]) -> Vec<String> {
    results
        .iter()
        .flat_map(|result| &result.years)
        .filter(|measure_year| !measure_year.complete())
        .map(|measure_year| {
            format!(
                "{} {}: {} (x; see measure_years.csv)",
                measure_year.year,
                measure_year.measure,
                measure_year.note()
            )
        })
        .collect()
}

/// `cwsw sql`: ad-hoc SQL over the warehouse (and, given years, the cohort tables of
/// those years), rendered as a table, CSV or JSON lines.
pub fn sql(
    warehouse: &Path,
    sql: &str,
    years: &[AcademicYear],
    overrides: &[(String, String)],
    format: &str,
    options: &EngineOptions,
) -> Result<String> {
    let queries = QuerySet::embedded()?;
    let batches = runtime()?.block_on(async {
        let engine = cwsw_engine::Engine::open(warehouse, queries, options).await?;
        let mut timings = Vec::new();
        if !years.is_empty() {
            engine
                .register_cohorts(years, overrides, &mut |_| {}, &mut timings)
                .await?;
        }
        // Placeholders take the values given with --param, as text.
        let parameters: Vec<(String, cwsw_engine::ScalarValue)> = overrides
            .iter()
            .map(|(name, value)| {
                (
                    name.clone(),
                    cwsw_engine::ScalarValue::Utf8(Some(value.clone())),
                )
            })
            .collect();
        engine.sql(sql, &parameters).await
    })?;
    render(&batches, format)
}

/// Renders query results: `table` (aligned), `csv` or `json` (one object per line).
pub fn render(batches: &[arrow::array::RecordBatch], format: &str) -> Result<String> {
    use arrow::array::Array as _;
    use arrow::datatypes::DataType;
    match format {
        "table" => Ok(format!(
            "{}\n",
            arrow::util::pretty::pretty_format_batches(batches)?
        )),
        "csv" | "json" => {
            let options = arrow::util::display::FormatOptions::default();
            let mut text = String::new();
            let Some(first) = batches.first() else {
                return Ok(text);
            };
            let schema = first.schema();
            let names: Vec<String> = schema
                .fields()
                .iter()
                .map(|field| field.name().clone())
                .collect();
            if format == "csv" {
                text.push_str(&names.join(","));
                text.push('\n');
            }
            for batch in batches {
                let formatters = batch
                    .columns()
                    .iter()
                    .map(|column| {
                        arrow::util::display::ArrayFormatter::try_new(column.as_ref(), &options)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                for row in 0..batch.num_rows() {
                    if format == "csv" {
                        let cells: Vec<String> = formatters
                            .iter()
                            .zip(batch.columns())
                            .map(|(formatter, column)| {
                                if column.is_null(row) {
                                    return String::new();
                                }
                                cwsw_engine::csv_field(&formatter.value(row).to_string())
                                    .into_owned()
                            })
                            .collect();
                        text.push_str(&cells.join(","));
                    } else {
                        let mut object = serde_json::Map::new();
                        for ((name, formatter), column) in
                            names.iter().zip(&formatters).zip(batch.columns())
                        {
                            let value = if column.is_null(row) {
                                serde_json::Value::Null
                            } else {
                                let shown = formatter.value(row).to_string();
                                match column.data_type() {
                                    DataType::Int8
                                    | DataType::Int16
                                    | DataType::Int32
                                    | DataType::Int64
                                    | DataType::UInt8
                                    | DataType::UInt16
                                    | DataType::UInt32
                                    | DataType::UInt64
                                    | DataType::Float32
                                    | DataType::Float64
                                    | DataType::Boolean => serde_json::from_str(&shown)
                                        .unwrap_or(serde_json::Value::String(shown)),
                                    _ => serde_json::Value::String(shown),
                                }
                            };
                            object.insert(name.clone(), value);
                        }
                        text.push_str(&serde_json::Value::Object(object).to_string());
                    }
                    text.push('\n');
                }
            }
            Ok(text)
        }
        other => bail!("--format `{other}`: use table, csv or json"),
    }
}

/// `cwsw explain`: the plan of a query for one year.
pub fn explain(
    warehouse: &Path,
    name: &str,
    year: AcademicYear,
    overrides: &[(String, String)],
    analyze: bool,
    options: &EngineOptions,
) -> Result<String> {
    let queries = QuerySet::embedded()?;
    let plan = runtime()?.block_on(async {
        let engine = cwsw_engine::Engine::open(warehouse, queries, options).await?;
        engine.explain(name, year, overrides, analyze).await
    })?;
    Ok(plan)
}

/// Settings read from `cwsw.toml` (every key optional; flags override them).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Pseudonymisation key file for extract.
    pub key_file: Option<PathBuf>,
    /// Warehouse folder.
    pub warehouse: Option<PathBuf>,
    /// Measures folder that `run` writes.
    pub measures: Option<PathBuf>,
    /// Folder that `stats` writes the estimates into.
    pub estimates: Option<PathBuf>,
    /// The stats stage's settings (`[stats.periods.absence] pre = ["2018/19"]`).
    #[serde(default)]
    pub stats: StatsConfig,
    /// Disclosure control (`[disclosure] threshold = 10`).
    #[serde(default)]
    pub disclosure: DisclosureConfig,
    /// Academic years, `2018/19..2024/25`.
    pub years: Option<String>,
    /// Memory limit, `4G`.
    pub memory_limit: Option<String>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Query parameters that replace the defaults (`cin_plans_from = 2022`).
    #[serde(default)]
    pub parameters: std::collections::BTreeMap<String, toml::Value>,
}

/// `[stats]` in `cwsw.toml`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsConfig {
    /// Per measure, the years before and since the role began that its difference in
    /// differences compares, replacing the defaults of its query header.
    #[serde(default)]
    pub periods: std::collections::BTreeMap<String, PeriodsConfig>,
}

/// `[disclosure]` in `cwsw.toml`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureConfig {
    /// Counts of people from 1 to this are suppressed (default 5; below 5 only with
    /// `--allow-threshold-below-5` on the command line).
    pub threshold: Option<u64>,
}

/// `[stats.periods.MEASURE]`: `pre = ["2018/19"]`, `post = ["2021/22", "2022/23"]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodsConfig {
    /// Years before the role began.
    pub pre: Vec<String>,
    /// Years since.
    pub post: Vec<String>,
}

impl Config {
    /// The DiD periods per measure, as EES time periods.
    pub fn periods(&self) -> Result<std::collections::BTreeMap<String, cwsw_stats::Periods>> {
        let parse = |measure: &str, years: &[String]| -> Result<Vec<i32>> {
            years
                .iter()
                .map(|text| {
                    AcademicYear::parse(text)
                        .map(|year| year.time_period())
                        .with_context(|| {
                            format!("[stats.periods.{measure}]: `{text}` is not an academic year like 2018/19")
                        })
                })
                .collect()
        };
        self.stats
            .periods
            .iter()
            .map(|(measure, periods)| {
                let pre = parse(measure, &periods.pre)?;
                let post = parse(measure, &periods.post)?;
                if pre.is_empty() || post.is_empty() {
                    bail!("[stats.periods.{measure}]: give at least one pre and one post year");
                }
                if let Some(year) = pre.iter().find(|year| post.contains(year)) {
                    bail!("[stats.periods.{measure}]: {year} is both a pre and a post year");
                }
                Ok((measure.clone(), cwsw_stats::Periods { pre, post }))
            })
            .collect()
    }

    /// Reads a config file; a missing `./cwsw.toml` is an empty config, a named file
    /// that is missing is an error.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let (path, required) = match path {
            Some(path) => (path, true),
            None => (Path::new("cwsw.toml"), false),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        toml::from_str(&text).with_context(|| format!("{}", path.display()))
    }

    /// The parameters as `name=value` text, as `--param` gives them.
    pub fn parameters(&self) -> Vec<(String, String)> {
        self.parameters
            .iter()
            .map(|(name, value)| {
                let text = match value {
                    toml::Value::String(text) => text.clone(),
                    toml::Value::Integer(number) => number.to_string(),
                    toml::Value::Float(number) => number.to_string(),
                    toml::Value::Boolean(flag) => flag.to_string(),
                    toml::Value::Datetime(date) => date.to_string(),
                    other => format!("{other:?}"),
                };
                (name.clone(), text)
            })
            .collect()
    }
}

/// `cwsw stats`: the estimates from the measures and the run's pupil-level rows.
pub fn stats(
    request: &cwsw_estimates::StatsRequest,
    progress: &mut Progress,
) -> Result<cwsw_estimates::StatsSummary> {
    progress.stage(&format!(
        "stats: {} and {} -> {}",
        request.measures.display(),
        request
            .warehouse
            .join(cwsw_estimates::PUPIL_TABLE)
            .display(),
        request.out.display()
    ));
    let started = Instant::now();
    let summary = runtime()?.block_on(cwsw_estimates::stats(request))?;
    progress.stage(&format!(
        "stats: {} estimates, {} tests, in {:.2} s",
        summary.rows,
        summary.tests,
        started.elapsed().as_secs_f64()
    ));
    Ok(summary)
}

/// What `cwsw publish` publishes, from where, to where, under which rules.
pub struct PublishRequest<'a> {
    /// The measures folder (`cwsw run`).
    pub measures: &'a Path,
    /// The estimates folder (`cwsw stats`).
    pub estimates: &'a Path,
    /// The LA's three-digit code.
    pub la_code: &'a str,
    /// The submission folder and the output checker's folder.
    pub destination: cwsw_publish::Destination<'a>,
    /// The disclosure-control rules.
    pub rules: DisclosureRules,
}

/// `cwsw publish`: every measure and its estimates into the submission folder (files of
/// the same names are replaced; nothing else there is touched), and the suppression
/// logs into the output checker's folder.
pub fn publish(request: &PublishRequest, progress: &mut Progress) -> Result<Submission> {
    let la_code = request.la_code;
    let la = *cwsw_publish::local_authority(la_code)
        .ok_or_else(|| cwsw_publish::PublishError::UnknownLa(la_code.to_string()))?;
    let started = Instant::now();
    let submission = cwsw_publish::publish(
        request.measures,
        &request.estimates.join(cwsw_estimates::ESTIMATES_FILE),
        la,
        &request.rules,
        request.destination,
    )?;
    let (rows, suppressed) = submission
        .tables
        .iter()
        .flat_map(|(table, estimates)| [table, estimates])
        .fold((0, 0), |(rows, suppressed), table| {
            (rows + table.rows.len(), suppressed + table.suppressed.len())
        });
    progress.stage(&format!(
        "publish: {} tables, {rows} rows, {suppressed} cells suppressed at threshold {} in {:.2} s -> {}; the suppression logs -> {}",
        submission.tables.len() * 2,
        request.rules.threshold,
        started.elapsed().as_secs_f64(),
        request.destination.submission.display(),
        request.destination.checking.display()
    ));
    Ok(submission)
}

pub fn quality(summary: &ExtractSummary) -> DataQuality {
    let mut quality = DataQuality {
        files: summary
            .ledger
            .keys()
            .map(|(file, _)| file)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        ..DataQuality::default()
    };
    for entry in summary.ledger.values() {
        quality.rows_read += entry.read;
        quality.rows_accepted += entry.accepted;
        quality.rows_rejected += entry.rejected;
        quality.rows_deduplicated += entry.deduplicated;
    }
    let mut counts: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for reject in &summary.rejects {
        *counts.entry(reject.rule_id).or_default() += 1;
    }
    let mut rules: Vec<(String, String, u64)> = counts
        .into_iter()
        .map(|(id, count)| {
            let description = cwsw_extract::rules::ALL
                .iter()
                .find(|rule| rule.id == id)
                .map_or("", |rule| rule.description);
            (id.to_string(), description.to_string(), count)
        })
        .collect();
    rules.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    quality.rules = rules;
    quality
}

pub fn demo(out: &Path, pupils: usize, seed: u64, progress: &mut Progress) -> Result<DemoOutputs> {
    // A few records invalid on purpose, as in any real return, so the report's
    // data-quality section has something to show.
    let options = SynthOptions {
        pupils,
        seed,
        invalid_rate: 0.001,
        ..SynthOptions::default()
    };
    let raw = out.join("raw");
    if raw.exists() {
        std::fs::remove_dir_all(&raw).with_context(|| format!("clearing {}", raw.display()))?;
    }
    synth(&options, &raw, progress)?;
    // The demo makes its own throwaway key: it is never written anywhere.
    let key = PseudonymisationKey::generate();
    let warehouse = out.join("warehouse");
    let summary = extract(&raw, &warehouse, &key, None, progress)?;
    let years: Vec<AcademicYear> =
        AcademicYear::range(options.first_year, options.last_year).collect();
    let measures = out.join("measures");
    let results = run_measures(
        &RunRequest {
            warehouse: &warehouse,
            out: &measures,
            years: &years,
            only: &[],
            overrides: &[],
            options: &EngineOptions::default(),
            timings: None,
        },
        progress,
    )?;
    for line in incomplete_years(&results) {
        progress.stage(&format!("run: {line}"));
    }
    let estimates = out.join("estimates");
    stats(
        &cwsw_estimates::StatsRequest {
            measures: measures.clone(),
            warehouse: warehouse.clone(),
            out: estimates.clone(),
            periods: Default::default(),
        },
        progress,
    )?;
    let submission = out.join("submission");
    let checking = out.join("output-checking");
    // The demo owns its folder: a submission of an earlier run goes first, so no file of
    // a measure it no longer runs is left behind. `cwsw publish` itself never deletes.
    for folder in [&submission, &checking] {
        if folder.exists() {
            std::fs::remove_dir_all(folder)
                .with_context(|| format!("clearing {}", folder.display()))?;
        }
    }
    let published = publish(
        &PublishRequest {
            measures: &measures,
            estimates: &estimates,
            la_code: &options.la_code,
            destination: cwsw_publish::Destination {
                submission: &submission,
                checking: &checking,
            },
            rules: DisclosureRules::default(),
        },
        progress,
    )?;
    let table = published
        .measure("absence")
        .context("no absence measure was published")?;
    let report = out.join("report.html");
    let html = cwsw_report::render(&ReportInput {
        absence: table,
        quality: &quality(&summary),
        tool: format!("cwsw {}", env!("CARGO_PKG_VERSION")),
    });
    std::fs::write(&report, html).with_context(|| format!("writing {}", report.display()))?;
    progress.stage(&format!("report: {}", report.display()));
    Ok(DemoOutputs {
        report,
        submission,
        checking,
        estimates: estimates.join("estimates.csv"),
    })
}

/// The `key_file` named in `./cwsw.toml`, if there is one: `key_file = "path"`.
pub fn key_file_from_config() -> Result<Option<PathBuf>> {
    Ok(Config::load(None)?.key_file)
}

/// `cwsw validate`: every rule of extract over the returns, written as `rule-report.csv`
/// (one row per rejected or warned row) and `rule-summary.md` (rules ranked by count,
/// each with an example row reference); returns the summary's text.
pub fn validate(
    input: &Path,
    out: &Path,
    la_code: Option<String>,
    progress: &mut Progress,
) -> Result<String> {
    let dictionary = Dictionary::embedded()?;
    progress.stage(&format!("validate: {}", input.display()));
    let summary = cwsw_extract::validate(input, la_code, &dictionary)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let report_path = out.join("rule-report.csv");
    let mut writer = csv::Writer::from_path(&report_path)
        .with_context(|| format!("writing {}", report_path.display()))?;
    writer.write_record([
        "source_file",
        "location",
        "source_table",
        "rule_id",
        "severity",
        "message",
        "field",
        "value",
    ])?;
    for reject in &summary.rejects {
        writer.write_record([
            reject.source_file.as_str(),
            &reject.location,
            &reject.source_table,
            reject.rule_id,
            reject.severity.name(),
            &reject.message,
            reject.field.as_deref().unwrap_or(""),
            reject.value.as_deref().unwrap_or(""),
        ])?;
    }
    writer.flush()?;
    let text = rule_summary(&summary);
    std::fs::write(out.join("rule-summary.md"), &text)
        .with_context(|| format!("writing {}", out.join("rule-summary.md").display()))?;
    Ok(text)
}

/// Rules ranked by how many rows broke them, with an example row reference each.
fn rule_summary(summary: &ExtractSummary) -> String {
    use std::fmt::Write as _;
    let mut by_rule: std::collections::BTreeMap<&str, (usize, &cwsw_extract::Reject)> =
        std::collections::BTreeMap::new();
    for reject in &summary.rejects {
        by_rule.entry(reject.rule_id).or_insert((0, reject)).0 += 1;
    }
    let mut ranked: Vec<_> = by_rule.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let read: u64 = summary.ledger.values().map(|entry| entry.read).sum();
    let rejected: u64 = summary.ledger.values().map(|entry| entry.rejected).sum();
    let warned: u64 = summary.ledger.values().map(|entry| entry.warned).sum();
    let deduplicated: u64 = summary
        .ledger
        .values()
        .map(|entry| entry.deduplicated)
        .sum();
    let files: std::collections::BTreeSet<&str> = summary
        .ledger
        .keys()
        .map(|(file, _)| file.as_str())
        .collect();
    let mut text = String::from("# Validation summary\n\n");
    let _ = writeln!(
        text,
        "{} files, {read} rows read: {rejected} rejected, {warned} kept with a warning, {deduplicated} de-duplicated.\n",
        files.len()
    );
    let _ = writeln!(
        text,
        "| rule | severity | rows | checks | example |\n|---|---|---|---|---|"
    );
    for (rule_id, (count, example)) in &ranked {
        let description = cwsw_extract::rules::ALL
            .iter()
            .find(|rule| rule.id == *rule_id)
            .map_or("", |rule| rule.description);
        let _ = writeln!(
            text,
            "| `{rule_id}` | {} | {count} | {description} | {} {}: {} |",
            example.severity.name(),
            example.source_file,
            example.location,
            example.message.replace('|', "\\|")
        );
    }
    for skipped in &summary.skipped {
        let _ = writeln!(text, "\nNot read: {} ({})", skipped.file, skipped.reason);
    }
    text
}
