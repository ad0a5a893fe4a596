//! The poll loop that drives any core state machine over real sockets:
//! read until `WouldBlock` (bounded per turn), feed the core, flush
//! `poll_transmit`, then idle until input or `poll_timeout` (DESIGN §1).

use std::io;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::auth::{ClientKeys, Keys};
use crate::core::{Client, Dest, Follower, Leader, Member, Nanos, Transmit};
use crate::sys::{self, Clock, RecvBatch, TimerFd};

/// What the driver needs of a core state machine.
pub trait Machine {
    /// Feeds one datagram.
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]);
    /// Called once `poll_timeout` has passed.
    fn handle_timeout(&mut self, now: Nanos);
    /// The next datagram to send, written into `buf`.
    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit>;
    /// When the machine next needs time to pass.
    fn poll_timeout(&self) -> Option<Nanos>;
    /// Once a turn, after input and timers and before anything is sent: a
    /// machine that journals writes what it appended here (DESIGN §8), and
    /// at `--sync none` takes it as durable.
    fn write_ahead(&mut self, _now: Nanos) {}
    /// Once a turn, after what input and timers had to send: a machine that
    /// journals syncs here (DESIGN §8). True if that may have given it more
    /// to send.
    fn store(&mut self, _now: Nanos) -> bool {
        false
    }
    /// Datagrams the machine rejected so far, every reason together.
    fn rejected(&self) -> u64 {
        0
    }
    /// The node stops cleanly (not called when it crashes): a machine that
    /// journals writes what its last hand-out let go, and keeps what only
    /// its memory knew (DESIGN §8).
    fn stopped(&mut self, _now: Nanos) {}
}

macro_rules! machine {
    ($type:ty, $rejected:expr) => {
        impl Machine for $type {
            fn rejected(&self) -> u64 {
                $rejected(self)
            }
            fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
                <$type>::handle_datagram(self, now, from, bytes)
            }
            fn handle_timeout(&mut self, now: Nanos) {
                <$type>::handle_timeout(self, now)
            }
            fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
                <$type>::poll_transmit(self, now, buf)
            }
            fn poll_timeout(&self) -> Option<Nanos> {
                <$type>::poll_timeout(self)
            }
        }
    };
}
machine!(Leader, |m: &Leader| m.rejects().total());
machine!(Follower, |m: &Follower| m.rejects().total());
machine!(Client, |m: &Client| m.rejects().total());
machine!(Member, |m: &Member| {
    let role = m.follower().map(|f| f.rejects()).or(m.leader().map(|l| l.rejects()));
    m.rejects().total() + role.map_or(0, |r| r.total())
});

/// How a node waits when it has nothing to do (DESIGN §1, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idle {
    /// Never sleeps: lowest latency, a whole core per node.
    Spin,
    /// Yields the core between turns: low latency, shares a core.
    Yield,
    /// Sleeps in epoll until input or a timer: lowest CPU.
    Block,
}

impl std::fmt::Display for Idle {
    /// As `--idle` spells it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Idle::Spin => "spin",
            Idle::Yield => "yield",
            Idle::Block => "block",
        })
    }
}

/// Driver counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Datagrams sent.
    pub datagrams_out: u64,
    /// System calls that sent them (several datagrams of one size to one
    /// address go in one call, with UDP GSO).
    pub send_calls: u64,
    /// Messages received: a message holds several datagrams when the kernel
    /// coalesced them (UDP GRO).
    pub messages_in: u64,
    /// Sends refused with a full socket buffer (the protocol repairs them).
    pub send_would_block: u64,
    /// Sends that failed otherwise.
    pub send_errors: u64,
    /// Receive errors other than `WouldBlock`.
    pub recv_errors: u64,
    /// Loop turns.
    pub turns: u64,
    /// Times the wake-up timer was armed (a system call each).
    pub timer_arms: u64,
    /// Datagrams dropped unopened, by [`AuthError`](crate::auth::AuthError) (short, no key held for
    /// their signer, bad tag): never seen by the machine.
    pub auth_failed: [u64; 3],
    /// Datagrams the machine wrote that this process holds no key to sign
    /// (not sent).
    pub unsigned: u64,
    /// Datagrams longer than the MTU (`--mtu`), dropped unopened: their
    /// sender runs with a larger one.
    pub oversize: u64,
    /// Where the latest datagram dropped came from (unopened, or rejected
    /// by the machine): the host to look at.
    pub last_rejected_from: Option<SocketAddr>,
    /// The machine's reject count after the latest datagram.
    rejected_seen: u64,
}

