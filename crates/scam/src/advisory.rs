//! Draft customer advisories for a campaign, in its language.
//!
//! A draft for the retailer's communications team to check and send: the channel, what the
//! message claims and asks for (from its cues, never quoting a customer's message, which
//! may hold their name), the domains, the sentence every advisory must carry ("we will
//! never ask for your bank details by SMS or phone") and where to report.

use crate::text::Cue;

/// Languages we draft in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lang {
    En,
    Fr,
    De,
    Es,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::De => "de",
            Self::Es => "es",
        }
    }

    pub fn all() -> [Lang; 4] {
        [Self::En, Self::Fr, Self::De, Self::Es]
    }
}

const STOP: [(Lang, &[&str]); 4] = [
    (
        Lang::En,
        &[
            "the", "your", "you", "to", "of", "and", "is", "for", "with", "has", "was", "will",
            "be", "now", "order", "account", "said", "me",
        ],
    ),
    (
        Lang::Fr,
        &[
            "le", "la", "les", "votre", "vos", "de", "des", "du", "et", "est", "pour", "sous",
            "une", "un", "commande", "compte", "vous",
        ],
    ),
    (
        Lang::De,
        &[
            "der",
            "die",
            "das",
            "ihre",
            "ihr",
            "sie",
            "und",
            "ist",
            "fur",
            "von",
            "mit",
            "wurde",
            "jetzt",
            "bestellung",
            "konto",
            "eine",
            "ein",
            "bei",
        ],
    ),
    (
        Lang::Es,
        &[
            "el", "la", "los", "su", "sus", "de", "del", "y", "es", "para", "con", "por", "ahora",
            "pedido", "cuenta", "una", "un", "ha",
        ],
    ),
];

/// The most likely language of normalised text (stop-word counts; ties and no evidence go
/// to English).
pub fn language(normalised: &str) -> Lang {
    let mut best = (Lang::En, 0usize);
    for (lang, words) in STOP {
        let n = normalised
            .split(' ')
            .filter(|w| !w.is_empty() && words.contains(w))
            .count();
        if n > best.1 {
            best = (lang, n);
        }
    }
    best.0
}

fn channel_words(lang: Lang, channel: &str) -> &'static str {
    match (lang, channel) {
        (Lang::En, "sms") => "text messages",
        (Lang::En, "email") => "e-mails",
        (Lang::En, "call") => "phone calls",
        (Lang::En, _) => "messages",
        (Lang::Fr, "sms") => "des SMS",
        (Lang::Fr, "email") => "des e-mails",
        (Lang::Fr, "call") => "des appels",
        (Lang::Fr, _) => "des messages",
        (Lang::De, "sms") => "SMS",
        (Lang::De, "email") => "E-Mails",
        (Lang::De, "call") => "Anrufe",
        (Lang::De, _) => "Nachrichten",
        (Lang::Es, "sms") => "SMS",
        (Lang::Es, "email") => "correos electrónicos",
        (Lang::Es, "call") => "llamadas",
        (Lang::Es, _) => "mensajes",
    }
}

fn cue_words(lang: Lang, cue: Cue) -> &'static str {
    use Cue::*;
    match (lang, cue) {
        (Lang::En, CardOrBank) => "ask for your card or bank details",
        (Lang::En, PasswordOrCode) => "ask for your password or a code",
        (Lang::En, PaymentProblem) => "claim a problem with a payment",
        (Lang::En, SuspensionThreat) => "threaten to close or suspend your account",
        (Lang::En, RedeliveryFee) => "ask for a small fee",
        (Lang::En, RemoteAccess) => "ask you to install remote-access software",
        (Lang::En, PrizeLure) => "promise a gift card or reward",
        (Lang::En, UnexpectedCharge | PressKey) => "announce a charge you did not make",
        (Lang::Fr, CardOrBank) => "demandent vos coordonnées bancaires",
        (Lang::Fr, PasswordOrCode) => "demandent votre mot de passe ou un code",
        (Lang::Fr, PaymentProblem) => "prétendent un problème de paiement",
        (Lang::Fr, SuspensionThreat) => "menacent de fermer votre compte",
        (Lang::Fr, RedeliveryFee) => "réclament de petits frais",
        (Lang::Fr, RemoteAccess) => "vous font installer un logiciel de prise en main à distance",
        (Lang::Fr, PrizeLure) => "promettent une carte cadeau",
        (Lang::Fr, UnexpectedCharge | PressKey) => "annoncent un débit que vous n'avez pas fait",
        (Lang::De, CardOrBank) => "nach Ihren Bank- oder Kartendaten fragen",
        (Lang::De, PasswordOrCode) => "nach Ihrem Passwort oder einem Code fragen",
        (Lang::De, PaymentProblem) => "ein Zahlungsproblem behaupten",
        (Lang::De, SuspensionThreat) => "mit der Sperrung Ihres Kontos drohen",
        (Lang::De, RedeliveryFee) => "eine kleine Gebühr verlangen",
        (Lang::De, RemoteAccess) => "Sie zur Installation von Fernwartungssoftware auffordern",
        (Lang::De, PrizeLure) => "einen Gutschein versprechen",
        (Lang::De, UnexpectedCharge | PressKey) => {
            "eine Abbuchung ankündigen, die Sie nicht veranlasst haben"
        }
        (Lang::Es, CardOrBank) => "piden los datos de su tarjeta o banco",
        (Lang::Es, PasswordOrCode) => "piden su contraseña o un código",
        (Lang::Es, PaymentProblem) => "alegan un problema con un pago",
        (Lang::Es, SuspensionThreat) => "amenazan con cerrar su cuenta",
        (Lang::Es, RedeliveryFee) => "piden una pequeña tasa",
        (Lang::Es, RemoteAccess) => "le piden instalar un programa de acceso remoto",
        (Lang::Es, PrizeLure) => "prometen una tarjeta regalo",
        (Lang::Es, UnexpectedCharge | PressKey) => "anuncian un cargo que usted no hizo",
        (_, Urgency | ActionLure | UnusualPayment) => "",
    }
}

