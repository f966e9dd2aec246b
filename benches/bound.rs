//! The instruction throughputs behind docs/performance.md's cycle bound for the native kernel:
//! `cargo bench --bench bound`. Each `ymm-instructions` benchmark advances 14 independent
//! AVX2 registers (enough to hide every latency measured here) and counts one element per
//! instruction, or per sigmoid lane; `dependent add` is a single chain, so its time per
//! element is the add's latency (3 cycles on Zen 3) and gives the clock the cycle counts are
//! taken at. The `operation-mix` benchmarks run a 2-1-2 network-epoch's floating-point
//! operations (or some of its parts) with no dependencies between them, counted per
//! network-epoch. At the end the benchmark prints the bound counted from these throughputs
//! beside the mixes' (a Markdown table).

use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(target_arch = "x86_64")]
#[path = "common/estimates.rs"]
mod estimates;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::hint::black_box;
    use std::time::{Duration, SystemTime};

    use aemc::engine::native::{LANES, kernel_sigmoids};
    use aemc::report::table::Table;
    use criterion::{Criterion, Throughput};

    use super::estimates::{per_second, throughput};

    /// The latency of a ymm addition on Zen 3, in cycles: `dependent add` times one per
    /// element, which gives the clock.
    const DEPENDENT_ADD_CYCLES: f64 = 3.0;

    /// Independent chains per benchmark.
    const CHAINS: usize = 14;
    /// Rounds of `CHAINS` instructions per timed call.
    const ROUNDS: usize = 10_000;

    /// The instruction patterns timed, each applied to every chain once per round; a const
    /// parameter of [`run`], so each gets its own compiled loop.
    const ADD: u8 = 0;
    const MUL: u8 = 1;
    const ADD_THEN_MUL: u8 = 2;
    const DIV: u8 = 3;
    const SQRT: u8 = 4;
    const SQRT_THEN_DIV: u8 = 5;
    const DIV_THEN_TWO_MUL: u8 = 6;
    const WIDEN_TO_DOUBLE: u8 = 7;
    /// Four 64-bit entries of a 32-entry table, as the exponential reads 2^(i/32).
    const GATHER: u8 = 8;
    /// A gather, then six additions and six multiplications on what it read: as many
    /// add/mul per gather as the exponential has, to see whether the two overlap.
    const GATHER_THEN_TWELVE_ADD_MUL: u8 = 9;
    /// The same four entries read lane by lane, as the kernel reads them: each lane's index
    /// moved to an integer register, a scalar load, and the four joined into one register.
    const LANE_READ: u8 = 10;
    /// [`LANE_READ`], then six additions and six multiplications.
    const LANE_READ_THEN_TWELVE_ADD_MUL: u8 = 11;

    /// A timed loop: [`run`] for one pattern.
    type Timed = unsafe fn(usize) -> f32;

    /// A 32-entry table of 64-bit values for [`GATHER`] and [`LANE_READ`]: distinct entries
    /// (so that the compiler cannot fold a read), each two normal floats (so that the
    /// add/mul after them run at full speed), whose low bits index another entry.
    static TABLE: [u64; 32] = {
        let mut table = [0u64; 32];
        let mut i = 0;
        while i < 32 {
            table[i] = ((0x3ff0_0000 + i as u64) << 32) | (0x3f80_0000 + ((7 * i as u64 + 3) % 32));
            i += 1;
        }
        table
    };

    #[target_feature(enable = "avx2,fma")]
    fn run<const PATTERN: u8>(rounds: usize) -> f32 {
        let (b, c) = (_mm256_set1_ps(1.000_000_1), _mm256_set1_ps(0.999_999_9));
        let mut chains = [_mm256_set1_ps(1.5); CHAINS];
        for _ in 0..rounds {
            for x in chains.iter_mut() {
                *x = match PATTERN {
                    ADD => _mm256_add_ps(*x, c),
                    MUL => _mm256_mul_ps(*x, b),
                    ADD_THEN_MUL => _mm256_mul_ps(_mm256_add_ps(*x, c), b),
                    DIV => _mm256_div_ps(*x, b),
                    SQRT => _mm256_sqrt_ps(*x),
                    SQRT_THEN_DIV => _mm256_div_ps(_mm256_sqrt_ps(*x), b),
                    DIV_THEN_TWO_MUL => _mm256_mul_ps(_mm256_mul_ps(_mm256_div_ps(*x, b), b), c),
                    // Reinterpreted, not narrowed back, so the chain is one conversion long.
                    WIDEN_TO_DOUBLE => _mm256_castpd_ps(_mm256_cvtps_pd(_mm256_castps256_ps128(*x))),
                    GATHER => gather(*x),
                    GATHER_THEN_TWELVE_ADD_MUL => twelve_add_mul(gather(*x), b, c),
                    LANE_READ => lane_read(*x),
                    LANE_READ_THEN_TWELVE_ADD_MUL => twelve_add_mul(lane_read(*x), b, c),
                    _ => unreachable!("no pattern {PATTERN}"),
                };
            }
        }
        // Every chain feeds the result, so none is dead code.
        first_lane_of_sum(&chains)
    }

    /// The first lane of the sum of `values`: a result that every value feeds.
    #[target_feature(enable = "avx2,fma")]
    fn first_lane_of_sum<'a>(values: impl IntoIterator<Item = &'a __m256>) -> f32 {
        _mm256_cvtss_f32(values.into_iter().fold(_mm256_setzero_ps(), |s, &x| _mm256_add_ps(s, x)))
    }

    /// Four table entries chosen by the low bits of `x`'s 64-bit lanes.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn gather(x: __m256) -> __m256 {
        let index = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi64x(31));
        // SAFETY: every index is in 0..32, inside the table.
        _mm256_castsi256_ps(unsafe { _mm256_i64gather_epi64::<8>(TABLE.as_ptr().cast(), index) })
    }

    /// [`gather`]'s four entries, read lane by lane.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn lane_read(x: __m256) -> __m256 {
        // SAFETY: four 64-bit lanes reinterpreted as their bits.
        let k: [u64; 4] = unsafe { std::mem::transmute::<__m256, [u64; 4]>(x) };
        let entry = |l: usize| TABLE[(k[l] % 32) as usize] as i64;
        _mm256_castsi256_ps(_mm256_setr_epi64x(entry(0), entry(1), entry(2), entry(3)))
    }

    /// Six additions of `c` and six multiplications by `b`, alternating, each on the last.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn twelve_add_mul(mut y: __m256, b: __m256, c: __m256) -> __m256 {
        for _ in 0..6 {
            y = _mm256_mul_ps(_mm256_add_ps(y, c), b);
        }
        y
    }

    /// Independent add/mul chains in [`operation_mix`].
    const MIX_CHAINS: usize = 12;
    /// Exponentials (sigmoids) of a 2-1-2 network-epoch: 4 images × 4 pixels.
    const MIX_SIGMOIDS: usize = 16;
    /// Additions, multiplications, comparisons and masks of a 2-1-2 network-epoch besides
    /// the sigmoids, as the kernel computes them: per image forward 57, loss gradient 24 and
    /// backward 81; Adam 10 per parameter besides its square root and division.
    const MIX_ARITHMETIC: usize = 4 * (57 + 24 + 81) + 29 * 10;
    /// Square roots, and as many divisions, of a 2-1-2 network-epoch: Adam's, one each per
    /// parameter.
    const MIX_ROOTS: usize = 29;

    /// Which parts of the mix [`operation_mix`] runs: a const parameter, so each
    /// combination gets its own compiled loop.
    const SIGMOIDS: u8 = 1;
    const ARITHMETIC: u8 = 2;
    const ROOTS: u8 = 4;

    /// The floating-point operations (those of `PARTS`) of `blocks` 2-1-2 block-epochs of 8
    /// networks, with every dependency between operations removed: the kernel's sigmoid of
    /// [`MIX_SIGMOIDS`] vectors, [`MIX_ARITHMETIC`] additions and multiplications over
    /// [`MIX_CHAINS`] chains, and [`MIX_ROOTS`] square roots each followed by a division,
    /// interleaved in 16 steps so that the core can overlap them all. Each sigmoid's
    /// result, less one half, is its next argument: that subtraction is one of the
    /// additions, timed with the sigmoids.
    #[target_feature(enable = "avx2,fma")]
    fn operation_mix<const PARTS: u8>(blocks: usize) -> f32 {
        // The counts the steps below add up to: 16 steps of 58 additions and
        // multiplications and 10 more; 14 steps with two square roots and one more.
        const _: () = assert!(MIX_ARITHMETIC == MIX_SIGMOIDS * (1 + 4 * MIX_CHAINS + 9) + 10);
        const _: () = assert!(MIX_ROOTS == 14 * 2 + 1 && MIX_SIGMOIDS == 16);
        let (b, c) = (_mm256_set1_ps(1.000_000_1), _mm256_set1_ps(0.999_999_9));
        let mut chains = [_mm256_set1_ps(1.5); MIX_CHAINS];
        let mut logits: [__m256; MIX_SIGMOIDS] = std::array::from_fn(|s| _mm256_set1_ps(s as f32 / 40.0 - 0.2));
        let mut moments = [_mm256_set1_ps(1.0); MIX_ROOTS];
        for _ in 0..blocks {
            let (with_roots, without) = logits.split_at_mut(14);
            for (logit, roots) in with_roots.iter_mut().zip(moments.chunks_exact_mut(2)) {
                mix_step::<PARTS, false>(logit, &mut chains, roots, b, c);
            }
            for logit in without {
                mix_step::<PARTS, false>(logit, &mut chains, &mut [], b, c);
            }
            mix_step::<PARTS, true>(&mut _mm256_setzero_ps(), &mut chains, &mut moments[28..], b, c);
        }
        first_lane_of_sum(chains.iter().chain(&logits).chain(&moments))
    }

    /// One step of [`operation_mix`], of the parts in `PARTS`: a sigmoid and the subtraction
    /// after it; 57 additions and multiplications (alternating on each chain); a square root
    /// and a division for each of `roots`. The `LAST` step of a block has no sigmoid and 10
    /// additions.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn mix_step<const PARTS: u8, const LAST: bool>(
        logit: &mut __m256,
        chains: &mut [__m256; MIX_CHAINS],
        roots: &mut [__m256],
        b: __m256,
        c: __m256,
    ) {
        use aemc::engine::native::avx2_sigmoid;
        if PARTS & SIGMOIDS != 0 && !LAST {
            *logit = _mm256_sub_ps(avx2_sigmoid(*logit), _mm256_set1_ps(0.5));
        }
        if PARTS & ARITHMETIC != 0 {
            if !LAST {
                for _ in 0..2 {
                    for x in chains.iter_mut() {
                        *x = _mm256_mul_ps(_mm256_add_ps(*x, c), b);
                    }
                }
            }
            for x in &mut chains[..if LAST { 10 } else { 9 }] {
                *x = _mm256_add_ps(*x, c);
            }
        }
        if PARTS & ROOTS != 0 {
            for m in roots {
                *m = _mm256_div_ps(_mm256_sqrt_ps(*m), b);
            }
        }
    }

    /// One chain of dependent additions: its time per addition is the add's latency.
    #[target_feature(enable = "avx2,fma")]
    fn dependent_adds(rounds: usize) -> f32 {
        let c = _mm256_set1_ps(black_box(0.999_999_9));
        let mut x = _mm256_set1_ps(black_box(1.5));
        for _ in 0..rounds * CHAINS {
            x = _mm256_add_ps(x, c);
        }
        _mm256_cvtss_f32(x)
    }

    pub fn bound(c: &mut Criterion) {
        let since = SystemTime::now();
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            println!("skipped: this CPU has no AVX2 and FMA");
            return;
        }
        let mut group = c.benchmark_group("ymm-instructions");
        group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
        // Each with the instructions it times per chain per round.
        let patterns: [(&str, Timed, usize); 12] = [
            ("add", run::<ADD>, 1),
            ("mul", run::<MUL>, 1),
            ("add+mul", run::<ADD_THEN_MUL>, 2),
            ("div", run::<DIV>, 1),
            ("sqrt", run::<SQRT>, 1),
            ("sqrt+div", run::<SQRT_THEN_DIV>, 2),
            ("div+2mul", run::<DIV_THEN_TWO_MUL>, 3),
            ("cvtps2pd", run::<WIDEN_TO_DOUBLE>, 1),
            ("gather", run::<GATHER>, 1),
            ("gather+12 add/mul", run::<GATHER_THEN_TWELVE_ADD_MUL>, 13),
            ("lane read", run::<LANE_READ>, 1),
            ("lane read+12 add/mul", run::<LANE_READ_THEN_TWELVE_ADD_MUL>, 13),
        ];
        for (name, run, per_round) in patterns {
            group.throughput(Throughput::Elements((ROUNDS * CHAINS * per_round) as u64));
            // SAFETY (both): AVX2 and FMA were detected above.
            group.bench_function(name, |b| b.iter(|| unsafe { run(black_box(ROUNDS)) }));
        }
        group.throughput(Throughput::Elements((ROUNDS * CHAINS) as u64));
        group.bench_function("dependent add", |b| b.iter(|| unsafe { dependent_adds(black_box(ROUNDS)) }));
        // Arguments across the range the kernel's logits cover; counted per lane.
        let xs: Vec<f32> = (0..4096).map(|i| (i as f32 / 4096.0 - 0.5) * 20.0).collect();
        let mut out = vec![0.0f32; xs.len()];
        group.throughput(Throughput::Elements(xs.len() as u64));
        group.bench_function("sigmoid lane", |b| b.iter(|| kernel_sigmoids(black_box(&xs), &mut out)));
        group.finish();
        // Counted per network-epoch: a block-epoch is 8 of them.
        let mut group = c.benchmark_group("operation-mix");
        group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
        const BLOCKS: usize = 2_000;
        group.throughput(Throughput::Elements((BLOCKS * LANES) as u64));
        let mixes: [(&str, Timed); 7] = [
            ("sigmoids", operation_mix::<SIGMOIDS>),
            ("arithmetic", operation_mix::<ARITHMETIC>),
            ("roots", operation_mix::<ROOTS>),
            ("sigmoids+arithmetic", operation_mix::<{ SIGMOIDS | ARITHMETIC }>),
            ("sigmoids+roots", operation_mix::<{ SIGMOIDS | ROOTS }>),
            ("arithmetic+roots", operation_mix::<{ ARITHMETIC | ROOTS }>),
            ("all", operation_mix::<{ SIGMOIDS | ARITHMETIC | ROOTS }>),
        ];
        for (name, run) in mixes {
            // SAFETY: AVX2 and FMA were detected above.
            group.bench_function(name, |b| b.iter(|| unsafe { run(black_box(BLOCKS)) }));
        }
        group.finish();
        print_bound(since, mixes.map(|(name, _)| name));
    }

    /// Prints, as a Markdown table, the bound for a 2-1-2 network-epoch counted from this
    /// run's instruction throughputs, and the operation mix's measured throughputs; nothing
    /// where a benchmark it needs was not run.
    fn print_bound(since: SystemTime, mixes: [&str; 7]) {
        let measured = |id: &str| throughput(id, since);
        let Some(clock) = measured("ymm-instructions/dependent add").map(|adds| adds * DEPENDENT_ADD_CYCLES) else {
            return;
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Seconds per network-epoch: one lane of each 8-lane instruction.
        let per_lane = |id: &str, instructions: usize| Some(instructions as f64 / LANES as f64 / measured(id)?);
        let sigmoids = measured("ymm-instructions/sigmoid lane").map(|lanes| MIX_SIGMOIDS as f64 / lanes);
        let arithmetic = per_lane("ymm-instructions/add+mul", MIX_ARITHMETIC);
        let roots = per_lane("ymm-instructions/sqrt+div", 2 * MIX_ROOTS);
        let counted = [
            (format!("{MIX_SIGMOIDS} sigmoids at `sigmoid lane`'s rate"), sigmoids),
            (format!("{MIX_ARITHMETIC} add/mul at `add+mul`'s rate"), arithmetic),
            (format!("{MIX_ROOTS} square roots and divisions at `sqrt+div`'s rate"), roots),
            (
                "**bound: sigmoids + add/mul, the divider beside them**".to_string(),
                sigmoids.zip(arithmetic).map(|(s, a)| s + a),
            ),
        ];
        let mixed = mixes.map(|name| {
            (format!("operation mix: {name}"), measured(&format!("operation-mix/{name}")).map(|rate| 1.0 / rate))
        });
        let rows: Vec<(String, f64)> =
            counted.into_iter().chain(mixed).filter_map(|(name, seconds)| Some((name, seconds?))).collect();
        println!("\n2-1-2 network-epoch, clock {:.2} GHz (from `dependent add`):\n", clock / 1e9);
        let cores_header = format!("{cores} cores");
        let mut table = Table::new(&["", "cycles", "one core", &cores_header]);
        for (name, seconds) in rows {
            let rate = 1.0 / seconds;
            table.push(vec![
                name,
                format!("{:.0}", seconds * clock),
                per_second(rate),
                per_second(rate * cores as f64),
            ]);
        }
        print!("{}", table.to_markdown());
    }
}

fn bound(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    x86::bound(c);
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = c;
        println!("skipped: the bound is for x86-64 with AVX2");
    }
}

criterion_group!(benches, bound);
criterion_main!(benches);
