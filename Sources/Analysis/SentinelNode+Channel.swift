import Foundation
import Imaging

extension SentinelNodeAnalysis {
    /// The lymphatic channel traced from the injection site to one node (issue 18: "follow the lymphatic channel,
    /// report nodes in drainage order").
    ///
    /// The channel is the minimal-cost path on the smoothed view from the injection site's centre to the node, with
    /// the cost of a step = its length × (tissue ÷ max(counts, 5 % of tissue))² (tissue: the median of the view's body,
    /// pixels ≥ 10 % of its 90th percentile outside the injection mask): a visible channel (counts above the tissue)
    /// is cheap to follow, air is dear, and where no channel is seen the path runs straight through the tissue. A
    /// node downstream of another is reached through it (nodes are hot, so cheap), hence the drainage order is the
    /// ascending path cost.
    public struct Channel: Sendable, Codable, Equatable {
        /// Index (in ``Result/nodes``) of the node the channel passes through (within the counting radius) last
        /// before reaching this one; nil: the node drains directly from the injection site.
        public var upstreamNode: Int?
        /// Path cost (tissue-equivalent mm: the length a path through plain tissue would have).
        public var costMM: Double
        /// Geometric length of the path outside the injection mask (mm).
        public var lengthMM: Double
        /// Mean smoothed counts along the path outside the injection mask and the node discs ÷ the tissue level
        /// (≈ 1: no channel seen, the order then rests on distance through tissue; > 1: a visible channel).
        public var contrast: Double
        /// Path points (0-based column, row) from the injection site to the node, every other pixel.
        public var path: [[Double]]
    }

    /// Traces the channel of every node of one view (minimal-cost paths from the injection site, one Dijkstra
    /// search, 8-connected) and returns them in node order. `nodeRadius`: the counting radius (pixels) within which a
    /// path passing a node counts as passing through it.
    static func traceChannels(smoothed s: [Float], rows: Int, columns cols: Int, mask: [Bool], site: (column: Double, row: Double),
                              nodes: [(column: Double, row: Double)], nodeRadius: Double, pixelMM: Double) -> [Channel] {
        guard !nodes.isEmpty else { return [] }
        let np = rows * cols
        let outside = (0..<np).filter { !mask[$0] }.map { Double(s[$0]) }.sorted()
        let p90 = outside.isEmpty ? 0 : outside[Int(0.9 * Double(outside.count - 1))]
        let body = outside.filter { $0 >= 0.1 * p90 && $0 > 0 }
        let tissue = body.isEmpty ? max(1e-6, p90) : body[body.count / 2]
        let floorV = 0.05 * tissue
        // Squared: a faint channel seen on the smoothed view (about 2 × tissue) must be cheaper to follow than a
        // shortcut through tissue when it runs on through a node (SentinelChannelTests: the path to B via A along the
        // channel is 133 px against 57 px straight; at the linear cost ratio 0.47 the shortcut won, at 0.22 it loses).
        // Plain tissue still costs its length, so without a channel the order is still the distance through tissue.
        let cost = s.map { let q = tissue / max(Double($0), floorV); return q * q }
        // Dijkstra from the site's centre pixel.
        let start = min(rows - 1, max(0, Int(site.row.rounded()))) * cols + min(cols - 1, max(0, Int(site.column.rounded())))
        var dist = [Double](repeating: .infinity, count: np), prev = [Int](repeating: -1, count: np)
        var heap = MinHeap()
        dist[start] = 0
        heap.push(0, start)
        let steps: [(Int, Int, Double)] = [(-1, 0, 1), (1, 0, 1), (0, -1, 1), (0, 1, 1), (-1, -1, 2.0.squareRoot()), (1, -1, 2.0.squareRoot()),
                                          (-1, 1, 2.0.squareRoot()), (1, 1, 2.0.squareRoot())]
        while let (d, i) = heap.pop() {
            if d > dist[i] { continue }
            let r = i / cols, c = i % cols
            for (dc, dr, len) in steps {
                let rr = r + dr, cc = c + dc
                guard rr >= 0, cc >= 0, rr < rows, cc < cols else { continue }
                let j = rr * cols + cc
                let nd = d + len * 0.5 * (cost[i] + cost[j])
                if nd < dist[j] { dist[j] = nd; prev[j] = i; heap.push(nd, j) }
            }
        }
        let pixels = nodes.map { min(rows - 1, max(0, Int($0.row.rounded()))) * cols + min(cols - 1, max(0, Int($0.column.rounded()))) }
        return nodes.indices.map { k -> Channel in
            var chain: [Int] = []
            var i = pixels[k]
            while i >= 0 { chain.append(i); i = prev[i] }
            chain.reverse()
            var upstream: Int? = nil, length = 0.0, sum = 0.0, n = 0.0
            for (m, p) in chain.enumerated() {
                let r = Double(p / cols), c = Double(p % cols)
                if m > 0, !mask[p] {
                    let q = chain[m - 1]
                    length += hypot(Double(q % cols) - c, Double(q / cols) - r) * pixelMM
                }
                var inNode = false
                for (j, nd) in nodes.enumerated() where j != k && hypot(nd.column - c, nd.row - r) <= nodeRadius {
                    upstream = j; inNode = true
                }
                if !mask[p] && !inNode && hypot(nodes[k].column - c, nodes[k].row - r) > nodeRadius { sum += Double(s[p]); n += 1 }
            }
            let path = chain.enumerated().filter { $0.offset % 2 == 0 || $0.offset == chain.count - 1 }.map { [Double($0.element % cols), Double($0.element / cols)] }
            return Channel(upstreamNode: upstream, costMM: dist[pixels[k]] * pixelMM, lengthMM: length,
                           contrast: n > 0 ? sum / n / tissue : 1, path: path)
        }
    }

    /// Drainage order of each view's nodes along the traced channels: ascending channel cost from the injection site
    /// (a node reached through another comes after it), 1-based, per view; nodes without a channel by distance.
    static func drainageOrder(_ nodes: [Node], channels: [Channel?]) -> [Int] {
        var order = [Int](repeating: 0, count: nodes.count)
        for view in Set(nodes.map(\.view)) {
            let idx = nodes.indices.filter { nodes[$0].view == view }.sorted {
                (channels[$0]?.costMM ?? nodes[$0].distanceFromInjectionMM) < (channels[$1]?.costMM ?? nodes[$1].distanceFromInjectionMM)
            }
            for (k, i) in idx.enumerated() { order[i] = k + 1 }
        }
        return order
    }

    /// A binary min-heap of (cost, pixel) for the path search.
    struct MinHeap {
        private var items: [(Double, Int)] = []
        mutating func push(_ key: Double, _ value: Int) {
            items.append((key, value))
            var i = items.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard items[i].0 < items[p].0 else { break }
                items.swapAt(i, p); i = p
            }
        }
        mutating func pop() -> (Double, Int)? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < items.count && items[l].0 < items[m].0 { m = l }
                    if r < items.count && items[r].0 < items[m].0 { m = r }
                    if m == i { break }
                    items.swapAt(i, m); i = m
                }
            }
            return top
        }
    }
}
