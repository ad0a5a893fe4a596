//! The election (DESIGN §2, failover): when a member stands, whom it votes
//! for, and the epoch rule, which lives here and nowhere else. Pure: it is
//! told what the member's role says of its log (a [`View`]) and returns the
//! [`Decision`]s that change the role, which [`Member`](super::Member) applies.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::timer::TimerTable;
use super::{Claim, ClientId, Config, Dest, Epoch, Failover, Nanos, NodeId, NodeSet, Seq, Transmit, Vouch};
use crate::wire::{
    Ballot, Busy, BusyReason, FLAG_COUNTING_INCOMPLETE, FLAG_FORCED, FLAG_LED, Header, Kind, Promote, SENDER_CLIENT,
    Vote, VoteRequest, emit,
};

/// Counters of the failover paths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElectionStats {
    /// Elections this member stood in: won, lost, or (at most one) still
    /// open.
    pub stood: u64,
    /// Elections it won.
    pub won: u64,
    /// Elections it lost: refused by too many, timed out, beaten, given
    /// up for a newer candidacy of its own (a promotion), or yielded.
    pub lost: u64,
    /// Votes it granted (one a candidate and epoch, however often asked).
    pub granted: u64,
    /// Candidacies it gave up, counted lost too, for another candidate in
    /// the same epoch whose log is more complete, or as complete with a
    /// lower node id, while no other member had granted it: it granted
    /// that one instead of splitting the vote.
    pub yielded: u64,
    /// Candidacies numbered by its floor ([`Member::stand_above`](super::Member::stand_above)):
    /// in an epoch above the one it would have stood in otherwise.
    pub floored: u64,
    /// Vote requests it refused, each time asked (a stale epoch, a vote
    /// already given, a less complete log, or a log it cannot vouch for).
    pub refused: u64,
    /// Vote requests ignored because its leader is alive.
    pub ignored: u64,
    /// Times it led and stepped down for a newer epoch (a fenced stale leader).
    pub stepped_down: u64,
    /// SUBMITs answered with "not leader".
    pub redirected: u64,
    /// Promotions asked for that it could not honour: failover is off, it
    /// still waits for the others' fences (rejoining), or it may not stand
    /// (it may not vote yet, it takes a new leader's log, or it never heard
    /// a leader).
    pub promote_refused: u64,
    /// Granted votes for an epoch it never stood for: nobody it asked.
    pub stray_votes: u64,
    /// Votes granted only as [`Ballot::GrantedEmpty`], counted only beside
    /// enough votes of members that hold a log: to a candidate that claims
    /// a log of an epoch newer than the one this member was started in,
    /// while this member holds nothing and has followed no leader; or to any
    /// candidate while, back empty (or new and late, or resumed on a claim
    /// that is not whole), it has not caught up with the leader it follows
    /// (or follows none yet). Either way it may have lost a log.
    pub granted_empty: u64,
    /// Votes it refused instead, where the commit quorum is above the
    /// election's (a lost promise could elect two leaders in one epoch).
    pub refused_empty: u64,
    /// VOTEs received for its own candidacies, granted or refused: none
    /// while it stands means no member hears it, or it hears none.
    pub answers: u64,
    /// PROMOTEs for this member naming an epoch it is not in (the lead
    /// moved since `seqcast promote` looked, or a replay): ignored.
    pub promote_stale: u64,
    /// Who granted (itself, and any vote counted only beside holders'),
    /// and who refused, the last candidacy it lost for want of votes or by
    /// its timeout; nobody else answered it. `None` before one.
    pub last_lost: Option<(NodeSet, NodeSet)>,
    /// The same of the last candidacy an operator asked for (`seqcast
    /// promote`) that it lost: its own candidacies after it would hide
    /// who refused that one.
    pub last_promoted_lost: Option<(NodeSet, NodeSet)>,
    /// Elections it lost though enough members granted it: too many of
    /// those votes were [`Ballot::GrantedEmpty`] (members back without all
    /// of their log: a damaged or lost journal), which count only beside
    /// enough votes of members that hold one.
    pub lost_for_holders: u64,
    /// Elections it won only by counting those votes without enough
    /// holders', as an operator asked (`seqcast promote
    /// --count-incomplete-votes`): commits its log lacked, if any, are
    /// lost.
    pub won_counting_incomplete: u64,
    /// Votes it refused only because the candidate's log did not cover
    /// how far its own journal reached before records were dropped from it
    /// ([`Member::damaged_reach`](super::Member::damaged_reach)).
    pub refused_for_reach: u64,
    /// The last candidate refused so, with the log it claimed.
    pub last_refused_for_reach: Option<(NodeId, Claim)>,
}

/// What the member's role says of its log, as the election needs it.
#[derive(Clone, Copy, Debug)]
pub(super) struct View {
    /// It leads.
    pub(super) leading: bool,
    /// The epoch it leads or follows ([`Epoch::ZERO`] until it knows one).
    pub(super) epoch: Epoch,
    /// What its log claims in an election.
    pub(super) claim: Claim,
    /// Its claim can be trusted in an election.
    pub(super) may_vote: bool,
    /// It follows, and its log is whole enough to stand with.
    pub(super) may_stand: bool,
    /// It reported events lost: it may not know every client's requests.
    pub(super) lost_any: bool,
    /// Started as a new cluster's member in this epoch, it holds nothing
    /// and has followed no leader: it cannot tell whether it lost a log.
    pub(super) empty_since: Option<Epoch>,
    /// It may not vote yet: back empty (or new and late), it follows a
    /// leader and does not yet hold what that leader had sequenced.
    pub(super) catching_up: bool,
    /// While it catches up: the logs it vouches for ([`Follower::vouch`](super::Follower::vouch)).
    pub(super) vouch: Option<Vouch>,
    /// The commit it knows: a log that ends below it lacks committed events.
    pub(super) commit: Seq,
    /// How far its journal reached before records were dropped from it,
    /// while its own log does not cover that
    /// ([`Member::damaged_reach`](super::Member::damaged_reach)): a log
    /// that does not gets no vote.
    pub(super) reach: Option<Reach>,
}

/// How far a member's journal reached before records were dropped from it
/// (damage, or those past its commit without a whole claim): its last
/// record, in that record's epoch, the epoch of the log it was (its claim
/// file's; `None` without one), and the newest epoch the records it
/// stands for may be of, where that is known apart from the log's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// The last record: its epoch and sequence.
    pub last: Claim,
    /// The epoch of the leader whose log the journal held (its claim's),
    /// if it is known.
    pub log_epoch: Option<Epoch>,
    /// No record it stands for is of a newer epoch: at damage, the newer of
    /// the reach's and the claim's (a damaged record's epoch may read
    /// lower); for the records past the commit of a restart without a whole
    /// claim, the newest epoch of the records held. Kept beside the reach
    /// over restarts (`None`: not known apart from `log_epoch`, which then
    /// bounds them). A member that took a newer leader's log, not yet
    /// whole, claims that leader's epoch; restarted then, its claim's epoch
    /// is no bound on records it lost before it followed that leader.
    pub records: Option<Epoch>,
}

impl Reach {
    /// The newest epoch its journal's log was of: its claim's, its last
    /// record's, or that of the records it stands for. A leader of a newer
    /// epoch was elected holding every commit of it, and a claim names
    /// such an epoch only once its log holds that leader's starting log.
    pub fn newest_epoch(&self) -> Epoch {
        self.log_epoch.unwrap_or(Epoch::ZERO).max(self.last.epoch).max(self.records.unwrap_or(Epoch::ZERO))
    }

