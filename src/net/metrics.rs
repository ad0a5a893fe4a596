//! A node's counters in the Prometheus text format, served over HTTP by a
//! small thread of its own: the poll loop only hands it a fresh page
//! (about once a second, from `run`'s `each_second`), so a scraper never
//! touches the hot path. A node that notes where ([`MetricsServer::note`])
//! is found by `seqcast stat` with no address given, as AeronStat finds
//! Aeron's files: the notes are files in a directory of this user's
//! ([`registry_dir`]). A member publishes its page with
//! [`MetricsServer::publish_member`]; a sequencer or a follower with
//! `publish(leader_page(…))` or `publish(follower_page(…))` from its
//! `run`'s each-second callback the same way.
//!
//! ```no_run
//! use seqcast::core::{Event, MemberEvent, NodeId};
//! use seqcast::net::MemberNode;
//! use seqcast::net::cluster::Cluster;
//! use seqcast::net::metrics::{MetricsServer, NodeKind};
//!
//! /// Runs `node`, member `id` of `cluster`, with its page served.
//! fn run(mut node: MemberNode, id: NodeId, cluster: &Cluster) -> Result<(), Box<dyn std::error::Error>> {
//!     let metrics = MetricsServer::serve("127.0.0.1:0".parse()?)?;
//!     let cluster_of = (cluster.config.cluster_id, cluster.multicast.group);
//!     if let Err(e) = metrics.note(cluster_of, id, NodeKind::Member) {
//!         // It still runs: `seqcast stat` needs its address then.
//!         eprintln!("warning: `seqcast stat` will not find this node without its address: {e}");
//!     }
//!     let delivered = std::cell::Cell::new(0);
//!     node.run(
//!         &seqcast::net::stop_requested,
//!         |event, _now| {
//!             if let MemberEvent::Log(Event::Deliver(_)) = event {
//!                 delivered.set(delivered.get() + 1);
//!             }
//!         },
//!         |member, driver| metrics.publish_member(id, member, driver, delivered.get()),
//!     )?;
//!     Ok(())
//! }
//! ```

use std::fmt::Write as _;
use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, SocketAddrV4, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Driver, DriverStats};
use crate::core::{Claim, Config, ElectionStats, Failover, Follower, Leader, Member, Nanos, NodeId, Rejects};

/// What a member adds to its role's page: the datagrams it dropped in
/// every role it had (a role's own counts start again at each change of
/// role), and its elections.
#[derive(Clone, Copy)]
struct MemberPart<'a> {
    /// Every frame it dropped, in every role (`Member::rejects_all`).
    rejects: Rejects,
    elections: &'a ElectionStats,
    /// Its journal failed: it acknowledges, votes and stands no more.
    journal_failed: bool,
    /// What it counted in every role it led (`Member::losses_shown`): kept
    /// on its page after it steps down.
    losses: (u64, u64),
    /// How far its journal reached before records were dropped from it,
    /// while its log holds less (`Member::damaged_reach`).
    reach: Option<Claim>,
}

impl<'a> MemberPart<'a> {
    fn of(member: &'a Member) -> MemberPart<'a> {
        MemberPart {
            rejects: member.rejects_all(),
            elections: member.election_stats(),
            journal_failed: member.is_journal_failed(),
            losses: member.losses_shown(),
            reach: member.damaged_reach(),
        }
    }
}

/// A node's page, served over HTTP (a GET of any path) by a thread of its
/// own; [`publish`](Self::publish) replaces it (empty until then). Clones
/// serve the same page. When the last is dropped, its notes are removed,
/// and the server stops and frees its port (a node started again in the
/// same process may serve on it).
#[derive(Clone, Debug)]
pub struct MetricsServer {
    shared: Arc<Shared>,
}

/// What a server's clones share.
#[derive(Debug)]
struct Shared {
    page: Arc<Mutex<String>>,
    /// Where it is served.
    addr: SocketAddr,
    /// Its notes for `seqcast stat`.
    notes: Mutex<Vec<Registration>>,
    /// Set as the last clone goes: the serving thread ends.
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What a noted node is, as `seqcast stat` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A sequencer ([`LeaderNode`](super::LeaderNode)).
    Sequencer,
    /// A follower of a sequencer ([`FollowerNode`](super::FollowerNode)).
    Follower,
    /// A member of a cluster with failover ([`MemberNode`](super::MemberNode)).
    Member,
}

impl NodeKind {
    /// Its name in a note, and in `seqcast stat`'s lines.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Sequencer => "sequencer",
            NodeKind::Follower => "follower",
            NodeKind::Member => "member",
        }
    }
}

