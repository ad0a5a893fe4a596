//! seqcast's benchmark: commit latency and throughput of the real processes
//! as ratios to the wire's own limits, measured in the same run (DESIGN §5).
//!
//! `cargo bench` (about 3 minutes), `cargo bench -- --quick` (under one),
//! `cargo bench -- --idle spin` (every figure and baseline with that idle
//! strategy), `-- --pin` (every process pinned to a CPU of its own, in
//! turn, baselines too). Results: a table here, and JSON and `.hgrm` files
//! in `target/bench/` (`--out DIR`). `-- --journal-only RATE` runs only the
//! journal's figures, its throughput at 0.9 × RATE; `-- --auth-only RATE`
//! authentication's, the same way; `-- --cost-only` the leader's CPU per
//! event with 2, 4 and 8 followers (its callgrind counts stay in the out
//! directory for `callgrind_annotate`).

mod auth;
mod baseline;
#[path = "../tests/common/mod.rs"]
mod common;
mod journal;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baseline::{Sender, Wait};
use common::{Cluster, Usage, json_number};
use seqcast::core::Config;
use seqcast::net::report;
use seqcast::wire::{BatchHead, Header, record_len};

/// Payload bytes of every benchmark event.
const SIZE: usize = 64;

struct Options {
    quick: bool,
    idle: Wait,
    /// CPUs to pin the processes to in turn (0: none; `--pin`).
    cpus: usize,
    out: PathBuf,
    /// `--journal-only SUSTAINED`: only the journal's figures, at 0.9 of the
    /// given sustained rate (a full run's sweep finds it).
    journal_only: Option<f64>,
    /// `--auth-only SUSTAINED`: only authentication's figures, the same way.
    auth_only: Option<f64>,
    /// `--cost-only`: only the leader's CPU per event by follower count.
    cost_only: bool,
}

impl Options {
    /// How much of a full run's durations a run takes.
    fn scale(&self) -> f64 {
        if self.quick { 0.3 } else { 1.0 }
    }
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned());
    Options {
        quick: args.iter().any(|a| a == "--quick"),
        idle: match Wait::parse(&value("--idle").unwrap_or_else(|| "block".into())) {
            // The nodes have no such mode; it is the second ping-pong's.
            Wait::Epoll => panic!("--idle takes block, yield or spin"),
            wait => wait,
        },
        cpus: if args.iter().any(|a| a == "--pin") {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            0
        },
        out: value("--out")
            .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"), PathBuf::from),
        journal_only: value("--journal-only").and_then(|v| v.parse().ok()),
        auth_only: value("--auth-only").and_then(|v| v.parse().ok()),
        cost_only: args.iter().any(|a| a == "--cost-only"),
    }
}

/// Whether this process may run on `cpu` (its affinity allows it).
fn may_run_on(cpu: usize) -> bool {
    // SAFETY: an all-zero cpu_set_t is the empty set, filled by the call;
    // pid 0 is this thread; the size matches the set. CPU_ISSET reads
    // inside the set (the index is checked against its size).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0
            && cpu < libc::CPU_SETSIZE as usize
            && libc::CPU_ISSET(cpu, &set)
    }
}

/// One figure of the table.
struct Row {
    figure: String,
    value: String,
    baseline: String,
    ratio: Option<f64>,
    target: String,
    met: Option<bool>,
}

struct Table {
    rows: Vec<Row>,
    json: Vec<String>,
}

impl Table {
    fn add(
        &mut self,
        figure: &str,
        value: f64,
        unit: &str,
        baseline: Option<(f64, &str)>,
        target: Option<(&str, bool)>,
    ) {
        let ratio = baseline.map(|(b, _)| value / b);
        self.rows.push(Row {
            figure: figure.to_string(),
            value: format!("{value:.1} {unit}"),
            baseline: baseline.map_or(String::new(), |(b, name)| format!("{b:.1} ({name})")),
            ratio,
            target: target.map_or(String::new(), |(t, _)| t.to_string()),
            met: target.map(|(_, met)| met),
        });
        let ratio_json = ratio.map_or("null".to_string(), |r| format!("{r:.4}"));
        let baseline_json = baseline.map_or("null".to_string(), |(b, _)| format!("{b:.3}"));
        self.json.push(format!(
            "{{\"figure\":{figure:?},\"value\":{value:.3},\"unit\":{unit:?},\"baseline\":{baseline_json},\"ratio\":{ratio_json},\"met\":{}}}",
            target.map_or("null".to_string(), |(_, m)| m.to_string())
        ));
    }

    fn note(&mut self, figure: &str, text: &str) {
        self.rows.push(Row {
            figure: figure.into(),
            value: text.into(),
            baseline: String::new(),
            ratio: None,
            target: String::new(),
            met: None,
        });
    }

