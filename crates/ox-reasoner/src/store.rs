//! Dictionary-encoded fact storage: values are interned to `u32` ids, each
//! predicate's tuples are rows of ids in one flat, append-only vector, with a
//! hash set for deduplication and lazily built hash indexes keyed by the set
//! of bound columns a join needs.
//!
//! Rows are never removed or reordered, so "the tuples added since the last
//! iteration" (the semi-naive delta) is just a row-id range, and an index is
//! brought up to date by indexing the rows it has not seen yet.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::{ControlFlow, Range};
use std::sync::{Arc, OnceLock, RwLock};

use ox_ir::{PredId, Value};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::budget::{row_ranges, Budget, ROWS_PER_CHECK};
use crate::EvalError;

/// A dictionary-encoded value.
pub(crate) type Id = u32;

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used for `u64` keys; a reasonable fallback for anything else.
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// The few keys a join will probe a relation with, tested against every row
/// of it (see [`Relation::narrowed_indexes`]) and so made cheap to test: a
/// flag per id for keys of one column; for wider keys (or ids too large for
/// a table), a set with a bitmap on their top bits that turns almost every
/// other key away first.
#[derive(Clone)]
pub(crate) struct ProbeKeys {
    /// Keys of one column: `ids[id]` is true for each; `None` once an id
    /// past [`ID_TABLE_LIMIT`] came, and every key is in `keys`.
    ids: Option<Vec<bool>>,
    /// Wider keys, made by [`key_of`].
    keys: HashSet<u64, BuildHasherDefault<KeyHasher>>,
    top_bits: [u64; PROBE_TOP_WORDS],
}

/// 4,096 bits: a few dozen keys let about one other key in a hundred through.
const PROBE_TOP_WORDS: usize = 64;

/// The largest id a table of flags holds (4 MB of them); a larger one sends
/// every key of its set to the hash set.
const ID_TABLE_LIMIT: u32 = 1 << 22;

impl Default for ProbeKeys {
    fn default() -> ProbeKeys {
        ProbeKeys {
            ids: Some(Vec::new()),
            keys: HashSet::default(),
            top_bits: [0; PROBE_TOP_WORDS],
        }
    }
}

impl ProbeKeys {
    /// The bit of a wider key in `top_bits` (keys are well mixed): word, mask.
    #[inline]
    fn top_bit(key: u64) -> (usize, u64) {
        let b = (key >> 52) as usize;
        (b / 64, 1u64 << (b % 64))
    }

    /// Adds the key of `values` (the probed columns, ascending).
    pub(crate) fn insert(&mut self, values: &[Id]) {
        match (values, &mut self.ids) {
            ([id], Some(ids)) if *id < ID_TABLE_LIMIT => {
                let at = *id as usize;
                if at >= ids.len() {
                    ids.resize(at + 1, false);
                }
                ids[at] = true;
            }
            ([_], Some(_)) => {
                self.ids_to_keys();
                self.insert_key(key_of(1, |_| values[0]));
            }
            _ => self.insert_key(key_of(values.len(), |i| values[i])),
        }
    }

    fn insert_key(&mut self, key: u64) {
        let (word, bit) = Self::top_bit(key);
        self.top_bits[word] |= bit;
        self.keys.insert(key);
    }

    /// Moves the one-column keys of the table to the set.
    fn ids_to_keys(&mut self) {
        if let Some(ids) = self.ids.take() {
            for (id, _) in ids.iter().enumerate().filter(|(_, &flagged)| flagged) {
                self.insert_key(key_of(1, |_| id as Id));
            }
        }
    }

    /// Adds every key of `other`.
    pub(crate) fn merge(&mut self, other: &ProbeKeys) {
        match (&mut self.ids, &other.ids) {
            (Some(mine), Some(theirs)) => {
                if mine.len() < theirs.len() {
                    mine.resize(theirs.len(), false);
                }
                for (mine, theirs) in mine.iter_mut().zip(theirs) {
                    *mine |= theirs;
                }
            }
            (_, theirs) => {
                self.ids_to_keys();
                for (id, _) in theirs.iter().flatten().enumerate().filter(|(_, &f)| f) {
                    self.insert_key(key_of(1, |_| id as Id));
                }
            }
        }
        for (mine, theirs) in self.top_bits.iter_mut().zip(&other.top_bits) {
            *mine |= theirs;
        }
        self.keys.extend(other.keys.iter().copied());
    }

    /// Whether the key `key` (of any width) is probed, when the one-column
    /// keys are not in a table.
    #[inline]
    fn has_key(&self, key: u64) -> bool {
        let (word, bit) = Self::top_bit(key);
        self.top_bits[word] & bit != 0 && self.keys.contains(&key)
    }
}

/// A relation with more than this many times the room its facts need
/// gives the rest back after a recomputation ([`Relation::shrink_if_sparse`]).
const SPARSE: usize = 4;

/// Rows per block of a narrowing pass (see [`Relation::narrowed_indexes`]):
/// 16 KB of a two-column relation.
const NARROW_BLOCK_ROWS: usize = 2048;

/// The murmur3 finaliser: a bijection on `u64` with good avalanche.
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The hash key of `n` ids. Exact (injective) for `n <= 2`, so lookups need
/// no verification, and for three ids below [`PACKED_ID_LIMIT`] (see
/// [`packed_key`]); otherwise collisions are possible and verified.
#[inline]
pub(crate) fn key_of(n: usize, get: impl Fn(usize) -> Id) -> u64 {
    match n {
        0 => 0x9e37_79b9_7f4a_7c15,
        1 => mix(u64::from(get(0))),
        2 => mix((u64::from(get(0)) << 32) | u64::from(get(1))),
        3 if let Some(key) = packed_key([get(0), get(1), get(2)]) => key,
        _ => {
            let mut h: u64 = 0x243f_6a88_85a3_08d3;
            for i in 0..n {
                h = (h ^ u64::from(get(i)))
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .rotate_left(29);
            }
            mix(h ^ n as u64)
        }
    }
}

/// Ids below this fit three to a 64-bit key, 21 bits each.
const PACKED_ID_LIMIT: Id = 1 << 21;

/// The key of three ids below [`PACKED_ID_LIMIT`]: their bits side by
/// side, mixed (a bijection), so that equal keys mean equal ids.
#[inline]
fn packed_key([a, b, c]: [Id; 3]) -> Option<u64> {
    ((a | b | c) < PACKED_ID_LIMIT)
        .then(|| mix((u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)))
}

/// Whether `key` is the packed key of `tuple` and tells it from every other
/// packed key in a [`WideTable`] (which keeps the keys 0 and 1 alike).
#[inline]
fn is_packed(key: u64, tuple: &[Id]) -> bool {
    key > 1
        && match *tuple {
            [a, b, c] => packed_key([a, b, c]) == Some(key),
            _ => false,
        }
}

#[inline]
pub(crate) fn exact_key(n: usize) -> bool {
    n <= 2
}

/// The value dictionary: `Value` ↔ dense `u32` id.
///
/// Integers (most of the values of large fact sets: keys, counters) are
/// looked up by the raw `i64`, without hashing or comparing a [`Value`];
/// every other value by its structure.
///
/// Values come in layers of consecutive ids: shared layers behind `Arc`s,
/// oldest (and largest) first, which every copy of the dictionary shares,
/// and the values interned since the dictionary was last settled. Copying
/// a store (an update that keeps the previous fixpoint) then copies only
/// the values of the update at hand, not every string ever seen.
///
/// Settling makes the recent values a shared layer of their own, then
/// merges the newest layer into the one before it while it holds at least
/// a [`LAYER_RATIO`]th as many values (copying the older one if another
/// dictionary shares it). Layer sizes thus shrink geometrically: a lookup
/// reads a handful of layers, and each value is copied a few times per
/// ratio step over its life, however often the store is copied.
#[derive(Clone, Default)]
pub(crate) struct Dict {
    /// Shared layers, oldest first.
    layers: Vec<Arc<DictLayer>>,
    /// The first id of each layer.
    starts: Vec<usize>,
    /// The ids after those of the layers.
    recent: DictLayer,
}

/// One layer of a [`Dict`]: its values in id order, and their ids.
#[derive(Clone, Default)]
struct DictLayer {
    values: Vec<Value>,
    ints: FxHashMap<i64, Id>,
    others: FxHashMap<Value, Id>,
}

impl DictLayer {
    fn get(&self, value: &Value) -> Option<Id> {
        match value {
            Value::Int(k) => self.ints.get(k),
            other => self.others.get(other),
        }
        .copied()
    }

    fn push(&mut self, value: Value, id: Id) {
        match &value {
            Value::Int(k) => {
                self.ints.insert(*k, id);
            }
            other => {
                self.others.insert(other.clone(), id);
            }
        }
        self.values.push(value);
    }

    /// Appends `newer`, whose ids follow this layer's (moved when nothing
    /// else shares it, copied otherwise).
    fn append(&mut self, newer: Arc<DictLayer>) {
        match Arc::try_unwrap(newer) {
            Ok(newer) => {
                self.values.extend(newer.values);
                self.ints.extend(newer.ints);
                self.others.extend(newer.others);
            }
            Err(shared) => {
                self.values.extend(shared.values.iter().cloned());
                self.ints.extend(&shared.ints);
                self.others
                    .extend(shared.others.iter().map(|(v, &id)| (v.clone(), id)));
            }
        }
    }
}

/// Settling a [`Dict`] merges its newest layer into the one before while
/// the newer holds at least one in this many of the older's values.
const LAYER_RATIO: usize = 4;

impl Dict {
    pub(crate) fn len(&self) -> usize {
        self.recent_start() + self.recent.values.len()
    }

    /// The first id of the recent values.
    fn recent_start(&self) -> usize {
        self.starts.last().map_or(0, |&start| start)
            + self.layers.last().map_or(0, |layer| layer.values.len())
    }

    pub(crate) fn get(&self, value: &Value) -> Option<Id> {
        self.layers
            .iter()
            .find_map(|layer| layer.get(value))
            .or_else(|| self.recent.get(value))
    }

    pub(crate) fn value(&self, id: Id) -> &Value {
        let id = id as usize;
        let recent_start = self.recent_start();
        if id >= recent_start {
            return &self.recent.values[id - recent_start];
        }
        let layer = self.starts.partition_point(|&start| start <= id) - 1;
        &self.layers[layer].values[id - self.starts[layer]]
    }

    fn next_id(&self) -> Id {
        Id::try_from(self.len()).expect("more than 2^32 distinct values")
    }

    /// The id of `value`, adding it when new; the flag says whether it was new.
    pub(crate) fn intern(&mut self, value: Value) -> (Id, bool) {
        if let Some(id) = self.get(&value) {
            return (id, false);
        }
        let id = self.next_id();
        self.recent.push(value, id);
        (id, true)
    }

    /// Makes the recent values a shared layer and merges the small newest
    /// layers (see [`Dict`]). Called on a store about to be handed out, so
    /// that its copies share all it holds.
    pub(crate) fn settle(&mut self) {
        if self.recent.values.is_empty() {
            return;
        }
        let start = self.recent_start();
        self.layers.push(Arc::new(std::mem::take(&mut self.recent)));
        self.starts.push(start);
        while let [.., older, newer] = self.layers.as_mut_slice() {
            if newer.values.len() * LAYER_RATIO < older.values.len() {
                break;
            }
            let newer = std::mem::take(newer);
            Arc::make_mut(older).append(newer);
            self.layers.pop();
            self.starts.pop();
        }
    }

    /// Appends the values an [`Interner`] created, keeping their ids.
    pub(crate) fn absorb(&mut self, new_values: Vec<Value>) {
        for value in new_values {
            let (_, fresh) = self.intern(value);
            debug_assert!(
                fresh,
                "an interner only creates values the dictionary lacks"
            );
        }
    }

    /// For every id, its rank in the order of [`Value`]'s `Ord`.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<Id> = (0..self.len() as Id).collect();
        order.sort_unstable_by(|a, b| self.value(*a).cmp(self.value(*b)));
        let mut ranks = vec![0u32; order.len()];
        for (rank, id) in order.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }
}

/// A read-only dictionary plus the values created during one evaluation
/// step (results of bindings, query constants). New ids continue the base
/// dictionary's numbering; [`Dict::absorb`] makes them permanent.
pub(crate) struct Interner<'a> {
    base: &'a Dict,
    values: Vec<Value>,
    ids: FxHashMap<Value, Id>,
}

impl<'a> Interner<'a> {
    pub(crate) fn new(base: &'a Dict) -> Interner<'a> {
        Interner {
            base,
            values: Vec::new(),
            ids: FxHashMap::default(),
        }
    }

    #[inline]
    pub(crate) fn value(&self, id: Id) -> &Value {
        match (id as usize).checked_sub(self.base.len()) {
            None => self.base.value(id),
            Some(local) => &self.values[local],
        }
    }

    pub(crate) fn intern(&mut self, value: Value) -> Id {
        if let Some(id) = self.base.get(&value) {
            return id;
        }
        if let Some(id) = self.ids.get(&value) {
            return *id;
        }
        let id = Id::try_from(self.base.len() + self.values.len())
            .expect("more than 2^32 distinct values");
        self.values.push(value.clone());
        self.ids.insert(value, id);
        id
    }

    /// The values created, in id order.
    pub(crate) fn into_new_values(self) -> Vec<Value> {
        self.values
    }
}

/// In a renumbering (`new_row[old]`), the row of a removed one.
const GONE: u32 = u32::MAX;

/// How many rows of `0..covered` a renumbering keeps: the new `covered`.
fn covered_after(covered: u32, new_row: &[u32]) -> u32 {
    new_row[..covered as usize]
        .iter()
        .rev()
        .find(|&&r| r != GONE)
        .map_or(0, |&r| r + 1)
}

/// The rows of one index key: most keys have a few, kept inline (no
/// allocation to build, free or chase).
type KeyRows = SmallVec<[u32; 4]>;

/// A hash index of one relation on a set of bound columns: key of those
/// columns → ascending row ids.
///
/// Copies of a relation share their indexes; a copy made to be updated
/// (see `Program::update`) extends an index it shares by a few rows. The
/// map stays shared with the other copies, and each key the copy extends
/// gets its whole list of rows in a small map of the copy's own, which a
/// lookup reads first: the copy does not copy the whole index. That map is
/// folded into the shared one (copied then) once it holds a
/// [`OWN_SHARE`]th as many keys.
#[derive(Clone, Debug)]
pub(crate) struct Index {
    mask: u64,
    cols: Box<[usize]>,
    /// Key → rows, possibly shared with other copies of the index.
    shared: Arc<KeyMap<KeyRows>>,
    /// Keys extended while `shared` was shared with another copy: all
    /// their rows (replacing the shared list).
    own: KeyMap<KeyRows>,
    /// Rows `0..covered` are indexed.
    covered: u32,
}

/// Fills the empty map of a one-column index on `col` with rows `0..len`
/// (but the `dead` ones) by counting them per id first, so that each key's
/// list is allocated once (at its size and an eighth) and the map gets one
/// entry per id:
/// several times faster than pushing row by row, where a key with thousands
/// of rows reallocates its list again and again. Returns false, leaving the
/// map empty, for relations below [`COUNTING_MIN_ROWS`] or whose ids are
/// spread far wider than their rows.
fn fill_by_counting(
    map: &mut KeyMap<KeyRows>,
    col: usize,
    rows: &Rows,
    arity: usize,
    len: u32,
    dead: &RowSet,
    budget: &Budget,
) -> Result<bool, EvalError> {
    if (len as usize) < COUNTING_MIN_ROWS || col >= arity {
        return Ok(false);
    }
    let rows = rows.view(arity);
    let ids_in = |range: Range<u32>| {
        range
            .filter(|&r| !dead.contains(r))
            .map(move |r| (rows.row(r)[col], r))
    };
    let widest = len as usize * 4;
    let mut counts: Vec<u32> = Vec::new();
    for range in row_ranges(0, len) {
        for (id, _) in ids_in(range) {
            let id = id as usize;
            if id >= counts.len() {
                if id > widest {
                    return Ok(false);
                }
                counts.resize(id + 1, 0);
            }
            counts[id] += 1;
        }
        budget.check()?;
    }
    // An eighth more room, so the next update's rows do not reallocate
    // every list they extend. Millions of lists take milliseconds to set
    // up (and to free, which happens away from the caller if stopped).
    let mut lists: Vec<KeyRows> = Vec::with_capacity(counts.len());
    for chunk in counts.chunks(ROWS_PER_CHECK) {
        lists.extend(
            chunk
                .iter()
                .map(|&n| KeyRows::with_capacity(n as usize + n as usize / 8)),
        );
        if let Err(late) = budget.check() {
            crate::freeing::free_sized(lists, len as usize);
            return Err(late);
        }
    }
    for range in row_ranges(0, len) {
        for (id, r) in ids_in(range) {
            lists[id as usize].push(r);
        }
        if let Err(late) = budget.check() {
            crate::freeing::free_sized(lists, len as usize);
            return Err(late);
        }
    }
    map.reserve(counts.iter().filter(|&&n| n > 0).count());
    let mut lists = lists.into_iter();
    for (id, list) in (0..).zip(lists.by_ref()) {
        // The map's pages are faulted in by the first inserts, which land
        // all over it: a look at the clock every few inserts, not every
        // run of rows.
        if (id as usize).is_multiple_of(INSERTS_PER_CHECK) {
            if let Err(late) = budget.check() {
                // Left empty, as it was: the next build starts over. The
                // lists are freed away from the caller, as above.
                crate::freeing::free_sized((std::mem::take(map), lists), len as usize);
                return Err(late);
            }
        }
        if !list.is_empty() {
            map.insert(key_of(1, |_| id), list);
        }
    }
    Ok(true)
}

/// Keys inserted into a fresh index map between two looks at the clock:
/// far fewer than [`ROWS_PER_CHECK`], because the first inserts into a map
/// of millions of keys fault in a page each.
const INSERTS_PER_CHECK: usize = 1024;

/// Indexes of fewer rows are built row by row (see [`fill_by_counting`]).
const COUNTING_MIN_ROWS: usize = 4096;

impl Index {
    fn new(mask: u64) -> Index {
        let cols: Box<[usize]> = (0..64).filter(|c| mask & (1u64 << c) != 0).collect();
        Index {
            mask,
            cols,
            shared: Arc::default(),
            own: KeyMap::default(),
            covered: 0,
        }
    }

    /// Indexes rows `covered..len` (but the `dead` ones). Past the
    /// deadline it stops with the rows indexed so far covered, so a later
    /// call goes on from there.
    fn extend(
        &mut self,
        rows: &Rows,
        arity: usize,
        len: u32,
        dead: &RowSet,
        budget: &Budget,
    ) -> Result<(), EvalError> {
        if Arc::get_mut(&mut self.shared).is_some() {
            // Nothing else reads the shared map (any more): one map, for free.
            self.fold();
        }
        if let ([col], Some(map)) = (&*self.cols, Arc::get_mut(&mut self.shared)) {
            if map.is_empty() && fill_by_counting(map, *col, rows, arity, len, dead, budget)? {
                self.covered = len;
                return Ok(());
            }
        }
        let cols = &self.cols;
        let rows = rows.view(arity);
        for range in row_ranges(self.covered, len) {
            let end = range.end;
            let keyed = range.filter(|&r| !dead.contains(r)).map(|r| {
                let row = rows.row(r);
                (key_of(cols.len(), |i| row[cols[i]]), r)
            });
            match Arc::get_mut(&mut self.shared) {
                Some(map) => {
                    for (key, r) in keyed {
                        map.entry(key).or_default().push(r);
                    }
                }
                None => {
                    let shared = &self.shared;
                    for (key, r) in keyed {
                        self.own
                            .entry(key)
                            .or_insert_with(|| shared.get(&key).cloned().unwrap_or_default())
                            .push(r);
                    }
                }
            }
            self.covered = end;
            budget.check()?;
        }
        if self.own.len() * OWN_SHARE > self.shared.len() {
            self.fold();
        }
        Ok(())
    }

    /// The map holding every row, made one (and this index's own) first.
    fn map_mut(&mut self) -> &mut KeyMap<KeyRows> {
        self.fold();
        Arc::make_mut(&mut self.shared)
    }

    /// Moves the keys of the own map into the shared one (copied first if
    /// something else reads it).
    fn fold(&mut self) {
        if self.own.is_empty() {
            return;
        }
        let shared = Arc::make_mut(&mut self.shared);
        for (key, rows) in self.own.drain() {
            shared.insert(key, rows);
        }
    }

    /// Follows a renumbering of the relation's rows (`new_row[old]`, or
    /// [`GONE`] for a removed row): drops the removed rows and the keys left
    /// without rows. Kept rows keep their order, so each key's rows stay
    /// ascending.
    fn renumber(&mut self, new_row: &[u32]) {
        self.map_mut().retain(|_, rows| {
            rows.retain(|r| new_row[*r as usize] != GONE);
            for r in rows.iter_mut() {
                *r = new_row[*r as usize];
            }
            !rows.is_empty()
        });
        self.covered = covered_after(self.covered, new_row);
    }

    /// Whether a key match implies the columns match (no verification needed).
    #[inline]
    pub(crate) fn exact(&self) -> bool {
        exact_key(self.cols.len())
    }

