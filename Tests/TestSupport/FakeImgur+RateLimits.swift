import Foundation

extension FakeImgur {
    /// How the write side behaves; change it with ``configureWrites(_:)``.
    public struct WriteSettings: Sendable {
        /// Stills (every `image/…` type, GIFs included) larger than this many bytes get 400 `File is
        /// over the size limit`, after the whole body was read (docs/imgur-api.md §10). 10 MB.
        public var stillSizeLimit = 10_000_000
        /// The same for videos. 200 MB.
        public var videoSizeLimit = 200_000_000
        /// How many `GET /3/image/{id}` answers after the upload still say `processing.status`
        /// `pending` for a new video before `completed`. The upload's own answer always says `pending`.
        public var videoPendingPolls = 1
        /// While a video is pending its `link` ends in a bare `.`, as ShareX saw (docs §10).
        public var pendingVideoLinkWithoutExtension = false
        /// Seconds an access token from `POST /oauth2/token` lives (`expires_in`). 28 days.
        public var accessTokenLifetime: TimeInterval = 2_419_200
        /// A refresh hands out a new refresh token and forgets the old one.
        public var rotatesRefreshTokens = false
        /// Every upload gets the CDN edge's 400 `These actions are forbidden.` with `CDN-Error: yes`,
        /// `Retry-After: 0`, `Connection: close`, and is not stored (docs §12).
        public var refusesUploadsAtCDN = false
        /// User and client credits an upload costs; every other `/3/` request costs 1.
        public var uploadCost = 10
        /// Items per page of `/3/account/me/albums/{page}` and `/images/{page}`.
        public var accountPageSize = 50
    }

    /// The hourly allowance of POSTs (per IP at Imgur): `X-Post-Rate-Limit-*`.
    struct PostAllowance {
        var limit = 1250
        var remaining = 1250
        var resetSeconds = 3600
        var since = Date()

        var secondsToReset: Int { max(0, resetSeconds - Int(Date().timeIntervalSince(since))) }
    }

    /// The write side's settings now.
    public var writeSettings: WriteSettings { state.withLock { $0.write.settings } }

    /// Changes the write side's settings: `fake.configureWrites { $0.videoPendingPolls = 3 }`.
    public func configureWrites(_ change: (inout WriteSettings) -> Void) {
        state.withLock { change(&$0.write.settings) }
    }

    /// Sets the POST allowance: `X-Post-Rate-Limit-Limit` `limit`, `-Remaining` `remaining` (falling
    /// by one with every POST to `/3/`; at 0 uploads get 429), `-Reset` counting down from
    /// `resetSeconds`. Defaults: 1250, 1250, 3600.
    public func setPostRateLimit(limit: Int = 1250, remaining: Int? = nil, resetSeconds: Int = 3600) {
        state.withLock { $0.write.post = PostAllowance(limit: limit, remaining: remaining ?? limit, resetSeconds: resetSeconds) }
    }

    /// Charges `cost` credits (and one POST for a POST) and adds every rate-limit header to `response`.
    /// Uploads carry the `X-Post-Rate-Limit-*` headers too, as every POST does.
    static func charged(_ response: ServerResponse, cost: Int, method: String, state: Locked<State>) -> ServerResponse {
        let (limits, post) = state.withLock { state -> ((client: Int, user: Int)?, PostAllowance?) in
            if let limits = state.rateLimit {
                state.rateLimit = (max(0, limits.client - cost), max(0, limits.user - cost))
            }
            guard method == "POST" else { return (state.rateLimit, nil) }
            state.write.post.remaining = max(0, state.write.post.remaining - 1)
            return (state.rateLimit, state.write.post)
        }
        return withPostHeaders(withRateLimit(response, limits), post)
    }

    static func withPostHeaders(_ response: ServerResponse, _ post: PostAllowance?) -> ServerResponse {
        guard let post else { return response }
        var response = response
        response.headers += [
            ("X-Post-Rate-Limit-Limit", "\(post.limit)"), ("X-Post-Rate-Limit-Remaining", "\(post.remaining)"),
            ("X-Post-Rate-Limit-Reset", "\(post.secondsToReset)"),
        ]
        return response
    }

    /// The 429 an upload gets when fewer credits than an upload costs are left (user or client), or
    /// no POSTs: nothing is charged, every rate-limit header is sent (docs §12, PyImgur #35).
    static func uploadAllowanceRefusal(_ request: ServerRequest, state: Locked<State>) -> ServerResponse? {
        let refusal = state.withLock { state -> (style: WireStyle, limits: (client: Int, user: Int)?, post: PostAllowance)? in
            let cost = state.write.settings.uploadCost
            let short = state.rateLimit.map { $0.user < cost || $0.client < cost } ?? false
            guard short || state.write.post.remaining < 1 else { return nil }
            return (state.style, state.rateLimit, state.write.post)
        }
        guard let refusal else { return nil }
        let error: FakeJSON = .object([
            ("code", .number("429")), ("message", .string("You are uploading too fast. Please wait 59 more minutes.")),
            ("type", .string("ImgurException")),
        ])
        let data: FakeJSON = .object([("error", error), ("request", .string(request.path)), ("method", .string("POST"))])
        let response = ServerResponse.json(envelope(data, style: refusal.style, status: 429, success: false), status: 429)
        return withPostHeaders(withRateLimit(response, refusal.limits), refusal.post)
    }

    /// The CDN edge's refusal of an upload (docs §12, ShareX #8107).
    static func cdnRefusal(_ request: ServerRequest) -> ServerResponse {
        let body = #"{"data":{"error":"These actions are forbidden."},"success":false,"status":400}"#
        return .json(body, status: 400, headers: [("CDN-Error", "yes"), ("Retry-After", "0"), ("Connection", "close")])
    }
}
