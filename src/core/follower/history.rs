//! History from the other members (DESIGN §8): with failover, what a
//! member that follows serves from its journal, and what a follower or
//! a tail asks of the other members once its leader says it is gone.

use std::net::SocketAddr;

use super::{Follower, OBSERVER_ASKED};
use crate::core::{Epoch, Failover, Nanos, NodeId, NodeSet, Seq};
use crate::wire::{
    BusyReason, Datagram, EventRef, FLAG_SERVED, Frame, FrameWriter, Header, Kind, NAK_RANGES_MAX, SeqRange,
    Unrecoverable, emit,
};

/// Ranges its leader told it are gone that it asks of other members at
/// once, at most (past that, they are lost as before): as many as a NAK
/// asks for, each of which may come back UNRECOVERABLE.
const GONE_MAX: usize = 2 * NAK_RANGES_MAX;

/// A member asked for a range its leader no longer has that sends nothing
/// of it for this long is passed over for the next: it serves its readers
/// in turn, under a `--history-rate` for seconds at a time, or is down.
const SERVE_STALL_NS: Nanos = 10_000_000_000;

/// One passed over for its silence lately (see [`SILENT_SKIP_NS`]) is
/// asked after the others, and waited for this long, or until
/// [`SERVE_STALL_NS`] after it was first passed over if that is later: a
/// member paused a little longer than that costs only what was asked of
/// it before the pause's first ten seconds.
pub(super) const SERVE_WAIT_NS: Nanos = 1_000_000_000;

/// How long a member passed over for its silence counts as silent, unless
/// it answers.
const SILENT_SKIP_NS: Nanos = 10_000_000_000;

/// Tails a member owes a hello (their token) at once, at most.
const HELLOS_MAX: usize = 8;

/// A range its leader told it is gone (UNRECOVERABLE), asked of the other
/// members in turn (with failover, DESIGN §8): each keeps its own journal,
/// and one that keeps more may hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Gone {
    pub(super) first: u64,
    pub(super) end: u64,
    /// Members that said they cannot serve it, or sent nothing of it for
    /// long enough (see [`Follower::gone_deadline`]).
    pub(super) tried: NodeSet,
    /// The member asked now (`None`: none is left to ask).
    pub(super) asking: Option<NodeId>,
    /// When the member asked now last sent anything of it, or was first
    /// asked (`None`: not asked yet).
    pub(super) heard_at: Option<Nanos>,
}

impl Follower {
    /// With failover, the member to ask next for a range the leader no
    /// longer has, `tried` having been passed over: every other member but
    /// this one with a `node.N` address, in id order from the leader's,
    /// those that went silent lately last (they may be down; they may also
    /// be the only ones that hold it).
    fn next_member(&self, tried: NodeSet, now: Nanos) -> Option<NodeId> {
        let nodes = self.config.nodes;
        if self.config.failover == Failover::Off || self.config.members.len() != usize::from(nodes) {
            return None;
        }
        let leader = self.leader?;
        let mut candidates = (1..nodes)
            .map(|k| NodeId((leader.0 + k) % nodes))
            .filter(|&m| m.0 != self.header.sender.get() && !tried.contains(m) && self.member_addr(m).is_some());
        let first = candidates.clone().find(|&m| !self.is_silent(m, now));
        first.or_else(|| candidates.next())
    }

    /// Member `m`'s `node.N` address, if the cluster file gives one.
    pub(super) fn member_addr(&self, m: NodeId) -> Option<SocketAddr> {
        self.config.members.get(m.index()).copied().filter(|a| !a.ip().is_unspecified())
    }

    /// Passed over for its silence in the last [`SILENT_SKIP_NS`], and
    /// heard from since by nothing.
    fn is_silent(&self, m: NodeId, now: Nanos) -> bool {
        self.member_silent.get(m.index()).copied().flatten().is_some_and(|at| now < at + SILENT_SKIP_NS)
    }

    /// Records that `member` went silent (`Some(now)`: when it was first
    /// passed over for this silence, kept while it lasts) or was heard
    /// (`None`).
    fn mark_member(&mut self, member: NodeId, silent: Option<Nanos>) {
        if let Some(slot) = self.member_silent.get_mut(member.index()) {
            *slot = match (*slot, silent) {
                (Some(since), Some(now)) if now < since + SILENT_SKIP_NS => Some(since),
                _ => silent,
            };
        }
    }

    /// Whether a range is asked of a member (its leader no longer had it).
    pub(super) fn asks_a_member(&self) -> bool {
        self.gone.iter().any(|g| g.asking.is_some())
    }

