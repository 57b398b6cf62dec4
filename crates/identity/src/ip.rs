//! IP addresses to an address key and a network key.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Keys of one IP address.
///
/// `prefix` exists because one person's address changes within a provider's block
/// (DHCP leases, IPv6 privacy addresses rotate the lower 64 bits, a /48 is one site's
/// allocation), so linking on the network catches what linking on the address misses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpKeys {
    /// The address in canonical text (`203.0.113.7`, `2001:db8::1`).
    pub addr: String,
    /// Its /24 (IPv4) or /48 (IPv6) network in canonical text with the length (`203.0.113.0/24`).
    pub prefix: String,
}

/// Keys for an IPv4 or IPv6 address, or `None` when `raw` is not one.
///
/// Parsed by `std::net`, so every spelling (leading zeros in IPv6 groups, case, `::`
/// compression) prints the same canonical text; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the
/// IPv4 address, as dual-stack servers log IPv4 clients that way. Brackets (`[::1]`) and an
/// IPv6 zone (`%eth0`) are dropped: neither names a different host on the internet.
pub fn ip_keys(raw: &str) -> Option<IpKeys> {
    let s = raw.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    let s = s.split_once('%').map_or(s, |(a, _)| a);
    let ip: IpAddr = s.parse().ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    Some(match ip {
        IpAddr::V4(v4) => {
            let net = Ipv4Addr::from(v4.to_bits() & 0xffff_ff00);
            IpKeys {
                addr: v4.to_string(),
                prefix: format!("{net}/24"),
            }
        }
        IpAddr::V6(v6) => {
            let net = Ipv6Addr::from(v6.to_bits() & !((1u128 << 80) - 1));
            IpKeys {
                addr: v6.to_string(),
                prefix: format!("{net}/48"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4() {
        let k = ip_keys(" 203.0.113.7 ").unwrap();
        assert_eq!(k.addr, "203.0.113.7");
        assert_eq!(k.prefix, "203.0.113.0/24");
        assert_eq!(ip_keys("203.0.113.200").unwrap().prefix, k.prefix);
        assert_ne!(ip_keys("203.0.114.7").unwrap().prefix, k.prefix);
    }

    #[test]
    fn v6_spellings_and_mapped() {
        let a = ip_keys("2001:0DB8:0000:0000:0000:0000:0000:0001").unwrap();
        assert_eq!(a.addr, "2001:db8::1");
        assert_eq!(a.prefix, "2001:db8::/48");
        assert_eq!(ip_keys("[2001:db8::1]").unwrap(), a);
        assert_eq!(ip_keys("fe80::1%eth0").unwrap().addr, "fe80::1");
        assert_eq!(ip_keys("2001:db8:0:ffff::9").unwrap().prefix, a.prefix);
        assert_ne!(ip_keys("2001:db8:1::1").unwrap().prefix, a.prefix);
        let m = ip_keys("::ffff:198.51.100.4").unwrap();
        assert_eq!(m, ip_keys("198.51.100.4").unwrap());
        assert_eq!(m.prefix, "198.51.100.0/24");
    }

    #[test]
    fn not_ips() {
        for v in [
            "",
            "1.2.3",
            "256.1.1.1",
            "1.2.3.4.5",
            "hello",
            "::g",
            "1.2.3.4:80",
        ] {
            assert_eq!(ip_keys(v), None, "{v}");
        }
    }
}
