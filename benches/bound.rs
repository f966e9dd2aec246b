//! The instruction throughputs behind README.md's cycle bound for the native kernel:
//! `cargo bench --bench bound`. Each benchmark advances 14 independent AVX2 registers (enough
//! to hide every latency measured here) and counts one element per instruction, or per
//! sigmoid lane; `dependent add` is a single chain, so its time per element is the add's
//! latency (3 cycles on Zen 3) and gives the clock the cycle counts are taken at.

use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;
    use std::hint::black_box;
    use std::time::Duration;

    use aemc::engine::expf::sigmoid;
    use criterion::{Criterion, Throughput};

    /// Independent chains per benchmark.
    const CHAINS: usize = 14;
    /// Rounds of `CHAINS` instructions per timed call.
    const ROUNDS: usize = 10_000;

    /// The instruction patterns timed, each applied to every chain once per round.
    #[derive(Clone, Copy)]
    enum Pattern {
        Add,
        Mul,
        AddThenMul,
        Div,
        Sqrt,
        SqrtThenDiv,
        DivThenTwoMul,
        WidenToDouble,
        /// Four 64-bit entries of a 32-entry table, as the exponential reads 2^(i/32).
        Gather,
    }

    /// A 32-entry table of 64-bit values for [`Pattern::Gather`].
    static TABLE: [u64; 32] = [0x3ff0_0000_0000_0000; 32];

    #[target_feature(enable = "avx2,fma")]
    fn run(pattern: Pattern, rounds: usize) -> f32 {
        let (b, c) = (_mm256_set1_ps(1.000_000_1), _mm256_set1_ps(0.999_999_9));
        let mut chains = [_mm256_set1_ps(1.5); CHAINS];
        for _ in 0..rounds {
            for x in chains.iter_mut() {
                *x = match pattern {
                    Pattern::Add => _mm256_add_ps(*x, c),
                    Pattern::Mul => _mm256_mul_ps(*x, b),
                    Pattern::AddThenMul => _mm256_mul_ps(_mm256_add_ps(*x, c), b),
                    Pattern::Div => _mm256_div_ps(*x, b),
                    Pattern::Sqrt => _mm256_sqrt_ps(*x),
                    Pattern::SqrtThenDiv => _mm256_div_ps(_mm256_sqrt_ps(*x), b),
                    Pattern::DivThenTwoMul => _mm256_mul_ps(_mm256_mul_ps(_mm256_div_ps(*x, b), b), c),
                    // Reinterpreted, not narrowed back, so the chain is one conversion long.
                    Pattern::WidenToDouble => _mm256_castpd_ps(_mm256_cvtps_pd(_mm256_castps256_ps128(*x))),
                    Pattern::Gather => {
                        let index = _mm256_and_si256(_mm256_castps_si256(*x), _mm256_set1_epi64x(31));
                        // SAFETY: every index is in 0..32, inside the table.
                        _mm256_castsi256_ps(unsafe { _mm256_i64gather_epi64::<8>(TABLE.as_ptr().cast(), index) })
                    }
                };
            }
        }
        // Every chain feeds the result, so none is dead code.
        let sum = chains.iter().fold(_mm256_setzero_ps(), |s, &x| _mm256_add_ps(s, x));
        let mut out = [0.0f32; 8];
        // SAFETY: `out` is 8 floats, written unaligned.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
        out[0]
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

    /// The kernel's sigmoid over a slice, eight lanes at a time as the kernel's AVX2 copy
    /// computes it.
    #[target_feature(enable = "avx2,fma")]
    fn sigmoids(xs: &[f32], out: &mut [f32]) {
        for (x, y) in xs.chunks_exact(8).zip(out.chunks_exact_mut(8)) {
            let lanes: [f32; 8] = std::array::from_fn(|l| sigmoid(x[l]));
            y.copy_from_slice(&lanes);
        }
    }

    pub fn bound(c: &mut Criterion) {
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            println!("skipped: this CPU has no AVX2 and FMA");
            return;
        }
        let mut group = c.benchmark_group("ymm-instructions");
        group.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
        let patterns = [
            ("add", Pattern::Add, 1),
            ("mul", Pattern::Mul, 1),
            ("add+mul", Pattern::AddThenMul, 2),
            ("div", Pattern::Div, 1),
            ("sqrt", Pattern::Sqrt, 1),
            ("sqrt+div", Pattern::SqrtThenDiv, 2),
            ("div+2mul", Pattern::DivThenTwoMul, 3),
            ("cvtps2pd", Pattern::WidenToDouble, 1),
            ("gather", Pattern::Gather, 1),
        ];
        for (name, pattern, per_round) in patterns {
            group.throughput(Throughput::Elements((ROUNDS * CHAINS * per_round) as u64));
            // SAFETY (both): AVX2 and FMA were detected above.
            group.bench_function(name, |b| b.iter(|| unsafe { run(pattern, black_box(ROUNDS)) }));
        }
        group.throughput(Throughput::Elements((ROUNDS * CHAINS) as u64));
        group.bench_function("dependent add", |b| b.iter(|| unsafe { dependent_adds(black_box(ROUNDS)) }));
        // Arguments across the range the kernel's logits cover; counted per lane.
        let xs: Vec<f32> = (0..4096).map(|i| (i as f32 / 4096.0 - 0.5) * 20.0).collect();
        let mut out = vec![0.0f32; xs.len()];
        group.throughput(Throughput::Elements(xs.len() as u64));
        group.bench_function("sigmoid lane", |b| b.iter(|| unsafe { sigmoids(black_box(&xs), &mut out) }));
        group.finish();
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
