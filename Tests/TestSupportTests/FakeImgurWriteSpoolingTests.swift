import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Testing
import TestSupport

extension FakeImgurWriteTests {
    /// Long request bodies spooled to files by the server, and read from there without loading them.
    @Suite struct Spooling {
        /// What a handler saw of a spooled body while it ran.
        struct Seen: Sendable {
            var file: String?
            var memoryCount: Int
            var length: Int
            var bytes: Data?
        }

        @Test func longBodiesGoToAFileThatLivesWhileTheHandlerRuns() async throws {
            let directory = try makeTemporaryDirectory("spool")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let seen = Locked<[Seen]>([])
            let server = try LoopbackServer(spooling: .init(threshold: 1_000, directory: directory)) { request in
                var read = Data()
                let complete = request.readBody(pieceSize: 333) { read.append(contentsOf: $0) }
                seen.withLock {
                    $0.append(Seen(file: request.bodyFile, memoryCount: request.body.count, length: request.bodyLength,
                        bytes: complete ? read : nil))
                }
                return .text("ok \(request.bodyData()?.count ?? -1)")
            }
            defer { server.stop() }
            let session = makeSession()
            defer { session.finishTasksAndInvalidate() }
            let long = pattern(count: 5_000)
            let short = pattern(count: 1_000)
            for payload in [long, short] {
                var request = URLRequest(url: server.baseURL.appendingPathComponent("up"))
                request.httpMethod = "POST"
                request.httpBody = payload
                let (body, _) = try await fetch(session, request)
                #expect(String(decoding: body, as: UTF8.self) == "ok \(payload.count)")
            }
            let log = seen.current
            #expect(log.count == 2)
            #expect(log.first.map { $0.file != nil && $0.memoryCount == 0 && $0.length == 5_000 && $0.bytes == long } == true)
            #expect(log.last.map { $0.file == nil && $0.memoryCount == 1_000 && $0.length == 1_000 && $0.bytes == short } == true)
            #expect(server.requests.first?.bodyFile == log.first?.file && server.requests.first?.bodyLength == 5_000)
            #expect(filesBelow(directory).isEmpty, "the spool file is removed after the handler")
        }

        @Test func chunkedBodiesSpoolOncePastTheThresholdAndPipeliningStillWorks() throws {
            let directory = try makeTemporaryDirectory("spool")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let server = try LoopbackServer(spooling: .init(threshold: 1_000, directory: directory)) { request in
                let text = String(decoding: request.bodyData() ?? Data(), as: UTF8.self)
                return .text("\(request.path) \(request.bodyFile == nil ? "memory" : "file") \(request.bodyLength) \(text.suffix(3))")
            }
            defer { server.stop() }
            let client = try RawClient(port: server.port)
            let big = String(repeating: "x", count: 1_500) + "end"
            client.send("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n\(String(big.utf8.count, radix: 16))\r\n\(big)\r\n0\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
            let reply = client.readToEnd()
            #expect(reply.contains("/a file 1506 end"), "\(reply)")
            #expect(reply.hasSuffix("/b memory 2 hi"))
            #expect(filesBelow(directory).isEmpty)
        }

        @Test func aDelimiterSplitAcrossReadPiecesIsFound() async throws {
            let directory = try makeTemporaryDirectory("fake-write")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let fake = try FakeImgur(directory: directory)
            defer { fake.stop() }
            let boundary = "split-boundary-0123456789"
            let preamble = Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\n"
                + "Content-Type: image/jpeg\r\n\r\n").utf8)
            let mebibyte = 1 << 20
            // The closing delimiter starts 3 bytes before the 9 MiB piece boundary the body is read in;
            // a decoy (the delimiter's first 9 bytes, then something else) straddles 8 MiB.
            var content = FakeMedia.bytes(ext: "jpg", size: 9 * mebibyte - 3 - preamble.count, seed: "split")
            let decoyAt = 8 * mebibyte - 4 - preamble.count
            content.replaceSubrange(decoyAt..<(decoyAt + 11), with: Array("\r\n--split-".utf8) + [0x21])
            let body = preamble + content + Data("\r\n--\(boundary)--\r\n".utf8)
            var request = URLRequest(url: testURL(fake.apiBase + "/3/image"))
            request.httpMethod = "POST"
            request.setValue(anonymous, forHTTPHeaderField: "Authorization")
            request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let session = makeSession(timeout: 120)
            defer { session.finishTasksAndInvalidate() }
            let (answer, response) = try await fetch(session, request)
            #expect(response.statusCode == 200, "\(String(decoding: answer, as: UTF8.self))")
            let stored = try #require(fake.uploads.first)
            #expect(stored.size == content.count)
            #expect(stored.sha256 == (try sha256sum(content, in: directory)))
            #expect(fake.requests("/3/image").first?.bodyFile != nil)
        }

