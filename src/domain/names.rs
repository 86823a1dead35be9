//! Names other people see (workspace names, and the emails members are listed by) may not
//! hide text: no control characters, and no bidirectional overrides or isolates, which
//! make a name read differently from what it holds (U+202E turns "txt.exe" around).
//! Parsed once at the boundary into `WorkspaceName`, so a stored name was checked.

/// Characters refused in names: control characters, line and paragraph separators,
/// the bidirectional controls, and invisible formatters that can hide text.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' // Arabic letter mark
            | '\u{200B}' // zero-width space
            | '\u{200E}' | '\u{200F}' // left-to-right and right-to-left marks
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner and invisible operators
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{206A}'..='\u{206F}' // deprecated format characters
            | '\u{FEFF}' // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        )
}

pub const MAX_WORKSPACE_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Workspace names must be 1 to 80 characters.")]
    Length,
    #[error("Workspace names cannot contain control characters or invisible characters that change text direction.")]
    HiddenCharacters,
}

/// A workspace name: trimmed, 1 to 80 characters, nothing hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: &str) -> Result<WorkspaceName, NameError> {
        // Checked before trimming, which would quietly drop a trailing U+2028 or U+0085.
        if raw.chars().any(is_hidden_char) {
            return Err(NameError::HiddenCharacters);
        }
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > MAX_WORKSPACE_NAME_CHARS {
            return Err(NameError::Length);
        }
        Ok(WorkspaceName(name.to_owned()))
    }

    /// The name a new user's first workspace gets: "ada's workspace" for ada@example.com.
    /// Anything hidden in the email's local part is dropped rather than refused (the
    /// address is checked by its own rules), a long one is cut to fit, and one with
    /// nothing left gives "My workspace".
    pub fn personal(email: &str) -> WorkspaceName {
        const SUFFIX: &str = "'s workspace";
        let local: String = email.split('@').next().unwrap_or(email).chars().filter(|c| !is_hidden_char(*c)).collect();
        let local: String = local.trim().chars().take(MAX_WORKSPACE_NAME_CHARS - SUFFIX.len()).collect();
        match WorkspaceName::parse(&format!("{local}{SUFFIX}")) {
            Ok(name) if !local.trim().is_empty() => name,
            _ => WorkspaceName("My workspace".to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for WorkspaceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(WorkspaceName::parse("  Acme Corp ").unwrap().as_str(), "Acme Corp");
        assert_eq!(WorkspaceName::parse("   "), Err(NameError::Length));
        assert_eq!(WorkspaceName::parse(&"x".repeat(81)), Err(NameError::Length));
        assert!(WorkspaceName::parse(&"é".repeat(80)).is_ok(), "characters, not bytes");
        assert!(WorkspaceName::parse("Ünïcödé 名前 👩‍👩‍👧").is_ok(), "letters and emoji (with joiners) are fine");
    }

    #[test]
    fn hidden_characters_are_refused() {
        for bad in [
            "evil\u{202E}gnp.exe",
            "a\u{202A}b",
            "a\u{2066}b\u{2069}",
            "a\u{200E}",
            "\u{200F}a",
            "a\u{061C}b",
            "line\nbreak",
            "tab\there",
            "nul\0",
            "bell\u{7}",
            "c1\u{85}",
            "zero\u{200B}width",
            "bom\u{FEFF}",
            "sep\u{2028}",
            "trailing\u{85}",
        ] {
            assert_eq!(WorkspaceName::parse(bad), Err(NameError::HiddenCharacters), "{bad:?}");
        }
    }

    #[test]
    fn personal_names_drop_hidden_characters() {
        assert_eq!(WorkspaceName::personal("ada@example.com").as_str(), "ada's workspace");
        assert_eq!(WorkspaceName::personal("ev\u{202E}il@example.com").as_str(), "evil's workspace");
        assert_eq!(WorkspaceName::personal("\u{2066}\u{202E}@example.com").as_str(), "My workspace");
        let long = WorkspaceName::personal(&format!("{}@example.com", "a".repeat(90)));
        assert_eq!(long.as_str(), format!("{}'s workspace", "a".repeat(68)));
    }
}
