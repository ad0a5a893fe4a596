//! A client: numbers its requests, sends them in SUBMITs, resends what is not
//! committed after a timeout (same numbers, so exactly once), honours BUSY,
//! and reports each request's commit with its sequence.

use core::fmt;
use std::net::SocketAddr;

use super::timer::TimerTable;
use super::{
    ClientId, Config, ConfigError, Dest, Epoch, Failover, Nanos, NodeId, Peers, Rejects, Seq, Transmit, accept,
};
use crate::wire::{
    BusyReason, Commit, EventHeader, FLAG_OLDEST, FLAG_RESENT, Frame, FrameWriter, Header, Kind, SENDER_CLIENT,
};

/// Counters of the client's protocol paths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests accepted by `submit`.
    pub submitted: u64,
    /// SUBMIT datagrams sent.
    pub submits_sent: u64,
    /// Times the client went back to resend uncommitted requests.
    pub retries: u64,
    /// BUSY replies received, but for the admission handshake (reason 7,
    /// once per client and leader with keys).
    pub busy: u64,
    /// Requests reported committed.
    pub committed: u64,
    /// Times it turned to another member (told "not leader", or no answer).
    pub redirects: u64,
    /// Of [`redirects`](Self::redirects), those for no answer: the member
    /// it sent to said nothing for an election timeout (down, or it drops
    /// this client's frames: another cluster id or key).
    pub silent_turns: u64,
}

/// A request the leader committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    /// The client's request number (from 1).
    pub request: u64,
    /// The sequence the leader gave it.
    pub seq: Seq,
}

