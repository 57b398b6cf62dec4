//! The static world: countries, cities, streets, names, carriers, categories and texts,
//! plus the people-written renderings of them (emails, phones, addresses).

use crate::json::Line;
use crate::rng::R;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
// Countries

#[derive(Debug)]
pub(crate) struct City {
    pub name: &'static str,
    pub region: &'static str,
    /// Postal code prefix (US ZIP3, GB outward letters, DE/FR leading digits, CA FSA letter).
    pub postal: &'static str,
    /// Telephone area code (US/CA) or 0.
    pub area: u16,
}

#[derive(Debug)]
pub(crate) struct Warehouse {
    pub id: &'static str,
    pub postal: &'static str,
}

#[derive(Debug)]
pub(crate) struct Country {
    pub code: &'static str,
    pub currency: &'static str,
    /// Price level relative to USD list prices.
    pub fx: f64,
    /// Offset of local time from UTC in hours (one zone per country is enough here).
    pub utc_offset: i64,
    pub lang: Lang,
    pub cities: &'static [City],
    pub email_domains: &'static [&'static str],
    pub email_weights: &'static [u32],
    pub carriers: &'static [usize],
    pub return_carriers: &'static [usize],
    pub warehouses: &'static [Warehouse],
    pub shop_domain: &'static str,
    /// Leading octets of residential addresses.
    pub res_octets: &'static [u8],
    /// First two octets of the mobile carrier's CGNAT egress (shared by many people).
    pub mobile_prefix: (u8, u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    De,
    Fr,
}

pub(crate) const COUNTRY_WEIGHTS: &[u32] = &[50, 15, 15, 10, 10];

