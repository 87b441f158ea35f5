import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The session-level delegate: on Linux only the session's delegate receives data (a per-task
/// delegate gets nothing), so it routes each callback to the `Transfer` of its task.
final class SessionDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let transfers = Mutex<[Int: Transfer]>([:])

    func register(_ transfer: Transfer, for taskIdentifier: Int) {
        transfers.withLock { $0[taskIdentifier] = transfer }
    }

    private func transfer(_ task: URLSessionTask) -> Transfer? {
        transfers.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        transfer(dataTask)?.didReceive(response)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        transfer(dataTask)?.didReceive(data)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(transfer(task)?.redirect(to: request))
    }

    /// FoundationNetworking 6.3.1 never completes a 401 with a `WWW-Authenticate: Basic` challenge,
    /// whatever the delegate answers (measured; fixed upstream in 6.3.2). We never answer with
    /// credentials: the transfer ends at once with the 401 itself (its body is lost).
    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        transfer(task)?.didReceiveChallenge(failureResponse: challenge.failureResponse)
        // Like `cancel()`, the completion handler syncs onto the queue this callback runs on
        // (InlineOperationQueue): calling it here would deadlock.
        DispatchQueue.global().async { completionHandler(.cancelAuthenticationChallenge, nil) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let done = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        done?.didComplete(error)
    }
}
