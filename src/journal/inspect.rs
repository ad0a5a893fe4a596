//! Reading a journal without changing it (`seqcast journal verify` and
//! `dump`): whatever cluster or node wrote it, torn tail and all.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::JournalError;
use super::format::{ClaimFile, CommitFile, End, Entry, HeaderError, SegmentHeader};
use super::segments::{self, check_name, list, read_head, scan_segment};
use crate::types::{Epoch, Seq};

/// No event record is larger than the largest datagram: the record
/// length a journal read whatever its node's `--payload-max` allows.
pub const RECORD_MAX: usize = 65_507;

/// What one segment file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentReport {
    /// The file.
    pub path: PathBuf,
    /// The first sequence its name (and, once read, its header) gives.
    pub first: Seq,
    /// Its header's cluster id.
    pub cluster: u32,
    /// Its header's node id.
    pub node: u16,
    /// The sequences of its good records (`None`: none).
    pub range: Option<(Seq, Seq)>,
    /// The first and last epoch among them.
    pub epochs: Option<(Epoch, Epoch)>,
    /// The highest commit its good records were written knowing, each
    /// capped at its own sequence (as recovery takes it).
    pub commit: Option<Seq>,
    /// Bytes of good records, header included.
    pub bytes: u64,
    /// How its records ended.
    pub end: End,
    /// The newest segment, all zeros: its creation did not finish (a crash,
    /// or a full disk), and a node removes it when it next starts.
    pub unfinished: bool,
    /// The last sequence the journal held when this segment was started,
    /// as its header says (`None`: not recorded).
    pub after: Option<Seq>,
    /// Its header is damaged (a CRC that fails, a field no writer gives, a
    /// file shorter than a header): nothing of it was read, and a node
    /// refuses to start on the journal while it lies there.
    pub header: Option<HeaderError>,
    /// The bytes its file was made with, as its header says, and the
    /// bytes it has: fewer is a file cut short (truncated, a copy that
    /// stopped), which reads as a corrupt record where it ends.
    pub size: Option<(u64, u64)>,
}

/// Every segment in `dir`, checked record by record, in sequence order.
/// A segment under a name that disagrees with its header, or of another
/// cluster or node than the first, is refused, naming the file: it is
/// no part of this journal where it lies. One whose header is damaged is
/// reported as such ([`SegmentReport::header`]), and the rest read on.
pub fn inspect(dir: &Path) -> Result<Vec<SegmentReport>, JournalError> {
    let mut reports: Vec<SegmentReport> = Vec::new();
    let segments = list(dir)?;
    let count = segments.len();
    for (index, (first, path)) in segments.into_iter().enumerate() {
        // The first segment whose header was read names the journal's owner.
        let owner = reports.iter().find(|r| !r.unfinished && r.header.is_none()).map(|r| (r.cluster, r.node));
        let newest_unfinished = index + 1 == count && unfinished(&path)?;
        let opened = match newest_unfinished {
            true => None,
            false => match open_segment(&path, first, owner) {
                Err(JournalError::Header(_, e @ (HeaderError::Crc | HeaderError::Field(_) | HeaderError::Short))) => {
                    // Read on: what the segments after it hold is what an
                    // operator moving it aside needs (helper 143: verify
                    // stopped at it).
                    let (cluster, node) = owner.unwrap_or_default();
                    reports.push(SegmentReport {
                        path,
                        first,
                        cluster,
                        node,
                        range: None,
                        epochs: None,
                        commit: None,
                        bytes: 0,
                        end: End::Clean,
                        unfinished: false,
                        after: None,
                        header: Some(e),
                        size: None,
                    });
                    continue;
                }
                opened => Some(opened?),
            },
        };
        let (cluster, node, range, epochs, commit, bytes, end, unfinished, after, size) = match opened {
            None => (0, 0, None, None, None, 0, End::Clean, true, None, None),
            Some((file, header)) => {
                let (mut range, mut epochs, mut commit) = (None::<(Seq, Seq)>, None::<(Epoch, Epoch)>, None::<Seq>);
                let scanned = scan_segment(&file, &header, RECORD_MAX, index + 1 == count, |entry| {
                    range = Some((range.map_or(entry.seq(), |r| r.0), entry.seq()));
                    epochs = Some((epochs.map_or(entry.epoch, |e| e.0), entry.epoch));
                    // As recovery takes it: never past the record's own sequence.
                    commit = commit.max(Some(entry.commit.min(entry.seq())));
                    true
                })
                .map_err(|e| JournalError::Io(path.clone(), e))?;
                let after = Some(Seq(header.after.get())).filter(|&after| after != Seq::ZERO);
                let (cluster, node) = (header.cluster.get(), header.node.get());
                let size = file.metadata().ok().map(|m| (header.capacity.get(), m.len()));
                (cluster, node, range, epochs, commit, scanned.good, scanned.end, false, after, size)
            }
        };
        reports.push(SegmentReport {
            path,
            first,
            cluster,
            node,
            range,
            epochs,
            commit,
            bytes,
            end,
            unfinished,
            after,
            header: None,
            size,
        });
    }
    Ok(reports)
}