pub(crate) static COUNTRIES: [Country; 5] = [
    Country {
        code: "US",
        currency: "USD",
        fx: 1.0,
        utc_offset: -6,
        lang: Lang::En,
        cities: &[
            City {
                name: "Seattle",
                region: "WA",
                postal: "981",
                area: 206,
            },
            City {
                name: "Portland",
                region: "OR",
                postal: "972",
                area: 503,
            },
            City {
                name: "San Francisco",
                region: "CA",
                postal: "941",
                area: 415,
            },
            City {
                name: "Los Angeles",
                region: "CA",
                postal: "900",
                area: 213,
            },
            City {
                name: "San Diego",
                region: "CA",
                postal: "921",
                area: 619,
            },
            City {
                name: "Phoenix",
                region: "AZ",
                postal: "850",
                area: 602,
            },
            City {
                name: "Denver",
                region: "CO",
                postal: "802",
                area: 303,
            },
            City {
                name: "Austin",
                region: "TX",
                postal: "787",
                area: 512,
            },
            City {
                name: "Houston",
                region: "TX",
                postal: "770",
                area: 713,
            },
            City {
                name: "Dallas",
                region: "TX",
                postal: "752",
                area: 214,
            },
            City {
                name: "Chicago",
                region: "IL",
                postal: "606",
                area: 312,
            },
            City {
                name: "Minneapolis",
                region: "MN",
                postal: "554",
                area: 612,
            },
            City {
                name: "Atlanta",
                region: "GA",
                postal: "303",
                area: 404,
            },
            City {
                name: "Miami",
                region: "FL",
                postal: "331",
                area: 305,
            },
            City {
                name: "Orlando",
                region: "FL",
                postal: "328",
                area: 407,
            },
            City {
                name: "New York",
                region: "NY",
                postal: "100",
                area: 212,
            },
            City {
                name: "Brooklyn",
                region: "NY",
                postal: "112",
                area: 718,
            },
            City {
                name: "Boston",
                region: "MA",
                postal: "021",
                area: 617,
            },
            City {
                name: "Philadelphia",
                region: "PA",
                postal: "191",
                area: 215,
            },
            City {
                name: "Columbus",
                region: "OH",
                postal: "432",
                area: 614,
            },
            City {
                name: "Nashville",
                region: "TN",
                postal: "372",
                area: 615,
            },
            City {
                name: "Charlotte",
                region: "NC",
                postal: "282",
                area: 704,
            },
        ],
        email_domains: &[
            "gmail.com",
            "yahoo.com",
            "outlook.com",
            "hotmail.com",
            "icloud.com",
            "aol.com",
            "comcast.net",
            "googlemail.com",
        ],
        email_weights: &[45, 12, 10, 8, 12, 3, 3, 1],
        carriers: &[0, 1, 2, 3],
        return_carriers: &[0, 1],
        warehouses: &[
            Warehouse {
                id: "wh-PHX7",
                postal: "85043",
            },
            Warehouse {
                id: "wh-ONT8",
                postal: "92551",
            },
            Warehouse {
                id: "wh-CMH1",
                postal: "43125",
            },
            Warehouse {
                id: "wh-BWI2",
                postal: "21224",
            },
        ],
        shop_domain: "amazon.com",
        res_octets: &[24, 50, 67, 68, 73, 98, 107, 174],
        mobile_prefix: (172, 58),
    },
    Country {
        code: "GB",
        currency: "GBP",
        fx: 0.85,
        utc_offset: 0,
        lang: Lang::En,
        cities: &[
            City {
                name: "London",
                region: "Greater London",
                postal: "SW",
                area: 0,
            },
            City {
                name: "London",
                region: "Greater London",
                postal: "E",
                area: 0,
            },
            City {
                name: "London",
                region: "Greater London",
                postal: "N",
                area: 0,
            },
            City {
                name: "Manchester",
                region: "Greater Manchester",
                postal: "M",
                area: 0,
            },
            City {
                name: "Birmingham",
                region: "West Midlands",
                postal: "B",
                area: 0,
            },
            City {
                name: "Leeds",
                region: "West Yorkshire",
                postal: "LS",
                area: 0,
            },
            City {
                name: "Glasgow",
                region: "Scotland",
                postal: "G",
                area: 0,
            },
            City {
                name: "Edinburgh",
                region: "Scotland",
                postal: "EH",
                area: 0,
            },
            City {
                name: "Bristol",
                region: "Bristol",
                postal: "BS",
                area: 0,
            },
            City {
                name: "Liverpool",
                region: "Merseyside",
                postal: "L",
                area: 0,
            },
            City {
                name: "Cardiff",
                region: "Wales",
                postal: "CF",
                area: 0,
            },
            City {
                name: "Nottingham",
                region: "Nottinghamshire",
                postal: "NG",
                area: 0,
            },
        ],
        email_domains: &[
            "gmail.com",
            "hotmail.co.uk",
            "outlook.com",
            "yahoo.co.uk",
            "btinternet.com",
            "icloud.com",
            "sky.com",
        ],
        email_weights: &[45, 15, 10, 10, 8, 8, 4],
        carriers: &[4, 5, 6, 3],
        return_carriers: &[4, 6],
        warehouses: &[
            Warehouse {
                id: "wh-LBA4",
                postal: "WF10 5RH",
            },
            Warehouse {
                id: "wh-BHX4",
                postal: "CV7 9JB",
            },
        ],
        shop_domain: "amazon.co.uk",
        res_octets: &[81, 86, 90, 109, 151],
        mobile_prefix: (92, 40),
    },
    Country {
        code: "DE",
        currency: "EUR",
        fx: 0.95,
        utc_offset: 1,
        lang: Lang::De,
        cities: &[
            City {
                name: "Berlin",
                region: "Berlin",
                postal: "10",
                area: 0,
            },
            City {
                name: "Berlin",
                region: "Berlin",
                postal: "12",
                area: 0,
            },
            City {
                name: "Hamburg",
                region: "Hamburg",
                postal: "22",
                area: 0,
            },
            City {
                name: "München",
                region: "Bayern",
                postal: "80",
                area: 0,
            },
            City {
                name: "Köln",
                region: "Nordrhein-Westfalen",
                postal: "50",
                area: 0,
            },
            City {
                name: "Frankfurt am Main",
                region: "Hessen",
                postal: "60",
                area: 0,
            },
            City {
                name: "Stuttgart",
                region: "Baden-Württemberg",
                postal: "70",
                area: 0,
            },
            City {
                name: "Düsseldorf",
                region: "Nordrhein-Westfalen",
                postal: "40",
                area: 0,
            },
            City {
                name: "Leipzig",
                region: "Sachsen",
                postal: "04",
                area: 0,
            },
            City {
                name: "Dortmund",
                region: "Nordrhein-Westfalen",
                postal: "44",
                area: 0,
            },
            City {
                name: "Bremen",
                region: "Bremen",
                postal: "28",
                area: 0,
            },
        ],
        email_domains: &[
            "gmail.com",
            "web.de",
            "gmx.de",
            "t-online.de",
            "outlook.de",
            "gmx.net",
            "icloud.com",
        ],
        email_weights: &[30, 22, 20, 10, 8, 5, 5],
        carriers: &[7, 8, 5, 3],
        return_carriers: &[7, 8],
        warehouses: &[
            Warehouse {
                id: "wh-DTM2",
                postal: "44145",
            },
            Warehouse {
                id: "wh-LEJ1",
                postal: "04347",
            },
        ],
        shop_domain: "amazon.de",
        res_octets: &[79, 84, 87, 91, 93],
        mobile_prefix: (80, 187),
    },
    Country {
        code: "FR",
        currency: "EUR",
        fx: 0.95,
        utc_offset: 1,
        lang: Lang::Fr,
        cities: &[
            City {
                name: "Paris",
                region: "Île-de-France",
                postal: "750",
                area: 0,
            },
            City {
                name: "Lyon",
                region: "Auvergne-Rhône-Alpes",
                postal: "690",
                area: 0,
            },
            City {
                name: "Marseille",
                region: "Provence-Alpes-Côte d'Azur",
                postal: "130",
                area: 0,
            },
            City {
                name: "Toulouse",
                region: "Occitanie",
                postal: "310",
                area: 0,
            },
            City {
                name: "Nice",
                region: "Provence-Alpes-Côte d'Azur",
                postal: "060",
                area: 0,
            },
            City {
                name: "Nantes",
                region: "Pays de la Loire",
                postal: "440",
                area: 0,
            },
            City {
                name: "Strasbourg",
                region: "Grand Est",
                postal: "670",
                area: 0,
            },
            City {
                name: "Bordeaux",
                region: "Nouvelle-Aquitaine",
                postal: "330",
                area: 0,
            },
            City {
                name: "Lille",
                region: "Hauts-de-France",
                postal: "590",
                area: 0,
            },
            City {
                name: "Rennes",
                region: "Bretagne",
                postal: "350",
                area: 0,
            },
        ],
        email_domains: &[
            "gmail.com",
            "orange.fr",
            "free.fr",
            "hotmail.fr",
            "laposte.net",
            "sfr.fr",
            "yahoo.fr",
        ],
        email_weights: &[38, 18, 12, 12, 8, 7, 5],
        carriers: &[9, 10, 5, 3],
        return_carriers: &[9],
        warehouses: &[
            Warehouse {
                id: "wh-LIL1",
                postal: "59553",
            },
            Warehouse {
                id: "wh-MRS1",
                postal: "26200",
            },
        ],
        shop_domain: "amazon.fr",
        res_octets: &[78, 82, 86, 90, 176],
        mobile_prefix: (37, 171),
    },
    Country {
        code: "CA",
        currency: "CAD",
        fx: 1.38,
        utc_offset: -5,
        lang: Lang::En,
        cities: &[
            City {
                name: "Toronto",
                region: "ON",
                postal: "M",
                area: 416,
            },
            City {
                name: "Montréal",
                region: "QC",
                postal: "H",
                area: 514,
            },
            City {
                name: "Vancouver",
                region: "BC",
                postal: "V",
                area: 604,
            },
            City {
                name: "Calgary",
                region: "AB",
                postal: "T",
                area: 403,
            },
            City {
                name: "Ottawa",
                region: "ON",
                postal: "K",
                area: 613,
            },
            City {
                name: "Edmonton",
                region: "AB",
                postal: "T",
                area: 780,
            },
            City {
                name: "Winnipeg",
                region: "MB",
                postal: "R",
                area: 204,
            },
            City {
                name: "Halifax",
                region: "NS",
                postal: "B",
                area: 902,
            },
        ],
        email_domains: &[
            "gmail.com",
            "hotmail.com",
            "outlook.com",
            "yahoo.ca",
            "icloud.com",
            "shaw.ca",
            "rogers.com",
        ],
        email_weights: &[45, 14, 10, 10, 10, 6, 5],
        carriers: &[11, 12, 0, 3],
        return_carriers: &[11, 12],
        warehouses: &[
            Warehouse {
                id: "wh-YYZ4",
                postal: "L6Y 0C8",
            },
            Warehouse {
                id: "wh-YVR2",
                postal: "V4M 0B3",
            },
        ],
        shop_domain: "amazon.ca",
        res_octets: &[24, 70, 99, 142, 184],
        mobile_prefix: (174, 88),
    },
];

