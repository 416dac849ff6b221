//! Health: consecutive failures counted, and the recovery ladder they climb.
//!
//! Pure: the modem task reports each probe or command outcome and performs the step it is
//! given. The ladder is ESC (leave a stuck prompt) → re-initialise → reopen the port →
//! `AT+CFUN=1,1` (only where safe: some Huawei sticks reboot into mass-storage mode) → dead.
//! Any success returns to the bottom. A dead modem is retried rarely, so a stick that is
//! plugged back in recovers without a restart.

use std::time::Duration;

/// How many consecutive failures trigger the next step.
pub const FAILURES_PER_STEP: u32 = 2;

/// How many consecutive ambiguous errors (`+CMS ERROR: 500`) count as one failure. A burst of
/// them is how some modems say "I am wedged"; a single one is not.
pub const AMBIGUOUS_PER_FAILURE: u32 = 3;

/// How often a dead modem is tried again (reopen and start-up).
pub const DEAD_RETRY: Duration = Duration::from_secs(300);

/// A recovery action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Write ESC, in case the modem waits for message text.
    Esc,
    /// Run the start-up sequence again.
    Reinit,
    /// Close and reopen the port (finds a re-enumerated stick).
    Reopen,
    /// `AT+CFUN=1,1`, then reopen.
    CfunReset,
    /// Give up: mark dead, alert, retry every [`DEAD_RETRY`].
    Dead,
}

impl Step {
    /// What the modem is doing while it takes this step, for its state (`escaping`, ...).
    pub fn doing(self) -> &'static str {
        match self {
            Step::Esc => "escaping",
            Step::Reinit => "re-initialising",
            Step::Reopen => "re-opening",
            Step::CfunReset => "resetting (AT+CFUN=1,1)",
            Step::Dead => "giving up",
        }
    }
}

/// The ladder's state for one modem.
#[derive(Debug, Clone)]
pub struct Ladder {
    failures: u32,
    ambiguous: u32,
    next: usize,
    cfun_allowed: bool,
}

impl Ladder {
    /// A fresh ladder; `cfun_allowed` from configuration or the quirk table.
    pub fn new(cfun_allowed: bool) -> Self {
        Ladder {
            failures: 0,
            ambiguous: 0,
            next: 0,
            cfun_allowed,
        }
    }

    fn steps(&self) -> &'static [Step] {
        if self.cfun_allowed {
            &[
                Step::Esc,
                Step::Reinit,
                Step::Reopen,
                Step::CfunReset,
                Step::Dead,
            ]
        } else {
            &[Step::Esc, Step::Reinit, Step::Reopen, Step::Dead]
        }
    }

    /// The modem answered sensibly: back to the bottom.
    pub fn success(&mut self) {
        self.failures = 0;
        self.ambiguous = 0;
        self.next = 0;
    }

    /// A timeout or fatal answer; returns the step to take now, if one is due.
    pub fn failure(&mut self) -> Option<Step> {
        self.ambiguous = 0;
        self.failures += 1;
        if self.failures < FAILURES_PER_STEP {
            return None;
        }
        self.failures = 0;
        let steps = self.steps();
        let step = steps.get(self.next).copied().unwrap_or(Step::Dead);
        self.next = (self.next + 1).min(steps.len() - 1);
        Some(step)
    }

    /// An ambiguous error: a run of them is one failure.
    pub fn ambiguous(&mut self) -> Option<Step> {
        self.ambiguous += 1;
        if self.ambiguous >= AMBIGUOUS_PER_FAILURE {
            let a = self.ambiguous;
            let step = self.failure();
            self.ambiguous = if step.is_none() {
                a - AMBIGUOUS_PER_FAILURE
            } else {
                0
            };
            return step;
        }
        None
    }

    /// Consecutive failures counted toward the next step.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The step the next run of failures leads to.
    pub fn next_step(&self) -> Step {
        self.steps().get(self.next).copied().unwrap_or(Step::Dead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_should_climb_the_ladder_to_dead() {
        let mut l = Ladder::new(true);
        let mut steps = Vec::new();
        for _ in 0..12 {
            if let Some(s) = l.failure() {
                steps.push(s);
            }
        }
        assert_eq!(
            steps,
            [
                Step::Esc,
                Step::Reinit,
                Step::Reopen,
                Step::CfunReset,
                Step::Dead,
                Step::Dead
            ]
        );
    }

    #[test]
    fn a_success_should_return_to_the_bottom() {
        let mut l = Ladder::new(false);
        assert_eq!(l.failure(), None);
        assert_eq!(l.failure(), Some(Step::Esc));
        l.success();
        assert_eq!(l.failure(), None);
        assert_eq!(l.failure(), Some(Step::Esc));
        assert_eq!(l.failure(), None);
        assert_eq!(l.failure(), Some(Step::Reinit));
        assert_eq!(l.failure(), None);
        assert_eq!(l.failure(), Some(Step::Reopen));
        assert_eq!(l.failure(), None);
        assert_eq!(l.failure(), Some(Step::Dead), "no CFUN where it is unsafe");
    }

    #[test]
    fn a_burst_of_ambiguous_errors_should_count_as_failures() {
        let mut l = Ladder::new(true);
        let got: Vec<_> = (0..6).map(|_| l.ambiguous()).collect();
        assert_eq!(got, [None, None, None, None, None, Some(Step::Esc)]);
    }
}
