//! Mechanical house rules over the library sources of every crate (`*/src/**/*.rs`), as
//! `STYLE.md` asks: every `unsafe` block or function states its safety argument, every atomic
//! memory ordering is justified, no `dbg!`/`println!` in library code, and functions stay short
//! (at most 70 lines, the style's ratchet). Each rule names the file and line it trips on.

use std::path::{Path, PathBuf};

const FUNCTION_LINES_MAX: usize = 70;

fn library_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["engine", "wal", "fs", "sstable", "server", "bench"] {
        collect(&root.join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 20, "found the sources");
    files
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable source");
    text.lines().map(str::to_owned).collect()
}

/// Whether `needle` appears within `window` lines before `at` (or on it).
fn near_before(lines: &[String], at: usize, window: usize, needle: &str) -> bool {
    lines[at.saturating_sub(window)..=at].iter().any(|l| l.contains(needle))
}

/// The doc comment (and attributes) directly above line `at`.
fn doc_comment_above(lines: &[String], at: usize) -> String {
    let above = lines[..at].iter().rev().take_while(|l| {
        let l = l.trim_start();
        l.starts_with("///") || l.starts_with("#[")
    });
    above.map(String::as_str).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_unsafe_states_its_safety_argument() {
    let mut missing = Vec::new();
    for path in library_sources() {
        let lines = lines(&path);
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let is_block = code.contains("unsafe {");
            let is_fn = code.contains("unsafe fn ");
            if is_block && !near_before(&lines, i, 10, "SAFETY:") {
                missing.push(format!("{}:{}: unsafe block without SAFETY", path.display(), i + 1));
            }
            if is_fn && !doc_comment_above(&lines, i).contains("# Safety") {
                missing.push(format!("{}:{}: unsafe fn without # Safety", path.display(), i + 1));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_atomic_ordering_is_justified() {
    let orderings = ["Relaxed", "Acquire", "Release", "AcqRel", "SeqCst"];
    let mut missing = Vec::new();
    for path in library_sources() {
        let lines = lines(&path);
        for (i, line) in lines.iter().enumerate() {
            let uses = orderings.iter().any(|o| line.contains(&format!("Ordering::{o}")));
            if uses && !near_before(&lines, i, 3, "ORDERING:") {
                missing.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(missing.is_empty(), "atomic orderings without ORDERING:\n{}", missing.join("\n"));
}

#[test]
fn no_debug_printing_in_library_code() {
    let mut found = Vec::new();
    for path in library_sources() {
        for (i, line) in lines(&path).iter().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains("dbg!(") || code.contains("println!(") || code.contains("print!(") {
                found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn functions_stay_short() {
    let mut long = Vec::new();
    for path in library_sources() {
        let lines = lines(&path);
        let mut in_tests = false;
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("mod tests") || line.contains("#[cfg(test)]") {
                in_tests = true; // unit tests sit at the bottom of a file
            }
            let trimmed = line.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "unsafe fn ", "pub unsafe fn "]
                .iter()
                .any(|p| trimmed.starts_with(p));
            if in_tests || !is_fn || line.trim_end().ends_with(';') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            let close = format!("{}}}", " ".repeat(indent));
            let Some(end) = lines[i..].iter().position(|l| l.trim_end() == close) else {
                continue;
            };
            if end + 1 > FUNCTION_LINES_MAX {
                long.push(format!("{}:{}: {} lines", path.display(), i + 1, end + 1));
            }
        }
    }
    assert!(long.is_empty(), "functions over {FUNCTION_LINES_MAX} lines:\n{}", long.join("\n"));
}
