/// An enum type: its values by name and by number, and the short names the presentation options may use.
package final class EnumSchema: Sendable {
    package struct Value: Sendable {
        package let name: String
        package let number: Int32
        /// The name without the enum's common prefix, lower-cased (`views` for `METRIC_VIEWS`).
        package let shortName: String
        let quotedName: [UInt8]
        let quotedShortName: [UInt8]
    }

    package let fullName: String
    package let values: [Value]
    private let byName: NameTable
    private let byShortName: NameTable
    /// Value indices sorted by number (first declared wins for aliases), for output.
    private let byNumber: [(number: Int32, index: Int)]

    init(fullName: String, values: [(name: String, number: Int32)]) {
        self.fullName = fullName
        let prefix = Self.commonPrefix(values.map(\.name), enumName: String(fullName.split(separator: ".").last ?? ""))
        self.values = values.map { value in
            let short = String(value.name.dropFirst(prefix.count)).lowercased()
            return Value(
                name: value.name, number: value.number, shortName: short,
                quotedName: Array("\"\(value.name)\"".utf8), quotedShortName: Array("\"\(short)\"".utf8))
        }
        byName = NameTable(values.enumerated().map { (Array($0.element.name.utf8), $0.offset) })
        byShortName = NameTable(self.values.enumerated().map { (Array($0.element.shortName.utf8), $0.offset) })
        var numbers: [(number: Int32, index: Int)] = []
        for (index, value) in values.enumerated() where !numbers.contains(where: { $0.number == value.number }) {
            numbers.append((value.number, index))
        }
        byNumber = numbers.sorted { $0.number < $1.number }
    }

    /// The value whose proto name is exactly `name`.
    func value(named name: UnsafeRawBufferPointer) -> Int32? {
        byName.lookup(name).map { values[$0].number }
    }

    /// The value whose short name equals `name` ignoring ASCII case.
    func value(shortNamed name: UnsafeRawBufferPointer) -> Int32? {
        guard name.count <= 128 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count) { lowered in
            for (offset, byte) in name.enumerated() {
                lowered[offset] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            }
            return byShortName.lookup(UnsafeRawBufferPointer(lowered)).map { values[$0].number }
        }
    }

    /// The value declared for `number`, if any.
    func value(for number: Int32) -> Value? {
        var low = 0
        var high = byNumber.count
        while low < high {
            let middle = (low + high) / 2
            if byNumber[middle].number < number { low = middle + 1 } else { high = middle }
        }
        guard low < byNumber.count, byNumber[low].number == number else { return nil }
        return values[byNumber[low].index]
    }

    /// The prefix every value name shares, cut after an underscore (`METRIC_` for `METRIC_VIEWS`, ...); for a
    /// single value, the enum's name in upper snake case plus `_` when the value starts with it.
    private static func commonPrefix(_ names: [String], enumName: String) -> String {
        guard let first = names.first else { return "" }
        if names.count == 1 {
            let snake = upperSnake(enumName) + "_"
            return first.hasPrefix(snake) && first.count > snake.count ? snake : ""
        }
        var prefix = Substring(first)
        for name in names.dropFirst() {
            while !name.hasPrefix(prefix) { prefix = prefix.dropLast() }
        }
        guard let underscore = prefix.lastIndex(of: "_") else { return "" }
        let candidate = String(prefix[...underscore])
        // Every value must keep a non-empty short name.
        return names.allSatisfy({ $0.count > candidate.count }) ? candidate : ""
    }

    private static func upperSnake(_ name: String) -> String {
        var result = ""
        for (offset, character) in name.enumerated() {
            if character.isUppercase, offset > 0 { result.append("_") }
            result.append(contentsOf: character.uppercased())
        }
        return result
    }
}
