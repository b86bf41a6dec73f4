import Foundation
import Sodium
package import Tokens

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The token signing keys as files in the data directory, readable by the owner only (mode 0600):
/// `auth-signing-key` signs, `auth-signing-key.previous` is still published so tokens it signed keep
/// verifying after a rotation. Each holds an Ed25519 seed in base64url; the key id is the JWK thumbprint.
package struct SigningKeyFiles: Sendable {
    package static let currentName = "auth-signing-key"
    package static let previousName = "auth-signing-key.previous"

    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    package var currentPath: String { self.directory + "/" + Self.currentName }
    package var previousPath: String { self.directory + "/" + Self.previousName }

    /// The keys on disk; on first start the current key is made (and the directory, mode 0700).
    package func loadOrCreate() throws(SigningKeyFileError) -> SigningKeySet {
        try self.makeDirectory()
        let current: SigningKey
        if let existing = try self.read(self.currentPath) {
            current = existing
        } else {
            current = try self.createCurrent()
        }
        let previous = try self.read(self.previousPath)
        return SigningKeySet(current: current, previous: previous.map { [$0] } ?? [])
    }

    /// Makes a new current key and keeps the old one as previous (the key before that is dropped).
    /// Run it on one instance; the others pick the keys up when they restart.
    @discardableResult
    package func rotate() throws(SigningKeyFileError) -> SigningKeySet {
        try self.makeDirectory()
        let fresh = SigningKey(keyPair: Ed25519.KeyPair())
        let temporary = try self.writeTemporary(fresh)
        if FileManager.default.fileExists(atPath: self.currentPath) {
            guard rename(self.currentPath, self.previousPath) == 0 else {
                unlink(temporary)
                throw SigningKeyFileError("could not retire the current signing key", path: self.currentPath)
            }
        }
        guard rename(temporary, self.currentPath) == 0 else {
            unlink(temporary)
            throw SigningKeyFileError("could not install the new signing key", path: self.currentPath)
        }
        return try self.loadOrCreate()
    }

    // MARK: Internals

    private func makeDirectory() throws(SigningKeyFileError) {
        do {
            try FileManager.default.createDirectory(
                atPath: self.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SigningKeyFileError("could not create the data directory", path: self.directory)
        }
    }

    /// Writes a new current key unless another process got there first, in which case that key wins.
    private func createCurrent() throws(SigningKeyFileError) -> SigningKey {
        let key = SigningKey(keyPair: Ed25519.KeyPair())
        let temporary = try self.writeTemporary(key)
        defer { unlink(temporary) }
        // link(2) fails if the name exists, so the file appears complete or not at all.
        if link(temporary, self.currentPath) == 0 { return key }
        guard errno == EEXIST, let existing = try self.read(self.currentPath) else {
            throw SigningKeyFileError("could not create the signing key", path: self.currentPath)
        }
        return existing
    }

    private func writeTemporary(_ key: SigningKey) throws(SigningKeyFileError) -> String {
        let path = self.directory + "/.\(Self.currentName).\(Hex.encode(SecureRandom.bytes(count: 8))).tmp"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SigningKeyFileError("could not create a key file", path: path) }
        defer { close(descriptor) }
        var seed = key.keyPair.seed.exportBytes()
        var contents = Array((Base64URL.encode(seed) + "\n").utf8)
        defer {
            for index in seed.indices { seed[index] = 0 }
            for index in contents.indices { contents[index] = 0 }
        }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard fchmod(descriptor, 0o600) == 0, written == contents.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw SigningKeyFileError("could not write a key file", path: path)
        }
        return path
    }

    /// The key in `path`; nil if there is no such file. Refuses files others can read or write.
    private func read(_ path: String) throws(SigningKeyFileError) -> SigningKey? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw SigningKeyFileError("could not read the signing key", path: path)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw SigningKeyFileError("the signing key is not a regular file", path: path)
        }
        guard status.st_mode & 0o077 == 0 else {
            throw SigningKeyFileError("the signing key must be readable by its owner only (chmod 600)", path: path)
        }
        guard var data = FileManager.default.contents(atPath: path), data.count <= 256 else {
            throw SigningKeyFileError("could not read the signing key", path: path)
        }
        defer { data.resetBytes(in: 0..<data.count) }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard var seed = Base64URL.decode(text), let keyPair = Ed25519.KeyPair(seed: seed) else {
            throw SigningKeyFileError("the signing key file is not a base64url Ed25519 seed", path: path)
        }
        for index in seed.indices { seed[index] = 0 }
        return SigningKey(keyPair: keyPair)
    }
}