    /// The rows whose bound columns have `key` (ascending; may contain
    /// collisions when the index is not [`Index::exact`], and rows removed
    /// since the last compaction: see [`Relation::is_live`]).
    #[inline]
    pub(crate) fn rows(&self, key: u64) -> &[u32] {
        let own = if self.own.is_empty() {
            None
        } else {
            self.own.get(&key)
        };
        own.or_else(|| self.shared.get(&key))
            .map_or(&[], |rows| rows.as_slice())
    }
}

/// Bytes of a new array faulted in between two looks at the clock.
const FAULTED_PER_CHECK: usize = 1 << 20;

/// Bytes per page of memory.
const PAGE_BYTES: usize = 4096;

/// `len` zeroes, for an array about to be written at random places: its
/// pages are faulted in (zeroed by the system) in order, a megabyte at a
/// time with a `check` after each, because the random writes would fault
/// them all in before any look at the clock, tens of milliseconds for a
/// large table. One write per page does it (the value hidden, so that the
/// write stays).
fn zeroed_in_order<T: Copy + Default, E>(
    len: usize,
    check: &mut impl FnMut() -> Result<(), E>,
) -> Result<Vec<T>, E> {
    let mut zeroes = vec![T::default(); len];
    let per_page = (PAGE_BYTES / std::mem::size_of::<T>().max(1)).max(1);
    let per_check = (FAULTED_PER_CHECK / std::mem::size_of::<T>().max(1)).max(1);
    for region in zeroes.chunks_mut(per_check) {
        for page in region.chunks_mut(per_page) {
            page[0] = std::hint::black_box(T::default());
        }
        check()?;
    }
    Ok(zeroes)
}

/// A relation's rows with their keys, in row order: what a key set records
/// its rows from (see [`KeyTable::row`]), handed over in batches so that
/// both the walk and the recording run in tight loops.
pub(crate) trait KeyedRows: Copy {
    /// Calls `sink` with batches of (key, row number), rows ascending,
    /// until it breaks.
    fn each_batch(self, sink: impl FnMut(&[(u64, u32)]) -> ControlFlow<()>);
}

/// (key, row) pairs per batch of [`KeyedRows::each_batch`]: small enough
/// to stay in the first-level cache.
const KEYED_BATCH: usize = 256;

/// The rows of `rows` below `limit`: a shared key table's, whose keys have
/// their rows there in every copy (see [`OverShared`]).
#[derive(Clone, Copy)]
struct Below<R> {
    rows: R,
    limit: u32,
}

impl<R: KeyedRows> KeyedRows for Below<R> {
    fn each_batch(self, mut sink: impl FnMut(&[(u64, u32)]) -> ControlFlow<()>) {
        let limit = self.limit;
        self.rows.each_batch(|batch| {
            // Rows ascend: those below the limit lead the batch.
            let below = batch.partition_point(|&(_, r)| r < limit);
            sink(&batch[..below])?;
            if below < batch.len() {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })
    }
}

/// Every row of a relation with its key of `arity` columns (see
/// [`Relation::row_of`]), read from the row vectors in tight loops:
/// recording the rows of a key set walks a whole relation.
#[derive(Clone, Copy)]
struct RowsOf<'r> {
    rel: &'r Relation,
    arity: usize,
}

impl KeyedRows for RowsOf<'_> {
    fn each_batch(self, mut sink: impl FnMut(&[(u64, u32)]) -> ControlFlow<()>) {
        let (rel, arity) = (self.rel, self.arity);
        let mut batch: Vec<(u64, u32)> = Vec::with_capacity(KEYED_BATCH);
        if arity == 0 {
            // A nullary relation's rows hold no ids: its one tuple is the empty one.
            for rows in row_ranges(0, rel.len) {
                batch.clear();
                batch.extend(rows.map(|r| (key_of(0, |_| 0), r)));
                if sink(&batch).is_break() {
                    return;
                }
            }
            return;
        }
        for (first, ids) in rel.rows.parts(arity, rel.len) {
            for (b, block) in ids.chunks(KEYED_BATCH * arity).enumerate() {
                let numbered = (first + (b * KEYED_BATCH) as u32..).zip(block.chunks_exact(arity));
                batch.clear();
                match arity {
                    // The widths key sets hold, unrolled (`i & 1`: an index
                    // the compiler sees is in bounds).
                    1 => batch.extend(numbered.map(|(r, row)| (key_of(1, |_| row[0]), r))),
                    2 => batch.extend(numbered.map(|(r, row)| (key_of(2, |i| row[i & 1]), r))),
                    _ => batch.extend(numbered.map(|(r, row)| (key_of(arity, |i| row[i]), r))),
                }
                if sink(&batch).is_break() {
                    return;
                }
            }
        }
    }
}

/// Moves the keys of `slots` (0 marks an empty slot; each key's home is its
/// top bits) and, when given, their per-slot `rows` into `cap` slots,
/// calling `check` every [`ROWS_PER_CHECK`] slots; on its error nothing
/// changed. A table of millions of keys takes tens of milliseconds to move.
///
/// A table with no slots yet (room reserved ahead, as a copy's own table
/// gets) is not faulted in: its inserts fault in the pages they use, one
/// at a time, and a small update uses few of them.
fn rehash_slots<E>(
    slots: &[u64],
    rows: Option<&[u32]>,
    cap: usize,
    mut check: impl FnMut() -> Result<(), E>,
) -> Result<(Vec<u64>, Option<Vec<u32>>), E> {
    let fresh = slots.is_empty();
    let mut new_slots: Vec<u64> = if fresh {
        vec![0; cap]
    } else {
        zeroed_in_order(cap, &mut check)?
    };
    let mut new_rows = match rows {
        Some(_) if fresh => Some(vec![0; cap]),
        Some(_) => Some(zeroed_in_order::<u32, E>(cap, &mut check)?),
        None => None,
    };
    let shift = 64 - cap.trailing_zeros();
    let mask = cap - 1;
    for (c, chunk) in slots.chunks(ROWS_PER_CHECK).enumerate() {
        let first = c * ROWS_PER_CHECK;
        for (s, &key) in (first..).zip(chunk) {
            if key == 0 {
                continue;
            }
            let mut i = (key >> shift) as usize;
            while new_slots[i] != 0 {
                i = (i + 1) & mask;
            }
            new_slots[i] = key;
            if let (Some(new_rows), Some(rows)) = (new_rows.as_mut(), rows) {
                new_rows[i] = rows[s];
            }
        }
        check()?;
    }
    Ok((new_slots, new_rows))
}

/// Hints the CPU to load `items[i]` for a read a few steps later.
#[inline]
fn prefetch_at<T>(items: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let at = items.as_ptr().wrapping_add(i);
        // SAFETY: prefetching has no observable effect and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (items, i);
}

/// Closes the gap left by emptying slot `i` of a linear-probing table
/// (`slots` with homes at their top `64 - shift` bits, and their `rows`
/// when given): later keys of the probe chain move back (backward-shift
/// deletion), so that every probe chain stays unbroken.
fn close_gap(slots: &mut [u64], mut rows: Option<&mut [u32]>, mut i: usize, shift: u32) {
    slots[i] = 0;
    let mask = slots.len() - 1;
    let mut j = i;
    loop {
        j = (j + 1) & mask;
        let k = slots[j];
        if k == 0 {
            return;
        }
        let home = (k >> shift) as usize;
        // `k` may fill the hole at `i` unless its home lies in (i, j].
        let stays = if i <= j {
            i < home && home <= j
        } else {
            i < home || home <= j
        };
        if !stays {
            slots[i] = k;
            slots[j] = 0;
            if let Some(rows) = rows.as_deref_mut() {
                rows[i] = rows[j];
            }
            i = j;
        }
    }
}

/// A set of exact 64-bit keys: open addressing with linear probing in one
/// flat array (one cache miss per probe, where a SwissTable needs its
/// control bytes and its buckets). Keys are well mixed, so the slot is the
/// key's top bits. Slot value 0 means empty; the key 0 itself is kept aside.
///
/// From its first row lookup on ([`KeyTable::row`]) the table also records
/// the row holding each key, in an array parallel to the slots that only a
/// row lookup reads: deletions and explanations look rows up, evaluation
/// does not, so a large table costs the extra memory only once something
/// asked. A small table records them from its first key on (see
/// [`ROWS_FROM_START_MAX_SLOTS`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyTable {
    slots: Vec<u64>,
    /// Per slot: the row holding its key, once the first lookup built it.
    rows: OnceLock<Vec<u32>>,
    /// `64 - log2(slots.len())`.
    shift: u32,
    len: usize,
    /// The row holding the key 0, if present.
    zero: Option<u32>,
    /// Whether `rows` are kept only because the table is small (see
    /// [`ROWS_FROM_START_MAX_SLOTS`]): they go when it outgrows that size,
    /// unlike rows recorded because something asked for them.
    rows_from_start: bool,
}

impl KeyTable {
    #[inline]
    fn slot(&self, key: u64) -> usize {
        (key >> self.shift) as usize
    }

    #[inline]
    pub(crate) fn contains(&self, key: u64) -> bool {
        if key == 0 {
            return self.zero.is_some();
        }
        self.position(key).is_some()
    }

    /// Whether the set records rows already.
    #[inline]
    pub(crate) fn tracks_rows(&self) -> bool {
        self.rows.get().is_some()
    }

    /// The row holding `key`, if present. The first lookup records the row
    /// of every key: `keyed_rows` gives each key present with its row (and
    /// may give others, which are skipped).
    #[inline]
    pub(crate) fn row(&self, key: u64, keyed_rows: impl KeyedRows) -> Option<u32> {
        if key == 0 {
            return self.zero;
        }
        let rows = self.rows.get_or_init(|| {
            let Ok(rows) = self.rows_of(keyed_rows, || Ok::<(), Infallible>(()));
            rows
        });
        self.position(key).map(|i| rows[i])
    }

    /// Records the row of every key now, unless recorded already (see
    /// [`KeyTable::row`]); past the deadline, records nothing.
    pub(crate) fn record_rows(
        &self,
        keyed_rows: impl KeyedRows,
        budget: &Budget,
    ) -> Result<(), EvalError> {
        if !self.tracks_rows() {
            let rows = self.rows_of(keyed_rows, || budget.check())?;
            // Another reader may have recorded them meanwhile: the same rows.
            let _ = self.rows.set(rows);
        }
        Ok(())
    }

    /// The per-slot rows of the keys `keyed_rows` gives with their rows,
    /// calling `check` every [`ROWS_PER_CHECK`] keys and giving up on its
    /// error.
    fn rows_of<E>(
        &self,
        keyed_rows: impl KeyedRows,
        mut check: impl FnMut() -> Result<(), E>,
    ) -> Result<Vec<u32>, E> {
        let mut rows: Vec<u32> = zeroed_in_order(self.slots.len(), &mut check)?;
        let mut unchecked = 0;
        let mut late = None;
        keyed_rows.each_batch(|batch| {
            // The slots (and rows) of a block of keys are on their way into
            // the cache while the block before is recorded: the probes
            // overlap instead of missing the cache one by one.
            let prefetch = |rows: &[u32], block: &[(u64, u32)]| {
                for &(key, _) in block {
                    self.prefetch_with_rows(key, Some(rows));
                }
            };
            let mut blocks = batch.chunks(TRACK_AHEAD).peekable();
            if let Some(first) = blocks.peek() {
                prefetch(&rows, first);
            }
            while let Some(block) = blocks.next() {
                if let Some(next) = blocks.peek() {
                    prefetch(&rows, next);
                }
                for &(key, row) in block {
                    if key == 0 {
                        continue;
                    }
                    if let Some(i) = self.position(key) {
                        rows[i] = row;
                    }
                }
            }
            unchecked += batch.len();
            if unchecked >= ROWS_PER_CHECK {
                unchecked = 0;
                if let Err(e) = check() {
                    late = Some(e);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if let Some(e) = late {
            return Err(e);
        }
        Ok(rows)
    }

    /// Records rows from now on, starting from none (an empty set, or one
    /// about to be refilled).
    fn track_rows_from_empty(&mut self) {
        debug_assert_eq!(self.len, 0);
        self.rows = OnceLock::from(vec![0; self.slots.len()]);
        self.rows_from_start = false;
    }

    /// The slot holding `key` (not 0), if present.
    #[inline]
    fn position(&self, key: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                0 => return None,
                k if k == key => return Some(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Hints the CPU to load `key`'s slot (and row, when tracked) for a
    /// probe a few steps later.
    #[inline]
    pub(crate) fn prefetch(&self, key: u64) {
        self.prefetch_with_rows(key, self.rows.get().map(Vec::as_slice));
    }

    /// [`KeyTable::prefetch`], with `rows` (per slot) as the rows.
    #[inline]
    fn prefetch_with_rows(&self, key: u64, rows: Option<&[u32]>) {
        if !self.slots.is_empty() {
            let i = self.slot(key);
            prefetch_at(&self.slots, i);
            if let Some(rows) = rows {
                prefetch_at(rows, i);
            }
        }
    }

    /// Adds `key`, held by `row` (recorded when rows are tracked); false
    /// when present (its row stays).
    #[inline]
    pub(crate) fn insert(&mut self, key: u64, row: u32) -> bool {
        if key == 0 {
            if self.zero.is_some() {
                return false;
            }
            self.zero = Some(row);
            return true;
        }
        // Keep the load at or below 5/8.
        if (self.len + 1) * 8 > self.slots.len() * 5 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = key;
                    if let Some(rows) = self.rows.get_mut() {
                        rows[i] = row;
                    }
                    self.len += 1;
                    return true;
                }
                k if k == key => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Removes `key` (backward-shift deletion keeps every probe chain
    /// unbroken); false when absent.
    pub(crate) fn remove(&mut self, key: u64) -> bool {
        if key == 0 {
            return self.zero.take().is_some();
        }
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.slots[i] {
                0 => return false,
                k if k == key => break,
                _ => i = (i + 1) & mask,
            }
        }
        self.len -= 1;
        let shift = self.shift;
        close_gap(
            &mut self.slots,
            self.rows.get_mut().map(Vec::as_mut_slice),
            i,
            shift,
        );
        true
    }

    /// Room for `additional` more keys without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let Ok(()) = self.reserve_checked(additional, || Ok::<(), Infallible>(()));
    }

    /// [`KeyTable::reserve`], looking at the deadline while it moves the
    /// keys (see [`KeyTable::rehash_checked`]): a set of millions of keys
    /// takes tens of milliseconds to grow.
    #[inline]
    pub(crate) fn reserve_within(
        &mut self,
        additional: usize,
        budget: &Budget,
    ) -> Result<(), EvalError> {
        if self.has_room_for(additional) {
            return Ok(());
        }
        self.reserve_checked(additional, || budget.check())
    }

    /// Whether `additional` more keys fit without growing.
    #[inline]
    fn has_room_for(&self, additional: usize) -> bool {
        (self.len + additional).saturating_mul(8) / 5 < self.slots.len()
    }

    fn reserve_checked<E>(
        &mut self,
        additional: usize,
        check: impl FnMut() -> Result<(), E>,
    ) -> Result<(), E> {
        if !self.has_room_for(additional) {
            let needed = (self.len + additional).saturating_mul(8) / 5 + 1;
            self.rehash_checked(needed.next_power_of_two().max(16), check)?;
        }
        Ok(())
    }

    fn grow(&mut self) {
        self.rehash((self.slots.len() * 2).max(16));
    }

    /// Gives back most of the slots when the set holds far fewer keys than
    /// it has room for (a relation recomputed to a fraction of its facts):
    /// whatever walks the slots (recording rows, rehashing) pays for them.
    fn shrink_if_sparse(&mut self) {
        let needed = (self.len.saturating_mul(8) / 5 + 1)
            .next_power_of_two()
            .max(16);
        if self.slots.len() > needed * SPARSE {
            self.rehash(needed);
        }
    }

    fn rehash(&mut self, cap: usize) {
        let Ok(()) = self.rehash_checked(cap, || Ok::<(), Infallible>(()));
    }

    /// Moves every key (and its row, when recorded) into `cap` slots,
    /// calling `check` every [`ROWS_PER_CHECK`] keys; on its error the
    /// table keeps its keys where they were (rows it recorded only for
    /// being small are gone if `cap` outgrows that size).
    fn rehash_checked<E>(
        &mut self,
        cap: usize,
        check: impl FnMut() -> Result<(), E>,
    ) -> Result<(), E> {
        let small = cap <= ROWS_FROM_START_MAX_SLOTS;
        if self.rows_from_start && !small {
            // Outgrowing the small size: from now on rows are recorded
            // only when asked for. They go before the larger slots come,
            // so that the growth does not hold both at once.
            self.rows = OnceLock::new();
            self.rows_from_start = false;
        }
        let (rows, from_start) = match self.rows.get() {
            Some(rows) => (Some(rows.as_slice()), self.rows_from_start),
            // A small table records rows from its first key on.
            None if self.len == 0 && small => (Some(&[][..]), true),
            None => (None, false),
        };
        let (slots, rows) = rehash_slots(&self.slots, rows, cap, check)?;
        self.slots = slots;
        self.shift = 64 - cap.trailing_zeros();
        self.rows = rows.map_or_else(OnceLock::new, OnceLock::from);
        self.rows_from_start = from_start;
        Ok(())
    }

    /// The keys the table holds.
    fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.zero
            .map(|_| 0)
            .into_iter()
            .chain(self.slots.iter().copied().filter(|&k| k != 0))
    }

    /// Adds the keys of `other` (none of which this table holds) with their
    /// rows; rows stay recorded only if both tables recorded them.
    fn absorb(&mut self, other: KeyTable) {
        if other.len == 0 && other.zero.is_none() {
            return;
        }
        let other_rows = other.rows.get();
        if other_rows.is_none() {
            self.rows.take();
        }
        self.reserve(other.len + usize::from(other.zero.is_some()));
        if let Some(row) = other.zero {
            self.insert(0, row);
        }
        for (i, &key) in other.slots.iter().enumerate().filter(|&(_, &k)| k != 0) {
            self.insert(key, other_rows.map_or(0, |rows| rows[i]));
        }
    }

    /// Follows a renumbering of the rows (`new_row[old]`) that keeps every
    /// row the set holds.
    fn renumber(&mut self, new_row: &[u32]) {
        if let Some(row) = self.zero.as_mut() {
            *row = new_row[*row as usize];
        }
        let Some(rows) = self.rows.get_mut() else {
            return;
        };
        for (key, row) in self.slots.iter().zip(rows.iter_mut()) {
            if *key != 0 {
                *row = new_row[*row as usize];
            }
        }
    }
}

/// A key set's table of its own, over one shared with other copies of the
/// relation: the part [`KeySet`] and [`WideKeys`] have in common.
///
/// A settled store (see [`FactStore::settle`]) keeps each large set's table
/// behind an `Arc`, so a copy made to be updated (see `Program::update`)
/// shares it instead of copying it. Keys the copy adds go to a table of its
/// own, and what it removes from the shared table is listed apart; a key is
/// present when its own table holds it, or the shared table does and the
/// removals do not. A set whose shared table nothing else holds is made one
/// table again for free; a copy's own keys and removals are folded into a
/// copy of the shared table once they come to a [`OWN_SHARE`]th of it.
///
/// Row numbers are shared too: copies renumber rows only after making
/// their sets one table, so a key of the shared table has the same row in
/// every copy that still holds it.
#[derive(Clone, Debug, Default)]
pub(crate) struct OverShared<T: SharedTable> {
    own: T,
    shared: Option<Arc<T>>,
    /// The relation's rows when `shared` was shared: its keys' rows are
    /// all below this, and every later row is a copy's own.
    shared_rows: u32,
    /// What this copy removed from `shared`.
    removed: T::Removed,
}

/// A table of keys that copies of a relation can share (see [`OverShared`]).
pub(crate) trait SharedTable: Clone + Default {
    /// What a copy removed from a shared table.
    type Removed: Clone + Default + fmt::Debug;
    /// Keys held.
    fn entries(&self) -> usize;
    /// Keys listed in `removed`.
    fn removed_entries(removed: &Self::Removed) -> usize;
    /// Drops the keys `removed` lists.
    fn forget(&mut self, removed: Self::Removed);
    /// Adds the keys of `other`, none of which this table holds.
    fn absorb(&mut self, other: Self);
    /// Hints the CPU to load the slot of `key` for a probe a few steps later.
    fn prefetch(&self, key: u64);
    /// Room for `additional` more keys, grown within the deadline.
    fn reserve_within(&mut self, additional: usize, budget: &Budget) -> Result<(), EvalError>;
}

impl<T: SharedTable> OverShared<T> {
    #[inline]
    pub(crate) fn prefetch(&self, key: u64) {
        if let Some(shared) = &self.shared {
            shared.prefetch(key);
        }
        self.own.prefetch(key);
    }

    /// Room in the own table for `additional` more keys, grown within the
    /// deadline: what inserting them would otherwise grow without looking
    /// at it (moving a table of millions of keys takes tens of
    /// milliseconds).
    #[inline]
    pub(crate) fn reserve_own_within(
        &mut self,
        additional: usize,
        budget: &Budget,
    ) -> Result<(), EvalError> {
        self.own.reserve_within(additional, budget)
    }

    /// The set as one table of its own (the shared one copied if something
    /// else holds it).
    fn unshare(&mut self) -> &mut T {
        if let Some(shared) = self.shared.take() {
            let own = std::mem::take(&mut self.own);
            self.own = Arc::try_unwrap(shared).unwrap_or_else(|shared| (*shared).clone());
            self.own.forget(std::mem::take(&mut self.removed));
            self.own.absorb(own);
        }
        &mut self.own
    }

    /// Makes the set one table again if nothing else holds its shared one
    /// (which costs nothing then): an update in place probes one table.
    fn reclaim(&mut self) {
        if self
            .shared
            .as_mut()
            .is_some_and(|t| Arc::get_mut(t).is_some())
        {
            self.unshare();
        }
    }

    /// Readies the set to be shared by copies of its relation: a large table
    /// goes behind an `Arc`; a set already shared is made one table again
    /// when nothing else holds the shared one, or when its own keys and
    /// removals come to more than a [`OWN_SHARE`]th of it.
    fn settle(&mut self, rows: u32) {
        let changed = self.own.entries() + T::removed_entries(&self.removed);
        let fold = match &mut self.shared {
            None => self.own.entries() >= SHARED_KEYS_MIN,
            Some(shared) => {
                Arc::get_mut(shared).is_some() || changed * OWN_SHARE > shared.entries()
            }
        };
        if fold {
            let table = std::mem::take(self.unshare());
            self.shared = Some(Arc::new(table));
            self.shared_rows = rows;
        }
    }
}

/// The key set of a relation of at most two columns: exact keys, with the
/// keys a copy removed from the shared table kept in a table of their own.
pub(crate) type KeySet = OverShared<KeyTable>;

impl SharedTable for KeyTable {
    type Removed = KeyTable;

    fn entries(&self) -> usize {
        self.len
    }

    fn removed_entries(removed: &KeyTable) -> usize {
        removed.len
    }

    fn forget(&mut self, removed: KeyTable) {
        for key in removed.keys() {
            self.remove(key);
        }
    }

    fn absorb(&mut self, other: KeyTable) {
        KeyTable::absorb(self, other);
    }

    #[inline]
    fn prefetch(&self, key: u64) {
        KeyTable::prefetch(self, key);
    }

    #[inline]
    fn reserve_within(&mut self, additional: usize, budget: &Budget) -> Result<(), EvalError> {
        KeyTable::reserve_within(self, additional, budget)
    }
}

/// Sets with fewer keys are not shared: copying them costs little.
const SHARED_KEYS_MIN: usize = 4096;

impl OverShared<KeyTable> {
    #[inline]
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.own.contains(key) || self.in_shared(key)
    }

    /// Whether the shared table holds `key` and this copy did not remove it.
    #[inline]
    fn in_shared(&self, key: u64) -> bool {
        self.shared.as_ref().is_some_and(|t| t.contains(key)) && !self.removed.contains(key)
    }

    /// Whether the set records rows already.
    #[inline]
    pub(crate) fn tracks_rows(&self) -> bool {
        self.own.tracks_rows() && self.shared.as_ref().is_none_or(|t| t.tracks_rows())
    }

    /// The row holding `key`, if present (see [`KeyTable::row`]).
    #[inline]
    pub(crate) fn row(&self, key: u64, keyed_rows: impl KeyedRows) -> Option<u32> {
        match &self.shared {
            // Recording a table's rows walks the whole relation: only for a
            // key it holds.
            Some(shared) if !self.own.contains(key) => {
                if self.in_shared(key) {
                    shared.row(key, self.shared_keyed_rows(keyed_rows))
                } else {
                    None
                }
            }
            _ => self.own.row(key, keyed_rows),
        }
    }

    /// Records the rows of every key now, of the shared table and of the
    /// own one, unless recorded already; past the deadline, stops with an
    /// error (see [`KeyTable::record_rows`]).
    pub(crate) fn record_rows(
        &self,
        keyed_rows: impl KeyedRows,
        budget: &Budget,
    ) -> Result<(), EvalError> {
        if let Some(shared) = &self.shared {
            shared.record_rows(self.shared_keyed_rows(keyed_rows), budget)?;
        }
        self.own.record_rows(keyed_rows, budget)
    }

    /// What `keyed_rows` gives, but the rows above the shared table's,
    /// which are this copy's own.
    fn shared_keyed_rows<R: KeyedRows>(&self, keyed_rows: R) -> Below<R> {
        Below {
            rows: keyed_rows,
            limit: self.shared_rows,
        }
    }

    /// Adds `key`, held by `row`; false when present.
    #[inline]
    pub(crate) fn insert(&mut self, key: u64, row: u32) -> bool {
        if self.in_shared(key) {
            return false;
        }
        self.own.insert(key, row)
    }

    /// Gives the own table of a set that shares a table room for a
    /// [`COPY_ROOM`]th as many keys, so that an update adding keys does not
    /// rehash it over and over as it grows from nothing.
    fn make_room_over_shared(&mut self) {
        if let Some(shared) = &self.shared {
            self.own.reserve(shared.len / COPY_ROOM);
        }
    }

    /// Removes `key`; false when absent. A key of the shared table is
    /// only marked removed: the table stays shared.
    pub(crate) fn remove(&mut self, key: u64) -> bool {
        if self.own.remove(key) {
            return true;
        }
        if self.in_shared(key) {
            return self.removed.insert(key, 0);
        }
        false
    }

    /// Room for `additional` more keys without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.unshare().reserve(additional);
    }

    fn shrink_if_sparse(&mut self) {
        self.unshare().shrink_if_sparse();
    }

    fn renumber(&mut self, new_row: &[u32]) {
        self.unshare().renumber(new_row);
    }

    fn track_rows_from_empty(&mut self) {
        self.unshare().track_rows_from_empty();
    }

    /// Whether the row of every key the set holds is recorded (an own
    /// table without keys has none to record).
    #[cfg(test)]
    pub(crate) fn records_every_row(&self) -> bool {
        (self.own.tracks_rows() || self.own.len == 0)
            && self.shared.as_ref().is_none_or(|t| t.tracks_rows())
    }

    /// Whether the set records rows because something asked for them (not
    /// only because its tables are small).
    fn rows_asked(&self) -> bool {
        let from_start =
            self.own.rows_from_start && self.shared.as_ref().is_none_or(|t| t.rows_from_start);
        self.tracks_rows() && !from_start
    }
}

/// Keys of tuples of three or more columns: open addressing with linear
/// probing over each tuple's 64-bit hash, with the row holding it in an
/// array parallel to the slots. Tuples whose hashes are equal sit in the
/// same probe chain, told apart by their rows. While every key is the
/// packed key of its tuple (three small ids, see [`packed_key`]), a probe
/// with a packed key needs no row: an equal key is the same tuple, and
/// the tuple's ids are never read (a cache miss per probe of a large
/// relation). Unlike a standard-library map, the table grows within the
/// deadline (see [`WideTable::reserve_within`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct WideTable {
    /// Per slot: the hash of the tuple it holds ([`WideTable::stored`]),
    /// or 0 when empty.
    hashes: Vec<u64>,
    /// Per slot: the row holding that tuple.
    rows: Vec<u32>,
    /// `64 - log2(hashes.len())`.
    shift: u32,
    len: usize,
    /// Whether some tuple was added under a key other than its packed one
    /// (see [`is_packed`]): then every probe compares tuples.
    hashed: bool,
}

impl WideTable {
    /// The hash kept for `key`: never 0, which marks an empty slot (a
    /// tuple hashed to 0 shares its chain with those hashed to 1, which
    /// their rows tell apart).
    #[inline]
    fn stored(key: u64) -> u64 {
        key.max(1)
    }

