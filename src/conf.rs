//! The text both the cluster file and the key file are written in: one
//! `key = value` a line, `#` to the end of a line a comment, blank lines
//! ignored.

/// Each `key = value` line of `text`, trimmed, with its line number (from
/// 1); a line that is not one is `Err((line, why))`.
pub(crate) fn key_values(text: &str) -> impl Iterator<Item = Result<(usize, &str, &str), (usize, String)>> {
    text.lines().enumerate().filter_map(|(index, raw)| {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            return None;
        }
        Some(match content.split_once('=') {
            Some((key, value)) => Ok((line, key.trim(), value.trim())),
            None => Err((line, format!("expected `key = value`, got {content:?}"))),
        })
    })
}
