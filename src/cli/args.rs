//! Argument groups shared by the subcommands and the load generator, and how
//! they resolve: built-in defaults, then the cluster file, then flags.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use seqcast::auth::Keys;
use seqcast::core::{ConfigError, Deliver, NodeId};
use seqcast::journal::{JournalOptions, SyncLevel};
use seqcast::net::cluster::{Cluster, ClusterFile, Overrides, Settings};
use seqcast::net::{Clock, Idle, Tuning};

/// Who the cluster is and where it multicasts.
#[derive(Clone, Debug, Default, Args)]
pub struct ClusterArgs {
    /// Cluster file shared by every node (docs/OPERATIONS.md); flags override it.
    #[arg(long, value_name = "FILE")]
    pub cluster: Option<PathBuf>,
    /// Cluster id: nodes drop frames of other clusters [default: the cluster file's, else 1].
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
    /// Node id of the leader [default: the cluster file's, else 0].
    #[arg(long, value_name = "ID")]
    pub leader_id: Option<u16>,
    /// Multicast group and port [default: the cluster file's, else 239.255.0.1:7400].
    #[arg(long, value_name = "IP:PORT")]
    pub group: Option<SocketAddrV4>,
    /// Address of the local interface to multicast on [default: this node's
    /// address in the cluster file; for a client or a tool, the address this
    /// host reaches the file's leader from; else 127.0.0.1].
    #[arg(long, value_name = "IP|NAME", value_parser = interface)]
    pub interface: Option<Ipv4Addr>,
    /// Multicast TTL: 0 stays on this host, 1 crosses one LAN segment [default: the cluster
    /// file's, else 0].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=255))]
    pub ttl: Option<u32>,
    /// Largest datagram, bytes [default: the cluster file's, else 1472, Ethernet's UDP payload].
    #[arg(long, value_name = "BYTES")]
    pub mtu: Option<usize>,
    /// Largest event payload, bytes [default: the cluster file's, else 256].
    #[arg(long, value_name = "BYTES")]
    pub payload_max: Option<usize>,
    /// Key file: every datagram carries a tag made with these keys, and one
    /// without a valid tag is dropped (`seqcast keys new FILE` makes one)
    /// [default: the cluster file's `key_file`, else none].
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Run without a key on an interface other than loopback: anyone on the
    /// LAN can then forge frames. Refused without this flag.
    #[arg(long)]
    pub insecure: bool,
}

impl ClusterArgs {
    /// The leader's node id: `--leader-id`, else the cluster file's
    /// `leader`, else 0.
    pub fn leader(&self) -> Result<NodeId, String> {
        let from_file = match (self.leader_id, &self.cluster) {
            (Some(id), _) => return Ok(NodeId(id)),
            (None, Some(path)) => ClusterFile::read(path).map_err(|e| e.to_string())?.settings.leader,
            (None, None) => None,
        };
        Ok(NodeId(from_file.unwrap_or(0)))
    }

    /// Resolves the cluster for node `me` (None for a client): the cluster
    /// file, with these flags over it. Errors name the flag (`--nodes`).
    pub fn resolve(&self, me: Option<NodeId>) -> Result<Cluster, String> {
        let file = match &self.cluster {
            Some(path) => ClusterFile::read(path).map_err(|e| e.to_string())?,
            None => ClusterFile::default(),
        };
        if let Some(path) =
            self.cluster.as_ref().filter(|_| file.settings.cluster_id.is_none() && self.cluster_id.is_none())
        {
            // Every file without one is the same cluster: two such clusters
            // on one group would take each other's frames.
            eprintln!(
                "warning: {} sets no cluster_id: cluster {}, as every cluster file without one (give each cluster \
                 its own, `cluster_id = N`)",
                path.display(),
                seqcast::core::Config::default().cluster_id
            );
        }
        let settings = Settings {
            cluster_id: self.cluster_id,
            group: self.group,
            interface: self.interface,
            ttl: self.ttl,
            quorum: self.quorum,
            leader: self.leader_id,
            mtu: self.mtu,
            payload_max: self.payload_max,
            journal: None,
            key_file: self.key_file.clone(),
            history_rate: None,
            sync: None,
            retain_bytes: None,
            retain_events: None,
            election_timeout_ms: None,
        };
        let overrides = Overrides { settings, nodes: self.nodes };
        file.resolve(&overrides, me).map_err(|e| e.to_string())
    }
}

