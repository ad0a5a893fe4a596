//! The wire's own limits on this machine, measured in the same run: a plain
//! UDP ping-pong (the latency floor) and a plain datagram flood (the rate
//! limit), between two processes over loopback, with the same idle strategy
//! as the system under test. Each is the strongest plain path the machine
//! offers, so that a ratio against it never flatters seqcast: the ping-pong
//! waits in a blocking `recv` (no poller between the kernel and the loop),
//! and the flood is received with `recvmmsg` (64 datagrams a call) and sent
//! with `sendmmsg` or with UDP GSO, whichever gets more through.
//!
//! Beside the flood, never as the limit: a relay, one process that receives
//! the flood and sends every datagram on to a multicast group that two
//! processes receive, as a leader receives SUBMITs and multicasts DATA.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use seqcast::net;

/// How a baseline process waits for its next datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A blocking `recv`.
    Block,
    /// Non-blocking `recv`, yielding the core between tries.
    Yield,
    /// Non-blocking `recv` in a tight loop.
    Spin,
    /// Non-blocking `recv`, waiting in `epoll_wait` between tries: how the
    /// nodes' loop waits with `--idle block` (one more system call a
    /// datagram than a blocking `recv`). Measured beside the blocking
    /// ping-pong, never as the floor.
    Epoll,
}

impl Wait {
    pub fn parse(text: &str) -> Wait {
        match text {
            "spin" => Wait::Spin,
            "yield" => Wait::Yield,
            "epoll" => Wait::Epoll,
            _ => Wait::Block,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Wait::Block => "block",
            Wait::Yield => "yield",
            Wait::Spin => "spin",
            Wait::Epoll => "epoll",
        }
    }

    fn prepare(self, socket: &UdpSocket) {
        socket.set_nonblocking(self != Wait::Block).unwrap();
        if self == Wait::Epoll {
            epoll_watch(socket);
        }
    }

    /// Receives one datagram, waiting as this strategy waits.
    fn recv(self, socket: &UdpSocket, buf: &mut [u8]) -> usize {
        loop {
            match socket.recv(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => match self {
                    Wait::Epoll => epoll_wait(socket),
                    Wait::Yield => std::thread::yield_now(),
                    _ => {}
                },
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("recv: {e}"),
            }
        }
    }
}

thread_local! {
    /// Per socket this thread receives on with [`Wait::Epoll`]: its epoll
    /// instance (made by `prepare`, edge-triggered as mio's; closed when
    /// another socket takes the same number).
    static EPOLLS: std::cell::RefCell<Vec<(std::os::fd::RawFd, std::os::fd::RawFd)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// A new epoll instance watching `socket`, for [`Wait::Epoll`].
fn epoll_watch(socket: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let fd = socket.as_raw_fd();
    // SAFETY: plain system calls on descriptors this process owns.
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epfd >= 0, "epoll_create1");
    let mut event = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLET) as u32, u64: 0 };
    assert_eq!(unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut event) }, 0, "epoll_ctl");
    EPOLLS.with(|e| {
        let mut e = e.borrow_mut();
        // A socket closed since left its number to this one: its epoll goes.
        if let Some(i) = e.iter().position(|&(socket, _)| socket == fd) {
            let (_, old) = e.swap_remove(i);
            // SAFETY: `old` is an epoll descriptor only this list holds.
            unsafe { libc::close(old) };
        }
        e.push((fd, epfd));
    });
}

/// Sleeps in `epoll_wait` until `socket` (watched by `epoll_watch`) is readable.
fn epoll_wait(socket: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let fd = socket.as_raw_fd();
    let epfd = EPOLLS.with(|e| e.borrow().iter().find(|&&(s, _)| s == fd).map(|&(_, ep)| ep)).expect("watched");
    let mut event = libc::epoll_event { events: 0, u64: 0 };
    // SAFETY: room for one event; a descriptor that stays open.
    let n = unsafe { libc::epoll_wait(epfd, &mut event, 1, -1) };
    assert!(n >= 0 || std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted, "epoll_wait");
}

/// Datagrams handed to the kernel or taken from it in one call.
const BATCH: usize = 64;

