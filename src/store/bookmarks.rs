//! D1 bookmarks, one per database, as they travel in the `x-d1-bookmark` header: from a client
//! to the Worker and back, and from a writer object to the Worker. Pure: which values are
//! taken and how the set is written.
//!
//! With one database the header holds its bookmark as D1 gives it. With customers over several
//! databases (`store::shards`) it holds one bookmark per database the client's requests
//! touched: the catalog's as given, the others as `BINDING=bookmark`, separated by commas
//! (`00000085-…,CUSTOMERS_2=0000004a-…`). A bookmark is only ever compared with bookmarks of
//! its own database, so each database's reads start no earlier than that database's last
//! write the client saw.

use super::shards::CATALOG;

/// The request and response header (also between a writer object and the Worker).
pub const HEADER: &str = "x-d1-bookmark";

/// Longest bookmark taken (D1's are about 60 characters).
const MAX_LEN: usize = 256;
/// Longest database (binding) name taken.
const MAX_NAME: usize = 64;
/// Most databases one header names (more are ignored).
const MAX_ENTRIES: usize = 32;

/// The bookmarks of a client or a write, by database binding (the catalog first).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Bookmarks(Vec<(String, String)>);

impl Bookmarks {
    /// The bookmarks a header brought. An entry that is no bookmark (other characters, too
    /// long, a name that cannot be a binding) is ignored, so a request with only such values
    /// reads as if it brought none.
    pub fn parse(header: Option<&str>) -> Bookmarks {
        let mut taken = Bookmarks::default();
        for entry in header.unwrap_or_default().split(',').take(MAX_ENTRIES) {
            let entry = entry.trim();
            let (name, value) = entry.split_once('=').unwrap_or((CATALOG, entry));
            if is_name(name) && is_bookmark(value) && taken.get(name).is_none() {
                taken.0.push((name.to_string(), value.to_string()));
            }
        }
        taken
    }

    /// The bookmark of database `binding`, if any.
    pub fn get(&self, binding: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == binding)
            .map(|(_, value)| value.as_str())
    }

    /// Sets the bookmark of database `binding` (a later one of the same database).
    pub fn set(&mut self, binding: &str, bookmark: String) {
        match self.0.iter_mut().find(|(name, _)| name == binding) {
            Some((_, value)) => *value = bookmark,
            None => self.0.push((binding.to_string(), bookmark)),
        }
    }

    /// Takes every bookmark of `later` (the same databases' later states) over its own.
    pub fn update(&mut self, later: &Bookmarks) {
        for (name, value) in &later.0 {
            self.set(name, value.clone());
        }
    }

    /// Only the bookmarks of `databases` (those of the deployment).
    pub fn only(mut self, databases: &[&str]) -> Bookmarks {
        self.0
            .retain(|(name, _)| databases.contains(&name.as_str()));
        self
    }

    /// The header value: the catalog's bookmark as given, then `BINDING=bookmark` for each
    /// other database in name order; `None` without any.
    pub fn render(&self) -> Option<String> {
        let mut others: Vec<&(String, String)> =
            self.0.iter().filter(|(name, _)| name != CATALOG).collect();
        others.sort();
        let parts: Vec<String> = self
            .get(CATALOG)
            .map(str::to_string)
            .into_iter()
            .chain(others.iter().map(|(name, value)| format!("{name}={value}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(","))
    }
}

/// D1's bookmarks are letters, digits and `-`.
fn is_bookmark(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Binding names are letters, digits and `_`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";

    #[test]
    fn one_database_round_trips_as_given() {
        let taken = Bookmarks::parse(Some(D1));
        assert_eq!(taken.get(CATALOG), Some(D1));
        assert_eq!(taken.render().as_deref(), Some(D1));
        let spaced = Bookmarks::parse(Some(" first-primary "));
        assert_eq!(spaced.render().as_deref(), Some("first-primary"));
    }

    #[test]
    fn several_databases_are_named_and_ordered() {
        let mut marks = Bookmarks::default();
        marks.set("CUSTOMERS_2", "b-2".into());
        marks.set(CATALOG, "a-1".into());
        marks.set("CUSTOMERS_1", "c-3".into());
        let header = marks.render().unwrap();
        assert_eq!(header, "a-1,CUSTOMERS_1=c-3,CUSTOMERS_2=b-2");
        assert_eq!(Bookmarks::parse(Some(&header)).render().unwrap(), header);
        let shards_only = Bookmarks::parse(Some("CUSTOMERS_1=x"));
        assert_eq!(shards_only.get(CATALOG), None);
        assert_eq!(shards_only.render().as_deref(), Some("CUSTOMERS_1=x"));
    }

    #[test]
    fn later_bookmarks_replace_earlier_ones_of_the_same_database() {
        let mut brought = Bookmarks::parse(Some("a-1,CUSTOMERS_1=b-1"));
        brought.update(&Bookmarks::parse(Some("CUSTOMERS_1=b-2,CUSTOMERS_3=c-1")));
        assert_eq!(
            brought.render().as_deref(),
            Some("a-1,CUSTOMERS_1=b-2,CUSTOMERS_3=c-1")
        );
        let kept = brought.only(&[CATALOG, "CUSTOMERS_3"]);
        assert_eq!(kept.render().as_deref(), Some("a-1,CUSTOMERS_3=c-1"));
    }

    #[test]
    fn anything_else_is_ignored() {
        for value in [
            "", " ", "a b", "x\u{e9}", "a;b", "a\"b", "=x", "A B=x", "A=", ",",
        ] {
            assert_eq!(
                Bookmarks::parse(Some(value)),
                Bookmarks::default(),
                "{value:?}"
            );
        }
        assert_eq!(
            Bookmarks::parse(Some(&"a".repeat(257))),
            Bookmarks::default()
        );
        assert_eq!(Bookmarks::parse(None).render(), None);
        // A bad entry does not spoil the good ones; a repeated database keeps its first.
        let mixed = Bookmarks::parse(Some("a;b,CUSTOMERS_1=ok,CUSTOMERS_1=later"));
        assert_eq!(mixed.render().as_deref(), Some("CUSTOMERS_1=ok"));
    }
}
