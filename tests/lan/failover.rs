//! Failover on the namespace LAN: `seqcast member` processes, a load
//! generator that follows the leader (`--failover`), and the leader killed,
//! paused, or replaced on an operator's word.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{Proc, SEQCAST, json_number, run, strings};
use crate::net::Lan;

/// Members on hosts `0..members`; the load generator (and the operator) on
/// the host after them.
pub struct Members {
    lan: Lan,
    dir: PathBuf,
    conf: PathBuf,
    procs: Vec<Option<Proc>>,
    /// Flags every member gets (a journal).
    flags: Vec<String>,
}

fn wall_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

impl Members {
    pub fn start(members: usize, extra: &[&str]) -> Result<Members, String> {
        Members::start_with(members, extra, false)
    }

    /// With `journaled`, every member journals to `journal/` in the run's
    /// folder (`--sync batch`), at every start.
    pub fn start_with(members: usize, extra: &[&str], journaled: bool) -> Result<Members, String> {
        let lan = Lan::new(members + 1)?;
        let dir = std::env::temp_dir().join(&lan.prefix);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut text = format!("cluster_id = {}\ngroup = 239.255.7.2:7400\nttl = 1\n", std::process::id());
        text.push_str(&crate::key_file_line(&dir)?);
        for i in 0..members {
            text.push_str(&format!("node.{i} = {}:7401\n", Lan::ip(i)));
        }
        let conf = dir.join("cluster.conf");
        std::fs::write(&conf, text).map_err(|e| e.to_string())?;
        let journal = dir.join("journal");
        let flags = strings(&["--journal", journal.to_str().unwrap(), "--sync", "batch"]);
        let flags = if journaled { flags } else { Vec::new() };
        let mut cluster = Members { lan, dir, conf, procs: Vec::new(), flags };
        for id in 0..members {
            let node = cluster.spawn(id, extra);
            cluster.procs.push(Some(node));
        }
        // Let the first leader speak before the load starts.
        std::thread::sleep(Duration::from_millis(300));
        Ok(cluster)
    }

    /// Starts member `id` with `extra` flags (`--rejoin` for a restart).
    fn spawn(&self, id: usize, extra: &[&str]) -> Proc {
        let mut full = strings(&["netns", "exec", &self.lan.ns(id), SEQCAST, "member", "--id", &id.to_string()]);
        full.extend(strings(&["--cluster", self.conf.to_str().unwrap(), "--out", self.dir.to_str().unwrap()]));
        full.extend(strings(extra));
        full.extend(self.flags.iter().cloned());
        let node = Proc::start(&format!("member {id}"), "ip", &full);
        node.wait_for(Duration::from_secs(10), |l| l.starts_with("seqcast member").then_some(()));
        node
    }

    fn host(&self) -> usize {
        self.procs.len()
    }

    pub fn member(&self, id: usize) -> &Proc {
        self.procs[id].as_ref().expect("member running")
    }

    /// The load generator, following the leader, in the background.
    pub fn load(&self, count: u64, rate: u64) -> Proc {
        let args = crate::loadgen_args(&self.lan, &self.conf, self.host(), &["--failover"], count, rate, 20_000);
        Proc::start("loadgen", "ip", &args)
    }

    /// `seqcast promote --node id`, run from the load generator's host.
    pub fn promote(&self, id: usize) -> Result<(), String> {
        let host = self.host();
        let args = strings(&[
            "netns",
            "exec",
            &self.lan.ns(host),
            SEQCAST,
            "promote",
            "--node",
            &id.to_string(),
            "--cluster",
            self.conf.to_str().unwrap(),
            "--interface",
            &Lan::ip(host).to_string(),
        ]);
        match run("ip", &args) {
            (0, _) => Ok(()),
            (code, text) => Err(format!("seqcast promote exited {code}: {text}")),
        }
    }

    /// Waits for the load generator; every event it submitted must be
    /// committed. Returns the committed count.
    pub fn finish_load(&self, mut loadgen: Proc) -> Result<u64, String> {
        let code = loadgen.wait(Duration::from_secs(90));
        let report = loadgen.output().into_iter().find(|l| l.starts_with('{')).unwrap_or_default();
        if code != 0 || json_number(&report, "unconfirmed") != 0.0 {
            let members: Vec<String> = self
                .procs
                .iter()
                .flatten()
                .map(|p| {
                    p.output().iter().filter(|l| !l.starts_with("[member")).cloned().collect::<Vec<_>>().join("\n")
                })
                .collect();
            return Err(format!("loadgen exited {code}: {report}\nmembers said:\n{}", members.join("\n--\n")));
        }
        Ok(json_number(&report, "committed") as u64)
    }

