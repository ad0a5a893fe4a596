//! A follower embedded in a service: every committed event, in sequence
//! order, handed to a callback. Run a sequencer first, then:
//!
//! ```sh
//! cargo run --release --example follower -- cluster.conf 1
//! ```
//!
//! (`cluster.conf` as in the README; `1` is this follower's node id.) Stops
//! on Ctrl-C, printing how many events it delivered; and when the sequencer
//! restarted in a new epoch without the log this follower delivered from
//! (it takes nothing of that epoch: start it again to follow it).

use std::path::PathBuf;

use seqcast::core::{Event, NodeId};
use seqcast::net::cluster::Cluster;
use seqcast::net::{FollowerNode, Stopped};

// Errors as their messages say them (a `main` that returns one prints its
// Debug form).
fn main() -> std::process::ExitCode {
    let Err(e) = run() else { return std::process::ExitCode::SUCCESS };
    eprintln!("error: {e}");
    std::process::ExitCode::FAILURE
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = PathBuf::from(args.next().ok_or("usage: follower CLUSTER_FILE NODE_ID")?);
    let id = NodeId(args.next().ok_or("usage: follower CLUSTER_FILE NODE_ID")?.parse()?);
    // The cluster file, as this node sees it: the protocol settings, the
    // group, and this node's address (where the leader sends repairs).
    let cluster = Cluster::load(&file, Some(id))?;
    let listed = cluster.nodes.len();
    let listen =
        cluster.node(id).ok_or_else(|| format!("node {id} is not in the cluster file ({listed} node.N listed)"))?;
    let tuning = cluster.tuning()?;
    // A journal if the cluster file asks for one (every node of a cluster
    // keeps one, at one sync level): it recovers and resumes it.
    let journal = cluster.journal_options(id);
    let mut node = FollowerNode::bind(cluster.config, id, listen, &cluster.multicast, &tuning, journal.as_ref())?;
    seqcast::net::catch_stop_signals()?;
    let mut delivered = 0u64;
    let why = node.run(
        &seqcast::net::stop_requested,
        // The callback: events come in sequence order, each exactly once.
        |event| match event {
            Event::Deliver(e) => {
                delivered += 1;
                if delivered % 100_000 == 1 {
                    println!(
                        "seq {} from client {}: {} bytes",
                        e.header.seq.get(),
                        e.header.client.get(),
                        e.payload.len()
                    );
                }
            }
            Event::Lost { first, end } => println!("lost {first}..{end}: they left the leader's ring"),
            // Nothing of the new epoch is taken: `run` returns.
            Event::LeaderRestarted { old, new, .. } => {
                println!("the leader restarted: epoch {old} → {new}; start this follower again to follow it")
            }
        },
        |_, _| {},
    )?;
    println!("delivered {delivered}; digest {}", node.digest());
    // Anything but a stop this program asked for: the node can take no more.
    match why {
        Stopped::Asked => Ok(()),
        why => Err(why.to_string().into()),
    }
}
