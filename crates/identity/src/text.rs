//! Text folding shared by the address normaliser.

/// Appends `c` lowercased with its diacritics folded to ASCII where people writing
/// without them would (é → e, ü → u, ß → ss, œ → oe), so `Straße`/`Strasse` and
/// `Général`/`General` compare equal. Characters outside the table are kept lowercased.
fn push_folded(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        let f: &str = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' => "r",
            'ß' => "ss",
            'ś' | 'š' | 'ş' => "s",
            'ť' | 'ţ' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            _ => {
                out.push(l);
                continue;
            }
        };
        out.push_str(f);
    }
}

/// Splits `s` into folded lowercase tokens: runs of letters and digits, with `#` a token of
/// its own (a unit marker); every other character (spaces, punctuation) only separates.
pub(crate) fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            push_folded(c, &mut cur);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if c == '#' || c == '№' {
                out.push("#".to_string());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_splits() {
        assert_eq!(tokens("Hauptstraße 12"), ["hauptstrasse", "12"]);
        assert_eq!(
            tokens("12, Rue du Général-de-Gaulle"),
            ["12", "rue", "du", "general", "de", "gaulle"]
        );
        assert_eq!(tokens("12 Main St.#4"), ["12", "main", "st", "#", "4"]);
        assert_eq!(tokens("Bât. A"), ["bat", "a"]);
        assert_eq!(tokens("ÉCOLE"), ["ecole"]);
        assert!(tokens(" ,.- ").is_empty());
    }
}