impl ClusterArgs {
    /// The keys of `resolved` (its key file, if any), with room in its MTU
    /// for the tag they add. Without one, only loopback is allowed unless
    /// `--insecure` was given: secure by default. `listen` is the address a
    /// node takes unicast on (SUBMITs, ACKs, NAKs), when it is not the
    /// multicast interface's.
    pub fn keys(&self, resolved: &Cluster, listen: Option<Ipv4Addr>) -> Result<Option<Keys>, String> {
        if let Some(path) = &resolved.key_file {
            let keys = Keys::read(path).map_err(|e| match self.key_file.is_none() && path.is_relative() {
                // From the cluster file: say where a relative path was looked for.
                true => match std::env::current_dir() {
                    Ok(dir) => format!(
                        "{e} (a relative key_file in the cluster file is taken from the directory the program is \
                         started in, {})",
                        dir.display()
                    ),
                    Err(_) => e,
                },
                false => e,
            })?;
            seqcast::auth::tag_fits(&resolved.config)?;
            return Ok(Some(keys));
        }
        if let Some(open) = off_loopback(resolved.multicast.interface, listen).filter(|_| !self.insecure) {
            return Err(format!(
                "{open} is not loopback, and no key was given: anyone on the LAN could forge frames. Give \
                 --key-file FILE (make one with `seqcast keys new FILE`), or --insecure"
            ));
        }
        Ok(None)
    }

    /// [`keys`](Self::keys), for a node or an operator's tool that reads
    /// the members' frames (`tail`): only the cluster's key file (member
    /// key and client master) does.
    pub fn member_keys(&self, resolved: &Cluster, listen: Option<Ipv4Addr>) -> Result<Option<Keys>, String> {
        let keys = self.keys(resolved, listen)?;
        match (&keys, &resolved.key_file) {
            (Some(Keys::Member { .. }) | None, _) | (_, None) => Ok(keys),
            (Some(other), Some(path)) => Err(format!(
                "{} holds {}, not the member key: nodes and `seqcast tail` need the cluster's key file (the one \
                 `seqcast keys new` made)",
                path.display(),
                other.held()
            )),
        }
    }

    /// [`keys`](Self::keys), for the load generator: its clients take fresh
    /// ids, so one client's key does not do.
    pub fn client_master_keys(&self, resolved: &Cluster) -> Result<Option<Keys>, String> {
        let keys = self.keys(resolved, None)?;
        match (&keys, &resolved.key_file) {
            (Some(client @ Keys::Client { .. }), Some(path)) => Err(format!(
                "{} holds {}: the load generator's clients take fresh ids and need the client master (`seqcast \
                 keys clients --from CLUSTER.keys FILE`)",
                path.display(),
                client.held()
            )),
            _ => Ok(keys),
        }
    }
}

/// A configuration error in the words of the command line: each limit
/// named by its flag (`--ring-events`), not by its field.
pub fn config_error(e: &ConfigError) -> String {
    let flag = |field: &str| format!("--{}", field.replace("_ns", "_ms").replace('_', "-"));
    match e {
        ConfigError::RingTooSmall { ring, in_flight } => {
            format!("--ring-events {ring} must be larger than --in-flight-max ({in_flight})")
        }
        ConfigError::WindowTooSmall { window, in_flight } => {
            format!("--window-events {window} must be at least --in-flight-max ({in_flight})")
        }
        ConfigError::RingBelowWindow { ring, window } => format!(
            "--ring-events {ring} must be at least --window-events ({window}) with failover: a promoted member \
             serves repairs from its ring"
        ),
        ConfigError::Zero(field) => format!("{} must be greater than zero", flag(field)),
        e => e.to_string(),
    }
}

