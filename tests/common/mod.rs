//! Running the real binaries: spawn, read their output, wait for a line,
//! stop them by PID. Every child is killed when its handle drops, so a
//! failing test leaves no process behind.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SEQCAST: &str = env!("CARGO_BIN_EXE_seqcast");
pub const LOADGEN: &str = env!("CARGO_BIN_EXE_seqcast-loadgen");

/// A group and port of the test's own (239.255.0.0/16, loopback only), and a
/// cluster id, so tests running at once never hear each other.
pub fn private_cluster(tag: u8) -> (SocketAddrV4, u32) {
    let port = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    let pid = std::process::id();
    let group = SocketAddrV4::new(Ipv4Addr::new(239, 255, 100 + tag, pid as u8), port);
    (group, (pid << 8) | u32::from(tag))
}

/// A child process whose output lines are collected as it runs.
pub struct Proc {
    pub name: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
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
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        Proc { name: name.to_string(), child, lines }
    }

    pub fn output(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
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
        // SAFETY: kill takes no pointers; the PID is our own live child's.
        let result = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(result, 0, "kill {} {}", signal, self.child.id());
    }

    /// Waits for the exit (at most `limit`) and returns the exit code.
    pub fn wait(&mut self, limit: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads take the last lines.
                std::thread::sleep(Duration::from_millis(50));
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

    /// The first line starting with `prefix`, without it.
    pub fn line(&self, prefix: &str) -> String {
        let output = self.output();
        output
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{}: no line starting {prefix:?} in:\n{}", self.name, output.join("\n")))
            .to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
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

/// A three-node cluster on loopback: leader, followers 1 and 2.
pub struct Cluster {
    pub group: SocketAddrV4,
    pub cluster_id: u32,
    pub out: std::path::PathBuf,
    pub leader: Proc,
    pub leader_addr: String,
    pub followers: Vec<Proc>,
}

fn cluster_args(group: SocketAddrV4, cluster_id: u32) -> Vec<String> {
    strings(&["--group", &group.to_string(), "--cluster-id", &cluster_id.to_string(), "--nodes", "3"])
}

impl Cluster {
    pub fn common_args(&self) -> Vec<String> {
        cluster_args(self.group, self.cluster_id)
    }

    pub fn start(tag: u8) -> Cluster {
        let (group, cluster_id) = private_cluster(tag);
        let out = std::env::temp_dir().join(format!("seqcast-test-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let mut args = strings(&["sequencer", "--listen", "127.0.0.1:0", "--out", out.to_str().unwrap()]);
        args.extend(cluster_args(group, cluster_id));
        let leader = Proc::start("sequencer", SEQCAST, &args);
        let leader_addr = leader.wait_for(Duration::from_secs(10), |l| {
            Some(l.split("listening on ").nth(1)?.split(',').next()?.to_string())
        });
        let mut cluster = Cluster { group, cluster_id, out, leader, leader_addr, followers: Vec::new() };
        for id in 1..=2 {
            let follower = cluster.follower(id);
            cluster.followers.push(follower);
        }
        cluster
    }

    pub fn follower(&self, id: u16) -> Proc {
        let mut args = strings(&["follower", "--id", &id.to_string(), "--out", self.out.to_str().unwrap()]);
        args.extend(self.common_args());
        let follower = Proc::start(&format!("follower {id}"), SEQCAST, &args);
        follower.wait_for(Duration::from_secs(10), |l| l.starts_with("seqcast follower").then_some(()));
        follower
    }

    /// Runs the load generator to its end; returns its JSON report.
    pub fn load(&self, count: u64, rate: u64) -> String {
        let mut args = strings(&[
            "--leader",
            &self.leader_addr,
            "--count",
            &count.to_string(),
            "--rate",
            &rate.to_string(),
            "--json",
        ]);
        args.extend(self.common_args());
        let (code, text) = run(LOADGEN, &args);
        assert_eq!(code, 0, "loadgen failed:\n{text}");
        text
    }

    /// Waits until follower `index` says it delivered `count` events.
    pub fn wait_delivered(&self, index: usize, count: u64) {
        let needle = format!("delivered {count} ");
        self.followers[index].wait_for(Duration::from_secs(30), |l| l.contains(&needle).then_some(()));
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
