//! Tests of protobuf decoding.
