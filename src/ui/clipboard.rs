//! Copying to the person's clipboard from a terminal, even over SSH: OSC 52
//! (`ESC ] 52 ; c ; <base64> BEL`), understood by xterm, iTerm2, kitty, WezTerm, foot,
//! Windows Terminal, Alacritty and tmux itself. Inside tmux the sequence is wrapped for
//! passthrough the way `notify` wraps OSC 9. The bytes are built here, purely; the run loop
//! writes them through the terminal backend between frames.

use super::notify;

/// The most bytes of text sent: many terminals refuse larger OSC 52 payloads.
pub const MAX_BYTES: usize = 74_000;

/// The bytes that put `text` on the clipboard. `tmux`: wrap for tmux's passthrough.
pub fn osc52(text: &str, tmux: bool) -> Vec<u8> {
    let osc = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    notify::for_terminal(osc.as_bytes(), tmux)
}

/// Standard base64 with padding (RFC 4648).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), encoded);
        }
    }

    #[test]
    fn osc_52_bytes() {
        assert_eq!(osc52("hi\n", false), b"\x1b]52;c;aGkK\x07".to_vec());
    }

    #[test]
    fn tmux_gets_the_osc_wrapped_with_doubled_escapes() {
        assert_eq!(
            osc52("hi", true),
            b"\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\".to_vec()
        );
    }
}
