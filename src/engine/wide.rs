//! The dense kernel's loops over the wide layers (engine::dense): layer 1's kernel and
//! layer 4's, each held as rows of `pixels` weights (one row per hidden unit), met by a tile of
//! [`TILE`] images at once.
//!
//! Each weight row loaded serves every image of the tile, and several rows go through the
//! loops together. The second matters more than the first: a dot product's lanes must be
//! summed in a fixed order (pixel p in lane p mod 16, stretch after stretch), so each of its
//! 16-lane accumulators is one chain of dependent adds; only many independent dot products in
//! flight (rows × images) keep the adders busy rather than waiting on the previous add.
//!
//! Every sum keeps the order of the dense kernel (dot products in 16 lanes added
//! pairwise; sums over images in batch order), so results do not depend on the tile or
//! on how rows are grouped.

use super::lanes::{LANES, Lanes};

/// Images that meet each weight row together.
pub const TILE: usize = 4;

/// Rows that go through one pass together: 4 rows × 4 images = 16 dot products in flight.
const ROWS: usize = 4;

/// The module's pairwise sum of one dot product's 16 lanes.
#[inline(always)]
pub fn reduce(mut acc: [f32; LANES]) -> f32 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    acc[0]
}

/// One pass over the rows `rows` of a `[units][pixels]` matrix `w` and of its gradient `g`,
/// with the tile's images (or their errors) `v`:
/// - with `DOTS`, returns `w[r] · v[t]` for each row and image;
/// - with `UPDATE`, adds `c[r][t]·v[t][p]` to `g[r][p]`, images in order. A zero `c[r][t]`
///   adds zero products, which leave `g` as skipping them would (`v` is finite).
#[inline(always)]
fn rows_pass<L: Lanes, const R: usize, const DOTS: bool, const UPDATE: bool>(
    w: &[f32],
    g: &mut [f32],
    pixels: usize,
    rows: [usize; R],
    c: &[[f32; TILE]; R],
    v: &[&[f32]; TILE],
) -> [[f32; TILE]; R] {
    let full = pixels / LANES * LANES;
    let v = v.map(|v| &v[..pixels]);
    for &row in &rows {
        assert!((!DOTS || (row + 1) * pixels <= w.len()) && (!UPDATE || (row + 1) * pixels <= g.len()));
    }
    let vp = v.map(<[f32]>::as_ptr);
    let (wp, gp) = (w.as_ptr(), g.as_mut_ptr());
    let mut acc = [[L::zero(); TILE]; R];
    for base in (0..full).step_by(LANES) {
        // SAFETY: base + 16 ≤ pixels, the length of every v[t] and of every row (asserted).
        let x: [L::V; TILE] = std::array::from_fn(|t| unsafe { L::read(vp[t].add(base)) });
        for r in 0..R {
            let at = rows[r] * pixels + base;
            if DOTS {
                // SAFETY: as above.
                let wv = unsafe { L::read(wp.add(at)) };
                for t in 0..TILE {
                    acc[r][t] = L::mul_add(acc[r][t], x[t], wv);
                }
            }
            if UPDATE {
                // SAFETY: as above.
                let mut gv = unsafe { L::read(gp.add(at)) };
                for t in 0..TILE {
                    gv = L::mul_add(gv, L::splat(c[r][t]), x[t]);
                }
                // SAFETY: as above.
                unsafe { L::write(gv, gp.add(at)) };
            }
        }
    }
    // The pixels past the last stretch go lane by lane, in the same order; plain loops rather
    // than array maps, which the compiler leaves as calls outside the instruction set's copy.
    let mut out = [[0.0f32; TILE]; R];
    for r in 0..R {
        for t in 0..TILE {
            let row = rows[r] * pixels;
            if DOTS {
                let mut lanes = L::to_array(acc[r][t]);
                for p in full..pixels {
                    lanes[p - full] += v[t][p] * w[row + p];
                }
                out[r][t] = reduce(lanes);
            }
        }
    }
    if UPDATE {
        for p in full..pixels {
            for r in 0..R {
                for t in 0..TILE {
                    g[rows[r] * pixels + p] += c[r][t] * v[t][p];
                }
            }
        }
    }
    out
}