    fn print(&self) {
        println!("\n{:<46} {:>18} {:>26} {:>7}  target", "figure", "value", "baseline", "ratio");
        for r in &self.rows {
            let ratio = r.ratio.map_or(String::new(), |x| format!("{x:.2}"));
            let met = match r.met {
                Some(true) => " met",
                Some(false) => " NOT MET",
                None => "",
            };
            println!("{:<46} {:>18} {:>26} {:>7}  {}{met}", r.figure, r.value, r.baseline, ratio, r.target);
        }
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model =
        cpu.lines().find_map(|l| l.strip_prefix("model name")?.split(':').nth(1)).unwrap_or("?").trim().to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string();
    format!("{cores} cores, {model}, Linux {kernel}")
}

/// Events of `SIZE` bytes that fit one DATA datagram of the default MTU.
fn events_per_datagram() -> usize {
    (Config::default().mtu - size_of::<Header>() - size_of::<BatchHead>()) / record_len(SIZE)
}

/// The middle value (the mean of the middle two of an even count), if any.
fn median_of(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The middle value of figures that are never empty.
fn median(values: Vec<f64>) -> f64 {
    median_of(values).expect("at least one figure")
}

/// "min–max" of repeated figures, the spread a median stands for.
fn spread(values: &[f64]) -> String {
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let digits = if hi < 1000.0 { 1 } else { 0 };
    format!("{lo:.digits$}–{hi:.digits$}")
}

fn idle_flag(idle: Wait) -> [&'static str; 2] {
    ["--idle", idle.name()]
}

/// One load run against `cluster`; returns the loadgen's JSON report.
fn load(cluster: &Cluster, rate: u64, seconds: f64, clients: u32, batch: usize, extra: &[&str]) -> String {
    let count = (rate as f64 * seconds) as u64;
    let mut args = vec!["--size", "64", "--drain-ms", "3000"];
    let (clients, batch) = (clients.to_string(), batch.to_string());
    args.extend(["--clients", &clients, "--batch", &batch]);
    args.extend(extra);
    let (_, text) = cluster.load_with(count, rate, &args);
    text.lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("loadgen printed no report:\n{text}"))
        .to_string()
}

/// Stops the cluster; returns the leader's and the followers' usage.
fn stop(mut cluster: Cluster) -> (Usage, Vec<Usage>) {
    let followers = cluster.followers.iter_mut().map(|f| f.stop_with_usage().1).collect();
    (cluster.leader.stop_with_usage().1, followers)
}

/// True if perf can sample another process's kernel time here (root, or
/// perf_event_paranoid at most 1); says why not otherwise.
fn perf_usable() -> bool {
    let version = std::process::Command::new("perf").arg("--version").output();
    if !version.is_ok_and(|o| o.status.success()) {
        println!("note: perf not found: leader user CPU not split from kernel (apt-get install linux-perf)");
        return false;
    }
    let paranoid: i32 = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(2);
    // SAFETY: geteuid takes nothing and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root && paranoid > 1 {
        println!("note: perf_event_paranoid is {paranoid}: run as root to split the leader's CPU");
        return false;
    }
    true
}

/// `perf record` of one process's cpu-clock, 20,000 samples a second.
struct Profile {
    perf: common::Proc,
    file: PathBuf,
}

impl Profile {
    fn start(pid: u32, file: &Path) -> Profile {
        let args = common::strings(&[
            "record",
            "-q",
            "-e",
            "cpu-clock",
            "-F",
            "20000",
            "-p",
            &pid.to_string(),
            "-o",
            &file.display().to_string(),
        ]);
        let perf = common::Proc::start("perf", "perf", &args);
        // perf prints nothing once it has attached: give it a moment.
        std::thread::sleep(Duration::from_millis(200));
        Profile { perf, file: file.to_path_buf() }
    }

    /// Stops recording; the nanoseconds of CPU sampled in user space (in
    /// the program, its libraries and the vDSO; not in the kernel).
    fn user_ns(mut self) -> Option<f64> {
        self.perf.signal(libc::SIGINT);
        self.perf.wait(Duration::from_secs(30));
        let file = self.file.display().to_string();
        let args = common::strings(&["report", "-i", &file, "--stdio", "--sort", "dso", "--show-total-period", "-q"]);
        let (code, text) = common::run("perf", &args);
        if code != 0 {
            return None;
        }
        // Lines: "  88.30%    1209000000  [kernel.kallsyms]".
        let user = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let period: f64 = fields.nth(1)?.parse().ok()?;
                let dso = fields.next()?;
                let kernel = dso.starts_with('[') && !matches!(dso, "[vdso]" | "[vsyscall]" | "[unknown]");
                (!kernel).then_some(period)
            })
            .sum();
        Some(user)
    }
}

/// Events/s of the load while the leader runs under callgrind.
const INSTR_RATE: u64 = 20_000;

