//! Workload 4's rows: per library size, the first sync of every document, the Larder-way
//! reconnect (one feed request, then the live websocket) and the automerge-repo-way re-sync,
//! with costs per document so two sizes show whether they grow with the library.

use std::fmt::Write as _;

use super::{Row, both, bytes, cell, ms, row, times};
use crate::reconnect::{FeedResult, ReconnectResult};
use crate::results::{Outcome, Results};

/// Whole-library goals, stated for 10,000 documents and applied per document at other sizes.
const FIRST_SYNC_SECS_PER_10K: f64 = 10.0;
const FIRST_SYNC_VS_JS: f64 = 5.0;
const RESYNC_VS_JS: f64 = 4.0;
const SOCKET_OPEN_MS: f64 = 50.0;

fn per_doc_ms(total_ms: f64, docs: usize) -> String {
    format!("{:.3} ms/doc", total_ms / docs.max(1) as f64)
}

pub(super) fn rows(rows: &mut Vec<Row>, l: &Results, j: &Results) {
    let not_run = Outcome::NotRun;
    for (k, &docs) in l.params.docs.iter().enumerate() {
        let lo = l.reconnect.get(k).unwrap_or(&not_run);
        let jo = j.reconnect.get(k).unwrap_or(&not_run);
        size_rows(rows, docs, lo, jo);
    }
    if l.params.docs.is_empty() {
        rows.push(row("4 reconnect", "not run", "not run"));
    }
}

fn size_rows(
    rows: &mut Vec<Row>,
    docs: usize,
    l: &Outcome<ReconnectResult>,
    j: &Outcome<ReconnectResult>,
) {
    // The first sync of every document from one device.
    let first = both(l, j, |v| v.setup_secs);
    let budget = FIRST_SYNC_SECS_PER_10K * docs as f64 / 10_000.0;
    rows.push(
        row(
            format!("4 first sync of {docs} new docs from one device"),
            cell(l, |v| {
                format!(
                    "{:.2} s ({})",
                    v.setup_secs,
                    per_doc_ms(v.setup_secs * 1e3, docs)
                )
            }),
            cell(j, |v| {
                format!(
                    "{:.2} s ({})",
                    v.setup_secs,
                    per_doc_ms(v.setup_secs * 1e3, docs)
                )
            }),
        )
        .ratio(first.map_or("—".into(), |(a, b)| format!("{} faster", times(b, a))))
        .goal(
            &format!("≤ {budget:.1} s, ≥ {FIRST_SYNC_VS_JS}× js"),
            first.map(|(a, b)| a <= budget && b >= FIRST_SYNC_VS_JS * a),
        ),
    );

    // The Larder way: one feed request.
    let feed = l.done().and_then(|v| v.feed.as_ref());
    let js_resync = j.done().map(|v| &v.resync);
    rows.push(
        row(
            format!("4 reconnect, {docs} docs, nothing changed: round trips"),
            cell(l, |v| match &v.feed {
                Some(f) => format!("{} HTTP (+1 ws open)", f.round_trips),
                None => "—".into(),
            }),
            cell(j, |v| format!("{} sync exchanges (+1 ws open)", v.docs)),
        )
        .goal(
            "1 round trip",
            feed.map(|f| f.round_trips == 1 && f.changes_returned == 0),
        ),
    );
    let b = feed.zip(js_resync).map(|(f, r)| {
        (
            f.bytes_out + f.bytes_in,
            r.traffic.bytes_out + r.traffic.bytes_in,
        )
    });
    rows.push(
        row(
            "4   bytes on the client socket (out + in)",
            feed.map_or(cell(l, |_| "—".into()), |f| {
                format!(
                    "{} ({} + {})",
                    bytes(f.bytes_out + f.bytes_in),
                    f.bytes_out,
                    f.bytes_in
                )
            }),
            cell(j, |v| {
                format!(
                    "{} ({} + {})",
                    bytes(v.resync.traffic.bytes_out + v.resync.traffic.bytes_in),
                    bytes(v.resync.traffic.bytes_out),
                    bytes(v.resync.traffic.bytes_in)
                )
            }),
        )
        .ratio(b.map_or("—".into(), |(a, b)| {
            format!("{} fewer", times(b as f64, a as f64))
        }))
        .goal("≤ 1 KiB", feed.map(|f| f.bytes_out + f.bytes_in <= 1024)),
    );
    let t = feed
        .zip(js_resync)
        .map(|(f, r)| (f.with_connect_ms, r.time_ms));
    rows.push(
        row(
            "4   time (larder: TCP connect + request)",
            feed.map_or(cell(l, |_| "—".into()), |f| {
                format!("{} (exchange {})", ms(f.with_connect_ms), ms(f.exchange_ms))
            }),
            cell(j, |v| ms(v.resync.time_ms)),
        )
        .ratio(t.map_or("—".into(), |(a, b)| format!("{} faster", times(b, a)))),
    );
    rows.push(
        row(
            format!("4   then the live websocket, {docs} docs loaded: open; msgs in; bytes"),
            feed.map_or(cell(l, |_| "—".into()), |f| {
                format!(
                    "{}; {}; {}",
                    ms(f.socket_handshake_ms),
                    f.socket_open.msgs_in,
                    bytes(f.socket_open.bytes_in + f.socket_open.bytes_out)
                )
            }),
            "",
        )
        .goal(
            &format!("≤ {SOCKET_OPEN_MS} ms"),
            feed.map(|f| f.socket_handshake_ms <= SOCKET_OPEN_MS),
        ),
    );

    // The automerge-repo way, on both servers.
    let resync = both(l, j, |v| v.resync.time_ms);
    rows.push(
        row(
            "4   re-sync every doc (automerge-repo way): time (opening)",
            cell(l, |v| {
                format!(
                    "{} ({}, +1 ticket)",
                    ms(v.resync.time_ms),
                    ms(v.resync.handshake_ms)
                )
            }),
            cell(j, |v| {
                format!("{} ({})", ms(v.resync.time_ms), ms(v.resync.handshake_ms))
            }),
        )
        .ratio(resync.map_or("—".into(), |(a, b)| format!("{} faster", times(b, a))))
        .goal(
            &format!("≥ {RESYNC_VS_JS}× faster"),
            resync.map(|(a, b)| b >= RESYNC_VS_JS * a),
        ),
    );
    rows.push(row(
        "4     per document; bytes",
        cell(l, |v| {
            format!(
                "{}; {}",
                per_doc_ms(v.resync.time_ms, docs),
                bytes(v.resync.traffic.bytes_out + v.resync.traffic.bytes_in)
            )
        }),
        cell(j, |v| {
            format!(
                "{}; {}",
                per_doc_ms(v.resync.time_ms, docs),
                bytes(v.resync.traffic.bytes_out + v.resync.traffic.bytes_in)
            )
        }),
    ));
}

/// What the report says under the table about one feed result.
pub(super) fn notes(out: &mut String, name: &str, f: &FeedResult) {
    if f.missing_from_feed > 0 {
        let _ = writeln!(
            out,
            "RELAY BUG ({name}): {} of the documents the server had confirmed never appeared in \
             the change feed with their heads (waited 60 s); a device reconnecting the Larder way \
             would not sync them",
            f.missing_from_feed
        );
    }
    if f.changes_returned > 0 {
        let _ = writeln!(
            out,
            "note ({name}): the change feed returned {} entries after the cursor",
            f.changes_returned
        );
    }
}
