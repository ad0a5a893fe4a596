//! Leader → client replies: COMMIT (which requests committed, at which
//! sequences) and BUSY (back off: the request was not taken).

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::Error;
use crate::types::{ClientId, Seq};

/// COMMIT body header; `count` [`CommitRun`]s follow.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct CommitHead {
    /// Client id the runs belong to.
    pub client: U32,
    /// Number of runs that follow (≥ 1).
    pub count: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// The leader's commit sequence when sent.
    pub commit: U64,
}
const _: () = assert!(size_of::<CommitHead>() == 16);

impl CommitHead {
    /// The client the runs belong to.
    pub fn client(&self) -> ClientId {
        ClientId(self.client.get())
    }
}

impl CommitHead {
    /// Offset of `count` within the body.
    pub(super) const COUNT_OFFSET: usize = 4;
}

/// `count` requests from `request` on, committed at sequences from `seq` on.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct CommitRun {
    /// First request number of the run.
    pub request: U64,
    /// Sequence the first request got (≥ 1).
    pub seq: U64,
    /// Number of requests in the run (≥ 1).
    pub count: U32,
    /// Reserved; zero.
    pub reserved: U32,
}
const _: () = assert!(size_of::<CommitRun>() == 24);

impl CommitRun {
    /// A run of `count` requests from `request`, at sequences from `seq`.
    pub fn new(request: u64, seq: Seq, count: u32) -> CommitRun {
        CommitRun { request: request.into(), seq: seq.get().into(), count: count.into(), reserved: 0.into() }
    }

    /// Sequence the first request got.
    pub fn seq(&self) -> Seq {
        Seq(self.seq.get())
    }
}

/// A parsed COMMIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit<'a> {
    /// The body header.
    pub head: &'a CommitHead,
    /// The committed runs.
    pub runs: &'a [CommitRun],
}

/// Why a leader refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusyReason {
    /// Too many events are uncommitted: back pressure (DESIGN §2).
    InFlightFull,
    /// The leader's client table is full.
    TooManyClients,
    /// Requests arrived after a missing one: resend from `request` now.
    Gap,
    /// The client speaks to an epoch this leader is not in: the leader it
    /// knew is gone, and its uncommitted requests are in doubt. With
    /// failover also: an elected leader cannot place a resent request (an
    /// earlier leader took it outside the log this one holds).
    EpochChanged,
    /// The receiver does not lead (a follower, a candidate, or a leader that
    /// was replaced): send to the node in `leader`, or try another member.
    NotLeader,
    /// The request can never be taken (its payload is over the cluster's
    /// `payload_max`, or it is request 0 or above 2^63 − 1: requests are
    /// numbered from 1):
    /// neither it nor any later request of the SUBMIT was.
    Refused,
    /// A first SUBMIT from a client this leader does not know, without a
    /// fresh admission token: send again from `request`, now, with the
    /// header's `token` of this BUSY (a replayed old first SUBMIT carries a
    /// stale one and is never taken).
    Hello,
    /// Another process uses this client id: the leader holds a different
    /// event under it for `request` (or the request is older than any a
    /// client resends). Ids are unique per incarnation; this client's
    /// requests were not taken and never will be under this id.
    IdInUse,
    /// A code this version does not know.
    Unknown(u16),
}

impl From<u16> for BusyReason {
    fn from(code: u16) -> BusyReason {
        match code {
            1 => BusyReason::InFlightFull,
            2 => BusyReason::TooManyClients,
            3 => BusyReason::Gap,
            4 => BusyReason::EpochChanged,
            5 => BusyReason::NotLeader,
            6 => BusyReason::Refused,
            7 => BusyReason::Hello,
            8 => BusyReason::IdInUse,
            other => BusyReason::Unknown(other),
        }
    }
}

impl From<BusyReason> for u16 {
    fn from(reason: BusyReason) -> u16 {
        match reason {
            BusyReason::InFlightFull => 1,
            BusyReason::TooManyClients => 2,
            BusyReason::Gap => 3,
            BusyReason::EpochChanged => 4,
            BusyReason::NotLeader => 5,
            BusyReason::Refused => 6,
            BusyReason::Hello => 7,
            BusyReason::IdInUse => 8,
            BusyReason::Unknown(code) => code,
        }
    }
}

/// BUSY body: requests from `request` on were not taken; retry after `retry_ns`.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Busy {
    /// Client id.
    pub client: U32,
    /// A [`BusyReason`] code.
    pub reason: U16,
    /// With [`BusyReason::NotLeader`], the node the sender believes leads
    /// ([`SENDER_CLIENT`](super::SENDER_CLIENT) if it does not know); with
    /// [`BusyReason::EpochChanged`], [`BUSY_LOST`] where the leader has no
    /// record of requests the client was told committed; zero otherwise.
    pub leader: U16,
    /// First request number not taken.
    pub request: U64,
    /// How long the client should wait before sending again.
    pub retry_ns: U64,
}
const _: () = assert!(size_of::<Busy>() == 24);

/// [`Busy::leader`] of a BUSY reason 4 (in doubt) answering a client told
/// of commits the leader has no record of: the cluster lost them (a client
/// before it reads 0, in doubt only).
pub const BUSY_LOST: u16 = 1;

impl Busy {
    /// The client refused.
    pub fn client(&self) -> ClientId {
        ClientId(self.client.get())
    }

    /// The reason, which may be [`BusyReason::Unknown`].
    pub fn reason(&self) -> BusyReason {
        BusyReason::from(self.reason.get())
    }
}

pub(super) fn parse_commit(body: &[u8]) -> Result<Commit<'_>, Error> {
    let (head, rest) = CommitHead::ref_from_prefix(body).map_err(|_| Error::BadBodyLength)?;
    let runs = <[CommitRun]>::ref_from_bytes(rest).map_err(|_| Error::BadBodyLength)?;
    if runs.len() != usize::from(head.count.get()) || runs.is_empty() {
        return Err(Error::BadBodyLength);
    }
    // Each run's last request and sequence fit: a receiver adds up to
    // count - 1 to either.
    let fits = |r: &CommitRun| {
        let last = u64::from(r.count.get()).wrapping_sub(1);
        r.request.get().checked_add(last).is_some() && r.seq.get().checked_add(last).is_some()
    };
    if !runs.iter().all(|r| r.count.get() != 0 && r.seq.get() != 0 && fits(r)) {
        return Err(Error::BadRange);
    }
    Ok(Commit { head, runs })
}
