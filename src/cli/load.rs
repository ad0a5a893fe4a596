//! `seqcast-loadgen`: the open-loop load generator, a thin front over
//! [`seqcast::internal::load`], and the report it (and `seqcast demo`) prints.

use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser};

use super::args::{ClusterArgs, TuningArgs};
use seqcast::core::Epoch;
use seqcast::internal::load::{self, LoadOptions, LoadReport, Progress};
use seqcast::net::report;
use seqcast::net::{self, NetError, Tuning};

/// seqcast-loadgen: open-loop load for a seqcast cluster, with latency
/// measured from each event's intended send time to its commit notice.
#[derive(Debug, Parser)]
#[command(
    name = "seqcast-loadgen",
    version,
    after_help = "Exit codes: 0 every event committed; 1 an error (said on stderr); 2 the command line \
                  did not parse; 4 some events were not confirmed committed (no reply, a stalled or \
                  restarted leader), or not sent (held back by too many uncommitted until the schedule \
                  ended); 130 stopped by Ctrl-C or SIGTERM before the schedule ended, every event sent \
                  committed."
)]
pub struct LoadgenCli {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The leader's address [default: the cluster file's leader node, else
    /// the interface on port 7401]. With --failover, the member tried first
    /// when none is heard leading; it must be a node of the cluster file
    /// (another address is ignored).
    #[arg(long, value_name = "HOST:PORT", value_parser = super::args::host_port)]
    leader: Option<SocketAddrV4>,
    /// The cluster elects its leader (`seqcast member`): find it among the
    /// cluster file's nodes and follow it through failovers, resending what
    /// is uncommitted under the same request numbers. Needs --cluster.
    #[arg(long, requires = "cluster")]
    failover: bool,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    tuning: TuningArgs,
    /// Write the commit-latency histogram into this directory on exit.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the final report as one JSON object.
    #[arg(long)]
    json: bool,
    /// No progress line each second.
    #[arg(long)]
    quiet: bool,
    /// Write each second's commit latencies to FILE as an HdrHistogram
    /// interval log (.hlog: read by HdrHistogram's log processor and plotter).
    #[arg(long, value_name = "FILE")]
    hlog: Option<PathBuf>,
}

/// The shape of the load.
#[derive(Clone, Debug, Args)]
pub struct LoadArgs {
    /// Events per second, all clients together. With --idle block, a client
    /// whose SUBMITs come due less than 50 µs apart sleeps 50 µs at a time
    /// and sends what came due meanwhile (each event's latency still counts
    /// from its intended send; the report's send lateness shows the wait).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: u64,
    /// Payload bytes per event.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// How long to send for.
    #[arg(long, default_value_t = 5.0, conflicts_with = "count", value_parser = positive_seconds)]
    pub seconds: f64,
    /// How many events to send (instead of --seconds).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Clients, each on its own thread and with its own client id (at most 64).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub clients: u32,
    /// Events due at the same instant, so they share a SUBMIT datagram (as
    /// many as fit one datagram of --mtu; the rest go in the next).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: u64,
    /// After the last send was due, how long to wait for outstanding
    /// commits, ms.
    #[arg(long, default_value_t = 2000)]
    pub drain_ms: u64,
}

/// A positive, finite number of seconds (`--seconds 0` once got through
/// the parser and was refused later, with exit 1 rather than 2).
fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(seconds),
        Ok(_) => Err(format!("{text} is not a positive number of seconds")),
        Err(e) => Err(e.to_string()),
    }
}

impl LoadArgs {
    /// Events in all.
    pub fn count(&self) -> Result<u64, String> {
        match self.count {
            Some(count) => Ok(count),
            None if self.seconds > 0.0 && self.seconds.is_finite() => {
                Ok((self.rate as f64 * self.seconds).ceil() as u64)
            }
            None => Err(format!("--seconds {} must be a positive number", self.seconds)),
        }
    }
}