impl DriverStats {
    /// Datagrams dropped unopened, by reason, as the metrics name them:
    /// those that failed authentication ([`auth_failed`](Self::auth_failed)),
    /// then those longer than the MTU ([`oversize`](Self::oversize)).
    pub fn unopened(&self) -> [(&'static str, u64); 4] {
        let [short, no_key, bad_tag] = self.auth_failed;
        [("auth_short", short), ("auth_no_key", no_key), ("auth_bad_tag", bad_tag), ("oversize", self.oversize)]
    }
}

/// Most messages read from one socket in one turn (the work limiter): a
/// datagram, or with UDP GRO a run of them coalesced by the kernel.
pub const RECV_PER_TURN: usize = 64;
const TIMER: Token = Token(usize::MAX);

/// Sockets, poll and buffers for one node; allocated once.
pub struct Driver {
    poll: Poll,
    events: Events,
    sockets: Vec<UdpSocket>,
    group: SocketAddrV4,
    clock: Clock,
    idle: Idle,
    timer: TimerFd,
    /// When `timer` fires, as last armed (0: not armed, or fired).
    armed_at: Nanos,
    /// When the driver last learnt which sockets are readable: epoll's
    /// answer (idle block), or the turn's start (spin, yield: each turn
    /// reads every socket).
    looked_at: Nanos,
    batch: RecvBatch,
    mtu: usize,
    /// Room for the datagrams of one segmented send, `mtu` bytes each.
    tx: Vec<u8>,
    /// Segmented sends (UDP GSO) work here; off after the kernel refused one.
    gso: bool,
    /// Sockets that may hold input. Blocking, only those epoll named since
    /// they were drained; spinning or yielding, all of them, always.
    ready: Vec<bool>,
    input_left: bool,
    /// Epoll looked (a wait) since the last turn.
    looked: bool,
    /// Seals what is sent and opens what arrives (`None`: no authentication).
    keys: Option<Keys>,
    /// Client keys derived so far, kept across datagrams.
    client_keys: ClientKeys,
    stats: DriverStats,
}

/// Its sockets' addresses and how it runs, in a line (not its buffers).
impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let local: Vec<_> = self.sockets.iter().filter_map(|s| s.local_addr().ok()).collect();
        f.debug_struct("Driver")
            .field("local", &local)
            .field("group", &self.group)
            .field("idle", &self.idle)
            .field("mtu", &self.mtu)
            .field("keyed", &self.keys.is_some())
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver reading every socket in `sockets` and sending from the first;
    /// group datagrams go to `group`. `mtu` (the largest datagram on the
    /// wire) sizes the buffers. With `keys`, every datagram sent is sealed
    /// with a tag and every one received opened (DESIGN §9): the machine
    /// must then write datagrams of at most `mtu - TAG_LEN` bytes.
    ///
    /// # Errors
    /// `InvalidInput` for an `mtu` outside `1..=MTU_MAX`; the system's
    /// errors registering the sockets.
    pub fn new(
        sockets: Vec<UdpSocket>,
        group: SocketAddrV4,
        mtu: usize,
        clock: Clock,
        idle: Idle,
        keys: Option<Keys>,
    ) -> io::Result<Driver> {
        if !(1..=crate::core::MTU_MAX).contains(&mtu) {
            let why = format!("mtu {mtu} must be between 1 and {}", crate::core::MTU_MAX);
            return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        }
        let poll = Poll::new()?;
        let mut gro = true;
        for (i, socket) in sockets.iter().enumerate() {
            poll.registry().register(&mut SourceFd(&socket.as_raw_fd()), Token(i), Interest::READABLE)?;
            gro &= sys::enable_udp_gro(socket.as_raw_fd());
        }
        if !gro {
            // All or none: the buffers are sized for one datagram a message.
            sockets.iter().for_each(|socket| sys::disable_udp_gro(socket.as_raw_fd()));
        }
        // A coalesced message is at most a 64 KiB IP datagram, and 16 of them
        // hold hundreds of datagrams; without GRO one byte more than the MTU
        // shows a datagram that was cut.
        let (messages, message_bytes) = if gro { (16, 1 << 16) } else { (RECV_PER_TURN, mtu + 1) };
        let segments = (sys::MAX_SEGMENTED_BYTES / mtu).clamp(1, sys::MAX_SEGMENTS);
        // Asked, not tried: a kernel without it sends a run as one
        // fragmented datagram, and says nothing.
        let gso = segments > 1 && sockets.first().is_some_and(|s| sys::udp_gso_supported(s.as_raw_fd()));
        let count = sockets.len();
        let timer = TimerFd::new()?;
        poll.registry().register(&mut SourceFd(&timer.as_raw_fd()), TIMER, Interest::READABLE)?;
        Ok(Driver {
            poll,
            events: Events::with_capacity(sockets.len() + 1),
            sockets,
            group,
            clock,
            idle,
            timer,
            armed_at: 0,
            looked_at: 0,
            batch: RecvBatch::new(messages, message_bytes),
            mtu,
            tx: crate::core::prefaulted(segments * mtu),
            gso,
            ready: vec![true; count],
            input_left: false,
            looked: false,
            keys,
            client_keys: ClientKeys::default(),
            stats: DriverStats::default(),
        })
    }

