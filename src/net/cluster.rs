//! The cluster file: one small text file that every node of a cluster
//! shares, so they agree on ids, addresses, group and quorum; and how it
//! resolves into what a node runs with (built-in defaults, then the file,
//! then [`Overrides`] such as command-line flags). No clap here: an
//! embedder loads a cluster with [`Cluster::load`].
//!
//! ```text
//! # seqcast cluster file
//! cluster_id = 7
//! group      = 239.255.0.1:7400   # multicast group and port
//! ttl        = 1                  # 0: this host only; 1: this LAN segment
//! quorum     = 2                  # optional; a majority by default
//! leader     = 0                  # optional; node 0 by default
//! node.0     = 198.18.0.1:7401    # each node's own address: where it listens,
//! node.1     = 198.18.0.2:7401    # and, unless `interface` says otherwise,
//! node.2     = 198.18.0.3:7401    # the interface it multicasts on
//! ```

use core::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};

use super::{Multicast, NetError};
use crate::core::{Config, ConfigError, NodeId};

/// Port the leader listens on when nothing says otherwise.
pub const LEADER_PORT: u16 = 7401;

/// The settings a cluster file may give and flags may override; `None`
/// leaves the setting to whatever comes next (the file, then the default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `cluster_id` [default: 1].
    pub cluster_id: Option<u32>,
    /// `group`: multicast group and port [default: 239.255.0.1:7400].
    pub group: Option<SocketAddrV4>,
    /// `interface`: the same for every node (only sensible on one host)
    /// [default: the node's own address in the file; for a client or a
    /// tool, the address this host reaches the file's leader from (see
    /// [`route_source`](super::route_source)); else 127.0.0.1].
    pub interface: Option<Ipv4Addr>,
    /// `ttl` [default: 0, this host only].
    pub ttl: Option<u32>,
    /// `quorum` [default: a majority].
    pub quorum: Option<u16>,
    /// `leader`: the leader's node id [default: 0].
    pub leader: Option<u16>,
    /// `mtu` [default: 1472].
    pub mtu: Option<usize>,
    /// `payload_max` [default: 256].
    pub payload_max: Option<usize>,
    /// `journal`: the directory under which each node keeps its journal,
    /// in `node-<id>` [default: none, the log is memory only].
    pub journal: Option<PathBuf>,
    /// `key_file`: the keys that seal and open every datagram (DESIGN §9)
    /// [default: none].
    pub key_file: Option<PathBuf>,
    /// `history_rate`: bytes a second, at most, of history a node that
    /// leads serves from its journal (`JournalOptions::history_rate`)
    /// [default: no cap].
    pub history_rate: Option<u64>,
    /// `sync`: `none` or `batch`, what a journaled node's ACK waits for
    /// (`JournalOptions::sync`), the same for every node [default: batch].
    pub sync: Option<crate::journal::SyncLevel>,
    /// `retain_bytes`: each node deletes whole old segments of its journal
    /// while it holds more bytes than this (`JournalOptions::retain_bytes`)
    /// [default: none deleted].
    pub retain_bytes: Option<u64>,
    /// `retain_events`: each node deletes whole old segments of its
    /// journal while the rest holds this many events
    /// (`JournalOptions::retain_events`) [default: none deleted].
    pub retain_events: Option<u64>,
    /// `election_timeout_ms`: the leader's silence before a member stands,
    /// and before a client with failover turns to another member
    /// (`Config::election_timeout_ns`) [default: 20].
    pub election_timeout_ms: Option<u64>,
}

impl Settings {
    /// Each setting of `self`, else of `below`.
    pub fn or(&self, below: &Settings) -> Settings {
        Settings {
            cluster_id: self.cluster_id.or(below.cluster_id),
            group: self.group.or(below.group),
            interface: self.interface.or(below.interface),
            ttl: self.ttl.or(below.ttl),
            quorum: self.quorum.or(below.quorum),
            leader: self.leader.or(below.leader),
            mtu: self.mtu.or(below.mtu),
            payload_max: self.payload_max.or(below.payload_max),
            journal: self.journal.clone().or_else(|| below.journal.clone()),
            key_file: self.key_file.clone().or_else(|| below.key_file.clone()),
            history_rate: self.history_rate.or(below.history_rate),
            sync: self.sync.or(below.sync),
            retain_bytes: self.retain_bytes.or(below.retain_bytes),
            retain_events: self.retain_events.or(below.retain_events),
            election_timeout_ms: self.election_timeout_ms.or(below.election_timeout_ms),
        }
    }
}

/// The longest `election_timeout_ms` (and `--election-timeout-ms`): a
/// minute.
pub const ELECTION_TIMEOUT_MS_MAX: u64 = 60_000;

