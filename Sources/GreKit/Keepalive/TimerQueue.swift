/// Deadlines on the monotonic clock, earliest first: a binary min-heap, so adding
/// and taking a timer cost O(log n) however many tunnels are watched. Timers with
/// the same deadline come out in the order they were added.
public struct TimerQueue<Element> {
    private struct Timer {
        var deadline: Int64
        var order: UInt64
        var element: Element

        func precedes(_ other: Timer) -> Bool {
            (deadline, order) < (other.deadline, other.order)
        }
    }

    private var heap: [Timer] = []
    private var added: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }

    /// The earliest deadline, if any timer is set.
    public var nextDeadline: Int64? { heap.first?.deadline }

    public mutating func schedule(_ element: Element, at deadline: Int64) {
        heap.append(Timer(deadline: deadline, order: added, element: element))
        added += 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest timer if its deadline is at or before `now`.
    public mutating func popDue(at now: Int64) -> (deadline: Int64, element: Element)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return (first.deadline, first.element)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var first = left
            if left + 1 < heap.count, heap[left + 1].precedes(heap[left]) { first = left + 1 }
            guard heap[first].precedes(heap[parent]) else { return }
            heap.swapAt(first, parent)
            parent = first
        }
    }
}