    /// The driver's clock, now.
    pub fn now(&self) -> Nanos {
        self.clock.now()
    }

    /// True when it seals and opens datagrams with keys.
    pub fn keyed(&self) -> bool {
        self.keys.is_some()
    }

    /// Counters.
    pub fn stats(&self) -> &DriverStats {
        &self.stats
    }

    /// Local address of socket `i`.
    pub fn local_addr(&self, i: usize) -> io::Result<SocketAddr> {
        self.sockets[i].local_addr()
    }

    /// One turn: read what is queued (bounded), run timers, send everything
    /// the machine has to send. Returns the time the turn used as `now`.
    pub fn turn(&mut self, machine: &mut impl Machine) -> Nanos {
        self.stats.turns += 1;
        self.input_left = false;
        if self.idle == Idle::Block && !std::mem::take(&mut self.looked) {
            // Turned again without a wait between (a library user's own
            // loop): epoll has said nothing of what became readable since
            // the last turn drained the sockets. Each is read.
            self.ready.fill(true);
        }
        if self.idle != Idle::Block {
            self.looked_at = self.clock.now();
        }
        for i in 0..self.sockets.len() {
            self.read(i, machine);
        }
        let mut now = self.clock.now();
        let due = |timeout: Option<Nanos>, now: Nanos| timeout.is_some_and(|at| at <= now);
        if now > self.looked_at + LATE_TURN_NS && due(machine.poll_timeout(), now) {
            // Stopped or starved since it last looked (SIGSTOP, a paused
            // VM): what came meanwhile is read before a timer judges the
            // peers silent, or a member resumed would stand against the
            // leader whose frames wait in its socket.
            self.ready.fill(true);
            for i in 0..self.sockets.len() {
                self.read(i, machine);
            }
            now = self.clock.now();
        }
        if due(machine.poll_timeout(), now) {
            machine.handle_timeout(now);
        }
        // What was appended is written before anything goes out (no
        // follower holds what its leader's journal lacks); what is due goes
        // out before the disk is waited for (a leader's DATA need not wait
        // for its own fdatasync); what the disk made durable (a follower's
        // ACK, a commit) goes after it.
        machine.write_ahead(now);
        self.flush(now, machine);
        if machine.store(now) {
            self.flush(now, machine);
        }
        now
    }

