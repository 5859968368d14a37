//! Keeping the screen on for cook mode where the app's web view has no Screen Wake Lock API
//! (WebKitGTK, the Linux desktop app): an inhibition of the desktop's screen saver over D-Bus
//! (`org.freedesktop.ScreenSaver.Inhibit` on the session bus, as GNOME, KDE and Xfce offer
//! it), held from `on` until `off` or until the app exits (the desktop drops an inhibition
//! when its connection closes). On other systems the request is `Unsupported`; the mobile app's
//! web views have the Web API.

use std::sync::Mutex;

use larder_core::rpc::{RpcError, RpcErrorCode};

#[cfg(target_os = "linux")]
type Held = linux::Held;
#[cfg(not(target_os = "linux"))]
type Held = ();

/// The inhibition held, if any.
#[derive(Default)]
pub struct KeepAwake {
    held: Mutex<Option<Held>>,
}

impl KeepAwake {
    /// Holds (`on`) or lets go of (`!on`) the inhibition; holding twice keeps one.
    pub fn set(&self, on: bool) -> Result<(), RpcError> {
        self.set_with(on, hold)
    }

    fn set_with(
        &self,
        on: bool,
        hold: impl FnOnce() -> Result<Held, RpcError>,
    ) -> Result<(), RpcError> {
        let mut held = self.held.lock().map_err(|_| {
            RpcError::new(RpcErrorCode::Internal, "the keep-awake state is poisoned")
        })?;
        match (on, held.take()) {
            (true, Some(already)) => *held = Some(already),
            (true, None) => *held = Some(hold()?),
            (false, Some(was)) => release(was),
            (false, None) => {}
        }
        Ok(())
    }
}

/// An inhibition on the session bus.
#[cfg(target_os = "linux")]
fn hold() -> Result<Held, RpcError> {
    zbus::blocking::Connection::session()
        .and_then(linux::hold)
        .map_err(unsupported)
}

#[cfg(target_os = "linux")]
fn release(held: Held) {
    if let Err(err) = linux::release(held) {
        tracing::warn!(%err, "letting the screen sleep again failed");
    }
}

#[cfg(not(target_os = "linux"))]
fn hold() -> Result<Held, RpcError> {
    Err(unsupported("not offered on this system"))
}

#[cfg(not(target_os = "linux"))]
fn release(_: Held) {}

fn unsupported(why: impl std::fmt::Display) -> RpcError {
    RpcError::new(
        RpcErrorCode::Unsupported,
        format!("this app cannot keep the screen on here: {why}"),
    )
}

#[cfg(target_os = "linux")]
pub mod linux {
    use zbus::blocking::Connection;

    #[zbus::proxy(
        interface = "org.freedesktop.ScreenSaver",
        default_service = "org.freedesktop.ScreenSaver",
        default_path = "/org/freedesktop/ScreenSaver",
        gen_async = false
    )]
    trait ScreenSaver {
        fn inhibit(&self, application_name: &str, reason_for_inhibit: &str) -> zbus::Result<u32>;
        fn un_inhibit(&self, cookie: u32) -> zbus::Result<()>;
    }

    /// An inhibition: the connection it lives on and its cookie.
    pub struct Held {
        connection: Connection,
        cookie: u32,
    }

    /// Asks the screen saver on `connection`'s bus not to start.
    pub fn hold(connection: Connection) -> zbus::Result<Held> {
        let cookie = ScreenSaverProxy::new(&connection)?.inhibit("Larder", "Cooking")?;
        Ok(Held { connection, cookie })
    }

    pub fn release(held: Held) -> zbus::Result<()> {
        ScreenSaverProxy::new(&held.connection)?.un_inhibit(held.cookie)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests;
