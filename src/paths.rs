//! Where warroom keeps things on disk: the repository's `.warroom/` folder and the user's XDG
//! config and state folders; and where a program would be run from (`PATH`). Creates the
//! repository folder with private permissions and keeps it out of git; touches nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where `program` would be run from: itself when it names a path, else the first executable
/// of that name on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return is_executable(&path).then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The files of one repository's war room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPaths {
    /// The repository's top folder.
    pub repo: PathBuf,
    /// `<repo>/.warroom`.
    pub dir: PathBuf,
    /// `<repo>/.warroom/state.db`.
    pub db: PathBuf,
    /// `<repo>/.warroom/owner.lock`, held by the owner process.
    pub lock: PathBuf,
    /// `<repo>/.warroom/config.toml`.
    pub config: PathBuf,
}

impl RepoPaths {
    /// The paths for the repository at `repo` (made absolute, not created).
    pub fn new(repo: &Path) -> std::io::Result<Self> {
        let repo = std::path::absolute(repo)?;
        let dir = repo.join(".warroom");
        Ok(RepoPaths {
            db: dir.join("state.db"),
            lock: dir.join("owner.lock"),
            config: dir.join("config.toml"),
            dir,
            repo,
        })
    }

    /// Creates `.warroom/` (mode 0700) and lists it in `.git/info/exclude` when the repository
    /// is a git checkout. Safe to call every time.
    pub fn ensure_dir(&self) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        if !self.dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)?;
        }
        exclude_from_git(&self.repo)
    }
}

/// `$XDG_CONFIG_HOME/warroom`, falling back to `~/.config/warroom`.
pub fn user_config_dir() -> Option<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join("warroom"))
}

/// `$XDG_STATE_HOME/warroom`, falling back to `~/.local/state/warroom`. Program logs go here.
pub fn user_state_dir() -> Option<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state").map(|d| d.join("warroom"))
}

fn xdg_dir(var: &str, home_relative: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(dir) if Path::new(&dir).is_absolute() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(home_relative)),
    }
}

/// Adds `.warroom/` to `<repo>/.git/info/exclude` once. A repository that is not a git
/// checkout (or a worktree whose `.git` is a file) is left alone.
fn exclude_from_git(repo: &Path) -> std::io::Result<()> {
    let git = repo.join(".git");
    if !git.is_dir() {
        return Ok(());
    }
    let info = git.join("info");
    std::fs::create_dir_all(&info)?;
    let exclude = info.join("exclude");
    let current = std::fs::read_to_string(&exclude).unwrap_or_default();
    if current.lines().any(|line| {
        matches!(
            line.trim(),
            ".warroom" | ".warroom/" | "/.warroom" | "/.warroom/"
        )
    }) {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&exclude)?;
    let sep = if current.is_empty() || current.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    writeln!(file, "{sep}.warroom/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_is_added_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git/info")).unwrap();
        std::fs::write(dir.path().join(".git/info/exclude"), "# git ls-files\n*.o").unwrap();
        let paths = RepoPaths::new(dir.path()).unwrap();
        paths.ensure_dir().unwrap();
        paths.ensure_dir().unwrap();
        let text = std::fs::read_to_string(dir.path().join(".git/info/exclude")).unwrap();
        assert_eq!(text, "# git ls-files\n*.o\n.warroom/\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&paths.dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_folder_that_is_not_git_gets_no_exclude() {
        let dir = tempfile::tempdir().unwrap();
        RepoPaths::new(dir.path()).unwrap().ensure_dir().unwrap();
        assert!(!dir.path().join(".git").exists());
        assert!(dir.path().join(".warroom").is_dir());
    }
}
