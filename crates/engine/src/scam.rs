//! Reported messages: the `report` decision and `phishing_campaign` alerts.
//!
//! `assess` runs `clawback_scam::analyse` on the message and turns what it found into
//! weighted signals: lookalike domains and senders, shorteners, bare IPs, plain `http`,
//! the brand named next to a foreign link, and text cues in four languages; links that all
//! go to the retailer's own domains count against. A trained text classifier, when the
//! model file has one, adds its log-odds as one more signal (`text_model`), scaled and
//! capped so that it decides alone only where it proved very precise (see
//! [`text_model_scale`]).
//! `observe` groups the reports it judged phishing into campaigns (see [`Campaigns`]).
//! Method and figures: `docs/phishing.md`.

use crate::detector::{AlertSink, Detector, Signal};
use crate::facts::Facts;
use clawback_events::output::{EntityRef, EntityType, Point, Reason};
use clawback_events::{Body, Event, Id, ReportChannel};
use clawback_model::TextModel;
use clawback_model::linear::LinearModel;
use clawback_scam::features::{TEXT_FEATURES, text_features};
use clawback_scam::{Analysis, Cue, Message, Protected, Sender, advisory, analyse};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// Sum of signal weights at or above which a report counts as phishing for campaigns. It
/// matches the default report policy (prior −2, phishing at 0.75: logit ≥ 1.10).
pub const PHISHING_WEIGHT: f64 = 3.1;

/// Weight of each text cue, in log-odds.
fn cue_weight(c: Cue) -> f64 {
    match c {
        Cue::CardOrBank => 2.0,
        Cue::PasswordOrCode => 2.0,
        Cue::PaymentProblem => 1.0,
        Cue::SuspensionThreat => 1.0,
        Cue::Urgency => 0.8,
        Cue::RedeliveryFee => 1.5,
        Cue::RemoteAccess => 3.5,
        Cue::PressKey => 2.0,
        Cue::PrizeLure => 1.2,
        Cue::UnexpectedCharge => 1.2,
        Cue::ActionLure => 0.6,
        Cue::UnusualPayment => 2.0,
    }
}

fn cue_words(c: Cue) -> &'static str {
    match c {
        Cue::CardOrBank => "asks for card or bank details",
        Cue::PasswordOrCode => "asks for a password or a code",
        Cue::PaymentProblem => "claims a payment problem",
        Cue::SuspensionThreat => "threatens suspension or cancellation",
        Cue::Urgency => "pressure of time",
        Cue::RedeliveryFee => "asks for a small fee",
        Cue::RemoteAccess => "asks for remote access to a device",
        Cue::PressKey => "automated call asking to press a key",
        Cue::PrizeLure => "offers a prize or reward",
        Cue::UnexpectedCharge => "claims an unexpected charge",
        Cue::ActionLure => "asks to act through a link",
        Cue::UnusualPayment => "asks for an unusual payment method",
    }
}

/// The signals for one analysed message; also returns their sum.
pub fn scam_signals(a: &Analysis, channel: &ReportChannel, out: &mut Vec<Signal>) -> f64 {
    let start = out.len();
    if let Some(l) = a.lookalike_links.first() {
        out.push(Signal::new(
            "lookalike_domain",
            5.0,
            format!(
                "{} imitates {} ({})",
                l.domain,
                l.imitates,
                l.technique.words()
            ),
        ));
    }
    if let Some(l) = &a.lookalike_sender {
        out.push(Signal::new(
            "lookalike_sender",
            4.0,
            format!(
                "sender {} imitates {} ({})",
                l.domain,
                l.imitates,
                l.technique.words()
            ),
        ));
    }
    if a.punycode && a.lookalike_links.is_empty() {
        out.push(Signal::new(
            "punycode_domain",
            1.5,
            "links to an internationalised (punycode) domain",
        ));
    }
    if let Some(ip) = a.ip_links.first() {
        out.push(Signal::new(
            "link_to_ip_address",
            3.0,
            format!("links to a bare IP address {ip}"),
        ));
    }
    if let Some(s) = a.shortener_links.first() {
        // The retailer shortens with its own domains (protected ones), never a public service.
        if a.brand_mentioned && a.official_links == 0 {
            out.push(Signal::new(
                "brand_with_shortened_link",
                2.5,
                format!("names the retailer but hides its link behind {s}"),
            ));
        } else {
            out.push(Signal::new(
                "shortened_link",
                1.5,
                format!("link hidden behind {s}"),
            ));
        }
    }
    if let Some(h) = a.http_links.first() {
        out.push(Signal::new(
            "plain_http_link",
            0.7,
            format!("unencrypted link to {h}"),
        ));
    }
    if let Some(f) = a.foreign_links.first() {
        if a.brand_mentioned && a.official_links == 0 {
            out.push(Signal::new(
                "brand_with_foreign_link",
                2.5,
                format!("names the retailer but links to {f}"),
            ));
        } else {
            out.push(Signal::new("foreign_link", 0.5, format!("links to {f}")));
        }
    }
    let only_official = a.official_links > 0
        && a.lookalike_links.is_empty()
        && a.shortener_links.is_empty()
        && a.ip_links.is_empty()
        && a.foreign_links.is_empty();
    if only_official {
        out.push(Signal::new(
            "official_links_only",
            -2.5,
            "every link goes to the retailer's own domains",
        ));
    }
    if a.official_sender {
        out.push(Signal::new(
            "official_sender",
            -1.0,
            "sent from the retailer's own domain",
        ));
    }
    if a.brand_mentioned && !only_official {
        match (channel, &a.sender) {
            (ReportChannel::Call, _) => out.push(Signal::new(
                "unsolicited_call",
                1.0,
                "a caller claiming to be the retailer",
            )),
            (ReportChannel::Sms, Some(Sender::Phone(p))) => out.push(Signal::new(
                "brand_from_personal_number",
                1.0,
                format!("names the retailer but comes from an ordinary number {p}"),
            )),
            _ => {}
        }
    }
    for (c, phrase) in &a.cues {
        out.push(Signal::new(
            c.code(),
            cue_weight(*c),
            format!("{}: \"{}\"", cue_words(*c), phrase),
        ));
    }
    out[start..].iter().map(|s| s.weight).sum()
}

