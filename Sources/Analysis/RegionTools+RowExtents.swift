import Foundation

extension RegionTools {
    /// Per image row, the first and last column inside `mask` (−1 in a row without any) and the number of columns
    /// inside: the body's outline row by row (its midline is (first + last) ÷ 2).
    public static func rowExtents(_ mask: [Bool], rows: Int, columns: Int) -> (first: [Int], last: [Int], count: [Int]) {
        var first = [Int](repeating: -1, count: rows), last = first, count = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            for c in 0..<columns where mask[r * columns + c] {
                count[r] += 1
                if first[r] < 0 { first[r] = c }
                last[r] = c
            }
        }
        return (first, last, count)
    }
}
