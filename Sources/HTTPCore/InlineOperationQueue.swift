import Foundation

/// A delegate queue that runs each callback at once, on the thread that enqueues it.
///
/// FoundationNetworking on Linux cannot pause libcurl, and with an ordinary serial delegate queue the
/// received chunks pile up without bound whenever writing falls behind (960 MB peak for a 1 GB file
/// with a slow writer, measured). Enqueued inline, the delegate runs on libcurl's own callback queue,
/// so a slow writer slows the socket reads instead: the same file peaked at 53 MB.
///
/// The price: delegate callbacks must never call back into URLSession synchronously (its methods
/// `sync` onto that same queue and would deadlock). `Transfer` hops to another queue to cancel.
final class InlineOperationQueue: OperationQueue, @unchecked Sendable {
    // Stateless beyond OperationQueue itself; every callback runs where it is enqueued.
    override func addOperation(_ block: @escaping @Sendable () -> Void) {
        block()
    }

    override func addOperation(_ operation: Operation) {
        operation.start()
    }
}
