/// A secret's `RotationRules`: every N days, `rate(N hours|days)` or an AWS `cron(...)` expression,
/// with an optional window `Duration`. Times are UTC. The daemon starts a rotation when its window
/// opens (AWS picks a moment inside it): the window opens at midnight for day schedules.
public struct RotationSchedule: Sendable, Hashable, Codable {
    public var automaticallyAfterDays: Int?
    public var scheduleExpression: String?
    /// `1h` to `24h`.
    public var duration: String?

    /// Checks the rules as AWS does.
    /// - Parameters:
    ///   - automaticallyAfterDays: 1 to 1000.
    ///   - scheduleExpression: `rate(...)` or `cron(...)`.
    ///   - duration: the window's length.
    public init(automaticallyAfterDays: Int?, scheduleExpression: String?, duration: String?) throws(SealboxError) {
        self.automaticallyAfterDays = automaticallyAfterDays
        self.scheduleExpression = scheduleExpression
        self.duration = duration
        if automaticallyAfterDays != nil, scheduleExpression != nil {
            throw SealboxError.invalidParameter(
                "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.")
        }
        if let days = automaticallyAfterDays, !(1...1000).contains(days) {
            throw SealboxError.invalidParameter("AutomaticallyAfterDays must be between 1 and 1000.")
        }
        _ = try interval()
        if let duration {
            guard duration.hasSuffix("h"), let hours = Int(duration.dropLast()), (1...24).contains(hours) else {
                throw SealboxError.invalidParameter(
                    "Duration must be a number of hours from 1h to 24h, for example 3h.")
            }
        }
    }

    /// The schedule's form, parsed.
    private enum Interval {
        case days(Int)
        case hours(Int)
        case cron(CronExpression)
        case none
    }

    private func interval() throws(SealboxError) -> Interval {
        if let days = automaticallyAfterDays { return .days(days) }
        guard let expression = scheduleExpression else { return .none }
        if expression.hasPrefix("rate("), expression.hasSuffix(")") {
            let parts = expression.dropFirst(5).dropLast().split(separator: " ")
            if parts.count == 2, let count = Int(parts[0]) {
                if ["day", "days"].contains(parts[1]), (1...1000).contains(count) { return .days(count) }
                if ["hour", "hours"].contains(parts[1]), (4...23).contains(count) { return .hours(count) }
            }
            throw SealboxError.invalidParameter(
                "ScheduleExpression rate() takes 1 to 1000 days or 4 to 23 hours, for example rate(10 days).")
        }
        if expression.hasPrefix("cron("), expression.hasSuffix(")") {
            return .cron(try CronExpression(String(expression.dropFirst(5).dropLast())))
        }
        throw SealboxError.invalidParameter(
            "ScheduleExpression must be rate(...) or cron(...), not '\(expression)'.")
    }

    /// When the next rotation window opens after `time`, or nil for rules without a schedule.
    /// - Parameter time: the last rotation, or when rotation was turned on (seconds since 1970).
    public func next(after time: Double) -> Double? {
        guard let interval = try? interval() else { return nil }
        switch interval {
        case .days(let days):
            return ((time / 86_400).rounded(.down) + Double(days)) * 86_400
        case .hours(let hours):
            return time + Double(hours) * 3_600
        case .cron(let cron):
            return cron.next(after: time)
        case .none:
            return nil
        }
    }
}

/// An AWS cron expression: minutes, hours, day of month, month, day of week (1 is Sunday) and year,
/// each `*`, a value, a range, a list or a step; `?` for one of the two day fields, `L` for the
/// month's last day; months and days may be named (`JAN`, `MON`).
struct CronExpression: Sendable, Hashable {
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let daysOfMonth: Set<Int>?
    private let lastDayOfMonth: Bool
    private let months: Set<Int>
    private let daysOfWeek: Set<Int>?
    private let years: Set<Int>

    init(_ text: String) throws(SealboxError) {
        let fields = text.split(separator: " ").map(String.init)
        func fail(_ why: String) -> SealboxError {
            SealboxError.invalidParameter("ScheduleExpression cron(\(text)) is not valid: \(why).")
        }
        guard fields.count == 6 else {
            throw fail("it needs 6 fields: minutes hours day-of-month month day-of-week year")
        }
        let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        func parse(_ field: String, _ range: ClosedRange<Int>, names: [String] = []) throws(SealboxError) -> Set<Int> {
            func number(_ text: Substring) throws(SealboxError) -> Int {
                if let index = names.firstIndex(of: text.uppercased()) { return index + range.lowerBound }
                guard let value = Int(text), range.contains(value) else {
                    throw fail("'\(text)' is outside \(range.lowerBound)-\(range.upperBound)")
                }
                return value
            }
            var values = Set<Int>()
            for part in field.split(separator: ",", omittingEmptySubsequences: false) {
                let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
                guard pieces.count <= 2, !pieces[0].isEmpty else { throw fail("'\(part)' is not a value") }
                var low = range.lowerBound
                var high = range.upperBound
                if pieces[0] != "*" {
                    let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                    guard bounds.count <= 2 else { throw fail("'\(part)' is not a range") }
                    low = try number(bounds[0])
                    high = bounds.count == 2 ? try number(bounds[1]) : (pieces.count == 2 ? range.upperBound : low)
                    guard low <= high else { throw fail("'\(part)' is an empty range") }
                }
                var step = 1
                if pieces.count == 2 {
                    guard let value = Int(pieces[1]), value > 0 else { throw fail("'\(part)' has no valid step") }
                    step = value
                }
                values.formUnion(stride(from: low, through: high, by: step))
            }
            return values
        }
        minutes = try parse(fields[0], 0...59)
        hours = try parse(fields[1], 0...23)
        months = try parse(fields[3], 1...12, names: monthNames)
        years = fields[5] == "*" ? Set(1970...2199) : try parse(fields[5], 1970...2199)
        guard (fields[2] == "?") != (fields[4] == "?") else {
            throw fail("exactly one of day-of-month and day-of-week must be ?")
        }
        lastDayOfMonth = fields[2] == "L"
        daysOfMonth = fields[2] == "?" || lastDayOfMonth ? nil : try parse(fields[2], 1...31)
        daysOfWeek = fields[4] == "?" ? nil : try parse(fields[4], 1...7, names: dayNames)
    }

    /// The first whole minute after `time` that matches, looking up to five years ahead.
    func next(after time: Double) -> Double? {
        let start = Int((time / 60).rounded(.down)) + 1
        let firstDay = start / 1_440
        for day in firstDay..<(firstDay + 5 * 366) where matches(day: day) {
            for hour in hours.sorted() {
                for minute in minutes.sorted() {
                    let candidate = day * 1_440 + hour * 60 + minute
                    if candidate >= start { return Double(candidate) * 60 }
                }
            }
        }
        return nil
    }

    private func matches(day: Int) -> Bool {
        let (year, month, dayOfMonth) = Self.civil(day)
        guard years.contains(year), months.contains(month) else { return false }
        if let daysOfWeek { return daysOfWeek.contains((day % 7 + 11) % 7 + 1) }
        if lastDayOfMonth { return Self.civil(day + 1).month != month }
        return daysOfMonth?.contains(dayOfMonth) ?? false
    }

    /// The calendar date of a day counted from 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
