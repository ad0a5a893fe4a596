//! The command line as a user meets it: the demo, help, and bad input that
//! must end in a clear message and a non-zero exit.

mod common;

use std::net::{Ipv4Addr, UdpSocket};

use common::{LOADGEN, Proc, SEQCAST, private_cluster, run, strings};
use seqcast::journal::format::SEGMENT_VERSION;
use seqcast::wire;

#[test]
fn the_demo_reports_counts_that_add_up_in_microseconds() {
    let (code, out) = run(SEQCAST, &strings(&["demo", "--seconds", "1", "--rate", "5000"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("submitted 5000 = committed 5000 + unconfirmed 0"), "{out}");
    assert!(out.contains("latency (µs)"), "{out}");
    assert!(out.contains("idle block"), "flags' values as the flags spell them:\n{out}");
    for row in ["commit (intended → commit)", "delivery (stamp → follower 1)", "delivery (stamp → follower 2)"] {
        let line = out.lines().find(|l| l.starts_with(row)).unwrap_or_else(|| panic!("no {row} row:\n{out}"));
        let cells: Vec<&str> = line[row.len()..].split_whitespace().collect();
        assert_eq!(cells[0], "5000", "{line}");
        assert!(cells[1..].iter().all(|c| c.parse::<f64>().is_ok_and(|v| v > 0.0)), "{line}");
    }
    let digests: Vec<&str> = out.lines().filter(|l| l.starts_with("follower ")).map(|l| &l[12..]).collect();
    assert_eq!(digests.len(), 2, "{out}");
    assert_eq!(digests[0], digests[1], "{out}");
}

/// An operator trial: Ctrl-C on the demo exited 1 with "35112 events were
/// not committed", counting the events never sent, and one committed whose
/// confirmation the load stopped waiting for. What was sent is judged.
#[test]
fn a_demo_stopped_by_ctrl_c_judges_what_it_sent() {
    let mut demo = Proc::start("demo", SEQCAST, &strings(&["demo", "--seconds", "30", "--rate", "2000"]));
    demo.wait_for(std::time::Duration::from_secs(20), |l| l.starts_with("[load 1s]").then_some(()));
    demo.signal(libc::SIGINT);
    let code = demo.wait(std::time::Duration::from_secs(20));
    let out = demo.output().join("\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("unconfirmed 0 "), "{out}");
    assert!(out.contains("ok (interrupted, "), "{out}");
}

#[test]
fn the_load_generator_ends_on_schedule_when_no_leader_answers() {
    // Nothing listens on this loopback port: every request stays pending,
    // the client's window fills, and the rest cannot even be submitted.
    let port = common::free_addr().to_string();
    let (group, _) = private_cluster(8);
    let args =
        ["--leader", &port, "--group", &group.to_string(), "--count", "10000", "--rate", "20000", "--drain-ms", "300"];
    let mut loadgen = Proc::start("loadgen", LOADGEN, &strings(&args));
    // A hang is the failure this guards against: a bound on the wait turns
    // it into a failed test (the run's own schedule is under a second).
    let code = loadgen.wait(std::time::Duration::from_secs(120));
    let out = loadgen.output().join("\n");
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("committed 0 + unconfirmed 4096"), "{out}");
    assert!(out.contains("not sent: 5904 events"), "{out}");
    // Not "0 committed events/s over 0.000 s" (helper 143 read the span as a clock gone wrong).
    assert!(out.contains("\nrate: none committed\n"), "{out}");
}

/// Issue 17: with no leader the load generator ran its whole schedule and
/// never said why nothing committed. It now stops, naming the address.
#[test]
fn the_load_generator_says_when_nothing_answers_and_stops() {
    let port = common::free_addr().to_string();
    let (group, _) = private_cluster(10);
    let args = ["--leader", &port, "--group", &group.to_string(), "--count", "600000", "--rate", "20000"];
    let mut loadgen = Proc::start("loadgen", LOADGEN, &strings(&args));
    let code = loadgen.wait(std::time::Duration::from_secs(120));
    let out = loadgen.output().join("\n");
    assert_eq!(code, 4, "{out}");
    assert!(out.contains(&format!("error: no reply from {port} after 2000 ms: nothing committed")), "{out}");
    assert!(out.contains("committed 0 + unconfirmed"), "{out}");
}

#[test]
fn every_help_explains_itself() {
    let (code, out) = run(SEQCAST, &strings(&["--help"]));
    assert_eq!(code, 0);
    for sub in ["sequencer", "follower", "demo", "report", "sim"] {
        assert!(out.contains(sub), "--help lists {sub}");
        let (code, help) = run(SEQCAST, &strings(&[sub, "--help"]));
        assert_eq!(code, 0, "{sub} --help");
        assert!(help.len() > 300, "{sub} --help is thin:\n{help}");
    }
    let (code, help) = run(LOADGEN, &strings(&["--help"]));
    assert_eq!(code, 0);
    assert!(help.contains("--rate") && help.contains("intended send time"), "{help}");
    // What an upgrade needs to know: whether the new build speaks the
    // cluster's wire version (a rolling restart) or not (stop them all).
    let (code, version) = run(SEQCAST, &strings(&["--version"]));
    let wire = format!("(wire version {}, journal segment format {}", wire::VERSION, SEGMENT_VERSION);
    assert!(code == 0 && version.contains(&wire), "{version}");
}

fn refused(program: &str, args: &[&str], reason: &str) {
    let (code, out) = run(program, &strings(args));
    assert_ne!(code, 0, "{args:?} was accepted:\n{out}");
    assert!(out.contains(reason), "{args:?}: expected {reason:?} in:\n{out}");
}

#[test]
fn bad_input_ends_in_a_clear_error() {
    refused(SEQCAST, &["sequencer", "--bogus"], "unexpected argument '--bogus'");
    refused(SEQCAST, &["sequencer", "--listen", "localhost:x"], "invalid value 'localhost:x' for '--listen");
    refused(SEQCAST, &["sequencer", "--group", "10.1.2.3:7400"], "10.1.2.3 is not a multicast address");
    refused(SEQCAST, &["sequencer", "--quorum", "4"], "quorum 4 is larger than the cluster (3 nodes)");
    refused(SEQCAST, &["follower", "--id", "0"], "follower id 0");
    refused(SEQCAST, &["sequencer", "--cluster", "/nonexistent/cluster.conf"], "cannot read /nonexistent/cluster.conf");
    refused(SEQCAST, &["report", "/nonexistent.hdr"], "cannot read /nonexistent.hdr: No such file");
    refused(LOADGEN, &["--size", "4000"], "exceeds the cluster's payload_max");
    // A new operator: the demo said only "payload_max 100000 ...".
    refused(SEQCAST, &["demo", "--size", "100000"], "--size 100000: payload_max 100000 makes one event need");
    refused(LOADGEN, &["--seconds=-1"], "-1 is not a positive number of seconds");
}

#[test]
fn a_port_in_use_and_a_foreign_interface_are_named() {
    let taken = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let (group, _) = private_cluster(9);
    let group = group.to_string();
    refused(SEQCAST, &["sequencer", "--listen", &port, "--group", &group], "the port is in use");
    // The same node started twice, the second time on another journal:
    // refused for its address before a journal directory is made.
    let journal = std::env::temp_dir().join(format!("seqcast-cli-taken-{}", std::process::id()));
    let dir = journal.to_str().unwrap();
    for role in [&["sequencer"][..], &["follower", "--id", "1"], &["member", "--id", "0"]] {
        let args = [role, &["--listen", &port, "--group", &group, "--journal", dir]].concat();
        refused(SEQCAST, &args, "the port is in use");
        let made = journal.exists();
        let _ = std::fs::remove_dir_all(&journal);
        assert!(!made, "{args:?} made {dir}");
    }
    // Helper 138: a --metrics port in use was said only after the journal
    // was read (a replay of minutes on a big one): now before it is opened.
    let metrics = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let metrics = metrics.local_addr().unwrap().to_string();
    let member = ["member", "--id", "0", "--listen", "127.0.0.1:0"];
    for role in [&["sequencer"][..], &["follower", "--id", "1"], &member] {
        let args = [role, &["--group", &group, "--journal", dir, "--metrics", &metrics]].concat();
        refused(SEQCAST, &args, &format!("--metrics {metrics}: the port is in use by another socket"));
        let made = journal.exists();
        let _ = std::fs::remove_dir_all(&journal);
        assert!(!made, "{args:?} made {dir}");
    }
    // An address in the benchmarking range that this host does not have:
    // binding or joining fails before anything is sent.
    let foreign = ["follower", "--id", "1", "--group", &group, "--interface", "198.19.255.254"];
    // Secure by default: no key, not loopback, not --insecure.
    refused(SEQCAST, &foreign, "interface 198.19.255.254 is not loopback, and no key was given");
    // A node listening on every interface takes unicast from the LAN, whatever its multicast interface.
    let wildcard = ["sequencer", "--group", &group, "--listen", "0.0.0.0:0"];
    refused(SEQCAST, &wildcard, "listen address 0.0.0.0 is not loopback, and no key was given");
    refused(SEQCAST, &[&foreign[..], &["--insecure"]].concat(), "198.19.255.254 is not an address of this host");
    refused(
        SEQCAST,
        &[&foreign[..], &["--insecure", "--listen", "127.0.0.1:0"]].concat(),
        "interface 198.19.255.254 cannot be used for multicast",
    );
}

#[test]
fn a_cluster_file_configures_every_node() {
    let dir = std::env::temp_dir().join(format!("seqcast-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cluster.conf");
    std::fs::write(
        &file,
        "cluster_id = 5\ngroup = 239.255.0.1:7400\nquorum = 7\nnode.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.1:7402\n",
    )
    .unwrap();
    refused(
        SEQCAST,
        &["sequencer", "--cluster", file.to_str().unwrap()],
        "quorum 7 is larger than the cluster (2 nodes)",
    );
    std::fs::write(&file, "cluster_id = 5\nnode.0 = 127.0.0.1:7401\nnodes = 3\n").unwrap();
    refused(SEQCAST, &["sequencer", "--cluster", file.to_str().unwrap()], "cluster.conf:3: unknown key \"nodes\"");
    // An operator's trial: a file without a cluster_id ran as cluster 1,
    // as every such file does, without a word.
    std::fs::write(
        &file,
        "quorum = 7
node.0 = 127.0.0.1:7401
node.1 = 127.0.0.1:7402
",
    )
    .unwrap();
    refused(SEQCAST, &["sequencer", "--cluster", file.to_str().unwrap()], "sets no cluster_id: cluster 1, as every");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Refused with exit code `code` (1: a bad setting or file, found by
/// seqcast; 2: clap's usage error), the message naming `reason`.
/// A journal at `dir`, node `node`'s of the default cluster, holding
/// `events` events a leader stamped, from sequence 1.
fn journal_of_events(dir: &std::path::Path, node: u16, events: usize) {
    use seqcast::core::{Client, ClientId, Config, Leader, NodeId};
    let config = Config::default();
    let options = seqcast::journal::JournalOptions::new(dir, &config, NodeId(node));
    let (mut journal, _) = seqcast::journal::Journal::open(options).unwrap();
    let journaled = Config { journal: true, ..config };
    let mut leader = Leader::new(journaled.clone(), 0).unwrap();
    let addr = "127.0.0.1:9".parse().unwrap();
    let mut client = Client::new(journaled, ClientId(7), addr).unwrap();
    let mut buf = vec![0; 2048];
    for _ in 0..events {
        client.submit(b"e").unwrap();
        let submit = client.poll_transmit(0, &mut buf).unwrap();
        leader.handle_datagram(0, addr, &buf[..submit.len]);
        let append = leader.poll_append().unwrap();
        journal.append(append.epoch, append.commit, append.event.record).unwrap();
    }
    journal.flush().unwrap();
}

/// Helper 159: `journal dump` stopped at sequences the node was told were
/// lost as at damage, and a journal's range had no digest to compare with
/// a tail's. A journal of events 1..=5 and 9..=10 (6..=8 told lost): the
/// dump goes on past the hole, saying it, and `--format count` prints the
/// digest a node's delivery of the same range gives.
#[test]
fn a_dump_goes_on_past_a_hole_and_counts_a_range_as_a_tail_does() {
    use seqcast::core::{Client, ClientId, Config, Event, Leader, MemberEvent, NodeId, Seq};
    let dir = std::env::temp_dir().join(format!("seqcast-cli-hole-{}", std::process::id())).join("node-1");
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config::default();
    let options = seqcast::journal::JournalOptions::new(&dir, &config, NodeId(1));
    let (mut journal, _) = seqcast::journal::Journal::open(options).unwrap();
    let journaled = Config { journal: true, ..config.clone() };
    let mut leader = Leader::new(journaled.clone(), 0).unwrap();
    let addr = "127.0.0.1:9".parse().unwrap();
    let mut client = Client::new(journaled, ClientId(7), addr).unwrap();
    let (mut buf, mut digest) = (vec![0; 2048], seqcast::net::Digest::default());
    for seq in 1..=10u64 {
        client.submit(&seq.to_le_bytes()).unwrap();
        let submit = client.poll_transmit(0, &mut buf).unwrap();
        leader.handle_datagram(0, addr, &buf[..submit.len]);
        let append = leader.poll_append().unwrap();
        if !(6..=8).contains(&seq) {
            journal.append(append.epoch, append.commit, append.event.record).unwrap();
            digest.add(&MemberEvent::Log(Event::Deliver(append.event)));
        } else if seq == 8 {
            digest.add(&MemberEvent::Log(Event::Lost { first: Seq(6), end: Seq(9) }));
        }
    }
    journal.flush().unwrap();
    drop(journal);
    let path = dir.to_str().unwrap();
    let (code, text) = run(SEQCAST, &strings(&["journal", "dump", path, "--format", "count"]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("digest: {digest}")), "{text}");
    assert!(text.contains("seq 1..=10 events 7 lost 3 hash "), "{text}");
    let hole = "note: sequences 6..=8 are in no segment: the node was told they were lost (UNRECOVERABLE), a hole";
    assert!(text.contains(hole), "{text}");
    let (code, text) = run(SEQCAST, &strings(&["journal", "dump", path, "--from", "4", "--to", "9"]));
    assert_eq!(code, 0, "{text}");
    let seqs: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("seq ")?.split(' ').next()).collect();
    assert_eq!(seqs, ["4", "5", "9"], "{text}");
    refused_with(SEQCAST, &["journal", "dump", path, "--from", "0"], "0 is not in 1..", 2);
    // Cut short (the records end before --to), the digest is not the range's.
    let (code, text) = run(SEQCAST, &strings(&["journal", "dump", path, "--to", "20", "--format", "count"]));
    assert!(code == 1 && text.contains("digest of what was read before it stopped, not of the range"), "{text}");
    assert!(!text.contains("\ndigest: "), "{text}");
    // Helper 163: a follower's refusal of a sequencer's log goes with a
    // copy (moved to a new disk, it took the other history).
    let options = seqcast::journal::JournalOptions::new(&dir, &config, NodeId(1));
    let (mut journal, _) = seqcast::journal::Journal::open(options).unwrap();
    journal.write_refused_log(Some(seqcast::core::Epoch(42))).unwrap();
    // So does the epoch a sequencer started on it: one started on the copy
    // must start a newer one.
    journal.write_led_epoch(seqcast::core::Epoch(40)).unwrap();
    // And what a follower handed out on receipt past its commit: one on
    // the copy must not hand out other events there.
    journal.write_handed_out(Some(Seq(9))).unwrap();
    drop(journal);
    // Helper 160: a copy stopped at the hole, dropping what followed; it
    // keeps the hole now, and reads the same.
    let copy = dir.with_file_name("node-2");
    let (code, text) = run(SEQCAST, &strings(&["journal", "copy", path, copy.to_str().unwrap()]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("the copy keeps the hole") && text.contains("copied 7 records"), "{text}");
    assert!(text.contains("a sequencer started epoch 40 on") && text.contains("the copy keeps it"), "{text}");
    assert!(text.contains("holds a follower's record that it delivered on receipt past its commit"), "{text}");
    let (code, text) = run(SEQCAST, &strings(&["journal", "dump", copy.to_str().unwrap(), "--format", "count"]));
    assert!(code == 0 && text.contains(&format!("digest: {digest}")), "{text}");
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", copy.to_str().unwrap()]));
    assert!(code == 0 && text.contains("told they were lost"), "{text}");
    assert!(text.contains("refused-log: this follower refused the log of epoch 42's sequencer"), "{text}");
    assert!(text.contains("led-epoch: a sequencer started epoch 40 on this journal"), "{text}");
    let handed = "handed-out: its follower delivered on receipt, and its records past its commit up to seq 9 may";
    assert!(text.contains(handed), "{text}");
    // Another node's file there (node 1's, beside node 2's copy) stops a
    // node at start, and verify says so.
    std::fs::copy(dir.join("handed-out"), copy.join("handed-out")).unwrap();
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", copy.to_str().unwrap()]));
    let foreign = "handed-out: NOT THIS JOURNAL'S (cluster 1 node 1's): a node refuses to start on it";
    assert!(code == 1 && text.contains(foreign), "{text}");
    // A refused-log left where a copy goes would be taken for the copy's.
    let stray = dir.with_file_name("node-3");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::copy(dir.join("refused-log"), stray.join("refused-log")).unwrap();
    refused_with(SEQCAST, &["journal", "copy", path, stray.to_str().unwrap()], "holds a refused-log file", 1);
    // A damaged one is a refusal all the same, of an epoch the copy no
    // longer knows (its verify once named "epoch 0's sequencer").
    for name in ["refused-log", "led-epoch", "handed-out"] {
        let mut bytes = std::fs::read(dir.join(name)).unwrap();
        bytes[20] ^= 0x40;
        std::fs::write(dir.join(name), &bytes).unwrap();
    }
    // Verify says what a damaged led-epoch does to a sequencer, and fails.
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", path]));
    assert!(code == 1 && text.contains("led-epoch: DAMAGED"), "{text}");
    assert!(text.contains("handed-out: its follower delivered on receipt, and the file is damaged"), "{text}");
    let damaged = dir.with_file_name("node-4");
    let (code, text) = run(SEQCAST, &strings(&["journal", "copy", path, damaged.to_str().unwrap()]));
    assert!(code == 0 && text.contains("holds a follower's refusal of a sequencer's log"), "{text}");
    assert!(text.contains("led-epoch file is damaged") && text.contains("not copied"), "{text}");
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", damaged.to_str().unwrap()]));
    assert!(code == 0 && text.contains("refused a sequencer's log of an epoch no longer known"), "{text}");
    assert!(text.contains("any record past its commit may have reached its application"), "a damaged one: {text}");
    // A sequencer that lost the power before its first sync leaves its
    // led-epoch file and no segment: moved to a new disk, the copy keeps
    // it (it said "holds no segments").
    let bare = dir.with_file_name("bare");
    let options = seqcast::journal::JournalOptions::new(&bare, &config, NodeId(0));
    let (mut journal, _) = seqcast::journal::Journal::open(options).unwrap();
    journal.write_led_epoch(seqcast::core::Epoch(50)).unwrap();
    drop(journal);
    let moved = dir.with_file_name("node-0");
    let (code, text) = run(SEQCAST, &strings(&["journal", "copy", bare.to_str().unwrap(), moved.to_str().unwrap()]));
    assert!(code == 0 && text.contains("copied 0 records (no events)"), "{text}");
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", moved.to_str().unwrap()]));
    assert!(code == 0 && text.contains("led-epoch: a sequencer started epoch 50 on this journal"), "{text}");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

fn refused_with(program: &str, args: &[&str], reason: &str, code: i32) {
    let (got, out) = run(program, &strings(args));
    assert_eq!(got, code, "{args:?}:\n{out}");
    assert!(out.contains(reason), "{args:?}: expected {reason:?} in:\n{out}");
    assert!(!out.contains("panicked") && !out.contains("Os {"), "{args:?}: debug text:\n{out}");
}

/// Issue 17's bad input, one case each: a clear message naming the setting
/// or file line, a documented exit code, no panic and no debug text.
#[test]
fn bad_settings_and_files_are_named_before_anything_runs() {
    let dir = std::env::temp_dir().join(format!("seqcast-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let seq = |file: &str| ["sequencer", "--cluster", file].map(str::to_string);
    let cases = [
        (conf("q0.conf", "quorum = 0\n"), "quorum 0: give how many nodes must hold an event"),
        (conf("ttl.conf", "ttl = 300\n"), "ttl.conf:1: ttl: 300 is above 255"),
        (
            conf("twice.conf", "cluster_id = 1\ncluster_id = 2\n"),
            "twice.conf:2: cluster_id is given twice (first on line 1)",
        ),
        (
            conf("same.conf", "node.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.1:7401\n"),
            "same.conf:2: node.1 = 127.0.0.1:7401 is node.0's address too",
        ),
        (conf("port0.conf", "group = 239.255.0.1:0\n"), "group: 239.255.0.1:0 has port 0"),
        (conf("allhosts.conf", "group = 224.0.0.1:7400\n"), "group: 224.0.0.1 is in 224.0.0.0/24, kept for the LAN's"),
        (conf("nojournal.conf", "journal =\n"), "nojournal.conf:1: journal is empty: give a path"),
        (conf("empty.conf", "# cluster 7\n\n"), "empty.conf holds no `key = value` line: not a cluster file"),
        (
            conf("relkey.conf", "key_file = not-here.keys\n"),
            "cannot read key file not-here.keys: No such file or directory (os error 2) (a relative key_file in \
             the cluster file is taken from the directory the program is started in, /",
        ),
    ];
    for (file, reason) in &cases {
        let args = seq(file);
        refused_with(SEQCAST, &args.iter().map(String::as_str).collect::<Vec<_>>(), reason, 1);
    }
    refused_with(SEQCAST, &["sequencer", "--quorum", "0"], "--quorum 0: give how many nodes", 1);
    refused_with(SEQCAST, &["sequencer", "--ttl", "300"], "300 is not in 0..=255", 2);
    refused_with(LOADGEN, &["--seconds", "0"], "0 is not a positive number of seconds", 2);
    refused_with(
        SEQCAST,
        &["sequencer", "--ring-events", "0"],
        "--ring-events 0 must be larger than --in-flight-max",
        1,
    );
    refused_with(SEQCAST, &["follower", "--id", "1", "--window-events", "1"], "--window-events 1 is below 64", 1);
    refused_with(SEQCAST, &["sequencer", "--payload-max", "100000"], "--payload-max 100000 makes one event need", 1);
    refused_with(
        SEQCAST,
        &["sequencer", "--pin", "99999"],
        "--pin: cannot pin to CPU 99999: this host has CPUs 0 to",
        1,
    );
    let made = "--out /dev/null/out: cannot make that directory: Not a directory";
    refused_with(SEQCAST, &["sequencer", "--out", "/dev/null/out"], made, 1);
    refused_with(LOADGEN, &["--out", "/dev/null/out"], made, 1);
    refused_with(SEQCAST, &["sim", "--seeds", "0"], "0 is not in 1..", 2);
    let receive = ["sim", "--failover", "--deliver", "receive", "--seeds", "2"];
    refused_with(SEQCAST, &receive, "error: failover needs delivery on commit", 1);
    let archive = ["sim", "--journal", "--followers", "2", "--archive", "3", "--seeds", "2"];
    refused_with(SEQCAST, &archive, "--archive 3: members are numbered 0 to 2", 1);
    // Helper 196: more clients than a table remembers sequenced a resent
    // first request twice, which the checker called a failure.
    let crowded = ["sim", "--clients", "11", "--client-places", "2", "--client-idle-us", "500", "--seeds", "2"];
    refused_with(SEQCAST, &crowded, "--clients 11 is more than the 10 clients a table of 2 places remembers", 1);
    refused_with(SEQCAST, &["tail", "--from", "10", "--to", "5"], "--to 5 is before --from 10", 1);
    // Helper 114: the window's end overflowed (a tail that never delivered).
    let far = ["tail", "--from", "18446744073709551000"];
    refused_with(SEQCAST, &far, "18446744073709551000 is not in 1..=9223372036854775808", 2);
    // Helper 180: an epoch past any a frame carries ran, every frame of it
    // refused by its peers, and a member's claim file kept it as damaged.
    for node in [&["sequencer"][..], &["member", "--id", "0", "--nodes", "3"]] {
        let past = [node, &["--epoch", "281474976710657"]].concat();
        refused_with(SEQCAST, &past, "281474976710657 is not in 1..=281474976710656", 2);
    }
    // Journal settings with no journal to apply them to were once ignored.
    refused_with(
        SEQCAST,
        &["sequencer", "--sync", "none"],
        "--sync sets how the journal is kept or served, but there is no",
        1,
    );
    let retain = ["follower", "--id", "1", "--retain-events", "10"];
    refused_with(
        SEQCAST,
        &retain,
        "--retain-events sets how the journal is kept or served, but there is no journal",
        1,
    );
    // A new operator: `--retain-events 0` was taken, and kept "at least
    // the newest 0 events".
    let none_kept = ["follower", "--id", "1", "--journal", "/nonexistent", "--retain-events", "0"];
    refused_with(SEQCAST, &none_kept, "0 is not in 1..", 2);
    let rate = ["sequencer", "--history-rate", "1000000"];
    refused_with(SEQCAST, &rate, "--history-rate sets how the journal is kept or served, but there is no journal", 1);
    refused_with(SEQCAST, &["sequencer", "--history-rate", "100"], "100 is below the least allowed, 65536", 2);
    let follower_rate = ["follower", "--id", "1", "--journal", "/nonexistent", "--history-rate", "1000000"];
    refused_with(SEQCAST, &follower_rate, "--history-rate caps the history a leader serves; a follower serves none", 1);
    // Sequences start at 1: `dump --to 0` once said "sequences 1..=0 are in no segment".
    refused_with(SEQCAST, &["journal", "dump", "/nonexistent", "--to", "0"], "0 is not in 1..", 2);
    let huge = ["sequencer", "--segment-bytes", "99999999999999"];
    refused_with(SEQCAST, &huge, "above the most allowed, 1073741824 (retention deletes whole segments)", 2);
    // A follower id the cluster has not: refused before its journal is made.
    let journal = dir.join("journal");
    let stray = ["follower", "--id", "7", "--journal", journal.to_str().unwrap()];
    refused_with(SEQCAST, &stray, "follower id 7 is not one this cluster has: 1 or 2 (node 0 leads)", 1);
    assert!(!journal.exists(), "no journal made for a follower that cannot be");
    // Helper 138: a file given as --journal was named as `FILE/node-N`.
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let args = ["follower", "--id", "1", "--journal", file.to_str().unwrap()];
    refused_with(SEQCAST, &args, "a-file is a file, not a directory: give the directory under which", 1);
    // `journal verify DIR` of the --journal DIR itself once said "no events".
    std::fs::create_dir_all(journal.join("node-0")).unwrap();
    let parent = journal.to_str().unwrap();
    refused_with(SEQCAST, &["journal", "verify", parent], "holds no segments but nodes' journals (node-0)", 1);
    refused_with(SEQCAST, &["journal", "dump", parent, "--from", "300", "--to", "200"], "--to 200 is before", 1);
    // A new operator's trial: verify said "no events" (exit 0) of /tmp, and
    // "ends clean" (exit 0) of node 2's journal copied into j/node-1, on
    // which node 1 refuses to start.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    refused_with(
        SEQCAST,
        &["journal", "verify", empty.to_str().unwrap()],
        "nor the lock, claim or commit file a node keeps beside them (give",
        1,
    );
    let misplaced = dir.join("copied").join("node-1");
    let config = seqcast::core::Config::default();
    journal_of_events(&misplaced, 2, 1);
    let past = ["journal", "dump", misplaced.to_str().unwrap(), "--from", "5"];
    refused_with(SEQCAST, &past, "nothing to print: the journal's records end at sequence 1, before --from 5", 1);
    // A new operator: a --to past the end printed the records, then
    // "error: stopped: the journal's records end at ...", read as damage.
    let short = ["journal", "dump", misplaced.to_str().unwrap(), "--to", "9"];
    refused_with(
        SEQCAST,
        &short,
        "--to 9: the journal's records end at sequence 1; printed up to 1, nothing damaged",
        1,
    );
    // A review: `journal copy` left out the source's commit file, the one
    // proof that committed records are gone (a sequencer on the copy took
    // it, and renumbered them), and kept a claim or commit file already in
    // the target, which a member took for the copy's.
    let gone = seqcast::journal::format::CommitFile::new(
        config.cluster_id,
        seqcast::core::NodeId(2),
        seqcast::core::Seq(5),
        seqcast::core::Epoch(1),
    );
    std::fs::write(misplaced.join("commit"), zerocopy::IntoBytes::as_bytes(&gone)).unwrap();
    let target = dir.join("copy").join("node-2");
    let (code, text) =
        run(SEQCAST, &strings(&["journal", "copy", misplaced.to_str().unwrap(), target.to_str().unwrap()]));
    assert_eq!(code, 0, "{text}");
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", target.to_str().unwrap()]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("commit file: committed up to 5 (learnt in the log of epoch 1), more than the records say"));
    assert!(text.contains("a sequencer refuses it"), "{text}");
    let occupied = dir.join("occupied").join("node-2");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("claim"), b"kept from before").unwrap();
    let onto = ["journal", "copy", misplaced.to_str().unwrap(), occupied.to_str().unwrap()];
    refused_with(SEQCAST, &onto, "holds a claim file (of the journal that was there): give an empty or new", 1);
    let misplaced = ["journal", "verify", misplaced.to_str().unwrap()];
    refused_with(SEQCAST, &misplaced, "NOT NODE 1'S: its segments are node 2's", 1);
    // A journal a running node holds (its lock file locked) is read, with a note.
    let node = journal.join("node-0");
    // Its commit file is as of when it was last written, which a running
    // leader does only as it stops: said so (an operator's trial).
    let commit = seqcast::journal::format::CommitFile::new(
        9,
        seqcast::core::NodeId(0),
        seqcast::core::Seq(12),
        seqcast::core::Epoch::ZERO,
    );
    std::fs::write(node.join("commit"), zerocopy::IntoBytes::as_bytes(&commit)).unwrap();
    let lock = std::fs::File::create(node.join("lock")).unwrap();
    lock.lock().unwrap();
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", node.to_str().unwrap()]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("is in use by a running node"), "{text}");
    assert!(text.contains("commit file: committed up to 12 when last written"), "{text}");
    drop(lock);
    let (code, text) = run(SEQCAST, &strings(&["journal", "verify", node.to_str().unwrap()]));
    assert!(!text.contains("in use"), "{text}");
    assert!(text.contains("commit file: committed up to 12, but the journal keeps no records"), "{text}");
    assert_eq!(code, 0, "committed records gone, or told lost at its end: {text}");
    std::fs::remove_file(node.join("commit")).unwrap();
    // An operator's trial: verify said nothing of a damaged claim file,
    // on which the member refuses to start.
    use seqcast::core::{Epoch, NodeId};
    let claim = seqcast::journal::format::ClaimFile::new(9, NodeId(0), Epoch(3), true, Epoch(4), (3 << 16) | 2);
    let mut bytes = zerocopy::IntoBytes::as_bytes(&claim).to_vec();
    std::fs::write(node.join("claim"), &bytes).unwrap();
    let verify = ["journal", "verify", node.to_str().unwrap()];
    let (code, text) = run(SEQCAST, &strings(&verify));
    assert_eq!(code, 0, "{text}");
    let claim = "claim: a member's log of epoch 3, whole (it votes with it), promised epoch 4, in a cluster of 3 nodes, \
                 quorum 2 (a member refuses another without --reshape)";
    assert!(text.contains(claim), "{text}");
    bytes[10] ^= 0xff;
    std::fs::write(node.join("claim"), &bytes).unwrap();
    refused_with(SEQCAST, &verify, "claim: DAMAGED (CRC mismatch): the member refuses to start on it", 1);
    let junk = conf("junk.hdr", "not a histogram");
    refused_with(SEQCAST, &["report", &junk], "junk.hdr: not a histogram file (seqcast writes HdrHistogram V2", 1);
    refused_with(SEQCAST, &["report", dir.to_str().unwrap()], "Is a directory", 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `seqcast sim | head -1` panicked on the broken pipe (exit 101); a closed
/// pipe now ends it quietly, as it ends `cat`.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    // (Output that fits the pipe's buffer, as `--help` does, is all written
    // before the reader goes: only a long one can meet a closed pipe.)
    let args = ["sim", "--seeds", "3000"];
    let mut child = Command::new(SEQCAST).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success() || out.status.signal() == Some(libc::SIGPIPE), "{:?}", out.status);
}

/// `seqcast keys` makes files only their owner reads, never overwrites one,
/// and a node refuses a key file others can read.
#[test]
fn key_files_are_made_private_and_used_only_so() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("seqcast-cli-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dir.join("cluster.keys");
    let path = keys.to_str().unwrap();
    let (code, out) = run(SEQCAST, &strings(&["keys", "new", path]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o600);
    refused_with(SEQCAST, &["keys", "new", path], "File exists", 1);
    let one = dir.join("c7.keys");
    let (code, out) = run(SEQCAST, &strings(&["keys", "client", "--from", path, "--id", "7", one.to_str().unwrap()]));
    assert_eq!(code, 0, "{out}");
    assert!(std::fs::read_to_string(&one).unwrap().contains("client = 7:"));
    refused_with(SEQCAST, &["keys", "clients", "--from", one.to_str().unwrap(), "x"], "not the client master", 1);
    // A spec reader: a client's own key for id 0 could sign the leader's
    // hello to a tail (a BUSY naming client 0).
    let zero = dir.join("c0.keys");
    refused_with(SEQCAST, &["keys", "client", "--from", path, "--id", "0", zero.to_str().unwrap()], "client id 0", 1);
    assert!(!zero.exists());
    // A key file that cannot work where it is given is refused at start.
    let one = one.to_str().unwrap();
    refused_with(
        SEQCAST,
        &["sequencer", "--key-file", one],
        "holds one client's key (client 7), not the member key",
        1,
    );
    refused_with(SEQCAST, &["tail", "--key-file", one], "not the member key", 1);
    refused_with(LOADGEN, &["--key-file", one, "--count", "1"], "need the client master", 1);
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused_with(SEQCAST, &["sequencer", "--key-file", path], "is readable by others: chmod 600", 1);
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o602)).unwrap();
    refused_with(SEQCAST, &["sequencer", "--key-file", path], "is open to others (mode 602", 1);
    // A security review: only its mode was checked, not its owner.
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).unwrap();
    match std::os::unix::fs::chown(&keys, Some(65534), None) {
        Ok(()) => refused_with(SEQCAST, &["sequencer", "--key-file", path], "belongs to user id 65534", 1),
        // Not root (CI runs as root): nobody else's file can be made here.
        Err(e) => eprintln!("owner check not tried: {e}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 17: `seqcast promote` to a node that is not listening printed
/// "asked … to stand" and exited 0. It waits to hear the node lead.
#[test]
fn promote_exits_non_zero_when_no_election_follows() {
    let port = common::free_addr().to_string();
    let (group, _) = private_cluster(11);
    let args = ["promote", "--node", "1", "--nodes", "3", "--group", &group.to_string(), "--to", &port];
    refused_with(
        SEQCAST,
        &[&args[..], &["--wait-ms", "300"]].concat(),
        "node 1 did not take the lead within 300 ms",
        1,
    );
    // An operator's trial: without the cluster's key file it said "no
    // leader heard" of a keyed cluster's running leader, and blamed node 2.
    let dir = std::env::temp_dir().join(format!("seqcast-cli-promote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dir.join("cluster.keys");
    let (code, out) = run(SEQCAST, &strings(&["keys", "new", keys.to_str().unwrap()]));
    assert_eq!(code, 0, "{out}");
    let (group, cluster) = private_cluster(12);
    let (group, cluster) = (group.to_string(), cluster.to_string());
    let mut leader = Proc::start(
        "sequencer",
        SEQCAST,
        &strings(&[
            "sequencer",
            "--listen",
            "127.0.0.1:0",
            "--group",
            &group,
            "--cluster-id",
            &cluster,
            "--key-file",
            keys.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ]),
    );
    leader.wait_for(std::time::Duration::from_secs(10), |l| l.contains("listening on").then_some(()));
    let keyless =
        ["promote", "--node", "1", "--nodes", "3", "--group", &group, "--cluster-id", &cluster, "--to", &port];
    refused_with(SEQCAST, &[&keyless[..], &["--wait-ms", "300"]].concat(), "could not be read here", 1);
    leader.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Helper 177: `promote` with a wrong cluster id said "no leader heard"
/// and blamed the node it asked, though the group carried the cluster's
/// HEARTBEATs (dropped as another cluster's). It names that cluster now.
#[test]
fn promote_with_another_cluster_id_says_which_cluster_leads_on_the_group() {
    let dir = std::env::temp_dir().join(format!("seqcast-cli-promote-id-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (group, cluster) = private_cluster(14);
    let (group, theirs, ours) = (group.to_string(), cluster.to_string(), (cluster ^ 1).to_string());
    let args = ["sequencer", "--listen", "127.0.0.1:0", "--group", &group, "--cluster-id", &theirs];
    let mut leader =
        Proc::start("sequencer", SEQCAST, &strings(&[&args[..], &["--out", dir.to_str().unwrap()]].concat()));
    leader.wait_for(std::time::Duration::from_secs(10), |l| l.contains("listening on").then_some(()));
    let port = common::free_addr().to_string();
    let promote = ["promote", "--node", "1", "--nodes", "3", "--group", &group, "--cluster-id", &ours, "--to", &port];
    let said = format!("a leader of cluster {theirs} speaks on its group, not of cluster {ours}");
    refused_with(SEQCAST, &[&promote[..], &["--wait-ms", "300"]].concat(), &said, 1);
    leader.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 17: shell completions and a man page, generated from the same
/// definitions as the command line.
#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    let (code, bash) = run(SEQCAST, &strings(&["completions", "bash"]));
    assert_eq!(code, 0, "{bash}");
    assert!(bash.contains("_seqcast()") && bash.contains("--key-file"), "{bash}");
    let (code, zsh) = run(SEQCAST, &strings(&["completions", "zsh"]));
    assert!(code == 0 && zsh.contains("#compdef seqcast"), "{zsh}");
    let (code, man) = run(SEQCAST, &strings(&["man"]));
    assert_eq!(code, 0);
    let man = man.replace("\\-", "-");
    assert!(man.starts_with(".ie") || man.contains(".TH seqcast"), "{}", &man[..200.min(man.len())]);
    for section in ["SEQCAST SEQUENCER", "SEQCAST MEMBER", "--client-idle-ms", "--wait-ms", "EXIT STATUS"] {
        assert!(man.contains(section), "the man page lacks {section}");
    }
    // A new operator's trial: it named pages that do not exist
    // (seqcast-sequencer(1)), and had nothing of `journal verify` or `keys new`.
    assert!(!man.contains("seqcast-sequencer(1)"), "one page, no others named");
    for section in ["SEQCAST JOURNAL VERIFY", "SEQCAST JOURNAL COPY", "SEQCAST KEYS CLIENTS", "--retain-events"] {
        assert!(man.contains(section), "the man page lacks {section}");
    }
    refused_with(SEQCAST, &["completions", "tcsh"], "invalid value 'tcsh'", 2);
}

/// Issue 17: `promote --help` listed cluster flags it ignores (`--mtu`).
#[test]
fn promote_lists_only_the_flags_it_uses() {
    let (code, help) = run(SEQCAST, &strings(&["promote", "--help"]));
    assert_eq!(code, 0);
    for unused in ["--mtu", "--payload-max", "--quorum", "--ttl", "--leader-id"] {
        assert!(!help.contains(unused), "promote --help lists {unused}");
    }
    for used in ["--node", "--to", "--cluster", "--group", "--key-file", "--wait-ms"] {
        assert!(help.contains(used), "promote --help lacks {used}");
    }
}

/// An operator trial: a tail stopped (a timeout's SIGTERM) before it
/// reached `--to`, here having heard no leader at all, exited 0, as if it
/// had read the range whole. It exits 1 and says how far it got; without
/// `--to` too, a stop having heard no leader (another member led, one it
/// does not take without --failover) is an exit 1, not an empty stream.
#[test]
fn a_tail_stopped_before_its_to_exits_1_saying_how_far_it_got() {
    let (group, cluster) = private_cluster(13);
    let (group, cluster) = (group.to_string(), cluster.to_string());
    for (to, said) in [
        (Some("5"), "stopped before --to 5: nothing delivered: no leader was heard"),
        (None, "stopped: nothing delivered: no leader was heard (is the cluster running?)"),
    ] {
        let mut args = strings(&["tail", "--from", "1", "--group", &group, "--cluster-id", &cluster]);
        args.extend(to.iter().flat_map(|to| strings(&["--to", to])));
        let mut tail = Proc::start("tail", SEQCAST, &args);
        tail.wait_for(std::time::Duration::from_secs(10), |l| l.starts_with("seqcast tail: ").then_some(()));
        assert_eq!(tail.stop(), 1, "--to {to:?}: {:?}", tail.output());
        assert!(tail.line("error: ").starts_with(said), "--to {to:?}: {:?}", tail.output());
    }
}

/// Issue 17: `--interface eth0` and `localhost:17401` were refused. Host
/// names and interface names now resolve; a wrong one is named.
#[test]
fn host_names_and_interface_names_are_accepted() {
    let port = common::free_addr().port();
    let to = format!("localhost:{port}");
    let (group, _) = private_cluster(12);
    let group = group.to_string();
    let args = ["promote", "--node", "1", "--group", &group, "--interface", "lo", "--to", &to, "--wait-ms", "200"];
    refused_with(SEQCAST, &args, &format!("asked node 1 at 127.0.0.1:{port} to stand"), 1);
    refused_with(
        SEQCAST,
        &["promote", "--node", "1", "--interface", "nosuch0"],
        "no interface nosuch0 with an IPv4",
        2,
    );
}

/// Issue 17: `seqcast report --plot FILE.svg` draws percentile curves; the
/// SVG is rendered (resvg) to pixels, which must show more than a blank page.
#[test]
fn report_plots_percentile_curves_that_render() {
    let dir = std::env::temp_dir().join(format!("seqcast-cli-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.to_str().unwrap();
    let (code, text) = run(SEQCAST, &strings(&["demo", "--seconds", "1", "--rate", "2000", "--out", out]));
    assert_eq!(code, 0, "{text}");
    let svg = dir.join("latency.svg");
    let files = ["loadgen-commit.hdr", "follower-1-delivery.hdr", "loadgen-send-lateness.hdr"]
        .map(|f| dir.join(f).to_str().unwrap().to_string());
    let (code, text) = run(SEQCAST, &strings(&["report", &files[0], &files[1], "--plot", svg.to_str().unwrap()]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("plot written to {}", svg.display())), "{text}");
    // A new operator: ratios of a delivery to a commit latency meant
    // nothing; they come only when asked for.
    assert!(!text.contains("ratio to the first file"), "{text}");
    let (code, text) = run(SEQCAST, &strings(&["report", &files[0], &files[0], "--compare"]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ratio to the first file:") && text.contains("p50 ×1.00"), "{text}");
    assert!(!text.contains("note: --compare"), "{text}");
    // A directory's mix of measures is compared as asked, and named.
    let (code, text) = run(SEQCAST, &strings(&["report", &files[0], &files[1], "--compare"]));
    assert_eq!(code, 0, "{text}");
    let said = format!("note: --compare: {} is commit latency, {} is delivery latency: ratios", files[0], files[1]);
    assert!(text.contains(&said), "{text}");
    // The report's send-lateness row has its file too (a walkthrough found it missing).
    let (code, text) = run(SEQCAST, &strings(&["report", &files[2]]));
    assert_eq!(code, 0, "{text}");
    let data = std::fs::read(&svg).unwrap();
    let tree = resvg::usvg::Tree::from_data(&data, &resvg::usvg::Options::default()).expect("a valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    // The curves are coloured; axes, text and the page are black or white.
    let coloured =
        pixmap.pixels().iter().filter(|p| p.alpha() > 0 && !(p.red() == p.green() && p.green() == p.blue())).count();
    assert!(coloured > 500, "{coloured} coloured pixels: the curves are missing");
    let _ = pixmap.save_png(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("latency.png"));
    let nowhere = ["report", &files[0], "--plot", "/nonexistent/latency.svg"];
    refused_with(SEQCAST, &nowhere, "--plot /nonexistent/latency.svg: cannot write there: No such file", 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A node killed since `stat` was pointed at it leaves its metrics address
/// with nothing behind it: said so, not as the socket's raw error.
#[test]
fn stat_of_an_address_nothing_listens_on_says_so() {
    // Bound and not listening: connecting is refused, and no node started
    // by another test meanwhile can take the port.
    let held = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    held.bind(&std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into()).unwrap();
    let addr = held.local_addr().unwrap().as_socket().unwrap().to_string();
    let (code, out) = run(SEQCAST, &strings(&["stat", &addr, "--once"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("nothing listens there (the node stopped or was killed)"), "{out}");
    assert!(!out.contains("os error"), "{out}");
}

/// A new operator's walkthrough: `stat --cluster FILE --once` with none of
/// the file's nodes running printed one error line, where the docs promise
/// each node of this host `NOT RUNNING`.
#[test]
fn stat_of_a_cluster_file_none_of_whose_nodes_runs_lists_each_as_not_running() {
    let dir = std::env::temp_dir().join(format!("seqcast-cli-stat-none-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("cluster.conf");
    let text = "cluster_id = 4077\nnode.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.1:7402\nnode.2 = 127.0.0.1:7403\n";
    std::fs::write(&conf, text).unwrap();
    let (code, out) = run(SEQCAST, &strings(&["stat", "--cluster", conf.to_str().unwrap(), "--once"]));
    assert_eq!(code, 1, "{out}");
    for id in 0..3 {
        assert!(out.contains(&format!("node {id}   127.0.0.1:740{}: NOT RUNNING", id + 1)), "{out}");
    }
    // Helper 170: a file no node starts on (its group not multicast) was
    // watched as any other.
    std::fs::write(&conf, format!("group = 10.0.0.1:7400\n{text}")).unwrap();
    let (code, out) = run(SEQCAST, &strings(&["stat", "--cluster", conf.to_str().unwrap(), "--once"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cluster.conf:1: group 10.0.0.1 is not a multicast address"), "{out}");
    // Helper 140: a process at node 1's address (a member run with another
    // cluster id) was called not running. A review: so were nodes of this
    // cluster noted elsewhere. Who holds it is said.
    let held = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let free = common::free_addr;
    let (node_0, node_2, node_3) = (free(), free(), free());
    let text = format!(
        "cluster_id = 4077\ngroup = 239.255.40.77:{}\nnode.0 = {node_0}\nnode.1 = {}\nnode.2 = {node_2}\n\
         node.3 = {node_3}\n",
        node_0.port(),
        held.local_addr().unwrap()
    );
    std::fs::write(&conf, text).unwrap();
    // Node 2's address: a follower of another cluster id; node 3's: one of
    // this cluster noting its metrics under another XDG_RUNTIME_DIR.
    let other = dir.join("other.conf");
    let text = format!(
        "cluster_id = 4078\ngroup = 239.255.40.78:{}\nnode.0 = {node_0}\nnode.1 = {}\nnode.2 = {node_2}\n",
        node_0.port(),
        free()
    );
    std::fs::write(&other, text).unwrap();
    let follower = |conf: &std::path::Path, id: &str, runtime: &str| {
        let out = dir.to_str().unwrap();
        let args = ["follower", "--cluster", conf.to_str().unwrap(), "--id", id, "--quiet", "--out", out];
        let mut env = vec![format!("XDG_RUNTIME_DIR={runtime}"), SEQCAST.to_string()];
        env.extend(strings(&args));
        let node = Proc::start("follower", "env", &env);
        node.wait_for(std::time::Duration::from_secs(10), |l| l.starts_with("metrics: ").then_some(()));
        node
    };
    let ours = std::env::var("XDG_RUNTIME_DIR").unwrap_or_default();
    let elsewhere = dir.join("run");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut nodes = [follower(&other, "2", &ours), follower(&conf, "3", elsewhere.to_str().unwrap())];
    let (code, out) = run(SEQCAST, &strings(&["stat", "--cluster", conf.to_str().unwrap(), "--once"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("node 0   {node_0}: NOT RUNNING")), "{out}");
    let said = format!("{}: ADDRESS IN USE by process {} (", held.local_addr().unwrap(), std::process::id());
    assert!(out.contains(&said), "{out}");
    let said = format!(
        "{node_2}: NOT OF THIS CLUSTER: process {} holds its address as follower node 2 of cluster 4078 on group \
         239.255.40.78:{}, not of this file's cluster 4077 and group 239.255.40.77:{}",
        nodes[0].pid(),
        node_0.port(),
        node_0.port()
    );
    assert!(out.contains(&said), "{out}");
    let said =
        format!("{node_3}: NOTED ELSEWHERE: process {} (seqcast) holds its address and notes its", nodes[1].pid());
    assert!(out.contains(&said) && out.contains(&format!("in {}/seqcast (its", elsewhere.display())), "{out}");
    for node in &mut nodes {
        assert_eq!(node.stop(), 0, "{:?}", node.output());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A review: an empty newest segment whose header says the journal held
/// more than the segments before it reach was, for `journal verify`, one a
/// node removes when it next starts; the node reports the file before it
/// gone (and a sequencer refuses the journal). verify says the same now.
#[test]
fn verify_reports_a_file_gone_before_an_empty_newest_segment() {
    use seqcast::core::{Config, Epoch, NodeId, Seq};
    let dir = std::env::temp_dir().join(format!("seqcast-cli-gone-{}", std::process::id())).join("node-0");
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config::default();
    journal_of_events(&dir, 0, 30);
    let header =
        seqcast::journal::format::SegmentHeader::new(config.cluster_id, NodeId(0), (Seq(51), Seq(50)), Epoch(1), 4096);
    let mut bytes = zerocopy::IntoBytes::as_bytes(&header).to_vec();
    bytes.resize(4096, 0);
    std::fs::write(dir.join(format!("{:020}.journal", 51)), &bytes).unwrap();
    let verify = ["journal", "verify", dir.to_str().unwrap()];
    refused_with(SEQCAST, &verify, "gap: sequences 31..=50 were in a segment file that is gone", 1);
    // Helper 128: the same segment, the only one (the segments before it
    // deleted by retention, and its records lost with the power at --sync
    // none). A node removed it and a sequencer numbered a new log from 1;
    // `verify` said nothing, and `dump` and `copy` exited 0.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.ends_with(format!("{:020}.journal", 51)) {
            std::fs::remove_file(path).unwrap();
        }
    }
    refused_with(SEQCAST, &verify, "gap: sequences up to 50 were in segment files that are gone", 1);
    let dump = ["journal", "dump", dir.to_str().unwrap()];
    refused_with(SEQCAST, &dump, "stopped: sequences up to 50 are in no segment", 1);
    let copy = dir.with_file_name("node-1");
    let copy_args = ["journal", "copy", dir.to_str().unwrap(), copy.to_str().unwrap()];
    refused_with(SEQCAST, &copy_args, "stopped: sequences up to 50 are in no segment", 1);
    let group = format!("239.255.{}.{}:{}", 90 + std::process::id() % 50, 1 + std::process::id() % 200, 47000);
    let journal = dir.parent().unwrap().to_str().unwrap();
    let sequencer = ["20", SEQCAST, "sequencer", "--listen", "127.0.0.1:0", "--group", &group, "--journal", journal];
    refused_with("timeout", &sequencer, "sequences 1..=50 are missing", 1);
    assert!(dir.join(format!("{:020}.journal", 51)).exists(), "kept aside, never removed");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

/// Helper 170: `journal copy` of a member's journal into `node-7`, for a
/// cluster of three, was taken without a word; no member of that cluster
/// starts as node 7. The claim file names the cluster's shape.
#[test]
fn a_copy_for_a_node_outside_the_cluster_its_claim_names_is_refused() {
    use seqcast::core::{Config, Epoch, NodeId};
    let base = std::env::temp_dir().join(format!("seqcast-cli-copy-shape-{}", std::process::id()));
    let node = base.join("node-0");
    journal_of_events(&node, 0, 5);
    let cluster = Config::default().cluster_id;
    let claim = seqcast::journal::format::ClaimFile::new(cluster, NodeId(0), Epoch(1), true, Epoch(1), (3 << 16) | 2);
    std::fs::write(node.join("claim"), zerocopy::IntoBytes::as_bytes(&claim)).unwrap();
    let outside = base.join("node-7");
    let copy = ["journal", "copy", node.to_str().unwrap(), outside.to_str().unwrap()];
    refused_with(SEQCAST, &copy, "node 7 is not in the 3-node cluster whose member kept", 1);
    assert!(!outside.exists(), "nothing written");
    let inside = base.join("node-2");
    let (code, text) = run(SEQCAST, &strings(&["journal", "copy", node.to_str().unwrap(), inside.to_str().unwrap()]));
    assert!(code == 0 && text.contains("copied 5 records"), "{text}");
    std::fs::remove_dir_all(&base).unwrap();
}

/// Helper 127: a member restarted after it refused the cluster's log (exit
/// 3) followed, stood, won, and mixed two histories. The refusal stays
/// beside its journal: every start on it exits 3 again, saying what to do,
/// and `verify` names it.
#[test]
fn a_member_refuses_to_start_on_a_journal_that_refused_the_clusters_log() {
    let base = std::env::temp_dir().join(format!("seqcast-cli-refused-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let node = base.join("node-1");
    journal_of_events(&node, 1, 5);
    let why = "node 0 led epoch 3 from a log that ends at seq 2, but this member knows seq 3..=5 committed";
    std::fs::write(node.join("refused"), format!("{why}\n")).unwrap();
    let file = base.join("cluster.conf");
    let port = 47000 + (std::process::id() % 900) as u16;
    let group = format!("group = 239.255.{}.{}:{port}\n", 90 + std::process::id() % 50, 1 + std::process::id() % 200);
    let nodes: String = (0..3).map(|i| format!("node.{i} = 127.0.0.1:{}\n", port + 1 + i)).collect();
    std::fs::write(&file, format!("cluster_id = 1\n{group}{nodes}")).unwrap();
    let member = ["member", "--cluster", file.to_str().unwrap(), "--id", "1", "--journal", base.to_str().unwrap()];
    refused_with(SEQCAST, &member, &format!("this member refused the cluster's log when it last ran ({why})"), 3);
    refused_with(SEQCAST, &member, "move this journal aside and start the member with --rejoin", 3);
    // Helper 130: a copy of it (`journal copy`, the documented way to
    // rebuild a member) dropped the refusal; a member started on the copy
    // followed a later leader, was elected, and served the lost events.
    let copy = base.join("node-2");
    let (code, text) = run(SEQCAST, &strings(&["journal", "copy", node.to_str().unwrap(), copy.to_str().unwrap()]));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("so does the copy"), "{text}");
    let on_copy = ["member", "--cluster", file.to_str().unwrap(), "--id", "2", "--journal", base.to_str().unwrap()];
    refused_with(SEQCAST, &on_copy, &format!("this member refused the cluster's log when it last ran ({why})"), 3);
    let verify = ["journal", "verify", node.to_str().unwrap()];
    refused_with(
        SEQCAST,
        &verify,
        &format!("REFUSED: the member of this journal refused the cluster's log when it last ran ({why})"),
        1,
    );
    std::fs::remove_dir_all(&base).unwrap();
}
