//! Running the real binaries: spawn, read their output, wait for a line,
//! stop them by PID. Every child is killed when its handle drops, so a
//! failing test leaves no process behind. Shared by the integration tests,
//! the LAN harness and the benchmarks.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SEQCAST: &str = env!("CARGO_BIN_EXE_seqcast");
pub const LOADGEN: &str = env!("CARGO_BIN_EXE_seqcast-loadgen");

/// A group and port of the caller's own (239.255.0.0/16, loopback only), and
/// a cluster id, so tests running at once never hear each other.
pub fn private_cluster(tag: u8) -> (SocketAddrV4, u32) {
    let port = free_addr().port();
    let pid = std::process::id();
    let group = SocketAddrV4::new(Ipv4Addr::new(239, 255, 100 + (tag % 100), pid as u8), port);
    (group, (pid << 8) | u32::from(tag))
}

/// A loopback address (UDP and TCP) that no socket holds now, for a node
/// started later to bind, and another on each call in this process. Its
/// port is below the kernel's ephemeral range, so no socket bound to port 0
/// meanwhile (another test's node, a client, a metrics page) takes it: a
/// port found by binding port 0 and letting go once went to another test's
/// node before the one it was meant for started.
pub fn free_addr() -> SocketAddrV4 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FIRST: u32 = 10_000;
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let at = |port: u32| SocketAddrV4::new(Ipv4Addr::LOCALHOST, port as u16);
    let unheld = |addr: SocketAddrV4| {
        let udp = UdpSocket::bind(addr);
        let tcp = std::net::TcpListener::bind(addr);
        udp.is_ok() && tcp.is_ok()
    };
    if ephemeral_low > FIRST + 1_000 && ephemeral_low <= 65_536 {
        // Each process starts elsewhere in the range: two test runs at
        // once rarely try the same ports, and a port either holds is skipped.
        let span = ephemeral_low - FIRST;
        let start = std::process::id().wrapping_mul(7_919) % span;
        for _ in 0..span {
            let addr = at(FIRST + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span);
            if unheld(addr) {
                return addr;
            }
        }
    }
    // An ephemeral range starting too low to leave room below it.
    at(u32::from(UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port()))
}

/// CPU time and peak memory of a process that ended.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub user_s: f64,
    pub system_s: f64,
    pub max_rss_kb: u64,
}

/// A child process whose output lines are collected as it runs.
pub struct Proc {
    pub name: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// The threads reading its stdout and stderr: done once it exits (and
    /// whatever it started with its pipes did too).
    readers: Vec<std::thread::JoinHandle<()>>,
    /// Reaped by `wait4` (outside std): its PID must not be signalled again.
    reaped: bool,
}

