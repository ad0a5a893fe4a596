//! `seqcast stat`: the live counters of running nodes, one line a node,
//! refreshed each second, read from their metrics endpoints: those given,
//! else every node running on this host (what AeronStat is to Aeron).

use std::collections::{BTreeMap, HashMap};
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use seqcast::net::metrics::Noted;

use super::fail;

/// `seqcast stat`.
#[derive(Debug, Args)]
pub struct StatArgs {
    /// The nodes' --metrics addresses [default: every node this user runs
    /// on this host].
    #[arg(value_name = "HOST:PORT", value_parser = super::args::socket_addr)]
    nodes: Vec<SocketAddr>,
    /// Only the nodes of this cluster id (of those running on this host).
    #[arg(long, value_name = "ID", conflicts_with = "nodes")]
    cluster_id: Option<u32>,
    /// Only the nodes of this cluster file's cluster (of those running on
    /// this host).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["nodes", "cluster_id"])]
    cluster: Option<std::path::PathBuf>,
    /// Print one table and exit (exit 1 if a node did not answer or has no
    /// counters yet, a node of the cluster file whose address is this
    /// host's is not running, a node reports a fault in capitals (its
    /// journal failed, it hears no leader, a leader hears too few followers
    /// to commit or too few ACK what it sends), a node id runs in more
    /// than one process here, or the
    /// cluster is split: two leaders in one epoch or of two shapes).
    #[arg(long)]
    once: bool,
}

/// One node's page, as name{labels} → value.
fn scrape(addr: SocketAddr) -> Result<BTreeMap<String, f64>, String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).map_err(|e| match e.kind() {
        // A node that stopped since it was found (or was killed) leaves its
        // address with nothing behind it.
        std::io::ErrorKind::ConnectionRefused => "nothing listens there (the node stopped or was killed)".to_string(),
        _ => e.to_string(),
    })?;
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    // Read to the end: a server that keeps connections open (another
    // service on that port) must close this one too.
    let request = b"GET /metrics HTTP/1.1\r\nHost: seqcast\r\nConnection: close\r\n\r\n";
    stream.write_all(request).map_err(|e| e.to_string())?;
    let mut page = String::new();
    stream.read_to_string(&mut page).map_err(|e| match e.kind() {
        // A node stopped (SIGSTOP) or starved accepts and does not answer.
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            "connected, but no answer within 500 ms (the node is stopped, or starved of CPU)".to_string()
        }
        _ => e.to_string(),
    })?;
    let body = page.split("\r\n\r\n").nth(1).ok_or("not an HTTP answer")?;
    Ok(body
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect())
}

/// The sum of every sample of `name` (all its label sets); 0 if none
/// (from +0: `sum` of no floats is -0, printed "-0").
fn total(samples: &BTreeMap<String, f64>, name: &str) -> f64 {
    samples.iter().filter(|(k, _)| k.split('{').next() == Some(name)).fold(0.0, |sum, (_, v)| sum + v)
}

/// The first sample of `name`, if any.
fn first(samples: &BTreeMap<String, f64>, name: &str) -> Option<f64> {
    samples.iter().find(|(k, _)| k.split('{').next() == Some(name)).map(|(_, v)| *v)
}

/// In a [`Leading`]'s shape: the node runs without failover (its page's
/// `seqcast_failover` is 0: a sequencer).
const WITHOUT_FAILOVER: u32 = 1 << 31;

/// A node that says it leads: its id, its epoch, and its cluster's shape
/// as its file gives it ([`Config::shape`](seqcast::core::Config::shape); 0
/// from a node that does not say).
type Leading = (String, u64, u32);

/// A leading node's cluster id, where its page gives it.
type ClusterOf = Option<u64>;

/// One node's line, whether it reports a fault, and, if it leads, who it
/// is and in which cluster.
type Row = (String, bool, Option<(ClusterOf, Leading)>);

