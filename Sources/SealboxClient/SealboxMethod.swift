/// An HTTP request method, for ``SealboxConnection/request(_:_:headers:body:)``.
public struct SealboxMethod: Sendable, Hashable, CustomStringConvertible {
    /// The method's name as sent, such as `GET`.
    public let name: String

    /// A method by name; the daemon answers 405 or 404 to one it does not serve.
    /// - Parameter name: the method, upper case, such as `PATCH`.
    public init(_ name: String) {
        self.name = name
    }

    /// `GET`.
    public static let get = SealboxMethod("GET")
    /// `HEAD`.
    public static let head = SealboxMethod("HEAD")
    /// `POST`.
    public static let post = SealboxMethod("POST")
    /// `PUT`.
    public static let put = SealboxMethod("PUT")
    /// `DELETE`.
    public static let delete = SealboxMethod("DELETE")

    public var description: String { name }
}
