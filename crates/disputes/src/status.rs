//! [`Status`]: where a dispute stands.

use std::fmt;

use bincode::{Decode, Encode};

/// Where a dispute stands. See the crate documentation for the transitions.
///
/// The bincode encoding is the variant's position: only append variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
pub enum Status {
    /// `open`: filed and proceeding.
    Open,
    /// `stayed`: proceedings are suspended (for instance pending an IPR).
    Stayed,
    /// `on-appeal`: a decision is under appeal.
    OnAppeal,
    /// `settled`: closed by a settlement (terminal).
    Settled,
    /// `dismissed`: closed by a dismissal (terminal).
    Dismissed,
    /// `decided`: closed by a final judgment (terminal).
    Decided,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::Stayed,
        Status::OnAppeal,
        Status::Settled,
        Status::Dismissed,
        Status::Decided,
    ];

    /// The spelling used in JSON output and messages, such as `on-appeal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Stayed => "stayed",
            Status::OnAppeal => "on-appeal",
            Status::Settled => "settled",
            Status::Dismissed => "dismissed",
            Status::Decided => "decided",
        }
    }

    /// The status with this spelling, if any.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the dispute is closed: settled, dismissed or decided.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Settled | Status::Dismissed | Status::Decided)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_terminals() {
        let names: Vec<String> = Status::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "open",
                "stayed",
                "on-appeal",
                "settled",
                "dismissed",
                "decided"
            ]
        );
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("on_appeal"), None);
        let terminal: Vec<Status> = Status::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [Status::Settled, Status::Dismissed, Status::Decided]
        );
    }
}
