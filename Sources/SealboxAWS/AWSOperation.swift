import SealboxCore

/// One operation of an AWS JSON 1.1 service.
public struct AWSOperation<Service: Sendable>: Sendable {
    /// The operation name, as in `X-Amz-Target: <Prefix>.<name>`.
    public let name: String
    /// The policy action, `<signing name>:<name>`, and whether the audit log records it.
    public let action: Action
    /// Whether it writes to the store; the server runs these off the event loops.
    public let writes: Bool
    /// Whether it may take long (key pair generation): the server runs it off the event loops too.
    public let slow: Bool
    let runGroup: (@Sendable (Service, [AWSCall]) -> [Result<ResponseBody, AWSError>])?
    let run: @Sendable (Service, [UInt8], RequestContext) throws(AWSError) -> ResponseBody

    /// Runs the operation.
    /// - Parameters:
    ///   - service: the service instance.
    ///   - body: the request body.
    ///   - context: the caller.
    public func callAsFunction(_ service: Service, body: [UInt8], context: RequestContext) throws(AWSError)
        -> ResponseBody
    {
        try run(service, body, context)
    }

    /// For a write that can commit several callers' requests in one transaction, the function that
    /// does so on `service`; nil for every other operation.
    /// - Parameter service: the service instance.
    /// - Returns: a function from calls to their results, one per call and in order.
    public func group(on service: Service) -> (@Sendable ([AWSCall]) -> [Result<ResponseBody, AWSError>])? {
        guard let runGroup else { return nil }
        return { calls in runGroup(service, calls) }
    }
}

/// One caller's request to an AWS operation.
public struct AWSCall: Sendable {
    /// The request body.
    public var body: [UInt8]
    /// The caller.
    public var context: RequestContext

    /// - Parameters:
    ///   - body: the request body.
    ///   - context: the caller.
    public init(body: [UInt8], context: RequestContext) {
        self.body = body
        self.context = context
    }
}

extension AWSOperation {
    /// One row of a service's operation table: a name bound to a service method.
    struct Row {
        let name: String
        let writes: Bool
        var slow = false
        let audited: Bool
        let runGroup: (@Sendable (Service, [AWSCall]) -> [Result<ResponseBody, AWSError>])?
        let run: @Sendable (Service, [UInt8], RequestContext) throws(AWSError) -> ResponseBody

        /// A read: it runs on the event loop and touches no disk.
        /// - Parameters:
        ///   - name: the operation name.
        ///   - audited: whether the audit log records it; reads of metadata are not recorded.
        ///   - method: the unapplied method, e.g. `KMS.decrypt`.
        static func read(
            _ name: String,
            audited: Bool = true,
            _ method: @escaping @Sendable (Service) -> ([UInt8], RequestContext) throws -> ResponseBody
        ) -> Row {
            Row(name: name, writes: false, audited: audited, runGroup: nil, run: bind(method))
        }

        /// A read that may take long, such as generating an RSA key pair: it runs off the event loops,
        /// so that it holds up no other connection, and touches no disk.
        /// - Parameters:
        ///   - name: the operation name.
        ///   - method: the unapplied method.
        static func slowRead(
            _ name: String,
            _ method: @escaping @Sendable (Service) -> ([UInt8], RequestContext) throws -> ResponseBody
        ) -> Row {
            Row(name: name, writes: false, slow: true, audited: true, runGroup: nil, run: bind(method))
        }

        /// A write: it runs off the event loops, and the audit log records it.
        /// - Parameters:
        ///   - name: the operation name.
        ///   - method: the unapplied method, e.g. `KMS.createKey`.
        static func write(
            _ name: String,
            _ method: @escaping @Sendable (Service) -> ([UInt8], RequestContext) throws -> ResponseBody
        ) -> Row {
            Row(name: name, writes: true, audited: true, runGroup: nil, run: bind(method))
        }

        /// A write that commits the calls queued behind a commit in one transaction; one call alone
        /// is a group of one.
        /// - Parameters:
        ///   - name: the operation name.
        ///   - method: the unapplied method, which answers every call it is given, in order.
        static func groupWrite(
            _ name: String,
            _ method: @escaping @Sendable (Service) -> ([AWSCall]) -> [Result<ResponseBody, AWSError>]
        ) -> Row {
            let runGroup: @Sendable (Service, [AWSCall]) -> [Result<ResponseBody, AWSError>] = { service, calls in
                method(service)(calls)
            }
            return Row(name: name, writes: true, audited: true, runGroup: runGroup) {
                (service, body, context) throws(AWSError) in
                try runGroup(service, [AWSCall(body: body, context: context)])[0].get()
            }
        }

        /// What a method throws is answered as ``AWSError/init(any:)`` maps it.
        private static func bind(
            _ method: @escaping @Sendable (Service) -> ([UInt8], RequestContext) throws -> ResponseBody
        ) -> @Sendable (Service, [UInt8], RequestContext) throws(AWSError) -> ResponseBody {
            { (service, body, context) throws(AWSError) in
                do {
                    return try method(service)(body, context)
                } catch {
                    throw AWSError(any: error)
                }
            }
        }
    }

    /// A service's operations by name, each with its action under the service's signing name.
    /// - Parameters:
    ///   - signingName: the SigV4 signing name, which is also the policy prefix (`kms`, `ssm`).
    ///   - rows: the operations.
    static func table(signingName: String, _ rows: [Row]) -> [String: AWSOperation] {
        Dictionary(
            uniqueKeysWithValues: rows.map { row in
                (
                    row.name,
                    AWSOperation(
                        name: row.name, action: Action("\(signingName):\(row.name)", audited: row.audited),
                        writes: row.writes, slow: row.slow, runGroup: row.runGroup, run: row.run)
                )
            })
    }
}