    /// True if holding whole the starting log of the leader of `epoch`
    /// holds every commit it stands for: that leader is newer than every
    /// record it stands for, and not older than the log its claim names.
    /// A follower journals a record in the epoch of the leader that sent
    /// it, and ACKs only once its claim names that leader: every leader
    /// that counted one of those records toward a commit is older than
    /// `epoch`, and was followed by one elected holding that commit.
    /// Without [`records`](Self::records), newer than the claim's log too.
    ///
    /// Helper 194: a member back from damage that reached (3, 20), taking
    /// the log of epoch 4's leader, elected on a log of 6, claimed epoch 4,
    /// not whole. Restarted then, it took 4 for the epoch of the records
    /// it lost too, and whole in epoch 4 it refused every candidate short
    /// of 20, its own log among them, until that leader had sequenced past
    /// 20.
    pub fn released_by(&self, epoch: Epoch) -> bool {
        let log = self.log_epoch.unwrap_or(Epoch::ZERO);
        match self.records {
            Some(records) => epoch > records.max(self.last.epoch) && epoch >= log,
            None => epoch > self.newest_epoch(),
        }
    }

    /// True while a member whose own log claims `own` holds less than its
    /// journal did: fewer records, or records of an older log.
    pub fn active(&self, own: Claim) -> bool {
        own.seq < self.last.seq || own.epoch < self.last.epoch
    }

    /// True if a log of `claim` holds every record the journal held, for
    /// a member whose own log now claims `own`: a log at least as long of
    /// the newest epoch among its log's (its claim's), its last record's
    /// and the one it follows now (its log is a prefix of that leader's,
    /// which holds what it committed), as a whole member's claim compares;
    /// or a log of its last record's epoch at least as long, a prefix of
    /// the same leader's log.
    ///
    /// Helper 151: a record's epoch alone let a log of an epoch between,
    /// shorter, pass (a leader commits records of older epochs), and the
    /// claim's alone refused, for good, every member holding a log a new
    /// leader took as its own before it sequenced anything (the
    /// simulator's seed 13005839). Helper 152: without the claim's epoch
    /// (its file moved aside) the first holds only once it follows a
    /// leader at least as new as its records; and a member that follows a
    /// newer leader with fewer records than it held must not take a
    /// shorter prefix of that leader's log for one holding them.
    pub fn covered_by(&self, claim: Claim, own: Claim) -> bool {
        let same_log = claim.epoch == self.last.epoch && claim.seq >= self.last.seq;
        let known = self.log_epoch.is_some() || own.epoch >= self.last.epoch;
        let epoch = self.log_epoch.unwrap_or(Epoch::ZERO).max(self.last.epoch).max(own.epoch);
        same_log || (known && claim >= Claim { epoch, seq: self.last.seq })
    }
}

/// A change of role the election asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// Stand for election: a follower whose new leader died before it
    /// synced takes back the log it claims.
    Stand,
    /// Won `Epoch`: lead it with the log held; true where it counted
    /// votes of members back without all of their log beside too few
    /// holders', as an operator asked ([`Election::count_incomplete`]).
    Won(Epoch, bool),
    /// Lead no more, keeping the log. From a vote request, the request is
    /// to be handed back once the member follows.
    StepDown,
    /// A leader takes no new events until then, so that a member an
    /// operator promoted catches up with its log and can win.
    HoldIntake(Nanos),
}

/// What to do with a frame of a leader (DESIGN §3.7, fencing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Admit {
    /// Not yet: a member coming back first learns which leaders are stale.
    Wait,
    /// From a leader older than this member's fence: dropped.
    Fenced,
    /// From a leader of a newer epoch (or the first heard): follow it.
    Newer,
    /// From the epoch followed (or led).
    Current,
}

/// A vote request: who asks (and from where), for which epoch, with what
/// log, and whether an operator asked (`forced`, `seqcast promote`: granted
/// even by members that still hear a leader).
#[derive(Clone, Copy, Debug)]
pub(super) struct Request {
    pub(super) from: SocketAddr,
    pub(super) candidate: NodeId,
    pub(super) epoch: Epoch,
    pub(super) claim: Claim,
    pub(super) forced: bool,
    /// The candidate counts votes of members back without all of their
    /// log ([`FLAG_COUNTING_INCOMPLETE`]): such a vote fences its voter.
    pub(super) counting: bool,
    /// Its claim names the epoch it led since it last started ([`FLAG_LED`]).
    pub(super) led: bool,
}

/// A vote granted: in which epoch, to whom, and the ballot and claim it
/// went with, sent again as they were to a candidate that asks again (a
/// member that has followed a leader since its [`Ballot::GrantedEmpty`]
/// must not make it a holder's vote, which would count it as fenced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct VoteGiven {
    epoch: Epoch,
    candidate: NodeId,
    ballot: Ballot,
    claim: Claim,
    /// The epoch of the log the candidate claimed.
    candidate_log: Epoch,
}

/// A vote request put off while the leader was still heard, and when it came.
#[derive(Clone, Copy, Debug)]
struct Deferred {
    at: Nanos,
    request: Request,
}

/// A member's candidacy for `epoch`.
#[derive(Clone, Copy, Debug)]
struct Candidacy {
    epoch: Epoch,
    granted: NodeSet,
    refused: NodeSet,
    until: Nanos,
    /// When the VOTE_REQUEST last went out: unless forced, it is sent again
    /// every [`REQUEST_RESEND_DIVISOR`]th of an election timeout while the
    /// candidacy lasts (one lost datagram must not cost all of it).
    asked_at: Nanos,
    forced: bool,
    /// The leader that, stopping or its journal failed, handed this member
    /// its lead (a PROMOTE of a member rather than of `seqcast promote`).
    handed_by: Option<NodeId>,
    /// The longest log the refusals named beyond its own (a leader still
    /// taking events while this member stood, fenced from it).
    longer: Option<Claim>,
    /// Voters that granted it holding a log (claim past sequence 0), itself
    /// included when it holds one.
    held: NodeSet,
    /// Voters that granted it [`Ballot::GrantedEmpty`] (or fenced):
    /// counted only once `held` meets every set that can commit.
    empty: NodeSet,
    /// Of those, voters that fenced themselves off from older leaders
    /// ([`Ballot::GrantedEmptyFenced`]): an operator may count them
    /// without enough holders (`count_incomplete`).
    fenced: NodeSet,
    /// Forced candidacies in a row (an operator's promotion is retried a few
    /// times, soon after votes went missing or a leader refused it while it
    /// caught up).
    tries: u8,
    /// An operator asked that `fenced` count without enough holders
    /// ([`Election::count_incomplete`]); its requests say so.
    count_incomplete: bool,
}

/// A member that came back asks the others for the epoch they are fenced at.
#[derive(Clone, Copy, Debug)]
struct Rejoin {
    replies: NodeSet,
    fence: Epoch,
    asked_at: Option<Nanos>,
    /// What it promised before it stopped, when its journal's claim file
    /// says: it is then one of the members whose answer is known.
    own: Option<Epoch>,
}

impl Rejoin {
    /// Answers it needs from the others: enough, with its own if known, to
    /// meet every electing set of `quorum` among `nodes`.
    fn needed(&self, nodes: u16, quorum: usize) -> usize {
        usize::from(nodes) + 1 - quorum - usize::from(self.own.is_some())
    }
}

/// A frame the election (or the member, for a SUBMIT) owes.
#[derive(Clone, Copy, Debug)]
pub(super) enum Owed {
    /// A VOTE_REQUEST to the group (epoch 0: a rejoining member's question);
    /// `counting`: its candidacy counts incomplete votes that fenced.
    Request { epoch: Epoch, forced: bool, counting: bool },
    /// A VOTE to one member, `candidate` (it names whom it answers).
    /// `compared`: the claim a grant was given with (a candidate counts a
    /// voter whose claim holds events as a holder); `None`, the claim when
    /// it is sent.
    Vote { to: SocketAddr, candidate: NodeId, epoch: Epoch, ballot: Ballot, compared: Option<Claim> },
    /// A PROMOTE of `node` (at `to`): a leader stopping cleanly, or whose
    /// journal failed, hands it the lead.
    Promote { to: SocketAddr, node: NodeId },
    /// A BUSY "not leader" to a client, naming the leader if one is known.
    NotLeader { to: SocketAddr, client: ClientId, request: u64, leader: Option<NodeId> },
}