    /// When a range asked of a member is passed over if nothing of it came:
    /// [`SERVE_STALL_NS`] after it was asked, or after that member last
    /// sent something of it (it serves its readers in turn, under a
    /// `--history-rate` for seconds); [`SERVE_WAIT_NS`] for one passed
    /// over for its silence that has not answered since, but not before
    /// [`SERVE_STALL_NS`] after it was first passed over.
    pub(super) fn gone_deadline(&self, g: &Gone) -> Option<Nanos> {
        let (at, member) = (g.heard_at?, g.asking?);
        match self.member_silent.get(member.index()).copied().flatten() {
            Some(since) => Some((at + SERVE_WAIT_NS).max(since + SERVE_STALL_NS)),
            None => Some(at + SERVE_STALL_NS),
        }
    }

    /// The leader no longer has `[first, end)`: with failover, what no
    /// other member is asked for yet is asked of them in turn (one may keep
    /// a longer journal); else, or with no room to keep track, it is lost.
    pub(super) fn ask_members(&mut self, now: Nanos, first: u64, end: u64) {
        let mut pieces = Vec::new();
        let mut at = first;
        for g in self.gone.iter().filter(|g| g.end > first && g.first < end) {
            if g.first > at {
                pieces.push((at, g.first));
            }
            at = at.max(g.end);
        }
        if at < end {
            pieces.push((at, end));
        }
        for (first, end) in pieces {
            let asking = self.next_member(NodeSet::default(), now);
            if asking.is_none() || self.gone.len() >= GONE_MAX {
                self.window.mark_lost(first, end);
                continue;
            }
            let i = self.gone.partition_point(|g| g.first < first);
            self.gone.insert(i, Gone { first, end, tried: NodeSet::default(), asking, heard_at: None });
            self.window.reask(first, end, now);
            // One entry for ranges that meet and go to the same member
            // (the leader answers each range of a NAK on its own).
            let meets = |a: &Gone, b: &Gone| a.end == b.first && (a.tried, a.asking) == (b.tried, b.asking);
            if i + 1 < self.gone.len() && meets(&self.gone[i], &self.gone[i + 1]) {
                self.gone[i].end = self.gone.remove(i + 1).end;
            }
            if i > 0 && meets(&self.gone[i - 1], &self.gone[i]) {
                self.gone[i - 1].end = self.gone.remove(i).end;
            }
        }
    }

    /// Passes a range on from the member asked that sent nothing of it
    /// (see [`gone_deadline`](Self::gone_deadline)); what no member is left
    /// to ask for is lost; what it now holds, or delivered, is asked for
    /// no more.
    pub(super) fn tend_gone(&mut self, now: Nanos) {
        if self.gone.is_empty() {
            return;
        }
        let held = self.window.held();
        self.gone.retain(|g| g.end > held + 1);
        for i in 0..self.gone.len() {
            if self.gone_deadline(&self.gone[i]).is_none_or(|due| now < due) {
                continue;
            }
            let member = self.gone[i].asking.expect("a deadline is a member's");
            self.mark_member(member, Some(now));
            let mut tried = self.gone[i].tried;
            tried.insert(member);
            let asking = self.next_member(tried, now);
            let g = &mut self.gone[i];
            (g.tried, g.asking, g.heard_at) = (tried, asking, None);
            let (first, end) = (g.first, g.end);
            self.window.reask(first, end, now);
        }
        let mut lost = Vec::new();
        self.gone.retain(|g| {
            if g.asking.is_none() {
                lost.push((g.first, g.end));
            }
            g.asking.is_some()
        });
        for (first, end) in lost {
            self.window.mark_lost(first, end);
        }
    }

