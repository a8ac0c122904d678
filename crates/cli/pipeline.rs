//! The stages end to end: what `cwsw demo` runs, and what each stage command calls.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use cwsw_dictionary::{AcademicYear, Dictionary};
use cwsw_engine::{EngineOptions, MeasureResult, QuerySet};
use cwsw_extract::{ExtractOptions, ExtractSummary, PseudonymisationKey};
use cwsw_publish::{DisclosureRules, Publication, PublishedTable};
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

pub fn run_measures(
    warehouse: &Path,
    out: &Path,
    years: &[AcademicYear],
    only: &[String],
    options: &EngineOptions,
    progress: &mut Progress,
) -> Result<Vec<MeasureResult>> {
    let queries = QuerySet::embedded()?;
    let results = runtime()?.block_on(async {
        let engine = cwsw_engine::Engine::open(warehouse, queries, options).await?;
        engine
            .run(years, only, &mut |step| {
                progress.stage(&format!("run: {step}"))
            })
            .await
    })?;
    cwsw_engine::write_measures(&results, out)?;
    Ok(results)
}

pub fn publish(
    batches: &[cwsw_publish::RecordBatch],
    la_code: &str,
    years: &[AcademicYear],
    out: &Path,
    progress: &mut Progress,
) -> Result<PublishedTable> {
    let queries = QuerySet::embedded()?;
    let cohort = queries.cohorts().next().context("no cohort query")?;
    let absence = queries.get("absence").context("no absence measure")?;
    let la = *cwsw_publish::local_authority(la_code)
        .ok_or_else(|| cwsw_publish::PublishError::UnknownLa(la_code.to_string()))?;
    let publication = Publication {
        la,
        years: years.to_vec(),
        groups: cohort.header.groups.clone(),
        not_collected: absence.header.not_collected.clone(),
        confidence: 0.95,
    };
    let rows = cwsw_publish::read_absence(batches)?;
    let table = cwsw_publish::absence_table(&rows, &publication, &DisclosureRules::default())?;
    cwsw_publish::write_ees(&table, out)?;
    progress.stage(&format!(
        "publish: {} rows, {} cells suppressed -> {}",
        table.rows.len(),
        table.suppressed.len(),
        out.display()
    ));
    Ok(table)
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
        &warehouse,
        &measures,
        &years,
        &[],
        &EngineOptions::default(),
        progress,
    )?;
    let absence = results
        .iter()
        .find(|result| result.header.name == "absence")
        .context("no absence measure")?;
    let submission = out.join("submission");
    if submission.exists() {
        std::fs::remove_dir_all(&submission)
            .with_context(|| format!("clearing {}", submission.display()))?;
    }
    let table = publish(
        &absence.batches,
        &options.la_code,
        &years,
        &submission,
        progress,
    )?;
    let report = out.join("report.html");
    let html = cwsw_report::render(&ReportInput {
        absence: &table,
        quality: &quality(&summary),
        tool: format!("cwsw {}", env!("CARGO_PKG_VERSION")),
    });
    std::fs::write(&report, html).with_context(|| format!("writing {}", report.display()))?;
    progress.stage(&format!("report: {}", report.display()));
    Ok(DemoOutputs { report, submission })
}

/// The `key_file` named in `./cwsw.toml`, if there is one: `key_file = "path"`.
pub fn key_file_from_config() -> Result<Option<PathBuf>> {
    let path = Path::new("cwsw.toml");
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    for (index, line) in text.lines().enumerate() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.trim() != "key_file" {
            continue;
        }
        let value = value.trim();
        let Some(file) = value
            .strip_prefix('"')
            .and_then(|value| value.strip_suffix('"'))
        else {
            bail!(
                "cwsw.toml line {}: `key_file` must be a quoted path, like key_file = \"keys/la.key\"",
                index + 1
            );
        };
        return Ok(Some(PathBuf::from(file)));
    }
    Ok(None)
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
