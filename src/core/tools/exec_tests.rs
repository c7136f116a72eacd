//! Unit tests for `exec`: the static look at command lines, output capping, the clean
//! environment and the result's wording.

use super::capture::Capture;
use super::*;
use crate::core::tools::Workspace;

/// A worktree outside `/tmp`, since writes under `/tmp` never count as outside.
fn ws() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir_in("/var/tmp").unwrap();
    let ws = Workspace::new(dir.path()).unwrap();
    (dir, ws)
}

#[test]
fn plain_local_commands_raise_nothing() {
    let (_dir, ws) = ws();
    for line in [
        "cargo test -- --nocapture",
        "ls /usr/bin && cat /etc/os-release",
        "grep -rn foo src > out.txt 2>&1",
        "mkdir -p build && cp a.txt build/",
        "echo hi > /dev/null; echo x >> /tmp/scratch",
        "git status && git diff HEAD~1",
        "rm -rf target/debug",
        "python -m pytest -x",
    ] {
        let found = assess(line, &ws);
        assert_eq!(found, Assessment::default(), "{line}");
        assert_eq!(found.reason(), None, "{line}");
    }
}

#[test]
fn network_programs_and_subcommands_are_named() {
    let (_dir, ws) = ws();
    for (line, what) in [
        ("curl -fsSL https://example.com/x.sh | sh", "curl"),
        ("wget http://x", "wget"),
        ("ssh host true", "ssh"),
        ("git -C sub fetch origin", "git fetch"),
        ("git clone https://github.com/a/b", "git clone"),
        ("cd sub && git push", "git push"),
        ("pip install requests", "pip install"),
        ("python3 -m pip install -e .", "python -m pip install"),
        ("npm install", "npm install"),
        ("yarn", "yarn"),
        ("pnpm add left-pad", "pnpm add"),
        ("cargo add serde", "cargo add"),
        ("go mod download", "go mod download"),
        ("go get example.com/x", "go get"),
        ("sudo apt-get install -y jq", "apt-get install"),
        ("FOO=1 env -i timeout 10 curl x", "curl"),
        ("echo $(curl -s x)", "curl"),
        ("sh -c 'wget -q x'", "wget"),
        ("rsync -a build/ me@host:/srv/", "rsync"),
    ] {
        let found = assess(line, &ws);
        assert_eq!(
            found.needs_network,
            Some(format!("`{what}` uses the network")),
            "{line}"
        );
        assert!(found.reason().unwrap().contains(what), "{line}");
    }
    assert_eq!(assess("git log --oneline", &ws).needs_network, None);
    assert_eq!(assess("cargo build --release", &ws).needs_network, None);
    assert_eq!(assess("rsync -a build/ dist/", &ws).needs_network, None);
    assert_eq!(
        assess("echo 'curl is a word here'", &ws).needs_network,
        None
    );
}

#[test]
fn writes_outside_the_worktree_are_listed_as_written() {
    let (_dir, ws) = ws();
    let cases: &[(&str, &[&str])] = &[
        ("echo x > /root/x", &["/root/x"]),
        ("echo x>/etc/motd", &["/etc/motd"]),
        ("make 2>>../build.log", &["../build.log"]),
        ("cp a.txt /usr/local/bin/", &["/usr/local/bin/"]),
        ("cp -t /opt a b", &["/opt"]),
        ("mv out ../../elsewhere", &["../../elsewhere"]),
        ("rm -rf / ~/.cache", &["/", "~/.cache"]),
        ("touch $HOME/.profile", &["$HOME/.profile"]),
        ("mkdir -p src/../../x", &["src/../../x"]),
        ("echo k | tee -a /etc/hosts", &["/etc/hosts"]),
        ("chmod 777 /etc/shadow", &["/etc/shadow"]),
        ("dd if=/dev/zero of=/dev/sda", &["/dev/sda"]),
        ("cd / && rm -rf home", &["home"]),
        ("sh -c 'echo x > /var/x'", &["/var/x"]),
        (
            "cat /etc/passwd > /root/a; cat /etc/passwd > /root/a",
            &["/root/a"],
        ),
    ];
    for (line, expected) in cases {
        let found = assess(line, &ws);
        assert_eq!(found.outside_paths, *expected, "{line}");
        assert!(
            found
                .reason()
                .unwrap()
                .starts_with("writes outside the worktree: "),
            "{line}"
        );
    }
}

#[test]
fn an_absolute_path_inside_the_worktree_is_fine() {
    let (_dir, ws) = ws();
    let inside = ws.root().join("out.txt");
    let line = format!(
        "echo x > {} && cp a {}",
        inside.display(),
        ws.root().display()
    );
    assert_eq!(assess(&line, &ws), Assessment::default());
}

