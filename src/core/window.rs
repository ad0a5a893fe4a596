//! The follower's reorder window and gap set: which sequences it holds, which
//! it misses and when to NAK them, and which the leader declared lost.

use super::records::Records;
use crate::wire::EventRef;

/// What a follower knows of one sequence in its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    /// Nothing known yet.
    Empty,
    /// Known to exist, not received: NAK it at `nak_at`.
    Missing {
        /// When to (re-)NAK it.
        nak_at: u64,
        /// NAKs sent for it so far.
        tries: u8,
    },
    /// Received and kept.
    Present,
    /// The leader no longer has it; it is reported, not delivered.
    Lost,
}

/// What [`Window::insert`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Insert {
    /// Kept.
    Stored,
    /// Already held, delivered, or lost.
    Duplicate,
    /// Beyond the window: dropped, to be NAKed once the window reaches it.
    Beyond,
    /// New and within the window, but longer than a slot: dropped (its
    /// sender runs with a larger `payload_max`).
    TooLong,
}

/// What [`Window::pop`] hands out, in sequence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Popped<'a> {
    /// The next event.
    Event(EventRef<'a>),
    /// Sequences `[first, end)` are lost.
    Lost {
        /// First lost sequence.
        first: u64,
        /// One past the last.
        end: u64,
    },
}

/// Bounds on one NAK (DESIGN §2: a bounded list of missing ranges).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NakLimits {
    /// Most ranges in one NAK.
    pub ranges_max: usize,
    /// Most sequences one NAK asks for.
    pub events_max: usize,
    /// Most sequences never asked for before that one NAK asks for: the
    /// room the leader has for more (retries do not count against it).
    pub fresh_max: usize,
    /// When another limit cut a NAK short, the rest goes this much later.
    pub pace_ns: u64,
    /// When it stopped at a sequence never asked for with `fresh_max`
    /// reached (no room for more), the rest is looked at again this much
    /// later (or when a retry scanned before is due), or as soon as
    /// [`Window::nak_now`] says room opened.
    pub room_wait_ns: u64,
    /// A retry of a sequence above this one waits (is put off by its retry
    /// delay, unasked): repairs are still coming, in order, up to here,
    /// and the leader serves what it was asked in sequence order (u64::MAX:
    /// none held).
    pub hold_above: u64,
    /// Nothing past this sequence is asked, nor waits to be: a subscriber
    /// that stops there (`seqcast tail --to`; u64::MAX: none).
    pub ask_until: u64,
}

/// Slots per entry of [`Window`]'s `block_due`.
const BLOCK: usize = 64;

/// Sequences `[base, base + capacity)` in fixed slots, allocated once.
///
/// Invariants: every slot in `[base, held]` is `Present` or `Lost`; every
/// slot in `(held, marked]` is `Missing`, `Present` or `Lost`; `held < base +
/// capacity`; a missing sequence below `lost_until` is lost.
#[derive(Clone, Debug)]
pub(super) struct Window {
    records: Records,
    slots: Vec<Slot>,
    base: u64,
    held: u64,
    marked: u64,
    /// Below it, a missing sequence is lost (an UNRECOVERABLE from below
    /// what was missing), and a slot below `base` is no history: it rises
    /// past every lost range popped, whose slots hold others' bytes.
    lost_until: u64,
    nak_due: Option<u64>,
    /// The last NAK scan stopped at a sequence never asked for, with no
    /// room left for it (see [`NakLimits::room_wait_ns`]).
    waits_for_room: bool,
    /// For each run of [`BLOCK`] slots, when its earliest missing slot is
    /// due, or 0 once that may have changed: a NAK scan steps over a block
    /// not yet due in one look, and walks the others.
    block_due: Vec<u64>,
    /// Missing slots asked for at least once.
    asked: usize,
    /// Highest sequence ever stored: a delivered slot keeps its bytes until
    /// this passes it by a whole window (a promoted follower serves them).
    top: u64,
    /// Lowest sequence ever stored: below it, slots hold nothing.
    bottom: u64,
}

impl Window {
    /// A window of `capacity` slots of `slot_len` bytes, starting at sequence 1.
    ///
    /// # Panics
    /// If `capacity` is 0.
    pub(super) fn new(capacity: usize, slot_len: usize) -> Window {
        Window::starting_at(capacity, slot_len, 1, true)
    }

    /// A window whose next sequence to pop is `base`: everything below was
    /// delivered elsewhere (a leader that stepped down keeps its place);
    /// `prefault` maps its memory now rather than as it fills.
    ///
    /// # Panics
    /// If `capacity` or `base` is 0.
    pub(super) fn starting_at(capacity: usize, slot_len: usize, base: u64, prefault: bool) -> Window {
        assert!(capacity > 0 && base > 0);
        Window {
            records: Records::new(capacity, slot_len, prefault),
            slots: vec![Slot::Empty; capacity],
            base,
            held: base - 1,
            marked: base - 1,
            lost_until: 0,
            nak_due: None,
            waits_for_room: false,
            block_due: vec![u64::MAX; capacity.div_ceil(BLOCK)],
            asked: 0,
            top: base - 1,
            bottom: u64::MAX,
        }
    }