/// How the flood's sender hands datagrams to the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// `sendmmsg`, 64 datagrams a call.
    Mmsg,
    /// One `send` of a 65,000-byte buffer the kernel cuts into datagrams
    /// (`UDP_SEGMENT`); the receiver still gets them one by one.
    Gso,
}

impl Sender {
    pub const ALL: [Sender; 2] = [Sender::Mmsg, Sender::Gso];

    fn parse(text: &str) -> Sender {
        if text == "gso" { Sender::Gso } else { Sender::Mmsg }
    }

    pub fn name(self) -> &'static str {
        match self {
            Sender::Mmsg => "sendmmsg",
            Sender::Gso => "gso",
        }
    }
}

/// One `sendmmsg`/`recvmmsg` header per iovec of `iov`, which must outlive
/// every call made with them.
fn headers(iov: &mut [libc::iovec]) -> Vec<libc::mmsghdr> {
    iov.iter_mut()
        .map(|v| {
            // SAFETY: an all-zero mmsghdr is a valid empty header.
            let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
            m.msg_hdr.msg_iov = v;
            m.msg_hdr.msg_iovlen = 1;
            m
        })
        .collect()
}

/// Sets (or, with 0, clears) UDP GSO's segment size on `socket`.
fn set_segment(socket: &UdpSocket, size: usize) {
    let value = size as libc::c_int;
    // SAFETY: a plain int socket option on a socket we own.
    let set = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_UDP,
            libc::UDP_SEGMENT,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as u32,
        )
    };
    assert_eq!(set, 0, "UDP_SEGMENT: {}", std::io::Error::last_os_error());
}

/// `BATCH` buffers and the `recvmmsg` headers over them.
struct Batch {
    bufs: Vec<[u8; 2048]>,
    // Read by the kernel through `msgs`; kept alive here.
    _iov: Vec<libc::iovec>,
    msgs: Vec<libc::mmsghdr>,
}

impl Batch {
    fn new() -> Batch {
        let mut bufs = vec![[0u8; 2048]; BATCH];
        let mut iov: Vec<libc::iovec> =
            bufs.iter_mut().map(|b| libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() }).collect();
        // The headers point into `iov`'s heap, and `iov` into `bufs`': moving
        // the vectors into the struct moves neither.
        let msgs = headers(&mut iov);
        Batch { bufs, _iov: iov, msgs }
    }

    /// Datagrams received on `socket` as `wait` waits (blocking: the first,
    /// then what is there); `None` when there was none (yielding first if
    /// that is the strategy) or a signal came.
    fn recv(&mut self, socket: &UdpSocket, wait: Wait) -> Option<usize> {
        let flags = if wait == Wait::Block { libc::MSG_WAITFORONE } else { 0 };
        // SAFETY: `msgs` holds BATCH valid headers over buffers that live in self.
        let n = unsafe {
            libc::recvmmsg(socket.as_raw_fd(), self.msgs.as_mut_ptr(), BATCH as u32, flags, std::ptr::null_mut())
        };
        if n >= 0 {
            return Some(n as usize);
        }
        match std::io::Error::last_os_error().kind() {
            std::io::ErrorKind::WouldBlock if wait == Wait::Yield => std::thread::yield_now(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted => {}
            e => panic!("recvmmsg: {e}"),
        }
        None
    }

    /// The `k`th datagram of the last receive.
    fn datagram(&self, k: usize) -> &[u8] {
        &self.bufs[k][..self.msgs[k].msg_len as usize]
    }
}

/// A socket that sends to `group` on loopback only (TTL 0, from 127.0.0.1).
fn group_sender(group: SocketAddrV4) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_multicast_ttl_v4(0).unwrap();
    socket2::SockRef::from(&socket).set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
    buffers(&socket);
    socket.connect(group).unwrap();
    socket
}