/// What a side file beside the segments holds: its cluster, its node and
/// what it says, or why it could not be read.
pub type Side<T> = Result<(u32, u16, T), HeaderError>;

/// What a member's claim file says: the epoch its log follows, whether
/// the journal holds that leader's starting log, the epoch it promised,
/// and the shape of the cluster it was written in (0: unknown).
pub type ClaimSide = Side<(Epoch, bool, Epoch, u32)>;

/// The commit file, as [`side_files`] reads it: the commit, and the epoch
/// of the log it was learned in (0: not kept).
pub type CommitSide = Side<(Seq, Epoch)>;

/// The files beside the segments (DESIGN §8), as read: a member's `claim`
/// (the epoch its log follows, whether the journal holds that leader's
/// starting log, and the epoch it promised) and a node's `commit`;
/// `None` where there is no such file.
pub fn side_files(dir: &Path) -> Result<(Option<ClaimSide>, Option<CommitSide>), JournalError> {
    let read = |name: &str| match segments::read_side_file(&dir.join(name)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JournalError::Io(dir.join(name), e)),
    };
    let claim = read("claim")?.map(|bytes| {
        ClaimFile::parse(&bytes)
            .map(|c| (c.cluster.get(), c.node.get(), (c.log_epoch(), c.whole == 1, c.promised(), c.shape())))
    });
    let commit = read("commit")?.map(|bytes| {
        CommitFile::parse(&bytes).map(|c| (c.cluster.get(), c.node.get(), (Seq(c.commit.get()), c.epoch())))
    });
    Ok((claim, commit))
}

/// What a member's `reach` file says (see
/// [`Recovery::reach`](super::Recovery::reach)): the epoch and sequence its
/// journal reached before damage dropped part of it; `None` where there
/// is no such file.
pub fn reach_file(dir: &Path) -> Result<Option<Side<(Epoch, Seq)>>, JournalError> {
    commit_layout_file(dir, "reach")
}

/// What the `reach-epoch` file beside a `reach` file says (see
/// [`Recovery::reach_records`](super::Recovery::reach_records)): the newest
/// epoch of the records that reach stands for, and the reach's sequence.
pub fn reach_epoch_file(dir: &Path) -> Result<Option<Side<(Epoch, Seq)>>, JournalError> {
    commit_layout_file(dir, segments::REACH_EPOCH)
}

/// What a follower's `refused-log` file says (see
/// [`Recovery::refused_log`](super::Recovery::refused_log)): the epoch of
/// the last sequencer whose log it refused; `None` where there is no such
/// file.
pub fn refused_log_file(dir: &Path) -> Result<Option<Side<Epoch>>, JournalError> {
    let file = commit_layout_file(dir, segments::REFUSED_LOG)?;
    Ok(file.map(|side| side.map(|(cluster, node, (epoch, _))| (cluster, node, epoch))))
}

/// What a sequencer's `led-epoch` file says (see
/// [`Recovery::led_epoch`](super::Recovery::led_epoch)): the newest epoch
/// a sequencer started on the journal; `None` where there is no such file.
pub fn led_epoch_file(dir: &Path) -> Result<Option<Side<Epoch>>, JournalError> {
    let file = commit_layout_file(dir, segments::LED_EPOCH)?;
    Ok(file.map(|side| side.map(|(cluster, node, (epoch, _))| (cluster, node, epoch))))
}