    /// The record of `seq` if this window still has its bytes: held and not
    /// lost, and if already delivered, not yet overwritten. Not yet
    /// delivered, its slot says so (an event held inside a range the leader
    /// said it no longer has is kept); delivered, below `lost_until` it may
    /// have been lost, and its slot's bytes another's.
    pub(super) fn kept(&self, seq: u64) -> Option<&[u8]> {
        if seq < self.bottom || seq > self.held {
            return None;
        }
        let kept = if seq >= self.base {
            self.slot(seq) == Slot::Present
        } else {
            seq >= self.lost_until && seq + self.slots.len() as u64 > self.top
        };
        kept.then(|| self.records.get(self.index(seq)))
    }

    /// Keeps the record of `seq`, already delivered (below `base`), as
    /// history that [`kept`](Self::kept) returns until a newer record takes
    /// its slot. Returns false if its slot already belongs to a newer one.
    pub(super) fn keep_history(&mut self, seq: u64, record: &[u8]) -> bool {
        if seq == 0 || seq >= self.base || seq + self.slots.len() as u64 <= self.top.max(self.base - 1) {
            return false;
        }
        self.records.put(self.index(seq), record);
        self.bottom = self.bottom.min(seq);
        true
    }

    /// Moves a window that holds nothing on to `base` (everything before
    /// it was delivered elsewhere), as [`starting_at`](Self::starting_at) would.
    ///
    /// # Panics
    /// If it holds anything, or `base` is behind its own.
    pub(super) fn skip_to(&mut self, base: u64) {
        assert!(base >= self.base && self.held + 1 == self.base && self.top < self.base, "a window in use");
        assert!(self.slots.iter().all(|slot| *slot == Slot::Empty), "a window in use");
        (self.base, self.held, self.marked, self.top) = (base, base - 1, base - 1, base - 1);
        self.check();
    }

    /// Forgets everything above `seq` (a new leader will resend what it has
    /// there). Nothing at or below `base - 1` may be dropped: it was delivered.
    ///
    /// # Panics
    /// If `seq` is below `base - 1`.
    pub(super) fn truncate(&mut self, seq: u64) {
        assert!(seq + 1 >= self.base, "cannot drop delivered events");
        for s in seq + 1..=self.marked.max(self.held).min(self.end() - 1) {
            self.set(s, Slot::Empty);
        }
        // Slots past `marked` may hold records stored ahead of a gap.
        for s in self.marked.max(seq) + 1..self.end() {
            if self.slot(s) == Slot::Present {
                self.set(s, Slot::Empty);
            }
        }
        self.held = self.held.min(seq);
        // Nor is anything past `seq` lost any more: what said so (an
        // UNRECOVERABLE, members that had none of it) spoke of the log
        // dropped, and the next one may hold it.
        self.lost_until = self.lost_until.min(seq + 1);
        // What was known missing at or below `seq` still is.
        self.marked = self.marked.min(seq).max(self.held);
        self.nak_due = (self.marked > self.held).then_some(0);
        self.check();
    }

    /// The next sequence to pop (everything below was delivered or reported lost).
    pub(super) fn base(&self) -> u64 {
        self.base
    }

    /// Highest sequence with nothing missing at or below it (0: none).
    pub(super) fn held(&self) -> u64 {
        self.held
    }

    /// One past the last sequence the window can hold now.
    pub(super) fn end(&self) -> u64 {
        self.base + self.slots.len() as u64
    }

    /// How many missing sequences were asked for and have not come yet.
    pub(super) fn asked(&self) -> usize {
        self.asked
    }

    /// When the earliest missing sequence is due for a NAK.
    pub(super) fn nak_due(&self) -> Option<u64> {
        self.nak_due
    }

    /// Whether the last NAK scan stopped for want of room for what was
    /// never asked for (see [`nak_now`](Self::nak_now)).
    pub(super) fn waits_for_room(&self) -> bool {
        self.waits_for_room
    }

    /// Room opened for what the last NAK scan left unasked: a NAK is due
    /// at `now`.
    pub(super) fn nak_now(&mut self, now: u64) {
        self.waits_for_room = false;
        self.nak_due = Some(self.nak_due.map_or(now, |due| due.min(now)));
    }

    fn index(&self, seq: u64) -> usize {
        (seq % self.slots.len() as u64) as usize
    }

    /// The state of `seq` (`Empty` outside the window).
    pub(super) fn slot(&self, seq: u64) -> Slot {
        if seq < self.base || seq >= self.end() { Slot::Empty } else { self.slots[self.index(seq)] }
    }

    #[inline(always)]
    fn set(&mut self, seq: u64, slot: Slot) {
        let index = self.index(seq);
        let was = std::mem::replace(&mut self.slots[index], slot);
        let asked = |slot: Slot| matches!(slot, Slot::Missing { tries, .. } if tries > 0);
        self.asked = self.asked + usize::from(asked(slot)) - usize::from(asked(was));
        let due = &mut self.block_due[index / BLOCK];
        match (was, slot) {
            (_, Slot::Missing { nak_at, .. }) => *due = (*due).min(nak_at),
            // Its block's earliest may have been this slot: walk it next scan.
            (Slot::Missing { .. }, _) => *due = 0,
            _ => {}
        }
    }

