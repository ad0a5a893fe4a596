//! The load engine: open-loop clients at a fixed rate, latency measured
//! from each event's *intended* send time to its commit notice, so a slow
//! system cannot hide its slowness by slowing the load (DESIGN §5: no
//! coordinated omission). `seqcast-loadgen` and `seqcast demo` are fronts.

use std::net::SocketAddrV4;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hdrhistogram::Histogram;

use crate::core::{ClientId, Config, Epoch, Nanos, NodeId, SubmitError};
use crate::net::report;
use crate::net::{ClientNode, LEADER_LISTEN, Multicast, NetError, Tuning, leader_heard};

/// What to send, how fast, and to whom.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadOptions {
    /// The leader's address.
    pub leader: SocketAddrV4,
    /// With failover: every member's address, by node id; clients follow
    /// the leader through elections (`config.failover` must not be off).
    pub members: Option<Vec<SocketAddrV4>>,
    /// Local interface to send from (port chosen by the system).
    pub multicast: Multicast,
    /// The cluster's configuration (cluster id, epoch, MTU, limits).
    pub config: Config,
    /// Events per second, all clients together.
    pub rate: u64,
    /// Payload bytes per event.
    pub size: usize,
    /// Events in all.
    pub count: u64,
    /// Clients, each on its own thread with its own id.
    pub clients: u32,
    /// Events due at the same instant (so they share a SUBMIT).
    pub batch: u64,
    /// After the last send, how long to wait for commits.
    pub drain_ns: u64,
    /// Client id of the first client; the others follow it.
    pub client_id_base: u32,
    /// Idle strategy, pinning, clock, buffers.
    pub tuning: Tuning,
}

/// Counters the clients update while they run.
#[derive(Debug)]
pub struct Progress {
    /// Events handed to a client.
    pub submitted: AtomicU64,
    /// Events whose commit arrived.
    pub committed: AtomicU64,
    /// Times clients turned to another member (with failover).
    pub redirects: AtomicU64,
    /// Of those, the times for no answer (see `ClientStats::silent_turns`).
    pub silent_turns: AtomicU64,
    /// BUSY replies the clients had (the run's answers that commit nothing).
    pub busy: AtomicU64,
    /// The newest leader epoch a client has heard.
    pub epoch: AtomicU64,
    /// The cluster shape a leader's COMMIT named ([`Config::shape`]; 0: none).
    pub shape: AtomicU64,
    /// Commit latencies since the reader last took them (each client adds
    /// its own a few times a second): latency over time.
    pub interval: Mutex<Histogram<u64>>,
}

impl Default for Progress {
    fn default() -> Progress {
        Progress {
            submitted: AtomicU64::new(0),
            committed: AtomicU64::new(0),
            redirects: AtomicU64::new(0),
            silent_turns: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            shape: AtomicU64::new(0),
            interval: Mutex::new(report::histogram()),
        }
    }
}

impl Progress {
    /// The latencies recorded since the last call, and a fresh start.
    pub fn take_interval(&self) -> Histogram<u64> {
        let mut interval = self.interval.lock().expect("a load thread panicked");
        std::mem::replace(&mut *interval, report::histogram())
    }
}

/// What a load run measured.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// Events to send.
    pub planned: u64,
    /// Events handed to the clients (less than planned if stopped early).
    pub submitted: u64,
    /// Events committed.
    pub committed: u64,
    /// Submitted but not committed when the run ended.
    pub unconfirmed: u64,
    /// BUSY replies received.
    pub busy: u64,
    /// Client resends.
    pub retries: u64,
    /// From the first intended send to the last commit.
    pub elapsed_ns: u64,
    /// Intended send → commit notice, nanoseconds.
    pub latency: Histogram<u64>,
    /// Intended send → sent, nanoseconds, per SUBMIT: how late the generator
    /// itself was (a timer's wake-up, a busy core, back pressure); part of
    /// every commit latency above.
    pub send_late: Histogram<u64>,
    /// `(old, new)` epochs if the leader restarted during the run: the
    /// unconfirmed requests are in doubt.
    pub leader_restarted: Option<(Epoch, Epoch)>,
    /// With it: a leader said the cluster lost requests a client of this run
    /// was told committed (`Client::told_lost`): how many clients, and the
    /// most requests one was told of that the leader had no record of
    /// (below the request named).
    pub told_lost: Option<(u64, u64)>,
    /// A request the leader refused for good (its payload is over the
    /// leader's `payload_max`): the client stopped there.
    pub refused: Option<u64>,
    /// A request the leader holds another process's event for: a client's
    /// id was in use (BUSY reason 8), and it stopped there.
    pub id_in_use: Option<u64>,
    /// Without failover: the node the run sent to does not lead, and the
    /// leader it named (see [`Client::not_leader`](crate::core::Client::not_leader)); the run stopped there.
    pub not_leader: Option<(NodeId, NodeId)>,
    /// Times clients turned to another member (with failover).
    pub redirects: u64,
    /// The newest leader epoch a client heard (0: none).
    pub epoch: u64,
}

