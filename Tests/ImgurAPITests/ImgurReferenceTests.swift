import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

/// Every input form of docs/imgur-api.md §7, and the ones we must refuse.
@Suite struct ImgurReferenceTests {
    typealias Outcome = Result<ImgurReference, ImgurReference.ParseError>

    private static func id(_ text: String) -> ImgurID {
        guard let id = ImgurID(text) else { fatalError("test table holds an invalid id: \(text)") }
        return id
    }

    private static func album(_ text: String) -> Outcome { .success(.album(id(text))) }
    private static func gallery(_ text: String) -> Outcome { .success(.gallery(id(text))) }
    private static func image(_ text: String) -> Outcome { .success(.image(id(text))) }
    private static func bare(_ id: String) -> Outcome { .success(.albumOrImage(ImgurID(id)!)) }
    private static func user(_ name: String) -> Outcome { .success(.user(name)) }
    private static func failure(_ error: ImgurReference.ParseError) -> Outcome { .failure(error) }

    private static func parse(_ input: String) -> Outcome {
        do throws(ImgurReference.ParseError) {
            return .success(try ImgurReference.parse(input))
        } catch {
            return .failure(error)
        }
    }

    // MARK: Bare ids

    static let bareIDs: [(String, Outcome)] = [
        ("q6i58", bare("q6i58")),
        ("AbCdEfG", bare("AbCdEfG")),
        ("abc123", bare("abc123")),  // six characters: inside the alphabet the type accepts
        ("  q6i58  ", bare("q6i58")),
        ("\tq6i58\n", bare("q6i58")),
        ("q6i5", failure(.invalidID("q6i5"))),
        ("AbCdEfGh", failure(.invalidID("AbCdEfGh"))),
        ("q6i5!", failure(.invalidID("q6i5!"))),
        ("q6_58", failure(.invalidID("q6_58"))),
        ("q6 i58", failure(.invalidID("q6 i58"))),
        ("q6i5é", failure(.invalidID("q6i5é"))),
        ("../x", failure(.notImgur("../x"))),
        ("..", failure(.notImgur(".."))),
        ("/", failure(.notImgur("/"))),
        ("q6i58.", failure(.notImgur("q6i58."))),
        ("", failure(.empty)),
        ("   ", failure(.empty)),
        ("\n\t \r\n", failure(.empty)),
        ("q6i58,AbCdEfG", failure(.idList("q6i58,AbCdEfG"))),
    ]

    @Test(arguments: bareIDs)
    func bareID(input: String, expected: Outcome) {
        #expect(Self.parse(input) == expected)
    }

    // MARK: Albums and gallery posts

    static let pages: [(String, Outcome)] = [
        ("https://imgur.com/a/q6i58", album("q6i58")),
        ("imgur.com/a/AbCdEfG", album("AbCdEfG")),
        ("https://imgur.com/a/my-holiday-photos-AbCdEfG", album("AbCdEfG")),
        ("https://imgur.com/a/q6i58/all", album("q6i58")),
        ("https://imgur.com/a/q6i58/layout/grid#0", album("q6i58")),
        ("https://imgur.com/a/q6i58/gifv", album("q6i58")),
        ("https://imgur.com/album/q6i58", album("q6i58")),
        ("https://imgur.com/a/q6i58/", album("q6i58")),
        ("https://imgur.com/a/q6i58?ref=https://example.com/x.y", album("q6i58")),
        ("https://imgur.com/a/q6i58#comments", album("q6i58")),
        ("https://www.imgur.com/a/q6i58", album("q6i58")),
        ("https://m.imgur.com/a/q6i58", album("q6i58")),
        ("https://imgur.io/a/q6i58", album("q6i58")),
        ("http://imgur.com/a/q6i58", album("q6i58")),
        ("HTTPS://IMGUR.COM/A/q6i58", album("q6i58")),
        ("https://imgur.com:443/a/q6i58", album("q6i58")),
        ("  https://imgur.com/a/q6i58\n", album("q6i58")),
        ("https://imgur.com/gallery/AbCdEfG", gallery("AbCdEfG")),
        ("https://imgur.com/gallery/cats-being-cats-AbCdEfG", gallery("AbCdEfG")),
        ("https://imgur.com/gallery/q6i58?foo=1#bar", gallery("q6i58")),
        ("https://imgur.com/t/funny/AbCdEfG", gallery("AbCdEfG")),
        ("https://imgur.com/topic/Aww/q6i58", gallery("q6i58")),
        ("https://imgur.com/r/pics/AbCdEfG", gallery("AbCdEfG")),
        ("https://imgur.com/a/q6i5", failure(.invalidID("q6i5"))),
        ("https://imgur.com/a/slug-AbCdEfGh", failure(.invalidID("AbCdEfGh"))),
        ("https://imgur.com/a/q6i58.jpg", failure(.invalidID("q6i58.jpg"))),
        ("https://imgur.com/a/..", failure(.invalidID(".."))),
        ("https://imgur.com/a/q6i58,AbCdEfG", failure(.idList("https://imgur.com/a/q6i58,AbCdEfG"))),
        ("https://imgur.com/a/", failure(.noID("https://imgur.com/a/"))),
        ("https://imgur.com/gallery", failure(.noID("https://imgur.com/gallery"))),
        ("https://imgur.com/t/funny", failure(.noID("https://imgur.com/t/funny"))),
        ("https://imgur.com/r/pics/", failure(.noID("https://imgur.com/r/pics/"))),
        ("https://imgur.com", failure(.noID("https://imgur.com"))),
        ("imgur.com/", failure(.noID("imgur.com/"))),
        ("https://imgur.com/about/team", failure(.noID("https://imgur.com/about/team"))),
    ]