/// Runs `load` on a thread while this one prints a progress line each second.
pub fn run_with_progress(
    options: &LoadOptions,
    quiet: bool,
    hlog: Option<std::fs::File>,
    stop: &AtomicBool,
) -> Result<LoadReport, NetError> {
    let progress = Progress::default();
    // Compressed, as HdrHistogram's log readers (Java's, and its ports)
    // decode only that form.
    let mut serializer = hdrhistogram::serialization::V2DeflateSerializer::new();
    let (began, started) = (std::time::SystemTime::now(), std::time::Instant::now());
    // Where the interval being counted began, since `started`.
    let mut tick = Duration::ZERO;
    let mut file = hlog.map(std::io::BufWriter::new);
    let mut log = match file.as_mut() {
        Some(out) => Some(
            hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder::new()
                .add_comment("seqcast-loadgen: commit latency (intended send to commit), ns, one interval a second")
                .with_base_time(began)
                .with_start_time(began)
                .begin_log_with(out, &mut serializer)
                .map_err(NetError::Io)?,
        ),
        None => None,
    };
    let report = std::thread::scope(|scope| {
        let worker = scope.spawn(|| load::run(options, &progress, stop));
        let target = match &options.members {
            Some(members) => format!("any member ({})", members.len()),
            None => options.leader.to_string(),
        };
        // Seconds since the commit count last moved while events were pending.
        let (mut committed_before, mut stalled, mut warned) = (0, 0, false);
        let (mut epoch_before, mut redirects_before) = (0, 0);
        let mut shape_warned = false;
        while !worker.is_finished() {
            for _ in 0..100 {
                if worker.is_finished() {
                    break;
                }
                if net::stop_requested() {
                    stop.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let (submitted, committed) =
                (progress.submitted.load(Ordering::Relaxed), progress.committed.load(Ordering::Relaxed));
            stalled = if committed == committed_before && submitted > committed { stalled + 1 } else { 0 };
            committed_before = committed;
            // Turns for no answer are no answer (helper 181: a client
            // without the cluster's key, whose SUBMITs every member drops,
            // was said to have been answered).
            let told = progress
                .redirects
                .load(Ordering::Relaxed)
                .saturating_sub(progress.silent_turns.load(Ordering::Relaxed));
            let answers = progress.busy.load(Ordering::Relaxed) + told;
            if stalled >= 2 && committed == 0 && answers > 0 && !stop.load(Ordering::Relaxed) {
                // Members answer, but none commits: not a missing process.
                eprintln!(
                    "{} error: nothing committed after {} ms, though {target} answered ({} BUSY, {told} times \
                     told to turn to another member): no leader {}, or one whose followers acknowledge \
                     nothing, or whose own journal failed; `seqcast stat` says",
                    super::args::clock_time(),
                    stalled * 1000,
                    progress.busy.load(Ordering::Relaxed),
                    if options.members.is_some() {
                        "elected (fewer than a quorum of members running and able to vote)"
                    } else {
                        "able to take them"
                    }
                );
                stop.store(true, Ordering::Relaxed);
            } else if stalled >= 2 && committed == 0 && !stop.load(Ordering::Relaxed) {
                // Nothing ever came back: say so now rather than run the schedule out.
                eprintln!(
                    "{} error: no reply from {target} after {} ms: nothing committed (is {} running there, in \
                     this cluster id, with the same key? A leader whose quorum is not running, or not following \
                     it, takes events and answers nothing)",
                    super::args::clock_time(),
                    stalled * 1000,
                    if options.members.is_some() { "a member" } else { "a sequencer" }
                );
                stop.store(true, Ordering::Relaxed);
            } else if stalled >= 2 && committed > 0 && !warned {
                let at = super::args::clock_time();
                eprintln!(
                    "{at} warning: no commit for {} ms from {target} (leader gone, no quorum, followers that \
                     acknowledge nothing, or the leader's own journal failed? `seqcast stat` says)",
                    stalled * 1000
                );
                warned = true;
            } else if stalled == 0 && warned {
                eprintln!("{} commits again from {target}", super::args::clock_time());
                warned = false;
            }
            // Failovers as they happen: a newer epoch, clients turning to another member.
            let (epoch, redirects) =
                (progress.epoch.load(Ordering::Relaxed), progress.redirects.load(Ordering::Relaxed));
            if epoch > epoch_before && epoch_before != 0 {
                let at = super::args::clock_time();
                eprintln!(
                    "{at} failover: the leader now speaks epoch {epoch} (was {epoch_before}); {redirects} redirects so far"
                );
            } else if redirects > redirects_before {
                let at = super::args::clock_time();
                eprintln!("{at} clients turned to another member {} times", redirects - redirects_before);
            }
            (epoch_before, redirects_before) = (epoch, redirects);
            // With failover the client knows the members its file lists: a
            // leader whose file gives another shape means they differ.
            let (shape, ours) = (progress.shape.load(Ordering::Relaxed) as u32, options.config.shape());
            if options.members.is_some() && shape != 0 && shape != ours && !shape_warned {
                let what = if seqcast::core::other_node_count(shape, options.config.nodes) {
                    "a group split off by a stale file, or this client's file is the stale one: it takes nothing \
                     from members of another node count, and turns to the others"
                } else {
                    "the quorum differs, which the members judge: this client is not affected"
                };
                eprintln!(
                    "{} warning: a leader runs with {}, this client's cluster file says {}: the files differ ({what}); \
                     give every host the cluster's file",
                    super::args::clock_time(),
                    seqcast::core::shape_text(shape),
                    seqcast::core::shape_text(ours)
                );
                shape_warned = true;
            }
            // Each interval as long as it really ran: a busy host stretches
            // the hundred sleeps of a "second".
            let interval = progress.take_interval();
            let start = std::mem::replace(&mut tick, started.elapsed());
            if let Some(log) = log.as_mut() {
                log.write_histogram(&interval, start, tick - start, None)
                    .map_err(|e| NetError::Io(std::io::Error::other(format!("--hlog: {e:?}"))))?;
            }
            if !quiet && !worker.is_finished() {
                let us = |p: f64| interval.value_at_percentile(p) as f64 / 1000.0;
                let latency = if interval.is_empty() {
                    "no commits".to_string()
                } else {
                    format!(
                        "p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                        us(50.0),
                        us(99.0),
                        interval.max() as f64 / 1000.0
                    )
                };
                println!(
                    "[load {:.0}s] submitted {submitted} of {} committed {committed}; this second {latency}",
                    tick.as_secs_f64(),
                    options.count
                );
            }
        }
        let mut report = worker.join().expect("the load thread panicked")?;
        report.redirects = progress.redirects.load(Ordering::Relaxed);
        report.epoch = progress.epoch.load(Ordering::Relaxed);
        // What came after the last whole second.
        let rest = progress.take_interval();
        if let Some(log) = log.as_mut().filter(|_| !rest.is_empty()) {
            let length = started.elapsed().saturating_sub(tick).max(Duration::from_millis(1));
            log.write_histogram(&rest, tick, length, None)
                .map_err(|e| NetError::Io(std::io::Error::other(format!("--hlog: {e:?}"))))?;
        }
        Ok(report)
    });
    drop(log);
    if let Some(mut file) = file {
        std::io::Write::flush(&mut file).map_err(NetError::Io)?;
    }
    report
}

/// The report's text: counts that add up, the achieved rate, the latency.
/// `stopped`: the run was stopped before its schedule ended (no reply, or
/// Ctrl-C).
pub fn print_report(r: &LoadReport, stopped: bool, failover: bool) {
    println!(
        "events: planned {}, submitted {} = committed {} + unconfirmed {}   (busy replies {}, client resends {})",
        r.planned, r.submitted, r.committed, r.unconfirmed, r.busy, r.retries
    );
    // A leader that cannot place this run's resends, or a request refused
    // for good, ends the run early too.
    let stopped = stopped || r.stopped_early();
    if r.submitted < r.planned && stopped {
        println!("not sent: {} events, the run having stopped early", r.planned - r.submitted);
    } else if r.submitted < r.planned {
        println!(
            "not sent: {} events were still held back (too many uncommitted) when the run's schedule and drain ended",
            r.planned - r.submitted
        );
    }
    // Helper 143 read "over 0.554 s" of a 3 s run as a wrong clock: it is
    // the time to the last commit, after which nothing committed.
    match (r.committed, r.unconfirmed) {
        (0, _) => println!("rate: none committed"),
        (_, 0) => println!("rate: {:.0} committed events/s over {:.3} s", r.rate(), r.elapsed_ns as f64 / 1e9),
        _ => println!(
            "rate: {:.0} committed events/s over {:.3} s (from the first send to the last commit told; none \
             of the unconfirmed was told committed after it)",
            r.rate(),
            r.elapsed_ns as f64 / 1e9
        ),
    }
    match r.leader_restarted {
        // With failover a newer epoch is a new leader, not a loss: only its
        // "cannot place" answer leaves requests in doubt.
        // Without failover the same epoch answering so is a leader that
        // forgot this client (idle, its place in a full table given up).
        Some((old, new)) if !failover && old == new => println!(
            "in doubt: the leader of epoch {new} no longer knows requests this run resent (it forgot this client \
             while it was silent: idle, its place in a full client table given up); the {} unconfirmed events \
             are in doubt",
            r.unconfirmed
        ),
        // The leader said why: the cluster lost what it had told (below).
        Some((_, new)) if r.told_lost.is_some() => println!(
            "in doubt: the leader that answered (in epoch {new}) cannot place requests this run resent: the {} \
             unconfirmed events are in doubt",
            r.unconfirmed
        ),
        Some((old, new)) if failover || old == Epoch::ZERO => {
            println!(
                "in doubt: the leader that answered (in epoch {new}) cannot place requests this run resent: an \
                 earlier leader may have taken them, in a part of the log it does not hold (one its journal's \
                 retention deleted, or never held), or, if it warns of clients told of commits it has no record \
                 of, the cluster lost requests this run was told committed before them; the {} unconfirmed events \
                 are in doubt",
                r.unconfirmed
            );
            if failover && r.committed == 0 && r.redirects > 0 {
                println!(
                    "hint: nothing committed, and the first member asked did not answer: with retention, start \
                     new clients at a live member (--leader-id N)"
                );
            }
        }
        Some((old, new)) => println!(
            "leader restarted: epoch {old} is gone, the leader now speaks epoch {new}; the {} unconfirmed \
             events are in doubt (committed in epoch {old}, or in epoch {new} by a sequencer resumed from its \
             journal, or not at all)",
            r.unconfirmed
        ),
        None => {}
    }
    if let Some((clients, told)) = r.told_lost {
        // Helper 140: the lines above hedged, while the leader knew.
        println!(
            "lost: the leader that answered has no record of requests this run was told were committed ({clients} \
             client(s), told of requests up to {told}): the cluster lost committed events (members lost their \
             state: see that leader's warning, and `seqcast stat`'s LOST COMMITS). A member that kept its journal \
             still holds them (`seqcast journal dump`)"
        );
    }
    if r.leader_restarted.is_some() && r.unconfirmed > 0 {
        // An operator's trial: nothing said how to settle them.
        println!(
            "to settle them: every event in the log names its client and request, and `seqcast tail --cluster FILE \
             --from SEQ --format json` (or `seqcast journal dump` of a node's journal) shows which were committed"
        );
    }
    if r.redirects > 0 {
        match r.epoch {
            0 => println!("failover: clients turned to another member {} times, and heard no leader", r.redirects),
            epoch => println!(
                "failover: clients turned to another member {} times; the newest epoch heard was {epoch}",
                r.redirects
            ),
        }
    }
    if let Some(request) = r.refused {
        println!(
            "refused: the leader refused request {request} for good: its payload is over the leader's payload_max \
             (every node and client must share the cluster's payload_max; --size must fit it)"
        );
    }
    if let Some(request) = r.id_in_use {
        println!(
            "client id in use: the leader holds another process's event for request {request} of one of this \
             run's client ids (drawn at random: another client of the cluster uses it); nothing from there on was \
             taken under that id"
        );
    }
    if let Some((node, leader)) = r.not_leader {
        println!(
            "not the leader: node {} answered that it does not lead (node {} leads). Point --leader or --leader-id \
             at the leader; in a cluster of members, which elect their leader, give --failover to follow it",
            node.0, leader.0
        );
    }
    println!("{}", report::table_header());
    println!("{}", report::table_row("commit (intended → commit)", &r.latency));
    println!("{}", report::table_row("send lateness (intended → sent)", &r.send_late));
}

fn json(r: &LoadReport) -> String {
    format!(
        "{{\"planned\":{},\"submitted\":{},\"committed\":{},\"unconfirmed\":{},\"busy\":{},\"retries\":{},\"rate\":{:.1},\"elapsed_s\":{:.6},\"leader_restarted\":{},\"told_lost\":{},\"refused\":{},\"id_in_use\":{},\"not_leader\":{},\"redirects\":{},\"epoch\":{},\"latency\":{},\"send_late\":{}}}",
        r.planned,
        r.submitted,
        r.committed,
        r.unconfirmed,
        r.busy,
        r.retries,
        r.rate(),
        r.elapsed_ns as f64 / 1e9,
        r.leader_restarted.map_or("null".to_string(), |(old, new)| format!("[{old},{new}]")),
        r.told_lost
            .map_or("null".to_string(), |(clients, told)| format!("{{\"clients\":{clients},\"told_up_to\":{told}}}")),
        r.refused.map_or("null".to_string(), |request| request.to_string()),
        r.id_in_use.map_or("null".to_string(), |request| request.to_string()),
        r.not_leader
            .map_or("null".to_string(), |(node, leader)| format!("{{\"node\":{},\"leader\":{}}}", node.0, leader.0)),
        r.redirects,
        r.epoch,
        report::json("commit", &r.latency),
        report::json("send_late", &r.send_late)
    )
}

/// The exit code of a run that left events unconfirmed (2 is clap's, for a
/// command line it could not parse).
pub const NOT_ALL_CONFIRMED: u8 = 4;

/// The exit code of a run stopped by Ctrl-C or SIGTERM before its schedule
/// ended, every event it sent committed (128 + SIGINT, as a shell gives).
pub const INTERRUPTED: u8 = 130;

/// `seqcast-loadgen` and `seqcast load`: `program` names it in its banner.
pub fn run(cli: &LoadgenCli, program: &str) -> ExitCode {
    match loadgen(cli, program) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn loadgen(cli: &LoadgenCli, program: &str) -> Result<ExitCode, String> {
    let mut resolved = cli.cluster.resolve(None)?;
    // Learned from the leader's first reply.
    resolved.config.epoch = Epoch::ZERO;
    let count = cli.load.count()?;
    let leader = cli.leader.unwrap_or_else(|| resolved.leader_addr());
    if let Some(node) = resolved.nodes.iter().position(|&addr| addr == leader) {
        // Its replies come in that node's name: `--leader` naming another
        // node of the cluster file than its `leader` (a member elected).
        resolved.config.leader = seqcast::core::NodeId(node as u16);
    }
    let members = if cli.failover {
        if resolved.nodes.len() != usize::from(resolved.config.nodes) {
            return Err("--failover needs a cluster file that names every node (node.0 = IP:PORT …)".into());
        }
        resolved.config.failover = seqcast::core::Failover::Auto;
        Some(resolved.nodes.clone())
    } else {
        None
    };
    let options = LoadOptions {
        leader,
        members,
        multicast: resolved.multicast.clone(),
        config: resolved.config.clone(),
        rate: cli.load.rate,
        size: cli.load.size,
        count,
        clients: cli.load.clients,
        batch: cli.load.batch,
        drain_ns: cli.load.drain_ms * 1_000_000,
        client_id_base: load::fresh_client_id_base(),
        tuning: Tuning { keys: cli.cluster.client_master_keys(&resolved)?, ..cli.tuning.tuning() },
    };
    if cli.load.size > resolved.config.payload_max {
        return Err(format!(
            "--size {} exceeds the cluster's payload_max {}",
            cli.load.size, resolved.config.payload_max
        ));
    }
    net::catch_stop_signals().map_err(|e| e.to_string())?;
    if let Some(dir) = &cli.out {
        super::args::check_out_dir(dir)?;
    }
    if !cli.json {
        let to = match cli.failover {
            true => format!("the member the group hears leading (else {leader})"),
            false => format!("leader {leader}"),
        };
        println!(
            "{program}: {count} events at {}/s, {} B payloads, {} client(s), batch {} → {to}",
            cli.load.rate, cli.load.size, cli.load.clients, cli.load.batch
        );
    }
    let stop = AtomicBool::new(false);
    let hlog = match &cli.hlog {
        Some(path) => {
            Some(std::fs::File::create(path).map_err(|e| format!("--hlog {}: cannot create: {e}", path.display()))?)
        }
        None => None,
    };
    let report = run_with_progress(&options, cli.quiet || cli.json, hlog, &stop).map_err(|e| e.to_string())?;
    if cli.json {
        println!("{}", json(&report));
    } else {
        print_report(&report, stop.load(Ordering::Relaxed), cli.failover);
    }
    if let Some(dir) = &cli.out {
        for (name, h) in [("loadgen-commit.hdr", &report.latency), ("loadgen-send-lateness.hdr", &report.send_late)] {
            let path = dir.join(name);
            report::save(&path, h).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(if report.unconfirmed == 0 && report.submitted == report.planned {
        ExitCode::SUCCESS
    } else if report.unconfirmed == 0 && net::stop_requested() {
        // Stopped by hand with nothing lost: not a failed run.
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::from(NOT_ALL_CONFIRMED)
    })
}