/// Most the text classifier adds to a report's signals.
pub const TEXT_MODEL_MAX: f64 = 4.5;
/// Most it takes away: enough to cancel the weak cues an honest message can carry
/// (a password reset's "code", "urgent", a plain `http` link), never a lookalike domain
/// (5.0).
pub const TEXT_MODEL_MIN: f64 = -4.0;
/// The classifier's log-odds at which it decides alone when the model file does not say
/// (files written before `confident_logit` existed): probability 0.998.
pub const DEFAULT_CONFIDENT_LOGIT: f64 = 6.2;

/// Bounds of a classifier's `confident_logit`: never below log-odds 1.0 (probability 0.73),
/// never above 12.
pub const MIN_CONFIDENT_LOGIT: f64 = 1.0;
pub const MAX_CONFIDENT_LOGIT: f64 = 12.0;

/// How much of the classifier's log-odds counts as a signal: `PHISHING_WEIGHT /
/// confident_logit`. `confident_logit` is chosen at training time as the lowest log-odds
/// above which the classifier alone was at least 99% precise on the validation reports
/// (the latest ones, held out), within [[`MIN_CONFIDENT_LOGIT`], [`MAX_CONFIDENT_LOGIT`]].
/// So a message with no rule signal at all becomes `phishing` on the classifier's word
/// only where the classifier was shown, on reports it had not seen, to be that precise;
/// below it, the classifier tips messages the rules half-suspect.
pub fn text_model_scale(confident_logit: f64) -> f64 {
    let c = if confident_logit.is_finite() {
        confident_logit.clamp(MIN_CONFIDENT_LOGIT, MAX_CONFIDENT_LOGIT)
    } else {
        MAX_CONFIDENT_LOGIT
    };
    PHISHING_WEIGHT / c
}

/// The signal weight of a classifier log-odds `z` at `scale`, within
/// [[`TEXT_MODEL_MIN`], [`TEXT_MODEL_MAX`]].
pub fn text_model_weight(z: f64, scale: f64) -> f64 {
    if z.is_finite() && scale.is_finite() {
        (z * scale).clamp(TEXT_MODEL_MIN, TEXT_MODEL_MAX)
    } else {
        0.0
    }
}

/// A classifier was trained with features this build does not compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTextFeatures {
    pub found: String,
}

impl std::fmt::Display for UnknownTextFeatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the report classifier was trained on features {:?}, this clawback computes {:?}: retrain it with this clawback",
            self.found, TEXT_FEATURES
        )
    }
}

impl std::error::Error for UnknownTextFeatures {}

/// The report decision and campaigns. See the module documentation.
#[derive(Debug)]
pub struct ScamReports {
    protected: Protected,
    /// The trained text classifier, if any, and the share of its log-odds that counts.
    text_model: Option<(LinearModel, f64)>,
    /// What `assess` found about the report being applied, for `observe`.
    pending: Option<(Id, f64, Analysis)>,
    campaigns: Campaigns,
}

impl Default for ScamReports {
    fn default() -> Self {
        Self::new(Protected::default())
    }
}

impl ScamReports {
    /// With the retailer's own domains (lookalikes are judged against them).
    pub fn new(protected: Protected) -> Self {
        Self {
            protected,
            text_model: None,
            pending: None,
            campaigns: Campaigns::default(),
        }
    }

    /// Adds a trained text classifier (from the model file's `report` classifier); refuses
    /// one trained on other features.
    pub fn with_text_model(mut self, m: &TextModel) -> Result<Self, UnknownTextFeatures> {
        if m.features != TEXT_FEATURES {
            return Err(UnknownTextFeatures {
                found: m.features.clone(),
            });
        }
        let confident = m
            .thresholds
            .get("confident_logit")
            .copied()
            .unwrap_or(DEFAULT_CONFIDENT_LOGIT);
        self.text_model = Some((m.model.clone(), text_model_scale(confident)));
        Ok(self)
    }

    /// The protected domains lookalikes are judged against.
    pub fn protected(&self) -> &Protected {
        &self.protected
    }

    /// The classifier's log-odds for a message and its analysis, when there is a classifier.
    pub fn text_logit(&self, a: &Analysis, msg: &Message<'_>) -> Option<f64> {
        let (m, _) = self.text_model.as_ref()?;
        Some(m.logit(&text_features(a, msg, m.bits())))
    }
}

impl crate::Engine {
    /// Replaces the report detector (another protected list, a text classifier). Why here:
    /// the detectors are boxed behind the `Detector` seam, and only this module knows this
    /// one by name.
    pub fn set_scam_reports(&mut self, s: ScamReports) {
        let mut s = Some(s);
        for d in &mut self.detectors {
            if d.name() == SCAM_REPORTS
                && let Some(s) = s.take()
            {
                *d = Box::new(s);
            }
        }
        if let Some(s) = s {
            self.detectors.push(Box::new(s));
        }
    }
}

const SCAM_REPORTS: &str = "scam_reports";

/// The classifier's features of a reported message, exactly as `assess` computes them
/// (training uses this, so the model learns from what serving sees). The features do not
/// depend on the protected list: they read the text, the links and the sender, not what
/// the rules made of them.
pub fn report_text_features(m: &clawback_events::MessageReported, bits: u8) -> Vec<(u32, f32)> {
    let msg = message(m);
    let a = analyse(&msg, &Protected::new(std::iter::empty()));
    text_features(&a, &msg, bits)
}

