//! The leader's tests: round-trip samples, and that without failover
//! followers hear of a commit before its client does.
use super::*;
use crate::core::{ACK_REFRESH_NS, Follower};
use std::ops::RangeInclusive;

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A leader that took one event from client 7 (at `addr(9)`) at 10 ns
/// and sent it at 20 ns: the leader, and that DATA.
fn one_event_sent(config: &Config) -> (Leader, Vec<u8>) {
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut buf = vec![0; config.mtu];
    client.submit(b"e").unwrap();
    let submit = client.poll_transmit(0, &mut buf).unwrap();
    leader.handle_datagram(10, addr(9), &buf[..submit.len]);
    let data = leader.poll_transmit(20, &mut buf).unwrap();
    (leader, buf[..data.len].to_vec())
}

/// As [`one_event_sent`], follower 1 (at `addr(11)`) holding the event and
/// its ACK taken at 50 ns.
fn one_event_acked_by_follower_1(config: &Config) -> Leader {
    let (mut leader, data) = one_event_sent(config);
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    follower.handle_datagram(30, addr(1), &data);
    let ack = follower.poll_transmit(40, &mut buf).unwrap();
    leader.handle_datagram(50, addr(11), &buf[..ack.len]);
    leader
}

/// DESIGN §8: with a journal, a follower ACKs only what its driver made
/// durable, and the leader counts itself only for what it made durable.
#[test]
fn with_a_journal_acks_and_the_leaders_own_count_wait_for_the_disk() {
    let config = Config { journal: true, ..Config::default() };
    let (mut leader, data) = one_event_sent(&config);
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    follower.handle_datagram(30, addr(1), &data);
    // Its first ACK says where it is, and that it holds nothing durable.
    let hello = follower.poll_transmit(40, &mut buf).expect("a first ACK");
    match crate::wire::parse(&buf[..hello.len]).unwrap().frame {
        Frame::Ack(ack) => assert_eq!(ack.seq_held.get(), 0, "nothing durable: nothing held"),
        other => panic!("{other:?}"),
    }
    assert_eq!(follower.poll_transmit(40, &mut buf), None, "nothing durable: no more");
    let append = follower.poll_append().expect("the event to append");
    assert_eq!((append.epoch, append.commit, append.event.header.seq()), (config.epoch, Seq::ZERO, Seq(1)));
    assert_eq!(follower.poll_append(), None, "handed out once");
    follower.handle_durable(Seq(1));
    let ack = follower.poll_transmit(50, &mut buf).expect("an ACK once it is durable");
    assert_eq!(leader.ack_durability()[1], None, "no ACK heard yet");
    leader.handle_datagram(60, addr(11), &buf[..ack.len]);
    assert_eq!(leader.ack_durability()[1], Some(Durability::Synced), "its flags say it syncs");
    assert_eq!(leader.commit(), Seq::ZERO, "the leader's own write is not durable yet");
    let append = leader.poll_append().expect("the leader appends what it stamped");
    assert_eq!(append.event.header.seq(), Seq(1));
    leader.handle_durable(Seq(1));
    assert_eq!(leader.commit(), Seq(1), "the leader and follower 1 hold it on disk: a quorum of 2");
    assert_eq!(follower.commit(), Seq::ZERO, "with a journal a follower infers no commit");
}

/// An operator trial: a sequencer whose journal filled its disk went on
/// multicasting what it could not journal, so its followers held events
/// its journal lacked (DESIGN §8). Once the driver says the journal
/// failed, nothing past what it made durable goes out.
#[test]
fn a_leader_whose_journal_failed_sends_nothing_its_journal_lacks() {
    let config = Config { journal: true, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut buf = vec![0; config.mtu];
    // The sequences the datagrams' batches of `kind` carry.
    let seqs = |datagrams: Vec<Vec<u8>>, kind: Kind| -> Vec<u64> {
        let frames = datagrams.iter().map(|d| crate::wire::parse(d).unwrap().frame);
        let batches = frames.filter_map(|f| match f {
            Frame::Data(batch) if kind == Kind::Data => Some(batch.events),
            Frame::Retransmit(batch) if kind == Kind::Retransmit => Some(batch.events),
            _ => None,
        });
        batches.flatten().map(|e| e.header.seq.get()).collect()
    };
    client.submit(b"a").unwrap();
    let submit = client.poll_transmit(0, &mut buf).unwrap();
    leader.handle_datagram(10, addr(9), &buf[..submit.len]);
    assert!(leader.poll_append().is_some(), "event 1 is appended");
    leader.handle_durable(Seq(1));
    assert_eq!(seqs(sent(&mut leader, 20), Kind::Data), [1]);
    // Event 2 is stamped and handed to the journal, whose write fails.
    client.submit(b"b").unwrap();
    let submit = client.poll_transmit(30, &mut buf).unwrap();
    leader.handle_datagram(40, addr(9), &buf[..submit.len]);
    assert!(leader.poll_append().is_some(), "event 2 is handed to the journal");
    leader.journal_failed();
    assert!(leader.is_journal_failed());
    assert_eq!(seqs(sent(&mut leader, 50), Kind::Data), Vec::<u64>::new(), "event 2 is in no journal: it stays");
    assert_eq!(leader.in_flight(), 2);
    // Neither a HEARTBEAT nor a repair tells of it.
    let later = 50 + config.heartbeat_interval_ns;
    let heartbeats: Vec<u64> = sent(&mut leader, later)
        .iter()
        .filter_map(|d| match crate::wire::parse(d).unwrap().frame {
            Frame::Heartbeat(h) => Some(h.seq_next.get()),
            _ => None,
        })
        .collect();
    assert_eq!(heartbeats, [2], "the next sequence a follower may hear of is 2");
    leader.handle_datagram(later + 10, addr(11), &nak(&config, 1, 1, 3));
    let repaired = seqs(sent(&mut leader, later + 20), Kind::Retransmit);
    assert_eq!(repaired, [1], "a NAK for 1..3 is answered with 1 alone");
}

/// A driver reads a batch of datagrams before it polls events: every ACK
/// of the batch must still yield its round-trip sample.
#[test]
fn every_ack_of_a_turn_gives_a_round_trip_sample() {
    let config = Config::default();
    let (mut leader, data) = one_event_sent(&config);
    let mut buf = vec![0; config.mtu];
    let mut acks = Vec::new();
    for id in [1, 2] {
        let mut follower = Follower::new(config.clone(), NodeId(id), 0).unwrap();
        follower.handle_datagram(30, addr(1), &data);
        let ack = follower.poll_transmit(40, &mut buf).unwrap();
        acks.push((id, buf[..ack.len].to_vec()));
    }
    for (id, ack) in &acks {
        leader.handle_datagram(100, addr(10 + id), ack);
    }
    let samples: Vec<_> = std::iter::from_fn(|| leader.poll_event())
        .filter_map(|e| match e {
            LeaderEvent::AckRtt { node, rtt_ns } => Some((node, rtt_ns)),
            LeaderEvent::Committed { .. } => None,
        })
        .collect();
    // Sent at 20, echoed after 10 ns at the follower, back at 100.
    assert_eq!(samples, [(NodeId(1), 70), (NodeId(2), 70)]);
    assert_eq!(leader.stats().rtt_samples_dropped, 0);
}

/// Invariant 5 without failover: a leader killed between two sends must
/// not have told a client of a commit that no follower knows of, or the
/// followers stop short of an event called committed. With 3 nodes a
/// follower holding the event knows before its ACK leaves, and the
/// client's COMMIT goes at once; with 5, a HEARTBEAT goes first. With
/// failover followers infer nothing, and the next leader would commit
/// what a quorum holds: the client's COMMIT goes first, the HEARTBEAT
/// right after it.
#[test]
fn followers_know_of_a_commit_before_its_client_does_unless_an_election_would_finish_it() {
    let group_first = &[Dest::Group, Dest::Unicast(addr(9))][..];
    let (client_first, at_once) = (&[Dest::Unicast(addr(9)), Dest::Group][..], &[Dest::Unicast(addr(9))][..]);
    for (nodes, failover, infers, order) in [
        (3, Failover::Off, true, at_once),
        (5, Failover::Off, false, group_first),
        (3, Failover::Auto, false, client_first),
        (5, Failover::Auto, false, client_first),
    ] {
        let config = Config { nodes, failover, ..Config::default() };
        let (mut leader, data) = one_event_sent(&config);
        let mut buf = vec![0; config.mtu];
        let mut acked = 0;
        for id in 1..nodes {
            let mut follower = Follower::new(config.clone(), NodeId(id), 0).unwrap();
            follower.handle_datagram(30, addr(1), &data);
            assert_eq!(follower.commit(), Seq(u64::from(infers)), "{nodes} nodes, {failover:?}: follower {id}");
            if leader.commit() == Seq::ZERO {
                let ack = follower.poll_transmit(40, &mut buf).unwrap();
                leader.handle_datagram(50, addr(10 + id), &buf[..ack.len]);
                acked += 1;
            }
        }
        assert_eq!((leader.commit(), acked), (Seq(1), config.quorum() - 1));
        let sent: Vec<Dest> = std::iter::from_fn(|| leader.poll_transmit(60, &mut buf).map(|t| t.dest)).collect();
        assert_eq!(sent, order, "{nodes} nodes, {failover:?}");
    }
}

/// One step of a random schedule for the property below.
#[derive(Clone, Debug)]
enum Step {
    /// Client `0` or `1` submits this many events.
    Submit(usize, usize),
    /// A follower (`0` to `3`, modulo their number) sends the leader
    /// what it has to send (ACKs).
    Answer(usize),
    /// The leader sends what it has to send.
    Send,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0..2usize, 1..4usize).prop_map(|(c, n)| Step::Submit(c, n)),
        (0..4usize).prop_map(Step::Answer),
        Just(Step::Send),
    ]
}

proptest::proptest! {
    /// Invariant 5 without failover, over any interleaving and with 3
    /// or 5 nodes: whenever the leader tells a client that sequence `s`
    /// committed, every follower already knows of a commit of at least
    /// `s`, so a leader killed after any datagram leaves no client ahead
    /// of the followers.
    #[test]
    fn followers_know_of_every_commit_before_a_client_does(
        nodes in proptest::sample::select(vec![3u16, 5]),
        steps in proptest::collection::vec(step(), 1..200),
    ) {
        // Small limits (the simulator's), so each case allocates little.
        let config = Config {
            nodes,
            ring_events: 256,
            in_flight_max: 128,
            window_events: 256,
            clients_max: 8,
            client_pending_max: 64,
            ..Config::default()
        };
        let mut leader = Leader::new(config.clone(), 0).unwrap();
        let mut clients: Vec<_> =
            (0..2u16).map(|i| crate::core::Client::new(config.clone(), ClientId(7 + u32::from(i)), addr(1)).unwrap()).collect();
        let mut followers: Vec<_> =
            (1..nodes).map(|i| Follower::new(config.clone(), NodeId(i), 0).unwrap()).collect();
        let mut buf = vec![0; config.mtu];
        let mut now = 0u64;
        for step in steps {
            now += 1_000;
            match step {
                Step::Submit(c, n) => {
                    for _ in 0..n {
                        let _ = clients[c].submit(b"e");
                    }
                    while let Some(t) = clients[c].poll_transmit(now, &mut buf) {
                        leader.handle_datagram(now, addr(100 + c as u16), &buf[..t.len]);
                    }
                }
                Step::Answer(f) => {
                    let f = f % followers.len();
                    while let Some(t) = followers[f].poll_transmit(now, &mut buf) {
                        leader.handle_datagram(now, addr(10 + f as u16), &buf[..t.len]);
                    }
                }
                Step::Send => drop(send_checking_commits(&mut leader, &mut followers, now)?),
            }
        }
        // Then one more event from a client of its own, carried to its
        // commit (resent while the leader is busy): every case checks the
        // COMMIT that tells it.
        let mut last = crate::core::Client::new(config.clone(), ClientId(99), addr(1)).unwrap();
        last.submit(b"e").unwrap();
        let mut heard = false;
        for _ in 0..200 {
            now += 1_000_000;
            last.handle_timeout(now);
            while let Some(t) = last.poll_transmit(now, &mut buf) {
                leader.handle_datagram(now, addr(199), &buf[..t.len]);
            }
            leader.handle_timeout(now);
            for (dest, bytes) in send_checking_commits(&mut leader, &mut followers, now)? {
                if dest == Dest::Unicast(addr(199)) {
                    last.handle_datagram(now, addr(1), &bytes);
                }
            }
            heard |= last.poll_event().is_some();
            if heard {
                break;
            }
            for (f, follower) in followers.iter_mut().enumerate() {
                follower.handle_timeout(now);
                while let Some(t) = follower.poll_transmit(now, &mut buf) {
                    leader.handle_datagram(now, addr(10 + f as u16), &buf[..t.len]);
                }
            }
        }
        proptest::prop_assert!(heard, "the last event's client was never told it committed");
    }
}

/// Sends all the leader has, the group's to every follower; each COMMIT's
/// runs must not pass what every follower already knows committed.
/// Returns the unicast datagrams, with where they go.
fn send_checking_commits(
    leader: &mut Leader,
    followers: &mut [Follower],
    now: Nanos,
) -> Result<Vec<(Dest, Vec<u8>)>, proptest::test_runner::TestCaseError> {
    let (mut buf, mut unicast) = (vec![0; 1472], Vec::new());
    while let Some(t) = leader.poll_transmit(now, &mut buf) {
        let bytes = buf[..t.len].to_vec();
        if let crate::wire::Frame::Commit(commit) = crate::wire::parse(&bytes).unwrap().frame {
            let known = followers.iter().map(Follower::commit).min().unwrap().get();
            for run in commit.runs {
                let last = run.seq.get() + u64::from(run.count.get()) - 1;
                proptest::prop_assert!(
                    last <= known,
                    "a client told of seq {} while a follower knew of {}",
                    last,
                    known
                );
            }
        }
        match t.dest {
            Dest::Group => {
                for follower in followers.iter_mut() {
                    follower.handle_datagram(now, addr(1), &bytes);
                }
            }
            dest => unicast.push((dest, bytes)),
        }
    }
    Ok(unicast)
}

/// Every datagram the leader has to send at `now`.
fn sent(leader: &mut Leader, now: Nanos) -> Vec<Vec<u8>> {
    let mut buf = vec![0; 1472];
    std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| buf[..t.len].to_vec())).collect()
}

/// A SUBMIT of one event, `request` of `client`, as any client could send
/// it (request 0 or one past the limit, a payload over `payload_max`).
fn raw_submit(config: &Config, client: u32, request: u64, payload: &[u8]) -> Vec<u8> {
    raw_submit_of(config, client, request..=request, payload)
}

/// As [`raw_submit`], one event per request of `requests`.
fn raw_submit_of(config: &Config, client: u32, requests: RangeInclusive<u64>, payload: &[u8]) -> Vec<u8> {
    flagged_submit_of(config, client, requests, payload, (0, Epoch::ZERO))
}

/// As [`raw_submit_of`], with header `flags`.
fn flagged_submit_of(
    config: &Config,
    client: u32,
    requests: RangeInclusive<u64>,
    payload: &[u8],
    (flags, epoch): (u16, Epoch),
) -> Vec<u8> {
    let mut buf = vec![0; config.mtu];
    let mut header = Header::new(Kind::Submit, crate::wire::SENDER_CLIENT, config.cluster_id, epoch);
    header.flags = flags.into();
    let mut w = crate::wire::FrameWriter::submit(&mut buf, &header, ClientId(client), *requests.start()).unwrap();
    for request in requests {
        let mut record = crate::wire::test_record(client, request, payload);
        record[..8].fill(0); // unstamped
        assert!(w.push_record(&record));
    }
    let len = w.finish();
    buf.truncate(len);
    buf
}