/// One node's [`Row`].
fn row(addr: SocketAddr, other_seen: &mut HashMap<SocketAddr, f64>) -> Result<Row, String> {
    let s = scrape(addr).map_err(|e| format!("no answer: {e}"))?;
    // A node serves its first page at its first status tick, a second
    // after its loop starts (after any journal replay): until then nothing
    // says its role, and zeros would read as a follower of epoch 0.
    if s.is_empty() {
        return Err("started, no counters yet (a node publishes its first a second after it starts running, after \
                    any journal replay; ask again)"
            .into());
    }
    if first(&s, "seqcast_epoch").is_none() {
        return Err("not a seqcast node's metrics page (no seqcast_epoch)".into());
    }
    let leading = first(&s, "seqcast_leading") == Some(1.0);
    let journal_failed = first(&s, "seqcast_journal_failed") == Some(1.0);
    let node = s.keys().find_map(|k| k.split("node=\"").nth(1)?.split('"').next().map(str::to_string));
    let mut failed = String::new();
    let lag = if leading {
        let (text, heard) = lag_text(&s);
        // It counts itself: a commit needs `quorum - 1` followers heard.
        let quorum = first(&s, "seqcast_quorum").unwrap_or(0.0) as usize;
        if heard + 1 < quorum {
            failed.push_str(&format!(
                "  BELOW QUORUM: hears {} of the {quorum} nodes a commit needs, itself counted: nothing commits",
                heard + 1
            ));
        } else if journal_failed {
            // Its own journal stopped it, not its followers (helper 187:
            // the line blamed them, who hold all it sent).
            failed.push_str(LEADER_JOURNAL_FAILED);
        } else if let Some(stalled) = stalled_text(&s, quorum) {
            failed.push_str(&stalled);
        }
        text
    } else {
        let held = first(&s, "seqcast_held").unwrap_or(0.0);
        // Sequences it was told are gone (UNRECOVERABLE): a hole in its log.
        let lost = total(&s, "seqcast_lost_total");
        let lost = if lost > 0.0 { format!(" lost {lost}") } else { String::new() };
        // Helper 177: a member whose journal failed showed "held 1" with
        // nothing on disk: it acknowledges only what its journal holds.
        let durable = first(&s, "seqcast_held_durable").unwrap_or(held);
        let on_disk = match journal_failed && durable < held {
            true => format!(" ({durable} in its journal)"),
            false => String::new(),
        };
        format!("held {held}{on_disk} delivered {}{lost}", total(&s, "seqcast_delivered_total"))
    };
    if journal_failed && !leading {
        failed.push_str("  JOURNAL FAILED");
    }
    failed.push_str(&losses_text(&s));
    // A damaged member's reach: what OPERATIONS has an operator compare
    // before a promote (helper 156: `stat` showed it nowhere).
    failed.push_str(&reach_text(&s));
    // A follower that hears no leader: one down, or none elected.
    if let Some(silent) = first(&s, "seqcast_leader_silent_seconds").filter(|&s| !leading && s >= 1.0) {
        failed.push_str(&format!("  NO LEADER HEARD for {silent:.1} s"));
    }
    // Faults now; what follows counts since the node started.
    let fault = !failed.is_empty();
    // Frames of members whose cluster file gives another shape, dropped
    // since it started: files that differ, a split with one leader or two
    // (a split fails `--once` below; one member restarted with the right
    // file leaves this count behind, no fault).
    // Each second after the first, what the last second dropped: an
    // operator's trial could not tell a split fixed from one going on.
    let other = s.iter().filter(|(k, _)| k.contains("reason=\"other_shape\"")).map(|(_, v)| *v).sum::<f64>();
    failed.push_str(&other_shape_text(other, other_seen.insert(addr, other)));
    let (node, epoch) = (node.unwrap_or_else(|| "?".into()), first(&s, "seqcast_epoch").unwrap_or(0.0));
    let line = format!(
        "{addr:<21} node {node:<3} {:<8} epoch {epoch:<14} commit {:<10} {lag}  naks {} rejects {}{failed}",
        if leading { "leader" } else { "follower" },
        first(&s, "seqcast_commit").unwrap_or(0.0),
        total(&s, "seqcast_naks_total") + total(&s, "seqcast_naks_sent_total"),
        total(&s, "seqcast_rejects_total"),
    );
    let nodes = first(&s, "seqcast_cluster_nodes").unwrap_or(0.0) as u32;
    // A node that says it runs without failover (an older build says nothing).
    let without = if first(&s, "seqcast_failover") == Some(0.0) { WITHOUT_FAILOVER } else { 0 };
    let shape = (nodes << 16) | first(&s, "seqcast_quorum").unwrap_or(0.0) as u32 | without;
    let cluster = first(&s, "seqcast_cluster_id").map(|id| id as u64);
    Ok((line, fault, leading.then_some((cluster, (node, epoch as u64, shape)))))
}

/// What a node that led saw of committed events the cluster lost
/// (`seqcast_clients_told_unknown_total`, `seqcast_client_epochs_lost_total`):
/// a fault for good, until it restarts (its warnings said when).
fn losses_text(s: &BTreeMap<String, f64>) -> String {
    let told = total(s, "seqcast_clients_told_unknown_total");
    let epochs = total(s, "seqcast_client_epochs_lost_total");
    let mut said = Vec::new();
    if told > 0.0 {
        said.push(format!("{told} SUBMITs from clients told of commits it had no record of"));
    }
    if epochs > 0.0 {
        let s = if epochs == 1.0 { "" } else { "s" };
        said.push(format!("clients named {epochs} epoch{s} newer than its own that its quorum had lost"));
    }
    if said.is_empty() {
        return String::new();
    }
    format!(
        "  LOST COMMITS while it led: {}: the cluster lost events it had said were committed (its warnings say \
         which; docs/OPERATIONS.md, Leader failover)",
        said.join(", and ")
    )
}

/// A node's frames of members of another cluster shape: `other` since it
/// started, `before` a second ago (`None` on the first look).
fn other_shape_text(other: f64, before: Option<f64>) -> String {
    // A count that fell: the node restarted since, and counts anew.
    match before.map(|before| if other < before { other } else { other - before }) {
        _ if other == 0.0 => String::new(),
        None => format!("  OTHER SHAPE: dropped {other} frames of members whose file differs since it started"),
        Some(new) if new > 0.0 => format!(
            "  OTHER SHAPE: dropped {new} frames of members whose file differs in the last second ({other} since \
             it started)"
        ),
        Some(_) => format!("  (other shape: {other} frames since it started, none in the last second)"),
    }
}

