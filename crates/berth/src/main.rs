//! The `berth` binary: `berth up` runs everything in one process; `berth kubeconfig` prints credentials.

mod client;
mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc malloc: the request path allocates heavily (JSON trees, typed
/// structs, field sets), and glibc's malloc/free were ~38% of berth's CPU per create.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's default on Linux commits its arenas eagerly, which kept ~14 MiB more resident in
/// an idle `berth up` (33.4 vs 20.2 MiB). Options are read when first used, and the first arena
/// is made by the first allocation, before `main`: so this is set from an ELF constructor.
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = {
    extern "C" fn tune_allocator() {
        // `mi_option_arena_eager_commit` of mimalloc v3's `mi_option_e` (libmimalloc-sys names
        // no constant for it).
        const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
        // SAFETY: stores a plain option value; runs before main, single-threaded.
        #[allow(unsafe_code)]
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0)
        };
    }
    tune_allocator
};

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "A single-binary, Kubernetes-compatible system for stateful applications"
)]
struct Cli {
    /// Log format: `text` or `json`.
    #[arg(long, global = true, default_value = "text", env = "BERTH_LOG_FORMAT")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the API server, controllers and node in one process.
    Up(cmd::up::UpArgs),
    /// Run only the controllers, against the cluster of a kubeconfig.
    Controllers(cmd::controllers::ControllersArgs),
    /// Print the admin kubeconfig of a data dir.
    Kubeconfig(cmd::kubeconfig::KubeconfigArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::init_logging(&cli.log_format);
    let result = match cli.command {
        Command::Up(args) => cmd::up::run(args),
        Command::Kubeconfig(args) => cmd::kubeconfig::run(args),
        Command::Controllers(args) => cmd::controllers::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth: {e:#}");
            ExitCode::FAILURE
        }
    }
}