    /// Keeps the record of `seq` if it is new and fits.
    pub(super) fn insert(&mut self, seq: u64, record: &[u8]) -> Insert {
        if seq < self.base || matches!(self.slot(seq), Slot::Present | Slot::Lost) {
            return Insert::Duplicate;
        }
        if seq >= self.end() {
            return Insert::Beyond;
        }
        if record.len() > self.records.slot_len() {
            return Insert::TooLong;
        }
        self.records.put(self.index(seq), record);
        self.set(seq, Slot::Present);
        self.top = self.top.max(seq);
        self.bottom = self.bottom.min(seq);
        // Only the next sequence after `held` can move it: past it, `held`
        // stays where the last advance left it.
        if seq == self.held + 1 {
            self.advance();
        } else {
            self.check();
        }
        Insert::Stored
    }

    /// The invariants every mutation keeps (those that cost O(1) to check).
    fn check(&self) {
        invariant!(self.base >= 1 && self.held + 1 >= self.base, "held {} below base {}", self.held, self.base);
        invariant!(self.held < self.end(), "held {} beyond the window's end {}", self.held, self.end());
        invariant!(self.marked >= self.held, "marked {} below held {}", self.marked, self.held);
        let next = self.held + 1;
        invariant!(
            next == self.end() || !matches!(self.slot(next), Slot::Present | Slot::Lost),
            "held {} stops short of {next}, which is {:?}",
            self.held,
            self.slot(next)
        );
    }

    fn advance(&mut self) {
        while self.held + 1 < self.end() {
            let seq = self.held + 1;
            match self.slot(seq) {
                Slot::Present | Slot::Lost => {}
                _ if seq < self.lost_until => self.set(seq, Slot::Lost),
                _ => break,
            }
            self.held = seq;
        }
        self.marked = self.marked.max(self.held);
        self.check();
    }

    /// Every sequence up to `seen` exists: those in the window not yet known
    /// become `Missing`, due for a NAK at `nak_at`. Returns how many did.
    pub(super) fn mark_missing(&mut self, seen: u64, nak_at: u64) -> u64 {
        let upto = seen.min(self.end() - 1);
        let mut missing = 0;
        for seq in self.marked + 1..=upto {
            if self.slot(seq) == Slot::Empty {
                self.set(seq, Slot::Missing { nak_at, tries: 0 });
                missing += 1;
            }
        }
        if missing > 0 {
            self.nak_due = Some(self.nak_due.map_or(nak_at, |due| due.min(nak_at)));
        }
        self.marked = self.marked.max(upto);
        self.advance();
        missing
    }

    /// Takes every missing sequence as never asked for, due at `now`: its
    /// NAKs went to a leader this follower no longer hears, or went
    /// unanswered so long that no repair for them is coming.
    pub(super) fn forget_asked(&mut self, now: u64) {
        self.reask(self.held + 1, self.marked + 1, now);
    }

    /// The leader holds nothing of `[first, end)` (UNRECOVERABLE): what is
    /// missing there is lost and will be reported, not NAKed. What is
    /// missing below `first` may still come (a leader answers each range
    /// asked for on its own, from its journal in turns): with nothing
    /// missing there, whatever is missing below `end` is lost.
    pub(super) fn mark_lost(&mut self, first: u64, end: u64) {
        let (from, end) = if first <= self.held + 1 {
            self.lost_until = self.lost_until.max(end);
            (self.held + 1, self.lost_until)
        } else {
            (first, end)
        };
        for seq in from..=self.marked.min(end.saturating_sub(1)) {
            if let Slot::Missing { .. } = self.slot(seq) {
                self.set(seq, Slot::Lost);
            }
        }
        self.advance();
    }

    /// Takes what was asked for in `[first, end)` and is still missing as
    /// never asked for, due at `now`: it is to be asked of someone else.
    pub(super) fn reask(&mut self, first: u64, end: u64, now: u64) {
        if self.asked == 0 {
            return;
        }
        let mut any = false;
        for seq in first.max(self.held + 1)..end.min(self.marked + 1) {
            if let Slot::Missing { tries, .. } = self.slot(seq)
                && tries > 0
            {
                self.set(seq, Slot::Missing { nak_at: now, tries: 0 });
                any = true;
            }
        }
        if any {
            self.nak_due = Some(self.nak_due.map_or(now, |due| due.min(now)));
        }
    }

