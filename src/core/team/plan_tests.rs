use super::*;

fn roles() -> Vec<String> {
    ["observer", "analyst", "verifier", "qa"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn a_good_plan_is_kept_with_its_dependencies() {
    let text = r#"```json
{"summary":"s","tasks":[
 {"title":"Reproduce","role":"observer"},
 {"title":"Fix the rounding","role":"analyst","depends_on":[0]},
 {"title":"Add a test","role":"qa","depends_on":[1]},
 {"title":"Verify","role":"verifier","depends_on":[2]}]}
```"#;
    let plan = parse_plan(text, &roles()).unwrap();
    let titles: Vec<&str> = plan.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Reproduce", "Fix the rounding", "Add a test"]);
    assert_eq!(plan[1].depends_on, vec![0]);
    assert_eq!(plan[2].depends_on, vec![0, 1]);
}

#[test]
fn a_plan_without_observer_or_analyst_is_completed() {
    let plan = parse_plan(
        r#"{"tasks":[{"title":"Write tests","role":"qa"}]}"#,
        &roles(),
    )
    .unwrap();
    let roles_seen: Vec<&str> = plan.iter().map(|t| t.role.as_str()).collect();
    assert_eq!(roles_seen, ["observer", "qa", "analyst"]);
    assert!(plan[1..].iter().all(|t| t.depends_on.contains(&0)));
}

#[test]
fn bad_plans_are_errors_that_say_why() {
    let err = parse_plan("I will fix it", &roles()).unwrap_err();
    assert!(err.contains("not the JSON"), "{err}");
    let err = parse_plan(r#"{"tasks":[{"title":"x","role":"wizard"}]}"#, &roles()).unwrap_err();
    assert!(err.contains("wizard"), "{err}");
    let err = parse_plan(r#"{"tasks":[]}"#, &roles()).unwrap_err();
    assert!(err.contains("no tasks"), "{err}");
}

#[test]
fn forward_and_self_dependencies_are_dropped() {
    let text = r#"{"tasks":[{"title":"a","role":"observer","depends_on":[0,1,-3]},
        {"title":"b","role":"analyst","depends_on":[5]}]}"#;
    let plan = parse_plan(text, &roles()).unwrap();
    assert!(plan[0].depends_on.is_empty());
    assert_eq!(plan[1].depends_on, vec![0]);
}

#[test]
fn intents_parse_or_fall_back_to_a_guess() {
    let (intent, reply) = parse_intent(r#"{"intent":"status","reply":"working"}"#, "x");
    assert_eq!(intent, Intent::Status);
    assert_eq!(reply.as_deref(), Some("working"));
    assert_eq!(
        parse_intent("garbage", "how is it going?").0,
        Intent::Status
    );
    assert_eq!(
        parse_intent("garbage", "the bug is in dates.py").0,
        Intent::Change
    );
    assert_eq!(guess_intent("new goal: add a flag"), Intent::NewGoal);
}
