//! seqcast: a leader-based event sequencer over UDP multicast for a LAN.
//!
//! One leader (the sequencer) gives every event a place in one total order and
//! multicasts it in batches; followers deliver events strictly in that order,
//! repair loss with unicast NAKs, and acknowledge what they hold; an event is
//! *committed* once a quorum holds it, and its client is told.
//!
//! ```text
//!             wire/        fixed-layout frames: parse & emit bytes, nothing else
//!               ^
//!             core/        Leader, Follower, Client state machines: no sockets, no clock
//!               ^     ^
//!           net/      sim/  net: socket2 + mio poll loop.  sim: seeded virtual network
//!               ^
//!        bin/, tools/, bench/   command line, load generator, benchmarks
//! ```
//!
//! What the crate leaves to the caller: it keeps events in memory only (a
//! follower that restarts catches up from what the leader's ring still holds,
//! and is told explicitly of anything older); it does not elect a new leader
//! when the leader dies; and the wire is not authenticated — run it on a
//! network you trust.
//!
//! The wire format is specified in [`wire`] (also `docs/PROTOCOL.md`).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod cluster;
pub mod core;
pub mod load;
pub mod net;
pub mod report;
pub mod sim;
pub mod wire;
