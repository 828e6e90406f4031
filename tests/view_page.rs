//! The timeline page in a real browser, and `/api/events` over plain HTTP.
//!
//! A table of known events (the bundled sample articles through the extractor, one event told
//! again by a second outlet, one report without a URL) is served by the view's router on a
//! random port; headless Chromium (Debian's `chromium`, installed by `.ci/run`) loads the page
//! and the test reads what it drew from the DOM it dumps.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use timeline::article::{self, DecodeLimits};
use timeline::extract::Extractor;
use timeline::record::Record;
use timeline::view::table::EventList;
use timeline::view::{EventQuery, EventState, EventTable};

/// When the view saw the records (every sample has a publication time, so it plays no part).
const SEEN: &str = "2025-12-01T00:00:00Z";
/// The second outlet telling the first event again.
const WIRE_URL: &str = "https://news.example.com/wire/7";
const WIRE_SOURCE: &str = "Example Wire";
/// An article without a URL, reporting another event.
const NO_URL_ARTICLE: &str = "bulletin-without-url-42";

fn sample_records() -> Vec<Record> {
    let x = Extractor::builtin().expect("built-in extractor");
    let limits = DecodeLimits::default();
    timeline::stream::samples::articles()
        .flat_map(|line| {
            let a = article::decode(line.as_bytes(), &limits).expect("sample decodes");
            x.extract(&a, None).records
        })
        .collect()
}

fn fold(records: Vec<Record>) -> BTreeMap<String, EventState> {
    let mut states: BTreeMap<String, EventState> = BTreeMap::new();
    for r in records {
        match states.get_mut(&r.event_key) {
            Some(s) => {
                s.apply(r, SEEN);
            }
            None => {
                states.insert(r.event_key.clone(), EventState::new(r, SEEN));
            }
        }
    }
    states
}

/// The known events, and the keys of the two the tests look at closely.
struct Known {
    states: BTreeMap<String, EventState>,
    /// Told by the samples and by [`WIRE_SOURCE`]: 2 reports, 2 sources.
    twice: String,
    /// Told again by an article without a URL.
    no_url: String,
}

fn known() -> Known {
    let records = sample_records();
    assert!(
        records.len() >= 10,
        "{} records from the samples",
        records.len()
    );
    // The first CONSULT of the samples (Egypt and Jordan meet in Cairo) is told again by a
    // wire service, in its own words.
    let first = records
        .iter()
        .find(|r| {
            r.event.event_type == "CONSULT" && r.actors.iter().any(|a| a.name == "Laila Haddad")
        })
        .expect("Karim Adel meets Laila Haddad in the samples")
        .clone();
    let mut wire = first.clone();
    wire.id = "wire-7-record".into();
    wire.article.id = "wire-7".into();
    wire.article.url = Some(WIRE_URL.into());
    wire.article.source = Some(WIRE_SOURCE.into());
    wire.article.title = Some("Ministers meet on aid corridor".into());
    wire.article.published_at = Some("2025-03-11T12:00:00+00:00".into());
    // Another event, reported again by a bulletin without a URL.
    let other = records
        .iter()
        .find(|r| r.event_key != first.event_key && r.event.event_type != "CONSULT")
        .expect("a second event")
        .clone();
    let mut bulletin = other.clone();
    bulletin.id = "bulletin-record".into();
    bulletin.article.id = NO_URL_ARTICLE.into();
    bulletin.article.url = None;
    bulletin.article.source = None;
    bulletin.article.title = None;
    let mut all = records;
    all.push(wire);
    all.push(bulletin);
    let states = fold(all);
    let twice = &states[&first.event_key];
    assert_eq!((twice.reports, twice.sources.len()), (2, 2), "{twice:?}");
    Known {
        twice: first.event_key.clone(),
        no_url: other.event_key.clone(),
        states,
    }
}

fn table_of<'a>(states: impl IntoIterator<Item = &'a EventState>) -> Arc<EventTable> {
    let table = Arc::new(EventTable::new());
    for s in states {
        table.put(&s.event_key, Some(s.clone()));
    }
    table
}

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

async fn serve_table(table: Arc<EventTable>) -> SocketAddr {
    serve(timeline::view::api::router(table)).await
}

// ---- the browser ----

/// `chromium --headless --dump-dom` of `url` after the page's scripts had 10 s of virtual
/// time. None (and a loud line) when Chromium is not installed, outside CI.
async fn dump_dom(url: String) -> Option<String> {
    tokio::task::spawn_blocking(move || dump_dom_blocking(&url))
        .await
        .unwrap()
}

