//! Text signals in English, French, German and Spanish.
//!
//! Text is normalised once (NFKD, accents and other combining marks dropped, lowercase,
//! `ß`→`ss`, every run of non-alphanumerics one space, URLs replaced by ` url `, numbers by
//! ` 0 `), then phrase lists are matched on word boundaries. The lists name what a
//! retailer never asks for or does (card and bank details, passwords and codes, remote
//! access), and the pressure scams add (suspension threats, urgency, small fees, prizes).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest text we analyse; the rest is ignored (a report is a message, not a book).
pub const MAX_TEXT_BYTES: usize = 16_384;

/// Normalises text for phrase matching and fingerprints: see the module documentation.
/// The result starts and ends with a space, so ` phrase ` matches whole words.
pub fn normalise(text: &str) -> String {
    let text = crate::url::cut_str(text, MAX_TEXT_BYTES);
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for tok in text.split_whitespace() {
        let lower = tok.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            out.push_str("url ");
            continue;
        }
        let mut in_number = false;
        // Decompose, lowercase, decompose again (NFKD can produce capitals: ㎒ → MHz).
        let lowered: String = tok.nfkd().flat_map(char::to_lowercase).collect();
        let lowered: String = lowered.nfkd().flat_map(char::to_lowercase).collect();
        for c in lowered.chars() {
            if is_combining_mark(c) {
                continue;
            }
            if c.is_ascii_digit() {
                if !in_number {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                    out.push('0');
                    in_number = true;
                }
                continue;
            }
            // "1,234.99" stays one number.
            if in_number && (c == '.' || c == ',') {
                continue;
            }
            if in_number {
                in_number = false;
                // "48h" → "0 h"
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            if c == 'ß' {
                out.push_str("ss");
            } else if c.is_alphanumeric() {
                out.push(c);
            } else if !out.ends_with(' ') {
                out.push(' ');
            }
        }
        if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out
}

/// A family of text signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cue {
    /// Asks for card or bank details.
    CardOrBank,
    /// Asks for a password, a one-time code or a login.
    PasswordOrCode,
    /// Claims a payment failed or is blocked.
    PaymentProblem,
    /// Threatens suspension, closure or cancellation.
    SuspensionThreat,
    /// Time pressure.
    Urgency,
    /// A small fee to release a parcel.
    RedeliveryFee,
    /// Remote-access software or taking control of a device.
    RemoteAccess,
    /// "Press 1" robocalls and callers who transfer you.
    PressKey,
    /// A prize, gift card or reward to claim.
    PrizeLure,
    /// An unexpected charge or order to "cancel".
    UnexpectedCharge,
    /// A refund to claim or a sign-in to secure, with a link.
    ActionLure,
    /// Pays by gift card or crypto.
    UnusualPayment,
}

