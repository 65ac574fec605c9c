fn main() -> std::process::ExitCode {
    foiatrack::cli::main()
}
