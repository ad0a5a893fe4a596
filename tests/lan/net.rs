//! Hosts as network namespaces on one bridge: create, fault, tear down.
//!
//! Everything lives in namespaces this harness creates: a switch namespace
//! holding the bridge, and one namespace per host whose `eth0` is a veth
//! into the bridge, addressed in 198.18.0.0/15. The root namespace gets no
//! interface. Dropping the [`Lan`] deletes every namespace it made, and
//! with them their links and rules.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

/// A LAN of `hosts` namespaces; host `i` has 198.18.0.(i+1).
pub struct Lan {
    pub prefix: String,
    made: Vec<String>,
    torn: bool,
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Why this machine cannot host the LAN, if it cannot.
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid takes nothing and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("network namespaces need root".into());
    }
    for tool in ["ip", "nft"] {
        if Command::new(tool).arg("-V").output().is_err() {
            return Some(format!("`{tool}` is not installed (apt-get install iproute2 nftables)"));
        }
    }
    None
}

impl Lan {
    pub fn new(hosts: usize) -> Result<Lan, String> {
        let prefix =
            format!("seqcast-{}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let mut lan = Lan { prefix, made: Vec::new(), torn: false };
        let switch = lan.switch();
        lan.add_ns(&switch)?;
        run("ip", &["-n", &switch, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"], None)?;
        run("ip", &["-n", &switch, "link", "set", "br0", "up"], None)?;
        for i in 0..hosts {
            let host = lan.ns(i);
            let port = format!("p{i}");
            lan.add_ns(&host)?;
            run(
                "ip",
                &["-n", &host, "link", "add", "eth0", "type", "veth", "peer", "name", &port, "netns", &switch],
                None,
            )?;
            run("ip", &["-n", &switch, "link", "set", &port, "master", "br0", "up"], None)?;
            run("ip", &["-n", &host, "addr", "add", &format!("{}/24", Lan::ip(i)), "dev", "eth0"], None)?;
            run("ip", &["-n", &host, "link", "set", "eth0", "up"], None)?;
            run("ip", &["-n", &host, "link", "set", "lo", "up"], None)?;
            run("ip", &["-n", &host, "route", "add", "224.0.0.0/4", "dev", "eth0"], None)?;
        }
        Ok(lan)
    }

    fn add_ns(&mut self, name: &str) -> Result<(), String> {
        run("ip", &["netns", "add", name], None)?;
        self.made.push(name.to_string());
        Ok(())
    }

    pub fn switch(&self) -> String {
        format!("{}-sw", self.prefix)
    }

    pub fn ns(&self, host: usize) -> String {
        format!("{}-h{host}", self.prefix)
    }

    pub fn ip(host: usize) -> Ipv4Addr {
        Ipv4Addr::new(198, 18, 0, host as u8 + 1)
    }

    /// Drops `percent`% of the group's datagrams arriving at `host`.
    pub fn lose(&self, host: usize, percent: u32) -> Result<(), String> {
        let rules = format!(
            "table ip seqcast_loss {{\n chain input {{\n  type filter hook input priority 0;\n  ip daddr 239.255.0.0/16 numgen random mod 100 < {percent} drop\n }}\n}}\n"
        );
        run("ip", &["netns", "exec", &self.ns(host), "nft", "-f", "-"], Some(&rules))
    }

    /// Every group datagram the leader (host 0) sends reaches `host` twice.
    pub fn duplicate_to(&self, host: usize) -> Result<(), String> {
        let rules = format!(
            "table netdev seqcast_dup {{\n chain ingress {{\n  type filter hook ingress device \"p0\" priority 0;\n  ip daddr 239.255.0.0/16 dup to \"p{host}\"\n }}\n}}\n"
        );
        run("ip", &["netns", "exec", &self.switch(), "nft", "-f", "-"], Some(&rules))
    }

    /// Drops every datagram `host` sends to host `to` (`cut` false lifts
    /// it): `host` still hears the group, and `to` no longer hears `host`.
    pub fn cut_one_way(&self, host: usize, to: usize, cut: bool) -> Result<(), String> {
        let rules = match cut {
            true => format!(
                "table ip seqcast_oneway {{\n chain output {{\n  type filter hook output priority 0;\n  ip daddr {} drop\n }}\n}}\n",
                Lan::ip(to)
            ),
            false => "delete table ip seqcast_oneway\n".to_string(),
        };
        run("ip", &["netns", "exec", &self.ns(host), "nft", "-f", "-"], Some(&rules))
    }

    /// Takes `host`'s switch port down (`false`) or up again (`true`).
    pub fn link(&self, host: usize, up: bool) -> Result<(), String> {
        run("ip", &["-n", &self.switch(), "link", "set", &format!("p{host}"), if up { "up" } else { "down" }], None)
    }

    /// Deletes every namespace made (their links and rules go with them).
    pub fn teardown(&mut self) {
        if !self.torn {
            self.torn = true;
            for name in self.made.iter().rev() {
                let _ = run("ip", &["netns", "del", name], None);
            }
        }
    }
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Drop for Lan {
    fn drop(&mut self) {
        self.teardown();
    }
}