/// Makes the directory if it is not there, and fails now, naming it, where
/// the histograms written at the end could not be: a run must not lose them
/// after it is over.
pub fn check_out_dir(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("--out {}: cannot make that directory: {e}", dir.display()))?;
    let probe = dir.join(format!(".seqcast-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("--out {}: cannot write there: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The wall-clock time of day, UTC, to the millisecond (`14:03:07.215Z`):
/// what starts every warning line.
pub fn clock_time() -> String {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let (s, ms) = (ms / 1000, ms % 1000);
    format!("{:02}:{:02}:{:02}.{ms:03}Z", s / 3600 % 24, s / 60 % 60, s % 60)
}

pub use seqcast::net::cluster::host_port;

/// A number no smaller than `MIN`.
fn at_least<T, const MIN: u64>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr + TryFrom<u64> + PartialOrd,
    T::Err: std::fmt::Display,
{
    let value: T = text.parse().map_err(|e| format!("{e}"))?;
    match T::try_from(MIN) {
        Ok(min) if value < min => Err(format!("{text} is below the least allowed, {MIN}")),
        _ => Ok(value),
    }
}

/// `IP:PORT` or `HOST:PORT`, IPv4 or IPv6.
pub fn socket_addr(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut found = text.to_socket_addrs().map_err(|e| format!("not IP:PORT nor a host name and port ({e})"))?;
    found.next().ok_or_else(|| format!("{text} has no address"))
}

/// An IPv4 address, or the name of an interface that has one (`eth0`).
pub fn interface(text: &str) -> Result<Ipv4Addr, String> {
    if let Ok(ip) = text.parse() {
        return Ok(ip);
    }
    match seqcast::net::interface_addr(text) {
        Ok(Some(ip)) => Ok(ip),
        Ok(None) => Err(format!("no interface {text} with an IPv4 address here (`ip -4 addr` lists them)")),
        Err(e) => Err(format!("cannot list the interfaces: {e}")),
    }
}

/// A value as its flag spells it (`commit`, not `Commit`).
pub fn spelt<T: clap::ValueEnum>(value: &T) -> String {
    value.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string())
}

/// How a process waits and what clock it reads.
#[derive(Clone, Debug, Args)]
pub struct TuningArgs {
    /// Idle strategy: block (sleep in epoll: least CPU), yield (shares a
    /// core), spin (never sleeps: lowest latency where each spinning
    /// process or thread has a core of its own; with fewer cores, far
    /// worse than block).
    #[arg(long, value_enum, default_value_t = IdleArg::Block)]
    pub idle: IdleArg,
    /// Pin the node's thread to this CPU (the load generator pins its
    /// client i to CPU + i, wrapping round the CPUs there are).
    #[arg(long, value_name = "CPU")]
    pub pin: Option<usize>,
    /// Clock for stamps and timers: monotonic (one host), or realtime
    /// (across hosts with synchronised clocks).
    #[arg(long, value_enum, default_value_t = ClockArg::Monotonic)]
    pub clock: ClockArg,
    /// Socket send and receive buffers, bytes (at least 4096; capped by
    /// net.core.rmem_max).
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20, value_parser = at_least::<usize, 4096>)]
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
            keys: None,
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
    /// with `seqcast report`); made if it is not there.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// No status line each second.
    #[arg(long)]
    pub quiet: bool,
    /// Serve the node's counters in the Prometheus text format over HTTP
    /// at this address (e.g. 127.0.0.1:9400), refreshed each second.
    /// [default: a free loopback port, named in a note under
    /// $XDG_RUNTIME_DIR/seqcast or /tmp/seqcast-$UID for `seqcast stat`]
    #[arg(long, value_name = "HOST:PORT", value_parser = socket_addr)]
    pub metrics: Option<std::net::SocketAddr>,
}