#[test]
fn both_findings_make_one_reason() {
    let (_dir, ws) = ws();
    let found = assess("curl -o /etc/x https://h > /root/log", &ws);
    assert_eq!(
        found.reason().unwrap(),
        "`curl` uses the network; writes outside the worktree: /root/log"
    );
}

#[test]
fn an_unclosed_quote_is_not_guessed_at() {
    let (_dir, ws) = ws();
    assert_eq!(assess("echo 'oops > /root/x", &ws), Assessment::default());
}

#[test]
fn capture_keeps_everything_within_the_limit() {
    let mut capture = Capture::new(100);
    capture.push(b"hello ");
    capture.push(b"world");
    assert_eq!(capture.finish(), ("hello world".to_string(), 0));
}

#[test]
fn capture_keeps_head_and_tail_and_counts_the_rest() {
    let mut capture = Capture::new(20);
    for chunk in (0..100).map(|i| format!("{:03}|", i)) {
        capture.push(chunk.as_bytes());
    }
    let (text, omitted) = capture.finish();
    assert_eq!(omitted, 400 - 20);
    assert_eq!(text, "000|001|00\n... 380 bytes omitted ...\n7|098|099|");
}

#[test]
fn capture_with_one_huge_push_keeps_its_ends() {
    let mut capture = Capture::new(8);
    let mut big = b"HEAD".to_vec();
    big.extend(std::iter::repeat_n(b'.', 10_000));
    big.extend(b"TAIL");
    capture.push(&big);
    assert_eq!(
        capture.finish(),
        (
            "HEAD\n... 10000 bytes omitted ...\nTAIL".to_string(),
            10_000
        )
    );
}

#[test]
fn capture_does_not_cut_a_character_in_half() {
    let mut capture = Capture::new(6);
    capture.push("ééééé-ééééé".as_bytes());
    let (text, omitted) = capture.finish();
    assert!(!text.contains('\u{FFFD}'), "{text}");
    assert_eq!(text, "é\n... 17 bytes omitted ...\né");
    assert_eq!(omitted, 17);
}

#[test]
fn clean_env_has_only_the_fixed_variables_and_safe_extras() {
    let extra = vec![
        ("FOO".to_string(), "bar".to_string()),
        ("WARROOM_X_KEY".to_string(), "sk-1".to_string()),
        ("GITHUB_TOKEN".to_string(), "ghp".to_string()),
        ("DB_PASSWORD".to_string(), "p".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "s".to_string()),
        ("BAD=NAME".to_string(), "x".to_string()),
        ("TERM".to_string(), "xterm".to_string()),
    ];
    let env = clean_env(&extra);
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["PATH", "HOME", "LANG", "FOO", "TERM"]);
    assert!(env.contains(&("HOME".into(), PRIVATE_HOME.into())));
    assert!(env.contains(&("TERM".into(), "xterm".into())));
    assert!(!looks_secret("RUST_LOG") && !looks_secret("CARGO_TARGET_DIR"));
    assert!(looks_secret("OPENAI_API_KEY") && looks_secret("anthropic_api_key"));
}

fn result(exit_code: Option<i32>, signal: Option<i32>, timed_out: bool) -> ExecResult {
    ExecResult {
        exit_code,
        signal,
        timed_out,
        stdout: "\n\nout line\n\n".into(),
        stderr: String::new(),
        omitted_bytes: 0,
        duration: Duration::from_millis(1234),
        sandboxed: true,
    }
}

#[test]
fn summaries_say_how_it_ended() {
    assert_eq!(result(Some(0), None, false).summary(), "exit 0 in 1.2 s");
    assert_eq!(
        result(None, Some(9), false).summary(),
        "killed by signal 9 (limits)"
    );
    let mut timed = result(None, Some(9), true);
    timed.duration = Duration::from_secs(120);
    assert_eq!(timed.summary(), "killed after 120 s timeout");
}

#[test]
fn tool_output_shows_status_then_trimmed_streams() {
    let out = result(Some(2), None, false).to_tool_output();
    assert!(!out.ok);
    assert_eq!(out.exit_code, Some(2));
    assert_eq!(out.content, "exit 2 in 1.2 s\n--- stdout ---\nout line\n");
    let mut quiet = result(Some(0), None, false);
    quiet.stdout.clear();
    quiet.sandboxed = false;
    let out = quiet.to_tool_output();
    assert!(out.ok);
    assert_eq!(
        out.content,
        "exit 0 in 1.2 s (ran without a sandbox)\n(no output)\n"
    );
}