    /// The row holding `tuple` (hashed to `key`); `row(r)` reads row `r`.
    #[inline]
    fn find<'r>(&self, key: u64, tuple: &[Id], row: impl Fn(u32) -> &'r [Id]) -> Option<u32> {
        if self.hashes.is_empty() {
            return None;
        }
        let hash = Self::stored(key);
        let exact = !self.hashed && is_packed(key, tuple);
        let mask = self.hashes.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            match self.hashes[i] {
                0 => return None,
                h if h == hash && (exact || row(self.rows[i]) == tuple) => {
                    return Some(self.rows[i])
                }
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Adds `tuple` (hashed to `key`) as row `next` unless present; true
    /// when added.
    #[inline]
    fn insert<'r>(
        &mut self,
        key: u64,
        tuple: &[Id],
        next: u32,
        row: impl Fn(u32) -> &'r [Id],
    ) -> bool {
        self.make_room_for_one();
        let hash = Self::stored(key);
        let exact = !self.hashed && is_packed(key, tuple);
        let mask = self.hashes.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            match self.hashes[i] {
                0 => break,
                h if h == hash && (exact || row(self.rows[i]) == tuple) => return false,
                _ => i = (i + 1) & mask,
            }
        }
        self.hashed |= !exact;
        self.hashes[i] = hash;
        self.rows[i] = next;
        self.len += 1;
        true
    }

    /// Adds row `r` under `key` without comparing tuples: the caller knows
    /// the table does not hold its tuple, and marks the table
    /// [`WideTable::hashed`] if `key` is not its tuple's packed one.
    fn insert_new(&mut self, key: u64, r: u32) {
        self.make_room_for_one();
        let hash = Self::stored(key);
        let mask = self.hashes.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        while self.hashes[i] != 0 {
            i = (i + 1) & mask;
        }
        self.hashes[i] = hash;
        self.rows[i] = r;
        self.len += 1;
    }

    /// Hints the CPU to load the slot of `key` (its hash and row) for a
    /// probe a few steps later.
    #[inline]
    fn prefetch(&self, key: u64) {
        if !self.hashes.is_empty() {
            let i = (Self::stored(key) >> self.shift) as usize;
            prefetch_at(&self.hashes, i);
            prefetch_at(&self.rows, i);
        }
    }

    /// Grows the table if one more tuple would take its load above 5/8.
    #[inline]
    fn make_room_for_one(&mut self) {
        if !self.has_room_for(1) {
            self.reserve(1);
        }
    }

    /// Forgets row `r`, whose tuple hashes to `key`.
    fn remove(&mut self, key: u64, r: u32) {
        if self.hashes.is_empty() {
            return;
        }
        let hash = Self::stored(key);
        let mask = self.hashes.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            match self.hashes[i] {
                0 => return,
                h if h == hash && self.rows[i] == r => break,
                _ => i = (i + 1) & mask,
            }
        }
        self.len -= 1;
        close_gap(&mut self.hashes, Some(&mut self.rows), i, self.shift);
    }

    /// Follows a renumbering of the rows (`new_row[old]`, or [`GONE`]):
    /// the table is built again from the rows that stay.
    fn renumber(&mut self, new_row: &[u32]) {
        let old = std::mem::take(self);
        self.hashed = old.hashed;
        let staying = old
            .rows
            .iter()
            .zip(&old.hashes)
            .filter(|&(&r, &h)| h != 0 && new_row[r as usize] != GONE)
            .count();
        self.reserve(staying);
        for (&r, &h) in old.rows.iter().zip(&old.hashes) {
            if h != 0 && new_row[r as usize] != GONE {
                self.insert_new(h, new_row[r as usize]);
            }
        }
    }

    /// Adds the rows of `other`, which holds none of this table's tuples.
    fn absorb(&mut self, other: WideTable) {
        self.hashed |= other.hashed;
        self.reserve(other.len);
        for (&r, &h) in other.rows.iter().zip(&other.hashes) {
            if h != 0 {
                self.insert_new(h, r);
            }
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Whether `additional` more tuples fit without growing.
    #[inline]
    fn has_room_for(&self, additional: usize) -> bool {
        (self.len + additional).saturating_mul(8) / 5 < self.hashes.len()
    }

    /// Room for `additional` more tuples without growing.
    fn reserve(&mut self, additional: usize) {
        let Ok(()) = self.reserve_checked(additional, || Ok::<(), Infallible>(()));
    }

    /// [`WideTable::reserve`], looking at the deadline while it moves the
    /// tuples' hashes and rows.
    #[inline]
    fn reserve_within(&mut self, additional: usize, budget: &Budget) -> Result<(), EvalError> {
        if self.has_room_for(additional) {
            return Ok(());
        }
        self.reserve_checked(additional, || budget.check())
    }

    fn reserve_checked<E>(
        &mut self,
        additional: usize,
        check: impl FnMut() -> Result<(), E>,
    ) -> Result<(), E> {
        if self.has_room_for(additional) {
            return Ok(());
        }
        let needed = (self.len + additional).saturating_mul(8) / 5 + 1;
        let cap = needed.next_power_of_two().max(16);
        let (hashes, rows) = rehash_slots(&self.hashes, Some(&self.rows), cap, check)?;
        self.hashes = hashes;
        self.rows = rows.unwrap_or_default();
        self.shift = 64 - cap.trailing_zeros();
        Ok(())
    }

    /// Gives back most of the slots when the table holds far fewer tuples
    /// than it has room for.
    fn shrink_if_sparse(&mut self) {
        let needed = (self.len.saturating_mul(8) / 5 + 1)
            .next_power_of_two()
            .max(16);
        if self.hashes.len() > needed * SPARSE {
            let Ok((hashes, rows)) = rehash_slots(&self.hashes, Some(&self.rows), needed, || {
                Ok::<(), Infallible>(())
            });
            self.hashes = hashes;
            self.rows = rows.unwrap_or_default();
            self.shift = 64 - needed.trailing_zeros();
        }
    }
}

/// The key set of a relation of three or more columns: the rows of the
/// shared table a copy removed are listed with their keys.
pub(crate) type WideKeys = OverShared<WideTable>;

impl SharedTable for WideTable {
    /// Removed row → its key.
    type Removed = FxHashMap<u32, u64>;

    fn entries(&self) -> usize {
        self.len()
    }

    fn removed_entries(removed: &Self::Removed) -> usize {
        removed.len()
    }

    fn forget(&mut self, removed: Self::Removed) {
        for (r, key) in removed {
            self.remove(key, r);
        }
    }

    fn absorb(&mut self, other: WideTable) {
        WideTable::absorb(self, other);
    }

    #[inline]
    fn prefetch(&self, key: u64) {
        WideTable::prefetch(self, key);
    }

    #[inline]
    fn reserve_within(&mut self, additional: usize, budget: &Budget) -> Result<(), EvalError> {
        WideTable::reserve_within(self, additional, budget)
    }
}

impl OverShared<WideTable> {
    #[inline]
    fn find<'r>(&self, key: u64, tuple: &[Id], row: impl Fn(u32) -> &'r [Id]) -> Option<u32> {
        if let Some(r) = self.own.find(key, tuple, &row) {
            return Some(r);
        }
        let r = self.shared.as_ref()?.find(key, tuple, row)?;
        (!self.removed.contains_key(&r)).then_some(r)
    }

    /// Adds `tuple` (hashed to `key`) as row `next` unless present; true
    /// when added.
    #[inline]
    pub(crate) fn insert<'r>(
        &mut self,
        key: u64,
        tuple: &[Id],
        next: u32,
        row: impl Fn(u32) -> &'r [Id],
    ) -> bool {
        if let Some(shared) = &self.shared {
            if shared
                .find(key, tuple, &row)
                .is_some_and(|r| !self.removed.contains_key(&r))
            {
                return false;
            }
        }
        self.own.insert(key, tuple, next, row)
    }

    /// Forgets row `r`, whose tuple hashes to `key`: a row of the shared
    /// table is only listed as removed.
    fn remove(&mut self, key: u64, r: u32) {
        if self.shared.is_some() && r < self.shared_rows {
            self.removed.insert(r, key);
        } else {
            self.own.remove(key, r);
        }
    }

    /// Gives the own table of a set that shares a table room for a
    /// [`COPY_ROOM`]th as many rows, as narrow key sets do.
    fn make_room_over_shared(&mut self) {
        if let Some(shared) = &self.shared {
            self.own.reserve(shared.len / COPY_ROOM);
        }
    }
}

/// A column a narrowed index is on, with the flags (by id) of the ids
/// wanted in it.
type FlaggedColumn<'a> = (usize, &'a [bool]);

/// The rows a narrowing scan found for one index, with their keys.
type Hits = Vec<(u64, u32)>;

/// Pushes to `hits`, with its id's key, every row of `block` (rows of
/// `width` ids, numbered from `first`) whose column `col` holds an id
/// `ids` flags: the inner loop of the scan that narrowed indexes make.
#[inline(always)]
fn flagged_rows(
    (block, first, (col, ids)): (&[Id], u32, FlaggedColumn<'_>),
    width: usize,
    hits: &mut Hits,
) {
    for (r, row) in (first..).zip(block.chunks_exact(width)) {
        flag_row(row[col], r, ids, hits);
    }
}

/// [`flagged_rows`] for two columns at once (a relation probed on each of
/// two), reading each row once.
#[inline(always)]
fn flagged_rows_of_two(
    (block, first, [(col_a, ids_a), (col_b, ids_b)]): (&[Id], u32, [FlaggedColumn<'_>; 2]),
    width: usize,
    (hits_a, hits_b): (&mut Hits, &mut Hits),
) {
    for (r, row) in (first..).zip(block.chunks_exact(width)) {
        flag_row(row[col_a], r, ids_a, hits_a);
        flag_row(row[col_b], r, ids_b, hits_b);
    }
}

/// The rows of `block` (rows from `first` on, `arity` ids each) whose id in
/// each of `columns` is flagged, pushed to that column's `hits`.
#[inline]
fn flag_block(
    block: &[Id],
    first: u32,
    arity: usize,
    columns: &[FlaggedColumn<'_>],
    hits: &mut [Hits],
) {
    if let ([a, b], [hits_a, hits_b]) = (columns, &mut *hits) {
        let scan = (block, first, [*a, *b]);
        let hits = (hits_a, hits_b);
        // The usual width gets a loop of its own.
        match arity {
            2 => flagged_rows_of_two(scan, 2, hits),
            _ => flagged_rows_of_two(scan, arity, hits),
        }
        return;
    }
    for (hits, &column) in hits.iter_mut().zip(columns) {
        let scan = (block, first, column);
        match arity {
            2 => flagged_rows(scan, 2, hits),
            3 => flagged_rows(scan, 3, hits),
            _ => flagged_rows(scan, arity, hits),
        }
    }
}

/// Rows from which a narrowing scan runs in two halves on two threads.
const SPLIT_SCAN_MIN_ROWS: usize = 1 << 18;

/// Pushes row `r` to `hits` with `id`'s key when `ids` flags `id`.
#[inline(always)]
fn flag_row(id: Id, r: u32, ids: &[bool], hits: &mut Hits) {
    if ids.get(id as usize).copied().unwrap_or(false) {
        hits.push((key_of(1, |_| id), r));
    }
}

/// Slots up to which a key table records the row of each key from its
/// first key on (see [`KeyTable`]): at most 4 MiB of rows per relation,
/// written while the slot is in the cache anyway, where recording them at
/// the first lookup walks the whole relation (a quarter of LUBM-10's first
/// deletion, for 653,762 `typ` pairs). Larger tables record them when
/// first asked: for millions of keys, the array would add a third to the
/// memory of an evaluation.
const ROWS_FROM_START_MAX_SLOTS: usize = 1 << 20;

/// Keys enough for a key table to outgrow [`ROWS_FROM_START_MAX_SLOTS`]
/// (tables grow past a load of 5/8; a few spare, as the key 0 is kept
/// apart from the slots): for tests of what larger tables do.
#[cfg(test)]
pub(crate) const KEYS_PAST_ROWS_FROM_START: u32 = (ROWS_FROM_START_MAX_SLOTS / 8 * 5) as u32 + 16;

/// Keys per block of [`KeyTable::rows_of`], which prefetches a block ahead.
const TRACK_AHEAD: usize = 16;

/// Whether (and where) a tuple was found in a [`Keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Absent,
    /// Present; the row is given for relations wider than two columns (of
    /// narrower ones, [`Relation::row_of`] reads it: a second cache miss).
    Present(Option<u32>),
}

/// The deduplication set of one relation.
#[derive(Clone, Debug)]
pub(crate) enum Keys {
    /// Arity 0–2: the exact (injective) key of every tuple.
    Small(KeySet),
    /// Wider: hashed keys, tuples told apart by their rows.
    Wide(WideKeys),
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::Small(KeySet::default())
    }
}

impl Keys {
    fn for_arity(arity: usize) -> Keys {
        if exact_key(arity) {
            Keys::default()
        } else {
            Keys::Wide(WideKeys::default())
        }
    }

    /// Follows a renumbering of the relation's rows (`new_row[old]`, or
    /// [`GONE`] for a removed row); `old_row(r)` gives the contents of old
    /// row `r`, and `dead` the rows removed earlier (no longer keyed).
    fn renumber<'r>(&mut self, new_row: &[u32], old_row: impl Fn(u32) -> &'r [Id], dead: &RowSet) {
        match self {
            Keys::Small(set) => {
                for (r, _) in new_row
                    .iter()
                    .enumerate()
                    .filter(|&(r, &n)| n == GONE && !dead.contains(r as u32))
                {
                    let row = old_row(r as u32);
                    set.remove(key_of(row.len(), |i| row[i]));
                }
                set.renumber(new_row);
            }
            Keys::Wide(wide) => wide.unshare().renumber(new_row),
        }
    }

    /// Forgets `tuple`, held by row `r`.
    fn remove(&mut self, tuple: &[Id], r: u32) {
        let key = key_of(tuple.len(), |i| tuple[i]);
        match self {
            Keys::Small(set) => {
                set.remove(key);
            }
            Keys::Wide(wide) => wide.remove(key, r),
        }
    }

    /// Looks `tuple` up; `row(r)` gives the contents of row `r`.
    #[inline]
    pub(crate) fn find<'r>(&self, tuple: &[Id], row: impl Fn(u32) -> &'r [Id]) -> Found {
        self.find_keyed(key_of(tuple.len(), |i| tuple[i]), tuple, row)
    }

    #[inline]
    fn find_keyed<'r>(&self, key: u64, tuple: &[Id], row: impl Fn(u32) -> &'r [Id]) -> Found {
        match self {
            Keys::Small(set) => {
                if set.contains(key) {
                    Found::Present(None)
                } else {
                    Found::Absent
                }
            }
            Keys::Wide(wide) => match wide.find(key, tuple, row) {
                Some(r) => Found::Present(Some(r)),
                None => Found::Absent,
            },
        }
    }

    /// Adds `tuple` as row `next` unless present; true when added.
    #[inline]
    pub(crate) fn insert<'r>(
        &mut self,
        tuple: &[Id],
        next: u32,
        row: impl Fn(u32) -> &'r [Id],
    ) -> bool {
        self.insert_keyed(key_of(tuple.len(), |i| tuple[i]), tuple, next, row)
    }

    #[inline]
    fn insert_keyed<'r>(
        &mut self,
        key: u64,
        tuple: &[Id],
        next: u32,
        row: impl Fn(u32) -> &'r [Id],
    ) -> bool {
        match self {
            Keys::Small(set) => set.insert(key, next),
            Keys::Wide(wide) => wide.insert(key, tuple, next, row),
        }
    }
}

/// Marks a row without a witness: a base fact.
pub(crate) const BASE: u32 = u32::MAX;

/// A run of consecutive rows that one rule derived: `(rule, rows)`.
pub(crate) type RuleRun = (u32, u32);

/// One witness per row of a relation (provenance): the rule that first
/// derived the row and the bindings of the rule's variables that its head
/// does not determine (the row itself holds the others; see
/// [`crate::provenance::witness_layout`]), from which its premises are rebuilt.
///
/// Rows derived together come in long runs of one rule (a rule's new
/// facts of one round are appended back to back), so rules are kept per
/// run rather than per row. Every row keeps `stride` ids, so a row's
/// bindings are found without a per-row offset; rules with fewer such
/// variables leave the rest zero. Rows at or beyond `len` and rows of a
/// [`BASE`] run are base facts.
///
/// The bindings of a settled store's rows (see [`FactStore::settle`]) sit
/// behind an `Arc`, shared by the copies made to update it; each copy
/// appends the bindings of its new rows to a vector of its own, folded in
/// at its next settling (copying the shared ones only if another copy
/// still holds them and the new ones come to a [`OWN_SHARE`]th of them).
#[derive(Clone, Debug, Default)]
pub(crate) struct Witnesses {
    /// Rows covered.
    len: u32,
    /// `(first row, rule or BASE)` of each run, by first row; a run ends
    /// where the next begins.
    runs: Vec<(u32, u32)>,
    /// Ids kept per row.
    stride: usize,
    /// Per row, `stride` ids: the bindings kept for it, back to back; the
    /// settled rows' ids shared with other copies (see [`Rows`]).
    ids: Rows,
}