// ---------------------------------------------------------------------------------------
// Carriers and tracking numbers

pub(crate) static CARRIERS: [&str; 13] = [
    "UPS",
    "USPS",
    "FedEx",
    "AMZL",
    "Royal Mail",
    "DPD",
    "Evri",
    "DHL",
    "Hermes",
    "Colissimo",
    "Chronopost",
    "Canada Post",
    "Purolator",
];

/// A bijection of `0..limit` that hides counters: sequential ids become unique,
/// random-looking digits. Cycle-walking over an invertible mix of the smallest power of two
/// that holds `limit`, so a call takes fewer than two rounds on average.
pub(crate) fn permute(n: u64, limit: u64) -> u64 {
    let limit = limit.max(1);
    let bits = (64 - (limit - 1).leading_zeros()).max(8);
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let mut x = n % limit;
    loop {
        // Each step (xor with a right shift, multiply by an odd constant) is invertible
        // modulo 2^bits.
        x ^= x >> (bits / 2);
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask;
        x ^= x >> (bits / 3 + 1);
        x = x.wrapping_mul(0x85EB_CA6B_27D4_EB2F) & mask;
        x ^= x >> (bits / 2);
        if x < limit {
            return x;
        }
    }
}

/// A tracking number in the carrier's usual shape; `n` (a run-wide parcel counter) makes it
/// unique.
pub(crate) fn tracking_number(carrier: usize, n: u64, r: &mut R) -> String {
    let mut s = String::with_capacity(24);
    let n10 = permute(n, 10_000_000_000);
    match carrier {
        0 => {
            s.push_str("1Z");
            for _ in 0..6 {
                let x = r.below(36) as u8;
                s.push(char::from(if x < 10 { b'0' + x } else { b'A' + x - 10 }));
            }
            s.push_str("03");
            let _ = write!(s, "{:08}", permute(n, 100_000_000));
        }
        1 => {
            s.push_str("9400");
            r.digits(&mut s, 8);
            let _ = write!(s, "{n10:010}");
        }
        2 | 12 => {
            r.digits(&mut s, 2);
            let _ = write!(s, "{n10:010}");
        }
        3 => {
            s.push_str("TBA");
            r.digits(&mut s, 2);
            let _ = write!(s, "{n10:010}");
        }
        4 => {
            r.letters(&mut s, 2);
            let _ = write!(s, "{:09}GB", permute(n, 1_000_000_000));
        }
        5 | 8 => {
            s.push_str("15");
            r.digits(&mut s, 2);
            let _ = write!(s, "{n10:010}");
        }
        6 => {
            s.push_str("H01");
            r.letters(&mut s, 3);
            let _ = write!(s, "{n10:010}");
        }
        7 => {
            s.push_str("00340434");
            r.digits(&mut s, 2);
            let _ = write!(s, "{n10:010}");
        }
        9 => {
            s.push_str("6A");
            r.digits(&mut s, 1);
            let _ = write!(s, "{n10:010}");
        }
        10 => {
            s.push_str("XW");
            let _ = write!(s, "{:09}FR", permute(n, 1_000_000_000));
        }
        _ => {
            r.digits(&mut s, 6);
            let _ = write!(s, "{n10:010}");
        }
    }
    s
}