/// What two or more nodes of one cluster that each say they lead mean, and
/// whether that fails a health check: leaders whose files give different
/// shapes, or two in one epoch, are a split cluster (elections give one
/// shape of cluster one leader an epoch); otherwise the older ones have
/// not yet heard of the newest.
fn leaders_text(cluster: &str, leaders: &[Leading]) -> Option<(String, bool)> {
    if leaders.len() < 2 {
        return None;
    }
    let known: Vec<u32> = leaders.iter().map(|l| l.2).filter(|&s| s != 0).collect();
    let shapes = known.iter().any(|&s| s != known[0]);
    let named: Vec<String> = leaders
        .iter()
        .map(|(node, epoch, shape)| match (shapes, *shape) {
            (true, shape) if shape != 0 => {
                let without = if shape & WITHOUT_FAILOVER != 0 { ", without failover" } else { "" };
                format!(
                    "node {node} (epoch {epoch}, {}{without})",
                    seqcast::core::shape_text(shape & !WITHOUT_FAILOVER)
                )
            }
            _ => format!("node {node} (epoch {epoch})"),
        })
        .collect();
    let newest = leaders.iter().map(|l| l.1).max().unwrap_or(0);
    let split = shapes || leaders.iter().filter(|l| l.1 == newest).count() > 1;
    // Leaders with failover and without: members, and a sequencer started
    // with their file. Members take nothing of it, but it must go.
    let without = |l: &Leading| l.2 & WITHOUT_FAILOVER != 0;
    let mixed = leaders.iter().any(without) && leaders.iter().any(|l| l.2 != 0 && !without(l));
    let why = match (shapes, split) {
        _ if mixed => {
            "A SEQUENCER AMONG MEMBERS: the one without failover (a `seqcast sequencer` started with the members' \
             cluster file, by mistake?) is no leader they elected, and they take nothing of it; stop it"
        }
        (true, _) => {
            "A SPLIT CLUSTER: their cluster files differ, and each group may commit its own events under the same \
             sequences; stop the members whose file is wrong now (their journals are another history: \
             docs/OPERATIONS.md, changing the node count)"
        }
        (false, true) => {
            "TWO LEADERS IN ONE EPOCH: a split cluster, each group committing its own events under the same \
             sequences; stop one group now"
        }
        (false, false) => {
            "the ones of an older epoch were replaced while not heard (paused, or cut off) and step down when \
             they hear the newest; nothing of theirs commits"
        }
    };
    Some((format!("{cluster}{} lead: {why}", named.join(" and ")), split))
}

/// Every node of `cluster_id` (all with `None`) this user runs on this
/// host, as each noted itself
/// ([`registry_dir`](seqcast::net::metrics::registry_dir)); notes of
/// processes that ended (killed) are removed.
fn running(cluster_id: Option<u32>) -> Vec<Noted> {
    let mut found = seqcast::net::metrics::noted();
    found.retain(|r| cluster_id.is_none_or(|c| c == r.cluster_id));
    found.sort_by_key(|r| (r.cluster_id, r.node, r.group, r.addr));
    found
}

/// Of `found`, those on `group` (a cluster file's; every one without);
/// a line for each other one: a cluster of the same id on another group,
/// whose nodes are no node of the file's (helper 138's health check took
/// another cluster's node 0 for a second process of its own).
fn on_group(found: Vec<Noted>, group: Option<std::net::SocketAddrV4>) -> (Vec<Noted>, Vec<String>) {
    let Some(group) = group else { return (found, Vec::new()) };
    let (ours, others): (Vec<Noted>, Vec<Noted>) = found.into_iter().partition(|r| r.group.is_none_or(|g| g == group));
    let said = others
        .iter()
        .map(|r| {
            format!(
                "cluster {:<6} {:<9} {:<21} node {:<3} on group {}, not this file's {group}: another cluster with \
                 this id (or a node started with --group over the file's), left out",
                r.cluster_id,
                r.kind,
                r.addr.to_string(),
                r.node,
                r.group.map_or("?".to_string(), |g| g.to_string())
            )
        })
        .collect();
    (ours, said)
}

/// A line for each node id that more than one running process uses.
fn twice_text(found: &[Noted]) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, r) in found.iter().enumerate() {
        // One id on two groups is two clusters' (a note of no group, an
        // older build's, is taken for either).
        let same = |o: &&Noted| {
            (o.cluster_id, o.node) == (r.cluster_id, r.node)
                && (o.group == r.group || o.group.is_none() || r.group.is_none())
        };
        if i > 0 && same(&&found[i - 1]) {
            continue;
        }
        let addrs: Vec<String> = found[i..].iter().take_while(same).map(|o| o.addr.to_string()).collect();
        if addrs.len() > 1 {
            lines.push(format!(
                "cluster {:<6} node {:<3} RUNS {} TIMES (metrics at {}): processes started with one id; stop the \
                 ones started by mistake",
                r.cluster_id,
                r.node,
                addrs.len(),
                addrs.join(", ")
            ));
        }
    }
    lines
}

