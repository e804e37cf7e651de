/// Where a key's material comes from (`Origin`): made by Sealbox, or imported (`EXTERNAL`).
public enum KeyOrigin: String, Codable, Sendable {
    case awsKMS = "AWS_KMS"
    case external = "EXTERNAL"
}

/// Whether imported key material expires (`ExpirationModel`).
public enum ExpirationModel: String, Codable, Sendable, CaseIterable {
    case expires = "KEY_MATERIAL_EXPIRES"
    case doesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE"
}
