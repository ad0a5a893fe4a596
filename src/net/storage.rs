//! A core machine and its journal (DESIGN §8): once per driver turn,
//! after the input and the timers and before anything is sent, what the
//! machine handed out is appended and synced at the journal's level, and
//! what became durable is reported back, so the ACKs of that same turn may
//! say so.

use std::net::SocketAddr;

use super::NetError;
use super::driver::Machine;
use crate::core::{Epoch, Follower, Leader, Nanos, Seq, Transmit};
use crate::journal::{Journal, JournalError, JournalOptions};
use crate::wire::EventRef;

/// What a machine that journals offers its driver.
pub(super) trait Durable {
    /// The next record to append.
    fn poll_append(&mut self) -> Option<(Epoch, EventRef<'_>)>;
    /// Everything up to `through` is durable.
    fn handle_durable(&mut self, through: Seq);
}

macro_rules! durable {
    ($type:ty) => {
        impl Durable for $type {
            fn poll_append(&mut self) -> Option<(Epoch, EventRef<'_>)> {
                <$type>::poll_append(self)
            }
            fn handle_durable(&mut self, through: Seq) {
                <$type>::handle_durable(self, through)
            }
        }
    };
}
durable!(Leader);
durable!(Follower);

/// A machine, and the journal it appends to if it has one.
#[derive(Debug)]
pub(super) struct Stored<M> {
    pub(super) machine: M,
    journal: Option<Journal>,
    /// The journal failed (a full disk, an I/O error): nothing more is
    /// written, so nothing more is acknowledged.
    failed: bool,
}

/// Opens the journal a node starts with. This version starts only from an
/// empty journal: resuming a log from one comes later.
pub(super) fn open(options: Option<&JournalOptions>) -> Result<Option<Journal>, NetError> {
    let Some(options) = options else { return Ok(None) };
    let (journal, recovery) = Journal::open(options.clone()).map_err(NetError::Journal)?;
    if let Some((first, last)) = recovery.range {
        return Err(NetError::JournalNotEmpty { dir: options.dir.clone(), first, last });
    }
    Ok(Some(journal))
}

impl<M: Machine + Durable> Stored<M> {
    pub(super) fn new(machine: M, journal: Option<Journal>) -> Stored<M> {
        Stored { machine, journal, failed: false }
    }

    fn fail(&mut self, error: JournalError) {
        eprintln!("error: {error}: this node acknowledges nothing more (restart it once the journal is fixed)");
        self.failed = true;
    }
}

impl<M: Machine + Durable> Machine for Stored<M> {
    fn handle_datagram(&mut self, now: Nanos, from: SocketAddr, bytes: &[u8]) {
        self.machine.handle_datagram(now, from, bytes);
    }

    fn handle_timeout(&mut self, now: Nanos) {
        self.machine.handle_timeout(now);
    }

    fn store(&mut self) {
        let Some(journal) = self.journal.as_mut().filter(|_| !self.failed) else { return };
        let mut result = Ok(());
        while let Some((epoch, event)) = self.machine.poll_append() {
            result = journal.append(epoch, event.record);
            if result.is_err() {
                break;
            }
        }
        match result.and_then(|()| journal.flush()) {
            Ok(durable) => self.machine.handle_durable(durable),
            Err(error) => self.fail(error),
        }
    }

    fn poll_transmit(&mut self, now: Nanos, buf: &mut [u8]) -> Option<Transmit> {
        self.machine.poll_transmit(now, buf)
    }

    fn poll_timeout(&self) -> Option<Nanos> {
        self.machine.poll_timeout()
    }
}
