//! The follower: takes DATA, RETRANSMIT and HEARTBEAT from the leader, NAKs
//! gaps, ACKs what it holds, and delivers events strictly in sequence order.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::NewestStamp;
use super::timer::TimerTable;
use super::window::{Insert, NakLimits, Popped, Window};
use super::{
    Append, Claim, Config, ConfigError, Deliver, Dest, Epoch, Event, Failover, JournalClaim, Nanos, NodeId, Peers,
    Rejects, Seq, Transmit, admits, parse,
};
use crate::wire::{
    Ack, Batch, Busy, BusyReason, Datagram, EventRef, FLAG_SERVED, FLAG_TOLD, Frame, FrameWriter, Header, Heartbeat,
    Kind, NAK_RANGES_MAX, SENDER_CLIENT, SeqRange, emit,
};

mod first;
mod history;
mod probe;

use first::FirstHeard;
pub(super) use history::is_served;
use history::{Gone, SERVE_WAIT_NS};
pub use probe::ShortLeader;
use probe::{PROBE_RETRY_MAX_NS, Probe};

/// An idle follower ACKs a HEARTBEAT at least this often (PROTOCOL.md): its
/// leader tells a silent follower from an idle one.
pub const KEEPALIVE_NS: Nanos = 250_000_000;

/// Retries of what a leader is still serving wait for its repairs at most
/// this long after the last came ([`Follower::repairs_coming`]).
const REPAIR_HOLD_MAX_NS: Nanos = 1_000_000_000;

/// A follower whose ACKs a commit made needless (see
/// [`FollowerStats::acks_covered`]) still ACKs what it holds at least this
/// often: its leader's view of it, and of its lag, is never older.
pub const ACK_REFRESH_NS: Nanos = 10_000_000;

/// How many times a follower's `nak_events_max` an observer keeps asked for.
const OBSERVER_ASKED: usize = 4;

/// Clients a follower owes a "not the leader" answer at once, at most.
const REDIRECTS_MAX: usize = 8;

/// Counters of every protocol path the follower runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FollowerStats {
    /// Events received and kept.
    pub events_received: u64,
    /// Events received twice (or after delivery), dropped.
    pub duplicates: u64,
    /// Events beyond the window, dropped (NAKed later).
    pub beyond_window: u64,
    /// Sequences found missing (each gap counts its length).
    pub gaps: u64,
    /// NAK datagrams sent.
    pub naks_sent: u64,
    /// Sequences asked for in NAKs (retries counted again).
    pub events_nakked: u64,
    /// ACK datagrams sent.
    pub acks_sent: u64,
    /// ACKs not sent: by the time they would have left, a commit heard
    /// from the leader already covered what they said (the other followers'
    /// ACKs made that commit; this one's could not move it).
    pub acks_covered: u64,
    /// Events of a leader joined that were not taken: at or below the
    /// commit this follower knew, before that leader's HEARTBEAT showed its
    /// log reaches it (asked again after).
    pub unproven: u64,
    /// ACKs not sent: its member is fenced off from this leader's epoch
    /// (it voted in, or stands for, a newer one).
    pub acks_fenced: u64,
    /// Events delivered to the application.
    pub delivered: u64,
    /// Sequences reported lost to the application.
    pub lost: u64,
    /// HEARTBEATs received.
    pub heartbeats: u64,
    /// Events received from members that do not lead, asked for after the
    /// leader said it no longer had them (with failover).
    pub events_from_members: u64,
    /// Sequences the leader said it no longer had that were asked of
    /// another member (each member asked counts them again).
    pub events_asked_of_members: u64,
    /// Answers of a member for ranges no longer asked of it (it answered
    /// late: they came meanwhile, were passed on for its silence, or
    /// lost), dropped.
    pub served_late: u64,
    /// NAKs this member answered while it followed (from its journal,
    /// what it knew committed).
    pub naks_served: u64,
    /// Events it sent for them.
    pub events_served: u64,
    /// Events held past the last known commit and dropped on joining a new
    /// leader (it resends what it has there; what it lacks never committed).
    pub suffix_dropped: u64,
    /// SUBMITs that reached this follower (not a member), each answered
    /// that it does not lead, naming its leader.
    pub submits_redirected: u64,
    /// Leaders of a newer epoch it went on with: one elected (with
    /// failover), or a sequencer restarted on a log reaching what it had.
    pub leaders_joined: u64,
    /// With failover: leaders joined whose log was taken on where it starts
    /// alone (or, the leader of the epoch of the log this member resumed,
    /// as it was), without its event at this member's last kept sequence
    /// compared: it had left their history (UNRECOVERABLE), or this member
    /// had no record there (a commit file past its journal's records).
    pub leaders_unchecked: u64,
    /// With failover: leaders of the epoch of the log this member resumed
    /// from its journal that sent their event at its last sequence, and
    /// were followed for it being its own (DESIGN §2).
    pub own_leaders_shown: u64,
    /// With keys: NAKs asking for a HEARTBEAT that answers their nonce
    /// ([`NakHead::fresh`](crate::wire::NakHead::fresh)), which alone says, with failover, what a
    /// member back empty must hold before it votes, and without, the first
    /// epoch a new follower or tail follows.
    pub fresh_asks_sent: u64,
}

/// A NAK asking the leader for a HEARTBEAT that answers its nonce.
#[derive(Clone, Copy, Debug)]
struct FreshAsk {
    nonce: u32,
    /// When it goes again.
    due: Nanos,
    tries: u32,
}

impl FreshAsk {
    /// A nonce from the driver's `seed` (the OS's randomness) and the
    /// time: no recording of an earlier life's answer carries it.
    fn new(seed: u64, now: Nanos) -> FreshAsk {
        let nonce = (crate::types::mix64(seed ^ now.rotate_left(17)) as u32).max(1);
        FreshAsk { nonce, due: now, tries: 0 }
    }
}

impl FollowerStats {
    /// What it heard of its leader: HEARTBEATs and every event that came,
    /// kept or not (a tail started ahead of the log drops what comes before
    /// its start as already delivered). Unchanged for a while: the leader
    /// is silent.
    pub fn leader_frames(&self) -> u64 {
        self.heartbeats + self.events_received + self.duplicates + self.beyond_window
    }
}

/// What a member catching up to vote vouches for, as it will once it
/// holds what it must ([`Follower::vouch`]): every event an ACK it sent
/// before it came back may yet commit lies in such a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vouch {
    /// A log reaching what its leader said it had sequenced, in that
    /// leader's epoch (the HEARTBEAT came after it came back, and its
    /// leader was elected holding every older commit).
    Reaching(Claim),
    /// Told nothing since it came back (that HEARTBEAT lost, or its leader
    /// deposed first): the log of the leader it follows, claimed by that
    /// leader in the process that led its epoch
    /// ([`FLAG_LED`](crate::wire::FLAG_LED)), which holds every event it
    /// sequenced there.
    LedBy(NodeId),
}

/// The follower's timers, one slot each in its [`TimerTable`].
#[derive(Clone, Copy, Debug)]
enum Timer {
    /// It holds uncommitted events: an ACK goes out every `ack_interval_ns`
    /// while its leader speaks, a keepalive apart while it is silent.
    Ack,
    /// The earliest missing sequence is due for a NAK.
    Nak,
    /// A member asked for a range the leader no longer has is passed over.
    Gone,
}

/// A follower taking a new leader's log: until it holds everything up to the
/// log the new leader started with, its claim in an election stays that of
/// its old log, and it sends no ACK (DESIGN §2, failover).
#[derive(Clone, Debug)]
struct Sync {
    /// The new leader's `epoch_start`, once a HEARTBEAT has said it.
    start: Option<u64>,
    /// The claim of the log held before.
    claim: Claim,
    /// The records of that log past its known commit, back to back from
    /// `old_first`: kept so that the claim stays true (a follower whose new
    /// leader died before it synced may stand with the log it claims).
    old: Vec<u8>,
    old_first: u64,
    /// The window holds the old log again (its member stood for election):
    /// the next frame of the leader joined starts the sync over.
    restored: bool,
}

/// The follower state machine.
pub struct Follower {
    config: Config,
    header: Header,
    window: Window,
    /// The leader followed (`None` for a leader that stepped down, until
    /// a newer one speaks).
    leader: Option<NodeId>,
    leader_addr: Option<SocketAddr>,
    /// The epoch of the leader whose log this follower's is a prefix of.
    log_epoch: Epoch,
    /// Where that leader's log started (its `epoch_start`): what the
    /// journal must hold durably before it may claim `log_epoch` after a
    /// restart ([`journal_claim`](Self::journal_claim)).
    log_start: u64,
    sync: Option<Sync>,
    /// A follower that started empty in a running cluster may have been part
    /// of a commit quorum before it restarted: it votes only once it holds
    /// everything its leader had sequenced when it first heard it, as its
    /// ACKs from before it came back may yet commit any of that (a paused
    /// leader reads them late) (`None`: not yet known).
    vote_after: Option<u64>,
    /// `vote_after` came from a HEARTBEAT of a leader of this epoch (it
    /// came back empty).
    vote_after_heard: Option<Epoch>,
    /// No ACK it sent before it came back may commit in an epoch newer than
    /// its leader's: it rejoined (and so follows no leader of an epoch
    /// older than the others are fenced at), resumed its journal (its
    /// promises kept), or, back empty, it voted in its leader's epoch (see
    /// [`vouch`](Self::vouch)).
    bound_newest: bool,
    /// With keys: the NAK asking for a HEARTBEAT that answers its nonce,
    /// which alone may set `vote_after`, or, without failover, the first
    /// epoch it follows (see [`asks_fresh`](Self::asks_fresh)).
    fresh: Option<FreshAsk>,
    /// Without failover, with keys, following no epoch yet: the leaders
    /// heard, which its ask goes to.
    first_heard: Option<FirstHeard>,
    /// A newer epoch heard, not yet reported; then kept to refuse it.
    epoch_new: Option<Epoch>,
    /// Where the latest frame of a newer epoch than the one followed came
    /// from (see [`newer_from`](Self::newer_from)).
    newer_from: Option<SocketAddr>,
    epoch_reported: bool,
    /// A leader of a newer epoch that started it from a log short of what
    /// this follower knows committed (see [`short_leader`](Self::short_leader)).
    /// Refused, as `epoch_new`.
    short_leader: Option<ShortLeader>,
    /// Leader frames (DATA, HEARTBEAT, repair) of an older epoch than this
    /// follower's, dropped, and the epoch of the latest.
    older_leader: (u64, Epoch),
    /// With failover: a leader joined whose HEARTBEAT has not yet shown
    /// where its log starts: the commit learned under older epochs, which
    /// that log must reach (the winner of an election holds every committed
    /// event), and the epoch of the log this follower had.
    unshown: Option<(u64, Epoch)>,
    /// With failover: the record its leader joined must hold the same,
    /// asked of it before its log is shown (see [`Probe`]).
    probe: Option<Probe>,
    /// Records of its resumed journal, and their sequences (at its commit,
    /// and at the last it delivered on receipt, now or before it
    /// restarted): a probe's when its window
    /// no longer has them.
    anchors: Vec<(u64, Vec<u8>)>,
    /// The epoch its resumed journal's last record came in: that leader's
    /// frames need no proof that its log reaches this follower's.
    resumed_epoch: Epoch,
    /// A member resumed from a claim that was not whole (it stopped while
    /// catching up), its promises kept: see
    /// [`catching_up_to_vote`](Self::catching_up_to_vote).
    resumed_unsure: bool,
    /// The highest commit heard from a leader (what is known committed may
    /// be more: see [`commit`](Self::commit)).
    commit: u64,
    seen: u64,
    /// Where its leader's live stream started (see
    /// [`live_from`](Self::live_from); 0: not yet heard).
    live_from: u64,
    rtt_ns: u64,
    ack_sent: u64,
    /// With a journal (DESIGN §8): the last sequence handed to the driver to
    /// append (sequences reported lost are passed over), the last one that
    /// was a record, and the last the driver reported durable.
    appended: u64,
    last_record: u64,
    durable: u64,
    /// Its journal failed (the driver says): it ACKs nothing more.
    journal_failed: bool,
    /// Dropped past the commit on following a resumed leader: the journal
    /// must drop it too.
    truncate_to: Option<u64>,
    /// The journal's records up to this one stay until the window holds it
    /// again (see [`poll_truncate`](Self::poll_truncate)).
    truncate_after: u64,
    /// What a leader of a newer epoch must show its log reaches, from
    /// the leaders before (it never falls): see `same_epoch`.
    floor: u64,
    /// The first epoch refused as older than its journal's log (see
    /// [`older_refused`](Self::older_refused)).
    older_refused: Option<Epoch>,
    /// Without failover, with a journal: the epoch of the last sequencer
    /// whose log it refused for lacking what it knows committed, kept
    /// beside its journal (see [`refused_log`](Self::refused_log)).
    refused_log: Option<Epoch>,
    /// With a journal, having delivered on receipt (now, or before it
    /// restarted): it refused a sequencer's log that lacks what it
    /// delivered past its commit, and drops that from its journal once its
    /// application took the notice (see `withdraw_delivered`): nothing
    /// more is appended.
    withdrew: bool,
    /// Resumed from a journal, the last sequence its application was
    /// handed past the commit it knew before it stopped (0: none): those
    /// count as delivered whichever way it delivers now (see
    /// [`handed_out`](Self::handed_out)).
    handed_before: u64,
    /// What it inferred committed under a sequencer that let it, kept when
    /// it follows one resumed from a log reaching it (`follow_resumed`),
    /// though it takes those records again from that log.
    inferred: u64,
    /// A read-only subscriber (`seqcast tail`): it never ACKs, and what it
    /// holds commits nothing.
    observer: bool,
    /// An observer's token from its leader (its hello), sent on its NAKs:
    /// with keys a leader answers an observer's NAK only with it (DESIGN §9).
    nak_token: u32,
    /// The highest commit a leader's frames announced (0: none yet).
    heard_commit: u64,
    /// The highest sequence a leader's frames showed sent (a tail's bound
    /// for a leader resumed where followers inferred commits).
    heard_sent: u64,
    /// The last sequence handed to the application (`u64::MAX`: no end).
    deliver_until: u64,
    ack_at: Nanos,
    /// When the last NAK went.
    nak_sent_at: Option<Nanos>,
    /// The highest sequence the latest RETRANSMIT that brought anything
    /// brought, and when: retries above it wait while repairs keep coming
    /// (a leader serves each range asked in order, from its journal under
    /// a `--history-rate` for seconds; what its ring held went at once).
    repair_front: Option<(u64, Nanos)>,
    /// The smoothed time between two such RETRANSMITs (from the first NAK
    /// that asked anything after a time with nothing asked, for the first).
    repair_gap_ns: Nanos,
    /// When the first NAK went that asked anything after a time with
    /// nothing asked (`None`: none yet): repairs are timed from there, not
    /// from the last of an earlier loss.
    repairs_asked_at: Option<Nanos>,
    /// When a frame of this leader last arrived.
    heard_at: Nanos,
    /// Without failover: the epoch followed and the newest stamp
    /// (`sent_ns`) of a leader frame taken in it. A frame of that epoch
    /// from elsewhere than the leader's address moves the follower's ACKs
    /// and NAKs there only if stamped later: a copy of one heard, replayed
    /// from another address, would draw them there, fresh.
    leader_stamp: NewestStamp,
    /// The leader's last frame said that its followers infer no commits
    /// ([`FLAG_TOLD`]: it counts itself only once its write is synced, or
    /// its quorum needs more than one follower); before any frame, what
    /// this follower's own settings say of what its journal holds.
    leader_told: bool,
    /// The first event it could not hold (see [`too_long`](Self::too_long)).
    too_long: Option<(Seq, usize)>,
    /// When the first NAK went that no repair (RETRANSMIT or UNRECOVERABLE)
    /// has answered yet; `None` once one came, or once nothing asked for
    /// is missing.
    unanswered_since: Option<Nanos>,
    ack_due: bool,
    /// The ACK due goes even if a commit covers it: the first to a leader
    /// (it says where this follower is), one after a sync, one with a NAK.
    ack_urgent: bool,
    /// Its member is fenced off from the epoch it follows: its ACKs are
    /// not sent (see [`fence_acks`](Self::fence_acks)).
    acks_fenced: bool,
    /// What the last ACK not sent (a commit covered it) would have said.
    ack_covered: u64,
    /// The highest commit the leader it follows now has sent (0 until one
    /// has): an ACK it covers cannot move that leader's commit.
    leader_commit: u64,
    echo_ns: u64,
    echo_at: Nanos,
    /// Ranges its leader told it are gone, asked of other members, in
    /// sequence order, none overlapping.
    gone: Vec<Gone>,
    /// By node id: when that member was last passed over for its silence
    /// (`None` once it answered since).
    member_silent: Vec<Option<Nanos>>,
    /// A tail's token for its NAKs to members, from a member's hello (0:
    /// none yet; its leader's `nak_token` goes).
    member_nak_token: u32,
    /// The leader's clock less this node's (wrapping), from the stamp of
    /// its latest frame (`None` until the leader followed sent one): a
    /// tail's token counts the leader's windows.
    leader_offset: Option<u64>,
    /// Tails this member owes a hello (their NAK carried no good token).
    hellos: Vec<SocketAddr>,
    /// Clients that sent it a SUBMIT, owed a BUSY that names the leader:
    /// (address, client, first request).
    redirects: Vec<(SocketAddr, u32, u64)>,
    /// A member that follows, with a journal: ranges of its journal to
    /// serve (destination, first, end) and ranges it cannot, to say so.
    serving: VecDeque<(SocketAddr, u64, u64)>,
    declined: VecDeque<(SocketAddr, u64, u64)>,
    stats: FollowerStats,
    rejects: Rejects,
}