impl Owed {
    /// Writes the frame into `buf`: `header` names the sender, its cluster
    /// and its role's epoch, `claim` is its log's.
    pub(super) fn emit(self, buf: &mut [u8], header: Header, claim: Claim, led: bool) -> Transmit {
        let with_epoch = |kind: Kind, epoch: Epoch| Header { epoch: epoch.get().into(), ..header.with_kind(kind) };
        match self {
            Owed::Request { epoch, forced, counting } => {
                let mut header = with_epoch(Kind::VoteRequest, epoch);
                let counting = if counting { FLAG_COUNTING_INCOMPLETE } else { 0 };
                let led = if led && epoch != Epoch::ZERO { FLAG_LED } else { 0 };
                header.flags = (if forced { FLAG_FORCED } else { 0 } | counting | led).into();
                let len =
                    emit(buf, &header, Kind::VoteRequest, &VoteRequest::new(claim)).expect("mtu holds a VOTE_REQUEST");
                Transmit { dest: Dest::Group, len }
            }
            Owed::Vote { to, candidate, epoch, ballot, compared } => {
                let header = with_epoch(Kind::Vote, epoch);
                let vote = Vote::new(candidate, ballot, compared.unwrap_or(claim));
                let len = emit(buf, &header, Kind::Vote, &vote).expect("mtu holds a VOTE");
                Transmit { dest: Dest::Unicast(to), len }
            }
            Owed::Promote { to, node } => {
                let body = Promote { node: node.0.into(), reserved: 0.into(), reserved2: 0.into() };
                let len = emit(buf, &header.with_kind(Kind::Promote), Kind::Promote, &body).expect("mtu holds PROMOTE");
                Transmit { dest: Dest::Unicast(to), len }
            }
            Owed::NotLeader { to, client, request, leader } => {
                let body = Busy {
                    client: client.get().into(),
                    reason: u16::from(BusyReason::NotLeader).into(),
                    leader: leader.map_or(SENDER_CLIENT, |l| l.0).into(),
                    request: request.into(),
                    retry_ns: 0.into(),
                };
                let len = emit(buf, &header.with_kind(Kind::Busy), Kind::Busy, &body).expect("mtu holds BUSY");
                Transmit { dest: Dest::Unicast(to), len }
            }
        }
    }
}

/// Candidacies a promotion makes after its first, at most.
const FORCED_TRIES: u8 = 8;

/// A promoted member refused for a longer log looks whether it holds that
/// much this many times an election timeout.
const CATCH_UP_CHECKS: u64 = 16;

/// A candidate sends its VOTE_REQUEST again every election timeout
/// divided by this while votes are missing.
pub(super) const REQUEST_RESEND_DIVISOR: u64 = 8;

/// Most frames queued at once (a burst of vote requests or SUBMITs).
const OWED_MAX: usize = 64;

/// The election's timers, one slot each in its [`TimerTable`].
#[derive(Clone, Copy, Debug)]
enum Timer {
    /// A rejoining member asks again.
    Rejoin,
    /// The candidacy ends, lost.
    CandidacyEnd,
    /// An unforced candidate asks again.
    RequestResend,
    /// A deferred vote is settled by the leader's silence or its own age.
    Deferred,
    /// A forced candidacy is retried.
    StandAt,
    /// The leader's silence starts an automatic candidacy.
    Stand,
}

/// The election state of one member.
#[derive(Debug)]
pub(super) struct Election {
    id: NodeId,
    nodes: u16,
    failover: Failover,
    timeout_ns: Nanos,
    quorum: usize,
    /// Members whose ACKs commit (`Config::quorum`).
    commit_quorum: usize,
    /// Highest epoch stood in, voted in or followed: votes for older epochs
    /// are refused.
    promised: Epoch,
    /// Whom it voted for, and in which epoch (itself when it stood): asked
    /// again in that epoch while it runs, it gives the same answer (not
    /// after a restart: its journal keeps the epoch it promised, not whom
    /// to); a vote does not carry into a newer epoch it came to follow or
    /// learn of otherwise.
    voted: Option<VoteGiven>,
    /// The newest epoch it voted in with [`Ballot::GrantedEmpty`] (which
    /// fences nothing).
    granted_empty_in: Epoch,
    /// Highest epoch followed or voted in for another member: frames of
    /// older leaders are fenced off (while standing, `promised` fences too).
    fenced_below: Epoch,
    candidacy: Option<Candidacy>,
    /// It stands only in epochs above this ([`Election::stand_above`]).
    stand_above: Epoch,
    /// The epoch of its latest candidacy (0: none yet).
    last_stood: Epoch,
    /// Last frame from the leader followed (or when this member started).
    leader_at: Nanos,
    /// It has heard a leader since it started.
    heard_leader: bool,
    /// Last time it stood, lost, or granted a vote: the next automatic
    /// candidacy waits a timeout from whichever of the two is later.
    active_at: Nanos,
    /// When a fenced leader was last told of the newer epoch.
    noticed_at: Nanos,
    /// Coming back empty into a running cluster, it first asks the others
    /// which epoch they are in: it may have promised a newer epoch before it
    /// restarted, and must not help an older leader commit.
    rejoin: Option<Rejoin>,
    /// Extra random wait before standing, drawn anew after each election.
    jitter_ns: u64,
    /// Stand at this time even without silence (after a lost forced election).
    stand_at: Option<(Nanos, bool)>,
    /// After a forced candidacy refused for a longer log: stand again once
    /// its own log reaches this claim, or at this time at the latest.
    catch_up: Option<(Claim, Nanos)>,
    /// A vote request that came while this member still heard its leader:
    /// answered when that stops, if within an election timeout of asking.
    deferred: Option<Deferred>,
    forced_tries: u8,
    /// Forced candidacies count every granted vote, holders' or not, until
    /// one wins or the operator's retries end ([`Election::count_incomplete`]).
    count_incomplete: bool,
    rng: u64,
    owed: VecDeque<Owed>,
    stats: ElectionStats,
    /// The member, and the newer epoch, of the refused VOTE that made this
    /// leader step down, until the member takes it.
    fenced_by: Option<(NodeId, Epoch)>,
    /// The epoch the last PROMOTE it acted on named: `seqcast promote`
    /// repeats it until it hears the new leader, and those copies are no news.
    promote_named: Option<Epoch>,
    /// Each member's address by node id (`Config::members`; empty: none
    /// known), where a VOTE to it goes.
    members: Vec<SocketAddr>,
}

impl Election {
    /// The election of member `id` starting at `now`; with failover and
    /// `config.epoch` 0 it rejoins a running cluster.
    pub(super) fn new(config: &Config, id: NodeId, now: Nanos) -> Election {
        let seed = (u64::from(id.0) << 48) ^ u64::from(config.cluster_id) ^ now ^ 0x9e37_79b9_7f4a_7c15;
        let rejoining = config.failover != Failover::Off && config.epoch == Epoch::ZERO;
        let mut election = Election {
            id,
            nodes: config.nodes,
            failover: config.failover,
            timeout_ns: config.election_timeout_ns,
            quorum: config.election_quorum(),
            commit_quorum: config.quorum(),
            promised: config.epoch,
            voted: None,
            granted_empty_in: Epoch::ZERO,
            fenced_below: config.epoch,
            candidacy: None,
            stand_above: Epoch::ZERO,
            last_stood: Epoch::ZERO,
            leader_at: now,
            heard_leader: false,
            active_at: now,
            noticed_at: 0,
            rejoin: rejoining.then_some(Rejoin {
                replies: NodeSet::new(),
                fence: Epoch::ZERO,
                asked_at: None,
                own: None,
            }),
            jitter_ns: 0,
            stand_at: None,
            catch_up: None,
            fenced_by: None,
            promote_named: None,
            members: config.members.clone(),
            deferred: None,
            forced_tries: 0,
            count_incomplete: false,
            rng: seed,
            owed: VecDeque::with_capacity(OWED_MAX),
            stats: ElectionStats::default(),
        };
        election.jitter_ns = election.draw_jitter();
        election
    }

