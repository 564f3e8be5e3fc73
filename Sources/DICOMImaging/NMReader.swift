import DICOM
import Imaging

/// Reads NM multi-frame images (every NM Image Type) into ``Imaging/NMAcquisition``.
///
/// Frame positions come from the Frame Increment Pointer (0028,0009) and the vectors it names, read per frame
/// (no vector is assumed to repeat across windows — Siemens interleaves rotations between windows). Every
/// default the reader has to apply (radial position, missing activity, …) is listed in
/// ``Imaging/NMAcquisition/warnings``; no number is guessed silently.
public enum NMReader {
    /// The frame-index vectors of the NM Multi-frame Module and the dimension each one sets.
    static var vectors: [(tag: Tag, name: String, keyPath: WritableKeyPath<FrameIndex, Int?>)] { [
        (T.energyWindowVector, "Energy Window Vector", \.energyWindow),
        (T.detectorVector, "Detector Vector", \.detector),
        (T.phaseVector, "Phase Vector", \.phase),
        (T.rotationVector, "Rotation Vector", \.rotation),
        (T.rrIntervalVector, "R-R Interval Vector", \.rrInterval),
        (T.timeSlotVector, "Time Slot Vector", \.timeSlot),
        (T.sliceVector, "Slice Vector", \.slice),
        (T.angularViewVector, "Angular View Vector", \.angularView),
        (T.timeSliceVector, "Time Slice Vector", \.timeSlice),
    ] }

    /// The vectors PS3.3 C.8.4.8 requires in the Frame Increment Pointer for each image type.
    static func requiredVectors(_ t: NMImageType) -> [Tag] {
        switch t {
        case .staticImage, .wholeBody: return [T.energyWindowVector, T.detectorVector]
        case .dynamic: return [T.energyWindowVector, T.detectorVector, T.phaseVector, T.timeSliceVector]
        case .gated: return [T.energyWindowVector, T.detectorVector, T.rrIntervalVector, T.timeSlotVector]
        case .tomo: return [T.energyWindowVector, T.detectorVector, T.rotationVector, T.angularViewVector]
        case .gatedTomo: return [T.energyWindowVector, T.detectorVector, T.rotationVector, T.rrIntervalVector,
                                 T.timeSlotVector, T.angularViewVector]
        case .reconTomo: return [T.sliceVector]
        case .reconGatedTomo: return [T.rrIntervalVector, T.timeSlotVector, T.sliceVector]
        }
    }

