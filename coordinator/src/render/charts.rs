//! Charts drawn on the server as SVG: no scripts, nothing fetched. Each chart has a title and a
//! description for screen readers, shows its interval as a line and its estimate as a dot (no
//! meaning carried by colour), and is always followed on the page by a table of the same numbers.

use maud::{Markup, html};

/// An estimate to plot: value and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The estimate.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

fn label(proportion: bool, v: f64) -> String {
    // Enough places for the axis's steps (2.5% steps need one).
    let places = |x: f64| if (x - x.round()).abs() < 1e-6 { 0 } else { 1 };
    if proportion {
        let pct = v * 100.0;
        format!("{pct:.*}%", places(pct))
    } else {
        format!("{v:.*}", places(v))
    }
}

/// A chart's value axis: its ends and ticks, fitted to the data so that differences of a few
/// points are visible (a fixed 0–100% axis hid them inside the dots).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The axis's low end.
    pub lo: f64,
    /// Its high end.
    pub hi: f64,
    /// Where its ticks are.
    pub ticks: Vec<f64>,
}

impl Axis {
    /// An axis holding every value, with four or five tidy steps. It starts at zero unless the
    /// data start well above it (above a quarter of their top), and a proportion's stays within
    /// 0–100%.
    pub fn fit(values: impl IntoIterator<Item = f64>, proportion: bool) -> Axis {
        let (mut lo, mut hi) = values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if lo >= 0.0 && lo <= hi * 0.25 {
            lo = 0.0;
        }
        if hi - lo < 1e-9 {
            let pad = if hi.abs() > 1e-9 { hi.abs() * 0.1 } else { 1.0 };
            (lo, hi) = (lo - pad, hi + pad);
        }
        let raw = (hi - lo) / 4.0;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw * 0.999).unwrap_or(raw);
        let (mut lo, mut hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
        if proportion {
            (lo, hi) = (lo.max(0.0), hi.min(1.0));
        }
        let n = ((hi - lo) / step).round() as i64;
        let ticks = (0..=n).map(|i| lo + step * i as f64).collect();
        Axis { lo, hi, ticks }
    }

