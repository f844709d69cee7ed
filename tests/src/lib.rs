//! End-to-end tests of the MSP Outcomes Network live in `tests/`; this library will hold the
//! harness they share (an in-process coordinator, nodes, a test CA and fresh databases).
