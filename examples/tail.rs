//! Late join and replay as a library: a read-only subscriber that reads the
//! log from a sequence on (from the leader's journal once it left the ring)
//! and then follows it live, with no gap and no duplicate. What `seqcast
//! tail` does. Run a journaled cluster first, then:
//!
//! ```sh
//! cargo run --release --example tail -- cluster.conf 1
//! ```

use std::net::SocketAddrV4;
use std::path::PathBuf;

use seqcast::core::{Event, Seq};
use seqcast::net::cluster::Cluster;
use seqcast::net::{FollowerNode, Tuning};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = PathBuf::from(args.next().ok_or("usage: tail CLUSTER_FILE FROM_SEQ")?);
    let from = Seq(args.next().ok_or("usage: tail CLUSTER_FILE FROM_SEQ")?.parse()?);
    let mut cluster = Cluster::load(&file, None)?;
    cluster.config.epoch = seqcast::core::Epoch::ZERO;
    let keys = cluster.key_file.as_deref().map(seqcast::auth::Keys::read).transpose()?;
    let tuning = Tuning { keys, ..Tuning::default() };
    // Any local port: an observer is no member, and its repairs come here.
    let listen = SocketAddrV4::new(cluster.multicast.interface, 0);
    let mut node = FollowerNode::observe(cluster.config, listen, &cluster.multicast, &tuning, from)?;
    seqcast::net::catch_stop_signals()?;
    node.run(
        &seqcast::net::stop_requested,
        |event| {
            if let Event::Deliver(e) = event {
                println!("{} {}", e.header.seq.get(), String::from_utf8_lossy(e.payload));
            }
        },
        |_, _| {},
    )?;
    Ok(())
}