/// The least `history_rate` (and `--history-rate`): 64 KiB a second.
pub const HISTORY_RATE_MIN: u64 = 65_536;

/// A parsed cluster file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterFile {
    /// The settings it gives.
    pub settings: Settings,
    /// `node.N`, in id order, ids 0..n without holes.
    pub nodes: Vec<SocketAddrV4>,
    /// Where it was read from, and the line of each key: errors found when
    /// it is resolved name the line that gave the value.
    path: Option<PathBuf>,
    lines: Vec<(String, usize)>,
}

/// A line of a cluster file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterFileError {
    /// 1-based line number (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ClusterFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.message),
            n => write!(f, "line {n}: {}", self.message),
        }
    }
}

impl std::error::Error for ClusterFileError {}

/// `IP:PORT`, or `HOST:PORT` resolved to the host's first IPv4 address
/// (what a cluster file's `node.N` and the command line's addresses take).
pub fn host_port(text: &str) -> Result<SocketAddrV4, String> {
    use std::net::{SocketAddr, ToSocketAddrs};
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let found = text.to_socket_addrs().map_err(|e| format!("not IP:PORT, nor a host name and port ({e})"))?;
    found
        .into_iter()
        .find_map(|a| if let SocketAddr::V4(v4) = a { Some(v4) } else { None })
        .ok_or_else(|| format!("{text}: the host has no IPv4 address"))
}

fn value<T: std::str::FromStr>(key: &str, text: &str, line: usize) -> Result<T, ClusterFileError>
where
    T::Err: fmt::Display,
{
    text.parse().map_err(|e| ClusterFileError { line, message: format!("{key} = {text:?}: {e}") })
}

impl ClusterFile {
    /// Parses the text of a cluster file.
    pub fn parse(text: &str) -> Result<ClusterFile, ClusterFileError> {
        let mut file = ClusterFile::default();
        let mut nodes: Vec<(u16, SocketAddrV4, usize)> = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        for entry in crate::conf::key_values(text) {
            let (line, key, text) = entry.map_err(|(line, message)| ClusterFileError { line, message })?;
            if let Some((_, first)) = seen.iter().find(|(k, _)| k == key) {
                return Err(ClusterFileError {
                    line,
                    message: format!("{key} is given twice (first on line {first})"),
                });
            }
            seen.push((key.to_string(), line));
            match key {
                "cluster_id" => file.settings.cluster_id = Some(value(key, text, line)?),
                "group" => {
                    let group = text.parse().map_err(|e| ClusterFileError {
                        line,
                        message: format!("group = {text:?}: not a group IP:PORT, as 239.255.0.1:7400 ({e})"),
                    })?;
                    file.settings.group = Some(group);
                }
                "interface" => {
                    // An address, or an interface's name (`eth0`).
                    let named = || crate::sys::interface_addr(text).ok().flatten();
                    let ip = value(key, text, line).or_else(|e| named().ok_or(e))?;
                    file.settings.interface = Some(ip);
                }
                "ttl" => file.settings.ttl = Some(value(key, text, line)?),
                "quorum" => file.settings.quorum = Some(value(key, text, line)?),
                "leader" => file.settings.leader = Some(value(key, text, line)?),
                "mtu" => file.settings.mtu = Some(value(key, text, line)?),
                "payload_max" => file.settings.payload_max = Some(value(key, text, line)?),
                "journal" | "key_file" if text.is_empty() => {
                    return Err(ClusterFileError { line, message: format!("{key} is empty: give a path") });
                }
                "journal" => file.settings.journal = Some(PathBuf::from(text)),
                "history_rate" => {
                    let rate: u64 = value(key, text, line)?;
                    if rate < HISTORY_RATE_MIN {
                        let message = format!("{key} = {rate}: below the least allowed, {HISTORY_RATE_MIN}");
                        return Err(ClusterFileError { line, message });
                    }
                    file.settings.history_rate = Some(rate);
                }
                "key_file" => file.settings.key_file = Some(PathBuf::from(text)),
                "retain_bytes" | "retain_events" => {
                    let kept: u64 = value(key, text, line)?;
                    if kept == 0 {
                        let message = format!("{key} = 0: at least 1 (to keep every segment, leave it out)");
                        return Err(ClusterFileError { line, message });
                    }
                    match key {
                        "retain_bytes" => file.settings.retain_bytes = Some(kept),
                        _ => file.settings.retain_events = Some(kept),
                    }
                }
                "election_timeout_ms" => {
                    let ms: u64 = value(key, text, line)?;
                    if !(1..=ELECTION_TIMEOUT_MS_MAX).contains(&ms) {
                        let message = format!("{key} = {ms}: from 1 to {ELECTION_TIMEOUT_MS_MAX} ms");
                        return Err(ClusterFileError { line, message });
                    }
                    file.settings.election_timeout_ms = Some(ms);
                }
                "sync" => {
                    file.settings.sync = Some(match text {
                        "none" => crate::journal::SyncLevel::None,
                        "batch" => crate::journal::SyncLevel::Batch,
                        _ => {
                            let message = format!("sync = {text:?}: none or batch");
                            return Err(ClusterFileError { line, message });
                        }
                    })
                }
                _ => match key.strip_prefix("node.") {
                    Some(id) => {
                        let addr = host_port(text)
                            .map_err(|why| ClusterFileError { line, message: format!("{key} = {text:?}: {why}") })?;
                        nodes.push((value(key, id, line)?, addr, line));
                    }
                    None => {
                        let message = format!(
                            "unknown key {key:?} (the keys: cluster_id, group, interface, ttl, quorum, leader, mtu, \
                             payload_max, key_file, journal, sync, retain_bytes, retain_events, history_rate, \
                             election_timeout_ms, node.N)"
                        );
                        return Err(ClusterFileError { line, message });
                    }
                },
            }
        }
        nodes.sort_by_key(|n| n.0);
        for (expected, &(id, addr, line)) in nodes.iter().enumerate() {
            if usize::from(id) != expected {
                let message = format!("node ids must run 0, 1, 2, … without holes or repeats; found node.{id}");
                return Err(ClusterFileError { line, message });
            }
            if let Some(other) = file.nodes.iter().position(|a| *a == addr) {
                let message = format!("node.{id} = {addr} is node.{other}'s address too: each node needs its own");
                return Err(ClusterFileError { line, message });
            }
            file.nodes.push(addr);
        }
        file.lines = seen;
        Ok(file)
    }

