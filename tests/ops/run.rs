//! Sequences: generated, replayed, and shrunk to a short failing one.

use super::choices::Choices;
use super::generate::gen_op;
use super::lockstep::{Lockstep, INCONCLUSIVE};
use super::op::Op;
use super::report::{Failure, Stats};

/// Generates and applies up to `max_ops` operations from `c` (stopping early
/// when a finite source runs out). Returns the ops applied and the outcome.
pub fn run_generated(
    c: &mut impl Choices,
    max_ops: usize,
    stats: &mut Stats,
) -> (Vec<Op>, Result<(), Failure>) {
    let mut ls = Lockstep::new();
    let mut ops = Vec::with_capacity(max_ops);
    let mut trace = Vec::with_capacity(max_ops);
    let mut outcome = Ok(());
    for step in 0..max_ops {
        if c.exhausted() {
            break;
        }
        let op = gen_op(c, &ls.view());
        let res = ls.apply(&op);
        trace.push(format!(
            "#{step} {op:?} => {}",
            res.as_ref().unwrap_or_else(|e| e)
        ));
        ops.push(op);
        if let Err(message) = res {
            if message.starts_with(INCONCLUSIVE) {
                ls.stats.inconclusive += 1;
                break;
            }
            outcome = Err(Failure {
                step,
                message,
                trace,
            });
            break;
        }
    }
    ls.close_all();
    stats.merge(&ls.stats);
    (ops, outcome)
}

/// Applies a fixed list of operations (a replay, or a shrink candidate).
pub fn run_ops(ops: &[Op]) -> Result<(), Failure> {
    let mut ls = Lockstep::new();
    let mut trace = Vec::with_capacity(ops.len());
    for (step, op) in ops.iter().enumerate() {
        let res = ls.apply(op);
        trace.push(format!(
            "#{step} {op:?} => {}",
            res.as_ref().unwrap_or_else(|e| e)
        ));
        if let Err(message) = res {
            if message.starts_with(INCONCLUSIVE) {
                return Ok(());
            }
            return Err(Failure {
                step,
                message,
                trace,
            });
        }
    }
    Ok(())
}

/// The first word of a failure message, to keep shrinking on the same bug.
fn failure_kind(f: &Failure) -> String {
    f.message.split(':').next().unwrap_or("").to_string()
}

/// A shorter list of ops that fails the same way: drops operations one at a
/// time (greedy delta debugging, to a fixed point).
pub fn shrink(ops: &[Op], failure: &Failure) -> Vec<Op> {
    let kind = failure_kind(failure);
    let mut cur: Vec<Op> = ops[..=failure.step.min(ops.len() - 1)].to_vec();
    loop {
        let mut progressed = false;
        let mut i = cur.len();
        while i > 0 {
            i -= 1;
            let mut cand = cur.clone();
            cand.remove(i);
            if let Err(f) = run_ops(&cand) {
                if failure_kind(&f) == kind {
                    cand.truncate(f.step + 1);
                    cur = cand;
                    progressed = true;
                    i = i.min(cur.len());
                }
            }
        }
        if !progressed {
            return cur;
        }
    }
}
