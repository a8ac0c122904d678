//! `cwsw`: the evaluation data pipeline for the Virtual School Head role extension to
//! children with a social worker. The only crate that prints or uses `anyhow`.

mod pipeline;

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use cwsw_dictionary::AcademicYear;

use crate::pipeline::Progress;
use cwsw_publish::DisclosureRules;

// DataFusion makes many small, short-lived allocations; mimalloc serves them faster than
// the system allocator (performance.md), at the cost of keeping freed memory longer.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cwsw",
    version,
    about = "Evaluation data pipeline for the Virtual School Head role extension to children with a social worker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Makes a synthetic LA and runs every stage: the main job on an embedded default.
    Demo {
        /// Output folder.
        #[arg(long, default_value = "cwsw-demo")]
        out: PathBuf,
        /// Pupils on roll in a year.
        #[arg(long, default_value_t = 60_000)]
        pupils: usize,
        /// Seed of the synthetic LA.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
    },
    /// Writes a synthetic LA's raw returns in the real file formats.
    Synth {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Pupils on roll (reception to year 11) in a year.
        #[arg(long, default_value_t = 60_000)]
        pupils: usize,
        /// Academic years, first..last.
        #[arg(long, default_value = "2018/19..2024/25")]
        years: String,
        /// Three-digit LA code.
        #[arg(long, default_value = "801")]
        la: String,
        /// Seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
        /// A planted effect, `attendance=+2pp` or `suspensions=-1.5pp`; applies to every
        /// child in need at 31 March that year (CINO, CPPO, CLA), from 2021/22 (a
        /// suspensions effect to those aged 7 or over, the only ones synth suspends, so
        /// the group's measured rate moves by less).
        #[arg(long)]
        effect: Vec<String>,
        /// What the social-care groups' absence and suspensions follow: `national` (each
        /// group's national series, whose gaps widen after 2021) or `parallel` (each
        /// group's 2018/19 gap to all pupils held in every year, to test the size of a
        /// difference-in-differences test).
        #[arg(long, default_value = "national")]
        baseline: String,
        /// Share of records written deliberately invalid (0 to 0.05).
        #[arg(long, default_value_t = 0.0)]
        invalid_rate: f64,
    },
    /// Raw returns into a validated, pseudonymised Parquet warehouse.
    Extract {
        /// Folder of raw returns.
        #[arg(long)]
        input: PathBuf,
        /// Warehouse folder (replaced atomically).
        #[arg(long)]
        out: PathBuf,
        /// Pseudonymisation key file (64+ hex digits or 32+ raw bytes).
        #[arg(long, env = "CWSW_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// LA code, if the inputs hold no CIN census.
        #[arg(long)]
        la: Option<String>,
    },
    /// The checks of `extract`, writing only the rule report (no warehouse, no key).
    Validate {
        /// Folder of raw returns.
        #[arg(long)]
        input: PathBuf,
        /// Folder for `rule-report.csv` and `rule-summary.md`.
        #[arg(long, default_value = "validation")]
        out: PathBuf,
        /// LA code, if the inputs hold no CIN census.
        #[arg(long)]
        la: Option<String>,
    },
    /// Estimates, intervals and tests from the measures and the pupil-level rows a run
    /// wrote: `estimates.parquet` and `estimates.csv`.
    Stats {
        /// Config file (default ./cwsw.toml if present): `measures`, `warehouse`,
        /// `estimates` and `[stats.periods.MEASURE]` pre and post years.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Measures folder `cwsw run` wrote (default `measures`).
        #[arg(long)]
        measures: Option<PathBuf>,
        /// Warehouse folder, holding the run's pupil-level rows (default `warehouse`).
        #[arg(long)]
        warehouse: Option<PathBuf>,
        /// Folder for the estimates (default `estimates`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Runs the cohort and measure queries over the warehouse.
    Run {
        /// Config file naming the warehouse, measures folder, years and parameters
        /// (default ./cwsw.toml if present; flags override it).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Warehouse folder (default `warehouse`).
        #[arg(long)]
        warehouse: Option<PathBuf>,
        /// Measures folder to write (default `measures`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Academic years, first..last (default 2018/19..2024/25).
        #[arg(long)]
        years: Option<String>,
        /// Only these measures.
        #[arg(long)]
        measure: Vec<String>,
        /// A query parameter, NAME=VALUE, replacing its default (e.g. cin_plans_from=2021).
        #[arg(long)]
        param: Vec<String>,
        /// Worker threads (0: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Memory limit with spilling, e.g. 4G or 512M.
        #[arg(long)]
        memory_limit: Option<String>,
        /// Write each query's seconds and peak RSS to this CSV.
        #[arg(long)]
        timings: Option<PathBuf>,
    },
    /// Ad-hoc SQL over the warehouse.
    Sql {
        /// Warehouse folder.
        #[arg(long, default_value = "warehouse")]
        warehouse: PathBuf,
        /// The SQL.
        #[arg(short = 'c', long = "command", conflicts_with = "file")]
        command: Option<String>,
        /// A file of SQL.
        #[arg(short = 'f', long)]
        file: Option<PathBuf>,
        /// Output: table, csv or json (one object per line).
        #[arg(long, default_value = "table")]
        format: String,
        /// Also register the cohort tables (pupil_years, cohort, cohort_groups, cohort_pupils) of these years.
        #[arg(long)]
        years: Option<String>,
        /// A placeholder value, NAME=VALUE (bound as text: cast it in the SQL).
        #[arg(long)]
        param: Vec<String>,
        /// Memory limit with spilling, e.g. 4G.
        #[arg(long)]
        memory_limit: Option<String>,
    },
    /// Prints the plan of a query for one year.
    Explain {
        /// The query (measure or cohort) name.
        query: String,
        /// Warehouse folder.
        #[arg(long, default_value = "warehouse")]
        warehouse: PathBuf,
        /// Academic year.
        #[arg(long, default_value = "2021/22")]
        year: String,
        /// Run it and show the time and rows of each operator.
        #[arg(long)]
        analyze: bool,
        /// A query parameter, NAME=VALUE.
        #[arg(long)]
        param: Vec<String>,
    },
    /// Disclosure control and the EES-format submission: every measure and its estimates.
    Publish {
        /// Measures folder (`cwsw run`).
        #[arg(long)]
        measures: PathBuf,
        /// Estimates folder (`cwsw stats`).
        #[arg(long, default_value = "estimates")]
        estimates: PathBuf,
        /// Submission folder.
        #[arg(long)]
        out: PathBuf,
        /// Three-digit LA code.
        #[arg(long)]
        la: String,
        /// The output checker's folder, for the suppression logs, which must not travel
        /// with the submission (default: `output-checking` beside the submission).
        #[arg(long)]
        checking: Option<PathBuf>,
        /// Counts of people from 1 to this are suppressed (default 5, or
        /// `[disclosure] threshold` in cwsw.toml; secure settings often use 10).
        #[arg(long)]
        threshold: Option<u64>,
        /// Allows a threshold below 5 (only where the output checker has agreed to it).
        #[arg(long)]
        allow_threshold_below_5: bool,
        /// Config file (default ./cwsw.toml if present): `[disclosure] threshold`.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Renders the data dictionary as Markdown.
    Dictionary {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Parses `2018/19..2024/25`.
fn parse_years(text: &str) -> Result<Vec<AcademicYear>> {
    let (first, last) = text.split_once("..").unwrap_or((text, text));
    let parse = |part: &str| {
        AcademicYear::parse(part)
            .with_context(|| format!("`{part}` is not an academic year like 2021/22"))
    };
    let (first, last) = (parse(first)?, parse(last)?);
    if first > last {
        bail!("years `{text}` run backwards");
    }
    Ok(AcademicYear::range(first, last).collect())
}

/// Parses `NAME=VALUE` pairs.
fn parse_params(params: &[String]) -> Result<Vec<(String, String)>> {
    params
        .iter()
        .map(|text| {
            text.split_once('=')
                .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
                .with_context(|| format!("--param `{text}`: write NAME=VALUE"))
        })
        .collect()
}

/// Parses `4G`, `512M`, `1024K` or a byte count.
fn parse_bytes(text: &str) -> Result<usize> {
    let text = text.trim();
    let (number, multiplier) = match text.chars().last().map(|unit| unit.to_ascii_uppercase()) {
        Some('G') => (&text[..text.len() - 1], 1usize << 30),
        Some('M') => (&text[..text.len() - 1], 1 << 20),
        Some('K') => (&text[..text.len() - 1], 1 << 10),
        _ => (text, 1),
    };
    let value: f64 = number
        .parse()
        .with_context(|| format!("`{text}` is not a size like 4G or 512M"))?;
    Ok((value * multiplier as f64) as usize)
}

fn main() {
    if let Err(error) = run(Cli::parse()) {
        eprintln!("cwsw: error: {}", causes(&error));
        std::process::exit(1);
    }
}

/// The error and its causes, joined by ": ", leaving out a cause whose message the one
/// before it already ends with (DataFusion wraps an error in one that says the same).
fn causes(error: &anyhow::Error) -> String {
    let mut text = String::new();
    let mut previous = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if previous.ends_with(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
        previous = message;
    }
    text
}

fn run(cli: Cli) -> Result<()> {
    let mut progress = Progress::new();
    match cli.command {
        Command::Demo { out, pupils, seed } => {
            let outputs = pipeline::demo(&out, pupils, seed, &mut progress)?;
            println!("report:     {}", outputs.report.display());
            println!("submission: {}", outputs.submission.display());
            println!(
                "checking:   {} (the suppression logs, for the output checker only: never send them with the submission)",
                outputs.checking.display()
            );
            println!("estimates:  {}", outputs.estimates.display());
        }
        Command::Synth {
            out,
            pupils,
            years,
            la,
            seed,
            effect,
            baseline,
            invalid_rate,
        } => {
            let years = parse_years(&years)?;
            let effects = effect
                .iter()
                .map(|text| cwsw_synth::Effect::parse(text))
                .collect::<Result<Vec<_>, _>>()?;
            let baseline = cwsw_synth::Baseline::parse(&baseline)?;
            let options = cwsw_synth::SynthOptions {
                pupils,
                first_year: years[0],
                last_year: years[years.len() - 1],
                la_code: la,
                seed,
                effects,
                baseline,
                invalid_rate,
            };
            let written = pipeline::synth(&options, &out, &mut progress)?;
            println!("{} files written to {}", written.files.len(), out.display());
        }
        Command::Extract {
            input,
            out,
            key_file,
            la,
        } => {
            let key_file = match key_file {
                Some(file) => Some(file),
                None => pipeline::key_file_from_config()?,
            };
            let Some(key_file) = key_file else {
                bail!(
                    "no pseudonymisation key: give `--key-file FILE`, set CWSW_KEY_FILE, or name `key_file` in cwsw.toml (only `cwsw demo` makes its own)"
                );
            };
            let key = cwsw_extract::PseudonymisationKey::from_file(&key_file)
                .with_context(|| format!("reading the key file {}", key_file.display()))?;
            let summary = pipeline::extract(&input, &out, &key, la, &mut progress)?;
            println!("warehouse:  {} (key_id {})", out.display(), summary.key_id);
        }
        Command::Validate { input, out, la } => {
            let report = pipeline::validate(&input, &out, la, &mut progress)?;
            print!("{report}");
            println!("rule report: {}", out.display());
        }
        Command::Run {
            config,
            warehouse,
            out,
            years,
            measure,
            param,
            threads,
            memory_limit,
            timings,
        } => {
            let config = pipeline::Config::load(config.as_deref())?;
            let years = parse_years(
                years
                    .or(config.years.clone())
                    .as_deref()
                    .unwrap_or("2018/19..2024/25"),
            )?;
            let warehouse = warehouse
                .or(config.warehouse.clone())
                .unwrap_or_else(|| PathBuf::from("warehouse"));
            let out = out
                .or(config.measures.clone())
                .unwrap_or_else(|| PathBuf::from("measures"));
            let mut overrides = config.parameters();
            overrides.extend(parse_params(&param)?);
            let options = cwsw_engine::EngineOptions {
                threads: threads.or(config.threads).unwrap_or(0),
                memory_limit: memory_limit
                    .or(config.memory_limit.clone())
                    .as_deref()
                    .map(parse_bytes)
                    .transpose()?,
                work_dir: None,
            };
            let results = pipeline::run_measures(
                &pipeline::RunRequest {
                    warehouse: &warehouse,
                    out: &out,
                    years: &years,
                    only: &measure,
                    overrides: &overrides,
                    options: &options,
                    timings: timings.as_deref(),
                },
                &mut progress,
            )?;
            println!("measures:   {}", out.display());
            for line in pipeline::incomplete_years(&results) {
                println!("{line}");
            }
        }
        Command::Stats {
            config,
            measures,
            warehouse,
            out,
        } => {
            let config = pipeline::Config::load(config.as_deref())?;
            let request = cwsw_estimates::StatsRequest {
                measures: measures
                    .or(config.measures.clone())
                    .unwrap_or_else(|| PathBuf::from("measures")),
                warehouse: warehouse
                    .or(config.warehouse.clone())
                    .unwrap_or_else(|| PathBuf::from("warehouse")),
                out: out
                    .or(config.estimates.clone())
                    .unwrap_or_else(|| PathBuf::from("estimates")),
                periods: config.periods()?,
            };
            let summary = pipeline::stats(&request, &mut progress)?;
            println!(
                "estimates:  {}",
                request.out.join("estimates.csv").display()
            );
            for finding in &summary.confirmatory_findings {
                println!("confirmatory: {finding}");
            }
        }
        Command::Sql {
            warehouse,
            command,
            file,
            format,
            years,
            param,
            memory_limit,
        } => {
            let text = match (command, file) {
                (Some(text), _) => text,
                (None, Some(file)) => std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?,
                (None, None) => bail!("give the SQL with -c SQL or -f FILE"),
            };
            let years = years
                .as_deref()
                .map(parse_years)
                .transpose()?
                .unwrap_or_default();
            let options = cwsw_engine::EngineOptions {
                threads: 0,
                memory_limit: memory_limit.as_deref().map(parse_bytes).transpose()?,
                work_dir: None,
            };
            let output = pipeline::sql(
                &warehouse,
                &text,
                &years,
                &parse_params(&param)?,
                &format,
                &options,
            )?;
            print!("{output}");
        }
        Command::Explain {
            query,
            warehouse,
            year,
            analyze,
            param,
        } => {
            let year = AcademicYear::parse(&year)
                .with_context(|| format!("`{year}` is not an academic year like 2021/22"))?;
            let plan = pipeline::explain(
                &warehouse,
                &query,
                year,
                &parse_params(&param)?,
                analyze,
                &cwsw_engine::EngineOptions::default(),
            )?;
            println!("{plan}");
        }
        Command::Publish {
            measures,
            estimates,
            out,
            la,
            checking,
            threshold,
            allow_threshold_below_5,
            config,
        } => {
            let config = pipeline::Config::load(config.as_deref())?;
            let threshold = threshold
                .or(config.disclosure.threshold)
                .unwrap_or(DisclosureRules::default().threshold);
            let rules = DisclosureRules::with_threshold(threshold, allow_threshold_below_5)?;
            let checking =
                checking.unwrap_or_else(|| cwsw_publish::Destination::checking_beside(&out));
            let submission = pipeline::publish(
                &pipeline::PublishRequest {
                    measures: &measures,
                    estimates: &estimates,
                    la_code: &la,
                    destination: cwsw_publish::Destination {
                        submission: &out,
                        checking: &checking,
                    },
                    rules,
                },
                &mut progress,
            )?;
            println!(
                "submission: {} ({} files)\nfor the output checker only: {} ({} files: the suppression logs at threshold {})",
                out.display(),
                submission.files.len(),
                checking.display(),
                submission.checking.len(),
                rules.threshold
            );
        }
        Command::Dictionary { out } => {
            let dictionary = cwsw_dictionary::Dictionary::embedded()?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let files = cwsw_dictionary::render_markdown(&dictionary);
            for (name, contents) in &files {
                let path = out.join(name);
                std::fs::write(&path, contents)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!("{} pages written to {}", files.len(), out.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_prints_each_cause_once() {
        // An error that says what its cause says, as DataFusion's wrappers do.
        #[derive(Debug)]
        struct Same(std::io::Error);
        impl std::fmt::Display for Same {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "{}", self.0)
            }
        }
        impl std::error::Error for Same {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = anyhow::Error::new(Same(std::io::Error::other("inner problem")))
            .context("absence: the query failed");
        assert_eq!(causes(&error), "absence: the query failed: inner problem");
    }

    #[test]
    fn years_and_sizes_parse() {
        let years = parse_years("2018/19..2024/25").expect("valid");
        assert_eq!(years.len(), 7);
        assert!(parse_years("2024/25..2018/19").is_err());
        assert_eq!(parse_bytes("4G").expect("valid"), 4 << 30);
        assert_eq!(parse_bytes("512M").expect("valid"), 512 << 20);
    }
}
