import Foundation
import SealboxCrypto
import Testing

@Suite struct EnvelopeTests {
    struct Keys {
        var material: [String: [UInt32: SecureBytes]] = [:]

        init() throws {
            let file = try #require(try TestData.json("Keys/test/envelope-keys.json") as? [String: Any])
            for key in try #require(file["keys"] as? [[String: Any]]) {
                let id = try #require(key["keyId"] as? String)
                for (version, text) in try #require(key["versions"] as? [String: String]) {
                    material[id, default: [:]][UInt32(version)!] = try Base64.decodeSecure(Array(text.utf8))
                }
            }
        }

        /// Opens as a KMS would: find the key and version named in the header, then open.
        func open(_ token: [UInt8], context: [String: String]) throws -> SecureBytes {
            let header = try Envelope.header(of: token)
            // What a KMS reads to find the key, without the rest of the header.
            let reference = try Envelope.keyReference(of: token)
            guard reference == (header.keyID, header.keyVersion) else { throw VectorError.headerDisagrees }
            guard let versions = material[header.keyID.description] else { throw VectorError.unknownKey }
            guard let key = versions[header.keyVersion] else { throw VectorError.unknownKeyVersion }
            return try Envelope.open(token, key: key, context: EncryptionContext(context))
        }
    }

    enum VectorError: Error {
        case unknownKey, unknownKeyVersion, headerDisagrees
    }

    static func vectors(_ kind: String) throws -> [[String: Any]] {
        let file = try #require(try TestData.json("Keys/test/envelope-vectors.json") as? [String: Any])
        return try #require(file[kind] as? [[String: Any]])
    }

    @Test func validVectorsOpenAndResealIdentically() throws {
        let keys = try Keys()
        let vectors = try Self.vectors("valid")
        #expect(vectors.count >= 5)
        for vector in vectors {
            let token = try Base64.decode(Array((vector["token"] as! String).utf8))
            let context = vector["context"] as! [String: String]
            let plaintext = try keys.open(token, context: context)
            #expect(Hex.encode(plaintext) == vector["plaintext"] as! String, "\(vector["description"]!)")
            let header = try Envelope.header(of: token)
            #expect(header.keyID.description == vector["keyId"] as! String)
            #expect(header.keyVersion == vector["keyVersion"] as! UInt32)
            #expect(header.timestamp == vector["timestamp"] as! UInt64)
            let resealed = try Envelope.seal(
                plaintext, key: keys.material[header.keyID.description]![header.keyVersion]!, keyID: header.keyID,
                keyVersion: header.keyVersion, context: EncryptionContext(context), timestamp: header.timestamp,
                nonce: Hex.decode(Array((vector["nonce"] as! String).utf8)))
            #expect(resealed == token, "\(vector["description"]!)")
        }
    }

    @Test func invalidVectorsAreRejectedForTheDocumentedReason() throws {
        let keys = try Keys()
        let vectors = try Self.vectors("invalid")
        #expect(vectors.count >= 10)
        for vector in vectors {
            let token = try Base64.decode(Array((vector["token"] as! String).utf8))
            let context = vector["context"] as! [String: String]
            let expected = vector["error"] as! String
            do {
                _ = try keys.open(token, context: context)
                Issue.record("\(vector["description"]!) opened")
            } catch let error as VectorError {
                #expect("\(error)" == expected, "\(vector["description"]!)")
            } catch let error as CryptoError {
                let actual =
                    switch error {
                    case .unsupportedVersion: "unsupportedVersion"
                    case .authenticationFailed: "authenticationFailed"
                    default: "malformed"
                    }
                #expect(actual == expected, "\(vector["description"]!): \(error)")
            }
        }
    }

    @Test func everySingleBitFlipIsRejected() throws {
        let key = SecureBytes.random(count: 32)
        let id = KeyID.random()
        let context = EncryptionContext(["tenant": "a"])
        let token = try Envelope.seal(
            Array("payload".utf8), key: key, keyID: id, keyVersion: 3, context: context, timestamp: 42)
        for byte in 0..<token.count {
            for bit in 0..<8 {
                var tampered = token
                tampered[byte] ^= UInt8(1 << bit)
                #expect(throws: CryptoError.self) { try Envelope.open(tampered, key: key, context: context) }
            }
        }
        #expect(try Envelope.open(token, key: key, context: context).constantTimeEquals(Array("payload".utf8)))
    }

    @Test func contextOrderDoesNotMatterButCaseDoes() throws {
        let key = SecureBytes.random(count: 32)
        let token = try Envelope.seal(
            [1, 2, 3], key: key, keyID: .random(), keyVersion: 1, context: EncryptionContext(["a": "1", "b": "2"]),
            timestamp: 1)
        #expect(try Envelope.open(token, key: key, context: EncryptionContext(["b": "2", "a": "1"])).count == 3)
        #expect(throws: CryptoError.authenticationFailed) {
            try Envelope.open(token, key: key, context: EncryptionContext(["A": "1", "b": "2"]))
        }
    }

    @Test func randomNoncesMakeDistinctTokens() throws {
        let key = SecureBytes.random(count: 32)
        let id = KeyID.random()
        let a = try Envelope.seal([7], key: key, keyID: id, keyVersion: 1, timestamp: 1)
        let b = try Envelope.seal([7], key: key, keyID: id, keyVersion: 1, timestamp: 1)
        #expect(a != b)
        #expect(a.count == Envelope.minimumLength + 1)
    }

    @Test func rejectsWrongKeyLength() {
        #expect(throws: CryptoError.self) {
            try Envelope.seal([1], key: SecureBytes.random(count: 16), keyID: .random(), keyVersion: 1, timestamp: 1)
        }
    }
}