/// Where and how a node keeps its log on disk (DESIGN §8).
#[derive(Clone, Debug, Args)]
pub struct JournalArgs {
    /// Keep the log on disk, in DIR/node-ID (append-only segment files);
    /// the node then ACKs, and a leader counts itself, only for what is
    /// written at the --sync level [default: the cluster file's `journal`,
    /// else none: the log is in memory only].
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// What an ACK waits for: `none`, written to the page cache (survives a
    /// crash of the process); `batch`, also fdatasync'ed, once per turn
    /// (survives power loss). Give every node the same [default: the
    /// cluster file's `sync`, else batch].
    #[arg(long, value_enum)]
    pub sync: Option<SyncArg>,
    /// Bytes of each segment file, preallocated (4096 to 1 GiB: retention
    /// deletes whole segments) [default: 64 MiB].
    #[arg(long, value_name = "BYTES", value_parser = segment_bytes)]
    pub segment_bytes: Option<u64>,
    /// Delete whole old segments while the journal holds more bytes than
    /// this (at least 1). With --retain-events too, a segment goes once
    /// either says so [default: the cluster file's `retain_bytes`, else
    /// nothing is deleted]
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_bytes: Option<u64>,
    /// Delete whole old segments while the rest still holds this many
    /// events (at least 1) [default: the cluster file's `retain_events`,
    /// else nothing is deleted].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_events: Option<u64>,
    /// Keep every segment, whatever the cluster file's `retain_bytes` and
    /// `retain_events` say: an archive that serves the others what they
    /// deleted.
    #[arg(long, conflicts_with_all = ["retain_bytes", "retain_events"])]
    pub retain_all: bool,
    /// Serve history from the journal (leading: to `seqcast tail` and to
    /// followers behind the ring; a member that follows: what its leader
    /// no longer has, to the others and to tails) at most this many bytes a second
    /// on average, leaving the rest of the link to the live stream (at
    /// least 65536) [default: the cluster file's `history_rate`, else no
    /// cap beyond 64 KiB a turn, after the turn's live frames].
    #[arg(long, value_name = "BYTES", value_parser = at_least::<u64, 65536>)]
    pub history_rate: Option<u64>,
}

/// `--sync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyncArg {
    /// Written to the page cache before the ACK.
    None,
    /// Written and fdatasync'ed (once per turn) before the ACK.
    Batch,
}

/// `--segment-bytes`: 4096 to 1 GiB.
fn segment_bytes(text: &str) -> Result<u64, String> {
    let bytes = at_least::<u64, 4096>(text)?;
    match bytes <= MAX_SEGMENT_BYTES {
        true => Ok(bytes),
        false => {
            Err(format!("{text} is above the most allowed, {MAX_SEGMENT_BYTES} (retention deletes whole segments)"))
        }
    }
}

/// The largest `--segment-bytes`: retention deletes whole segments, and
/// each is preallocated whole when the one before fills.
const MAX_SEGMENT_BYTES: u64 = 1 << 30;

