import SealboxCore

/// One operation of an AWS JSON 1.1 service.
public struct AWSOperation<Service: Sendable>: Sendable {
    /// The operation name, as in `X-Amz-Target: <Prefix>.<name>`.
    public let name: String
    /// Whether it writes to the store; the server runs these off the event loops.
    public let writes: Bool
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
    /// Binds an operation name to a service method, for the services' operation tables.
    /// - Parameters:
    ///   - name: the operation name.
    ///   - writes: whether it writes to the store.
    ///   - method: the unapplied method, e.g. `KMS.createKey`; what it throws is answered as
    ///     ``AWSError/init(any:)`` maps it.
    static func bind(
        _ name: String,
        writes: Bool = false,
        _ method: @escaping @Sendable (Service) -> ([UInt8], RequestContext) throws -> ResponseBody
    ) -> (String, AWSOperation<Service>) {
        (
            name,
            AWSOperation(name: name, writes: writes, runGroup: nil) { (service, body, context) throws(AWSError) in
                do {
                    return try method(service)(body, context)
                } catch {
                    throw AWSError(any: error)
                }
            }
        )
    }

    /// Binds a write that commits groups of calls, for the services' operation tables; one call alone
    /// is a group of one.
    /// - Parameters:
    ///   - name: the operation name.
    ///   - method: the unapplied method, which answers every call it is given.
    static func bindGroup(
        _ name: String,
        _ method: @escaping @Sendable (Service) -> ([AWSCall]) -> [Result<ResponseBody, AWSError>]
    ) -> (String, AWSOperation<Service>) {
        let runGroup: @Sendable (Service, [AWSCall]) -> [Result<ResponseBody, AWSError>] = { service, calls in
            method(service)(calls)
        }
        return (
            name,
            AWSOperation(name: name, writes: true, runGroup: runGroup) { (service, body, context) throws(AWSError) in
                try runGroup(service, [AWSCall(body: body, context: context)])[0].get()
            }
        )
    }
}
