//! Why a journal could not be opened or written, said for an operator:
//! the file concerned, and what it means for the node.

use std::io;
use std::path::PathBuf;

use super::format::HeaderError;
use super::segments::segment_name;
#[cfg(doc)]
use super::{Journal, JournalOptions};
use crate::types::Seq;

/// Why a journal could not be opened or written.
#[derive(Debug)]
pub enum JournalError {
    /// The directory cannot be created or written.
    Dir(PathBuf, io::Error),
    /// Another process has the directory's journal open (its lock file).
    InUse(PathBuf),
    /// A segment file cannot be read or written.
    Io(PathBuf, io::Error),
    /// A segment's header is not a seqcast segment header; the file is left as it is.
    Header(PathBuf, HeaderError),
    /// A segment (or claim) of another cluster or node; the file is left as it is.
    Foreign {
        /// The file.
        path: PathBuf,
        /// Its cluster id.
        cluster: u32,
        /// Its node id.
        node: u16,
        /// The cluster id and node id of this journal.
        mine: (u32, u16),
    },
    /// A segment whose file name gives another first sequence than its
    /// header (renamed, or copied under another name): files are ordered
    /// by name, so one out of its place would make the journal look
    /// damaged or gapped where it is not. Left as it is.
    Misnamed {
        /// The file.
        path: PathBuf,
        /// The first sequence its header gives.
        first: Seq,
    },
    /// A segment that starts before the one before it ends.
    Overlap {
        /// The later segment.
        path: PathBuf,
        /// The sequence after the earlier segment's last.
        expected: Seq,
        /// The sequence it starts with.
        found: Seq,
    },
    /// The claim file is not one this build wrote; left as it is.
    Claim(PathBuf, HeaderError),
    /// A record longer than this node's `record_max`: written under a
    /// larger `payload_max`. The journal is left as it is.
    TooLong {
        /// The segment.
        path: PathBuf,
        /// The first such event's sequence.
        seq: Seq,
        /// The largest payload of such an event in the segment.
        payload: usize,
        /// The largest record this node takes (`JournalOptions::record_max`).
        record_max: usize,
    },
    /// A record read back fails its CRC (damaged since recovery checked
    /// it): its length cannot be trusted, so neither can the records up
    /// to the next one the segment's index places.
    Damaged {
        /// The segment.
        path: PathBuf,
        /// The record's sequence.
        seq: Seq,
        /// The next record the index places (or the next segment's first,
        /// or the journal's end).
        resumes: Seq,
    },
    /// A member's claim file kept in a cluster of another shape: the node
    /// runs with a cluster file not every member has (a stale one), or the
    /// operator changed the shape without [`JournalOptions::reshape`].
    Shape {
        /// The claim file.
        path: PathBuf,
        /// The shape kept there.
        kept: u32,
        /// This node's.
        given: u32,
    },
    /// [`JournalOptions::reshape`] given where there is nothing to reshape:
    /// the journal keeps no claim, or one of this shape already.
    Reshape {
        /// The journal's directory.
        dir: PathBuf,
        /// The shape its claim was kept in, if it has one.
        kept: Option<u32>,
    },
    /// A member refused the cluster's log when it last ran (see
    /// [`Journal::write_refused`]): the file that says so, and what it says.
    /// Nothing was read or changed.
    Refused(PathBuf, String),
    /// An append out of sequence order (a bug in the caller).
    OutOfOrder {
        /// The sequence expected.
        expected: Seq,
        /// The sequence given.
        found: Seq,
    },
}

