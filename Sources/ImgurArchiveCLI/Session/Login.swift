import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// A login: an account's refresh token, and the access token it last gave (docs/upload-jobs.md,
/// "The token file").
struct StoredLogin: Sendable, Equatable {
    var refreshToken: String
    var accessToken: String?
    var expiresAt: Date?
    var account: String?
    var accountID: Int64?
    /// The app the token was issued to: a token only refreshes with that app's id and secret.
    var clientID: String?

    var json: JSONValue {
        .object([
            "refresh_token": .string(refreshToken), "access_token": .optional(accessToken),
            "expires_at": expiresAt.map { .string(Timestamp.iso8601($0)) } ?? .null,
            "account_username": .optional(account), "account_id": accountID.map(JSONValue.int) ?? .null,
            "client_id": .optional(clientID),
        ])
    }

    init(refreshToken: String, clientID: String?) {
        self.refreshToken = refreshToken
        self.clientID = clientID
    }

    init?(json: JSONValue) {
        guard let refresh = json["refresh_token"]?.nonEmptyString else { return nil }
        self.init(refreshToken: refresh, clientID: json["client_id"]?.stringValue)
        accessToken = json["access_token"]?.nonEmptyString
        expiresAt = json["expires_at"]?.stringValue.flatMap(Timestamp.date)
        account = json["account_username"]?.stringValue
        accountID = json["account_id"]?.int64Value
    }

    /// The answer of `/oauth2/token` applied: a new access token, and a new refresh token only
    /// when one came back (docs/imgur-api.md §11: rotation is unconfirmed; the old one is kept).
    func refreshed(by answer: JSONValue, now: Date) throws(ImgurAPIError) -> StoredLogin {
        guard let access = answer["access_token"]?.nonEmptyString else {
            throw .malformedResponse("the login answer has no access_token")
        }
        var next = self
        next.accessToken = access
        next.expiresAt = answer["expires_in"]?.int64Value.map { now.addingTimeInterval(TimeInterval(min($0, 315_360_000))) }
        if let rotated = answer["refresh_token"]?.nonEmptyString { next.refreshToken = rotated }
        next.account = answer["account_username"]?.nonEmptyString ?? account
        next.accountID = answer["account_id"]?.int64Value ?? accountID
        return next
    }
}

/// `$XDG_CONFIG_HOME/imgur-archive/token.json` (by default `~/.config/imgur-archive/`): never in
/// the storage directory (which may be shared or published), 0600, replaced atomically so that the
/// old refresh token stays until the new one is on disk.
enum LoginFile {
    static func path(environment: [String: String]) -> String? {
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") { return "\(base)/imgur-archive/token.json" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return "\(home)/.config/imgur-archive/token.json"
    }

    static func read(_ path: String) throws(CommandError) -> StoredLogin? {
        guard FileSystem.exists(path) else { return nil }
        guard let data = try? FileSystem.read(path, limit: 1 << 16), let json = try? JSONValue.parse(data),
            let login = StoredLogin(json: json)
        else {
            throw .configuration("cannot read the login in \(path); 'imgur-archive logout' removes it")
        }
        return login
    }

    static func write(_ login: StoredLogin, to path: String) throws(FileError) {
        let folder = (path as NSString).deletingLastPathComponent
        try FileSystem.createDirectories(folder, mode: 0o700)
        try FileSystem.writeAtomically(login.json.serialized(.pretty), to: path, mode: 0o600)
    }
}

/// The login's access tokens for the client: refreshed shortly before they expire, and once when
/// Imgur refuses one; every refresh is written to the token file before the token is used.
actor LoginTokens: AccessTokenSource {
    private var login: StoredLogin
    /// nil for `IMGUR_REFRESH_TOKEN`: kept in memory only.
    private let path: String?
    private let exchange: @Sendable (String) async throws -> JSONValue
    private let now: @Sendable () -> Date
    private var refreshing: Task<String, any Error>?

    init(
        login: StoredLogin, path: String?, now: @escaping @Sendable () -> Date,
        exchange: @escaping @Sendable (String) async throws -> JSONValue
    ) {
        self.login = login
        self.path = path
        self.now = now
        self.exchange = exchange
    }

    var current: StoredLogin { login }

    func accessToken() async throws -> String {
        // A minute early, so that it does not run out during a request.
        if let token = login.accessToken, let expires = login.expiresAt, expires.timeIntervalSince(now()) > 60 { return token }
        return try await refresh()
    }

    func refreshedToken(after rejected: String) async throws -> String {
        if let token = login.accessToken, token != rejected { return token }  // another request refreshed it already
        login.accessToken = nil
        return try await refresh()
    }

    /// One refresh at a time, whoever asks.
    func refresh() async throws -> String {
        if let refreshing { return try await refreshing.value }
        let task = Task { [login, exchange, now, path] () throws -> String in
            let answer = try await exchange(login.refreshToken)
            let next = try login.refreshed(by: answer, now: now())
            if let path { try LoginFile.write(next, to: path) }
            return try await self.adopt(next)
        }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    private func adopt(_ next: StoredLogin) throws -> String {
        login = next
        guard let token = next.accessToken else { throw ImgurAPIError.malformedResponse("the login answer has no access_token") }
        return token
    }
}
