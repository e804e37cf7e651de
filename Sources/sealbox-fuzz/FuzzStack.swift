import CSealboxFuzz
import Logging
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxServer
import SealboxStore

#if canImport(Glibc)
    import Glibc
#endif

/// An ephemeral daemon's parts, in memory, for the targets that go through operations. It is
/// replaced every few thousand inputs so that what fuzzed writes create does not pile up.
final class FuzzStack: Sendable {
    let kms: KMS
    let ssm: SSM
    let secrets: SecretsManager
    let router: Router
    let context: RequestContext
    static let extensionToken = "fuzz-extension-token"

    private static let current = Locked<(uses: Int, stack: FuzzStack?)>((0, nil))

    /// The stack for the next input.
    static func shared() -> FuzzStack {
        current.withLock { state in
            state.uses += 1
            if state.stack == nil || state.uses % 5_000 == 0 { state.stack = FuzzStack() }
            return state.stack!
        }
    }

    private init() {
        let settings = ServerSettings(
            accountID: "123456789012", region: "us-east-1", ephemeral: true, daemonUID: getuid(), version: "fuzz")
        do {
            kms = try KMS(store: try SQLiteStore(), rootKey: .random(count: Envelope.keyLength))
            ssm = try SSM(store: try SQLiteStore(), kms: kms)
            secrets = try SecretsManager(store: try SQLiteStore(), kms: kms)
        } catch {
            fatalError("the in-memory stack could not be built: \(error)")
        }
        // Never started: writes over HTTP, which run on the pool, are refused with a 500, as while a
        // daemon shuts down. The aws-json target runs every operation, writes included, directly.
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        secrets.setRotationHandlers([Self.rotationHandler: "/bin/false"])
        ssm.serveSecretReferences(from: secrets)
        router = Router(
            kms: kms, ssm: ssm, secrets: secrets, leases: LeaseService(ssm: ssm), settings: settings,
            security: SecurityState(SecuritySettings(policy: nil, accessKeys: [])),
            extensionToken: SecureBytes(copying: Array(Self.extensionToken.utf8)), audit: nil,
            threadPool: threadPool, logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous)
        do {
            _ = try Fixtures.parse(Self.fixtures, origin: "fuzz").apply(
                kms: kms, ssm: ssm, context: context, origin: "fuzz")
            _ = try secrets.create(
                name: "fuzz/secret", description: "seed", kmsKeyId: nil,
                value: .string(SecureBytes(copying: Array("fuzz-secret-value".utf8))),
                token: Self.secretVersion, tags: [], context: context)
        } catch {
            fatalError("the fuzz fixtures did not apply: \(error)")
        }
    }

    /// The seeded secret's first version, and the rotation handler its seeds name.
    static let secretVersion = "00000000-0000-4000-8000-000000000001"
    static let rotationHandler = "arn:aws:lambda:us-east-1:123456789012:function:fuzz"

    /// Makes what lives for the whole run before the first input: the stack, and libcrypto's random
    /// generators, which it makes on the first key pair and keeps in thread-local storage that
    /// LeakSanitizer does not scan, so it would report them as a leak of whichever input came later.
    /// Only their making is exempt: every key the inputs make is still checked.
    static func warmUp() {
        _ = shared()
        csealbox_fuzz_ignoring_leaks { _ = try? PrivateKey.generate(.ec(.p256)) }
    }

