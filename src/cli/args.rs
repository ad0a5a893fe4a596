//! Argument groups shared by the subcommands and the load generator, and how
//! they resolve: built-in defaults, then the cluster file, then flags.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cluster::ClusterFile;
use crate::core::{Config, Deliver, NodeId};
use crate::net::{Clock, Idle, Multicast, Tuning};

/// Port the leader listens on when nothing says otherwise.
pub const LEADER_PORT: u16 = 7401;

/// Who the cluster is and where it multicasts.
#[derive(Clone, Debug, Default, Args)]
pub struct ClusterArgs {
    /// Cluster file shared by every node (see the README); flags override it.
    #[arg(long, value_name = "FILE")]
    pub cluster: Option<PathBuf>,
    /// Cluster id: nodes drop frames of other clusters [default: 1].
    #[arg(long, value_name = "ID")]
    pub cluster_id: Option<u32>,
    /// Nodes in the cluster, leader included [default: the cluster file's, else 3].
    #[arg(long, value_name = "N")]
    pub nodes: Option<u16>,
    /// Nodes that must hold an event to commit it, the leader counted; with
    /// 2 or fewer and no failover a follower knows what it holds is
    /// committed, and the leader sends no commit heartbeat first [default: a
    /// majority].
    #[arg(long, value_name = "N")]
    pub quorum: Option<u16>,
    /// Node id of the leader [default: 0].
    #[arg(long, value_name = "ID")]
    pub leader_id: Option<u16>,
    /// Multicast group and port [default: 239.255.0.1:7400].
    #[arg(long, value_name = "IP:PORT")]
    pub group: Option<SocketAddrV4>,
    /// Address of the local interface to multicast on [default: this node's
    /// address in the cluster file, else 127.0.0.1].
    #[arg(long, value_name = "IP")]
    pub interface: Option<Ipv4Addr>,
    /// Multicast TTL: 0 stays on this host, 1 crosses one LAN segment [default: 0].
    #[arg(long, value_name = "N")]
    pub ttl: Option<u32>,
    /// Largest datagram, bytes [default: 1472, Ethernet's UDP payload].
    #[arg(long, value_name = "BYTES")]
    pub mtu: Option<usize>,
    /// Largest event payload, bytes [default: 256].
    #[arg(long, value_name = "BYTES")]
    pub payload_max: Option<usize>,
}

/// A cluster as a node sees it.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The protocol configuration.
    pub config: Config,
    /// The group, interface and TTL.
    pub multicast: Multicast,
    /// Node addresses from the cluster file (may be empty).
    pub nodes: Vec<SocketAddrV4>,
}

impl ClusterArgs {
    /// Resolves the cluster for node `me` (None for a client).
    pub fn resolve(&self, me: Option<NodeId>) -> Result<Resolved, String> {
        let file = match &self.cluster {
            Some(path) => ClusterFile::read(path).map_err(|e| e.to_string())?,
            None => ClusterFile::default(),
        };
        let from_file = file.nodes.len() as u16;
        let nodes = match (self.nodes, from_file) {
            (Some(n), f) if f != 0 && n != f => {
                return Err(format!("--nodes {n} disagrees with the cluster file, which names {f} nodes"));
            }
            (Some(n), _) => n,
            (None, 0) => 3,
            (None, f) => f,
        };
        let defaults = Config::default();
        let config = Config {
            cluster_id: self.cluster_id.or(file.cluster_id).unwrap_or(defaults.cluster_id),
            nodes,
            leader: NodeId(self.leader_id.or(file.leader).unwrap_or(0)),
            quorum: self.quorum.or(file.quorum).unwrap_or(0),
            mtu: self.mtu.or(file.mtu).unwrap_or(defaults.mtu),
            payload_max: self.payload_max.or(file.payload_max).unwrap_or(defaults.payload_max),
            ..defaults
        };
        config.validate().map_err(|e| e.to_string())?;
        let own = me.and_then(|id| file.nodes.get(id.index())).map(|a| *a.ip()).filter(|ip| !ip.is_unspecified());
        let multicast = Multicast {
            group: self.group.or(file.group).unwrap_or(Multicast::default().group),
            interface: self.interface.or(file.interface).or(own).unwrap_or(Ipv4Addr::LOCALHOST),
            ttl: self.ttl.or(file.ttl).unwrap_or(0),
        };
        multicast.validate().map_err(|e| e.to_string())?;
        Ok(Resolved { config, multicast, nodes: file.nodes })
    }
}

impl Resolved {
    /// Node `id`'s address from the cluster file, if it names one.
    pub fn node(&self, id: NodeId) -> Option<SocketAddrV4> {
        self.nodes.get(id.index()).copied()
    }

    /// Where the leader listens: the cluster file's leader node, else the
    /// interface on [`LEADER_PORT`].
    pub fn leader_addr(&self) -> SocketAddrV4 {
        self.node(self.config.leader).unwrap_or(SocketAddrV4::new(self.multicast.interface, LEADER_PORT))
    }
}

/// How a process waits and what clock it reads.
#[derive(Clone, Debug, Args)]
pub struct TuningArgs {
    /// Idle strategy: block (sleep in epoll: least CPU), yield (shares a
    /// core), spin (a core per node: lowest latency with enough cores).
    #[arg(long, value_enum, default_value_t = IdleArg::Block)]
    pub idle: IdleArg,
    /// Pin the node's thread to this CPU.
    #[arg(long, value_name = "CPU")]
    pub pin: Option<usize>,
    /// Clock for stamps and timers: monotonic (one host), or realtime
    /// (across hosts with synchronised clocks).
    #[arg(long, value_enum, default_value_t = ClockArg::Monotonic)]
    pub clock: ClockArg,
    /// Socket send and receive buffers, bytes (capped by net.core.rmem_max).
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    pub buffer: usize,
}

/// `--idle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IdleArg {
    /// Sleep in epoll until input or a timer.
    Block,
    /// Yield the core between turns.
    Yield,
    /// Never sleep.
    Spin,
}

/// `--clock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// CLOCK_MONOTONIC.
    Monotonic,
    /// CLOCK_REALTIME.
    Realtime,
}

impl TuningArgs {
    /// The tuning these flags ask for.
    pub fn tuning(&self) -> Tuning {
        Tuning {
            idle: match self.idle {
                IdleArg::Block => Idle::Block,
                IdleArg::Yield => Idle::Yield,
                IdleArg::Spin => Idle::Spin,
            },
            pin_cpu: self.pin,
            clock: match self.clock {
                ClockArg::Monotonic => Clock::Monotonic,
                ClockArg::Realtime => Clock::Realtime,
            },
            buffer_bytes: self.buffer,
        }
    }
}

/// `--deliver`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeliverArg {
    /// Once a quorum holds the event (never rolled back).
    Commit,
    /// As soon as it is in order (lower latency).
    Receive,
}

impl From<DeliverArg> for Deliver {
    fn from(arg: DeliverArg) -> Deliver {
        match arg {
            DeliverArg::Commit => Deliver::OnCommit,
            DeliverArg::Receive => Deliver::OnReceive,
        }
    }
}

/// Where a process writes its report.
#[derive(Clone, Debug, Args)]
pub struct OutputArgs {
    /// Directory for the latency histograms written on exit (read them back
    /// with `seqcast report`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// No status line each second.
    #[arg(long)]
    pub quiet: bool,
}