/// What a follower's `handed-out` file says (see
/// [`Recovery::handed_out`](super::Recovery::handed_out)): the last
/// sequence its application may have been handed on receipt past its
/// commit (the largest: any record); `None` where there is no such file.
pub fn handed_out_file(dir: &Path) -> Result<Option<Side<Seq>>, JournalError> {
    let file = commit_layout_file(dir, segments::HANDED_OUT)?;
    Ok(file.map(|side| side.map(|(cluster, node, (_, seq))| (cluster, node, seq))))
}

/// A file beside the segments in the commit file's layout: its epoch and
/// sequence.
fn commit_layout_file(dir: &Path, name: &str) -> Result<Option<Side<(Epoch, Seq)>>, JournalError> {
    match segments::read_side_file(&dir.join(name)) {
        Ok(bytes) => Ok(Some(
            CommitFile::parse(&bytes).map(|c| (c.cluster.get(), c.node.get(), (c.epoch(), Seq(c.commit.get())))),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JournalError::Io(dir.join(name), e)),
    }
}

/// What the `refused` file beside the segments says, if there is one: a
/// member refused the cluster's log there (see [`Journal::write_refused`]).
///
/// [`Journal::write_refused`]: super::Journal::write_refused
pub fn refused_file(dir: &Path) -> Result<Option<String>, JournalError> {
    segments::read_refused(dir)
}

/// Whether the segment file at `path` holds nothing but zeros (or nothing).
fn unfinished(path: &Path) -> Result<bool, JournalError> {
    let io = |e| JournalError::Io(path.to_path_buf(), e);
    let file = File::open(path).map_err(io)?;
    segments::unfinished(&file, file.metadata().map_err(io)?.len()).map_err(io)
}

/// A segment file, open, and its header once checked: against the first
/// sequence its name gives (`named`), and against the cluster and node of
/// the journal's first segment (`owner`; `None`: this is the first).
fn open_segment(path: &Path, named: Seq, owner: Option<(u32, u16)>) -> Result<(File, SegmentHeader), JournalError> {
    let io = |e| JournalError::Io(path.to_path_buf(), e);
    let file = File::open(path).map_err(io)?;
    let head = read_head(&file, file.metadata().map_err(io)?.len()).map_err(io)?;
    let header = *SegmentHeader::parse(&head).map_err(|e| JournalError::Header(path.to_path_buf(), e))?;
    check_name(path, named, &header)?;
    let (cluster, node) = (header.cluster.get(), header.node.get());
    if let Some(mine) = owner.filter(|&mine| mine != (cluster, node)) {
        return Err(JournalError::Foreign { path: path.to_path_buf(), cluster, node, mine });
    }
    Ok((file, header))
}

/// Why [`entries`] stopped before the range it was asked for ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// A damaged record (a torn tail or a corrupt record) in this file:
    /// nothing after it is trusted.
    Damaged(PathBuf, End),
    /// Sequences `[first, end)` are in no segment, between two that are.
    Gap(Seq, Seq),
    /// The same where the node was told they were lost (UNRECOVERABLE):
    /// a hole the journal keeps, no damage (the next segment's header
    /// names the last record before them).
    Hole(Seq, Seq),
    /// The journal's records begin at this sequence, past the start of the
    /// range (its older segments were deleted, as retention does).
    Starts(Seq),
    /// The journal's records end at this sequence (0: it holds none), before
    /// the range asked for does.
    Ended(Seq),
    /// This file, the only segment, holds no record, and its header says
    /// the journal held up to this sequence when it began: the segments
    /// before it are gone (or their records were lost with the power at
    /// `--sync none`). A node keeps it aside; a sequencer refuses it.
    Lost(PathBuf, Seq),
}

