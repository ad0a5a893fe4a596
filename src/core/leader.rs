//! The leader (sequencer): stamps submitted events, multicasts them in
//! batches, repairs NAKs from its ring, commits on a quorum of ACKs and tells
//! each client what committed (DESIGN §2).

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::clients::{Clients, Room};
use super::timer::TimerTable;
use super::{
    Claim, ClientId, Config, ConfigError, Dest, Durability, Epoch, Failover, Follower, Nanos, NodeId, Peers, Rejects,
    Ring, Seq, Transmit, admits, parse, quorum_commit,
};
use crate::wire::{
    Ack, Busy, BusyReason, CommitRun, Datagram, EventRef, FLAG_NO_FAILOVER, FLAG_OLDEST, FLAG_RESENT, FLAG_TOLD, Frame,
    FrameWriter, Header, Heartbeat, Kind, SENDER_CLIENT, Submit, emit,
};

/// The highest request number a leader takes: a client numbering from 1
/// never comes near it, and every table that adds one to a request
/// (`request_next`) stays in range. One above is refused as request 0 is.
pub const REQUEST_MAX: u64 = u64::MAX >> 1;

/// Asks for request 1 (BUSY reason 3, each at least two round trips apart)
/// a client none of whose requests was taken gets, once the table forgot a
/// client, before its resends from past 1 are answered "in doubt".
const GAP_ASKS_FORGOTTEN: u8 = 3;

/// What a SUBMIT's header flags say of its first request.
#[derive(Clone, Copy, Debug, Default)]
struct Said {
    /// Sent before to another member (`FLAG_RESENT`).
    resent: bool,
    /// Every request below it was told committed (`FLAG_OLDEST`), by
    /// leaders of this leader's epoch or older, or of an epoch lost.
    oldest: bool,
    /// The epoch to answer it in: this leader's, or a lost one its client
    /// named (the client hears no older one).
    epoch: Epoch,
}

/// Counters of every protocol path the leader runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaderStats {
    /// Events stamped with a sequence.
    pub events_stamped: u64,
    /// Submitted events that were already sequenced (client retries).
    pub duplicates: u64,
    /// Submitted events after a missing request number, dropped (go-back-N:
    /// the client is told to resend from the missing one).
    pub out_of_order: u64,
    /// Submitted events never to be taken, dropped and answered BUSY
    /// reason 6: a payload over `payload_max`, or request 0 (a client's
    /// requests start at 1).
    pub refused: u64,
    /// SUBMITs of a client id another process uses (or used): a request
    /// the leader holds a different event for, answered BUSY reason 8 (as
    /// is one older than any client resends, counted a duplicate: it may
    /// be a replay).
    pub ids_in_use: u64,
    /// BUSY replies sent.
    pub busy_sent: u64,
    /// DATA datagrams sent.
    pub data_sent: u64,
    /// Events sent in DATA.
    pub events_sent: u64,
    /// HEARTBEAT datagrams sent.
    pub heartbeats_sent: u64,
    /// ACKs received.
    pub acks: u64,
    /// ACKs that claimed more than this leader sequenced (another history:
    /// not counted, and nothing commits after the first).
    pub acks_beyond: u64,
    /// NAKs received.
    pub naks: u64,
    /// NAKed ranges answered by a repair already pending or just sent.
    pub naks_coalesced: u64,
    /// NAKed ranges dropped because `repairs_max` repairs were in flight.
    pub repairs_overflow: u64,
    /// NAKed ranges dropped because their member already had
    /// `nak_events_max` events in repair.
    pub repairs_over_budget: u64,
    /// ACKs whose echoed stamp this leader cannot have sent, or whose round
    /// trip exceeds a second: not used as a sample.
    pub rtt_samples_implausible: u64,
    /// RETRANSMIT datagrams sent.
    pub retransmits_sent: u64,
    /// Events resent in RETRANSMIT.
    pub events_retransmitted: u64,
    /// Of those, the events read back from the journal (history beyond the
    /// ring: a follower far behind, a `seqcast tail`), and their datagrams.
    pub events_from_journal: u64,
    /// RETRANSMIT datagrams of events read back from the journal.
    pub journal_retransmits_sent: u64,
    /// UNRECOVERABLE replies sent.
    pub unrecoverable_sent: u64,
    /// Sequences they reported gone (out of the ring with no journal, or
    /// deleted by the journal's retention).
    pub events_unrecoverable: u64,
    /// COMMIT datagrams sent to clients.
    pub commits_sent: u64,
    /// Retried requests a leader could not place (taken by an earlier
    /// leader, outside the log it holds; or sent by a client told of
    /// commits this leader has no record of), reported in doubt.
    pub in_doubt: u64,
    /// SUBMITs of those from a client told committed requests this leader
    /// has no record of, its table having forgotten no client: the cluster
    /// lost events it had said were committed.
    pub told_unknown: u64,
    /// Epochs past its own that clients named while a quorum went on
    /// acknowledging it: lost (see [`Leader::clients_ahead`]).
    pub clients_ahead: u64,
    /// Ranges that had left the ring handed to the driver to serve from the journal.
    pub history_requests: u64,
    /// SUBMITs answered BUSY because their client had its share of the
    /// in-flight window (an equal share among the clients with events in
    /// flight and one more).
    pub over_share: u64,
    /// SUBMITs answered BUSY only because its own application (a member
    /// that leads) had not taken `in_flight_max` of the events it sequenced.
    pub behind_hand_out: u64,
    /// Clients that gave their place in the full client table to a new one,
    /// idle for `client_idle_ns` with nothing uncommitted.
    pub clients_evicted: u64,
    /// ACK round-trip samples dropped because the driver did not poll them in time.
    pub rtt_samples_dropped: u64,
    /// First SUBMITs of unknown clients answered BUSY reason 7 (hello) for
    /// want of a fresh admission token: each new client once, and replays.
    pub hellos_sent: u64,
    /// Observers' NAKs answered BUSY reason 7 (hello) for want of this
    /// leader's token for their address (with keys): each observer now and
    /// then, and NAKs replayed from elsewhere.
    pub observer_hellos_sent: u64,
    /// ACKs from a member's id arriving from another address than its
    /// previous ACK: once when it restarts on a new port, steadily when two
    /// nodes run with the same id ([`Leader::ack_source_changed`]).
    pub ack_source_changes: u64,
    /// ACKs from a member's id from another address that did not move its
    /// repairs there: they showed no more than it held, while its own
    /// address still ACKed (two nodes with one id, the one behind; or ACKs
    /// recorded and replayed from elsewhere). [`Leader::ack_source_changed`]
    /// names the latest.
    pub ack_moves_refused: u64,
    /// ACKs of more than the leader's view of a member that echoed a stamp
    /// from before that view last fell (a restart, or a replayed ACK):
    /// not believed until the member echoes a newer one.
    pub acks_stale: u64,
    /// Members' NAKs from another address than the one their repairs go to
    /// (the cluster file's, else where their ACKs come from): a node that
    /// sends from an address other than the file's, or another process
    /// running with that id ([`Leader::nak_source_differs`]).
    pub naks_elsewhere: u64,
    /// A member's NAK from another address than its ACKs came from, once
    /// they fell silent past two keepalives, that moved its repairs there
    /// (it restarted on another port and asks before it ACKs).
    pub nak_moves: u64,
    /// NAKs of a member from an address only its NAKs named (no ACK came
    /// from there yet: before its first, or after it moved), without
    /// failover: each answered with its lowest event at most, so a recorded
    /// one replayed from a victim's address draws one datagram there.
    pub naks_unproven: u64,
    /// HEARTBEATs sent to one node, answering the nonce of its NAK (a
    /// member back empty learning what it must hold before it votes; a new
    /// follower or tail, with keys, the epoch it follows).
    pub fresh_heartbeats_sent: u64,
}

/// Round-trip samples kept until polled: more than a driver turn reads.
const RTT_SAMPLES_MAX: usize = 256;

/// A client's admission token is good in the window it was given in and
/// the next (DESIGN §9): 10 to 20 s.
pub(super) const HELLO_WINDOW_NS: Nanos = 10_000_000_000;

/// Observers' addresses owed a hello at once, at most.
const OBSERVER_HELLOS_MAX: usize = 16;