/// The child half of a baseline: `--role pong|flood ADDR WAIT CPU [SECONDS
/// SIZE SENDER]`, `--role sink GROUP WAIT CPU CONTROL SIZE` or `--role relay
/// GROUP WAIT CPU CONTROL` (CPU `-` for none; CONTROL where to say hello).
pub fn child_main(args: &[String]) {
    // Ends with the thread that started it: a bench that panics mid
    // baseline leaves no child blocked in recv for ever.
    // SAFETY: PR_SET_PDEATHSIG takes a signal number; no pointers.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    let role = args[0].as_str();
    let peer = &args[1];
    let wait = Wait::parse(&args[2]);
    if let Ok(cpu) = args[3].parse::<usize>() {
        net::pin_to_cpu(cpu).expect("pin the baseline's child");
    }
    match role {
        "sink" => return sink(peer.parse().expect("a group"), wait, &args[4], args[5].parse().unwrap()),
        "relay" => return relay_main(peer.parse().expect("a group"), wait, &args[4]),
        _ => {}
    }
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(peer).unwrap();
    match role {
        "pong" => {
            wait.prepare(&socket);
            socket.send(b"hello").unwrap();
            let mut buf = [0u8; 2048];
            loop {
                let n = wait.recv(&socket, &mut buf);
                if n == 1 {
                    return;
                }
                socket.send(&buf[..n]).unwrap();
            }
        }
        "flood" => {
            let seconds: f64 = args[4].parse().unwrap();
            let size: usize = args[5].parse().unwrap();
            let sender = Sender::parse(&args[6]);
            let datagram = vec![0x5au8; size];
            let until = Instant::now() + Duration::from_secs_f64(seconds);
            let fd = socket.as_raw_fd();
            match sender {
                Sender::Mmsg => {
                    let mut iov: Vec<libc::iovec> = (0..BATCH)
                        .map(|_| libc::iovec { iov_base: datagram.as_ptr() as *mut _, iov_len: size })
                        .collect();
                    let mut msgs = headers(&mut iov);
                    while Instant::now() < until {
                        // A full receive buffer drops datagrams: that is the flood's point.
                        // SAFETY: `msgs` holds BATCH valid headers on a connected socket.
                        unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), BATCH as u32, 0) };
                    }
                }
                Sender::Gso => {
                    set_segment(&socket, size);
                    let train = datagram.repeat(65_000 / size);
                    while Instant::now() < until {
                        let _ = socket.send(&train);
                    }
                    // Off for the end mark.
                    set_segment(&socket, 0);
                }
            }
            // The end mark can itself be dropped by a full buffer: send it
            // until the receiver has surely drained (it stops at the first).
            for _ in 0..50 {
                let _ = socket.send(&[0]);
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        other => panic!("unknown role {other}"),
    }
}

fn spawn(role: &[String]) -> Child {
    let exe = std::env::current_exe().unwrap();
    Command::new(exe).arg("--role").args(role).stdout(Stdio::null()).spawn().unwrap()
}

fn buffers(socket: &UdpSocket) {
    let socket = socket2::SockRef::from(socket);
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
}

/// With `cpus` (not 0), pins this thread to CPU 0 and names CPU 1 (modulo
/// `cpus`) for the child; else pins nothing.
fn pin(cpus: usize) -> String {
    if cpus == 0 {
        return "-".into();
    }
    net::pin_to_cpu(0).expect("pin the baseline");
    child_cpu(cpus, 1)
}

/// The CPU for a baseline's child `k` (1 and up; the parent takes CPU 0),
/// as `pin` names it.
fn child_cpu(cpus: usize, k: usize) -> String {
    if cpus == 0 { "-".into() } else { (k % cpus).to_string() }
}

/// Lets this thread run anywhere again after a pinned baseline.
fn unpin(cpus: usize) {
    if cpus != 0 {
        net::unpin().expect("unpin the bench");
    }
}

/// Round trips of `size`-byte datagrams to a child that echoes them, one
/// after another.
pub fn ping_pong(wait: Wait, cpus: usize, size: usize, count: usize) -> Histogram<u64> {
    ping_pong_paced(wait, cpus, size, count, Duration::ZERO)
}