fn message(m: &clawback_events::MessageReported) -> Message<'_> {
    Message {
        channel: m.channel.as_str(),
        sender: m.sender.as_deref(),
        subject: m.subject.as_deref(),
        text: &m.text,
        urls: &m.urls,
    }
}

impl Detector for ScamReports {
    fn name(&self) -> &'static str {
        SCAM_REPORTS
    }

    fn assess(&mut self, _facts: &Facts, point: Point, ev: &Event, out: &mut Vec<Signal>) {
        let (Point::Report, Body::MessageReported(m)) = (point, &ev.body) else {
            return;
        };
        let msg = message(m);
        let a = analyse(&msg, &self.protected);
        let mut sum = scam_signals(&a, &m.channel, out);
        if let Some(z) = self.text_logit(&a, &msg) {
            let scale = self.text_model.as_ref().map_or(1.0, |(_, s)| *s);
            let w = text_model_weight(z, scale);
            if w.abs() >= 0.05 {
                let p = clawback_model::linear::sigmoid(z);
                out.push(Signal::new(
                    "text_model",
                    w,
                    format!("the trained text model reads it as a scam with probability {p:.3}"),
                ));
                sum += w;
            }
        }
        self.pending = Some((m.report_id.clone(), sum, a));
    }

    fn observe(&mut self, _facts: &Facts, ev: &Event, alerts: &mut AlertSink) {
        // Any event moves event time on: campaigns whose new reports have waited long
        // enough are alerted with them.
        if self.campaigns.is_due(ev.ts.unix_ms) {
            let brand = self.protected.brand_name();
            self.campaigns.tick(ev, &brand, alerts);
        }
        let Body::MessageReported(m) = &ev.body else {
            return;
        };
        let Some((id, sum, a)) = self.pending.take() else {
            return;
        };
        if id != m.report_id || sum < PHISHING_WEIGHT {
            return;
        }
        let brand = self.protected.brand_name();
        self.campaigns
            .add(ev, &m.report_id, &a, &m.channel, &brand, alerts);
    }

    fn finish(&mut self, last: &Event, alerts: &mut AlertSink) {
        let brand = self.protected.brand_name();
        self.campaigns.flush(last, &brand, alerts);
    }
}

const DAY_MS: i64 = 86_400_000;
/// Reports a campaign needs before it is alerted.
pub const MIN_CAMPAIGN: usize = 3;
/// SimHash distance (bits of 64) under which two texts are near-duplicates.
pub const NEAR_DUPLICATE_BITS: u32 = 10;
const BANDS: usize = 8;
const BUCKET_CAP: usize = 48;
/// Near-duplicate reports that merge two keyed groups: at least this many…
pub const AFFINITY_MIN: u32 = 5;
/// …and at least this share of the smaller group.
pub const AFFINITY_SHARE: f64 = 0.25;
/// A campaign is alerted again with every new report while it has at most this many: a
/// young campaign's every report is news.
pub const EVERY_REPORT_UNTIL: usize = 16;
/// After that, reports that join between steps wait at most this long (event time) to be
/// named: an hourly digest per campaign.
pub const DIGEST_MS: i64 = 3_600_000;

/// Phishing reports grouped into campaigns.
///
/// Reports are linked by what a campaign owns: the registrable domains it links to or
/// sends from (lookalikes and other foreign domains; never the retailer's, a shortener or
/// a free mailbox) and its sender numbers and addresses (union-find). A report with none of
/// these (a shortened link and no sender, a call with a withheld number) joins the campaign
/// that most of its near-duplicates (SimHash over the normalised text, numbers and URLs
/// masked; 8 bands of 8 bits, then at most [`NEAR_DUPLICATE_BITS`] bits apart) belong to;
/// text never merges two campaigns, because scammers share templates. A campaign's
/// `alert_id` is named after its first report, so it stays as the campaign grows; each
/// emission names the reports added since the previous one and all the campaign's domains.
///
/// When it is emitted again: with every report up to [`EVERY_REPORT_UNTIL`] reports; then
/// at once when it doubles since its last alert, when a new domain joins, or when another
/// group of reports merges into it; otherwise its new reports wait, and the first event at
/// least [`DIGEST_MS`] after the oldest of them names them all. Readers union an alert's
/// entities over its emissions (the contract: an alert that grows is emitted again with the
/// same `alert_id`), so every report still appears in its campaign's alert — at most an
/// hour late. A live stream has no end; a finite input (replay) ends with
/// [`Campaigns::flush`] (through `Engine::finish`), which names the reports still waiting.
#[derive(Debug, Default)]
pub struct Campaigns {
    parent: Vec<u32>,
    /// Per root: the campaign.
    camp: Vec<Option<Campaign>>,
    keys: FxHashMap<String, u32>,
    buckets: FxHashMap<(u8, u8), Vec<(u64, u32)>>,
    /// Reports of one campaign whose near-duplicates are mostly in another, by the two
    /// campaigns' first reports' nodes (from, to). Merging needs both directions.
    affinity: FxHashMap<(u32, u32), u32>,
    overall: DayCounts,
    /// Campaigns with reports waiting to be named: (when at the latest, first report's
    /// node).
    due: BTreeSet<(i64, u32)>,
}