impl Cue {
    pub fn code(self) -> &'static str {
        match self {
            Self::CardOrBank => "requests_card_or_bank_details",
            Self::PasswordOrCode => "requests_password_or_code",
            Self::PaymentProblem => "payment_problem_pretext",
            Self::SuspensionThreat => "suspension_threat",
            Self::Urgency => "urgency",
            Self::RedeliveryFee => "small_fee_request",
            Self::RemoteAccess => "remote_access_request",
            Self::PressKey => "press_key_robocall",
            Self::PrizeLure => "prize_lure",
            Self::UnexpectedCharge => "unexpected_charge",
            Self::ActionLure => "action_lure",
            Self::UnusualPayment => "unusual_payment_method",
        }
    }

    pub fn all() -> &'static [Cue] {
        &[
            Self::CardOrBank,
            Self::PasswordOrCode,
            Self::PaymentProblem,
            Self::SuspensionThreat,
            Self::Urgency,
            Self::RedeliveryFee,
            Self::RemoteAccess,
            Self::PressKey,
            Self::PrizeLure,
            Self::UnexpectedCharge,
            Self::ActionLure,
            Self::UnusualPayment,
        ]
    }

    /// Phrases, already normalised (no accents, lowercase, numbers as `0`). A `*` at the end
    /// of a word matches any ending (`verif*` → verify, verifiez, verificar).
    fn phrases(self) -> &'static [&'static str] {
        match self {
            Self::CardOrBank => &[
                // en
                "bank details",
                "bank account details",
                "banking details",
                "card details",
                "card number",
                "your card",
                "payment details",
                "payment info*",
                "payment method",
                "billing info*",
                "billing details",
                "cvv",
                "cvc",
                "expiry date",
                "sort code",
                "iban",
                // fr
                "coordonnees bancaires",
                "informations bancaires",
                "carte bancaire",
                "votre carte",
                "numero de carte",
                "donnees bancaires",
                "rib",
                "moyen de paiement",
                "informations de paiement",
                // de
                "bankdaten",
                "kontodaten",
                "bankverbindung",
                "kreditkarte",
                "ihre karte",
                "kartennummer",
                "zahlungsdaten",
                "zahlungsinformationen",
                "zahlungsmethode",
                // es
                "datos bancarios",
                "tarjeta",
                "numero de tarjeta",
                "datos de pago",
                "cuenta bancaria",
                "metodo de pago",
            ],
            Self::PasswordOrCode => &[
                "password",
                "passcode",
                "one time code",
                "verification code",
                "security code",
                "pin",
                "otp",
                "login details",
                "sign in details",
                "mot de passe",
                "code de verification",
                "code de securite",
                "identifiants",
                "passwort",
                "kennwort",
                "bestatigungscode",
                "sicherheitscode",
                "zugangsdaten",
                "contrasena",
                "codigo de verificacion",
                "codigo de seguridad",
            ],
            Self::PaymentProblem => &[
                "payment problem",
                "payment issue",
                "problem with your payment",
                "payment failed",
                "payment was declined",
                "was declined",
                "declined",
                "payment declined",
                "could not be processed",
                "failed",
                "unable to process",
                "probleme de paiement",
                "paiement refuse",
                "paiement a echoue",
                "a echoue",
                "zahlungsproblem",
                "zahlung",
                "abgelehnt",
                "fehlgeschlagen",
                "problema con el pago",
                "pago rechazado",
                "pago fallido",
                "ha fallado",
                "rechazado",
            ],
            Self::SuspensionThreat => &[
                "suspended",
                "suspend*",
                "locked",
                "blocked",
                "will be closed",
                "closed",
                "will be cancelled",
                "will be canceled",
                "cancelled",
                "canceled",
                "cancellation",
                "deactivated",
                "terminated",
                "unusual activity",
                "unusual sign in",
                "new device",
                "restricted",
                "suspendu",
                "bloque",
                "ferme",
                "definitivement",
                "desactive",
                "annulee",
                "annule",
                "connexion inhabituelle",
                "activite inhabituelle",
                "gesperrt",
                "gesperrt werden",
                "deaktiviert",
                "geschlossen",
                "gekundigt",
                "storniert",
                "ungewohnliche aktivitat",
                "suspendida",
                "bloqueada",
                "cerrada",
                "cancelada",
                "actividad inusual",
                "sera cerrada",
            ],
            Self::Urgency => &[
                "urgent",
                "urgently",
                "immediately",
                "right away",
                "now",
                "within 0",
                "within 0 h",
                "within 0 hours",
                "in 0 h",
                "in 0 hours",
                "0 h",
                "expires",
                "expire",
                "expiring",
                "before midnight",
                "today only",
                "final notice",
                "last chance",
                "action required",
                "act now",
                "asap",
                "sous 0",
                "sous 0 h",
                "sous 0 heures",
                "immediatement",
                "urgence",
                "des maintenant",
                "avant minuit",
                "derniere chance",
                "expire",
                "sofort",
                "jetzt",
                "umgehend",
                "dringend",
                "innerhalb von 0",
                "0 stunden",
                "letzte chance",
                "inmediatamente",
                "urgente",
                "ahora",
                "en 0 horas",
                "antes de medianoche",
                "ultima oportunidad",
            ],
            Self::RedeliveryFee => &[
                "redelivery fee",
                "redelivery",
                "delivery fee",
                "shipping fee",
                "customs fee",
                "customs duty",
                "small fee",
                "unpaid fee",
                "pay the fee",
                "reschedule delivery",
                "frais de livraison",
                "frais de douane",
                "nouvelle livraison",
                "frais de reexpedition",
                "zustellgebuhr",
                "zollgebuhr",
                "versandgebuhr",
                "gebuhr",
                "neue zustellung",
                "tasa de envio",
                "gastos de envio",
                "tasa de aduana",
                "nueva entrega",
            ],
            Self::RemoteAccess => &[
                "anydesk",
                "teamviewer",
                "quicksupport",
                "rustdesk",
                "ultraviewer",
                "supremo",
                "remote access",
                "remote desktop",
                "screen share*",
                "install an app",
                "install the app",
                "install a program",
                "take control",
                "access to my computer",
                "access to your computer",
                "controle a distance",
                "acces a distance",
                "prise en main",
                "fernzugriff",
                "fernwartung",
                "acceso remoto",
                "control remoto",
            ],
            Self::PressKey => &[
                "press 0",
                "press one",
                "appuyez sur 0",
                "tapez 0",
                "drucken sie 0",
                "taste 0",
                "pulse 0",
                "marque 0",
                "automated call",
                "robocall",
                "recorded message",
                "appel automatique",
                "message enregistre",
                "automatischer anruf",
                "bandansage",
                "llamada automatica",
                "mensaje grabado",
            ],
            Self::PrizeLure => &[
                "gift card",
                "you have won",
                "you ve won",
                "you won",
                "winner",
                "congratulations",
                "selected",
                "reward",
                "prize",
                "free gift",
                "loyalty reward",
                "claim your",
                "carte cadeau",
                "gagne",
                "felicitations",
                "selectionne",
                "recompense",
                "cadeau",
                "gutschein",
                "gewonnen",
                "gluckwunsch",
                "belohnung",
                "geschenk",
                "tarjeta regalo",
                "ganado",
                "felicidades",
                "premio",
                "regalo",
            ],
            Self::UnexpectedCharge => &[
                "will be charged",
                "has been charged",
                "charged to your",
                "unauthorised",
                "unauthorized",
                "fraud department",
                "fraud team",
                "cancel it",
                "cancel the order",
                "sera debite",
                "a ete debite",
                "service fraude",
                "annuler",
                "wird belastet",
                "abgebucht",
                "betrugsabteilung",
                "stornieren",
                "sera cargado",
                "se cargara",
                "departamento de fraude",
                "cancelar",
            ],
            Self::ActionLure => &[
                "verify",
                "verify your",
                "confirm your",
                "update your",
                "secure your",
                "claim it",
                "claim",
                "renew here",
                "click here",
                "log in",
                "sign in here",
                "refund of 0 is pending",
                "pending",
                "verifiez",
                "confirmez",
                "securisez",
                "mettez a jour",
                "cliquez",
                "reclamez",
                "en attente",
                "bestatigen sie",
                "aktualisieren sie",
                "anfordern",
                "einlosen",
                "klicken sie",
                "steht aus",
                "verifique",
                "confirme",
                "actualice",
                "reclame",
                "haga clic",
                "pendiente",
            ],
            Self::UnusualPayment => &[
                "itunes card",
                "google play card",
                "steam card",
                "bitcoin",
                "crypto",
                "western union",
                "moneygram",
                "cartes prepayees",
                "pcs",
                "transcash",
                "paysafecard",
                "prepaid card",
                "tarjeta prepago",
            ],
        }
    }
}

