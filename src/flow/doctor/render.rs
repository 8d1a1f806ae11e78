//! The checklist as a table, JSON or CSV.

use super::{Checklist, Verdict};
use crate::domain::report::{csv, Format};

impl Checklist {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                serde_json::to_string_pretty(self).expect("checklist serialises") + "\n"
            }
            Format::Csv => {
                let header = ["scope", "item", "result", "detail", "fix"];
                let rows: Vec<[String; 5]> = self
                    .checks
                    .iter()
                    .map(|c| {
                        [
                            c.scope.clone(),
                            c.item.clone(),
                            match c.verdict {
                                Verdict::Pass => "pass",
                                Verdict::Fail => "fail",
                                Verdict::Skip => "skip",
                                Verdict::Warn => "warn",
                            }
                            .into(),
                            c.detail.clone(),
                            c.fix.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                csv(&header, &rows)
            }
            Format::Table => self.render_text(),
        }
    }

    fn render_text(&self) -> String {
        let mut out = format!(
            "runas-guard doctor, as {}\n",
            self.identity.as_deref().unwrap_or("(unknown identity)")
        );
        let mut scope = "";
        for c in &self.checks {
            if c.scope != scope {
                scope = &c.scope;
                out.push_str(&format!("\n{scope}\n"));
            }
            out.push_str(&format!(
                "  {} {:<20} {}\n",
                c.verdict.mark(),
                c.item,
                c.detail
            ));
            if let Some(fix) = &c.fix {
                out.push_str(&format!("    {:<20} fix: {fix}\n", ""));
            }
        }
        out.push('\n');
        out.push_str(&if self.failed == 0 {
            "all checks passed\n".to_string()
        } else {
            format!("{} check(s) failed\n", self.failed)
        });
        out.push_str(&format!("legend: {}\n", super::LEGEND));
        out
    }
}