/// Where this user's running nodes note their metrics address:
/// `$XDG_RUNTIME_DIR/seqcast`, else `/tmp/seqcast-UID`.
pub fn registry_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("seqcast"),
        _ => std::env::temp_dir().join(format!("seqcast-{}", crate::sys::effective_uid())),
    }
}

/// A running node's note in [`registry_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Noted {
    /// The process that runs it.
    pub pid: u32,
    /// The cluster id it runs in.
    pub cluster_id: u32,
    /// Its node id.
    pub node: u16,
    /// `sequencer`, `follower` or `member` ([`NodeKind::name`]).
    pub kind: String,
    /// Where its page is served.
    pub addr: SocketAddr,
    /// Its multicast group (`None`: noted by an older build).
    pub group: Option<SocketAddrV4>,
}

impl Noted {
    /// A note of `kind` node `node` of cluster `cluster_id` by process
    /// `pid`, served at `addr` (as tests and tools make one).
    pub fn new(pid: u32, (cluster_id, node): (u32, u16), kind: &str, addr: SocketAddr) -> Noted {
        Noted { pid, cluster_id, node, kind: kind.to_string(), addr, group: None }
    }
}

/// The notes in [`registry_dir`] of nodes still running, in the order of
/// their files' names; those of processes that ended without removing
/// theirs (killed) are removed.
pub fn noted() -> Vec<Noted> {
    notes_in(&registry_dir())
}

/// The notes in `dir` of nodes still running (see [`noted`]).
pub fn notes_in(dir: &Path) -> Vec<Noted> {
    let mut live = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let Some(pid) = note_pid(&path) else { continue };
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let fields: Vec<&str> = text.split_whitespace().collect();
        let alive = match fields.get(5).and_then(|f| f.strip_prefix("started=")) {
            Some(started) => process_started(pid).is_some_and(|t| t == started),
            // An older build's note: its process is named seqcast, and a
            // process of another name has the id of one that ended.
            None => {
                process_started(pid).is_some()
                    && std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.starts_with("seqcast"))
            }
        };
        if !alive {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let (Some(&[id, node, kind, addr]), group) = (fields.get(..4), fields.get(4)) else { continue };
        if let (Ok(cluster_id), Ok(node), Ok(addr)) = (id.parse(), node.parse(), addr.parse()) {
            let group = group.and_then(|g| g.parse().ok());
            live.push(Noted { pid, cluster_id, node, kind: kind.to_string(), addr, group });
        }
    }
    live
}

/// The process id a note's file is named for: `PID.node` (one node in
/// the process) or `PID-N.node` (its next ones).
fn note_pid(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?.strip_suffix(".node")?;
    name.split('-').next()?.parse().ok()
}

/// When process `pid` started (`/proc/PID/stat`'s starttime, in clock
/// ticks since boot): with its id, what tells it from a later process
/// given the same id. `None` once it ended, a zombie not yet reaped too
/// (a harness that killed it and has not waited for it).
fn process_started(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command, which may hold spaces and parentheses.
    let mut after = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = after.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    after.nth(18).map(str::to_string)
}

/// One node's note in [`registry_dir`], removed when the node ends.
#[derive(Debug)]
struct Registration(PathBuf);

/// Notes written by this process so far, to name the next one's file.
static NOTES_WRITTEN: AtomicU32 = AtomicU32::new(0);

