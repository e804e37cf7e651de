/// The answer to `POST /v1/test/inspect`: where served secrets were found, by name, never by value.
package struct InspectionReport: Codable, Sendable, Equatable {
    /// One place a secret was found.
    package struct Finding: Codable, Sendable, Equatable {
        /// The secret's name (a parameter name, an env variable).
        package var secret: String
        /// `memory <start>-<end> <mapping>`, `environment`, `fd <n> <path>` or `temp file <path>`.
        package var location: String
        /// `plaintext` or `base64`.
        package var form: String

        /// - Parameters:
        ///   - secret: the secret's name.
        ///   - location: where it was.
        ///   - form: how it was stored.
        package init(secret: String, location: String, form: String) {
            self.secret = secret
            self.location = location
            self.form = form
        }
    }

    /// The process scanned.
    package var pid: Int32
    /// What was found; empty when the process is clean.
    package var findings: [Finding]
    /// Secrets too short (under 4 bytes) to search for.
    package var skipped: [String]
    /// Secrets looked for.
    package var secretsChecked: Int
    /// Bytes read from the process.
    package var bytesScanned: Int

    /// - Parameters:
    ///   - pid: the process.
    ///   - findings: what was found.
    ///   - skipped: secrets too short to look for.
    ///   - secretsChecked: secrets looked for.
    ///   - bytesScanned: bytes read.
    package init(pid: Int32, findings: [Finding], skipped: [String], secretsChecked: Int, bytesScanned: Int) {
        self.pid = pid
        self.findings = findings
        self.skipped = skipped
        self.secretsChecked = secretsChecked
        self.bytesScanned = bytesScanned
    }
}
