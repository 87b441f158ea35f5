import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs
import Uploader

/// What the write side needs from the session: the login, a client that may act as the account,
/// and the jobs folder.
extension Session {
    /// The login, when there is one: `IMGUR_REFRESH_TOKEN` (headless: kept in memory), else the
    /// token file. A login needs the app's client id and secret.
    /// - Throws: `CommandError.configuration` when a login exists but cannot be used (exit 78).
    func loginTokens(_ credentials: Credentials, api: APIConfiguration) throws -> LoginTokens? {
        let fromEnvironment = context.environment["IMGUR_REFRESH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let path = LoginFile.path(environment: context.environment)
        guard let login = try fromEnvironment.map({ StoredLogin(refreshToken: $0, clientID: credentials.clientID) })
            ?? path.flatMap({ path throws(CommandError) in try LoginFile.read(path) })
        else { return nil }
        if let issued = login.clientID, issued != credentials.clientID {
            throw CommandError.configuration(
                "the login was made with another client id than the one configured now (\(credentials.source)); "
                    + "log in again or configure that id")
        }
        guard let secret = credentials.clientSecret, !credentials.isPublicFallback else {
            throw CommandError.configuration(
                "a login needs your app's client id and client secret: set IMGUR_CLIENT_ID and IMGUR_CLIENT_SECRET, "
                    + "or client_id and client_secret in api_secrets.json")
        }
        let exchanger = tokenClient(api)
        let clientID = credentials.clientID
        return LoginTokens(login: login, path: fromEnvironment == nil ? path : nil, now: context.now) { refresh in
            try await exchanger.oauthToken([
                ("refresh_token", refresh), ("client_id", clientID), ("client_secret", secret), ("grant_type", "refresh_token"),
            ])
        }
    }

    /// A client for `/oauth2/token`: never with an access token, never retried blindly.
    func tokenClient(_ api: APIConfiguration) -> ImgurClient {
        ImgurClient(configuration: api, transport: apiTransport(), retrier: Retrier(policy: context.retryPolicy))
    }

    /// The API client of the write side, with the login when there is one, reporting rate limits to `budget`.
    func writeClient(_ api: APIConfiguration, tokens: LoginTokens?, budget: RateLimitBudget) -> ImgurClient {
        let reporter = self.reporter
        let retrier = Retrier(policy: context.retryPolicy) { reporter.retry($0) }
        return ImgurClient(configuration: api, transport: apiTransport(), retrier: retrier, accessTokens: tokens, onRateLimit: budget.update)
    }

    /// The upload run every write command uses (upload, serve, restore, sync): at most 8 uploads at
    /// once, as the account with a login, else anonymous, with its own rate-limit budget.
    func uploadRun(_ api: APIConfiguration, tokens: LoginTokens?, store: JobStore, retryUncertain: Bool = false) -> UploadRun {
        let budget = RateLimitBudget(reserve: context.reserve)
        var settings = UploadRun.Settings()
        settings.jobs = min(global.jobs, 8)
        settings.identity = tokens == nil ? .anonymous : .account
        settings.firstPoll = context.firstProcessingPoll
        settings.retryUncertain = retryUncertain
        return UploadRun(
            client: writeClient(api, tokens: tokens, budget: budget), budget: budget, events: reporter, store: store,
            settings: settings, now: context.now)
    }

    /// `upload-jobs/` of the storage directory.
    func jobStore(create: Bool = true) throws -> JobStore {
        do {
            return try JobStore(root: layout.directory, create: create)
        } catch {
            throw CommandError.configuration("cannot use \(layout.root)/\(JobStore.folderName): \(error)")
        }
    }
}
