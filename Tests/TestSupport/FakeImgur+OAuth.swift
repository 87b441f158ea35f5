import Foundation

/// A login the fake knows: what `POST /oauth2/token` checks and what `Bearer` tokens belong to.
public struct FakeUser: Sendable, Equatable {
    /// The account's name (`account_username`, `url` of `/3/account/me`); matched case-insensitively.
    public var username: String
    public var accountID: Int
    /// The refresh token the fake accepts now (a rotating refresh replaces it).
    public var refreshToken: String
    public var clientSecret: String
    /// The client id the refresh must name.
    public var clientID: String

    public init(
        username: String, accountID: Int, refreshToken: String, clientSecret: String,
        clientID: String = FakeImgur.clientID
    ) {
        self.username = username
        self.accountID = accountID
        self.refreshToken = refreshToken
        self.clientSecret = clientSecret
        self.clientID = clientID
    }
}

extension FakeImgur {
    /// The public client id of imgur.com's own pages, accepted like ``clientID`` (anonymous).
    public static let publicClientID = "546c25a59c58ad7"

    /// Registers a login (replacing one of the same name): its refresh token and secret then work at
    /// `POST /oauth2/token`, and its tokens own what they upload.
    public func register(_ user: FakeUser) {
        state.withLock { state in
            let key = user.username.lowercased()
            if let old = state.write.users[key] { state.write.refreshTokens[old.refreshToken] = nil }
            state.write.users[key] = user
            state.write.refreshTokens[user.refreshToken] = key
        }
    }

    /// The login as it is now (its refresh token may have rotated).
    public func user(_ username: String) -> FakeUser? {
        state.withLock { $0.write.users[username.lowercased()] }
    }

    /// A new valid access token for a registered login, as if it had just refreshed (not counted as
    /// a refresh): for tests that start logged in. `lifetime` defaults to the settings' one.
    public func issueAccessToken(for username: String, lifetime: TimeInterval? = nil) -> String? {
        state.withLock { state in
            guard let user = state.write.users[username.lowercased()] else { return nil }
            return Self.newAccessToken(for: user, lifetime: lifetime, in: &state)
        }
    }

    /// Makes every access token (of `username`, or of everyone) expired now: the next `Bearer`
    /// request with one gets 403 `The access token provided is invalid.`.
    public func expireAccessTokens(of username: String? = nil) {
        state.withLock { state in
            for (token, entry) in state.write.accessTokens where username == nil || entry.username == username?.lowercased() {
                state.write.accessTokens[token]?.expires = .distantPast
            }
        }
    }

    // MARK: Answers

    enum Authentication {
        case granted(Identity)
        case refused(ServerResponse)
    }

    /// The `Authorization` header of a `/3/` request: a known client id (anonymous), a valid access
    /// token (its account), or a 403.
    static func authenticate(_ request: ServerRequest, state: Locked<State>) -> Authentication {
        let header = request.header("Authorization") ?? ""
        let (style, user, known) = state.withLock { state -> (WireStyle, FakeUser?, Bool) in
            guard header.hasPrefix("Bearer ") else { return (state.style, nil, false) }
            let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard let entry = state.write.accessTokens[token], entry.expires > Date() else { return (state.style, nil, true) }
            return (state.style, state.write.users[entry.username], true)
        }
        if header.hasPrefix("Bearer ") {
            guard known, let user else {
                return .refused(apiError(403, "The access token provided is invalid.", request: request.path, style: style,
                    method: request.method))
            }
            return .granted(.account(user))
        }
        guard ["Client-ID \(clientID)", "Client-ID \(publicClientID)"].contains(header) else {
            return .refused(apiError(403, "Invalid client_id", request: request.path, style: style, method: request.method))
        }
        return .granted(.anonymous)
    }

    /// `/oauth2/…`: the token endpoint and the 2025 authorize page (docs/imgur-api.md §11).
    static func oauth(_ request: ServerRequest, state: Locked<State>) -> ServerResponse {
        let style = state.withLock { $0.style }
        switch request.path {
        case "/oauth2/authorize":
            return .html(authorizeClosedPage)
        case "/oauth2/token" where request.method == "POST":
            return token(request, state: state, style: style)
        default:
            return apiError(404, "Not found", request: request.path, style: style, method: request.method)
        }
    }

    /// What `GET /oauth2/authorize` has answered since mid-2025, for `token` and `pin` alike.
    public static let authorizeClosedPage = """
        <!DOCTYPE html>
        <html><head><title>Error (1024) - Imgur</title></head>
        <body><div class="error"><h1>Error (1024)</h1>
        <p>Sorry! There was an error (code: 1024) retrieving the page you requested</p></div></body></html>
        """

    private static func token(_ request: ServerRequest, state: Locked<State>, style: WireStyle) -> ServerResponse {
        let directory = state.withLock { $0.write.directory }
        guard case .success(let form) = ReceivedForm.read(request, directory: directory) else {
            return apiError(400, "Invalid refresh token", request: request.path, style: style, method: "POST")
        }
        guard form.first("grant_type") == "refresh_token" else {
            return apiError(400, "Invalid grant_type parameter or parameter missing", request: request.path, style: style,
                method: "POST")
        }
        let granted = state.withLock { state -> (user: FakeUser, access: String, lifetime: TimeInterval)? in
            guard let sent = form.first("refresh_token"), let key = state.write.refreshTokens[sent],
                  var user = state.write.users[key], user.clientSecret == form.first("client_secret"),
                  user.clientID == form.first("client_id")
            else { return nil }
            if state.write.settings.rotatesRefreshTokens {
                state.write.refreshTokens[user.refreshToken] = nil
                user.refreshToken = randomToken()
                state.write.refreshTokens[user.refreshToken] = key
                state.write.users[key] = user
            }
            state.write.tokenRefreshes += 1
            let lifetime = state.write.settings.accessTokenLifetime
            return (user, newAccessToken(for: user, lifetime: lifetime, in: &state), lifetime)
        }
        guard let granted else {
            return apiError(400, "Invalid refresh token", request: request.path, style: style, method: "POST")
        }
        let answer: FakeJSON = .object([
            ("access_token", .string(granted.access)), ("expires_in", .number("\(Int(granted.lifetime))")),
            ("token_type", .string("bearer")), ("scope", .null), ("refresh_token", .string(granted.user.refreshToken)),
            ("account_username", .string(granted.user.username)), ("account_id", .number("\(granted.user.accountID)")),
        ])
        return .json(answer.text(escapeSlashes: false))
    }

    private static func newAccessToken(for user: FakeUser, lifetime: TimeInterval?, in state: inout State) -> String {
        let token = randomToken()
        let seconds = lifetime ?? state.write.settings.accessTokenLifetime
        state.write.accessTokens[token] = WriteState.AccessToken(
            username: user.username.lowercased(), expires: Date().addingTimeInterval(seconds))
        return token
    }

    /// 40 lowercase hex digits, like Imgur's tokens.
    private static func randomToken() -> String {
        (0..<20).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}
