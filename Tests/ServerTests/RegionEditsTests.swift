import Dosimetry
import Foundation
import Hummingbird
import Testing
import Workflows

@testable import Server

/// The job field `regions` (docs/review.md): every malformed region is refused with a message naming its field.
struct RegionEditsTests {
    static func region(_ json: String) throws -> [ResultDisplay.Region] {
        try JSONDecoder().decode([ResultDisplay.Region].self, from: Data(json.utf8))
    }

    /// The message of the 400 that `validate` throws on a 64 × 64 image with 48 frames.
    static func refusal(_ json: String) throws -> String? {
        do { try RegionEdits.validate(try region(json), rows: 64, columns: 64, frames: 48) } catch let e as HTTPError {
            #expect(e.status == .badRequest)
            return e.body
        }
        return nil
    }

    @Test func validRegionsPass() throws {
        #expect(try Self.refusal(##"[{"label":"LV slot 1","colour":"#e62828","frames":[3],"shape":"mask","runs":[100,4,164,4]},"## +
                                 ##"{"label":"background","colour":"#2bb04a","frames":[],"shape":"circle","column":10.5,"row":63,"radius":3}]"##) == nil)
    }

    @Test func eachProblemNamesItsField() throws {
        let cases: [(String, String)] = [
            (##"[{"label":"a","colour":"#fff","frames":[0],"shape":"mask","runs":[1,2,3]}]"##, "regions[0].runs:"),
            (##"[{"label":"a","colour":"#fff","frames":[0],"shape":"mask","runs":[4090,10]}]"##, "regions[0].runs[0]:"),
            (##"[{"label":"a","colour":"#fff","frames":[0],"shape":"mask","runs":[10,5,12,2]}]"##, "regions[0].runs[2]:"),
            (##"[{"label":"a","colour":"#fff","frames":[0],"shape":"mask","runs":[10,0]}]"##, "regions[0].runs[1]:"),
            (##"[{"label":"a","colour":"#fff","frames":[0,48],"shape":"circle","column":3,"row":3,"radius":2}]"##, "regions[0].frames[1]:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":64,"row":3,"radius":2}]"##, "regions[0].column:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"square","column":3,"row":-1,"radius":2}]"##, "regions[0].row:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":0}]"##, "regions[0].radius:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3}]"##, "regions[0].radius:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"polygon"}]"##, "regions[0].shape:"),
            (##"[{"label":"","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":1}]"##, "regions[0].label:"),
            (##"[{"label":"a","colour":"red;x","frames":[],"shape":"circle","column":3,"row":3,"radius":1}]"##, "regions[0].colour:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":1},{"label":"a","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":1}]"##, "regions[1].label:"),
            ("[]", "regions:"),
        ]
        for (json, field) in cases {
            let message = try Self.refusal(json)
            #expect(message?.hasPrefix(field) == true, "\(json) → \(message ?? "accepted")")
        }
    }

    @Test func undecodableRegionsNameTheField() throws {
        struct Body: Decodable { var regions: [ResultDisplay.Region] }
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(##"{"regions":[{"label":"a","frames":[],"shape":"circle"}]}"##.utf8))
            Issue.record("decoded a region without a colour")
        } catch {
            #expect(describeDecoding(error) == "regions[0].colour: missing")
        }
    }

    /// Circles and squares cover the pixels whose centre lies inside (the rule of PlanarROI.disc), counted here by hand.
    @Test func shapesCoverPixelCentres() throws {
        let r = try Self.region(##"[{"label":"c","colour":"#fff","frames":[],"shape":"circle","column":5,"row":5,"radius":2},"## +
                                ##"{"label":"s","colour":"#fff","frames":[],"shape":"square","column":5,"row":5,"radius":1.5}]"##)
        var disc = 0
        for y in 0..<11 { for x in 0..<11 where (x - 5) * (x - 5) + (y - 5) * (y - 5) <= 4 { disc += 1 } }
        #expect(r[0].inside(rows: 11, columns: 11).filter { $0 }.count == disc)   // 13 pixels
        #expect(r[1].inside(rows: 11, columns: 11).filter { $0 }.count == 9)      // 3 × 3 centres within ±1.5
    }
}

/// Edited VOIs of a dose job (docs/review.md): masks over the first visit's SPECT voxels, refused with the field named;
/// the automatic VOIs replaced by label.
struct DoseVOIEditsTests {
    static func refusal(_ json: String) throws -> String? {
        do { try RegionEdits.validateVOIs(try RegionEditsTests.region(json), columns: 8, rows: 8, slices: 4) } catch let e as HTTPError {
            #expect(e.status == .badRequest)
            return e.body
        }
        return nil
    }

    @Test func eachProblemNamesItsField() throws {
        #expect(try Self.refusal(##"[{"label":"liver","colour":"#fff","frames":[],"shape":"mask","runs":[0,10,250,6]}]"##) == nil)
        let cases: [(String, String)] = [
            (##"[{"label":"liver","colour":"#fff","frames":[],"shape":"circle","column":3,"row":3,"radius":2}]"##, "regions[0].shape:"),
            (##"[{"label":"liver","colour":"#fff","frames":[1],"shape":"mask","runs":[0,10]}]"##, "regions[0].frames:"),
            (##"[{"label":"liver","colour":"#fff","frames":[],"shape":"mask","runs":[250,7]}]"##, "regions[0].runs[0]:"),
            (##"[{"label":"liver","colour":"#fff","frames":[],"shape":"mask"}]"##, "regions[0].runs:"),
            (##"[{"label":"a","colour":"#fff","frames":[],"shape":"mask","runs":[0,1]},{"label":"a","colour":"#fff","frames":[],"shape":"mask","runs":[0,1]}]"##, "regions[1].label:"),
        ]
        for (json, field) in cases {
            let m = try Self.refusal(json)
            #expect(m?.hasPrefix(field) == true, "\(json) → \(m ?? "accepted")")
        }
    }

    @Test func replacesByLabelAndNamesUnknownLabels() throws {
        let auto = [DoseVOI(name: "liver", mask: [true, true, false, false]), DoseVOI(name: "spleen", mask: [false, false, true, true])]
        let edited = try RegionEdits.replacing(auto, with: try RegionEditsTests.region(##"[{"label":"spleen","colour":"#fff","frames":[],"shape":"mask","runs":[3,1]}]"##), count: 4)
        #expect(edited.map(\.name) == ["liver", "spleen"])
        #expect(edited[0].mask == [true, true, false, false])
        #expect(edited[1].mask == [false, false, false, true])
        #expect(throws: WorkflowError.self) {
            _ = try RegionEdits.replacing(auto, with: try RegionEditsTests.region(##"[{"label":"kidney","colour":"#fff","frames":[],"shape":"mask","runs":[0,1]}]"##), count: 4)
        }
    }
}
