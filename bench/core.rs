//! What the sans-IO cores cost on this machine's CPU, with no socket and
//! no other process: a client, a leader and its followers exchanging their
//! datagrams in one thread, one event committed at a time, timed hop by
//! hop; a read-only subscriber catching up on frames of history; and a
//! journal's work per record, writing to and reading from the page cache
//! (the only system calls here). `cargo bench --bench core`. Every figure
//! is the median of 5 runs; the clock read around each hop (two per hop)
//! is in the figures.
//!
//! What the cores cost on the commit path bounds what any tuning of the
//! driver can take off the commit latency, and the leader's cost per ACK is
//! what each follower adds to its CPU before any system call.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use seqcast::core::{Client, Config, Dest, Follower, Leader, Transmit};
use seqcast::journal::{Journal, JournalOptions, ReadPos, SyncLevel};
use seqcast::types::{ClientId, Epoch, NodeId, Seq};
use seqcast::wire::{EventHeader, FrameWriter, Header, Kind, record_len};
use zerocopy::IntoBytes;

/// Payload bytes of each event, as the main bench's load generator sends.
const PAYLOAD: usize = 64;

/// Datagrams waiting to be handed on: each with its destination and sender.
struct Outbox {
    bytes: Vec<u8>,
    sent: Vec<(Dest, SocketAddr, usize, usize)>,
    buf: Vec<u8>,
}

impl Outbox {
    fn new() -> Outbox {
        Outbox { bytes: Vec::with_capacity(1 << 20), sent: Vec::with_capacity(256), buf: vec![0; 2048] }
    }

    /// Takes everything `poll` has to send, as sent from `from`.
    fn take(&mut self, from: SocketAddr, mut poll: impl FnMut(&mut [u8]) -> Option<Transmit>) {
        while let Some(tx) = poll(&mut self.buf) {
            let at = self.bytes.len();
            self.bytes.extend_from_slice(&self.buf[..tx.len]);
            self.sent.push((tx.dest, from, at, tx.len));
        }
    }

    /// Hands each datagram to `deliver`, keeping them.
    fn visit(&self, mut deliver: impl FnMut(Dest, SocketAddr, &[u8])) {
        for &(dest, from, at, len) in &self.sent {
            deliver(dest, from, &self.bytes[at..at + len]);
        }
    }

    /// Hands each datagram to `deliver` and empties the outbox.
    fn drain(&mut self, deliver: impl FnMut(Dest, SocketAddr, &[u8])) {
        self.visit(deliver);
        self.sent.clear();
        self.bytes.clear();
    }
}

