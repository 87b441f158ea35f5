import Foundation
import HTTPCore
import ImgurArchiveCLI

// Everything happens in the library; this file only hands it the process.
URLSessionTransport.prepareProcess()
let run = Task { await ImgurArchiveTool.run(Array(CommandLine.arguments.dropFirst()), context: .process()) }
let trap = SignalTrap { _ in run.cancel() }
let status = await run.value
// `_exit` after flushing, not `exit`: `exit` runs OpenSSL's atexit cleanup while the media transport's
// threads may still be closing their TLS connections, which crashed about one run in thirty over TLS
// (docs/performance.md, "A media transport on libcurl"). Every file was made durable before this point.
fflush(nil)
_exit(trap.received.map { 128 + $0 } ?? status.rawValue)