fn matches_phrase(norm: &str, phrase: &str) -> bool {
    if let Some(stem) = phrase.strip_suffix('*') {
        let needle = format!(" {stem}");
        return norm.contains(&needle);
    }
    let needle = format!(" {phrase} ");
    norm.contains(&needle)
}

/// The cues found in normalised text, each with the first phrase that matched.
pub fn cues(normalised: &str) -> Vec<(Cue, &'static str)> {
    let mut out = Vec::new();
    for &cue in Cue::all() {
        if let Some(p) = cue.phrases().iter().find(|p| matches_phrase(normalised, p)) {
            out.push((cue, *p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_accents_numbers_and_urls() {
        assert_eq!(
            normalise("Confirmez vos COORDONNÉES bancaires sous 48h : https://x.example/a"),
            " confirmez vos coordonnees bancaires sous 0 h url "
        );
        assert_eq!(normalise("Größe 1.566,99 €"), " grosse 0 ");
        assert_eq!(normalise(""), " ");
    }

    fn codes(t: &str) -> Vec<&'static str> {
        cues(&normalise(t))
            .into_iter()
            .map(|(c, _)| c.code())
            .collect()
    }

    #[test]
    fn finds_cues_in_four_languages() {
        let c = codes(
            "There is a payment problem with your order. Confirm your bank details within 24h",
        );
        assert!(c.contains(&"requests_card_or_bank_details"));
        assert!(c.contains(&"payment_problem_pretext"));
        assert!(c.contains(&"urgency"));
        let c = codes("Bestätigen Sie Ihre Bankdaten innerhalb von 24 Stunden");
        assert!(c.contains(&"requests_card_or_bank_details") && c.contains(&"urgency"));
        let c = codes("Votre compte sera définitivement fermé sous 12 heures");
        assert!(c.contains(&"suspension_threat") && c.contains(&"urgency"));
        let c = codes("Su cuenta ha sido bloqueada. Introduzca los datos de su tarjeta ahora");
        assert!(c.contains(&"suspension_threat") && c.contains(&"requests_card_or_bank_details"));
        let c = codes("He asked me to install AnyDesk");
        assert!(c.contains(&"remote_access_request"));
        let c = codes("Your parcel is waiting: pay the £1.99 redelivery fee");
        assert!(c.contains(&"small_fee_request"));
    }

    #[test]
    fn genuine_notifications_have_few_cues() {
        assert!(codes("Hello Anna, your order 111-2845081-8644942 (74,98 €) has shipped. Track your package: https://www.amazon.fr/x").is_empty());
    }
}