    /// Stops every live member once each printed delivering `committed`;
    /// their digests must agree and cover every committed event.
    pub fn finish(&mut self, committed: u64) -> Result<String, String> {
        let wanted = format!("seq 1..={committed} events {committed} lost 0 ");
        let mut digests = Vec::new();
        for (id, slot) in self.procs.iter_mut().enumerate() {
            let Some(mut node) = slot.take() else { continue };
            // Give a member that was paused or syncing time to catch up: its
            // status line (once a second) shows the commit it reached.
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            let reached = |node: &Proc| {
                let output = node.output();
                let line = output.iter().rev().find(|l| l.starts_with("[member")).cloned().unwrap_or_default();
                let number = |key: &str| line.split(key).nth(1).and_then(|s| s.split(' ').next()?.parse::<u64>().ok());
                number(" commit ").is_some_and(|c| c >= committed) && number(" held ").is_none_or(|h| h >= committed)
            };
            while !reached(&node) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            // One more second for the delivery behind that line.
            std::thread::sleep(Duration::from_millis(200));
            let code = node.stop();
            let digest = node.line("digest: ");
            if code != 0 || !digest.contains(&wanted) {
                return Err(format!("member {id} exited {code} with digest {digest:?}, want {wanted}…"));
            }
            digests.push((id, digest, node.output()));
        }
        if let Some((id, digest, _)) = digests.iter().find(|(_, d, _)| *d != digests[0].1) {
            return Err(format!("member {id} digest {digest} differs from member {}'s {}", digests[0].0, digests[0].1));
        }
        let hash = digests[0].1.rsplit(' ').next().unwrap_or("").to_string();
        Ok(format!("committed {committed}, delivered by each of {} live members, digest {hash}", digests.len()))
    }

    /// The wall-clock time a member first printed a line starting with
    /// `prefix` and ending "at N ns" ("elected", "first commit in epoch").
    fn printed_at_ns(&self, prefix: &str) -> Option<u64> {
        self.procs.iter().flatten().find_map(|p| {
            let line = p.output().into_iter().find(|l| l.starts_with(prefix))?;
            line.rsplit(' ').nth(1)?.parse().ok()
        })
    }
}

