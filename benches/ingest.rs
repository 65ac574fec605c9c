//! Spending-file import throughput, end to end into SQLite (rows per second).
//! Run: `cargo bench --bench ingest`. For the 1,000,000-row comparison with sqlite3's
//! `.import`, see scripts/ingest-bench.sh.

use std::io::Write;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use foiatrack::ops::data::{self as ingest, ImportOptions};
use foiatrack::store::files::FileStore;

const ROWS: usize = 50_000;

fn setup(dir: &std::path::Path) -> (rusqlite::Connection, FileStore) {
    let db = dir.join("bench.db");
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_dir_all(dir.join("bench.files"));
    let mut conn = foiatrack::ops::database::create_or_open(&db).unwrap();
    foiatrack::ops::law::load_builtin(&mut conn).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let input = foiatrack::store::agency::AgencyInput {
        name: Some("Bench City".into()),
        state: Some("CO".into()),
        email: Some("records@bench.example.org".into()),
        ..Default::default()
    };
    foiatrack::ops::agency::add(&mut conn, &input).unwrap();
    let new = foiatrack::store::campaign::NewCampaign {
        slug: "bench".into(),
        title: "Bench".into(),
        records: "All purchases".into(),
        code_prefix: Some("BENCH".into()),
        vendor_pattern: Some("amazon|amzn".into()),
        ..Default::default()
    };
    foiatrack::ops::campaign::create(&mut conn, &new, today).unwrap();
    let sel = foiatrack::ops::campaign::Selection { all: true, ..Default::default() };
    foiatrack::ops::campaign::add_agencies(&mut conn, "bench", &sel, today).unwrap();
    (conn, FileStore::beside(&db))
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("pcard.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    writeln!(f, "Cardholder,Transaction Date,Merchant,Description,Amount").unwrap();
    let vendors = ["Amazon.com", "AMZN Mktp US", "Amazon Marketplace", "Staples", "Office Depot"];
    for i in 0..ROWS {
        let cents = 106 + (i * 7919) % 232_094;
        writeln!(
            f,
            "Card {},{}/{}/2016,{},Supplies,{}.{:02}",
            i % 500,
            1 + i % 12,
            1 + i % 28,
            vendors[i % 5],
            cents / 100,
            cents % 100
        )
        .unwrap();
    }
    drop(f);
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("csv_50k_rows", |b| {
        b.iter_batched(
            || setup(dir.path()),
            |(mut conn, store)| {
                ingest::import(&mut conn, &store, "BENCH-0001", &csv, "pcard.csv", &ImportOptions::default(), today)
                    .unwrap()
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
