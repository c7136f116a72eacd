//! A best-effort static look at a command line before it runs: does it reach the network, and
//! does it write outside the worktree? The driver turns the answer into the approval question.
//! It reads words the way `sh` splits them (quotes, escapes, operators, `$(...)`), but runs
//! nothing and expands nothing; a determined command can hide from it, which is why the
//! sandbox, not this, is what actually stops a command.

use std::path::{Component, Path, PathBuf};

use super::lex::{Token, lex};
use crate::core::tools::Workspace;

/// What [`assess`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// Why the command needs the network (`` `git clone` uses the network ``), if it does.
    pub needs_network: Option<String>,
    /// Paths, as written, that the command would write outside the worktree.
    pub outside_paths: Vec<String>,
}

impl Assessment {
    /// The approval question's reason, or `None` when nothing stood out.
    pub fn reason(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(network) = &self.needs_network {
            parts.push(network.clone());
        }
        if !self.outside_paths.is_empty() {
            parts.push(format!(
                "writes outside the worktree: {}",
                self.outside_paths.join(", ")
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Looks at `line` as it would run in `ws`'s root. Writing under `/tmp` (private in the
/// sandbox) and to `/dev/null`-like devices is not "outside"; reading anything is fine.
pub fn assess(line: &str, ws: &Workspace) -> Assessment {
    let mut found = Assessment::default();
    let mut cwd = ws.root().to_path_buf();
    look(line, ws.root(), &mut cwd, &mut found, 0);
    found
}

/// How deep `sh -c "..."` and `$(...)` are followed.
const MAX_DEPTH: usize = 4;

fn look(line: &str, root: &Path, cwd: &mut PathBuf, found: &mut Assessment, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some((tokens, nested)) = lex(line) else {
        return;
    };
    for inner in nested {
        look(&inner, root, &mut cwd.clone(), found, depth + 1);
    }
    let mut words: Vec<String> = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(word) => words.push(word),
            Token::Op(op) if is_write_redirect(&op) => {
                if let Some(Token::Word(target)) = tokens.next() {
                    let to_fd =
                        op == ">&" && target.chars().all(|c| c.is_ascii_digit() || c == '-');
                    if !to_fd {
                        check_path(&target, root, cwd, found);
                    }
                }
            }
            Token::Op(op) if op.starts_with('<') => {
                tokens.next();
            }
            Token::Op(_) => {
                command(&std::mem::take(&mut words), root, cwd, found, depth);
            }
        }
    }
    command(&words, root, cwd, found, depth);
}

/// One simple command: its program and arguments.
fn command(words: &[String], root: &Path, cwd: &mut PathBuf, found: &mut Assessment, depth: usize) {
    let words = strip_wrappers(words);
    let Some((program, args)) = words.split_first() else {
        return;
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    if matches!(program, "sh" | "bash" | "dash" | "zsh")
        && let Some(at) = args.iter().position(|a| a == "-c")
        && let Some(script) = args.get(at + 1)
    {
        look(script, root, cwd, found, depth + 1);
        return;
    }
    if matches!(program, "cd" | "pushd") {
        match args.iter().find(|a| !a.starts_with('-')) {
            Some(dir) if !dir.contains('$') && !dir.starts_with('~') => *cwd = resolve(dir, cwd),
            _ => *cwd = PathBuf::from("/nonexistent-home"),
        }
        return;
    }
    if found.needs_network.is_none()
        && let Some(what) = network_use(program, args)
    {
        found.needs_network = Some(format!("`{what}` uses the network"));
    }
    for target in write_targets(program, args) {
        check_path(target, root, cwd, found);
    }
}

/// The command without leading assignments and wrappers (`sudo`, `env`, `nice`, `timeout 5`).
fn strip_wrappers(mut words: &[String]) -> &[String] {
    loop {
        let Some((first, rest)) = words.split_first() else {
            return words;
        };
        let is_assignment = first.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if is_assignment {
            words = rest;
            continue;
        }
        let takes_value = match first.as_str() {
            "sudo" | "env" | "nice" | "nohup" | "time" | "command" | "exec" | "builtin"
            | "stdbuf" | "ionice" | "xargs" | "doas" => false,
            "timeout" => true,
            _ => return words,
        };
        words = rest;
        while words.first().is_some_and(|w| w.starts_with('-')) {
            words = &words[1..];
        }
        if takes_value && !words.is_empty() {
            words = &words[1..];
        }
    }
}

/// The program (and subcommand) that reaches the network, if this one does.
fn network_use(program: &str, args: &[String]) -> Option<String> {
    const ALWAYS: &[&str] = &[
        "curl", "wget", "ssh", "scp", "sftp", "nc", "ncat", "netcat", "telnet", "ftp", "ping",
        "ping6", "dig", "nslookup", "host", "whois", "aria2c", "http", "https", "npx", "socat",
    ];
    if ALWAYS.contains(&program) {
        return Some(program.to_string());
    }
    if program == "rsync" && args.iter().any(|a| !a.starts_with('-') && is_remote(a)) {
        return Some(program.to_string());
    }
    let sub = subcommand(args);
    let fetching: &[&str] = match program {
        "git" => &["clone", "fetch", "pull", "push", "ls-remote", "submodule"],
        "pip" | "pip3" | "pipx" => &["install", "download", "wheel"],
        "uv" => &["add", "sync", "pip", "tool", "lock"],
        "npm" | "pnpm" | "bun" => &[
            "install", "i", "ci", "add", "update", "up", "dlx", "create", "publish", "exec", "x",
        ],
        "yarn" if sub.is_none() => return Some("yarn".into()),
        "yarn" => &[
            "install", "add", "upgrade", "up", "dlx", "create", "publish",
        ],
        "cargo" => &[
            "install",
            "fetch",
            "update",
            "add",
            "search",
            "publish",
            "login",
            "generate-lockfile",
        ],
        "go" if sub == Some("mod") => {
            let rest = args.iter().skip_while(|a| *a != "mod").nth(1)?;
            return matches!(rest.as_str(), "download" | "tidy").then(|| format!("go mod {rest}"));
        }
        "go" => &["get", "install"],
        "apt" | "apt-get" | "aptitude" | "dnf" | "yum" | "apk" | "zypper" | "brew" | "snap" => &[
            "install",
            "update",
            "upgrade",
            "dist-upgrade",
            "full-upgrade",
            "reinstall",
            "download",
            "source",
            "add",
            "fetch",
        ],
        "pacman"
            if args
                .iter()
                .any(|a| a.starts_with("-S") || a.starts_with("-U")) =>
        {
            return Some("pacman".into());
        }
        "gem" => &["install", "update", "fetch"],
        "bundle" if sub.is_none() => return Some("bundle".into()),
        "bundle" => &["install", "update"],
        "composer" => &["install", "update", "require"],
        "poetry" => &["install", "add", "update", "lock"],
        "conda" | "mamba" => &["install", "create", "update"],
        "docker" | "podman" => &["pull", "push", "login", "build", "run", "search"],
        "python" | "python3" if args.first().is_some_and(|a| a == "-m") => {
            let module = args.get(1)?;
            return network_use(module, &args[2..]).map(|what| format!("python -m {what}"));
        }
        _ => return None,
    };
    let sub = sub?;
    fetching.contains(&sub).then(|| format!("{program} {sub}"))
}

/// The first argument that is not an option (skipping `git -C dir` and `-c key=value`).
fn subcommand(args: &[String]) -> Option<&str> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "-C" || arg == "-c" {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

/// `host:path` or `user@host:path`, not a local path with a colon after a slash.
fn is_remote(arg: &str) -> bool {
    arg.split_once(':')
        .is_some_and(|(before, _)| !before.is_empty() && !before.contains('/'))
}

/// The arguments this program writes to.
fn write_targets<'a>(program: &str, args: &'a [String]) -> Vec<&'a String> {
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    match program {
        "cp" | "mv" | "install" | "ln" | "rsync" => {
            let target = args.iter().enumerate().find_map(|(i, a)| match a.as_str() {
                "-t" => args.get(i + 1),
                _ => None,
            });
            let named = args.iter().find(|a| a.starts_with("--target-directory="));
            match (target, named) {
                (Some(t), _) => vec![t],
                (None, Some(n)) => vec![n],
                (None, None) if operands.len() >= 2 => {
                    operands.last().copied().into_iter().collect()
                }
                (None, None) => Vec::new(),
            }
            .into_iter()
            .collect()
        }
        "rm" | "rmdir" | "touch" | "mkdir" | "tee" | "truncate" | "shred" | "unlink" => operands,
        "chmod" | "chown" | "chgrp" => operands.into_iter().skip(1).collect(),
        "dd" => args.iter().filter(|a| a.starts_with("of=")).collect(),
        _ => Vec::new(),
    }
}

/// Records `word` if it names a place outside the worktree.
fn check_path(word: &str, root: &Path, cwd: &Path, found: &mut Assessment) {
    let word = word
        .strip_prefix("--target-directory=")
        .or_else(|| word.strip_prefix("of="))
        .unwrap_or(word);
    let outside =
        if word.starts_with('~') || word.starts_with("$HOME") || word.starts_with("${HOME}") {
            true
        } else if word.contains('$') || word.is_empty() {
            // An expansion this look cannot follow.
            false
        } else {
            let path = resolve(word, cwd);
            !path.starts_with(root) && !harmless(&path)
        };
    if outside && !found.outside_paths.iter().any(|p| p == word) {
        found.outside_paths.push(word.to_string());
    }
}

/// Places a write to cannot harm: devices that discard or echo, and `/tmp` (private in the
/// sandbox).
fn harmless(path: &Path) -> bool {
    const DEVICES: &[&str] = &[
        "/dev/null",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/tty",
        "/dev/zero",
    ];
    DEVICES.iter().any(|d| path == Path::new(d))
        || path.starts_with("/dev/fd")
        || path.starts_with("/tmp")
}

/// `word` against `cwd`, with `.` and `..` folded (without touching the file system).
fn resolve(word: &str, cwd: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in cwd.join(word).components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn is_write_redirect(op: &str) -> bool {
    matches!(op, ">" | ">>" | ">|" | "&>" | "&>>" | ">&")
}