    /// Starts over as a member that rejoins (its leader had a history the
    /// cluster lacks), still bound by what it promised.
    pub(super) fn start_over(&mut self, config: &Config, now: Nanos) {
        let fresh = Election::new(&Config { epoch: Epoch::ZERO, ..config.clone() }, self.id, now);
        let lost = self.stats.lost + u64::from(self.candidacy.is_some());
        let stats = ElectionStats { stepped_down: self.stats.stepped_down + 1, lost, ..self.stats };
        let (promised, fenced_below, stand_above) = (self.promised, self.fenced_below, self.stand_above);
        *self = Election { stats, promised, fenced_below, stand_above, ..fresh };
    }

    /// Members that lost their claims (wiped journals, or none) count
    /// elections again from a new cluster's first epoch, and know nothing
    /// of those a run before them elected, whose logs other members may
    /// still hold: it stands only in epochs above `floor` (the milliseconds
    /// of its start, as a sequencer numbers its own), so that no epoch it
    /// leads names another log (DESIGN §2).
    pub(super) fn stand_above(&mut self, floor: Epoch) {
        self.stand_above = self.stand_above.max(floor);
    }

    /// While it rejoins: how many members answered where they are fenced,
    /// and how many answers it needs before it follows anyone.
    pub(super) fn rejoin_answers(&self) -> Option<(usize, usize)> {
        self.rejoin.as_ref().map(|rejoin| (rejoin.replies.len(), rejoin.needed(self.nodes, self.quorum)))
    }

    /// While it rejoins not knowing what it promised before (no claim of
    /// its own: started with --rejoin, moved aside, or a copy of another
    /// node's journal): a promise persisted now would read as known after
    /// a restart, and be counted as an answer of its own.
    pub(super) fn promise_unknown(&self) -> bool {
        self.rejoin.as_ref().is_some_and(|rejoin| rejoin.own.is_none())
    }

    /// A member resumed a journal whose records came in epochs up to
    /// `epoch`: it followed (or led) that epoch, and is bound as a follower
    /// of it is, whatever its claim says (one written by an older build
    /// while it rejoined after its claim was moved aside says less).
    pub(super) fn resumed_log_of(&mut self, epoch: Epoch) {
        self.promised = self.promised.max(epoch);
        self.fenced_below = self.fenced_below.max(epoch);
    }

    /// True once it has heard a leader it follows (since it started, or
    /// last started over).
    pub(super) fn has_heard_leader(&self) -> bool {
        self.heard_leader
    }

    /// Resumed from a journal: the epoch it promised before it stopped
    /// binds it still (it grants no vote and stands in none at or below),
    /// and, on record, answers its own question: it needs one answer fewer
    /// from the others (a three-member cluster with one member down can
    /// still take back a member restarted on its journal).
    pub(super) fn restore_promise(&mut self, now: Nanos, epoch: Epoch) {
        self.promised = self.promised.max(epoch);
        if let Some(rejoin) = self.rejoin.as_mut() {
            rejoin.own = Some(epoch);
            self.answered(now);
        }
    }

    /// Ends the rejoin once enough members answered: it is fenced where the
    /// newest of them is (its own promise among them: whether that was a
    /// vote or its own candidacy is not on record, and a vote fences).
    fn answered(&mut self, now: Nanos) {
        let Some(rejoin) = self.rejoin.as_ref() else { return };
        if rejoin.replies.len() < rejoin.needed(self.nodes, self.quorum) {
            return;
        }
        let fence = rejoin.fence.max(rejoin.own.unwrap_or(Epoch::ZERO));
        self.rejoin = None;
        self.promised = self.promised.max(fence);
        self.fenced_below = self.fenced_below.max(fence);
        self.leader_at = now;
    }

    /// Failover counters.
    pub(super) fn stats(&self) -> &ElectionStats {
        &self.stats
    }

    /// Counts a SUBMIT answered "not leader".
    pub(super) fn redirected(&mut self) {
        self.stats.redirected += 1;
    }

    /// The highest epoch stood in, voted in or followed, or the role's if newer.
    pub(super) fn promised(&self, role: Epoch) -> Epoch {
        self.promised.max(role)
    }

    /// Where a VOTE to `candidate` goes: its address in the cluster file,
    /// not the request's source (a request replayed from elsewhere would
    /// have every member answer there), else where its request came from.
    fn vote_to(&self, from: SocketAddr, candidate: NodeId) -> SocketAddr {
        self.members.get(candidate.index()).copied().unwrap_or(from)
    }

    /// Frames of leaders older than this are fenced off.
    pub(super) fn fence(&self) -> Epoch {
        if self.candidacy.is_some() { self.promised } else { self.fenced_below }
    }

    /// True while the leader it follows (or it, leading) is known alive.
    pub(super) fn hears_leader(&self, now: Nanos, view: &View) -> bool {
        view.leading || (view.epoch != Epoch::ZERO && now < self.leader_at + self.timeout_ns)
    }

    fn draw_jitter(&mut self) -> u64 {
        // SplitMix64: deterministic per member, so the simulator replays.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::types::mix64(self.rng) % self.timeout_ns.max(1)
    }

    /// Fencing never goes back (DESIGN §3.7): what it promised and where it
    /// fences only rise, and it never fences beyond what it promised.
    pub(super) fn check(&self, before: (Epoch, Epoch)) {
        invariant!(self.promised >= before.0, "promised {} fell to {}", before.0, self.promised);
        invariant!(self.fenced_below >= before.1, "fence {} fell to {}", before.1, self.fenced_below);
        invariant!(self.promised >= self.fenced_below, "fenced at {} beyond {}", self.fenced_below, self.promised);
        let (s, open) = (&self.stats, u64::from(self.candidacy.is_some()));
        invariant!(
            s.stood == s.won + s.lost + open,
            "stood {} = won {} + lost {} + open {open}",
            s.stood,
            s.won,
            s.lost
        );
    }

    /// What [`check`](Self::check) compares with.
    pub(super) fn fencing(&self) -> (Epoch, Epoch) {
        (self.promised, self.fenced_below)
    }

    /// Queues a frame to send (dropped beyond [`OWED_MAX`]).
    pub(super) fn owe(&mut self, owed: Owed) {
        if self.owed.len() < OWED_MAX {
            self.owed.push_back(owed);
        }
    }

    /// Its journal failed: a promise it made but could not make durable
    /// must not leave (a restart would forget it, and it could vote twice
    /// in one epoch). Granted VOTEs not yet sent and its candidacy's
    /// requests are dropped, and the candidacy is lost; refusals, a
    /// rejoining member's question and "not leader" replies still go.
    /// A grant so dropped is forgotten: asked again, it would go out
    /// with nothing on disk behind it (helper 151).
    pub(super) fn withdraw(&mut self, now: Nanos) {
        let before = self.owed.len();
        self.owed.retain(|owed| match owed {
            Owed::Vote { ballot, .. } => *ballot == Ballot::Refused,
            Owed::Request { epoch, .. } => *epoch == Epoch::ZERO,
            Owed::NotLeader { .. } | Owed::Promote { .. } => true,
        });
        if self.owed.len() < before {
            self.voted = None;
        }
        self.lose(now, false);
        (self.stand_at, self.catch_up, self.deferred, self.forced_tries) = (None, None, None, 0);
        self.count_incomplete = false;
    }

    /// The next frame owed, oldest first.
    pub(super) fn pop_owed(&mut self) -> Option<Owed> {
        self.owed.pop_front()
    }

    /// The member and epoch of the refused VOTE that made this leader step
    /// down ([`Decision::StepDown`] from [`on_vote`](Self::on_vote)).
    pub(super) fn take_fenced_by(&mut self) -> Option<(NodeId, Epoch)> {
        self.fenced_by.take()
    }

