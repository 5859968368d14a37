//! Failures of the shell's own operations (signing in and out, fetching an attachment from the
//! relay) as the typed `RpcError` the UI receives: a code to react to and a readable sentence.

use larder_core::rpc::{RpcError, RpcErrorCode};
use larder_core::sync::{
    AttachmentError, ImportUrlError, PlanCalendarError, RelayError, ShareError,
};
use larder_core::{LarderError, StoreError};

pub fn relay(err: RelayError) -> RpcError {
    let code = match &err {
        RelayError::BadServer(_) => RpcErrorCode::Invalid,
        RelayError::Unauthorized | RelayError::BadCredentials => RpcErrorCode::Unauthorized,
        RelayError::RateLimited => RpcErrorCode::RateLimited,
        RelayError::Unreachable(_) => RpcErrorCode::Unreachable,
        RelayError::Refused { status: 429, .. } => RpcErrorCode::RateLimited,
        RelayError::Refused { .. } => RpcErrorCode::Invalid,
        RelayError::Status { .. } | RelayError::Protocol(_) => RpcErrorCode::Internal,
        RelayError::Store(_) => RpcErrorCode::Storage,
    };
    RpcError::new(code, err.to_string())
}

/// An import by address that failed: offline is `Unreachable` (the UI then offers to keep the
/// link), not signed in is `Unauthorized`, a refusal by the relay is `Invalid`/`RateLimited`.
pub fn import_url(err: ImportUrlError) -> RpcError {
    match err {
        ImportUrlError::BadAddress(err) => RpcError::new(RpcErrorCode::Invalid, err.to_string()),
        ImportUrlError::NotSignedIn => RpcError::new(
            RpcErrorCode::Unauthorized,
            ImportUrlError::NotSignedIn.to_string(),
        ),
        // core's dispatcher says what it means for an import.
        ImportUrlError::Relay(RelayError::Unreachable(why)) => {
            RpcError::new(RpcErrorCode::Unreachable, why)
        }
        ImportUrlError::Relay(err) => relay(err),
        ImportUrlError::Larder(err) => err.into(),
    }
}

/// The plan's calendar feed could not be asked for: not signed in is `Unauthorized` (with a
/// sentence saying to sign in), offline `Unreachable`, the rest as the relay said.
pub fn plan_calendar(err: PlanCalendarError) -> RpcError {
    match err {
        PlanCalendarError::NotSignedIn => RpcError::new(
            RpcErrorCode::Unauthorized,
            PlanCalendarError::NotSignedIn.to_string(),
        ),
        PlanCalendarError::Relay(RelayError::Unreachable(why)) => RpcError::new(
            RpcErrorCode::Unreachable,
            format!("the calendar feed is kept by the relay, which cannot be reached now ({why})"),
        ),
        PlanCalendarError::Relay(err) => relay(err),
        PlanCalendarError::Store(err) => store(err),
    }
}

/// A share that could not be listed, made or revoked.
pub fn shares(err: ShareError) -> RpcError {
    match err {
        ShareError::NotSignedIn => RpcError::new(
            RpcErrorCode::Unauthorized,
            ShareError::NotSignedIn.to_string(),
        ),
        ShareError::Relay(RelayError::Unreachable(why)) => RpcError::new(
            RpcErrorCode::Unreachable,
            format!("shares are kept by the relay, which cannot be reached now ({why})"),
        ),
        ShareError::Relay(RelayError::Refused {
            status: 404,
            message,
            ..
        }) => RpcError::new(RpcErrorCode::NotFound, message),
        ShareError::Relay(err) => relay(err),
        ShareError::Store(err) => store(err),
    }
}

pub fn store(err: StoreError) -> RpcError {
    LarderError::Store(err).into()
}

pub fn closing() -> RpcError {
    RpcError::new(RpcErrorCode::Internal, "the app is closing")
}

/// An attachment that could not be had from this device or the relay.
pub fn attachment(err: AttachmentError) -> RpcError {
    let err = match err {
        AttachmentError::Relay(err) => return relay(err),
        AttachmentError::Larder(err) => return err.into(),
        AttachmentError::Store(err) => return store(err),
        other => other,
    };
    let code = match &err {
        AttachmentError::Offline { .. } => RpcErrorCode::Unreachable,
        AttachmentError::Unauthorized => RpcErrorCode::Unauthorized,
        AttachmentError::Corrupt { .. } => RpcErrorCode::Internal,
        _ => RpcErrorCode::NotFound,
    };
    RpcError::new(code, err.to_string())
}
