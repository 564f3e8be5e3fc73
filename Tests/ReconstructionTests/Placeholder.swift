import Testing
@testable import Reconstruction

@Test func moduleLinks() { #expect(Bool(true)) }