#[derive(Debug, Default)]
struct Campaign {
    /// Earliest report's node (names the alert).
    first: u32,
    first_id: Id,
    members: Vec<Id>,
    /// Members not yet named in an alert.
    unsent: Vec<Id>,
    domains: Vec<String>,
    senders: usize,
    by_text: usize,
    text_merges: usize,
    days: DayCounts,
    /// Reports per channel (sms, email, call, other) and language (en, fr, de, es).
    channels: [u32; 4],
    langs: [u32; 4],
    /// Cues seen, as a bit set over `Cue::all()`.
    cues: u32,
    /// Size and domains at the last alert (0: never alerted), size at the last advisory.
    sent: usize,
    sent_domains: usize,
    advised: usize,
    /// A group of several reports joined since the last alert.
    merged: bool,
    /// When the reports waiting in `unsent` are to be named at the latest.
    due: Option<i64>,
    /// The latest customer advisory draft, carried by every emission (readers show the
    /// latest emission of an alert).
    draft: Option<String>,
}

/// Reports per day (event time), for volume against a baseline.
#[derive(Debug, Default)]
struct DayCounts(BTreeMap<i64, u32>);

impl DayCounts {
    fn add(&mut self, day: i64, n: u32) {
        *self.0.entry(day).or_insert(0) += n;
        // Keep a bounded window.
        while self.0.len() > 64 {
            self.0.pop_first();
        }
    }

    fn merge(&mut self, other: &DayCounts) {
        for (d, n) in &other.0 {
            self.add(*d, *n);
        }
    }

    /// Today's count and the daily mean over the previous 7 days (0 when none).
    fn today_vs_baseline(&self, day: i64) -> (u32, f64) {
        let today = self.0.get(&day).copied().unwrap_or(0);
        let prev: u32 = self.0.range(day - 7..day).map(|(_, n)| *n).sum();
        (today, f64::from(prev) / 7.0)
    }
}

