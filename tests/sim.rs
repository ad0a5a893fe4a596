//! The deterministic simulator: many seeds through loss, duplication,
//! reordering, crashes and partitions, each checked against DESIGN §3.

use std::net::SocketAddr;

use seqcast::core::{Config, Event, Follower, FollowerStats, Nanos, NodeId, Transmit};
use seqcast::sim::{self, FollowerNode, Paths, SimConfig};
use seqcast::wire;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[test]
fn a_thousand_mixed_seeds_hold_every_invariant_and_hit_every_path() {
    let outcomes = sim::run_seeds(0..1000, threads(), &SimConfig::mixed);
    let mut paths = Paths::default();
    for outcome in &outcomes {
        if let Some(violation) = &outcome.violation {
            panic!(
                "seed {}: {violation}\nreplay: cargo run --release -- sim --seed {} --seeds 1",
                outcome.seed, outcome.seed
            );
        }
        paths.add(&outcome.paths);
    }
    for (name, count) in paths.rows() {
        println!("{name:>24} {count}");
        assert!(count > 0, "no seed exercised {name}");
    }
}

#[test]
fn a_clean_network_needs_no_repair() {
    let outcome = sim::run(&SimConfig::new(3));
    assert_eq!(outcome.violation, None);
    let paths = outcome.paths;
    assert_eq!((paths.naks_sent, paths.retransmitted, paths.unrecoverable, paths.lost), (0, 0, 0, 0));
    assert_eq!(paths.committed, 300);
    assert_eq!(paths.delivered, 600, "both followers deliver every event");
}

#[test]
fn a_seed_replays_exactly() {
    let config = SimConfig { loss: 0.1, dup: 0.05, reorder: 0.2, crashes: 2, partitions: 2, ..SimConfig::new(99) };
    let (a, b) = (sim::run(&config), sim::run(&config));
    assert_eq!((a.paths, a.end_ns), (b.paths, b.end_ns));
    assert_ne!(sim::run(&SimConfig { seed: 100, ..config }).paths, a.paths);
}

#[test]
fn twenty_percent_loss_with_crashes_and_partitions_converges() {
    let make =
        |seed| SimConfig { loss: 0.2, dup: 0.05, reorder: 0.2, crashes: 2, partitions: 2, ..SimConfig::mixed(seed) };
    for outcome in sim::run_seeds(5000..5100, threads(), &make) {
        assert_eq!(outcome.violation, None, "seed {}", outcome.seed);
    }
}

/// A follower with a bug the checker must see.
struct Broken {
    inner: Follower,
    bug: Bug,
}

#[derive(Clone, Copy)]
enum Bug {
    /// Skips the delivery of one sequence, as a follower that jumped a gap would.
    SkipSeq(u64),
    /// Flips a payload byte of every DATA it receives (CRC recomputed).
    CorruptPayload,
}

impl FollowerNode for Broken {
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        let mut bytes = bytes.to_vec();
        let is_data = matches!(wire::parse(&bytes).map(|d| d.header.kind()), Ok(wire::Kind::Data));
        // The first payload byte of the first record: header, batch head, event header.
        let payload_at = 32 + 24 + 32;
        if matches!(self.bug, Bug::CorruptPayload) && is_data && bytes.len() > payload_at && bytes[payload_at - 4] != 0
        {
            bytes[payload_at] ^= 0xff;
            wire::seal(&mut bytes);
        }
        self.inner.handle_datagram(now, from, &bytes)
    }
    fn handle_timeout(&mut self, now: Nanos) {
        self.inner.handle_timeout(now)
    }
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        self.inner.poll_transmit(now, buf)
    }
    fn poll_timeout(&self) -> Option<Nanos> {
        self.inner.poll_timeout()
    }
    fn poll_event(&mut self) -> Option<Event<'_>> {
        if let Bug::SkipSeq(seq) = self.bug
            && self.inner.seq_next_delivery() == seq
        {
            let _ = self.inner.poll_event();
        }
        self.inner.poll_event()
    }
    fn stats(&self) -> FollowerStats {
        *self.inner.stats()
    }
}

fn run_broken(bug: Bug) -> Option<sim::Violation> {
    let factory = move |config: Config, id: NodeId, now: Nanos| -> Box<dyn FollowerNode> {
        Box::new(Broken { inner: Follower::new(config, id, now).unwrap(), bug })
    };
    let config = SimConfig { loss: 0.05, reorder: 0.1, ..SimConfig::new(7) };
    sim::run_with(&config, &factory).violation
}

#[test]
fn the_checker_catches_a_follower_that_skips_an_event() {
    let violation = run_broken(Bug::SkipSeq(10)).expect("a skipped event must be caught");
    assert_eq!(violation.invariant, 2, "{violation}");
    assert!(violation.detail.contains("seq 11 when 10 was next"), "{violation}");
}

#[test]
fn the_checker_catches_a_follower_that_corrupts_payloads() {
    let violation = run_broken(Bug::CorruptPayload).expect("corruption must be caught");
    assert_eq!(violation.invariant, 4, "{violation}");
}
