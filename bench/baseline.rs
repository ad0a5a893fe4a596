//! The wire's own limits on this machine, measured in the same run: a plain
//! UDP ping-pong (the latency floor) and a plain datagram flood (the rate
//! limit), between two processes over loopback, with the same idle strategy
//! as the system under test. Each is the strongest plain path the machine
//! offers, so that a ratio against it never flatters seqcast: the ping-pong
//! waits in a blocking `recv` (no poller between the kernel and the loop),
//! and the flood is received with `recvmmsg` (64 datagrams a call) and sent
//! with `sendmmsg` or with UDP GSO, whichever gets more through.

use std::net::UdpSocket;
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

/// The child half of a baseline: `--role pong|flood ADDR WAIT CPU [SECONDS SIZE SENDER]`
/// (CPU `-` for none).
pub fn child_main(args: &[String]) {
    let role = args[0].as_str();
    let peer = &args[1];
    let wait = Wait::parse(&args[2]);
    if let Ok(cpu) = args[3].parse::<usize>() {
        net::pin_to_cpu(cpu).expect("pin the baseline's child");
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
                    let segment = size as libc::c_int;
                    // SAFETY: a plain int socket option on a socket we own.
                    let set = unsafe {
                        libc::setsockopt(
                            fd,
                            libc::SOL_UDP,
                            libc::UDP_SEGMENT,
                            (&segment as *const libc::c_int).cast(),
                            size_of::<libc::c_int>() as u32,
                        )
                    };
                    assert_eq!(set, 0, "UDP_SEGMENT: {}", std::io::Error::last_os_error());
                    let train = datagram.repeat(65_000 / size);
                    while Instant::now() < until {
                        let _ = socket.send(&train);
                    }
                    // SAFETY: as above; 0 turns segmentation off for the end mark.
                    unsafe {
                        libc::setsockopt(
                            fd,
                            libc::SOL_UDP,
                            libc::UDP_SEGMENT,
                            (&0 as *const libc::c_int).cast(),
                            size_of::<libc::c_int>() as u32,
                        )
                    };
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
    (1 % cpus).to_string()
}

/// Lets this thread run anywhere again after a pinned baseline.
fn unpin(cpus: usize) {
    if cpus != 0 {
        net::unpin().expect("unpin the bench");
    }
}

/// Round trips of `size`-byte datagrams to a child that echoes them.
pub fn ping_pong(wait: Wait, cpus: usize, size: usize, count: usize) -> Histogram<u64> {
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
    for i in 0..count + count / 10 {
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
    wait.prepare(&socket);
    let fd = socket.as_raw_fd();
    let mut bufs = vec![[0u8; 2048]; BATCH];
    let mut iov: Vec<libc::iovec> =
        bufs.iter_mut().map(|b| libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() }).collect();
    let mut msgs = headers(&mut iov);
    // Blocking: wait for the first, then take what is there.
    let flags = if wait == Wait::Block { libc::MSG_WAITFORONE } else { 0 };
    let mut received = 0u64;
    let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
    'all: loop {
        // SAFETY: `msgs` holds BATCH valid headers over buffers that live here.
        let n = unsafe { libc::recvmmsg(fd, msgs.as_mut_ptr(), BATCH as u32, flags, std::ptr::null_mut()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            match e.kind() {
                std::io::ErrorKind::WouldBlock => {
                    if wait == Wait::Yield {
                        std::thread::yield_now();
                    }
                    continue;
                }
                std::io::ErrorKind::Interrupted => continue,
                _ => panic!("recvmmsg: {e}"),
            }
        }
        let now = Instant::now();
        first.get_or_insert(now);
        for m in &msgs[..n as usize] {
            if m.msg_len == 1 {
                break 'all;
            }
            // A datagram of another size would mean the kernel handed over
            // a GSO train whole, and the count would be wrong.
            assert_eq!(m.msg_len as usize, size, "flood datagram of an unexpected size");
            received += 1;
            last = Some(now);
        }
    }
    // From the first datagram to the last: the end marks' pauses are not the flood's.
    let elapsed = first.zip(last).map_or(seconds, |(f, l)| (l - f).as_secs_f64().max(1e-3));
    child.wait().unwrap();
    unpin(cpus);
    received as f64 / elapsed
}
