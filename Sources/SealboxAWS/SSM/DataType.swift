import SealboxCore

/// A parameter's `DataType`: what its value must look like.
enum DataType {
    static let text = "text"
    /// An AMI id, which EC2 launches resolve the parameter to.
    static let image = "aws:ec2:image"
    /// A webhook integration's secret, under the integrations path.
    static let integration = "aws:ssm:integration"
    static let names: Set<String> = [text, image, integration]

    /// Where AWS keeps integration parameters.
    static let integrationPrefix = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/"

    /// Checks a put against its data type: the request's, else the parameter's.
    /// - Parameters:
    ///   - dataType: the data type the version will have.
    ///   - name: the parameter's name.
    ///   - type: the parameter's type.
    ///   - value: the value.
    static func check(_ dataType: String, name: String, type: ParameterType, value: String) throws(SealboxError) {
        switch dataType {
        case image:
            guard type == .string else {
                throw SealboxError.validation("The data type aws:ec2:image is supported only for String parameters.")
            }
            guard isImageID(value) else {
                throw SealboxError.validation(
                    "Invalid AMI ID format: \(value). A parameter of data type aws:ec2:image holds ami- followed by 8 or 17 lowercase hexadecimal digits."
                )
            }
        case integration:
            guard type == .secureString, name.hasPrefix(integrationPrefix), name.count > integrationPrefix.count else {
                throw SealboxError.validation(
                    "The data type aws:ssm:integration is supported only for SecureString parameters under \(integrationPrefix)."
                )
            }
        default:
            return
        }
    }

    /// `ami-` and 8 or 17 lowercase hex digits, as EC2 writes image ids.
    static func isImageID(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 12 || bytes.count == 21, bytes.starts(with: "ami-".utf8) else { return false }
        return bytes.dropFirst(4).allSatisfy {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
        }
    }
}
