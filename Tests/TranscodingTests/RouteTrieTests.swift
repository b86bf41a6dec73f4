import Protos
import SwiftProtobuf
import Testing
import Transcoding

/// The route trie against the precedence rules, on tables with hundreds of overlapping routes.
@Suite("Route trie")
struct RouteTrieTests {
    /// A table of Halo's routes plus `patterns` as GET routes of extra VideoService methods, in this order.
    private static func table(_ patterns: [String], method: String = "GET") throws -> RouteTable {
        var set = try HaloDescriptors.load()
        let fileIndex = try #require(set.file.firstIndex { $0.package == "halo.video.v1" })
        let template = try #require(set.file[fileIndex].service[0].method.first { $0.name == "GetVideo" })
        for (number, pattern) in patterns.enumerated() {
            var extra = template
            extra.name = "Extra\(number)"
            var rule = Google_Api_HttpRule()
            switch method {
            case "GET": rule.get = pattern
            default: rule.post = pattern
            }
            extra.options.Google_Api_http = rule
            set.file[fileIndex].service[0].method.append(extra)
        }
        return try RouteTable(registry: DescriptorRegistry(descriptorSet: set))
    }

    private func matched(_ table: RouteTable, _ path: String) throws -> String? {
        guard case .matched(let route, _) = try table.lookup(method: "GET", path: path[...]) else { return nil }
        return route.method
    }

    @Test("verbs first, then literal beats variable, then fewer wildcards, through hundreds of routes")
    func precedence() throws {
        // Declared from the weakest to the strongest, so declaration order alone would pick wrongly.
        let patterns = [
            "/p/**", "/p/*/**", "/p/{id}/*", "/p/*/c", "/p/b/*", "/p/b/c", "/p/b/c:go", "/p/{id}:go", "/p/x/**:go",
        ]
        let fillers = (0..<300).map { "/f\($0 % 30)/n\($0)/{id}" }
        let table = try Self.table(patterns + fillers)
        #expect(try matched(table, "/p/b/c") == "Extra5")
        #expect(try matched(table, "/p/b/d") == "Extra4")
        #expect(try matched(table, "/p/a/c") == "Extra3")
        #expect(try matched(table, "/p/a/d") == "Extra2")
        #expect(try matched(table, "/p/a/d/e") == "Extra1")
        #expect(try matched(table, "/p") == "Extra0")
        #expect(try matched(table, "/p/b/c:go") == "Extra6")
        #expect(try matched(table, "/p/b:go") == "Extra7")
        #expect(try matched(table, "/p/x/y/z:go") == "Extra8")
        #expect(try matched(table, "/p/b/c:stop") == "Extra4")
        #expect(try matched(table, "/f7/n187/v") == "Extra196")
        #expect(try matched(table, "/f7/n188/v") == nil)
    }

    @Test("random tables: the trie finds what a scan in precedence order finds", arguments: [1, 2, 3, 4] as [UInt64])
    func randomTables(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        let literals = ["a", "b", "c"]
        var shapes = Set<String>()
        var patterns: [String] = []
        while patterns.count < 400 {
            var segments: [String] = []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                switch Int.random(in: 0..<5, using: &random) {
                case 0: segments.append("*")
                case 1 where !segments.contains("{id}"): segments.append("{id}")
                default: segments.append(literals.randomElement(using: &random)!)
                }
            }
            if Int.random(in: 0..<4, using: &random) == 0 { segments.append("**") }
            let verb = ["", "", ":x", ":y"].randomElement(using: &random)!
            let pattern = "/r/" + segments.joined(separator: "/") + verb
            // One of two patterns of the same shape would be an ambiguity (a load-time error).
            if shapes.insert(pattern.replacing("{id}", with: "*")).inserted { patterns.append(pattern) }
        }
        let table = try Self.table(patterns)
        let candidates = table.routes.filter { $0.httpMethod == "GET" }
        var checked = 0
        for _ in 0..<2000 {
            var path = ["r"]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                path.append((literals + ["d"]).randomElement(using: &random)!)
            }
            path[path.count - 1] += ["", "", ":x", ":y", ":z"].randomElement(using: &random)!
            let expected = candidates.filter { Self.matches($0.template, path) }.min(by: Self.goesFirst)
            let found = try matched(table, "/" + path.joined(separator: "/"))
            #expect(found == expected?.method, "\(path.joined(separator: "/"))")
            if expected != nil { checked += 1 }
        }
        #expect(checked > 500)
    }

    /// Whether `template` matches `path`, by the http.proto rules, independently of the table's code.
    private static func matches(_ template: PathTemplate, _ path: [String]) -> Bool {
        var path = path
        if let verb = template.verb {
            guard path[path.count - 1].hasSuffix(":" + verb) else { return false }
            path[path.count - 1].removeLast(verb.count + 1)
        }
        var index = 0
        for segment in template.segments {
            switch segment {
            case .literal(let text):
                guard index < path.count, path[index] == text else { return false }
                index += 1
            case .single:
                guard index < path.count else { return false }
                index += 1
            case .multiple:
                index = path.count
            }
        }
        return index == path.count
    }

    /// Precedence as documented: a route with a verb first; then, at the first segment where the two differ in
    /// kind, literal before `*` before `**`; then fewer wildcards; then fewer segments; then declaration order.
    private static func goesFirst(_ left: Route, _ right: Route) -> Bool {
        let a = left.template
        let b = right.template
        if (a.verb != nil) != (b.verb != nil) { return a.verb != nil }
        func rank(_ segment: PathTemplate.Segment) -> Int {
            switch segment {
            case .literal: 0
            case .single: 1
            case .multiple: 2
            }
        }
        if let (x, y) = zip(a.segments, b.segments).first(where: { rank($0) != rank($1) }) { return rank(x) < rank(y) }
        func wildcards(_ template: PathTemplate) -> Int { template.segments.count { rank($0) > 0 } }
        if wildcards(a) != wildcards(b) { return wildcards(a) < wildcards(b) }
        if a.segments.count != b.segments.count { return a.segments.count < b.segments.count }
        return left.declarationOrder < right.declarationOrder
    }
}
