//! Over SSH to localhost: the test starts Debian's openssh-server as its own process (`sshd -D
//! -f` a temp config on a free 127.0.0.1 port, a temp host key, an authorized key it
//! generates; no system config read or changed), then in tmux `ssh -t` runs `warroom watch`
//! on a finished run. The screen renders through the SSH pty, `q` quits, ssh returns and the
//! local shell is clean. Skips, saying why, only when sshd is not installed.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::screen::{assert_shell_is_clean, finished_run};
use support::{TempRepo, Tmux, warroom};

const SSHD: &str = "/usr/sbin/sshd";
const LONG: Duration = Duration::from_secs(20);

/// An sshd of our own, killed (by its pid) on drop.
struct Sshd {
    child: Child,
    port: u16,
    key: PathBuf,
    log: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen {}", path.display());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    fn start(dir: &Path) -> Sshd {
        let host_key = dir.join("host_key");
        let key = dir.join("id_ed25519");
        keygen(&host_key);
        keygen(&key);
        let authorized = dir.join("authorized_keys");
        std::fs::copy(key.with_extension("pub"), &authorized).unwrap();
        let port = free_port();
        let config = dir.join("sshd_config");
        let log = dir.join("sshd.log");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
                 AuthorizedKeysFile {}\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
                 PermitRootLogin prohibit-password\nPrintMotd no\nPrintLastLog no\n\
                 AcceptEnv none\nSubsystem sftp none\n",
                host_key.display(),
                dir.join("sshd.pid").display(),
                authorized.display()
            ),
        )
        .unwrap();
        // Run as root, sshd wants its privilege-separation folder (the package's service
        // makes it at boot, a container may not have booted that way). It is an empty runtime
        // folder, not configuration.
        if unsafe { libc::geteuid() } == 0 && !Path::new("/run/sshd").exists() {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let sshd = Sshd {
            child,
            port,
            key,
            log,
        };
        let began = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                began.elapsed() < LONG,
                "sshd did not listen on {port}: {}",
                sshd.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sshd
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The ssh command line that runs `remote` with a pty, trusting nothing of ~/.ssh.
    fn ssh(&self, remote: &str) -> String {
        format!(
            "ssh -F /dev/null -t -p {} -i {} -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR localhost {}",
            self.port,
            self.key.display(),
            shell_quote(remote)
        )
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[test]
fn the_screen_renders_over_ssh_and_quits_cleanly() {
    if !Path::new(SSHD).exists() {
        eprintln!(
            "skipped: {SSHD} is not installed (apt-get install openssh-server openssh-client)"
        );
        return;
    }
    let repo = TempRepo::new();
    finished_run(&repo);
    let sshd = Sshd::start(repo.dir.path());
    let env: String = repo
        .env()
        .iter()
        .map(|(k, v)| format!("{k}={} ", shell_quote(v)))
        .collect();
    let remote = format!(
        "cd {} && env {env}{} watch",
        shell_quote(&repo.repo.display().to_string()),
        warroom()
    );
    let tmux = Tmux::start("ssh", 100, 30, &repo.repo, &[]);
    tmux.type_text(&sshd.ssh(&remote));
    tmux.keys(&["Enter"]);
    let screen = tmux
        .wait_until(LONG, |s| s.contains("viewer, read-only"))
        .unwrap_or_else(|s| panic!("no screen over ssh:\n{s}\nsshd log:\n{}", sshd.log_text()));
    for title in ["1 Agents", "2 Tasks", "3 Logs", "4 Memory", "5 Chat"] {
        assert!(screen.contains(title), "{title} missing:\n{screen}");
    }
    assert!(screen.contains("planner"), "{screen}");
    // Keys travel over the link too: focus the logs, then quit.
    tmux.keys(&["3"]);
    tmux.wait_for("┏ 3 Logs", LONG);
    tmux.keys(&["q"]);
    // ssh has returned when the local prompt is the last line again.
    let back = tmux
        .wait_until(LONG, |s| s.trim_end().ends_with("PROMPT$"))
        .unwrap_or_else(|s| panic!("ssh did not return:\n{s}"));
    assert!(
        !back.contains("1 Agents"),
        "the screen was not taken down:\n{back}"
    );
    assert_shell_is_clean(&tmux, "after ssh");
    let log = sshd.log_text();
    assert!(
        log.contains("Accepted publickey"),
        "the screen did not come over our sshd:\n{log}"
    );
}