impl Registration {
    /// Notes `line` (`cluster_id node kind address group`) under this
    /// process's id and start.
    fn write(line: &str) -> io::Result<Registration> {
        use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
        let dir = registry_dir();
        let made = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
        let me = crate::sys::effective_uid();
        // Another user's directory (made first, in /tmp) is not ours to trust.
        let why = match (made, std::fs::symlink_metadata(&dir)) {
            (Err(e), _) | (_, Err(e)) => Some(format!("cannot make it: {e}")),
            (_, Ok(m)) if !m.is_dir() => Some("not a directory (a link?)".to_string()),
            (_, Ok(m)) if m.uid() != me => Some(format!("owned by user {}, not this one ({me})", m.uid())),
            (_, Ok(m)) if m.mode() & 0o022 != 0 => {
                Some(format!("mode {:04o}: others may write there", m.mode() & 0o7777))
            }
            _ => None,
        };
        if let Some(why) = why {
            let message = format!("{}: not a private directory of this user's: {why}", dir.display());
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, message));
        }
        // Notes of nodes killed since go now, so that they do not pile up.
        noted();
        let pid = std::process::id();
        let started = process_started(pid).ok_or_else(|| io::Error::other("/proc/self/stat: no start time"))?;
        let n = NOTES_WRITTEN.fetch_add(1, Ordering::Relaxed);
        let path = match n {
            0 => dir.join(format!("{pid}.node")),
            n => dir.join(format!("{pid}-{n}.node")),
        };
        // Whole or not at all: `noted` takes a note without its start for
        // an older build's, and removes it if this process is not named seqcast.
        let part = dir.join(format!(".{pid}-{n}.part"));
        let wrote =
            std::fs::write(&part, format!("{line} started={started}\n")).and_then(|()| std::fs::rename(&part, &path));
        wrote.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(Registration(path))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Scrapes answered at once, each by a thread of its own: more wait
/// their turn (a client that connects and sends nothing holds one for
/// [`REQUEST_WAIT`] at most).
const SCRAPES_AT_ONCE: usize = 8;

/// How long a scrape's request, and its reader, are waited for.
const REQUEST_WAIT: Duration = Duration::from_millis(500);

/// Answers one scrape with `page`.
fn answer(mut stream: std::net::TcpStream, page: &Mutex<String>) {
    let _ = stream.set_read_timeout(Some(REQUEST_WAIT));
    // One that stops reading must not hold the server for good.
    let _ = stream.set_write_timeout(Some(REQUEST_WAIT));
    let mut request = [0u8; 1024];
    let _ = stream.read(&mut request);
    let body = page.lock().map(|p| p.clone()).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes()));
}

impl MetricsServer {
    /// Serves an empty page on `addr` (port 0: a free one) until the last
    /// clone is dropped.
    pub fn serve(addr: SocketAddr) -> io::Result<MetricsServer> {
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{addr}: {e}"));
        let listener = TcpListener::bind(addr).map_err(named)?;
        let addr = listener.local_addr().map_err(named)?;
        let (page, stop) = (Arc::<Mutex<String>>::default(), Arc::new(AtomicBool::new(false)));
        let (serving, stopping) = (Arc::clone(&page), Arc::clone(&stop));
        let thread = std::thread::Builder::new().name("metrics".into()).spawn(move || {
            let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            for stream in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if busy.fetch_add(1, Ordering::AcqRel) >= SCRAPES_AT_ONCE {
                    answer(stream, &serving);
                    busy.fetch_sub(1, Ordering::AcqRel);
                    continue;
                }
                let (page, done) = (Arc::clone(&serving), Arc::clone(&busy));
                let spawned = std::thread::Builder::new().name("metrics scrape".into()).spawn(move || {
                    answer(stream, &page);
                    done.fetch_sub(1, Ordering::AcqRel);
                });
                if spawned.is_err() {
                    busy.fetch_sub(1, Ordering::AcqRel);
                }
            }
        })?;
        let thread = Mutex::new(Some(thread));
        Ok(MetricsServer { shared: Arc::new(Shared { page, addr, notes: Mutex::default(), stop, thread }) })
    }

    /// Where the page is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Notes the page for `seqcast stat` run by this user on this host:
    /// node `node`, a `kind`, of cluster `cluster_id` on `group`. The note
    /// goes when this server (its last clone) is dropped, or, if the
    /// process is killed, at the next `stat` or note. A node that cannot
    /// note its page (a registry directory that is not this user's alone)
    /// still runs: `seqcast stat` then needs its address.
    pub fn note(&self, (cluster_id, group): (u32, SocketAddrV4), node: NodeId, kind: NodeKind) -> io::Result<()> {
        let line = format!("{cluster_id} {} {} {} {group}", node.0, kind.name(), self.shared.addr);
        let note = Registration::write(&line)?;
        if let Ok(mut notes) = self.shared.notes.lock() {
            notes.push(note);
        }
        Ok(())
    }

    /// Replaces the page.
    pub fn publish(&self, page: String) {
        if let Ok(mut p) = self.shared.page.lock() {
            *p = page;
        }
    }

    /// Replaces the page with member `node`'s, whichever role it has
    /// ([`member_page`]); while it stands, the page stays as it was.
    /// `delivered`: the events it handed its application, in every role.
    pub fn publish_member(&self, node: NodeId, member: &Member, driver: &Driver, delivered: u64) {
        if let Some(page) = member_page(node, member, driver, delivered) {
            self.publish(page);
        }
    }
}

