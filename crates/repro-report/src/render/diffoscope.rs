//! diffoscope JSON v1 (`"diffoscope-json-version": 1`): nested nodes with `source1`, `source2`,
//! `unified_diff`, `comments` and `details`, loadable by `diffoscope --load-existing-diff`.

use serde_json::{Map, Value, json};

use crate::{Detail, FileReport, Report};

/// Render `report` in diffoscope's JSON v1 format. `a` and `b` name the two sides in the root
/// node (defaults: the report's inputs, else `a` and `b`).
pub fn diffoscope_json(report: &Report) -> Vec<u8> {
    let (a, b) = match &report.inputs {
        Some(i) => (i.a.path.clone(), i.b.path.clone()),
        None => ("a".to_owned(), "b".to_owned()),
    };
    let mut comments =
        vec![format!("repro verdict: {} ({})", report.verdict, super::summary_line(report))];
    for n in &report.normalizations {
        comments.push(format!("normalization {}: {} ({} paths)", n.rule, n.description, n.count));
    }
    for t in &report.truncated {
        let p = t.path.as_deref().map(|p| format!("{p}: ")).unwrap_or_default();
        comments.push(format!("truncated: {p}{} ({})", t.message, t.limit));
    }
    let details: Vec<Value> = report
        .files
        .iter()
        .filter(|f| f.status.is_difference())
        .map(|f| file_node(&a, &b, f))
        .collect();
    let mut root = Map::new();
    root.insert("diffoscope-json-version".into(), json!(1));
    root.insert("source1".into(), json!(a));
    root.insert("source2".into(), json!(b));
    root.insert("comments".into(), json!(comments));
    root.insert("unified_diff".into(), Value::Null);
    root.insert("details".into(), Value::Array(details));
    let mut out = serde_json::to_vec(&Value::Object(root)).expect("json serializes");
    out.push(b'\n');
    out
}

fn file_node(a: &str, b: &str, f: &FileReport) -> Value {
    let mut comments = vec![format!("status: {}", f.status)];
    if let Some(fmt) = &f.format {
        comments.push(format!("format: {fmt}"));
    }
    for c in &f.causes {
        comments.push(format!("cause: {} {}", super::cause_label(c), super::evidence_text(c)));
    }
    if let Some(e) = &f.error {
        comments.push(format!("error: {e}"));
    }
    let mut details: Vec<Value> = Vec::new();
    // Metadata differences diffoscope shows as small text diffs.
    let mut meta_a = String::new();
    let mut meta_b = String::new();
    let side = |kind: &str, size: Option<u64>, x: Option<bool>, t: &Option<String>| {
        let mut s = format!("type: {kind}\n");
        if let Some(sz) = size {
            s.push_str(&format!("size: {sz}\n"));
        }
        if let Some(x) = x {
            s.push_str(&format!("owner-x: {x}\n"));
        }
        if let Some(t) = t {
            s.push_str(&format!("destination: {t}\n"));
        }
        s
    };
    let kind_b = f.kind_b.unwrap_or(f.kind);
    let present_a = !matches!(f.status, crate::Status::OnlyInB);
    let present_b = !matches!(f.status, crate::Status::OnlyInA);
    if present_a {
        meta_a = side(&f.kind.to_string(), f.size_a, f.executable_a, &f.target_a);
    }
    if present_b {
        meta_b = side(&kind_b.to_string(), f.size_b, f.executable_b, &f.target_b);
    }
    if meta_a != meta_b {
        details.push(node(
            "metadata",
            "metadata",
            Some(simple_diff(&meta_a, &meta_b)),
            vec![],
            vec![],
        ));
    }
    for d in &f.details {
        details.push(detail_node(d));
    }
    let s1 = if present_a { format!("{a}/{}", f.path) } else { "/dev/null".to_owned() };
    let s2 = if present_b { format!("{b}/{}", f.path) } else { "/dev/null".to_owned() };
    node(&s1, &s2, None, comments, details)
}

fn detail_node(d: &Detail) -> Value {
    let mut comments = d.comments.clone();
    if !d.ranges.is_empty() {
        let shown: Vec<String> =
            d.ranges.iter().take(8).map(|r| format!("{:#x}..{:#x}", r.start, r.end)).collect();
        comments.push(format!("differing byte ranges: {}", shown.join(", ")));
    }
    let children = d.children.iter().map(detail_node).collect();
    node(&d.title, &d.title, d.unified_diff.clone(), comments, children)
}

fn node(
    s1: &str,
    s2: &str,
    diff: Option<String>,
    comments: Vec<String>,
    details: Vec<Value>,
) -> Value {
    let mut m = Map::new();
    m.insert("source1".into(), json!(s1));
    m.insert("source2".into(), json!(s2));
    if !comments.is_empty() {
        m.insert("comments".into(), json!(comments));
    }
    m.insert("unified_diff".into(), diff.map_or(Value::Null, Value::String));
    if !details.is_empty() {
        m.insert("details".into(), Value::Array(details));
    }
    Value::Object(m)
}

/// A whole-text unified diff hunk of two short texts (metadata listings).
fn simple_diff(a: &str, b: &str) -> String {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    let mut s = format!(
        "@@ -{},{} +{},{} @@\n",
        usize::from(!la.is_empty()),
        la.len(),
        usize::from(!lb.is_empty()),
        lb.len()
    );
    for l in &la {
        if !lb.contains(l) {
            s.push_str(&format!("-{l}\n"));
        } else {
            s.push_str(&format!(" {l}\n"));
        }
    }
    for l in &lb {
        if !la.contains(l) {
            s.push_str(&format!("+{l}\n"));
        }
    }
    s
}
