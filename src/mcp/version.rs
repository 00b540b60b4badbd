//! The MCP protocol revisions this server speaks, and what differs between them.

/// A protocol revision, oldest first (so `<` means "older than").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// Streamable HTTP is introduced; a POST body may be a JSON-RPC batch.
    V2025_03_26,
    /// Batches removed; `structuredContent` and the `MCP-Protocol-Version` header added.
    V2025_06_18,
    /// Input-validation failures become tool errors (`isError`), not protocol errors.
    V2025_11_25,
    /// The stateless "modern" profile: no `initialize`, per-request `_meta`, `server/discover`.
    V2026_07_28,
}

/// Every revision served, newest first: the order `server/discover` and the −32022 error
/// list them in.
pub const SUPPORTED: [Version; 4] = [
    Version::V2026_07_28,
    Version::V2025_11_25,
    Version::V2025_06_18,
    Version::V2025_03_26,
];

/// The revisions reached through the `initialize` handshake, newest first.
pub const LEGACY: [Version; 3] = [
    Version::V2025_11_25,
    Version::V2025_06_18,
    Version::V2025_03_26,
];

impl Version {
    /// The newest handshake revision: what `initialize` answers when the client asks for a
    /// revision this server does not speak.
    pub const LATEST_LEGACY: Version = Version::V2025_11_25;
    /// The revision assumed for a legacy request without an `MCP-Protocol-Version` header.
    pub const ASSUMED_WITHOUT_HEADER: Version = Version::V2025_03_26;

    /// The wire form, e.g. `"2025-11-25"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2025_03_26 => "2025-03-26",
            Version::V2025_06_18 => "2025-06-18",
            Version::V2025_11_25 => "2025-11-25",
            Version::V2026_07_28 => "2026-07-28",
        }
    }

    /// The revision named by `text` (exact, case-sensitive), if it is one this server speaks.
    pub fn parse(text: &str) -> Option<Version> {
        SUPPORTED.into_iter().find(|v| v.as_str() == text)
    }

    /// True for the stateless per-request-metadata profile (2026-07-28 and later).
    pub fn is_modern(self) -> bool {
        self >= Version::V2026_07_28
    }

    /// Whether a POST body may be a JSON-RPC batch (2025-03-26 only).
    pub fn allows_batches(self) -> bool {
        self == Version::V2025_03_26
    }

    /// Whether tool results may carry `structuredContent` (from 2025-06-18).
    pub fn has_structured_content(self) -> bool {
        self >= Version::V2025_06_18
    }

    /// Whether bad tool arguments are reported as an `isError` result (from 2025-11-25,
    /// SEP-1303) rather than as a JSON-RPC −32602 error (before).
    pub fn argument_errors_are_tool_errors(self) -> bool {
        self >= Version::V2025_11_25
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_revision_round_trips_through_its_wire_form() {
        for version in SUPPORTED {
            assert_eq!(Version::parse(version.as_str()), Some(version));
        }
        assert_eq!(Version::parse("2024-11-05"), None);
        assert_eq!(Version::parse("2025-11-25 "), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn revision_features_follow_the_changelogs() {
        assert!(Version::V2025_03_26.allows_batches());
        assert!(!Version::V2025_06_18.allows_batches());
        assert!(!Version::V2025_03_26.has_structured_content());
        assert!(Version::V2025_06_18.has_structured_content());
        assert!(!Version::V2025_06_18.argument_errors_are_tool_errors());
        assert!(Version::V2025_11_25.argument_errors_are_tool_errors());
        assert!(Version::V2026_07_28.is_modern());
        assert!(LEGACY.iter().all(|v| !v.is_modern()));
    }
}
