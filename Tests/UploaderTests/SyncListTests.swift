import Foundation
import Testing

@testable import Uploader

/// `sync.txt`'s nesting rule: no folder may hold another listed folder, whichever comes first.
@Suite struct SyncListTests {
    @Test func nestedFoldersAreRefusedInEitherOrderAndSiblingsAreNot() {
        let text = """
            /data/pics/cats
            /data/pics/dogs
            /data/pics
            /data/pics/cats/kittens
            /data/pictures
            /data/pics-old
            /
            """
        let list = SyncList.parse(text, base: "/nowhere")
        #expect(list.pairs.map(\.folder) == ["/data/pics/cats", "/data/pics/dogs", "/data/pictures", "/data/pics-old", "/"])
        #expect(list.problems == [
            "sync.txt:3: /data/pics and line 1 nest: a file would be in two albums; list one of them",
            "sync.txt:4: /data/pics/cats/kittens and line 1 nest: a file would be in two albums; list one of them",
        ])
    }

    @Test func theFoldersAboveAPathAreItsAncestorsWithoutTheRoot() {
        #expect(SyncList.ancestors(of: "/a/b/c") == ["/a", "/a/b"])
        #expect(SyncList.ancestors(of: "/a") == [])
        #expect(SyncList.ancestors(of: "/") == [])
    }
}
