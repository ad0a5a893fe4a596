//! `seqcast journal`: check a journal directory, or print its events,
//! without changing a byte of it.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use seqcast::core::Seq;
use seqcast::journal::format::{End, Entry};
use seqcast::journal::{self, SegmentReport};

/// `seqcast journal`.
#[derive(Clone, Debug, Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(Clone, Debug, Subcommand)]
enum JournalCommand {
    /// Check every segment and record: prints each segment's sequences,
    /// epochs and how it ends. Exits 1 if a record is damaged (a torn tail,
    /// which the node clears when it next starts, or a corrupt record).
    Verify {
        /// The journal directory (a node's `--journal`).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print the journal's events in sequence order.
    Dump {
        /// The journal directory (a node's `--journal`).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// First sequence to print.
        #[arg(long, value_name = "SEQ", default_value_t = 1)]
        from: u64,
        /// Last sequence to print [default: the last there is].
        #[arg(long, value_name = "SEQ")]
        to: Option<u64>,
        /// One line per event: text, or a JSON object.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `seq 12 epoch 3 client 7 request 42 stamp_ns … payload 68656c6c6f`.
    Text,
    /// `{"seq":12,"epoch":3,"client":7,"request":42,"stamp_ns":…,"payload":"68656c6c6f"}`.
    Json,
}

/// Runs `seqcast journal`.
pub fn run(args: &JournalArgs) -> ExitCode {
    let result = match &args.command {
        JournalCommand::Verify { dir } => verify(dir),
        JournalCommand::Dump { dir, from, to, format } => dump(dir, Seq(*from), Seq(to.unwrap_or(u64::MAX)), *format),
    };
    match result {
        Ok(code) => code,
        // `seqcast journal dump … | head`: the reader left; nothing is wrong.
        Err(Failure::Pipe) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => super::fail(message),
    }
}

enum Failure {
    Pipe,
    Message(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe { Failure::Pipe } else { Failure::Message(e.to_string()) }
    }
}

impl From<journal::JournalError> for Failure {
    fn from(e: journal::JournalError) -> Failure {
        Failure::Message(e.to_string())
    }
}

fn verify(dir: &std::path::Path) -> Result<ExitCode, Failure> {
    if !dir.is_dir() {
        return Err(Failure::Message(format!("{} is not a directory", dir.display())));
    }
    let reports = journal::inspect(dir)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let mut damaged = false;
    let mut before: Option<Seq> = None;
    for report in &reports {
        writeln!(out, "{}", segment_line(report))?;
        if let (Some(last), Some((first, _))) = (before, report.range)
            && first != last.next()
        {
            writeln!(out, "  gap: sequences {}..{} are in no segment", last.next(), first)?;
            damaged = true;
        }
        before = report.range.map(|r| r.1).or(before);
        damaged |= report.end != End::Clean;
    }
    let first = reports.iter().find_map(|r| r.range).map(|r| r.0);
    match (first, before) {
        (Some(first), Some(last)) => {
            writeln!(out, "journal {}: sequences {first}..={last} in {} segment(s)", dir.display(), reports.len())?
        }
        _ => writeln!(out, "journal {}: no events", dir.display())?,
    }
    if damaged {
        writeln!(out, "damaged: see the segments above")?;
    }
    out.flush()?;
    Ok(if damaged { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn segment_line(report: &SegmentReport) -> String {
    let range = report.range.map_or("no events".to_string(), |(a, b)| format!("seq {a}..={b}"));
    let epochs = report
        .epochs
        .map_or(String::new(), |(a, b)| if a == b { format!(", epoch {a}") } else { format!(", epochs {a}..={b}") });
    let end = match report.end {
        End::Clean => "ends clean".to_string(),
        End::Torn { offset } => format!("TORN TAIL at byte {offset} (cleared when the node next starts)"),
        End::Corrupt { offset, seq } => {
            format!("CORRUPT record at byte {offset}, sequence {seq}: it and all after it are not trusted")
        }
    };
    format!(
        "{}: cluster {} node {}, {range}{epochs}, {} bytes, {end}",
        report.path.display(),
        report.cluster,
        report.node,
        report.bytes
    )
}

fn dump(dir: &std::path::Path, from: Seq, to: Seq, format: Format) -> Result<ExitCode, Failure> {
    if !dir.is_dir() {
        return Err(Failure::Message(format!("{} is not a directory", dir.display())));
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let mut error = None;
    journal::entries(dir, from, to, |entry| {
        if error.is_none()
            && let Err(e) = writeln!(out, "{}", line(&entry, format))
        {
            error = Some(e);
        }
    })?;
    if let Some(e) = error {
        return Err(e.into());
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn line(entry: &Entry<'_>, format: Format) -> String {
    let h = entry.event.header;
    let payload: String = entry.event.payload.iter().map(|b| format!("{b:02x}")).collect();
    let (seq, epoch, client, request, stamp) = (h.seq(), entry.epoch, h.client(), h.request.get(), h.stamp_ns.get());
    match format {
        Format::Text => {
            format!("seq {seq} epoch {epoch} client {client} request {request} stamp_ns {stamp} payload {payload}")
        }
        Format::Json => format!(
            "{{\"seq\":{seq},\"epoch\":{epoch},\"client\":{client},\"request\":{request},\"stamp_ns\":{stamp},\"payload\":\"{payload}\"}}"
        ),
    }
}
