import ArchiveFormat
import DurableFiles
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Imgur client id and where it came from. The id itself is never printed.
public struct Credentials: Sendable, Equatable {
    public let clientID: String
    /// The app's secret, which only refreshing a login needs (`IMGUR_CLIENT_SECRET`, or
    /// `client_secret` in the same file); never printed, never sent but to `/oauth2/token`.
    public var clientSecret: String?
    /// "IMGUR_CLIENT_ID" or the file it was read from.
    public let source: String
    /// Problems worth a warning (a file others can read).
    public let warnings: [String]
    /// No client id is configured anywhere: this is the one imgur.com's own pages send, which
    /// every peer archiver uses since Imgur stopped registering applications in 2025
    /// (docs/imgur-api.md §11).
    public var isPublicFallback = false

    /// The web front-end's client id (gallery-dl, yt-dlp, RipMe, bdfr and ArchiveTeam send it).
    public static let publicClientID = "546c25a59c58ad7"

    public init(clientID: String, source: String, warnings: [String]) {
        self.clientID = clientID
        self.source = source
        self.warnings = warnings
    }

    /// Looks in `IMGUR_CLIENT_ID`, then `<storage>/api_secrets.json`, then
    /// `$XDG_CONFIG_HOME/imgur-archive/api_secrets.json` (default `~/.config/…`); without any,
    /// the public client id. A configured id always wins.
    /// - Throws: `CommandError.invalidCredentials` for a file that cannot be used (exit 78).
    public static func find(environment: [String: String], storage: StorageLayout) throws(CommandError) -> Credentials {
        let secret = environment["IMGUR_CLIENT_SECRET"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let fromEnvironment = environment["IMGUR_CLIENT_ID"]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !fromEnvironment.isEmpty
        {
            var credentials = Credentials(clientID: fromEnvironment, source: "IMGUR_CLIENT_ID", warnings: [])
            credentials.clientSecret = secret?.isEmpty == false ? secret : nil
            return credentials
        }
        let candidates = [storage.secrets, userConfigPath(environment)].compactMap { $0 }
        for path in candidates where FileSystem.exists(path) {
            var credentials = try read(path)
            if let secret, !secret.isEmpty { credentials.clientSecret = secret }
            return credentials
        }
        var fallback = Credentials(
            clientID: publicClientID, source: "the public client id of imgur.com's own pages", warnings: [])
        fallback.isPublicFallback = true
        return fallback
    }

    static func userConfigPath(_ environment: [String: String]) -> String? {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return "\(config)/imgur-archive/api_secrets.json"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return "\(home)/.config/imgur-archive/api_secrets.json"
    }

    /// Reads a file shaped like `api_secrets.TEMPLATE.json`: `{"client_id": "…", "client_secret": "…"}`.
    static func read(_ path: String) throws(CommandError) -> Credentials {
        let data: Data
        do {
            data = try FileSystem.read(path, limit: 1 << 16)
        } catch {
            throw .invalidCredentials(path: path, reason: readReason(error))
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidCredentials(path: path, reason: "not a JSON object like api_secrets.TEMPLATE.json")
        }
        guard let clientID = (json["client_id"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !clientID.isEmpty, !clientID.uppercased().contains("YOUR_")
        else {
            throw .invalidCredentials(path: path, reason: "\"client_id\" is missing or still the template's placeholder")
        }
        var warnings: [String] = []
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o044 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            warnings.append("\(path) is readable by other users (mode \(mode)); run: chmod 600 \(path)")
        }
        var credentials = Credentials(clientID: clientID, source: path, warnings: warnings)
        if let secret = (json["client_secret"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), !secret.isEmpty,
            !secret.uppercased().contains("YOUR_")
        {
            credentials.clientSecret = secret
        }
        return credentials
    }

    private static func readReason(_ error: FileError) -> String {
        if case .read(_, let reason) = error { return reason }
        return "\(error)"
    }
}