/// Bytes of repairs from the ring one flush sends at most (each time the
/// leader has sent everything else it had: a turn's live frames go first,
/// and the next turn's wait for no more than this). The journal's
/// history has its own budget, the driver's.
const REPAIR_BYTES_PER_FLUSH: usize = 64 << 10;

/// The longest round trip taken as a sample: on a LAN, more is a forged
/// or garbled echo, not a measurement.
const RTT_SAMPLE_MAX_NS: Nanos = 1_000_000_000;

/// What the leader reports to its driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaderEvent {
    /// The commit sequence advanced to `commit`.
    Committed {
        /// The new commit sequence.
        commit: Seq,
    },
    /// An ACK measured the round trip to `node` (echo delay removed).
    AckRtt {
        /// The follower.
        node: NodeId,
        /// Round trip in nanoseconds.
        rtt_ns: u64,
    },
}

/// The leader's timers, one slot each in its [`TimerTable`].
#[derive(Clone, Copy, Debug)]
enum Timer {
    /// Nothing multicast for a heartbeat interval: a HEARTBEAT is due.
    Heartbeat,
    /// The oldest repair sent stops answering overlapping NAKs.
    RepairLinger,
    /// A repair the last flush's budget left unsent: the next flush at once.
    RepairLeft,
}

/// Where a repair's events come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The ring.
    Ring,
    /// Nowhere: they left the ring and there is no journal (UNRECOVERABLE).
    Lost,
    /// The journal: the driver serves them (DESIGN §8).
    History,
}

/// A range to resend (or to declare lost) to one follower.
#[derive(Clone, Copy, Debug)]
struct Repair {
    dest: SocketAddr,
    first: u64,
    next: u64,
    end: u64,
    source: Source,
    done_at: Option<Nanos>,
    /// Asked where only the member's NAKs say it is (one event): it
    /// answers no NAK from where an ACK came, which a recording of another
    /// member's NAK, replayed from there, would otherwise swallow.
    unproven: bool,
}

impl Repair {
    /// Not yet sent, and the leader's to send (the driver serves history).
    fn unsent(&self) -> bool {
        self.done_at.is_none() && self.source != Source::History
    }
}

/// The leader state machine.
pub struct Leader {
    config: Config,
    me: NodeId,
    /// Elected rather than started: a client it does not know may have had
    /// requests committed by an earlier leader, so its first request number
    /// is taken as where it stands (request numbers start at 1 otherwise).
    promoted: bool,
    /// Elected by a member that missed events below this sequence (reported
    /// lost; 0: none): a client none of whose events it knows at or past
    /// here may have requests in them, taken where this leader cannot see.
    lost_end: u64,
    header: Header,
    ring: Ring,
    quorum: usize,
    held: Vec<u64>,
    /// Where each member's repairs go, and whether an ACK said so: an
    /// ACK's source holds against NAKs (which anyone can forge without a
    /// key); a member that has not ACKed (a new one, or one syncing to this
    /// leader's log) is answered where its latest NAK came from.
    member_addr: Vec<Option<(SocketAddr, bool)>>,
    /// What each member last ACKed holding from the address its repairs go
    /// to: a NAK in its name from elsewhere is not answered below it.
    held_at_repairs: Vec<u64>,
    /// The span of every UNRECOVERABLE sent: lowest first, highest end.
    unrecoverable_span: Option<(u64, u64)>,
    /// The latest client counted in `told_unknown`, with the requests it
    /// was told committed that this leader has no record of, `[first, end)`.
    told_unknown_last: Option<(ClientId, u64, u64)>,
    /// When each member's latest ACK came (0: none yet).
    last_ack_ns: Vec<Nanos>,
    /// When each member's latest NAK came from the address learned from
    /// its NAKs, before any ACK (0: none yet).
    last_nak_ns: Vec<Nanos>,
    /// When the leader's view of each member last fell (an ACK of less:
    /// a restart, or a replay): an ACK of more is believed only if it
    /// echoes a stamp this leader sent since, which a recorded one cannot.
    ack_floor_ns: Vec<Nanos>,
    /// The newest stamp of this leader's that each member's ACKs echoed,
    /// from any address: an ACK from elsewhere than where its repairs go
    /// moves them (and one from where its NAKs moved them confirms that)
    /// only if it echoes a newer one, which a recording of an ACK heard
    /// cannot; and only one that echoes the newest says it is still there.
    ack_echo_max: Vec<u64>,
    /// What each member's latest ACK promised of what it counts.
    ack_durability: Vec<Option<Durability>>,
    /// NAKs from each member.
    naks_by_member: Vec<u64>,
    ack_source_change: Option<(NodeId, SocketAddr, SocketAddr)>,
    nak_source: Option<(NodeId, SocketAddr, SocketAddr)>,
    /// When this leader started: no ACK can echo a stamp older than that.
    started_ns: Nanos,
    scratch: Vec<u64>,
    commit: u64,
    commit_sent: u64,
    seq_sent: u64,
    /// Last sequence of the log this leader started its epoch with.
    epoch_start: u64,
    /// Until then it takes no new events (handing the lead over).
    intake_held_until: Nanos,
    /// The next sequence its own application takes (a member that leads):
    /// what it sequenced from there counts against `in_flight_max` as
    /// what it has not committed does (`u64::MAX`: no application, as a
    /// sequencer).
    hand_out_next: u64,
    /// The first follower that acknowledged more than this leader's log
    /// holds, what it acknowledged, and what this leader had sequenced.
    foreign_history: Option<(NodeId, u64, u64)>,
    /// With failover: the newest epoch a client's SUBMIT named past this
    /// leader's, and when this leader first heard it named.
    client_epoch: Option<(Epoch, Nanos)>,
    /// The newest stamp of this leader's each member echoed in an ACK.
    echoed_ns: Vec<Nanos>,
    /// The newest such epoch a quorum echoed a stamp sent after it came.
    clients_ahead: Option<Epoch>,
    multicast_at: Nanos,
    /// When the last HEARTBEAT went out (0: none yet).
    heartbeat_at: Nanos,
    /// Followers that have not ACKed this leader yet (any number of
    /// nodes: without failover a cluster may have more than 64).
    unacked: usize,
    clients: Clients,
    /// The client-table slot of each event in the ring (by `seq % ring_events`),
    /// so a commit finds whom to tell without a hash per event.
    slot_of: Vec<u16>,
    repairs: Vec<Repair>,
    /// Repair bytes sent since `poll_transmit` last had nothing more.
    repair_bytes: usize,
    /// BUSYs owed: to whom, the client, its request, the reason, the epoch
    /// sent in, and whether it says the cluster lost what the client was
    /// told ([`BUSY_LOST`](crate::wire::BUSY_LOST)).
    busy: Vec<(SocketAddr, ClientId, u64, BusyReason, Epoch, bool)>,
    /// Commits told again: requests a client resent after it was told
    /// them, answered at the resend's source with those requests only
    /// (`[first, end)`), never more than the resend asked.
    retells: VecDeque<Retell>,
    /// Observers owed their token (with keys: a NAK without it).
    observer_hellos: Vec<SocketAddr>,
    /// HEARTBEATs owed, answering a NAK's nonce: to whom (a member, or
    /// `None`, an observer that showed its token), where, and the nonce.
    /// One per member (its newest ask), and as many observers at most as
    /// hellos, so asks replayed from many addresses crowd out no other.
    fresh_owed: Vec<(Option<NodeId>, SocketAddr, u32)>,
    srtt_ns: u64,
    committed_event: bool,
    /// With a journal: the last sequence handed to the driver to append,
    /// and the last it reported durable (DESIGN §8).
    appended: u64,
    durable: u64,
    /// Its journal failed (the driver says): nothing past `durable` goes out.
    journal_failed: bool,
    /// Ranges whose head left the ring while they waited, for the journal.
    history: VecDeque<(SocketAddr, u64, u64)>,
    /// ACK round trips not yet polled: a driver reads many datagrams per turn.
    rtt_samples: VecDeque<(NodeId, u64)>,
    stats: LeaderStats,
    rejects: Rejects,
}

