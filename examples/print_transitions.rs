//! Prints the status machine's transition table as Markdown (pasted into README.md).
fn main() {
    print!("{}", foiatrack::core::status::markdown_table());
}
