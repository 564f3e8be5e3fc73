import Testing
@testable import Physics

@Test func moduleLinks() { #expect(Bool(true)) }
