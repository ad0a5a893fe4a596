//! Abuse a live cluster as issue 16 found it could be, without a key: each
//! test fails on the build before its fix.

mod common;

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use common::{Cluster, json_number};
use seqcast::core::{Epoch, Seq};
use seqcast::wire::{FrameWriter, Header, Kind, SeqRange};

/// Five runs of a load generator with 64 fresh clients each filled the
/// leader's table of 256 for good: the fifth got nothing committed. Clients
/// idle past `--client-idle-ms` with nothing pending now give their places up.
#[test]
fn fresh_clients_run_after_run_never_fill_the_client_table_for_good() {
    let mut cluster = Cluster::start_with_leader(12, 2, &["--client-idle-ms", "300"]);
    for run in 1..=6 {
        let (code, report) = cluster.load_with(640, 6400, &["--clients", "64"]);
        assert_eq!(code, 0, "run {run}: {report}");
        let (committed, left) = (json_number(&report, "committed"), json_number(&report, "unacknowledged"));
        assert_eq!((committed, left), (640.0, 0.0), "run {run}: {report}");
        std::thread::sleep(Duration::from_millis(350));
    }
    assert_eq!(cluster.leader.stop(), 0);
    let limits = cluster.leader.line("limits: ");
    let evicted: u64 = limits.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(evicted >= 128, "six runs of 64 in 256 places: {limits}");
}

/// One forged NAK of 1,064 bytes made the leader send 6.0 MB of
/// RETRANSMITs to the NAK's source address: a reflector. A member's repairs
/// now go only where its ACKs come from.
#[test]
fn a_forged_nak_sends_nothing_to_its_source() {
    let mut cluster = Cluster::start_with_leader(13, 2, &["--epoch", "7"]);
    let report = cluster.load(2000, 4000);
    assert_eq!(json_number(&report, "committed"), 2000.0, "{report}");
    let victim = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    victim.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = [0u8; 1500];
    // As follower 1, for everything there is, 64 ranges.
    let header = Header::new(Kind::Nak, 1, cluster.cluster_id, Epoch(7));
    let mut writer = FrameWriter::nak(&mut buf, &header).unwrap();
    for k in 0..64 {
        writer.push_range(&SeqRange::new(Seq(1 + 30 * k), Seq(30 * k + 30)));
    }
    let len = writer.finish();
    let nak = buf[..len].to_vec();
    for _ in 0..10 {
        victim.send_to(&nak, &cluster.leader_addr).unwrap();
    }
    let mut reflected = 0;
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        if victim.recv(&mut buf).is_ok() {
            reflected += 1;
        }
    }
    assert_eq!(reflected, 0, "datagrams sent to the forged NAK's source");
    // The cluster goes on, and its followers agree.
    let report = cluster.load(1000, 4000);
    assert_eq!(json_number(&report, "committed"), 1000.0, "{report}");
    cluster.wait_delivered(0, 3000);
    cluster.wait_delivered(1, 3000);
    let mut digests = Vec::new();
    for follower in &mut cluster.followers {
        assert_eq!(follower.stop(), 0);
        digests.push(follower.line("digest: "));
    }
    assert_eq!(digests[0], digests[1]);
    assert_eq!(cluster.leader.stop(), 0);
}
