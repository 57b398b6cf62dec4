//! Product words: what kind of goods a post names ("iPhone 15 Pro", "MacBook", "PS5",
//! "Dyson", "baskets Nike"), as a set of broad categories that an order's free-text item
//! categories map to as well. The words are brands and common nouns in English, French,
//! German, Spanish and Italian; they corroborate a masked id's candidate order, they never
//! match one alone.

use crate::date::fold;
use std::sync::OnceLock;

/// A broad category, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Cat {
    Electronics = 1,
    Computers = 1 << 1,
    VideoGames = 1 << 2,
    Phones = 1 << 3,
    Apparel = 1 << 4,
    Home = 1 << 5,
    Beauty = 1 << 6,
    Books = 1 << 7,
    Toys = 1 << 8,
    Grocery = 1 << 9,
    Jewelry = 1 << 10,
    Cameras = 1 << 11,
}

/// A set of [`Cat`]s.
pub type Cats = u16;

const E: Cats = Cat::Electronics as Cats;
const C: Cats = Cat::Computers as Cats;
const G: Cats = Cat::VideoGames as Cats;
const P: Cats = Cat::Phones as Cats;
const A: Cats = Cat::Apparel as Cats;
const H: Cats = Cat::Home as Cats;
const B: Cats = Cat::Beauty as Cats;
const K: Cats = Cat::Books as Cats;
const T: Cats = Cat::Toys as Cats;
const F: Cats = Cat::Grocery as Cats;
const J: Cats = Cat::Jewelry as Cats;
const M: Cats = Cat::Cameras as Cats;