fn valgrind_found() -> bool {
    let found = std::process::Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        println!("note: valgrind not found: leader instructions per event not counted (apt-get install valgrind)");
    }
    found
}

/// The leader's user-space instructions per committed event with
/// `followers` followers: callgrind counts only while the load runs
/// (instrumentation switched on before it, the counts dumped after it).
fn leader_instructions(
    tag: u8,
    followers: usize,
    idle: &[&str],
    cpus: usize,
    out: &Path,
    scale: f64,
    batch: usize,
) -> Option<f64> {
    let file = out.join(format!("callgrind-leader-{followers}.out"));
    let dump = PathBuf::from(format!("{}.1", file.display()));
    let _ = std::fs::remove_file(&dump);
    let wrap = common::strings(&[
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        &format!("--callgrind-out-file={}", file.display()),
    ]);
    let cluster = Cluster::start_custom(tag, followers, idle, &wrap, cpus);
    let pid = cluster.leader.pid().to_string();
    let control = |what: &[&str]| {
        let mut args = common::strings(what);
        args.push(pid.clone());
        common::run("callgrind_control", &args).0 == 0
    };
    let on = control(&["--instr=on"]);
    let report = load(&cluster, INSTR_RATE, 3.0 * scale, 1, batch, &[]);
    let dumped = on && control(&["--dump"]);
    stop(cluster);
    // The dump is `<file>.1`: what ran since instrumentation was switched on.
    let text = std::fs::read_to_string(&dump).unwrap_or_default();
    let total: f64 = text.lines().find_map(|l| l.strip_prefix("totals: ")?.trim().parse().ok())?;
    let events = json_number(&report, "committed");
    (dumped && events > 0.0).then(|| total / events)
}

/// One round of the flood limit: both senders, the better one counting.
fn flood_round(o: &Options) -> f64 {
    let by: Vec<(Sender, f64)> = Sender::ALL
        .iter()
        .map(|&s| (s, baseline::flood(o.idle, o.cpus, Config::default().mtu, o.scale(), s)))
        .collect();
    let text: Vec<String> = by.iter().map(|(s, d)| format!("{} {d:.0}", s.name())).collect();
    println!("baseline flood (recvmmsg, {} B): {} datagrams/s", Config::default().mtu, text.join(", "));
    by.iter().map(|b| b.1).fold(0.0, f64::max)
}

/// One round of the relay beside the flood limit (GSO sender), datagrams/s.
fn relay_round(o: &Options) -> f64 {
    let rate = baseline::relay(o.idle, o.cpus, Config::default().mtu, o.scale(), Sender::Gso);
    println!(
        "baseline relay (recvmmsg in, GSO out to a group of 2 receivers, {} B): {rate:.0} datagrams/s",
        Config::default().mtu
    );
    rate
}

/// The ping-pong floor, per round (µs): what every latency ratio divides by.
struct Floor {
    /// Medians over the rounds of the ping-pong's p50, p99 and p99.9.
    rtt_us: [f64; 3],
}

