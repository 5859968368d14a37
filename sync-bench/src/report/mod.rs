//! The side-by-side report: the machine, one table of larder vs the JS server with ratios and
//! the goals larder is held to, then the notes needed to read the figures fairly.

use std::fmt::Write as _;

use crate::results::{Outcome, Results};
use crate::throughput::ThroughputResult;

/// nproc, CPU model, memory, kernel.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".to_owned(), |(_, m)| m.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "machine: {cpus} CPUs (nproc), {model}, {mem_gib:.1} GiB memory, Linux {}",
        kernel.trim()
    )
}

mod reconnect;

struct Row {
    label: String,
    larder: String,
    js: String,
    ratio: String,
    goal: String,
    verdict: String,
}

fn row(label: impl Into<String>, larder: impl Into<String>, js: impl Into<String>) -> Row {
    Row {
        label: label.into(),
        larder: larder.into(),
        js: js.into(),
        ratio: String::new(),
        goal: String::new(),
        verdict: String::new(),
    }
}

impl Row {
    fn ratio(mut self, r: impl Into<String>) -> Row {
        self.ratio = r.into();
        self
    }

    fn goal(mut self, goal: &str, met: Option<bool>) -> Row {
        self.goal = goal.to_owned();
        self.verdict = match met {
            Some(true) => "met".into(),
            Some(false) => "NOT MET".into(),
            None => "n/a".into(),
        };
        self
    }
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn bytes(b: u64) -> String {
    if b >= 10 * 1024 * 1024 {
        format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0)
    } else if b >= 10 * 1024 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

/// `a / b` as "N.N×", or "—" when it can't be formed.
fn times(a: f64, b: f64) -> String {
    if a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.1}×", a / b)
    } else {
        "—".into()
    }
}

fn cell<T>(o: &Outcome<T>, f: impl Fn(&T) -> String) -> String {
    match o {
        Outcome::Done(v) => f(v),
        Outcome::Failed(_) => "FAILED".into(),
        Outcome::NotRun => "not run".into(),
    }
}

fn per_conn_of(o: &Outcome<crate::idle::IdleResult>) -> String {
    cell(o, |v| {
        let delta = v.with_idle.rss_kib.saturating_sub(v.before.rss_kib) as f64;
        format!("{:.1} KiB", delta / v.opened.max(1) as f64)
    })
}

fn both<T, R>(l: &Outcome<T>, j: &Outcome<T>, f: impl Fn(&T) -> R) -> Option<(R, R)> {
    Some((f(l.done()?), f(j.done()?)))
}

/// Workload 2's rows for one run (`writers` users).
fn throughput_rows(
    rows: &mut Vec<Row>,
    p: &crate::results::Params,
    writers: usize,
    l: &Outcome<ThroughputResult>,
    j: &Outcome<ThroughputResult>,
) {
    let both_cells = |f: &dyn Fn(&ThroughputResult) -> String| (cell(l, f), cell(j, f));
    let tp = both(l, j, |v| v.edits_per_sec);
    let (a, b) = both_cells(&|v| format!("{:.0}", v.edits_per_sec));
    rows.push(
        row(
            format!(
                "2 sustained edits/s acked, {writers} users ({writers}×{} docs, {} s)",
                p.docs_per_writer, p.secs
            ),
            a,
            b,
        )
        .ratio(tp.map_or("—".into(), |(a, b)| times(a, b)))
        .goal("≥ 5× js", tp.map(|(a, b)| a >= 5.0 * b)),
    );
    let (a, b) = both_cells(&|v| format!("{} / {}", ms(v.fanout.p50_ms), ms(v.fanout.p99_ms)));
    rows.push(row("2   fan-out to reader p50 / p99", a, b));
    let (a, b) = both_cells(&|v| format!("{} / {}", ms(v.ack.p50_ms), ms(v.ack.p99_ms)));
    rows.push(row("2   edit→ack p50 / p99", a, b));
    let cpu = both(l, j, |v| v.edits_per_server_cpu_sec);
    let (a, b) = both_cells(&|v| {
        format!(
            "{:.1} s; {:.0}",
            v.server_cpu_secs, v.edits_per_server_cpu_sec
        )
    });
    rows.push(
        row("2   server CPU used; acked edits per CPU-second", a, b)
            .ratio(cpu.map_or("—".into(), |(a, b)| times(a, b))),
    );
    let per_edit = |v: &ThroughputResult| 1e3 / v.edits_per_server_cpu_sec.max(f64::MIN_POSITIVE);
    let (a, b) = both_cells(&|v| format!("{:.3} ms", per_edit(v)));
    rows.push(
        row("2   relay CPU per acked edit", a, b)
            .goal("≤ 0.15 ms", l.done().map(|v| per_edit(v) <= 0.15)),
    );
    let (a, b) = both_cells(&|v| format!("{:.1} s", v.generator_cpu_secs));
    rows.push(row("2   load generator CPU meanwhile", a, b));
}

