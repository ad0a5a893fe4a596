//! A machine's deadlines in one fixed table, one slot per timer kind
//! (quinn-proto's `TimerTable`): `poll_timeout` is one minimum over it.

use super::Nanos;

/// `N` deadlines, indexed by a machine's own timer enum (`Timer::X as usize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TimerTable<const N: usize>([Option<Nanos>; N]);

impl<const N: usize> TimerTable<N> {
    /// No timer armed.
    pub(super) fn new() -> Self {
        TimerTable([None; N])
    }

    /// Arms timer `index` at `at`, or disarms it with `None`.
    pub(super) fn set(&mut self, index: usize, at: Option<Nanos>) {
        self.0[index] = at;
    }

    /// True if timer `index` is armed and due at `now`.
    pub(super) fn expired(&self, index: usize, now: Nanos) -> bool {
        self.0[index].is_some_and(|at| now >= at)
    }

    /// The earliest armed deadline.
    pub(super) fn next(&self) -> Option<Nanos> {
        self.0.iter().flatten().copied().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_deadline_is_the_earliest_armed_one() {
        let mut timers = TimerTable::<3>::new();
        assert_eq!(timers.next(), None);
        timers.set(0, Some(30));
        timers.set(2, Some(10));
        assert_eq!(timers.next(), Some(10));
        assert!(timers.expired(2, 10) && !timers.expired(0, 29) && !timers.expired(1, u64::MAX));
        timers.set(2, None);
        assert_eq!(timers.next(), Some(30));
    }
}
