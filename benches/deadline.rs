//! Deadline computation must stay well under a microsecond per request, so that listing a
//! million requests is not bounded by it. Run: `cargo bench --bench deadline`.

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use foiatrack::core::calendar::Calendar;
use foiatrack::core::daytype::DayType;
use foiatrack::core::deadline::{self, EventFact, Period, Rules};
use foiatrack::core::status::EventKind;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let cal = Calendar::federal();
    let start = NaiveDate::from_ymd_opt(2026, 2, 13).unwrap();
    // A spread of send dates so holidays and weekends fall everywhere.
    let dates: Vec<NaiveDate> = (0..365).map(|i| start + Duration::days(i)).collect();

    let mut group = c.benchmark_group("deadline");
    for (name, period) in [
        ("due_date_business_10", Period::new(Some(10), DayType::Business)),
        ("due_date_business_20", Period::new(Some(20), DayType::Business)),
        ("due_date_calendar_30", Period::new(Some(30), DayType::Calendar)),
    ] {
        group.bench_function(name, |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % dates.len();
                deadline::due_date(&cal, black_box(dates[i]), black_box(period))
            })
        });
    }

    let rules = Rules { period: Period::new(Some(5), DayType::Business), calendar: &cal, followup_every: 10 };
    let fact = |id, kind, days: i64| EventFact {
        id,
        kind,
        on: start + Duration::days(days),
        days: None,
        until: None,
        amount_cents: None,
        reference: None,
    };
    let events = vec![
        fact(1, EventKind::Sent, 0),
        fact(2, EventKind::Acknowledged, 2),
        fact(3, EventKind::Fee, 4),
        fact(4, EventKind::Resumed, 10),
        fact(5, EventKind::FollowedUp, 30),
    ];
    group.bench_function("replay_five_events", |b| b.iter(|| deadline::replay(black_box(&events), &rules, false)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
