import Foundation

extension FakeImgur {
    /// How a write that was stored (so it exists and counts) is then answered: the ambiguous
    /// failures of docs/imgur-api.md §13.
    public enum AfterStoring: Sendable, Equatable {
        /// A TCP reset, not one byte of the answer sent.
        case reset
        /// The answer's head and its first `bytes` body bytes, then a TCP reset.
        case resetAfter(bytes: Int)
        /// Nothing sent; the connection stays open until the client gives up (or the server stops).
        case stall
        /// The answer's head and its first `bytes` body bytes, then nothing until the client gives up.
        case stallAfter(bytes: Int)
    }

    /// Which writes an ``AfterStoring`` fault strikes.
    public enum WriteMatch: Sendable, Equatable {
        /// The `number`th upload request (`POST /3/image` or `/3/upload`) since start, counting from 1
        /// and counting refused ones too (``uploadRequestCount``).
        case upload(number: Int)
        /// The next `times` stored uploads whose `name` field is `name`.
        case uploadNamed(String, times: Int = 1)
        /// The `number`th album creation (`POST /3/album`) since start, counting from 1.
        case albumCreation(number: Int)
    }

    struct PendingFault {
        var match: WriteMatch
        var fault: AfterStoring
    }

    /// Stores the writes `match` names as usual, then answers them with `fault` instead of their
    /// answer. Unlike ``inject(_:_:)`` (answered before anything is stored), the upload or album
    /// then exists and shows in ``uploads`` and ``albumRecords``.
    public func injectAfterStoring(_ fault: AfterStoring, on match: WriteMatch) {
        state.withLock { $0.write.faults.append(PendingFault(match: match, fault: fault)) }
    }

    /// The fault for a stored upload (request `number`, field `name`) or album creation, used up.
    static func takeFault(upload number: Int?, name: String?, album: Int?, in state: inout State) -> AfterStoring? {
        guard let index = state.write.faults.firstIndex(where: { pending in
            switch pending.match {
            case .upload(let wanted): return wanted == number
            case .uploadNamed(let wanted, let times): return times > 0 && name != nil && wanted == name
            case .albumCreation(let wanted): return wanted == album
            }
        }) else { return nil }
        let pending = state.write.faults[index]
        if case .uploadNamed(let wanted, let times) = pending.match, times > 1 {
            state.write.faults[index].match = .uploadNamed(wanted, times: times - 1)
        } else {
            state.write.faults.remove(at: index)
        }
        return pending.fault
    }

    /// `response` delivered as `fault` says.
    static func delivered(_ response: ServerResponse, _ fault: AfterStoring?) -> ServerResponse {
        switch fault {
        case nil: response
        case .reset: response.with(.resetWithoutResponse)
        case .resetAfter(let bytes): response.with(.dropAfter(bytes: bytes, reset: true))
        case .stall: response.with(.stallWithoutResponse)
        case .stallAfter(let bytes): response.with(.stallAfter(bytes: bytes))
        }
    }
}
