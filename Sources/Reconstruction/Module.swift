import Imaging

/// Reconstruction: SPECT system model and algorithms.
///
/// The module is organised like PyTomography:
/// - **system model** (``SystemModel``): a rotation-based projector (``SPECTGeometry``), attenuation
///   (``AttenuationMap``), depth-dependent collimator–detector response (``CollimatorResponse``) and an additive
///   term (scatter), with an exact adjoint;
/// - **likelihood** (``PoissonLikelihood``): measured projections, the system model and the additive term;
/// - **algorithms**: ``OSEM`` (MLEM is OSEM with one subset), ``BSREM`` with the ``RelativeDifferencePrior``,
///   ``FBP`` with Chang attenuation correction; ``GaussianFilter`` as an optional post-filter;
/// - **quantitation** (``Quantitation``): reconstructed counts → Bq/mL.
///
/// Conventions follow `docs/spect-geometry.md`: gantry angle θ (0° anterior, clockwise seen from the feet),
/// outward detector normal u(θ) = (sin θ, −cos θ, 0), detector column axis t(θ) = (cos θ, sin θ, 0), rows from
/// head to feet, distance to the collimator face d = R(θ) − p·u(θ).
///
/// Internally every object array (``ReconVolume``) is stored x-slowest, z-fastest (`[x][y][z]`, the rotation
/// axis contiguous) and every projection array (``Projections``) as `[view][column][z-ascending row]`, so the
/// projector's inner loops are contiguous AXPYs along z. ``ReconVolume/volume()`` and
/// ``Projections/init(projectionSet:geometry:)`` convert at the boundary.
public enum ReconstructionModule {}
