//! `msp-node`: the node's command line (see [`msp_node::process`]).

fn main() -> std::process::ExitCode {
    msp_node::process::main()
}
