//! Reading a journal without changing it (`seqcast journal verify` and
//! `dump`): whatever cluster or node wrote it, torn tail and all.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::format::{End, Entry, SegmentHeader};
use super::segments::{JournalError, list, scan_segment};
use crate::types::{Epoch, Seq};

/// No event record is larger than the largest datagram.
const RECORD_MAX: usize = 65_507;

/// What one segment file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentReport {
    /// The file.
    pub path: PathBuf,
    /// Its header's cluster id.
    pub cluster: u32,
    /// Its header's node id.
    pub node: u16,
    /// The sequences of its good records (`None`: none).
    pub range: Option<(Seq, Seq)>,
    /// The first and last epoch among them.
    pub epochs: Option<(Epoch, Epoch)>,
    /// Bytes of good records, header included.
    pub bytes: u64,
    /// How its records ended.
    pub end: End,
}

/// Every segment in `dir`, checked record by record, in sequence order.
pub fn inspect(dir: &Path) -> Result<Vec<SegmentReport>, JournalError> {
    let mut reports = Vec::new();
    let segments = list(dir)?;
    let count = segments.len();
    for (index, (_, path)) in segments.into_iter().enumerate() {
        let (file, header) = open_segment(&path)?;
        let (mut range, mut epochs) = (None::<(Seq, Seq)>, None::<(Epoch, Epoch)>);
        let scanned = scan_segment(&file, header.first_seq(), RECORD_MAX, index + 1 == count, |entry| {
            range = Some((range.map_or(entry.seq(), |r| r.0), entry.seq()));
            epochs = Some((epochs.map_or(entry.epoch, |e| e.0), entry.epoch));
            true
        })
        .map_err(|e| JournalError::Io(path.clone(), e))?;
        let (cluster, node) = (header.cluster.get(), header.node.get());
        reports.push(SegmentReport { path, cluster, node, range, epochs, bytes: scanned.good, end: scanned.end });
    }
    Ok(reports)
}

/// A segment file, open, and its header once checked.
fn open_segment(path: &Path) -> Result<(File, SegmentHeader), JournalError> {
    let io = |e| JournalError::Io(path.to_path_buf(), e);
    let file = File::open(path).map_err(io)?;
    let mut head = [0; size_of::<SegmentHeader>()];
    let got = (head.len() as u64).min(file.metadata().map_err(io)?.len()) as usize;
    file.read_exact_at(&mut head[..got], 0).map_err(io)?;
    let header = *SegmentHeader::parse(&head[..got]).map_err(|e| JournalError::Header(path.to_path_buf(), e))?;
    Ok((file, header))
}

/// Why [`entries`] stopped before the range it was asked for ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// A damaged record (a torn tail or a corrupt record) in this file:
    /// nothing after it is trusted.
    Damaged(PathBuf, End),
    /// Sequences `[first, end)` are in no segment.
    Gap(Seq, Seq),
}

/// Calls `visit` for every good record of `dir` with a sequence in
/// `[from, to]`, in order; stops at the first damaged record or missing
/// sequence within that range, and says which (`None`: every record there
/// was visited).
pub fn entries(
    dir: &Path,
    from: Seq,
    to: Seq,
    mut visit: impl FnMut(Entry<'_>),
) -> Result<Option<Stopped>, JournalError> {
    // The sequence the next record must have, once one was seen.
    let mut next: Option<Seq> = None;
    let segments = list(dir)?;
    let count = segments.len();
    for (index, (_, path)) in segments.into_iter().enumerate() {
        let (file, header) = open_segment(&path)?;
        let first = header.first_seq();
        if first > to {
            break;
        }
        if let Some(expected) = next
            && first > expected
            && first > from
        {
            return Ok(Some(Stopped::Gap(expected.max(from), first)));
        }
        let scanned = scan_segment(&file, first, RECORD_MAX, index + 1 == count, |entry| {
            if entry.seq() > to {
                return false;
            }
            if entry.seq() >= from {
                visit(entry);
            }
            true
        })
        .map_err(|e| JournalError::Io(path.clone(), e))?;
        next = Some(next.unwrap_or(first).max(scanned.next));
        match scanned.end {
            End::Clean => {}
            // Damage past the range asked for is no concern of this read.
            _ if scanned.next > to => break,
            end => return Ok(Some(Stopped::Damaged(path, end))),
        }
    }
    Ok(None)
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
        let options = JournalOptions {
            dir: dir.clone(),
            cluster: 5,
            node: NodeId(1),
            sync: SyncLevel::None,
            segment_bytes: 4096,
            record_max: crate::wire::record_len(64),
            retain_bytes: None,
            retain_events: None,
        };
        let (mut journal, _) = Journal::open(options).unwrap();
        for seq in 1..=200 {
            journal.append(Epoch(3), Seq(seq), &crate::wire::test_record(1, seq, &seq.to_le_bytes())).unwrap();
        }
        journal.flush().unwrap();
        let segments = list(&dir).unwrap().into_iter().map(|(_, path)| path).collect();
        (dir, segments)
    }

    fn read(dir: &Path, from: u64, to: u64) -> (Vec<u64>, Option<Stopped>) {
        let mut seqs = Vec::new();
        let stopped = entries(dir, Seq(from), Seq(to), |e| seqs.push(e.seq().get())).unwrap();
        (seqs, stopped)
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
        fs::remove_dir_all(&dir).unwrap();
    }
}
