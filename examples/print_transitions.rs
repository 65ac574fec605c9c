//! Prints the status machine's transition table as Markdown (pasted into README.md).
fn main() {
    print!("{}", foiatrack::status::markdown_table());
}