    /// The candidacy just started, for its notice: its epoch, whether it
    /// was forced, and how long the leader followed had been silent.
    pub(super) fn standing(&self, now: Nanos) -> Option<(Epoch, bool, Option<Nanos>, Option<NodeId>)> {
        // Stepping down leaves no leader heard (`leader_at` 0).
        let silent = (self.heard_leader && self.leader_at != 0).then(|| now.saturating_sub(self.leader_at));
        self.candidacy.map(|c| (c.epoch, c.forced, silent, c.handed_by))
    }

    /// A PROMOTE for this member named `epoch`, one it is in (`current`):
    /// acted on; or one it is not in: stale, unless it repeats the one
    /// acted on (`seqcast promote` sends until it hears the new leader).
    pub(super) fn promote_heard(&mut self, epoch: Epoch, current: bool) {
        if current {
            self.promote_named = Some(epoch);
        } else if self.promote_named != Some(epoch) {
            self.stats.promote_stale += 1;
        }
    }

    /// An operator asks (`seqcast promote --count-incomplete-votes`) that
    /// this member's forced candidacies, the one open included, count the
    /// votes of members back without all of their log
    /// ([`Ballot::GrantedEmpty`]) without enough holders' beside them:
    /// where more members lost log than the cluster can tell apart from
    /// lost commits (two damaged journals of three), none would be elected
    /// otherwise. Commits its log lacks, if any, are lost.
    /// Only votes of members that fenced themselves off from older
    /// leaders count so ([`Ballot::GrantedEmptyFenced`]): one that went on
    /// ACKing an older leader after its vote could commit, with that
    /// leader, what the candidate lacks (the simulator's seed 10001049 of
    /// `--failover --journal --damages 2 --promotions 2
    /// --count-incomplete --sync none`).
    /// Called only where a promotion was taken (it stands, or will again),
    /// so that a refused one leaves nothing set for a later candidacy; the
    /// open one's voters are asked again, saying so.
    pub(super) fn count_incomplete(&mut self, now: Nanos) -> Option<Decision> {
        self.count_incomplete = true;
        let candidacy = self.candidacy.as_mut().filter(|c| c.forced)?;
        if !candidacy.count_incomplete {
            candidacy.count_incomplete = true;
            let epoch = candidacy.epoch;
            self.owe(Owed::Request { epoch, forced: true, counting: true });
        }
        self.tally(now)
    }

    /// It stands on an operator's promotion, or will again soon (a forced
    /// candidacy that lost, retried).
    pub(super) fn standing_promoted(&self) -> bool {
        // A retry of a lost one counts its tries (a leader that stepped
        // down for a promoted member waits to stand too, but was promoted
        // by nobody).
        self.candidacy.is_some_and(|c| c.forced)
            || self.stand_at.is_some_and(|(_, forced)| forced && self.forced_tries > 0)
    }

    /// An operator asks this member to stand now. Returns `None` if it
    /// cannot (failover off, or its log is not whole), counting the refusal
    /// unless it leads already.
    /// `by`: the leader that, stopping or its journal failed, hands it the
    /// lead (`None`: an operator asks).
    pub(super) fn promote(&mut self, now: Nanos, view: &View, by: Option<NodeId>) -> Option<Decision> {
        if self.failover == Failover::Off || !view.may_stand || self.rejoin.is_some() {
            self.stats.promote_refused += u64::from(!view.leading);
            return None;
        }
        let decision = self.stand(now, view, true);
        if let Some(candidacy) = self.candidacy.as_mut() {
            candidacy.handed_by = by;
        }
        Some(decision)
    }

    fn stand(&mut self, now: Nanos, view: &View, forced: bool) -> Decision {
        // One it stands in already (a promotion came meanwhile) is given up.
        self.stats.lost += u64::from(self.candidacy.is_some());
        let next = self.promised.max(view.epoch);
        self.stats.floored += u64::from(self.stand_above > next);
        let epoch = next.max(self.stand_above).next();
        let own = VoteGiven {
            epoch,
            candidate: self.id,
            ballot: Ballot::Granted,
            claim: view.claim,
            candidate_log: view.claim.epoch,
        };
        (self.promised, self.voted, self.last_stood) = (epoch, Some(own), epoch);
        self.jitter_ns = self.draw_jitter();
        let until = now + self.timeout_ns + self.jitter_ns;
        let tries = if forced { std::mem::take(&mut self.forced_tries) } else { 0 };
        // Its own vote is a holder's only where its log holds what its
        // journal once reached: a log that covers that reach, or one of a
        // leader newer than the reach's epochs (its claim names that epoch
        // only once it holds that leader's starting log, which holds every
        // commit of older epochs). Otherwise, a whole claim over fewer
        // records than it ACKed before damage, it counts as a vote that may
        // have lost a log, beside holders only (helper 157: the simulator's
        // seed 13019018 of `--failover --journal --damages 2
        // --cluster-crashes 1 --promotions 2`, where such a member and one
        // holding 53 elected a log of 86, short of the commit 131).
        let covered = view
            .reach
            .is_none_or(|reach| view.claim.epoch > reach.newest_epoch() || reach.covered_by(view.claim, view.claim));
        let (granted, empty) = match covered {
            true => (NodeSet::of(self.id), NodeSet::new()),
            false => (NodeSet::new(), NodeSet::of(self.id)),
        };
        let (refused, fenced) = (NodeSet::new(), NodeSet::new());
        let held = if view.claim.seq > Seq::ZERO && covered { granted } else { NodeSet::new() };
        let (longer, handed_by) = (None, None);
        let count_incomplete = forced && self.count_incomplete;
        self.candidacy = Some(Candidacy {
            epoch,
            granted,
            refused,
            held,
            empty,
            fenced,
            until,
            asked_at: now,
            forced,
            handed_by,
            longer,
            tries,
            count_incomplete,
        });
        self.active_at = now;
        (self.stand_at, self.catch_up) = (None, None);
        self.stats.stood += 1;
        self.owe(Owed::Request { epoch, forced, counting: count_incomplete });
        Decision::Stand
    }

    /// Gives its candidacy up for a better candidate of its epoch (see
    /// `yields_to`): lost, but not for want of votes (`last_lost` and
    /// `lost_for_holders` are not its), and its requests not yet sent stay
    /// unsent (a vote granted to them would be wasted).
    fn give_way(&mut self, now: Nanos) {
        let Some(candidacy) = self.candidacy.take() else { return };
        self.stats.lost += 1;
        self.stats.yielded += 1;
        self.owed.retain(|owed| !matches!(owed, Owed::Request { epoch, .. } if *epoch == candidacy.epoch));
        self.active_at = now;
        self.jitter_ns = self.draw_jitter();
        self.count_incomplete = false;
    }

    /// Ends a candidacy that did not win; `timed_out` if too few answered.
    fn lose(&mut self, now: Nanos, timed_out: bool) {
        let Some(candidacy) = self.candidacy.take() else { return };
        self.stats.lost += 1;
        self.stats.last_lost = Some((candidacy.granted.union(candidacy.empty), candidacy.refused));
        if candidacy.forced {
            self.stats.last_promoted_lost = self.stats.last_lost;
        }
        let granted = candidacy.granted.union(candidacy.empty).len();
        self.stats.lost_for_holders += u64::from(granted >= self.quorum);
        self.active_at = now;
        self.jitter_ns = self.draw_jitter();
        if candidacy.forced && candidacy.tries < FORCED_TRIES {
            // An operator asked: try again soon, whether votes went missing
            // or the leader refused while this member caught up with it.
            // Refused for a longer log (the leader's, still growing when it
            // stood, whose frames it then fenced off): again once it holds
            // that much (the leader takes no new events meanwhile), within
            // a timeout.
            let pause = match candidacy.longer {
                Some(claim) => {
                    self.catch_up = Some((claim, now + self.timeout_ns));
                    (self.timeout_ns / CATCH_UP_CHECKS).max(1)
                }
                None if timed_out => self.jitter_ns,
                None => self.timeout_ns / 8,
            };
            self.stand_at = Some((now + pause, true));
            self.forced_tries = candidacy.tries + 1;
        } else {
            self.count_incomplete = false;
        }
    }

