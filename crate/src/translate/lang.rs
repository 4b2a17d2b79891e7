//! Languages and Lampung dialects.
//!
//! Lampung has two main dialects, named after their word for "what": Nyo (dialect O, Abung and
//! Menggala) and Api (dialect A, Pesisir). A lexicon row says which dialect(s) it belongs to with
//! a [`DialectTag`]; a text or a translation target names one [`Dialect`].

use serde::{Deserialize, Serialize};

/// A Lampung dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Dialect O ("nyo" = what): Abung, Menggala.
    Nyo,
    /// Dialect A ("api" = what): Pesisir.
    Api,
    /// Not known or not decided.
    Unknown,
}

/// A language the translator reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Lampung, in a dialect.
    Lampung(Dialect),
    /// Indonesian.
    Indonesian,
    /// English.
    English,
}

impl Lang {
    /// Parses a language code: `id`, `en`, `lpg` (Lampung, dialect unknown), `lpg-nyo` / `nyo`,
    /// `lpg-api` / `api` (and a few long forms), ignoring case.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "id" | "ind" | "indonesian" => Some(Lang::Indonesian),
            "en" | "eng" | "english" => Some(Lang::English),
            "lpg" | "lampung" => Some(Lang::Lampung(Dialect::Unknown)),
            "lpg-nyo" | "nyo" | "lpg-o" => Some(Lang::Lampung(Dialect::Nyo)),
            "lpg-api" | "api" | "lpg-a" => Some(Lang::Lampung(Dialect::Api)),
            _ => None,
        }
    }

    /// The short code [`Self::from_code`] reads back (`id`, `en`, `lpg`, `lpg-nyo`, `lpg-api`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Indonesian => "id",
            Lang::English => "en",
            Lang::Lampung(Dialect::Unknown) => "lpg",
            Lang::Lampung(Dialect::Nyo) => "lpg-nyo",
            Lang::Lampung(Dialect::Api) => "lpg-api",
        }
    }
}

/// Which column of a lexicon a language reads: the language without its dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The `lampung` column.
    Lampung,
    /// The `indonesian` column.
    Indonesian,
    /// The `english` column.
    English,
}

impl Side {
    /// All sides, in column order.
    pub const ALL: [Side; 3] = [Side::Lampung, Side::Indonesian, Side::English];

    /// Position in [`Side::ALL`], for per-side arrays.
    pub fn index(self) -> usize {
        match self {
            Side::Lampung => 0,
            Side::Indonesian => 1,
            Side::English => 2,
        }
    }
}

impl Lang {
    /// The lexicon column this language reads and writes.
    pub fn side(self) -> Side {
        match self {
            Lang::Lampung(_) => Side::Lampung,
            Lang::Indonesian => Side::Indonesian,
            Lang::English => Side::English,
        }
    }

    /// The dialect, for Lampung.
    pub fn dialect(self) -> Option<Dialect> {
        match self {
            Lang::Lampung(dialect) => Some(dialect),
            _ => None,
        }
    }
}

/// The dialects a lexicon row belongs to (the `dialect` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialectTag {
    /// Nyo (dialect O) only.
    Nyo,
    /// Api (dialect A) only.
    Api,
    /// Both dialects.
    Both,
    /// Not recorded.
    Unknown,
}

/// How well a row's dialect fits the dialect being read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    /// The row is tagged with the other dialect.
    Other,
    /// Nothing is known either way.
    Neutral,
    /// The row is tagged with this dialect (or both).
    Same,
}

impl DialectTag {
    /// Parses a `dialect` column value: `nyo`, `api`, `both` or `unknown`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "nyo" => Some(DialectTag::Nyo),
            "api" => Some(DialectTag::Api),
            "both" => Some(DialectTag::Both),
            "unknown" => Some(DialectTag::Unknown),
            _ => None,
        }
    }

    /// The single dialect this row belongs to, if it belongs to exactly one.
    pub fn single(self) -> Option<Dialect> {
        match self {
            DialectTag::Nyo => Some(Dialect::Nyo),
            DialectTag::Api => Some(Dialect::Api),
            DialectTag::Both | DialectTag::Unknown => None,
        }
    }

    /// How well this row fits `dialect`.
    pub fn fit(self, dialect: Dialect) -> Fit {
        match (self, dialect) {
            (DialectTag::Unknown, _) | (_, Dialect::Unknown) => Fit::Neutral,
            (DialectTag::Both, _) => Fit::Same,
            (DialectTag::Nyo, Dialect::Nyo) | (DialectTag::Api, Dialect::Api) => Fit::Same,
            _ => Fit::Other,
        }
    }
}

impl From<Dialect> for DialectTag {
    fn from(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Nyo => DialectTag::Nyo,
            Dialect::Api => DialectTag::Api,
            Dialect::Unknown => DialectTag::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_tags_parse_only_the_four_documented_values() {
        assert_eq!(DialectTag::parse("nyo"), Some(DialectTag::Nyo));
        assert_eq!(DialectTag::parse("both"), Some(DialectTag::Both));
        assert_eq!(DialectTag::parse("o"), None);
        assert_eq!(DialectTag::parse("Nyo"), None);
    }

    #[test]
    fn fit_orders_same_above_neutral_above_other() {
        assert_eq!(DialectTag::Nyo.fit(Dialect::Nyo), Fit::Same);
        assert_eq!(DialectTag::Both.fit(Dialect::Api), Fit::Same);
        assert_eq!(DialectTag::Unknown.fit(Dialect::Api), Fit::Neutral);
        assert_eq!(DialectTag::Api.fit(Dialect::Nyo), Fit::Other);
        assert!(Fit::Same > Fit::Neutral && Fit::Neutral > Fit::Other);
    }
}