/// Why a node of the cluster file, at `addr` on this host, has no note in
/// this user's registry: nothing holds its address (not running), or who
/// does. Helper 140 had a member of another cluster id there; a review:
/// a node run by another user (a service's), noting in another
/// `XDG_RUNTIME_DIR`, or still reading its journal holds it too.
fn unnoted_text(addr: std::net::SocketAddrV4, (cluster, group): (u32, Option<std::net::SocketAddrV4>)) -> String {
    use super::held;
    let holder = held::udp_holder(addr);
    // Where /proc says nothing, a bind tells whether it is held at all.
    let held = holder.is_some() || std::net::UdpSocket::bind(addr).is_err_and(|e| e.kind() == ErrorKind::AddrInUse);
    if !held {
        return "NOT RUNNING (its address is this host's, and no metrics are noted by this user)".to_string();
    }
    // SAFETY: getuid cannot fail and touches no memory.
    let me = unsafe { libc::getuid() };
    let Some(held::Holder { uid, pid }) = holder else {
        return format!(
            "NOT OF THIS CLUSTER: a process holds its address, but no node of cluster {cluster} is noted there by \
             this user (another cluster's? `seqcast stat` without --cluster lists every node this user runs)"
        );
    };
    let command = pid.and_then(held::command).unwrap_or_default();
    let of = match uid == me {
        true => String::new(),
        false => format!(" of user {}", held::user_name(uid)),
    };
    // A service that embeds a node has a name of its own: its notes, not
    // its name, say whether it runs one (helper 183).
    let named_seqcast = command.starts_with("seqcast");
    let in_use = |pid: u32| {
        format!(
            "ADDRESS IN USE by process {pid} ({command}){of}, which notes no seqcast node (another program's socket, \
             or a service that embeds a node and notes no metrics page, or not yet: still reading its journal?): no \
             node can start there"
        )
    };
    if uid != me {
        if let Some(pid) = pid.filter(|_| !named_seqcast) {
            return in_use(pid);
        }
        let user = held::user_name(uid);
        let who = pid.map_or("a process".to_string(), |pid| format!("process {pid} ({command})"));
        return format!(
            "NOT NOTED BY THIS USER: {who}{of} holds its address, and notes its metrics where that user's nodes \
             do: run `seqcast stat` as {user}"
        );
    }
    let Some(pid) = pid else {
        return "NOT NOTED: a process of this user holds its address, and has noted no metrics (still starting?)"
            .to_string();
    };
    let dir = seqcast::net::metrics::registry_dir();
    // The process's nodes (an embedding service may run more than one).
    let theirs: Vec<String> = seqcast::net::metrics::noted()
        .into_iter()
        .filter(|r| r.pid == pid)
        .map(|r| {
            let on = r.group.map_or(String::new(), |g| format!(" on group {g}"));
            format!("{} node {} of cluster {}{on}", r.kind, r.node, r.cluster_id)
        })
        .collect();
    if !theirs.is_empty() {
        let file = group.map_or(String::new(), |g| format!(" and group {g}"));
        return format!(
            "NOT OF THIS CLUSTER: process {pid} holds its address as {}, not of this file's cluster {cluster}{file} \
             (started with another cluster id, group or file?)",
            theirs.join(" and ")
        );
    }
    // Its registry is where its environment says (metrics::registry_dir).
    let theirs = match held::environment(pid, "XDG_RUNTIME_DIR") {
        Some(Some(runtime)) if !runtime.is_empty() => Some(std::path::Path::new(&runtime).join("seqcast")),
        Some(_) => Some(std::env::temp_dir().join(format!("seqcast-{me}"))),
        None => None,
    };
    let notes_there = |theirs: &std::path::Path| {
        named_seqcast || seqcast::net::metrics::notes_in(theirs).iter().any(|r| r.pid == pid)
    };
    match theirs {
        Some(theirs) if theirs != dir && notes_there(&theirs) => format!(
            "NOTED ELSEWHERE: process {pid} ({command}) holds its address and notes its metrics in {} (its \
             XDG_RUNTIME_DIR), not {}: run `seqcast stat` with its XDG_RUNTIME_DIR",
            theirs.display(),
            dir.display()
        ),
        _ if !named_seqcast => in_use(pid),
        _ => format!(
            "NOT NOTED YET: process {pid} ({command}) holds its address and has noted no metrics (still reading \
             its journal?)"
        ),
    }
}

/// True if `addr`'s IP is one of this host's (its interfaces' addresses;
/// not a bind, which `ip_nonlocal_bind` lets succeed for any address).
fn on_this_host(addr: &std::net::SocketAddrV4) -> bool {
    seqcast::net::is_local_addr(*addr.ip()).unwrap_or(false)
}

