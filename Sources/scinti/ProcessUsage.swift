import Foundation

/// CPU seconds (user + system) this process has used so far (getrusage), for the benchmarks' CPU-time figures.
func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec)
        + Double(u.ru_stime.tv_usec) / 1e6
}

/// Peak resident set size of this process (MiB; Linux reports `ru_maxrss` in KiB).
func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

/// CPU time of the whole machine from the first line of `/proc/stat` (clock ticks, all cores together).
struct MachineTicks {
    var busy = 0.0, steal = 0.0, total = 0.0
    let cores = Double(ProcessInfo.processInfo.activeProcessorCount)

    static func now() -> MachineTicks {
        var m = MachineTicks()
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else { return m }
        // user nice system idle iowait irq softirq steal (guest time is included in user).
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 8 else { return m }
        m.busy = v[0] + v[1] + v[2] + v[5] + v[6]
        m.steal = v[7]
        m.total = v[0..<8].reduce(0, +)
        return m
    }

    func since(_ earlier: MachineTicks) -> MachineTicks {
        var d = MachineTicks()
        d.busy = busy - earlier.busy; d.steal = steal - earlier.steal; d.total = total - earlier.total
        return d
    }
    /// Cores busy on average (0 when /proc/stat could not be read).
    var busyCores: Double { total > 0 ? busy / total * cores : 0 }
    /// Percent of the machine's time stolen by the hypervisor.
    var stealPercent: Double { total > 0 ? steal / total * 100 : 0 }
}
