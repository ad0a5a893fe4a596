//! `seqcast report`: reads saved histograms and prints or compares them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use seqcast::net::report;

/// `seqcast report`.
#[derive(Clone, Debug, Args)]
pub struct ReportArgs {
    /// Histogram files written by the nodes, the load generator or the demo
    /// (`*.hdr`).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Also give each file's percentiles as ratios to the first file's:
    /// for files of one measure (two runs' commit latency, before and
    /// after), not a directory's mix of measures.
    #[arg(long)]
    compare: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also draw the files' percentile distributions into this SVG file:
    /// latency against percentile on HdrHistogram's log "1/(1 − p)" axis,
    /// so the tail (99.9 %, 99.99 %) gets as much room as the median.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table in microseconds (and, with --compare, ratios to the first file).
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
    if let Some(path) = &args.plot {
        if let Err(e) = plot(path, &loaded) {
            eprintln!("error: --plot {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        // On stderr: stdout stays the table, JSON or hgrm asked for.
        eprintln!("plot written to {}", path.display());
    }
    match args.format {
        Format::Text => {
            // File names may be longer than the usual rows' names.
            let width = loaded.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
            println!("{}", report::table_header_width(width));
            for (name, h) in &loaded {
                println!("{}", report::table_row_width(name, h, width));
            }
            if let Some(((_, base), rest)) = loaded.split_first().filter(|(_, rest)| args.compare && !rest.is_empty()) {
                if let Some(mix) = measures_mixed(&args.files) {
                    eprintln!("note: --compare: {mix}: ratios of one measure to another compare unlike things");
                }
                println!("ratio to the first file:");
                for (name, h) in rest {
                    let cells: Vec<String> = report::PERCENTILES
                        .iter()
                        .map(|(label, p)| format!("{label} {}", ratio(base, h, *p)))
                        .collect();
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

/// Draws each histogram's percentile distribution into an SVG file.
fn plot(path: &std::path::Path, histograms: &[(String, hdrhistogram::Histogram<u64>)]) -> Result<(), String> {
    use plotters::prelude::*;
    // The drawing library would say only "Drawing backend error".
    std::fs::File::create(path).map_err(|e| format!("cannot write there: {e}"))?;
    // The last percentile drawn: 1 − 10^-6, as far as HdrHistogram's plots go.
    const X_MAX: f64 = 1e6;
    let curves: Vec<(&str, Vec<(f64, f64)>)> = histograms
        .iter()
        .map(|(name, h)| {
            let points = h
                .iter_quantiles(4)
                .map(|v| (v.quantile_iterated_to(), v.value_iterated_to() as f64 / 1000.0))
                .filter(|&(q, _)| q < 1.0)
                .map(|(q, us)| ((1.0 / (1.0 - q)).min(X_MAX), us))
                .collect();
            (name.as_str(), points)
        })
        .collect();
    let y_max = curves.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y)).fold(1.0, f64::max) * 1.05;
    // To the decade past the furthest percentile measured.
    let x_far = curves.iter().flat_map(|(_, p)| p.iter().map(|&(x, _)| x)).fold(10.0, f64::max);
    let x_max = 10f64.powf(x_far.log10().ceil()).min(X_MAX);
    let root = SVGBackend::new(path, (1000, 600)).into_drawing_area();
    let error = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| error(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("latency by percentile", ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((1.0..x_max).log_scale(), 0.0..y_max)
        .map_err(|e| error(&e))?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (µs)")
        .x_label_formatter(&|x| {
            let percent = format!("{:.4}", 100.0 * (1.0 - 1.0 / x));
            format!("{}%", percent.trim_end_matches('0').trim_end_matches('.'))
        })
        .draw()
        .map_err(|e| error(&e))?;
    for (i, (name, points)) in curves.into_iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| error(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| error(&e))?;
    root.present().map_err(|e| error(&e))
}

/// What each measure's file is named for, by the name's ending (as the
/// nodes, the load generator and the demo write them).
const MEASURES: [(&str, &str); 4] = [
    ("-commit", "commit latency"),
    ("-send-lateness", "send lateness"),
    ("-ack-rtt", "ACK round trip"),
    ("-delivery", "delivery latency"),
];

/// The measures of `files`, said ("a.hdr is commit latency, b.hdr delivery
/// latency") when their names, as seqcast writes them, give more than one;
/// None when they give one, or a name gives none (renamed: unknown).
fn measures_mixed(files: &[PathBuf]) -> Option<String> {
    let measure = |path: &PathBuf| {
        let stem = path.file_stem()?.to_str()?;
        MEASURES.iter().find(|(ending, _)| stem.ends_with(ending)).map(|(_, measure)| *measure)
    };
    let named: Vec<(String, &str)> =
        files.iter().map(|f| Some((f.display().to_string(), measure(f)?))).collect::<Option<_>>()?;
    if named.iter().all(|(_, m)| *m == named[0].1) {
        return None;
    }
    let said: Vec<String> = named.iter().map(|(file, measure)| format!("{file} is {measure}")).collect();
    Some(said.join(", "))
}

/// `h`'s value at percentile `p` over `base`'s, three significant digits
/// ("×0.00450", "×12.3"); "n/a" when either histogram is empty.
fn ratio(base: &hdrhistogram::Histogram<u64>, h: &hdrhistogram::Histogram<u64>, p: f64) -> String {
    if base.is_empty() || h.is_empty() {
        return "n/a".to_string();
    }
    let ratio = h.value_at_percentile(p) as f64 / base.value_at_percentile(p).max(1) as f64;
    if ratio == 0.0 {
        return "×0".to_string();
    }
    let digits = (2.0 - ratio.log10().floor()).clamp(0.0, 8.0) as usize;
    format!("×{ratio:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compared_files_of_several_measures_are_named_with_theirs() {
        let files = |names: &[&str]| names.iter().map(PathBuf::from).collect::<Vec<_>>();
        let same = files(&["before/loadgen-commit.hdr", "after/loadgen-commit.hdr"]);
        assert_eq!(measures_mixed(&same), None);
        let mixed = files(&["run/loadgen-commit.hdr", "run/follower-1-delivery.hdr", "run/member-2-delivery.hdr"]);
        assert_eq!(
            measures_mixed(&mixed).as_deref(),
            Some(
                "run/loadgen-commit.hdr is commit latency, run/follower-1-delivery.hdr is delivery latency, \
                 run/member-2-delivery.hdr is delivery latency"
            )
        );
        // A renamed file's measure is not known: nothing is said.
        assert_eq!(measures_mixed(&files(&["loadgen-commit.hdr", "mine.hdr"])), None);
    }

    #[test]
    fn a_ratio_keeps_three_significant_digits_and_an_empty_histogram_has_none() {
        let of = |values: &[u64]| {
            let mut h = report::histogram();
            values.iter().for_each(|&v| h.record(v).unwrap());
            h
        };
        let (base, small, big, empty) = (of(&[1_000_000]), of(&[4_500]), of(&[12_300_000]), of(&[]));
        assert_eq!(ratio(&base, &small, 50.0), "×0.00450");
        assert_eq!(ratio(&base, &big, 50.0), "×12.3");
        assert_eq!(ratio(&base, &base, 50.0), "×1.00");
        assert_eq!((ratio(&empty, &base, 50.0), ratio(&base, &empty, 50.0)), ("n/a".into(), "n/a".into()));
    }
}