impl Drop for Shared {
    /// Stops the server: its thread wakes to a connection of its own, sees
    /// `stop`, and ends, closing the port (a scrape being answered ends
    /// first, within [`REQUEST_WAIT`] twice).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let wake = match self.addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => SocketAddr::from(([127, 0, 0, 1], a.port())),
            SocketAddr::V6(a) if a.ip().is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port())),
            addr => addr,
        };
        let woke = std::net::TcpStream::connect_timeout(&wake, REQUEST_WAIT).is_ok();
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()).filter(|_| woke) {
            let _ = thread.join();
        }
    }
}

/// A page under construction: each metric's samples kept together under
/// its one HELP and TYPE (the text format wants a metric's lines in one
/// group, and the per-follower metrics are added follower by follower).
#[derive(Default)]
struct Page {
    /// (name, HELP and TYPE lines, samples), in the order first added.
    families: Vec<(&'static str, String, String)>,
}

impl Page {
    /// Adds one sample: `name{labels} value`.
    fn sample(&mut self, name: &'static str, kind: &str, help: &str, labels: &str, value: impl std::fmt::Display) {
        let at = match self.families.iter().position(|(n, ..)| *n == name) {
            Some(at) => at,
            None => {
                self.families.push((name, format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"), String::new()));
                self.families.len() - 1
            }
        };
        let _ = writeln!(self.families[at].2, "{name}{labels} {value}");
    }

    /// A member's elections and votes.
    fn elections(&mut self, n: &str, e: &ElectionStats) {
        self.sample("seqcast_elections_stood_total", "counter", "Elections this member stood in.", n, e.stood);
        self.sample("seqcast_elections_won_total", "counter", "Elections it won.", n, e.won);
        self.sample("seqcast_elections_lost_total", "counter", "Elections it lost.", n, e.lost);
        let help = "Of those, candidacies it gave up for a candidate in the same epoch with a more complete log (or as \
                    complete, with a lower id).";
        self.sample("seqcast_elections_yielded_total", "counter", help, n, e.yielded);
        self.sample("seqcast_votes_granted_total", "counter", "Votes it granted.", n, e.granted);
        self.sample("seqcast_votes_refused_total", "counter", "Votes it refused.", n, e.refused);
        let help = "Votes granted only as a member that may have lost a log (held nothing, or not caught up).";
        self.sample("seqcast_votes_granted_empty_total", "counter", help, n, e.granted_empty);
        let help = "Such votes refused instead: the commit quorum is above the election's.";
        self.sample("seqcast_votes_refused_empty_total", "counter", help, n, e.refused_empty);
        let help = "Times it led and stepped down for a newer epoch.";
        self.sample("seqcast_stepped_down_total", "counter", help, n, e.stepped_down);
    }

    /// A role's page ends: whether its journal failed (the role's or its
    /// member's), its rejects (with its member's, and the datagrams its
    /// driver dropped unopened), its socket errors, its member's elections.
    fn finish(
        mut self,
        (node, n): (u16, &str),
        (role, failed): (&Rejects, bool),
        io: &DriverStats,
        member: Option<MemberPart<'_>>,
    ) -> String {
        let failed = failed || member.is_some_and(|m| m.journal_failed);
        let help = "1 once this node's journal failed (a full disk, an I/O error): it acknowledges no more (a \
                    leader sends nothing its journal lacks, a member neither votes nor stands) until restarted.";
        self.sample("seqcast_journal_failed", "gauge", help, n, u64::from(failed));
        self.rejects(node, &member.map_or(*role, |m| m.rejects), io);
        let help = "Sends that failed other than with a full socket buffer (no route, not permitted).";
        self.sample("seqcast_send_errors_total", "counter", help, n, io.send_errors);
        let help = "Receives that failed other than with nothing to read.";
        self.sample("seqcast_recv_errors_total", "counter", help, n, io.recv_errors);
        if let Some(m) = member {
            self.elections(n, m.elections);
            if let Some(reach) = m.reach {
                // Helper 156: what an operator compares before a promote,
                // shown by no tool but verify.
                let help = "How far its journal reached before records were dropped from it (damage, or a start \
                            without a whole claim), while its log holds less: it votes for no shorter log.";
                self.sample("seqcast_reach_seq", "gauge", help, n, reach.seq.get());
                let help = "The epoch of that record.";
                self.sample("seqcast_reach_epoch", "gauge", help, n, reach.epoch.get());
            }
        }
        self.text()
    }

    /// What shows the cluster lost what it had promised clients: SUBMITs of
    /// clients told of commits the leader had no record of, and epochs
    /// clients named that its quorum had lost (`seqcast stat` flags both).
    fn losses(&mut self, n: &str, (told_unknown, clients_ahead): (u64, u64)) {
        let help = "SUBMITs from clients told of commits this node, leading, had no record of: the cluster lost them.";
        self.sample("seqcast_clients_told_unknown_total", "counter", help, n, told_unknown);
        let help = "Epochs past its own that clients named while this node led and its quorum went on \
                    acknowledging it: lost.";
        self.sample("seqcast_client_epochs_lost_total", "counter", help, n, clients_ahead);
    }

    /// The cluster's shape as this node's file gives it: nodes of two
    /// shapes drop each other's frames (`seqcast stat` compares them).
    fn shape(&mut self, labels: &str, config: &Config) {
        let help = "The cluster id this node runs in.";
        self.sample("seqcast_cluster_id", "gauge", help, labels, u64::from(config.cluster_id));
        let help = "Nodes in the cluster, as this node's cluster file gives them.";
        self.sample("seqcast_cluster_nodes", "gauge", help, labels, u64::from(config.nodes));
        let help = "Nodes that must hold an event to commit it, the leader counted.";
        self.sample("seqcast_quorum", "gauge", help, labels, config.quorum() as u64);
        let help = "1 where members elect their leader (failover), 0 without (a sequencer and its followers).";
        let failover = config.failover != Failover::Off;
        self.sample("seqcast_failover", "gauge", help, labels, u64::from(failover));
    }

    /// Rejected datagrams by reason: those the driver dropped unopened
    /// (failed authentication, longer than the MTU) first.
    fn rejects(&mut self, node: u16, r: &Rejects, io: &DriverStats) {
        for (reason, count) in io.unopened().into_iter().chain(r.by_reason()) {
            let labels = format!("{{node=\"{node}\",reason=\"{reason}\"}}");
            let help = "Datagrams dropped on receipt, by reason.";
            self.sample("seqcast_rejects_total", "counter", help, &labels, count);
        }
    }

    fn text(self) -> String {
        self.families.into_iter().flat_map(|(_, head, samples)| [head, samples]).collect()
    }
}

/// Leader `node`'s page, with its driver's counts.
pub fn leader_page(node: NodeId, leader: &Leader, driver: &Driver) -> String {
    leader_text(node.0, leader, driver.stats(), driver.now(), None)
}

/// Follower `node`'s page, with its driver's counts; `delivered`: the
/// events it handed its application.
pub fn follower_page(node: NodeId, follower: &Follower, driver: &Driver, delivered: u64) -> String {
    follower_text(node.0, follower, driver.stats(), driver.now(), delivered, None)
}

/// Member `node`'s page: its role's, with what it counted in every role
/// (its rejects, its elections, what it saw while it led); `delivered`:
/// the events it handed its application, in every role. `None` while it
/// stands (neither leads nor follows).
pub fn member_page(node: NodeId, member: &Member, driver: &Driver, delivered: u64) -> Option<String> {
    let (io, now, part) = (driver.stats(), driver.now(), Some(MemberPart::of(member)));
    match (member.leader(), member.follower()) {
        (Some(l), _) => Some(leader_text(node.0, l, io, now, part)),
        (_, Some(f)) => Some(follower_text(node.0, f, io, now, delivered, part)),
        _ => None,
    }
}

/// A leader's page; `node` is its id, `now` the time on its clock.
fn leader_text(node: u16, leader: &Leader, io: &DriverStats, now: Nanos, member: Option<MemberPart<'_>>) -> String {
    let (mut page, n) = (Page::default(), format!("{{node=\"{node}\"}}"));
    let s = leader.stats();
    page.sample("seqcast_leading", "gauge", "1 while this node leads.", &n, 1);
    let help = "Seconds since this node began to lead (its election, or its start).";
    let led = now.saturating_sub(leader.started_ns()) as f64 / 1e9;
    page.sample("seqcast_leading_seconds", "gauge", help, &n, led);
    page.shape(&n, leader.config());
    page.sample("seqcast_epoch", "gauge", "The epoch this node is in.", &n, leader.epoch().get());
    page.sample("seqcast_commit", "gauge", "The highest committed sequence known.", &n, leader.commit().get());
    page.sample("seqcast_events_stamped_total", "counter", "Events the leader sequenced.", &n, s.events_stamped);
    page.sample("seqcast_in_flight", "gauge", "Sequenced events not committed yet.", &n, leader.in_flight());
    page.sample("seqcast_naks_total", "counter", "NAKs received.", &n, s.naks);
    page.sample("seqcast_events_retransmitted_total", "counter", "Events resent.", &n, s.events_retransmitted);
    page.sample(
        "seqcast_events_from_journal_total",
        "counter",
        "Of the events resent, those read back from the journal (history beyond the ring).",
        &n,
        s.events_from_journal,
    );
    page.sample("seqcast_busy_total", "counter", "BUSY replies sent.", &n, s.busy_sent);
    page.sample("seqcast_clients_evicted_total", "counter", "Client places given up.", &n, s.clients_evicted);
    let help = "SUBMITs of a client id another process uses, with another payload than the leader holds.";
    page.sample("seqcast_client_ids_in_use_total", "counter", help, &n, s.ids_in_use);
    page.losses(&n, member.map_or((s.told_unknown, s.clients_ahead), |m| m.losses));
    let srtt = leader.srtt_ns() as f64 / 1e9;
    page.sample("seqcast_ack_rtt_seconds", "gauge", "Smoothed ACK round trip.", &n, srtt);
    let newest = leader.seq_next().prev().get();
    for (id, &held) in leader.held().iter().enumerate().filter(|&(id, _)| id != usize::from(node)) {
        let labels = format!("{{node=\"{node}\",follower=\"{id}\"}}");
        let help = "The highest sequence a follower ACKed holding, nothing missing below.";
        page.sample("seqcast_follower_held", "gauge", help, &labels, held);
        let help = "Events sequenced that a follower has not ACKed.";
        page.sample("seqcast_follower_lag_events", "gauge", help, &labels, newest.saturating_sub(held));
        let help = "Age of the oldest event a follower has not ACKed.";
        let lag = leader.lag_ns(NodeId(id as u16), now) as f64 / 1e9;
        page.sample("seqcast_follower_lag_seconds", "gauge", help, &labels, lag);
        if let Some(&last) = leader.last_ack_ns().get(id).filter(|&&last| last != 0) {
            let help = "Time since a follower's last ACK (none yet: no sample).";
            let age = now.saturating_sub(last) as f64 / 1e9;
            page.sample("seqcast_follower_ack_age_seconds", "gauge", help, &labels, age);
        }
        let help = "NAKs a follower sent this leader.";
        page.sample("seqcast_follower_naks_total", "counter", help, &labels, leader.naks_by_member()[id]);
    }
    page.finish((node, &n), (leader.rejects(), leader.is_journal_failed()), io, member)
}

/// A follower's page; `node` is its id, `delivered` the events it handed
/// its application (a member counts them across its roles).
fn follower_text(
    node: u16,
    follower: &Follower,
    io: &DriverStats,
    now: Nanos,
    delivered: u64,
    member: Option<MemberPart<'_>>,
) -> String {
    let (mut page, n) = (Page::default(), format!("{{node=\"{node}\"}}"));
    let s = follower.stats();
    page.sample("seqcast_leading", "gauge", "1 while this node leads.", &n, 0);
    page.shape(&n, follower.config());
    page.sample("seqcast_epoch", "gauge", "The epoch this node is in.", &n, follower.epoch().get());
    page.sample(
        "seqcast_leader_silent_seconds",
        "gauge",
        "Seconds since a frame of the leader followed last came (since the start if none came).",
        &n,
        format_args!("{:.3}", follower.leader_heard_ns_ago(now) as f64 / 1e9),
    );
    page.sample("seqcast_commit", "gauge", "The highest committed sequence known.", &n, follower.commit().get());
    page.sample(
        "seqcast_held",
        "gauge",
        "The highest sequence held, nothing missing below.",
        &n,
        follower.seq_held().get(),
    );
    page.sample(
        "seqcast_held_durable",
        "gauge",
        "The highest sequence held, nothing missing below, and with a journal durable at its sync level: what \
         its ACKs may claim.",
        &n,
        follower.seq_durable().get(),
    );
    page.sample("seqcast_delivered_total", "counter", "Events delivered in order.", &n, delivered);
    page.sample("seqcast_gaps_total", "counter", "Sequences found missing.", &n, s.gaps);
    page.sample("seqcast_naks_sent_total", "counter", "NAKs sent.", &n, s.naks_sent);
    page.sample("seqcast_acks_sent_total", "counter", "ACKs sent.", &n, s.acks_sent);
    page.sample(
        "seqcast_acks_covered_total",
        "counter",
        "ACKs not sent: a commit heard before they left already covered them.",
        &n,
        s.acks_covered,
    );
    if follower.config().failover != Failover::Off {
        let help = "ACKs not sent: this member voted in, or stands for, an epoch newer than the leader it follows.";
        page.sample("seqcast_acks_fenced_total", "counter", help, &n, s.acks_fenced);
        let help = "Events of a newer leader not taken before its HEARTBEAT showed its log holds the commit known.";
        page.sample("seqcast_unproven_events_total", "counter", help, &n, s.unproven);
        let help = "Leaders (of a newer epoch, or of the epoch of the log this member resumed) whose log was taken \
                    without comparing its event at the last sequence this member kept (that leader no longer held \
                    it, or this member did not).";
        page.sample("seqcast_leaders_unchecked_total", "counter", help, &n, s.leaders_unchecked);
    }
    page.sample("seqcast_lost_total", "counter", "Events reported lost.", &n, s.lost);
    if follower.config().failover != Failover::Off {
        let help = "Events taken from members that do not lead, asked after the leader no longer had them.";
        page.sample("seqcast_events_from_members_total", "counter", help, &n, s.events_from_members);
        let help =
            "Events this member served from its journal while following, to others whose leader no longer had them.";
        page.sample("seqcast_history_events_served_total", "counter", help, &n, s.events_served);
    }
    if let Some(m) = member {
        // What it saw while it led, if it did.
        page.losses(&n, m.losses);
    }
    page.finish((node, &n), (follower.rejects(), follower.is_journal_failed()), io, member)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Config;

    /// Every metric appears as one group: its HELP, its TYPE, then all its samples.
    fn assert_grouped(page: &str) {
        let mut seen: Vec<&str> = Vec::new();
        for line in page.lines() {
            let name = match line.strip_prefix("# HELP ").or_else(|| line.strip_prefix("# TYPE ")) {
                Some(rest) => rest.split(' ').next().unwrap(),
                None => line.split(['{', ' ']).next().unwrap(),
            };
            if seen.last() != Some(&name) {
                assert!(!seen.contains(&name), "{name} comes in two groups:\n{page}");
                assert!(line.starts_with("# HELP "), "{name} starts without its HELP:\n{page}");
                seen.push(name);
            }
        }
    }

    #[test]
    fn a_leader_page_keeps_each_metric_in_one_group() {
        let config = Config { nodes: 4, ..Config::default() };
        let leader = Leader::new(config, 0).unwrap();
        let page = leader_text(0, &leader, &DriverStats::default(), 0, None);
        assert_grouped(&page);
        for f in 1..=3 {
            assert!(page.contains(&format!("seqcast_follower_held{{node=\"0\",follower=\"{f}\"}} 0\n")), "{page}");
        }
        assert_eq!(page.matches("# TYPE seqcast_follower_lag_seconds gauge").count(), 1, "{page}");
        assert!(page.contains("seqcast_clients_told_unknown_total{node=\"0\"} 0\n"), "{page}");
    }

    #[test]
    fn a_follower_page_keeps_each_metric_in_one_group() {
        let follower = Follower::new(Config { nodes: 3, ..Config::default() }, NodeId(1), 0);
        let page = follower_text(1, &follower.unwrap(), &DriverStats::default(), 2_500_000_000, 0, None);
        assert_grouped(&page);
        // No leader heard since it started, 2.5 s ago.
        assert!(page.contains("seqcast_leader_silent_seconds{node=\"1\"} 2.500\n"), "{page}");
    }

    #[test]
    fn a_members_page_adds_its_rejects_to_its_roles_and_its_elections() {
        let follower = Follower::new(Config { nodes: 3, ..Config::default() }, NodeId(1), 0).unwrap();
        let rejects = Rejects { wrong_epoch: 7, ..Rejects::default() };
        let elections = ElectionStats { won: 2, granted_empty: 1, ..ElectionStats::default() };
        let reach = Some(Claim { epoch: crate::core::Epoch(1), seq: crate::core::Seq(60174) });
        let part = MemberPart { rejects, elections: &elections, journal_failed: true, losses: (3, 1), reach };
        let page = follower_text(1, &follower, &DriverStats::default(), 0, 0, Some(part));
        assert_grouped(&page);
        assert!(page.contains("seqcast_rejects_total{node=\"1\",reason=\"wrong_epoch\"} 7\n"), "{page}");
        assert!(page.contains("seqcast_elections_won_total{node=\"1\"} 2\n"), "{page}");
        assert!(page.contains("seqcast_votes_granted_empty_total{node=\"1\"} 1\n"), "{page}");
        assert!(page.contains("seqcast_journal_failed{node=\"1\"} 1\n"), "{page}");
        // What it saw while it led stays on its page as a follower.
        assert!(page.contains("seqcast_clients_told_unknown_total{node=\"1\"} 3\n"), "{page}");
        assert!(page.contains("seqcast_client_epochs_lost_total{node=\"1\"} 1\n"), "{page}");
        // How far its journal reached before damage, which `stat` shows.
        assert!(page.contains("seqcast_reach_seq{node=\"1\"} 60174\n"), "{page}");
        assert!(page.contains("seqcast_reach_epoch{node=\"1\"} 1\n"), "{page}");
    }

    /// A reviewer gave a follower another cluster's key: its stop line
    /// counted 5,615 datagrams that failed authentication, while its page
    /// (and `seqcast stat`'s rejects, their sum) said 0.
    #[test]
    fn datagrams_dropped_unopened_count_among_the_rejects() {
        let follower = Follower::new(Config { nodes: 3, ..Config::default() }, NodeId(1), 0).unwrap();
        let mut io = DriverStats::default();
        (io.auth_failed, io.send_errors) = ([1, 2, 5615], 3);
        let page = follower_text(1, &follower, &io, 0, 0, None);
        assert_grouped(&page);
        assert!(page.contains("seqcast_rejects_total{node=\"1\",reason=\"auth_bad_tag\"} 5615\n"), "{page}");
        assert!(page.contains("seqcast_rejects_total{node=\"1\",reason=\"auth_short\"} 1\n"), "{page}");
        assert!(page.contains("seqcast_send_errors_total{node=\"1\"} 3\n"), "{page}");
    }
}
