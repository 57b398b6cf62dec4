//! Phishing campaigns: a few crews, each with its own look-alike domains (homoglyphs such
//! as `amaz0n` / `arnazon`, brand-plus-word hyphenations, one punycode `xn--` label, one
//! behind a URL shortener), its own sender numbers and addresses and its own text
//! templates (in English, French or German, varied by placeholders), sending by SMS, email
//! or phone. Volume follows a base rate that spikes ×5–16 over the sales event near the
//! end of the period; customers report what they receive as `message_reported`.
//!
//! When campaigns are configured, the phishing texts customers report during their visits
//! come from the campaigns too, so every fraudulent report belongs to a campaign. Genuine
//! retailer messages reported anyway stay honest.
//!
//! Everything here draws from the simulator's one random stream, but only when campaigns
//! are configured, so the honest stream of a config without them is unchanged.

use super::*;
use std::collections::BTreeMap;

/// Words look-alike domains are built from.
const WORDS: &[&str] = &[
    "secure", "verify", "billing", "refund", "account", "support", "login", "service", "prime",
    "help",
];
const TLDS: &[&str] = &["com", "net", "info", "top", "xyz", "help", "co", "shop"];
const SHORTENERS: &[&str] = &["bit.ly", "tinyurl.com", "t.ly", "cutt.ly"];

/// One phishing crew.
#[derive(Debug)]
pub(super) struct Campaign {
    domains: Vec<String>,
    /// Links go through a URL shortener (slugs of this prefix) rather than the domain.
    shortener: Option<(&'static str, String)>,
    paths: Vec<&'static str>,
    /// Rendered sender numbers (SMS and calls).
    numbers: Vec<String>,
    /// Local parts of the sender addresses (emails come from the campaign's domains).
    mailboxes: Vec<&'static str>,
    /// 0 payment problem, 1 account locked, 2 refund pending, 3 Prime renewal, 4 gift card.
    theme: u8,
    /// Weights of sms, email, call.
    channels: [u32; 3],
    /// Languages targeted (and the countries reporting): bit 0 En, 1 Fr, 2 De.
    langs: u8,
    /// Reports per day outside the sales event.
    base: f64,
    /// Multiplier during the sales event.
    spike: f64,
    from: i64,
}

/// Campaigns and the ground truth of which reports they produced.
#[derive(Debug, Default)]
pub(super) struct Phishing {
    pub(super) campaigns: Vec<Campaign>,
    /// The sales event: [start, end).
    sale: (i64, i64),
    /// Report number → campaign (1-based).
    pub(super) campaign_of: BTreeMap<u64, u16>,
}

fn lang_bit(lang: Lang) -> u8 {
    match lang {
        Lang::En => 1,
        Lang::Fr => 2,
        Lang::De => 4,
    }
}

impl Sim<'_> {
    /// Builds the configured campaigns and schedules their first messages.
    pub(super) fn setup_phishing(&mut self) {
        let n = self.cfg.phishing_campaigns.min(u32::from(u16::MAX - 1)) as usize;
        let span = self.end - self.start;
        let days = (span / DAY).max(1);
        // The sales event (Black Friday in the default November period): three or four
        // days about four fifths into the period.
        let sale_start = self.start + (days * 4 / 5).min(days - 1).max(0) * DAY;
        let sale_days = self.r.range(
            i64::from(self.cfg.rates.sale_days_min),
            i64::from(self.cfg.rates.sale_days_max),
        );
        let sale_end = (sale_start + sale_days * DAY).min(self.end);
        self.phish.sale = (sale_start, sale_end);
        let scale = f64::from(self.cfg.customers) / 2_000.0;
        let punycode_at = self.r.below(n);
        let shortener_at = (punycode_at + 1 + self.r.below(n.max(2) - 1)) % n.max(1);
        for k in 0..n {
            let style = if k == punycode_at {
                0
            } else {
                1 + self.r.below(5)
            };
            let mut domains = Vec::with_capacity(2);
            for _ in 0..1 + usize::from(self.r.chance(0.4)) {
                let w = *self.r.pick(WORDS);
                let tld = *self.r.pick(TLDS);
                let d = match style {
                    0 => {
                        let mut s = String::from("xn--amzon-");
                        for _ in 0..3 {
                            let x = self.r.below(36) as u8;
                            s.push(char::from(if x < 10 { b'0' + x } else { b'a' + x - 10 }));
                        }
                        let _ = write!(s, ".{tld}");
                        s
                    }
                    1 => format!("amaz0n-{w}.{tld}"),
                    2 => format!("arnazon-{w}.{tld}"),
                    3 => format!("amazon-{w}-{}.{tld}", self.r.pick(WORDS)),
                    4 => format!("amazon.com-{w}.{tld}"),
                    _ => format!("amzn-{w}.{tld}"),
                };
                if !domains.contains(&d) {
                    domains.push(d);
                }
            }
            let shortener = (k == shortener_at && n > 1).then(|| {
                let mut slug = String::new();
                self.r.letters(&mut slug, 2);
                (*self.r.pick(SHORTENERS), slug)
            });
            let mut paths = Vec::with_capacity(2);
            for _ in 0..2 {
                paths.push(*self.r.pick(&[
                    "verify",
                    "login",
                    "billing",
                    "refund",
                    "secure",
                    "ap/signin",
                ]));
            }
            let langs = match k % 3 {
                0 => 1 | if self.r.chance(0.3) { 2 } else { 0 },
                1 => 2 | if self.r.chance(0.3) { 1 } else { 0 },
                _ => 4 | if self.r.chance(0.3) { 1 } else { 0 },
            };
            let mut numbers = Vec::with_capacity(4);
            for _ in 0..self.r.range(2, 4) {
                let ci = match langs {
                    l if l & 1 != 0 && self.r.chance(0.6) => self.r.weighted(&[60, 25, 0, 0, 15]),
                    l if l & 2 != 0 => 3,
                    l if l & 4 != 0 => 2,
                    _ => 0,
                };
                let cities = COUNTRIES[ci].cities;
                let city = &cities[self.r.below(cities.len())];
                let num = phone_number(ci, city, &mut self.r);
                let mut s = String::with_capacity(16);
                write_phone(&mut s, ci, num, 0);
                numbers.push(s);
            }
            let mut mailboxes = Vec::with_capacity(2);
            for _ in 0..2 {
                mailboxes.push(*self.r.pick(&[
                    "no-reply",
                    "billing",
                    "support",
                    "security",
                    "service",
                    "account-update",
                ]));
            }
            let channels = [[70, 25, 5], [20, 75, 5], [45, 15, 40]][self.r.weighted(&[45, 40, 15])];
            let from = self.start + self.r.range(0, span / 2);
            self.phish.campaigns.push(Campaign {
                domains,
                shortener,
                paths,
                numbers,
                mailboxes,
                theme: (k % 5) as u8,
                channels,
                langs,
                base: self.r.range(6, 16) as f64 / 10.0 * scale,
                spike: self.r.range(
                    i64::from(self.cfg.rates.phishing_spike_min),
                    i64::from(self.cfg.rates.phishing_spike_max),
                ) as f64,
                from,
            });
            let t = from + self.r.range(0, 6 * HOUR);
            self.push(t, Kind::Phish(k as u16));
        }
    }