/// Where it stands, in a line: the ring and the client table are left out.
impl core::fmt::Debug for Leader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Leader")
            .field("id", &self.me)
            .field("epoch", &self.epoch())
            .field("seq_next", &self.seq_next())
            .field("commit", &self.commit())
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Leader {
    /// A leader for `config` (its node id is `config.leader`), started at `now`.
    pub fn new(config: Config, now: Nanos) -> Result<Leader, ConfigError> {
        config.validate()?;
        if config.epoch == Epoch::ZERO {
            return Err(ConfigError::Zero("epoch"));
        }
        let ring = Ring::new(config.ring_events, config.record_max());
        let clients = Clients::new(config.clients_max, config.client_pending_max, true);
        let slot_of = super::prefaulted(config.ring_events);
        Ok(Leader::with_ring(config.clone(), config.leader, config.epoch, (ring, clients, slot_of), now))
    }

    fn with_ring(
        config: Config,
        me: NodeId,
        epoch: Epoch,
        (ring, clients, slot_of): (Ring, Clients, Vec<u16>),
        now: Nanos,
    ) -> Leader {
        let nodes = usize::from(config.nodes);
        Leader {
            me,
            promoted: false,
            lost_end: 0,
            header: Header {
                token: config.shape().into(),
                // Its followers infer commits exactly where this leader's
                // settings let them (PROTOCOL.md, Commit).
                flags: (if config.followers_infer_commit() { 0 } else { FLAG_TOLD }
                    | if config.failover == Failover::Off { FLAG_NO_FAILOVER } else { 0 })
                .into(),
                ..Header::new(Kind::Data, me.0, config.cluster_id, epoch)
            },
            ring,
            quorum: config.quorum(),
            held: vec![0; nodes],
            member_addr: vec![None; nodes],
            unrecoverable_span: None,
            told_unknown_last: None,
            last_ack_ns: vec![0; nodes],
            ack_echo_max: vec![0; nodes],
            last_nak_ns: vec![0; nodes],
            held_at_repairs: vec![0; nodes],
            ack_floor_ns: vec![0; nodes],
            ack_durability: vec![None; nodes],
            naks_by_member: vec![0; nodes],
            ack_source_change: None,
            nak_source: None,
            started_ns: now,
            scratch: vec![0; nodes],
            commit: 0,
            commit_sent: 0,
            seq_sent: 1,
            epoch_start: 0,
            intake_held_until: 0,
            hand_out_next: u64::MAX,
            foreign_history: None,
            client_epoch: None,
            echoed_ns: vec![0; nodes],
            clients_ahead: None,
            multicast_at: now,
            heartbeat_at: 0,
            unacked: nodes - 1,
            clients,
            slot_of,
            repairs: Vec::with_capacity(config.repairs_max),
            repair_bytes: 0,
            busy: Vec::with_capacity(config.clients_max),
            retells: VecDeque::with_capacity(config.clients_max),
            observer_hellos: Vec::with_capacity(OBSERVER_HELLOS_MAX),
            fresh_owed: Vec::with_capacity(usize::from(config.nodes) + OBSERVER_HELLOS_MAX),
            srtt_ns: config.rtt_initial_ns,
            committed_event: false,
            appended: 0,
            durable: 0,
            journal_failed: false,
            history: VecDeque::new(),
            rtt_samples: VecDeque::with_capacity(RTT_SAMPLES_MAX),
            stats: LeaderStats::default(),
            rejects: Rejects::default(),
            config,
        }
    }

    /// An elected follower, leading `epoch` from now on with the log it holds
    /// (DESIGN §2, failover): its commit is what it knew committed, and its
    /// client table is rebuilt from the log, so a client that resends what
    /// an earlier leader took gets the same sequences back.
    pub(super) fn from_follower(
        config: Config,
        me: NodeId,
        epoch: Epoch,
        follower: &Follower,
        (delivered, lost_end): (&Clients, Seq),
        now: Nanos,
    ) -> Leader {
        let lost_end = lost_end.get();
        let (first, records) = follower.log();
        // Memory mapped as it fills: faulting it in first would hold up the
        // first frames of the epoch just won (about 30 ms for the defaults here).
        let mut ring = Ring::starting_at(config.ring_events, config.record_max(), first, false);
        for record in records {
            let (event, _) = EventRef::split(record).expect("a held record parses");
            ring.push(event.record, event.header.stamp_ns.get());
        }
        // Who sent what: what this member delivered, then the rest of its log.
        let clients = delivered.copy(config.clients_max);
        let slot_of = vec![0; config.ring_events];
        let mut leader = Leader::with_ring(config, me, epoch, (ring, clients, slot_of), now);
        // What this member neither delivered nor holds was lost to it.
        let lost_end = if first > follower.seq_next_delivery().get() { lost_end.max(first) } else { lost_end };
        (leader.promoted, leader.lost_end) = (true, lost_end);
        leader.commit = follower.commit().get().min(leader.ring.seq_next() - 1);
        (leader.commit_sent, leader.epoch_start) = (leader.commit, leader.ring.seq_next() - 1);
        // Resend the uncommitted part at once: followers dropped theirs on joining.
        leader.seq_sent = leader.commit + 1;
        leader.know_clients(follower.seq_next_delivery().get());
        // What it journaled as a follower stays journaled; what it lacks
        // below its ring (a gap the journal records) is not its to append.
        let (appended, durable) = follower.journaled();
        leader.appended = appended.get().max(first - 1).min(leader.ring.seq_next() - 1);
        leader.durable = durable.get().min(leader.appended);
        leader
    }

    /// Notes who sent each event from `first` on, so a client that resends
    /// a request already in the log gets its sequence back.
    pub(super) fn know_clients(&mut self, first: u64) {
        for seq in first.max(self.ring.seq_first())..self.ring.seq_next() {
            let event = self.ring.get(seq).expect("in the ring");
            let (client, request) = (event.header.client(), event.header.request.get());
            self.clients.record(client, request, seq);
            if let Some(&slot) = self.clients.index.get(&client) {
                let ring_slot = (seq % self.slot_of.len() as u64) as usize;
                self.slot_of[ring_slot] = slot as u16;
            }
        }
        // Requests found uncommitted in the log are not told yet: a client
        // that speaks before they commit is told then, as this leader's
        // own are; one that speaks after is told on its resend (else only
        // a resend after the commit told them). The table keeps no older
        // request than its newest `pending_max`, nor tells of one.
        for seq in (self.commit + 1).max(first).max(self.ring.seq_first())..self.ring.seq_next() {
            let event = self.ring.get(seq).expect("in the ring");
            let (client, request) = (event.header.client(), event.header.request.get());
            if let Some(&slot) = self.clients.index.get(&client) {
                let remembered = self.clients.remembered_from(slot);
                let entry = &mut self.clients.entries[slot];
                entry.notified_next = entry.notified_next.min(request.max(remembered));
            }
        }
        // Each client found in the log this leader holds counts as heard as
        // it starts: its place is kept a whole idle time for it to resend
        // what it was not told (a place given up makes its older requests
        // in doubt). One whose last event lies before (a member's table
        // keeps all it ever delivered) is as idle as it was: a table full of
        // clients long gone refused every new one for an idle time after
        // each failover.
        let log_start = self.ring.seq_first();
        for entry in self.clients.entries.iter_mut().filter(|e| e.last_seq >= log_start) {
            entry.last_heard = entry.last_heard.max(self.started_ns);
        }
    }

    /// The event at `seq` if the ring holds it (for delivering to this
    /// member's own application once committed).
    pub fn event(&self, seq: Seq) -> Option<EventRef<'_>> {
        self.ring.get(seq.get())
    }

    /// Takes no new events until `until` (clients are told to back off), so
    /// that a member an operator promoted catches up with this log and can
    /// win (`seqcast promote` under load).
    pub fn hold_intake(&mut self, until: Nanos) {
        self.intake_held_until = self.intake_held_until.max(until);
    }

    /// Its application (a member that leads) takes `next` next: events it
    /// sequenced and its application has not taken count against
    /// `in_flight_max` as uncommitted ones do (clients are told to back
    /// off), so that an application slower than the clients slows them,
    /// and its ring, larger than that, never drops what it has not taken.
    pub(super) fn keep_for_hand_out(&mut self, next: Seq) {
        self.hand_out_next = next.get();
    }

    /// True once a follower acknowledged more than this leader's log holds:
    /// the cluster has a history this leader lacks, and it commits nothing
    /// more (a member steps down; a sequencer without failover must stop).
    pub fn foreign_history(&self) -> bool {
        self.foreign_history.is_some()
    }

    /// With failover: the newest epoch past this leader's that a client
    /// named, once a quorum acknowledged this leader after it came. An
    /// honest client names only an epoch whose leader was elected, and the
    /// voters that elected it, fenced from older epochs, meet every commit
    /// quorum: one of this quorum lost what it promised (its journal
    /// wiped, or it restarted without it and without --rejoin), and with
    /// it, maybe, events that epoch's leader told clients were committed.
    /// Such a client takes this leader for a stale one (it ignores a BUSY
    /// of an older epoch than its own): a SUBMIT of an epoch up to this one
    /// that says its client was told commits this leader has no record of
    /// (`FLAG_OLDEST`) is answered "in doubt" in the client's epoch.
    pub fn clients_ahead(&self) -> Option<Epoch> {
        self.clients_ahead
    }

    /// The first ACK beyond this leader's log: the follower, the sequence
    /// it acknowledged, and the last this leader had sequenced then.
    pub fn foreign_ack(&self) -> Option<(NodeId, Seq, Seq)> {
        self.foreign_history.map(|(node, held, newest)| (node, Seq(held), Seq(newest)))
    }

    /// Last sequence of the log this leader started its epoch with.
    pub fn epoch_start(&self) -> Seq {
        Seq(self.epoch_start)
    }

    /// Highest committed sequence (0: none).
    pub fn commit(&self) -> Seq {
        Seq(self.commit)
    }

    /// The sequence the next event gets.
    pub fn seq_next(&self) -> Seq {
        Seq(self.ring.seq_next())
    }

    /// One past the last sequence put in a DATA frame (or passed over:
    /// committed and gone from the ring); an elected leader's starts past
    /// its commit, the log before it held by the members that elected it.
    pub(in crate::core) fn seq_sent(&self) -> Seq {
        Seq(self.seq_sent)
    }

    /// Oldest sequence still held for repair.
    pub fn seq_oldest(&self) -> Seq {
        Seq(self.ring.seq_first())
    }

    /// The claim this leader's log makes in an election: its epoch, and the
    /// last sequence it stamped.
    pub fn claim(&self) -> Claim {
        Claim { epoch: self.epoch(), seq: self.seq_next().prev() }
    }

    /// Smoothed ACK round trip.
    pub fn srtt_ns(&self) -> u64 {
        self.srtt_ns
    }

    /// By node id, the highest sequence each member ACKed holding with
    /// nothing missing below (the leader's own entry: what it made durable).
    pub fn held(&self) -> &[u64] {
        &self.held
    }

    /// By node id, when each member's latest ACK came (0: none since this
    /// leader started). An idle follower ACKs a HEARTBEAT every
    /// [`KEEPALIVE_NS`](crate::core::KEEPALIVE_NS), so one not heard
    /// for several of those is gone, paused or cut off.
    pub fn last_ack_ns(&self) -> &[Nanos] {
        &self.last_ack_ns
    }

    /// By node id, what each member's latest ACK promised of what it holds
    /// (its header's flags; `None`: no ACK since this leader started). One
    /// weaker than this leader's own ([`Config::durability`]) weakens what
    /// a commit its ACK completes survives.
    pub fn ack_durability(&self) -> &[Option<Durability>] {
        &self.ack_durability
    }

    /// `[first, end)` spanning every UNRECOVERABLE this leader sent: the
    /// lowest sequence and the end of the highest it reported gone.
    pub fn unrecoverable_span(&self) -> Option<(u64, u64)> {
        self.unrecoverable_span
    }

    /// The latest client told committed requests this leader has no
    /// record of (`LeaderStats::told_unknown`), and those requests, `[first, end)`.
    pub fn told_unknown_last(&self) -> Option<(ClientId, u64, u64)> {
        self.told_unknown_last
    }

    /// By node id, the NAKs each member sent this leader.
    pub fn naks_by_member(&self) -> &[u64] {
        &self.naks_by_member
    }

    /// How far behind member `node` is in time at `now`: the age of the
    /// oldest event it has not ACKed (0 when it holds everything; the
    /// oldest the ring keeps when that event left it, a lower bound; the
    /// time since this leader started for one stamped on another clock).
    pub fn lag_ns(&self, node: NodeId, now: Nanos) -> Nanos {
        let Some(&held) = self.held.get(node.index()) else { return 0 };
        if held + 1 >= self.ring.seq_next() {
            return 0;
        }
        let oldest = (held + 1).max(self.ring.seq_first());
        match self.ring.get(oldest).map(|event| event.header.stamp_ns.get()) {
            Some(stamp) if stamp <= now => now - stamp,
            // Stamped on another clock (a log resumed from an earlier run,
            // or taken over), or gone from the ring: since this leader
            // started, a lower bound.
            _ => now.saturating_sub(self.started_ns),
        }
    }

    /// Client `id`'s admission token in time window `window` of this
    /// leader's epoch: never 0 (what a client sends before it has one). No
    /// secret is needed: nobody without the client's key can put it in a
    /// SUBMIT, and a SUBMIT captured with an older one stays refused.
    fn hello_token(&self, id: ClientId, window: u64) -> u32 {
        self.token_of(u64::from(id.get()), window)
    }

    /// An observer's token, for its address (DESIGN §9): a NAK replayed
    /// from another address carries one that is not that address's.
    pub(super) fn observer_token(&self, from: SocketAddr, window: u64) -> u32 {
        observer_token(self.epoch(), from, window)
    }

    fn token_of(&self, what: u64, window: u64) -> u32 {
        token_of(self.epoch(), what, window)
    }
}

