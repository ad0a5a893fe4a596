//! Latency reports from HDR histograms of nanoseconds: a text table, JSON,
//! the `.hgrm` percentile text HdrHistogram's plotter reads, and files that
//! `seqcast report` reads back (HdrHistogram's V2 encoding).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::Path;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};

/// Highest value a histogram keeps exactly: one hour in nanoseconds.
const HIGHEST_NS: u64 = 3_600_000_000_000;

/// An empty histogram of nanoseconds, 3 significant digits, up to an hour.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_NS, 3).expect("constant bounds are valid")
}

/// The percentiles every report shows.
pub const PERCENTILES: [(&str, f64); 5] =
    [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9), ("p99.99", 99.99)];

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// Characters of a row's name: the longest, `send lateness (intended →
/// sent)`, once pushed its row's figures out of their columns.
const NAME_WIDTH: usize = 31;

/// The header of [`table_row`] rows.
pub fn table_header() -> String {
    table_header_width(NAME_WIDTH)
}

/// The header of [`table_row_width`] rows whose names take `width`
/// columns (at least [`table_row`]'s).
pub fn table_header_width(width: usize) -> String {
    let width = width.max(NAME_WIDTH);
    let mut line = format!("{:<width$} {:>10} {:>10}", "latency (µs)", "count", "min");
    for (name, _) in PERCENTILES {
        let _ = write!(line, " {name:>10}");
    }
    line + &format!(" {:>10}", "max")
}

/// One row: count, min, the percentiles and max, in microseconds (`-`
/// for each of an empty histogram: no sample is no zero).
pub fn table_row(name: &str, h: &Histogram<u64>) -> String {
    table_row_width(name, h, NAME_WIDTH)
}

/// A [`table_row`] whose name takes `width` columns (at least its own):
/// names longer than the usual, such as file paths, keep the columns in line.
pub fn table_row_width(name: &str, h: &Histogram<u64>, width: usize) -> String {
    let width = width.max(NAME_WIDTH);
    if h.is_empty() {
        let mut line = format!("{name:<width$} {:>10} {:>10}", 0, "-");
        for _ in PERCENTILES {
            let _ = write!(line, " {:>10}", "-");
        }
        return line + &format!(" {:>10}", "-");
    }
    let mut line = format!("{name:<width$} {:>10} {:>10.1}", h.len(), us(h.min()));
    for (_, p) in PERCENTILES {
        let _ = write!(line, " {:>10.1}", us(h.value_at_percentile(p)));
    }
    line + &format!(" {:>10.1}", us(h.max()))
}

/// The same figures as a JSON object, in microseconds (null for each of
/// an empty histogram).
pub fn json(name: &str, h: &Histogram<u64>) -> String {
    if h.is_empty() {
        let mut out = format!("{{\"name\":{name:?},\"unit\":\"us\",\"count\":0,\"min\":null");
        for (label, _) in PERCENTILES {
            let _ = write!(out, ",\"{label}\":null");
        }
        return out + ",\"max\":null,\"mean\":null}";
    }
    let mut out = format!("{{\"name\":{name:?},\"unit\":\"us\",\"count\":{},\"min\":{:.3}", h.len(), us(h.min()));
    for (label, p) in PERCENTILES {
        let _ = write!(out, ",\"{label}\":{:.3}", us(h.value_at_percentile(p)));
    }
    let _ = write!(out, ",\"max\":{:.3},\"mean\":{:.3}}}", us(h.max()), h.mean() / 1000.0);
    out
}