impl LoadReport {
    /// A report of `planned` events of which nothing has happened yet.
    fn empty(planned: u64) -> LoadReport {
        LoadReport {
            planned,
            submitted: 0,
            committed: 0,
            unconfirmed: 0,
            busy: 0,
            retries: 0,
            elapsed_ns: 0,
            latency: report::histogram(),
            send_late: report::histogram(),
            leader_restarted: None,
            told_lost: None,
            refused: None,
            id_in_use: None,
            not_leader: None,
            redirects: 0,
            epoch: 0,
        }
    }

    /// The run ended before its schedule did: its requests are in doubt
    /// (a restarted or elected leader could not place them), or one was
    /// refused for good, or its client id is in use, or it was sent to a
    /// node that does not lead.
    pub fn stopped_early(&self) -> bool {
        self.leader_restarted.is_some()
            || self.refused.is_some()
            || self.id_in_use.is_some()
            || self.not_leader.is_some()
    }

    /// Committed events per second.
    pub fn rate(&self) -> f64 {
        self.committed as f64 * 1e9 / self.elapsed_ns.max(1) as f64
    }

    fn merge(&mut self, other: &LoadReport) {
        self.submitted += other.submitted;
        self.committed += other.committed;
        self.unconfirmed += other.unconfirmed;
        self.busy += other.busy;
        self.retries += other.retries;
        self.elapsed_ns = self.elapsed_ns.max(other.elapsed_ns);
        self.leader_restarted = self.leader_restarted.or(other.leader_restarted);
        self.told_lost = match (self.told_lost, other.told_lost) {
            (Some((a, x)), Some((b, y))) => Some((a + b, x.max(y))),
            (mine, theirs) => mine.or(theirs),
        };
        self.refused = self.refused.or(other.refused);
        self.id_in_use = self.id_in_use.or(other.id_in_use);
        self.not_leader = self.not_leader.or(other.not_leader);
        self.latency.add(&other.latency).expect("same bounds");
        self.send_late.add(&other.send_late).expect("same bounds");
    }
}

/// A client id unlikely to be in use: one id per process incarnation, since
/// the leader deduplicates by (client id, request number) from request 1.
pub fn fresh_client_id_base() -> u32 {
    let nanos = crate::net::Clock::Realtime.now();
    (std::process::id() << 12) ^ ((nanos >> 10) as u32 & 0x0fff_f000) ^ (nanos as u32 & 0xf00)
}

/// The id of client `i` of a run whose first client takes `base`: the ids
/// that follow it, 0 passed over (no client's: a leader's hello to a tail
/// names it), wrapping past `u32::MAX` to 1.
fn nth_client_id(base: u32, i: u64) -> ClientId {
    const IDS: u64 = u32::MAX as u64;
    ClientId(1 + ((u64::from(base) + IDS - 1 + i) % IDS) as u32)
}

