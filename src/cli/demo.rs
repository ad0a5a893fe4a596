//! `seqcast demo`: a leader, followers and the load generator on loopback
//! in one process, for a few seconds, ending in a latency report.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use seqcast::core::Event;

use clap::Args;

use super::args::TuningArgs;
use super::fail;
use super::load::{LoadArgs, print_report, run_with_progress};
use seqcast::auth::{Key, Keys};
use seqcast::core::{Config, NodeId};
use seqcast::internal::load::{self, LoadOptions};
use seqcast::net::report;
use seqcast::net::{self, Digest, FollowerNode, LeaderNode, Multicast, Tuning};

/// `seqcast demo`.
#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// Followers (the leader comes on top; quorum is a majority).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    followers: u16,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    tuning: TuningArgs,
    /// Also write the histograms into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// A demo node that stopped before the demo asked it to: an error.
fn on_its_own(who: &str, why: net::Stopped) -> std::io::Result<()> {
    match why {
        net::Stopped::Asked => Ok(()),
        why => Err(std::io::Error::other(format!("the {who} stopped on its own: {why}"))),
    }
}

/// A group and port of our own for this run, so that two demos (or tests) at
/// once do not hear each other: 239.255.x.y from the process id, and a port
/// the system says is free.
fn private_group() -> std::io::Result<SocketAddrV4> {
    let port = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
    let pid = std::process::id();
    Ok(SocketAddrV4::new(Ipv4Addr::new(239, 255, (pid >> 8) as u8, pid as u8 | 1), port))
}