impl Witnesses {
    /// A copy with room for a [`COPY_ROOM`]th more rows (see
    /// [`Relation::copy_with_room`]); the settled rows' ids are shared.
    fn copy_with_room(&self) -> Witnesses {
        Witnesses {
            len: self.len,
            runs: self.runs.clone(),
            stride: self.stride,
            ids: self.ids.copy_with_room(),
        }
    }

    /// Folds the ids of the rows added since into the shared ones: free
    /// when nothing else shares them (or nothing was shared), otherwise
    /// only once they come to a [`OWN_SHARE`]th of them.
    fn settle(&mut self) {
        self.ids.settle();
    }

    /// Makes `rule`, with the bindings `kept`, the witness of row `r`: a
    /// derived fact that an update keeps through another derivation than
    /// the one first recorded.
    pub(crate) fn replace(&mut self, r: u32, rule: u32, kept: &[Id]) {
        self.pad(r + 1);
        self.widen(kept.len());
        let run = self.runs.partition_point(|&(first, _)| first <= r) - 1;
        let (first, old) = self.runs[run];
        if old != rule {
            // The run becomes up to three: before `r`, `r` itself, after it.
            let end = self.runs.get(run + 1).map_or(self.len, |&(next, _)| next);
            let before = (first < r).then_some((first, old));
            let after = (r + 1 < end).then_some((r + 1, old));
            let pieces = before.into_iter().chain([(r, rule)]).chain(after);
            self.runs.splice(run..=run, pieces);
        }
        let ids = self.ids.row_mut(r, self.stride);
        ids.fill(0);
        ids[..kept.len()].copy_from_slice(kept);
    }

    /// Sizes the bindings for the rows covered.
    fn fill_kept(&mut self) {
        self.ids.resize(self.len as usize * self.stride);
    }

    /// Marks rows up to `len` that have no witness yet as base facts.
    pub(crate) fn pad(&mut self, len: u32) {
        if len > self.len {
            self.add_run(BASE, len - self.len);
            self.fill_kept();
        }
    }

    /// Appends the witness of the next row: its rule and the bindings kept.
    pub(crate) fn push(&mut self, rule: u32, kept: &[Id]) {
        self.widen(kept.len());
        self.add_run(rule, 1);
        self.ids.push(kept);
        self.fill_kept();
    }

    /// Appends the witnesses of the next rows: their rules by runs, and
    /// their kept bindings, `stride` ids per row.
    pub(crate) fn extend(&mut self, runs: &[RuleRun], stride: usize, kept: &[Id]) {
        self.widen(stride);
        if stride == self.stride {
            for &(rule, rows) in runs {
                self.add_run(rule, rows);
            }
            self.ids.push(kept);
        } else {
            let mut rows = kept.chunks_exact(stride.max(1));
            for &(rule, count) in runs {
                for _ in 0..count {
                    self.push(rule, rows.next().unwrap_or_default());
                }
            }
        }
    }

    /// Appends `rows` rows derived by `rule` (without their bindings).
    fn add_run(&mut self, rule: u32, rows: u32) {
        if rows == 0 {
            return;
        }
        if !matches!(self.runs.last(), Some(&(_, last)) if last == rule) {
            self.runs.push((self.len, rule));
        }
        self.len += rows;
    }

    /// Makes room for at least `stride` ids per row.
    fn widen(&mut self, stride: usize) {
        if stride <= self.stride {
            return;
        }
        let old = std::mem::take(&mut self.ids).into_vec();
        let mut wider = Vec::with_capacity(self.len as usize * stride);
        for row in old.chunks_exact(self.stride.max(1)) {
            wider.extend_from_slice(row);
            wider.resize(wider.len() + stride - self.stride, 0);
        }
        wider.resize(self.len as usize * stride, 0);
        self.ids = Rows::from(wider);
        self.stride = stride;
    }

    /// The witness of row `r`: its rule and kept bindings (`stride` ids, of
    /// which the rule reads as many as it keeps), or `None` for a base fact.
    pub(crate) fn get(&self, r: u32) -> Option<(u32, &[Id])> {
        if r >= self.len {
            return None;
        }
        let run = self.runs.partition_point(|&(first, _)| first <= r);
        let (_, rule) = self.runs[run - 1];
        if rule == BASE {
            return None;
        }
        Some((rule, self.ids.row(r, self.stride)))
    }
}

/// The rows of a relation, their ids back to back: those of the relation
/// when it was last settled behind an `Arc`, shared by the copies made to
/// update it, and the ids of the rows added since. A copy thus costs
/// nothing per row it shares; settling folds the new rows in (a move when
/// nothing else shares the others, else a copy once the new ones come to
/// a [`OWN_SHARE`]th of them), for relations and for [`Witnesses`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Rows {
    frozen: Arc<Vec<Id>>,
    /// The ids of the rows after those of `frozen`.
    tail: Vec<Id>,
}

impl From<Vec<Id>> for Rows {
    /// Rows of a vector of this relation's own, none shared.
    fn from(ids: Vec<Id>) -> Rows {
        Rows {
            frozen: Arc::default(),
            tail: ids,
        }
    }
}

impl Rows {
    /// Row `r` of a relation of `arity` columns.
    #[inline]
    fn row(&self, r: u32, arity: usize) -> &[Id] {
        self.view(arity).row(r)
    }

    /// The rows as two slices, for loops that read many of them.
    #[inline]
    fn view(&self, arity: usize) -> RowsView<'_> {
        RowsView {
            frozen: &self.frozen,
            tail: &self.tail,
            arity,
        }
    }

    /// The ids of the first `len` rows (of `arity` columns) in two parts,
    /// each with the number of its first row: for loops over every row.
    fn parts(&self, arity: usize, len: u32) -> [(u32, &[Id]); 2] {
        let all = len as usize * arity;
        let frozen = &self.frozen[..all.min(self.frozen.len())];
        let tail = &self.tail[..all - frozen.len()];
        let frozen_rows = frozen.len().checked_div(arity).unwrap_or(0);
        [(0, frozen), (frozen_rows as u32, tail)]
    }

    /// The ids of every row, in one vector of this relation's own (the
    /// shared ones copied if something else holds them).
    fn into_vec(self) -> Vec<Id> {
        let mut all = Arc::try_unwrap(self.frozen).unwrap_or_else(|frozen| (*frozen).clone());
        all.extend_from_slice(&self.tail);
        all
    }

    /// Row `r` of `width` ids, to change (the shared rows copied first if
    /// something else holds them).
    fn row_mut(&mut self, r: u32, width: usize) -> &mut [Id] {
        let start = r as usize * width;
        let frozen = self.frozen.len();
        match start.checked_sub(frozen) {
            None => &mut Arc::make_mut(&mut self.frozen)[start..start + width],
            Some(at) => &mut self.tail[at..at + width],
        }
    }

    /// Makes the ids `len` in all, adding zeros or dropping new ones.
    fn resize(&mut self, len: usize) {
        self.tail.resize(len.saturating_sub(self.frozen.len()), 0);
    }

    fn push(&mut self, tuple: &[Id]) {
        self.tail.extend_from_slice(tuple);
    }

    fn reserve(&mut self, ids: usize) {
        self.tail.reserve(ids);
    }

    /// Gives back the room of far fewer rows than it has room for.
    fn shrink_if_sparse(&mut self) {
        if self.tail.capacity() > self.tail.len().max(16) * SPARSE {
            self.tail.shrink_to_fit();
        }
    }

    /// A copy sharing the settled rows, with room for an eighth more rows
    /// than there are before growing.
    fn copy_with_room(&self) -> Rows {
        let room = (self.frozen.len() + self.tail.len()) / COPY_ROOM;
        let mut tail = Vec::with_capacity(self.tail.len() + room);
        tail.extend_from_slice(&self.tail);
        Rows {
            frozen: Arc::clone(&self.frozen),
            tail,
        }
    }

    /// Readies the rows to be shared by copies (see [`Rows`]).
    fn settle(&mut self) {
        if self.tail.is_empty() {
            return;
        }
        if self.frozen.is_empty() {
            self.frozen = Arc::new(std::mem::take(&mut self.tail));
            return;
        }
        let unique = Arc::get_mut(&mut self.frozen).is_some();
        if unique || self.tail.len() * OWN_SHARE > self.frozen.len() {
            Arc::make_mut(&mut self.frozen).append(&mut self.tail);
        }
    }
}

/// The rows of a relation, borrowed as plain slices: a loop that reads
/// many rows keeps them at hand instead of reaching through the relation
/// for each.
#[derive(Clone, Copy)]
pub(crate) struct RowsView<'a> {
    frozen: &'a [Id],
    tail: &'a [Id],
    arity: usize,
}

impl<'a> RowsView<'a> {
    /// Every row from row 0 on, removed ones included (see
    /// [`Relation::is_live`]), for a relation of one column or more.
    pub(crate) fn all(&self) -> impl Iterator<Item = &'a [Id]> + 'a {
        let width = self.arity.max(1);
        self.frozen
            .chunks_exact(width)
            .chain(self.tail.chunks_exact(width))
    }

    #[inline]
    pub(crate) fn row(&self, r: u32) -> &'a [Id] {
        let start = r as usize * self.arity;
        match start.checked_sub(self.frozen.len()) {
            None => &self.frozen[start..start + self.arity],
            Some(at) => &self.tail[at..at + self.arity],
        }
    }
}

/// One predicate's tuples.
pub(crate) struct Relation {
    arity: Option<usize>,
    len: u32,
    rows: Rows,
    pub(crate) keys: Keys,
    indexes: RwLock<Vec<Arc<Index>>>,
    /// Witnesses of the derived rows, when provenance is recorded.
    pub(crate) witnesses: Option<Witnesses>,
    /// Rows `0..base_prefix` are base facts (inserted, not derived) …
    base_prefix: u32,
    /// … and so are these rows (ascending): base facts inserted after
    /// derived ones (incremental updates).
    base_extra: Vec<u32>,
    /// Rows removed in place (see [`Relation::remove_rows`]): they keep
    /// their numbers until the next compaction; the key set no longer holds
    /// them, and readers of indexes and scans skip them.
    dead: RowSet,
    /// Per column mask without an index: how many times narrowed indexes
    /// on it have scanned the relation so far (see `crate::narrow`).
    narrowed_scans: Vec<(u64, u32)>,
    /// Whether some derived row may lack a derivation from earlier rows
    /// (see [`Relation::lose_derivation_order`]).
    derivation_order_lost: bool,
}

/// A set of row numbers as a bitmap; empty (no allocation) when it holds none.
#[derive(Clone, Debug, Default)]
pub(crate) struct RowSet {
    words: Vec<u64>,
    len: u32,
}

impl RowSet {
    #[inline]
    pub(crate) fn contains(&self, r: u32) -> bool {
        self.len != 0
            && self
                .words
                .get(r as usize / 64)
                .is_some_and(|w| w & (1u64 << (r % 64)) != 0)
    }

    /// Adds `r`; false when present.
    pub(crate) fn insert(&mut self, r: u32) -> bool {
        let word = r as usize / 64;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let bit = 1u64 << (r % 64);
        if self.words[word] & bit != 0 {
            return false;
        }
        self.words[word] |= bit;
        self.len += 1;
        true
    }

    /// Removes `r`; false when absent.
    pub(crate) fn remove(&mut self, r: u32) -> bool {
        if !self.contains(r) {
            return false;
        }
        self.words[r as usize / 64] &= !(1u64 << (r % 64));
        self.len -= 1;
        true
    }

    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes and returns the lowest row held in the words from `*from`
    /// on, leaving `*from` at that row's word: read from where the last
    /// one was found, the set is a queue taken in row order at the cost of
    /// one pass over its words. `None` when those words hold no row.
    #[inline]
    pub(crate) fn take_lowest_from(&mut self, from: &mut usize) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let (w, word) = self
            .words
            .iter_mut()
            .enumerate()
            .skip(*from)
            .find(|(_, word)| **word != 0)?;
        let b = word.trailing_zeros();
        *word &= *word - 1;
        self.len -= 1;
        *from = w;
        Some(w as u32 * 64 + b)
    }

    /// The rows held, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    w as u32 * 64 + b
                })
            })
        })
    }
}

impl FromIterator<u32> for RowSet {
    fn from_iter<I: IntoIterator<Item = u32>>(rows: I) -> RowSet {
        let mut set = RowSet::default();
        for r in rows {
            set.insert(r);
        }
        set
    }
}

impl Clone for Relation {
    fn clone(&self) -> Relation {
        Relation {
            rows: self.rows.clone(),
            witnesses: self.witnesses.clone(),
            ..self.clone_without_rows()
        }
    }
}

impl Relation {
    /// A copy whose rows (and witnesses) have room for an eighth more
    /// before growing: a copy made to be updated would otherwise reallocate,
    /// and copy again, its whole row vector on the update's first new row.
    fn copy_with_room(&self) -> Relation {
        let mut copy = Relation {
            rows: self.rows.copy_with_room(),
            witnesses: self.witnesses.as_ref().map(Witnesses::copy_with_room),
            ..self.clone_without_rows()
        };
        match &mut copy.keys {
            Keys::Small(set) => set.make_room_over_shared(),
            Keys::Wide(wide) => wide.make_room_over_shared(),
        }
        copy
    }

    /// How many keys, rows and witnesses' rows a copy made to update this
    /// relation would copy (those of its own, not behind shared `Arc`s).
    fn unsettled(&self) -> usize {
        let own_keys = match &self.keys {
            Keys::Small(set) => set.own.entries(),
            Keys::Wide(wide) => wide.own.entries(),
        };
        let width = self.arity.unwrap_or(0).max(1);
        let own_witnesses = self
            .witnesses
            .as_ref()
            .map_or(0, |w| w.ids.tail.len().checked_div(w.stride).unwrap_or(0));
        own_keys + self.rows.tail.len() / width + own_witnesses
    }

    /// A copy of everything but the rows and witnesses, which are left empty.
    fn clone_without_rows(&self) -> Relation {
        Relation {
            arity: self.arity,
            len: self.len,
            rows: Rows::default(),
            keys: self.keys.clone(),
            // Indexes are shared copy-on-write.
            indexes: RwLock::new(read(&self.indexes).clone()),
            witnesses: None,
            base_prefix: self.base_prefix,
            base_extra: self.base_extra.clone(),
            dead: self.dead.clone(),
            narrowed_scans: self.narrowed_scans.clone(),
            derivation_order_lost: self.derivation_order_lost,
        }
    }
}

/// A copy made for an update has room for a `COPY_ROOM`th more rows.
const COPY_ROOM: usize = 8;

/// What a copy made for an update adds of its own (an index's lists, a key
/// set's keys, witness bindings) is folded into the part it shares with
/// other copies once it comes to more than this fraction (one in so many)
/// of that part.
const OWN_SHARE: usize = 4;

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Indexes are derived data: a panic elsewhere cannot leave them wrong.
    lock.read().unwrap_or_else(|e| e.into_inner())
}

impl Relation {
    pub(crate) fn new() -> Relation {
        Relation {
            arity: None,
            len: 0,
            rows: Rows::default(),
            keys: Keys::default(),
            indexes: RwLock::new(Vec::new()),
            witnesses: None,
            base_prefix: 0,
            base_extra: Vec::new(),
            dead: RowSet::default(),
            narrowed_scans: Vec::new(),
            derivation_order_lost: false,
        }
    }

    /// Whether every derived row has a derivation from earlier rows, as
    /// evaluation leaves them (each round's rows follow the rows they
    /// were derived from): the support checks of over-deletion rely on it.
    pub(crate) fn rows_follow_derivations(&self) -> bool {
        !self.derivation_order_lost
    }

    /// Records that a derived row may have lost its derivations from
    /// earlier rows while keeping one from later rows (a closure updated
    /// by reachability, see `crate::closure`), until the derived rows are
    /// recomputed.
    pub(crate) fn lose_derivation_order(&mut self) {
        self.derivation_order_lost = true;
    }

    /// Whether some row is a base fact.
    pub(crate) fn has_base_facts(&self) -> bool {
        self.base_prefix > 0 || !self.base_extra.is_empty()
    }

    /// Whether row `r` is a base fact (given, not only derived).
    pub(crate) fn is_base(&self, r: u32) -> bool {
        r < self.base_prefix || self.base_extra.binary_search(&r).is_ok()
    }

    /// Records that row `r` is a base fact.
    pub(crate) fn mark_base(&mut self, r: u32) {
        if r < self.base_prefix {
            return;
        }
        if r == self.base_prefix && self.base_extra.is_empty() {
            self.base_prefix += 1;
            return;
        }
        if let Err(at) = self.base_extra.binary_search(&r) {
            self.base_extra.insert(at, r);
        }
    }

    /// Number of rows: they are numbered `0..len()`, and some may have
    /// been removed (see [`Relation::is_live`]).
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Number of facts: the rows not removed.
    pub(crate) fn fact_count(&self) -> u32 {
        self.len - self.dead.len()
    }

    /// Whether row `r` holds a fact (was not removed).
    #[inline]
    pub(crate) fn is_live(&self, r: u32) -> bool {
        !self.dead.contains(r)
    }

    pub(crate) fn arity(&self) -> Option<usize> {
        self.arity
    }

    /// Fixes the arity of an empty relation; `Err(actual)` when it differs.
    pub(crate) fn set_arity(&mut self, arity: usize) -> Result<(), usize> {
        match self.arity {
            None => {
                self.arity = Some(arity);
                self.keys = Keys::for_arity(arity);
                Ok(())
            }
            Some(a) if a == arity => Ok(()),
            Some(a) => Err(a),
        }
    }

    #[inline]
    pub(crate) fn row(&self, r: u32) -> &[Id] {
        self.rows.row(r, self.arity.unwrap_or(0))
    }

