/// The cost parameters of an Argon2id PHC string: `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
struct PHCCost: Hashable, Sendable {
    var memoryKiB: Int
    var passes: Int

    /// Nil unless `hash` is an Argon2id PHC string with readable `m` and `t`.
    init?(_ hash: String) {
        let fields = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id" else { return nil }
        var memory: Int?
        var passes: Int?
        for parameter in fields[3].split(separator: ",") {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1]) else { return nil }
            switch pair[0] {
            case "m": memory = value
            case "t": passes = value
            default: continue
            }
        }
        guard let memory, let passes else { return nil }
        self.memoryKiB = memory
        self.passes = passes
    }
}
