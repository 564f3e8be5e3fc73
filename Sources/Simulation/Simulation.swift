import Imaging
import Physics

/// Simulation: phantoms and gamma-camera acquisitions with known truth (no DICOM; DICOMImaging writes the
/// results with `NMWriter` and `CTSeriesWriter`).
///
/// - Phantoms (``Phantom``): the NEMA/IEC body phantom (``Phantom/iec(sphereToBackground:backgroundBqPerML:center:lungInsert:)``),
///   a Deluxe Jaszczak-type phantom (``Phantom/jaszczak(backgroundBqPerML:rodsHot:spheresHot:hotRatio:)``) and an
///   anthropomorphic torso or whole body (``Phantom/torso(activities:tumours:heart:extent:)``), made of analytic
///   ``Shape``s with a ``Physics/Material`` and a concentration each, voxelised with sub-voxel sampling
///   (``Voxelizer``) into activity, μ and CT-number volumes.
/// - The camera (``Camera``, ``ForwardModel``): attenuation along +u(θ), depth-dependent Gaussian
///   collimator–detector response from `Collimator.systemFWHM`, collimator efficiency, photon yields, energy
///   resolution and windows, a build-up scatter model seen consistently by photopeak and scatter windows
///   (``ScatterModel``), decay during each frame, seeded Poisson noise (``SeededGenerator``). Independent of the
///   Reconstruction module's projector.
/// - Acquisitions (``Simulator``): SPECT (1–2 heads, any views/arc/direction/start), planar static, whole-body
///   sweep, dynamic with time–activity curves, ECG-gated blood pool with a beating LV (``GatedProtocol``); the CT
///   (``CTSimulator``). Each returns a ``SimulatedStudy``: the `NMAcquisition` as a camera stores it, the
///   expected primary and scatter counts, and the ``SimulationTruth`` written as `truth.json`.
/// - Geometry follows docs/spect-geometry.md throughout.
public enum SimulationModule {}