// ---------------------------------------------------------------------------------------
// Catalogue

#[derive(Debug)]
pub(crate) struct Category {
    pub name: &'static str,
    pub usd: (f64, f64),
    pub grams: (f64, f64),
    pub popularity: u32,
    pub return_rate: f64,
    pub items: &'static [&'static str],
}

pub(crate) static CATEGORIES: [Category; 10] = [
    Category {
        name: "electronics",
        usd: (15.0, 800.0),
        grams: (100.0, 3_000.0),
        popularity: 14,
        return_rate: 0.10,
        items: &[
            "wireless earbuds",
            "noise-cancelling headphones",
            "smart speaker",
            "4K streaming stick",
            "action camera",
            "smartwatch",
            "bluetooth speaker",
            "55\" 4K TV",
            "soundbar",
            "e-reader",
        ],
    },
    Category {
        name: "computers",
        usd: (300.0, 3_000.0),
        grams: (900.0, 3_500.0),
        popularity: 5,
        return_rate: 0.09,
        items: &[
            "MacBook Air",
            "gaming laptop",
            "ultrabook",
            "27\" monitor",
            "graphics card",
            "mini PC",
            "Chromebook",
            "iPad Pro",
        ],
    },
    Category {
        name: "video_games",
        usd: (20.0, 500.0),
        grams: (100.0, 4_500.0),
        popularity: 6,
        return_rate: 0.07,
        items: &[
            "PS5 console",
            "Nintendo Switch OLED",
            "Xbox controller",
            "PS5 game",
            "Switch game",
            "gaming headset",
        ],
    },
    Category {
        name: "phones",
        usd: (80.0, 1_300.0),
        grams: (150.0, 450.0),
        popularity: 5,
        return_rate: 0.09,
        items: &[
            "iPhone 15 Pro",
            "Galaxy S24",
            "Pixel 8",
            "unlocked Android phone",
            "iPhone 15",
        ],
    },
    Category {
        name: "apparel",
        usd: (10.0, 150.0),
        grams: (150.0, 1_500.0),
        popularity: 18,
        return_rate: 0.22,
        items: &[
            "running shoes",
            "winter jacket",
            "jeans",
            "hoodie",
            "dress",
            "sneakers",
            "t-shirt 3-pack",
        ],
    },
    Category {
        name: "home",
        usd: (10.0, 400.0),
        grams: (300.0, 9_000.0),
        popularity: 14,
        return_rate: 0.08,
        items: &[
            "air fryer",
            "robot vacuum",
            "espresso machine",
            "bedding set",
            "stand mixer",
            "cookware set",
            "desk lamp",
        ],
    },
    Category {
        name: "beauty",
        usd: (5.0, 90.0),
        grams: (50.0, 700.0),
        popularity: 10,
        return_rate: 0.06,
        items: &[
            "hair dryer",
            "perfume",
            "skincare set",
            "electric toothbrush",
            "face serum",
        ],
    },
    Category {
        name: "books",
        usd: (5.0, 40.0),
        grams: (150.0, 1_300.0),
        popularity: 12,
        return_rate: 0.04,
        items: &[
            "hardcover novel",
            "cookbook",
            "paperback thriller",
            "children's book",
            "textbook",
        ],
    },
    Category {
        name: "toys",
        usd: (8.0, 150.0),
        grams: (100.0, 3_500.0),
        popularity: 8,
        return_rate: 0.07,
        items: &["LEGO set", "board game", "RC car", "plush toy", "puzzle"],
    },
    Category {
        name: "grocery",
        usd: (2.0, 45.0),
        grams: (100.0, 3_000.0),
        popularity: 8,
        return_rate: 0.02,
        items: &[
            "coffee beans",
            "protein powder",
            "snack box",
            "olive oil",
            "tea sampler",
        ],
    },
];

// ---------------------------------------------------------------------------------------
// Names and contact details