pub fn render(l: &Results, j: &Results) -> String {
    let mut rows: Vec<Row> = Vec::new();
    let p = &l.params;

    // 1. Latency.
    let lat = |r: &Results, f: fn(&crate::stats::Percentiles) -> f64| {
        cell(&r.latency, |v| ms(f(&v.latency)))
    };
    let lat_l = l.latency.done().map(|v| v.latency);
    let lat_ratio = |f: fn(&crate::stats::Percentiles) -> f64| {
        both(&l.latency, &j.latency, |v| f(&v.latency))
            .map_or("—".into(), |(a, b)| format!("{} faster", times(b, a)))
    };
    rows.push(
        row(
            format!("1 edit→other device p50 ({} edits)", p.edits),
            lat(l, |p| p.p50_ms),
            lat(j, |p| p.p50_ms),
        )
        .ratio(lat_ratio(|p| p.p50_ms))
        .goal("≤ 1 ms", lat_l.map(|v| v.p50_ms <= 1.0)),
    );
    rows.push(
        row(
            "1 edit→other device p99",
            lat(l, |p| p.p99_ms),
            lat(j, |p| p.p99_ms),
        )
        .ratio(lat_ratio(|p| p.p99_ms))
        .goal("≤ 5 ms", lat_l.map(|v| v.p99_ms <= 5.0)),
    );

    // 2. Throughput, once per relay load.
    let not_run = Outcome::NotRun;
    for (k, &writers) in p.writers.iter().enumerate() {
        let (tl, tj) = (l.throughput.get(k), j.throughput.get(k));
        let (tl, tj) = (tl.unwrap_or(&not_run), tj.unwrap_or(&not_run));
        throughput_rows(&mut rows, p, writers, tl, tj);
    }
    if p.writers.is_empty() {
        rows.push(row("2 sustained edits/s acked", "not run", "not run"));
    }

    // 3. Idle connections.
    let idle_open = |r: &Results| {
        cell(&r.idle, |v| {
            let mut s = format!("{}/{}", v.opened, v.wanted);
            if v.dropped > 0 {
                let _ = write!(s, " ({} dropped)", v.dropped);
            }
            s
        })
    };
    rows.push(row(
        "3 idle connections open (handshake done)",
        idle_open(l),
        idle_open(j),
    ));
    rows.push(row(
        "3 server RSS before",
        cell(&l.idle, |v| mib(v.before.rss_kib)),
        cell(&j.idle, |v| mib(v.before.rss_kib)),
    ));
    let rss = both(&l.idle, &j.idle, |v| v.with_idle.rss_kib as f64);
    let idle_l = l.idle.done();
    rows.push(
        row(
            format!("3 server RSS with {} idle connections", p.idle),
            cell(&l.idle, |v| mib(v.with_idle.rss_kib)),
            cell(&j.idle, |v| mib(v.with_idle.rss_kib)),
        )
        .ratio(rss.map_or("—".into(), |(a, b)| format!("{} smaller", times(b, a))))
        .goal(
            "≤ 256 MiB",
            idle_l.map(|v| v.with_idle.rss_kib <= 256 * 1024 && v.opened == v.wanted),
        ),
    );
    rows.push(row(
        "3 RSS added per idle connection",
        per_conn_of(&l.idle),
        per_conn_of(&j.idle),
    ));
    rows.push(row(
        "3 time to open them all",
        cell(&l.idle, |v| format!("{:.1} s", v.open_secs)),
        cell(&j.idle, |v| format!("{:.1} s", v.open_secs)),
    ));
    let release = |o: &Outcome<crate::idle::IdleResult>| {
        cell(o, |v| match v.release_secs {
            Some(s) => format!("{s:.1} s"),
            None => "not within 120 s".into(),
        })
    };
    rows.push(row(
        "3 closed: server released the sockets after",
        release(&l.idle),
        release(&j.idle),
    ));
    rows.push(row(
        "3 server peak RSS (VmHWM) so far",
        cell(&l.idle, |v| mib(v.with_idle.hwm_kib)),
        cell(&j.idle, |v| mib(v.with_idle.hwm_kib)),
    ));

    let loaded = 1 + p.writers.iter().sum::<usize>() * p.docs_per_writer;
    rows.push(row(
        format!(
            "3 again after 1-2 ({loaded}+ docs loaded): {} conns, open time",
            p.idle_loaded
        ),
        cell(&l.idle_loaded, |v| {
            format!("{}/{} in {:.1} s", v.opened, v.wanted, v.open_secs)
        }),
        cell(&j.idle_loaded, |v| {
            format!("{}/{} in {:.1} s", v.opened, v.wanted, v.open_secs)
        }),
    ));
    rows.push(row(
        "3   server RSS with them open",
        cell(&l.idle_loaded, |v| mib(v.with_idle.rss_kib)),
        cell(&j.idle_loaded, |v| mib(v.with_idle.rss_kib)),
    ));

    // 4. Reconnect, once per library size.
    reconnect::rows(&mut rows, l, j);

    let mut out = String::new();
    let _ = writeln!(out, "{}", machine());
    let _ = writeln!(
        out,
        "mode: {}",
        if p.quick { "quick (CI)" } else { "normal" }
    );
    let _ = writeln!(out);
    let header = row("workload", "larder", "js (automerge-repo)")
        .ratio("larder vs js")
        .goal("goal (larder)", None);
    let mut all = vec![Row {
        verdict: String::new(),
        ..header
    }];
    all.extend(rows);
    let w = |f: fn(&Row) -> &String| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let widths = [
        w(|r| &r.label),
        w(|r| &r.larder),
        w(|r| &r.js),
        w(|r| &r.ratio),
        w(|r| &r.goal),
    ];
    for (i, r) in all.iter().enumerate() {
        let cells = [&r.label, &r.larder, &r.js, &r.ratio, &r.goal];
        let mut line = String::new();
        for (c, width) in cells.iter().zip(widths) {
            let pad = width - c.chars().count();
            let _ = write!(line, "{c}{}  ", " ".repeat(pad));
        }
        line.push_str(&r.verdict);
        let _ = writeln!(out, "{}", line.trim_end());
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * widths.len() + 7;
            let _ = writeln!(out, "{}", "-".repeat(total));
        }
    }

    let _ = writeln!(out);
    for (name, r) in [("larder", l), ("js", j)] {
        for note in &r.notes {
            let _ = writeln!(out, "note ({name}): {note}");
        }
        for (w, f) in [
            ("1 latency", r.latency.failure()),
            ("3 idle", r.idle.failure()),
            ("3 idle, documents loaded", r.idle_loaded.failure()),
        ] {
            if let Some(e) = f {
                let _ = writeln!(out, "FAILED ({name}, {w}): {e}");
            }
        }
        for (o, docs) in r.reconnect.iter().zip(&r.params.docs) {
            if let Some(e) = o.failure() {
                let _ = writeln!(out, "FAILED ({name}, 4 reconnect, {docs} documents): {e}");
            }
        }
        for (t, &writers) in r.throughput.iter().zip(&r.params.writers) {
            if let Some(e) = t.failure() {
                let _ = writeln!(out, "FAILED ({name}, 2 throughput, {writers} users): {e}");
            }
        }
        for i in [r.idle.done(), r.idle_loaded.done()].into_iter().flatten() {
            if let Some(e) = &i.first_error {
                let _ = writeln!(
                    out,
                    "idle connections ({name}): {} of {} failed to open; first error: {e}",
                    i.failed, i.wanted
                );
            }
        }
        for f in r.reconnect.iter().filter_map(|o| o.done()?.feed.as_ref()) {
            reconnect::notes(&mut out, name, f);
        }
    }
    out.push_str(NOTES);
    out
}

