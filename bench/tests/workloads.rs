//! Every workload on every engine in this build, in-process and tiny: checks that each adapter
//! answers correctly (the workloads verify every value they read) and that each phase reports
//! operations. The `peers` binary runs the same code in child processes, at full size.

use basalt_bench::{run_child, EngineKind, Settings, Workload};

#[test]
fn every_workload_runs_on_every_built_engine() {
    let settings = Settings { scale: 0.001, seconds: 0.05, ycsb_threads: 4, seed: 7 };
    for engine in EngineKind::ALL.into_iter().filter(|e| e.is_built()) {
        for workload in Workload::ALL {
            let dir = tempfile::tempdir().expect("temp dir");
            let report = run_child(engine, workload, dir.path(), &settings)
                .unwrap_or_else(|e| panic!("{engine} {workload}: {e}"));
            assert!(!report.phases.is_empty(), "{engine} {workload}: phases");
            for phase in &report.phases {
                assert!(phase.ops > 0, "{engine} {workload} {}: no operations", phase.name);
            }
            assert!(report.disk_bytes > 0, "{engine} {workload}: nothing on disk");
        }
    }
}
