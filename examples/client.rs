//! A client embedded in a service: submits events and waits until each is
//! committed, learning its sequence number. Run a sequencer and followers
//! first, then:
//!
//! ```sh
//! cargo run --release --example client -- cluster.conf 1000
//! cargo run --release --example client -- cluster.conf 1000 --failover   # members of a failover cluster
//! ```

use std::path::PathBuf;

use seqcast::core::{ClientId, SubmitError};
use seqcast::net::ClientNode;
use seqcast::net::cluster::Cluster;

// Errors as their messages say them (a `main` that returns one prints its
// Debug form).
fn main() -> std::process::ExitCode {
    let Err(e) = run() else { return std::process::ExitCode::SUCCESS };
    eprintln!("error: {e}");
    std::process::ExitCode::FAILURE
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: client CLUSTER_FILE COUNT [--failover]";
    let file = PathBuf::from(args.next().ok_or(usage)?);
    let count: u64 = args.next().ok_or(usage)?.parse()?;
    let failover = match args.next().as_deref() {
        None => false,
        Some("--failover") => true,
        Some(_) => return Err(usage.into()),
    };
    let cluster = Cluster::load(&file, None)?;
    let tuning = cluster.tuning()?;
    // One id per incarnation: requests number from 1 under it, and a
    // leader that remembers an id takes a reused one's requests for
    // duplicates (and says so, BUSY reason 8, while it can tell). A process id repeats across runs (in a container, every
    // run); a fresh id does not.
    let id = ClientId::fresh();
    let mut node = if failover {
        // Every member from the cluster file; it listens to the group for
        // the leader first, and follows it through elections.
        ClientNode::connect_failover(cluster.config, id, &cluster.nodes, &cluster.multicast, &tuning)?
    } else {
        let leader = cluster.leader_addr();
        ClientNode::connect(cluster.config, id, leader, &cluster.multicast, &tuning)?
    };
    let (mut submitted, mut committed) = (0u64, 0u64);
    let began = node.now();
    while committed < count {
        // Submit while the client's window has room; the rest waits.
        while submitted < count {
            let event = format!("event {submitted}");
            match node.submit(event.as_bytes()) {
                Ok(_) => submitted += 1,
                Err(SubmitError::Full) => break,
                Err(e) => return Err(e.to_string().into()),
            }
        }
        let now = node.poll();
        while let Some(done) = node.committed() {
            committed += 1;
            if done.request == 1 || done.request == count {
                println!("request {} committed at sequence {}", done.request, done.seq);
            }
        }
        if let Some((old, new)) = node.client().leader_restarted() {
            // What the old leader had not confirmed may or may not have committed.
            return Err(
                format!("in doubt after {committed} commits: the leader restarted (epoch {old} → {new})").into()
            );
        }
        if let Some(request) = node.client().id_in_use() {
            // Never with a fresh id; with one chosen by hand, a sign that
            // two processes share it.
            return Err(format!(
                "client id {} is in use: the leader holds another event for request {request}",
                id.get()
            )
            .into());
        }
        if let Some(request) = node.client().refused() {
            // Over the leader's payload_max: it and every later request stay pending.
            return Err(
                format!("the leader refused request {request} for good: its payload is over its payload_max").into()
            );
        }
        if let Some((asked, leader)) = node.client().not_leader() {
            // Without failover it sends to one node only.
            return Err(format!("node {asked} does not lead: node {leader} does; point the client at it").into());
        }
        if now > began + 10_000_000_000 {
            return Err(format!(
                "only {committed} of {count} committed in 10 s: is a quorum up? The {} submitted and \
                 not confirmed are in doubt: they may still commit once it is",
                submitted - committed
            )
            .into());
        }
        // At most a millisecond: the loop looks at the clock again.
        node.wait_for(std::time::Duration::from_millis(1))?;
    }
    println!("{committed} events committed in {:.3} s", (node.now() - began) as f64 / 1e9);
    Ok(())
}