/// Runs `seqcast demo`.
pub fn run(args: &DemoArgs) -> ExitCode {
    match demo(args) {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

fn demo(args: &DemoArgs) -> Result<ExitCode, String> {
    let count = args.load.count()?;
    let multicast = Multicast { group: private_group().map_err(|e| e.to_string())?, ..Multicast::default() };
    let mut config = Config {
        nodes: args.followers + 1,
        cluster_id: load::fresh_client_id_base(),
        payload_max: args.load.size.max(Config::default().payload_max),
        ..Config::default()
    };
    // Every datagram carries a tag: room for it past one event of the size asked.
    config.mtu = config.mtu.max(config.mtu_needed() + seqcast::auth::TAG_LEN);
    // The one setting of the demo's that can be out of range: name its flag.
    config.validate().map_err(|e| format!("--size {}: {e}", args.load.size))?;
    // Authenticated like a real cluster, under keys made for this run.
    let random = || Key::random().map_err(|e| format!("cannot draw a key: {e}"));
    let keys = Keys::Member { member: random()?, clients: random()? };
    let tuning = Tuning { keys: Some(keys), ..args.tuning.tuning() };
    let any = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0);
    let mut leader = LeaderNode::bind(config.clone(), any, &multicast, &tuning, None).map_err(|e| e.to_string())?;
    let mut followers = Vec::new();
    for id in 1..=args.followers {
        followers.push(
            FollowerNode::bind(config.clone(), NodeId(id), any, &multicast, &tuning, None)
                .map_err(|e| e.to_string())?,
        );
    }
    let leader_addr = match leader.local_addr().map_err(|e| e.to_string())? {
        std::net::SocketAddr::V4(addr) => addr,
        other => return Err(format!("leader bound an IPv6 address {other}")),
    };
    println!(
        "seqcast demo: leader + {} followers + {} load client(s) on loopback (group {} via 127.0.0.1, ttl 0), \
         {} events at {}/s, {} B payloads, quorum {} of {}, idle {}, every datagram authenticated (keys drawn \
         for this run)",
        args.followers,
        args.load.clients,
        multicast.group,
        count,
        args.load.rate,
        args.load.size,
        config.quorum(),
        config.nodes,
        tuning.idle
    );
    // Spinning threads that share a core take turns a scheduler slice
    // (milliseconds) at a time.
    let spinning = 1 + usize::from(args.followers) + args.load.clients as usize;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if tuning.idle == net::Idle::Spin && spinning > cpus {
        eprintln!(
            "warning: --idle spin: {spinning} threads that never sleep (leader, followers, load clients) on {cpus} \
             CPUs take turns a scheduler slice at a time, and latencies come out in milliseconds; spin wants a \
             core per thread (else use --idle block, the default)"
        );
    }
    net::catch_stop_signals().map_err(|e| e.to_string())?;
    if let Some(dir) = &args.out {
        super::args::check_out_dir(dir)?;
    }
    let stop_nodes = AtomicBool::new(false);
    let stop_load = AtomicBool::new(false);
    let delivered: Vec<AtomicU64> = (0..args.followers).map(|_| AtomicU64::new(0)).collect();
    let options = LoadOptions {
        leader: leader_addr,
        members: None,
        multicast: multicast.clone(),
        config: config.clone(),
        rate: args.load.rate,
        size: args.load.size,
        count,
        clients: args.load.clients,
        batch: args.load.batch,
        drain_ns: args.load.drain_ms * 1_000_000,
        client_id_base: load::fresh_client_id_base(),
        tuning: tuning.clone(),
    };
    let stopped = || stop_nodes.load(Ordering::Relaxed);
    let (load_report, leader, followers) = std::thread::scope(|scope| {
        let leader_thread = scope.spawn(|| {
            let _ = tuning.apply_to_thread();
            leader.run(&stopped, |_, _| {}).and_then(|why| on_its_own("leader", why)).map(|()| leader)
        });
        let follower_threads: Vec<_> = followers
            .into_iter()
            .zip(&delivered)
            .map(|(mut follower, count)| {
                let tuning = &tuning;
                scope.spawn(move || {
                    let _ = tuning.apply_to_thread();
                    let on_event = |event: &Event<'_>| {
                        if let Event::Deliver(_) = event {
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                    };
                    let why = follower.run(&stopped, on_event, |_, _| {});
                    why.and_then(|why| on_its_own("follower", why)).map(|()| follower)
                })
            })
            .collect();
        let load_report = run_with_progress(&options, false, None, &stop_load);
        // Followers deliver on commit, and the last commit reaches them in
        // the leader's next heartbeat: wait for it (bounded), then stop.
        let committed = load_report.as_ref().map_or(0, |r| r.committed);
        let waited = Instant::now();
        while delivered.iter().any(|d| d.load(Ordering::Relaxed) < committed)
            && waited.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        stop_nodes.store(true, Ordering::Relaxed);
        let leader = leader_thread.join().expect("leader thread panicked");
        let followers: Vec<_> =
            follower_threads.into_iter().map(|t| t.join().expect("follower thread panicked")).collect();
        (load_report, leader, followers)
    });
    let load_report = load_report.map_err(|e| e.to_string())?;
    let leader = leader.map_err(|e| e.to_string())?;
    let followers: Vec<FollowerNode> = followers.into_iter().collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    println!();
    print_report(&load_report, stop_load.load(Ordering::Relaxed), false);
    for (i, f) in followers.iter().enumerate() {
        println!("{}", report::table_row(&format!("delivery (stamp → follower {})", i + 1), f.delivery()));
    }
    println!("{}", report::table_row("ack round trip (leader)", leader.ack_rtt()));
    let digests: Vec<Digest> = followers.iter().map(FollowerNode::digest).collect();
    for (i, d) in digests.iter().enumerate() {
        println!("follower {}: {d}", i + 1);
    }
    println!("clock: {}", tuning.clock.name());
    if let Some(dir) = &args.out {
        let mut files = vec![
            ("loadgen-commit".to_string(), &load_report.latency),
            ("loadgen-send-lateness".into(), &load_report.send_late),
            ("leader-0-ack-rtt".into(), leader.ack_rtt()),
        ];
        for (i, f) in followers.iter().enumerate() {
            files.push((format!("follower-{}-delivery", i + 1), f.delivery()));
        }
        for (name, h) in files {
            let path = dir.join(format!("{name}.hdr"));
            report::save(&path, h).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        println!("histograms written to {}", dir.display());
    }
    let agree = digests.windows(2).all(|w| w[0] == w[1]);
    let complete = digests.iter().all(|d| d.events == load_report.committed && d.lost == 0);
    // Stopped by Ctrl-C: what was not sent is not judged.
    let interrupted = stop_load.load(Ordering::Relaxed) && net::stop_requested();
    let (sent, planned) = (load_report.submitted, load_report.planned);
    let nothing_lost = load_report.unconfirmed == 0 && (sent == planned || interrupted);
    match (nothing_lost, agree && complete) {
        (true, true) if interrupted && sent < planned => {
            println!(
                "ok (interrupted, {sent} of {planned} events sent): every event sent committed, every follower \
                 delivered the same {} events in the same order",
                load_report.committed
            );
            Ok(ExitCode::SUCCESS)
        }
        (true, true) => {
            println!(
                "ok: every event committed, every follower delivered the same {} events in the same order",
                load_report.committed
            );
            Ok(ExitCode::SUCCESS)
        }
        (false, _) if load_report.unconfirmed == 0 => Err(format!("{} events were not sent", planned - sent)),
        (false, _) => Err(format!(
            "{} of the {sent} events sent were not confirmed committed{}",
            load_report.unconfirmed,
            if sent < planned { format!(" ({} more not sent)", planned - sent) } else { String::new() }
        )),
        (true, false) => Err("the followers did not all deliver the same committed events".into()),
    }
}
