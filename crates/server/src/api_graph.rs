//! `GET /v1/graph/{type}/{id}`: the entities around one, as nodes and links, from the read
//! model's entity graph ([`crate::detail::Graph`]). The console's pictures (case, account,
//! employee, order pages) are drawn from the same neighbourhood walk ([`neighbourhood`]).

use super::{
    ANY, AppState, Caller, audit_entry, authorize, core_err, justification, mask_entity, path_err,
    query_err, with_core,
};
use crate::detail::NodeKind;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use clawback_events::Id;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// Deepest walk asked of `GET /v1/graph`.
pub const MAX_DEPTH: u32 = 3;
/// Most nodes returned (the default is lower).
pub const MAX_NODES: usize = 500;
const DEFAULT_NODES: usize = 200;
/// Orders listed around an account (its latest).
const ORDERS_PER_ACCOUNT: usize = 50;

/// The walk's result: nodes in breadth-first order (the seeds first) with their depth and
/// degree, links as pairs of node indexes (`a < b`), and whether anything was left out.
#[derive(Debug, Default)]
pub struct Neighbourhood {
    pub nodes: Vec<(NodeKind, Id, u32, u32)>,
    pub links: Vec<(usize, usize)>,
    pub truncated: bool,
}

/// The neighbours of an entity in the read model and its full degree. Orders are joined to
/// their account and payment; an account to its latest orders too.
fn neighbours(core: &crate::Core, kind: NodeKind, id: &str) -> (Vec<(NodeKind, Id)>, u32) {
    let d = &core.index.detail;
    match kind {
        NodeKind::Order => {
            let Some(o) = d.orders.get(id) else {
                return (Vec::new(), 0);
            };
            let mut v = vec![(NodeKind::Account, o.account_id.clone())];
            if let Some(p) = &o.payment {
                v.push((NodeKind::Payment, p.clone()));
            }
            let n = v.len() as u32;
            (v, n)
        }
        _ => {
            let (list, degree) = d.graph.neighbours(kind, id);
            let mut v: Vec<(NodeKind, Id)> =
                list.into_iter().map(|(k, i)| (k, i.clone())).collect();
            let mut degree = degree;
            if kind == NodeKind::Account
                && let Some(orders) = d.account_orders.get(id)
            {
                degree += orders.len() as u32;
                let skip = orders.len().saturating_sub(ORDERS_PER_ACCOUNT);
                v.extend(
                    orders[skip..]
                        .iter()
                        .filter_map(|&i| d.orders.at(i))
                        .map(|(o, _)| (NodeKind::Order, o.clone())),
                );
            }
            (v, degree)
        }
    }
}

/// Whether the read model knows the entity.
pub fn known(core: &crate::Core, kind: NodeKind, id: &str) -> bool {
    match kind {
        NodeKind::Order => core.index.detail.orders.contains_key(id),
        NodeKind::Account => {
            core.index.detail.graph.contains(kind, id)
                || core.engine().facts().accounts.contains_key(id)
                || core.index.detail.account_orders.contains_key(id)
        }
        NodeKind::Employee => {
            core.index.detail.graph.contains(kind, id) || core.index.employees.contains_key(id)
        }
        _ => core.index.detail.graph.contains(kind, id),
    }
}

/// Breadth-first from `seeds` to `depth` hops, at most `cap` nodes; links between nodes
/// that were both kept. Deterministic: neighbours are visited in the read model's order.
pub fn neighbourhood(
    core: &crate::Core,
    seeds: &[(NodeKind, Id)],
    depth: u32,
    cap: usize,
) -> Neighbourhood {
    let mut out = Neighbourhood::default();
    let mut at: HashMap<(NodeKind, Id), usize> = HashMap::new();
    for s in seeds {
        if at.contains_key(s) {
            continue;
        }
        if out.nodes.len() >= cap {
            out.truncated = true;
            break;
        }
        at.insert(s.clone(), out.nodes.len());
        out.nodes.push((s.0, s.1.clone(), 0, 0));
    }
    let mut links: Vec<(usize, usize)> = Vec::new();
    // Nodes are expanded in the order found (breadth first); each one's neighbours are
    // looked up once, for its degree and its links to nodes already kept.
    let mut i = 0;
    while i < out.nodes.len() {
        let (kind, id, d, _) = out.nodes[i].clone();
        let (ns, degree) = neighbours(core, kind, &id);
        let listed = ns.len();
        out.nodes[i].3 = degree.max(listed as u32);
        if d < depth && degree as usize > listed {
            out.truncated = true;
        }
        for n in ns {
            match at.get(&n) {
                Some(&j) => links.push((i.min(j), i.max(j))),
                None if d < depth => {
                    if out.nodes.len() >= cap {
                        out.truncated = true;
                        continue;
                    }
                    let j = out.nodes.len();
                    at.insert(n.clone(), j);
                    out.nodes.push((n.0, n.1, d + 1, 0));
                    links.push((i, j));
                }
                None => {}
            }
        }
        i += 1;
    }
    links.sort_unstable();
    links.dedup();
    out.links = links;
    out
}