/// The BUSY reasons among `datagrams`, by client.
fn busy_of(datagrams: &[Vec<u8>]) -> Vec<(u32, BusyReason)> {
    datagrams
        .iter()
        .filter_map(|d| match crate::wire::parse(d).unwrap().frame {
            Frame::Busy(b) => Some((b.client().get(), b.reason())),
            _ => None,
        })
        .collect()
}

/// Helper 123, reading PROTOCOL.md as a client implementer: client id 0
/// is no client's ("never 0"), yet a leader took a SUBMIT naming it and
/// sequenced its events. It refuses it (BUSY reason 6) and stamps nothing.
#[test]
fn client_id_0_is_refused() {
    let config = Config::default();
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    leader.handle_datagram(5, addr(9), &raw_submit(&config, 0, 1, b"zero"));
    assert_eq!(busy_of(&sent(&mut leader, 6)), [(0, BusyReason::Refused)]);
    assert_eq!((leader.stats().events_stamped, leader.stats().refused), (0, 1));
}

/// A reader of PROTOCOL.md against the code: request 0 (a client numbers
/// its requests from 1) was taken as the first request by an elected or
/// resumed leader, and dropped without a word by another. Both refuse it
/// (BUSY reason 6, naming it) and stamp nothing. A reviewer: a request
/// of u64::MAX, a new client's first at an elected or resumed leader
/// (which took a new client from its first request), overflowed the
/// table's next request. Such a leader asks for request 1 now, and one
/// above `REQUEST_MAX` is refused as request 0 is.
#[test]
fn request_0_is_refused_by_name_by_any_leader() {
    let config = Config::default();
    let fresh = || Leader::new(config.clone(), 0).unwrap();
    let resumed = || Leader::resume(config.clone(), 0, Seq::FIRST).unwrap().finish(Seq::ZERO);
    let cases = [("new", fresh(), 0), ("resumed", resumed(), 0), ("resumed", resumed(), u64::MAX)];
    for (name, mut leader, request) in cases {
        let first = |request: u64| raw_submit(&config, 9, request, b"zero");
        if request > REQUEST_MAX {
            leader.handle_datagram(5, addr(9), &first(request));
            assert_eq!(busy_of(&sent(&mut leader, 6)), [(9, BusyReason::Gap)], "asked for request 1");
            assert_eq!(leader.stats().events_stamped, 0, "{name}");
            // Known, and asked for the next: a request above the limit is refused.
            leader.handle_datagram(7, addr(9), &first(1));
            assert_eq!(leader.stats().events_stamped, 1, "{name}");
            leader.clients.entries[0].request_next = REQUEST_MAX + 1;
            leader.handle_datagram(10, addr(9), &first(REQUEST_MAX + 1));
            assert_eq!((leader.stats().events_stamped, leader.stats().refused), (1, 1), "{name}");
            assert_eq!(busy_of(&sent(&mut leader, 20)), [(9, BusyReason::Refused)], "{name}");
            continue;
        }
        leader.handle_datagram(10, addr(9), &first(request));
        assert_eq!(leader.stats().events_stamped, 0, "{name}");
        assert_eq!(leader.stats().refused, 1, "{name}");
        let out = sent(&mut leader, 20);
        assert_eq!(busy_of(&out), [(9, BusyReason::Refused)], "{name}");
    }
}