    fn read(&mut self, i: usize, machine: &mut impl Machine) {
        if !self.ready[i] {
            return;
        }
        let fd = self.sockets[i].as_raw_fd();
        let mut budget = RECV_PER_TURN;
        while budget > 0 {
            let asked = budget.min(self.batch.capacity());
            let n = match self.batch.recv(fd, asked) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if e.kind() != io::ErrorKind::WouldBlock {
                        self.stats.recv_errors += 1;
                    }
                    return self.drained(i);
                }
            };
            let now = self.clock.now();
            let mtu = self.mtu;
            for k in 0..n {
                let (from, bytes, segment) = self.batch.get(k).expect("received");
                let size = segment.unwrap_or(bytes.len());
                if size == 0 || bytes.len() <= size {
                    // One datagram (an empty one too: the wire check counts it).
                    deliver(machine, (&self.keys, &mut self.client_keys, &mut self.stats), now, from, bytes, mtu);
                    continue;
                }
                for datagram in bytes.chunks(size) {
                    deliver(machine, (&self.keys, &mut self.client_keys, &mut self.stats), now, from, datagram, mtu);
                }
            }
            self.stats.messages_in += n as u64;
            if n < asked {
                // Fewer than asked: the queue was empty. Epoll is
                // edge-triggered, so whatever arrives next wakes us.
                return self.drained(i);
            }
            budget -= n;
        }
        // The work limit stopped us with input left: the next wait must not sleep.
        self.input_left = true;
    }

    fn drained(&mut self, i: usize) {
        if self.idle == Idle::Block {
            self.ready[i] = false;
        }
    }

    /// Sends everything `machine` has to send now. Consecutive datagrams to
    /// one address, all of one length but the last (which may be shorter),
    /// go out in one system call (UDP GSO): a leader's DATA in a busy turn.
    pub fn flush(&mut self, now: Nanos, machine: &mut impl Machine) {
        // The pending run: its address, datagram length, count, and end in `tx`.
        let mut run: Option<(SocketAddr, usize, usize)> = None;
        let mut end = 0;
        loop {
            if end + self.mtu > self.tx.len() {
                self.send_run(run.take(), end);
                end = 0;
            }
            let Some(transmit) = machine.poll_transmit(now, &mut self.tx[end..end + self.mtu]) else { break };
            let to = match transmit.dest {
                Dest::Group => SocketAddr::V4(self.group),
                Dest::Unicast(addr) => addr,
            };
            let len = match &self.keys {
                None => transmit.len,
                Some(keys) => {
                    match keys.seal_with(&mut self.tx[end..end + self.mtu], transmit.len, &mut self.client_keys) {
                        Some(len) => len,
                        None => {
                            self.stats.unsigned += 1;
                            continue;
                        }
                    }
                }
            };
            run = match run {
                // Joins the run: same address, not longer, after full-length
                // ones, and no more than the kernel takes in one send.
                Some((at, size, count))
                    if self.gso
                        && at == to
                        && len <= size
                        && len > 0
                        && end == size * count
                        && count < sys::MAX_SEGMENTS =>
                {
                    Some((at, size, count + 1))
                }
                Some(previous) => {
                    self.send_run(Some(previous), end);
                    self.tx.copy_within(end..end + len, 0);
                    end = 0;
                    Some((to, len, 1))
                }
                None => Some((to, len, 1)),
            };
            end += len;
        }
        self.send_run(run, end);
    }

    /// Sends the run of datagrams in `tx[..end]`.
    fn send_run(&mut self, run: Option<(SocketAddr, usize, usize)>, end: usize) {
        let Some((to, size, count)) = run else { return };
        if count > 1 {
            match sys::send_segments(self.sockets[0].as_raw_fd(), &to.into(), &self.tx[..end], size as u16) {
                // A kernel without UDP GSO (before 4.18), or a route it
                // cannot segment for: one by one, from now on.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EIO | libc::ENOPROTOOPT)) => {
                    self.gso = false;
                }
                result => return self.count_sent(result, count),
            }
        }
        if size == 0 {
            // An empty datagram (never joined to a run).
            let result = self.sockets[0].send_to(&[], to);
            return self.count_sent(result, 1);
        }
        for start in (0..end).step_by(size) {
            let result = self.sockets[0].send_to(&self.tx[start..end.min(start + size)], to);
            self.count_sent(result, 1);
        }
    }

    fn count_sent(&mut self, result: io::Result<usize>, count: usize) {
        self.stats.send_calls += 1;
        let count = count as u64;
        match result {
            Ok(_) => self.stats.datagrams_out += count,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.stats.send_would_block += count,
            Err(_) => self.stats.send_errors += count,
        }
    }

    /// Idles until input, the machine's timeout, or `deadline`, whichever
    /// comes first (as the idle strategy allows).
    pub fn wait(&mut self, machine: &impl Machine, deadline: Nanos) -> io::Result<()> {
        match self.idle {
            Idle::Spin => Ok(()),
            Idle::Yield => {
                std::thread::yield_now();
                Ok(())
            }
            // With input left over, only look (which sockets are readable).
            Idle::Block if self.input_left => self.block_until(0),
            Idle::Block => self.block_until(machine.poll_timeout().map_or(deadline, |at| at.min(deadline))),
        }
    }

    /// Sleeps in epoll until input or `at` (nanosecond precision via timerfd).
    /// When `at` has passed it still polls, without sleeping: epoll is the
    /// only news of which sockets became readable.
    pub fn block_until(&mut self, at: Nanos) -> io::Result<()> {
        let now = self.clock.now();
        let timeout = if at <= now {
            Some(Duration::ZERO)
        } else {
            if !keeps_armed(self.armed_at, now, at) {
                self.timer.arm(at - now)?;
                self.armed_at = at;
                self.stats.timer_arms += 1;
            }
            None
        };
        let mut polled = self.poll.poll(&mut self.events, timeout);
        if polled.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::Interrupted) {
            // A signal ends the wait saying nothing of what is readable
            // (SIGCONT after a SIGSTOP does, however long the stop): look
            // again, without waiting, before a timer judges the peers silent.
            polled = self.poll.poll(&mut self.events, Some(Duration::ZERO));
        }
        match polled {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => return Err(e),
            _ => {}
        }
        (self.looked_at, self.looked) = (self.clock.now(), true);
        for event in self.events.iter() {
            match event.token() {
                TIMER => {
                    self.timer.clear();
                    self.armed_at = 0;
                }
                Token(i) => self.ready[i] = true,
            }
        }
        Ok(())
    }
}

