//! Entry point: the Lambda runtime when `AWS_LAMBDA_RUNTIME_API` is set,
//! otherwise the operator CLI.

use std::process::ExitCode;

mod cli;
mod lambda;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runas-guard: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        runtime.block_on(lambda::run())
    } else {
        runtime.block_on(cli::run())
    }
}
