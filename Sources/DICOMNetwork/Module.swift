import DICOM
import NIOCore
import NIOPosix
/// DICOMNetwork: upper layer and DIMSE services on swift-nio.
public enum DICOMNetworkModule {}
