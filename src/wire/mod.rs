//! Bytes only: parse datagrams into typed, borrowed frames and emit them into
//! a caller's buffer. Nothing here keeps state, reads a clock or allocates.
//!
#![doc = include_str!("../../docs/PROTOCOL.md")]

mod batch;
mod client;
mod control;
mod election;
mod event;
mod header;
mod writer;

pub use batch::{
    Batch, BatchHead, FLAG_NO_FAILOVER, FLAG_OLDEST, FLAG_RESENT, FLAG_SERVED, FLAG_TOLD, Submit, SubmitHead,
};
pub use client::{BUSY_LOST, Busy, BusyReason, Commit, CommitHead, CommitRun};
pub use control::{Ack, Heartbeat, NAK_RANGES_MAX, Nak, NakHead, SeqRange, Unrecoverable};
pub use election::{
    Ballot, FLAG_COUNT_INCOMPLETE, FLAG_COUNTING_INCOMPLETE, FLAG_FORCED, FLAG_LED, Promote, Vote, VoteRequest,
};
#[cfg(test)]
pub(crate) use event::test_record;
pub use event::{EventHeader, EventRef, Events, RECORD_ALIGN, record_len};
pub(crate) use header::crc_hasher;
pub use header::{Header, Kind, MAGIC, SENDER_CLIENT, SENDER_OBSERVER, VERSION, check, seal};
pub use writer::{FrameWriter, emit};

use core::fmt;

use zerocopy::FromBytes;

use crate::types::Epoch;

/// `bytes` in lower-case hex, two digits a byte (a key, an event's payload
/// or record as `tail` and `journal dump` print them).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    text
}

/// Why a datagram was rejected. Each variant is a counter in the nodes' stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// Shorter than the common header.
    Truncated,
    /// The first two bytes are not [`MAGIC`].
    BadMagic,
    /// A protocol version this crate does not speak.
    BadVersion(u8),
    /// The header's length differs from the datagram's.
    LengthMismatch,
    /// The CRC does not match the bytes.
    BadCrc,
    /// A kind code this version does not know.
    UnknownKind(u8),
    /// The body is too short or too long for its kind.
    BadBodyLength,
    /// An event record runs past the end of the datagram.
    BadEventLength,
    /// The event count is zero or disagrees with the records present.
    BadEventCount,
    /// An event's origin or sequence is inconsistent with its frame.
    EventMismatch,
    /// A range is empty, starts at 0, is out of order, or (a COMMIT run)
    /// ends past 2^64 - 1.
    BadRange,
    /// A NAK carries more than [`NAK_RANGES_MAX`] ranges.
    TooManyRanges,
    /// An epoch, in the header or a claim, beyond [`Epoch::MAX`]: no real
    /// cluster gets there, and a candidate must always be able to stand
    /// for the epoch after the newest it has seen.
    EpochOutOfRange,
}

impl Error {
    /// Every variant once, for counters indexed by reason.
    pub const ALL: [Error; 13] = [
        Error::Truncated,
        Error::BadMagic,
        Error::BadVersion(0),
        Error::LengthMismatch,
        Error::BadCrc,
        Error::UnknownKind(0),
        Error::BadBodyLength,
        Error::BadEventLength,
        Error::BadEventCount,
        Error::EventMismatch,
        Error::BadRange,
        Error::TooManyRanges,
        Error::EpochOutOfRange,
    ];

    /// Position of this variant in [`Error::ALL`].
    pub fn index(self) -> usize {
        match self {
            Error::Truncated => 0,
            Error::BadMagic => 1,
            Error::BadVersion(_) => 2,
            Error::LengthMismatch => 3,
            Error::BadCrc => 4,
            Error::UnknownKind(_) => 5,
            Error::BadBodyLength => 6,
            Error::BadEventLength => 7,
            Error::BadEventCount => 8,
            Error::EventMismatch => 9,
            Error::BadRange => 10,
            Error::TooManyRanges => 11,
            Error::EpochOutOfRange => 12,
        }
    }

