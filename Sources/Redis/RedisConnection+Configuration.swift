extension RedisConnection {
    /// Where and how to connect: address, credentials, database and time limits.
    package struct Configuration: Sendable, Hashable {
        /// Host name or IP address.
        package var host: String
        /// TCP port.
        package var port: Int
        /// ACL user for `AUTH user password`; nil sends `AUTH password` when a password is set.
        package var username: String?
        /// Password for AUTH; nil skips AUTH.
        package var password: String?
        /// Database for SELECT; nil keeps 0.
        package var database: Int?
        /// Name for CLIENT SETNAME, shown in CLIENT LIST.
        package var clientName: String?
        /// Limit for the TCP connect.
        package var connectTimeout: Duration
        /// Limit for each command's reply; on expiry the connection closes. nil waits forever.
        package var commandTimeout: Duration?

        /// A configuration with safe defaults: 1 s to connect, 2 s per command.
        package init(
            host: String = "127.0.0.1",
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            database: Int? = nil,
            clientName: String? = nil,
            connectTimeout: Duration = .seconds(1),
            commandTimeout: Duration? = .seconds(2)
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.clientName = clientName
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
        }

        /// The defaults: 127.0.0.1:6379, database 0, no password.
        package static var defaults: Configuration { Configuration() }

        /// Parses `redis://[[user]:password@]host[:port][/database]`.
        package init(url: String) throws(RedisError) {
            guard url.hasPrefix("redis://") else { throw Self.invalid(url, "scheme must be redis://") }
            var rest = Substring(url.dropFirst("redis://".count))
            self.init()
            if let at = rest.lastIndex(of: "@") {
                let credentials = rest[..<at]
                rest = rest[rest.index(after: at)...]
                if let colon = credentials.firstIndex(of: ":") {
                    let user = credentials[..<colon]
                    username = user.isEmpty ? nil : String(user)
                    password = String(credentials[credentials.index(after: colon)...])
                } else {
                    password = String(credentials)
                }
            }
            if let slash = rest.firstIndex(of: "/") {
                let path = rest[rest.index(after: slash)...]
                rest = rest[..<slash]
                if !path.isEmpty {
                    guard let number = Int(path), number >= 0 else { throw Self.invalid(url, "bad database") }
                    database = number
                }
            }
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw Self.invalid(url, "bad IPv6 host") }
                host = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
                if rest.hasPrefix(":") { try setPort(rest.dropFirst(), url: url) }
            } else if let colon = rest.lastIndex(of: ":") {
                host = String(rest[..<colon])
                try setPort(rest[rest.index(after: colon)...], url: url)
            } else {
                host = String(rest)
            }
            if host.isEmpty { throw Self.invalid(url, "missing host") }
        }

        private mutating func setPort(_ text: Substring, url: String) throws(RedisError) {
            guard let number = Int(text), (1...65535).contains(number) else { throw Self.invalid(url, "bad port") }
            port = number
        }

        private static func invalid(_ url: String, _ reason: String) -> RedisError {
            RedisError(code: .invalidArgument, message: "invalid Redis URL: \(reason)")
        }
    }
}

extension RedisConnection.Configuration: CustomStringConvertible {
    /// `redis://host:port/db`, with any password left out.
    package var description: String {
        "redis://\(password == nil ? "" : "***@")\(host):\(port)/\(database ?? 0)"
    }
}