    /// Every row, borrowed for a loop that reads many (see [`RowsView`]).
    #[inline]
    pub(crate) fn rows(&self) -> RowsView<'_> {
        self.rows.view(self.arity.unwrap_or(0))
    }

    /// Looks `tuple` up in this relation's own key set.
    #[inline]
    pub(crate) fn find(&self, tuple: &[Id]) -> Found {
        if self.arity != Some(tuple.len()) {
            return Found::Absent;
        }
        self.keys.find(tuple, |r| self.row(r))
    }

    /// The row holding `tuple`, if present. A relation of at most two
    /// columns records the row of every key on its first lookup (about 20 ns
    /// a fact) and answers in one probe from then on.
    pub(crate) fn row_of(&self, tuple: &[Id]) -> Option<u32> {
        match &self.keys {
            Keys::Small(set) => {
                if self.arity != Some(tuple.len()) {
                    return None;
                }
                // Keys of at most two columns are exact: the key finds the row.
                let arity = tuple.len();
                // Every row, removed ones too, in order: a key's last row
                // is its live one, in this copy and in every copy that
                // shares the table (see `KeySet`).
                set.row(key_of(arity, |i| tuple[i]), RowsOf { rel: self, arity })
            }
            Keys::Wide { .. } => match self.find(tuple) {
                Found::Present(r) => r,
                Found::Absent => None,
            },
        }
    }

    /// Records the row of every key now, so that row lookups
    /// ([`Relation::row_of`]) need not; past the deadline, stops with an
    /// error. Relations of more than two columns find rows by their keys
    /// anyway.
    #[inline]
    pub(crate) fn record_rows(&self, budget: &Budget) -> Result<(), EvalError> {
        match (&self.keys, self.arity) {
            (Keys::Small(set), Some(arity)) if !set.tracks_rows() => {
                set.record_rows(RowsOf { rel: self, arity }, budget)
            }
            _ => Ok(()),
        }
    }

    /// Hints the CPU to load what [`Relation::row_of`] reads for `tuple`,
    /// so that lookups of several tuples overlap their cache misses.
    #[inline]
    pub(crate) fn prefetch_row_of(&self, tuple: &[Id]) {
        if self.arity != Some(tuple.len()) {
            return;
        }
        let key = key_of(tuple.len(), |i| tuple[i]);
        match &self.keys {
            Keys::Small(set) => set.prefetch(key),
            Keys::Wide(wide) => wide.prefetch(key),
        }
    }

    /// Keeps only the base facts (a stratum about to be recomputed).
    pub(crate) fn retain_base(&mut self) {
        let base: Vec<bool> = (0..self.len).map(|r| self.is_base(r)).collect();
        self.retain(|r| base[r as usize]);
        self.derivation_order_lost = false;
    }

    /// Makes room for `more` rows, so that adding them does not grow the key
    /// set step by step (rehashing it each time).
    pub(crate) fn reserve(&mut self, more: usize) {
        self.rows.reserve(more * self.arity.unwrap_or(0));
        match &mut self.keys {
            Keys::Small(set) => set.reserve(more),
            Keys::Wide(wide) => wide.own.reserve(more),
        }
    }

    /// Gives back the room of a relation that holds far fewer facts than
    /// it has room for: one recomputed to a fraction of what it had, after
    /// room for all of it was reserved (see [`Relation::reserve`]).
    pub(crate) fn shrink_if_sparse(&mut self) {
        self.rows.shrink_if_sparse();
        match &mut self.keys {
            Keys::Small(set) => set.shrink_if_sparse(),
            Keys::Wide(wide) => wide.own.shrink_if_sparse(),
        }
    }

    /// Keeps only the rows `keep` accepts (renumbering them); witnesses
    /// follow their rows. When most rows stay, the key set and the indexes
    /// lose the removed rows and are renumbered in one pass each
    /// (rebuilding them would hash every row again); when most go (a stratum
    /// about to be recomputed), the key set is built afresh from the few
    /// that stay and the indexes are dropped.
    pub(crate) fn retain(&mut self, keep: impl Fn(u32) -> bool) {
        let arity = self.arity.unwrap_or(0);
        let old_len = self.len;
        let mut new_row = Vec::with_capacity(old_len as usize);
        let mut staying = 0u32;
        for r in 0..old_len {
            if keep(r) && self.is_live(r) {
                new_row.push(staying);
                staying += 1;
            } else {
                new_row.push(GONE);
            }
        }
        if staying == old_len {
            return;
        }
        let most_stay = staying as usize * 2 >= old_len as usize;
        let old_rows = std::mem::take(&mut self.rows).into_vec();
        let old_witnesses = self.witnesses.take();
        let indexes = std::mem::take(self.indexes.get_mut().unwrap_or_else(|e| e.into_inner()));
        let mut witnesses = old_witnesses.as_ref().map(|_| Witnesses::default());
        let old_prefix = std::mem::take(&mut self.base_prefix);
        let old_extra = std::mem::take(&mut self.base_extra);
        let dead = std::mem::take(&mut self.dead);
        self.len = 0;
        if most_stay {
            self.keys.renumber(
                &new_row,
                |r| &old_rows[r as usize * arity..(r as usize + 1) * arity],
                &dead,
            );
        } else {
            // Rows asked for stay recorded; a small set records them anyway.
            let tracked = matches!(&self.keys, Keys::Small(set) if set.rows_asked());
            self.keys = Keys::for_arity(arity);
            if let Keys::Small(set) = &mut self.keys {
                if tracked {
                    set.track_rows_from_empty();
                }
                set.reserve(staying as usize);
            }
        }
        self.rows.reserve(staying as usize * arity);
        for r in 0..old_len {
            if new_row[r as usize] == GONE {
                continue;
            }
            let row = &old_rows[r as usize * arity..(r as usize + 1) * arity];
            if r < old_prefix || old_extra.binary_search(&r).is_ok() {
                self.mark_base(self.len);
            }
            if let (Some(new), Some(old)) = (witnesses.as_mut(), old_witnesses.as_ref()) {
                new.pad(self.len);
                if let Some((rule, kept)) = old.get(r) {
                    new.push(rule, kept);
                }
            }
            if most_stay {
                self.push_row(row);
            } else {
                self.insert(row);
            }
        }
        self.witnesses = witnesses;
        if most_stay {
            let kept: Vec<Arc<Index>> = indexes
                .into_iter()
                .map(|mut ix| {
                    Arc::make_mut(&mut ix).renumber(&new_row);
                    ix
                })
                .collect();
            *self.indexes.get_mut().unwrap_or_else(|e| e.into_inner()) = kept;
        }
    }

    /// Removes the rows `gone` lists. A few are removed in place: their
    /// tuples leave the key set, and the rows keep their numbers, marked as
    /// removed; indexes keep listing them until the next compaction, and
    /// readers skip them (taking a row out of a long list, or renumbering
    /// every entry of every index, would cost more). Once a quarter of the rows are
    /// removed ones, the relation is compacted instead (see
    /// [`Relation::retain`]).
    pub(crate) fn remove_rows(&mut self, gone: &RowSet) {
        let rows: Vec<u32> = gone
            .iter()
            .filter(|&r| r < self.len && self.is_live(r))
            .collect();
        if rows.is_empty() {
            return;
        }
        if (self.dead.len() + rows.len() as u32) * 4 > self.len {
            self.retain(|r| !gone.contains(r));
            return;
        }
        let arity = self.arity.unwrap_or(0);
        for r in rows {
            let tuple = self.rows.row(r, arity);
            self.keys.remove(tuple, r);
            self.dead.insert(r);
        }
    }

    /// Adds `tuple`; false when it was already present.
    ///
    /// # Panics
    /// When the tuple's length differs from the relation's arity.
    pub(crate) fn insert(&mut self, tuple: &[Id]) -> bool {
        let n = tuple.len();
        if let Err(a) = self.set_arity(n) {
            panic!("a tuple of {n} values inserted into a predicate of arity {a}");
        }
        let rows = &self.rows;
        if !self.keys.insert(tuple, self.len, |r| rows.row(r, n)) {
            return false;
        }
        self.push_row(tuple);
        true
    }

    /// Fills an empty relation with the base facts `ids` (rows of the
    /// relation's arity, back to back), dropping duplicates; returns how many
    /// rows it holds. The keys are inserted in the order of their slots in
    /// the key set, so building it walks memory forward instead of missing
    /// the cache once per tuple; the rows keep the given order.
    pub(crate) fn load(&mut self, ids: &[Id], count: usize) -> u32 {
        debug_assert_eq!(self.len, 0, "loading into an empty relation");
        let arity = self.arity.unwrap_or(0);
        if arity == 0 {
            // A nullary relation holds at most the empty tuple.
            if count > 0 && self.insert(&[]) {
                self.mark_base(0);
            }
            return self.len;
        }
        let tuple = |i: u32| &ids[i as usize * arity..(i as usize + 1) * arity];
        let wide = !exact_key(arity);
        // (key, tuple): keys in slot order, which is their top bits first.
        let mut order: Vec<(u64, u32)> = (0..count as u32)
            .map(|i| {
                let t = tuple(i);
                (key_of(arity, |c| t[c]), i)
            })
            .collect();
        order.sort_unstable();
        // The first of equal tuples (lowest position) is kept; tuples with
        // equal keys are compared only with the distinct ones kept so far.
        let mut kept = vec![false; count];
        let mut same_key: Vec<u32> = Vec::new();
        for k in 0..order.len() {
            if k > 0 && order[k].0 != order[k - 1].0 {
                same_key.clear();
            }
            let i = order[k].1;
            let fresh = same_key.iter().all(|&j| wide && tuple(j) != tuple(i));
            if fresh {
                kept[i as usize] = true;
                same_key.push(i);
            }
        }
        let mut row_of = vec![0u32; count];
        self.rows.reserve(ids.len());
        for i in 0..count as u32 {
            if kept[i as usize] {
                row_of[i as usize] = self.len;
                self.rows.push(tuple(i));
                self.len += 1;
            }
        }
        match &mut self.keys {
            Keys::Small(set) => {
                set.reserve(self.len as usize);
                for &(key, i) in &order {
                    if kept[i as usize] {
                        set.insert(key, row_of[i as usize]);
                    }
                }
            }
            Keys::Wide(wide) => {
                // A relation is loaded empty: its set has no shared table.
                let table = wide.unshare();
                table.reserve(self.len as usize);
                for &(key, i) in &order {
                    if kept[i as usize] {
                        table.hashed |= !is_packed(key, tuple(i));
                        table.insert_new(key, row_of[i as usize]);
                    }
                }
            }
        }
        if self.base_extra.is_empty() && self.base_prefix == 0 {
            self.base_prefix = self.len;
        } else {
            for r in 0..self.len {
                self.mark_base(r);
            }
        }
        self.len
    }

    /// Appends a row already recorded in `keys`.
    pub(crate) fn push_row(&mut self, tuple: &[Id]) {
        self.rows.push(tuple);
        self.len = self
            .len
            .checked_add(1)
            .expect("more than 2^32 tuples in one predicate");
    }

    /// The index on `mask`, brought up to date (exclusive access: no
    /// locking); past the deadline, the rows indexed so far stay indexed.
    pub(crate) fn index_mut(
        &mut self,
        mask: u64,
        budget: &Budget,
    ) -> Result<Arc<Index>, EvalError> {
        let arity = self.arity.unwrap_or(0);
        ensure_index(
            self.indexes.get_mut().unwrap_or_else(|e| e.into_inner()),
            (mask, budget),
            &self.rows,
            arity,
            self.len,
            &self.dead,
        )
    }

    /// Whether the relation keeps an index on `mask` (however many of its
    /// rows that index covers yet).
    pub(crate) fn has_index(&self, mask: u64) -> bool {
        read(&self.indexes).iter().any(|ix| ix.mask == mask)
    }

    /// How many times narrowed indexes on `mask` have scanned the relation.
    pub(crate) fn narrowed_scans(&self, mask: u64) -> u32 {
        self.narrowed_scans
            .iter()
            .find(|&&(m, _)| m == mask)
            .map_or(0, |&(_, scans)| scans)
    }

    /// Counts a scan for a narrowed index on `mask`.
    pub(crate) fn count_narrowed_scan(&mut self, mask: u64) {
        match self.narrowed_scans.iter_mut().find(|(m, _)| *m == mask) {
            Some((_, scans)) => *scans += 1,
            None => self.narrowed_scans.push((mask, 1)),
        }
    }

    /// Indexes on the given masks of only the rows whose key on each is
    /// among its probe keys, each built in one pass over the rows and not
    /// kept: for a join that probes no other key (see `crate::narrow`).
    /// Each answers its keys as the full index would. Past the deadline,
    /// the scan stops with an error.
    pub(crate) fn narrowed_indexes(
        &self,
        wanted: &[(u64, &ProbeKeys)],
        budget: &Budget,
    ) -> Result<Vec<Index>, EvalError> {
        let mut indexes: Vec<Index> = wanted.iter().map(|&(mask, _)| Index::new(mask)).collect();
        let arity = self.arity.unwrap_or(0);
        // Per index, the rows whose key it probes, with that key (row order).
        let mut hits: Vec<Vec<(u64, u32)>> = vec![Vec::new(); wanted.len()];
        let one_column: Vec<(usize, &[bool])> = indexes
            .iter()
            .zip(wanted)
            .filter_map(|(index, &(_, keys))| match (&*index.cols, &keys.ids) {
                ([col], Some(ids)) => Some((*col, ids.as_slice())),
                _ => None,
            })
            .collect();
        if arity > 0 && one_column.len() == wanted.len() {
            // Keys of one column, the common case: each index's column is
            // tested by id in a tight loop over a block of rows small
            // enough to stay in cache for the next index's loop, so memory
            // is read once however many indexes there are; two indexes (a
            // relation probed on both columns) share one loop. A large
            // relation is scanned in two halves at once, on two threads.
            let blocks: Vec<(u32, &[Id])> = self
                .rows
                .parts(arity, self.len)
                .into_iter()
                .flat_map(|(first, data)| {
                    data.chunks(NARROW_BLOCK_ROWS * arity)
                        .enumerate()
                        .map(move |(b, block)| (first + (b * NARROW_BLOCK_ROWS) as u32, block))
                })
                .collect();
            let scan = |blocks: &[(u32, &[Id])], hits: &mut [Hits]| -> Result<(), EvalError> {
                let mut unchecked_rows = 0;
                for &(block_first, block) in blocks {
                    unchecked_rows += NARROW_BLOCK_ROWS;
                    if unchecked_rows >= ROWS_PER_CHECK {
                        unchecked_rows = 0;
                        budget.check()?;
                    }
                    flag_block(block, block_first, arity, &one_column, hits);
                }
                Ok(())
            };
            if self.len as usize >= SPLIT_SCAN_MIN_ROWS {
                let (front, back) = blocks.split_at(blocks.len() / 2);
                let mut back_hits: Vec<Hits> = vec![Vec::new(); wanted.len()];
                let (front_done, back_done) = std::thread::scope(|threads| {
                    let back_scan = threads.spawn(|| scan(back, &mut back_hits));
                    let front_done = scan(front, &mut hits);
                    (front_done, back_scan.join())
                });
                front_done?;
                back_done.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                for (hits, back) in hits.iter_mut().zip(back_hits) {
                    hits.extend(back);
                }
            } else {
                scan(&blocks, &mut hits)?;
            }
        } else {
            let parts = self.rows.parts(arity, self.len);
            for ((index, &(_, keys)), hits) in indexes.iter().zip(wanted).zip(&mut hits) {
                let cols = &index.cols;
                // One-column keys kept in a table go to the set first.
                let mut keys = keys.clone();
                keys.ids_to_keys();
                for (first, data) in parts {
                    for (r, row) in (first..).zip(data.chunks_exact(arity.max(1))) {
                        if (r as usize).is_multiple_of(ROWS_PER_CHECK) {
                            budget.check()?;
                        }
                        let key = key_of(cols.len(), |i| row[cols[i]]);
                        if keys.has_key(key) {
                            hits.push((key, r));
                        }
                    }
                }
            }
        }
        for (index, hits) in indexes.iter_mut().zip(hits) {
            let map = index.map_mut();
            for (key, r) in hits {
                if self.is_live(r) {
                    map.entry(key).or_default().push(r);
                }
            }
            index.covered = self.len;
        }
        Ok(indexes)
    }

    /// The index on `mask`, built or brought up to date under a lock when
    /// needed (see [`Relation::index_mut`]).
    pub(crate) fn index_shared(&self, mask: u64, budget: &Budget) -> Result<Arc<Index>, EvalError> {
        if let Some(ix) = read(&self.indexes).iter().find(|ix| ix.mask == mask) {
            if ix.covered == self.len {
                return Ok(Arc::clone(ix));
            }
        }
        let mut list = self.indexes.write().unwrap_or_else(|e| e.into_inner());
        ensure_index(
            &mut list,
            (mask, budget),
            &self.rows,
            self.arity.unwrap_or(0),
            self.len,
            &self.dead,
        )
    }
}

fn ensure_index(
    list: &mut Vec<Arc<Index>>,
    (mask, budget): (u64, &Budget),
    rows: &Rows,
    arity: usize,
    len: u32,
    dead: &RowSet,
) -> Result<Arc<Index>, EvalError> {
    let pos = match list.iter().position(|ix| ix.mask == mask) {
        Some(pos) => pos,
        None => {
            list.push(Arc::new(Index::new(mask)));
            list.len() - 1
        }
    };
    if list[pos].covered != len {
        Arc::make_mut(&mut list[pos]).extend(rows, arity, len, dead, budget)?;
    }
    Ok(Arc::clone(&list[pos]))
}

/// A set of facts per predicate: the base facts given to
/// [`crate::Program::evaluate`] and the fixpoint it returns.
///
/// Values are dictionary-encoded internally; every method that returns tuples
/// returns them sorted by [`Value`]'s order, so results are deterministic.
/// Cloning is cheap: relations are shared copy-on-write (see
/// [`FactStore::rel_mut`]).
#[derive(Clone)]
pub struct FactStore {
    pub(crate) dict: Dict,
    /// Per predicate; shared with the copies of the store until one of
    /// them changes it.
    pub(crate) rels: Vec<Arc<Relation>>,
    /// Facts the well-founded semantics leaves undefined (neither true nor
    /// false), per predicate that has some; they are not in `rels`.
    pub(crate) undefined: Vec<(usize, Relation)>,
    /// Value-order rank of every dictionary id (for sorting), computed on demand.
    ranks: OnceLock<Vec<u32>>,
}

impl FactStore {
    /// A copy to update, leaving this store as it is: like a clone, but
    /// without the value ranks, which an update discards (see
    /// `Program::update`). It shares every relation until it changes it.
    pub(crate) fn copy_to_update(&self) -> FactStore {
        FactStore {
            dict: self.dict.clone(),
            rels: self.rels.clone(),
            undefined: self.undefined.clone(),
            ranks: OnceLock::new(),
        }
    }

    /// The relation of predicate `p`, to change: copied first if another
    /// store shares it, with room for its rows to grow by an eighth (a copy
    /// is made to be updated: see [`Relation::copy_with_room`]). A write
    /// to a large store copies only the relations it touches.
    pub(crate) fn rel_mut(&mut self, p: usize) -> &mut Relation {
        let rel = &mut self.rels[p];
        if Arc::get_mut(rel).is_none() {
            *rel = Arc::new(rel.copy_with_room());
        }
        Arc::make_mut(rel)
    }
}

impl fmt::Debug for FactStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (p, rel) in self.rels.iter().enumerate() {
            if rel.fact_count() > 0 {
                m.entry(&p, &rel.fact_count());
            }
        }
        m.finish()
    }
}

fn arity_error(pred: PredId, given: usize, arity: usize) -> crate::EvalError {
    crate::EvalError::Unsupported(format!(
        "a fact of {given} values given for predicate #{} of arity {arity}",
        pred.0
    ))
}

impl FactStore {
    /// An empty store for predicates `PredId(0..pred_count)`.
    pub fn new(pred_count: usize) -> FactStore {
        FactStore {
            dict: Dict::default(),
            rels: (0..pred_count).map(|_| Arc::new(Relation::new())).collect(),
            undefined: Vec::new(),
            ranks: OnceLock::new(),
        }
    }

    /// Number of predicates the store has room for.
    pub fn pred_count(&self) -> usize {
        self.rels.len()
    }

    /// Grows the store to hold `pred_count` predicates (never shrinks).
    pub(crate) fn grow(&mut self, pred_count: usize) {
        while self.rels.len() < pred_count {
            self.rels.push(Arc::new(Relation::new()));
        }
    }

    fn rel(&self, pred: PredId) -> &Relation {
        self.rels.get(pred.index()).unwrap_or_else(|| {
            panic!(
                "predicate {} is out of range (the store has {} predicates)",
                pred.0,
                self.rels.len()
            )
        })
    }

    /// Adds a fact; true if it is new.
    ///
    /// # Panics
    /// When `pred` is out of range, or when `tuple`'s length differs from
    /// the length of the predicate's earlier tuples.
    pub fn insert(&mut self, pred: PredId, tuple: Vec<Value>) -> bool {
        let Ok(added) = self.insert_checked(pred, tuple, |_| Ok::<(), Infallible>(()));
        added
    }

    /// [`FactStore::insert`] within the deadline: a fact present already
    /// is marked base, which looks its row up, which may record the rows
    /// of the whole relation first (see [`Relation::record_rows`]).
    pub(crate) fn insert_within(
        &mut self,
        pred: PredId,
        tuple: Vec<Value>,
        budget: &Budget,
    ) -> Result<bool, EvalError> {
        self.insert_checked(pred, tuple, |rel| rel.record_rows(budget))
    }

    /// [`FactStore::insert`], calling `record_rows` before looking up the row
    /// of a fact present already.
    fn insert_checked<E>(
        &mut self,
        pred: PredId,
        tuple: Vec<Value>,
        record_rows: impl FnOnce(&Relation) -> Result<(), E>,
    ) -> Result<bool, E> {
        self.rel(pred);
        let mut ids = Vec::with_capacity(tuple.len());
        let mut new_value = false;
        for value in tuple {
            let (id, fresh) = self.dict.intern(value);
            new_value |= fresh;
            ids.push(id);
        }
        if new_value {
            self.ranks.take();
        }
        let rel = self.rel_mut(pred.index());
        let added = rel.insert(&ids);
        let row = if added {
            Some(rel.len() - 1)
        } else {
            record_rows(rel)?;
            rel.row_of(&ids)
        };
        if let Some(r) = row {
            rel.mark_base(r);
        }
        Ok(added)
    }

    /// Adds many facts of `pred` at once (loading a fact set): the same as
    /// [`FactStore::insert`] per tuple, but with room reserved up front from
    /// the iterator's size hint and no allocation per tuple. Returns how many
    /// facts were new.
    ///
    /// Errors when `pred` is out of range or a tuple's length differs from
    /// the predicate's arity; the facts before that tuple stay added.
    pub fn extend<T>(
        &mut self,
        pred: PredId,
        tuples: impl IntoIterator<Item = T>,
    ) -> Result<usize, crate::EvalError>
    where
        T: IntoIterator<Item = Value>,
    {
        let p = pred.index();
        if p >= self.rels.len() {
            return Err(crate::EvalError::Unsupported(format!(
                "predicate #{} is out of range (the store has {} predicates)",
                pred.0,
                self.rels.len()
            )));
        }
        let tuples = tuples.into_iter();
        if self.rels[p].len() > 0 {
            return self.extend_one_by_one(pred, tuples);
        }
        // An empty relation: intern everything into one buffer, then build
        // the rows and the key set in one pass (see `Relation::load`).
        let mut ids: Vec<Id> = Vec::new();
        let mut arity = self.rels[p].arity();
        let hint = tuples.size_hint().0;
        let mut count = 0;
        let mut new_value = false;
        let mut failure = None;
        for tuple in tuples {
            let before = ids.len();
            for value in tuple {
                let (id, fresh) = self.dict.intern(value);
                new_value |= fresh;
                ids.push(id);
            }
            let n = ids.len() - before;
            match arity {
                None => {
                    arity = Some(n);
                    ids.reserve(hint.saturating_mul(n));
                }
                Some(a) if a != n => {
                    ids.truncate(before);
                    failure = Some(arity_error(pred, n, a));
                    break;
                }
                Some(_) => {}
            }
            count += 1;
        }
        if new_value {
            self.ranks.take();
        }
        let rel = self.rel_mut(p);
        let added = match arity {
            Some(a) => {
                if let Err(actual) = rel.set_arity(a) {
                    return Err(arity_error(pred, a, actual));
                }
                rel.load(&ids, count) as usize
            }
            None => 0,
        };
        match failure {
            Some(e) => Err(e),
            None => Ok(added),
        }
    }

    /// [`FactStore::extend`] into a relation that has facts: tuple by tuple.
    fn extend_one_by_one<T>(
        &mut self,
        pred: PredId,
        tuples: impl Iterator<Item = T>,
    ) -> Result<usize, crate::EvalError>
    where
        T: IntoIterator<Item = Value>,
    {
        let p = pred.index();
        let mut ids: Vec<Id> = Vec::new();
        let mut added = 0;
        let mut new_value = false;
        let mut result = Ok(());
        for tuple in tuples {
            ids.clear();
            for value in tuple {
                let (id, fresh) = self.dict.intern(value);
                new_value |= fresh;
                ids.push(id);
            }
            let rel = self.rel_mut(p);
            if let Err(arity) = rel.set_arity(ids.len()) {
                result = Err(arity_error(pred, ids.len(), arity));
                break;
            }
            let row = if rel.insert(&ids) {
                added += 1;
                Some(rel.len() - 1)
            } else {
                rel.row_of(&ids)
            };
            if let Some(r) = row {
                rel.mark_base(r);
            }
        }
        if new_value {
            self.ranks.take();
        }
        result.map(|()| added)
    }

