import Foundation
import Glibc

extension ServerRequest {
    /// Hands the body to `consume` in pieces of at most `pieceSize` bytes, in order, from memory or
    /// from the spooled ``bodyFile``, never holding more than one piece. Returns false when the
    /// spooled file cannot be read (it is gone once the handler has returned).
    public func readBody(pieceSize: Int = 1 << 20, _ consume: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let bodyFile else {
            body.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(raw.count, offset + max(1, pieceSize))
                    consume(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
            return true
        }
        let fd = open(bodyFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, pieceSize), alignment: 16)
        defer { piece.deallocate() }
        while true {
            let count = read(fd, piece.baseAddress, piece.count)
            if count > 0 {
                consume(UnsafeRawBufferPointer(rebasing: piece[0..<count]))
            } else if count == 0 {
                return true
            } else if errno != EINTR {
                return false
            }
        }
    }

    /// The whole body in memory, read from ``bodyFile`` when it was spooled; nil when it is longer
    /// than `limit` bytes or cannot be read. For small bodies (forms, JSON) whatever the server did.
    public func bodyData(limit: Int = 16 << 20) -> Data? {
        guard bodyLength <= limit else { return nil }
        guard bodyFile != nil else { return body }
        var data = Data(capacity: bodyLength)
        guard readBody({ data.append(contentsOf: $0) }) else { return nil }
        return data.count <= limit ? data : nil
    }
}
