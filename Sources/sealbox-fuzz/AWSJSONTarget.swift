import SealboxAWS
import SealboxCore

/// Every KMS, SSM and Secrets Manager operation, writes included, called the way the AWS endpoint calls it: the
/// first byte picks the operation and the rest is its JSON body.
enum AWSJSONTarget {
    private enum Operation: Sendable {
        case kms(AWSOperation<KMS>)
        case ssm(AWSOperation<SSM>)
        case secrets(AWSOperation<SecretsManager>)
    }

    /// `KMS.<name>`, `SSM.<name>` and `SecretsManager.<name>` in selector order: the first byte of an input, modulo the count,
    /// picks one.
    static var names: [String] {
        KMS.operations.keys.sorted().map { "KMS.\($0)" } + SSM.operations.keys.sorted().map { "SSM.\($0)" }
            + SecretsManager.operations.keys.sorted().map { "SecretsManager.\($0)" }
    }

    private static let operations: [Operation] =
        KMS.operations.sorted { $0.key < $1.key }.map { .kms($0.value) }
        + SSM.operations.sorted { $0.key < $1.key }.map { .ssm($0.value) }
        + SecretsManager.operations.sorted { $0.key < $1.key }.map { .secrets($0.value) }

    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let stack = FuzzStack.shared()
        let body = Array(bytes.dropFirst())
        // The hand-written fast path for hot request shapes must read a body as JSONDecoder does.
        precondition(AWSJSON.fastPathAgrees(body), "the flat-JSON fast path disagrees with JSONDecoder")
        do {
            switch operations[Int(selector) % operations.count] {
            case .kms(let operation): _ = try operation(stack.kms, body: body, context: stack.context)
            case .ssm(let operation): _ = try operation(stack.ssm, body: body, context: stack.context)
            case .secrets(let operation): _ = try operation(stack.secrets, body: body, context: stack.context)
            }
        } catch {
            // A client's bytes may earn any 4xx, never a 5xx: that would be the daemon's fault.
            precondition(error.httpStatus < 500, "a request body caused \(error)")
        }
    }
}
