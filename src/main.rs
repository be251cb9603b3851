//! The `ibias` command-line program: a thin layer over the library.

fn main() {
    let code = ibias::cli::main_with_args(std::env::args_os());
    std::process::exit(code);
}
