//! A small HTTP/1.1 load generator for `bench/load.sh`, in plain std Rust (built with
//! `rustc -O`, no crates): what `oha` and `wrk` cannot do here.
//!
//! * `rate`: open-loop, constant rate. Request *i* is due at `start + i / rate`, whatever
//!   happened to earlier ones, and its latency is measured from that due time (so a stall
//!   is charged to every request it delays: no coordinated omission) and, separately, from
//!   the moment it was written. Every request gets its own body, one line of `--bodies`,
//!   never reused: `oha -Z` picks lines at random, which would resend the same
//!   `refund_requested` and time the duplicate path instead of a decision.
//! * `batch`: sends a JSON Lines file in bodies of about `--body-mib` MiB, back to back on
//!   `--connections` keep-alive connections, and reports events per second.
//!
//! Both print a human summary on stderr and one JSON object on stdout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Res<T> = Result<T, String>;

struct Args {
    mode: String,
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<String>,
    content_type: String,
    bodies: Option<String>,
    file: Option<String>,
    rate: f64,
    duration: f64,
    warmup: f64,
    connections: usize,
    body_mib: f64,
}

fn parse_args() -> Res<Args> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or("usage: loadgen rate|batch --addr HOST:PORT ...")?;
    let mut a = Args {
        mode,
        addr: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
        method: "POST".into(),
        path: "/v1/events".into(),
        headers: Vec::new(),
        content_type: "application/json".into(),
        bodies: None,
        file: None,
        rate: 5000.0,
        duration: 10.0,
        warmup: 2.0,
        connections: 16,
        body_mib: 8.0,
    };
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--addr" => a.addr = v()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--path" => a.path = v()?,
            "--method" => a.method = v()?,
            "--header" => a.headers.push(v()?),
            "--content-type" => a.content_type = v()?,
            "--bodies" => a.bodies = Some(v()?),
            "--file" => a.file = Some(v()?),
            "--rate" => a.rate = v()?.parse().map_err(|e| format!("--rate: {e}"))?,
            "--duration" => a.duration = v()?.parse().map_err(|e| format!("--duration: {e}"))?,
            "--warmup" => a.warmup = v()?.parse().map_err(|e| format!("--warmup: {e}"))?,
            "--connections" => {
                a.connections = v()?.parse().map_err(|e| format!("--connections: {e}"))?
            }
            "--body-mib" => a.body_mib = v()?.parse().map_err(|e| format!("--body-mib: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.connections == 0 || a.rate <= 0.0 || a.duration <= 0.0 {
        return Err("--connections, --rate and --duration must be positive".into());
    }
    Ok(a)
}

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    head: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Res<Conn> {
        let s = TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(|e| e.to_string())?;
        let w = s.try_clone().map_err(|e| e.to_string())?;
        Ok(Conn {
            reader: BufReader::with_capacity(1 << 16, s),
            writer: w,
            head: Vec::new(),
        })
    }

    fn prepare(&mut self, a: &Args, len: usize) {
        self.head.clear();
        let _ = write!(
            self.head,
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            a.method, a.path, a.addr
        );
        if a.method != "GET" {
            let _ = write!(
                self.head,
                "Content-Type: {}\r\nContent-Length: {len}\r\n",
                a.content_type
            );
        }
        for h in &a.headers {
            let _ = write!(self.head, "{h}\r\n");
        }
        self.head.extend_from_slice(b"\r\n");
    }

    /// Writes the request (head and body in one write when small).
    fn send(&mut self, a: &Args, body: &[u8]) -> Res<()> {
        self.prepare(a, body.len());
        if body.len() < 64 << 10 {
            self.head.extend_from_slice(body);
            self.writer.write_all(&self.head).map_err(|e| e.to_string())
        } else {
            self.writer.write_all(&self.head).map_err(|e| e.to_string())?;
            self.writer.write_all(body).map_err(|e| e.to_string())
        }
    }

    /// Reads one response: status and body.
    fn recv(&mut self) -> Res<(u16, Vec<u8>)> {
        let mut line = String::new();
        self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut len: Option<usize> = None;
        let mut chunked = false;
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed in the headers".into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    len = v.trim().parse().ok();
                } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
                let n = usize::from_str_radix(line.trim(), 16)
                    .map_err(|_| format!("bad chunk size {line:?}"))?;
                let start = body.len();
                body.resize(start + n + 2, 0);
                self.reader
                    .read_exact(&mut body[start..])
                    .map_err(|e| e.to_string())?;
                body.truncate(start + n);
                if n == 0 {
                    break;
                }
            }
        } else if let Some(n) = len {
            body.resize(n, 0);
            self.reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        }
        Ok((status, body))
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() as f64)).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn read_lines(path: &str) -> Res<Vec<Vec<u8>>> {
    let f = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    for l in BufReader::new(f).split(b'\n') {
        let l = l.map_err(|e| format!("{path}: {e}"))?;
        if !l.is_empty() {
            out.push(l);
        }
    }
    Ok(out)
}

