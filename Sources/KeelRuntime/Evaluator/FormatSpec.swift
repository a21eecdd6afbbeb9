import Foundation
/// `{value:spec}` in a string: `[<|>|^][width][.precision][f]`, filled with spaces.
struct FormatSpec {
    enum Align { case left, right, center }
    var align: Align?
    var width = 0
    var precision: Int?
    var fixed = false

    static func parse(_ text: String) -> FormatSpec? {
        var spec = FormatSpec()
        var chars = Substring(text)
        switch chars.first {
        case "<": spec.align = .left; chars.removeFirst()
        case ">": spec.align = .right; chars.removeFirst()
        case "^": spec.align = .center; chars.removeFirst()
        default: break
        }
        var width = ""
        while let c = chars.first, c.isASCII, c.isNumber { width.append(c); chars.removeFirst() }
        if !width.isEmpty { guard let w = Int(width), w <= 1000 else { return nil }; spec.width = w }
        if chars.first == "." {
            chars.removeFirst()
            var p = ""
            while let c = chars.first, c.isASCII, c.isNumber { p.append(c); chars.removeFirst() }
            guard let n = Int(p), n <= 100 else { return nil }
            spec.precision = n
        }
        if chars.first == "f" { spec.fixed = true; chars.removeFirst() }
        return chars.isEmpty ? spec : nil
    }

    func apply(_ v: Value, _ interp: Interpreter) throws -> String {
        var text: String
        if precision != nil || fixed {
            let d: Double
            switch v {
            case .int(let i): d = Double(i)
            case .float(let x): d = x
            default: throw KeelError(ErrorKind.type, "format `.precision`/`f` needs a number, got \(v.typeName)")
            }
            text = fixedPoint(d, precision ?? 6)
        } else {
            text = try interp.interpolationText(v)
        }
        let n = text.count
        guard width > n else { return text }
        let fill = width - n
        // Numbers align right by default, like the reference's bare width.
        let alignment = align ?? .right
        switch alignment {
        case .left: return text + String(repeating: " ", count: fill)
        case .right: return String(repeating: " ", count: fill) + text
        case .center:
            let left = fill / 2
            return String(repeating: " ", count: left) + text + String(repeating: " ", count: fill - left)
        }
    }
}

/// Fixed-point decimal text with `digits` places, rounding half to even on the exact binary value.
func fixedPoint(_ d: Double, _ digits: Int) -> String {
    if !d.isFinite { return formatFloat(d) }
    // Swift's String(format:) needs Foundation; use a decimal expansion of the shortest digits instead.
    let scale = pow10(digits)
    let scaled = (abs(d) * scale).rounded(.toNearestOrEven)
    if scaled >= 9e18 { return formatFloat(d) }
    var n = UInt64(scaled)
    var frac = ""
    for _ in 0..<digits { frac = String(n % 10) + frac; n /= 10 }
    let sign = d < 0 && scaled != 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(n)" : "\(sign)\(n).\(frac)"
}

func pow10(_ n: Int) -> Double {
    Foundation.pow(10.0, Double(max(-400, min(400, n))))
}

/// `d` rounded to `places` decimal places (negative: to tens, hundreds, ...), half away from zero.
/// Places beyond what a double holds leave it as it is.
func rounded(_ d: Double, places: Int) -> Double {
    guard d.isFinite else { return d }
    if places > 17 { return d }
    if places < -308 { return 0 * d }
    let scale = pow10(abs(places))
    if places >= 0 {
        let scaled = d * scale
        return scaled.isFinite ? scaled.rounded(.toNearestOrAwayFromZero) / scale : d
    }
    return (d / scale).rounded(.toNearestOrAwayFromZero) * scale
}