pub(crate) static FIRST_EN: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Chris",
    "Karen",
    "Daniel",
    "Emily",
    "Matthew",
    "Olivia",
    "Anthony",
    "Emma",
    "Mark",
    "Sophie",
    "Steven",
    "Hannah",
    "Paul",
    "Amelia",
    "Andrew",
    "Grace",
    "Joshua",
    "Chloe",
    "Kevin",
    "Megan",
    "Brian",
    "Lucy",
    "Priya",
    "Wei",
    "Carlos",
    "Aisha",
    "Mohammed",
    "Ana",
];
pub(crate) static LAST_EN: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Evans",
    "Roberts",
    "Patel",
    "Nguyen",
    "Kim",
    "O'Brien",
    "Murphy",
    "Campbell",
    "Stewart",
    "Tremblay",
    "Gagnon",
    "Singh",
];
pub(crate) static FIRST_DE: &[&str] = &[
    "Lukas",
    "Anna",
    "Leon",
    "Lena",
    "Jonas",
    "Marie",
    "Felix",
    "Sophie",
    "Paul",
    "Laura",
    "Maximilian",
    "Julia",
    "Jürgen",
    "Sabine",
    "Stefan",
    "Katrin",
    "Thomas",
    "Petra",
    "Michael",
    "Ursula",
    "Tobias",
    "Jana",
    "Florian",
    "Mia",
];
pub(crate) static LAST_DE: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Yılmaz",
];
pub(crate) static FIRST_FR: &[&str] = &[
    "Jean",
    "Marie",
    "Pierre",
    "Camille",
    "Louis",
    "Léa",
    "Lucas",
    "Chloé",
    "Hugo",
    "Manon",
    "Thomas",
    "Inès",
    "Nicolas",
    "Sophie",
    "Antoine",
    "Élodie",
    "François",
    "Céline",
    "Julien",
    "Amélie",
    "Mathieu",
    "Claire",
    "Nathalie",
    "Karim",
];
pub(crate) static LAST_FR: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
];

pub(crate) fn names(lang: Lang) -> (&'static [&'static str], &'static [&'static str]) {
    match lang {
        Lang::En => (FIRST_EN, LAST_EN),
        Lang::De => (FIRST_DE, LAST_DE),
        Lang::Fr => (FIRST_FR, LAST_FR),
    }
}

/// Lower-case ASCII for an email local part (`Müller` → `mueller`, `Élodie` → `elodie`).
fn ascii_fold(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => out.push('e'),
            'à' | 'â' => out.push('a'),
            'î' | 'ï' | 'ı' => out.push('i'),
            'ô' => out.push('o'),
            'û' | 'ù' => out.push('u'),
            'ç' => out.push('c'),
            _ => {}
        }
    }
}

fn capitalise(s: &str, out: &mut String) {
    let mut first = true;
    for c in s.chars() {
        if first {
            out.push(c.to_ascii_uppercase());
            first = false;
        } else {
            out.push(c);
        }
    }
}

/// An email as the person typed it. `unique` (distinct per person) keeps two people from
/// sharing a mailbox by accident; the casing, dots and `+tags` vary as real people's do.
pub(crate) fn email(first: &str, last: &str, unique: u64, country: &Country, r: &mut R) -> String {
    let mut f = String::with_capacity(12);
    let mut l = String::with_capacity(12);
    ascii_fold(first, &mut f);
    ascii_fold(last, &mut l);
    let caps = r.chance(0.18);
    let mut local = String::with_capacity(32);
    let part = |s: &str, local: &mut String| {
        if caps {
            capitalise(s, local);
        } else {
            local.push_str(s);
        }
    };
    match r.weighted(&[30, 20, 15, 10, 10, 8, 7]) {
        0 => {
            part(&f, &mut local);
            local.push('.');
            part(&l, &mut local);
        }
        1 => {
            part(&f, &mut local);
            part(&l, &mut local);
        }
        2 => {
            part(&f[..1.min(f.len())], &mut local);
            part(&l, &mut local);
        }
        3 => {
            part(&f, &mut local);
            local.push('_');
            part(&l, &mut local);
        }
        4 => {
            part(&l, &mut local);
            local.push('.');
            part(&f, &mut local);
        }
        5 => {
            part(&f, &mut local);
        }
        _ => {
            part(&f, &mut local);
            local.push('.');
            part(&l[..1.min(l.len())], &mut local);
        }
    }
    if r.chance(0.3) {
        local.push(if r.chance(0.5) { '.' } else { '_' });
    }
    let _ = write!(local, "{unique}");
    if r.chance(0.08) {
        local.push('+');
        local.push_str(r.pick::<&str>(&["shop", "amazon", "deals", "orders", "2026", "spam"]));
    }
    let domain = country.email_domains[r.weighted(country.email_weights)];
    local.push('@');
    match r.weighted(&[88, 8, 4]) {
        0 => local.push_str(domain),
        1 => capitalise(domain, &mut local),
        _ => local.push_str(&domain.to_ascii_uppercase()),
    }
    local
}

/// A national phone number (digits only, without the trunk prefix).
pub(crate) fn phone_number(country: usize, city: &City, r: &mut R) -> u64 {
    let rest = |r: &mut R, n: u32| r.below(10usize.pow(n)) as u64;
    match country {
        0 | 4 => {
            u64::from(city.area) * 10_000_000 + (200 + r.below(800) as u64) * 10_000 + rest(r, 4)
        }
        1 => 7_000_000_000 + rest(r, 9),
        2 => (1_500 + r.below(80) as u64) * 10_000_000 + rest(r, 7),
        _ => (6 + r.below(2) as u64) * 100_000_000 + rest(r, 8),
    }
}

const CC: [&str; 5] = ["1", "44", "49", "33", "1"];