    /// A member's answer to a NAK for what the leader no longer had
    /// ([`FLAG_SERVED`]): committed events it kept, or a range it cannot
    /// serve. Taken only from the member asked, at its `node.N` address,
    /// of this cluster's node count, and only within the ranges asked of it.
    pub(super) fn take_served(&mut self, now: Nanos, from: SocketAddr, datagram: &Datagram<'_>) {
        let Some(member) = datagram.header.member().filter(|m| m.0 < self.config.nodes) else {
            self.rejects.not_member += 1;
            return;
        };
        if !self.config.sent_from_members_address(Some(member), from) {
            self.rejects.elsewhere += 1;
            return;
        }
        if crate::core::other_node_count(datagram.header.token.get(), self.config.nodes) {
            // A member of a group split off by a stale cluster file, which
            // commits its own log (a tail parses with no shape of its own).
            self.rejects.other_shape += 1;
            return;
        }
        // It answers: whatever it went silent on, it is back.
        self.mark_member(member, None);
        let asked = |g: &Gone| g.asking == Some(member);
        if !self.gone.iter().any(asked) {
            self.stats.served_late += 1;
            return;
        }
        match &datagram.frame {
            Frame::Retransmit(batch) => {
                let mut repaired = None;
                for event in batch.events.clone() {
                    let seq = event.header.seq.get();
                    let i = self.gone.partition_point(|g| g.end <= seq);
                    if self.gone.get(i).is_none_or(|g| g.first > seq || !asked(g)) {
                        continue;
                    }
                    match self.keep(seq, &event) {
                        Some(true) => {
                            self.stats.events_from_members += 1;
                            repaired = repaired.max(Some(seq));
                        }
                        Some(false) => {}
                        None => break,
                    }
                }
                // Retries above what it brought wait while it keeps serving.
                if let Some(seq) = repaired {
                    self.repaired(now, seq);
                }
                for g in self.gone.iter_mut().filter(|g| asked(g)) {
                    g.heard_at = Some(now);
                }
            }
            Frame::Unrecoverable(lost) => {
                let (first, end) = (lost.range.first.get(), lost.range.end.get());
                let mut next = Vec::with_capacity(self.gone.len() + 2);
                let mut passed_on = Vec::new();
                for g in &self.gone {
                    let (from, to) = (g.first.max(first), g.end.min(end));
                    if !asked(g) || from >= to {
                        next.push(*g);
                        continue;
                    }
                    let mut tried = g.tried;
                    tried.insert(member);
                    let asking = self.next_member(tried, now);
                    let mut passed = Gone { first: from, end: to, tried, asking, heard_at: None };
                    if self.gone.len() + 2 > GONE_MAX {
                        // No room to split: the next member is asked for all of it.
                        (passed.first, passed.end) = (g.first, g.end);
                        next.push(passed);
                    } else {
                        let before = (g.first < from).then_some(Gone { end: from, ..*g });
                        let after = (to < g.end).then_some(Gone { first: to, ..*g });
                        next.extend(before.into_iter().chain([passed]).chain(after));
                    }
                    passed_on.push((passed.first, passed.end));
                }
                self.gone = next;
                for (first, end) in passed_on {
                    self.window.reask(first, end, now);
                }
            }
            _ => return self.rejects.unexpected_kind += 1,
        }
        self.unanswered_since = None;
        self.tend_gone(now);
        self.ack_due |= self.seq_acked() > self.ack_sent.max(self.ack_covered);
    }

    /// A hello from a member asked for what the leader no longer had, at
    /// its `node.N`, in the epoch this tail follows: the token for its
    /// NAKs to the members from now on (its leader's stays its own: the
    /// two may count windows a little apart); what that member was asked,
    /// it is asked again at once.
    pub(super) fn take_member_hello(&mut self, now: Nanos, from: SocketAddr, datagram: &Datagram<'_>) -> bool {
        let Frame::Busy(busy) = datagram.frame else { return false };
        let Some(member) = datagram.header.member() else { return false };
        if busy.reason() != BusyReason::Hello || busy.client().get() != 0 || Some(member) == self.leader {
            return false;
        }
        let asked: Vec<(u64, u64)> = self
            .gone
            .iter()
            .filter(|g| g.asking == Some(member) && self.member_addr(member) == Some(from))
            .map(|g| (g.first, g.end))
            .collect();
        if asked.is_empty() || datagram.header.epoch() != self.epoch() {
            self.rejects.not_leader += 1;
            return true;
        }
        self.member_nak_token = datagram.header.token.get();
        // Its NAKs went unanswered for want of this token: not paced so.
        self.unanswered_since = None;
        self.mark_member(member, None);
        for (first, end) in asked {
            self.window.reask(first, end, now);
        }
        true
    }

    /// With failover and a journal, a member that follows serves what its
    /// journal holds of the committed log: to another member, or to a tail
    /// that its leader gave a token (with keys), their leader having said
    /// it no longer has it.
    fn serves_history(&self) -> bool {
        self.config.journal && !self.journal_failed && self.answers_history()
    }

    /// A member that follows answers NAKs (with failover): what it cannot
    /// serve, it says so at once.
    fn answers_history(&self) -> bool {
        !self.observer && self.config.failover != Failover::Off && self.epoch() != Epoch::ZERO
    }

    /// The last sequence it may serve: committed, and durable in its
    /// journal (never a record past its commit, which a new leader may
    /// replace); 0 if it serves none.
    fn served_last(&self) -> u64 {
        if self.serves_history() { self.known_commit().min(self.durable) } else { 0 }
    }

