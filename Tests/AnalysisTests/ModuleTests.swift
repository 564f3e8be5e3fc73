import Testing
@testable import Analysis

@Test func analysisConventionsVersionIsSet() {
    #expect(AnalysisModule.conventionsVersion >= 1)
}
