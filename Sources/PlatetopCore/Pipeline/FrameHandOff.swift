import Foundation

/// The bounded hand-off between the decode queue and the recognize queue.
///
/// Holds at most `capacity` items. With `.dropOldest` a full hand-off discards its oldest item
/// (counted in `dropped`) so the decoder never waits and memory stays bounded; with `.block`
/// the producer waits until there is room (lossless replay of files).
///
/// `@unchecked Sendable`: every stored mutable property is only touched while `condition` is locked.
public final class FrameHandOff<Item: Sendable>: @unchecked Sendable {
    public enum Policy: String, Sendable { case dropOldest, block }

    public let capacity: Int
    public let policy: Policy
    private let condition = NSCondition()
    private var items: [Item] = []
    private var droppedCount = 0
    private var closed = false

    public init(capacity: Int, policy: Policy) {
        precondition(capacity >= 1)
        self.capacity = capacity
        self.policy = policy
    }

    /// Adds an item; returns false when the hand-off was closed (the item is discarded).
    @discardableResult
    public func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count >= capacity && policy == .block {
            condition.wait()
        }
        if closed { return false }
        if items.count >= capacity {
            items.removeFirst()
            droppedCount += 1
        }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Takes the oldest item, waiting up to `timeoutSeconds`; nil on timeout or when closed and empty.
    public func take(timeoutSeconds: Double) -> Item? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeoutSeconds)
        while items.isEmpty && !closed {
            if !condition.wait(until: deadline) { break }
        }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// No more items will be put; takers drain what is left, blocked producers return.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    public var isClosedAndEmpty: Bool { locked { closed && items.isEmpty } }
    public var count: Int { locked { items.count } }
    public var dropped: Int { locked { droppedCount } }
}
