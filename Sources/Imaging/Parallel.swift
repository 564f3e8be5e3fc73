/// Wraps a value (typically an unsafe buffer pointer into storage that outlives a parallel loop) so it can be
/// captured by `DispatchQueue.concurrentPerform`'s `@Sendable` closure. The caller guarantees that concurrent
/// iterations touch disjoint elements.
public struct SendableBox<T>: @unchecked Sendable {
    /// The wrapped value.
    public let value: T
    /// Wraps a value.
    @inlinable public init(_ value: T) { self.value = value }
}