    /// Calls `emit(first, end)` for each range due for a NAK at `now`, within
    /// `limits`, and schedules the next NAK of each sequence `seq` with
    /// `retry_ns(seq, tries, ahead)`, `ahead` the events this NAK asks for
    /// before it (a large repair's last events arrive last).
    /// One NAK goes to one place: the ranges stop short of
    /// `segment_end(first)`, where `first` is the first sequence taken.
    ///
    /// The scan stops at the first due sequence the limits leave out; the
    /// rest goes `limits.pace_ns` later, or `limits.room_wait_ns` if that
    /// sequence was never asked for and there is no room for it
    /// ([`waits_for_room`](Self::waits_for_room)). It steps over each block of slots
    /// with nothing due yet in one look, so a window of repairs in flight
    /// costs a NAK about a 64th of a walk over every slot.
    pub(super) fn collect_naks(
        &mut self,
        now: u64,
        limits: NakLimits,
        retry_ns: impl Fn(u64, u8, u64) -> u64,
        segment_end: impl Fn(u64) -> u64,
        mut emit: impl FnMut(u64, u64),
    ) {
        let (mut due, mut ranges, mut events, mut fresh) = (u64::MAX, 0, 0, 0);
        let mut stop_at = u64::MAX;
        let mut open: Option<(u64, u64)> = None;
        let (mut stopped, mut no_room) = (false, false);
        let mut seq = self.held + 1;
        let last = self.marked.min(limits.ask_until);
        'blocks: while seq <= last {
            // The rest of this block, in sequence order, up to `last`.
            let first_index = self.index(seq);
            let block = first_index / BLOCK;
            let block_end = ((block + 1) * BLOCK).min(self.slots.len());
            let end = (seq + (block_end - first_index) as u64).min(last + 1);
            if self.block_due[block] > now {
                due = due.min(self.block_due[block]);
                seq = end;
                continue;
            }
            let mut block_due = u64::MAX;
            for (seq, index) in (seq..end).zip(first_index..) {
                let Slot::Missing { nak_at, tries } = self.slots[index] else { continue };
                if nak_at > now {
                    block_due = block_due.min(nak_at);
                    continue;
                }
                if tries > 0 && seq > limits.hold_above {
                    let nak_at = now + retry_ns(seq, tries, 0);
                    self.slots[index] = Slot::Missing { nak_at, tries };
                    block_due = block_due.min(nak_at);
                    continue;
                }
                let extends = open.is_some_and(|(_, end)| end == seq);
                let full = events == limits.events_max || (tries == 0 && fresh == limits.fresh_max);
                if full || (!extends && ranges == limits.ranges_max) || seq >= stop_at {
                    // The block's bound stays as it was, at or below this slot's.
                    // Never asked, and no room for it: no NAK can take it
                    // (nor, in practice, what lies past it) until a repair
                    // frees some.
                    no_room = tries == 0 && fresh == limits.fresh_max;
                    stopped = true;
                    due = due.min(block_due);
                    break 'blocks;
                }
                if open.is_none() {
                    stop_at = segment_end(seq);
                }
                match open.as_mut() {
                    Some((_, end)) if extends => *end = seq + 1,
                    _ => {
                        if let Some((first, end)) = open.replace((seq, seq + 1)) {
                            emit(first, end);
                        }
                        ranges += 1;
                    }
                }
                if tries == 0 {
                    (fresh, self.asked) = (fresh + 1, self.asked + 1);
                }
                let tries = tries.saturating_add(1);
                let nak_at = now + retry_ns(seq, tries, events as u64);
                events += 1;
                self.slots[index] = Slot::Missing { nak_at, tries };
                block_due = block_due.min(nak_at);
            }
            // Walked whole, the block's bound is exact; walked in part (the
            // window starts or ends in it), what was not walked keeps the old.
            let whole = first_index == block * BLOCK && end - seq == (block_end - first_index) as u64;
            let bound = &mut self.block_due[block];
            *bound = if whole { block_due } else { (*bound).min(block_due) };
            due = due.min(block_due);
            seq = end;
        }
        if let Some((first, end)) = open {
            emit(first, end);
        }
        let wait = if no_room { limits.room_wait_ns } else { limits.pace_ns };
        let next = if stopped { due.min(now + wait) } else { due };
        self.nak_due = (next != u64::MAX).then_some(next);
        self.waits_for_room = no_room;
    }

    /// True when [`pop`](Self::pop) with `upto` has something to hand out.
    pub(super) fn can_pop(&self, upto: u64) -> bool {
        self.base <= self.held.min(upto)
    }

    /// The next event or lost range, if it is at or below `upto` (the commit
    /// sequence, or `u64::MAX` when delivering on receipt).
    pub(super) fn pop(&mut self, upto: u64) -> Option<Popped<'_>> {
        if !self.can_pop(upto) {
            return None;
        }
        let first = self.base;
        if self.slot(first) == Slot::Present {
            // Moving the base opens one slot at the end; `held` can reach
            // it (as lost) only if it stood at the end before.
            let held_to_end = self.held + 1 == self.end();
            self.set(first, Slot::Empty);
            self.base += 1;
            if held_to_end {
                self.advance();
            } else {
                self.check();
            }
            let (event, _) = EventRef::split(self.records.get(self.index(first))).ok()?;
            return Some(Popped::Event(event));
        }
        debug_assert_eq!(self.slot(first), Slot::Lost);
        let window_end = self.end();
        let mut end = first;
        while end <= self.held.min(upto) && self.slot(end) == Slot::Lost {
            self.set(end, Slot::Empty);
            end += 1;
        }
        // A lost range wider than the window is reported whole.
        if end == window_end && self.lost_until > end && upto >= self.lost_until - 1 {
            end = self.lost_until;
        }
        // Below `base` only `lost_until` tells a lost sequence's slot (its
        // bytes another's) from a delivered one's.
        self.lost_until = self.lost_until.max(end);
        self.base = end;
        self.held = self.held.max(end - 1);
        self.marked = self.marked.max(end - 1);
        self.advance();
        Some(Popped::Lost { first, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::record_len;

    const SLOT: usize = record_len(8);
    const LIMITS: NakLimits = NakLimits {
        ranges_max: 64,
        events_max: 1000,
        fresh_max: 1000,
        pace_ns: 7,
        room_wait_ns: 7,
        hold_above: u64::MAX,
        ask_until: u64::MAX,
    };

    fn record(seq: u64) -> Vec<u8> {
        crate::wire::test_record(1, seq, &seq.to_le_bytes())
    }

    fn naks(window: &mut Window, now: u64, limits: NakLimits) -> Vec<(u64, u64)> {
        naks_spread(window, now, limits, 0)
    }

    /// As [`naks`], each event asked retried `per_event_ns` later than the
    /// one before it in its NAK.
    fn naks_spread(window: &mut Window, now: u64, limits: NakLimits, per_event_ns: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let retry = |_, tries: u8, ahead: u64| (100 << tries) + ahead * per_event_ns;
        window.collect_naks(now, limits, retry, |_| u64::MAX, |first, end| out.push((first, end)));
        out
    }

    fn pop_all(window: &mut Window, upto: u64) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(popped) = window.pop(upto) {
            out.push(match popped {
                Popped::Event(e) => format!("{}", e.header.seq.get()),
                Popped::Lost { first, end } => format!("lost {first}..{end}"),
            });
        }
        out
    }

    #[test]
    fn in_order_inserts_advance_held() {
        let mut w = Window::new(8, SLOT);
        for seq in 1..=3 {
            assert_eq!(w.insert(seq, &record(seq)), Insert::Stored);
        }
        assert_eq!(w.held(), 3);
        assert_eq!(w.insert(2, &record(2)), Insert::Duplicate);
        assert_eq!(pop_all(&mut w, 2), ["1", "2"], "pop stops at upto");
        assert_eq!(pop_all(&mut w, u64::MAX), ["3"]);
        assert_eq!(w.insert(1, &record(1)), Insert::Duplicate, "below base");
    }

    /// Small records sit in the dense array, large ones beside it; a
    /// delivered one is kept until its slot is reused, whichever it took.
    #[test]
    fn small_and_large_records_pop_whole_in_order_and_stay_kept() {
        let rec = |seq: u64, len: usize| crate::wire::test_record(1, seq, &vec![seq as u8; len]);
        let sized = |seq: u64| rec(seq, if seq.is_multiple_of(2) { 200 } else { 8 });
        let mut w = Window::new(4, record_len(256));
        for seq in [2, 1, 4, 3] {
            assert_eq!(w.insert(seq, &sized(seq)), Insert::Stored);
        }
        for seq in 1..=4 {
            let Some(Popped::Event(event)) = w.pop(u64::MAX) else { panic!("{seq} pops") };
            assert_eq!(event.record, &sized(seq)[..]);
        }
        let large = sized(2);
        assert_eq!(w.kept(2).map(|bytes| &bytes[..large.len()]), Some(&large[..]));
        // Sequence 6, small, takes the slot of 2, large: 2 is gone.
        w.insert(6, &rec(6, 8));
        assert_eq!(w.kept(2), None);
        w.insert(5, &rec(5, 200));
        for (seq, len) in [(5, 200), (6, 8)] {
            let Some(Popped::Event(event)) = w.pop(u64::MAX) else { panic!("{seq} pops") };
            assert_eq!(event.record, &rec(seq, len)[..]);
        }
    }

    /// A gap below what was asked for (a fresh slot under asked ones), and
    /// no room left for fresh asks: the scan stops at the gap and never
    /// reaches the retries above it. Forgetting what was asked frees it.
    #[test]
    fn forgetting_what_was_asked_frees_a_scan_stuck_below_it() {
        let mut w = Window::new(32, SLOT);
        w.mark_missing(12, 0);
        assert_eq!(naks(&mut w, 0, LIMITS), [(1, 13)]);
        assert_eq!(w.asked(), 12);
        w.set(1, Slot::Missing { nak_at: 0, tries: 0 });
        let no_room = NakLimits { fresh_max: 0, ..LIMITS };
        assert_eq!(naks(&mut w, 1_000_000, no_room), [], "the retries of 2..=12 are due, and not reached");
        w.forget_asked(2_000_000);
        assert_eq!(w.asked(), 0);
        assert!(w.nak_due().is_some_and(|due| due <= 2_000_000), "due now");
        assert_eq!(naks(&mut w, 2_000_000, LIMITS), [(1, 13)]);
    }

    /// A tail replaying under a leader's `--history-rate` retried, every
    /// few milliseconds, what the leader was still serving in order: 10,341
    /// NAKs for 589 RETRANSMITs over an 8-second replay of 8,000 events.
    /// Retries above where repairs have reached wait; a sequence below it
    /// still missing was lost on the way, and is asked again.
    #[test]
    fn retries_above_the_repairs_front_wait_and_those_below_go() {
        let mut w = Window::new(16, SLOT);
        w.insert(1, &record(1));
        w.mark_missing(10, 50);
        assert_eq!(naks(&mut w, 50, LIMITS), [(2, 11)], "asked once, fresh");
        w.insert(2, &record(2));
        w.insert(4, &record(4));
        let held = NakLimits { hold_above: 4, ..LIMITS };
        assert_eq!(naks(&mut w, 250, held), [(3, 4)], "3 was lost; 5..=10 are still coming");
        assert_eq!(w.slot(5), Slot::Missing { nak_at: 250 + 200, tries: 1 }, "put off, not asked");
        assert_eq!(naks(&mut w, 450, LIMITS), [(5, 11)], "repairs stopped: asked again (3 is due at 650)");
    }

    #[test]
    fn a_gap_is_nakked_once_due_then_with_backoff_and_never_once_filled() {
        let mut w = Window::new(16, SLOT);
        w.insert(1, &record(1));
        w.insert(5, &record(5));
        w.mark_missing(7, 50);
        assert_eq!(w.held(), 1);
        assert_eq!(w.slot(3), Slot::Missing { nak_at: 50, tries: 0 });
        assert_eq!(w.nak_due(), Some(50));
        assert_eq!(naks(&mut w, 49, LIMITS), [], "not due yet");
        assert_eq!(naks(&mut w, 50, LIMITS), [(2, 5), (6, 8)]);
        assert_eq!(w.nak_due(), Some(50 + 200), "first retry after 100 << 1");
        w.insert(3, &record(3));
        w.insert(6, &record(6));
        assert_eq!(naks(&mut w, 250, LIMITS), [(2, 3), (4, 5), (7, 8)], "filled seqs are never asked for");
        assert_eq!(w.slot(2), Slot::Missing { nak_at: 250 + 400, tries: 2 });
        for seq in [2, 4, 7] {
            w.insert(seq, &record(seq));
        }
        assert_eq!(w.held(), 7);
        assert_eq!(naks(&mut w, 10_000, LIMITS), []);
        assert_eq!(w.nak_due(), None);
    }

    #[test]
    fn nak_limits_cut_and_pace_the_rest() {
        let mut w = Window::new(64, SLOT);
        for seq in (2..40).step_by(2) {
            w.insert(seq, &record(seq));
        }
        w.mark_missing(40, 0);
        let limits = NakLimits { ranges_max: 3, ..LIMITS };
        assert_eq!(naks(&mut w, 10, limits), [(1, 2), (3, 4), (5, 6)]);
        assert_eq!(w.nak_due(), Some(17), "the rest is paced, not dropped");
        let limits = NakLimits { events_max: 2, fresh_max: 2, ..LIMITS };
        assert_eq!(naks(&mut w, 17, limits), [(7, 8), (9, 10)]);
    }

    #[test]
    fn a_window_asked_for_a_nak_at_a_time_still_retries_the_first() {
        let mut w = Window::new(64, SLOT);
        w.mark_missing(40, 0);
        let limits = NakLimits { events_max: 4, fresh_max: 4, ..LIMITS };
        assert_eq!(naks(&mut w, 0, limits), [(1, 5)]);
        assert_eq!(w.nak_due(), Some(7), "the rest is paced");
        assert_eq!(naks(&mut w, 7, limits), [(5, 9)], "the next NAK takes the next four");
        w.insert(5, &record(5));
        assert_eq!(naks(&mut w, 14, limits), [(9, 13)]);
        assert_eq!(naks(&mut w, 200, limits), [(1, 5)], "the first four are due again: asked for again");
        assert_eq!(w.slot(1), Slot::Missing { nak_at: 200 + 400, tries: 2 });
        assert_eq!(naks(&mut w, 207, limits), [(6, 9), (13, 14)], "then their successors, less the one that came");
        for seq in 1..=4 {
            w.insert(seq, &record(seq));
        }
        assert_eq!(w.held(), 5);
        assert_eq!(naks(&mut w, 214, limits), [(9, 13)], "the retries of 9..13 are due: asked for again");
        assert_eq!(naks(&mut w, 221, limits), [(14, 18)], "then four never asked for");
    }

    /// A follower whose room for never asked gaps was taken looked again
    /// every `pace_ns` (20 µs) until a repair freed it: for seconds, under
    /// a member's `--history-rate`, at a core's worth of wake-ups.
    #[test]
    fn a_scan_with_no_room_for_fresh_gaps_waits_for_room_not_the_pace() {
        let mut w = Window::new(16, SLOT);
        w.insert(10, &record(10));
        w.mark_missing(10, 0);
        let limits = NakLimits { fresh_max: 4, room_wait_ns: 1000, ..LIMITS };
        assert_eq!(naks(&mut w, 0, limits), [(1, 5)]);
        assert_eq!((w.nak_due(), w.waits_for_room()), (Some(200), true), "the retries of 1..=4, not 5..=9 at 7");
        w.nak_now(3);
        assert_eq!((w.nak_due(), w.waits_for_room()), (Some(3), false), "room opened");
        let limits = NakLimits { events_max: 4, fresh_max: 5, ..limits };
        assert_eq!(naks(&mut w, 3, limits), [(5, 9)]);
        assert_eq!((w.nak_due(), w.waits_for_room()), (Some(10), false), "a full NAK, room left: at the pace");
    }

    #[test]
    fn a_large_nak_gives_each_event_time_to_arrive() {
        let mut w = Window::new(16, SLOT);
        w.insert(10, &record(10));
        w.mark_missing(10, 0);
        assert_eq!(naks_spread(&mut w, 0, LIMITS, 1000), [(1, 10)]);
        assert_eq!(w.slot(1), Slot::Missing { nak_at: 200, tries: 1 }, "the first: the retry delay alone");
        assert_eq!(w.slot(9), Slot::Missing { nak_at: 200 + 8 * 1000, tries: 1 }, "the ninth: 8 events later");
        assert_eq!(naks_spread(&mut w, 1200, LIMITS, 1000), [(1, 3)], "only those whose repair should be here by now");
    }

    #[test]
    fn records_beyond_the_window_are_refused_and_nakked_later() {
        let mut w = Window::new(4, SLOT);
        assert_eq!(w.insert(5, &record(5)), Insert::Beyond);
        w.mark_missing(6, 0);
        assert_eq!(naks(&mut w, 0, LIMITS), [(1, 5)], "only what fits");
        for seq in 1..=4 {
            w.insert(seq, &record(seq));
        }
        assert_eq!(pop_all(&mut w, u64::MAX).len(), 4);
        w.mark_missing(6, 0);
        assert_eq!(naks(&mut w, 0, LIMITS), [(5, 7)], "the window slid over them");
    }

    #[test]
    fn lost_ranges_are_reported_in_order_and_never_nakked() {
        let mut w = Window::new(8, SLOT);
        w.insert(4, &record(4));
        w.mark_missing(6, 0);
        w.mark_lost(1, 3);
        assert_eq!(w.held(), 2, "[1, 3) lost, 3 still missing");
        assert_eq!(naks(&mut w, 0, LIMITS), [(3, 4), (5, 7)]);
        w.mark_lost(3, 4);
        assert_eq!(w.held(), 4, "[1, 4) lost, 4 present");
        assert_eq!(naks(&mut w, 1000, LIMITS), [(5, 7)]);
        assert_eq!(pop_all(&mut w, u64::MAX), ["lost 1..4", "4"]);
    }

    /// A soak: a follower paused past its leader's retention held one DATA
    /// from inside the range the leader then said it no longer had. It
    /// delivered that event, but its journal, asking `kept`, passed it
    /// over: after a restart it reported the event lost.
    #[test]
    fn an_event_held_inside_a_lost_range_is_kept_until_delivered() {
        let mut w = Window::new(8, SLOT);
        w.insert(3, &record(3));
        w.mark_missing(6, 0);
        w.mark_lost(1, 6);
        assert_eq!(w.held(), 5);
        assert_eq!(w.kept(3), Some(&record(3)[..]));
        assert_eq!([w.kept(2), w.kept(4)], [None, None]);
        assert_eq!(pop_all(&mut w, u64::MAX), ["lost 1..3", "3", "lost 4..6"]);
        // Delivered, its slot tells it from a lost one no more.
        assert_eq!(w.kept(3), None);
    }

    /// A follower missing two ranges NAKs both, and a journaled leader
    /// serves them in turns: told the higher one is gone (a damaged record,
    /// or past its journal's end) while repairs for the lower one are still
    /// coming, it waits for those, and reports lost only the higher one.
    #[test]
    fn a_lost_range_above_a_missing_one_leaves_that_one_to_come() {
        let mut w = Window::new(16, SLOT);
        w.insert(5, &record(5));
        w.mark_missing(10, 0);
        w.mark_lost(7, 9);
        assert_eq!(w.held(), 0, "1..5 may still come");
        assert_eq!(naks(&mut w, 0, LIMITS), [(1, 5), (6, 7), (9, 11)]);
        for seq in [1, 2, 3, 4, 6] {
            w.insert(seq, &record(seq));
        }
        assert_eq!(w.held(), 8);
        assert_eq!(pop_all(&mut w, u64::MAX), ["1", "2", "3", "4", "5", "6", "lost 7..9"]);
        // Below the window's base, a lost sequence's slot is not history.
        assert_eq!([w.kept(7), w.kept(8)], [None, None]);
        // Told again from below what it holds, what is missing below the
        // end is lost, as before.
        w.mark_lost(1, 10);
        assert_eq!(pop_all(&mut w, u64::MAX), ["lost 9..10"]);
    }

    /// The simulator (`--failover --partitions 2 --pauses 2 --promotions
    /// 2 --late-members 1`, seed 113008743): a member told 18..38 lost by
    /// the leader it joined took its old log back (truncated to 16) to
    /// stand, then followed another leader, and reported 17..38 lost, which
    /// no UNRECOVERABLE of that leader named: the mark outlived the log it
    /// was about.
    #[test]
    fn a_loss_past_a_truncation_goes_with_it() {
        let mut w = Window::new(64, SLOT);
        for seq in 1..=17 {
            w.insert(seq, &record(seq));
        }
        w.mark_missing(40, 0);
        w.mark_lost(18, 38);
        assert_eq!(w.held(), 37);
        w.truncate(16);
        w.mark_missing(40, 0);
        assert_eq!(w.held(), 16, "17 is missing, not lost");
        for seq in 17..=40 {
            w.insert(seq, &record(seq));
        }
        let popped = pop_all(&mut w, u64::MAX);
        assert_eq!(popped.len(), 40);
        assert!(popped.iter().all(|p| !p.starts_with("lost")), "{popped:?}");
    }

    #[test]
    fn a_lost_range_wider_than_the_window_is_one_report() {
        let mut w = Window::new(4, SLOT);
        w.mark_missing(100, 0);
        w.mark_lost(1, 90);
        assert_eq!(pop_all(&mut w, 89), ["lost 1..90"]);
        assert_eq!((w.base(), w.held()), (90, 89));
        w.mark_missing(100, 0);
        assert_eq!(naks(&mut w, 0, LIMITS), [(90, 94)]);
        w.insert(90, &record(90));
        assert_eq!(pop_all(&mut w, u64::MAX), ["90"]);
    }
}