/// A node of `GET /v1/graph`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphNode {
    /// `account`, `device`, `ip`, `phone`, `email`, `address`, `payment`, `employee`, `seller` or `order`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id (phone digits, lower-case e-mail, `line1, POSTAL COUNTRY` for an address);
    /// masked for phones, e-mails and addresses without a justification.
    pub id: String,
    /// Hops from the entity asked for.
    pub depth: u32,
    /// How many entities it is linked to in all (more than the links shown for hubs).
    pub degree: u32,
    /// An identifier (not an account) linked to two or more accounts.
    pub shared: bool,
}

/// A link between two nodes, by index in `nodes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphLink {
    pub source: usize,
    pub target: usize,
}

/// The entities around one.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphView {
    /// Node 0 is the entity asked for.
    pub nodes: Vec<GraphNode>,
    pub links: Vec<GraphLink>,
    pub depth: u32,
    /// Some neighbours were left out: the node cap was reached, or a hub lists only its
    /// first 256 neighbours (orders: an account's latest 50).
    pub truncated: bool,
    /// Whether PII ids were masked.
    pub masked: bool,
}

/// Query of `GET /v1/graph/{type}/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraphQuery {
    /// Hops, 0..=3 (default 1).
    #[param(minimum = 0, maximum = 3)]
    pub depth: Option<u32>,
    /// Most nodes, 1..=500 (default 200).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// Parses the `{type}` of a graph path.
pub fn parse_node_kind(t: &str) -> Result<NodeKind, ApiError> {
    NodeKind::parse(t).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "type {t:?}: expected account, device, ip, phone, email, address, payment, employee, seller or order"
            ),
        )
    })
}

/// The id a graph path names, as the graph keys it (phones as digits, e-mails lower-case).
pub fn node_key(kind: NodeKind, id: &str) -> Id {
    match kind {
        NodeKind::Phone => crate::detail::phone_key(id).unwrap_or_else(|| Id::from(id)),
        NodeKind::Email => crate::detail::email_key(id).unwrap_or_else(|| Id::from(id)),
        _ => Id::from(id),
    }
}

/// A node's text for a reader: PII masked unless `open`.
pub fn node_label(kind: NodeKind, id: &str, open: bool) -> String {
    if open || !kind.is_pii() {
        id.to_string()
    } else if kind == NodeKind::Address {
        // `line1, POSTAL COUNTRY`: the country alone.
        let country = id.rsplit(' ').next().unwrap_or("");
        format!("*** {country}")
    } else {
        mask_entity(kind.as_str(), id)
    }
}

/// Whether a node is an identifier shared by two or more accounts (among its links here).
fn shared_flags(n: &Neighbourhood) -> Vec<bool> {
    let mut accounts = vec![0u32; n.nodes.len()];
    for &(a, b) in &n.links {
        if n.nodes[b].0 == NodeKind::Account {
            accounts[a] += 1;
        }
        if n.nodes[a].0 == NodeKind::Account {
            accounts[b] += 1;
        }
    }
    n.nodes
        .iter()
        .zip(accounts)
        .map(|(x, c)| x.0 != NodeKind::Account && x.0 != NodeKind::Order && c >= 2)
        .collect()
}