/// An observer's token in `epoch`, for its address: what its leader's hello
/// gave it, which a member that follows that leader can check too.
pub(super) fn observer_token(epoch: Epoch, from: SocketAddr, window: u64) -> u32 {
    let addr = match from {
        SocketAddr::V4(a) => u64::from(a.ip().to_bits()) << 16 | u64::from(a.port()),
        SocketAddr::V6(a) => (a.ip().to_bits() as u64 ^ (a.ip().to_bits() >> 64) as u64) ^ u64::from(a.port()),
    };
    // Apart from any client id's (those fit 32 bits).
    token_of(epoch, addr.rotate_left(7) ^ (1 << 63), window)
}

/// SplitMix64's finaliser over (what, epoch, window); never 0 (no token).
fn token_of(epoch: Epoch, what: u64, window: u64) -> u32 {
    let x = what ^ epoch.get().rotate_left(32) ^ window.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (crate::types::mix64(x) as u32).max(1)
}

impl Leader {
    /// When this leader started (its clock).
    pub fn started_ns(&self) -> Nanos {
        self.started_ns
    }

    /// The latest member whose ACKs came from a new address: its id, the
    /// address before, and the new one (where its repairs go now, unless
    /// the move was refused: [`LeaderStats::ack_moves_refused`]).
    pub fn ack_source_changed(&self) -> Option<(NodeId, SocketAddr, SocketAddr)> {
        self.ack_source_change
    }

    /// The latest member NAK that came from another address than the one
    /// its repairs go to: its id, where it came from, and where repairs go.
    pub fn nak_source_differs(&self) -> Option<(NodeId, SocketAddr, SocketAddr)> {
        self.nak_source
    }

    /// Sequenced events not committed yet.
    pub fn in_flight(&self) -> usize {
        (self.ring.seq_next() - 1 - self.commit) as usize
    }

    /// Protocol counters.
    pub fn stats(&self) -> &LeaderStats {
        &self.stats
    }

