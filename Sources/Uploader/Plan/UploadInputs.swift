import DurableFiles
import Foundation

/// What `upload` arguments name, as job items: files as given, a folder's files in name order
/// (hidden files and `.txt` sidecars skipped), and http(s) URLs for Imgur to fetch.
public enum UploadInputs {
    public struct Expanded: Sendable, Equatable {
        public var sources: [UploadItem.Source] = []
        /// Arguments that name nothing usable, with why.
        public var problems: [String] = []
    }

    /// - Parameter base: the directory relative paths are taken from (where the command was given).
    public static func expand(_ arguments: [String], base: String) -> Expanded {
        var expanded = Expanded()
        for argument in arguments {
            let lowered = argument.lowercased()
            if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
                if let url = URL(string: argument), url.host?.isEmpty == false {
                    expanded.sources.append(.url(argument))
                } else {
                    expanded.problems.append("not a valid URL: \(argument)")
                }
                continue
            }
            let path = argument.hasPrefix("/") ? argument : "\(base)/\(argument)"
            if FileSystem.isDirectory(path) {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
                    !$0.hasPrefix(".") && !$0.lowercased().hasSuffix(".txt") && !FileSystem.isDirectory("\(path)/\($0)")
                }
                if names.isEmpty { expanded.problems.append("\(argument): the folder has no files") }
                for name in names.sorted(by: Self.nameOrder) { expanded.sources.append(.file(path: "\(path)/\(name)")) }
            } else if FileSystem.exists(path) {
                expanded.sources.append(.file(path: path))
            } else {
                expanded.problems.append("no such file: \(argument)")
            }
        }
        return expanded
    }

    /// Names as people number them: `2.jpg` before `10.jpg` (then byte order).
    static func nameOrder(_ lhs: String, _ rhs: String) -> Bool {
        let order = lhs.compare(rhs, options: [.numeric])
        return order == .orderedSame ? lhs < rhs : order == .orderedAscending
    }

    /// `<file>.txt` beside a file (`photo.jpg.txt`, else `photo.txt`): its description, trimmed;
    /// nil when there is none (or it is over 64 KiB).
    public static func sidecarDescription(for source: UploadItem.Source) -> String? {
        guard case .file(let path) = source else { return nil }
        let stem = (path as NSString).deletingPathExtension
        for candidate in ["\(path).txt", "\(stem).txt"] where FileSystem.exists(candidate) {
            guard (FileSystem.fileSize(candidate) ?? .max) <= 65_536, let data = try? FileSystem.read(candidate, limit: 65_536),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !text.isEmpty
            else { continue }
            return text
        }
        return nil
    }
}
