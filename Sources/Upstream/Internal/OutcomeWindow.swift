/// The last `size` call outcomes in a ring, with running counts.
struct OutcomeWindow: Sendable {
    private var failureBits: [Bool]
    private var slowBits: [Bool]
    private var next = 0
    private(set) var count = 0
    private(set) var failures = 0
    private(set) var slowCalls = 0

    init(size: Int) {
        self.failureBits = Array(repeating: false, count: size)
        self.slowBits = Array(repeating: false, count: size)
    }

    mutating func append(failure: Bool, slow: Bool) {
        if self.count == self.failureBits.count {
            if self.failureBits[self.next] { self.failures -= 1 }
            if self.slowBits[self.next] { self.slowCalls -= 1 }
        } else {
            self.count += 1
        }
        self.failureBits[self.next] = failure
        self.slowBits[self.next] = slow
        if failure { self.failures += 1 }
        if slow { self.slowCalls += 1 }
        self.next = (self.next + 1) % self.failureBits.count
    }

    mutating func reset() {
        self.next = 0
        self.count = 0
        self.failures = 0
        self.slowCalls = 0
        for index in self.failureBits.indices {
            self.failureBits[index] = false
            self.slowBits[index] = false
        }
    }
}
