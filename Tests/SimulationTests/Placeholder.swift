import Testing
@testable import Simulation

@Test func moduleLinks() { #expect(Bool(true)) }
