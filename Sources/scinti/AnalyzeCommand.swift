import ArgumentParser

/// `scinti analyze`: the clinical analyses (one subcommand each).
struct AnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Clinical analyses of planar, whole-body, gated and serial studies.",
        subcommands: [
            // issue 5 part A
            AnalyzeLVEF.self, AnalyzeThyroidUptake.self, AnalyzeParathyroid.self,
            // issue 5 part B
            SentinelCommand.self, BoneScanCommand.self, KrenningCommand.self, MIBGCommand.self,
        ]
    )
}