impl Proc {
    pub fn start(name: &str, program: &str, args: &[String]) -> Proc {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn std::io::Read + Send>; 2] =
            [Box::new(child.stdout.take().unwrap()), Box::new(child.stderr.take().unwrap())];
        let readers = streams
            .into_iter()
            .map(|stream| {
                let lines = Arc::clone(&lines);
                std::thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        lines.lock().unwrap().push(line);
                    }
                })
            })
            .collect();
        Proc { name: name.to_string(), child, lines, readers, reaped: false }
    }

    /// After the exit: until the reader threads have read its last lines
    /// (a fixed 50 ms once lost the load generator's report on a loaded
    /// host), at most 5 s.
    fn read_to_end(&self) {
        let start = Instant::now();
        while !self.readers.iter().all(std::thread::JoinHandle::is_finished) {
            if start.elapsed() > Duration::from_secs(5) {
                // Something it started holds its pipes open: its lines so
                // far are all there are.
                eprintln!("{}: exited, its output still open after 5 s; read what came", self.name);
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most `limit`) for a line for which `find` returns a value.
    pub fn wait_for<T>(&self, limit: Duration, find: impl Fn(&str) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = self.output().iter().find_map(|l| find(l)) {
                return found;
            }
            assert!(
                start.elapsed() < limit,
                "{}: no expected line within {limit:?}; output:\n{}",
                self.name,
                self.output().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` to this child (by its PID, and only to it).
    pub fn signal(&self, signal: libc::c_int) {
        assert!(!self.reaped, "{} was already reaped", self.name);
        // SAFETY: kill takes no pointers; the PID is our own live child's.
        let result = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(result, 0, "kill {} {}", signal, self.child.id());
    }

    /// Waits for the exit (at most `limit`) and returns the exit code.
    pub fn wait(&mut self, limit: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.read_to_end();
                return status.code().unwrap_or(-1);
            }
            assert!(
                start.elapsed() < limit,
                "{} did not exit within {limit:?}; output:\n{}",
                self.name,
                self.output().join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit code of a clean stop.
    pub fn stop(&mut self) -> i32 {
        self.signal(libc::SIGTERM);
        self.wait(Duration::from_secs(10))
    }

    /// SIGTERM, then waits with `wait4` for the exit code and the CPU time
    /// and peak memory the process used.
    pub fn stop_with_usage(&mut self) -> (i32, Usage) {
        self.signal(libc::SIGTERM);
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it and the status
        // for our own child, which it reaps (recorded in `reaped`).
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let pid = unsafe { libc::wait4(self.child.id() as libc::pid_t, &mut status, 0, &mut usage) };
        assert!(pid > 0, "wait4 {}", self.name);
        self.reaped = true;
        self.read_to_end();
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
        let usage = Usage {
            user_s: seconds(usage.ru_utime),
            system_s: seconds(usage.ru_stime),
            max_rss_kb: usage.ru_maxrss as u64,
        };
        (code, usage)
    }

    /// A `kB` figure from /proc/PID/status (`VmRSS`, `VmHWM`, …).
    pub fn status_kb(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.trim_start_matches(':').trim().strip_suffix(" kB")?.parse().ok())
            .unwrap_or(0)
    }

    /// The first line starting with `prefix`, without it. While the
    /// process may still print it, it is waited for (at most 10 s): a line
    /// printed just after the one a start waited for may not be read yet.
    pub fn line(&self, prefix: &str) -> String {
        let start = Instant::now();
        loop {
            // Read before the lines: once both readers are done, every line is in.
            let done = self.readers.iter().all(std::thread::JoinHandle::is_finished);
            let output = self.output();
            if let Some(found) = output.iter().find_map(|l| l.strip_prefix(prefix)) {
                return found.to_string();
            }
            assert!(
                !done && start.elapsed() < Duration::from_secs(10),
                "{}: no line starting {prefix:?} in:\n{}",
                self.name,
                output.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.reaped && self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs a command to its end and returns (exit code, stdout + stderr).
pub fn run(program: &str, args: &[String]) -> (i32, String) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// A cluster on loopback: a leader and followers 1, 2, …
pub struct Cluster {
    pub group: SocketAddrV4,
    pub cluster_id: u32,
    pub nodes: usize,
    /// Flags every process gets (an idle strategy, …).
    pub extra: Vec<String>,
    /// Flags only the nodes get (a journal, …).
    pub node_extra: Vec<String>,
    /// CPUs the processes are pinned to in turn (0: not pinned).
    pub cpus: usize,
    pub out: std::path::PathBuf,
    pub leader: Proc,
    pub leader_addr: String,
    pub followers: Vec<Proc>,
}

/// `--pin` to CPU `index` modulo `cpus`; nothing when `cpus` is 0.
pub fn pin_flag(index: usize, cpus: usize) -> Vec<String> {
    if cpus == 0 { Vec::new() } else { strings(&["--pin", &(index % cpus).to_string()]) }
}

/// The flags that put a process in this cluster.
fn cluster_flags(group: SocketAddrV4, cluster_id: u32, nodes: usize, extra: &[String]) -> Vec<String> {
    let mut args = strings(&["--group", &group.to_string(), "--cluster-id", &cluster_id.to_string()]);
    args.extend(strings(&["--nodes", &nodes.to_string()]));
    args.extend(extra.iter().cloned());
    args
}

impl Cluster {
    pub fn common_args(&self) -> Vec<String> {
        cluster_flags(self.group, self.cluster_id, self.nodes, &self.extra)
    }

    /// A leader and two followers.
    pub fn start(tag: u8) -> Cluster {
        Cluster::start_with(tag, 2, &[])
    }

    /// A leader and `followers` followers; every process also gets `extra`.
    pub fn start_with(tag: u8, followers: usize, extra: &[&str]) -> Cluster {
        Cluster::start_custom(tag, followers, extra, &[], 0)
    }

    /// As [`start_with`](Self::start_with), with the leader run by the
    /// command `wrap` (a profiler: `valgrind --tool=callgrind …`) when it is
    /// not empty, and, when `cpus` is not 0, each process pinned to its own
    /// CPU in turn: the leader to 0, follower `i` to `i`, the load generator
    /// to the next (modulo `cpus`).
    pub fn start_custom(tag: u8, followers: usize, extra: &[&str], wrap: &[String], cpus: usize) -> Cluster {
        Cluster::start_nodes(tag, followers, extra, (&[], &[]), wrap, cpus)
    }

    /// A leader given `leader_extra` and `followers` followers.
    pub fn start_with_leader(tag: u8, followers: usize, leader_extra: &[&str]) -> Cluster {
        Cluster::start_nodes(tag, followers, &[], (&[], leader_extra), &[], 0)
    }

    /// A leader and `followers` followers, each keeping a journal under
    /// `out/journal` at `--sync sync`.
    pub fn start_journaled(tag: u8, followers: usize, sync: &str) -> Cluster {
        Cluster::start_journaled_with(tag, followers, sync, &[])
    }

    /// As [`start_journaled`](Self::start_journaled), the leader also given `leader_extra`.
    pub fn start_journaled_with(tag: u8, followers: usize, sync: &str, leader_extra: &[&str]) -> Cluster {
        Cluster::start_journaled_wrapped(tag, followers, sync, leader_extra, &[])
    }

    /// As [`start_journaled`](Self::start_journaled), every node also given
    /// `node_extra` (journal settings).
    pub fn start_journaled_nodes(tag: u8, followers: usize, sync: &str, node_extra: &[&str]) -> Cluster {
        let journal = Cluster::out_dir(tag).join("journal");
        let mut nodes = vec!["--journal", journal.to_str().unwrap(), "--sync", sync];
        nodes.extend_from_slice(node_extra);
        Cluster::start_nodes(tag, followers, &[], (&nodes, &[]), &[], 0)
    }

    /// As [`start_journaled`](Self::start_journaled), every process (the
    /// load generator's and a tail's too) also given `extra`.
    pub fn start_journaled_all(tag: u8, followers: usize, sync: &str, extra: &[&str]) -> Cluster {
        let journal = Cluster::out_dir(tag).join("journal");
        let nodes = ["--journal", journal.to_str().unwrap(), "--sync", sync];
        Cluster::start_nodes(tag, followers, extra, (&nodes, &[]), &[], 0)
    }

    /// As [`start_journaled_with`](Self::start_journaled_with), the leader
    /// run by `wrap` (a program and its arguments, then the leader's).
    pub fn start_journaled_wrapped(
        tag: u8,
        followers: usize,
        sync: &str,
        leader_extra: &[&str],
        wrap: &[String],
    ) -> Cluster {
        let journal = Cluster::out_dir(tag).join("journal");
        let nodes = ["--journal", journal.to_str().unwrap(), "--sync", sync];
        Cluster::start_nodes(tag, followers, &[], (&nodes, leader_extra), wrap, 0)
    }

    fn out_dir(tag: u8) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("seqcast-test-{}-{tag}", std::process::id()))
    }

    fn start_nodes(
        tag: u8,
        followers: usize,
        extra: &[&str],
        (node_extra, leader_extra): (&[&str], &[&str]),
        wrap: &[String],
        cpus: usize,
    ) -> Cluster {
        let (group, cluster_id) = private_cluster(tag);
        let (nodes, extra, node_extra) = (followers + 1, strings(extra), strings(node_extra));
        let out = Cluster::out_dir(tag);
        std::fs::create_dir_all(&out).unwrap();
        let mut args = strings(&["sequencer", "--listen", "127.0.0.1:0", "--out", out.to_str().unwrap()]);
        args.extend(cluster_flags(group, cluster_id, nodes, &extra));
        args.extend(node_extra.iter().cloned());
        args.extend(strings(leader_extra));
        args.extend(pin_flag(0, cpus));
        let leader = match wrap.split_first() {
            None => Proc::start("sequencer", SEQCAST, &args),
            Some((program, wrap_args)) => {
                let mut all = wrap_args.to_vec();
                all.push(SEQCAST.to_string());
                all.extend(args);
                Proc::start("sequencer", program, &all)
            }
        };
        let leader_addr = leader.wait_for(Duration::from_secs(if wrap.is_empty() { 10 } else { 60 }), |l| {
            Some(l.split("listening on ").nth(1)?.split(',').next()?.to_string())
        });
        let followers_none = Vec::new();
        let mut cluster = Cluster {
            group,
            cluster_id,
            nodes,
            extra,
            node_extra,
            cpus,
            out,
            leader,
            leader_addr,
            followers: followers_none,
        };
        for id in 1..=followers as u16 {
            let follower = cluster.follower(id);
            cluster.followers.push(follower);
        }
        cluster
    }

    pub fn follower(&self, id: u16) -> Proc {
        self.follower_with(id, &[])
    }

    /// Follower `id`, also given `extra` (`--deliver receive`, …).
    pub fn follower_with(&self, id: u16, extra: &[&str]) -> Proc {
        let mut args = strings(&["follower", "--id", &id.to_string(), "--out", self.out.to_str().unwrap()]);
        args.extend(self.common_args());
        args.extend(self.node_extra.iter().cloned());
        args.extend(strings(extra));
        args.extend(pin_flag(usize::from(id), self.cpus));
        let follower = Proc::start(&format!("follower {id}"), SEQCAST, &args);
        follower.wait_for(Duration::from_secs(10), |l| l.starts_with("seqcast follower").then_some(()));
        follower
    }

    /// Runs the load generator to its end; returns its JSON report.
    pub fn load(&self, count: u64, rate: u64) -> String {
        let (code, text) = self.load_with(count, rate, &[]);
        assert_eq!(code, 0, "loadgen failed:\n{text}");
        text
    }

    /// Runs the load generator with `extra` flags; returns its exit code and output.
    pub fn load_with(&self, count: u64, rate: u64, extra: &[&str]) -> (i32, String) {
        let mut args = strings(&["--leader", &self.leader_addr, "--count", &count.to_string()]);
        args.extend(strings(&["--rate", &rate.to_string(), "--json"]));
        args.extend(self.common_args());
        args.extend(pin_flag(self.nodes, self.cpus));
        args.extend(strings(extra));
        run(LOADGEN, &args)
    }

    /// Waits until follower `index` says it delivered `count` events.
    pub fn wait_delivered(&self, index: usize, count: u64) {
        let needle = format!("delivered {count} ");
        let follower = &self.followers[index];
        let start = Instant::now();
        while !follower.output().iter().any(|l| l.contains(&needle)) {
            if start.elapsed() > Duration::from_secs(30) {
                // Its counters (what it received, rejected, failed to
                // read) are printed only as it stops: stopped, to say why.
                follower.signal(libc::SIGTERM);
                let stopped = Instant::now();
                while stopped.elapsed() < Duration::from_secs(5)
                    && !follower.output().iter().any(|l| l.starts_with("io: "))
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                panic!(
                    "{}: not delivered {count} within 30 s; stopped, its output:\n{}",
                    follower.name,
                    follower.output().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.out);
    }
}

/// The value after `"key":` in a flat JSON line.
pub fn json_number(text: &str, key: &str) -> f64 {
    let needle = format!("\"{key}\":");
    let at = text.find(&needle).unwrap_or_else(|| panic!("no {key} in {text}")) + needle.len();
    text[at..].split([',', '}']).next().unwrap().parse().unwrap()
}
