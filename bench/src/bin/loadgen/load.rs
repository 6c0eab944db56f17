//! The `load` step: (re)create the table, then preload its items with N connections.

use crate::client::{Connection, Endpoint};
use crate::items::Bodies;
use rand::{rngs::SmallRng, SeedableRng};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the table may take to disappear or become active.
const TABLE_WAIT: Duration = Duration::from_secs(60);
/// Attempts of each preload PutItem.
const PUT_ATTEMPTS: u32 = 3;

/// What the load step did.
pub struct LoadReport {
    /// Items written.
    pub items: u64,
    /// Items whose every attempt failed.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Wall-clock time of the preload (table creation excluded).
    pub elapsed: Duration,
}

/// Deletes `table` if it exists, creates it (`PAY_PER_REQUEST`, key `pk` S + `sk` N), waits
/// until it is `ACTIVE`, then writes items `0..items` with `connections` connections.
pub async fn load(
    endpoint: &Endpoint,
    table: &str,
    items: u64,
    connections: usize,
    seed: u64,
) -> Result<LoadReport, String> {
    let bodies = Arc::new(Bodies::new(table, items, &mut SmallRng::seed_from_u64(seed)));
    recreate_table(endpoint, &bodies).await?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections.max(1))
        .map(|id| {
            let (endpoint, bodies, next) = (endpoint.clone(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                let mut rng = SmallRng::seed_from_u64(seed ^ (id as u64 + 1));
                let mut conn = Connection::new(&endpoint);
                let (mut errors, mut first_error) = (0u64, None);
                loop {
                    // ORDERING: Relaxed: hands out distinct item numbers; nothing else is published.
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= items {
                        break (errors, first_error);
                    }
                    if let Err(e) = put_with_retries(&mut conn, bodies.put(index, &mut rng)).await {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            })
        })
        .collect();
    let mut report =
        LoadReport { items, errors: 0, first_error: None, elapsed: Duration::default() };
    for worker in workers {
        let (errors, first_error) = worker.await.map_err(|e| format!("load task: {e}"))?;
        report.errors += errors;
        if let Some(e) = first_error {
            report.first_error.get_or_insert(e);
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// One PutItem, retried on failure.
async fn put_with_retries(conn: &mut Connection, body: String) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..PUT_ATTEMPTS {
        match conn.call("PutItem", body.clone()).await {
            Ok(answer) if answer.ok() => return Ok(()),
            Ok(answer) => last = answer.describe(),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(last)
}

/// Deletes the table if present, waits for it to be gone, creates it and waits for `ACTIVE`.
async fn recreate_table(endpoint: &Endpoint, bodies: &Bodies) -> Result<(), String> {
    let mut conn = Connection::new(endpoint);
    let deadline = Instant::now() + TABLE_WAIT;
    // A table that does not exist answers ResourceNotFoundException: fine.
    conn.call("DeleteTable", bodies.table_only()).await?;
    loop {
        let answer = conn.call("DescribeTable", bodies.table_only()).await?;
        if !answer.ok() {
            if answer.contains(b"ResourceNotFoundException") {
                break;
            }
            return Err(format!("DescribeTable failed: {}", answer.describe()));
        }
        if Instant::now() > deadline {
            return Err(format!("the table is still there: {}", answer.describe()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = conn.call("CreateTable", bodies.create_table()).await?;
    if !answer.ok() {
        return Err(format!("CreateTable failed: {}", answer.describe()));
    }
    loop {
        let answer = conn.call("DescribeTable", bodies.table_only()).await?;
        if answer.ok() && answer.contains(b"\"ACTIVE\"") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the table did not become ACTIVE: {}", answer.describe()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
