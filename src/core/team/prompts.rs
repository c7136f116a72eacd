//! The roles' system prompts: built in from `assets/prompts/`, or read from the file a role's
//! config names (`[roles.ROLE] prompt = "..."`, relative to the repository). A prompt file that
//! cannot be read is an error naming it.

use std::path::Path;

use crate::config::Config;

/// The built-in prompt of `role` (`default.md` for roles without one).
pub fn builtin(role: &str) -> &'static str {
    match role {
        "planner" => include_str!("../../../assets/prompts/planner.md"),
        "observer" => include_str!("../../../assets/prompts/observer.md"),
        "analyst" => include_str!("../../../assets/prompts/analyst.md"),
        "verifier" => include_str!("../../../assets/prompts/verifier.md"),
        "synthesizer" => include_str!("../../../assets/prompts/synthesizer.md"),
        _ => include_str!("../../../assets/prompts/default.md"),
    }
}

/// The prompt of `role`: its config's file, else the built-in one.
pub fn system_prompt(config: &Config, repo: &Path, role: &str) -> Result<String, String> {
    match config.roles.get(role).and_then(|r| r.prompt.as_ref()) {
        Some(path) => {
            let path = if path.is_absolute() {
                path.clone()
            } else {
                repo.join(path)
            };
            std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "the prompt file of role {role} ({}) cannot be read: {e}",
                    path.display()
                )
            })
        }
        None => Ok(builtin(role).to_string()),
    }
}

/// The roles the planner may delegate to: the built-in ones and every role in config (except
/// `default` and `planner`), with what each does.
pub fn team_roles(config: &Config) -> Vec<(String, String)> {
    let mut roles = vec![
        (
            "observer".to_string(),
            "detects how to build and test the repository and reproduces the problem".to_string(),
        ),
        (
            "analyst".to_string(),
            "reads the code and changes it until the failing tests pass".to_string(),
        ),
    ];
    for (name, role) in &config.roles {
        if [
            "default",
            "planner",
            "observer",
            "analyst",
            "verifier",
            "synthesizer",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let about = role
            .about
            .clone()
            .unwrap_or_else(|| format!("a team member with the {name} role"));
        roles.push((name.clone(), about));
    }
    roles
}
