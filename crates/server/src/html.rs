//! The console's HTML, written by hand: one escaping helper that every dynamic string goes
//! through, the page frame (inline CSS and a few lines of inline JS, nothing fetched from
//! anywhere) and the entity graph drawn as SVG. (`askama`, the planned template engine, is
//! not in the offline registry of this machine; these pages are small enough without it.)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment or query value (everything but RFC 3986 unreserved).
pub fn url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Who is logged in, for the page header.
pub struct Who<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub csrf: &'a str,
}

const CSS: &str = r#"
:root{--bg:#f7f7f5;--fg:#1d1d1b;--mut:#6b6b66;--line:#d9d9d4;--acc:#1f5fa8;--warn:#c2410c;--sel:#fff3c4}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#1d1d1b;color:#fff}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin:0}
header input[type=search]{width:22rem;padding:.3rem .5rem;border-radius:4px;border:0}
header .who{margin-left:auto;color:#ccc}
main{padding:1rem;max-width:1200px}
h1{font-size:1.3rem;margin:.2rem 0 .8rem}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem;border-bottom:1px solid var(--line)}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;color:var(--mut)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.sel{background:var(--sel);outline:2px solid var(--acc)}
a{color:var(--acc)}
.mut{color:var(--mut)}
.err{background:#fde8e8;border:1px solid #f5b5b5;padding:.5rem .8rem}
.tag{display:inline-block;padding:0 .4rem;border-radius:3px;background:#e6e6e1;font-size:.85rem}
.forms{display:flex;flex-wrap:wrap;gap:1rem}
.forms form{background:#fff;border:1px solid var(--line);padding:.6rem;border-radius:4px}
input,select,textarea,button{font:inherit}
button{cursor:pointer}
pre{background:#fff;border:1px solid var(--line);padding:.8rem;overflow:auto}
svg{background:#fff;border:1px solid var(--line);max-width:100%;height:auto}
.legend span{margin-right:1rem}
.advisory pre{white-space:pre-wrap}
kbd{border:1px solid var(--line);border-radius:3px;padding:0 .3rem;background:#fff;font-size:.8rem}
"#;

/// `j`/`k` move through the rows marked `data-href`, `Enter` opens one, `/` focuses the
/// search box. Without JavaScript every row is still a plain link.
const JS: &str = r#"
(function(){
var rows=[].slice.call(document.querySelectorAll('tr[data-href]')),i=-1;
function sel(n){if(!rows.length)return;if(i>=0)rows[i].classList.remove('sel');i=Math.max(0,Math.min(rows.length-1,n));rows[i].classList.add('sel');rows[i].scrollIntoView({block:'nearest'});}
document.addEventListener('keydown',function(e){
var t=e.target.tagName;if(t==='INPUT'||t==='TEXTAREA'||t==='SELECT'||e.ctrlKey||e.metaKey||e.altKey)return;
if(e.key==='j'){sel(i+1);e.preventDefault();}
else if(e.key==='k'){sel(i-1);e.preventDefault();}
else if(e.key==='Enter'&&i>=0){location.href=rows[i].getAttribute('data-href');}
else if(e.key==='/'){var q=document.getElementById('q');if(q){q.focus();e.preventDefault();}}
});
[].forEach.call(document.querySelectorAll('button[data-copy]'),function(b){b.addEventListener('click',function(){
var t=document.getElementById(b.getAttribute('data-copy'));if(!t)return;var s=t.textContent;
function done(){b.textContent='Copied';}
if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(s).then(done,function(){});}
else{var r=document.createRange();r.selectNodeContents(t);var w=window.getSelection();w.removeAllRanges();w.addRange(r);document.execCommand('copy');done();}
});});
})();
"#;

/// A whole page: the header (search box and logout when logged in), then `body`.
pub fn page(title: &str, who: Option<&Who<'_>>, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 4096);
    s.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    let _ = write!(s, "<title>{} · Clawback</title>", esc(title));
    let _ = write!(s, "<style>{CSS}</style></head><body><header>");
    s.push_str("<a href=\"/console/\">Clawback</a>");
    if let Some(w) = who {
        s.push_str(
            "<form method=\"get\" action=\"/console/search\" role=\"search\">\
             <input type=\"search\" id=\"q\" name=\"q\" accesskey=\"s\" placeholder=\"case, order, account, employee or device id  ( / )\" aria-label=\"search\"></form>",
        );
        let _ = write!(
            s,
            "<span class=\"who\">{} ({})</span>\
             <form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Log out</button></form>",
            esc(w.name),
            esc(w.role),
            esc(w.csrf)
        );
    }
    s.push_str("</header><main>");
    s.push_str(body);
    let _ = writeln!(s, "</main><script>{JS}</script></body></html>");
    s
}

/// The login form, with an optional error message.
pub fn login(error: Option<&str>) -> String {
    let mut b = String::from("<h1>Log in</h1>");
    if let Some(e) = error {
        let _ = write!(b, "<p class=\"err\">{}</p>", esc(e));
    }
    b.push_str(
        "<form method=\"post\" action=\"/console/login\">\
         <p><label>API key<br><input type=\"password\" name=\"key\" autocomplete=\"off\" autofocus size=\"72\" required></label></p>\
         <p><button type=\"submit\">Log in</button></p></form>\
         <p class=\"mut\">Create a key with <code>clawback keys create --data DIR --role investigator</code>. \
         The console keeps a session id in an HttpOnly cookie; the key itself is never stored in the browser.</p>",
    );
    page("Log in", None, &b)
}

/// An error page.
pub fn error(who: Option<&Who<'_>>, status: u16, message: &str) -> String {
    let b = format!(
        "<h1>Error {status}</h1><p class=\"err\">{}</p><p><a href=\"/console/\">Back to the queue</a></p>",
        esc(message)
    );
    page("Error", who, &b)
}

// ---------------------------------------------------------------- the entity graph

/// An entity: `(kind, id)`.
pub type Entity = (String, String);

/// A node of the entity graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// One of [`KINDS`].
    pub kind: String,
    /// What is written on it (masked for readers without a justification).
    pub label: String,
    /// Linked to two or more accounts.
    pub shared: bool,
}

/// The ring of a kind: employees in the centre, accounts (and sellers) around them, the
/// identifiers outside; 0..=2.
fn ring(kind: &str) -> usize {
    match kind {
        "employee" => 0,
        "account" | "seller" => 1,
        _ => 2,
    }
}

fn colour(kind: &str) -> &'static str {
    match kind {
        "employee" => "#7c3aed",
        "account" => "#1f5fa8",
        "device" => "#0f766e",
        "ip" => "#4d7c0f",
        "phone" => "#b45309",
        "email" => "#be185d",
        "address" => "#57534e",
        "seller" => "#0369a1",
        "order" => "#a16207",
        _ => "#6b7280",
    }
}

/// An alert's reasons as a list: the stable code, then the words (the queue's case rows and
/// the entity pages show them alike).
pub fn reasons_list<'a>(reasons: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut b = String::from("<ul>");
    for (code, detail) in reasons {
        let _ = write!(b, "<li><code>{}</code> {}</li>", esc(code), esc(detail));
    }
    b.push_str("</ul>");
    b
}

/// The graph's legend: one bullet per kind in the colour its nodes are drawn in, and the
/// mark of a shared identifier (the case page and the entity pages share it).
pub fn legend() -> String {
    let mut b = String::from("<p class=\"legend\">");
    for k in KINDS {
        b.push_str(&format!(
            "<span><b style=\"color:{}\">●</b> {k}</span>",
            colour(k)
        ));
    }
    b.push_str("<span><b style=\"color:#ea580c\">◯ shared by 2+ accounts</b></span></p>");
    b
}

/// Kinds in the order the legend lists them.
pub const KINDS: &[&str] = &[
    "employee", "account", "seller", "device", "ip", "phone", "email", "address", "payment",
    "order",
];

/// Draws the graph as an inline SVG: concentric rings by type (employees, accounts,
/// identifiers), nodes in the order given within a ring, shared identifiers drawn with a
/// thick orange outline. Deterministic: the same nodes and edges give the same bytes.
pub fn graph_svg(nodes: &[Node], edges: &[(usize, usize)]) -> String {
    const SIZE: f64 = 760.0;
    const C: f64 = SIZE / 2.0;
    let radii = [70.0, 200.0, 330.0];
    let mut by_ring: [Vec<usize>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (i, n) in nodes.iter().enumerate() {
        by_ring[ring(&n.kind)].push(i);
    }
    let mut pos = vec![(C, C); nodes.len()];
    for (r, members) in by_ring.iter().enumerate() {
        let n = members.len();
        for (k, &i) in members.iter().enumerate() {
            if r == 0 && n == 1 {
                continue; // a lone employee sits in the centre
            }
            let a =
                std::f64::consts::TAU * k as f64 / n.max(1) as f64 - std::f64::consts::FRAC_PI_2;
            pos[i] = (C + radii[r] * a.cos(), C + radii[r] * a.sin());
        }
    }
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"graph\" viewBox=\"0 0 {SIZE} {SIZE}\" width=\"{SIZE}\" height=\"{SIZE}\" role=\"img\" aria-label=\"entity graph\">"
    );
    s.push_str("<g stroke=\"#b8b8b0\" stroke-width=\"1\">");
    for &(a, b) in edges {
        let (Some(p), Some(q)) = (pos.get(a), pos.get(b)) else {
            continue;
        };
        let shared =
            nodes.get(a).is_some_and(|n| n.shared) || nodes.get(b).is_some_and(|n| n.shared);
        let style = if shared {
            " stroke=\"#ea580c\" stroke-opacity=\"0.7\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"{style}/>",
            p.0, p.1, q.0, q.1
        );
    }
    s.push_str("</g>");
    let many = nodes.len() > 40;
    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = pos[i];
        let (r, stroke) = if n.shared {
            (10.0, " stroke=\"#ea580c\" stroke-width=\"4\"")
        } else {
            (7.0, " stroke=\"#fff\" stroke-width=\"1.5\"")
        };
        let class = if n.shared { "node shared" } else { "node" };
        let _ = write!(
            s,
            "<g class=\"{class}\"><title>{} {}{}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{}\"{stroke}/>",
            esc(&n.kind),
            esc(&n.label),
            if n.shared {
                " (shared by 2+ accounts)"
            } else {
                ""
            },
            colour(&n.kind)
        );
        // Labels: always for shared identifiers, employees and small graphs.
        if !many || n.shared || n.kind == "employee" {
            let label: String = n.label.chars().take(22).collect();
            let weight = if n.shared { " font-weight=\"700\"" } else { "" };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1d1d1b\"{weight}>{}</text>",
                x,
                y + r + 12.0,
                esc(&label)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// Builds the graph from the entities each alert names: `(kind, id)` lists, one per alert,
/// plus `links` known from the events (an account and an identifier it used). An
/// identifier or employee is linked to every account named by the same alert. Nodes come
/// out sorted by ring, kind and id; `label` turns a `(kind, id)` into its displayed text.
/// At most `max_nodes` are kept (employees, then accounts, then shared identifiers first);
/// the second value is how many were left out.
pub fn build_graph(
    alerts: &[Vec<(String, String)>],
    links: &[(Entity, Entity)],
    label: &dyn Fn(&str, &str) -> String,
    max_nodes: usize,
) -> (Vec<Node>, Vec<(usize, usize)>, usize) {
    let keep = |k: &str| KINDS.contains(&k);
    type Adj = BTreeMap<(String, String), BTreeSet<(String, String)>>;
    fn add(adj: &mut Adj, a: &(String, String), b: &(String, String)) {
        adj.entry(a.clone()).or_default().insert(b.clone());
        adj.entry(b.clone()).or_default().insert(a.clone());
    }
    let mut adj: Adj = BTreeMap::new();
    for ents in alerts {
        let ents: Vec<&(String, String)> = ents.iter().filter(|e| keep(&e.0)).collect();
        let accounts: Vec<&&(String, String)> = ents.iter().filter(|e| e.0 == "account").collect();
        for e in &ents {
            if e.0 == "account" {
                continue;
            }
            for a in &accounts {
                add(&mut adj, a, e);
            }
        }
        if accounts.is_empty() {
            // No account (an insider alert on its own): tie what it names together.
            for w in ents.windows(2) {
                add(&mut adj, w[0], w[1]);
            }
        }
        for e in &ents {
            adj.entry((*e).clone()).or_default();
        }
    }
    for (a, b) in links {
        if adj.contains_key(a) && adj.contains_key(b) {
            add(&mut adj, a, b);
        }
    }
    let shared = |k: &(String, String), n: &BTreeSet<(String, String)>| {
        k.0 != "account" && n.iter().filter(|x| x.0 == "account").count() >= 2
    };
    let kind_rank = |k: &str| KINDS.iter().position(|x| *x == k).unwrap_or(KINDS.len());
    let mut all: Vec<(&(String, String), bool)> =
        adj.iter().map(|(k, n)| (k, shared(k, n))).collect();
    // Priority for the cap: ring, shared first, then kind and id.
    all.sort_by(|a, b| {
        (ring(&a.0.0), !a.1, kind_rank(&a.0.0), &a.0.1).cmp(&(
            ring(&b.0.0),
            !b.1,
            kind_rank(&b.0.0),
            &b.0.1,
        ))
    });
    let left_out = all.len().saturating_sub(max_nodes);
    all.truncate(max_nodes);
    // Drawing order: ring, kind, id (so a type's nodes sit together on their ring).
    all.sort_by(|a, b| {
        (ring(&a.0.0), kind_rank(&a.0.0), &a.0.1).cmp(&(ring(&b.0.0), kind_rank(&b.0.0), &b.0.1))
    });
    let index: BTreeMap<&(String, String), usize> =
        all.iter().enumerate().map(|(i, (k, _))| (*k, i)).collect();
    let nodes: Vec<Node> = all
        .iter()
        .map(|(k, sh)| Node {
            kind: k.0.clone(),
            label: label(&k.0, &k.1),
            shared: *sh,
        })
        .collect();
    let mut edges = Vec::new();
    for (k, ns) in &adj {
        let Some(&a) = index.get(k) else { continue };
        for n in ns {
            if let Some(&b) = index.get(n).filter(|&&b| a < b) {
                edges.push((a, b));
            }
        }
    }
    edges.sort_unstable();
    (nodes, edges, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(k: &str, id: &str) -> (String, String) {
        (k.to_string(), id.to_string())
    }

    #[test]
    fn escapes_everything_html_cares_about() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url("acct 1/é?"), "acct%201%2F%C3%A9%3F");
    }

    #[test]
    fn identifiers_of_two_accounts_are_shared_and_the_drawing_is_deterministic() {
        let alerts = vec![
            vec![e("account", "a1"), e("account", "a2"), e("phone", "+1555")],
            vec![e("account", "a3"), e("device", "d9"), e("order", "o1")],
        ];
        let links = vec![(e("account", "a1"), e("device", "d9"))];
        let label = |_: &str, id: &str| format!("<{id}>");
        let (nodes, edges, left) = build_graph(&alerts, &links, &label, 100);
        assert_eq!(left, 0);
        let kinds: Vec<(&str, &str, bool)> = nodes
            .iter()
            .map(|n| (n.kind.as_str(), n.label.as_str(), n.shared))
            .collect();
        assert_eq!(
            kinds,
            [
                ("account", "<a1>", false),
                ("account", "<a2>", false),
                ("account", "<a3>", false),
                ("device", "<d9>", true),
                ("phone", "<+1555>", true),
                ("order", "<o1>", false),
            ]
        );
        assert_eq!(edges, [(0, 3), (0, 4), (1, 4), (2, 3), (2, 5)]);
        let svg = graph_svg(&nodes, &edges);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;+1555&gt;") && !svg.contains("<+1555>"));
        assert_eq!(svg.matches("class=\"node shared\"").count(), 2);
        assert_eq!(svg, graph_svg(&nodes, &edges));
        let (_, _, left) = build_graph(&alerts, &links, &label, 2);
        assert_eq!(left, 4);
    }
}