    /// A short name, for counters and logs.
    pub fn name(self) -> &'static str {
        match self {
            Error::Truncated => "truncated",
            Error::BadMagic => "bad_magic",
            Error::BadVersion(_) => "bad_version",
            Error::LengthMismatch => "length_mismatch",
            Error::BadCrc => "bad_crc",
            Error::UnknownKind(_) => "unknown_kind",
            Error::BadBodyLength => "bad_body_length",
            Error::BadEventLength => "bad_event_length",
            Error::BadEventCount => "bad_event_count",
            Error::EventMismatch => "event_mismatch",
            Error::BadRange => "bad_range",
            Error::TooManyRanges => "too_many_ranges",
            Error::EpochOutOfRange => "epoch_out_of_range",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadVersion(v) => write!(f, "unsupported protocol version {v}"),
            Error::UnknownKind(k) => write!(f, "unknown frame kind {k}"),
            other => f.write_str(other.name()),
        }
    }
}

impl std::error::Error for Error {}

/// A checked datagram: its header and its typed body.
#[derive(Clone, Debug)]
pub struct Datagram<'a> {
    /// The common header.
    pub header: &'a Header,
    /// The body.
    pub frame: Frame<'a>,
}

/// The body of a datagram, by kind.
#[derive(Clone, Debug)]
pub enum Frame<'a> {
    /// Client → leader.
    Submit(Submit<'a>),
    /// Leader → group.
    Data(Batch<'a>),
    /// Leader → group, when idle.
    Heartbeat(&'a Heartbeat),
    /// Follower → leader.
    Ack(&'a Ack),
    /// Follower → leader.
    Nak(Nak<'a>),
    /// Leader → follower.
    Retransmit(Batch<'a>),
    /// Leader → client.
    Commit(Commit<'a>),
    /// Leader → client.
    Busy(&'a Busy),
    /// Leader → follower.
    Unrecoverable(&'a Unrecoverable),
    /// Candidate → group.
    VoteRequest(&'a VoteRequest),
    /// Member → candidate.
    Vote(&'a Vote),
    /// Operator → member.
    Promote(&'a Promote),
}

impl Frame<'_> {
    /// The leader's clock when it sent this frame (`sent_ns`), for the
    /// kinds that carry it (DATA, RETRANSMIT, HEARTBEAT).
    pub fn sent_ns(&self) -> Option<u64> {
        match self {
            Frame::Data(batch) | Frame::Retransmit(batch) => Some(batch.head.sent_ns.get()),
            Frame::Heartbeat(heartbeat) => Some(heartbeat.sent_ns.get()),
            _ => None,
        }
    }
}

/// Checks a datagram (DESIGN §2 order, then the kind's own limits) and
/// returns borrowed views of it. Never panics, never allocates.
pub fn parse(datagram: &[u8]) -> Result<Datagram<'_>, Error> {
    let (header, body) = check(datagram)?;
    let fixed = |_: ()| Error::BadBodyLength;
    let frame = match header.kind() {
        Kind::Submit => Frame::Submit(batch::parse_submit(body)?),
        Kind::Data => Frame::Data(batch::parse_batch(body)?),
        Kind::Retransmit => Frame::Retransmit(batch::parse_batch(body)?),
        Kind::Heartbeat => Frame::Heartbeat(Heartbeat::ref_from_bytes(body).map_err(|_| fixed(()))?),
        Kind::Ack => Frame::Ack(Ack::ref_from_bytes(body).map_err(|_| fixed(()))?),
        Kind::Nak => Frame::Nak(control::parse_nak(body)?),
        Kind::Commit => Frame::Commit(client::parse_commit(body)?),
        Kind::Busy => Frame::Busy(Busy::ref_from_bytes(body).map_err(|_| fixed(()))?),
        Kind::Unrecoverable => Frame::Unrecoverable(control::parse_unrecoverable(body)?),
        Kind::VoteRequest => {
            let request = VoteRequest::ref_from_bytes(body).map_err(|_| fixed(()))?;
            in_range(request.claim().epoch)?;
            Frame::VoteRequest(request)
        }
        Kind::Vote => {
            let vote = Vote::ref_from_bytes(body).map_err(|_| fixed(()))?;
            in_range(vote.claim().epoch)?;
            Frame::Vote(vote)
        }
        Kind::Promote => Frame::Promote(Promote::ref_from_bytes(body).map_err(|_| fixed(()))?),
        Kind::Unknown(code) => return Err(Error::UnknownKind(code)),
    };
    Ok(Datagram { header, frame })
}

/// Refuses an epoch past [`Epoch::MAX`].
fn in_range(epoch: Epoch) -> Result<(), Error> {
    if epoch > Epoch::MAX { Err(Error::EpochOutOfRange) } else { Ok(()) }
}

#[cfg(test)]
mod tests;