#[cfg(test)]
mod scan {
    use super::*;
    use crate::wire::record_len;
    use proptest::prelude::*;

    /// The plain walk over every slot that the block-skipping scan must equal.
    fn reference(
        w: &mut Window,
        now: u64,
        limits: NakLimits,
        retry_ns: impl Fn(u64, u8, u64) -> u64,
    ) -> (Vec<(u64, u64)>, Option<u64>) {
        let (mut due, mut ranges, mut events, mut fresh, mut out) = (u64::MAX, 0, 0, 0, Vec::new());
        let mut open: Option<(u64, u64)> = None;
        let (mut stopped, mut no_room) = (false, false);
        for seq in w.held + 1..=w.marked.min(limits.ask_until) {
            let Slot::Missing { nak_at, tries } = w.slot(seq) else { continue };
            if nak_at > now {
                due = due.min(nak_at);
                continue;
            }
            if tries > 0 && seq > limits.hold_above {
                let nak_at = now + retry_ns(seq, tries, 0);
                w.set(seq, Slot::Missing { nak_at, tries });
                due = due.min(nak_at);
                continue;
            }
            let extends = open.is_some_and(|(_, end)| end == seq);
            if events == limits.events_max
                || (tries == 0 && fresh == limits.fresh_max)
                || (!extends && ranges == limits.ranges_max)
            {
                no_room = tries == 0 && fresh == limits.fresh_max;
                stopped = true;
                break;
            }
            fresh += usize::from(tries == 0);
            match open.as_mut() {
                Some((_, end)) if extends => *end = seq + 1,
                _ => {
                    out.extend(open.replace((seq, seq + 1)));
                    ranges += 1;
                }
            }
            let tries = tries.saturating_add(1);
            let nak_at = now + retry_ns(seq, tries, events as u64);
            events += 1;
            w.set(seq, Slot::Missing { nak_at, tries });
            due = due.min(nak_at);
        }
        out.extend(open);
        let wait = if no_room { limits.room_wait_ns } else { limits.pace_ns };
        let next = if stopped { due.min(now + wait) } else { due };
        (out, (next != u64::MAX).then_some(next))
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u64),
        Mark(u64),
        Nak,
        Pop,
        Lost(u64, u64),
        Truncate,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0..400u64).prop_map(Op::Insert),
            2 => (0..400u64).prop_map(Op::Mark),
            4 => Just(Op::Nak),
            2 => Just(Op::Pop),
            1 => (0..50u64, 0..100u64).prop_map(|(from, ahead)| Op::Lost(from, ahead)),
            1 => Just(Op::Truncate),
        ]
    }

    proptest! {
        #[test]
        fn the_block_scan_asks_what_a_walk_over_every_slot_asks(
            capacity in 1..300usize,
            events_max in 1..200usize,
            fresh_max in 0..200usize,
            ranges_max in 1..8usize,
            ops in prop::collection::vec(op(), 1..400),
            hold in prop_oneof![Just(u64::MAX), 0..400u64],
            until in prop_oneof![Just(u64::MAX), 0..400u64],
        ) {
            let slot = record_len(8);
            let limits = NakLimits {
                ranges_max,
                events_max,
                fresh_max,
                pace_ns: 7,
                room_wait_ns: 11,
                hold_above: hold,
                ask_until: until,
            };
            // Sequences from 100 on retry as if asked of another place.
            let retry = |seq: u64, tries: u8, ahead: u64| if seq < 100 { (50u64 << tries.min(6)) + ahead * 3 } else { 400 };
            let mut w = Window::new(capacity, slot);
            let mut now = 0;
            for op in ops {
                now += 5;
                match op {
                    Op::Insert(ahead) => {
                        let seq = w.base() + ahead;
                        w.insert(seq, &crate::wire::test_record(1, seq, &seq.to_le_bytes()));
                    }
                    Op::Mark(ahead) => {
                        w.mark_missing(w.base() + ahead, now);
                    }
                    Op::Nak => {
                        let mut model = w.clone();
                        let want = reference(&mut model, now, limits, retry);
                        let mut got = Vec::new();
                        w.collect_naks(now, limits, retry, |_| u64::MAX, |first, end| got.push((first, end)));
                        prop_assert_eq!(&got, &want.0);
                        prop_assert_eq!(w.nak_due(), want.1);
                        prop_assert_eq!(&w.slots, &model.slots);
                        let asked = w.slots.iter().filter(|s| matches!(s, Slot::Missing { tries, .. } if *tries > 0)).count();
                        prop_assert_eq!(w.asked(), asked);
                    }
                    Op::Pop => {
                        let _ = w.pop(u64::MAX);
                    }
                    Op::Lost(from, ahead) => w.mark_lost(w.base() + from, w.base() + from + ahead),
                    Op::Truncate => w.truncate(w.held().max(w.base() - 1)),
                }
                // What `kept` gives is the record of that sequence, or nothing.
                for seq in w.base().saturating_sub(capacity as u64).max(1)..w.end() {
                    if let Some(kept) = w.kept(seq) {
                        prop_assert_eq!(kept, &crate::wire::test_record(1, seq, &seq.to_le_bytes())[..], "seq {}", seq);
                    }
                }
            }
        }
    }
}
