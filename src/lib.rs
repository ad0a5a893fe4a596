//! seqcast: a leader-based event sequencer over UDP multicast for a LAN.
//!
//! One leader (the sequencer) gives every event a place in one total order and
//! multicasts it in batches; followers deliver events strictly in that order,
//! repair loss with unicast NAKs, and acknowledge what they hold; an event is
//! *committed* once a quorum holds it, and its client is told.
//!
//! ```text
//!   types.rs     Seq, Epoch, NodeId, ClientId, Claim, NodeSet: the vocabulary of all below
//!      ^
//!   wire/        fixed-layout frames: parse & emit bytes, nothing else
//!      ^          ^
//!   core/        journal/    core: Leader, Follower, Client, Member (+ Election): no sockets, no clock, no files
//!      ^     ^      ^        journal: segment files (format, recovery, reads), beside the core
//!   net/     sim/            net: socket2 + mio poll loop, cluster file, histograms.  sim: seeded virtual network
//!      ^
//!   internal/    the load generator's engine, shared by the binaries and the benchmark
//!      ^
//!   src/main.rs + src/cli/ (the `seqcast` binary), tools/ (`seqcast-loadgen`), bench/
//! ```
//!
//! ## What is stable, what is not
//!
//! The public surface an embedder can rely on is [`core`] (with the
//! [`types`] it re-exports), [`wire`], [`journal`], [`net`], [`auth`] (keys) and [`sim`]. [`internal`] is
//! public only so that the binaries and the benchmark can share it, and may
//! change in any release (rustls keeps an `internal` module for the same
//! reason). The command line lives in the binaries, not here: with default
//! features off (`default-features = false`) the library pulls in no clap.
//!
//! ## What it leaves to the caller
//!
//! Without a journal it keeps events in memory only (a follower that
//! restarts catches up from what the leader's ring still holds, and is told
//! explicitly of anything older). With one ([`journal`], driven by
//! [`net`]'s nodes; the core only hands records out and is told what became
//! durable), the sequencer and its followers keep their log on disk, serve
//! history from it and resume it after a restart. A new leader is elected
//! only among `Member`s (`seqcast member`, failover on), which journal too
//! and resume their journal, voting with what it holds
//! ([`core::Member::resume_member`]); a member without one restarts empty,
//! with `--rejoin` (one restarted without it votes with an empty log).
//! Frames are authenticated by the drivers ([`auth`], a cluster key file);
//! the core trusts what they hand it.
//!
//! The wire format is specified in [`wire`] (also `docs/PROTOCOL.md`).
//!
//! ## Embedding a node
//!
//! To run one in a service rather than drive a state machine by hand:
//! [`net::cluster::Cluster::load`] reads a cluster file;
//! [`net::ClientNode`] submits events and says which committed (give each
//! run its own [`core::ClientId::fresh`]); [`net::FollowerNode`] delivers
//! them in order ([`net::FollowerNode::observe`] is `seqcast tail`, a
//! read-only subscriber from any sequence); [`net::LeaderNode`] is the
//! sequencer (an epoch newer than its last run's: [`net::fresh_epoch`]);
//! [`net::MemberNode`] is a member of a cluster with failover, which leads
//! or follows as elections decide
//! ([`net::cluster::Cluster::member_config`] gives its configuration);
//! [`net::metrics`] serves any node's counters to Prometheus and to
//! `seqcast stat`.
//! `examples/client.rs`, `examples/follower.rs`, `examples/member.rs` and
//! `examples/tail.rs` run each against a cluster started with the
//! `seqcast` binary. A node's
//! wait has no deadline of its own: a client whose leader is gone, stopped,
//! of another cluster id or short of a quorum hears nothing back, so give
//! its wait for a commit a deadline of yours (the examples take 10 s).
//! A node's `run` returns [`net::Stopped`]: anything but `Asked` is a node
//! that can take nothing more of its cluster (a leader restarted without
//! its history, a follower acknowledging a log its leader never gave).
//!
//! A sequencer, a follower and a client in one process, on loopback:
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::time::{Duration, Instant};
//! use seqcast::core::{ClientId, Config, Event, NodeId};
//! use seqcast::net::{ClientNode, FollowerNode, LeaderNode, Multicast, Stopped, Tuning};
//!
//! // Leader 0 and follower 1 (quorum 2), on a group and port of their own.
//! let config = Config { nodes: 2, quorum: 2, ..Config::default() };
//! let multicast = Multicast { group: "239.255.41.7:7447".parse()?, ..Multicast::default() };
//! let (any_port, tuning) = (SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), Tuning::default());
//! let mut leader = LeaderNode::bind(config.clone(), any_port, &multicast, &tuning, None)?;
//! let mut follower = FollowerNode::bind(config.clone(), NodeId(1), any_port, &multicast, &tuning, None)?;
//! let SocketAddr::V4(leader_at) = leader.local_addr()? else { unreachable!("bound to IPv4") };
//! let mut client = ClientNode::connect(config, ClientId::fresh(), leader_at, &multicast, &tuning)?;
//!
//! let stop = AtomicBool::new(false);
//! let stopped = || stop.load(Ordering::Relaxed);
//! std::thread::scope(|scope| -> Result<(), Box<dyn std::error::Error>> {
//!     let leading = scope.spawn(|| leader.run(&stopped, |_, _| {}));
//!     let following = scope.spawn(|| {
//!         let on_event = |event: &Event<'_>| {
//!             if let Event::Deliver(e) = event {
//!                 println!("seq {}: {:?}", e.header.seq.get(), e.payload);
//!             }
//!         };
//!         follower.run(&stopped, on_event, |_, _| {})
//!     });
//!     let request = client.submit(b"hello")?;
//!     let deadline = Instant::now() + Duration::from_secs(10);
//!     let committed = loop {
//!         client.poll();
//!         if let Some(committed) = client.committed() {
//!             break committed;
//!         }
//!         assert!(Instant::now() < deadline, "nothing committed in 10 s");
//!         client.wait_for(Duration::from_millis(10))?;
//!     };
//!     println!("request {request} committed at seq {}", committed.seq);
//!     stop.store(true, Ordering::Relaxed);
//!     assert_eq!(leading.join().expect("leader thread")?, Stopped::Asked);
//!     assert_eq!(following.join().expect("follower thread")?, Stopped::Asked);
//!     Ok(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The protocol is pure state machines that take bytes and time and hand
//! back bytes to send: any event loop can drive them. One event, by hand:
//!
//! ```
//! use seqcast::core::{Client, ClientId, Config, Dest, Event, Follower, Leader, NodeId, Seq};
//!
//! let config = Config::default(); // 3 nodes: leader 0, followers 1 and 2, quorum 2, no failover
//! let leader_addr = "127.0.0.1:7401".parse()?;
//! let (follower_addr, client_addr) = ("127.0.0.1:7402".parse()?, "127.0.0.1:9000".parse()?);
//! let mut leader = Leader::new(config.clone(), 0)?;
//! let mut follower = Follower::new(config.clone(), NodeId(1), 0)?;
//! let mut client = Client::new(config, ClientId(42), leader_addr)?;
//! let mut buf = vec![0; 1472];
//!
//! client.submit(b"hello")?;
//! let submit = client.poll_transmit(0, &mut buf).unwrap();
//! leader.handle_datagram(10, client_addr, &buf[..submit.len]);
//!
//! let data = leader.poll_transmit(20, &mut buf).unwrap(); // seq 1 to the group
//! assert_eq!(data.dest, Dest::Group);
//! follower.handle_datagram(30, leader_addr, &buf[..data.len]);
//! // The leader and follower 1 hold seq 1: a quorum of 2, so it is committed,
//! // and the follower, which knows it, delivers before it ACKs.
//! let Some(Event::Deliver(event)) = follower.poll_event() else { panic!("not delivered") };
//! assert_eq!((event.header.seq.get(), event.payload), (1, &b"hello"[..]));
//!
//! let ack = follower.poll_transmit(40, &mut buf).unwrap();
//! leader.handle_datagram(50, follower_addr, &buf[..ack.len]);
//! assert_eq!(leader.commit(), Seq(1)); // the leader learns it from the ACK
//!
//! let notice = leader.poll_transmit(60, &mut buf).unwrap(); // the client's COMMIT
//! client.handle_datagram(90, leader_addr, &buf[..notice.len]);
//! assert_eq!(client.poll_event().map(|c| (c.request, c.seq)), Some((1, Seq(1))));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// An invariant a machine relies on (TigerBeetle's habit): checked in debug
/// builds and in every unit test and simulator run, `--release` included
/// (`cfg!(test)`), and compiled out of the release library and binaries.
macro_rules! invariant {
    ($($arg:tt)*) => {
        if cfg!(any(debug_assertions, test)) {
            assert!($($arg)*);
        }
    };
}

pub mod auth;
mod conf;
pub mod core;
pub mod internal;
pub mod journal;
pub mod net;
pub mod sim;
mod sys;
pub mod types;
pub mod wire;