/// The number in E.164 (`style` 0) or as people write it locally.
pub(crate) fn write_phone(s: &mut String, country: usize, n: u64, style: u8) {
    if style == 0 {
        let _ = write!(s, "+{}{n}", CC[country]);
        return;
    }
    match country {
        0 | 4 => {
            let (a, b, c) = (n / 10_000_000, n / 10_000 % 1_000, n % 10_000);
            let _ = match style {
                1 => write!(s, "({a:03}) {b:03}-{c:04}"),
                2 => write!(s, "{a:03}-{b:03}-{c:04}"),
                _ => write!(s, "{a:03}.{b:03}.{c:04}"),
            };
        }
        1 => {
            let _ = if style == 1 {
                write!(s, "0{} {:06}", n / 1_000_000, n % 1_000_000)
            } else {
                write!(s, "+44 {} {:06}", n / 1_000_000, n % 1_000_000)
            };
        }
        2 => {
            let _ = if style == 1 {
                write!(s, "0{} {:07}", n / 10_000_000, n % 10_000_000)
            } else {
                write!(s, "0{}/{:07}", n / 10_000_000, n % 10_000_000)
            };
        }
        _ => {
            let d = n % 100_000_000;
            let _ = if style == 1 {
                write!(
                    s,
                    "0{} {:02} {:02} {:02} {:02}",
                    n / 100_000_000,
                    d / 1_000_000,
                    d / 10_000 % 100,
                    d / 100 % 100,
                    d % 100
                )
            } else {
                write!(s, "0{}{d:08}", n / 100_000_000)
            };
        }
    }
}

pub(crate) fn write_ipv4(s: &mut String, ip: u32) {
    let b = ip.to_be_bytes();
    let _ = write!(s, "{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
}

// ---------------------------------------------------------------------------------------
// Addresses

#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub country: u8,
    pub city: u8,
    pub number: u16,
    pub street: u8,
    pub street_type: u8,
    /// 0 = no unit.
    pub unit: u16,
    pub postal: String,
    /// The ZIP+4 suffix some Americans add.
    pub plus4: u16,
}

const US_STREETS: &[&str] = &[
    "Main",
    "Oak",
    "Maple",
    "Pine",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Lincoln",
    "Jackson",
    "Church",
    "Highland",
    "Meadow",
    "River",
    "Spring",
    "Ridge",
    "Walnut",
    "Queen",
    "King",
    "Bay",
];
const US_TYPES: &[(&str, &str)] = &[
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
    ("Boulevard", "Blvd"),
    ("Court", "Ct"),
    ("Place", "Pl"),
];
const GB_STREETS: &[&str] = &[
    "High", "Station", "Church", "Victoria", "Green", "Manor", "Park", "Queens", "Kings", "Mill",
    "Albert", "Windsor", "Grange", "York",
];
const GB_TYPES: &[(&str, &str)] = &[
    ("Road", "Rd"),
    ("Street", "St"),
    ("Lane", "Ln"),
    ("Avenue", "Ave"),
    ("Close", "Cl"),
    ("Gardens", "Gdns"),
];
const DE_STREETS: &[&str] = &[
    "Haupt",
    "Bahnhof",
    "Schul",
    "Garten",
    "Dorf",
    "Berg",
    "Linden",
    "Kirch",
    "Wald",
    "Goethe",
    "Schiller",
    "Friedrich",
    "Rosen",
    "Mozart",
];
const DE_TYPES: &[(&str, &str)] = &[("straße", "str."), ("weg", "weg"), ("allee", "allee")];
const FR_STREETS: &[&str] = &[
    "de la Paix",
    "Victor Hugo",
    "de la République",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Lilas",
    "de Verdun",
    "Nationale",
    "du Moulin",
    "Gambetta",
    "de la Gare",
];
const FR_TYPES: &[(&str, &str)] = &[
    ("rue", "r."),
    ("avenue", "av."),
    ("boulevard", "bd"),
    ("place", "pl."),
];

fn streets(
    country: u8,
) -> (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
) {
    match country {
        1 => (GB_STREETS, GB_TYPES),
        2 => (DE_STREETS, DE_TYPES),
        3 => (FR_STREETS, FR_TYPES),
        _ => (US_STREETS, US_TYPES),
    }
}

const GB_INWARD: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// A new address in a random city of `country`.
pub(crate) fn new_address(country: usize, r: &mut R) -> Address {
    let c = &COUNTRIES[country];
    let city_i = r.below(c.cities.len());
    let city = &c.cities[city_i];
    let (st, ty) = streets(country as u8);
    let mut postal = String::with_capacity(8);
    match country {
        0 => {
            postal.push_str(city.postal);
            r.digits(&mut postal, 2);
        }
        1 => {
            let _ = write!(postal, "{}{} {}", city.postal, 1 + r.below(20), r.below(10));
            postal.push(char::from(*r.pick(GB_INWARD)));
            postal.push(char::from(*r.pick(GB_INWARD)));
        }
        4 => {
            postal.push_str(city.postal);
            postal.push(char::from(b'0' + r.below(10) as u8));
            r.letters(&mut postal, 1);
            postal.push(' ');
            postal.push(char::from(b'0' + r.below(10) as u8));
            r.letters(&mut postal, 1);
            postal.push(char::from(b'0' + r.below(10) as u8));
        }
        3 if city.postal == "750" => {
            let _ = write!(postal, "750{:02}", 1 + r.below(20));
        }
        _ => {
            postal.push_str(city.postal);
            let n = 5usize.saturating_sub(postal.len());
            r.digits(&mut postal, n);
        }
    }
    let apartment = r.chance(if country == 0 || country == 4 {
        0.3
    } else {
        0.4
    });
    Address {
        country: country as u8,
        city: city_i as u8,
        number: if country == 2 || country == 3 {
            1 + r.below(120) as u16
        } else {
            1 + r.below(9_800) as u16
        },
        street: r.below(st.len()) as u8,
        street_type: r.below(ty.len()) as u8,
        unit: if apartment { 1 + r.below(40) as u16 } else { 0 },
        postal,
        plus4: r.below(10_000) as u16,
    }
}