    fn phish_rate(&self, k: usize, ts: i64) -> f64 {
        let c = &self.phish.campaigns[k];
        let (s, e) = self.phish.sale;
        if (s..e).contains(&ts) {
            c.base * c.spike
        } else {
            c.base
        }
    }

    /// One of the campaign's messages reaches a customer who reports it; the next one is
    /// planned (thinning of a Poisson process at the sales-event rate).
    pub(super) fn phish(&mut self, ts: i64, k: u16) {
        let ki = usize::from(k);
        let c = &self.phish.campaigns[ki];
        let max = (c.base * c.spike).max(1e-6);
        let next = ts + (self.r.exp(DAY as f64 / max) as i64).max(60);
        self.push(next, Kind::Phish(k));
        if !self.r.chance(self.phish_rate(ki, ts) / max) {
            return;
        }
        let langs = self.phish.campaigns[ki].langs;
        let mut who = None;
        for _ in 0..30 {
            if let Some(i) = self.some_customer() {
                let cust = &self.customers[i as usize];
                if !cust.closed && lang_bit(country(cust.country).lang) & langs != 0 {
                    who = Some(i);
                    break;
                }
            }
        }
        let Some(i) = who else { return };
        self.ids.report += 1;
        let id = self.ids.report;
        self.campaign_report(ts, i, ki, id);
    }

    /// The campaign best matching the customer's language, weighted by current volume,
    /// for a phishing text reported during a visit.
    pub(super) fn campaign_for(&mut self, ts: i64, i: u32) -> usize {
        let bit = lang_bit(country(self.customers[i as usize].country).lang);
        let n = self.phish.campaigns.len();
        let w: Vec<u32> = (0..n)
            .map(|k| {
                let c = &self.phish.campaigns[k];
                let fit = if c.langs & bit != 0 { 10.0 } else { 0.5 };
                let live = if c.from <= ts { 1.0 } else { 0.2 };
                (self.phish_rate(k, ts) * fit * live * 100.0)
                    .round()
                    .max(1.0) as u32
            })
            .collect();
        self.r.weighted(&w)
    }

