//! The `msp-coordinator` process, built inside msp-tests so that its tests can run it, and kill
//! it, as a process of its own (cargo gives a package's tests only its own binaries).

fn main() -> std::process::ExitCode {
    msp_coordinator::process::main()
}
