import Foundation
import SealboxCore

/// PutParameter's `Policies`: a JSON array of at most 10 policies, each
/// `{"Type", "Version": "1.0", "Attributes"}`, checked as AWS checks them.
enum ParameterPolicies {
    static let limit = 10

    private static let invalidType = AWSError.invalidPolicyType(
        "The policy type isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification."
    )

    private static func invalidAttribute(_ detail: String) -> AWSError {
        .invalidPolicyAttribute("A policy attribute or its value is invalid. \(detail)")
    }

    /// The policies in `text`.
    /// - Parameters:
    ///   - text: the request's `Policies`.
    ///   - now: the time, which an expiration must be after.
    static func parse(_ text: String, now: Double) throws(AWSError) -> [ParameterPolicy] {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let list = parsed as? [Any] else {
            throw AWSError.validation("Policies must be a JSON array of policy objects.")
        }
        guard list.count <= limit else {
            throw AWSError.policiesLimitExceeded(
                "You specified more than the maximum number of allowed policies for the parameter. The maximum is \(limit)."
            )
        }
        var policies: [ParameterPolicy] = []
        for item in list {
            guard let object = item as? [String: Any], let type = object["Type"] as? String,
                let kind = ParameterPolicy.Kind(rawValue: type)
            else { throw invalidType }
            guard object["Version"] as? String == "1.0" else { throw invalidAttribute("Version must be \"1.0\".") }
            guard let attributes = object["Attributes"] as? [String: Any] else {
                throw invalidAttribute("\(type) needs Attributes.")
            }
            guard !policies.contains(where: { $0.kind == kind }) else {
                throw invalidAttribute("A parameter takes one \(type) policy.")
            }
            policies.append(try policy(kind, attributes, now: now))
        }
        if policies.contains(where: { $0.kind == .expirationNotification }),
            !policies.contains(where: { $0.kind == .expiration })
        {
            throw invalidAttribute("An ExpirationNotification policy needs an Expiration policy.")
        }
        return policies
    }

    private static func policy(_ kind: ParameterPolicy.Kind, _ attributes: [String: Any], now: Double)
        throws(AWSError) -> ParameterPolicy
    {
        switch kind {
        case .expiration:
            guard attributes.count == 1, let stamp = attributes["Timestamp"] as? String, let time = timestamp(stamp)
            else {
                throw invalidAttribute("Expiration takes one attribute, Timestamp, in ISO 8601 form.")
            }
            guard time > now else { throw invalidAttribute("The expiration time \(stamp) has passed.") }
            return ParameterPolicy(
                kind: kind, seconds: time, text: text(kind, [("Timestamp", stamp)]))
        case .expirationNotification, .noChangeNotification:
            let field = kind == .expirationNotification ? "Before" : "After"
            guard attributes.count == 2, let amount = attributes[field] as? String,
                let unit = attributes["Unit"] as? String,
                let count = Int(amount), count >= 1, count <= 100_000, amount.allSatisfy(\.isASCII),
                let unitSeconds = ["Days": 86_400.0, "Hours": 3_600.0][unit]
            else {
                throw invalidAttribute("\(kind.rawValue) takes \(field), a whole number, and Unit, Days or Hours.")
            }
            return ParameterPolicy(
                kind: kind, seconds: Double(count) * unitSeconds, text: text(kind, [(field, amount), ("Unit", unit)]))
        }
    }

    /// The policy as AWS returns it in `PolicyText`; the values were checked to need no escaping.
    private static func text(_ kind: ParameterPolicy.Kind, _ attributes: [(String, String)]) -> String {
        let fields = attributes.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
        return "{\"Type\":\"\(kind.rawValue)\",\"Version\":\"1.0\",\"Attributes\":{\(fields)}}"
    }

    /// An ISO 8601 time with a zone, with or without fractions of a second.
    private static func timestamp(_ text: String) -> Double? {
        guard text.utf8.allSatisfy({ "0123456789-:.TZ+".utf8.contains($0) }) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    /// A version's policies as DescribeParameters and GetParameterHistory list them.
    static func json(_ policies: [ParameterPolicy]) -> [SensitiveJSON] {
        policies.map { policy in
            var json = SensitiveJSON()
            json.string("PolicyText", policy.text)
            json.string("PolicyType", policy.kind.rawValue)
            json.string("PolicyStatus", policy.status)
            return json
        }
    }
}