impl Campaigns {
    fn find(&mut self, mut x: u32) -> u32 {
        while let Some(&p) = self.parent.get(x as usize) {
            if p == x {
                break;
            }
            let gp = self.parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x as usize) {
                *slot = gp;
            }
            x = p;
        }
        x
    }

    fn first_of(&mut self, x: u32) -> u32 {
        let r = self.find(x);
        self.camp
            .get(r as usize)
            .and_then(Option::as_ref)
            .map_or(r, |c| c.first)
    }

    fn size_of(&mut self, x: u32) -> usize {
        let r = self.find(x);
        self.camp
            .get(r as usize)
            .and_then(Option::as_ref)
            .map_or(0, |c| c.members.len())
    }

    /// Near-duplicates of `fp` in the campaign rooted at `root`.
    fn neighbours_in(&mut self, fp: u64, root: u32) -> u32 {
        let mut n = 0;
        for m in self.near_duplicates(fp) {
            if self.find(m) == root {
                n += 1;
            }
        }
        n
    }

    /// Report nodes whose fingerprint is within [`NEAR_DUPLICATE_BITS`] of `fp`, sorted.
    fn near_duplicates(&self, fp: u64) -> Vec<u32> {
        let mut cands: Vec<u32> = Vec::new();
        for b in 0..BANDS {
            let band = ((fp >> (8 * b)) & 0xff) as u8;
            if let Some(v) = self.buckets.get(&(b as u8, band)) {
                cands.extend(
                    v.iter()
                        .filter(|(f, _)| {
                            clawback_scam::simhash::hamming(*f, fp) <= NEAR_DUPLICATE_BITS
                        })
                        .map(|(_, n)| *n),
                );
            }
        }
        // One vote per neighbour, however many bands it matched in.
        cands.sort_unstable();
        cands.dedup();
        cands
    }

    /// The campaign (root) that most near-duplicates of `fp` belong to, other than
    /// `exclude`, with the number of near-duplicates in it; ties go to the earliest.
    fn vote(&mut self, fp: u64, exclude: Option<u32>) -> Option<(u32, u32)> {
        let cands = self.near_duplicates(fp);
        let mut votes: Vec<(u32, u32)> = Vec::new();
        for n in cands {
            let r = self.find(n);
            if Some(r) == exclude {
                continue;
            }
            match votes.iter_mut().find(|(x, _)| *x == r) {
                Some(v) => v.1 += 1,
                None => votes.push((r, 1)),
            }
        }
        let mut best: Option<(u32, u32, u32)> = None;
        for (r, n) in votes {
            let f = self.first_of(r);
            if best.is_none_or(|(_, bn, bf)| n > bn || (n == bn && f < bf)) {
                best = Some((r, n, f));
            }
        }
        best.map(|(r, n, _)| (r, n))
    }

    fn node(&mut self) -> u32 {
        let n = self.parent.len() as u32;
        self.parent.push(n);
        self.camp.push(None);
        n
    }

    /// Merges the campaigns of `a` and `b`; the earlier campaign keeps its name and the
    /// later one's members are re-sent under it.
    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return ra;
        }
        let ca = self.camp.get_mut(ra as usize).and_then(Option::take);
        let cb = self.camp.get_mut(rb as usize).and_then(Option::take);
        let (keep, gone, mut ck, cg) = match (ca, cb) {
            (Some(x), Some(y)) if y.first < x.first => (rb, ra, y, Some(x)),
            (Some(x), y) => (ra, rb, x, y),
            (None, Some(y)) => (rb, ra, y, None),
            (None, None) => (ra, rb, Campaign::default(), None),
        };
        if let Some(g) = cg {
            if let Some(d) = g.due {
                self.due.remove(&(d, g.first));
            }
            ck.merged |= g.members.len() > 1;
            // Members the surviving alert has not named yet: all of the absorbed ones.
            ck.unsent.extend(g.members.iter().cloned());
            ck.members.extend(g.members);
            for d in g.domains {
                if !ck.domains.contains(&d) && ck.domains.len() < 32 {
                    ck.domains.push(d);
                }
            }
            ck.senders += g.senders;
            ck.by_text += g.by_text;
            ck.text_merges += g.text_merges;
            ck.days.merge(&g.days);
            for i in 0..4 {
                ck.channels[i] += g.channels[i];
                ck.langs[i] += g.langs[i];
            }
            ck.cues |= g.cues;
        }
        if let Some(p) = self.parent.get_mut(gone as usize) {
            *p = keep;
        }
        if let Some(slot) = self.camp.get_mut(keep as usize) {
            *slot = Some(ck);
        }
        keep
    }

    fn key_node(&mut self, key: String) -> u32 {
        if let Some(&n) = self.keys.get(&key) {
            return n;
        }
        let n = self.node();
        self.keys.insert(key, n);
        n
    }

    /// Adds a phishing report and raises or re-raises its campaign's alert.
    ///
    /// `described` is true for reports that describe a message in the reporter's words (a
    /// call): their texts are alike because the scams are, not because one campaign wrote
    /// them, so they never link by text.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        ev: &Event,
        report: &Id,
        a: &Analysis,
        channel: &ReportChannel,
        brand: &str,
        alerts: &mut AlertSink,
    ) {
        let described = *channel == ReportChannel::Call;
        let day = ev.ts.unix_ms.div_euclid(DAY_MS);
        self.overall.add(day, 1);
        let me = self.node();
        let domains = a.campaign_domains();
        let mut keys: Vec<String> = domains.iter().map(|d| format!("d:{d}")).collect();
        let mut sender_key = false;
        match &a.sender {
            Some(Sender::Phone(p)) if p.len() >= 7 => {
                keys.push(format!("p:{p}"));
                sender_key = true;
            }
            Some(Sender::Email {
                local,
                domain: Some(u),
            }) if !a.official_sender => {
                keys.push(format!("e:{local}@{}", u.host));
                sender_key = true;
            }
            _ => {}
        }
        if let Some(slot) = self.camp.get_mut(me as usize) {
            *slot = Some(Campaign {
                first: me,
                first_id: report.clone(),
                members: vec![report.clone()],
                unsent: vec![report.clone()],
                domains: domains.iter().take(32).cloned().collect(),
                senders: usize::from(sender_key),
                by_text: 0,
                text_merges: 0,
                channels: {
                    let mut c = [0; 4];
                    c[channel_index(channel)] = 1;
                    c
                },
                langs: {
                    let mut l = [0; 4];
                    let lang = advisory::language(&a.normalised);
                    if let Some(i) = advisory::Lang::all().iter().position(|x| *x == lang) {
                        l[i] = 1;
                    }
                    l
                },
                cues: Cue::all()
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| a.has(**c))
                    .fold(0, |m, (i, _)| m | (1 << i)),
                days: {
                    let mut d = DayCounts::default();
                    d.add(day, 1);
                    d
                },
                ..Campaign::default()
            });
        }
        let fp = a.fingerprint;
        if described {
            for k in keys {
                let kn = self.key_node(k);
                self.union(kn, me);
            }
        } else if keys.is_empty() {
            // Text only: the campaign most near-duplicates belong to.
            if let Some((r, _)) = self.vote(fp, None) {
                self.union(r, me);
                let root = self.find(me);
                if let Some(Some(c)) = self.camp.get_mut(root as usize) {
                    c.by_text += 1;
                }
            }
        } else {
            for k in keys {
                let kn = self.key_node(k);
                self.union(kn, me);
            }
            // Text affinity: the same campaign often sends one template from several
            // numbers and domains. Two groups merge once enough of each one's reports are
            // near-duplicates of the other's (in both directions, and a share of the smaller
            // group), so that a template one campaign borrows from another, or two share,
            // does not merge them: the borrowed texts find more near-duplicates at home.
            let own = self.find(me);
            let own_n = self.neighbours_in(fp, own);
            if let Some((other, n)) = self.vote(fp, Some(own))
                && n >= 2
                && 2 * n >= own_n
            {
                let (fa, fb) = (self.first_of(own), self.first_of(other));
                *self.affinity.entry((fa, fb)).or_insert(0) += 1;
                let there = self.affinity.get(&(fa, fb)).copied().unwrap_or(0);
                let back = self.affinity.get(&(fb, fa)).copied().unwrap_or(0);
                let smaller = self.size_of(own).min(self.size_of(other));
                let bar = (f64::from(AFFINITY_MIN)).max(AFFINITY_SHARE * smaller as f64);
                if f64::from(there.min(back)) >= bar {
                    self.union(own, other);
                    let root = self.find(me);
                    if let Some(Some(c)) = self.camp.get_mut(root as usize) {
                        c.text_merges += 1;
                    }
                }
            }
        }
        for b in (0..BANDS).filter(|_| !described) {
            let band = ((fp >> (8 * b)) & 0xff) as u8;
            let v = self.buckets.entry((b as u8, band)).or_default();
            if v.len() < BUCKET_CAP {
                v.push((fp, me));
            } else {
                let i = (me as usize) % BUCKET_CAP;
                if let Some(slot) = v.get_mut(i) {
                    *slot = (fp, me);
                }
            }
        }
        let root = self.find(me);
        let overall = self.overall.today_vs_baseline(day);
        let Some(Some(c)) = self.camp.get_mut(root as usize) else {
            return;
        };
        // The report itself was counted in its campaign's days when it was created.
        if c.members.len() < MIN_CAMPAIGN || c.unsent.is_empty() {
            return;
        }
        let size = c.members.len();
        let step = c.sent == 0
            || size <= EVERY_REPORT_UNTIL
            || size >= 2 * c.sent
            || c.domains.len() > c.sent_domains
            || c.merged;
        if !step {
            if c.due.is_none() {
                let due = ev.ts.unix_ms.saturating_add(DIGEST_MS);
                c.due = Some(due);
                self.due.insert((due, c.first));
            }
            return;
        }
        if let Some(d) = c.due.take() {
            self.due.remove(&(d, c.first));
        }
        emit(c, day, overall, brand, ev, alerts);
    }

    /// Whether a campaign's waiting reports are due at event time `now_ms`.
    pub fn is_due(&self, now_ms: i64) -> bool {
        self.due.first().is_some_and(|&(d, _)| d <= now_ms)
    }

    /// Names the waiting reports of every campaign that is due at `ev`'s time.
    pub fn tick(&mut self, ev: &Event, brand: &str, alerts: &mut AlertSink) {
        self.name_waiting(ev, ev.ts.unix_ms, brand, alerts);
    }

    /// The input has ended: names every waiting report now, stamped with `last`'s time.
    pub fn flush(&mut self, last: &Event, brand: &str, alerts: &mut AlertSink) {
        self.name_waiting(last, i64::MAX, brand, alerts);
    }

    /// Names the waiting reports of every campaign due by `now` (event time, ms).
    fn name_waiting(&mut self, ev: &Event, now: i64, brand: &str, alerts: &mut AlertSink) {
        let day = ev.ts.unix_ms.div_euclid(DAY_MS);
        while let Some(&(due, first)) = self.due.first()
            && due <= now
        {
            self.due.pop_first();
            let root = self.find(first);
            let overall = self.overall.today_vs_baseline(day);
            if let Some(Some(c)) = self.camp.get_mut(root as usize)
                && c.first == first
                && c.due == Some(due)
            {
                c.due = None;
                if !c.unsent.is_empty() {
                    emit(c, day, overall, brand, ev, alerts);
                }
            }
        }
    }
}

