//! The journal's figures (DESIGN §8), each against a floor measured in the
//! same run: the disk's own write + fdatasync (one record, one record by
//! each of three writers at once, and a hundred at a time), the ping-pong, the cluster without a journal, and a plain
//! sequential read of the journal's files.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::time::Instant;

use super::baseline::{self, Wait};
use super::common::{self, Cluster, json_number};
use super::{Table, load, median, spread, stop};
use seqcast::journal::format::journal_len;
use seqcast::net::report;
use seqcast::wire::record_len;

/// Bytes of one journal record of the bench's 64-byte events.
const RECORD: usize = journal_len(record_len(super::SIZE));

/// The disk's floor: p50 of one record written and fdatasync'ed, and the
/// records/s of a hundred at a time, in a preallocated file.
fn disk_floor(dir: &std::path::Path, scale: f64) -> (f64, f64) {
    let path = dir.join("disk-floor.tmp");
    let file = OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path).unwrap();
    let record = vec![0x5a; RECORD];
    let singles = (1000.0 * scale) as u64 + 200;
    file.set_len(singles * RECORD as u64 * 101).unwrap();
    let mut single = report::histogram();
    for i in 0..singles {
        let began = Instant::now();
        file.write_all_at(&record, i * RECORD as u64).unwrap();
        file.sync_data().unwrap();
        single.saturating_record(began.elapsed().as_nanos() as u64);
    }
    let batch = record.repeat(100);
    let began = Instant::now();
    for i in 0..singles {
        file.write_all_at(&batch, i * batch.len() as u64).unwrap();
        file.sync_data().unwrap();
    }
    let batched = (singles * 100) as f64 / began.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    (single.value_at_percentile(50.0) as f64 / 1000.0, batched)
}

