//! `seqcast report`: reads saved histograms and prints or compares them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use seqcast::net::report;

/// `seqcast report`.
#[derive(Clone, Debug, Args)]
pub struct ReportArgs {
    /// Histogram files written by the nodes, the load generator or the demo
    /// (`*.hdr`); with two or more, the others are compared with the first.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table in microseconds (and ratios to the first file).
    Text,
    /// One JSON object per file, in an array.
    Json,
    /// HdrHistogram's percentile distribution, for its plotter.
    Hgrm,
}

/// Runs `seqcast report`.
pub fn run(args: &ReportArgs) -> ExitCode {
    let mut loaded = Vec::new();
    for path in &args.files {
        match report::load(path) {
            Ok(h) => loaded.push((path.display().to_string(), h)),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    match args.format {
        Format::Text => {
            println!("{}", report::table_header());
            for (name, h) in &loaded {
                println!("{}", report::table_row(name, h));
            }
            if let Some(((_, base), rest)) = loaded.split_first().filter(|(_, rest)| !rest.is_empty()) {
                println!("ratio to the first file:");
                for (name, h) in rest {
                    let ratio = |p: f64| h.value_at_percentile(p) as f64 / base.value_at_percentile(p).max(1) as f64;
                    let cells: Vec<String> =
                        report::PERCENTILES.iter().map(|(label, p)| format!("{label} ×{:.2}", ratio(*p))).collect();
                    println!("  {name}: {}", cells.join("  "));
                }
            }
        }
        Format::Json => {
            let objects: Vec<String> = loaded.iter().map(|(name, h)| report::json(name, h)).collect();
            println!("[{}]", objects.join(","));
        }
        Format::Hgrm => {
            for (name, h) in &loaded {
                println!("# {name}");
                print!("{}", report::hgrm(h));
            }
        }
    }
    ExitCode::SUCCESS
}
