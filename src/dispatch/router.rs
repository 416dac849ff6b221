//! Routing rules: number prefix → routes in failover order.

use crate::config::RuleConfig;

/// The compiled rules, longest prefix first.
#[derive(Debug, Clone, Default)]
pub struct Router {
    rules: Vec<RuleConfig>,
}

impl Router {
    /// Compiles the configured rules.
    pub fn new(rules: &[RuleConfig]) -> Self {
        let mut rules = rules.to_vec();
        // Longest prefix wins; a stable sort keeps file order among equal lengths.
        rules.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Self { rules }
    }

    /// Whether there are no rules at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The routes for `to`, in the order to try them. Routes in `failed` (that refused this
    /// message before) move to the back, so a retry fails over to the next route first.
    pub fn candidates(&self, to: &str, failed: &[String]) -> Vec<String> {
        let Some(rule) = self.rules.iter().find(|r| to.starts_with(&r.prefix)) else {
            return Vec::new();
        };
        let (mut fresh, tried): (Vec<String>, Vec<String>) = rule
            .routes
            .iter()
            .cloned()
            .partition(|r| !failed.contains(r));
        fresh.extend(tried);
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(prefix: &str, routes: &[&str]) -> RuleConfig {
        RuleConfig {
            prefix: prefix.into(),
            routes: routes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_longest_matching_prefix_should_win() {
        let r = Router::new(&[rule("", &["smpp"]), rule("+358", &["sims", "smpp"])]);
        assert_eq!(r.candidates("+358401234567", &[]), ["sims", "smpp"]);
        assert_eq!(r.candidates("+46701234567", &[]), ["smpp"]);
    }

    #[test]
    fn routes_that_failed_should_be_tried_last() {
        let r = Router::new(&[rule("+358", &["a", "b", "c"])]);
        assert_eq!(r.candidates("+3584", &["a".into()]), ["b", "c", "a"]);
        assert!(r.candidates("+46", &[]).is_empty());
    }
}