    /// Reads and parses a cluster file.
    pub fn read(path: &std::path::Path) -> Result<ClusterFile, ClusterFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClusterFileError { line: 0, message: format!("cannot read {}: {e}", path.display()) })?;
        let mut file = ClusterFile::parse(&text).map_err(|e| ClusterFileError {
            line: 0,
            message: format!("{}:{}: {}", path.display(), e.line, e.message),
        })?;
        if file.lines.is_empty() {
            // An empty file, a truncated copy, or another file given by mistake.
            let message = format!(
                "{} holds no `key = value` line: not a cluster file, or an empty copy of one (it names at least \
                 the nodes: node.0 = IP:PORT, node.1 = …)",
                path.display()
            );
            return Err(ClusterFileError { line: 0, message });
        }
        file.path = Some(path.to_path_buf());
        Ok(file)
    }

    /// Where `key`'s value came from: the flag when `overrides` gave it,
    /// else `FILE:LINE` (or `line N`) when this file did; `None` for a
    /// built-in default.
    fn origin(&self, overrides: &Overrides, key: &'static str) -> Option<Origin> {
        let set = &overrides.settings;
        let overridden = match key {
            "ttl" => set.ttl.is_some(),
            "group" => set.group.is_some(),
            "interface" => set.interface.is_some(),
            "quorum" => set.quorum.is_some(),
            "leader" => set.leader.is_some(),
            "mtu" => set.mtu.is_some(),
            "payload_max" => set.payload_max.is_some(),
            "nodes" => overrides.nodes.is_some(),
            _ => false,
        };
        if overridden {
            return Some(Origin::Flag(key));
        }
        let line = self.lines.iter().find(|(k, _)| k == key)?.1;
        Some(Origin::Line(match &self.path {
            Some(path) => format!("{}:{line}", path.display()),
            None => format!("line {line}"),
        }))
    }
}

/// Where a setting's value was given.
#[derive(Debug)]
pub enum Origin {
    /// By the command-line flag of this setting (named as in the file:
    /// `payload_max` is `--payload-max`).
    Flag(&'static str),
    /// On this line of the cluster file (`cluster.conf:3`).
    Line(String),
}

impl Origin {
    /// The flag of setting `key`.
    fn flag(key: &str) -> String {
        let flag = if key == "leader" { "leader-id" } else { key };
        format!("--{}", flag.replace('_', "-"))
    }
}

/// What overrides a cluster file (command-line flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Settings over the file's.
    pub settings: Settings,
    /// Nodes, leader included [default: the file's `node.N` count, else 3];
    /// with a file that names nodes, it must agree.
    pub nodes: Option<u16>,
}