/// Nanoseconds of each hop of one commit, averaged over a run.
#[derive(Clone, Copy, Default)]
struct Hops {
    /// The leader: a SUBMIT in, its DATA out.
    submit: f64,
    /// One follower: the DATA in, its ACK out (the mean over followers).
    data: f64,
    /// The leader: the ACKs in, the COMMIT (and any commit HEARTBEAT) out.
    acks: f64,
    /// The followers: the leader's commit HEARTBEAT in, if it sent one (all of them).
    heartbeat: f64,
    /// The client: the COMMIT in, the committed request out.
    commit: f64,
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `cycles` commits of one event each through a leader, `followers`
/// followers (quorum a majority) and a client, 50 µs apart on a made-up clock.
fn commit_cycles(followers: usize, cycles: u64) -> Hops {
    let config = Config { nodes: followers as u16 + 1, ..Config::default() };
    let (leader_addr, client_addr) = (addr(1), addr(2));
    let mut now = 1_000_000;
    let mut leader = Leader::new(config.clone(), now).expect("valid config");
    let mut nodes: Vec<(Follower, SocketAddr)> = (1..=followers)
        .map(|id| (Follower::new(config.clone(), NodeId(id as u16), now).expect("valid"), addr(10 + id as u16)))
        .collect();
    let mut client = Client::new(config, ClientId(1), leader_addr).expect("valid config");
    let payload = [5u8; PAYLOAD];
    let (mut out, mut back) = (Outbox::new(), Outbox::new());
    let mut sum = Hops::default();
    let mut committed = 0;
    for _ in 0..cycles {
        now += 50_000;
        client.submit(&payload).expect("room for one");
        out.take(client_addr, |buf| client.poll_transmit(now, buf));

        let began = Instant::now();
        out.drain(|_, from, bytes| leader.handle_datagram(now, from, bytes));
        back.take(leader_addr, |buf| leader.poll_transmit(now, buf));
        while leader.poll_event().is_some() {}
        sum.submit += began.elapsed().as_nanos() as f64;

        let began = Instant::now();
        back.drain(|dest, from, bytes| {
            assert_eq!(dest, Dest::Group, "a leader's first answer to a SUBMIT is its DATA");
            for (follower, me) in &mut nodes {
                follower.handle_datagram(now, from, bytes);
                out.take(*me, |buf| follower.poll_transmit(now, buf));
                while follower.poll_event().is_some() {}
            }
        });
        sum.data += began.elapsed().as_nanos() as f64 / followers as f64;

        let began = Instant::now();
        out.drain(|_, from, bytes| leader.handle_datagram(now, from, bytes));
        back.take(leader_addr, |buf| leader.poll_transmit(now, buf));
        while leader.poll_event().is_some() {}
        sum.acks += began.elapsed().as_nanos() as f64;

        // The commit HEARTBEAT reaches the followers before the COMMIT goes
        // out (the leader sends it first); time the followers on it alone.
        let began = Instant::now();
        back.visit(|dest, from, bytes| match dest {
            Dest::Group => {
                for (follower, me) in &mut nodes {
                    follower.handle_datagram(now, from, bytes);
                    out.take(*me, |buf| follower.poll_transmit(now, buf));
                    while follower.poll_event().is_some() {}
                }
            }
            Dest::Unicast(to) => assert_eq!(to, client_addr, "only the client is sent to in a commit cycle"),
        });
        sum.heartbeat += began.elapsed().as_nanos() as f64;
        // Whatever the followers answered the HEARTBEAT with.
        out.drain(|_, from, bytes| leader.handle_datagram(now, from, bytes));
        back.take(leader_addr, |buf| leader.poll_transmit(now, buf));

        let began = Instant::now();
        back.drain(|dest, from, bytes| {
            if dest == Dest::Unicast(client_addr) {
                client.handle_datagram(now, from, bytes);
            }
        });
        while client.poll_event().is_some() {
            committed += 1;
        }
        sum.commit += began.elapsed().as_nanos() as f64;
    }
    assert_eq!(committed, cycles, "every cycle commits its event");
    let n = cycles as f64;
    Hops {
        submit: sum.submit / n,
        data: sum.data / n,
        acks: sum.acks / n,
        heartbeat: sum.heartbeat / n,
        commit: sum.commit / n,
    }
}

/// The event record of sequence `seq`: client 1's request `seq`, a
/// [`PAYLOAD`]-byte payload.
fn event_record(seq: u64) -> Vec<u8> {
    let mut event = EventHeader::unstamped(ClientId(1), seq, PAYLOAD as u16);
    event.seq = seq.into();
    let mut record = event.as_bytes().to_vec();
    record.extend_from_slice(&[7u8; PAYLOAD]);
    record.resize(record_len(PAYLOAD), 0);
    record
}

/// RETRANSMIT frames of events `1..=events`, as a leader serves history.
fn history_frames(config: &Config, events: u64) -> Vec<Vec<u8>> {
    let header = Header::new(Kind::Retransmit, 0, config.cluster_id, config.epoch);
    let mut frames = Vec::new();
    let mut seq = 1;
    while seq <= events {
        let mut buf = vec![0u8; config.mtu];
        let mut writer = FrameWriter::batch(&mut buf, &header, Kind::Retransmit, Seq(events), 1).expect("room");
        while seq <= events {
            if !writer.push_record(&event_record(seq)) {
                break;
            }
            seq += 1;
        }
        let len = writer.finish();
        buf.truncate(len);
        frames.push(buf);
    }
    frames
}

/// Nanoseconds per event a read-only subscriber takes to check, keep and
/// deliver history frames, in order, from sequence 1.
fn catch_up(frames: &[Vec<u8>], events: u64) -> f64 {
    let config = Config::default();
    let (leader, now) = (addr(1), 1_000_000);
    let mut observer = Follower::observe(config, now, Seq(1)).expect("valid config");
    let mut buf = vec![0u8; 2048];
    let mut delivered = 0;
    let began = Instant::now();
    for frame in frames {
        observer.handle_datagram(now, leader, frame);
        while observer.poll_event().is_some() {
            delivered += 1;
        }
        while observer.poll_transmit(now, &mut buf).is_some() {}
    }
    let ns = began.elapsed().as_nanos() as f64 / events as f64;
    assert_eq!(delivered, events, "every event delivered");
    ns
}

/// Nanoseconds per record a journal at `--sync none` takes to append
/// `events` records, `batch` a turn (14: a full DATA; 448: 32 of them, a
/// busy follower's turn), and write each turn's to the page cache; then
/// to read them all back as a leader serves history (1,024 records a
/// read, each record's CRC checked). In a fresh directory `dir`.
fn journal_work(dir: &std::path::Path, events: u64, batch: u64) -> (f64, f64) {
    let config = Config::default();
    let _ = std::fs::remove_dir_all(dir);
    let options = JournalOptions { sync: SyncLevel::None, ..JournalOptions::new(dir, &config, NodeId(1)) };
    let (mut journal, _) = Journal::open(options).expect("a journal in the bench's directory");
    let records: Vec<Vec<u8>> = (1..=events).map(event_record).collect();
    let began = Instant::now();
    for (i, record) in records.iter().enumerate() {
        journal.append(Epoch(1), Seq(i as u64), record).expect("appended");
        if (i as u64 + 1).is_multiple_of(batch) {
            journal.write().expect("written");
        }
    }
    journal.write().expect("written");
    let append = began.elapsed().as_nanos() as f64 / events as f64;
    let (mut pos, mut next, mut read) = (ReadPos::default(), Seq(1), 0u64);
    let began = Instant::now();
    while next <= Seq(events) {
        next = journal.read_on(&mut pos, next, Seq(events + 1), (1024, usize::MAX), |_| read += 1).expect("read back");
    }
    let read_ns = began.elapsed().as_nanos() as f64 / events as f64;
    assert_eq!(read, events, "every record read back");
    drop(journal);
    let _ = std::fs::remove_dir_all(dir);
    (append, read_ns)
}

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let cycles = if quick { 20_000 } else { 100_000 };
    println!("seqcast core bench: the sans-IO cores in one thread, no sockets; median of 5 runs");
    println!(
        "commit of one {PAYLOAD}-byte event, ns per hop ({cycles} cycles a run):\n  {:<22} {:>10} {:>14} {:>12} {:>16} {:>10} {:>14}",
        "cluster", "leader:", "each follower:", "leader:", "followers:", "client:", "leader per"
    );
    println!(
        "  {:<22} {:>10} {:>14} {:>12} {:>16} {:>10} {:>14}",
        "", "SUBMIT", "DATA", "ACKs", "commit HEARTBEAT", "COMMIT", "commit"
    );
    for followers in [2usize, 4, 8] {
        let runs: Vec<Hops> = (0..5).map(|_| commit_cycles(followers, cycles)).collect();
        let m = |f: fn(&Hops) -> f64| median(runs.iter().map(f).collect());
        let (submit, data, acks, heartbeat, commit) =
            (m(|h| h.submit), m(|h| h.data), m(|h| h.acks), m(|h| h.heartbeat), m(|h| h.commit));
        // A majority of the nodes, the leader among them.
        let quorum = followers.div_ceil(2) + 1;
        println!(
            "  {:<22} {submit:>10.0} {data:>14.0} {acks:>12.0} {heartbeat:>16.0} {commit:>10.0} {:>14.0}",
            format!("{followers} followers, quorum {quorum}"),
            submit + acks
        );
    }
    let events = if quick { 500_000 } else { 2_000_000 };
    let config = Config::default();
    let frames = history_frames(&config, events);
    let runs: Vec<f64> = (0..5).map(|_| catch_up(&frames, events)).collect();
    println!(
        "read-only subscriber catching up, {events} events in {} RETRANSMITs: {} ns per event",
        frames.len(),
        spread(runs)
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/core-journal");
    // A first run, not timed: a VM may back each page of memory only when
    // it is first written, which the runs would time otherwise.
    journal_work(&dir, events, 14);
    println!("journal at --sync none, {events} records of {PAYLOAD} B, ns per record, median of 5 (range):");
    for batch in [14, 448] {
        let runs: Vec<(f64, f64)> = (0..5).map(|_| journal_work(&dir, events, batch)).collect();
        let (append, read): (Vec<f64>, Vec<f64>) = runs.into_iter().unzip();
        println!("  append + write, {batch:>3} a turn: {}; read back, 1,024 a read: {}", spread(append), spread(read));
    }
}

/// The median of `runs` and their range.
fn spread(runs: Vec<f64>) -> String {
    let (low, high) = (runs.iter().copied().fold(f64::MAX, f64::min), runs.iter().copied().fold(0.0, f64::max));
    format!("{:.1} ({low:.1}–{high:.1})", median(runs))
}