/// Runs the load until every event is committed, the drain time passes, or
/// `stop` is set; `progress` counts as it goes.
pub fn run(options: &LoadOptions, progress: &Progress, stop: &AtomicBool) -> Result<LoadReport, NetError> {
    options.config.validate()?;
    let clients = u64::from(options.clients.max(1));
    // With failover, every client first to the member the group hears leading.
    let config = match &options.members {
        Some(_) => {
            let heard = leader_heard(&options.config, &options.multicast, options.tuning.keys.as_ref(), LEADER_LISTEN)?;
            Config { leader: heard.unwrap_or(options.config.leader), ..options.config.clone() }
        }
        None => options.config.clone(),
    };
    let mut nodes = Vec::new();
    for i in 0..clients {
        let id = nth_client_id(options.client_id_base, i);
        nodes.push(match &options.members {
            Some(members) => {
                ClientNode::connect_failover_at(config.clone(), id, members, &options.multicast, &options.tuning)?
            }
            None => {
                ClientNode::connect(options.config.clone(), id, options.leader, &options.multicast, &options.tuning)?
            }
        });
    }
    let start_ns = nodes[0].now() + 1_000_000;
    let results: Vec<Result<LoadReport, NetError>> = std::thread::scope(|scope| {
        let threads: Vec<_> = nodes
            .into_iter()
            .enumerate()
            .map(|(i, node)| {
                let i = i as u64;
                let count = options.count / clients + u64::from(i < options.count % clients);
                scope.spawn(move || client_thread(options, i as usize, node, count, start_ns, progress, stop))
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("a load thread panicked")).collect()
    });
    let mut total = LoadReport::empty(options.count);
    for result in results {
        total.merge(&result?);
    }
    Ok(total)
}

/// The longest a stopped run waits for its pending events' commits
/// (`--drain-ms` if shorter).
const STOP_DRAIN_MAX_NS: Nanos = 500_000_000;

/// How often a client hands its latencies to [`Progress::interval`].
const INTERVAL_HAND_OVER_NS: Nanos = 100_000_000;

/// The shortest sleep of a client whose sends come due faster than this
/// (`--idle block`): it then wakes once per this long and sends what came
/// due meanwhile, each event's latency still counted from its intended send.
const SLEEP_MIN_NS: Nanos = 50_000;

/// The most a client wakes ahead of a send, polling until it is due.
const EARLY_MAX_NS: Nanos = 50_000;

/// Adds to `shared` what the client's counter `now` counts past `told`,
/// once it moved.
fn publish(shared: &AtomicU64, now: u64, told: &mut u64) {
    if now > *told {
        shared.fetch_add(now - *told, Ordering::Relaxed);
        *told = now;
    }
}

fn client_thread(
    options: &LoadOptions,
    index: usize,
    mut node: ClientNode,
    count: u64,
    start_ns: Nanos,
    progress: &Progress,
    stop: &AtomicBool,
) -> Result<LoadReport, NetError> {
    // Pinned, each client takes the next CPU: two spinning on one core
    // would take turns a scheduler slice (milliseconds) at a time.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin_cpu = options.tuning.pin_cpu.map(|cpu| (cpu + index) % cpus);
    crate::net::Tuning { pin_cpu, ..options.tuning.clone() }.apply_to_thread()?;
    let id = node.client().id();
    let batch = options.batch.max(1);
    let clients = u64::from(options.clients.max(1));
    // Each client sends every `period_ns` a batch, so all together make
    // `rate`; client i a fraction i / clients of a period after client 0,
    // so that together they send evenly, not in bursts of one per client.
    let period_ns = (batch * clients * 1_000_000_000 / options.rate.max(1)).max(1);
    let phase_ns = period_ns * index as u64 / clients;
    let intended = |index: u64| start_ns + phase_ns + index / batch * period_ns;
    let mut payload = vec![0u8; options.size];
    let mut report = LoadReport::empty(count);
    let mut last_commit_ns = start_ns;
    // What `progress` has been told so far.
    let mut told = (0, 0);
    let (mut told_redirects, mut told_busy, mut told_epoch, mut told_shape) = (0, 0, 0, 0);
    let mut told_silent = 0;
    // Latencies not yet handed to `progress.interval`, and when it last was.
    let (mut interval, mut handed_at) = (report::histogram(), start_ns);
    let hand_over = |interval: &mut Histogram<u64>| {
        if !interval.is_empty() {
            progress.interval.lock().expect("the progress reader panicked").add(&*interval).expect("same bounds");
            interval.reset();
        }
    };
    // How late the timer wakes this thread, on average (see the wait below).
    let mut early_ns = 0;
    // When `stop` came: nothing more is sent, and what is pending gets a
    // short while to be confirmed (else a run stopped by Ctrl-C left
    // events committed but unconfirmed, as if lost).
    let mut stopped_at = None;
    let stop_drain_ns = options.drain_ns.min(STOP_DRAIN_MAX_NS);
    loop {
        let now = node.now();
        if stopped_at.is_none() && stop.load(Ordering::Relaxed) {
            stopped_at = Some(now);
        }
        let mut refused = false;
        while stopped_at.is_none() && report.submitted < count && intended(report.submitted) <= now {
            let tag = (u64::from(id.get()) << 32 | report.submitted).to_le_bytes();
            let n = tag.len().min(payload.len());
            payload[..n].copy_from_slice(&tag[..n]);
            match node.submit(&payload) {
                Ok(_) => {
                    if report.submitted.is_multiple_of(batch) {
                        report.send_late.saturating_record(now.saturating_sub(intended(report.submitted)).max(1));
                    }
                    report.submitted += 1;
                }
                // Back pressure: the event waits, and its latency grows from its intended time.
                Err(SubmitError::Full) => {
                    refused = true;
                    break;
                }
                Err(e @ SubmitError::TooLarge { .. }) => {
                    return Err(NetError::Io(std::io::Error::other(e.to_string())));
                }
            }
        }
        let now = node.poll();
        while let Some(done) = node.committed() {
            // Requests are numbered from 1 in the order of the events.
            let latency = now.saturating_sub(intended(done.request - 1)).max(1);
            report.latency.saturating_record(latency);
            interval.saturating_record(latency);
            report.committed += 1;
            last_commit_ns = now;
        }
        // Only what changed: the clients share these counters, and a
        // spinning client turns far more often than it sends or commits.
        if (report.submitted, report.committed) != told {
            progress.submitted.fetch_add(report.submitted - told.0, Ordering::Relaxed);
            progress.committed.fetch_add(report.committed - told.1, Ordering::Relaxed);
            told = (report.submitted, report.committed);
        }
        // Shared counters are written only when they change: the loop turns
        // far more often than a failover happens.
        let (stats, epoch) = (node.client().stats(), node.client().epoch().get());
        // Silent turns before the turns they are part of: a reader between
        // the two counts fewer answers, never more.
        publish(&progress.silent_turns, stats.silent_turns, &mut told_silent);
        publish(&progress.redirects, stats.redirects, &mut told_redirects);
        publish(&progress.busy, stats.busy, &mut told_busy);
        if epoch > told_epoch {
            progress.epoch.fetch_max(epoch, Ordering::Relaxed);
            told_epoch = epoch;
        }
        if let Some(shape) = node.client().leader_shape().filter(|&s| s != told_shape) {
            progress.shape.store(u64::from(shape), Ordering::Relaxed);
            told_shape = shape;
        }
        if now >= handed_at + INTERVAL_HAND_OVER_NS {
            hand_over(&mut interval);
            handed_at = now;
        }
        let all_sent = report.submitted == count;
        // The schedule ends at the last intended send, sent or not: back
        // pressure from a stalled (or vanished) leader must not hang the run.
        let drained = now >= intended(count.saturating_sub(1)) + options.drain_ns;
        report.leader_restarted = node.client().leader_restarted();
        report.told_lost = node.client().told_lost().map(|below| (1, below - 1));
        report.refused = node.client().refused();
        report.id_in_use = node.client().id_in_use();
        report.not_leader = node.client().not_leader();
        let finished = (all_sent && node.client().pending() == 0) || drained;
        let stop_drained = stopped_at.is_some_and(|at| node.client().pending() == 0 || now >= at + stop_drain_ns);
        if finished || report.stopped_early() || stop_drained {
            break;
        }
        // Refused, the next send time has passed already: sleep until a commit
        // frees room (or a timer), rather than spin on the CPU being measured.
        let sending = !(all_sent || refused || stopped_at.is_some());
        let next_send = if sending { intended(report.submitted) } else { now + 1_000_000 };
        // A timer wakes a sleeper late (about 10 µs on a shared VM), and that
        // lateness would count in every latency measured from the intended
        // send. So the wait ends early by the lateness seen so far, and the
        // loop polls (without sleeping) until the send is due.
        // At most a quarter of the period, so that a fast schedule is not
        // one long poll on a core the cluster needs.
        let mut wake_at = next_send.saturating_sub(early_ns.min(period_ns / 4));
        // A timed sleep costs a timer armed, and in a VM a clock
        // reprogrammed through the hypervisor: one a send, at hundreds of
        // thousands of sends a second, took more CPU than the cluster
        // under test. A fast schedule sleeps in slices and sends in bursts.
        if period_ns < SLEEP_MIN_NS && wake_at > now {
            wake_at = wake_at.max(now + SLEEP_MIN_NS);
        }
        if wake_at > now {
            node.wait(wake_at)?;
            let woke = node.now();
            if woke >= wake_at && sending {
                early_ns = (early_ns * 7 + (woke - wake_at).min(EARLY_MAX_NS)) / 8;
            }
        } else {
            node.wait(now)?;
        }
    }
    hand_over(&mut interval);
    report.unconfirmed = report.submitted - report.committed;
    report.busy = node.client().stats().busy;
    report.retries = node.client().stats().retries;
    report.elapsed_ns = last_commit_ns.saturating_sub(start_ns);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reviewer: the drawn base is 0 about once in 2^20 runs (its low
    /// bits are zero by construction), and client 0 is no client's.
    #[test]
    fn client_ids_follow_the_base_and_pass_over_0() {
        let ids = |base, n: u64| (0..n).map(|i| nth_client_id(base, i).get()).collect::<Vec<_>>();
        assert_eq!(ids(0x1234_5600, 3), [0x1234_5600, 0x1234_5601, 0x1234_5602]);
        assert_eq!(ids(0, 3), [u32::MAX, 1, 2]);
        assert_eq!(ids(u32::MAX - 1, 3), [u32::MAX - 1, u32::MAX, 1]);
    }
}
