//! Late join and replay as a library: a read-only subscriber that reads the
//! log from a sequence on (from the leader's journal once it left the ring)
//! and then follows it live, with no gap and no duplicate. What `seqcast
//! tail` does. Run a journaled cluster first, then:
//!
//! ```sh
//! cargo run --release --example tail -- cluster.conf 1
//! ```
//!
//! For a cluster of `seqcast member`s, which elect their leader, add
//! `failover` (as `seqcast tail --failover`): it then follows each newly
//! elected leader; without it takes the cluster file's leader only.

use std::net::SocketAddrV4;
use std::path::PathBuf;

use seqcast::core::{Event, Seq};
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
    let usage = "usage: tail CLUSTER_FILE FROM_SEQ [failover]";
    let file = PathBuf::from(args.next().ok_or(usage)?);
    let from = Seq(args.next().ok_or(usage)?.parse()?);
    let failover = match args.next().as_deref() {
        None => false,
        Some("failover") => true,
        Some(_) => return Err(usage.into()),
    };
    let cluster = Cluster::load(&file, None)?;
    let tuning = cluster.tuning()?;
    // Any local port: an observer is no member, and its repairs come here.
    let listen = SocketAddrV4::new(cluster.multicast.interface, 0);
    let config = cluster.observer_config(failover);
    let mut node = FollowerNode::observe(config, listen, &cluster.multicast, &tuning, from)?;
    seqcast::net::catch_stop_signals()?;
    let why = node.run(
        &seqcast::net::stop_requested,
        |event| match event {
            // One line an event: bytes outside printable ASCII (a newline
            // among them) escaped, as `\n` or `\xff`.
            Event::Deliver(e) => println!("{} {}", e.header.seq.get(), e.payload.escape_ascii()),
            // Gone from the leader's ring and journal (retention): said, never skipped silently.
            Event::Lost { first, end } => eprintln!("lost {first}..{end}"),
            // A leader that restarted without the log read so far (or, with
            // failover, one elected without it): nothing of it is taken, and
            // `run` returns `Stopped::LeaderRestarted`.
            Event::LeaderRestarted { old, new, .. } => {
                eprintln!("the leader restarted: epoch {old} → {new}; start the tail again to read it")
            }
        },
        |_, _| {},
    )?;
    match why {
        Stopped::Asked => Ok(()),
        why => Err(why.to_string().into()),
    }
}
