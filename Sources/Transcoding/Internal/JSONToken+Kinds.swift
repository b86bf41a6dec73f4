import JSON

/// Token kind tests as pattern matches: a direct comparison of the case, where `==` on the tokenizer's enum (from
/// another module) is a call through its `Equatable` witness, measured at a few percent of JSON -> wire.
extension JSONToken {
    @inline(__always) var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    @inline(__always) var isString: Bool {
        if case .string = kind { return true }
        return false
    }

    @inline(__always) var isObjectStart: Bool {
        if case .objectStart = kind { return true }
        return false
    }

    @inline(__always) var isObjectEnd: Bool {
        if case .objectEnd = kind { return true }
        return false
    }

    @inline(__always) var isArrayStart: Bool {
        if case .arrayStart = kind { return true }
        return false
    }

    @inline(__always) var isArrayEnd: Bool {
        if case .arrayEnd = kind { return true }
        return false
    }
}

extension JSONToken {
    /// `hasEscapes`, read from the stored flag here: the tokenizer's accessor is a call from this module.
    @inline(__always) var isEscaped: Bool { flag }
}

extension JSONNumber.Integer {
    /// `int64`, declared here so that it inlines (the tokenizer module's accessor is a call from this module).
    @inline(__always) var asInt64: Int64? {
        guard case .value(let negative, let magnitude) = self else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// `uint64`, declared here for the same reason (`-0` is zero).
    @inline(__always) var asUInt64: UInt64? {
        guard case .value(let negative, let magnitude) = self else { return nil }
        return negative && magnitude != 0 ? nil : magnitude
    }
}
