//! Epochs before failover: a follower and a client learn the leader's epoch,
//! an older epoch changes nothing, and a restarted leader (a newer epoch,
//! no history) is reported instead of silently rewriting sequence numbers.

use std::net::SocketAddr;

use seqcast::wire::{EventRef, Frame};

use seqcast::core::{
    Client, ClientId, Config, Deliver, Dest, Epoch, Event, Follower, Leader, NodeId, Seq, ShortLeader,
};

const LEADER: &str = "127.0.0.1:7001";
const FOLLOWER: &str = "127.0.0.1:7002";
const CLIENT: &str = "127.0.0.1:7003";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn config(epoch: u64) -> Config {
    Config { nodes: 2, quorum: 1, epoch: Epoch(epoch), ..Config::default() }
}

/// Every datagram `leader` sends now, with its destination.
fn leader_out(leader: &mut Leader, now: u64) -> Vec<(Dest, Vec<u8>)> {
    let mut buf = vec![0; 2048];
    std::iter::from_fn(|| leader.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec()))).collect()
}

fn deliveries(follower: &mut Follower) -> Vec<String> {
    std::iter::from_fn(|| {
        follower.poll_event().map(|e| match e {
            Event::Deliver(e) => format!("{} {:?}", e.header.seq.get(), e.payload),
            Event::Lost { first, end } => format!("lost {first}..{end}"),
            Event::LeaderRestarted { old, new, in_doubt } => format!("restarted {old}->{new} in doubt {in_doubt:?}"),
        })
    })
    .collect()
}

/// `follower` and `leader` trade datagrams from `now` until neither has
/// more to say (a NAK and its repair: a follower asks a restarted
/// sequencer for its record at its own commit before it takes its log),
/// 10 ms apart; returns when they stopped.
fn converse(follower: &mut Follower, leader: &mut Leader, mut now: u64) -> u64 {
    let mut buf = vec![0; 2048];
    for _ in 0..20 {
        let mut said = false;
        while let Some(t) = follower.poll_transmit(now, &mut buf) {
            leader.handle_datagram(now, addr(FOLLOWER), &buf[..t.len]);
            said = true;
        }
        for (dest, bytes) in leader_out(leader, now) {
            if dest == Dest::Group || dest == Dest::Unicast(addr(FOLLOWER)) {
                follower.handle_datagram(now, addr(LEADER), &bytes);
                said = true;
            }
        }
        if !said {
            break;
        }
        now += 10_000_000;
    }
    now
}

/// A client submits `payload` to `leader`, the leader multicasts to `follower`.
fn submit_and_deliver(client: &mut Client, leader: &mut Leader, follower: &mut Follower, payload: &[u8], now: u64) {
    let mut buf = vec![0; 2048];
    client.submit(payload).unwrap();
    let submit = client.poll_transmit(now, &mut buf).unwrap();
    leader.handle_datagram(now, addr(CLIENT), &buf[..submit.len]);
    for (dest, bytes) in leader_out(leader, now) {
        match dest {
            Dest::Group => follower.handle_datagram(now, addr(LEADER), &bytes),
            Dest::Unicast(_) => client.handle_datagram(now, addr(LEADER), &bytes),
        }
    }
}