    /// Whether the fact holds (false for an out-of-range predicate).
    pub fn contains(&self, pred: PredId, tuple: &[Value]) -> bool {
        let Some(rel) = self.rels.get(pred.index()) else {
            return false;
        };
        let ids: Option<Vec<Id>> = tuple.iter().map(|v| self.dict.get(v)).collect();
        ids.is_some_and(|ids| rel.find(&ids) != Found::Absent)
    }

    /// Rows of every relation (removed ones too) and values of the
    /// dictionary: what freeing the store walks.
    pub(crate) fn rows_and_values(&self) -> usize {
        let rows: usize = self.rels.iter().map(|r| r.len() as usize).sum();
        rows + self.dict.len()
    }

    /// Number of facts of `pred` (0 for an out-of-range predicate).
    pub fn len(&self, pred: PredId) -> usize {
        self.rels
            .get(pred.index())
            .map_or(0, |r| r.fact_count() as usize)
    }

    /// Whether `pred` has no facts.
    pub fn is_empty(&self, pred: PredId) -> bool {
        self.len(pred) == 0
    }

    /// Total number of facts over all predicates.
    pub fn total_len(&self) -> usize {
        self.rels.iter().map(|r| r.fact_count() as usize).sum()
    }

    /// All facts of `pred`, sorted by [`Value`]'s order.
    pub fn tuples(&self, pred: PredId) -> Vec<Vec<Value>> {
        let Some(rel) = self.rels.get(pred.index()) else {
            return Vec::new();
        };
        let rows: Vec<u32> = (0..rel.len).filter(|&r| rel.is_live(r)).collect();
        self.decode_sorted(rel, rows)
    }

    /// The facts of `pred` whose `column` holds `value` (an index lookup,
    /// e.g. the values of one individual's field), sorted.
    pub fn matching(&self, pred: PredId, column: usize, value: &Value) -> Vec<Vec<Value>> {
        let Some(rel) = self.rels.get(pred.index()) else {
            return Vec::new();
        };
        let (Some(arity), Some(id)) = (rel.arity, self.dict.get(value)) else {
            return Vec::new();
        };
        if column >= arity || rel.len == 0 {
            return Vec::new();
        }
        // Without a deadline the index is always built.
        let Ok(index) = rel.index_shared(1u64 << column.min(63), &Budget::unlimited()) else {
            return Vec::new();
        };
        let rows: Vec<u32> = index
            .rows(key_of(1, |_| id))
            .iter()
            .copied()
            .filter(|&r| rel.is_live(r) && rel.row(r)[column] == id)
            .collect();
        self.decode_sorted(rel, rows)
    }

    /// The facts of `pred` that are undefined under the well-founded
    /// semantics (rules with negation through recursion), sorted. They are
    /// neither true nor false: [`FactStore::tuples`] and queries never
    /// return them.
    pub fn undefined(&self, pred: PredId) -> Vec<Vec<Value>> {
        match self.undefined_rel(pred.index()) {
            Some(rel) => {
                self.decode_sorted(rel, (0..rel.len).filter(|&r| rel.is_live(r)).collect())
            }
            None => Vec::new(),
        }
    }

    /// Whether the fact is undefined under the well-founded semantics.
    pub fn is_undefined(&self, pred: PredId, tuple: &[Value]) -> bool {
        let Some(rel) = self.undefined_rel(pred.index()) else {
            return false;
        };
        let ids: Option<Vec<Id>> = tuple.iter().map(|v| self.dict.get(v)).collect();
        ids.is_some_and(|ids| rel.find(&ids) != Found::Absent)
    }

    /// A copy in which the facts of `pred` are exactly its undefined facts
    /// (every other predicate unchanged). Solving a query body over it lists
    /// the answers that rest on an undefined fact of `pred`.
    pub fn with_undefined_as_facts(&self, pred: PredId) -> FactStore {
        let mut out = self.clone();
        if let Some(slot) = out.rels.get_mut(pred.index()) {
            *slot = Arc::new(
                self.undefined_rel(pred.index())
                    .cloned()
                    .unwrap_or_else(Relation::new),
            );
        }
        out
    }

    /// Whether some fact is undefined.
    pub fn has_undefined(&self) -> bool {
        !self.undefined.is_empty()
    }

    pub(crate) fn undefined_rel(&self, pred: usize) -> Option<&Relation> {
        self.undefined
            .iter()
            .find(|(p, _)| *p == pred)
            .map(|(_, rel)| rel)
    }

    /// The value-order rank of every dictionary id, to sort `ids` ids by,
    /// when that is worth it: computing the ranks sorts the whole
    /// dictionary, so a few ids against a large dictionary (and no ranks
    /// computed yet) are better compared by value (`None`).
    pub(crate) fn ranks_for(&self, ids: usize) -> Option<&[u32]> {
        if ids.saturating_mul(4) < self.dict.len() && self.ranks.get().is_none() {
            return None;
        }
        Some(self.ranks.get_or_init(|| self.dict.ranks()))
    }

    /// Decodes `rows` of `rel`, sorted by value order.
    fn decode_sorted(&self, rel: &Relation, mut rows: Vec<u32>) -> Vec<Vec<Value>> {
        let arity = rel.arity.unwrap_or(0);
        let Some(ranks) = self.ranks_for(rows.len().saturating_mul(arity.max(1))) else {
            let mut out: Vec<Vec<Value>> = rows
                .iter()
                .map(|&r| {
                    rel.row(r)
                        .iter()
                        .map(|&id| self.dict.value(id).clone())
                        .collect()
                })
                .collect();
            out.sort_unstable();
            return out;
        };
        let decode = |row: &[Id]| -> Vec<Value> {
            row.iter().map(|&id| self.dict.value(id).clone()).collect()
        };
        if arity <= 2 {
            // Pack the ranks into one integer per tuple and sort those.
            let packed = |r: u32| {
                let row = rel.row(r);
                let rank = |c: usize| row.get(c).map_or(0, |&id| u64::from(ranks[id as usize]));
                (rank(0) << 32) | rank(1)
            };
            let mut keyed: Vec<(u64, u32)> = rows.iter().map(|&r| (packed(r), r)).collect();
            keyed.sort_unstable();
            return keyed.into_iter().map(|(_, r)| decode(rel.row(r))).collect();
        }
        rows.sort_unstable_by(|&a, &b| {
            let (ra, rb) = (rel.row(a), rel.row(b));
            for (x, y) in ra.iter().zip(rb) {
                match ranks[*x as usize].cmp(&ranks[*y as usize]) {
                    Ordering::Equal => continue,
                    other => return other,
                }
            }
            Ordering::Equal
        });
        rows.iter().map(|&r| decode(rel.row(r))).collect()
    }

    /// Drops cached value ranks (the dictionary grew).
    pub(crate) fn dict_changed(&mut self) {
        self.ranks.take();
    }

    /// Takes back, for an update in place, the key sets that no copy of
    /// the store shares any more (see [`KeySet`]).
    pub(crate) fn reclaim_keys(&mut self) {
        // A relation another store still holds keeps its sets as they are.
        for rel in self.rels.iter_mut().filter_map(Arc::get_mut) {
            match &mut rel.keys {
                Keys::Small(set) => set.reclaim(),
                Keys::Wide(wide) => wide.reclaim(),
            }
        }
    }