fn dump_dom_blocking(url: &str) -> Option<String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    // One browser at a time: each wants a core.
    static ONE: Mutex<()> = Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().unwrap();
    let spawned = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing; .ci/run installs it (Debian package chromium)"
        );
        eprintln!("chromium not installed: the page is checked in a browser in CI only");
        return None;
    };
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within 120 s on {url}:\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = out.join().unwrap().unwrap();
    let err = err.join().unwrap_or_default();
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed on {url} ({status}):\n{err}\n{dom}"
    );
    Some(dom)
}

/// The value of `data-<name>` on `<body>`.
fn body_data(dom: &str, name: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let body = &body[..body.find('>')?];
    let at = body.find(&format!("data-{name}=\""))? + name.len() + 7;
    Some(body[at..at + body[at..].find('"')?].to_owned())
}

fn drawn(dom: &str) -> usize {
    body_data(dom, "drawn-events")
        .unwrap_or_else(|| panic!("nothing drawn:\n{dom}"))
        .parse()
        .unwrap()
}

/// The `data-<attr>` values of the drawn events, in page order.
fn attr_values(dom: &str, attr: &str) -> Vec<String> {
    let pat = format!(" data-{attr}=\"");
    dom.match_indices(&pat)
        .map(|(at, _)| {
            let rest = &dom[at + pat.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Text as the DOM serializer writes it.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

// ---- the page ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_draws_every_known_event_with_its_parties_dates_reports_and_evidence() {
    let k = known();
    let addr = serve_table(table_of(k.states.values())).await;
    let open = format!("{},{}", k.twice, k.no_url);
    let Some(dom) = dump_dom(format!("http://{addr}/#open={open}")).await else {
        return;
    };

    // One element per event in the table, and the page says so.
    assert_eq!(drawn(&dom), k.states.len(), "{dom}");
    let keys = attr_values(&dom, "event-key");
    assert_eq!(keys.len(), k.states.len());
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, k.states.keys().cloned().collect::<Vec<_>>());
    assert_eq!(body_data(&dom, "state").as_deref(), Some("ok"));

    // Every event's type, date (machine-readable) and named parties are drawn.
    for s in k.states.values() {
        assert!(
            dom.contains(&format!("data-type=\"{}\"", s.best.event.event_type)),
            "{}",
            s.best.event.event_type
        );
        assert!(
            dom.contains(&format!("datetime=\"{}\"", html(&s.best.date.value))),
            "date {} of {}",
            s.best.date.value,
            s.event_key
        );
        for p in s.parties.iter().take(3) {
            assert!(dom.contains(&html(&p.name)), "party {} missing", p.name);
        }
    }
    // A known event: Egypt and Jordan's ministers in Cairo, 10 Mar 2025 (said "on Monday").
    let twice = &k.states[&k.twice];
    assert_eq!(twice.best.event.event_type, "CONSULT");
    assert!(dom.contains("Karim Adel"), "{dom}");
    assert!(dom.contains("Laila Haddad"), "{dom}");
    assert!(
        dom.contains(&format!(">{}<", date_text(&twice.best.date.value))),
        "{}",
        twice.best.date.value
    );
    // Reports and distinct outlets, and the basis of each date.
    assert_eq!(dom.matches("2 reports · 2 sources").count(), 1, "{dom}");
    assert!(dom.contains("1 report · 1 source"));
    for basis in k.states.values().map(|s| s.best.date.basis.as_str()) {
        assert!(dom.contains(&format!("class=\"basis {basis}\"")), "{basis}");
    }

    // The two events opened by the URL show their evidence: links to the articles, the
    // article id as text where there is no URL, the trigger marked.
    assert!(dom.contains(&format!("href=\"{WIRE_URL}\"")), "{dom}");
    assert!(dom.contains("href=\"https://example.org/samples/sample-001\""));
    assert!(dom.contains(WIRE_SOURCE));
    assert!(
        dom.contains(&format!(
            "<cite class=\"article-id\">{NO_URL_ARTICLE}</cite>"
        )),
        "{dom}"
    );
    assert!(!dom.contains(&format!("href=\"{NO_URL_ARTICLE}")));
    let evidence: usize = [&k.twice, &k.no_url]
        .iter()
        .map(|key| k.states[*key].evidence.len())
        .sum();
    assert_eq!(dom.matches("<li class=\"evidence\">").count(), evidence);
    assert!(dom.matches("<mark class=\"trigger\">").count() >= evidence / 2);
    assert!(dom.contains(&format!(
        "<mark class=\"trigger\">{}</mark>",
        html(&twice.best.event.trigger)
    )));
    // Closed events show none.
    assert_eq!(dom.matches("class=\"detail\"").count(), 2);
}

/// The date as the page writes it (`2025-03-10` -> `10 Mar 2025`).
fn date_text(value: &str) -> String {
    match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) => d.format("%-d %b %Y").to_string(),
        Err(_) => value.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_in_the_url_hash_draw_only_matching_events() {
    let k = known();
    let table = table_of(k.states.values());
    let addr = serve_table(Arc::clone(&table)).await;

    let consult = k
        .states
        .values()
        .filter(|s| s.best.event.event_type == "CONSULT")
        .count();
    assert!(consult >= 2 && consult < k.states.len());
    let Some(dom) = dump_dom(format!("http://{addr}/#type=CONSULT&group=type")).await else {
        return;
    };
    assert_eq!(drawn(&dom), consult, "{dom}");
    let types = attr_values(&dom, "type");
    assert_eq!(types.len(), consult);
    assert!(types.iter().all(|t| t == "CONSULT"), "{types:?}");
    // The status line says these are the matches.
    assert!(dom.contains(&format!("{consult} events match")), "{dom}");

    // An actor: as many as the API gives, each naming them.
    let actor = "haddad";
    let expected = table.query(&EventQuery {
        actor: Some(actor.into()),
        ..EventQuery::default()
    });
    assert!(expected.total >= 1);
    let dom = dump_dom(format!("http://{addr}/#actor={actor}&group=actor"))
        .await
        .unwrap();
    assert_eq!(drawn(&dom), expected.total, "{dom}");
    let keys = attr_values(&dom, "event-key");
    let mut want: Vec<String> = expected
        .events
        .iter()
        .map(|e| e.event_key.clone())
        .collect();
    let mut got = keys.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // Nothing matches: the page says so.
    let dom = dump_dom(format!("http://{addr}/#q=zzzunheardof"))
        .await
        .unwrap();
    assert_eq!(drawn(&dom), 0);
    assert!(dom.contains("No events match these filters."), "{dom}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_view_and_a_failing_service_are_said_so() {
    let addr = serve_table(Arc::new(EventTable::new())).await;
    let Some(dom) = dump_dom(format!("http://{addr}/")).await else {
        return;
    };
    assert_eq!(drawn(&dom), 0);
    assert!(dom.contains("No events yet"), "{dom}");

    // The page, but an API that fails.
    let failing = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    timeline::view::api::PAGE,
                )
            }),
        )
        .route(
            "/api/events",
            axum::routing::get(|| async {
                (axum::http::StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
            }),
        );
    let addr = serve(failing).await;
    let dom = dump_dom(format!("http://{addr}/")).await.unwrap();
    assert!(dom.contains("Cannot load events."), "{dom}");
    assert!(dom.contains("HTTP 503"), "{dom}");
    assert_eq!(body_data(&dom, "state").as_deref(), Some("error"));
}