/// Words and two-word phrases (folded: lower case, no accents) and their categories.
const LEXICON: &[(&str, Cats)] = &[
    // Phones
    ("iphone", P),
    ("galaxy", P | E),
    ("pixel", P),
    ("smartphone", P),
    ("phone", P),
    ("phones", P),
    ("handy", P),
    ("telephone", P),
    ("portable", P | C),
    ("telefono", P),
    ("movil", P),
    ("cellulare", P),
    ("oneplus", P),
    ("xiaomi", P | E),
    ("huawei", P),
    ("android", P),
    ("motorola", P),
    ("mobile", P),
    ("cellphone", P),
    // Computers and tablets
    ("macbook", C),
    ("laptop", C),
    ("laptops", C),
    ("notebook", C),
    ("ultrabook", C),
    ("chromebook", C),
    ("ordinateur", C),
    ("computer", C),
    ("computers", C),
    ("pc", C),
    ("ordenador", C),
    ("monitor", C | E),
    ("ecran", C | E),
    ("bildschirm", C | E),
    ("imac", C),
    ("ipad", C | E),
    ("tablet", C | E),
    ("tablette", C | E),
    ("gpu", C),
    ("rtx", C),
    ("graphics card", C),
    ("carte graphique", C),
    ("grafikkarte", C),
    ("thinkpad", C),
    ("surface", C),
    ("mini pc", C),
    ("ssd", C),
    ("cpu", C),
    ("ryzen", C),
    ("intel", C),
    ("gaming laptop", C | G),
    ("mac", C),
    // Video games
    ("ps5", G),
    ("ps4", G),
    ("playstation", G),
    ("xbox", G),
    ("nintendo", G),
    ("switch", G),
    ("console", G),
    ("konsole", G),
    ("consola", G),
    ("steam deck", G),
    ("controller", G),
    ("manette", G),
    ("game", G),
    ("games", G),
    ("jeu", G),
    ("spiel", G),
    ("juego", G),
    ("gioco", G),
    ("gaming", G),
    ("headset", G | E),
    ("dualsense", G),
    // Electronics
    ("airpods", E),
    ("earbuds", E),
    ("headphones", E),
    ("ecouteurs", E),
    ("casque", E),
    ("kopfhorer", E),
    ("auriculares", E),
    ("cuffie", E),
    ("speaker", E),
    ("speakers", E),
    ("enceinte", E),
    ("lautsprecher", E),
    ("altavoz", E),
    ("soundbar", E),
    ("tv", E),
    ("television", E),
    ("fernseher", E),
    ("televisor", E),
    ("oled", E | G),
    ("smartwatch", E | J),
    ("apple watch", E | J),
    ("watch", E | J),
    ("kindle", E | K),
    ("e-reader", E),
    ("ereader", E),
    ("streaming stick", E),
    ("fire stick", E),
    ("firestick", E),
    ("roku", E),
    ("drone", E | M),
    ("dji", E | M),
    ("bose", E),
    ("sony", E | G | M),
    ("beats", E),
    ("sonos", E),
    ("jbl", E),
    ("projector", E),
    ("echo", E),
    ("alexa", E),
    ("garmin", E | J),
    ("fitbit", E),
    ("4k", E),
    ("hdmi", E),
    ("charger", E | P),
    // Cameras
    ("camera", M | E),
    ("cameras", M | E),
    ("gopro", M | E),
    ("action camera", M | E),
    ("appareil photo", M | E),
    ("kamera", M | E),
    ("camara", M | E),
    ("lens", M),
    ("canon", M),
    ("nikon", M),
    ("fujifilm", M),
    ("dslr", M),
    ("mirrorless", M),
    // Apparel
    ("shoes", A),
    ("sneakers", A),
    ("trainers", A),
    ("baskets", A),
    ("chaussures", A),
    ("schuhe", A),
    ("zapatillas", A),
    ("scarpe", A),
    ("jacket", A),
    ("veste", A),
    ("jacke", A),
    ("chaqueta", A),
    ("coat", A),
    ("jeans", A),
    ("hoodie", A),
    ("dress", A),
    ("robe", A),
    ("kleid", A),
    ("vestido", A),
    ("t-shirt", A),
    ("tshirt", A),
    ("shirt", A),
    ("nike", A),
    ("adidas", A),
    ("yeezy", A),
    ("jordan", A),
    ("jordans", A),
    ("north face", A),
    ("moncler", A),
    ("canada goose", A),
    ("handbag", A | J),
    ("bag", A),
    ("sac", A),
    ("boots", A),
    ("running shoes", A),
    ("winter jacket", A),
    ("sweater", A),
    ("pull", A),
    // Home
    ("dyson", H | B),
    ("vacuum", H),
    ("aspirateur", H),
    ("staubsauger", H),
    ("aspiradora", H),
    ("roomba", H),
    ("air fryer", H),
    ("airfryer", H),
    ("friteuse", H),
    ("espresso", H),
    ("coffee machine", H),
    ("nespresso", H),
    ("kitchenaid", H),
    ("mixer", H),
    ("blender", H),
    ("thermomix", H),
    ("cookware", H),
    ("bedding", H),
    ("lamp", H),
    ("lampe", H),
    ("robot vacuum", H),
    ("stand mixer", H),
    ("microwave", H),
    ("kettle", H),
    ("toaster", H),
    // Beauty
    ("perfume", B),
    ("parfum", B),
    ("profumo", B),
    ("fragrance", B),
    ("cologne", B),
    ("skincare", B),
    ("serum", B),
    ("cream", B),
    ("creme", B),
    ("makeup", B),
    ("maquillage", B),
    ("hair dryer", B),
    ("airwrap", B),
    ("toothbrush", B),
    ("lipstick", B),
    ("shaver", B),
    ("razor", B),
    ("straightener", B),
    ("ghd", B),
    // Books
    ("book", K),
    ("books", K),
    ("novel", K),
    ("livre", K),
    ("buch", K),
    ("libro", K),
    ("textbook", K),
    ("cookbook", K),
    ("paperback", K),
    ("hardcover", K),
    // Toys
    ("lego", T),
    ("toy", T),
    ("toys", T),
    ("jouet", T),
    ("spielzeug", T),
    ("juguete", T),
    ("board game", T),
    ("puzzle", T),
    ("plush", T),
    ("rc car", T),
    ("doll", T),
    ("barbie", T),
    // Grocery
    ("coffee", F),
    ("coffee beans", F),
    ("tea", F),
    ("snack", F),
    ("snacks", F),
    ("protein", F),
    ("olive oil", F),
    ("cafe", F),
    ("kaffee", F),
    ("wine", F),
    // Jewellery and watches
    ("rolex", J),
    ("omega", J),
    ("cartier", J),
    ("necklace", J),
    ("bracelet", J),
    ("ring", J),
    ("earrings", J),
    ("jewelry", J),
    ("jewellery", J),
    ("bijoux", J),
    ("schmuck", J),
    ("montre", J | E),
    ("uhr", J | E),
    ("reloj", J | E),
    ("orologio", J | E),
    ("gold", J),
    ("diamond", J),
    ("pandora", J),
    ("tiffany", J),
];

/// Item category names (folded, `_` for spaces) and their categories.
const CATEGORY_NAMES: &[(&str, Cats)] = &[
    ("electronics", E),
    ("electronic", E),
    ("audio", E),
    ("tv", E),
    ("wearables", E | J),
    ("computers", C),
    ("computer", C),
    ("computing", C),
    ("laptops", C),
    ("pc", C),
    ("tablets", C | E),
    ("office_electronics", C | E),
    ("video_games", G),
    ("videogames", G),
    ("games", G),
    ("gaming", G),
    ("consoles", G),
    ("phones", P),
    ("phone", P),
    ("cell_phones", P),
    ("mobile", P),
    ("mobiles", P),
    ("smartphones", P),
    ("cell_phones_accessories", P),
    ("apparel", A),
    ("clothing", A),
    ("fashion", A),
    ("shoes", A),
    ("footwear", A),
    ("home", H),
    ("kitchen", H),
    ("home_kitchen", H),
    ("appliances", H),
    ("furniture", H),
    ("garden", H),
    ("beauty", B),
    ("personal_care", B),
    ("health", B),
    ("cosmetics", B),
    ("books", K),
    ("book", K),
    ("media", K),
    ("toys", T),
    ("toys_games", T | G),
    ("baby", T),
    ("grocery", F),
    ("food", F),
    ("groceries", F),
    ("jewelry", J),
    ("jewellery", J),
    ("watches", J | E),
    ("luxury", J),
    ("cameras", M | E),
    ("camera", M | E),
    ("photo", M | E),
];