/// Why `submit` refused a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// `client_pending_max` requests are uncommitted: wait for commits.
    Full,
    /// The payload exceeds `payload_max`.
    TooLarge {
        /// The payload's length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full => f.write_str("too many requests uncommitted"),
            SubmitError::TooLarge { len, max } => write!(f, "payload of {len} bytes exceeds payload_max {max}"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// The client's timers, one slot each in its [`TimerTable`].
#[derive(Clone, Copy, Debug)]
enum Timer {
    /// The oldest request sent is unanswered for `client_retry_ns`: resend;
    /// with failover, or the member it sends to fell silent: turn from it
    /// (not before a BUSY's pause ends).
    Retry,
    /// Requests wait unsent until a BUSY's pause ends.
    Send,
}

/// The client state machine. Its id must be unique per incarnation: the
/// leader deduplicates by (client id, request number), numbers from 1.
pub struct Client {
    config: Config,
    id: ClientId,
    leader: SocketAddr,
    /// With failover: every member's address, by node id, to find the leader.
    members: Vec<SocketAddr>,
    leader_index: usize,
    /// With failover: the member that last left a request unanswered, and
    /// when. Most likely the leader that died: for one election timeout,
    /// a client going round members that know no leader passes it by.
    silent: Option<(usize, Nanos)>,
    /// With failover: since when the client waits on the member it sends
    /// to: its last commit of a pending request there, the client's turn to
    /// it, or the send that left something pending after nothing was. One
    /// that commits leads, however slowly: the client turns from it only
    /// once it has committed nothing for an election timeout (resends and
    /// BUSY answers do not count: a stale leader answers those too).
    waiting_since: Nanos,
    /// The client resent requests to the member it sends to, which that
    /// member may have taken the first time: its "not leader" answer to
    /// the copy says nothing of the first.
    resent_here: bool,
    header: Header,
    payloads: Vec<u8>,
    lens: Vec<u16>,
    seqs: Vec<u64>,
    sent_at: Vec<Nanos>,
    request_next: u64,
    request_oldest: u64,
    /// The oldest request not yet committed (`request_next` if none): every
    /// one from `request_oldest` below it is. Kept as commits come, so
    /// that nothing scans the committed ones the application has not taken
    /// yet (thousands under load) on every turn.
    unresolved: u64,
    request_send: u64,
    /// A SUBMIT went since the last BUSY taken that names another request
    /// than the one it answers (see `answers_a_send`).
    sent_since_hint: bool,
    /// One past the highest request ever sent.
    sent_next: u64,
    /// Requests below this were sent before the client last turned to
    /// another member: their SUBMITs say so (`FLAG_RESENT`).
    moved_below: u64,
    paused_until: Nanos,
    /// With failover: how long it waits before turning to the next member
    /// after one that knows no leader (an election under way): doubled at
    /// each such answer in a row, from `busy_retry_ns` up to an eighth of
    /// the election timeout (by which it may find the new leader later),
    /// and back to the least once a member names a leader or one commits.
    /// Going round every `busy_retry_ns` through an election, resending
    /// everything pending at each turn, flooded the members with SUBMITs
    /// to refuse.
    leaderless_pause: Nanos,
    /// With failover, after a member that knows no leader or fell silent:
    /// the client sends one SUBMIT (the oldest requests pending) to each
    /// member it turns to, and the rest only once the member it sends to
    /// commits, answers as only a leader does, or a member names a leader.
    /// Until then each member it asks refuses a datagram, not the whole
    /// window (nor finds one queued for it while it restarted).
    probing: bool,
    leader_restarted: Option<(Epoch, Epoch)>,
    /// The "in doubt" answer said the cluster lost requests this client was
    /// told committed, below the one named ([`BUSY_LOST`](crate::wire::BUSY_LOST)).
    told_lost: Option<u64>,
    /// A request the leader refused for good (BUSY reason 6).
    refused: Option<u64>,
    /// A request the leader holds another process's event for (BUSY
    /// reason 8): this client's id is in use.
    id_in_use: Option<u64>,
    /// Without failover: the node it sends to said it does not lead, and
    /// named the one that does (BUSY reason 5).
    not_leader: Option<(NodeId, NodeId)>,
    /// The cluster shape the last leader's COMMIT named (0: none yet).
    leader_shape: u32,
    stats: ClientStats,
    rejects: Rejects,
}

/// Where it stands, in a line: the payloads kept for resends are left out.
impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("leader", &self.leader)
            .field("epoch", &self.epoch())
            .field("pending", &self.pending())
            .field("request_next", &self.request_next)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Client `id` of the cluster in `config`, sending to the leader at `leader`.
    pub fn new(config: Config, id: ClientId, leader: SocketAddr) -> Result<Client, ConfigError> {
        Client::with_members(config, id, leader, Vec::new())
    }

    /// A client of a cluster with failover: `members[i]` is node `i`'s
    /// address. It starts with `config.leader`, and when a member says it does
    /// not lead, or nobody answers, it turns to the leader named or the next
    /// member, resending what is uncommitted under the same request numbers.
    /// It follows elections whatever `config.failover` says (a cluster
    /// file read for a client leaves it `Off`): a newer epoch is a new
    /// leader, not a restarted one.
    pub fn with_failover(config: Config, id: ClientId, members: Vec<SocketAddr>) -> Result<Client, ConfigError> {
        let failover = if config.failover == Failover::Off { Failover::Auto } else { config.failover };
        let config = Config { failover, ..config };
        if members.len() != usize::from(config.nodes) {
            return Err(ConfigError::MembersMismatch { given: members.len(), nodes: config.nodes });
        }
        let leader = *members
            .get(config.leader.index())
            .ok_or(ConfigError::LeaderNotMember { leader: config.leader, nodes: config.nodes })?;
        Client::with_members(config, id, leader, members)
    }

    fn with_members(
        config: Config,
        id: ClientId,
        leader: SocketAddr,
        members: Vec<SocketAddr>,
    ) -> Result<Client, ConfigError> {
        config.validate()?;
        if id.get() == 0 {
            // The leader's own, in its hello to a tail (DESIGN §9).
            return Err(ConfigError::Zero("a client id (0 is the leader's, in its hello to a tail)"));
        }
        let slots = config.client_pending_max;
        Ok(Client {
            leader_index: config.leader.index(),
            silent: None,
            waiting_since: 0,
            resent_here: false,
            members,
            header: Header::new(Kind::Submit, SENDER_CLIENT, config.cluster_id, config.epoch),
            payloads: super::prefaulted(slots * config.payload_max),
            lens: vec![0; slots],
            seqs: vec![0; slots],
            sent_at: vec![0; slots],
            id,
            leader,
            request_next: 1,
            request_oldest: 1,
            unresolved: 1,
            request_send: 1,
            sent_since_hint: false,
            sent_next: 1,
            moved_below: 1,
            paused_until: 0,
            leaderless_pause: config.busy_retry_ns,
            probing: false,
            leader_restarted: None,
            told_lost: None,
            refused: None,
            id_in_use: None,
            not_leader: None,
            leader_shape: 0,
            stats: ClientStats::default(),
            rejects: Rejects::default(),
            config,
        })
    }

    /// This client's id.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// `(old, new)` epochs once its pending requests are in doubt: without
    /// failover, a leader of another epoch answered (the one it knew is gone);
    /// with failover, an elected leader could not place a resent request
    /// (taken by an earlier leader outside the log it holds). The client
    /// sends nothing more; its application decides.
    pub fn leader_restarted(&self) -> Option<(Epoch, Epoch)> {
        self.leader_restarted
    }

    /// With [`leader_restarted`](Self::leader_restarted): the leader that
    /// answered has no record of requests this client was told committed
    /// (below the request it names, returned): the cluster lost them
    /// (members lost their state), and with them the events this client
    /// was told were committed.
    pub fn told_lost(&self) -> Option<u64> {
        self.told_lost
    }

    /// A request the leader refused for good: its payload is over the
    /// leader's `payload_max` (the client's configuration says more). It
    /// and every later request stay pending, and the client sends no more.
    pub fn refused(&self) -> Option<u64> {
        self.refused
    }

    /// A pending request the leader holds another event for under this
    /// client's id (BUSY reason 8): another process uses the id, or used
    /// it before this one (ids are unique per incarnation: draw one with
    /// [`ClientId::fresh`]). The leader took none of this client's requests
    /// from there on; the client sends no more.
    pub fn id_in_use(&self) -> Option<u64> {
        self.id_in_use
    }

    /// Without failover: `(node, leader)` once the node this client sends
    /// to answered a pending request that it does not lead and named the
    /// one that does (a follower, or a member that follows). A client
    /// without failover cannot turn to another node: it sends no more.
    /// Point it at the leader, or give it every member
    /// ([`Client::with_failover`]) to follow elections. One that knows no
    /// leader yet (a member during an election) is asked again later, less
    /// often each time.
    pub fn not_leader(&self) -> Option<(NodeId, NodeId)> {
        self.not_leader
    }

    /// The cluster's shape ([`Config::shape`]: node count and quorum) as
    /// the last COMMIT's leader has it in its cluster file; `None` before
    /// one, or from a leader of an older build. With failover, one other
    /// than this client's configuration means the two files differ: of
    /// another node count, the client takes nothing from that leader
    /// (counted as `other_shape` in its rejects) and turns to another member.
    pub fn leader_shape(&self) -> Option<u32> {
        (self.leader_shape != 0).then_some(self.leader_shape)
    }

    /// Requests submitted and not yet reported committed.
    pub fn pending(&self) -> usize {
        (self.request_next - self.request_oldest) as usize
    }

    /// Protocol counters.
    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// Datagrams dropped on receipt, by reason.
    pub fn rejects(&self) -> &Rejects {
        &self.rejects
    }

    fn slot(&self, request: u64) -> usize {
        (request % self.config.client_pending_max as u64) as usize
    }

    /// Whether `request` is one it sent and has not seen committed: what a
    /// BUSY reason 4, 6 or 8 must name to count (one naming another is an
    /// answer to an old SUBMIT replayed, or stale).
    fn is_pending(&self, request: u64) -> bool {
        (self.request_oldest..self.request_next).contains(&request) && self.seqs[self.slot(request)] == 0
    }

    /// Whether a BUSY (`reason`, naming `request`) may answer a SUBMIT: the
    /// request is pending and was sent
    /// since the client last went back to resend. A replay of one it heard
    /// before is not, until it sends that request again: a stream of them
    /// pauses it once a resend at most, and every resend reaches the
    /// leader. Two kinds name another request than the SUBMIT's first,
    /// and count once a SUBMIT at most: a "not leader" that names the
    /// leader only redirects, and counts for any pending request ever sent
    /// (a member's answer to a later SUBMIT than the one that made the
    /// client go back); a gap names the request the leader asks for, and
    /// counts if anything pending was sent since the client last went back.
    /// (`hint`: such a BUSY; the "not leader" is one only when it names
    /// another member than its sender).
    fn answers_a_send(&self, request: u64, reason: BusyReason, hint: bool) -> bool {
        match (hint, reason) {
            // Its request may be below the oldest pending: a leader that
            // forgot the client asks for request 1.
            (true, BusyReason::Gap) => self.sent_since_hint && self.unresolved < self.request_send,
            (true, _) => self.sent_since_hint && self.is_pending(request) && request < self.sent_next,
            (false, _) => self.is_pending(request) && request < self.request_send,
        }
    }

    /// Queues `payload` as the next request and returns its number.
    pub fn submit(&mut self, payload: &[u8]) -> Result<u64, SubmitError> {
        let max = self.config.payload_max;
        if payload.len() > max {
            return Err(SubmitError::TooLarge { len: payload.len(), max });
        }
        if self.pending() == self.config.client_pending_max {
            return Err(SubmitError::Full);
        }
        let request = self.request_next;
        let slot = self.slot(request);
        self.payloads[slot * max..][..payload.len()].copy_from_slice(payload);
        self.lens[slot] = payload.len() as u16;
        self.seqs[slot] = 0;
        self.request_next += 1;
        self.stats.submitted += 1;
        Ok(request)
    }

    /// The newest leader epoch this client has heard (0: none yet).
    pub fn epoch(&self) -> Epoch {
        self.header.epoch()
    }

    /// The address SUBMITs go to now.
    pub fn leader_addr(&self) -> SocketAddr {
        self.leader
    }

    fn failover(&self) -> bool {
        !self.members.is_empty() && self.config.failover != Failover::Off
    }

    /// Turns to member `hint` if it names one, else to the next member, and
    /// resends what is uncommitted there (one SUBMIT first while
    /// `probing`); the member it leaves may have taken what it was sent
    /// below `taken_below`.
    fn redirect(&mut self, now: Nanos, hint: Option<usize>, taken_below: u64) {
        let next = hint.filter(|&i| i < self.members.len()).unwrap_or((self.leader_index + 1) % self.members.len());
        self.point_at(now, next, taken_below);
    }

    /// Turns to the member after the one it sends to, passing by the one
    /// that went silent (if another is left to ask) while the election
    /// that silence may have started runs.
    fn redirect_past_silent(&mut self, now: Nanos, taken_below: u64) {
        let n = self.members.len();
        let mut next = (self.leader_index + 1) % n;
        if let Some((silent, at)) = self.silent
            && now < at + self.config.election_timeout_ns
            && next == silent
            && n > 2
        {
            next = (next + 1) % n;
        }
        self.point_at(now, next, taken_below);
    }

    /// Sends to member `next` from now on, what is uncommitted again (one
    /// SUBMIT first while `probing`).
    /// The member it leaves may have taken requests below `taken_below`
    /// (all it was sent, unless it said it leads no more and took none from
    /// a request on): sent again, they say so (`FLAG_RESENT`).
    fn point_at(&mut self, now: Nanos, next: usize, taken_below: u64) {
        (self.waiting_since, self.resent_here) = (now, false);
        self.moved_below = self.moved_below.max(taken_below.min(self.sent_next));
        (self.leader_index, self.leader) = (next, self.members[next]);
        self.request_send = self.request_oldest;
        self.stats.redirects += 1;
    }

    /// Feeds one received datagram.
    pub fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let peers = match self.failover() {
            true => Peers::Members { me: NodeId(SENDER_CLIENT), nodes: self.config.nodes },
            false => Peers::Leader { leader: Some(self.config.leader), nodes: self.config.nodes },
        };
        // Without failover, the node it sends to may say it does not lead,
        // whatever its id (an address given by hand).
        let (pinned, nodes) = (!self.failover() && from == self.leader, self.config.nodes);
        let Some(datagram) = accept(bytes, &self.header, peers, &mut self.rejects, |d| {
            pinned
                && d.header.sender.get() < nodes
                && matches!(&d.frame, Frame::Busy(b) if b.reason() == BusyReason::NotLeader)
        }) else {
            return;
        };
        if let Frame::Commit(_) = datagram.frame {
            // A member's frames carry its cluster's shape (0: an older build).
            self.leader_shape = datagram.header.token.get();
        }
        // With failover, a member whose file lists another node count than
        // this client's is of another cluster than the one the client knows
        // (a group split off by a stale file can elect and commit on its
        // own): nothing of it is taken (not even a "not leader" hint), and
        // the client turns to the members of its own file. A BUSY with Hello
        // carries an admission token, no shape.
        let shape = datagram.header.token.get();
        let hello = matches!(&datagram.frame, Frame::Busy(busy) if busy.reason() == BusyReason::Hello);
        if self.failover()
            && !hello
            && super::other_node_count(shape, self.config.nodes)
            && let Some(sender) = datagram.header.member()
        {
            self.rejects.other_shape += 1;
            self.rejects.other_shape_seen = Some((sender, shape));
            return;
        }
        let (mine, epoch) = (self.header.epoch(), datagram.header.epoch());
        // A BUSY of the leader it sends to (of its epoch, or with failover of
        // a newer one) answers a SUBMIT only if that carried the request it
        // names since the client last went back; an old one replayed would
        // otherwise pause it again and again (PROTOCOL, replays).
        let current = if self.failover() { epoch >= mine } else { mine == Epoch::ZERO || epoch == mine };
        if let Frame::Busy(busy) = &datagram.frame
            && busy.client() == self.id
            && current
        {
            let hint = match busy.reason() {
                BusyReason::NotLeader => ![SENDER_CLIENT, datagram.header.sender.get()].contains(&busy.leader.get()),
                reason => reason == BusyReason::Gap,
            };
            if !self.answers_a_send(busy.request.get(), busy.reason(), hint) {
                self.rejects.stale_busy += 1;
                return;
            }
            // At most one such hint per SUBMIT sent.
            self.sent_since_hint &= !hint;
            if busy.reason() == BusyReason::Hello {
                // DESIGN §9: the leader's admission token, in every SUBMIT from now on.
                self.header.token = datagram.header.token;
            }
        }
        if self.failover() {
            let sender = usize::from(datagram.header.sender.get());
            return self.handle_failover_frame(now, (mine, epoch), sender, datagram.frame);
        }
        if mine == Epoch::ZERO {
            self.header.epoch = epoch.get().into();
        } else if epoch > mine {
            // The leader this client spoke to is gone: what it did not
            // confirm may or may not have committed there.
            self.leader_restarted.get_or_insert((mine, epoch));
            self.rejects.wrong_epoch += 1;
            return;
        } else if epoch < mine {
            // A restarted sequencer leads a newer epoch: an older one's
            // frame is late, or replayed, and says nothing of this leader.
            self.rejects.wrong_epoch += 1;
            return;
        }
        match datagram.frame {
            Frame::Commit(commit) if commit.head.client() == self.id => {
                if self.on_commit(commit) {
                    self.leaderless_pause = self.config.busy_retry_ns;
                }
            }
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::EpochChanged => {
                self.on_in_doubt((mine, epoch), busy);
            }
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::Refused => {
                self.on_refused(busy.request.get());
            }
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::IdInUse => {
                self.on_id_in_use(busy.request.get());
            }
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::NotLeader => {
                // Not back pressure: resent at once, each SUBMIT would draw
                // another refusal.
                self.stats.busy += 1;
                let (named, sender) = (busy.leader.get(), datagram.header.sender.get());
                if named != SENDER_CLIENT && named != sender {
                    if self.is_pending(busy.request.get()) {
                        self.not_leader.get_or_insert((NodeId(sender), NodeId(named)));
                    }
                } else {
                    // A member that knows no leader yet (an election under
                    // way, which it may win): asked again later, less
                    // often each time.
                    self.pause_leaderless(now);
                    self.request_send = self.request_send.min(busy.request.get().max(self.request_oldest));
                }
            }
            Frame::Busy(busy) if busy.client() == self.id => {
                self.stats.busy += u64::from(busy.reason() != BusyReason::Hello);
                self.paused_until = now + busy.retry_ns.get();
                self.request_send = self.request_send.min(busy.request.get().max(self.request_oldest));
            }
            _ => self.rejects.unexpected_kind += 1,
        }
    }

    /// With failover, epochs only move forward and a newer one is a new
    /// leader, not a loss: what is uncommitted is resent to it.
    fn handle_failover_frame(&mut self, now: Nanos, (mine, epoch): (Epoch, Epoch), sender: usize, frame: Frame<'_>) {
        if self.silent.is_some_and(|(silent, _)| silent == sender) {
            // It answers after all.
            self.silent = None;
        }
        match frame {
            // A commit notice is true whichever leader sent it.
            Frame::Commit(commit) if commit.head.client() == self.id => {
                self.header.epoch = mine.max(epoch).get().into();
                // Progress, not a COMMIT seen before (a duplicate, a replay).
                if self.on_commit(commit) && sender == self.leader_index {
                    self.waiting_since = now;
                    self.leaderless_pause = self.config.busy_retry_ns;
                    self.probing = false;
                }
            }
            _ if epoch < mine => self.rejects.wrong_epoch += 1,
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::EpochChanged => {
                // The leader cannot say whether a request it was asked for again
                // committed (taken by an earlier leader, beyond its log).
                self.on_in_doubt((mine, epoch), busy);
            }
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::Refused => {
                self.on_refused(busy.request.get());
            }
            Frame::Busy(busy) if busy.client() == self.id && busy.reason() == BusyReason::IdInUse => {
                self.on_id_in_use(busy.request.get());
            }
            Frame::Busy(busy) if busy.client() == self.id => {
                self.header.epoch = epoch.get().into();
                self.stats.busy += u64::from(busy.reason() != BusyReason::Hello);
                if busy.reason() == BusyReason::NotLeader {
                    let hint = usize::from(busy.leader.get());
                    // A leader that just went silent here, named by a member
                    // that has not yet noticed, is no news.
                    let stale = self
                        .silent
                        .is_some_and(|(silent, at)| silent == hint && now < at + self.config.election_timeout_ns);
                    // The member it sends to took nothing from `request` on;
                    // any other may have been talked past.
                    let here = sender == self.leader_index && !self.resent_here;
                    let taken_below = if here { busy.request.get() } else { self.sent_next };
                    if busy.leader.get() != SENDER_CLIENT && hint != self.leader_index && !stale {
                        self.redirect(now, Some(hint), taken_below);
                        self.paused_until = now;
                        self.leaderless_pause = self.config.busy_retry_ns;
                        self.probing = false;
                    } else if sender == self.leader_index {
                        // The member it sends to leads no more and knows no
                        // leader: try the next, after a pause for the election.
                        self.redirect_past_silent(now, taken_below);
                        self.pause_leaderless(now);
                        self.probing = true;
                    }
                    // Otherwise a late answer to a SUBMIT sent before it moved on.
                } else {
                    // Back pressure, a gap, a full client table or a token
                    // asked for: only a leader says so (not a reason this
                    // version does not know).
                    let leads = matches!(
                        busy.reason(),
                        BusyReason::InFlightFull | BusyReason::TooManyClients | BusyReason::Gap | BusyReason::Hello
                    );
                    self.probing &= !(leads && sender == self.leader_index);
                    self.paused_until = now + busy.retry_ns.get();
                    self.request_send = self.request_send.min(busy.request.get().max(self.request_oldest));
                }
            }
            _ => self.rejects.unexpected_kind += 1,
        }
    }

    /// Waits `leaderless_pause` before sending again, and doubles it (up to
    /// an eighth of the election timeout): members that know no leader are
    /// not flooded with SUBMITs to refuse.
    fn pause_leaderless(&mut self, now: Nanos) {
        self.paused_until = now + self.leaderless_pause;
        let most = self.config.busy_retry_ns.max(self.config.election_timeout_ns / 8);
        self.leaderless_pause = (2 * self.leaderless_pause).min(most);
    }

    /// BUSY reason 6 for one of its pending requests (a stale or replayed
    /// one for a request it no longer has changes nothing).
    fn on_refused(&mut self, request: u64) {
        self.stats.busy += 1;
        if self.is_pending(request) {
            self.refused.get_or_insert(request);
        }
    }

    /// BUSY reason 4 naming `request`: in doubt if it is one of its pending
    /// requests. One it no longer has pending is an old SUBMIT of this
    /// client replayed to the leader (or a stale answer): a real client's
    /// SUBMITs name only pending requests, and it stops for none other.
    fn on_in_doubt(&mut self, epochs: (Epoch, Epoch), busy: &crate::wire::Busy) {
        let request = busy.request.get();
        if self.is_pending(request) {
            self.leader_restarted.get_or_insert(epochs);
            if busy.leader.get() == crate::wire::BUSY_LOST {
                self.told_lost.get_or_insert(request);
            }
        } else {
            self.rejects.unexpected_kind += 1;
        }
    }

    /// BUSY reason 8 for one of its pending requests (one for a request
    /// it no longer has is a replay, or stale: it changes nothing).
    fn on_id_in_use(&mut self, request: u64) {
        self.stats.busy += 1;
        if self.is_pending(request) {
            self.id_in_use.get_or_insert(request);
        }
    }

    /// Takes the commits `commit` tells of; true if one was news.
    fn on_commit(&mut self, commit: Commit<'_>) -> bool {
        let mut news = false;
        for run in commit.runs {
            let (request, seq, count) = (run.request.get(), run.seq.get(), u64::from(run.count.get()));
            // Only the part of the run that is still pending here.
            let first = request.max(self.request_oldest);
            let end = request.saturating_add(count).min(self.request_next);
            for request_done in first..end {
                let slot = self.slot(request_done);
                news |= self.seqs[slot] == 0;
                self.seqs[slot] = seq + (request_done - request);
            }
        }
        while self.unresolved < self.request_next && self.seqs[self.slot(self.unresolved)] != 0 {
            self.unresolved += 1;
        }
        news
    }

    /// The oldest request sent and not yet committed.
    fn oldest_unresolved(&self) -> Option<u64> {
        invariant!(
            (self.request_oldest..self.request_next).find(|&r| self.seqs[self.slot(r)] == 0)
                == (self.unresolved < self.request_next).then_some(self.unresolved),
            "unresolved {} out of step",
            self.unresolved
        );
        (self.unresolved < self.request_send).then_some(self.unresolved)
    }

    /// Called when `poll_timeout` passes.
    pub fn handle_timeout(&mut self, now: Nanos) {
        let Some(oldest) = self.oldest_unresolved() else { return };
        let (silent_at, retry_at) = self.deadlines(oldest);
        if now < self.paused_until || now < silent_at.min(retry_at) {
            return;
        }
        // Go back: resend everything uncommitted from the oldest on.
        self.request_send = oldest;
        self.stats.retries += 1;
        if now >= silent_at {
            // Nobody answered: the leader may be gone; ask the next member.
            self.silent = Some((self.leader_index, now));
            self.redirect(now, None, self.sent_next);
            self.stats.silent_turns += 1;
            self.probing = true;
        } else {
            self.resent_here = true;
        }
    }

    /// When the member it sends to counts as silent (with failover: an
    /// election timeout, or `client_retry_ns` if shorter, after
    /// `waiting_since`; never without), and when the request `oldest` is
    /// sent there again (`client_retry_ns` after it last went).
    fn deadlines(&self, oldest: u64) -> (Nanos, Nanos) {
        let sent = self.sent_at[self.slot(oldest)];
        let retry = sent + self.config.client_retry_ns;
        if !self.failover() {
            return (Nanos::MAX, retry);
        }
        let quiet = self.config.client_retry_ns.min(self.config.election_timeout_ns);
        (self.waiting_since + quiet, retry)
    }

    /// A client whose requests are in doubt sends no more: its application
    /// must decide what they were. (Without failover it takes no frame of
    /// the newer epoch either: resent, each would only draw "in doubt".)
    fn stopped(&self) -> bool {
        self.leader_restarted.is_some()
            || self.refused.is_some()
            || self.id_in_use.is_some()
            || self.not_leader.is_some()
    }

    /// When the client next needs `handle_timeout`/`poll_transmit` with no input.
    pub fn poll_timeout(&self) -> Option<Nanos> {
        if self.stopped() {
            return None;
        }
        let retry = self.oldest_unresolved().map(|r| {
            let (silent_at, retry_at) = self.deadlines(r);
            silent_at.min(retry_at)
        });
        let mut timers = TimerTable::<2>::new();
        timers.set(Timer::Retry as usize, retry.map(|at| at.max(self.paused_until)));
        let unsent = retry.is_none() && self.request_send < self.request_next;
        timers.set(Timer::Send as usize, unsent.then_some(self.paused_until));
        timers.next()
    }

    /// Writes the next SUBMIT into `buf` (at least `mtu` bytes), packing as
    /// many unsent requests as fit.
    pub fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        if now < self.paused_until || self.stopped() {
            return None;
        }
        while self.request_send < self.request_next && self.seqs[self.slot(self.request_send)] != 0 {
            self.request_send += 1;
        }
        if self.request_send == self.request_next || (self.probing && self.oldest_unresolved().is_some()) {
            return None;
        }
        if self.unresolved >= self.sent_next {
            // Nothing it ever sent is pending: the wait on this member starts now.
            self.waiting_since = now;
        }
        let buf = &mut buf[..self.config.mtu];
        // A request an earlier leader may have taken: an elected leader that
        // does not know this client cannot take it as a new client's.
        let mut header = self.header;
        let resent = if self.request_send < self.moved_below { FLAG_RESENT } else { 0 };
        // Told every request below its first: a leader that has no record
        // of them lost them, and says so rather than ask for them.
        let oldest = if self.request_send == self.unresolved { FLAG_OLDEST } else { 0 };
        header.flags = (resent | oldest).into();
        let mut writer = FrameWriter::submit(buf, &header, self.id, self.request_send).expect("mtu holds a head");
        let max = self.config.payload_max;
        while self.request_send < self.request_next {
            let slot = self.slot(self.request_send);
            let len = self.lens[slot];
            let header = EventHeader::unstamped(self.id, self.request_send, len);
            if self.seqs[slot] != 0 || !writer.push_event(&header, &self.payloads[slot * max..][..usize::from(len)]) {
                break;
            }
            self.sent_at[slot] = now;
            self.request_send += 1;
        }
        self.sent_next = self.sent_next.max(self.request_send);
        self.stats.submits_sent += 1;
        self.sent_since_hint = true;
        Some(Transmit { dest: Dest::Unicast(self.leader), len: writer.finish() })
    }

    /// The next committed request, in request order.
    pub fn poll_event(&mut self) -> Option<Committed> {
        if self.request_oldest == self.request_next {
            return None;
        }
        let slot = self.slot(self.request_oldest);
        let seq = std::mem::take(&mut self.seqs[slot]);
        if seq == 0 {
            return None;
        }
        let request = self.request_oldest;
        self.request_oldest += 1;
        self.unresolved = self.unresolved.max(self.request_oldest);
        self.request_send = self.request_send.max(self.request_oldest);
        self.stats.committed += 1;
        Some(Committed { request, seq: Seq(seq) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Busy, emit};

    const TIMEOUT_NS: Nanos = 20_000_000;

    fn addr(i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9000 + i as u16))
    }

    /// A client of three members with automatic failover; member 0 leads.
    fn client() -> Client {
        let config =
            Config { nodes: 3, failover: Failover::Auto, election_timeout_ns: TIMEOUT_NS, ..Config::default() };
        Client::with_failover(config, ClientId(7), (0..3).map(addr).collect()).unwrap()
    }

    /// Where the client's next SUBMIT goes.
    fn sends_to(client: &mut Client, now: Nanos) -> SocketAddr {
        let mut buf = vec![0; client.config.mtu];
        match client.poll_transmit(now, &mut buf).expect("a SUBMIT").dest {
            Dest::Unicast(to) => to,
            Dest::Group => panic!("a client sends to one member"),
        }
    }

    /// Member `from`'s BUSY for request 1 of client 7: `reason`, naming
    /// `leader`, to wait `retry_ns`.
    fn busy_frame(client: &Client, from: usize, reason: BusyReason, leader: u16, retry_ns: u64) -> Vec<u8> {
        let header = Header::new(Kind::Busy, from as u16, client.config.cluster_id, client.config.epoch);
        busy_frame_under(&header, reason, leader, retry_ns)
    }

    /// The same under `header` (its sender, epoch and token).
    fn busy_frame_under(header: &Header, reason: BusyReason, leader: u16, retry_ns: u64) -> Vec<u8> {
        let body = Busy {
            client: 7.into(),
            reason: u16::from(reason).into(),
            leader: leader.into(),
            request: 1.into(),
            retry_ns: retry_ns.into(),
        };
        let mut buf = vec![0; 256];
        let len = emit(&mut buf, header, Kind::Busy, &body).unwrap();
        buf.truncate(len);
        buf
    }

    /// Member `from` says it does not lead, naming `leader` (or nobody).
    fn not_leader(client: &mut Client, now: Nanos, from: usize, leader: Option<usize>) {
        let leader = leader.map_or(SENDER_CLIENT, |l| l as u16);
        let busy = busy_frame(client, from, BusyReason::NotLeader, leader, 0);
        client.handle_datagram(now, addr(from), &busy);
    }

    /// A review: a client without failover pointed at a member during the
    /// election at its start heard "not the leader, none known" and stopped
    /// for good, where that member would lead a moment later. Only a named
    /// leader stops it; one that knows none is asked again, less often.
    #[test]
    fn a_pinned_client_asks_again_a_member_that_knows_no_leader_and_stops_at_one_named() {
        let config = Config { nodes: 3, election_timeout_ns: TIMEOUT_NS, ..Config::default() };
        let mut client = Client::new(config, ClientId(7), addr(0)).unwrap();
        let retry = client.config.busy_retry_ns;
        let mut buf = vec![0; client.config.mtu];
        client.submit(b"a").unwrap();
        assert!(client.poll_transmit(0, &mut buf).is_some());
        not_leader(&mut client, 10, 0, None);
        assert_eq!(client.not_leader(), None);
        assert!(client.poll_transmit(10, &mut buf).is_none(), "not at once");
        assert_eq!(sends_to(&mut client, 10 + retry), addr(0), "again after a pause");
        not_leader(&mut client, 20 + retry, 0, None);
        assert!(client.poll_transmit(20 + 2 * retry, &mut buf).is_none(), "the pause doubled");
        assert_eq!(sends_to(&mut client, 20 + 3 * retry), addr(0));
        // Its own id named is no leader named either.
        not_leader(&mut client, 30 + 3 * retry, 0, Some(0));
        assert_eq!(client.not_leader(), None);
        // A second answer to the same SUBMIT names the leader: it stops.
        not_leader(&mut client, 40 + 3 * retry, 0, Some(2));
        assert_eq!(client.not_leader(), Some((NodeId(0), NodeId(2))));
        assert_eq!(client.poll_timeout(), None, "it sends no more");
    }

    #[test]
    fn going_round_members_that_know_no_leader_passes_by_the_one_that_went_silent() {
        // Member 0 (the leader) never answers: after the timeout, member 1.
        let mut client = left_by_member_0();
        let retry = client.config.busy_retry_ns;
        // Member 1 knows no leader yet; neither does member 2.
        not_leader(&mut client, TIMEOUT_NS + 10, 1, None);
        let later = TIMEOUT_NS + 10 + retry;
        assert_eq!(sends_to(&mut client, later), addr(2));
        not_leader(&mut client, later + 10, 2, None);
        // Not back to silent member 0 (another timeout), but to member 1,
        // which will lead or name the leader once the election is over
        // (after twice the pause: a second member in a row knows none).
        let later = later + 10 + 2 * retry;
        assert_eq!(sends_to(&mut client, later), addr(1));
        // Member 1 still names member 0, whose death it has not noticed yet.
        not_leader(&mut client, later + 10, 1, Some(0));
        assert_eq!(sends_to(&mut client, later + 10 + 4 * retry), addr(2));
    }

    /// A new user's trial: through the election after every member was
    /// killed and restarted, one client at 10,000 events/s drew 661,331
    /// BUSY replies (each member redirected ~250,000 times in 2–3 s): it
    /// went round members that knew no leader every `busy_retry_ns`,
    /// resending everything pending each time. The pause now doubles, up
    /// to an eighth of the election timeout, and a named leader resets it.
    #[test]
    fn going_round_members_that_know_no_leader_backs_off_to_an_eighth_of_the_timeout() {
        let mut client = left_by_member_0();
        let retry = client.config.busy_retry_ns;
        let index = |to: SocketAddr| (0..3).find(|&i| addr(i) == to).unwrap();
        // Left by member 0, it sent to member 1.
        let (mut now, mut from, mut pauses) = (TIMEOUT_NS, 1, Vec::new());
        for _ in 0..8 {
            not_leader(&mut client, now + 10, from, None);
            // Nothing goes before the pause ends.
            let pause = client.paused_until - (now + 10);
            let mut buf = vec![0; client.config.mtu];
            assert!(client.poll_transmit(now + 10 + pause - 1, &mut buf).is_none());
            pauses.push(pause);
            now += 10 + pause;
            from = index(sends_to(&mut client, now));
        }
        let most = TIMEOUT_NS / 8;
        assert_eq!(pauses, [retry, 2 * retry, 4 * retry, most, most, most, most, most]);
        // A member that names the leader: at once, and the pause starts over.
        not_leader(&mut client, now + 10, from, Some((from + 1) % 3));
        assert_eq!(sends_to(&mut client, now + 10), addr((from + 1) % 3));
        not_leader(&mut client, now + 20, (from + 1) % 3, None);
        assert_eq!(client.paused_until, now + 20 + retry);
    }

    /// A client of three members with 40 events of 200 bytes pending, all
    /// sent to member 0: it and how many SUBMITs they took.
    fn a_window_sent() -> (Client, usize) {
        let mut client = client();
        for _ in 0..40 {
            client.submit(&[0xab; 200]).unwrap();
        }
        let all = sends(&mut client, 0).len();
        assert!(all > 2, "40 events of 200 bytes take {all} SUBMITs");
        (client, all)
    }

    /// Where every SUBMIT the client sends at `now` goes.
    fn sends(client: &mut Client, now: Nanos) -> Vec<Dest> {
        let mut buf = vec![0; client.config.mtu];
        std::iter::from_fn(|| client.poll_transmit(now, &mut buf)).map(|t| t.dest).collect()
    }

    /// Between members that know no leader the client sends one SUBMIT per
    /// member, not its whole window: a member that commits it (or names a
    /// leader) is sent the rest.
    #[test]
    fn going_round_members_that_know_no_leader_sends_each_one_submit() {
        let (mut client, all) = a_window_sent();
        // Member 0 leads no more and knows no leader; neither does member 1.
        not_leader(&mut client, 10, 0, None);
        let at = client.paused_until;
        assert_eq!(sends(&mut client, at), [Dest::Unicast(addr(1))]);
        let probe = client.request_send;
        assert!(client.poll_timeout() > Some(at), "no more until an answer or the retry");
        not_leader(&mut client, at + 10, 1, None);
        let at = client.paused_until;
        assert_eq!(sends(&mut client, at), [Dest::Unicast(addr(2))]);
        // Member 2 leads, and commits what it was sent: the rest goes there.
        for request in 1..probe {
            commit(&mut client, at + 10, 2, request, request);
        }
        let rest = sends(&mut client, at + 10);
        assert_eq!(rest.len(), all - 1);
        assert!(rest.iter().all(|&dest| dest == Dest::Unicast(addr(2))));
    }

    /// Only a leader's BUSY ends the probe: back pressure does, a reason
    /// this version does not know (a newer member's) does not.
    #[test]
    fn a_busy_only_a_leader_sends_ends_going_one_submit_at_a_time() {
        let (mut client, all) = a_window_sent();
        not_leader(&mut client, 10, 0, None);
        let at = client.paused_until;
        assert_eq!(sends(&mut client, at).len(), 1);
        // Each BUSY asks for everything from request 1 again, at once.
        let unknown = busy_frame(&client, 1, BusyReason::Unknown(99), 0, 0);
        client.handle_datagram(at + 10, addr(1), &unknown);
        assert_eq!(sends(&mut client, at + 10).len(), 1, "still one at a time");
        let full = busy_frame(&client, 1, BusyReason::InFlightFull, 0, 0);
        client.handle_datagram(at + 20, addr(1), &full);
        assert_eq!(sends(&mut client, at + 20).len(), all, "member 1 leads: everything pending");
    }

    /// A member that fell silent may be dead or restarting: the next one is
    /// sent one SUBMIT until it commits (it may not lead either).
    #[test]
    fn a_client_left_by_a_silent_member_sends_the_next_one_submit() {
        let (mut client, all) = a_window_sent();
        client.handle_timeout(TIMEOUT_NS);
        assert_eq!(client.leader_addr(), addr(1));
        assert_eq!(sends(&mut client, TIMEOUT_NS), [Dest::Unicast(addr(1))]);
        let probe = client.request_send;
        for request in 1..probe {
            commit(&mut client, TIMEOUT_NS + 10, 1, request, request);
        }
        assert_eq!(sends(&mut client, TIMEOUT_NS + 10).len(), all - 1);
    }

    /// A cluster file read for a client leaves `failover` off: a client made
    /// for failover follows a member of a newer epoch all the same, where a
    /// client of one sequencer takes a newer epoch for a restarted leader.
    #[test]
    fn a_failover_client_follows_a_newer_epoch_whatever_its_config_says() {
        let config = Config { nodes: 3, ..Config::default() };
        assert_eq!(config.failover, Failover::Off);
        let mut client = Client::with_failover(config, ClientId(7), (0..3).map(addr).collect()).unwrap();
        client.submit(b"e").unwrap();
        assert_eq!(sends_to(&mut client, 0), addr(0));
        // Member 0, in an epoch two past the client's, names member 2.
        let reason = u16::from(BusyReason::NotLeader).into();
        let body = Busy { client: 7.into(), reason, leader: 2.into(), request: 1.into(), retry_ns: 0.into() };
        let newer = Epoch(client.config.epoch.get() + 2);
        let mut busy = vec![0; client.config.mtu];
        let len = emit(&mut busy, &Header::new(Kind::Busy, 0, client.config.cluster_id, newer), Kind::Busy, &body);
        client.handle_datagram(10, addr(0), &busy[..len.unwrap()]);
        assert_eq!(client.leader_restarted(), None);
        let retry = client.config.busy_retry_ns;
        assert_eq!(sends_to(&mut client, 10 + retry), addr(2));
    }

    /// A client whose request member 0 left unanswered: it asks member 1.
    fn left_by_member_0() -> Client {
        let mut client = client();
        client.submit(b"e").unwrap();
        assert_eq!(sends_to(&mut client, 0), addr(0));
        client.handle_timeout(TIMEOUT_NS);
        assert_eq!(sends_to(&mut client, TIMEOUT_NS), addr(1));
        client
    }

    #[test]
    fn a_silent_member_is_asked_again_once_an_election_timeout_passed() {
        let mut client = left_by_member_0();
        // Long after the silence, member 1 names member 0: it leads still.
        let late = 3 * TIMEOUT_NS;
        not_leader(&mut client, late, 1, Some(0));
        assert_eq!(sends_to(&mut client, late), addr(0));
    }

    #[test]
    fn a_silent_member_is_asked_again_once_it_answers() {
        let mut client = left_by_member_0();
        // A late answer from member 0: alive. Member 1 names it, and is believed.
        not_leader(&mut client, TIMEOUT_NS + 10, 0, Some(0));
        not_leader(&mut client, TIMEOUT_NS + 20, 1, Some(0));
        assert_eq!(sends_to(&mut client, TIMEOUT_NS + 20), addr(0));
    }

    /// The first requests of each SUBMIT sent at `now`, and whether it says
    /// every request below was told committed (`FLAG_OLDEST`).
    fn firsts(client: &mut Client, now: Nanos) -> Vec<(u64, bool)> {
        let mut buf = vec![0; client.config.mtu];
        std::iter::from_fn(|| {
            let t = client.poll_transmit(now, &mut buf)?;
            let d = crate::wire::parse(&buf[..t.len]).unwrap();
            let Frame::Submit(submit) = d.frame else { panic!("{:?}", d.frame) };
            Some((submit.head.request.get(), d.header.flags.get() & FLAG_OLDEST != 0))
        })
        .collect()
    }

    /// Helper 132: a cluster that lost events it had told committed (a
    /// member's journal wiped, a restart without `--rejoin`) elected a
    /// leader that asked the client for the first request it lacks, which
    /// the client had been told committed and no longer had: it resent
    /// from its oldest pending, was asked again, for ever. Its SUBMITs now
    /// say when everything below their first request was told committed.
    #[test]
    fn a_submit_says_whether_it_starts_at_the_oldest_request_not_told_committed() {
        let mut client = Client::new(Config::default(), ClientId(7), addr(0)).unwrap();
        for payload in [b"one", b"two"] {
            client.submit(payload).unwrap();
        }
        assert_eq!(firsts(&mut client, 0), [(1, true)], "nothing below request 1");
        client.submit(b"three").unwrap();
        assert_eq!(firsts(&mut client, 10), [(3, false)], "1 and 2 pending");
        commit(&mut client, 20, 0, 1, 1);
        commit(&mut client, 20, 0, 3, 3);
        client.submit(b"four").unwrap();
        assert_eq!(firsts(&mut client, 30), [(4, false)], "2 pending");
        commit(&mut client, 40, 0, 2, 2);
        client.submit(b"five").unwrap();
        assert_eq!(firsts(&mut client, 50), [(5, false)], "4 pending");
        // Resent from the oldest pending: 4, after 1..=3 were told.
        let retry = client.config.client_retry_ns;
        client.handle_timeout(30 + retry);
        assert_eq!(firsts(&mut client, 30 + retry), [(4, true)]);
        commit(&mut client, 40 + retry, 0, 4, 4);
        commit(&mut client, 40 + retry, 0, 5, 5);
        client.submit(b"six").unwrap();
        assert_eq!(firsts(&mut client, 50 + retry), [(6, true)]);
    }

    /// Member `from` commits `request` at `seq`.
    fn commit(client: &mut Client, now: Nanos, from: usize, request: u64, seq: u64) {
        let header = Header::new(Kind::Commit, from as u16, client.config.cluster_id, Epoch(1));
        client.handle_datagram(now, addr(from), &commit_frame(&header, request, seq));
    }

    /// A COMMIT to client 7 under `header`: `request` committed at `seq`.
    fn commit_frame(header: &Header, request: u64, seq: u64) -> Vec<u8> {
        let mut buf = vec![0; 256];
        let mut writer = FrameWriter::commit(&mut buf, header, ClientId(7), Seq(seq)).unwrap();
        writer.push_run(&crate::wire::CommitRun::new(request, Seq(seq), 1));
        let len = writer.finish();
        buf.truncate(len);
        buf
    }

    /// Member 0's BUSY in `epoch` to client 7: `reason`, naming `request`.
    fn busy_naming(client: &Client, epoch: u64, reason: BusyReason, request: u64) -> Vec<u8> {
        busy_naming_for(client, epoch, reason, (0, request), 0)
    }

    /// The same, naming `leader` as the leader, to wait `retry_ns`.
    fn busy_naming_for(
        client: &Client,
        epoch: u64,
        reason: BusyReason,
        (leader, request): (u16, u64),
        retry_ns: u64,
    ) -> Vec<u8> {
        let header = Header::new(Kind::Busy, 0, client.config.cluster_id, Epoch(epoch));
        let body = Busy {
            client: 7.into(),
            reason: u16::from(reason).into(),
            leader: leader.into(),
            request: request.into(),
            retry_ns: retry_ns.into(),
        };
        let mut buf = vec![0; 256];
        let len = emit(&mut buf, &header, Kind::Busy, &body).unwrap();
        buf.truncate(len);
        buf
    }

    /// A security review: one BUSY recorded in flight and replayed to a
    /// client faster than the pause it asks for kept that client from ever
    /// sending again. Only a BUSY naming a request sent since the client
    /// last went back is an answer: a stream of replays pauses it once a
    /// resend at most, and every resend reaches the leader.
    #[test]
    fn a_replayed_busy_pauses_a_client_once_a_resend_at_most() {
        for failover in [true, false] {
            let mut client = match failover {
                true => client(),
                false => Client::new(Config::default(), ClientId(7), addr(0)).unwrap(),
            };
            let retry = 1_000_000;
            client.submit(b"one").unwrap();
            assert_eq!(sends(&mut client, 0).len(), 1);
            let busy = busy_naming_for(&client, 1, BusyReason::InFlightFull, (0, 1), retry);
            client.handle_datagram(10, addr(0), &busy);
            assert!(sends(&mut client, 20).is_empty(), "failover {failover}: paused");
            for at in [retry / 2, retry] {
                client.handle_datagram(at, addr(0), &busy);
            }
            assert_eq!(client.rejects().stale_busy, 2, "failover {failover}: replays during the pause");
            assert_eq!(sends(&mut client, 10 + retry).len(), 1, "failover {failover}: resent after the first pause");
            // Now the same bytes may answer the resend: one pause more.
            for at in [20 + retry, 30 + retry] {
                client.handle_datagram(at, addr(0), &busy);
            }
            assert_eq!(client.rejects().stale_busy, 3, "failover {failover}");
            assert!(sends(&mut client, 19 + 2 * retry).is_empty(), "failover {failover}: paused again");
            assert_eq!(sends(&mut client, 20 + 2 * retry).len(), 1, "failover {failover}");
            // Committed, it is no answer to anything.
            commit(&mut client, 30 + 2 * retry, 0, 1, 1);
            client.handle_datagram(40 + 2 * retry, addr(0), &busy);
            assert_eq!(client.rejects().stale_busy, 4, "failover {failover}");
            client.submit(b"two").unwrap();
            assert_eq!(sends(&mut client, 50 + 2 * retry).len(), 1, "failover {failover}: not paused");
        }
    }

    /// A reviewer of the rule above. A member in an election answered a
    /// client's first SUBMIT "no leader known" (the client went back and
    /// moved on) and its second, later, "member 2 leads": that answer named
    /// request 2, not sent since the client went back, and was dropped, so
    /// the client waited out a pause and probed again. A leader that forgot
    /// a client asks it for request 1 (a gap) long after request 1 left the
    /// client: dropped too, the client resent only after its retry time.
    #[test]
    fn a_redirect_and_a_gap_count_though_they_name_another_request() {
        let mut client = client();
        for payload in [b"a", b"b"] {
            client.submit(payload).unwrap();
            assert_eq!(sends(&mut client, 0).len(), 1);
        }
        not_leader(&mut client, 10, 0, None);
        let named = busy_naming_for(&client, client.config.epoch.get(), BusyReason::NotLeader, (2, 2), 0);
        client.handle_datagram(20, addr(0), &named);
        assert_eq!(client.rejects().stale_busy, 0);
        assert_eq!(sends_to(&mut client, 30), addr(2), "to the leader named, at once");

        let mut client = Client::new(Config::default(), ClientId(7), addr(0)).unwrap();
        client.submit(b"one").unwrap();
        sends(&mut client, 0);
        commit(&mut client, 10, 0, 1, 1);
        assert!(client.poll_event().is_some());
        client.submit(b"two").unwrap();
        assert_eq!(sends(&mut client, 20).len(), 1);
        let retry = 1_000_000;
        let gap = busy_naming_for(&client, 1, BusyReason::Gap, (0, 1), retry);
        client.handle_datagram(30, addr(0), &gap);
        assert_eq!(client.rejects().stale_busy, 0, "request 1 is what the leader asks for");
        assert!(sends(&mut client, 40).is_empty(), "paused");
        // A reviewer: replayed, a gap made the client resend all it had
        // pending each time. Once a SUBMIT at most.
        client.handle_datagram(50, addr(0), &gap);
        assert_eq!(client.rejects().stale_busy, 1);
        assert_eq!(sends(&mut client, 30 + retry).len(), 1, "request 2 again, after the pause");
        for at in [40 + retry, 50 + retry] {
            client.handle_datagram(at, addr(0), &gap);
        }
        assert_eq!(client.rejects().stale_busy, 2, "one taken after the resend, one not");
    }

    /// A spec reader: a replay of a client's old SUBMIT drew the leader's
    /// BUSY reason 4 (in doubt) naming a request long committed, and the
    /// client took it for its leader restarted and stopped. Only a pending
    /// request's reason 4 counts. Without failover, a frame of an older
    /// epoch than the leader's (late, or replayed) is no restart either.
    #[test]
    fn an_in_doubt_answer_for_a_request_no_longer_pending_stops_no_client() {
        for failover in [true, false] {
            let mut client = match failover {
                true => client(),
                false => Client::new(Config::default(), ClientId(7), addr(0)).unwrap(),
            };
            client.submit(b"one").unwrap();
            client.submit(b"two").unwrap();
            sends(&mut client, 0);
            commit(&mut client, 10, 0, 1, 1);
            client.handle_datagram(20, addr(0), &busy_naming(&client, 1, BusyReason::EpochChanged, 1));
            assert_eq!(client.leader_restarted(), None, "failover {failover}: request 1 committed");
            client.handle_datagram(30, addr(0), &busy_naming(&client, 1, BusyReason::EpochChanged, 2));
            assert_eq!(client.leader_restarted(), Some((Epoch(1), Epoch(1))), "failover {failover}: 2 pending");
        }
        let mut client = Client::new(Config { epoch: Epoch(2), ..Config::default() }, ClientId(7), addr(0)).unwrap();
        client.submit(b"one").unwrap();
        sends(&mut client, 0);
        client.handle_datagram(10, addr(0), &busy_naming(&client, 1, BusyReason::InFlightFull, 1));
        assert_eq!(client.leader_restarted(), None, "an older epoch's frame");
        client.handle_datagram(20, addr(0), &busy_naming(&client, 3, BusyReason::InFlightFull, 1));
        assert_eq!(client.leader_restarted(), Some((Epoch(2), Epoch(3))), "a newer one's");
        // Helper 115: it then resent its pending window every retry for
        // ever, each copy drawing "in doubt", and took no answer of the
        // newer epoch. It stops, as a client with failover does.
        let retry = client.config.client_retry_ns;
        assert_eq!(client.poll_timeout(), None);
        client.handle_timeout(10 * retry);
        assert_eq!(sends(&mut client, 10 * retry), vec![], "request 1 is its application's to decide");
    }

    /// A COMMIT seen before (a duplicate, a replay) is no sign of life: a
    /// dead leader's, replayed, once kept the client waiting on it.
    #[test]
    fn a_commit_told_again_does_not_keep_a_client_on_a_silent_member() {
        let mut client = client();
        client.submit(b"a").unwrap();
        client.submit(b"b").unwrap();
        assert_eq!(sends_to(&mut client, 0), addr(0));
        commit(&mut client, TIMEOUT_NS / 2, 0, 1, 1);
        commit(&mut client, TIMEOUT_NS, 0, 1, 1);
        commit(&mut client, TIMEOUT_NS + TIMEOUT_NS / 4, 0, 1, 1);
        client.handle_timeout(TIMEOUT_NS / 2 + TIMEOUT_NS);
        assert_eq!(client.leader_addr(), addr(1), "silent since its one commit, 20 ms ago");
    }

    /// The shape a leader's COMMIT names is kept, for a client to tell
    /// when its cluster file and the cluster's differ (an operator's trial:
    /// a load generator with a 3-node file ran on a 5-node cluster unwarned).
    #[test]
    fn a_client_knows_the_shape_its_leader_runs_with() {
        let mut client = client();
        client.submit(b"a").unwrap();
        let _ = sends_to(&mut client, 0);
        assert_eq!(client.leader_shape(), None);
        let five = Config { nodes: 5, ..Config::default() }.shape();
        let header = Header { token: five.into(), ..Header::new(Kind::Commit, 0, client.config.cluster_id, Epoch(1)) };
        client.handle_datagram(10, addr(0), &commit_frame(&header, 1, 1));
        assert_eq!(client.leader_shape(), Some(five));
        // Of another node count: a group split off by a stale file (an
        // operator's trial: a client of the right file committed there).
        assert_eq!((client.poll_event(), client.rejects().other_shape), (None, 1));
        // Of this node count, another quorum: taken (the members check that).
        let other_quorum = (3 << 16) | 3;
        let header = Header { token: other_quorum.into(), ..header };
        client.handle_datagram(20, addr(0), &commit_frame(&header, 1, 1));
        assert_eq!(client.poll_event().map(|c| c.seq), Some(Seq(1)));
        assert_eq!(client.leader_shape(), Some(other_quorum));
        // A follower's "not leader" of another node count carries its shape
        // too: neither its hint nor its newer epoch is taken.
        let header = Header { token: five.into(), ..Header::new(Kind::Busy, 1, client.config.cluster_id, Epoch(9)) };
        client.handle_datagram(30, addr(1), &busy_frame_under(&header, BusyReason::NotLeader, 2, 0));
        assert_eq!((client.rejects().other_shape, client.epoch()), (2, Epoch(1)));
    }

    /// A member that answers only "too many in flight" (a leader cut off
    /// from its followers fills up and says so) commits nothing: the
    /// client's resends to it do not put off its turn to the next member.
    #[test]
    fn a_member_that_only_says_busy_is_left_after_an_election_timeout() {
        let mut client = client();
        client.submit(b"a").unwrap();
        assert_eq!(sends_to(&mut client, 0), addr(0));
        let busy = busy_frame(&client, 0, BusyReason::InFlightFull, 0, 1_000_000);
        let mut buf = vec![0; client.config.mtu];
        let (mut now, mut resends) = (0, 0);
        client.handle_datagram(now, addr(0), &busy);
        while client.leader_addr() == addr(0) && now < 2 * TIMEOUT_NS {
            now += 1_000_000;
            // Sent again once the pause is over, and answered the same a
            // round trip later.
            let resent = client.poll_transmit(now, &mut buf).is_some();
            client.handle_timeout(now);
            if resent {
                resends += 1;
                client.handle_datagram(now + 100_000, addr(0), &busy);
            }
        }
        // At 20 ms its request waits on a pause, not on member 0; the next
        // resend, at 21 ms, finds 20 ms gone without a commit.
        assert_eq!((now, resends), (TIMEOUT_NS + 1_000_000, 11), "left once 20 ms passed with no commit");
    }

    /// Request 1, committed by member 0 while it led and never told, is
    /// sent to it again (it goes on committing the client's others); it now
    /// leads no more and says so of the copy. That says nothing of the
    /// first: sent to the next leader, request 1 carries `RESENT`.
    #[test]
    fn a_not_leader_answer_to_a_resent_copy_leaves_the_request_marked_resent() {
        let mut client = client();
        for payload in [b"1", b"2", b"3", b"4"] {
            client.submit(payload).unwrap();
        }
        assert_eq!(sends_to(&mut client, 0), addr(0));
        // Commits of 2, 3 and 4 keep member 0 alive; 1's is lost.
        for (request, at) in [(2, 15), (3, 30), (4, 45)] {
            commit(&mut client, at * 1_000_000, 0, request, request);
        }
        client.handle_timeout(50_000_000);
        let mut buf = vec![0; client.config.mtu];
        let resent = client.poll_transmit(50_000_000, &mut buf).unwrap();
        assert_eq!(resent.dest, Dest::Unicast(addr(0)), "sent to member 0 again");
        not_leader(&mut client, 50_000_010, 0, Some(2));
        let submit = client.poll_transmit(50_000_010, &mut buf).unwrap();
        assert_eq!(submit.dest, Dest::Unicast(addr(2)));
        let datagram = crate::wire::parse(&buf[..submit.len]).unwrap();
        assert_eq!(datagram.header.flags.get(), FLAG_RESENT | FLAG_OLDEST, "request 1 again");
    }

    /// Member 0 commits the client's first request, and then is slow with
    /// the second (a busy leader): it leads, and the client stays with it
    /// until it has told of no commit for an election timeout. A commit
    /// slower than that timeout once sent the client round the members.
    #[test]
    fn a_leader_that_commits_is_not_left_for_a_slow_commit() {
        let mut client = client();
        client.submit(b"a").unwrap();
        client.submit(b"b").unwrap();
        assert_eq!(sends_to(&mut client, 0), addr(0));
        commit(&mut client, TIMEOUT_NS / 2, 0, 1, 1);
        assert_eq!(client.poll_event().map(|c| c.request), Some(1));
        client.handle_timeout(TIMEOUT_NS + 1);
        assert_eq!((client.leader_addr(), client.stats().redirects), (addr(0), 0), "it committed 10 ms ago");
        let silent = TIMEOUT_NS / 2 + TIMEOUT_NS;
        assert_eq!(client.poll_timeout(), Some(silent));
        client.handle_timeout(silent);
        assert_eq!(sends_to(&mut client, silent), addr(1), "no commit told for a timeout: the next member");
    }
}
