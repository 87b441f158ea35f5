/// Where the client gets an account's access token, for `Authorization: Bearer` (docs/imgur-api.md §11).
///
/// The client asks for a token before each request and, when Imgur refuses one (401, or 403 "The
/// access token provided is invalid"), asks once for a fresh one and sends the request again.
public protocol AccessTokenSource: Sendable {
    /// A token that is not known to have expired (refreshed first when it is about to).
    func accessToken() async throws -> String
    /// `rejected` was refused by Imgur: a new token from the refresh token, or the error that says
    /// why there is none (a refresh token Imgur rejects).
    func refreshedToken(after rejected: String) async throws -> String
}

/// Which identity a request is sent with.
public enum RequestIdentity: Sendable, Equatable {
    /// The login's access token where there is one, else the client id.
    case account
    /// The client id even when logged in (`upload --anonymous`).
    case anonymous
}
