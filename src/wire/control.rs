//! Follower ↔ leader control frames: HEARTBEAT, ACK, NAK, UNRECOVERABLE.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::Error;
use crate::types::Seq;

/// Most ranges one NAK may carry; bounds the leader's work per NAK.
pub const NAK_RANGES_MAX: usize = 64;

/// HEARTBEAT body: makes tail loss visible when the stream is idle (DESIGN §6).
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Heartbeat {
    /// The next sequence the leader will assign: all below it exist.
    pub seq_next: U64,
    /// Highest committed sequence (0: none).
    pub commit: U64,
    /// Leader clock when sent.
    pub sent_ns: U64,
    /// Leader's smoothed ACK round trip, which followers scale NAK timers by.
    pub rtt_ns: U64,
    /// The last sequence of the log this leader started its epoch with (0
    /// for a leader that started empty): a follower has taken the new
    /// leader's log once it holds everything up to here.
    pub epoch_start: U64,
    /// The nonce of the NAK this HEARTBEAT answers, sent to that NAK's
    /// member alone: a proof that it was sent after that NAK. Zero on the
    /// HEARTBEATs multicast to the group.
    pub nonce: U32,
    /// Reserved; zero.
    pub reserved: U32,
}
const _: () = assert!(size_of::<Heartbeat>() == 48);

impl Heartbeat {
    /// The next sequence the leader will assign.
    pub fn seq_next(&self) -> Seq {
        Seq(self.seq_next.get())
    }

    /// The leader's commit.
    pub fn commit(&self) -> Seq {
        Seq(self.commit.get())
    }

    /// The last sequence of the log the leader started its epoch with.
    pub fn epoch_start(&self) -> Seq {
        Seq(self.epoch_start.get())
    }

    /// The nonce this HEARTBEAT answers (0: none, a multicast one).
    pub fn nonce(&self) -> u32 {
        self.nonce.get()
    }
}

/// ACK body: cumulative, with an echo of the leader's clock for the RTT.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Ack {
    /// Highest sequence held with nothing missing below it (0: none).
    pub seq_held: U64,
    /// `sent_ns` of the newest leader frame received.
    pub echo_ns: U64,
    /// Time between receiving that frame and sending this ACK.
    pub echo_delay_ns: U64,
}
const _: () = assert!(size_of::<Ack>() == 24);

impl Ack {
    /// Highest sequence held with nothing missing below it.
    pub fn seq_held(&self) -> Seq {
        Seq(self.seq_held.get())
    }
}

/// A half-open range of sequences `[first, end)`.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct SeqRange {
    /// First sequence in the range (≥ 1).
    pub first: U64,
    /// One past the last sequence.
    pub end: U64,
}
const _: () = assert!(size_of::<SeqRange>() == 16);

impl SeqRange {
    /// The range `[first, end)`.
    pub fn new(first: Seq, end: Seq) -> SeqRange {
        SeqRange { first: first.get().into(), end: end.get().into() }
    }

    /// First sequence in the range.
    pub fn first(&self) -> Seq {
        Seq(self.first.get())
    }

    /// One past the last sequence.
    pub fn end(&self) -> Seq {
        Seq(self.end.get())
    }

    fn is_valid(&self) -> bool {
        self.first.get() != 0 && self.first.get() < self.end.get()
    }
}

/// NAK body header; `count` [`SeqRange`]s follow, ordered and disjoint.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct NakHead {
    /// Number of ranges that follow (1..=[`NAK_RANGES_MAX`]; 0 only with a
    /// `nonce`: a NAK that asks for nothing but a fresh HEARTBEAT).
    pub count: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// Nonzero: the leader answers with a HEARTBEAT to the member that
    /// sent it, carrying this `nonce`, besides any repairs it asks.
    pub nonce: U32,
}
const _: () = assert!(size_of::<NakHead>() == 8);

impl NakHead {
    /// Offset of `count` within the body.
    pub(super) const COUNT_OFFSET: usize = 0;

    /// The head of a NAK that asks for no range, only a HEARTBEAT carrying
    /// `nonce` (nonzero), which proves to its sender that it is fresh: a
    /// member back empty learns so what its leader has sequenced, which no
    /// replay of an older HEARTBEAT can tell it.
    pub fn fresh(nonce: u32) -> NakHead {
        debug_assert!(nonce != 0, "a NAK asking nothing carries a nonce");
        NakHead { count: 0.into(), reserved: 0.into(), nonce: nonce.into() }
    }
}

/// A parsed NAK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nak<'a> {
    /// The body header.
    pub head: &'a NakHead,
    /// The missing ranges, ascending, with a gap between neighbours.
    pub ranges: &'a [SeqRange],
}

/// UNRECOVERABLE body: a NAKed range that has left the leader's ring.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Unrecoverable {
    /// The lost range; every sequence below `range.end` is committed.
    pub range: SeqRange,
}
const _: () = assert!(size_of::<Unrecoverable>() == 16);

pub(super) fn parse_nak(body: &[u8]) -> Result<Nak<'_>, Error> {
    let (head, rest) = NakHead::ref_from_prefix(body).map_err(|_| Error::BadBodyLength)?;
    let count = usize::from(head.count.get());
    if count > NAK_RANGES_MAX {
        return Err(Error::TooManyRanges);
    }
    let ranges = <[SeqRange]>::ref_from_bytes(rest).map_err(|_| Error::BadBodyLength)?;
    if ranges.len() != count || count == 0 && head.nonce.get() == 0 {
        return Err(Error::BadBodyLength);
    }
    let ordered = ranges.windows(2).all(|w| w[0].end.get() < w[1].first.get());
    if !ordered || !ranges.iter().all(SeqRange::is_valid) {
        return Err(Error::BadRange);
    }
    Ok(Nak { head, ranges })
}

pub(super) fn parse_unrecoverable(body: &[u8]) -> Result<&Unrecoverable, Error> {
    let body = Unrecoverable::ref_from_bytes(body).map_err(|_| Error::BadBodyLength)?;
    if !body.range.is_valid() {
        return Err(Error::BadRange);
    }
    Ok(body)
}