/// Calls `visit` for every good record of `dir` with a sequence in
/// `[from, to]` (`from` of 0: the first there is; `to` of `u64::MAX`: the
/// last there is), in order; stops at the first damaged record or missing
/// sequence within that range (the journal's first record past `from`
/// too), and says which, or that the records end before the range does
/// (`None`: every record there was visited).
pub fn entries(
    dir: &Path,
    from: Seq,
    to: Seq,
    mut visit: impl FnMut(Entry<'_>),
) -> Result<Option<Stopped>, JournalError> {
    walk(dir, (from, to), false, |item| {
        if let Item::Entry(entry) = item {
            visit(entry)
        }
    })
}

/// What [`items`] visits, in sequence order.
#[derive(Debug)]
pub enum Item<'a> {
    /// A good record.
    Entry(Entry<'a>),
    /// Sequences `[first, end)` the node was told were lost
    /// (UNRECOVERABLE): a hole the journal keeps ([`Stopped::Hole`]).
    Hole(Seq, Seq),
}

/// As [`entries`], going on past each hole the journal keeps (visited as
/// [`Item::Hole`]) where `entries` stops at the first: one pass over the
/// segments however many holes it holds.
pub fn items(dir: &Path, from: Seq, to: Seq, visit: impl FnMut(Item<'_>)) -> Result<Option<Stopped>, JournalError> {
    walk(dir, (from, to), true, visit)
}

fn walk(
    dir: &Path,
    (from, to): (Seq, Seq),
    past_holes: bool,
    mut visit: impl FnMut(Item<'_>),
) -> Result<Option<Stopped>, JournalError> {
    // The sequence the next record must have, once one was seen.
    let mut next: Option<Seq> = None;
    // Damage before `from`, which stops the read only if the range starts
    // among the records after it.
    let mut damaged_before: Option<(PathBuf, End)> = None;
    let segments = list(dir)?;
    let count = segments.len();
    let mut owner = None;
    for (index, (named, path)) in segments.into_iter().enumerate() {
        if index + 1 == count && unfinished(&path)? {
            break;
        }
        let (file, header) = open_segment(&path, named, owner)?;
        owner.get_or_insert((header.cluster.get(), header.node.get()));
        let first = header.first_seq();
        if index + 1 == count {
            // Its header and no record: a roll a crash cut short, which a
            // node removes at start. Past a gap it was told of, that gap is
            // no longer in the journal. Read as a node reads it: a first
            // record corrupt (good ones after it) is damage, and a header
            // saying the journal held more than the segments before it
            // reach is a file gone (see `Journal::open`).
            let mut any = false;
            let scanned = scan_segment(&file, &header, RECORD_MAX, true, |_| {
                any = true;
                false
            })
            .map_err(|e| JournalError::Io(path.clone(), e))?;
            let after = Seq(header.after.get());
            let gone = after != Seq::ZERO
                && match next {
                    Some(next) => first > next && after.next() != next,
                    None => index == 0,
                };
            let empty = !any && !matches!(scanned.end, End::Corrupt { .. });
            if empty && gone && next.is_none() {
                return Ok(Some(Stopped::Lost(path, after)));
            }
            if empty && !gone {
                break;
            }
        }
        if let Some(expected) = next.filter(|&next| first < next) {
            // Records read twice, the second time maybe other events: a
            // node refuses such a journal, and so does a read of it.
            return Err(JournalError::Overlap { path, expected, found: first });
        }
        if let Some((path, end)) = damaged_before.take()
            && first > from
        {
            return Ok(Some(Stopped::Damaged(path, end)));
        }
        // Before the first record read, `from` is what the next must be
        // (unless it is 0: the first there is).
        let expected = next.unwrap_or(from).max(from);
        if first > expected && expected <= to && (next.is_some() || from > Seq::ZERO) {
            // Its header names the last record before it: sequences the
            // node was told were lost, not a file gone.
            let told = next.is_some_and(|next| Seq(header.after.get()).next() == next);
            match (index, told) {
                (0, _) => return Ok(Some(Stopped::Starts(first))),
                (_, true) if past_holes => {
                    visit(Item::Hole(expected, first));
                    next = Some(first);
                }
                (_, true) => return Ok(Some(Stopped::Hole(expected, first))),
                (_, false) => return Ok(Some(Stopped::Gap(expected, first))),
            }
        }
        if first > to {
            if next.is_none() && index == 0 {
                // The whole range lies before the journal's first record.
                return Ok(Some(Stopped::Starts(first)));
            }
            break;
        }
        let scanned = scan_segment(&file, &header, RECORD_MAX, index + 1 == count, |entry| {
            if entry.seq() > to {
                return false;
            }
            if entry.seq() >= from {
                visit(Item::Entry(entry));
            }
            true
        })
        .map_err(|e| JournalError::Io(path.clone(), e))?;
        next = Some(next.unwrap_or(first).max(scanned.next));
        match scanned.end {
            End::Clean => {}
            // Damage past the range asked for is no concern of this read,
            // nor damage before it where the range starts in a later segment.
            _ if scanned.next > to => return Ok(None),
            end if scanned.next < from => (next, damaged_before) = (None, Some((path, end))),
            end => return Ok(Some(Stopped::Damaged(path, end))),
        }
    }
    if let Some((path, end)) = damaged_before {
        return Ok(Some(Stopped::Damaged(path, end)));
    }
    // Asked for a range past the last record (`to` of `u64::MAX`: the last there is).
    match next {
        Some(next) if next > from && (next > to || to == Seq(u64::MAX)) => Ok(None),
        // Everything there is, of a journal that holds nothing: all of it read.
        None if from <= Seq::FIRST && to == Seq(u64::MAX) => Ok(None),
        next => Ok(Some(Stopped::Ended(next.map_or(Seq::ZERO, Seq::prev)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Journal, JournalOptions, SyncLevel};
    use crate::types::NodeId;
    use std::fs;

    /// A journal of events 1..=200 in 4 KiB segments (63 records each).
    fn journal(name: &str) -> (PathBuf, Vec<PathBuf>) {
        let dir = std::env::temp_dir().join(format!("seqcast-inspect-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in 1..=200 {
            journal.append(Epoch(3), Seq(seq), &crate::wire::test_record(1, seq, &seq.to_le_bytes())).unwrap();
        }
        journal.flush().unwrap();
        let segments = list(&dir).unwrap().into_iter().map(|(_, path)| path).collect();
        (dir, segments)
    }

    fn options(dir: &Path) -> JournalOptions {
        JournalOptions {
            dir: dir.to_path_buf(),
            cluster: 5,
            node: NodeId(1),
            sync: SyncLevel::None,
            segment_bytes: 4096,
            record_max: crate::wire::record_len(64),
            retain_bytes: None,
            retain_events: None,
            history_rate: None,
            shape: 0,
            reshape: false,
        }
    }

    fn read(dir: &Path, from: u64, to: u64) -> (Vec<u64>, Option<Stopped>) {
        let mut seqs = Vec::new();
        let stopped = entries(dir, Seq(from), Seq(to), |e| seqs.push(e.seq().get())).unwrap();
        (seqs, stopped)
    }

    /// Helper 159: sequences the node was told were lost stopped a dump as
    /// a gap between segments, which read as damage where `journal verify`
    /// said the hole was as it should be.
    #[test]
    fn a_read_tells_a_hole_the_node_was_told_of_from_a_file_gone() {
        let dir = std::env::temp_dir().join(format!("seqcast-inspect-hole-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in (1..=5).chain(9..=10) {
            journal.append(Epoch(3), Seq(seq), &crate::wire::test_record(1, seq, &seq.to_le_bytes())).unwrap();
        }
        journal.flush().unwrap();
        assert_eq!(read(&dir, 1, 200), ((1..=5).collect(), Some(Stopped::Hole(Seq(6), Seq(9)))));
        assert_eq!(read(&dir, 7, 200), (vec![], Some(Stopped::Hole(Seq(7), Seq(9)))));
        assert_eq!(read(&dir, 9, 10), ((9..=10).collect(), None));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 160: a dump or a copy read the journal again from its start
    /// past each hole, minutes for a journal of many. `items` goes on past
    /// each, in one pass, in order; a hole may reach past `to`.
    #[test]
    fn a_read_past_holes_visits_records_and_holes_in_order() {
        let dir = std::env::temp_dir().join(format!("seqcast-inspect-holes-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        for seq in (1..=5).chain(9..=10).chain(14..=20) {
            journal.append(Epoch(3), Seq(seq), &crate::wire::test_record(1, seq, &seq.to_le_bytes())).unwrap();
        }
        journal.flush().unwrap();
        let read = |from, to| {
            let mut seen = Vec::new();
            let stopped = items(&dir, Seq(from), Seq(to), |item| {
                seen.push(match item {
                    Item::Entry(entry) => format!("{}", entry.seq()),
                    Item::Hole(first, end) => format!("{first}..{end}"),
                })
            })
            .unwrap();
            (seen.join(" "), stopped)
        };
        let all = "1 2 3 4 5 6..9 9 10 11..14 14 15 16 17 18 19 20";
        assert_eq!(read(1, 200), (all.into(), Some(Stopped::Ended(Seq(20)))));
        assert_eq!(read(0, u64::MAX), (all.into(), None));
        assert_eq!(read(7, 12), ("7..9 9 10 11..14".into(), None));
        assert_eq!(read(4, 8), ("4 5 6..9".into(), None));
        assert_eq!(read(15, 30), ("15 16 17 18 19 20".into(), Some(Stopped::Ended(Seq(20)))));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// `seqcast journal dump` once stopped at a damaged record or a missing
    /// segment without a word, and exited 0.
    #[test]
    fn a_read_says_where_damage_or_a_gap_stopped_it() {
        let (dir, segments) = journal("stops");
        assert_eq!(read(&dir, 1, 200), ((1..=200).collect(), None));
        assert_eq!(read(&dir, 70, 80), ((70..=80).collect(), None));
        // The second segment (64..=126) gone: a gap, said, where a read reaches it.
        let second = fs::read(&segments[1]).unwrap();
        fs::remove_file(&segments[1]).unwrap();
        assert_eq!(read(&dir, 1, 200), ((1..=63).collect(), Some(Stopped::Gap(Seq(64), Seq(127)))));
        assert_eq!(read(&dir, 100, 200), (vec![], Some(Stopped::Gap(Seq(100), Seq(127)))));
        assert_eq!(read(&dir, 130, 140), ((130..=140).collect(), None), "past the gap: none in the way");
        fs::write(&segments[1], &second).unwrap();
        // A byte of record 100 flipped: a corrupt record, said, unless the read ends before it.
        let mut bytes = second;
        let at = bytes.len() / 2;
        bytes[at] ^= 0x40;
        fs::write(&segments[1], &bytes).unwrap();
        let (seqs, stopped) = read(&dir, 1, 200);
        let Some(Stopped::Damaged(path, End::Corrupt { seq, .. })) = stopped else { panic!("{stopped:?}") };
        assert_eq!((path, seqs), (segments[1].clone(), (1..seq.get()).collect::<Vec<_>>()));
        assert_eq!(read(&dir, 1, 50), ((1..=50).collect(), None), "damage past the range is not this read's");
        assert_eq!(read(&dir, 130, 140), ((130..=140).collect(), None), "nor damage before it");
        let (seqs, stopped) = read(&dir, 110, 140);
        assert!(seqs.is_empty() && matches!(stopped, Some(Stopped::Damaged(..))), "a range among what follows it");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A reviewer: a segment copied in from another journal, starting
    /// inside the one before it, had `dump` print sequences twice (the
    /// second time other events) and exit 0. A read stops there, as a
    /// node refuses such a journal.
    #[test]
    fn a_read_refuses_segments_that_overlap() {
        let (dir, segments) = journal("overlap");
        let other = dir.with_extension("other");
        let _ = fs::remove_dir_all(&other);
        let options =
            JournalOptions { dir: other.clone(), ..JournalOptions::new(&other, &Default::default(), NodeId(1)) };
        let options =
            JournalOptions { cluster: 5, segment_bytes: 4096, record_max: crate::wire::record_len(64), ..options };
        let (mut journal, _) = Journal::open(options).unwrap();
        for seq in 50..=60 {
            journal.append(Epoch(4), Seq(seq), &crate::wire::test_record(2, seq, b"other")).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        let (_, copied) = list(&other).unwrap().remove(0);
        fs::copy(&copied, dir.join(copied.file_name().unwrap())).unwrap();
        match entries(&dir, Seq(1), Seq(200), |_| {}) {
            Err(JournalError::Overlap { expected, found, .. }) => assert_eq!((expected, found), (Seq(64), Seq(50))),
            other => panic!("{other:?}"),
        }
        assert!(segments.iter().all(|s| s.exists()));
        fs::remove_dir_all(&dir).unwrap();
        fs::remove_dir_all(&other).unwrap();
    }

    /// With its oldest segment deleted (as retention does), `dump --from 5`
    /// said "the journal holds no events", and a range across the journal's
    /// start printed what there was without a word.
    #[test]
    fn a_read_from_before_the_journals_start_says_where_it_starts() {
        let (dir, segments) = journal("start");
        fs::remove_file(&segments[0]).unwrap();
        assert_eq!(read(&dir, 5, 6), (vec![], Some(Stopped::Starts(Seq(64)))));
        assert_eq!(read(&dir, 60, 70), (vec![], Some(Stopped::Starts(Seq(64)))));
        assert_eq!(read(&dir, 0, u64::MAX), ((64..=200).collect(), None), "from the first there is");
        // An operator's trial: `dump --to 3` said "the journal holds no events".
        assert_eq!(read(&dir, 0, 3), (vec![], Some(Stopped::Starts(Seq(64)))));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// `dump --from` past the last record printed nothing and exited 0.
    #[test]
    fn a_read_past_the_last_record_says_where_the_records_end() {
        let (dir, _) = journal("ended");
        assert_eq!(read(&dir, 1, u64::MAX), ((1..=200).collect(), None), "to the last there is");
        assert_eq!(read(&dir, 150, 250), ((150..=200).collect(), Some(Stopped::Ended(Seq(200)))));
        assert_eq!(read(&dir, 201, u64::MAX), (vec![], Some(Stopped::Ended(Seq(200)))));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// An operator trial: `journal dump` of a journal holding no events
    /// exited 1 ("stopped: the journal holds no events") where `journal
    /// verify` of it exits 0. All of nothing is read; a range asked for in
    /// it is not there.
    #[test]
    fn all_of_an_empty_journal_is_read_and_a_range_in_it_is_not_there() {
        let dir = std::env::temp_dir().join(format!("seqcast-inspect-empty-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(read(&dir, 0, u64::MAX), (vec![], None));
        assert_eq!(read(&dir, 1, u64::MAX), (vec![], None));
        assert_eq!(read(&dir, 5, u64::MAX), (vec![], Some(Stopped::Ended(Seq::ZERO))));
        assert_eq!(read(&dir, 0, 10), (vec![], Some(Stopped::Ended(Seq::ZERO))));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// An operator trial: a segment of node 2's journal put in node 1's
    /// (a plausible repair) passed `verify` and `copy`, which took its
    /// records in as node 1's; only the node refused it.
    #[test]
    fn a_segment_of_another_node_among_a_journals_is_refused_by_name() {
        let (dir, segments) = journal("foreign");
        let (other, others) = journal("foreign-other");
        let mut bytes = fs::read(&others[1]).unwrap();
        // The same segment as node 2's: its header says so, with a good CRC.
        let h = *SegmentHeader::parse(&bytes).unwrap();
        let first = (h.first_seq(), Seq(h.after.get()));
        let header = SegmentHeader::new(h.cluster.get(), NodeId(2), first, Epoch(h.epoch.get()), h.capacity.get());
        bytes[..size_of::<SegmentHeader>()].copy_from_slice(zerocopy::IntoBytes::as_bytes(&header));
        fs::write(&segments[1], &bytes).unwrap();
        let error = inspect(&dir).unwrap_err().to_string();
        assert!(error.contains(&segments[1].display().to_string()) && error.contains("node 2"), "{error}");
        assert!(entries(&dir, Seq::ZERO, Seq(u64::MAX), |_| ()).is_err_and(|e| e.to_string() == error));
        fs::remove_dir_all(&dir).unwrap();
        fs::remove_dir_all(&other).unwrap();
    }

    /// Helper 143: a middle segment cut short read only as a corrupt
    /// record; the report keeps the file's size beside the one it was
    /// made with.
    #[test]
    fn a_segment_cut_short_reports_its_size_beside_the_one_it_was_made_with() {
        let (dir, segments) = journal("cut-short");
        let file = fs::OpenOptions::new().write(true).open(&segments[1]).unwrap();
        file.set_len(1000).unwrap();
        let reports = inspect(&dir).unwrap();
        assert!(matches!(reports[1].end, End::Corrupt { .. }), "{:?}", reports[1]);
        assert_eq!(reports[1].size.map(|(made, has)| (made > has, has)), Some((true, 1000)));
        assert!(reports[0].size.is_some_and(|(made, has)| made == has), "{:?}", reports[0]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 143: a segment whose header is damaged stopped `journal
    /// verify` at it, naming no other segment. It is reported, and the
    /// segments after it read.
    #[test]
    fn a_segment_whose_header_is_damaged_is_reported_and_read_past() {
        let (dir, segments) = journal("bad-header");
        assert!(segments.len() >= 3, "{segments:?}");
        let mut bytes = fs::read(&segments[1]).unwrap();
        bytes[8] ^= 0x40;
        fs::write(&segments[1], &bytes).unwrap();
        let reports = inspect(&dir).unwrap();
        assert_eq!(reports.len(), segments.len());
        assert_eq!((reports[1].header, reports[1].range), (Some(HeaderError::Crc), None));
        assert_eq!((reports[1].cluster, reports[1].node), (reports[0].cluster, reports[0].node));
        let last = reports.last().unwrap();
        assert!(last.header.is_none() && last.range.is_some_and(|r| r.1 == Seq(200)), "{last:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A newest segment of zeros (its creation did not finish) is what a
    /// node removes at start: `journal verify` once called it a bad header.
    #[test]
    fn an_unfinished_newest_segment_is_reported_as_such_and_read_past() {
        let (dir, segments) = journal("unfinished");
        let newest = dir.join(format!("{:020}.journal", 201));
        fs::write(&newest, vec![0; 4096]).unwrap();
        let reports = inspect(&dir).unwrap();
        assert_eq!(reports.len(), segments.len() + 1);
        assert!(reports.last().is_some_and(|r| r.unfinished && r.path == newest), "{reports:?}");
        assert!(reports.iter().rev().skip(1).all(|r| !r.unfinished && r.end == End::Clean));
        assert_eq!(read(&dir, 190, u64::MAX), ((190..=200).collect(), None));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 128: the newest segment's first record corrupt, good ones
    /// after it (a node reads damage there: a follower fetches it again, a
    /// sequencer refuses the journal), was read as a header-only segment
    /// a node removes: `dump` said "nothing damaged" and `copy` exited 0.
    #[test]
    fn a_newest_segment_whose_first_record_is_corrupt_stops_a_read() {
        let (dir, segments) = journal("newest-first");
        let newest = segments.last().unwrap();
        let mut bytes = fs::read(newest).unwrap();
        // A byte of record 190's payload, the newest segment's first.
        let at = size_of::<SegmentHeader>() + crate::journal::format::journal_len(crate::wire::record_len(8)) - 4;
        bytes[at] ^= 0x40;
        fs::write(newest, &bytes).unwrap();
        let want = Some(Stopped::Damaged(newest.clone(), End::Corrupt { offset: 64, seq: Seq(190) }));
        assert_eq!(read(&dir, 1, u64::MAX), ((1..=189).collect(), want.clone()));
        assert_eq!(read(&dir, 150, 195), ((150..=189).collect(), want));
        let (_, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!(recovery.corrupt, Some((newest.clone(), Seq(190))), "as the node reads it");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Helper 113: the newest segment with its header and no record, past a
    /// gap the node was told of (a roll a crash cut short), which the node
    /// removes at start and `journal verify` passes: a read reported the
    /// gap before it, and `journal dump` exited 1.
    #[test]
    fn a_header_only_newest_segment_past_a_gap_is_read_past() {
        let (dir, _) = journal("header-only");
        let (mut journal, _) = Journal::open(options(&dir)).unwrap();
        journal.append(Epoch(3), Seq(200), &crate::wire::test_record(1, 250, b"past")).unwrap();
        journal.flush().unwrap();
        drop(journal);
        let newest = list(&dir).unwrap().pop().unwrap().1;
        let mut bytes = fs::read(&newest).unwrap();
        bytes[64..].fill(0);
        fs::write(&newest, &bytes).unwrap();
        assert_eq!(read(&dir, 1, u64::MAX), ((1..=200).collect(), None));
        assert_eq!(read(&dir, 190, 300), ((190..=200).collect(), Some(Stopped::Ended(Seq(200)))));
        let (journal, recovery) = Journal::open(options(&dir)).unwrap();
        assert_eq!((journal.next(), recovery.empty_removed), (Seq(201), Some(newest)), "as the node reads it");
        fs::remove_dir_all(&dir).unwrap();
    }
}
