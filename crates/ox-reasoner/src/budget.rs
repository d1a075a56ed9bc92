//! The deadline of one evaluation, update or explanation, checked
//! cooperatively: by the join loops once per row visited (every 1024th
//! visit looks at the clock) and by every pass over a whole relation
//! (index builds, row recording, narrowing scans) once per
//! [`ROWS_PER_CHECK`] rows, so that no single step runs on for long after
//! the deadline, however large the relation.

use std::time::Instant;

use crate::EvalError;

/// Rows a pass over a relation handles between two looks at the clock:
/// a few milliseconds at worst (about 40 ns per row when building an
/// index), while the clock's 20-odd nanoseconds stay out of sight.
pub(crate) const ROWS_PER_CHECK: usize = 1 << 16;

/// Cooperative deadline: [`Budget::tick`] is called once per row visited and
/// looks at the clock every 1024 ticks.
pub(crate) struct Budget {
    deadline: Option<Instant>,
    ticks: u32,
}

impl Budget {
    pub(crate) fn new(deadline: Option<Instant>) -> Budget {
        Budget { deadline, ticks: 0 }
    }

    /// No deadline: for reads outside an evaluation (queries of a finished
    /// store), which run to completion.
    pub(crate) fn unlimited() -> Budget {
        Budget::new(None)
    }

    /// A deadline that passed a second ago: every look at the clock fails.
    #[cfg(test)]
    pub(crate) fn expired() -> Budget {
        let past = Instant::now().checked_sub(std::time::Duration::from_secs(1));
        Budget::new(Some(past.expect("the clock has run for a second")))
    }

    /// Looks at the clock now.
    pub(crate) fn check(&self) -> Result<(), EvalError> {
        match self.deadline {
            Some(d) if Instant::now() > d => Err(EvalError::DeadlineExceeded),
            _ => Ok(()),
        }
    }

    /// Counts a row visited; every 1024th looks at the clock.
    #[inline(always)]
    pub(crate) fn tick(&mut self) -> Result<(), EvalError> {
        if self.deadline.is_some() {
            self.ticks = self.ticks.wrapping_add(1);
            if self.ticks & 1023 == 0 {
                return self.check();
            }
        }
        Ok(())
    }
}

/// Rows `from..to` in ranges of at most [`ROWS_PER_CHECK`], for a pass that
/// looks at the clock after each.
pub(crate) fn row_ranges(from: u32, to: u32) -> impl Iterator<Item = std::ops::Range<u32>> {
    (from..to)
        .step_by(ROWS_PER_CHECK)
        .map(move |start| start..to.min(start.saturating_add(ROWS_PER_CHECK as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ranges_cover_every_row_once_in_order() {
        let step = ROWS_PER_CHECK as u32;
        let ranges: Vec<_> = row_ranges(5, 2 * step + 7).collect();
        assert_eq!(
            ranges,
            vec![
                5..step + 5,
                step + 5..2 * step + 5,
                2 * step + 5..2 * step + 7
            ]
        );
        assert_eq!(row_ranges(3, 3).count(), 0);
        assert_eq!(
            row_ranges(u32::MAX - 1, u32::MAX).collect::<Vec<_>>(),
            vec![u32::MAX - 1..u32::MAX]
        );
    }

    #[test]
    fn a_passed_deadline_is_reported_and_none_never_is() {
        assert!(matches!(
            Budget::expired().check(),
            Err(EvalError::DeadlineExceeded)
        ));
        assert!(Budget::unlimited().check().is_ok());
    }
}