/// Raises a campaign's alert naming the reports not named yet, and all its domains.
fn emit(
    c: &mut Campaign,
    day: i64,
    (overall_today, overall_base): (u32, f64),
    brand: &str,
    ev: &Event,
    alerts: &mut AlertSink,
) {
    let size = c.members.len();
    let new = c.unsent.len();
    let mut entities: Vec<EntityRef> = c
        .unsent
        .drain(..)
        .map(|id| EntityRef::new(EntityType::Report, id))
        .collect();
    let mut doms = c.domains.clone();
    doms.sort();
    entities.extend(
        doms.iter()
            .map(|d| EntityRef::new(EntityType::Domain, d.as_str())),
    );
    let (today, base) = c.days.today_vs_baseline(day);
    let since = if c.sent > 0 {
        format!("; {new} new since the last alert")
    } else {
        String::new()
    };
    let mut reasons = vec![Reason::new(
        "campaign_size",
        format!(
            "{size} phishing reports grouped ({} by shared domains or senders, {} by near-duplicate text; {} groups joined by their texts){since}",
            size - c.by_text,
            c.by_text,
            c.text_merges
        ),
    )];
    if !doms.is_empty() {
        reasons.push(Reason::new(
            "shared_domains",
            format!("links to or sends from {}", doms.join(", ")),
        ));
    }
    reasons.push(Reason::new(
        "campaign_volume",
        volume_words(today, base, "this campaign"),
    ));
    reasons.push(Reason::new(
        "overall_phishing_volume",
        volume_words(overall_today, overall_base, "all phishing"),
    ));
    // The advisory is drafted when the campaign is first alerted, each time it doubles, and
    // when a new domain joins (the draft names the domains); every emission carries the
    // latest draft.
    if c.advised == 0 || size >= 2 * c.advised || c.domains.len() > c.sent_domains {
        c.advised = size;
        let main = |counts: &[u32; 4]| {
            (0..4)
                .max_by(|&x, &y| counts[x].cmp(&counts[y]).then_with(|| y.cmp(&x)))
                .unwrap_or(0)
        };
        let lang = advisory::Lang::all()[main(&c.langs)];
        let channel = ["sms", "email", "call", "other"][main(&c.channels)];
        let cues: Vec<Cue> = Cue::all()
            .iter()
            .enumerate()
            .filter(|(i, _)| c.cues & (1 << i) != 0)
            .map(|(_, cue)| *cue)
            .collect();
        c.draft = Some(format!(
            "draft ({}): {}",
            lang.code(),
            advisory::advisory(lang, brand, channel, &cues, &doms)
        ));
    }
    if let Some(d) = &c.draft {
        reasons.push(Reason::new("customer_advisory", d.clone()));
    }
    c.sent = size;
    c.sent_domains = c.domains.len();
    c.merged = false;
    let score = 1.0 - 0.5 / (size as f64).sqrt();
    let id = Id::from(format!("phishing_campaign:{}", c.first_id));
    alerts.raise(ev, id, "phishing_campaign", score, entities, reasons);
}

fn channel_index(c: &ReportChannel) -> usize {
    match c {
        ReportChannel::Sms => 0,
        ReportChannel::Email => 1,
        ReportChannel::Call => 2,
        _ => 3,
    }
}