/// A draft advisory. `brand` names the retailer, `channel` is the campaign's main channel
/// (`sms`, `email`, `call`, `other`), `cues` what its messages do, `domains` its domains.
pub fn advisory(
    lang: Lang,
    brand: &str,
    channel: &str,
    cues: &[Cue],
    domains: &[String],
) -> String {
    let what: Vec<&str> = cues
        .iter()
        .map(|c| cue_words(lang, *c))
        .filter(|w| !w.is_empty())
        .take(3)
        .collect();
    let ch = channel_words(lang, channel);
    let doms = domains
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let (intro, and, links, never, report) = match lang {
        Lang::En => (
            format!("Beware of {ch} claiming to come from {brand}"),
            " and ",
            "Do not open links to ",
            format!("{brand} will never ask for your bank details by SMS or phone."),
            "Report such messages to us and to your national reporting service (in the UK, forward texts to 7726 and e-mails to report@phishing.gov.uk).",
        ),
        Lang::Fr => (
            format!("Méfiez-vous {ch} se présentant comme {brand}"),
            " et ",
            "N'ouvrez pas les liens vers ",
            format!(
                "{brand} ne vous demandera jamais vos coordonnées bancaires par SMS ou par téléphone."
            ),
            "Signalez ces messages sur internet-signalement.gouv.fr (et les SMS au 33700).",
        ),
        Lang::De => (
            format!("Vorsicht vor {ch}, die angeblich von {brand} kommen"),
            " und ",
            "Öffnen Sie keine Links zu ",
            format!("{brand} wird Sie niemals per SMS oder Telefon nach Ihren Bankdaten fragen."),
            "Melden Sie solche Nachrichten uns und der Verbraucherzentrale (Phishing-Radar).",
        ),
        Lang::Es => (
            format!("Cuidado con {ch} que dicen venir de {brand}"),
            " y ",
            "No abra enlaces a ",
            format!("{brand} nunca le pedirá sus datos bancarios por SMS o por teléfono."),
            "Denuncie estos mensajes ante nosotros y en INCIBE (017).",
        ),
    };
    let mut s = intro;
    if !what.is_empty() {
        s.push_str(match lang {
            Lang::En => " that ",
            Lang::Fr => " qui ",
            Lang::De => " und ",
            Lang::Es => " que ",
        });
        s.push_str(&what.join(and));
    }
    s.push_str(". ");
    if !doms.is_empty() {
        s.push_str(links);
        s.push_str(&doms);
        s.push_str(". ");
    }
    s.push_str(&never);
    s.push(' ');
    s.push_str(report);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalise;

    #[test]
    fn detects_the_language_and_drafts_in_it() {
        assert_eq!(
            language(&normalise(
                "Confirmez vos coordonnées bancaires pour votre commande"
            )),
            Lang::Fr
        );
        assert_eq!(
            language(&normalise(
                "Bestätigen Sie Ihre Bankdaten für die Bestellung"
            )),
            Lang::De
        );
        assert_eq!(
            language(&normalise(
                "Confirme los datos de su tarjeta para el pedido"
            )),
            Lang::Es
        );
        assert_eq!(
            language(&normalise("Confirm your bank details for the order")),
            Lang::En
        );
        let a = advisory(
            Lang::Fr,
            "Amazon",
            "sms",
            &[Cue::PaymentProblem, Cue::CardOrBank],
            &["amaz0n-help.co".into()],
        );
        assert!(
            a.contains("amaz0n-help.co") && a.contains("coordonnées bancaires par SMS"),
            "{a}"
        );
    }
}
