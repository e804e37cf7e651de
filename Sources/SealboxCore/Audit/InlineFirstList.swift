/// A list whose first element is held inline: a request touches one resource and serves at most one
/// secret nearly always, and an array for each was two allocations per request.
struct InlineFirstList<Element>: Sequence {
    private var first: Element?
    private var rest: [Element] = []

    mutating func append(_ element: Element) {
        if first == nil { first = element } else { rest.append(element) }
    }

    func makeIterator() -> Iterator { Iterator(first: first, rest: rest.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var first: Element?
        var rest: IndexingIterator<[Element]>

        mutating func next() -> Element? {
            if let element = first.take() { return element }
            return rest.next()
        }
    }
}