/// A turn this long after epoll last looked reads every socket before it
/// runs a timer due: the process was stopped or starved meanwhile.
const LATE_TURN_NS: Nanos = 1_000_000;

/// An armed timer this far ahead may stand for a later deadline.
const KEEP_ARMED_NS: Nanos = 250_000;

/// Whether a timer armed for `armed_at` may stand for a wait until `at`.
/// Deadlines that move with every datagram (the leader's heartbeat, a
/// follower's ACK timer that comes and goes with each commit) would
/// otherwise be re-armed every turn: a system call, and in a VM a timer
/// reprogram. An armed deadline no later than `at` stands if it is early by
/// at most half the wait, or at least [`KEEP_ARMED_NS`] away: a busy node
/// turns (and re-arms) before it fires, and an idle one wakes early once.
/// Hands one received datagram to `machine`, opened first with `keys` if
/// any: one that fails is counted and goes no further.
fn deliver(
    machine: &mut impl Machine,
    (keys, derived, stats): (&Option<Keys>, &mut ClientKeys, &mut DriverStats),
    now: Nanos,
    from: SocketAddr,
    datagram: &[u8],
    mtu: usize,
) {
    stats.datagrams_in += 1;
    if datagram.len() > mtu {
        // Longer than any this node sends (the receive buffer holds one
        // byte more, so one the kernel cut shows too): a sender with a
        // larger --mtu, said as such rather than as a bad tag or length.
        stats.oversize += 1;
        stats.last_rejected_from = Some(from);
        return;
    }
    match keys.as_ref().map(|keys| keys.open_with(datagram, derived)) {
        None => machine.handle_datagram(now, from, datagram),
        Some(Ok(opened)) => machine.handle_datagram(now, from, opened),
        Some(Err(e)) => {
            stats.auth_failed[e as usize] += 1;
            stats.last_rejected_from = Some(from);
            return;
        }
    }
    // Only a datagram moves the machine's reject counts.
    let rejected = machine.rejected();
    // Only a count that grew blames the sender: a member's role change
    // starts its role's count again, and the sum falls.
    if rejected > stats.rejected_seen {
        stats.last_rejected_from = Some(from);
    }
    stats.rejected_seen = rejected;
}