/// The percentile distribution as HdrHistogram prints it (values in µs):
/// `Value Percentile TotalCount 1/(1-Percentile)`, as the plotter reads.
pub fn hgrm(h: &Histogram<u64>) -> String {
    let mut out = format!("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    let mut total = 0;
    for v in h.iter_quantiles(5) {
        total += v.count_since_last_iteration();
        let q = v.quantile_iterated_to();
        let inverse = if q < 1.0 { format!("{:>14.2}", 1.0 / (1.0 - q)) } else { String::new() };
        let _ = writeln!(out, "{:>12.3} {:>14.12} {:>10} {inverse}", us(v.value_iterated_to()), q, total);
    }
    let _ = writeln!(out, "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]", h.mean() / 1000.0, h.stdev() / 1000.0);
    let _ = writeln!(out, "#[Max     = {:>12.3}, Total count    = {:>12}]", us(h.max()), h.len());
    // As HdrHistogram's own footer: sub-buckets per bucket, not the
    // length of the counts array.
    let sub_buckets = (2 * 10u32.pow(h.sigfig().into())).next_power_of_two();
    let _ = writeln!(out, "#[Buckets = {:>12}, SubBuckets     = {:>12}]", h.buckets(), sub_buckets);
    out
}

/// Writes `h` to `path` so that [`load`] (and `seqcast report`) can read it.
pub fn save(path: &Path, h: &Histogram<u64>) -> io::Result<()> {
    let mut file = BufWriter::new(File::create(path)?);
    V2Serializer::new().serialize(h, &mut file).map_err(|e| io::Error::other(format!("{e:?}")))?;
    file.flush()
}

/// Reads a histogram written by [`save`].
pub fn load(path: &Path) -> io::Result<Histogram<u64>> {
    let file =
        File::open(path).map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?;
    let mut file = BufReader::new(file);
    Deserializer::new().deserialize(&mut file).map_err(|e| match e {
        hdrhistogram::serialization::DeserializeError::IoError(e) if e.kind() != io::ErrorKind::UnexpectedEof => {
            io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
        }
        _ => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a histogram file (seqcast writes HdrHistogram V2 .hdr files)", path.display()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Histogram<u64> {
        let mut h = histogram();
        for i in 1..=1000u64 {
            h.record(i * 1000).unwrap();
        }
        h
    }

    #[test]
    fn percentiles_are_in_microseconds() {
        let row = table_row("x", &sample());
        assert!(row.contains(" 1000 ") && row.contains("500.") && row.contains("990."), "{row}");
        let json = json("x", &sample());
        assert!(json.contains("\"count\":1000") && json.contains("\"p50\":500."), "{json}");
    }

    /// A reviewer's run that committed nothing printed `"p50":0.000`, a
    /// latency of zero.
    #[test]
    fn an_empty_histogram_reads_as_no_figure_not_zero() {
        let json = json("x", &histogram());
        assert!(json.contains("\"count\":0,\"min\":null") && json.contains("\"p50\":null"), "{json}");
        assert!(json.ends_with("\"max\":null,\"mean\":null}"), "{json}");
        let row = table_row("x", &histogram());
        assert!(!row.contains("0.0") && row.ends_with(" -"), "{row}");
        assert!(hgrm(&sample()).contains("SubBuckets     =         2048]"), "{}", hgrm(&sample()));
    }

    #[test]
    fn hgrm_has_the_plotter_columns_and_ends_at_the_max() {
        let text = hgrm(&sample());
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"), "{text}");
        let last = text.lines().rfind(|l| !l.starts_with('#') && !l.is_empty()).unwrap();
        assert!(last.contains("1000") && last.contains("1.000000000000"), "{last}");
    }

    #[test]
    fn save_and_load_round_trip() {
        let path = std::env::temp_dir().join(format!("seqcast-report-test-{}.hdr", std::process::id()));
        save(&path, &sample()).unwrap();
        let back = load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(back, sample());
        let junk = std::env::temp_dir().join(format!("seqcast-report-junk-{}.hdr", std::process::id()));
        std::fs::write(&junk, b"not a histogram").unwrap();
        assert!(load(&junk).unwrap_err().to_string().contains("not a histogram file"));
        std::fs::remove_file(&junk).unwrap();
    }
}
