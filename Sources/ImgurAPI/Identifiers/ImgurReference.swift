import Foundation

/// What one line of input names: an album, a gallery post, a single image or an account.
public enum ImgurReference: Sendable, Hashable, CustomStringConvertible {
    /// `imgur.com/a/ID`, `/a/slug-ID`.
    case album(ImgurID)
    /// A bare id: an album, or else an image (asked in that order).
    case albumOrImage(ImgurID)
    /// `imgur.com/gallery/ID`, `/gallery/slug-ID`, `/t/TAG/ID`, `/topic/T/ID`, `/r/SUB/ID`: an album or an image.
    case gallery(ImgurID)
    /// `imgur.com/ID`, `i.imgur.com/ID.ext` (also `.gifv`, thumbnail suffixes, `?1`).
    case image(ImgurID)
    /// `imgur.com/user/NAME`.
    case user(String)

    public var description: String {
        switch self {
        case .album(let id): "album \(id)"
        case .albumOrImage(let id): "album or image \(id)"
        case .gallery(let id): "gallery post \(id)"
        case .image(let id): "image \(id)"
        case .user(let name): "user \(name)"
        }
    }

    /// The id for references that have one.
    public var id: ImgurID? {
        switch self {
        case .album(let id), .albumOrImage(let id), .gallery(let id), .image(let id): id
        case .user: nil
        }
    }

    /// Why a line of input is not something we can archive.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case notImgur(String)
        case invalidID(String)
        case noID(String)
        case idList(String)
        case invalidUser(String)
        /// `imgur.com/user/NAME/favorites` and other pages of an account that are not its posts.
        case accountPage(user: String, page: String)
        /// A line longer than this many bytes (not kept, not quoted).
        case tooLong(Int)

        public var description: String {
            switch self {
            case .empty: "empty entry"
            case .notImgur(let text): "not an Imgur id or URL: \(Self.short(text))"
            case .invalidID(let text): "not a valid Imgur id (5 to 7 letters or digits): \(Self.short(text))"
            case .noID(let text): "no album or image id in URL: \(Self.short(text))"
            case .idList(let text): "comma-separated id lists are not supported, give one id per line: \(Self.short(text))"
            case .invalidUser(let text): "not a valid Imgur user name: \(Self.short(text))"
            case .accountPage(let user, let page):
                "the \(Self.short(page)) page of user \(user) is not archived (only an account's own posts "
                    + "and albums: imgur.com/user/\(user)); give the URL of each post instead"
            case .tooLong(let limit): "longer than \(limit) bytes; not an Imgur id or URL"
            }
        }

        /// At most 100 characters of what was given: a message never echoes a huge input.
        static func short(_ text: String) -> String {
            text.count <= 100 ? text : text.prefix(99) + "…"
        }
    }

    /// Parses an album id or any Imgur URL form that clients meet in the wild (docs/imgur-api.md §7).
    public static func parse(_ input: some StringProtocol) throws(ParseError) -> ImgurReference {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .empty }
        if !text.contains("/") && !text.contains(".") {
            if text.contains(",") { throw .idList(text) }
            guard let id = ImgurID(text) else { throw .invalidID(text) }
            return .albumOrImage(id)
        }
        guard let (host, segments) = splitURL(text) else { throw .notImgur(text) }
        return try reference(host: host, segments: segments, original: text)
    }

    /// The host's Imgur role and the non-empty path segments; nil when the host is not Imgur's.
    private static func splitURL(_ text: String) -> (host: String, segments: [Substring])? {
        var rest = Substring(text)
        // A scheme only counts at the very start (a query may itself hold a URL: `?ref=https://…`).
        if let scheme = rest.range(of: "://"),
            !rest[..<scheme.lowerBound].contains(where: { "/?#.".contains($0) })
        {
            let name = rest[..<scheme.lowerBound].lowercased()
            guard name == "http" || name == "https" else { return nil }
            rest = rest[scheme.upperBound...]
        }
        // Query and fragment never carry the id (`?1`, `#0`, `?5.jpg`).
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard var host = parts.first?.lowercased() else { return nil }
        if let colon = host.firstIndex(of: ":") { host = String(host[..<colon]) }
        for domain in ["imgur.com", "imgur.io"] {
            if host == domain { return ("", Array(parts.dropFirst())) }
            for sub in ["www", "m", "i", "o"] where host == "\(sub).\(domain)" {
                return (sub == "i" || sub == "o" ? "i" : "", Array(parts.dropFirst()))
            }
        }
        return nil
    }

    private static func reference(host: String, segments: [Substring], original: String) throws(ParseError)
        -> ImgurReference
    {
        guard let first = segments.first else { throw .noID(original) }
        if host == "i" {
            return .image(try mediaID(fromFileName: first, original: original))
        }
        switch first.lowercased() {
        case "a", "album":
            guard segments.count >= 2 else { throw .noID(original) }
            return .album(try slugID(segments[1], original: original))
        case "gallery":
            guard segments.count >= 2 else { throw .noID(original) }
            return .gallery(try slugID(segments[1], original: original))
        case "t", "topic", "r":
            guard segments.count >= 3 else { throw .noID(original) }
            return .gallery(try slugID(segments[2], original: original))
        case "user":
            guard segments.count >= 2 else { throw .noID(original) }
            let name = String(segments[1])
            guard isValidUserName(name) else { throw .invalidUser(name) }
            // `/user/NAME/posts` is the account itself; its favorites, comments and the rest are not
            // what `user` archives, and taking them for it would archive the wrong thing quietly.
            if segments.count >= 3, segments[2].lowercased() != "posts" {
                throw .accountPage(user: name, page: String(segments[2]))
            }
            return .user(name)
        case "download":
            guard segments.count >= 2 else { throw .noID(original) }
            return .image(try slugID(segments[1], original: original))
        default:
            guard segments.count == 1 else { throw .noID(original) }
            return .image(try mediaID(fromFileName: first, original: original))
        }
    }

    /// `title-words-ID` or `ID`: the id is after the last hyphen.
    private static func slugID(_ segment: Substring, original: String) throws(ParseError) -> ImgurID {
        if segment.contains(",") { throw .idList(original) }
        let candidate = segment.split(separator: "-").last ?? segment
        guard let id = ImgurID(candidate) else { throw .invalidID(String(candidate)) }
        return id
    }

    /// `ID.ext`, `IDs.jpg` (thumbnail suffix), `ID_d.webp`, `slug-ID`.
    private static func mediaID(fromFileName segment: Substring, original: String) throws(ParseError) -> ImgurID {
        if segment.contains(",") { throw .idList(original) }
        var stem = segment.split(separator: ".", maxSplits: 1).first ?? segment
        if stem.hasSuffix("_d") { stem = stem.dropLast(2) }
        stem = stem.split(separator: "-").last ?? stem
        // An eighth (or sixth) character from s b t m l h marks a thumbnail of a 7- (or 5-) character id.
        if stem.count == 8 || stem.count == 6, let last = stem.last, "sbtmlh".contains(last),
            let id = ImgurID(stem.dropLast())
        {
            return id
        }
        guard let id = ImgurID(stem) else { throw .invalidID(String(stem)) }
        return id
    }

    /// Imgur user names: letters, digits, `_` and `-`, at most 63 characters.
    public static func isValidUserName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...63).contains(utf8.count)
            && utf8.allSatisfy { ImgurID.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
