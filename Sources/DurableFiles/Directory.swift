import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder held open. Every file in it is opened relative to it (`openat`) with `O_NOFOLLOW`, and
/// every subfolder with `O_DIRECTORY | O_NOFOLLOW`, so a symlink that someone else planted in the
/// storage directory (in place of an album folder, a partial file, the lock, a temporary file) is
/// refused instead of followed out of it (docs/design.md, "Threat model"). Temporary files get
/// unpredictable names and `O_EXCL`, and are renamed into place within the folder.
public final class Directory: Sendable {
    /// The folder's path, for messages only: nothing is ever opened by it again.
    public let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Opens the folder the user named (symlinks in that path are the user's choice and followed).
    /// - Throws: `FileError.read` when it does not exist or is not a folder.
    public static func open(_ path: String) throws(FileError) -> Directory {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .read(path, errno: errno) }
        return Directory(path: path, descriptor: descriptor)
    }

    /// `<path>/<name>`, for messages.
    public func path(_ name: String) -> String { "\(path)/\(name)" }

    /// Refuses names that could leave the folder; callers pass validated names (ids, our own
    /// file names), so this only guards against a mistake.
    private func checked(_ name: String) throws(FileError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
            throw .write(path: path(name), reason: "not a file name")
        }
        return name
    }

    // MARK: Folders

    /// The subfolder `name`, created (0755) when `create` and missing.
    /// - Throws: `FileError.unsafe` when `name` is a symlink (or not a folder), `.read`/`.write` else.
    public func subdirectory(_ name: String, create: Bool = false) throws(FileError) -> Directory {
        let name = try checked(name)
        if create {
            if mkdirat(descriptor, name, 0o755) == 0 {
                sync()
            } else if errno != EEXIST {
                throw .write(path(name), errno: errno)
            }
        }
        let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else {
            let code = errno
            if code == ELOOP || code == ENOTDIR, isSymlink(name) {
                throw .unsafe(path: path(name), reason: "is a symbolic link; refusing to follow it out of the storage directory")
            }
            throw code == ENOTDIR ? .unsafe(path: path(name), reason: "is not a folder") : .read(path(name), errno: code)
        }
        return Directory(path: path(name), descriptor: child)
    }

    /// Whether `name` is a real folder here (not a symlink to one).
    public func hasSubdirectory(_ name: String) -> Bool {
        kind(name) == S_IFDIR
    }

    /// Names in the folder, without `.` and `..`, sorted by bytes; empty when it cannot be read.
    public func names() -> [String] {
        let copy = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0 else { return [] }
        guard let stream = fdopendir(copy) else {
            close(copy)
            return []
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Flushes the folder's entries (a rename is only durable once its folder is).
    public func sync() {
        _ = fsync(descriptor)
    }

    // MARK: Looking at files

    /// The size of the regular file `name` (not following a symlink), nil when there is none.
    public func fileSize(_ name: String) -> Int64? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            return nil
        }
        return Int64(info.st_size)
    }

    /// Whether anything (a file, a folder, a symlink) has the name `name`.
    public func exists(_ name: String) -> Bool {
        var info = stat()
        return fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// Whether `name` is (still) the file `file` has open.
    public func isSameFile(_ file: OpenFile, as name: String) throws -> Bool {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0, let identity = file.identity else { return false }
        return info.st_dev == identity.0 && info.st_ino == identity.1
    }

    public func isSymlink(_ name: String) -> Bool {
        kind(name) == S_IFLNK
    }

    private func kind(_ name: String) -> mode_t? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    // MARK: Opening files

    /// Opens `name` with `flags` (plus `O_NOFOLLOW | O_CLOEXEC`), refusing a symlink.
    func openDescriptor(_ name: String, _ flags: Int32, mode: mode_t = 0o644, forWriting: Bool) throws(FileError) -> Int32 {
        let name = try checked(name)
        let fd = openat(descriptor, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP {
                throw .unsafe(path: path(name), reason: "is a symbolic link; refusing to follow it out of the storage directory")
            }
            throw forWriting ? .write(path(name), errno: code) : .read(path(name), errno: code)
        }
        // O_NOFOLLOW only guards the last component; `name` has no other. Still refuse anything but
        // a regular file (a FIFO would block, a device would be written to).
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw .unsafe(path: path(name), reason: "is not a regular file")
        }
        return fd
    }

    /// `name` for writing: created (with `mode`) or truncated, or with `exclusive` only created.
    public func create(_ name: String, exclusive: Bool = false, mode: mode_t = 0o644) throws(FileError) -> OpenFile {
        let flags = O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC)
        return OpenFile(descriptor: try openDescriptor(name, flags, mode: mode, forWriting: true), path: path(name))
    }

    /// `name` for writing at its end (a partial download) or at offsets (an append log), and for
    /// reading back; created when missing.
    public func openForAppending(_ name: String, mode: mode_t = 0o644) throws(FileError) -> OpenFile {
        let fd = try openDescriptor(name, O_RDWR | O_CREAT, mode: mode, forWriting: true)
        guard lseek(fd, 0, SEEK_END) >= 0 else {
            let code = errno
            close(fd)
            throw .write(path(name), errno: code)
        }
        return OpenFile(descriptor: fd, path: path(name))
    }

    /// A descriptor of `name` for reading (the caller closes it).
    public func openForReading(_ name: String) throws(FileError) -> Int32 {
        try openDescriptor(name, O_RDONLY, forWriting: false)
    }

    /// `name` for reading through `OpenFile.read(from:into:)` (a document read piece by piece).
    public func openFileForReading(_ name: String) throws(FileError) -> OpenFile {
        OpenFile(descriptor: try openForReading(name), path: path(name))
    }

    /// Reads a whole small file (documents, hints).
    public func read(_ name: String, limit: Int = 256 << 20) throws(FileError) -> Data {
        let fd = try openForReading(name)
        defer { close(fd) }
        return try FileSystem.readAll(fd, path: path(name), limit: limit)
    }

    // MARK: Changing names

    /// Renames `source` to `target` within this folder (atomic; durable with the next `sync`).
    public func rename(_ source: String, to target: String) throws(FileError) {
        guard renameat(descriptor, try checked(source), descriptor, try checked(target)) == 0 else {
            throw .write(path(target), errno: errno)
        }
    }

    /// Removes the file `name` (never a folder; a symlink itself, not its target). Missing is fine.
    public func remove(_ name: String) {
        guard let name = try? checked(name) else { return }
        _ = unlinkat(descriptor, name, 0)
    }

    /// Moves `name` into `folder` under `baseName`, or `baseName-2`, `-3`, ... when that is taken:
    /// a set-aside copy is never overwritten. Returns the name it got.
    public func moveAside(_ name: String, into folder: Directory, as baseName: String) throws(FileError) -> String {
        var candidate = baseName
        var number = 1
        while true {
            // link + unlink instead of rename: `linkat` fails when the target exists, so nothing
            // already set aside can be replaced. A crash in between leaves both names: nothing lost.
            if linkat(descriptor, try checked(name), folder.descriptor, try folder.checked(candidate), 0) == 0 {
                _ = unlinkat(descriptor, name, 0)
                folder.sync()
                sync()
                return candidate
            }
            let code = errno
            guard code == EEXIST else { throw .write(folder.path(candidate), errno: code) }
            number += 1
            candidate = "\(baseName)-\(number)"
        }
    }

    /// Writes `data` to a new file `baseName` (or `baseName-2`, ...) that no earlier copy has.
    public func writeAside(_ data: Data, as baseName: String, mode: mode_t = 0o644) throws(FileError) -> String {
        var candidate = baseName
        var number = 1
        while true {
            do {
                let file = try create(candidate, exclusive: true, mode: mode)
                try file.write(data)
                try file.sync()
                try file.close()
                sync()
                return candidate
            } catch {
                guard exists(candidate) else { throw error }
                number += 1
                candidate = "\(baseName)-\(number)"
            }
        }
    }

    // MARK: Atomic writes

    /// The name of a temporary file for `name`: `.<name>.tmp-<16 random hex digits>`. Unpredictable,
    /// so nobody can plant a symlink under it in advance; recognisable, so a run can remove what a
    /// crash left (`isTemporaryName`).
    public static func temporaryName(for name: String) -> String {
        ".\(name).tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }

    /// Whether `name` is one of our temporary files (a leftover when no run is writing it).
    public static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        let suffix = name[range.upperBound...]
        return suffix.count == 16 && suffix.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// A new temporary file beside `name` (`O_CREAT | O_EXCL | O_NOFOLLOW`, with `mode`).
    public func createTemporary(for name: String, mode: mode_t = 0o644) throws(FileError) -> (OpenFile, String) {
        while true {
            let temporary = Self.temporaryName(for: name)
            do {
                return (try create(temporary, exclusive: true, mode: mode), temporary)
            } catch {
                // Only a name collision is worth another random name.
                guard exists(temporary) else {
                    if case .write(_, let reason) = error { throw .write(path: path(name), reason: reason) }
                    throw error
                }
            }
        }
    }

    /// A new file with no name in this folder, for writing and reading back: created under a
    /// temporary name (`O_EXCL`, 0600) and unlinked at once, so that nothing is left behind however
    /// the process ends (a name a kill left in between is a leftover, `removeLeftovers`).
    public func createUnnamed() throws(FileError) -> OpenFile {
        while true {
            let name = Self.temporaryName(for: "spool")
            do {
                let fd = try openDescriptor(name, O_RDWR | O_CREAT | O_EXCL, mode: 0o600, forWriting: true)
                remove(name)
                return OpenFile(descriptor: fd, path: path(name))
            } catch {
                guard exists(name) else { throw error }
            }
        }
    }

    /// Writes each `(data, name)` atomically: a temporary file in this folder, flushed when
    /// `durable`, renamed over the name, in the order given (a crash leaves a prefix of them new);
    /// one flush of the folder at the end.
    public func writeAtomically(_ files: [(Data, String)], durable: Bool = true, mode: mode_t = 0o644) throws(FileError) {
        try writeAtomically(streaming: files.map { data, name in (name, { (file) throws(FileError) in try file.write(data) }) },
                            durable: durable, mode: mode)
    }

    /// `writeAtomically`, each file's bytes written by its closure as they are made (a document of
    /// any size never needs to exist whole in memory).
    public func writeAtomically(
        streaming files: [(String, (OpenFile) throws(FileError) -> Void)], durable: Bool = true, mode: mode_t = 0o644
    ) throws(FileError) {
        var staged: [(temporary: String, name: String)] = []
        do throws(FileError) {
            for (name, write) in files {
                let (file, temporary) = try createTemporary(for: name, mode: mode)
                staged.append((temporary, name))
                do throws(FileError) {
                    try write(file)
                    if durable { try file.sync() }
                    try file.close()
                } catch {
                    try? file.close()
                    throw error.renamed(to: path(name))
                }
            }
            for (temporary, name) in staged { try rename(temporary, to: name) }
        } catch {
            for (temporary, _) in staged { remove(temporary) }
            throw error
        }
        if durable { sync() }
    }

    public func writeAtomically(_ data: Data, to name: String, durable: Bool = true, mode: mode_t = 0o644) throws(FileError) {
        try writeAtomically([(data, name)], durable: durable, mode: mode)
    }

    /// Removes the temporary files a killed run left here (`isTemporaryName`); call it only under
    /// the run lock, when no other run can be writing them.
    /// - Returns: the names removed.
    @discardableResult
    public func removeLeftovers() -> [String] {
        let leftovers = names().filter { Self.isTemporaryName($0) && fileSize($0) != nil }
        for name in leftovers { remove(name) }
        return leftovers
    }
}

extension FileError {
    /// The same error about another path (a temporary file's failure told as its target's).
    func renamed(to path: String) -> FileError {
        switch self {
        case .write(_, let reason): .write(path: path, reason: reason)
        case .read(_, let reason): .read(path: path, reason: reason)
        default: self
        }
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