#[test]
fn a_restarted_leader_is_reported_and_rewrites_nothing() {
    let mut leader = Leader::new(config(5), 0).unwrap();
    let mut follower = Follower::new(config(0), NodeId(1), 0).unwrap();
    let mut client = Client::new(config(0), ClientId(9), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut leader, &mut follower, b"old", 10);
    assert_eq!(follower.epoch(), Epoch(5), "learned from the first frame");
    assert_eq!(deliveries(&mut follower), ["1 [111, 108, 100]"]);
    assert_eq!(client.poll_event().map(|c| c.seq), Some(Seq(1)));

    // The leader process restarts: empty, in a newer epoch.
    let mut restarted = Leader::new(config(6), 20).unwrap();
    let mut other_client = Client::new(config(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other_client, &mut restarted, &mut follower, b"new", 30);
    assert_eq!(restarted.commit(), Seq(1), "the new epoch's seq 1 is another event");
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt None"], "reported once, seq 1 not rewritten");
    assert_eq!(deliveries(&mut follower), Vec::<String>::new());
    assert_eq!(follower.seq_held(), Seq(1));
    assert!(follower.rejects().wrong_epoch >= 1);

    // The old client speaks epoch 5 to the new leader: told, not ignored.
    let mut buf = vec![0; 2048];
    client.submit(b"after").unwrap();
    let submit = client.poll_transmit(40, &mut buf).unwrap();
    restarted.handle_datagram(40, addr(CLIENT), &buf[..submit.len]);
    for (_, bytes) in leader_out(&mut restarted, 40) {
        client.handle_datagram(40, addr(LEADER), &bytes);
    }
    assert_eq!(client.leader_restarted(), Some((Epoch(5), Epoch(6))));
    assert_eq!(restarted.seq_next(), Seq(2), "the old client's request was not sequenced");
}

#[test]
fn events_held_past_the_last_commit_heard_are_reported_in_doubt() {
    // Quorum 3 of 3: nothing commits until both followers' ACKs are in, so
    // this follower holding an event cannot tell it committed (with quorum 2
    // it could: the leader and it would make the quorum).
    let both = |epoch| Config { nodes: 3, quorum: 3, ..config(epoch) };
    let mut leader = Leader::new(both(5), 0).unwrap();
    let mut follower = Follower::new(both(0), NodeId(1), 0).unwrap();
    let mut client = Client::new(both(0), ClientId(9), addr(LEADER)).unwrap();
    let mut buf = vec![0; 2048];
    client.submit(b"x").unwrap();
    let submit = client.poll_transmit(0, &mut buf).unwrap();
    leader.handle_datagram(1, addr(CLIENT), &buf[..submit.len]);
    // Only the DATA reaches the follower: the leader dies before the commit does.
    let data = leader.poll_transmit(2, &mut buf).unwrap();
    follower.handle_datagram(3, addr(LEADER), &buf[..data.len]);
    assert_eq!(deliveries(&mut follower), Vec::<String>::new(), "not delivered: its commit was never heard");
    let mut restarted = Leader::new(both(6), 10).unwrap();
    let mut other = Client::new(both(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other, &mut restarted, &mut follower, b"y", 20);
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt Some((Seq(1), Seq(2)))"]);
}

#[test]
fn frames_of_an_older_epoch_change_nothing() {
    let mut old = Leader::new(config(3), 0).unwrap();
    let mut current = Leader::new(config(4), 0).unwrap();
    let mut follower = Follower::new(config(0), NodeId(1), 0).unwrap();
    let mut client = Client::new(config(0), ClientId(9), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut current, &mut follower, b"a", 10);
    let mut stale_client = Client::new(config(0), ClientId(11), addr(LEADER)).unwrap();
    submit_and_deliver(&mut stale_client, &mut old, &mut follower, b"stale", 20);
    assert_eq!(deliveries(&mut follower), ["1 [97]"], "the stale leader's seq 1 is not taken");
    assert_eq!(follower.epoch(), Epoch(4));
    assert_eq!(follower.rejects().wrong_epoch, 1);
    // The follower's ACKs carry its epoch; the current leader takes them, the old one does not.
    let mut buf = vec![0; 2048];
    let ack = follower.poll_transmit(30, &mut buf).unwrap();
    old.handle_datagram(30, addr(FOLLOWER), &buf[..ack.len]);
    assert_eq!(old.rejects().wrong_epoch, 1);
    current.handle_datagram(30, addr(FOLLOWER), &buf[..ack.len]);
    assert_eq!(current.rejects().wrong_epoch, 0);
    assert_eq!(current.stats().acks, 1);
}

#[test]
fn a_leader_needs_an_epoch() {
    assert!(Leader::new(config(0), 0).unwrap_err().to_string().contains("epoch must be greater than zero"));
}

fn journaled(epoch: u64) -> Config {
    Config { journal: true, ..config(epoch) }
}

/// A follower resumed on a journal of 1..=6 from epoch 5, knowing 1..=3
/// committed: 4..=6 kept until it follows a leader.
fn resumed_at_3_of_epoch_5() -> Follower {
    let mut follower = Follower::resume(journaled(0), NodeId(1), 0, Seq(3), Epoch(5)).unwrap();
    follower.keep_journal_tail(Seq(6));
    follower
}

/// Without failover, with journals: a leader that committed 1..=3 and a
/// journaled follower that knows it.
fn journaled_cluster_at_3() -> (Follower, Config, Vec<Vec<u8>>) {
    cluster_at_3_with(Follower::new(journaled(0), NodeId(1), 0).unwrap())
}

/// The same, `follower` in the follower's place.
fn cluster_at_3_with(mut follower: Follower) -> (Follower, Config, Vec<Vec<u8>>) {
    let mut leader = Leader::new(journaled(5), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(9), addr(LEADER)).unwrap();
    let mut journal = Vec::new();
    for (i, payload) in [b"a", b"b", b"c"].iter().enumerate() {
        let now = 10 * (i as u64 + 1);
        submit_and_deliver(&mut client, &mut leader, &mut follower, *payload, now);
        let append = leader.poll_append().unwrap();
        journal.push(append.event.record.to_vec());
        let seq = append.event.header.seq();
        leader.handle_durable(seq);
    }
    // The commit of 3 reaches the follower (a HEARTBEAT once idle).
    for (_, bytes) in leader_out(&mut leader, 10_000_000_000) {
        follower.handle_datagram(10_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!(deliveries(&mut follower), ["1 [97]", "2 [98]", "3 [99]"]);
    (follower, journaled(6), journal)
}

/// The records of another log: a sequencer of epoch 5 that sequenced
/// `payloads` of client 10, none of them any other test's events.
fn other_log(payloads: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut other = Leader::new(journaled(5), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(10), addr(CLIENT)).unwrap();
    let mut buf = vec![0; 2048];
    for payload in payloads {
        client.submit(payload).unwrap();
        let submit = client.poll_transmit(1, &mut buf).unwrap();
        other.handle_datagram(1, addr(CLIENT), &buf[..submit.len]);
    }
    std::iter::from_fn(|| other.poll_append().map(|a| a.event.record.to_vec())).collect()
}

/// A sequencer of `epoch` resumed on `records` (from sequence `first`),
/// knowing `commit` committed.
fn resumed_on(epoch: u64, first: u64, records: &[Vec<u8>], commit: u64) -> Leader {
    let mut resume = Leader::resume(journaled(epoch), 20_000_000_000, Seq(first)).unwrap();
    for record in records {
        assert!(resume.push(EventRef::split(record).unwrap().0));
    }
    resume.finish(Seq(commit))
}

/// The refusal of a sequencer of epoch 6 that began its log from nothing,
/// by a follower that knows 1..=3 committed.
fn short_of_3_from_nothing() -> ShortLeader {
    let (epoch, log_end, needed, committed) = (Epoch(6), Seq(0), Seq(3), Seq(3));
    ShortLeader { epoch, log_end, needed, committed, differs_at: None, refused_before: None, gone: false }
}

/// A sequencer restarted without its journal (or with its end damaged)
/// starts its log again below what a journaled follower knows committed.
/// The follower once took that log as a resumed one: it dropped from its
/// journal what it held past the commit it knew (committed events among
/// them), then took the new log's events at sequences already committed.
/// It now takes nothing of a sequencer that did not start its epoch from a
/// log reaching its commit (however long the new log grows), and says so
/// once.
#[test]
fn a_journaled_follower_refuses_a_sequencer_that_lost_its_journal() {
    let (mut follower, journaled, _) = journaled_cluster_at_3();
    let mut restarted = Leader::new(journaled.clone(), 20_000_000_000).unwrap();
    // Its DATA, of new events 1..=4, reaches past 3 but proves nothing: a
    // log grown long enough is not the same log. Nothing taken.
    let mut client =
        Client::new(Config { epoch: Epoch::ZERO, ..journaled.clone() }, ClientId(10), addr(LEADER)).unwrap();
    for payload in [b"w", b"x", b"y", b"z"] {
        submit_and_deliver(&mut client, &mut restarted, &mut follower, payload, 20_000_000_000);
    }
    assert_eq!(restarted.seq_next(), Seq(5));
    assert_eq!(follower.epoch(), Epoch(5));
    assert_eq!(follower.short_leader(), None, "not yet known to be short");
    // Its HEARTBEAT says it started its epoch from nothing, short of 3.
    for (_, bytes) in leader_out(&mut restarted, 30_000_000_000) {
        follower.handle_datagram(30_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!(follower.short_leader(), Some(short_of_3_from_nothing()));
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt None"]);
    assert_eq!(follower.poll_truncate(), None, "its journal untouched");
    assert_eq!((follower.epoch(), follower.seq_held()), (Epoch(5), Seq(3)));
    // Nothing of that leader is taken afterwards, nor answered.
    let mut buf = vec![0; 2048];
    while follower.poll_transmit(40_000_000_000, &mut buf).is_some() {}
    submit_and_deliver(&mut client, &mut restarted, &mut follower, b"more", 40_000_000_000);
    assert_eq!((follower.epoch(), follower.seq_held()), (Epoch(5), Seq(3)));
    assert_eq!(follower.poll_transmit(40_000_000_000, &mut buf), None);
}

/// A sequencer restarted on another log that starts past what a journaled
/// follower knows committed (one begun without its journal, refused then,
/// and grown since; or another node's journal): where the log starts
/// passes, but its record at the follower's commit is another event. The
/// follower asks for that record before it takes the log, refuses it,
/// and takes nothing (it took that log after its own before).
#[test]
fn a_journaled_follower_refuses_a_sequencer_resumed_on_another_log_past_its_commit() {
    let (mut follower, _, _) = journaled_cluster_at_3();
    let mut resumed = resumed_on(6, 1, &other_log(&[b"v", b"w", b"x", b"y", b"z"]), 5);
    for (dest, bytes) in leader_out(&mut resumed, 20_000_000_000) {
        if dest == Dest::Group {
            follower.handle_datagram(20_000_000_000, addr(LEADER), &bytes);
        }
    }
    converse(&mut follower, &mut resumed, 20_000_000_000);
    let short = follower.short_leader().map(|s| (s.epoch, s.differs_at, s.committed));
    assert_eq!(short, Some((Epoch(6), Some(Seq(3)), Seq(3))));
    assert_eq!((follower.epoch(), follower.seq_held()), (Epoch(5), Seq(3)));
    let said = deliveries(&mut follower);
    assert!(said.len() == 1 && said[0].starts_with("restarted"), "{said:?}");
}

/// Helper 195: a tail without failover (`seqcast tail`) took such a log
/// after what it printed, which its help says it refuses: it asks for the
/// record at what it delivered as a journaled follower does.
#[test]
fn a_tail_refuses_a_sequencer_resumed_on_another_log_past_what_it_delivered() {
    let (mut tail, _, _) = cluster_at_3_with(Follower::observe(journaled(0), 0, Seq(1)).unwrap());
    let mut resumed = resumed_on(6, 1, &other_log(&[b"v", b"w", b"x", b"y", b"z"]), 5);
    for (dest, bytes) in leader_out(&mut resumed, 20_000_000_000) {
        if dest == Dest::Group {
            tail.handle_datagram(20_000_000_000, addr(LEADER), &bytes);
        }
    }
    converse(&mut tail, &mut resumed, 20_000_000_000);
    let short = tail.short_leader().map(|s| (s.epoch, s.differs_at));
    assert_eq!(short, Some((Epoch(6), Some(Seq(3)))));
    assert_eq!((tail.epoch(), tail.seq_held()), (Epoch(5), Seq(3)));
    let said = deliveries(&mut tail);
    assert!(said.iter().all(|d| d.starts_with("restarted")), "{said:?}");
}

/// Helper 161: a follower refused a sequencer started without its journal
/// (it stopped, exit 3) and kept nothing of that; the sequencer's retention
/// then deleted the start of its new log, it restarted on it, and the
/// follower, restarted on its journal, found its record at its commit gone
/// there (UNRECOVERABLE) and took that log on where it starts alone: the
/// other history after its own. The refusal is now kept beside the journal,
/// and a later log that cannot be checked is refused too; one that shows
/// the follower's record clears it.
#[test]
fn a_follower_that_refused_a_log_refuses_a_later_one_it_cannot_check() {
    let (mut follower, at_6, journal) = journaled_cluster_at_3();
    let cluster_id = at_6.cluster_id;
    let mut fresh = Leader::new(at_6, 20_000_000_000).unwrap();
    for (_, bytes) in leader_out(&mut fresh, 30_000_000_000) {
        follower.handle_datagram(30_000_000_000, addr(LEADER), &bytes);
    }
    assert!(follower.short_leader().is_some());
    assert_eq!(follower.refused_log(), Some(Epoch(6)), "kept beside its journal");
    // Restarted on its journal (1..=3, epoch 5), as its driver resumes it.
    let restarted = |refused: bool| {
        let mut follower = resumed_at_3_of_epoch_5();
        follower.keep_anchor(Seq(3), Some(journal[2].clone()));
        if refused {
            follower.refused_before(Epoch(6));
        }
        follower
    };
    // A sequencer of epoch 7 on that other log, 1..=3 deleted by its
    // retention: it starts past 3 and says 3 is gone.
    let others = other_log(&[b"v", b"w", b"x", b"y", b"z"]);
    let retained = || resumed_on(7, 4, &others[3..], 5);
    let mut buf = vec![0; 2048];
    let header = seqcast::wire::Header::new(seqcast::wire::Kind::Unrecoverable, 0, cluster_id, Epoch(7));
    let body = seqcast::wire::Unrecoverable { range: seqcast::wire::SeqRange::new(Seq(1), Seq(4)) };
    let len = seqcast::wire::emit(&mut buf, &header, seqcast::wire::Kind::Unrecoverable, &body).unwrap();
    let gone = buf[..len].to_vec();
    let meet = |follower: &mut Follower| {
        for (dest, bytes) in leader_out(&mut retained(), 40_000_000_000) {
            if dest == Dest::Group {
                follower.handle_datagram(40_000_000_000, addr(LEADER), &bytes);
            }
        }
        follower.handle_datagram(40_000_000_001, addr(LEADER), &gone);
    };
    let mut refused = restarted(true);
    meet(&mut refused);
    let short = refused.short_leader().expect("refused");
    assert_eq!((short.epoch, short.refused_before), (Epoch(7), Some(Epoch(6))));
    assert_eq!((refused.epoch(), refused.seq_held()), (Epoch::ZERO, Seq(3)), "nothing of it taken");
    assert_eq!(refused.stats().leaders_unchecked, 0, "none followed unchecked");
    assert_eq!(refused.refused_log(), Some(Epoch(7)), "the last log it refused is kept");
    // The same with no record of its own at its commit to compare (a
    // commit file past its records): nothing to check it by.
    let mut bare = resumed_at_3_of_epoch_5();
    bare.refused_before(Epoch(6));
    meet(&mut bare);
    let short = bare.short_leader().expect("refused");
    assert_eq!((short.refused_before, bare.stats().leaders_unchecked), (Some(Epoch(6)), 0));
    // Without that refusal kept, the log is taken where it starts, as before.
    let mut unchecked = restarted(false);
    meet(&mut unchecked);
    assert_eq!((unchecked.epoch(), unchecked.short_leader()), (Epoch(7), None));
    assert_eq!(unchecked.stats().leaders_unchecked, 1);
    // A sequencer that shows its record at 3 (it runs on the log the
    // follower holds) is followed, and the refusal goes.
    let mut resume = Leader::resume(journaled(7), 40_000_000_000, Seq(1)).unwrap();
    for record in &journal {
        assert!(resume.push(seqcast::wire::EventRef::split(record).unwrap().0));
    }
    let mut whole = resume.finish(Seq(3));
    let mut shown = restarted(true);
    for (dest, bytes) in leader_out(&mut whole, 40_000_000_000) {
        if dest == Dest::Group {
            shown.handle_datagram(40_000_000_000, addr(LEADER), &bytes);
        }
    }
    converse(&mut shown, &mut whole, 40_000_000_000);
    assert_eq!((shown.epoch(), shown.short_leader(), shown.refused_log()), (Epoch(7), None, None));
}

/// A repair of the old epoch that comes late, holding the record a
/// follower asks of a restarted sequencer, answers nothing: only that
/// sequencer's own does, and the follower keeps asking it.
#[test]
fn a_late_repair_of_the_old_epoch_answers_no_probe_of_the_new() {
    let (mut follower, journaled, journal) = journaled_cluster_at_3();
    let cluster_id = journaled.cluster_id;
    let mut resume = Leader::resume(journaled, 20_000_000_000, Seq(1)).unwrap();
    for record in &journal {
        assert!(resume.push(seqcast::wire::EventRef::split(record).unwrap().0));
    }
    let mut resumed = resume.finish(Seq(3));
    for (dest, bytes) in leader_out(&mut resumed, 20_000_000_000) {
        if dest == Dest::Group {
            follower.handle_datagram(20_000_000_000, addr(LEADER), &bytes);
        }
    }
    let mut buf = vec![0; 2048];
    let nak = |follower: &mut Follower, now: u64, buf: &mut [u8]| {
        let sent = follower.poll_transmit(now, buf).map(|t| buf[..t.len].to_vec());
        sent.is_some_and(|bytes| matches!(seqcast::wire::parse(&bytes).unwrap().frame, seqcast::wire::Frame::Nak(_)))
    };
    assert!(nak(&mut follower, 20_000_000_000, &mut buf), "its record at 3 asked");
    let header = seqcast::wire::Header::new(seqcast::wire::Kind::Retransmit, 0, cluster_id, Epoch(5));
    let kind = seqcast::wire::Kind::Retransmit;
    let mut writer = seqcast::wire::FrameWriter::batch(&mut buf, &header, kind, Seq(3), 0).unwrap();
    assert!(writer.push_record(&journal[2]));
    let len = writer.finish();
    let late = buf[..len].to_vec();
    follower.handle_datagram(20_000_000_001, addr(LEADER), &late);
    assert_eq!(follower.epoch(), Epoch(5));
    assert!(nak(&mut follower, 21_000_000_000, &mut buf), "asked again: the late repair answered nothing");
    converse(&mut follower, &mut resumed, 21_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
}

/// The same follower takes the log of a sequencer that resumed its journal.
#[test]
fn a_journaled_follower_follows_a_sequencer_that_resumed_its_journal() {
    let (mut follower, journaled, journal) = journaled_cluster_at_3();
    let mut resume = Leader::resume(journaled, 20_000_000_000, Seq(1)).unwrap();
    for record in &journal {
        assert!(resume.push(seqcast::wire::EventRef::split(record).unwrap().0));
    }
    let mut resumed = resume.finish(Seq(3));
    let mut client = Client::new(Config { journal: true, ..config(0) }, ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut resumed, &mut follower, b"d", 20_000_000_000);
    // Its record at 3 asked and found the same: followed.
    converse(&mut follower, &mut resumed, 20_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None), "its DATA of 4 reaches 3");
    let seq = resumed.poll_append().unwrap().event.header.seq();
    resumed.handle_durable(seq);
    for (_, bytes) in leader_out(&mut resumed, 30_000_000_000) {
        follower.handle_datagram(30_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!(deliveries(&mut follower), ["4 [100]"]);
}

/// A follower resumed from a journal whose last record came in epoch 5
/// takes no frame of an older epoch (a stale one, or a sequencer whose
/// clock runs behind), and takes the leader of epoch 5 as it is.
#[test]
fn a_resumed_follower_takes_no_epoch_older_than_its_journals() {
    let mut follower = resumed_at_3_of_epoch_5();
    let mut older = Leader::new(journaled(4), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(9), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut older, &mut follower, b"old", 10);
    for (_, bytes) in leader_out(&mut older, 10_000_000_000) {
        follower.handle_datagram(10_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch::ZERO, None), "epoch 4 fenced off");
    assert!(follower.rejects().wrong_epoch >= 2);
    assert_eq!(follower.poll_truncate(), None, "its journal's tail kept while it follows nobody");
    let mut same = Leader::new(journaled(5), 0).unwrap();
    let mut other = Client::new(journaled(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other, &mut same, &mut follower, b"same", 20);
    assert_eq!(follower.epoch(), Epoch(5), "the leader its journal's log came from");
    assert_eq!(follower.poll_truncate(), Some(Seq(3)), "following it, the tail goes, to be taken from its log");
}

/// A follower restarted on its journal once dropped what it held past the
/// commit it knew before it heard any leader: with the sequencer's journal
/// lost, committed events that only it still held went too. They stay now
/// when the sequencer is refused.
#[test]
fn a_resumed_follower_keeps_its_journals_tail_when_it_refuses_a_sequencer() {
    let mut follower = resumed_at_3_of_epoch_5();
    let mut fresh = Leader::new(journaled(6), 0).unwrap();
    for (_, bytes) in leader_out(&mut fresh, 10_000_000_000) {
        follower.handle_datagram(10_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!(follower.short_leader(), Some(short_of_3_from_nothing()));
    assert_eq!(follower.poll_truncate(), None);
    assert_eq!(follower.poll_append().map(|a| a.event.header.seq()), None, "nothing appended over the tail");
    // The application is told its journal's epoch, not the 0 it had heard.
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt None"]);
}

/// What a journaled follower handed its driver, written and made durable
/// (its driver's turn): the records, in order.
fn journal_all(follower: &mut Follower) -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    let mut last = None;
    while let Some(append) = follower.poll_append() {
        records.push(append.event.record.to_vec());
        last = Some(append.event.header.seq());
    }
    if let Some(seq) = last {
        follower.handle_durable(seq);
    }
    records
}

/// A leader of epoch 5 whose clients' 1..=4 a follower that delivers on
/// receipt delivered and journaled, the commit of 1..=3 heard; and the
/// leader's log as its disk synced it, 1..=3 (its write of 4 never was).
/// Returns the follower, its journal's records, and that synced log.
fn delivered_4_on_receipt_of_3_synced() -> (Follower, Vec<Vec<u8>>, Leader) {
    let on_receive = Config { deliver: Deliver::OnReceive, ..journaled(0) };
    let mut leader = Leader::new(journaled(5), 0).unwrap();
    let mut follower = Follower::new(on_receive, NodeId(1), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(9), addr(LEADER)).unwrap();
    let mut synced = Leader::resume(journaled(6), 20_000_000_000, Seq(1)).unwrap();
    let mut journal = Vec::new();
    for (i, payload) in [b"a", b"b", b"c"].iter().enumerate() {
        submit_and_deliver(&mut client, &mut leader, &mut follower, *payload, 10 * (i as u64 + 1));
        journal.extend(journal_all(&mut follower));
        let append = leader.poll_append().unwrap();
        let seq = append.event.header.seq();
        assert!(synced.push(append.event), "1..=3 reach the sequencer's disk");
        leader.handle_durable(seq);
    }
    for (_, bytes) in leader_out(&mut leader, 10_000_000_000) {
        follower.handle_datagram(10_000_000_000, addr(LEADER), &bytes);
    }
    // 4 is delivered on receipt once the follower's journal holds it; the
    // sequencer's write of it is never synced.
    submit_and_deliver(&mut client, &mut leader, &mut follower, b"d", 10_000_000_100);
    assert_eq!(deliveries(&mut follower), ["1 [97]", "2 [98]", "3 [99]"], "nothing before its journal holds it");
    journal.extend(journal_all(&mut follower));
    assert_eq!(deliveries(&mut follower), ["4 [100]"]);
    assert_eq!(follower.commit(), Seq(3));
    (follower, journal, synced.finish(Seq(3)))
}

/// Restarted on a journal of `records` (1..=4, committed up to 3) that
/// its driver resumes as it does: the record at the last sequence it
/// handed out is the one a restarted sequencer is asked for.
fn resumed_after_delivering_4(records: &[Vec<u8>], now: u64) -> Follower {
    let on_receive = Config { deliver: Deliver::OnReceive, ..journaled(0) };
    let mut follower = Follower::resume(on_receive, NodeId(1), now, Seq(3), Epoch(5)).unwrap();
    follower.keep_journal_tail(Seq(4));
    for seq in [Seq(3), follower.seq_next_delivery().prev()] {
        follower.keep_anchor(seq, Some(records[seq.get() as usize - 1].clone()));
    }
    follower
}

/// The refusal of a sequencer of epoch 6 whose log ends at 3, by a follower
/// that delivered 4 on receipt and knows 1..=3 committed.
fn short_of_delivered_4() -> ShortLeader {
    let (epoch, log_end, needed, committed) = (Epoch(6), Seq(3), Seq(4), Seq(3));
    ShortLeader { epoch, log_end, needed, committed, differs_at: None, refused_before: None, gone: false }
}

/// A follower that delivers on receipt hands its application an event
/// before it commits. A sequencer that loses power at `--sync batch` comes
/// back without what it had not synced, and so without such an event: its
/// log reaches every commit but not what the follower delivered. The
/// follower refuses it (the event is in doubt for its application), says
/// that only uncommitted events are missing, drops that event from its
/// journal, and a restart of the follower on its journal follows the
/// sequencer.
#[test]
fn a_follower_that_delivered_on_receipt_what_its_sequencer_lost_refuses_it_until_restarted() {
    let (mut follower, _, mut restarted) = delivered_4_on_receipt_of_3_synced();
    // Restarted on its disk, 1..=3, in epoch 6: its HEARTBEAT says so, and
    // its record at 3 shows it holds what the follower knew committed.
    converse(&mut follower, &mut restarted, 30_000_000_000);
    assert_eq!(follower.short_leader(), Some(short_of_delivered_4()));
    // Helper 184: not before its application took the notice, or a crash
    // between the two would leave a journal that no longer shows it
    // handed 4 out, and its restart would take another event at 4 unsaid.
    assert_eq!(follower.poll_truncate(), None, "its journal keeps 4 while the notice waits");
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt Some((Seq(4), Seq(5)))"]);
    assert_eq!(follower.poll_truncate(), Some(Seq(3)), "what it delivered past its commit goes from its journal");
    assert_eq!(follower.poll_append().map(|a| a.event.header.seq()), None, "and is not written again");
    // Restarted on its journal (1..=3, committed), it takes the
    // sequencer's log from 4 on.
    let on_receive = Config { deliver: Deliver::OnReceive, ..journaled(0) };
    let mut again = Follower::resume(on_receive, NodeId(1), 40_000_000_000, Seq(3), Epoch(5)).unwrap();
    let mut other = Client::new(journaled(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other, &mut restarted, &mut again, b"e", 40_000_000_000);
    journal_all(&mut again);
    assert_eq!((again.epoch(), again.short_leader()), (Epoch(6), None));
    assert_eq!(deliveries(&mut again), ["4 [101]"]);
}

/// A follower that delivered 4 on receipt, restarted with its sequencer
/// (a power loss at `--sync batch` took the sequencer's write of 4), once
/// took the new log from its commit: its application got another event at
/// 4 than before, without a word. What it journaled past its commit now
/// counts as delivered: it is replayed, and a log that lacks it is refused
/// as it is by a follower that stayed up.
#[test]
fn a_follower_restarted_after_delivering_on_receipt_refuses_a_log_without_what_it_delivered() {
    let (_, records, mut restarted) = delivered_4_on_receipt_of_3_synced();
    let mut follower = resumed_after_delivering_4(&records, 30_000_000_000);
    assert_eq!(follower.seq_next_delivery(), Seq(5), "its journal replays 1..=4");
    refuses_the_log_without_4(&mut follower, &mut restarted);
}

/// `follower`, resumed after delivering 4 on receipt, hears `restarted`
/// (epoch 6, its log 1..=3) and a new client's event: it refuses that log,
/// says 4 is in doubt, and drops 4 from its journal.
fn refuses_the_log_without_4(follower: &mut Follower, restarted: &mut Leader) {
    let handed = follower.handed_out();
    let now = converse(follower, restarted, 30_000_000_000);
    let mut other = Client::new(journaled(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other, restarted, follower, b"e", now);
    assert_eq!(follower.short_leader(), Some(short_of_delivered_4()));
    // Its journal, and the file that says what it handed out, keep 4 until
    // its application took the notice (helper 184): a crash between the
    // two would leave nothing to show 4 was handed out.
    assert_eq!((follower.poll_truncate(), follower.handed_out()), (None, handed), "while the notice waits");
    assert_eq!(deliveries(follower), ["restarted 5->6 in doubt Some((Seq(4), Seq(5)))"]);
    assert_eq!(follower.poll_truncate(), Some(Seq(3)), "so that its next start follows");
}

/// The same follower, restarted while its sequencer synced 4 too: the log
/// holds what it delivered, and it goes on from 5 with its journal whole.
#[test]
fn a_follower_restarted_after_delivering_on_receipt_follows_a_log_that_holds_it() {
    let (_, records, _) = delivered_4_on_receipt_of_3_synced();
    let mut restarted = resumed_on(6, 1, &records, 3);
    let mut follower = resumed_after_delivering_4(&records, 30_000_000_000);
    let now = converse(&mut follower, &mut restarted, 30_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    assert_eq!(follower.poll_truncate(), None, "its journal whole");
    let mut other = Client::new(journaled(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other, &mut restarted, &mut follower, b"e", now);
    journal_all(&mut follower);
    assert_eq!(deliveries(&mut follower), ["5 [101]"]);
}

/// [`resumed_after_delivering_4`], restarted delivering on commit: its
/// journal's `handed-out` file says its application may have been handed
/// any record (it delivered on receipt), read as the driver reads it.
fn resumed_on_commit_after_delivering_4(records: &[Vec<u8>], now: u64, handed_out: Option<Seq>) -> Follower {
    let mut follower = Follower::resume(journaled(0), NodeId(1), now, Seq(3), Epoch(5)).unwrap();
    follower.keep_journal_tail(Seq(4));
    if let Some(last) = handed_out {
        follower.handed_before_stop(last);
    }
    for seq in [Seq(3), follower.seq_next_delivery().prev()] {
        follower.keep_anchor(seq, Some(records[seq.get() as usize - 1].clone()));
    }
    follower
}

/// The same follower restarted delivering on commit (an operator changed
/// `--deliver`) once took the new log from its commit without a word: its
/// application got another event at 4 than the run before had handed it.
/// Its journal says what it handed out; that counts as delivered, and a
/// log without it is refused as it is delivering on receipt.
#[test]
fn a_follower_that_delivered_on_receipt_and_restarted_on_commit_refuses_a_log_without_it() {
    let (_, records, mut restarted) = delivered_4_on_receipt_of_3_synced();
    let mut follower = resumed_on_commit_after_delivering_4(&records, 30_000_000_000, Some(Seq(u64::MAX)));
    assert_eq!(follower.seq_next_delivery(), Seq(5), "its journal replays 1..=4");
    assert_eq!(follower.handed_out(), Some(Seq(4)), "kept beside its journal as what it holds");
    refuses_the_log_without_4(&mut follower, &mut restarted);
    assert_eq!(follower.handed_out(), None, "withdrawn: nothing past its commit stays");
}

/// Without that file (it delivered on commit before it stopped too) the
/// same journal holds nothing its application saw past the commit: the
/// log is taken from 4. With it, a log that holds 4 is followed, and
/// once 4 is known committed the file goes.
#[test]
fn a_follower_restarted_on_commit_counts_as_handed_out_only_what_its_journal_says() {
    let (_, records, mut restarted) = delivered_4_on_receipt_of_3_synced();
    let mut follower = resumed_on_commit_after_delivering_4(&records, 30_000_000_000, None);
    assert_eq!((follower.seq_next_delivery(), follower.handed_out()), (Seq(4), None));
    let now = converse(&mut follower, &mut restarted, 30_000_000_000);
    let mut other = Client::new(journaled(0), ClientId(10), addr(LEADER)).unwrap();
    submit_and_deliver(&mut other, &mut restarted, &mut follower, b"e", now);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    let mut holding = resumed_on(6, 1, &records, 3);
    let mut follower = resumed_on_commit_after_delivering_4(&records, 30_000_000_000, Some(Seq(u64::MAX)));
    let now = converse(&mut follower, &mut holding, 30_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    let mut another = Client::new(journaled(0), ClientId(11), addr(LEADER)).unwrap();
    submit_and_deliver(&mut another, &mut holding, &mut follower, b"e", now);
    journal_all(&mut follower);
    while let Some(seq) = holding.poll_append().map(|append| append.event.header.seq()) {
        holding.handle_durable(seq);
    }
    converse(&mut follower, &mut holding, now + 10_000_000);
    assert_eq!(follower.commit(), Seq(5));
    assert_eq!(deliveries(&mut follower), ["5 [101]"], "4 is not delivered again");
    assert_eq!(follower.handed_out(), None, "known committed: the file goes");
}

/// Helper 168: restarted on commit with the file, its journal then fails
/// (a full disk). Delivering on commit, everything it delivered was taken
/// as committed, the tail it handed out on receipt before it stopped too:
/// a log without 4 was then refused as lacking a committed event, and its
/// application told nothing was in doubt.
#[test]
fn a_follower_restarted_on_commit_whose_journal_fails_does_not_take_what_it_handed_out_as_committed() {
    let (_, records, mut restarted) = delivered_4_on_receipt_of_3_synced();
    let mut follower = resumed_on_commit_after_delivering_4(&records, 30_000_000_000, Some(Seq(u64::MAX)));
    follower.journal_failed();
    assert_eq!(follower.commit(), Seq(3));
    refuses_the_log_without_4(&mut follower, &mut restarted);
}

/// Restarted when its sequencer had stamped 4 afresh (another event, its
/// own 4 lost with the power) and restarted again on that log: the log
/// reaches 4 but holds another event there, and is refused.
#[test]
fn a_follower_restarted_after_delivering_on_receipt_refuses_a_log_with_another_event_there() {
    let (_, records, mut restarted) = delivered_4_on_receipt_of_3_synced();
    let mut other = Client::new(journaled(0), ClientId(10), addr(LEADER)).unwrap();
    let mut buf = vec![0; 2048];
    for payload in [b"e", b"f"] {
        other.submit(payload).unwrap();
        let submit = other.poll_transmit(20_000_000_000, &mut buf).unwrap();
        restarted.handle_datagram(20_000_000_000, addr(CLIENT), &buf[..submit.len]);
    }
    let mut log = records[..3].to_vec();
    while let Some(append) = restarted.poll_append() {
        log.push(append.event.record.to_vec());
    }
    // Epoch 6's log, 1..=5 with another 4, resumed in epoch 7.
    let mut again = resumed_on(7, 1, &log, 3);
    let mut follower = resumed_after_delivering_4(&records, 30_000_000_000);
    converse(&mut follower, &mut again, 30_000_000_000);
    let (epoch, log_end, differs_at) = (Epoch(7), Seq(3), Some(Seq(4)));
    assert_eq!(follower.short_leader(), Some(ShortLeader { epoch, log_end, differs_at, ..short_of_delivered_4() }));
    assert_eq!(deliveries(&mut follower), ["restarted 5->7 in doubt Some((Seq(4), Seq(5)))"]);
    assert_eq!(follower.poll_truncate(), Some(Seq(3)));
}

/// Restarted when its sequencer's retention has deleted 4 (it resumed a
/// log of 1..=6 whose first segments went): what it delivered on receipt
/// cannot be checked, and the log is refused rather than taken unchecked
/// (its own 4 may have been lost and another numbered there).
#[test]
fn a_follower_restarted_after_delivering_on_receipt_refuses_a_log_that_cannot_show_it() {
    let (_, records, _) = delivered_4_on_receipt_of_3_synced();
    let config = journaled(6);
    let log = other_log(&[b"a", b"b", b"c", b"d", b"e", b"f"]);
    let mut retained = resumed_on(6, 5, &log[4..], 6);
    let mut buf = vec![0; 2048];
    let mut follower = resumed_after_delivering_4(&records, 30_000_000_000);
    for (dest, bytes) in leader_out(&mut retained, 30_000_000_000) {
        if dest == Dest::Group {
            follower.handle_datagram(30_000_000_000, addr(LEADER), &bytes);
        }
    }
    let header = seqcast::wire::Header::new(seqcast::wire::Kind::Unrecoverable, 0, config.cluster_id, Epoch(6));
    let body = seqcast::wire::Unrecoverable { range: seqcast::wire::SeqRange::new(Seq(1), Seq(5)) };
    let len = seqcast::wire::emit(&mut buf, &header, seqcast::wire::Kind::Unrecoverable, &body).unwrap();
    follower.handle_datagram(30_000_000_001, addr(LEADER), &buf[..len]);
    assert_eq!(follower.short_leader(), None, "its record at its commit, 3, asked for first");
    follower.handle_datagram(30_000_000_002, addr(LEADER), &buf[..len]);
    let (log_end, gone) = (Seq(6), true);
    assert_eq!(follower.short_leader(), Some(ShortLeader { log_end, gone, ..short_of_delivered_4() }));
    assert_eq!(follower.stats().leaders_unchecked, 0);
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt Some((Seq(4), Seq(5)))"]);
    assert_eq!(follower.poll_truncate(), Some(Seq(3)));
}

/// Restarted when its sequencer runs on another history altogether (a
/// journal of other events, as long): its event at 4 differs, and so does
/// its event at 3, the follower's commit. That is another log, refused as
/// such: nothing withdrawn, its refusal kept (helper 165 saw the tail
/// dropped and a power loss blamed).
#[test]
fn a_follower_restarted_after_delivering_on_receipt_refuses_another_history_as_such() {
    let (_, records, _) = delivered_4_on_receipt_of_3_synced();
    let mut elsewhere = resumed_on(6, 1, &other_log(&[b"v", b"w", b"x", b"y", b"z"]), 5);
    let mut follower = resumed_after_delivering_4(&records, 30_000_000_000);
    converse(&mut follower, &mut elsewhere, 30_000_000_000);
    let (log_end, differs_at) = (Seq(2), Some(Seq(3)));
    assert_eq!(follower.short_leader(), Some(ShortLeader { log_end, differs_at, ..short_of_delivered_4() }));
    assert_eq!(follower.refused_log(), Some(Epoch(6)), "kept beside its journal");
    assert_eq!(follower.poll_truncate(), None, "its records untouched");
}

/// A restarted sequencer that never answers the NAK for the record a
/// follower compares: the follower asks again ever less often (helper 166
/// counted 2,300 NAKs a second), and says what it waits for.
#[test]
fn a_follower_asks_a_silent_restarted_sequencer_for_its_record_ever_less_often() {
    let (mut follower, _, journal) = journaled_cluster_at_3();
    let mut resumed = resumed_on(6, 1, &journal, 3);
    for (_, bytes) in leader_out(&mut resumed, 20_000_000_000) {
        follower.handle_datagram(20_000_000_000, addr(LEADER), &bytes);
    }
    let mut buf = vec![0; 2048];
    let mut naks = 0;
    for step in 0..100_000 {
        // A second, 10 µs at a time; whatever it sends goes unanswered.
        while follower.poll_transmit(20_000_000_000 + step * 10_000, &mut buf).is_some() {
            naks += 1;
        }
    }
    let (epoch, _, seq, tries) = follower.resumed_probe().expect("still waiting");
    assert_eq!((epoch, seq), (Epoch(6), Seq(3)));
    assert!((5..=30).contains(&naks) && tries as usize >= naks - 1, "{naks} NAKs, {tries} tries");
}

/// A sequencer at `--sync batch` counts itself once its write is synced,
/// after its DATA went out. A follower of quorum 2 that journals nothing
/// (or at `--sync none`) would infer by its own settings that what it
/// holds is committed, and deliver an event that sequencer's power loss
/// takes away (its next epoch numbers that sequence afresh). Its leader's
/// frames say to wait for the commit it announces (`TOLD`), and it does.
#[test]
fn a_follower_waits_for_the_commit_of_a_sequencer_that_syncs_after_it_sends() {
    let three = |epoch, journal| Config { nodes: 3, quorum: 2, journal, epoch: Epoch(epoch), ..Config::default() };
    for own in [three(0, false), Config { journal_syncs: false, ..three(0, true) }] {
        assert!(own.followers_infer_commit(), "by its own settings it would infer");
        let mut leader = Leader::new(three(5, true), 0).unwrap();
        let mut follower = Follower::new(own.clone(), NodeId(1), 0).unwrap();
        let mut client = Client::new(own.clone(), ClientId(9), addr(LEADER)).unwrap();
        submit_and_deliver(&mut client, &mut leader, &mut follower, b"a", 10);
        assert_eq!(deliveries(&mut follower), Vec::<String>::new(), "not before its leader's disk holds it");
        assert_eq!(follower.commit(), Seq(0));
        // Synced and ACKed (once written, by a follower that journals):
        // the leader commits 1 and says so.
        let seq = leader.poll_append().unwrap().event.header.seq();
        leader.handle_durable(seq);
        if own.journal {
            assert_eq!(follower.poll_append().map(|a| a.event.header.seq()), Some(seq));
            follower.handle_durable(seq);
        }
        let mut buf = vec![0; 2048];
        let ack = follower.poll_transmit(20, &mut buf).unwrap();
        leader.handle_datagram(20, addr(FOLLOWER), &buf[..ack.len]);
        assert_eq!(leader.commit(), Seq(1));
        for (dest, bytes) in leader_out(&mut leader, 20) {
            if dest == Dest::Group {
                follower.handle_datagram(20, addr(LEADER), &bytes);
            }
        }
        assert_eq!(deliveries(&mut follower), ["1 [97]"]);
    }
    // A leader that writes before it sends lets them infer.
    let mut leader = Leader::new(Config { journal_syncs: false, ..three(5, true) }, 0).unwrap();
    let mut follower = Follower::new(three(0, false), NodeId(1), 0).unwrap();
    let mut client = Client::new(three(0, false), ClientId(9), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut leader, &mut follower, b"a", 10);
    assert_eq!(deliveries(&mut follower), ["1 [97]"]);
}

/// The reverse: a sequencer that lets its followers infer (no journal
/// here) tells a client of a commit at once, with no HEARTBEAT before it.
/// A follower journaling at `--sync batch` went by its own settings and
/// waited to be told: with that sequencer killed after the COMMIT, the
/// client had been told of an event the follower held and never delivered.
/// It follows its leader's word now.
#[test]
fn a_follower_at_sync_batch_infers_what_a_sequencer_that_lets_it_commits() {
    let three = |epoch, journal| Config { nodes: 3, quorum: 2, journal, epoch: Epoch(epoch), ..Config::default() };
    let own = three(0, true);
    assert!(!own.followers_infer_commit(), "by its own settings it would not infer");
    let mut leader = Leader::new(three(5, false), 0).unwrap();
    let mut follower = Follower::new(own.clone(), NodeId(1), 0).unwrap();
    let mut client = Client::new(own, ClientId(9), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut leader, &mut follower, b"a", 10);
    // Written (not yet synced: its ACK waits for that), then delivered.
    assert_eq!(follower.poll_append().map(|a| a.event.header.seq()), Some(Seq(1)));
    assert_eq!(deliveries(&mut follower), ["1 [97]"]);
    assert_eq!(follower.commit(), Seq(1));
}

/// A follower that inferred commits under a sequencer that let it keeps
/// them known committed when the next sequencer (resumed from its journal,
/// now at `--sync batch`) marks its frames TOLD: its commit never goes back
/// below what it delivered.
#[test]
fn what_a_follower_inferred_stays_committed_under_a_leader_that_tells() {
    let three = |epoch, syncs| Config {
        nodes: 3,
        quorum: 2,
        journal: true,
        journal_syncs: syncs,
        epoch: Epoch(epoch),
        ..Config::default()
    };
    let mut leader = Leader::new(three(5, false), 0).unwrap();
    let mut follower = Follower::new(three(0, false), NodeId(1), 0).unwrap();
    let mut client = Client::new(three(0, false), ClientId(9), addr(LEADER)).unwrap();
    let mut resume = Leader::resume(three(6, true), 20_000_000_000, Seq(1)).unwrap();
    for (i, payload) in [b"a", b"b"].iter().enumerate() {
        submit_and_deliver(&mut client, &mut leader, &mut follower, *payload, 10 + i as u64);
        let append = leader.poll_append().unwrap();
        assert!(resume.push(append.event));
        let seq = follower.poll_append().unwrap().event.header.seq();
        follower.handle_durable(seq);
    }
    assert_eq!(deliveries(&mut follower), ["1 [97]", "2 [98]"]);
    assert_eq!(follower.commit(), Seq(2));
    // Restarted on its journal, 1..=2, knowing nothing committed.
    let mut resumed = resume.finish(Seq::ZERO);
    for (dest, bytes) in leader_out(&mut resumed, 20_000_000_000) {
        if dest == Dest::Group {
            follower.handle_datagram(20_000_000_000, addr(LEADER), &bytes);
        }
    }
    converse(&mut follower, &mut resumed, 20_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    assert_eq!(follower.commit(), Seq(2), "what it delivered stays committed");
    assert_eq!(deliveries(&mut follower), Vec::<String>::new());
}

/// A fresh sequencer under load multicasts DATA at every turn, and so
/// sent no HEARTBEAT: a follower resumed on its journal, which judges a
/// newer epoch only by where a HEARTBEAT says its log starts, dropped the
/// DATA in silence for as long as the load ran, neither following nor
/// refusing it. Every sequencer now says where its log starts until each
/// follower has acked, as a resumed or elected one does.
#[test]
fn a_resumed_follower_refuses_a_fresh_sequencer_that_sends_only_data() {
    let mut follower = resumed_at_3_of_epoch_5();
    let mut fresh = Leader::new(journaled(6), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(9), addr(LEADER)).unwrap();
    // An event every half heartbeat interval: never an idle one.
    for i in 0..4u64 {
        submit_and_deliver(&mut client, &mut fresh, &mut follower, b"x", 10 + i * 500_000);
    }
    assert_eq!(follower.short_leader().map(|s| (s.epoch, s.log_end)), Some((Epoch(6), Seq(0))));
    assert_eq!(deliveries(&mut follower), ["restarted 5->6 in doubt None"]);
}

/// A reviewer of the announce: a tail told 3 committed by the sequencer of
/// epoch 5 heard a fresh one of epoch 6 whose every member had acked
/// (followers without a journal take any log), under load: no HEARTBEAT
/// ever came, and the tail dropped its DATA in silence, neither following
/// nor refusing it. However busy, a leader now sends a HEARTBEAT at least
/// every keepalive interval.
#[test]
fn a_tail_judges_a_fresh_sequencer_whose_members_all_acked_within_a_keepalive() {
    let mut tail = Follower::observe(config(0), 0, Seq(1)).unwrap();
    let mut old = Leader::new(config(5), 0).unwrap();
    let mut client = Client::new(config(0), ClientId(9), addr(LEADER)).unwrap();
    for i in 0..3 {
        submit_and_deliver(&mut client, &mut old, &mut tail, b"o", 10 + i);
    }
    for (_, bytes) in leader_out(&mut old, 10_000_000_000) {
        tail.handle_datagram(10_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!(tail.commit(), Seq(3));
    let mut fresh = Leader::new(config(6), 20_000_000_000).unwrap();
    let mut member = Follower::new(config(0), NodeId(1), 0).unwrap();
    let mut client = Client::new(config(0), ClientId(10), addr(LEADER)).unwrap();
    let mut buf = vec![0; 2048];
    // An event every half heartbeat interval for 300 ms: never an idle
    // HEARTBEAT, and the member acks each (so no announce either).
    for i in 0..600u64 {
        if i == 498 {
            assert_eq!(tail.short_leader(), None, "nothing said where its log starts before the keepalive");
        }
        let now = 20_000_000_000 + i * 500_000;
        client.submit(b"n").unwrap();
        let submit = client.poll_transmit(now, &mut buf).unwrap();
        fresh.handle_datagram(now, addr(CLIENT), &buf[..submit.len]);
        for (dest, bytes) in leader_out(&mut fresh, now) {
            match dest {
                Dest::Group => {
                    member.handle_datagram(now, addr(LEADER), &bytes);
                    tail.handle_datagram(now, addr(LEADER), &bytes);
                }
                Dest::Unicast(_) => client.handle_datagram(now, addr(LEADER), &bytes),
            }
        }
        while let Some(t) = member.poll_transmit(now, &mut buf) {
            fresh.handle_datagram(now, addr(FOLLOWER), &buf[..t.len]);
        }
    }
    assert_eq!(tail.short_leader().map(|s| (s.epoch, s.log_end)), Some((Epoch(6), Seq(0))));
}

/// Quorum 2 of 3 at `--sync none`: followers infer commits.
fn inferring(epoch: u64, syncs: bool) -> Config {
    Config { nodes: 3, quorum: 2, journal: true, journal_syncs: syncs, epoch: Epoch(epoch), ..Config::default() }
}

/// A follower that holds (and journaled) 1..=2 of epoch 5, which it infers
/// committed, not yet delivered; and a sequencer resumed as epoch 6 from a
/// journal of that log, whose HEARTBEAT it has not yet heard.
fn inferred_1_and_2() -> (Follower, Leader) {
    let mut leader = Leader::new(inferring(5, false), 0).unwrap();
    let mut follower = Follower::new(inferring(0, false), NodeId(1), 0).unwrap();
    let mut client = Client::new(inferring(0, false), ClientId(9), addr(LEADER)).unwrap();
    let mut resume = Leader::resume(inferring(6, false), 20_000_000_000, Seq(1)).unwrap();
    for (i, payload) in [b"a", b"b"].iter().enumerate() {
        submit_and_deliver(&mut client, &mut leader, &mut follower, *payload, 10 + i as u64);
        assert!(resume.push(leader.poll_append().unwrap().event));
        let seq = follower.poll_append().unwrap().event.header.seq();
        follower.handle_durable(seq);
    }
    assert_eq!(follower.commit(), Seq(2), "inferred");
    (follower, resume.finish(Seq::ZERO))
}

/// What `leader` multicasts at `now` reaches `follower`.
fn hear(follower: &mut Follower, leader: &mut Leader, now: u64) {
    for (dest, bytes) in leader_out(leader, now) {
        if dest == Dest::Group {
            follower.handle_datagram(now, addr(LEADER), &bytes);
        }
    }
}

/// Only the first of what `leader` multicasts at `now` reaches `follower`:
/// a resumed sequencer's HEARTBEAT, where its log starts (the DATA of that
/// log after it is lost).
fn hear_announce(follower: &mut Follower, leader: &mut Leader, now: u64) {
    let (dest, bytes) = leader_out(leader, now).swap_remove(0);
    assert_eq!(dest, Dest::Group);
    follower.handle_datagram(now, addr(LEADER), &bytes);
}

/// A reviewer of a75111a: a follower that inferred 1..=2 committed, not yet
/// delivered, followed a sequencer resumed from a log reaching 2 and
/// dropped them (to take them from that log) from its window and its
/// journal, and with them what it knew: killed before it took them
/// again, or while still holding less, it then took a sequencer resumed
/// on an older journal copy (its log reaching 1), and would deliver that
/// log's 2. It keeps knowing 2 committed, its journal keeps 1..=2 until it
/// holds them again, and the older copy is refused.
#[test]
fn a_follower_keeps_what_it_inferred_while_it_takes_it_again_from_a_resumed_log() {
    let mut buf = vec![0; 2048];
    let (mut follower, mut resumed) = inferred_1_and_2();
    hear_announce(&mut follower, &mut resumed, 20_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    assert_eq!((follower.seq_held(), follower.commit()), (Seq(0), Seq(2)), "still known committed");
    assert_eq!(follower.poll_truncate(), None, "its journal keeps 1..=2 meanwhile");
    assert!(follower.poll_append().is_none());
    // An older copy of the sequencer's journal, reaching 1, resumed as epoch 7.
    let mut copy = Leader::resume(inferring(7, false), 30_000_000_000, Seq(1)).unwrap();
    let mut source = Leader::new(inferring(5, false), 0).unwrap();
    let mut client = Client::new(inferring(0, false), ClientId(9), addr(LEADER)).unwrap();
    client.submit(b"a").unwrap();
    let submit = client.poll_transmit(0, &mut buf).unwrap();
    source.handle_datagram(0, addr(CLIENT), &buf[..submit.len]);
    assert!(copy.push(source.poll_append().unwrap().event));
    let mut copy = copy.finish(Seq::ZERO);
    hear(&mut follower, &mut copy, 30_000_000_000);
    assert_eq!(follower.short_leader().map(|s| (s.epoch, s.log_end, s.needed)), Some((Epoch(7), Seq(1), Seq(2))));
    assert_eq!(follower.poll_truncate(), None);

    // Epoch 6 answers its NAK: 1..=2 again, then the journal's truncation
    // and the records that replace them, in one turn.
    let (mut follower, mut resumed) = inferred_1_and_2();
    hear_announce(&mut follower, &mut resumed, 20_000_000_000);
    // Its driver's next flush still finds the old 1..=2 durable (a
    // reviewer: taken as this log's, its ACKs said 2 held, and the
    // resumed sequencer committed on them).
    follower.handle_durable(Seq(2));
    let now = 20_000_000_000 + 100_000_000;
    for _ in 0..3 {
        while let Some(t) = follower.poll_transmit(now, &mut buf) {
            resumed.handle_datagram(now, addr(FOLLOWER), &buf[..t.len]);
        }
        for (_, bytes) in leader_out(&mut resumed, now) {
            follower.handle_datagram(now, addr(LEADER), &bytes);
        }
    }
    assert_eq!(follower.seq_held(), Seq(2));
    assert_eq!(resumed.commit(), Seq::ZERO, "nothing of its log is durable here yet");
    assert_eq!(follower.poll_truncate(), Some(Seq(0)));
    let appended: Vec<_> =
        std::iter::from_fn(|| follower.poll_append().map(|a| (a.event.header.seq(), a.commit))).collect();
    assert_eq!(appended, [(Seq(1), Seq(1)), (Seq(2), Seq(2))]);
    assert_eq!(deliveries(&mut follower), ["1 [97]", "2 [98]"]);
}

/// A reviewer of a75111a: a tail heard 1..=2 sent by a sequencer that let
/// followers infer commits (any of them may have delivered both), then
/// followed one resumed from that log that tells its commits. That one
/// died before telling any; a sequencer resumed on an older journal copy,
/// its log reaching 1, came next, and the tail bound it only by what it had
/// been told committed (nothing): it followed, and would print that log's
/// 2. What one leader had to reach, the next must.
#[test]
fn a_tail_binds_every_later_sequencer_by_what_an_inferring_one_sent() {
    let plain = |epoch, syncs| Config { journal: false, ..inferring(epoch, syncs) };
    let mut tail = Follower::observe(plain(0, false), 0, Seq(1)).unwrap();
    let mut leader = Leader::new(plain(5, false), 0).unwrap();
    let mut client = Client::new(plain(0, false), ClientId(9), addr(LEADER)).unwrap();
    let mut telling = Leader::resume(inferring(6, true), 20_000_000_000, Seq(1)).unwrap();
    let mut copy = Leader::resume(inferring(7, true), 30_000_000_000, Seq(1)).unwrap();
    // The sequencer's journal, and an older copy of it.
    let mut source = Leader::new(inferring(5, false), 0).unwrap();
    let mut writer = Client::new(plain(0, false), ClientId(8), addr(LEADER)).unwrap();
    let mut buf = vec![0; 2048];
    for (i, payload) in [b"a", b"b"].iter().enumerate() {
        submit_and_deliver(&mut client, &mut leader, &mut tail, *payload, 10 + i as u64);
        writer.submit(*payload).unwrap();
        let submit = writer.poll_transmit(10 + i as u64, &mut buf).unwrap();
        source.handle_datagram(10 + i as u64, addr(CLIENT), &buf[..submit.len]);
        let event = source.poll_append().unwrap().event;
        assert!(telling.push(event));
        if i == 0 {
            assert!(copy.push(event));
        }
    }
    let (mut telling, mut copy) = (telling.finish(Seq::ZERO), copy.finish(Seq::ZERO));
    assert_eq!(tail.commit(), Seq::ZERO, "nothing told committed");
    hear(&mut tail, &mut telling, 20_000_000_000);
    assert_eq!((tail.epoch(), tail.short_leader()), (Epoch(6), None), "its log reaches 2");
    hear(&mut tail, &mut copy, 30_000_000_000);
    assert_eq!(tail.short_leader().map(|s| (s.epoch, s.log_end, s.needed)), Some((Epoch(7), Seq(1), Seq(2))));
}

/// A reviewer of a75111a: a follower resumed on a journal of epoch 5 that
/// knew nothing committed (its leader tells commits, and the HEARTBEAT that
/// would have told it was lost) took a frame of epoch 4 (a stale sequencer
/// on an old copy of a journal) and dropped its journal's tail for that
/// log. An older epoch than its journal's is fenced off whatever it knows.
#[test]
fn a_follower_resumed_knowing_nothing_committed_takes_no_older_epoch() {
    let mut follower = Follower::resume(journaled(0), NodeId(1), 0, Seq::ZERO, Epoch(5)).unwrap();
    follower.keep_journal_tail(Seq(3));
    let mut older = Leader::new(journaled(4), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(9), addr(LEADER)).unwrap();
    submit_and_deliver(&mut client, &mut older, &mut follower, b"old", 10);
    hear(&mut follower, &mut older, 10_000_000_000);
    assert_eq!(follower.epoch(), Epoch::ZERO, "epoch 4 fenced off");
    assert_eq!(follower.poll_truncate(), None, "its journal's tail kept");
    // A reviewer: refused in silence (counted among wrong epochs only),
    // though a sequencer host whose clock runs behind is refused for good.
    assert_eq!(follower.older_refused(), Some((Epoch(4), Epoch(5))), "said, for its node to warn");
}

/// A sequencer of epoch 6 resumed from a log of `events` events that the
/// old one (epoch 5) sequenced, all of them committed.
fn resumed_with(events: u64) -> Leader {
    let mut old = Leader::new(journaled(5), 0).unwrap();
    let mut client = Client::new(journaled(0), ClientId(9), addr(LEADER)).unwrap();
    let mut buf = vec![0; 2048];
    for _ in 0..events {
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(1, &mut buf).unwrap();
        old.handle_datagram(1, addr(CLIENT), &buf[..submit.len]);
    }
    let mut resume = Leader::resume(journaled(6), 20_000_000_000, Seq(1)).unwrap();
    while let Some(append) = old.poll_append() {
        assert!(resume.push(append.event));
    }
    resume.finish(Seq(events))
}

/// Two reviews: the truncation a follower makes to take a resumed
/// sequencer's log synced a commit file capped at the commit it was told,
/// before the new log's records were durable, and a power loss (or a
/// crash) between left a follower that had inferred more knowing less. The
/// commit file now keeps what it knows, with the epoch of the log it took
/// (`Journal::truncate_knowing`), and a follower resumed on one that says
/// more than its records (`knows_committed`) refuses a sequencer of a newer
/// epoch whose log is short of that, and takes one whose log reaches it.
/// The log of the epoch it learned it in it takes as it is: a first try
/// without the epoch refused, in the simulator, the very sequencer whose
/// commit a follower had kept when it dropped its journal's tail.
#[test]
fn a_follower_resumed_knowing_a_commit_past_its_records_takes_only_a_log_that_reaches_it() {
    let resumed = |learnt_in: u64| {
        let mut follower = Follower::resume(journaled(0), NodeId(1), 0, Seq(3), Epoch(5)).unwrap();
        follower.knows_committed(Seq(6), Epoch(learnt_in));
        follower
    };
    let hear_all = |follower: &mut Follower, leader: &mut Leader| {
        for (_, bytes) in leader_out(leader, 30_000_000_000) {
            follower.handle_datagram(30_000_000_000, addr(LEADER), &bytes);
        }
    };
    let mut follower = resumed(5);
    assert_eq!(follower.known_committed(), Seq(6));
    hear_all(&mut follower, &mut resumed_with(5));
    assert_eq!(
        follower.short_leader(),
        Some(ShortLeader {
            epoch: Epoch(6),
            log_end: Seq(5),
            needed: Seq(6),
            committed: Seq(6),
            differs_at: None,
            refused_before: None,
            gone: false,
        })
    );
    let mut follower = resumed(5);
    hear_all(&mut follower, &mut resumed_with(6));
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    // It asks for what lies past its records, which that log holds.
    let mut buf = vec![0; 2048];
    let naks = std::iter::from_fn(|| follower.poll_transmit(30_000_000_000, &mut buf).map(|t| buf[..t.len].to_vec()));
    assert!(naks.count() > 0);
    // Learnt in epoch 6 itself: that sequencer's log is the one it knew.
    let mut follower = resumed(6);
    hear_all(&mut follower, &mut resumed_with(5));
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
    // Without the epoch (a file of an older build) nothing of it is taken.
    let follower = resumed(0);
    assert_eq!(follower.known_committed(), Seq(3));
}

/// Two sequencers resumed on the same journal speak at once (an
/// operator's error). Each one's HEARTBEAT replaced the other's probe, so
/// an answer could find its probe gone and the follower never decide. A
/// pending probe now gives way only to a newer epoch's: the newest decides.
#[test]
fn a_follower_asking_the_newer_of_two_restarted_sequencers_is_not_turned_back_by_the_older() {
    let (mut follower, _, journal) = journaled_cluster_at_3();
    let (mut older, mut newer) = (resumed_on(6, 1, &journal, 3), resumed_on(7, 1, &journal, 3));
    let newer_addr = addr("127.0.0.1:7004");
    let mut buf = vec![0; 2048];
    let hear = |follower: &mut Follower, leader: &mut Leader, from: SocketAddr, now: u64| {
        for (dest, bytes) in leader_out(leader, now) {
            if dest == Dest::Group {
                follower.handle_datagram(now, from, &bytes);
            }
        }
    };
    let mut nak = |follower: &mut Follower, now: u64| loop {
        let t = follower.poll_transmit(now, &mut buf).expect("its record at 3 asked");
        if let Frame::Nak(_) = seqcast::wire::parse(&buf[..t.len]).unwrap().frame {
            break (t.dest, buf[..t.len].to_vec());
        }
    };
    hear(&mut follower, &mut older, addr(LEADER), 20_000_000_000);
    assert_eq!(nak(&mut follower, 20_000_000_000).0, Dest::Unicast(addr(LEADER)));
    hear(&mut follower, &mut newer, newer_addr, 20_000_000_000);
    let (to, asked) = nak(&mut follower, 20_000_000_000);
    assert_eq!(to, Dest::Unicast(newer_addr), "the newer sequencer asked");
    // The older one's next HEARTBEAT comes before the newer one's answer.
    hear(&mut follower, &mut older, addr(LEADER), 30_000_000_000);
    newer.handle_datagram(30_000_000_000, addr(FOLLOWER), &asked);
    for (dest, bytes) in leader_out(&mut newer, 30_000_000_000) {
        if dest == Dest::Unicast(addr(FOLLOWER)) {
            follower.handle_datagram(30_000_000_000, newer_addr, &bytes);
        }
    }
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(7), None));
    assert_eq!(follower.resumed_probe(), None);
}

/// Issue 16's attacker, replaying valid frames: a restarted sequencer's
/// HEARTBEAT, replayed from elsewhere before the sequencer's own reached a
/// follower, had the follower ask the replayer for its record, and on
/// for good: it never followed that sequencer (42 of 4,000 seeds of
/// `seqcast sim --replay 0.1 --journal --leader-crashes 2`). It asks
/// where the sequencer's newest HEARTBEAT came from, and follows it.
#[test]
fn a_follower_asks_a_restarted_sequencer_where_it_speaks_not_where_a_replay_came_from() {
    let (mut follower, _, journal) = journaled_cluster_at_3();
    let mut resumed = resumed_on(6, 1, &journal, 3);
    let replayer = addr("127.0.0.1:7666");
    let mut buf = vec![0; 2048];
    let mut sent = |follower: &mut Follower, now: u64| {
        std::iter::from_fn(|| follower.poll_transmit(now, &mut buf).map(|t| (t.dest, buf[..t.len].to_vec())))
            .collect::<Vec<_>>()
    };
    for (_, bytes) in leader_out(&mut resumed, 20_000_000_000) {
        follower.handle_datagram(20_000_000_000, replayer, &bytes);
    }
    assert!(sent(&mut follower, 20_000_000_000).iter().any(|(dest, _)| *dest == Dest::Unicast(replayer)));
    // The sequencer's own next HEARTBEAT: it is asked, at once, and answers.
    for (_, bytes) in leader_out(&mut resumed, 21_000_000_000) {
        follower.handle_datagram(21_000_000_000, addr(LEADER), &bytes);
    }
    assert_eq!(follower.resumed_probe().map(|(epoch, from, ..)| (epoch, from)), Some((Epoch(6), addr(LEADER))));
    for (dest, bytes) in sent(&mut follower, 21_000_000_000) {
        if dest == Dest::Unicast(addr(LEADER)) {
            resumed.handle_datagram(21_000_000_000, addr(FOLLOWER), &bytes);
        }
    }
    converse(&mut follower, &mut resumed, 21_000_000_000);
    assert_eq!((follower.epoch(), follower.short_leader(), follower.resumed_probe()), (Epoch(6), None, None));
}

/// The same, but the newer sequencer stops before it answers: once its
/// NAK has gone unanswered twice, the older one's HEARTBEAT is taken up.
#[test]
fn a_follower_whose_newer_restarted_sequencer_stops_answering_asks_the_older() {
    let (mut follower, _, journal) = journaled_cluster_at_3();
    let (mut older, mut newer) = (resumed_on(6, 1, &journal, 3), resumed_on(7, 1, &journal, 3));
    let newer_addr = addr("127.0.0.1:7004");
    for (leader, from) in [(&mut older, addr(LEADER)), (&mut newer, newer_addr)] {
        for (_, bytes) in leader_out(leader, 20_000_000_000) {
            follower.handle_datagram(20_000_000_000, from, &bytes);
        }
    }
    let mut buf = vec![0; 2048];
    let mut now = 20_000_000_000;
    while follower.resumed_probe().is_some_and(|(_, _, _, tries)| tries < 2) {
        while let Some(t) = follower.poll_transmit(now, &mut buf) {
            if let Frame::Nak(_) = seqcast::wire::parse(&buf[..t.len]).unwrap().frame {
                assert_eq!(t.dest, Dest::Unicast(newer_addr), "only the newer asked, unanswered");
            }
        }
        now += 1_000_000;
    }
    for (_, bytes) in leader_out(&mut older, now + 10_000_000_000) {
        follower.handle_datagram(now, addr(LEADER), &bytes);
    }
    assert_eq!(follower.resumed_probe().map(|(epoch, from, ..)| (epoch, from)), Some((Epoch(6), addr(LEADER))));
    converse(&mut follower, &mut older, now);
    assert_eq!((follower.epoch(), follower.short_leader()), (Epoch(6), None));
}

/// A journaled follower that missed 4..=30, restarted with its sequencer
/// (on their journals), asks for them once its record at 3 is shown. The
/// sequencer knows it by its NAKs alone until it ACKs, and answers each of
/// those with one event (a NAK recorded and replayed from a victim's address
/// draws no more there): only its ask for that record is answered so; what
/// it asks after the check goes with an ACK echoing that sequencer's stamp,
/// and is answered whole, within a few round trips.
#[test]
fn a_follower_behind_a_restarted_sequencer_is_answered_whole_once_it_takes_its_log() {
    let (_, epoch_6, mut journal) = journaled_cluster_at_3();
    let mut leader = resumed_on(5, 1, &journal, 3);
    let mut client = Client::new(Config { journal: true, ..config(0) }, ClientId(11), addr(CLIENT)).unwrap();
    let mut buf = vec![0; 2048];
    // Epoch 5 goes on to 30 without the follower hearing any of it.
    for i in 4..=30u64 {
        let now = 20_000_000_000 + i * 1_000;
        client.submit(&[i as u8]).unwrap();
        let submit = client.poll_transmit(now, &mut buf).unwrap();
        leader.handle_datagram(now, addr(CLIENT), &buf[..submit.len]);
        let record = leader.poll_append().unwrap().event.record.to_vec();
        leader.handle_durable(EventRef::split(&record).unwrap().0.header.seq());
        journal.push(record);
        for (dest, bytes) in leader_out(&mut leader, now) {
            if dest != Dest::Group {
                client.handle_datagram(now, addr(LEADER), &bytes);
            }
        }
        while client.poll_transmit(now, &mut buf).is_some() {}
    }
    assert_eq!(leader.commit(), Seq(30));
    // It restarts on that journal in epoch 6; a new event goes out.
    let mut resume = Leader::resume(epoch_6, 30_000_000_000, Seq(1)).unwrap();
    for record in &journal {
        assert!(resume.push(EventRef::split(record).unwrap().0));
    }
    let mut restarted = resume.finish(Seq(30));
    // The follower restarts too, on its journal of 1..=3.
    let mut follower = Follower::resume(journaled(0), NodeId(1), 30_000_000_000, Seq(3), Epoch(5)).unwrap();
    follower.keep_anchor(Seq(3), Some(journal[2].clone()));
    let mut client = Client::new(Config { journal: true, ..config(0) }, ClientId(12), addr(CLIENT)).unwrap();
    submit_and_deliver(&mut client, &mut restarted, &mut follower, b"d", 30_000_000_000);
    // A LAN's round trip, 50 µs, 2 ms in all.
    let mut held = Vec::new();
    for now in (30_000_000_000..30_002_000_000).step_by(50_000) {
        follower.handle_timeout(now);
        restarted.handle_timeout(now);
        while let Some(t) = follower.poll_transmit(now, &mut buf) {
            restarted.handle_datagram(now, addr(FOLLOWER), &buf[..t.len]);
        }
        for (dest, bytes) in leader_out(&mut restarted, now) {
            if dest == Dest::Group || dest == Dest::Unicast(addr(FOLLOWER)) {
                follower.handle_datagram(now, addr(LEADER), &bytes);
            }
        }
        held.extend(deliveries(&mut follower));
    }
    assert_eq!(follower.epoch(), Epoch(6), "its record at 3 shown");
    let want: Vec<String> = (4..=30).map(|seq| format!("{seq} [{seq}]")).collect();
    assert_eq!(held, want, "31 waits for its sequencer's disk");
    assert_eq!(restarted.stats().naks_unproven, 1, "its NAK of its record alone: {:?}", restarted.stats());
}