/// Why a cluster could not be resolved.
#[derive(Debug)]
pub enum ClusterError {
    /// The cluster file could not be read or parsed.
    File(ClusterFileError),
    /// A node count was given that differs from the file's `node.N` lines.
    NodesDisagree {
        /// The count given.
        given: u16,
        /// The nodes the file names.
        file: u16,
    },
    /// The resulting protocol configuration is inconsistent.
    Config(ConfigError),
    /// The group, interface or TTL is unusable.
    Multicast(NetError),
    /// `quorum = 0` (or `--quorum 0`) was given.
    QuorumZero,
    /// One of the above, with where the offending value was given: a flag
    /// (`--ttl`) or a line of the cluster file (`cluster.conf:3`).
    At(Origin, Box<ClusterError>),
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::File(e) => write!(f, "{e}"),
            ClusterError::QuorumZero => {
                write!(
                    f,
                    "quorum 0: give how many nodes must hold an event (1 to the node count), or leave it out for a majority"
                )
            }
            ClusterError::NodesDisagree { given, file } => {
                write!(f, "nodes {given}, but the cluster file names {file}")
            }
            ClusterError::Config(e) => write!(f, "{e}"),
            ClusterError::Multicast(e) => write!(f, "{e}"),
            ClusterError::At(Origin::Flag(key), e) => {
                // The message names the setting as the file does
                // (`payload_max 100000 …`); say it as the flag that gave it.
                let (flag, text) = (Origin::flag(key), e.to_string());
                match text.strip_prefix(key) {
                    Some(rest) => write!(f, "{flag}{}", rest.strip_prefix(':').unwrap_or(rest)),
                    None => write!(f, "{flag}: {text}"),
                }
            }
            ClusterError::At(Origin::Line(line), e) => write!(f, "{line}: {e}"),
        }
    }
}

impl std::error::Error for ClusterError {}

/// A cluster as a node sees it: the protocol configuration, the multicast
/// group, and every node's address (empty without a cluster file).
#[derive(Clone, Debug)]
pub struct Cluster {
    /// The protocol configuration.
    pub config: Config,
    /// The group, interface and TTL.
    pub multicast: Multicast,
    /// Node addresses from the cluster file, by node id (may be empty).
    pub nodes: Vec<SocketAddrV4>,
    /// The directory under which each node keeps its journal (`None`: memory only).
    pub journal: Option<PathBuf>,
    /// The key file (`None`: datagrams are not authenticated).
    pub key_file: Option<PathBuf>,
    /// The cap on history served from a journal, bytes a second (`None`: none).
    pub history_rate: Option<u64>,
    /// What a journaled node's ACK waits for (`None`: not said; batch).
    pub sync: Option<crate::journal::SyncLevel>,
    /// Each node's journal retention, bytes (`None`: not said; none).
    pub retain_bytes: Option<u64>,
    /// Each node's journal retention, events (`None`: not said; none).
    pub retain_events: Option<u64>,
}

impl Cluster {
    /// Reads the cluster file at `path` as node `me` sees it (`None` for a
    /// client), with nothing overridden.
    pub fn load(path: &Path, me: Option<NodeId>) -> Result<Cluster, ClusterError> {
        ClusterFile::read(path).map_err(ClusterError::File)?.resolve(&Overrides::default(), me)
    }

    /// What a node or client of this cluster runs with: the defaults
    /// ([`Tuning::default`](crate::net::Tuning)), with the keys of the key
    /// file, if the file names one (a relative path is taken from the
    /// current directory).
    pub fn tuning(&self) -> Result<crate::net::Tuning, String> {
        let keys = self.key_file.as_deref().map(crate::auth::Keys::read).transpose()?;
        Ok(crate::net::Tuning { keys, ..crate::net::Tuning::default() })
    }

    /// Node `id`'s address from the cluster file, if it names one.
    pub fn node(&self, id: NodeId) -> Option<SocketAddrV4> {
        self.nodes.get(id.index()).copied()
    }

    /// Node `id`'s journal directory, if the cluster keeps journals.
    pub fn journal_dir(&self, id: NodeId) -> Option<PathBuf> {
        self.journal.as_ref().map(|dir| dir.join(format!("node-{id}")))
    }

    /// Node `id`'s journal as the cluster file keeps it (its `journal`
    /// directory's `node-N`, its `sync`, else batch, its `retain_bytes`,
    /// `retain_events` and `history_rate`), if the file asks for one: what `seqcast` runs a
    /// node with when given no journal flags. Every node of a cluster must
    /// keep one at one level, or a leader counts what one only holds in
    /// memory as durable.
    pub fn journal_options(&self, id: NodeId) -> Option<crate::journal::JournalOptions> {
        Some(crate::journal::JournalOptions {
            sync: self.sync.unwrap_or(crate::journal::SyncLevel::Batch),
            retain_bytes: self.retain_bytes,
            retain_events: self.retain_events,
            history_rate: self.history_rate,
            ..crate::journal::JournalOptions::new(self.journal_dir(id)?, &self.config, id)
        })
    }

