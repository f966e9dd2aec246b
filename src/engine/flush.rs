//! Subnormal floats flushed to zero on every thread that trains, as TensorFlow and XLA run on
//! CPU: results of f32 operations below 2⁻¹²⁶ in magnitude become ±0 (FTZ) and subnormal
//! inputs read as ±0 (DAZ).
//!
//! Late in training subnormals are common (Adam's g² of tiny gradients, the tails of
//! saturated sigmoids), and x86 cores handle them in microcode, many times slower than normal
//! arithmetic. Flushing changes results, so every CPU engine trains under the same setting and
//! the native and burn engines stay bit-identical: x86-64 sets MXCSR's FTZ and DAZ bits,
//! AArch64 sets FPCR's FZ bit (which flushes inputs and results alike); elsewhere nothing is
//! set and subnormals stay (results on such machines may differ from x86's).
//!
//! The bits are per thread. [`flushing`] runs work on threads that have them: the calling
//! thread when it is a worker of a pool from [`flushing_pool`] (as the study runner's is),
//! else a process-wide pool built the same way, whose rayon work (burn's Flex backend,
//! the native engine's blocks) stays on its flushing workers.

use std::cell::Cell;
use std::sync::LazyLock;

thread_local! {
    /// Whether this thread is a worker of a pool built by [`flushing_pool`].
    static FLUSHING_WORKER: Cell<bool> = const { Cell::new(false) };
}

#[cfg(target_arch = "x86_64")]
mod bits {
    /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

    fn read() -> u32 {
        let mut csr = 0u32;
        // SAFETY: stmxcsr stores the 32-bit control register to the given address.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags)) };
        csr
    }

    pub fn set() {
        let csr = read() | FTZ_DAZ;
        // SAFETY: ldmxcsr loads the control register; only the FTZ and DAZ bits change.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly, preserves_flags)) };
    }

    pub fn are_set() -> bool {
        read() & FTZ_DAZ == FTZ_DAZ
    }
}

#[cfg(target_arch = "aarch64")]
mod bits {
    /// FPCR's flush-to-zero bit.
    const FZ: u64 = 1 << 24;

    fn read() -> u64 {
        let fpcr: u64;
        // SAFETY: reading FPCR has no side effects.
        unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack, preserves_flags)) };
        fpcr
    }

    pub fn set() {
        let fpcr = read() | FZ;
        // SAFETY: writing FPCR with only the FZ bit changed.
        unsafe { std::arch::asm!("msr fpcr, {}", in(reg) fpcr, options(nomem, nostack, preserves_flags)) };
    }

    pub fn are_set() -> bool {
        read() & FZ == FZ
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod bits {
    pub fn set() {}

    pub fn are_set() -> bool {
        false
    }
}

/// Whether the calling thread flushes subnormals to zero.
pub fn flushes_subnormals() -> bool {
    bits::are_set()
}

/// A rayon pool of `threads` workers, each flushing subnormals to zero from its start.
pub fn flushing_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .start_handler(|_| {
            bits::set();
            FLUSHING_WORKER.set(true);
        })
        .build()
        .expect("a thread pool")
}

/// The pool [`flushing`] uses when called from outside a flushing pool: one worker per core.
static FLUSHING_POOL: LazyLock<rayon::ThreadPool> =
    LazyLock::new(|| flushing_pool(std::thread::available_parallelism().map_or(1, |n| n.get())));

/// Runs `work` where subnormals are flushed to zero: here when this thread is a worker of a
/// [`flushing_pool`], else on the process-wide one.
pub fn flushing<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    if FLUSHING_WORKER.get() { work() } else { FLUSHING_POOL.install(work) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    fn work_runs_flushing_subnormals_wherever_it_is_called_from() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let (flushes, halved) = flushing(|| (flushes_subnormals(), std::hint::black_box(tiny) / 2.0));
        assert!(flushes);
        assert_eq!(halved, 0.0, "a subnormal result is flushed to zero");
        // Nested in a flushing pool's worker it runs in place.
        let pool = flushing_pool(2);
        let inner = pool.install(|| flushing(|| (rayon::current_thread_index().is_some(), flushes_subnormals())));
        assert_eq!(inner, (true, true));
        // This test's own thread is untouched.
        assert_eq!(std::hint::black_box(tiny) / 2.0, f32::MIN_POSITIVE / 2.0);
    }
}
