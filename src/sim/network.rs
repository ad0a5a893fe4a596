//! The network model: made-up addresses, a queue of datagrams in flight,
//! and loss, duplication, delay (so reordering) and partitions.

use std::cmp::Reverse;
use std::net::{Ipv4Addr, SocketAddr};

use super::Sim;
use super::faults::Fault;
use crate::core::{Dest, Nanos};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Who {
    Node(usize),
    Client(usize),
    /// The replaying attacker ([`SimConfig::replay`](super::SimConfig::replay)).
    Attacker,
    /// A read-only subscriber ([`SimConfig::tails`](super::SimConfig::tails)).
    Tail(usize),
}

/// Datagrams the attacker keeps to replay.
pub(super) const RECORDED_MAX: usize = 64;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Item {
    Datagram { to: Who, from: Who, bytes: Vec<u8> },
    Fault(Fault),
}

/// Base port of the made-up addresses (never bound, never sent to).
const PORT: u16 = 40_000;

pub(super) fn addr(who: Who) -> SocketAddr {
    let port = match who {
        Who::Node(i) => PORT + i as u16,
        Who::Client(i) => PORT + 1000 + i as u16,
        Who::Attacker => PORT + 2000,
        Who::Tail(i) => PORT + 3000 + i as u16,
    };
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Ports a member moves by when it restarts on another one: its ports
/// are `PORT + i + PORT_MOVE * k`, `k` below 10.
const PORT_MOVE: u16 = 100;

pub(super) fn who(at: SocketAddr) -> Who {
    match at.port() - PORT {
        p if p < 1000 => Who::Node(usize::from(p % PORT_MOVE)),
        p if p < 2000 => Who::Client(usize::from(p) - 1000),
        p if p < 3000 => Who::Attacker,
        p => Who::Tail(usize::from(p) - 3000),
    }
}

impl Sim<'_> {
    pub(super) fn push(&mut self, at: Nanos, item: Item) {
        self.order += 1;
        self.queue.push(Reverse((at, self.order, item)));
    }

    pub(super) fn route(&mut self, from: Who, dest: Dest, bytes: &[u8]) {
        if let Who::Node(i) = from {
            self.observe(i, bytes);
        }
        match dest {
            Dest::Group => {
                for i in (0..self.nodes.len()).filter(|&i| Who::Node(i) != from) {
                    self.send(from, Who::Node(i), bytes);
                }
                // Tails joined the group once started.
                for i in 0..self.tails.len() {
                    if self.tails[i].tail.is_some() {
                        self.send(from, Who::Tail(i), bytes);
                    }
                }
            }
            Dest::Unicast(to) => match who(to) {
                // A port the member no longer has (it restarted on another):
                // nobody reads it.
                to_who if to != self.addr_now(to_who) => self.paths.to_old_port += 1,
                to_who => {
                    if to_who == Who::Attacker && matches!(from, Who::Node(_)) {
                        self.paths.drawn_bytes += bytes.len() as u64;
                    }
                    self.send(from, to_who, bytes)
                }
            },
        }
    }

    /// Where `who` sends from and is reached now: a member without failover
    /// that restarted on another port ([`NodeSlot::port_moves`](super::NodeSlot))
    /// is there, as `seqcast follower` binds a new one without `--listen`
    /// or a `node.N` line.
    pub(super) fn addr_now(&self, who: Who) -> SocketAddr {
        let at = addr(who);
        match who {
            Who::Node(i) => SocketAddr::new(at.ip(), at.port() + PORT_MOVE * (self.nodes[i].port_moves % 10)),
            _ => at,
        }
    }

    pub(super) fn send(&mut self, from: Who, to: Who, bytes: &[u8]) {
        let cut = match (from, to) {
            (Who::Node(a), Who::Node(b)) => self.nodes[a].cut_out || self.nodes[b].cut_in,
            (_, Who::Tail(i)) => self.tails[i].cut(self.now, false),
            (Who::Tail(i), _) => self.tails[i].cut(self.now, true),
            _ => false,
        };
        if cut {
            self.paths.dropped += 1;
            return;
        }
        let faulty = self.faulty();
        if (faulty || self.config.replay_after_faults) && self.config.replay > 0.0 && to != Who::Attacker {
            self.record_and_replay(from, bytes);
        }
        if faulty && self.rng.chance(self.config.loss) {
            self.paths.dropped += 1;
            return;
        }
        let copies = if faulty && self.rng.chance(self.config.dup) { 2 } else { 1 };
        self.paths.duplicated += copies - 1;
        for _ in 0..copies {
            let mut delay = self.config.latency_ns + self.rng.range(0, self.config.latency_ns / 2);
            if faulty && self.rng.chance(self.config.reorder) {
                delay += self.rng.range(0, 10 * self.config.latency_ns);
            }
            self.push(self.now + delay, Item::Datagram { to, from, bytes: bytes.to_vec() });
        }
    }

    /// The attacker records `bytes`, sent by `from` (now and then, in a
    /// bounded store) and, with the replay chance, sends one it recorded
    /// to a random node or client, from its own address or, with
    /// [`replay_as_sender`](super::SimConfig::replay_as_sender), from its
    /// sender's.
    fn record_and_replay(&mut self, from: Who, bytes: &[u8]) {
        if self.recorded.len() < RECORDED_MAX {
            self.recorded.push((from, bytes.to_vec()));
        } else if self.rng.chance(0.1) {
            let slot = self.rng.range(0, RECORDED_MAX as u64) as usize;
            self.recorded[slot] = (from, bytes.to_vec());
        }
        if !self.rng.chance(self.config.replay) {
            return;
        }
        let (sender, replayed) = self.recorded[self.rng.range(0, self.recorded.len() as u64) as usize].clone();
        let from = if self.config.replay_as_sender { sender } else { Who::Attacker };
        let (nodes, clients) = (self.nodes.len(), self.clients.len());
        let k = self.rng.range(0, (nodes + clients + self.tails.len()) as u64) as usize;
        let to = match k {
            k if k < nodes => Who::Node(k),
            k if k < nodes + clients => Who::Client(k - nodes),
            k => Who::Tail(k - nodes - clients),
        };
        self.paths.replayed += 1;
        if from == Who::Attacker && matches!(to, Who::Node(_)) {
            self.paths.replayed_bytes += replayed.len() as u64;
        }
        let delay = self.config.latency_ns + self.rng.range(0, 10 * self.config.latency_ns);
        self.push(self.now + delay, Item::Datagram { to, from, bytes: replayed });
    }

    pub(super) fn deliver(&mut self, to: Who, from: Who, bytes: Vec<u8>) {
        let (now, from_addr) = (self.now, self.addr_now(from));
        match to {
            Who::Node(i) => {
                if let Some(until) = self.nodes[i].paused_until.filter(|&until| until > now) {
                    // A stopped process: the datagram waits in its socket.
                    return self.push(until, Item::Datagram { to, from, bytes });
                }
                if self.nodes[i].node.is_none() {
                    return;
                }
                if let Some(node) = self.nodes[i].node.as_mut() {
                    node.handle_datagram(now, from_addr, &bytes);
                    let epoch = node.member().epoch();
                    self.nodes[i].told.note_unrecoverable(&bytes, epoch);
                }
            }
            Who::Client(i) => self.clients[i].client.handle_datagram(now, from_addr, &bytes),
            // What nodes answer a replay with comes back to the attacker.
            Who::Attacker => return,
            Who::Tail(i) => return self.deliver_to_tail(i, from, bytes),
        }
        self.drain(to);
    }
}