    /// What a read-only subscriber of this cluster runs with
    /// ([`FollowerNode::observe`](crate::net::FollowerNode::observe), as
    /// `seqcast tail`): the epoch learned from the first leader frame, and
    /// with `failover` (a cluster of `seqcast member`s, which elect their
    /// leader) the newest epoch's leader followed through every election,
    /// and what it no longer has asked of the other members the file
    /// lists. Without it takes only `config.leader`'s frames: after an
    /// election another member leads, whose frames it drops (counted as
    /// `not_leader` in its rejects), and it hears nothing more.
    pub fn observer_config(&self, failover: bool) -> Config {
        let mut config = Config { epoch: crate::core::Epoch::ZERO, ..self.config.clone() };
        if failover {
            config.failover = crate::core::Failover::Auto;
            config.members = self.member_addrs();
        }
        config
    }

    /// What a member of this cluster runs with
    /// ([`MemberNode::bind`](crate::net::MemberNode::bind), as `seqcast
    /// member`): failover `Auto` (elections when its leader falls silent),
    /// every member's address from the file (where a leader sends each
    /// member's repairs), and with `rejoin` epoch 0: it joins a running
    /// cluster it was part of, empty (its state lost), rather than start a
    /// new one in the file's epoch. One whose journal holds anything
    /// resumes it either way, and votes with what it holds.
    pub fn member_config(&self, rejoin: bool) -> Config {
        let mut config =
            Config { failover: crate::core::Failover::Auto, members: self.member_addrs(), ..self.config.clone() };
        if rejoin {
            config.epoch = crate::core::Epoch::ZERO;
        }
        config
    }

    /// Every member's address by id, when the file lists each node (none
    /// otherwise: a leader then sends repairs where ACKs come from).
    fn member_addrs(&self) -> Vec<std::net::SocketAddr> {
        if self.nodes.len() != usize::from(self.config.nodes) {
            return Vec::new();
        }
        self.nodes.iter().map(|&a| std::net::SocketAddr::V4(a)).collect()
    }

    /// Where the leader listens: the cluster file's leader node, else the
    /// interface on [`LEADER_PORT`].
    pub fn leader_addr(&self) -> SocketAddrV4 {
        self.node(self.config.leader).unwrap_or(SocketAddrV4::new(self.multicast.interface, LEADER_PORT))
    }
}

impl ClusterFile {
    /// The cluster this file describes, as node `me` sees it (`None` for a
    /// client; a node multicasts on its own address unless told otherwise),
    /// with `overrides` applied over the file.
    pub fn resolve(&self, overrides: &Overrides, me: Option<NodeId>) -> Result<Cluster, ClusterError> {
        self.resolve_unplaced(overrides, me).map_err(|e| {
            let keys: &[&'static str] = match &e {
                ClusterError::NodesDisagree { .. } => &["nodes"],
                ClusterError::QuorumZero | ClusterError::Config(ConfigError::QuorumTooLarge { .. }) => &["quorum"],
                ClusterError::Config(ConfigError::LeaderNotMember { .. }) => &["leader"],
                ClusterError::Config(ConfigError::BadMtu { .. }) => &["mtu", "payload_max"],
                ClusterError::Multicast(NetError::Setting(name, _)) => &[*name],
                ClusterError::Multicast(NetError::NotMulticast(_)) => &["group"],
                ClusterError::Multicast(NetError::Interface(..)) => &["interface"],
                _ => &[],
            };
            match keys.iter().find_map(|key| self.origin(overrides, key)) {
                Some(origin) => ClusterError::At(origin, Box::new(e)),
                None => e,
            }
        })
    }