    /// Datagrams dropped on receipt, by reason.
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        if let Some(datagram) = parse(
            bytes,
            (self.config.cluster_id, self.config.shape(), self.config.failover != Failover::Off),
            &mut self.rejects,
        ) {
            self.handle_frame(now, from, datagram);
        }
    }

    /// Feeds one datagram its member already parsed and checked.
    pub(super) fn handle_frame(&mut self, now: Nanos, from: SocketAddr, datagram: Datagram<'_>) {
        invariant!(self.epoch() != Epoch::ZERO, "a leader has an epoch");
        invariant!(self.commit < self.ring.seq_next() && self.seq_sent <= self.ring.seq_next());
        let peers = Peers::Members { me: self.me, nodes: self.config.nodes };
        if !admits(&datagram, peers, &mut self.rejects) {
            return;
        }
        let (sender, epoch) = (NodeId(datagram.header.sender.get()), datagram.header.epoch());
        let submit = matches!(datagram.frame, Frame::Submit(_));
        // Clients send 0 until they have heard from a leader.
        let failover = self.config.failover != Failover::Off;
        // With failover a client's epoch is only what it heard last; a stale
        // leader takes its SUBMIT but cannot commit it (no quorum ACKs it),
        // and the client, unanswered, turns to another member.
        let ours = epoch == self.epoch() || (submit && (epoch == Epoch::ZERO || failover));
        if !ours {
            self.rejects.wrong_epoch += 1;
            if let Frame::Submit(submit) = datagram.frame {
                // A client that knows a newer epoch knows a newer leader.
                let reason = if failover { BusyReason::NotLeader } else { BusyReason::EpochChanged };
                self.queue_busy(from, submit.head.client(), submit.head.request.get(), reason);
            }
            return;
        }
        if submit && failover && epoch > self.epoch() && self.client_epoch.is_none_or(|(seen, _)| epoch > seen) {
            self.client_epoch = Some((epoch, now));
        }
        match datagram.frame {
            Frame::Submit(submit) => {
                let flags = datagram.header.flags.get();
                // A client that heard a newer epoch than this leader's may
                // have been told commits by a newer leader (this one is
                // stale), unless that epoch was lost (`clients_ahead`). Of
                // the commits a client heard of in epochs up to this one's,
                // it holds every one.
                let known = epoch <= self.epoch() || self.clients_ahead.is_some_and(|lost| epoch <= lost);
                let oldest = flags & FLAG_OLDEST != 0 && known;
                let said = Said { resent: flags & FLAG_RESENT != 0, oldest, epoch: epoch.max(self.epoch()) };
                self.on_submit(now, from, submit, (datagram.header.token.get(), said))
            }
            Frame::Ack(ack) => {
                self.ack_durability[sender.index()] = Some(Durability::from_flags(datagram.header.flags.get()));
                self.on_ack(now, from, sender, ack)
            }
            Frame::Nak(nak) => self.on_nak(now, from, (datagram.header.member(), datagram.header.token.get()), nak),
            _ => self.rejects.unexpected_kind += 1,
        }
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// This leader's epoch.
    pub fn epoch(&self) -> Epoch {
        self.header.epoch()
    }

    fn on_submit(&mut self, now: Nanos, from: SocketAddr, submit: Submit<'_>, (token, said): (u32, Said)) {
        let id = submit.head.client();
        if id.get() == 0 {
            // No client's id: the one a leader's hello to a tail names
            // (its frames carry the member key). Never to be taken.
            self.stats.refused += 1;
            return self.queue_busy(from, id, submit.head.request.get(), BusyReason::Refused);
        }
        // A client whose newest known event is older than what this leader
        // lost (or unknown) may have requests in those events: their place
        // cannot be told, and taking them again would sequence them twice.
        // One it knows no event of whose SUBMIT starts at request 1, sent to
        // no other member before, is a new client (one id per incarnation):
        // it has nothing in them.
        let known = self.clients.last_seq(id).filter(|&last| last > 0);
        let new_client = known.is_none() && submit.head.request.get() == 1 && !said.resent;
        if self.lost_end > 0 && !new_client && known.is_none_or(|last| last < self.lost_end) {
            self.stats.in_doubt += 1;
            return self.queue_busy(from, id, submit.head.request.get(), BusyReason::EpochChanged);
        }
        // DESIGN §9: a client this leader knows nothing of (no place, no
        // record of one) is taken only with a fresh token from this leader:
        // a first SUBMIT replayed after its client was forgotten is not.
        if self.config.client_tokens && self.clients.last_seq(id).is_none() {
            let window = now / HELLO_WINDOW_NS;
            let fresh = [window, window.saturating_sub(1)].iter().any(|&w| token == self.hello_token(id, w));
            if !fresh {
                self.stats.hellos_sent += 1;
                return self.queue_busy(from, id, submit.head.request.get(), BusyReason::Hello);
            }
        }
        // Request numbers of a client id start at 1 (one id per
        // incarnation). An elected or resumed leader that gets here knows
        // every client with events in its log: one unknown has none there,
        // and what an earlier leader took of it is taken again, from 1.
        let start = 1;
        let room = Room::IdleBefore(now.saturating_sub(self.config.client_idle_ns), self.commit);
        let Some(slot) = self.clients.find_or_add(id, None, start, room) else {
            self.queue_busy(from, id, submit.head.request.get(), BusyReason::TooManyClients);
            return;
        };
        // A client's address moves only with a request new to the leader
        // (below): a resend, or someone's replay of one, from elsewhere
        // does not take its commit notices. One with none yet (new, or
        // found in a log taken over) is where it speaks from.
        let entry = &mut self.clients.entries[slot];
        entry.addr = entry.addr.or(Some(from));
        // Only a request new to this leader keeps the client's place: an
        // old SUBMIT replayed (by anyone on the path, with keys too) would
        // hold it for good. One resent for a lost COMMIT is told again all
        // the same, and its client finds its record if it lost its place.
        let last = submit.head.request.get().saturating_add(u64::from(submit.head.count.get()).saturating_sub(1));
        if last >= entry.request_next {
            entry.last_heard = now;
        }
        self.stats.clients_evicted = self.clients.evicted;
        // Requests already told that this SUBMIT carries again.
        let (mut told, stamped) = (None::<(u64, u64)>, self.stats.events_stamped);
        for event in submit.events {
            let request = event.header.request.get();
            let entry = self.clients.entries[slot];
            if request < entry.request_next && request > 0 {
                if let Some(proven) = self.id_in_use(slot, request, event.payload) {
                    // Not this client's event: tell it so rather than that
                    // another's committed, and take nothing more from it.
                    // Only another payload proves a second process; an old
                    // request may as well be an old SUBMIT replayed (whose
                    // client, not having it pending, ignores the answer).
                    match proven {
                        true => self.stats.ids_in_use += 1,
                        false => self.stats.duplicates += 1,
                    }
                    self.queue_busy(from, id, request, BusyReason::IdInUse);
                    break;
                }
                if self.on_duplicate(from, slot, request) {
                    told = Some(
                        told.map_or((request, request + 1), |(first, end)| (first.min(request), end.max(request + 1))),
                    );
                }
                continue;
            }
            if request > entry.request_next && said.oldest && request == submit.head.request.get() {
                // The client was told every request below this one
                // committed, and this leader has no record of some: the
                // cluster lost them (or the table forgot the client).
                // Asking for one the client no longer has would go on for
                // ever; where this request stands cannot be told.
                self.stats.in_doubt += 1;
                if !self.clients.forgot {
                    self.stats.told_unknown += 1;
                    self.told_unknown_last = Some((id, entry.request_next, request));
                }
                let lost = !self.clients.forgot;
                self.queue_busy_in(from, id, request, (BusyReason::EpochChanged, said.epoch, lost));
                break;
            }
            if request > entry.request_next {
                // An earlier SUBMIT was lost or overtaken: ask for it at once
                // rather than leave the client to its retry timeout.
                self.stats.out_of_order += 1;
                let asked_recently = entry.gap_asked_at.is_some_and(|at| now < at + 2 * self.srtt_ns);
                if !asked_recently {
                    let asks = entry.gap_asks.saturating_add(1);
                    (self.clients.entries[slot].gap_asked_at, self.clients.entries[slot].gap_asks) = (Some(now), asks);
                    // A client none of whose requests was taken here that
                    // still resends from past 1 when asked for 1, again and
                    // again, is one the table forgot: it resends from its
                    // oldest request not told, which this leader cannot
                    // place. A new one sends request 1 at once.
                    if self.clients.forgot && entry.request_next == 1 && asks > GAP_ASKS_FORGOTTEN {
                        self.stats.in_doubt += 1;
                        self.queue_busy(from, id, request, BusyReason::EpochChanged);
                    } else {
                        self.queue_busy(from, id, entry.request_next, BusyReason::Gap);
                    }
                }
                break;
            }
            if request == 0 || request > REQUEST_MAX || event.payload.len() > self.config.payload_max {
                // Never to be taken: say so, or the client would resend it forever.
                self.stats.refused += 1;
                self.queue_busy(from, id, request, BusyReason::Refused);
                break;
            }
            let share = self.clients.share(slot, self.config.in_flight_max);
            // The table keeps each request's sequence in one of the
            // client's `pending_max` places: no more may be untold at once.
            let untold_from = self.clients.entries[slot].notified_next;
            let over_share = self.clients.entries[slot].in_flight as usize >= share
                || request >= untold_from.saturating_add(self.clients.pending_max as u64);
            let unhanded = self.ring.seq_next().saturating_sub(self.hand_out_next) >= self.config.in_flight_max as u64;
            let full = self.in_flight() >= self.config.in_flight_max || now < self.intake_held_until;
            if full || over_share || unhanded {
                self.stats.over_share += u64::from(over_share);
                self.stats.behind_hand_out += u64::from(unhanded && !full && !over_share);
                self.queue_busy(from, id, request, BusyReason::InFlightFull);
                break;
            }
            let seq = self.ring.push(event.record, now);
            let ring_slot = (seq % self.slot_of.len() as u64) as usize;
            self.slot_of[ring_slot] = slot as u16;
            self.clients.set_seq(slot, request, seq);
            self.clients.stamped(slot);
            self.clients.entries[slot].request_next += 1;
            (self.clients.entries[slot].gap_asked_at, self.clients.entries[slot].gap_asks) = (None, 0);
            self.stats.events_stamped += 1;
        }
        if self.stats.events_stamped != stamped {
            self.clients.entries[slot].addr = Some(from);
        }
        if let Some((first, end)) = told {
            self.queue_retell(Retell { addr: from, client: id, first, end });
        }
        self.update_commit();
    }

    /// A request already taken from the client in `slot` that cannot be a
    /// resend of it: `Some(true)` if the ring holds another payload for it
    /// (a second process with the same id, numbering from 1 again),
    /// `Some(false)` if it is older than the client's newest
    /// `client_pending_max` requests (a client resends only its pending
    /// ones, never more than that many back: such a process, or a replay).
    /// Past the ring and inside that window, a leader cannot tell.
    fn id_in_use(&self, slot: usize, request: u64, payload: &[u8]) -> Option<bool> {
        let entry = &self.clients.entries[slot];
        let remembered = self.clients.remembered_from(slot);
        if request < remembered {
            // Not placed (in doubt) is said by `on_duplicate`, not this.
            return (request >= entry.known_from).then_some(false);
        }
        let held = self.clients.seq_of(slot, request).and_then(|seq| self.ring.get(seq));
        let other = held.is_some_and(|event| {
            event.header.client.get() == entry.id.get()
                && event.header.request.get() == request
                && event.payload != payload
        });
        other.then_some(true)
    }

    /// A retried request: true if its commit was told already, to be told
    /// again; otherwise the commit notice will come when it commits.
    fn on_duplicate(&mut self, from: SocketAddr, slot: usize, request: u64) -> bool {
        self.stats.duplicates += 1;
        let entry = self.clients.entries[slot];
        let remembered = self.clients.remembered_from(slot);
        let unknown =
            request < entry.known_from || (request >= remembered && self.clients.seq_of(slot, request).is_none());
        if unknown {
            // Taken by an earlier leader, beyond the log this one holds: it
            // cannot say where, nor take it again. The client must be told,
            // at the source of what asked (a replay of an old SUBMIT from
            // elsewhere reaches nobody else with it).
            self.stats.in_doubt += 1;
            self.queue_busy(from, entry.id, request, BusyReason::EpochChanged);
            return false;
        }
        request >= remembered && request < entry.notified_next
    }

    /// Queues requests to tell again; a range of the same client to the
    /// same address that meets it grows instead.
    fn queue_retell(&mut self, retell: Retell) {
        let meets = |r: &&mut Retell| {
            r.client == retell.client && r.addr == retell.addr && r.first <= retell.end && retell.first <= r.end
        };
        if let Some(queued) = self.retells.iter_mut().find(meets) {
            (queued.first, queued.end) = (queued.first.min(retell.first), queued.end.max(retell.end));
        } else if self.retells.len() < self.config.clients_max {
            self.retells.push_back(retell);
        }
    }

    /// One BUSY per client a flush: the one naming the lowest request, with
    /// its reason and address (the client resends from there; a reason
    /// kept from a higher request would misname this one, as "refused" for
    /// a request only in doubt).
    fn queue_busy(&mut self, addr: SocketAddr, client: ClientId, request: u64, reason: BusyReason) {
        self.queue_busy_in(addr, client, request, (reason, self.epoch(), false));
    }

    /// As [`queue_busy`](Self::queue_busy), sent in `epoch`.
    fn queue_busy_in(
        &mut self,
        addr: SocketAddr,
        client: ClientId,
        request: u64,
        (reason, epoch, lost): (BusyReason, Epoch, bool),
    ) {
        if let Some(queued) = self.busy.iter_mut().find(|b| b.1 == client) {
            if request < queued.2 {
                *queued = (addr, client, request, reason, epoch, lost);
            }
        } else if self.busy.len() < self.busy.capacity() {
            self.busy.push((addr, client, request, reason, epoch, lost));
        }
    }

    fn on_ack(&mut self, now: Nanos, from: SocketAddr, node: NodeId, ack: &Ack) {
        self.stats.acks += 1;
        let held = ack.seq_held.get();
        // The stamp of the newest leader frame its sender heard.
        let echo = ack.echo_ns.get();
        let i = node.index();
        if held > self.held[i] && echo < self.ack_floor_ns[i] {
            // More than the view, from before the view fell: an ACK
            // recorded before a restart and replayed would count the
            // member for what it no longer holds. Its next ACK echoes a
            // newer stamp (a HEARTBEAT goes at once).
            self.stats.acks_stale += 1;
            return;
        }
        if held < self.held[i] {
            // Less is believed from anywhere: it may have restarted empty.
            self.ack_floor_ns[i] = now;
            self.multicast_at = 0;
        }
        // A stamp of this leader's clock newer than every ACK of it heard
        // echoed: it heard a frame sent since, which a recording of one of
        // those ACKs cannot show.
        if self.ack_echo_max[i] > now {
            // Its clock stepped back (`--clock realtime`): stamps start over.
            self.ack_echo_max[i] = 0;
        }
        let ours = (self.started_ns..=now).contains(&echo);
        let newest_echo = ours && echo > self.ack_echo_max[i];
        if ours {
            self.ack_echo_max[i] = self.ack_echo_max[i].max(echo);
        }
        let before = self.member_addr[i];
        // (One beyond this log, whatever its stamp or source, is another
        // history, reported below.)
        if let Some((learned, acked)) = before
            && (learned, acked) != (from, true)
            && !newest_echo
            && held < self.ring.seq_next()
        {
            // Only an ACK that echoes a newer stamp says where the member
            // is: one heard already, recorded and replayed from elsewhere
            // (or from where a replayed NAK moved its repairs), would send
            // them to whoever replays it, for as long as that goes on. The
            // member itself, restarted on another port, echoes a frame
            // sent since. Less is believed, as from anywhere.
            self.stats.ack_moves_refused += 1;
            if learned != from {
                self.ack_source_change = Some((node, learned, from));
            }
            self.held[i] = self.held[i].min(held);
            return;
        }
        if let Some((learned, false)) = before
            && learned != from
            && now < self.last_nak_ns[i] + 2 * crate::core::KEEPALIVE_NS
        {
            // Its first ACK to this leader comes from where its NAKs come
            // from (one socket sends both): one from elsewhere while they
            // still do is a recording, replayed, which would send its
            // repairs there (and, to a member that sends no ACK while it
            // checks a restarted sequencer's log, for good).
            self.stats.ack_moves_refused += 1;
            self.ack_source_change = Some((node, learned, from));
            return;
        }
        if let Some((before, true)) = before
            && before != from
        {
            self.ack_source_change = Some((node, before, from));
            // Its repairs follow it to a new address once it shows at least
            // what it ACKed from the old one (not the view, which any ACK
            // of less lowers) with a newer stamp (above), or once the old
            // one fell silent past two keepalives (it restarted on another
            // port): a recorded ACK replayed from elsewhere shows neither,
            // and would otherwise send the member's repairs there (with a
            // replayed NAK, a thousand times the two datagrams' size). As
            // much suffices: a copy of an ACK never heard (its original
            // lost) moved them to the replayer, and the member, behind on
            // a gap, showed no more until that address fell silent, its
            // NAKs drawing their repairs there meanwhile. A second process
            // with its id that holds less moves nothing.
            let silent = now >= self.last_ack_ns[i] + 2 * crate::core::KEEPALIVE_NS;
            if held < self.held_at_repairs[i] && !silent {
                self.stats.ack_moves_refused += 1;
                self.held[i] = self.held[i].min(held);
                return;
            }
            self.stats.ack_source_changes += 1;
        }
        if !ours || echo == self.ack_echo_max[i] {
            // An older stamp says nothing of its being there now: replayed
            // there, it would keep the address from falling silent.
            self.last_ack_ns[i] = now;
        }
        self.member_addr[i] = Some((from, true));
        if !matches!(before, Some((_, true))) {
            self.unacked = self.unacked.saturating_sub(1);
        }
        let newest = self.ring.seq_next() - 1;
        // Where its repairs go, what it holds of this log (no more than it).
        if self.config.members.get(i).is_none_or(|&configured| configured == from) {
            self.held_at_repairs[i] = held.min(newest);
        }
        if held > newest {
            // A follower of this epoch only ever holds this leader's log:
            // more means another history, as when a member restarted
            // without --rejoin leads a cluster that ran on, or a sequencer
            // restarted without its journal (or with its tail damaged) while
            // its followers kept theirs. Counting it would call events of
            // this log committed that the follower does not hold, and
            // numbering on would give committed sequences to new events:
            // nothing commits from now on.
            self.stats.acks_beyond += 1;
            self.foreign_history.get_or_insert((node, held, newest));
            return;
        }
        // A follower that restarted empty acks less than before: believe it.
        self.held[i] = held;
        let may_commit = held > self.commit;
        // A stamp this leader could have sent, and a round trip a LAN could
        // take: anything else would poison the smoothed RTT every timer uses.
        let rtt_ns = now.saturating_sub(echo).saturating_sub(ack.echo_delay_ns.get());
        if echo != 0 && (echo < self.started_ns || echo > now || rtt_ns > RTT_SAMPLE_MAX_NS) {
            self.stats.rtt_samples_implausible += 1;
        } else if echo != 0 {
            self.echoed_ns[i] = self.echoed_ns[i].max(echo);
            if let Some((epoch, at)) = self.client_epoch
                && self.clients_ahead.is_none_or(|lost| epoch > lost)
                && (0..self.held.len()).filter(|&j| j == self.me.index() || self.echoed_ns[j] > at).count()
                    >= self.quorum
            {
                self.clients_ahead = Some(epoch);
                self.stats.clients_ahead += 1;
            }
            self.srtt_ns = (self.srtt_ns * 7 + rtt_ns) / 8;
            if self.rtt_samples.len() < RTT_SAMPLES_MAX {
                self.rtt_samples.push_back((node, rtt_ns));
            } else {
                self.stats.rtt_samples_dropped += 1;
            }
        }
        // An ACK at or below the commit cannot move it (most ACKs, once a
        // quorum has answered): skip the quorum computation.
        if may_commit {
            self.update_commit();
        }
    }

    fn update_commit(&mut self) {
        if self.foreign_history.is_some() {
            return;
        }
        // DESIGN §8: with a journal the leader holds only what is durable.
        self.held[self.me.index()] = if self.config.journal { self.durable } else { self.ring.seq_next() - 1 };
        // Until a quorum holds more than the commit it cannot move, and
        // counting is cheaper than selecting (most ACKs before the quorum's).
        if self.held.iter().filter(|&&held| held > self.commit).count() < self.quorum {
            return;
        }
        let mut commit = quorum_commit(&self.held, self.quorum, &mut self.scratch);
        if self.config.journal && self.config.failover == Failover::Off {
            // A leader that restarts resumes its own journal, and no election
            // looks for a longer one: it must hold every commit (DESIGN §8).
            commit = commit.min(self.durable);
        }
        if commit <= self.commit {
            return;
        }
        // DESIGN §2: the commit is what a quorum holds, and never more than exists.
        invariant!(commit < self.ring.seq_next(), "commit {commit} of {} stamped", self.ring.seq_next() - 1);
        invariant!(self.held.iter().filter(|&&held| held >= commit).count() >= self.quorum);
        for seq in self.commit + 1..=commit {
            // Uncommitted events never leave the ring (ring_events > in_flight_max),
            // so their slots in `slot_of` are still theirs.
            let slot = usize::from(self.slot_of[(seq % self.slot_of.len() as u64) as usize]);
            // Only events this leader stamped count in flight: one of the
            // log it took over must leave its client's own events counted.
            if seq > self.epoch_start {
                self.clients.committed(slot);
            }
            self.clients.mark_dirty(slot);
        }
        self.commit = commit;
        self.committed_event = true;
    }

    /// Called when `poll_timeout` passes; expires lingering repairs.
    pub fn handle_timeout(&mut self, now: Nanos) {
        self.expire_repairs(now);
    }

    /// When the leader next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        let mut timers = TimerTable::<3>::new();
        // The HEARTBEAT due after an interval without a multicast, or a
        // keepalive interval without a HEARTBEAT (later than the first but
        // where the interval is set above it), or an announce.
        let keepalive = self.heartbeat_at.max(self.started_ns) + crate::core::KEEPALIVE_NS;
        let announce = (self.unacked > 0).then(|| {
            let since = if self.promoted { self.heartbeat_at } else { self.heartbeat_at.max(self.started_ns) };
            since + self.config.heartbeat_interval_ns
        });
        let heartbeat = (self.multicast_at + self.config.heartbeat_interval_ns).min(keepalive);
        timers.set(Timer::Heartbeat as usize, Some(announce.map_or(heartbeat, |at| at.min(heartbeat))));
        let linger = self.repairs.iter().filter_map(|r| r.done_at).min().map(|at| at + self.config.repair_linger_ns);
        timers.set(Timer::RepairLinger as usize, linger);
        timers.set(Timer::RepairLeft as usize, self.repairs.iter().any(Repair::unsent).then_some(0));
        timers.next()
    }

    /// The next event for the driver.
    pub fn poll_event(&mut self) -> Option<LeaderEvent> {
        if let Some((node, rtt_ns)) = self.rtt_samples.pop_front() {
            return Some(LeaderEvent::AckRtt { node, rtt_ns });
        }
        if std::mem::take(&mut self.committed_event) {
            return Some(LeaderEvent::Committed { commit: Seq(self.commit) });
        }
        None
    }

    /// Writes the next datagram to send into `buf` (at least `mtu` bytes).
    /// Order: a new leader's HEARTBEAT (elected, resumed or fresh) while
    /// its followers may not know where its log starts, new DATA, commit notices, a HEARTBEAT when the
    /// commit advanced and followers cannot infer it (before the notices
    /// where [`Config::group_hears_commit_first`]: on loopback that costs a
    /// commit's p50 7.5–9.7 µs, as the followers it wakes may run first),
    /// the HEARTBEAT due after an interval without a multicast (or a
    /// keepalive interval without a HEARTBEAT), HEARTBEATs answering
    /// members' nonces, repairs, BUSY replies (an observer's hello first).
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        let buf = &mut buf[..self.config.mtu];
        if self.announce_due(now) {
            return Some(self.transmit_heartbeat(now, buf));
        }
        if self.seq_sent < self.data_end() {
            return Some(self.transmit_data(now, buf));
        }
        // Without failover and with quorum 2, every follower holding an event knows it committed.
        let commit_untold =
            |leader: &Self| leader.commit > leader.commit_sent && !leader.config.followers_infer_commit();
        if commit_untold(self) && self.config.group_hears_commit_first() {
            return Some(self.transmit_heartbeat(now, buf));
        }
        if let Some(transmit) = self.transmit_commit_notice(buf) {
            return Some(transmit);
        }
        if commit_untold(self) {
            return Some(self.transmit_heartbeat(now, buf));
        }
        if let Some(transmit) = self.transmit_retell(buf) {
            return Some(transmit);
        }
        // Idle; or busy a keepalive interval since the last: whoever hears
        // the group only now (a tail, a follower resumed on its journal,
        // all of whose peers acked) judges a newer epoch by where its log
        // starts, which only a HEARTBEAT says.
        let keepalive = self.heartbeat_at.max(self.started_ns) + crate::core::KEEPALIVE_NS;
        if now >= self.multicast_at + self.config.heartbeat_interval_ns || now >= keepalive {
            return Some(self.transmit_heartbeat(now, buf));
        }
        if let Some((_, dest, nonce)) = self.fresh_owed.pop() {
            self.stats.fresh_heartbeats_sent += 1;
            let len = emit(buf, &self.header, Kind::Heartbeat, &self.heartbeat(now, nonce)).expect("mtu holds it");
            return Some(Transmit { dest: Dest::Unicast(dest), len });
        }
        if let Some(transmit) = self.transmit_repair(now, buf) {
            return Some(transmit);
        }
        let window = now / HELLO_WINDOW_NS;
        // An observer's hello (client 0) first: it is owed its token.
        let (addr, client, request, reason, token, epoch, lost) = match self.observer_hellos.pop() {
            Some(addr) => {
                (addr, ClientId(0), 0, BusyReason::Hello, self.observer_token(addr, window), self.epoch(), false)
            }
            None => {
                let Some((addr, client, request, reason, epoch, lost)) = self.busy.pop() else {
                    // Everything else went: the next flush may repair again.
                    self.repair_bytes = 0;
                    return None;
                };
                self.stats.busy_sent += 1;
                let token = if reason == BusyReason::Hello { self.hello_token(client, window) } else { 0 };
                (addr, client, request, reason, token, epoch, lost)
            }
        };
        let body = Busy {
            client: client.get().into(),
            reason: u16::from(reason).into(),
            leader: match reason {
                BusyReason::NotLeader => SENDER_CLIENT,
                _ if lost => crate::wire::BUSY_LOST,
                _ => 0,
            }
            .into(),
            request: request.into(),
            retry_ns: if matches!(reason, BusyReason::Gap | BusyReason::Hello) { 0 } else { self.config.busy_retry_ns }
                .into(),
        };
        let header = Header { token: token.into(), epoch: epoch.get().into(), ..self.header };
        let len = emit(buf, &header, Kind::Busy, &body).expect("mtu holds a BUSY");
        Some(Transmit { dest: Dest::Unicast(addr), len })
    }

    /// An elected leader's followers take its log only once a HEARTBEAT
    /// told them where it starts (`epoch_start`), and ACK nothing before;
    /// so do followers that resumed a journal, of a sequencer in a newer
    /// epoch, resumed or fresh (which they refuse: its log starts at 0).
    /// Until every member has ACKed, one goes out first and then every
    /// heartbeat interval, however busy the DATA (a busy leader sends no
    /// idle heartbeat, and its followers would wait for it to stall).
    /// A fresh sequencer's, only past an interval since its start or its
    /// last HEARTBEAT.
    fn announce_due(&self, now: Nanos) -> bool {
        let interval = self.config.heartbeat_interval_ns;
        let since = match (self.promoted, self.heartbeat_at) {
            (true, 0) => return self.unacked > 0,
            (true, at) => at,
            (false, at) => at.max(self.started_ns),
        };
        self.unacked > 0 && now >= since + interval
    }

    fn transmit_data(&mut self, now: Nanos, buf: &mut [u8]) -> Transmit {
        // Only with quorum 1 can an unsent event have committed and left the ring.
        self.seq_sent = self.seq_sent.max(self.ring.seq_first());
        let mut writer =
            FrameWriter::batch(buf, &self.header, Kind::Data, Seq(self.commit), now).expect("mtu holds a batch head");
        let end = self.data_end();
        while self.seq_sent < end
            && let Some(event) = self.ring.get(self.seq_sent)
        {
            if !writer.push_record(event.record) {
                break;
            }
            self.seq_sent += 1;
        }
        self.stats.data_sent += 1;
        self.stats.events_sent += u64::from(writer.count());
        self.commit_sent = self.commit;
        self.multicast_at = now;
        Transmit { dest: Dest::Group, len: writer.finish() }
    }

    /// A HEARTBEAT: to the group (`nonce` 0), or answering a member's NAK.
    fn heartbeat(&self, now: Nanos, nonce: u32) -> Heartbeat {
        Heartbeat {
            seq_next: self.data_end().into(),
            commit: self.commit.into(),
            sent_ns: now.into(),
            rtt_ns: self.srtt_ns.into(),
            epoch_start: self.epoch_start.into(),
            nonce: nonce.into(),
            reserved: 0.into(),
        }
    }

    fn transmit_heartbeat(&mut self, now: Nanos, buf: &mut [u8]) -> Transmit {
        let body = self.heartbeat(now, 0);
        self.stats.heartbeats_sent += 1;
        self.commit_sent = self.commit;
        (self.multicast_at, self.heartbeat_at) = (now, now.max(1));
        let len = emit(buf, &self.header, Kind::Heartbeat, &body).expect("mtu holds a HEARTBEAT");
        Transmit { dest: Dest::Group, len }
    }

    fn transmit_commit_notice(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        while let Some(slot) = self.clients.dirty.pop_front() {
            let entry = self.clients.entries[slot];
            let Some(addr) = entry.addr else {
                // Not heard from since this leader took its log over: what
                // committed counts as told (a resend of it is told again),
                // so that its place can go to another once it is idle.
                let mut request = entry.notified_next.max(self.clients.remembered_from(slot));
                let committed = |r: u64| self.clients.seq_of(slot, r).is_none_or(|seq| seq <= self.commit);
                while request < entry.request_next && committed(request) {
                    request += 1;
                }
                self.clients.entries[slot].notified_next = request;
                self.clients.entries[slot].dirty = false;
                continue;
            };
            let mut writer =
                FrameWriter::commit(buf, &self.header, entry.id, Seq(self.commit)).expect("mtu holds a COMMIT");
            // Requests older than the table remembers cannot be pending.
            let remembered = self.clients.remembered_from(slot);
            let (request, full) =
                self.push_commit_runs(&mut writer, slot, entry.notified_next.max(remembered), entry.request_next);
            self.clients.entries[slot].notified_next = request;
            self.clients.entries[slot].dirty = false;
            if full {
                self.clients.mark_dirty(slot);
            }
            if writer.count() > 0 {
                self.stats.commits_sent += 1;
                return Some(Transmit { dest: Dest::Unicast(addr), len: writer.finish() });
            }
        }
        None
    }

    /// Commits told again, each to the address of the resend that asked.
    fn transmit_retell(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        while let Some(retell) = self.retells.pop_front() {
            // Its client gave its place up since: it hears no more of them.
            let Some(slot) = self.clients.slot(retell.client) else { continue };
            let mut writer =
                FrameWriter::commit(buf, &self.header, retell.client, Seq(self.commit)).expect("mtu holds a COMMIT");
            let remembered = self.clients.remembered_from(slot);
            let (next, full) = self.push_commit_runs(&mut writer, slot, retell.first.max(remembered), retell.end);
            if full {
                self.retells.push_front(Retell { first: next, ..retell });
            }
            if writer.count() > 0 {
                self.stats.commits_sent += 1;
                return Some(Transmit { dest: Dest::Unicast(retell.addr), len: writer.finish() });
            }
        }
        None
    }

    /// Pushes `slot`'s committed requests from `request` up to `end` as
    /// runs, up to the first not committed; returns where it stopped, and
    /// whether the frame filled first.
    fn push_commit_runs(&self, writer: &mut FrameWriter<'_>, slot: usize, mut request: u64, end: u64) -> (u64, bool) {
        // A sequence not known here (an elected leader's gap) is skipped:
        // asked for again, it is answered "in doubt".
        let known = |request: u64| self.clients.seq_of(slot, request);
        let seq_of = |request: u64| known(request).unwrap_or(u64::MAX);
        loop {
            while request < end && known(request).is_none() {
                request += 1;
            }
            if request == end || seq_of(request) > self.commit {
                return (request, false);
            }
            // One run: consecutive requests at consecutive committed sequences.
            let seq = seq_of(request);
            let mut count = 1;
            while request + count < end && seq_of(request + count) == seq + count && seq + count <= self.commit {
                count += 1;
            }
            if !writer.push_run(&CommitRun::new(request, Seq(seq), count as u32)) {
                return (request, true);
            }
            request += count;
        }
    }
}

/// Requests `[first, end)` of `client` told again at `addr`.
#[derive(Clone, Copy, Debug)]
struct Retell {
    addr: SocketAddr,
    client: ClientId,
    first: u64,
    end: u64,
}

mod journal;
mod repair;

pub use journal::Resume;

#[cfg(test)]
mod tests;
