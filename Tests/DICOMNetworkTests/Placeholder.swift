import Testing
@testable import DICOMNetwork

@Test func moduleLinks() { #expect(Bool(true)) }
