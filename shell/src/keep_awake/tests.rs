//! Against a private D-Bus session bus (`dbus-daemon`) with a stand-in screen saver that
//! records what it is asked: cook mode's "on" inhibits once, "off" lets go with the same cookie.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::{KeepAwake, linux};

/// A `dbus-daemon` of the test's own, stopped on drop.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (Debian package dbus) runs");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("the bus address");
        Bus {
            daemon,
            address: address.trim().to_string(),
        }
    }

    fn connect(&self) -> zbus::blocking::Connection {
        zbus::blocking::connection::Builder::address(self.address.as_str())
            .and_then(|b| b.build())
            .expect("connect to the test bus")
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

struct FakeScreenSaver {
    calls: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.freedesktop.ScreenSaver")]
impl FakeScreenSaver {
    fn inhibit(&self, application_name: &str, reason_for_inhibit: &str) -> u32 {
        self.record(format!("Inhibit {application_name} {reason_for_inhibit}"));
        7
    }

    fn un_inhibit(&self, cookie: u32) {
        self.record(format!("UnInhibit {cookie}"));
    }
}

impl FakeScreenSaver {
    fn record(&self, call: String) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

fn serve(bus: &Bus) -> (zbus::blocking::Connection, Arc<Mutex<Vec<String>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let saver = FakeScreenSaver {
        calls: calls.clone(),
    };
    let server = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .and_then(|b| b.name("org.freedesktop.ScreenSaver"))
        .and_then(|b| b.serve_at("/org/freedesktop/ScreenSaver", saver))
        .and_then(|b| b.build())
        .expect("serve the stand-in screen saver");
    (server, calls)
}

fn calls(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    log.lock().expect("calls").clone()
}

#[test]
fn on_inhibits_the_screen_saver_once_and_off_lets_go() {
    let bus = Bus::start();
    let (_server, log) = serve(&bus);
    let keep = KeepAwake::default();
    let hold = || linux::hold(bus.connect()).map_err(super::unsupported);
    keep.set_with(true, hold).expect("on");
    keep.set_with(true, hold).expect("on again");
    assert_eq!(calls(&log), ["Inhibit Larder Cooking"]);
    keep.set_with(false, hold).expect("off");
    keep.set_with(false, hold).expect("off again");
    assert_eq!(calls(&log), ["Inhibit Larder Cooking", "UnInhibit 7"]);
}

#[test]
fn no_screen_saver_on_the_bus_is_unsupported() {
    let bus = Bus::start();
    let keep = KeepAwake::default();
    let err = keep
        .set_with(true, || {
            linux::hold(bus.connect()).map_err(super::unsupported)
        })
        .expect_err("nobody to ask");
    assert_eq!(err.code, larder_core::rpc::RpcErrorCode::Unsupported);
    assert!(
        err.message
            .starts_with("this app cannot keep the screen on here"),
        "{}",
        err.message
    );
    // Nothing is held, so "off" has nothing to do.
    keep.set(false).expect("off");
}
