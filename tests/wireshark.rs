//! The Wireshark dissector (`tools/wireshark/seqcast.lua`) against real
//! traffic: the demo's datagrams captured on loopback with tshark, then
//! decoded with the dissector. Needs tshark and the right to capture (root);
//! without them the test says so and passes nothing (`.ci/run` installs
//! tshark and runs as root).

mod common;

use std::net::{Ipv4Addr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Proc, SEQCAST, run, strings};
use seqcast::core::Epoch;
use seqcast::wire::{FLAG_TOLD, Header, Heartbeat, Kind, emit};

fn tshark(args: &[&str]) -> (i32, String) {
    run("tshark", &strings(args))
}

#[test]
fn the_dissector_decodes_every_datagram_of_the_demo_with_a_good_crc() {
    let usable = Command::new("tshark").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    // SAFETY: geteuid reads the process's effective uid; no memory involved.
    if !usable || unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: needs tshark and root to capture on loopback");
        return;
    }
    let dir = std::env::temp_dir().join(format!("seqcast-wireshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("demo.pcap");
    // Only datagrams that start with the magic "SQ" (0x53 0x51).
    let filter = "udp and udp[8:2] = 0x5351";
    // -P: a line for each packet as it is captured, so the test knows when
    // capturing has begun (tshark says "Capturing on" a little before).
    // -B 64: a 64 MiB kernel buffer, so that a capture descheduled on a
    // busy machine loses no packet (the demo makes ~9,000 in its second).
    let capture = Proc::start(
        "tshark",
        "tshark",
        &strings(&["-i", "lo", "-f", filter, "-w", pcap.to_str().unwrap(), "-a", "duration:60", "-P", "-B", "64"]),
    );
    // A host that will not let tshark capture (no such right in a
    // container) is reported, never passed as if the dissector were checked.
    let started = std::time::Instant::now();
    while !capture.output().iter().any(|l| l.contains("Capturing on")) {
        if started.elapsed() > Duration::from_secs(10) {
            println!("SKIPPED: tshark could not capture on lo:\n{}", capture.output().join("\n"));
            let mut capture = capture;
            capture.signal(libc::SIGKILL);
            capture.wait(Duration::from_secs(10));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // A HEARTBEAT of cluster 0 to a port nobody uses, until the capture
    // shows one: the demo's first DATA must not go out before capturing
    // begins (it once did: sequences 1..=3 missing from the capture).
    // (Marked TOLD, which the dissector must name.)
    let probe = {
        let header = Header { flags: FLAG_TOLD.into(), ..Header::new(Kind::Heartbeat, 0, 0, Epoch(1)) };
        let body = Heartbeat {
            seq_next: 1.into(),
            commit: 0.into(),
            sent_ns: 0.into(),
            rtt_ns: 0.into(),
            epoch_start: 0.into(),
            nonce: 0.into(),
            reserved: 0.into(),
        };
        let mut buf = [0u8; 128];
        let len = emit(&mut buf, &header, Kind::Heartbeat, &body).unwrap();
        buf[..len].to_vec()
    };
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let sink = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = sink.local_addr().unwrap().port().to_string();
    drop(sink);
    let started = std::time::Instant::now();
    let seen = format!(" {port} ");
    while !capture.output().iter().any(|l| l.contains(&seen)) {
        assert!(started.elapsed() < Duration::from_secs(10), "the capture saw no probe:\n{:?}", capture.output());
        socket.send_to(&probe, (Ipv4Addr::LOCALHOST, port.parse::<u16>().unwrap())).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    // Its histograms beside the capture, not in the working directory.
    let out = dir.to_str().unwrap();
    let (code, demo) = run(SEQCAST, &strings(&["demo", "--seconds", "1", "--rate", "2000", "--out", out]));
    assert_eq!(code, 0, "{demo}");
    // Ctrl-C: tshark writes what it has and ends.
    std::thread::sleep(Duration::from_millis(300));
    let mut capture = capture;
    capture.signal(libc::SIGINT);
    assert_eq!(capture.wait(Duration::from_secs(30)), 0, "{}", capture.output().join("\n"));
    let lua = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/wireshark/seqcast.lua");
    let script = format!("lua_script:{lua}");
    let pcap = pcap.to_str().unwrap();
    let (code, all) = tshark(&["-r", pcap, "-T", "fields", "-e", "frame.number"]);
    assert_eq!(code, 0, "{all}");
    let frames = all.lines().filter(|l| l.trim().parse::<u64>().is_ok()).count();
    let (code, decoded) = tshark(&[
        "-X",
        &script,
        "-r",
        pcap,
        "-Y",
        "seqcast",
        "-T",
        "fields",
        "-e",
        "seqcast.kind",
        "-e",
        "seqcast.crc_ok",
    ]);
    assert_eq!(code, 0, "{decoded}");
    let rows: Vec<Vec<&str>> =
        decoded.lines().map(|l| l.split('\t').collect()).filter(|r: &Vec<&str>| r.len() == 2).collect();
    let said: Vec<String> = capture.output().into_iter().filter(|l| l.contains("packets")).collect();
    assert!(frames > 2000, "{frames} datagrams captured; tshark said: {said:?}");
    assert_eq!(rows.len(), frames, "every datagram decoded");
    // A packet captured on loopback may hold several datagrams (a UDP GSO
    // send, as the leader makes of a busy turn's DATA): each field then
    // lists every datagram's value, comma-separated.
    let all = |field: &str| field.split(',').map(str::to_string).collect::<Vec<_>>();
    assert!(rows.iter().all(|r| all(r[1]).iter().all(|ok| ok == "1" || ok == "True")), "a CRC that did not match");
    for kind in ["1", "2", "4", "7"] {
        assert!(rows.iter().any(|r| all(r[0]).iter().any(|k| k == kind)), "no frame of kind {kind}");
    }
    let (code, bad) =
        tshark(&["-X", &script, "-r", pcap, "-Y", "seqcast.bad_len", "-T", "fields", "-e", "frame.number"]);
    let bad_frames = bad.lines().filter(|l| l.trim().parse::<u64>().is_ok()).count();
    assert_eq!((code, bad_frames), (0, 0), "packets whose datagrams' lengths did not add up:\n{bad}");
    // Flags by kind: the probe's TOLD; the followers' ACKs promise what
    // they hold in memory (no journal); a client's first SUBMIT starts at
    // the oldest request it was not told committed, and later ones, sent
    // while earlier requests are pending, do not.
    for (filter, what) in [
        ("seqcast.flags.told == 1", "the probe HEARTBEAT's TOLD"),
        ("seqcast.kind == 2 && seqcast.flags.no_failover == 1", "a sequencer's DATA's NO_FAILOVER"),
        ("seqcast.kind == 4 && seqcast.flags.durability == 0", "an ACK's durability"),
        ("seqcast.kind == 1 && seqcast.flags.oldest == 1", "a SUBMIT's OLDEST"),
        ("seqcast.kind == 1 && seqcast.flags.oldest == 0", "a SUBMIT behind pending requests, without it"),
    ] {
        let (code, found) = tshark(&["-X", &script, "-r", pcap, "-Y", filter, "-T", "fields", "-e", "frame.number"]);
        assert_eq!(code, 0, "{found}");
        assert!(found.lines().any(|l| l.trim().parse::<u64>().is_ok()), "{what} not decoded ({filter})");
    }
    // DATA's sequence numbers are what the followers delivered: 1..=2000.
    let (code, seqs) =
        tshark(&["-X", &script, "-r", pcap, "-Y", "seqcast.kind == 2", "-T", "fields", "-e", "seqcast.event.seq"]);
    assert_eq!(code, 0, "{seqs}");
    let mut seen: Vec<u64> =
        seqs.split(|c: char| c == ',' || c.is_whitespace()).filter_map(|s| s.parse().ok()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert!(demo.contains("follower 1: seq 1..=2000 events 2000 lost 0"), "{demo}");
    assert_eq!(seen, (1..=2000).collect::<Vec<u64>>(), "DATA carried every delivered sequence once or more");
    std::fs::remove_dir_all(&dir).unwrap();
}