/// The p50 of one record written and fdatasync'ed while `writers` threads
/// do the same to files of their own at once: what each node of a cluster
/// whose nodes share this one disk waits (3 here: the leader and 2
/// followers), against one writer's floor above.
fn shared_disk_floor(dir: &std::path::Path, scale: f64, writers: usize) -> f64 {
    let singles = (1000.0 * scale) as u64 + 200;
    let histograms: Vec<_> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                scope.spawn(move || {
                    let path = dir.join(format!("disk-floor-{w}.tmp"));
                    let file =
                        OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path).unwrap();
                    file.set_len(singles * RECORD as u64).unwrap();
                    let (record, mut single) = (vec![0x5a; RECORD], report::histogram());
                    for i in 0..singles {
                        let began = Instant::now();
                        file.write_all_at(&record, i * RECORD as u64).unwrap();
                        file.sync_data().unwrap();
                        single.saturating_record(began.elapsed().as_nanos() as u64);
                    }
                    let _ = std::fs::remove_file(&path);
                    single
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut all = report::histogram();
    for h in &histograms {
        all.add(h).expect("same bounds");
    }
    all.value_at_percentile(50.0) as f64 / 1000.0
}

/// A journaled cluster (`sync` none or batch), or one without (`None`).
fn start(tag: u8, sync: Option<&str>) -> Cluster {
    match sync {
        Some(sync) => Cluster::start_journaled(tag, 2, sync),
        None => Cluster::start(tag),
    }
}

/// Runs the journal's figures into `t`.
pub fn run(t: &mut Table, out: &std::path::Path, quick: bool, idle: Wait, sustained: f64) {
    let scale = if quick { 0.3 } else { 1.0 };
    let (fsync_p50, batched) = disk_floor(out, scale);
    let shared_p50 = shared_disk_floor(out, scale, 3);
    println!(
        "disk floor: write + fdatasync of one {RECORD}-byte record p50 {fsync_p50:.1} µs ({shared_p50:.1} µs with 3 \
         writers at once, as the 3 nodes here share one disk); 100 at a time {batched:.0} records/s"
    );

    // Commit latency at 10k/s, in rounds: ping-pong, no journal, none, batch.
    let rounds = if quick { 2 } else { 3 };
    let levels = [None, Some("none"), Some("batch")];
    let mut commit = [report::histogram(), report::histogram(), report::histogram()];
    let mut rtt = report::histogram();
    for round in 0..rounds {
        rtt.add(baseline::ping_pong(idle, 0, 144, 2_000)).expect("same bounds");
        for (i, sync) in levels.iter().enumerate() {
            let cluster = start(100 + 10 * round as u8 + i as u8, *sync);
            let dir = out.to_str().unwrap();
            load(&cluster, 10_000, 5.0 * scale, 1, 1, &["--out", dir]);
            stop(cluster);
            commit[i].add(report::load(&out.join("loadgen-commit.hdr")).unwrap()).expect("same bounds");
        }
    }
    let p50 = |h: &hdrhistogram::Histogram<u64>| h.value_at_percentile(50.0) as f64 / 1000.0;
    let (memory, none, batch) = (p50(&commit[0]), p50(&commit[1]), p50(&commit[2]));
    let floor = 2.0 * p50(&rtt) + fsync_p50;
    println!(
        "journal: commit p50 at 10k/s: memory {memory:.1} µs, --sync none {none:.1} µs, --sync batch {batch:.1} µs"
    );
    t.add(
        "commit p50 at 10k/s, journal --sync none",
        none,
        "µs",
        Some((memory, "no journal")),
        Some(("≤ 1.1", none <= 1.1 * memory)),
    );
    t.add(
        "commit p50 at 10k/s, journal --sync batch",
        batch,
        "µs",
        Some((floor, "2×RTT + fdatasync p50")),
        Some(("≤ 1.3", batch <= 1.3 * floor)),
    );
    // Not the target's floor: what the nodes' syncs cost when, as here, they
    // share one disk (on a LAN each node has its own).
    let shared = 2.0 * p50(&rtt) + shared_p50;
    t.add("the same, against a disk shared by the 3 nodes", batch, "µs", Some((shared, "2×RTT + 3-writer p50")), None);

    // Throughput at the rate the memory-only cluster sustained, and replay.
    let rate = (sustained.max(50_000.0) * 0.9) as u64;
    let seconds = 3.0 * scale;
    let (touched, took) = touch_memory((rate as f64 * seconds) as u64 * RECORD as u64 * 3);
    println!(
        "journal: {:.1} GiB of memory touched first (what one level's 3 journals write), in {took:.1} s",
        touched as f64 / f64::from(1u32 << 30)
    );
    // Committed/s, and events never confirmed (a level that leaves any
    // unconfirmed has not sustained the rate, whatever it committed).
    let mut achieved = [0.0; 3];
    let mut unconfirmed = [0.0; 3];
    for (i, sync) in levels.iter().enumerate() {
        let cluster = start(130 + i as u8, *sync);
        let report = load(&cluster, rate, seconds, 2, super::events_per_datagram(), &[]);
        achieved[i] = json_number(&report, "rate");
        unconfirmed[i] = json_number(&report, "unconfirmed");
        if i == 1 {
            replay(t, &cluster, json_number(&report, "committed") as u64);
        }
        stop(cluster);
    }
    let name = ["memory", "none", "batch"];
    let text: Vec<String> =
        (0..3).map(|i| format!("{} {:.0}/s ({} unconfirmed)", name[i], achieved[i], unconfirmed[i])).collect();
    println!("journal: at {rate}/s offered (nodes idle block, unpinned): {}", text.join(", "));
    let left =
        |i: usize| if unconfirmed[i] == 0.0 { String::new() } else { format!(", {} unconfirmed", unconfirmed[i]) };
    let (none_rate, none_achieved) = sustained_rate("none", 138, rate, (achieved[1], unconfirmed[1]), seconds);
    t.add(
        &format!("sustained events/s, --sync none (offered {none_rate}/s, none unconfirmed)"),
        none_achieved,
        "ev/s",
        Some((achieved[0], "no journal")),
        Some(("≥ 0.9", none_achieved >= 0.9 * achieved[0])),
    );
    t.add(
        &format!("the same, offered {rate}/s{}", left(1)),
        achieved[1],
        "ev/s",
        Some((achieved[0], "no journal")),
        None,
    );
    let (batch_rate, batch_achieved) = sustained_rate("batch", 134, rate, (achieved[2], unconfirmed[2]), seconds);
    t.add(
        &format!("sustained events/s, --sync batch (offered {batch_rate}/s, none unconfirmed)"),
        batch_achieved,
        "ev/s",
        Some((batched, "disk, 100 records a sync")),
        Some(("≥ 0.5", batch_achieved >= 0.5 * batched)),
    );
}

/// Writes to `bytes` of fresh memory (at most half of what is available)
/// and frees it; returns the bytes and the seconds it took. A node that has
/// run a while writes its journal into page-cache pages the machine backed
/// long ago; a fresh VM backs each page the first time it is touched (2.6 s
/// a GiB, once, on the 2-core VM), which charged the journaled runs, not
/// the memory-only one beside them, for the VM's warm-up.
fn touch_memory(bytes: u64) -> (u64, f64) {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let available_kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:")?.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let mut available = available_kb * 1024;
    // In a cgroup with a memory limit (v2), what is left under it counts.
    if let (Ok(max), Ok(current)) = (
        read("/sys/fs/cgroup/memory.max").trim().parse::<u64>(),
        read("/sys/fs/cgroup/memory.current").trim().parse::<u64>(),
    ) {
        available = available.min(max.saturating_sub(current));
    }
    let bytes = bytes.min(available / 2);
    let chunk = 1u64 << 28;
    let start = Instant::now();
    // Held until all are written, so that each chunk is pages of its own.
    let sizes = (0..bytes / chunk).map(|_| chunk).chain(Some(bytes % chunk).filter(|&b| b > 0));
    let chunks: Vec<Vec<u8>> = sizes.map(|size| vec![1u8; size as usize]).collect();
    drop(std::hint::black_box(chunks));
    (bytes, start.elapsed().as_secs_f64())
}

/// The highest rate the `sync` level sustains: every event offered
/// committed and confirmed, at 95 % of the offer or more. The offer at
/// `rate` gave `achieved` with `unconfirmed` left; while that fails, it
/// offers 90 % of what the last try committed, and once one holds, halfway
/// between the highest offer that held and the lowest that did not: three
/// more runs at most. Returns the highest offer that held and what it
/// committed (0, 0 if none did). Past its rate a level may commit far less
/// than it can (at `--sync none` here a follower that falls behind loses
/// datagrams, and its repairs crowd the live stream out), so what an
/// overloaded run committed is only where the search starts.
fn sustained_rate(sync: &str, tag: u8, rate: u64, (achieved, unconfirmed): (f64, f64), seconds: f64) -> (u64, f64) {
    let held = |offered: u64, achieved: f64, unconfirmed: f64| unconfirmed == 0.0 && achieved >= 0.95 * offered as f64;
    if held(rate, achieved, unconfirmed) {
        return (rate, achieved);
    }
    let (mut best, mut failed, mut last) = ((0, 0.0), rate, achieved);
    for attempt in 0..3 {
        let offered = match best.0 {
            0 => ((last * 0.9) as u64).clamp(1_000, failed * 9 / 10),
            good => (good + failed) / 2,
        };
        let cluster = start(tag + attempt, Some(sync));
        let report = load(&cluster, offered, seconds, 2, super::events_per_datagram(), &[]);
        stop(cluster);
        let (got, left) = (json_number(&report, "rate"), json_number(&report, "unconfirmed"));
        println!("journal: --sync {sync} at {offered}/s offered: {got:.0}/s committed ({left} unconfirmed)");
        match held(offered, got, left) {
            true => best = (offered, got),
            false => (failed, last) = (offered, got),
        }
    }
    best
}

/// `seqcast tail --from 1` over the `events` the cluster just committed,
/// three times, each followed by a plain read of the leader's journal files
/// (into one buffer, reused), and one read before the first: the median
/// tail against the median of the reads that follow a tail (the files then
/// in the page cache, as the tails found them); and the journal's bytes per
/// event.
fn replay(t: &mut Table, cluster: &Cluster, events: u64) {
    let dir = cluster.out.join("journal").join("node-0");
    let segments = seqcast::journal::inspect(&dir).unwrap();
    let mut buf = vec![1u8; segments.iter().map(|s| s.bytes as usize).max().unwrap_or(0)];
    let mut bytes = 0;
    let mut plain_read = || {
        let began = Instant::now();
        bytes = 0;
        for segment in &segments {
            let part = &mut buf[..segment.bytes as usize];
            File::open(&segment.path).unwrap().read_exact_at(part, 0).unwrap();
            bytes += part.len() as u64;
        }
        events as f64 / began.elapsed().as_secs_f64()
    };
    let mut args = common::strings(&["tail", "--from", "1", "--to", &events.to_string(), "--format", "count"]);
    args.extend(cluster.common_args());
    let before = plain_read();
    let (mut tails, mut reads) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let began = Instant::now();
        let (code, text) = common::run(common::SEQCAST, &args);
        tails.push(events as f64 / began.elapsed().as_secs_f64());
        assert_eq!(code, 0, "{text}");
        reads.push(plain_read());
    }
    let held = segments.iter().filter_map(|s| s.range).map(|(a, b)| b - a + 1).sum::<u64>();
    println!(
        "journal: tail --from 1 over {events} events, three runs: {}/s; plain read after each {} /s (before the first {before:.0}); \
         {bytes} bytes for {held}",
        spread(&tails),
        spread(&reads),
    );
    let (tail, raw) = (median(tails), median(reads));
    t.add(
        &format!("seqcast tail --from 1, {events} events (median of 3)"),
        tail,
        "ev/s",
        Some((raw, "plain read of the files, median of 3")),
        Some(("≥ 0.5 and ≥ 1M/s", tail >= 0.5 * raw && tail >= 1e6)),
    );
    t.add("journal bytes per event (64 B payload)", bytes as f64 / held.max(1) as f64, "B", None, None);
}