    /// What to do with a frame of a leader in `epoch`; a leader fenced off
    /// is told (once a timeout) that a newer epoch exists, or a leader that
    /// missed an election would keep it out forever.
    pub(super) fn admit(
        &mut self,
        now: Nanos,
        (from, sender): (SocketAddr, NodeId),
        epoch: Epoch,
        role: Epoch,
    ) -> Admit {
        if self.rejoin.is_some() {
            return Admit::Wait;
        }
        if epoch < self.fence() {
            // Only a promise to another (or a newer leader) deposes it: a
            // candidate that may still lose must not.
            if epoch < self.fenced_below && now >= self.noticed_at + self.timeout_ns {
                self.noticed_at = now;
                let to = self.vote_to(from, sender);
                self.owe(Owed::Vote {
                    to,
                    candidate: sender,
                    epoch: self.fenced_below,
                    ballot: Ballot::Refused,
                    compared: None,
                });
            }
            return Admit::Fenced;
        }
        if epoch > role || role == Epoch::ZERO { Admit::Newer } else { Admit::Current }
    }

    /// The leader followed was heard.
    pub(super) fn heard_leader(&mut self, now: Nanos) {
        (self.leader_at, self.heard_leader) = (now, true);
    }

    /// True if it granted `leader` its vote in `epoch` as a holder of a
    /// log, that candidate claiming a log of the same epoch as its own:
    /// both logs are prefixes of that epoch's leader's, so the leader's
    /// holds this member's records (a probe of its log is not needed).
    pub(super) fn vouched_for(&self, epoch: Epoch, leader: NodeId) -> bool {
        self.voted.is_some_and(|v| {
            (v.epoch, v.candidate, v.ballot) == (epoch, leader, Ballot::Granted) && v.candidate_log == v.claim.epoch
        })
    }

    /// True if its latest vote was one granted to `leader` in `epoch`, of
    /// any kind. A member back empty without `--rejoin` that lived through
    /// that election had ACKed, before it came back, no leader of a newer
    /// epoch, unless that election, held after the newer one, counted a
    /// promise it had lost. (A replayed request draws such a vote too: a
    /// member restarted without its state and without `--rejoin` is not
    /// safe from replays, nor from an older leader woken from a pause.)
    pub(super) fn voted_for(&self, epoch: Epoch, leader: NodeId) -> bool {
        self.voted.is_some_and(|v| (v.epoch, v.candidate) == (epoch, leader))
    }

    /// The member follows a leader of the newer `epoch` (it stepped down
    /// first if it led): a candidacy for it or an older one is lost.
    pub(super) fn follow(&mut self, now: Nanos, epoch: Epoch) {
        if self.candidacy.is_some_and(|c| c.epoch <= epoch) {
            self.candidacy = None;
            self.stats.lost += 1;
        }
        (self.forced_tries, self.count_incomplete) = (0, false);
        self.promised = self.promised.max(epoch);
        self.fenced_below = self.fenced_below.max(epoch);
        self.heard_leader(now);
        (self.stand_at, self.catch_up, self.deferred) = (None, None, None);
    }

    /// The member stepped down: it hears no leader now, and gives the one
    /// being elected time.
    pub(super) fn stepped_down(&mut self, now: Nanos) {
        self.stats.stepped_down += 1;
        (self.leader_at, self.active_at) = (0, now);
    }

