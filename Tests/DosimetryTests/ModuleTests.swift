import Testing
@testable import Dosimetry

@Test func dosimetryConventionsVersionIsSet() {
    #expect(DosimetryModule.conventionsVersion >= 1)
}