/// A reviewer of the client path: an elected or resumed leader took a
/// client it did not know from whatever request arrived first (a SUBMIT
/// overtaking the client's first), and answered its earlier requests "in
/// doubt" though nobody had taken them (the simulator's seed 682 with
/// --failover: 26 requests). One that knows every client of its log asks
/// for request 1 (BUSY reason 3). One that may not know them all (its ring
/// holds only the journal's newest records) answers an unknown client's
/// later request "in doubt": its place in the
/// log cannot be told, and taking it again would sequence it twice. One
/// that forgot a client asks from 1 a few times first: a new client whose
/// first SUBMIT was overtaken answers at once.
#[test]
fn an_unknown_clients_later_request_is_asked_from_1_or_in_doubt_as_the_table_knows() {
    let config = Config::default();
    let submit = |request: u64| raw_submit(&config, 9, request, b"e");
    let resumed = |first: u64| {
        let mut resume = Leader::resume(config.clone(), 0, Seq(first)).unwrap();
        let record = crate::wire::test_record(1, first, b"old");
        assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
        resume.finish(Seq(first))
    };
    // Its ring holds the journal from 1: every client of it is known.
    let mut whole = resumed(1);
    whole.handle_datagram(10, addr(9), &submit(31));
    assert_eq!(busy_of(&sent(&mut whole, 20)), [(9, BusyReason::Gap)]);
    whole.handle_datagram(30, addr(9), &submit(1));
    assert_eq!((whole.stats().events_stamped, whole.stats().in_doubt), (1, 0));
    // From 10 on: client 9 may have sent an event before.
    let mut newest = resumed(10);
    newest.handle_datagram(10, addr(9), &submit(5));
    assert_eq!(busy_of(&sent(&mut newest, 20)), [(9, BusyReason::EpochChanged)]);
    assert_eq!((newest.stats().events_stamped, newest.stats().in_doubt), (0, 1));
    newest.handle_datagram(30, addr(9), &submit(1));
    assert_eq!(newest.stats().events_stamped, 1, "request 1, sent nowhere else: a new client");
    // Two answers to one client in one flush: the lower request's, with its
    // own reason (request 1 in doubt was once told "refused", request 5's).
    let mut both = resumed(10);
    both.handle_datagram(10, addr(9), &submit(5));
    both.handle_datagram(11, addr(9), &raw_submit(&config, 9, 1, &[7; 300]));
    let out = sent(&mut both, 20);
    assert_eq!(busy_of(&out), [(9, BusyReason::Refused)]);
    let requests: Vec<u64> = out
        .iter()
        .filter_map(|d| match crate::wire::parse(d).unwrap().frame {
            Frame::Busy(b) => Some(b.request.get()),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [1]);
    // A leader whose table dropped a client's record: asking from 1 went on
    // for ever with a client that resends from its oldest. It asks a few
    // times, a new client sending request 1 at once; then says "in doubt".
    let mut forgot = Leader::new(config.clone(), 0).unwrap();
    forgot.clients.forgot = true;
    let ms = 1_000_000;
    for ask in 1..=GAP_ASKS_FORGOTTEN + 1 {
        forgot.handle_datagram(u64::from(ask) * ms, addr(9), &submit(5));
        let expected = if ask > GAP_ASKS_FORGOTTEN { BusyReason::EpochChanged } else { BusyReason::Gap };
        assert_eq!(busy_of(&sent(&mut forgot, u64::from(ask) * ms)), [(9, expected)], "ask {ask}");
    }
    // A new client whose first SUBMIT was overtaken answers the ask.
    let newcomer = |request| raw_submit(&config, 10, request, b"e");
    forgot.handle_datagram(10 * ms, addr(10), &newcomer(2));
    assert_eq!(busy_of(&sent(&mut forgot, 10 * ms)), [(10, BusyReason::Gap)]);
    forgot.handle_datagram(11 * ms, addr(10), &newcomer(1));
    forgot.handle_datagram(11 * ms, addr(10), &newcomer(2));
    assert_eq!(forgot.stats().events_stamped, 2);
}

/// Helper 132: a cluster that lost events it had told committed elected a
/// leader that asked a client for the first request it lacks (BUSY reason
/// 3), which the client, told it committed, no longer had: it resent from
/// its oldest pending, and was asked again, for ever. A SUBMIT that says
/// every request below its first was told committed (`FLAG_OLDEST`) and
/// starts past what the leader knows is answered "in doubt" at once.
#[test]
fn a_client_told_more_committed_than_the_leader_holds_is_answered_in_doubt() {
    let config = Config::default();
    let flagged =
        |request: u64, flags: u16| flagged_submit_of(&config, 9, request..=request, b"e", (flags, Epoch::ZERO));
    // Its log holds client 9's requests 1..=5 (seq 1..=5).
    let holding_5 = |config: &Config| {
        let mut resume = Leader::resume(config.clone(), 0, Seq(1)).unwrap();
        for seq in 1..=5 {
            let record = crate::wire::test_record(9, seq, b"old");
            assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
        }
        resume.finish(Seq(5))
    };
    let mut leader = holding_5(&config);
    // Request 8 unflagged: 6 and 7 may be on their way.
    leader.handle_datagram(10, addr(9), &flagged(8, 0));
    assert_eq!(busy_of(&sent(&mut leader, 10)), [(9, BusyReason::Gap)]);
    // Flagged: the client was told 6 and 7 committed, and nothing here
    // holds them.
    leader.handle_datagram(20, addr(9), &flagged(8, FLAG_OLDEST));
    let out = sent(&mut leader, 20);
    assert_eq!(busy_of(&out), [(9, BusyReason::EpochChanged)]);
    let Frame::Busy(busy) = crate::wire::parse(&out[0]).unwrap().frame else { panic!() };
    assert_eq!(busy.request.get(), 8, "the request in doubt, one the client has pending");
    assert_eq!(busy.leader.get(), crate::wire::BUSY_LOST, "the cluster lost what the client was told");
    assert_eq!((leader.stats().events_stamped, leader.stats().in_doubt), (0, 1));
    assert_eq!((leader.stats().told_unknown, leader.told_unknown_last()), (1, Some((ClientId(9), 6, 8))));
    // The next request it expects, flagged or not, is taken.
    leader.handle_datagram(30, addr(9), &flagged(6, FLAG_OLDEST));
    assert_eq!(leader.stats().events_stamped, 1);
    // A leader whose table forgot the client says so at once too, rather
    // than after `GAP_ASKS_FORGOTTEN` asks.
    let mut forgot = Leader::new(config.clone(), 0).unwrap();
    forgot.clients.forgot = true;
    forgot.handle_datagram(10, addr(9), &flagged(5, FLAG_OLDEST));
    let out = sent(&mut forgot, 10);
    assert_eq!(busy_of(&out), [(9, BusyReason::EpochChanged)]);
    let Frame::Busy(busy) = crate::wire::parse(&out[0]).unwrap().frame else { panic!() };
    assert_eq!(busy.leader.get(), 0, "forgotten, not known lost");
    assert_eq!((forgot.stats().in_doubt, forgot.stats().told_unknown), (1, 0), "not known lost");
    // With failover, a client that heard a newer epoch may have been told
    // commits by a newer leader: this one is stale (simulator, seed 122 of
    // whole-cluster crashes), and asks as before (its BUSY is ignored).
    let config = Config { failover: Failover::Auto, ..Config::default() };
    let mut stale = holding_5(&config);
    let newer = stale.epoch().next();
    stale.handle_datagram(10, addr(9), &flagged_submit_of(&config, 9, 8..=8, b"e", (FLAG_OLDEST, newer)));
    assert_eq!(busy_of(&sent(&mut stale, 10)), [(9, BusyReason::Gap)]);
    assert_eq!(stale.stats().in_doubt, 0);
    let current = stale.epoch();
    stale.handle_datagram(20, addr(9), &flagged_submit_of(&config, 9, 8..=8, b"e", (FLAG_OLDEST, current)));
    assert_eq!(busy_of(&sent(&mut stale, 20)), [(9, BusyReason::EpochChanged)]);
}

/// Helper 135: a client that heard epoch 3 went round the members of a
/// cluster that lost it (two journals wiped) and elected epoch 2: it takes
/// that leader for a stale one (it ignores a BUSY of an older epoch), and
/// that leader took it for a client of a newer leader. An honest client
/// names only an epoch a majority elected; a quorum that acknowledges this
/// leader after such a SUBMIT came shows one of them lost its promise (a
/// stamp echoed from before the SUBMIT does not). From then on a SUBMIT
/// of that epoch saying its client was told commits this leader has no
/// record of is answered "in doubt" in the client's epoch.
#[test]
fn a_quorum_acknowledging_after_a_client_named_a_newer_epoch_shows_that_epoch_lost() {
    let ms = 1_000_000;
    let config = Config { failover: Failover::Auto, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let ack = |node: u16, echo: u64| {
        let body = Ack { seq_held: 0.into(), echo_ns: echo.into(), echo_delay_ns: 0.into() };
        crate::core::test_frame(&config, (Kind::Ack, node, config.epoch), &body)
    };
    let newer = config.epoch.next().next();
    let submit = |flags| flagged_submit_of(&config, 9, 5..=5, b"e", (flags, newer));
    let busy = |out: &[Vec<u8>]| {
        let busy = out.iter().map(|d| crate::wire::parse(d).unwrap()).find_map(|d| match d.frame {
            Frame::Busy(busy) => Some((busy.reason(), d.header.epoch())),
            _ => None,
        });
        busy.expect("a BUSY")
    };
    leader.handle_datagram(10 * ms, addr(9), &submit(FLAG_OLDEST));
    assert_eq!(busy(&sent(&mut leader, 10 * ms)), (BusyReason::Gap, config.epoch), "maybe stale: asked as before");
    leader.handle_datagram(11 * ms, addr(1), &ack(1, 10 * ms));
    assert_eq!(leader.clients_ahead(), None, "node 1 may have promised it since");
    leader.handle_datagram(12 * ms, addr(1), &ack(1, 10 * ms + 1));
    assert_eq!(leader.clients_ahead(), Some(newer), "2 of 3 follow it after the SUBMIT came");
    assert_eq!((leader.stats().clients_ahead, leader.stats().in_doubt), (1, 0));
    // Unflagged: requests 1..=4 may be on their way.
    leader.handle_datagram(20 * ms, addr(9), &submit(0));
    assert_eq!(busy(&sent(&mut leader, 20 * ms)), (BusyReason::Gap, config.epoch));
    leader.handle_datagram(30 * ms, addr(9), &submit(FLAG_OLDEST));
    assert_eq!(busy(&sent(&mut leader, 30 * ms)), (BusyReason::EpochChanged, newer), "in the client's epoch");
    assert_eq!((leader.stats().told_unknown, leader.stats().in_doubt), (1, 1));
    // A client of a still newer epoch is asked as before until that one is shown lost too.
    let newest = newer.next();
    leader.handle_datagram(40 * ms, addr(9), &flagged_submit_of(&config, 9, 5..=5, b"e", (FLAG_OLDEST, newest)));
    assert_eq!(busy(&sent(&mut leader, 40 * ms)), (BusyReason::Gap, config.epoch));
}

/// A reviewer of the client path: a client's share of the in-flight window
/// (half of it, alone) is more than the `client_pending_max` requests
/// whose sequences the table keeps, so a client sending more than that
/// uncommitted (as another implementation may) was never told of its
/// oldest: their places were taken by newer ones. Past that many untold,
/// it is told BUSY reason 1 as over its share.
#[test]
fn a_client_never_has_more_untold_than_the_table_keeps() {
    let config = Config { client_pending_max: 4, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    leader.handle_datagram(10, addr(9), &raw_submit_of(&config, 9, 1..=6, b"e"));
    assert_eq!(leader.stats().events_stamped, 4);
    assert_eq!(busy_of(&sent(&mut leader, 20)), [(9, BusyReason::InFlightFull)]);
}

/// Issue 16: a full client table refused every new client until the leader
/// restarted. A client idle for `client_idle_ns` with nothing uncommitted
/// gives its place up; back, it resumes where it stopped, and its old
/// requests stay duplicates.
#[test]
fn an_idle_client_gives_its_place_up_and_resumes_where_it_stopped() {
    let idle = 1_000_000;
    let config = Config { clients_max: 2, client_idle_ns: idle, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let mut clients: Vec<crate::core::Client> =
        (1..=3).map(|id| crate::core::Client::new(config.clone(), ClientId(id), addr(1)).unwrap()).collect();
    let mut buf = vec![0; config.mtu];
    // Client `i` submits one event at `now`; the follower ACKs what it got:
    // what the leader sent back, and the SUBMIT.
    let mut submit = |leader: &mut Leader, i: usize, now: Nanos| {
        clients[i].submit(b"e").unwrap();
        let t = clients[i].poll_transmit(now, &mut buf).unwrap();
        let bytes = buf[..t.len].to_vec();
        leader.handle_datagram(now, addr(100 + i as u16), &bytes);
        let mut out = sent(leader, now);
        for d in &out {
            follower.handle_datagram(now, addr(1), d);
        }
        while let Some(ack) = follower.poll_transmit(now, &mut buf) {
            let ack = buf[..ack.len].to_vec();
            leader.handle_datagram(now, addr(11), &ack);
        }
        out.extend(sent(leader, now));
        for d in &out {
            clients[i].handle_datagram(now, addr(1), d);
        }
        (out, bytes)
    };
    let (_, first_of_1) = submit(&mut leader, 0, 10);
    submit(&mut leader, 1, 20);
    assert_eq!(leader.commit(), Seq(2));
    // Full, and nobody idle long enough yet.
    let (out, _) = submit(&mut leader, 2, 30);
    assert_eq!(busy_of(&out), [(3, BusyReason::TooManyClients)]);
    assert_eq!(leader.stats().events_stamped, 2);
    // Later client 1 (silent longest) gives its place to client 3, which
    // was told to resend from its request 1.
    let later = 10 + idle + 1;
    let (out, _) = submit(&mut leader, 2, later);
    assert_eq!(busy_of(&out), []);
    assert_eq!((leader.stats().events_stamped, leader.stats().clients_evicted), (4, 1), "client 3's two events");
    // Back much later, client 1 takes client 2's place and goes on with its
    // request 2: no gap, no BUSY.
    let (out, _) = submit(&mut leader, 0, later + idle);
    assert_eq!(busy_of(&out), []);
    assert_eq!((leader.stats().events_stamped, leader.stats().clients_evicted), (5, 2));
    // Its request 1 again (a late duplicate) is not sequenced again.
    leader.handle_datagram(later + idle + 1, addr(100), &first_of_1);
    sent(&mut leader, later + idle + 1);
    assert_eq!(leader.stats().events_stamped, 5);
    assert_eq!(leader.stats().duplicates, 1);
    // A spec reader: replayed from elsewhere, the same SUBMIT drew its "in
    // doubt" (BUSY reason 4) at the client's own address, which stopped it.
    // It goes to the replay's source.
    leader.handle_datagram(later + idle + 2, addr(66), &first_of_1);
    let mut out = vec![0; config.mtu];
    let dests: Vec<Dest> = std::iter::from_fn(|| leader.poll_transmit(later + idle + 2, &mut out).map(|t| t.dest))
        .filter(|dest| *dest != Dest::Group)
        .collect();
    assert_eq!(dests, [Dest::Unicast(addr(66))]);
}

/// A COMMIT's runs as (first request, first sequence, count).
type Runs = Vec<(u64, u64, u32)>;

/// Each COMMIT `leader` sends at `now`: where to, and its runs.
fn commits_sent(leader: &mut Leader, now: Nanos) -> Vec<(Dest, Runs)> {
    let mut buf = vec![0; 1472];
    let mut told = Vec::new();
    while let Some(t) = leader.poll_transmit(now, &mut buf) {
        if let crate::wire::Frame::Commit(commit) = crate::wire::parse(&buf[..t.len]).unwrap().frame {
            let runs = commit.runs.iter().map(|r| (r.request.get(), r.seq.get(), r.count.get())).collect();
            told.push((t.dest, runs));
        }
    }
    told
}

/// A reviewer replayed one recorded SUBMIT, client 42's request 1, from
/// another address: the leader told every later commit of that client
/// again, there (35 COMMITs, 483 times the replay's size, on every
/// replay), and took that address for the client's own notices too. A
/// SUBMIT of requests already told is answered with those requests only,
/// at its source, and only a new request moves a client's notices.
#[test]
fn a_resent_submit_is_told_its_own_requests_only_and_moves_no_notices() {
    let config = Config::default();
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let (client, elsewhere) = (addr(9), addr(66));
    // Two clients in turn: client 42's requests sit at every other sequence.
    for request in 1..=200 {
        leader.handle_datagram(request, client, &raw_submit(&config, 42, request, b"a"));
        leader.handle_datagram(request, addr(8), &raw_submit(&config, 43, request, b"b"));
    }
    sent(&mut leader, 300);
    leader.handle_datagram(301, addr(11), &ack_of(&config, 1, 400));
    let told = commits_sent(&mut leader, 302);
    assert!(told.iter().any(|(dest, _)| *dest == Dest::Unicast(client)), "client 42 told at its address");
    leader.handle_datagram(303, elsewhere, &raw_submit(&config, 42, 1, b"a"));
    leader.handle_datagram(303, elsewhere, &raw_submit_of(&config, 42, 7..=9, b"a"));
    let again = commits_sent(&mut leader, 304);
    let expected = [(1, 1, 1), (7, 13, 1), (8, 15, 1), (9, 17, 1)];
    let runs: Vec<_> = again.iter().flat_map(|(dest, runs)| runs.iter().map(move |r| (*dest, *r))).collect();
    assert_eq!(runs, expected.iter().map(|&r| (Dest::Unicast(elsewhere), r)).collect::<Vec<_>>());
    assert_eq!(leader.stats().events_stamped, 400, "nothing sequenced twice");
    // Its next new request commits, and is told where the client is.
    leader.handle_datagram(305, client, &raw_submit(&config, 42, 201, b"a"));
    sent(&mut leader, 306);
    leader.handle_datagram(307, addr(11), &ack_of(&config, 1, 401));
    assert_eq!(commits_sent(&mut leader, 308), vec![(Dest::Unicast(client), vec![(201, 401, 1)])]);
}

/// A client id given to two processes, or reused by a restarted one: the
/// leader took the second's requests for resends of the first's, and told
/// it "committed" at the first's sequences (or, past the requests a client
/// resends, nothing ever). While the ring holds the first's event, or the
/// request is older than any client resends, it now answers BUSY reason 8
/// and takes nothing; that client stops and says so. A true resend is
/// still told, and the first client goes on.
#[test]
fn a_second_process_under_one_client_id_is_told_the_id_is_in_use() {
    let config = Config { client_pending_max: 8, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let (first, second_addr) = (addr(9), addr(10));
    for request in 1..=20 {
        leader.handle_datagram(request, first, &raw_submit(&config, 42, request, b"first"));
        sent(&mut leader, request);
        leader.handle_datagram(request, addr(11), &ack_of(&config, 1, request));
        commits_sent(&mut leader, request);
    }
    // The second process starts from request 1, far below any resend.
    let mut second = crate::core::Client::new(config.clone(), ClientId(42), addr(1)).unwrap();
    second.submit(b"second").unwrap();
    let mut buf = vec![0; 1472];
    let t = second.poll_transmit(30, &mut buf).unwrap();
    leader.handle_datagram(30, second_addr, &buf[..t.len]);
    let out = sent(&mut leader, 31);
    assert_eq!(busy_of(&out), [(42, BusyReason::IdInUse)]);
    for datagram in &out {
        second.handle_datagram(31, addr(1), datagram);
    }
    assert_eq!(second.id_in_use(), Some(1));
    assert_eq!((second.poll_transmit(10_000_000_000, &mut buf), second.poll_timeout()), (None, None));
    // Request 15, within what a client resends, with another payload.
    leader.handle_datagram(40, second_addr, &raw_submit(&config, 42, 15, b"second"));
    assert_eq!(busy_of(&sent(&mut leader, 41)), [(42, BusyReason::IdInUse)]);
    // The same with the first's payload is a resend, told again.
    leader.handle_datagram(42, second_addr, &raw_submit(&config, 42, 15, b"first"));
    assert_eq!(commits_sent(&mut leader, 43), vec![(Dest::Unicast(second_addr), vec![(15, 15, 1)])]);
    assert_eq!(leader.stats().events_stamped, 20, "nothing of the second taken");
    // Only the other payload proves a second process: request 1 could as
    // well have been an old SUBMIT replayed (a reviewer's 200 replays drew
    // a warning of two clients sharing an id), and counts as a duplicate.
    assert_eq!((leader.stats().ids_in_use, leader.stats().duplicates), (1, 2));
    leader.handle_datagram(44, first, &raw_submit(&config, 42, 21, b"first"));
    assert_eq!(leader.stats().events_stamped, 21, "the first goes on");
}

/// A NAK as member `node`, from wherever it is sent, for `first..end`.
fn nak(config: &Config, node: u16, first: u64, end: u64) -> Vec<u8> {
    let mut buf = vec![0; 256];
    let header = Header::new(Kind::Nak, node, config.cluster_id, config.epoch);
    let mut writer = crate::wire::FrameWriter::nak(&mut buf, &header).unwrap();
    assert!(writer.push_range(&crate::wire::SeqRange::new(Seq(first), Seq(end))));
    let len = writer.finish();
    buf.truncate(len);
    buf
}

/// An ACK as member `node`, holding `held`, echoing `echo`, from wherever
/// it is sent.
fn ack_echoing(config: &Config, node: u16, held: u64, echo: u64) -> Vec<u8> {
    let body = Ack { seq_held: held.into(), echo_ns: echo.into(), echo_delay_ns: 0.into() };
    crate::core::test_frame(config, (Kind::Ack, node, config.epoch), &body)
}

/// Where what `leader` sends now goes, but the group and the client at
/// `addr(9)` (told its commit): where repairs go.
fn repair_dests(leader: &mut Leader, now: Nanos) -> Vec<Dest> {
    let mut buf = vec![0; 1472];
    let dests: Vec<Dest> = std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| t.dest)).collect();
    dests.into_iter().filter(|d| ![Dest::Group, Dest::Unicast(addr(9))].contains(d)).collect()
}

/// The sequences of the events in the RETRANSMITs `leader` sends `to` now.
fn retransmitted_to(leader: &mut Leader, now: Nanos, to: SocketAddr) -> Vec<u64> {
    let mut buf = vec![0; 1472];
    let mut seqs = Vec::new();
    while let Some(t) = leader.poll_transmit(now, &mut buf) {
        if let (Frame::Retransmit(batch), true) =
            (crate::wire::parse(&buf[..t.len]).unwrap().frame, t.dest == Dest::Unicast(to))
        {
            seqs.extend(batch.events.map(|e| e.header.seq.get()));
        }
    }
    seqs
}

/// Issue 16: one forged NAK made the leader send RETRANSMITs (×5,658 its
/// size) to the NAK's source address. A member's repairs now go where its
/// ACKs come from; only a member that never ACKed is answered at the NAK's
/// source, and what one destination has in repair is bounded.
#[test]
fn repairs_go_where_the_members_acks_come_from_never_to_a_forged_naks_source() {
    let config = Config { nak_events_max: 2, ..Config::default() };
    let mut leader = one_event_acked_by_follower_1(&config);
    let dests = |leader: &mut Leader, now: Nanos| -> Vec<Dest> {
        let mut buf = vec![0; 1472];
        std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| t.dest)).collect()
    };
    dests(&mut leader, 60);
    // Forged as member 1 from the victim's address: nothing goes to the
    // victim, nor to member 1, which ACKed holding it.
    let victim = addr(666);
    leader.handle_datagram(100, victim, &nak(&config, 1, 1, 2));
    assert_eq!(dests(&mut leader, 100), []);
    // Counted and named: an operator hears of two nodes with one id.
    assert_eq!(leader.stats().naks_elsewhere, 1);
    assert_eq!(leader.nak_source_differs(), Some((NodeId(1), victim, addr(11))));
    // Member 2 never ACKed: its first NAK's source is all there is.
    leader.handle_datagram(200_000, addr(12), &nak(&config, 2, 1, 2));
    assert_eq!(dests(&mut leader, 200_000), [Dest::Unicast(addr(12))]);
    assert_eq!(leader.stats().naks_elsewhere, 1, "nothing else to compare with");
    // Ranges beyond what one member may have in repair are dropped.
    let mut buf = vec![0; config.mtu];
    for i in 0..4 {
        let client = crate::core::Client::new(config.clone(), ClientId(8 + i), addr(1));
        let mut client = client.unwrap();
        client.submit(b"e").unwrap();
        let t = client.poll_transmit(0, &mut buf).unwrap();
        let submit = buf[..t.len].to_vec();
        leader.handle_datagram(300_000, addr(20), &submit);
    }
    dests(&mut leader, 300_000);
    let mut many = vec![0; 256];
    let header = Header::new(Kind::Nak, 1, config.cluster_id, config.epoch);
    let mut writer = crate::wire::FrameWriter::nak(&mut many, &header).unwrap();
    for seq in [2, 4] {
        assert!(writer.push_range(&crate::wire::SeqRange::new(Seq(seq), Seq(seq + 1))));
    }
    let len = writer.finish();
    // From elsewhere while its ACKs come: no repairs at all, to anyone.
    leader.handle_datagram(400_000, victim, &many[..len]);
    assert_eq!(dests(&mut leader, 400_000), []);
    leader.handle_datagram(400_000, addr(11), &many[..len]);
    leader.handle_datagram(400_000, addr(11), &nak(&config, 1, 5, 6));
    assert!(dests(&mut leader, 400_000).iter().all(|d| *d == Dest::Unicast(addr(11))));
    assert!(leader.stats().repairs_over_budget >= 1, "{:?}", leader.stats());
}

/// A member back empty asks with a NAK's nonce for a HEARTBEAT that
/// answers it, which alone tells it what it must hold before it votes (a
/// new follower, with keys, the epoch it follows): one owed to each member
/// at a time, its newest ask. A member named in the cluster file is
/// answered there, as its repairs; one that is not, at the NAK's source:
/// answered where its repairs went, a follower restarted on another port,
/// which sends no ACK before the answer gives it an epoch, never followed
/// its sequencer again. An observer's is no question (without keys).
#[test]
fn a_nonce_is_answered_with_one_heartbeat_at_the_askers_address() {
    let asking = |config: &Config, node: u16, nonce: u32| {
        let header = Header::new(Kind::Nak, node, config.cluster_id, config.epoch);
        let mut buf = vec![0; 256];
        let len = crate::wire::emit(&mut buf, &header, Kind::Nak, &crate::wire::NakHead::fresh(nonce)).unwrap();
        buf.truncate(len);
        buf
    };
    // The HEARTBEATs it sends: where, their nonce, their `seq_next`.
    let answers = |leader: &mut Leader, now: Nanos| -> Vec<(Dest, u32, u64)> {
        let mut buf = vec![0; 1472];
        let mut out = Vec::new();
        while let Some(t) = leader.poll_transmit(now, &mut buf) {
            if let Frame::Heartbeat(heartbeat) = crate::wire::parse(&buf[..t.len]).unwrap().frame {
                out.push((t.dest, heartbeat.nonce(), heartbeat.seq_next.get()));
            }
        }
        out.sort_by_key(|&(_, nonce, _)| nonce);
        out
    };
    let config = Config::default();
    let mut leader = one_event_acked_by_follower_1(&config);
    answers(&mut leader, 60);
    // Member 1 asks from another address than it ACKs from: answered there.
    leader.handle_datagram(100, addr(666), &asking(&config, 1, 0xfeed));
    assert_eq!(answers(&mut leader, 100), [(Dest::Unicast(addr(666)), 0xfeed, 2)]);
    assert_eq!(leader.stats().fresh_heartbeats_sent, 1);
    // Two at once: the newer nonce answered, once.
    leader.handle_datagram(200, addr(11), &asking(&config, 1, 1));
    leader.handle_datagram(200, addr(11), &asking(&config, 1, 2));
    assert_eq!(answers(&mut leader, 200), [(Dest::Unicast(addr(11)), 2, 2)]);
    // Member 2's ask, then member 1's replayed from 40 addresses: member
    // 2 answered, and member 1 once, at the newest.
    leader.handle_datagram(300, addr(12), &asking(&config, 2, 7));
    for port in 0..40 {
        leader.handle_datagram(300, addr(5000 + port), &asking(&config, 1, 8));
    }
    let want = [(Dest::Unicast(addr(12)), 7, 2), (Dest::Unicast(addr(5039)), 8, 2)];
    assert_eq!(answers(&mut leader, 300), want);
    // An observer's nonce: nothing.
    leader.handle_datagram(400, addr(30), &asking(&config, crate::wire::SENDER_OBSERVER, 3));
    assert_eq!(answers(&mut leader, 400), []);
    // Named in the cluster file: answered at its address there, whatever
    // the NAK's source.
    let named = Config { members: vec![addr(10), addr(11), addr(12)], ..Config::default() };
    let (mut leader, _) = one_event_sent(&named);
    answers(&mut leader, 60);
    leader.handle_datagram(100, addr(666), &asking(&named, 1, 0xbeef));
    assert_eq!(answers(&mut leader, 100), [(Dest::Unicast(addr(11)), 0xbeef, 2)]);
}

/// A member restarted on another port that asks before it ACKs (a
/// journaled follower checks a restarted sequencer's record at its log's
/// end first) was answered where its ACKs had come from, for good. Once
/// those fell silent past two keepalives, its NAK moves its repairs there,
/// until it ACKs; before, a NAK from elsewhere (another process run with
/// its id) is answered there only above what it ACKed holding, and once
/// moved, its old ACK replayed from the old address while it NAKs moves
/// nothing back.
#[test]
fn a_members_nak_moves_its_repairs_once_its_acks_fell_silent() {
    let config = Config::default();
    let (mut leader, data) = one_event_sent(&config);
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    follower.handle_datagram(30, addr(1), &data);
    let ack = follower.poll_transmit(40, &mut buf).unwrap();
    let ack = buf[..ack.len].to_vec();
    leader.handle_datagram(50, addr(11), &ack);
    let nak = {
        let header = Header::new(Kind::Nak, 1, config.cluster_id, config.epoch);
        let mut writer = crate::wire::FrameWriter::nak(&mut buf, &header).unwrap();
        assert!(writer.push_range(&crate::wire::SeqRange::new(Seq(1), Seq(2))));
        let len = writer.finish();
        buf[..len].to_vec()
    };
    let repairs = |leader: &mut Leader, now: Nanos| -> Vec<Dest> {
        let mut buf = vec![0; 1472];
        std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
            .filter(|(_, bytes)| matches!(crate::wire::parse(bytes).unwrap().frame, Frame::Retransmit(_)))
            .map(|(dest, _)| dest)
            .collect()
    };
    repairs(&mut leader, 60);
    // Its ACKs still come: a NAK from elsewhere for what it holds, nothing.
    leader.handle_datagram(100, addr(700), &nak);
    assert_eq!((repairs(&mut leader, 100), leader.stats().nak_moves), (vec![], 0));
    // Silent two keepalives: the NAK moves its repairs, and is answered.
    let silent = 50 + 2 * crate::core::KEEPALIVE_NS;
    leader.handle_datagram(silent, addr(700), &nak);
    assert_eq!((repairs(&mut leader, silent), leader.stats().nak_moves), (vec![Dest::Unicast(addr(700))], 1));
    // Its old ACK, replayed from the old address: refused while it NAKs.
    let refused = leader.stats().ack_moves_refused;
    leader.handle_datagram(silent + 1, addr(11), &ack);
    assert_eq!(leader.stats().ack_moves_refused, refused + 1);
    let later = silent + config.repair_linger_ns + 1;
    leader.handle_datagram(later, addr(700), &nak);
    assert_eq!(repairs(&mut leader, later), [Dest::Unicast(addr(700))]);
}

/// A reviewer replayed a follower's recorded ACK and NAK from another
/// address, without failover: the ACK moved the member's repairs there,
/// and the NAK sent up to `nak_events_max` events after them (94–141
/// RETRANSMITs, 924–1,386 times the two datagrams' size). An ACK from
/// elsewhere moves a member's repairs only once it shows more than the
/// member held, or once the member's own address fell silent past two
/// keepalives (it restarted on another port). A second review replayed an
/// early ACK first, which lowered the view, then the latest, which then
/// showed more (78–95 RETRANSMITs back): once the view falls, an ACK of
/// more counts only if it echoes a stamp sent since, which no recording
/// does (and an ACK from before a restart-empty would have counted the
/// member for what it lost).
#[test]
fn a_replayed_ack_moves_no_repairs_while_the_member_acks_from_its_own_address() {
    let config = Config::default();
    let mut leader = one_event_acked_by_follower_1(&config);
    let unicasts = |leader: &mut Leader, now: Nanos| -> Vec<Dest> {
        let mut buf = vec![0; 1472];
        let dests: Vec<Dest> = std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| t.dest)).collect();
        dests.into_iter().filter(|d| *d != Dest::Group).collect()
    };
    let acked = |node: u16, held: u64, echo: u64| ack_echoing(&config, node, held, echo);
    unicasts(&mut leader, 60);
    let victim = addr(666);
    leader.handle_datagram(100, victim, &acked(1, 1, 20));
    leader.handle_datagram(100, victim, &nak(&config, 1, 1, 2));
    assert_eq!(unicasts(&mut leader, 100), [], "not to the victim, nor to member 1, which holds it");
    assert_eq!(leader.stats().ack_moves_refused, 1);
    assert_eq!(leader.ack_source_changed(), Some((NodeId(1), addr(11), victim)), "named for the operator");
    // An earlier ACK, then the latest again: the view falls, the latest
    // is stale, the repairs stay (asked again once the first is long gone).
    let t = 100_000_000;
    leader.handle_datagram(t, victim, &acked(1, 0, 10));
    leader.handle_datagram(t, victim, &acked(1, 1, 20));
    leader.handle_datagram(t, victim, &nak(&config, 1, 1, 2));
    assert_eq!(unicasts(&mut leader, t), [], "member 1's own address still holds it");
    assert_eq!((leader.held()[1], leader.stats().acks_stale), (0, 1));
    // The member itself, echoing the HEARTBEAT that went at `t`, counts again.
    leader.handle_datagram(t + 10, addr(11), &acked(1, 1, 20));
    assert_eq!(leader.held()[1], 0, "its ACK from before the fall waits for a newer stamp");
    leader.handle_datagram(t + 20, addr(11), &acked(1, 1, t));
    assert_eq!(leader.held()[1], 1);
    // Restarted on another port, holding nothing: believed at once, and
    // its repairs follow once its old address has been silent long enough.
    let restarted = addr(21);
    leader.handle_datagram(t + 30, restarted, &acked(1, 0, t + 25));
    assert_eq!((leader.held()[1], leader.stats().ack_moves_refused), (0, 3));
    let later = t + 20 + 2 * crate::core::KEEPALIVE_NS;
    leader.handle_datagram(later, restarted, &acked(1, 0, later));
    leader.handle_datagram(later, restarted, &nak(&config, 1, 1, 2));
    assert_eq!(unicasts(&mut leader, later), [Dest::Unicast(restarted)]);
    // More than it held, echoing a stamp since, moves its repairs at once
    // (another process with its id, ahead).
    leader.handle_datagram(later + 1, addr(31), &acked(1, 1, later + 1));
    leader.handle_datagram(later + 1, addr(31), &nak(&config, 1, 1, 2));
    assert_eq!(unicasts(&mut leader, later + 1), [Dest::Unicast(addr(31))]);
    assert_eq!((leader.stats().ack_source_changes, leader.stats().ack_moves_refused), (2, 3));
}

