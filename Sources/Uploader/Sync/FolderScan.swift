import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The files of a synced folder, found without following a symbolic link out of it (a link is
/// reported, never followed), in natural name order. Hidden names (`.…`) are left out.
public struct FolderScan: Sendable {
    public struct Entry: Sendable, Equatable {
        /// Relative to the folder, `/`-separated.
        public let path: String
        public let size: Int64
        /// Nanoseconds since 1970.
        public let mtime: Int64
    }

    public var files: [Entry] = []
    /// Symbolic links, relative paths (not followed).
    public var links: [String] = []
    /// Directories and entries that could not be read, with why. A scan with any is incomplete:
    /// what it did not see must not be taken for deleted.
    public var unreadable: [String] = []

    public var isComplete: Bool { unreadable.isEmpty }

    /// Scans `folder`; nil when it does not exist or is not a directory.
    public static func scan(_ folder: String) -> FolderScan? {
        var info = stat()
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        var scan = FolderScan()
        scan.walk(folder, relative: "")
        scan.files.sort { NaturalOrder.less($0.path, $1.path) }
        scan.links.sort()
        return scan
    }

    private mutating func walk(_ directory: String, relative: String) {
        guard let handle = opendir(directory) else {
            unreadable.append("\(relative.isEmpty ? "." : relative): \(String(cString: strerror(errno)))")
            return
        }
        defer { closedir(handle) }
        var names: [String] = []
        errno = 0
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
            errno = 0
        }
        if errno != 0 { unreadable.append("\(relative.isEmpty ? "." : relative): \(String(cString: strerror(errno)))") }
        for name in names {
            let path = "\(directory)/\(name)"
            let child = relative.isEmpty ? name : "\(relative)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0 else {
                // A name that is not UTF-8 ends here too (it cannot be named back).
                unreadable.append("\(child): \(String(cString: strerror(errno)))")
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: walk(path, relative: child)
            case S_IFREG:
                files.append(
                    Entry(path: child, size: Int64(info.st_size), mtime: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)))
            case S_IFLNK: links.append(child)
            default: continue
            }
        }
    }
}

/// Names as people sort them: `2.jpg` before `10.jpg` (runs of digits compare as numbers), then
/// case-insensitively, then byte for byte (so the order is total and the same everywhere).
public enum NaturalOrder {
    public static func less(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.lowercased().unicodeScalars)
        let b = Array(rhs.lowercased().unicodeScalars)
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            if isDigit(a[i]), isDigit(b[j]) {
                let startA = i
                let startB = j
                while i < a.count, isDigit(a[i]) { i += 1 }
                while j < b.count, isDigit(b[j]) { j += 1 }
                let digitsA = String(String.UnicodeScalarView(a[startA..<i])).drop { $0 == "0" }
                let digitsB = String(String.UnicodeScalarView(b[startB..<j])).drop { $0 == "0" }
                if digitsA.count != digitsB.count { return digitsA.count < digitsB.count }
                if digitsA != digitsB { return digitsA < digitsB }
                continue
            }
            if a[i] != b[j] { return a[i].value < b[j].value }
            i += 1
            j += 1
        }
        if a.count - i != b.count - j { return a.count - i < b.count - j }
        return lhs < rhs
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
