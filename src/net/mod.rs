//! Real nodes: the core state machines driven by UDP sockets in a mio poll
//! loop. The only module that touches sockets or reads a clock.

pub mod cluster;
mod driver;
pub mod metrics;
mod node;
pub mod report;
mod socket;
mod storage;

pub use crate::sys::{
    Clock, catch_stop_signals, end_on_closed_pipe, interface_addr, is_local_addr, pin_to_cpu, stop_requested, unpin,
};
pub use driver::{Driver, DriverStats, Idle, Machine, RECV_PER_TURN};
pub use node::{
    ClientNode, Digest, FollowerNode, LEADER_LISTEN, LeaderNode, MemberNode, MemberSeen, Stopped, Tuning, fresh_epoch,
    leader_heard, members_heard,
};
pub use socket::{Multicast, group_receiver, route_source, unicast};

use core::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::core::ConfigError;

/// Why a node could not start.
#[derive(Debug)]
pub enum NetError {
    /// The cluster configuration is inconsistent.
    Config(ConfigError),
    /// The group address is not an IPv4 multicast address.
    NotMulticast(Ipv4Addr),
    /// An address could not be bound (in use, or not local).
    Bind(SocketAddrV4, io::Error),
    /// The interface address is not usable for multicast on this host.
    Interface(Ipv4Addr, io::Error),
    /// Any other system error.
    Io(io::Error),
    /// The journal cannot be opened or written.
    Journal(crate::journal::JournalError),
    /// The journal cannot be resumed (a leader's with a gap or a corrupt
    /// record, an epoch not newer than its own): why, with the directory.
    JournalResume(String),
    /// A setting out of its range or at odds with another (the group, the
    /// TTL, an MTU with no room for the keys' tag, a key file of another
    /// client, journal options of another node): the setting, and why.
    Setting(&'static str, String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Config(e) => write!(f, "bad configuration: {e}"),
            NetError::NotMulticast(ip) => {
                write!(f, "group {ip} is not a multicast address (use one in 239.255.0.0/16)")
            }
            NetError::Bind(addr, e) if e.kind() == io::ErrorKind::AddrInUse => {
                write!(
                    f,
                    "cannot bind {addr}: the port is in use by another socket (a node already running with this \
                     address? `seqcast stat` lists this host's)"
                )
            }
            NetError::Bind(addr, e) if e.kind() == io::ErrorKind::AddrNotAvailable => {
                write!(f, "cannot bind {addr}: {} is not an address of this host", addr.ip())
            }
            NetError::Bind(addr, e) => write!(f, "cannot bind {addr}: {e}"),
            NetError::Interface(ip, e) => {
                write!(f, "interface {ip} cannot be used for multicast (is it an address of this host?): {e}")
            }
            NetError::Io(e) => write!(f, "{e}"),
            NetError::Journal(e) => write!(f, "{e}"),
            NetError::JournalResume(why) => write!(f, "{why}"),
            NetError::Setting(name, why) => write!(f, "{name}: {why}"),
        }
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NetError::Config(e) => Some(e),
            NetError::Bind(_, e) | NetError::Interface(_, e) | NetError::Io(e) => Some(e),
            NetError::Journal(e) => Some(e),
            NetError::NotMulticast(_) | NetError::JournalResume(_) | NetError::Setting(..) => None,
        }
    }
}

impl From<ConfigError> for NetError {
    fn from(e: ConfigError) -> NetError {
        NetError::Config(e)
    }
}

impl From<io::Error> for NetError {
    fn from(e: io::Error) -> NetError {
        NetError::Io(e)
    }
}
