//! Event batches: SUBMIT (client → leader), DATA and RETRANSMIT (leader →
//! followers). Each is a small body header followed by event records.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::Error;
use super::event::{EventHeader, Events};
use crate::types::{ClientId, Seq};

/// Header `flags` bit of a SUBMIT whose first request the client sent
/// before, to a member it has since turned from: an earlier leader may
/// have taken it.
pub const FLAG_RESENT: u16 = 1;

/// Header `flags` bit of a SUBMIT whose first request is the oldest its
/// client has not been told committed: it was told every request below.
/// A leader that has no record of those (the cluster lost events it had
/// said were committed, or its table forgot the client) cannot place the
/// SUBMIT, and says so at once (BUSY reason 4) rather than ask for a
/// request the client no longer has.
pub const FLAG_OLDEST: u16 = 2;

/// Header `flags` bit of a NAK to a member that does not lead, for what
/// the asker's leader told it it no longer has; and of the RETRANSMIT or
/// UNRECOVERABLE that member answers with: the events are committed ones,
/// from its journal, and the frame says nothing of who leads (an
/// UNRECOVERABLE: not from this member).
pub const FLAG_SERVED: u16 = 1;

/// Header `flags` bit of every frame a leader sends whose followers must
/// not infer commits (PROTOCOL.md, "Commits a follower may infer"): it
/// counts itself in a quorum only once its write is synced, after its
/// DATA went out, or the quorum needs more than one follower, or members
/// elect. A follower delivers then only what the leader says committed,
/// whatever its own settings would allow.
pub const FLAG_TOLD: u16 = 2;

/// Header `flags` bit of every frame a leader without failover (a
/// sequencer) sends. A node, client or tail with failover takes nothing
/// of such a frame: a sequencer started with a member cluster's file (on a
/// host whose member was stopped) is no leader the members elected, and
/// its log, empty or another, would make every member that holds commits
/// refuse it and stop. Builds before it ignore the bit.
pub const FLAG_NO_FAILOVER: u16 = 4;

/// Body header of SUBMIT: the records that follow carry `client` and the
/// request numbers `request`, `request + 1`, … in order; they are unstamped.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct SubmitHead {
    /// Client id.
    pub client: U32,
    /// Number of event records that follow.
    pub count: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// Request number of the first record.
    pub request: U64,
}
const _: () = assert!(size_of::<SubmitHead>() == 16);

impl SubmitHead {
    /// Offset of `count` within the body, patched when a batch is finished.
    pub(super) const COUNT_OFFSET: usize = 4;

    /// The client that sent the events.
    pub fn client(&self) -> ClientId {
        ClientId(self.client.get())
    }
}

/// Body header of DATA and RETRANSMIT: records with consecutive sequences.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct BatchHead {
    /// Highest committed sequence the leader knows (0: none).
    pub commit: U64,
    /// Leader clock when sent, echoed by ACKs to measure the round trip.
    pub sent_ns: U64,
    /// Number of event records that follow.
    pub count: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// Reserved; zero.
    pub reserved2: U32,
}
const _: () = assert!(size_of::<BatchHead>() == 24);

impl BatchHead {
    /// Offset of `count` within the body.
    pub(super) const COUNT_OFFSET: usize = 16;
}

/// A parsed SUBMIT.
#[derive(Clone, Debug)]
pub struct Submit<'a> {
    /// The body header.
    pub head: &'a SubmitHead,
    /// The events, in request order.
    pub events: Events<'a>,
}

/// A parsed DATA or RETRANSMIT.
#[derive(Clone, Debug)]
pub struct Batch<'a> {
    /// The body header.
    pub head: &'a BatchHead,
    /// The events, in sequence order without holes.
    pub events: Events<'a>,
}

impl Batch<'_> {
    /// Sequence of the first event (batches are never empty).
    pub fn first_seq(&self) -> Seq {
        self.events.clone().next().map_or(Seq::ZERO, |e| e.header.seq())
    }

    /// The leader's commit when it sent the batch.
    pub fn commit(&self) -> Seq {
        Seq(self.head.commit.get())
    }
}

pub(super) fn parse_submit(body: &[u8]) -> Result<Submit<'_>, Error> {
    let (head, records) = SubmitHead::ref_from_prefix(body).map_err(|_| Error::BadBodyLength)?;
    let (client, first) = (head.client.get(), head.request.get());
    let events = Events::check(records, head.count.get(), |index, event: &EventHeader| {
        event.client.get() == client && Some(event.request.get()) == first.checked_add(index)
    })?;
    Ok(Submit { head, events })
}

pub(super) fn parse_batch(body: &[u8]) -> Result<Batch<'_>, Error> {
    let (head, records) = BatchHead::ref_from_prefix(body).map_err(|_| Error::BadBodyLength)?;
    let mut first = 0;
    let events = Events::check(records, head.count.get(), |index, event: &EventHeader| {
        let seq = event.seq.get();
        if index == 0 {
            first = seq;
            return seq != 0;
        }
        Some(seq) == first.checked_add(index)
    })?;
    Ok(Batch { head, events })
}
