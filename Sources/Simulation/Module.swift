import Physics
import Imaging
/// Simulation: phantoms and acquisitions with known truth.
public enum SimulationModule {}
