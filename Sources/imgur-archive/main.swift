import Foundation
import HTTPCore
import ImgurArchiveCLI

// Everything happens in the library; this file only hands it the process.
URLSessionTransport.prepareProcess()
let run = Task { await ImgurArchiveTool.run(Array(CommandLine.arguments.dropFirst()), context: .process()) }
let trap = SignalTrap { _ in run.cancel() }
let status = await run.value
exit(trap.received.map { 128 + $0 } ?? status.rawValue)
