//! Synthetic fraud-like data for tests and benchmarks: 60 features (20 continuous,
//! 15 binary, 15 missing-heavy, 10 noise), about 5% positives, with interactions,
//! non-linear effects and informative missingness.

struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Number of features in [`make`]'s rows.
pub const N_FEATURES: usize = 60;

/// `n` rows (row-major, NaN = missing) and labels, reproducible from `seed`.
pub fn make(n: usize, seed: u64) -> (Vec<f32>, Vec<bool>) {
    const NF: usize = N_FEATURES;
    let mut r = Rng(seed);
    let mut x = vec![0f32; n * NF];
    let mut y = vec![false; n];
    for (row, label) in x.chunks_exact_mut(NF).zip(y.iter_mut()) {
        for v in &mut row[0..20] {
            *v = r.normal() as f32;
        }
        for (j, v) in row[20..35].iter_mut().enumerate() {
            let p = 0.1 + 0.05 * j as f64;
            *v = if r.uniform() < p { 1.0 } else { 0.0 };
        }
        for (j, v) in row[35..50].iter_mut().enumerate() {
            let pm = 0.5 + 0.03 * j as f64;
            *v = if r.uniform() < pm {
                f32::NAN
            } else {
                (r.normal() * 2.0 + 1.0) as f32
            };
        }
        for v in &mut row[50..60] {
            *v = (r.uniform() * 100.0) as f32;
        }
        let f = |j: usize| f64::from(row[j]);
        let mut z = -5.4;
        z += 0.8 * f(0) - 0.6 * f(1) + 0.5 * f(2) * f(2) - 0.5 + if f(3) > 1.0 { 1.2 } else { 0.0 };
        z += 0.7 * f(0) * f(1);
        z += 0.3 * f(4) + 0.2 * f(5) - 0.2 * f(6) + 0.15 * f(7);
        z += 1.0 * f(20) + 0.8 * f(21) * f(22) - 0.7 * f(23);
        z += if row[35].is_nan() {
            0.0
        } else {
            0.9 + 0.3 * f(35)
        };
        z += if row[36].is_nan() { 0.6 } else { -0.2 * f(36) };
        z += if row[40].is_nan() {
            0.0
        } else {
            (f(40) - 1.0).abs() * 0.4
        };
        z += if f(8) > 0.0 && f(20) > 0.5 { 0.8 } else { 0.0 };
        z += 0.6 * (f(9) * 2.0).sin();
        let p = 1.0 / (1.0 + (-z).exp());
        *label = r.uniform() < p;
    }
    (x, y)
}
