import DICOMNetwork
#if !FUZZING
@main struct PDUFuzzReplay { static func main() {} }
#endif
