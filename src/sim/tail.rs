//! Read-only subscribers (`seqcast tail`): each starts at a random time
//! within the faults, from a random sequence, and replays what it missed
//! before it merges onto the live stream. The checker holds what a tail
//! delivers to what members must: in order from its start, what a leader
//! sent there and a client was told, only what was announced committed,
//! lost only where an UNRECOVERABLE it got said so, and at the end every
//! sequence from its start to the leader's.

use std::net::SocketAddr;

use super::network::{Item, Who};
use super::{Rng, Sim, Told};
use crate::core::{Config, Deliver, Epoch, Event, Follower, Nanos, Seq, Transmit};

/// What the simulator needs of a subscriber; implemented by [`Follower`]
/// (made with [`Follower::observe`]), and by deliberately broken variants
/// in tests, to show the checker can fail. Every method but
/// [`follower`](SimTail::follower) defaults to the follower's own.
pub trait SimTail {
    /// The subscriber inside.
    fn follower(&self) -> &Follower;
    /// The subscriber inside.
    fn follower_mut(&mut self) -> &mut Follower;
    /// See [`Follower::handle_datagram`].
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        self.follower_mut().handle_datagram(now, from, bytes)
    }
    /// See [`Follower::handle_timeout`].
    fn handle_timeout(&mut self, now: Nanos) {
        self.follower_mut().handle_timeout(now)
    }
    /// See [`Follower::poll_transmit`].
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        self.follower_mut().poll_transmit(now, buf)
    }
    /// See [`Follower::poll_timeout`].
    fn poll_timeout(&self) -> Option<Nanos> {
        self.follower().poll_timeout()
    }
    /// See [`Follower::poll_event`].
    fn poll_event(&mut self) -> Option<Event<'_>> {
        self.follower_mut().poll_event()
    }
    /// See [`Follower::deliver_until`].
    fn deliver_until(&mut self, last: Seq) {
        self.follower_mut().deliver_until(last)
    }
}

impl SimTail for Follower {
    fn follower(&self) -> &Follower {
        self
    }
    fn follower_mut(&mut self) -> &mut Follower {
        self
    }
}

/// Builds a subscriber of `config` from `from` at `now`.
pub type TailFactory<'a> = &'a dyn Fn(Config, Nanos, Seq) -> Box<dyn SimTail>;

pub(super) fn real_tail(config: Config, now: Nanos, from: Seq) -> Box<dyn SimTail> {
    Box::new(Follower::observe(config, now, from).expect("the simulator's config is valid"))
}

/// Datagrams a stopped tail's socket keeps for it (a receive buffer of
/// about 150 KB at the simulator's MTU); the rest are dropped, as the
/// kernel drops what comes to a full one.
const PARKED_MAX: usize = 256;

/// A tail cut off from the network for a while, one way or both.
#[derive(Clone, Copy, Debug)]
pub(super) struct TailCut {
    at: Nanos,
    until: Nanos,
    inbound: bool,
    outbound: bool,
}

pub(super) struct TailSlot {
    /// `None` until it starts.
    pub(super) tail: Option<Box<dyn SimTail>>,
    pub(super) start_at: Nanos,
    pub(super) from: u64,
    /// The last sequence it delivers (`seqcast tail --to`), if any.
    to: Option<u64>,
    /// Its incarnation in the history, once started.
    pub(super) incarnation: usize,
    /// Stopped (a Ctrl-Z) until then, with one pause in its life at most.
    pub(super) pause: Option<(Nanos, Nanos)>,
    /// Datagrams that waited in its socket while it was stopped.
    parked: usize,
    /// Cut off for a while, with one such cut in its life at most.
    cut: Option<TailCut>,
    pub(super) told: Told,
}

impl TailSlot {
    /// When it handles nothing, if it is stopped at `now`: until then.
    pub(super) fn paused(&self, now: Nanos) -> Option<Nanos> {
        self.pause.filter(|&(at, until)| at <= now && now < until).map(|(_, until)| until)
    }

    /// Whether what it sends (`outbound`) or what is sent to it is cut at `now`.
    pub(super) fn cut(&self, now: Nanos, outbound: bool) -> bool {
        self.cut.is_some_and(|c| c.at <= now && now < c.until && if outbound { c.outbound } else { c.inbound })
    }
}

