#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The path templates of one HTTP method as a segment trie, so a lookup walks the request's segments instead of
/// trying every route.
///
/// A node has its literal children (by segment text), one child for a single-segment wildcard (`*`, `{id}`), and
/// the routes that end there, either exactly or with a trailing `**`. Routes are numbered by their rank in the
/// table's precedence order (0 goes first); a lookup returns the lowest rank among all routes that match, so the
/// trie answers exactly what a scan in precedence order would (literal beats variable, then fewer wildcards, then
/// declaration order, with verbs first). Literal children are searched before the wildcard, and a subtree whose
/// best rank cannot improve on a match already found is skipped, so the usual lookup visits one path of nodes.
struct RouteTrie: Sendable {
    /// A route ending at a node: its rank and custom verb.
    private struct End: Sendable {
        let rank: Int
        let verb: String?
    }

    private struct Node: Sendable {
        /// Literal children, by segment text: a list compared by length, then bytes (nodes have a
        /// few; hashing a segment for a dictionary cost more than comparing them all).
        var literals: [(text: String, child: Int)] = []
        var single: Int?
        /// Routes whose template ends here.
        var ends: [End] = []
        /// Routes whose template ends here with `**` (zero or more further segments).
        var rest: [End] = []
        /// The lowest rank of any route in this subtree.
        var bestRank = Int.max

        /// The literal child named `segment`.
        func literal(_ segment: Substring) -> Int? {
            let length = segment.utf8.count
            for index in self.literals.indices where self.literals[index].text.utf8.count == length {
                if Self.sameBytes(self.literals[index].text, segment) { return self.literals[index].child }
            }
            return nil
        }

        private static func sameBytes(_ text: String, _ segment: Substring) -> Bool {
            let compared = text.utf8.withContiguousStorageIfAvailable { stored in
                segment.utf8.withContiguousStorageIfAvailable { probe in
                    stored.count == probe.count
                        && (stored.isEmpty || memcmp(stored.baseAddress!, probe.baseAddress!, stored.count) == 0)
                }
            }
            return (compared ?? nil) ?? text.utf8.elementsEqual(segment.utf8)
        }
    }

    private var nodes: [Node] = [Node()]

    /// A trie of `templates`, ranked by their position (the first has the highest precedence).
    init(_ templates: [PathTemplate]) {
        for (rank, template) in templates.enumerated() { insert(template, rank: rank) }
    }

    private mutating func insert(_ template: PathTemplate, rank: Int) {
        var node = 0
        nodes[node].bestRank = min(nodes[node].bestRank, rank)
        for segment in template.segments {
            switch segment {
            case .literal(let text):
                if let child = nodes[node].literal(text[...]) {
                    node = child
                } else {
                    nodes.append(Node())
                    nodes[node].literals.append((text, nodes.count - 1))
                    node = nodes.count - 1
                }
            case .single:
                if let child = nodes[node].single {
                    node = child
                } else {
                    nodes.append(Node())
                    nodes[node].single = nodes.count - 1
                    node = nodes.count - 1
                }
            case .multiple:
                // `**` is always the last segment (the parser refuses it elsewhere).
                nodes[node].rest.append(End(rank: rank, verb: template.verb))
                return
            }
            nodes[node].bestRank = min(nodes[node].bestRank, rank)
        }
        nodes[node].ends.append(End(rank: rank, verb: template.verb))
    }

    /// The rank of the first route, in precedence order, that matches the normalised path `segments`.
    func firstMatch(_ segments: [Substring]) -> Int? {
        var best = Int.max
        if let last = segments.last, let colon = last.utf8.lastIndex(of: UInt8(ascii: ":")) {
            // A custom verb is whatever follows the last `:` (a verb cannot contain one); routes with a verb
            // match the path with it split off.
            let verb = last[last.utf8.index(after: colon)...]
            let path = Path(segments: segments, last: last[..<colon])
            search(0, 0, path, verb: verb, &best)
        }
        search(0, 0, Path(segments: segments, last: segments.last ?? ""), verb: nil, &best)
        return best == .max ? nil : best
    }

    /// The request's segments, with the last one possibly shortened by its verb.
    private struct Path {
        let segments: [Substring]
        let last: Substring

        var count: Int { segments.count }

        subscript(_ index: Int) -> Substring { index == segments.count - 1 ? last : segments[index] }
    }

    private func search(_ node: Int, _ index: Int, _ path: Path, verb: Substring?, _ best: inout Int) {
        // Fields are read in place: a copy of the node would count a reference per array in it.
        guard self.nodes[node].bestRank < best else { return }
        for end in self.nodes[node].rest where end.rank < best && Self.same(end.verb, verb) { best = end.rank }
        if index == path.count {
            for end in self.nodes[node].ends where end.rank < best && Self.same(end.verb, verb) { best = end.rank }
            return
        }
        if let child = self.nodes[node].literal(path[index]) { search(child, index + 1, path, verb: verb, &best) }
        if let child = self.nodes[node].single { search(child, index + 1, path, verb: verb, &best) }
    }

    private static func same(_ verb: String?, _ requested: Substring?) -> Bool {
        switch (verb, requested) {
        case (nil, nil): true
        case (let verb?, let requested?): verb[...] == requested
        default: false
        }
    }
}
