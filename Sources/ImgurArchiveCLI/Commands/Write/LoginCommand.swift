import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI
import Jobs

/// `imgur-archive login`, `login --refresh-token -`, `login --status`, `logout`
/// (docs/upload-jobs.md, "Logging in"). Secrets come from stdin or files, never from argv, and are
/// never printed.
struct LoginCommand {
    let options: LoginOptions

    func run(_ session: Session) async throws -> ExitCode {
        guard let path = LoginFile.path(environment: session.context.environment) else {
            throw CommandError.configuration("no place for the login: set HOME or XDG_CONFIG_HOME")
        }
        if options.status { return try status(session, path: path) }
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        guard let secret = credentials.clientSecret, !credentials.isPublicFallback else {
            throw CommandError.configuration(
                "logging in needs your app's client id and client secret (IMGUR_CLIENT_ID and IMGUR_CLIENT_SECRET, "
                    + "or api_secrets.json); without an app, uploads work anonymously")
        }
        let client = session.tokenClient(api)
        let answer: JSONValue
        var login: StoredLogin
        if options.refreshTokenFromStdin {
            guard let token = session.context.readLine()?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw CommandError.usage("no refresh token on stdin (login --refresh-token - reads one line)")
            }
            login = StoredLogin(refreshToken: token, clientID: credentials.clientID)
            answer = try await client.oauthToken([
                ("refresh_token", token), ("client_id", credentials.clientID), ("client_secret", secret),
                ("grant_type", "refresh_token"),
            ])
        } else {
            (login, answer) = try await authorize(session, client: client, api: api, clientID: credentials.clientID, secret: secret)
        }
        login = try login.refreshed(by: answer, now: session.context.now())
        try LoginFile.write(login, to: path)
        session.reporter.summary("logged in as \(login.account ?? "your account"); the login is in \(path) (mode 600)")
        return .success
    }

    /// The browser flow: Imgur's page answers "Error (1024)" since mid-2025, so this says so first.
    private func authorize(_ session: Session, client: ImgurClient, api: APIConfiguration, clientID: String, secret: String)
        async throws -> (StoredLogin, JSONValue)
    {
        var url = api.baseURL.appendingPathComponent("oauth2").appendingPathComponent("authorize")
        if var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = [URLQueryItem(name: "client_id", value: clientID), URLQueryItem(name: "response_type", value: "token")]
            url = components.url ?? url
        }
        session.context.console.err("""
            Open this address in a browser, allow the app, and paste the address you land on (or a PIN) here:
              \(url.absoluteString)
            Since mid-2025 Imgur's page has answered "Error (1024)" for every app (docs/imgur-api.md § 11). If it does,
            log in with a refresh token you already hold: imgur-archive login --refresh-token - < token.txt
            Without a login, uploads work anonymously.

            """)
        guard let line = session.context.readLine()?.trimmingCharacters(in: .whitespacesAndNewlines), !line.isEmpty else {
            throw CommandError.usage("nothing was pasted")
        }
        if let fragment = line.split(separator: "#", maxSplits: 1).dropFirst().first {
            var values: [String: String] = [:]
            for pair in fragment.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            guard let refresh = values["refresh_token"], !refresh.isEmpty else {
                if values["error"] != nil { throw CommandError.configuration("Imgur refused the login (\(values["error"] ?? ""))") }
                throw CommandError.usage("the pasted address has no refresh_token in it")
            }
            var answer: [String: JSONValue] = ["refresh_token": .string(refresh)]
            answer["access_token"] = .optional(values["access_token"])
            answer["expires_in"] = values["expires_in"].flatMap { Int64($0) }.map(JSONValue.int) ?? .null
            answer["account_username"] = .optional(values["account_username"])
            answer["account_id"] = values["account_id"].flatMap { Int64($0) }.map(JSONValue.int) ?? .null
            return (StoredLogin(refreshToken: refresh, clientID: clientID), .object(answer))
        }
        guard line.count <= 64, line.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            throw CommandError.usage("paste the whole address you landed on, or the PIN")
        }
        let answer = try await client.oauthToken([
            ("client_id", clientID), ("client_secret", secret), ("grant_type", "pin"), ("pin", line),
        ])
        guard let refresh = answer["refresh_token"]?.nonEmptyString else {
            throw ImgurAPIError.malformedResponse("the login answer has no refresh_token")
        }
        return (StoredLogin(refreshToken: refresh, clientID: clientID), answer)
    }

    private func status(_ session: Session, path: String) throws -> ExitCode {
        let console = session.context.console
        if session.context.environment["IMGUR_REFRESH_TOKEN"]?.isEmpty == false {
            console.out("logged in through IMGUR_REFRESH_TOKEN (not stored)\n")
            return .success
        }
        guard let login = try LoginFile.read(path) else {
            console.out("not logged in (uploads are anonymous)\n")
            return .success
        }
        var text = "logged in as \(login.account ?? "an account")"
        if let id = login.accountID { text += " (account id \(id))" }
        if let expires = login.expiresAt {
            text += expires > session.context.now()
                ? "; the access token is valid until \(Timestamp.iso8601(expires))"
                : "; the access token expired at \(Timestamp.iso8601(expires)) and is renewed on the next request"
        }
        console.out(TextFormat.terminalSafe(text) + "; stored in \(path)\n")
        return .success
    }

    static func logout(_ session: Session) throws -> ExitCode {
        guard let path = LoginFile.path(environment: session.context.environment), FileSystem.exists(path) else {
            session.context.console.out("not logged in\n")
            return .success
        }
        FileSystem.remove(path)
        session.context.console.out("logged out: removed \(path)\n")
        if session.context.environment["IMGUR_REFRESH_TOKEN"]?.isEmpty == false {
            session.reporter.warning("IMGUR_REFRESH_TOKEN is still set: runs in this environment are still logged in")
        }
        return .success
    }
}
