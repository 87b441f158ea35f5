/// `imgur-archive verify` (being written).
struct VerifyRun {
    let options: VerifyOptions
    let context: RunContext
    let reporter: Reporter

    func run() async -> ExitCode {
        reporter.error("verify: not implemented yet")
        return .failure
    }
}