/// Commit latency at low load, with 2, 4 and 8 followers, each round in turn
/// with the ping-pong that judges it.
fn latency(o: &Options, t: &mut Table) -> Floor {
    // Latency at low load, against the ping-pong measured in turns with it
    // (ping-pong, cluster, ping-pong, cluster, …): a neighbour that slows the
    // machine for a while then weighs on both sides of the ratio alike (the
    // ping-pong's p50 ranged 12.6–18.1 µs across five full runs here). Each
    // runs alone: a ping-pong beside an idle cluster measured 7.1 µs, as
    // that cluster's timers kept the virtual CPUs from sleeping.
    let idle = idle_flag(o.idle);
    let scale = o.scale();
    let (rounds, pings) = if o.quick { (2, 5_000) } else { (4, 20_000) };
    let out = o.out.to_str().unwrap().to_string();
    let (mut rtt, mut commit, mut lost) = (report::histogram(), report::histogram(), 0.0);
    // Per round: the ping-pong's p50, p99 and p99.9 in µs.
    let mut floors: Vec<[f64; 3]> = Vec::new();
    // Beside it (idle block), a ping-pong that waits as the nodes do, in
    // epoll before each recv: its p50 per round, never the floor.
    let mut epoll_p50s: Vec<f64> = Vec::new();
    // And (idle block) the blocking ping-pong paced at the load's rate, one
    // ping each 100 µs: between pings the CPUs go idle, as they do between
    // the load's events, and a virtual CPU that halts is slow to wake. Its
    // p50 per round, never the floor.
    let mut paced_p50s: Vec<f64> = Vec::new();
    // And, unpinned, the blocking ping-pong with its ends pinned to two
    // CPUs: unpinned, the scheduler may run both ends on one CPU, and
    // a wake on the same CPU can cost a fraction of one on another (a VM's
    // halted virtual CPU). The cluster's processes cannot all share one.
    let mut across_p50s: Vec<f64> = Vec::new();
    let cpus_here = std::thread::available_parallelism().map_or(1, |n| n.get());
    let across = o.cpus == 0 && cpus_here > 1 && may_run_on(0) && may_run_on(1);
    // The same load with more followers, quorum a majority (3 of 5, 5 of
    // 9): a commit waits for more ACKs and, as followers cannot infer it,
    // for a commit HEARTBEAT before the client's COMMIT. Judged against
    // the same rounds' floor.
    let wider: [(usize, &str); 2] = [(4, "3 of 5"), (8, "5 of 9")];
    let mut wider_commit = [report::histogram(), report::histogram()];
    for round in 0..rounds {
        let round_rtt = baseline::ping_pong(o.idle, o.cpus, 144, pings / rounds);
        if o.idle == Wait::Block {
            let epoll_rtt = baseline::ping_pong(Wait::Epoll, o.cpus, 144, pings / rounds);
            epoll_p50s.push(epoll_rtt.value_at_percentile(50.0) as f64 / 1000.0);
            let gap = Duration::from_micros(100);
            let paced_rtt = baseline::ping_pong_paced(Wait::Block, o.cpus, 144, pings / rounds, gap);
            paced_p50s.push(paced_rtt.value_at_percentile(50.0) as f64 / 1000.0);
            if across {
                // On a thread of its own: pinning it, and unpinning it after
                // to every CPU, leaves this one (and all it starts) as it was.
                let count = pings / rounds;
                let across_rtt = std::thread::scope(|s| {
                    s.spawn(|| baseline::ping_pong(Wait::Block, cpus_here, 144, count)).join().expect("ping-pong")
                });
                across_p50s.push(across_rtt.value_at_percentile(50.0) as f64 / 1000.0);
            }
        }
        let cluster = Cluster::start_custom(1 + 40 * round as u8, 2, &idle, &[], o.cpus);
        let low = load(&cluster, 10_000, 10.0 * scale / rounds as f64, 1, 1, &["--out", &out]);
        stop(cluster);
        lost += json_number(&low, "unconfirmed");
        let round_commit = report::load(&o.out.join("loadgen-commit.hdr")).unwrap();
        // Each round's own ratio: how far the machine's mood moves it.
        let (floor_us, commit_us) = (
            2.0 * round_rtt.value_at_percentile(50.0) as f64 / 1000.0,
            round_commit.value_at_percentile(50.0) as f64 / 1000.0,
        );
        println!(
            "latency round {}: 2×RTT p50 {floor_us:.1} µs, commit p50 {commit_us:.1} µs, ratio {:.2}",
            round + 1,
            commit_us / floor_us
        );
        floors.push([50.0, 99.0, 99.9].map(|p| round_rtt.value_at_percentile(p) as f64 / 1000.0));
        rtt.add(round_rtt).expect("same bounds");
        commit.add(round_commit).expect("same bounds");
        for (k, &(followers, quorum)) in wider.iter().enumerate() {
            let cluster = Cluster::start_custom(2 + k as u8 + 40 * round as u8, followers, &idle, &[], o.cpus);
            let low = load(&cluster, 10_000, 10.0 * scale / rounds as f64, 1, 1, &["--out", &out]);
            stop(cluster);
            lost += json_number(&low, "unconfirmed");
            let round_commit = report::load(&o.out.join("loadgen-commit.hdr")).unwrap();
            let commit_us = round_commit.value_at_percentile(50.0) as f64 / 1000.0;
            println!(
                "latency round {}, {followers} followers (quorum {quorum}): commit p50 {commit_us:.1} µs, ratio {:.2}",
                round + 1,
                commit_us / floor_us
            );
            wider_commit[k].add(round_commit).expect("same bounds");
        }
    }
    // Each ratio divides by the median of the rounds' own figures.
    let [rtt_p50, rtt_p99, rtt_p999] = [0, 1, 2].map(|k| median(floors.iter().map(|f| f[k]).collect()));
    let (floor_p50, floor_p99) = (2.0 * rtt_p50, 2.0 * rtt_p99);
    let how = match o.idle {
        Wait::Block => "blocking recv",
        Wait::Yield => "non-blocking recv, yielding",
        Wait::Spin => "non-blocking recv, spinning",
        Wait::Epoll => "non-blocking recv after epoll_wait",
    };
    println!("baseline ping-pong (144 B, {how}): {}", report::table_row("round trip", &rtt));
    println!(
        "baseline ping-pong per round: p50 {}, p99 {}, p99.9 {} µs",
        spread(&floors.iter().map(|f| f[0]).collect::<Vec<_>>()),
        spread(&floors.iter().map(|f| f[1]).collect::<Vec<_>>()),
        spread(&floors.iter().map(|f| f[2]).collect::<Vec<_>>()),
    );
    report::save(&o.out.join("baseline-rtt.hdr"), &rtt).unwrap();
    std::fs::write(o.out.join("baseline-rtt.hgrm"), report::hgrm(&rtt)).unwrap();
    report::save(&o.out.join("commit-10k.hdr"), &commit).unwrap();
    std::fs::write(o.out.join("commit-10k.hgrm"), report::hgrm(&commit)).unwrap();
    println!("seqcast at 10k events/s: {}", report::table_row("commit", &commit));
    let us = |p: f64| commit.value_at_percentile(p) as f64 / 1000.0;
    t.add(
        "commit p50 at 10k events/s (µs)",
        us(50.0),
        "µs",
        Some((floor_p50, "2×RTT p50")),
        Some(("≤ 1.15", us(50.0) <= 1.15 * floor_p50)),
    );
    t.add(
        "commit p99 at 10k events/s (µs)",
        us(99.0),
        "µs",
        Some((floor_p99, "2×RTT p99")),
        Some(("≤ 1.5", us(99.0) <= 1.5 * floor_p99)),
    );
    t.add(
        "commit p99.9 at 10k events/s (µs)",
        us(99.9),
        "µs",
        Some((rtt_p999, "RTT p99.9")),
        Some(("≤ 3", us(99.9) <= 3.0 * rtt_p999)),
    );
    for ((followers, quorum), wide) in wider.iter().zip(&wider_commit) {
        println!("seqcast at 10k events/s, {followers} followers: {}", report::table_row("commit", wide));
        let p50 = wide.value_at_percentile(50.0) as f64 / 1000.0;
        t.add(
            &format!("commit p50 at 10k/s, {followers} followers, quorum {quorum}"),
            p50,
            "µs",
            Some((floor_p50, "2×RTT p50")),
            Some(("≤ 1.5", p50 <= 1.5 * floor_p50)),
        );
    }
    // The ping-pongs beside the floor: each p50 per round, what it prints,
    // its row and its baseline's name.
    let beside = [
        (&epoll_p50s, "epoll ping-pong per round (as the nodes wait)", "an epoll ping-pong (beside, not the floor)"),
        (&paced_p50s, "ping-pong paced at one ping per 100 µs, per round", "a ping-pong paced at 10k/s (beside)"),
        (
            &across_p50s,
            "ping-pong with its ends pinned to CPUs 0 and 1, per round",
            "a ping-pong across 2 CPUs (beside)",
        ),
    ];
    let names = ["epoll_wait + recv", "a ping each 100 µs", "ends pinned apart"];
    for ((p50s, line, against), name) in beside.into_iter().zip(names) {
        if p50s.is_empty() {
            continue;
        }
        let floor = 2.0 * median(p50s.clone());
        println!("{line}: p50 {} µs", spread(p50s));
        let figure = format!("the same p50, against {against}");
        t.add(&figure, us(50.0), "µs", Some((floor, &format!("2×RTT p50, {name}"))), None);
    }
    if lost != 0.0 {
        t.note("LOST at 10k events/s", &format!("{lost}"));
    }
    Floor { rtt_us: [rtt_p50, rtt_p99, rtt_p999] }
}

