//! The `clawback` command. Everything here is I/O and argument handling; the decisions
//! are made by `clawback-engine`.

mod bench;
mod bench_refunds;
mod bench_scam;
mod caught;
mod demo;
mod graph_model;
mod ingest;
mod intake;
mod intel_cmd;
mod lines;
mod progress;
mod replay;
mod rules_cmd;
mod scenario;
mod serve;
mod setup;
mod train;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Replay parses on one thread and applies on another, so every event is allocated on one
/// thread and freed on the other; glibc's malloc serialises those frees on an arena lock,
/// which kept the two threads from overlapping at all. mimalloc frees cross-thread without
/// that lock (measured in the README's performance section).
///
/// Built with `no_thp` (Cargo.toml): with transparent huge pages, mimalloc maps large
/// blocks with `MADV_HUGEPAGE`, and a freshly grown table filled at random positions
/// faults in every 2 MiB page (each zeroed whole) within its first few hundred inserts,
/// a 40–200 ms stall under live load (`bench/load.sh`, profiled with `perf`). With 4 KiB
/// pages the same zeroing is spread over the inserts; replay is no slower and peaks lower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Clawback: refund-abuse, insider and scam defence for online retailers.
#[derive(Debug, Parser)]
#[command(name = "clawback", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate events and append them durably to a data directory's log.
    ///
    /// Prints a JSON report once every accepted event is fsync'd. Repeated event_ids (also
    /// from earlier runs) are skipped; invalid lines go to DIR/quarantine.jsonl.
    Ingest {
        /// The data directory (created if missing).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// A JSON Lines file, or - for standard input.
        #[arg(value_name = "FILE|-", default_value = "-")]
        input: PathBuf,
    },
    /// Run events through the engine and write decisions, alerts, quarantine and a summary.
    Replay(ReplayArgs),
    /// Serve the HTTP API on a data directory: replays its log, then takes events and
    /// answers with decisions, alerts and profiles (see /openapi.json).
    Serve(serve::ServeArgs),
    /// API keys of the service.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The service's audit log of unmasked reads.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Train the refund model from events and labels; writes a versioned model file.
    ///
    /// Replays the events through the serving engine, takes each labelled refund
    /// request's features as the decision saw them, trains on the earliest 80% in time and
    /// validates on the latest 20%, then chooses the policy's costs and bars.
    Train(train::TrainArgs),
    /// Time refund decisions in-process (p50/p99, baseline and with a model) and training
    /// on a large labelled matrix.
    BenchRefunds(bench_refunds::BenchRefundsArgs),
    /// Time building the identity graph from synthetic identities (default: 1M accounts,
    /// 10M links) and report memory per account and per link.
    BenchGraph(bench_refunds::BenchGraphArgs),
    /// The insider detector's cost per event on worlds of growing size.
    BenchInsiders(bench_refunds::BenchInsidersArgs),
    /// Turn a corpus of raw e-mails (folders named …spam… and …ham…, e.g. SpamAssassin's)
    /// into reports and labels, split 50/50 by a seeded hash, for `train` and `replay`.
    BenchSpam(bench_scam::BenchSpamArgs),
    /// Decide labelled reports under several set-ups (rules, rules + classifier, without the
    /// protected list) and print precision, recall and F1 for each.
    BenchScam(bench_scam::BenchScamArgs),
    /// Train a link-aware node classifier on any graph (nodes CSV, edge CSVs) and score
    /// every node: gradient-boosted trees on node features plus neighbour aggregates.
    GraphModel(graph_model::GraphModelArgs),
    /// Print the refund feature registry (what the model sees and rules may read) as
    /// Markdown; docs/features.md is this output.
    Features,
    /// Analyst rules: check a rules file, or backtest it on labelled history.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Threat intelligence: import refund services' posts (Telegram exports).
    #[command(subcommand)]
    Intel(intel_cmd::IntelCommand),
    /// Simulate a world, ingest it, replay it and show what was decided and caught.
    Demo {
        /// Where to put the world, its log and the outputs.
        #[arg(long, value_name = "DIR", default_value = "clawback-demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value_t = 20_000)]
        customers: u32,
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
    /// Simulate a marketplace with refund-service gangs: DIR/events.jsonl and DIR/labels.jsonl.
    ///
    /// The labels are ground truth for `evaluate.py` and for training; never replay them
    /// into a run being judged.
    Simulate {
        #[arg(long, value_name = "DIR", required_unless_present = "print_scenario")]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value_t = 20_000)]
        customers: u32,
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// A TOML file overriding any count or rate of the world (see docs/simulator.md).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Print the world's every count and rate as a scenario file, and stop.
        #[arg(long)]
        print_scenario: bool,
    },
    /// Write a synthetic contract-valid event stream of honest traffic (for benchmarks and
    /// tests).
    Generate {
        /// Output file, or - for standard output.
        #[arg(long, value_name = "FILE|-")]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// About how many events to produce (sets the number of customers).
        #[arg(long, default_value_t = 200_000)]
        events: u64,
        /// Customers, overriding what --events implies.
        #[arg(long)]
        customers: Option<u32>,
        /// Days of activity (default 30).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Measure replay throughput against a parse-only loop over the same file.
    Bench {
        /// The events file; generated (and cached in the scratch directory) when absent.
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        /// Events to generate when no file is given.
        #[arg(long, default_value_t = 1_000_000)]
        generate: u64,
        /// Alternating rounds of each loop; the best of each is reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Scratch directory for the generated file and replay outputs.
        #[arg(long, value_name = "DIR", default_value = "target/clawback-bench")]
        scratch: PathBuf,
        /// Measure the simulator instead: write a labelled world of this many customers
        /// (over --days) `rounds` times.
        #[arg(long, value_name = "CUSTOMERS")]
        simulate: Option<u32>,
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create an API key and print it, alone, on standard output (shown once; only its
    /// SHA-256 is stored).
    Create {
        /// The data directory of `clawback serve`.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// viewer (PII masked), investigator (PII with a justification) or admin.
        #[arg(long)]
        role: String,
        /// Who holds the key; becomes the employee_id of its data_access events
        /// (default: the role and random digits).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain; exits 1 naming the first bad record.
    Verify {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
}

#[derive(Debug, Args)]
#[group(id = "source", required = true, multiple = false)]
struct SourceArgs {
    /// A JSON Lines file of events, or - for standard input.
    #[arg(long, value_name = "FILE|-", group = "source")]
    events: Option<PathBuf>,
    /// The data directory whose stored log to replay.
    #[arg(long, value_name = "DIR", group = "source")]
    data: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// How far out of time order events may arrive; they are re-ordered within it.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    slack_secs: u32,
    /// Threads that parse input while the engine applies it (default: the machine's cores,
    /// at most 4). Outputs are identical for any value.
    #[arg(long, value_name = "N")]
    parse_threads: Option<usize>,
    #[command(flatten)]
    setup: setup::EngineSetup,
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).context("writing to standard output")?;
    writeln!(out).context("writing to standard output")?;
    Ok(())
}

/// The registry as Markdown, for docs/features.md and `clawback features`.
fn features_markdown() -> String {
    use clawback_engine::features::{FeatureKind, REFUND_FEATURES};
    let mut s = String::from(
        "# Refund features\n\nGenerated by `clawback features` from the engine's registry \
         (`crates/engine/src/features.rs`); a test keeps this file current.\n\n\
         Every feature is computed from events before the refund request (point in time). \
         Empty means not known (no delivery weight, no contact). The model reads them by \
         name; analyst rules read them as variables of the same name.\n\n\
         | # | name | kind | meaning |\n|---|---|---|---|\n",
    );
    for (i, f) in REFUND_FEATURES.iter().enumerate() {
        let kind = match f.kind {
            FeatureKind::Number => "number",
            FeatureKind::Bool => "bool",
        };
        s.push_str(&format!(
            "| {i} | `{}` | {kind} | {} |\n",
            f.name, f.meaning
        ));
    }
    s.push_str(
        "\nRules may also read `score` (the fraud score in [0, 1]), and the strings `reason`, \
         `channel` and `currency` as written in the event.\n",
    );
    s
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ingest { data, input } => {
            let report = ingest::run(&data, &input, clawback_store::LogOptions::default())?;
            print_json(&report)
        }
        Command::Replay(args) => {
            let source = match (args.source.events, args.source.data) {
                (Some(f), None) => replay::Source::Events(f),
                (None, Some(d)) => replay::Source::Data(d),
                _ => bail!("give exactly one of --events FILE and --data DIR"),
            };
            let threads = args
                .parse_threads
                .unwrap_or_else(replay::default_parse_threads);
            let summary = replay::run(
                &source,
                &args.out,
                i64::from(args.slack_secs) * 1000,
                threads,
                &args.setup,
            )?;
            let mut err = std::io::stderr().lock();
            writeln!(
                err,
                "replayed {} events ({} quarantined, {} duplicates) in {:.2}s: {} decisions, {} alerts -> {}",
                summary.events,
                summary.quarantined,
                summary.duplicates,
                summary.seconds,
                summary.decisions,
                summary.alerts,
                args.out.display()
            )?;
            Ok(())
        }
        Command::Serve(args) => serve::serve(&args),
        Command::Keys(KeysCommand::Create { data, role, name }) => {
            serve::create_key(&data, &role, name.as_deref())
        }
        Command::Audit(AuditCommand::Verify { data }) => serve::verify_audit(&data),
        Command::Train(args) => {
            let report = train::run(&args)?;
            print_json(&report)
        }
        Command::BenchRefunds(args) => print_json(&bench_refunds::run(&args)?),
        Command::BenchGraph(args) => print_json(&bench_refunds::bench_graph(&args)?),
        Command::BenchInsiders(args) => print_json(&bench_refunds::bench_insiders(&args)?),
        Command::BenchSpam(args) => print_json(&bench_scam::bench_spam(&args)?),
        Command::BenchScam(args) => print_json(&bench_scam::bench_scam(&args)?),
        Command::GraphModel(args) => print_json(&graph_model::run(&args)?),
        Command::Features => {
            let text = features_markdown();
            write!(std::io::stdout().lock(), "{text}").context("writing to standard output")?;
            Ok(())
        }
        Command::Rules(cmd) => rules_cmd::run(&cmd, &mut std::io::stdout().lock()),
        Command::Intel(intel_cmd::IntelCommand::Import(args)) => {
            let report = intel_cmd::run(&args, &mut std::io::stdout().lock())?;
            if args.out.as_deref().is_some_and(|o| o.as_os_str() == "-") {
                let mut err = std::io::stderr().lock();
                serde_json::to_writer_pretty(&mut err, &report)
                    .context("writing to standard error")?;
                writeln!(err).context("writing to standard error")?;
                Ok(())
            } else {
                print_json(&report)
            }
        }
        Command::Demo {
            out,
            seed,
            customers,
            days,
        } => {
            demo::run(&out, seed, customers, days, &mut std::io::stdout().lock())?;
            Ok(())
        }
        Command::Simulate {
            out,
            seed,
            customers,
            days,
            scenario,
            print_scenario,
        } => {
            let cfg = scenario::load(scenario.as_deref(), seed, customers, days)?;
            if print_scenario {
                let text = toml::to_string(&cfg).context("encoding the scenario")?;
                write!(std::io::stdout().lock(), "{text}").context("writing to standard output")?;
                return Ok(());
            }
            let Some(out) = out else {
                bail!("give --out DIR (where to write events.jsonl and labels.jsonl)")
            };
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let (events, labels) = demo::simulate(&cfg, &out)?;
            writeln!(
                std::io::stderr().lock(),
                "simulated {events} events and {labels} labels -> {}/{{events,labels}}.jsonl",
                out.display()
            )?;
            Ok(())
        }
        Command::Generate {
            out,
            seed,
            events,
            customers,
            days,
        } => {
            let mut cfg = clawback_synth::config_for_events(seed, events);
            if let Some(c) = customers {
                cfg.customers = c;
            }
            if let Some(d) = days {
                cfg.days = d;
            }
            let n = if out.as_os_str() == "-" {
                let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                clawback_synth::write_jsonl(&cfg, &mut w).context("writing to standard output")?
            } else {
                let f = std::fs::File::create(&out)
                    .with_context(|| format!("cannot create {}", out.display()))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                let n = clawback_synth::write_jsonl(&cfg, &mut w)
                    .with_context(|| format!("writing {}", out.display()))?;
                w.flush()
                    .with_context(|| format!("writing {}", out.display()))?;
                n
            };
            writeln!(std::io::stderr().lock(), "generated {n} events")?;
            Ok(())
        }
        Command::Bench {
            events,
            generate,
            rounds,
            scratch,
            simulate,
            days,
        } => {
            if let Some(customers) = simulate {
                let report = bench::simulate(customers, days, rounds, &scratch.join("simulate"))?;
                return print_json(&report);
            }
            let file = match events {
                Some(f) => f,
                None => {
                    std::fs::create_dir_all(&scratch)
                        .with_context(|| format!("creating {}", scratch.display()))?;
                    let f = scratch.join(format!("synthetic-{generate}.jsonl"));
                    if !f.exists() {
                        let cfg = clawback_synth::config_for_events(7, generate);
                        let tmp = f.with_extension("partial");
                        let mut w = std::io::BufWriter::with_capacity(
                            1 << 20,
                            std::fs::File::create(&tmp)?,
                        );
                        clawback_synth::write_jsonl(&cfg, &mut w)?;
                        w.flush()?;
                        drop(w);
                        std::fs::rename(&tmp, &f)?;
                    }
                    f
                }
            };
            let report = bench::run(&file, rounds, &scratch.join("out"))?;
            print_json(&report)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