fn volume_words(today: u32, base: f64, what: &str) -> String {
    if base > 0.0 {
        format!(
            "{what}: {today} reports today, x{:.1} the daily average of {base:.1} over the previous 7 days",
            f64::from(today) / base
        )
    } else {
        format!("{what}: {today} reports today, none in the previous 7 days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use clawback_events::output::{EntityType, Outcome};
    use clawback_events::parse_line;
    use clawback_model::linear::{LinearParams, train_linear};
    use clawback_model::{TrainingInfo, ValidationMetrics};

    fn report_event(n: usize, channel: &str, sender: &str, text: &str, urls: &[&str]) -> Event {
        let mut v = serde_json::json!({
            "event_id": format!("e{n}"),
            "type": "message_reported",
            "ts": "2026-11-03T09:00:00Z",
            "report_id": format!("rep-{n}"),
            "channel": channel,
            "text": text,
        });
        if !sender.is_empty() {
            v["sender"] = sender.into();
        }
        if !urls.is_empty() {
            v["urls"] = urls.to_vec().into();
        }
        parse_line(v.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn body(e: &Event) -> &clawback_events::MessageReported {
        match &e.body {
            Body::MessageReported(m) => m,
            _ => panic!("not a report"),
        }
    }

    /// A classifier trained on scams in words no cue list has ("your parcel voucher is
    /// waiting, collect it at …") against ordinary notices.
    fn text_model(confident_logit: f64) -> TextModel {
        let scams = [
            "Congratulations, your parcel voucher is waiting: collect it at voucher-desk.example",
            "Your loyalty voucher expires, collect it today at points-desk.example",
            "Parcel voucher reserved in your name, collect it at voucher-hub.example",
            "A voucher for your parcel is waiting, collect it here parcel-desk.example",
        ];
        let honest = [
            "Your order has shipped and will arrive on Tuesday",
            "Thanks for your return, the refund has been issued",
            "Your order was delivered to the front door",
            "We have received your review, thank you",
        ];
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            let (t, f) = if i % 2 == 0 {
                (scams[i / 2 % 4], true)
            } else {
                (honest[i / 2 % 4], false)
            };
            let e = report_event(i, "sms", "+447700900123", t, &[]);
            x.push(report_text_features(body(&e), 12));
            y.push(f);
        }
        let params = LinearParams {
            bits: 12,
            ..LinearParams::default()
        };
        let info = TrainingInfo {
            first_ts: String::new(),
            last_ts: String::new(),
            train_rows: 40,
            train_positives: 20,
            valid_rows: 0,
            valid_positives: 0,
            valid_from_ts: String::new(),
            seconds: 0.0,
        };
        TextModel {
            features: TEXT_FEATURES.into(),
            trained: info,
            metrics: ValidationMetrics {
                auc: f64::NAN,
                average_precision: f64::NAN,
                log_loss: f64::NAN,
            },
            thresholds: BTreeMap::from([("confident_logit".to_string(), confident_logit)]),
            model: train_linear(&x, &y, &params).unwrap(),
            params,
        }
    }

    fn decide(scam: ScamReports, e: &Event) -> (Outcome, Vec<String>) {
        let mut engine = Engine::baseline();
        engine.set_scam_reports(scam);
        let d = engine.apply(e).decisions.remove(0);
        (
            d.decision,
            d.reasons.iter().map(|r| r.code.to_string()).collect(),
        )
    }

    #[test]
    fn the_classifier_catches_new_words_the_rules_do_not_know() {
        let e = report_event(
            99,
            "sms",
            "+447700900999",
            "Good news, your parcel voucher is waiting: collect it at voucher-point.example",
            &[],
        );
        let (rules, _) = decide(ScamReports::default(), &e);
        assert_eq!(rules, Outcome::Benign, "no rule knows these words");
        // Trusted from log-odds 1.0 (it was 99% precise there on validation): it decides.
        let (with, codes) = decide(
            ScamReports::default()
                .with_text_model(&text_model(1.0))
                .unwrap(),
            &e,
        );
        assert_eq!(with, Outcome::Phishing, "{codes:?}");
        assert_eq!(codes[0], "text_model");
        // Trusted only from log-odds 12: alone it cannot make a report phishing.
        let (capped, codes) = decide(
            ScamReports::default()
                .with_text_model(&text_model(12.0))
                .unwrap(),
            &e,
        );
        assert_ne!(capped, Outcome::Phishing, "{codes:?}");
        // An honest notice stays benign.
        let ok = report_event(
            100,
            "sms",
            "Amazon",
            "Your order has shipped and will arrive on Friday",
            &[],
        );
        let (honest, _) = decide(
            ScamReports::default()
                .with_text_model(&text_model(1.0))
                .unwrap(),
            &ok,
        );
        assert_eq!(honest, Outcome::Benign);
    }

    #[test]
    fn the_classifier_weight_is_scaled_and_capped() {
        assert_eq!(text_model_scale(6.2), 0.5);
        assert_eq!(text_model_scale(0.2), PHISHING_WEIGHT, "floor 1.0");
        assert_eq!(text_model_scale(f64::NAN), PHISHING_WEIGHT / 12.0);
        assert_eq!(text_model_weight(100.0, 1.0), TEXT_MODEL_MAX);
        assert_eq!(text_model_weight(-100.0, 1.0), TEXT_MODEL_MIN);
        assert_eq!(text_model_weight(f64::INFINITY, 1.0), 0.0);
        const { assert!(TEXT_MODEL_MIN > -5.0, "never cancels a lookalike domain") };
        let mut m = text_model(1.0);
        m.features = "other-features-9".into();
        let e = ScamReports::default().with_text_model(&m).unwrap_err();
        assert!(e.to_string().contains("retrain"), "{e}");
    }

    /// A report event at `minute` minutes after 2026-11-03T00:00Z.
    fn timed_report(n: usize, minute: i64, sender: &str, url: &str) -> Event {
        let ts = format!(
            "2026-11-{:02}T{:02}:{:02}:00Z",
            3 + minute / 1440,
            minute / 60 % 24,
            minute % 60
        );
        let mut e = report_event(
            n,
            "sms",
            sender,
            "Amazon: there is a payment problem with your order. Confirm your bank details within 24h",
            &[url],
        );
        e.ts = clawback_events::Timestamp::parse(&ts).unwrap();
        e
    }

    #[test]
    fn a_campaign_is_alerted_in_steps_and_every_report_is_named_once() {
        let mut engine = Engine::baseline();
        type Line = (usize, Vec<String>, String);
        let mut lines: Vec<Line> = Vec::new();
        let mut apply = |e: &Event, n: usize, lines: &mut Vec<Line>| {
            for a in engine.apply(e).alerts {
                assert_eq!(a.alert_id, "phishing_campaign:rep-0");
                let reports = a
                    .entities
                    .iter()
                    .filter(|x| x.kind == EntityType::Report)
                    .map(|x| x.id.to_string())
                    .collect();
                let advisory = a
                    .reasons
                    .iter()
                    .find(|r| r.code == "customer_advisory")
                    .map(|r| r.detail.clone())
                    .unwrap_or_default();
                assert!(
                    advisory.starts_with("draft (en)"),
                    "every emission: {advisory}"
                );
                lines.push((n, reports, advisory));
            }
        };
        // 100 reports of one campaign, one a minute, from one number and domain.
        for n in 0..100 {
            let e = timed_report(n, n as i64, "+447700900001", "https://amaz0n-pay.co/x");
            apply(&e, n, &mut lines);
        }
        // Every report up to 16, then at 32 and 64 (doubling); the rest wait.
        let at: Vec<usize> = lines.iter().map(|l| l.0).collect();
        let mut want: Vec<usize> = (2..16).collect();
        want.extend([31, 63]);
        assert_eq!(at, want);
        // A new domain joins: alerted at once, with the reports waiting.
        let e = timed_report(100, 100, "+447700900001", "https://amaz0n-refunds.top/y");
        apply(&e, 100, &mut lines);
        assert_eq!(lines.last().map(|l| l.0), Some(100));
        assert!(
            lines
                .last()
                .is_some_and(|l| l.2.contains("amaz0n-refunds.top")),
            "a new domain, a new draft"
        );
        // Reports after that wait for the hour to pass: any later event names them.
        for n in 101..110 {
            let e = timed_report(n, n as i64, "+447700900001", "https://amaz0n-pay.co/x");
            apply(&e, n, &mut lines);
        }
        assert_eq!(lines.last().map(|l| l.0), Some(100));
        let later = timed_report(
            999,
            101 + 61,
            "+15550001111",
            "https://other-scam.example/z",
        );
        apply(&later, 999, &mut lines);
        assert_eq!(lines.last().map(|l| l.0), Some(999));
        // Each report named exactly once, in order.
        let named: Vec<String> = lines.iter().flat_map(|l| l.1.clone()).collect();
        let all: Vec<String> = (0..110).map(|n| format!("rep-{n}")).collect();
        assert_eq!(named, all);
        assert!(lines.len() < 25, "{} lines", lines.len());
    }

    /// A finite input ends with reports still waiting for their digest: `Engine::finish`
    /// names them, so a replay's campaigns are whole; without it they were never named.
    #[test]
    fn the_end_of_the_input_names_the_reports_still_waiting() {
        let mut engine = Engine::baseline();
        let mut named: Vec<String> = Vec::new();
        let take = |named: &mut Vec<String>, alerts: Vec<clawback_events::output::Alert>| {
            for a in alerts {
                named.extend(
                    a.entities
                        .iter()
                        .filter(|x| x.kind == EntityType::Report)
                        .map(|x| x.id.to_string()),
                );
            }
        };
        let mut last = None;
        for n in 0..20 {
            let e = timed_report(n, n as i64, "+447700900001", "https://amaz0n-pay.co/x");
            take(&mut named, engine.apply(&e).alerts);
            last = Some(e);
        }
        // Up to 16 reports each is named at once; 17–20 wait for the hourly digest.
        assert_eq!(named.len(), 16);
        let last = last.unwrap();
        let out = engine.finish(&last);
        assert!(out.decisions.is_empty());
        assert!(out.alerts.iter().all(|a| a.ts == last.ts.raw));
        take(&mut named, out.alerts);
        let all: Vec<String> = (0..20).map(|n| format!("rep-{n}")).collect();
        assert_eq!(named, all);
        // Nothing is left to name twice.
        assert!(engine.finish(&last).alerts.is_empty());
    }

    #[test]
    fn any_message_gets_a_decision() {
        let big = "Bitte bestätigen Sie Ihre Bankdaten. ".repeat(40_000);
        let junk: String =
            String::from_utf8_lossy(&[0xff, 0xfe, 0xc3, 0x28, 0x00, 0x07, 0xe2, 0x82])
                .repeat(5_000);
        let texts = [
            String::new(),
            big,
            junk.clone(),
            "您的账户已被冻结，请立即点击链接验证银行卡信息 http://例子.测试/登录".into(),
            "تم تعليق حسابك، يرجى تأكيد بيانات البطاقة".into(),
            "Ваш аккаунт заблокирован, подтвердите данные карты".into(),
            "🎁🎁🎁 you WON!!! ➡️ http://xn--ls8h.la/🎁".into(),
            "\u{202e}nozama\u{200b}\u{feff}\t\r\n".into(),
        ];
        let urls = [
            "http://[::1",
            "http://@@@",
            "xn--",
            "https://a..b/",
            "javascript:alert(1)",
        ];
        for scam in [
            ScamReports::default(),
            ScamReports::default()
                .with_text_model(&text_model(1.0))
                .unwrap(),
        ] {
            let mut engine = Engine::baseline();
            engine.set_scam_reports(scam);
            let sender: String = junk.chars().take(20).collect();
            for (i, t) in texts.iter().enumerate() {
                for channel in ["sms", "email", "call", "other"] {
                    let e = report_event(i, channel, &sender, t, &urls);
                    let out = engine.apply(&e);
                    assert_eq!(out.decisions.len(), 1, "{channel} {i}");
                    assert!((0.0..=1.0).contains(&out.decisions[0].score));
                }
            }
        }
        // Bytes that are not UTF-8 never reach the engine: the parser refuses the line.
        let mut bad = br#"{"event_id":"x","type":"message_reported","ts":"2026-11-03T09:00:00Z","report_id":"r","channel":"sms","text":""#.to_vec();
        bad.extend_from_slice(&[0xff, 0xfe, 0xc3]);
        bad.extend_from_slice(b"\"}");
        assert!(parse_line(&bad).is_err());
    }
}