impl JournalArgs {
    /// Node `id`'s journal, if the flags or the cluster file ask for one;
    /// an error if journal flags are given without a journal.
    pub fn options(&self, cluster: &Cluster, id: NodeId) -> Result<Option<JournalOptions>, String> {
        let dir = match &self.journal {
            Some(dir) => dir.join(format!("node-{id}")),
            None => match cluster.journal_options(id) {
                Some(options) => options.dir,
                None => {
                    let given = [
                        (self.sync.is_some(), "--sync"),
                        (self.segment_bytes.is_some(), "--segment-bytes"),
                        (self.retain_bytes.is_some(), "--retain-bytes"),
                        (self.retain_events.is_some(), "--retain-events"),
                        (self.retain_all, "--retain-all"),
                        (self.history_rate.is_some(), "--history-rate"),
                    ];
                    return match given.iter().find(|(given, _)| *given) {
                        Some((_, flag)) => Err(format!(
                            "{flag} sets how the journal is kept or served, but there is no journal: give --journal DIR (or \
                             `journal = DIR` in the cluster file)"
                        )),
                        None => Ok(None),
                    };
                }
            },
        };
        if let Some(base) = dir.parent() {
            // Helper 138: a file given as --journal was named as
            // `FILE/node-2: Not a directory`.
            if base.exists() && !base.is_dir() {
                return Err(format!(
                    "the journal directory {} is a file, not a directory: give the directory under which each \
                     node keeps its journal (node-N), or a path not yet used (it is made)",
                    base.display()
                ));
            }
            refuse_a_nodes_journal_as_base(base, &dir)?;
        }
        Ok(Some(JournalOptions {
            sync: match self.sync {
                Some(SyncArg::None) => SyncLevel::None,
                Some(SyncArg::Batch) => SyncLevel::Batch,
                None => cluster.sync.unwrap_or(SyncLevel::Batch),
            },
            segment_bytes: self.segment_bytes.unwrap_or(JournalOptions::SEGMENT_BYTES),
            retain_bytes: self.retain_bytes.or(cluster.retain_bytes).filter(|_| !self.retain_all),
            retain_events: self.retain_events.or(cluster.retain_events).filter(|_| !self.retain_all),
            history_rate: self.history_rate.or(cluster.history_rate),
            ..JournalOptions::new(dir, &cluster.config, id)
        }))
    }
}

/// `--journal DIR` (or `journal = DIR`) names the directory that holds
/// the nodes' journals, each in `DIR/node-N` (`node`): a `DIR` that is
/// itself a node's journal (`seqcast journal verify` takes those) would
/// have this node start a new log inside it, another node's perhaps.
fn refuse_a_nodes_journal_as_base(base: &std::path::Path, node: &std::path::Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(base) else { return Ok(()) };
    let names = entries.filter_map(|e| e.ok()?.file_name().into_string().ok());
    let mut found: Vec<String> = names.filter(|n| seqcast::journal::is_journal_file(n)).collect();
    found.sort();
    match found.first() {
        None => Ok(()),
        Some(name) => Err(format!(
            "the journal directory {} holds a node's journal itself ({name}): give the directory above it, which holds one journal per node (this node's would be {})",
            base.display(),
            node.display()
        )),
    }
}