/// How one person writes an address: abbreviations, unit marker, case, postal format.
pub(crate) fn address_style(r: &mut R) -> u8 {
    let abbr = r.weighted(&[50, 30, 20]) as u8;
    let case = r.weighted(&[88, 9, 3]) as u8;
    let unit = r.below(4) as u8;
    let postal_variant = u8::from(r.chance(0.12));
    let region = u8::from(r.chance(0.5));
    abbr | case << 2 | unit << 4 | postal_variant << 6 | region << 7
}

fn recase(s: &mut String, case: u8) {
    match case {
        1 => *s = s.to_lowercase(),
        2 => *s = s.to_uppercase(),
        _ => {}
    }
}

/// Writes `a` as the object `{line1, line2?, city, region?, postal_code, country}` the way a
/// person with `style` would type it.
pub(crate) fn write_address(j: &mut Line, key: &str, a: &Address, style: u8, explicit_nulls: bool) {
    let abbr = style & 3;
    let case = style >> 2 & 3;
    let unit_style = style >> 4 & 3;
    let postal_variant = style >> 6 & 1 == 1;
    let with_region = style >> 7 == 1;
    let ci = a.country as usize;
    let c = &COUNTRIES[ci];
    let city = &c.cities[a.city as usize % c.cities.len()];
    let (st, ty) = streets(a.country);
    let name = st[a.street as usize % st.len()];
    let (full, short) = ty[a.street_type as usize % ty.len()];
    let mut line1 = String::with_capacity(32);
    let mut line2 = String::new();
    match ci {
        2 => {
            let suffix = if abbr == 0 { full } else { short };
            let _ = write!(line1, "{name}{suffix} {}", a.number);
            if a.unit > 0 {
                let _ = match unit_style {
                    0 => write!(line2, "Whg. {}", a.unit),
                    1 => write!(line2, "Wohnung {}", a.unit),
                    2 => write!(line2, "{}. OG", a.unit % 6 + 1),
                    _ => write!(line2, "App. {}", a.unit),
                };
            }
        }
        3 => {
            let t = if abbr == 0 { full } else { short };
            let comma = if abbr == 2 { "," } else { "" };
            let _ = write!(line1, "{}{comma} {t} {name}", a.number);
            if a.unit > 0 {
                let _ = match unit_style {
                    0 => write!(line2, "Appt {}", a.unit),
                    1 => write!(line2, "Appartement {}", a.unit),
                    2 => write!(
                        line2,
                        "Bât. {}, appt {}",
                        char::from(b'A' + (a.unit % 4) as u8),
                        a.unit
                    ),
                    _ => write!(line2, "Apt {}", a.unit),
                };
            }
        }
        _ => {
            let t = match abbr {
                0 => full.to_string(),
                1 => short.to_string(),
                _ => format!("{short}."),
            };
            let _ = write!(line1, "{} {name} {t}", a.number);
            if a.unit > 0 {
                let flat = if ci == 1 { "Flat" } else { "Apt" };
                let _ = match unit_style {
                    0 => write!(line2, "{flat} {}", a.unit),
                    1 => write!(line2, "#{}", a.unit),
                    2 => write!(line2, "{flat}. {}", a.unit),
                    _ => write!(line1, " #{}", a.unit),
                };
            }
        }
    }
    let mut city_name = city.name.to_string();
    recase(&mut line1, case);
    recase(&mut line2, case);
    recase(&mut city_name, case);
    j.begin_obj(key);
    j.str("line1", &line1);
    if !line2.is_empty() {
        j.str("line2", &line2);
    } else if explicit_nulls {
        j.null("line2");
    }
    j.str("city", &city_name);
    if ci == 0 || ci == 4 || with_region {
        j.str("region", city.region);
    }
    if postal_variant {
        match ci {
            0 => j.fmt("postal_code", format_args!("{}-{:04}", a.postal, a.plus4)),
            1 | 4 => {
                let mut p = a.postal.replace(' ', "");
                if case == 1 || ci == 4 {
                    p = p.to_lowercase();
                }
                j.str("postal_code", &p);
            }
            _ => j.str("postal_code", &a.postal),
        }
    } else {
        j.str("postal_code", &a.postal);
    }
    j.str("country", c.code);
    j.end_obj();
}

// ---------------------------------------------------------------------------------------
// Texts

pub(crate) const RETURN_REASONS: &[&str] = &[
    "damaged",
    "defective",
    "wrong_item",
    "not_as_described",
    "missing_parts",
    "no_longer_needed",
    "other",
];
pub(crate) const RETURN_REASON_WEIGHTS: &[u32] = &[10, 18, 7, 15, 5, 35, 10];
/// Clothes come back because they do not fit or look different.
pub(crate) const APPAREL_REASON_WEIGHTS: &[u32] = &[3, 4, 5, 30, 1, 50, 7];

