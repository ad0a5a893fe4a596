//! The cluster file: one small text file that every node of a cluster
//! shares, so they agree on ids, addresses, group and quorum.
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

/// A parsed cluster file; keys not given stay `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterFile {
    /// `cluster_id`.
    pub cluster_id: Option<u32>,
    /// `group`.
    pub group: Option<SocketAddrV4>,
    /// `interface`: the same for every node (only sensible on one host).
    pub interface: Option<Ipv4Addr>,
    /// `ttl`.
    pub ttl: Option<u32>,
    /// `quorum`.
    pub quorum: Option<u16>,
    /// `leader`.
    pub leader: Option<u16>,
    /// `mtu`.
    pub mtu: Option<usize>,
    /// `payload_max`.
    pub payload_max: Option<usize>,
    /// `node.N`, in id order, ids 0..n without holes.
    pub nodes: Vec<SocketAddrV4>,
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
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let Some((key, text)) = content.split_once('=') else {
                return Err(ClusterFileError { line, message: format!("expected `key = value`, got {content:?}") });
            };
            let (key, text) = (key.trim(), text.trim());
            match key {
                "cluster_id" => file.cluster_id = Some(value(key, text, line)?),
                "group" => file.group = Some(value(key, text, line)?),
                "interface" => file.interface = Some(value(key, text, line)?),
                "ttl" => file.ttl = Some(value(key, text, line)?),
                "quorum" => file.quorum = Some(value(key, text, line)?),
                "leader" => file.leader = Some(value(key, text, line)?),
                "mtu" => file.mtu = Some(value(key, text, line)?),
                "payload_max" => file.payload_max = Some(value(key, text, line)?),
                _ => match key.strip_prefix("node.") {
                    Some(id) => nodes.push((value(key, id, line)?, value(key, text, line)?, line)),
                    None => return Err(ClusterFileError { line, message: format!("unknown key {key:?}") }),
                },
            }
        }
        nodes.sort_by_key(|n| n.0);
        for (expected, &(id, addr, line)) in nodes.iter().enumerate() {
            if usize::from(id) != expected {
                let message = format!("node ids must run 0, 1, 2, … without holes or repeats; found node.{id}");
                return Err(ClusterFileError { line, message });
            }
            file.nodes.push(addr);
        }
        Ok(file)
    }

    /// Reads and parses a cluster file.
    pub fn read(path: &std::path::Path) -> Result<ClusterFile, ClusterFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClusterFileError { line: 0, message: format!("cannot read {}: {e}", path.display()) })?;
        ClusterFile::parse(&text)
            .map_err(|e| ClusterFileError { line: 0, message: format!("{}:{}: {}", path.display(), e.line, e.message) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text = "# c\ncluster_id = 7\ngroup = 239.255.0.1:7400 # g\nttl = 1\nquorum = 2\nleader = 0\n\
                    node.1 = 198.18.0.2:7401\nnode.0 = 198.18.0.1:7401\nnode.2 = 198.18.0.3:7401\n";
        let file = ClusterFile::parse(text).unwrap();
        assert_eq!((file.cluster_id, file.ttl, file.quorum, file.leader), (Some(7), Some(1), Some(2), Some(0)));
        assert_eq!(file.group, Some("239.255.0.1:7400".parse().unwrap()));
        assert_eq!(file.nodes.len(), 3);
        assert_eq!(file.nodes[1], "198.18.0.2:7401".parse().unwrap());
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let err = |text| ClusterFile::parse(text).unwrap_err().to_string();
        assert_eq!(err("ttl = 1\nbogus = 3"), "line 2: unknown key \"bogus\"");
        assert!(err("group = 239.255.0.1").starts_with("line 1: group = \"239.255.0.1\": invalid"));
        assert_eq!(err("ttl"), "line 1: expected `key = value`, got \"ttl\"");
        assert!(err("node.0 = 127.0.0.1:1\nnode.2 = 127.0.0.1:2").contains("found node.2"));
        assert!(err("node.x = 127.0.0.1:1").contains("node.x"));
    }
}