/// `seqcast sim --replay-after-faults` (an attacker replaying recorded
/// datagrams for good) left a follower restarted on another port without
/// its repairs, three ways: once its old address fell silent, a copy of an
/// ACK of its, heard already, came from the replayer before its own, moved
/// them there, and the copies that followed kept that address from falling
/// silent (seed 102800022); a replayed NAK moved them there and a replayed
/// ACK confirmed it (102800029); a copy of an ACK the leader never heard,
/// showing more, moved them, and older copies kept them there (102800163).
/// Only an ACK echoing a stamp newer than every one heard from the member
/// moves or confirms, and only one echoing the newest keeps its address
/// from falling silent.
#[test]
fn a_replayer_keeps_no_members_repairs_once_it_echoes_newer_stamps() {
    let config = Config::default();
    let repairs = repair_dests;
    let acked = |held: u64, echo: u64| ack_echoing(&config, 1, held, echo);
    let (replayer, restarted) = (addr(666), addr(21));
    let silent = 1_000 + 2 * crate::core::KEEPALIVE_NS;
    let linger = config.repair_linger_ns + 1;
    let started = || {
        let (mut leader, _) = one_event_sent(&config);
        leader.handle_datagram(1_000, addr(11), &acked(0, 500));
        repairs(&mut leader, 1_000);
        leader
    };
    // A copy of its last ACK comes first once its old address is silent.
    let mut leader = started();
    leader.handle_datagram(silent, replayer, &acked(0, 500));
    leader.handle_datagram(silent + 1, restarted, &acked(0, silent));
    leader.handle_datagram(silent + 2, replayer, &acked(0, silent));
    leader.handle_datagram(silent + 3, restarted, &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, silent + 3), [Dest::Unicast(restarted)]);
    assert_eq!((leader.stats().ack_source_changes, leader.stats().ack_moves_refused), (1, 2));
    // A replayed NAK moves its repairs; a copy of an ACK confirms nothing.
    let mut leader = started();
    leader.handle_datagram(silent, replayer, &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, silent), [Dest::Unicast(replayer)]);
    leader.handle_datagram(silent + linger, replayer, &acked(0, 500));
    leader.handle_datagram(silent + linger + 1, restarted, &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, silent + linger + 1), [Dest::Unicast(restarted)]);
    // A copy of an ACK never heard, of more, moves them; older copies
    // keep that address from falling silent no longer than it would.
    let mut leader = started();
    leader.handle_datagram(2_000, replayer, &acked(1, 600));
    leader.handle_datagram(2_001, restarted, &acked(0, 1_900));
    let later = 2_000 + 2 * crate::core::KEEPALIVE_NS;
    for at in (3_000..later).step_by(1_000_000) {
        leader.handle_datagram(at, replayer, &acked(0, 500));
    }
    leader.handle_datagram(later, restarted, &acked(0, later));
    leader.handle_datagram(later + 1, restarted, &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, later + 1), [Dest::Unicast(restarted)]);
}

/// A copy of a follower's ACK the leader never heard (its original lost),
/// holding more, moved its repairs to the replayer; its own ACKs, holding
/// no more (it was behind on a gap), were refused until the replayer's
/// address fell silent two keepalives later, and meanwhile its NAKs drew
/// their repairs there (`seqcast sim --replay 0.2`, seed 103700167:
/// 266,328 bytes to the attacker for the 27,112 it replayed). Its own ACK
/// holding as much and echoing a newer stamp takes them back at once; a
/// process with its id holding less still does not.
#[test]
fn a_members_own_ack_takes_its_repairs_back_from_a_copy_of_one_lost() {
    let config = Config::default();
    let repairs = repair_dests;
    let acked = |held: u64, echo: u64| ack_echoing(&config, 1, held, echo);
    let replayer = addr(666);
    let (mut leader, _) = one_event_sent(&config);
    leader.handle_datagram(1_000, addr(11), &acked(0, 500));
    repairs(&mut leader, 1_000);
    // Its ACK of 1 is lost; the replayer's copy of it comes.
    leader.handle_datagram(2_000, replayer, &acked(1, 900));
    leader.handle_datagram(2_001, addr(11), &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, 2_001), [], "it holds 1, as its ACK said");
    // Its next ACK, from its own address, holding as much, newer.
    leader.handle_datagram(3_000, addr(11), &acked(1, 2_500));
    leader.handle_datagram(3_001, addr(11), &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, 3_001), [Dest::Unicast(addr(11))]);
    // Copies of that ACK move nothing; nor does a process with its id
    // holding less, however new its stamp, while it ACKs.
    let linger = config.repair_linger_ns + 1;
    leader.handle_datagram(4_000, replayer, &acked(1, 2_500));
    leader.handle_datagram(4_001, addr(31), &acked(0, 4_000));
    leader.handle_datagram(4_000 + linger, addr(11), &nak(&config, 1, 1, 2));
    assert_eq!(repairs(&mut leader, 4_000 + linger), [Dest::Unicast(addr(11))]);
    assert_eq!(leader.stats().ack_source_changes, 2);
}

/// With `--clock realtime` stepped back, the stamps its members' ACKs
/// echo start over, newer than none heard before: every ACK that would
/// move or confirm a member's address was refused until the clock caught
/// up, keeping a member restarted on another port out of every quorum
/// (helper 205).
#[test]
fn after_the_clock_stepped_back_a_members_ack_says_where_it_is_again() {
    let config = Config::default();
    let (mut leader, _) = one_event_sent(&config);
    let acked = |held: u64, echo: u64| ack_echoing(&config, 1, held, echo);
    leader.handle_datagram(5_000, addr(11), &acked(0, 4_000));
    // Restarted on another port: its NAK moves its repairs there.
    leader.handle_datagram(5_000 + 2 * crate::core::KEEPALIVE_NS, addr(21), &nak(&config, 1, 1, 2));
    // The clock steps back; its ACK from there echoes a stamp sent since.
    leader.handle_datagram(3_000, addr(21), &acked(1, 2_500));
    assert_eq!((leader.held()[1], leader.stats().ack_moves_refused), (1, 0));
}