pub(crate) fn review_text(rating: u8, item: &str, lang: Lang, r: &mut R) -> String {
    if lang != Lang::En && r.chance(0.5) {
        let t: &[&str] = match (lang, rating) {
            (Lang::De, 4..) => &[
                "Super Produkt, schnelle Lieferung.",
                "Alles bestens, gerne wieder.",
                "Sehr gute Qualität.",
            ],
            (Lang::De, 3) => &["Ganz okay für den Preis.", "Erfüllt seinen Zweck."],
            (Lang::De, _) => &[
                "Leider nach einer Woche kaputt.",
                "Nicht wie beschrieben, schade.",
            ],
            (_, 4..) => &[
                "Très bon produit, livraison rapide.",
                "Parfait, je recommande.",
                "Excellent rapport qualité/prix.",
            ],
            (_, 3) => &["Correct sans plus.", "Fait le travail."],
            _ => &[
                "Déçu, ne fonctionne plus après quelques jours.",
                "Pas conforme à la description.",
            ],
        };
        return r.pick(t).to_string();
    }
    match rating {
        5 => format!(
            "{} {}",
            r.pick(&[
                "Works great, exactly as described.",
                "Love it!",
                "Excellent quality for the price.",
                "Five stars, would buy again."
            ]),
            r.pick(&["Fast delivery.", "", "Recommended.", "My second one."])
        )
        .trim_end()
        .to_string(),
        4 => format!(
            "Good {item}, {}",
            r.pick(&[
                "minor issues with the packaging.",
                "does what it says.",
                "a bit pricey though."
            ])
        ),
        3 => r
            .pick(&[
                "It's okay. Does the job.",
                "Average quality, expected more.",
                "Fine, nothing special.",
            ])
            .to_string(),
        2 => format!(
            "Not great, the {item} {}",
            r.pick(&[
                "feels cheap.",
                "had problems after a week.",
                "is smaller than it looks."
            ])
        ),
        _ => r
            .pick(&[
                "Broke after two days. Avoid.",
                "Terrible, not as described.",
                "Arrived damaged and the seller was unhelpful.",
            ])
            .to_string(),
    }
}

pub(crate) const LOOKALIKE_DOMAINS: &[&str] = &[
    "amaz0n-billing.com",
    "arnazon-support.com",
    "amazon-account-verify.net",
    "amazon.com-secure-login.info",
    "amzn-refunds.co",
    "amazon-prime-renewal.xyz",
    "secure-amazon-billing.top",
    "amazon-de-kundenservice.info",
    "amazon-fr-remboursement.com",
    "amazom-orders.help",
];

/// Who posts where: Telegram handles, Reddit users, forum and Discord names.
pub(crate) const TELEGRAM_HANDLES: &[&str] = &[
    "@refund_kings",
    "@rekk_official",
    "@boxed_method",
    "@ftid_plug",
    "@refundgod",
];
pub(crate) const REDDIT_USERS: &[&str] = &[
    "u/throwaway_ret",
    "u/primeuser88",
    "u/kate_m",
    "u/dealhunter_22",
    "u/quiet_owl",
];
pub(crate) const FORUM_NAMES: &[&str] = &[
    "lootmaster",
    "quickrefunds",
    "boxking",
    "NoRebills",
    "sn0wman",
];

/// Writes an amount as people do in text: `$1,249.00`, `£35.99`, `49,99 €`.
pub(crate) fn money_text(minor: i64, currency: &str) -> String {
    let units = minor / 100;
    let cents = minor % 100;
    let mut grouped = String::new();
    let digits = units.to_string();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match currency {
        "GBP" => format!("£{grouped}.{cents:02}"),
        "EUR" => format!("{},{cents:02} €", grouped.replace(',', ".")),
        "CAD" => format!("C${grouped}.{cents:02}"),
        _ => format!("${grouped}.{cents:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_is_a_bijection() {
        for limit in [1u64, 7, 100, 65_536] {
            let mut seen = vec![false; limit as usize];
            for n in 0..limit {
                let x = permute(n, limit);
                assert!(!seen[x as usize]);
                seen[x as usize] = true;
            }
        }
        let limit = 100_000;
        let mut seen = vec![false; limit as usize];
        for n in 0..limit {
            let x = permute(n, limit);
            assert!(x < limit);
            assert!(!seen[x as usize]);
            seen[x as usize] = true;
        }
    }

    #[test]
    fn money_reads_naturally() {
        assert_eq!(money_text(124_900, "USD"), "$1,249.00");
        assert_eq!(money_text(3_599, "GBP"), "£35.99");
        assert_eq!(money_text(4_999, "EUR"), "49,99 €");
        assert_eq!(money_text(123_456_789, "CAD"), "C$1,234,567.89");
    }

    #[test]
    fn phones_are_written_several_ways() {
        let mut s = String::new();
        write_phone(&mut s, 0, 4_155_550_123, 0);
        s.push('|');
        write_phone(&mut s, 0, 4_155_550_123, 1);
        s.push('|');
        write_phone(&mut s, 3, 612_345_678, 1);
        s.push('|');
        write_phone(&mut s, 1, 7_700_900_123, 1);
        assert_eq!(s, "+14155550123|(415) 555-0123|06 12 34 56 78|07700 900123");
    }
}
