import Foundation

/// A small tmpfs, to fill up for real (root only; CI machines may not allow it).
public struct TinyFilesystem {
    public let path: String

    public static let available: Bool = {
        guard getuid() == 0, let probe = try? TinyFilesystem(bytes: 65_536) else { return false }
        probe.unmount()
        return true
    }()

    public init(bytes: Int) throws {
        path = try makeTemporaryDirectory()
        guard Self.mount(path, "size=\(bytes)") == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    public func grow(to bytes: Int) throws {
        guard Self.mount(path, "remount,size=\(bytes)") == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }

    /// Makes the filesystem read-only (as a snapshot or a backup mount is).
    public func remountReadOnly() throws {
        guard Self.mount(path, "remount,ro") == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }

    public func unmount() {
        _ = Self.run(["/bin/umount", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func mount(_ path: String, _ options: String) -> Int32 {
        run(["/bin/mount", "-t", "tmpfs", "-o", options, "tmpfs", path])
    }

    private static func run(_ command: [String]) -> Int32 {
        guard let child = try? ChildProcess(command[0], Array(command.dropFirst()), environment: ["PATH": "/usr/bin:/bin"], directory: "/")
        else { return -1 }
        return child.waitSynchronously()
    }
}
