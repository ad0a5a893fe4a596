//! The wire's own limits on this machine, measured in the same run: a plain
//! UDP ping-pong (the latency floor) and a plain datagram flood (the rate
//! limit), between two processes over loopback, with the same idle strategy
//! as the system under test.

use std::net::UdpSocket;
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
}

impl Wait {
    pub fn parse(text: &str) -> Wait {
        match text {
            "spin" => Wait::Spin,
            "yield" => Wait::Yield,
            _ => Wait::Block,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Wait::Block => "block",
            Wait::Yield => "yield",
            Wait::Spin => "spin",
        }
    }

    fn prepare(self, socket: &UdpSocket) {
        socket.set_nonblocking(self != Wait::Block).unwrap();
    }

    /// Receives one datagram, waiting as this strategy waits.
    fn recv(self, socket: &UdpSocket, buf: &mut [u8]) -> usize {
        loop {
            match socket.recv(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if self == Wait::Yield {
                        std::thread::yield_now();
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("recv: {e}"),
            }
        }
    }
}

/// The child half of a baseline: `--role pong|flood ADDR WAIT CPU [SECONDS SIZE]`
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
            let datagram = vec![0x5au8; size];
            let until = Instant::now() + Duration::from_secs_f64(seconds);
            while Instant::now() < until {
                for _ in 0..64 {
                    // A full receive buffer drops datagrams: that is the flood's point.
                    let _ = socket.send(&datagram);
                }
            }
            let _ = socket.send(&[0]);
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

/// Datagrams per second one sender gets through to one receiver.
pub fn flood(wait: Wait, cpus: usize, size: usize, seconds: f64) -> f64 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    buffers(&socket);
    let addr = socket.local_addr().unwrap().to_string();
    let role = [String::from("flood"), addr, wait.name().into(), pin(cpus), seconds.to_string(), size.to_string()];
    let mut child = spawn(&role);
    wait.prepare(&socket);
    let mut buf = [0u8; 2048];
    let mut received = 0u64;
    let mut first: Option<Instant> = None;
    loop {
        let n = wait.recv(&socket, &mut buf);
        if n == 1 {
            break;
        }
        first.get_or_insert_with(Instant::now);
        received += 1;
    }
    let elapsed = first.map_or(seconds, |f| f.elapsed().as_secs_f64());
    child.wait().unwrap();
    unpin(cpus);
    received as f64 / elapsed
}
