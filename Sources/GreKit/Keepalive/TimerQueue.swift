/// Deadlines on the monotonic clock, earliest first, so adding and taking a timer cost
/// O(log n) however many tunnels are watched, and O(1) for the timers of a hub: those
/// scheduled in the order of their deadlines (each target's next keepalive one interval
/// after the last, the targets taken in the order they fell due) go to the back of a
/// queue that stays sorted, read in order of memory; the others to a binary min-heap.
/// Timers with the same deadline come out in the order they were added.
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
    /// Timers in the order of their deadlines from `head` on; those before it are taken.
    private var sorted: [Timer] = []
    private var head = 0
    private var added: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty && head == sorted.count }

    /// The earliest deadline, if any timer is set.
    public var nextDeadline: Int64? { earliest?.deadline }

    private var earliest: Timer? {
        let queued = head < sorted.count ? sorted[head] : nil
        guard let first = heap.first else { return queued }
        guard let queued else { return first }
        return queued.precedes(first) ? queued : first
    }

    public mutating func schedule(_ element: Element, at deadline: Int64) {
        let timer = Timer(deadline: deadline, order: added, element: element)
        added += 1
        if head == sorted.count || sorted[sorted.count - 1].deadline <= deadline {
            sorted.append(timer)
        } else {
            heap.append(timer)
            siftUp(heap.count - 1)
        }
    }

    /// Removes and returns the earliest timer if its deadline is at or before `now`.
    public mutating func popDue(at now: Int64) -> (deadline: Int64, element: Element)? {
        guard let first = earliest, first.deadline <= now else { return nil }
        if head < sorted.count, sorted[head].order == first.order {
            head += 1
            // The taken timers' room is given back once they are half the array (each
            // timer moved at most once on average), or at once when none is left.
            if head == sorted.count {
                sorted.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024, 2 * head >= sorted.count {
                sorted.removeFirst(head)
                head = 0
            }
        } else {
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown(0)
            }
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