    /// A VOTE_REQUEST. [`Decision::StepDown`] asks the member to step down
    /// and hand the request back; [`Decision::HoldIntake`] to slow its intake.
    pub(super) fn on_vote_request(&mut self, now: Nanos, request: Request, view: &View) -> Option<Decision> {
        let Request { from, candidate, epoch, claim, forced, counting, led } = request;
        if epoch == Epoch::ZERO {
            // A member that came back asks where this one is fenced: the
            // newest epoch whose election may count the asker's vote from
            // before it stopped. A candidate's own counts: it may hold that
            // vote, and would win with it while the asker, told an older
            // epoch, voted again in its epoch for another.
            let known = match &self.rejoin {
                // A vote that counts only beside holders fences nothing,
                // but an election may have counted it: the asker, back
                // empty, may have been one of those holders.
                None => self.fence().max(self.granted_empty_in),
                // Resumed on its claim: what it promised.
                Some(rejoin) if rejoin.own.is_some() => self.promised,
                // Back empty itself (or started over, a leader restarted
                // without --rejoin), it knows nothing of what it voted
                // for, and says so with epoch 0: two members that lost
                // their state together must not count as two of those
                // that meet every electing set.
                Some(_) => Epoch::ZERO,
            };
            let (fence, to) = (known.max(view.epoch), self.vote_to(from, candidate));
            self.owe(Owed::Vote { to, candidate, epoch: fence, ballot: Ballot::Refused, compared: None });
            return None;
        }
        // Empty, and never having followed anyone, it cannot tell a log it
        // never had from one it lost (a wiped journal, a restart without
        // --rejoin), when events committed with its ACKs would not count
        // against a candidate. A candidate with a log of an epoch newer than
        // the one it was started in shows that the cluster ran, and
        // elected, without it: it does not vouch alone. Its vote counts
        // only beside those of members holding a log, enough to meet every
        // set that can commit: one of them holds whatever was committed,
        // and grants only a log that holds it too. So does the vote of one
        // that came back empty (or started late) and, following a leader,
        // has not yet caught up with what it had sequenced: it would not
        // vote at all, and with two such members of four none could be
        // elected once that leader fell (the simulator's seed 100012481 of
        // `--failover --followers 3 --partitions 2 --leader-crashes 2
        // --promotions 2 --late-members 2`).
        let newer_log = view.empty_since.is_some_and(|start| claim.seq > Seq::ZERO && claim.epoch > start);
        // But one catching up whose leader said what it had sequenced, in
        // its epoch, vouches for a candidate whose log reaches that, as it
        // would once it held it: every event its ACKs from before it came
        // back may commit lies there, and so does every commit it knows.
        // Without that, members back empty and their leader gone elected
        // nobody for good: of five, one held the whole log, one its
        // commit, and three only part of what their leader had said (the
        // simulator's seed 105516509 of `--failover --crashes 3
        // --partitions 2 --pauses 2 --replay 0.3 --replay-as-sender`).
        // It says it holds that much: the candidate counts it among the
        // holders. Not where the commit quorum is above the election's: it
        // may have lost the promise of a vote (see `may_count` below).
        // With no bound heard, it vouches so for the leader it follows,
        // standing with its log of the epoch it led since it last started
        // ([`FLAG_LED`]): that log holds all it sequenced there (the
        // simulator's seed 105917448 of `--failover --crashes 3
        // --promotions 2 --pauses 2 --replay 0.3 --replay-as-sender`: that
        // leader deposed before its HEARTBEAT answered anyone, nothing
        // committed, and it had one vote besides its own of the three it
        // needed). Not for one resumed from its journal (helper 214): it
        // may have lost what it sent before its own write was durable,
        // which members' ACKs committed.
        let vouched = match view.vouch {
            Some(Vouch::Reaching(bound)) => (claim >= bound).then_some(bound),
            Some(Vouch::LedBy(leader)) => (led && leader == candidate && claim.epoch == view.epoch).then_some(claim),
            None => None,
        };
        let vouches =
            vouched.is_some() && claim.seq >= view.commit && view.reach.is_none() && self.quorum >= self.commit_quorum;
        let unknown = (view.may_vote && newer_log) || (view.catching_up && !vouches);
        let yields = self.yields_to(request, view, unknown);
        // A candidate asks again while it stands: the same vote, not counted again.
        let mut again = None;
        let granted = if epoch < self.promised {
            false
        } else if epoch == self.promised && !yields {
            // A repeated request: the same answer, with the ballot and the
            // claim it went with.
            again = self.voted.filter(|v| (v.epoch, v.candidate) == (epoch, candidate));
            if counting
                && let Some(given) = again.filter(|v| v.ballot == Ballot::GrantedEmpty)
                && claim >= view.claim
                && claim.seq >= view.commit
                && view.reach.is_none_or(|reach| reach.covered_by(claim, view.claim))
            {
                // Asked again by a candidate that now counts such votes: it
                // fences itself, holding nothing the candidate lacks (what it
                // ACKed since its vote, its claim covers).
                self.fenced_below = self.fenced_below.max(epoch);
                self.voted = Some(VoteGiven { ballot: Ballot::GrantedEmptyFenced, ..given });
            }
            again.is_some()
        } else if !forced && self.hears_leader(now, view) {
            // Its leader is alive: a member that lost touch must not depose
            // it. But this member may only have heard the leader's last
            // frame later than the candidate did (it read a backlog): if
            // the silence reaches it too, it answers then, while the
            // candidate still waits, rather than leave it to time out.
            self.stats.ignored += 1;
            if self.deferred.is_none_or(|d| d.request.epoch <= epoch) {
                self.deferred = Some(Deferred { at: now, request });
            }
            return None;
        } else if view.leading && claim < view.claim {
            // Promoted, but behind this leader's log: stay, take no new
            // events for a while so it catches up, and let it ask again.
            self.stats.refused += 1;
            let to = self.vote_to(from, candidate);
            self.owe(Owed::Vote { to, candidate, epoch: view.epoch, ballot: Ballot::Refused, compared: None });
            return Some(Decision::HoldIntake(now + self.timeout_ns));
        } else if view.leading {
            // Forced: step down, and follow whoever wins; if nobody does,
            // stand again (its log is the longest there was).
            self.stand_at = Some((now + 2 * self.timeout_ns, true));
            return Some(Decision::StepDown);
        } else {
            if yields {
                self.give_way(now);
            } else if self.candidacy.is_some() {
                self.lose(now, false);
            }
            self.promised = epoch;
            // Not while it rejoins: it may have voted in this epoch before
            // it restarted (a member that resumed its journal may vote).
            // A member that lost its state lost its promises too, and may
            // have voted in this epoch already. The holders that let its
            // vote count (N − Q + 1, none of them it) meet every electing
            // set of Qe only where Qe ≥ Q, and so hold the epoch to one
            // leader; with a commit quorum above the election's (Q above
            // a majority) it refuses, as it did before it could vote so.
            let may_count = !unknown || self.quorum >= self.commit_quorum;
            let may_vote = view.may_vote || view.catching_up;
            // A voter whose log vouches for nothing still knows what was
            // committed: a log short of that cannot be the one to elect
            // (only a cluster that lost committed events offers one).
            let short = unknown && claim.seq < view.commit;
            // Short of what its journal held before records were dropped,
            // where the vote counts without holders: a holder's, or one to a
            // candidate that counts such votes (one that does not counts
            // them only beside holders, one of which holds every commit: a
            // member back without its claim file, its log's epoch unknown,
            // must not refuse a newer log there; the simulator's seed 44 of
            // `--failover --journal --claim-losses 2`).
            let counts_alone = counting || !unknown;
            let short_of_reach = counts_alone && view.reach.is_some_and(|reach| !reach.covered_by(claim, view.claim));
            let grants = may_vote && claim >= view.claim && !short && self.rejoin.is_none() && may_count;
            if grants && short_of_reach {
                // Said in its leaderless warning: the candidate's own names
                // this member among those that refused it, not why (helper 156).
                self.stats.refused_for_reach += 1;
                self.stats.last_refused_for_reach = Some((candidate, claim));
            }
            let granted = grants && !short_of_reach;
            invariant!(granted || !yields, "yielded its candidacy in epoch {epoch} to node {candidate} and refused it");
            self.stats.refused_empty += u64::from(!may_count);
            if granted && unknown {
                self.granted_empty_in = epoch;
                self.stats.granted_empty += 1;
            }
            let ballot = match (unknown, counting) {
                (false, _) => Ballot::Granted,
                (true, false) => Ballot::GrantedEmpty,
                (true, true) => Ballot::GrantedEmptyFenced,
            };
            let candidate_log = claim.epoch;
            let compared = vouched.filter(|_| vouches).map_or(view.claim, |bound| bound.max(view.claim));
            self.voted = granted.then_some(VoteGiven { epoch, candidate, ballot, claim: compared, candidate_log });
            if granted && (!unknown || counting) {
                // Fenced from the old leader: its later commits must not count us.
                self.fenced_below = epoch;
            }
            if granted {
                // A vote that counts only beside the holders' fences nobody
                // (one a candidate counts without them does, above):
                // every set that can commit for an older leader holds one
                // of those holders, which ACKed before it voted, so the
                // candidate holds that commit too. Fenced, this member
                // would tell the leader it may not follow, which steps
                // down for an election that may need members still
                // catching up from it (the simulator's seed 99055573 of
                // `--failover --partitions 2 --pauses 2 --promotions 2`).
                // Give the candidate time to win before standing ourselves.
                self.active_at = now;
            }
            granted
        };
        self.stats.granted += u64::from(granted && again.is_none());
        self.stats.refused += u64::from(!granted);
        // A refusal names the epoch this member is at, so a candidate that
        // fell behind stands next time above it.
        let epoch = if granted { epoch } else { epoch.max(self.promised) };
        let to = self.vote_to(from, candidate);
        // A grant carries the claim compared: the member may take a newer
        // leader's log before the VOTE leaves, in the same turn.
        let (ballot, compared) = match self.voted.filter(|_| granted) {
            Some(given) => (given.ballot, Some(given.claim)),
            None => (Ballot::Refused, None),
        };
        self.owe(Owed::Vote { to, candidate, epoch, ballot, compared });
        None
    }

    /// True if this member, standing in the epoch of `request`, gives its
    /// candidacy up and grants that candidate instead. Two members whose
    /// timers fire within a request's flight (and a journal's write of the
    /// promise before it) of each other stand in one epoch, each with its
    /// own vote; of three members with one down neither can win, and the
    /// next try waits a timeout and a jitter. At most one of two such
    /// candidates yields: the one whose log is less complete, or as
    /// complete with the higher id. Its vote for itself went to no one
    /// else, and a candidacy given up never counts it, so it still grants
    /// one candidate in the epoch; its promise of the epoch is already
    /// durable, or written before this grant leaves. Only where it would
    /// have granted that candidate had it not stood (it holds a log it can
    /// vouch for and nothing its journal lost, and an operator did not ask
    /// it to stand), and only while no other member granted it: votes
    /// given it would be wasted, and with them it may win where the other
    /// cannot (of five members with one down, two that granted the less
    /// complete candidate refuse the other).
    fn yields_to(&self, request: Request, view: &View, unknown: bool) -> bool {
        let Request { candidate, epoch, claim, .. } = request;
        let alone = |c: &Candidacy| c.granted.union(c.empty).len() <= 1;
        let standing = self.candidacy.is_some_and(|c| c.epoch == epoch && !c.forced && alone(&c))
            && self.voted.is_some_and(|v| (v.epoch, v.candidate) == (epoch, self.id));
        let better = claim > view.claim || (claim == view.claim && candidate < self.id);
        standing
            && epoch == self.promised
            && candidate != self.id
            && better
            && view.may_vote
            && !unknown
            && view.reach.is_none()
            && self.rejoin.is_none()
    }