/// `n` events like the samples': each sample event again under other keys, moved by days.
fn many(states: &BTreeMap<String, EventState>, n: usize) -> Vec<EventState> {
    let base: Vec<&EventState> = states.values().collect();
    (0..n)
        .map(|i| {
            let mut s = base[i % base.len()].clone();
            s.event_key = format!("{}-{i:03}", s.event_key);
            let days = chrono::Duration::days((i / base.len()) as i64 * 9 - 40);
            let d = &mut s.best.date;
            let shift = |t: &mut String| {
                if let Ok(x) = chrono::DateTime::parse_from_rfc3339(t) {
                    *t = (x + days).to_rfc3339();
                } else if let Ok(x) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                    *t = (x + days).format("%Y-%m-%d").to_string();
                }
            };
            shift(&mut d.value);
            if let Some(t) = d.start.as_mut() {
                shift(t);
            }
            if let Some(t) = d.end.as_mut() {
                shift(t);
            }
            s
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_events_draw_and_the_time_is_reported() {
    let k = known();
    let events = many(&k.states, 300);
    let table = table_of(&events);
    assert_eq!(table.len(), 300);
    let addr = serve_table(table).await;
    let Some(dom) = dump_dom(format!("http://{addr}/#open={}-000", k.twice)).await else {
        return;
    };
    assert_eq!(drawn(&dom), 300);
    assert_eq!(attr_values(&dom, "event-key").len(), 300);
    let ms: u64 = body_data(&dom, "draw-ms").unwrap().parse().unwrap();
    // Measured, not asserted tightly: the machine may be busy.
    eprintln!("300 events: fetched and drawn in {ms} ms");
    assert!(ms < 5000, "{ms} ms to draw 300 events");
}

// ---- /api/events ----

/// A minimal HTTP/1.1 GET, to keep an HTTP client crate out of the dependencies.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

async fn api(addr: SocketAddr, query: &str) -> EventList {
    let res = http_get(addr, &format!("/api/events{query}")).await;
    assert!(res.starts_with("HTTP/1.1 200"), "{query}: {res}");
    let body = res.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{query}: {e}: {body}"))
}

#[tokio::test]
async fn the_api_filters_by_actor_type_dates_words_and_limits() {
    let k = known();
    let addr = serve_table(table_of(k.states.values())).await;
    let all = api(addr, "").await;
    assert_eq!(all.total, k.states.len());
    assert_eq!(all.events.len(), k.states.len());
    // Earliest first.
    let days: Vec<&str> = all
        .events
        .iter()
        .filter_map(|e| e.date.start.as_deref())
        .map(|s| &s[..10])
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");

    // Actor: part of a name, any case; or a state code.
    let r = api(addr, "?actor=HADDAD").await;
    assert!(r.total >= 1);
    assert!(r.events.iter().any(|e| e.event_key == k.twice));
    for e in &r.events {
        assert!(e.parties.iter().any(|p| p.name.contains("Haddad")), "{e:?}");
    }
    let r = api(addr, "?actor=jor").await;
    assert!(r.events.iter().any(|e| e.event_key == k.twice));
    for e in &r.events {
        assert!(
            e.parties
                .iter()
                .any(|p| p.country.as_deref() == Some("JOR")
                    || p.name.to_lowercase().contains("jor")),
            "{e:?}"
        );
    }

    // Type, any case.
    let r = api(addr, "?type=consult").await;
    let consult = k
        .states
        .values()
        .filter(|s| s.best.event.event_type == "CONSULT")
        .count();
    assert_eq!(r.total, consult);
    assert!(r.events.iter().all(|e| e.event_type == "CONSULT"));

    // Dates: one day, then a month as a prefix.
    let twice = &k.states[&k.twice];
    let day = &twice.best.date.value;
    let r = api(addr, &format!("?from={day}&to={day}")).await;
    assert!(r.events.iter().any(|e| e.event_key == k.twice), "{day}");
    // Every event whose days overlap [from, to] (`end` is exclusive).
    let overlaps = |e: &timeline::view::table::EventView, first: &str, last_excl: &str| {
        let start = e.date.start.as_deref().unwrap_or(&e.date.value);
        let end = e.date.end.as_deref().unwrap_or(&e.date.value);
        &start[..10] < last_excl && &end[..10] > first
    };
    let next_day = |d: &str| {
        (chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap() + chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string()
    };
    for e in &r.events {
        assert!(overlaps(e, day, &next_day(day)), "{e:?}");
    }
    let month = &day[..7];
    let r = api(addr, &format!("?from={month}&to={month}")).await;
    assert!(r.total > 1, "{month}");
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    let after = first.checked_add_months(chrono::Months::new(1)).unwrap();
    for e in &r.events {
        assert!(overlaps(e, &first.to_string(), &after.to_string()), "{e:?}");
    }
    let r = api(addr, "?from=2030-01-01").await;
    assert_eq!(r.total, 0);
    assert!(r.events.is_empty());

    // Words in the evidence, all of them.
    let r = api(addr, "?q=aid+corridor").await;
    assert!(r.events.iter().any(|e| e.event_key == k.twice));
    for e in &r.events {
        assert!(
            e.evidence.iter().any(|v| {
                let t = format!("{} {}", v.sentence, v.title.as_deref().unwrap_or(""));
                t.to_lowercase().contains("corridor")
            }),
            "{e:?}"
        );
    }

    // Limit: the most reported first, `total` still counts every match.
    let r = api(addr, "?limit=1").await;
    assert_eq!((r.total, r.events.len()), (k.states.len(), 1));
    let most = k.states.values().map(|s| s.reports).max().unwrap();
    let first_most = k.states.values().find(|s| s.reports == most).unwrap();
    assert_eq!(r.events[0].event_key, first_most.event_key);
    let r = api(addr, "?limit=3&actor=haddad").await;
    let e = r.events.iter().find(|e| e.event_key == k.twice).unwrap();
    assert_eq!((e.reports, e.articles), (2, 2));
    assert_eq!(e.sources, vec![WIRE_SOURCE, "timeline samples"]);

    // One event's whole state; an unknown key is a 404 that says what keys are.
    let res = http_get(addr, &format!("/api/events/{}", k.twice)).await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    let state: EventState = serde_json::from_str(res.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(&state, twice);
    let res = http_get(addr, "/api/events/nope").await;
    assert!(res.starts_with("HTTP/1.1 404"), "{res}");
    assert!(res.contains("event_key"), "{res}");

    // The page itself: HTML, not cached, no external resource.
    let res = http_get(addr, "/").await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.to_lowercase().contains("content-type: text/html"));
    let page = res.split_once("\r\n\r\n").unwrap().1;
    for external in [
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
        "fetch('/",
    ] {
        assert!(!page.contains(external), "{external}");
    }
}
