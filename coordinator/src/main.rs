//! `msp-coordinator`: the coordinator's command line (see [`msp_coordinator::process`]).

fn main() -> std::process::ExitCode {
    msp_coordinator::process::main()
}
