//! Runs the mobile shell on a desktop host (`cargo run -p larder-mobile`), to try it without a
//! device.

fn main() {
    larder_mobile::run();
}
