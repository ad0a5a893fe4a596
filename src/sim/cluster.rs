//! The cluster under test and the loop that runs it: virtual time jumps to
//! the next datagram, timer or submission, one step at a time, until every
//! member converged or the run is called stuck.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;

use super::faults::{Failure, Fault};
use super::network::{Item, Who, addr};
use super::{
    CLIENT_GENERATIONS, ClientSlot, History, KILLED_SETTLE_NS, NodeFactory, NodeSlot, Paths, Rng, STEPS_MAX, Sim,
    SimConfig, TailFactory,
};
use crate::core::{Client, ClientId, Epoch, Member, Nanos, NodeId, Seq, SubmitError};

impl<'a> Sim<'a> {
    pub(super) fn new(config: SimConfig, factory: NodeFactory<'a>, tail_factory: TailFactory<'a>) -> Sim<'a> {
        let mut core = config.core.clone();
        core.nodes = config.followers + 1;
        core.leader = NodeId(0);
        if config.failover_on() {
            // Members with failover are configured with each other's
            // addresses (a cluster file); followers without learn them.
            core.members = (0..usize::from(core.nodes)).map(|i| addr(Who::Node(i))).collect();
        }
        let mut sim = Sim {
            rng: Rng::new(config.seed),
            disk_rng: Rng::new(config.seed ^ 0xd15c_5105),
            kill_rng: Rng::new(config.seed ^ 0x6b11_1d9e),
            stop_rng: Rng::new(config.seed ^ 0x5709_c1ea),
            slow_rng: Rng::new(config.seed ^ 0x0005_1011),
            fail_rng: Rng::new(config.seed ^ 0xf011_d15c),
            now: 0,
            order: 0,
            queue: BinaryHeap::new(),
            nodes: Vec::new(),
            clients: Vec::new(),
            tails: Vec::new(),
            history: History::default(),
            paths: Paths::default(),
            recorded: Vec::new(),
            heal_at: config.fault_ns,
            dying: false,
            killed_at: None,
            leader_fault: None,
            factory,
            tail_factory,
            buf: vec![0; core.mtu],
            trace: std::env::var_os("SEQCAST_SIM_TRACE").is_some(),
            core,
            config,
        };
        for i in 0..usize::from(sim.core.nodes) {
            // With failover the members start as one cluster, in its epoch.
            let config = match sim.config.failover_on() {
                true => sim.core_of(i),
                false => sim.starting_core(i),
            };
            let epoch = config.epoch;
            let node = Some((sim.factory)(config, NodeId(i as u16), 0));
            let incarnation = sim.history.started(NodeId(i as u16));
            let (disk, unsynced) = Default::default();
            sim.nodes.push(NodeSlot {
                node,
                incarnation,
                cut_in: false,
                cut_out: false,
                paused_until: None,
                epoch,
                port_moves: 0,
                disk,
                unsynced,
                write_turns: 0,
                claim: None,
                commit_file: None,
                commit_synced: None,
                file_synced: None,
                told: Default::default(),
                damaged: false,
                lost_records: false,
                reach: None,
                reach_log_epoch: None,
                reach_records: None,
                deliver: sim.core.deliver,
                handed_out: None,
                slow: None,
                failing: None,
                failed: None,
            });
            sim.nodes[i].handed_out = sim.nodes[i].handed_out_now();
        }
        let clients = sim.config.clients as u64;
        let members: Vec<SocketAddr> = (0..sim.nodes.len()).map(|i| addr(Who::Node(i))).collect();
        for i in 0..sim.config.clients as usize {
            let id = ClientId(i as u32 + 1);
            let client = match sim.config.failover_on() {
                true => Client::with_failover(sim.core.clone(), id, members.clone()),
                false => Client::new(sim.core.clone(), id, addr(Who::Node(0))),
            };
            let client = client.expect("the simulator's config is valid");
            let to_submit = sim.config.events / clients + u64::from((i as u64) < sim.config.events % clients);
            sim.clients.push(ClientSlot { client, next_submit_at: 0, to_submit, generation: 0 });
        }
        sim.schedule_faults();
        sim.tails = sim.draw_tails();
        sim.heal_at = sim.heal_at.max(sim.tails_heal_at());
        sim
    }

    pub(super) fn run(&mut self) {
        let deadline = self.heal_at + self.config.settle_ns;
        // Whether the run ended by its deadline (or ran out of events), not
        // by the step limit.
        let mut settled = false;
        for step in 0..STEPS_MAX {
            if self.trace && step % 1_000_000 == 999_999 {
                let due: Vec<_> = (0..self.nodes.len())
                    .filter_map(|i| {
                        Some((i, self.nodes[i].node.as_ref()?.member(), self.nodes[i].node.as_ref()?.poll_timeout()))
                    })
                    .map(|(i, m, t)| format!("{i}: {m:?} due {t:?}"))
                    .collect();
                let clients: Vec<_> =
                    self.clients.iter().map(|c| (c.client.poll_timeout(), c.next_submit_at, c.to_submit)).collect();
                let queued = self
                    .queue
                    .peek()
                    .map(|Reverse((at, _, item))| (*at, format!("{item:?}").chars().take(80).collect::<String>()));
                eprintln!("{:>12} step {step}: {due:?} clients {clients:?} queue {queued:?}", self.now);
            }
            if self.now >= self.heal_at && self.converged().is_ok() {
                return self.finish(Ok(()));
            }
            // What the killed leader sent has long arrived: the state is final.
            if self.killed_at.is_some_and(|at| self.now >= self.heal_at.max(at) + KILLED_SETTLE_NS) {
                return self.finish_leaderless();
            }
            let Some(at) = self.next_time() else {
                settled = true;
                break;
            };
            if at > deadline {
                settled = true;
                break;
            }
            self.now = self.now.max(at);
            self.step();
        }
        if self.killed_at.is_some() {
            return self.finish_leaderless();
        }
        if settled && self.now > self.heal_at && self.leader().is_none() && self.no_whole_copy_left() {
            // It elects nobody, as it must: an operator restores a journal
            // from a backup then (docs/OPERATIONS.md). With no leader to
            // say what is committed, each member must have delivered what
            // it holds of what it knows committed, no more.
            self.paths.no_whole_copy += 1;
            self.check_at_end();
            let held: Vec<(usize, u64)> = (self.nodes.iter())
                .filter_map(|slot| {
                    let follower = slot.node.as_ref()?.member().follower()?;
                    Some((slot.incarnation, follower.seq_held().min(follower.commit()).get()))
                })
                .collect();
            return self.history.finish_leaderless(self.now, &held);
        }
        let detail = match self.converged() {
            Err(state) if self.now > self.heal_at => {
                format!("not converged {} ns after the faults healed: {state}", self.now - self.heal_at)
            }
            Err(state) => {
                format!("step limit ({STEPS_MAX}) reached at {} ns, before the faults healed: {state}", self.now)
            }
            Ok(()) => format!("step limit ({STEPS_MAX}) reached"),
        };
        self.finish(Err(detail));
    }

    pub(super) fn step(&mut self) {
        let now = self.now;
        if self.queue.peek().is_some_and(|Reverse((at, _, _))| *at <= now) {
            let Reverse((_, _, item)) = self.queue.pop().expect("peeked");
            return match item {
                Item::Datagram { to, from, bytes } => self.deliver(to, from, bytes),
                Item::Fault(fault) => self.fault(fault),
            };
        }
        for i in 0..self.nodes.len() {
            if !self.awake(i) {
                continue;
            }
            if self.nodes[i].node.is_some() && self.nodes[i].app_due().is_some_and(|at| at <= now) {
                // Its application takes more of what waits.
                return self.drain(Who::Node(i));
            }
            let Some(node) = self.nodes[i].node.as_mut() else { continue };
            if node.poll_timeout().is_some_and(|at| at <= now) {
                node.handle_timeout(now);
                return self.drain(Who::Node(i));
            }
        }
        for i in 0..self.tails.len() {
            if self.step_tail(i) {
                return;
            }
        }
        for i in 0..self.clients.len() {
            if self.clients[i].client.poll_timeout().is_some_and(|at| at <= now) {
                self.clients[i].client.handle_timeout(now);
                self.drain(Who::Client(i));
            }
            let mut in_doubt = self.clients[i].client.leader_restarted().is_some();
            if self.replaceable(&self.clients[i]) {
                self.reconnect(i);
                in_doubt = false;
            }
            if self.clients[i].to_submit > 0 && self.clients[i].next_submit_at <= now && !in_doubt {
                self.submit(i);
            }
        }
    }

    /// Without failover: a client whose sequencer restarted, with events
    /// left to submit, that a client of a fresh id takes the place of
    /// ([`reconnect`](Self::reconnect)). Each id holds a place in the
    /// leader's table for the run (a restarted sequencer knows them from
    /// its journal): as many generations as the table has room for. Not
    /// where followers deliver on receipt: what one handed out past its
    /// commit before it restarted, the log may then hold other events for.
    fn replaceable(&self, c: &ClientSlot) -> bool {
        let generations = self.core.clients_max as u32 / self.config.clients.max(1);
        let again = !self.config.failover_on();
        again && c.to_submit > 0 && c.generation + 1 < generations && c.client.leader_restarted().is_some()
    }

    /// Without failover: client `i`'s sequencer restarted (its pending
    /// requests are in doubt, and it sends nothing more), so the
    /// application starts a client of a fresh id (a new one's requests
    /// begin at 1 again, which the sequencer would take for the old id's)
    /// to submit the rest of its events to the sequencer's new epoch.
    fn reconnect(&mut self, i: usize) {
        let slot = &mut self.clients[i];
        slot.generation += 1;
        let id = ClientId(i as u32 + 1 + slot.generation * CLIENT_GENERATIONS);
        slot.client = Client::new(self.core.clone(), id, addr(Who::Node(0))).expect("the simulator's config is valid");
        slot.next_submit_at = self.now;
        self.paths.clients_reconnected += 1;
    }

    pub(super) fn submit(&mut self, i: usize) {
        let len = self.rng.range(0, self.core.payload_max as u64 + 1) as usize;
        let payload: Vec<u8> = (0..len).map(|_| self.rng.next_u64() as u8).collect();
        let slot = &mut self.clients[i];
        match slot.client.submit(&payload) {
            Ok(request) => {
                slot.to_submit -= 1;
                let id = slot.client.id();
                self.history.submitted(id.get(), request, &payload);
            }
            Err(SubmitError::Full) => {}
            Err(error @ SubmitError::TooLarge { .. }) => panic!("simulator payload refused: {error}"),
        }
        // Spread the load over the fault window.
        let gap = self.config.fault_ns / self.config.events.max(1) * u64::from(self.config.clients);
        self.clients[i].next_submit_at = self.now + self.rng.range(1, 2 * gap.max(1));
        self.drain(Who::Client(i));
    }

    /// Datagrams for node `i` due now and not yet handled (its socket's).
    pub(super) fn input_waiting(&self, i: usize) -> bool {
        let now = self.now;
        let for_it = |item: &Item| matches!(item, Item::Datagram { to: Who::Node(j), .. } if *j == i);
        self.queue.iter().any(|Reverse((at, _, item))| *at <= now && for_it(item))
    }

    /// Sends everything `who` has to send and records everything it reports.
    pub(super) fn drain(&mut self, who: Who) {
        let now = self.now;
        let journaled = match who {
            Who::Node(i) => self.store(i),
            Who::Client(_) | Who::Attacker | Who::Tail(_) => Vec::new(),
        };
        let mut buf = std::mem::take(&mut self.buf);
        // A dying leader stops before any datagram of this turn or between
        // two (as a process killed between two sends), else after the last.
        let dying = match who {
            Who::Node(i) if self.dying && self.leader() == Some(i) => Some(i),
            _ => None,
        };
        let mut sent = 0;
        loop {
            let transmit = match who {
                Who::Node(i) => match self.nodes[i].node.as_mut() {
                    Some(node) => node.poll_transmit(now, &mut buf),
                    None => None,
                },
                Who::Client(i) => self.clients[i].client.poll_transmit(now, &mut buf),
                Who::Tail(i) => self.tails[i].tail.as_mut().and_then(|t| t.poll_transmit(now, &mut buf)),
                Who::Attacker => None,
            };
            let Some(transmit) = transmit else { break };
            if let Some(i) = dying
                && self.rng.chance(0.5)
            {
                self.kill(i);
                break;
            }
            self.route(who, transmit.dest, &buf[..transmit.len]);
            sent += 1;
        }
        if let Some(i) = dying
            && sent > 0
        {
            self.kill(i);
        }
        self.buf = buf;
        // A member killed before it sent what it journaled took it along.
        if matches!(who, Who::Node(i) if self.nodes[i].node.is_some()) {
            for (seq, client, request, payload) in journaled {
                self.history.journaled(now, seq, client, request, &payload);
            }
        }
        self.record_events(who);
    }

    pub(super) fn next_time(&self) -> Option<Nanos> {
        let queued = self.queue.peek().map(|Reverse((at, _, _))| *at);
        let nodes = self.nodes.iter().filter_map(|slot| {
            let node = slot.node.as_ref()?;
            let at = [node.poll_timeout(), slot.app_due()].into_iter().flatten().min()?;
            Some(slot.paused_until.map_or(at, |until| at.max(until)))
        });
        // One to replace is due at once (helper 164: with nothing else
        // due, a lone client was never replaced, and the run passed).
        let clients = self.clients.iter().flat_map(|c| {
            let submit = (c.to_submit > 0 && c.client.leader_restarted().is_none()).then_some(c.next_submit_at);
            let replace = self.replaceable(c).then_some(self.now);
            [submit, replace, c.client.poll_timeout()]
        });
        let tails = (0..self.tails.len()).filter_map(|i| self.tail_due(i));
        [queued].into_iter().chain(clients).flatten().chain(nodes).chain(tails).min()
    }

    pub(super) fn converged(&self) -> Result<(), String> {
        // A client told its requests are in doubt has no answer to wait
        // for, unless another takes its place to submit the rest.
        let waiting = |c: &ClientSlot| {
            (c.client.leader_restarted().is_none() && (c.to_submit > 0 || c.client.pending() > 0))
                || self.replaceable(c)
        };
        if let Some((i, c)) = self.clients.iter().enumerate().find(|(_, c)| waiting(c)) {
            return Err(format!("client {} has {} to submit, {} pending", i + 1, c.to_submit, c.client.pending()));
        }
        let Some(l) = self.leader() else { return Err("no leader".into()) };
        let leader = self.member(l).and_then(Member::leader).expect("a leader");
        let seq_next = leader.seq_next();
        if leader.commit() + 1 != seq_next {
            return Err(format!("leader {l} commit {} of {}", leader.commit(), seq_next - 1));
        }
        for (i, slot) in self.nodes.iter().enumerate() {
            let Some(node) = &slot.node else { return Err(format!("member {i} is down")) };
            let member = node.member();
            if i != l && (member.is_leader() || member.epoch() != leader.epoch()) {
                return Err(format!("member {i} is in epoch {}, leader {l} in {}", member.epoch(), leader.epoch()));
            }
            let next = Seq(self.history.next_of(slot.incarnation));
            if next != seq_next {
                return Err(format!("member {i} delivered up to {} of {}", next - 1, seq_next - 1));
            }
        }
        self.tails_converged(seq_next)
    }

    /// Whether journals that lost records (`--damages`, `--claim-losses`)
    /// left no whole copy of the commits: more members lost records than
    /// an election tolerates (`nodes - election_quorum`), and no member
    /// whose journal claims its log whole holds them all on disk (a
    /// reach past them aside: a log that holds every commit up to it
    /// covers it). No leader can be elected then, as none should be: the
    /// only copies left are on members that cannot tell them from a log
    /// short of a commit (the simulator's seed 20040807 of `--failover
    /// --journal --damages 2 --cluster-crashes 1`, and 11002262 of
    /// `--failover --journal --damages 3 --promotions 3 --count-incomplete
    /// --pauses 2`: two damaged members of three, the damaged ones the
    /// only holders). Helper 158: fewer such members leave a whole copy
    /// that an election must find, and a record is told by who sent it.
    fn no_whole_copy_left(&self) -> bool {
        let losers = self.nodes.iter().filter(|slot| slot.lost_records).count();
        if losers <= usize::from(self.core.nodes) - self.core.election_quorum() {
            return false;
        }
        let commit = self.history.commit_max();
        let whole = |slot: &NodeSlot| {
            slot.claim.is_some_and(|c| c.whole) && slot.reach.is_none_or(|reach| reach.seq.get() <= commit)
        };
        let holds_all = |(i, slot): (usize, &NodeSlot)| {
            let retained = self.config.retain_of(i) > 0;
            let from = slot.disk.keys().next().filter(|_| retained).map_or(1, |&first| first);
            let origin_at = |seq| {
                let (event, _) = crate::wire::EventRef::split(&slot.disk.get(&seq)?.2).ok()?;
                Some((event.header.client.get(), event.header.request.get()))
            };
            let told_lost = |seq: u64| slot.told.untold(seq, seq + 1).is_none();
            whole(slot) && self.history.holds_every_commit(from, origin_at, told_lost)
        };
        !self.nodes.iter().enumerate().any(holds_all)
    }

    pub(super) fn member(&self, i: usize) -> Option<&Member> {
        self.nodes[i].node.as_ref().map(|n| n.member())
    }

    /// The live member that leads in the newest epoch.
    pub(super) fn leader(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.member(i).is_some_and(Member::is_leader))
            .max_by_key(|&i| self.member(i).map_or(Epoch::ZERO, Member::epoch))
    }

    /// What every end checks: the disks and the clients' ids.
    fn check_at_end(&mut self) {
        self.tally();
        self.check_holes();
        self.check_client_ids();
        self.check_reflection();
    }

    pub(super) fn finish(&mut self, converged: Result<(), String>) {
        self.check_at_end();
        let seq_next =
            self.leader().map_or(0, |i| self.member(i).and_then(|m| m.leader()).map_or(0, |l| l.seq_next().get()));
        self.history.finish(self.now, seq_next, converged);
    }

    /// The end of a run whose leader was killed for good: each live
    /// follower's contiguous log is all it can ever deliver. (Not a
    /// tail's: it never infers a commit, so what it holds past the last
    /// commit it heard it may never deliver; each of its deliveries was
    /// checked as it came.)
    pub(super) fn finish_leaderless(&mut self) {
        self.check_at_end();
        let held: Vec<(usize, u64)> = (self.nodes.iter())
            .filter_map(|slot| Some((slot.incarnation, slot.node.as_ref()?.member().follower()?.seq_held().get())))
            .collect();
        self.history.finish_leaderless(self.now, &held);
    }

    /// Every simulated client has an id of its own and resends its own
    /// payloads (the attacker replays them unchanged): a leader that told
    /// one its id is in use (BUSY reason 8) stopped it for nothing; and
    /// none is told of commits a leader then has no record of.
    fn check_client_ids(&mut self) {
        for c in &self.clients {
            if let Some(request) = c.client.id_in_use() {
                let detail = format!("client {} told its id is in use at request {request}", c.client.id().get());
                self.history.fail(8, self.now, detail);
            }
        }
        // A leader that heard from a client told of commits it has no
        // record of lost them, or answered a client "in doubt" for nothing.
        if self.paths.told_unknown > 0 {
            let detail = format!(
                "{} SUBMITs from clients told of commits their leader had no record of",
                self.paths.told_unknown
            );
            self.history.fail(5, self.now, detail);
        }
        // A leader shown that its quorum lost an epoch clients heard of:
        // only a member restarted without its claim file forgets one.
        if self.paths.clients_ahead > 0 && self.config.claim_losses == 0 {
            let detail = format!("{} epochs clients named found lost by their leaders", self.paths.clients_ahead);
            self.history.fail(7, self.now, detail);
        }
    }

    /// Over the run, nodes sent the attacker's address at most three
    /// times the bytes it replayed to them (DESIGN §3, 9): its address
    /// stands for a victim's, which a recording replayed from there must
    /// not flood. (A copy of an ACK the leader never heard drew a member's
    /// repairs there until the replayer's address fell silent.)
    fn check_reflection(&mut self) {
        let (sent, drawn) = (self.paths.replayed_bytes, self.paths.drawn_bytes);
        if drawn > 3 * sent {
            let detail = format!("nodes sent the attacker {drawn} bytes for the {sent} it replayed to them");
            self.history.fail(9, self.now, detail);
        }
    }

    /// A journal holds its records without a hole, but for what its node
    /// was told is gone (UNRECOVERABLE): a write lost with the power is
    /// its newest, retention deletes its oldest, and a truncation drops a
    /// suffix, so nothing else can open one.
    fn check_holes(&mut self) {
        for (i, slot) in self.nodes.iter().enumerate() {
            let keys = slot.disk.keys().copied().collect::<Vec<_>>();
            for pair in keys.windows(2).filter(|pair| pair[1] > pair[0] + 1) {
                if let Some(seq) = slot.told.untold(pair[0] + 1, pair[1]) {
                    let detail = format!("member {i}'s journal lacks {seq} between {} and {}", pair[0], pair[1]);
                    self.history.fail(5, self.now, detail);
                }
            }
        }
    }

    /// Prints the end state when tracing; adds what the members and clients
    /// counted to the paths.
    pub(super) fn tally(&mut self) {
        if self.trace {
            for (i, slot) in self.nodes.iter().enumerate() {
                let Some(node) = &slot.node else { continue };
                let m = node.member();
                let f = m.follower().map(|f| (f.claim(), f.syncing(), f.may_vote(), f.commit(), f.seq_held()));
                eprintln!(
                    "end {i}: {m:?} {:?} follower (claim, syncing, may_vote, commit, held) {f:?}",
                    m.election_stats()
                );
                if let Some(f) = m.follower() {
                    eprintln!(
                        "    follower {:?} {:?} leader {:?} next {}",
                        f.stats(),
                        f.rejects(),
                        f.leader(),
                        f.seq_next_delivery()
                    );
                }
                if let Some(l) = m.leader() {
                    eprintln!("    leader {:?} commit {} next {}", l.stats(), l.commit(), l.seq_next());
                }
            }
            for slot in &self.clients {
                let c = &slot.client;
                eprintln!("client {}: to {} pending {} {:?}", c.id(), c.leader_addr(), c.pending(), c.stats());
            }
        }
        for slot in &self.nodes {
            if let Some(node) = &slot.node {
                self.paths.add_member(node.member());
            }
        }
        for slot in &self.clients {
            self.paths.client_retries += slot.client.stats().retries;
            self.paths.client_redirects += slot.client.stats().redirects;
        }
        self.tally_tails();
    }

    /// A member that journals writes what it handed out, as a driver does
    /// once a turn, before it sends; the simulated disk makes it durable
    /// [`SYNC_NS`](super::SYNC_NS) later (a crash before loses it), or at
    /// once without `journal_syncs` (`--sync none`). Returns
    /// the records, for the checker once they are on the wire (a leader
    /// journals before it sends).
    pub(super) fn store(&mut self, i: usize) -> Vec<Journaled> {
        if self.nodes[i].failed.is_some() {
            // Its journal failed: its driver writes nothing more, and
            // serves what the journal holds.
            self.serve_history(i);
            return Vec::new();
        }
        let fails = self.nodes[i].failing == Some(Failure::Full) && self.may_lose(i);
        let syncs = self.core_of(i).journal_syncs;
        let slot = &mut self.nodes[i];
        let asked = slot.node.as_ref().and_then(|n| n.journal_claim());
        let claim = asked.map(|claim| slot.claim_beside_reach(claim));
        let Some(node) = slot.node.as_mut() else { return Vec::new() };
        // A claim that is not whole is written before the truncation it was
        // taken for (a crash between the two keeps that claim).
        let claim_written = claim.is_some_and(|c| Some(c) != slot.claim);
        if fails && (claim_written || node.promise_unknown() && slot.claim.is_some()) && self.fail_rng.chance(0.25) {
            // On a full disk the claim's write fails first: nothing of the
            // turn reaches the disk, and the truncation it was taken for,
            // asked for, is not made.
            let cut = node.member_mut().poll_truncate();
            if self.trace {
                eprintln!(
                    "{:>12} member {i}'s disk is full at its claim {claim:?} (its cut to {cut:?} not made)",
                    self.now
                );
            }
            return self.fail_at_write(i);
        }
        if node.promise_unknown() {
            slot.claim = None;
        }
        if let Some(claim) = claim {
            // As its file keeps it, and its restart reads it back.
            slot.claim = Some(claim);
        }
        let mut whole_too_soon = None;
        if let Some(last) = node.member_mut().poll_truncate() {
            if fails && self.fail_rng.chance(0.75) {
                // On a full disk the cut fails (the journal writes the
                // commit file anew first): the records stay.
                if self.trace {
                    eprintln!("{:>12} member {i}'s disk is full at its cut to {last}", self.now);
                }
                return self.fail_at_write(i);
            }
            // Over the records about to go: a crash between would leave it
            // claiming more than it holds of that log.
            whole_too_soon = asked.filter(|c| c.whole).map(|c| (c, last));
            // What its records said committed, before some go: the
            // journal writes it to the commit file and syncs it.
            let records = slot.disk.values().map(|r| r.0).chain(slot.unsynced.iter().map(|(_, r)| r.1));
            let committed = records.max().unwrap_or(0).max(slot.commit_synced.unwrap_or(0)).min(last.get());
            slot.disk.retain(|&seq, _| seq <= last.get());
            slot.unsynced.retain(|&(_, (seq, ..))| seq <= last.get());
            // A commit past `last` goes with the records of another log;
            // what a follower of a sequencer knows committed stays, with
            // the epoch of the log it takes.
            let (known, epoch) = (node.member().known_committed().get(), node.member().epoch());
            let kept_epoch = slot.commit_file.map_or(Epoch::ZERO, |c| c.1);
            let file = (committed.max(known), if known >= committed { epoch } else { kept_epoch });
            if committed > 0 || known > 0 || slot.commit_file.is_some() {
                // Synced at every level, as the cut is.
                (slot.commit_file, slot.commit_synced, slot.file_synced) = (Some(file), Some(committed), Some(file));
            }
        }
        if let Some((claim, last)) = whole_too_soon {
            let detail = format!("member {i} persisted a whole claim {claim:?} before its truncation to {last}");
            self.history.fail(5, self.now, detail);
        }
        let mut written = Vec::new();
        let turn = slot.write_turns + 1;
        let unsynced_before = slot.unsynced.len();
        while let Some(append) = node.poll_append() {
            let (h, event) = (append.event.header, append.event);
            written.push(((h.seq.get(), append.commit.get()), h.client.get(), h.request.get(), event.payload.to_vec()));
            slot.unsynced.push((turn, (h.seq.get(), append.commit.get(), append.epoch, event.record.to_vec())));
        }
        if fails && !written.is_empty() {
            // The disk is full: the turn's appends stop part of the way
            // (what was written sits in the page cache, never synced), and
            // nothing of the turn goes out that its journal lacks.
            let kept = self.fail_rng.range(0, written.len() as u64 + 1) as usize;
            slot.unsynced.truncate(unsynced_before + kept);
            if node.member().is_leader() {
                // A leader sequenced what it wrote, and sends it if a
                // journal that holds it is elected again.
                let epoch = node.member().epoch().get();
                for ((seq, _), client, request, payload) in &written[..kept] {
                    self.history.stamped(self.now, epoch, *seq, *client, *request, payload);
                }
            }
            slot.write_turns = turn;
            self.paths.journaled += kept as u64;
            return self.fail_at_write(i);
        }
        // What it knows committed past its records, as its driver keeps it.
        let (known, epoch) = (node.turn_commit().get(), node.member().epoch());
        slot.keep_commit(known, epoch);
        if !written.is_empty() {
            slot.write_turns = turn;
            self.paths.journaled += written.len() as u64;
            if syncs {
                let sync = Fault::Sync(i, self.nodes[i].incarnation, turn);
                let jitter = match self.config.sync_jitter_ns {
                    0 => 0,
                    max => self.disk_rng.range(0, max),
                };
                self.push(self.now + super::SYNC_NS + jitter, Item::Fault(sync));
            } else {
                // `--sync none`: in the page cache once written, which a
                // crash of the process (all the simulator crashes) keeps.
                self.sync(i, turn);
            }
        }
        self.reach_regained(i);
        self.serve_history(i);
        written
    }

    /// Member `i`'s disk is full: the write its turn was at failed, and
    /// nothing more of the turn is written (nor reaches the checker: a
    /// leader sends none of it).
    fn fail_at_write(&mut self, i: usize) -> Vec<Journaled> {
        self.fail_journal(i, Failure::Full);
        self.serve_history(i);
        Vec::new()
    }

    /// Its driver removes the `reach` file once the member's log claims as
    /// much again and all it wrote is durable (its turns sync all they
    /// wrote; here a later turn's writes may be pending, and the log the
    /// member claims counts them), or once its journal claim is whole in an
    /// epoch that releases it (`Reach::released_by`; durable already).
    fn reach_regained(&mut self, i: usize) {
        let slot = &mut self.nodes[i];
        let Some(member) = slot.node.as_ref().map(|n| n.member()) else { return };
        let newer_whole = member.journal_claim().is_some_and(|c| c.whole && slot.reach_released_by(c.epoch));
        if member.damaged_reach().is_none() && (slot.unsynced.is_empty() || newer_whole) {
            (slot.reach, slot.reach_records) = (None, None);
        }
    }

    /// Member `i`'s configuration as it starts or restarts: in no epoch
    /// unless it is the sequencer without failover (`resume` sets the
    /// epoch a journaled one resumes in). A member
    /// with failover comes back empty into a running cluster and learns its
    /// leader by listening; a follower without failover, as the real
    /// driver starts one, takes the epoch of its first leader (with keys,
    /// of the first that answers its nonce), at the start too.
    pub(super) fn starting_core(&self, i: usize) -> crate::core::Config {
        let config = self.core_of(i);
        match self.config.failover_on() || usize::from(self.core.leader.0) != i {
            true => crate::core::Config { epoch: Epoch::ZERO, ..config },
            false => config,
        }
    }

    /// Member `i`'s configuration: the cluster's, but for a follower's
    /// durability with [`followers_syncs`](super::SimConfig::followers_syncs).
    pub(super) fn core_of(&self, i: usize) -> crate::core::Config {
        let journal_syncs = match self.config.followers_syncs {
            Some(syncs) if usize::from(self.core.leader.0) != i => syncs,
            _ => self.core.journal_syncs,
        };
        let deliver = self.nodes.get(i).map_or(self.core.deliver, |slot| slot.deliver);
        crate::core::Config { journal_syncs, deliver, ..self.core.clone() }
    }

    /// Member `i`'s disk synced what it wrote up to its write turn `turn`:
    /// durable now.
    pub(super) fn sync(&mut self, i: usize, turn: u64) {
        let slot = &mut self.nodes[i];
        if slot.failed.is_some() {
            // Its driver syncs no more.
            return;
        }
        let mut last = None;
        let synced = slot.unsynced.partition_point(|&(t, _)| t <= turn);
        for (_, (seq, commit, epoch, record)) in slot.unsynced.drain(..synced) {
            slot.disk.insert(seq, (commit, epoch, record));
            last = Some(seq);
        }
        // Retention, as the journal's: never a record past what its synced
        // records say is committed, nor the newest committed one, nor one
        // its application has not taken (`Journal::keep_unhanded`).
        let retain = self.config.retain_of(i);
        if retain > 0 {
            let records = slot.disk.values().map(|r| r.0).max().unwrap_or(0);
            let committed = records.max(slot.commit_synced.unwrap_or(0));
            let unhanded = slot.node.as_ref().map_or(u64::MAX, |n| n.member().seq_next_delivery().get());
            while slot.disk.len() as u64 > retain
                && slot.disk.keys().nth(1).is_some_and(|&s| s <= committed)
                && slot.disk.keys().next().is_some_and(|&s| s < unhanded)
            {
                slot.disk.pop_first();
                self.paths.retained_away += 1;
            }
        }
        if let (Some(last), Some(node)) = (last, slot.node.as_mut()) {
            node.handle_durable(Seq(last));
            if self.trace {
                eprintln!("{:>12} member {i} synced up to {last}", self.now);
            }
        }
        slot.keep_handed_out();
        // The reach goes before a claim it released (`claim_beside_reach`).
        self.reach_regained(i);
        let slot = &mut self.nodes[i];
        if let (Some(_), Some(node)) = (last, slot.node.as_ref()) {
            if node.promise_unknown() {
                slot.claim = None;
            }
            if let Some(claim) = node.journal_claim() {
                slot.claim = Some(slot.claim_beside_reach(claim));
            }
        }
    }

    /// A leader serves what left its ring from its disk, as a driver does
    /// from its journal (here at once, with no budget): what its disk no
    /// longer holds (retention deleted it), or never held (it was told it
    /// was lost), it answers UNRECOVERABLE, as far as its records reach.
    fn serve_history(&mut self, i: usize) {
        let now = self.now;
        let mut buf = std::mem::take(&mut self.buf);
        while let Some((dest, first, end)) = self.nodes[i].node.as_mut().and_then(|n| n.member_mut().poll_history(now))
        {
            let (mut next, end) = (first.get(), end.get());
            while next < end {
                let disk = &self.nodes[i].disk;
                // The first record at or after `next`; with none before
                // `end` (retention deleted them, or it holds nothing from
                // there on), all of it is gone. What it wrote and has not
                // synced yet it has: its ring holds that.
                let unsynced = self.nodes[i].unsynced.iter().any(|(_, r)| (next..end).contains(&r.0));
                let held = match disk.range(next..end).next() {
                    Some((&seq, _)) => seq,
                    None if unsynced => break,
                    None => end,
                };
                let Some(member) = self.nodes[i].node.as_mut().map(|n| n.member_mut()) else { break };
                if held > next {
                    let len = member.unrecoverable_frame(&mut buf, Seq(next), Seq(held));
                    if len == 0 {
                        break;
                    }
                    self.route(Who::Node(i), crate::core::Dest::Unicast(dest), &buf[..len]);
                    next = held;
                    if next == end {
                        break;
                    }
                }
                // The run of records from `held` on with nothing missing.
                let disk = &self.nodes[i].disk;
                let mut run_end = held;
                let mut records = Vec::new();
                for (&seq, (_, _, record)) in disk.range(held..end) {
                    if seq != run_end {
                        break;
                    }
                    records.extend_from_slice(record);
                    run_end += 1;
                }
                let mut at = 0;
                while at < records.len() {
                    let Some(node) = self.nodes[i].node.as_mut() else { break };
                    let (len, taken) = node.history_frame(now, &mut buf, &records[at..]);
                    if len == 0 {
                        break;
                    }
                    at += taken;
                    self.route(Who::Node(i), crate::core::Dest::Unicast(dest), &buf[..len]);
                }
                if at < records.len() {
                    break;
                }
                next = run_end;
            }
        }
        self.buf = buf;
    }
}

/// A record a member journaled: (its sequence, the commit then known), its
/// client, request and payload, for the checker.
pub(super) type Journaled = ((u64, u64), u32, u64, Vec<u8>);
