/// `imgur-archive html` (being written).
struct HTMLRun {
    let options: HTMLOptions
    let context: RunContext
    let reporter: Reporter

    func run() -> ExitCode {
        reporter.error("html: not implemented yet")
        return .failure
    }
}
