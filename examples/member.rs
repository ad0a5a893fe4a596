//! A member of a cluster with failover embedded in a service: it leads or
//! follows as elections decide, and hands every committed event, in
//! sequence order, to a callback whichever role it has. Start one on the
//! host of each `node.N` the cluster file lists:
//!
//! ```sh
//! cargo run --release --example member -- cluster.conf 0
//! cargo run --release --example member -- cluster.conf 2 --rejoin   # back, its state lost, into a running cluster
//! ```
//!
//! With `journal = DIR` in the file it keeps its log there and resumes it
//! when restarted (no `--rejoin`). Ctrl-C stops it; leading, it hands its
//! lead to another member first. Clients reach it as a `--failover`
//! client (`examples/client.rs`). Its counters are served in the
//! Prometheus format on a free loopback port, which it prints and notes
//! for `seqcast stat`.

use std::cell::Cell;
use std::path::PathBuf;

use seqcast::core::{Event, MemberEvent, NodeId};
use seqcast::net::cluster::Cluster;
use seqcast::net::metrics::{MetricsServer, NodeKind};
use seqcast::net::{MemberNode, Stopped};

// Errors as their messages say them (a `main` that returns one prints its
// Debug form).
fn main() -> std::process::ExitCode {
    let Err(e) = run() else { return std::process::ExitCode::SUCCESS };
    eprintln!("error: {e}");
    std::process::ExitCode::FAILURE
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: member CLUSTER_FILE NODE_ID [--rejoin]";
    let file = PathBuf::from(args.next().ok_or(usage)?);
    let id = NodeId(args.next().ok_or(usage)?.parse()?);
    let rejoin = match args.next().as_deref() {
        None => false,
        Some("--rejoin") => true,
        Some(_) => return Err(usage.into()),
    };
    let cluster = Cluster::load(&file, Some(id))?;
    // Where clients, the other members and `seqcast promote` send to.
    let listed = cluster.nodes.len();
    let listen =
        cluster.node(id).ok_or_else(|| format!("node {id} is not in the cluster file ({listed} node.N listed)"))?;
    let tuning = cluster.tuning()?;
    let journal = cluster.journal_options(id);
    let config = cluster.member_config(rejoin);
    let mut node = MemberNode::bind(config, id, listen, &cluster.multicast, &tuning, journal.as_ref())?;
    let resumed = node.recovery().is_some_and(|r| r.range.is_some() || r.claim.is_some() || r.damaged());
    if journal.is_some() && !resumed && !rejoin {
        // An empty journal starts a new cluster's log: a member that ran
        // before and lost its journal is started with --rejoin, or it
        // votes as if it had never held anything (committed events can go).
        eprintln!("note: its journal is empty: a new cluster's member (one that ran before and lost it: --rejoin)");
    }
    // Where it starts; every later change of role comes as an event.
    let member = node.member();
    match member.follower().and_then(|f| f.leader()) {
        _ if member.is_leader() => println!("leading in epoch {}: clients' events are sequenced here", member.epoch()),
        Some(leader) if !resumed && !rejoin => println!("following member {leader} in epoch {}", member.epoch()),
        _ => println!("listening for the cluster's leader"),
    }
    // Served by a thread of its own; the node hands it a page each second.
    let metrics = MetricsServer::serve("127.0.0.1:0".parse()?)?;
    println!("metrics: http://{}/metrics", metrics.local_addr());
    // Where `seqcast stat` finds it; without, it still runs.
    if let Err(e) = metrics.note((cluster.config.cluster_id, cluster.multicast.group), id, NodeKind::Member) {
        eprintln!("warning: `seqcast stat` will not find this node without its address: {e}");
    }
    seqcast::net::catch_stop_signals()?;
    let delivered = Cell::new(0u64);
    let why = node.run(
        &seqcast::net::stop_requested,
        // Events come in sequence order, each exactly once, through every
        // change of leader; what a resumed journal held comes first.
        |event, _now| match event {
            MemberEvent::Log(Event::Deliver(e)) => {
                delivered.set(delivered.get() + 1);
                if delivered.get() % 100_000 == 1 {
                    println!(
                        "seq {} from client {}: {} bytes",
                        e.header.seq.get(),
                        e.header.client.get(),
                        e.payload.len()
                    );
                }
            }
            MemberEvent::Log(Event::Lost { first, end }) => {
                println!("lost {first}..{end}: committed, but no member keeps them any more (retention)")
            }
            // `run` returns after this: see `Stopped::LeaderRestarted`.
            MemberEvent::Log(Event::LeaderRestarted { old, new, .. }) => {
                println!("epoch {old} → {new}: its leader's log lacks commits this member holds; it takes none of it")
            }
            MemberEvent::Elected { epoch, .. } => {
                println!("leading in epoch {epoch}: clients' events are sequenced here")
            }
            MemberEvent::Following { epoch, leader } => println!("following member {leader} in epoch {epoch}"),
            MemberEvent::SteppedDown { epoch, by, .. } => println!("stepped down from epoch {epoch} (member {by})"),
            // Candidacies and the rest: the role changes above follow them.
            _ => {}
        },
        |member, driver| metrics.publish_member(id, member, driver, delivered.get()),
    )?;
    println!("delivered {}; digest {}", delivered.get(), node.digest());
    match why {
        Stopped::Asked => Ok(()),
        why => Err(why.to_string().into()),
    }
}
