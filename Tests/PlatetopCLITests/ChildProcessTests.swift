import Foundation
import Testing

/// The test harness's children start as from a shell, although test code runs on Dispatch threads
/// that block most signals: otherwise SIGTERM sent to a helper server would never arrive.
struct ChildProcessTests {
    @Test func childrenStartWithAnEmptySignalMaskAndGetSIGTERM() throws {
        let mask = try CLI.Child("/usr/bin/grep", ["-E", "^Sig(Blk|Ign):", "/proc/self/status"]).finish(timeout: 10)
        #expect(mask.status == 0)
        // One bit per signal, signal n at bit n-1; 32 and 33 are glibc's own (never changed by spawn).
        let masks = Dictionary(uniqueKeysWithValues: mask.stdoutLines.compactMap { line -> (String, UInt64)? in
            let parts = line.split(separator: "\t")
            guard parts.count == 2, let bits = UInt64(parts[1], radix: 16) else { return nil }
            return (String(parts[0]), bits & 0x7fff_ffff)
        })
        #expect(masks == ["SigBlk:": 0, "SigIgn:": 0], "\(mask.stdout)")

        let sleeper = try CLI.Child("/bin/sleep", ["30"])
        sleeper.signal(SIGTERM)
        let r = sleeper.finish(timeout: 5)
        #expect(!r.timedOut && r.signalled && r.status == SIGTERM)
    }
}
