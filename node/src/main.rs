//! `msp-node`: the node's command line (see [`msp_node::process`]).

/// mimalloc instead of glibc's allocator: a release decodes millions of stored rows into
/// short-lived buffers, and glibc's malloc and free were an eighth of its time (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    msp_node::process::main()
}
