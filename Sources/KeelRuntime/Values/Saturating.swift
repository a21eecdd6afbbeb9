extension Int64 {
    /// `self + other`, held at the ends of the range instead of overflowing: a deadline a million
    /// years away is simply "never" on a 64-bit nanosecond clock.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(other)
        return o ? (other > 0 ? .max : .min) : r
    }

    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (r, o) = subtractingReportingOverflow(other)
        return o ? (other < 0 ? .max : .min) : r
    }
}
