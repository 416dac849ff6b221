//! The Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then samples
//! `name{label="value"} number`, all samples of one family together.

use std::collections::BTreeMap;
use std::fmt::Write;

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Goes up and down.
    Gauge,
    /// Only goes up (resets at restart).
    Counter,
    /// Buckets, sum and count.
    Histogram,
}

#[derive(Debug)]
struct Family {
    help: String,
    kind: Kind,
    samples: Vec<String>,
}

/// Families being collected for one scrape; samples of a family may be added from several
/// collectors and are written together.
#[derive(Debug, Default)]
pub struct Exposition {
    families: BTreeMap<String, Family>,
}

impl Exposition {
    /// An empty scrape.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a gauge sample.
    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.sample(name, help, Kind::Gauge, name, labels, value);
    }

    /// Adds a counter sample.
    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.sample(name, help, Kind::Counter, name, labels, value);
    }

    /// Adds a sample to family `family` under the series name `series` (histograms write
    /// `x_bucket`, `x_sum` and `x_count` into family `x`).
    pub fn sample(
        &mut self,
        family: &str,
        help: &str,
        kind: Kind,
        series: &str,
        labels: &[(&str, &str)],
        value: f64,
    ) {
        let f = self
            .families
            .entry(family.to_string())
            .or_insert_with(|| Family {
                help: help.to_string(),
                kind,
                samples: Vec::new(),
            });
        let mut line = series.to_string();
        if !labels.is_empty() {
            line.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let _ = write!(line, "{k}=\"{}\"", escape(v));
            }
            line.push('}');
        }
        let _ = write!(line, " {}", number(value));
        f.samples.push(line);
    }

    /// The text to serve.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, f) in &self.families {
            let kind = match f.kind {
                Kind::Gauge => "gauge",
                Kind::Counter => "counter",
                Kind::Histogram => "histogram",
            };
            let _ = writeln!(out, "# HELP {name} {}", f.help.replace('\n', " "));
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for s in &f.samples {
                out.push_str(s);
                out.push('\n');
            }
        }
        out
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_one_family_should_be_written_together_with_escaped_labels() {
        let mut e = Exposition::new();
        e.gauge("b_depth", "Depth.", &[("status", "queued")], 3.0);
        e.counter("a_total", "Total.", &[], 1.5);
        e.gauge("b_depth", "Depth.", &[("status", "a\"b\\c\nd")], 0.0);
        assert_eq!(
            e.render(),
            "# HELP a_total Total.\n# TYPE a_total counter\na_total 1.5\n\
             # HELP b_depth Depth.\n# TYPE b_depth gauge\nb_depth{status=\"queued\"} 3\n\
             b_depth{status=\"a\\\"b\\\\c\\nd\"} 0\n"
        );
    }
}