impl Drop for Members {
    fn drop(&mut self) {
        self.procs.clear();
        self.lan.teardown();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// kill -9 of the leader under load, automatic failover; the old leader
/// then restarts (`--rejoin`, or on its journal when `journaled`) and
/// follows the new one.
pub fn leader_killed(count: u64, rate: u64, journaled: bool) -> Result<String, String> {
    let mut c = Members::start_with(3, &[], journaled)?;
    let loadgen = c.load(count, rate);
    std::thread::sleep(Duration::from_millis(500));
    let mut leader = c.procs[0].take().expect("member 0 leads at start");
    let killed_at = wall_ns();
    leader.signal(libc::SIGKILL);
    leader.wait(Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    // Back, while the load goes on (empty, or on its journal): it must rejoin, not lead.
    c.procs[0] = Some(c.spawn(0, if journaled { &[] } else { &["--rejoin"] }));
    let committed = c.finish_load(loadgen)?;
    if c.member(0).output().iter().any(|l| l.starts_with("elected")) {
        return Err(format!("the restarted old leader took the lead:\n{}", c.member(0).output().join("\n")));
    }
    let resumed = c.printed_at_ns("first commit in epoch").ok_or("no member printed a first commit in a new epoch")?;
    let won = c.printed_at_ns("elected").unwrap_or(resumed);
    let elected = c.procs.iter().flatten().flat_map(|p| p.output()).filter(|l| l.starts_with("elected")).count();
    let summary = c.finish(committed)?;
    Ok(format!(
        "kill -9 → first commit in the new epoch: {:.1} ms (elected after {:.1} ms; {elected} election(s)); the \
         old leader rejoined as a follower; {summary}",
        resumed.saturating_sub(killed_at) as f64 / 1e6,
        won.saturating_sub(killed_at) as f64 / 1e6
    ))
}

/// A `seqcast tail --failover --from 1` through a failover: started on a
/// host of its own as the load begins, it follows the leader killed (kill
/// -9) mid-load, then the one elected, and ends with every committed event
/// and the members' digest, none twice and none skipped (what the killed
/// leader sent past the commit and the next one numbered again included).
pub fn tail_through_failover(count: u64, rate: u64) -> Result<String, String> {
    let mut c = Members::start_with(3, &[], true)?;
    let host = c.host();
    let mut args = strings(&["netns", "exec", &c.lan.ns(host), SEQCAST, "tail", "--failover"]);
    args.extend(strings(&["--cluster", c.conf.to_str().unwrap(), "--interface", &Lan::ip(host).to_string()]));
    args.extend(strings(&["--from", "1", "--to", &count.to_string(), "--format", "count"]));
    let mut tail = Proc::start("tail", "ip", &args);
    // Following the first leader before it goes: its frames come once it started.
    tail.wait_for(Duration::from_secs(10), |l| l.starts_with("seqcast tail:").then_some(()));
    let loadgen = c.load(count, rate);
    std::thread::sleep(Duration::from_millis(500));
    let mut leader = c.procs[0].take().expect("member 0 leads at start");
    leader.signal(libc::SIGKILL);
    leader.wait(Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    c.procs[0] = Some(c.spawn(0, &[]));
    let committed = c.finish_load(loadgen)?;
    if committed != count {
        return Err(format!("the load committed {committed} of {count}"));
    }
    let code = tail.wait(Duration::from_secs(60));
    let digest = tail.output().iter().find_map(|l| l.strip_prefix("digest: ").map(str::to_string));
    let Some(digest) = digest.filter(|_| code == 0) else {
        tail.signal(libc::SIGKILL);
        return Err(format!("tail exited {code}: {}", tail.output().join("\n")));
    };
    let summary = c.finish(committed)?;
    let hash = digest.rsplit(' ').next().unwrap_or("").to_string();
    if !digest.starts_with(&format!("seq 1..={count} events {count} lost 0 ")) || !summary.ends_with(&hash) {
        return Err(format!("the tail's digest {digest} is not the members' ({summary})"));
    }
    let Some(took_over) = tail.output().into_iter().find(|l| l.contains("tail: node ") && l.contains(" leads epoch "))
    else {
        return Err(format!("the tail never said a new leader took over: {}", tail.output().join("\n")));
    };
    let took_over = &took_over[took_over.find("node ").unwrap_or(0)..];
    let took_over = took_over.split(':').next().unwrap_or(took_over);
    Ok(format!("the tail said \"{took_over}\" and delivered 1..={count} with the members' digest; {summary}"))
}

/// SIGSTOP of the leader past the election timeout, then SIGCONT: it finds
/// a newer epoch, steps down, commits nothing more, and catches up (from
/// the new leader's journal too, when `journaled`).
pub fn leader_paused(count: u64, rate: u64, journaled: bool) -> Result<String, String> {
    let mut c = Members::start_with(3, &[], journaled)?;
    let loadgen = c.load(count, rate);
    std::thread::sleep(Duration::from_millis(500));
    let commit_of = |line: &str| line.split(" commit ").nth(1).and_then(|s| s.split(' ').next()?.parse::<u64>().ok());
    c.member(0).signal(libc::SIGSTOP);
    let paused_lines = c.member(0).output().len();
    std::thread::sleep(Duration::from_millis(1000));
    c.member(0).signal(libc::SIGCONT);
    let committed = c.finish_load(loadgen)?;
    // The load may end before the woken leader has run at all (it once
    // read in time only thanks to a sleep after the load generator exited).
    let start = Instant::now();
    let followed = |c: &Members| c.member(0).output()[paused_lines..].iter().any(|l| l.starts_with("following:"));
    while !followed(&c) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let old = c.member(0).output();
    // Once awake it may still count ACKs sent to it before the election
    // (their events are in the new leader's log); then it hears the new
    // epoch, and its commit as a leader never moves again.
    let after: Vec<u64> =
        old[paused_lines..].iter().filter(|l| l.starts_with("[member 0 leads")).filter_map(|l| commit_of(l)).collect();
    if after.windows(2).any(|w| w[1] != w[0]) {
        return Err(format!("the paused leader's commit moved after it woke: {after:?}"));
    }
    let before = after.first();
    if !old[paused_lines..].iter().any(|l| l.starts_with("following:")) {
        return Err(format!("the paused leader never followed the new one:\n{}", old.join("\n")));
    }
    let summary = c.finish(committed)?;
    Ok(format!("the old leader woke, stepped down, committed nothing more (last commit {before:?}); {summary}"))
}

/// DESIGN §8: three members journaling (`--sync batch`), all killed (kill
/// -9) under load and restarted from their journals with no `--rejoin`:
/// they elect the most complete journal, the load generator finds the new
/// leader and finishes, and every member ends with the same log, nothing
/// lost, every request of the clients in it once: everything a client was
/// told committed before the kill is in it.
pub fn whole_cluster_killed(count: u64, rate: u64) -> Result<String, String> {
    let mut c = Members::start_with(3, &[], true)?;
    let journal = c.dir.join("journal");
    let loadgen = c.load(count, rate);
    std::thread::sleep(Duration::from_millis(300 + count * 400 / rate.max(1)));
    let before: Vec<u64> = (0..3).map(|id| status_number(c.member(id), " commit ")).collect();
    for slot in &mut c.procs {
        let mut node = slot.take().expect("running");
        node.signal(libc::SIGKILL);
        node.wait(Duration::from_secs(5));
    }
    let killed_at = wall_ns();
    for id in 0..3 {
        c.procs[id] = Some(c.spawn(id, &[]));
    }
    let resumed: Vec<String> = (0..3)
        .map(|id| {
            let said = |l: &str| l.strip_prefix("resumed: journal held sequences ").map(str::to_string);
            c.member(id).wait_for(Duration::from_secs(10), said)
        })
        .collect();
    let committed = c.finish_load(loadgen)?;
    let won = c.printed_at_ns("elected").ok_or("no member was elected after the restart")?;
    // Let the last commit reach everyone, then compare what each delivered.
    std::thread::sleep(Duration::from_millis(1000));
    let mut digests = Vec::new();
    for (id, slot) in c.procs.iter_mut().enumerate() {
        let mut node = slot.take().expect("running");
        let code = node.stop();
        digests.push((id, code, node.line("digest: ")));
    }
    let events = |d: &str| d.split("events ").nth(1).and_then(|s| s.split(' ').next()?.parse::<u64>().ok());
    let total = events(&digests[0].2).unwrap_or(0);
    for (id, code, digest) in &digests {
        if *code != 0
            || *digest != digests[0].2
            || !digest.starts_with(&format!("seq 1..={total} events {total} lost 0 "))
        {
            return Err(format!("member {id} exited {code} with digest {digest}; member 0: {}", digests[0].2));
        }
    }
    if total < committed {
        return Err(format!("the log holds {total} events, clients were told {committed} committed"));
    }
    // Each request once: nothing committed before the kill was numbered again.
    let dir = journal.join("node-0");
    let args = strings(&["journal", "dump", dir.to_str().unwrap(), "--format", "json"]);
    let (code, text) = run(SEQCAST, &args);
    if code != 0 {
        return Err(format!("seqcast journal dump exited {code}: {text}"));
    }
    let mut requests: Vec<(u64, u64)> =
        text.lines().map(|l| (json_number(l, "client") as u64, json_number(l, "request") as u64)).collect();
    let dumped = requests.len() as u64;
    requests.sort_unstable();
    requests.dedup();
    if dumped != total || requests.len() as u64 != total {
        return Err(format!(
            "member 0's journal holds {dumped} records, {} distinct requests, of {total}",
            requests.len()
        ));
    }
    Ok(format!(
        "commits before the kill {before:?}; restarted from journals ({}); elected {:.1} ms after the restart; \
         clients told {committed} committed; every member delivered 1..={total}, each request once, digest {}",
        resumed
            .iter()
            .map(|r| r.replace(": replayed to the application; it votes with its log", ","))
            .collect::<Vec<_>>()
            .join("; "),
        won.saturating_sub(killed_at) as f64 / 1e6,
        digests[0].2.rsplit(' ').next().unwrap_or("")
    ))
}

/// The number after `key` in a member's newest status line (0 if none).
fn status_number(node: &Proc, key: &str) -> u64 {
    let output = node.output();
    let line = output.iter().rev().find(|l| l.starts_with("[member")).cloned().unwrap_or_default();
    line.split(key).nth(1).and_then(|s| s.split(' ').next()?.parse().ok()).unwrap_or(0)
}

/// `seqcast promote` hands the lead to member 2 under load (manual mode).
pub fn promoted(count: u64, rate: u64) -> Result<String, String> {
    let mut c = Members::start(3, &["--failover", "manual"])?;
    let loadgen = c.load(count, rate);
    std::thread::sleep(Duration::from_millis(500));
    c.promote(2)?;
    let committed = c.finish_load(loadgen)?;
    if !c.member(2).output().iter().any(|l| l.starts_with("elected: leading")) {
        return Err(format!("member 2 was promoted but never elected:\n{}", c.member(2).output().join("\n")));
    }
    let summary = c.finish(committed)?;
    Ok(format!("member 2 elected on `seqcast promote`; {summary}"))
}
