import Foundation
import SealboxCrypto
import Testing

@Suite struct FernetTests {
    static func vectors(_ name: String) throws -> [[String: Any]] {
        try #require(try TestData.json("Tests/Vectors/fernet/\(name).json") as? [[String: Any]])
    }

    static func epoch(_ iso: String) throws -> UInt64 {
        let formatter = ISO8601DateFormatter()
        return UInt64(try #require(formatter.date(from: iso)).timeIntervalSince1970)
    }

    @Test func generateVectors() throws {
        for vector in try Self.vectors("generate") {
            let key = try FernetKey(base64URL: Array((vector["secret"] as! String).utf8))
            let token = try Fernet.encrypt(
                Array((vector["src"] as! String).utf8), key: key, now: try Self.epoch(vector["now"] as! String),
                iv: (vector["iv"] as! [Int]).map { UInt8($0) })
            #expect(token == vector["token"] as! String)
        }
    }

    @Test func verifyVectors() throws {
        for vector in try Self.vectors("verify") {
            let key = try FernetKey(base64URL: Array((vector["secret"] as! String).utf8))
            let plaintext = try Fernet.decrypt(
                Array((vector["token"] as! String).utf8), key: key, ttl: UInt64(vector["ttl_sec"] as! Int),
                now: try Self.epoch(vector["now"] as! String))
            #expect(plaintext.constantTimeEquals(Array((vector["src"] as! String).utf8)))
        }
    }

    @Test func invalidVectors() throws {
        let vectors = try Self.vectors("invalid")
        #expect(vectors.count == 8)
        for vector in vectors {
            let key = try FernetKey(base64URL: Array((vector["secret"] as! String).utf8))
            #expect(throws: CryptoError.self, "\(vector["desc"]!)") {
                try Fernet.decrypt(
                    Array((vector["token"] as! String).utf8), key: key, ttl: UInt64(vector["ttl_sec"] as! Int),
                    now: try Self.epoch(vector["now"] as! String))
            }
        }
    }

    @Test func roundTripsWithAGeneratedKey() throws {
        let key = FernetKey.generate()
        let again = try FernetKey(base64URL: key.base64URL)
        let token = try Fernet.encrypt(Array("x".utf8), key: key, now: 1000)
        #expect(
            try Fernet.decrypt(Array(token.utf8), key: again, ttl: 10, now: 1005).constantTimeEquals(Array("x".utf8)))
        #expect(throws: CryptoError.expired) { try Fernet.decrypt(Array(token.utf8), key: key, ttl: 10, now: 1011) }
        #expect(throws: CryptoError.authenticationFailed) {
            try Fernet.decrypt(Array(token.utf8), key: FernetKey.generate(), now: 1000)
        }
    }
}