    /// A NAK to this member while it follows (see [`serves_history`](Self::serves_history)):
    /// what it may serve goes to the driver ([`poll_history`](Self::poll_history)),
    /// the rest is answered UNRECOVERABLE (not from this member). A
    /// member's answers go to its `node.N` address, never elsewhere; a
    /// tail's to where its NAK came from, with keys only if it carries its
    /// token, as its leader would.
    pub(in crate::core) fn serve_nak(&mut self, now: Nanos, from: SocketAddr, datagram: &Datagram<'_>) {
        let Frame::Nak(nak) = &datagram.frame else { return };
        debug_assert!(datagram.header.flags.get() & FLAG_SERVED != 0);
        if !self.answers_history() {
            self.rejects.not_leader += 1;
            return;
        }
        let member = datagram.header.member();
        let dest = match member {
            // A member asks from its `node.N`, in the epoch this member
            // follows: one replayed from elsewhere, or from another epoch,
            // is no ask.
            Some(m) => match self.member_addr(m) {
                Some(addr) if addr == from && datagram.header.epoch() == self.epoch() => addr,
                Some(_) => {
                    self.rejects.elsewhere += 1;
                    return;
                }
                None => {
                    self.rejects.not_leader += 1;
                    return;
                }
            },
            // A tail's is served, with keys, only with the token its
            // leader gave it for its address (counted in that leader's
            // clock, a window either way for the difference); else it is
            // owed one, as from its leader. A decline needs none: it is
            // no larger than the NAK.
            None if self.serves_history() && self.config.client_tokens => {
                let Some(window) = self.leader_window(now) else {
                    self.rejects.not_leader += 1;
                    return;
                };
                let token = datagram.header.token.get();
                let mine = |w| crate::core::leader::observer_token(self.epoch(), from, w);
                if ![window + 1, window, window.saturating_sub(1)].iter().any(|&w| token == mine(w)) {
                    if !self.hellos.contains(&from) && self.hellos.len() < HELLOS_MAX {
                        self.hellos.push(from);
                    }
                    return;
                }
                from
            }
            None => from,
        };
        self.stats.naks_served += 1;
        let last = self.served_last();
        // No asker asks more in one NAK (a member's, a tail's): a forged or
        // replayed one has no more served than that.
        let asks = if member.is_some() { 1 } else { OBSERVER_ASKED };
        let mut room = (self.config.nak_events_max * asks) as u64;
        // What it cannot serve is said in one UNRECOVERABLE over its span
        // (no more datagrams than the NAK, wherever its source be).
        let mut declined: Option<(u64, u64)> = None;
        for range in nak.ranges {
            let (first, end) = (range.first.get(), range.end.get());
            let cut = end.min(last + 1).max(first);
            let served = cut.min(first.saturating_add(room));
            // What is queued for it already answers this too (the driver
            // also joins a range to a job of the same asker it meets).
            let queued = self.serving.iter().any(|&(d, f, e)| d == dest && f < served && first < e);
            if first < served && !queued && self.serving.len() < self.config.repairs_max {
                self.serving.push_back((dest, first, served));
                room -= served - first;
            }
            if cut < end {
                let (low, high) = declined.unwrap_or((cut, end));
                declined = Some((low.min(cut), high.max(end)));
            }
        }
        if let Some((first, end)) = declined.filter(|_| self.declined.len() < self.config.repairs_max) {
            self.declined.push_back((dest, first, end));
        }
    }

    /// The next range to serve from the journal (see [`serve_nak`](Self::serve_nak)).
    pub(in crate::core) fn poll_history(&mut self) -> Option<(SocketAddr, Seq, Seq)> {
        self.serving.pop_front().map(|(dest, first, end)| (dest, Seq(first), Seq(end)))
    }

    /// A RETRANSMIT, marked [`FLAG_SERVED`], of as many of `records` (read
    /// from the journal, in order) as fit and it may serve; (0, 0) if none.
    pub(in crate::core) fn history_frame(&mut self, now: Nanos, buf: &mut [u8], records: &[u8]) -> (usize, usize) {
        if !self.serves_history() {
            return (0, 0);
        }
        let last = self.served_last();
        let header = Header { flags: FLAG_SERVED.into(), ..self.header };
        let buf = &mut buf[..self.config.mtu];
        let mut writer = FrameWriter::batch(buf, &header, Kind::Retransmit, Seq(self.known_commit()), now)
            .expect("mtu holds a batch head");
        let mut taken = 0;
        while let Ok((event, _)) = EventRef::split(&records[taken..]) {
            if event.header.seq.get() > last || !writer.push_record(event.record) {
                break;
            }
            taken += event.record.len();
        }
        if taken == 0 {
            return (0, 0);
        }
        self.stats.events_served += u64::from(writer.count());
        (writer.finish(), taken)
    }

    /// An UNRECOVERABLE, marked [`FLAG_SERVED`], for `[first, end)`: not
    /// from this member.
    pub(in crate::core) fn unrecoverable_frame(&mut self, buf: &mut [u8], first: Seq, end: Seq) -> usize {
        if !self.answers_history() {
            return 0;
        }
        let header = Header { flags: FLAG_SERVED.into(), ..self.header };
        let body = Unrecoverable { range: SeqRange::new(first, end) };
        emit(buf, &header, Kind::Unrecoverable, &body).expect("mtu holds an UNRECOVERABLE")
    }
}