    /// Readies a store to be handed out: see [`Dict::settle`]; rows,
    /// witnesses and large key sets go behind `Arc`s, to be shared by
    /// copies (see [`Rows`], [`Witnesses`] and [`KeySet`]).
    pub(crate) fn settle(&mut self) {
        self.dict.settle();
        for rel in &mut self.rels {
            // A relation shared with another store (a store cloned before
            // it was settled, then evaluated) is taken as a copy of this
            // store's own when every copy made to update it would
            // otherwise copy its unsettled keys and rows again.
            if Arc::get_mut(rel).is_none() && rel.unsettled() >= SHARED_KEYS_MIN {
                Arc::make_mut(rel);
            }
        }
        for rel in self.rels.iter_mut().filter_map(Arc::get_mut) {
            match &mut rel.keys {
                Keys::Small(set) => set.settle(rel.len),
                Keys::Wide(wide) => wide.settle(rel.len),
            }
            rel.rows.settle();
            if let Some(witnesses) = rel.witnesses.as_mut() {
                witnesses.settle();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_taken_lowest_first_from_the_word_given() {
        let mut set = RowSet::default();
        for r in [130, 5, 64, 700] {
            set.insert(r);
        }
        let mut from = 0;
        assert_eq!(set.take_lowest_from(&mut from), Some(5));
        assert_eq!((set.take_lowest_from(&mut from), from), (Some(64), 1));
        // Words before `from` are not read: a row put there waits.
        set.insert(3);
        assert_eq!(set.take_lowest_from(&mut from), Some(130));
        assert_eq!(set.take_lowest_from(&mut from), Some(700));
        assert_eq!(set.take_lowest_from(&mut from), None);
        assert_eq!((set.len(), set.take_lowest_from(&mut 0)), (1, Some(3)));
        assert!(set.is_empty());
        assert_eq!(set.take_lowest_from(&mut 0), None);
    }

    /// The index of `r` on `mask`, built without a deadline.
    fn whole_index(r: &mut Relation, mask: u64) -> Arc<Index> {
        r.index_mut(mask, &Budget::unlimited())
            .expect("no deadline")
    }

    /// The rows of a set that records them already: a walk that must not
    /// happen.
    #[derive(Clone, Copy)]
    struct Recorded;

    impl KeyedRows for Recorded {
        fn each_batch(self, _: impl FnMut(&[(u64, u32)]) -> ControlFlow<()>) {
            panic!("the set records its rows: nothing walks the relation");
        }
    }

    /// (key, row) pairs given as they are, in one batch.
    #[derive(Clone, Copy)]
    struct Pairs<'a>(&'a [(u64, u32)]);

    impl KeyedRows for Pairs<'_> {
        fn each_batch(self, mut sink: impl FnMut(&[(u64, u32)]) -> ControlFlow<()>) {
            let _ = sink(self.0);
        }
    }

    #[test]
    fn insert_dedups_and_sorts() {
        let mut s = FactStore::new(2);
        assert!(s.insert(PredId(0), vec![Value::Int(3), Value::Int(1)]));
        assert!(s.insert(PredId(0), vec![Value::Int(1), Value::Int(2)]));
        assert!(!s.insert(PredId(0), vec![Value::Int(3), Value::Int(1)]));
        assert_eq!(s.len(PredId(0)), 2);
        assert!(s.contains(PredId(0), &[Value::Int(1), Value::Int(2)]));
        assert!(!s.contains(PredId(0), &[Value::Int(2), Value::Int(1)]));
        assert!(!s.contains(PredId(0), &[Value::Int(9), Value::Int(1)]));
        assert_eq!(
            s.tuples(PredId(0)),
            vec![
                vec![Value::Int(1), Value::Int(2)],
                vec![Value::Int(3), Value::Int(1)]
            ]
        );
        assert_eq!(
            s.matching(PredId(0), 1, &Value::Int(1)),
            vec![vec![Value::Int(3), Value::Int(1)]]
        );
        assert!(s.matching(PredId(0), 5, &Value::Int(1)).is_empty());
        assert!(s.tuples(PredId(1)).is_empty());
    }

    #[test]
    fn bulk_loading_equals_inserting_one_by_one() {
        let tuples = |arity: usize| -> Vec<Vec<Value>> {
            (0..3000i64)
                .map(|k| {
                    (0..arity as i64)
                        .map(|c| Value::Int((k * 7 + c) % 1100))
                        .collect()
                })
                .collect()
        };
        for arity in [1, 2, 3, 4] {
            let given = tuples(arity);
            let mut one_by_one = FactStore::new(1);
            for t in &given {
                one_by_one.insert(PredId(0), t.clone());
            }
            let mut bulk = FactStore::new(1);
            let added = bulk.extend(PredId(0), given.clone()).expect("loads");
            assert_eq!(added, one_by_one.len(PredId(0)), "arity {arity}");
            assert_eq!(bulk.tuples(PredId(0)), one_by_one.tuples(PredId(0)));
            for t in &given {
                assert!(bulk.contains(PredId(0), t));
                assert!(!bulk.insert(PredId(0), t.clone()), "already there");
            }
            let rel = &bulk.rels[0];
            assert!((0..rel.len()).all(|r| rel.is_base(r)));
            // A second batch goes tuple by tuple into the filled relation.
            let more = vec![given[0].clone(), vec![Value::Int(-1); arity]];
            assert_eq!(bulk.extend(PredId(0), more), Ok(1));
        }
    }

    #[test]
    fn bulk_loading_keeps_colliding_wide_tuples_apart() {
        let mut r = Relation::new();
        r.set_arity(3).expect("fresh");
        // Every tuple twice: each is kept once, in first-seen order.
        let ids: Vec<Id> = (0..500u32)
            .flat_map(|t| [t, t ^ 5, 9])
            .chain((0..500u32).flat_map(|t| [t, t ^ 5, 9]))
            .collect();
        assert_eq!(r.load(&ids, 1000), 500);
        for t in 0..500u32 {
            assert_eq!(r.find(&[t, t ^ 5, 9]), Found::Present(Some(t)));
            assert!(!r.insert(&[t, t ^ 5, 9]));
        }
        assert_eq!(r.find(&[1, 1, 9]), Found::Absent);
    }

    #[test]
    fn narrowed_indexes_answer_as_full_ones_for_small_and_large_ids() {
        const BIG: u32 = ID_TABLE_LIMIT + 5;
        let mut r = Relation::new();
        for k in 0..5000u32 {
            r.insert(&[k, BIG + k % 50]);
        }
        let mut small = ProbeKeys::default();
        small.insert(&[7]);
        small.insert(&[299]);
        let mut large = ProbeKeys::default();
        large.insert(&[3]);
        large.insert(&[BIG + 3]);
        assert!(
            large.ids.is_none(),
            "an id past the table moves its keys to the set"
        );
        let mut merged = ProbeKeys::default();
        merged.insert(&[11]);
        merged.merge(&large);
        let narrowed = r
            .narrowed_indexes(
                &[(0b01, &small), (0b10, &large), (0b01, &merged)],
                &Budget::unlimited(),
            )
            .expect("no deadline");
        let by_first = whole_index(&mut r, 0b01);
        let by_second = whole_index(&mut r, 0b10);
        let key = |id: u32| key_of(1, |_| id);
        for id in [7, 299] {
            assert_eq!(narrowed[0].rows(key(id)), by_first.rows(key(id)));
            assert!(!narrowed[0].rows(key(id)).is_empty());
        }
        assert!(narrowed[0].rows(key(8)).is_empty());
        assert_eq!(narrowed[1].rows(key(BIG + 3)), by_second.rows(key(BIG + 3)));
        assert_eq!(narrowed[1].rows(key(BIG + 3)).len(), 100);
        assert!(narrowed[1].rows(key(BIG + 4)).is_empty());
        for id in [3, 11] {
            assert_eq!(narrowed[2].rows(key(id)), by_first.rows(key(id)));
        }
        assert!(narrowed[2].rows(key(12)).is_empty());
    }

    #[test]
    fn narrowed_scans_of_large_relations_in_two_halves_answer_as_full_indexes() {
        let rows = SPLIT_SCAN_MIN_ROWS as u32 + 1001;
        let mut r = Relation::new();
        for i in 0..rows {
            assert!(r.insert(&[i % 997, i]));
        }
        // Column 0's keys repeat through both halves; column 1's are one
        // row each, in the first half, in the second and at the very end.
        let mut firsts = ProbeKeys::default();
        let mut seconds = ProbeKeys::default();
        for id in [0, 5, 996] {
            firsts.insert(&[id]);
        }
        for id in [3, rows / 2 + 7, rows - 1] {
            seconds.insert(&[id]);
        }
        let narrowed = r
            .narrowed_indexes(&[(0b01, &firsts), (0b10, &seconds)], &Budget::unlimited())
            .expect("no deadline");
        let by_first = whole_index(&mut r, 0b01);
        let by_second = whole_index(&mut r, 0b10);
        let key = |id: u32| key_of(1, |_| id);
        for id in [0, 5, 996] {
            assert_eq!(narrowed[0].rows(key(id)), by_first.rows(key(id)), "{id}");
        }
        for id in [3, rows / 2 + 7, rows - 1] {
            assert_eq!(narrowed[1].rows(key(id)), by_second.rows(key(id)), "{id}");
            assert_eq!(narrowed[1].rows(key(id)).len(), 1);
        }
        assert!(narrowed[0].rows(key(6)).is_empty());
        let late = r.narrowed_indexes(&[(0b01, &firsts)], &Budget::expired());
        assert!(matches!(late, Err(EvalError::DeadlineExceeded)));
    }

    #[test]
    fn a_relation_with_far_more_room_than_facts_gives_it_back() {
        let mut r = Relation::new();
        r.insert(&[0, 1]);
        r.reserve(100_000);
        for k in 1..10u32 {
            r.insert(&[k, k + 1]);
        }
        assert_eq!(r.row_of(&[3, 4]), Some(3), "rows recorded before shrinking");
        let Keys::Small(set) = &r.keys else {
            panic!("two columns make exact keys");
        };
        assert!(set.own.slots.len() >= 100_000);
        r.shrink_if_sparse();
        let Keys::Small(set) = &r.keys else {
            panic!("two columns make exact keys");
        };
        assert!(set.own.slots.len() <= 64, "{} slots", set.own.slots.len());
        assert!(r.rows.tail.capacity() < 1_000);
        for k in 0..10u32 {
            assert_eq!(r.row_of(&[k, k + 1]), Some(k));
        }
        assert_eq!(r.row_of(&[3, 3]), None);
        assert!(r.insert(&[20, 21]));
        assert!(!r.insert(&[5, 6]));
    }

    #[test]
    fn a_copy_to_update_shares_relations_until_it_changes_one() {
        let mut s = FactStore::new(1);
        for k in 0..8000i64 {
            s.insert(PredId(0), vec![Value::Int(k), Value::Int(k % 97)]);
        }
        let mut witnesses = Witnesses::default();
        for r in 0..8000 {
            witnesses.push(0, &[r]);
        }
        s.rel_mut(0).witnesses = Some(witnesses);
        s.settle();
        let mut copy = s.copy_to_update();
        assert_eq!(copy.tuples(PredId(0)), s.tuples(PredId(0)));
        assert!(
            Arc::ptr_eq(&copy.rels[0], &s.rels[0]),
            "shared until changed"
        );
        // Changing it copies the relation, which still shares the settled
        // rows and witnesses, with room for an eighth more of its own.
        let rel = copy.rel_mut(0);
        let original = &s.rels[0];
        assert!(Arc::ptr_eq(&rel.rows.frozen, &original.rows.frozen));
        assert_eq!(rel.rows.frozen.len(), 8000 * 2);
        assert!(rel.rows.tail.is_empty() && rel.rows.tail.capacity() >= 8000 * 2 / COPY_ROOM);
        let witnesses = rel.witnesses.as_ref().expect("witnesses are copied");
        let shared = original.witnesses.as_ref().expect("witnesses");
        assert!(Arc::ptr_eq(&witnesses.ids.frozen, &shared.ids.frozen));
        assert!(witnesses.ids.tail.is_empty() && witnesses.ids.tail.capacity() >= 8000 / COPY_ROOM);
        assert!(!Arc::ptr_eq(&copy.rels[0], &s.rels[0]));
        // The copy grows on its own.
        assert!(copy.insert(PredId(0), vec![Value::Int(-1), Value::Int(0)]));
        assert_eq!(copy.len(PredId(0)), 8001);
        assert_eq!(s.len(PredId(0)), 8000);
    }

    #[test]
    fn rows_read_alike_across_the_shared_part_and_the_new_one() {
        let mut rows = Rows::default();
        let tuple = |r: u32| [r, r * 10, r * 100];
        for r in 0..100 {
            rows.push(&tuple(r));
        }
        rows.settle();
        assert_eq!((rows.frozen.len(), rows.tail.len()), (300, 0), "a move");
        let mut copy = rows.copy_with_room();
        for r in 100..104 {
            copy.push(&tuple(r));
        }
        for r in 0..104 {
            assert_eq!(copy.row(r, 3), tuple(r));
        }
        let view = copy.view(3);
        for r in 0..104 {
            assert_eq!(view.row(r), tuple(r));
        }
        let in_parts = |len: u32| -> Vec<(u32, Vec<Id>)> {
            copy.parts(3, len)
                .into_iter()
                .flat_map(|(first, ids)| (first..).zip(ids.chunks_exact(3)))
                .map(|(r, row)| (r, row.to_vec()))
                .collect()
        };
        for len in [0, 3, 100, 101, 104] {
            let expected: Vec<(u32, Vec<Id>)> = (0..len).map(|r| (r, tuple(r).to_vec())).collect();
            assert_eq!(in_parts(len), expected, "{len} rows");
        }
        // A few new rows stay apart while the original shares the others ...
        copy.settle();
        assert!(Arc::ptr_eq(&copy.frozen, &rows.frozen));
        assert_eq!(copy.tail.len(), 12);
        // ... and are folded in once nothing else does.
        drop(rows);
        copy.settle();
        assert_eq!((copy.frozen.len(), copy.tail.len()), (312, 0));
        assert_eq!(
            copy.into_vec(),
            (0..104).flat_map(tuple).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_copy_extends_a_shared_index_without_copying_it() {
        // 1,000 keys of 8 rows each.
        let mut original = Relation::new();
        for k in 0..8000u32 {
            original.insert(&[k % 1000, k]);
        }
        drop(whole_index(&mut original, 0b01));
        let rows_of_key = |key: u32, rows: std::ops::Range<u32>| -> Vec<u32> {
            rows.filter(|r| r % 1000 == key).collect()
        };
        let mut copy = original.clone();
        for k in 8000..8050u32 {
            copy.insert(&[k % 1000, k]);
        }
        let (old, new) = (
            whole_index(&mut original, 0b01),
            whole_index(&mut copy, 0b01),
        );
        assert!(
            Arc::ptr_eq(&old.shared, &new.shared),
            "the big map is shared"
        );
        assert_eq!(new.own.len(), 50, "the keys extended");
        for k in 0..1000u32 {
            let key = key_of(1, |_| k);
            assert_eq!(new.rows(key), rows_of_key(k, 0..8050).as_slice());
            assert_eq!(old.rows(key), rows_of_key(k, 0..8000).as_slice());
        }
        drop((old, new));
        // Extending a quarter of the keys folds the own map into a copy of
        // the shared one.
        for k in 8050..8300u32 {
            copy.insert(&[k % 1000, k]);
        }
        let (old, new) = (
            whole_index(&mut original, 0b01),
            whole_index(&mut copy, 0b01),
        );
        assert!(!Arc::ptr_eq(&old.shared, &new.shared));
        assert!(new.own.is_empty());
        assert_eq!(
            new.rows(key_of(1, |_| 7)),
            rows_of_key(7, 0..8300).as_slice()
        );
        assert_eq!(
            old.rows(key_of(1, |_| 7)),
            rows_of_key(7, 0..8000).as_slice()
        );
        drop((old, new));
        // Removing rows from a copy leaves the original's index alone.
        let mut copy = original.clone();
        copy.insert(&[7, 9000]);
        drop(whole_index(&mut copy, 0b01));
        copy.retain(|r| r >= 4000);
        let renumbered: Vec<u32> = rows_of_key(7, 0..4000).into_iter().chain([4000]).collect();
        assert_eq!(
            whole_index(&mut copy, 0b01).rows(key_of(1, |_| 7)),
            renumbered.as_slice()
        );
        let original_rows = rows_of_key(7, 0..8000);
        assert_eq!(
            whole_index(&mut original, 0b01).rows(key_of(1, |_| 7)),
            original_rows.as_slice()
        );
    }

    /// A settled store of one predicate holding `tuples`.
    fn settled_store(tuples: impl Iterator<Item = Vec<Value>>) -> FactStore {
        let mut store = FactStore::new(1);
        for tuple in tuples {
            store.insert(PredId(0), tuple);
        }
        store.settle();
        store
    }

    /// The shared key table of the store's one relation, if it has one.
    fn shared_key_table(store: &FactStore) -> Option<*const ()> {
        match &store.rels[0].keys {
            Keys::Small(set) => set.shared.as_ref().map(|t| Arc::as_ptr(t).cast()),
            Keys::Wide(wide) => wide.shared.as_ref().map(|t| Arc::as_ptr(t).cast()),
        }
    }

    #[test]
    fn row_lookups_record_rows_of_every_width_across_shared_and_own_rows() {
        let tuples: [Vec<Vec<Value>>; 3] = [
            vec![vec![]],
            (0..6000).map(|k| vec![Value::Int(k)]).collect(),
            (0..6000)
                .map(|k| vec![Value::Int(k), Value::Int(k % 13)])
                .collect(),
        ];
        let mut store = FactStore::new(3);
        for (p, of_pred) in tuples.iter().enumerate() {
            for tuple in &of_pred[..of_pred.len() / 2] {
                store.insert(PredId(p as u32), tuple.clone());
            }
        }
        store.settle();
        // Half the rows shared, the other half the copy's own.
        let mut copy = store.copy_to_update();
        for (p, of_pred) in tuples.iter().enumerate() {
            for tuple in &of_pred[of_pred.len() / 2..] {
                copy.insert(PredId(p as u32), tuple.clone());
            }
        }
        for (p, of_pred) in tuples.iter().enumerate() {
            let rel = &copy.rels[p];
            for (row, tuple) in of_pred.iter().enumerate() {
                let ids: Vec<Id> = tuple
                    .iter()
                    .map(|v| copy.dict.get(v).expect("interned"))
                    .collect();
                assert_eq!(
                    rel.row_of(&ids),
                    Some(row as u32),
                    "predicate {p}, row {row}"
                );
            }
        }
        assert_eq!(copy.rels[0].row_of(&[]), Some(0));
    }

    #[test]
    fn settling_a_store_cloned_before_it_was_settled_takes_its_large_relations_apart() {
        let pair = |k: i64| vec![Value::Int(k), Value::Int(k % 97)];
        let mut unsettled = FactStore::new(2);
        for k in 0..5000 {
            unsettled.insert(PredId(0), pair(k));
        }
        for k in 0..10 {
            unsettled.insert(PredId(1), pair(k));
        }
        // What evaluating a clone does at its end.
        let mut evaluated = unsettled.clone();
        evaluated.settle();
        // The large relation is this store's own now, settled: a copy made
        // to update it shares its keys and rows instead of copying them.
        assert!(!Arc::ptr_eq(&evaluated.rels[0], &unsettled.rels[0]));
        let shared = shared_key_table(&evaluated).expect("a large set is shared once settled");
        assert!(evaluated.rels[0].rows.tail.is_empty());
        let mut copy = evaluated.copy_to_update();
        let rel = copy.rel_mut(0);
        assert!(Arc::ptr_eq(
            &rel.rows.frozen,
            &evaluated.rels[0].rows.frozen
        ));
        assert_eq!(shared_key_table(&copy), Some(shared));
        // A small one stays shared with the clone's source: copying it for
        // an update costs little.
        assert!(Arc::ptr_eq(&evaluated.rels[1], &unsettled.rels[1]));
        // Both stores still hold the same facts.
        for store in [&unsettled, &evaluated, &copy] {
            assert_eq!(store.tuples(PredId(0)).len(), 5000);
            assert!(store.contains(PredId(0), &pair(4999)));
        }
    }

    #[test]
    fn copies_share_a_settled_wide_key_set() {
        let triple = |k: i64| vec![Value::Int(k), Value::Int(k % 7), Value::Int(k % 13)];
        let original = settled_store((0..5000).map(triple));
        let shared = shared_key_table(&original).expect("a large set is shared once settled");
        let mut copy = original.copy_to_update();
        copy.rel_mut(0);
        assert_eq!(shared_key_table(&copy), Some(shared));
        // The copy adds tuples of its own, refuses those the shared table
        // holds, and removes some without touching the original.
        assert!(copy.insert(PredId(0), triple(-1)));
        assert!(!copy.insert(PredId(0), triple(42)));
        let ids = |store: &FactStore, k: i64| -> Vec<Id> {
            triple(k)
                .iter()
                .map(|v| store.dict.get(v).expect("interned"))
                .collect()
        };
        let gone: RowSet = [3, 4].into_iter().collect();
        copy.rel_mut(0).remove_rows(&gone);
        assert!(!copy.contains(PredId(0), &triple(3)));
        assert!(original.contains(PredId(0), &triple(3)));
        assert_eq!(original.rels[0].row_of(&ids(&original, 4)), Some(4));
        // A removed tuple comes back as a row of the copy's own.
        assert!(copy.insert(PredId(0), triple(3)));
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 3)), Some(5001));
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 4)), None);
        assert_eq!(copy.len(PredId(0)), 5000);
        // Settling while the original still holds the table keeps it
        // shared; once nothing else does, it becomes one table again, which
        // finds every tuple at its row and renumbers on compaction.
        copy.settle();
        let Keys::Wide(wide) = &copy.rels[0].keys else {
            panic!("three columns use wide keys");
        };
        assert!(wide
            .shared
            .as_ref()
            .is_some_and(|t| Arc::strong_count(t) > 1));
        drop(original);
        copy.rel_mut(0).retain(|r| r % 2 == 0);
        let rel = &copy.rels[0];
        assert_eq!(rel.fact_count(), 2500);
        for r in 0..rel.len() {
            assert_eq!(rel.find(rel.row(r)), Found::Present(Some(r)));
        }
        assert!(!copy.contains(PredId(0), &triple(1)));
    }

    #[test]
    fn copies_share_a_settled_key_set_and_add_keys_of_their_own() {
        let pair = |k: i64| vec![Value::Int(k), Value::Int(k % 7)];
        let mut original = settled_store((0..10_000).map(pair));
        let shared = shared_key_table(&original).expect("a large set is shared once settled");
        let mut copy = original.copy_to_update();
        assert_eq!(shared_key_table(&copy), Some(shared));
        // Keys of the shared table are present in the copy; new ones go to its own table.
        assert!(!copy.insert(PredId(0), pair(5)));
        for k in 10_000..10_100 {
            assert!(copy.insert(PredId(0), pair(k)));
        }
        assert!(!copy.insert(PredId(0), pair(10_050)));
        assert_eq!(copy.len(PredId(0)), 10_100);
        assert!(copy.contains(PredId(0), &pair(10_050)));
        assert!(!original.contains(PredId(0), &pair(10_050)));
        assert_eq!(original.len(PredId(0)), 10_000);
        // Rows are found in either table.
        let ids = |store: &FactStore, k: i64| -> Vec<Id> {
            pair(k)
                .iter()
                .map(|v| store.dict.get(v).expect("interned"))
                .collect()
        };
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 42)), Some(42));
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 10_042)), Some(10_042));
        // Settling keeps a small own table apart, and folds a large one.
        copy.settle();
        assert_eq!(shared_key_table(&copy), shared_key_table(&original));
        for k in 10_100..13_000 {
            copy.insert(PredId(0), pair(k));
        }
        copy.settle();
        assert_ne!(shared_key_table(&copy), shared_key_table(&original));
        let Keys::Small(set) = &copy.rels[0].keys else {
            panic!("two columns make exact keys");
        };
        let folded = set.shared.as_ref().expect("shared again");
        // (The key of the tuple of ids 0 and 0 is kept aside.)
        assert_eq!(folded.len + usize::from(folded.zero.is_some()), 13_000);
        // Removing a key from a copy marks it removed there, keeping the
        // table shared and the original's set as it was.
        let mut copy = original.copy_to_update();
        let gone: RowSet = [3u32, 4].into_iter().collect();
        copy.rel_mut(0).remove_rows(&gone);
        assert_eq!(shared_key_table(&copy), shared_key_table(&original));
        assert!(!copy.contains(PredId(0), &pair(3)));
        assert!(original.contains(PredId(0), &pair(3)));
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 3)), None);
        // A removed key comes back as a new row of the copy's own. The
        // shared table's rows, recorded now through the copy, are still
        // the original's.
        assert!(copy.insert(PredId(0), pair(3)));
        assert!(!copy.insert(PredId(0), pair(3)));
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 3)), Some(10_000));
        assert_eq!(copy.rels[0].row_of(&ids(&copy, 5)), Some(5));
        assert_eq!(original.rels[0].row_of(&ids(&original, 3)), Some(3));
        // Made one table, the copy keeps exactly its keys.
        let Keys::Small(set) = &mut copy.rel_mut(0).keys else {
            panic!("two columns make exact keys");
        };
        set.unshare();
        assert!(set.shared.is_none());
        assert!(copy.contains(PredId(0), &pair(3)));
        assert!(!copy.contains(PredId(0), &pair(4)));
        assert_eq!(copy.len(PredId(0)), 9_999);
        // A set nothing else shares is taken back whole, for free.
        drop(copy);
        original.reclaim_keys();
        let Keys::Small(set) = &original.rels[0].keys else {
            panic!("two columns make exact keys");
        };
        assert!(set.shared.is_none());
        assert_eq!(set.own.len + usize::from(set.own.zero.is_some()), 10_000);
    }

    #[test]
    fn one_column_indexes_built_by_counting_list_every_live_row_in_order() {
        // Dense ids (counted), and ids spread far wider than the rows (row by row).
        for spread in [1u32, 1000] {
            let mut r = Relation::new();
            for k in 0..10_000u32 {
                r.insert(&[(k % 300) * spread, k]);
            }
            let gone: RowSet = (0..10_000u32).filter(|k| k % 97 == 0).collect();
            r.remove_rows(&gone);
            let by_first = whole_index(&mut r, 0b01);
            for id in 0..300u32 {
                let expected: Vec<u32> = (0..10_000u32)
                    .filter(|k| k % 300 == id && k % 97 != 0)
                    .collect();
                let listed: Vec<u32> = by_first
                    .rows(key_of(1, |_| id * spread))
                    .iter()
                    .copied()
                    .filter(|&row| r.is_live(row))
                    .collect();
                assert_eq!(listed, expected, "id {id}, spread {spread}");
            }
            assert!(by_first.rows(key_of(1, |_| 300 * spread)).is_empty());
        }
    }

    #[test]
    fn replacing_a_witness_splits_its_run() {
        let mut w = Witnesses::default();
        w.pad(2);
        for k in 0..6u32 {
            w.push(7, &[k]);
        }
        // Rows 0-1 base, 2-7 rule 7; row 4 gets rule 9 with wider bindings.
        w.replace(4, 9, &[40, 41]);
        assert_eq!(w.get(1), None);
        assert_eq!(w.get(3), Some((7, &[1, 0][..])));
        assert_eq!(w.get(4), Some((9, &[40, 41][..])));
        assert_eq!(w.get(5), Some((7, &[3, 0][..])));
        assert_eq!(w.get(7), Some((7, &[5, 0][..])));
        // The first and last rows of a run, and a row past the covered ones.
        w.replace(2, 9, &[20]);
        w.replace(7, 9, &[70]);
        w.replace(9, 9, &[90]);
        assert_eq!(w.get(2), Some((9, &[20, 0][..])));
        assert_eq!(w.get(3), Some((7, &[1, 0][..])));
        assert_eq!(w.get(6), Some((7, &[4, 0][..])));
        assert_eq!(w.get(7), Some((9, &[70, 0][..])));
        assert_eq!(w.get(8), None, "padded as a base fact");
        assert_eq!(w.get(9), Some((9, &[90, 0][..])));
    }

    #[test]
    fn copies_share_settled_witnesses() {
        let mut original = Witnesses::default();
        original.pad(1);
        for k in 1..100u32 {
            original.push(7, &[k]);
        }
        original.settle();
        let mut copy = original.copy_with_room();
        assert!(Arc::ptr_eq(&copy.ids.frozen, &original.ids.frozen));
        copy.push(8, &[500]);
        assert_eq!(copy.get(100), Some((8, &[500][..])));
        assert_eq!(copy.get(42), Some((7, &[42][..])));
        assert_eq!(original.get(100), None);
        // Settling a copy whose shared ids another copy holds keeps them shared.
        copy.settle();
        assert!(Arc::ptr_eq(&copy.ids.frozen, &original.ids.frozen));
        // Replacing a shared row's witness copies the shared ids first.
        copy.replace(41, 9, &[77]);
        assert!(!Arc::ptr_eq(&copy.ids.frozen, &original.ids.frozen));
        assert_eq!(copy.get(41), Some((9, &[77][..])));
        assert_eq!(original.get(41), Some((7, &[41][..])));
        // Wider bindings restride every row.
        copy.replace(42, 9, &[4, 2]);
        assert_eq!(copy.get(41), Some((9, &[77, 0][..])));
        assert_eq!(copy.get(42), Some((9, &[4, 2][..])));
        assert_eq!(copy.get(43), Some((7, &[43, 0][..])));
        assert_eq!(copy.get(100), Some((8, &[500, 0][..])));
        assert_eq!(original.get(42), Some((7, &[42][..])));
        assert_eq!(original.get(0), None);
        // With nothing else holding them, settling folds new rows in.
        drop(copy);
        original.push(7, &[100]);
        original.settle();
        assert!(original.ids.tail.is_empty());
        assert_eq!(original.get(100), Some((7, &[100][..])));
    }

    #[test]
    fn bulk_loading_reports_bad_input() {
        let mut s = FactStore::new(1);
        let err = s
            .extend(
                PredId(0),
                vec![vec![Value::Int(1)], vec![Value::Int(1), Value::Int(2)]],
            )
            .expect_err("arity differs");
        assert!(err.to_string().contains("arity 1"), "{err}");
        assert_eq!(s.len(PredId(0)), 1, "the facts before the bad one stay");
        assert!(s.extend(PredId(3), vec![vec![Value::Int(1)]]).is_err());
        let mut nullary = FactStore::new(1);
        assert_eq!(
            nullary.extend(PredId(0), vec![Vec::new(), Vec::new()]),
            Ok(1)
        );
        assert!(nullary.contains(PredId(0), &[]));
    }

    #[test]
    fn removing_keys_keeps_the_others_findable_with_their_rows() {
        let mut set = KeySet::default();
        set.track_rows_from_empty();
        let keys: Vec<u64> = (0..2000u64)
            .map(|k| key_of(2, |i| (k as u32) ^ (i as u32 * 7)))
            .collect();
        for (row, &k) in keys.iter().enumerate() {
            assert!(set.insert(k, row as u32));
        }
        for &k in keys.iter().step_by(3) {
            assert!(set.remove(k));
            assert!(!set.remove(k));
        }
        // Backward shifts moved keys into the holes: their rows came along.
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(set.contains(k), i % 3 != 0, "key {i}");
            assert_eq!(
                set.row(k, Recorded),
                (i % 3 != 0).then_some(i as u32),
                "key {i}"
            );
        }
        assert!(set.insert(0, 5) && set.row(0, Recorded) == Some(5));
        assert!(set.remove(0) && !set.contains(0) && set.row(0, Recorded).is_none());
    }

    #[test]
    fn witnesses_keep_a_fixed_stride_widened_on_demand() {
        let mut w = Witnesses::default();
        w.pad(1);
        w.push(3, &[10]);
        // Two bindings per row from here on: earlier rows are padded.
        w.extend(&[(3, 1), (4, 2)], 2, &[20, 21, 30, 31, 40, 41]);
        w.push(6, &[]);
        w.pad(7);
        // A narrower batch is padded to the stride.
        w.extend(&[(6, 1), (7, 1)], 1, &[50, 60]);
        let witnesses: Vec<_> = (0..10).map(|r| w.get(r)).collect();
        assert_eq!(
            witnesses,
            vec![
                None,
                Some((3, &[10, 0][..])),
                Some((3, &[20, 21][..])),
                Some((4, &[30, 31][..])),
                Some((4, &[40, 41][..])),
                Some((6, &[0, 0][..])),
                None,
                Some((6, &[50, 0][..])),
                Some((7, &[60, 0][..])),
                None,
            ]
        );
        // Rows of one rule in a row share a run.
        assert_eq!(
            w.runs,
            vec![(0, BASE), (1, 3), (3, 4), (5, 6), (6, BASE), (7, 6), (8, 7)]
        );
    }

    #[test]
    fn retain_keeps_exact_key_sets_consistent() {
        let mut r = Relation::new();
        for a in 0..300u32 {
            r.insert(&[a, a + 1]);
        }
        r.retain(|row| row % 2 == 0);
        assert_eq!(r.len(), 150);
        for a in 0..300u32 {
            assert_eq!(r.find(&[a, a + 1]) != Found::Absent, a % 2 == 0);
        }
        assert!(r.insert(&[1, 2]));
        assert!(!r.insert(&[2, 3]));
        assert_eq!(r.row_of(&[4, 5]), Some(2));
        // Most rows going: the key set is rebuilt from the few that stay.
        // Rows 0, 10, …, 140 hold 0, 20, …, 280; row 150 holds [1, 2].
        r.retain(|row| row % 10 == 0);
        assert_eq!(r.len(), 16);
        for a in 0..300u32 {
            let stays = a % 20 == 0 || a == 1;
            assert_eq!(r.find(&[a, a + 1]) != Found::Absent, stays, "{a}");
        }
        assert!(r.insert(&[2, 3]));
        assert!(!r.insert(&[20, 21]));
    }

    /// The rows an index holds for `key`, as tuples.
    fn indexed(r: &Relation, ix: &Index, key: u64) -> Vec<Vec<Id>> {
        ix.rows(key)
            .iter()
            .map(|&row| r.row(row).to_vec())
            .collect()
    }

    #[test]
    fn retain_renumbers_indexes_and_key_rows_in_place() {
        let mut r = Relation::new();
        for a in 0..300u32 {
            r.insert(&[a % 7, a]);
        }
        let by_first = whole_index(&mut r, 0b01);
        assert_eq!(r.row_of(&[3, 10]), Some(10));
        drop(by_first);
        r.retain(|row| row % 3 != 0);
        assert_eq!(r.len(), 200);
        let ix = whole_index(&mut r, 0b01);
        for k in 0..7u32 {
            let rows = ix.rows(key_of(1, |_| k));
            assert!(rows.windows(2).all(|w| w[0] < w[1]), "ascending");
            let mut expected: Vec<Vec<Id>> = (0..300u32)
                .filter(|a| a % 7 == k && a % 3 != 0)
                .map(|a| vec![k, a])
                .collect();
            expected.sort();
            let mut got = indexed(&r, &ix, key_of(1, |_| k));
            got.sort();
            assert_eq!(got, expected, "key {k}");
        }
        for a in 0..300u32 {
            let row = r.row_of(&[a % 7, a]);
            assert_eq!(row.is_some(), a % 3 != 0, "{a}");
            if let Some(row) = row {
                assert_eq!(r.row(row), &[a % 7, a]);
            }
        }
        // Rows added afterwards extend the renumbered index and key set.
        assert!(r.insert(&[3, 3]));
        let ix = whole_index(&mut r, 0b01);
        assert!(indexed(&r, &ix, key_of(1, |_| 3)).contains(&vec![3, 3]));
        assert_eq!(r.row_of(&[3, 3]), Some(200));
    }

    #[test]
    fn removing_a_few_rows_keeps_their_numbers() {
        for arity in [2usize, 3] {
            let mut r = Relation::new();
            let tuple = |a: u32| -> Vec<Id> { (0..arity as u32).map(|c| a % 7 + c * a).collect() };
            for a in 0..100u32 {
                r.insert(&tuple(a));
            }
            let by_first = whole_index(&mut r, 0b01);
            assert_eq!(r.row_of(&tuple(10)), Some(10));
            drop(by_first);
            let gone: RowSet = [3, 10, 50].into_iter().collect();
            r.remove_rows(&gone);
            assert_eq!((r.len(), r.fact_count()), (100, 97), "arity {arity}");
            assert_eq!(r.row_of(&tuple(11)), Some(11), "others keep their rows");
            assert_eq!(r.row_of(&tuple(3)), None, "a removed tuple has no row");
            for a in 0..100u32 {
                assert_eq!(r.is_live(a), !gone.contains(a));
                assert_eq!(r.find(&tuple(a)) == Found::Absent, gone.contains(a));
            }
            // The index still lists them; every other row is listed.
            let ix = whole_index(&mut r, 0b01);
            for a in 0..100u32 {
                let rows = ix.rows(key_of(1, |_| tuple(a)[0]));
                assert!(rows.contains(&a), "row {a}");
            }
            drop(ix);
            // A removed tuple comes back as a new row; an index built now
            // leaves the removed rows out.
            assert!(r.insert(&tuple(10)));
            assert_eq!(r.row_of(&tuple(10)), Some(100));
            let by_second = whole_index(&mut r, 0b10);
            assert!(by_second
                .rows(key_of(1, |_| tuple(50)[1]))
                .iter()
                .all(|&row| r.is_live(row)));
            drop(by_second);
            // Past a quarter of removed rows, the relation is compacted.
            let most: RowSet = (0..40).collect();
            r.remove_rows(&most);
            assert_eq!(r.len(), r.fact_count());
            // 98 facts, of which rows 0..40 held 38 (rows 3 and 10 were removed).
            assert_eq!(r.fact_count(), 98 - 38);
            assert_eq!(r.row_of(&tuple(10)), Some(r.len() - 1));
            assert_eq!(r.find(&tuple(3)), Found::Absent);
            assert!(r.find(&tuple(60)) != Found::Absent);
        }
    }

    #[test]
    fn renumbering_wide_keys_keeps_colliding_rows() {
        // Three tuples under one key (as a hash collision would put them).
        let rows: Vec<[Id; 3]> = vec![[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]];
        let row = |r: u32| &rows[r as usize][..];
        let mut keys = Keys::for_arity(3);
        for (r, t) in rows.iter().enumerate().take(3) {
            assert!(keys.insert_keyed(42, t, r as u32, row));
        }
        assert!(keys.insert(&rows[3], 3, row));
        // Row 0 (the key's first row) and row 2 go: row 1 becomes row 0.
        let new_row = [GONE, 0, GONE, 1];
        keys.renumber(&new_row, row, &RowSet::default());
        let renumbered: Vec<[Id; 3]> = vec![rows[1], rows[3]];
        let now = |r: u32| &renumbered[r as usize][..];
        assert_eq!(keys.find_keyed(42, &rows[1], now), Found::Present(Some(0)));
        assert_eq!(keys.find_keyed(42, &rows[0], now), Found::Absent);
        assert_eq!(keys.find_keyed(42, &rows[2], now), Found::Absent);
        assert_eq!(keys.find(&rows[3], now), Found::Present(Some(1)));
        let Keys::Wide(wide) = &keys else {
            panic!("three columns use wide keys");
        };
        assert_eq!(wide.own.len(), 2, "the rows that went are gone");
    }

    #[test]
    fn packed_keys_find_three_small_ids_without_reading_rows() {
        let rows: Vec<[Id; 3]> = vec![[1, 2, 3], [3, 2, 1], [PACKED_ID_LIMIT - 1, 0, 7]];
        let mut keys = Keys::for_arity(3);
        for (r, t) in rows.iter().enumerate() {
            assert!(keys.insert(t, r as u32, |r| &rows[r as usize][..]));
        }
        // Every key is its tuple's packed one: an equal key is the tuple.
        let unread = |_: u32| -> &[Id] { panic!("a packed key needs no row") };
        for (r, t) in rows.iter().enumerate() {
            assert_eq!(keys.find(t, unread), Found::Present(Some(r as u32)));
            assert!(!keys.insert(t, 9, unread), "a repeat is known by its key");
        }
        assert_eq!(keys.find(&[2, 1, 3], unread), Found::Absent);
        // An id past the packed range hashes its tuple: from then on equal
        // keys are confirmed by the rows.
        let mut rows = rows;
        rows.push([PACKED_ID_LIMIT, 0, 7]);
        let row = |r: u32| &rows[r as usize][..];
        assert!(keys.insert(&rows[3], 3, row));
        let read = std::cell::Cell::new(0);
        let counting = |r: u32| {
            read.set(read.get() + 1);
            &rows[r as usize][..]
        };
        assert_eq!(keys.find(&rows[0], counting), Found::Present(Some(0)));
        assert_eq!(keys.find(&rows[3], counting), Found::Present(Some(3)));
        assert_eq!(read.get(), 2);
    }

    /// An id from one of three bands: small ones (packed keys), ones
    /// around the end of the packed range, and ones far past it (hashed).
    fn banded_id() -> impl proptest::strategy::Strategy<Value = Id> {
        use proptest::prelude::*;
        prop_oneof![
            0..6u32,
            PACKED_ID_LIMIT - 3..PACKED_ID_LIMIT + 3,
            (1u32 << 30)..(1u32 << 30) + 6,
        ]
    }

    proptest::proptest! {
        /// A three-column relation against a plain set, with tuples of
        /// packed keys, hashed keys and both in one relation: inserting,
        /// finding and removing (removals compact the relation at times).
        #[test]
        fn wide_key_sets_agree_with_a_plain_set(
            ops in proptest::collection::vec(
                (0u8..3, [banded_id(), banded_id(), banded_id()]),
                1..300,
            ),
        ) {
            let mut r = Relation::new();
            let mut model: std::collections::BTreeSet<[Id; 3]> = Default::default();
            for (op, t) in ops {
                match op {
                    0 => proptest::prop_assert_eq!(r.insert(&t), model.insert(t)),
                    1 => match r.find(&t) {
                        Found::Present(Some(row)) => {
                            proptest::prop_assert!(model.contains(&t));
                            proptest::prop_assert_eq!(r.row(row), &t[..]);
                        }
                        Found::Present(None) => proptest::prop_assert!(false, "wide keys give rows"),
                        Found::Absent => proptest::prop_assert!(!model.contains(&t)),
                    },
                    _ => {
                        if let Found::Present(Some(row)) = r.find(&t) {
                            r.remove_rows(&[row].into_iter().collect());
                            model.remove(&t);
                        }
                    }
                }
            }
            for t in &model {
                proptest::prop_assert!(matches!(r.find(t), Found::Present(Some(_))));
            }
        }
    }

    #[test]
    fn wide_tuples_survive_hash_collisions() {
        // Many 3- and 4-ary tuples: every one must be found, none twice.
        let mut r = Relation::new();
        for a in 0..40u32 {
            for b in 0..40u32 {
                assert!(r.insert(&[a, b, a ^ b, 7]));
            }
        }
        for a in 0..40u32 {
            for b in 0..40u32 {
                assert!(!r.insert(&[a, b, a ^ b, 7]));
                assert!(matches!(r.find(&[a, b, a ^ b, 7]), Found::Present(Some(_))));
                assert_eq!(r.find(&[a, b, a ^ b, 8]), Found::Absent);
            }
        }
        assert_eq!(r.len(), 1600);
    }

    #[test]
    fn colliding_keys_of_wide_tuples_are_told_apart() {
        // Force every tuple onto one key: its probe chain must keep them apart.
        let mut keys = Keys::for_arity(3);
        let mut rows: Vec<Id> = Vec::new();
        for t in 0..50u32 {
            let tuple = [t, t + 1, t + 2];
            let next = t;
            let added = keys.insert_keyed(42, &tuple, next, |r| {
                &rows[r as usize * 3..r as usize * 3 + 3]
            });
            assert!(added);
            rows.extend_from_slice(&tuple);
        }
        let row = |r: u32| &rows[r as usize * 3..r as usize * 3 + 3];
        for t in 0..50u32 {
            assert_eq!(
                keys.find_keyed(42, &[t, t + 1, t + 2], row),
                Found::Present(Some(t))
            );
            assert!(!keys.clone().insert_keyed(42, &[t, t + 1, t + 2], 99, row));
        }
        assert_eq!(keys.find_keyed(42, &[0, 0, 0], row), Found::Absent);
        assert_eq!(keys.find_keyed(7, &[0, 1, 2], row), Found::Absent);
        // A hash of 0 is kept as 1 (0 marks an empty slot): still found,
        // and told apart from a tuple hashed to 1.
        let mut table = WideTable::default();
        assert!(table.insert(0, &[0, 1, 2], 0, row));
        assert!(table.insert(1, &[1, 2, 3], 1, row));
        assert_eq!(table.find(0, &[0, 1, 2], row), Some(0));
        assert_eq!(table.find(1, &[1, 2, 3], row), Some(1));
        assert_eq!(
            table.find(0, &[1, 2, 3], row),
            Some(1),
            "rows tell them apart"
        );
        table.remove(0, 0);
        assert_eq!(table.find(0, &[0, 1, 2], row), None);
        assert_eq!(table.find(1, &[1, 2, 3], row), Some(1));
    }

    #[test]
    fn key_set_grows_and_keeps_zero() {
        let mut set = KeySet::default();
        set.track_rows_from_empty();
        assert!(!set.contains(0));
        assert!(set.insert(0, 0));
        assert!(!set.insert(0, 1));
        for k in 1..10_000u64 {
            assert!(set.insert(mix(k), k as u32));
        }
        // Growing moved every key: each kept its row; inserting again
        // changes neither.
        for k in 1..10_000u64 {
            assert!(!set.insert(mix(k), 0));
            assert!(set.contains(mix(k)));
            assert_eq!(set.row(mix(k), Recorded), Some(k as u32));
        }
        assert!(!set.contains(mix(10_001)));
        assert!(set.contains(0) && set.row(0, Recorded) == Some(0));
    }

    #[test]
    fn dictionary_copies_share_old_values_and_keep_new_ones_apart() {
        let text = |i: usize| Value::String(format!("value {i}"));
        let mut dict = Dict::default();
        for i in 0..5000 {
            assert_eq!(dict.intern(text(i)), ((2 * i) as Id, true));
            assert!(dict.intern(Value::Int(i as i64)).1);
        }
        dict.settle();
        let mut copy = dict.clone();
        assert!(
            Arc::ptr_eq(&dict.layers[0], &copy.layers[0]),
            "settled values are shared"
        );
        let (in_copy, fresh) = copy.intern(text(9999));
        assert!(fresh);
        assert_eq!(dict.get(&text(9999)), None, "the original does not see it");
        let (in_original, _) = dict.intern(Value::Bool(true));
        assert_eq!(in_copy, in_original, "both continue the same numbering");
        assert_eq!(copy.value(in_copy), &text(9999));
        assert_eq!(dict.value(in_original), &Value::Bool(true));
        // Settling the copy merges its values into a layer of its own; the
        // original's layers stay as they were, and every id of either
        // dictionary still finds its value and back.
        for i in 10_000..13_000 {
            copy.intern(text(i));
        }
        copy.settle();
        assert!(!Arc::ptr_eq(&dict.layers[0], &copy.layers[0]));
        for id in 0..copy.len() as Id {
            assert_eq!(copy.get(copy.value(id)), Some(id));
        }
        assert_eq!(dict.len(), 10_001);
        assert_eq!(dict.get(&text(4999)), Some(4999 * 2));
        assert_eq!(dict.get(&text(10_000)), None);
    }

    #[test]
    fn settled_dictionary_layers_stay_few_and_shared_ones_unchanged() {
        let mut dict = Dict::default();
        for i in 0..10_000 {
            dict.intern(Value::Int(i));
        }
        dict.settle();
        // A stream of small updates, each settled while the previous
        // generation still holds its layers.
        let mut generations = vec![dict];
        for step in 0..500i64 {
            let mut next = generations.last().expect("a generation").clone();
            for k in 0..3 {
                next.intern(Value::String(format!("new {step} {k}")));
            }
            next.settle();
            assert!(next.layers.len() <= 8, "{} layers", next.layers.len());
            for pair in next.layers.windows(2) {
                assert!(pair[1].values.len() * LAYER_RATIO < pair[0].values.len());
            }
            generations.push(next);
        }
        // Every generation still reads exactly its own values.
        for (g, dict) in generations.iter().enumerate() {
            assert_eq!(dict.len(), 10_000 + 3 * g);
            for id in (0..dict.len() as Id).step_by(7) {
                assert_eq!(dict.get(dict.value(id)), Some(id));
            }
            let after = Value::String(format!("new {g} 0"));
            assert_eq!(dict.get(&after), None, "a later generation's value");
        }
        // The first layer, shared by all, was never copied.
        let first = &generations[0].layers[0];
        assert!(generations.iter().all(|d| Arc::ptr_eq(&d.layers[0], first)));
    }

    #[test]
    fn rows_are_recorded_from_the_first_lookup_on() {
        // Large enough that its key set does not record rows from the start.
        const N: u32 = KEYS_PAST_ROWS_FROM_START;
        let mut r = Relation::new();
        for a in 0..N {
            r.insert(&[a % 13, a]);
        }
        let Keys::Small(set) = &r.keys else {
            panic!("two columns have exact keys")
        };
        assert!(!set.tracks_rows(), "evaluation does not pay for rows");
        r.remove_rows(&[10].into_iter().collect());
        // The first lookup records every row.
        assert_eq!(r.row_of(&[4000 % 13, 4000]), Some(4000));
        let Keys::Small(set) = &r.keys else {
            panic!("two columns have exact keys")
        };
        assert!(set.tracks_rows());
        for a in 0..N {
            let expected = (a != 10).then_some(a);
            assert_eq!(r.row_of(&[a % 13, a]), expected, "{a}");
        }
        // Insertions (through growth) and compaction keep it up to date.
        for a in N..4 * N {
            r.insert(&[a % 13, a]);
        }
        assert_eq!(r.row_of(&[(4 * N - 1) % 13, 4 * N - 1]), Some(4 * N - 1));
        r.retain(|row| row % 2 == 0);
        assert_eq!(r.row_of(&[0, 0]), Some(0));
        assert_eq!(r.row_of(&[2, 2]), Some(1));
        assert_eq!(r.row_of(&[1, 1]), None);
        // Most rows gone: the key set is rebuilt, still tracking.
        r.retain(|row| row < 100);
        let Keys::Small(set) = &r.keys else {
            panic!("two columns have exact keys")
        };
        assert!(set.tracks_rows());
        // Row 10 was removed before: 198 is the 99th even number kept, row 98.
        assert_eq!(r.row_of(&[198 % 13, 198]), Some(98));
        assert!(r.insert(&[0, 1_000_000]));
        assert_eq!(r.row_of(&[0, 1_000_000]), Some(100));
        // Rows asked for stay recorded as the set grows large again.
        for a in 0..N {
            r.insert(&[a % 7, a + 2_000_000]);
        }
        let Keys::Small(set) = &r.keys else {
            panic!("two columns have exact keys")
        };
        assert!(set.tracks_rows());
        assert_eq!(r.row_of(&[3, 2_000_003]), Some(104));
    }

    #[test]
    fn small_key_sets_record_rows_from_their_first_key_until_they_grow_large() {
        let mut set = KeyTable::default();
        let mut k: u64 = 0;
        loop {
            k += 1;
            assert!(set.insert(mix(k), k as u32));
            if set.slots.len() > ROWS_FROM_START_MAX_SLOTS {
                break;
            }
            assert!(set.tracks_rows(), "{k} keys, {} slots", set.slots.len());
        }
        // Outgrown: the rows went, and the next lookup records them again.
        assert!(!set.tracks_rows());
        let rows: Vec<(u64, u32)> = (1..=k).map(|k| (mix(k), k as u32)).collect();
        assert_eq!(set.row(mix(7), Pairs(&rows)), Some(7));
        assert_eq!(set.row(mix(k), Pairs(&rows)), Some(k as u32));
        assert_eq!(set.row(mix(k + 1), Pairs(&rows)), None);
    }

    #[test]
    fn nullary_relations_hold_at_most_one_tuple() {
        let mut r = Relation::new();
        assert_eq!(r.find(&[]), Found::Absent);
        assert!(r.insert(&[]));
        assert!(!r.insert(&[]));
        assert_eq!(r.find(&[]), Found::Present(None));
    }

    #[test]
    fn indexes_extend_incrementally_and_clone_cheaply() {
        let mut s = FactStore::new(1);
        for i in 0..10 {
            s.insert(PredId(0), vec![Value::Int(i % 3), Value::Int(i)]);
        }
        assert_eq!(s.matching(PredId(0), 0, &Value::Int(1)).len(), 3);
        let copy = s.clone();
        s.insert(PredId(0), vec![Value::Int(1), Value::Int(100)]);
        assert_eq!(s.matching(PredId(0), 0, &Value::Int(1)).len(), 4);
        assert_eq!(copy.matching(PredId(0), 0, &Value::Int(1)).len(), 3);
    }

    /// A relation of `rows` pairs `(i % 1000, i)`, more than a few looks
    /// at the clock's worth.
    fn many_pairs(rows: u32) -> Relation {
        let mut r = Relation::new();
        for i in 0..rows {
            assert!(r.insert(&[i % 1000, i]));
        }
        r
    }

    #[test]
    fn index_builds_past_the_deadline_stop_early_and_resume_later() {
        let rows = 3 * ROWS_PER_CHECK as u32 + 5;
        for mask in [0b01, 0b11] {
            let mut r = many_pairs(rows);
            let late = r.index_mut(mask, &Budget::expired());
            assert!(
                matches!(late, Err(EvalError::DeadlineExceeded)),
                "mask {mask:b}"
            );
            let partial = read(&r.indexes)
                .iter()
                .find(|ix| ix.mask == mask)
                .map_or(0, |ix| ix.covered);
            // One batch of rows at most, and what is there is kept.
            assert!(
                partial <= ROWS_PER_CHECK as u32,
                "mask {mask:b}: {partial} rows"
            );
            let index = whole_index(&mut r, mask);
            let mut fresh = many_pairs(rows);
            let whole = whole_index(&mut fresh, mask);
            for i in [0, 1007, 2 * ROWS_PER_CHECK as u32 + 999] {
                let probe = [i % 1000, i];
                let key = key_of(index.cols.len(), |i| probe[index.cols[i]]);
                assert_eq!(index.rows(key), whole.rows(key), "mask {mask:b}, {probe:?}");
                assert!(!index.rows(key).is_empty());
            }
        }
    }

    #[test]
    fn recording_rows_past_the_deadline_records_none_and_lookups_still_answer() {
        let rows = KEYS_PAST_ROWS_FROM_START;
        let r = many_pairs(rows);
        let late = r.record_rows(&Budget::expired());
        assert!(matches!(late, Err(EvalError::DeadlineExceeded)));
        let Keys::Small(set) = &r.keys else {
            panic!("pairs have exact keys");
        };
        assert!(!set.tracks_rows(), "nothing half recorded");
        r.record_rows(&Budget::unlimited()).expect("no deadline");
        assert!(set.tracks_rows());
        for i in [0, 1, ROWS_PER_CHECK as u32 + 17, rows - 1] {
            assert_eq!(r.row_of(&[i % 1000, i]), Some(i));
        }
        assert_eq!(r.row_of(&[1, 2]), None);
    }

    #[test]
    fn narrowing_scans_past_the_deadline_stop_with_an_error() {
        let r = many_pairs(3 * ROWS_PER_CHECK as u32);
        let mut keys = ProbeKeys::default();
        keys.insert(&[7]);
        let late = r.narrowed_indexes(&[(0b01, &keys)], &Budget::expired());
        assert!(matches!(late, Err(EvalError::DeadlineExceeded)));
        let narrowed = r
            .narrowed_indexes(&[(0b01, &keys)], &Budget::unlimited())
            .expect("no deadline");
        assert_eq!(
            narrowed[0].rows(key_of(1, |_| 7)).len(),
            3 * ROWS_PER_CHECK / 1000 + 1
        );
    }

    #[test]
    fn growing_a_key_set_past_the_deadline_leaves_it_as_it_was() {
        let mut set = KeyTable::default();
        set.track_rows_from_empty();
        let keys = 3 * ROWS_PER_CHECK as u64;
        for k in 1..=keys {
            assert!(set.insert(mix(k), k as u32));
        }
        let slots = set.slots.len();
        let late = set.reserve_within(slots, &Budget::expired());
        assert!(matches!(late, Err(EvalError::DeadlineExceeded)));
        assert_eq!(set.slots.len(), slots, "not grown");
        for k in [1, ROWS_PER_CHECK as u64 + 3, keys] {
            assert_eq!(set.row(mix(k), Recorded), Some(k as u32));
        }
        set.reserve_within(slots, &Budget::unlimited())
            .expect("no deadline");
        assert!(set.slots.len() > slots, "grown");
        for k in 1..=keys {
            assert_eq!(set.row(mix(k), Recorded), Some(k as u32), "key {k}");
        }
        assert!(!set.contains(mix(keys + 1)));
    }

    #[test]
    fn growing_a_wide_key_set_past_the_deadline_leaves_it_as_it_was() {
        let tuples = 3 * ROWS_PER_CHECK as u32;
        let rows: Vec<Id> = (0..tuples).flat_map(|t| [t, t / 7, t % 5]).collect();
        let row = |r: u32| &rows[r as usize * 3..r as usize * 3 + 3];
        let key = |t: &[Id]| key_of(3, |i| t[i]);
        let mut table = WideTable::default();
        for r in 0..tuples {
            assert!(table.insert(key(row(r)), row(r), r, row));
        }
        let slots = table.hashes.len();
        let late = table.reserve_within(slots, &Budget::expired());
        assert!(matches!(late, Err(EvalError::DeadlineExceeded)));
        assert_eq!(table.hashes.len(), slots, "not grown");
        for r in [0, ROWS_PER_CHECK as u32 + 3, tuples - 1] {
            assert_eq!(table.find(key(row(r)), row(r), row), Some(r));
        }
        table
            .reserve_within(slots, &Budget::unlimited())
            .expect("no deadline");
        assert!(table.hashes.len() > slots, "grown");
        for r in 0..tuples {
            assert_eq!(table.find(key(row(r)), row(r), row), Some(r), "row {r}");
            assert!(!table.insert(key(row(r)), row(r), tuples, row));
        }
        assert_eq!(table.find(key(&[1, 2, 3]), &[1, 2, 3], row), None);
        // Removing keeps every other tuple findable (gaps are closed).
        for r in (0..tuples).step_by(3) {
            table.remove(key(row(r)), r);
        }
        for r in 0..tuples {
            let expected = (r % 3 != 0).then_some(r);
            assert_eq!(table.find(key(row(r)), row(r), row), expected, "row {r}");
        }
        assert_eq!(table.len(), (tuples - tuples.div_ceil(3)) as usize);
    }
}