const NOTES: &str = "\
How to read this:
- Both servers, the load generator and its simulated devices share this machine's cores; nothing
  is pinned. Loopback only. Devices are samod repos in workload 1 and raw protocol peers (their
  own automerge documents and sync states, no repo around them) in workloads 2-4.
- 'acked' means the server's sync reply showed it had the edit. larder-server replies only once
  the change is durable (fsync'd group commit); the JS server replies from memory and writes to
  disk later (automerge-repo's default save debounce, 100 ms). larder users' argon2 cost is
  lowered for the benchmark (memory_kib = 64, iterations = 1): only logins are affected.
- Throughput runs twice, with users of its own each time: a small relay and a busy one.
  larder-server spreads documents over a fixed set of shards by id, each message costing work
  in its own document only; the JS server serves every user from one repo, whose work per
  message grows with all the connections and documents it holds.
- Fan-out: the writer stamps each edit with the generator's clock; the reader device of the same
  user takes the difference when it has applied the edit.
- Relay CPU per acked edit is the server's CPU time during the run divided by the edits it
  acknowledged (what an autoscaler scales on); the goal is 0.15 ms.
- Workload 4 runs at two library sizes with a user each; per-document costs that stay flat
  between them show the relay's work does not grow with the library.
- Reconnect, the Larder way: one GET /api/v1/changes?since=<cursor> on a fresh TCP connection
  (bytes are everything on that socket: request, headers, body); the websocket for live sync is
  one more round trip. The automerge-repo way re-syncs every document over the websocket (bytes
  include the HTTP upgrade and the join handshake); for larder it also needs a ticket request.
";
