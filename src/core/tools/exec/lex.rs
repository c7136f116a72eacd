//! Splitting a shell command line into words and operators the way `sh` reads it (quotes,
//! escapes, comments, `2>` redirections, `$(...)` and backquotes), without expanding or running
//! anything. Used by `assess`.

/// One token of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Word(String),
    /// A control operator (`;`, `&&`, `|`, ...) or a redirection (`>`, `>>`, `<`, ...).
    Op(String),
}

/// Splits `line` into words and operators the way `sh` would (without expanding anything),
/// and collects the inside of every `$(...)` and `` `...` ``. `None` when a quote is not
/// closed.
pub(super) fn lex(line: &str) -> Option<(Vec<Token>, Vec<String>)> {
    let mut tokens = Vec::new();
    let mut nested = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        tokens.push(Token::Op(";".into()));
                        break;
                    }
                }
            }
            ' ' | '\t' => end_word(&mut word, &mut in_word, &mut tokens),
            '\n' => {
                end_word(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Op(";".into()));
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        '$' if chars.peek() == Some(&'(') => {
                            chars.next();
                            let inner = balanced(&mut chars)?;
                            word.push_str(&format!("$({inner})"));
                            nested.push(inner);
                        }
                        '`' => nested.push(backquoted(&mut chars)?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => word.push(c),
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                in_word = true;
                let inner = balanced(&mut chars)?;
                word.push_str(&format!("$({inner})"));
                nested.push(inner);
            }
            '`' => {
                in_word = true;
                nested.push(backquoted(&mut chars)?);
            }
            ';' | '&' | '|' | '(' | ')' | '<' | '>' => {
                // `2>file`: the digits are a file descriptor, not a word.
                if in_word && (c == '<' || c == '>') && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                end_word(&mut word, &mut in_word, &mut tokens);
                let mut op = c.to_string();
                while let Some(&next) = chars.peek() {
                    let longer = format!("{op}{next}");
                    if matches!(
                        longer.as_str(),
                        "&&" | "||"
                            | ">>"
                            | ">|"
                            | "&>"
                            | "&>>"
                            | ">&"
                            | "<<"
                            | "<<<"
                            | "<&"
                            | ";;"
                    ) {
                        op = longer;
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Op(op));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut tokens);
    Some((tokens, nested))
}

/// The text up to the `)` that closes an already opened `$(`.
fn balanced(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut depth = 1;
    let mut inner = String::new();
    loop {
        let c = chars.next()?;
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(inner);
                }
            }
            _ => {}
        }
        inner.push(c);
    }
}

/// The text up to the closing backquote.
fn backquoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut inner = String::new();
    loop {
        match chars.next()? {
            '`' => return Some(inner),
            c => inner.push(c),
        }
    }
}