    fn resolve_unplaced(&self, overrides: &Overrides, me: Option<NodeId>) -> Result<Cluster, ClusterError> {
        let from_file = self.nodes.len() as u16;
        let nodes = match (overrides.nodes, from_file) {
            (Some(given), file) if file != 0 && given != file => {
                return Err(ClusterError::NodesDisagree { given, file });
            }
            (Some(n), _) => n,
            (None, 0) => 3,
            (None, f) => f,
        };
        let settings = overrides.settings.or(&self.settings);
        if settings.quorum == Some(0) {
            return Err(ClusterError::QuorumZero);
        }
        let defaults = Config::default();
        let config = Config {
            cluster_id: settings.cluster_id.unwrap_or(defaults.cluster_id),
            nodes,
            leader: NodeId(settings.leader.unwrap_or(0)),
            quorum: settings.quorum.unwrap_or(0),
            mtu: settings.mtu.unwrap_or(defaults.mtu),
            payload_max: settings.payload_max.unwrap_or(defaults.payload_max),
            election_timeout_ns: settings.election_timeout_ms.map_or(defaults.election_timeout_ns, |ms| ms * 1_000_000),
            ..defaults
        };
        config.validate().map_err(ClusterError::Config)?;
        let own = match me {
            Some(id) => self.nodes.get(id.index()).map(|a| *a.ip()).filter(|ip| !ip.is_unspecified()),
            // A client or an operator's tool has no address in the file: the
            // one this host reaches the leader from (on another host, not
            // 127.0.0.1, which reaches nothing there).
            None => self.nodes.get(usize::from(config.leader.0)).and_then(|&leader| super::route_source(leader)),
        };
        let multicast = Multicast {
            group: settings.group.unwrap_or(Multicast::default().group),
            interface: settings.interface.or(own).unwrap_or(Ipv4Addr::LOCALHOST),
            ttl: settings.ttl.unwrap_or(0),
        };
        multicast.validate().map_err(ClusterError::Multicast)?;
        Ok(Cluster {
            config,
            multicast,
            nodes: self.nodes.clone(),
            journal: settings.journal,
            key_file: settings.key_file,
            history_rate: settings.history_rate,
            sync: settings.sync,
            retain_bytes: settings.retain_bytes,
            retain_events: settings.retain_events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client (no node of its own) sends from the address this host
    /// reaches the leader from: here loopback; a node from its own address;
    /// `interface` overrides both. (Checked across two network namespaces
    /// too: a load generator there committed 100 of 100 without
    /// --interface, where it bound 127.0.0.1 and reached nothing.)
    #[test]
    fn a_client_sends_from_the_address_that_reaches_the_leader() {
        assert_eq!(super::super::route_source(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9)), Some(Ipv4Addr::LOCALHOST));
        let file = ClusterFile::parse("node.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.2:7401\n").unwrap();
        let interface = |me: Option<NodeId>| file.resolve(&Overrides::default(), me).unwrap().multicast.interface;
        assert_eq!(interface(None), Ipv4Addr::LOCALHOST);
        assert_eq!(interface(Some(NodeId(1))), Ipv4Addr::new(127, 0, 0, 2));
        let file =
            ClusterFile::parse("interface = 127.0.0.3\nnode.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.2:7401\n").unwrap();
        let interface = file.resolve(&Overrides::default(), None).unwrap().multicast.interface;
        assert_eq!(interface, Ipv4Addr::new(127, 0, 0, 3));
    }

    /// The example cluster file OPERATIONS.md opens with, as written there.
    #[test]
    fn retention_in_the_file_reaches_every_nodes_journal() {
        let text = "journal = /var/lib/sq\nretain_bytes = 1000000000\nretain_events = 20000000\nnode.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502";
        let cluster = ClusterFile::parse(text).unwrap().resolve(&Overrides::default(), Some(NodeId(1))).unwrap();
        for id in [NodeId(0), NodeId(1)] {
            let options = cluster.journal_options(id).unwrap();
            assert_eq!((options.retain_bytes, options.retain_events), (Some(1_000_000_000), Some(20_000_000)));
        }
        let err = |text| ClusterFile::parse(text).unwrap_err().to_string();
        assert_eq!(
            err("retain_events = 0"),
            "line 1: retain_events = 0: at least 1 (to keep every segment, leave it out)"
        );
        assert!(
            err("retain_bytes = 1G").starts_with("line 1: retain_bytes = \"1G\": "),
            "{}",
            err("retain_bytes = 1G")
        );
    }

    #[test]
    fn a_clusters_tuning_holds_the_keys_its_file_names() {
        use std::os::unix::fs::OpenOptionsExt as _;
        let file = ClusterFile::parse("node.0 = 127.0.0.1:7401\nnode.1 = 127.0.0.1:7402\n").unwrap();
        let mut cluster = file.resolve(&Overrides::default(), None).unwrap();
        assert_eq!(cluster.tuning().unwrap(), crate::net::Tuning::default());
        let dir = std::env::temp_dir().join(format!("seqcast-tuning-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cluster.keys");
        let hex = "ab".repeat(crate::auth::KEY_LEN);
        let keys = crate::auth::Keys::parse(&format!("member = {hex}\nclients = {hex}\n")).unwrap();
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true).mode(0o600);
        std::io::Write::write_all(&mut open.open(&path).unwrap(), keys.to_text().as_bytes()).unwrap();
        cluster.key_file = Some(path.clone());
        assert_eq!(cluster.tuning().unwrap().keys, Some(keys));
        std::fs::remove_dir_all(&dir).unwrap();
        let missing = cluster.tuning().unwrap_err();
        assert!(missing.starts_with(&format!("cannot read key file {}: ", path.display())), "{missing}");
    }

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../../docs/OPERATIONS.md");
        let start = doc.find("```text\n# cluster.conf\n").expect("OPERATIONS.md's example") + "```text\n".len();
        let text = &doc[start..][..doc[start..].find("```").unwrap()];
        let file = ClusterFile::parse(text).unwrap();
        let settings = &file.settings;
        assert_eq!((settings.cluster_id, settings.ttl, settings.quorum), (Some(7), Some(1), Some(2)));
        assert_eq!(file.settings.group, Some("239.255.0.1:7400".parse().unwrap()));
        assert!(file.settings.key_file.is_some());
        assert_eq!(file.nodes.len(), 3);
        assert_eq!(file.nodes[1], "192.0.2.11:7401".parse().unwrap());
    }

    #[test]
    fn a_file_resolves_for_a_node_with_overrides_on_top() {
        let file = ClusterFile::parse("quorum = 2\nnode.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.2:7502\n").unwrap();
        let one = file.resolve(&Overrides::default(), Some(NodeId(1))).unwrap();
        assert_eq!((one.config.nodes, one.config.quorum(), one.multicast.ttl), (2, 2, 0));
        assert_eq!(one.multicast.interface, Ipv4Addr::new(127, 0, 0, 2), "its own address");
        assert_eq!(one.leader_addr(), "127.0.0.1:7501".parse().unwrap());
        let settings = Settings { cluster_id: Some(9), ..Settings::default() };
        let client = file.resolve(&Overrides { settings, nodes: None }, None).unwrap();
        assert_eq!((client.config.cluster_id, client.multicast.interface), (9, Ipv4Addr::LOCALHOST));
        let wrong = Overrides { nodes: Some(3), ..Overrides::default() };
        assert_eq!(file.resolve(&wrong, None).unwrap_err().to_string(), "--nodes 3, but the cluster file names 2");
    }

    #[test]
    fn a_bad_resolved_value_is_named_by_the_flag_or_the_line_that_gave_it() {
        let file = ClusterFile::parse("node.0 = 127.0.0.1:7501\nttl = 300\nnode.1 = localhost:7502\n").unwrap();
        assert_eq!(file.nodes[1], "127.0.0.1:7502".parse().unwrap(), "a host name resolves");
        let from_file = file.resolve(&Overrides::default(), None).unwrap_err().to_string();
        assert!(from_file.starts_with("line 2: ttl: 300 is above 255"), "{from_file}");
        let settings = Settings { ttl: Some(1), mtu: Some(100), ..Settings::default() };
        let flag = file.resolve(&Overrides { settings, nodes: None }, None).unwrap_err().to_string();
        assert!(flag.starts_with("--mtu 100 is too small for payload_max 256: one event needs a 344-byte"), "{flag}");
        // Helper 177: a payload_max set alone, the mtu left at its default,
        // named the mtu's line (there was none) as if it were wrong.
        let file =
            ClusterFile::parse("node.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502\npayload_max = 2000\n").unwrap();
        let from_file = file.resolve(&Overrides::default(), None).unwrap_err().to_string();
        assert!(from_file.starts_with("line 3: mtu 1472 is too small for payload_max 2000: "), "{from_file}");
        assert!(from_file.contains("(raise mtu to between 2088 and 65507, or lower payload_max)"), "{from_file}");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let err = |text| ClusterFile::parse(text).unwrap_err().to_string();
        assert!(err("ttl = 1\nbogus = 3").starts_with("line 2: unknown key \"bogus\" (the keys: cluster_id, group,"));
        assert_eq!(err("sync = fsync"), "line 1: sync = \"fsync\": none or batch");
        assert!(
            err("group = 239.255.0.1")
                .starts_with("line 1: group = \"239.255.0.1\": not a group IP:PORT, as 239.255.0.1:7400")
        );
        assert_eq!(err("ttl"), "line 1: expected `key = value`, got \"ttl\"");
        assert!(err("node.0 = 127.0.0.1:1\nnode.2 = 127.0.0.1:2").contains("found node.2"));
        assert!(err("node.x = 127.0.0.1:1").contains("node.x"));
        assert_eq!(err("history_rate = 100"), "line 1: history_rate = 100: below the least allowed, 65536");
    }

    #[test]
    fn an_observer_of_members_follows_elections_and_asks_them_for_history() {
        use crate::core::{Epoch, Failover};
        // Helper 139: a tail made from the file's config as it stood froze
        // at the first election, and nothing said so.
        let text = "node.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502\nnode.2 = 127.0.0.1:7503";
        let cluster = ClusterFile::parse(text).unwrap().resolve(&Overrides::default(), None).unwrap();
        let members = cluster.observer_config(true);
        assert_eq!((members.failover, members.epoch, members.members.len()), (Failover::Auto, Epoch::ZERO, 3));
        let sequencer = cluster.observer_config(false);
        assert_eq!((sequencer.failover, sequencer.epoch, sequencer.members.len()), (Failover::Off, Epoch::ZERO, 0));
    }

    /// An embedder's member made from the file's config as it stood knew
    /// no member's address: leading, it sent repairs where ACKs came from.
    #[test]
    fn a_member_elects_and_knows_where_the_others_are() {
        use crate::core::{Epoch, Failover};
        let text = "node.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502\nnode.2 = 127.0.0.1:7503";
        let cluster = ClusterFile::parse(text).unwrap().resolve(&Overrides::default(), Some(NodeId(2))).unwrap();
        let new = cluster.member_config(false);
        assert_eq!((new.failover, new.epoch, new.members.len()), (Failover::Auto, Epoch(1), 3));
        assert_eq!(new.members[2], "127.0.0.1:7503".parse().unwrap());
        let back = cluster.member_config(true);
        assert_eq!((back.failover, back.epoch, back.members), (Failover::Auto, Epoch::ZERO, new.members));
        // A file that lists no node: no address is guessed.
        let bare = ClusterFile::parse("ttl = 0").unwrap().resolve(&Overrides::default(), None).unwrap();
        assert_eq!(bare.member_config(false).members, Vec::new());
    }

    /// A reviewer embedding the library had to copy `sync` and
    /// `history_rate` into a journal's options by hand, and the follower
    /// example followed memory-only beside a journaled cluster.
    #[test]
    fn a_cluster_files_journal_settings_make_a_nodes_journal_options() {
        let text = "journal = /var/lib/sq\nsync = none\nhistory_rate = 70000\nnode.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502";
        let cluster = ClusterFile::parse(text).unwrap().resolve(&Overrides::default(), Some(NodeId(1))).unwrap();
        let options = cluster.journal_options(NodeId(1)).expect("a journal");
        assert_eq!(options.dir, std::path::PathBuf::from("/var/lib/sq/node-1"));
        assert_eq!((options.sync, options.history_rate), (crate::journal::SyncLevel::None, Some(70_000)));
        let bare = ClusterFile::parse("node.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502").unwrap();
        assert!(bare.resolve(&Overrides::default(), None).unwrap().journal_options(NodeId(1)).is_none());
    }

    /// An operator trial: the docs said to cap history on every member, and
    /// only a flag could; `history_rate` in the file gives it to them all.
    #[test]
    fn history_rate_in_the_file_reaches_every_node_and_a_flag_over_it() {
        let file = ClusterFile::parse("history_rate = 5000000\nnode.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502");
        let file = file.unwrap();
        assert_eq!(file.resolve(&Overrides::default(), Some(NodeId(0))).unwrap().history_rate, Some(5_000_000));
        let settings = Settings { history_rate: Some(70_000), ..Settings::default() };
        let flag = file.resolve(&Overrides { settings, nodes: None }, None).unwrap();
        assert_eq!(flag.history_rate, Some(70_000));
    }

    /// Helper 138 ran members at --election-timeout-ms 100 on a loaded VM:
    /// its clients, which had no such setting, still took 20 ms without a
    /// commit for a member gone and turned from a healthy leader. The
    /// cluster file gives it to every node and client.
    #[test]
    fn election_timeout_ms_in_the_file_reaches_members_and_clients() {
        let file =
            ClusterFile::parse("election_timeout_ms = 100\nnode.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502").unwrap();
        for me in [None, Some(NodeId(0))] {
            assert_eq!(file.resolve(&Overrides::default(), me).unwrap().config.election_timeout_ns, 100_000_000);
        }
        let bare = ClusterFile::parse("node.0 = 127.0.0.1:7501\nnode.1 = 127.0.0.1:7502")
            .unwrap()
            .resolve(&Overrides::default(), None);
        assert_eq!(bare.unwrap().config.election_timeout_ns, Config::default().election_timeout_ns);
        for bad in ["0", "60001", "x"] {
            let error = ClusterFile::parse(&format!("election_timeout_ms = {bad}")).unwrap_err().to_string();
            assert!(error.starts_with("line 1: election_timeout_ms = "), "{error}");
        }
    }
}
