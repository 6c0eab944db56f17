//! `basalt-sstable`: immutable sorted tables on disk (not built yet).
