//! What the machines hand their application: a follower's [`Event`]s, and a
//! member's [`MemberEvent`]s (the same, and the changes of its role).

use super::{Epoch, NodeId, Seq};
use crate::wire::EventRef;

/// What a follower hands its application, in sequence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The next event, borrowed until the next call.
    Deliver(EventRef<'a>),
    /// Sequences `[first, end)` left the leader's ring before this follower
    /// got them: they are committed, but this follower cannot deliver them.
    Lost {
        /// First lost sequence.
        first: Seq,
        /// One past the last.
        end: Seq,
    },
    /// A leader of a newer epoch speaks, without this follower's history (a
    /// restarted leader starts empty). Reported once, after everything of the
    /// old epoch that could be delivered; nothing of the new epoch is taken.
    LeaderRestarted {
        /// The epoch this follower followed (one resumed on its journal
        /// that follows nobody yet: its journal's last epoch).
        old: Epoch,
        /// The epoch heard now.
        new: Epoch,
        /// Sequences `[first, end)` this follower holds past the last commit
        /// it heard: committed or not, nobody can now say (a client may have
        /// been told). Delivering on receipt, it delivered them up to
        /// where it delivers next (with a journal, what its journal held).
        in_doubt: Option<(Seq, Seq)>,
    },
}

/// What a member hands its application, in sequence order, and what it is
/// told of its role. The role it starts in is not announced: a new
/// cluster's members start leading (the configured leader, epoch 1) or
/// following it, read from [`Member::is_leader`](crate::core::Member::is_leader)
/// and [`Member::follower`](crate::core::Member::follower); a member
/// resumed from its journal, or rejoining, follows nobody until a leader
/// speaks (`Following`) or it is elected (`Elected`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberEvent<'a> {
    /// The next delivery, loss or leader restart, as a follower reports it
    /// (a member that leads reports deliveries and losses the same way).
    Log(Event<'a>),
    /// With failover: this member leads from now on, in `epoch`.
    Elected {
        /// Its epoch.
        epoch: Epoch,
        /// The commit it knew when elected: a delivery past it is the new
        /// epoch's first commit.
        commit: Seq,
        /// The last sequence of the log it starts with.
        log_end: Seq,
        /// It won only by counting, as an operator asked (`seqcast promote
        /// --count-incomplete-votes`), votes of members back without all of
        /// their log beside too few of members holding theirs: commits its
        /// log lacks, if any, are lost.
        counted_incomplete: bool,
    },
    /// With failover: this member follows `leader` in `epoch` from now on.
    Following {
        /// The leader's epoch.
        epoch: Epoch,
        /// The leader.
        leader: NodeId,
    },
    /// With failover: started as a new cluster's member, it held nothing
    /// when it first heard a leader, and that leader's `epoch` is newer
    /// than the one it was started in: the cluster may have run, and
    /// elected, without it (it may have been restarted without its state,
    /// and without --rejoin), or it stood down for that leader without
    /// ever holding anything; it cannot tell which. It follows that leader
    /// (see `Following`), but as a member started with --rejoin votes only
    /// once it holds what that leader had sequenced.
    JoinedEmpty {
        /// The epoch of the leader it heard.
        epoch: Epoch,
    },
    /// With failover: this member stands for election in `epoch`.
    Standing {
        /// The epoch it asks votes for.
        epoch: Epoch,
        /// An operator's `seqcast promote` (or, having stepped down for a
        /// promoted member that nobody elected, it stands again).
        forced: bool,
        /// How long the leader it followed had been silent (`None`: it
        /// has heard no leader since it started, or since it stepped down).
        silent_ns: Option<u64>,
        /// The leader that, stopping cleanly or its journal failed, handed
        /// this member its lead (see
        /// [`Member::hand_over`](crate::core::Member::hand_over)).
        handed_over_by: Option<NodeId>,
    },
    /// With failover: this member led `epoch` and leads no more: member
    /// `by` named `newer`, for the reason `cause` says.
    SteppedDown {
        /// The epoch it led.
        epoch: Epoch,
        /// The member whose frame made it step down.
        by: NodeId,
        /// The newer epoch that member named.
        newer: Epoch,
        /// Why.
        cause: StepDown,
    },
}

/// Why a leader stepped down ([`MemberEvent::SteppedDown`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepDown {
    /// A member refused it a vote in a newer epoch: it is fenced from this
    /// leader, whose commits cannot count it.
    Fenced,
    /// A member stood, promoted by an operator (a forced VOTE_REQUEST).
    Promoted,
    /// It heard the leader of a newer epoch, elected while this one was
    /// not heard (paused, or cut off from the others).
    Superseded,
}

/// A record a machine hands its driver to journal (DESIGN §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Append<'a> {
    /// The epoch of the leader that sent (or stamped) it.
    pub epoch: Epoch,
    /// The commit the machine knows now (recovery trusts the journal up to it).
    pub commit: Seq,
    /// The event.
    pub event: EventRef<'a>,
}

/// What a member's journal may claim in an election after a restart
/// (DESIGN §8): its log is a prefix of the log of the leader of `epoch`,
/// and, if `whole`, holds durably all that leader started its epoch with.
/// The driver keeps it beside the journal, persisting a change that is not
/// `whole` before the truncation and appends of the same turn, and one that
/// is after them (the machine says `whole` only of what was reported
/// durable). A member that resumes without a whole claim votes only once
/// it holds again what a leader says it has sequenced. A change of `promised`
/// is persisted before anything of its turn is sent: no vote leaves before
/// the promise it makes is on disk, at the journal's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalClaim {
    /// The epoch of the leader whose log the journal's is a prefix of.
    pub epoch: Epoch,
    /// The journal holds that leader's starting log, durably.
    pub whole: bool,
    /// The highest epoch the member stood in, voted in or followed: resumed,
    /// it neither grants a vote nor stands in that epoch or an older one,
    /// even when every member restarted at once and none remembers it.
    pub promised: Epoch,
}

/// How far past its log's epoch a claim file keeps a member's promise
/// (47 bits: about 4,400 years of epochs numbered in ms).
pub const PROMISE_AHEAD_MAX: u64 = (1 << 47) - 1;

impl JournalClaim {
    /// The claim as its file keeps it and a restart reads it back. One
    /// that is not whole resumes no log, but its epoch still says whose
    /// leader holds the commit the member knew: a restart checks any other
    /// epoch's leader against that commit (helper 127: one that kept its
    /// promise there took a leader elected short of its commit for that
    /// leader, and mixed two histories). A promise more than
    /// [`PROMISE_AHEAD_MAX`] ahead of its epoch takes the epoch's place, and
    /// gives up the claim, to keep the promise whole: a member would
    /// otherwise come back believing it promised less, and vote in that
    /// epoch again. An elected epoch is a wall clock in ms: a vote for one
    /// from a log of epoch 1 runs some 2^40 ahead, and a claim given up for
    /// it would leave a cluster stopped leader first (its lead handed over
    /// as it stopped, the others stopped before they took the new leader's
    /// log) with too few whole claims to elect anyone again.
    pub fn as_kept(self) -> JournalClaim {
        let fits = self.promised.get().saturating_sub(self.epoch.get()) <= PROMISE_AHEAD_MAX;
        let (epoch, whole) = if fits { (self.epoch, self.whole) } else { (self.promised, false) };
        JournalClaim { epoch, whole, promised: self.promised.max(epoch) }
    }
}
