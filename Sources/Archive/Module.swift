import DICOM
import GRDB
/// Archive: durable storage and the study index.
public enum ArchiveModule {}
