//! Reading a journal without changing it (`seqcast journal verify` and
//! `dump`): whatever cluster or node wrote it, torn tail and all.

use std::fs;
use std::path::{Path, PathBuf};

use super::format::{End, Entry, Scan, SegmentHeader};
use super::segments::{JournalError, list};
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
    for (_, path) in list(dir)? {
        let bytes = fs::read(&path).map_err(|e| JournalError::Io(path.clone(), e))?;
        let header = *SegmentHeader::parse(&bytes).map_err(|e| JournalError::Header(path.clone(), e))?;
        let mut scan = Scan::new(&bytes, header.first_seq(), RECORD_MAX);
        let (mut range, mut epochs) = (None::<(Seq, Seq)>, None::<(Epoch, Epoch)>);
        for entry in scan.by_ref() {
            range = Some((range.map_or(entry.seq(), |r| r.0), entry.seq()));
            epochs = Some((epochs.map_or(entry.epoch, |e| e.0), entry.epoch));
        }
        let end = scan.end().unwrap_or(End::Clean);
        let (cluster, node) = (header.cluster.get(), header.node.get());
        reports.push(SegmentReport { path, cluster, node, range, epochs, bytes: scan.good_len() as u64, end });
    }
    Ok(reports)
}

/// Calls `visit` for every good record of `dir` with a sequence in
/// `[from, to]`, in order, and stops at the first damaged one.
pub fn entries(dir: &Path, from: Seq, to: Seq, mut visit: impl FnMut(Entry<'_>)) -> Result<(), JournalError> {
    for (_, path) in list(dir)? {
        let bytes = fs::read(&path).map_err(|e| JournalError::Io(path.clone(), e))?;
        let header = SegmentHeader::parse(&bytes).map_err(|e| JournalError::Header(path.clone(), e))?;
        if header.first_seq() > to {
            break;
        }
        let mut scan = Scan::new(&bytes, header.first_seq(), RECORD_MAX);
        for entry in scan.by_ref().skip_while(|e| e.seq() < from).take_while(|e| e.seq() <= to) {
            visit(entry);
        }
        if !matches!(scan.end(), None | Some(End::Clean)) {
            break;
        }
    }
    Ok(())
}