/// The graph around one entity; justified, PII is unmasked and the read audited.
pub(super) fn graph_view(
    core: &mut crate::Core,
    caller: &Caller,
    just: Option<&str>,
    kind: NodeKind,
    id: &str,
    depth: u32,
    cap: usize,
) -> Result<GraphView, ApiError> {
    let key = node_key(kind, id);
    if !known(core, kind, &key) {
        return Err(ApiError::new(
            ErrorCode::EntityNotFound,
            format!("no event linked {} {id:?} to anything", kind.as_str()),
        ));
    }
    let n = neighbourhood(core, &[(kind, key)], depth, cap);
    let open = just.is_some();
    let shared = shared_flags(&n);
    let view = GraphView {
        nodes: n
            .nodes
            .iter()
            .zip(&shared)
            .map(|((k, id, d, deg), sh)| GraphNode {
                kind: k.as_str().to_string(),
                id: node_label(*k, id, open),
                depth: *d,
                degree: *deg,
                shared: *sh,
            })
            .collect(),
        links: n
            .links
            .iter()
            .map(|&(a, b)| GraphLink {
                source: a,
                target: b,
            })
            .collect(),
        depth,
        truncated: n.truncated,
        masked: !open,
    };
    if let Some(j) = just
        && n.nodes.iter().any(|x| x.0.is_pii())
    {
        let accounts: Vec<String> = n
            .nodes
            .iter()
            .filter(|x| x.0 == NodeKind::Account)
            .map(|x| x.1.to_string())
            .collect();
        core.record_access(&audit_entry(caller, j, "graph", accounts))
            .map_err(core_err)?;
    }
    Ok(view)
}

/// The entities around one: nodes and links up to `depth` hops (PII masked unless
/// justified by an investigator or admin, then audited).
#[utoipa::path(
    get, path = "/v1/graph/{type}/{id}", tag = "entities",
    params(("type" = String, Path, description = "account, device, ip, phone, email, address, payment, employee, seller or order",
            pattern = "^(account|device|ip|phone|email|address|payment|employee|seller|order)$"),
        ("id" = String, Path, description = "The entity's id (a phone in any spelling; an address as `line1, POSTAL COUNTRY`)"),
        GraphQuery,
        ("X-Justification" = Option<String>, Header, description = "Investigators and admins then see phones, e-mails and addresses unmasked; the read is audited and fed to the insider detectors",
            min_length = 1, max_length = 128, pattern = "^[ -~]*[!-~][ -~]*$")),
    responses((status = 200, body = GraphView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
pub(super) async fn get_graph(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<GraphQuery>, QueryRejection>,
) -> Result<axum::Json<GraphView>, ApiError> {
    let caller = authorize(&state, &headers, ANY).await?;
    let just = justification(&caller, &headers)?;
    let Path((t, id)) = path.map_err(path_err)?;
    let Query(q) = query.map_err(query_err)?;
    let kind = parse_node_kind(&t)?;
    let depth = q.depth.unwrap_or(1);
    if depth > MAX_DEPTH {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("depth: must be 0..={MAX_DEPTH}"),
        ));
    }
    let cap = q.limit.unwrap_or(DEFAULT_NODES);
    if !(1..=MAX_NODES).contains(&cap) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("limit: must be 1..={MAX_NODES}"),
        ));
    }
    with_core(&state, move |core| {
        graph_view(core, &caller, just.as_deref(), kind, &id, depth, cap).map(axum::Json)
    })
    .await
}

/// The neighbourhood drawn as the console's SVG (see [`crate::html::build_graph`]): each
/// link becomes a pair the drawing ties together. Returns the SVG and how many nodes were
/// left out of the walk (0, or 1 as "some").
pub fn picture(n: &Neighbourhood, open: bool, max_nodes: usize) -> (String, usize) {
    let pairs: Vec<Vec<(String, String)>> = n
        .links
        .iter()
        .map(|&(a, b)| {
            vec![
                (n.nodes[a].0.as_str().to_string(), n.nodes[a].1.to_string()),
                (n.nodes[b].0.as_str().to_string(), n.nodes[b].1.to_string()),
            ]
        })
        .chain(
            n.nodes
                .first()
                .map(|r| vec![(r.0.as_str().to_string(), r.1.to_string())]),
        )
        .collect();
    let label = |kind: &str, id: &str| -> String {
        NodeKind::parse(kind).map_or_else(|| id.to_string(), |k| node_label(k, id, open))
    };
    let (nodes, edges, left_out) = crate::html::build_graph(&pairs, &[], &label, max_nodes);
    (
        crate::html::graph_svg(&nodes, &edges),
        left_out + usize::from(n.truncated),
    )
}