    @Test(arguments: pages)
    func page(input: String, expected: Outcome) {
        #expect(Self.parse(input) == expected)
    }

    // MARK: Single media

    static let media: [(String, Outcome)] = [
        ("https://imgur.com/AbCdEfG", image("AbCdEfG")),
        ("https://imgur.com/funny-cat-AbCdEfG", image("AbCdEfG")),
        ("https://imgur.com/download/AbCdEfG", image("AbCdEfG")),
        ("https://imgur.com/download/q6i58/", image("q6i58")),
        ("https://i.imgur.com/AbCdEfG.jpg", image("AbCdEfG")),
        ("i.imgur.com/q6i58.png", image("q6i58")),
        ("https://i.imgur.com/AbCdEfG.gifv", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfG.GIFV", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfG.mp4", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfG.giff", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfG.jpg?1", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfG?5.jpg", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfG", image("AbCdEfG")),
        ("https://o.imgur.com/AbCdEfG.jpg", image("AbCdEfG")),
        ("https://i.imgur.io/AbCdEfG.jpg", image("AbCdEfG")),
        ("https://m.imgur.com/AbCdEfG.jpg", image("AbCdEfG")),
        // Thumbnail suffixes: an eighth (or sixth) character from s b t m l h.
        ("https://i.imgur.com/AbCdEfGh.jpg", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfGs.png", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfGb.jpg", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfGt.jpg", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfGm.jpg", image("AbCdEfG")),
        ("https://i.imgur.com/AbCdEfGl.jpg", image("AbCdEfG")),
        ("https://i.imgur.com/q6i58m.jpg", image("q6i58")),
        // A seventh character that looks like a suffix is part of a 7-character id.
        ("https://i.imgur.com/AbCdEfs.jpg", image("AbCdEfs")),
        ("https://i.imgur.com/2TtN68l_d.webp", image("2TtN68l")),
        ("https://i.imgur.com/2TtN68l_d.webp?maxwidth=640&shape=thumb", image("2TtN68l")),
        ("https://i.imgur.com/AbCdEfGx.jpg", failure(.invalidID("AbCdEfGx"))),
        ("https://i.imgur.com/AbCdEfGH.jpg", failure(.invalidID("AbCdEfGH"))),
        ("https://i.imgur.com/abc.jpg", failure(.invalidID("abc"))),
        ("https://i.imgur.com/", failure(.noID("https://i.imgur.com/"))),
        ("https://imgur.com/q6i58,AbCdEfG", failure(.idList("https://imgur.com/q6i58,AbCdEfG"))),
        ("https://imgur.com/q6i58,AbCdEfG,x1y2z", failure(.idList("https://imgur.com/q6i58,AbCdEfG,x1y2z"))),
        ("https://i.imgur.com/q6i58,AbCdEfG.jpg", failure(.idList("https://i.imgur.com/q6i58,AbCdEfG.jpg"))),
        ("https://imgur.com/download/a,b", failure(.idList("https://imgur.com/download/a,b"))),
        ("https://imgur.com/AbCdEfG/extra", failure(.noID("https://imgur.com/AbCdEfG/extra"))),
    ]

    @Test(arguments: media)
    func singleMedia(input: String, expected: Outcome) {
        #expect(Self.parse(input) == expected)
    }

    // MARK: Accounts

    static let users: [(String, Outcome)] = [
        ("https://imgur.com/user/someone", user("someone")),
        ("imgur.com/user/Some_One-2", user("Some_One-2")),
        ("https://imgur.com/user/someone/posts", user("someone")),
        ("https://imgur.com/user/someone?tab=favorites", user("someone")),
        // Favorites (and other pages of an account) are refused, never taken for its posts.
        ("https://imgur.com/user/someone/favorites", failure(.accountPage(user: "someone", page: "favorites"))),
        ("imgur.com/user/someone/favorites/folder/123/cats",
         failure(.accountPage(user: "someone", page: "favorites"))),
        ("https://imgur.com/user/someone/comments", failure(.accountPage(user: "someone", page: "comments"))),
        ("https://imgur.com/USER/someone", user("someone")),
        ("https://imgur.com/user/" + String(repeating: "a", count: 63), user(String(repeating: "a", count: 63))),
        ("https://imgur.com/user/" + String(repeating: "a", count: 64),
         failure(.invalidUser(String(repeating: "a", count: 64)))),
        ("https://imgur.com/user/bad!name", failure(.invalidUser("bad!name"))),
        ("https://imgur.com/user/dotted.name", failure(.invalidUser("dotted.name"))),
        ("https://imgur.com/user/..", failure(.invalidUser(".."))),
        ("https://imgur.com/user/", failure(.noID("https://imgur.com/user/"))),
    ]