/// As [`ping_pong`], each ping sent `gap` after the one before it (a sleep
/// between), as a load of one event per `gap` leaves the CPUs idle between
/// events.
pub fn ping_pong_paced(wait: Wait, cpus: usize, size: usize, count: usize, gap: Duration) -> Histogram<u64> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    buffers(&socket);
    let addr = socket.local_addr().unwrap().to_string();
    let mut child = spawn(&[String::from("pong"), addr, wait.name().into(), pin(cpus)]);
    let mut buf = [0u8; 2048];
    let (_, peer) = socket.recv_from(&mut buf).unwrap();
    socket.connect(peer).unwrap();
    wait.prepare(&socket);
    let payload = vec![0xa5u8; size];
    let mut rtt = seqcast::net::report::histogram();
    let mut due = Instant::now();
    for i in 0..count + count / 10 {
        if !gap.is_zero() {
            due += gap;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let start = Instant::now();
        socket.send(&payload).unwrap();
        wait.recv(&socket, &mut buf);
        // The first tenth warms caches and the scheduler up.
        if i >= count / 10 {
            rtt.saturating_record(start.elapsed().as_nanos() as u64);
        }
    }
    socket.send(&[0]).unwrap();
    child.wait().unwrap();
    unpin(cpus);
    rtt
}

/// Datagrams per second one sender gets through to one receiver that takes
/// them with `recvmmsg`.
pub fn flood(wait: Wait, cpus: usize, size: usize, seconds: f64, sender: Sender) -> f64 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    buffers(&socket);
    let addr = socket.local_addr().unwrap().to_string();
    let role = [
        String::from("flood"),
        addr,
        wait.name().into(),
        pin(cpus),
        seconds.to_string(),
        size.to_string(),
        sender.name().into(),
    ];
    let mut child = spawn(&role);
    let rate = receive_flood(&socket, wait, size, seconds);
    child.wait().unwrap();
    unpin(cpus);
    rate
}

/// How long a flood's receiver waits with nothing coming before it gives up
/// (a lost end mark, a sender that died): a panic, not a hung bench.
const FLOOD_SILENCE_MAX: Duration = Duration::from_secs(20);

/// Receives a flood of `size`-byte datagrams on `socket` with `recvmmsg`
/// until its end mark (a 1-byte datagram); returns datagrams/s from the
/// first to the last (`seconds` if none came).
fn receive_flood(socket: &UdpSocket, wait: Wait, size: usize, seconds: f64) -> f64 {
    wait.prepare(socket);
    // Blocking, a timeout now and then so that a flood whose end mark
    // never comes ends the run.
    socket.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut batch = Batch::new();
    let mut received = 0u64;
    let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
    let mut heard = Instant::now();
    'all: loop {
        let Some(n) = batch.recv(socket, wait) else {
            assert!(heard.elapsed() < FLOOD_SILENCE_MAX, "flood baseline: nothing came for {FLOOD_SILENCE_MAX:?}");
            continue;
        };
        let now = Instant::now();
        heard = now;
        first.get_or_insert(now);
        for k in 0..n {
            let len = batch.datagram(k).len();
            if len == 1 {
                break 'all;
            }
            // A datagram of another size would mean the kernel handed over
            // a GSO train whole, and the count would be wrong.
            assert_eq!(len, size, "flood datagram of an unexpected size");
            received += 1;
            last = Some(now);
        }
    }
    // From the first datagram to the last: the end marks' pauses are not the flood's.
    let elapsed = first.zip(last).map_or(seconds, |(f, l)| (l - f).as_secs_f64().max(1e-3));
    received as f64 / elapsed
}

/// A group of this process's own for the relay: 239.255.98.x and a port the
/// system says is free (the tests' clusters use 239.255.100 and up).
fn private_group() -> SocketAddrV4 {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    SocketAddrV4::new(Ipv4Addr::new(239, 255, 98, std::process::id() as u8 | 1), port)
}

/// A socket bound to `group` and joined to it on loopback, as a follower's.
fn group_socket(group: SocketAddrV4) -> UdpSocket {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket.bind(&SocketAddr::V4(group).into()).unwrap();
    socket.join_multicast_v4(group.ip(), &Ipv4Addr::LOCALHOST).unwrap();
    let socket: UdpSocket = socket.into();
    buffers(&socket);
    socket
}

/// `--role sink`: the group's second receiver, as a second follower: it
/// takes the relayed flood and tells `control` the rate it got.
fn sink(group: SocketAddrV4, wait: Wait, control: &str, size: usize) {
    let socket = group_socket(group);
    socket.send_to(b"hello", control).unwrap();
    let rate = receive_flood(&socket, wait, size, 1.0);
    socket.send_to(format!("{rate}").as_bytes(), control).unwrap();
}

