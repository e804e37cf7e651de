import Foundation
import SealboxAPI
import SealboxClient
import SealboxCrypto
import SealboxTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct DaemonTests {
    @Test func servesKMSOverTheUnixSocketWithPeerCredentials() async throws {
        let daemon = try SealboxTestDaemon.persistent()
        let connection = try await daemon.connect()
        let (status, created, _) = try await connection.kms("CreateKey", ["Description": "it"])
        #expect(status == 200)
        let keyId = try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        let (_, encrypted, _) = try await connection.kms(
            "Encrypt", ["KeyId": keyId, "Plaintext": Base64.encode(Array("over the socket".utf8))])
        // Many requests on one keep-alive connection.
        for _ in 0..<20 {
            let (status, decrypted, response) = try await connection.kms(
                "Decrypt", ["CiphertextBlob": encrypted["CiphertextBlob"]!])
            #expect(status == 200)
            #expect(decrypted["Plaintext"] as? String == Base64.encode(Array("over the socket".utf8)))
            #expect(response.header("x-amzn-RequestId")?.count == 36)
        }
        await connection.close()
        #expect(daemon.stop() == 0)
    }

    @Test func socketIsMode0660AndRemovedOnSIGTERM() async throws {
        let daemon = try SealboxTestDaemon.persistent()
        let path = daemon.socketPath
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.posixPermissions] as? Int == 0o660)
        let idle = try await daemon.connect()
        #expect(daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
        await idle.close()
    }

    @Test func acknowledgedWritesSurviveKill9AndAStaleSocketIsReplaced() async throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        let first = try SealboxTestDaemon.persistent(dataDir)
        let connection = try await first.connect()
        let (_, created, _) = try await connection.kms("CreateKey")
        let keyId = try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        let (_, encrypted, _) = try await connection.kms("Encrypt", ["KeyId": keyId, "Plaintext": "ZHVyYWJsZQ=="])
        #expect(first.stop(signal: SIGKILL) != 0)
        #expect(FileManager.default.fileExists(atPath: dataDir.appendingPathComponent("sealbox.sock").path))

        let second = try SealboxTestDaemon.persistent(dataDir)
        let again = try await second.connect()
        let (status, decrypted, _) = try await again.kms("Decrypt", ["CiphertextBlob": encrypted["CiphertextBlob"]!])
        #expect(status == 200)
        #expect(decrypted["Plaintext"] as? String == "ZHVyYWJsZQ==")
        await again.close()
        #expect(second.stop() == 0)
    }

    @Test func badInputGetsAWSShapedErrors() async throws {
        let daemon = try SealboxTestDaemon.persistent()
        let connection = try await daemon.connect()
        let malformed = try await connection.request(
            .post, NativePath.aws, headers: [("X-Amz-Target", "TrentService.Encrypt")], body: Array("{\"KeyId\":".utf8))
        #expect(malformed.status == 400)
        #expect(malformed.header("X-Amzn-ErrorType") == "SerializationException")
        let unknown = try await connection.request(
            .post, NativePath.aws, headers: [("X-Amz-Target", "TrentService.Nope")], body: Array("{}".utf8))
        #expect(unknown.status == 400)
        #expect(unknown.header("X-Amzn-ErrorType") == "UnknownOperationException")
        let missingPath = try await connection.request(.get, "/nowhere")
        #expect(missingPath.status == 404)
        #expect(try JSONDecoder().decode(NativeErrorBody.self, from: Data(missingPath.body)).error == "NotFound")
        let health = try await connection.request(.get, NativePath.health)
        #expect(health.status == 200)
        #expect(try JSONDecoder().decode(Health.self, from: Data(health.body)).status == "ok")
        await connection.close()

        let tooLarge = try await daemon.connect()
        let oversize = try await tooLarge.request(
            .post, NativePath.aws, headers: [("X-Amz-Target", "TrentService.Encrypt")],
            body: [UInt8](repeating: 0x20, count: 64 * 1024 + 1))
        #expect(oversize.status == 413)
        #expect(oversize.header("X-Amzn-ErrorType") == "RequestEntityTooLargeException")
        await tooLarge.close()
        #expect(daemon.stop() == 0)
    }

    @Test func tcpRequiresASignatureOutsideEphemeralMode() async throws {
        let daemon = try SealboxTestDaemon.persistent()
        let connection = try await daemon.connectTCP()
        let (status, body, response) = try await connection.kms("ListKeys")
        #expect(status == 400)
        #expect(body["__type"] as? String == "MissingAuthenticationTokenException")
        #expect(response.header("X-Amzn-ErrorType") == "MissingAuthenticationTokenException")
        await connection.close()
        let credentialsPath = try #require(daemon.dataDirectory) + "/credentials"
        let credentials = try String(contentsOfFile: credentialsPath, encoding: .utf8)
        #expect(credentials.hasPrefix("[sealbox]\naws_access_key_id = AKIA"))
        let mode = try FileManager.default.attributesOfItem(atPath: credentialsPath)[.posixPermissions]
        #expect(mode as? Int == 0o600)
        #expect(daemon.stop() == 0)
    }

    @Test func ephemeralAcceptsAnyCallerAndWritesNothing() async throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        let daemon = try SealboxTestDaemon.ephemeral(arguments: ["--data-dir", dataDir.path])
        let connection = try await daemon.connectTCP()
        let (status, _, _) = try await connection.kms("CreateKey")
        #expect(status == 200)
        let (_, listed, _) = try await connection.kms("ListKeys")
        #expect((listed["Keys"] as? [Any])?.count == 1)
        await connection.close()
        #expect(daemon.stop() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir.path).isEmpty)
    }
}

@Suite struct StartupRefusalTests {
    @Test func refusesANonLoopbackListenerWithoutAllowRemote() throws {
        let failure = try #require(throws: SealboxTestDaemon.Failure.self) {
            try SealboxTestDaemon.ephemeral(arguments: ["--listen", "0.0.0.0:0"])
        }
        #expect(failure.exitStatus != 0)
        #expect(failure.standardError.contains("--allow-remote"))
    }

    @Test func refusesAGroupReadableRootKey() throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        let keyPath = dataDir.appendingPathComponent("root.key").path
        #expect(
            FileManager.default.createFile(
                atPath: keyPath, contents: Data((Base64.encode(SecureBytes.random(count: 32)) + "\n").utf8)))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        let failure = try #require(throws: SealboxTestDaemon.Failure.self) {
            try SealboxTestDaemon.persistent(dataDir, arguments: ["--root-key", "file:\(keyPath)"])
        }
        #expect(failure.exitStatus != 0)
        #expect(failure.standardError.contains("readable by group or others"))
        #expect(!failure.standardError.contains(Base64.encode(SecureBytes.random(count: 1))))
    }

    @Test func refusesARootKeyThatDoesNotMatchTheStore() async throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        let first = try SealboxTestDaemon.persistent(dataDir)
        let connection = try await first.connect()
        _ = try await connection.kms("CreateKey")
        await connection.close()
        #expect(first.stop() == 0)
        let other = Base64.encode(SecureBytes.random(count: 32))
        setenv("SEALBOX_IT_OTHER_ROOT", other, 1)
        let failure = try #require(throws: SealboxTestDaemon.Failure.self) {
            try SealboxTestDaemon.persistent(dataDir, arguments: ["--root-key", "env:SEALBOX_IT_OTHER_ROOT"])
        }
        #expect(failure.exitStatus != 0)
        #expect(failure.standardError.contains("root key does not unwrap"))
        #expect(!failure.standardError.contains(other))
    }
}