impl core::fmt::Display for JournalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            JournalError::Dir(dir, e) => write!(f, "journal directory {}: {e}", dir.display()),
            JournalError::InUse(lock) => write!(
                f,
                "journal {} is in use by another process (it holds {}): one process per node's journal",
                lock.parent().unwrap_or(lock).display(),
                lock.display()
            ),
            // The claim and commit files beside the segments are no segments.
            JournalError::Io(path, e) => match path.extension().is_some_and(|x| x == "journal") {
                true => write!(f, "journal segment {}: {e}", path.display()),
                false => write!(f, "journal file {}: {e}", path.display()),
            },
            JournalError::Header(path, e @ (HeaderError::Crc | HeaderError::Field(_) | HeaderError::Short)) => write!(
                f,
                "journal segment {}: {e}; left untouched. If a later segment follows it, move that file aside: \
                 a follower or member then fetches its records again, as it does a segment file gone (a \
                 sequencer refuses such a journal: start it on `seqcast journal copy` of a follower's). If it is \
                 the newest, move the node's whole journal directory aside instead (a member: start it with \
                 --rejoin)",
                path.display()
            ),
            JournalError::Header(path, e) => write!(f, "journal segment {}: {e}; left untouched", path.display()),
            JournalError::Refused(path, why) => write!(
                f,
                "journal {}: this member refused the cluster's log when it last ran ({}), and does not start on \
                 this journal (left untouched): it holds committed events the cluster's log lacks. To follow the \
                 cluster, move this journal aside and start the member with --rejoin; `seqcast journal dump` reads \
                 what the cluster lost from the journal moved aside. Do not remove {} to start on this journal: the \
                 member would refuse that leader again, but could take the log of a later one grown from it",
                path.parent().unwrap_or(path).display(),
                if why.is_empty() { "no reason recorded" } else { why },
                path.display()
            ),
            // Helper 138: a typo'd --cluster-id was told to move a good
            // journal aside.
            JournalError::Foreign { path, cluster, node, mine: (my_cluster, my_node) } => write!(
                f,
                "journal file {} belongs to cluster {cluster}, node {node}, not to this one (cluster {my_cluster}, \
                 node {my_node}); left untouched. {}",
                path.display(),
                match (cluster == my_cluster, node == my_node) {
                    (false, true) => format!(
                        "If this node is of cluster {cluster}, its cluster id is wrong here (cluster_id in the \
                         cluster file, --cluster-id); otherwise the journal is another cluster's: move it aside"
                    ),
                    (true, false) => format!(
                        "If this node is node {node}, its id is wrong here (--id); otherwise the journal is \
                         another node's, copied? Move it aside; `seqcast journal copy FROM TO` makes this node a \
                         journal of another's records"
                    ),
                    _ => "Another cluster's node's journal: check --journal and the node's settings, or move it \
                          aside"
                        .to_string(),
                }
            ),
            JournalError::Misnamed { path, first } => write!(
                f,
                "journal segment {}: its header says it begins at sequence {first}, its name says otherwise \
                 (renamed, or copied under another name? its name is {}); left untouched",
                path.display(),
                segment_name(*first)
            ),
            JournalError::Overlap { path, expected, found } => write!(
                f,
                "journal segment {} starts at sequence {found}, but the segment before ends at {}",
                path.display(),
                expected.prev()
            ),
            JournalError::TooLong { path, seq, payload, record_max } => write!(
                f,
                "journal segment {} holds events from {seq} on with payloads of up to {payload} bytes, more than \
                 a record of this node's payload_max holds ({} bytes: payloads are kept in {}-byte steps): they \
                 were written with a larger one. Start the node with --payload-max {payload} (or payload_max = \
                 {payload} in the cluster file) or more; the journal was left untouched",
                path.display(),
                record_max.saturating_sub(size_of::<crate::wire::EventHeader>()),
                crate::wire::RECORD_ALIGN
            ),
            JournalError::Shape { path, kept, given } => write!(
                f,
                "journal claim file {} was written in a cluster of {}; this member's configuration (its cluster \
                 file, --nodes, --quorum) gives {}. Every member must run with the same file, or two groups of \
                 different shapes may each commit their own events under the same sequences. If this file is the \
                 stale one, give this host the cluster's; if the node count or quorum is changing, stop every \
                 member, give each the new file, and start each journaled one that ran before once with \
                 --reshape; if this member ran in a group split off by a stale file, its log is not the \
                 cluster's: move its journal aside and start it with --rejoin (docs/OPERATIONS.md)",
                path.display(),
                crate::core::shape_text(*kept),
                crate::core::shape_text(*given)
            ),
            JournalError::Reshape { dir, kept: Some(kept) } => write!(
                f,
                "--reshape: journal {}: its claim was kept in a cluster of {} already, the shape this member's \
                 configuration gives: nothing to reshape. If the cluster's shape is changing, this host's file \
                 is still the old one: give it the new file first; if this member was reshaped already, start \
                 it without --reshape",
                dir.display(),
                crate::core::shape_text(*kept)
            ),
            JournalError::Reshape { dir, kept: None } => write!(
                f,
                "--reshape: journal {} keeps no claim file: nothing to reshape (a member new to the cluster is \
                 started with --rejoin instead)",
                dir.display()
            ),
            JournalError::Claim(path, e) => {
                let why = e.side_file_text("claim");
                write!(
                    f,
                    "journal claim file {}: {why}; left untouched. Restore it if a copy holds it; else move it \
                     aside and start the member again while the other members run: it then resumes its journal \
                     keeping what it knew committed, asks the others which epoch they are fenced at, and votes \
                     once a leader has given it its log again",
                    path.display()
                )
            }
            JournalError::OutOfOrder { expected, found } => {
                write!(f, "journal append of sequence {found} where {expected} was next")
            }
            JournalError::Damaged { path, seq, resumes } => write!(
                f,
                "the record of sequence {seq} in {} fails its CRC (damaged since the node started): reads \
                 resume at the next record its index places, {}",
                path.display(),
                resumes
            ),
        }
    }
}

impl std::error::Error for JournalError {}
