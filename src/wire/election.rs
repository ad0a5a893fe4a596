//! Leader-failover frames: VOTE_REQUEST, VOTE and PROMOTE (DESIGN §2).
//!
//! A log is compared by its claim: the epoch of the leader whose log it is a
//! prefix of, then its length. A voter grants only to a candidate whose claim
//! is at least its own, so the winner holds every committed event.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::types::{Claim, Epoch, NodeId, Seq};

/// Header `flags` bit of a VOTE_REQUEST sent because an operator asked
/// (`seqcast promote`): voters grant it even while they hear a leader.
pub const FLAG_FORCED: u16 = 1;

/// Header `flags` bit of a PROMOTE (`seqcast promote
/// --count-incomplete-votes`): the member's candidacy counts the votes of
/// members back without all of their log ([`Ballot::GrantedEmpty`]) even
/// where too few members that hold theirs vote beside them. Builds that
/// know no such bit stand as for any PROMOTE.
pub const FLAG_COUNT_INCOMPLETE: u16 = 1;

/// Header `flags` bit of a VOTE_REQUEST whose candidate counts the votes
/// of members back without all of their log, as an operator asked (a
/// PROMOTE with [`FLAG_COUNT_INCOMPLETE`]). A voter that grants it such a
/// vote fences itself off from older leaders, as a holder's vote does, and
/// answers [`Ballot::GrantedEmptyFenced`]: an older leader counts none of
/// its later ACKs, so a commit the candidate lacks cannot be made with
/// them. Builds that know no such bit answer as before, and the candidate
/// does not count their [`Ballot::GrantedEmpty`] so.
pub const FLAG_COUNTING_INCOMPLETE: u16 = 2;

/// Header `flags` bit of a VOTE_REQUEST whose claim names the epoch its
/// candidate led since it last started: the log it claims holds every
/// event it sequenced there (one resumed from its journal may have lost
/// what it sent before its own write was durable). A member catching up
/// with that leader, told no bound, vouches for it. Builds that know no
/// such bit answer as before.
pub const FLAG_LED: u16 = 4;

/// VOTE_REQUEST body (candidate → group); the header's epoch is the epoch
/// the candidate stands for.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct VoteRequest {
    /// Epoch of the leader whose log the candidate's is a prefix of.
    pub log_epoch: U64,
    /// Last sequence of the candidate's log.
    pub log_seq: U64,
}
const _: () = assert!(size_of::<VoteRequest>() == 16);

impl VoteRequest {
    /// A request made with the candidate's `claim`.
    pub fn new(claim: Claim) -> VoteRequest {
        VoteRequest { log_epoch: claim.epoch.get().into(), log_seq: claim.seq.get().into() }
    }

    /// The candidate's claim.
    pub fn claim(&self) -> Claim {
        Claim { epoch: Epoch(self.log_epoch.get()), seq: Seq(self.log_seq.get()) }
    }
}

/// VOTE body (voter → candidate, unicast); the header's epoch is the epoch
/// voted on. It names the candidate it answers: a VOTE recorded on its way
/// to one candidate and replayed to another counts for nobody.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Vote {
    /// A [`Ballot`]: 1 granted, 0 refused, 2 granted by a voter that cannot
    /// tell whether it lost a log, 3 the same, fenced.
    pub granted: U32,
    /// The member whose VOTE_REQUEST this answers (or, in the refusal a
    /// fenced-off leader is sent, that leader).
    pub candidate: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// The voter's claim: epoch of its log.
    pub log_epoch: U64,
    /// The voter's claim: last sequence of its log.
    pub log_seq: U64,
}
const _: () = assert!(size_of::<Vote>() == 24);

/// A VOTE's answer (its `granted` word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ballot {
    /// Refused: the voter's log is longer, it promised this epoch or a
    /// newer one, it hears its leader, or it may not vote.
    Refused = 0,
    /// Granted.
    Granted = 1,
    /// Granted by a member that may be one that lost its log: started as
    /// a new cluster's, it holds nothing and has followed no leader (to a
    /// log of an epoch newer than the one it was started in), or, back
    /// empty, it has not caught up with the leader it follows, or it
    /// resumed a journal whose claim was not whole. Its vote
    /// counts only beside votes of members that hold a log, enough of them
    /// to meet every set that can commit (N − Q + 1). Read as a refusal by
    /// builds that know only 0 and 1.
    GrantedEmpty = 2,
    /// [`GrantedEmpty`](Ballot::GrantedEmpty), to a request with
    /// [`FLAG_COUNTING_INCOMPLETE`]: the voter fenced itself off from
    /// older leaders, so a candidate an operator asked to count such votes
    /// may count it without holders beside it; otherwise it counts as
    /// `GrantedEmpty` does. Read as a refusal by builds before it.
    GrantedEmptyFenced = 3,
}

impl Vote {
    /// A vote for `candidate`, sent with the voter's `claim`.
    pub fn new(candidate: NodeId, ballot: Ballot, claim: Claim) -> Vote {
        Vote {
            granted: (ballot as u32).into(),
            candidate: candidate.0.into(),
            reserved: 0.into(),
            log_epoch: claim.epoch.get().into(),
            log_seq: claim.seq.get().into(),
        }
    }

    /// The member it answers.
    pub fn candidate(&self) -> NodeId {
        NodeId(self.candidate.get())
    }

    /// The answer; any value but 1, 2 and 3 is a refusal.
    pub fn ballot(&self) -> Ballot {
        match self.granted.get() {
            1 => Ballot::Granted,
            2 => Ballot::GrantedEmpty,
            3 => Ballot::GrantedEmptyFenced,
            _ => Ballot::Refused,
        }
    }

    /// The voter's claim.
    pub fn claim(&self) -> Claim {
        Claim { epoch: Epoch(self.log_epoch.get()), seq: Seq(self.log_seq.get()) }
    }
}

/// PROMOTE body (operator → one member, unicast): stand for election now.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Promote {
    /// The member that should stand; others drop the frame (counted as
    /// an `election` reject).
    pub node: U16,
    /// Reserved; zero.
    pub reserved: U16,
    /// Reserved; zero.
    pub reserved2: U32,
}
const _: () = assert!(size_of::<Promote>() == 8);