/// The highest rate sustained, against the flood limit measured three times,
/// interleaved with the sweep it judges (before it, after its doubling,
/// after its refinement), each time with both senders, the better one
/// counting; the ratio divides by the median of the three. Returns the rate
/// and that median (datagrams/s).
fn sweep(o: &Options, t: &mut Table, per: usize) -> (f64, f64) {
    // Rate sweep: the highest rate with nothing lost and p99 under 10 ms:
    // doubling until a rate is not sustained, then halving the gap twice.
    let (idle, scale) = (idle_flag(o.idle), o.scale());
    let mut floods = vec![flood_round(o)];
    let mut relays = vec![relay_round(o)];
    let p99_bound_us = 10_000.0;
    let mut curve = String::new();
    let cluster = Cluster::start_custom(2, 2, &idle, &[], o.cpus);
    let once = |cluster: &Cluster, rate: u64, curve: &mut String| -> (bool, f64) {
        let report = load(cluster, rate, 3.0 * scale, 2, per, &[]);
        let (achieved, lost) = (json_number(&report, "rate"), json_number(&report, "unconfirmed"));
        let p99 = json_number(report.split("\"latency\":").nth(1).unwrap_or("{}"), "p99");
        let ok = lost == 0.0 && achieved >= 0.95 * rate as f64 && p99 <= p99_bound_us;
        let verdict = if ok { "sustained" } else { "not sustained" };
        let _ = writeln!(
            curve,
            "  offered {rate:>9}/s  committed {achieved:>11.0}/s  lost {lost:>6}  p99 {p99:>10.1} µs  {verdict}"
        );
        (ok, achieved)
    };
    // A step that misses is run twice more and judged by the majority, so
    // that one noisy moment does not turn the sweep down for good.
    let step = |cluster: &Cluster, rate: u64, curve: &mut String| -> Option<f64> {
        let (ok, achieved) = once(cluster, rate, curve);
        if ok {
            return Some(achieved);
        }
        let runs = [(ok, achieved), once(cluster, rate, curve), once(cluster, rate, curve)];
        let good = runs.iter().filter(|r| r.0).count();
        let rates: Vec<f64> = runs.iter().map(|r| r.1).collect();
        let _ = writeln!(curve, "    {rate}/s: {good} of 3 sustained, committed/s {}", spread(&rates));
        (good >= 2).then(|| median(rates))
    };
    let (mut sustained, mut good, mut bad) = (0.0, 0u64, 0u64);
    // Up to 25.6 M/s: a 16-core machine sustained 6.4 M, the old top step.
    for rate in (0..).map(|k| 25_000u64 << k).take_while(|&r| r <= 25_600_000) {
        match step(&cluster, rate, &mut curve) {
            Some(achieved) => (sustained, good) = (achieved, rate),
            None => {
                bad = rate;
                break;
            }
        }
    }
    // The flood runs alone: an idle cluster beside it takes cores too.
    stop(cluster);
    floods.push(flood_round(o));
    relays.push(relay_round(o));
    let cluster = Cluster::start_custom(2, 2, &idle, &[], o.cpus);
    for _ in 0..2 {
        if bad == 0 {
            break;
        }
        let rate = (good + bad) / 2;
        match step(&cluster, rate, &mut curve) {
            Some(achieved) => (sustained, good) = (achieved, rate),
            None => bad = rate,
        }
    }
    stop(cluster);
    floods.push(flood_round(o));
    relays.push(relay_round(o));
    let datagrams = median(floods.clone());
    let relayed = median(relays.clone()) * per as f64;
    let limit = datagrams * per as f64;
    println!(
        "baseline flood: median {datagrams:.0} datagrams/s (spread {}); {per} events/datagram → limit {limit:.0} events/s",
        spread(&floods)
    );
    println!(
        "baseline relay: median {:.0} datagrams/s to the slower of its 2 receivers (spread {}) → {relayed:.0} events/s",
        relayed / per as f64,
        spread(&relays)
    );
    println!("rate sweep (batch {per}, 2 clients, p99 bound {p99_bound_us} µs):\n{curve}");
    std::fs::write(o.out.join("sweep.txt"), &curve).unwrap();
    t.add(
        "max sustained committed events/s",
        sustained,
        "ev/s",
        Some((limit, "flood × events/dgram")),
        Some(("≥ 0.9", sustained >= 0.9 * limit)),
    );
    t.add("the same, against a plain relay (beside)", sustained, "ev/s", Some((relayed, "relay × events/dgram")), None);
    (sustained, datagrams)
}

