//! `seqcast journal`: check a journal directory, or print its events,
//! without changing a byte of it.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use seqcast::core::{Epoch, Event, MemberEvent, NodeId, Seq};
use seqcast::journal::format::{End, Entry};
use seqcast::journal::{self, Item, Journal, JournalError, JournalOptions, SegmentReport, SyncLevel};

/// `seqcast journal`.
#[derive(Clone, Debug, Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: JournalCommand,
}

#[derive(Clone, Debug, Subcommand)]
enum JournalCommand {
    /// Check every segment and record: prints each segment's sequences,
    /// epochs and how it ends, and what the claim file (a member's) and the
    /// commit file (any node's) beside them say. Exits 1 if a record is
    /// damaged (a torn tail, which the node clears when it next starts, or
    /// a corrupt record), sequences are missing between two segments, a
    /// segment's name gives another first sequence than its header or it
    /// belongs to another cluster or node than the first, the claim file is
    /// damaged or another node's, or the commit file is another node's (a
    /// damaged one is said and ignored, as a node ignores it).
    Verify {
        /// A node's journal directory: DIR/node-ID of its `--journal DIR`.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print the journal's events in sequence order (each with the epoch of
    /// the leader that sent it to this node: after a leader restart the
    /// same event can carry another epoch on another node). Goes on past
    /// sequences the node was told were lost (a hole, said on stderr).
    /// Stops at a damaged record or a missing sequence, or where the
    /// records end before `--to`, says so, and exits 1. Damage in a
    /// segment before the one that holds `--from` does not stop it (each
    /// record printed passed its own CRC); damage before `--from` in that
    /// segment does, as the records after it cannot be found.
    Dump {
        /// A node's journal directory: DIR/node-ID of its `--journal DIR`.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// First sequence to print [default: the first there is];
        /// sequences start at 1.
        #[arg(long, value_name = "SEQ", value_parser = clap::value_parser!(u64).range(1..))]
        from: Option<u64>,
        /// Last sequence to print [default: the last there is]; sequences
        /// start at 1.
        #[arg(long, value_name = "SEQ", value_parser = clap::value_parser!(u64).range(1..))]
        to: Option<u64>,
        /// One line per event: text, or a JSON object; or `count`: only
        /// the digest of the range at the end, as `seqcast tail --format
        /// count` and a node's stop line print it, holes counted lost (the
        /// same range read by each gives the same digest).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the good records of one node's journal as another node's
    /// journal, synced: a sequencer whose own journal is damaged (it
    /// refuses to start on it) can be started on a copy of a follower's,
    /// which holds everything committed. Stops at damage or a gap and
    /// exits 1, keeping what it copied; never writes into a journal that
    /// holds segments.
    Copy {
        /// The journal to read: DIR/node-ID of a node's `--journal DIR`.
        #[arg(value_name = "FROM")]
        from: PathBuf,
        /// The journal to write (DIR/node-ID of the node that will use it).
        #[arg(value_name = "TO")]
        to: PathBuf,
        /// Node id the copy is for, written in its segment headers
        /// [default: the ID of TO's name, `node-ID`].
        #[arg(long, value_name = "ID")]
        node: Option<u16>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `seq 12 epoch 3 client 7 request 42 stamp_ns … payload 68656c6c6f`.
    Text,
    /// `{"seq":12,"epoch":3,"client":7,"request":42,"stamp_ns":…,"payload":"68656c6c6f"}`.
    Json,
    /// No line per event: `digest: seq 1..=440000 events 440000 lost 0 hash 7aa84eecaf0b0ad2` at the end.
    Count,
}

/// Runs `seqcast journal`.
pub fn run(args: &JournalArgs) -> ExitCode {
    let read = match &args.command {
        JournalCommand::Verify { dir } | JournalCommand::Dump { dir, .. } => dir,
        JournalCommand::Copy { from, .. } => from,
    };
    let live = in_use(read);
    if live {
        eprintln!(
            "note: {} is in use by a running node: its newest segment is being written, so what this reads ends \
             where that node's writes stood",
            read.display()
        );
    }
    let result = match &args.command {
        JournalCommand::Verify { dir } => verify(dir, live),
        JournalCommand::Dump { to: Some(to), from: Some(from), .. } if to < from => {
            Err(Failure::Message(format!("--to {to} is before --from {from}")))
        }
        JournalCommand::Dump { dir, from, to, format } => {
            dump(dir, (Seq(from.unwrap_or(0)), Seq(to.unwrap_or(u64::MAX))), *format, live)
        }
        JournalCommand::Copy { from, to, node } => copy_for(to, *node).and_then(|node| copy(from, to, node, live)),
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

impl From<JournalError> for Failure {
    fn from(e: JournalError) -> Failure {
        Failure::Message(e.to_string())
    }
}

/// True if a running node holds `dir`'s journal open (its lock file is
/// locked). Only looks: a missing lock file is not made.
fn in_use(dir: &std::path::Path) -> bool {
    let Ok(lock) = std::fs::File::open(dir.join("lock")) else { return false };
    matches!(lock.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
}

/// A directory that holds no segments but nodes' journals (`--journal
/// DIR` rather than `DIR/node-1`) is named as such.
fn a_nodes_journal(dir: &std::path::Path) -> Result<(), Failure> {
    if !dir.exists() {
        return Err(Failure::Message(format!("{}: no such directory", dir.display())));
    }
    if !dir.is_dir() {
        return Err(Failure::Message(format!("{} is not a directory", dir.display())));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Failure::Message(format!("{}: {e}", dir.display())))?;
    let names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    if names.iter().any(|n| journal::is_journal_file(n)) {
        return Ok(());
    }
    let mut nodes: Vec<&String> = names.iter().filter(|n| n.starts_with("node-")).collect();
    nodes.sort();
    match nodes.is_empty() {
        true => Err(Failure::Message(format!(
            "{} holds no journal: no segments (*.journal), nor the lock, claim or commit file a node keeps beside them (give a node's journal, DIR/node-ID of its `--journal DIR`)",
            dir.display()
        ))),
        false => Err(Failure::Message(format!(
            "{} holds no segments but nodes' journals ({}): give one of those, as {}",
            dir.display(),
            nodes.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
            dir.join(nodes[0]).display()
        ))),
    }
}

/// Reads of a journal a running node writes: what looks damaged where the
/// node writes is read again after [`LIVE_PAUSE`], at most this many times.
const LIVE_READS: usize = 3;
const LIVE_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A damaged record where a read stopped: the file and how it ends there.
type Damage = (PathBuf, End);

/// Reads again, while `live`, a read whose damage may be a record the node
/// is writing at that moment: `read` returns the damage it stopped at. A
/// damage met again in the same place is damage; one that moved on is a
/// write the reader overtook. Returns the last read, and whether its
/// damage (if any) is where the node's writes stood when the reads ended
/// (it moved at every read).
fn settle<T>(
    live: bool,
    mut read: impl FnMut() -> Result<(T, Option<Damage>), JournalError>,
    mut pause: impl FnMut(),
) -> Result<(T, bool), JournalError> {
    let (mut result, mut damage) = again_if_deleted(live, &mut read)?;
    for _ in 0..LIVE_READS {
        let Some(seen) = damage.take().filter(|_| live) else { return Ok((result, false)) };
        pause();
        (result, damage) = again_if_deleted(live, &mut read)?;
        if damage.as_ref() == Some(&seen) {
            return Ok((result, false));
        }
    }
    Ok((result, live && damage.is_some()))
}

/// Reads a journal again, while `live`, when a segment it listed was gone
/// before it could open it: retention deletes the oldest segments as the
/// node writes (at most [`LIVE_READS`] times again).
fn again_if_deleted<T>(live: bool, mut read: impl FnMut() -> Result<T, JournalError>) -> Result<T, JournalError> {
    let mut again = 0;
    loop {
        match read() {
            Err(JournalError::Io(_, e)) if live && e.kind() == io::ErrorKind::NotFound && again < LIVE_READS => {
                again += 1
            }
            result => return result,
        }
    }
}

/// A read's stop, and the damage it names, for [`settle`].
fn with_damage(stopped: Option<journal::Stopped>) -> (Option<journal::Stopped>, Option<Damage>) {
    let damage = match &stopped {
        Some(journal::Stopped::Damaged(path, end)) => Some((path.clone(), *end)),
        _ => None,
    };
    (stopped, damage)
}

/// The newest segment's damage, if it has any.
fn newest_damage(reports: &[SegmentReport]) -> Option<Damage> {
    reports.last().filter(|r| r.end != End::Clean).map(|r| (r.path.clone(), r.end))
}

fn verify(dir: &std::path::Path, live: bool) -> Result<ExitCode, Failure> {
    a_nodes_journal(dir)?;
    let read = || {
        let reports = journal::inspect(dir)?;
        let damage = newest_damage(&reports);
        Ok::<_, JournalError>((reports, damage))
    };
    let (mut reports, writing) = settle(live, read, || std::thread::sleep(LIVE_PAUSE))?;
    // Where the running node was writing a record, when its end moved at every read: not damage.
    let mut writing_at = None;
    if writing && let Some(newest) = reports.last_mut() {
        writing_at = match newest.end {
            End::Torn { offset } | End::Corrupt { offset, .. } => Some(offset),
            End::Clean => None,
        };
        newest.end = End::Clean;
    }
    let mut out = BufWriter::new(io::stdout().lock());
    // Sequences in no segment: `holes` the node was told were lost (the
    // next segment's header says so), `gaps` a journal that did not record
    // it cannot tell from a file gone.
    let (mut damaged, mut torn, mut gaps, mut holes, mut overlap) = (false, false, 0u64, 0u64, false);
    // Segments whose header is damaged: a node refuses the journal.
    let mut bad_headers: Vec<(&std::path::Path, bool)> = Vec::new();
    let mut before: Option<Seq> = None;
    // The last sequence a node keeps, once a corrupt record ends what it trusts.
    let mut kept: Option<Option<Seq>> = None;
    // The first corrupt record (its segment, offset and sequence) and the
    // epoch of the last good record before it.
    let mut corrupt: Option<(usize, u64, Seq, Epoch)> = None;
    // The commit the records a node keeps were written knowing, as
    // recovery takes it.
    let mut records_commit: Option<Seq> = None;
    for (index, report) in reports.iter().enumerate() {
        let writing = writing_at.filter(|_| index + 1 == reports.len());
        let newest = index + 1 == reports.len();
        if let Some(e) = report.header {
            writeln!(out, "{}: DAMAGED HEADER ({e}): nothing of it is read", report.path.display())?;
            bad_headers.push((&report.path, newest));
            damaged = true;
            kept.get_or_insert(before);
            continue;
        }
        // An empty newest segment whose header says the journal held more
        // than the segments before it reach (the only one: more than
        // nothing): a file gone (as a node reads it).
        let gone = match (report.range, report.after, before) {
            _ if !newest || report.unfinished => None,
            (None, Some(after), Some(last)) if report.first > last.next() => {
                (after != last).then(|| (Some(last), format!("sequences {}..={}", last.next(), after.max(last)), after))
            }
            (None, Some(after), None) if index == 0 && !matches!(report.end, End::Corrupt { .. }) => {
                Some((None, format!("sequences up to {after}"), after))
            }
            _ => None,
        };
        if let Some((last, held, after)) = gone.filter(|_| kept.is_none()) {
            let files = match last {
                Some(_) => "a segment file that is gone",
                None => "segment files that are gone, or their records were lost with the power at --sync none",
            };
            writeln!(out, "{}: cluster {} node {}, no events", report.path.display(), report.cluster, report.node)?;
            writeln!(
                out,
                "  gap: {held} were in {files} (this one's header says the journal held up to {after} when it \
                 began; it holds no record, and a node keeps it aside)"
            )?;
            (damaged, kept) = (true, Some(last));
            continue;
        }
        writeln!(out, "{}", segment_line(report, writing, newest))?;
        if let (Some(last), Some((first, _))) = (before, report.range)
            && first <= last
        {
            writeln!(out, "  OVERLAP: it starts at sequence {first}, but the segment before ends at {last}")?;
            (overlap, damaged) = (true, true);
        }
        if let (None, Some(last), Some((first, _))) = (kept, before, report.range)
            && first > last.next()
        {
            if report.after == Some(last) {
                writeln!(
                    out,
                    "  hole: sequences {}..={} are in no segment: the node was told they were lost \
                     (UNRECOVERABLE) and never held them",
                    last.next(),
                    first.prev()
                )?;
                holes += first.get() - last.next().get();
            } else {
                damaged = true;
                match report.after {
                    // Its header says the journal held up to `after` when it
                    // began: what lies between was in a file that is gone.
                    Some(after) => {
                        writeln!(
                            out,
                            "  gap: sequences {}..={} were in a segment file that is gone, or writes lost with the \
                             power at --sync none (this one's header says the journal held up to {after} when it \
                             began)",
                            last.next(),
                            after.max(last)
                        )?;
                        kept = Some(Some(last));
                    }
                    // Written before headers recorded it.
                    None => {
                        writeln!(out, "  gap: sequences {}..={} are in no segment", last.next(), first.prev())?;
                        gaps += first.get() - last.next().get();
                    }
                }
            }
        }
        if kept.is_none() {
            // Its good records: before a corrupt one in it, if any, they are kept.
            records_commit = records_commit.max(report.commit);
        }
        match report.end {
            End::Corrupt { offset, seq } if kept.is_none() => {
                kept = Some(report.range.map(|r| r.1).or(before));
                // Its last good record before the damage, where a member
                // starts the walk past it that says how far it reached.
                let last_epoch = reports[..=index].iter().rev().find_map(|r| r.epochs).map_or(Epoch::ZERO, |e| e.1);
                corrupt = Some((index, offset as u64, seq, last_epoch));
            }
            End::Torn { .. } => torn = true,
            _ => {}
        }
        damaged |= report.end != End::Clean;
        if report.range.is_none() && index + 1 < reports.len() && !report.unfinished {
            // As a node reads it: damage where its first record should be.
            damaged = true;
            kept.get_or_insert(before);
        }
        before = report.range.map(|r| r.1).or(before);
    }
    // The files beside the segments, before the summary (the last lines).
    let mut side_damaged = false;
    let owner = reports.iter().find(|r| !r.unfinished && r.header.is_none()).map(|r| (r.cluster, r.node));
    let (mut claim, mut commit) = journal::side_files(dir)?;
    if live && (claim.as_ref().is_some_and(Result::is_err) || commit.as_ref().is_some_and(Result::is_err)) {
        // The running node rewrites its commit file in place: read again.
        std::thread::sleep(LIVE_PAUSE);
        (claim, commit) = journal::side_files(dir)?;
    }
    // How far a member started on it would say it reached (helper 149's
    // operator compared two damaged journals before starting either).
    let reach = corrupt.and_then(|(index, offset, seq, last_epoch)| {
        let claim = match &claim {
            Some(Ok((_, _, (epoch, _, promised, _)))) => Some((*epoch, *promised)),
            _ => None,
        };
        let later: Vec<PathBuf> = reports[index + 1..].iter().map(|r| r.path.clone()).collect();
        journal::damage_reach(Some((&reports[index].path, offset, seq)), &later, Some(seq), last_epoch, claim)
    });
    if let Some(line) = claim.map(|claim| claim_line(claim, owner, kept.is_some())) {
        side_damaged = line.starts_with("claim: DAMAGED") || line.contains("NOT THIS JOURNAL'S");
        writeln!(out, "{line}")?;
    }
    let reach_file = journal::reach_file(dir)?;
    let reach_kept =
        matches!(reach_file, Some(Ok((cluster, node, _))) if owner.is_none_or(|owner| owner == (cluster, node)));
    let reach_epoch = journal::reach_epoch_file(dir)?;
    match reach_file {
        _ if foreign(&mut out, "reach", &reach_file, owner)? => side_damaged = true,
        Some(Ok((_, _, (epoch, seq)))) => {
            let records = match reach_epoch {
                Some(Ok((_, _, (records, of)))) if of == seq => {
                    format!(", what it stands for of epoch {records} at the newest")
                }
                _ => String::new(),
            };
            writeln!(
                out,
                "reach: before records were dropped from it (damage, or a start without a whole claim), this \
                 journal reached sequence {seq} (epoch {epoch}{records}): its member votes for no shorter log until \
                 it holds as much again"
            )?
        }
        Some(Err(e)) => writeln!(out, "reach: damaged ({e}), ignored")?,
        None => {}
    }
    match reach_epoch {
        _ if foreign(&mut out, "reach-epoch", &reach_epoch, owner)? => side_damaged = true,
        Some(Err(e)) => writeln!(out, "reach-epoch: damaged ({e}), ignored")?,
        _ => {}
    }
    match journal::refused_log_file(dir)? {
        side if foreign(&mut out, "refused-log", &side, owner)? => side_damaged = true,
        Some(side) => writeln!(
            out,
            "refused-log: this follower refused {} for lacking events it knew committed: it takes a later \
             sequencer's log only where that log shows this follower's record at its commit (one whose retention \
             deleted it is refused too)",
            match side {
                // Written by `journal copy` from a damaged one.
                Ok((_, _, Epoch::ZERO)) => {
                    "a sequencer's log of an epoch no longer known (its file was copied from a damaged one)".to_string()
                }
                Ok((_, _, epoch)) => format!("the log of epoch {epoch}'s sequencer"),
                Err(e) => format!("a sequencer's log (the file is damaged: {e}; read as a refusal all the same)"),
            }
        )?,
        None => {}
    }
    match journal::led_epoch_file(dir)? {
        side if foreign(&mut out, "led-epoch", &side, owner)? => side_damaged = true,
        Some(Ok((_, _, epoch))) => writeln!(
            out,
            "led-epoch: a sequencer started epoch {epoch} on this journal: one started on it later must start a \
             newer epoch"
        )?,
        Some(Err(e)) => {
            side_damaged = true;
            writeln!(
                out,
                "led-epoch: DAMAGED ({e}): a sequencer stops at start on this journal until the file is removed \
                 (remove it once sure the epoch it starts is newer than any started here)"
            )?
        }
        None => {}
    }
    match journal::handed_out_file(dir)? {
        side if foreign(&mut out, "handed-out", &side, owner)? => side_damaged = true,
        Some(side) => writeln!(
            out,
            "handed-out: its follower delivered on receipt, and {}: a restart counts them delivered (replayed, not \
             delivered again), whichever way it delivers then, and takes a sequencer's log only where it holds them",
            match side {
                Ok((_, _, Seq(u64::MAX))) => {
                    "any record past its commit may have reached its application (it delivers on receipt)".to_string()
                }
                Ok((_, _, last)) =>
                    format!("its records past its commit up to seq {last} may have reached its application"),
                Err(e) => format!(
                    "the file is damaged ({e}): read as any record past its commit having reached its application"
                ),
            }
        )?,
        None => {}
    }
    // What its records say committed, beside which the commit file counts
    // only where it says more, and never past the last record kept (an
    // operator's trial read a commit file below what its member knew as a
    // loss).
    let records_commit = records_commit.filter(|&c| c > Seq::ZERO);
    let last_kept = kept.unwrap_or(before);
    if let Some(records) = records_commit {
        writeln!(out, "commit: its records were written knowing sequences up to {records} committed")?;
    }
    if let Some(commit) = commit {
        // Past the last record kept is no damage by itself: a journal that
        // ends in sequences its node was told were lost says so too.
        let line = commit_line(commit, owner, live, (records_commit, last_kept));
        side_damaged |= line.contains("NOT THIS JOURNAL'S");
        writeln!(out, "{line}")?;
    }
    // `--journal DIR` keeps node ID's journal in DIR/node-ID: one named
    // for another node than its segments' is refused by both.
    let named = dir.file_name().and_then(|n| n.to_str()?.strip_prefix("node-")?.parse::<u16>().ok());
    let misplaced = match (named, owner) {
        (Some(named), Some((_, node))) if named != node => Some((named, node)),
        _ => None,
    };
    if let Some((named, node)) = misplaced {
        writeln!(
            out,
            "NOT NODE {named}'S: its segments are node {node}'s, in a directory named for node {named} (`--journal \
             DIR` keeps node ID's journal in DIR/node-ID): node {named} refuses to start on it, and node {node} \
             does not look here"
        )?;
    }
    let first = reports.iter().find_map(|r| r.range).map(|r| r.0);
    match (first, before) {
        (Some(first), Some(last)) => {
            let segments = reports.iter().filter(|r| !r.unfinished).count();
            let mark = match (damaged || side_damaged, holes) {
                (true, _) => ", DAMAGED".to_string(),
                (false, 0) => String::new(),
                (false, holes) => format!(", {holes} told lost in holes"),
            };
            // Helper 156: once its member dropped what lay past damage, the
            // journal is whole again, but holds less than it did (its
            // `reach` line): said where a script reads the summary.
            let mark = match reach_kept && !damaged {
                true => format!("{mark}, SHORT OF ITS REACH"),
                false => mark,
            };
            writeln!(out, "journal {}: sequences {first}..={last} in {segments} segment(s){mark}", dir.display())?
        }
        _ => writeln!(out, "journal {}: no events", dir.display())?,
    }
    match (kept, first) {
        _ if !bad_headers.is_empty() => {
            let newest = bad_headers.iter().any(|&(_, newest)| newest);
            let files: Vec<String> = bad_headers.iter().map(|(path, _)| path.display().to_string()).collect();
            let todo = match newest {
                false => {
                    "move that file aside: a follower or member then fetches its records again, as it does \
                          a segment file gone (a sequencer refuses such a journal: start it on `seqcast journal \
                          copy` of a follower's)"
                }
                true => {
                    "it is the newest: move the node's whole journal directory aside instead (a member: start \
                         it with --rejoin)"
                }
            };
            writeln!(
                out,
                "damaged: a segment header is damaged ({}): a node refuses to start on it; {todo}",
                files.join(", ")
            )?
        }
        _ if overlap => writeln!(
            out,
            "damaged: segments overlap (a segment copied in from another journal?): a node refuses to start on it, \
             naming the file"
        )?,
        (Some(Some(kept)), Some(first)) => writeln!(
            out,
            "damaged: a follower started on it keeps {first}..={kept} and fetches the rest again (a member keeps \
             only what its records say was committed, and remembers how far the journal reached in its reach \
             file{}), a sequencer refuses it",
            reach.map_or(String::new(), |r| format!(": sequence {} (epoch {})", r.seq, r.epoch))
        )?,
        (Some(_), _) => writeln!(
            out,
            "damaged: a node started on it keeps nothing; a follower fetches everything again, a sequencer refuses it"
        )?,
        (None, _) if torn => writeln!(out, "damaged: a torn last write, which a node clears when it next starts")?,
        (None, _) if gaps > 0 && !torn => writeln!(
            out,
            "damaged: {gaps} sequences in gaps between segments (a segment file gone, or sequences the node was \
             told were lost): a follower or a member keeps the rest and reports them lost (as leader, a member \
             answers them UNRECOVERABLE), a sequencer refuses it"
        )?,
        (None, _) if damaged => writeln!(out, "damaged: see the segments above")?,
        (None, _) => {}
    }
    if holes > 0 {
        writeln!(
            out,
            "holes: {holes} sequences the node was told were lost (UNRECOVERABLE) are in no segment, as they should \
             be (no damage): a follower or a member started on it reports them lost again (as leader, a member \
             answers them UNRECOVERABLE), a sequencer refuses it"
        )?;
    }
    let refused = journal::refused_file(dir)?;
    if let Some(why) = &refused {
        writeln!(
            out,
            "REFUSED: the member of this journal refused the cluster's log when it last ran ({}): it does not \
             start on this journal. To follow the cluster, move the journal aside and start the member with \
             --rejoin (`seqcast journal dump` reads what the cluster lost from the journal moved aside)",
            if why.is_empty() { "no reason recorded" } else { why }
        )?;
    }
    out.flush()?;
    let attention = damaged || side_damaged || misplaced.is_some() || refused.is_some();
    Ok(if attention { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The cluster shape a claim was written in, for its line.
fn shape_part(shape: u32) -> String {
    match shape {
        0 => String::new(),
        _ => format!(
            ", in a cluster of {} (a member refuses another without --reshape)",
            seqcast::core::shape_text(shape)
        ),
    }
}

/// The commit file's line, for a journal whose segments are `owner`'s,
/// read `live` or not, whose records a node keeps were written knowing
/// `records` committed and end at `last_kept` (recovery takes the file's
/// commit where it says more, never past the last record kept).
fn commit_line(
    commit: journal::CommitSide,
    owner: Option<(u32, u16)>,
    live: bool,
    (records, last_kept): (Option<Seq>, Option<Seq>),
) -> String {
    let (cluster, node, (commit, epoch)) = match commit {
        Ok(read) => read,
        Err(e) => {
            return format!(
                "commit file: damaged ({}), ignored: a node started on this journal takes the commit its records \
                 show",
                e.side_file_text("commit")
            );
        }
    };
    if owner.is_some_and(|o| o != (cluster, node)) {
        return format!(
            "commit file: of cluster {cluster} node {node}, NOT THIS JOURNAL'S: a node refuses to start on it"
        );
    }
    // Files written before the epoch was kept give none.
    let seq = match epoch {
        Epoch::ZERO => commit.to_string(),
        epoch => format!("{commit} (learnt in the log of epoch {epoch})"),
    };
    if live {
        return format!(
            "commit file: committed up to {seq} when last written (the running node writes it as it stops, or when \
             it learns a commit no record holds: it may know a later one now)"
        );
    }
    if records.is_some_and(|records| records >= commit) {
        return format!(
            "commit file: committed up to {seq}, no more than the records say (it counts when a node learnt a commit \
             after its last record)"
        );
    }
    match last_kept {
        None => format!(
            "commit file: committed up to {seq}, but the journal keeps no records: committed records are gone (its \
             segment files removed? then move the whole directory aside: a member would vote with its claim), or \
             were all told lost; a follower or member fetches them again, a sequencer refuses it"
        ),
        Some(last) if commit > last => format!(
            "commit file: committed up to {seq}, more than the records say; a follower or member takes it up to \
             {last}, the last record it keeps, and fetches the rest again (or is told again that they are lost); a \
             sequencer refuses it (committed records are gone)"
        ),
        Some(_) => format!(
            "commit file: committed up to {seq}, more than the records say (learnt after its last record was \
             written): a node takes it"
        ),
    }
}

/// The claim file's line, for a journal whose segments are `owner`'s.
fn claim_line(claim: journal::ClaimSide, owner: Option<(u32, u16)>, damaged: bool) -> String {
    match claim {
        Ok((cluster, node, _)) if owner.is_some_and(|o| o != (cluster, node)) => {
            format!("claim: of cluster {cluster} node {node}, NOT THIS JOURNAL'S: the member refuses to start on it")
        }
        // Helper 156: "whole (it votes with it)" beside the damage, while
        // the member then said it votes once it holds what a leader sent.
        Ok((_, _, (epoch, true, promised, shape))) if damaged => format!(
            "claim: a member's log of epoch {epoch}, whole as written, but its records are damaged: the member \
             resumes it as not whole (it votes outright once a leader gave it its log again, and until then only \
             beside members that hold a log), promised epoch {promised}{}",
            shape_part(shape)
        ),
        Ok((_, _, (epoch, true, promised, shape))) => format!(
            "claim: a member's log of epoch {epoch}, whole (it votes with it), promised epoch {promised}{}",
            shape_part(shape)
        ),
        Ok((_, _, (epoch, false, promised, shape))) => format!(
            "claim: epoch {epoch}, not whole (the member was taking a new leader's log, or catching up: it votes \
             outright once a leader gave it its log again, and until then only beside members that hold a log), \
             promised epoch {promised}{}",
            shape_part(shape)
        ),
        Err(e) => format!(
            "claim: DAMAGED ({}): the member refuses to start on it; restore it from a copy, or move it aside (the \
             member then asks the others where they are fenced and votes once a leader gave it its log again)",
            e.side_file_text("claim")
        ),
    }
}

/// One segment's line; `writing`: the byte its running node was writing at.
fn segment_line(report: &SegmentReport, writing: Option<usize>, newest: bool) -> String {
    if report.unfinished {
        let path = report.path.display();
        return format!("{path}: empty, its creation did not finish (a node removes it when it next starts)");
    }
    let range = report.range.map_or("no events".to_string(), |(a, b)| format!("seq {a}..={b}"));
    let epochs = report
        .epochs
        .map_or(String::new(), |(a, b)| if a == b { format!(", epoch {a}") } else { format!(", epochs {a}..={b}") });
    let end = match report.end {
        End::Clean if let Some(at) = writing => {
            format!("ends at byte {at}, where the running node was writing (read again, it had moved on)")
        }
        // A roll a crash cut short, between its header and first record.
        End::Clean if newest && report.range.is_none() => {
            "ends clean, holding no record (a node removes it when it next starts)".to_string()
        }
        // No roll leaves one (it writes its first record right after the
        // header); a power loss at --sync none can, keeping the header only.
        End::Clean if report.range.is_none() => "HOLDS NO RECORD, though a later segment follows (its records lost \
                                                  with the power at --sync none, or made by hand): nothing from here \
                                                  on is trusted"
            .to_string(),
        // Helper 145: cut on a record boundary, a middle segment read as
        // whole, and the next one's header as a file gone.
        End::Clean if let Some((made, has)) = report.size.filter(|&(made, has)| has < made && !newest) => {
            format!("ends clean, but the file is {has} bytes, short of the {made} it was made with: cut short")
        }
        End::Clean => "ends clean".to_string(),
        End::Torn { offset } => format!("TORN TAIL at byte {offset} (cleared when the node next starts)"),
        End::Corrupt { offset, seq } => {
            // Helper 143: a middle segment cut short read as a corrupt record.
            let short = match report.size {
                Some((made, has)) if has < made => {
                    format!(" (the file is {has} bytes, short of the {made} it was made with: cut short)")
                }
                _ => String::new(),
            };
            format!("CORRUPT record at byte {offset}, sequence {seq}{short}: it and all after it are not trusted")
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

fn dump(dir: &std::path::Path, (from, to): (Seq, Seq), format: Format, live: bool) -> Result<ExitCode, Failure> {
    a_nodes_journal(dir)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let (mut error, mut printed) = (None, None::<Seq>);
    let mut digest = seqcast::net::Digest::default();
    // Each read goes on after the last event printed (or hole passed): a
    // live journal's end is read again (see `settle`).
    let read = || {
        let start = printed.map_or(from, Seq::next);
        let stopped = journal::items(dir, start, to, |item| {
            let line = match item {
                Item::Entry(entry) => {
                    printed = Some(entry.seq());
                    match format {
                        Format::Count => {
                            digest.add(&MemberEvent::Log(Event::Deliver(entry.event)));
                            Ok(())
                        }
                        Format::Text => writeln!(out, "{}", line(&entry, false)),
                        Format::Json => writeln!(out, "{}", line(&entry, true)),
                    }
                }
                // Sequences the node was told were lost: a hole the journal
                // keeps (helper 159: a dump stopped there, as if at damage).
                Item::Hole(first, end) => {
                    let last = end.prev().min(to);
                    eprintln!(
                        "note: sequences {first}..={last} are in no segment: the node was told they were lost \
                         (UNRECOVERABLE), a hole its journal keeps{}",
                        if format == Format::Count { ", counted lost in the digest" } else { "" }
                    );
                    digest.add(&MemberEvent::Log(Event::Lost { first, end: last.next() }));
                    printed = Some(last);
                    Ok(())
                }
            };
            if error.is_none()
                && let Err(e) = line
            {
                error = Some(e);
            }
        })?;
        Ok::<_, JournalError>(with_damage(stopped))
    };
    let (stopped, writing) = settle(live, read, || std::thread::sleep(LIVE_PAUSE))?;
    if let Some(e) = error {
        return Err(e.into());
    }
    if format == Format::Count {
        // Helper 160: the digest of a read cut short passed for the range's.
        let read_whole = if writing { to == Seq(u64::MAX) } else { stopped.is_none() };
        match read_whole {
            true => writeln!(out, "digest: {digest}")?,
            false => eprintln!("digest of what was read before it stopped, not of the range asked for: {digest}"),
        }
    }
    out.flush()?;
    if writing {
        let last = printed.map_or("none".to_string(), |seq| seq.to_string());
        let end = format!("the records end where the running node was writing (the last printed: {last})");
        if to == Seq(u64::MAX) {
            eprintln!("note: {end}");
            return Ok(ExitCode::SUCCESS);
        }
        // Short of the range asked for, as where the records end.
        return Err(Failure::Message(format!("stopped before --to {to}: {end}")));
    }
    let Some(stopped) = stopped else {
        if printed.is_none() {
            eprintln!("journal {}: no events", dir.display());
        }
        return Ok(ExitCode::SUCCESS);
    };
    if let (journal::Stopped::Ended(last), None) = (&stopped, printed)
        && from > *last
    {
        // Asked past the end: no damage (an operator's trial read it as one).
        return Err(Failure::Message(format!(
            "nothing to print: the journal's records end at sequence {last}, before --from {from}"
        )));
    }
    if let (journal::Stopped::Ended(last), Some(printed)) = (&stopped, printed) {
        // Short of --to, with nothing wrong: no damage to read into it (a
        // new operator's trial read "stopped: ..." as one).
        return Err(Failure::Message(format!(
            "--to {to}: the journal's records end at sequence {last}; printed up to {printed}, nothing damaged"
        )));
    }
    // Where the last read started: retention may have deleted what came
    // after the events printed before it.
    let why = stopped_text(stopped, (printed.map_or(from, Seq::next), to), live && printed.is_some());
    Err(Failure::Message(format!("stopped: {why} (`seqcast journal verify` tells the rest)")))
}

/// The node a copy into `to` is for: `--node`, or the ID of `to`'s name
/// (`--journal DIR` keeps node ID's journal in DIR/node-ID), which must
/// agree: a node refuses to start on another node's journal.
fn copy_for(to: &std::path::Path, node: Option<u16>) -> Result<NodeId, Failure> {
    let named = to.file_name().and_then(|n| n.to_str()?.strip_prefix("node-")?.parse::<u16>().ok());
    match (node, named) {
        (Some(node), Some(named)) if node != named => Err(Failure::Message(format!(
            "{} is node {named}'s journal (`--journal DIR` keeps node ID's in DIR/node-ID), but --node is {node}: \
             node {named} would refuse to start on a journal of node {node}",
            to.display()
        ))),
        (Some(node), _) | (None, Some(node)) => Ok(NodeId(node)),
        (None, None) => Err(Failure::Message(format!(
            "give --node ID: the node the copy is for ({} is not named node-ID, as `--journal DIR` names DIR/node-ID)",
            to.display()
        ))),
    }
}

fn copy(from: &std::path::Path, to: &std::path::Path, node: NodeId, live: bool) -> Result<ExitCode, Failure> {
    a_nodes_journal(from)?;
    let reports = again_if_deleted(live, || journal::inspect(from))?;
    let refused = journal::refused_file(from)?;
    let refused_log = journal::refused_log_file(from)?;
    let led_epoch = journal::led_epoch_file(from)?;
    let handed_out = journal::handed_out_file(from)?;
    let (claim_side, commit_side) = journal::side_files(from)?;
    let source = match reports.iter().find(|r| !r.unfinished && r.header.is_none()) {
        Some(report) => Owner { cluster: report.cluster, node: report.node },
        // No segment (a sequencer that lost the power before its first
        // sync leaves its led-epoch file alone): a file beside them that
        // a copy carries names the node, and goes with the copy.
        None => {
            let named = [owner_of(&led_epoch), owner_of(&refused_log), owner_of(&handed_out), owner_of(&commit_side)];
            let Some((cluster, node)) = named.into_iter().flatten().next() else {
                return Err(Failure::Message(format!(
                    "{} holds no segments, nor a file beside them that a copy carries",
                    from.display()
                )));
            };
            Owner { cluster, node }
        }
    };
    // A member's claim names its cluster's shape: no member of that
    // cluster starts as a node outside it.
    if let Some(Ok((_, _, (.., shape)))) = claim_side
        && shape != 0
        && u32::from(node.0) >= shape >> 16
    {
        let nodes = shape >> 16;
        return Err(Failure::Message(format!(
            "node {node} is not in the {nodes}-node cluster whose member kept {} (its claim file says so; ids 0 to \
             {}): no member of that cluster would start on the copy",
            from.display(),
            nodes.saturating_sub(1)
        )));
    }
    // Segments of the size the source's newest was made (its node's
    // --segment-bytes): retention deletes whole segments, and one of the
    // default 64 MiB would keep a copy of a node that keeps less.
    let segment_bytes = (reports.iter().rev().find(|r| !r.unfinished && r.header.is_none()))
        .and_then(|r| std::fs::metadata(&r.path).ok())
        .map_or(JournalOptions::SEGMENT_BYTES, |m| m.len());
    if to.exists() && journal::inspect(to)?.iter().any(|r| !r.unfinished) {
        return Err(Failure::Message(format!(
            "{} holds segments already: give an empty or new directory",
            to.display()
        )));
    }
    // A claim or commit file left there would be taken for the copy's: a
    // member voting with another log's claim, a commit it never knew.
    let sides = ["claim", "commit", "reach", "reach-epoch", "refused-log", "led-epoch", "handed-out"];
    if let Some(name) = sides.into_iter().find(|name| to.join(name).exists()) {
        return Err(Failure::Message(format!(
            "{} holds a {name} file (of the journal that was there): give an empty or new directory",
            to.display()
        )));
    }
    // What the source's commit file says goes with its records: more than
    // they hold is committed records gone, which a sequencer on the copy
    // must refuse as it would the source.
    let commit_file = match commit_side {
        // Another node's, misplaced there, is the source's own business.
        Some(Ok((cluster, node, (commit, epoch)))) if (cluster, node) == (source.cluster, source.node) => {
            Some((commit, epoch))
        }
        _ => None,
    };
    let options = JournalOptions {
        dir: to.to_path_buf(),
        cluster: source.cluster,
        node,
        sync: SyncLevel::Batch,
        segment_bytes,
        record_max: journal::RECORD_MAX,
        retain_bytes: None,
        retain_events: None,
        history_rate: None,
        shape: 0,
        reshape: false,
    };
    let (mut copy, _) = Journal::open(options)?;
    let (mut written, mut range, mut error) = (0u64, None::<(Seq, Seq)>, None);
    // Where each read starts: past the last record copied, or hole passed
    // (a live journal's end is read again, see `settle`).
    let mut start = Seq::ZERO;
    let read = || {
        let stopped = journal::items(from, start, Seq(u64::MAX), |item| match item {
            Item::Entry(entry) if error.is_none() => {
                match copy.append(entry.epoch, entry.commit, entry.event.record) {
                    Ok(()) => (written, range) = (written + 1, Some((range.map_or(entry.seq(), |r| r.0), entry.seq()))),
                    Err(e) => error = Some(e),
                }
                start = entry.seq().next();
            }
            // Sequences the node was told were lost: the copy keeps the
            // same hole (its next record starts a segment that names the
            // last before it), as the source does (helper 160: it stopped
            // there, dropping the rest).
            Item::Hole(first, end) if error.is_none() => {
                eprintln!(
                    "note: sequences {first}..={} are in no segment of {}: the node was told they were lost \
                     (UNRECOVERABLE); the copy keeps the hole",
                    end.prev(),
                    from.display()
                );
                start = end;
            }
            _ => {}
        })?;
        Ok::<_, JournalError>(with_damage(stopped))
    };
    let settled = settle(live, read, || std::thread::sleep(LIVE_PAUSE));
    // What was copied stays, synced, whatever stopped the copy.
    copy.flush()?;
    if let Some((commit, epoch)) = commit_file {
        copy.write_commit(commit, epoch)?;
        copy.sync_commit()?;
    }
    // A member refused its cluster's log on the source: its records hold
    // committed events that log lacks, and a member started on a copy of
    // them would mix the two histories as one started on the source would.
    if let Some(why) = &refused {
        copy.write_refused(why)?;
        eprintln!(
            "note: {} holds a member's refusal of its cluster's log ({why}); so does the copy ({}): no member \
             starts on it",
            from.display(),
            to.join("refused").display()
        );
    }
    // A follower refused a sequencer's log on the source: a follower on the
    // copy must refuse a later log it cannot check as one on the source
    // would (helper 163: moved to a new disk, it took the other history).
    // A damaged file is a refusal too.
    if let Some(epoch) = refused_log_epoch(refused_log, (source.cluster, source.node)) {
        copy.write_refused_log(Some(epoch))?;
        eprintln!(
            "note: {} holds a follower's refusal of a sequencer's log; so does the copy ({})",
            from.display(),
            to.join("refused-log").display()
        );
    }
    // A sequencer started on the copy must start a newer epoch than one
    // started on the source, as it would there.
    match led_epoch {
        Some(Ok((cluster, node, epoch))) if (cluster, node) == (source.cluster, source.node) => {
            copy.write_led_epoch(epoch)?;
            eprintln!(
                "note: a sequencer started epoch {epoch} on {}; the copy keeps it ({}): a sequencer on the copy must \
                 start a newer epoch",
                from.display(),
                to.join("led-epoch").display()
            );
        }
        Some(Err(e)) => eprintln!(
            "warning: {}'s led-epoch file is damaged ({e}) and not copied: start a sequencer on the copy with an \
             epoch newer than any started on {} (the default, the clock in ms, is, unless the clock went back)",
            from.display(),
            from.display()
        ),
        _ => {}
    }
    // A follower on the copy hands its application nothing again that one
    // on the source handed out on receipt, and refuses a log without it.
    // A damaged file counts every record, as a node reads it.
    let handed_out = match handed_out {
        Some(Ok((cluster, node, last))) if (cluster, node) == (source.cluster, source.node) => Some(last),
        Some(Err(_)) => Some(Seq(u64::MAX)),
        _ => None,
    };
    if let Some(last) = handed_out {
        copy.write_handed_out(Some(last))?;
        eprintln!(
            "note: {} holds a follower's record that it delivered on receipt past its commit; so does the copy ({}): \
             a follower on it counts those events delivered and follows only a log that holds them",
            from.display(),
            to.join("handed-out").display()
        );
    }
    let kept = |e: &dyn std::fmt::Display| {
        let range = range.map_or("no records".to_string(), |(a, b)| format!("sequences {a}..={b}"));
        Failure::Message(format!("{e}; what came before is copied ({range}), synced"))
    };
    let (stopped, writing) = settled.map_err(|e| kept(&e))?;
    if let Some(e) = error {
        return Err(kept(&e));
    }
    let stopped = stopped.filter(|_| !writing);
    // Where the last read started: retention may have deleted what came
    // after the records copied before it.
    let (last_start, overtaken) = (range.map_or(Seq::ZERO, |r| r.1.next()), live && range.is_some());
    let range = range.map_or("no events".to_string(), |(a, b)| format!("sequences {a}..={b}"));
    println!(
        "copied {written} records ({range}) of cluster {} from {} to {}, node {node}, synced",
        source.cluster,
        from.display(),
        to.display()
    );
    if writing {
        eprintln!("note: the copy ends where the running node was writing");
    }
    match stopped {
        None => Ok(ExitCode::SUCCESS),
        Some(why) => Err(Failure::Message(format!(
            "stopped: {}; what came before is copied (`seqcast journal verify` tells the rest)",
            stopped_text(why, (last_start, Seq(u64::MAX)), overtaken)
        ))),
    }
}

/// Whose journal a copy is made of: by its segments' headers, or where it
/// has none, by a file beside them.
struct Owner {
    cluster: u32,
    node: u16,
}

/// The (cluster, node) a side file names, where it is whole.
fn owner_of<T>(side: &Option<journal::Side<T>>) -> Option<(u32, u16)> {
    side.as_ref()?.as_ref().ok().map(|(cluster, node, _)| (*cluster, *node))
}

/// Says so where `side`, the file `name` beside a journal of `owner`'s
/// (cluster, node), is another journal's: a node refuses to start there.
fn foreign<T>(
    out: &mut impl std::io::Write,
    name: &str,
    side: &Option<journal::Side<T>>,
    owner: Option<(u32, u16)>,
) -> std::io::Result<bool> {
    match owner_of(side) {
        Some((cluster, node)) if owner.is_some_and(|owner| owner != (cluster, node)) => {
            writeln!(
                out,
                "{name}: NOT THIS JOURNAL'S (cluster {cluster} node {node}'s): a node refuses to start on it"
            )?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The epoch a `refused-log` file of `owner`'s journal names (0 where the
/// file is damaged: a refusal all the same); another node's is not its.
fn refused_log_epoch(side: Option<journal::Side<Epoch>>, owner: (u32, u16)) -> Option<Epoch> {
    match side? {
        Ok((cluster, node, epoch)) => ((cluster, node) == owner).then_some(epoch),
        Err(_) => Some(Epoch::ZERO),
    }
}

/// Why a read of a journal's `from..=to` stopped; `overtaken`: a live
/// journal's retention deleted them after the read began.
fn stopped_text(stopped: journal::Stopped, (from, to): (Seq, Seq), overtaken: bool) -> String {
    match stopped {
        journal::Stopped::Starts(first) if overtaken => format!(
            "sequences {}..={} are in no segment: the running node's retention deleted them before this read them \
             (its records begin at {first} now)",
            from.max(Seq::FIRST),
            first.prev().min(to)
        ),
        journal::Stopped::Starts(first) => format!(
            "sequences {}..={} are in no segment: the journal's records begin at {first} (retention deletes \
             old segments)",
            from.max(Seq::FIRST),
            first.prev().min(to)
        ),
        journal::Stopped::Gap(first, end) => {
            format!("sequences {first}..={} are in no segment, between two that are", end.prev())
        }
        // Helper 159: said as a gap, it read as damage where verify said
        // "as they should be".
        journal::Stopped::Hole(first, end) => format!(
            "sequences {first}..={} are in no segment: the node was told they were lost (UNRECOVERABLE), a hole its \
             journal keeps, no damage; the records after it begin at {end}",
            end.prev()
        ),
        journal::Stopped::Lost(path, after) => format!(
            "sequences up to {after} are in no segment: {} is the only one, it holds no record, and its header \
             says the journal held up to {after} when it began (the segments before it are gone, or their \
             records were lost with the power at --sync none)",
            path.display()
        ),
        journal::Stopped::Ended(Seq::ZERO) => "the journal holds no events".to_string(),
        journal::Stopped::Ended(last) => format!("the journal's records end at sequence {last}"),
        journal::Stopped::Damaged(path, End::Torn { offset }) => {
            format!("a torn tail at byte {offset} of {} (cleared when the node next starts)", path.display())
        }
        journal::Stopped::Damaged(path, End::Corrupt { offset, seq }) => {
            format!("sequence {seq} is corrupt at byte {offset} of {}: nothing after it is trusted", path.display())
        }
        journal::Stopped::Damaged(_, End::Clean) => unreachable!("a clean end stops nothing"),
    }
}

/// One event's line: text, or a JSON object (`json`).
fn line(entry: &Entry<'_>, json: bool) -> String {
    let h = entry.event.header;
    let payload = seqcast::wire::hex(entry.event.payload);
    let (seq, epoch, client, request, stamp) = (h.seq(), entry.epoch, h.client(), h.request.get(), h.stamp_ns.get());
    match json {
        false => {
            format!("seq {seq} epoch {epoch} client {client} request {request} stamp_ns {stamp} payload {payload}")
        }
        true => format!(
            "{{\"seq\":{seq},\"epoch\":{epoch},\"client\":{client},\"request\":{request},\"stamp_ns\":{stamp},\"payload\":\"{payload}\"}}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--node` is the ID of TO's name unless given; one that differs
    /// would make a journal the node it lies for refuses.
    #[test]
    fn a_copy_is_for_the_node_its_directory_names() {
        let at = std::path::Path::new("/j/node-2");
        assert!(matches!(copy_for(at, None), Ok(NodeId(2))));
        assert!(matches!(copy_for(at, Some(2)), Ok(NodeId(2))));
        let Err(Failure::Message(message)) = copy_for(at, Some(0)) else { panic!("a copy for node 0 into node-2") };
        assert!(message.contains("node 2 would refuse to start on a journal of node 0"), "{message}");
        assert!(matches!(copy_for(std::path::Path::new("/j/spare"), Some(4)), Ok(NodeId(4))));
        let Err(Failure::Message(message)) = copy_for(std::path::Path::new("/j/spare"), None) else {
            panic!("no node for a directory not named node-ID")
        };
        assert!(message.starts_with("give --node ID"), "{message}");
    }

    /// An operator: `journal copy` wrote one 64 MiB segment whatever the
    /// source's `--segment-bytes`, so retention could trim nothing of a copy
    /// of a node that keeps less. It makes them the source's size.
    #[test]
    fn a_copy_makes_its_segments_the_size_of_the_sources() {
        let dir = std::env::temp_dir().join(format!("seqcast-copy-size-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (from, to) = (dir.join("node-1"), dir.join("node-0"));
        let config = seqcast::core::Config::default();
        let options = JournalOptions { segment_bytes: 65536, ..JournalOptions::new(&from, &config, NodeId(1)) };
        let (mut journal, _) = Journal::open(options).unwrap();
        for seq in 1..=3000u64 {
            let mut record = vec![0; 64];
            record[..8].copy_from_slice(&seq.to_le_bytes());
            record[16..24].copy_from_slice(&seq.to_le_bytes());
            record[28..30].copy_from_slice(&32u16.to_le_bytes());
            journal.append(seqcast::core::Epoch(1), Seq(seq), &record).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        assert!(matches!(copy(&from, &to, NodeId(0), false), Ok(code) if code == ExitCode::SUCCESS));
        let sizes = |dir: &std::path::Path| -> Vec<u64> {
            let files = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path());
            files
                .filter(|p| p.extension().is_some_and(|e| e == "journal"))
                .map(|p| p.metadata().unwrap().len())
                .collect()
        };
        let copied = sizes(&to);
        assert!(copied.len() > 1 && copied.iter().all(|&len| len == 65536), "{copied:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Reads that stop at each of `ends` in turn (None: clean), counted.
    fn reads(live: bool, ends: &[Option<usize>]) -> (usize, bool, Option<usize>) {
        let mut count = 0;
        let read = || {
            let end = ends[count.min(ends.len() - 1)];
            count += 1;
            let damage = end.map(|offset| (PathBuf::from("s.journal"), End::Torn { offset }));
            Ok((end, damage))
        };
        let (end, writing) = settle(live, read, || {}).unwrap();
        (count, writing, end)
    }

    /// What the commit file's line says beside the records' commit (a
    /// trial read a file below what its node knew as a loss).
    #[test]
    fn the_commit_files_line_says_what_a_node_takes_of_it() {
        let line = |seq: u64, live: bool, records: Option<u64>, last: Option<u64>| {
            commit_line(Ok((5, 1, (Seq(seq), Epoch::ZERO))), Some((5, 1)), live, (records.map(Seq), last.map(Seq)))
        };
        assert!(line(90, false, Some(95), Some(100)).contains("90, no more than the records say"));
        assert!(
            line(99, false, Some(95), Some(100))
                .ends_with("learnt after its last record was written): a node takes it")
        );
        assert!(line(120, false, Some(95), Some(100)).contains("takes it up to 100, the last record it keeps"));
        assert!(line(120, false, None, Some(100)).contains("a sequencer refuses it"));
        assert!(line(12, false, None, None).contains("12, but the journal keeps no records"));
        assert!(line(12, true, None, None).contains("12 when last written"));
        let other = commit_line(Ok((5, 2, (Seq(9), Epoch::ZERO))), Some((5, 1)), false, (None, None));
        assert!(other.contains("of cluster 5 node 2, NOT THIS JOURNAL'S"), "{other}");
        let epoch = commit_line(Ok((5, 1, (Seq(120), Epoch(7)))), Some((5, 1)), false, (None, Some(Seq(100))));
        assert!(epoch.contains("committed up to 120 (learnt in the log of epoch 7), more than"), "{epoch}");
    }

    /// An operator's trial: `journal verify` and `dump` of a journal its
    /// node was writing under load said "CORRUPT" (and exited 1) for the
    /// record they overtook. Read again, such a record is whole; damage
    /// stays where it is.
    #[test]
    fn a_live_journals_end_is_read_again_and_only_damage_that_stays_is_damage() {
        // Offline: one read, its damage is damage.
        assert_eq!(reads(false, &[Some(100)]), (1, false, Some(100)));
        // A record the node was writing, whole when read again.
        assert_eq!(reads(true, &[Some(100), None]), (2, false, None));
        // Damage met again in the same place.
        assert_eq!(reads(true, &[Some(100), Some(100)]), (2, false, Some(100)));
        // Under load the end moves at every read: where the node was writing.
        assert_eq!(reads(true, &[Some(100), Some(200), Some(300), Some(400)]), (1 + LIVE_READS, true, Some(400)));
        // It moved, then stayed: damage.
        assert_eq!(reads(true, &[Some(100), Some(200), Some(200)]), (3, false, Some(200)));
    }

    /// An operator's trial: `journal verify`, `dump` and `copy` of a
    /// running node's journal under retention failed ("No such file or
    /// directory", exit 1) when the node deleted a segment they had listed
    /// and not yet opened. A live journal is then read again.
    #[test]
    fn a_segment_deleted_under_a_live_read_is_read_again() {
        let gone = || JournalError::Io(PathBuf::from("1.journal"), io::ErrorKind::NotFound.into());
        let reads = |live: bool, fails: usize| {
            let mut count = 0;
            let result = settle(
                live,
                || {
                    count += 1;
                    if count <= fails { Err(gone()) } else { Ok(((), None)) }
                },
                || {},
            );
            (count, result.is_ok())
        };
        assert_eq!(reads(true, 1), (2, true));
        assert_eq!(reads(true, LIVE_READS), (1 + LIVE_READS, true));
        // Not forever; and offline a missing file is an error.
        assert_eq!(reads(true, LIVE_READS + 1), (1 + LIVE_READS, false));
        assert_eq!(reads(false, 1), (1, false));
        // Other errors are not read again.
        let mut count = 0;
        let denied = settle(
            true,
            || {
                count += 1;
                Err::<((), _), _>(JournalError::Io(PathBuf::from("1.journal"), io::ErrorKind::PermissionDenied.into()))
            },
            || {},
        );
        assert!(denied.is_err() && count == 1);
    }
}
