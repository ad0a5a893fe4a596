//! Golden test vectors: one datagram of every frame kind, built with fixed
//! field values, must match `docs/wire-vectors.txt` byte for byte, and every
//! vector there must parse back to its kind. The file is for other
//! implementations (docs/PROTOCOL.md); `SEQCAST_BLESS=1 cargo test --test
//! vectors` rewrites it after a deliberate change of the wire.

use std::fmt::Write as _;

use seqcast::auth::{Key, Keys};
use seqcast::core::{ClientId, Epoch, Seq};
use seqcast::wire::{
    Ack, Ballot, Busy, CommitRun, EventHeader, FLAG_COUNTING_INCOMPLETE, FLAG_FORCED, Frame, FrameWriter, Header,
    Heartbeat, Kind, NakHead, Promote, SeqRange, Unrecoverable, Vote, VoteRequest, emit, parse,
};

const CLUSTER: u32 = 7;

/// Every vector: its name, what its fields are, its bytes.
fn vectors() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1472];
    let leader = |kind| Header::new(kind, 0, CLUSTER, Epoch(2));

    let client = Header::new(Kind::Submit, u16::MAX, CLUSTER, Epoch(2));
    let mut w = FrameWriter::submit(&mut buf, &client, ClientId(42), 5).unwrap();
    w.push_event(&EventHeader::unstamped(ClientId(42), 5, 3), b"abc");
    w.push_event(&EventHeader::unstamped(ClientId(42), 6, 9), b"seqcast!!");
    let len = w.finish();
    let what = "sender 0xffff (a client); client 42, count 2, request 5; records: (client 42, request 5, \
                seq 0, len 3, \"abc\"), (client 42, request 6, seq 0, len 9, \"seqcast!!\")";
    out.push(("SUBMIT", what.to_string(), buf[..len].to_vec()));

    for (name, kind) in [("DATA", Kind::Data), ("RETRANSMIT", Kind::Retransmit)] {
        let mut w = FrameWriter::batch(&mut buf, &leader(kind), kind, Seq(10), 123_456_789).unwrap();
        for (seq, request, payload) in [(11u64, 5u64, &b"abc"[..]), (12, 6, &b"seqcast!!"[..])] {
            let mut event = EventHeader::unstamped(ClientId(42), request, payload.len() as u16);
            event.seq = seq.into();
            w.push_event(&event, payload);
        }
        let len = w.finish();
        let what = "sender 0 (the leader); commit 10, sent_ns 123456789, count 2; records: (client 42, \
                    request 5, seq 11, \"abc\"), (client 42, request 6, seq 12, \"seqcast!!\")";
        out.push((name, what.to_string(), buf[..len].to_vec()));
    }

    let heartbeat = Heartbeat {
        seq_next: 13.into(),
        commit: 12.into(),
        sent_ns: 1_000.into(),
        rtt_ns: 50_000.into(),
        epoch_start: 0.into(),
        nonce: 0.into(),
        reserved: 0.into(),
    };
    let len = emit(&mut buf, &leader(Kind::Heartbeat), Kind::Heartbeat, &heartbeat).unwrap();
    let what = "sender 0; seq_next 13, commit 12, sent_ns 1000, rtt_ns 50000, epoch_start 0, nonce 0";
    out.push(("HEARTBEAT", what.to_string(), buf[..len].to_vec()));

    let body = Ack { seq_held: 12.into(), echo_ns: 1_000.into(), echo_delay_ns: 25.into() };
    let len = emit(&mut buf, &Header::new(Kind::Ack, 1, CLUSTER, Epoch(2)), Kind::Ack, &body).unwrap();
    out.push(("ACK", "sender 1; seq_held 12, echo_ns 1000, echo_delay_ns 25".into(), buf[..len].to_vec()));

    let mut w = FrameWriter::nak(&mut buf, &Header::new(Kind::Nak, 1, CLUSTER, Epoch(2))).unwrap();
    w.push_range(&SeqRange::new(Seq(3), Seq(5)));
    w.push_range(&SeqRange::new(Seq(9), Seq(10)));
    let len = w.finish();
    out.push(("NAK", "sender 1; count 2; ranges [3, 5), [9, 10)".into(), buf[..len].to_vec()));

    // A member back empty asks its leader for a HEARTBEAT that answers its
    // nonce; the leader sends one to it alone.
    let nak = Header::new(Kind::Nak, 1, CLUSTER, Epoch(2));
    let len = emit(&mut buf, &nak, Kind::Nak, &NakHead::fresh(0x5eed_1e55)).unwrap();
    out.push(("NAK, nonce", "sender 1; count 0, nonce 0x5eed1e55; no ranges".into(), buf[..len].to_vec()));
    let body = Heartbeat { nonce: 0x5eed_1e55u32.into(), ..heartbeat };
    let len = emit(&mut buf, &leader(Kind::Heartbeat), Kind::Heartbeat, &body).unwrap();
    let what = "the HEARTBEAT above, sent to sender 1 alone, answering its nonce 0x5eed1e55";
    out.push(("HEARTBEAT, answering a nonce", what.into(), buf[..len].to_vec()));

    let mut w = FrameWriter::commit(&mut buf, &leader(Kind::Commit), ClientId(42), Seq(12)).unwrap();
    w.push_run(&CommitRun::new(5, Seq(11), 2));
    let len = w.finish();
    let what = "sender 0; client 42, count 1, commit 12; runs: (request 5, seq 11, count 2)";
    out.push(("COMMIT", what.to_string(), buf[..len].to_vec()));

    let body =
        Busy { client: 42.into(), reason: 1.into(), leader: 0.into(), request: 7.into(), retry_ns: 200_000.into() };
    let len = emit(&mut buf, &leader(Kind::Busy), Kind::Busy, &body).unwrap();
    let what = "sender 0; client 42, reason 1 (in-flight window full), leader 0, request 7, retry_ns 200000";
    out.push(("BUSY", what.to_string(), buf[..len].to_vec()));

    let body = Busy { client: 42.into(), reason: 7.into(), leader: 0.into(), request: 1.into(), retry_ns: 0.into() };
    let mut hello = leader(Kind::Busy);
    hello.token = 0xdead_beef.into();
    let len = emit(&mut buf, &hello, Kind::Busy, &body).unwrap();
    let what = "sender 0, header token 0xdeadbeef; client 42, reason 7 (hello: echo the token), request 1, retry_ns 0";
    out.push(("BUSY, hello", what.to_string(), buf[..len].to_vec()));

    let body = Unrecoverable { range: SeqRange::new(Seq(1), Seq(4)) };
    let len = emit(&mut buf, &leader(Kind::Unrecoverable), Kind::Unrecoverable, &body).unwrap();
    out.push(("UNRECOVERABLE", "sender 0; range [1, 4)".into(), buf[..len].to_vec()));

    let body = VoteRequest { log_epoch: 2.into(), log_seq: 12.into() };
    let len = emit(&mut buf, &Header::new(Kind::VoteRequest, 1, CLUSTER, Epoch(3)), Kind::VoteRequest, &body).unwrap();
    out.push((
        "VOTE_REQUEST",
        "sender 1, epoch 3 (stands for it); log_epoch 2, log_seq 12".into(),
        buf[..len].to_vec(),
    ));

    let body =
        Vote { granted: 1.into(), candidate: 1.into(), reserved: 0.into(), log_epoch: 2.into(), log_seq: 12.into() };
    let len = emit(&mut buf, &Header::new(Kind::Vote, 2, CLUSTER, Epoch(3)), Kind::Vote, &body).unwrap();
    let what = "sender 2, epoch 3; granted 1, candidate 1, log_epoch 2, log_seq 12";
    out.push(("VOTE", what.into(), buf[..len].to_vec()));

    // An operator's candidacy that counts incomplete votes, and a vote
    // granted to it by a member back without all of its log, fenced.
    let mut counting = Header::new(Kind::VoteRequest, 1, CLUSTER, Epoch(4));
    counting.flags = (FLAG_FORCED | FLAG_COUNTING_INCOMPLETE).into();
    let body = VoteRequest { log_epoch: 2.into(), log_seq: 12.into() };
    let len = emit(&mut buf, &counting, Kind::VoteRequest, &body).unwrap();
    let what = "sender 1, epoch 4, flags 3 (FORCED, COUNTING_INCOMPLETE); log_epoch 2, log_seq 12";
    out.push(("VOTE_REQUEST, counting", what.into(), buf[..len].to_vec()));
    let body =
        Vote { granted: 3.into(), candidate: 1.into(), reserved: 0.into(), log_epoch: 2.into(), log_seq: 9.into() };
    let len = emit(&mut buf, &Header::new(Kind::Vote, 2, CLUSTER, Epoch(4)), Kind::Vote, &body).unwrap();
    let what = "sender 2, epoch 4; granted 3 (incomplete, fenced), candidate 1, log_epoch 2, log_seq 9";
    out.push(("VOTE, fenced", what.into(), buf[..len].to_vec()));

    let body = Promote { node: 2.into(), reserved: 0.into(), reserved2: 0.into() };
    let len = emit(&mut buf, &Header::new(Kind::Promote, u16::MAX, CLUSTER, Epoch(0)), Kind::Promote, &body).unwrap();
    out.push(("PROMOTE", "sender 0xffff, epoch 0; node 2".into(), buf[..len].to_vec()));

    // The HEARTBEAT above, sealed under a member key of 32 bytes 0x01, and
    // the SUBMIT under client 42's key from a client master of 32 bytes 0x02.
    let keys = Keys::Member {
        member: Key::from_hex(&"01".repeat(32)).unwrap(),
        clients: Key::from_hex(&"02".repeat(32)).unwrap(),
    };
    for (name, of) in [("HEARTBEAT, keyed", "HEARTBEAT"), ("SUBMIT, keyed", "SUBMIT")] {
        let plain = &out.iter().find(|v| v.0 == of).unwrap().2;
        let mut sealed = plain.clone();
        sealed.resize(plain.len() + 16, 0);
        let len = keys.seal(&mut sealed, plain.len()).unwrap();
        sealed.truncate(len);
        let what = format!("the {of} above and its 16-byte tag (member key 01…01, client master 02…02)");
        out.push((name, what, sealed));
    }
    out
}