/// The leader's CPU per event with 2, 4 and 8 followers (rusage, perf's user
/// share, callgrind's instructions), and its growth from 2 to 8.
fn leader_cost(o: &Options, t: &mut Table, per: usize) {
    // Leader CPU per committed event with 2, 4 and 8 followers: the loaded
    // run's CPU less that of the same cluster left idle as long (start-up,
    // pre-faulting, heartbeats), over the events committed. Spinning or
    // yielding nodes burn their core whether or not there is work, so there
    // the figure means nothing and is not given.
    // Each count runs `repeats` times, interleaved (2, 4, 8, 2, 4, 8, …) so
    // that a noisy neighbour on this shared machine hits every count alike,
    // and the median stands for it: single runs of this figure have ranged
    // from −16% to +163% here.
    // User + system from rusage is exact (the scheduler's run time), but its
    // split is sampled by the tick, and swung 2–3× between identical runs
    // here. The user-space share comes from perf instead: cpu-clock samples
    // 20,000 times a second of the leader's CPU time, each marked user or
    // kernel by where it landed, and their periods add up to that time.
    let (idle, scale) = (idle_flag(o.idle), o.scale());
    let (cost_rate, cost_s) = (50_000, 5.0 * scale);
    let repeats = if o.quick { 1 } else { 3 };
    let counts: &[usize] = if o.idle == Wait::Block { &[2, 4, 8] } else { &[] };
    if counts.is_empty() {
        t.note("leader CPU per event", "not measured: with yield or spin the idle loop takes the CPU anyway");
    }
    let perf = !counts.is_empty() && perf_usable();
    let profile = |tag: u8, pid: u32| perf.then(|| Profile::start(pid, &o.out.join(format!("perf-leader-{tag}.data"))));
    // Per count: (user + system, user by perf) in ns per event.
    let mut samples: Vec<Vec<(f64, Option<f64>)>> = vec![Vec::new(); counts.len()];
    for round in 0..repeats {
        for (i, &followers) in counts.iter().enumerate() {
            let tag = 3 + i as u8 + 20 * round as u8;
            let cluster = Cluster::start_custom(tag, followers, &idle, &[], o.cpus);
            let profiled = profile(tag, cluster.leader.pid());
            let began = Instant::now();
            let report = load(&cluster, cost_rate, cost_s, 1, per, &[]);
            let took = began.elapsed();
            let loaded_user = profiled.and_then(Profile::user_ns);
            let (loaded, _) = stop(cluster);
            let cluster = Cluster::start_custom(tag + 10, followers, &idle, &[], o.cpus);
            let profiled = profile(tag + 10, cluster.leader.pid());
            std::thread::sleep(took);
            let idle_user = profiled.and_then(Profile::user_ns);
            let (idle_usage, _) = stop(cluster);
            let events = json_number(&report, "committed");
            let total =
                (loaded.user_s + loaded.system_s - idle_usage.user_s - idle_usage.system_s).max(0.0) * 1e9 / events;
            let user = loaded_user.zip(idle_user).map(|(l, i)| (l - i).max(0.0) / events);
            println!(
                "{followers} followers at {cost_rate}/s, run {}: leader {total:.0} ns/event, {} (idle run subtracted)",
                round + 1,
                user.map_or("user share not sampled".into(), |u| format!("{u:.0} of them in user space")),
            );
            samples[i].push((total, user));
        }
    }
    let of = if repeats > 1 { format!(", median of {repeats}") } else { String::new() };
    let mut user_ns = Vec::new();
    for (i, &followers) in counts.iter().enumerate() {
        if let Some(total) = median_of(samples[i].iter().map(|s| s.0).collect()) {
            t.add(&format!("leader CPU/event (user + system), {followers} followers{of}"), total, "ns", None, None);
        }
        if let Some(user) = median_of(samples[i].iter().filter_map(|s| s.1).collect()) {
            t.add(&format!("leader user CPU/event (perf), {followers} followers{of}"), user, "ns", None, None);
            user_ns.push(user);
        }
    }
    // The same, counted: user-space instructions of the leader per committed
    // event, under callgrind (repeatable to a few per cent, where rusage's
    // user/system split is tick-sampled on a VM). The leader runs ~30× slower
    // under it, hence the lower rate. Instructions are not cycles, and where
    // code picks a path by CPU features (crc32fast) valgrind's CPU gets
    // another: a 1.3 KB CRC counts ~720 instructions there, and takes ~45 ns
    // natively. A repeatable proxy for the user-space share, not its time.
    let counted: Vec<f64> = if counts.is_empty() || !valgrind_found() {
        Vec::new()
    } else {
        counts
            .iter()
            .enumerate()
            .map_while(|(i, &followers)| {
                let per_event = leader_instructions(60 + i as u8, followers, &idle, o.cpus, &o.out, scale, per);
                if let Some(n) = per_event {
                    println!(
                        "{followers} followers at {INSTR_RATE}/s under callgrind: leader {n:.0} instructions/event"
                    );
                }
                per_event
            })
            .collect()
    };
    for (&followers, &n) in counts.iter().zip(&counted) {
        t.add(&format!("leader user instructions/event, {followers} followers"), n, "instr", None, None);
    }
    // Issue 18's bound, < 10 %, holds for both counts: the instructions
    // (repeatable) and perf's user share (the CPU time itself).
    if let [two, _, eight] = counted[..] {
        let growth = eight / two - 1.0;
        t.add(
            "leader user instructions/event growth, 2 → 8 followers",
            growth * 100.0,
            "%",
            None,
            Some(("< 10%", growth < 0.10)),
        );
    }
    if let [two, _, eight] = user_ns[..] {
        let growth = eight / two - 1.0;
        t.add(
            "leader user CPU/event growth, 2 → 8 followers (perf)",
            growth * 100.0,
            "%",
            None,
            Some(("< 10%", growth < 0.10)),
        );
    } else if !counts.is_empty() {
        t.note("leader user CPU/event growth", "not judged: perf could not sample the leader");
    }
}