    /// Reads a file: header and (unless `loadPixels` is false) the counts of every frame.
    public static func read(path: String, loadPixels: Bool = true) throws(DICOMError) -> NMAcquisition {
        let file = try DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: !loadPixels))
        return try read(file, loadPixels: loadPixels)
    }

    /// Reads a parsed file: header and (unless `loadPixels` is false) the counts of every frame.
    public static func read(_ file: DICOMFile, loadPixels: Bool = true) throws(DICOMError) -> NMAcquisition {
        var acq = try acquisition(from: file.dataset, source: file.source)
        if loadPixels {
            let pixels = try PixelData.decode(file)
            guard pixels.samplesPerPixel == 1 else {
                throw DICOMError(.unsupported, file: file.source, tag: .samplesPerPixel, "NM counts must have one sample per pixel, found \(pixels.samplesPerPixel)")
            }
            let ds = file.dataset
            if ds.contains(.rescaleSlope) || ds.contains(.rescaleIntercept) {
                acq.counts = PixelData.applyRescale(pixels, dataset: ds)
                acq.warnings.append("Rescale Slope/Intercept (\(fmt(ds.double(.rescaleSlope) ?? 1)), \(fmt(ds.double(.rescaleIntercept) ?? 0))) applied to the stored values")
            } else {
                acq.counts = pixels.floats()
            }
        }
        return acq
    }

    /// The NM image type from Image Type (0008,0008) value 3, tolerating a literal bracketed string.
    static func imageType(_ ds: Dataset) -> NMImageType? {
        var values = ds.strings(.imageType)
        if values.count == 1, let v = values.first, v.hasPrefix("[") {
            values = v.trimmingCharacters(in: ["[", "]"]).split(separator: ",").map {
                $0.trimmingCharacters(in: [" ", "'", "\""])
            }
        }
        guard values.count >= 3 else { return nil }
        return NMImageType(rawValue: values[2].uppercased())
    }

    /// Builds the acquisition description from a data set (no pixels).
    public static func acquisition(from ds: Dataset, source: String? = nil) throws(DICOMError) -> NMAcquisition {
        var warnings: [String] = []
        // A PET, CT or other image is not a gamma-camera acquisition: refuse it by name instead of reading its
        // values as counts (a PET slice analysed as a bone scan). An absent Modality is read as NM with a warning.
        switch ds.string(.modality)?.uppercased() {
        case nil: warnings.append("Modality (0008,0060) missing; read as NM")
        case "NM": break
        case let modality?:
            throw DICOMError(.unsupported, file: source, tag: .modality,
                             "Modality (0008,0060) is \(modality); an NM (gamma camera) image is needed")
        }
        let nFrames = max(1, ds.int(.numberOfFrames) ?? 1)
        let fip = ds.tagValues(.frameIncrementPointer)

        // Image type.
        let type: NMImageType
        if let t = imageType(ds) {
            type = t
        } else {
            let inferred: NMImageType
            if fip.contains(T.sliceVector) { inferred = fip.contains(T.rrIntervalVector) ? .reconGatedTomo : .reconTomo }
            else if fip.contains(T.angularViewVector) { inferred = fip.contains(T.rrIntervalVector) ? .gatedTomo : .tomo }
            else if fip.contains(T.phaseVector) || fip.contains(T.timeSliceVector) { inferred = .dynamic }
            else if fip.contains(T.rrIntervalVector) { inferred = .gated }
            else { inferred = .staticImage }
            warnings.append("Image Type (0008,0008) value 3 is missing or not an NM image type (\(ds.strings(.imageType))); \(inferred.rawValue) inferred from the Frame Increment Pointer")
            type = inferred
        }

        // Per-frame vectors.
        var frames = (0..<nFrames).map { FrameIndex(frame: $0) }
        for v in vectors {
            let inFIP = fip.contains(v.tag)
            let values = ds.ints(v.tag)
            if inFIP {
                guard values.count == nFrames else {
                    throw DICOMError(values.isEmpty ? .missingAttribute : .invalidValue, file: source, tag: v.tag,
                                     "the Frame Increment Pointer names the \(v.name) but it has \(values.count) values for \(nFrames) frames")
                }
            } else if values.count != nFrames {
                if !values.isEmpty {
                    warnings.append("\(v.name) \(v.tag) has \(values.count) values for \(nFrames) frames and is not in the Frame Increment Pointer; ignored")
                }
                continue
            }
            for k in 0..<nFrames { frames[k][keyPath: v.keyPath] = values[k] }
        }
        for req in requiredVectors(type) where !fip.contains(req) {
            let name = vectors.first { $0.tag == req }!.name
            warnings.append("Frame Increment Pointer does not name the \(name) \(req) required for \(type.rawValue)")
        }

        // Energy windows.
        let windows: [EnergyWindow] = ds.sequence(T.energyWindowInformationSequence).enumerated().map { k, item in
            EnergyWindow(number: k + 1, name: item.string(T.energyWindowName),
                         ranges: item.sequence(T.energyWindowRangeSequence).compactMap { r in
                             guard let lo = r.double(T.energyWindowLowerLimit), let hi = r.double(T.energyWindowUpperLimit) else { return nil }
                             return EnergyRange(lowerKeV: lo, upperKeV: hi)
                         })
        }
        if !type.isReconstruction || !windows.isEmpty {
            if windows.isEmpty { warnings.append("no Energy Window Information Sequence (0054,0012): energy windows unknown") }
            for w in windows where w.ranges.isEmpty {
                warnings.append("energy window \(w.number) has no Energy Window Range Sequence (0054,0013) limits")
            }
            if let n = ds.int(T.numberOfEnergyWindows), n != windows.count {
                warnings.append("Number of Energy Windows (0054,0011) is \(n) but the Energy Window Information Sequence has \(windows.count) items")
            }
        }

        // Rotations.
        let rotations: [Rotation] = ds.sequence(T.rotationInformationSequence).enumerated().map { k, item in
            let dirText = item.string(T.rotationDirection)?.uppercased()
            let dir: RotationDirection? = dirText == "CW" ? .clockwise : (dirText == "CC" || dirText == "CCW") ? .counterClockwise : nil
            return Rotation(number: k + 1, startAngle: item.double(T.startAngle), angularStep: item.double(T.angularStep),
                            direction: dir, numberOfViews: item.int(T.numberOfFramesInRotation),
                            scanArc: item.double(T.scanArc), actualFrameDurationMs: item.double(.actualFrameDuration),
                            radialPosition: item.doubles(T.radialPosition), tableHeight: item.double(T.tableHeight),
                            tableTraverse: item.double(T.tableTraverse))
        }
        if type.isProjection {
            if rotations.isEmpty { warnings.append("no Rotation Information Sequence (0054,0052) for \(type.rawValue): gantry angles unknown") }
            for r in rotations {
                var missing: [String] = []
                if r.startAngle == nil { missing.append("Start Angle (0054,0200)") }
                if r.angularStep == nil { missing.append("Angular Step (0018,1144)") }
                if r.direction == nil { missing.append("Rotation Direction (0018,1140)") }
                if !missing.isEmpty { warnings.append("rotation \(r.number) lacks \(missing.joined(separator: ", ")): its gantry angles are left unknown") }
            }
        }

        // Detectors.
        let detectors: [Detector] = ds.sequence(T.detectorInformationSequence).enumerated().map { k, item in
            let iop = item.doubles(.imageOrientationPatient)
            return Detector(number: k + 1, imagePosition: item.vector3(.imagePositionPatient),
                            rowDirection: iop.count == 6 ? Vector3(iop[0], iop[1], iop[2]) : nil,
                            columnDirection: iop.count == 6 ? Vector3(iop[3], iop[4], iop[5]) : nil,
                            collimatorName: item.string(T.collimatorGridName), collimatorType: item.string(T.collimatorType),
                            radialPositions: item.doubles(T.radialPosition), startAngle: item.double(T.startAngle),
                            zoomFactor: item.doubles(T.zoomFactor), zoomCenter: item.doubles(T.zoomCenter),
                            centerOfRotationOffset: item.double(T.centerOfRotationOffset),
                            tilt: item.double(.gantryDetectorTilt), focalDistance: item.doubles(T.focalDistance),
                            fieldOfViewShape: item.string(T.fieldOfViewShape),
                            fieldOfViewDimensions: item.doubles(T.fieldOfViewDimensions),
                            view: item.codeMeaning(T.viewCodeSequence))
        }
        if detectors.isEmpty && !type.isReconstruction {
            warnings.append("no Detector Information Sequence (0054,0022): detector geometry unknown")
        }

        // Phases.
        let phases: [Phase] = ds.sequence(T.phaseInformationSequence).enumerated().map { k, item in
            Phase(number: k + 1, delayMs: item.double(T.phaseDelay), frameDurationMs: item.double(.actualFrameDuration),
                  pauseBetweenFramesMs: item.double(T.pauseBetweenFrames), numberOfFrames: item.int(T.numberOfFramesInPhase),
                  description: item.string(T.phaseDescription))
        }
        if type == .dynamic && phases.isEmpty { warnings.append("no Phase Information Sequence (0054,0032) for DYNAMIC: frame timing unknown") }

        // Gating.
        let rrIntervals: [RRInterval] = ds.sequence(T.gatedInformationSequence).enumerated().map { k, item in
            let data = item.sequence(T.dataInformationSequence).first ?? Dataset()
            let slots = data.sequence(T.timeSlotInformationSequence).enumerated().map { s, slot in
                TimeSlot(number: s + 1, timeMs: slot.double(T.timeSlotTime))
            }
            return RRInterval(number: k + 1, triggerTimeMs: item.double(T.triggerTime),
                              framingType: item.string(T.cardiacFramingType), frameTimeMs: data.double(T.frameTime),
                              nominalIntervalMs: data.double(T.nominalInterval), lowRRMs: data.double(T.lowRR),
                              highRRMs: data.double(T.highRR), intervalsAcquired: data.int(T.intervalsAcquired),
                              intervalsRejected: data.int(T.intervalsRejected), timeSlots: slots)
        }
        let numberOfTimeSlots = ds.int(T.numberOfTimeSlots)
        if [.gated, .gatedTomo, .reconGatedTomo].contains(type) && rrIntervals.isEmpty {
            warnings.append("no Gated Information Sequence (0054,0062) for \(type.rawValue): R-R interval acceptance and frame times unknown")
        }

        // Implied single values: with exactly one window / detector the vector is not needed.
        for k in 0..<nFrames {
            if frames[k].energyWindow == nil && windows.count == 1 && !type.isReconstruction { frames[k].energyWindow = 1 }
            if frames[k].detector == nil && detectors.count == 1 && !type.isReconstruction { frames[k].detector = 1 }
            if frames[k].rotation == nil && frames[k].angularView != nil && rotations.count == 1 { frames[k].rotation = 1 }
        }

        // Range checks.
        func check(_ name: String, _ kp: KeyPath<FrameIndex, Int?>, count: Int?) {
            guard let count, count > 0 else { return }
            let bad = frames.filter { f in f[keyPath: kp].map { $0 < 1 || $0 > count } ?? false }
            if let f = bad.first {
                warnings.append("\(bad.count) frame(s) have a \(name) outside 1…\(count) (first: frame \(f.frame) has \(f[keyPath: kp]!))")
            }
        }
        check("energy window", \.energyWindow, count: windows.count)
        check("detector", \.detector, count: detectors.count)
        check("rotation", \.rotation, count: rotations.count)
        check("phase", \.phase, count: phases.count)
        check("R-R interval", \.rrInterval, count: rrIntervals.count)
        check("time slot", \.timeSlot, count: numberOfTimeSlots)

        // Angles and radial positions, per frame.
        var radialNotes = Set<String>()
        for k in 0..<nFrames {
            let f = frames[k]
            let det = f.detector.flatMap { d in detectors.first { $0.number == d } }
            if let view = f.angularView, let r = f.rotation, let rot = rotations.first(where: { $0.number == r }) {
                frames[k].gantryAngle = rot.gantryAngle(view: view, start: det?.startAngle ?? rot.startAngle)
                if let n = rot.numberOfViews, view < 1 || view > n {
                    radialNotes.insert("frame \(k) has angular view \(view) outside 1…\(n) of rotation \(r)")
                }
                // Radial position: per view of the detector, else the rotation-level value.
                let viewsBefore = rotations.filter { $0.number < r }.reduce(0) { $0 + ($1.numberOfViews ?? 0) }
                if let det, !det.radialPositions.isEmpty {
                    let rp = det.radialPositions
                    if rp.count > viewsBefore + view - 1, rp.count > (rot.numberOfViews ?? 0) {
                        frames[k].radialPosition = rp[viewsBefore + view - 1]
                    } else if rp.count >= view, rp.count > 1 {
                        frames[k].radialPosition = rp[view - 1]
                    } else if rp.count == 1 {
                        frames[k].radialPosition = rp[0]
                        radialNotes.insert("Detector Information item \(det.number) has a single Radial Position (0018,1142) \(fmt(rp[0])) mm; used for every view (circular orbit)")
                    } else {
                        radialNotes.insert("Detector Information item \(det.number) has \(rp.count) Radial Position (0018,1142) values, too few for view \(view) of rotation \(r); left unknown")
                    }
                } else if rot.radialPosition.count == 1 {
                    frames[k].radialPosition = rot.radialPosition[0]
                    radialNotes.insert("Detector Information item \(det.map { String($0.number) } ?? "?") has no Radial Position (0018,1142) per view; using the rotation-level Radial Position \(fmt(rot.radialPosition[0])) mm of rotation \(r) for all its views (circular orbit assumed)")
                } else if rot.radialPosition.count >= view {
                    frames[k].radialPosition = rot.radialPosition[view - 1]
                    radialNotes.insert("Detector Information item \(det.map { String($0.number) } ?? "?") has no Radial Position (0018,1142) per view; using the per-view radial positions of rotation \(r)")
                } else {
                    radialNotes.insert("no Radial Position (0018,1142) per view in the Detector Information Sequence nor in rotation \(r): radial positions unknown (no default assumed)")
                }
            } else if f.angularView == nil, let det, let a = det.startAngle {
                frames[k].gantryAngle = Rotation.normalize(a)
            }
            if type.isProjection && frames[k].gantryAngle == nil {
                radialNotes.insert("frame(s) without a derivable gantry angle (e.g. frame \(k): rotation \(f.rotation.map(String.init) ?? "none"), view \(f.angularView.map(String.init) ?? "none"))")
            }
        }
        warnings += radialNotes.sorted()

        let pharma = readRadiopharmaceuticals(ds)
        if !type.isReconstruction || !pharma.isEmpty { warnings += radiopharmaceuticalWarnings(pharma) }

        var acqDate = ds.string(.acquisitionDate), acqTime = ds.string(.acquisitionTime)
        if acqDate == nil, acqTime == nil, let dt = ds.string(.acquisitionDateTime) {
            acqDate = String(dt.prefix(8)); acqTime = dt.count > 8 ? String(dt.dropFirst(8)) : nil
        }
        guard let rows = ds.int(.rows), let columns = ds.int(.columns) else {
            throw DICOMError(.missingAttribute, file: source, tag: .rows, "NM image needs Rows and Columns")
        }
        return NMAcquisition(imageType: type, energyWindows: windows, detectors: detectors, rotations: rotations,
                             phases: phases, rrIntervals: rrIntervals, numberOfTimeSlots: numberOfTimeSlots,
                             numberOfSlices: ds.int(T.numberOfSlices), radiopharmaceuticals: pharma,
                             acquisitionDate: acqDate, acquisitionTime: acqTime,
                             actualFrameDurationMs: ds.double(.actualFrameDuration), frames: frames, rows: rows,
                             columns: columns, pixelSpacing: ds.doubles(.pixelSpacing),
                             frameOfReferenceUID: ds.string(.frameOfReferenceUID),
                             manufacturer: ds.string(.manufacturer), manufacturerModelName: ds.string(.manufacturerModelName), counts: nil, warnings: warnings)
    }
}
