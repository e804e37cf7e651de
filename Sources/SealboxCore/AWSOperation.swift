/// One operation of an AWS JSON 1.1 service.
public struct AWSOperation<Service: Sendable>: Sendable {
    /// The operation name, as in `X-Amz-Target: <Prefix>.<name>`.
    public let name: String
    /// Whether it writes to the store; the server runs these off the event loops.
    public let writes: Bool
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
}

extension AWSOperation {
    /// Binds an operation name to a service method, for the services' operation tables.
    /// - Parameters:
    ///   - name: the operation name.
    ///   - writes: whether it writes to the store.
    ///   - method: the unapplied method, e.g. `KMS.createKey`.
    static func bind(
        _ name: String,
        writes: Bool = false,
        _ method: @escaping @Sendable (Service) -> ([UInt8], RequestContext) throws(AWSError) -> ResponseBody
    ) -> (String, AWSOperation<Service>) {
        (
            name,
            AWSOperation(name: name, writes: writes) { (service, body, context) throws(AWSError) in
                try method(service)(body, context)
            }
        )
    }
}