/// A RETRANSMIT or UNRECOVERABLE from a member that does not lead, serving
/// what a leader no longer had ([`FLAG_SERVED`]).
pub(in crate::core) fn is_served(datagram: &Datagram<'_>) -> bool {
    matches!(datagram.frame, Frame::Retransmit(_) | Frame::Unrecoverable(_))
        && datagram.header.flags.get() & FLAG_SERVED != 0
}

/// History from the other members (PROTOCOL): what a member that follows
/// serves, and what an asker takes.
#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use crate::wire::test_record;

    fn addr(node: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5000 + node))
    }

    const TAIL: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 6000);

    fn config(tokens: bool) -> Config {
        let members = (0..3).map(addr).collect();
        Config { failover: Failover::Auto, journal: true, client_tokens: tokens, members, ..Config::default() }
    }

    /// Member 1 following node 0 in epoch 1: it holds 1..=5 durably and
    /// knows 1..=3 committed.
    fn member(tokens: bool) -> Follower {
        let mut member = Follower::new(config(tokens), NodeId(1), 0).unwrap();
        member.header.epoch = 1.into();
        for seq in 1..=5 {
            member.window.insert(seq, &test_record(7, seq, b"x"));
        }
        (member.commit, member.appended, member.last_record, member.durable) = (3, 5, 5, 5);
        member
    }

    /// A NAK flagged SERVED from `from` (a member id, or a tail), carrying
    /// `token`, for each of `ranges`.
    fn nak(config: &Config, from: u16, token: u32, ranges: &[(u64, u64)]) -> Vec<u8> {
        let mut header = Header::new(Kind::Nak, from, config.cluster_id, Epoch(1));
        (header.flags, header.token) = (FLAG_SERVED.into(), token.into());
        let mut buf = vec![0; config.mtu];
        let mut writer = FrameWriter::nak(&mut buf, &header).unwrap();
        for &(first, end) in ranges {
            writer.push_range(&SeqRange::new(Seq(first), Seq(end)));
        }
        let len = writer.finish();
        buf.truncate(len);
        buf
    }

    fn serve(member: &mut Follower, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let datagram = parse(bytes, (member.config.cluster_id, 0, false), &mut Rejects::default()).unwrap();
        member.serve_nak(now, from, &datagram);
    }

    fn sent(member: &mut Follower, now: Nanos) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut buf = vec![0; 1472];
        let mut out = Vec::new();
        while let Some(t) = member.poll_transmit(now, &mut buf) {
            let Dest::Unicast(to) = t.dest else { panic!("a member's answer is unicast") };
            out.push((to, buf[..t.len].to_vec()));
        }
        out
    }

    #[test]
    fn a_member_serves_only_what_it_knows_committed_and_declines_the_rest() {
        let mut member = member(false);
        let config = member.config.clone();
        serve(&mut member, 10, addr(2), &nak(&config, 2, config.shape(), &[(1, 10)]));
        assert_eq!(member.poll_history(), Some((addr(2), Seq(1), Seq(4))), "committed only, to node.2");
        let declined = sent(&mut member, 10);
        assert_eq!(declined.len(), 1);
        let datagram = crate::wire::parse(&declined[0].1).unwrap();
        assert_eq!(declined[0].0, addr(2));
        assert_eq!(datagram.header.flags.get(), FLAG_SERVED);
        let Frame::Unrecoverable(gone) = datagram.frame else { panic!("{datagram:?}") };
        assert_eq!((gone.range.first.get(), gone.range.end.get()), (4, 10));
        // The journal's records from 1: only 1..=3 go.
        let records: Vec<u8> = (1..=5).flat_map(|seq| test_record(7, seq, b"x")).collect();
        let mut buf = vec![0; 1472];
        let (len, taken) = member.history_frame(20, &mut buf, &records);
        assert_eq!(taken, 3 * records.len() / 5);
        let datagram = crate::wire::parse(&buf[..len]).unwrap();
        assert_eq!(datagram.header.flags.get(), FLAG_SERVED);
        let Frame::Retransmit(batch) = datagram.frame else { panic!("{datagram:?}") };
        assert_eq!(batch.events.map(|e| e.header.seq.get()).collect::<Vec<_>>(), [1, 2, 3]);
        // Past what it knows committed it serves nothing, whoever queued it.
        assert_eq!(member.history_frame(20, &mut buf, &records[3 * records.len() / 5..]), (0, 0));
    }

    /// Hosts' clocks count from their own boots: a tail's token, made in
    /// the leader's clock, is checked in it; one that fails is answered
    /// with the right one (a found defect: on two hosts a keyed tail got
    /// nothing from the other members and reported it all lost).
    #[test]
    fn a_tails_token_is_checked_in_its_leaders_clock_and_a_stale_one_gets_a_hello() {
        let mut member = member(true);
        let config = member.config.clone();
        let now = 5_000_000;
        // The leader's clock reads 3 hours more than this member's.
        member.echo(now, now + 10_800_000_000_000);
        let window = (now + 10_800_000_000_000) / crate::core::leader::HELLO_WINDOW_NS;
        let good = crate::core::leader::observer_token(Epoch(1), TAIL, window);
        let own = crate::core::leader::observer_token(Epoch(1), TAIL, now / crate::core::leader::HELLO_WINDOW_NS);
        assert_ne!(good, own);
        serve(&mut member, now, TAIL, &nak(&config, crate::wire::SENDER_OBSERVER, own, &[(1, 3)]));
        assert_eq!(member.poll_history(), None, "a token of this member's clock is not the tail's");
        let hello = sent(&mut member, now);
        assert_eq!(hello.len(), 1);
        let datagram = crate::wire::parse(&hello[0].1).unwrap();
        assert!(matches!(datagram.frame, Frame::Busy(b) if b.reason() == BusyReason::Hello && b.client().get() == 0));
        assert_eq!((hello[0].0, datagram.header.token.get()), (TAIL, good));
        serve(&mut member, now, TAIL, &nak(&config, crate::wire::SENDER_OBSERVER, good, &[(1, 3)]));
        assert_eq!(member.poll_history(), Some((TAIL, Seq(1), Seq(3))));
    }

    /// An operator's trial: a tail with failover heard the leader of a
    /// group started on a stale file (quorum 3 where the cluster's is 2)
    /// and counted its frames as routine `not_leader`, with a note that
    /// they are expected around an election. They are `other_shape` now,
    /// which a tail warns of, naming both shapes.
    #[test]
    fn a_tail_counts_a_leader_of_another_shape_as_such() {
        let mut tail = Follower::observe(Config { client_tokens: false, ..config(false) }, 0, Seq(1)).unwrap();
        let split = Config { nodes: 5, ..tail.config.clone() };
        let mut header = Header::new(Kind::Heartbeat, 1, split.cluster_id, Epoch(4));
        header.token = split.shape().into();
        let body = crate::wire::Heartbeat {
            seq_next: 1.into(),
            commit: 0.into(),
            sent_ns: 0.into(),
            rtt_ns: 0.into(),
            epoch_start: 0.into(),
            nonce: 0.into(),
            reserved: 0.into(),
        };
        let mut buf = vec![0; 256];
        let len = crate::wire::emit(&mut buf, &header, Kind::Heartbeat, &body).unwrap();
        let before = (tail.epoch(), tail.leader());
        tail.handle_datagram(1, addr(1), &buf[..len]);
        let rejects = tail.rejects();
        assert_eq!((rejects.other_shape, rejects.not_leader), (1, 0));
        assert_eq!(rejects.other_shape_seen, Some((NodeId(1), split.shape())));
        assert_eq!((tail.epoch(), tail.leader()), before, "not followed");
    }

    /// A tail asking member 1 for what the leader no longer has takes a
    /// SERVED RETRANSMIT only from member 1, and only of its own cluster's
    /// node count (a found defect: one of a group split off by a stale
    /// cluster file, which commits a log of its own, was delivered).
    #[test]
    fn an_asker_takes_served_events_only_from_the_member_asked_of_its_cluster() {
        let mut tail = Follower::observe(Config { client_tokens: false, ..config(false) }, 0, Seq(1)).unwrap();
        tail.header.epoch = 1.into();
        tail.leader = Some(NodeId(0));
        tail.ask_members(0, 1, 4);
        assert_eq!(tail.gone[0].asking, Some(NodeId(1)));
        let ours = tail.config.clone();
        let served = |from: u16, nodes: u16| {
            let split = Config { nodes, ..ours.clone() };
            let mut header = Header::new(Kind::Retransmit, from, split.cluster_id, Epoch(1));
            (header.flags, header.token) = (FLAG_SERVED.into(), split.shape().into());
            let mut buf = vec![0; 1472];
            let mut writer = FrameWriter::batch(&mut buf, &header, Kind::Retransmit, Seq(3), 0).unwrap();
            for seq in 1..=3 {
                assert!(writer.push_record(&test_record(9, seq, b"y")));
            }
            let len = writer.finish();
            buf.truncate(len);
            buf
        };
        tail.handle_datagram(1, addr(2), &served(2, 3));
        assert_eq!(tail.window.held(), 0, "member 2 was not asked");
        tail.handle_datagram(1, addr(1), &served(1, 5));
        assert_eq!((tail.window.held(), tail.rejects.other_shape), (0, 1), "a member of another node count");
        tail.handle_datagram(1, addr(1), &served(1, 3));
        assert_eq!(tail.window.held(), 3);
        assert_eq!(tail.stats.events_from_members, 3);
    }

    /// PROTOCOL spells the token out, as any member must compute its
    /// leader's: the text and the code agree.
    #[test]
    fn the_token_is_the_function_protocol_gives() {
        let (epoch, window) = (7u64, 123_456u64);
        let addr = (u64::from(u32::from(std::net::Ipv4Addr::LOCALHOST)) << 16) | 6000;
        let what = addr.rotate_left(7) ^ (1 << 63);
        let mut x = what ^ epoch.rotate_left(32) ^ window.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let token = ((x ^ (x >> 31)) as u32).max(1);
        assert_eq!(crate::core::leader::observer_token(Epoch(epoch), TAIL, window), token);
    }

    /// Member 2 of 3 asks member 1, its only other, for what leader 0 no
    /// longer has.
    fn asker() -> Follower {
        let mut asker = Follower::new(config(false), NodeId(2), 0).unwrap();
        asker.header.epoch = 1.into();
        (asker.leader, asker.leader_addr) = (Some(NodeId(0)), Some(addr(0)));
        asker
    }

    /// Found by a review: the timer said a member's wait ended one second
    /// after it was asked, the check ten seconds once it had served this
    /// asker, and the node's loop spun in between.
    #[test]
    fn a_member_that_served_is_waited_for_without_a_timer_that_has_passed() {
        let mut asker = asker();
        asker.ask_members(0, 1, 100);
        asker.gone[0].heard_at = Some(0);
        for now in [1_500_000_000, 5_000_000_000, 9_999_999_999] {
            asker.handle_timeout(now);
            assert_eq!(asker.gone[0].asking, Some(NodeId(1)), "still waited for at {now}");
            assert!(asker.poll_timeout().is_some_and(|at| at > now), "a timer at or before {now}");
        }
        asker.handle_timeout(SERVE_STALL_NS);
        assert!(asker.gone.is_empty(), "passed over, and no other member to ask: lost");
    }

    /// Found by a review: a member silent once was skipped for ten seconds,
    /// so what only it held was reported lost at once, though it was back.
    #[test]
    fn a_member_that_went_silent_is_still_asked_after_the_others() {
        let mut asker = asker();
        asker.ask_members(0, 1, 100);
        asker.gone[0].heard_at = Some(0);
        asker.handle_timeout(SERVE_STALL_NS);
        assert!(asker.gone.is_empty());
        asker.ask_members(SERVE_STALL_NS + 1, 200, 300);
        assert_eq!(asker.gone[0].asking, Some(NodeId(1)), "the only member left to ask is asked");
        // Silent: it is waited for until ten seconds after it was first
        // passed over, then a second for each range, unless it answers.
        asker.gone[0].heard_at = Some(SERVE_STALL_NS + 1);
        assert_eq!(asker.poll_timeout(), Some(2 * SERVE_STALL_NS));
        asker.handle_timeout(2 * SERVE_STALL_NS);
        assert!(asker.gone.is_empty());
        asker.ask_members(2 * SERVE_STALL_NS + 1, 300, 400);
        asker.gone[0].heard_at = Some(2 * SERVE_STALL_NS + 1);
        assert_eq!(asker.poll_timeout(), Some(3 * SERVE_STALL_NS), "a new silence: ten seconds from its start");
    }

    /// An operator trial: an archive member (the only one keeping what a
    /// member back on an empty journal asked for) paused 12 s. Each range
    /// asked of it after the first was passed over lost at one second, one
    /// of them after the archive was back (6,000 events lost where 2,000
    /// were asked in the pause's first ten seconds).
    #[test]
    fn a_member_paused_a_little_over_ten_seconds_costs_only_what_was_asked_before() {
        let mut asker = asker();
        asker.ask_members(0, 1, 100);
        asker.gone[0].heard_at = Some(0);
        asker.handle_timeout(SERVE_STALL_NS);
        assert!(asker.gone.is_empty(), "silent ten seconds: lost");
        for (k, now) in [SERVE_STALL_NS + 1, SERVE_STALL_NS + SERVE_WAIT_NS + 1].into_iter().enumerate() {
            let first = 200 + 200 * k as u64;
            asker.ask_members(now, first, first + 100);
            asker.gone[k].heard_at = Some(now);
        }
        asker.handle_timeout(SERVE_STALL_NS + 2 * SERVE_WAIT_NS + 1);
        assert_eq!(asker.gone.len(), 2, "both still asked two seconds on");
        // Its first datagram (as take_served marks it): back, and waited
        // for as any member.
        asker.mark_member(NodeId(1), None);
        asker.handle_timeout(SERVE_STALL_NS + 3 * SERVE_WAIT_NS);
        assert_eq!(asker.gone.len(), 2);
        assert_eq!(asker.poll_timeout(), Some(2 * SERVE_STALL_NS + 1), "ten seconds from the first ask");
    }

    /// A SERVED RETRANSMIT from member 1 of `seqs`.
    fn served_by_1(config: &Config, seqs: std::ops::Range<u64>) -> Vec<u8> {
        let mut header = Header::new(Kind::Retransmit, 1, config.cluster_id, Epoch(1));
        (header.flags, header.token) = (FLAG_SERVED.into(), config.shape().into());
        let mut buf = vec![0; config.mtu];
        let mut writer = FrameWriter::batch(&mut buf, &header, Kind::Retransmit, Seq(seqs.end - 1), 0).unwrap();
        for seq in seqs {
            assert!(writer.push_record(&test_record(9, seq, b"y")));
        }
        let len = writer.finish();
        buf.truncate(len);
        buf
    }

    /// An operator trial: a member under a `--history-rate` served each of
    /// its readers a turn a second, a few frames each; between turns its
    /// askers asked for all of it again, every 10 ms (four tails sent about
    /// 2,000 NAKs each to fetch 6,000 events). Member 1 serves 1..=420 here in turns of five
    /// frames 21 ms apart, one turn a second, and loses the second frame
    /// of the third turn: the asker asks again for what was lost, in few
    /// NAKs.
    #[test]
    fn an_asker_waits_for_a_member_serving_its_readers_in_turns() {
        let mut asker = asker();
        let config = asker.config.clone();
        asker.seen = 420;
        asker.mark_missing(0);
        asker.ask_members(0, 1, 421);
        let mut frames: Vec<(Nanos, std::ops::Range<u64>)> = (0..30)
            .map(|k| (1_000_000 + k / 5 * 1_000_000_000 + k % 5 * 21_000_000, 1 + 14 * k..15 + 14 * k))
            .collect();
        frames.remove(11);
        let (mut now, mut naks, mut lost_asked) = (0, 0, false);
        let mut buf = vec![0; config.mtu];
        while now < 8_000_000_000 {
            while frames.first().is_some_and(|(at, _)| *at <= now) {
                let (_, seqs) = frames.remove(0);
                asker.handle_datagram(now, addr(1), &served_by_1(&config, seqs));
            }
            asker.handle_timeout(now);
            while let Some(t) = asker.poll_transmit(now, &mut buf) {
                let datagram = crate::wire::parse(&buf[..t.len]).unwrap();
                let Frame::Nak(nak) = datagram.frame else { continue };
                assert_eq!(t.dest, Dest::Unicast(addr(1)), "all of it was asked of member 1");
                naks += 1;
                let ranges: Vec<_> = nak.ranges.iter().map(|r| (r.first.get(), r.end.get())).collect();
                if now > 2_000_000_000 && ranges.iter().any(|&(first, end)| first <= 155 && 155 < end) {
                    // Frame 11 (155..=168) is asked again, and member 1 serves it at once.
                    lost_asked = true;
                    frames.insert(0, (now, 155..169));
                }
            }
            let next = frames.first().map(|(at, _)| *at).into_iter().chain(asker.poll_timeout()).min();
            now = next.unwrap_or(u64::MAX).max(now + 1);
        }
        assert_eq!(asker.window.held(), 420, "all of it came");
        assert!(lost_asked, "what was lost on the way was asked again");
        assert!(naks <= 20, "{naks} NAKs");
    }

    /// With a window smaller than the events a NAK may ask for, each
    /// repair that freed a few slots brought a NAK for just those (an
    /// operator trial with `--window-events 2000`: a NAK, and an
    /// UNRECOVERABLE from the leader, per 14 events served). Fresh ranges
    /// are asked once half the window is free.
    #[test]
    fn a_small_window_asks_afresh_once_half_of_it_is_free() {
        let mut asker = Follower::new(
            Config { window_events: 64, in_flight_max: 32, ring_events: 64, nak_events_max: 128, ..config(false) },
            NodeId(2),
            0,
        )
        .unwrap();
        asker.header.epoch = 1.into();
        (asker.leader, asker.leader_addr) = (Some(NodeId(0)), Some(addr(0)));
        let config = asker.config.clone();
        (asker.seen, asker.commit) = (640, 640);
        asker.mark_missing(0);
        asker.ask_members(0, 1, 641);
        let (mut now, mut naks, mut next) = (0, 0, 1);
        let mut buf = vec![0; config.mtu];
        while next <= 640 {
            asker.handle_timeout(now);
            while let Some(t) = asker.poll_transmit(now, &mut buf) {
                naks += u64::from(matches!(crate::wire::parse(&buf[..t.len]).unwrap().frame, Frame::Nak(_)));
            }
            now += 1_000_000;
            let end = (next + 8).min(641);
            asker.handle_datagram(now, addr(1), &served_by_1(&config, next..end));
            while asker.poll_event().is_some() {}
            next = end;
        }
        assert_eq!(asker.window.held(), 640);
        // Each asks what the window slid over since half of it was free: 24 events.
        assert!(naks <= 640 / 24 + 1, "{naks} NAKs");
    }
}