/// The simulator's seed 100911943 of `--journal --disk-fails 2
/// --leader-crashes 1 --replay 0.1`: a restarted sequencer knew follower 4
/// only by its NAKs when an ACK of its, recorded in this epoch, came
/// replayed from elsewhere: its first ACK, so its source took the
/// follower's repairs. The follower, restarted on its journal, asked the
/// sequencer for a record before it would take its log, and sent no ACK
/// that could move them back: it waited for good. While a member's NAKs
/// come from where its repairs go, its first ACK from elsewhere moves
/// nothing.
#[test]
fn a_members_first_ack_from_elsewhere_than_its_naks_moves_no_repairs() {
    let config = Config::default();
    let (mut leader, _) = one_event_sent(&config);
    let unicasts = |leader: &mut Leader, now: Nanos| -> Vec<Dest> {
        let mut buf = vec![0; 1472];
        let dests: Vec<Dest> = std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| t.dest)).collect();
        dests.into_iter().filter(|d| *d != Dest::Group).collect()
    };
    let acked = |node: u16, held: u64, echo: u64| ack_echoing(&config, node, held, echo);
    unicasts(&mut leader, 30);
    // Member 1 asks from its address, then its ACK comes replayed from another.
    leader.handle_datagram(100, addr(11), &nak(&config, 1, 1, 2));
    assert_eq!(unicasts(&mut leader, 100), [Dest::Unicast(addr(11))]);
    let elsewhere = addr(666);
    leader.handle_datagram(200, elsewhere, &acked(1, 1, 20));
    assert_eq!(leader.stats().ack_moves_refused, 1);
    assert_eq!(leader.ack_source_changed(), Some((NodeId(1), addr(11), elsewhere)), "named for the operator");
    // Its repairs stay where it asks from, past the linger of the first.
    let later = 200 + config.repair_linger_ns + 1;
    leader.handle_datagram(later, addr(11), &nak(&config, 1, 1, 2));
    assert_eq!(unicasts(&mut leader, later), [Dest::Unicast(addr(11))]);
    // Its own ACK counts, once it echoes a stamp newer than the replayed
    // one's (that one's original, overtaken by its copy, moves nothing).
    leader.handle_datagram(later + 1, addr(11), &acked(1, 1, 20));
    assert_eq!(leader.held()[1], 0);
    leader.handle_datagram(later + 2, addr(11), &acked(1, 1, 150));
    assert_eq!(leader.held()[1], 1);
    // One that asked nothing for two keepalives: its first ACK is where it is
    // (restarted on another port), as before.
    let (mut leader, _) = one_event_sent(&config);
    leader.handle_datagram(100, addr(12), &nak(&config, 2, 1, 2));
    let quiet = 100 + 2 * crate::core::KEEPALIVE_NS;
    leader.handle_datagram(quiet, addr(22), &acked(2, 1, 20));
    assert_eq!((leader.held()[2], leader.stats().ack_moves_refused), (1, 0));
}

/// A security review: an observer's repairs go to its NAK's source, so a
/// `seqcast tail` NAK recorded and replayed from a forged address made the
/// leader send up to `nak_events_max` events there (×1,871–3,660 the NAK's
/// size). With keys (`client_tokens`) an observer's NAK is answered only
/// with this leader's token for its address; else with a hello (BUSY 7,
/// the token in its header) no larger than the NAK, and a follower that
/// observes takes the token and asks again at once.
#[test]
fn an_observers_nak_is_answered_only_with_its_addresss_token() {
    let (mut leader, _) = one_event_sent(&Config::default());
    // Keyed, as a driver with keys makes it (its client took event 1 before).
    leader.config.client_tokens = true;
    let config = leader.config.clone();
    let observer_nak = |token: u32| {
        let mut buf = vec![0; 256];
        let mut header = Header::new(Kind::Nak, crate::wire::SENDER_OBSERVER, config.cluster_id, config.epoch);
        header.token = token.into();
        let mut writer = crate::wire::FrameWriter::nak(&mut buf, &header).unwrap();
        assert!(writer.push_range(&crate::wire::SeqRange::new(Seq(1), Seq(2))));
        let len = writer.finish();
        buf.truncate(len);
        buf
    };
    let sent = |leader: &mut Leader, now: Nanos| -> Vec<(Kind, Dest, u32, usize)> {
        let mut buf = vec![0; 1472];
        std::iter::from_fn(|| {
            let t = leader.poll_transmit(now, &mut buf)?;
            let header = crate::wire::parse(&buf[..t.len]).unwrap().header;
            Some((Kind::from(header.kind), t.dest, header.token.get(), t.len))
        })
        .collect()
    };
    let kinds = |leader: &mut Leader, now: Nanos| -> Vec<(Kind, Dest, u32)> {
        sent(leader, now).into_iter().map(|(kind, dest, token, _)| (kind, dest, token)).collect()
    };
    let (tail, victim) = (addr(30), addr(666));
    leader.handle_datagram(100, tail, &observer_nak(0));
    let hello = sent(&mut leader, 100);
    let [(Kind::Busy, dest, token, len)] = hello[..] else { panic!("{hello:?}") };
    assert_eq!(dest, Dest::Unicast(tail));
    assert!(len <= observer_nak(0).len(), "a {len}-byte hello for a {}-byte NAK", observer_nak(0).len());
    // With its token the tail is answered.
    leader.handle_datagram(200, tail, &observer_nak(token));
    assert_eq!(kinds(&mut leader, 200), [(Kind::Retransmit, Dest::Unicast(tail), config.shape())]);
    // The same NAK replayed from the victim's address: a hello, nothing more.
    let later = 200 + config.repair_linger_ns + 1;
    leader.handle_datagram(later, victim, &observer_nak(token));
    let answered = sent(&mut leader, later);
    let nak = observer_nak(token).len();
    assert!(
        matches!(answered[..], [(Kind::Busy, Dest::Unicast(to), _, len)] if to == victim && len <= nak),
        "{answered:?}"
    );
    assert_eq!(leader.stats().observer_hellos_sent, 2);
    // A NAK of no range, asking only for a nonce's answer, is smaller than
    // a hello: it draws none.
    let nonce_only = {
        let mut buf = vec![0; 256];
        let header = Header::new(Kind::Nak, crate::wire::SENDER_OBSERVER, config.cluster_id, config.epoch);
        let len = crate::wire::emit(&mut buf, &header, Kind::Nak, &crate::wire::NakHead::fresh(9)).unwrap();
        buf.truncate(len);
        buf
    };
    leader.handle_datagram(later, addr(667), &nonce_only);
    assert!(sent(&mut leader, later).iter().all(|(kind, ..)| *kind != Kind::Busy));
    assert_eq!(leader.stats().observer_hellos_sent, 2);
    // A token is good in the 10-second window it was given in and the next,
    // then stale: the tail gets a hello again, and is answered with the new one.
    let answers = |leader: &mut Leader, now: Nanos| -> Vec<(Kind, Dest, u32)> {
        kinds(leader, now).into_iter().filter(|(kind, ..)| *kind != Kind::Heartbeat).collect()
    };
    let second = 15_000_000_000;
    leader.handle_datagram(second, tail, &observer_nak(token));
    assert_eq!(answers(&mut leader, second), [(Kind::Retransmit, Dest::Unicast(tail), config.shape())]);
    let stale = 25_000_000_000;
    leader.handle_datagram(stale, tail, &observer_nak(token));
    let hello = answers(&mut leader, stale);
    let [(Kind::Busy, _, fresh)] = hello[..] else { panic!("{hello:?}") };
    assert_ne!(fresh, token);
    leader.handle_datagram(stale + 100, tail, &observer_nak(fresh));
    assert_eq!(answers(&mut leader, stale + 100), [(Kind::Retransmit, Dest::Unicast(tail), config.shape())]);

    // A follower that observes takes the hello's token and NAKs with it.
    let mut observer = Follower::observe(config.clone(), 0, Seq(1)).unwrap();
    let mut buf = vec![0; 1472];
    let heartbeat = Header::new(Kind::Heartbeat, 0, config.cluster_id, config.epoch);
    let body = crate::wire::Heartbeat {
        seq_next: 3.into(),
        commit: 0.into(),
        sent_ns: 10.into(),
        rtt_ns: 0.into(),
        epoch_start: 0.into(),
        nonce: 0.into(),
        reserved: 0.into(),
    };
    let len = crate::wire::emit(&mut buf, &heartbeat, Kind::Heartbeat, &body).unwrap();
    observer.handle_datagram(300, addr(1), &buf[..len]);
    let naks_token = |observer: &mut Follower, now: Nanos| -> Vec<u32> {
        let mut out = vec![0; 1472];
        std::iter::from_fn(|| observer.poll_transmit(now, &mut out).map(|t| out[..t.len].to_vec()))
            .map(|d| crate::wire::parse(&d).unwrap().header.token.get())
            .collect()
    };
    let first = naks_token(&mut observer, 300 + config.nak_delay_max_ns);
    assert_eq!(first, [0], "no token yet");
    let busy = crate::wire::Busy {
        client: 0.into(),
        reason: u16::from(BusyReason::Hello).into(),
        leader: 0.into(),
        request: 0.into(),
        retry_ns: 0.into(),
    };
    let mut hello = Header::new(Kind::Busy, 0, config.cluster_id, config.epoch);
    // A security review: a hello naming a client, which that client's key
    // signs, set a tail's token. The leader's names client 0.
    let for_42 = crate::wire::Busy { client: 42.into(), ..busy };
    hello.token = 66.into();
    let len = crate::wire::emit(&mut buf, &hello, Kind::Busy, &for_42).unwrap();
    let at = 350 + config.nak_delay_max_ns;
    observer.handle_datagram(at, addr(1), &buf[..len]);
    assert!(!naks_token(&mut observer, at + config.nak_delay_min_ns).contains(&66), "not taken");
    hello.token = 77.into();
    let len = crate::wire::emit(&mut buf, &hello, Kind::Busy, &busy).unwrap();
    let at = 400 + config.nak_delay_max_ns;
    observer.handle_datagram(at, addr(1), &buf[..len]);
    assert_eq!(naks_token(&mut observer, at + config.nak_delay_min_ns), [77], "asked again at once, with it");
}

/// Issue 16: an ACK echoing `echo_ns = 1` pushed the smoothed RTT from
/// ~50 µs to 243 ms. An echo this leader cannot have sent is no sample.
#[test]
fn an_ack_echoing_a_stamp_the_leader_never_sent_is_no_round_trip_sample() {
    let config = Config::default();
    let (mut leader, _) = one_event_sent(&config);
    let srtt = leader.srtt_ns;
    let header = Header::new(Kind::Ack, 1, config.cluster_id, config.epoch);
    let now = 5_000_000_000;
    for echo in [1, now + 1] {
        let body = Ack { seq_held: 1.into(), echo_ns: echo.into(), echo_delay_ns: 0.into() };
        let mut buf = vec![0; 128];
        let len = emit(&mut buf, &header, Kind::Ack, &body).unwrap();
        leader.handle_datagram(now, addr(11), &buf[..len]);
    }
    assert_eq!(leader.srtt_ns, srtt);
    assert_eq!(leader.stats().rtt_samples_implausible, 2);
}