/// Resident sets early and late in a long run at 0.8 of the sustained rate.
fn memory(o: &Options, t: &mut Table, sustained: f64, per: usize) {
    // Memory: resident set early and late in a high-rate run.
    let (early_s, late_s) = if o.quick { (3.0, 12.0) } else { (10.0, 60.0) };
    let cluster = Cluster::start_custom(6, 2, &idle_flag(o.idle), &[], o.cpus);
    let rate = (sustained * 0.8).max(20_000.0) as u64;
    let count = (rate as f64 * (late_s + 1.0)) as u64;
    let mut args = common::strings(&[
        "--leader",
        &cluster.leader_addr,
        "--count",
        &count.to_string(),
        "--rate",
        &rate.to_string(),
    ]);
    args.extend(cluster.common_args());
    args.extend(common::pin_flag(cluster.nodes, cluster.cpus));
    args.extend(common::strings(&["--clients", "2", "--batch", &per.to_string(), "--quiet", "--json"]));
    let mut loadgen = common::Proc::start("loadgen", common::LOADGEN, &args);
    let begun = Instant::now();
    let rss = |c: &Cluster| (c.leader.status_kb("VmRSS"), c.followers[0].status_kb("VmRSS"));
    std::thread::sleep(Duration::from_secs_f64(early_s));
    let early = rss(&cluster);
    std::thread::sleep(Duration::from_secs_f64(late_s) - begun.elapsed());
    let late = rss(&cluster);
    loadgen.wait(Duration::from_secs(120));
    let (leader, followers) = stop(cluster);
    let flat = |a: u64, b: u64| (b as f64 - a as f64).abs() / a.max(1) as f64 <= 0.05;
    let mb = |kb: u64| kb as f64 / 1024.0;
    t.add(
        &format!("leader RSS at {early_s:.0} s → {late_s:.0} s ({rate}/s)"),
        mb(late.0),
        "MiB",
        Some((mb(early.0), "early")),
        Some(("within 5%", flat(early.0, late.0))),
    );
    t.add(
        &format!("follower RSS at {early_s:.0} s → {late_s:.0} s"),
        mb(late.1),
        "MiB",
        Some((mb(early.1), "early")),
        Some(("within 5%", flat(early.1, late.1))),
    );
    t.add("leader peak RSS", mb(leader.max_rss_kb), "MiB", None, None);
    t.add("follower peak RSS", mb(followers[0].max_rss_kb), "MiB", None, None);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--role") {
        return baseline::child_main(&args[i + 1..]);
    }
    let o = options();
    std::fs::create_dir_all(&o.out).unwrap();
    if let Some(sustained) = o.journal_only {
        let mut t = Table { rows: Vec::new(), json: Vec::new() };
        println!("seqcast bench: the journal's figures only, on {}", machine());
        journal::run(&mut t, &o.out, o.quick, o.idle, sustained);
        return t.print();
    }
    if let Some(sustained) = o.auth_only {
        let mut t = Table { rows: Vec::new(), json: Vec::new() };
        println!("seqcast bench: authentication's figures only, on {}", machine());
        let rtt = baseline::ping_pong(o.idle, o.cpus, 144, 5_000);
        let floor_p50 = 2.0 * rtt.value_at_percentile(50.0) as f64 / 1000.0;
        auth::run(&mut t, &o.out, o.quick, o.idle, o.cpus, sustained, floor_p50);
        return t.print();
    }
    if o.cost_only {
        let mut t = Table { rows: Vec::new(), json: Vec::new() };
        println!("seqcast bench: the leader's CPU per event only, on {}", machine());
        leader_cost(&o, &mut t, events_per_datagram());
        return t.print();
    }
    let started = Instant::now();
    let mut t = Table { rows: Vec::new(), json: Vec::new() };
    println!(
        "seqcast bench: {} mode, idle {}{}, on {}",
        if o.quick { "quick" } else { "full" },
        o.idle.name(),
        if o.cpus > 0 { format!(", each process pinned to one of {} CPUs in turn", o.cpus) } else { String::new() },
        machine()
    );
    if o.idle == Wait::Spin && std::thread::available_parallelism().map_or(1, |n| n.get()) < 5 {
        println!(
            "note: spin needs a core per spinning process (leader, 2 followers, load generator, plus the baseline's two); \
             with fewer cores its figures measure the scheduler, not seqcast"
        );
    }

    let per = events_per_datagram();
    let floor = latency(&o, &mut t);
    let [rtt_p50, rtt_p99, rtt_p999] = floor.rtt_us;
    let (sustained, datagrams) = sweep(&o, &mut t, per);
    leader_cost(&o, &mut t, per);
    memory(&o, &mut t, sustained, per);
    journal::run(&mut t, &o.out, o.quick, o.idle, sustained);
    auth::run(&mut t, &o.out, o.quick, o.idle, o.cpus, sustained, 2.0 * rtt_p50);

    t.print();
    let json = format!(
        "{{\"machine\":{:?},\"mode\":{:?},\"idle\":{:?},\"pinned\":{},\"rtt_p50_us\":{rtt_p50:.3},\"rtt_p99_us\":{rtt_p99:.3},\"rtt_p999_us\":{rtt_p999:.3},\"flood_datagrams_per_s\":{datagrams:.0},\"events_per_datagram\":{per},\"figures\":[{}]}}\n",
        machine(),
        if o.quick { "quick" } else { "full" },
        o.idle.name(),
        o.cpus > 0,
        t.json.join(",")
    );
    let pinned = if o.cpus > 0 { "-pinned" } else { "" };
    let path = o.out.join(format!("bench-{}{pinned}.json", o.idle.name()));
    std::fs::write(&path, json).unwrap();
    println!(
        "\nwritten: {} and the .hgrm/.hdr files beside it ({:.0} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
}