    /// A VOTE from `voter` in `epoch`.
    pub(super) fn on_vote(
        &mut self,
        now: Nanos,
        (voter, claim): (NodeId, Claim),
        epoch: Epoch,
        ballot: Ballot,
        view: &View,
    ) -> Option<Decision> {
        let granted = ballot != Ballot::Refused;
        if let Some(rejoin) = self.rejoin.as_mut() {
            // One back empty itself says so (epoch 0): it knows nothing of
            // what it voted for, so it is none of the answers that meet
            // every electing set, not even once every other member has
            // answered: members that lost their state with the log of a
            // newer epoch may have committed events under sequences an
            // older leader, still answering with its own epoch, would give
            // out again.
            if epoch != Epoch::ZERO {
                rejoin.replies.insert(voter);
                rejoin.fence = rejoin.fence.max(epoch);
            }
            // Enough answers to meet every electing set: the newest epoch
            // that may have committed anything is among them.
            self.answered(now);
            return None;
        }
        if !granted {
            self.promised = self.promised.max(epoch);
            if view.leading && epoch > view.epoch {
                // A member is fenced off from this leader by a newer epoch:
                // it cannot count on that member's ACKs again. Step down, so
                // that an election brings everyone into one epoch.
                self.fenced_by = Some((voter, epoch));
                return Some(Decision::StepDown);
            }
        }
        if granted && epoch != self.last_stood {
            self.stats.stray_votes += 1;
        }
        if let Some(candidacy) = self.candidacy.as_mut().filter(|c| c.forced)
            && !granted
            && claim > view.claim
        {
            // Promoted, and behind a voter's log: once this candidacy is
            // lost, it stands again when it holds as much.
            candidacy.longer = candidacy.longer.max(Some(claim));
            if epoch < candidacy.epoch && epoch == view.epoch {
                // The refusal of the leader it follows, in its own epoch
                // (which the candidacy fences off), holding its intake
                // meanwhile: no vote of this candidacy can make up for it
                // soon enough. Give it up now and take the leader's frames.
                self.stats.answers += 1;
                self.lose(now, false);
                return None;
            }
        }
        let ours = |c: &&mut Candidacy| c.epoch == epoch || (!granted && epoch > c.epoch);
        let candidacy = self.candidacy.as_mut().filter(ours)?;
        self.stats.answers += 1;
        let votes = match ballot {
            Ballot::Granted => &mut candidacy.granted,
            Ballot::GrantedEmpty => &mut candidacy.empty,
            Ballot::GrantedEmptyFenced => {
                candidacy.fenced.insert(voter);
                &mut candidacy.empty
            }
            Ballot::Refused => &mut candidacy.refused,
        };
        votes.insert(voter);
        // A voter that answered GrantedEmpty once is none of the holders,
        // whatever it answers again (it was not fenced by that vote).
        if ballot == Ballot::Granted && claim.seq > Seq::ZERO && !candidacy.empty.contains(voter) {
            candidacy.held.insert(voter);
        }
        self.tally(now)
    }

    /// Counts the open candidacy's votes: won, lost (refused by too many),
    /// or neither yet.
    fn tally(&mut self, now: Nanos) -> Option<Decision> {
        let candidacy = self.candidacy.as_ref()?;
        // Votes of members that may have lost a log count once those of
        // members holding one meet every set that can commit.
        let holders_meet_commits = candidacy.held.len() > usize::from(self.nodes) - self.commit_quorum;
        // An operator may count them anyway (two damaged journals of
        // three), those of voters fenced off from older leaders.
        let counted = match (holders_meet_commits, candidacy.count_incomplete) {
            (true, _) => candidacy.granted.union(candidacy.empty),
            (false, true) => candidacy.granted.union(candidacy.fenced),
            (false, false) => candidacy.granted,
        };
        let (yes, no) = (counted.len(), candidacy.refused.len());
        if yes >= self.quorum {
            let incomplete = !holders_meet_commits && candidacy.granted.len() < self.quorum;
            self.stats.won_counting_incomplete += u64::from(incomplete);
            return self.win(incomplete);
        }
        if no > usize::from(self.nodes) - self.quorum {
            // Refused by too many: its log is behind, or the epoch is taken.
            self.lose(now, false);
        }
        None
    }

    fn win(&mut self, incomplete: bool) -> Option<Decision> {
        let candidacy = self.candidacy.take()?;
        self.count_incomplete = false;
        self.fenced_below = self.fenced_below.max(candidacy.epoch);
        self.stats.won += 1;
        Some(Decision::Won(candidacy.epoch, incomplete))
    }

    /// Called when `poll_timeout` passes; at most one decision (a candidacy).
    pub(super) fn handle_timeout(&mut self, now: Nanos, view: &View) -> Option<Decision> {
        let timers = self.timers(view);
        let due = |timer: Timer| timers.expired(timer as usize, now);
        if due(Timer::Rejoin)
            && let Some(rejoin) = self.rejoin.as_mut()
        {
            rejoin.asked_at = Some(now);
            self.owe(Owed::Request { epoch: Epoch::ZERO, forced: false, counting: false });
        }
        if due(Timer::CandidacyEnd) {
            self.lose(now, true);
        }
        if due(Timer::RequestResend)
            && let Some(candidacy) = self.candidacy.as_mut()
        {
            // A voter asked again says the same. (A forced candidacy has
            // its own retries, and asking a leader again would hold its
            // intake longer.)
            candidacy.asked_at = now;
            let (epoch, counting) = (candidacy.epoch, candidacy.count_incomplete);
            self.owe(Owed::Request { epoch, forced: false, counting });
        }
        if let Some(d) = self.deferred
            && (now >= d.at + self.timeout_ns || !self.hears_leader(now, view))
        {
            self.deferred = None;
            if now < d.at + self.timeout_ns {
                // Unforced, and the leader silent: never a role change.
                let decision = self.on_vote_request(now, d.request, view);
                invariant!(decision.is_none(), "a deferred vote changes no role: {decision:?}");
            }
        }
        let mut decision = None;
        if let Some((at, forced)) = self.stand_at
            && now >= at
        {
            self.stand_at = None;
            if let Some((claim, until)) = self.catch_up
                && view.claim < claim
                && now < until
            {
                // Not there yet: look again a little later.
                let check = (self.timeout_ns / CATCH_UP_CHECKS).max(1);
                self.stand_at = Some(((now + check).min(until), forced));
            } else if view.may_stand && (forced || !self.hears_leader(now, view)) {
                decision = Some(self.stand(now, view, forced));
            }
        }
        if self.stand_time(view).is_some_and(|at| now >= at) {
            decision = Some(self.stand(now, view, false));
        }
        decision
    }

    /// When an automatic candidacy would start, if the leader stays quiet.
    fn stand_time(&self, view: &View) -> Option<Nanos> {
        let auto =
            self.failover == Failover::Auto && self.candidacy.is_none() && view.may_stand && self.rejoin.is_none();
        // One that never heard a leader gives it time to start (a process
        // that pre-faults its buffers takes a while); one that lost events
        // waits longer, so that one knowing every client's requests wins.
        let wait = self.timeout_ns
            * if !self.heard_leader {
                10
            } else if !view.lost_any {
                1
            } else {
                3
            };
        auto.then_some(self.leader_at.max(self.active_at) + wait + self.jitter_ns)
    }

    fn timers(&self, view: &View) -> TimerTable<6> {
        let timeout_ns = self.timeout_ns;
        let resend_ns = (timeout_ns / REQUEST_RESEND_DIVISOR).max(1);
        let mut timers = TimerTable::new();
        timers.set(Timer::Rejoin as usize, self.rejoin.map(|r| r.asked_at.map_or(0, |at| at + timeout_ns)));
        timers.set(Timer::CandidacyEnd as usize, self.candidacy.map(|c| c.until));
        let resend = self.candidacy.filter(|c| !c.forced).map(|c| c.asked_at + resend_ns);
        timers.set(Timer::RequestResend as usize, resend);
        // A leader hears itself: only the request's age settles it.
        let silence = if view.leading { Nanos::MAX } else { self.leader_at };
        timers.set(Timer::Deferred as usize, self.deferred.map(|d| d.at.min(silence) + timeout_ns));
        timers.set(Timer::StandAt as usize, self.stand_at.map(|(at, _)| at));
        timers.set(Timer::Stand as usize, self.stand_time(view));
        timers
    }

    /// When the election next needs `handle_timeout` with no input.
    pub(super) fn poll_timeout(&self, view: &View) -> Option<Nanos> {
        self.timers(view).next()
    }
}