/// [`rows_pass`] over any number of rows, [`ROWS`] at a time: `out[k]` (with `DOTS`) gets
/// the dot products of row `rows[k]`, whose factors (with `UPDATE`) are `c[k]`.
#[inline(always)]
fn rows_passes<L: Lanes, const DOTS: bool, const UPDATE: bool>(
    w: &[f32],
    g: &mut [f32],
    pixels: usize,
    rows: &[usize],
    c: &[[f32; TILE]],
    v: &[&[f32]; TILE],
    out: &mut [[f32; TILE]],
) {
    let grouped = rows.len() / ROWS * ROWS;
    for k in (0..grouped).step_by(ROWS) {
        let these: [usize; ROWS] = rows[k..k + ROWS].try_into().expect("a group of rows");
        let factors: &[[f32; TILE]; ROWS] =
            if UPDATE { c[k..k + ROWS].try_into().expect("factors") } else { &[[0.0; TILE]; ROWS] };
        let d = rows_pass::<L, ROWS, DOTS, UPDATE>(w, g, pixels, these, factors, v);
        if DOTS {
            out[k..k + ROWS].copy_from_slice(&d);
        }
    }
    for k in grouped..rows.len() {
        let factors = if UPDATE { [c[k]] } else { [[0.0; TILE]] };
        let [d] = rows_pass::<L, 1, DOTS, UPDATE>(w, g, pixels, [rows[k]], &factors, v);
        if DOTS {
            out[k] = d;
        }
    }
}

/// `out[k][t] = w[rows[k]] · x[t]`: layer 1's pre-activations without their biases.
#[inline(always)]
pub fn dots<L: Lanes>(w: &[f32], pixels: usize, rows: &[usize], x: &[&[f32]; TILE], out: &mut [[f32; TILE]]) {
    rows_passes::<L, true, false>(w, &mut [], pixels, rows, &[], x, out);
}

/// `g[rows[k]][p] += Σ_t c[k][t]·v[t][p]`: layer 1's kernel gradient.
#[inline(always)]
pub fn add_outer<L: Lanes>(g: &mut [f32], pixels: usize, rows: &[usize], c: &[[f32; TILE]], v: &[&[f32]; TILE]) {
    rows_passes::<L, false, true>(&[], g, pixels, rows, c, v, &mut []);
}

/// Both in one pass: layer 4's kernel gradient from the output errors `v` and their dot
/// products with the kernel's rows, the errors at layer 3.
#[inline(always)]
pub fn add_outer_and_dots<L: Lanes>(
    w: &[f32],
    g: &mut [f32],
    pixels: usize,
    rows: &[usize],
    c: &[[f32; TILE]],
    v: &[&[f32]; TILE],
    out: &mut [[f32; TILE]],
) {
    rows_passes::<L, true, true>(w, g, pixels, rows, c, v, out);
}

/// Layer 4's pre-sigmoid values of the tile's images, `z[t][p] = bias[p] + Σ_i h[t]·w[i][p]`
/// over `units` (i, h) in order, `w` holding rows of `bias.len()` pixels. An image whose unit
/// relu turned off (h = 0) adds zero products, which leave its z's value as skipping them
/// would (the weights are finite; a −0 sum may become +0, which the sigmoid maps alike).
#[inline(always)]
pub fn decode<L: Lanes>(z: &mut [&mut [f32]; TILE], bias: &[f32], w: &[f32], units: &[(usize, [f32; TILE])]) {
    /// Stretches of pixels that go through the units together.
    const STRETCHES: usize = 4;
    let pixels = bias.len();
    let full = pixels / LANES * LANES;
    let grouped = full / (STRETCHES * LANES) * (STRETCHES * LANES);
    for base in (0..grouped).step_by(STRETCHES * LANES) {
        decode_stretches::<L, STRETCHES>(z, bias, w, units, base);
    }
    for base in (grouped..full).step_by(LANES) {
        decode_stretches::<L, 1>(z, bias, w, units, base);
    }
    for p in full..pixels {
        for z in z.iter_mut() {
            z[p] = bias[p];
        }
        for &(i, h) in units {
            for t in 0..TILE {
                z[t][p] += h[t] * w[i * pixels + p];
            }
        }
    }
}