impl Sim<'_> {
    /// Draws each tail's start, first sequence and pause from their own
    /// generator (runs without tails are what they were).
    pub(super) fn draw_tails(&mut self) -> Vec<TailSlot> {
        let mut rng = Rng::new(self.config.seed ^ 0x7a11_5eed);
        let span = self.config.fault_ns;
        (0..self.config.tails)
            .map(|_| {
                let start_at = rng.range(0, span);
                // From the start, from anywhere in the first half of what
                // is submitted (some of it sequenced before it came), or
                // now and then from past what will be (it waits for it).
                let events = self.config.events;
                let from = match rng.range(0, 8) {
                    0..4 => 1,
                    4..7 => rng.range(1, events / 2 + 2),
                    _ => rng.range(events + 1, events + events / 5 + 2),
                };
                // A quarter stop delivering at a sequence (`--to`).
                let to = rng.chance(0.25).then(|| from + rng.range(0, events / 2 + 1));
                // Half of them stop for a while, often longer than the
                // ring lasts: they come back to replay what left it.
                let pause = rng.chance(0.5).then(|| {
                    let at = rng.range(start_at, span);
                    (at, at + rng.range(100_000, span / 2))
                });
                // A third are cut off for a while: deaf to the group (and
                // to the answers to their NAKs), mute, or both.
                let cut = rng.chance(0.3).then(|| {
                    let at = rng.range(start_at, span);
                    let (inbound, outbound) = rng.pick(&[(true, true), (true, false), (false, true)]);
                    TailCut { at, until: at + rng.range(100_000, span / 2), inbound, outbound }
                });
                let (told, parked) = (Told::default(), 0);
                TailSlot { tail: None, start_at, from, to, incarnation: 0, pause, parked, cut, told }
            })
            .collect()
    }

    /// The last moment a tail's pause or cut ends (the faults last until then).
    pub(super) fn tails_heal_at(&self) -> Nanos {
        let ends = self.tails.iter().flat_map(|t| [t.pause.map(|p| p.1), t.cut.map(|c| c.until)]);
        ends.flatten().max().unwrap_or(0)
    }

    /// Starts tail `i` now, as `seqcast tail --from` does: in no epoch, which
    /// it takes from its leader's first frame (with keys, from the leader
    /// that answers its nonce); delivering on commit; keeping no journal.
    pub(super) fn start_tail(&mut self, i: usize) {
        let config = Config { epoch: Epoch::ZERO, deliver: Deliver::OnCommit, journal: false, ..self.core.clone() };
        let (from, to) = (self.tails[i].from, self.tails[i].to);
        let mut tail = (self.tail_factory)(config, self.now, Seq(from));
        if let Some(to) = to {
            tail.deliver_until(Seq(to));
        }
        let incarnation = self.history.tail_started(i, from, to.unwrap_or(u64::MAX));
        if self.trace {
            eprintln!("{:>12} tail {i} starts from {from} to {to:?}", self.now);
        }
        let slot = &mut self.tails[i];
        (slot.tail, slot.incarnation) = (Some(tail), incarnation);
    }

    /// Runs tail `i`'s first due step at `now`, if any: its start, or its
    /// timer. Returns whether it ran one.
    pub(super) fn step_tail(&mut self, i: usize) -> bool {
        let now = self.now;
        if self.tails[i].paused(now).is_some() {
            return false;
        }
        let start_at = self.tails[i].start_at;
        match self.tails[i].tail.as_mut() {
            None if start_at <= now => self.start_tail(i),
            Some(tail) if tail.poll_timeout().is_some_and(|at| at <= now) => tail.handle_timeout(now),
            _ => return false,
        }
        self.drain(Who::Tail(i));
        true
    }

    /// When tail `i` next has something to do.
    pub(super) fn tail_due(&self, i: usize) -> Option<Nanos> {
        let slot = &self.tails[i];
        let at = match &slot.tail {
            None => Some(slot.start_at),
            Some(tail) => tail.poll_timeout(),
        }?;
        Some(slot.paused(at).unwrap_or(at))
    }

    /// A datagram reaches tail `i`: one stopped finds it in its socket when
    /// it resumes, if the socket had room; one not started has no socket yet.
    pub(super) fn deliver_to_tail(&mut self, i: usize, from: Who, bytes: Vec<u8>) {
        let now = self.now;
        if let Some(until) = self.tails[i].paused(now) {
            if self.tails[i].parked == PARKED_MAX {
                self.paths.dropped += 1;
                return;
            }
            self.tails[i].parked += 1;
            return self.push(until, Item::Datagram { to: Who::Tail(i), from, bytes });
        }
        let from = self.addr_now(from);
        let slot = &mut self.tails[i];
        let Some(tail) = slot.tail.as_mut() else { return };
        tail.handle_datagram(now, from, &bytes);
        slot.told.note_unrecoverable(&bytes, tail.follower().epoch());
        self.drain(Who::Tail(i));
    }

    /// What tail `i` handed its application, checked.
    pub(super) fn record_tail_events(&mut self, i: usize) {
        let (now, commit) = (self.now, self.commit_max());
        let slot = &mut self.tails[i];
        let incarnation = slot.incarnation;
        let Some(tail) = slot.tail.as_mut() else { return };
        let (mut delivered, mut lost, mut restarted) = (Vec::new(), Vec::new(), None);
        while let Some(event) = tail.poll_event() {
            match event {
                Event::Deliver(e) => {
                    let (seq, client, request) = (e.header.seq.get(), e.header.client.get(), e.header.request.get());
                    self.history.delivered(now, incarnation, seq, client, request, e.payload);
                    delivered.push(seq);
                }
                Event::Lost { first, end } => {
                    self.history.lost(now, incarnation, first.get(), end.get(), commit);
                    lost.push((first.get(), end.get()));
                }
                // `seqcast tail` stops there, having said so.
                Event::LeaderRestarted { old, new, .. } => restarted = Some((old, new)),
            }
        }
        self.check_committed(Who::Tail(i), &delivered, commit);
        self.check_told(Who::Tail(i), &lost);
        // The real tail stops there. It is told so only of a leader
        // short of what it heard committed (or, where followers may infer
        // commits, sent): the simulator's leaders begin from what their
        // disks hold, which is never short of what they sent where
        // followers infer (they write it before they send).
        if let Some((old, new)) = restarted {
            let short = self.tails[i].tail.as_ref().and_then(|t| t.follower().short_leader());
            self.history.epoch_changed(now, old.get(), new.get(), short);
        }
        // The real tail stops there too: a payload longer than its
        // `payload_max`, which the simulator's nodes share.
        if let Some((seq, len)) = self.tails[i].tail.as_ref().and_then(|t| t.follower().too_long()) {
            self.history.fail(4, now, format!("tail {i} got seq {seq} with a payload of {len} bytes, too long for it"));
        }
    }

    /// Each tail started and delivered (or was told lost) everything from
    /// its start up to the leader's `seq_next`.
    pub(super) fn tails_converged(&self, seq_next: Seq) -> Result<(), String> {
        for (i, slot) in self.tails.iter().enumerate() {
            if slot.tail.is_none() {
                return Err(format!("tail {i} has not started"));
            }
            let next = self.history.next_of(slot.incarnation);
            if next < self.history.end_of(slot.incarnation, seq_next.get()) {
                return Err(format!("tail {i} delivered up to {} of {}", next - 1, seq_next - 1));
            }
        }
        Ok(())
    }

    /// Adds what the tails counted to the paths.
    pub(super) fn tally_tails(&mut self) {
        for (i, slot) in self.tails.iter().enumerate() {
            let Some(tail) = &slot.tail else { continue };
            let f = tail.follower();
            let s = f.stats();
            if self.trace {
                let next = f.seq_next_delivery();
                eprintln!("end tail {i}: from {} next {next} commit {} {s:?} {:?}", slot.from, f.commit(), f.rejects());
            }
            self.paths.tail_delivered += s.delivered;
            self.paths.tail_lost += s.lost;
            self.paths.tail_naks += s.naks_sent;
            self.paths.tail_from_members += s.events_from_members;
            self.paths.tail_suffix_dropped += s.suffix_dropped;
            self.paths.tail_epochs_followed += s.leaders_joined;
        }
    }
}