        @Test func a200MBVideoUploadKeepsTheTestProcessMemoryFlat() async throws {
            let directory = try makeTemporaryDirectory("fake-write-big")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let size = 200_000_000
            let contentPath = "\(directory)/content.mp4"
            let bodyPath = "\(directory)/body"
            let boundary = "big-\(UUID().uuidString)"
            try await onItsOwnThread { try Self.writeBigBody(size: size, boundary: boundary, content: contentPath, body: bodyPath) }
            let expectedHash = try sha256sum(path: contentPath)

            let fake = try FakeImgur(directory: directory)
            defer { fake.stop() }
            let session = makeSession(timeout: 300)
            defer { session.finishTasksAndInvalidate() }
            var request = URLRequest(url: testURL(fake.apiBase + "/3/upload"))
            request.httpMethod = "POST"
            request.setValue(anonymous, forHTTPHeaderField: "Authorization")
            request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")

            // With a length (the file streamed by `upload(for:fromFile:)`), then chunked (a stream body).
            var measured: [String] = []
            for chunked in [false, true] {
                #expect(resetPeakRSS(), "VmHWM can be reset")
                let before = try #require(statusKilobytes("VmRSS"))
                let answer: Data
                let response: URLResponse
                if chunked {
                    var streamed = request
                    streamed.httpBodyStream = InputStream(url: URL(fileURLWithPath: bodyPath))
                    (answer, response) = try await session.data(for: streamed)
                } else {
                    (answer, response) = try await session.upload(for: request, fromFile: URL(fileURLWithPath: bodyPath))
                }
                let peak = try #require(statusKilobytes("VmHWM"))
                let growth = peak - before
                measured.append("\(chunked ? "chunked" : "Content-Length"): VmRSS before \(before) kB, VmHWM after \(peak) kB")
                #expect(growth < 100_000, "peak RSS grew by \(growth) kB during the upload (chunked: \(chunked))")

                #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: answer, as: UTF8.self))")
                #expect(dataObject(answer)["size"] as? Int == size)
                let logged = try #require(fake.requests("/3/upload").last)
                #expect(logged.bodyFile != nil && logged.body.isEmpty && logged.bodyLength > size)
                #expect((logged.header("Transfer-Encoding") == "chunked") == chunked)
            }
            Attachment.record(measured.joined(separator: "\n"), named: "rss.txt")
            let uploads = fake.uploads
            #expect(uploads.count == 2)
            #expect(uploads.allSatisfy { $0.size == size && $0.sha256 == expectedHash && $0.isVideo && $0.name == "big" })
            #expect(fake.uploadCount(sha256: expectedHash) == 2)
            #expect(!filesBelow(directory).contains { $0.hasPrefix("loopback-body-") }, "the spool files are gone")

            // The bytes read back from the CDN (their tail, by Range).
            var tail = URLRequest(url: testURL("\(fake.apiBase)/media/\(uploads[0].id).mp4"))
            tail.setValue("bytes=-65536", forHTTPHeaderField: "Range")
            let (bytes, tailResponse) = try await fetch(session, tail)
            #expect(tailResponse.statusCode == 206)
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: contentPath))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(size - 65_536))
            #expect(bytes == handle.readData(ofLength: 65_536))
        }

        /// `content`: `size` bytes of video (1 MiB of seeded noise, each MiB stamped with its number);
        /// `body`: a multipart body of `name`, `type` and that file as `video`.
        static func writeBigBody(size: Int, boundary: String, content: String, body: String) throws {
            _ = FileManager.default.createFile(atPath: content, contents: nil)
            _ = FileManager.default.createFile(atPath: body, contents: nil)
            let media = try FileHandle(forWritingTo: URL(fileURLWithPath: content))
            let form = try FileHandle(forWritingTo: URL(fileURLWithPath: body))
            defer {
                try? media.close()
                try? form.close()
            }
            form.write(Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbig\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nfile\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"video\"; filename=\"big.mp4\"\r\n"
                + "Content-Type: video/mp4\r\n\r\n").utf8))
            var piece = FakeMedia.bytes(ext: "mp4", size: 1 << 20, seed: "big")
            var written = 0
            var number: UInt64 = 0
            while written < size {
                if number > 0 {
                    withUnsafeBytes(of: number.bigEndian) { piece.replaceSubrange(16..<24, with: $0) }
                }
                let slice = piece.prefix(size - written)
                media.write(slice)
                form.write(slice)
                written += slice.count
                number += 1
            }
            form.write(Data("\r\n--\(boundary)--\r\n".utf8))
        }
    }
}