/// Where it stands, in a line: the window's events are left out.
impl core::fmt::Debug for Follower {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Follower")
            .field("id", &self.header.sender.get())
            .field("observer", &self.observer)
            .field("epoch", &self.epoch())
            .field("leader", &self.leader())
            .field("held", &self.seq_held())
            .field("commit", &self.commit())
            .field("next_delivery", &self.seq_next_delivery())
            .finish_non_exhaustive()
    }
}

impl Follower {
    /// Follower `id` of the cluster in `config`, starting empty at `now`.
    ///
    /// With failover, `config.epoch` 0 means it (re)starts in a running
    /// cluster: it learns the leader from the first leader frame it hears.
    pub fn new(config: Config, id: NodeId, now: Nanos) -> Result<Follower, ConfigError> {
        Follower::check(&config, id)?;
        let window = Window::new(config.window_events, config.record_max());
        Ok(Follower::with_window(config, id, now, window))
    }

    /// A leader that stepped down keeps its log: a follower of `epoch` whose
    /// next event to deliver is `base`, with everything up to `commit` known
    /// committed, holding `records` (consecutive, from sequence `first`; those
    /// below `base` are kept as history, served if it is elected again).
    pub(super) fn from_log<'r>(
        config: Config,
        id: NodeId,
        now: Nanos,
        (epoch, commit, base): (Epoch, Seq, Seq),
        first: Seq,
        records: impl Iterator<Item = &'r [u8]>,
    ) -> Follower {
        // Mapped as it fills: a leader stepping down must answer votes now.
        let (commit, base, first) = (commit.get(), base.get(), first.get());
        let window = Window::starting_at(config.window_events, config.record_max(), base, false);
        let mut follower = Follower::with_window(config, id, now, window);
        // It follows nobody until a leader of a newer epoch speaks.
        follower.leader = None;
        follower.header.epoch = epoch.get().into();
        follower.log_epoch = epoch;
        follower.vote_after = Some(0);
        let records: Vec<(u64, &[u8])> = (first..).zip(records).collect();
        // History first: a record from `base` on may take a history slot.
        for &(seq, record) in records.iter().filter(|(seq, _)| *seq < base) {
            follower.window.keep_history(seq, record);
        }
        for &(seq, record) in records.iter().filter(|(seq, _)| *seq >= base) {
            follower.window.insert(seq, record);
        }
        follower.commit = commit.max(base - 1);
        follower.seen = follower.window.held();
        follower
    }

    fn with_window(config: Config, id: NodeId, now: Nanos, window: Window) -> Follower {
        Follower {
            header: Header {
                token: config.shape().into(),
                ..Header::new(Kind::Ack, id.0, config.cluster_id, config.epoch)
            },
            window,
            leader: Some(config.leader),
            leader_addr: None,
            log_epoch: config.epoch,
            log_start: 0,
            sync: None,
            vote_after: (config.epoch != Epoch::ZERO).then_some(0),
            vote_after_heard: None,
            bound_newest: true,
            fresh: None,
            first_heard: None,
            epoch_new: None,
            newer_from: None,
            epoch_reported: false,
            short_leader: None,
            older_leader: (0, Epoch::ZERO),
            unshown: None,
            probe: None,
            anchors: Vec::new(),
            resumed_epoch: Epoch::ZERO,
            resumed_unsure: false,
            commit: 0,
            seen: 0,
            live_from: 0,
            rtt_ns: config.rtt_initial_ns,
            ack_sent: 0,
            appended: 0,
            last_record: 0,
            durable: 0,
            journal_failed: false,
            truncate_to: None,
            truncate_after: 0,
            floor: 0,
            inferred: 0,
            older_refused: None,
            refused_log: None,
            withdrew: false,
            handed_before: 0,
            observer: false,
            nak_token: 0,
            heard_commit: 0,
            heard_sent: 0,
            deliver_until: u64::MAX,
            ack_at: now,
            nak_sent_at: None,
            repair_front: None,
            repair_gap_ns: 0,
            repairs_asked_at: None,
            heard_at: now,
            leader_stamp: NewestStamp::default(),
            leader_told: !config.followers_infer_commit(),
            too_long: None,
            unanswered_since: None,
            ack_due: false,
            ack_urgent: false,
            acks_fenced: false,
            ack_covered: 0,
            leader_commit: 0,
            echo_ns: 0,
            echo_at: now,
            gone: Vec::new(),
            member_silent: vec![None; usize::from(config.nodes)],
            member_nak_token: 0,
            leader_offset: None,
            hellos: Vec::new(),
            redirects: Vec::new(),
            serving: VecDeque::new(),
            declined: VecDeque::new(),
            stats: FollowerStats::default(),
            rejects: Rejects::default(),
            config,
        }
    }

    /// The leader followed (the configured one until another is joined;
    /// `None` for a leader that stepped down, until a newer one speaks).
    /// A member's names the last leader it followed, silent or not: while
    /// it stands for election (and after a candidacy lost) that one may be
    /// gone, and [`MemberEvent::Following`](crate::core::MemberEvent)
    /// names the next.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// What an election compares (DESIGN §2, failover): the epoch of the
    /// leader whose log this follower's is a prefix of, and its last sequence.
    pub fn claim(&self) -> Claim {
        match &self.sync {
            Some(sync) => sync.claim,
            // Its own log, until the leader of its epoch shows it holds it.
            None => Claim { epoch: self.log_epoch, seq: Seq(self.own_unshown().unwrap_or(self.window.held())) },
        }
    }

    /// True while it takes a new leader's log (see [`join`](Self::join)).
    pub fn syncing(&self) -> bool {
        self.sync.is_some()
    }

    /// What its journal may claim after a restart (DESIGN §8): the epoch
    /// its log follows, `whole` once it holds that leader's starting log
    /// durably and may vote (never while it takes a new leader's log, nor
    /// while the records it held past the commit still wait for
    /// [`poll_truncate`](Self::poll_truncate): a join and the new leader's
    /// start may come in one datagram, and its driver persists the claim
    /// before it truncates); it has promised its epoch (a member's election
    /// may have promised more).
    pub fn journal_claim(&self) -> JournalClaim {
        match &self.sync {
            Some(_) => {
                // A restart on the claim takes the leader of the epoch it
                // names for one whose log holds the commit this follower
                // knew. Until the new leader's HEARTBEAT shows that its log
                // reaches it (or when it showed that it does not: refused as
                // short), that is the epoch of the log it had.
                let epoch = match self.unshown {
                    Some((_, had)) => had.max(self.resumed_epoch),
                    None => self.epoch(),
                };
                JournalClaim { epoch, whole: false, promised: self.epoch() }
            }
            None => {
                let whole = self.truncate_to.is_none() && self.may_vote() && self.durable >= self.log_start;
                // Not whole, it still names the epoch its commit was learned
                // under (one resumed keeps its claim's until it follows): a
                // restart on it must not take that epoch's leader for one
                // elected short of the commit.
                let epoch = if whole { self.log_epoch } else { self.log_epoch.max(self.resumed_epoch) };
                JournalClaim { epoch, whole, promised: self.epoch() }
            }
        }
    }

    /// True when its claim can be trusted in an election: it did not come
    /// back empty, or it holds again everything committed when it did.
    pub fn may_vote(&self) -> bool {
        // Its claim, not just its window: a member that came back and holds
        // the events but has not yet taken a leader's log claims less. One
        // that refused a short leader is out of the cluster's log.
        self.short_leader.is_none() && self.vote_after.is_some_and(|commit| self.claim().seq.get() >= commit)
    }

    /// Its member is fenced off from the epoch this follower follows (it
    /// voted in, or stands for, a newer one): an ACK to that leader now
    /// could commit what a candidate it voted for, with the claim it had,
    /// lacks. Its ACKs are then not sent, their timers kept as if they
    /// were (one due would otherwise come due again at once).
    pub(super) fn fence_acks(&mut self, fenced: bool) {
        self.acks_fenced = fenced;
    }

    /// Back empty (or new, and late) it follows a leader, and may not vote
    /// before it holds what that leader said it had sequenced, or before
    /// that leader said it (its HEARTBEAT lost, and the leader gone: two
    /// such members of four elected nobody for good, the simulator's seed
    /// 113005033 of `--failover --followers 3 --partitions 2
    /// --leader-crashes 2 --promotions 2 --late-members 2`). So does one
    /// resumed from a journal whose claim was not whole (it stopped while
    /// catching up): the whole cluster restarted, two such members of
    /// four, beside two holding the log, elected nobody for good
    /// (`--failover --journal --followers 3 --late-members 2
    /// --cluster-crashes 2`). Not one that follows no epoch yet and
    /// resumed no claim (rejoining, it votes once a leader spoke).
    pub fn catching_up_to_vote(&self) -> bool {
        let claim = self.claim().seq.get();
        self.short_leader.is_none()
            && match self.vote_after {
                Some(commit) => claim < commit,
                None => (self.epoch() != Epoch::ZERO || self.resumed_unsure) && !self.observer,
            }
    }

    /// While it catches up to vote ([`catching_up_to_vote`](Self::catching_up_to_vote)),
    /// the logs it vouches for as it will once it holds what it must: see
    /// [`Vouch`]. Not where an ACK of its may have gone to the leader of a
    /// newer epoch than the one it follows: one back empty without
    /// `--rejoin` may have ACKed a newer leader before it restarted, and
    /// now follow an old one that woke from a pause, unless it voted in its
    /// leader's epoch itself.
    pub fn vouch(&self) -> Option<Vouch> {
        if !self.bound_newest || !self.catching_up_to_vote() {
            return None;
        }
        match self.vote_after_heard {
            Some(epoch) => self.vote_after.map(|seq| Vouch::Reaching(Claim { epoch, seq: Seq(seq) })),
            None => self.leader.filter(|_| self.epoch() != Epoch::ZERO).map(Vouch::LedBy),
        }
    }

    /// A member resumed from a journal whose claim was not whole, with
    /// the promises that claim kept.
    pub(super) fn resumed_from_unsure_claim(&mut self) {
        self.resumed_unsure = true;
    }

    /// Votes only once it holds what the next HEARTBEAT says was sequenced,
    /// as a follower that came back empty into a running cluster
    /// (`voted`: it voted in the epoch of the leader it follows, see
    /// [`vouch`](Self::vouch)).
    pub(super) fn vote_once_caught_up(&mut self, voted: bool) {
        (self.vote_after, self.vote_after_heard, self.fresh) = (None, None, None);
        self.bound_newest = voted;
    }

    /// True while it must learn what its leader has sequenced before it
    /// may vote, and asks: with keys and failover, a member takes that
    /// only from a HEARTBEAT that answers the nonce of its own NAK (see
    /// [`NakHead::fresh`](crate::wire::NakHead::fresh)). Any other may be a recording of the leader's,
    /// replayed from its address (a forged source): sent before this
    /// member came back, it says less than an ACK it sent before then may
    /// yet commit. Not while a probe of the leader's log waits, which
    /// holds its HEARTBEATs back. Without failover, also while it follows
    /// no epoch and has heard a leader frame (see
    /// [`proves_first_epoch`](Self::proves_first_epoch)).
    fn asks_fresh(&self) -> bool {
        let bound = self.vote_after.is_none() && self.proves_fresh() && self.leader_addr.is_some();
        (bound && self.probe.is_none()) || self.first_heard.is_some()
    }

    /// Without failover, with keys, new (no journal resumed): the first
    /// epoch it follows is one a leader proves live, with a HEARTBEAT that
    /// answers its NAK's nonce (a subscriber's, once it carries the token
    /// that leader's hello gave it). A frame of an older epoch replayed to
    /// the group would otherwise be taken for its leader's log. One resumed
    /// from its journal checks a newer epoch's leader with a probe, which
    /// only a live one answers.
    fn proves_first_epoch(&self) -> bool {
        self.config.client_tokens && self.config.failover == Failover::Off && self.resumed_epoch == Epoch::ZERO
    }

    /// Its vote bound must come from a HEARTBEAT answering its nonce.
    fn proves_fresh(&self) -> bool {
        self.config.client_tokens
            && self.config.failover != Failover::Off
            && !self.observer
            && self.short_leader.is_none()
    }

    /// Follows `leader`, of the newer `epoch`, from now on. Everything held
    /// past the known commit is dropped: the new leader resends what it has
    /// there, and what it lacks was never committed (the winner of an
    /// election holds every committed event). Until it holds the new
    /// leader's starting log, its claim stays that of the log it had.
    pub fn join(&mut self, epoch: Epoch, leader: NodeId) {
        if self.short_leader.is_some() {
            // Refused for good: a newer leader's log grew from that one.
            return;
        }
        // A newer leader now: its log is checked from the commit.
        self.drop_own_probe();
        let was = self.epoch();
        let commit = self.commit.max(self.window.base() - 1);
        let held = self.window.held();
        let sync = self.sync.take().unwrap_or_else(|| {
            // Failover only: a copy of at most a window, never on the fast path.
            let mut old = Vec::with_capacity(held.saturating_sub(commit) as usize * self.config.record_max());
            for seq in commit + 1..=held {
                let kept = self.window.kept(seq).expect("a held record is kept");
                let (event, _) = EventRef::split(kept).expect("a held record parses");
                old.extend_from_slice(event.record);
            }
            let claim = Claim { epoch: self.log_epoch, seq: Seq(held) };
            Sync { start: None, claim, old, old_first: commit + 1, restored: false }
        });
        self.stats.suffix_dropped += held.saturating_sub(commit);
        self.stats.leaders_joined += 1;
        self.window.truncate(commit);
        self.drop_journaled_past(commit);
        self.sync = Some(Sync { start: None, restored: false, ..sync });
        // The new leader may keep what the last one no longer had; its
        // clock and its tokens are its own.
        self.gone.clear();
        (self.leader_offset, self.member_nak_token) = (None, 0);
        // Its nonce asked the last leader: the new one is asked afresh, at once.
        self.fresh = None;
        if !self.may_vote() && self.vote_after_heard.is_some() {
            // Came back empty and not yet caught up: the bound is the new
            // leader's, whose log holds whatever an ACK sent before it came
            // back could still commit (its electors met every ACK quorum).
            (self.vote_after, self.vote_after_heard) = (None, None);
        }
        // What the new leader's log must reach, and the epoch of the log
        // this follower had: kept until its HEARTBEAT shows where that log
        // ends (an earlier leader joined and not yet shown counts too).
        // A commit learned in the joined epoch itself (a member that resumed
        // a journal of that leader's log) lies in that leader's log whatever
        // its start: only older epochs' commits are checked.
        let (needed, had) = self.unshown.unwrap_or((0, self.log_epoch));
        // A tail's own commit counts what it chose to skip (`--from`): only
        // what a leader told it proves anything of the log.
        let told = if self.observer { self.heard_commit } else { self.commit };
        let known = if self.log_epoch.max(self.resumed_epoch) < epoch { told } else { 0 };
        self.unshown = Some((known.max(needed), had));
        if known > 0 {
            self.probe_at(self.window.held());
        } else if was == Epoch::ZERO && epoch == self.resumed_epoch {
            // It resumed a journal whose commit came in this epoch, not
            // whole (its claim, or none, named only where its commit was
            // learned), and follows nobody yet: that epoch may be another
            // log's too (see `check_own_leader`).
            self.check_own_leader();
        }
        self.header.epoch = epoch.get().into();
        self.epoch_new = None;
        (self.leader, self.leader_addr, self.leader_commit) = (Some(leader), None, 0);
        (self.seen, self.ack_sent, self.ack_due) = (commit, commit, false);
    }

    /// Follows `leader`, of the epoch whose log its own is a prefix of (it
    /// resumed its journal and followed nobody): nothing to drop or take.
    pub(super) fn resume_following(&mut self, leader: NodeId) {
        (self.leader, self.leader_addr, self.leader_commit) = (Some(leader), None, 0);
        self.leader_offset = None;
        self.check_own_leader();
    }

    /// True if a syncing follower can take back the log it claims: what it
    /// delivered since it joined (committed, so the same in every log that
    /// can win) does not reach past the end of that log.
    pub fn can_restore(&self) -> bool {
        self.sync.as_ref().is_some_and(|sync| self.window.base() - 1 <= sync.claim.seq.get())
    }

    /// Takes back the log it had before joining (see [`can_restore`](Self::can_restore)):
    /// its new leader is gone before it synced, and it stands with that log.
    /// Whatever it took from the new leader and did not deliver goes: if any
    /// of it had committed, a voter holding it would refuse this claim.
    pub(super) fn restore(&mut self) {
        if !self.can_restore() {
            return;
        }
        let base = self.window.base();
        let Some(sync) = self.sync.as_mut() else { return };
        sync.restored = true;
        let from = sync.old_first.max(base);
        let old = std::mem::take(&mut sync.old);
        self.window.truncate(from - 1);
        self.drop_journaled_past(from - 1);
        let (mut seq, mut rest) = (self.sync_old_first(), &old[..]);
        while let Ok((event, after)) = EventRef::split(rest) {
            if seq >= from {
                self.window.insert(seq, event.record);
            }
            (seq, rest) = (seq + 1, after);
        }
        if let Some(sync) = self.sync.as_mut() {
            sync.old = old;
        }
        // Not delivered until a leader says so again: a restored record may
        // differ from one committed in a later epoch (then this claim loses).
        // Nor covered by the commit of the leader joined: not its records.
        self.commit = self.commit.min(from - 1);
        self.leader_commit = self.leader_commit.min(self.commit);
        self.seen = self.window.held();
    }

    fn sync_old_first(&self) -> u64 {
        self.sync.as_ref().map_or(0, |sync| sync.old_first)
    }

    /// A follower that restored its old log hears its leader again (its
    /// candidacy failed): the sync starts over.
    fn resync(&mut self) {
        let Some(sync) = self.sync.as_mut().filter(|sync| sync.restored) else { return };
        sync.restored = false;
        let commit = self.commit.max(self.window.base() - 1);
        self.window.truncate(commit);
        self.drop_journaled_past(commit);
        (self.seen, self.ack_sent, self.ack_due) = (commit, commit, false);
    }

    /// The records this follower still has, each whole and no more, from
    /// the oldest kept to the last it holds: what it serves from if it is
    /// elected.
    pub(super) fn log(&self) -> (u64, impl Iterator<Item = &[u8]>) {
        let held = self.window.held();
        let mut first = held + 1;
        while first > 1 && self.window.kept(first - 1).is_some() {
            first -= 1;
        }
        let records = (first..=held).filter_map(|seq| self.window.kept(seq));
        (first, records.map(|slot| EventRef::split(slot).expect("a kept record parses").0.record))
    }

    /// The highest sequence a leader's frames showed sent (0: none yet):
    /// where its log ends, as far as this follower heard.
    pub fn heard_sent(&self) -> Seq {
        Seq(self.heard_sent)
    }

    /// Highest sequence held with nothing missing below it.
    pub fn seq_held(&self) -> Seq {
        Seq(self.window.held())
    }

    /// What its ACKs may claim: [`seq_held`](Self::seq_held), and with a
    /// journal no more than the driver reported durable at its level.
    pub fn seq_durable(&self) -> Seq {
        Seq(self.seq_acked())
    }

    /// Where it sends ACKs and NAKs: the leader it hears (`None` before).
    pub fn leader_addr(&self) -> Option<SocketAddr> {
        self.leader_addr
    }

    /// How long its NAKs have gone with no RETRANSMIT or UNRECOVERABLE
    /// answering any of them (`None`: the last was answered, or none sent).
    pub fn naks_unanswered_ns(&self, now: Nanos) -> Option<u64> {
        self.unanswered_since.map(|since| now.saturating_sub(since))
    }

    /// The member asked, for what the leader no longer has, that an
    /// asked range waits on the longest (with failover), and its address.
    pub fn member_awaited(&self) -> Option<(NodeId, SocketAddr)> {
        let g = self.gone.iter().filter(|g| g.heard_at.is_some()).min_by_key(|g| g.heard_at)?;
        let member = g.asking?;
        Some((member, self.member_addr(member)?))
    }

    /// Where the latest frame of a newer epoch than the one it follows came
    /// from, while it had not taken that epoch (a sequencer that restarted,
    /// or a second one started beside it: see [`leader_addr`](Self::leader_addr)).
    pub fn newer_from(&self) -> Option<SocketAddr> {
        self.newer_from
    }

    /// Without failover, with keys, following no epoch yet (see
    /// `proves_first_epoch`): the newest epoch a leader frame was heard
    /// in, where the last ask went, and how many NAKs asked to answer this
    /// follower's nonce, unanswered so far.
    pub fn first_epoch_asked(&self) -> Option<(Epoch, SocketAddr, u32)> {
        let heard = self.first_heard?;
        Some((heard.epoch(), heard.last_asked(), self.fresh.map_or(0, |ask| ask.tries)))
    }

    /// How long ago a frame of its leader last arrived.
    pub fn leader_heard_ns_ago(&self, now: Nanos) -> u64 {
        now.saturating_sub(self.heard_at)
    }

    /// The next sequence to deliver.
    pub fn seq_next_delivery(&self) -> Seq {
        Seq(self.window.base())
    }

    /// Highest sequence known committed: heard from the leader or, without
    /// failover and when this follower's ACK completes a quorum by itself
    /// and its leader's frames let it (no [`FLAG_TOLD`]; before any, its own
    /// [`Config::followers_infer_commit`]), all it holds (without failover
    /// it holds only its one leader's log). A subscriber's is at least
    /// `from − 1` (see [`observe`](Self::observe)).
    pub fn commit(&self) -> Seq {
        Seq(self.known_commit())
    }

    fn known_commit(&self) -> u64 {
        // The leader's settings decide (its frames say), not this
        // follower's: one that syncs only after it sends marks them TOLD;
        // one that lets followers infer sends no commit HEARTBEAT before
        // it tells its clients, so a follower must infer what it holds.
        // Failover and the quorum are the cluster's, which both share.
        let infer =
            !self.observer && !self.leader_told && self.config.failover == Failover::Off && self.config.quorum() <= 2;
        let known = self.commit.max(self.inferred);
        // Its ACK completes the quorum: once its journal failed it sends
        // none, and only what it did ACK counts (helper 149: followers
        // delivered 4,000 events past their leader's commit).
        let own = if self.journal_failed { self.ack_sent } else { self.window.held() };
        if infer { known.max(own) } else { known }
    }

    /// A read-only subscriber of the cluster in `config` (`seqcast tail`),
    /// from sequence `from` on (0 reads as 1, and one past 2^63 as 2^63, which
    /// no log reaches: the window's end must not overflow): it takes the leader's frames like a
    /// follower, NAKs what it misses (the leader serves it from its journal
    /// once it left the ring, DESIGN §8), delivers what is committed, and
    /// never ACKs: it counts for no quorum.
    ///
    /// It starts as if it held and knew committed everything before
    /// `from`: its [`seq_seen`](Self::seq_seen) and [`commit`](Self::commit)
    /// say `from − 1` until it hears further, even where the log has not
    /// reached `from`. [`heard_sent`](Self::heard_sent) is where its
    /// leader said the log ends (0 until it heard one).
    pub fn observe(config: Config, now: Nanos, from: Seq) -> Result<Follower, ConfigError> {
        config.validate()?;
        let base = from.get().clamp(1, 1 << 63);
        let window = Window::starting_at(config.window_events, config.record_max(), base, true);
        let mut follower = Follower::with_window(config, NodeId(crate::wire::SENDER_OBSERVER), now, window);
        (follower.observer, follower.commit, follower.seen) = (true, base - 1, base - 1);
        follower.header.token = 0.into();
        Ok(follower)
    }

    /// The first event its leader (or a member serving history) sent that
    /// is longer than this node's `payload_max` lets it hold: its sequence
    /// and its payload's length. It can deliver nothing from there on (the
    /// nodes' settings differ); the frames are counted as `too_long`.
    pub fn too_long(&self) -> Option<(Seq, usize)> {
        self.too_long
    }

    /// Highest sequence known to exist (a subscriber's: at least `from − 1`,
    /// see [`observe`](Self::observe)).
    pub fn seq_seen(&self) -> Seq {
        Seq(self.seen)
    }

    /// The first sequence of the live stream it heard from a leader: the
    /// first DATA's, or a HEARTBEAT's next, but not past its commit nor
    /// within the log its leader began the epoch with (`Seq::ZERO` before
    /// either). Events below it were sequenced before this follower heard a
    /// leader (it started late, or restarted): their stamp → delivery time
    /// is how far behind it started, not delivery latency. Set once: a
    /// member that follows a newly elected leader keeps it.
    pub fn live_from(&self) -> Seq {
        Seq(self.live_from)
    }

    /// Protocol counters.
    pub fn stats(&self) -> &FollowerStats {
        &self.stats
    }

    /// Datagrams dropped on receipt, by reason.
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    /// Leader frames (DATA, HEARTBEAT, repair) of an epoch older than
    /// this follower's that it dropped (among `rejects()`' `wrong_epoch`,
    /// or with a tail's failover `not_leader`), and the epoch of the
    /// latest (zero if none came).
    pub fn older_leader(&self) -> (u64, Epoch) {
        self.older_leader
    }

    fn note_older_leader(&mut self, epoch: Epoch) {
        if epoch < self.epoch() && epoch != Epoch::ZERO {
            self.older_leader = (self.older_leader.0 + 1, epoch);
        }
    }

    fn first_nak_delay(&self) -> u64 {
        // DESIGN §2: the first NAK about one RTT after the gap shows (a
        // datagram overtaken arrives within it), clamped.
        self.rtt_ns.clamp(self.config.nak_delay_min_ns, self.config.nak_delay_max_ns)
    }

    /// NAKs go at least `nak_delay_min_ns` apart: what comes due meanwhile
    /// joins the next, rather than each datagram's worth of a catch-up going
    /// as a NAK of its own. (Not the RTT: after a burst the leader's smoothed
    /// RTT stays high for a while, and would slow a catch-up to a crawl.)
    /// Once NAKs have gone `nak_delay_max_ns` with no repair coming back
    /// (a partition, a leader gone, or NAKs that do not reach it: a link
    /// coming back up, loss one way, a leader's full socket buffer), the
    /// next waits that long: nothing asked faster could be answered. If
    /// nothing came from the leader since the last either, and no member
    /// is asked for history, a keepalive: a stopped leader hears none, and
    /// where a replayed frame gave a victim's address for the leader's, a
    /// NAK and an ACK went there each `nak_delay_max_ns` while the real
    /// leader's frames were refused.
    fn nak_paced_until(&self) -> Nanos {
        let (min, max) = (self.config.nak_delay_min_ns, self.config.nak_delay_max_ns);
        self.nak_sent_at.map_or(0, |at| {
            let unanswered = self.unanswered_since.is_some_and(|since| at.saturating_sub(since) >= max);
            let silent = self.heard_at <= at && !self.asks_a_member();
            at + match (unanswered, silent) {
                (true, true) => KEEPALIVE_NS,
                (true, false) => max,
                (false, _) => min,
            }
        })
    }

    /// What the leader has room for (it serves at most nak_events_max
    /// events in repair to one follower, and drops a NAK past that), or the
    /// window if smaller, and what of it is free: never asked events are
    /// asked for once at least half of it is free, so that a follower far
    /// behind keeps one repair streaming, in few NAKs, none of them dropped.
    fn nak_room(&self) -> (usize, usize) {
        let most = self.asked_max().min(self.config.window_events);
        (most, most.saturating_sub(self.window.asked()))
    }

    /// Events it keeps asked for at most. An observer replaying history
    /// keeps [`OBSERVER_ASKED`] times a follower's: the leader serves it
    /// from its journal within a per-turn budget, so the ask bounds only
    /// the round trips, and with a follower's the leader runs out of asked
    /// events between NAKs and sleeps. At most half its window (but never
    /// fewer than a follower's), so that what arrives has room.
    fn asked_max(&self) -> usize {
        let events = self.config.nak_events_max;
        if self.observer { (events * OBSERVER_ASKED).min(self.config.window_events / 2).max(events) } else { events }
    }

    fn mark_missing(&mut self, now: Nanos) {
        self.stats.gaps += self.window.mark_missing(self.seen, now + self.first_nak_delay());
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        // A tail reads any member's log, whatever its cluster file says.
        let shape = if self.observer { 0 } else { self.config.shape() };
        let failover = self.config.failover != Failover::Off;
        let Some(datagram) = parse(bytes, (self.config.cluster_id, shape, failover), &mut self.rejects) else { return };
        match datagram.frame {
            // A client pointed at this follower: it hears who leads, rather
            // than waiting for a commit that never comes (a member answers
            // its own way, before its follower sees the frame).
            Frame::Submit(submit) if !self.observer && datagram.header.sender.get() == SENDER_CLIENT => {
                self.stats.submits_redirected += 1;
                let owed = (from, submit.head.client().get(), submit.head.request.get());
                if !self.redirects.iter().any(|r| (r.0, r.1) == (owed.0, owed.1))
                    && self.redirects.len() < REDIRECTS_MAX
                {
                    self.redirects.push(owed);
                }
            }
            _ => self.handle_frame(now, from, datagram),
        }
    }

    /// Feeds one datagram its member already parsed and checked.
    pub(super) fn handle_frame(&mut self, now: Nanos, from: SocketAddr, datagram: Datagram<'_>) {
        if is_served(&datagram) {
            return self.take_served(now, from, &datagram);
        }
        if self.observer && self.take_member_hello(now, from, &datagram) {
            return;
        }
        if self.observer && self.config.failover != Failover::Off && !self.follow_newest_leader(&datagram) {
            return;
        }
        if !admits(&datagram, Peers::Leader { leader: self.leader, nodes: self.config.nodes }, &mut self.rejects) {
            return;
        }
        // Read only where invariants are checked: not on a release hot path.
        let claim = if cfg!(any(debug_assertions, test)) { self.claim() } else { Claim::default() };
        self.take_frame(now, from, datagram);
        // An election's claim only grows while a follower follows (DESIGN §2).
        invariant!(self.claim() >= claim, "claim {} fell to {}", claim, self.claim());
        invariant!(self.epoch() == Epoch::ZERO || self.claim().epoch <= self.epoch());
    }

    fn take_frame(&mut self, now: Nanos, from: SocketAddr, datagram: Datagram<'_>) {
        // An observer's hello names client 0, as the leader sends it: with
        // keys it carries the member key (no client's key, not even the
        // master's, signs for client 0). From the leader it follows, or
        // from a restarted sequencer it asks for a record (its NAKs go
        // there, where a replay may have moved the leader's address).
        let asked = |probe: &Probe| probe.resumed.is_some_and(|(_, at)| at == from);
        let first_asked = self.first_heard.is_some_and(|heard| heard.was_asked(from));
        if let Frame::Busy(busy) = datagram.frame
            && self.observer
            && busy.reason() == BusyReason::Hello
            && busy.client().get() == 0
            && (self.leader_addr == Some(from) || self.probe.as_ref().is_some_and(asked) || first_asked)
        {
            // Its NAKs were not answered for want of this token: ask again now.
            self.nak_token = datagram.header.token.get();
            self.unanswered_since = None;
            self.window.forget_asked(now);
            if let Some(probe) = self.probe.as_mut() {
                probe.due = 0;
            }
            if let Some(ask) = self.fresh.as_mut().filter(|_| first_asked) {
                ask.due = 0;
            }
            if let Some(heard) = self.first_heard.as_mut().filter(|_| first_asked) {
                heard.answered_by(from);
            }
            return;
        }
        let from_leader = matches!(
            datagram.frame,
            Frame::Data(_) | Frame::Retransmit(_) | Frame::Heartbeat(_) | Frame::Unrecoverable(_)
        );
        if !from_leader {
            // Only a leader's frames say anything of the leader or the epoch.
            // Members elect on the group: their frames reach a follower or
            // a tail that hears it, routinely.
            match datagram.frame {
                Frame::VoteRequest(_) | Frame::Vote(_) | Frame::Promote(_) => self.rejects.election += 1,
                _ => self.rejects.unexpected_kind += 1,
            }
            return;
        }
        if !self.same_epoch(now, datagram.header.epoch(), &datagram.frame, from) {
            self.rejects.wrong_epoch += 1;
            self.note_older_leader(datagram.header.epoch());
            return;
        }
        if !self.config.sent_from_members_address(datagram.header.member(), from) {
            // Recorded and replayed from elsewhere: it would divert this
            // follower's ACKs and NAKs there, and tell a member back empty
            // how much it must hold before it votes, from a time when that
            // was less (with failover, where the cluster file gives each
            // member's address).
            self.rejects.elsewhere += 1;
            return;
        }
        // Without failover, a frame from elsewhere than the leader followed
        // is taken (a sequencer bound to 0.0.0.0 sends multicast from its
        // interface's address and unicast from its route's), but moves
        // this follower's ACKs and NAKs there only if stamped later than
        // every one taken in the epoch: a copy of one heard, replayed from
        // elsewhere, would draw them there, fresh.
        let moves =
            self.config.failover != Failover::Off || self.leader_stamp.later(self.epoch(), datagram.frame.sent_ns());
        self.heard_at = now;
        let told = datagram.header.flags.get() & FLAG_TOLD != 0;
        if told && !self.leader_told {
            // What it inferred under a leader that let it (this one's log
            // reaches it: it was taken) stays known committed.
            self.commit = self.known_commit();
        }
        self.leader_told = told;
        if self.leader_addr != Some(from) && (moves || self.leader_addr.is_none()) {
            // A first ACK tells a leader where this follower is (its repairs
            // go where ACKs come from), even before it holds anything.
            (self.ack_due, self.ack_urgent) = (!self.observer, !self.observer);
            self.leader_addr = Some(from);
            // What it asked the last one for, this one never heard (nothing
            // is asked after this, so the end of this turn clears what was
            // unanswered).
            self.window.forget_asked(now);
        }
        self.resync();
        if self.live_from == 0 {
            self.live_from = match &datagram.frame {
                Frame::Data(batch) => batch.first_seq().get(),
                // An elected or resumed leader announces its log's end
                // before the DATA of the same turn: not past its commit,
                // but past the log it started its epoch with.
                Frame::Heartbeat(heartbeat) => (heartbeat.commit.get().saturating_add(1))
                    .max(heartbeat.epoch_start.get().saturating_add(1))
                    .min(heartbeat.seq_next.get()),
                _ => 0,
            };
        }
        let answer = matches!(datagram.frame, Frame::Retransmit(_) | Frame::Unrecoverable(_));
        match datagram.frame {
            Frame::Data(batch) => self.on_batch(now, batch, false),
            Frame::Retransmit(batch) => self.on_batch(now, batch, true),
            Frame::Heartbeat(heartbeat) => {
                self.stats.heartbeats += 1;
                if !self.on_heartbeat(now, *heartbeat, false) {
                    return;
                }
            }
            // Its record at the probe's sequence left its history: the log
            // is taken on where it starts alone.
            Frame::Unrecoverable(lost)
                if self.probe.as_ref().is_some_and(|p| {
                    p.resumed.is_none() && (lost.range.first.get()..lost.range.end.get()).contains(&p.seq)
                }) =>
            {
                self.stats.leaders_unchecked += 1;
                if let Some(heartbeat) = self.probe.take().and_then(|probe| probe.heard) {
                    self.on_heartbeat(now, heartbeat, true);
                }
            }
            // Not before the HEARTBEAT of a leader joined shows its log
            // holds what this follower knew committed (asked again then).
            Frame::Unrecoverable(_) if !self.leader_log_shown() => {}
            Frame::Unrecoverable(lost) => {
                let end = lost.range.end.get();
                // Only committed events leave the ring.
                self.commit = self.commit.max(end - 1);
                self.seen = self.seen.max(end - 1);
                // Known to exist first, so that all the range the window
                // spans is marked lost, or asked of other members.
                self.mark_missing(now);
                self.ask_members(now, lost.range.first.get(), end);
            }
            _ => unreachable!("only a leader's frames get here"),
        }
        self.mark_missing(now);
        self.adopt();
        self.ack_due |= self.seq_acked() > self.ack_sent.max(self.ack_covered);
        // A repair answers the NAKs; and with nothing asked for missing
        // (filled by DATA, dropped with a log taken back), none waits.
        if answer || self.window.asked() == 0 {
            self.unanswered_since = None;
        }
    }

    /// A HEARTBEAT of the leader followed (`replayed`: one that waited for
    /// a probe's answer, whose send time says nothing of the RTT now);
    /// false if it refused that leader now, or waits for that answer.
    fn on_heartbeat(&mut self, now: Nanos, heartbeat: Heartbeat, replayed: bool) -> bool {
        if let Some((needed, _)) = self.unshown
            && heartbeat.epoch_start.get() < needed
        {
            // Elected on a log short of a commit this member knew
            // (members lost committed events from their logs): its
            // sequences past that log's end carry other events.
            // Nothing of this leader's is taken, and the member
            // neither votes nor stands from now on.
            let (needed, epoch) = (Seq(needed), self.epoch());
            let log_end = Seq(heartbeat.epoch_start.get());
            let short = ShortLeader {
                epoch,
                log_end,
                needed,
                committed: needed,
                differs_at: None,
                refused_before: None,
                gone: false,
            };
            self.refuse(short, None);
            return false;
        }
        if let Some(probe) = self.probe.as_mut() {
            // Its log reaches that commit; not shown before its record
            // at the last one kept is the same (then this goes on). A
            // restarted sequencer's probe keeps that sequencer's HEARTBEAT:
            // one of the epoch followed before (a replay, or a second
            // sequencer still speaking) is not its, and says nothing of
            // where its log starts.
            if probe.resumed.is_none() {
                probe.heard = Some(heartbeat);
                self.own_probe_heard(heartbeat);
            }
            return false;
        }
        self.unshown = None;
        if self.config.failover != Failover::Off && self.sync.is_none() && self.log_start == 0 {
            // A member that resumed its journal learns where its epoch's log
            // started (see `log_elected`); one that joined knew on syncing.
            self.log_start = heartbeat.epoch_start.get();
        }
        if !replayed {
            self.echo(now, heartbeat.sent_ns.get());
        }
        if heartbeat.rtt_ns.get() != 0 {
            self.rtt_ns = heartbeat.rtt_ns.get();
        }
        self.commit = self.commit.max(heartbeat.commit.get());
        self.heard_commit = self.heard_commit.max(heartbeat.commit.get());
        self.heard_sent = self.heard_sent.max(heartbeat.seq_next.get().saturating_sub(1));
        self.leader_commit = self.leader_commit.max(heartbeat.commit.get());
        self.seen = self.seen.max(heartbeat.seq_next.get().saturating_sub(1));
        // Not only what was committed: an ACK it sent before it
        // came back, unread yet, may commit any of what was sequenced.
        let sequenced = heartbeat.commit.get().max(heartbeat.seq_next.get().saturating_sub(1));
        let fresh = !self.proves_fresh() || self.answers_ask(&heartbeat);
        if self.vote_after.is_none() && fresh {
            (self.vote_after, self.vote_after_heard, self.fresh) = (Some(sequenced), Some(self.epoch()), None);
        }
        if let Some(sync) = self.sync.as_mut() {
            sync.start = Some(heartbeat.epoch_start.get());
        }
        // The leader may have missed our last ACK; and an idle
        // leader hears each follower now and then, to know it lives.
        self.ack_due |= heartbeat.commit.get() < self.seq_acked() || now >= self.ack_at + KEEPALIVE_NS;
        true
    }

    /// A read-only subscriber of a cluster with failover follows the leader
    /// of the newest epoch it hears: that leader's log holds every
    /// committed event (an election saw to it), so the subscriber goes on
    /// from its commit, dropping what it held past it, as a member does
    /// when it follows a new leader; it claims nothing, so takes no sync.
    /// False for a leader's frame of a member whose file lists another node
    /// count (counted `other_shape`, which a tail warns of): nothing more
    /// is made of it.
    fn follow_newest_leader(&mut self, datagram: &Datagram<'_>) -> bool {
        if self.short_leader.is_some() {
            // Refused for good (see `short_leader`).
            return true;
        }
        let leads = matches!(datagram.frame, Frame::Data(_) | Frame::Heartbeat(_));
        // Not a leader whose file lists another node count (a group split
        // off by a stale file), though its epoch be newer.
        let shape = datagram.header.token.get();
        if let Some(member) = datagram.header.member().filter(|_| leads)
            && super::other_node_count(shape, self.config.nodes)
        {
            // An operator's trial: counted as a routine `not_leader` before.
            self.rejects.other_shape += 1;
            self.rejects.other_shape_seen = Some((member, shape));
            return false;
        }
        let (epoch, mine) = (datagram.header.epoch(), self.epoch());
        let Some(leader) = datagram.header.member().filter(|_| leads) else { return true };
        if epoch < mine && Some(leader) != self.leader {
            // Dropped below as another member's (its own leader's, as of
            // another epoch).
            self.note_older_leader(epoch);
        }
        if mine == Epoch::ZERO {
            // Following nobody yet: whichever member leads, not only the
            // one the cluster file starts with (it may lead no more).
            (self.leader, self.leader_addr) = (Some(leader), None);
        } else if epoch > mine {
            self.join(epoch, leader);
            self.sync = None;
            self.log_epoch = epoch;
        }
        true
    }

    /// What an ACK may claim: what it holds, and with a journal only what
    /// the driver reported durable (DESIGN §8).
    fn seq_acked(&self) -> u64 {
        if self.config.journal { self.window.held().min(self.durable) } else { self.window.held() }
    }

    /// With a journal: the next event to append, with the epoch of the
    /// leader that sent it, in sequence order; each is handed out once
    /// (sequences reported lost are passed over: there is nothing to keep).
    /// The driver appends it, syncs as its level says, and reports what
    /// became durable with [`handle_durable`](Self::handle_durable).
    pub fn poll_append(&mut self) -> Option<Append<'_>> {
        if !self.config.journal {
            return None;
        }
        if self.truncate_to.is_some() || self.withdrew {
            // Not before the records it replaces are dropped; nothing once
            // it dropped what it delivered (see `withdraw_delivered`).
            return None;
        }
        let held = self.window.held();
        // Nothing of a leader joined before its log is shown (see
        // `poll_truncate`): only its own log, up to the commit it knew then.
        let held = if self.joined_unshown() { held.min(self.sync_old_first() - 1) } else { held };
        let held = self.own_unshown().map_or(held, |own| held.min(own));
        while self.appended < held && self.window.kept(self.appended + 1).is_none() {
            self.appended += 1;
        }
        if self.appended >= held {
            return None;
        }
        self.appended += 1;
        self.last_record = self.appended;
        let commit = Seq(self.known_commit().min(self.appended));
        let (event, _) = EventRef::split(self.window.kept(self.appended)?).ok()?;
        // Records taken back (see `restore`) are the old log's, which the
        // leader of its epoch holds, not the leader joined's.
        let epoch = match &self.sync {
            Some(sync) if sync.restored => sync.claim.epoch,
            _ => self.epoch(),
        };
        Some(Append { epoch, commit, event })
    }

    /// With a journal: what it knows committed, up to what it handed the
    /// driver to append. Each record carries the commit known when it was
    /// handed out; one heard after the last (an idle leader's HEARTBEAT)
    /// the driver keeps beside the journal, so that a restart knows it.
    pub fn journal_commit(&self) -> Seq {
        if !self.config.journal || self.observer {
            return Seq::ZERO;
        }
        Seq(self.known_commit().min(self.appended))
    }

    /// The driver made every record up to `through` durable: ACKs may say so.
    pub fn handle_durable(&mut self, through: Seq) {
        if self.truncate_to.is_some() {
            // The journal's old records, which a truncation still to come
            // drops (`poll_truncate`): none of this log's is written yet.
            return;
        }
        invariant!(through.get() <= self.last_record, "durable {through} beyond appended {}", self.last_record);
        // Lost sequences passed over after the last record need no write.
        let durable = if through.get() == self.last_record { self.appended } else { through.get() };
        self.durable = self.durable.max(durable);
        self.ack_due |= self.seq_acked() > self.ack_sent.max(self.ack_covered);
    }

    /// Ends a sync once the new leader's starting log is held.
    fn adopt(&mut self) {
        let synced = |sync: &Sync| !sync.restored && sync.start.is_some_and(|start| self.window.held() >= start);
        if let Some(sync) = self.sync.take_if(|sync| synced(sync)) {
            self.log_start = sync.start.unwrap_or(0);
            self.log_epoch = self.epoch();
            (self.ack_due, self.ack_urgent) = (true, true);
        }
    }

    /// Learns the epoch from the first frame; afterwards an older epoch is
    /// fenced off and a newer one is noted for the application. With a
    /// journal and no failover a newer one is followed once a HEARTBEAT
    /// (`frame`) shows its leader started it from a log reaching what this
    /// follower knows committed or delivered.
    fn same_epoch(&mut self, now: Nanos, epoch: Epoch, frame: &Frame<'_>, from: SocketAddr) -> bool {
        let mine = self.epoch();
        if epoch == mine && mine != Epoch::ZERO {
            // A leader refused as short (with failover, in the epoch joined).
            return self.short_leader.is_none_or(|short| short.epoch != epoch);
        }
        if self.short_leader.is_some() {
            // Refused (reported as a restarted leader): so is all that follows.
            return false;
        }
        if epoch > mine && mine != Epoch::ZERO {
            self.newer_from = Some(from);
        }
        let guarded =
            (self.config.journal || self.observer) && self.config.failover == Failover::Off && self.epoch_new.is_none();
        // What this follower knows committed or delivered: with a journal
        // (it may have resumed one) and no failover, a leader of an epoch
        // newer than its log's is followed only once it shows that it
        // started that epoch from a log reaching this far. A subscriber
        // starts where it chose, which proves nothing of the log: for it,
        // what a leader said was committed (a log short of that holds
        // another history past its end, whatever the tail printed yet);
        // and where its leader let followers infer a commit, whatever it
        // was heard to send, any of which a follower may have delivered.
        let needed = match self.observer {
            true if !self.leader_told && self.config.quorum() <= 2 => self.heard_commit.max(self.heard_sent),
            true => self.heard_commit,
            false => self.known_commit().max(self.window.base() - 1),
        };
        // What an earlier leader had to reach, every later one must: a
        // follower may since have dropped what it inferred committed (to
        // fetch it from a resumed log), and a subscriber heard a leader
        // that no longer lets followers infer.
        let needed = needed.max(self.floor);
        let mut shown_start = None;
        if guarded && mine == Epoch::ZERO && epoch < self.resumed_epoch {
            // Older than the log its journal holds: fenced off.
            self.older_refused.get_or_insert(epoch);
            return false;
        }
        if guarded && needed > 0 {
            self.floor = needed;
            if epoch > mine.max(self.resumed_epoch) {
                // DESIGN §8: a sequencer that resumed its journal starts
                // its epoch from that log, which holds every commit, and
                // says where it ends in every HEARTBEAT (`epoch_start`,
                // announced before its DATA). One that started without its
                // journal (or with a shorter one) starts from less: taking
                // its log would drop committed events from this journal and
                // give their sequences to others. How long its log has
                // grown since proves nothing, so nothing but a HEARTBEAT
                // does (and the record asked of it after, see `probe_resumed`).
                let newer_asked = |p: &Probe| p.resumed.is_some_and(|(asked, _)| asked > epoch) && p.tries <= 1;
                if self.probe.as_ref().is_some_and(newer_asked) {
                    // Two sequencers speak (an operator's error): were the
                    // older one's HEARTBEATs to replace the newer one's
                    // probe, neither answer might find its own. The newer
                    // decides, unless it leaves its NAK unanswered (it
                    // stopped): then the older is asked.
                    return false;
                }
                if let Some(follows) = self.resumed_answer(epoch, frame, needed) {
                    return follows;
                }
                let Frame::Heartbeat(heartbeat) = frame else { return false };
                let start = heartbeat.epoch_start.get();
                shown_start = Some(start);
                if start < needed {
                    // A subscriber's own commit counts what it skipped.
                    let known = if self.observer { self.heard_commit } else { self.known_commit() };
                    let (log_end, needed, committed) = (Seq(start), Seq(needed), Seq(known));
                    let short = ShortLeader {
                        epoch,
                        log_end,
                        needed,
                        committed,
                        differs_at: None,
                        refused_before: None,
                        gone: false,
                    };
                    self.refuse_receipt(short, from);
                    return false;
                }
                if self.probe_resumed(epoch, **heartbeat, from) {
                    return false;
                }
            }
        }
        if mine == Epoch::ZERO && self.proves_first_epoch() {
            if !matches!(frame, Frame::Heartbeat(h) if self.answers_ask(h)) {
                // Asked in the newest epoch heard, where its frames came from.
                FirstHeard::heard(&mut self.first_heard, (epoch, frame.sent_ns()), from, now);
                return false;
            }
            (self.first_heard, self.fresh) = (None, None);
        }
        if mine == Epoch::ZERO {
            self.header.epoch = epoch.get().into();
            self.log_epoch = epoch;
            // A resumed journal's tail past the commit (see
            // `keep_journal_tail`) goes now that a leader is followed,
            // unless it was delivered: that leader's log holds it (the
            // same epoch's, or one shown to hold it).
            self.drop_journaled_past(self.commit.max(self.window.base() - 1));
            return true;
        }
        if epoch > mine && guarded {
            self.follow_resumed(epoch, shown_start);
            return true;
        }
        // A subscriber with failover follows a newer leader once its DATA
        // or HEARTBEAT speaks (`follow_newest_leader`); a repair of that
        // epoch (its NAK answered by a member re-elected) comes first at
        // times and says nothing of a restart: passed over.
        let follows_elected = self.observer && self.config.failover != Failover::Off;
        if epoch > mine && self.epoch_new.is_none() && !follows_elected {
            self.epoch_new = Some(epoch);
        }
        false
    }

    /// Resumed from its journal and following nobody yet, without failover:
    /// the first epoch it refused as older than its journal's last record
    /// (`.0`), and that record's (`.1`). A sequencer's epoch is its wall
    /// clock in ms when it starts: one on a host whose clock runs behind,
    /// or given a lower `--epoch`, is such, and never followed.
    pub fn older_refused(&self) -> Option<(Epoch, Epoch)> {
        self.older_refused.map(|older| (older, self.resumed_epoch))
    }

    /// With a journal and no failover: a sequencer of a newer epoch that
    /// started it from a log short of what this follower knows committed
    /// or delivered. With failover: a leader elected on a log short of a
    /// commit this member learned under an older epoch (possible only once
    /// members lost committed events from their logs: one restarted empty
    /// without --rejoin, a wiped journal, writes a power loss took).
    /// Refused (reported as [`Event::LeaderRestarted`]), and a member then
    /// neither votes nor stands.
    pub fn short_leader(&self) -> Option<ShortLeader> {
        self.short_leader
    }

    /// A leader that restarted resumed its log from its journal, in a new
    /// epoch (DESIGN §8): its log holds every commit, but what this
    /// follower holds past its commit may not be in it. That goes, from the
    /// window and from the journal, and the leader's log is taken from there.
    /// What a subscriber heard sent past where that log starts (`start`,
    /// when a HEARTBEAT said) was the old epoch's, which later ones need
    /// not reach; what it reaches, they must (this bound matters only where
    /// the check did not count what it heard sent: under a leader that
    /// told its commits, whose followers infer none).
    ///
    /// What it inferred committed it still knows committed (that log reaches
    /// it), though it takes those records again from the log: they may be
    /// other records there after a loss its level did not promise to
    /// survive. Its journal keeps its own until it holds them again.
    fn follow_resumed(&mut self, epoch: Epoch, start: Option<u64>) {
        let known = self.known_commit();
        let commit = self.commit.max(self.window.base() - 1);
        self.heard_sent = self.heard_sent.min(start.unwrap_or(self.heard_commit));
        self.stats.suffix_dropped += self.window.held().saturating_sub(commit);
        self.stats.leaders_joined += 1;
        self.window.truncate(commit);
        self.header.epoch = epoch.get().into();
        self.log_epoch = epoch;
        (self.seen, self.ack_sent, self.ack_covered, self.leader_commit) = (commit, 0, 0, 0);
        (self.ack_due, self.ack_urgent) = (true, true);
        self.inferred = self.inferred.max(known);
        let kept = self.appended.min(known);
        self.drop_journaled_past(commit);
        self.truncate_after = self.truncate_after.max(kept);
    }

    /// What it journaled past `commit` is no longer its log: the driver
    /// drops it too ([`poll_truncate`](Self::poll_truncate)).
    fn drop_journaled_past(&mut self, commit: u64) {
        if self.config.journal && self.appended > commit {
            self.truncate_to = Some(commit);
            (self.appended, self.last_record) = (commit, self.last_record.min(commit));
            self.durable = self.durable.min(commit);
        }
    }

    /// A leader that stepped down keeps what it journaled: `appended`
    /// handed to its driver, `durable` reported back, and where its epoch's
    /// log started (`log_start`).
    pub(super) fn keep_journaled(&mut self, appended: Seq, durable: Seq, log_start: Seq) {
        self.log_start = log_start.get();
        (self.appended, self.last_record) = (appended.get(), appended.get());
        self.durable = durable.get().min(self.appended);
    }

    /// A resumed follower (see [`resume`](Self::resume)) whose journal
    /// still holds records past its commit, up to `last`: they stay until
    /// it follows a leader, whose log they may not be in, and are then
    /// dropped ([`poll_truncate`](Self::poll_truncate)) and taken again from
    /// that log. A leader it refuses ([`short_leader`](Self::short_leader))
    /// leaves them: committed events may be among them that nobody else
    /// holds any more (not a log that holds all it knew committed, refused
    /// for lacking what it delivered on receipt: see `withdraw_delivered`).
    ///
    /// Delivering on receipt, it handed its application that tail before
    /// it stopped (it hands out only what its journal holds at its level,
    /// see [`poll_event`](Self::poll_event)): it counts as delivered, its
    /// driver replays it, and a sequencer's log is followed only if it
    /// holds it (its record at `last` is asked for, see [`keep_anchor`](Self::keep_anchor)).
    pub fn keep_journal_tail(&mut self, last: Seq) {
        if self.config.journal && last.get() > self.appended {
            (self.appended, self.last_record, self.durable) = (last.get(), last.get(), last.get());
            if self.config.deliver == Deliver::OnReceive && !self.observer {
                self.count_handed(last.get());
            }
        }
    }

    /// A resumed follower whose journal says its application may have
    /// been handed, on receipt, events up to `last` past the commit it
    /// knew (its driver keeps that beside the journal, see
    /// [`handed_out`](Self::handed_out)): delivering on commit now, it
    /// counts those it holds delivered all the same, as one delivering on
    /// receipt counts its whole tail ([`keep_journal_tail`](Self::keep_journal_tail),
    /// called first). Otherwise a sequencer restarted without them would
    /// be followed, and its application handed other events at the same
    /// sequences.
    pub fn handed_before_stop(&mut self, last: Seq) {
        let last = last.get().min(self.appended);
        if self.config.journal && !self.observer && last > self.handed_before.max(self.known_commit()) {
            self.count_handed(last);
        }
    }

    /// Counts its journal's records up to `last`, past its commit, as
    /// delivered before it stopped: replayed, not delivered again, and
    /// compared with a restarted sequencer's log before it is taken.
    fn count_handed(&mut self, last: u64) {
        self.window.skip_to(last + 1);
        self.seen = self.seen.max(last);
        self.handed_before = last;
        // Not inferred committed by its own settings before a leader's
        // frame lets it: a sequencer that syncs after it sends may have
        // lost it.
        self.leader_told = true;
    }

    /// With a journal (without failover): the last sequence past the commit
    /// it knows that its application may have been handed, which its
    /// driver keeps beside the journal (`None` removes it). Delivering on
    /// receipt, any record it holds may be (the largest sequence);
    /// delivering on commit, those it counted delivered when it resumed
    /// (see [`handed_before_stop`](Self::handed_before_stop)) until it
    /// knows them committed, or withdraws them and its application took
    /// the notice of it (as [`poll_truncate`](Self::poll_truncate) waits).
    pub fn handed_out(&self) -> Option<Seq> {
        if !self.config.journal || self.observer {
            return None;
        }
        match self.config.deliver {
            Deliver::OnReceive => Some(Seq(u64::MAX)),
            Deliver::OnCommit => {
                let withdrawn = self.withdrawal_told();
                (self.handed_before > self.known_commit() && !withdrawn).then_some(Seq(self.handed_before))
            }
        }
    }

    /// It withdrew what it delivered on receipt (see `withdraw_delivered`)
    /// and its application took the notice that those events are in
    /// doubt: only then may its journal forget it handed them out.
    fn withdrawal_told(&self) -> bool {
        self.withdrew && self.epoch_reported
    }

    /// A resumed follower whose journal holds records up to `last` that it
    /// does not keep (past its commit): the driver drops them.
    pub(super) fn drop_journal_tail(&mut self, last: Seq) {
        if last.get() > self.appended {
            (self.appended, self.last_record, self.durable) = (last.get(), last.get(), last.get());
            self.drop_journaled_past(self.commit);
        }
    }

    /// Its journal failed (a full disk, an I/O error; the driver says):
    /// what it holds past the journal is not durable, so it ACKs no more
    /// than it did (the driver reports nothing more durable).
    pub fn journal_failed(&mut self) {
        self.journal_failed = true;
        // What it inferred and delivered stays known committed: it infers
        // no more than it ACKed from now on (see `known_commit`). (Not
        // what it delivered on receipt: helper 152; nor, delivering on
        // commit, what a run before it handed out on receipt, which never
        // committed, unless it delivered past it on commit since.)
        self.inferred = self.inferred.max(self.known_commit());
        let delivered = self.window.base() - 1;
        if self.config.deliver == Deliver::OnCommit && delivered > self.handed_before {
            self.inferred = self.inferred.max(delivered);
        }
    }

    /// True once its journal failed (see [`journal_failed`](Self::journal_failed)).
    pub fn is_journal_failed(&self) -> bool {
        self.journal_failed
    }

    /// With a journal, following a sequencer (no failover): what it knows
    /// committed, its own records or not (0 otherwise). Every log it takes
    /// later reaches it (see [`short_leader`](Self::short_leader)), so a
    /// truncation leaves it in the commit file ([`Journal::truncate_knowing`]):
    /// the records that said it go before the next log's are durable.
    ///
    /// [`Journal::truncate_knowing`]: crate::journal::Journal::truncate_knowing
    pub fn known_committed(&self) -> Seq {
        if !self.config.journal || self.observer || self.config.failover != Failover::Off {
            return Seq::ZERO;
        }
        Seq(self.commit.max(self.inferred))
    }

    /// A follower resumed from a journal whose commit file says `commit`
    /// was committed, past its last record, learned in the log of `epoch`
    /// (see [`Recovery::commit_file_beyond`]: a truncation's records not
    /// yet durable when the power went, or records removed). It knows it:
    /// it takes the log of `epoch` as its journal's (no older one), and of
    /// a newer epoch only a log that reaches `commit`; it fetches the
    /// records again. Without the epoch (0: a file written before it was
    /// kept) it cannot tell which logs must reach it, and takes nothing of it.
    ///
    /// [`Recovery::commit_file_beyond`]: crate::journal::Recovery::commit_file_beyond
    pub fn knows_committed(&mut self, commit: Seq, epoch: Epoch) {
        if epoch == Epoch::ZERO {
            return;
        }
        self.inferred = self.inferred.max(commit.get());
        self.resumed_epoch = self.resumed_epoch.max(epoch);
    }

    /// What it handed its driver to journal, and what came back durable.
    pub(super) fn journaled(&self) -> (Seq, Seq) {
        (Seq(self.appended), Seq(self.durable))
    }

    /// With a journal: the sequence after which the driver must drop what
    /// it journaled (handed out once).
    ///
    /// Records it dropped that it knew committed (see `follow_resumed`) stay
    /// in the journal until the window holds as far again: the truncation
    /// and the records that replace them then go in one turn, and a crash
    /// before leaves its journal knowing what it knew.
    ///
    /// With failover, what it held past its commit on joining a leader of
    /// a newer epoch stays too until that leader's log is shown to hold
    /// what it knew committed (and for good once refused): the old log
    /// stays whole on disk, as its claim names it, for the operator of a
    /// member that refused it (its tail may hold events the cluster had
    /// committed). Standing with that log again lets it go.
    ///
    /// What it withdraws of what it delivered on receipt (see
    /// `withdraw_delivered`) stays until its application has taken the
    /// notice that those events are in doubt ([`Event::LeaderRestarted`]):
    /// its journal dropping them first, a crash between the two would leave
    /// a journal that no longer shows it handed them out, and its restart
    /// would take the new log there without a word (helper 184's seed).
    pub fn poll_truncate(&mut self) -> Option<Seq> {
        if self.window.held() < self.truncate_after {
            return None;
        }
        if self.withdrew && !self.withdrawal_told() {
            return None;
        }
        if self.joined_unshown() {
            return None;
        }
        self.truncate_after = 0;
        self.truncate_to.take().map(Seq)
    }

    /// It takes the log of a leader joined whose HEARTBEAT (and probe) has
    /// not yet shown that log holds what it knew committed, or that was
    /// refused, and it has not taken its own log back to stand with it.
    fn joined_unshown(&self) -> bool {
        self.unshown.is_some() && self.sync.as_ref().is_some_and(|sync| !sync.restored)
    }

    /// A follower of `config` that resumes its journal, which holds every
    /// sequence up to `held` (committed; anything past it, the driver drops
    /// or hands to [`keep_journal_tail`](Self::keep_journal_tail)), the
    /// last of it sent in `log_epoch`, starting at `now` (DESIGN §8). It
    /// delivers from `held + 1`; what its journal holds is the driver's to
    /// replay. Without failover it refuses epochs older than `log_epoch`,
    /// and takes a newer one only from a leader that started it from a log
    /// reaching `held` (see [`short_leader`](Self::short_leader)).
    pub fn resume(
        config: Config,
        id: NodeId,
        now: Nanos,
        held: Seq,
        log_epoch: Epoch,
    ) -> Result<Follower, ConfigError> {
        let mut follower = Follower::after(Config { journal: true, ..config }, id, now, held)?;
        follower.resumed_epoch = log_epoch;
        Ok(follower)
    }

    /// Whether node `id` may follow in `config` (valid, a member, and not
    /// the fixed leader), without building one: what
    /// [`new`](Self::new) and [`resume`](Self::resume) refuse.
    pub fn check(config: &Config, id: NodeId) -> Result<(), ConfigError> {
        config.validate()?;
        if id.0 >= config.nodes || (config.failover == Failover::Off && id == config.leader) {
            return Err(ConfigError::NotAFollower { id, nodes: config.nodes, leader: config.leader });
        }
        Ok(())
    }

    /// A follower that has delivered everything up to `held`, all of it
    /// committed (and journaled, with a journal), from `held + 1` on.
    pub(super) fn after(config: Config, id: NodeId, now: Nanos, held: Seq) -> Result<Follower, ConfigError> {
        Follower::check(&config, id)?;
        let held = held.get();
        let window = Window::starting_at(config.window_events, config.record_max(), held + 1, true);
        let mut follower = Follower::with_window(config, id, now, window);
        if follower.config.journal {
            (follower.appended, follower.last_record, follower.durable) = (held, held, held);
        }
        (follower.commit, follower.seen) = (held, held);
        Ok(follower)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The epoch this follower follows (0 until it has heard the leader).
    pub fn epoch(&self) -> Epoch {
        self.header.epoch()
    }

    fn echo(&mut self, now: Nanos, sent_ns: u64) {
        self.echo_ns = sent_ns;
        self.echo_at = now;
        self.leader_offset = Some(sent_ns.wrapping_sub(now));
    }

    /// The window of the leader's clock a tail's token is made in, now
    /// (its hosts' clocks differ: each counts from its own boot); `None`
    /// until the leader followed has sent a frame.
    fn leader_window(&self, now: Nanos) -> Option<u64> {
        Some(now.wrapping_add(self.leader_offset?) / super::leader::HELLO_WINDOW_NS)
    }

    /// False while it syncs to a leader joined whose HEARTBEAT has not yet
    /// said where its log starts: that leader's commit cannot count before
    /// it shows it is not short (see [`short_leader`](Self::short_leader)).
    fn leader_log_shown(&self) -> bool {
        self.unshown.is_none() && self.own_unshown().is_none()
    }

    fn on_batch(&mut self, now: Nanos, batch: Batch<'_>, repair: bool) {
        self.echo(now, batch.head.sent_ns.get());
        let mut repaired = None;
        if self.leader_log_shown() {
            self.commit = self.commit.max(batch.head.commit.get());
            self.leader_commit = self.leader_commit.max(batch.head.commit.get());
        }
        self.heard_commit = self.heard_commit.max(batch.head.commit.get());
        // A leader joined whose HEARTBEAT has not shown that its log reaches
        // the commit this follower knew may have been elected short: what
        // it sends at or below that commit, where this follower missed
        // events, may be other events than those committed, which the
        // commit known would deliver. Asked again once it shows.
        let unproven = self.unshown.map_or(0, |(needed, _)| needed);
        // A leader joined's answer to its probe (a restarted sequencer's,
        // not yet followed, comes in its own epoch: see `resumed_answer`).
        let probed = self.probe.as_ref().filter(|probe| probe.resumed.is_none()).map(|probe| probe.seq);
        for event in batch.events {
            let seq = event.header.seq.get();
            if probed == Some(seq) {
                self.probe_answered(now, event.record);
                if self.short_leader.is_some() {
                    return;
                }
            }
            self.seen = self.seen.max(seq);
            self.heard_sent = self.heard_sent.max(seq);
            if seq <= unproven {
                self.stats.unproven += 1;
                continue;
            }
            match self.keep(seq, &event) {
                Some(true) => {
                    self.stats.events_received += 1;
                    repaired = repaired.max(repair.then_some(seq));
                }
                Some(false) => {}
                None => break,
            }
        }
        if let Some(seq) = repaired {
            self.repaired(now, seq);
        }
    }

    /// Keeps `event` at `seq` in the window: `Some(true)` if it was new
    /// there, `Some(false)` if not (a duplicate, or beyond the window),
    /// `None` if too long to keep (nothing after it in its datagram is
    /// taken either).
    fn keep(&mut self, seq: u64, event: &EventRef<'_>) -> Option<bool> {
        match self.window.insert(seq, event.record) {
            Insert::Stored => return Some(true),
            Insert::Duplicate => self.stats.duplicates += 1,
            Insert::Beyond => self.stats.beyond_window += 1,
            Insert::TooLong => {
                self.rejects.too_long += 1;
                if seq <= self.deliver_until {
                    self.too_long.get_or_insert((Seq(seq), event.payload.len()));
                }
                return None;
            }
        }
        Some(false)
    }

    /// A repair brought events up to `seq` (see [`repairs_coming`](Self::repairs_coming)).
    fn repaired(&mut self, now: Nanos, seq: u64) {
        let last = self.repair_front.map(|(_, at)| at).max(self.repairs_asked_at);
        if let Some(last) = last {
            self.repair_gap_ns = (self.repair_gap_ns * 7 + now.saturating_sub(last)) / 8;
        }
        self.repair_front = Some((seq, now));
    }

    /// While repairs keep coming (one within four of their usual gaps, and
    /// within a second), the highest sequence they brought: retries above
    /// it wait, as the leader is still serving them in order; below it,
    /// one still missing was lost on the way, and is asked again.
    fn repairs_coming(&self, now: Nanos) -> Option<u64> {
        let (front, at) = self.repair_front?;
        let hold = (4 * self.repair_gap_ns).clamp(self.config.nak_delay_min_ns, REPAIR_HOLD_MAX_NS);
        (now < at + hold).then_some(front)
    }

    /// Called when `poll_timeout` passes.
    pub fn handle_timeout(&mut self, now: Nanos) {
        self.mark_missing(now);
        self.tend_gone(now);
    }

    /// Whether an ACK due, saying `held`, goes: not if a commit the leader
    /// it follows sent already covers `held` (it could not move that
    /// leader's commit: other followers' ACKs did, and their commit
    /// HEARTBEAT or DATA came in before this one left), unless it is urgent
    /// or the leader has had none from this follower for [`ACK_REFRESH_NS`].
    /// Not a commit learned elsewhere (an earlier leader's, its journal's):
    /// a new leader may know less, and need this ACK to commit.
    fn ack_goes(&mut self, now: Nanos, held: u64) -> bool {
        if self.ack_urgent || held > self.leader_commit || now >= self.ack_at + ACK_REFRESH_NS {
            return true;
        }
        (self.ack_covered, self.ack_due) = (held, false);
        self.stats.acks_covered += 1;
        false
    }

    /// When an ACK of what it holds past the commit goes again: an
    /// `ack_interval_ns` after the last one if its leader spoke since, else
    /// a keepalive after. A stopped leader hears none of them, and where a
    /// replayed frame gave a victim's address for the leader's, 1,000 ACKs
    /// a second went there while the real leader's frames were refused.
    fn ack_repeat_at(&self) -> Nanos {
        let heard = self.heard_at > self.ack_at;
        self.ack_at + if heard { self.config.ack_interval_ns } else { KEEPALIVE_NS }
    }

    /// When an ACK next goes with no input: see [`ack_repeat_at`](Self::ack_repeat_at)
    /// while it holds uncommitted events, and once what it holds has gone
    /// unsaid (covered) for [`ACK_REFRESH_NS`].
    fn ack_timer(&self) -> Option<Nanos> {
        if self.sync.is_some() || self.observer || self.own_unshown().is_some() || self.short_leader.is_some() {
            return None;
        }
        let held = self.seq_acked();
        // What the leader's commit covers `ack_goes` does not send, so the
        // timer for what is uncommitted must never fall below it (it came
        // due again at once, for ever: sim seed 7801963).
        invariant!(self.leader_commit <= self.commit, "leader commit {} past {}", self.leader_commit, self.commit);
        let uncommitted = (held > self.commit).then(|| self.ack_repeat_at());
        let unsaid = (held > self.ack_sent).then_some(self.ack_at + ACK_REFRESH_NS);
        uncommitted.into_iter().chain(unsaid).min()
    }

    /// When the follower next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        if !self.redirects.is_empty() {
            return Some(0);
        }
        // A probe of a restarted sequencer not yet followed goes where it
        // sent from; with no leader heard yet there is nobody else to ACK or NAK.
        // (A leader's, once it was heard from: a probe goes where it speaks.)
        let probe = self.probe.as_ref().filter(|p| p.resumed.is_some() || self.leader_addr.is_some()).map(|p| p.due);
        if self.leader_addr.is_none() {
            let first = self.first_heard.map(|_| self.fresh.map_or(0, |ask| ask.due));
            return probe.into_iter().chain(first).min();
        }
        let mut timers = TimerTable::<3>::new();
        timers.set(Timer::Ack as usize, self.ack_timer());
        let nak = self.window.nak_due().map(|due| due.max(self.nak_paced_until()));
        let fresh = self.asks_fresh().then(|| self.fresh.map_or(0, |ask| ask.due));
        timers.set(Timer::Nak as usize, nak.into_iter().chain(probe).chain(fresh).min());
        let waits = self.gone.iter().filter_map(|g| self.gone_deadline(g)).min();
        let answers = (!self.declined.is_empty() || !self.hellos.is_empty()).then_some(0);
        timers.set(Timer::Gone as usize, waits.into_iter().chain(answers).min());
        timers.next()
    }

    /// Writes the next datagram to send into `buf` (at least `mtu` bytes): an
    /// ACK when there is progress to report, else a NAK when one is due.
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        let buf = &mut buf[..self.config.mtu];
        if let Some((dest, first, end)) = self.declined.pop_front() {
            let len = self.unrecoverable_frame(buf, Seq(first), Seq(end));
            return Some(Transmit { dest: Dest::Unicast(dest), len });
        }
        if let Some((to, client, request)) = self.redirects.pop() {
            let body = Busy {
                client: client.into(),
                reason: u16::from(BusyReason::NotLeader).into(),
                leader: self.leader.map_or(SENDER_CLIENT, |l| l.0).into(),
                request: request.into(),
                retry_ns: 0.into(),
            };
            let len = emit(buf, &self.header, Kind::Busy, &body).expect("mtu holds a BUSY");
            return Some(Transmit { dest: Dest::Unicast(to), len });
        }
        if let Some(addr) = self.hellos.pop()
            && let Some(window) = self.leader_window(now)
        {
            let token = super::leader::observer_token(self.epoch(), addr, window);
            let body = Busy {
                client: 0.into(),
                reason: u16::from(BusyReason::Hello).into(),
                leader: 0.into(),
                request: 0.into(),
                retry_ns: 0.into(),
            };
            let header = Header { token: token.into(), ..self.header };
            let len = emit(buf, &header, Kind::Busy, &body).expect("mtu holds a BUSY");
            return Some(Transmit { dest: Dest::Unicast(addr), len });
        }
        let probe = self.probe.as_ref().filter(|probe| probe.due <= now).map(|probe| (probe.seq, probe.resumed));
        if let Some((seq, resumed)) = probe
            && let Some(to) = resumed.map(|(_, from)| from).or(self.leader_addr)
        {
            // Asked again at the pace of a NAK's first retry, until the
            // leader answers (RETRANSMIT or UNRECOVERABLE); a restarted
            // sequencer not yet followed, in its epoch, where it sent from.
            if let Some(tries) = self.probe.as_ref().map(|probe| probe.tries) {
                let retry_ns = self.ask_retry_ns(tries);
                let probe = self.probe.as_mut().expect("checked");
                (probe.due, probe.tries) = (now + retry_ns, tries.saturating_add(1));
            }
            let epoch = resumed.map_or(self.header.epoch, |(epoch, _)| epoch.get().into());
            let header = Header { epoch, ..self.nak_header() };
            let mut writer = FrameWriter::nak(buf, &header).expect("mtu holds a NAK head");
            writer.push_range(&SeqRange::new(Seq(seq), Seq(seq + 1)));
            (self.stats.naks_sent, self.stats.events_nakked) = (self.stats.naks_sent + 1, self.stats.events_nakked + 1);
            return Some(Transmit { dest: Dest::Unicast(to), len: writer.finish() });
        }
        let epoch = self.first_heard.map_or(self.epoch(), |heard| heard.epoch());
        if self.asks_fresh()
            && self.fresh.is_none_or(|ask| ask.due <= now)
            && let Some(to) = self.first_heard.as_mut().map_or(self.leader_addr, |heard| Some(heard.ask()))
        {
            // Asked again as a probe is.
            let (seed, id) = (self.config.nonce_seed, u64::from(self.header.sender.get()));
            let tries = self.fresh.map_or(0, |ask| ask.tries);
            let retry_ns = self.ask_retry_ns(tries);
            let ask = self.fresh.get_or_insert_with(|| FreshAsk::new(seed ^ id << 48, now));
            (ask.due, ask.tries) = (now + retry_ns, tries.saturating_add(1));
            let nonce = ask.nonce;
            let header = Header { epoch: epoch.get().into(), ..self.nak_header() };
            let mut writer = FrameWriter::nak_asking(buf, &header, nonce).expect("mtu holds a NAK head");
            if self.observer {
                // A subscriber's ask without its token (or a stale one)
                // draws the leader's hello: one range, the next sequence it
                // wants, makes it as large as that hello (a leader sends
                // none for less), and is served once the token is shown.
                let next = self.window.base();
                writer.push_range(&SeqRange::new(Seq(next), Seq(next + 1)));
            }
            self.stats.fresh_asks_sent += 1;
            return Some(Transmit { dest: Dest::Unicast(to), len: writer.finish() });
        }
        let leader = Dest::Unicast(self.leader_addr?);
        let held = self.seq_acked();
        let ack_timer = held > self.commit && now >= self.ack_repeat_at();
        // A NAK due goes with a fresh ACK now and then, even without
        // progress: the leader answers NAKs where ACKs come from, and a
        // replayed ACK must not leave a stuck follower's repairs
        // misdirected. Without failover, each that goes now to the leader
        // (none while a member is asked for history) goes just after one,
        // one ACK a NAK sent: until an ACK echoing its stamp comes from
        // where a follower's NAKs do (the first may be lost), a sequencer
        // answers each with one event.
        let nak_now = self.window.nak_due().is_some_and(|at| at.max(self.nak_paced_until()) <= now);
        let every = self.config.failover == Failover::Off
            && !self.asks_a_member()
            && self.ack_at < now
            && self.nak_sent_at.is_none_or(|at| at >= self.ack_at);
        let nak_refresh = nak_now && (every || now >= self.ack_at + self.config.ack_interval_ns);
        // ACKs covered leave the leader's view of this follower this old at most.
        let unsaid = held > self.ack_sent && now >= self.ack_at + ACK_REFRESH_NS;
        self.ack_due |= nak_refresh || ack_timer || unsaid;
        self.ack_urgent |= nak_refresh;
        // A syncing follower's window is not yet the new leader's log.
        // Nor, while the leader of its own log's epoch is not shown to hold
        // that log, or once it refused its leader, is anything acknowledged
        // to it (an ACK of its own log would count for that leader's).
        let shown = self.own_unshown().is_none() && self.short_leader.is_none();
        if self.ack_due && self.sync.is_none() && !self.observer && shown && self.ack_goes(now, held) {
            let body =
                Ack { seq_held: held.into(), echo_ns: self.echo_ns.into(), echo_delay_ns: (now - self.echo_at).into() };
            (self.ack_sent, self.ack_at, self.ack_due) = (held, now, false);
            self.ack_urgent = false;
            if self.acks_fenced {
                self.stats.acks_fenced += 1;
            } else {
                self.stats.acks_sent += 1;
                // Its flags say what the ACK promises of what it counts.
                let header = Header { flags: (self.config.durability() as u16).into(), ..self.header };
                let len = emit(buf, &header, Kind::Ack, &body).expect("mtu holds an ACK");
                return Some(Transmit { dest: leader, len });
            }
        }
        let (most, room) = self.nak_room();
        if self.window.waits_for_room() && 2 * room >= most {
            // Half of it is free again: what waited for room goes now.
            self.window.nak_now(now);
        }
        if self.window.nak_due()?.max(self.nak_paced_until()) > now {
            return None;
        }
        let header = self.nak_header();
        let mut writer = FrameWriter::nak(buf, &header).expect("mtu holds a NAK head");
        let asked_max = self.asked_max();
        let coming = self.repairs_coming(now);
        let limits = NakLimits {
            ranges_max: NAK_RANGES_MAX,
            events_max: asked_max,
            fresh_max: if 2 * room >= most { room } else { 0 },
            pace_ns: self.config.nak_delay_min_ns,
            room_wait_ns: self.config.nak_delay_max_ns,
            hold_above: coming.unwrap_or(u64::MAX),
            ask_until: self.deliver_until,
        };
        let (rtt_ns, min_ns, max_ns) = (self.rtt_ns, self.config.nak_delay_min_ns, self.config.nak_delay_max_ns);
        // What a member serving history is given, at most, before it is asked again.
        let member_max_ns = SERVE_WAIT_NS.max(max_ns);
        let per_event_ns = self.config.nak_retry_per_event_ns;
        let (mut events, mut asked, asked_before) = (0, None, self.window.asked());
        let gone = &self.gone;
        let of_member = |seq: u64| {
            let i = gone.partition_point(|g| g.end <= seq);
            gone.get(i).is_some_and(|g| g.first <= seq && g.asking.is_some())
        };
        // Retries back off from 4x RTT (2x RTT doubled once for the NAK
        // that asked), doubling, up to nak_delay_max_ns, the k-th event a
        // NAK asks k events' repair time later. What was asked of a member
        // goes on doubling up to SERVE_WAIT_NS, a NAK's events all alike: it
        // reads them from its journal and serves its readers in turns,
        // under a `--history-rate` a second apart.
        let retry_ns = |seq: u64, tries: u8, ahead: u64| {
            let backoff = (2 * rtt_ns).saturating_mul(1 << tries.min(20));
            match of_member(seq) {
                true => backoff.clamp(min_ns, member_max_ns),
                false => backoff.clamp(min_ns, max_ns) + ahead * per_event_ns,
            }
        };
        // A NAK asks one place: the leader, or the member asked for a range
        // the leader no longer has.
        let segment_end = |seq: u64| match gone.iter().find(|g| seq < g.end) {
            Some(g) if g.first <= seq => g.end,
            Some(g) => g.first,
            None => u64::MAX,
        };
        self.window.collect_naks(now, limits, retry_ns, segment_end, |first, end| {
            asked.get_or_insert(first);
            events += end - first;
            writer.push_range(&SeqRange::new(Seq(first), Seq(end)));
        });
        if writer.count() == 0 {
            // Nothing could go: the leader's room is taken by what was asked
            // (a fresh gap waits for room), and no retry of it came due
            // before the scan stopped at that gap. If no NAK has gone for
            // nak_delay_max_ns (SERVE_WAIT_NS while a member is asked), the
            // repairs asked for are not coming (a gap refilled below them
            // leaves retries the scan never reaches): ask afresh.
            let quiet_ns = if self.asks_a_member() { member_max_ns } else { max_ns };
            if self.window.asked() > 0 && coming.is_none() && self.nak_sent_at.is_none_or(|at| now >= at + quiet_ns) {
                self.window.forget_asked(now);
            }
            return None;
        }
        if asked_before == 0 {
            self.repairs_asked_at = Some(now);
        }
        self.stats.naks_sent += 1;
        self.stats.events_nakked += events;
        self.nak_sent_at = Some(now);
        self.unanswered_since.get_or_insert(now);
        let len = writer.finish();
        let member = asked.and_then(|seq| self.gone.iter().position(|g| g.first <= seq && seq < g.end));
        let Some(i) = member else { return Some(Transmit { dest: leader, len }) };
        self.stats.events_asked_of_members += events;
        self.gone[i].heard_at.get_or_insert(now);
        let Some(addr) = self.gone[i].asking.and_then(|m| self.member_addr(m)) else {
            return Some(Transmit { dest: leader, len });
        };
        // Asked of a member that does not lead: it says so, and a tail
        // sends the token a member gave it, if one did.
        let (header, _) =
            <Header as zerocopy::FromBytes>::mut_from_prefix(&mut buf[..len]).expect("a NAK has a header");
        header.flags = FLAG_SERVED.into();
        if self.observer && self.member_nak_token != 0 {
            header.token = self.member_nak_token.into();
        }
        crate::wire::seal(&mut buf[..len]);
        Some(Transmit { dest: Dest::Unicast(addr), len })
    }

    /// When a NAK that asks its leader for one answer (a probe's record, a
    /// fresh HEARTBEAT) goes again after `tries` unanswered: at the pace
    /// of a NAK's first retry, doubling, up to [`PROBE_RETRY_MAX_NS`], so
    /// that a leader that never answers is not flooded.
    fn ask_retry_ns(&self, tries: u32) -> Nanos {
        let retry_ns = (4 * self.rtt_ns).clamp(self.config.nak_delay_min_ns, self.config.nak_delay_max_ns);
        retry_ns.saturating_mul(1 << tries.min(20)).min(PROBE_RETRY_MAX_NS.max(retry_ns))
    }

    /// True if `heartbeat` answers the nonce it asked with.
    fn answers_ask(&self, heartbeat: &Heartbeat) -> bool {
        self.fresh.is_some_and(|ask| ask.nonce == heartbeat.nonce())
    }

    /// The header of its NAKs: a tail's carries its token from the leader,
    /// a member's its cluster's shape.
    fn nak_header(&self) -> Header {
        let token = if self.observer { self.nak_token } else { self.header.token.get() };
        Header { token: token.into(), ..self.header }
    }

    /// Hands the application nothing past `last` (`seqcast tail --to`): a
    /// subscriber that stops there. What comes after stays in the window,
    /// which fills: meant for one made with [`observe`](Self::observe).
    pub fn deliver_until(&mut self, last: Seq) {
        self.deliver_until = last.get();
    }

    /// The next event for the application, in sequence order: when committed
    /// (the default) or when received, as `config.deliver` says.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        let upto = match self.config.deliver {
            Deliver::OnCommit => self.known_commit(),
            // With a journal, what it holds at its level (or knows
            // committed): a restart knows all it handed out.
            Deliver::OnReceive if self.config.journal && !self.observer => self.durable.max(self.known_commit()),
            Deliver::OnReceive => u64::MAX,
        };
        // Nothing past the record a restarted sequencer is asked for: its
        // log is compared there, and taken from there if the same.
        let upto = self.probe.as_ref().map_or(upto, |probe| upto.min(probe.seq.max(self.known_commit())));
        // Delivered on commit, never rolled back: nothing past the commit
        // went out, but what a run before it handed out on receipt.
        invariant!(
            self.config.deliver == Deliver::OnReceive
                || self.window.base() - 1 <= upto.max(self.commit).max(self.handed_before)
        );
        let upto = upto.min(self.deliver_until);
        if !self.window.can_pop(upto) {
            let new = self.epoch_new.filter(|_| !self.epoch_reported)?;
            self.epoch_reported = true;
            let held = self.window.held();
            let commit = self.known_commit();
            let in_doubt = (held > commit).then_some((Seq(commit + 1), Seq(held + 1)));
            // Resumed from its journal and not yet following: its log's
            // epoch; with failover, the epoch of the log it had (it joined
            // the short leader's).
            let old = match (self.short_leader, self.unshown) {
                (Some(_), Some((_, had))) => had,
                _ => self.epoch().max(self.resumed_epoch),
            };
            return Some(Event::LeaderRestarted { old, new, in_doubt });
        }
        match self.window.pop(upto)? {
            Popped::Event(event) => {
                self.stats.delivered += 1;
                Some(Event::Deliver(event))
            }
            Popped::Lost { first, end } => {
                self.stats.lost += end - first;
                Some(Event::Lost { first: Seq(first), end: Seq(end) })
            }
        }
    }
}

