import AuthService
import Foundation
import Sodium
import Testing
import Tokens

@Suite("Signing key files")
struct SigningKeyFilesTests {
    @Test("the first start creates the key with mode 0600; later starts load the same key")
    func createThenLoad() throws {
        try withTemporaryDirectory { directory in
            let files = SigningKeyFiles(directory: directory + "/data")
            let first = try files.loadOrCreate()
            #expect(first.previous.isEmpty)
            #expect(try permissions(files.currentPath) == 0o600)
            #expect(try permissions(directory + "/data") == 0o700)
            let again = try SigningKeyFiles(directory: directory + "/data").loadOrCreate()
            #expect(again.current.keyID == first.current.keyID)
            #expect(again.current.keyPair.publicKey == first.current.keyPair.publicKey)
        }
    }

    @Test("rotation makes a new current key and keeps the old one as previous, both published")
    func rotation() throws {
        try withTemporaryDirectory { directory in
            let files = SigningKeyFiles(directory: directory)
            let original = try files.loadOrCreate()
            let rotated = try files.rotate()
            #expect(rotated.current.keyID != original.current.keyID)
            #expect(rotated.previous.map(\.keyID) == [original.current.keyID])
            #expect(try permissions(files.currentPath) == 0o600)
            #expect(try permissions(files.previousPath) == 0o600)
            let twice = try files.rotate()
            #expect(twice.previous.map(\.keyID) == [rotated.current.keyID])
            let keys = try TokenKeySet(jwks: twice.jwksDocument)
            #expect(keys.keyIDs.sorted() == [twice.current.keyID, rotated.current.keyID].sorted())
        }
    }

    @Test("a key file others can read is refused")
    func refusesOpenPermissions() throws {
        try withTemporaryDirectory { directory in
            let files = SigningKeyFiles(directory: directory)
            _ = try files.loadOrCreate()
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: files.currentPath)
            #expect(throws: SigningKeyFileError.self) { try files.loadOrCreate() }
        }
    }

    @Test("a corrupt key file is refused, not replaced")
    func refusesCorruptFile() throws {
        try withTemporaryDirectory { directory in
            let files = SigningKeyFiles(directory: directory)
            _ = FileManager.default.createFile(
                atPath: files.currentPath, contents: Data("not a key\n".utf8), attributes: [.posixPermissions: 0o600])
            #expect(throws: SigningKeyFileError.self) { try files.loadOrCreate() }
            #expect(FileManager.default.contents(atPath: files.currentPath) == Data("not a key\n".utf8))
        }
    }
}

func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).intValue & 0o777
}

func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("halo-auth-test-\(UUID().uuidString.lowercased())", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}