/// `--role relay`: receives datagrams with `recvmmsg` and sends each on to
/// `group` (loopback, TTL 0), runs of one size in GSO sends of up to 64 KB,
/// as a leader receives SUBMITs and multicasts DATA. Ends once its sender
/// has been silent for 300 ms after an end mark (every mark forwarded).
fn relay_main(group: SocketAddrV4, wait: Wait, control: &str) {
    let input = UdpSocket::bind("127.0.0.1:0").unwrap();
    buffers(&input);
    let output = group_sender(group);
    // End marks go without UDP_SEGMENT, from a socket of their own.
    let marks_out = group_sender(group);
    input.send_to(b"hello", control).unwrap();
    wait.prepare(&input);
    input.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut batch = Batch::new();
    // The datagrams of one receive, concatenated, and their one size.
    let mut train: Vec<u8> = Vec::with_capacity(65_536);
    let (mut size, mut segment) = (0, 0);
    // When the last datagram came, and whether an end mark came yet: the
    // relay ends once its sender has been silent a while after one.
    let (mut heard, mut marked) = (Instant::now(), false);
    let send = |train: &mut Vec<u8>, size: usize, segment: &mut usize| {
        if train.is_empty() {
            return;
        }
        if size != *segment {
            set_segment(&output, size);
            *segment = size;
        }
        // A full buffer at the receivers drops datagrams: that is the flood's point.
        let _ = output.send(train);
        train.clear();
    };
    loop {
        let silent = heard.elapsed();
        if (marked && silent > Duration::from_millis(300)) || silent > FLOOD_SILENCE_MAX {
            return;
        }
        let Some(n) = batch.recv(&input, wait) else { continue };
        heard = Instant::now();
        for k in 0..n {
            let datagram = batch.datagram(k);
            if datagram.len() == 1 {
                send(&mut train, size, &mut segment);
                let _ = marks_out.send(datagram);
                marked = true;
                continue;
            }
            if datagram.len() != size || train.len() + datagram.len() > 65_000 {
                send(&mut train, size, &mut segment);
                size = datagram.len();
            }
            train.extend_from_slice(datagram);
        }
        send(&mut train, size, &mut segment);
    }
}

/// Datagrams per second that reach both of two receivers of a group through
/// a relay (`relay_main`) that one sender floods as `flood` does: what a
/// leader could at most pass on to its followers on this machine, beside
/// the flood limit (never instead of it).
pub fn relay(wait: Wait, cpus: usize, size: usize, seconds: f64, sender: Sender) -> f64 {
    let group = private_group();
    let socket = group_socket(group);
    let control = UdpSocket::bind("127.0.0.1:0").unwrap();
    control.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let here = control.local_addr().unwrap().to_string();
    pin(cpus);
    let group_text = group.to_string();
    let with =
        |role: &str, k: usize| vec![role.to_string(), group_text.clone(), wait.name().into(), child_cpu(cpus, k)];
    let mut buf = [0u8; 64];
    let mut sink = spawn(&[with("sink", 1), vec![here.clone(), size.to_string()]].concat());
    control.recv_from(&mut buf).expect("the relay's sink says hello");
    let mut relay = spawn(&[with("relay", 2), vec![here]].concat());
    let (_, relay_addr) = control.recv_from(&mut buf).expect("the relay says hello");
    let flood = [
        String::from("flood"),
        relay_addr.to_string(),
        wait.name().into(),
        child_cpu(cpus, 3),
        seconds.to_string(),
        size.to_string(),
        sender.name().into(),
    ];
    let mut child = spawn(&flood);
    let rate = receive_flood(&socket, wait, size, seconds);
    // The sink's rate, as it tells it: the lower of the two receivers' rates.
    control.set_read_timeout(Some(FLOOD_SILENCE_MAX)).unwrap();
    let n = control.recv(&mut buf).expect("the relay's sink tells its rate");
    let sink_rate: f64 = std::str::from_utf8(&buf[..n]).unwrap().parse().expect("a rate");
    for c in [&mut child, &mut relay, &mut sink] {
        c.wait().unwrap();
    }
    unpin(cpus);
    rate.min(sink_rate)
}