#[cfg(test)]
mod inferred_tests {
    use super::*;
    use crate::wire::test_record;

    /// A follower of `config` holding 1..=10, written, `durable` of them
    /// durable and `acked` ACKed.
    fn holding_ten(config: &Config, durable: u64, acked: u64) -> Follower {
        let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
        for seq in 1..=10 {
            follower.window.insert(seq, &test_record(7, seq, b"x"));
        }
        (follower.appended, follower.last_record, follower.durable, follower.ack_sent) = (10, 10, durable, acked);
        follower
    }

    fn deliver(follower: &mut Follower) -> Vec<u64> {
        std::iter::from_fn(|| match follower.poll_event()? {
            Event::Deliver(e) => Some(e.header.seq().get()),
            _ => None,
        })
        .collect()
    }

    /// Helper 149: followers of a sequencer whose quorum a follower's ACK
    /// completes (2, no failover, `--sync none`) infer what they hold
    /// committed. Their journals failed (a file-size limit), they ACKed
    /// nothing more and went on delivering: 4,000 events past the leader's
    /// commit, none committed, and after a restart the same sequences again.
    /// Once its journal failed, a follower infers only what it ACKed.
    #[test]
    fn a_follower_whose_journal_failed_infers_only_what_it_acked() {
        let config = Config { journal: true, journal_syncs: false, ..Config::default() };
        assert!(config.followers_infer_commit());
        let mut follower = holding_ten(&config, 6, 6);
        assert_eq!(follower.commit(), Seq(10), "healthy, it infers what it holds");
        follower.journal_failed();
        assert_eq!(follower.commit(), Seq(6));
        assert_eq!(deliver(&mut follower), [1, 2, 3, 4, 5, 6], "up to what it ACKed, not what it holds");
        // Helper 151: one that delivered past what it ACKed before its
        // journal failed keeps that known committed (its invariant: nothing
        // delivered past its commit), and delivers no more.
        let mut follower = holding_ten(&config, 8, 6);
        follower.deliver_until = 8;
        assert_eq!(deliver(&mut follower).len(), 8);
        follower.journal_failed();
        follower.deliver_until = u64::MAX;
        assert_eq!((follower.commit(), deliver(&mut follower)), (Seq(8), vec![]));
        // Delivering on receipt, what it delivered is no commit (helper 152).
        let on_receive = Config { deliver: Deliver::OnReceive, ..config };
        let mut follower = holding_ten(&on_receive, 6, 6);
        assert_eq!(deliver(&mut follower).len(), 10);
        follower.journal_failed();
        assert_eq!(follower.commit(), Seq(6));
    }
}

