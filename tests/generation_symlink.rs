//! One generation file, two spellings: a symlink `g2 -> g` (and a symlinked
//! directory) must name the same clock, so that a process holding it through
//! one spelling locks out a process opening it through the other, and no
//! generation is ever handed out twice. The symlink itself stays a symlink.
//!
//! The second process is this test binary re-executed with
//! `PHIFD_SYMLINK_CHILD=<path>` (own binary, like `generation_crash.rs`: a child
//! shares open file descriptions between fork and exec for an instant, which
//! must not touch the locks of other tests in the same process).

use phifd::generation::encode;
use phifd::{GenerationClock, Status};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

const CHILD_ENV: &str = "PHIFD_SYMLINK_CHILD";

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("phifd-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The child: opens the clock at `$PHIFD_SYMLINK_CHILD`, prints `@open <g>` (or
/// `@error <status>` and exits), advances once and prints `@advanced <g>`, then
/// holds the clock until its stdin closes. (The `@` marks the replies among the
/// test harness's own output.)
#[test]
fn symlink_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let mut out = std::io::stdout().lock();
    match GenerationClock::open(&path) {
        Ok(c) => {
            writeln!(out, "\n@open {}", c.current()).unwrap();
            writeln!(out, "@advanced {}", c.advance().unwrap()).unwrap();
            out.flush().unwrap();
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                line.clear();
            }
        }
        Err(e) => {
            writeln!(out, "\n@error {:?}", e.status).unwrap();
            out.flush().unwrap();
        }
    }
}

struct Holder {
    child: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl Holder {
    fn spawn(path: &Path) -> Holder {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "symlink_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Holder { child, lines }
    }

    /// The next line the child printed that belongs to the protocol.
    fn next(&mut self) -> String {
        for l in self.lines.by_ref() {
            if let Some(reply) = l.unwrap().strip_prefix('@') {
                return reply.to_string();
            }
        }
        panic!("the child exited without reporting");
    }

    fn finish(mut self) {
        drop(self.child.stdin.take()); // closing stdin releases the clock
        assert!(self.child.wait().unwrap().success());
    }
}

fn number(line: &str, word: &str) -> u64 {
    line.strip_prefix(word)
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("expected `{word}<n>`, got `{line}`"))
}

fn assert_symlink(p: &Path) {
    let m = std::fs::symlink_metadata(p).unwrap();
    assert!(
        m.file_type().is_symlink(),
        "{} was replaced by a regular file",
        p.display()
    );
}

#[test]
fn a_symlink_names_the_same_clock_in_another_process() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let d = temp_dir("symlink");
    let g = d.join("g");
    let g2 = d.join("g2");
    std::os::unix::fs::symlink("g", &g2).unwrap(); // relative, and dangling until g exists

    // Another process holds the clock through the symlink...
    let mut holder = Holder::spawn(&g2);
    assert_eq!(number(&holder.next(), "open "), 1);
    assert_eq!(number(&holder.next(), "advanced "), 2);
    // ...so opening the real name here is refused, whatever the spelling.
    let e = GenerationClock::open(&g).expect_err("a second owner of the same file");
    assert_eq!(e.status, Status::Locked, "{e}");
    let e = GenerationClock::open(&g2).expect_err("a second owner through the same symlink");
    assert_eq!(e.status, Status::Locked, "{e}");
    // The advance went through the symlink into the file it names.
    assert_symlink(&g2);
    assert_eq!(std::fs::read(&g).unwrap(), encode(2).to_vec());
    holder.finish();

    // The other way round: held here through the real name, refused in the other process.
    let c = GenerationClock::open(&g).unwrap();
    assert_eq!(
        c.current(),
        3,
        "a new incarnation after the one handed out through the symlink"
    );
    let mut second = Holder::spawn(&g2);
    assert_eq!(second.next(), "error Locked");
    second.finish();
    drop(c);

    // Absolute symlinks and symlinked directories resolve to the same file too.
    let abs = d.join("abs");
    std::os::unix::fs::symlink(&g, &abs).unwrap();
    let linked_dir = d.join("dir-link");
    std::os::unix::fs::symlink(&d, &linked_dir).unwrap();
    let mut holder = Holder::spawn(&linked_dir.join("g2"));
    assert_eq!(number(&holder.next(), "open "), 4);
    assert_eq!(number(&holder.next(), "advanced "), 5);
    for p in [&g, &g2, &abs] {
        let e = GenerationClock::open(p).expect_err("a second owner");
        assert_eq!(e.status, Status::Locked, "{}: {e}", p.display());
    }
    holder.finish();
    assert_symlink(&g2);
    assert_symlink(&abs);
    let c = GenerationClock::open(&abs).unwrap();
    assert_eq!(c.current(), 6);
    assert_eq!(
        c.path(),
        Some(std::fs::canonicalize(&g).unwrap().as_path()),
        "the clock reports the file it writes"
    );
    assert!(
        !d.join("g2.lock").exists() && !d.join("abs.lock").exists(),
        "one lock file, next to the real file"
    );
}