/// [`decode`] for the `S` stretches of 16 pixels from `base`.
#[inline(always)]
fn decode_stretches<L: Lanes, const S: usize>(
    z: &mut [&mut [f32]; TILE],
    bias: &[f32],
    w: &[f32],
    units: &[(usize, [f32; TILE])],
    base: usize,
) {
    let pixels = bias.len();
    let mut acc: [[L::V; TILE]; S] = std::array::from_fn(|s| [L::load(&bias[base + s * LANES..]); TILE]);
    for &(i, h) in units {
        for (s, acc) in acc.iter_mut().enumerate() {
            let wv = L::load(&w[i * pixels + base + s * LANES..]);
            for t in 0..TILE {
                acc[t] = L::mul_add(acc[t], L::splat(h[t]), wv);
            }
        }
    }
    for (s, acc) in acc.iter().enumerate() {
        for t in 0..TILE {
            L::store(acc[t], &mut z[t][base + s * LANES..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lanes::Portable;
    use super::*;

    /// Pixels, a `[rows][pixels]` matrix, the tile's images and per-row factors.
    type Case = (usize, Vec<f32>, Vec<Vec<f32>>, Vec<[f32; TILE]>);

    /// A matrix, tile and factors with awkward sizes: 37 pixels (two stretches and 5 more),
    /// 6 rows (a group of 4 and 2 alone).
    fn case() -> Case {
        let pixels = 37;
        let w: Vec<f32> = (0..6 * pixels).map(|k| ((k * 7919) % 113) as f32 / 37.0 - 1.5).collect();
        let v: Vec<Vec<f32>> =
            (0..TILE).map(|t| (0..pixels).map(|p| ((p * 31 + t * 17) % 29) as f32 / 7.0).collect()).collect();
        let c: Vec<[f32; TILE]> =
            (0..6).map(|r| std::array::from_fn(|t| (r as f32 - 2.5) * (t as f32 + 0.5))).collect();
        (pixels, w, v, c)
    }

    /// The module's order written out plainly, one product at a time.
    fn plain_dot(a: &[f32], b: &[f32]) -> f32 {
        let mut lanes = [0.0f32; LANES];
        for (p, (a, b)) in a.iter().zip(b).enumerate() {
            lanes[p % LANES] += a * b;
        }
        reduce(lanes)
    }

    #[test]
    fn the_tiled_passes_equal_one_image_and_one_row_at_a_time_bit_for_bit() {
        let (pixels, w, v, c) = case();
        let v: [&[f32]; TILE] = std::array::from_fn(|t| &v[t][..]);
        let rows = [5usize, 0, 2, 3, 1];
        let mut dots_out = vec![[0.0; TILE]; rows.len()];
        dots::<Portable>(&w, pixels, &rows, &v, &mut dots_out);
        let (mut g, mut g_fused) = (w.clone(), w.clone());
        let mut fused_out = vec![[0.0; TILE]; rows.len()];
        add_outer::<Portable>(&mut g, pixels, &rows, &c[..rows.len()], &v);
        add_outer_and_dots::<Portable>(&w, &mut g_fused, pixels, &rows, &c[..rows.len()], &v, &mut fused_out);
        let mut want_g = w.clone();
        for (k, &r) in rows.iter().enumerate() {
            for t in 0..TILE {
                assert_eq!(dots_out[k][t].to_bits(), plain_dot(v[t], &w[r * pixels..(r + 1) * pixels]).to_bits());
                for p in 0..pixels {
                    want_g[r * pixels + p] += c[k][t] * v[t][p];
                }
            }
        }
        assert_eq!(g, want_g);
        assert_eq!(g_fused, want_g);
        assert_eq!(fused_out, dots_out);
    }

    #[test]
    fn a_dot_product_is_the_sum_of_products() {
        let a: Vec<f32> = (0..37).map(|k| k as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|k| 1.0 - k as f32 * 0.01).collect();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
        let mut out = [[0.0; TILE]];
        dots::<Portable>(&b, 37, &[0], &[&a[..]; TILE], &mut out);
        assert!((f64::from(out[0][0]) - want).abs() < 1e-4, "{} vs {want}", out[0][0]);
    }

    #[test]
    fn decode_equals_unit_by_unit_sums() {
        let (pixels, w, _, c) = case();
        let bias: Vec<f32> = (0..pixels).map(|p| p as f32 * 0.01 - 0.2).collect();
        let units: Vec<(usize, [f32; TILE])> = [4usize, 1, 3].iter().map(|&i| (i, c[i].map(|x| x.max(0.0)))).collect();
        let mut z: [Vec<f32>; TILE] = std::array::from_fn(|_| vec![0.0f32; pixels]);
        decode::<Portable>(&mut z.each_mut().map(|z| &mut z[..]), &bias, &w, &units);
        for t in 0..TILE {
            for p in 0..pixels {
                let mut want = bias[p];
                for &(i, h) in &units {
                    want += h[t] * w[i * pixels + p];
                }
                assert_eq!(z[t][p].to_bits(), want.to_bits(), "image {t}, pixel {p}");
            }
        }
    }
}