    /// What the seed corpus refers to, so seeded requests reach past "not found".
    static let fixtures = """
        keys:
          - id: 1234abcd-12ab-34cd-56ef-1234567890ab
            aliases: [alias/fuzz]
            material: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
          - id: 1234abcd-12ab-34cd-56ef-1234567890ac
            aliases: [alias/fuzz-sign]
            keySpec: ECC_NIST_P256
            keyUsage: SIGN_VERIFY
            material: |
              -----BEGIN PRIVATE KEY-----
              MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfYVA4jbJP5FD6Tjz
              qi/hDyQoeiCr2QA8YfQzrRtKbE+hRANCAAS/8ys/1pyyfQy0CN/YQcykha1Nq5RM
              ixJxqeOFYil273JG4BUP/UyZjFLiaR674GfSdf5H4zo1a1NW/BjvsOom
              -----END PRIVATE KEY-----
          - id: 1234abcd-12ab-34cd-56ef-1234567890ad
            aliases: [alias/fuzz-ecdh]
            keySpec: ECC_NIST_P256
            keyUsage: KEY_AGREEMENT
            material: |
              -----BEGIN PRIVATE KEY-----
              MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2hXYCDEBct5hhhqP
              xRhLotzNelEd3gCOZ6B0UYu5QmShRANCAARMh4I86fcJF28zpuiIePYGMIeJWrlt
              8Qvs8D2OPoGbRFSngmRvyYSyXFP7Pq37pQm3f5hPsLQuPJOVJWMZQNMJ
              -----END PRIVATE KEY-----
          - id: 1234abcd-12ab-34cd-56ef-1234567890ae
            aliases: [alias/fuzz-rsa]
            keySpec: RSA_2048
            keyUsage: ENCRYPT_DECRYPT
            material: |
              -----BEGIN PRIVATE KEY-----
              MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDVV31fSYj6hdj0
              uFzyyXHeE+ETr7Syw8qKxVMTBuvX9eJP20IotKpUhm/gFGvfw6C9k349feu7wSXv
              6/C/fcF6EAS9W4cdF5a4g3tQd5J1r5djh+Ic0KO5qbRDVmJbNE49FOXNWW8iwj56
              HBMJIYzVxEBDPDoLXA9Kv9Bs7q3S5WD8xssByMI/+RSNb3Fw2XBtwgYdkthpp5jZ
              cTS9tKqctDZVsLUQFh+ggIPBT+F+XE8NxXaTP3oqnO6snzO9pLE6Tngeo/E+L+wI
              xyj2IROumjtyVC+gHkPQ9jToaaTLGXY3ah+iSAvOnA37Ss+U85wPpHsl5lLSto2h
              ze8km+dTAgMBAAECggEAK3vvs/JbFyUc+ZRybZIdwXQv1kFkBWPe7rYVnrU0cQpP
              HJPGQmHArgXQ282Nx0gqhTmA66u01sohn2tp4L4TJ3wIW0hCm+1o7SbvhZE5qv8l
              TkYuEk18caVjdq4u0gQxRkXyKQ7nliAdd+os/xl1iUS9DHdEJXiYLVY3d1yW1XtI
              KE2w2o+2HB2L33q6XNXZLOTJaNwqnGw9CsnmJPIG5KR/7fZOcbitwEgvIJy2ITOT
              3pWyirA7QZS35FZzAeU0cnS3iLIUYPDirGowW5s6ZivMNgdi3/A00PDp0/e3gwDs
              NjqypCvx6Isl3Sch5WmG3HV6uZAIdxc6UiuGFhtxkQKBgQDtCHIWTfaj58pptRyU
              RT+KTflGcfUttmN25+uN506Q2Ua7Vmcb2BY+Ob9o3Jd0GHm5b66iQiHk3JIKO5EJ
              2kHGRIkMRJ/ZNvn5KqOtM76LzbAlRpjY64C0DIb1m/hJ8X9iZlfF9LV40qfHthUZ
              gD6c2qGHBRbpUHiddi/moUOFlQKBgQDmabxdJ2kVfmcqJ5OkpK3A0NO0fCwvOyBh
              vd/v6jYxPwz085e0lc7AsDGwXJQdj2avLg/BVikBoF+5h/g2rvyIxHUpDialZ5WM
              gQ8dqlJ4hSaZ1acBx/1BP1KjlsWJGXMmbCwNbL8wDCWsQh/X9A/LFGzfX0WoJ8C6
              cc0FEg2vRwKBgCqyM8K6xmudzAMggYZftuNVykobKtvSF7aKbg7AlJFY4fnKxYXp
              dZA93LGp0ooyAnMZn+5QVUShSpkXQ7fvnZt2Ku2Pyu9YjMyKFrOTN4Z9RXZhchTY
              zvUfsIu7TY0cOCLkZnkc7DdYUqqRrNlMFXsxkpj8nLToLuHGMTis4bnFAoGAXu7N
              tyvXtg1ggBPSVxGqrTjdIQ3QPp2D2AGdVIIRVfT+Z6Y9qR/YEbgGoP1j4VIGIsM9
              ppDTUGI9TnnhINa0Ib2f8Axui9PD4CIEklpspE9n+hX3O1qk0889Qz2JodUkhn4n
              IFjf5PH8S57q89UQ9MEzokzkrEXEuIzOxfoMPV0CgYEAmg7Zb5d5uFkZbPm0LGhQ
              jUeyxMGFXQZEf9opMb5B4Z5fMr+kteZ2ijr/eWSG3OQxJlHib60KueVzyhkJt9Ws
              v68NLp/vvb5CUploxIA7xMHliG/okyiOCrlwVAGimtpTr042Htdowog5hiWpZVV8
              NK0GZ9tNGdTq0Onjav/ik4k=
              -----END PRIVATE KEY-----
        parameters:
          - {name: /fuzz/plain, type: String, value: plain, labels: [live]}
          - {name: /fuzz/list, type: StringList, value: [a, b]}
          - {name: /fuzz/secret, type: SecureString, keyId: alias/fuzz, value: s3cr3t}
        """
}
