//! What authentication costs (issue 16, DESIGN §9): the same cluster with
//! and without keys, in turns (plain, keyed, plain, keyed, …): commit
//! latency at 10k events/s, the leader's CPU per event at 50k events/s, and
//! committed events/s at 0.9 × the sustained rate; and the tag's own cost
//! per datagram size.

use std::path::Path;
use std::time::Instant;

use super::baseline::Wait;
use super::common::{self, Cluster, json_number};
use super::{Table, idle_flag, load, median, spread, stop};
use seqcast::auth::Key;
use seqcast::net::report;

/// Nanoseconds per tag of `size` bytes, median of 5 runs.
fn tag_ns(size: usize, n: u64) -> f64 {
    let key = Key::from_hex(&"5a".repeat(32)).expect("a key");
    let datagram = vec![0xa5u8; size];
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let began = Instant::now();
            let mut sink = 0u8;
            for _ in 0..n {
                sink ^= key.tag(std::hint::black_box(&datagram))[0];
            }
            std::hint::black_box(sink);
            began.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

/// Runs the authentication figures into `t`; `floor_p50` is the run's
/// 2×RTT p50 in µs.
pub fn run(t: &mut Table, out: &Path, quick: bool, idle: Wait, cpus: usize, sustained: f64, floor_p50: f64) {
    let scale = if quick { 0.3 } else { 1.0 };
    let sizes = [56, 144, 512, 1472];
    let costs: Vec<String> =
        sizes.iter().map(|&s| format!("{s} B {:.0} ns", tag_ns(s, if quick { 20_000 } else { 200_000 }))).collect();
    println!("auth: one tag (AES-256-GCM-SIV, 16 bytes) per datagram: {}", costs.join(", "));

    let keys = out.join("bench.keys");
    let _ = std::fs::remove_file(&keys);
    let (code, text) = common::run(common::SEQCAST, &common::strings(&["keys", "new", keys.to_str().unwrap()]));
    assert_eq!(code, 0, "seqcast keys new: {text}");
    let keyed = ["--key-file", keys.to_str().unwrap()];
    let rounds = if quick { 2 } else { 3 };
    let rate = (sustained.max(50_000.0) * 0.9) as u64;
    let dir = out.to_str().unwrap();
    // By variant (0 plain, 1 keyed): commit latency, leader ns/event, committed/s.
    let mut commit = [report::histogram(), report::histogram()];
    let (mut cpu, mut achieved): ([Vec<f64>; 2], [Vec<f64>; 2]) = Default::default();
    for round in 0..rounds {
        for (i, extra) in [&[][..], &keyed[..]].iter().enumerate() {
            let mut args = idle_flag(idle).to_vec();
            args.extend(extra.iter());
            let tag = 160 + 10 * round as u8 + 2 * i as u8;
            let cluster = Cluster::start_custom(tag, 2, &args, &[], cpus);
            load(&cluster, 10_000, 3.0 * scale, 1, 1, &["--out", dir]);
            commit[i].add(report::load(&out.join("loadgen-commit.hdr")).unwrap()).expect("same bounds");
            let report = load(&cluster, rate, 3.0 * scale, 2, super::events_per_datagram(), &[]);
            let left = json_number(&report, "unconfirmed");
            achieved[i].push(if left == 0.0 { json_number(&report, "rate") } else { 0.0 });
            stop(cluster);
            let cluster = Cluster::start_custom(tag + 1, 2, &args, &[], cpus);
            let report = load(&cluster, 50_000, 5.0 * scale, 1, super::events_per_datagram(), &[]);
            let (leader, _) = stop(cluster);
            cpu[i].push((leader.user_s + leader.system_s) * 1e9 / json_number(&report, "committed").max(1.0));
        }
    }
    let p50 = |h: &hdrhistogram::Histogram<u64>| h.value_at_percentile(50.0) as f64 / 1000.0;
    let (plain_p50, keyed_p50) = (p50(&commit[0]), p50(&commit[1]));
    let [plain_cpu, keyed_cpu] = [0, 1].map(|i| median(cpu[i].clone()));
    let [plain_rate, keyed_rate] = [0, 1].map(|i| median(achieved[i].clone()));
    println!(
        "auth: commit p50 at 10k/s plain {plain_p50:.1} µs, keyed {keyed_p50:.1} µs; leader ns/event at 50k/s plain \
         {plain_cpu:.0} ({}), keyed {keyed_cpu:.0} ({}); committed/s at {rate}/s plain {plain_rate:.0} ({}), keyed \
         {keyed_rate:.0} ({})",
        spread(&cpu[0]),
        spread(&cpu[1]),
        spread(&achieved[0]),
        spread(&achieved[1]),
    );
    t.add(
        "commit p50 at 10k/s, keyed (µs)",
        keyed_p50,
        "µs",
        Some((floor_p50, "2×RTT p50")),
        Some(("≤ 1.5", keyed_p50 <= 1.5 * floor_p50)),
    );
    t.add("commit p50 at 10k/s, keyed vs plain", keyed_p50, "µs", Some((plain_p50, "plain")), None);
    t.add(
        "leader CPU/event at 50k/s (user + system), keyed",
        keyed_cpu,
        "ns",
        Some((plain_cpu, "plain")),
        Some(("≤ 1.15", keyed_cpu <= 1.15 * plain_cpu)),
    );
    t.add(
        &format!("committed events/s at {rate}/s, keyed"),
        keyed_rate,
        "ev/s",
        Some((plain_rate, "plain")),
        Some(("≥ 0.85", keyed_rate >= 0.85 * plain_rate)),
    );
    let _ = std::fs::remove_file(&keys);
}