    @Test(arguments: users)
    func account(input: String, expected: Outcome) {
        #expect(Self.parse(input) == expected)
    }

    // MARK: Not Imgur

    static let foreign: [String] = [
        "https://notimgur.com/a/q6i58",
        "https://imgur.com.evil.example/a/q6i58",
        "https://evil.example/imgur.com/a/q6i58",
        "https://evil.example?imgur.com/a/q6i58",
        "https://imgur.com@evil.example/a/q6i58",
        "https://i.stack.imgur.com/AbCdEfG.png",
        "https://evilimgur.com/a/q6i58",
        "ftp://imgur.com/a/q6i58",
        "file:///etc/passwd",
        "javascript://imgur.com/a/q6i58",
        "https://",
        "example.com/q6i58",
    ]

    @Test(arguments: foreign)
    func notImgur(input: String) {
        #expect(Self.parse(input) == .failure(.notImgur(input)))
    }

    /// Without a scheme, a `://` in the query or fragment is not a scheme separator (an earlier `splitURL`
    /// searched the whole text for `://` and refused these as "not Imgur").
    static let schemelessWithURLInQuery: [(String, Outcome)] = [
        ("imgur.com/a/q6i58?ref=https://example.com", album("q6i58")),
        ("imgur.com/a/q6i58#https://example.com", album("q6i58")),
        ("www.imgur.com/gallery/q6i58?u=http://a", gallery("q6i58")),
        ("i.imgur.com/AbCdEfG.jpg?src=http://x", image("AbCdEfG")),
    ]

    @Test(arguments: schemelessWithURLInQuery)
    func schemelessURLWithAURLInItsQuery(input: String, expected: Outcome) {
        #expect(Self.parse(input) == expected)
    }

    // MARK: Properties

    @Test func idAndDescription() throws {
        let album = try ImgurReference.parse("imgur.com/a/q6i58")
        #expect(album.id == Self.id("q6i58"))
        #expect(album.description == "album q6i58")
        #expect(try ImgurReference.parse("imgur.com/gallery/q6i58").description == "gallery post q6i58")
        #expect(try ImgurReference.parse("i.imgur.com/q6i58.jpg").description == "image q6i58")
        let user = try ImgurReference.parse("imgur.com/user/someone")
        #expect(user.id == nil)
        #expect(user.description == "user someone")
    }

    @Test func parseAcceptsSubstrings() throws {
        let line = "q6i58\nAbCdEfG"
        let lines = line.split(separator: "\n")
        #expect(try ImgurReference.parse(lines[1]) == .albumOrImage(Self.id("AbCdEfG")))
    }

    @Test func errorDescriptionsNameTheInput() {
        #expect(ImgurReference.ParseError.empty.description == "empty entry")
        #expect(ImgurReference.ParseError.notImgur("x").description == "not an Imgur id or URL: x")
        #expect(ImgurReference.ParseError.invalidID("abc").description
            == "not a valid Imgur id (5 to 7 letters or digits): abc")
        #expect(ImgurReference.ParseError.noID("u").description == "no album or image id in URL: u")
        #expect(ImgurReference.ParseError.idList("a,b").description
            == "comma-separated id lists are not supported, give one id per line: a,b")
        #expect(ImgurReference.ParseError.invalidUser("b!").description == "not a valid Imgur user name: b!")
    }

    /// Whatever the input, a parsed id is file-name safe.
    @Test(arguments: bareIDs.map(\.0) + pages.map(\.0) + media.map(\.0) + foreign)
    func parsedIDsAreFileNameSafe(input: String) {
        guard case .success(let reference) = Self.parse(input), let id = reference.id else { return }
        #expect(!id.rawValue.contains("/"))
        #expect(!id.rawValue.contains("."))
        #expect(ImgurID.isValid(id.rawValue))
    }

    @Test func userNameRule() {
        #expect(ImgurReference.isValidUserName("a"))
        #expect(ImgurReference.isValidUserName("A_b-9"))
        #expect(!ImgurReference.isValidUserName(""))
        #expect(!ImgurReference.isValidUserName("a b"))
        #expect(!ImgurReference.isValidUserName("a/b"))
        #expect(!ImgurReference.isValidUserName("ünï"))
        #expect(!ImgurReference.isValidUserName(String(repeating: "x", count: 64)))
    }
}
