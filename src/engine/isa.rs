//! The instruction sets the native kernels are compiled for, and which one a process uses:
//! the widest the CPU runs unless `AEMC_ISA` names another.

/// The environment variable that forces the native kernel's instruction set.
pub const ISA_VARIABLE: &str = "AEMC_ISA";

/// The instruction sets the native kernel is compiled for; every one gives bit-identical
/// results, so the choice changes speed only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// 16-lane AVX-512F registers, one per value (16 networks a block).
    Avx512,
    /// 8-lane AVX2 registers with FMA, two per value (16 networks a block).
    Avx2,
    /// The baseline instruction set, lane by lane (8 networks a block).
    Portable,
}

impl Isa {
    /// Every instruction set, widest first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2, Isa::Portable];

    /// The name `AEMC_ISA` takes.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    /// Whether this CPU runs it.
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
            match self {
                Isa::Avx512 => avx2 && std::is_x86_feature_detected!("avx512f"),
                Isa::Avx2 => avx2,
                Isa::Portable => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Isa::Portable
        }
    }

    /// The kernel used without `AEMC_ISA`: the widest this CPU runs (AVX-512 trains 1.3–1.7×
    /// faster than AVX2 where both were measured, docs/performance.md).
    pub fn default_for_cpu() -> Isa {
        Isa::ALL.into_iter().find(|isa| isa.available()).unwrap_or(Isa::Portable)
    }

    /// The instruction set named `requested`, if this CPU runs it.
    pub fn parse_for_cpu(requested: &str) -> Result<Isa, String> {
        let isa = Isa::ALL.into_iter().find(|i| i.name() == requested).ok_or_else(|| {
            format!("'{requested}' is not an instruction set of the native kernel; use avx512, avx2 or portable")
        })?;
        if !isa.available() {
            let usable: Vec<&str> = Isa::ALL.iter().filter(|i| i.available()).map(|i| i.name()).collect();
            return Err(format!("this CPU cannot run the {requested} kernel; use {} or unset it", usable.join(" or ")));
        }
        Ok(isa)
    }

    /// `AEMC_ISA`'s instruction set where it is set, else [`Isa::default_for_cpu`]; read once
    /// per process.
    pub fn selected() -> Result<Isa, String> {
        static SELECTED: std::sync::OnceLock<Result<Isa, String>> = std::sync::OnceLock::new();
        SELECTED
            .get_or_init(|| match std::env::var(ISA_VARIABLE) {
                Ok(requested) => Isa::parse_for_cpu(&requested),
                Err(std::env::VarError::NotPresent) => Ok(Isa::default_for_cpu()),
                Err(e) => Err(e.to_string()),
            })
            .clone()
    }
}