    /// Where `v` falls, from 0 (the low end) to 1 (the high end).
    fn at(&self, v: f64) -> f64 {
        ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    /// The note a chart carries when its axis does not start at zero.
    pub fn note(&self, proportion: bool) -> Option<String> {
        (self.lo > 0.0).then(|| {
            format!(
                "The axis starts at {}, not at zero, so that differences show: compare the intervals, not the lengths.",
                label(proportion, self.lo)
            )
        })
    }
}

/// A line across a chart at a reference value (England's), labelled.
#[derive(Debug, Clone)]
pub struct Reference {
    /// What it is ("England").
    pub label: String,
    /// Its value.
    pub value: f64,
}

/// What a chart shows, for screen readers: each labelled point with its interval (`interval`
/// comes before the interval's ends), or "no figure" (no data, or not published yet).
fn describe(points: &[(String, Option<Point>)], proportion: bool, interval: &str) -> String {
    points
        .iter()
        .map(|(l, p)| match p {
            Some(p) => format!(
                "{l}: {} ({interval}{} to {})",
                label(proportion, p.value),
                label(proportion, p.low),
                label(proportion, p.high)
            ),
            None => format!("{l}: no figure"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Horizontal dot-and-interval chart, one row per label, on an axis fitted to the intervals, with
/// an optional reference line (England) that the note under it names.
pub fn intervals(
    id: &str,
    title: &str,
    rows: &[(String, Option<Point>)],
    proportion: bool,
    reference: Option<&Reference>,
) -> Markup {
    let (w, left, right, top, row_h) = (960.0, 300.0, 40.0, 34.0, 30.0);
    let h = top + row_h * rows.len() as f64 + 10.0;
    let values = rows.iter().flat_map(|r| r.1).flat_map(|p| [p.low, p.high]).chain(reference.map(|r| r.value));
    let axis = Axis::fit(values, proportion);
    let x = |v: f64| left + (w - left - right) * axis.at(v);
    let described = describe(rows, proportion, "95% interval ");
    let note = axis.note(proportion);
    html! {
        figure {
            svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby=(format!("{id}-title {id}-desc")) {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (described) }
                @for t in &axis.ticks {
                    line.grid x1=(x(*t)) x2=(x(*t)) y1=(top - 8.0) y2=(h - 10.0) {}
                    text x=(x(*t)) y=(top - 14.0) text-anchor="middle" { (label(proportion, *t)) }
                }
                @if let Some(r) = reference {
                    line.reference x1=(x(r.value)) x2=(x(r.value)) y1=(top - 8.0) y2=(h - 10.0) {}
                }
                @for (i, (name, point)) in rows.iter().enumerate() {
                    @let y = top + row_h * i as f64 + row_h / 2.0;
                    text x=(left - 12.0) y=(y + 4.0) text-anchor="end" { (name) }
                    @match point {
                        Some(p) => {
                            line.interval x1=(x(p.low)) x2=(x(p.high)) y1=(y) y2=(y) {}
                            line.interval x1=(x(p.low)) x2=(x(p.low)) y1=(y - 7.0) y2=(y + 7.0) {}
                            line.interval x1=(x(p.high)) x2=(x(p.high)) y1=(y - 7.0) y2=(y + 7.0) {}
                            // A diamond smaller than the caps' height, so that even a narrow interval shows beside it.
                            @let (cx, d) = (x(p.value), 4.5);
                            polygon.point points=(format!("{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}", cx, y - d, cx + d, y, cx, y + d, cx - d, y)) {}
                        }
                        None => { text x=(left) y=(y + 4.0) { "no figure" } }
                    }
                }
                line.axis x1=(left) x2=(left) y1=(top - 8.0) y2=(h - 10.0) {}
            }
            @if note.is_some() || reference.is_some() {
                figcaption.notes {
                    @if let Some(r) = reference { "The dashed line is " (r.label) ": " (label_exact(proportion, r.value)) ". " }
                    @if let Some(n) = &note { (n) }
                }
            }
        }
    }
}

/// A value to one decimal place, for notes.
fn label_exact(proportion: bool, v: f64) -> String {
    if proportion { format!("{:.1}%", v * 100.0) } else { format!("{v:.1}") }
}

/// A line over quarters with its 95% interval as a band.
pub fn trend(id: &str, title: &str, points: &[(String, Option<Point>)], proportion: bool) -> Markup {
    let (w, h, left, right, top, bottom) = (960.0, 320.0, 70.0, 30.0, 20.0, 50.0);
    let axis = Axis::fit(points.iter().flat_map(|p| p.1).flat_map(|p| [p.low, p.high]), proportion);
    let note = axis.note(proportion);
    let n = points.len().max(1);
    let x = |i: usize| {
        if n == 1 { (left + w - right) / 2.0 } else { left + (w - left - right) * i as f64 / (n - 1) as f64 }
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - axis.at(v));
    let known: Vec<(usize, Point)> = points.iter().enumerate().filter_map(|(i, (_, p))| p.map(|p| (i, p))).collect();
    let band = {
        let upper = known.iter().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.high)));
        let lower = known.iter().rev().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.low)));
        upper.chain(lower).collect::<Vec<_>>().join(" ")
    };
    let line = known.iter().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.value))).collect::<Vec<_>>().join(" ");
    let described = describe(points, proportion, "");
    html! {
        figure {
            svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby=(format!("{id}-title {id}-desc")) {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (described) }
                @for v in &axis.ticks {
                    line.grid x1=(left) x2=(w - right) y1=(y(*v)) y2=(y(*v)) {}
                    text x=(left - 10.0) y=(y(*v) + 4.0) text-anchor="end" { (label(proportion, *v)) }
                }
                @if known.len() > 1 { polygon.band points=(band) {} polyline.line points=(line) {} }
                @for (i, p) in &known {
                    line.interval x1=(x(*i)) x2=(x(*i)) y1=(y(p.low)) y2=(y(p.high)) {}
                    circle.point cx=(x(*i)) cy=(y(p.value)) r="5" {}
                }
                @for (i, (q, _)) in points.iter().enumerate() {
                    @let anchor = if n > 1 && i == 0 { "start" } else if n > 1 && i == n - 1 { "end" } else { "middle" };
                    text x=(x(i)) y=(h - bottom + 22.0) text-anchor=(anchor) { (q) }
                }
                line.axis x1=(left) x2=(w - right) y1=(h - bottom) y2=(h - bottom) {}
            }
            @if let Some(n) = &note { figcaption.notes { (n) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_describe_every_point_for_screen_readers_and_escape_labels() {
        let rows = vec![
            ("North <East>".to_owned(), Some(Point { value: 0.5, low: 0.4, high: 0.6 })),
            ("London".to_owned(), None),
        ];
        let svg = intervals("c1", "Fully achieved", &rows, true, None).into_string();
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"c1-title\">Fully achieved</title>"));
        assert!(svg.contains("North &lt;East&gt;: 50% (95% interval 40% to 60%)"), "{svg}");
        assert!(svg.contains("London: no figure"));
        let t =
            trend("t1", "Trend", &[("2026-27-Q1".into(), Some(Point { value: 30.0, low: 20.0, high: 41.0 }))], false);
        assert!(t.into_string().contains("2026-27-Q1: 30 (20 to 41)"));
    }

    #[test]
    fn axes_fit_the_data_in_tidy_steps_and_say_when_they_do_not_start_at_zero() {
        // Regions between 64% and 70%: the axis is fitted, not 0-100%.
        let a = Axis::fit([0.642, 0.655, 0.673, 0.70], true);
        assert!(a.lo >= 0.6 && a.hi <= 0.72 && a.lo < 0.642 && a.hi >= 0.70, "{a:?}");
        assert!(a.ticks.len() >= 3 && a.ticks.len() <= 7, "{a:?}");
        assert!(a.note(true).unwrap().contains("not at zero"), "{a:?}");
        // Data near zero start at zero, with no note.
        let a = Axis::fit([0.05, 0.4], true);
        assert_eq!((a.lo, a.note(true)), (0.0, None));
        // A mean: tidy ends.
        assert_eq!(Axis::fit([50.0, 73.0], false).hi, 80.0);
        // Never beyond 0-100% for a proportion.
        let a = Axis::fit([0.001, 0.999], true);
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
        // One value, or none, still gives an axis.
        assert!(Axis::fit([0.5], true).hi > 0.5);
        assert_eq!(Axis::fit(std::iter::empty(), true).lo, 0.0);
    }

    #[test]
    fn a_difference_of_three_points_is_wider_than_a_dot() {
        let rows = vec![
            ("England".to_owned(), Some(Point { value: 0.673, low: 0.668, high: 0.678 })),
            ("South West".to_owned(), Some(Point { value: 0.642, low: 0.63, high: 0.654 })),
        ];
        let axis = Axis::fit(rows.iter().flat_map(|r| r.1).flat_map(|p| [p.low, p.high]), true);
        let px = |v: f64| 620.0 * axis.at(v);
        assert!(px(0.673) - px(0.642) > 40.0, "{axis:?}: 3.1 points must be more than 40 px apart");
        let svg =
            intervals("c", "t", &rows, true, Some(&Reference { label: "England".into(), value: 0.673 })).into_string();
        assert!(svg.contains("class=\"reference\"") && svg.contains("The dashed line is England: 67.3%"), "{svg}");
    }
}