fn lexicon() -> &'static Vec<(&'static str, Cats)> {
    static SORTED: OnceLock<Vec<(&'static str, Cats)>> = OnceLock::new();
    SORTED.get_or_init(|| {
        let mut v = LEXICON.to_vec();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        v
    })
}

fn lookup(word: &str) -> Option<Cats> {
    let lex = lexicon();
    lex.binary_search_by(|(w, _)| (*w).cmp(word))
        .ok()
        .map(|i| lex[i].1)
}

/// One product word found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductMention {
    pub start: usize,
    pub end: usize,
    pub cats: Cats,
    /// The word or phrase as folded.
    pub word: String,
}

/// Finds product words and phrases. Words glued to digits (`iPhone15`, `RTX4090`) are
/// read without them; a plural `s` is dropped when only the singular is known.
pub fn find_products(chars: &[(usize, char)], text_len: usize) -> Vec<ProductMention> {
    // Words: letters, digits, inner hyphens.
    let mut words: Vec<(usize, usize, String)> = Vec::new();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut w = String::new();
        while j < n
            && (chars[j].1.is_alphanumeric()
                || (chars[j].1 == '-' && j + 1 < n && chars[j + 1].1.is_alphanumeric()))
        {
            w.push(fold(chars[j].1));
            j += 1;
        }
        let end = chars.get(j).map_or(text_len, |&(b, _)| b);
        words.push((chars[i].0, end, w));
        i = j;
    }
    let mut out = Vec::new();
    let mut k = 0;
    while k < words.len() {
        // Two-word phrases first.
        if let Some(next) = words.get(k + 1) {
            let phrase = format!("{} {}", words[k].2, next.2);
            if let Some(cats) = lookup(&phrase) {
                out.push(ProductMention {
                    start: words[k].0,
                    end: next.1,
                    cats,
                    word: phrase,
                });
                k += 2;
                continue;
            }
        }
        let w = &words[k].2;
        let mut found = lookup(w);
        if found.is_none() {
            let stem = w.trim_end_matches(|c: char| c.is_ascii_digit());
            if stem.len() >= 2 && stem.len() < w.len() {
                found = lookup(stem);
            }
        }
        if found.is_none()
            && let Some(sing) = w.strip_suffix('s')
            && sing.len() >= 3
        {
            found = lookup(sing);
        }
        if let Some(cats) = found {
            out.push(ProductMention {
                start: words[k].0,
                end: words[k].1,
                cats,
                word: w.clone(),
            });
        }
        k += 1;
    }
    out
}

/// The categories of an order item's free-text category (`electronics`,
/// `Cell Phones & Accessories`, `video_games`); 0 when unknown.
pub fn category_cats(category: &str) -> Cats {
    let folded: String = category
        .chars()
        .map(|c| {
            let f = fold(c);
            if f.is_alphanumeric() { f } else { '_' }
        })
        .collect();
    let key: String = folded
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if let Some(&(_, c)) = CATEGORY_NAMES.iter().find(|(n, _)| *n == key) {
        return c;
    }
    // Words of a longer name, through the same tables.
    let mut cats = 0;
    for part in key.split('_') {
        if let Some(&(_, c)) = CATEGORY_NAMES.iter().find(|(n, _)| *n == part) {
            cats |= c;
        } else if let Some(c) = lookup(part) {
            cats |= c;
        }
    }
    cats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(text: &str) -> Cats {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        find_products(&chars, text.len())
            .iter()
            .fold(0, |a, p| a | p.cats)
    }

    #[test]
    fn product_words() {
        assert_eq!(cats("iPhone 15 Pro"), P);
        assert_ne!(cats("MacBook Air") & C, 0);
        assert_ne!(cats("PS5 console") & G, 0);
        assert_ne!(cats("graphics card") & C, 0);
        assert_ne!(cats("55\" 4K TV") & E, 0);
        assert_ne!(cats("des baskets Nike") & A, 0);
        assert_ne!(cats("RTX4090") & C, 0);
        assert_ne!(cats("AirPods Pro") & E, 0);
        assert_eq!(cats("fee 25% after refund, DM me"), 0);
    }

    #[test]
    fn item_categories() {
        assert_eq!(category_cats("electronics"), E);
        assert_eq!(category_cats("video_games"), G);
        assert_eq!(category_cats("Cell Phones & Accessories") & P, P);
        assert_eq!(category_cats("Video Games"), G);
        assert_eq!(category_cats("something else"), 0);
    }

    #[test]
    fn lexicon_is_lower_case_and_folded() {
        for (w, _) in LEXICON {
            assert!(w.chars().all(|c| fold(c) == c), "{w}");
        }
    }
}
