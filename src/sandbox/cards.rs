//! Stripe's test cards, the few the sandbox knows. A card is kept as its digits on the
//! customer; whether a charge succeeds depends on the card and on whether the customer is
//! there to confirm it (checkout, the portal) or not (renewals, proration charges).

/// Always succeeds.
pub const OK: &str = "4242424242424242";
/// Always declined.
pub const DECLINED: &str = "4000000000000002";
/// Attaches and pays on-session, then every off-session charge fails (Stripe's
/// "charge fails after attaching" card).
pub const FAILS_LATER: &str = "4000000000000341";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    Ok,
    Declined,
    FailsLater,
}

impl Card {
    /// Reads what was typed: spaces and dashes are ignored. `None` for anything that is not
    /// one of the test cards.
    pub fn parse(typed: &str) -> Option<Card> {
        let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        match digits.as_str() {
            OK => Some(Card::Ok),
            DECLINED => Some(Card::Declined),
            FAILS_LATER => Some(Card::FailsLater),
            _ => None,
        }
    }

    pub fn digits(self) -> &'static str {
        match self {
            Card::Ok => OK,
            Card::Declined => DECLINED,
            Card::FailsLater => FAILS_LATER,
        }
    }

    /// A charge with the customer present (checkout, portal).
    pub fn pays_on_session(self) -> bool {
        matches!(self, Card::Ok | Card::FailsLater)
    }

    /// A charge made without the customer (renewals, proration invoices).
    pub fn pays_off_session(self) -> bool {
        self == Card::Ok
    }
}

/// Whether an off-session charge on the card on file succeeds (no card: it fails).
pub fn off_session_charge(card_on_file: Option<&str>) -> bool {
    card_on_file.and_then(Card::parse).is_some_and(Card::pays_off_session)
}

/// "•••• 4242" for pages.
pub fn masked(card_on_file: Option<&str>) -> Option<String> {
    card_on_file
        .map(|digits| format!("•••• {}", digits.chars().skip(digits.len().saturating_sub(4)).collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards() {
        assert_eq!(Card::parse("4242 4242 4242 4242"), Some(Card::Ok));
        assert_eq!(Card::parse("4000-0000-0000-0002"), Some(Card::Declined));
        assert_eq!(Card::parse("4000000000000341"), Some(Card::FailsLater));
        assert_eq!(Card::parse("1234"), None);
        assert!(Card::FailsLater.pays_on_session() && !Card::FailsLater.pays_off_session());
        assert!(!Card::Declined.pays_on_session());
        assert!(!off_session_charge(None));
        assert!(off_session_charge(Some(OK)));
        assert_eq!(masked(Some(OK)).as_deref(), Some("•••• 4242"));
    }
}