/// What one request of the `rate` mode saw.
#[derive(Clone, Copy, Default)]
struct Sample {
    /// Microseconds from the due time to the whole response.
    from_due_us: u64,
    /// Microseconds from the write to the whole response.
    from_send_us: u64,
    ok: bool,
    measured: bool,
    /// Microseconds from the run's start to the due time.
    at_us: u64,
}

fn rate(a: &Args) -> Res<()> {
    let total = (a.rate * (a.warmup + a.duration)).round() as usize;
    let get = a.method == "GET";
    let path = if get {
        ""
    } else {
        a.bodies
            .as_deref()
            .ok_or("rate needs --bodies FILE (one body per line), or --method GET")?
    };
    let bodies = Arc::new(if get {
        vec![Vec::new(); total]
    } else {
        read_lines(path)?
    });
    if bodies.len() < total {
        return Err(format!(
            "{path} has {} bodies; {} s at {}/s needs {total} (bodies are never reused)",
            bodies.len(),
            a.warmup + a.duration,
            a.rate
        ));
    }
    let period = 1.0 / a.rate;
    let warm_n = (a.rate * a.warmup).round() as usize;
    let conns = a.connections;
    let mut opened = Vec::new();
    for _ in 0..conns {
        opened.push(Conn::open(a.addr)?);
    }
    let start = Instant::now() + Duration::from_millis(50);
    // Past this, a server that fell behind gets no more requests: the rest count as unsent.
    let deadline = start + Duration::from_secs_f64(a.warmup + a.duration + 5.0);
    let unsent = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut handles = Vec::new();
    for (k, mut conn) in opened.into_iter().enumerate() {
        let bodies = Arc::clone(&bodies);
        let errors = Arc::clone(&errors);
        let unsent = Arc::clone(&unsent);
        let first_error = Arc::clone(&first_error);
        let args = Args {
            mode: String::new(),
            addr: a.addr,
            method: a.method.clone(),
            path: a.path.clone(),
            headers: a.headers.clone(),
            content_type: a.content_type.clone(),
            bodies: None,
            file: None,
            ..*a
        };
        handles.push(std::thread::spawn(move || {
            let mut out = Vec::with_capacity(total / conns + 1);
            let mut i = k;
            while i < total {
                let due = start + Duration::from_secs_f64(i as f64 * period);
                let now = Instant::now();
                if now > deadline {
                    unsent.fetch_add((total - i).div_ceil(conns), Ordering::Relaxed);
                    break;
                }
                if due > now {
                    let wait = due - now;
                    if wait > Duration::from_micros(300) {
                        std::thread::sleep(wait - Duration::from_micros(200));
                    }
                    while Instant::now() < due {
                        std::hint::spin_loop();
                    }
                }
                let sent = Instant::now();
                let r = conn.send(&args, &bodies[i]).and_then(|_| conn.recv());
                let done = Instant::now();
                let ok = match &r {
                    Ok((200, _)) if get => true,
                    // One new refund: accepted, and its decision in the answer.
                    Ok((200, b)) => {
                        let s = String::from_utf8_lossy(b);
                        s.contains("\"accepted\":1") && s.contains("\"point\":\"refund\"")
                    }
                    _ => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut f) = first_error.lock() {
                        if f.is_none() {
                            *f = Some(match &r {
                                Ok((s, b)) => format!(
                                    "status {s}: {}",
                                    String::from_utf8_lossy(&b[..b.len().min(300)])
                                ),
                                Err(e) => e.clone(),
                            });
                        }
                    }
                    if r.is_err() {
                        match Conn::open(args.addr) {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
                out.push(Sample {
                    from_due_us: done.saturating_duration_since(due).as_micros() as u64,
                    from_send_us: done.saturating_duration_since(sent).as_micros() as u64,
                    ok,
                    measured: i >= warm_n,
                    at_us: due.saturating_duration_since(start).as_micros() as u64,
                });
                i += conns;
            }
            out
        }));
    }
    let mut samples = Vec::with_capacity(total);
    for h in handles {
        samples.extend(h.join().map_err(|_| "a sender thread panicked")?);
    }
    let end = Instant::now();
    let measured: Vec<&Sample> = samples.iter().filter(|s| s.measured).collect();
    let mut due: Vec<u64> = measured.iter().map(|s| s.from_due_us).collect();
    let mut send: Vec<u64> = measured.iter().map(|s| s.from_send_us).collect();
    due.sort_unstable();
    send.sort_unstable();
    let ok = measured.iter().filter(|s| s.ok).count();
    let measured_secs = (end - start).as_secs_f64() - a.warmup;
    let achieved = measured.len() as f64 / measured_secs.max(1e-9);
    let errs = errors.load(Ordering::Relaxed);
    let unsent = unsent.load(Ordering::Relaxed);
    eprintln!(
        "rate: {} requests at {}/s over {:.1} s after {:.1} s warm-up on {} connections; achieved {:.0}/s; {} ok, {} errors, {} never sent (the server fell more than 5 s behind)",
        measured.len(),
        a.rate,
        measured_secs,
        a.warmup,
        conns,
        achieved,
        ok,
        errs,
        unsent
    );
    eprintln!(
        "  latency from due time (ms): p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        pct(&due, 50.0),
        pct(&due, 90.0),
        pct(&due, 99.0),
        pct(&due, 99.9),
        pct(&due, 100.0)
    );
    eprintln!(
        "  latency from write (ms):    p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        pct(&send, 50.0),
        pct(&send, 90.0),
        pct(&send, 99.0),
        pct(&send, 99.9),
        pct(&send, 100.0)
    );
    // Stalls: 100 ms windows in which some request took over 20 ms from its write.
    let mut stalls: Vec<(u64, u64, usize)> = Vec::new(); // (window, worst µs, slow requests)
    let mut slow: Vec<&&Sample> = measured.iter().filter(|s| s.from_send_us > 20_000).collect();
    slow.sort_by_key(|s| s.at_us);
    for s in slow {
        let w = s.at_us / 100_000;
        match stalls.last_mut() {
            Some(last) if last.0 == w => {
                last.1 = last.1.max(s.from_send_us);
                last.2 += 1;
            }
            _ => stalls.push((w, s.from_send_us, 1)),
        }
    }
    if !stalls.is_empty() {
        let list: Vec<String> = stalls
            .iter()
            .take(12)
            .map(|(w, m, n)| format!("{:.1}s: {n} slow, worst {:.0} ms", *w as f64 / 10.0, *m as f64 / 1000.0))
            .collect();
        eprintln!("  stalls (requests over 20 ms from write, by 100 ms window of due time): {}", list.join("; "));
    }
    if let Ok(f) = first_error.lock() {
        if let Some(e) = f.as_ref() {
            eprintln!("  first error: {e}");
        }
    }
    println!(
        "{{\"mode\":\"rate\",\"rate\":{},\"achieved\":{achieved:.1},\"requests\":{},\"ok\":{ok},\"errors\":{errs},\"unsent\":{unsent},\"connections\":{conns},\
         \"due_ms\":{{\"p50\":{:.3},\"p90\":{:.3},\"p99\":{:.3},\"p999\":{:.3},\"max\":{:.3}}},\
         \"send_ms\":{{\"p50\":{:.3},\"p90\":{:.3},\"p99\":{:.3},\"p999\":{:.3},\"max\":{:.3}}}}}",
        a.rate,
        measured.len(),
        pct(&due, 50.0),
        pct(&due, 90.0),
        pct(&due, 99.0),
        pct(&due, 99.9),
        pct(&due, 100.0),
        pct(&send, 50.0),
        pct(&send, 90.0),
        pct(&send, 99.0),
        pct(&send, 99.9),
        pct(&send, 100.0),
    );
    Ok(())
}

/// `"accepted":N` from an ingest response.
fn accepted(body: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(body).ok()?;
    let rest = &s[s.find("\"accepted\":")? + 11..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn batch(a: &Args) -> Res<()> {
    let path = a.file.as_deref().ok_or("batch needs --file EVENTS.jsonl")?;
    let data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let target = (a.body_mib * 1048576.0) as usize;
    let mut chunks: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, lines)
    let mut s = 0;
    while s < data.len() {
        let mut e = (s + target).min(data.len());
        if e < data.len() {
            match data[e..].iter().position(|b| *b == b'\n') {
                Some(p) => e += p + 1,
                None => e = data.len(),
            }
        }
        let lines = data[s..e].iter().filter(|b| **b == b'\n').count();
        chunks.push((s, e, lines));
        s = e;
    }
    let lines: usize = chunks.iter().map(|c| c.2).sum();
    let data = Arc::new(data);
    let chunks = Arc::new(chunks);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..a.connections {
        let mut conn = Conn::open(a.addr)?;
        let (data, chunks, next) = (Arc::clone(&data), Arc::clone(&chunks), Arc::clone(&next));
        let args = Args {
            mode: String::new(),
            addr: a.addr,
            method: a.method.clone(),
            path: a.path.clone(),
            headers: a.headers.clone(),
            content_type: a.content_type.clone(),
            bodies: None,
            file: None,
            ..*a
        };
        handles.push(std::thread::spawn(move || -> Res<(u64, Vec<u64>)> {
            let mut acc = 0u64;
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(s, e, _)) = chunks.get(i) else {
                    break;
                };
                let t = Instant::now();
                conn.send(&args, &data[s..e])?;
                let (status, body) = conn.recv()?;
                lat.push(t.elapsed().as_micros() as u64);
                if status != 200 {
                    return Err(format!(
                        "body {i}: status {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    ));
                }
                acc += accepted(&body).ok_or("no \"accepted\" in the answer")?;
            }
            Ok((acc, lat))
        }));
    }
    let mut acc = 0;
    let mut lat = Vec::new();
    for h in handles {
        let (a2, l) = h.join().map_err(|_| "a sender thread panicked")??;
        acc += a2;
        lat.extend(l);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let eps = lines as f64 / secs;
    eprintln!(
        "batch: {lines} events ({:.0} MiB) in {} bodies of ~{} MiB on {} connections: {:.2} s, {:.0} events/s, {:.0} MiB/s; accepted {acc}; per body p50 {:.0} ms, max {:.0} ms",
        data.len() as f64 / 1048576.0,
        chunks.len(),
        a.body_mib,
        a.connections,
        secs,
        eps,
        data.len() as f64 / 1048576.0 / secs,
        pct(&lat, 50.0),
        pct(&lat, 100.0)
    );
    println!(
        "{{\"mode\":\"batch\",\"events\":{lines},\"bytes\":{},\"bodies\":{},\"body_mib\":{},\"connections\":{},\"seconds\":{secs:.3},\"events_per_second\":{eps:.0},\"accepted\":{acc}}}",
        data.len(),
        chunks.len(),
        a.body_mib,
        a.connections
    );
    Ok(())
}

fn main() {
    let r = parse_args().and_then(|a| match a.mode.as_str() {
        "rate" => rate(&a),
        "batch" => batch(&a),
        m => Err(format!("unknown mode {m}: rate or batch")),
    });
    if let Err(e) = r {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}