/// A follower with a real leader and client.
#[cfg(test)]
mod with_leader_tests {
    use super::*;
    use crate::core::{Client, ClientId, Leader};

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// A leader of `config`'s epoch, member 1 following it from no epoch,
    /// and client 7 of it, at port 7002.
    fn leader_follower_client(config: &Config) -> (Leader, Follower, Client) {
        let leader = Leader::new(config.clone(), 0).unwrap();
        let follower = Follower::new(Config { epoch: Epoch::ZERO, ..config.clone() }, NodeId(1), 0).unwrap();
        (leader, follower, Client::new(config.clone(), ClientId(7), addr(7002)).unwrap())
    }

    /// An operator's trial: a client pointed at a follower rather than the
    /// sequencer heard nothing and reported "no reply"; pointed at a member
    /// that follows, it was told "not the leader" and resent at once, about
    /// a million datagrams a second each way. The follower now names its
    /// leader, and a client without failover stops there.
    #[test]
    fn a_client_pointed_at_a_follower_hears_who_leads_and_sends_no_more() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(5), ..Config::default() };
        let mut leader = Leader::new(config.clone(), 0).unwrap();
        let joining = Config { epoch: Epoch::ZERO, ..config };
        let mut follower = Follower::new(joining.clone(), NodeId(1), 0).unwrap();
        let mut buf = vec![0; 2048];
        // The follower hears its leader's heartbeat.
        let now = 1_000_000_000;
        while let Some(t) = leader.poll_transmit(now, &mut buf) {
            follower.handle_datagram(now, addr(7001), &buf[..t.len]);
        }
        assert_eq!(follower.leader(), Some(NodeId(0)));
        let mut client = Client::new(joining, ClientId(9), addr(7002)).unwrap();
        client.submit(b"x").unwrap();
        let submit = client.poll_transmit(now, &mut buf).unwrap();
        follower.handle_datagram(now, addr(7009), &buf[..submit.len]);
        assert_eq!(follower.poll_timeout(), Some(0), "an answer is owed");
        let t = follower.poll_transmit(now, &mut buf).expect("an answer");
        assert_eq!(t.dest, Dest::Unicast(addr(7009)));
        let answer = crate::wire::parse(&buf[..t.len]).unwrap();
        let Frame::Busy(busy) = answer.frame else { panic!("{answer:?}") };
        assert_eq!((busy.reason(), busy.leader.get(), busy.request.get()), (BusyReason::NotLeader, 0, 1));
        assert_eq!(follower.stats().submits_redirected, 1);
        client.handle_datagram(now, addr(7002), &buf[..t.len]);
        assert_eq!(client.not_leader(), Some((NodeId(1), NodeId(0))));
        // It sends nothing more, however long it waits.
        let later = now + 60_000_000_000;
        assert_eq!(client.poll_timeout(), None);
        client.handle_timeout(later);
        assert!(client.poll_transmit(later, &mut buf).is_none(), "a resend");
    }

    /// PROTOCOL "Replays": a follower new to a cluster took the epoch of
    /// the first leader frame it heard, so a recording of an older epoch
    /// replayed to the group before its sequencer spoke was delivered as
    /// its leader's log. With keys, the first epoch it follows is the one
    /// whose leader answers its NAK's nonce.
    #[test]
    fn a_new_follower_takes_its_first_epoch_only_from_a_leader_that_answers_its_nonce() {
        let keyed = |epoch| Config { nodes: 2, quorum: 1, epoch, client_tokens: true, ..Config::default() };
        // Epoch 3's sequencer took an event and sent its DATA (recorded), then died.
        let mut old = Leader::new(keyed(Epoch(3)), 0).unwrap();
        let mut client = Client::new(keyed(Epoch(3)), ClientId(9), addr(7002)).unwrap();
        let mut buf = vec![0; 2048];
        client.submit(b"old").unwrap();
        let submit = client.poll_transmit(0, &mut buf).unwrap();
        old.handle_datagram(10, addr(7002), &buf[..submit.len]);
        let hello = old.poll_transmit(20, &mut buf).unwrap();
        client.handle_datagram(30, addr(7000), &buf[..hello.len]);
        let submit = client.poll_transmit(40, &mut buf).unwrap();
        old.handle_datagram(50, addr(7002), &buf[..submit.len]);
        let recorded: Vec<Vec<u8>> =
            std::iter::from_fn(|| old.poll_transmit(60, &mut buf).map(|t| buf[..t.len].to_vec()))
                .filter(|bytes| matches!(crate::wire::parse(bytes).unwrap().frame, Frame::Data(_)))
                .collect();
        assert_eq!(recorded.len(), 1);
        // A new follower hears it replayed from the old sequencer's address.
        let mut follower = Follower::new(keyed(Epoch::ZERO), NodeId(1), 0).unwrap();
        let now = 1_000_000;
        follower.handle_datagram(now, addr(7000), &recorded[0]);
        assert_eq!((follower.epoch(), follower.poll_event().is_none()), (Epoch::ZERO, true));
        let ask = follower.poll_transmit(now, &mut buf).expect("it asks");
        assert_eq!(ask.dest, Dest::Unicast(addr(7000)));
        let asked = crate::wire::parse(&buf[..ask.len]).unwrap();
        let Frame::Nak(nak) = asked.frame else { panic!("{asked:?}") };
        assert!(nak.ranges.is_empty() && nak.head.nonce.get() != 0 && asked.header.epoch() == Epoch(3));
        // Epoch 5's sequencer, live at the same address, drops a NAK of epoch
        // 3; its HEARTBEAT moves the ask to its epoch, and it answers that.
        let mut live = Leader::new(keyed(Epoch(5)), now).unwrap();
        live.handle_datagram(now, addr(7001), &buf[..ask.len]);
        let now = now + 2 * live.config().heartbeat_interval_ns;
        let sent: Vec<(Dest, Vec<u8>)> =
            std::iter::from_fn(|| live.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec()))).collect();
        let heartbeats = |frames: &[(Dest, Vec<u8>)]| {
            let parsed = frames.iter().map(|(dest, bytes)| (*dest, crate::wire::parse(bytes).unwrap().frame));
            parsed.filter(|(_, frame)| matches!(frame, Frame::Heartbeat(_))).count()
        };
        assert!(heartbeats(&sent) > 0 && sent.iter().all(|(dest, _)| *dest == Dest::Group), "{sent:?}");
        assert_eq!(live.stats().fresh_heartbeats_sent, 0, "a NAK of another epoch");
        for (_, bytes) in &sent {
            follower.handle_datagram(now, addr(7000), bytes);
        }
        assert_eq!(follower.epoch(), Epoch::ZERO, "a HEARTBEAT that answers no nonce of its own");
        let mut at = now;
        let again = loop {
            at = follower.poll_timeout().expect("it asks again").max(at);
            if let Some(t) = follower.poll_transmit(at, &mut buf) {
                break buf[..t.len].to_vec();
            }
            at += 1;
        };
        assert_eq!(crate::wire::parse(&again).unwrap().header.epoch(), Epoch(5));
        live.handle_datagram(at, addr(7001), &again);
        let answer = live.poll_transmit(at, &mut buf).expect("its answer");
        assert_eq!(answer.dest, Dest::Unicast(addr(7001)));
        follower.handle_datagram(at, addr(7000), &buf[..answer.len]);
        assert_eq!(follower.epoch(), Epoch(5));
        // The recording now is an older epoch's, and fenced off.
        let dropped = follower.rejects().wrong_epoch;
        follower.handle_datagram(at + 1, addr(7000), &recorded[0]);
        assert_eq!((follower.rejects().wrong_epoch, follower.older_leader()), (dropped + 1, (1, Epoch(3))));
    }

    /// The same for a subscriber (`seqcast tail`): its first ask has no
    /// token, so the live sequencer answers with its hello (BUSY 7); it asks
    /// again at once with the token, and takes the epoch of the HEARTBEAT
    /// that answers. A recorded HEARTBEAT of a dead sequencer is no answer.
    #[test]
    fn a_new_tail_takes_its_first_epoch_only_from_a_leader_that_answers_its_nonce() {
        let keyed = |epoch| Config { nodes: 2, quorum: 1, epoch, client_tokens: true, ..Config::default() };
        let mut old = Leader::new(keyed(Epoch(3)), 0).unwrap();
        let mut buf = vec![0; 2048];
        let recorded = old.poll_transmit(old.config().heartbeat_interval_ns, &mut buf).unwrap();
        let recorded = buf[..recorded.len].to_vec();
        assert!(matches!(crate::wire::parse(&recorded).unwrap().frame, Frame::Heartbeat(_)));
        let mut tail = Follower::observe(keyed(Epoch::ZERO), 0, Seq(1)).unwrap();
        let mut live = Leader::new(keyed(Epoch(5)), 0).unwrap();
        // Its answers to the tail at `addr(7001)`; what the tail sends, to the leader.
        let exchange = |tail: &mut Follower, live: &mut Leader, now: Nanos| {
            let mut buf = vec![0; 2048];
            for _ in 0..4 {
                let asks: Vec<Vec<u8>> =
                    std::iter::from_fn(|| tail.poll_transmit(now, &mut buf).map(|t| buf[..t.len].to_vec())).collect();
                for ask in asks {
                    live.handle_datagram(now, addr(7001), &ask);
                }
                let answers: Vec<(Dest, Vec<u8>)> =
                    std::iter::from_fn(|| live.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
                        .collect();
                for (_, answer) in answers.iter().filter(|(dest, _)| *dest == Dest::Unicast(addr(7001))) {
                    tail.handle_datagram(now, addr(7000), answer);
                }
            }
        };
        let now = 1_000_000;
        tail.handle_datagram(now, addr(7000), &recorded);
        exchange(&mut tail, &mut live, now);
        assert_eq!(tail.epoch(), Epoch::ZERO, "a NAK of epoch 3 is no question to epoch 5's leader");
        // The live leader's HEARTBEAT: now asked in epoch 5, hello, token, answer.
        let heartbeat = live.poll_transmit(now + live.config().heartbeat_interval_ns, &mut buf).unwrap();
        let now = now + 2_000_000;
        tail.handle_datagram(now, addr(7000), &buf[..heartbeat.len]);
        // Its first ask, without a token, is no smaller than the hello.
        let ask = tail.poll_transmit(now, &mut buf).expect("an ask");
        let ask = buf[..ask.len].to_vec();
        live.handle_datagram(now, addr(7001), &ask);
        let hello = std::iter::from_fn(|| live.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
            .find(|(dest, _)| *dest == Dest::Unicast(addr(7001)))
            .expect("a hello");
        assert!(matches!(crate::wire::parse(&hello.1).unwrap().frame, Frame::Busy(_)));
        assert!(hello.1.len() <= ask.len(), "a {}-byte hello for a {}-byte ask", hello.1.len(), ask.len());
        tail.handle_datagram(now, addr(7000), &hello.1);
        exchange(&mut tail, &mut live, now);
        assert_eq!(tail.epoch(), Epoch(5));
        assert_eq!((live.stats().observer_hellos_sent, live.stats().fresh_heartbeats_sent), (1, 1));
    }

    /// A recording replayed after every frame of the live leader kept a new
    /// follower or tail from it: each ask went where the latest leader frame
    /// came from, in its epoch (a dead sequencer's, or the live one's
    /// replayed from elsewhere). It asks in the newest epoch heard, the last
    /// two places of it in turn.
    #[test]
    fn a_recording_replayed_after_each_leader_frame_keeps_no_new_node_from_its_leader() {
        let keyed = |epoch| Config { nodes: 2, quorum: 1, epoch, client_tokens: true, ..Config::default() };
        let mut buf = vec![0; 2048];
        let mut recorded = |epoch| {
            let mut dead = Leader::new(keyed(epoch), 0).unwrap();
            let heartbeat = dead.poll_transmit(dead.config().heartbeat_interval_ns, &mut buf).unwrap();
            buf[..heartbeat.len].to_vec()
        };
        // A dead sequencer's HEARTBEAT (from its address, 7000, now the
        // live one's), and one of the live epoch replayed from 7009.
        let (dead, replayed) = (recorded(Epoch(3)), recorded(Epoch(5)));
        for observer in [false, true] {
            let mut node = match observer {
                true => Follower::observe(keyed(Epoch::ZERO), 0, Seq(1)).unwrap(),
                false => Follower::new(keyed(Epoch::ZERO), NodeId(1), 0).unwrap(),
            };
            let mut live = Leader::new(keyed(Epoch(5)), 0).unwrap();
            node.handle_datagram(0, addr(7009), &replayed);
            let mut now = 0;
            while node.epoch() == Epoch::ZERO && now < 10_000_000_000 {
                let sent: Vec<(Dest, Vec<u8>)> =
                    std::iter::from_fn(|| live.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
                        .collect();
                for (dest, bytes) in sent.iter().filter(|(dest, _)| matches!(dest, Dest::Group | Dest::Unicast(_))) {
                    let to_node = *dest == Dest::Group || *dest == Dest::Unicast(addr(7001));
                    if to_node {
                        node.handle_datagram(now, addr(7000), bytes);
                        node.handle_datagram(now, addr(7000), &dead);
                        node.handle_datagram(now, addr(7009), &replayed);
                    }
                }
                let asks: Vec<(Dest, Vec<u8>)> =
                    std::iter::from_fn(|| node.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
                        .collect();
                for (_, ask) in asks.iter().filter(|(dest, _)| *dest == Dest::Unicast(addr(7000))) {
                    live.handle_datagram(now, addr(7001), ask);
                }
                let next = [live.poll_timeout(), node.poll_timeout()].into_iter().flatten().min();
                now = next.unwrap_or(now + 1_000_000).max(now + 1);
            }
            assert_eq!(node.epoch(), Epoch(5), "observer {observer}: {:?}", node.first_epoch_asked());
            assert_eq!(live.stats().fresh_heartbeats_sent, 1, "observer {observer}");
        }
    }

    /// Without failover a follower took its leader's frames from any source,
    /// and moved its ACKs to the latest: a leader frame recorded and
    /// replayed from an attacker's address drew the follower's next ACK
    /// there, fresh, which relayed to an idle leader moved the follower's
    /// repairs there (helper 205). A frame of the epoch it follows from
    /// elsewhere than its leader's address moves its ACKs there only if
    /// stamped later than every one taken in the epoch.
    #[test]
    fn a_leader_frame_replayed_from_elsewhere_draws_no_ack_there() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(5), ..Config::default() };
        let mut leader = Leader::new(config.clone(), 0).unwrap();
        let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
        let mut buf = vec![0; 2048];
        let heartbeat_at = |leader: &mut Leader, now: Nanos| {
            let mut buf = vec![0; 2048];
            let sent = leader.poll_transmit(now, &mut buf).expect("a HEARTBEAT");
            assert!(matches!(crate::wire::parse(&buf[..sent.len]).unwrap().frame, Frame::Heartbeat(_)));
            buf[..sent.len].to_vec()
        };
        let first = heartbeat_at(&mut leader, crate::core::KEEPALIVE_NS);
        follower.handle_datagram(1_000, addr(7000), &first);
        let acks = |follower: &mut Follower, now: Nanos, buf: &mut Vec<u8>| -> Vec<Dest> {
            std::iter::from_fn(|| follower.poll_transmit(now, buf).map(|t| t.dest)).collect()
        };
        assert_eq!(acks(&mut follower, 1_000, &mut buf), [Dest::Unicast(addr(7000))]);
        // Replayed from 7009: taken (a sequencer bound to 0.0.0.0 sends
        // from two addresses, helper 206), but no ACK goes there.
        let heartbeats = follower.stats().heartbeats;
        follower.handle_datagram(2_000, addr(7009), &first);
        assert_eq!((follower.stats().heartbeats, follower.leader_addr()), (heartbeats + 1, Some(addr(7000))));
        assert!(acks(&mut follower, 2_000, &mut buf).iter().all(|dest| *dest == Dest::Unicast(addr(7000))));
        // The leader's next frame, from its address, is taken.
        let next = heartbeat_at(&mut leader, 2 * crate::core::KEEPALIVE_NS + 1);
        follower.handle_datagram(3_000, addr(7000), &next);
        assert_eq!(follower.leader_addr(), Some(addr(7000)));
        // A frame stamped later than all it took from there moves it (its
        // leader's copy, replayed faster than it came, would, until the next).
        let later = heartbeat_at(&mut leader, 3 * crate::core::KEEPALIVE_NS + 2);
        follower.handle_datagram(4_000, addr(7009), &later);
        assert_eq!(follower.leader_addr(), Some(addr(7009)));
    }

    /// A leader answers a member's NAK from where only its NAKs came with
    /// one event until an ACK echoing its stamp comes from there, and the
    /// first may be lost: each NAK, a retry within the ACK interval too,
    /// goes just after an ACK.
    #[test]
    fn each_nak_goes_just_after_an_ack() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(3), ..Config::default() };
        let (mut leader, mut follower, mut client) = leader_follower_client(&config);
        let mut buf = vec![0; 2048];
        for (i, now) in [1_000, 2_000, 3_000].into_iter().enumerate() {
            client.submit(b"e").unwrap();
            let submit = client.poll_transmit(now, &mut buf).unwrap();
            leader.handle_datagram(now, addr(7002), &buf[..submit.len]);
            while let Some(t) = leader.poll_transmit(now, &mut buf) {
                // The DATA of 2 is lost.
                if t.dest == Dest::Group && i != 1 {
                    follower.handle_datagram(now, addr(7000), &buf[..t.len]);
                }
            }
        }
        // What it sends in its first 900 µs (its timers run), by kind.
        let mut kinds = Vec::new();
        let mut now = 3_000;
        while let Some(at) = follower.poll_timeout().filter(|&at| at < 900_000) {
            now = at.max(now);
            follower.handle_timeout(now);
            while let Some(t) = follower.poll_transmit(now, &mut buf) {
                kinds.push(crate::wire::parse(&buf[..t.len]).unwrap().header.kind());
            }
        }
        let naks = kinds.iter().filter(|k| **k == Kind::Nak).count();
        assert!(naks >= 2, "the NAK of 2 and a retry within the ACK interval: {kinds:?}");
        for (i, kind) in kinds.iter().enumerate() {
            if *kind == Kind::Nak {
                assert_eq!(kinds.get(i.wrapping_sub(1)), Some(&Kind::Ack), "{kinds:?}");
            }
        }
    }

    /// A follower holding events past its commit ACKs them again while its
    /// leader speaks (an ACK may be lost), but once nothing comes from the
    /// leader, a keepalive apart: a stopped leader hears none of them, and
    /// where a replayed frame gave its address they all went to a victim.
    #[test]
    fn a_silent_leader_is_acked_again_only_a_keepalive_apart() {
        let config = Config { nodes: 2, quorum: 2, epoch: Epoch(3), ..Config::default() };
        let (mut leader, mut follower, mut client) = leader_follower_client(&config);
        let mut buf = vec![0; 2048];
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(1_000, &mut buf).unwrap();
        leader.handle_datagram(1_000, addr(7002), &buf[..submit.len]);
        let sent = leader.poll_transmit(1_000, &mut buf).unwrap();
        let data = buf[..sent.len].to_vec();
        assert_eq!(sent.dest, Dest::Group);
        follower.handle_datagram(1_000, addr(7000), &data);
        // The ACKs the follower sends from `from` to `until`, the leader
        // stopped, or speaking and hearing none of them (lost): nothing commits.
        let mut acks = |follower: &mut Follower, mut leader: Option<&mut Leader>, from: Nanos, until: Nanos| {
            let mut acks = 0;
            for now in (from..until).step_by(50_000) {
                if let Some(leader) = leader.as_deref_mut() {
                    leader.handle_timeout(now);
                    while let Some(t) = leader.poll_transmit(now, &mut buf) {
                        if t.dest == Dest::Group {
                            follower.handle_datagram(now, addr(7000), &buf[..t.len]);
                        }
                    }
                }
                follower.handle_timeout(now);
                while let Some(t) = follower.poll_transmit(now, &mut buf) {
                    acks += usize::from(crate::wire::parse(&buf[..t.len]).unwrap().header.kind() == Kind::Ack);
                }
            }
            acks
        };
        let speaking = acks(&mut follower, Some(&mut leader), 1_000, 20_000_000);
        assert_eq!(follower.seq_acked(), 1);
        assert!(speaking >= 15, "each HEARTBEAT heard draws one: {speaking}");
        // The leader stops: over two keepalives, two ACKs.
        let silent = acks(&mut follower, None, 20_000_000, 20_000_000 + 2 * KEEPALIVE_NS);
        assert_eq!(silent, 2);
        // It speaks again, with frames that draw no ACK of their own
        // (copies of its DATA): one an ACK interval after the last.
        let start = 20_000_000 + 2 * KEEPALIVE_NS;
        let mut copies = 0;
        for now in (start..start + 20_000_000).step_by(100_000) {
            follower.handle_datagram(now, addr(7000), &data);
            follower.handle_timeout(now);
            while let Some(t) = follower.poll_transmit(now, &mut buf) {
                copies += usize::from(crate::wire::parse(&buf[..t.len]).unwrap().header.kind() == Kind::Ack);
            }
        }
        assert!((15..=20).contains(&copies), "an ACK each millisecond: {copies}");
    }

    /// A follower missing an event its leader sent NAKs it a keepalive
    /// apart once the leader is silent (stopped, or at an address a
    /// replayed frame gave: a victim's), not each `nak_delay_max_ns`, each
    /// with an ACK.
    #[test]
    fn a_silent_leader_is_asked_again_only_a_keepalive_apart() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(3), ..Config::default() };
        let (mut leader, mut follower, mut client) = leader_follower_client(&config);
        let mut buf = vec![0; 2048];
        for (i, now) in [1_000, 2_000].into_iter().enumerate() {
            client.submit(b"e").unwrap();
            let submit = client.poll_transmit(now, &mut buf).unwrap();
            leader.handle_datagram(now, addr(7002), &buf[..submit.len]);
            while let Some(t) = leader.poll_transmit(now, &mut buf) {
                // The DATA of 1 is lost, and the leader stops.
                if t.dest == Dest::Group && i == 1 {
                    follower.handle_datagram(now, addr(7000), &buf[..t.len]);
                }
            }
        }
        let mut sent = Vec::new();
        let mut now = 2_000;
        while let Some(at) = follower.poll_timeout().filter(|&at| at < 2_000 + 4 * KEEPALIVE_NS) {
            now = at.max(now);
            follower.handle_timeout(now);
            while let Some(t) = follower.poll_transmit(now, &mut buf) {
                sent.push((now, crate::wire::parse(&buf[..t.len]).unwrap().header.kind()));
            }
        }
        // Its NAKs back off as ever until they have gone unanswered for
        // `nak_delay_max_ns` (10 ms), and an ACK goes with each.
        let naks: Vec<Nanos> = sent.iter().filter(|(_, kind)| *kind == Kind::Nak).map(|(at, _)| *at).collect();
        assert_eq!(sent.len(), 2 * naks.len(), "{sent:?}");
        let late: Vec<Nanos> = naks.iter().copied().filter(|&at| at > 2_000 + 20_000_000).collect();
        assert!(naks.len() > late.len() && late.len() >= 2, "{sent:?}");
        assert!(late.windows(2).all(|pair| pair[1] - pair[0] >= KEEPALIVE_NS), "{sent:?}");
        // The leader's next frame ends the wait: the NAK goes at once.
        let at = late[late.len() - 1] + KEEPALIVE_NS / 2;
        leader.handle_timeout(at);
        let heartbeat = leader.poll_transmit(at, &mut buf).expect("a HEARTBEAT");
        follower.handle_datagram(at, addr(7000), &buf[..heartbeat.len]);
        let mut kinds = Vec::new();
        while let Some(t) = follower.poll_transmit(at, &mut buf) {
            kinds.push(crate::wire::parse(&buf[..t.len]).unwrap().header.kind());
        }
        assert!(kinds.contains(&Kind::Nak), "{kinds:?}");
    }

    /// SUBMITs from many clients at once queue a bounded number of answers,
    /// one a client.
    #[test]
    fn a_follower_owes_few_answers_however_many_submits_come() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch::ZERO, ..Config::default() };
        let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
        let mut buf = vec![0; 2048];
        for id in 0..20u32 {
            let mut client = Client::new(config.clone(), ClientId(100 + id % 10), addr(7002)).unwrap();
            client.submit(b"x").unwrap();
            let submit = client.poll_transmit(0, &mut buf).unwrap();
            follower.handle_datagram(0, addr(8000 + (id % 10) as u16), &buf[..submit.len]);
        }
        let mut answers = Vec::new();
        while let Some(t) = follower.poll_transmit(0, &mut buf) {
            let Frame::Busy(busy) = crate::wire::parse(&buf[..t.len]).unwrap().frame else { panic!("a BUSY") };
            // No leader heard yet: the sequencer its cluster file names.
            assert_eq!(busy.leader.get(), 0);
            answers.push(busy.client().get());
        }
        assert_eq!(answers.len(), REDIRECTS_MAX, "{answers:?}");
        assert_eq!(follower.stats().submits_redirected, 20);
        assert_eq!(follower.poll_timeout(), None, "no leader to ACK, nothing owed");
    }

    /// A spec reader: a follower started with a smaller `payload_max` than
    /// its leader's stopped on an assertion (a record longer than its
    /// window's slots) at the first large event. It takes what came before
    /// it, counts the frame as `too_long`, and names the event (where the
    /// node stops).
    #[test]
    fn a_follower_drops_an_event_longer_than_its_payload_max_and_names_it() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(5), ..Config::default() };
        let mut leader = Leader::new(config.clone(), 0).unwrap();
        let small = Config { epoch: Epoch::ZERO, payload_max: 64, ..config.clone() };
        let mut follower = Follower::new(small, NodeId(1), 0).unwrap();
        let mut client = Client::new(Config { epoch: Epoch::ZERO, ..config }, ClientId(9), addr(7002)).unwrap();
        let mut buf = vec![0; 2048];
        for payload in [&b"a"[..], &[7; 200], b"c"] {
            client.submit(payload).unwrap();
        }
        let now = 1_000_000;
        while let Some(t) = client.poll_transmit(now, &mut buf) {
            leader.handle_datagram(now, addr(7002), &buf[..t.len]);
        }
        let mut frames = 0;
        while let Some(t) = leader.poll_transmit(now, &mut buf) {
            if t.dest == Dest::Group {
                follower.handle_datagram(now, addr(7001), &buf[..t.len]);
                frames += 1;
            }
        }
        assert!(frames > 0);
        assert_eq!(leader.seq_next(), Seq(4));
        assert_eq!(follower.rejects().too_long, 1);
        assert_eq!(follower.too_long(), Some((Seq(2), 200)));
        let delivered: Vec<u64> = std::iter::from_fn(|| match follower.poll_event()? {
            Event::Deliver(e) => Some(e.header.seq.get()),
            other => panic!("{other:?}"),
        })
        .collect();
        assert_eq!(delivered, [1]);
    }

    /// A review: a long event it would never deliver (past `--to`, below
    /// where a tail starts) stopped a tail that could
    /// read its whole range. Only one it must deliver counts.
    #[test]
    fn a_long_event_it_would_not_deliver_stops_nothing() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(5), ..Config::default() };
        let mut leader = Leader::new(config.clone(), 0).unwrap();
        let small = Config { epoch: Epoch::ZERO, payload_max: 64, ..config.clone() };
        let mut past_to = Follower::observe(small.clone(), 0, Seq(1)).unwrap();
        past_to.deliver_until(Seq(100));
        let mut above = Follower::observe(small, 0, Seq(102)).unwrap();
        let mut client = Client::new(Config { epoch: Epoch::ZERO, ..config }, ClientId(9), addr(7002)).unwrap();
        let mut buf = vec![0; 2048];
        for seq in 1..=102u64 {
            // 101 is long: past the first tail's --to, below the second's start.
            client.submit(if seq == 101 { &[7; 200] } else { b"s" }).unwrap();
            let now = seq * 1_000_000;
            while let Some(t) = client.poll_transmit(now, &mut buf) {
                leader.handle_datagram(now, addr(7002), &buf[..t.len]);
            }
            while let Some(t) = leader.poll_transmit(now, &mut buf) {
                match t.dest {
                    Dest::Group => {
                        for tail in [&mut past_to, &mut above] {
                            tail.handle_datagram(now, addr(7001), &buf[..t.len]);
                        }
                    }
                    Dest::Unicast(_) => client.handle_datagram(now, addr(7001), &buf[..t.len]),
                }
            }
            for tail in [&mut past_to, &mut above] {
                while tail.poll_event().is_some() {}
            }
        }
        assert_eq!(leader.seq_next(), Seq(103));
        assert_eq!((past_to.too_long(), above.too_long()), (None, None));
        assert_eq!(past_to.seq_next_delivery(), Seq(101));
    }

    /// A new operator's trial: `seqcast tail --from 1 --to 100` of a log of
    /// 40,000 events made the leader retransmit 16,384 of them (a tail asks
    /// up to four times a follower's NAK). It asks for nothing past `--to`.
    #[test]
    fn a_tail_asks_for_nothing_past_where_it_stops() {
        let config = Config { nodes: 2, quorum: 1, epoch: Epoch(5), ..Config::default() };
        let mut leader = Leader::new(config.clone(), 0).unwrap();
        let mut client = Client::new(Config { epoch: Epoch::ZERO, ..config.clone() }, ClientId(9), addr(7002)).unwrap();
        let mut buf = vec![0; 2048];
        for seq in 1..=3000u64 {
            client.submit(b"s").unwrap();
            let now = seq * 1_000;
            while let Some(t) = client.poll_transmit(now, &mut buf) {
                leader.handle_datagram(now, addr(7002), &buf[..t.len]);
            }
            while let Some(t) = leader.poll_transmit(now, &mut buf) {
                if let Dest::Unicast(_) = t.dest {
                    client.handle_datagram(now, addr(7001), &buf[..t.len]);
                }
            }
        }
        assert_eq!(leader.seq_next(), Seq(3001));
        let config = Config { epoch: Epoch::ZERO, client_tokens: false, ..config };
        let mut tail = Follower::observe(config, 0, Seq(1)).unwrap();
        tail.deliver_until(Seq(100));
        let (mut asked, mut now) = (Vec::new(), 10_000_000_000);
        while now < 12_000_000_000 {
            leader.handle_timeout(now);
            while let Some(t) = leader.poll_transmit(now, &mut buf) {
                match t.dest {
                    Dest::Group => tail.handle_datagram(now, addr(7001), &buf[..t.len]),
                    Dest::Unicast(_) => {}
                }
            }
            tail.handle_timeout(now);
            while let Some(t) = tail.poll_transmit(now, &mut buf) {
                if let Frame::Nak(nak) = crate::wire::parse(&buf[..t.len]).unwrap().frame {
                    asked.extend(nak.ranges.iter().map(|r| (r.first.get(), r.end.get())));
                }
            }
            now += 1_000_000;
        }
        assert!(!asked.is_empty(), "it asks for 1..=100");
        assert!(asked.iter().all(|&(_, end)| end <= 101), "{asked:?}");
    }
}