fn keeps_armed(armed_at: Nanos, now: Nanos, at: Nanos) -> bool {
    armed_at > now && armed_at <= at && (at - armed_at <= (at - now) / 2 || armed_at - now >= KEEP_ARMED_NS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, UdpSocket};

    /// Sends the datagrams it is given, in order, to one address.
    struct Sender {
        to: SocketAddr,
        lens: Vec<usize>,
        next: usize,
    }

    impl Machine for Sender {
        fn handle_datagram(&mut self, _: Nanos, _: SocketAddr, _: &[u8]) {}
        fn handle_timeout(&mut self, _: Nanos) {}
        fn poll_transmit(&mut self, _: Nanos, buf: &mut [u8]) -> Option<Transmit> {
            let len = *self.lens.get(self.next)?;
            buf[..len].fill(self.next as u8);
            self.next += 1;
            Some(Transmit { dest: Dest::Unicast(self.to), len })
        }
        fn poll_timeout(&self) -> Option<Nanos> {
            None
        }
    }

    /// Flushes datagrams of `lens` to a plain socket; returns what arrived
    /// (length, first byte) and the driver's counters.
    fn flushed(lens: &[usize]) -> (Vec<(usize, u8)>, DriverStats) {
        let rx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        socket2::SockRef::from(&rx).set_recv_buffer_size(1 << 20).unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        tx.set_nonblocking(true).unwrap();
        let group = SocketAddrV4::new(Ipv4Addr::new(239, 255, 0, 1), 9);
        let mut driver = Driver::new(vec![tx], group, 1472, Clock::Monotonic, Idle::Block, None).unwrap();
        let mut sender = Sender { to: rx.local_addr().unwrap(), lens: lens.to_vec(), next: 0 };
        driver.flush(0, &mut sender);
        let mut buf = [0u8; 2048];
        let got = (0..lens.len())
            .map(|_| {
                let n = rx.recv(&mut buf).expect("every datagram arrives");
                (n, buf[0])
            })
            .collect();
        (got, *driver.stats())
    }

    #[test]
    fn equal_datagrams_go_in_segmented_sends_of_at_most_64_and_arrive_as_sent() {
        let lens = vec![100; 100];
        let (got, stats) = flushed(&lens);
        let want: Vec<(usize, u8)> = (0..100).map(|i| (100, i as u8)).collect();
        assert_eq!(got, want);
        assert_eq!((stats.datagrams_out, stats.send_calls), (100, 2), "64 + 36");
    }

    #[test]
    fn a_run_ends_after_a_shorter_datagram_or_before_a_longer_one() {
        let lens = [1000, 1000, 400, 1000, 1472, 30];
        let (got, stats) = flushed(&lens);
        let want: Vec<(usize, u8)> = lens.iter().enumerate().map(|(i, &len)| (len, i as u8)).collect();
        assert_eq!(got, want);
        // (1000, 1000, 400), (1000), (1472, 30).
        assert_eq!((stats.datagrams_out, stats.send_calls), (6, 3));
    }

    /// A heartbeat: due 100 ms after the last datagram it heard (far more
    /// than a test thread is held off a busy CPU between two turns, which
    /// would count as a deadline moved close enough to arm again).
    struct Beat {
        due: Nanos,
        fired_at: Option<Nanos>,
    }

    impl Machine for Beat {
        fn handle_datagram(&mut self, now: Nanos, _: SocketAddr, _: &[u8]) {
            self.due = now + 100_000_000;
        }
        fn handle_timeout(&mut self, now: Nanos) {
            self.fired_at = Some(now);
        }
        fn poll_transmit(&mut self, _: Nanos, _: &mut [u8]) -> Option<Transmit> {
            None
        }
        fn poll_timeout(&self) -> Option<Nanos> {
            self.fired_at.is_none().then_some(self.due)
        }
    }

    /// A driver (idle block) of one socket and `mtu`; a socket to send it
    /// from, and where.
    fn loopback_driver(mtu: usize) -> (Driver, UdpSocket, SocketAddr) {
        let rx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        rx.set_nonblocking(true).unwrap();
        let to = rx.local_addr().unwrap();
        let tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let group = SocketAddrV4::new(Ipv4Addr::new(239, 255, 0, 1), 9);
        (Driver::new(vec![rx], group, mtu, Clock::Monotonic, Idle::Block, None).unwrap(), tx, to)
    }

    #[test]
    fn a_deadline_that_moves_later_each_turn_is_not_rearmed_each_turn_and_never_fires_early() {
        let (mut driver, tx, to) = loopback_driver(1472);
        let mut beat = Beat { due: u64::MAX, fired_at: None };
        for _ in 0..10 {
            tx.send_to(&[1], to).unwrap();
            driver.wait(&beat, u64::MAX).unwrap();
            driver.turn(&mut beat);
        }
        assert_eq!(driver.stats().datagrams_in, 10);
        // Each turn pushed the deadline later; re-arming each time was 10 arms.
        assert!(driver.stats().timer_arms < 5, "armed {} times in 10 turns", driver.stats().timer_arms);
        let due = beat.due;
        while beat.fired_at.is_none() {
            driver.wait(&beat, u64::MAX).unwrap();
            driver.turn(&mut beat);
        }
        assert!(beat.fired_at.unwrap() >= due, "fired before it was due");
    }

    /// A reviewer stopped a member with SIGSTOP for 1.2 s: resumed, it
    /// stood for election 1.6 ms later ("its leader silent for 1231 ms")
    /// and deposed a live leader whose frames waited in its socket. Epoll
    /// had said nothing was readable before the stop; the turn after it
    /// ran the timer before anything told it of them. A late turn reads
    /// every socket before a timer.
    #[test]
    fn a_turn_long_after_epoll_looked_reads_what_came_before_it_runs_a_timer() {
        let (mut driver, tx, to) = loopback_driver(1472);
        let mut beat = Beat { due: u64::MAX, fired_at: None };
        driver.turn(&mut beat);
        // Due now: epoll looks, finds nothing readable.
        beat.due = 0;
        driver.wait(&beat, u64::MAX).unwrap();
        // Stopped here: a datagram comes, and the time passes.
        tx.send_to(&[1], to).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        driver.turn(&mut beat);
        assert_eq!(driver.stats().datagrams_in, 1, "read in the late turn");
        assert_eq!(beat.fired_at, None, "the datagram moved the deadline before the timer ran");
    }

    /// Helper 116: a library user's loop that polls a `ClientNode` and never
    /// waits (a timer tick, a busy producer) read nothing after the first
    /// turn drained the socket: only a wait's epoll said it was readable
    /// again, and the late-turn look ran only with a timer due (a client's
    /// retry, 50 ms on). A turn with no wait since the last reads anyway.
    #[test]
    fn turns_without_a_wait_between_still_read_what_came() {
        let (mut driver, tx, to) = loopback_driver(1472);
        let mut beat = Beat { due: u64::MAX, fired_at: None };
        for sent in 1..=3 {
            tx.send_to(&[1], to).unwrap();
            std::thread::sleep(Duration::from_millis(1));
            driver.turn(&mut beat);
            assert_eq!(driver.stats().datagrams_in, sent);
        }
    }

    /// Rejects as many datagrams in all as the last one's byte says.
    struct Rejecting(u64);

    impl Machine for Rejecting {
        fn handle_datagram(&mut self, _: Nanos, _: SocketAddr, bytes: &[u8]) {
            self.0 = u64::from(bytes[0]);
        }
        fn handle_timeout(&mut self, _: Nanos) {}
        fn poll_transmit(&mut self, _: Nanos, _: &mut [u8]) -> Option<Transmit> {
            None
        }
        fn poll_timeout(&self) -> Option<Nanos> {
            None
        }
        fn rejected(&self) -> u64 {
            self.0
        }
    }

    /// Helper 116: a member that changed role counted its rejects anew,
    /// the sum fell, and the next datagram (the winning VOTE) was named as
    /// the latest rejected one's sender.
    #[test]
    fn only_a_reject_count_that_grew_names_the_sender() {
        let (mut driver, tx, to) = loopback_driver(1472);
        let other = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let mut machine = Rejecting(0);
        for (from, count) in [(&tx, 5), (&other, 0), (&other, 0)] {
            from.send_to(&[count], to).unwrap();
            driver.wait(&machine, u64::MAX).unwrap();
            driver.turn(&mut machine);
        }
        assert_eq!(driver.stats().last_rejected_from, Some(tx.local_addr().unwrap()));
        other.send_to(&[1], to).unwrap();
        driver.wait(&machine, u64::MAX).unwrap();
        driver.turn(&mut machine);
        assert_eq!(driver.stats().last_rejected_from, Some(other.local_addr().unwrap()));
    }

    /// Records what the driver asks of it, in order; sends one datagram.
    #[derive(Default)]
    struct Order {
        calls: Vec<&'static str>,
        to: Option<SocketAddr>,
    }

    impl Machine for Order {
        fn handle_datagram(&mut self, _: Nanos, _: SocketAddr, _: &[u8]) {
            self.calls.push("datagram");
        }
        fn handle_timeout(&mut self, _: Nanos) {}
        fn poll_transmit(&mut self, _: Nanos, _: &mut [u8]) -> Option<Transmit> {
            self.calls.push("transmit");
            Some(Transmit { dest: Dest::Unicast(self.to.take()?), len: 1 })
        }
        fn poll_timeout(&self) -> Option<Nanos> {
            None
        }
        fn write_ahead(&mut self, _: Nanos) {
            self.calls.push("write_ahead");
        }
        fn store(&mut self, _: Nanos) -> bool {
            self.calls.push("store");
            true
        }
    }

    /// DESIGN §8: what a turn took in is written before anything of the
    /// turn is sent (so no follower holds what its leader's journal lacks),
    /// and synced after (a leader's DATA does not wait for its fdatasync).
    #[test]
    fn a_turn_writes_what_it_took_in_before_it_sends_and_syncs_after() {
        let (mut driver, tx, to) = loopback_driver(1472);
        let mut order = Order { to: Some(to), ..Order::default() };
        tx.send_to(&[1], to).unwrap();
        driver.wait(&order, u64::MAX).unwrap();
        driver.turn(&mut order);
        let want = ["datagram", "write_ahead", "transmit", "transmit", "store", "transmit"];
        assert_eq!(order.calls, want);
    }

    /// Counts the datagrams it is handed, and their lengths.
    #[derive(Default)]
    struct Taken(Vec<usize>);

    impl Machine for Taken {
        fn handle_datagram(&mut self, _: Nanos, _: SocketAddr, bytes: &[u8]) {
            self.0.push(bytes.len());
        }
        fn handle_timeout(&mut self, _: Nanos) {}
        fn poll_transmit(&mut self, _: Nanos, _: &mut [u8]) -> Option<Transmit> {
            None
        }
        fn poll_timeout(&self) -> Option<Nanos> {
            None
        }
    }

    /// A review: a datagram longer than the MTU was cut to one byte more
    /// and handed on, to fail its length check (or, keyed, its tag: read
    /// as a forgery), and one exactly a byte longer passed whole. Both are
    /// dropped unopened now and counted as such: a sender with a larger
    /// --mtu.
    #[test]
    fn datagrams_longer_than_the_mtu_are_dropped_and_counted_as_such() {
        let (mut driver, tx, to) = loopback_driver(400);
        // One of each length, then a run of equal ones (GRO may coalesce them).
        for len in [400, 401, 1000, 10, 401, 401, 401] {
            tx.send_to(&vec![7; len], to).unwrap();
        }
        let mut taken = Taken::default();
        while driver.stats().datagrams_in < 7 {
            driver.wait(&taken, u64::MAX).unwrap();
            driver.turn(&mut taken);
        }
        assert_eq!(taken.0, [400, 10]);
        assert_eq!(driver.stats().oversize, 5);
    }

    /// A review: a kernel without UDP GSO (before 4.18) ignores the control
    /// message of a segmented send and sends it whole, fragmented, to be
    /// dropped by every receiver: the option is asked for first.
    #[test]
    fn udp_gso_is_asked_of_the_socket() {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        assert!(sys::udp_gso_supported(udp.as_raw_fd()), "this kernel has it (4.18 and later)");
        let tcp = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        assert!(!sys::udp_gso_supported(tcp.as_raw_fd()), "a socket that is not UDP has no UDP_SEGMENT");
    }

    /// Empty datagrams go one by one (a run of them panicked, stepping by 0).
    #[test]
    fn empty_datagrams_are_sent_each_alone() {
        let (got, stats) = flushed(&[0, 0, 5]);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 0, 5]);
        assert_eq!((stats.datagrams_out, stats.send_calls), (3, 3));
    }

    #[test]
    fn an_armed_timer_stands_only_if_no_later_than_the_deadline_and_not_too_early() {
        let now = 1_000_000;
        // Passed, or later than the deadline: re-arm.
        assert!(!keeps_armed(now, now, now + 500_000));
        assert!(!keeps_armed(now + 600_000, now, now + 500_000));
        // Exactly due, or early by at most half the wait.
        assert!(keeps_armed(now + 500_000, now, now + 500_000));
        assert!(keeps_armed(now + 1_000_000, now, now + 2_000_000));
        // Far ahead: stands even for a much later deadline.
        assert!(keeps_armed(now + KEEP_ARMED_NS, now, now + 50_000_000));
        // Soon, and much earlier than needed: a needless wake-up.
        assert!(!keeps_armed(now + 100_000, now, now + 50_000_000));
    }
}