/// What of a node is off loopback, if anything: its multicast
/// `interface`, or the address it `listen`s on (0.0.0.0 takes datagrams
/// on every interface the host has). Keyless, such a node needs
/// `--insecure`, and says so on every line.
pub(super) fn off_loopback(interface: Ipv4Addr, listen: Option<Ipv4Addr>) -> Option<String> {
    match listen {
        _ if !interface.is_loopback() => Some(format!("interface {interface}")),
        Some(ip) if !ip.is_loopback() => Some(format!("listen address {ip}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new user's trial: `sync = none` in the cluster file was an unknown
    /// key, though `journal` is one and every node must use one level.
    #[test]
    fn the_sync_level_comes_from_the_flag_else_the_cluster_file_else_batch() {
        let file =
            |text: &str| ClusterFile::parse(text).unwrap().resolve(&Default::default(), Some(NodeId(1))).unwrap();
        let args = |sync: Option<SyncArg>| JournalArgs {
            journal: None,
            sync,
            segment_bytes: None,
            retain_bytes: None,
            retain_events: None,
            retain_all: false,
            history_rate: None,
        };
        let level = |sync, text: &str| args(sync).options(&file(text), NodeId(1)).unwrap().unwrap().sync;
        let journaled = "journal = /tmp/j\nnode.0 = 127.0.0.1:1\nnode.1 = 127.0.0.1:2\nnode.2 = 127.0.0.1:3\n";
        assert_eq!(level(None, journaled), SyncLevel::Batch);
        assert_eq!(level(None, &format!("{journaled}sync = none\n")), SyncLevel::None);
        assert_eq!(level(Some(SyncArg::Batch), &format!("{journaled}sync = none\n")), SyncLevel::Batch);
        assert_eq!(level(Some(SyncArg::None), journaled), SyncLevel::None);
    }

    /// Helper 181: retention had no cluster-file key, so every node's
    /// command line (and every embedder's options) repeated it. The file's
    /// `retain_bytes` and `retain_events` reach each node; a flag sets its
    /// own, and `--retain-all` keeps everything (an archive).
    #[test]
    fn retention_comes_from_the_flag_else_the_cluster_file_and_an_archive_keeps_all() {
        let text = "journal = /tmp/j\nretain_events = 5000\nretain_bytes = 9000000\nnode.0 = 127.0.0.1:1\nnode.1 = 127.0.0.1:2\n";
        let cluster = ClusterFile::parse(text).unwrap().resolve(&Default::default(), Some(NodeId(1))).unwrap();
        let args = |retain_events, retain_all| JournalArgs {
            journal: None,
            sync: None,
            segment_bytes: None,
            retain_bytes: None,
            retain_events,
            retain_all,
            history_rate: None,
        };
        let kept = |args: JournalArgs| {
            let options = args.options(&cluster, NodeId(1)).unwrap().unwrap();
            (options.retain_events, options.retain_bytes)
        };
        assert_eq!(kept(args(None, false)), (Some(5000), Some(9_000_000)));
        assert_eq!(kept(args(Some(70), false)), (Some(70), Some(9_000_000)));
        assert_eq!(kept(args(None, true)), (None, None));
        let memory = ClusterFile::parse("node.0 = 127.0.0.1:1\nnode.1 = 127.0.0.1:2\n").unwrap();
        let memory = memory.resolve(&Default::default(), Some(NodeId(1))).unwrap();
        let error = args(None, true).options(&memory, NodeId(1)).unwrap_err();
        assert!(
            error.starts_with("--retain-all sets how the journal is kept or served, but there is no journal"),
            "{error}"
        );
    }

    /// A new operator's trial: `--journal j/node-1` (the directory `seqcast
    /// journal verify` takes) while follower 1 ran on it started a
    /// sequencer's new log in `j/node-1/node-0`, saying only that the
    /// directory was made. A directory that is itself a node's journal is
    /// refused as the journals' directory.
    #[test]
    fn a_nodes_journal_is_refused_as_the_directory_of_the_journals() {
        let base = std::env::temp_dir().join(format!("seqcast-journal-base-{}", std::process::id()));
        let node = base.join("node-1");
        std::fs::create_dir_all(&node).unwrap();
        let file = ClusterFile::parse("").unwrap().resolve(&Default::default(), None).unwrap();
        let args = |dir: &std::path::Path| JournalArgs {
            journal: Some(dir.to_path_buf()),
            sync: None,
            segment_bytes: None,
            retain_bytes: None,
            retain_events: None,
            retain_all: false,
            history_rate: None,
        };
        assert!(args(&base).options(&file, NodeId(0)).is_ok(), "the journals' directory");
        assert!(args(&node).options(&file, NodeId(0)).is_ok(), "an empty one");
        for name in ["lock", "00000000000000000001.journal"] {
            std::fs::write(node.join(name), b"").unwrap();
            let error = args(&node).options(&file, NodeId(0)).unwrap_err();
            assert!(
                error.contains("holds a node's journal itself") && error.contains(name) && !error.contains("  "),
                "{error}"
            );
            std::fs::remove_file(node.join(name)).unwrap();
        }
        std::fs::remove_dir_all(&base).unwrap();
    }
}