fn render(vectors: &[(&str, String, Vec<u8>)]) -> String {
    let mut text = String::from(
        "# seqcast wire protocol, version 3: test vectors (docs/PROTOCOL.md).\n\
         # Each vector: `== NAME`, comments, then its bytes in hex, 16 a line.\n\
         # Every header: magic 0x5153, version 3, flags 0, cluster 7, epoch 2, token 0 unless said.\n\
         # (A member's frames carry its cluster's shape in `token`, node count x 65536 + quorum;\n\
         # these show each layout with 0 there, as an earlier build sent, which skips the shape check.)\n",
    );
    for (name, what, bytes) in vectors {
        let _ = writeln!(text, "\n== {name}\n# {what}\n# {} bytes", bytes.len());
        for line in bytes.chunks(16) {
            let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(text, "{}", hex.join(" "));
        }
    }
    text
}

/// The vectors of the file: (name, bytes).
fn read(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            out.push((name.to_string(), Vec::new()));
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            let bytes = line.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap());
            out.last_mut().expect("bytes after a name").1.extend(bytes);
        }
    }
    out
}

#[test]
fn every_frame_kind_matches_its_golden_vector_and_parses_back() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/wire-vectors.txt");
    let text = render(&vectors());
    if std::env::var_os("SEQCAST_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path).expect("docs/wire-vectors.txt (SEQCAST_BLESS=1 writes it)");
    assert_eq!(golden, text, "the wire changed: if on purpose, SEQCAST_BLESS=1 and say so in PROTOCOL.md");
    let keys = Keys::Member {
        member: Key::from_hex(&"01".repeat(32)).unwrap(),
        clients: Key::from_hex(&"02".repeat(32)).unwrap(),
    };
    let vectors = read(&golden);
    assert_eq!(vectors.len(), 19);
    for (name, bytes) in &vectors {
        let frame = if name.ends_with(", keyed") { keys.open(bytes).expect("the tag opens") } else { bytes };
        let datagram = parse(frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        let kind = name.split(',').next().unwrap().replace('_', "");
        assert_eq!(format!("{:?}", datagram.header.kind()).to_uppercase(), kind, "{name}");
        match (name.as_str(), &datagram.frame) {
            ("VOTE_REQUEST, counting", _) => {
                assert_eq!(datagram.header.flags.get(), FLAG_FORCED | FLAG_COUNTING_INCOMPLETE, "{name}")
            }
            ("VOTE, fenced", Frame::Vote(vote)) => assert_eq!(vote.ballot(), Ballot::GrantedEmptyFenced, "{name}"),
            ("VOTE", Frame::Vote(vote)) => assert_eq!(vote.ballot(), Ballot::Granted, "{name}"),
            ("NAK, nonce", Frame::Nak(nak)) => assert_eq!((nak.ranges.len(), nak.head.nonce.get()), (0, 0x5eed_1e55)),
            ("HEARTBEAT, answering a nonce", Frame::Heartbeat(heartbeat)) => {
                assert_eq!(heartbeat.nonce(), 0x5eed_1e55)
            }
            _ => {}
        }
    }
}
