import Testing
@testable import PlatetopCore

/// The OpenBLAS kernel-set check that `platetop` runs before anything else.
struct BLASKernelsTests {
    static let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_fp16"]

    @Test func tiersFollowTheCPUFlags() {
        #expect(BLASKernels.tier(cpuFlags: Self.avx512) == 3)
        #expect(BLASKernels.tier(cpuFlags: Self.avx512.subtracting(["avx512vl"])) == 2)  // not the full AVX-512 set
        #expect(BLASKernels.tier(cpuFlags: ["avx", "avx2"]) == 1)  // AVX2 without FMA
        #expect(BLASKernels.tier(cpuFlags: ["sse3", "ssse3"]) == 0)
        #expect(BLASKernels.tier(core: "SKYLAKEX") == 3 && BLASKernels.tier(core: "Haswell") == 2 && BLASKernels.tier(core: "Zen") == 2)
        #expect(BLASKernels.tier(core: "Sandybridge") == 1 && BLASKernels.tier(core: "Prescott") == 0 && BLASKernels.tier(core: "neoversen1") == 0)
    }

    @Test func forcesKernelsOnlyWhenTheLibraryFellBelowAVX2() {
        // Debian 12's OpenBLAS on a Sapphire Rapids Xeon: Prescott loaded, AVX-512 present.
        #expect(BLASKernels.betterCore(loaded: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.betterCore(loaded: "Sandybridge", cpuFlags: ["avx", "avx2", "fma"]) == "Haswell")
        #expect(BLASKernels.betterCore(loaded: "Haswell", cpuFlags: Self.avx512) == nil)  // AVX2 kernels are kept
        #expect(BLASKernels.betterCore(loaded: "SkylakeX", cpuFlags: Self.avx512) == nil)
        #expect(BLASKernels.betterCore(loaded: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)  // nothing better to ask for
        #expect(BLASKernels.betterCore(loaded: "neoversen1", cpuFlags: []) == nil)  // ARM: no x86 flags
    }

    @Test func readsTheFlagsLineOfCPUInfo() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse3 avx2 fma\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: other\n"
        #expect(BLASKernels.cpuFlags(cpuinfo: cpuinfo) == ["fpu", "sse3", "avx2", "fma"])
        #expect(BLASKernels.cpuFlags(cpuinfo: "processor : 0\n") == [])
        #expect(BLASKernels.cpuFlags(cpuinfo: nil) == [])
    }
}
