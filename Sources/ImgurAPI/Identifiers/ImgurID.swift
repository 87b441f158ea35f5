/// An Imgur album or media id, checked against the id alphabet: 5 to 7 ASCII letters or digits.
///
/// This is the only form in which an id taken from input or from the API may become part of a
/// file name: a value of this type can never hold `/`, `.` or `..`.
public struct ImgurID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Accepts exactly the alphabet Imgur uses: `[A-Za-z0-9]{5,7}`.
    public init?(_ text: some StringProtocol) {
        guard Self.isValid(text) else { return nil }
        rawValue = String(text)
    }

    @inlinable  // specialised where it is called: unspecialised, it was a tenth of opening a large catalog
    public static func isValid(_ text: some StringProtocol) -> Bool {
        let utf8 = text.utf8
        guard (5...7).contains(utf8.count) else { return false }
        return utf8.allSatisfy(Self.isAlphanumeric)
    }

    @inlinable
    public static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return false
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: ImgurID, rhs: ImgurID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ImgurID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an Imgur id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
