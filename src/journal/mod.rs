//! The journal (DESIGN §8): a node's log on disk, in append-only segment
//! files, and its recovery. [`format`](mod@format) is the bytes; [`Journal`] the files.
//!
//! A segment is one preallocated file, `<first sequence, 20 digits>.journal`,
//! holding a [`SegmentHeader`](format::SegmentHeader) (cluster, node, first
//! sequence, epoch) and then records in sequence order, each the wire's
//! event record behind its length, epoch and CRC. Segments are the unit of
//! retention: whole old ones are deleted.
//!
//! The core never opens a file: it hands the driver records to append and
//! is told what became durable. The driver calls [`Journal::append`] for
//! each, then [`Journal::flush`] once per turn, which writes them (`none`:
//! to the page cache, which survives the process; `batch`: then `fdatasync`,
//! which survives power loss) and returns the last durable sequence.

mod error;
pub mod format;
mod inspect;
mod segments;

pub use error::JournalError;
pub use inspect::{
    ClaimSide, CommitSide, Item, RECORD_MAX, SegmentReport, Side, Stopped, entries, handed_out_file, inspect, items,
    led_epoch_file, reach_epoch_file, reach_file, refused_file, refused_log_file, side_files,
};
pub use segments::{Journal, JournalOptions, ReadPos, Recovery, SyncLevel, damage_reach, is_journal_file};
