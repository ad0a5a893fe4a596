//! What the checker is told: every frame a leader puts on the wire, and
//! every event members and clients report.

use super::Sim;
use super::faults::Fault;
use super::network::{Item, Who};
use crate::core::{Event, MemberEvent};
use crate::wire::{self, Frame};

impl Sim<'_> {
    /// Records what leaders put on the wire: every event stamped, every
    /// commit announced, and who leads each epoch.
    pub(super) fn observe(&mut self, node: usize, bytes: &[u8]) {
        let Ok(datagram) = wire::parse(bytes) else { return };
        let epoch = datagram.header.epoch.get();
        let served = datagram.header.flags.get() & wire::FLAG_SERVED != 0;
        match datagram.frame {
            Frame::Retransmit(batch) if served => {
                for e in batch.events {
                    let (seq, client, request) = (e.header.seq.get(), e.header.client.get(), e.header.request.get());
                    self.history.served(self.now, node, seq, (client, request), e.payload);
                }
            }
            Frame::Data(batch) | Frame::Retransmit(batch) => {
                self.history.leads(self.now, epoch, node);
                self.history.announced(batch.head.commit.get());
                for e in batch.events {
                    let (seq, client, request) = (e.header.seq.get(), e.header.client.get(), e.header.request.get());
                    if self.trace
                        && std::env::var("SEQCAST_SIM_WATCH").is_ok_and(|w| w == format!("{client},{request}"))
                    {
                        eprintln!(
                            "{:>12} member {node} epoch {epoch} sends seq {seq} = ({client}, {request})",
                            self.now
                        );
                    }
                    self.history.stamped(self.now, epoch, seq, client, request, e.payload);
                }
            }
            Frame::Heartbeat(heartbeat) => {
                self.history.leads(self.now, epoch, node);
                self.history.announced(heartbeat.commit.get());
            }
            Frame::Commit(commit) => self.history.announced(commit.head.commit.get()),
            Frame::Unrecoverable(gone) if !served => {
                // A leader says gone only what it cannot resend: nothing
                // its ring holds (what left it, its journal serves, or the
                // driver answers from its disk).
                let (first, end) = (gone.range.first.get(), gone.range.end.get());
                let leader = self.nodes[node].node.as_ref().and_then(|n| n.member().leader());
                if let Some(leader) = leader {
                    let held = first.max(leader.seq_oldest().get())..end.min(leader.seq_next().get());
                    if let Some(seq) = held.into_iter().find(|&seq| leader.event(crate::core::Seq(seq)).is_some()) {
                        let detail = format!("leader {node} declared [{first}, {end}) lost, its ring holding {seq}");
                        self.history.fail(5, self.now, detail);
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn record_events(&mut self, who: Who) {
        match who {
            Who::Node(i) => {
                let commit = self.commit_max();
                let (incarnation, deliver) = (self.nodes[i].incarnation, self.nodes[i].deliver);
                let now = self.now;
                let mut takes = self.nodes[i].app_takes(now);
                if takes.is_some_and(|t| t > 0) && self.input_waiting(i) {
                    // A node's turn reads all that waits in its socket,
                    // then hands out: its application's turn comes after.
                    self.nodes[i].app_later(now);
                    takes = Some(0);
                }
                if self.nodes[i].app_crash_due(takes) {
                    // Killed after its turn wrote, before it handed out (a
                    // crash the cluster cannot take now is skipped: its
                    // turn comes again then).
                    self.push(now, Item::Fault(Fault::InAppTurn(i, incarnation)));
                    self.nodes[i].app_later(now);
                    takes = Some(0);
                }
                let Some(node) = self.nodes[i].node.as_mut() else { return };
                // What it delivers past the commit it knows, it delivers on receipt.
                let known = node.member().follower().map_or(u64::MAX, |f| f.commit().get());
                let mut restarted = None;
                let (mut delivered, mut origins, mut lost) = (Vec::new(), Vec::new(), Vec::new());
                let mut taken = 0;
                while takes.is_none_or(|t| taken < t)
                    && let Some(event) = node.poll_event()
                {
                    taken += 1;
                    match event {
                        MemberEvent::Log(Event::Deliver(e)) => {
                            let (seq, origin) = (e.header.seq.get(), (e.header.client.get(), e.header.request.get()));
                            match seq > known {
                                true => self.history.delivered_on_receipt(now, incarnation, seq, origin, e.payload),
                                false => self.history.delivered(now, incarnation, seq, origin.0, origin.1, e.payload),
                            }
                            delivered.push(seq);
                            origins.push((seq, origin));
                        }
                        MemberEvent::Log(Event::Lost { first, end }) => {
                            self.history.lost(now, incarnation, first.get(), end.get(), commit);
                            lost.push((first.get(), end.get()));
                        }
                        MemberEvent::Log(Event::LeaderRestarted { old, new, in_doubt }) => {
                            restarted = Some((old, new, in_doubt))
                        }
                        MemberEvent::Elected { .. }
                        | MemberEvent::Following { .. }
                        | MemberEvent::JoinedEmpty { .. }
                        | MemberEvent::Standing { .. }
                        | MemberEvent::SteppedDown { .. }
                            if self.trace =>
                        {
                            eprintln!("{now:>12} member {i}: {event:?}");
                        }
                        MemberEvent::Elected { .. }
                        | MemberEvent::Following { .. }
                        | MemberEvent::JoinedEmpty { .. }
                        | MemberEvent::Standing { .. }
                        | MemberEvent::SteppedDown { .. } => {}
                    }
                }
                if let Some((old, new, in_doubt)) = restarted {
                    let short = node.member().follower().and_then(|f| f.short_leader());
                    // Delivering on receipt, or having delivered so what
                    // is in doubt before it restarted to deliver on commit.
                    let handed = |(first, end): (crate::core::Seq, crate::core::Seq)| {
                        (first.get()..end.get())
                            .any(|seq| self.history.delivered_on_receipt_at(incarnation, seq).is_some())
                    };
                    let on_receipt = deliver == crate::core::Deliver::OnReceive || in_doubt.is_some_and(handed);
                    match (short, in_doubt) {
                        // It delivered on receipt what a restarted sequencer
                        // lacks, which never committed: it says so, exits
                        // (code 3), and its operator starts it again.
                        (Some(short), Some((first, end))) if on_receipt && short.log_end >= short.committed => {
                            self.check_withdrawal(i, incarnation, short);
                            self.history.withdrawn(incarnation, first.get(), end.get());
                            self.paths.withdrawn += 1;
                            self.push(now, Item::Fault(Fault::Refused(i)));
                        }
                        _ => self.history.epoch_changed(now, old.get(), new.get(), short),
                    }
                }
                self.paths.app_turns_behind += u64::from(self.nodes[i].app_took(now, takes, taken));
                self.check_written(i, &origins);
                self.check_committed(who, &delivered, commit);
                self.check_told(who, &lost);
                let Some(node) = self.nodes[i].node.as_ref() else { return };
                let epoch = node.member().promised();
                if epoch < self.nodes[i].epoch {
                    let detail = format!("member {i} went from epoch {} back to {epoch}", self.nodes[i].epoch);
                    self.history.fail(7, now, detail);
                }
                self.nodes[i].epoch = epoch;
            }
            Who::Attacker => {}
            Who::Tail(i) => self.record_tail_events(i),
            Who::Client(i) => {
                let id = self.clients[i].client.id();
                while let Some(done) = self.clients[i].client.poll_event() {
                    self.paths.committed += 1;
                    // The cluster leads again after a fault that hit its leader.
                    if let Some((at, _)) = self.leader_fault.filter(|&(_, commit)| done.seq.get() > commit) {
                        self.paths.leader_faults += 1;
                        self.paths.fault_to_commit_us += (self.now - at) / 1000;
                        self.leader_fault = None;
                    }
                    self.history.committed(self.now, id.get(), done.request, done.seq.get());
                }
            }
        }
    }

    /// Member `i` refused the log of the sequencer of `short.epoch` for
    /// lacking (or holding another event at, or no longer holding) what it
    /// delivered on receipt at `short.needed`: the sequencer's log must
    /// not hold that very event there, in its ring or on its disk.
    fn check_withdrawal(&mut self, i: usize, incarnation: usize, short: crate::core::ShortLeader) {
        let needed = short.needed.get();
        let Some(delivered) = self.history.delivered_on_receipt_at(incarnation, needed) else { return };
        let origin = |record: &[u8]| {
            let (event, _) = crate::wire::EventRef::split(record).expect("a record");
            (event.header.client.get(), event.header.request.get())
        };
        let Some(l) = self.leader() else { return };
        let slot = &self.nodes[l];
        // Only while that sequencer runs (its disk then holds its log).
        let Some(leader) = slot.node.as_ref().and_then(|n| n.member().leader()).filter(|l| l.epoch() == short.epoch)
        else {
            return;
        };
        let ring = leader.event(short.needed).map(|event| origin(event.record));
        let held = ring.or_else(|| slot.disk.get(&needed).map(|(_, _, record)| origin(record)));
        if held == Some(delivered) {
            let detail = format!(
                "member {i} refused epoch {}'s log for lacking seq {needed}, which it holds as {delivered:?}",
                short.epoch
            );
            self.history.fail(1, self.now, detail);
        }
    }

    /// With a journal a member delivers only what it wrote first (each
    /// turn writes before it hands anything out): what it delivered, its
    /// record there, is on its disk, written and not yet synced, or older
    /// than what its retention keeps. Once its journal failed, also what
    /// it knows committed, which it may fetch again after its restart, as
    /// after a loss of the power that took its commit file.
    fn check_written(&mut self, i: usize, delivered: &[(u64, (u32, u64))]) {
        if !self.core.journal {
            return;
        }
        let slot = &self.nodes[i];
        let member = slot.node.as_ref().map(|n| n.member());
        let commit = member.map_or(0, |m| {
            m.follower().map(|f| f.commit()).or_else(|| m.leader().map(|l| l.commit())).map_or(0, |c| c.get())
        });
        let committed = |seq: &u64| slot.failed.is_some() && *seq <= commit;
        let kept_from = match self.config.retain_of(i) {
            0 => 0,
            _ => slot.disk.keys().next().copied().unwrap_or(0),
        };
        let origin = |record: &[u8]| {
            let (event, _) = crate::wire::EventRef::split(record).expect("a record");
            (event.header.client.get(), event.header.request.get())
        };
        // The last write at a sequence is what the journal holds there.
        let record = |seq: u64| {
            let unsynced = slot.unsynced.iter().rev().find(|(_, r)| r.0 == seq).map(|(_, r)| &r.3);
            unsynced.or_else(|| slot.disk.get(&seq).map(|r| &r.2)).map(|r| origin(r))
        };
        let unwritten = delivered
            .iter()
            .copied()
            .find(|&(seq, delivered)| seq >= kept_from && record(seq) != Some(delivered) && !committed(&seq));
        if let Some((seq, delivered)) = unwritten {
            let held = record(seq);
            let detail = format!("member {i} delivered seq {seq} as {delivered:?}, its journal holding {held:?} there");
            self.history.fail(5, self.now, detail);
        }
    }

    /// Delivering on commit, a member delivers only what a leader said
    /// was committed (`commit`, the highest any announced), but where
    /// (without failover, a quorum of 2 or fewer) a follower may infer
    /// that what it holds is; a tail never infers.
    pub(super) fn check_committed(&mut self, who: Who, delivered: &[u64], commit: u64) {
        let infers = !self.config.failover_on() && self.core.quorum() <= 2;
        // A member's own way in this life (drawn at each restart with
        // `--deliver-switch`).
        let deliver = match who {
            Who::Node(i) => self.nodes[i].deliver,
            Who::Tail(_) | Who::Client(_) | Who::Attacker => self.core.deliver,
        };
        let on_commit = deliver == crate::core::Deliver::OnCommit && !infers;
        if !on_commit && matches!(who, Who::Node(_)) {
            return;
        }
        if let Some(&seq) = delivered.iter().find(|&&seq| seq > commit) {
            let detail =
                format!("{} delivered seq {seq} on commit, no leader having said more than {commit}", name(who));
            self.history.fail(5, self.now, detail);
        }
    }

    /// A member or a tail reports lost only what an UNRECOVERABLE it got
    /// named: what it lacks below such a range may still come.
    pub(super) fn check_told(&mut self, who: Who, lost: &[(u64, u64)]) {
        for &(first, end) in lost {
            let told = match who {
                Who::Node(i) => &self.nodes[i].told,
                Who::Tail(i) => &self.tails[i].told,
                Who::Client(_) | Who::Attacker => return,
            };
            if let Some(seq) = told.untold(first, end) {
                let detail =
                    format!("{} reported [{first}, {end}) lost; no UNRECOVERABLE it got named {seq}", name(who));
                self.history.fail(5, self.now, detail);
            }
        }
    }

    pub(super) fn commit_max(&self) -> u64 {
        self.history.commit_max()
    }
}

/// How the checker names a member or a tail.
fn name(who: Who) -> String {
    match who {
        Who::Node(i) => format!("member {i}"),
        Who::Tail(i) => format!("tail {i}"),
        Who::Client(i) => format!("client {}", i + 1),
        Who::Attacker => "the attacker".into(),
    }
}
