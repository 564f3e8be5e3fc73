import Testing
@testable import Archive

@Test func moduleLinks() { #expect(Bool(true)) }
