//! Golden bytes, emit-into-0xa5 tests, property tests and malformed inputs.
//!
//! The golden arrays were produced by an independent encoder (Python's
//! `struct` and `zlib.crc32`) written from `docs/PROTOCOL.md`, so they check the
//! layout and the CRC against a second implementation, not against this one.

use proptest::prelude::*;
use zerocopy::{FromZeros, IntoBytes};

use super::*;
use crate::types::{ClientId, Epoch, Seq};

const SUBMIT: [u8; 120] = [
    0x53, 0x51, 0x03, 0x01, 0x00, 0x00, 0xff, 0xff, 0x78, 0x00, 0x00, 0x00, 0xc0, 0x42, 0xac, 0xef, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x68, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const DATA: [u8; 136] = [
    0x53, 0x51, 0x03, 0x02, 0x00, 0x00, 0x01, 0x00, 0x88, 0x00, 0x00, 0x00, 0xf6, 0x93, 0xe7, 0x9e, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x84, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x85, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37, 0x38,
];
const HEARTBEAT: [u8; 80] = [
    0x53, 0x51, 0x03, 0x03, 0x00, 0x00, 0x01, 0x00, 0x50, 0x00, 0x00, 0x00, 0x53, 0x55, 0x83, 0xbf, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd0, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0xaf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];
const ACK: [u8; 56] = [
    0x53, 0x51, 0x03, 0x04, 0x00, 0x00, 0x02, 0x00, 0x38, 0x00, 0x00, 0x00, 0xe1, 0x5c, 0x0c, 0x9a, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xd0, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x96, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const NAK: [u8; 72] = [
    0x53, 0x51, 0x03, 0x05, 0x00, 0x00, 0x02, 0x00, 0x48, 0x00, 0x00, 0x00, 0x1b, 0x38, 0x47, 0xd5, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const RETRANSMIT: [u8; 96] = [
    0x53, 0x51, 0x03, 0x06, 0x00, 0x00, 0x01, 0x00, 0x60, 0x00, 0x00, 0x00, 0xc0, 0x0c, 0x28, 0x73, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xb8, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x84, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63, 0x00, 0x00, 0x00, 0x00,
    0x00,
];
const COMMIT: [u8; 72] = [
    0x53, 0x51, 0x03, 0x07, 0x00, 0x00, 0x01, 0x00, 0x48, 0x00, 0x00, 0x00, 0x80, 0xb6, 0xcf, 0x57, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const BUSY: [u8; 56] = [
    0x53, 0x51, 0x03, 0x08, 0x00, 0x00, 0x01, 0x00, 0x38, 0x00, 0x00, 0x00, 0xcc, 0x15, 0x6c, 0xaa, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0xc3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const UNRECOVERABLE: [u8; 48] = [
    0x53, 0x51, 0x03, 0x09, 0x00, 0x00, 0x01, 0x00, 0x30, 0x00, 0x00, 0x00, 0xb0, 0x9d, 0xa2, 0x51, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const VOTE_REQUEST: [u8; 48] = [
    0x53, 0x51, 0x03, 0x10, 0x01, 0x00, 0x02, 0x00, 0x30, 0x00, 0x00, 0x00, 0xb6, 0x5e, 0x5b, 0xf8, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x29, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const VOTE: [u8; 56] = [
    0x53, 0x51, 0x03, 0x11, 0x00, 0x00, 0x01, 0x00, 0x38, 0x00, 0x00, 0x00, 0xdb, 0x94, 0x9c, 0xd5, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const PROMOTE: [u8; 40] = [
    0x53, 0x51, 0x03, 0x12, 0x00, 0x00, 0xff, 0xff, 0x28, 0x00, 0x00, 0x00, 0xa4, 0xa6, 0x34, 0xc1, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00,
];
const BUSY_NOT_LEADER: [u8; 56] = [
    0x53, 0x51, 0x03, 0x08, 0x00, 0x00, 0x01, 0x00, 0x38, 0x00, 0x00, 0x00, 0x53, 0xf1, 0x13, 0xf1, 0x0d, 0x0c, 0x0b,
    0x0a, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 0x00,
    0x02, 0x00, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

const CLUSTER: u32 = 0x0A0B_0C0D;
const EPOCH: u64 = 3;

fn header(sender: u16) -> Header {
    Header::new(Kind::Data, sender, CLUSTER, Epoch(EPOCH))
}

fn unrecoverable(first: u64, end: u64) -> Unrecoverable {
    Unrecoverable { range: SeqRange::new(Seq(first), Seq(end)) }
}

/// Emits with `f` into a 0xa5-filled buffer, checks no byte past the frame
/// was touched, and returns the frame.
fn emit_a5(f: impl FnOnce(&mut [u8]) -> usize) -> Vec<u8> {
    let mut buf = [0xa5u8; 512];
    let len = f(&mut buf);
    assert!(buf[len..].iter().all(|&b| b == 0xa5), "bytes written past the frame");
    buf[..len].to_vec()
}

fn stamped(seq: u64, stamp_ns: u64, request: u64, client: u32, len: usize) -> EventHeader {
    let mut h = EventHeader::unstamped(ClientId(client), request, len as u16);
    h.seq = seq.into();
    h.stamp_ns = stamp_ns.into();
    h
}

#[test]
fn golden_submit() {
    let out = emit_a5(|buf| {
        let mut w = FrameWriter::submit(buf, &header(SENDER_CLIENT), ClientId(7), 100).unwrap();
        assert!(w.push_event(&EventHeader::unstamped(ClientId(7), 100, 2), b"hi"));
        assert!(w.push_event(&EventHeader::unstamped(ClientId(7), 101, 0), b""));
        w.finish()
    });
    assert_eq!(out, SUBMIT);
    let Frame::Submit(submit) = parse(&SUBMIT).unwrap().frame else { panic!("not a SUBMIT") };
    assert_eq!((submit.head.client.get(), submit.head.request.get()), (7, 100));
    let payloads: Vec<&[u8]> = submit.events.map(|e| e.payload).collect();
    assert_eq!(payloads, [&b"hi"[..], b""]);
}

#[test]
fn golden_data_and_retransmit() {
    let out = emit_a5(|buf| {
        let mut w = FrameWriter::batch(buf, &header(1), Kind::Data, Seq(5), 1000).unwrap();
        assert!(w.push_event(&stamped(6, 900, 100, 7, 3), b"abc"));
        assert!(w.push_event(&stamped(7, 901, 101, 7, 8), b"12345678"));
        w.finish()
    });
    assert_eq!(out, DATA);
    let Frame::Data(data) = parse(&DATA).unwrap().frame else { panic!("not DATA") };
    assert_eq!((data.head.commit.get(), data.head.sent_ns.get(), data.first_seq()), (5, 1000, Seq(6)));
    let events: Vec<_> = data.events.collect();
    assert_eq!(events[1].payload, b"12345678");
    assert_eq!(events[1].header.stamp_ns.get(), 901);

    // A repair is a copy of the record bytes: push the first record of DATA.
    let out = emit_a5(|buf| {
        let mut w = FrameWriter::batch(buf, &header(1), Kind::Retransmit, Seq(7), 3000).unwrap();
        assert!(w.push_record(events[0].record));
        w.finish()
    });
    assert_eq!(out, RETRANSMIT);
    assert!(matches!(parse(&RETRANSMIT).unwrap().frame, Frame::Retransmit(_)));
}

#[test]
fn golden_fixed_frames() {
    let hb = Heartbeat {
        seq_next: 8.into(),
        commit: 7.into(),
        sent_ns: 2000.into(),
        rtt_ns: 45000.into(),
        epoch_start: 5.into(),
        nonce: 0.into(),
        reserved: 0.into(),
    };
    assert_eq!(emit_a5(|b| emit(b, &header(1), Kind::Heartbeat, &hb).unwrap()), HEARTBEAT);
    let ack = Ack { seq_held: 7.into(), echo_ns: 2000.into(), echo_delay_ns: 150.into() };
    assert_eq!(emit_a5(|b| emit(b, &header(2), Kind::Ack, &ack).unwrap()), ACK);
    let busy = Busy {
        client: 7.into(),
        reason: u16::from(BusyReason::InFlightFull).into(),
        leader: 0.into(),
        request: 102.into(),
        retry_ns: 50000.into(),
    };
    assert_eq!(emit_a5(|b| emit(b, &header(1), Kind::Busy, &busy).unwrap()), BUSY);
    let lost = unrecoverable(1, 4);
    assert_eq!(emit_a5(|b| emit(b, &header(1), Kind::Unrecoverable, &lost).unwrap()), UNRECOVERABLE);

    assert!(matches!(parse(&HEARTBEAT).unwrap().frame, Frame::Heartbeat(h) if *h == hb));
    assert!(matches!(parse(&ACK).unwrap().frame, Frame::Ack(a) if *a == ack));
    assert!(matches!(parse(&BUSY).unwrap().frame, Frame::Busy(b) if *b == busy));
    assert!(matches!(parse(&UNRECOVERABLE).unwrap().frame, Frame::Unrecoverable(u) if *u == lost));
    let d = parse(&ACK).unwrap();
    assert_eq!((d.header.sender.get(), d.header.cluster.get(), d.header.epoch.get()), (2, CLUSTER, EPOCH));
}

#[test]
fn golden_failover_frames() {
    let mut candidate = Header::new(Kind::Data, 2, CLUSTER, Epoch(4));
    candidate.flags = FLAG_FORCED.into();
    let request = VoteRequest { log_epoch: 3.into(), log_seq: 41.into() };
    assert_eq!(emit_a5(|b| emit(b, &candidate, Kind::VoteRequest, &request).unwrap()), VOTE_REQUEST);
    let vote =
        Vote { granted: 1.into(), candidate: 1.into(), reserved: 0.into(), log_epoch: 3.into(), log_seq: 40.into() };
    let voter = Header::new(Kind::Data, 1, CLUSTER, Epoch(4));
    assert_eq!(emit_a5(|b| emit(b, &voter, Kind::Vote, &vote).unwrap()), VOTE);
    let promote = Promote { node: 2.into(), reserved: 0.into(), reserved2: 0.into() };
    let operator = Header::new(Kind::Data, SENDER_CLIENT, CLUSTER, Epoch(0));
    assert_eq!(emit_a5(|b| emit(b, &operator, Kind::Promote, &promote).unwrap()), PROMOTE);
    let busy = Busy {
        client: 7.into(),
        reason: u16::from(BusyReason::NotLeader).into(),
        leader: 2.into(),
        request: 102.into(),
        retry_ns: 0.into(),
    };
    assert_eq!(emit_a5(|b| emit(b, &voter, Kind::Busy, &busy).unwrap()), BUSY_NOT_LEADER);

    let d = parse(&VOTE_REQUEST).unwrap();
    assert_eq!((d.header.flags.get(), d.header.epoch.get()), (FLAG_FORCED, 4));
    assert!(matches!(d.frame, Frame::VoteRequest(r) if *r == request));
    assert!(matches!(parse(&VOTE).unwrap().frame, Frame::Vote(v) if *v == vote));
    assert!(matches!(parse(&PROMOTE).unwrap().frame, Frame::Promote(p) if *p == promote));
    let Frame::Busy(b) = parse(&BUSY_NOT_LEADER).unwrap().frame else { panic!("not BUSY") };
    assert_eq!((b.reason(), b.leader.get()), (BusyReason::NotLeader, 2));
}

#[test]
fn golden_nak_and_commit() {
    let out = emit_a5(|buf| {
        let mut w = FrameWriter::nak(buf, &header(2)).unwrap();
        assert!(w.push_range(&SeqRange::new(Seq(3), Seq(5))));
        assert!(w.push_range(&SeqRange::new(Seq(9), Seq(12))));
        w.finish()
    });
    assert_eq!(out, NAK);
    let Frame::Nak(nak) = parse(&NAK).unwrap().frame else { panic!("not a NAK") };
    assert_eq!(nak.ranges, [SeqRange::new(Seq(3), Seq(5)), SeqRange::new(Seq(9), Seq(12))]);

    // One asking for nothing is a NAK only with a nonce: a member back
    // empty asks so for a fresh HEARTBEAT.
    let mut buf = [0u8; 64];
    let len = emit(&mut buf, &header(2), Kind::Nak, &NakHead::fresh(0xa5a5)).unwrap();
    let Frame::Nak(nak) = parse(&buf[..len]).unwrap().frame else { panic!("not a NAK") };
    assert_eq!((nak.head.nonce.get(), nak.ranges.len()), (0xa5a5, 0));
    let bare = NakHead { nonce: 0.into(), ..NakHead::fresh(1) };
    let len = emit(&mut buf, &header(2), Kind::Nak, &bare).unwrap();
    assert_eq!(parse(&buf[..len]).map(|_| ()), Err(Error::BadBodyLength), "a NAK of nothing");

    let out = emit_a5(|buf| {
        let mut w = FrameWriter::commit(buf, &header(1), ClientId(7), Seq(7)).unwrap();
        assert!(w.push_run(&CommitRun::new(100, Seq(6), 2)));
        w.finish()
    });
    assert_eq!(out, COMMIT);
    let Frame::Commit(commit) = parse(&COMMIT).unwrap().frame else { panic!("not a COMMIT") };
    assert_eq!(commit.runs, [CommitRun::new(100, Seq(6), 2)]);
}

#[test]
fn writers_stop_at_the_buffer_and_the_range_limit() {
    let mut small = [0u8; 40];
    assert!(emit(&mut small, &header(1), Kind::Ack, &Ack::new_zeroed()).is_none());
    let mut buf = [0u8; 32 + 24 + 40];
    let mut w = FrameWriter::batch(&mut buf, &header(1), Kind::Data, Seq(0), 0).unwrap();
    assert!(w.push_event(&stamped(1, 0, 0, 1, 8), &[1; 8]));
    assert!(!w.push_event(&stamped(2, 0, 1, 1, 8), &[1; 8]), "second record does not fit");
    assert_eq!(w.count(), 1);
    let mut buf = [0u8; 4096];
    let mut w = FrameWriter::nak(&mut buf, &header(2)).unwrap();
    for i in 0..NAK_RANGES_MAX as u64 {
        assert!(w.push_range(&SeqRange::new(Seq(10 * i + 1), Seq(10 * i + 2))));
    }
    assert!(!w.push_range(&SeqRange::new(Seq(10_000), Seq(10_001))), "a NAK holds at most NAK_RANGES_MAX ranges");
    let len = w.finish();
    assert!(parse(&buf[..len]).is_ok());
}

/// Applies `change` to a copy of `frame` and seals it again, so the change
/// reaches the checks after the CRC.
fn resealed(frame: &[u8], change: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = frame.to_vec();
    change(&mut bytes);
    if bytes.len() >= size_of::<Header>() {
        seal(&mut bytes);
    }
    bytes
}

#[test]
fn malformed_inputs_name_their_reason() {
    let body = size_of::<Header>();
    let cases: Vec<(&str, Vec<u8>, Error)> = vec![
        ("too short", ACK[..31].to_vec(), Error::Truncated),
        ("magic", resealed(&ACK, |b| b[0] = b'X'), Error::BadMagic),
        ("version", resealed(&ACK, |b| b[2] = 9), Error::BadVersion(9)),
        ("trailing byte", [&ACK[..], &[0]].concat(), Error::LengthMismatch),
        (
            "bit flip",
            {
                let mut b = ACK.to_vec();
                b[body] ^= 1;
                b
            },
            Error::BadCrc,
        ),
        ("kind 77", resealed(&ACK, |b| b[3] = 77), Error::UnknownKind(77)),
        (
            "short heartbeat",
            resealed(&HEARTBEAT, |b| {
                b.pop();
            }),
            Error::BadBodyLength,
        ),
        ("nak without ranges", resealed(&NAK, |b| b.truncate(body + 8)), Error::BadBodyLength),
        ("commit count 0", resealed(&COMMIT, |b| b[body + 4] = 0), Error::BadBodyLength),
        ("event len past end", resealed(&DATA, |b| b[body + 24 + 28] = 200), Error::BadEventLength),
        ("count 3 of 2", resealed(&DATA, |b| b[body + 16] = 3), Error::BadEventCount),
        ("count 0", resealed(&DATA, |b| b[body + 16] = 0), Error::BadEventCount),
        ("count 1 of 2", resealed(&DATA, |b| b[body + 16] = 1), Error::BadEventCount),
        ("seq hole", resealed(&DATA, |b| b[body + 24 + 40] = 9), Error::EventMismatch),
        ("seq 0", resealed(&RETRANSMIT, |b| b[body + 24] = 0), Error::EventMismatch),
        ("foreign client", resealed(&SUBMIT, |b| b[body + 16 + 24] = 8), Error::EventMismatch),
        ("request hole", resealed(&SUBMIT, |b| b[body + 16 + 40 + 16] = 0), Error::EventMismatch),
        ("ranges overlap", resealed(&NAK, |b| b[body + 8 + 16] = 4), Error::BadRange),
        ("ranges touch", resealed(&NAK, |b| b[body + 8 + 16] = 5), Error::BadRange),
        ("empty range", resealed(&UNRECOVERABLE, |b| b[body + 8] = 1), Error::BadRange),
        ("run of 0", resealed(&COMMIT, |b| b[body + 16 + 16] = 0), Error::BadRange),
        ("run past seq 2^64-1", resealed(&COMMIT, |b| b[body + 16 + 8..body + 16 + 16].fill(0xff)), Error::BadRange),
        ("run past request 2^64-1", resealed(&COMMIT, |b| b[body + 16..body + 16 + 8].fill(0xff)), Error::BadRange),
        ("65 ranges", resealed(&NAK, |b| b[body] = 65), Error::TooManyRanges),
        ("epoch 2^56", resealed(&DATA, |b| b[31] = 1), Error::EpochOutOfRange),
        ("claim epoch 2^56", resealed(&VOTE, |b| b[body + 15] = 1), Error::EpochOutOfRange),
    ];
    let mut seen = [false; Error::ALL.len()];
    for (name, bytes, want) in cases {
        assert_eq!(parse(&bytes).map(|_| ()), Err(want), "{name}");
        seen[want.index()] = true;
    }
    for error in Error::ALL {
        assert!(seen[error.index()], "no malformed case for {error:?}");
        assert_eq!(Error::ALL[error.index()].name(), error.name());
    }
}

/// An owned description of a frame, for `parse(emit(x)) == x`.
#[derive(Clone, Debug, PartialEq)]
enum Model {
    Submit { client: u32, request: u64, payloads: Vec<Vec<u8>> },
    Batch { kind: Kind, commit: u64, sent_ns: u64, first: u64, events: Vec<(u64, u64, u32, Vec<u8>)> },
    Heartbeat(Heartbeat),
    Ack(Ack),
    Nak(Vec<(u64, u64)>),
    Commit { client: u32, commit: u64, runs: Vec<(u64, u64, u32)> },
    Busy(Busy),
    Unrecoverable(u64, u64),
    VoteRequest(VoteRequest),
    Vote(Vote),
    Promote(Promote),
}

fn emit_model(model: &Model, header: &Header, buf: &mut [u8]) -> usize {
    match model {
        Model::Submit { client, request, payloads } => {
            let mut w = FrameWriter::submit(buf, header, ClientId(*client), *request).unwrap();
            for (i, p) in payloads.iter().enumerate() {
                assert!(
                    w.push_event(&EventHeader::unstamped(ClientId(*client), request + i as u64, p.len() as u16), p)
                );
            }
            w.finish()
        }
        Model::Batch { kind, commit, sent_ns, first, events } => {
            let mut w = FrameWriter::batch(buf, header, *kind, Seq(*commit), *sent_ns).unwrap();
            for (i, (stamp, request, client, p)) in events.iter().enumerate() {
                assert!(w.push_event(&stamped(first + i as u64, *stamp, *request, *client, p.len()), p));
            }
            w.finish()
        }
        Model::Heartbeat(body) => emit(buf, header, Kind::Heartbeat, body).unwrap(),
        Model::Ack(body) => emit(buf, header, Kind::Ack, body).unwrap(),
        Model::Busy(body) => emit(buf, header, Kind::Busy, body).unwrap(),
        Model::VoteRequest(body) => emit(buf, header, Kind::VoteRequest, body).unwrap(),
        Model::Vote(body) => emit(buf, header, Kind::Vote, body).unwrap(),
        Model::Promote(body) => emit(buf, header, Kind::Promote, body).unwrap(),
        Model::Unrecoverable(first, end) => {
            emit(buf, header, Kind::Unrecoverable, &unrecoverable(*first, *end)).unwrap()
        }
        Model::Nak(ranges) => {
            let mut w = FrameWriter::nak(buf, header).unwrap();
            for (first, end) in ranges {
                assert!(w.push_range(&SeqRange::new(Seq(*first), Seq(*end))));
            }
            w.finish()
        }
        Model::Commit { client, commit, runs } => {
            let mut w = FrameWriter::commit(buf, header, ClientId(*client), Seq(*commit)).unwrap();
            for (request, seq, count) in runs {
                assert!(w.push_run(&CommitRun::new(*request, Seq(*seq), *count)));
            }
            w.finish()
        }
    }
}

fn model_of(frame: &Frame<'_>, kind: Kind) -> Model {
    match frame {
        Frame::Submit(s) => Model::Submit {
            client: s.head.client.get(),
            request: s.head.request.get(),
            payloads: s.events.clone().map(|e| e.payload.to_vec()).collect(),
        },
        Frame::Data(b) | Frame::Retransmit(b) => Model::Batch {
            kind,
            commit: b.head.commit.get(),
            sent_ns: b.head.sent_ns.get(),
            first: b.first_seq().get(),
            events: b
                .events
                .clone()
                .map(|e| (e.header.stamp_ns.get(), e.header.request.get(), e.header.client.get(), e.payload.to_vec()))
                .collect(),
        },
        Frame::Heartbeat(h) => Model::Heartbeat(**h),
        Frame::Ack(a) => Model::Ack(**a),
        Frame::Busy(b) => Model::Busy(**b),
        Frame::VoteRequest(v) => Model::VoteRequest(**v),
        Frame::Vote(v) => Model::Vote(**v),
        Frame::Promote(p) => Model::Promote(**p),
        Frame::Unrecoverable(u) => Model::Unrecoverable(u.range.first.get(), u.range.end.get()),
        Frame::Nak(n) => Model::Nak(n.ranges.iter().map(|r| (r.first.get(), r.end.get())).collect()),
        Frame::Commit(c) => Model::Commit {
            client: c.head.client.get(),
            commit: c.head.commit.get(),
            runs: c.runs.iter().map(|r| (r.request.get(), r.seq.get(), r.count.get())).collect(),
        },
    }
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..100)
}

fn model() -> impl Strategy<Value = Model> {
    let u64s = || 0..u64::MAX / 2;
    prop_oneof![
        (any::<u32>(), u64s(), prop::collection::vec(payload(), 1..8))
            .prop_map(|(client, request, payloads)| Model::Submit { client, request, payloads }),
        (
            prop_oneof![Just(Kind::Data), Just(Kind::Retransmit)],
            any::<u64>(),
            any::<u64>(),
            1..u64::MAX / 2,
            prop::collection::vec((any::<u64>(), any::<u64>(), any::<u32>(), payload()), 1..8)
        )
            .prop_map(|(kind, commit, sent_ns, first, events)| Model::Batch {
                kind,
                commit,
                sent_ns,
                first,
                events
            }),
        (any::<[u64; 5]>(), any::<u32>()).prop_map(|([a, b, c, d, e], nonce)| Model::Heartbeat(Heartbeat {
            seq_next: a.into(),
            commit: b.into(),
            sent_ns: c.into(),
            rtt_ns: d.into(),
            epoch_start: e.into(),
            nonce: nonce.into(),
            reserved: 0.into(),
        })),
        (0..=Epoch::MAX.get(), any::<u64>())
            .prop_map(|(a, b)| Model::VoteRequest(VoteRequest { log_epoch: a.into(), log_seq: b.into() })),
        (0..2u32, any::<u16>(), 0..=Epoch::MAX.get(), any::<u64>()).prop_map(|(g, c, a, b)| Model::Vote(Vote {
            granted: g.into(),
            candidate: c.into(),
            reserved: 0.into(),
            log_epoch: a.into(),
            log_seq: b.into()
        })),
        any::<u16>().prop_map(|node| Model::Promote(Promote {
            node: node.into(),
            reserved: 0.into(),
            reserved2: 0.into()
        })),
        any::<[u64; 3]>().prop_map(|[a, b, c]| Model::Ack(Ack {
            seq_held: a.into(),
            echo_ns: b.into(),
            echo_delay_ns: c.into()
        })),
        prop::collection::vec((1..1000u64, 1..1000u64), 1..=NAK_RANGES_MAX).prop_map(|steps| {
            let mut at = 0;
            Model::Nak(
                steps
                    .into_iter()
                    .map(|(gap, len)| {
                        let first = at + gap;
                        at = first + len;
                        (first, at)
                    })
                    .collect(),
            )
        }),
        (any::<u32>(), any::<u64>(), prop::collection::vec((0..u64::MAX / 2, 1..u64::MAX / 2, 1..u32::MAX), 1..20))
            .prop_map(|(client, commit, runs)| Model::Commit { client, commit, runs }),
        (any::<u32>(), any::<u16>(), any::<u64>(), any::<u64>()).prop_map(|(client, reason, request, retry_ns)| {
            Model::Busy(Busy {
                client: client.into(),
                reason: reason.into(),
                leader: 0.into(),
                request: request.into(),
                retry_ns: retry_ns.into(),
            })
        }),
        (1..u64::MAX - 1)
            .prop_flat_map(|first| (Just(first), first + 1..=u64::MAX))
            .prop_map(|(first, end)| Model::Unrecoverable(first, end)),
    ]
}

fn emitted(model: &Model, sender: u16, epoch: u64) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let header = Header::new(Kind::Data, sender, CLUSTER, Epoch(epoch));
    let len = emit_model(model, &header, &mut buf);
    buf.truncate(len);
    buf
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn parse_inverts_emit(model in model(), sender in any::<u16>(), epoch in 0..=Epoch::MAX.get()) {
        let bytes = emitted(&model, sender, epoch);
        let datagram = parse(&bytes).unwrap();
        prop_assert_eq!(model_of(&datagram.frame, datagram.header.kind()), model);
        prop_assert_eq!((datagram.header.sender.get(), datagram.header.epoch.get()), (sender, epoch));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&bytes);
    }

    /// Random bodies behind a valid header and CRC reach every body check.
    #[test]
    fn arbitrary_sealed_bodies_never_panic(kind in 0..12u8, body in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = Header::new(Kind::from(kind), 1, CLUSTER, Epoch(EPOCH)).as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        seal(&mut bytes);
        if let Ok(datagram) = parse(&bytes) {
            // A frame that parses can be walked to its end without a panic.
            if let Frame::Data(b) | Frame::Retransmit(b) = &datagram.frame {
                prop_assert_eq!(b.events.clone().count(), usize::from(b.head.count.get()));
            }
        }
    }

    /// CRC-32 catches every single-bit error, and the length field every cut.
    #[test]
    fn bit_flips_and_truncations_are_rejected(model in model(), bit in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let bytes = emitted(&model, 1, EPOCH);
        let mut flipped = bytes.clone();
        let bit = bit.index(bytes.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(parse(&flipped).is_err());
        prop_assert!(parse(&bytes[..cut.index(bytes.len())]).is_err());
    }
}

#[test]
fn an_epoch_past_the_limit_is_refused_in_the_header_and_in_claims() {
    use crate::types::Claim;
    let cluster = 7;
    let emit_one = |epoch: u64, claim: u64| {
        let header = Header::new(Kind::VoteRequest, 1, cluster, Epoch(epoch));
        let body = VoteRequest::new(Claim { epoch: Epoch(claim), seq: Seq(3) });
        let mut buf = vec![0; 128];
        let len = emit(&mut buf, &header, Kind::VoteRequest, &body).unwrap();
        buf.truncate(len);
        buf
    };
    let max = Epoch::MAX.get();
    assert!(parse(&emit_one(max, max)).is_ok());
    assert_eq!(parse(&emit_one(max + 1, 1)).unwrap_err(), Error::EpochOutOfRange);
    assert_eq!(parse(&emit_one(u64::MAX, 1)).unwrap_err(), Error::EpochOutOfRange);
    assert_eq!(parse(&emit_one(2, u64::MAX)).unwrap_err(), Error::EpochOutOfRange);
}

#[test]
fn hex_is_two_lower_case_digits_a_byte() {
    assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    assert_eq!(hex(&[]), "");
}