    /// Writes the `message_reported` line for a campaign message received by customer `i`.
    pub(super) fn campaign_report(&mut self, ts: i64, i: u32, k: usize, id: u64) {
        let cust = &self.customers[i as usize];
        let ci = cust.country as usize;
        let cc = &COUNTRIES[ci];
        let lang = cc.lang;
        let first = names(lang).0[cust.first as usize];
        let camp = &self.phish.campaigns[k];
        let channel = ["sms", "email", "call"][self.r.weighted(&camp.channels)];
        let domain = camp.domains[self.r.below(camp.domains.len())].clone();
        let url = match &camp.shortener {
            Some((host, slug)) => {
                let mut u = format!("https://{host}/{slug}");
                self.r.letters(&mut u, 3);
                self.r.digits(&mut u, 2);
                u
            }
            None => {
                let path = camp.paths[self.r.below(camp.paths.len())];
                let mut u = format!("https://{domain}/{path}");
                if self.r.chance(0.4) {
                    let _ = write!(u, "?id={:06x}", self.r.below(0xff_ffff));
                }
                u
            }
        };
        let sender = match channel {
            "email" => format!(
                "{}@{domain}",
                camp.mailboxes[self.r.below(camp.mailboxes.len())]
            ),
            _ => camp.numbers[self.r.below(camp.numbers.len())].clone(),
        };
        let theme = camp.theme;
        let amount = money_text(self.r.range(20, 1_600) * 100 - 1, cc.currency);
        let order = format!(
            "11{}-{:07}-{:07}",
            1 + self.r.below(4),
            self.r.below(10_000_000),
            self.r.below(10_000_000)
        );
        let hours = [12, 24, 48][self.r.below(3)];
        let alt = self.r.chance(0.5);
        let text = if channel == "call" {
            match (lang, alt) {
                (Lang::Fr, _) => format!(
                    "L'appelant disait être du service fraude d'Amazon à propos d'une commande de {amount} et m'a demandé d'installer AnyDesk."
                ),
                (Lang::De, _) => format!(
                    "Der Anrufer gab sich als Amazon-Betrugsabteilung aus, wegen einer Bestellung über {amount}, und wollte, dass ich AnyDesk installiere."
                ),
                (_, true) => format!(
                    "Automated call: an order of {amount} will be charged to your Amazon account, press 1 to speak to an agent."
                ),
                _ => format!(
                    "Caller said they were from Amazon's fraud department about an order for {amount} and asked me to install AnyDesk to cancel it."
                ),
            }
        } else {
            match (theme, lang, alt) {
                (0, Lang::En, false) => format!(
                    "Amazon: There is a payment problem with your order {order}. Confirm your bank details within {hours}h or it will be cancelled: {url}"
                ),
                (0, Lang::En, true) => format!(
                    "AMAZON: payment of {amount} for order {order} was declined. Update your card now to avoid cancellation: {url}"
                ),
                (0, Lang::Fr, false) => format!(
                    "Amazon : un problème de paiement concerne votre commande {order}. Confirmez vos coordonnées bancaires sous {hours}h : {url}"
                ),
                (0, Lang::Fr, true) => format!(
                    "Amazon : votre paiement de {amount} a été refusé. Mettez à jour votre carte : {url}"
                ),
                (0, Lang::De, false) => format!(
                    "Amazon: Bei Ihrer Bestellung {order} gibt es ein Zahlungsproblem. Bestätigen Sie Ihre Bankdaten innerhalb von {hours} Stunden: {url}"
                ),
                (0, Lang::De, true) => format!(
                    "Amazon: Ihre Zahlung über {amount} wurde abgelehnt. Aktualisieren Sie jetzt Ihre Karte: {url}"
                ),
                (1, Lang::En, false) => format!(
                    "Your Amazon account has been locked due to unusual activity. Verify within {hours}h: {url}"
                ),
                (1, Lang::En, true) => format!(
                    "Dear {first}, we detected a sign-in from a new device. If this wasn't you, secure your Amazon account: {url}"
                ),
                (1, Lang::Fr, false) => format!(
                    "Votre compte Amazon sera définitivement fermé sous {hours} heures. Confirmez vos informations : {url}"
                ),
                (1, Lang::Fr, true) => format!(
                    "Bonjour {first}, une connexion inhabituelle à votre compte Amazon a été détectée. Sécurisez-le : {url}"
                ),
                (1, Lang::De, false) => format!(
                    "Ihr Amazon-Konto wurde gesperrt. Bitte bestätigen Sie Ihre Daten innerhalb von {hours} Stunden: {url}"
                ),
                (1, Lang::De, true) => format!(
                    "Hallo {first}, wir haben eine Anmeldung von einem neuen Gerät festgestellt. Amazon-Konto jetzt sichern: {url}"
                ),
                (2, Lang::En, false) => format!(
                    "Amazon: a refund of {amount} is pending for order {order}. Claim it within {hours}h: {url}"
                ),
                (2, Lang::En, true) => format!(
                    "Dear {first}, a refund of {amount} is waiting. Enter your card details to receive it: {url}"
                ),
                (2, Lang::Fr, _) => format!(
                    "Amazon : un remboursement de {amount} est en attente pour la commande {order}. Réclamez-le ici : {url}"
                ),
                (2, Lang::De, _) => format!(
                    "Amazon: Eine Rückerstattung von {amount} für Bestellung {order} steht aus. Jetzt anfordern: {url}"
                ),
                (3, Lang::En, false) => format!(
                    "Amazon Prime: your membership renewal of {amount} failed. Update your payment info at {url}"
                ),
                (3, Lang::En, true) => format!(
                    "{first}, your Prime membership will be cancelled in {hours}h. Renew here: {url}"
                ),
                (3, Lang::Fr, _) => format!(
                    "Amazon Prime : le renouvellement de votre abonnement ({amount}) a échoué. Mettez à jour vos informations : {url}"
                ),
                (3, Lang::De, _) => format!(
                    "Amazon Prime: Die Verlängerung Ihrer Mitgliedschaft ({amount}) ist fehlgeschlagen. Zahlungsdaten aktualisieren: {url}"
                ),
                (_, Lang::En, false) => format!(
                    "Black Friday at Amazon: {first}, you have been selected for a {amount} gift card. Claim before midnight: {url}"
                ),
                (_, Lang::En, true) => format!(
                    "Amazon: congratulations! Your loyalty reward of {amount} expires in {hours}h. Claim: {url}"
                ),
                (_, Lang::Fr, _) => format!(
                    "Black Friday Amazon : vous avez été sélectionné(e) pour une carte cadeau de {amount}. Profitez-en : {url}"
                ),
                (_, Lang::De, _) => format!(
                    "Black Friday bei Amazon: Sie haben einen Gutschein über {amount} gewonnen. Jetzt einlösen: {url}"
                ),
            }
        };
        let subject = (channel == "email").then(|| {
            match (theme, lang) {
                (0, Lang::Fr) => "Problème de paiement avec votre commande",
                (0, Lang::De) => "Zahlungsproblem mit Ihrer Bestellung",
                (0, _) => "Action required: payment problem with your order",
                (1, Lang::Fr) => "Votre compte a été suspendu",
                (1, Lang::De) => "Ihr Konto wurde gesperrt",
                (1, _) => "Your account has been suspended",
                (2, Lang::Fr) => "Notification de remboursement",
                (2, Lang::De) => "Rückerstattung",
                (2, _) => "Refund notification",
                (3, Lang::Fr) => "Votre abonnement Prime",
                (3, Lang::De) => "Ihre Prime-Mitgliedschaft",
                (3, _) => "Your Prime membership",
                (_, Lang::Fr) => "Votre carte cadeau Black Friday",
                (_, Lang::De) => "Ihr Black-Friday-Gutschein",
                _ => "Your Black Friday gift card",
            }
            .to_string()
        });
        let mut j = self.ev(ts, "message_reported");
        j.fmt("report_id", format_args!("rep-{id:07}"));
        j.str("channel", channel);
        j.str("text", &text);
        if self.r.chance(0.9) {
            j.disp("account_id", &Acct(i));
        } else {
            self.absent(&mut j, "account_id");
        }
        if self.r.chance(0.9) {
            j.str("sender", &sender);
        }
        if let Some(s) = subject {
            j.str("subject", &s);
        }
        if channel != "call" {
            j.begin_arr("urls");
            j.elem_str(&url);
            j.end_arr();
        }
        if self.labels && j.at < self.end {
            self.truth.reports.push((id, true));
            self.phish.campaign_of.insert(id, k as u16 + 1);
        }
        self.emit(j);
    }
}