/// Issue 16: one greedy client could take the whole in-flight window and
/// leave every other client BUSY until its events committed. Each client
/// now gets at most an equal share among those with events in flight and
/// one more, so a newcomer always finds room.
#[test]
fn a_greedy_client_leaves_room_in_the_window_for_another() {
    let config = Config { in_flight_max: 12, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    let mut submit_many = |leader: &mut Leader, id: u32, n: usize| {
        let mut client = crate::core::Client::new(config.clone(), ClientId(id), addr(1)).unwrap();
        for _ in 0..n {
            client.submit(b"e").unwrap();
        }
        let t = client.poll_transmit(0, &mut buf).unwrap();
        let submit = buf[..t.len].to_vec();
        leader.handle_datagram(10, addr(100 + id as u16), &submit);
        sent(leader, 10)
    };
    // Nothing commits (no follower): the window only fills.
    let out = submit_many(&mut leader, 1, 12);
    assert_eq!(leader.stats().events_stamped, 6, "alone, half the window: room for one more client");
    assert_eq!(busy_of(&out), [(1, BusyReason::InFlightFull)]);
    let out = submit_many(&mut leader, 2, 12);
    assert_eq!(leader.stats().events_stamped, 6 + 4, "the second gets a third of it");
    assert_eq!(busy_of(&out), [(2, BusyReason::InFlightFull)]);
    submit_many(&mut leader, 3, 12);
    assert_eq!(leader.stats().events_stamped, 12, "and a third client still finds room");
    assert_eq!(leader.stats().over_share, 2, "the third stopped at the window's end, not its share");
}

/// Issue 16: the reserved bytes and padding of a client's record went into
/// DATA as the client sent them, though the spec says they go out as zero.
#[test]
fn reserved_bytes_and_padding_of_a_record_go_out_as_zero() {
    use zerocopy::IntoBytes;
    let config = Config::default();
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    let client = Header::new(Kind::Submit, crate::wire::SENDER_CLIENT, config.cluster_id, Epoch::ZERO);
    let mut w = crate::wire::FrameWriter::submit(&mut buf, &client, ClientId(9), 1).unwrap();
    let mut event = crate::wire::EventHeader::unstamped(ClientId(9), 1, 3);
    event.reserved = 0xbeef.into();
    let mut record = event.as_bytes().to_vec();
    record.extend_from_slice(b"abc");
    record.extend_from_slice(&[0x77; 5]);
    assert!(w.push_record(&record));
    let len = w.finish();
    let submit = buf[..len].to_vec();
    leader.handle_datagram(10, addr(9), &submit);
    let data = sent(&mut leader, 20).into_iter().next().expect("a DATA");
    let datagram = crate::wire::parse(&data).unwrap();
    let Frame::Data(batch) = datagram.frame else { panic!("{:?}", datagram.frame) };
    let event = batch.events.clone().next().unwrap();
    assert_eq!((event.header.reserved.get(), event.payload), (0, &b"abc"[..]));
    assert_eq!(&data[data.len() - 5..], &[0; 5], "padding");
}

/// Issue 16: a record whose payload is over `payload_max` was dropped with
/// the rest of its SUBMIT and never answered, so its client resent it
/// forever. It is counted and answered BUSY reason 6 (refused), naming it;
/// the requests before it are taken, and a client that gets it stops.
#[test]
fn an_oversized_record_is_counted_and_refused_by_name() {
    let config = Config { payload_max: 16, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    let client = Header::new(Kind::Submit, crate::wire::SENDER_CLIENT, config.cluster_id, Epoch::ZERO);
    let mut w = crate::wire::FrameWriter::submit(&mut buf, &client, ClientId(9), 1).unwrap();
    for (request, payload) in [(1, &[1u8; 16][..]), (2, &[2; 24]), (3, &[3; 8])] {
        let mut record = crate::wire::test_record(9, request, payload);
        record[..8].fill(0); // unstamped
        assert!(w.push_record(&record));
    }
    let len = w.finish();
    leader.handle_datagram(10, addr(9), &buf[..len]);
    assert_eq!(leader.stats().refused, 1);
    assert_eq!(leader.stats().events_stamped, 1, "request 1 is taken, 3 waits behind 2");
    let out = sent(&mut leader, 20);
    assert_eq!(busy_of(&out), [(9, BusyReason::Refused)]);
    let busy = out.iter().find_map(|d| match crate::wire::parse(d).unwrap().frame {
        Frame::Busy(b) => Some(b.request.get()),
        _ => None,
    });
    assert_eq!(busy, Some(2), "the request refused");

    // A client told so stops, and says which request it was.
    let mut c = crate::core::Client::new(Config { payload_max: 32, ..config.clone() }, ClientId(9), addr(1)).unwrap();
    c.submit(&[1; 16]).unwrap();
    c.submit(&[2; 24]).unwrap();
    let mut out = vec![0; 1472];
    assert!(c.poll_transmit(0, &mut out).is_some());
    c.handle_datagram(5, addr(1), &busy_refusing(&config, 9, 2));
    assert_eq!(c.refused(), Some(2));
    assert_eq!((c.poll_transmit(10_000_000_000, &mut out), c.poll_timeout()), (None, None), "it sends no more");
}

/// A BUSY reason 6 for `client`'s `request`.
fn busy_refusing(config: &Config, client: u32, request: u64) -> Vec<u8> {
    let header = Header::new(Kind::Busy, 0, config.cluster_id, config.epoch);
    let body = crate::wire::Busy {
        client: client.into(),
        reason: u16::from(BusyReason::Refused).into(),
        leader: 0.into(),
        request: request.into(),
        retry_ns: 0.into(),
    };
    let mut buf = vec![0; 128];
    let len = crate::wire::emit(&mut buf, &header, Kind::Busy, &body).unwrap();
    buf.truncate(len);
    buf
}

/// Issue 17: per follower, the leader knows how far behind it is in time
/// (the age of the oldest event it has not ACKed), how many NAKs it sent,
/// and when its latest ACK came.
#[test]
fn the_leader_knows_each_followers_lag_in_time_and_its_naks() {
    let config = Config::default();
    let mut leader = one_event_acked_by_follower_1(&config);
    // The event was stamped at 10: follower 2, silent, is 990 ns behind.
    assert_eq!((leader.lag_ns(NodeId(1), 1000), leader.lag_ns(NodeId(2), 1000)), (0, 990));
    assert_eq!(leader.last_ack_ns(), [0, 50, 0]);
    leader.handle_datagram(60, addr(12), &nak(&config, 2, 1, 2));
    assert_eq!(leader.naks_by_member(), [0, 0, 1]);
    // A log resumed from a journal was stamped on an earlier run's clock
    // (later than this one's, here): a follower not heard since is behind
    // by the time since this leader started, not 0 (an operator's trial
    // read 'max follower lag 180000 (0.0 ms)').
    let journaled = Config { epoch: Epoch(2), ..config.clone() };
    let mut resume = Leader::resume(journaled, 5_000, Seq::FIRST).unwrap();
    let mut record = crate::wire::test_record(9, 1, b"old");
    record[8..16].copy_from_slice(&1_000_000u64.to_le_bytes());
    assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
    let resumed = resume.finish(Seq::ZERO);
    assert_eq!(resumed.lag_ns(NodeId(1), 6_000), 1_000);
}

/// A reviewer of the client table: a leader that took a log over (elected,
/// or resumed from its journal) found its clients in it as settled and
/// never heard, so the first new client of a full table took the place of
/// one whose events in that log were not committed yet, and that client's
/// resends were answered "in doubt" though this leader holds them. Such a
/// place is kept while its events are uncommitted, and a settled one for
/// an idle time from the leader's start.
#[test]
fn a_client_found_in_a_log_taken_over_keeps_its_place() {
    let config = Config { clients_max: 1, epoch: Epoch(2), ..Config::default() };
    let second = 1_000_000_000;
    let resumed = |commit: u64, now: Nanos| {
        let mut resume = Leader::resume(config.clone(), now, Seq::FIRST).unwrap();
        let record = crate::wire::test_record(9, 1, b"old");
        assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
        resume.finish(Seq(commit))
    };
    let submit = |id: u32| {
        let mut client = crate::core::Client::new(config.clone(), ClientId(id), addr(1)).unwrap();
        let mut buf = vec![0; config.mtu];
        client.submit(b"old").unwrap();
        let t = client.poll_transmit(0, &mut buf).unwrap();
        buf[..t.len].to_vec()
    };
    // Client 9's request 1 at sequence 1, not committed: a new client
    // waits for room however long client 9 is silent.
    let mut leader = resumed(0, 0);
    let _ = sent(&mut leader, 0);
    leader.handle_datagram(30 * second, addr(7), &submit(7));
    assert_eq!(busy_of(&sent(&mut leader, 30 * second)), [(7, BusyReason::TooManyClients)]);
    leader.handle_datagram(31 * second, addr(9), &submit(9));
    assert_eq!(busy_of(&sent(&mut leader, 31 * second)), [], "its resend is a duplicate, not in doubt");
    assert_eq!((leader.stats().in_doubt, leader.stats().events_stamped), (0, 0));
    // Committed, it is settled: a new client takes its place only once an
    // idle time passed since this leader started.
    let mut leader = resumed(1, 100 * second);
    leader.handle_datagram(105 * second, addr(7), &submit(7));
    assert_eq!(busy_of(&sent(&mut leader, 105 * second)), [(7, BusyReason::TooManyClients)]);
    leader.handle_datagram(111 * second, addr(7), &submit(7));
    assert_eq!(leader.stats().events_stamped, 1, "client 7 taken once client 9 was idle 10 s");
}

/// Helper 115: a leader that took a log over counted its uncommitted
/// requests as told, so their commit was told to nobody: only a resend
/// after it commits (the client's retry, or its probing a member again
/// later) learned of it. Whether the client speaks before the commit or
/// after, it is told once that request commits. One that never speaks
/// again gives its place up as a told one does (a campaign of crowded
/// tables found every new client refused for good once the first version
/// kept such places untold).
#[test]
fn requests_found_uncommitted_in_a_log_taken_over_are_told_when_they_commit() {
    let config = Config { clients_max: 1, epoch: Epoch(2), ..Config::default() };
    let resumed = || {
        let mut resume = Leader::resume(config.clone(), 0, Seq::FIRST).unwrap();
        for request in 1..=2 {
            let record = crate::wire::test_record(9, request, b"old");
            assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
        }
        let mut leader = resume.finish(Seq(1));
        let _ = sent(&mut leader, 0);
        leader
    };
    // Resent before it commits: a duplicate, told at the commit.
    let mut leader = resumed();
    leader.handle_datagram(10, addr(9), &raw_submit_of(&config, 9, 1..=2, b"old"));
    assert_eq!(commits_sent(&mut leader, 11), vec![(Dest::Unicast(addr(9)), vec![(1, 1, 1)])], "1 told again");
    leader.handle_datagram(12, addr(11), &ack_of(&config, 1, 2));
    assert_eq!(commits_sent(&mut leader, 13), vec![(Dest::Unicast(addr(9)), vec![(2, 2, 1)])]);
    // Committed before the client speaks: told when it does.
    let mut leader = resumed();
    leader.handle_datagram(10, addr(11), &ack_of(&config, 1, 2));
    assert_eq!(commits_sent(&mut leader, 11), vec![], "nowhere to tell it yet");
    leader.handle_datagram(12, addr(9), &raw_submit_of(&config, 9, 2..=2, b"old"));
    assert_eq!(commits_sent(&mut leader, 13), vec![(Dest::Unicast(addr(9)), vec![(2, 2, 1)])]);
    assert_eq!(leader.stats().events_stamped, 0, "nothing sequenced again");
    // Committed, and the client silent: its place is free once idle.
    let mut leader = resumed();
    leader.handle_datagram(10, addr(11), &ack_of(&config, 1, 2));
    let _ = sent(&mut leader, 11);
    let second = 1_000_000_000;
    leader.handle_datagram(11 * second, addr(7), &raw_submit_of(&config, 7, 1..=1, b"new"));
    assert_eq!(leader.stats().events_stamped, 1, "client 7 takes client 9's place");
}

/// Helper 196: the commit of a request a leader found in a log it took
/// over took one off its client's events in flight, which counted only
/// those this leader stamped: with one of its own in flight, the client
/// read as having none, and its share of the window grew.
#[test]
fn a_commit_of_a_log_taken_over_leaves_its_clients_own_events_in_flight() {
    let config = Config { epoch: Epoch(2), ..Config::default() };
    let mut resume = Leader::resume(config.clone(), 0, Seq::FIRST).unwrap();
    let record = crate::wire::test_record(9, 1, b"old");
    assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
    let mut leader = resume.finish(Seq::ZERO);
    let _ = sent(&mut leader, 0);
    leader.handle_datagram(10, addr(9), &raw_submit_of(&config, 9, 1..=2, b"old"));
    assert_eq!(leader.stats().events_stamped, 1, "request 2, at 2");
    let appended: Vec<_> = std::iter::from_fn(|| leader.poll_append().map(|a| a.event.header.seq())).collect();
    assert_eq!(appended, [Seq(2)]);
    leader.handle_durable(Seq(2));
    let in_flight = |leader: &Leader| leader.clients.entries[leader.clients.index[&ClientId(9)]].in_flight;
    assert_eq!((in_flight(&leader), leader.clients.active), (1, 1));
    leader.handle_datagram(12, addr(11), &ack_of(&config, 1, 1));
    assert_eq!(leader.commit, 1);
    assert_eq!((in_flight(&leader), leader.clients.active), (1, 1), "request 2 is still in flight");
    leader.handle_datagram(14, addr(11), &ack_of(&config, 1, 2));
    assert_eq!(leader.commit, 2);
    assert_eq!((in_flight(&leader), leader.clients.active), (0, 0));
}

/// Helper 118: a log taken over with a client id used twice (request 10^9,
/// then request 1 of a second process) started that client's notices at
/// request 1, and the commit of it walked a billion requests. The table
/// keeps only a client's newest `pending_max`; notices start no lower.
#[test]
fn notices_of_a_log_taken_over_start_no_lower_than_the_table_remembers() {
    let config = Config { epoch: Epoch(2), ..Config::default() };
    let mut resume = Leader::resume(config.clone(), 0, Seq::FIRST).unwrap();
    for (seq, request) in [(1, 1_000_000_000), (2, 1)] {
        let mut record = crate::wire::test_record(9, request, b"old");
        let (header, _) = <crate::wire::EventHeader as zerocopy::FromBytes>::mut_from_prefix(&mut record).unwrap();
        header.seq = u64::into(seq);
        assert!(resume.push(crate::wire::EventRef::split(&record).unwrap().0));
    }
    let mut leader = resume.finish(Seq(1));
    let slot = leader.clients.slot(ClientId(9)).unwrap();
    let remembered = leader.clients.remembered_from(slot);
    assert_eq!(remembered, 1_000_000_001 - config.client_pending_max as u64);
    assert_eq!(leader.clients.entries[slot].notified_next, remembered);
    leader.handle_datagram(10, addr(11), &ack_of(&config, 1, 2));
    let _ = sent(&mut leader, 11);
    assert_eq!(leader.clients.entries[slot].notified_next, 1_000_000_001);
}

/// Issue 16: a first SUBMIT replayed after its client was forgotten (its
/// place and its record both gone) was taken as a new client's, and its
/// events were sequenced twice. With client tokens (keyed drivers), a
/// client the leader knows nothing of is taken only once it echoes a
/// fresh token; a replay carries none, or one that has gone stale.
#[test]
fn a_forgotten_clients_first_submit_replayed_is_never_taken_again() {
    let config = Config { client_tokens: true, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut buf = vec![0; config.mtu];
    client.submit(b"e").unwrap();
    let t = client.poll_transmit(0, &mut buf).unwrap();
    let tokenless = buf[..t.len].to_vec();
    leader.handle_datagram(10, addr(9), &tokenless);
    let hello = sent(&mut leader, 20);
    assert_eq!(busy_of(&hello), [(7, BusyReason::Hello)]);
    assert_eq!(leader.stats().events_stamped, 0, "not taken before the client echoes its token");
    // The client sends again at once, with the token.
    client.handle_datagram(30, addr(9), &hello[0]);
    let t = client.poll_transmit(30, &mut buf).unwrap();
    let tokened = buf[..t.len].to_vec();
    assert_ne!(crate::wire::parse(&tokened).unwrap().header.token.get(), 0);
    leader.handle_datagram(40, addr(9), &tokened);
    assert_eq!(leader.stats().events_stamped, 1);
    // A leader of the same epoch that knows nothing of client 7 (forgotten):
    // neither SUBMIT replayed is taken, the tokened one once its window passed.
    let mut forgot = Leader::new(config.clone(), 0).unwrap();
    forgot.handle_datagram(50, addr(666), &tokenless);
    forgot.handle_datagram(25_000_000_000, addr(666), &tokened);
    assert_eq!((forgot.stats().events_stamped, forgot.stats().hellos_sent), (0, 2));
    // Without client tokens (no keys: anyone could forge a SUBMIT anyway),
    // a new client is taken at once.
    let mut open = Leader::new(Config::default(), 0).unwrap();
    open.handle_datagram(60, addr(9), &tokenless);
    assert_eq!(open.stats().events_stamped, 1);
}

/// A leader that sequenced `count` events of one client, a DATA of one
/// event each microsecond, and when it stopped; `each(i, now, data)` sees
/// the i-th DATA. Nothing reaches the leader but the SUBMITs.
fn sequenced(config: &Config, count: u64, mut each: impl FnMut(u64, Nanos, &[u8])) -> (Leader, Nanos) {
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut buf = vec![0; config.mtu];
    let mut now = 0;
    for i in 0..count {
        now += 1_000;
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(now, &mut buf).expect("a SUBMIT");
        leader.handle_datagram(now, addr(9), &buf[..submit.len]);
        // Past a heartbeat interval, where its log starts comes first (a
        // member has not acked): sent nowhere.
        let data = loop {
            let t = leader.poll_transmit(now, &mut buf).expect("a DATA of one event");
            if matches!(crate::wire::parse(&buf[..t.len]).unwrap().frame, Frame::Data(_)) {
                break t;
            }
        };
        each(i, now, &buf[..data.len]);
        // The client hears nothing back: let it not hold submits up.
        while client.poll_transmit(now, &mut buf).is_some() {}
    }
    (leader, now)
}

/// A leader that sequenced 2,000 events, and a follower of it that
/// received every other one and whose every datagram went nowhere.
fn every_other_of_2000(config: &Config) -> (Leader, Follower, Nanos) {
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    let (leader, now) = sequenced(config, 2000, |i, now, data| {
        if i % 2 == 0 {
            follower.handle_datagram(now, addr(1), data);
        }
        // Whatever the follower says goes nowhere.
        while follower.poll_transmit(now, &mut buf).is_some() {}
    });
    (leader, follower, now)
}

/// Runs `follower`'s timers from `now` until `until`; returns the NAKs it
/// sent, and those of them sent after `late`.
fn naks_until(follower: &mut Follower, now: &mut Nanos, until: Nanos, late: Nanos) -> (u64, u64) {
    let mut buf = vec![0; 2048];
    let (mut naks, mut naks_late) = (0, 0);
    while let Some(at) = follower.poll_timeout().filter(|&at| at <= until) {
        *now = at.max(*now);
        follower.handle_timeout(*now);
        while let Some(transmit) = follower.poll_transmit(*now, &mut buf) {
            if matches!(crate::wire::parse(&buf[..transmit.len]).unwrap().frame, Frame::Nak(_)) {
                naks += 1;
                naks_late += u64::from(*now > late);
            }
        }
    }
    *now = until.max(*now);
    (naks, naks_late)
}

/// A follower out of room for gaps it never asked for (a window of 64, 16
/// asked at most) looked again every `nak_delay_min_ns` (20 µs) until a
/// repair freed half of it: for seconds under a member's `--history-rate`,
/// 50,000 wake-ups a second. It now sleeps until a retry is due, and asks
/// for the next gaps as soon as a repair frees half the room.
#[test]
fn a_follower_out_of_room_sleeps_until_a_repair_frees_half_of_it() {
    let config = Config::default();
    // Its own window (a node's, not the cluster's): 64, 16 asked at most.
    let small = Config { window_events: 64, in_flight_max: 32, nak_events_max: 16, ..config.clone() };
    let mut one = Follower::new(small, NodeId(1), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    // Follower 1 hears only the last DATA of 200.
    let mut last = Vec::new();
    let (mut leader, mut now) = sequenced(&config, 200, |_, _, data| last = data.to_vec());
    one.handle_datagram(now, addr(1), &last);
    let nak_of = |bytes: &[u8]| match crate::wire::parse(bytes).unwrap().frame {
        Frame::Nak(nak) => nak.ranges.iter().map(|r| (r.first.get(), r.end.get())).collect::<Vec<_>>(),
        frame => panic!("{frame:?}"),
    };
    now = one.poll_timeout().unwrap();
    one.handle_timeout(now);
    let nak = std::iter::from_fn(|| one.poll_transmit(now, &mut buf).map(|t| buf[..t.len].to_vec()))
        .find(|bytes| matches!(crate::wire::parse(bytes).unwrap().frame, Frame::Nak(_)))
        .expect("a NAK");
    assert_eq!(nak_of(&nak), [(1, 17)], "all the room holds");
    let wake = one.poll_timeout().unwrap();
    assert!(wake > now + config.nak_delay_min_ns, "it sleeps until a retry is due: {} ns", wake - now);
    // It ACKed from there (a NAK alone draws one event).
    leader.handle_datagram(now, addr(11), &ack_echoing(&config, 1, 0, now));
    leader.handle_datagram(now, addr(11), &nak);
    now += config.nak_delay_min_ns;
    while let Some(t) = leader.poll_transmit(now, &mut buf) {
        let repair = buf[..t.len].to_vec();
        if t.dest == Dest::Unicast(addr(11)) {
            one.handle_datagram(now, addr(1), &repair);
        }
    }
    let next: Vec<_> = std::iter::from_fn(|| one.poll_transmit(now, &mut buf).map(|t| buf[..t.len].to_vec()))
        .filter(|bytes| matches!(crate::wire::parse(bytes).unwrap().frame, Frame::Nak(_)))
        .map(|bytes| nak_of(&bytes))
        .collect();
    assert_eq!(next, [vec![(17, 33)]], "the next gaps, at once");
}

/// A follower cut off with a thousand gaps (every other event missed) asks
/// for them in NAKs of at most 64 ranges; once they have gone
/// `nak_delay_max_ns` unanswered (its leader silent) it sends at most one
/// NAK per that delay, not a round of them per retry.
#[test]
fn a_cut_off_follower_does_not_storm_its_silent_leader_with_naks() {
    let config = Config::default();
    let (_, mut follower, mut now) = every_other_of_2000(&config);
    let cut_at = now;
    let late = cut_at + 2 * config.nak_delay_max_ns;
    let (naks, naks_late) = naks_until(&mut follower, &mut now, cut_at + 1_000_000_000, late);
    assert!(naks > 16, "it asks for its 1,000 gaps, 64 ranges a NAK: {naks}");
    assert!(naks_late <= 100, "one NAK per nak_delay_max_ns while nothing comes back: {naks_late} in a second");
}

/// The same follower hearing its leader all along (a HEARTBEAT every
/// millisecond) while its NAKs never reach it — a link back up before its
/// neighbours are, loss one way, a leader's full socket buffer — also
/// sends at most one NAK per `nak_delay_max_ns` once they have gone that
/// long unanswered.
#[test]
fn a_follower_whose_naks_go_unanswered_does_not_storm_a_leader_it_hears() {
    let config = Config::default();
    let (mut leader, mut follower, mut now) = every_other_of_2000(&config);
    let mut buf = vec![0; config.mtu];
    let cut_at = now;
    let late = cut_at + 2 * config.nak_delay_max_ns;
    let (mut naks, mut naks_late) = (0, 0);
    while now < cut_at + 1_000_000_000 {
        let tick = now + 1_000_000;
        let (n, late_n) = naks_until(&mut follower, &mut now, tick, late);
        (naks, naks_late) = (naks + n, naks_late + late_n);
        leader.handle_timeout(now);
        while let Some(transmit) = leader.poll_transmit(now, &mut buf) {
            follower.handle_datagram(now, addr(1), &buf[..transmit.len]);
        }
    }
    assert!(follower.stats().heartbeats >= 900, "it heard the leader: {}", follower.stats().heartbeats);
    assert!(naks > 16, "it asks for its 1,000 gaps, 64 ranges a NAK: {naks}");
    assert!(naks_late <= 100, "one NAK per nak_delay_max_ns while none is answered: {naks_late} in a second");
}

/// A NAK whose gap the DATA itself fills later (it came out of order) is
/// waiting for no answer: it neither slows the next NAK nor reads as
/// unanswered.
#[test]
fn a_gap_filled_without_a_repair_leaves_no_nak_unanswered() {
    let config = Config::default();
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let mut buf = vec![0; config.mtu];
    let mut datas = Vec::new();
    for now in [1_000, 2_000, 3_000] {
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(now, &mut buf).expect("a SUBMIT");
        leader.handle_datagram(now, addr(9), &buf[..submit.len]);
        let data = leader.poll_transmit(now, &mut buf).expect("a DATA of one event");
        datas.push(buf[..data.len].to_vec());
    }
    follower.handle_datagram(3_000, addr(1), &datas[0]);
    follower.handle_datagram(3_000, addr(1), &datas[2]);
    let mut now = 3_000;
    let (naks, _) = naks_until(&mut follower, &mut now, 10_000_000, u64::MAX);
    assert!(naks >= 1, "the gap at 2 is NAKed");
    assert!(follower.naks_unanswered_ns(now).is_some());
    follower.handle_datagram(now, addr(1), &datas[1]);
    assert_eq!(follower.seq_held(), Seq(3));
    assert_eq!(follower.naks_unanswered_ns(now), None);
}

/// A repair from the ring goes out at most `REPAIR_BYTES_PER_FLUSH` (64
/// KiB) at a time: each flush's live frames, and the next turn's, wait for
/// no more than that, however much a NAK asks (an observer's asks four
/// times a follower's). The rest goes at the next flush, which is due at
/// once; every event is sent once, in order.
#[test]
fn a_long_repair_from_the_ring_goes_out_a_budget_per_flush() {
    let config = Config::default();
    let (mut leader, _, now) = every_other_of_2000(&config);
    leader.handle_datagram(now, addr(11), &ack_echoing(&config, 1, 0, now));
    leader.handle_datagram(now, addr(11), &nak(&config, 1, 1, 2001));
    let mut seqs = Vec::new();
    let mut flushes = 0;
    while seqs.len() < 2000 {
        let sent = sent(&mut leader, now);
        let repairs = sent.iter().filter(|d| matches!(crate::wire::parse(d).unwrap().frame, Frame::Retransmit(_)));
        let bytes: usize = repairs.map(Vec::len).sum();
        assert!(bytes <= REPAIR_BYTES_PER_FLUSH + config.mtu, "flush {flushes}: {bytes} bytes");
        assert!(!sent.is_empty(), "flush {flushes} sent nothing with {} of 2000 sent", seqs.len());
        for datagram in &sent {
            match crate::wire::parse(datagram).unwrap().frame {
                Frame::Retransmit(batch) => seqs.extend(batch.events.map(|e| e.header.seq.get())),
                // Where its log starts, while a member has not acked.
                Frame::Heartbeat(_) => {}
                other => panic!("{other:?}"),
            }
        }
        flushes += 1;
        if seqs.len() < 2000 {
            assert!(leader.poll_timeout().is_some_and(|at| at <= now), "the rest is due at once");
        }
    }
    assert_eq!(seqs, (1..=2000).collect::<Vec<u64>>());
    // 2,000 records of 40 bytes: 80,000 bytes, more than one flush takes.
    assert!(flushes >= 2, "{flushes}");
    assert!(leader.poll_timeout().is_some_and(|at| at > now), "nothing left: no turn at once");
}

/// The first NAKs of a follower and of an observer that hear of 100,000
/// events they lack: the follower keeps `nak_events_max` asked, the
/// observer (`seqcast tail`, replaying history the leader serves from its
/// journal within a per-turn budget) four times that, so that the leader
/// does not run out of what was asked between its NAKs.
#[test]
fn an_observer_keeps_four_times_a_followers_events_asked() {
    let config = Config::default();
    let heartbeat = {
        let header = Header::new(Kind::Heartbeat, 0, config.cluster_id, config.epoch);
        let body = crate::wire::Heartbeat {
            seq_next: 100_001.into(),
            commit: 100_000.into(),
            sent_ns: 1.into(),
            rtt_ns: 0.into(),
            epoch_start: 0.into(),
            nonce: 0.into(),
            reserved: 0.into(),
        };
        let mut buf = vec![0; 128];
        let len = emit(&mut buf, &header, Kind::Heartbeat, &body).unwrap();
        buf.truncate(len);
        buf
    };
    let asked = |mut follower: Follower| -> u64 {
        let mut buf = vec![0; config.mtu];
        follower.handle_datagram(10, addr(1), &heartbeat);
        let mut now = 10;
        let mut events = 0;
        while events == 0 {
            now = follower.poll_timeout().expect("a NAK to come").max(now);
            follower.handle_timeout(now);
            while let Some(t) = follower.poll_transmit(now, &mut buf) {
                if let Frame::Nak(nak) = crate::wire::parse(&buf[..t.len]).unwrap().frame {
                    events += nak.ranges.iter().map(|r| r.end.get() - r.first.get()).sum::<u64>();
                }
            }
        }
        events
    };
    let max = config.nak_events_max as u64;
    assert_eq!(asked(Follower::new(config.clone(), NodeId(1), 0).unwrap()), max);
    assert_eq!(asked(Follower::observe(config.clone(), 0, Seq(1)).unwrap()), 4 * max);
}

/// A reader of the code: a resumed sequencer announces where its epoch's
/// log starts until every follower has ACKed, and counted them in a 64-bit
/// set, so with more than 64 nodes (allowed without failover) it stopped
/// once ids 0..=63 had, and a journaled follower of a higher id that missed
/// the announcements waited under load for an idle HEARTBEAT.
#[test]
fn a_resumed_sequencer_announces_until_every_follower_acked_beyond_64_nodes() {
    let config = Config { nodes: 70, ..Config::default() };
    let mut leader = Leader::resume(config.clone(), 0, Seq::FIRST).unwrap().finish(Seq::ZERO);
    for node in 1..70 {
        assert!(leader.announce_due(10), "before node {node} ACKed");
        leader.handle_datagram(10, addr(node), &ack_of(&config, node, 0));
        // Again: the same follower counts once.
        leader.handle_datagram(10, addr(node), &ack_of(&config, node, 0));
    }
    assert!(!leader.announce_due(10), "every follower ACKed");
}

fn ack_of(config: &Config, node: u16, held: u64) -> Vec<u8> {
    let body = Ack { seq_held: held.into(), echo_ns: 0.into(), echo_delay_ns: 0.into() };
    crate::core::test_frame(config, (Kind::Ack, node, config.epoch), &body)
}

/// A sequencer restarted without its journal (or with its tail damaged)
/// starts its log again below what its journaled followers hold, and they
/// follow its new epoch: an ACK beyond what it sequenced is another
/// history. It once counted as holding the whole new log, so the leader
/// told clients of commits no follower held, and numbered committed
/// sequences anew. Now nothing commits from the first such ACK on.
#[test]
fn an_ack_beyond_the_leaders_log_is_another_history_and_stops_every_commit() {
    for config in [Config::default(), Config { journal: true, ..Config::default() }] {
        let (mut leader, _) = one_event_sent(&config);
        if config.journal {
            leader.poll_append().expect("event 1 to append");
            leader.handle_durable(Seq(1));
        }
        leader.handle_datagram(50, addr(11), &ack_of(&config, 1, 100_860));
        assert_eq!(leader.commit(), Seq::ZERO, "follower 1 holds another history, not event 1");
        assert_eq!(leader.foreign_ack(), Some((NodeId(1), Seq(100_860), Seq(1))));
        assert!(leader.foreign_history());
        assert_eq!(leader.stats().acks_beyond, 1);
        // Not even a follower of this log moves the commit now.
        leader.handle_datagram(60, addr(12), &ack_of(&config, 2, 1));
        assert_eq!(leader.commit(), Seq::ZERO);
    }
    // Without that ACK, follower 2's alone commits it.
    let (mut leader, _) = one_event_sent(&Config::default());
    leader.handle_datagram(60, addr(12), &ack_of(&Config::default(), 2, 1));
    assert_eq!((leader.commit(), leader.foreign_ack()), (Seq(1), None));
}

/// What the leader sends at `now` to the group (DATA, HEARTBEATs).
fn multicast(leader: &mut Leader, now: Nanos) -> Vec<Vec<u8>> {
    let mut buf = vec![0; 1472];
    std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
        .filter_map(|(dest, bytes)| (dest == Dest::Group).then_some(bytes))
        .collect()
}

/// With 4 followers and a quorum of 3 the leader tells each commit by
/// HEARTBEAT. A follower that takes a DATA and, in the same turn, the
/// HEARTBEAT saying it committed (followers 1 and 2 ACKed it first) sends
/// no ACK: it could not move the commit. What it holds still reaches the
/// leader within ACK_REFRESH_NS. With 3 nodes a follower infers commits,
/// but the leader does not: every DATA is ACKed.
#[test]
fn an_ack_the_commit_already_covers_is_not_sent() {
    // Whether `follower` sends an ACK at `now`; the leader takes it.
    let answer = |leader: &mut Leader, follower: &mut Follower, now: Nanos| {
        let mut buf = vec![0; 1472];
        let ack = follower.poll_transmit(now, &mut buf).map(|t| buf[..t.len].to_vec());
        if let Some(ack) = &ack {
            let sender = crate::wire::parse(ack).unwrap().header.sender.get();
            leader.handle_datagram(now, addr(10 + sender), ack);
        }
        ack.is_some()
    };
    // One event from client 7 at `now`: what the leader multicasts.
    let one_event = |leader: &mut Leader, client: &mut crate::core::Client, now: Nanos| {
        let mut buf = vec![0; 1472];
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(now, &mut buf).unwrap();
        leader.handle_datagram(now, addr(9), &buf[..submit.len]);
        multicast(leader, now)
    };
    let hear = |follower: &mut Follower, datagrams: &[Vec<u8>], now: Nanos| {
        datagrams.iter().for_each(|datagram| follower.handle_datagram(now, addr(1), datagram));
    };

    let config = Config { nodes: 5, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut followers: Vec<Follower> = (1..5).map(|id| Follower::new(config.clone(), NodeId(id), 0).unwrap()).collect();
    // Event 1: the first DATA of a leader is ACKed by all (the ACK says
    // where the follower is), before the commit.
    let data = one_event(&mut leader, &mut client, 1_000);
    followers.iter_mut().for_each(|f| hear(f, &data, 2_000));
    assert!(followers.iter_mut().all(|f| answer(&mut leader, f, 3_000)));
    assert_eq!(leader.commit(), Seq(1));
    let heartbeat = multicast(&mut leader, 4_000);
    followers.iter_mut().for_each(|f| hear(f, &heartbeat, 5_000));

    // Event 2: followers 1 and 2 ACK it; 3 and 4 take the DATA and the
    // HEARTBEAT of its commit in one turn.
    let data = one_event(&mut leader, &mut client, 1_000_000);
    for f in &mut followers[..2] {
        hear(f, &data, 1_001_000);
        assert!(answer(&mut leader, f, 1_002_000));
    }
    assert_eq!(leader.commit(), Seq(2));
    let heartbeat = multicast(&mut leader, 1_003_000);
    for f in &mut followers[2..] {
        hear(f, &data, 1_004_000);
        hear(f, &heartbeat, 1_004_000);
        assert!(!answer(&mut leader, f, 1_005_000), "2 is committed: this ACK could not move it");
        assert_eq!((f.stats().acks_covered, f.poll_timeout()), (1, Some(3_000 + ACK_REFRESH_NS)));
    }
    assert_eq!(leader.held()[3..], [1, 1]);
    // Its leader hears what it holds once ACK_REFRESH_NS passed since its last ACK.
    assert!(answer(&mut leader, &mut followers[2], 3_000 + ACK_REFRESH_NS));
    assert_eq!(leader.held()[3], 2);

    // Event 3: follower 2 is gone and the DATA alone reaches 3: its ACK
    // goes, and makes the commit.
    let data = one_event(&mut leader, &mut client, 20_000_000);
    hear(&mut followers[0], &data, 20_001_000);
    assert!(answer(&mut leader, &mut followers[0], 20_002_000));
    hear(&mut followers[2], &data, 20_001_000);
    assert!(answer(&mut leader, &mut followers[2], 20_002_000));
    assert_eq!(leader.commit(), Seq(3));

    // 3 nodes: the follower knows 1 committed once it holds it, but only
    // its ACK tells the leader.
    let config = Config::default();
    let (mut leader, data) = one_event_sent(&config);
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    hear(&mut follower, &[data], 30);
    assert_eq!(follower.commit(), Seq(1));
    assert!(answer(&mut leader, &mut follower, 40));
    assert_eq!(leader.commit(), Seq(1));
}

/// A HEARTBEAT from node `sender` in `epoch`, saying `seq_next`, `commit`,
/// `sent_ns` and `epoch_start`.
fn heartbeat_from(config: &Config, (sender, epoch): (u16, Epoch), fields: (u64, u64, u64, u64)) -> Vec<u8> {
    let (seq_next, commit, sent_ns, epoch_start) = fields;
    let body = crate::wire::Heartbeat {
        seq_next: seq_next.into(),
        commit: commit.into(),
        sent_ns: sent_ns.into(),
        rtt_ns: 0.into(),
        epoch_start: epoch_start.into(),
        nonce: 0.into(),
        reserved: 0.into(),
    };
    crate::core::test_frame(config, (Kind::Heartbeat, sender, epoch), &body)
}

/// After a failover a new leader may know less committed than a follower
/// heard from the old one. An ACK of what the new leader lacks must go
/// though the old commit covers it: the reviewer's case of the new
/// leader's first ACK lost, its HEARTBEAT then saying a lower commit.
#[test]
fn an_ack_a_new_leader_needs_goes_though_an_older_commit_covers_it() {
    let config = Config { nodes: 5, failover: Failover::Auto, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut follower = Follower::new(config.clone(), NodeId(3), 0).unwrap();
    let mut buf = vec![0; 1472];
    for payload in [b"a", b"b", b"c"] {
        client.submit(payload).unwrap();
    }
    let submit = client.poll_transmit(0, &mut buf).unwrap();
    leader.handle_datagram(10, addr(9), &buf[..submit.len]);
    for datagram in multicast(&mut leader, 20) {
        follower.handle_datagram(30, addr(1), &datagram);
    }
    leader.handle_datagram(40, addr(11), &ack_of(&config, 1, 3));
    leader.handle_datagram(40, addr(12), &ack_of(&config, 2, 3));
    assert_eq!(leader.commit(), Seq(3));
    for datagram in multicast(&mut leader, 50) {
        follower.handle_datagram(60, addr(1), &datagram);
    }
    assert_eq!(follower.commit(), Seq(3));

    // Node 1 leads epoch 2 from a log ending at 3, knowing only 1 committed.
    follower.join(Epoch(2), NodeId(1));
    // Node 1's HEARTBEAT at `now`: it knows 1 committed.
    let heartbeat = |now: u64| heartbeat_from(&config, (1, Epoch(2)), (4, 1, now, 3));
    follower.handle_datagram(1_000, addr(21), &heartbeat(1_000));
    // It asks for the leader's record at 3, the same as its own.
    let probe = follower.poll_transmit(1_050, &mut buf).expect("its probe");
    assert!(matches!(crate::wire::parse(&buf[..probe.len]).unwrap().frame, Frame::Nak(_)));
    let answer = follower.probe_answer(1, Epoch(2), 1).expect("a probe asked");
    follower.handle_datagram(1_060, addr(21), &answer);
    // Its first ACK to the new leader, lost.
    assert!(follower.poll_transmit(1_100, &mut buf).is_some());
    // The next HEARTBEAT says 1: the leader lacks the ACK of 3.
    follower.handle_datagram(2_000_000, addr(21), &heartbeat(2_000_000));
    let ack = follower.poll_transmit(2_000_100, &mut buf).expect("the ACK the new leader needs");
    match crate::wire::parse(&buf[..ack.len]).unwrap().frame {
        Frame::Ack(ack) => assert_eq!(ack.seq_held.get(), 3),
        other => panic!("{other:?}"),
    }
}

/// A follower takes frames from its leader only. Another member's (a
/// leader it does not follow yet, around an election) are counted apart
/// from a sender that is no member: the first is routine, and a node says
/// it as a note, the second a warning.
#[test]
fn another_members_frame_is_told_from_a_strangers() {
    let config = Config::default();
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    let heartbeat = |sender: u16| heartbeat_from(&config, (sender, config.epoch), (1, 0, 1, 0));
    follower.handle_datagram(10, addr(1), &heartbeat(2));
    follower.handle_datagram(20, addr(1), &heartbeat(7));
    follower.handle_datagram(30, addr(1), &heartbeat(0));
    let rejects = follower.rejects();
    assert_eq!((rejects.not_leader, rejects.not_member, rejects.total()), (1, 1, 2));
    assert_eq!(follower.epoch(), config.epoch, "its leader's frame is taken");
}

/// A state machine's `Debug` is a log line, not a dump of its ring, window
/// or resend buffer.
#[test]
fn the_state_machines_debug_in_a_line() {
    let config = Config::default();
    let (leader, data) = one_event_sent(&config);
    let mut follower = Follower::new(config.clone(), NodeId(1), 0).unwrap();
    follower.handle_datagram(30, addr(1), &data);
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    client.submit(b"e").unwrap();
    for (line, starts) in [
        (format!("{leader:?}"), "Leader { id: NodeId(0), epoch: Epoch(1), seq_next: Seq(2), commit: Seq(0)"),
        (
            format!("{follower:?}"),
            "Follower { id: 1, observer: false, epoch: Epoch(1), leader: Some(NodeId(0)), held: Seq(1)",
        ),
        (format!("{client:?}"), "Client { id: ClientId(7), leader: 127.0.0.1:1, epoch: Epoch(1), pending: 1"),
    ] {
        assert!(line.starts_with(starts) && line.len() < 200, "{line}");
    }
}

/// An operator's trial: a second follower started with an id in use, far
/// behind, NAKed the whole log in that id's name (1,096 NAKs in 8 s), and
/// the leader sent 1,868,626 events of repairs to the real follower, which
/// held them all. A NAK from elsewhere than a member's repairs address was
/// then answered only above what the member ACKed holding from there, and
/// now, while the member's ACKs come, not at all: it answered nobody who
/// asked, and where a copy of an ACK the leader never heard had moved the
/// repairs, it fed the replayer (`seqcast sim --replay 0.2 --crashes 3`,
/// seed 104000367: 337,576 bytes to the attacker for 15,520, the NAKs of
/// the member restarted on another port).
#[test]
fn a_second_process_with_a_followers_id_draws_no_repairs() {
    let config = Config::default();
    let (mut leader, now) = sequenced(&config, 100, |_, _, _| {});
    let real = addr(11);
    let mut buf = vec![0; config.mtu];
    let mut repairs = |leader: &mut Leader, now: Nanos| -> Vec<(Dest, u64)> {
        std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| (t.dest, t.len as u64)))
            .filter(|(dest, _)| *dest != Dest::Group)
            .collect()
    };
    leader.handle_datagram(now, real, &ack_of(&config, 1, 90));
    repairs(&mut leader, now);
    let twin = addr(99);
    let mut at = now;
    for _ in 0..20 {
        // Each after the linger of the last repair.
        at += config.repair_linger_ns + 1;
        leader.handle_datagram(at, twin, &ack_of(&config, 1, 0));
        leader.handle_datagram(at, twin, &nak(&config, 1, 1, 101));
        assert_eq!(repairs(&mut leader, at), []);
    }
    assert_eq!(leader.stats().events_retransmitted, 0);
    assert_eq!(leader.stats().naks_elsewhere, 20);
    // The member itself, asking again from its own address (restarted
    // empty), is answered in full.
    at += config.repair_linger_ns + 1;
    leader.handle_datagram(at, real, &nak(&config, 1, 1, 101));
    repairs(&mut leader, at);
    assert_eq!(leader.stats().events_retransmitted, 100);
}

/// A member not named in the cluster file that has not ACKed (or whose ACKs
/// fell silent) is answered where its NAK came from. One of its NAKs,
/// recorded and replayed from a victim's address, drew every event it
/// named there: 20 replays of a 56-byte NAK of 100 events of 100 bytes,
/// each after the last repair's linger, sent the victim 20 × 100 events.
/// Until an ACK comes from there, a NAK draws its lowest event alone;
/// the member's own ACK from there opens the rest.
#[test]
fn where_only_its_naks_name_a_member_a_nak_draws_one_event() {
    let config = Config::default();
    let (mut leader, now) = sequenced(&config, 100, |_, _, _| {});
    retransmitted_to(&mut leader, now, addr(9));
    let (victim, real) = (addr(666), addr(21));
    let recorded = nak(&config, 1, 1, 101);
    let mut at = now;
    let mut drawn = Vec::new();
    for _ in 0..20 {
        at += config.repair_linger_ns + 1;
        leader.handle_datagram(at, victim, &recorded);
        drawn.extend(retransmitted_to(&mut leader, at, victim));
    }
    assert_eq!(drawn.len(), 20, "one event a NAK");
    assert!(drawn.iter().all(|&seq| seq == 1), "the lowest asked: {drawn:?}");
    assert_eq!(leader.stats().naks_unproven, 20);
    // The member itself, checking a record before it ACKs: that record.
    at += config.repair_linger_ns + 1;
    leader.handle_datagram(at, real, &nak(&config, 1, 60, 61));
    assert_eq!(retransmitted_to(&mut leader, at, real), [60]);
    // Its ACK from there: its NAKs are answered whole.
    leader.handle_datagram(at, real, &ack_echoing(&config, 1, 0, at));
    at += config.repair_linger_ns + 1;
    leader.handle_datagram(at, real, &nak(&config, 1, 1, 101));
    assert_eq!(retransmitted_to(&mut leader, at, real), (1..=100).collect::<Vec<u64>>());
    // A replay from the victim's address now moves nothing there.
    at += config.repair_linger_ns + 1;
    leader.handle_datagram(at, victim, &recorded);
    assert_eq!(retransmitted_to(&mut leader, at, victim), []);
}

/// A review of the rule above: a recording of a NAK of member 2 (which
/// has not ACKed), replayed from live member 1's address, drew one event
/// there, and that repair, lingering, swallowed member 1's own NAK of the
/// same range: replayed before each of its NAKs, it held member 1 to one
/// event a NAK. A repair asked where only NAKs named a member answers no
/// NAK of one that ACKed from there.
#[test]
fn a_replayed_nak_of_a_member_that_never_acked_swallows_no_live_members_nak() {
    let config = Config::default();
    let (mut leader, now) = sequenced(&config, 100, |_, _, _| {});
    let mut buf = vec![0; config.mtu];
    while leader.poll_transmit(now, &mut buf).is_some() {}
    let live = addr(11);
    leader.handle_datagram(now, live, &ack_echoing(&config, 1, 0, now));
    leader.handle_datagram(now, live, &nak(&config, 2, 1, 101));
    leader.handle_datagram(now, live, &nak(&config, 1, 1, 101));
    let events = retransmitted_to(&mut leader, now, live).len();
    assert_eq!(events, 1 + 100, "member 2's one, then all member 1 asked");
    assert_eq!(leader.stats().naks_coalesced, 0);
}

/// A review of the client table: every SUBMIT refreshed its client's
/// place, a replay of an old one too. With keys, anyone on the path could
/// hold every place for good by replaying one recorded SUBMIT a client,
/// and new clients were turned away (BUSY 2). Only a SUBMIT that carries a
/// request new to the leader keeps a client's place now.
#[test]
fn a_replayed_old_submit_holds_no_place() {
    let config = Config { nodes: 2, quorum: 1, clients_max: 1, client_idle_ns: 1_000_000_000, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let old = raw_submit(&config, 7, 1, b"a");
    leader.handle_datagram(10, addr(1), &old);
    sent(&mut leader, 10);
    assert_eq!(leader.commit(), Seq(1));
    for k in 1..=6 {
        let now = k * 500_000_000;
        leader.handle_datagram(now, addr(1), &old);
        sent(&mut leader, now);
    }
    let now = 3_100_000_000;
    leader.handle_datagram(now, addr(2), &raw_submit(&config, 8, 1, b"b"));
    let busy: Vec<u16> = sent(&mut leader, now)
        .iter()
        .filter_map(|bytes| match crate::wire::parse(bytes).unwrap().frame {
            Frame::Busy(busy) => Some(busy.reason.get()),
            _ => None,
        })
        .collect();
    assert_eq!((leader.seq_next(), busy), (Seq(3), vec![]), "client 8 takes the place of client 7, idle since 10 ns");
}

/// A reviewer of b696b13: a leader's wake-up was armed only for the
/// HEARTBEAT after an interval without a multicast. With the interval set
/// above the keepalive (1 s here) and an event every 200 ms, the keepalive
/// HEARTBEAT was sent only when the next event woke it. Its timer now
/// comes at the keepalive, or at the announce, whichever is first.
#[test]
fn a_leader_wakes_for_its_keepalive_when_its_interval_is_longer() {
    let config = Config { heartbeat_interval_ns: 1_000_000_000, ..Config::default() };
    let mut leader = Leader::new(config.clone(), 0).unwrap();
    let mut client = crate::core::Client::new(config.clone(), ClientId(7), addr(1)).unwrap();
    let mut buf = vec![0; config.mtu];
    let mut kinds = |leader: &mut Leader, now| {
        std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|_| buf[3])).collect::<Vec<_>>()
    };
    // Its first HEARTBEAT, then DATA each 200 ms: no HEARTBEAT among them.
    let mut submit_buf = vec![0; config.mtu];
    for i in 0..2u64 {
        let now = i * 200_000_000;
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(now, &mut submit_buf).unwrap();
        leader.handle_datagram(now, addr(9), &submit_buf[..submit.len]);
        let sent = kinds(&mut leader, now);
        assert!(sent.contains(&u8::from(Kind::Data)), "{sent:?}");
    }
    let at = leader.poll_timeout().expect("a wake-up");
    assert!(at <= crate::core::KEEPALIVE_NS, "woken at {at} ns, past the keepalive");
    assert!(kinds(&mut leader, at).contains(&u8::from(Kind::Heartbeat)), "its keepalive");
}