/// Runs `seqcast stat`.
pub fn run(args: &StatArgs) -> ExitCode {
    // With a cluster file, its nodes: one not running here is said so.
    let (cluster_id, listed, group) = match &args.cluster {
        Some(path) => match seqcast::net::cluster::ClusterFile::read(path) {
            Ok(file) => {
                // A file no node would start on (a group that is not
                // multicast, a quorum above its nodes) is said so, not watched.
                if let Err(e) = file.resolve(&seqcast::net::cluster::Overrides::default(), None) {
                    return fail(e);
                }
                (
                    Some(file.settings.cluster_id.unwrap_or(seqcast::core::Config::default().cluster_id)),
                    file.nodes,
                    Some(file.settings.group.unwrap_or(seqcast::net::Multicast::default().group)),
                )
            }
            Err(e) => return fail(e),
        },
        None => (args.cluster_id, Vec::new(), None),
    };
    // Each node's count of frames of another cluster shape, a second ago.
    let mut other_seen = HashMap::new();
    loop {
        let (mut failed, mut twice) = (false, false);
        // Each node's line prefix, metrics address, and group where more
        // than one group shows.
        type Listed = (String, SocketAddr, Option<std::net::SocketAddrV4>);
        let nodes: Vec<Listed> = if args.nodes.is_empty() {
            let (found, elsewhere) = on_group(running(cluster_id), group);
            for line in elsewhere {
                println!("{line}");
            }
            if found.is_empty() {
                let which = cluster_id.map_or(String::new(), |id| format!(" of cluster {id}"));
                let dir = seqcast::net::metrics::registry_dir();
                let none = format!("no seqcast node{which} is running on this host (none noted in {})", dir.display());
                // With a cluster file, its nodes of this host are listed below.
                if args.once && listed.is_empty() {
                    return fail(none);
                }
                println!("{none}");
            }
            for (id, addr) in
                listed.iter().enumerate().filter(|&(id, _)| !found.iter().any(|r| usize::from(r.node) == id))
            {
                let cluster = cluster_id.unwrap_or_default();
                // A node whose address is this host's should be running here:
                // a health check must not pass while it is down.
                if on_this_host(addr) {
                    failed = true;
                    println!("cluster {cluster:<6} node {id:<3} {addr}: {}", unnoted_text(*addr, (cluster, group)));
                } else {
                    println!("cluster {cluster:<6} node {id:<3} {addr}: on another host (run `seqcast stat` there)");
                }
            }
            for line in twice_text(&found) {
                // The leader takes both processes' ACKs and NAKs as one
                // node's: no health check may pass.
                twice = true;
                println!("{line}");
            }
            // Clusters of one id on several groups: each line names its group.
            let several = found.iter().filter_map(|r| r.group).collect::<std::collections::BTreeSet<_>>().len() > 1;
            let on = |r: &Noted| match r.group.filter(|_| several) {
                Some(group) => format!("on {group:<21} "),
                None => String::new(),
            };
            found
                .iter()
                .map(|r| {
                    (
                        format!("cluster {:<6} {}{:<9} ", r.cluster_id, on(r), r.kind),
                        r.addr,
                        r.group.filter(|_| several),
                    )
                })
                .collect()
        } else {
            args.nodes.iter().map(|&a| (String::new(), a, None)).collect()
        };
        // Per cluster (the name's first field), the nodes that lead.
        let mut leaders: BTreeMap<String, Vec<Leading>> = BTreeMap::new();
        let mut faults = false;
        for (name, addr, group) in nodes {
            match row(addr, &mut other_seen) {
                Ok((line, fault, leading)) => {
                    faults |= fault;
                    println!("{name}{line}");
                    if let Some((id, leader)) = leading {
                        // By the cluster id its page gives, else its name's.
                        let cluster: Vec<&str> = name.split_whitespace().take(2).collect();
                        let cluster = match id {
                            // Clusters of one id on several groups are several.
                            Some(id) => match group {
                                Some(group) => format!("cluster {id} on {group}: "),
                                None => format!("cluster {id}: "),
                            },
                            None if cluster.is_empty() => String::new(),
                            None => cluster.join(" ") + ": ",
                        };
                        leaders.entry(cluster).or_default().push(leader);
                    }
                }
                Err(e) => {
                    failed = true;
                    println!("{name}{addr:<21} {e}");
                }
            }
        }
        let mut split = false;
        for (cluster, leaders) in &leaders {
            if let Some((text, two)) = leaders_text(cluster, leaders) {
                split |= two;
                println!("{text}");
            }
        }
        if args.once {
            return match (failed, split, faults) {
                (_, true, _) => fail("more than one leader (above): a split cluster, or a sequencer among members"),
                _ if twice => fail("a node id is used by more than one process (above)"),
                (true, false, _) => fail(
                    "a node did not answer, has no counters yet, is not running, or runs where this user cannot \
                     read it (above)",
                ),
                (false, false, true) => fail("a node reports a fault (in capitals above)"),
                (false, false, false) => ExitCode::SUCCESS,
            };
        }
        println!();
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// A follower not heard for longer than this is silent: a live one ACKs
/// at least every 250 ms (`KEEPALIVE_NS`).
const SILENT_S: f64 = 1.0;

/// A leader's word on its followers: the largest lag of those it hears
/// (which follower), then those silent, and for how long; and how many it
/// hears. A silent follower's lag only grows: it is no lag to compare with
/// the others'.
/// Seconds the oldest uncommitted event of a leader may wait before its
/// line says commits stalled: as long as a follower may ACK nothing new
/// before the leader warns of it.
const STALLED_S: f64 = 2.0;

/// A leader's fault where its own journal failed: its followers' lag is
/// what it sequenced and could not journal, which it never sends.
const LEADER_JOURNAL_FAILED: &str = "  JOURNAL FAILED: it sends nothing its journal lacks, so nothing more commits \
                                     (the followers' lag is what it took since, unsent; they hold all it sent)";

/// A leader's fault where its followers are heard but too few ACK what it
/// sends: its oldest uncommitted event is as old as the `quorum - 1`th
/// smallest follower lag (itself counted, with none). Helper 143: with
/// both followers' journals failed, nothing committed and the line said
/// nothing of it.
fn stalled_text(s: &BTreeMap<String, f64>, quorum: usize) -> Option<String> {
    let mut lags: Vec<(f64, &str)> = s
        .iter()
        .filter_map(|(k, &v)| {
            let f = k.strip_prefix("seqcast_follower_lag_seconds{")?.split("follower=\"").nth(1)?.split('"').next()?;
            Some((v, f))
        })
        .collect();
    lags.sort_by(|a, b| a.0.total_cmp(&b.0));
    let oldest = lags.get(quorum.checked_sub(2)?)?.0;
    if oldest < STALLED_S {
        return None;
    }
    let behind: Vec<String> =
        lags.iter().filter(|(lag, _)| *lag >= STALLED_S).map(|(lag, f)| format!("follower {f} {lag:.1} s")).collect();
    let needs = match quorum - 1 {
        1 => "1 follower".to_string(),
        n => format!("{n} followers"),
    };
    Some(format!(
        "  COMMITS STALLED: its oldest uncommitted event is {oldest:.1} s old: too few followers ACK what it sends \
         (a commit needs {needs} besides itself; {} behind; one whose journal failed ACKs nothing more: see its \
         line)",
        behind.join(", ")
    ))
}

fn lag_text(s: &BTreeMap<String, f64>) -> (String, usize) {
    let of = |name: &str, follower: &str| {
        s.iter().find(|(k, _)| k.starts_with(name) && k.contains(&format!("follower=\"{follower}\""))).map(|(_, v)| *v)
    };
    let followers: Vec<&str> = s
        .keys()
        .filter(|k| k.starts_with("seqcast_follower_lag_events{"))
        .filter_map(|k| k.split("follower=\"").nth(1)?.split('"').next())
        .collect();
    let (mut worst, mut silent, mut heard) = (None::<(f64, f64, &str)>, Vec::new(), 0);
    // Just elected, it has not heard every follower yet (helper 145: a
    // health check 0.3 s after a failover read BELOW QUORUM).
    let new =
        s.iter().find(|(k, _)| k.starts_with("seqcast_leading_seconds")).map(|(_, &v)| v).filter(|&v| v < SILENT_S);
    for f in followers {
        let (events, seconds) = (of("seqcast_follower_lag_events{", f), of("seqcast_follower_lag_seconds{", f));
        let (events, seconds) = (events.unwrap_or(0.0), seconds.unwrap_or(0.0));
        // Idle or not: a live follower ACKs a keepalive every 250 ms.
        match of("seqcast_follower_ack_age_seconds{", f) {
            Some(age) if age > SILENT_S => silent.push(format!("follower {f} silent {age:.1} s")),
            None if let Some(led) = new => {
                heard += 1;
                silent.push(format!("follower {f} not heard yet (it leads since {led:.1} s)"));
            }
            None => silent.push(format!("follower {f} never heard")),
            _ => {
                heard += 1;
                if worst.is_none_or(|(_, w, _)| seconds > w) {
                    worst = Some((events, seconds, f));
                }
            }
        }
    }
    let mut text = match worst {
        Some((events, seconds, f)) if seconds > 0.0 => {
            format!("max follower lag {events} ({:.1} ms, follower {f})", seconds * 1e3)
        }
        _ => "max follower lag 0 (0.0 ms)".to_string(),
    };
    for said in silent {
        text.push_str(&format!("; {said}"));
    }
    (text, heard)
}

/// A member's reach, from its page (`seqcast_reach_seq`, `_epoch`): not
/// a fault by itself, but what decides whom it votes for.
fn reach_text(s: &BTreeMap<String, f64>) -> String {
    match (first(s, "seqcast_reach_seq"), first(s, "seqcast_reach_epoch")) {
        (Some(seq), Some(epoch)) => {
            format!(
                "  (its journal reached {seq} in epoch {epoch} before records were dropped: it votes for no shorter log)"
            )
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{
        Noted, lag_text, leaders_text, losses_text, on_group, other_shape_text, reach_text, stalled_text, total,
        twice_text,
    };

    /// Helper 156: a damaged member's reach, which OPERATIONS has an
    /// operator compare before a promote, was shown by no tool but verify.
    #[test]
    fn a_members_reach_is_on_its_line() {
        let mut s = std::collections::BTreeMap::new();
        assert_eq!(reach_text(&s), "");
        s.insert("seqcast_reach_seq{node=\"1\"}".to_string(), 60174.0);
        s.insert("seqcast_reach_epoch{node=\"1\"}".to_string(), 1.0);
        assert!(reach_text(&s).contains("its journal reached 60174 in epoch 1 before records were dropped"));
    }

    /// A node's note: node `node` of `cluster_id`, its metrics on loopback's
    /// `port`, of no group.
    fn noted(cluster_id: u32, node: u16, port: u16) -> Noted {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        Noted::new(1, (cluster_id, node), "member", addr)
    }

    /// An operator's trial: a second follower started with an id in use
    /// showed as a second row of that node, and `--once` exited 0.
    #[test]
    fn a_node_id_run_twice_is_named_once_with_every_address() {
        let node = noted;
        // Sorted as `running` sorts them: by cluster, node, address.
        let found = [node(7, 0, 1), node(7, 1, 2), node(7, 1, 3), node(7, 1, 4), node(7, 2, 5), node(8, 2, 6)];
        let lines = twice_text(&found);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0]
                .starts_with("cluster 7      node 1   RUNS 3 TIMES (metrics at 127.0.0.1:2, 127.0.0.1:3, 127.0.0.1:4)")
        );
        assert!(twice_text(&found[..2]).is_empty());
    }

    /// Helper 138: another cluster of the same id, on another group, ran a
    /// node 0 too; `stat --cluster` said `node 0 RUNS 2 TIMES … stop the
    /// ones started by mistake`. With a cluster file only its group counts.
    #[test]
    fn a_cluster_files_group_leaves_out_another_cluster_of_its_id() {
        let on = |group: Option<&str>, port| {
            let mut note = noted(139, 0, port);
            note.group = group.map(|g| g.parse().unwrap());
            note
        };
        let found = vec![on(Some("239.255.139.1:41400"), 1), on(Some("239.255.139.9:41900"), 2), on(None, 3)];
        let (ours, said) = on_group(found, Some("239.255.139.1:41400".parse().unwrap()));
        assert_eq!(ours.iter().map(|r| r.addr.port()).collect::<Vec<_>>(), [1, 3], "{said:?}");
        assert_eq!(said.len(), 1);
        assert!(
            said[0].contains("node 0   on group 239.255.139.9:41900, not this file's 239.255.139.1:41400"),
            "{said:?}"
        );
        assert!(twice_text(&ours).len() == 1, "an older build's note, of no group, still counts");
        // Helper 140: without a cluster file, one id on two groups is two
        // clusters, not one node run twice.
        let (two, _) = on_group(vec![on(Some("239.255.139.1:41400"), 1), on(Some("239.255.139.9:41900"), 2)], None);
        assert!(twice_text(&two).is_empty(), "{:?}", twice_text(&two));
    }

    /// An operator's trial: `OTHER SHAPE` stayed on every line once a split
    /// was over, a count since the node started. Each second after the
    /// first says what the last second dropped; a count that fell is a node
    /// restarted, all of whose count is new.
    #[test]
    fn frames_of_another_shape_are_told_since_the_start_then_per_second() {
        assert_eq!(other_shape_text(0.0, None), "");
        assert_eq!(other_shape_text(0.0, Some(0.0)), "");
        assert!(other_shape_text(40.0, None).ends_with("whose file differs since it started"));
        let now = other_shape_text(52.0, Some(40.0));
        assert!(now.starts_with("  OTHER SHAPE: dropped 12 frames") && now.contains("(52 since it started)"), "{now}");
        let over = other_shape_text(52.0, Some(52.0));
        assert_eq!(over, "  (other shape: 52 frames since it started, none in the last second)");
        let restarted = other_shape_text(5.0, Some(52.0));
        assert!(restarted.starts_with("  OTHER SHAPE: dropped 5 frames"), "{restarted}");
    }

    /// An operator's trial: a node's counters of which its page had no
    /// sample read "-0" (the sum of no floats).
    #[test]
    fn a_total_of_no_samples_reads_0() {
        let mut s = std::collections::BTreeMap::new();
        assert_eq!(format!("{}", total(&s, "seqcast_naks_total")), "0");
        s.insert("seqcast_naks_total{node=\"1\"}".to_string(), 2.0);
        s.insert("seqcast_naks_total{node=\"2\"}".to_string(), 3.0);
        assert_eq!(total(&s, "seqcast_naks_total"), 5.0);
    }

    /// Helper 137: a leader that answered clients "in doubt" because the
    /// cluster lost what it had told them counted it on its page, and
    /// `seqcast stat` showed nothing.
    #[test]
    fn a_node_that_saw_lost_commits_is_a_fault() {
        let mut s = std::collections::BTreeMap::new();
        s.insert("seqcast_clients_told_unknown_total{node=\"2\"}".to_string(), 0.0);
        s.insert("seqcast_client_epochs_lost_total{node=\"2\"}".to_string(), 0.0);
        assert_eq!(losses_text(&s), "");
        s.insert("seqcast_clients_told_unknown_total{node=\"2\"}".to_string(), 4.0);
        let told = losses_text(&s);
        assert!(told.starts_with("  LOST COMMITS while it led: 4 SUBMITs from clients told of commits it had no record of: the cluster lost events"), "{told}");
        s.insert("seqcast_client_epochs_lost_total{node=\"2\"}".to_string(), 1.0);
        let both = losses_text(&s);
        assert!(both.contains("record of, and clients named 1 epoch newer than its own that its quorum"), "{both}");
    }

    /// An operator's trial: a follower stopped for a restart showed as
    /// lagging by the whole log ("max follower lag 3177824 (2145.6 ms,
    /// follower 0)"), the others' lag hidden behind it.
    #[test]
    fn a_silent_follower_is_said_silent_and_not_counted_as_the_largest_lag() {
        let page = |rows: &[(&str, f64, f64, Option<f64>)]| {
            let mut s = std::collections::BTreeMap::new();
            for &(f, events, seconds, age) in rows {
                let labels = format!("{{node=\"2\",follower=\"{f}\"}}");
                s.insert(format!("seqcast_follower_lag_events{labels}"), events);
                s.insert(format!("seqcast_follower_lag_seconds{labels}"), seconds);
                if let Some(age) = age {
                    s.insert(format!("seqcast_follower_ack_age_seconds{labels}"), age);
                }
            }
            s
        };
        let text = lag_text(&page(&[("0", 3_177_824.0, 2.1456, Some(2.2)), ("1", 12.0, 0.0004, Some(0.001))]));
        assert_eq!(text, ("max follower lag 12 (0.4 ms, follower 1); follower 0 silent 2.2 s".into(), 1));
        let text = lag_text(&page(&[("0", 0.0, 0.0, Some(0.1)), ("1", 0.0, 0.0, Some(0.1))]));
        assert_eq!(text, ("max follower lag 0 (0.0 ms)".into(), 2));
        let text = lag_text(&page(&[("0", 500.0, 3.0, None), ("1", 3.0, 0.0002, Some(0.0))]));
        assert_eq!(text, ("max follower lag 3 (0.2 ms, follower 1); follower 0 never heard".into(), 1));
        // A reviewer's idle leader, follower 1 never started: it read "max
        // follower lag 0 (0.0 ms)", as if both were there.
        let text = lag_text(&page(&[("0", 0.0, 0.0, Some(0.1)), ("1", 0.0, 0.0, None)]));
        assert_eq!(text, ("max follower lag 0 (0.0 ms); follower 1 never heard".into(), 1));
        // Helper 145: elected 0.3 s ago, it had not heard follower 1 yet.
        let mut elected = page(&[("0", 0.0, 0.0, Some(0.1)), ("1", 0.0, 0.0, None)]);
        elected.insert("seqcast_leading_seconds{node=\"2\"}".to_string(), 0.3);
        let text = lag_text(&elected);
        assert_eq!(text, ("max follower lag 0 (0.0 ms); follower 1 not heard yet (it leads since 0.3 s)".into(), 2));
        elected.insert("seqcast_leading_seconds{node=\"2\"}".to_string(), 1.5);
        assert_eq!(lag_text(&elected).1, 1, "led a while: never heard");
    }

    /// Helper 143: both followers' journals failed; they were heard (their
    /// keepalive ACKs) but ACKed nothing new, and the leader's line said
    /// nothing. The oldest uncommitted event is the quorum's lag.
    #[test]
    fn a_leader_whose_followers_ack_nothing_new_says_commits_stalled() {
        let page = |lags: &[f64]| {
            let mut s = std::collections::BTreeMap::new();
            for (f, &lag) in lags.iter().enumerate() {
                s.insert(format!("seqcast_follower_lag_seconds{{node=\"0\",follower=\"{}\"}}", f + 1), lag);
            }
            s
        };
        assert_eq!(stalled_text(&page(&[0.001, 0.002]), 2), None);
        // Quorum 2: one follower keeping up is enough.
        assert_eq!(stalled_text(&page(&[12.5, 0.002]), 2), None);
        let stalled = stalled_text(&page(&[12.5, 3.25]), 2).unwrap();
        assert!(stalled.starts_with("  COMMITS STALLED: its oldest uncommitted event is 3.2 s old"), "{stalled}");
        assert!(
            stalled.contains("needs 1 follower besides itself; follower 2 3.2 s, follower 1 12.5 s behind"),
            "{stalled}"
        );
        // Quorum 3 of 5: the second smallest lag.
        assert!(stalled_text(&page(&[0.0, 2.5, 9.0, 9.0]), 3).is_some());
        assert_eq!(stalled_text(&page(&[0.0, 0.5, 9.0, 9.0]), 3), None);
        // Quorum 1: it commits alone.
        assert_eq!(stalled_text(&page(&[9.0]), 1), None);
    }

    /// An operator's trial ran two members on a 3-node file beside three on
    /// a 5-node one: each group elected a leader in epoch 7, and stat listed
    /// both without a word.
    #[test]
    fn two_leaders_in_one_epoch_or_of_two_shapes_fail_the_check_and_in_two_epochs_are_explained() {
        let three = (3 << 16) | 2;
        let lead = |node: &str, epoch, shape| (node.to_string(), epoch, shape);
        assert_eq!(leaders_text("cluster 77: ", &[lead("1", 7, three)]), None);
        let (text, split) = leaders_text("cluster 77: ", &[lead("1", 7, three), lead("3", 7, three)]).unwrap();
        let named = "cluster 77: node 1 (epoch 7) and node 3 (epoch 7) lead: TWO LEADERS";
        assert!(split && text.starts_with(named), "{text}");
        let (text, split) = leaders_text("", &[lead("0", 4, three), lead("2", 5, 0)]).unwrap();
        assert!(!split && text.contains("older epoch were replaced while not heard"), "{text}");
        let (text, split) = leaders_text("", &[lead("0", 1, three), lead("2", 2, (5 << 16) | 3)]).unwrap();
        let named = "node 0 (epoch 1, 3 nodes, quorum 2) and node 2 (epoch 2, 5 nodes, quorum 3) lead: A SPLIT";
        assert!(split && text.contains(named), "{text}");
        // Helper 138: a sequencer started with the members' file.
        let sequencer = three | super::WITHOUT_FAILOVER;
        let (text, split) = leaders_text("", &[lead("0", 1796486621434, sequencer), lead("1", 2, three)]).unwrap();
        let named = "node 0 (epoch 1796486621434, 3 nodes, quorum 2, without failover) and node 1 (epoch 2, 3 nodes, \
                     quorum 2) lead: A SEQUENCER AMONG MEMBERS";
        assert!(split && text.contains(named), "{text}");
    }
}
