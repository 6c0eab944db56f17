//! Compaction policy: which SSTables of a shard to merge, and where the result goes.
//!
//! Leveled, per shard. Level 0 receives flushed trees; when it holds
//! [`L0_COMPACTION_TRIGGER`] tables, all of them merge with the level-1 tables they overlap into
//! new level-1 tables. Level `i ≥ 1` may hold `level_base_bytes × 10^(i-1)`; past that, the one
//! table whose overlap with level `i + 1` is smallest (least rewriting per byte moved) merges
//! into level `i + 1`, or simply moves there when it overlaps nothing. Outputs are cut at
//! `table_target_bytes`. A merge keeps only the newest version of each key; it drops
//! tombstones when nothing deeper than its output level holds data, since nothing older can then
//! be hidden by them. Snapshots are unaffected: a snapshot reads the tables of its own version,
//! which stay mapped until it is dropped, so no version a snapshot can see is ever rewritten.
//!
//! Read amplification is bounded by the L0 trigger plus one table per deeper level (plus
//! frozen trees). Write amplification is about one write per level for L0 → L1 merges plus up
//! to the level ratio (10) per deeper level in the worst case; `docs/core.md` gives figures.

use std::sync::Arc;

use crate::core::limits::{L0_COMPACTION_TRIGGER, LEVELS_MAX};
use crate::core::manifest::{ShardMeta, TableMeta};
use crate::core::options::Options;
use crate::core::version::{Levels, TableFile};

/// One compaction: inputs, newest first, and the level that receives the output.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) inputs: Vec<Arc<TableFile>>,
    pub(crate) output_level: usize,
    pub(crate) drop_tombstones: bool,
    /// A single input that overlaps nothing below moves without being rewritten.
    pub(crate) trivial_move: bool,
}

/// The compaction a shard needs now, if any.
pub(crate) fn pick(levels: &Levels, options: &Options) -> Option<Plan> {
    if levels.level(0).len() >= L0_COMPACTION_TRIGGER {
        let upper = levels.level(0).to_vec();
        let (start, end) = key_span(&upper)?;
        return Some(plan(levels, upper, 1, start, end));
    }
    let mut target = options.level_base_bytes.max(1);
    for level in 1..LEVELS_MAX - 1 {
        if levels.level_bytes(level) > target {
            let chosen = levels
                .level(level)
                .iter()
                .min_by_key(|t| overlap_bytes(levels.level(level + 1), t.key_min(), t.key_max()))?
                .clone();
            let (start, end) = (chosen.key_min().to_vec(), chosen.key_max().to_vec());
            return Some(plan(levels, vec![chosen], level + 1, start, end));
        }
        target = target.saturating_mul(10);
    }
    None
}

/// Everything into one level (the deepest in use, at least 1): the explicit `compact`.
pub(crate) fn full(levels: &Levels) -> Option<Plan> {
    let output_level = levels.deepest()?.max(1);
    let inputs: Vec<_> = levels.tables().map(|(_, t)| t.clone()).collect();
    let single_bottom = inputs.len() == 1 && levels.level(output_level).len() == 1;
    if single_bottom && levels.level(output_level)[0].table.properties().tombstone_count == 0 {
        return None;
    }
    Some(Plan { inputs, output_level, drop_tombstones: true, trivial_move: false })
}

fn plan(
    levels: &Levels,
    upper: Vec<Arc<TableFile>>,
    output_level: usize,
    start: Vec<u8>,
    end: Vec<u8>,
) -> Plan {
    let lower: Vec<_> =
        levels.level(output_level).iter().filter(|t| t.overlaps(&start, &end)).cloned().collect();
    let drop_tombstones = levels.deepest().is_none_or(|deepest| deepest <= output_level);
    let trivial_move = lower.is_empty() && upper.len() == 1;
    let inputs = upper.into_iter().chain(lower).collect();
    Plan { inputs, output_level, drop_tombstones, trivial_move }
}

fn key_span(tables: &[Arc<TableFile>]) -> Option<(Vec<u8>, Vec<u8>)> {
    let start = tables.iter().map(|t| t.key_min()).min()?.to_vec();
    let end = tables.iter().map(|t| t.key_max()).max()?.to_vec();
    Some((start, end))
}

fn overlap_bytes(tables: &[Arc<TableFile>], start: &[u8], end: &[u8]) -> u64 {
    tables.iter().filter(|t| t.overlaps(start, end)).map(|t| t.len_bytes()).sum()
}

/// `levels` with the plan's inputs replaced by `outputs` (key order) in its output level.
pub(crate) fn apply(levels: &Levels, plan: &Plan, outputs: &[Arc<TableFile>]) -> Levels {
    let is_input = |t: &Arc<TableFile>| plan.inputs.iter().any(|i| i.id == t.id);
    let mut levels = levels.clone();
    for tables in &mut levels.levels {
        tables.retain(|t| !is_input(t));
    }
    if levels.levels.len() <= plan.output_level {
        levels.levels.resize(plan.output_level + 1, Vec::new());
    }
    let target = &mut levels.levels[plan.output_level];
    target.extend(outputs.iter().cloned());
    target.sort_by(|a, b| a.key_min().cmp(b.key_min()));
    while levels.levels.last().is_some_and(Vec::is_empty) {
        levels.levels.pop();
    }
    levels
}

/// The manifest's view of [`apply`].
pub(crate) fn apply_meta(meta: &mut ShardMeta, levels: &Levels) {
    meta.levels = levels
        .levels
        .iter()
        .map(|tables| {
            tables.iter().map(|t| TableMeta { id: t.id, len_bytes: t.len_bytes() }).collect()
        })
        .collect();
}
