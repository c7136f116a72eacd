//! Telling the person that something waits for them when they are looking elsewhere: the
//! terminal bell (BEL) and an OSC 9 desktop notification (`ESC ] 9 ; text BEL`, understood by
//! iTerm2, kitty, WezTerm, foot, Windows Terminal and others; ignored by the rest). Inside tmux
//! the OSC is wrapped in tmux's passthrough (`ESC P tmux; ... ESC \`, every ESC doubled) so
//! it reaches the outer terminal (tmux 3.3+ needs `set -g allow-passthrough on`); the bell
//! needs no wrapping, tmux forwards it by itself. The bytes are built here, purely; the run
//! loop writes them through the terminal backend between frames.

/// The most characters of notification text sent (terminals show a line or two).
const MAX_CHARS: usize = 200;

/// The bytes that ring the bell and post `text` as a notification. `tmux`: wrap the OSC for
/// tmux's passthrough (`$TMUX` is set).
pub fn alert(text: &str, tmux: bool) -> Vec<u8> {
    let text = sanitize(text);
    let osc = format!("\x1b]9;{text}\x07");
    let mut out = vec![0x07];
    out.extend(for_terminal(osc.as_bytes(), tmux));
    out
}

/// `sequence` as it must be written to reach the outer terminal: as is, or inside tmux
/// wrapped in tmux's passthrough (`ESC P tmux; ... ESC \`, every ESC doubled).
pub fn for_terminal(sequence: &[u8], tmux: bool) -> Vec<u8> {
    if !tmux {
        return sequence.to_vec();
    }
    let mut out = b"\x1bPtmux;".to_vec();
    for b in sequence {
        if *b == 0x1b {
            out.push(0x1b);
        }
        out.push(*b);
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

/// Whether the screen runs inside tmux.
pub fn in_tmux() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

/// The text without anything that could end the sequence early or start another (control
/// characters, ESC, BEL, C1 controls), on one line, cut to [`MAX_CHARS`]. A leading digit
/// followed by `;` would read as an iTerm2 sub-command, so a space goes first then.
fn sanitize(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, ' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bell_then_osc_9() {
        assert_eq!(
            alert("approval 3 waits", false),
            b"\x07\x1b]9;approval 3 waits\x07".to_vec()
        );
    }

    #[test]
    fn tmux_gets_the_osc_wrapped_with_doubled_escapes() {
        assert_eq!(
            alert("hi", true),
            b"\x07\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\".to_vec()
        );
    }

    #[test]
    fn text_cannot_break_out_of_the_sequence() {
        let bytes = alert("a\x07b\x1b]0;title\x07\u{9c}c\nd", false);
        // One BEL before, one ending the OSC; nothing in between.
        assert_eq!(bytes.iter().filter(|b| **b == 0x07).count(), 2);
        assert_eq!(bytes.iter().filter(|b| **b == 0x1b).count(), 1);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\x07\x1b]9;a b ]0;title  c d\x07"
        );
        assert!(
            String::from_utf8(alert("9;x", false))
                .unwrap()
                .contains("]9; 9;x")
        );
        let long = "x".repeat(1000);
        assert_eq!(alert(&long, false).len(), 1 + 4 + MAX_CHARS + 1);
    }
}
