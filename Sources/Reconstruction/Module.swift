import Physics
import Imaging
/// Reconstruction: SPECT system model and algorithms.
public enum ReconstructionModule {}
